//! Activity stream actions against a running server: shapes, paging, filters, permissions, and
//! private datasets' activities staying with those who may read them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, keys};
use serde_json::{Value, json};

const ACTIVITY_KEYS: [&str; 7] =
    ["id", "timestamp", "user_id", "object_id", "activity_type", "data", "permission_labels"];

/// An organization with an editor and a member, an outsider, a sysadmin, a revoked token; a
/// public dataset created then changed, and a private one, both by the editor.
struct World {
    server: TestServer,
    admin: String,
    admin_id: String,
    editor: String,
    editor_id: String,
    member: String,
    outsider: String,
    revoked: String,
    public_id: String,
    private_id: String,
}

fn world() -> World {
    let server = TestServer::start();
    let (admin_user, admin) = server.user_with_token("admin", true);
    let (editor_user, editor) = server.user_with_token("editor", false);
    let (_, member) = server.user_with_token("member", false);
    let (_, outsider) = server.user_with_token("outsider", false);
    let (_, revoked) = server.user_with_token("leaver", false);
    server.org("act-org", &[("editor", "editor"), ("member", "member"), ("leaver", "admin")]);
    assert_eq!(server.action("api_token_revoke", json!({"token": revoked}), Some(&revoked)).status, 200);
    let public = server
        .action(
            "package_create",
            json!({"name": "open-data", "owner_org": "act-org", "notes": "old"}),
            Some(&editor),
        )
        .result();
    server.action("package_patch", json!({"id": "open-data", "notes": "new"}), Some(&editor)).result();
    let private = server
        .action(
            "package_create",
            json!({"name": "hidden-data", "owner_org": "act-org", "private": true}),
            Some(&editor),
        )
        .result();
    World {
        server,
        admin,
        admin_id: admin_user["id"].as_str().unwrap().to_owned(),
        editor,
        editor_id: editor_user["id"].as_str().unwrap().to_owned(),
        member,
        outsider,
        revoked,
        public_id: public["id"].as_str().unwrap().to_owned(),
        private_id: private["id"].as_str().unwrap().to_owned(),
    }
}

impl World {
    fn call(&self, action: &str, body: Value, token: Option<&str>) -> common::Reply {
        self.server.action(action, body, token)
    }

    /// Records an activity about a user directly (no action records user activities yet).
    fn user_activity(&self, kind: &str, by: &str, about: &str) -> Value {
        use datahavn_domain::Timestamp;
        use datahavn_domain::catalog::Activity;
        let activity = Activity {
            id: uuid::Uuid::new_v4().to_string(),
            timestamp: Timestamp::now(),
            user_id: by.to_owned(),
            object_id: about.to_owned(),
            group_ids: Vec::new(),
            activity_type: kind.to_owned(),
            public: true,
            permission_labels: vec!["public".to_owned()],
            data: json!({"user": {"id": about}, "actor": "admin"}),
        };
        self.server.services.store.write(|tx| tx.insert_activity(&activity)).expect("activity recorded");
        self.call("activity_show", json!({"id": activity.id}), Some(&self.admin)).result()
    }

    fn outsiders(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("anonymous", None), ("revoked token", Some(&self.revoked)), ("outsider", Some(&self.outsider))]
    }

    fn insiders(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![("member", Some(&self.member)), ("editor", Some(&self.editor)), ("sysadmin", Some(&self.admin))]
    }
}

fn types(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|a| a["activity_type"].as_str().unwrap().to_owned()).collect()
}

fn object_ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|a| a["object_id"].as_str().unwrap().to_owned()).collect()
}

// package_activity_list

#[test]
fn package_activity_list_shape_and_order() {
    let w = world();
    let list = w.server.get("/api/3/action/package_activity_list?id=open-data", &[]).result();
    assert_eq!(types(&list), ["changed package", "new package"]);
    let newest = &list[0];
    assert_eq!(keys(newest), ACTIVITY_KEYS);
    assert_eq!(newest["object_id"], w.public_id);
    assert_eq!(newest["user_id"], w.editor_id);
    assert_eq!(newest["permission_labels"], json!(["public"]));
    assert_eq!(newest["data"]["actor"], "editor");
    assert_eq!(newest["data"]["package"]["notes"], "new");
    assert_eq!(list[1]["data"]["package"]["notes"], "old");
    let timestamp = newest["timestamp"].as_str().unwrap();
    assert!(timestamp.len() >= 19 && !timestamp.ends_with('Z') && timestamp.contains('T'), "{timestamp}");
    // By id as by name, POST as GET.
    assert_eq!(w.call("package_activity_list", json!({"id": w.public_id}), None).result(), list);
}

