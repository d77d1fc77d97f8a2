//! The user actions (ckan-api.md §2.1 "Users and tokens", §3.4, §4.1, §4.5) against a running
//! server, for every kind of caller: anonymous, the user themself, another user, a sysadmin, a
//! revoked token and the token of a deleted user (the last two act as anonymous).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::errors::{assert_error, denied, not_found, validation};
use common::{Options, Reply, TestServer, keys};
use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;
use serde_json::{Value, json};

const NAME_TAKEN: &str =
    "The username is already associated with another account. Please use a different username.";
const NAME_FIXED: &str = "That login name can not be modified.";
const SPAM: &str = "Edit not allowed as it looks like spam. Please avoid links in your description.";
const SHORT_PASSWORD: &str = "Your password must be 8 characters or longer";

/// The callers every action is tried with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Persona {
    Anonymous,
    /// alice, acting on herself.
    Itself,
    /// bob, acting on alice.
    Other,
    Sysadmin,
    /// carol's token, revoked.
    Revoked,
    /// dave's token; dave was deleted with `user_delete`.
    DeletedUser,
}

/// Anonymous first, and the two that must act exactly like it right after: nothing that uses a
/// live token (and so moves `last_active`) comes between them. The sysadmin, who may change
/// things, comes last.
const PERSONAS: [Persona; 6] = [
    Persona::Anonymous,
    Persona::Revoked,
    Persona::DeletedUser,
    Persona::Itself,
    Persona::Other,
    Persona::Sysadmin,
];

/// A server with admin (sysadmin), alice, bob, carol (whose token is revoked) and dave (deleted).
struct Cast {
    server: TestServer,
    admin: String,
    alice: String,
    bob: String,
    revoked: String,
    deleted: String,
    alice_id: String,
}

impl Cast {
    fn new() -> Self {
        Self::with(TestServer::start())
    }

    fn with(server: TestServer) -> Self {
        let (_, admin) = server.user_with_token("admin", true);
        let (alice_dict, alice) = server.user_with_token("alice", false);
        let (_, bob) = server.user_with_token("bob", false);
        let (_, revoked) = server.user_with_token("carol", false);
        assert_eq!(server.as_site("api_token_revoke", json!({"token": revoked})), Value::Null);
        let (_, deleted) = server.user_with_token("dave", false);
        assert_eq!(server.as_site("user_delete", json!({"id": "dave"})), Value::Null);
        let alice_id = alice_dict["id"].as_str().unwrap().to_owned();
        Self { server, admin, alice, bob, revoked, deleted, alice_id }
    }

    fn token(&self, persona: Persona) -> Option<&str> {
        match persona {
            Persona::Anonymous => None,
            Persona::Itself => Some(&self.alice),
            Persona::Other => Some(&self.bob),
            Persona::Sysadmin => Some(&self.admin),
            Persona::Revoked => Some(&self.revoked),
            Persona::DeletedUser => Some(&self.deleted),
        }
    }

    fn call(&self, persona: Persona, action: &str, body: Value) -> Reply {
        self.server.action(action, body, self.token(persona))
    }
}

/// An action run directly as the site, or `None` when it fails.
fn try_as_site(server: &TestServer, action: &str, body: Value) -> Option<Value> {
    let Value::Object(map) = body else { panic!("object expected") };
    let actor = Actor::Site;
    datahavn_actions::call(&server.services, actor, action, &Params::new(map)).ok()
}

/// Everything a user action could change: every user as a sysadmin sees it (password hash and
/// plugin extras included; the deleted dave too) and their tokens. `last_active`/`last_access`
/// are left out: using a token legitimately moves them.
fn snapshot(server: &TestServer) -> Value {
    let mut names = names(server).as_array().unwrap().clone();
    names.push(json!("dave"));
    let users = names
        .iter()
        .map(|name| {
            let show = json!({"id": name, "include_password_hash": true, "include_plugin_extras": true});
            let mut user = try_as_site(server, "user_show", show).unwrap_or(Value::Null);
            if let Some(user) = user.as_object_mut() {
                user.remove("last_active");
            }
            // api_token_list answers for active users only.
            let mut tokens =
                try_as_site(server, "api_token_list", json!({"user_id": name})).unwrap_or(Value::Null);
            for token in tokens.as_array_mut().into_iter().flatten() {
                token.as_object_mut().unwrap().remove("last_access");
            }
            json!({"user": user, "tokens": tokens})
        })
        .collect();
    Value::Array(users)
}

/// The names `user_list` gives a sysadmin (deleted users are left out).
fn names(server: &TestServer) -> Value {
    server.as_site("user_list", json!({"all_fields": false, "limit": 1000}))
}

/// Two replies are the same answer (status and body).
fn assert_same(reply: &Reply, expected: &Reply, persona: Persona) {
    assert_eq!((reply.status, &reply.text), (expected.status, &expected.text), "{persona:?}");
}

fn new_user(name: &str) -> Value {
    json!({"name": name, "email": format!("{name}@example.org"), "password": "password123"})
}

// ---------------------------------------------------------------------------------------------
// user_create

#[test]
fn user_create_by_a_sysadmin_returns_the_user_with_email() {
    let cast = Cast::new();
    let body = json!({
        "name": "erin",
        "email": "  Erin@Example.org ",
        "password": "password123",
        "fullname": "Erin Example",
        "about": "Maps and more maps",
        "image_url": "https://img.example/erin.png",
    });
    let reply = cast.call(Persona::Sysadmin, "user_create", body);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let user = reply.result();
    assert_eq!(user["name"], "erin");
    assert_eq!(user["email"], "Erin@Example.org", "the address is stored trimmed");
    assert_eq!(user["apikey"], Value::Null);
    assert_eq!(user["fullname"], "Erin Example");
    assert_eq!(user["display_name"], "Erin Example");
    assert_eq!(user["about"], "Maps and more maps");
    assert_eq!(user["image_url"], "https://img.example/erin.png");
    assert_eq!(user["image_display_url"], "https://img.example/erin.png");
    assert_eq!(user["email_hash"], "f488678e9ed075f1e9ca3c1996f99b9f");
    assert_eq!(user["sysadmin"], false);
    assert_eq!(user["state"], "active");
    assert_eq!(user["number_created_packages"], 0);
    assert_eq!(user["last_active"], Value::Null);
    assert_eq!(uuid::Uuid::parse_str(user["id"].as_str().unwrap()).unwrap().get_version_num(), 4);
    for secret in ["password", "password_hash", "reset_key", "token", "plugin_extras"] {
        assert!(user.get(secret).is_none(), "{secret} in {user}");
    }
    // Stored, with an argon2 hash rather than the password itself.
    let shown = cast.server.as_site("user_show", json!({"id": "erin", "include_password_hash": true}));
    assert_eq!(shown["id"], user["id"]);
    assert!(shown["password_hash"].as_str().unwrap().starts_with("$argon2id$"));
    assert_eq!(names(&cast.server), json!(["admin", "alice", "bob", "carol", "erin"]));
}

