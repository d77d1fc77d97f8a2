//! Harvest out: the real portal records served as DCAT-AP 3 (`/catalog.*`, `/dataset/{id}.*`,
//! content negotiation, the `dcat_*` actions) and as DCAT-US 1.1 (`/data.json`), read back
//! with the parsers harvesters use, and validated with pyshacl and jsonschema (the
//! validators and shapes of `crates/dcat/tests` and `crates/datajson/tests`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod records;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::TestServer;
use datahavn_dcat::RdfFormat;
use serde_json::{Value, json};

struct Catalogue {
    server: TestServer,
    admin: String,
    /// What anybody may see: active public datasets.
    public: Vec<Value>,
}

fn catalogue() -> Catalogue {
    let server = records::server();
    let (_, admin) = server.user_with_token("harvester", true);
    let all = records::load(&server, &admin);
    assert!(all.len() > 100, "only {} portal records loaded", all.len());
    let public = all.into_iter().filter(|d| d["private"] == false && d["state"] == "active").collect();
    Catalogue { server, admin, public }
}

fn titles<'a>(datasets: impl Iterator<Item = &'a Value>) -> Vec<String> {
    let mut titles: Vec<String> =
        datasets.map(|d| d["title"].as_str().unwrap_or_default().to_owned()).collect();
    titles.sort();
    titles
}

/// The IRI a parsed dataset had (ckanext-dcat's parser keeps it in the `uri` extra).
fn uri(dataset: &Value) -> String {
    dataset["extras"]
        .as_array()
        .and_then(|extras| extras.iter().find(|e| e["key"] == "uri"))
        .and_then(|e| e["value"].as_str())
        .expect("a dataset IRI")
        .to_owned()
}

