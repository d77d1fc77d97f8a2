//! data.json catalogue → CKAN dataset dicts, for harvesting.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::ckan::{Contact, Package, list_of, text_of};
use crate::error::DatajsonError;
use crate::vocab;

/// Most dataset fields data.json has and this mapping does not know that are kept as extras.
const MAX_UNKNOWN_EXTRAS: usize = 100;

/// Deepest `subOrganizationOf` chain followed.
const MAX_PUBLISHER_DEPTH: usize = 20;

/// data.json fields kept as extras of the same name, as text.
const TEXT_EXTRAS: &[&str] = &[
    "modified",
    "issued",
    "accessLevel",
    "rights",
    "spatial",
    "temporal",
    "accrualPeriodicity",
    "dataQuality",
    "conformsTo",
    "describedBy",
    "describedByType",
    "isPartOf",
    "systemOfRecords",
    "primaryITInvestmentUII",
];

/// data.json list fields kept as extras of the same name, as a JSON array in text.
const LIST_EXTRAS: &[&str] = &["bureauCode", "programCode", "language", "theme", "references"];

/// data.json fields mapped otherwise (to CKAN fields, resources or differently named extras).
const MAPPED: &[&str] = &[
    "@type",
    "identifier",
    "title",
    "description",
    "keyword",
    "landingPage",
    "license",
    "publisher",
    "contactPoint",
    "mbox",
    "distribution",
    "accessURL",
    "webService",
    "format",
];

/// Keys of CKAN's own dataset fields, which an extra may not take.
const CKAN_FIELDS: &[&str] = &[
    "id",
    "name",
    "title",
    "notes",
    "url",
    "version",
    "state",
    "type",
    "private",
    "owner_org",
    "organization",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "license_id",
    "license_title",
    "license_url",
    "isopen",
    "tags",
    "tag_string",
    "groups",
    "extras",
    "resources",
    "num_tags",
    "num_resources",
    "metadata_created",
    "metadata_modified",
    "creator_user_id",
    "relationships_as_object",
    "relationships_as_subject",
    "revision_id",
];

/// A parsed data.json catalogue whose datasets are converted one at a time.
///
/// Parsing checks the whole document and keeps only where each dataset's text is in `body`;
/// [`Catalog::datasets`] then parses and converts one dataset at a time, so only one dataset's
/// JSON is held at once, however large the catalogue.
///
/// Accepted: a catalogue object with a `dataset` list (DCAT-US 1.1, 1.0, and profiles such as
/// Argentina's that add fields), or a bare list of datasets (as ckanext-dcat's `dcat_json`
/// harvester also accepts). A UTF-8 byte-order mark is ignored.
#[derive(Debug)]
pub struct Catalog<'a> {
    datasets: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Document<'a> {
    #[serde(borrow, default)]
    dataset: Option<&'a RawValue>,
    #[serde(default)]
    success: Option<IgnoredAny>,
    #[serde(default)]
    result: Option<IgnoredAny>,
}

impl<'a> Catalog<'a> {
    /// # Errors
    /// [`DatajsonError::Empty`], [`DatajsonError::NotJson`] (HTML, XML),
    /// [`DatajsonError::InvalidJson`], or [`DatajsonError::NotACatalog`] for JSON that is not a
    /// catalogue (no `dataset` list, datasets that are not objects, a CKAN API response).
    pub fn parse(body: &'a [u8]) -> Result<Self, DatajsonError> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let Some(first) = body.iter().find(|b| !b.is_ascii_whitespace()) else {
            return Err(DatajsonError::Empty);
        };
        let datasets = match first {
            b'<' => return Err(DatajsonError::NotJson(markup_kind(body))),
            b'[' => serde_json::from_slice::<Vec<&RawValue>>(body).map_err(DatajsonError::json)?,
            b'{' => {
                let doc: Document<'_> = serde_json::from_slice(body).map_err(DatajsonError::json)?;
                let Some(list) = doc.dataset else {
                    let what = if doc.success.is_some() || doc.result.is_some() {
                        "a CKAN API response, not a data.json catalogue"
                    } else {
                        "an object without a `dataset` list"
                    };
                    return Err(DatajsonError::NotACatalog(what.into()));
                };
                if !list.get().starts_with('[') {
                    return Err(DatajsonError::NotACatalog(format!("its `dataset` is {}", kind(list))));
                }
                serde_json::from_str::<Vec<&RawValue>>(list.get()).map_err(DatajsonError::json)?
            }
            _ => {
                serde_json::from_slice::<IgnoredAny>(body).map_err(DatajsonError::json)?;
                return Err(DatajsonError::NotACatalog("the document is a single JSON value".into()));
            }
        };
        if let Some((i, raw)) = datasets.iter().enumerate().find(|(_, raw)| !raw.get().starts_with('{')) {
            return Err(DatajsonError::NotACatalog(format!(
                "dataset {} is {}, not an object",
                i + 1,
                kind(raw)
            )));
        }
        Ok(Catalog { datasets })
    }

    /// How many datasets the catalogue lists.
    pub fn len(&self) -> usize {
        self.datasets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.datasets.is_empty()
    }

    /// Each dataset as a CKAN dataset dict (see [`dataset_to_ckan`]), in catalogue order.
    pub fn datasets(&self) -> impl ExactSizeIterator<Item = Result<Value, DatajsonError>> + '_ {
        self.datasets.iter().map(|raw| {
            let dataset: Value = serde_json::from_str(raw.get()).map_err(DatajsonError::json)?;
            dataset_to_ckan(&dataset)
        })
    }

    /// Each dataset's JSON text exactly as the catalogue has it (what a harvester stores as the
    /// source of a harvested dataset).
    pub fn raw_datasets(&self) -> impl ExactSizeIterator<Item = &'a str> + '_ {
        self.datasets.iter().map(|raw| raw.get())
    }
}