#[test]
fn user_create_by_a_sysadmin_may_set_id_sysadmin_state_and_plugin_extras() {
    let cast = Cast::new();
    let id = "0b8c5f2e-6a55-4f3a-9a41-7d1c3b2e9f10";
    let body = json!({
        "id": id, "name": "root2", "email": "root2@example.org", "password": "password123",
        "sysadmin": true, "state": "pending", "plugin_extras": {"k": "v"},
    });
    let user = cast.call(Persona::Sysadmin, "user_create", body).result();
    assert_eq!((user["id"].as_str(), user["sysadmin"].as_bool()), (Some(id), Some(true)));
    assert_eq!(user["state"], "pending");
    let shown = cast.server.as_site("user_show", json!({"id": id, "include_plugin_extras": true}));
    assert_eq!(shown["plugin_extras"], json!({"k": "v"}));
    // An id that is taken is refused.
    let again = json!({"id": id, "name": "root3", "email": "root3@example.org", "password": "password123"});
    let before = snapshot(&cast.server);
    let reply = cast.call(Persona::Sysadmin, "user_create", again);
    assert_error(&reply, 409, &validation("id", "User id already exists"));
    assert_eq!(snapshot(&cast.server), before);
}

#[test]
fn user_create_validation_errors_have_ckans_messages_and_change_nothing() {
    let cast = Cast::new();
    let long_name = "a".repeat(101);
    let cases: Vec<(Value, Value)> = vec![
        (json!({"name": "a"}), validation("name", "Must be at least 2 characters long")),
        (
            json!({"name": "Bad Name!"}),
            validation(
                "name",
                "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_",
            ),
        ),
        (json!({"name": "new"}), validation("name", "That name cannot be used")),
        (json!({"name": "edit"}), validation("name", "That name cannot be used")),
        (json!({"name": long_name}), validation("name", "Name must be a maximum of 100 characters long")),
        (json!({"name": ["x", "y"]}), validation("name", "User names must be strings")),
        (json!({"name": null}), validation("name", "Missing value")),
        (json!({"name": "alice"}), validation("name", NAME_TAKEN)),
        // Deleted users keep their names.
        (json!({"name": "dave"}), validation("name", NAME_TAKEN)),
        (json!({"email": null}), validation("email", "Missing value")),
        (json!({"email": ""}), validation("email", "Missing value")),
        (json!({"email": "   "}), validation("email", "Missing value")),
        (json!({"email": "not-an-email"}), validation("email", "Email not-an-email is not a valid format")),
        (
            json!({"email": "a b@example.org"}),
            validation("email", "Email a b@example.org is not a valid format"),
        ),
        (
            json!({"email": "ALICE@Example.ORG"}),
            validation("email", "The email address 'ALICE@Example.ORG' belongs to a registered user."),
        ),
        // So do deleted users' addresses.
        (
            json!({"email": "dave@example.org"}),
            validation("email", "The email address 'dave@example.org' belongs to a registered user."),
        ),
        (json!({"password": null}), validation("password", "Missing value")),
        (json!({"password": ""}), validation("password", "Missing value")),
        (json!({"password": "1234567"}), validation("password", SHORT_PASSWORD)),
        (json!({"about": "visit http://spam.example"}), validation("about", SPAM)),
        (json!({"about": "or https://spam.example"}), validation("about", SPAM)),
    ];
    let before = snapshot(&cast.server);
    for (overlay, expected) in cases {
        let mut body = new_user("erin");
        for (key, value) in overlay.as_object().unwrap() {
            body[key] = value.clone();
        }
        let reply = cast.call(Persona::Sysadmin, "user_create", body.clone());
        assert_eq!(reply.status, 409, "{body}: {}", reply.text);
        assert_eq!(reply.error(), expected, "{body}");
        assert!(reply.error().get("message").is_none());
    }
    // Everything missing at once: every field is named.
    let reply = cast.call(Persona::Sysadmin, "user_create", json!({}));
    assert_error(
        &reply,
        409,
        &json!({
            "name": ["Missing value"], "email": ["Missing value"], "password": ["Missing value"],
            "__type": "Validation Error",
        }),
    );
    // Several bad fields are reported together.
    let reply = cast.call(
        Persona::Sysadmin,
        "user_create",
        json!({"name": "alice", "email": "nope", "password": "short"}),
    );
    assert_error(
        &reply,
        409,
        &json!({
            "name": [NAME_TAKEN], "email": ["Email nope is not a valid format"], "password": [SHORT_PASSWORD],
            "__type": "Validation Error",
        }),
    );
    assert_eq!(snapshot(&cast.server), before);
    assert_eq!(names(&cast.server), json!(["admin", "alice", "bob", "carol"]));
}

#[test]
fn user_create_is_for_sysadmins_only_by_default() {
    let cast = Cast::new();
    let before = snapshot(&cast.server);
    let anonymous = cast.call(Persona::Anonymous, "user_create", new_user("erin"));
    for persona in PERSONAS {
        let reply = cast.call(persona, "user_create", new_user("erin"));
        match persona {
            Persona::Sysadmin => {}
            Persona::Anonymous | Persona::Revoked | Persona::DeletedUser => {
                // The double space: an anonymous caller's name is empty.
                assert_error(
                    &reply,
                    403,
                    &denied("Access denied: User  not authorized to create users via the API"),
                );
                assert_same(&reply, &anonymous, persona);
            }
            Persona::Itself => {
                assert_error(
                    &reply,
                    403,
                    &denied("Access denied: User alice not authorized to create users via the API"),
                );
            }
            Persona::Other => {
                assert_error(
                    &reply,
                    403,
                    &denied("Access denied: User bob not authorized to create users via the API"),
                );
            }
        }
        if persona != Persona::Sysadmin {
            assert_eq!(snapshot(&cast.server), before, "{persona:?}");
        } else {
            assert_eq!(reply.result()["name"], "erin");
        }
    }
    assert_eq!(names(&cast.server), json!(["admin", "alice", "bob", "carol", "erin"]));
}

