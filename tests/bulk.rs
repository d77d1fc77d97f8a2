//! Bulk changes to an organization's datasets and moving a dataset to another organization
//! (ckan-api.md §2.4): bulk_update_private, _public, _delete and package_owner_org_update.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod world;

use serde_json::{Value, json};
use world::{EVERYONE, Persona, World, assert_error, assert_fields};

fn listed(w: &World) -> Value {
    w.get("package_list", "", Persona::Anonymous).result()
}

#[test]
fn org_admins_make_datasets_private_public_and_deleted() {
    let w = World::new();
    let one = w.dataset("one", false, json!([]));
    w.dataset("two", false, json!([]));
    w.dataset("three", true, json!([]));
    assert_eq!(listed(&w), json!(["one", "two"]));

    let reply = w.call(
        "bulk_update_private",
        json!({"org_id": w.org_id, "datasets": [one["id"], "two"]}),
        Persona::OrgAdmin,
    );
    assert_eq!(reply.result(), Value::Null);
    assert_eq!(w.show("one")["private"], true);
    assert_eq!(w.show("two")["private"], true);
    assert_eq!(listed(&w), json!([]));
    assert_eq!(w.get("package_show", "id=one", Persona::Anonymous).status, 403);
    assert_eq!(w.get("package_show", "id=one", Persona::Member).status, 200);
    assert!(w.show("one")["metadata_modified"].as_str() > one["metadata_modified"].as_str());

    // Already private ones are left as they are; the organization may be named.
    let reply = w.call(
        "bulk_update_public",
        json!({"org_id": "org", "datasets": ["one", "two", "three"]}),
        Persona::OrgAdmin,
    );
    assert_eq!(reply.result(), Value::Null);
    assert_eq!(listed(&w), json!(["one", "three", "two"]));
    assert_eq!(w.get("package_show", "id=three", Persona::Anonymous).result()["private"], false);

    let reply =
        w.call("bulk_update_delete", json!({"org_id": w.org_id, "datasets": ["three"]}), Persona::Sysadmin);
    assert_eq!(reply.result(), Value::Null);
    assert_eq!(w.show("three")["state"], "deleted");
    assert_eq!(listed(&w), json!(["one", "two"]));
    assert_eq!(w.get("package_show", "id=three", Persona::Anonymous).status, 403);
    // A single id may be sent as a string.
    w.call("bulk_update_private", json!({"org_id": "org", "datasets": "two"}), Persona::OrgAdmin).result();
    assert_eq!(w.show("two")["private"], true);
}

#[test]
fn only_admins_of_the_organization_and_sysadmins_change_in_bulk() {
    let w = World::new();
    w.dataset("one", false, json!([]));
    w.collaborate("one", "editor");
    for (action, field, value) in [
        ("bulk_update_private", "private", json!(true)),
        ("bulk_update_public", "private", json!(false)),
        ("bulk_update_delete", "state", json!("deleted")),
    ] {
        for persona in EVERYONE {
            let before = w.state(&["one"]);
            let reply = w.call(action, json!({"org_id": "org", "datasets": ["one"]}), persona);
            match persona {
                Persona::Anonymous | Persona::Revoked => assert_error(
                    &reply,
                    403,
                    &format!("Access denied: Action {action} requires an authenticated user"),
                ),
                Persona::OrgAdmin | Persona::Sysadmin => {
                    assert_eq!(reply.result(), Value::Null, "{action} {persona:?}");
                    assert_eq!(w.show("one")[field], value, "{action} {persona:?}");
                    // Back to a public, active dataset for the next caller.
                    w.call(
                        "package_patch",
                        json!({"id": "one", "private": false, "state": "active"}),
                        Persona::Sysadmin,
                    )
                    .result();
                    continue;
                }
                // Editors of the organization, and of the dataset, are not enough.
                _ => assert_error(&reply, 403, "Access denied"),
            }
            assert_eq!(w.state(&["one"]), before, "{action} {persona:?} changed something");
        }
    }
}

