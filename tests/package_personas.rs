//! Every persona against the core dataset and resource actions: who may read, change and
//! delete a public and a private dataset, and that refused calls change nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod world;

use serde_json::json;
use world::{EVERYONE, Persona, World, assert_error};

/// Who may read a private dataset of `org` (the collaborator only once made one).
fn reads_private(persona: Persona) -> bool {
    matches!(
        persona,
        Persona::Member | Persona::Editor | Persona::OrgAdmin | Persona::Collaborator | Persona::Sysadmin
    )
}

/// Who may edit a dataset of `org` (the collaborator as an `editor` collaborator).
fn edits(persona: Persona) -> bool {
    matches!(persona, Persona::Editor | Persona::OrgAdmin | Persona::Collaborator | Persona::Sysadmin)
}

#[test]
fn package_show_of_public_and_private_datasets() {
    let w = World::new();
    w.dataset("open", false, json!([{"url": "http://x.org/a.csv"}]));
    let secret = w.dataset("secret", true, json!([{"url": "http://x.org/b.csv"}]));
    w.collaborate("secret", "member");
    let resource = secret["resources"][0]["id"].as_str().unwrap().to_owned();
    for persona in EVERYONE {
        assert_eq!(w.get("package_show", "id=open", persona).status, 200, "{persona:?}");
        let shown = w.get("package_show", "id=secret", persona);
        let resource_shown = w.get("resource_show", &format!("id={resource}"), persona);
        if reads_private(persona) {
            assert_eq!(shown.result()["name"], "secret", "{persona:?}");
            assert_eq!(resource_shown.result()["id"], resource.as_str(), "{persona:?}");
        } else {
            let message = format!(
                "Access denied: User {} not authorized to read package {}",
                World::name(persona),
                secret["id"].as_str().unwrap()
            );
            assert_error(&shown, 403, &message);
            assert_eq!(resource_shown.status, 403, "{persona:?}");
        }
        // Lists never show the private dataset, whoever asks (package_list is public only).
        assert_eq!(w.get("package_list", "", persona).result(), json!(["open"]), "{persona:?}");
        let found = w.call("resource_search", json!({"query": "url:b.csv"}), persona).result();
        assert_eq!(found["count"], 0, "{persona:?}");
    }
}

#[test]
fn package_patch_update_and_delete_by_persona() {
    let w = World::new();
    for persona in EVERYONE {
        let name = format!("ds-{}", format!("{persona:?}").to_lowercase());
        w.dataset(&name, false, json!([]));
        if persona == Persona::Collaborator {
            w.collaborate(&name, "editor");
        }
        let before = w.state(&[&name]);
        let patched = w.call("package_patch", json!({"id": name, "notes": "changed"}), persona);
        let created =
            w.call("resource_create", json!({"package_id": name, "url": "http://x.org/c.json"}), persona);
        if edits(persona) {
            assert_eq!(patched.result()["notes"], "changed", "{persona:?}");
            assert_eq!(created.result()["format"], "JSON", "{persona:?}");
            let updated = w.call("package_update", json!({"id": name, "title": "T"}), persona).result();
            assert_eq!(updated["notes"], serde_json::Value::Null, "{persona:?}");
            assert_eq!(w.call("package_delete", json!({"id": name}), persona).status, 200, "{persona:?}");
            assert_eq!(w.show(&name)["state"], "deleted");
        } else {
            assert_eq!(patched.status, 403, "{persona:?}: {}", patched.text);
            assert_eq!(created.status, 403, "{persona:?}: {}", created.text);
            assert_eq!(w.call("package_update", json!({"id": name, "title": "T"}), persona).status, 403);
            assert_eq!(w.call("package_delete", json!({"id": name}), persona).status, 403, "{persona:?}");
            assert_eq!(w.state(&[&name]), before, "{persona:?} changed something");
        }
    }
}