#[test]
fn with_create_user_via_api_anyone_may_register_but_not_as_sysadmin() {
    let cast =
        Cast::with(TestServer::start_with(Options { create_user_via_api: true, ..Options::default() }));
    let body = json!({
        "name": "erin", "email": "erin@example.org", "password": "password123",
        "sysadmin": true, "state": "deleted", "plugin_extras": {"secret": 1},
    });
    let reply = cast.call(Persona::Anonymous, "user_create", body);
    let user = reply.result();
    assert_eq!(user["name"], "erin");
    assert_eq!(user["sysadmin"], false, "only sysadmins may make sysadmins");
    assert_eq!(user["state"], "active", "only sysadmins may choose the state");
    assert_eq!(user["email"], "erin@example.org", "the creator sees the new address");
    let shown = cast.server.as_site("user_show", json!({"id": "erin", "include_plugin_extras": true}));
    assert_eq!((shown["sysadmin"].as_bool(), &shown["plugin_extras"]), (Some(false), &Value::Null));

    // A registered (non-sysadmin) user may register others too, with the same limits.
    let mut body = new_user("fay");
    body["sysadmin"] = json!("true");
    let user = cast.call(Persona::Itself, "user_create", body).result();
    assert_eq!((user["name"].as_str(), user["sysadmin"].as_bool()), (Some("fay"), Some(false)));

    // Only sysadmins may choose the id, or give a password hash instead of a password.
    let before = snapshot(&cast.server);
    let mut with_id = new_user("gus");
    with_id["id"] = json!("0b8c5f2e-6a55-4f3a-9a41-7d1c3b2e9f10");
    for persona in [Persona::Anonymous, Persona::Itself] {
        let reply = cast.call(persona, "user_create", with_id.clone());
        assert_error(&reply, 409, &validation("id", "The input field id was not expected."));
    }
    let with_hash = json!({"name": "gus", "email": "gus@example.org", "password_hash": "$argon2id$v=19$x"});
    let reply = cast.call(Persona::Anonymous, "user_create", with_hash);
    assert_error(&reply, 409, &validation("password", "Missing value"));
    assert_eq!(snapshot(&cast.server), before);
    assert_eq!(names(&cast.server), json!(["admin", "alice", "bob", "carol", "erin", "fay"]));
}

#[test]
fn user_create_with_apitoken_returns_a_token_that_authenticates() {
    let cast = Cast::new();
    let mut body = new_user("erin");
    body["with_apitoken"] = json!(true);
    let created = cast.call(Persona::Sysadmin, "user_create", body).result();
    let token = created["token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let me = cast.server.action("user_show", json!({}), Some(token)).result();
    assert_eq!((me["name"].as_str(), me["email"].as_str()), (Some("erin"), Some("erin@example.org")));
    let tokens = cast.server.as_site("api_token_list", json!({"user_id": "erin"}));
    assert_eq!(tokens.as_array().unwrap().len(), 1);
    assert_eq!(tokens[0]["user_id"], created["id"]);
    // Without the flag there is no token.
    let plain = cast.call(Persona::Sysadmin, "user_create", new_user("fay")).result();
    assert!(plain.get("token").is_none());
    assert_eq!(cast.server.as_site("api_token_list", json!({"user_id": "fay"})), json!([]));
}

// ---------------------------------------------------------------------------------------------
// user_show

#[test]
fn user_show_gives_email_and_apikey_only_to_the_user_and_sysadmins() {
    let cast = Cast::new();
    let anonymous = cast.call(Persona::Anonymous, "user_show", json!({"id": "alice"}));
    for persona in PERSONAS {
        let reply = cast.call(persona, "user_show", json!({"id": "alice"}));
        let user = reply.result();
        assert_eq!(
            (user["name"].as_str(), user["id"].as_str()),
            (Some("alice"), Some(cast.alice_id.as_str()))
        );
        for secret in ["password", "password_hash", "reset_key", "plugin_extras"] {
            assert!(user.get(secret).is_none(), "{persona:?}: {secret}");
        }
        match persona {
            Persona::Itself | Persona::Sysadmin => {
                assert_eq!(user["email"], "alice@example.org", "{persona:?}");
                assert_eq!(user.get("apikey"), Some(&Value::Null), "{persona:?}");
            }
            Persona::Anonymous | Persona::Other | Persona::Revoked | Persona::DeletedUser => {
                assert!(user.get("email").is_none(), "{persona:?}");
                assert!(user.get("apikey").is_none(), "{persona:?}");
                assert_eq!(user["email_hash"], "fbf7c6aec1d4280b7c2704c1c0478bd6", "{persona:?}");
            }
        }
        if matches!(persona, Persona::Revoked | Persona::DeletedUser) {
            assert_same(&reply, &anonymous, persona);
        }
    }
    // By id as well as by name.
    let by_id = cast.call(Persona::Other, "user_show", json!({"id": cast.alice_id})).result();
    assert_eq!(by_id["name"], "alice");
}

#[test]
fn user_show_without_id_is_the_caller_and_404_for_anonymous() {
    let cast = Cast::new();
    for persona in PERSONAS {
        let reply = cast.call(persona, "user_show", json!({}));
        match persona {
            Persona::Itself => assert_eq!(reply.result()["email"], "alice@example.org"),
            Persona::Other => assert_eq!(reply.result()["email"], "bob@example.org"),
            Persona::Sysadmin => assert_eq!(reply.result()["email"], "admin@example.org"),
            Persona::Anonymous | Persona::Revoked | Persona::DeletedUser => {
                assert_error(&reply, 404, &not_found("Not found"));
            }
        }
    }
}

#[test]
fn user_show_gives_the_password_hash_only_to_sysadmins_who_ask() {
    let cast = Cast::new();
    for persona in PERSONAS {
        for ask in [false, true] {
            let reply = cast.call(persona, "user_show", json!({"id": "alice", "include_password_hash": ask}));
            let user = reply.result();
            let hash = user.get("password_hash").and_then(Value::as_str);
            if ask && persona == Persona::Sysadmin {
                assert!(hash.unwrap().starts_with("$argon2id$"), "{user}");
            } else {
                assert_eq!(hash, None, "{persona:?} ask={ask}");
            }
        }
    }
    // The same over GET, where the flag is a string.
    let reply = cast.server.get(
        "/api/3/action/user_show?id=alice&include_password_hash=True",
        &[("Authorization", &cast.admin)],
    );
    assert!(reply.result()["password_hash"].as_str().unwrap().starts_with("$argon2id$"));
}

#[test]
fn user_show_of_a_deleted_user_is_404_except_for_sysadmins() {
    let cast = Cast::new();
    for persona in PERSONAS {
        let reply = cast.call(persona, "user_show", json!({"id": "dave"}));
        if persona == Persona::Sysadmin {
            let user = reply.result();
            assert_eq!(
                (user["state"].as_str(), user["email"].as_str()),
                (Some("deleted"), Some("dave@example.org"))
            );
        } else {
            assert_error(&reply, 404, &not_found("Not found"));
        }
    }
    let reply = cast.call(Persona::Sysadmin, "user_show", json!({"id": "nobody"}));
    assert_error(&reply, 404, &not_found("Not found"));
}

// ---------------------------------------------------------------------------------------------
// user_list

#[test]
fn user_list_leaves_out_deleted_users_and_shows_emails_to_self_and_sysadmins() {
    let cast = Cast::new();
    let anonymous = cast.call(Persona::Anonymous, "user_list", json!({}));
    for persona in PERSONAS {
        let reply = cast.call(persona, "user_list", json!({}));
        let users = reply.result();
        let users = users.as_array().unwrap();
        let listed: Vec<&str> = users.iter().map(|u| u["name"].as_str().unwrap()).collect();
        assert_eq!(listed, ["admin", "alice", "bob", "carol"], "{persona:?}");
        let with_email: Vec<&str> =
            users.iter().filter(|u| u.get("email").is_some()).map(|u| u["name"].as_str().unwrap()).collect();
        let expected: &[&str] = match persona {
            Persona::Sysadmin => &["admin", "alice", "bob", "carol"],
            Persona::Itself => &["alice"],
            Persona::Other => &["bob"],
            Persona::Anonymous | Persona::Revoked | Persona::DeletedUser => &[],
        };
        assert_eq!(with_email, expected, "{persona:?}");
        // apikey travels with email; the hash never does.
        for user in users {
            assert_eq!(user.get("apikey").is_some(), user.get("email").is_some(), "{persona:?}");
            assert!(user.get("password_hash").is_none());
        }
        if matches!(persona, Persona::Revoked | Persona::DeletedUser) {
            assert_same(&reply, &anonymous, persona);
        }
    }
}

/// walt "Anna Walt", bert, kim "Zed Kim", carl "Berta Carl", created in that order.
fn list_server() -> (TestServer, String) {
    let server = TestServer::start();
    for (name, fullname) in
        [("walt", Some("Anna Walt")), ("bert", None), ("kim", Some("Zed Kim")), ("carl", Some("Berta Carl"))]
    {
        let mut body = new_user(name);
        if let Some(fullname) = fullname {
            body["fullname"] = json!(fullname);
        }
        server.as_site("user_create", body);
    }
    let (_, token) = server.user_with_token("zadmin", true);
    (server, token)
}

fn list(server: &TestServer, body: Value) -> Vec<String> {
    let reply = server.action("user_list", body, None);
    reply
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().map_or_else(|| u["name"].as_str().unwrap().to_owned(), str::to_owned))
        .collect()
}

