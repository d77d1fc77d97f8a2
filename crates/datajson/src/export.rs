//! CKAN dataset dict → DCAT-US 1.1 dataset.

use serde_json::{Map, Value, json};

use crate::catalog::CatalogInfo;
use crate::ckan::{Contact, Package, is_blank, list_of, text_of};
use crate::error::DatajsonError;
use crate::{valid, vocab};

/// Resource types (`resource_type`, `url_type`) whose URL is a service or page, not a file.
const ACCESS_RESOURCE_TYPES: &[&str] = &["api", "accessurl", "service", "webservice", "web service"];

/// The DCAT-US 1.1 dataset for one CKAN dataset dict (as `package_show` returns it).
///
/// The result is valid against the Project Open Data v1.1 dataset schema (`bureauCode` and
/// `programCode` aside: they are written only when the dataset carries valid ones, see the
/// crate documentation for every field's source and fallback).
///
/// # Errors
/// [`DatajsonError::NotADataset`] when `package` is not an object or has none of `id`, `name`
/// and an identifier: nothing would identify the dataset.
pub fn dataset_json(package: &Value, catalog: &CatalogInfo) -> Result<Value, DatajsonError> {
    let Value::Object(doc) = package else {
        return Err(DatajsonError::NotADataset("it is not a JSON object".into()));
    };
    let p = Package::new(doc, catalog.language());
    let site = catalog.site_url();
    let link = |raw: &str| valid::link(raw, site);

    let id = p.text(&["id"]);
    let name = p.text(&["name"]);
    let identifier = p
        .text(&["identifier", "guid", "unique_id"])
        .or_else(|| id.clone())
        .or_else(|| name.clone())
        .ok_or_else(|| DatajsonError::NotADataset("it has no id, name or identifier".into()))?;
    let title = p.text(&["title"]).or_else(|| name.clone()).unwrap_or_else(|| identifier.clone());
    let description = p.text(&["notes", "description"]).unwrap_or_else(|| title.clone());
    let groups = p.group_titles();

    let mut out = Map::new();
    out.insert("@type".into(), "dcat:Dataset".into());
    out.insert("title".into(), title.into());
    out.insert("description".into(), description.into());
    out.insert("keyword".into(), keywords(&p, &groups, catalog).into());
    out.insert("modified".into(), modified(&p, catalog).into());
    out.insert("publisher".into(), publisher(&p, catalog));
    out.insert("contactPoint".into(), contact_point(&p, catalog));
    out.insert("identifier".into(), identifier.into());
    out.insert("accessLevel".into(), access_level(&p).into());

    let codes = |keys: &[&str], check: fn(&str) -> Option<String>| {
        unique(p.field(keys).map(list_of).unwrap_or_default().iter().filter_map(|c| check(c)))
    };
    let bureau = codes(&["bureauCode", "bureau_code", "Bureau Code"], valid::bureau_code);
    insert_list(&mut out, "bureauCode", bureau);
    let program = codes(&["programCode", "program_code", "Program Code"], valid::program_code);
    insert_list(&mut out, "programCode", program);

    if let Some(license) = license(&p, site) {
        out.insert("license".into(), license.into());
    }
    if let Some(rights) = p.text(&["rights"]).filter(|r| r.chars().count() <= 255) {
        out.insert("rights".into(), rights.into());
    }
    if let Some(spatial) = spatial(&p) {
        out.insert("spatial".into(), spatial.into());
    }
    if let Some(temporal) = temporal(&p) {
        out.insert("temporal".into(), temporal.into());
    }
    if let Some(periodicity) = periodicity(&p) {
        out.insert("accrualPeriodicity".into(), periodicity.into());
    }
    if let Some(issued) = p
        .text(&["issued", "dcat_issued"])
        .and_then(|d| valid::iso_date(&d))
        .or_else(|| p.text(&["metadata_created"]).and_then(|d| ckan_time(&d)))
    {
        out.insert("issued".into(), issued.into());
    }
    let languages = p.field(&["language", "metadata-language", "metadata_language"]).map(list_of);
    insert_list(
        &mut out,
        "language",
        unique(languages.unwrap_or_default().iter().filter_map(|l| valid::language(l))),
    );
    let landing = p
        .core("url")
        .and_then(|v| text_of(v, "en"))
        .and_then(|u| link(&u))
        .or_else(|| p.text(&["landingPage"]).and_then(|u| link(&u)))
        .or_else(|| name.as_ref().or(id.as_ref()).and_then(|n| link(&format!("{site}/dataset/{n}"))));
    if let Some(landing) = landing {
        out.insert("landingPage".into(), landing.into());
    }
    let themes = p.field(&["theme"]).map(list_of).unwrap_or_default();
    insert_list(&mut out, "theme", unique(themes.into_iter().chain(groups)));
    let references = p.field(&["references"]).map(list_of).unwrap_or_default();
    insert_list(&mut out, "references", unique(references.iter().filter_map(|r| link(r))));
    for (key, value) in [
        ("conformsTo", p.text(&["conformsTo", "conforms_to"]).and_then(|u| link(&u))),
        ("describedBy", p.text(&["describedBy", "described_by"]).and_then(|u| link(&u))),
        ("describedByType", p.text(&["describedByType"]).and_then(|m| valid::media_type(&m))),
        ("isPartOf", p.text(&["isPartOf"])),
        ("systemOfRecords", p.text(&["systemOfRecords"])),
        (
            "primaryITInvestmentUII",
            p.text(&["primaryITInvestmentUII"]).and_then(|u| valid::investment_uii(&u)),
        ),
    ] {
        if let Some(value) = value {
            out.insert(key.into(), value.into());
        }
    }
    if let Some(quality) = p.field(&["dataQuality"]).and_then(boolean) {
        out.insert("dataQuality".into(), quality.into());
    }
    let distributions: Vec<Value> = p.resources().map(|r| distribution(r, catalog)).collect();
    if !distributions.is_empty() {
        out.insert("distribution".into(), distributions.into());
    }
    Ok(Value::Object(out))
}

