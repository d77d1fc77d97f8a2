//! An index kept on disk. One process at a time keeps a directory (an exclusive lock on a file
//! beside it); each commit records which database, schema and language the index follows and
//! the change-log position a restart resumes from, so an index is reused only for what it is.

use std::fs::{File, OpenOptions, TryLockError};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use tantivy::Index;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::schema::Schema;
use tantivy::{Directory, HasLen};

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
        let index = IndexDir::open(&self.dir)
            .and_then(Index::open)
            .map_err(|e| format!("it cannot be read ({e})"))?;
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
        Ok(Index::create(IndexDir::open(&self.dir)?, schema, crate::fields::settings())?)
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

/// The files of an index kept on disk, mapped into memory as tantivy keeps them, except the
/// segments' document stores, whose blocks are read from the file when asked for.
///
/// A store holds each dataset's rendered dict and is read only for the datasets the read cache
/// does not hold, a block here and a block there over the whole file. Mapped, every page ever
/// read would stay in the server's resident memory (half a gigabyte at a million datasets);
/// read, the pages stay in the kernel's page cache, as the database's do. A read of more than
/// [`MAPPED_READ`] (a merge reads a segment's whole store) still goes through the mapping, which
/// is let go with the bytes read.
#[derive(Clone, Debug)]
pub(crate) struct IndexDir {
    mapped: MmapDirectory,
    root: PathBuf,
}

/// Reads of a store larger than this are taken from its mapping.
const MAPPED_READ: usize = 1 << 20;

impl IndexDir {
    pub(crate) fn open(root: &Path) -> tantivy::Result<Self> {
        Ok(Self { mapped: MmapDirectory::open(root)?, root: root.to_path_buf() })
    }
}

impl Directory for IndexDir {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        if path.extension().is_none_or(|extension| extension != "store") {
            return self.mapped.get_file_handle(path);
        }
        let file = File::open(self.root.join(path)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => OpenReadError::FileDoesNotExist(path.to_path_buf()),
            _ => OpenReadError::wrap_io_error(e, path.to_path_buf()),
        })?;
        let len = file.metadata().map_err(|e| OpenReadError::wrap_io_error(e, path.to_path_buf()))?.len();
        let len = usize::try_from(len)
            .map_err(|e| OpenReadError::wrap_io_error(std::io::Error::other(e), path.to_path_buf()))?;
        Ok(Arc::new(ReadFile { file, len, path: path.to_path_buf(), mapped: self.mapped.clone() }))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mapped.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mapped.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.mapped.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mapped.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.mapped.atomic_write(path, data)
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        self.mapped.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.mapped.acquire_lock(lock)
    }

    fn watch(&self, callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mapped.watch(callback)
    }
}

/// A file read with `pread`: see [`IndexDir`].
#[derive(Debug)]
struct ReadFile {
    file: File,
    len: usize,
    path: PathBuf,
    mapped: MmapDirectory,
}

impl HasLen for ReadFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for ReadFile {
    fn read_bytes(&self, range: Range<usize>) -> std::io::Result<OwnedBytes> {
        if range.end > self.len || range.start > range.end {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{range:?} is not within {} ({} bytes)", self.path.display(), self.len),
            ));
        }
        if range.len() > MAPPED_READ {
            return self.mapped.get_file_handle(&self.path).map_err(std::io::Error::other)?.read_bytes(range);
        }
        let mut bytes = vec![0; range.len()];
        self.file.read_exact_at(&mut bytes, range.start as u64)?;
        Ok(OwnedBytes::new(bytes))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tantivy::schema::{STORED, STRING, TEXT, Value as _};
    use tantivy::{IndexSettings, TantivyDocument, doc};

    /// The files of `dir` this process has mapped.
    fn mapped_files(dir: &Path) -> Vec<String> {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
        let dir = dir.display().to_string();
        maps.lines()
            .filter_map(|line| line.split_whitespace().nth(5))
            .filter(|path| path.starts_with(&dir))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn documents_are_read_from_the_store_file_and_the_rest_is_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = Schema::builder();
        let id = builder.add_text_field("id", STRING | STORED);
        let body = builder.add_text_field("body", TEXT | STORED);
        let settings = IndexSettings { docstore_blocksize: 4096, ..IndexSettings::default() };
        let index = Index::create(IndexDir::open(dir.path()).unwrap(), builder.build(), settings).unwrap();
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        // Over a MiB of documents: a merge's whole read of a store goes through the mapping.
        let text = |n: usize| {
            (0..n % 400)
                .map(|i| format!("w{}", (n * 7_919 + i * 104_729) % 1_000_003))
                .collect::<Vec<_>>()
                .join(" ")
        };
        for n in 0..2_000 {
            writer.add_document(doc!(id => format!("d{n}"), body => text(n))).unwrap();
            if n % 500 == 499 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let ids: Vec<_> = index.searchable_segment_ids().unwrap();
        writer.merge(&ids).wait().unwrap();
        writer.wait_merging_threads().unwrap();

        let index = Index::open(IndexDir::open(dir.path()).unwrap()).unwrap();
        let reader = index.reader().unwrap();
        let searcher = reader.searcher();
        assert_eq!(searcher.segment_readers().len(), 1);
        let store = searcher.segment_reader(0).get_store_reader(0).unwrap();
        for doc in (0..2_000).step_by(7) {
            let document: TantivyDocument = store.get(doc).unwrap();
            let n: usize = document.get_first(id).and_then(|v| v.as_str()).unwrap()[1..].parse().unwrap();
            assert_eq!(document.get_first(body).and_then(|v| v.as_str()), Some(text(n).as_str()));
        }
        let mapped = mapped_files(dir.path());
        assert!(!mapped.iter().any(|path| path.ends_with(".store")), "{mapped:?}");
        assert!(mapped.iter().any(|path| path.ends_with(".idx")), "{mapped:?}");

        // Reads past the end are refused; a large read gives the file's bytes.
        let store_path = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .find(|path| path.extension().is_some_and(|extension| extension == "store"))
            .unwrap();
        let name = Path::new(store_path.file_name().unwrap());
        let handle = IndexDir::open(dir.path()).unwrap().get_file_handle(name).unwrap();
        let bytes = std::fs::read(&store_path).unwrap();
        assert_eq!(handle.len(), bytes.len());
        assert!(bytes.len() > MAPPED_READ);
        assert!(handle.read_bytes(0..bytes.len() + 1).is_err());
        assert_eq!(handle.read_bytes(10..bytes.len()).unwrap().as_slice(), &bytes[10..]);
        assert_eq!(handle.read_bytes(100..200).unwrap().as_slice(), &bytes[100..200]);
        assert!(handle.read_bytes(5..5).unwrap().is_empty());
    }
}
