//! Turning CKAN's free-form values into valid RDF terms: IRIs (only from strings that are
//! IRIs), typed dates, EU authority IRIs for languages, frequencies and file types, IANA media
//! types, checksums. Every function returns `None` rather than a term of the wrong kind.

use oxrdf::{Literal, NamedNode};

use crate::vocab::{IANA_MEDIA_TYPES, eu, spdx, xsd};

/// Characters that may not appear in an IRI, percent-encoded as ckanext-dcat's `CleanedURIRef`
/// does for the ones people paste into URL fields (spaces above all).
fn clean_iri(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            ' ' | '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}' => {
                out.push_str(&format!("%{:02X}", c as u32));
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// An absolute `http(s)`, `ftp` or `urn` IRI from a string that is one (after percent-encoding
/// spaces and the like); any other string is not an IRI.
pub(crate) fn iri(value: &str) -> Option<NamedNode> {
    let value = value.trim();
    let lower = value.get(..8).unwrap_or(value).to_ascii_lowercase();
    let scheme_ok = lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("ftp://")
        || lower.starts_with("urn:");
    if !scheme_ok {
        return None;
    }
    let cleaned = clean_iri(value);
    // `http://` alone, or a host-less IRI, is not a usable link.
    let rest = cleaned.split_once("://").map_or(&cleaned[4..], |(_, rest)| rest);
    if rest.trim_start_matches('/').is_empty() {
        return None;
    }
    NamedNode::new(cleaned).ok()
}

/// A `mailto:` IRI from an e-mail address (with or without the prefix).
pub(crate) fn mailto(value: &str) -> Option<NamedNode> {
    let address = value.trim();
    let address = address.strip_prefix("mailto:").unwrap_or(address).trim();
    let (local, domain) = address.split_once('@')?;
    if local.is_empty() || domain.is_empty() || address.chars().any(|c| c.is_whitespace() || c == ',') {
        return None;
    }
    NamedNode::new(format!("mailto:{}", clean_iri(address))).ok()
}

/// A plain literal, or one tagged with `lang` when that is a valid language tag. Characters
/// that XML cannot carry (control characters, U+FFFE, U+FFFF) are dropped and line ends are
/// written `\n` (an XML parser turns a carriage return into one), so every format carries the
/// same text.
pub(crate) fn text_literal(text: &str, lang: Option<&str>) -> Literal {
    let text: String = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| (!c.is_control() || matches!(c, '\t' | '\n')) && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        .collect();
    match lang.map(|l| l.trim().replace('_', "-")) {
        Some(lang) if !lang.is_empty() => Literal::new_language_tagged_literal(text.clone(), lang)
            .unwrap_or_else(|_| Literal::new_simple_literal(text)),
        _ => Literal::new_simple_literal(text),
    }
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

fn valid_date(year: u32, month: u32, day: u32) -> bool {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// `YYYY-MM-DD` when it is a real date.
fn parse_date(s: &str) -> Option<()> {
    let mut parts = s.split('-');
    let year = digits(parts.next()?, 4)?;
    let month = digits(parts.next()?, 2)?;
    let day = digits(parts.next()?, 2)?;
    (parts.next().is_none() && valid_date(year, month, day)).then_some(())
}

/// `HH:MM[:SS[.fff]]` followed by an optional `Z` or `±HH:MM`, as the canonical
/// `HH:MM:SS[.fff][zone]`.
fn parse_time(s: &str) -> Option<String> {
    let (clock, zone) = match s.find(['Z', 'z', '+', '-']) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let zone = match zone {
        "" => String::new(),
        "Z" | "z" => "Z".to_owned(),
        z => {
            let (sign, rest) = z.split_at(1);
            let (h, m) = rest.split_once(':').unwrap_or((rest.get(..2)?, rest.get(2..)?));
            let (h, m) = (digits(h, 2)?, digits(m, 2)?);
            if h > 14 || m > 59 {
                return None;
            }
            format!("{sign}{h:02}:{m:02}")
        }
    };
    let mut parts = clock.split(':');
    let hour = digits(parts.next()?, 2)?;
    let minute = digits(parts.next()?, 2)?;
    let second = parts.next().unwrap_or("00");
    if parts.next().is_some() {
        return None;
    }
    let (whole, fraction) = second.split_once('.').unwrap_or((second, ""));
    let whole = digits(whole, 2)?;
    if hour > 23 || minute > 59 || whole > 59 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction = if fraction.is_empty() { String::new() } else { format!(".{fraction}") };
    Some(format!("{hour:02}:{minute:02}:{whole:02}{fraction}{zone}"))
}

/// The kind of a date value, for the profiles that accept only some kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateKind {
    Year,
    YearMonth,
    Date,
    DateTime,
    /// Text that is not a date in any ISO 8601 form: written as a plain literal.
    Text,
}

/// A date as the most precise XSD type it fits, as ckanext-dcat's `_add_date_triple` does
/// (`xsd:gYear`, `xsd:gYearMonth`, `xsd:date`, `xsd:dateTime`); other text stays a plain
/// literal. Date-times are normalised to `YYYY-MM-DDTHH:MM:SS[.fff][zone]`.
pub(crate) fn date_literal(value: &str) -> (Literal, DateKind) {
    let v = value.trim();
    if digits(v, 4).is_some() {
        return (Literal::new_typed_literal(v, xsd::G_YEAR), DateKind::Year);
    }
    if let Some((y, m)) = v.split_once('-')
        && digits(y, 4).is_some()
        && digits(m, 2).is_some_and(|m| (1..=12).contains(&m))
    {
        return (Literal::new_typed_literal(v, xsd::G_YEAR_MONTH), DateKind::YearMonth);
    }
    if parse_date(v).is_some() {
        return (Literal::new_typed_literal(v, xsd::DATE), DateKind::Date);
    }
    if v.len() > 11 {
        let (date, time) = v.split_at(10);
        if parse_date(date).is_some()
            && (time.starts_with('T') || time.starts_with(' ') || time.starts_with('t'))
            && let Some(time) = parse_time(&time[1..])
        {
            return (
                Literal::new_typed_literal(format!("{date}T{time}"), xsd::DATE_TIME),
                DateKind::DateTime,
            );
        }
    }
    (text_literal(v, None), DateKind::Text)
}

/// An `xsd:duration` lexical form (`P1D`, `PT1H30M`, `P1Y2M`), checked loosely but never
/// accepting what XSD rejects.
pub(crate) fn is_duration(value: &str) -> bool {
    let v = value.strip_prefix('-').unwrap_or(value);
    let Some(rest) = v.strip_prefix('P') else { return false };
    let (date, time) = rest.split_once('T').map_or((rest, None), |(d, t)| (d, Some(t)));
    let fields = |s: &str, units: &str, fraction_ok: bool| -> Option<usize> {
        let mut count = 0;
        let mut number = String::new();
        let mut last_unit = None;
        for c in s.chars() {
            if c.is_ascii_digit() || (fraction_ok && c == '.') {
                number.push(c);
            } else {
                let position = units.find(c)?;
                if number.is_empty() || last_unit.is_some_and(|l| position <= l) {
                    return None;
                }
                if number.contains('.') && c != 'S' {
                    return None;
                }
                last_unit = Some(position);
                number.clear();
                count += 1;
            }
        }
        number.is_empty().then_some(count)
    };
    let Some(date_fields) = fields(date, "YMD", false) else { return false };
    match time {
        None => date_fields > 0,
        Some(t) => fields(t, "HMS", true).is_some_and(|n| n > 0),
    }
}

/// ISO 639-1 codes (and the usual ISO 639-2 ones) to the EU language authority table's codes.
const LANGUAGES: &[(&str, &str)] = &[
    ("bg", "BUL"),
    ("ca", "CAT"),
    ("cs", "CES"),
    ("cy", "CYM"),
    ("da", "DAN"),
    ("de", "DEU"),
    ("el", "ELL"),
    ("en", "ENG"),
    ("es", "SPA"),
    ("et", "EST"),
    ("eu", "EUS"),
    ("fi", "FIN"),
    ("fo", "FAO"),
    ("fr", "FRA"),
    ("ga", "GLE"),
    ("gl", "GLG"),
    ("hr", "HRV"),
    ("hu", "HUN"),
    ("is", "ISL"),
    ("it", "ITA"),
    ("kl", "KAL"),
    ("lb", "LTZ"),
    ("lt", "LIT"),
    ("lv", "LAV"),
    ("mt", "MLT"),
    ("nb", "NOB"),
    ("nl", "NLD"),
    ("nn", "NNO"),
    ("no", "NOR"),
    ("pl", "POL"),
    ("pt", "POR"),
    ("rm", "ROH"),
    ("ro", "RON"),
    ("ru", "RUS"),
    ("se", "SME"),
    ("sk", "SLK"),
    ("sl", "SLV"),
    ("sq", "SQI"),
    ("sr", "SRP"),
    ("sv", "SWE"),
    ("tr", "TUR"),
    ("uk", "UKR"),
    ("ar", "ARA"),
    ("ja", "JPN"),
    ("zh", "ZHO"),
];

/// The EU authority IRI of a language given as an ISO 639-1 code (`da`, `en-GB`, `de_CH`), a
/// three-letter code already in the table (`DAN`), or the IRI itself. Other IRIs are kept as
/// they are; unknown codes give `None`.
pub(crate) fn language_iri(value: &str) -> Option<NamedNode> {
    let v = value.trim();
    if let Some(iri) = iri(v) {
        return Some(iri);
    }
    let primary = v.split(['-', '_']).next().unwrap_or(v).to_ascii_lowercase();
    let code = LANGUAGES.iter().find_map(|(two, three)| {
        (*two == primary || three.eq_ignore_ascii_case(&primary)).then_some(*three)
    })?;
    NamedNode::new(format!("{}{code}", eu::LANGUAGE)).ok()
}

/// Frequencies as portals write them (English and Danish words, ISO 8601 durations as in
/// DCAT-US `R/P1D`) to the EU frequency authority table.
const FREQUENCIES: &[(&[&str], &str)] = &[
    (&["annual", "annually", "yearly", "p1y", "årlig", "årligt", "årligen"], "ANNUAL"),
    (&["semiannual", "semi-annual", "biannual", "half-yearly", "p6m", "halvårligt"], "ANNUAL_2"),
    (&["biennial", "p2y"], "BIENNIAL"),
    (&["quarterly", "p3m", "kvartalsvis", "kvartal"], "QUARTERLY"),
    (&["bimonthly", "p2m"], "BIMONTHLY"),
    (&["monthly", "p1m", "månedlig", "månedligt"], "MONTHLY"),
    (&["biweekly", "fortnightly", "p2w", "p14d"], "BIWEEKLY"),
    (&["weekly", "p1w", "p7d", "ugentlig", "ugentligt"], "WEEKLY"),
    (&["daily", "p1d", "daglig", "dagligt"], "DAILY"),
    (&["hourly", "pt1h", "timevis", "hver time"], "HOURLY"),
    (&["continuous", "continual", "løbende"], "CONT"),
    (&["realtime", "real-time", "real time", "live", "continuously updated"], "UPDATE_CONT"),
    (&["irregular", "irregularly", "as needed", "uregelmæssig", "uregelmæssigt", "efter behov"], "IRREG"),
    (&["never", "none", "not planned", "aldrig"], "NEVER"),
    (&["unknown", "ukendt"], "UNKNOWN"),
];

/// The EU frequency IRI of a frequency word or duration, or the value itself when it is an IRI.
pub(crate) fn frequency_iri(value: &str) -> Option<NamedNode> {
    if let Some(iri) = iri(value) {
        return Some(iri);
    }
    let v = value.trim().to_lowercase();
    let v = v.strip_prefix("r/").unwrap_or(&v);
    let code = FREQUENCIES.iter().find_map(|(words, code)| words.contains(&v).then_some(*code))?;
    NamedNode::new(format!("{}{code}", eu::FREQUENCY)).ok()
}

/// CKAN format labels to the EU file-type authority table.
const FILE_TYPES: &[(&[&str], &str)] = &[
    (&["csv"], "CSV"),
    (&["tsv", "tab"], "TSV"),
    (&["json"], "JSON"),
    (&["geojson"], "GEOJSON"),
    (&["json-ld", "jsonld"], "JSON_LD"),
    (&["xml"], "XML"),
    (&["xls"], "XLS"),
    (&["xlsx"], "XLSX"),
    (&["ods"], "ODS"),
    (&["pdf"], "PDF"),
    (&["html", "htm"], "HTML"),
    (&["txt", "text"], "TXT"),
    (&["zip"], "ZIP"),
    (&["gzip", "gz"], "GZIP"),
    (&["tar"], "TAR"),
    (&["kml"], "KML"),
    (&["kmz"], "KMZ"),
    (&["shp", "shapefile", "esri shapefile"], "SHP"),
    (&["gml"], "GML"),
    (&["gpkg", "geopackage"], "GPKG"),
    (&["geotiff"], "GEOTIFF"),
    (&["tiff", "tif"], "TIFF"),
    (&["png"], "PNG"),
    (&["jpeg", "jpg"], "JPEG"),
    (&["gif"], "GIF"),
    (&["svg"], "SVG"),
    (&["doc"], "DOC"),
    (&["docx"], "DOCX"),
    (&["odt"], "ODT"),
    (&["ppt"], "PPT"),
    (&["pptx"], "PPTX"),
    (&["rdf"], "RDF"),
    (&["rdf/xml", "rdf+xml"], "RDF_XML"),
    (&["ttl", "turtle"], "RDF_TURTLE"),
    (&["n3"], "N3"),
    (&["nt", "n-triples", "ntriples"], "N_TRIPLES"),
    (&["atom"], "ATOM"),
    (&["rss"], "RSS"),
    (&["wms"], "WMS_SRVC"),
    (&["wfs"], "WFS_SRVC"),
    (&["parquet"], "PARQUET"),
    (&["netcdf", "nc"], "NETCDF"),
    (&["sql"], "SQL"),
    (&["dbf"], "DBF"),
    (&["mdb"], "MDB"),
];

/// The EU file-type IRI of a CKAN format label (`CSV`, `xlsx`, `.json`).
pub(crate) fn file_type_iri(label: &str) -> Option<NamedNode> {
    let l = label.trim().trim_start_matches('.').to_lowercase();
    let code = FILE_TYPES.iter().find_map(|(labels, code)| labels.contains(&l.as_str()).then_some(*code))?;
    NamedNode::new(format!("{}{code}", eu::FILE_TYPE)).ok()
}

/// The code of an EU file-type IRI (`.../file-type/CSV` is `CSV`).
pub(crate) fn file_type_code(iri: &str) -> Option<&str> {
    iri.strip_prefix(eu::FILE_TYPE).filter(|c| !c.is_empty() && !c.contains('/'))
}

/// A media type `type/subtype` (parameters dropped) when it is made of token characters.
pub(crate) fn media_type(value: &str) -> Option<String> {
    let v = value.trim();
    let v = v.strip_prefix(IANA_MEDIA_TYPES).unwrap_or(v);
    let v = v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase();
    let (ty, sub) = v.split_once('/')?;
    let token =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b));
    (token(ty) && token(sub)).then_some(v)
}

/// The IANA IRI of a media type (`text/csv` is `https://www.iana.org/assignments/media-types/text/csv`).
pub(crate) fn media_type_iri(value: &str) -> Option<NamedNode> {
    if value.trim().starts_with("http") && !value.contains(IANA_MEDIA_TYPES) {
        return iri(value);
    }
    NamedNode::new(format!("{IANA_MEDIA_TYPES}{}", media_type(value)?)).ok()
}

/// Whether a CKAN format value is a media type rather than a label, the test ckanext-dcat uses
/// to write it as `dcat:mediaType`.
pub(crate) fn looks_like_media_type(format: &str) -> bool {
    format.contains("iana.org/assignments/media-types")
        || (!format.starts_with("http") && format.contains('/'))
}

/// A checksum: lowercase hexadecimal value and its SPDX algorithm IRI.
pub(crate) struct Checksum {
    pub value: String,
    pub algorithm: NamedNode,
    pub is_sha1: bool,
}

/// The checksum of a CKAN `hash`: the algorithm from `hash_algorithm` (a name or an SPDX IRI),
/// else from an `algorithm:` prefix on the hash, else from the length of the hex digest
/// (32 md5, 40 sha1, 64 sha256, 128 sha512). `None` when the hash is not hexadecimal or the
/// algorithm cannot be told: DCAT-AP requires the algorithm.
pub(crate) fn checksum(hash: &str, algorithm: Option<&str>) -> Option<Checksum> {
    let hash = hash.trim();
    let (prefix, value) = match hash.split_once(':') {
        Some((p, v)) if !p.contains('/') => (Some(p), v.trim()),
        _ => (None, hash),
    };
    if value.is_empty() || value.len() % 2 != 0 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let normalise = |name: &str| -> String {
        let name = name.trim();
        let name = name.strip_prefix(spdx::ALGORITHM_PREFIX).unwrap_or(name);
        name.to_ascii_lowercase().replace(['-', '_'], "")
    };
    let name = match algorithm.or(prefix) {
        Some(a) => normalise(a),
        None => match value.len() {
            32 => "md5".to_owned(),
            40 => "sha1".to_owned(),
            64 => "sha256".to_owned(),
            128 => "sha512".to_owned(),
            _ => return None,
        },
    };
    let known = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3256", "sha3384", "sha3512"];
    if !known.contains(&name.as_str()) {
        return None;
    }
    let spdx_name = match name.as_str() {
        "sha3256" => "sha3_256".to_owned(),
        "sha3384" => "sha3_384".to_owned(),
        "sha3512" => "sha3_512".to_owned(),
        n => n.to_owned(),
    };
    Some(Checksum {
        value: value.to_ascii_lowercase(),
        algorithm: NamedNode::new(format!("{}{spdx_name}", spdx::ALGORITHM_PREFIX)).ok()?,
        is_sha1: name == "sha1",
    })
}

/// A non-negative whole number of bytes from a JSON number or numeric text (`"2424"`, `2424.0`).
pub(crate) fn byte_size(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f < 1e19).map(|f| f as u64)),
        serde_json::Value::String(s) => {
            let s = s.trim();
            s.parse::<u64>().ok().or_else(|| {
                s.parse::<f64>().ok().filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f < 1e19).map(|f| f as u64)
            })
        }
        _ => None,
    }
}

