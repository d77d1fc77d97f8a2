//! The value shapes the DCAT-US 1.1 schema constrains, as checks and normalisers.
//!
//! Each function accepts a subset of what the schema's pattern accepts (never more), returning
//! the value to write, or `None` when the input cannot be made to fit; callers then fall back or
//! leave the optional field out.

/// URI schemes written as links (`landingPage`, `downloadURL`, `license`, ...).
const LINK_SCHEMES: &[&str] = &["http", "https", "ftp", "ftps"];

/// An absolute link that is a valid RFC 3986 URI, or `None`.
///
/// A path starting with `/` is taken relative to `site_url`, a `//host` reference gets `https:`.
/// Characters a URI cannot hold in its path, query or fragment (spaces, non-ASCII letters, `[`,
/// a second `#`, a `%` not followed by two hex digits, ...) are percent-encoded as UTF-8, as a
/// browser would. Hosts are not rewritten: a host with characters a URI cannot hold (an
/// internationalised name, a space) makes the link unusable.
pub(crate) fn link(raw: &str, site_url: &str) -> Option<String> {
    let raw = raw.trim();
    let resolved;
    let raw = if raw.starts_with("//") {
        resolved = format!("https:{raw}");
        &resolved
    } else if raw.starts_with('/') {
        resolved = format!("{site_url}{raw}");
        &resolved
    } else {
        raw
    };
    let (scheme, rest) = raw.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    if !LINK_SCHEMES.contains(&scheme.as_str()) {
        return None;
    }
    let rest = rest.strip_prefix("//")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !valid_authority(authority) {
        return None;
    }
    let mut out = String::with_capacity(raw.len() + 8);
    out.push_str(&scheme);
    out.push_str("://");
    out.push_str(authority);
    encode_tail(tail, &mut out);
    Some(out)
}

fn unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

fn sub_delim(c: char) -> bool {
    matches!(c, '!' | '$' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | ';' | '=')
}

/// Whether `s` holds only the given characters and well-formed `%XX` escapes.
fn only(s: &str, allowed: impl Fn(char) -> bool) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if c == '%' {
            if !(hex(bytes.get(i + 1)) && hex(bytes.get(i + 2))) {
                return false;
            }
            i += 3;
        } else if c.is_ascii() && allowed(c) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

fn hex(b: Option<&u8>) -> bool {
    b.is_some_and(u8::is_ascii_hexdigit)
}

