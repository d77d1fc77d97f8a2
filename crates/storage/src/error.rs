//! Storage failures, in terms the layers above can act on.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique column already holds the value; `field` names it (`name`, `email`, `id`).
    #[error("conflict on {field}")]
    Conflict { field: &'static str },
    /// The database URL cannot be used.
    #[error("{0}")]
    BadUrl(String),
    /// The database cannot be reached or opened.
    #[error("{0}")]
    Unavailable(String),
    /// The database was migrated by a newer datahavn.
    #[error(
        "the database has schema version {found}, which this datahavn does not know (newest known: {known}); run a newer datahavn"
    )]
    SchemaTooNew { found: String, known: String },
    /// Migrations are pending and this process may not apply them.
    #[error("the database needs {0} migration(s): run `datahavn migrate` first")]
    MigrationsPending(usize),
    /// Anything else; the text is for the log, never for the client.
    #[error("{0}")]
    Internal(String),
}

impl From<DieselError> for StorageError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                let described = format!("{} {}", info.constraint_name().unwrap_or_default(), info.message());
                let field = if described.contains("email") {
                    "email"
                } else if described.contains("name") {
                    "name"
                } else {
                    "id"
                };
                Self::Conflict { field }
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().to_owned())
            }
            DieselError::DatabaseError(_, info) if is_unreachable(info.message()) => {
                Self::Unavailable(info.message().to_owned())
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Messages of a database that cannot answer for now, as opposed to a query that failed:
/// PostgreSQL stopping, restarting or unreachable (libpq's and the server's wording), and a
/// SQLite database still locked by another writer once the busy timeout is over. Each of them
/// fails the statement before anything of its transaction commits, so the unit of work can be
/// retried as a whole.
fn is_unreachable(message: &str) -> bool {
    const MARKS: &[&str] = &[
        "terminating connection",
        "the database system is starting up",
        "the database system is shutting down",
        "the database system is in recovery mode",
        "the database system is not yet accepting connections",
        "server closed the connection unexpectedly",
        "could not connect to server",
        "connection to server at",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "connection refused",
        "database is locked",
    ];
    let message = message.to_ascii_lowercase();
    MARKS.iter().any(|mark| message.contains(mark))
}

impl From<r2d2::Error> for StorageError {
    fn from(error: r2d2::Error) -> Self {
        Self::Unavailable(error.to_string())
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_and_locked_databases_are_unavailable() {
        assert!(is_unreachable("FATAL:  terminating connection due to administrator command"));
        assert!(is_unreachable("FATAL:  the database system is starting up"));
        assert!(is_unreachable("server closed the connection unexpectedly\n\tThis probably means"));
        assert!(is_unreachable("database is locked"));
        assert!(!is_unreachable("duplicate key value violates unique constraint"));
        assert!(!is_unreachable("relation \"package\" does not exist"));
    }
}
