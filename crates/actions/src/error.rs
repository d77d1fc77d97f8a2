//! The outcomes of an action that are not a result, as CKAN's logic layer raises them.

use datahavn_domain::ValidationErrors;
use datahavn_storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// 409: field errors, no message.
    #[error("validation failed: {0}")]
    Validation(ValidationErrors),
    /// 409 with a dict whose values are not lists, as a few CKAN actions answer
    /// (`package_update` without id: `{"id": "Missing value"}`).
    #[error("validation failed")]
    ValidationDict(serde_json::Map<String, serde_json::Value>),
    /// 404: `Not found` or `Not found: <reason>`.
    #[error("not found")]
    NotFound(Option<String>),
    /// 403: `Access denied` or `Access denied: <reason>`.
    #[error("access denied")]
    NotAuthorized(Option<String>),
    /// 400: a request whose nesting the action cannot read (CKAN's `DataError`).
    #[error("integrity error: {0}")]
    Integrity(String),
    /// 400: a search request that cannot be run (`Search Query Error`).
    #[error("search query error: {0}")]
    SearchQuery(String),
    /// 503 with `Retry-After`: the database cannot be reached (refused, restarting, pool
    /// exhausted, SQLite locked past its busy timeout). The cause is logged, never shown.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// 500: logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ActionResult<T = serde_json::Value> = Result<T, ActionError>;

impl ActionError {
    pub fn not_found(reason: impl Into<String>) -> Self {
        Self::NotFound(Some(reason.into()))
    }

    pub fn denied(reason: impl Into<String>) -> Self {
        Self::NotAuthorized(Some(reason.into()))
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(ValidationErrors::single(field, message))
    }
}

impl From<ValidationErrors> for ActionError {
    fn from(errors: ValidationErrors) -> Self {
        Self::Validation(errors)
    }
}

impl From<StorageError> for ActionError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::NotFound => Self::NotFound(None),
            StorageError::Conflict { field } => Self::field(field, "That value is already in use."),
            StorageError::Unavailable(cause) => Self::Unavailable(cause),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Turns a permission decision into CKAN's 403.
pub fn authorize(decision: Result<(), String>) -> ActionResult<()> {
    decision.map_err(ActionError::denied)
}