fn kind(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'[') => "a list",
        Some(b'{') => "an object",
        Some(b'"') => "a string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        _ => "a number",
    }
}

/// What markup a body that starts with `<` seems to be.
fn markup_kind(body: &[u8]) -> String {
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    if head.contains("<html") || head.contains("<!doctype html") {
        "an HTML page".into()
    } else {
        "XML or HTML".into()
    }
}

/// All datasets of a data.json catalogue as CKAN dataset dicts (see [`Catalog`] to convert them
/// one at a time instead).
///
/// # Errors
/// See [`Catalog::parse`].
pub fn parse_catalog(body: &[u8]) -> Result<Vec<Value>, DatajsonError> {
    Catalog::parse(body)?.datasets().collect()
}

/// The identifier a harvester matches a remote dataset by: a data.json dataset's `identifier`,
/// or, in a CKAN dict, the top-level `identifier`, else the `guid` extra (ckanext-dcat and
/// [`dataset_to_ckan`] set it), else the `identifier` extra (GSA's ckanext-datajson).
pub fn identifier_of(dataset: &Value) -> Option<String> {
    let Value::Object(doc) = dataset else { return None };
    let package = Package::new(doc, "en");
    package
        .core("identifier")
        .and_then(|v| text_of(v, "en"))
        .or_else(|| package.extra("guid").and_then(|v| text_of(v, "en")))
        .or_else(|| package.extra("identifier").and_then(|v| text_of(v, "en")))
}

