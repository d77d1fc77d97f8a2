//! `user_invite`: CKAN's checks, then the answer CKAN gives when the invitation email cannot be
//! sent (datahavn sends none), with nothing created.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;
use serde_json::json;

#[test]
fn user_invite_checks_then_creates_nothing() {
    let server = TestServer::start();
    let (_, admin) = server.user_with_token("orgadmin", false);
    let (_, member) = server.user_with_token("member", false);
    let (_, sysadmin) = server.user_with_token("sysadmin", true);
    server.org("org", &[("orgadmin", "admin"), ("member", "member")]);
    let body = json!({"email": "new@example.org", "group_id": "org", "role": "editor"});

    let reply = server.action("user_invite", body.clone(), None);
    assert_eq!(reply.status, 403);
    assert_eq!(reply.error()["message"], "Access denied: Action user_invite requires an authenticated user");
    let reply = server.action("user_invite", body.clone(), Some(&member));
    assert_eq!(
        (reply.status, reply.error()["message"].as_str()),
        (403, Some("Access denied: User member not authorized to add members"))
    );

    let reply = server.action("user_invite", json!({"group_id": "org"}), Some(&admin));
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["email"], json!(["Missing value"]));
    assert_eq!(reply.error()["role"], json!(["Missing value"]));
    let reply = server.action(
        "user_invite",
        json!({"email": "nope", "group_id": "org", "role": "member"}),
        Some(&admin),
    );
    assert_eq!(reply.error()["email"], json!(["Email nope is not a valid format"]));
    let reply = server.action(
        "user_invite",
        json!({"email": "new@example.org", "group_id": "nowhere", "role": "member"}),
        Some(&sysadmin),
    );
    assert_eq!(reply.status, 404);

    let reply = server.action("user_invite", body, Some(&admin));
    assert_eq!(reply.status, 409);
    assert_eq!(
        reply.error(),
        json!({"message": "Error sending the invite email, the user was not created: datahavn sends no email", "__type": "Validation Error"})
    );
    let users = server.action("user_list", json!({}), Some(&sysadmin)).result();
    assert_eq!(users.as_array().unwrap().len(), 3, "no user was created");
}
