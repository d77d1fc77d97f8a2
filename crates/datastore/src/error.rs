//! Errors of the DataStore, shaped after the answers CKAN 2.12 gives.

use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum DatastoreError {
    /// The resource has no DataStore table (CKAN 404 `Resource "<id>" was not found.`).
    #[error("Resource \"{0}\" was not found.")]
    NotFound(String),
    /// CKAN 409 field errors, e.g. `{"fields": ["\"x\" is not a valid field type"]}`.
    #[error("validation error: {}", Value::Object(.0.clone()))]
    Validation(Map<String, Value>),
    /// A statement the database refused (`{"query": [message], "info": {...}}`).
    #[error("{message}")]
    Query { message: String, info: Option<Value> },
    /// The statement ran past its time limit.
    #[error("Search took too long")]
    Timeout,
    #[error("datastore unavailable: {0}")]
    Unavailable(String),
    #[error("datastore internal error: {0}")]
    Internal(String),
}

pub type DatastoreResult<T> = Result<T, DatastoreError>;

impl DatastoreError {
    /// `{key: [message]}`.
    pub fn validation(key: &str, message: impl Into<String>) -> Self {
        let mut map = Map::new();
        map.insert(key.to_owned(), Value::Array(vec![Value::String(message.into())]));
        Self::Validation(map)
    }

    /// `{key: [message], extra_key: extra}`.
    pub fn validation_with(key: &str, message: impl Into<String>, extra: (&str, Value)) -> Self {
        let mut map = Map::new();
        map.insert(key.to_owned(), Value::Array(vec![Value::String(message.into())]));
        map.insert(extra.0.to_owned(), extra.1);
        Self::Validation(map)
    }

    /// The error map CKAN would answer with (for `Validation`, `Query` and `Timeout`).
    pub fn error_dict(&self) -> Option<Map<String, Value>> {
        match self {
            Self::Validation(map) => Some(map.clone()),
            Self::Query { message, info } => {
                let mut map = Map::new();
                map.insert("query".into(), Value::Array(vec![Value::String(message.clone())]));
                if let Some(info) = info {
                    map.insert("info".into(), info.clone());
                }
                Some(map)
            }
            Self::Timeout => {
                let mut map = Map::new();
                map.insert("query".into(), serde_json::json!(["Search took too long"]));
                Some(map)
            }
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for DatastoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(err, _) = &e {
            match err.code {
                rusqlite::ErrorCode::OperationInterrupted => return Self::Timeout,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                    return Self::Unavailable(e.to_string());
                }
                _ => {}
            }
        }
        Self::Internal(format!("sqlite: {e}"))
    }
}

impl From<postgres::Error> for DatastoreError {
    fn from(e: postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            if *db.code() == postgres::error::SqlState::QUERY_CANCELED {
                return Self::Timeout;
            }
            // PostgreSQL stopping or starting: the statement did nothing, a retry may succeed.
            use postgres::error::SqlState;
            if [SqlState::ADMIN_SHUTDOWN, SqlState::CRASH_SHUTDOWN, SqlState::CANNOT_CONNECT_NOW]
                .contains(db.code())
            {
                return Self::Unavailable(db.message().to_owned());
            }
            return Self::Internal(format!("postgresql: {}", db.message()));
        }
        if e.is_closed() {
            return Self::Unavailable(e.to_string());
        }
        Self::Internal(format!("postgresql: {e}"))
    }
}

impl From<r2d2::Error> for DatastoreError {
    fn from(e: r2d2::Error) -> Self {
        Self::Unavailable(e.to_string())
    }
}
