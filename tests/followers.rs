//! Following users, datasets, organizations and groups, and the dashboard, against a running
//! server: each action's answer, CKAN 2.12's validation and permission texts per persona, the
//! `num_followers` of organization, group and user dicts, deletions and purges, and private
//! datasets never showing through follower counts, followee lists or the dashboard.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::errors::{assert_error, denied, message, validation};
use common::{Reply, TestServer, keys};
use serde_json::{Value, json};

/// An organization with an admin, an editor and a member; a group; an outsider; a sysadmin; a
/// revoked token; a public and a private dataset of the organization, made by the editor.
struct World {
    server: TestServer,
    admin: String,
    org_admin: String,
    editor: String,
    editor_id: String,
    member: String,
    member_id: String,
    outsider: String,
    outsider_id: String,
    revoked: String,
    org_id: String,
    group_id: String,
    public_id: String,
    private_id: String,
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

fn world() -> World {
    let server = TestServer::start();
    let (_, admin) = server.user_with_token("admin", true);
    let (_, org_admin) = server.user_with_token("boss", false);
    let (editor_user, editor) = server.user_with_token("editor", false);
    let (member_user, member) = server.user_with_token("member", false);
    let (outsider_user, outsider) = server.user_with_token("outsider", false);
    let (_, revoked) = server.user_with_token("leaver", false);
    let org_id = server.org("fol-org", &[("boss", "admin"), ("editor", "editor"), ("member", "member")]);
    let group_id = server.group("fol-group", &[]);
    assert_eq!(server.action("api_token_revoke", json!({"token": revoked}), Some(&revoked)).status, 200);
    let public = server
        .action(
            "package_create",
            json!({"name": "open-data", "title": "Open data", "owner_org": "fol-org"}),
            Some(&editor),
        )
        .result();
    let private = server
        .action(
            "package_create",
            json!({"name": "hidden-data", "title": "Hidden data", "owner_org": "fol-org", "private": true}),
            Some(&editor),
        )
        .result();
    World {
        server,
        admin,
        org_admin,
        editor,
        editor_id: id_of(&editor_user),
        member,
        member_id: id_of(&member_user),
        outsider,
        outsider_id: id_of(&outsider_user),
        revoked,
        org_id,
        group_id,
        public_id: id_of(&public),
        private_id: id_of(&private),
    }
}

impl World {
    fn call(&self, action: &str, body: Value, token: Option<&str>) -> Reply {
        self.server.action(action, body, token)
    }

    fn ok(&self, action: &str, body: Value, token: Option<&str>) -> Value {
        let reply = self.call(action, body.clone(), token);
        assert_eq!(reply.status, 200, "{action} {body}: {}", reply.text);
        reply.result()
    }

    /// Every signed-in persona but the sysadmin, by name.
    fn users(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("outsider", &self.outsider),
            ("member", &self.member),
            ("editor", &self.editor),
            ("org admin", &self.org_admin),
        ]
    }

    /// Callers who are not signed in.
    fn anonymous(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("anonymous", None), ("revoked token", Some(&self.revoked))]
    }
}

fn names_of(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect()
}

const FOLLOWING_KEYS: [&str; 3] = ["follower_id", "object_id", "datetime"];

// follow_* and unfollow_*

#[test]
fn follow_user_answers_the_relationship_and_again_the_same_one() {
    let w = world();
    let row = w.ok("follow_user", json!({"id": "editor"}), Some(&w.member));
    assert_eq!(keys(&row), FOLLOWING_KEYS);
    assert_eq!(row["follower_id"], w.member_id);
    assert_eq!(row["object_id"], w.editor_id);
    let datetime = row["datetime"].as_str().unwrap();
    assert!(datetime.contains('T') && !datetime.ends_with('Z'), "{datetime}");
    // Following again (by id this time) is no error: the existing relationship comes back.
    assert_eq!(w.ok("follow_user", json!({"id": w.editor_id}), Some(&w.member)), row);
    assert_eq!(w.ok("user_follower_count", json!({"id": "editor"}), None), 1);
}

#[test]
fn follow_validation_and_permission_texts() {
    let w = world();
    for (action, noun) in [("follow_user", "user"), ("follow_dataset", "dataset"), ("follow_group", "group")]
    {
        let text = format!("Error validating the schema of the {noun} to follow.");
        for body in [json!({}), json!({"id": ""}), json!({"id": "nothing-here"}), json!({"id": ["a"]})] {
            assert_error(&w.call(action, body, Some(&w.member)), 409, &message(&text));
        }
        for (who, token) in w.anonymous() {
            let reply = w.call(action, json!({"id": "nothing-here"}), token);
            assert_error(
                &reply,
                403,
                &denied(&format!("Access denied: Action {action} requires an authenticated user")),
            );
            assert_eq!(reply.status, 403, "{who}");
        }
    }
    assert_error(
        &w.call("follow_user", json!({"id": "member"}), Some(&w.member)),
        409,
        &message("You cannot follow yourself"),
    );
    assert_error(
        &w.call("follow_user", json!({"id": w.member_id}), Some(&w.member)),
        409,
        &message("You cannot follow yourself"),
    );
    assert_eq!(w.ok("user_followee_count", json!({"id": "member"}), None), 0);
}