#[test]
fn private_datasets_activity_is_for_those_who_may_read_them() {
    let w = world();
    for (who, token) in w.outsiders() {
        let reply = w.call("package_activity_list", json!({"id": "hidden-data"}), token);
        assert_eq!(reply.status, 403, "{who}");
        let name = if who == "outsider" { "outsider" } else { "" };
        assert_eq!(
            reply.error()["message"],
            format!("Access denied: User {name} not authorized to read package {}", w.private_id),
            "{who}"
        );
    }
    for (who, token) in w.insiders() {
        let list = w.call("package_activity_list", json!({"id": "hidden-data"}), token).result();
        assert_eq!(types(&list), ["new package"], "{who}");
        assert_eq!(
            list[0]["permission_labels"],
            json!([format!("collaborator-{}", w.private_id), format!("member-{}", org_id(&w))])
        );
    }
}

#[test]
fn a_collaborator_sees_the_private_datasets_activity_in_streams() {
    let w = world();
    let in_stream = |token: &str| {
        let list = w.call("user_activity_list", json!({"id": "editor"}), Some(token)).result();
        object_ids(&list).contains(&w.private_id)
    };
    assert!(!in_stream(&w.outsider), "not before being a collaborator");
    w.call(
        "package_collaborator_create",
        json!({"id": "hidden-data", "user_id": "outsider", "capacity": "member"}),
        Some(&w.admin),
    )
    .result();
    assert!(in_stream(&w.outsider), "the collaborator-<dataset> label lets them see it");
    let list = w.call("package_activity_list", json!({"id": "hidden-data"}), Some(&w.outsider)).result();
    assert_eq!(types(&list), ["new package"]);
}