/// One data.json dataset as a CKAN dataset dict for `package_create`, as ckanext-dcat's
/// `dcat_to_ckan` makes it, with GSA ckanext-datajson's extras for the DCAT-US fields (see the
/// crate documentation for the full mapping). The harvester adds `name`, `owner_org` and
/// `id` (for an update).
///
/// # Errors
/// [`DatajsonError::NotADataset`] when `dataset` is not an object.
pub fn dataset_to_ckan(dataset: &Value) -> Result<Value, DatajsonError> {
    let Value::Object(d) = dataset else {
        return Err(DatajsonError::NotADataset("it is not a JSON object".into()));
    };
    let text = |key: &str| d.get(key).and_then(|v| text_of(v, "en"));
    let mut out = Map::new();
    let mut extras = Extras::default();

    if let Some(title) = text("title") {
        out.insert("title".into(), title.into());
    }
    if let Some(notes) = text("description") {
        out.insert("notes".into(), notes.into());
    }
    if let Some(url) = text("landingPage") {
        out.insert("url".into(), url.into());
    }
    let keywords = d.get("keyword").map(list_of).unwrap_or_default();
    let mut tags: Vec<String> = Vec::new();
    for tag in keywords.iter().filter_map(|k| tag_name(k)) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let tags: Vec<Value> = tags.into_iter().map(|name| serde_json::json!({ "name": name })).collect();
    out.insert("tags".into(), tags.into());

    if let Some(license) = text("license") {
        if let Some(id) = vocab::licence_id(&license) {
            out.insert("license_id".into(), id.into());
        }
        extras.push("license", license);
    }
    let contact = match d.get("contactPoint") {
        Some(point @ Value::Object(_)) => Contact::from_object(point),
        Some(name) => Contact::from_fields(Some(name), d.get("mbox")),
        None => Contact::from_fields(None, d.get("mbox")),
    };
    if let Some(name) = &contact.name {
        out.insert("maintainer".into(), name.clone().into());
    }
    if let Some(email) = &contact.email {
        out.insert("maintainer_email".into(), email.clone().into());
    }

    if let Some(identifier) = text("identifier") {
        extras.push("guid", identifier.clone());
        extras.push("identifier", identifier);
    }
    publisher(d.get("publisher"), &mut extras);
    if let Some(name) = contact.name {
        extras.push("contact_name", name);
    }
    let raw_email = match d.get("contactPoint") {
        Some(Value::Object(point)) => point.get("hasEmail").or_else(|| point.get("email")),
        _ => d.get("mbox"),
    };
    let raw_email =
        raw_email.and_then(|v| text_of(v, "en")).map(|e| e.trim_start_matches("mailto:").to_owned());
    if let Some(email) = contact.email.or(raw_email) {
        extras.push("contact_email", email);
    }
    for key in TEXT_EXTRAS {
        if let Some(value) = d.get(*key).and_then(extra_text) {
            extras.push(key, value);
        }
    }
    for key in LIST_EXTRAS {
        let items = d.get(*key).map(list_of).unwrap_or_default();
        if !items.is_empty() {
            extras.push(key, Value::from(items).to_string());
        }
    }
    let unknown = d.iter().filter(|(key, _)| {
        !(MAPPED.contains(&key.as_str())
            || TEXT_EXTRAS.contains(&key.as_str())
            || LIST_EXTRAS.contains(&key.as_str())
            || CKAN_FIELDS.contains(&key.as_str()))
    });
    for (key, value) in unknown.take(MAX_UNKNOWN_EXTRAS) {
        if let Some(value) = extra_text(value) {
            extras.push(key, value);
        }
    }
    out.insert("extras".into(), extras.into_value());
    out.insert("resources".into(), resources(d).into());
    Ok(Value::Object(out))
}

/// Extras in order, each key once.
#[derive(Default)]
struct Extras(Vec<(String, String)>);

impl Extras {
    fn push(&mut self, key: &str, value: String) {
        if !value.is_empty() && !self.0.iter().any(|(k, _)| k == key) {
            self.0.push((key.to_owned(), value));
        }
    }

    fn into_value(self) -> Value {
        self.0.into_iter().map(|(key, value)| serde_json::json!({ "key": key, "value": value })).collect()
    }
}

/// A value as extra text: strings trimmed, numbers and booleans written, lists and objects as
/// JSON; nothing for null and blanks.
fn extra_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned),
        Value::Array(a) if a.is_empty() => None,
        Value::Object(o) if o.is_empty() => None,
        other => Some(other.to_string()),
    }
}

/// A keyword as a tag CKAN accepts: characters other than letters, digits, space, `-`, `_` and
/// `.` become spaces, runs of spaces one, at most 100 characters; shorter than 2 is dropped.
fn tag_name(keyword: &str) -> Option<String> {
    let cleaned: String = keyword
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { ' ' })
        .collect();
    let joined = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let tag: String = joined.chars().take(100).collect::<String>().trim_end().to_owned();
    (tag.chars().count() >= 2).then_some(tag)
}

/// `publisher` (an organization, or a name as in DCAT-US 1.0): its name, its parents'
/// (`publisher_hierarchy`, `Top > Parent > Publisher`, as GSA's harvester writes it) and an
/// address (`mbox`, which Argentina's profile uses).
fn publisher(value: Option<&Value>, extras: &mut Extras) {
    match value {
        Some(org @ Value::Object(map)) => {
            let Some(name) = map.get("name").and_then(|v| text_of(v, "en")) else { return };
            let mut chain = vec![name.clone()];
            let mut parent = map.get("subOrganizationOf");
            while let Some(p) = parent.filter(|_| chain.len() < MAX_PUBLISHER_DEPTH) {
                let Some(parent_name) = p.get("name").and_then(|v| text_of(v, "en")) else { break };
                chain.push(parent_name);
                parent = p.get("subOrganizationOf");
            }
            extras.push("publisher", name);
            if chain.len() > 1 {
                chain.reverse();
                extras.push("publisher_hierarchy", chain.join(" > "));
            }
            if let Some(email) = Contact::from_object(org).email {
                extras.push("publisher_email", email);
            }
        }
        Some(other) => {
            if let Some(name) = text_of(other, "en") {
                extras.push("publisher", name);
            }
        }
        None => {}
    }
}