/// A Python with `module`: `$DATAHAVN_PYTHON`, else `python3`. Without one the check is
/// skipped, unless `DATAHAVN_REQUIRE_CKANAPI=1` (CI), which makes it fail.
fn python_with(module: &str) -> Option<String> {
    let python = std::env::var("DATAHAVN_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let found = Command::new(&python).args(["-c", &format!("import {module}")]).output();
    if found.is_ok_and(|o| o.status.success()) {
        return Some(python);
    }
    let message = format!("{python} cannot import {module}");
    assert!(std::env::var("DATAHAVN_REQUIRE_CKANAPI").as_deref() != Ok("1"), "{message}");
    eprintln!("skipped: {message}");
    None
}

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// pyshacl over a Turtle document with the DCAT-AP 3 shapes: the report when it does not conform.
fn shacl_violations(turtle: &[u8]) -> Option<String> {
    shacl_violations_of(turtle, "dcat-ap-3.0.1-dcat-ap-SHACL.ttl")
}

fn shacl_violations_of(turtle: &[u8], shapes_file: &str) -> Option<String> {
    let python = python_with("pyshacl")?;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.ttl");
    std::fs::write(&data, turtle).unwrap();
    let shapes = repo("crates/dcat/tests/fixtures/shapes");
    let output = Command::new(python)
        .arg(repo("crates/dcat/tests/shacl/validate.py"))
        .arg(&data)
        .arg("--shapes")
        .arg(shapes.join(shapes_file))
        .arg("--vocabulary")
        .arg(shapes.join("vocabulary.ttl"))
        .output()
        .unwrap();
    let report =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    match output.status.code() {
        Some(0) => None,
        Some(1) => Some(report),
        _ => panic!("the SHACL validator failed to run: {report}"),
    }
}

/// jsonschema over a data.json document (DCAT-US 1.1, non-federal): the errors found.
fn datajson_errors(catalog: &[u8]) -> Option<Vec<Value>> {
    let python = python_with("jsonschema")?;
    let mut child = Command::new(python)
        .arg(repo("crates/datajson/tests/validate_datajson.py"))
        .arg(repo("crates/datajson/tests/fixtures/dcat-us"))
        .arg("non-federal")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = catalog.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    Some(report["errors"].as_array().unwrap().iter().filter(|e| e["alternative"] != true).cloned().collect())
}

#[test]
fn catalogue_pages_hold_every_public_dataset_once_and_conform_to_dcat_ap_3() {
    let c = catalogue();
    let first = c.server.get("/catalog.ttl", &[]);
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(first.content_type.starts_with("text/turtle"), "{}", first.content_type);
    let page1 = datahavn_dcat::parse(first.text.as_bytes(), RdfFormat::Turtle, None).unwrap();
    assert_eq!(page1.datasets.len(), 100);
    let next = page1.next_page.clone().expect("a next page");
    assert!(next.ends_with("/catalog.ttl?page=2"), "{next}");
    let second = c.server.get("/catalog.ttl?page=2", &[]);
    let page2 = datahavn_dcat::parse(second.text.as_bytes(), RdfFormat::Turtle, None).unwrap();
    assert_eq!(page2.next_page, None);
    // Every public dataset once: as many dataset IRIs, all distinct, as public datasets.
    let mut iris: Vec<String> = page1.datasets.iter().chain(&page2.datasets).map(uri).collect();
    assert_eq!(iris.len(), c.public.len());
    iris.sort();
    iris.dedup();
    assert_eq!(iris.len(), c.public.len(), "a dataset served twice");
    if let Some(report) = shacl_violations(first.text.as_bytes()) {
        panic!("DCAT-AP 3 violations in /catalog.ttl:\n{report}");
    }
    // The same page in the other formats, and through the action API.
    for (extension, format) in
        [("rdf", RdfFormat::RdfXml), ("xml", RdfFormat::RdfXml), ("jsonld", RdfFormat::JsonLd)]
    {
        let page = c.server.get(&format!("/catalog.{extension}"), &[]);
        assert_eq!(page.status, 200, "{extension}: {}", page.text);
        assert_eq!(datahavn_dcat::parse(page.text.as_bytes(), format, None).unwrap().datasets.len(), 100);
    }
    let negotiated = c.server.get("/catalog", &[("Accept", "application/ld+json")]);
    assert!(negotiated.content_type.starts_with("application/ld+json"), "{}", negotiated.content_type);
    let action = c.server.action("dcat_catalog_show", json!({"format": "ttl", "page": 2}), None).result();
    let from_action =
        datahavn_dcat::parse(action.as_str().unwrap().as_bytes(), RdfFormat::Turtle, None).unwrap();
    assert_eq!(from_action.datasets.len(), page2.datasets.len());
}

#[test]
fn catalogue_queries_and_bad_parameters() {
    let c = catalogue();
    let count = |path: &str| -> usize {
        let page = c.server.get(path, &[]);
        assert_eq!(page.status, 200, "{path}: {}", page.text);
        datahavn_dcat::parse(page.text.as_bytes(), RdfFormat::Turtle, None).unwrap().datasets.len()
    };
    assert_eq!(count("/catalog.ttl?modified_since=2999-01-01"), 0);
    assert_eq!(count("/catalog.ttl?modified_since=2000-01-01T00:00:00Z"), 100);
    let oslo =
        c.server.action("package_search", json!({"q": "Oslo", "rows": 0}), None).result()["count"].as_u64();
    assert!(oslo.is_some_and(|n| n > 1 && n < 100), "{oslo:?}");
    assert_eq!(count("/catalog.ttl?q=Oslo") as u64, oslo.unwrap());
    // dcat_catalog_search answers the same page through the API.
    let searched =
        c.server.action("dcat_catalog_search", json!({"q": "Oslo", "format": "ttl"}), None).result();
    let parsed =
        datahavn_dcat::parse(searched.as_str().unwrap().as_bytes(), RdfFormat::Turtle, None).unwrap();
    assert_eq!(parsed.datasets.len() as u64, oslo.unwrap());
    let bad = c.server.action("dcat_catalog_search", json!({"format": "xls"}), None);
    assert_eq!(bad.status, 409);
    assert_eq!(bad.error()["format"], json!(["Unknown RDF format \"xls\""]));
    let one = &c.public[0];
    let by_name = count(&format!("/catalog.ttl?fq=name:{}", one["name"].as_str().unwrap()));
    assert_eq!(by_name, 1);

    let zero = c.server.get("/catalog.ttl?page=0", &[]);
    assert_eq!(zero.status, 409);
    assert_eq!(zero.error()["message"], "Page param must be a positive integer");
    let bad_date = c.server.get("/catalog.ttl?modified_since=yesterday", &[]);
    assert_eq!(bad_date.status, 409);
    assert_eq!(bad_date.error()["message"], "Wrong modified date format. Use ISO-8601 format");
    assert_eq!(c.server.get("/catalog.xls", &[]).status, 409);
}

#[test]
fn datasets_as_rdf_follow_their_visibility() {
    let c = catalogue();
    let org = c.server.as_site("organization_create", json!({"name": "odense-kommune"}));
    let private = c
        .server
        .action(
            "package_create",
            json!({"name": "hemmelig", "title": "Hemmelige tællinger", "notes": "Kun internt.",
                   "owner_org": org["id"], "private": true}),
            Some(&c.admin),
        )
        .result();
    let public = &c.public[0];
    let id = public["id"].as_str().unwrap();
    let ttl = c.server.get(&format!("/dataset/{id}.ttl"), &[]);
    assert_eq!(ttl.status, 200, "{}", ttl.text);
    let parsed = datahavn_dcat::parse(ttl.text.as_bytes(), RdfFormat::Turtle, None).unwrap();
    assert_eq!(parsed.datasets.len(), 1);
    assert_eq!(parsed.datasets[0]["title"], public["title"]);
    let by_name = c.server.get(&format!("/dataset/{}.jsonld", public["name"].as_str().unwrap()), &[]);
    assert_eq!(by_name.status, 200);
    let negotiated = c.server.get(&format!("/dataset/{id}"), &[("Accept", "text/turtle")]);
    assert!(negotiated.content_type.starts_with("text/turtle"), "{}", negotiated.content_type);
    assert_eq!(c.server.get(&format!("/dataset/{id}"), &[("Accept", "text/html")]).status, 404);

    let secret = private["id"].as_str().unwrap();
    assert_eq!(c.server.get(&format!("/dataset/{secret}.ttl"), &[]).status, 403);
    let as_admin = c.server.get(&format!("/dataset/{secret}.ttl"), &[("Authorization", &c.admin)]);
    assert_eq!(as_admin.status, 200);
    assert!(as_admin.text.contains("Hemmelige"));
    assert!(!c.server.get("/catalog.ttl?fq=name:hemmelig", &[]).text.contains("Hemmelige"));
    assert!(!c.server.get("/data.json", &[]).text.contains("Hemmelige"));
    assert_eq!(c.server.get("/dataset/nope.ttl", &[]).status, 404);
}

#[test]
fn data_json_lists_every_public_dataset_and_is_valid_dcat_us() {
    let c = catalogue();
    let reply = c.server.get("/data.json", &[]);
    assert_eq!(reply.status, 200);
    assert!(reply.content_type.starts_with("application/json"), "{}", reply.content_type);
    let catalog: Value = serde_json::from_str(&reply.text).unwrap();
    assert_eq!(catalog["@type"], "dcat:Catalog");
    assert_eq!(catalog["conformsTo"], "https://project-open-data.cio.gov/v1.1/schema");
    let datasets = catalog["dataset"].as_array().unwrap();
    assert_eq!(titles(datasets.iter()), titles(c.public.iter()));
    let mut identifiers: Vec<&str> = datasets.iter().map(|d| d["identifier"].as_str().unwrap()).collect();
    identifiers.sort_unstable();
    identifiers.dedup();
    assert_eq!(identifiers.len(), datasets.len(), "identifiers are unique");
    if let Some(errors) = datajson_errors(reply.text.as_bytes()) {
        assert!(errors.is_empty(), "DCAT-US 1.1 errors: {errors:#?}");
    }
    // What a data.json harvester reads back.
    let harvested = datahavn_datajson::parse_catalog(reply.text.as_bytes()).unwrap();
    assert_eq!(harvested.len(), c.public.len());
}

#[test]
fn the_danish_profile_conforms_to_dcat_ap_dk() {
    let server = TestServer::start_with(common::Options {
        max_body_bytes: 8 * 1024 * 1024,
        dcat_profile: datahavn_dcat::Profile::DcatApDk,
        ..Default::default()
    });
    let (_, admin) = server.user_with_token("harvester", true);
    records::load(&server, &admin);
    let page = server.get("/catalog.ttl", &[]);
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        datahavn_dcat::parse(page.text.as_bytes(), RdfFormat::Turtle, None).unwrap().datasets.len(),
        100
    );
    if let Some(report) =
        shacl_violations_of(page.text.as_bytes(), "dcat-ap-dk-2.0.1-shacl-shapes-strict.ttl")
    {
        panic!("DCAT-AP-DK violations in /catalog.ttl:\n{report}");
    }
}
