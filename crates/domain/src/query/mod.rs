//! The Solr/Lucene query syntax that CKAN clients send in `package_search`'s `q`, `fq` and
//! `fq_list`, parsed into a [`Query`] tree that the search layer turns into an index query.
//!
//! The grammar is the classic Lucene query parser's, which Solr's standard (`lucene`) parser
//! shares:
//!
//! - clauses: `field:value`, bare `value` (no field: the default / free-text field),
//!   `"a phrase"`, `field:"a phrase"`, `field:(a OR b)`, `(nested clauses)`;
//! - ranges `field:[a TO b]`, `field:{a TO b}`, mixed `[a TO b}`, `*` for an open end; values that
//!   look like dates (`2024-05-01`, `2024-05-01T10:20:30`, `…30.123456Z`, `NOW`, `NOW-7DAYS`,
//!   `NOW/DAY`, `NOW-1YEAR/DAY`, …) become [`RangeValue::Date`];
//! - wildcards: `field:*` (the field has a value), `abc*` (prefix), `*:*` (everything);
//! - modifiers `+` (must), `-`, `!`, `NOT` (must not); conjunctions `AND`/`&&`, `OR`/`||`;
//! - backslash escapes (`\:`, `\-`, `\ `, `\"`, `\uXXXX`, …);
//! - boosts (`a^2`) are accepted and dropped: they only change ranking.
//!
//! Clauses next to each other are joined with the default operator, as Lucene does it: each
//! clause gets an occurrence (must / should / must not) from its modifier and the conjunctions
//! on either side, so `a OR b c` with default AND is `a b +c`, exactly what Solr makes of it.
//!
//! Solr itself refuses `url:http://x.org` (the second `:` and the `/`); this parser is kinder:
//! after `field:` the value runs to the next space or parenthesis, colons and slashes included.
//!
//! Refused with a [`QueryError`] (never a panic): unbalanced parentheses, brackets or quotes, a
//! range without `TO`, a dangling operator or modifier, bad date math, local parameters
//! (`{!...}`), nested queries (`_query_`, `_val_`), fuzzy/proximity (`~`), `?` and `*` anywhere
//! but at the end of a term.
//!
//! The module's files:
//!
//! - `ast.rs`: what a parse produces: the [`Query`] tree with its range [`Bound`]s and
//!   [`RangeValue`]s, the default [`Operator`] and the [`QueryError`];
//! - `lexer.rs`: the character level: the cursor, reserved words, unquoted words with their
//!   wildcards, quoted text, backslash escapes, range ends and boosts;
//! - `parser.rs`: [`parse`] itself: clauses with their modifiers and conjunctions, groups, field
//!   values and ranges, combined into boolean queries the Lucene way;
//! - `date.rs`: Solr dates and date math in range values ([`looks_like_date`], [`parse_date`]);
//! - `tests/`: the unit tests, by topic.

mod ast;
mod date;
mod lexer;
mod parser;

pub use ast::{Bound, Operator, Query, QueryError, RangeValue};
pub use date::{looks_like_date, parse_date};
pub use parser::{MAX_NESTING, parse};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