#[test]
fn a_bad_list_changes_nothing_at_all() {
    let w = World::new();
    w.dataset("one", false, json!([]));
    w.dataset("two", false, json!([]));
    w.call("package_create", json!({"name": "elsewhere", "owner_org": "other-org"}), Persona::Editor)
        .result();
    let before = w.state(&["one", "two", "elsewhere"]);
    let bulk = |body: Value| w.call("bulk_update_private", body, Persona::Sysadmin);

    assert_fields(
        &bulk(json!({"org_id": "org", "datasets": ["one", "elsewhere", "two"]})),
        json!({"datasets": ["Dataset elsewhere does not belong to organization org"]}),
    );
    assert_fields(
        &bulk(json!({"org_id": "org", "datasets": ["one", "nope"]})),
        json!({"datasets": ["Dataset nope was not found"]}),
    );
    assert_fields(&bulk(json!({"datasets": ["one"]})), json!({"org_id": ["Missing value"]}));
    assert_fields(&bulk(json!({"org_id": "org"})), json!({"datasets": ["Missing value"]}));
    assert_fields(
        &bulk(json!({"org_id": "org", "datasets": [{"id": "one"}]})),
        json!({"datasets": ["Not a list of strings"]}),
    );
    assert_error(
        &bulk(json!({"org_id": "nope", "datasets": ["one"]})),
        404,
        "Not found: Organization was not found.",
    );
    // An organization admin of the other organization cannot touch ours through theirs.
    let reply =
        w.call("bulk_update_delete", json!({"org_id": "other-org", "datasets": ["one"]}), Persona::Outsider);
    assert_fields(&reply, json!({"datasets": ["Dataset one does not belong to organization other-org"]}));
    assert_eq!(w.state(&["one", "two", "elsewhere"]), before);
    assert_eq!(listed(&w), json!(["elsewhere", "one", "two"]));
}

#[test]
fn datasets_move_to_organizations_their_editors_may_add_to() {
    let w = World::new();
    let secret = w.dataset("secret", true, json!([]));
    assert_eq!(w.get("package_show", "id=secret", Persona::Member).status, 200);
    let reply = w.call(
        "package_owner_org_update",
        json!({"id": "secret", "organization_id": "other-org"}),
        Persona::Editor,
    );
    assert_eq!(reply.result(), Value::Null);
    let moved = w.show("secret");
    assert_eq!(moved["owner_org"], w.other_org_id.as_str());
    assert_eq!(moved["organization"]["name"], "other-org");
    assert_eq!(moved["private"], true);
    // Readers follow the organization.
    assert_eq!(w.get("package_show", "id=secret", Persona::Member).status, 403);
    assert_eq!(w.get("package_show", "id=secret", Persona::Outsider).status, 200);
    // Moving to where it is changes nothing.
    let same = w.call(
        "package_owner_org_update",
        json!({"id": secret["id"], "organization_id": w.other_org_id}),
        Persona::Outsider,
    );
    assert_eq!(same.result(), Value::Null);
    assert_eq!(w.show("secret")["metadata_modified"], moved["metadata_modified"]);
}

