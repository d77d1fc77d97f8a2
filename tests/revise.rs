//! package_revise (ckan-api.md §2.1, §4.3): match, filter, update, include and their flattened
//! forms, errors as CKAN gives them, and who may revise.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod world;

use serde_json::{Value, json};
use world::{EVERYONE, Persona, World, assert_error, assert_fields};

fn resources() -> Value {
    json!([
        {"url": "http://example.org/a.csv", "name": "a", "description": "first"},
        {"url": "http://example.org/b.json", "name": "b"},
        {"url": "http://example.org/c.xml", "name": "c"}
    ])
}

fn revise(w: &World, body: Value) -> common::Reply {
    w.call("package_revise", body, Persona::Editor)
}

#[test]
fn match_guards_and_update_merges() {
    let w = World::new();
    let created = w.dataset("revised", false, resources());
    let reply = revise(
        &w,
        json!({
            "match": {"name": "revised", "notes": "original", "resources": [{"name": "a"}]},
            "update": {"notes": "new notes", "resources": [{"description": "changed"}], "extras": [{"key": "k", "value": "v"}]}
        }),
    );
    let answer = reply.result();
    assert_eq!(common::keys(&answer), ["package"]);
    let package = &answer["package"];
    assert_eq!(package["notes"], "new notes");
    assert_eq!(package["resources"][0]["description"], "changed");
    assert_eq!(package["resources"][0]["name"], "a");
    assert_eq!(package["resources"][0]["id"], created["resources"][0]["id"]);
    assert_eq!(package["resources"][1], created["resources"][1]);
    assert_eq!(package["num_resources"], 3);
    assert_eq!(package["extras"], json!([{"key": "k", "value": "v"}]));
    assert_eq!(package["organization"]["name"], "org");
    assert!(package["metadata_modified"].as_str() > created["metadata_modified"].as_str());
    assert_eq!(w.show("revised"), *package);

    // The same revision again changes nothing.
    let again =
        revise(&w, json!({"match": {"id": created["id"]}, "update": {"notes": "new notes"}})).result();
    assert_eq!(again["package"], *package);
}

#[test]
fn flattened_keys_address_nested_values() {
    let w = World::new();
    let created = w.dataset("flat", false, resources());
    let last = created["resources"][2]["id"].as_str().unwrap().to_owned();
    let first = created["resources"][0]["id"].as_str().unwrap().to_owned();
    let prefix = &first[..6];
    let mut body = json!({
        "match__name": "flat",
        "match__notes": "original",
        "match__resources__0__name": "a",
        "update__notes": "flat notes",
        "update__resources__2__name": "last one",
        // `__extend` goes first, so `-1` is the resource it adds.
        "update__resources__-1__description": "added",
        "update__resources__1": {"description": "second"},
        // JSON text is parsed, as form bodies carry only text.
        "update__resources__extend": "[{\"url\": \"http://example.org/d.csv\", \"name\": \"d\"}]",
    });
    body[format!("update__resources__{prefix}__url")] = json!("http://example.org/new.csv");
    let package = revise(&w, body).result()["package"].clone();
    assert_eq!(package["notes"], "flat notes");
    assert_eq!(package["resources"][2]["id"], last.as_str());
    assert_eq!(package["resources"][2]["name"], "last one");
    assert_eq!(package["resources"][1]["description"], "second");
    assert_eq!(package["resources"][0]["url"], "http://example.org/new.csv");
    assert_eq!(package["resources"][0]["name"], "a");
    assert_eq!(package["resources"][3]["name"], "d");
    assert_eq!(package["resources"][3]["description"], "added");
    assert_eq!(package["resources"][3]["format"], "CSV");
    assert_eq!(package["num_resources"], 4);

    // A form body, as `ckanapi action package_revise match__name=... update__notes=...` sends.
    let reply = w.server.post_raw(
        "/api/3/action/package_revise",
        "application/x-www-form-urlencoded",
        b"match__name=flat&update__notes=via+a+form&update__version=2.0.1",
        &[("Authorization", &w.editor)],
    );
    let package = reply.result()["package"].clone();
    assert_eq!(package["notes"], "via a form");
    assert_eq!(package["version"], "2.0.1");
}

