//! Unit tests of the query parser, by topic; the helpers shared by all of them are here.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

use super::*;

mod clauses;
mod clients;
mod dates;
mod ranges;
mod refusals;

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 5, 15).unwrap().and_hms_micro_opt(13, 45, 30, 250_000).unwrap()
}

fn and(input: &str) -> Query {
    parse(input, Operator::And, now()).unwrap_or_else(|e| panic!("{input:?}: {e}"))
}

fn or(input: &str) -> Query {
    parse(input, Operator::Or, now()).unwrap_or_else(|e| panic!("{input:?}: {e}"))
}

fn fails(input: &str) -> QueryError {
    match parse(input, Operator::And, now()) {
        Ok(query) => panic!("{input:?} parsed as {query:?}"),
        Err(error) => error,
    }
}

fn term(field: &str, value: &str) -> Query {
    Query::Term { field: Some(field.to_owned()), value: value.to_owned() }
}

fn text(value: &str) -> Query {
    Query::Term { field: None, value: value.to_owned() }
}

fn phrase(field: Option<&str>, text: &str) -> Query {
    Query::Phrase { field: field.map(str::to_owned), text: text.to_owned() }
}

fn boolean(must: Vec<Query>, should: Vec<Query>, must_not: Vec<Query>) -> Query {
    Query::Bool { must, should, must_not }
}

fn date(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32, micro: u32) -> RangeValue {
    RangeValue::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_micro_opt(h, min, s, micro).unwrap())
}

fn range(field: &str, lower: Bound, upper: Bound) -> Query {
    Query::Range { field: field.to_owned(), lower, upper }
}

fn range_bounds(input: &str) -> (Bound, Bound) {
    match and(input) {
        Query::Range { lower, upper, .. } => (lower, upper),
        other => panic!("{input:?} is not a range: {other:?}"),
    }
}

fn lower_date(input: &str) -> NaiveDateTime {
    match range_bounds(input).0 {
        Bound::Included(RangeValue::Date(d)) | Bound::Excluded(RangeValue::Date(d)) => d,
        other => panic!("{input:?}: lower bound is not a date: {other:?}"),
    }
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, s).unwrap()
}
