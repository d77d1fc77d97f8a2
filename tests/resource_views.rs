//! Resource views (ckan-api.md §2.1, §2.4): resource_view_create, _show, _list, _update,
//! _delete, _reorder and _clear, for every kind of caller.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod world;

use serde_json::{Value, json};
use world::{EVERYONE, Persona, World, assert_error, assert_fields};

/// A dataset with two resources; returns (dataset id, first resource id, second resource id).
fn dataset(w: &World, name: &str, private: bool) -> (String, String, String) {
    let created = w.dataset(
        name,
        private,
        json!([{"url": "http://example.org/a.csv", "name": "a"}, {"url": "http://example.org/b.geojson", "name": "b"}]),
    );
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    (text(&created["id"]), text(&created["resources"][0]["id"]), text(&created["resources"][1]["id"]))
}

fn view(w: &World, resource: &str, title: &str, view_type: &str) -> Value {
    w.call(
        "resource_view_create",
        json!({"resource_id": resource, "title": title, "view_type": view_type}),
        Persona::Editor,
    )
    .result()
}

#[test]
fn views_are_created_shown_listed_reordered_updated_and_deleted() {
    let w = World::new();
    let (package_id, first, second) = dataset(&w, "maps", false);
    let map = w
        .call(
            "resource_view_create",
            json!({"resource_id": first, "title": "Map", "description": "A map", "view_type": "geo_view",
                   "zoom": 5, "config": {"basemap": "osm"}}),
            Persona::Editor,
        )
        .result();
    let keys = common::keys(&map);
    assert_eq!(keys[..5], ["id", "resource_id", "title", "description", "view_type"]);
    assert_eq!(keys.last().map(String::as_str), Some("package_id"));
    assert_eq!(map["resource_id"], first.as_str());
    assert_eq!(map["package_id"], package_id.as_str());
    assert_eq!(map["title"], "Map");
    assert_eq!(map["description"], "A map");
    assert_eq!(map["view_type"], "geo_view");
    assert_eq!(map["zoom"], 5);
    assert_eq!(map["basemap"], "osm");
    assert!(map.get("config").is_none());
    let map_id = map["id"].as_str().unwrap().to_owned();

    assert_eq!(w.get("resource_view_show", &format!("id={map_id}"), Persona::Anonymous).result(), map);
    let table = view(&w, &first, "Table", "datatables_view");
    assert_eq!(table["description"], Value::Null);
    let table_id = table["id"].as_str().unwrap().to_owned();
    let listed = w.get("resource_view_list", &format!("id={first}"), Persona::Anonymous).result();
    assert_eq!(listed, json!([map, table]));
    assert_eq!(w.get("resource_view_list", &format!("id={second}"), Persona::Anonymous).result(), json!([]));

    let reordered =
        w.call("resource_view_reorder", json!({"id": first, "order": [table_id]}), Persona::Editor).result();
    assert_eq!(reordered, json!({"id": first, "order": [table_id, map_id]}));
    let listed = w.get("resource_view_list", &format!("id={first}"), Persona::Anonymous).result();
    assert_eq!(listed, json!([table, map]));

    // Update: title changes, description stays, the configuration sent replaces the old one,
    // view_type cannot change.
    let updated = w
        .call(
            "resource_view_update",
            json!({"id": map_id, "title": "Big map", "view_type": "image_view", "tiles": "topo"}),
            Persona::Editor,
        )
        .result();
    assert_eq!(updated["title"], "Big map");
    assert_eq!(updated["description"], "A map");
    assert_eq!(updated["view_type"], "geo_view");
    assert_eq!(updated["tiles"], "topo");
    assert!(updated.get("zoom").is_none() && updated.get("basemap").is_none());
    assert_eq!(w.get("resource_view_show", &format!("id={map_id}"), Persona::Anonymous).result(), updated);

    // A view may move to another resource of a dataset one may edit.
    let moved = w
        .call("resource_view_update", json!({"id": table_id, "resource_id": second}), Persona::Editor)
        .result();
    assert_eq!(moved["resource_id"], second.as_str());
    assert_eq!(moved["title"], "Table");
    assert_eq!(
        w.get("resource_view_list", &format!("id={first}"), Persona::Anonymous).result(),
        json!([updated])
    );

    let deleted = w.call("resource_view_delete", json!({"id": table_id}), Persona::Editor).result();
    assert_eq!(deleted, json!({"resource_id": second}));
    assert_eq!(w.get("resource_view_list", &format!("id={second}"), Persona::Anonymous).result(), json!([]));
    assert_error(
        &w.get("resource_view_show", &format!("id={table_id}"), Persona::Anonymous),
        404,
        "Not found: Resource view not found, cannot check auth.",
    );
}