/// Distinct values in their first order.
fn unique(values: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        if !out.contains(&value) {
            out.push(value);
        }
    }
    out
}

fn insert_list(out: &mut Map<String, Value>, key: &str, values: Vec<String>) {
    if !values.is_empty() {
        out.insert(key.into(), values.into());
    }
}

fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" => Some(true),
            "false" | "off" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A CKAN timestamp (UTC without a zone, `2017-10-02T12:34:56.123456`) with its zone written.
fn ckan_time(raw: &str) -> Option<String> {
    let mut time = valid::iso_date(raw)?;
    let zoned = time
        .split_once(['T', ' '])
        .is_none_or(|(_, clock)| clock.ends_with(['Z', 'z']) || clock.contains(['+', '-']));
    if !zoned {
        time.push('Z');
    }
    Some(time)
}

/// Tags; without any, the groups' titles, then the organization's, then the catalogue's: the
/// schema wants at least one keyword, and these say what the dataset is filed under.
fn keywords(p: &Package<'_>, groups: &[String], catalog: &CatalogInfo) -> Vec<String> {
    let tags = unique(p.tag_names());
    if !tags.is_empty() {
        return tags;
    }
    if !groups.is_empty() {
        return unique(groups.iter().cloned());
    }
    vec![p.organization_title().unwrap_or_else(|| catalog.title().to_owned())]
}

/// The source's date of change (an extra a harvest kept), else CKAN's `metadata_modified`,
/// else `metadata_created`, else the time the catalogue was made.
fn modified(p: &Package<'_>, catalog: &CatalogInfo) -> String {
    p.text(&["modified", "dcat_modified"])
        .and_then(|d| valid::iso_date(&d))
        .or_else(|| p.text(&["metadata_modified"]).and_then(|d| ckan_time(&d)))
        .or_else(|| p.text(&["metadata_created"]).and_then(|d| ckan_time(&d)))
        .unwrap_or_else(|| catalog.generated().to_owned())
}