#[test]
fn moving_needs_edit_rights_here_and_create_rights_there() {
    let w = World::new();
    let dataset = w.dataset("stay", false, json!([]));
    let id = dataset["id"].as_str().unwrap();
    w.collaborate("stay", "editor");
    let mut before = w.state(&["stay"]);
    for persona in EVERYONE {
        let reply = w.call(
            "package_owner_org_update",
            json!({"id": "stay", "organization_id": "other-org"}),
            persona,
        );
        let name = World::name(persona);
        match persona {
            Persona::Anonymous | Persona::Revoked => assert_error(
                &reply,
                403,
                "Access denied: Action package_owner_org_update requires an authenticated user",
            ),
            Persona::Member | Persona::Outsider => assert_error(
                &reply,
                403,
                &format!("Access denied: User {name} not authorized to edit package {id}"),
            ),
            // May edit the dataset, but not add datasets to other-org.
            Persona::OrgAdmin | Persona::Collaborator => assert_error(
                &reply,
                403,
                &format!("Access denied: User {name} not authorized to add dataset to this organization"),
            ),
            Persona::Editor | Persona::Sysadmin => {
                assert_eq!(reply.result(), Value::Null, "{persona:?}");
                assert_eq!(w.show("stay")["owner_org"], w.other_org_id.as_str());
                w.call(
                    "package_owner_org_update",
                    json!({"id": "stay", "organization_id": "org"}),
                    Persona::Sysadmin,
                )
                .result();
                before = w.state(&["stay"]);
                continue;
            }
        }
        assert_eq!(w.state(&["stay"]), before, "{persona:?} changed something");
    }

    let before = w.state(&["stay"]);
    let group = w.server.group("a-group", &[("editor", "member")]);
    let call = |body: Value| w.call("package_owner_org_update", body, Persona::Sysadmin);
    assert_error(
        &call(json!({"id": "nope", "organization_id": "org"})),
        404,
        "Not found: Package was not found.",
    );
    assert_error(&call(json!({"organization_id": "org"})), 404, "Not found: Package was not found.");
    assert_error(
        &call(json!({"id": "stay", "organization_id": "nope"})),
        404,
        "Not found: Organization was not found.",
    );
    assert_error(
        &call(json!({"id": "stay", "organization_id": group})),
        404,
        "Not found: Organization was not found.",
    );
    for empty in [json!(""), Value::Null] {
        assert_fields(
            &call(json!({"id": "stay", "organization_id": empty})),
            json!({"organization_id": ["An organization must be provided"]}),
        );
    }
    assert_eq!(w.state(&["stay"]), before);
}

#[test]
fn admins_of_organizations_above_change_in_bulk() {
    let w = World::new();
    let above = w.organizations_above();
    w.dataset("one", false, json!([]));
    w.dataset("two", false, json!([]));
    // Admin cascades down the hierarchy, from the parent and from the parent's parent.
    for token in [&above.parent_admin, &above.top_admin] {
        let bulk = |action: &str, datasets: Value| {
            w.call_as(action, json!({"org_id": "org", "datasets": datasets}), token).result()
        };
        assert_eq!(bulk("bulk_update_private", json!(["one", "two"])), Value::Null);
        assert_eq!(w.show("one")["private"], true);
        assert_eq!(w.show("two")["private"], true);
        assert_eq!(listed(&w), json!([]));
        assert_eq!(bulk("bulk_update_public", json!(["one", "two"])), Value::Null);
        assert_eq!(listed(&w), json!(["one", "two"]));
        assert_eq!(bulk("bulk_update_delete", json!(["two"])), Value::Null);
        assert_eq!(w.show("two")["state"], "deleted");
        assert_eq!(listed(&w), json!(["one"]));
        w.call("package_patch", json!({"id": "two", "state": "active"}), Persona::Sysadmin).result();
    }

    // Editors and members above hold nothing below.
    let before = w.state(&["one", "two"]);
    for token in [&above.parent_editor, &above.parent_member] {
        for action in ["bulk_update_private", "bulk_update_public", "bulk_update_delete"] {
            let reply = w.call_as(action, json!({"org_id": "org", "datasets": ["one"]}), token);
            assert_error(&reply, 403, "Access denied");
        }
    }
    assert_eq!(w.state(&["one", "two"]), before);

    // Nor does admin reach up: org's admin cannot change the parent's datasets.
    w.server.as_site("package_create", json!({"name": "upper", "owner_org": "parent-org"}));
    let before = w.state(&["upper"]);
    let reply = w.call(
        "bulk_update_private",
        json!({"org_id": "parent-org", "datasets": ["upper"]}),
        Persona::OrgAdmin,
    );
    assert_error(&reply, 403, "Access denied");
    assert_eq!(w.state(&["upper"]), before);
    // The parent's admin changes its own datasets as ever.
    let reply = w.call_as(
        "bulk_update_private",
        json!({"org_id": "parent-org", "datasets": ["upper"]}),
        &above.parent_admin,
    );
    assert_eq!(reply.result(), Value::Null);
    assert_eq!(w.show("upper")["private"], true);
}

