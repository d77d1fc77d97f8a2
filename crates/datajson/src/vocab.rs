//! The small vocabularies both directions share: licences, file formats, update frequencies.

/// A licence CKAN sites know by id, with the URL data.json names it by.
struct Licence {
    id: &'static str,
    url: &'static str,
    /// Lower-cased titles and abbreviations catalogues use instead of a URL.
    names: &'static [&'static str],
}

const LICENCES: &[Licence] = &[
    Licence {
        id: "cc-by",
        url: "https://creativecommons.org/licenses/by/4.0/",
        names: &["creative commons attribution", "cc-by", "cc by", "cc-by-4.0", "cc by 4.0"],
    },
    Licence {
        id: "cc-by-sa",
        url: "https://creativecommons.org/licenses/by-sa/4.0/",
        names: &[
            "creative commons attribution share-alike",
            "cc-by-sa",
            "cc by-sa",
            "cc-by-sa-4.0",
            "cc by-sa 4.0",
        ],
    },
    Licence {
        id: "cc-zero",
        url: "https://creativecommons.org/publicdomain/zero/1.0/",
        names: &["creative commons cczero", "cc0", "cc0 1.0", "cc0-1.0", "cc-zero"],
    },
    Licence {
        id: "cc-nc",
        url: "https://creativecommons.org/licenses/by-nc/4.0/",
        names: &["creative commons non-commercial (any)", "cc-by-nc", "cc by-nc"],
    },
    Licence {
        id: "gfdl",
        url: "https://www.gnu.org/licenses/fdl-1.3.html",
        names: &["gnu free documentation license", "gfdl"],
    },
    Licence {
        id: "odc-by",
        url: "https://opendatacommons.org/licenses/by/1-0/",
        names: &["open data commons attribution license", "odc-by"],
    },
    Licence {
        id: "odc-odbl",
        url: "https://opendatacommons.org/licenses/odbl/1-0/",
        names: &[
            "open data commons open database license (odbl)",
            "open database license (odbl)",
            "open database license (odbl) v1.0",
            "odbl",
            "odbl-1.0",
            "odbl 1.0",
            "odc-odbl",
        ],
    },
    Licence {
        id: "odc-pddl",
        url: "https://opendatacommons.org/licenses/pddl/1-0/",
        names: &["open data commons public domain dedication and license (pddl)", "pddl", "odc-pddl"],
    },
    Licence {
        id: "uk-ogl",
        url: "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        names: &["uk open government licence (ogl)", "open government licence", "ogl", "uk-ogl"],
    },
    Licence {
        id: "other-pd",
        url: "https://creativecommons.org/publicdomain/mark/1.0/",
        names: &["other (public domain)", "public domain", "u.s. public domain works"],
    },
];

/// The data.json licence URL for a CKAN licence id of CKAN's default register, when it has one.
pub(crate) fn licence_url(id: &str) -> Option<&'static str> {
    LICENCES.iter().find(|l| l.id == id.trim()).map(|l| l.url)
}

/// The CKAN licence id of a data.json `license` (a URL, or a title as some catalogues write).
pub(crate) fn licence_id(license: &str) -> Option<&'static str> {
    let lower = license.trim().to_lowercase();
    if matches!(lower.as_str(), "license not specified" | "licence not specified" | "notspecified") {
        return Some("notspecified");
    }
    if let Some(licence) = LICENCES.iter().find(|l| l.names.contains(&lower.as_str())) {
        return Some(licence.id);
    }
    let bare = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"))?;
    let bare = bare.strip_prefix("www.").unwrap_or(bare).trim_end_matches('/');
    let mut segments = bare.split('/');
    let host = segments.next()?;
    let first = segments.next().unwrap_or_default();
    let second = segments.next().unwrap_or_default();
    let id = match (host, first, second) {
        ("creativecommons.org", "licenses", "by") => "cc-by",
        ("creativecommons.org", "licenses", "by-sa") => "cc-by-sa",
        ("creativecommons.org", "licenses", "by-nc" | "by-nc-sa" | "by-nc-nd") => "cc-nc",
        ("creativecommons.org", "publicdomain", "zero") => "cc-zero",
        ("creativecommons.org", "publicdomain", "mark") => "other-pd",
        ("opendatacommons.org", "licenses", "by") => "odc-by",
        ("opendatacommons.org", "licenses", "odbl") => "odc-odbl",
        ("opendatacommons.org", "licenses", "pddl") => "odc-pddl",
        ("opendefinition.org", "licenses", id) => LICENCES.iter().find(|l| l.id == id)?.id,
        ("nationalarchives.gov.uk", "doc", "open-government-licence") => "uk-ogl",
        ("reference.data.gov.uk", "id", "open-government-licence") => "uk-ogl",
        ("gnu.org", "licenses" | "copyleft", page) if page.starts_with("fdl") => "gfdl",
        ("usa.gov", "publicdomain", "label") => "other-pd",
        ("project-open-data.cio.gov", "unknown-license", _) => "notspecified",
        _ => return None,
    };
    Some(id)
}