#[test]
fn user_list_orders_by_display_name_name_or_created() {
    let (server, _) = list_server();
    let display = ["walt", "bert", "carl", "zadmin", "kim"];
    assert_eq!(list(&server, json!({})), display);
    assert_eq!(list(&server, json!({"order_by": "display_name"})), display);
    assert_eq!(list(&server, json!({"order_by": "name"})), ["bert", "carl", "kim", "walt", "zadmin"]);
    assert_eq!(list(&server, json!({"order_by": "created"})), ["walt", "bert", "kim", "carl", "zadmin"]);
    let reply = server.action("user_list", json!({"order_by": "nonsense"}), None);
    assert_error(
        &reply,
        409,
        &validation("order_by", "Cannot order by \"nonsense\": use display_name, name or created"),
    );
}

#[test]
fn user_list_filters_by_q_and_pages_with_limit_and_offset() {
    let (server, admin) = list_server();
    // q: a case-insensitive substring of the name or the full name.
    assert_eq!(list(&server, json!({"q": "BER"})), ["bert", "carl"]);
    assert_eq!(list(&server, json!({"q": "anna"})), ["walt"]);
    assert_eq!(list(&server, json!({"q": "nobody-matches"})), Vec::<String>::new());
    // _ and % are literal characters, not patterns.
    assert_eq!(list(&server, json!({"q": "%"})), Vec::<String>::new());
    assert_eq!(list(&server, json!({"q": "_"})), Vec::<String>::new());
    // limit and offset.
    assert_eq!(list(&server, json!({"order_by": "name", "limit": 2})), ["bert", "carl"]);
    assert_eq!(list(&server, json!({"order_by": "name", "limit": 2, "offset": 1})), ["carl", "kim"]);
    assert_eq!(list(&server, json!({"order_by": "name", "offset": 4})), ["zadmin"]);
    assert_eq!(list(&server, json!({"order_by": "name", "limit": 0})), Vec::<String>::new());
    let reply = server.get("/api/3/action/user_list?order_by=name&limit=1&offset=2&all_fields=false", &[]);
    assert_eq!(reply.result(), json!(["kim"]));
    let reply = server.action("user_list", json!({"limit": "ten", "offset": -1}), None);
    assert_error(
        &reply,
        409,
        &json!({"limit": ["Invalid integer"], "offset": ["Must be a natural number"], "__type": "Validation Error"}),
    );
    // all_fields=false gives names only.
    let reply = server.action("user_list", json!({"all_fields": false, "order_by": "name"}), None);
    assert_eq!(reply.result(), json!(["bert", "carl", "kim", "walt", "zadmin"]));
    // email: an exact, case-insensitive filter for sysadmins; ignored for others.
    let reply =
        server.action("user_list", json!({"email": "KIM@example.org", "all_fields": false}), Some(&admin));
    assert_eq!(reply.result(), json!(["kim"]));
    assert_eq!(list(&server, json!({"email": "kim@example.org"})).len(), 5);
}

