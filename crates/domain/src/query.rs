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

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

/// How far parentheses may nest before the query is refused (the parser recurses on them).
pub const MAX_NESTING: usize = 64;

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
    fn new(message: impl Into<String>, position: usize) -> Self {
        Self { message: message.into(), position }
    }
}

/// Parses one `q` or filter string. `now` resolves `NOW` in date math (naive UTC).
///
/// Empty input (or only spaces), `""` and `''` mean everything, as in CKAN.
pub fn parse(input: &str, default_op: Operator, now: NaiveDateTime) -> Result<Query, QueryError> {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed == "\"\"" || trimmed == "''" {
        return Ok(Query::All);
    }
    let mut parser = Parser { chars: input.chars().collect(), pos: 0, op: default_op, now, depth: 0 };
    parser.parse_query(None, None)
}

/// Whether a range value is meant as a date: it starts with `NOW` (alone or followed by date
/// math) or with `YYYY-MM-DD`. Such a value must then parse with [`parse_date`].
pub fn looks_like_date(text: &str) -> bool {
    if let Some(rest) = text.strip_prefix("NOW") {
        return rest.is_empty() || rest.starts_with(['+', '-', '/']);
    }
    let bytes = text.as_bytes();
    let digits =
        |range: std::ops::Range<usize>| bytes.get(range).is_some_and(|b| b.iter().all(u8::is_ascii_digit));
    digits(0..4)
        && bytes.get(4) == Some(&b'-')
        && digits(5..7)
        && bytes.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(bytes.get(10), None | Some(b'T' | b'Z' | b'+' | b'-' | b'/'))
}

/// Parses a Solr date with optional date math, resolving `NOW` against `now`.
///
/// The base is `NOW` or an ISO date: `2024-05-01`, `2024-05-01T10:20:30`, with an optional
/// fraction of a second (`.123456`) and an optional `Z`. Then any number of `+N UNIT`, `-N UNIT`
/// (add or subtract) and `/UNIT` (round down), applied left to right, with the units `YEAR`,
/// `MONTH`, `DAY` (or `DATE`), `HOUR`, `MINUTE`, `SECOND`, `MILLI` (or `MILLISECOND`), each also
/// in the plural: `NOW-1YEAR/DAY`, `NOW+2HOURS`, `2024-05-01T00:00:00Z+1MONTH`.
///
/// The error's position is a character offset within `text`.
pub fn parse_date(text: &str, now: NaiveDateTime) -> Result<NaiveDateTime, QueryError> {
    let fail = |why: &str, at: &str| {
        let offset = text.len().saturating_sub(at.len());
        let position = text.get(..offset).map_or(0, |done| done.chars().count());
        QueryError::new(format!("bad date '{text}': {why}"), position)
    };
    let (mut value, mut rest) = match text.strip_prefix("NOW") {
        Some(rest) => (now, rest),
        None => parse_iso_date(text).map_err(|(why, at)| fail(why, at))?,
    };
    while let Some(op) = rest.chars().next() {
        let after_op = rest.get(op.len_utf8()..).unwrap_or_default();
        match op {
            '/' => {
                let (unit, tail) = take_unit(after_op).map_err(|(why, at)| fail(why, at))?;
                value = round_down(value, unit).ok_or_else(|| fail("the date is out of range", rest))?;
                rest = tail;
            }
            '+' | '-' => {
                let count_len = after_op.bytes().take_while(u8::is_ascii_digit).count();
                let count_text = after_op.get(..count_len).unwrap_or_default();
                if count_text.is_empty() {
                    return Err(fail("expected a number after the sign", after_op));
                }
                let count: u32 = count_text.parse().map_err(|_| fail("the number is too large", after_op))?;
                let tail = after_op.get(count_len..).unwrap_or_default();
                let (unit, tail) = take_unit(tail).map_err(|(why, at)| fail(why, at))?;
                value = shift(value, op == '-', count, unit)
                    .ok_or_else(|| fail("the date is out of range", rest))?;
                rest = tail;
            }
            _ => return Err(fail("expected +, - or / after the date", rest)),
        }
    }
    Ok(value)
}

/// A Solr date math unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Milli,
}

/// Reads `YYYY-MM-DD[THH:MM:SS[.fff…]][Z]`; returns the date and what follows it. The error
/// carries the unread rest of the text, for the position.
fn parse_iso_date(text: &str) -> Result<(NaiveDateTime, &str), (&'static str, &str)> {
    let number = |from: usize, len: usize| -> Option<u32> {
        let part = text.get(from..from + len)?;
        if part.bytes().all(|b| b.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let separator = |at: usize, expected: u8| text.as_bytes().get(at) == Some(&expected);
    let (Some(year), true, Some(month), true, Some(day)) =
        (number(0, 4), separator(4, b'-'), number(5, 2), separator(7, b'-'), number(8, 2))
    else {
        return Err(("expected YYYY-MM-DD", text));
    };
    let year = i32::try_from(year).map_err(|_| ("expected YYYY-MM-DD", text))?;
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or(("no such day", text))?;
    let mut rest = text.get(10..).unwrap_or_default();
    let mut time = NaiveTime::MIN;
    if rest.starts_with('T') {
        let (Some(hour), true, Some(minute), true, Some(second)) =
            (number(11, 2), separator(13, b':'), number(14, 2), separator(16, b':'), number(17, 2))
        else {
            return Err(("expected THH:MM:SS after the date", rest));
        };
        time = NaiveTime::from_hms_opt(hour, minute, second).ok_or(("no such time of day", rest))?;
        rest = text.get(19..).unwrap_or_default();
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(("expected digits after the decimal point", fraction));
            }
            // Nanoseconds: the first nine digits, padded with zeros.
            let nanos = fraction
                .bytes()
                .take(digits)
                .chain(std::iter::repeat(b'0'))
                .take(9)
                .fold(0u32, |acc, digit| acc * 10 + u32::from(digit - b'0'));
            time = time.with_nanosecond(nanos).ok_or(("no such time of day", rest))?;
            rest = fraction.get(digits..).unwrap_or_default();
        }
    }
    if let Some(after_zone) = rest.strip_prefix('Z') {
        rest = after_zone;
    }
    Ok((date.and_time(time), rest))
}

