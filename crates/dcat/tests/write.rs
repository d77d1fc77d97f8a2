//! The writer's output: every format parses back to the same graph, output is written as
//! datasets come, the catalogue and profile details, and values of the wrong kind never
//! become IRIs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Write;
use std::rc::Rc;

use datahavn_dcat::{
    Agent, CatalogInfo, CatalogWriter, DcatError, Paging, Profile, RdfFormat, write_dataset,
};
use oxrdf::{Term, Triple};
use serde_json::{Value, json};

/// The triples of a document, read with oxigraph's own parsers.
fn triples(bytes: &[u8], format: RdfFormat) -> Vec<Triple> {
    match format {
        RdfFormat::Turtle => oxttl::TurtleParser::new().for_slice(bytes).map(Result::unwrap).collect(),
        RdfFormat::NTriples => oxttl::NTriplesParser::new().for_slice(bytes).map(Result::unwrap).collect(),
        RdfFormat::RdfXml => oxrdfxml::RdfXmlParser::new().for_slice(bytes).map(Result::unwrap).collect(),
        RdfFormat::JsonLd => oxjsonld::JsonLdParser::new()
            .for_slice(bytes)
            .map(|q| {
                let q = q.unwrap();
                Triple::new(q.subject, q.predicate, q.object)
            })
            .collect(),
    }
}

/// A graph with blank nodes renamed `_` (enough to compare these outputs, whose blank nodes
/// all hang off named nodes).
fn shape(triples: &[Triple]) -> BTreeSet<String> {
    triples
        .iter()
        .map(|t| {
            let s = if t.subject.is_blank_node() { "_".to_owned() } else { t.subject.to_string() };
            let o = if t.object.is_blank_node() { "_".to_owned() } else { t.object.to_string() };
            format!("{s} {} {o}", t.predicate)
        })
        .collect()
}

fn objects<'a>(triples: &'a [Triple], predicate: &str) -> Vec<&'a Term> {
    triples.iter().filter(|t| t.predicate.as_str() == predicate).map(|t| &t.object).collect()
}

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";

#[test]
fn every_format_parses_back_to_the_same_graph() {
    let records = common::catalog_records();
    let paging = Paging::new(1, 50, 51, "https://data.example.dk/catalog.ttl");
    for profile in [Profile::DcatAp3, Profile::DcatApDk] {
        let reference = triples(
            &common::catalog(&records, profile, RdfFormat::NTriples, Some(paging.clone())),
            RdfFormat::NTriples,
        );
        assert!(reference.len() > 1000);
        for format in [RdfFormat::Turtle, RdfFormat::RdfXml, RdfFormat::JsonLd] {
            let graph = triples(&common::catalog(&records, profile, format, Some(paging.clone())), format);
            assert_eq!(graph.len(), reference.len(), "{profile:?} {format}");
            assert_eq!(shape(&graph), shape(&reference), "{profile:?} {format}");
        }
    }
}

/// A `Write` that keeps what was written, readable while the writer still holds it.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn output_is_written_as_datasets_come() {
    let records = common::catalog_records();
    for format in [RdfFormat::Turtle, RdfFormat::RdfXml, RdfFormat::JsonLd, RdfFormat::NTriples] {
        let out = Shared::default();
        let mut writer =
            CatalogWriter::new(format, Profile::DcatAp3, &common::site(), None, out.clone()).unwrap();
        let written = || String::from_utf8(out.0.borrow().clone()).unwrap();
        assert!(written().contains("https://data.example.dk/"), "{format}: the catalogue comes first");
        let mut before = written().len();
        for record in &records[..3] {
            writer.dataset(record).unwrap();
            let now = written();
            let id = record.get("id").or(record.get("name")).and_then(Value::as_str).unwrap();
            assert!(now.len() > before && now[before..].contains(id), "{format}: {id} written at once");
            before = now.len();
        }
        writer.finish().unwrap();
    }
}