/// `distribution` (a list, or one object) as CKAN resources; a DCAT-US 1.0 dataset without one
/// gets a resource from its own `accessURL`/`webService` and `format`.
fn resources(d: &Map<String, Value>) -> Vec<Value> {
    let mut distributions: Vec<Map<String, Value>> = match d.get("distribution") {
        Some(Value::Array(items)) => items.iter().filter_map(|i| i.as_object().cloned()).collect(),
        Some(Value::Object(one)) => vec![one.clone()],
        _ => Vec::new(),
    };
    if distributions.is_empty() {
        for key in ["accessURL", "webService"] {
            if let Some(url) = d.get(key).filter(|v| v.as_str().is_some_and(|s| !s.trim().is_empty())) {
                let mut one = Map::new();
                one.insert("accessURL".into(), url.clone());
                if let Some(format) = d.get("format") {
                    one.insert("format".into(), format.clone());
                }
                distributions.push(one);
            }
        }
    }
    distributions.iter().map(resource).collect()
}

fn resource(distribution: &Map<String, Value>) -> Value {
    let text = |key: &str| distribution.get(key).and_then(|v| text_of(v, "en"));
    let download = text("downloadURL");
    let access = text("accessURL").or_else(|| text("webService"));
    let mut out = Map::new();
    out.insert("url".into(), download.clone().or_else(|| access.clone()).unwrap_or_default().into());
    if let Some(name) = text("title").or_else(|| text("fileName")) {
        out.insert("name".into(), name.into());
    }
    if let Some(description) = text("description") {
        out.insert("description".into(), description.into());
    }
    let media = text("mediaType");
    if let Some(format) = text("format").or_else(|| media.clone()) {
        out.insert("format".into(), format.into());
    }
    if let Some(media) = media {
        out.insert("mimetype".into(), media.into());
    }
    if let (Some(download), Some(access)) = (&download, access)
        && *download != access
    {
        out.insert("access_url".into(), access.into());
    }
    let size = match distribution.get("byteSize") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    if let Some(size) = size {
        out.insert("size".into(), size.into());
    }
    for key in ["conformsTo", "describedBy", "describedByType"] {
        if let Some(value) = text(key) {
            out.insert(key.into(), value.into());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn extra<'v>(package: &'v Value, key: &str) -> Option<&'v str> {
        package["extras"].as_array()?.iter().find(|e| e["key"] == key)?["value"].as_str()
    }

    #[test]
    fn a_full_dataset() {
        let dataset = json!({
            "@type": "dcat:Dataset", "title": " Roads ", "description": "All roads", "identifier": "r-1",
            "keyword": ["roads", "Health & Safety", "x", "roads", "  "], "landingPage": "https://x.gov/roads",
            "modified": "2020-01-01", "accessLevel": "public", "bureauCode": ["015:11"], "programCode": ["015:001"],
            "license": "https://creativecommons.org/publicdomain/zero/1.0/",
            "publisher": {"@type": "org:Organization", "name": "Bureau", "subOrganizationOf": {"name": "Dept"}},
            "contactPoint": {"@type": "vcard:Contact", "fn": "Jo", "hasEmail": "mailto:jo@x.gov"},
            "dataQuality": true, "theme": ["Transport"], "superTheme": ["TRAN"], "name": "clash",
            "distribution": [
                {"@type": "dcat:Distribution", "title": "CSV", "downloadURL": "https://x.gov/r.csv", "accessURL": "https://x.gov/r", "mediaType": "text/csv", "byteSize": "12"},
                {"accessURL": "https://x.gov/api", "format": "API"}
            ]
        });
        let p = dataset_to_ckan(&dataset).unwrap();
        assert_eq!(p["title"], "Roads");
        assert_eq!(p["notes"], "All roads");
        assert_eq!(p["url"], "https://x.gov/roads");
        assert_eq!(p["tags"], json!([{"name": "roads"}, {"name": "Health Safety"}]));
        assert_eq!(p["license_id"], "cc-zero");
        assert_eq!(p["maintainer"], "Jo");
        assert_eq!(p["maintainer_email"], "jo@x.gov");
        for (key, value) in [
            ("guid", "r-1"),
            ("identifier", "r-1"),
            ("modified", "2020-01-01"),
            ("publisher", "Bureau"),
            ("publisher_hierarchy", "Dept > Bureau"),
            ("contact_name", "Jo"),
            ("contact_email", "jo@x.gov"),
            ("accessLevel", "public"),
            ("bureauCode", "[\"015:11\"]"),
            ("programCode", "[\"015:001\"]"),
            ("license", "https://creativecommons.org/publicdomain/zero/1.0/"),
            ("dataQuality", "true"),
            ("theme", "[\"Transport\"]"),
            ("superTheme", "[\"TRAN\"]"),
        ] {
            assert_eq!(extra(&p, key), Some(value), "{key}");
        }
        assert_eq!(extra(&p, "name"), None);
        assert_eq!(identifier_of(&p).as_deref(), Some("r-1"));
        assert_eq!(identifier_of(&dataset).as_deref(), Some("r-1"));
        assert_eq!(
            p["resources"],
            json!([
                {"url": "https://x.gov/r.csv", "name": "CSV", "format": "text/csv", "mimetype": "text/csv", "access_url": "https://x.gov/r", "size": 12},
                {"url": "https://x.gov/api", "format": "API"}
            ])
        );
    }

    #[test]
    fn a_dcat_us_1_0_dataset() {
        let dataset = json!({
            "title": "Old", "keyword": "a1, b2", "publisher": "Agency", "contactPoint": "Jo", "mbox": "jo@x.gov",
            "accessURL": "https://x.gov/old.zip", "format": "application/zip"
        });
        let p = dataset_to_ckan(&dataset).unwrap();
        assert_eq!(p["tags"], json!([{"name": "a1"}, {"name": "b2"}]));
        assert_eq!(extra(&p, "publisher"), Some("Agency"));
        assert_eq!(p["maintainer_email"], "jo@x.gov");
        assert_eq!(p["resources"], json!([{"url": "https://x.gov/old.zip", "format": "application/zip"}]));
        assert_eq!(identifier_of(&p), None);
    }

    #[test]
    fn tags() {
        assert_eq!(tag_name("boletín oficial").as_deref(), Some("boletín oficial"));
        assert_eq!(tag_name("C++"), None);
        assert_eq!(tag_name(&"a".repeat(150)).map(|t| t.len()), Some(100));
    }

    #[test]
    fn what_is_not_a_catalogue() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty"),
            (b"  \n", "empty"),
            (b"<!DOCTYPE html><html><body>Not found</body></html>", "HTML"),
            (b"<?xml version=\"1.0\"?><rdf:RDF/>", "XML"),
            (b"{\"dataset\": [", "line 1"),
            (b"{\"dataset\": []} x", "trailing"),
            (b"\"dataset\"", "single JSON value"),
            (b"42", "single JSON value"),
            (b"{\"title\": \"x\"}", "without a `dataset` list"),
            (b"{\"help\": \"h\", \"success\": true, \"result\": []}", "CKAN API response"),
            (b"{\"dataset\": {\"title\": \"x\"}}", "`dataset` is an object"),
            (b"{\"dataset\": null}", "without a `dataset` list"),
            (b"[{\"title\": \"a\"}, 3]", "dataset 2 is a number"),
            (b"{\"dataset\": [\"x\"]}", "dataset 1 is a string"),
            (b"\xff\xfe{}", "line 1"),
        ];
        for (body, expected) in cases {
            let error = Catalog::parse(body).unwrap_err().to_string();
            assert!(error.contains(expected), "{}: {error}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn catalogues_that_are_fine() {
        assert_eq!(parse_catalog(b"\xEF\xBB\xBF{\"dataset\": []}").unwrap(), Vec::<Value>::new());
        assert_eq!(parse_catalog(b"[]").unwrap(), Vec::<Value>::new());
        let catalog = Catalog::parse(b"[{\"identifier\": \"a\"}, {\"identifier\": 7}]").unwrap();
        assert_eq!(catalog.len(), 2);
        assert_eq!(
            catalog.raw_datasets().collect::<Vec<_>>(),
            ["{\"identifier\": \"a\"}", "{\"identifier\": 7}"]
        );
        let ids: Vec<_> = catalog.datasets().map(|d| identifier_of(&d.unwrap())).collect();
        assert_eq!(ids, [Some("a".to_owned()), Some("7".to_owned())]);
    }
}
