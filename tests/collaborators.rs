//! Dataset collaborators (ckan-api.md §2.4): package_collaborator_create, _list, _delete and
//! _list_for_user, for every kind of caller, and what a collaborator may then do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod world;

use serde_json::{Value, json};
use world::{EVERYONE, Persona, World, assert_error, assert_fields};

#[test]
fn an_org_admin_adds_changes_lists_and_removes_a_collaborator() {
    let w = World::new();
    let dataset = w.dataset("secret", true, json!([]));
    let id = dataset["id"].as_str().unwrap();

    // Not yet a collaborator: the private dataset is hidden.
    assert_eq!(w.call("package_show", json!({"id": "secret"}), Persona::Collaborator).status, 403);

    let created = w
        .call(
            "package_collaborator_create",
            json!({"id": "secret", "user_id": "collab", "capacity": "member"}),
            Persona::OrgAdmin,
        )
        .result();
    assert_eq!(common::keys(&created), ["package_id", "user_id", "capacity", "modified"]);
    assert_eq!(created["package_id"], id);
    assert_eq!(created["user_id"], w.collaborator_id.as_str());
    assert_eq!(created["capacity"], "member");
    assert!(created["modified"].as_str().unwrap().starts_with("20"));

    // A member collaborator reads the private dataset but may not edit it.
    let shown = w.call("package_show", json!({"id": "secret"}), Persona::Collaborator);
    assert_eq!(shown.result()["id"], id);
    let patch = w.call("package_patch", json!({"id": "secret", "notes": "mine"}), Persona::Collaborator);
    assert_eq!(patch.status, 403);

    // Changing the capacity updates the row (by user id this time).
    let updated = w
        .call(
            "package_collaborator_create",
            json!({"id": id, "user_id": w.collaborator_id, "capacity": "editor"}),
            Persona::OrgAdmin,
        )
        .result();
    assert_eq!(updated["capacity"], "editor");
    let listed = w.call("package_collaborator_list", json!({"id": "secret"}), Persona::OrgAdmin).result();
    assert_eq!(listed, json!([updated]));
    let editors = w.get("package_collaborator_list", "id=secret&capacity=editor", Persona::OrgAdmin).result();
    assert_eq!(editors.as_array().unwrap().len(), 1);
    let members = w.get("package_collaborator_list", "id=secret&capacity=member", Persona::OrgAdmin).result();
    assert_eq!(members, json!([]));

    // An editor collaborator edits.
    let patched =
        w.call("package_patch", json!({"id": "secret", "notes": "mine"}), Persona::Collaborator).result();
    assert_eq!(patched["notes"], "mine");

    // The user sees their collaborations.
    let mine =
        w.call("package_collaborator_list_for_user", json!({"id": "collab"}), Persona::Collaborator).result();
    assert_eq!(mine, json!([{"package_id": id, "capacity": "editor", "modified": updated["modified"]}]));
    let by_id = w
        .get(
            "package_collaborator_list_for_user",
            &format!("id={}&capacity=editor", w.collaborator_id),
            Persona::Collaborator,
        )
        .result();
    assert_eq!(by_id, mine);
    let none = w
        .call(
            "package_collaborator_list_for_user",
            json!({"id": "collab", "capacity": "member"}),
            Persona::Collaborator,
        )
        .result();
    assert_eq!(none, json!([]));

    // Removal takes every right away again.
    let removed = w.call(
        "package_collaborator_delete",
        json!({"id": "secret", "user_id": "collab"}),
        Persona::OrgAdmin,
    );
    assert_eq!(removed.result(), Value::Null);
    assert_eq!(w.call("package_show", json!({"id": "secret"}), Persona::Collaborator).status, 403);
    assert_eq!(
        w.call("package_collaborator_list", json!({"id": "secret"}), Persona::OrgAdmin).result(),
        json!([])
    );
    let again = w.call(
        "package_collaborator_delete",
        json!({"id": "secret", "user_id": "collab"}),
        Persona::OrgAdmin,
    );
    assert_error(&again, 404, "Not found: User collab is not a collaborator on this package");
}

