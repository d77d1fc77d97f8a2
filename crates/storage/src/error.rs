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
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<r2d2::Error> for StorageError {
    fn from(error: r2d2::Error) -> Self {
        Self::Unavailable(error.to_string())
    }
}

pub type StorageResult<T> = Result<T, StorageError>;
