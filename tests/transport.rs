//! The CKAN transport (ckan-api.md §1) against a running server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Options, TestServer};
use datahavn_http::CorsPolicy;
use serde_json::{Value, json};

#[test]
fn success_envelope_has_ckans_keys_help_url_and_headers() {
    let server = TestServer::start();
    let reply = server.get("/api/3/action/site_read", &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "application/json;charset=utf-8");
    assert_eq!(reply.header("cache-control"), Some("public, max-age=0, must-revalidate"));
    assert_eq!(
        reply.text,
        format!(
            r#"{{"help":"{}/api/3/action/help_show?name=site_read","success":true,"result":true}}"#,
            server.base
        )
    );
}

#[test]
fn unversioned_path_is_version_3_and_help_stays_versioned() {
    let server = TestServer::start();
    let reply = server.get("/api/action/status_show", &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["help"], format!("{}/api/3/action/help_show?name=status_show", server.base));
    // No email_to configured: CKAN's generated ckan.ini has `email_to =`, so "" not null.
    assert_eq!(reply.json()["result"]["error_emails_to"], "");
    let posted = server.post_raw("/api/action/site_read?x=1", "application/json", b"{}", &[]);
    assert_eq!(posted.result(), true);
}

#[test]
fn unknown_action_is_a_bare_string_400() {
    let server = TestServer::start();
    for reply in [
        server.get("/api/3/action/no_such_action", &[]),
        server.post_raw("/api/action/no_such_action", "application/json", b"{}", &[]),
    ] {
        assert_eq!(reply.status, 400);
        assert_eq!(reply.json(), json!("Bad request: Action name not known: no_such_action"));
    }
}

#[test]
fn action_names_are_found_written_plainly_or_escaped_and_nothing_else_is_an_action() {
    let server = TestServer::start();
    for path in ["/api/3/action/status_show", "/api/3/action/status%5Fshow", "/api/action/status%5fshow"] {
        let reply = server.get(path, &[]);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.json()["help"], format!("{}/api/3/action/help_show?name=status_show", server.base));
    }
    for path in ["/api/3/action/Status_Show", "/api/3/action/status-show", "/api/3/action/status%2Dshow"] {
        assert_eq!(server.get(path, &[]).status, 400, "{path}");
    }
    for path in [
        "/api/3/action",
        "/api/3/action/",
        "/api/3/action//status_show",
        "/api/3/action/status_show/",
        "/api/3/action/status_show/more",
        "/api/3/actions/status_show",
    ] {
        let reply = server.get(path, &[]);
        assert_eq!((reply.status, reply.json()), (404, json!("Not found")), "{path}");
    }
}

#[test]
fn get_on_a_write_action_asks_for_post() {
    let server = TestServer::start();
    let reply = server.get("/api/3/action/user_create?name=via-get", &[]);
    // 405 with `Allow` (CKAN answers 400), with CKAN's message.
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST"));
    assert_eq!(
        reply.json(),
        json!("Bad request: JSON Error: Invalid request. Please use POST method for your request")
    );
}

#[test]
fn malformed_and_non_object_json_are_bare_string_400s() {
    let server = TestServer::start();
    let reply = server.post_raw("/api/3/action/user_create", "application/json", b"{not json", &[]);
    assert_eq!(reply.status, 400);
    let message = reply.json();
    assert!(
        message.as_str().unwrap().starts_with("Bad request: JSON Error: Error decoding JSON data."),
        "{message}"
    );

    let reply = server.post_raw("/api/3/action/user_create", "application/json", b"[1, 2]", &[]);
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json(),
        json!("Bad request: JSON Error: Request data JSON decoded to [1,2] but it needs to be a dictionary.")
    );
}

#[test]
fn invalid_utf8_is_refused_and_changes_nothing() {
    let server = TestServer::start();
    let (_, token) = server.user_with_token("admin", true);
    let body = b"{\"name\": \"bad\xff\", \"email\": \"x@example.org\", \"password\": \"password123\"}";
    let reply =
        server.post_raw("/api/3/action/user_create", "application/json", body, &[("Authorization", &token)]);
    assert_eq!(reply.status, 400);
    let reply = server.get("/api/3/action/user_show?id=%ff%fe", &[]);
    assert_eq!(reply.status, 400);
    let users = server.action("user_list", json!({"all_fields": false}), Some(&token)).result();
    assert_eq!(users, json!(["admin"]));
}