fn org_id(w: &World) -> String {
    w.call("package_show", json!({"id": "open-data"}), None).result()["owner_org"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn package_activity_list_errors() {
    let w = world();
    let reply = w.call("package_activity_list", json!({}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["id"], json!(["Missing value"]));
    let reply = w.call("package_activity_list", json!({"id": "no-such-dataset"}), None);
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error()["message"], "Not found");
    let cases = [
        (json!({"limit": -1}), "limit", "Must be a natural number"),
        (json!({"limit": "many"}), "limit", "Invalid integer"),
        (json!({"offset": "x"}), "offset", "Invalid integer"),
        (json!({"after": "soon"}), "after", "Must be a float timestamp"),
        (json!({"before": [1]}), "before", "Must be a float timestamp"),
        (json!({"activity_types": "new package"}), "activity_types", "Not a list"),
        (json!({"activity_types": [1]}), "activity_types", "Not a string: 1"),
        (json!({"exclude_activity_types": {"a": 1}}), "exclude_activity_types", "Not a list"),
        (
            json!({"activity_types": ["new package"], "exclude_activity_types": []}),
            "activity_types",
            "Cannot be used together with `exclude_activity_types",
        ),
    ];
    for (mut body, field, message) in cases {
        body["id"] = json!("open-data");
        let reply = w.call("package_activity_list", body.clone(), None);
        assert_eq!(reply.status, 409, "{body}");
        // Text that is not an integer fails CKAN's two limit validators.
        let expected = if body["limit"] == "many" {
            json!([message, "Please enter an integer value"])
        } else {
            json!([message])
        };
        assert_eq!(reply.error()[field], expected, "{body}");
    }
    // Validation comes before the permission check, as in CKAN.
    let reply = w.call("package_activity_list", json!({"id": "hidden-data", "limit": "x"}), None);
    assert_eq!(reply.status, 409);
}

#[test]
fn package_activity_list_filters_by_type() {
    let w = world();
    let only_new =
        w.call("package_activity_list", json!({"id": "open-data", "activity_types": ["new package"]}), None);
    assert_eq!(types(&only_new.result()), ["new package"]);
    let not_new = w.call(
        "package_activity_list",
        json!({"id": "open-data", "exclude_activity_types": ["new package"]}),
        None,
    );
    assert_eq!(types(&not_new.result()), ["changed package"]);
    // Over GET, a repeated key is a list.
    let both = w.server.get(
        "/api/3/action/package_activity_list?id=open-data&activity_types=new+package&activity_types=deleted+package",
        &[],
    );
    assert_eq!(types(&both.result()), ["new package"]);
    let single =
        w.server.get("/api/3/action/package_activity_list?id=open-data&activity_types=new+package", &[]);
    assert_eq!(single.status, 409);
    assert_eq!(single.error()["activity_types"], json!(["Not a list"]));
}

#[test]
fn package_activity_list_pages() {
    let w = world();
    for i in 0..101 {
        w.call("package_patch", json!({"id": "open-data", "version": format!("{i}")}), Some(&w.editor))
            .result();
    }
    let page = w.call("package_activity_list", json!({"id": "open-data"}), None).result();
    assert_eq!(page.as_array().unwrap().len(), 31);
    assert_eq!(page[0]["data"]["package"]["version"], "100");
    let most = w.call("package_activity_list", json!({"id": "open-data", "limit": 1000}), None).result();
    assert_eq!(most.as_array().unwrap().len(), 100);
    let zero = w.call("package_activity_list", json!({"id": "open-data", "limit": 0}), None).result();
    assert_eq!(zero.as_array().unwrap().len(), 100);
    let second =
        w.call("package_activity_list", json!({"id": "open-data", "limit": 2, "offset": 1}), None).result();
    assert_eq!(second[0]["data"]["package"]["version"], "99");
    assert_eq!(second[1]["data"]["package"]["version"], "98");
    let tail = w.call("package_activity_list", json!({"id": "open-data", "offset": 101}), None).result();
    assert_eq!(types(&tail), ["changed package", "new package"]);
    // `after` alone pages forward from that time: the oldest ones, newest first.
    let first =
        w.call("package_activity_list", json!({"id": "open-data", "after": 0, "limit": 2}), None).result();
    assert_eq!(types(&first), ["changed package", "new package"]);
    assert_eq!(first[0]["data"]["package"]["notes"], "new");
    let future = "4102444800.5";
    let none = w.call("package_activity_list", json!({"id": "open-data", "after": future}), None).result();
    assert_eq!(none, json!([]));
    let before =
        w.call("package_activity_list", json!({"id": "open-data", "before": future, "limit": 1}), None);
    assert_eq!(before.result()[0]["data"]["package"]["version"], "100");
    let before_all = w.call("package_activity_list", json!({"id": "open-data", "before": 1}), None).result();
    assert_eq!(before_all, json!([]));
    let window = w
        .call(
            "package_activity_list",
            json!({"id": "open-data", "after": 0, "before": future, "limit": 1}),
            None,
        )
        .result();
    assert_eq!(window[0]["data"]["package"]["version"], "100");
}

#[test]
fn what_the_site_itself_did_is_hidden_unless_a_sysadmin_asks() {
    let w = world();
    w.server.as_site("package_create", json!({"name": "loaded", "owner_org": "act-org"}));
    w.call("package_patch", json!({"id": "loaded", "notes": "by hand"}), Some(&w.editor)).result();
    let list = w.call("package_activity_list", json!({"id": "loaded"}), None).result();
    assert_eq!(types(&list), ["changed package"]);
    let asked =
        w.call("package_activity_list", json!({"id": "loaded", "include_hidden_activity": true}), None);
    assert_eq!(types(&asked.result()), ["changed package"]);
    let editor = w.call(
        "package_activity_list",
        json!({"id": "loaded", "include_hidden_activity": true}),
        Some(&w.editor),
    );
    assert_eq!(types(&editor.result()), ["changed package"]);
    let admin = w.call(
        "package_activity_list",
        json!({"id": "loaded", "include_hidden_activity": "true"}),
        Some(&w.admin),
    );
    assert_eq!(types(&admin.result()), ["changed package", "new package"]);
    let recent = w.call("recently_changed_packages_activity_list", json!({}), Some(&w.admin)).result();
    assert_eq!(recent[0]["object_id"], list[0]["object_id"]);
    assert!(recent.as_array().unwrap().iter().all(|a| a["user_id"] != ""));
}

// user_activity_list

#[test]
fn user_activity_list_leaves_out_private_datasets_for_outsiders() {
    let w = world();
    // What was done to the user's account is in their stream too.
    let about = w.user_activity("changed user", &w.admin_id, &w.editor_id);
    for (who, token) in w.outsiders() {
        let list = w.call("user_activity_list", json!({"id": "editor"}), token).result();
        assert_eq!(list[0], about, "{who}");
        let ids = object_ids(&list);
        assert!(ids.contains(&w.public_id), "{who}");
        assert!(!ids.contains(&w.private_id), "{who}");
        assert!(!list.to_string().contains("hidden-data"), "{who}");
    }
    for (who, token) in w.insiders() {
        let list = w.call("user_activity_list", json!({"id": w.editor_id}), token).result();
        let ids = object_ids(&list);
        assert_eq!(
            ids,
            // ... and, oldest, the account's creation ("new user").
            [
                w.editor_id.clone(),
                w.private_id.clone(),
                w.public_id.clone(),
                w.public_id.clone(),
                w.editor_id.clone()
            ],
            "{who}"
        );
        assert_eq!(keys(&list[1]), ACTIVITY_KEYS);
    }
    let paged = w.server.get("/api/3/action/user_activity_list?id=editor&limit=1&offset=2", &[]).result();
    assert_eq!(types(&paged), ["new package"]);
    // The admin's stream has what they did to the editor's account, then their own creation.
    let admins = w.call("user_activity_list", json!({"id": "admin"}), None).result();
    assert_eq!(admins[0], about);
    assert_eq!(types(&admins), ["changed user", "new user"]);
    assert!(admins[1]["data"]["user"].get("email").is_none(), "activities never carry emails");
}

#[test]
fn user_activity_list_errors() {
    let w = world();
    let reply = w.call("user_activity_list", json!({}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["id"], json!(["Missing value"]));
    let reply = w.call("user_activity_list", json!({"id": "nobody"}), None);
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error()["message"], "Not found");
    let reply = w.call("user_activity_list", json!({"id": "editor", "limit": "x", "after": "y"}), None);
    assert_eq!(reply.status, 409);
    let error = reply.error();
    assert_eq!(error["limit"], json!(["Invalid integer", "Please enter an integer value"]));
    assert_eq!(error["after"], json!(["Must be a float timestamp"]));
}

// recently_changed_packages_activity_list

#[test]
fn recently_changed_packages_are_filtered_by_permission() {
    let w = world();
    for (who, token) in w.outsiders() {
        let list = w.call("recently_changed_packages_activity_list", json!({}), token).result();
        assert_eq!(object_ids(&list), [w.public_id.clone(), w.public_id.clone()], "{who}");
    }
    for (who, token) in w.insiders() {
        let list = w.server.get(
            "/api/3/action/recently_changed_packages_activity_list",
            &token.map(|t| vec![("Authorization", t)]).unwrap_or_default(),
        );
        let list = list.result();
        assert_eq!(
            object_ids(&list),
            [w.private_id.clone(), w.public_id.clone(), w.public_id.clone()],
            "{who}"
        );
        assert!(types(&list).iter().all(|t| t.ends_with("package")));
    }
    let one =
        w.call("recently_changed_packages_activity_list", json!({"limit": 1, "offset": 1}), None).result();
    assert_eq!(types(&one), ["new package"]);
    // A deleted public dataset stays in the public stream.
    w.call("package_delete", json!({"id": "open-data"}), Some(&w.editor)).result();
    let list = w.call("recently_changed_packages_activity_list", json!({}), None).result();
    assert_eq!(types(&list)[0], "deleted package");
    let reply = w.call("recently_changed_packages_activity_list", json!({"offset": -3}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["offset"], json!(["Must be a natural number"]));
}

// activity_show, activity_data_show

fn activity_of(w: &World, dataset: &str, kind: &str) -> Value {
    let list = w.call("package_activity_list", json!({"id": dataset}), Some(&w.admin)).result();
    list.as_array().unwrap().iter().find(|a| a["activity_type"] == kind).unwrap().clone()
}

#[test]
fn activity_show_follows_the_dataset() {
    let w = world();
    let public = activity_of(&w, "open-data", "changed package");
    let shown =
        w.server.get(&format!("/api/3/action/activity_show?id={}", public["id"].as_str().unwrap()), &[]);
    assert_eq!(shown.result(), public);
    let private = activity_of(&w, "hidden-data", "new package");
    for (who, token) in w.outsiders() {
        let reply = w.call("activity_show", json!({"id": private["id"]}), token);
        assert_eq!(reply.status, 403, "{who}");
        assert_eq!(reply.error()["message"], "Access denied: Unauthorized to view activity data");
    }
    for (who, token) in w.insiders() {
        assert_eq!(w.call("activity_show", json!({"id": private["id"]}), token).result(), private, "{who}");
    }
    // Activities of users are for sysadmins.
    let user_activity = w.user_activity("new user", &w.editor_id, &w.editor_id);
    let reply = w.call("activity_show", json!({"id": user_activity["id"]}), Some(&w.member));
    assert_eq!(reply.status, 403);
    assert_eq!(reply.error()["message"], "Access denied: object_type not recognized");
    assert_eq!(
        w.call("activity_show", json!({"id": user_activity["id"]}), Some(&w.admin)).result(),
        user_activity
    );
    let reply = w.call("activity_show", json!({}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["id"], json!(["Missing value"]));
    assert_eq!(w.call("activity_show", json!({"id": "no-such-activity"}), None).status, 404);
}

#[test]
fn activity_data_show_is_for_those_who_may_edit() {
    let w = world();
    let public = activity_of(&w, "open-data", "changed package");
    let data = w.call("activity_data_show", json!({"id": public["id"]}), Some(&w.editor)).result();
    assert_eq!(data, public["data"]);
    assert_eq!(keys(&data), ["package", "actor"]);
    let package = w
        .server
        .get(
            &format!(
                "/api/3/action/activity_data_show?id={}&object_type=package",
                public["id"].as_str().unwrap()
            ),
            &[("Authorization", &w.admin)],
        )
        .result();
    assert_eq!(package["notes"], "new");
    let reply =
        w.call("activity_data_show", json!({"id": public["id"], "object_type": "group"}), Some(&w.editor));
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error()["message"], "Not found: Could not find that object_type in the activity");
    // Reading the dataset is not enough to see the data (CKAN's default).
    for (who, token) in [("anonymous", None), ("member", Some(w.member.as_str()))] {
        let reply = w.call("activity_data_show", json!({"id": public["id"]}), token);
        assert_eq!(reply.status, 403, "{who}");
        let name = if who == "member" { "member" } else { "" };
        assert_eq!(
            reply.error()["message"],
            format!("Access denied: User {name} not authorized to edit package {}", w.public_id)
        );
    }
    let private = activity_of(&w, "hidden-data", "new package");
    let reply = w.call("activity_data_show", json!({"id": private["id"]}), Some(&w.outsider));
    assert_eq!(reply.error()["message"], "Access denied: Unauthorized to view activity data");
    assert_eq!(w.call("activity_data_show", json!({"id": private["id"]}), Some(&w.editor)).status, 200);
    assert_eq!(w.call("activity_data_show", json!({}), None).error()["id"], json!(["Missing value"]));
    assert_eq!(w.call("activity_data_show", json!({"id": "nope"}), Some(&w.admin)).status, 404);
}

// activity_diff

#[test]
fn activity_diff_compares_with_the_previous_activity() {
    let w = world();
    let changed = activity_of(&w, "open-data", "changed package");
    let created = activity_of(&w, "open-data", "new package");
    let diff = w
        .call("activity_diff", json!({"id": changed["id"], "object_type": "package"}), Some(&w.editor))
        .result();
    assert_eq!(keys(&diff), ["diff", "activities"]);
    assert_eq!(diff["activities"], json!([created, changed]));
    let text = diff["diff"].as_str().unwrap();
    assert!(text.starts_with("--- \n\n+++ \n\n@@ -"), "{text}");
    assert!(text.contains("\n-  \"notes\": \"old\",\n"), "{text}");
    assert!(text.contains("\n+  \"notes\": \"new\",\n"), "{text}");
    let context = w
        .call(
            "activity_diff",
            json!({"id": changed["id"], "object_type": "package", "diff_type": "context"}),
            Some(&w.admin),
        )
        .result();
    let text = context["diff"].as_str().unwrap();
    assert!(text.starts_with("*** \n\n--- \n\n***************\n\n*** "), "{text}");
    assert!(text.contains("\n!   \"notes\": \"old\",\n"), "{text}");
    assert!(text.contains("\n!   \"notes\": \"new\",\n"), "{text}");
}

#[test]
fn activity_diff_errors_and_permissions() {
    let w = world();
    let changed = activity_of(&w, "open-data", "changed package");
    let created = activity_of(&w, "open-data", "new package");
    let reply = w.call("activity_diff", json!({"object_type": "package"}), Some(&w.admin));
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["id"], json!(["Missing value"]));
    let reply = w.call("activity_diff", json!({"id": changed["id"]}), Some(&w.admin));
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["object_type"], json!(["Missing value"]));
    let reply =
        w.call("activity_diff", json!({"id": created["id"], "object_type": "package"}), Some(&w.admin));
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error()["message"], "Not found: Previous activity for this object not found");
    let reply = w.call("activity_diff", json!({"id": changed["id"], "object_type": "user"}), Some(&w.admin));
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error()["message"], "Not found: Could not find object in the activity data");
    let reply = w.call(
        "activity_diff",
        json!({"id": changed["id"], "object_type": "package", "diff_type": "word"}),
        Some(&w.admin),
    );
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error(), json!({"message": "diff_type not recognized", "__type": "Validation Error"}));
    assert_eq!(
        w.call("activity_diff", json!({"id": "nope", "object_type": "package"}), Some(&w.admin)).status,
        404
    );
    for (who, token) in w.outsiders().into_iter().chain([("member", Some(w.member.as_str()))]) {
        let reply = w.call("activity_diff", json!({"id": changed["id"], "object_type": "package"}), token);
        assert_eq!(reply.status, 403, "{who}");
    }
}

