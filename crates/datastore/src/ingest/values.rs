//! Cell values: recognising numbers and ISO timestamps, inferring a column's type from all of
//! its values, and writing values in the form PostgreSQL's COPY and SQLite accept.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};
use std::fmt::Write as _;

/// How a column's values are read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Numbers; `decimal_comma`: written with `,` before the decimals (read as `.`).
    Numeric {
        decimal_comma: bool,
    },
    Timestamp,
}

impl Kind {
    /// The CKAN DataStore type.
    pub fn ckan_type(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Numeric { .. } => "numeric",
            Kind::Timestamp => "timestamp",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumberShape {
    Integer,
    DecimalPoint,
    DecimalComma,
}

/// `[+-]?digits([.,]digits)?`, the integer part without leading zeros.
pub(super) fn number_shape(b: &[u8]) -> Option<NumberShape> {
    let b = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if int_len == 0 || (int_len > 1 && b[0] == b'0') {
        return None;
    }
    let rest = &b[int_len..];
    let shape = match rest.first() {
        None => return Some(NumberShape::Integer),
        Some(b'.') => NumberShape::DecimalPoint,
        Some(b',') => NumberShape::DecimalComma,
        Some(_) => return None,
    };
    let frac = &rest[1..];
    (!frac.is_empty() && frac.iter().all(u8::is_ascii_digit)).then_some(shape)
}

/// A number written as plain decimal text, or `None` if `s` is not one in this column.
pub(super) fn normalise_number(s: &str, decimal_comma: bool) -> Option<String> {
    let shape = number_shape(s.as_bytes())?;
    if shape == NumberShape::DecimalComma && !decimal_comma {
        return None;
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    Some(if shape == NumberShape::DecimalComma { s.replacen(',', ".", 1) } else { s.to_owned() })
}

/// A point in time read from an ISO 8601 text: UTC if an offset was given, else as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Timestamp {
    pub at: NaiveDateTime,
    /// Digits of the fraction of a second to write (0: none).
    pub frac_digits: u8,
}

impl Timestamp {
    pub(super) fn write(&self) -> String {
        let (d, t) = (self.at.date(), self.at.time());
        let mut out = String::with_capacity(30);
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            chrono::Datelike::year(&d),
            chrono::Datelike::month(&d),
            chrono::Datelike::day(&d),
            t.hour(),
            t.minute(),
            t.second()
        );
        if self.frac_digits > 0 {
            let n = u32::from(self.frac_digits.min(9));
            let frac = t.nanosecond() / 10u32.pow(9 - n);
            let _ = write!(out, ".{frac:0width$}", width = n as usize);
        }
        out
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = b.get(at..at + n)?;
    part.iter().try_fold(0u32, |v, c| c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0')))
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM`, `:SS`, `.fraction`, and `Z` or
/// `±HH`, `±HHMM`, `±HH:MM`. Dates and times must exist.
pub(super) fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date =
        NaiveDate::from_ymd_opt(i32::try_from(digits(b, 0, 4)?).ok()?, digits(b, 5, 2)?, digits(b, 8, 2)?)?;
    if b.len() == 10 {
        return Some(Timestamp { at: date.and_time(NaiveTime::MIN), frac_digits: 0 });
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.get(13) != Some(&b':') {
        return None;
    }
    let (hour, minute) = (digits(b, 11, 2)?, digits(b, 14, 2)?);
    let (mut second, mut nanos, mut frac_digits) = (0, 0, 0u8);
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        second = digits(b, i + 1, 2)?;
        i += 3;
        if matches!(b.get(i), Some(b'.' | b',')) {
            let start = i + 1;
            let n = b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return None;
            }
            nanos = digits(b, start, n)? * 10u32.pow(9 - n as u32);
            frac_digits = n as u8;
            i = start + n;
        }
    }
    let mut at = date.and_time(NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?);
    match b.get(i) {
        None => {}
        Some(b'Z' | b'z') if i + 1 == b.len() => {}
        Some(sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2)?;
            let om = match &b[i + 3..] {
                [] => 0,
                [b':', _, _] => digits(b, i + 4, 2)?,
                [_, _] => digits(b, i + 3, 2)?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let offset = TimeDelta::minutes(i64::from(oh * 60 + om));
            at = if *sign == b'+' { at.checked_sub_signed(offset)? } else { at.checked_add_signed(offset)? };
            if !(0..=9999).contains(&chrono::Datelike::year(&at)) {
                return None;
            }
        }
        Some(_) => return None,
    }
    Some(Timestamp { at, frac_digits })
}

/// What the values of one column seen so far allow it to be.
#[derive(Debug, Clone)]
pub(super) struct ColumnStats {
    any: bool,
    /// Every value an integer or a number with a decimal point (or a spreadsheet number).
    point_numbers: bool,
    /// Every value an integer or a number with a decimal comma.
    comma_numbers: bool,
    some_comma: bool,
    timestamps: bool,
}

impl Default for ColumnStats {
    fn default() -> Self {
        ColumnStats {
            any: false,
            point_numbers: true,
            comma_numbers: true,
            some_comma: false,
            timestamps: true,
        }
    }
}

impl ColumnStats {
    /// A trimmed, non-empty text value.
    pub(super) fn text(&mut self, s: &str) {
        self.any = true;
        if self.point_numbers || self.comma_numbers {
            match number_shape(s.as_bytes()) {
                Some(NumberShape::Integer) => {}
                Some(NumberShape::DecimalPoint) => self.comma_numbers = false,
                Some(NumberShape::DecimalComma) => {
                    self.point_numbers = false;
                    self.some_comma = true;
                }
                None => {
                    self.point_numbers = false;
                    self.comma_numbers = false;
                }
            }
        }
        if self.timestamps && parse_timestamp(s).is_none() {
            self.timestamps = false;
        }
    }

    /// A number stored as a number (spreadsheets).
    pub(super) fn number(&mut self) {
        self.any = true;
        self.comma_numbers = false;
        self.timestamps = false;
    }

    /// A date stored as a date (spreadsheets).
    pub(super) fn date(&mut self) {
        self.any = true;
        self.point_numbers = false;
        self.comma_numbers = false;
    }

    /// A value that can only be text.
    pub(super) fn other(&mut self) {
        self.any = true;
        self.point_numbers = false;
        self.comma_numbers = false;
        self.timestamps = false;
    }

    /// The column's kind; `decimal_comma_allowed` for `;`-delimited files.
    pub(super) fn kind(&self, decimal_comma_allowed: bool) -> Kind {
        if !self.any {
            Kind::Text
        } else if self.point_numbers {
            Kind::Numeric { decimal_comma: false }
        } else if decimal_comma_allowed && self.comma_numbers && self.some_comma {
            Kind::Numeric { decimal_comma: true }
        } else if self.timestamps {
            Kind::Timestamp
        } else {
            Kind::Text
        }
    }
}

/// A trimmed, non-empty text value written for a column of `kind`; `None` if it does not fit.
pub(super) fn normalise_text(s: &str, kind: Kind) -> Option<String> {
    match kind {
        Kind::Text => Some(s.to_owned()),
        Kind::Numeric { decimal_comma } => normalise_number(s, decimal_comma),
        Kind::Timestamp => parse_timestamp(s).map(|t| t.write()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn number_shapes() {
        assert_eq!(number_shape(b"0"), Some(NumberShape::Integer));
        assert_eq!(number_shape(b"-1234"), Some(NumberShape::Integer));
        assert_eq!(number_shape(b"+5"), Some(NumberShape::Integer));
        assert_eq!(number_shape(b"0.5"), Some(NumberShape::DecimalPoint));
        assert_eq!(number_shape(b"-12,5"), Some(NumberShape::DecimalComma));
        for bad in [
            "007", "00.5", "-01", "1.", ".5", "1e5", "NaN", "inf", "1,234.5", "1 234", "", "-", "1.2.3",
            "true",
        ] {
            assert_eq!(number_shape(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn numbers_are_written_plainly() {
        assert_eq!(normalise_number("+12.50", false).unwrap(), "12.50");
        assert_eq!(normalise_number("-12,5", true).unwrap(), "-12.5");
        assert_eq!(normalise_number("12,5", false), None);
    }

    #[test]
    fn timestamps() {
        let w = |s: &str| parse_timestamp(s).map(|t| t.write());
        assert_eq!(w("2024-01-31").unwrap(), "2024-01-31T00:00:00");
        assert_eq!(w("2024-01-31T12:00:00").unwrap(), "2024-01-31T12:00:00");
        assert_eq!(w("2024-01-31 12:00").unwrap(), "2024-01-31T12:00:00");
        assert_eq!(w("2024-01-31T12:00:00Z").unwrap(), "2024-01-31T12:00:00");
        assert_eq!(w("2024-01-31T00:30:00+01:00").unwrap(), "2024-01-30T23:30:00");
        assert_eq!(w("2024-01-31T23:30-0230").unwrap(), "2024-02-01T02:00:00");
        assert_eq!(w("2024-01-31T12:00:00.250").unwrap(), "2024-01-31T12:00:00.250");
        for bad in [
            "2024-02-30",
            "2024-13-01",
            "31-01-2024",
            "2024-01-31T25:00",
            "2024-01-31T12",
            "2024-01-31X",
            "2024-01-31T12:00:00+1",
            "2024/01/31",
        ] {
            assert_eq!(w(bad), None, "{bad}");
        }
    }

    #[test]
    fn kinds() {
        let kind = |values: &[&str], comma: bool| {
            let mut stats = ColumnStats::default();
            for v in values {
                stats.text(v);
            }
            stats.kind(comma)
        };
        let numeric = Kind::Numeric { decimal_comma: false };
        assert_eq!(kind(&[], true), Kind::Text);
        assert_eq!(kind(&["1", "-2", "3.5"], false), numeric);
        assert_eq!(kind(&["1", "-2", "3,5"], true), Kind::Numeric { decimal_comma: true });
        assert_eq!(kind(&["1", "-2", "3,5"], false), Kind::Text);
        assert_eq!(kind(&["1", "2"], true), numeric);
        assert_eq!(kind(&["1.5", "2,5"], true), Kind::Text);
        assert_eq!(kind(&["1", "007"], false), Kind::Text);
        assert_eq!(kind(&["1", "two"], false), Kind::Text);
        assert_eq!(kind(&["2024-01-01", "2024-01-01 10:00"], false), Kind::Timestamp);
        assert_eq!(kind(&["2024-01-01", "1"], false), Kind::Text);
    }
}