#[test]
fn oversized_bodies_get_413_and_change_nothing() {
    let server = TestServer::start_with(Options { max_body_bytes: 1024, ..Options::default() });
    let (_, token) = server.user_with_token("admin", true);
    let big = json!({"name": "big", "email": "big@example.org", "password": "password123", "about": "x".repeat(4096)});
    let reply = server.action("user_create", big, Some(&token));
    assert_eq!(reply.status, 413);
    assert!(reply.json().as_str().unwrap().contains("Request Entity Too Large"));
    assert_eq!(server.get("/api/3/action/user_show?id=big", &[]).status, 404);
}

#[test]
fn query_strings_feed_read_actions_and_repeat_into_lists() {
    let server = TestServer::start();
    server.user_with_token("alice", false);
    let reply = server.get("/api/3/action/user_show?id=alice&unused=1&unused=2", &[]);
    assert_eq!(reply.result()["name"], "alice");
    let reply = server.get("/api/3/action/user_list?all_fields=False", &[]);
    assert_eq!(reply.result(), json!(["alice"]));
}

#[test]
fn a_read_action_posted_with_a_query_string_ignores_its_body() {
    let server = TestServer::start();
    server.user_with_token("alice", false);
    server.user_with_token("bob", false);
    let reply =
        server.post_raw("/api/3/action/user_show?id=alice", "application/json", br#"{"id": "bob"}"#, &[]);
    assert_eq!(reply.result()["name"], "alice");
}

#[test]
fn form_bodies_and_the_json_as_key_quirk() {
    let server = TestServer::start();
    let (_, token) = server.user_with_token("admin", true);
    let auth = [("Authorization", token.as_str())];
    // What `curl -d '{"name": ...}'` sends: the JSON is the one form field's name.
    let body = br#"{"name": "formjson", "email": "formjson@example.org", "password": "password123"}"#;
    let reply =
        server.post_raw("/api/3/action/user_create", "application/x-www-form-urlencoded", body, &auth);
    assert_eq!(reply.result()["name"], "formjson");
    // Ordinary form fields.
    let body = b"name=formfields&email=formfields%40example.org&password=password123&fullname=Form+Fields";
    let reply =
        server.post_raw("/api/3/action/user_create", "application/x-www-form-urlencoded", body, &auth);
    let user = reply.result();
    assert_eq!(user["name"], "formfields");
    assert_eq!(user["fullname"], "Form Fields");
}

#[test]
fn jsonp_wraps_get_results_and_runs_as_anonymous() {
    let server = TestServer::start();
    let (_, token) = server.user_with_token("alice", false);
    let reply = server.get("/api/3/action/user_show?id=alice&callback=cb", &[("Authorization", &token)]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "application/javascript;charset=utf-8");
    assert!(reply.text.starts_with("cb({") && reply.text.ends_with("});"), "{}", reply.text);
    let inner: Value = serde_json::from_str(&reply.text[3..reply.text.len() - 2]).unwrap();
    assert!(inner["result"].get("email").is_none(), "JSONP must not carry the caller's identity");
    // The same call without callback shows the caller their email.
    let reply = server.get("/api/3/action/user_show?id=alice", &[("Authorization", &token)]);
    assert_eq!(reply.result()["email"], "alice@example.org");
    // Callback names are HTML-escaped; errors are never wrapped.
    let reply = server.get("/api/3/action/site_read?callback=%3Cx%3E", &[]);
    assert!(reply.text.starts_with("&lt;x&gt;("), "{}", reply.text);
    let reply = server.get("/api/3/action/user_show?id=nobody&callback=cb", &[]);
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error()["__type"], "Not Found Error");
}

#[test]
fn api_version_documents() {
    let server = TestServer::start();
    assert_eq!(server.get("/api", &[]).json(), json!({"version": 1}));
    for n in 1..=3 {
        assert_eq!(server.get(&format!("/api/{n}"), &[]).json(), json!({"version": n}));
    }
}