#[test]
fn views_survive_dataset_writes_and_go_with_their_resource() {
    let w = World::new();
    let (_, first, second) = dataset(&w, "kept", false);
    let map = view(&w, &first, "Map", "geo_view");
    let other = view(&w, &second, "Other", "text_view");
    let list =
        |resource: &str| w.get("resource_view_list", &format!("id={resource}"), Persona::Anonymous).result();

    w.call("package_patch", json!({"id": "kept", "notes": "changed"}), Persona::Editor).result();
    w.call("resource_patch", json!({"id": first, "name": "renamed"}), Persona::Editor).result();
    w.call("package_resource_reorder", json!({"id": "kept", "order": [second]}), Persona::Editor).result();
    let revised = w.call(
        "package_revise",
        json!({"match": {"name": "kept"}, "update__resources__0__description": "moved first"}),
        Persona::Editor,
    );
    assert_eq!(revised.result()["package"]["resources"][0]["id"], second.as_str());
    assert_eq!(list(&first), json!([map]));
    assert_eq!(list(&second), json!([other]));

    // The views of a deleted resource go with it.
    w.call("resource_delete", json!({"id": first}), Persona::Editor).result();
    assert_error(&w.get("resource_view_list", &format!("id={first}"), Persona::Anonymous), 404, "Not found");
    let gone =
        w.get("resource_view_show", &format!("id={}", map["id"].as_str().unwrap()), Persona::Anonymous);
    assert_eq!(gone.status, 404);
    assert_eq!(list(&second), json!([other]));
}

#[test]
fn reading_follows_the_dataset_and_writing_needs_edit_rights() {
    let w = World::new();
    let (package_id, first, _) = dataset(&w, "private-maps", true);
    let map = view(&w, &first, "Map", "geo_view");
    let map_id = map["id"].as_str().unwrap().to_owned();
    w.collaborate("private-maps", "member");
    for persona in EVERYONE {
        let name = World::name(persona);
        let shown = w.get("resource_view_show", &format!("id={map_id}"), persona);
        let listed = w.get("resource_view_list", &format!("id={first}"), persona);
        match persona {
            Persona::Anonymous | Persona::Revoked | Persona::Outsider => {
                let message = format!("Access denied: User {name} not authorized to read resource {first}");
                assert_error(&shown, 403, &message);
                assert_error(&listed, 403, &message);
                assert!(!shown.text.contains("Map") && !listed.text.contains("Map"));
            }
            _ => {
                assert_eq!(shown.result(), map, "{persona:?}");
                assert_eq!(listed.result(), json!([map]), "{persona:?}");
            }
        }
    }

    // Writes: organization editors and admins, editor collaborators, sysadmins.
    let mut before = w.state(&["private-maps"]);
    let mut map_id = map_id;
    for persona in EVERYONE {
        let name = World::name(persona);
        let create = w.call(
            "resource_view_create",
            json!({"resource_id": first, "title": "Mine", "view_type": "text_view"}),
            persona,
        );
        let update = w.call("resource_view_update", json!({"id": map_id, "title": "Mine"}), persona);
        let reorder = w.call("resource_view_reorder", json!({"id": first, "order": [map_id]}), persona);
        let delete = w.call("resource_view_delete", json!({"id": map_id}), persona);
        match persona {
            Persona::Anonymous | Persona::Revoked => {
                for (reply, action) in [
                    (create, "resource_view_create"),
                    (update, "resource_view_update"),
                    (reorder, "resource_view_reorder"),
                    (delete, "resource_view_delete"),
                ] {
                    assert_error(
                        &reply,
                        403,
                        &format!("Access denied: Action {action} requires an authenticated user"),
                    );
                }
            }
            // The collaborator is only a `member` here.
            Persona::Outsider | Persona::Member | Persona::Collaborator => {
                assert_error(
                    &create,
                    403,
                    &format!(
                        "Access denied: User {name} not authorized to create resources on dataset {package_id}"
                    ),
                );
                assert_error(
                    &update,
                    403,
                    &format!("Access denied: User {name} not authorized to edit resource {first}"),
                );
                assert_error(
                    &reorder,
                    403,
                    &format!("Access denied: User {name} not authorized to edit resource {first}"),
                );
                assert_error(
                    &delete,
                    403,
                    &format!("Access denied: User {name} not authorized to delete resource {first}"),
                );
            }
            Persona::Editor | Persona::OrgAdmin | Persona::Sysadmin => {
                for reply in [&create, &update, &reorder, &delete] {
                    assert_eq!(reply.status, 200, "{persona:?}: {}", reply.text);
                }
                assert_eq!(update.result()["title"], "Mine");
                assert_eq!(delete.result(), json!({"resource_id": first}));
                // The next caller gets a view to try again.
                let fresh = view(&w, &first, "Map", "geo_view");
                map_id = fresh["id"].as_str().unwrap().to_owned();
                before = w.state(&["private-maps"]);
                continue;
            }
        }
        assert_eq!(w.state(&["private-maps"]), before, "{persona:?} changed something");
    }

    // An editor collaborator writes views too.
    w.collaborate("private-maps", "editor");
    let made = w.call(
        "resource_view_create",
        json!({"resource_id": first, "title": "Collaborator's", "view_type": "text_view"}),
        Persona::Collaborator,
    );
    assert_eq!(made.result()["title"], "Collaborator's");
}

