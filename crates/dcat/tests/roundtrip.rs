//! CKAN dicts written as DCAT and read back keep their fields, in every format and profile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use datahavn_dcat::{CatalogInfo, Paging, Profile, RdfFormat, parse, write_dataset};
use serde_json::{Value, json};

const FORMATS: [RdfFormat; 4] =
    [RdfFormat::Turtle, RdfFormat::RdfXml, RdfFormat::JsonLd, RdfFormat::NTriples];
const PROFILES: [Profile; 2] = [Profile::DcatAp3, Profile::DcatApDk];

fn round_trip(dataset: &Value, profile: Profile, format: RdfFormat) -> Value {
    let bytes = write_dataset(dataset, &common::site(), profile, format, Vec::new()).unwrap();
    let mut page = parse(&bytes, format, None).unwrap_or_else(|e| panic!("{format}: {e}"));
    assert_eq!(page.datasets.len(), 1, "{format}");
    page.datasets.remove(0)
}

fn extra<'a>(dataset: &'a Value, key: &str) -> Option<&'a str> {
    dataset["extras"].as_array()?.iter().find(|e| e["key"] == key)?["value"].as_str()
}

fn extra_list(dataset: &Value, key: &str) -> Vec<String> {
    extra(dataset, key).map(|v| serde_json::from_str(v).unwrap()).unwrap_or_default()
}

