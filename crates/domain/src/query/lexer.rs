//! The character level of the parser: the cursor, reserved words, unquoted words, quoted text,
//! escapes, range ends and boosts.

use super::QueryError;
use super::parser::Parser;

/// A reserved word, recognised only when it stands alone (`AND`, not `ANDROID` or `and`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    And,
    Or,
    Not,
}

/// An unquoted word with its escapes removed.
pub(super) struct Word {
    pub(super) text: String,
    pub(super) start: usize,
    /// Character indexes in `text` of unescaped `*`.
    pub(super) stars: Vec<usize>,
    /// Input position of the first unescaped `?`.
    pub(super) question: Option<usize>,
}

/// What a range end was written as.
pub(super) enum RangeEnd {
    Star,
    Text { text: String, start: usize },
}

impl Parser {
    pub(super) fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    pub(super) fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    pub(super) fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// The reserved word at the cursor, if one stands there, and its length.
    pub(super) fn peek_keyword(&self) -> Option<(Keyword, usize)> {
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

    /// `"…"` at the cursor; `\` escapes the next character.
    pub(super) fn parse_quoted(&mut self) -> Result<String, QueryError> {
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
    pub(super) fn escape(&self) -> Result<(char, usize), QueryError> {
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
    pub(super) fn read_word(&mut self, allow_colon: bool) -> Result<Word, QueryError> {
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

    /// One end of a range: `*`, a quoted value, or anything up to whitespace, `]` or `}`.
    pub(super) fn read_range_end(&mut self) -> Result<RangeEnd, QueryError> {
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

    /// Skips a boost (`^2`, `^0.5`), which only changes ranking; refuses `~`.
    pub(super) fn skip_boost(&mut self) -> Result<(), QueryError> {
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
