//! Requests the OpenAPI document forbids are refused with CKAN's errors, and change nothing;
//! odd requests it allows are answered. Each case is one Schemathesis once found where the
//! server and its document disagreed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;
use serde_json::{Value, json};

fn server_with_admin() -> (TestServer, String) {
    let server = TestServer::start();
    let (_, token) = server.user_with_token("admin", true);
    (server, token)
}

#[test]
fn only_an_empty_body_is_an_empty_dict() {
    let (server, _) = server_with_admin();
    let empty = server.post_raw("/api/3/action/organization_list", "application/json", b"", &[]);
    assert_eq!(empty.status, 200);
    for blank in [&b"\n"[..], b"  ", b"\t\r\n"] {
        let reply = server.post_raw("/api/3/action/organization_list", "application/json", blank, &[]);
        assert_eq!(reply.status, 400, "{blank:?}");
        let message = reply.json();
        assert!(message.as_str().unwrap().starts_with("Bad request: JSON Error: Error decoding JSON data."));
    }
}

#[test]
fn lists_of_names_hold_only_text() {
    let (server, token) = server_with_admin();
    for (action, key) in [("organization_list", "organizations"), ("group_list", "groups")] {
        for bad in [json!([false]), json!([null, null]), json!([{}]), json!({}), json!(true)] {
            let reply = server.action(action, json!({ key: bad }), Some(&token));
            assert_eq!(reply.status, 409, "{action} {key}={bad}");
            assert_eq!(reply.error()[key], json!(["Not a list of strings"]), "{action} {key}={bad}");
        }
        for good in [json!(["a", 5]), json!("a,b"), json!("")] {
            assert_eq!(server.action(action, json!({ key: good }), Some(&token)).status, 200, "{good}");
        }
    }
    let reply = server.action("resource_search", json!({"query": [null]}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["query"], json!(["Must be a string or a list of strings"]));
    let reply = server.action("resource_view_clear", json!({"view_types": [1]}), Some(&token));
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["view_types"], json!(["Not a list of strings"]));
}

#[test]
fn package_search_refuses_malformed_lists_and_fractions() {
    let (server, token) = server_with_admin();
    for bad in [json!({}), json!(false), json!(5), json!([null])] {
        let reply = server.action("package_search", json!({ "fl": bad }), Some(&token));
        assert_eq!(reply.status, 409, "fl={bad}");
        assert_eq!(reply.error()["fl"], json!(["Not a list of strings"]));
    }
    for key in ["rows", "start", "facet.limit", "facet.mincount"] {
        let reply = server.action("package_search", json!({ key: 2.5 }), Some(&token));
        assert_eq!(reply.status, 409, "{key}");
        assert_eq!(reply.error()[key], json!(["Invalid integer"]), "{key}");
    }
    // Text that is not an integer fails both of CKAN's `rows` validators.
    let reply = server.action("package_search", json!({"rows": "ten"}), Some(&token));
    assert_eq!(reply.error()["rows"], json!(["Invalid integer", "Please enter an integer value"]));
    let reply = server.action("package_search", json!({"rows": "-1"}), Some(&token));
    assert_eq!(reply.error()["rows"], json!(["Must be a natural number"]));
    let fine = server.action("package_search", json!({"fl": "name,title", "rows": 2}), Some(&token));
    assert_eq!(fine.status, 200);
}

#[test]
fn autocomplete_takes_any_text() {
    let (server, _) = server_with_admin();
    for q in ["<", "a>b", "\u{3}x\u{10}", "(", "\\", "^$", "é"] {
        let reply = server.get(&format!("/api/3/action/package_autocomplete?q={}", percent(q)), &[]);
        assert_eq!(reply.status, 200, "{q:?}: {}", reply.text);
        assert_eq!(reply.result(), json!([]));
    }
}

#[test]
fn a_page_past_any_catalogue_is_empty() {
    let (server, _) = server_with_admin();
    let reply = server
        .get("/api/3/action/current_package_list_with_resources?limit=1818&page=20998774188317676", &[]);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.result(), Value::Array(Vec::new()));
}

/// Percent-encodes every byte but ASCII letters and digits.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
