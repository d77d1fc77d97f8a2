//! API tokens (ckan-api.md §1.5, §2.1 "Users and tokens", §3.5, §4.5): creating, listing and
//! revoking them, and how a request's token header turns into a caller. A bad token is never an
//! error by itself: the request runs as anonymous.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::errors::{assert_error, denied, not_found};
use std::time::{SystemTime, UNIX_EPOCH};

use common::{Reply, TestServer, keys, reference};
use datahavn_actions::TokenSigner;
use serde_json::{Value, json};

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url_decode(text: &str) -> Vec<u8> {
    let (mut bits, mut count, mut out) = (0u32, 0u32, Vec::new());
    for c in text.bytes() {
        let value = BASE64URL.iter().position(|&a| a == c).unwrap_or_else(|| panic!("not base64url: {text}"));
        bits = (bits << 6) | u32::try_from(value).unwrap();
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from(bits >> count).unwrap());
            bits &= (1 << count) - 1;
        }
    }
    out
}

fn base64url_encode(bytes: &[u8]) -> String {
    let (mut bits, mut count, mut out) = (0u32, 0u32, String::new());
    for &byte in bytes {
        bits = (bits << 8) | u32::from(byte);
        count += 8;
        while count >= 6 {
            count -= 6;
            out.push(char::from(BASE64URL[usize::try_from((bits >> count) & 63).unwrap()]));
        }
        bits &= (1 << count) - 1;
    }
    if count > 0 {
        out.push(char::from(BASE64URL[usize::try_from((bits << (6 - count)) & 63).unwrap()]));
    }
    out
}

/// The decoded header and claims of a JWT.
fn jwt_parts(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts: {token}");
    let decode = |part: &str| -> Value { serde_json::from_slice(&base64url_decode(part)).unwrap() };
    (decode(parts[0]), decode(parts[1]))
}

fn jti(token: &str) -> String {
    jwt_parts(token).1["jti"].as_str().unwrap().to_owned()
}

/// The token with the last character of its signature changed in a bit that carries data
/// (a 32-byte HS256 signature leaves the lowest two bits of its last character as padding).
fn tampered(token: &str) -> String {
    let last = token.bytes().last().unwrap();
    let index = BASE64URL.iter().position(|&a| a == last).unwrap();
    let mut changed = token[..token.len() - 1].to_owned();
    changed.push(char::from(BASE64URL[index ^ 0b10_0000]));
    assert_ne!(changed, token);
    changed
}

