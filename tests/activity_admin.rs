//! The activity plugin's sysadmin actions: activity_create, activity_delete,
//! activity_delete_all, activity_delete_counts, send_email_notifications.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;
use serde_json::{Value, json};

struct World {
    server: TestServer,
    admin: String,
    user: String,
    user_id: String,
    dataset_id: String,
}

fn world() -> World {
    let server = TestServer::start();
    let (_, admin) = server.user_with_token("admin", true);
    let (user, token) = server.user_with_token("someone", false);
    server.org("org", &[("someone", "admin")]);
    let dataset =
        server.action("package_create", json!({"name": "data", "owner_org": "org"}), Some(&token)).result();
    World {
        server,
        admin,
        user: token,
        user_id: user["id"].as_str().unwrap().to_owned(),
        dataset_id: dataset["id"].as_str().unwrap().to_owned(),
    }
}

impl World {
    fn call(&self, action: &str, body: Value, token: Option<&str>) -> common::Reply {
        self.server.action(action, body, token)
    }
}

const ACTIONS: [&str; 5] = [
    "activity_create",
    "activity_delete",
    "activity_delete_all",
    "activity_delete_counts",
    "send_email_notifications",
];

#[test]
fn only_sysadmins_may_call_them() {
    let w = world();
    for action in ACTIONS {
        let reply = w.call(action, json!({"offset_days": 1}), None);
        assert_eq!(reply.status, 403, "{action}");
        assert_eq!(
            reply.error()["message"],
            format!("Access denied: Action {action} requires an authenticated user")
        );
        let reply = w.call(action, json!({"offset_days": 1}), Some(&w.user));
        assert_eq!(
            (reply.status, reply.error()["message"].as_str()),
            (403, Some("Access denied")),
            "{action}"
        );
    }
    let counts = w.call("activity_delete_counts", json!({}), Some(&w.admin)).result();
    assert!(counts["total"].as_i64().unwrap() >= 2);
}

#[test]
fn activity_create_validates_and_stores() {
    let w = world();
    let body = json!({"user_id": "someone", "object_id": w.dataset_id, "activity_type": "changed package",
        "data": {"note": "by hand"}, "permission_labels": ["public"]});
    let created = w.call("activity_create", body, Some(&w.admin)).result();
    assert_eq!(created["user_id"], w.user_id.as_str());
    assert_eq!(created["data"], json!({"note": "by hand"}));
    assert_eq!(created["permission_labels"], json!(["public"]));
    let stream = w.call("package_activity_list", json!({"id": "data"}), None).result();
    assert_eq!(stream[0]["id"], created["id"]);

    let cases = [
        (
            json!({}),
            json!({"user_id": ["Missing value"], "activity_type": ["Missing value"], "object_id": ["Missing value"]}),
        ),
        (
            json!({"user_id": "nobody", "object_id": w.dataset_id, "activity_type": "changed package"}),
            json!({"user_id": ["Not found: User"]}),
        ),
        (
            json!({"user_id": "someone", "object_id": w.dataset_id, "activity_type": "sang a song"}),
            json!({"activity_type": ["Not found: Activity type"], "object_id": ["There is no object_id validator for activity type \"sang a song\""]}),
        ),
        (
            json!({"user_id": "someone", "object_id": "data", "activity_type": "changed package"}),
            json!({"object_id": ["Not found: Dataset"]}),
        ),
        (
            json!({"user_id": "someone", "object_id": w.dataset_id, "activity_type": "changed user"}),
            json!({"object_id": ["Not found: User"]}),
        ),
    ];
    for (body, fields) in cases {
        let reply = w.call("activity_create", body.clone(), Some(&w.admin));
        assert_eq!(reply.status, 409, "{body}");
        let mut error = reply.error();
        error.as_object_mut().unwrap().remove("__type");
        let mut got: Vec<_> =
            error.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let mut want: Vec<_> =
            fields.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(got, want, "{body}");
    }
}

#[test]
fn activity_delete_by_id_range_offset_and_keep() {
    let w = world();
    for n in 0..3 {
        w.call("package_patch", json!({"id": "data", "notes": format!("v{n}")}), Some(&w.user)).result();
    }
    let stream = w.call("package_activity_list", json!({"id": "data"}), Some(&w.admin)).result();
    let newest = stream[0]["id"].as_str().unwrap().to_owned();
    let reply = w.call("activity_delete", json!({"id": newest}), Some(&w.admin));
    assert_eq!(reply.result(), json!({"message": "Activity purged"}));
    let reply = w.call("activity_delete", json!({"id": newest}), Some(&w.admin));
    assert_eq!(
        (reply.status, reply.error()["message"].as_str()),
        (404, Some("Not found: Activity not found"))
    );

    let reply = w.call("activity_delete", json!({}), Some(&w.admin));
    assert_eq!(reply.status, 409);
    assert_eq!(
        reply.error()["__before"],
        json!(["Either both start_date and end_date must be specified, or offset_days must be provided."])
    );
    let reply =
        w.call("activity_delete", json!({"start_date": "soon", "end_date": "2030-01-01"}), Some(&w.admin));
    assert_eq!(reply.error()["start_date"], json!(["Date format incorrect"]));
    let reply = w.call(
        "activity_delete",
        json!({"start_date": "2030-01-02", "end_date": "2030-01-01"}),
        Some(&w.admin),
    );
    assert_eq!(
        reply.error(),
        json!({"message": "start_date cannot be greater than end_date.", "__type": "Validation Error"})
    );
    // Nothing is older than a day yet.
    let reply = w.call("activity_delete", json!({"offset_days": 1}), Some(&w.admin));
    assert_eq!(reply.result(), json!({"message": "No activities found matching the specified criteria."}));

    // Keep the newest activity of each object.
    let reply = w.call("activity_delete", json!({"offset_days": 1, "keep": 1}), Some(&w.admin));
    assert!(reply.result()["message"].as_str().unwrap().starts_with("Deleted "), "{}", reply.text);
    let stream = w.call("package_activity_list", json!({"id": "data"}), Some(&w.admin)).result();
    assert_eq!(stream.as_array().unwrap().len(), 1);

    let reply = w.call(
        "activity_delete",
        json!({"start_date": "2000-01-01", "end_date": "2100-01-01"}),
        Some(&w.admin),
    );
    assert!(reply.result()["message"].as_str().unwrap().starts_with("Deleted "));
    let counts = w.call("activity_delete_counts", json!({}), Some(&w.admin)).result();
    assert_eq!(
        counts,
        json!({"older_than_1_day": 0, "older_than_30_days": 0, "older_than_365_days": 0, "total": 0})
    );
    let reply = w.call("activity_delete_all", json!({"batch_size": 10}), Some(&w.admin));
    assert_eq!(reply.result(), json!({"message": "No activities found matching the specified criteria."}));
    w.call("package_patch", json!({"id": "data", "notes": "again"}), Some(&w.user)).result();
    let reply = w.call("activity_delete_all", json!({}), Some(&w.admin));
    assert_eq!(reply.result(), json!({"message": "Deleted 1 rows from the activity table."}));
    let reply = w.call("activity_delete_all", json!({"batch_size": "x"}), Some(&w.admin));
    assert_eq!(reply.status, 409);
}

#[test]
fn send_email_notifications_is_off() {
    let w = world();
    let reply = w.call("send_email_notifications", json!({}), Some(&w.admin));
    assert_eq!(reply.status, 409);
    assert_eq!(
        reply.error(),
        json!({"message": "ckan.activity_streams_email_notifications is not enabled in config", "__type": "Validation Error"})
    );
}