fn tags(dataset: &Value) -> BTreeSet<String> {
    dataset["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("name").or(Some(t)).and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_mapped_field_survives() {
    let original = common::full_dataset();
    for profile in PROFILES {
        for format in FORMATS {
            let d = round_trip(&original, profile, format);
            let at = format!("{profile:?} {format}");
            assert_eq!(d["title"], "Parkering i Odense", "{at}");
            assert_eq!(d["name"], "parkering-i-odense", "{at}");
            assert_eq!(d["notes"], original["notes"], "{at}");
            assert_eq!(d["url"], "https://www.example.dk/parkering", "{at}");
            assert_eq!(d["version"], "2.1", "{at}");
            assert_eq!(d["license_id"], "cc-by", "{at}");
            assert_eq!(tags(&d), tags(&original), "{at}");
            let uri = "https://data.example.dk/dataset/5f1d3a9e-0c4b-4c8e-9f59-6a1f2d3c4b5a";
            let expected = [
                ("uri", uri),
                ("guid", uri),
                ("identifier", "odense-parkering-1"),
                ("issued", "2022-06-01"),
                ("modified", "2024-04-30T12:00:00"),
                ("version_notes", "Nye p-huse"),
                ("frequency", "http://publications.europa.eu/resource/authority/frequency/CONT"),
                ("provenance", "Tælles af sensorer i indkørslerne."),
                ("access_rights", "http://publications.europa.eu/resource/authority/access-right/PUBLIC"),
                ("contact_name", "Parkeringskontoret"),
                ("contact_email", "kontakt@example.dk"),
                (
                    "publisher_uri",
                    "https://data.example.dk/organization/0b6c5b8e-3a0f-4b51-9d57-7e8e1f0a2b3c",
                ),
                ("publisher_name", "Odense Kommune"),
                ("temporal_start", "2020-01-01"),
                ("temporal_end", "2024-12-31"),
                ("spatial_uri", "https://dawa.aws.dk/kommuner/0461"),
                ("spatial_text", "Odense"),
            ];
            for (key, value) in expected {
                assert_eq!(extra(&d, key), Some(value), "{at}: {key}");
            }
            let spatial: Value = serde_json::from_str(extra(&d, "spatial").unwrap()).unwrap();
            let original_spatial: Value =
                serde_json::from_str(common::full_dataset()["extras"][11]["value"].as_str().unwrap())
                    .unwrap();
            assert_eq!(spatial, original_spatial, "{at}");
            assert_eq!(
                extra_list(&d, "language"),
                [
                    "http://publications.europa.eu/resource/authority/language/DAN",
                    "http://publications.europa.eu/resource/authority/language/ENG"
                ],
                "{at}"
            );
            assert_eq!(
                extra_list(&d, "theme"),
                ["http://publications.europa.eu/resource/authority/data-theme/TRAN", "Trafik"],
                "{at}"
            );
            assert_eq!(extra_list(&d, "conforms_to"), ["https://www.example.dk/schema/parkering"], "{at}");
            assert_eq!(extra_list(&d, "documentation"), ["https://www.example.dk/parkering/api"], "{at}");
            assert_eq!(extra_list(&d, "alternate_identifier"), ["odense-parkering"], "{at}");

            let resources = d["resources"].as_array().unwrap();
            assert_eq!(resources.len(), 3, "{at}");
            let csv = &resources[0];
            let url = original["resources"][0]["url"].as_str().unwrap();
            assert_eq!(csv["name"], "Belægning (CSV)", "{at}");
            assert_eq!(csv["description"], "Én række pr. p-hus pr. minut.", "{at}");
            assert_eq!(csv["url"], url, "{at}");
            assert_eq!(csv["download_url"], url, "{at}");
            assert_eq!(csv["format"], "CSV", "{at}");
            assert_eq!(csv["mimetype"], "text/csv", "{at}");
            assert_eq!(csv["size"], 123456, "{at}");
            assert_eq!(csv["license"], "http://www.opendefinition.org/licenses/cc-by", "{at}");
            assert_eq!(csv["issued"], "2023-01-02T03:04:06", "{at}");
            assert_eq!(csv["modified"], "2024-04-30T12:00:00", "{at}");
            assert_eq!(
                csv["uri"],
                "https://data.example.dk/dataset/5f1d3a9e-0c4b-4c8e-9f59-6a1f2d3c4b5a/resource/7c9e6679-7425-40de-944b-e07fc1f90ae7",
                "{at}"
            );
            let api = &resources[1];
            assert_eq!(api["url"], "https://api.example.dk/parkering", "{at}");
            assert!(api.get("download_url").is_none(), "{at}: an API is not a download");
            assert_eq!(api["format"], "JSON", "{at}");
            assert_eq!(api["hash"], "32ee772cd377cec77d0979e693cdb4104b0d7dcf", "{at}");
            assert_eq!(api["hash_algorithm"], "http://spdx.org/rdf/terms#checksumAlgorithm_sha1", "{at}");
            match profile {
                Profile::DcatAp3 => {
                    assert_eq!(csv["hash"], original["resources"][0]["hash"], "{at}");
                    assert_eq!(
                        csv["hash_algorithm"], "http://spdx.org/rdf/terms#checksumAlgorithm_sha256",
                        "{at}"
                    );
                }
                // DCAT-AP-DK allows SHA-1 checksums only.
                _ => assert!(csv.get("hash").is_none(), "{at}"),
            }
            let paper = &resources[2];
            assert_eq!(paper["format"], "Papir", "{at}");
            // A resource without a URL is reached through its own page.
            assert_eq!(paper["url"], paper["uri"], "{at}");
            match profile {
                Profile::DcatAp3 => assert_eq!(paper["issued"], "2023", "{at}"),
                // DCAT-AP-DK takes only full dates on distributions.
                _ => assert!(paper.get("issued").is_none(), "{at}"),
            }
        }
    }
}

/// The real portal records: whatever each holds of the mapped fields comes back.
#[test]
fn portal_records_survive() {
    for (file, original) in common::portal_records() {
        for format in FORMATS {
            let d = round_trip(&original, Profile::DcatAp3, format);
            let at = format!("{file} {format}");
            let title = match &original["title"] {
                Value::String(t) => json!(t.trim()),
                // Translations: one of them (untagged, English, else the first) is the title.
                Value::Object(t) => {
                    let title = d["title"].as_str().unwrap();
                    assert!(t.values().any(|v| v == title), "{at}");
                    json!(title)
                }
                other => panic!("{at}: title {other}"),
            };
            assert_eq!(d["title"], title, "{at}");
            let notes = original["notes"].as_str().map(|n| n.replace("\r\n", "\n").trim().to_owned());
            match notes.filter(|n| !n.is_empty()) {
                Some(notes) => assert_eq!(d["notes"], notes.as_str(), "{at}"),
                // DCAT-AP requires a description: the title stands in.
                None => assert_eq!(d["notes"], title, "{at}"),
            }
            assert_eq!(tags(&d), tags(&original), "{at}");
            if let Some(version) = original["version"].as_str().filter(|v| !v.trim().is_empty()) {
                assert_eq!(d["version"], version.trim(), "{at}");
            }
            // URLs come back as IRIs: spaces percent-encoded, as ckanext-dcat does.
            if let Some(url) = original["url"].as_str().filter(|v| v.starts_with("http")) {
                assert_eq!(d["url"], url.trim().replace(' ', "%20"), "{at}");
            }
            let identifier = ["identifier", "guid", "id", "name"]
                .iter()
                .find_map(|k| {
                    original[k].as_str().or_else(|| {
                        original["extras"].as_array()?.iter().find(|e| e["key"] == *k)?["value"].as_str()
                    })
                })
                .unwrap();
            assert_eq!(extra(&d, "identifier"), Some(identifier), "{at}");
            if let Some(issued) = original["issued"].as_str().or(original["metadata_created"].as_str()) {
                assert_eq!(extra(&d, "issued"), Some(issued), "{at}");
            }
            // The organization publishes, unless the record names a publisher itself.
            if let Some(org) =
                original["organization"].as_object().filter(|_| original.get("publisher").is_none())
            {
                assert_eq!(extra(&d, "publisher_name"), org["title"].as_str(), "{at}");
            }

            let resources = original["resources"].as_array().unwrap();
            let parsed = d["resources"].as_array().unwrap();
            assert_eq!(parsed.len(), resources.len(), "{at}");
            for (r, p) in resources.iter().zip(parsed) {
                if let Some(url) = r["url"].as_str().filter(|u| u.trim().starts_with("http")) {
                    assert_eq!(p["access_url"], url.trim().replace(' ', "%20"), "{at}");
                }
                // Translations win over the plain name, as in ckanext-dcat (English read back).
                let name = r["name_translated"]["en"].as_str().or(r["name"].as_str());
                if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
                    assert_eq!(p["name"], name.trim(), "{at}");
                }
                if let Some(size) = r["size"].as_u64() {
                    assert_eq!(p["size"], size, "{at}");
                }
                if let Some(format) =
                    r["format"].as_str().filter(|f| !f.trim().is_empty() && !f.contains('/'))
                {
                    assert!(
                        p["format"].as_str().unwrap().eq_ignore_ascii_case(format.trim()),
                        "{at}: {format} {}",
                        p["format"]
                    );
                }
            }
        }
    }
}

