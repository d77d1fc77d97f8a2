//! CKAN's `ckan.auth.*` options for datasets, collaborators and user details, with CKAN 2.12's
//! defaults and switched: `allow_dataset_collaborators`, `allow_admin_collaborators`,
//! `create_unowned_dataset`, `create_dataset_if_not_in_organization`, `anon_create_dataset`,
//! `public_user_details`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Options, TestServer};
use datahavn_actions::AuthOptions;
use serde_json::{Value, json};

fn server(auth: AuthOptions) -> TestServer {
    TestServer::start_with(Options { auth, ..Options::default() })
}

fn message(reply: &common::Reply) -> Value {
    reply.error()["message"].clone()
}

#[test]
fn collaborators_are_off_by_default_as_in_ckan() {
    let server = server(AuthOptions::default());
    let (_, admin) = server.user_with_token("admin", true);
    let (_, editor) = server.user_with_token("editor", false);
    let (_, friend) = server.user_with_token("friend", false);
    server.org("org", &[("editor", "editor")]);
    server
        .action(
            "package_create",
            json!({"name": "secret", "owner_org": "org", "private": true}),
            Some(&editor),
        )
        .result();
    let not_enabled = json!("Dataset collaborators not enabled");
    let create = json!({"id": "secret", "user_id": "friend", "capacity": "editor"});
    let reply = server.action("package_collaborator_create", create.clone(), Some(&admin));
    assert_eq!((reply.status, message(&reply)), (409, not_enabled.clone()));
    // CKAN's checks before it: the role, the dataset and the user.
    let reply = server.action(
        "package_collaborator_create",
        json!({"id": "secret", "user_id": "friend", "capacity": "admin"}),
        Some(&admin),
    );
    assert_eq!(message(&reply), "Role must be one of \"editor, member\"");
    let reply = server.action(
        "package_collaborator_create",
        json!({"id": "nope", "user_id": "friend", "capacity": "editor"}),
        Some(&admin),
    );
    assert_eq!(reply.status, 404);
    for (action, body) in [
        ("package_collaborator_list", json!({"id": "secret"})),
        ("package_collaborator_list_for_user", json!({"id": "friend"})),
        ("package_collaborator_delete", json!({"id": "secret", "user_id": "friend"})),
    ] {
        let reply = server.action(action, body, Some(&admin));
        assert_eq!((reply.status, message(&reply)), (409, not_enabled.clone()), "{action}");
    }
    // A collaboration stored while they were on (written here straight to the database)
    // grants nothing while they are off.
    let secret = server.action("package_show", json!({"id": "secret"}), Some(&admin)).result();
    let friend_id = server.action("user_show", json!({"id": "friend"}), Some(&admin)).result()["id"].clone();
    let collaborator = datahavn_domain::catalog::Collaborator {
        package_id: secret["id"].as_str().unwrap().to_owned(),
        user_id: friend_id.as_str().unwrap().to_owned(),
        capacity: "editor".into(),
        modified: datahavn_domain::Timestamp::now(),
    };
    server.services.store.write(|tx| tx.upsert_collaborator(&collaborator)).unwrap();
    assert_eq!(server.action("package_show", json!({"id": "secret"}), Some(&friend)).status, 403);
    let reply = server.action("package_patch", json!({"id": "secret", "notes": "x"}), Some(&friend));
    assert_eq!(reply.status, 403);
}

#[test]
fn admin_collaborators_manage_collaborators_when_allowed() {
    let server = server(AuthOptions {
        allow_dataset_collaborators: true,
        allow_admin_collaborators: true,
        ..AuthOptions::default()
    });
    let (_, admin) = server.user_with_token("admin", true);
    let (_, editor) = server.user_with_token("editor", false);
    let (_, boss) = server.user_with_token("boss", false);
    let (_, friend) = server.user_with_token("friend", false);
    server.org("org", &[("editor", "editor")]);
    server
        .action(
            "package_create",
            json!({"name": "shared", "owner_org": "org", "private": true}),
            Some(&editor),
        )
        .result();
    let made = server
        .action(
            "package_collaborator_create",
            json!({"id": "shared", "user_id": "boss", "capacity": "admin"}),
            Some(&admin),
        )
        .result();
    assert_eq!(made["capacity"], "admin");
    // The admin collaborator edits the dataset and manages its collaborators.
    server.action("package_patch", json!({"id": "shared", "notes": "by boss"}), Some(&boss)).result();
    server
        .action(
            "package_collaborator_create",
            json!({"id": "shared", "user_id": "friend", "capacity": "member"}),
            Some(&boss),
        )
        .result();
    let listed = server.action("package_collaborator_list", json!({"id": "shared"}), Some(&boss)).result();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(server.action("package_show", json!({"id": "shared"}), Some(&friend)).status, 200);
    // A member collaborator may not manage them.
    let reply = server.action("package_collaborator_list", json!({"id": "shared"}), Some(&friend));
    assert_eq!(reply.status, 403);
    let reply = server.action(
        "package_collaborator_create",
        json!({"id": "shared", "user_id": "friend", "capacity": "owner"}),
        Some(&boss),
    );
    assert_eq!(message(&reply), "Role must be one of \"admin, editor, member\"");
}