fn take_unit(text: &str) -> Result<(Unit, &str), (&'static str, &str)> {
    let len = text.bytes().take_while(u8::is_ascii_uppercase).count();
    let name = text.get(..len).unwrap_or_default();
    let unit = match name {
        "YEAR" | "YEARS" => Unit::Year,
        "MONTH" | "MONTHS" => Unit::Month,
        "DAY" | "DAYS" | "DATE" => Unit::Day,
        "HOUR" | "HOURS" => Unit::Hour,
        "MINUTE" | "MINUTES" => Unit::Minute,
        "SECOND" | "SECONDS" => Unit::Second,
        "MILLI" | "MILLIS" | "MILLISECOND" | "MILLISECONDS" => Unit::Milli,
        "" => return Err(("expected a unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, MILLI)", text)),
        _ => return Err(("unknown unit (expected YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, MILLI)", text)),
    };
    Ok((unit, text.get(len..).unwrap_or_default()))
}

fn shift(value: NaiveDateTime, subtract: bool, count: u32, unit: Unit) -> Option<NaiveDateTime> {
    let months = match unit {
        Unit::Year => Some(count.checked_mul(12)?),
        Unit::Month => Some(count),
        _ => None,
    };
    if let Some(months) = months {
        let months = Months::new(months);
        return if subtract { value.checked_sub_months(months) } else { value.checked_add_months(months) };
    }
    let count = i64::from(count);
    let delta = match unit {
        Unit::Day => TimeDelta::try_days(count)?,
        Unit::Hour => TimeDelta::try_hours(count)?,
        Unit::Minute => TimeDelta::try_minutes(count)?,
        Unit::Second => TimeDelta::try_seconds(count)?,
        Unit::Milli | Unit::Year | Unit::Month => TimeDelta::try_milliseconds(count)?,
    };
    if subtract { value.checked_sub_signed(delta) } else { value.checked_add_signed(delta) }
}

fn round_down(value: NaiveDateTime, unit: Unit) -> Option<NaiveDateTime> {
    let date = value.date();
    let time = value.time();
    Some(match unit {
        Unit::Year => NaiveDate::from_ymd_opt(date.year(), 1, 1)?.and_time(NaiveTime::MIN),
        Unit::Month => NaiveDate::from_ymd_opt(date.year(), date.month(), 1)?.and_time(NaiveTime::MIN),
        Unit::Day => date.and_time(NaiveTime::MIN),
        Unit::Hour => date.and_hms_opt(time.hour(), 0, 0)?,
        Unit::Minute => date.and_hms_opt(time.hour(), time.minute(), 0)?,
        Unit::Second => value.with_nanosecond(0)?,
        Unit::Milli => value.with_nanosecond(time.nanosecond() / 1_000_000 * 1_000_000)?,
    })
}

/// How a clause takes part in its boolean query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occur {
    Must,
    Should,
    MustNot,
}

/// The prefix written before a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modifier {
    None,
    Required,
    Prohibited,
}

/// The conjunction written between a clause and the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conjunction {
    None,
    And,
    Or,
}

/// A reserved word, recognised only when it stands alone (`AND`, not `ANDROID` or `and`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    And,
    Or,
    Not,
}

/// An unquoted word with its escapes removed.
struct Word {
    text: String,
    start: usize,
    /// Character indexes in `text` of unescaped `*`.
    stars: Vec<usize>,
    /// Input position of the first unescaped `?`.
    question: Option<usize>,
}