#[test]
fn user_list_and_autocomplete_match_emails_only_for_sysadmins() {
    let (server, admin) = list_server();
    for (action, body) in [
        ("user_list", json!({"q": "kim@example", "all_fields": false})),
        ("user_autocomplete", json!({"q": "kim@example"})),
    ] {
        let anonymous = server.action(action, body.clone(), None).result();
        assert_eq!(anonymous, json!([]), "{action}: addresses must not be searchable by anyone");
        let by_sysadmin = server.action(action, body, Some(&admin)).result();
        assert_eq!(by_sysadmin.as_array().unwrap().len(), 1, "{action}");
    }
}

// ---------------------------------------------------------------------------------------------
// user_update

#[test]
fn user_update_is_for_the_user_and_sysadmins() {
    let cast = Cast::new();
    let body = json!({"id": "alice", "email": "alice@example.org", "fullname": "Alice A."});
    let before = snapshot(&cast.server);
    let anonymous = cast.call(Persona::Anonymous, "user_update", body.clone());
    for persona in PERSONAS {
        let reply = cast.call(persona, "user_update", body.clone());
        match persona {
            Persona::Itself | Persona::Sysadmin => {
                let user = reply.result();
                assert_eq!(
                    (user["fullname"].as_str(), user["email"].as_str()),
                    (Some("Alice A."), Some("alice@example.org"))
                );
                // Undo, so the next persona starts from the same state.
                cast.server.as_site(
                    "user_update",
                    json!({"id": "alice", "email": "alice@example.org", "fullname": null}),
                );
                assert_eq!(snapshot(&cast.server), before, "{persona:?}");
            }
            Persona::Anonymous | Persona::Revoked | Persona::DeletedUser => {
                assert_error(&reply, 403, &denied("Access denied: Have to be logged in to edit user"));
                assert_same(&reply, &anonymous, persona);
                assert_eq!(snapshot(&cast.server), before, "{persona:?}");
            }
            Persona::Other => {
                assert_error(
                    &reply,
                    403,
                    &denied(&format!(
                        "Access denied: User bob not authorized to edit user {}",
                        cast.alice_id
                    )),
                );
                assert_eq!(snapshot(&cast.server), before, "{persona:?}");
            }
        }
    }
}

#[test]
fn user_update_keeps_fields_that_are_not_sent() {
    let cast = Cast::new();
    let full = json!({
        "id": "alice", "email": "alice@example.org", "fullname": "Alice A.",
        "about": "Cartographer", "image_url": "alice.png",
    });
    let user = cast.call(Persona::Itself, "user_update", full).result();
    assert_eq!((user["fullname"].as_str(), user["about"].as_str()), (Some("Alice A."), Some("Cartographer")));
    assert_eq!(user["image_url"], "alice.png");
    assert_eq!(user["image_display_url"], format!("{}/uploads/user/alice.png", cast.server.base));
    assert_eq!(user["display_name"], "Alice A.");
    assert_eq!(user["email"], "alice@example.org");

    let hash_before = cast.server.as_site("user_show", json!({"id": "alice", "include_password_hash": true}))
        ["password_hash"]
        .clone();
    let user = cast
        .call(Persona::Itself, "user_update", json!({"id": "alice", "email": "Alice@New.example"}))
        .result();
    // As in CKAN, user fields that are not sent keep their values.
    assert_eq!(user["fullname"], "Alice A.", "not sent, so kept");
    assert_eq!(user["about"], "Cartographer");
    assert_eq!(user["image_url"], "alice.png");
    assert_eq!(user["display_name"], "Alice A.");
    assert_eq!(user["email"], "Alice@New.example");
    assert_eq!(user["name"], "alice", "the name is kept when not sent");
    let shown = cast.server.as_site("user_show", json!({"id": "alice", "include_password_hash": true}));
    assert_eq!(shown["password_hash"], hash_before, "the password is kept when not sent");
    assert_eq!(shown["fullname"], "Alice A.");

    // A new password replaces the hash.
    let body = json!({"id": "alice", "email": "alice@example.org", "password": "a-new-password"});
    cast.call(Persona::Itself, "user_update", body).result();
    let shown = cast.server.as_site("user_show", json!({"id": "alice", "include_password_hash": true}));
    assert_ne!(shown["password_hash"], hash_before);
    // The token still works, and the address given up is free for someone else.
    assert_eq!(cast.call(Persona::Itself, "user_show", json!({})).result()["email"], "alice@example.org");
    let reply = cast.call(
        Persona::Sysadmin,
        "user_create",
        json!({"name": "erin", "email": "alice@new.example", "password": "password123"}),
    );
    assert_eq!(reply.result()["email"], "alice@new.example");
}

#[test]
fn user_update_validation_errors_have_ckans_messages_and_change_nothing() {
    let cast = Cast::new();
    let cases: Vec<(Persona, Value, u16, Value)> = vec![
        (Persona::Itself, json!({"id": "alice"}), 409, validation("email", "Missing value")),
        (Persona::Itself, json!({"id": "alice", "email": ""}), 409, validation("email", "Missing value")),
        (
            Persona::Sysadmin,
            json!({"id": "alice", "fullname": "x"}),
            409,
            validation("email", "Missing value"),
        ),
        (
            Persona::Itself,
            json!({"id": "alice", "email": "not-an-email"}),
            409,
            validation("email", "Email not-an-email is not a valid format"),
        ),
        (
            Persona::Itself,
            json!({"id": "alice", "email": "BOB@example.org"}),
            409,
            validation("email", "The email address 'BOB@example.org' belongs to a registered user."),
        ),
        (
            Persona::Itself,
            json!({"id": "alice", "email": "alice@example.org", "password": "short"}),
            409,
            validation("password", SHORT_PASSWORD),
        ),
        (
            Persona::Itself,
            json!({"id": "alice", "email": "alice@example.org", "about": "see https://spam.example"}),
            409,
            validation("about", SPAM),
        ),
        (
            Persona::Itself,
            json!({"id": "alice", "email": "alice@example.org", "name": "alice2"}),
            409,
            validation("name", NAME_FIXED),
        ),
        (
            Persona::Sysadmin,
            json!({"id": "alice", "email": "alice@example.org", "name": "bob"}),
            409,
            validation("name", NAME_TAKEN),
        ),
        (
            Persona::Sysadmin,
            json!({"id": "alice", "email": "alice@example.org", "name": "Not Valid"}),
            409,
            validation(
                "name",
                "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_",
            ),
        ),
        (
            Persona::Sysadmin,
            json!({"id": "admin", "email": "admin@example.org", "sysadmin": false}),
            409,
            validation("sysadmin", "You cannot change your own sysadmin privileges"),
        ),
        (Persona::Itself, json!({"email": "alice@example.org"}), 409, validation("id", "Missing value")),
        (
            Persona::Sysadmin,
            json!({"id": "nobody", "email": "x@example.org"}),
            404,
            not_found("Not found: User was not found."),
        ),
    ];
    let before = snapshot(&cast.server);
    for (persona, body, status, expected) in cases {
        let reply = cast.call(persona, "user_update", body.clone());
        assert_eq!(reply.status, status, "{body}: {}", reply.text);
        assert_eq!(reply.error(), expected, "{body}");
        assert_eq!(snapshot(&cast.server), before, "{body}");
    }
    // The sysadmin is still a sysadmin.
    assert_eq!(cast.call(Persona::Sysadmin, "user_show", json!({})).result()["sysadmin"], true);
}