#[test]
fn follow_dataset_and_group_by_name_or_id() {
    let w = world();
    let row = w.ok("follow_dataset", json!({"id": "open-data"}), Some(&w.outsider));
    assert_eq!(row["object_id"], w.public_id);
    assert_eq!(row["follower_id"], w.outsider_id);
    assert_eq!(w.ok("follow_group", json!({"id": "fol-group"}), Some(&w.outsider))["object_id"], w.group_id);
    // follow_group follows organizations too.
    assert_eq!(w.ok("follow_group", json!({"id": w.org_id}), Some(&w.outsider))["object_id"], w.org_id);
    assert_eq!(w.ok("dataset_follower_count", json!({"id": w.public_id}), None), 1);
    assert_eq!(w.ok("group_follower_count", json!({"id": "fol-group"}), None), 1);
    assert_eq!(w.ok("organization_follower_count", json!({"id": "fol-org"}), None), 1);
    assert_eq!(w.ok("followee_count", json!({"id": "outsider"}), None), 3);
}

#[test]
fn a_private_dataset_is_followed_only_by_those_who_may_read_it() {
    let w = world();
    let refused = message("Error validating the schema of the dataset to follow.");
    assert_error(&w.call("follow_dataset", json!({"id": "hidden-data"}), Some(&w.outsider)), 409, &refused);
    assert_error(&w.call("follow_dataset", json!({"id": w.private_id}), Some(&w.outsider)), 409, &refused);
    for (who, token) in
        [("member", &w.member), ("editor", &w.editor), ("org admin", &w.org_admin), ("sysadmin", &w.admin)]
    {
        let reply = w.call("follow_dataset", json!({"id": "hidden-data"}), Some(token));
        assert_eq!(reply.status, 200, "{who}: {}", reply.text);
    }
    // Its follower count and am_following: as if there were no such dataset for outsiders.
    for token in [None, Some(w.outsider.as_str()), Some(w.revoked.as_str())] {
        assert_error(
            &w.call("dataset_follower_count", json!({"id": "hidden-data"}), token),
            409,
            &validation("id", "Not found: Dataset"),
        );
        assert_error(
            &w.call("am_following_dataset", json!({"id": "hidden-data"}), token),
            409,
            &validation("id", "Not found: Dataset"),
        );
    }
    assert_eq!(w.ok("dataset_follower_count", json!({"id": "hidden-data"}), Some(&w.member)), 4);
    assert_eq!(w.ok("am_following_dataset", json!({"id": "hidden-data"}), Some(&w.member)), true);
    // Unfollowing it needs no read right... but the outsider cannot name it either.
    assert_error(
        &w.call("unfollow_dataset", json!({"id": "hidden-data"}), Some(&w.outsider)),
        409,
        &message("Error validating the schema of the object to unfollow."),
    );
}

#[test]
fn drafts_and_deleted_datasets_are_followed_only_by_those_who_may_read_them() {
    let w = world();
    // A draft (only a sysadmin may set the state) and a deleted dataset, neither private.
    let draft = w.ok(
        "package_create",
        json!({"name": "draft-data", "owner_org": "fol-org", "state": "draft"}),
        Some(&w.admin),
    );
    assert_eq!(draft["state"], "draft");
    assert_eq!(draft["private"], false);
    w.ok("package_create", json!({"name": "gone-data", "owner_org": "fol-org"}), Some(&w.editor));
    w.ok("package_delete", json!({"id": "gone-data"}), Some(&w.editor));
    let not_found = validation("id", "Not found: Dataset");
    for name in ["draft-data", "gone-data"] {
        for token in [None, Some(w.outsider.as_str())] {
            let reply = w.call("dataset_follower_count", json!({"id": name}), token);
            assert_error(&reply, 409, &not_found);
        }
        let reply = w.call("am_following_dataset", json!({"id": name}), Some(&w.outsider));
        assert_error(&reply, 409, &not_found);
        let reply = w.call("follow_dataset", json!({"id": name}), Some(&w.outsider));
        assert_error(&reply, 409, &message("Error validating the schema of the dataset to follow."));
        let reply = w.call("unfollow_dataset", json!({"id": name}), Some(&w.outsider));
        assert_error(&reply, 409, &message("Error validating the schema of the object to unfollow."));
        let reply = w.call("dataset_follower_list", json!({"id": name}), Some(&w.outsider));
        assert_eq!(reply.status, 403, "{name}: {}", reply.text);
        // Who may read it (a member of its organization, a sysadmin) finds it.
        w.ok("am_following_dataset", json!({"id": name}), Some(&w.member));
        w.ok("dataset_follower_count", json!({"id": name}), Some(&w.admin));
    }
    w.ok("follow_dataset", json!({"id": "draft-data"}), Some(&w.member));
    assert_eq!(w.ok("dataset_follower_count", json!({"id": "draft-data"}), Some(&w.member)), 1);
}

