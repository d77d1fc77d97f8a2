//! Solr dates and date math, as range values carry them (`2024-05-01`, `NOW-7DAYS/DAY`, …).

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

use super::QueryError;

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
