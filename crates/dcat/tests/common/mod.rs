//! Fixtures and helpers the test files share.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use datahavn_dcat::{CatalogInfo, CatalogWriter, Paging, Profile, RdfFormat};
use serde_json::Value;

pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)
}

pub fn read(path: &str) -> Vec<u8> {
    std::fs::read(fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The package dicts of `tests/fixtures/portals`, each with its file name (the `result` of
/// an API envelope, or the bare dict).
pub fn portal_records() -> Vec<(String, Value)> {
    let mut records = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(fixture("portals"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let value: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let record = value.get("result").cloned().unwrap_or(value);
        records.push((path.file_name().unwrap().to_string_lossy().into_owned(), record));
    }
    assert!(records.len() >= 10);
    records
}

/// The portal records with distinct ids (a catalogue cannot hold two datasets with one id;
/// the Energinet dev-instance files reuse one) plus [`full_dataset`].
pub fn catalog_records() -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    let mut records: Vec<Value> = portal_records()
        .into_iter()
        .map(|(_, record)| record)
        .filter(|r| {
            seen.insert(r.get("id").or_else(|| r.get("name")).cloned().unwrap_or_default().to_string())
        })
        .collect();
    records.push(full_dataset());
    records
}

pub fn site() -> CatalogInfo {
    let mut info = CatalogInfo::new("https://data.example.dk", "Example open data");
    info.description = "Datasets of an example municipality".into();
    info.language = Some("da".into());
    info.modified = Some("2024-05-01T10:00:00.123456".into());
    info
}

/// A dataset that uses every field the mapping knows, with values of the kinds portals write
/// (`tests/fixtures/full-dataset.json`, written for these tests).
pub fn full_dataset() -> Value {
    serde_json::from_slice(&read("full-dataset.json")).unwrap()
}

/// A catalogue of `datasets` in `format`.
pub fn catalog(datasets: &[Value], profile: Profile, format: RdfFormat, paging: Option<Paging>) -> Vec<u8> {
    let mut writer = CatalogWriter::new(format, profile, &site(), paging, Vec::new()).unwrap();
    for dataset in datasets {
        writer.dataset(dataset).unwrap();
    }
    writer.finish().unwrap()
}
