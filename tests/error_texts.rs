//! The reasons of 403 and 404 answers, in CKAN 2.12's words. CKAN's `is_authorized` refuses
//! anonymous callers with "Action <name> requires an authenticated user" only when the auth
//! function is not marked `auth_allow_anonymous_access` (`package_create`, `package_update`,
//! `user_update`, the `*_show`/`*_list` ones are); the marked ones answer in their own words
//! with an empty user name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod world;

use serde_json::{Value, json};
use world::{Persona, World, assert_error};

/// Each call with the answer CKAN gives it.
fn check(w: &World, persona: Persona, cases: &[(&str, Value, u16, String)]) {
    for (action, body, status, message) in cases {
        let reply = w.call(action, body.clone(), persona);
        assert_eq!(reply.status, *status, "{persona:?} {action} {body}: {}", reply.text);
        assert_eq!(reply.error()["message"], message.as_str(), "{persona:?} {action} {body}");
    }
}

fn denied(text: &str) -> String {
    format!("Access denied: {text}")
}

#[test]
fn anonymous_callers_get_the_auth_functions_words() {
    let w = World::new();
    let dataset = w.dataset("open", false, json!([{"url": "http://x.org/a.csv"}]));
    let id = dataset["id"].as_str().unwrap();
    let resource = dataset["resources"][0]["id"].as_str().unwrap();
    let before = w.state(&["open"]);
    let cases = [
        // Marked `auth_allow_anonymous_access`: the auth function's own message.
        (
            "package_create",
            json!({"name": "x", "owner_org": "org"}),
            403,
            denied("User  not authorized to create packages"),
        ),
        (
            "package_update",
            json!({"id": id}),
            403,
            denied(&format!("User  not authorized to edit package {id}")),
        ),
        ("user_update", json!({"id": "member"}), 403, denied("Have to be logged in to edit user")),
        (
            "user_create",
            json!({"name": "n", "email": "n@x.org", "password": "password1234"}),
            403,
            denied("User  not authorized to create users via the API"),
        ),
        // Not marked: `is_authorized`'s own sentence.
        (
            "resource_create",
            json!({"package_id": id, "url": "http://x.org/b"}),
            403,
            denied("Action resource_create requires an authenticated user"),
        ),
        (
            "resource_update",
            json!({"id": resource, "url": "http://x.org/b"}),
            403,
            denied("Action resource_update requires an authenticated user"),
        ),
        (
            "resource_patch",
            json!({"id": resource}),
            403,
            denied("Action resource_patch requires an authenticated user"),
        ),
        (
            "resource_delete",
            json!({"id": resource}),
            403,
            denied("Action resource_delete requires an authenticated user"),
        ),
        (
            "package_patch",
            json!({"id": id}),
            403,
            denied("Action package_patch requires an authenticated user"),
        ),
        (
            "package_delete",
            json!({"id": id}),
            403,
            denied("Action package_delete requires an authenticated user"),
        ),
        (
            "dataset_purge",
            json!({"id": id}),
            403,
            denied("Action dataset_purge requires an authenticated user"),
        ),
        (
            "package_resource_reorder",
            json!({"id": id, "order": [resource]}),
            403,
            denied("Action package_resource_reorder requires an authenticated user"),
        ),
        (
            "organization_create",
            json!({"name": "new-org"}),
            403,
            denied("Action organization_create requires an authenticated user"),
        ),
        (
            "user_patch",
            json!({"id": "member"}),
            403,
            denied("Action user_patch requires an authenticated user"),
        ),
        ("api_token_list", json!({"user_id": "member"}), 403, "Access denied".to_owned()),
        // resource_patch checks its auth function before it looks for the resource.
        (
            "resource_patch",
            json!({"id": "nope"}),
            403,
            denied("Action resource_patch requires an authenticated user"),
        ),
        // The others look first.
        ("resource_show", json!({"id": "nope"}), 404, "Not found".to_owned()),
        ("resource_update", json!({"id": "nope"}), 404, "Not found: Resource was not found.".to_owned()),
        ("resource_delete", json!({"id": "nope"}), 404, "Not found".to_owned()),
        ("dataset_purge", json!({"id": "nope"}), 404, "Not found: Dataset was not found".to_owned()),
    ];
    check(&w, Persona::Anonymous, &cases);
    check(&w, Persona::Revoked, &cases);
    assert_eq!(w.state(&["open"]), before);
}

#[test]
fn refused_users_are_told_what_they_may_not_do() {
    let w = World::new();
    let dataset = w.dataset("open", false, json!([{"url": "http://x.org/a.csv"}]));
    let id = dataset["id"].as_str().unwrap();
    let resource = dataset["resources"][0]["id"].as_str().unwrap();
    let member = w.call("user_show", json!({"id": "member"}), Persona::Sysadmin).result();
    let member_id = member["id"].as_str().unwrap();
    let before = w.state(&["open"]);
    let cases = [
        // resource_create names the dataset as it was given.
        (
            "resource_create",
            json!({"package_id": "open", "url": "http://x.org/b"}),
            403,
            denied("User outsider not authorized to create resources on dataset open"),
        ),
        (
            "resource_update",
            json!({"id": resource, "url": "http://x.org/b"}),
            403,
            denied(&format!("User outsider not authorized to edit resource {resource}")),
        ),
        (
            "resource_patch",
            json!({"id": resource}),
            403,
            denied(&format!("User outsider not authorized to edit resource {resource}")),
        ),
        (
            "resource_delete",
            json!({"id": resource}),
            403,
            denied(&format!("User outsider not authorized to delete resource {resource}")),
        ),
        (
            "package_patch",
            json!({"id": id}),
            403,
            denied(&format!("User outsider not authorized to edit package {id}")),
        ),
        (
            "package_resource_reorder",
            json!({"id": id, "order": [resource]}),
            403,
            denied(&format!("User outsider not authorized to edit package {id}")),
        ),
        ("dataset_purge", json!({"id": id}), 403, "Access denied".to_owned()),
        (
            "user_update",
            json!({"id": "member"}),
            403,
            denied(&format!("User outsider not authorized to edit user {member_id}")),
        ),
        (
            "user_patch",
            json!({"id": "member"}),
            403,
            denied(&format!("User outsider not authorized to edit user {member_id}")),
        ),
        ("user_patch", json!({"id": "nobody"}), 403, denied("User not found")),
        ("api_token_create", json!({"user": "member", "name": "t"}), 403, "Access denied".to_owned()),
        ("api_token_list", json!({"user_id": "member"}), 403, "Access denied".to_owned()),
        // An unknown resource: resource_patch's auth function finds none (a bare 404).
        ("resource_patch", json!({"id": "nope"}), 404, "Not found".to_owned()),
        ("resource_show", json!({"id": "nope"}), 404, "Not found".to_owned()),
        ("resource_update", json!({"id": "nope"}), 404, "Not found: Resource was not found.".to_owned()),
    ];
    check(&w, Persona::Outsider, &cases);
    assert_eq!(w.state(&["open"]), before);
    // A sysadmin skips the auth functions: resource_patch's own lookup answers.
    let reply = w.call("resource_patch", json!({"id": "nope"}), Persona::Sysadmin);
    assert_error(&reply, 404, "Not found: Resource was not found.");
    let reply = w.call("user_patch", json!({"id": "nobody"}), Persona::Sysadmin);
    assert_error(&reply, 404, "Not found");
}
