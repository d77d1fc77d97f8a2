//! The served OpenAPI document, the committed copy in api-spec/, and the Swagger UI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

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

/// The `:param` names of a docstring.
fn help_params(help: &str) -> BTreeSet<String> {
    help.lines()
        .filter_map(|line| line.strip_prefix(":param "))
        .filter_map(|rest| rest.split_once(':'))
        .map(|(name, _)| name.trim().to_owned())
        .filter(|name| name != "...")
        .collect()
}

#[test]
fn help_openapi_and_parser_name_the_same_parameters() {
    let server = TestServer::start();
    let spec = server.get("/api/3/openapi.json", &[]).json();
    for action in datahavn_actions::ACTIONS {
        let request = (action.request)();
        let parsed: BTreeSet<String> = request.fields.iter().map(|f| (*f).to_owned()).collect();
        assert_eq!(parsed.len(), request.fields.len(), "{}: a field twice", action.name);

        let help = server.get(&format!("/api/3/action/help_show?name={}", action.name), &[]).result();
        let help = help.as_str().unwrap();
        assert_eq!(help_params(help), parsed, "{}: help_show and the parser differ\n{help}", action.name);

        let item = &spec["paths"][format!("/api/3/action/{}", action.name)];
        let body =
            item["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap();
        let schema = &spec["components"]["schemas"][body.rsplit('/').next().unwrap()];
        let documented: BTreeSet<String> =
            schema["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
        assert_eq!(documented, parsed, "{}: the JSON body and the parser differ", action.name);
        if action.side_effect_free {
            let query: BTreeSet<String> = item["get"]["parameters"]
                .as_array()
                .map(|list| list.iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            assert_eq!(query, parsed, "{}: the query parameters and the parser differ", action.name);
        }
        assert_eq!(
            schema["additionalProperties"] == Value::Bool(true),
            request.free_form,
            "{}: free-form keys documented differently",
            action.name
        );
    }
}

#[test]
fn help_params_reads_docstrings() {
    let help =
        "Show it.\n\n:param id: the id\n:param all_fields: yes (optional)\n:param ...: any\n:rtype: dict";
    let names: Vec<String> = help_params(help).into_iter().collect();
    assert_eq!(names, ["all_fields", "id"]);
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