#[test]
fn only_org_admins_and_sysadmins_manage_collaborators() {
    let w = World::new();
    w.dataset("secret", true, json!([]));
    w.collaborate("secret", "editor");
    let before = w.state(&["secret"]);
    let body = json!({"id": "secret", "user_id": "member", "capacity": "editor"});
    for persona in EVERYONE {
        let create = w.call("package_collaborator_create", body.clone(), persona);
        let list = w.call("package_collaborator_list", json!({"id": "secret"}), persona);
        let delete =
            w.call("package_collaborator_delete", json!({"id": "secret", "user_id": "collab"}), persona);
        let name = World::name(persona);
        match persona {
            Persona::Anonymous | Persona::Revoked => {
                assert_error(
                    &create,
                    403,
                    "Access denied: Action package_collaborator_create requires an authenticated user",
                );
                assert_error(
                    &list,
                    403,
                    "Access denied: User  not authorized to list collaborators from this dataset",
                );
                assert_error(
                    &delete,
                    403,
                    "Access denied: Action package_collaborator_delete requires an authenticated user",
                );
            }
            Persona::OrgAdmin | Persona::Sysadmin => {
                assert_eq!(create.status, 200, "{persona:?}");
                assert_eq!(list.status, 200, "{persona:?}");
                assert_eq!(delete.status, 200, "{persona:?}");
                // Put things back for the next caller.
                w.call("package_collaborator_delete", json!({"id": "secret", "user_id": "member"}), persona)
                    .result();
                w.collaborate("secret", "editor");
            }
            // Editors of the dataset (an organization editor, an editor collaborator) still may
            // not manage its collaborators.
            _ => {
                assert_error(
                    &create,
                    403,
                    &format!(
                        "Access denied: User {name} not authorized to add collaborators to this dataset"
                    ),
                );
                assert_error(
                    &list,
                    403,
                    &format!(
                        "Access denied: User {name} not authorized to list collaborators from this dataset"
                    ),
                );
                assert_error(
                    &delete,
                    403,
                    &format!(
                        "Access denied: User {name} not authorized to remove collaborators from this dataset"
                    ),
                );
            }
        }
        let mut after = w.state(&["secret"]);
        // The collaboration was re-made by the admins' round: only its date moved.
        after[0]["collaborators"]["result"][0]["modified"] =
            before[0]["collaborators"]["result"][0]["modified"].clone();
        assert_eq!(after, before, "{persona:?} changed something");
    }
}

#[test]
fn bad_requests_are_refused_and_change_nothing() {
    let w = World::new();
    w.dataset("open", false, json!([]));
    w.collaborate("open", "member");
    let before = w.state(&["open"]);

    let missing = w.call("package_collaborator_create", json!({}), Persona::OrgAdmin);
    assert_fields(
        &missing,
        json!({"id": ["Missing value"], "user_id": ["Missing value"], "capacity": ["Missing value"]}),
    );
    for capacity in ["admin", "owner", "Editor"] {
        let reply = w.call(
            "package_collaborator_create",
            json!({"id": "open", "user_id": "member", "capacity": capacity}),
            Persona::OrgAdmin,
        );
        assert_fields(&reply, json!({"message": "Role must be one of \"editor, member\""}));
    }
    let reply = w.call(
        "package_collaborator_create",
        json!({"id": "nope", "user_id": "member", "capacity": "editor"}),
        Persona::OrgAdmin,
    );
    assert_error(&reply, 404, "Not found: Dataset not found");
    let reply = w.call(
        "package_collaborator_create",
        json!({"id": "open", "user_id": "nobody", "capacity": "editor"}),
        Persona::OrgAdmin,
    );
    assert_error(&reply, 404, "Not found: User not found");
    let reply = w.call(
        "package_collaborator_create",
        json!({"id": ["open"], "user_id": "member", "capacity": "editor"}),
        Persona::OrgAdmin,
    );
    assert_fields(&reply, json!({"id": ["Must be a string"]}));

    assert_fields(
        &w.call("package_collaborator_list", json!({}), Persona::OrgAdmin),
        json!({"id": ["Missing value"]}),
    );
    assert_fields(
        &w.call("package_collaborator_list", json!({"id": "open", "capacity": "admin"}), Persona::OrgAdmin),
        json!({"message": "Capacity must be one of \"editor, member\""}),
    );
    assert_error(
        &w.call("package_collaborator_list", json!({"id": "nope"}), Persona::OrgAdmin),
        404,
        "Not found: Package not found",
    );

    assert_fields(
        &w.call("package_collaborator_delete", json!({"id": "open"}), Persona::OrgAdmin),
        json!({"user_id": ["Missing value"]}),
    );
    assert_error(
        &w.call("package_collaborator_delete", json!({"id": "nope", "user_id": "collab"}), Persona::OrgAdmin),
        404,
        "Not found: Package not found",
    );
    assert_error(
        &w.call("package_collaborator_delete", json!({"id": "open", "user_id": "nobody"}), Persona::OrgAdmin),
        404,
        "Not found: User not found",
    );
    assert_eq!(w.state(&["open"]), before);
}