/// Media types of the file formats CKAN resources commonly name (lower-cased format or file
/// extension).
const FORMATS: &[(&str, &str)] = &[
    ("csv", "text/csv"),
    ("tsv", "text/tab-separated-values"),
    ("txt", "text/plain"),
    ("text", "text/plain"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("json", "application/json"),
    ("geojson", "application/geo+json"),
    ("jsonld", "application/ld+json"),
    ("json-ld", "application/ld+json"),
    ("xml", "application/xml"),
    ("rdf", "application/rdf+xml"),
    ("ttl", "text/turtle"),
    ("turtle", "text/turtle"),
    ("n3", "text/n3"),
    ("pdf", "application/pdf"),
    ("xls", "application/vnd.ms-excel"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("doc", "application/msword"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("ppt", "application/vnd.ms-powerpoint"),
    ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("gzip", "application/gzip"),
    ("kml", "application/vnd.google-earth.kml+xml"),
    ("kmz", "application/vnd.google-earth.kmz"),
    ("gpx", "application/gpx+xml"),
    ("parquet", "application/vnd.apache.parquet"),
    ("netcdf", "application/x-netcdf"),
    ("nc", "application/x-netcdf"),
    ("sql", "application/sql"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("svg", "image/svg+xml"),
];

/// The media type of a resource format such as `CSV` or `.xlsx`.
pub(crate) fn format_media_type(format: &str) -> Option<&'static str> {
    let key = format.trim().trim_start_matches('.').to_ascii_lowercase();
    FORMATS.iter().find(|(name, _)| *name == key).map(|(_, media)| *media)
}

/// The media type of a URL's file extension (`.../data.csv?x=1` → `text/csv`).
pub(crate) fn url_media_type(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or_default();
    let (_, extension) = last.rsplit_once('.')?;
    format_media_type(extension)
}

/// Formats of resources that are services or web pages, reached through an `accessURL`
/// rather than downloaded.
pub(crate) fn is_service_format(format: &str) -> bool {
    let lower = format.trim().to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "api"
            | "html"
            | "htm"
            | "web page"
            | "webpage"
            | "website"
            | "wms"
            | "wfs"
            | "wcs"
            | "wmts"
            | "sparql"
            | "rest"
            | "query tool"
    ) || lower.starts_with("arcgis")
        || lower.starts_with("esri rest")
        || lower.starts_with("ogc ")
}

/// An update frequency as data.json's `accrualPeriodicity`, from the words and codes CKAN
/// sites store: English words (`monthly`, `as needed`), the EU frequency vocabulary
/// (`http://publications.europa.eu/resource/authority/frequency/ANNUAL_2`) and Dublin Core's
/// (`http://purl.org/cld/freq/quarterly`). Frequencies that say there will be no updates
/// (`never`, `not planned`, `unknown`) have no data.json value.
pub(crate) fn frequency(word: &str) -> Option<&'static str> {
    let last = word.trim().trim_end_matches('/').rsplit('/').next().unwrap_or_default();
    let key: String =
        last.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
    let iso = match key.as_str() {
        "irregular" | "irreg" | "completelyirregular" | "asneeded" | "adhoc" => "irregular",
        "decennial" => "R/P10Y",
        "quinquennial" => "R/P5Y",
        "quadrennial" => "R/P4Y",
        "triennial" => "R/P3Y",
        "biennial" | "biennially" => "R/P2Y",
        "annual" | "annually" | "yearly" => "R/P1Y",
        "semiannual" | "semiannually" | "biannual" | "biannually" | "annual2" => "R/P6M",
        "threetimesayear" | "triannual" | "annual3" => "R/P4M",
        "quarterly" => "R/P3M",
        "bimonthly" => "R/P2M",
        "monthly" => "R/P1M",
        "semimonthly" | "twiceamonth" | "monthly2" => "R/P0.5M",
        "threetimesamonth" | "monthly3" => "R/P0.33M",
        "biweekly" | "fortnightly" => "R/P2W",
        "weekly" => "R/P1W",
        "semiweekly" | "twiceaweek" | "weekly2" => "R/P3.5D",
        "threetimesaweek" | "weekly3" => "R/P0.33W",
        "daily" => "R/P1D",
        "daily2" | "twiceaday" => "R/PT12H",
        "hourly" => "R/PT1H",
        "continuous" | "continual" | "continuouslyupdated" | "cont" | "updatecont" | "realtime" => "R/PT1S",
        _ => return None,
    };
    Some(iso)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licences_by_url_and_title() {
        assert_eq!(licence_id("https://creativecommons.org/publicdomain/zero/1.0/"), Some("cc-zero"));
        assert_eq!(licence_id("http://creativecommons.org/licenses/by/3.0/igo/legalcode"), Some("cc-by"));
        assert_eq!(licence_id("http://creativecommons.org/licenses/by-sa/4.0"), Some("cc-by-sa"));
        assert_eq!(licence_id("http://www.opendefinition.org/licenses/odc-odbl"), Some("odc-odbl"));
        assert_eq!(licence_id("Open Database License (ODbL) v1.0"), Some("odc-odbl"));
        assert_eq!(licence_id("https://project-open-data.cio.gov/unknown-license"), Some("notspecified"));
        assert_eq!(licence_id("https://example.org/my-licence"), None);
        assert_eq!(
            licence_url("uk-ogl"),
            Some("https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")
        );
        assert_eq!(licence_url("other-open"), None);
    }

    #[test]
    fn formats_and_frequencies() {
        assert_eq!(format_media_type(" CSV "), Some("text/csv"));
        assert_eq!(
            format_media_type(".xlsx"),
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
        assert_eq!(url_media_type("https://x.org/a/data.JSON?x=1"), Some("application/json"));
        assert_eq!(url_media_type("https://x.org/a/"), None);
        assert!(is_service_format("ArcGIS GeoServices REST API"));
        assert!(!is_service_format("CSV"));
        assert_eq!(frequency("As Needed"), Some("irregular"));
        assert_eq!(
            frequency("http://publications.europa.eu/resource/authority/frequency/ANNUAL_2"),
            Some("R/P6M")
        );
        assert_eq!(frequency("http://purl.org/cld/freq/quarterly"), Some("R/P3M"));
        assert_eq!(frequency("never"), None);
    }
}