#[test]
fn filter_removes_fields_and_include_trims_the_answer() {
    let w = World::new();
    let created = w.dataset("filtered", false, resources());
    w.call(
        "package_patch",
        json!({"id": "filtered", "tags": [{"name": "tagged"}], "title": "Old"}),
        Persona::Editor,
    )
    .result();

    // Keep only the resources, then set a new name and title.
    let package = revise(
        &w,
        json!({"match": {"name": "filtered"}, "filter": ["+resources", "-*"], "update": {"name": "fresh-start", "title": "Fresh"}}),
    )
    .result()["package"]
        .clone();
    assert_eq!(package["id"], created["id"]);
    assert_eq!(package["name"], "fresh-start");
    assert_eq!(package["title"], "Fresh");
    assert_eq!(package["notes"], Value::Null);
    assert_eq!(package["num_tags"], 0);
    assert_eq!(package["num_resources"], 3);
    assert_eq!(package["owner_org"], w.org_id.as_str());

    // Remove the second resource (comma-separated patterns work too).
    let package =
        revise(&w, json!({"match": {"name": "fresh-start"}, "filter": "-resources__1"})).result()["package"]
            .clone();
    let names: Vec<&str> =
        package["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "c"]);

    // Replace every field of one resource but its id.
    let first = package["resources"][0]["id"].as_str().unwrap().to_owned();
    let prefix = &first[..5];
    let mut body = json!({
        "match__id": created["id"],
        "filter": [format!("+resources__{prefix}__id"), format!("-resources__{prefix}__*")],
    });
    body[format!("update__resources__{prefix}")] = json!({"name": "replaced", "url": "http://example.org/z"});
    let package = revise(&w, body).result()["package"].clone();
    assert_eq!(package["resources"][0]["id"], first.as_str());
    assert_eq!(package["resources"][0]["name"], "replaced");
    assert_eq!(package["resources"][0]["description"], Value::Null);

    // include applies to the answer `{"package": ...}`.
    let answer =
        revise(&w, json!({"match": {"name": "fresh-start"}, "include": ["-package__resources"]})).result();
    assert!(answer["package"].get("resources").is_none());
    assert_eq!(answer["package"]["name"], "fresh-start");
    let answer =
        revise(&w, json!({"match": {"name": "fresh-start"}, "include": ["+package__name", "-package__*"]}))
            .result();
    assert_eq!(answer, json!({"package": {"name": "fresh-start"}}));
    assert_eq!(revise(&w, json!({"match": {"name": "fresh-start"}, "include": "-*"})).result(), json!({}));
    // The dataset itself keeps everything.
    assert_eq!(w.show("fresh-start")["num_resources"], 2);
}

#[test]
fn bad_revisions_are_refused_and_change_nothing() {
    let w = World::new();
    w.dataset("kept", false, resources());
    let before = w.state(&["kept"]);

    assert_fields(&revise(&w, json!({"update": {"notes": "x"}})), json!({"match__id": "Missing value"}));
    assert_fields(
        &revise(
            &w,
            json!({"match": {"name": "kept", "notes": "wrong", "resources": [{"name": "b"}]}, "update": {"notes": "x"}}),
        ),
        json!({"match": ["notes", "resources__0__name"]}),
    );
    assert_fields(
        &revise(&w, json!({"match__name": "kept", "match__resources__1__name": "z", "update__notes": "x"})),
        json!({"match": ["resources__1__name"]}),
    );
    let sent = json!({"match__name": "kept", "match__resources__9__name": "z"});
    let reply = revise(&w, sent.clone());
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.error(),
        json!({"__type": "Integrity Error", "message": "Unmatched key resources__9", "data": sent})
    );
    assert_error(&revise(&w, json!({"match": {"name": "nope"}})), 404, "Not found");
    assert_fields(&revise(&w, json!({"match": ["kept"]})), json!({"match": ["Must be a dict"]}));
    assert_fields(
        &revise(&w, json!({"match": {"name": "kept"}, "filter": {"a": 1}})),
        json!({"filter": ["Not a list"]}),
    );
    assert_fields(
        &revise(&w, json!({"match": {"name": "kept"}, "filter": ["-notes", 5]})),
        json!({"filter": ["Not a string: 5"]}),
    );
    assert_fields(
        &revise(&w, json!({"match": {"name": "kept"}, "include": 5})),
        json!({"include": ["Not a list"]}),
    );
    assert_fields(
        &revise(&w, json!({"match": {"name": "kept"}, "update": "notes"})),
        json!({"update": ["Must be a dict"]}),
    );
    assert_fields(
        &revise(&w, json!({"match": {"name": "kept"}, "update": {"resources": {"name": "x"}}})),
        json!({"update": ["Expected list for resources"]}),
    );
    assert_fields(
        &revise(&w, json!({"match": {"name": "kept"}, "update__resources__9__name": "x"})),
        json!({"resources__9__name": ["Unmatched key resources__9"]}),
    );
    assert_fields(
        &revise(&w, json!({"match": {"name": "kept"}, "update__notes__deep": "x"})),
        json!({"notes__deep": ["Expected list or dict for notes"]}),
    );
    assert_fields(
        &revise(&w, json!({"match": {"name": "kept"}, "update__resources__extend": {"name": "x"}})),
        json!({"resources__extend": ["Expected list for resources"]}),
    );
    // The dataset's own validation still applies.
    let reply = revise(
        &w,
        json!({"match": {"name": "kept"}, "update": {"name": "Not A Name!", "author_email": "nope"}}),
    );
    assert_eq!(reply.status, 409);
    let error = reply.error();
    assert!(error["name"].is_array() && error["author_email"].is_array(), "{error}");
    assert_eq!(w.state(&["kept"]), before);
}

