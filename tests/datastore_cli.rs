//! `datahavn datastore load` as an operator runs it: a file into a resource's table beside a
//! running server, its errors, and a load killed half-way that leaves the old table serving.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod binary;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use binary::{Server, Site};
use serde_json::{Value, json};

/// A server with a dataset `counts` of organization `odense` holding one CSV resource.
fn site_with_resource() -> (Site, Server, String, String) {
    let site = Site::with_admin();
    let token = site.admin_token();
    let server = site.serve("serve.log");
    server.call("organization_create", &json!({"name": "odense"}), &token);
    let dataset = server.call(
        "package_create",
        &json!({"name": "counts", "owner_org": "odense",
                "resources": [{"url": "http://example.org/counts.csv", "format": "CSV"}]}),
        &token,
    );
    let resource = dataset["resources"][0]["id"].as_str().unwrap().to_owned();
    (site, server, token, resource)
}

fn search(server: &Server, resource: &str) -> Value {
    let (status, body) =
        server.get(&format!("/api/3/action/datastore_search?resource_id={resource}&limit=5"), None);
    assert_eq!(status, 200, "{body}");
    body["result"].clone()
}

#[test]
fn a_file_is_loaded_with_inferred_types_and_marks_the_resource() {
    let (site, server, _token, resource) = site_with_resource();
    let file = site.dir.path().join("counts.csv");
    std::fs::write(&file, "street,cars,when\nVestergade,120,2024-05-01\nAlbanigade,-3,2024-05-02\n").unwrap();
    let printed = site.run(&["datastore", "load", &resource, file.to_str().unwrap()], "");
    assert!(printed.starts_with(&format!("loaded 2 rows into {resource}")), "{printed}");
    let found = search(&server, &resource);
    assert_eq!(found["total"], 2);
    let types: Vec<&str> =
        found["fields"].as_array().unwrap().iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["int", "text", "numeric", "timestamp"]);
    assert_eq!(found["records"][1]["cars"], -3);
    let (_, shown) = server.get("/api/3/action/package_show?id=counts", None);
    assert_eq!(shown["result"]["resources"][0]["datastore_active"], true);
}

#[test]
fn bad_files_and_unknown_resources_fail_clearly_and_change_nothing() {
    let (site, server, _token, resource) = site_with_resource();
    let good = site.dir.path().join("good.csv");
    std::fs::write(&good, "a,b\n1,x\n").unwrap();
    site.run(&["datastore", "load", &resource, good.to_str().unwrap()], "");
    let cases = [
        ("ragged.csv", b"a,b\n1,2\n3,4,5\n".to_vec(), "line 3"),
        ("fake.xlsx", b"a,b\n1,2\n".to_vec(), "XLSX"),
        ("empty.csv", Vec::new(), "empty"),
    ];
    for (name, bytes, needle) in cases {
        let path = site.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let output = site.output(&["datastore", "load", &resource, path.to_str().unwrap()], "");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name} loaded");
        assert!(stderr.contains(needle), "{name}: {stderr}");
        assert_eq!(search(&server, &resource)["records"], json!([{"_id": 1, "a": 1, "b": "x"}]), "{name}");
    }
    let output = site.output(&["datastore", "load", "no-such-resource", good.to_str().unwrap()], "");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("Resource was not found"));
}

#[test]
fn a_load_killed_half_way_leaves_the_old_table_serving() {
    let (site, server, _token, resource) = site_with_resource();
    let small = site.dir.path().join("small.csv");
    std::fs::write(&small, "id,name\n1,first\n2,second\n").unwrap();
    site.run(&["datastore", "load", &resource, small.to_str().unwrap()], "");
    let before = search(&server, &resource);

    let big = site.dir.path().join("big.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    writeln!(out, "id,name,amount,note").unwrap();
    for i in 0..400_000 {
        writeln!(out, "{i},name {i},{}.5,\"some, text {i}\"", i % 977).unwrap();
    }
    out.flush().unwrap();
    drop(out);
    let mut child = site
        .command(&["datastore", "load", &resource, big.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    assert!(child.try_wait().unwrap().is_none(), "the load ended before it could be killed");
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(search(&server, &resource), before);
    let (_, info) = server.get(&format!("/api/3/action/datastore_info?id={resource}"), None);
    assert_eq!(info["result"]["meta"]["count"], 2, "{info}");
    // The DataStore takes writes again at once: no lock or half-built table is left behind.
    let started = Instant::now();
    site.run(&["datastore", "load", &resource, small.to_str().unwrap()], "");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(search(&server, &resource)["records"], before["records"]);
}
