//! The served OpenAPI document, the committed copy in api-spec/, and the Swagger UI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;
use serde_json::Value;

#[test]
fn committed_spec_equals_the_served_one() {
    let server = TestServer::start();
    let reply = server.get("/api/3/openapi.json", &[]);
    assert_eq!(reply.status, 200);
    let served = reply.json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/api-spec/openapi.json");
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        served == committed,
        "api-spec/openapi.json is out of date: run `cargo run -- openapi > api-spec/openapi.json`"
    );
}

#[test]
fn every_action_is_documented_with_its_methods_and_errors() {
    let spec = serde_json::to_value(datahavn_http::openapi()).unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["components"]["securitySchemes"]["api_token"].is_object());
    for action in datahavn_actions::ACTIONS {
        let item = &spec["paths"][format!("/api/3/action/{}", action.name)];
        let post = &item["post"];
        assert_eq!(post["operationId"], action.name, "{} has no POST operation", action.name);
        assert!(post["responses"]["200"].is_object(), "{}", action.name);
        assert!(post["summary"].is_string(), "{} has no summary", action.name);
        if action.side_effect_free {
            assert_eq!(item["get"]["operationId"], format!("{}_get", action.name));
            assert!(item["get"]["requestBody"].is_null());
        } else {
            assert!(item["get"].is_null(), "{} is a write action", action.name);
            assert!(
                post["responses"]["403"].is_object() || post["responses"]["409"].is_object(),
                "{}",
                action.name
            );
        }
    }
    let paths = spec["paths"].as_object().unwrap();
    assert_eq!(paths.len(), datahavn_actions::ACTIONS.len(), "a path without an action");
}

#[test]
fn swagger_ui_is_served_from_the_binary() {
    let server = TestServer::start();
    let redirect = server.get("/api/docs", &[]);
    // ureq follows the redirect to /api/docs/.
    assert_eq!(redirect.status, 200);
    assert!(redirect.text.contains("swagger-ui"), "{}", redirect.text);
    let init = server.get("/api/docs/swagger-initializer.js", &[]);
    assert_eq!(init.status, 200);
    assert!(init.text.contains("/api/3/openapi.json"));
    let bundle = server.get("/api/docs/swagger-ui-bundle.js", &[]);
    assert_eq!(bundle.status, 200);
    assert!(bundle.text.len() > 100_000, "the Swagger UI bundle is missing");
}
