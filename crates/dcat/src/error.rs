use crate::RdfFormat;

/// What can go wrong reading or writing DCAT.
#[derive(Debug, thiserror::Error)]
pub enum DcatError {
    /// The document is not valid in the format it was read as.
    #[error("not valid {format}: {message}")]
    Syntax { format: RdfFormat, message: String },
    /// An IRI the caller gave (site URL, base IRI) is not an absolute IRI.
    #[error("not an absolute IRI: {0:?}")]
    InvalidIri(String),
    /// A dataset to write has no `uri`, `id` or `name` to name it by.
    #[error("a dataset without a uri, id or name cannot be written")]
    DatasetWithoutId,
    /// Writing to the output failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