#[test]
fn unfollow_stops_following_and_not_following_is_no_error() {
    let w = world();
    w.ok("follow_user", json!({"id": "editor"}), Some(&w.member));
    w.ok("follow_dataset", json!({"id": "open-data"}), Some(&w.member));
    w.ok("follow_group", json!({"id": "fol-org"}), Some(&w.member));
    for (action, id) in
        [("unfollow_user", "editor"), ("unfollow_dataset", "open-data"), ("unfollow_group", "fol-org")]
    {
        assert_eq!(w.ok(action, json!({"id": id}), Some(&w.member)), Value::Null);
        // Again: nothing to stop, still no error (CKAN 2.12).
        assert_eq!(w.ok(action, json!({"id": id}), Some(&w.member)), Value::Null);
        let text = "Error validating the schema of the object to unfollow.";
        for body in [json!({}), json!({"id": ""}), json!({"id": "nothing-here"})] {
            assert_error(&w.call(action, body, Some(&w.member)), 409, &message(text));
        }
        for (_, token) in w.anonymous() {
            assert_error(
                &w.call(action, json!({"id": id}), token),
                403,
                &denied(&format!("Access denied: Action {action} requires an authenticated user")),
            );
        }
    }
    assert_eq!(w.ok("followee_count", json!({"id": "member"}), None), 0);
    // Someone else's following is untouched by my unfollowing.
    w.ok("follow_user", json!({"id": "editor"}), Some(&w.outsider));
    w.ok("unfollow_user", json!({"id": "editor"}), Some(&w.member));
    assert_eq!(w.ok("user_follower_count", json!({"id": "editor"}), None), 1);
}

// am_following_*

#[test]
fn am_following_answers_for_the_caller_and_checks_id_first() {
    let w = world();
    w.ok("follow_user", json!({"id": "editor"}), Some(&w.member));
    w.ok("follow_dataset", json!({"id": "open-data"}), Some(&w.member));
    w.ok("follow_group", json!({"id": "fol-group"}), Some(&w.member));
    for (action, id, not_found) in [
        ("am_following_user", "editor", "Not found: User"),
        ("am_following_dataset", "open-data", "Not found: Dataset"),
        ("am_following_group", "fol-group", "Not found: Group"),
    ] {
        assert_eq!(w.ok(action, json!({"id": id}), Some(&w.member)), true, "{action}");
        assert_eq!(w.ok(action, json!({"id": id}), Some(&w.outsider)), false, "{action}");
        assert_eq!(w.ok(action, json!({"id": id}), Some(&w.admin)), false, "{action}");
        assert_eq!(
            w.server
                .get(&format!("/api/3/action/{action}?id={id}"), &[("Authorization", w.member.as_str())])
                .result(),
            true
        );
        assert_error(&w.call(action, json!({}), Some(&w.member)), 409, &validation("id", "Missing value"));
        assert_error(&w.call(action, json!({"id": "nothing-here"}), None), 409, &validation("id", not_found));
        for (_, token) in w.anonymous() {
            assert_error(&w.call(action, json!({"id": id}), token), 403, &denied("Access denied"));
        }
    }
    assert_eq!(w.ok("am_following_group", json!({"id": "fol-org"}), Some(&w.member)), false);
}

// *_follower_count and *_follower_list

#[test]
fn follower_counts_are_open_to_everyone() {
    let w = world();
    for token in [&w.member, &w.outsider, &w.editor] {
        w.ok("follow_group", json!({"id": "fol-org"}), Some(token));
    }
    w.ok("follow_group", json!({"id": "fol-group"}), Some(&w.member));
    w.ok("follow_user", json!({"id": "editor"}), Some(&w.member));
    for token in [None, Some(w.revoked.as_str()), Some(w.outsider.as_str()), Some(w.admin.as_str())] {
        assert_eq!(w.ok("organization_follower_count", json!({"id": "fol-org"}), token), 3);
        assert_eq!(w.ok("group_follower_count", json!({"id": w.group_id}), token), 1);
        assert_eq!(w.ok("user_follower_count", json!({"id": "editor"}), token), 1);
        assert_eq!(w.ok("user_follower_count", json!({"id": "member"}), token), 0);
        assert_eq!(w.ok("dataset_follower_count", json!({"id": "open-data"}), token), 0);
    }
    assert_eq!(w.server.get("/api/3/action/organization_follower_count?id=fol-org", &[]).result(), 3);
    for (action, not_found) in [
        ("user_follower_count", "Not found: User"),
        ("dataset_follower_count", "Not found: Dataset"),
        ("group_follower_count", "Not found: Group"),
        ("organization_follower_count", "Not found: Group"),
    ] {
        assert_error(&w.call(action, json!({}), None), 409, &validation("id", "Missing value"));
        assert_error(&w.call(action, json!({"id": ""}), None), 409, &validation("id", "Missing value"));
        assert_error(&w.call(action, json!({"id": "nothing-here"}), None), 409, &validation("id", not_found));
    }
}

