//! An index kept on disk. One process at a time keeps a directory (an exclusive lock on a file
//! beside it); each commit records which database, schema and language the index follows and
//! the change-log position a restart resumes from, so an index is reused only for what it is.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tantivy::Index;
use tantivy::schema::Schema;

use crate::fields::{self, Language};
use crate::{SearchError, SearchResult};

/// Changes whenever the schema or what documents hold changes: an older index is rebuilt.
const FORMAT: i64 = 3;

/// This process's hold on an index directory.
pub struct Claim {
    dir: PathBuf,
    /// Held open (and locked) for as long as the index is in use.
    _lock: File,
    database: String,
    language: Language,
}

fn io_error(what: &str, path: &Path, error: &std::io::Error) -> SearchError {
    SearchError::Index(format!("{what} {}: {error}", path.display()))
}

impl Claim {
    /// Claims `dir` for this process; [`SearchError::InUse`] when another process has it.
    pub fn take(dir: &Path, database: String, language: Language) -> SearchResult<Self> {
        std::fs::create_dir_all(dir).map_err(|e| io_error("cannot create", dir, &e))?;
        let lock_path = dir.with_extension("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_error("cannot open", &lock_path, &e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(SearchError::InUse(dir.to_path_buf())),
            Err(TryLockError::Error(e)) => return Err(io_error("cannot lock", &lock_path, &e)),
        }
        Ok(Self { dir: dir.to_path_buf(), _lock: lock, database, language })
    }

    /// The index in the directory when it follows this database with this schema and language
    /// and is not ahead of the database (`newest` change); otherwise why not, logged.
    pub fn reusable(&self, newest: i64) -> Option<Index> {
        if !self.dir.join("meta.json").exists() {
            return None;
        }
        match self.check(newest) {
            Ok(index) => Some(index),
            Err(reason) => {
                log::info!("search index: rebuilding {}: {reason}", self.dir.display());
                None
            }
        }
    }

    fn check(&self, newest: i64) -> Result<Index, String> {
        let index = Index::open_in_dir(&self.dir).map_err(|e| format!("it cannot be read ({e})"))?;
        let payload = Self::payload_of(&index).ok_or("it records no position")?;
        if payload["format"].as_i64() != Some(FORMAT) || index.schema() != fields::schema().0 {
            return Err("it was written by another version".into());
        }
        if payload["database"].as_str() != Some(self.database.as_str()) {
            return Err("it follows another database".into());
        }
        if payload["language"].as_str() != Some(self.language.code()) {
            return Err(format!("its language is {}", payload["language"]));
        }
        match payload["position"].as_i64() {
            Some(position) if (0..=newest).contains(&position) => Ok(index),
            _ => Err("it is ahead of the database".into()),
        }
    }

    pub(crate) fn payload_of(index: &Index) -> Option<Value> {
        let text = index.load_metas().ok()?.payload?;
        serde_json::from_str(&text).ok()
    }

    /// The change-log position an index of this directory resumes from.
    pub fn position(&self, index: &Index) -> Option<i64> {
        Self::payload_of(index)?["position"].as_i64()
    }

    /// An empty index in the directory, in place of whatever it held.
    pub fn create(&self, schema: Schema) -> SearchResult<Index> {
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir).map_err(|e| io_error("cannot clear", &self.dir, &e))?;
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| io_error("cannot create", &self.dir, &e))?;
        Ok(Index::builder().schema(schema).settings(crate::fields::settings()).create_in_dir(&self.dir)?)
    }

    /// What a commit records.
    pub fn payload(&self, position: i64) -> String {
        json!({
            "format": FORMAT,
            "database": self.database,
            "language": self.language.code(),
            "position": position,
        })
        .to_string()
    }
}
