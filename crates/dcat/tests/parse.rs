//! Harvesting: real DCAT documents (`tests/fixtures/dcat`) read into CKAN dicts, Hydra paging,
//! and malformed input refused without a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use datahavn_dcat::{DcatError, Paging, ParsedPage, Profile, RdfFormat, guess_format, parse};
use serde_json::Value;

fn harvest(path: &str) -> ParsedPage {
    let body = common::read(path);
    let format = guess_format(None, Some(path), &body).unwrap();
    parse(&body, format, None).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn extra<'a>(dataset: &'a Value, key: &str) -> Option<&'a str> {
    dataset["extras"].as_array()?.iter().find(|e| e["key"] == key)?["value"].as_str()
}

fn tags(dataset: &Value) -> Vec<&str> {
    dataset["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect()
}

#[test]
fn turtle_with_blank_node_distributions() {
    let page = harvest("dcat/afs-dcat-1.ttl");
    assert_eq!(page.datasets.len(), 1);
    let d = &page.datasets[0];
    assert_eq!(d["title"], "A test dataset on your catalogue");
    assert_eq!(d["name"], "a-test-dataset-on-your-catalogue");
    assert_eq!(d["notes"], "A longer description of the dataset");
    assert_eq!(d["url"], "http://url.to.dataset.home");
    assert_eq!(tags(d), ["pollution", "stats"]);
    assert_eq!(extra(d, "issued"), Some("2012-05-10"));
    assert_eq!(extra(d, "modified"), Some("2012-05-10T21:04"));
    assert_eq!(extra(d, "language"), Some(r#"["ca","en","es"]"#));
    assert_eq!(extra(d, "publisher_name"), Some("Name of the Publishing Organization"));
    assert_eq!(extra(d, "publisher_email"), Some("contact@some.org"));
    assert_eq!(extra(d, "uri"), Some("http://example.com/data/test-dataset-1"));
    assert_eq!(extra(d, "guid"), Some("http://example.com/data/test-dataset-1"));
    let resources = d["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 2);
    let csv = resources.iter().find(|r| r["name"] == "Test resource CSV file").unwrap();
    assert_eq!(csv["url"], "http://url.to.csv.file");
    assert_eq!(csv["download_url"], "http://url.to.csv.file");
    assert_eq!(csv["mimetype"], "text/csv");
    assert_eq!(csv["format"], "CSV");
    assert_eq!(csv["license"], "https://url.to.license");
    assert!(csv.get("uri").is_none(), "a blank node has no IRI");
    let html = resources.iter().find(|r| r["name"] == "Test resource HTML file").unwrap();
    assert_eq!(html["url"], "http://url.to.html.page");
    assert_eq!(html["format"], "HTML");
}

#[test]
fn older_dcat_with_literals_where_iris_belong() {
    let d = &harvest("dcat/deri-dcat-1.ttl").datasets[0];
    assert_eq!(d["title"], "Abandoned Vehicles");
    assert_eq!(extra(d, "frequency"), Some("Annual"));
    assert_eq!(extra(d, "issued"), Some("06/05/2009"));
    assert_eq!(extra(d, "spatial_text"), Some("Greater London"));
    let r = &d["resources"][0];
    assert_eq!(r["url"], "http://data.london.gov.uk/datafiles/environment/abandoned-vehicles-borough.csv");
    assert_eq!(r["mimetype"], "text/plain");
    assert_eq!(r["uri"], "http://data.london.gov.uk/dataset/Abandoned_Vehicles/csv");
}

#[test]
fn spanish_catalogue_with_publisher_as_concept_and_imt_format() {
    let d = &harvest("dcat/datos.gob.es-dcat-1.ttl").datasets[0];
    assert!(d["title"].as_str().unwrap().starts_with("Estudio de Satisfacción"));
    let name = d["name"].as_str().unwrap();
    assert!(name.starts_with("estudio-de-satisfaccion-con-el-programa") && name.len() <= 95, "{name}");
    assert_eq!(extra(d, "publisher_name"), Some("Ayuntamiento de Madrid"));
    assert_eq!(extra(d, "issued"), Some("2024-04-15T09:08:02+02:00"));
    assert_eq!(extra(d, "theme"), Some(r#"["http://datos.gob.es/kos/sector-publico/sector/deporte"]"#));
    let r = &d["resources"][0];
    assert_eq!(r["format"], "XLS");
    assert_eq!(r["mimetype"], "application/vnd.ms-excel");
    assert_eq!(r["size"], 43008);
}

#[test]
fn danish_dcat_ap_dk_example() {
    let d = &harvest("dcat/dcat-ap-dk-example-1.ttl").datasets[0];
    assert_eq!(d["title"], "Datasæt 001");
    assert_eq!(d["name"], "datasaet-001");
    assert_eq!(d["notes"], "En beskrivelse af datasættet 001");
    assert_eq!(d["url"], "http://example.org/landingpage");
    assert_eq!(tags(d), ["eksempel"]);
    // CC0 by its creativecommons.org URL.
    assert_eq!(d["license_id"], "cc-zero");
    assert_eq!(
        extra(d, "frequency"),
        Some("http://publications.europa.eu/resource/authority/frequency/ANNUAL")
    );
    assert_eq!(extra(d, "contact_name"), Some("Kontaktpunktnavn"));
    assert_eq!(extra(d, "contact_email"), Some("kontakt@digst.dk"));
    assert_eq!(extra(d, "publisher_uri"), Some("https://dcat.example.org/agent-001"));
    assert_eq!(extra(d, "publisher_name"), Some("Organisation 001"));
    assert_eq!(extra(d, "access_rights"), Some("PUBLIC"));
    assert_eq!(extra(d, "documentation"), Some(r#"["http://example.org/page1","http://example.org/page2"]"#));
    let resources = d["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 2);
    assert_eq!(resources[0]["url"], "http://www.example.org/files/001.csv");
    assert_eq!(resources[0]["access_url"], "http://example.org/landingpage");
    assert_eq!(resources[0]["format"], "CSV");
    assert_eq!(resources[0]["mimetype"], "text/csv");
    assert_eq!(resources[0]["size"], 5120);
    assert_eq!(resources[1]["format"], "XML");
    assert_eq!(resources[1]["size"], 6120);
}

#[test]
fn german_rdf_xml_with_checksums_and_geometry() {
    let d = &harvest("dcat/govdata.de-dcat-1.rdf").datasets[0];
    assert_eq!(d["title"], "Liefer- und Abholservices (Gastronomie)");
    assert_eq!(d["url"], "https://www.opendata-hro.de/dataset/c1be4007-d811-48fb-8818-2cb358b06a63");
    assert_eq!(tags(d).len(), 8);
    assert_eq!(extra(d, "identifier"), Some("c1be4007-d811-48fb-8818-2cb358b06a63"));
    assert_eq!(extra(d, "contact_email"), Some("geodienste@rostock.de"));
    assert_eq!(extra(d, "publisher_name"), Some("Hanse- und Universitätsstadt Rostock"));
    let spatial: Value = serde_json::from_str(extra(d, "spatial").unwrap()).unwrap();
    assert_eq!(spatial["type"], "Polygon");
    let resources = d["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 9);
    let json = &resources[0];
    assert_eq!(json["format"], "GeoJSON");
    assert_eq!(json["size"], 147253);
    assert_eq!(json["hash"], "1d5a3926327046c8fcd75652c6e44d3c74004c6727939f33fb05e16e324df241");
    assert!(resources.iter().any(|r| r["format"] == "WMS"));
}

#[test]
fn german_catalogue_page_with_hydra_and_invalid_iris() {
    // `LAYER[zoom]` is not valid in an IRI; harvesting takes such documents as published.
    let page = harvest("dcat/govdata.de-dcat-catalog-1.rdf");
    assert_eq!(page.datasets.len(), 6);
    assert_eq!(page.next_page, None, "the only page has no next page");
    let mut names: Vec<_> = page.datasets.iter().map(|d| d["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 6);
}

#[test]
fn swiss_catalogue_of_blank_node_datasets() {
    let page = harvest("dcat/opendata.swiss-dcat-catalog-1.xml");
    assert_eq!(page.datasets.len(), 2);
    let d = &page.datasets[0];
    assert_eq!(extra(d, "uri"), None);
    assert_eq!(extra(d, "guid"), Some("346252@bundesamt-fur-statistik-bfs"));
    assert_eq!(extra(d, "temporal_start"), Some("1894-01-01"));
    assert_eq!(extra(d, "temporal_end"), Some("1894-12-31"));
    assert_eq!(extra(d, "contact_email"), Some("auskunftsdienst@bfs.admin.ch"));
    assert_eq!(d["resources"].as_array().unwrap().len(), 3);
}

#[test]
fn swedish_rdf_xml_with_old_adms_contact() {
    let d = &harvest("dcat/oppnadata.se-dcat-1.rdf").datasets[0];
    assert_eq!(d["title"], "Linked Nobel prizes");
    assert_eq!(d["license_id"], "cc-nc");
    assert_eq!(extra(d, "contact_name"), Some("Nobel Media AB"));
    assert_eq!(extra(d, "temporal_start"), Some("1905-03-01"));
    assert_eq!(extra(d, "spatial_uri"), Some("http://sws.geonames.org/2673730"));
    assert_eq!(
        extra(d, "language"),
        Some(r#"["http://publications.europa.eu/resource/authority/language/ENG"]"#)
    );
}

#[test]
fn json_ld_with_inline_contexts() {
    let page = harvest("dcat/pod-catalog-1.jsonld");
    assert_eq!(page.datasets.len(), 1);
    let d = &page.datasets[0];
    assert_eq!(d["title"], "U.S. Widget Manufacturing Statistics");
    assert_eq!(tags(d), ["widget", "manufacturing", "factory"]);
    assert_eq!(extra(d, "contact_email"), Some("jane.doe@agency.gov"));
    let resources = d["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 4);
    assert!(resources.iter().any(|r| r["format"] == "CSV" && r["mimetype"] == "text/csv"));
}

#[test]
fn hydra_next_page_in_every_form() {
    // Written by this crate: page 2 of 3 links to page 3 (hydra:next and hydra:nextPage).
    let records = common::catalog_records();
    let paging = Paging::new(2, 5, 12, "https://data.example.dk/catalog.ttl");
    let bytes = common::catalog(&records[..5], Profile::DcatAp3, RdfFormat::Turtle, Some(paging.clone()));
    let page = parse(&bytes, RdfFormat::Turtle, None).unwrap();
    assert_eq!(page.next_page.as_deref(), Some("https://data.example.dk/catalog.ttl?page=3"));
    let text = String::from_utf8(bytes).unwrap();
    for property in
        ["totalItems", "itemsPerPage", "firstPage", "lastPage", "nextPage", "previousPage", "hydra:next"]
    {
        assert!(text.contains(property), "{property}");
    }
    // The last page has none.
    let last = Paging::new(3, 5, 12, "https://data.example.dk/catalog.ttl");
    let bytes = common::catalog(&records[..2], Profile::DcatAp3, RdfFormat::Turtle, Some(last));
    assert_eq!(parse(&bytes, RdfFormat::Turtle, None).unwrap().next_page, None);

    // Only the deprecated property, as older ckanext-dcat versions write it.
    let old = br#"<?xml version="1.0"?>
        <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:hydra="http://www.w3.org/ns/hydra/core#">
          <hydra:PagedCollection rdf:about="http://x.de/catalog.rdf?page=1">
            <hydra:nextPage>http://x.de/catalog.rdf?page=2</hydra:nextPage>
          </hydra:PagedCollection>
        </rdf:RDF>"#;
    assert_eq!(
        parse(old, RdfFormat::RdfXml, None).unwrap().next_page.as_deref(),
        Some("http://x.de/catalog.rdf?page=2")
    );

    // A hydra:PartialCollectionView with an IRI.
    let view = br#"@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
        <http://x.de/c?page=4> a hydra:PartialCollectionView ; hydra:next <http://x.de/c?page=5> ."#;
    assert_eq!(
        parse(view, RdfFormat::Turtle, None).unwrap().next_page.as_deref(),
        Some("http://x.de/c?page=5")
    );
}

#[test]
fn relative_iris_resolve_against_the_base() {
    let body = br#"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
        <dataset/1> a dcat:Dataset ; dct:title "Relative" ; dcat:distribution <dataset/1/resource/a> .
        <dataset/1/resource/a> dcat:accessURL <files/a.csv> ."#;
    let page = parse(body, RdfFormat::Turtle, Some("https://portal.example.org/")).unwrap();
    let d = &page.datasets[0];
    assert_eq!(extra(d, "uri"), Some("https://portal.example.org/dataset/1"));
    assert_eq!(d["resources"][0]["url"], "https://portal.example.org/files/a.csv");
    assert!(matches!(parse(body, RdfFormat::Turtle, Some("not an iri")), Err(DcatError::InvalidIri(_))));
}

#[test]
fn malformed_documents_are_errors() {
    let cases: [(&[u8], RdfFormat); 9] = [
        (b"<http://a.dk/x> <http://a.dk/p> .", RdfFormat::Turtle),
        (b"@prefix dcat: <http://www.w3.org/ns/dcat#> . <x> a dcat:Dataset", RdfFormat::Turtle),
        (b"\xff\xfe<http://a.dk/x> <http://a.dk/p> \"\xc3\x28\" .", RdfFormat::Turtle),
        (b"<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description", RdfFormat::RdfXml),
        (b"@prefix dcat: <http://www.w3.org/ns/dcat#> .", RdfFormat::RdfXml),
        (b"{\"@id\": \"http://a.dk/x\", ", RdfFormat::JsonLd),
        (b"{\"@context\": \"https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld\", \"@id\": \"http://a.dk/x\", \"title\": \"t\"}", RdfFormat::JsonLd),
        (b"not json at all", RdfFormat::JsonLd),
        (b"@prefix x: <http://a.dk/> .", RdfFormat::NTriples),
    ];
    for (body, format) in cases {
        match parse(body, format, None) {
            Err(DcatError::Syntax { format: f, message }) => {
                assert_eq!(f, format);
                assert!(!message.is_empty());
                let shown = DcatError::Syntax { format: f, message }.to_string();
                assert!(shown.starts_with(&format!("not valid {format}")), "{shown}");
            }
            other => panic!("{format} {:?}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
}

/// Every prefix of every fixture is read or refused, never a panic.
#[test]
fn truncated_documents_never_panic() {
    let files = std::fs::read_dir(common::fixture("dcat")).unwrap();
    for file in files {
        let path = file.unwrap().path();
        let body = std::fs::read(&path).unwrap();
        let format = guess_format(None, path.to_str(), &body).unwrap();
        let step = (body.len() / 60).max(1);
        for end in (0..body.len()).step_by(step) {
            let _ = parse(&body[..end], format, None);
        }
    }
}