#[test]
fn other_paths_and_methods() {
    let server = TestServer::start();
    assert_eq!(server.get("/api/2/action/site_read", &[]).status, 404);
    assert_eq!(server.get("/api/3/action/", &[]).status, 404);
    for (method, action, allow) in [
        ("PUT", "site_read", "GET, HEAD, POST"),
        ("DELETE", "user_show", "GET, HEAD, POST"),
        ("PATCH", "package_create", "POST"),
        ("HEAD", "package_update", "POST"),
    ] {
        let reply = server.request(method, &format!("/api/3/action/{action}"), &[]);
        assert_eq!(reply.status, 405, "{method} {action}");
        assert_eq!(reply.header("allow"), Some(allow), "{method} {action}");
    }
    let head = server.request("HEAD", "/api/3/action/site_read", &[]);
    assert_eq!(head.status, 200);
    assert!(head.text.is_empty());
}

#[test]
fn cors_only_for_allowed_origins() {
    let server = TestServer::start_with(Options {
        cors: CorsPolicy::Origins(vec!["https://apps.example".into()]),
        ..Options::default()
    });
    let allowed = server.get("/api/3/action/site_read", &[("Origin", "https://apps.example")]);
    assert_eq!(allowed.header("access-control-allow-origin"), Some("https://apps.example"));
    assert_eq!(allowed.header("access-control-allow-methods"), Some("POST, PUT, GET, DELETE, OPTIONS"));
    assert!(allowed.header("access-control-expose-headers").unwrap().contains("X-Request-Id"));
    let other = server.get("/api/3/action/site_read", &[("Origin", "https://evil.example")]);
    assert_eq!(other.header("access-control-allow-origin"), None);
    let preflight = server.request(
        "OPTIONS",
        "/api/3/action/user_create",
        &[("Origin", "https://apps.example"), ("Access-Control-Request-Method", "POST")],
    );
    assert_eq!(preflight.status, 200);
    assert!(preflight.header("access-control-allow-headers").unwrap().contains("Authorization"));

    let open = TestServer::start_with(Options { cors: CorsPolicy::AllowAll, ..Options::default() });
    let reply = open.get("/api/3/action/site_read", &[("Origin", "https://any.example")]);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    let none = TestServer::start();
    let reply = none.get("/api/3/action/site_read", &[("Origin", "https://any.example")]);
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

#[test]
fn wrong_json_types_name_the_field() {
    let server = TestServer::start();
    let reply = server.action("user_list", json!({"limit": "ten", "all_fields": "maybe"}), None);
    assert_eq!(reply.status, 409);
    let error = reply.error();
    assert_eq!(error["__type"], "Validation Error");
    assert_eq!(error["limit"], json!(["Invalid integer"]));
    assert!(error["all_fields"].is_array());
    assert!(error.get("message").is_none());
    let reply = server.action("user_show", json!({"id": ["a", "b"]}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["id"], json!(["Must be a string"]));
}

#[test]
fn help_show_returns_docs_and_404s_for_unknown_actions() {
    let server = TestServer::start();
    let doc = server.get("/api/3/action/help_show?name=user_create", &[]).result();
    assert!(doc.as_str().unwrap().contains(":param email:"));
    let reply = server.get("/api/3/action/help_show?name=nope", &[]);
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error()["message"], "Not found: Action function not found");
    assert_eq!(server.get("/api/3/action/help_show", &[]).error()["name"], json!(["Missing value"]));
}

#[test]
fn license_list_is_ckans_default_register_in_strings() {
    let server = TestServer::start();
    let licenses = server.get("/api/3/action/license_list", &[]).result();
    let list = licenses.as_array().unwrap();
    assert_eq!(list.len(), 15);
    let cc_by = list.iter().find(|l| l["id"] == "cc-by").unwrap();
    assert_eq!(cc_by["title"], "Creative Commons Attribution");
    assert_eq!(cc_by["od_conformance"], "approved");
    assert_eq!(cc_by["is_generic"], "False");
    assert!(list.iter().all(|l| l.as_object().unwrap().values().all(Value::is_string)));
}
