//! CKAN's site-administration actions: runtime-editable config options, background jobs,
//! task statuses, term translations and `get_site_user`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::errors::{assert_error, message, not_found, validation};
use common::{Reply, TestServer};
use serde_json::{Value, json};

fn denied(reason: &str) -> Value {
    let text =
        if reason.is_empty() { "Access denied".to_owned() } else { format!("Access denied: {reason}") };
    json!({"__type": "Authorization Error", "message": text})
}

fn unauthenticated(action: &str) -> Value {
    denied(&format!("Action {action} requires an authenticated user"))
}

fn plain(key: &str, text: &str) -> Value {
    json!({key: text, "__type": "Validation Error"})
}

/// A sysadmin, an ordinary user, and the admin of an organization: their tokens.
struct People {
    sysadmin: String,
    user: String,
    org_admin: String,
}

fn people(server: &TestServer) -> People {
    let (_, sysadmin) = server.user_with_token("boss", true);
    let (_, user) = server.user_with_token("someone", false);
    let (_, org_admin) = server.user_with_token("orgboss", false);
    server.org("club", &[("orgboss", "admin")]);
    People { sysadmin, user, org_admin }
}

/// Runs the action as each non-sysadmin and checks CKAN's refusals: anonymous callers are
/// unauthenticated; the others get `others`.
fn refused(server: &TestServer, who: &People, action: &str, body: &Value, others: &Value) {
    assert_error(&server.action(action, body.clone(), None), 403, &unauthenticated(action));
    for token in [&who.user, &who.org_admin] {
        assert_error(&server.action(action, body.clone(), Some(token)), 403, others);
    }
}

fn ok(reply: Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.result()
}

#[test]
fn config_options_are_listed_shown_updated_and_outlast_a_restart() {
    let server = TestServer::start();
    let who = people(&server);
    let admin = Some(who.sysadmin.as_str());
    refused(&server, &who, "config_option_list", &json!({}), &denied(""));
    refused(&server, &who, "config_option_show", &json!({"key": "ckan.site_title"}), &denied(""));
    refused(&server, &who, "config_option_update", &json!({"ckan.site_title": "x"}), &denied(""));

    let keys = ok(server.action("config_option_list", json!({}), admin));
    assert_eq!(
        keys,
        json!([
            "ckan.site_title",
            "ckan.site_logo",
            "ckan.site_description",
            "ckan.site_about",
            "ckan.site_intro_text",
            "ckan.site_custom_css",
            "ckan.theme",
            "logo_upload",
            "clear_logo_upload"
        ])
    );
    // Before any change: the startup values, else CKAN's defaults.
    let show = |key: &str| ok(server.action("config_option_show", json!({"key": key}), admin));
    assert_eq!(show("ckan.site_title"), json!("datahavn"));
    assert_eq!(show("ckan.site_description"), json!(""));
    assert_eq!(show("ckan.site_logo"), json!("/base/images/ckan-logo.png"));
    assert_eq!(show("ckan.theme"), json!("css/main"));
    assert_eq!(show("ckan.site_about"), json!(""));
    assert_eq!(show("logo_upload"), Value::Null);

    // Validation: a missing key, a key that is not editable.
    assert_error(
        &server.action("config_option_show", json!({}), admin),
        409,
        &validation("key", "Missing value"),
    );
    assert_error(
        &server.action("config_option_show", json!({"key": "ckan.site_url"}), admin),
        409,
        &message("Configuration option 'ckan.site_url' can not be shown"),
    );
    assert_error(
        &server.action("config_option_update", json!({"ckan.site_title": "T", "ckan.plugins": "x"}), admin),
        409,
        &message("Configuration option(s) 'ckan.plugins' can not be updated"),
    );
    // Nothing was changed by the refused update.
    assert_eq!(show("ckan.site_title"), json!("datahavn"));

    let updated = ok(server.action(
        "config_option_update",
        json!({"ckan.site_title": "Havn Data", "ckan.site_description": "Open data",
               "ckan.site_intro_text": 42, "logo_upload": "", "clear_logo_upload": true}),
        admin,
    ));
    assert_eq!(
        updated,
        json!({"ckan.site_description": "Open data", "ckan.site_intro_text": "42", "ckan.site_title": "Havn Data"})
    );
    assert_eq!(show("ckan.site_title"), json!("Havn Data"));
    assert_eq!(show("ckan.site_intro_text"), json!("42"));
    let status = ok(server.action("status_show", json!({}), None));
    assert_eq!(status["site_title"], "Havn Data");
    assert_eq!(status["site_description"], "Open data");
    let catalogue = server.get("/catalog.ttl", &[]);
    assert_eq!(catalogue.status, 200, "{}", catalogue.text);
    assert!(catalogue.text.contains("Havn Data"), "{}", catalogue.text);

    // Stored: a new process on the same database starts with them.
    let server = server.restart();
    let (_, admin) = server.user_with_token("boss2", true);
    let shown = ok(server.action("config_option_show", json!({"key": "ckan.site_title"}), Some(&admin)));
    assert_eq!(shown, json!("Havn Data"));
    let status = ok(server.action("status_show", json!({}), None));
    assert_eq!(status["site_title"], "Havn Data");
    assert_eq!(status["site_description"], "Open data");
}