/// `[userinfo@]host[:port]` with a non-empty host.
fn valid_authority(authority: &str) -> bool {
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(u) = userinfo
        && !only(u, |c| unreserved(c) || sub_delim(c) || c == ':')
    {
        return false;
    }
    let (host, port) = if let Some(inner) = host_port.strip_prefix('[') {
        let Some((ip, after)) = inner.split_once(']') else { return false };
        if ip.is_empty() || !ip.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return false;
        }
        match after {
            "" => (ip, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (ip, Some(port)),
                None => return false,
            },
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let host_ok = host_port.starts_with('[') || only(host, |c| unreserved(c) || sub_delim(c));
    !host.is_empty() && host_ok && port.is_none_or(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// Path, query and fragment with every character a URI cannot hold there percent-encoded.
fn encode_tail(tail: &str, out: &mut String) {
    let bytes = tail.as_bytes();
    let mut in_fragment = false;
    for (i, c) in tail.char_indices() {
        match c {
            '#' if !in_fragment => {
                in_fragment = true;
                out.push('#');
            }
            '%' if hex(bytes.get(i + 1)) && hex(bytes.get(i + 2)) => out.push('%'),
            c if c != '%'
                && c != '#'
                && (unreserved(c) || sub_delim(c) || matches!(c, ':' | '@' | '/' | '?')) =>
            {
                out.push(c)
            }
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
}

/// A bare e-mail address the schema's `hasEmail` pattern accepts once `mailto:` is put before it.
///
/// Accepts `mailto:` prefixes, `Name <address>` and lists (`a@x.org, b@y.org`: the first valid
/// one). Only ASCII addresses: the pattern's `\w` is Unicode-aware, but what it counts as a word
/// character differs in details from Rust's, and a non-ASCII address is rare enough.
pub(crate) fn email(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let raw = match (raw.find('<'), raw.rfind('>')) {
        (Some(open), Some(close)) if open < close => &raw[open + 1..close],
        _ => raw,
    };
    raw.split([',', ';', ' ', '\t', '\n'])
        .map(|part| {
            let part = part.trim();
            match part.get(..7) {
                Some(prefix) if prefix.eq_ignore_ascii_case("mailto:") => &part[7..],
                _ => part,
            }
        })
        .find(|candidate| valid_email(candidate))
        .map(str::to_owned)
}

fn valid_email(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '_' | '~'
                        | '!'
                        | '$'
                        | '&'
                        | '\''
                        | '('
                        | ')'
                        | '*'
                        | '+'
                        | ','
                        | ';'
                        | '='
                        | ':'
                        | '.'
                        | '-'
                )
        });
    let domain_ok = domain.len() >= 3
        && domain.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && domain[1..domain.len() - 1].contains('.');
    local_ok && domain_ok
}

/// An IANA media type (`text/csv`, `application/vnd.ms-excel`, `application/geo+json`) without
/// parameters, lower-cased, or `None`.
pub(crate) fn media_type(raw: &str) -> Option<String> {
    let essence = raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let (kind, subtype) = essence.split_once('/')?;
    let word =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let (main, suffix) = match subtype.split_once('+') {
        Some((main, suffix)) => (main, Some(suffix)),
        None => (subtype, None),
    };
    let ok = word(kind) && main.split('.').all(word) && suffix.is_none_or(word);
    ok.then_some(essence)
}

/// A tiny cursor over ASCII text for the date, time and duration grammars below.
struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor { s: s.as_bytes(), at: 0 }
    }
    fn done(&self) -> bool {
        self.at == self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    /// Exactly `n` digits, as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let slice = self.s.get(self.at..self.at + n)?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += n;
        Some(slice.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }
    /// One or more digits.
    fn some_digits(&mut self) -> bool {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.at > start
    }
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (a real calendar day), optionally followed by a time
/// `THH:MM[:SS[.fraction]]` (or a space for `T`) and a zone `Z` / `±HH[[:]MM]`.
fn date_time(c: &mut Cursor<'_>) -> bool {
    let Some(year) = c.digits(4) else { return false };
    if c.peek().is_some_and(|b| b.is_ascii_digit()) {
        return false;
    }
    if !c.eat(b'-') {
        return true;
    }
    let Some(month) = c.digits(2).filter(|m| (1..=12).contains(m)) else { return false };
    if !c.eat(b'-') {
        return true;
    }
    let Some(day) = c.digits(2) else { return false };
    let Ok(year) = i32::try_from(year) else { return false };
    if chrono::NaiveDate::from_ymd_opt(year, month, day).is_none() {
        return false;
    }
    if !(c.eat(b'T') || c.eat(b' ')) {
        return true;
    }
    if c.digits(2).is_none_or(|h| h > 23) || !c.eat(b':') || c.digits(2).is_none_or(|m| m > 59) {
        return false;
    }
    if c.eat(b':') {
        if c.digits(2).is_none_or(|s| s > 59) {
            return false;
        }
        if (c.eat(b'.') || c.eat(b',')) && !c.some_digits() {
            return false;
        }
    }
    if c.eat(b'Z') || c.eat(b'z') {
        return true;
    }
    if c.eat(b'+') || c.eat(b'-') {
        if c.digits(2).is_none_or(|h| h > 23) {
            return false;
        }
        let colon = c.eat(b':');
        if (colon || c.peek().is_some_and(|b| b.is_ascii_digit())) && c.digits(2).is_none_or(|m| m > 59) {
            return false;
        }
    }
    true
}

/// An ISO 8601 date or date-time the schema accepts for `issued` and `modified`.
pub(crate) fn iso_date(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let mut c = Cursor::new(raw);
    (date_time(&mut c) && c.done()).then(|| raw.to_owned())
}

/// `P[nY][nM][nW][nD][T[nH][nM][nS]]` with at least one part; numbers may have a fraction.
fn duration(c: &mut Cursor<'_>) -> bool {
    if !c.eat(b'P') {
        return false;
    }
    let Some(date_parts) = components(c, b"YMWD") else { return false };
    let mut time_parts = 0;
    if c.eat(b'T') {
        match components(c, b"HMS") {
            Some(n) if n > 0 => time_parts = n,
            _ => return false,
        }
    }
    date_parts + time_parts > 0
}

/// Number-and-designator pairs, designators in the given order: how many, or `None` if malformed.
fn components(c: &mut Cursor<'_>, designators: &[u8]) -> Option<usize> {
    let mut next = 0;
    let mut count = 0;
    while c.some_digits() {
        if c.eat(b'.') && !c.some_digits() {
            return None;
        }
        let found = designators.get(next..)?.iter().position(|d| c.peek() == Some(*d))?;
        c.at += 1;
        next += found + 1;
        count += 1;
    }
    Some(count)
}

/// `accrualPeriodicity`: `irregular` or a repeating duration `R/P...`.
pub(crate) fn periodicity(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw == "irregular" {
        return Some(raw.to_owned());
    }
    let rest = raw.strip_prefix("R/")?;
    let mut c = Cursor::new(rest);
    (duration(&mut c) && c.done()).then(|| raw.to_owned())
}

/// `temporal`: `start/end`, `start/duration` or `duration/end`, each end an ISO 8601 date or
/// date-time; the two forms with a duration may repeat (`R/...`, `R5/...`).
pub(crate) fn temporal(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let whole = |s: &str, f: fn(&mut Cursor<'_>) -> bool| {
        let mut c = Cursor::new(s);
        f(&mut c) && c.done()
    };
    let parts: Vec<&str> = raw.split('/').collect();
    let ok = match parts.as_slice() {
        [start, end] => {
            (whole(start, date_time) && (whole(end, date_time) || whole(end, duration)))
                || (whole(start, duration) && whole(end, date_time))
        }
        [repeat, first, second] => {
            repeat.strip_prefix('R').is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
                && ((whole(first, date_time) && whole(second, duration))
                    || (whole(first, duration) && whole(second, date_time)))
        }
        _ => false,
    };
    ok.then(|| raw.to_owned())
}

/// A language tag from the simple part of BCP 47: a two- or three-letter language, an optional
/// four-letter script and an optional region (`en`, `spa`, `en-US`, `zh-Hant-TW`, `es-419`).
/// `_` separators become `-`.
pub(crate) fn language(raw: &str) -> Option<String> {
    let tag = raw.trim().replace('_', "-");
    let mut parts = tag.split('-').peekable();
    let primary = parts.next()?;
    if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    if let Some(script) = parts.peek()
        && script.len() == 4
        && script.chars().all(|c| c.is_ascii_alphabetic())
    {
        parts.next();
    }
    if let Some(region) = parts.next() {
        let alpha = region.len() == 2 && region.chars().all(|c| c.is_ascii_alphabetic());
        let numeric = region.len() == 3 && region.chars().all(|c| c.is_ascii_digit());
        if !(alpha || numeric) {
            return None;
        }
    }
    parts.next().is_none().then_some(tag)
}

/// Digits and separators in a fixed layout: `code("015:01", &[3, 2], ':')`.
fn code(raw: &str, groups: &[usize], separator: char) -> Option<String> {
    let raw = raw.trim();
    let parts: Vec<&str> = raw.split(separator).collect();
    let ok = parts.len() == groups.len()
        && parts.iter().zip(groups).all(|(p, n)| p.len() == *n && p.chars().all(|c| c.is_ascii_digit()));
    ok.then(|| raw.to_owned())
}

/// An OMB bureau code, `015:01`.
pub(crate) fn bureau_code(raw: &str) -> Option<String> {
    code(raw, &[3, 2], ':')
}

/// A Federal Program Inventory code, `015:001`.
pub(crate) fn program_code(raw: &str) -> Option<String> {
    code(raw, &[3, 3], ':')
}

/// A primary IT investment UII, `023-000000001`.
pub(crate) fn investment_uii(raw: &str) -> Option<String> {
    code(raw, &[3, 9], '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "https://data.example.org";

    #[test]
    fn links_are_absolute_uris() {
        assert_eq!(
            link(" https://x.org/a b/ø?q=1#f#g ", SITE).as_deref(),
            Some("https://x.org/a%20b/%C3%B8?q=1#f%23g")
        );
        assert_eq!(link("/dataset/x", SITE).as_deref(), Some("https://data.example.org/dataset/x"));
        assert_eq!(link("//cdn.x.org/f.csv", SITE).as_deref(), Some("https://cdn.x.org/f.csv"));
        assert_eq!(link("HTTP://x.org/100%", SITE).as_deref(), Some("http://x.org/100%25"));
        assert_eq!(link("http://x.org/a%20b", SITE).as_deref(), Some("http://x.org/a%20b"));
        assert_eq!(link("http://x.org:8080", SITE).as_deref(), Some("http://x.org:8080"));
        assert_eq!(link("http://[::1]:80/x[1]", SITE).as_deref(), Some("http://[::1]:80/x%5B1%5D"));
        for bad in [
            "",
            "x.csv",
            "www.x.org/a",
            "mailto:a@b.org",
            "javascript:alert(1)",
            "http://",
            "http://exa mple.org/",
            "http://x.org:8o/",
            "http://bø.no/",
        ] {
            assert_eq!(link(bad, SITE), None, "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(email("mailto:adc@arm.gov").as_deref(), Some("adc@arm.gov"));
        assert_eq!(email("MAILTO:adc@arm.gov").as_deref(), Some("adc@arm.gov"));
        assert_eq!(email("Data Team <data@x.org>").as_deref(), Some("data@x.org"));
        assert_eq!(email("nope, b.c@x.co.uk").as_deref(), Some("b.c@x.co.uk"));
        for bad in ["", "x", "a@b", "a@.b", "a@b.", "æ@x.org", "a@x.org@y.org"] {
            assert_eq!(email(bad), None, "{bad}");
        }
    }

    #[test]
    fn media_types() {
        assert_eq!(media_type("text/CSV; charset=utf-8").as_deref(), Some("text/csv"));
        assert_eq!(media_type("application/vnd.ms-excel").as_deref(), Some("application/vnd.ms-excel"));
        assert_eq!(media_type("application/geo+json").as_deref(), Some("application/geo+json"));
        for bad in ["csv", "text/", "/csv", "text/csv/x", "text/c sv", "application/a..b"] {
            assert_eq!(media_type(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates() {
        for good in [
            "2017",
            "2017-01",
            "2017-01-05",
            "2017-01-05T12:34",
            "2017-01-05 12:34:56",
            "2017-01-05T12:34:56.123456",
            "2017-01-05T12:34:56.123456Z",
            "2017-01-05T12:34:56+01:00",
            "2017-01-05T12:34:56-0530",
            "2017-01-05T12:34:56+01",
        ] {
            assert_eq!(iso_date(good).as_deref(), Some(good), "{good}");
        }
        for bad in [
            "",
            "20170105",
            "2017-1-5",
            "2017-13-01",
            "2017-02-30",
            "2017-01-05T24:00",
            "2017-01-05T12",
            "05/01/2017",
            "2017-01-05T12:34:56.Z",
            "March 2017",
        ] {
            assert_eq!(iso_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn periodicities_and_temporals() {
        for good in ["irregular", "R/P1Y", "R/P0.5M", "R/PT1H", "R/P1DT12H", "R/P3.5D"] {
            assert_eq!(periodicity(good).as_deref(), Some(good), "{good}");
        }
        for bad in ["", "R/P", "R/PT", "P1Y", "R/P1D1Y", "R/1Y", "monthly", "R/P1YT"] {
            assert_eq!(periodicity(bad), None, "{bad}");
        }
        for good in [
            "2017-01-05/2018-01-01",
            "2017/2018",
            "2017-01-05T00:00:00Z/2018-01-01",
            "2017-01-05/P1Y",
            "P1Y/2018-01-01",
            "R/2017-01-05/P1D",
            "R5/P1W/2018",
        ] {
            assert_eq!(temporal(good).as_deref(), Some(good), "{good}");
        }
        for bad in ["", "2017", "2017-01-05/", "/2018", "2017-01-05/..", "P1Y/P2Y", "R/2017/2018", "a/b"] {
            assert_eq!(temporal(bad), None, "{bad}");
        }
    }

    #[test]
    fn languages_and_codes() {
        assert_eq!(language("en").as_deref(), Some("en"));
        assert_eq!(language("en_US").as_deref(), Some("en-US"));
        assert_eq!(language("zh-Hant-TW").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(language("es-419").as_deref(), Some("es-419"));
        for bad in ["", "English", "e", "en-", "en-USA-x", "12"] {
            assert_eq!(language(bad), None, "{bad}");
        }
        assert_eq!(bureau_code(" 015:01 ").as_deref(), Some("015:01"));
        assert_eq!(bureau_code("015:010"), None);
        assert_eq!(program_code("015:001").as_deref(), Some("015:001"));
        assert_eq!(program_code("15:001"), None);
        assert_eq!(investment_uii("023-000000001").as_deref(), Some("023-000000001"));
        assert_eq!(investment_uii("023-0001"), None);
    }
}
