//! The catalogue of the real portal records (`tests/fixtures/portals`, plus a dataset using
//! every mapped field) written as Turtle and validated with pyshacl (`tests/shacl/validate.py`)
//! against the published shapes.
//!
//! Which shape files, and why:
//! - DCAT-AP 3.0.1: `dcat-ap-3.0.1-dcat-ap-SHACL.ttl` alone. It holds every constraint of the
//!   release: cardinalities, node kinds, datatypes and the range classes (`sh:class`). The
//!   release's `ranges.ttl` repeats those class constraints and adds only `sh:class
//!   rdfs:Resource` on URL properties (which no graph meets without RDFS entailment) and
//!   references four property shapes it never defines (`dcat:DatasetShape/4918ff7a…`,
//!   `/95c69c99…`, `dcat:DistributionShape/65380484…`, `/a07d6e7a…`), which pyshacl rejects as
//!   ill-formed; so it is not loaded (nor kept in the fixtures).
//! - DCAT-AP-DK 2.0.1, strict shapes, for [`Profile::DcatApDk`] output. That output is not
//!   checked against DCAT-AP 3: the DK shapes contradict it on `dcat:byteSize` (`xsd:decimal`
//!   against `xsd:nonNegativeInteger`) and `locn:geometry` (a literal against a node).
//! - A vocabulary for the class checks. `sh:class` looks for `rdf:type` in the data graph. The
//!   writer types the IRIs it brings in (languages, frequencies, formats, licences, pages), but
//!   a `skos:Concept` is described by its concept scheme, which a validator loads beside the
//!   data: `shapes/vocabulary.ttl` holds the one EU data-theme concept the test dataset uses.
//!   Without it the theme fails "Value does not have class skos:Concept", the one failure
//!   ckanext-dcat's own SHACL tests list as known.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use datahavn_dcat::{Paging, Profile, RdfFormat};

const DCAT_AP_3: &str = "shapes/dcat-ap-3.0.1-dcat-ap-SHACL.ttl";
const DCAT_AP_DK: &str = "shapes/dcat-ap-dk-2.0.1-shacl-shapes-strict.ttl";
const VOCABULARY: &str = "shapes/vocabulary.ttl";

/// A Python that can import pyshacl: `$DATAHAVN_PYTHON`, else `python3`. Without one the test
/// is skipped, unless `DATAHAVN_REQUIRE_CKANAPI=1` (CI), which makes it fail.
fn python() -> Option<String> {
    let python = std::env::var("DATAHAVN_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let found = Command::new(&python)
        .args(["-c", "import pyshacl"])
        .output()
        .is_ok_and(|output| output.status.success());
    if found {
        return Some(python);
    }
    let message = format!("{python} cannot import pyshacl (pip install pyshacl, or set DATAHAVN_PYTHON)");
    if std::env::var("DATAHAVN_REQUIRE_CKANAPI").as_deref() == Ok("1") {
        panic!("{message}");
    }
    eprintln!("skipped: {message}");
    None
}

/// Runs the validator; `Ok` with its report when the data conforms, `Err` with it when not.
fn validate(python: &str, turtle: &[u8], shapes: &[&str]) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.ttl");
    std::fs::write(&data, turtle).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/shacl/validate.py");
    let mut command = Command::new(python);
    command.arg(script).arg(&data).arg("--shapes");
    for shape in shapes {
        command.arg(common::fixture(shape));
    }
    command.arg("--vocabulary").arg(common::fixture(VOCABULARY));
    let output = command.output().unwrap();
    let report =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    match output.status.code() {
        Some(0) => Ok(report),
        Some(1) => Err(report),
        _ => panic!("the validator failed to run:\n{report}"),
    }
}

fn catalogue(profile: Profile) -> Vec<u8> {
    let records = common::catalog_records();
    let paging = Paging::new(2, 10, 45, "https://data.example.dk/catalog.ttl").keep("q", "parkering");
    common::catalog(&records, profile, RdfFormat::Turtle, Some(paging))
}

#[test]
fn dcat_ap_3_catalogue_of_portal_records_conforms() {
    let Some(python) = python() else { return };
    let turtle = catalogue(Profile::DcatAp3);
    match validate(&python, &turtle, &[DCAT_AP_3]) {
        Ok(report) => println!("{report}"),
        Err(report) => panic!("DCAT-AP 3 violations:\n{report}"),
    }
}

#[test]
fn dcat_ap_dk_catalogue_of_portal_records_conforms() {
    let Some(python) = python() else { return };
    let turtle = catalogue(Profile::DcatApDk);
    match validate(&python, &turtle, &[DCAT_AP_DK]) {
        Ok(report) => println!("{report}"),
        Err(report) => panic!("DCAT-AP-DK violations:\n{report}"),
    }
}

/// The validation above means something only if the validator sees violations: a dataset
/// without a description, a distribution without an access URL and a size of the wrong type
/// must fail both shape sets.
#[test]
fn the_shapes_reject_what_dcat_ap_forbids() {
    let Some(python) = python() else { return };
    let broken = br#"
        @prefix dcat: <http://www.w3.org/ns/dcat#> .
        @prefix dct: <http://purl.org/dc/terms/> .
        <https://x.dk/dataset/1> a dcat:Dataset ; dct:title "No description" ;
            dcat:distribution <https://x.dk/dataset/1/resource/1> .
        <https://x.dk/dataset/1/resource/1> a dcat:Distribution ; dcat:byteSize "large" .
    "#;
    for shapes in [DCAT_AP_3, DCAT_AP_DK] {
        let report = validate(&python, broken, &[shapes]).expect_err(shapes);
        assert!(report.contains("description"), "{report}");
        assert!(report.contains("accessURL"), "{report}");
        assert!(report.contains("byteSize"), "{report}");
    }
}