#[test]
fn get_site_user_is_refused_over_the_api() {
    let server = TestServer::start();
    let who = people(&server);
    let internal = denied("Only internal services allowed to use this action");
    refused(&server, &who, "get_site_user", &json!({}), &internal);
    assert_error(&server.action("get_site_user", json!({}), Some(&who.sysadmin)), 403, &internal);
}

#[test]
fn task_statuses_are_written_read_and_deleted_by_sysadmins() {
    let server = TestServer::start();
    let who = people(&server);
    let admin = Some(who.sysadmin.as_str());
    let task = json!({"entity_id": "e1", "entity_type": "resource", "task_type": "qa", "key": "score",
                      "value": "3", "state": "done", "last_updated": "2026-01-02T03:04:05.123456"});
    for token in [None, Some(who.user.as_str()), Some(who.org_admin.as_str())] {
        let name = match token {
            None => String::new(),
            Some(t) if t == who.user => "someone".into(),
            Some(_) => "orgboss".into(),
        };
        let expected = if token.is_none() {
            unauthenticated("task_status_update")
        } else {
            denied(&format!("User {name} not authorized to update task_status table"))
        };
        assert_error(&server.action("task_status_update", task.clone(), token), 403, &expected);
    }

    let created = ok(server.action("task_status_update", task.clone(), admin));
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created,
        json!({"id": id, "entity_id": "e1", "entity_type": "resource", "task_type": "qa", "key": "score",
               "value": "3", "state": "done", "error": null, "last_updated": "2026-01-02T03:04:05.123456"})
    );
    // The same entity, task type and key: the same row, keys not given kept.
    let updated = ok(server.action(
        "task_status_update",
        json!({"entity_id": "e1", "entity_type": "resource", "task_type": "qa", "key": "score", "value": "4",
               "error": "slow"}),
        admin,
    ));
    assert_eq!(updated["id"], id);
    assert_eq!(updated["value"], "4");
    assert_eq!(updated["state"], "done");
    assert_eq!(updated["error"], "slow");
    assert_eq!(updated["last_updated"], "2026-01-02T03:04:05.123456");

    // Validation.
    let reply = server.action("task_status_update", json!({"entity_type": "", "value": "x"}), admin);
    assert_error(
        &reply,
        409,
        &json!({"entity_id": ["Missing value"], "entity_type": ["Missing value"], "task_type": ["Missing value"],
                "key": ["Missing value"], "__type": "Validation Error"}),
    );
    let reply = server.action(
        "task_status_update",
        json!({"entity_id": "e2", "entity_type": "r", "task_type": "qa", "key": "k", "last_updated": "soon"}),
        admin,
    );
    assert_error(
        &reply,
        409,
        &json!({"last_updated": ["Date format incorrect"], "value": ["Missing value"], "__type": "Validation Error"}),
    );
    assert_error(
        &server.action("task_status_update", json!({"id": "nope", "value": "1"}), admin),
        404,
        &not_found("Not found: TaskStatus was not found."),
    );

    // Show: by id or by its three keys; any signed-in user.
    for token in [admin, Some(who.user.as_str()), Some(who.org_admin.as_str())] {
        let shown = ok(server.action("task_status_show", json!({"id": id}), token));
        assert_eq!(shown, updated);
    }
    let by_keys = ok(server.action(
        "task_status_show",
        json!({"entity_id": "e1", "task_type": "qa", "key": "score"}),
        Some(&who.user),
    ));
    assert_eq!(by_keys["id"], id);
    assert_error(
        &server.action("task_status_show", json!({"id": id}), None),
        403,
        &unauthenticated("task_status_show"),
    );
    assert_error(
        &server.action("task_status_show", json!({"entity_id": "e1", "key": "score"}), admin),
        409,
        &validation("task_type", "Missing value"),
    );
    assert_error(
        &server.action("task_status_show", json!({"id": "nope"}), admin),
        404,
        &not_found("Not found"),
    );

    // Many at once.
    let many = ok(server.action(
        "task_status_update_many",
        json!({"data": [
            {"entity_id": "e2", "entity_type": "package", "task_type": "qa", "key": "a", "value": "1"},
            {"entity_id": "e2", "entity_type": "package", "task_type": "qa", "key": "b", "value": "2"}]}),
        admin,
    ));
    let results = many["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[1]["key"], "b");
    assert!(results[0]["last_updated"].is_string());
    assert_error(
        &server.action("task_status_update_many", json!({}), admin),
        409,
        &validation("data", "Missing value"),
    );
    assert_error(
        &server.action("task_status_update_many", json!({"data": "x"}), admin),
        409,
        &validation("data", "Must be a list of dicts"),
    );
    assert_error(
        &server.action("task_status_update_many", json!({"data": [{"entity_id": "x"}]}), None),
        403,
        &unauthenticated("task_status_update"),
    );
    assert_error(
        &server.action("task_status_update_many", json!({"data": [{"entity_id": "x"}]}), Some(&who.user)),
        403,
        &denied("User someone not authorized to update task_status table"),
    );

    // Delete: sysadmins only.
    refused(&server, &who, "task_status_delete", &json!({"id": id}), &denied(""));
    assert_error(
        &server.action("task_status_delete", json!({}), admin),
        409,
        &validation("id", "Missing value"),
    );
    assert_error(
        &server.action("task_status_delete", json!({"id": "nope"}), admin),
        404,
        &not_found("Not found"),
    );
    assert_eq!(ok(server.action("task_status_delete", json!({"id": id}), admin)), Value::Null);
    assert_error(&server.action("task_status_show", json!({"id": id}), admin), 404, &not_found("Not found"));
}

