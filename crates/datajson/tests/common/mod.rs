//! Fixtures and the JSON-schema validator shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use datahavn_datajson::CatalogInfo;
use serde_json::Value;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures")
}

pub fn catalog_info() -> CatalogInfo {
    CatalogInfo::new("https://data.example.org", "Example Open Data", "opendata@example.org").unwrap()
}

/// Every CKAN dataset dict of `tests/fixtures/ckan`, with the file it came from: `package_show`
/// results (with or without the envelope) and each row of `package_search` results.
pub fn ckan_records() -> Vec<(String, Value)> {
    let dir = fixtures().join("ckan");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    let mut records = Vec::new();
    for name in names {
        let doc: Value = serde_json::from_slice(&std::fs::read(dir.join(&name)).unwrap()).unwrap();
        let result = doc.get("result").cloned().unwrap_or(doc);
        let rows = match result {
            Value::Object(ref map) if map.contains_key("results") => {
                map["results"].as_array().unwrap().clone()
            }
            Value::Array(rows) => rows,
            one => vec![one],
        };
        records.extend(rows.into_iter().map(|row| (name.clone(), row)));
    }
    records
}

pub fn datajson_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("datajson").join(format!("{name}-datajson-1.json"))).unwrap()
}

/// What `validate_datajson.py` found.
#[derive(Debug)]
pub struct Report {
    pub datasets: usize,
    pub uri_checker: String,
    /// `(path, message)` of each error.
    pub errors: Vec<(String, String)>,
    /// `(path, message)` of the errors of each alternative of a failed `anyOf`.
    pub alternatives: Vec<(String, String)>,
}

/// Validates a catalogue against the DCAT-US 1.1 schemas in `tests/fixtures/dcat-us`
/// (`profile`: `federal` or `non-federal`) with Python's jsonschema: `DATAHAVN_PYTHON`, else
/// `python3`. `None` when that Python has no jsonschema (the test then reports itself skipped),
/// unless `DATAHAVN_REQUIRE_CKANAPI=1`, which makes it a failure.
pub fn validate(catalog: &[u8], profile: &str) -> Option<Report> {
    let python =
        std::env::var("DATAHAVN_PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("validate_datajson.py");
    let unavailable = |reason: String| -> Option<Report> {
        if std::env::var("DATAHAVN_REQUIRE_CKANAPI").as_deref() == Ok("1") {
            panic!(
                "DATAHAVN_REQUIRE_CKANAPI=1 but jsonschema is not available ({reason}); \
                 pip install -r crates/datajson/tests/requirements.txt into the Python DATAHAVN_PYTHON names"
            );
        }
        eprintln!("skipped: schema validation needs Python's jsonschema ({reason})");
        None
    };
    let child = Command::new(&python)
        .arg(&script)
        .arg(fixtures().join("dcat-us"))
        .arg(profile)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return unavailable(format!("cannot run {python}: {e}")),
    };
    let mut stdin = child.stdin.take().unwrap();
    let input = catalog.to_vec();
    let writer = std::thread::spawn(move || {
        // A Python that exits early (no jsonschema) closes its end: that is reported below.
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(3) {
        return unavailable(stderr.trim().to_owned());
    }
    assert!(output.status.success(), "validate_datajson.py failed: {stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let (alternatives, errors): (Vec<&Value>, Vec<&Value>) =
        report["errors"].as_array().unwrap().iter().partition(|e| e["alternative"] == true);
    let pairs = |errors: Vec<&Value>| -> Vec<(String, String)> {
        errors
            .iter()
            .map(|e| (e["path"].as_str().unwrap().to_owned(), e["message"].as_str().unwrap().to_owned()))
            .collect()
    };
    Some(Report {
        datasets: report["datasets"].as_u64().map_or(0, |n| n as usize),
        uri_checker: report["uri_checker"].as_str().unwrap().to_owned(),
        errors: pairs(errors),
        alternatives: pairs(alternatives),
    })
}
