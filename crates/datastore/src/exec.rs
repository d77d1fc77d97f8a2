//! Running statements on either database through one small interface.

use crate::dialect::{Params, pg_refs};
use crate::guard::Dialect;

/// A database error, with the parts the DataStore's answers need.
#[derive(Debug, Clone)]
pub(crate) struct DbErr {
    pub message: String,
    pub unique_violation: bool,
    pub timeout: bool,
    /// A broken connection or a lock not obtained: not the caller's fault.
    pub unavailable: bool,
}

impl From<rusqlite::Error> for DbErr {
    fn from(e: rusqlite::Error) -> Self {
        let (mut unique, mut timeout, mut unavailable) = (false, false, false);
        let mut message = e.to_string();
        if let rusqlite::Error::SqliteFailure(err, msg) = &e {
            unique = err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY;
            timeout = err.code == rusqlite::ErrorCode::OperationInterrupted;
            unavailable =
                matches!(err.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked);
            if let Some(msg) = msg {
                message.clone_from(msg);
            }
        }
        if unique {
            message = format!("duplicate key value violates unique constraint ({message})");
        }
        DbErr { message, unique_violation: unique, timeout, unavailable }
    }
}

impl From<postgres::Error> for DbErr {
    fn from(e: postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => {
                let code = db.code().clone();
                DbErr {
                    message: db.message().to_owned(),
                    unique_violation: code == postgres::error::SqlState::UNIQUE_VIOLATION,
                    timeout: code == postgres::error::SqlState::QUERY_CANCELED,
                    unavailable: false,
                }
            }
            None => {
                DbErr { message: e.to_string(), unique_violation: false, timeout: false, unavailable: true }
            }
        }
    }
}

impl From<DbErr> for crate::DatastoreError {
    fn from(e: DbErr) -> Self {
        if e.timeout {
            crate::DatastoreError::Timeout
        } else if e.unavailable {
            crate::DatastoreError::Unavailable(e.message)
        } else {
            crate::DatastoreError::Internal(e.message)
        }
    }
}

pub(crate) trait Exec {
    fn dialect(&self) -> Dialect;
    fn exec(&mut self, sql: &str, params: &Params) -> Result<u64, DbErr>;
    fn batch(&mut self, sql: &str) -> Result<(), DbErr>;
    /// Rows with every column as text (NULL = None).
    fn rows(&mut self, sql: &str, params: &Params) -> Result<Vec<Vec<Option<String>>>, DbErr>;
}

fn sqlite_text(v: rusqlite::types::ValueRef<'_>) -> Option<String> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

fn sqlite_exec(conn: &rusqlite::Connection, sql: &str, params: &Params) -> Result<u64, DbErr> {
    let values = params.sqlite();
    let mut stmt = conn.prepare_cached(sql)?;
    Ok(stmt.execute(rusqlite::params_from_iter(values.iter()))? as u64)
}

fn sqlite_rows(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &Params,
) -> Result<Vec<Vec<Option<String>>>, DbErr> {
    let values = params.sqlite();
    let mut stmt = conn.prepare_cached(sql)?;
    let n = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut r = Vec::with_capacity(n);
        for i in 0..n {
            r.push(sqlite_text(row.get_ref(i)?));
        }
        out.push(r);
    }
    Ok(out)
}

impl Exec for rusqlite::Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn exec(&mut self, sql: &str, params: &Params) -> Result<u64, DbErr> {
        sqlite_exec(self, sql, params)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbErr> {
        Ok(self.execute_batch(sql)?)
    }

    fn rows(&mut self, sql: &str, params: &Params) -> Result<Vec<Vec<Option<String>>>, DbErr> {
        sqlite_rows(self, sql, params)
    }
}

/// A transaction runs what its connection runs.
impl Exec for rusqlite::Transaction<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn exec(&mut self, sql: &str, params: &Params) -> Result<u64, DbErr> {
        sqlite_exec(self, sql, params)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbErr> {
        Ok(self.execute_batch(sql)?)
    }

    fn rows(&mut self, sql: &str, params: &Params) -> Result<Vec<Vec<Option<String>>>, DbErr> {
        sqlite_rows(self, sql, params)
    }
}

fn pg_rows(rows: Vec<postgres::Row>) -> Result<Vec<Vec<Option<String>>>, DbErr> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut r = Vec::with_capacity(row.len());
        for i in 0..row.len() {
            r.push(row.try_get::<_, Option<String>>(i)?);
        }
        out.push(r);
    }
    Ok(out)
}

macro_rules! pg_exec {
    ($t:ty) => {
        impl Exec for $t {
            fn dialect(&self) -> Dialect {
                Dialect::Postgres
            }

            fn exec(&mut self, sql: &str, params: &Params) -> Result<u64, DbErr> {
                let values = params.pg();
                Ok(self.execute(sql, &pg_refs(&values))?)
            }

            fn batch(&mut self, sql: &str) -> Result<(), DbErr> {
                Ok(self.batch_execute(sql)?)
            }

            fn rows(&mut self, sql: &str, params: &Params) -> Result<Vec<Vec<Option<String>>>, DbErr> {
                let values = params.pg();
                pg_rows(self.query(sql, &pg_refs(&values))?)
            }
        }
    };
}

pg_exec!(postgres::Client);
pg_exec!(postgres::Transaction<'_>);
