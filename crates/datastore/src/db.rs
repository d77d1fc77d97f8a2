//! Connection pools for the two databases.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{DatastoreError, DatastoreResult};

/// Where the DataStore lives.
#[derive(Debug, Clone)]
pub enum DatastoreUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

pub(crate) const META: &str = "_datastore_table";
pub(crate) const ALIAS: &str = "_datastore_alias";
pub(crate) const JOBS: &str = "_datastore_load";

#[derive(Debug)]
pub(crate) struct SqliteManager {
    pub path: PathBuf,
}

pub(crate) fn sqlite_open(path: &PathBuf) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32000;")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl r2d2::ManageConnection for SqliteManager {
    type Connection = rusqlite::Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> Result<Self::Connection, Self::Error> {
        sqlite_open(&self.path)
    }

    fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        conn.execute_batch("")
    }

    fn has_broken(&self, _conn: &mut Self::Connection) -> bool {
        false
    }
}

#[derive(Debug)]
pub(crate) struct PgManager {
    pub config: postgres::Config,
}

/// A PostgreSQL connection with the search statements it has prepared. (PostgreSQL checks a
/// prepared statement again when a table it reads changes; the SQL text names every column, and
/// the single text result column never changes type.)
pub(crate) struct PgConn {
    /// Always there until the connection is dropped (see `Drop`).
    client: Option<postgres::Client>,
    statements: std::collections::HashMap<String, postgres::Statement>,
    /// The `statement_timeout` (ms) this connection's session was given; None: the server's.
    timeout_ms: Option<u64>,
}

impl PgConn {
    /// The client.
    pub(crate) fn client(&mut self) -> &mut postgres::Client {
        match &mut self.client {
            Some(client) => client,
            None => unreachable!("a PostgreSQL connection is used after it was dropped"),
        }
    }

    /// Gives the session `statement_timeout` = `ms` (None: back to the server's setting), with
    /// a round trip only when it changes: searches set theirs, every other use resets it.
    pub(crate) fn set_timeout(&mut self, ms: Option<u64>) -> Result<(), postgres::Error> {
        if self.timeout_ms == ms {
            return Ok(());
        }
        match ms {
            Some(ms) => self.client().batch_execute(&format!("SET statement_timeout = {ms}"))?,
            None => self.client().batch_execute("RESET statement_timeout")?,
        }
        self.timeout_ms = ms;
        Ok(())
    }

    /// The prepared statement for `sql`, prepared on first use (at most 200 kept).
    pub(crate) fn prepared(&mut self, sql: &str) -> Result<postgres::Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client().prepare(sql)?;
        if self.statements.len() >= 200 {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

impl std::ops::Deref for PgConn {
    type Target = postgres::Client;

    fn deref(&self) -> &postgres::Client {
        match &self.client {
            Some(client) => client,
            None => unreachable!("a PostgreSQL connection is used after it was dropped"),
        }
    }
}

impl std::ops::DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut postgres::Client {
        self.client()
    }
}

/// The synchronous client closes its connection by running its own async runtime, which panics
/// on a thread that already runs one (an HTTP worker shutting down drops the pool there): the
/// client is closed on a thread of its own.
impl Drop for PgConn {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = std::thread::Builder::new().name("datastore-close".into()).spawn(move || drop(client));
        }
    }
}

impl r2d2::ManageConnection for PgManager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Self::Connection, Self::Error> {
        let client = self.config.connect(postgres::NoTls)?;
        Ok(PgConn { client: Some(client), statements: std::collections::HashMap::new(), timeout_ms: None })
    }

    fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        conn.client().simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        conn.client().is_closed()
    }
}

pub(crate) enum Pool {
    Sqlite { pool: r2d2::Pool<SqliteManager>, path: PathBuf },
    Postgres(r2d2::Pool<PgManager>),
}

/// A pooled PostgreSQL connection with the session's statement time limit set to `timeout_ms`
/// (None: the server's own).
pub(crate) fn pg_get(
    pool: &r2d2::Pool<PgManager>,
    timeout_ms: Option<u64>,
) -> DatastoreResult<r2d2::PooledConnection<PgManager>> {
    let mut conn = pool.get()?;
    conn.set_timeout(timeout_ms)?;
    Ok(conn)
}

impl Pool {
    pub(crate) fn open(url: &DatastoreUrl, max: u32) -> DatastoreResult<Pool> {
        let max = max.max(1);
        match url {
            DatastoreUrl::Sqlite(path) => {
                if let Some(dir) = path.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| DatastoreError::Unavailable(format!("{}: {e}", dir.display())))?;
                }
                let conn = sqlite_open(path)?;
                conn.execute_batch(&format!(
                    "CREATE TABLE IF NOT EXISTS {META} (resource_id TEXT PRIMARY KEY, meta TEXT NOT NULL, \
                     row_count INTEGER NOT NULL DEFAULT 0);
                     CREATE TABLE IF NOT EXISTS {ALIAS} (name TEXT PRIMARY KEY, resource_id TEXT NOT NULL);
                     CREATE TABLE IF NOT EXISTS {JOBS} (resource_id TEXT PRIMARY KEY, state TEXT NOT NULL, \
                     status TEXT NOT NULL);"
                ))?;
                drop(conn);
                let pool = r2d2::Pool::builder()
                    .max_size(max)
                    .min_idle(Some(0))
                    .test_on_check_out(false)
                    .connection_timeout(Duration::from_secs(30))
                    .build(SqliteManager { path: path.clone() })?;
                Ok(Pool::Sqlite { pool, path: path.clone() })
            }
            DatastoreUrl::Postgres(url) => {
                let config: postgres::Config =
                    url.parse().map_err(|e| DatastoreError::Unavailable(format!("datastore url: {e}")))?;
                let pool = r2d2::Pool::builder()
                    .max_size(max)
                    .min_idle(Some(0))
                    .test_on_check_out(false)
                    .connection_timeout(Duration::from_secs(30))
                    .build(PgManager { config })?;
                let mut client = pool.get()?;
                let setup = format!(
                    "CREATE SCHEMA IF NOT EXISTS datastore;
                     CREATE TABLE IF NOT EXISTS datastore.{META} (resource_id TEXT PRIMARY KEY, meta TEXT NOT NULL, \
                     row_count BIGINT NOT NULL DEFAULT 0);
                     CREATE TABLE IF NOT EXISTS datastore.{ALIAS} (name TEXT PRIMARY KEY, resource_id TEXT NOT NULL);
                     CREATE TABLE IF NOT EXISTS datastore.{JOBS} (resource_id TEXT PRIMARY KEY, state TEXT NOT NULL, \
                     status TEXT NOT NULL);
                     CREATE OR REPLACE FUNCTION datastore.populate_full_text() RETURNS trigger AS $f$
                     BEGIN
                       IF TG_OP = 'UPDATE' AND NEW._full_text IS DISTINCT FROM OLD._full_text THEN
                         RETURN NEW;
                       END IF;
                       NEW._full_text := to_tsvector('english', coalesce((SELECT string_agg(value, ' ')
                         FROM json_each_text(row_to_json(NEW)) WHERE key = ANY(TG_ARGV)), ''));
                       RETURN NEW;
                     END $f$ LANGUAGE plpgsql;"
                );
                // Several servers may start at once: a lost race on CREATE is harmless.
                if let Err(e) = client.batch_execute(&setup) {
                    let retry = client.batch_execute(&setup);
                    if retry.is_err() {
                        return Err(e.into());
                    }
                }
                drop(client);
                Ok(Pool::Postgres(pool))
            }
        }
    }
}
