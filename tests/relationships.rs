//! Relationships between datasets (ckan-api.md §2.1, §2.4): package_relationship_create,
//! _update, _delete and package_relationships_list, and how package_show shows them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod world;

use serde_json::{Value, json};
use world::{EVERYONE, Persona, World, assert_error, assert_fields};

const TYPES_MESSAGE: &str = "Value must be one of ['depends_on', 'dependency_of', 'derives_from', \
     'has_derivation', 'links_to', 'linked_from', 'child_of', 'parent_of']";

fn id(dataset: &Value) -> String {
    dataset["id"].as_str().unwrap().to_owned()
}

#[test]
fn relationships_are_stored_forward_and_read_from_both_sides() {
    let w = World::new();
    let a = w.dataset("child", false, json!([]));
    let b = w.dataset("parent", false, json!([]));
    let created = w
        .call(
            "package_relationship_create",
            json!({"subject": "child", "object": b["id"], "type": "child_of", "comment": "part one"}),
            Persona::Editor,
        )
        .result();
    assert_eq!(
        created,
        json!({"subject": "child", "type": "child_of", "object": "parent", "comment": "part one"})
    );

    // package_show of both datasets carries it, on the right side.
    let child = w.show("child");
    let parent = w.show("parent");
    let stored = &child["relationships_as_subject"][0];
    assert_eq!(
        common::keys(stored),
        ["id", "subject_package_id", "object_package_id", "type", "comment", "state"]
    );
    assert_eq!(stored["subject_package_id"], id(&a));
    assert_eq!(stored["object_package_id"], id(&b));
    assert_eq!(stored["type"], "child_of");
    assert_eq!(stored["state"], "active");
    assert_eq!(child["relationships_as_object"], json!([]));
    assert_eq!(parent["relationships_as_object"], json!([stored]));
    assert_eq!(parent["relationships_as_subject"], json!([]));
    // Anonymous callers read the public datasets the same way.
    assert_eq!(w.get("package_show", "id=parent", Persona::Anonymous).result(), parent);

    // Each side lists it from its point of view.
    let from_child = w.get("package_relationships_list", "id=child", Persona::Anonymous).result();
    assert_eq!(from_child, json!([created]));
    let from_parent = w.get("package_relationships_list", "id=parent", Persona::Anonymous).result();
    assert_eq!(
        from_parent,
        json!([{"subject": "parent", "type": "parent_of", "object": "child", "comment": "part one"}])
    );
    assert_eq!(
        w.get("package_relationships_list", "id=parent&rel=parent_of", Persona::Anonymous).result(),
        from_parent
    );
    assert_eq!(
        w.get("package_relationships_list", "id=parent&id2=child&rel=parent_of", Persona::Anonymous).result(),
        from_parent
    );
    assert_eq!(
        w.get("package_relationships_list", "id=parent&rel=relationships", Persona::Anonymous).result(),
        from_parent
    );
    let wrong_way = w.get("package_relationships_list", "id=parent&rel=child_of", Persona::Anonymous);
    assert_error(&wrong_way, 404, "Not found: Relationship \"parent child_of None\" not found.");
    let other = w.dataset("other", false, json!([]));
    assert_eq!(
        w.call("package_relationships_list", json!({"id": "parent", "id2": other["id"]}), Persona::Anonymous)
            .result(),
        json!([])
    );

    // Creating the reverse form finds the same relationship (and replaces its comment).
    let again = w
        .call(
            "package_relationship_create",
            json!({"subject": "parent", "object": "child", "type": "parent_of", "comment": "part two"}),
            Persona::Editor,
        )
        .result();
    assert_eq!(
        again,
        json!({"subject": "child", "type": "child_of", "object": "parent", "comment": "part two"})
    );
    let child = w.show("child");
    assert_eq!(child["relationships_as_subject"].as_array().unwrap().len(), 1);
    assert_eq!(child["relationships_as_subject"][0]["id"], stored["id"]);
    assert_eq!(child["relationships_as_subject"][0]["comment"], "part two");
}

