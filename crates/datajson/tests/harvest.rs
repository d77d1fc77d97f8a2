//! data.json → CKAN on real catalogues, the round trip CKAN → data.json → CKAN on real
//! records, and documents that are not catalogues.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{catalog_info, ckan_records, datajson_fixture, validate};
use datahavn_datajson::{
    Catalog, CatalogWriter, DatajsonError, dataset_json, dataset_to_ckan, identifier_of, parse_catalog,
};
use serde_json::{Value, json};

/// The real catalogues: name, datasets, distributions, distinct identifiers.
const CATALOGUES: &[(&str, usize, usize, usize)] = &[
    ("arm.gov", 3, 3, 3),
    ("gsa.gov", 8, 7, 8),
    ("ed.gov", 89, 386, 88),
    ("usda.gov", 3, 6, 3),
    ("justicia.gob.ar", 18, 71, 18),
    ("datos.gob.ar", 617, 1494, 617),
];

fn packages(name: &str) -> Vec<Value> {
    parse_catalog(&datajson_fixture(name)).unwrap()
}

fn extra<'v>(package: &'v Value, key: &str) -> Option<&'v str> {
    package["extras"].as_array()?.iter().find(|e| e["key"] == key)?["value"].as_str()
}

fn tag_names(package: &Value) -> Vec<&str> {
    package["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect()
}

/// CKAN's tag rule (datahavn-domain's `validate_tag`).
fn ckan_accepts_tag(tag: &str) -> bool {
    (2..=100).contains(&tag.chars().count())
        && tag.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
}

fn trimmed(value: &Value) -> Option<&str> {
    value.as_str().map(str::trim).filter(|s| !s.is_empty())
}

#[test]
fn real_catalogues_give_their_datasets() {
    for &(name, datasets, distributions, identifiers) in CATALOGUES {
        let body = datajson_fixture(name);
        let catalog = Catalog::parse(&body).unwrap();
        assert_eq!(catalog.len(), datasets, "{name}");
        let sources: Vec<Value> =
            catalog.raw_datasets().map(|raw| serde_json::from_str(raw).unwrap()).collect();
        let packages: Vec<Value> = catalog.datasets().collect::<Result<_, _>>().unwrap();
        assert_eq!(packages, parse_catalog(&body).unwrap(), "{name}");
        let resources: usize = packages.iter().map(|p| p["resources"].as_array().unwrap().len()).sum();
        assert_eq!(resources, distributions, "{name}");
        let ids: BTreeSet<_> = packages.iter().map(|p| identifier_of(p).unwrap()).collect();
        assert_eq!(ids.len(), identifiers, "{name}");

        for (source, package) in sources.iter().zip(&packages) {
            let id = source["identifier"].as_str().unwrap();
            assert_eq!(identifier_of(source).as_deref(), Some(id));
            assert_eq!(identifier_of(package).as_deref(), Some(id));
            assert_eq!((extra(package, "guid"), extra(package, "identifier")), (Some(id), Some(id)));
            assert_eq!(package["title"].as_str(), trimmed(&source["title"]), "{name} {id}");
            assert_eq!(package["notes"].as_str(), trimmed(&source["description"]), "{name} {id}");
            assert_eq!(package["url"].as_str(), trimmed(&source["landingPage"]), "{name} {id}");
            let tags = tag_names(package);
            assert!(tags.iter().all(|t| ckan_accepts_tag(t)), "{name} {id}: {tags:?}");
            let keywords = source["keyword"].as_array().map_or(0, Vec::len);
            assert!(tags.len() <= keywords && (keywords == 0 || !tags.is_empty()), "{name} {id}");
            let distribution = source["distribution"].as_array().cloned().unwrap_or_default();
            for (d, r) in distribution.iter().zip(package["resources"].as_array().unwrap()) {
                let url = trimmed(&d["downloadURL"]).or_else(|| trimmed(&d["accessURL"])).unwrap_or_default();
                assert_eq!(r["url"], url, "{name} {id}");
                assert_eq!(
                    r["name"].as_str(),
                    trimmed(&d["title"]).or_else(|| trimmed(&d["fileName"])),
                    "{name} {id}"
                );
                assert_eq!(r["mimetype"].as_str(), trimmed(&d["mediaType"]), "{name} {id}");
            }
        }
    }
}

#[test]
fn fields_of_real_datasets() {
    let arm = &packages("arm.gov")[0];
    assert_eq!(
        arm["title"],
        "NCEP GFS: vertical profiles of met quantities at standard pressures, at Barrow"
    );
    assert_eq!(tag_names(arm).len(), 9);
    assert_eq!(arm["license_id"], "notspecified");
    assert_eq!(
        (arm["maintainer"].as_str(), arm["maintainer_email"].as_str()),
        (Some("ARM Data Center"), Some("adc@arm.gov"))
    );
    assert_eq!(extra(arm, "publisher"), Some("Atmospheric Radiation Measurement Data Center"));
    assert_eq!(
        extra(arm, "publisher_hierarchy"),
        Some(
            "U.S. Government > DOE Office of Science user facilities > DOE Biological and Environmental Research (BER) > \
             Atmospheric Radiation Measurement Data Center"
        )
    );
    assert_eq!(extra(arm, "modified"), Some("2019-06-27 12:41:27"));
    assert_eq!(extra(arm, "accessLevel"), Some("public"));
    assert_eq!(extra(arm, "bureauCode"), Some("[\"018:001\"]"));
    assert_eq!(
        arm["resources"],
        json!([{"url": "http://www.archive.arm.gov/discovery/#v/results/s/s::ncepgfsbrwpprof", "format": "cdf"}])
    );

    let gsa = &packages("gsa.gov")[0];
    assert_eq!(gsa["license_id"], "cc-zero");
    assert_eq!(gsa["maintainer_email"], "michael.harris@gsa.gov");
    assert_eq!(extra(gsa, "contact_name"), Some("Mick Harris"));
    assert_eq!(extra(gsa, "accrualPeriodicity"), Some("R/P1Y"));
    assert_eq!(extra(gsa, "dataQuality"), Some("true"));
    assert_eq!(extra(gsa, "theme"), Some("[\"IT Initiatives\"]"));
    assert_eq!(extra(gsa, "programCode"), Some("[\"023:000\"]"));
    let pdf = &gsa["resources"][0];
    assert!(pdf["url"].as_str().unwrap().ends_with("2015gsafitaraimplementationandcioassignmentplan.pdf"));
    assert_eq!((pdf["format"].as_str(), pdf["mimetype"].as_str()), (Some("pdf"), Some("application/pdf")));

    let usda = &packages("usda.gov")[0];
    assert_eq!(extra(usda, "additionalField"), Some("some Value"));
    assert_eq!(extra(usda, "additionalFieldDict"), Some("{\"a\":3}"));
    assert_eq!(extra(usda, "additionalFieldListWDict"), Some("[1,2,{\"a\":3}]"));

    let justicia = &packages("justicia.gob.ar")[0];
    assert_eq!(justicia["license_id"], "odc-odbl");
    assert!(tag_names(justicia).contains(&"boletín oficial"));
    assert_eq!(extra(justicia, "publisher_email"), Some("datosabiertos@saij.gob.ar"));
    assert_eq!(extra(justicia, "contact_email"), Some("datosabiertos@saij.gob.ar"));
    assert_eq!(extra(justicia, "superTheme"), Some("[\"JUST\"]"));
    assert_eq!(extra(justicia, "issued"), Some("2016-09-05T18:25:21.249967"));

    let argentina = &packages("datos.gob.ar")[0];
    assert_eq!(argentina["title"], "Superficie nacional fiscalizada por especies");
    assert!(argentina.get("maintainer").is_none(), "an empty contactPoint gives no maintainer");
    assert_eq!(extra(argentina, "publisher"), Some("Dirección de Certificación y Control - INASE"));
    let csv = &argentina["resources"][0];
    assert!(
        csv["url"]
            .as_str()
            .unwrap()
            .ends_with("/download/superficie-nacional-fiscalizada-por-especies-14-15.csv")
    );
    assert!(csv["access_url"].as_str().unwrap().ends_with("/resource/7dfce324-a6c4-4dfb-8af4-dcd039ace801"));
    assert_eq!(csv["format"], "CSV");

    // ed.gov lists one identifier twice: both datasets are given, the harvester decides.
    let ed = packages("ed.gov");
    let mut seen = BTreeSet::new();
    let twice: Vec<_> = ed.iter().filter_map(identifier_of).filter(|id| !seen.insert(id.clone())).collect();
    assert_eq!(twice.len(), 1);
}

/// Harvested datasets, shown again by this site's data.json, are valid DCAT-US.
#[test]
fn harvested_datasets_export_valid() {
    let info = catalog_info();
    let mut writer = CatalogWriter::new(&info, Vec::new()).unwrap();
    let mut count = 0;
    for &(name, datasets, _, _) in CATALOGUES {
        for package in packages(name) {
            writer.dataset(&package).unwrap();
        }
        count += datasets;
    }
    let bytes = writer.finish().unwrap();
    let Some(report) = validate(&bytes, "non-federal") else { return };
    assert_eq!(report.datasets, count);
    assert!(report.errors.is_empty(), "{:?}", &report.errors[..report.errors.len().min(20)]);
}

/// CKAN → data.json → CKAN keeps title, notes, tags, resources and the identifier.
#[test]
fn round_trip_keeps_what_matters() {
    let info = catalog_info();
    let records = ckan_records();
    let mut resources = 0;
    for (file, original) in &records {
        let exported = dataset_json(original, &info).unwrap();
        let back = dataset_to_ckan(&exported).unwrap();
        let at = format!("{file} {}", original["id"]);

        assert_eq!(identifier_of(&back), exported["identifier"].as_str().map(str::to_owned), "{at}");
        let expected_id = ["identifier", "guid", "unique_id"]
            .iter()
            .find_map(|k| {
                original[*k].as_str().or_else(|| {
                    original["extras"].as_array()?.iter().find(|e| e["key"] == *k)?["value"].as_str()
                })
            })
            .or_else(|| original["id"].as_str());
        assert_eq!(identifier_of(&back).as_deref(), expected_id, "{at}");

        assert_eq!(back["title"], exported["title"], "{at}");
        if let Some(title) = trimmed(&original["title"]) {
            assert_eq!(back["title"], title, "{at}");
        }
        match trimmed(&original["notes"]) {
            Some(notes) => assert_eq!(back["notes"], notes, "{at}"),
            // A schema's multilingual `description`, else the title, stands in.
            None => assert_eq!(back["notes"], exported["description"], "{at}"),
        }

        let tags: Vec<&str> = original["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str().or(t.as_str()))
            .collect();
        // Tags CKAN accepts come back as they were; others (data.gov.uk allowed `/`) are
        // cleaned into ones it accepts.
        let back_tags = tag_names(&back);
        let accepted: Vec<&str> = tags.iter().copied().filter(|t| ckan_accepts_tag(t)).collect();
        assert_eq!(back_tags.iter().filter(|t| accepted.contains(t)).count(), accepted.len(), "{at}");
        assert!(back_tags.iter().all(|t| ckan_accepts_tag(t)), "{at}");
        if !tags.is_empty() {
            assert!(back_tags.len() <= tags.len() && !back_tags.is_empty(), "{at}");
        }

        let original_resources = original["resources"].as_array().cloned().unwrap_or_default();
        let back_resources = back["resources"].as_array().unwrap();
        assert_eq!(back_resources.len(), original_resources.len(), "{at}");
        for (o, b) in original_resources.iter().zip(back_resources) {
            if let Some(url) = trimmed(&o["url"]).filter(|u| u.starts_with("http") && !u.contains(' ')) {
                assert_eq!(b["url"], url, "{at}");
            }
            if let Some(name) = trimmed(&o["name"]) {
                assert_eq!(b["name"], name, "{at}");
            }
            if let Some(format) = trimmed(&o["format"]) {
                assert_eq!(b["format"], format, "{at}");
            }
            if let Some(description) = trimmed(&o["description"]) {
                assert_eq!(b["description"], description, "{at}");
            }
            resources += 1;
        }
    }
    assert!(resources > 150, "{resources} resources compared");
}

#[test]
fn malformed_documents_are_errors() {
    let gsa = datajson_fixture("gsa.gov");
    type Expected = fn(&DatajsonError) -> bool;
    let cases: Vec<(Vec<u8>, Expected)> = vec![
        (gsa[..gsa.len() / 2].to_vec(), |e| matches!(e, DatajsonError::InvalidJson { .. })),
        ([gsa.as_slice(), b"}"].concat(), |e| matches!(e, DatajsonError::InvalidJson { .. })),
        (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>".to_vec(), |e| {
            matches!(e, DatajsonError::NotJson(what) if what == "an HTML page")
        }),
        (b"".to_vec(), |e| matches!(e, DatajsonError::Empty)),
        (
            br#"{"help": "https://x.org/api/3/action/help_show?name=package_search", "success": false, "error": {}}"#.to_vec(),
            |e| matches!(e, DatajsonError::NotACatalog(what) if what.contains("CKAN API response")),
        ),
        (br#"{"dataset": "all of them"}"#.to_vec(), |e| matches!(e, DatajsonError::NotACatalog(_))),
        (br#"["a", "b"]"#.to_vec(), |e| matches!(e, DatajsonError::NotACatalog(_))),
        (b"null".to_vec(), |e| matches!(e, DatajsonError::NotACatalog(_))),
        (b"{\"dataset\": [{\"title\": \"\xff\"}]}".to_vec(), |e| matches!(e, DatajsonError::InvalidJson { .. })),
    ];
    for (body, expected) in cases {
        let error = Catalog::parse(&body).unwrap_err();
        assert!(expected(&error), "{}: {error:?}", String::from_utf8_lossy(&body[..body.len().min(60)]));
        assert!(parse_catalog(&body).is_err());
    }
}

/// Every prefix of a real catalogue is an error or (the whole file) a catalogue, never a panic.
#[test]
fn truncated_documents_never_panic() {
    let arm = datajson_fixture("arm.gov");
    for end in 0..arm.len() {
        let prefix = &arm[..end];
        if let Ok(datasets) = parse_catalog(prefix) {
            assert_eq!(datasets.len(), 3, "{end}");
        }
    }
    assert_eq!(parse_catalog(&arm).unwrap().len(), 3);
}