/// What a range end was written as.
enum RangeEnd {
    Star,
    Text { text: String, start: usize },
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    op: Operator,
    now: NaiveDateTime,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// The reserved word at the cursor, if one stands there, and its length.
    fn peek_keyword(&self) -> Option<(Keyword, usize)> {
        let rest = self.chars.get(self.pos..).unwrap_or_default();
        let len = rest
            .iter()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '"' | '[' | '{'))
            .count();
        let word: String = rest.iter().take(len).collect();
        let keyword = match word.as_str() {
            "AND" | "&&" => Keyword::And,
            "OR" | "||" => Keyword::Or,
            "NOT" => Keyword::Not,
            _ => return None,
        };
        Some((keyword, len))
    }

    /// Clauses up to the end of the input (`open_paren: None`) or up to the `)` that closes
    /// the `(` at `open_paren`, which is left for the caller.
    fn parse_query(&mut self, field: Option<&str>, open_paren: Option<usize>) -> Result<Query, QueryError> {
        let mut clauses: Vec<(Occur, Query)> = Vec::new();
        loop {
            self.skip_whitespace();
            match (self.peek(), open_paren) {
                (None, Some(open)) => return Err(QueryError::new("'(' is never closed", open)),
                (None, None) | (Some(')'), Some(_)) => break,
                (Some(')'), None) => return Err(QueryError::new("')' has no matching '('", self.pos)),
                _ => {}
            }

            let conjunction_at = self.pos;
            let mut conjunction = Conjunction::None;
            if let Some((keyword @ (Keyword::And | Keyword::Or), len)) = self.peek_keyword() {
                let name = self.chars.iter().skip(self.pos).take(len).collect::<String>();
                if clauses.is_empty() {
                    return Err(QueryError::new(format!("{name} has no clause before it"), conjunction_at));
                }
                conjunction = if keyword == Keyword::And { Conjunction::And } else { Conjunction::Or };
                self.pos += len;
                self.skip_whitespace();
                if matches!(self.peek(), None | Some(')')) {
                    return Err(QueryError::new(format!("{name} has no clause after it"), conjunction_at));
                }
            }

            let modifier_at = self.pos;
            let modifier = match self.peek() {
                Some('+') => {
                    self.pos += 1;
                    Modifier::Required
                }
                Some('-' | '!') => {
                    self.pos += 1;
                    Modifier::Prohibited
                }
                _ => match self.peek_keyword() {
                    Some((Keyword::Not, len)) => {
                        self.pos += len;
                        Modifier::Prohibited
                    }
                    _ => Modifier::None,
                },
            };
            if modifier != Modifier::None {
                let name: String = self.chars.get(modifier_at..self.pos).unwrap_or_default().iter().collect();
                self.skip_whitespace();
                match self.peek() {
                    None | Some(')') => {
                        return Err(QueryError::new(format!("{name} has no clause after it"), modifier_at));
                    }
                    Some('+' | '-' | '!') => {
                        return Err(QueryError::new(format!("expected a clause after {name}"), self.pos));
                    }
                    _ => {}
                }
            }
            if let Some((_, len)) = self.peek_keyword() {
                let name = self.chars.iter().skip(self.pos).take(len).collect::<String>();
                return Err(QueryError::new(format!("expected a clause, found {name}"), self.pos));
            }

            let clause = self.parse_clause(field)?;
            self.add_clause(&mut clauses, conjunction, modifier, clause);
        }
        if clauses.is_empty() {
            return Err(QueryError::new("empty parentheses", open_paren.unwrap_or(self.pos)));
        }
        Ok(build_bool(clauses))
    }

    /// Lucene's `addClause`: a conjunction also changes the clause before it. One deliberate
    /// difference: an explicit `+` is always required (Lucene drops it in `a OR +b` under AND).
    fn add_clause(
        &self,
        clauses: &mut Vec<(Occur, Query)>,
        conjunction: Conjunction,
        modifier: Modifier,
        query: Query,
    ) {
        if let Some(previous) = clauses.last_mut()
            && previous.0 != Occur::MustNot
        {
            if conjunction == Conjunction::And {
                previous.0 = Occur::Must;
            } else if conjunction == Conjunction::Or && self.op == Operator::And {
                previous.0 = Occur::Should;
            }
        }
        let occur = match (modifier, conjunction, self.op) {
            (Modifier::Prohibited, _, _) => Occur::MustNot,
            (Modifier::Required, _, _) | (Modifier::None, Conjunction::And, _) => Occur::Must,
            (Modifier::None, Conjunction::None, Operator::And) => Occur::Must,
            (Modifier::None, Conjunction::None | Conjunction::Or, _) => Occur::Should,
        };
        clauses.push((occur, query));
    }

    /// One clause without its modifier, then an optional boost.
    fn parse_clause(&mut self, field: Option<&str>) -> Result<Query, QueryError> {
        let query = match self.peek() {
            Some('(') => self.parse_group(field)?,
            Some('"') => {
                let text = self.parse_quoted()?;
                Query::Phrase { field: field.map(str::to_owned), text }
            }
            Some('[' | '{') => self.parse_range(field)?,
            Some(c @ (']' | '}' | '^' | '~')) => {
                return Err(QueryError::new(format!("unexpected '{c}'"), self.pos));
            }
            Some(':') => return Err(QueryError::new("expected a field name before ':'", self.pos)),
            _ => {
                let word = self.read_word(false)?;
                if self.peek() == Some(':') {
                    self.parse_field_value(word)?
                } else {
                    word_query(field, word)?
                }
            }
        };
        self.skip_boost()?;
        Ok(query)
    }

    /// `field:` has been read as `name` (the cursor is on the colon): the value after it.
    fn parse_field_value(&mut self, name: Word) -> Result<Query, QueryError> {
        if name.text.is_empty() {
            return Err(QueryError::new("expected a field name before ':'", self.pos));
        }
        let field = name.text;
        if field == "_query_" || field == "_val_" {
            return Err(QueryError::new(format!("{field} (nested queries) is not supported"), name.start));
        }
        if name.question.is_some() || (!name.stars.is_empty() && field != "*") {
            return Err(QueryError::new("a field name cannot contain wildcards", name.start));
        }
        let colon = self.pos;
        self.pos += 1;
        self.skip_whitespace();
        if field == "*" {
            let value = self.read_word(true)?;
            if value.text == "*" && value.stars.len() == 1 {
                return Ok(Query::All);
            }
            return Err(QueryError::new("'*' as a field name only works in *:*", name.start));
        }
        match self.peek() {
            Some('(') => self.parse_group(Some(&field)),
            Some('"') => {
                let text = self.parse_quoted()?;
                Ok(Query::Phrase { field: Some(field), text })
            }
            Some('[' | '{') => self.parse_range(Some(&field)),
            None => Err(QueryError::new(format!("expected a value after '{field}:'"), colon)),
            _ => {
                let value = self.read_word(true)?;
                if value.text.is_empty() {
                    return Err(QueryError::new(format!("expected a value after '{field}:'"), colon));
                }
                word_query(Some(&field), value)
            }
        }
    }

    /// `( … )` at the cursor.
    fn parse_group(&mut self, field: Option<&str>) -> Result<Query, QueryError> {
        let open = self.pos;
        if self.depth >= MAX_NESTING {
            return Err(QueryError::new(format!("parentheses nest deeper than {MAX_NESTING}"), open));
        }
        self.pos += 1;
        self.depth += 1;
        let inner = self.parse_query(field, Some(open))?;
        self.depth -= 1;
        // parse_query stops only on the closing parenthesis.
        self.pos += 1;
        Ok(inner)
    }

    /// `"…"` at the cursor; `\` escapes the next character.
    fn parse_quoted(&mut self) -> Result<String, QueryError> {
        let open = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return Err(QueryError::new("the quote is never closed", open)),
                Some('"') => {
                    self.pos += 1;
                    return Ok(text);
                }
                Some('\\') => {
                    let (c, len) = self.escape()?;
                    text.push(c);
                    self.pos += len;
                }
                Some(c) => {
                    text.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// The escape sequence at the cursor (a backslash): the character it stands for and its
    /// length. `\uXXXX` is a code point; anything else stands for the character after `\`.
    fn escape(&self) -> Result<(char, usize), QueryError> {
        let Some(next) = self.peek_at(1) else {
            return Err(QueryError::new("a backslash at the end escapes nothing", self.pos));
        };
        if next == 'u' {
            let hex: String = self.chars.iter().skip(self.pos + 2).take(4).collect();
            if hex.len() == 4
                && hex.chars().all(|c| c.is_ascii_hexdigit())
                && let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
            {
                return Ok((c, 6));
            }
        }
        Ok((next, 2))
    }

    /// An unquoted word: up to whitespace, a parenthesis, quote, bracket, brace, `^` or `~`,
    /// and, unless `allow_colon`, a `:`.
    fn read_word(&mut self, allow_colon: bool) -> Result<Word, QueryError> {
        let mut word = Word { text: String::new(), start: self.pos, stars: Vec::new(), question: None };
        let mut length = 0;
        while let Some(c) = self.peek() {
            match c {
                c if c.is_whitespace() => break,
                '(' | ')' | '"' | '[' | ']' | '{' | '}' | '^' | '~' => break,
                ':' if !allow_colon => break,
                '\\' => {
                    let (escaped, len) = self.escape()?;
                    word.text.push(escaped);
                    self.pos += len;
                }
                c => {
                    if c == '*' {
                        word.stars.push(length);
                    } else if c == '?' && word.question.is_none() {
                        word.question = Some(self.pos);
                    }
                    word.text.push(c);
                    self.pos += 1;
                }
            }
            length += 1;
        }
        Ok(word)
    }

    /// `[a TO b]`, `{a TO b}` or a mix, at the cursor.
    fn parse_range(&mut self, field: Option<&str>) -> Result<Query, QueryError> {
        let open = self.pos;
        let lower_inclusive = self.peek() == Some('[');
        if !lower_inclusive && self.peek_at(1) == Some('!') {
            return Err(QueryError::new("local parameters ({!...}) are not supported", open));
        }
        let Some(field) = field else {
            return Err(QueryError::new("a range needs a field, as in field:[a TO b]", open));
        };
        self.pos += 1;
        self.skip_whitespace();
        let lower = self.read_range_end()?;
        self.skip_whitespace();
        let to_at = self.pos;
        let to_len = self
            .chars
            .get(self.pos..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ']' | '}'))
            .count();
        let word: String = self.chars.iter().skip(self.pos).take(to_len).collect();
        if word != "TO" {
            let found = if word.is_empty() {
                self.peek().map_or_else(|| "the end".to_owned(), |c| format!("'{c}'"))
            } else {
                format!("'{word}'")
            };
            return Err(QueryError::new(format!("expected TO in the range, found {found}"), to_at));
        }
        self.pos += to_len;
        self.skip_whitespace();
        let upper = self.read_range_end()?;
        self.skip_whitespace();
        let upper_inclusive = match self.peek() {
            Some(']') => true,
            Some('}') => false,
            None => return Err(QueryError::new("the range is never closed with ] or }", open)),
            Some(c) => {
                return Err(QueryError::new(
                    format!("expected ] or }} to close the range, found '{c}'"),
                    self.pos,
                ));
            }
        };
        self.pos += 1;
        Ok(Query::Range {
            field: field.to_owned(),
            lower: self.bound(lower, lower_inclusive)?,
            upper: self.bound(upper, upper_inclusive)?,
        })
    }

    /// One end of a range: `*`, a quoted value, or anything up to whitespace, `]` or `}`.
    fn read_range_end(&mut self) -> Result<RangeEnd, QueryError> {
        let start = self.pos;
        match self.peek() {
            None => return Err(QueryError::new("the range is never closed", start)),
            Some(']' | '}') => return Err(QueryError::new("expected a value in the range", start)),
            Some('"') => {
                let text = self.parse_quoted()?;
                return Ok(RangeEnd::Text { text, start: start + 1 });
            }
            _ => {}
        }
        let mut text = String::new();
        let mut plain_star = false;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || matches!(c, ']' | '}') {
                break;
            }
            if c == '\\' {
                let (escaped, len) = self.escape()?;
                text.push(escaped);
                self.pos += len;
            } else {
                plain_star = text.is_empty() && c == '*';
                text.push(c);
                self.pos += 1;
            }
        }
        if plain_star && text == "*" { Ok(RangeEnd::Star) } else { Ok(RangeEnd::Text { text, start }) }
    }

    fn bound(&self, end: RangeEnd, inclusive: bool) -> Result<Bound, QueryError> {
        let RangeEnd::Text { text, start } = end else {
            return Ok(Bound::Unbounded);
        };
        let value = if looks_like_date(&text) {
            let date = parse_date(&text, self.now)
                .map_err(|error| QueryError::new(error.message, start + error.position))?;
            RangeValue::Date(date)
        } else {
            RangeValue::Text(text)
        };
        Ok(if inclusive { Bound::Included(value) } else { Bound::Excluded(value) })
    }

    /// Skips a boost (`^2`, `^0.5`), which only changes ranking; refuses `~`.
    fn skip_boost(&mut self) -> Result<(), QueryError> {
        if self.peek() == Some('^') {
            let caret = self.pos;
            self.pos += 1;
            let start = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
                self.pos += 1;
            }
            if self.pos == start {
                return Err(QueryError::new("expected a number after '^'", caret));
            }
        }
        if self.peek() == Some('~') {
            return Err(QueryError::new("fuzzy and proximity searches (~) are not supported", self.pos));
        }
        Ok(())
    }
}