#[test]
fn update_changes_the_comment_and_delete_removes_it() {
    let w = World::new();
    w.dataset("data", false, json!([]));
    w.dataset("code", false, json!([]));
    w.call(
        "package_relationship_create",
        json!({"subject": "data", "object": "code", "type": "derives_from"}),
        Persona::Editor,
    )
    .result();
    let updated = w
        .call(
            "package_relationship_update",
            json!({"subject": "code", "object": "data", "type": "has_derivation", "comment": "made by"}),
            Persona::Editor,
        )
        .result();
    assert_eq!(
        updated,
        json!({"subject": "data", "type": "derives_from", "object": "code", "comment": "made by"})
    );
    assert_eq!(w.show("code")["relationships_as_object"][0]["comment"], "made by");
    let missing = w.call(
        "package_relationship_update",
        json!({"subject": "data", "object": "code", "type": "links_to", "comment": "x"}),
        Persona::Editor,
    );
    assert_error(&missing, 404, "Not found: This relationship between the packages was not found.");

    let deleted = w.call(
        "package_relationship_delete",
        json!({"subject": "code", "object": "data", "type": "has_derivation"}),
        Persona::Editor,
    );
    assert_eq!(deleted.result(), Value::Null);
    for name in ["data", "code"] {
        let shown = w.show(name);
        assert_eq!(shown["relationships_as_subject"], json!([]), "{name}");
        assert_eq!(shown["relationships_as_object"], json!([]), "{name}");
    }
    assert_eq!(w.get("package_relationships_list", "id=data", Persona::Anonymous).result(), json!([]));
    let again = w.call(
        "package_relationship_delete",
        json!({"subject": "data", "object": "code", "type": "derives_from"}),
        Persona::Editor,
    );
    assert_error(&again, 404, "Not found");
}

#[test]
fn bad_requests_are_refused_and_change_nothing() {
    let w = World::new();
    w.dataset("one", false, json!([]));
    w.dataset("two", false, json!([]));
    w.call(
        "package_relationship_create",
        json!({"subject": "one", "object": "two", "type": "links_to", "comment": "c"}),
        Persona::Editor,
    )
    .result();
    let before = w.state(&["one", "two"]);
    for action in
        ["package_relationship_create", "package_relationship_update", "package_relationship_delete"]
    {
        assert_fields(
            &w.call(action, json!({}), Persona::Editor),
            json!({"subject": ["Missing value"], "object": ["Missing value"], "type": ["Missing value"]}),
        );
        assert_fields(
            &w.call(
                action,
                json!({"subject": "one", "object": "two", "type": "sibling_of"}),
                Persona::Editor,
            ),
            json!({"type": [TYPES_MESSAGE]}),
        );
        assert_error(
            &w.call(action, json!({"subject": "nope", "object": "two", "type": "links_to"}), Persona::Editor),
            404,
            "Not found: Subject package 'nope' was not found.",
        );
        assert_error(
            &w.call(action, json!({"subject": "one", "object": "nada", "type": "links_to"}), Persona::Editor),
            404,
            "Not found: Object package 'nada' was not found.",
        );
    }
    assert_fields(
        &w.call(
            "package_relationship_create",
            json!({"subject": "one", "object": "two", "type": "links_to", "comment": ["x"]}),
            Persona::Editor,
        ),
        json!({"comment": ["Must be a string"]}),
    );
    assert_fields(
        &w.call("package_relationships_list", json!({}), Persona::Anonymous),
        json!({"id": ["Missing value"]}),
    );
    assert_error(
        &w.get("package_relationships_list", "id=nope", Persona::Anonymous),
        404,
        "Not found: First package named in request was not found.",
    );
    assert_error(
        &w.get("package_relationships_list", "id=one&id2=nope", Persona::Anonymous),
        404,
        "Not found: Second package named in address was not found.",
    );
    assert_fields(
        &w.get("package_relationships_list", "id=one&rel=cousin_of", Persona::Anonymous),
        json!({"rel": [TYPES_MESSAGE]}),
    );
    assert_eq!(w.state(&["one", "two"]), before);
}

#[test]
fn both_datasets_must_be_editable() {
    let w = World::new();
    w.dataset("ours", false, json!([]));
    w.call("package_create", json!({"name": "theirs", "owner_org": "other-org"}), Persona::Editor).result();
    // The collaborator may edit `ours` only.
    w.collaborate("ours", "editor");
    let body = json!({"subject": "ours", "object": "theirs", "type": "links_to", "comment": "see"});
    for persona in EVERYONE {
        let before = w.state(&["ours", "theirs"]);
        let reply = w.call("package_relationship_create", body.clone(), persona);
        let name = World::name(persona);
        match persona {
            Persona::Anonymous | Persona::Revoked => assert_error(
                &reply,
                403,
                "Access denied: Action package_relationship_create requires an authenticated user",
            ),
            // editor edits in both organizations.
            Persona::Editor | Persona::Sysadmin => {
                assert_eq!(reply.result()["type"], "links_to", "{persona:?}");
                let listed = w.get("package_relationships_list", "id=theirs", Persona::Anonymous).result();
                assert_eq!(
                    listed,
                    json!([{"subject": "theirs", "type": "linked_from", "object": "ours", "comment": "see"}])
                );
                // Take it away again, as the same caller.
                let deleted = w.call("package_relationship_delete", body.clone(), persona);
                assert_eq!(deleted.result(), Value::Null);
            }
            _ => assert_error(
                &reply,
                403,
                &format!("Access denied: User {name} not authorized to edit these packages"),
            ),
        }
        assert_eq!(w.state(&["ours", "theirs"]), before, "{persona:?}");
    }

    // Update and delete need the same rights.
    w.call("package_relationship_create", body.clone(), Persona::Sysadmin).result();
    let before = w.state(&["ours", "theirs"]);
    let stored_id = w.show("ours")["relationships_as_subject"][0]["id"].as_str().unwrap().to_owned();
    for persona in [
        Persona::Anonymous,
        Persona::Revoked,
        Persona::OrgAdmin,
        Persona::Outsider,
        Persona::Collaborator,
        Persona::Member,
    ] {
        let name = World::name(persona);
        let update = w.call(
            "package_relationship_update",
            json!({"subject": "ours", "object": "theirs", "type": "links_to", "comment": "no"}),
            persona,
        );
        let delete = w.call("package_relationship_delete", body.clone(), persona);
        if name.is_empty() {
            assert_error(
                &update,
                403,
                "Access denied: Action package_relationship_update requires an authenticated user",
            );
            assert_error(
                &delete,
                403,
                "Access denied: Action package_relationship_delete requires an authenticated user",
            );
        } else {
            assert_error(
                &update,
                403,
                &format!("Access denied: User {name} not authorized to edit these packages"),
            );
            assert_error(
                &delete,
                403,
                &format!("Access denied: User {name} not authorized to delete relationship {stored_id}"),
            );
        }
    }
    assert_eq!(w.state(&["ours", "theirs"]), before);
}

