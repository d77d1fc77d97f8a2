//! `datastore_run_triggers`: sysadmins only; the table's rows stay, the answer is their count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod world;

use serde_json::json;
use world::{EVERYONE, Persona, World, assert_error, assert_fields};

#[test]
fn datastore_run_triggers_counts_rows_for_sysadmins() {
    let w = World::new();
    w.dataset("table", false, json!([]));
    let created = w.call(
        "datastore_create",
        json!({"resource": {"package_id": "table", "name": "t"}, "fields": [{"id": "a", "type": "int"}],
               "records": [{"a": 1}, {"a": 2}]}),
        Persona::Editor,
    );
    let resource = created.result()["resource_id"].as_str().unwrap().to_owned();
    for persona in EVERYONE {
        let reply = w.call("datastore_run_triggers", json!({"resource_id": resource}), persona);
        match persona {
            Persona::Sysadmin => assert_eq!(reply.result(), json!(2)),
            Persona::Anonymous | Persona::Revoked => assert_error(
                &reply,
                403,
                "Access denied: Action datastore_run_triggers requires an authenticated user",
            ),
            _ => assert_error(&reply, 403, "Access denied"),
        }
    }
    let rows = w.call("datastore_search", json!({"resource_id": resource}), Persona::Sysadmin).result();
    assert_eq!(rows["records"].as_array().unwrap().len(), 2);
    let reply = w.call("datastore_run_triggers", json!({}), Persona::Sysadmin);
    assert_fields(&reply, json!({"resource_id": ["Missing value"]}));
    let reply = w.call("datastore_run_triggers", json!({"resource_id": "nope"}), Persona::Sysadmin);
    assert_fields(&reply, json!({"records": ["relation \"nope\" does not exist"]}));
}
