//! datahavn's DataStore: one table per resource, on SQLite (a database file of its own, apart
//! from the catalogue) or PostgreSQL (schema `datastore`), with CKAN's type names, filters,
//! full-text search, guarded SQL and typed bulk loads.
//!
//! The catalogue knows nothing of these tables; the actions layer decides who may read or write
//! which resource and calls in here with resource ids. Every method blocks: run it off the
//! async executor.

pub mod guard;
pub mod ingest;

mod db;
mod dialect;
mod dump;
mod error;
mod exec;
mod filters;
mod fulltext;
mod jobs;
mod load;
mod meta;
mod search;
mod sql;
mod table;
mod types;
mod write;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

pub use db::DatastoreUrl;
pub use error::{DatastoreError, DatastoreResult};
pub use types::{
    CreateTable, DumpFormat, FieldInfo, FieldSpec, RecordsFormat, Search, SearchResult, SqlResult, TableInfo,
    WriteMethod,
};

use db::Pool;
use meta::TableMeta;

/// The DataStore: cheap to clone, shared between threads.
#[derive(Clone)]
pub struct Datastore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    /// Table metadata by resource id, filled on first use and forgotten on every change.
    cache: RwLock<HashMap<String, Arc<TableMeta>>>,
    /// The statement time limit of a search (PostgreSQL), in milliseconds.
    search_timeout_ms: AtomicU64,
    /// Whether loaded tables get their full text filled in the background (PostgreSQL).
    background_full_text: AtomicBool,
    /// Tells the background full-text worker of a table to fill (PostgreSQL).
    fill_queue: Mutex<Option<std::sync::mpsc::Sender<String>>>,
}

/// The default time limit of a search.
pub const DEFAULT_SEARCH_TIMEOUT: Duration = Duration::from_secs(10);

impl Datastore {
    /// Opens (creating the SQLite file / the PostgreSQL schema `datastore` and the metadata
    /// table if missing).
    pub fn open(url: &DatastoreUrl, max_connections: u32) -> DatastoreResult<Self> {
        let pool = Pool::open(url, max_connections)?;
        let postgres = matches!(pool, Pool::Postgres(_));
        let ds = Self {
            inner: Arc::new(Inner {
                pool,
                cache: RwLock::new(HashMap::new()),
                search_timeout_ms: AtomicU64::new(duration_ms(DEFAULT_SEARCH_TIMEOUT)),
                background_full_text: AtomicBool::new(true),
                fill_queue: Mutex::new(None),
            }),
        };
        if postgres {
            fulltext::start_worker(&ds);
        }
        Ok(ds)
    }

    /// Sets the time limit of a search's statements (PostgreSQL; default 10 s). A search
    /// running past it ends with `DatastoreError::Timeout`.
    pub fn set_search_timeout(&self, timeout: Duration) {
        self.inner.search_timeout_ms.store(duration_ms(timeout), Ordering::Relaxed);
    }

    pub(crate) fn search_timeout_ms(&self) -> u64 {
        self.inner.search_timeout_ms.load(Ordering::Relaxed)
    }

    /// Whether tables loaded on PostgreSQL get their full text computed in the background
    /// (the default) or only when `fill_full_text` is called. Searches are complete either way.
    pub fn set_background_full_text(&self, on: bool) {
        self.inner.background_full_text.store(on, Ordering::Relaxed);
    }

    pub(crate) fn background_full_text(&self) -> bool {
        self.inner.background_full_text.load(Ordering::Relaxed)
    }

    /// `"sqlite"` or `"postgresql"`.
    pub fn backend_name(&self) -> &'static str {
        match self.inner.pool {
            Pool::Sqlite { .. } => "sqlite",
            Pool::Postgres(_) => "postgresql",
        }
    }

    pub fn dialect(&self) -> guard::Dialect {
        match self.inner.pool {
            Pool::Sqlite { .. } => guard::Dialect::Sqlite,
            Pool::Postgres(_) => guard::Dialect::Postgres,
        }
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// Runs `f` on a pooled connection of either kind.
    pub(crate) fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut dyn exec::Exec) -> DatastoreResult<T>,
    ) -> DatastoreResult<T> {
        match &self.inner.pool {
            Pool::Sqlite { pool, .. } => {
                let mut conn = pool.get()?;
                f(&mut *conn)
            }
            Pool::Postgres(pool) => {
                let mut conn = db::pg_get(pool, None)?;
                f(conn.client())
            }
        }
    }

    /// Runs `f` in one write transaction (committed when `f` succeeds and `commit` is true).
    pub(crate) fn with_tx<T>(
        &self,
        commit: bool,
        f: impl FnOnce(&mut dyn exec::Exec) -> DatastoreResult<T>,
    ) -> DatastoreResult<T> {
        match &self.inner.pool {
            Pool::Sqlite { pool, .. } => {
                let mut conn = pool.get()?;
                let mut tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(exec::DbErr::from)?;
                let out = f(&mut tx)?;
                if commit {
                    tx.commit().map_err(exec::DbErr::from)?;
                }
                Ok(out)
            }
            Pool::Postgres(pool) => {
                let mut conn = db::pg_get(pool, None)?;
                let mut tx = conn.transaction().map_err(exec::DbErr::from)?;
                let out = f(&mut tx)?;
                if commit {
                    tx.commit().map_err(exec::DbErr::from)?;
                }
                Ok(out)
            }
        }
    }

    /// The metadata of a resource's table (by resource id only), cached.
    pub(crate) fn meta(&self, resource_id: &str) -> DatastoreResult<Option<Arc<TableMeta>>> {
        if let Ok(cache) = self.inner.cache.read()
            && let Some(m) = cache.get(resource_id)
        {
            return Ok(Some(Arc::clone(m)));
        }
        let found = self.with_conn(|c| meta::load(c, resource_id))?;
        Ok(found.map(|m| {
            let m = Arc::new(m);
            if let Ok(mut cache) = self.inner.cache.write() {
                cache.insert(resource_id.to_owned(), Arc::clone(&m));
            }
            m
        }))
    }

    /// The metadata, or CKAN's not found error.
    pub(crate) fn meta_or_404(&self, resource_id: &str) -> DatastoreResult<Arc<TableMeta>> {
        self.meta(resource_id)?.ok_or_else(|| DatastoreError::NotFound(resource_id.to_owned()))
    }

    /// The metadata of the table `name` (a resource id or an alias) stands for, for reading.
    pub(crate) fn meta_read(&self, name: &str) -> DatastoreResult<Arc<TableMeta>> {
        if let Some(m) = self.meta(name)? {
            return Ok(m);
        }
        if let Some(target) = self.with_conn(|c| meta::alias_target(c, name))?
            && let Some(m) = self.meta(&target)?
        {
            return Ok(m);
        }
        Err(DatastoreError::NotFound(name.to_owned()))
    }

    pub(crate) fn forget(&self, resource_id: &str) {
        if let Ok(mut cache) = self.inner.cache.write() {
            cache.remove(resource_id);
        }
    }

    /// The resource id that `name` (a resource id or an alias) stands for, when it has a table.
    pub fn resolve(&self, name: &str) -> DatastoreResult<Option<String>> {
        if self.meta(name)?.is_some() {
            return Ok(Some(name.to_owned()));
        }
        self.with_conn(|c| meta::alias_target(c, name))
    }
}

/// A duration in whole milliseconds (at least 1).
fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}