#[test]
fn a_new_users_activity_is_credited_to_that_user() {
    let w = world();
    let created = w
        .call(
            "user_create",
            json!({"name": "newbie", "email": "newbie@example.org", "password": "a-long-password"}),
            Some(&w.admin),
        )
        .result();
    let stream = w.call("user_activity_list", json!({"id": "newbie"}), Some(&w.admin)).result();
    assert_eq!(types(&stream), ["new user"]);
    assert_eq!(stream[0]["user_id"], created["id"], "CKAN credits it to the new user, not the sysadmin");
}

/// The objects named in a group's or organization's stream, as the admin sees it.
fn stream_objects(w: &World, action: &str, id: &str) -> Vec<String> {
    let stream = w.call(action, json!({"id": id, "limit": 100}), Some(&w.admin)).result();
    stream
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let data = &a["data"];
            let name = data["package"]["name"].as_str().or(data["group"]["name"].as_str()).unwrap();
            format!("{} {name}", a["activity_type"].as_str().unwrap())
        })
        .collect()
}

#[test]
fn group_and_organization_streams_follow_their_current_datasets() {
    let w = world();
    w.server.org("other-org", &[("editor", "editor")]);
    w.server.group("theme", &[("editor", "admin")]);
    w.call("package_patch", json!({"id": "open-data", "groups": [{"name": "theme"}]}), Some(&w.editor))
        .result();
    let org_stream = stream_objects(&w, "organization_activity_list", "act-org");
    assert!(org_stream.contains(&"changed package open-data".to_owned()), "{org_stream:?}");
    assert!(
        stream_objects(&w, "group_activity_list", "theme").contains(&"changed package open-data".to_owned())
    );

    // Moved to another organization: its whole history leaves the old one's stream (CKAN reads
    // an organization's stream through the datasets it holds now) and shows in the new one's.
    w.call("package_patch", json!({"id": "open-data", "owner_org": "other-org"}), Some(&w.editor)).result();
    let old = stream_objects(&w, "organization_activity_list", "act-org");
    assert!(old.iter().all(|a| !a.ends_with(" open-data")), "{old:?}");
    let new = stream_objects(&w, "organization_activity_list", "other-org");
    assert!(new.contains(&"new package open-data".to_owned()), "{new:?}");

    // Made private: out of every organization and group stream, for sysadmins too.
    w.call("package_patch", json!({"id": "open-data", "private": true}), Some(&w.editor)).result();
    let private = stream_objects(&w, "organization_activity_list", "other-org");
    assert!(private.iter().all(|a| !a.ends_with(" open-data")), "{private:?}");
    assert!(stream_objects(&w, "group_activity_list", "theme").iter().all(|a| !a.ends_with(" open-data")));

    // Public again, then deleted: a group still shows a deleted dataset that was in it.
    w.call("package_patch", json!({"id": "open-data", "private": false}), Some(&w.editor)).result();
    w.call("package_delete", json!({"id": "open-data"}), Some(&w.editor)).result();
    let group = stream_objects(&w, "group_activity_list", "theme");
    assert!(group.contains(&"deleted package open-data".to_owned()), "{group:?}");
    // Taken out of the group while active: gone from the group's stream.
    w.call(
        "package_create",
        json!({"name": "in-and-out", "owner_org": "act-org", "groups": [{"name": "theme"}]}),
        Some(&w.editor),
    )
    .result();
    assert!(
        stream_objects(&w, "group_activity_list", "theme").contains(&"new package in-and-out".to_owned())
    );
    w.call("package_patch", json!({"id": "in-and-out", "groups": []}), Some(&w.editor)).result();
    let left = stream_objects(&w, "group_activity_list", "theme");
    assert!(left.iter().all(|a| !a.ends_with(" in-and-out")), "{left:?}");
}