#[test]
fn follower_lists_are_for_sysadmins() {
    let w = world();
    w.ok("follow_dataset", json!({"id": "open-data"}), Some(&w.outsider));
    w.ok("follow_dataset", json!({"id": "open-data"}), Some(&w.member));
    w.ok("follow_user", json!({"id": "editor"}), Some(&w.member));
    w.ok("follow_group", json!({"id": "fol-group"}), Some(&w.editor));
    w.ok("follow_group", json!({"id": "fol-org"}), Some(&w.org_admin));
    let cases = [
        ("dataset_follower_list", "open-data", vec!["member", "outsider"]),
        ("user_follower_list", "editor", vec!["member"]),
        ("group_follower_list", "fol-group", vec!["editor"]),
        ("organization_follower_list", "fol-org", vec!["boss"]),
    ];
    for (action, id, followers) in &cases {
        let list = w.ok(action, json!({"id": id}), Some(&w.admin));
        assert_eq!(names_of(&list), *followers, "{action}");
        // User dicts without email or API key, as user_list's.
        let listed = w.ok("user_list", json!({}), Some(&w.admin));
        let mine = listed.as_array().unwrap().iter().find(|u| u["name"] == followers[0]).unwrap().clone();
        let mut expected = mine.as_object().unwrap().clone();
        expected.remove("email");
        expected.remove("apikey");
        assert_eq!(list[0], Value::Object(expected), "{action}");
        for (who, token) in w.users() {
            assert_error(
                &w.call(action, json!({"id": id}), Some(token)),
                403,
                &denied("Access denied: Not authorized"),
            );
            // The permission check comes before the id's.
            let reply = w.call(action, json!({}), Some(token));
            assert_eq!(reply.status, 403, "{who} {action}");
        }
        for (_, token) in w.anonymous() {
            assert_error(
                &w.call(action, json!({"id": id}), token),
                403,
                &denied("Access denied: Not authorized"),
            );
        }
        assert_error(&w.call(action, json!({}), Some(&w.admin)), 409, &validation("id", "Missing value"));
    }
    assert_error(
        &w.call("dataset_follower_list", json!({"id": "nothing-here"}), Some(&w.admin)),
        409,
        &validation("id", "Not found: Dataset"),
    );
}

// followee counts and lists

#[test]
fn followee_counts_by_kind() {
    let w = world();
    w.ok("follow_user", json!({"id": "editor"}), Some(&w.member));
    w.ok("follow_user", json!({"id": "boss"}), Some(&w.member));
    w.ok("follow_dataset", json!({"id": "open-data"}), Some(&w.member));
    w.ok("follow_group", json!({"id": "fol-group"}), Some(&w.member));
    w.ok("follow_group", json!({"id": "fol-org"}), Some(&w.member));
    for token in [None, Some(w.outsider.as_str()), Some(w.member.as_str())] {
        assert_eq!(w.ok("user_followee_count", json!({"id": "member"}), token), 2);
        assert_eq!(w.ok("dataset_followee_count", json!({"id": "member"}), token), 1);
        assert_eq!(w.ok("group_followee_count", json!({"id": "member"}), token), 1);
        assert_eq!(w.ok("organization_followee_count", json!({"id": w.member_id}), token), 1);
        assert_eq!(w.ok("followee_count", json!({"id": "member"}), token), 5);
    }
    for action in [
        "followee_count",
        "user_followee_count",
        "dataset_followee_count",
        "group_followee_count",
        "organization_followee_count",
    ] {
        assert_error(&w.call(action, json!({}), None), 409, &validation("id", "Missing value"));
        assert_error(
            &w.call(action, json!({"id": "nothing-here"}), None),
            409,
            &validation("id", "Not found: User"),
        );
    }
}

#[test]
fn followee_lists_are_for_the_user_and_sysadmins() {
    let w = world();
    w.ok("follow_user", json!({"id": "editor"}), Some(&w.member));
    w.ok("follow_dataset", json!({"id": "open-data"}), Some(&w.member));
    w.ok("follow_group", json!({"id": "fol-group"}), Some(&w.member));
    w.ok("follow_group", json!({"id": "fol-org"}), Some(&w.member));
    for token in [&w.member, &w.admin] {
        assert_eq!(names_of(&w.ok("user_followee_list", json!({"id": "member"}), Some(token))), ["editor"]);
        let datasets = w.ok("dataset_followee_list", json!({"id": "member"}), Some(token));
        assert_eq!(datasets[0], w.ok("package_show", json!({"id": "open-data"}), Some(token)));
        assert_eq!(names_of(&datasets), ["open-data"]);
        let groups = w.ok("group_followee_list", json!({"id": w.member_id}), Some(token));
        assert_eq!(names_of(&groups), ["fol-group"]);
        assert_eq!(groups[0]["package_count"], 0);
        assert!(groups[0].get("packages").is_some() && groups[0].get("users").is_some(), "{}", groups[0]);
        assert_eq!(
            names_of(&w.ok("organization_followee_list", json!({"id": "member"}), Some(token))),
            ["fol-org"]
        );
    }
    // A user dict without email, as the follower lists give them.
    let users = w.ok("user_followee_list", json!({"id": "member"}), Some(&w.member));
    assert!(users[0].get("email").is_none(), "{}", users[0]);
    for action in
        ["user_followee_list", "dataset_followee_list", "group_followee_list", "organization_followee_list"]
    {
        for (who, token) in w.users() {
            if who == "member" {
                continue;
            }
            assert_error(
                &w.call(action, json!({"id": "member"}), Some(token)),
                403,
                &denied("Access denied: Not authorized"),
            );
        }
        for (_, token) in w.anonymous() {
            assert_error(
                &w.call(action, json!({"id": "member"}), token),
                403,
                &denied("Access denied: Not authorized"),
            );
        }
        // Permission first: an unknown user is someone else.
        assert_error(
            &w.call(action, json!({"id": "nothing-here"}), Some(&w.member)),
            403,
            &denied("Access denied: Not authorized"),
        );
        assert_error(
            &w.call(action, json!({"id": "nothing-here"}), Some(&w.admin)),
            409,
            &validation("id", "Not found: User"),
        );
        assert_error(&w.call(action, json!({}), Some(&w.admin)), 409, &validation("id", "Missing value"));
        assert_eq!(w.ok(action, json!({"id": "outsider"}), Some(&w.outsider)), json!([]));
    }
}