#[test]
fn editors_revise_and_nobody_else_learns_anything() {
    let w = World::new();
    let open = w.dataset("open", false, json!([]));
    let secret = w.dataset("secret", true, json!([]));
    w.collaborate("open", "editor");
    for persona in EVERYONE {
        let name = World::name(persona);
        for (dataset, private) in [(&open, false), (&secret, true)] {
            let id = dataset["id"].as_str().unwrap();
            let before = w.state(&[id]);
            let note = format!("by {persona:?}");
            // A wrong `match` never tells a caller who may not read the dataset what differs.
            let probe = w.call("package_revise", json!({"match": {"id": id, "notes": "guess"}}), persona);
            let reply =
                w.call("package_revise", json!({"match": {"id": id}, "update": {"notes": note}}), persona);
            let may_read = !private
                || matches!(
                    persona,
                    Persona::Member | Persona::Editor | Persona::OrgAdmin | Persona::Sysadmin
                );
            let may_edit = matches!(persona, Persona::Editor | Persona::OrgAdmin | Persona::Sysadmin)
                || (persona == Persona::Collaborator && !private);
            if !may_read {
                let message = format!("Access denied: User {name} not authorized to read package {id}");
                assert_error(&probe, 403, &message);
                assert_error(&reply, 403, &message);
            } else {
                assert_fields(&probe, json!({"match": ["notes"]}));
                if may_edit {
                    assert_eq!(reply.result()["package"]["notes"], note.as_str(), "{persona:?}");
                    continue;
                }
                if name.is_empty() {
                    assert_error(
                        &reply,
                        403,
                        "Access denied: Action package_revise requires an authenticated user",
                    );
                } else {
                    assert_error(
                        &reply,
                        403,
                        &format!("Access denied: User {name} not authorized to edit package {id}"),
                    );
                }
            }
            assert_eq!(w.state(&[id]), before, "{persona:?} changed {}", dataset["name"]);
        }
    }
}

/// package_revise writes through CKAN's package_update: a resource it adds without a mimetype
/// gets one guessed from its URL; one already there keeps its own (its shown dict has the key),
/// and a `revision_timestamp` is dropped.
#[test]
fn added_resources_get_a_mimetype_and_no_revision_timestamp() {
    let w = World::new();
    let created = w.dataset("typed", false, resources());
    assert_eq!(created["resources"][0]["mimetype"], Value::Null);
    let package = revise(
        &w,
        json!({
            "match__name": "typed",
            "update__resources__0__url": "http://example.org/a.png",
            "update__resources__1__revision_timestamp": "2020-01-01T00:00:00",
            "update__resources__extend": [
                {"url": "http://example.org/logo.png", "name": "logo"},
                {"url": "http://example.org/shape.geojson", "mimetype": "text/x-own"}
            ],
        }),
    )
    .result()["package"]
        .clone();
    assert_eq!(package["resources"][0]["url"], "http://example.org/a.png");
    assert_eq!(package["resources"][0]["mimetype"], Value::Null);
    assert!(package["resources"][1].get("revision_timestamp").is_none(), "{package}");
    assert_eq!(package["resources"][3]["mimetype"], "image/png");
    assert_eq!(package["resources"][3]["format"], "PNG");
    assert_eq!(package["resources"][4]["mimetype"], "text/x-own");
    assert_eq!(w.show("typed"), package);
}