/// A decimal number's canonical text, for `xsd:decimal` values.
pub(crate) fn decimal(value: &str) -> Option<String> {
    let v = value.trim();
    let digits_part = v.strip_prefix(['-', '+']).unwrap_or(v);
    let (whole, fraction) = digits_part.split_once('.').unwrap_or((digits_part, ""));
    let ok = !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| v.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_iris_become_iris() {
        assert!(iri("https://example.org/a b").is_some_and(|i| i.as_str() == "https://example.org/a%20b"));
        assert!(iri("example.org").is_none());
        assert!(iri("Economy").is_none());
        assert!(iri("http://").is_none());
        assert!(mailto("a@b.dk").is_some_and(|i| i.as_str() == "mailto:a@b.dk"));
        assert!(mailto("mailto:a@b.dk").is_some_and(|i| i.as_str() == "mailto:a@b.dk"));
        assert!(mailto("not an address").is_none());
    }

    #[test]
    fn dates_get_the_precise_type() {
        let kind = |v: &str| date_literal(v).1;
        assert_eq!(kind("2019"), DateKind::Year);
        assert_eq!(kind("2019-06"), DateKind::YearMonth);
        assert_eq!(kind("2019-06-10"), DateKind::Date);
        assert_eq!(kind("2019-02-30"), DateKind::Text);
        assert_eq!(kind("06/05/2009"), DateKind::Text);
        let (lit, k) = date_literal("2019-06-10T13:22:02.718193");
        assert_eq!((lit.value(), k), ("2019-06-10T13:22:02.718193", DateKind::DateTime));
        assert_eq!(date_literal("2012-05-10T21:04").0.value(), "2012-05-10T21:04:00");
        assert_eq!(date_literal("2024-04-15 09:08:02+0200").0.value(), "2024-04-15T09:08:02+02:00");
        assert_eq!(date_literal("2026-03-27T14:17:30.197522+01:00").1, DateKind::DateTime);
        assert_eq!(date_literal("2020-01-01T25:00:00").1, DateKind::Text);
    }

    #[test]
    fn durations() {
        for ok in ["P1D", "PT1H", "P1Y2M3DT4H5M6.5S", "-P1M"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["P", "PT", "1D", "P1H", "PD1", "P1D2Y", "One hour (PT1H)"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn authority_tables() {
        assert_eq!(
            language_iri("da").unwrap().as_str(),
            "http://publications.europa.eu/resource/authority/language/DAN"
        );
        assert_eq!(
            language_iri("en-GB").unwrap().as_str(),
            "http://publications.europa.eu/resource/authority/language/ENG"
        );
        assert!(language_iri("xx").is_none());
        assert!(frequency_iri("R/P1D").unwrap().as_str().ends_with("/frequency/DAILY"));
        assert!(frequency_iri("Monthly").unwrap().as_str().ends_with("/MONTHLY"));
        assert!(frequency_iri("every full moon").is_none());
        assert!(file_type_iri("CSV").unwrap().as_str().ends_with("/file-type/CSV"));
        assert_eq!(
            file_type_code("http://publications.europa.eu/resource/authority/file-type/CSV"),
            Some("CSV")
        );
    }

    #[test]
    fn media_types_and_checksums() {
        assert_eq!(
            media_type_iri("text/csv").unwrap().as_str(),
            "https://www.iana.org/assignments/media-types/text/csv"
        );
        assert!(media_type_iri("CSV").is_none());
        assert!(looks_like_media_type("application/json") && !looks_like_media_type("CSV"));
        let sha1 = checksum("32ee772cd377cec77d0979e693cdb4104b0d7dcf", None).unwrap();
        assert!(sha1.is_sha1 && sha1.algorithm.as_str().ends_with("checksumAlgorithm_sha1"));
        assert!(checksum("sha256:ABCD", None).unwrap().algorithm.as_str().ends_with("_sha256"));
        assert!(checksum("abc", None).is_none());
        assert!(checksum("not hex at all", Some("md5")).is_none());
        assert_eq!(byte_size(&serde_json::json!("2424")), Some(2424));
        assert_eq!(byte_size(&serde_json::json!(-1)), None);
    }
}
