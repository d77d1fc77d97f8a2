//! Connections to either backend, pooled with r2d2.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::{DatabaseUrl, StorageError};

/// One connection to whichever database the URL named.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Per-connection settings for SQLite: enforced foreign keys, WAL, a busy timeout; a new
/// database is made of 16 KiB pages (a dataset's row, a few KiB, leaves less of a page unused
/// than with 4 KiB ones; an existing database keeps its page size).
const SQLITE_INIT: &str = "PRAGMA page_size = 16384; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";

/// Opens connections for the pool, choosing the backend from the URL's scheme.
#[derive(Debug)]
pub(crate) struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub(crate) fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

impl r2d2::ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<AnyConnection, ConnectError> {
        let target = self.url.connect_string();
        match &self.url {
            DatabaseUrl::Sqlite(_) => {
                let mut conn =
                    SqliteConnection::establish(&target).map_err(|e| ConnectError(e.to_string()))?;
                conn.batch_execute(SQLITE_INIT).map_err(|e| ConnectError(e.to_string()))?;
                Ok(AnyConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(_) => PgConnection::establish(&target)
                .map(AnyConnection::Postgresql)
                .map_err(|e| ConnectError(e.to_string())),
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ConnectError> {
        conn.batch_execute("SELECT 1").map_err(|e| ConnectError(e.to_string()))
    }

    /// A connection given back while unwinding from a panic, or still inside a transaction, is
    /// discarded: reused, it would run every later unit of work in that open transaction.
    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

pub(crate) type Pool = r2d2::Pool<Manager>;

/// Builds a pool and proves the database answers, so a wrong URL fails at start-up.
pub(crate) fn build_pool(url: &DatabaseUrl, max_size: u32) -> Result<Pool, StorageError> {
    if let DatabaseUrl::Sqlite(path) = url
        && let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| StorageError::Unavailable(format!("cannot create {}: {e}", parent.display())))?;
    }
    // One direct attempt gives the real reason (refused, unknown database, bad file) at once.
    // It comes before the pool, whose background thread connects too: two connections switching
    // a new SQLite file to WAL at once make one fail with `database is locked`.
    r2d2::ManageConnection::connect(&Manager::new(url.clone())).map_err(|e| {
        StorageError::Unavailable(format!("cannot connect to {}: {}", url.redacted(), e.0.trim()))
    })?;
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        // No connections opened in the background: a process that exits early (a start-up
        // error) must not race a pool thread inside the database client library.
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(5))
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .build_unchecked(Manager::new(url.clone()));
    Ok(pool)
}
