//! Connections to either backend, pooled with r2d2.

use std::time::{Duration, Instant};

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
/// than with 4 KiB ones; an existing database keeps its page size); the undo records of
/// savepoints kept in memory, not in temporary files.
const SQLITE_INIT: &str = "PRAGMA page_size = 16384; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;";

/// SQLite's settings for a batch's transaction: a page cache of up to 1 GiB, with room for
/// the pages a batch of thousands of datasets changes, so that they are not written out and read
/// back before the commit; and the write-ahead log copied into the database once it holds 1 GiB
/// (65,536 pages), not 16 MiB: the pages that many batches change again (the tails of tables,
/// the leaves of indexes keyed by random ids) are copied once, not after every batch. SQLite
/// takes cache pages as the batch needs them. Other work keeps SQLite's defaults (a 2 MiB cache
/// per connection, 1,000 pages of log).
pub(crate) const SQLITE_BATCH: &str = "PRAGMA cache_size = -1048576; PRAGMA wal_autocheckpoint = 65536;";
pub(crate) const SQLITE_DEFAULTS: &str =
    "PRAGMA cache_size = -2000; PRAGMA shrink_memory; PRAGMA wal_autocheckpoint = 1000;";

/// How long a connection that answered is used without asking the database first whether it
/// is still there (each such question is a round trip to PostgreSQL).
const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// A connection of the pool, with when it last proved to work.
pub struct Pooled {
    conn: AnyConnection,
    /// When the database last answered on it; `None` after a failed unit of work, so that the
    /// next one asks first (a connection the database dropped is then replaced at once).
    proven: Option<Instant>,
}

impl Pooled {
    /// The last unit of work on this connection failed: check it before it is used again.
    pub(crate) fn doubt(&mut self) {
        self.proven = None;
    }
}

impl std::ops::Deref for Pooled {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

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

impl Manager {
    fn open(&self) -> Result<AnyConnection, ConnectError> {
        let target = self.url.connect_string();
        match &self.url {
            DatabaseUrl::Sqlite(_) => {
                let mut conn =
                    SqliteConnection::establish(&target).map_err(|e| ConnectError(e.to_string()))?;
                conn.batch_execute(SQLITE_INIT).map_err(|e| ConnectError(e.to_string()))?;
                keep_query_plans(&mut conn)?;
                Ok(AnyConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(_) => PgConnection::establish(&target)
                .map(AnyConnection::Postgresql)
                .map_err(|e| ConnectError(e.to_string())),
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Pooled;
    type Error = ConnectError;

    fn connect(&self) -> Result<Pooled, ConnectError> {
        Ok(Pooled { conn: self.open()?, proven: Some(Instant::now()) })
    }

    /// Asked of a connection before it is lent: one that answered within [`TRUSTED_FOR`] and
    /// whose last unit of work succeeded is taken as it is; any other is asked `SELECT 1`.
    fn is_valid(&self, conn: &mut Pooled) -> Result<(), ConnectError> {
        if conn.proven.is_some_and(|at| at.elapsed() < TRUSTED_FOR) {
            return Ok(());
        }
        conn.conn.batch_execute("SELECT 1").map_err(|e| ConnectError(e.to_string()))?;
        conn.proven = Some(Instant::now());
        Ok(())
    }

    /// A connection given back while unwinding from a panic, or still inside a transaction, is
    /// discarded: reused, it would run every later unit of work in that open transaction.
    fn has_broken(&self, conn: &mut Pooled) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(&mut conn.conn)
    }
}

/// Makes SQLite keep a prepared statement's plan whatever values are bound to it (its "query
/// planner stability guarantee"). Without it, a statement with a bound `LIMIT` (every
/// `.first()`) is compiled again each time it runs: the statement cache then saves nothing,
/// and compiling was a fifth of a `package_show` read from the database.
#[allow(unsafe_code)]
fn keep_query_plans(conn: &mut SqliteConnection) -> Result<(), ConnectError> {
    use libsqlite3_sys::{SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK, sqlite3_db_config};
    let mut now_on: std::ffi::c_int = 0;
    // SAFETY: the handle is the live connection diesel owns for the duration of the call;
    // this option takes an int (1: on) and a pointer to an int that receives the new setting.
    let rc = unsafe {
        conn.with_raw_connection(|db| {
            sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_QPSG, 1 as std::ffi::c_int, &raw mut now_on)
        })
    };
    if rc != SQLITE_OK || now_on != 1 {
        return Err(ConnectError(format!("SQLite refused its query planner stability option ({rc})")));
    }
    Ok(())
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
    Manager::new(url.clone()).open().map_err(|e| {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite says of the query planner stability option on this connection.
    #[allow(unsafe_code)]
    fn keeps_query_plans(conn: &mut AnyConnection) -> bool {
        use libsqlite3_sys::{SQLITE_DBCONFIG_ENABLE_QPSG, sqlite3_db_config};
        let AnyConnection::Sqlite(conn) = conn else { panic!("not SQLite") };
        let mut on: std::ffi::c_int = -1;
        // SAFETY: as in `keep_query_plans`; -1 asks for the setting without changing it.
        unsafe {
            conn.with_raw_connection(|db| {
                sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_QPSG, -1 as std::ffi::c_int, &raw mut on)
            });
        }
        on == 1
    }

    #[test]
    fn a_connection_is_asked_first_only_when_doubted_or_not_heard_from_lately() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let manager = Manager::new(DatabaseUrl::Sqlite(dir.path().join("checks.db")));
        let mut conn = r2d2::ManageConnection::connect(&manager).unwrap_or_else(|e| panic!("{e}"));
        let opened = conn.proven.unwrap_or_else(|| panic!("a new connection has answered"));
        r2d2::ManageConnection::is_valid(&manager, &mut conn).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(conn.proven, Some(opened), "trusted as it is: no question asked");

        conn.doubt();
        r2d2::ManageConnection::is_valid(&manager, &mut conn).unwrap_or_else(|e| panic!("{e}"));
        assert!(conn.proven.is_some_and(|at| at > opened), "asked again after a failure");

        let asked = conn.proven;
        conn.proven = Some(Instant::now() - TRUSTED_FOR);
        r2d2::ManageConnection::is_valid(&manager, &mut conn).unwrap_or_else(|e| panic!("{e}"));
        assert!(conn.proven > asked, "asked again once not heard from for a while");
    }

    #[test]
    fn a_failed_unit_of_work_leaves_its_connection_doubted() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = DatabaseUrl::Sqlite(dir.path().join("doubt.db"));
        let store = crate::Store::open(&url, 4).unwrap_or_else(|e| panic!("{e}"));
        let worked: Result<(), StorageError> = store.read(|_| Ok(()));
        assert!(worked.is_ok());
        let before = Instant::now();
        let failed: Result<(), StorageError> = store.read(|_| Err(StorageError::Internal("no".into())));
        assert!(failed.is_err());
        // The one idle connection, lent again: asked first, so proven after the failure.
        let conn = store.pool.get().unwrap_or_else(|e| panic!("{e}"));
        assert!(conn.proven.is_some_and(|at| at > before), "asked before it was lent again");
    }

    #[test]
    fn pooled_sqlite_connections_keep_their_query_plans() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = DatabaseUrl::Sqlite(dir.path().join("plans.db"));
        let pool = build_pool(&url, 2).unwrap_or_else(|e| panic!("{e}"));
        let mut first = pool.get().unwrap_or_else(|e| panic!("{e}"));
        let mut second = pool.get().unwrap_or_else(|e| panic!("{e}"));
        assert!(keeps_query_plans(&mut first));
        assert!(keeps_query_plans(&mut second));
    }
}
