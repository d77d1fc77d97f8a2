//! Harvesting between two `datahavn` processes as an operator runs it: a source server filled
//! with real records (`datahavn load` of a ckanapi dump), and `datahavn harvest add|run|list|show`
//! on another site (beside its own running server), from the source's Action API, its
//! `/catalog.ttl` and its `/data.json`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod binary;

use binary::{Server, Site};
use serde_json::{Value, json};

/// The real records of a ckanapi dump, loaded into a served site, plus datasets enough for
/// more than one page of the harvester.
fn source() -> (Site, Server) {
    let site = Site::with_admin();
    let dump =
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/portals/open.canada.ca-package_dump-1.jsonl");
    site.run(&["load", dump, "--create-orgs"], "");
    let token = site.admin_token();
    let server = site.serve("source.log");
    server.call("organization_create", &json!({"name": "odense"}), &token);
    for n in 0..26 {
        server.call(
            "package_create",
            &json!({"name": format!("taelling-{n}"), "title": format!("Trafiktælling {n}"),
                    "notes": "Biler og cykler i Odense.", "owner_org": "odense",
                    "resources": [{"url": format!("http://example.org/{n}.csv"), "format": "CSV"}]}),
            &token,
        );
    }
    (site, server)
}

fn count(server: &Server) -> u64 {
    // The server's index follows the change log the CLI wrote (within a poll).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, found) = server.get("/api/3/action/package_search?rows=0", None);
        let n = found["result"]["count"].as_u64().unwrap();
        if n > 0 || std::time::Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn sources_of_each_type_are_harvested_from_another_process_and_reruns_change_nothing() {
    let (_source_site, source) = source();
    let (_, remote) = source.get("/api/3/action/package_search?rows=0", None);
    let remote = remote["result"]["count"].as_u64().unwrap();
    assert_eq!(remote, 30);

    let target = Site::with_admin();
    let token = target.admin_token();
    let server = target.serve("target.log");
    server.call("organization_create", &json!({"name": "harvested"}), &token);
    let catalog = format!("{}/catalog.ttl", source.base);
    let data_json = format!("{}/data.json", source.base);
    for (name, url, kind) in [
        ("canada", source.base.as_str(), "ckan"),
        ("rdf", &catalog, "dcat_rdf"),
        ("json", &data_json, "dcat_json"),
    ] {
        target.run(&["harvest", "add", name, url, "--type", kind, "--org", "harvested"], "");
    }
    let printed = target.run(&["harvest", "run", "canada"], "");
    assert!(
        printed.starts_with(&format!("canada: added {remote}, updated 0, unchanged 0, deleted 0, errored 0")),
        "{printed}"
    );
    assert!(printed.contains("(Finished)"), "{printed}");
    assert_eq!(count(&server), remote);
    let again = target.run(&["harvest", "run", "canada"], "");
    assert!(
        again.starts_with(&format!("canada: added 0, updated 0, unchanged {remote}, deleted 0, errored 0")),
        "{again}"
    );

    for name in ["rdf", "json"] {
        let printed = target.run(&["harvest", "run", name], "");
        assert!(printed.starts_with(&format!("{name}: added {remote}, updated 0, unchanged 0")), "{printed}");
        let again = target.run(&["harvest", "run", name], "");
        assert!(again.contains("added 0,") && again.contains("deleted 0, errored 0"), "{again}");
    }
    let (_, found) = server.get("/api/3/action/package_search?rows=0", None);
    assert_eq!(found["result"]["count"].as_u64(), Some(remote * 3), "three sources, no duplicates");

    let list = target.run(&["harvest", "list"], "");
    for name in ["canada", "rdf", "json"] {
        assert!(list.lines().any(|l| l.starts_with(&format!("{name}\t"))), "{list}");
    }
    let shown: Value = serde_json::from_str(&target.run(&["harvest", "show", "rdf"], "")).unwrap();
    assert_eq!(shown["source_type"], "dcat_rdf");
    assert_eq!(shown["url"], catalog);

    // A source that is not a catalogue: the run says why and exits with an error.
    target.run(
        &[
            "harvest",
            "add",
            "nothing",
            &format!("{}/api/3", source.base),
            "--type",
            "dcat_rdf",
            "--org",
            "harvested",
        ],
        "",
    );
    let failed = target.output(&["harvest", "run", "nothing"], "");
    assert!(!failed.status.success());
    let out =
        format!("{}{}", String::from_utf8_lossy(&failed.stdout), String::from_utf8_lossy(&failed.stderr));
    assert!(out.contains("gather error"), "{out}");
}