#[test]
fn a_catalogue_page_comes_back_whole() {
    let records = common::catalog_records();
    let paging =
        Paging::new(1, 10, 25, "https://data.example.dk/catalog.rdf").keep("modified_since", "2024-01-01");
    for format in FORMATS {
        let bytes = common::catalog(&records, Profile::DcatAp3, format, Some(paging.clone()));
        let page = parse(&bytes, format, None).unwrap();
        let titles: Vec<_> = page.datasets.iter().map(|d| d["title"].clone()).collect();
        assert_eq!(titles.len(), records.len(), "{format}");
        let names: BTreeSet<_> =
            page.datasets.iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect();
        assert_eq!(names.len(), records.len(), "{format}: names are unique within a page");
        assert_eq!(
            page.next_page.as_deref(),
            Some("https://data.example.dk/catalog.rdf?modified_since=2024-01-01&page=2"),
            "{format}"
        );
    }
}

#[test]
fn languages_and_free_text_values_are_kept() {
    let dataset = json!({
        "id": "a1", "title": {"da": "Cykeltællinger", "en": "Bicycle counts", "de": ""},
        "notes_translated": {"da": "Antal cykler", "en": "Number of bicycles"},
        "extras": [
            {"key": "frequency", "value": "every full moon"},
            {"key": "language", "value": "da, xx"},
            {"key": "spatial", "value": "Fyn"},
        ],
        "resources": [{"id": "r1", "url": "www.example.dk/no-scheme.csv", "format": "Excel (old)"}],
    });
    for format in FORMATS {
        let d = round_trip(&dataset, Profile::DcatAp3, format);
        assert_eq!(d["title"], "Bicycle counts", "{format}: English when nothing is untagged");
        assert_eq!(d["notes"], "Number of bicycles", "{format}");
        assert_eq!(extra(&d, "frequency"), Some("every full moon"), "{format}");
        assert_eq!(
            extra_list(&d, "language"),
            ["http://publications.europa.eu/resource/authority/language/DAN", "xx"],
            "{format}"
        );
        assert_eq!(extra(&d, "spatial_text"), Some("Fyn"), "{format}");
        // Not an IRI, so not written as one: the distribution's page stands in.
        let r = &d["resources"][0];
        assert_eq!(r["url"], "https://data.example.dk/dataset/a1/resource/r1", "{format}");
        assert_eq!(r["format"], "Excel (old)", "{format}");
    }
}

#[test]
fn another_site_url_names_everything_under_it() {
    let info = CatalogInfo::new("https://portal.example.org/", "Portal");
    let bytes =
        write_dataset(&common::full_dataset(), &info, Profile::DcatAp3, RdfFormat::Turtle, Vec::new())
            .unwrap();
    let d = parse(&bytes, RdfFormat::Turtle, None).unwrap().datasets.remove(0);
    assert_eq!(
        extra(&d, "uri"),
        Some("https://portal.example.org/dataset/5f1d3a9e-0c4b-4c8e-9f59-6a1f2d3c4b5a")
    );
    assert_eq!(
        extra(&d, "publisher_uri"),
        Some("https://portal.example.org/organization/0b6c5b8e-3a0f-4b51-9d57-7e8e1f0a2b3c")
    );
}