#[test]
fn bad_requests_are_refused_and_change_nothing() {
    let w = World::new();
    let (_, first, _) = dataset(&w, "checked", false);
    let map = view(&w, &first, "Map", "geo_view");
    let map_id = map["id"].as_str().unwrap().to_owned();
    let before = w.state(&["checked"]);

    let create = |body: Value, persona: Persona| w.call("resource_view_create", body, persona);
    assert_fields(&create(json!({}), Persona::Editor), json!({"resource_id": ["Missing value"]}));
    assert_fields(
        &create(json!({"resource_id": first}), Persona::Editor),
        json!({"view_type": ["Missing value"]}),
    );
    assert_fields(
        &create(json!({"resource_id": "nope", "view_type": "x"}), Persona::Editor),
        json!({"resource_id": ["Resource not found: nope"], "title": ["Missing value"]}),
    );
    assert_fields(
        &create(json!({"resource_id": first, "view_type": "x", "title": ""}), Persona::Editor),
        json!({"title": ["Missing value"]}),
    );
    assert_fields(
        &create(json!({"resource_id": first, "view_type": "x", "title": "t", "id": map_id}), Persona::Editor),
        json!({"id": ["The input field id was not expected."]}),
    );
    assert_fields(
        &create(
            json!({"resource_id": first, "view_type": "x", "title": "t", "id": "not-a-uuid"}),
            Persona::Sysadmin,
        ),
        json!({"id": ["Invalid id provided"]}),
    );
    assert_fields(
        &create(
            json!({"resource_id": first, "view_type": "x", "title": "t", "id": map_id}),
            Persona::Sysadmin,
        ),
        json!({"id": ["ResourceView id already exists"]}),
    );
    assert_fields(
        &create(json!({"resource_id": first, "view_type": "x", "title": ["t"]}), Persona::Editor),
        json!({"title": ["Must be a string"]}),
    );

    assert_fields(
        &w.call("resource_view_show", json!({}), Persona::Editor),
        json!({"id": ["Missing value"]}),
    );
    assert_fields(
        &w.call("resource_view_list", json!({}), Persona::Editor),
        json!({"id": ["Missing value"]}),
    );
    assert_error(&w.call("resource_view_list", json!({"id": "nope"}), Persona::Editor), 404, "Not found");

    assert_fields(
        &w.call("resource_view_update", json!({}), Persona::Editor),
        json!({"id": ["Missing value"]}),
    );
    assert_error(
        &w.call("resource_view_update", json!({"id": "nope", "title": "x"}), Persona::Editor),
        404,
        "Not found: Resource view was not found.",
    );
    assert_fields(
        &w.call("resource_view_update", json!({"id": map_id, "resource_id": "nope"}), Persona::Editor),
        json!({"resource_id": ["Resource not found: nope"]}),
    );

    assert_fields(
        &w.call("resource_view_delete", json!({}), Persona::Editor),
        json!({"id": ["Missing value"]}),
    );
    assert_error(&w.call("resource_view_delete", json!({"id": "nope"}), Persona::Editor), 404, "Not found");

    let reorder = |body: Value| w.call("resource_view_reorder", body, Persona::Editor);
    assert_fields(&reorder(json!({})), json!({"id": ["Missing value"], "order": ["Missing value"]}));
    assert_fields(
        &reorder(json!({"id": first, "order": map_id})),
        json!({"order": "Must supply order as a list"}),
    );
    assert_fields(
        &reorder(json!({"id": first, "order": [map_id, map_id]})),
        json!({"order": "No duplicates allowed in order"}),
    );
    assert_fields(
        &reorder(json!({"id": first, "order": ["nope"]})),
        json!({"order": "View nope does not exist"}),
    );
    assert_error(&reorder(json!({"id": "nope", "order": []})), 404, "Not found: Resource was not found.");

    assert_eq!(w.state(&["checked"]), before);
}