#[test]
fn followee_list_shape_order_and_q() {
    let w = world();
    w.ok("follow_user", json!({"id": "editor"}), Some(&w.member));
    w.ok("follow_dataset", json!({"id": "open-data"}), Some(&w.member));
    w.ok("follow_group", json!({"id": "fol-group"}), Some(&w.member));
    w.ok("follow_group", json!({"id": "fol-org"}), Some(&w.member));
    let list = w.ok("followee_list", json!({"id": "member"}), Some(&w.member));
    let entries: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(keys(e), ["type", "display_name", "dict"]);
            (e["type"].as_str().unwrap().to_owned(), e["display_name"].as_str().unwrap().to_owned())
        })
        .collect();
    // Sorted as Python sorts text: by code point, capitals first.
    let expected = [
        ("dataset", "Open data"),
        ("user", "editor"),
        ("group", "fol-group title"),
        ("organization", "fol-org title"),
    ];
    let expected: Vec<(String, String)> =
        expected.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    assert_eq!(entries, expected);
    assert_eq!(list[0]["dict"], w.ok("package_show", json!({"id": "open-data"}), None));
    assert_eq!(list, w.ok("followee_list", json!({"id": w.member_id}), Some(&w.admin)));
    // q: display names beginning with it, case and surrounding space ignored.
    let q = w.ok("followee_list", json!({"id": "member", "q": " FOL-"}), Some(&w.member));
    assert_eq!(q.as_array().unwrap().len(), 2);
    let q = w.ok("followee_list", json!({"id": "member", "q": "open"}), Some(&w.member));
    assert_eq!(q[0]["type"], "dataset");
    assert_eq!(w.ok("followee_list", json!({"id": "member", "q": "data"}), Some(&w.member)), json!([]));
    // The id is checked before the permission.
    assert_error(&w.call("followee_list", json!({}), None), 409, &validation("id", "Missing value"));
    assert_error(
        &w.call("followee_list", json!({"id": "nothing-here"}), None),
        409,
        &validation("id", "Not found: User"),
    );
    for (_, token) in w.anonymous() {
        assert_error(
            &w.call("followee_list", json!({"id": "member"}), token),
            403,
            &denied("Access denied: Not authorized"),
        );
    }
    for (who, token) in w.users() {
        if who != "member" {
            assert_error(
                &w.call("followee_list", json!({"id": "member"}), Some(token)),
                403,
                &denied("Access denied: Not authorized"),
            );
        }
    }
}

#[test]
fn private_datasets_never_show_through_followee_lists_and_counts() {
    let w = world();
    w.ok("follow_dataset", json!({"id": "hidden-data"}), Some(&w.member));
    w.ok("follow_dataset", json!({"id": "open-data"}), Some(&w.member));
    // The member reads it: listed (in the order followed) and counted for them and sysadmins.
    assert_eq!(
        names_of(&w.ok("dataset_followee_list", json!({"id": "member"}), Some(&w.member))),
        ["hidden-data", "open-data"]
    );
    assert_eq!(w.ok("dataset_followee_count", json!({"id": "member"}), Some(&w.member)), 2);
    assert_eq!(w.ok("followee_count", json!({"id": "member"}), Some(&w.admin)), 2);
    // Others count only what they may read.
    for token in [None, Some(w.outsider.as_str()), Some(w.revoked.as_str())] {
        assert_eq!(w.ok("dataset_followee_count", json!({"id": "member"}), token), 1);
        assert_eq!(w.ok("followee_count", json!({"id": "member"}), token), 1);
    }
    // Once the member leaves the organization, the dataset is gone from their lists too.
    w.ok("organization_member_delete", json!({"id": "fol-org", "username": "member"}), Some(&w.org_admin));
    assert_eq!(
        names_of(&w.ok("dataset_followee_list", json!({"id": "member"}), Some(&w.member))),
        ["open-data"]
    );
    let list = w.ok("followee_list", json!({"id": "member"}), Some(&w.member));
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert!(!list.to_string().contains(&w.private_id), "{list}");
    assert_eq!(w.ok("dataset_followee_count", json!({"id": "member"}), Some(&w.member)), 1);
    assert_eq!(w.ok("am_following_dataset", json!({"id": "open-data"}), Some(&w.member)), true);
    assert_error(
        &w.call("am_following_dataset", json!({"id": "hidden-data"}), Some(&w.member)),
        409,
        &validation("id", "Not found: Dataset"),
    );
    // A sysadmin still sees the following.
    assert_eq!(w.ok("dataset_follower_count", json!({"id": "hidden-data"}), Some(&w.admin)), 1);
    assert_eq!(
        names_of(&w.ok("dataset_follower_list", json!({"id": "hidden-data"}), Some(&w.admin))),
        ["member"]
    );
}

