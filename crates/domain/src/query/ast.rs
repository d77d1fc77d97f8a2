//! The parsed query tree, the default operator and the parse error.

use chrono::NaiveDateTime;

/// The operator between clauses that have none written between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    And,
    Or,
}

impl Operator {
    /// CKAN's choice for `q`: a `q` with a colon is field syntax with `q.op=AND`; one without is
    /// free text, where any word may match. Filters (`fq`, `fq_list`) always use [`Operator::And`].
    pub fn for_q(q: &str) -> Self {
        if q.contains(':') { Self::And } else { Self::Or }
    }
}

/// A parsed query. `field: None` means "no field written": the default (free-text) field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Every document: `*:*`, an empty query, `""`, `''`, or a bare `*`.
    All,
    /// One value, as written (escapes removed); the search layer analyses it per field.
    Term { field: Option<String>, value: String },
    /// A quoted value: `"water quality"`, `tags:"water quality"`.
    Phrase { field: Option<String>, text: String },
    /// A trailing wildcard: `name:abc*` has the prefix `abc`.
    Prefix { field: Option<String>, prefix: String },
    /// `field:*`: the field has any value.
    Exists { field: String },
    /// `field:[lower TO upper]`, either end open (`*`), inclusive (`[`/`]`) or exclusive (`{`/`}`).
    Range { field: String, lower: Bound, upper: Bound },
    /// Lucene's boolean query. A document matches when it matches every `must` clause, no
    /// `must_not` clause and, when `must` is empty, at least one `should` clause; with `must`
    /// present, `should` clauses only raise the score. With neither `must` nor `should`
    /// (`-a:b`) it matches every document except those matching `must_not`.
    Bool { must: Vec<Query>, should: Vec<Query>, must_not: Vec<Query> },
}

/// One end of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// `*`: no limit on this side.
    Unbounded,
    /// `[` or `]`: the value itself is in the range.
    Included(RangeValue),
    /// `{` or `}`: the value itself is not in the range.
    Excluded(RangeValue),
}

/// A range end's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeValue {
    /// Anything that is not a date, numbers included; the search layer decides what it means.
    Text(String),
    /// A date or `NOW` expression, resolved to naive UTC.
    Date(NaiveDateTime),
}

/// Why a query could not be parsed, and where: `position` counts characters (not bytes) from
/// the start of the input, starting at 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}")]
pub struct QueryError {
    pub message: String,
    pub position: usize,
}

impl QueryError {
    pub(super) fn new(message: impl Into<String>, position: usize) -> Self {
        Self { message: message.into(), position }
    }
}