#[test]
fn private_datasets_are_never_named_to_those_who_may_not_read_them() {
    let w = World::new();
    w.dataset("public", false, json!([]));
    w.dataset("hidden", true, json!([]));
    w.call(
        "package_relationship_create",
        json!({"subject": "public", "object": "hidden", "type": "depends_on"}),
        Persona::Editor,
    )
    .result();
    let seen = json!([{"subject": "public", "type": "depends_on", "object": "hidden", "comment": ""}]);
    for persona in EVERYONE {
        let listed = w.get("package_relationships_list", "id=public", persona).result();
        let of_hidden = w.get("package_relationships_list", "id=hidden", persona);
        let pair = w.get("package_relationships_list", "id=public&id2=hidden", persona);
        match persona {
            Persona::Member | Persona::Editor | Persona::OrgAdmin | Persona::Sysadmin => {
                assert_eq!(listed, seen, "{persona:?}");
                assert_eq!(of_hidden.result()[0]["type"], "dependency_of", "{persona:?}");
                assert_eq!(pair.result(), seen, "{persona:?}");
            }
            _ => {
                assert_eq!(listed, json!([]), "{persona:?}");
                assert!(!listed.to_string().contains("hidden"));
                let name = World::name(persona);
                for reply in [of_hidden, pair] {
                    assert_error(
                        &reply,
                        403,
                        &format!("Access denied: User {name} not authorized to read these packages"),
                    );
                }
            }
        }
    }
    // A member collaborator of the private dataset sees it too.
    w.collaborate("hidden", "member");
    assert_eq!(w.get("package_relationships_list", "id=public", Persona::Collaborator).result(), seen);
}

#[test]
fn a_dict_names_a_related_dataset_only_while_everyone_may_read_it() {
    let w = World::new();
    let a = w.dataset("shown", false, json!([]));
    let b = w.dataset("other", false, json!([]));
    w.call(
        "package_relationship_create",
        json!({"subject": "shown", "object": "other", "type": "depends_on", "comment": "both public"}),
        Persona::Editor,
    )
    .result();
    let named = |persona: Persona| -> usize {
        let shown = w.call("package_show", json!({"id": "shown"}), persona).result();
        shown["relationships_as_subject"].as_array().unwrap().len()
    };
    assert_eq!(named(Persona::Anonymous), 1);
    // Made private: gone from the public dataset's dict for everyone (it is the same dict);
    // package_relationships_list still gives it to those who may read it.
    w.call("package_patch", json!({"id": "other", "private": true}), Persona::Editor).result();
    assert_eq!(named(Persona::Anonymous), 0);
    assert_eq!(named(Persona::Sysadmin), 0);
    let listed = w.call("package_relationships_list", json!({"id": "shown"}), Persona::Editor).result();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let outsider = w.call("package_relationships_list", json!({"id": "shown"}), Persona::Outsider).result();
    assert_eq!(outsider, json!([]));
    // Public again: named again.
    w.call("package_patch", json!({"id": "other", "private": false}), Persona::Editor).result();
    assert_eq!(named(Persona::Anonymous), 1);
    // Deleted: gone; the private dataset's own dict names the public one.
    w.call("package_delete", json!({"id": "other"}), Persona::Editor).result();
    assert_eq!(named(Persona::Anonymous), 0);
    let deleted = w.call("package_show", json!({"id": id(&b)}), Persona::Sysadmin).result();
    assert_eq!(deleted["relationships_as_object"].as_array().unwrap().len(), 1, "{deleted}");
    assert_eq!(deleted["relationships_as_object"][0]["subject_package_id"], a["id"]);
}