#[test]
fn sysadmins_may_rename_and_promote_others_users_may_not_promote_themselves() {
    let cast = Cast::new();
    // Non-sysadmins: sysadmin and state are silently ignored, as in CKAN.
    let body = json!({"id": "alice", "email": "alice@example.org", "sysadmin": true, "state": "deleted"});
    let user = cast.call(Persona::Itself, "user_update", body).result();
    assert_eq!((user["sysadmin"].as_bool(), user["state"].as_str()), (Some(false), Some("active")));
    assert_error(
        &cast.call(Persona::Itself, "user_create", new_user("erin")),
        403,
        &denied("Access denied: User alice not authorized to create users via the API"),
    );
    // A sysadmin renames alice and makes her a sysadmin; her token keeps working.
    let body = json!({"id": "alice", "email": "alice@example.org", "name": "alicia", "sysadmin": true});
    let user = cast.call(Persona::Sysadmin, "user_update", body).result();
    assert_eq!((user["name"].as_str(), user["sysadmin"].as_bool()), (Some("alicia"), Some(true)));
    assert_eq!(user["id"].as_str(), Some(cast.alice_id.as_str()));
    assert_eq!(cast.call(Persona::Itself, "user_show", json!({})).result()["name"], "alicia");
    assert_eq!(cast.call(Persona::Itself, "user_create", new_user("erin")).status, 200);
    assert_error(
        &cast.call(Persona::Anonymous, "user_show", json!({"id": "alice"})),
        404,
        &not_found("Not found"),
    );
    // Sending one's own current sysadmin value is not a change.
    let body = json!({"id": "admin", "email": "admin@example.org", "sysadmin": true});
    assert_eq!(cast.call(Persona::Sysadmin, "user_update", body).result()["sysadmin"], true);
}

// ---------------------------------------------------------------------------------------------
// user_patch

#[test]
fn user_patch_merges_and_is_for_the_user_and_sysadmins() {
    let cast = Cast::new();
    let body = json!({"id": "alice", "email": "alice@example.org", "fullname": "Alice A.", "about": "Maps"});
    cast.call(Persona::Itself, "user_update", body).result();
    let before = snapshot(&cast.server);

    let anonymous = cast.call(Persona::Anonymous, "user_patch", json!({"id": "alice", "about": "Hacked"}));
    for persona in [Persona::Anonymous, Persona::Other, Persona::Revoked, Persona::DeletedUser] {
        let reply = cast.call(persona, "user_patch", json!({"id": "alice", "about": "Hacked"}));
        let expected = if persona == Persona::Other {
            format!("Access denied: User bob not authorized to edit user {}", cast.alice_id)
        } else {
            "Access denied: Action user_patch requires an authenticated user".to_owned()
        };
        assert_error(&reply, 403, &denied(&expected));
        if persona != Persona::Other {
            assert_same(&reply, &anonymous, persona);
        }
    }
    assert_eq!(snapshot(&cast.server), before);

    let user = cast.call(Persona::Itself, "user_patch", json!({"id": "alice", "about": "Charts"})).result();
    assert_eq!((user["about"].as_str(), user["fullname"].as_str()), (Some("Charts"), Some("Alice A.")));
    assert_eq!(user["email"], "alice@example.org");
    let user =
        cast.call(Persona::Sysadmin, "user_patch", json!({"id": cast.alice_id, "fullname": "Al"})).result();
    assert_eq!((user["about"].as_str(), user["fullname"].as_str()), (Some("Charts"), Some("Al")));
    assert_eq!(user["email"], "alice@example.org", "a sysadmin sees the address");
    let hash = cast.server.as_site("user_show", json!({"id": "alice", "include_password_hash": true}))["password_hash"]
        .clone();
    assert!(hash.as_str().unwrap().starts_with("$argon2id$"), "patching keeps the password");
    let user = cast
        .call(Persona::Itself, "user_patch", json!({"id": "alice", "email": "alice@new.example"}))
        .result();
    assert_eq!((user["email"].as_str(), user["about"].as_str()), (Some("alice@new.example"), Some("Charts")));
    let after = cast.server.as_site("user_show", json!({"id": "alice", "include_password_hash": true}));
    assert_eq!(after["password_hash"], hash);
}

#[test]
fn user_patch_validation_errors_change_nothing() {
    let cast = Cast::new();
    let before = snapshot(&cast.server);
    let cases: Vec<(Persona, Value, u16, Value)> = vec![
        (
            Persona::Itself,
            json!({"id": "alice", "email": "nope"}),
            409,
            validation("email", "Email nope is not a valid format"),
        ),
        (
            Persona::Itself,
            json!({"id": "alice", "email": "Bob@Example.org"}),
            409,
            validation("email", "The email address 'Bob@Example.org' belongs to a registered user."),
        ),
        (Persona::Itself, json!({"id": "alice", "name": "alice2"}), 409, validation("name", NAME_FIXED)),
        (Persona::Sysadmin, json!({"id": "alice", "name": "bob"}), 409, validation("name", NAME_TAKEN)),
        (
            Persona::Itself,
            json!({"id": "alice", "password": "short"}),
            409,
            validation("password", SHORT_PASSWORD),
        ),
        (
            Persona::Itself,
            json!({"id": "alice", "about": "http://spam.example"}),
            409,
            validation("about", SPAM),
        ),
        (
            Persona::Sysadmin,
            json!({"id": "admin", "sysadmin": "false"}),
            409,
            validation("sysadmin", "You cannot change your own sysadmin privileges"),
        ),
        (Persona::Itself, json!({"about": "x"}), 409, validation("id", "Missing value")),
        // CKAN: user_show's bare 404 (a sysadmin skips the auth function).
        (Persona::Sysadmin, json!({"id": "nobody"}), 404, not_found("Not found")),
    ];
    for (persona, body, status, expected) in cases {
        let reply = cast.call(persona, "user_patch", body.clone());
        assert_eq!(reply.status, status, "{body}: {}", reply.text);
        assert_eq!(reply.error(), expected, "{body}");
        assert_eq!(snapshot(&cast.server), before, "{body}");
    }
}