// num_followers in the dicts

#[test]
fn organization_group_and_user_dicts_count_their_followers() {
    let w = world();
    for token in [&w.member, &w.outsider] {
        w.ok("follow_group", json!({"id": "fol-org"}), Some(token));
        w.ok("follow_user", json!({"id": "editor"}), Some(token));
    }
    w.ok("follow_group", json!({"id": "fol-group"}), Some(&w.member));
    assert_eq!(w.ok("organization_show", json!({"id": "fol-org"}), None)["num_followers"], 2);
    assert_eq!(w.ok("group_show", json!({"id": "fol-group"}), None)["num_followers"], 1);
    assert_eq!(
        w.ok("organization_show", json!({"id": "fol-org", "include_followers": false}), None)["num_followers"],
        0
    );
    assert_eq!(
        w.ok("group_show", json!({"id": "fol-group", "include_followers": "false"}), None)["num_followers"],
        0
    );
    // The list dicts say 0, as CKAN's group_list (include_followers off).
    let listed = w.ok("organization_list", json!({"all_fields": true}), None);
    assert_eq!(listed[0]["num_followers"], 0);
    // user_show: only when asked.
    let shown = w.ok("user_show", json!({"id": "editor", "include_num_followers": true}), None);
    assert_eq!(shown["num_followers"], 2);
    assert!(w.ok("user_show", json!({"id": "editor"}), None).get("num_followers").is_none());
    assert_eq!(
        w.ok("user_show", json!({"id": "member", "include_num_followers": "true"}), None)["num_followers"],
        0
    );
    // Datasets carry no num_followers in CKAN 2.12.
    w.ok("follow_dataset", json!({"id": "open-data"}), Some(&w.member));
    assert!(w.ok("package_show", json!({"id": "open-data"}), None).get("num_followers").is_none());
}

// deletions and purges

#[test]
fn deleted_and_purged_objects_leave_no_follower_behind() {
    let w = world();
    w.ok("package_create", json!({"name": "doomed", "owner_org": "fol-org"}), Some(&w.editor));
    w.ok("package_create", json!({"name": "purged", "owner_org": "fol-org"}), Some(&w.editor));
    let doomed_group = w.ok("group_create", json!({"name": "doomed-group"}), Some(&w.admin));
    for name in ["doomed", "purged", "open-data"] {
        w.ok("follow_dataset", json!({"id": name}), Some(&w.member));
    }
    w.ok("follow_group", json!({"id": "doomed-group"}), Some(&w.member));
    w.ok("follow_group", json!({"id": "fol-group"}), Some(&w.member));
    w.ok("follow_user", json!({"id": "outsider"}), Some(&w.member));
    w.ok("follow_user", json!({"id": "editor"}), Some(&w.outsider));
    assert_eq!(w.ok("followee_count", json!({"id": "member"}), None), 6);

    w.ok("package_delete", json!({"id": "doomed"}), Some(&w.editor));
    w.ok("dataset_purge", json!({"id": "purged"}), Some(&w.admin));
    w.ok("group_purge", json!({"id": "doomed-group"}), Some(&w.admin));
    // A deleted user follows no one and is followed by no one any more.
    w.ok("user_delete", json!({"id": "outsider"}), Some(&w.admin));

    assert_eq!(
        names_of(&w.ok("dataset_followee_list", json!({"id": "member"}), Some(&w.member))),
        ["open-data"]
    );
    assert_eq!(
        names_of(&w.ok("group_followee_list", json!({"id": "member"}), Some(&w.member))),
        ["fol-group"]
    );
    assert_eq!(w.ok("user_followee_list", json!({"id": "member"}), Some(&w.member)), json!([]));
    assert_eq!(w.ok("followee_count", json!({"id": "member"}), None), 2);
    assert_eq!(w.ok("followee_list", json!({"id": "member"}), Some(&w.member)).as_array().unwrap().len(), 2);
    assert_eq!(w.ok("user_follower_count", json!({"id": "editor"}), None), 0);
    assert_eq!(w.ok("user_follower_list", json!({"id": "editor"}), Some(&w.admin)), json!([]));
    // A deleted dataset is still found, with no followers counted (as CKAN); a purged one is not.
    assert_eq!(w.ok("dataset_follower_count", json!({"id": "doomed"}), Some(&w.admin)), 0);
    assert_error(
        &w.call("dataset_follower_count", json!({"id": "purged"}), None),
        409,
        &validation("id", "Not found: Dataset"),
    );
    assert_error(
        &w.call("group_follower_count", json!({"id": id_of(&doomed_group)}), None),
        409,
        &validation("id", "Not found: Group"),
    );
    // The purged rows are gone for good: the names can be made and followed afresh.
    w.ok("package_create", json!({"name": "purged", "owner_org": "fol-org"}), Some(&w.editor));
    assert_eq!(w.ok("dataset_follower_count", json!({"id": "purged"}), None), 0);
    w.ok("follow_dataset", json!({"id": "purged"}), Some(&w.member));
    assert_eq!(w.ok("dataset_follower_count", json!({"id": "purged"}), None), 1);
}