#[test]
fn term_translations_are_written_by_sysadmins_and_read_by_users() {
    let server = TestServer::start();
    let who = people(&server);
    let admin = Some(who.sysadmin.as_str());
    let row = json!({"term": "romantic novel", "term_translation": "Liebesroman", "lang_code": "de"});
    assert_error(
        &server.action("term_translation_update", row.clone(), None),
        403,
        &unauthenticated("term_translation_update"),
    );
    assert_error(
        &server.action("term_translation_update", row.clone(), Some(&who.user)),
        403,
        &denied("User someone not authorized to update term_translation table"),
    );
    assert_error(
        &server.action("term_translation_update", row.clone(), Some(&who.org_admin)),
        403,
        &denied("User orgboss not authorized to update term_translation table"),
    );

    let saved = ok(server.action("term_translation_update", row.clone(), admin));
    assert_eq!(saved, row);
    assert_eq!(common::keys(&saved), ["lang_code", "term", "term_translation"]);
    // Again: replaced, not added.
    ok(server.action(
        "term_translation_update",
        json!({"term": "romantic novel", "term_translation": "Roman", "lang_code": "de"}),
        admin,
    ));
    assert_error(
        &server.action("term_translation_update", json!({"term": "", "lang_code": "de"}), admin),
        409,
        &json!({"term": ["Missing value"], "term_translation": ["Missing value"], "__type": "Validation Error"}),
    );

    let many = ok(server.action(
        "term_translation_update_many",
        json!({"data": [
            {"term": "romantic novel", "term_translation": "roman d'amour", "lang_code": "fr"},
            {"term": "map", "term_translation": "Karte", "lang_code": "de"}]}),
        admin,
    ));
    assert_eq!(many, json!({"success": "2 rows updated"}));
    for bad in [json!({}), json!({"data": []}), json!({"data": "x"})] {
        assert_error(
            &server.action("term_translation_update_many", bad, admin),
            409,
            &plain("error", "Must be a list of dicts"),
        );
    }
    // All or none.
    let reply = server.action(
        "term_translation_update_many",
        json!({"data": [{"term": "sea", "term_translation": "Meer", "lang_code": "de"}, {"term": "sky"}]}),
        admin,
    );
    assert_error(
        &reply,
        409,
        &json!({"term_translation": ["Missing value"], "lang_code": ["Missing value"], "__type": "Validation Error"}),
    );
    assert_error(
        &server.action("term_translation_update_many", json!({"data": [row]}), None),
        403,
        &unauthenticated("term_translation_update"),
    );
    assert_error(
        &server.action("term_translation_update_many", json!({"data": [row]}), Some(&who.user)),
        403,
        &denied("User someone not authorized to update term_translation table"),
    );

    // Show: any signed-in user.
    assert_error(
        &server.action("term_translation_show", json!({"terms": ["map"]}), None),
        403,
        &unauthenticated("term_translation_show"),
    );
    assert_error(
        &server.action("term_translation_show", json!({}), Some(&who.user)),
        409,
        &plain("terms", "terms not in data"),
    );
    let shown = ok(server.action(
        "term_translation_show",
        json!({"terms": ["romantic novel"]}),
        Some(&who.org_admin),
    ));
    assert_eq!(
        shown,
        json!([{"term": "romantic novel", "term_translation": "Roman", "lang_code": "de"},
               {"term": "romantic novel", "term_translation": "roman d'amour", "lang_code": "fr"}])
    );
    let shown = ok(server.action(
        "term_translation_show",
        json!({"terms": "romantic novel", "lang_codes": "fr"}),
        Some(&who.user),
    ));
    assert_eq!(
        shown,
        json!([{"term": "romantic novel", "term_translation": "roman d'amour", "lang_code": "fr"}])
    );
    let all = ok(server.action("term_translation_show", json!({"terms": [], "lang_codes": ["de"]}), admin));
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(ok(server.action("term_translation_show", json!({"terms": ["sea"]}), admin)), json!([]));
}