#[test]
fn admins_above_move_datasets_between_their_organizations() {
    let w = World::new();
    let above = w.organizations_above();
    let dataset = w.dataset("below", false, json!([]));
    let id = dataset["id"].as_str().unwrap();
    let move_to = |org: &str, token: &str| {
        w.call_as("package_owner_org_update", json!({"id": "below", "organization_id": org}), token)
    };
    // Up to the parent (editing the dataset through the hierarchy), and back down (adding to
    // the sub-organization through it).
    assert_eq!(move_to("parent-org", &above.parent_admin).result(), Value::Null);
    assert_eq!(w.show("below")["organization"]["name"], "parent-org");
    assert_eq!(move_to("org", &above.parent_admin).result(), Value::Null);
    assert_eq!(w.show("below")["organization"]["name"], "org");
    assert_eq!(move_to("parent-org", &above.top_admin).result(), Value::Null);
    assert_eq!(move_to("org", &above.top_admin).result(), Value::Null);
    assert_eq!(w.show("below")["owner_org"], w.org_id.as_str());

    let before = w.state(&["below"]);
    // An editor of the parent may add datasets there, but edits nothing below it.
    assert_error(
        &move_to("parent-org", &above.parent_editor),
        403,
        &format!("Access denied: User parenteditor not authorized to edit package {id}"),
    );
    // The sub-organization's editor edits the dataset, but may not add datasets above.
    assert_error(
        &w.call(
            "package_owner_org_update",
            json!({"id": "below", "organization_id": "parent-org"}),
            Persona::Editor,
        ),
        403,
        "Access denied: User editor not authorized to add dataset to this organization",
    );
    assert_eq!(w.state(&["below"]), before);
}

/// The activity types of a dataset's stream, newest first, as a sysadmin reads it.
fn activity_types(w: &World, dataset: &str) -> Vec<String> {
    let stream = w.get("package_activity_list", &format!("id={dataset}"), Persona::Sysadmin).result();
    stream.as_array().unwrap().iter().map(|a| a["activity_type"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn bulk_changes_record_an_activity_per_dataset_named_and_moves_none() {
    let w = World::new();
    w.dataset("one", false, json!([]));
    w.dataset("two", true, json!([]));
    let before_one = activity_types(&w, "one").len();
    let before_two = activity_types(&w, "two").len();
    // "two" is private already: CKAN's activity plugin still records a change for it, and one
    // per mention.
    w.call(
        "bulk_update_private",
        json!({"org_id": "org", "datasets": ["one", "two", "two"]}),
        Persona::OrgAdmin,
    )
    .result();
    assert_eq!(activity_types(&w, "one").len(), before_one + 1);
    assert_eq!(activity_types(&w, "two")[..2], ["changed package", "changed package"]);
    assert_eq!(activity_types(&w, "two").len(), before_two + 2);
    let stream = w.get("package_activity_list", "id=one", Persona::Sysadmin).result();
    assert_eq!(stream[0]["data"]["package"]["private"], true);
    assert_eq!(stream[0]["user_id"], w.get("user_show", "id=orgadmin", Persona::Sysadmin).result()["id"]);

    // Deleting: `deleted package` once; naming it again records nothing more.
    w.call("bulk_update_delete", json!({"org_id": "org", "datasets": ["one"]}), Persona::OrgAdmin).result();
    assert_eq!(activity_types(&w, "one")[0], "deleted package");
    let deleted = activity_types(&w, "one").len();
    w.call("bulk_update_delete", json!({"org_id": "org", "datasets": ["one"]}), Persona::OrgAdmin).result();
    assert_eq!(activity_types(&w, "one").len(), deleted);

    // package_owner_org_update moves a dataset without an activity.
    let moved_before = activity_types(&w, "two").len();
    w.call(
        "package_owner_org_update",
        json!({"id": "two", "organization_id": "other-org"}),
        Persona::Sysadmin,
    )
    .result();
    assert_eq!(w.show("two")["organization"]["name"], "other-org");
    assert_eq!(activity_types(&w, "two").len(), moved_before);
}