/// A term, prefix or exists query from an unquoted word.
fn word_query(field: Option<&str>, word: Word) -> Result<Query, QueryError> {
    if word.text.is_empty() {
        return Err(QueryError::new("expected a value", word.start));
    }
    if let Some(at) = word.question {
        return Err(QueryError::new(
            "the wildcard '?' is not supported (write \\? or quote the value for a question mark)",
            at,
        ));
    }
    let length = word.text.chars().count();
    let field = field.map(str::to_owned);
    match word.stars.as_slice() {
        [] => Ok(Query::Term { field, value: word.text }),
        [0] if length == 1 => Ok(match field {
            Some(field) => Query::Exists { field },
            None => Query::All,
        }),
        [last] if *last + 1 == length => {
            let prefix = word.text.chars().take(*last).collect();
            Ok(Query::Prefix { field, prefix })
        }
        _ => Err(QueryError::new(
            "a wildcard '*' only works at the end of a value, as in abc* (write \\* for an asterisk)",
            word.start,
        )),
    }
}

/// The boolean query of a clause list; a lone must or should clause stands for itself.
fn build_bool(clauses: Vec<(Occur, Query)>) -> Query {
    let mut must = Vec::new();
    let mut should = Vec::new();
    let mut must_not = Vec::new();
    for (occur, query) in clauses {
        match occur {
            Occur::Must => must.push(query),
            Occur::Should => should.push(query),
            Occur::MustNot => must_not.push(query),
        }
    }
    match (must.len(), should.len(), must_not.len()) {
        (1, 0, 0) => must.pop(),
        (0, 1, 0) => should.pop(),
        _ => None,
    }
    .unwrap_or(Query::Bool { must, should, must_not })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

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
        RangeValue::Date(
            NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_micro_opt(h, min, s, micro).unwrap(),
        )
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

    // --- everything ---

    #[test]
    fn empty_and_quoted_empty_inputs_match_everything() {
        for input in ["", "   ", "\"\"", "''", " '' "] {
            assert_eq!(and(input), Query::All, "{input:?}");
            assert_eq!(or(input), Query::All, "{input:?}");
        }
    }

    #[test]
    fn star_colon_star_matches_everything() {
        assert_eq!(and("*:*"), Query::All);
        assert_eq!(and(" *:* "), Query::All);
    }

    #[test]
    fn a_bare_star_matches_everything() {
        assert_eq!(or("*"), Query::All);
    }

    // --- single clauses ---

    #[test]
    fn field_value() {
        assert_eq!(and("res_format:CSV"), term("res_format", "CSV"));
    }

    #[test]
    fn field_names_are_kept_as_written() {
        assert_eq!(and("extras_foo:bar"), term("extras_foo", "bar"));
        assert_eq!(and("Title_String:x"), term("Title_String", "x"));
        assert_eq!(and("res_extras_my.key:x"), term("res_extras_my.key", "x"));
    }

    #[test]
    fn a_bare_term_has_no_field() {
        assert_eq!(or("water"), text("water"));
    }

    #[test]
    fn lowercase_operators_are_plain_words() {
        assert_eq!(or("a and b"), boolean(vec![], vec![text("a"), text("and"), text("b")], vec![]));
        assert_eq!(or("ANDROID"), text("ANDROID"));
    }

    #[test]
    fn quoted_phrase() {
        assert_eq!(or("\"water quality\""), phrase(None, "water quality"));
    }

    #[test]
    fn field_quoted_phrase() {
        assert_eq!(and("tags:\"water quality\""), phrase(Some("tags"), "water quality"));
    }

    #[test]
    fn escaped_quote_inside_a_phrase() {
        assert_eq!(and(r#"title:"say \"hi\"""#), phrase(Some("title"), "say \"hi\""));
    }

    #[test]
    fn values_with_dashes_dots_slashes_at_signs_and_colons() {
        assert_eq!(
            and("id:0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7"),
            term("id", "0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7")
        );
        assert_eq!(and("url:http://x.org/a"), term("url", "http://x.org/a"));
        assert_eq!(and("maintainer_email:ole@example.dk"), term("maintainer_email", "ole@example.dk"));
        assert_eq!(and("version:1.2.3"), term("version", "1.2.3"));
        assert_eq!(and("name:a-b_c"), term("name", "a-b_c"));
    }

    #[test]
    fn whitespace_after_the_colon_is_allowed() {
        assert_eq!(and("name: abc"), term("name", "abc"));
    }

    // --- wildcards ---

    #[test]
    fn trailing_wildcard_is_a_prefix() {
        assert_eq!(and("name:abc*"), Query::Prefix { field: Some("name".into()), prefix: "abc".into() });
        assert_eq!(or("wat*"), Query::Prefix { field: None, prefix: "wat".into() });
    }

    #[test]
    fn star_value_means_the_field_exists() {
        assert_eq!(and("extras_theme:*"), Query::Exists { field: "extras_theme".into() });
    }

    #[test]
    fn other_wildcards_are_refused() {
        assert!(fails("name:*abc").message.contains("end of a value"));
        assert!(fails("name:a*c").message.contains("end of a value"));
        assert!(fails("name:ab?").message.contains('?'));
        assert!(fails("na*e:x").message.contains("field name"));
        assert!(fails("*:abc").message.contains("*:*"));
    }

    #[test]
    fn escaped_wildcards_are_literal() {
        assert_eq!(and(r"title:a\*b\?"), term("title", "a*b?"));
        assert_eq!(and(r"title:\*"), term("title", "*"));
    }

    // --- escapes ---

    #[test]
    fn escapes_remove_special_meaning() {
        assert_eq!(or(r"a\:b"), text("a:b"));
        assert_eq!(or(r"\-a"), text("-a"));
        assert_eq!(and(r"title:my\ dataset"), term("title", "my dataset"));
        assert_eq!(and(r"title:\(x\)"), term("title", "(x)"));
        assert_eq!(and(r"my\ field:x"), term("my field", "x"));
        assert_eq!(and(r"title:caf\u00e9"), term("title", "café"));
        assert_eq!(and(r"title:a\\b"), term("title", r"a\b"));
    }

    #[test]
    fn a_trailing_backslash_is_an_error() {
        assert!(fails(r"title:abc\").message.contains("backslash"));
    }

    // --- modifiers and operators ---

    #[test]
    fn plus_makes_a_clause_required_and_minus_prohibited() {
        assert_eq!(
            or("+a:1 -b:2 c:3"),
            boolean(vec![term("a", "1")], vec![term("c", "3")], vec![term("b", "2")])
        );
    }

    #[test]
    fn a_lone_required_clause_is_the_clause() {
        assert_eq!(and("+capacity:public"), term("capacity", "public"));
    }

    #[test]
    fn not_and_bang_prohibit() {
        let expected = boolean(vec![term("a", "1")], vec![], vec![term("b", "2")]);
        assert_eq!(and("a:1 NOT b:2"), expected);
        assert_eq!(and("a:1 !b:2"), expected);
        assert_eq!(and("a:1 AND NOT b:2"), expected);
        assert_eq!(and("a:1 && !b:2"), expected);
    }

    #[test]
    fn pure_negative_means_everything_except() {
        assert_eq!(and("-a:b"), boolean(vec![], vec![], vec![term("a", "b")]));
        assert_eq!(and("NOT a:b"), boolean(vec![], vec![], vec![term("a", "b")]));
    }

    #[test]
    fn and_requires_both_sides() {
        let expected = boolean(vec![term("a", "1"), term("b", "2")], vec![], vec![]);
        assert_eq!(or("a:1 AND b:2"), expected);
        assert_eq!(or("a:1 && b:2"), expected);
    }

    #[test]
    fn or_makes_both_sides_optional() {
        let expected = boolean(vec![], vec![term("a", "1"), term("b", "2")], vec![]);
        assert_eq!(and("a:1 OR b:2"), expected);
        assert_eq!(and("a:1 || b:2"), expected);
    }

    #[test]
    fn default_operator_and_for_field_syntax() {
        assert_eq!(
            and("tags:\"economy\" res_format:\"CSV\""),
            boolean(vec![phrase(Some("tags"), "economy"), phrase(Some("res_format"), "CSV")], vec![], vec![])
        );
    }

    #[test]
    fn default_operator_or_for_free_text() {
        assert_eq!(or("water quality"), boolean(vec![], vec![text("water"), text("quality")], vec![]));
    }

    #[test]
    fn operators_combine_the_lucene_way() {
        // Lucene's addClause: AND makes the clause before it required; with default AND, OR
        // makes the clause before it optional. No precedence: `a OR b c` is `a b +c`.
        assert_eq!(and("a OR b c"), boolean(vec![text("c")], vec![text("a"), text("b")], vec![]));
        assert_eq!(or("a AND b OR c"), boolean(vec![text("a"), text("b")], vec![text("c")], vec![]));
        assert_eq!(and("a AND b OR c"), boolean(vec![text("a")], vec![text("b"), text("c")], vec![]));
        // A prohibited clause stays prohibited whatever follows it.
        assert_eq!(and("-a OR b"), boolean(vec![], vec![text("b")], vec![text("a")]));
    }

    #[test]
    fn operator_for_q_follows_ckan() {
        assert_eq!(Operator::for_q("name:abc"), Operator::And);
        assert_eq!(Operator::for_q("water quality"), Operator::Or);
    }

    // --- parentheses ---

    #[test]
    fn parentheses_group_and_nest() {
        assert_eq!(
            and("(a:1 OR b:2) AND (c:3 OR (d:4 AND -e:5))"),
            boolean(
                vec![
                    boolean(vec![], vec![term("a", "1"), term("b", "2")], vec![]),
                    boolean(
                        vec![],
                        vec![term("c", "3"), boolean(vec![term("d", "4")], vec![], vec![term("e", "5")])],
                        vec![]
                    ),
                ],
                vec![],
                vec![]
            )
        );
    }

    #[test]
    fn redundant_parentheses_disappear() {
        assert_eq!(and("((name:x))"), term("name", "x"));
    }

    #[test]
    fn field_group_with_or() {
        assert_eq!(
            and("groups:(x OR y)"),
            boolean(vec![], vec![term("groups", "x"), term("groups", "y")], vec![])
        );
    }

    #[test]
    fn field_group_uses_the_default_operator() {
        assert_eq!(and("tags:(a b)"), boolean(vec![term("tags", "a"), term("tags", "b")], vec![], vec![]));
        assert_eq!(or("tags:(a b)"), boolean(vec![], vec![term("tags", "a"), term("tags", "b")], vec![]));
    }

    #[test]
    fn field_group_holds_phrases_prefixes_and_other_fields() {
        assert_eq!(
            or("tags:(\"water quality\" wat* other:x)"),
            boolean(
                vec![],
                vec![
                    phrase(Some("tags"), "water quality"),
                    Query::Prefix { field: Some("tags".into()), prefix: "wat".into() },
                    term("other", "x"),
                ],
                vec![]
            )
        );
    }

    #[test]
    fn ckan_state_and_capacity_filters() {
        assert_eq!(
            and("+state:(active OR draft) +capacity:public"),
            boolean(
                vec![
                    boolean(vec![], vec![term("state", "active"), term("state", "draft")], vec![]),
                    term("capacity", "public"),
                ],
                vec![],
                vec![]
            )
        );
        assert_eq!(and("+site_id:\"default\""), phrase(Some("site_id"), "default"));
    }

    #[test]
    fn unbalanced_parentheses_are_errors() {
        let open = fails("(a:1 OR b:2");
        assert_eq!(open.position, 0);
        assert!(open.message.contains("never closed"));
        let close = fails("a:1)");
        assert_eq!(close.position, 3);
        assert!(close.message.contains("no matching"));
        assert!(fails("groups:(x OR y").message.contains("never closed"));
        assert!(fails("()").message.contains("empty"));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(fails(&deep).message.contains("nest"));
        let fine = format!("{}a{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert_eq!(or(&fine), text("a"));
    }

    // --- ranges ---

    #[test]
    fn inclusive_range() {
        assert_eq!(
            and("num_resources:[1 TO 5]"),
            range(
                "num_resources",
                Bound::Included(RangeValue::Text("1".into())),
                Bound::Included(RangeValue::Text("5".into()))
            )
        );
    }

    #[test]
    fn exclusive_range() {
        assert_eq!(
            and("name:{a TO m}"),
            range(
                "name",
                Bound::Excluded(RangeValue::Text("a".into())),
                Bound::Excluded(RangeValue::Text("m".into()))
            )
        );
    }

    #[test]
    fn mixed_range() {
        assert_eq!(
            and("name:[a TO m}"),
            range(
                "name",
                Bound::Included(RangeValue::Text("a".into())),
                Bound::Excluded(RangeValue::Text("m".into()))
            )
        );
        assert_eq!(
            and("name:{a TO m]"),
            range(
                "name",
                Bound::Excluded(RangeValue::Text("a".into())),
                Bound::Included(RangeValue::Text("m".into()))
            )
        );
    }

    #[test]
    fn star_opens_a_range_end() {
        assert_eq!(range_bounds("num_tags:[* TO *]"), (Bound::Unbounded, Bound::Unbounded));
        assert_eq!(
            range_bounds("num_tags:[-5 TO *]"),
            (Bound::Included(RangeValue::Text("-5".into())), Bound::Unbounded)
        );
    }

    #[test]
    fn quoted_range_values() {
        assert_eq!(
            range_bounds("title_string:[\"a b\" TO \"c]\"]"),
            (Bound::Included(RangeValue::Text("a b".into())), Bound::Included(RangeValue::Text("c]".into())))
        );
    }

    #[test]
    fn range_inside_a_field_group() {
        assert_eq!(
            and("metadata_modified:([* TO 2020-01-01] OR [2024-01-01 TO *])"),
            boolean(
                vec![],
                vec![
                    range(
                        "metadata_modified",
                        Bound::Unbounded,
                        Bound::Included(date(2020, 1, 1, 0, 0, 0, 0))
                    ),
                    range(
                        "metadata_modified",
                        Bound::Included(date(2024, 1, 1, 0, 0, 0, 0)),
                        Bound::Unbounded
                    ),
                ],
                vec![]
            )
        );
    }

    #[test]
    fn harvester_incremental_range() {
        assert_eq!(
            and("metadata_modified:[2024-05-01T09:20:30.123456Z TO *]"),
            range(
                "metadata_modified",
                Bound::Included(date(2024, 5, 1, 9, 20, 30, 123_456)),
                Bound::Unbounded
            )
        );
    }

    #[test]
    fn range_errors() {
        assert!(fails("num:[1 5]").message.contains("expected TO"));
        assert!(fails("num:[1 to 5]").message.contains("expected TO"));
        assert!(fails("num:[1]").message.contains("expected TO"));
        assert!(fails("num:[1 TO 5").message.contains("never closed"));
        assert!(fails("num:[1 TO ]").message.contains("expected a value"));
        assert!(fails("num:[1 TO 5 6]").message.contains("close the range"));
        assert!(fails("[1 TO 5]").message.contains("needs a field"));
        let missing_to = fails("num:[1 5]");
        assert_eq!(missing_to.position, 7);
    }

    // --- dates ---

    #[test]
    fn dates_with_and_without_z_and_fractions() {
        assert_eq!(
            lower_date("d:[2024-05-01T10:20:30.123456Z TO *]"),
            at(2024, 5, 1, 10, 20, 30) + TimeDelta::microseconds(123_456)
        );
        assert_eq!(
            lower_date("d:[2024-05-01T10:20:30.123456 TO *]"),
            at(2024, 5, 1, 10, 20, 30) + TimeDelta::microseconds(123_456)
        );
        assert_eq!(lower_date("d:[2024-05-01T10:20:30Z TO *]"), at(2024, 5, 1, 10, 20, 30));
        assert_eq!(lower_date("d:[2024-05-01T10:20:30 TO *]"), at(2024, 5, 1, 10, 20, 30));
        assert_eq!(lower_date("d:[2024-05-01 TO *]"), at(2024, 5, 1, 0, 0, 0));
        assert_eq!(
            lower_date("d:[2024-05-01T10:20:30.5Z TO *]"),
            at(2024, 5, 1, 10, 20, 30) + TimeDelta::milliseconds(500)
        );
        assert_eq!(lower_date("d:[\"2024-05-01T10:20:30Z\" TO *]"), at(2024, 5, 1, 10, 20, 30));
    }

    #[test]
    fn now_is_the_given_instant() {
        assert_eq!(lower_date("d:[NOW TO *]"), now());
    }

    #[test]
    fn ckan_last_week_filter() {
        assert_eq!(
            and("metadata_modified:[NOW-7DAYS TO NOW]"),
            range(
                "metadata_modified",
                Bound::Included(RangeValue::Date(now() - TimeDelta::days(7))),
                Bound::Included(RangeValue::Date(now()))
            )
        );
    }

    #[test]
    fn date_math_adds_and_subtracts_each_unit() {
        let n = now();
        assert_eq!(parse_date("NOW+2HOURS", n).unwrap(), n + TimeDelta::hours(2));
        assert_eq!(parse_date("NOW-1HOUR", n).unwrap(), n - TimeDelta::hours(1));
        assert_eq!(parse_date("NOW+30MINUTES", n).unwrap(), n + TimeDelta::minutes(30));
        assert_eq!(parse_date("NOW-10SECONDS", n).unwrap(), n - TimeDelta::seconds(10));
        assert_eq!(parse_date("NOW+1DAY", n).unwrap(), n + TimeDelta::days(1));
        assert_eq!(parse_date("NOW+5MILLIS", n).unwrap(), n + TimeDelta::milliseconds(5));
        assert_eq!(
            parse_date("NOW-1MONTH", n).unwrap(),
            at(2024, 4, 15, 13, 45, 30) + TimeDelta::milliseconds(250)
        );
        assert_eq!(
            parse_date("NOW+2YEARS", n).unwrap(),
            at(2026, 5, 15, 13, 45, 30) + TimeDelta::milliseconds(250)
        );
        assert_eq!(parse_date("2024-01-31T00:00:00Z+1MONTH", n).unwrap(), at(2024, 2, 29, 0, 0, 0));
    }

    #[test]
    fn date_math_rounds_down() {
        let n = now();
        assert_eq!(parse_date("NOW/DAY", n).unwrap(), at(2024, 5, 15, 0, 0, 0));
        assert_eq!(parse_date("NOW/YEAR", n).unwrap(), at(2024, 1, 1, 0, 0, 0));
        assert_eq!(parse_date("NOW/MONTH", n).unwrap(), at(2024, 5, 1, 0, 0, 0));
        assert_eq!(parse_date("NOW/HOUR", n).unwrap(), at(2024, 5, 15, 13, 0, 0));
        assert_eq!(parse_date("NOW/MINUTE", n).unwrap(), at(2024, 5, 15, 13, 45, 0));
        assert_eq!(parse_date("NOW/SECOND", n).unwrap(), at(2024, 5, 15, 13, 45, 30));
        assert_eq!(
            parse_date("2024-05-01T10:20:30.123456Z/MILLI", n).unwrap(),
            at(2024, 5, 1, 10, 20, 30) + TimeDelta::milliseconds(123)
        );
    }

    #[test]
    fn date_math_chains_left_to_right() {
        let n = now();
        assert_eq!(parse_date("NOW-1YEAR/DAY", n).unwrap(), at(2023, 5, 15, 0, 0, 0));
        assert_eq!(parse_date("NOW/DAY+1DAY", n).unwrap(), at(2024, 5, 16, 0, 0, 0));
        assert_eq!(lower_date("metadata_created:[NOW-1YEAR/DAY TO NOW/DAY+1DAY}"), at(2023, 5, 15, 0, 0, 0));
    }

    #[test]
    fn bad_dates_are_errors() {
        for input in [
            "d:[NOW-7FOO TO *]",
            "d:[NOW-DAYS TO *]",
            "d:[NOW/ TO *]",
            "d:[NOW-7days TO *]",
            "d:[2024-13-01 TO *]",
            "d:[2024-02-30 TO *]",
            "d:[2024-05-01T25:00:00Z TO *]",
            "d:[2024-05-01T10:20 TO *]",
            "d:[2024-05-01T10:20:30. TO *]",
            "d:[2024-05-01T10:20:30+01:00 TO *]",
            "d:[NOW+99999999999DAYS TO *]",
            "d:[NOW+4000000000YEARS TO *]",
        ] {
            let error = fails(input);
            assert!(error.message.starts_with("bad date"), "{input:?}: {error}");
        }
        let error = fails("metadata_modified:[NOW-7FOO TO *]");
        assert_eq!(error.position, 24);
        assert!(error.message.contains("unknown unit"));
    }

    #[test]
    fn nowish_words_outside_ranges_and_non_dates_stay_text() {
        assert_eq!(and("title:NOW"), term("title", "NOW"));
        assert_eq!(
            range_bounds("version:[2024 TO 2025]").0,
            Bound::Included(RangeValue::Text("2024".into()))
        );
        assert_eq!(range_bounds("name:[now TO z]").0, Bound::Included(RangeValue::Text("now".into())));
        assert_eq!(range_bounds("name:[NOWISH TO z]").0, Bound::Included(RangeValue::Text("NOWISH".into())));
    }

    #[test]
    fn looks_like_date_rule() {
        assert!(looks_like_date("NOW"));
        assert!(looks_like_date("NOW/DAY"));
        assert!(looks_like_date("2024-05-01"));
        assert!(looks_like_date("2024-05-01T10:20:30Z"));
        assert!(!looks_like_date("NOWHERE"));
        assert!(!looks_like_date("2024"));
        assert!(!looks_like_date("2024-05-01x"));
        assert!(!looks_like_date("é"));
    }

    // --- what CKAN's clients send ---

    #[test]
    fn harvester_organization_include() {
        assert_eq!(
            and("organization:a OR organization:b"),
            boolean(vec![], vec![term("organization", "a"), term("organization", "b")], vec![])
        );
    }

    #[test]
    fn harvester_organization_exclude() {
        assert_eq!(
            and("-organization:a -organization:b"),
            boolean(vec![], vec![], vec![term("organization", "a"), term("organization", "b")])
        );
    }

    #[test]
    fn harvester_full_incremental_fq() {
        // What ckanext-harvest joins with spaces. Lucene (and so CKAN's Solr) makes the
        // organization clauses optional next to the required date range.
        let since = Bound::Included(date(2024, 5, 1, 9, 20, 30, 123_456));
        assert_eq!(
            and("organization:a OR organization:b metadata_modified:[2024-05-01T09:20:30.123456Z TO *]"),
            boolean(
                vec![range("metadata_modified", since.clone(), Bound::Unbounded)],
                vec![term("organization", "a"), term("organization", "b")],
                vec![]
            )
        );
        assert_eq!(
            and(
                "-organization:a -organization:b -groups:c metadata_modified:[2024-05-01T09:20:30.123456Z TO *]"
            ),
            boolean(
                vec![range("metadata_modified", since, Bound::Unbounded)],
                vec![],
                vec![term("organization", "a"), term("organization", "b"), term("groups", "c")]
            )
        );
    }

    #[test]
    fn boosts_are_dropped() {
        assert_eq!(
            or("title:water^4 notes:water^0.5"),
            boolean(vec![], vec![term("title", "water"), term("notes", "water")], vec![])
        );
        assert_eq!(or("(a b)^2"), boolean(vec![], vec![text("a"), text("b")], vec![]));
        assert!(fails("title:water^").message.contains("number"));
    }

    // --- refusals ---

    #[test]
    fn local_params_are_refused() {
        for input in ["{!lucene}name:x", "  {!func}sum(1,2)", "name:x {!terms f=id}a,b", "name:{!x}"] {
            assert!(fails(input).message.contains("local parameters"), "{input:?}");
        }
        assert_eq!(fails("{!lucene}x").position, 0);
    }

    #[test]
    fn nested_query_fields_are_refused() {
        assert!(fails("_query_:\"{!dismax}x\"").message.contains("not supported"));
        assert!(fails("_val_:\"sum(1,2)\"").message.contains("not supported"));
    }

    #[test]
    fn fuzzy_and_proximity_are_refused() {
        assert!(fails("title:roam~").message.contains('~'));
        assert!(fails("\"a b\"~3").message.contains('~'));
    }

    #[test]
    fn dangling_operators_are_errors() {
        for input in [
            "a:1 AND",
            "a:1 OR",
            "AND a:1",
            "OR a:1",
            "a:1 AND OR b:2",
            "a:1 -",
            "+",
            "NOT",
            "(a AND)",
            "a:1 NOT NOT b:2",
            "+-a",
        ] {
            let error = fails(input);
            assert!(
                error.message.contains("clause") || error.message.contains("expected"),
                "{input:?}: {error}"
            );
        }
        assert_eq!(fails("a:1 AND").position, 4);
        assert_eq!(fails("a:1 -").position, 4);
    }

    #[test]
    fn unclosed_quotes_are_errors() {
        let error = fails("tags:\"water quality");
        assert_eq!(error.position, 5);
        assert!(error.message.contains("quote"));
    }

    #[test]
    fn missing_values_and_stray_characters_are_errors() {
        assert!(fails("name:").message.contains("expected a value after 'name:'"));
        assert!(fails("name: )").message.contains("expected a value after 'name:'"));
        assert!(fails(":abc").message.contains("field name"));
        assert!(fails("a ] b").message.contains("']'"));
    }

    #[test]
    fn error_display_says_where() {
        let error = fails("(a:1");
        assert_eq!(error.to_string(), "'(' is never closed at position 0");
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        assert_eq!(fails("title:æøå)").position, 9);
    }

    // --- robustness ---

    #[test]
    fn random_inputs_never_panic() {
        const PIECES: &[&str] = &[
            "a",
            "b",
            "x1",
            "é",
            " ",
            " ",
            "  ",
            "\t",
            ":",
            ":",
            "\"",
            "'",
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "{!",
            "*",
            "?",
            "\\",
            "+",
            "-",
            "!",
            "&&",
            "||",
            "^",
            "^2",
            "~",
            "/",
            ".",
            "@",
            "AND",
            "OR",
            "NOT",
            "TO",
            " TO ",
            "NOW",
            "NOW-7DAYS",
            "/DAY",
            "+1YEAR",
            "-",
            "2024-05-01",
            "T10:20:30",
            ".123456",
            "Z",
            "\\u00e9",
            "\\u",
            "name:",
            "metadata_modified:",
            "*:*",
            "_query_:",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut parsed = 0;
        for _ in 0..5_000 {
            let pieces = (next() % 12) as usize;
            let input: String =
                (0..pieces).map(|_| PIECES[(next() % PIECES.len() as u64) as usize]).collect();
            for op in [Operator::And, Operator::Or] {
                match parse(&input, op, now()) {
                    Ok(_) => parsed += 1,
                    Err(error) => assert!(error.position <= input.chars().count(), "{input:?}: {error}"),
                }
            }
        }
        assert!(parsed > 0);
    }
}
