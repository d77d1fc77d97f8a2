//! What can go wrong.

/// An error of this crate.
#[derive(Debug, thiserror::Error)]
pub enum DatajsonError {
    /// The body has nothing but whitespace.
    #[error("the document is empty")]
    Empty,
    /// The body is markup, typically an HTML error or login page served instead of JSON.
    #[error("the document is not JSON: it looks like {0}")]
    NotJson(String),
    /// The body is not well-formed JSON.
    #[error("the document is not valid JSON (line {line}, column {column}): {message}")]
    InvalidJson { line: usize, column: usize, message: String },
    /// Well-formed JSON that is not a data.json catalogue.
    #[error("the document is not a data.json catalogue: {0}")]
    NotACatalog(String),
    /// A value that cannot be converted as a dataset.
    #[error("not a dataset: {0}")]
    NotADataset(String),
    /// A [`crate::CatalogInfo`] setting the schema cannot accept.
    #[error("invalid catalogue {field}: {message}")]
    InvalidCatalogInfo { field: &'static str, message: String },
    /// Writing the catalogue failed.
    #[error("writing the catalogue failed: {0}")]
    Io(#[from] std::io::Error),
}

impl DatajsonError {
    pub(crate) fn json(error: serde_json::Error) -> Self {
        let text = error.to_string();
        let message = text.rsplit_once(" at line ").map_or(text.as_str(), |(message, _)| message).to_owned();
        DatajsonError::InvalidJson { line: error.line(), column: error.column(), message }
    }
}