#[test]
fn datasets_without_organization_when_allowed() {
    // CKAN's default: an organization is needed.
    let strict = server(AuthOptions::default());
    let (_, loner) = strict.user_with_token("loner", false);
    let reply = strict.action("package_create", json!({"name": "mine"}), Some(&loner));
    assert_eq!(reply.status, 403);
    assert_eq!(message(&reply), "Access denied: User loner not authorized to create packages");
    let (_, admin) = strict.user_with_token("admin", true);
    let reply = strict.action("package_create", json!({"name": "mine"}), Some(&admin));
    assert_eq!(reply.error()["owner_org"], json!(["An organization must be provided"]));

    let open = server(AuthOptions { create_unowned_dataset: true, ..AuthOptions::default() });
    let (_, loner) = open.user_with_token("loner", false);
    let (_, other) = open.user_with_token("other", false);
    let created = open.action("package_create", json!({"name": "mine"}), Some(&loner)).result();
    assert_eq!(created["owner_org"], Value::Null);
    assert_eq!(created["organization"], Value::Null);
    open.action("package_patch", json!({"id": "mine", "notes": "mine"}), Some(&loner)).result();
    assert_eq!(
        open.action("package_patch", json!({"id": "mine", "notes": "theirs"}), Some(&other)).status,
        403
    );
    let reply = open.action("package_create", json!({"name": "hidden", "private": true}), Some(&loner));
    assert_eq!(reply.error()["private"], json!(["Datasets with no organization can't be private."]));
    assert_eq!(open.action("package_show", json!({"id": "mine"}), None).status, 200);
    // Anonymous callers still may not, unless `anon_create_dataset` too.
    let reply = open.action("package_create", json!({"name": "anon"}), None);
    assert_eq!(reply.status, 403);
    // Without `create_dataset_if_not_in_organization`, only editors of some organization.
    let members_only = server(AuthOptions {
        create_unowned_dataset: true,
        create_dataset_if_not_in_organization: false,
        ..AuthOptions::default()
    });
    let (_, loner) = members_only.user_with_token("loner", false);
    let (_, editor) = members_only.user_with_token("editor", false);
    members_only.org("org", &[("editor", "editor")]);
    assert_eq!(members_only.action("package_create", json!({"name": "a1"}), Some(&loner)).status, 403);
    let unowned = members_only.action("package_create", json!({"name": "a2"}), Some(&editor)).result();
    assert_eq!(unowned["owner_org"], Value::Null);

    let anonymous = server(AuthOptions {
        create_unowned_dataset: true,
        anon_create_dataset: true,
        ..AuthOptions::default()
    });
    let created = anonymous.action("package_create", json!({"name": "from-anyone"}), None).result();
    assert_eq!(created["creator_user_id"], Value::Null);
    assert_eq!(
        anonymous.action("package_search", json!({"q": "name:from-anyone"}), None).result()["count"],
        1
    );
}

#[test]
fn user_details_for_logged_in_callers_only_when_not_public() {
    let server = server(AuthOptions { public_user_details: false, ..AuthOptions::default() });
    let (_, someone) = server.user_with_token("someone", false);
    let (_, member) = server.user_with_token("member", false);
    server.org("org", &[("member", "member")]);
    for (action, body) in [
        ("user_list", json!({})),
        ("user_show", json!({"id": "someone"})),
        ("user_autocomplete", json!({"q": "some"})),
    ] {
        let reply = server.action(action, body.clone(), None);
        assert_eq!((reply.status, message(&reply)), (403, json!("Access denied")), "{action}");
        assert_eq!(server.action(action, body, Some(&someone)).status, 200, "{action}");
    }
    // Asking for an organization's users needs a member's read permission.
    let reply = server.action("organization_show", json!({"id": "org", "include_users": true}), None);
    assert_eq!(reply.status, 403);
    assert!(message(&reply).as_str().unwrap().contains("not authorized to read group"), "{}", reply.text);
    assert_eq!(
        server
            .action("organization_show", json!({"id": "org", "include_users": true}), Some(&someone))
            .status,
        403
    );
    assert_eq!(
        server.action("organization_show", json!({"id": "org", "include_users": true}), Some(&member)).status,
        200
    );
    assert_eq!(server.action("organization_show", json!({"id": "org"}), None).status, 200);
    // CKAN's default shows them to everyone.
    let public = self::server(AuthOptions::default());
    public.user_with_token("someone", false);
    assert_eq!(public.action("user_show", json!({"id": "someone"}), None).status, 200);
}