#[test]
fn the_catalogue_and_its_publisher() {
    let mut info = CatalogInfo::new("https://data.example.dk/", "Åbne data");
    info.language = Some("da".into());
    info.modified = Some("2024-05-01T10:00:00".into());
    let bytes = {
        let mut writer =
            CatalogWriter::new(RdfFormat::Turtle, Profile::DcatAp3, &info, None, Vec::new()).unwrap();
        writer.dataset(&common::full_dataset()).unwrap();
        writer.finish().unwrap()
    };
    let graph = triples(&bytes, RdfFormat::Turtle);
    let catalog = graph
        .iter()
        .find(|t| t.object.to_string() == format!("<{DCAT}Catalog>"))
        .map(|t| t.subject.to_string())
        .unwrap();
    assert_eq!(catalog, "<https://data.example.dk/>");
    let about = |p: &str| -> Vec<String> {
        graph
            .iter()
            .filter(|t| t.subject.to_string() == catalog && t.predicate.as_str() == p)
            .map(|t| t.object.to_string())
            .collect()
    };
    assert_eq!(about(&format!("{DCT}title")), ["\"Åbne data\""]);
    // DCAT-AP requires a description: the title stands in for a missing one.
    assert_eq!(about(&format!("{DCT}description")), ["\"Åbne data\""]);
    assert_eq!(
        about(&format!("{DCT}language")),
        ["<http://publications.europa.eu/resource/authority/language/DAN>"]
    );
    assert_eq!(about("http://xmlns.com/foaf/0.1/homepage"), ["<https://data.example.dk>"]);
    assert_eq!(
        about(&format!("{DCAT}dataset")),
        ["<https://data.example.dk/dataset/5f1d3a9e-0c4b-4c8e-9f59-6a1f2d3c4b5a>"]
    );
    assert_eq!(
        about(&format!("{DCT}modified")),
        ["\"2024-05-01T10:00:00\"^^<http://www.w3.org/2001/XMLSchema#dateTime>"]
    );
    let names: Vec<_> =
        objects(&graph, "http://xmlns.com/foaf/0.1/name").iter().map(|t| t.to_string()).collect();
    assert!(names.contains(&"\"Åbne data\"".to_owned()), "the site publishes by default: {names:?}");
    assert!(names.contains(&"\"Odense Kommune\"".to_owned()), "the organization publishes the dataset");

    // A configured publisher.
    let mut agent = Agent::new("Odense Kommune");
    agent.uri = Some("https://www.odense.dk/".into());
    agent.email = Some("data@odense.dk".into());
    info.publisher = Some(agent);
    let bytes = CatalogWriter::new(RdfFormat::Turtle, Profile::DcatAp3, &info, None, Vec::new())
        .unwrap()
        .finish()
        .unwrap();
    let graph = triples(&bytes, RdfFormat::Turtle);
    assert_eq!(objects(&graph, &format!("{DCT}publisher"))[0].to_string(), "<https://www.odense.dk/>");
    assert_eq!(objects(&graph, "http://xmlns.com/foaf/0.1/mbox")[0].to_string(), "<mailto:data@odense.dk>");
}

#[test]
fn a_dataset_alone_has_no_catalogue_and_no_paging_without_results() {
    let bytes = write_dataset(
        &common::full_dataset(),
        &common::site(),
        Profile::DcatAp3,
        RdfFormat::Turtle,
        Vec::new(),
    )
    .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(!text.contains("dcat:Catalog") && text.contains("dcat:Dataset"));
    let empty = Paging::new(1, 100, 0, "https://data.example.dk/catalog.ttl");
    let bytes = common::catalog(&[], Profile::DcatAp3, RdfFormat::Turtle, Some(empty));
    assert!(!String::from_utf8(bytes).unwrap().contains("PagedCollection"));
}