// the dashboard

fn types(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|a| a["activity_type"].as_str().unwrap().to_owned()).collect()
}

fn object_ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|a| a["object_id"].as_str().unwrap().to_owned()).collect()
}

/// An activity's `timestamp` (`YYYY-MM-DDTHH:MM:SS[.ffffff]`, UTC) as Unix seconds.
fn unix_seconds(activity: &Value) -> f64 {
    let text = activity["timestamp"].as_str().unwrap();
    let (date, time) = text.split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    let (y, m, day) = (d[0], d[1], d[2]);
    // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let t: Vec<f64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    #[allow(clippy::cast_precision_loss)]
    let days = days as f64;
    days * 86_400.0 + t[0] * 3600.0 + t[1] * 60.0 + t[2]
}

#[test]
fn dashboard_needs_a_signed_in_user() {
    let w = world();
    for (_, token) in w.anonymous() {
        let text = "Access denied: Action dashboard_activity_list requires an authenticated user";
        assert_error(&w.call("dashboard_activity_list", json!({}), token), 403, &denied(text));
        assert_error(&w.call("dashboard_new_activities_count", json!({}), token), 403, &denied(text));
        assert_error(
            &w.call("dashboard_mark_activities_old", json!({}), token),
            403,
            &denied("Access denied: Action dashboard_mark_activities_old requires an authenticated user"),
        );
    }
    // Paging is checked as the activity streams check it.
    let reply = w.call("dashboard_activity_list", json!({"limit": "many"}), Some(&w.member));
    assert_eq!(reply.status, 409, "{}", reply.text);
    assert!(reply.error().get("limit").is_some(), "{}", reply.text);
    let reply = w.call("dashboard_activity_list", json!({"before": "yesterday"}), Some(&w.member));
    assert_eq!(reply.status, 409, "{}", reply.text);
    assert!(reply.error().get("before").is_some(), "{}", reply.text);
}

#[test]
fn dashboard_shows_own_and_followed_activities_and_what_is_new() {
    let w = world();
    // At first: the member's own account activity, never new.
    let list = w.ok("dashboard_activity_list", json!({}), Some(&w.member));
    assert_eq!(types(&list), ["new user"]);
    assert_eq!(list[0]["is_new"], false);
    let mut expected_keys: Vec<String> =
        ["id", "timestamp", "user_id", "object_id", "activity_type", "data", "permission_labels"]
            .map(String::from)
            .to_vec();
    expected_keys.push("is_new".into());
    assert_eq!(keys(&list[0]), expected_keys);
    assert_eq!(w.ok("dashboard_new_activities_count", json!({}), Some(&w.member)), 0);

    w.ok("follow_dataset", json!({"id": "open-data"}), Some(&w.member));
    w.ok("package_patch", json!({"id": "open-data", "notes": "changed"}), Some(&w.editor));
    let list = w.ok("dashboard_activity_list", json!({}), Some(&w.member));
    assert_eq!(types(&list), ["changed package", "new package", "new user"]);
    assert_eq!(list[0]["is_new"], true);
    assert_eq!(w.ok("dashboard_new_activities_count", json!({}), Some(&w.member)), 2);
    assert_eq!(
        w.server
            .get("/api/3/action/dashboard_new_activities_count", &[("Authorization", w.member.as_str())])
            .result(),
        2
    );

    assert_eq!(w.ok("dashboard_mark_activities_old", json!({}), Some(&w.member)), Value::Null);
    assert_eq!(w.ok("dashboard_new_activities_count", json!({}), Some(&w.member)), 0);
    let list = w.ok("dashboard_activity_list", json!({}), Some(&w.member));
    assert!(list.as_array().unwrap().iter().all(|a| a["is_new"] == false), "{list}");
    w.ok("package_patch", json!({"id": "open-data", "notes": "again"}), Some(&w.editor));
    assert_eq!(w.ok("dashboard_new_activities_count", json!({}), Some(&w.member)), 1);
    // Marking twice is fine.
    w.ok("dashboard_mark_activities_old", json!({}), Some(&w.member));
    w.ok("dashboard_mark_activities_old", json!({}), Some(&w.member));
    assert_eq!(w.ok("dashboard_new_activities_count", json!({}), Some(&w.member)), 0);
    // Someone else's dashboard is untouched.
    assert_eq!(types(&w.ok("dashboard_activity_list", json!({}), Some(&w.outsider))), ["new user"]);
}

