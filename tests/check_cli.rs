//! `datahavn check`: consistent after ordinary use; each kind of damage done behind datahavn's
//! back is reported, with exit status 1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod binary;

use std::path::{Path, PathBuf};

use binary::Site;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

fn check(site: &Site, json: bool) -> (bool, String, Value) {
    let args: &[&str] = if json { &["check", "--json"] } else { &["check"] };
    let output = site.output(args, "");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let parsed = if json { serde_json::from_str(&stdout).unwrap_or(Value::Null) } else { Value::Null };
    (output.status.success(), stdout, parsed)
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// SQL run on the catalogue database behind datahavn's back.
fn sql(site: &Site, statements: &str) {
    let url = site.db.url_string();
    if let Some(path) = url.strip_prefix("sqlite://") {
        diesel::SqliteConnection::establish(path).unwrap().batch_execute(statements).unwrap();
    } else {
        diesel::PgConnection::establish(&url).unwrap().batch_execute(statements).unwrap();
    }
}

/// SQL run on the DataStore's database (its own file on SQLite, schema `datastore` on PostgreSQL).
fn datastore_sql(site: &Site, statement: &str) {
    let url = site.db.url_string();
    if url.starts_with("sqlite://") {
        let path = site.dir.path().join("datastore.db");
        diesel::SqliteConnection::establish(path.to_str().unwrap())
            .unwrap()
            .batch_execute(statement)
            .unwrap();
    } else {
        let statement = statement.replace("_datastore_table", "datastore._datastore_table");
        diesel::PgConnection::establish(&url).unwrap().batch_execute(&statement).unwrap();
    }
}

fn upload(base: &str, token: &str, package_id: &str) -> Value {
    let boundary = "XyZ-check-boundary";
    let mut body = Vec::new();
    for (name, value) in [("package_id", package_id), ("name", "notes.txt")] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"notes.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nharbour notes\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent
        .post(format!("{base}/api/3/action/resource_create"))
        .header("Authorization", token)
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .send(&body[..])
        .unwrap();
    let reply: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(reply["success"], true, "{reply}");
    reply["result"].clone()
}

#[test]
fn check_passes_on_a_used_catalogue_and_names_each_difference_after_damage() {
    let site = Site::with_admin();
    let token = site.admin_token();
    let server = site.serve("serve.log");
    let org = server.call("organization_create", &json!({"name": "harbour"}), &token);
    let org_id = org["id"].as_str().unwrap().to_owned();
    let kept = server.call("package_create", &json!({"name": "kept", "owner_org": org_id}), &token);
    let edited = server.call(
        "package_create",
        &json!({"name": "edited", "owner_org": org_id, "private": true}),
        &token,
    );
    server.call("package_create", &json!({"name": "removed", "owner_org": org_id}), &token);
    server.call("package_delete", &json!({"id": "removed"}), &token);
    let file = upload(&server.base, &token, kept["id"].as_str().unwrap());
    let table = server.call("resource_create", &json!({"package_id": "kept", "name": "live counts"}), &token);
    server.call(
        "datastore_create",
        &json!({"resource_id": table["id"], "force": true, "fields": [{"id": "n", "type": "int"}], "records": [{"n": 1}]}),
        &token,
    );
    // A search applies every pending change to the index first, so the index stops caught up
    // (otherwise the last changes are pending, and pending datasets are no differences).
    server.call("package_search", &json!({"q": "*:*"}), &token);
    let (stopped, log) = server.stop();
    assert!(stopped, "{log}");

    let (ok, text, _) = check(&site, false);
    assert!(ok, "a catalogue used only through datahavn is consistent:\n{text}");
    assert!(text.contains("consistent"), "{text}");
    let (ok, _, report) = check(&site, true);
    assert!(ok);
    assert_eq!(report["consistent"], true);
    assert_eq!(report["database"]["datasets"], 3);
    assert_eq!(report["files"]["referenced"], 1, "{report:#}");
    assert_eq!(report["datastore"]["tables"], 1);

    // Damage, each kind once.
    let files_dir = site.dir.path().join("files");
    let stored = files_under(&files_dir.join("resources"));
    assert_eq!(stored.len(), 1, "{stored:?}");
    std::fs::remove_file(&stored[0]).unwrap();
    let stray = files_dir.join("resources/zzz/zzz/zzz/stray-object");
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(&stray, b"nobody's").unwrap();
    let edited_id = edited["id"].as_str().unwrap();
    let ghost_id = "00000000-0000-4000-8000-000000000001";
    sql(
        &site,
        &format!(
            "UPDATE packages SET metadata_modified = '2001-02-03 04:05:06' WHERE id = '{edited_id}';
             INSERT INTO packages (id, name, title, type, state, private, owner_org, creator_user_id,
                 metadata_created, metadata_modified, document, rendered)
             VALUES ('{ghost_id}', 'inserted-behind-its-back', '', 'dataset', 'active', false, NULL, NULL,
                 '2020-01-01 00:00:00', '2020-01-01 00:00:00', '{{}}', '{{}}');"
        ),
    );
    let table_id = table["id"].as_str().unwrap();
    datastore_sql(&site, &format!("DELETE FROM _datastore_table WHERE resource_id = '{table_id}'"));
    datastore_sql(
        &site,
        "INSERT INTO _datastore_table (resource_id, meta) VALUES ('no-such-resource', '{}')",
    );

    let (ok, text, _) = check(&site, false);
    assert!(!ok, "damage must fail the check:\n{text}");
    for expected in [
        "datasets missing from the index: 1",
        "inserted-behind-its-back",
        "datasets indexed with another metadata_modified: 1",
        "edited",
        "uploads whose file is missing: 1",
        "stored objects no resource references: 1",
        "resources marked datastore_active without a table: 1",
        "tables without a resource: 1",
        "no-such-resource",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    let (ok, _, report) = check(&site, true);
    assert!(!ok);
    assert_eq!(report["consistent"], false);
    let search = &report["search_index"];
    assert_eq!(search["missing"], json!([{"id": ghost_id, "name": "inserted-behind-its-back"}]));
    assert_eq!(search["stale"][0]["id"], edited_id);
    assert_eq!(search["stale"][0]["database_metadata_modified"], "2001-02-03T04:05:06.000000");
    assert_eq!(report["files"]["missing"][0]["resource_id"], file["id"]);
    assert_eq!(report["files"]["unreferenced"], json!(["resources/zzz/zzz/zzz/stray-object"]));
    assert_eq!(report["datastore"]["active_resources_without_table"][0]["resource_id"], table["id"]);
    assert_eq!(report["datastore"]["tables_without_resource"], json!(["no-such-resource"]));

    // An index entry whose dataset is gone.
    let kept_id = kept["id"].as_str().unwrap();
    let purge = if site.db.is_postgres() {
        "SET session_replication_role = replica; DELETE FROM packages WHERE id = '"
    } else {
        "DELETE FROM packages WHERE id = '"
    };
    sql(&site, &format!("{purge}{kept_id}';"));
    let (ok, _, report) = check(&site, true);
    assert!(!ok);
    assert_eq!(report["search_index"]["orphans"], json!([kept_id]));
}