/// Values that are not IRIs never become IRIs: they are left out, or become literals or
/// labelled blank nodes.
#[test]
fn no_iri_from_a_string_that_is_not_one() {
    let dataset = json!({
        "id": "d1", "title": "Junk", "notes": "",
        "url": "see our website",
        "license_url": "ask the office",
        "maintainer_email": "n/a",
        "extras": [
            {"key": "theme", "value": "Economy"},
            {"key": "conforms_to", "value": "ISO 19115"},
            {"key": "has_version", "value": "the 2019 edition"},
            {"key": "spatial_uri", "value": "Denmark"},
            {"key": "publisher_uri", "value": "Odense"},
            {"key": "publisher_name", "value": "Odense Kommune"},
            {"key": "uri", "value": "not-an-iri"},
        ],
        "resources": [{"id": "r1", "url": "ftp//broken", "mimetype": "CSV", "hash": "xyz", "size": "big", "format": "text/csv"}],
    });
    let bytes =
        write_dataset(&dataset, &common::site(), Profile::DcatAp3, RdfFormat::NTriples, Vec::new()).unwrap();
    let graph = triples(&bytes, RdfFormat::NTriples);
    for triple in &graph {
        for term in [triple.subject.to_string(), triple.object.to_string()] {
            if let Some(iri) = term.strip_prefix('<') {
                for junk in [
                    "see our",
                    "ask the",
                    "n/a",
                    "Economy",
                    "ISO",
                    "2019",
                    "Denmark",
                    "Odense>",
                    "not-an-iri",
                    "broken",
                    "CSV>",
                    "xyz",
                    "big",
                ] {
                    assert!(!iri.contains(junk), "{iri}");
                }
            }
        }
    }
    let literals: BTreeSet<_> =
        graph.iter().filter(|t| t.object.is_literal()).map(|t| t.object.to_string()).collect();
    for kept in ["\"Economy\"", "\"ISO 19115\"", "\"ask the office\"", "\"Odense Kommune\""] {
        assert!(literals.contains(kept), "{kept} in {literals:?}");
    }
    // The dataset is named under the site since its `uri` is not an IRI; its media type
    // comes from the format, which is one.
    assert!(graph.iter().any(|t| t.subject.to_string() == "<https://data.example.dk/dataset/d1>"));
    assert_eq!(
        objects(&graph, &format!("{DCAT}mediaType"))[0].to_string(),
        "<https://www.iana.org/assignments/media-types/text/csv>"
    );
}

#[test]
fn the_danish_profile_differences() {
    let dataset = common::full_dataset();
    let ap3 = triples(
        &write_dataset(&dataset, &common::site(), Profile::DcatAp3, RdfFormat::Turtle, Vec::new()).unwrap(),
        RdfFormat::Turtle,
    );
    let dk = triples(
        &write_dataset(&dataset, &common::site(), Profile::DcatApDk, RdfFormat::Turtle, Vec::new()).unwrap(),
        RdfFormat::Turtle,
    );
    let size = |g: &[Triple]| objects(g, &format!("{DCAT}byteSize"))[0].to_string();
    assert_eq!(size(&ap3), "\"123456\"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>");
    assert_eq!(size(&dk), "\"123456\"^^<http://www.w3.org/2001/XMLSchema#decimal>");
    let algorithms = |g: &[Triple]| objects(g, "http://spdx.org/rdf/terms#algorithm").len();
    assert_eq!(algorithms(&ap3), 2);
    assert_eq!(algorithms(&dk), 1, "SHA-1 only");
    let versions = |g: &[Triple]| objects(g, "http://www.w3.org/2002/07/owl#versionInfo").len();
    assert_eq!((versions(&ap3), versions(&dk)), (0, 1));
    let geometry = |g: &[Triple]| objects(g, "http://www.w3.org/ns/locn#geometry")[0].is_literal();
    assert!(!geometry(&ap3) && geometry(&dk));
}

#[test]
fn unusable_input_is_an_error() {
    let info = CatalogInfo::new("data.example.dk", "No scheme");
    assert!(matches!(
        CatalogWriter::new(RdfFormat::Turtle, Profile::DcatAp3, &info, None, Vec::new()),
        Err(DcatError::InvalidIri(_))
    ));
    let site = common::site();
    for nameless in [json!({"title": "No id"}), json!("a string"), json!(null)] {
        assert!(matches!(
            write_dataset(&nameless, &site, Profile::DcatAp3, RdfFormat::Turtle, Vec::new()),
            Err(DcatError::DatasetWithoutId)
        ));
    }
    // Odd shapes of real records are written, not refused.
    let odd = json!({"id": "x", "title": 5, "tags": ["plain", {"name": ""}, 3], "extras": {"frequency": "daily"},
        "organization": "just-a-name", "resources": [null, "r", {"size": -4, "url": 7}]});
    write_dataset(&odd, &site, Profile::DcatAp3, RdfFormat::RdfXml, Vec::new()).unwrap();
}