/// A server that accepts connections and answers nothing until the listener goes away.
fn silent_site() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/slow.csv", listener.local_addr().unwrap());
    (listener, url)
}

fn wait_for(mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn jobs_list_show_cancel_and_clear_background_work() {
    let server = TestServer::start();
    let who = people(&server);
    let admin = Some(who.sysadmin.as_str());
    for action in ["job_list", "job_clear"] {
        refused(&server, &who, action, &json!({}), &denied(""));
    }
    for action in ["job_show", "job_cancel"] {
        refused(&server, &who, action, &json!({"id": "x"}), &denied(""));
    }
    assert_eq!(ok(server.action("job_list", json!({}), admin)), json!([]));

    // Validation comes first, as CKAN's `@validate` does.
    assert_error(
        &server.action("job_list", json!({"queues": "default"}), None),
        409,
        &validation("queues", "Not a list"),
    );
    assert_error(
        &server.action("job_list", json!({"queues": [1]}), admin),
        409,
        &validation("queues", "Not a string: 1"),
    );
    assert_error(
        &server.action("job_list", json!({"limit": "many"}), admin),
        409,
        &validation("limit", "Invalid integer"),
    );
    assert_error(
        &server.action("job_clear", json!({"queues": {"a": 1}}), admin),
        409,
        &validation("queues", "Not a list"),
    );
    assert_error(&server.action("job_show", json!({}), admin), 409, &validation("id", "Missing value"));
    assert_error(&server.action("job_cancel", json!({}), admin), 409, &validation("id", "Missing value"));
    assert_error(&server.action("job_show", json!({"id": "nope"}), admin), 404, &not_found("Not found"));
    assert_error(&server.action("job_cancel", json!({"id": "nope"}), admin), 404, &not_found("Not found"));

    // A DataStore load that runs: its file's server never answers.
    let (listener, url) = silent_site();
    let dataset = ok(server.action(
        "package_create",
        json!({"name": "loaded", "owner_org": "club", "resources": [{"url": url, "format": "CSV"}]}),
        admin,
    ));
    let resource = dataset["resources"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(ok(server.action("xloader_submit", json!({"resource_id": resource}), admin)), json!(true));
    let status = ok(server.action("xloader_status", json!({"resource_id": resource}), admin));
    let load_id = status["job_id"].as_str().unwrap().to_owned();

    // A harvest job that waits (no harvester runs in this server).
    let source = ok(server.action(
        "harvest_source_create",
        json!({"name": "remote", "url": "http://127.0.0.1:9/", "source_type": "ckan", "owner_org": "club"}),
        admin,
    ));
    let harvest =
        ok(server.action("harvest_job_create", json!({"source_id": source["id"], "run": false}), admin));
    let harvest_id = harvest["id"].as_str().unwrap().to_owned();

    let listed = ok(server.action("job_list", json!({}), admin));
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(common::keys(&listed[0]), ["id", "title", "created", "queue"]);
    assert_eq!(listed[0]["id"], load_id.as_str());
    assert_eq!(listed[0]["queue"], "default");
    let package_id = dataset["id"].as_str().unwrap();
    assert_eq!(listed[0]["title"], format!("xloader_submit: package: {package_id} resource: {resource}"));
    assert_eq!(listed[0]["created"].as_str().unwrap().len(), 19);
    assert_eq!(listed[1]["id"], harvest_id.as_str());
    assert_eq!(listed[1]["queue"], "harvest");
    assert_eq!(listed[1]["title"], "harvest: source: remote");

    assert_eq!(
        ok(server.action("job_list", json!({"queues": ["harvest"], "ids_only": true}), admin)),
        json!([harvest_id])
    );
    assert_eq!(
        ok(server.action("job_list", json!({"limit": 1, "ids_only": "yes"}), admin)),
        json!([load_id])
    );
    assert_eq!(ok(server.action("job_list", json!({"queues": ["elsewhere"]}), admin)), json!([]));
    assert_eq!(ok(server.action("job_show", json!({"id": harvest_id}), admin)), listed[1]);
    assert_eq!(ok(server.action("job_show", json!({"id": load_id}), admin)), listed[0]);

    // A running load cannot be cancelled; a harvest job can.
    wait_for(|| {
        let status = ok(server.action("xloader_status", json!({"resource_id": resource}), admin));
        status["status"] == "running"
    });
    assert_error(
        &server.action("job_cancel", json!({"id": load_id}), admin),
        409,
        &message(&format!("Job {load_id} is already running and cannot be cancelled")),
    );
    assert_eq!(ok(server.action("job_cancel", json!({"id": harvest_id}), admin)), Value::Null);
    let aborted = ok(server.action("harvest_job_show", json!({"id": harvest_id}), admin));
    assert_eq!(aborted["status"], "Aborted");
    assert_eq!(ok(server.action("job_list", json!({"ids_only": true}), admin)), json!([load_id]));

    // Clearing a queue cancels what waits there, not what runs.
    let second = ok(server.action("harvest_job_create", json!({"source_id": "remote", "run": false}), admin));
    assert_eq!(ok(server.action("job_clear", json!({"queues": ["harvest"]}), admin)), json!(["harvest"]));
    let second = ok(server.action("harvest_job_show", json!({"id": second["id"]}), admin));
    assert_eq!(second["status"], "Aborted");
    assert_eq!(ok(server.action("job_clear", json!({}), admin)), json!(["default", "harvest"]));
    assert_eq!(ok(server.action("job_list", json!({"ids_only": true}), admin)), json!([load_id]));

    // The file's server goes away: the load fails and leaves the list.
    accept_and_close(&listener);
    drop(listener);
    wait_for(|| ok(server.action("job_list", json!({}), admin)) == json!([]));
    let status = ok(server.action("xloader_status", json!({"resource_id": resource}), admin));
    assert_eq!(status["status"], "error");
}

/// Closes the connection the load opened.
fn accept_and_close(listener: &TcpListener) {
    listener.set_nonblocking(false).unwrap();
    let (mut stream, _) = listener.accept().unwrap();
    let mut buffer = [0u8; 1024];
    stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let _ = stream.read(&mut buffer);
}