#[test]
fn dashboard_follows_users_and_organizations_and_pages() {
    let w = world();
    w.ok("follow_user", json!({"id": "editor"}), Some(&w.outsider));
    let list = w.ok("dashboard_activity_list", json!({}), Some(&w.outsider));
    // The editor's public dataset and account; the outsider's own account.
    assert_eq!(types(&list), ["new package", "new user", "new user"]);
    assert_eq!(object_ids(&list)[0], w.public_id);
    assert!(!list.to_string().contains(&w.private_id), "{list}");

    let fresh = w.server.user_with_token("fresh", false).1;
    w.ok("follow_group", json!({"id": "fol-org"}), Some(&fresh));
    w.ok("organization_patch", json!({"id": "fol-org", "description": "now"}), Some(&w.org_admin));
    let list = w.ok("dashboard_activity_list", json!({}), Some(&fresh));
    // The organization's change, the fresh user's account, the organization's public dataset.
    assert_eq!(types(&list), ["changed organization", "new user", "new package"]);
    assert_eq!(object_ids(&list)[0], w.org_id);
    assert_eq!(object_ids(&list)[2], w.public_id);

    // Paging: limit, offset, before and after, newest first.
    let all = w.ok("dashboard_activity_list", json!({}), Some(&fresh));
    assert_eq!(w.ok("dashboard_activity_list", json!({"limit": 1}), Some(&fresh)), json!([all[0]]));
    assert_eq!(
        w.ok("dashboard_activity_list", json!({"limit": 1, "offset": 1}), Some(&fresh)),
        json!([all[1]])
    );
    assert_eq!(w.ok("dashboard_new_activities_count", json!({"limit": 1}), Some(&fresh)), 1);
    // Between two activities, so no rounding of the float can land on one.
    let between = |a: &Value, b: &Value| (unix_seconds(a) + unix_seconds(b)) / 2.0;
    let before = w.ok("dashboard_activity_list", json!({"before": between(&all[0], &all[1])}), Some(&fresh));
    assert_eq!(before, json!([all[1], all[2]]));
    let after = w.ok(
        "dashboard_activity_list",
        json!({"after": between(&all[1], &all[2]), "limit": 1}),
        Some(&fresh),
    );
    assert_eq!(after, json!([all[1]]));
    let after = w.ok(
        "dashboard_activity_list",
        json!({"after": between(&all[1], &all[2]).to_string()}),
        Some(&fresh),
    );
    assert_eq!(after, json!([all[0], all[1]]));
}

#[test]
fn private_datasets_never_reach_a_dashboard_that_may_not_read_them() {
    let w = world();
    // The outsider follows everything around the private dataset.
    w.ok("follow_user", json!({"id": "editor"}), Some(&w.outsider));
    w.ok("follow_group", json!({"id": "fol-org"}), Some(&w.outsider));
    // The member follows the dataset itself while they may read it.
    w.ok("follow_dataset", json!({"id": "hidden-data"}), Some(&w.member));
    w.ok("package_patch", json!({"id": "hidden-data", "notes": "secret"}), Some(&w.editor));
    let outsider = w.ok("dashboard_activity_list", json!({}), Some(&w.outsider));
    assert!(!object_ids(&outsider).contains(&w.private_id), "{outsider}");
    assert!(!outsider.to_string().contains("secret"), "{outsider}");
    let member = w.ok("dashboard_activity_list", json!({}), Some(&w.member));
    assert_eq!(object_ids(&member)[..2], [w.private_id.clone(), w.private_id.clone()]);
    assert_eq!(w.ok("dashboard_new_activities_count", json!({}), Some(&w.member)), 2);
    // A sysadmin following the editor sees it all.
    w.ok("follow_user", json!({"id": "editor"}), Some(&w.admin));
    let admin = w.ok("dashboard_activity_list", json!({}), Some(&w.admin));
    assert!(object_ids(&admin).contains(&w.private_id), "{admin}");
    // Out of the organization, the member's dashboard loses it.
    w.ok("organization_member_delete", json!({"id": "fol-org", "username": "member"}), Some(&w.org_admin));
    let member = w.ok("dashboard_activity_list", json!({}), Some(&w.member));
    assert!(!object_ids(&member).contains(&w.private_id), "{member}");
    assert_eq!(w.ok("dashboard_new_activities_count", json!({}), Some(&w.member)), 0);
}

#[test]
fn a_followed_groups_datasets_reach_the_dashboard_while_public_and_in_it() {
    let w = world();
    let fresh = w.server.user_with_token("fresh", false).1;
    w.ok("follow_group", json!({"id": "fol-group"}), Some(&fresh));
    assert_eq!(types(&w.ok("dashboard_activity_list", json!({}), Some(&fresh))), ["new user"]);
    for dataset in ["open-data", "hidden-data"] {
        let body =
            json!({"id": "fol-group", "object": dataset, "object_type": "package", "capacity": "public"});
        w.ok("member_create", body, Some(&w.admin));
    }
    // The group's datasets' history comes with them; the private one's never.
    let list = w.ok("dashboard_activity_list", json!({}), Some(&fresh));
    assert!(object_ids(&list).contains(&w.public_id), "{list}");
    assert!(!object_ids(&list).contains(&w.private_id), "{list}");
    let member_view = w.ok("dashboard_activity_list", json!({}), Some(&w.member));
    assert!(!object_ids(&member_view).contains(&w.private_id), "{member_view}");
    // Out of the group, out of the dashboard.
    let body = json!({"id": "fol-group", "object": "open-data", "object_type": "package"});
    w.ok("member_delete", body, Some(&w.admin));
    let list = w.ok("dashboard_activity_list", json!({}), Some(&fresh));
    assert!(!object_ids(&list).contains(&w.public_id), "{list}");
}
