//! The clause level: [`parse`] turns a query string into a [`Query`], the way Lucene combines
//! clauses, modifiers and conjunctions.

use chrono::NaiveDateTime;

use super::date::{looks_like_date, parse_date};
use super::lexer::{Keyword, RangeEnd, Word};
use super::{Bound, Operator, Query, QueryError, RangeValue};

/// How far parentheses may nest before the query is refused (the parser recurses on them).
pub const MAX_NESTING: usize = 64;

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

/// The parser's state: the input, the cursor in it (a character index), the default operator,
/// the instant `NOW` means and how deep the parentheses nest at the cursor.
pub(super) struct Parser {
    pub(super) chars: Vec<char>,
    pub(super) pos: usize,
    op: Operator,
    now: NaiveDateTime,
    depth: usize,
}

impl Parser {
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