/// The publisher an extra names (a harvest keeps the source's), else the organization, else
/// the catalogue; `publisher_hierarchy` (`Parent > Child`) gives `subOrganizationOf`.
fn publisher(p: &Package<'_>, catalog: &CatalogInfo) -> Value {
    let named = p.field(&["publisher", "dcat_publisher_name", "publisher_name"]).and_then(|v| match v {
        Value::Object(_) => Contact::from_object(v).name,
        Value::String(s) if s.trim_start().starts_with('{') => {
            serde_json::from_str::<Value>(s).ok().and_then(|json| Contact::from_object(&json).name)
        }
        other => p.text_of(other),
    });
    let name = named.or_else(|| p.organization_title()).unwrap_or_else(|| catalog.title().to_owned());
    let mut chain: Vec<String> = p
        .text(&["publisher_hierarchy"])
        .map(|h| h.split(" > ").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    if chain.last() != Some(&name) {
        chain = vec![name];
    }
    let mut publisher: Option<Value> = None;
    for name in chain {
        let mut org = Map::new();
        org.insert("@type".into(), "org:Organization".into());
        org.insert("name".into(), name.into());
        if let Some(parent) = publisher.take() {
            org.insert("subOrganizationOf".into(), parent);
        }
        publisher = Some(Value::Object(org));
    }
    publisher.unwrap_or_else(|| json!({"@type": "org:Organization", "name": catalog.title()}))
}

/// The contacts a dataset names, best first: the contact extras (ckanext-dcat's `contact_*`,
/// data.gov.uk's `contact-*`, GSA's labels), a schema's `contact_points`, the maintainer,
/// the author.
fn contacts(p: &Package<'_>) -> Vec<Contact> {
    let mut found = Vec::new();
    for (name, email) in [
        ("contact_name", "contact_email"),
        ("contact-name", "contact-email"),
        ("Contact Name", "Contact Email"),
    ] {
        found.push(Contact::from_fields(p.extra(name).or(p.core(name)), p.extra(email).or(p.core(email))));
    }
    if let Some(Value::Array(points)) = p.core("contact_points") {
        found.extend(points.iter().map(Contact::from_object));
    }
    found.push(Contact::from_fields(p.core("maintainer"), p.core("maintainer_email")));
    found.push(Contact::from_fields(p.core("author"), p.core("author_email")));
    found.retain(|c| !c.is_empty());
    found
}

/// `contactPoint`: the first named contact with a valid address; without any address, the
/// catalogue's (with the dataset's contact name, or the organization's, or the catalogue's).
fn contact_point(p: &Package<'_>, catalog: &CatalogInfo) -> Value {
    let contacts = contacts(p);
    let with_email = contacts.iter().find(|c| c.email.is_some());
    let name = with_email
        .and_then(|c| c.name.clone())
        .or_else(|| contacts.iter().find_map(|c| c.name.clone()))
        .or_else(|| p.organization_title())
        .unwrap_or_else(|| catalog.title().to_owned());
    let email =
        with_email.and_then(|c| c.email.clone()).unwrap_or_else(|| catalog.contact_email().to_owned());
    json!({"@type": "vcard:Contact", "fn": name, "hasEmail": format!("mailto:{email}")})
}

/// `public`, unless an extra says `restricted public` or `non-public`, or the dataset is
/// private (then `non-public`: it is not available to everyone).
fn access_level(p: &Package<'_>) -> &'static str {
    let stated = p.text(&["accessLevel", "access_level", "Access Level", "public_access_level"]);
    match stated.map(|s| s.to_ascii_lowercase().replace(['_', '-'], " ")).as_deref() {
        Some("public") => "public",
        Some("restricted public") => "restricted public",
        Some("non public") => "non-public",
        _ if p.core("private") == Some(&Value::Bool(true)) => "non-public",
        _ => "public",
    }
}

/// A licence URL: the source's (`license` extra), the register's `license_url`, a
/// `license_id` that is a URL, or the URL of a well-known licence id.
fn license(p: &Package<'_>, site: &str) -> Option<String> {
    let link = |v: Option<String>| v.and_then(|u| valid::link(&u, site));
    link(p.text(&["license"])).or_else(|| link(p.text(&["license_url"]))).or_else(|| {
        let id = p.text(&["license_id"])?;
        valid::link(&id, site).or_else(|| vocab::licence_url(&id).map(str::to_owned))
    })
}

/// A place name or geometry: `spatial` (GeoJSON as text, or a dict written as JSON),
/// `spatial_text`, `geographic_coverage`.
fn spatial(p: &Package<'_>) -> Option<String> {
    match p.field(&["spatial", "spatial_text", "geographic_coverage"])? {
        Value::String(s) => Some(s.trim().to_owned()),
        value @ (Value::Object(_) | Value::Array(_)) => Some(value.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `temporal`, or an interval from a start/end pair (ckanext-dcat's `temporal_start`/
/// `temporal_end`, data.gov.uk's coverage and extent fields, a schema's `temporals`).
fn temporal(p: &Package<'_>) -> Option<String> {
    if let Some(t) = p.text(&["temporal"]).and_then(|t| valid::temporal(&t)) {
        return Some(t);
    }
    let pair = |start: Option<String>, end: Option<String>| {
        let (start, end) = (valid::iso_date(&start?)?, valid::iso_date(&end?)?);
        valid::temporal(&format!("{start}/{end}"))
    };
    for (start, end) in [
        ("temporal_start", "temporal_end"),
        ("temporal_coverage-from", "temporal_coverage-to"),
        ("temporal-extent-begin", "temporal-extent-end"),
    ] {
        if let Some(interval) = pair(p.text(&[start]), p.text(&[end])) {
            return Some(interval);
        }
    }
    let Some(Value::Array(periods)) = p.core("temporals") else { return None };
    periods.iter().find_map(|period| {
        let get = |k: &str| period.get(k).and_then(|v| text_of(v, "en"));
        pair(get("start_date"), get("end_date"))
    })
}

/// `accrualPeriodicity` from an ISO value or a frequency word (see [`vocab::frequency`]);
/// HDX's `data_update_frequency` counts days.
fn periodicity(p: &Package<'_>) -> Option<String> {
    let stated = p.text(&[
        "accrualPeriodicity",
        "accrual_periodicity",
        "frequency",
        "Accrual Periodicity",
        "update_frequency",
        "frequency-of-update",
        "UpdateFrequency",
    ]);
    if let Some(stated) = stated {
        return valid::periodicity(&stated).or_else(|| vocab::frequency(&stated).map(str::to_owned));
    }
    let days: i64 = p.text(&["data_update_frequency"])?.parse().ok()?;
    match days {
        1.. => Some(format!("R/P{days}D")),
        0 => Some("R/PT1S".into()),
        -2 => Some("irregular".into()),
        _ => None,
    }
}

/// One resource as a `dcat:Distribution`. Files get a `downloadURL` with their `mediaType`
/// (the resource's mimetype, else the format's, else the URL extension's); services and
/// pages (by resource type or format), and files whose media type is unknown, an `accessURL`.
fn distribution(resource: &Map<String, Value>, catalog: &CatalogInfo) -> Value {
    let site = catalog.site_url();
    let get = |key: &str| resource.get(key).filter(|v| !is_blank(v));
    let text = |keys: &[&str]| keys.iter().find_map(|k| get(k).and_then(|v| text_of(v, catalog.language())));
    let link = |keys: &[&str]| text(keys).and_then(|u| valid::link(&u, site));

    let format = text(&["format"]);
    let url = link(&["url"]);
    let download = link(&["download_url", "downloadURL"]);
    let access = link(&["access_url", "accessURL"]);
    let kind = text(&["resource_type"]).or_else(|| text(&["url_type"])).map(|k| k.to_ascii_lowercase());
    let service = kind.as_deref().is_some_and(|k| ACCESS_RESOURCE_TYPES.contains(&k))
        || format.as_deref().is_some_and(vocab::is_service_format);
    let (download, access) = if service { (download, access.or(url)) } else { (download.or(url), access) };
    let media = text(&["mimetype", "media_type", "mediaType"])
        .and_then(|m| valid::media_type(&m))
        .or_else(|| format.as_deref().and_then(valid::media_type))
        .or_else(|| format.as_deref().and_then(vocab::format_media_type).map(str::to_owned))
        .or_else(|| download.as_deref().and_then(vocab::url_media_type).map(str::to_owned));
    let (download, access) = match (download, &media) {
        (Some(d), None) => (None, access.or(Some(d))),
        (download, _) => (download, access),
    };
    let access = access.filter(|a| download.as_ref() != Some(a));

    let mut out = Map::new();
    out.insert("@type".into(), "dcat:Distribution".into());
    if let Some(title) = text(&["name", "title"]) {
        out.insert("title".into(), title.into());
    }
    if let Some(description) = text(&["description"]) {
        out.insert("description".into(), description.into());
    }
    if let Some(download) = download {
        out.insert("downloadURL".into(), download.into());
        if let Some(media) = media {
            out.insert("mediaType".into(), media.into());
        }
    }
    if let Some(access) = access {
        out.insert("accessURL".into(), access.into());
    }
    if let Some(format) = format {
        out.insert("format".into(), format.into());
    }
    for (key, value) in [
        ("conformsTo", link(&["conformsTo", "conforms_to"])),
        ("describedBy", link(&["describedBy", "described_by"])),
        ("describedByType", text(&["describedByType"]).and_then(|m| valid::media_type(&m))),
    ] {
        if let Some(value) = value {
            out.insert(key.into(), value.into());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn catalog() -> CatalogInfo {
        CatalogInfo::new("https://data.example.org/", "Example Data", "open@example.org").unwrap()
    }

    #[test]
    fn a_bare_dataset_gets_every_required_field_from_fallbacks() {
        let out = dataset_json(&json!({"id": "abc", "name": "roads"}), &catalog()).unwrap();
        assert_eq!(out["title"], "roads");
        assert_eq!(out["description"], "roads");
        assert_eq!(out["keyword"], json!(["Example Data"]));
        assert_eq!(out["publisher"]["name"], "Example Data");
        assert_eq!(
            out["contactPoint"],
            json!({"@type": "vcard:Contact", "fn": "Example Data", "hasEmail": "mailto:open@example.org"})
        );
        assert_eq!(out["identifier"], "abc");
        assert_eq!(out["accessLevel"], "public");
        assert_eq!(out["landingPage"], "https://data.example.org/dataset/roads");
        assert!(out["modified"].is_string());
        assert!(out.get("distribution").is_none() && out.get("bureauCode").is_none());
    }

    #[test]
    fn not_a_dataset() {
        assert!(matches!(dataset_json(&json!([1]), &catalog()), Err(DatajsonError::NotADataset(_))));
        assert!(matches!(
            dataset_json(&json!({"title": "x"}), &catalog()),
            Err(DatajsonError::NotADataset(_))
        ));
    }

    #[test]
    fn extras_a_harvest_kept_win() {
        let package = json!({
            "id": "abc", "name": "x", "title": "X", "notes": "About X", "private": true,
            "metadata_modified": "2020-01-02T03:04:05.123456", "metadata_created": "2019-01-01T00:00:00",
            "license_id": "cc-by", "maintainer": "Jo", "maintainer_email": "not-an-address",
            "author": "Ann", "author_email": "ann@x.org",
            "organization": {"title": "Org"}, "tags": [{"name": "roads"}, {"name": "roads"}],
            "groups": [{"title": "Transport", "name": "transport"}],
            "extras": [
                {"key": "identifier", "value": "remote-1"}, {"key": "modified", "value": "2018-05-01"},
                {"key": "accessLevel", "value": "restricted public"},
                {"key": "bureauCode", "value": "[\"015:11\", \"bad\"]"}, {"key": "programCode", "value": "015:001"},
                {"key": "publisher", "value": "Bureau"}, {"key": "publisher_hierarchy", "value": "Dept > Bureau"},
                {"key": "frequency", "value": "monthly"}, {"key": "temporal_start", "value": "2010-01-01"},
                {"key": "temporal_end", "value": "2012-12-31"}, {"key": "language", "value": "en,English"},
                {"key": "theme", "value": "[\"Roads\"]"}
            ]
        });
        let out = dataset_json(&package, &catalog()).unwrap();
        assert_eq!(out["identifier"], "remote-1");
        assert_eq!(out["modified"], "2018-05-01");
        assert_eq!(out["issued"], "2019-01-01T00:00:00Z");
        assert_eq!(out["accessLevel"], "restricted public");
        assert_eq!(out["bureauCode"], json!(["015:11"]));
        assert_eq!(out["programCode"], json!(["015:001"]));
        assert_eq!(out["keyword"], json!(["roads"]));
        assert_eq!(out["publisher"]["name"], "Bureau");
        assert_eq!(out["publisher"]["subOrganizationOf"]["name"], "Dept");
        assert_eq!(out["contactPoint"]["fn"], "Ann");
        assert_eq!(out["contactPoint"]["hasEmail"], "mailto:ann@x.org");
        assert_eq!(out["license"], "https://creativecommons.org/licenses/by/4.0/");
        assert_eq!(out["accrualPeriodicity"], "R/P1M");
        assert_eq!(out["temporal"], "2010-01-01/2012-12-31");
        assert_eq!(out["language"], json!(["en"]));
        assert_eq!(out["theme"], json!(["Roads", "Transport"]));
    }

    #[test]
    fn private_datasets_are_non_public() {
        let out = dataset_json(&json!({"id": "a", "private": true}), &catalog()).unwrap();
        assert_eq!(out["accessLevel"], "non-public");
    }

    #[test]
    fn distributions() {
        let package = json!({"id": "a", "resources": [
            {"name": "Data", "url": "https://x.org/d.csv", "format": "CSV", "mimetype": null},
            {"name": "API", "url": "https://x.org/api", "format": "API"},
            {"name": "Blob", "url": "https://x.org/blob", "format": "weird"},
            {"name": "Upload", "url": "/dataset/a/resource/r/download/f.json", "format": "", "mimetype": "application/json"},
            {"name": "No link", "url": ""}
        ]});
        let out = dataset_json(&package, &catalog()).unwrap();
        let d = out["distribution"].as_array().unwrap();
        assert_eq!(
            d[0],
            json!({"@type": "dcat:Distribution", "title": "Data", "downloadURL": "https://x.org/d.csv", "mediaType": "text/csv", "format": "CSV"})
        );
        assert_eq!(
            d[1],
            json!({"@type": "dcat:Distribution", "title": "API", "accessURL": "https://x.org/api", "format": "API"})
        );
        assert_eq!(
            d[2],
            json!({"@type": "dcat:Distribution", "title": "Blob", "accessURL": "https://x.org/blob", "format": "weird"})
        );
        assert_eq!(d[3]["downloadURL"], "https://data.example.org/dataset/a/resource/r/download/f.json");
        assert_eq!(d[4], json!({"@type": "dcat:Distribution", "title": "No link"}));
    }
}