fn now() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff]`, no zone (ckan-api.md §3).
fn assert_ckan_timestamp(value: &Value) {
    let text = value.as_str().unwrap_or_else(|| panic!("not a timestamp: {value}"));
    let shape: String = text.chars().map(|c| if c.is_ascii_digit() { '9' } else { c }).collect();
    assert!(
        shape == "9999-99-99T99:99:99.999999" || shape == "9999-99-99T99:99:99",
        "not a CKAN timestamp: {text}"
    );
}

struct Site {
    server: TestServer,
    admin: String,
    alice: String,
    alice_id: String,
    bob: String,
}

fn site() -> Site {
    let server = TestServer::start();
    let (_, admin) = server.user_with_token("admin", true);
    let (alice_user, alice) = server.user_with_token("alice", false);
    let (_, bob) = server.user_with_token("bob", false);
    let alice_id = alice_user["id"].as_str().unwrap().to_owned();
    Site { server, admin, alice, alice_id, bob }
}

/// A user's tokens as the site sees them, without `last_access` (using a token moves it).
fn tokens_of(server: &TestServer, user: &str) -> Value {
    let mut tokens = server.as_site("api_token_list", json!({"user_id": user}));
    for token in tokens.as_array_mut().unwrap() {
        token.as_object_mut().unwrap().remove("last_access");
    }
    tokens
}

fn token_ids(server: &TestServer, user: &str) -> Vec<String> {
    tokens_of(server, user).as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect()
}

/// What anonymous callers get from `user_show` of alice, and from `user_create`.
fn anonymous_answers(server: &TestServer) -> (Reply, Reply) {
    let show = server.get("/api/3/action/user_show?id=alice", &[]);
    let create = server.action("user_create", new_user("mallory"), None);
    (show, create)
}

fn new_user(name: &str) -> Value {
    json!({"name": name, "email": format!("{name}@example.org"), "password": "password123"})
}

/// A request with these headers runs as anonymous: same `user_show` answer as without a token
/// (no email), and `user_create` is a 403 naming the empty user, never a 401.
fn assert_anonymous(server: &TestServer, headers: &[(&str, &str)], what: &str) {
    let (show, create) = anonymous_answers(server);
    let reply = server.get("/api/3/action/user_show?id=alice", headers);
    assert_eq!((reply.status, &reply.text), (show.status, &show.text), "{what}");
    assert!(reply.result().get("email").is_none(), "{what}");
    let mut request_headers = headers.to_vec();
    request_headers.retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
    let body = new_user("mallory").to_string();
    let reply =
        server.post_raw("/api/3/action/user_create", "application/json", body.as_bytes(), &request_headers);
    assert_eq!((reply.status, &reply.text), (create.status, &create.text), "{what}");
    assert_error(&reply, 403, &denied("Access denied: User  not authorized to create users via the API"));
    let reply = server.post_raw("/api/3/action/user_show", "application/json", b"{}", &request_headers);
    assert_error(&reply, 404, &not_found("Not found"));
}

// ---------------------------------------------------------------------------------------------
// api_token_create / api_token_list

#[test]
fn users_create_tokens_for_themselves_and_list_them_oldest_first() {
    let site = site();
    let reply =
        site.server.action("api_token_create", json!({"user": "alice", "name": "laptop"}), Some(&site.alice));
    let created = reply.result();
    assert_eq!(keys(&created), ["token", "id"]);
    let (id, token) = (created["id"].as_str().unwrap(), created["token"].as_str().unwrap());
    assert_eq!(id.len(), 43, "URL-safe base64 of 32 bytes: {id}");
    assert!(id.bytes().all(|b| BASE64URL.contains(&b)), "{id}");
    assert_eq!(jti(token), id);
    // The new token authenticates as alice.
    let me = site.server.action("user_show", json!({}), Some(token)).result();
    assert_eq!((me["name"].as_str(), me["email"].as_str()), (Some("alice"), Some("alice@example.org")));

    let first = jti(&site.alice);
    for (reply, how) in [
        (site.server.action("api_token_list", json!({"user_id": "alice"}), Some(&site.alice)), "user_id"),
        (site.server.action("api_token_list", json!({"user": "alice"}), Some(token)), "user"),
        (site.server.action("api_token_list", json!({"user_id": site.alice_id}), Some(&site.admin)), "by id"),
        (site.server.get("/api/3/action/api_token_list?user_id=alice", &[("Authorization", token)]), "GET"),
    ] {
        let list = reply.result();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 2, "{how}");
        for item in list {
            assert_eq!(keys(item), ["id", "name", "user_id", "created_at", "last_access"], "{how}");
            assert_eq!(item["user_id"], site.alice_id.as_str(), "{how}");
            assert_ckan_timestamp(&item["created_at"]);
        }
        let ids: Vec<&str> = list.iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [first.as_str(), id], "{how}: oldest first");
        let names: Vec<&str> = list.iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["test", "laptop"], "{how}");
        assert!(list[0]["created_at"].as_str() <= list[1]["created_at"].as_str());
        assert!(!reply.text.contains(token), "the token itself is never listed");
    }
}

#[test]
fn api_token_create_requires_user_and_name() {
    let site = site();
    let before = tokens_of(&site.server, "admin");
    // The recorded CKAN answer, field by field and in order.
    let recorded = reference("31_api_token_create_missing_409.json");
    let reply =
        site.server.action("api_token_create", recorded["request"]["body"].clone(), Some(&site.admin));
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error().to_string(), recorded["response"]["body"]["error"].to_string());
    assert_eq!(reply.error().to_string(), r#"{"name":["Missing value"],"__type":"Validation Error"}"#);

    let reply =
        site.server.action("api_token_create", json!({"user": "admin", "name": ""}), Some(&site.admin));
    assert_error(&reply, 409, &json!({"name": ["Missing value"], "__type": "Validation Error"}));
    let reply = site.server.action("api_token_create", json!({"name": "x"}), Some(&site.admin));
    assert_error(&reply, 409, &json!({"user": ["Missing value"], "__type": "Validation Error"}));
    let reply = site.server.action("api_token_create", json!({}), Some(&site.admin));
    assert_error(
        &reply,
        409,
        &json!({"user": ["Missing value"], "name": ["Missing value"], "__type": "Validation Error"}),
    );
    assert_eq!(tokens_of(&site.server, "admin"), before);
}

#[test]
fn api_token_create_for_an_unknown_user_is_404_for_everyone() {
    let site = site();
    for token in [None, Some(site.alice.as_str()), Some(site.admin.as_str())] {
        let reply = site.server.action("api_token_create", json!({"user": "ghost", "name": "x"}), token);
        assert_error(&reply, 404, &not_found("Not found: User not found"));
    }
}

#[test]
fn only_sysadmins_create_tokens_for_others() {
    let site = site();
    let before = (tokens_of(&site.server, "alice"), tokens_of(&site.server, "bob"));
    let body = json!({"user": "bob", "name": "stolen"});
    let reply = site.server.action("api_token_create", body.clone(), Some(&site.alice));
    assert_error(&reply, 403, &denied("Access denied"));
    let reply = site.server.action("api_token_create", body.clone(), None);
    assert_error(
        &reply,
        403,
        &denied("Access denied: Action api_token_create requires an authenticated user"),
    );
    assert_eq!((tokens_of(&site.server, "alice"), tokens_of(&site.server, "bob")), before);

    let created = site.server.action("api_token_create", body, Some(&site.admin)).result();
    let token = created["token"].as_str().unwrap();
    let me = site.server.action("user_show", json!({}), Some(token)).result();
    assert_eq!((me["name"].as_str(), me["email"].as_str()), (Some("bob"), Some("bob@example.org")));
    assert_eq!(token_ids(&site.server, "bob").len(), 2);
}

#[test]
fn api_token_list_is_for_the_owner_and_sysadmins() {
    let site = site();
    let reply = site.server.action("api_token_list", json!({"user_id": "bob"}), Some(&site.alice));
    assert_error(&reply, 403, &denied("Access denied"));
    let reply = site.server.action("api_token_list", json!({"user_id": "bob"}), None);
    assert_error(&reply, 403, &denied("Access denied"));
    let reply = site.server.action("api_token_list", json!({"user_id": "bob"}), Some(&site.admin));
    assert_eq!(reply.result().as_array().unwrap().len(), 1);
    let reply = site.server.action("api_token_list", json!({}), Some(&site.admin));
    assert_error(&reply, 409, &json!({"user_id": ["Missing value"], "__type": "Validation Error"}));
    let reply = site.server.action("api_token_list", json!({"user_id": "ghost"}), Some(&site.admin));
    assert_error(&reply, 404, &not_found("Not found: User not found"));
}

#[test]
fn last_access_is_set_once_the_token_is_used() {
    let site = site();
    let created = site.server.as_site("api_token_create", json!({"user": "alice", "name": "fresh"}));
    let (id, token) = (created["id"].as_str().unwrap(), created["token"].as_str().unwrap());
    let find = |list: Value| list.as_array().unwrap().iter().find(|t| t["id"] == id).cloned().unwrap();
    let listed =
        site.server.action("api_token_list", json!({"user_id": "alice"}), Some(&site.admin)).result();
    assert_eq!(find(listed)["last_access"], Value::Null);

    let reply = site.server.get("/api/3/action/user_show?id=bob", &[("Authorization", token)]);
    assert_eq!(reply.status, 200);
    let listed =
        site.server.action("api_token_list", json!({"user_id": "alice"}), Some(&site.admin)).result();
    let fresh = find(listed);
    assert_ckan_timestamp(&fresh["last_access"]);
    assert!(fresh["last_access"].as_str() >= fresh["created_at"].as_str(), "{fresh}");
    // The owner's last_active moves with it.
    let alice = site.server.as_site("user_show", json!({"id": "alice"}));
    assert_ckan_timestamp(&alice["last_active"]);
}

// ---------------------------------------------------------------------------------------------
// api_token_revoke

#[test]
fn revoking_by_jti_or_by_token_makes_the_token_anonymous() {
    let site = site();
    let second =
        site.server.action("api_token_create", json!({"user": "alice", "name": "second"}), Some(&site.alice));
    let second = second.result()["token"].as_str().unwrap().to_owned();

    // By jti, with another of alice's tokens.
    let reply = site.server.action("api_token_revoke", json!({"jti": jti(&second)}), Some(&site.alice));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.result(), Value::Null);
    assert_eq!(token_ids(&site.server, "alice"), [jti(&site.alice)]);
    assert_anonymous(&site.server, &[("Authorization", &second)], "revoked by jti");

    // By the token itself, using that very token.
    let reply = site.server.action("api_token_revoke", json!({"token": site.alice}), Some(&site.alice));
    assert_eq!(reply.result(), Value::Null);
    assert_eq!(token_ids(&site.server, "alice"), Vec::<String>::new());
    assert_anonymous(&site.server, &[("Authorization", &site.alice)], "revoked by token");
    // Revoking it again: the caller is anonymous now.
    let reply = site.server.action("api_token_revoke", json!({"token": site.alice}), Some(&site.alice));
    assert_error(
        &reply,
        403,
        &denied("Access denied: Action api_token_revoke requires an authenticated user"),
    );
}

#[test]
fn revoke_refusals_and_errors_change_nothing() {
    let site = site();
    let alice_jti = jti(&site.alice);
    let before = (tokens_of(&site.server, "alice"), tokens_of(&site.server, "bob"));
    let not_yours = denied("Access denied");
    let anonymous = denied("Access denied: Action api_token_revoke requires an authenticated user");
    let missing = json!({"token": ["Missing value"], "__type": "Validation Error"});
    let cases: Vec<(Value, Option<&str>, u16, Value)> = vec![
        (json!({"jti": alice_jti}), Some(&site.bob), 403, not_yours.clone()),
        (json!({"token": site.alice}), Some(&site.bob), 403, not_yours.clone()),
        (json!({"jti": alice_jti}), None, 403, anonymous.clone()),
        (json!({"token": "not-a-token"}), None, 403, anonymous),
        // CKAN does not tell an unknown token from someone else's.
        (json!({"jti": "no-such-token"}), Some(&site.bob), 403, not_yours.clone()),
        (json!({"token": "not-a-token"}), Some(&site.bob), 403, not_yours.clone()),
        (json!({}), Some(&site.bob), 409, missing.clone()),
        (json!({"token": "", "jti": ""}), Some(&site.bob), 409, missing.clone()),
        (json!({}), None, 409, missing),
    ];
    for (body, token, status, expected) in cases {
        let reply = site.server.action("api_token_revoke", body.clone(), token);
        assert_eq!(reply.status, status, "{body}: {}", reply.text);
        assert_eq!(reply.error(), expected, "{body}");
        assert_eq!((tokens_of(&site.server, "alice"), tokens_of(&site.server, "bob")), before, "{body}");
    }
    // A sysadmin skips CKAN's auth function: an unknown token revokes nothing.
    let reply = site.server.action("api_token_revoke", json!({"jti": "no-such-token"}), Some(&site.admin));
    assert_eq!(reply.result(), Value::Null);
    assert_eq!((tokens_of(&site.server, "alice"), tokens_of(&site.server, "bob")), before);
    // alice's token still works; a sysadmin may revoke it.
    let me = site.server.action("user_show", json!({}), Some(&site.alice)).result();
    assert_eq!(me["email"], "alice@example.org");
    let reply = site.server.action("api_token_revoke", json!({"jti": alice_jti}), Some(&site.admin));
    assert_eq!(reply.result(), Value::Null);
    assert_anonymous(&site.server, &[("Authorization", &site.alice)], "revoked by a sysadmin");
}

// ---------------------------------------------------------------------------------------------
// The token header

#[test]
fn raw_bearer_and_x_ckan_api_key_headers_all_authenticate() {
    let site = site();
    let bearer = format!("Bearer {}", site.alice);
    for headers in [
        vec![("Authorization", site.alice.as_str())],
        vec![("Authorization", bearer.as_str())],
        vec![("X-CKAN-API-Key", site.alice.as_str())],
        // What ckanapi sends: both.
        vec![("Authorization", site.alice.as_str()), ("X-CKAN-API-Key", site.alice.as_str())],
    ] {
        let reply = site.server.get("/api/3/action/user_show?id=alice", &headers);
        assert_eq!(reply.result()["email"], "alice@example.org", "{headers:?}");
        let reply = site.server.post_raw("/api/3/action/user_show", "application/json", b"{}", &headers);
        assert_eq!(reply.result()["name"], "alice", "{headers:?}");
        let reply = site.server.post_raw(
            "/api/3/action/api_token_list",
            "application/json",
            br#"{"user_id": "alice"}"#,
            &headers,
        );
        assert_eq!(reply.result().as_array().unwrap().len(), 1, "{headers:?}");
    }
    // A sysadmin's token through each form can do sysadmin things.
    let bearer = format!("Bearer {}", site.admin);
    for (n, headers) in [
        [("Authorization", site.admin.as_str())],
        [("Authorization", bearer.as_str())],
        [("X-CKAN-API-Key", site.admin.as_str())],
    ]
    .into_iter()
    .enumerate()
    {
        let body = new_user(&format!("made-{n}")).to_string();
        let reply =
            site.server.post_raw("/api/3/action/user_create", "application/json", body.as_bytes(), &headers);
        assert_eq!(reply.result()["name"], format!("made-{n}"), "{headers:?}");
    }
}

#[test]
fn bad_tokens_act_as_anonymous_and_are_never_a_401() {
    let site = site();
    let (header, claims) = jwt_parts(&site.alice);
    assert_eq!(header["alg"], "HS256");
    let other_secret = TokenSigner::new(b"another secret")
        .encode(&jti(&site.alice), claims["iat"].as_i64().unwrap())
        .unwrap();
    let unsigned = format!(
        "{}.{}.",
        base64url_encode(br#"{"alg":"none","typ":"JWT"}"#),
        base64url_encode(claims.to_string().as_bytes())
    );
    let tampered = tampered(&site.alice);
    let bearer_garbage = "Bearer not-a-token".to_owned();
    let cases: Vec<(&str, &str, &str)> = vec![
        ("Authorization", "not-a-token", "garbage"),
        ("Authorization", &bearer_garbage, "Bearer garbage"),
        ("X-CKAN-API-Key", "not-a-token", "garbage API key"),
        ("Authorization", &tampered, "signature changed"),
        ("Authorization", &other_secret, "signed with another secret"),
        ("Authorization", &unsigned, "alg none"),
        ("Authorization", "", "empty header"),
        ("Authorization", "Bearer ", "Bearer and nothing"),
        ("Authorization", "a.b.c", "three parts of nothing"),
    ];
    for (name, value, what) in cases {
        assert_anonymous(&site.server, &[(name, value)], what);
    }
    // The real token still works after all that.
    let me = site.server.action("user_show", json!({}), Some(&site.alice)).result();
    assert_eq!(me["email"], "alice@example.org");
}

#[test]
fn the_token_of_a_deleted_user_acts_as_anonymous() {
    let site = site();
    let (_, erin) = site.server.user_with_token("erin", false);
    assert_eq!(site.server.action("user_show", json!({}), Some(&erin)).result()["name"], "erin");
    let reply = site.server.action("user_delete", json!({"id": "erin"}), Some(&site.admin));
    assert_eq!(reply.result(), Value::Null);
    assert_anonymous(&site.server, &[("Authorization", &erin)], "deleted user");
    let reply = site.server.action("user_show", json!({"id": "erin"}), Some(&erin));
    assert_error(&reply, 404, &not_found("Not found"));
    let reply = site.server.action("api_token_revoke", json!({"token": erin}), Some(&erin));
    assert_error(
        &reply,
        403,
        &denied("Access denied: Action api_token_revoke requires an authenticated user"),
    );
}

#[test]
fn the_jwt_carries_exactly_jti_and_an_integer_iat() {
    let site = site();
    let before = now();
    let created =
        site.server.action("api_token_create", json!({"user": "alice", "name": "x"}), Some(&site.alice));
    let created = created.result();
    let after = now();
    let (header, claims) = jwt_parts(created["token"].as_str().unwrap());
    assert_eq!(header["alg"], "HS256");
    let mut names = keys(&claims);
    names.sort();
    assert_eq!(names, ["iat", "jti"]);
    assert_eq!(claims["jti"], created["id"]);
    let iat = claims["iat"].as_i64().unwrap_or_else(|| panic!("iat must be an integer: {claims}"));
    assert!(claims["iat"].is_i64());
    assert!((before..=after).contains(&iat), "{before} <= {iat} <= {after}");
}
