//! CKAN → data.json on real portal records: every one gives a dataset the DCAT-US 1.1 schemas
//! accept, streamed or not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{catalog_info, ckan_records, validate};
use datahavn_datajson::{CatalogWriter, catalog_json, dataset_json};
use serde_json::{Value, json};

/// Files in `tests/fixtures/ckan` and the dataset dicts they hold.
const FILES: usize = 31;
const RECORDS: usize = 53;

fn streamed(records: &[(String, Value)]) -> Vec<u8> {
    let mut writer = CatalogWriter::new(&catalog_info(), Vec::new()).unwrap();
    for (file, record) in records {
        writer.dataset(record).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    assert_eq!(writer.len(), records.len());
    writer.finish().unwrap()
}

fn describe(records: &[(String, Value)], errors: &[(String, String)]) -> String {
    errors
        .iter()
        .map(|(path, message)| {
            let index: Option<usize> = path.split('/').nth(1).and_then(|i| i.parse().ok());
            let file = index.and_then(|i| records.get(i)).map_or("", |(file, _)| file.as_str());
            format!("{path} ({file}): {message}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_fixtures_are_all_there() {
    let records = ckan_records();
    let files: std::collections::BTreeSet<_> = records.iter().map(|(f, _)| f.clone()).collect();
    assert_eq!((files.len(), records.len()), (FILES, RECORDS));
}

#[test]
fn the_streamed_catalogue_is_the_whole_one() {
    let records = ckan_records();
    let bytes = streamed(&records);
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.starts_with(
        "{\"@context\":\"https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld\",\
         \"@id\":\"https://data.example.org/data.json\",\"@type\":\"dcat:Catalog\",\
         \"conformsTo\":\"https://project-open-data.cio.gov/v1.1/schema\",\
         \"describedBy\":\"https://project-open-data.cio.gov/v1.1/schema/catalog.json\",\"dataset\":[\n"
    ));
    assert_eq!(text.lines().count(), RECORDS + 2, "one dataset per line");
    let streamed: Value = serde_json::from_slice(&bytes).unwrap();
    let whole = catalog_json(&catalog_info(), records.iter().map(|(_, r)| r)).unwrap();
    assert_eq!(streamed, whole);
    assert_eq!(streamed["dataset"].as_array().unwrap().len(), RECORDS);
}

/// Valid against the schemas as published except for the two fields only US federal agencies
/// have; valid against the non-federal profile (the same schemas without those two required).
#[test]
fn every_real_record_is_valid_dcat_us() {
    let records = ckan_records();
    let bytes = streamed(&records);
    let Some(report) = validate(&bytes, "non-federal") else { return };
    assert_eq!(report.datasets, RECORDS);
    assert!(report.errors.is_empty(), "{}", describe(&records, &report.errors));

    let federal = validate(&bytes, "federal").unwrap();
    let unexpected: Vec<_> = federal
        .errors
        .iter()
        .filter(|(path, message)| {
            let federal_only = message == "'bureauCode' is a required property"
                || message == "'programCode' is a required property";
            !(federal_only && path.split('/').count() == 2)
        })
        .cloned()
        .collect();
    assert!(unexpected.is_empty(), "{}", describe(&records, &unexpected));
    // The one record with federal codes is valid as published.
    let inventory = records.iter().position(|(f, _)| f == "catalog.data.gov-package_show-1.json").unwrap();
    let of_inventory: Vec<_> =
        federal.errors.iter().filter(|(p, _)| p.split('/').nth(1) == Some(&inventory.to_string())).collect();
    assert!(of_inventory.is_empty(), "{of_inventory:?}");
    println!("{RECORDS} datasets valid (uri format checked with {})", report.uri_checker);
}

#[test]
fn a_federal_dataset_is_valid_as_published() {
    let package = json!({
        "id": "5f0c6b1e-0000-4000-8000-000000000001", "name": "fleet", "title": "Federal fleet",
        "notes": "Vehicles", "metadata_modified": "2024-02-03T04:05:06.789012",
        "organization": {"title": "General Services Administration"},
        "tags": [{"name": "fleet"}], "maintainer": "Fleet Team", "maintainer_email": "fleet@gsa.gov",
        "extras": [{"key": "bureauCode", "value": "023:00"}, {"key": "programCode", "value": "[\"023:000\"]"}],
        "resources": [{"name": "All vehicles", "url": "https://gsa.gov/fleet.csv", "format": "CSV"}]
    });
    let info = catalog_info();
    let mut writer = CatalogWriter::new(&info, Vec::new()).unwrap();
    writer.dataset(&package).unwrap();
    let bytes = writer.finish().unwrap();
    let dataset = &serde_json::from_slice::<Value>(&bytes).unwrap()["dataset"][0];
    assert_eq!(dataset["bureauCode"], json!(["023:00"]));
    assert_eq!(dataset["programCode"], json!(["023:000"]));
    let Some(report) = validate(&bytes, "federal") else { return };
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

/// The validator is not vacuous: it rejects what the schema forbids, where it is.
#[test]
fn the_validator_notices_invalid_values() {
    let records = ckan_records();
    let info = catalog_info();
    let mut catalog = catalog_json(&info, records.iter().map(|(_, r)| r).take(2)).unwrap();
    catalog["dataset"][0]["contactPoint"]["hasEmail"] = json!("nobody");
    catalog["dataset"][0]["keyword"] = json!([]);
    catalog["dataset"][1]["distribution"] =
        json!([{"downloadURL": "https://x.org/a b.csv", "mediaType": "csv"}]);
    catalog["dataset"][1]["landingPage"] = json!("www.example.org");
    let Some(report) = validate(&serde_json::to_vec(&catalog).unwrap(), "non-federal") else { return };
    let paths: std::collections::BTreeSet<&str> =
        report.errors.iter().chain(&report.alternatives).map(|(p, _)| p.as_str()).collect();
    for expected in [
        "dataset/0/contactPoint/hasEmail",
        "dataset/0/keyword",
        "dataset/1/distribution/0/downloadURL",
        "dataset/1/distribution/0/mediaType",
        "dataset/1/landingPage",
    ] {
        assert!(paths.contains(expected), "{expected} not reported: {:?}", report.errors);
    }
}

fn exported(file: &str, index: usize) -> Value {
    let records: Vec<_> = ckan_records().into_iter().filter(|(f, _)| f == file).collect();
    dataset_json(&records[index].1, &catalog_info()).unwrap()
}

#[test]
fn real_records_map_as_a_portal_user_expects() {
    // A multilingual record: the English title is blank, so the German one is taken.
    let swiss = exported("opendata.swiss-package_show-1.json", 0);
    assert_eq!(swiss["title"], "Arbeitslose [Anz.]");
    assert_eq!(swiss["identifier"], "36@statistisches-amt-kanton-zuerich");
    assert_eq!(swiss["language"], json!(["de"]));
    assert_eq!(swiss["contactPoint"]["hasEmail"], "mailto:datashop@statistik.zh.ch");
    assert_eq!(
        swiss["distribution"][0]["downloadURL"],
        "https://www.web.statistik.zh.ch/ogd/data/KANTON_ZUERICH_107.csv"
    );
    assert_eq!(swiss["distribution"][0]["mediaType"], "text/csv");

    // EnviDat keeps its contacts as JSON in text.
    let envidat = exported("envidat.ch-package_show-1.json", 0);
    assert_eq!(envidat["contactPoint"]["fn"], "Avalanche Warning Service SLF");
    assert_eq!(envidat["contactPoint"]["hasEmail"], "mailto:data@slf.ch");
    assert_eq!(envidat["publisher"]["name"], "Snow Avalanches and Prevention");

    // A data.gov.uk record with 60 resources and a register licence.
    let dgu = exported("data.gov.uk-package_show-5.json", 0);
    assert_eq!(dgu["distribution"].as_array().unwrap().len(), 60);
    assert_eq!(dgu["license"], "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/");

    // A private record of GSA's inventory schema, which says it is public, with federal codes.
    let inventory = exported("catalog.data.gov-package_show-1.json", 0);
    assert_eq!(inventory["accessLevel"], "public");
    assert_eq!(inventory["identifier"], "doi-$RNDCODE");
    assert_eq!(inventory["bureauCode"], json!(["010:00"]));
    assert_eq!(inventory["programCode"], json!(["010:001"]));
    assert_eq!(inventory["publisher"]["name"], "Department of the Interior");
    assert_eq!(
        inventory["contactPoint"],
        json!({"@type": "vcard:Contact", "fn": "Tester", "hasEmail": "mailto:tester@fake.com"})
    );
    assert_eq!(inventory["modified"], "2019-12-18");
}
