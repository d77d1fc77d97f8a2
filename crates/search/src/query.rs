//! The Solr-subset AST (domain) as tantivy queries over the index's fields.

use std::ops::Bound as Edge;
use std::sync::Arc;

use chrono::{NaiveDateTime, Utc};
use datahavn_domain::query::{Bound, Query as Ast, RangeValue};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, ExistsQuery, Occur, PhraseQuery, Query, RangeQuery,
    RegexQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TokenStream;
use tantivy::{DateTime, Index, Term};

use crate::collect::ColumnCache;
use crate::dates::DateRange;
use crate::fields::{Fields, PLAIN, TEXT};
use crate::{SearchError, SearchResult};

/// How a query field is searched.
enum Target {
    /// Free text: no field named.
    Free,
    /// Whole values, case-sensitive (names, tags, ids, formats).
    Exact(Field, &'static str),
    /// Analyzed text.
    Text(Field, &'static str),
    Date(Field),
    /// An extra or free-form field, by key.
    Extra(String),
    /// Matches everything (`site_id`: one site per index).
    Everything,
}

fn target(fields: &Fields, name: Option<&str>) -> Target {
    let Some(name) = name else { return Target::Free };
    match name {
        "id" => Target::Exact(fields.id, "id"),
        "name" => Target::Exact(fields.name, "name"),
        "title_string" => Target::Exact(fields.title_string, "title_string"),
        "tags" => Target::Exact(fields.tags, "tags"),
        "groups" => Target::Exact(fields.groups, "groups"),
        "organization" => Target::Exact(fields.organization, "organization"),
        "owner_org" => Target::Exact(fields.owner_org, "owner_org"),
        "capacity" => Target::Exact(fields.capacity, "capacity"),
        "state" => Target::Exact(fields.state, "state"),
        "license_id" => Target::Exact(fields.license_id, "license_id"),
        "dataset_type" | "type" => Target::Exact(fields.dataset_type, "dataset_type"),
        "creator_user_id" => Target::Exact(fields.creator_user_id, "creator_user_id"),
        "url" => Target::Exact(fields.url, "url"),
        "version" => Target::Exact(fields.version, "version"),
        "res_format" => Target::Exact(fields.res_format, "res_format"),
        "res_url" => Target::Exact(fields.res_url, "res_url"),
        "title" => Target::Text(fields.title, TEXT),
        "notes" => Target::Text(fields.notes, TEXT),
        "res_name" => Target::Text(fields.res_name, TEXT),
        "res_description" => Target::Text(fields.res_description, TEXT),
        "text" => Target::Text(fields.text, TEXT),
        "author" | "author_email" => Target::Text(fields.author, PLAIN),
        "maintainer" | "maintainer_email" => Target::Text(fields.maintainer, PLAIN),
        "metadata_created" => Target::Date(fields.metadata_created),
        "metadata_modified" => Target::Date(fields.metadata_modified),
        "site_id" => Target::Everything,
        other => Target::Extra(other.strip_prefix("extras_").unwrap_or(other).to_owned()),
    }
}

fn tokens(index: &Index, analyzer: &str, text: &str) -> Vec<String> {
    let Some(mut analyzer) = index.tokenizers().get(analyzer) else { return Vec::new() };
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

/// All terms in order: a phrase when there are several.
fn phrase_or_term(terms: Vec<Term>) -> Box<dyn Query> {
    match terms.len() {
        0 => Box::new(EmptyQuery),
        1 => terms.into_iter().next().map_or_else(|| Box::new(EmptyQuery) as Box<dyn Query>, term_query),
        _ => Box::new(PhraseQuery::new(terms)),
    }
}

fn extra_term(fields: &Fields, key: &str, token: &str) -> Term {
    let mut term = Term::from_field_json_path(fields.extras, key, false);
    term.append_type_and_str(token);
    term
}

pub(crate) fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        // `<` and `>` stay bare: escaped they are word-boundary assertions.
        if "\\.+*?()|[]{}^$#&-~\"@".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Free text: every word must match somewhere; name, title, tags and groups weigh more.
fn free_text(fields: &Fields, index: &Index, value: &str, phrase: bool) -> Box<dyn Query> {
    let words = tokens(index, TEXT, value);
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if !words.is_empty() {
        let text = if phrase || words.len() == 1 {
            let terms: Vec<Term> = words.iter().map(|w| Term::from_field_text(fields.text, w)).collect();
            phrase_or_term(terms)
        } else {
            let all: Vec<(Occur, Box<dyn Query>)> = words
                .iter()
                .map(|w| (Occur::Must, term_query(Term::from_field_text(fields.text, w))))
                .collect();
            Box::new(BooleanQuery::new(all)) as Box<dyn Query>
        };
        should.push((Occur::Should, text));
        let title: Vec<Term> = words.iter().map(|w| Term::from_field_text(fields.title, w)).collect();
        should.push((Occur::Should, Box::new(BoostQuery::new(phrase_or_term(title), 4.0))));
    }
    for (field, boost) in [(fields.name, 4.0), (fields.tags, 2.0), (fields.groups, 2.0)] {
        should.push((
            Occur::Should,
            Box::new(BoostQuery::new(term_query(Term::from_field_text(field, value)), boost)),
        ));
    }
    Box::new(BooleanQuery::new(should))
}

fn date_value(value: &RangeValue, now: NaiveDateTime) -> SearchResult<DateTime> {
    let naive = match value {
        RangeValue::Date(date) => *date,
        RangeValue::Text(text) => datahavn_domain::query::parse_date(text, now)
            .map_err(|e| SearchError::Query(format!("Invalid date {text:?}: {e}")))?,
    };
    Ok(crate::fields::date_time(naive))
}

fn range_text(value: &RangeValue) -> String {
    match value {
        RangeValue::Text(text) => text.clone(),
        RangeValue::Date(date) => date.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string(),
    }
}

fn edge<T>(bound: &Bound, make: &dyn Fn(&RangeValue) -> SearchResult<T>) -> SearchResult<Edge<T>> {
    Ok(match bound {
        Bound::Unbounded => Edge::Unbounded,
        Bound::Included(value) => Edge::Included(make(value)?),
        Bound::Excluded(value) => Edge::Excluded(make(value)?),
    })
}

/// Translates a parsed `q` or `fq` into a tantivy query.
pub fn translate(
    ast: &Ast,
    fields: &Fields,
    index: &Index,
    columns: &Arc<ColumnCache>,
) -> SearchResult<Box<dyn Query>> {
    let now = Utc::now().naive_utc();
    Ok(match ast {
        Ast::All => Box::new(AllQuery),
        Ast::Term { field, value } | Ast::Phrase { field, text: value } => {
            let phrase = matches!(ast, Ast::Phrase { .. });
            match target(fields, field.as_deref()) {
                Target::Free => free_text(fields, index, value, phrase),
                Target::Everything => Box::new(AllQuery),
                Target::Exact(field, _) => term_query(Term::from_field_text(field, value)),
                Target::Text(field, analyzer) => {
                    let terms = tokens(index, analyzer, value)
                        .iter()
                        .map(|t| Term::from_field_text(field, t))
                        .collect();
                    phrase_or_term(terms)
                }
                Target::Date(field) => {
                    let at = date_value(&RangeValue::Text(value.clone()), now)?;
                    Box::new(DateRange::new(field, Edge::Included(at), Edge::Included(at), columns))
                }
                Target::Extra(key) => {
                    let terms =
                        tokens(index, TEXT, value).iter().map(|t| extra_term(fields, &key, t)).collect();
                    phrase_or_term(terms)
                }
            }
        }
        Ast::Prefix { field, prefix } => {
            let (field, pattern) = match target(fields, field.as_deref()) {
                Target::Exact(field, _) => (field, format!("{}.*", regex_escape(prefix))),
                Target::Text(field, _) => (field, format!("{}.*", regex_escape(&prefix.to_lowercase()))),
                Target::Free => (fields.text, format!("{}.*", regex_escape(&prefix.to_lowercase()))),
                Target::Everything => return Ok(Box::new(AllQuery)),
                Target::Date(_) | Target::Extra(_) => {
                    return Err(SearchError::Query(format!(
                        "Wildcards are not supported on {prefix:?}'s field"
                    )));
                }
            };
            Box::new(
                RegexQuery::from_pattern(&pattern, field)
                    .map_err(|e| SearchError::Query(format!("Invalid wildcard {prefix:?}: {e}")))?,
            )
        }
        Ast::Exists { field } => match target(fields, Some(field)) {
            Target::Exact(_, name) => Box::new(ExistsQuery::new(name.to_owned(), false)),
            Target::Date(_) => Box::new(ExistsQuery::new(field.clone(), false)),
            Target::Text(field, _) => Box::new(
                RegexQuery::from_pattern(".+", field).map_err(|e| SearchError::Query(e.to_string()))?,
            ),
            Target::Extra(key) => {
                let prefix = Term::from_field_json_path(fields.extras, &key, false);
                let _ = prefix;
                return Err(SearchError::Query(format!(
                    "\"{field}:*\" is not supported on free-form fields"
                )));
            }
            Target::Free | Target::Everything => Box::new(AllQuery),
        },
        Ast::Range { field, lower: Bound::Unbounded, upper: Bound::Unbounded } => {
            // `[* TO *]`: the field has a value.
            translate(&Ast::Exists { field: field.clone() }, fields, index, columns)?
        }
        Ast::Range { field, lower, upper } => match target(fields, Some(field)) {
            Target::Date(date_field) => {
                let make = |v: &RangeValue| date_value(v, now);
                Box::new(DateRange::new(date_field, edge(lower, &make)?, edge(upper, &make)?, columns))
            }
            Target::Exact(exact, _) => {
                let make = |v: &RangeValue| -> SearchResult<Term> {
                    Ok(Term::from_field_text(exact, &range_text(v)))
                };
                Box::new(RangeQuery::new(edge(lower, &make)?, edge(upper, &make)?))
            }
            Target::Everything => Box::new(AllQuery),
            _ => return Err(SearchError::Query(format!("Ranges are not supported on the field {field:?}"))),
        },
        Ast::Bool { must, should, must_not } => {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for q in must {
                clauses.push((Occur::Must, translate(q, fields, index, columns)?));
            }
            for q in should {
                clauses.push((Occur::Should, translate(q, fields, index, columns)?));
            }
            for q in must_not {
                clauses.push((Occur::MustNot, translate(q, fields, index, columns)?));
            }
            if must.is_empty() && should.is_empty() {
                clauses.push((Occur::Must, Box::new(AllQuery)));
            }
            Box::new(BooleanQuery::new(clauses))
        }
    })
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{STRING, Schema};

    use super::*;

    #[test]
    fn escaped_text_is_always_a_valid_literal_pattern() {
        let mut builder = Schema::builder();
        let field = builder.add_text_field("name", STRING);
        let mut text: String = (0u8..128).map(char::from).collect();
        text.push_str("é€😀\u{85}\u{2028}");
        for start in 0..text.chars().count() {
            let piece: String = text.chars().skip(start).take(5).collect();
            let pattern = format!("{}.*", regex_escape(&piece));
            assert!(RegexQuery::from_pattern(&pattern, field).is_ok(), "{piece:?} -> {pattern:?}");
        }
    }
}