// ---------------------------------------------------------------------------------------------
// user_delete

#[test]
fn user_delete_is_for_sysadmins_and_the_user_can_no_longer_act() {
    let cast = Cast::new();
    let (erin, erin_token) = cast.server.user_with_token("erin", false);
    let before = snapshot(&cast.server);
    let anonymous = cast.call(Persona::Anonymous, "user_delete", json!({"id": "erin"}));
    for persona in PERSONAS.into_iter().filter(|p| *p != Persona::Sysadmin) {
        let reply = cast.call(persona, "user_delete", json!({"id": "erin"}));
        match persona {
            Persona::Sysadmin => unreachable!(),
            Persona::Anonymous | Persona::Revoked | Persona::DeletedUser => {
                assert_error(
                    &reply,
                    403,
                    &denied("Access denied: Action user_delete requires an authenticated user"),
                );
                assert_same(&reply, &anonymous, persona);
            }
            Persona::Itself => {
                assert_error(
                    &reply,
                    403,
                    &denied("Access denied: User alice not authorized to delete user erin"),
                );
            }
            Persona::Other => {
                assert_error(
                    &reply,
                    403,
                    &denied("Access denied: User bob not authorized to delete user erin"),
                );
            }
        }
        assert_eq!(snapshot(&cast.server), before, "{persona:?}");
    }
    // Users may not delete themselves either.
    let reply = cast.server.action("user_delete", json!({"id": "erin"}), Some(&erin_token));
    assert_error(&reply, 403, &denied("Access denied: User erin not authorized to delete user erin"));
    assert_eq!(snapshot(&cast.server), before);

    let reply = cast.call(Persona::Sysadmin, "user_delete", json!({"id": erin["id"]}));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.result(), Value::Null);
    let shown = cast.call(Persona::Sysadmin, "user_show", json!({"id": "erin"})).result();
    assert_eq!(shown["state"], "deleted");
    assert_eq!(names(&cast.server), json!(["admin", "alice", "bob", "carol"]));
    // erin's token is anonymous now.
    let me = cast.server.action("user_show", json!({}), Some(&erin_token));
    assert_error(&me, 404, &not_found("Not found"));
    let own = cast.server.action("user_show", json!({"id": "erin"}), Some(&erin_token));
    assert_error(&own, 404, &not_found("Not found"));
    // The name and the address stay taken.
    let reply = cast.call(Persona::Sysadmin, "user_create", new_user("erin"));
    assert_error(
        &reply,
        409,
        &json!({
            "name": [NAME_TAKEN],
            "email": ["The email address 'erin@example.org' belongs to a registered user."],
            "__type": "Validation Error",
        }),
    );
}

#[test]
fn user_delete_errors() {
    let cast = Cast::new();
    let before = snapshot(&cast.server);
    assert_error(
        &cast.call(Persona::Sysadmin, "user_delete", json!({})),
        409,
        &validation("id", "Missing value"),
    );
    assert_error(
        &cast.call(Persona::Sysadmin, "user_delete", json!({"id": "ghost"})),
        404,
        &not_found("Not found: User \"ghost\" was not found."),
    );
    // Anonymous callers are refused before anything is looked at.
    assert_error(
        &cast.call(Persona::Anonymous, "user_delete", json!({})),
        403,
        &denied("Access denied: Action user_delete requires an authenticated user"),
    );
    assert_eq!(snapshot(&cast.server), before);
}

#[test]
fn user_delete_removes_the_users_memberships_and_collaborations() {
    let server = TestServer::start();
    server.user_with_token("erin", false);
    server.as_site(
        "organization_create",
        json!({"name": "org-e", "users": [{"name": "erin", "capacity": "editor"}]}),
    );
    server
        .as_site("group_create", json!({"name": "grp-e", "users": [{"name": "erin", "capacity": "member"}]}));
    server.as_site("package_create", json!({"name": "e-secret", "owner_org": "org-e", "private": true}));
    server.as_site(
        "package_collaborator_create",
        json!({"id": "e-secret", "user_id": "erin", "capacity": "editor"}),
    );
    let users_of = |action: &str, id: &str| -> Vec<Value> {
        let dict = server.as_site(action, json!({"id": id}));
        dict["users"].as_array().unwrap().iter().map(|u| u["name"].clone()).collect()
    };
    let collaborators = || server.as_site("package_collaborator_list", json!({"id": "e-secret"}));
    assert_eq!(users_of("organization_show", "org-e"), [json!("erin")]);
    assert_eq!(users_of("group_show", "grp-e"), [json!("erin")]);
    assert_eq!(collaborators().as_array().unwrap().len(), 1);

    assert_eq!(server.as_site("user_delete", json!({"id": "erin"})), Value::Null);
    assert!(users_of("organization_show", "org-e").is_empty());
    assert!(users_of("group_show", "grp-e").is_empty());
    assert_eq!(collaborators(), json!([]));
    for id in ["org-e", "grp-e"] {
        let members = server.as_site("member_list", json!({"id": id, "object_type": "user"}));
        assert_eq!(members, json!([]), "{id}");
    }
}