#[test]
fn users_list_only_their_own_collaborations() {
    let w = World::new();
    let dataset = w.dataset("secret", true, json!([]));
    w.collaborate("secret", "member");
    let expected = json!([{"package_id": dataset["id"], "capacity": "member"}]);
    let strip = |mut list: Value| {
        for item in list.as_array_mut().unwrap() {
            item.as_object_mut().unwrap().remove("modified");
        }
        list
    };
    for persona in EVERYONE {
        let reply = w.get("package_collaborator_list_for_user", "id=collab", persona);
        match persona {
            Persona::Collaborator | Persona::Sysadmin => {
                assert_eq!(strip(reply.result()), expected, "{persona:?}")
            }
            _ => assert_error(&reply, 403, "Access denied"),
        }
    }
    // `user` is accepted for `id`.
    let reply =
        w.call("package_collaborator_list_for_user", json!({"user": "collab"}), Persona::Collaborator);
    assert_eq!(strip(reply.result()), expected);
    assert_fields(
        &w.call("package_collaborator_list_for_user", json!({}), Persona::Collaborator),
        json!({"id": ["Missing value"]}),
    );
    assert_fields(
        &w.call(
            "package_collaborator_list_for_user",
            json!({"id": "collab", "capacity": "boss"}),
            Persona::Collaborator,
        ),
        json!({"message": "Capacity must be one of \"editor, member\""}),
    );
    assert_error(
        &w.call("package_collaborator_list_for_user", json!({"id": "nobody"}), Persona::Sysadmin),
        403,
        "Access denied: Not allowed to retrieve collaborators",
    );
    // Deleting the dataset ends the collaboration.
    w.call("package_delete", json!({"id": "secret"}), Persona::Editor).result();
    let reply = w.call("package_collaborator_list_for_user", json!({"id": "collab"}), Persona::Collaborator);
    assert_eq!(reply.result(), json!([]));
}

#[test]
fn collaborators_see_private_datasets_and_nothing_else() {
    let w = World::new();
    w.dataset("mine", true, json!([{"url": "http://example.org/a.csv"}]));
    w.dataset("theirs", true, json!([]));
    w.collaborate("mine", "member");
    assert_eq!(w.call("package_show", json!({"id": "mine"}), Persona::Collaborator).status, 200);
    let resource = w.show("mine")["resources"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(w.call("resource_show", json!({"id": resource}), Persona::Collaborator).status, 200);
    assert_eq!(w.call("package_show", json!({"id": "theirs"}), Persona::Collaborator).status, 403);
    // A member collaborator may not see who else collaborates.
    assert_eq!(w.call("package_collaborator_list", json!({"id": "mine"}), Persona::Collaborator).status, 403);
    // Nor may other users see a private dataset's collaborators.
    assert_eq!(w.call("package_collaborator_list", json!({"id": "mine"}), Persona::Outsider).status, 403);
    // Listing needs the caller to be the user: another user learns nothing.
    let reply = w.call("package_collaborator_list_for_user", json!({"id": "collab"}), Persona::Outsider);
    assert_error(&reply, 403, "Access denied");
}

#[test]
fn admins_of_organizations_above_manage_collaborators() {
    let w = World::new();
    let above = w.organizations_above();
    let dataset = w.dataset("secret", true, json!([]));
    // Admin cascades down the hierarchy, from the parent and from the parent's parent.
    for token in [&above.parent_admin, &above.top_admin] {
        let created = w
            .call_as(
                "package_collaborator_create",
                json!({"id": "secret", "user_id": "collab", "capacity": "member"}),
                token,
            )
            .result();
        assert_eq!(created["package_id"], dataset["id"]);
        assert_eq!(created["capacity"], "member");
        let listed = w.call_as("package_collaborator_list", json!({"id": "secret"}), token).result();
        assert_eq!(listed, json!([created]));
        assert_eq!(w.call("package_show", json!({"id": "secret"}), Persona::Collaborator).status, 200);
        let removed =
            w.call_as("package_collaborator_delete", json!({"id": "secret", "user_id": "collab"}), token);
        assert_eq!(removed.result(), Value::Null);
        assert_eq!(w.call("package_show", json!({"id": "secret"}), Persona::Collaborator).status, 403);
    }

    // Editors and members above hold nothing below.
    w.collaborate("secret", "editor");
    let before = w.state(&["secret"]);
    for (token, name) in [(&above.parent_editor, "parenteditor"), (&above.parent_member, "parentmember")] {
        let create = w.call_as(
            "package_collaborator_create",
            json!({"id": "secret", "user_id": "member", "capacity": "editor"}),
            token,
        );
        assert_error(
            &create,
            403,
            &format!("Access denied: User {name} not authorized to add collaborators to this dataset"),
        );
        let list = w.call_as("package_collaborator_list", json!({"id": "secret"}), token);
        assert_error(
            &list,
            403,
            &format!("Access denied: User {name} not authorized to list collaborators from this dataset"),
        );
        let delete =
            w.call_as("package_collaborator_delete", json!({"id": "secret", "user_id": "collab"}), token);
        assert_error(
            &delete,
            403,
            &format!("Access denied: User {name} not authorized to remove collaborators from this dataset"),
        );
    }
    assert_eq!(w.state(&["secret"]), before);

    // Nor does admin reach up: org's admin cannot manage the parent's datasets' collaborators.
    w.server.as_site("package_create", json!({"name": "upper", "owner_org": "parent-org", "private": true}));
    let reply = w.call(
        "package_collaborator_create",
        json!({"id": "upper", "user_id": "collab", "capacity": "member"}),
        Persona::OrgAdmin,
    );
    assert_error(
        &reply,
        403,
        "Access denied: User orgadmin not authorized to add collaborators to this dataset",
    );
    let reply = w.call_as(
        "package_collaborator_create",
        json!({"id": "upper", "user_id": "collab", "capacity": "member"}),
        &above.parent_admin,
    );
    assert_eq!(reply.result()["capacity"], "member");
}