#[test]
fn package_create_by_persona() {
    let w = World::new();
    for persona in EVERYONE {
        let name = format!("new-{}", format!("{persona:?}").to_lowercase());
        let reply = w.call("package_create", json!({"name": name, "owner_org": "org"}), persona);
        let may = matches!(persona, Persona::Editor | Persona::OrgAdmin | Persona::Sysadmin);
        if may {
            assert_eq!(reply.result()["organization"]["name"], "org", "{persona:?}");
        } else {
            assert_eq!(reply.status, 403, "{persona:?}: {}", reply.text);
        }
    }
    // The outsider is an admin elsewhere: it may create datasets, but not in `org`.
    let reply = w.call("package_create", json!({"name": "elsewhere", "owner_org": "org"}), Persona::Outsider);
    assert_error(
        &reply,
        403,
        "Access denied: User outsider not authorized to add dataset to this organization",
    );
    // Refused before the dataset is validated, as CKAN's auth function runs first: a bad
    // name and resources that are not a list change nothing.
    let reply = w.call(
        "package_create",
        json!({"name": "Not A Name!", "owner_org": "org", "resources": "none"}),
        Persona::Outsider,
    );
    assert_error(
        &reply,
        403,
        "Access denied: User outsider not authorized to add dataset to this organization",
    );
    let reply =
        w.call("package_create", json!({"name": "elsewhere", "owner_org": "other-org"}), Persona::Outsider);
    assert_eq!(reply.status, 200, "{}", reply.text);
    // The editor of both organizations may create in either.
    let reply =
        w.call("package_create", json!({"name": "editor-other", "owner_org": "other-org"}), Persona::Editor);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let names = w.get("package_list", "", Persona::Anonymous).result();
    assert_eq!(names, json!(["editor-other", "elsewhere", "new-editor", "new-orgadmin", "new-sysadmin"]));
}

#[test]
fn a_member_cannot_move_a_dataset_into_an_organization_it_cannot_write() {
    let w = World::new();
    w.dataset("mine", false, json!([]));
    // The org admin of `org` is nobody in `other-org`.
    let reply = w.call("package_patch", json!({"id": "mine", "owner_org": "other-org"}), Persona::OrgAdmin);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["owner_org"], json!(["You cannot add a dataset to this organization"]));
    assert_eq!(w.show("mine")["organization"]["name"], "org");
}

#[test]
fn admins_of_organizations_above_read_and_edit_datasets_below() {
    let w = World::new();
    let above = w.organizations_above();
    w.dataset("secret", true, json!([]));
    // Admin cascades down the hierarchy (CKAN's `roles_that_cascade_to_sub_groups`), from the
    // parent and from the parent's parent: read, search, edit, create, delete.
    for (token, title) in [(&above.parent_admin, "By the parent"), (&above.top_admin, "By the top")] {
        assert_eq!(w.call_as("package_show", json!({"id": "secret"}), token).status, 200);
        let found =
            w.call_as("package_search", json!({"q": "name:secret", "include_private": true}), token).result();
        assert_eq!(found["count"], 1, "{title}");
        let patched = w.call_as("package_patch", json!({"id": "secret", "title": title}), token).result();
        assert_eq!(patched["title"], title);
    }
    let created =
        w.call_as("package_create", json!({"name": "from-above", "owner_org": "org"}), &above.top_admin);
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(w.call_as("package_delete", json!({"id": "from-above"}), &above.parent_admin).status, 200);

    // Editors and members above hold nothing below.
    let before = w.state(&["secret"]);
    for token in [&above.parent_editor, &above.parent_member] {
        assert_eq!(w.call_as("package_show", json!({"id": "secret"}), token).status, 403);
        let found =
            w.call_as("package_search", json!({"q": "name:secret", "include_private": true}), token).result();
        assert_eq!(found["count"], 0);
        assert_eq!(w.call_as("package_patch", json!({"id": "secret", "title": "x"}), token).status, 403);
    }
    assert_eq!(w.state(&["secret"]), before);
}