#[test]
fn number_created_packages_counts_the_users_datasets_in_every_user_dict() {
    let server = TestServer::start();
    let (carl_dict, carl) = server.user_with_token("carl", false);
    let (_, otto) = server.user_with_token("otto", false);
    server.as_site(
        "organization_create",
        json!({"name": "org-c", "users": [{"name": "carl", "capacity": "editor"}]}),
    );
    server
        .as_site("group_create", json!({"name": "grp-c", "users": [{"name": "carl", "capacity": "member"}]}));
    for (name, private) in [("c-public", false), ("c-private", true), ("c-gone", false)] {
        let body = json!({"name": name, "owner_org": "org-c", "private": private});
        let reply = server.action("package_create", body, Some(&carl));
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let reply = server.action("package_delete", json!({"id": "c-gone"}), Some(&carl));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let carl_in = |users: &Value| -> Value {
        let found = users.as_array().unwrap().iter().find(|u| u["name"] == "carl");
        found.unwrap_or_else(|| panic!("no carl in {users}"))["number_created_packages"].clone()
    };
    // Lists and the users of organizations and groups: active public datasets, whoever asks.
    for token in [None, Some(carl.as_str()), Some(otto.as_str())] {
        assert_eq!(carl_in(&server.action("user_list", json!({}), token).result()), 1);
        for (action, id) in [("organization_show", "org-c"), ("group_show", "grp-c")] {
            let dict = server.action(action, json!({"id": id}), token).result();
            assert_eq!(carl_in(&dict["users"]), 1, "{action}");
        }
    }
    let body = json!({"all_fields": true, "include_users": true});
    for list in ["organization_list", "group_list"] {
        let dicts = server.as_site(list, body.clone());
        assert_eq!(carl_in(&dicts[0]["users"]), 1, "{list}");
    }
    for (action, id) in [("organization_patch", "org-c"), ("group_patch", "grp-c")] {
        let dict = server.as_site(action, json!({"id": id, "title": "C"}));
        assert_eq!(carl_in(&dict["users"]), 1, "{action}");
    }
    // user_show: private and draft ones too for the user themself and sysadmins.
    let shown = |token: Option<&str>| server.action("user_show", json!({"id": "carl"}), token).result();
    assert_eq!(shown(Some(&carl))["number_created_packages"], 2);
    assert_eq!(server.as_site("user_show", json!({"id": carl_dict["id"]}))["number_created_packages"], 2);
    assert_eq!(shown(Some(&otto))["number_created_packages"], 1);
    assert_eq!(shown(None)["number_created_packages"], 1);
}

#[test]
fn user_show_include_datasets_lists_what_package_search_shows_the_caller() {
    let server = TestServer::start();
    let (_, carl) = server.user_with_token("carl", false);
    let (_, otto) = server.user_with_token("otto", false);
    let (_, root) = server.user_with_token("root", true);
    server.as_site(
        "organization_create",
        json!({"name": "org-d", "users": [{"name": "carl", "capacity": "editor"}, {"name": "otto", "capacity": "editor"}]}),
    );
    for (name, private, token) in [
        ("d-public", false, &carl),
        ("d-private", true, &carl),
        ("d-gone", false, &carl),
        ("d-ottos", false, &otto),
    ] {
        let body = json!({"name": name, "owner_org": "org-d", "private": private});
        let reply = server.action("package_create", body, Some(token));
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let reply = server.action("package_delete", json!({"id": "d-gone"}), Some(&carl));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let datasets = |token: Option<&str>| -> Value {
        let body = json!({"id": "carl", "include_datasets": true});
        server.action("user_show", body, token).result()["datasets"].clone()
    };
    let names_of = |datasets: &Value| -> Vec<String> {
        let mut names: Vec<String> =
            datasets.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect();
        names.sort();
        names
    };
    // Others see the user's active public datasets (otto could read the private one, but CKAN
    // asks package_search for private ones only for the user themself and sysadmins).
    for token in [None, Some(otto.as_str())] {
        assert_eq!(names_of(&datasets(token)), ["d-public"]);
    }
    for token in [carl.as_str(), root.as_str()] {
        assert_eq!(names_of(&datasets(Some(token))), ["d-private", "d-public"]);
    }
    // package_search result dicts.
    let shown = datasets(None);
    assert_eq!(shown[0]["organization"]["name"], "org-d");
    assert!(shown[0]["resources"].is_array(), "{shown}");
    let plain = server.action("user_show", json!({"id": "carl"}), None).result();
    assert_eq!(plain.get("datasets"), None);
}

// ---------------------------------------------------------------------------------------------
// user_autocomplete

#[test]
fn user_autocomplete_lists_active_users_by_name() {
    let cast = Cast::new();
    cast.server.as_site("user_patch", json!({"id": "alice", "fullname": "Alice Liddell"}));
    // "d": admin by name, alice by full name; dave is deleted. (No address here has a "d".)
    let anonymous = cast.call(Persona::Anonymous, "user_autocomplete", json!({"q": "d"}));
    for persona in PERSONAS {
        let reply = cast.call(persona, "user_autocomplete", json!({"q": "d"}));
        let found = reply.result();
        let listed: Vec<&str> =
            found.as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
        assert_eq!(listed, ["admin", "alice"], "{persona:?}");
        for item in found.as_array().unwrap() {
            assert_eq!(keys(item), ["id", "name", "fullname"], "{persona:?}");
        }
        assert_eq!(found[1], json!({"id": cast.alice_id, "name": "alice", "fullname": "Alice Liddell"}));
        assert_eq!(found[0]["fullname"], Value::Null);
        if matches!(persona, Persona::Revoked | Persona::DeletedUser) {
            assert_same(&reply, &anonymous, persona);
        }
    }
    // Case-insensitive; limit; ignore_self.
    let reply = cast.call(Persona::Anonymous, "user_autocomplete", json!({"q": "LIDDELL"}));
    assert_eq!(reply.result()[0]["name"], "alice");
    assert_eq!(reply.result().as_array().unwrap().len(), 1);
    let reply = cast.call(Persona::Anonymous, "user_autocomplete", json!({"q": "d", "limit": 1}));
    assert_eq!(reply.result().as_array().unwrap().len(), 1);
    let reply = cast.call(Persona::Itself, "user_autocomplete", json!({"q": "d", "ignore_self": true}));
    assert_eq!(
        reply.result().as_array().unwrap().iter().map(|u| u["name"].clone()).collect::<Vec<_>>(),
        [json!("admin")]
    );
    let reply = cast.call(Persona::Anonymous, "user_autocomplete", json!({"q": "d", "ignore_self": true}));
    assert_eq!(reply.result().as_array().unwrap().len(), 2, "nobody to ignore for anonymous callers");
    let reply =
        cast.call(Persona::Itself, "user_autocomplete", json!({"q": "li", "ignore_self": true, "limit": 1}));
    assert_eq!(reply.result(), json!([]));
    let reply = cast.server.get("/api/3/action/user_autocomplete?q=bo&limit=5", &[]);
    assert_eq!(
        reply.result().as_array().unwrap().iter().map(|u| u["name"].clone()).collect::<Vec<_>>(),
        [json!("bob")]
    );
    let reply = cast.call(Persona::Anonymous, "user_autocomplete", json!({"q": "zzz"}));
    assert_eq!(reply.result(), json!([]));
    assert_error(
        &cast.call(Persona::Anonymous, "user_autocomplete", json!({})),
        409,
        &validation("q", "Missing value"),
    );
}