#[test]
fn only_sysadmins_clear_views() {
    let w = World::new();
    let (_, first, second) = dataset(&w, "cleared", false);
    let map = view(&w, &first, "Map", "geo_view");
    let text = view(&w, &second, "Text", "text_view");
    view(&w, &first, "Another map", "geo_view");
    let before = w.state(&["cleared"]);
    for persona in EVERYONE.into_iter().filter(|p| *p != Persona::Sysadmin) {
        let reply = w.call("resource_view_clear", json!({}), persona);
        match persona {
            Persona::Anonymous | Persona::Revoked => {
                assert_error(
                    &reply,
                    403,
                    "Access denied: Action resource_view_clear requires an authenticated user",
                );
            }
            _ => assert_error(&reply, 403, "Access denied"),
        }
    }
    assert_eq!(w.state(&["cleared"]), before);

    let cleared = w.call("resource_view_clear", json!({"view_types": ["geo_view"]}), Persona::Sysadmin);
    assert_eq!(cleared.result(), Value::Null);
    assert_eq!(w.get("resource_view_list", &format!("id={first}"), Persona::Anonymous).result(), json!([]));
    assert_eq!(
        w.get("resource_view_list", &format!("id={second}"), Persona::Anonymous).result(),
        json!([text])
    );
    assert_eq!(
        w.get("resource_view_show", &format!("id={}", map["id"].as_str().unwrap()), Persona::Anonymous)
            .status,
        404
    );
    w.call("resource_view_clear", json!({}), Persona::Sysadmin).result();
    assert_eq!(w.get("resource_view_list", &format!("id={second}"), Persona::Anonymous).result(), json!([]));
}

#[test]
fn view_changes_are_dataset_activities_kept_from_those_who_may_not_read_it() {
    let w = World::new();
    let (open_id, open_resource, _) = dataset(&w, "open", false);
    let created = view(&w, &open_resource, "Map", "geo_view");
    w.call("resource_view_update", json!({"id": created["id"], "title": "Map 2"}), Persona::Editor).result();
    let stream = w.get("package_activity_list", "id=open", Persona::Anonymous).result();
    let types: Vec<&str> =
        stream.as_array().unwrap().iter().map(|a| a["activity_type"].as_str().unwrap()).collect();
    assert_eq!(types[..2], ["changed resource view", "new resource view"]);
    // CKAN's activity plugin: the view's dict with its dataset's id, no labels.
    assert_eq!(stream[0]["object_id"], open_id.as_str());
    assert_eq!(stream[0]["data"]["title"], "Map 2");
    assert_eq!(stream[0]["data"]["package_id"], open_id.as_str());
    assert!(stream[0]["permission_labels"].is_null());
    assert_eq!(stream[0]["user_id"], w.get("user_show", "id=editor", Persona::Sysadmin).result()["id"]);

    let (_, secret_resource, _) = dataset(&w, "secret", true);
    view(&w, &secret_resource, "Hidden map", "geo_view");
    for persona in EVERYONE {
        let reply = w.get("user_activity_list", "id=editor", persona);
        if reply.status != 200 {
            continue;
        }
        let seen = reply.result().to_string().contains("Hidden map");
        let may_read =
            matches!(persona, Persona::Member | Persona::Editor | Persona::OrgAdmin | Persona::Sysadmin);
        assert_eq!(seen, may_read, "{persona:?}");
    }
    let recent = w.get("recently_changed_packages_activity_list", "", Persona::Anonymous).result();
    assert!(!recent.to_string().contains("Hidden map"));
}

#[test]
fn default_views_are_none_without_view_plugins() {
    let w = World::new();
    let (_, resource, _) = dataset(&w, "plain", false);
    let dataset = w.show("plain");
    let package_body = json!({"package": dataset});
    let resource_body = json!({"resource": {"id": resource}});
    for persona in EVERYONE {
        let reply = w.call("package_create_default_resource_views", package_body.clone(), persona);
        let reply2 = w.call("resource_create_default_resource_views", resource_body.clone(), persona);
        match persona {
            Persona::Editor | Persona::OrgAdmin | Persona::Sysadmin => {
                assert_eq!(reply.result(), json!([]), "{persona:?}");
                assert_eq!(reply2.result(), json!([]), "{persona:?}");
            }
            _ => {
                assert_eq!(reply.status, 403, "{persona:?}");
                assert_eq!(reply2.status, 403, "{persona:?}");
            }
        }
    }
    assert_fields(
        &w.call("package_create_default_resource_views", json!({}), Persona::Sysadmin),
        json!({"package": ["Missing value"]}),
    );
    assert_fields(
        &w.call("resource_create_default_resource_views", json!({}), Persona::Sysadmin),
        json!({"resource": ["Missing value"]}),
    );
    let reply = w.call(
        "resource_create_default_resource_views",
        json!({"resource": {"id": "nope"}}),
        Persona::Sysadmin,
    );
    assert_eq!(reply.status, 404);
    let reply = w.call(
        "package_create_default_resource_views",
        json!({"package": {"id": "nope"}}),
        Persona::Sysadmin,
    );
    assert_eq!(reply.status, 404);
    let views = w.get("resource_view_list", &format!("id={resource}"), Persona::Sysadmin).result();
    assert_eq!(views, json!([]));
}
