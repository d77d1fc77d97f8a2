//! The organization actions and the membership actions on organizations (ckan-api.md §2.1
//! "Organizations, groups, members", §3.3, §3.5, §4.1, §4.4) against a running server, for
//! every kind of caller: anonymous, a revoked token (acts as anonymous), a logged-in outsider,
//! a member, an editor, the organization's admin and a sysadmin.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::errors::{assert_error, denied, message, not_found, validation};
use common::{GROUP_SHOW_KEYS as SHOW_KEYS, Reply, TestServer, dict_names, keys, names};
use serde_json::{Value, json};

const NAME_TAKEN: &str = "Group name already exists in database";
const BAD_NAME: &str = "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_";

/// The callers every action is tried with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Persona {
    Anonymous,
    /// rick's token, revoked: acts as anonymous.
    Revoked,
    /// otto: logged in, no role in the organization.
    Outsider,
    /// mia: `member` of org-a.
    Member,
    /// eddie: `editor` of org-a.
    Editor,
    /// alice: `admin` of org-a.
    OrgAdmin,
    /// admin: sysadmin (no membership).
    Sysadmin,
}

const PERSONAS: [Persona; 7] = [
    Persona::Anonymous,
    Persona::Revoked,
    Persona::Outsider,
    Persona::Member,
    Persona::Editor,
    Persona::OrgAdmin,
    Persona::Sysadmin,
];

impl Persona {
    fn user(self) -> &'static str {
        match self {
            Self::Anonymous | Self::Revoked => "",
            Self::Outsider => "otto",
            Self::Member => "mia",
            Self::Editor => "eddie",
            Self::OrgAdmin => "alice",
            Self::Sysadmin => "admin",
        }
    }

    fn is_anonymous(self) -> bool {
        matches!(self, Self::Anonymous | Self::Revoked)
    }

    /// Has a role in org-a (or is a sysadmin): sees its private datasets.
    fn reads_org(self) -> bool {
        matches!(self, Self::Member | Self::Editor | Self::OrgAdmin | Self::Sysadmin)
    }

    /// May change org-a.
    fn administers_org(self) -> bool {
        matches!(self, Self::OrgAdmin | Self::Sysadmin)
    }
}

/// A server with the users of [`Persona`] and org-a ("Org A") with alice as admin, eddie as
/// editor and mia as member (created by the site, so the sysadmin holds no role in it).
struct Cast {
    server: TestServer,
    tokens: Vec<(Persona, String)>,
    org_id: String,
}

impl Cast {
    fn new() -> Self {
        Self::with(common::Options::default())
    }

    fn with(options: common::Options) -> Self {
        let server = TestServer::start_with(options);
        let mut tokens = Vec::new();
        let (_, admin) = server.user_with_token("admin", true);
        tokens.push((Persona::Sysadmin, admin));
        for persona in [Persona::OrgAdmin, Persona::Editor, Persona::Member, Persona::Outsider] {
            let (_, token) = server.user_with_token(persona.user(), false);
            tokens.push((persona, token));
        }
        let (_, revoked) = server.user_with_token("rick", false);
        assert_eq!(server.as_site("api_token_revoke", json!({"token": revoked})), Value::Null);
        tokens.push((Persona::Revoked, revoked));
        let org = server.as_site(
            "organization_create",
            json!({
                "name": "org-a",
                "title": "Org A",
                "description": "The first organization",
                "users": [
                    {"name": "alice", "capacity": "admin"},
                    {"name": "eddie", "capacity": "editor"},
                    {"name": "mia", "capacity": "member"},
                ],
            }),
        );
        let org_id = org["id"].as_str().unwrap().to_owned();
        Self { server, tokens, org_id }
    }

    fn token(&self, persona: Persona) -> Option<&str> {
        self.tokens.iter().find(|(p, _)| *p == persona).map(|(_, t)| t.as_str())
    }

    fn call(&self, persona: Persona, action: &str, body: Value) -> Reply {
        self.server.action(action, body, self.token(persona))
    }

    fn site(&self, action: &str, body: Value) -> Value {
        self.server.as_site(action, body)
    }

    fn user_id(&self, name: &str) -> String {
        self.site("user_show", json!({"id": name}))["id"].as_str().unwrap().to_owned()
    }

    /// A dataset of an organization, created by the site.
    fn dataset(&self, name: &str, org: &str, private: bool) -> Value {
        self.site("package_create", json!({"name": name, "owner_org": org, "private": private}))
    }
}

// ---------------------------------------------------------------------------------------------
// organization_create

#[test]
fn organization_create_by_a_sysadmin_returns_the_show_dict_with_the_creator_as_admin() {
    let cast = Cast::new();
    let body = json!({
        "name": "odense",
        "title": "Odense Kommune",
        "description": "Data from Odense",
        "image_url": "https://img.example/logo.png",
        "extras": [{"key": "region", "value": "Syddanmark"}, {"key": "code", "value": 461}],
        "users": [{"name": "mia", "capacity": "editor"}, {"name": "nobody-here"}],
        "portal_theme": {"colour": "blue"},
    });
    let reply = cast.call(Persona::Sysadmin, "organization_create", body);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let org = reply.result();
    let mut expected: Vec<&str> = SHOW_KEYS.to_vec();
    expected.insert(expected.iter().position(|k| *k == "state").unwrap(), "portal_theme");
    assert_eq!(keys(&org), expected);
    assert_eq!(org["name"], "odense");
    assert_eq!(org["title"], "Odense Kommune");
    assert_eq!(org["display_name"], "Odense Kommune");
    assert_eq!(org["description"], "Data from Odense");
    assert_eq!(org["type"], "organization");
    assert_eq!(org["is_organization"], true);
    assert_eq!(org["approval_status"], "approved");
    assert_eq!(org["state"], "active");
    assert_eq!(org["image_display_url"], "https://img.example/logo.png");
    assert_eq!(org["package_count"], 0);
    assert_eq!(org["num_followers"], 0);
    assert_eq!(org["portal_theme"], json!({"colour": "blue"}), "free-form keys are kept");
    assert_eq!(
        org["extras"],
        json!([{"key": "code", "value": "461"}, {"key": "region", "value": "Syddanmark"}])
    );
    assert_eq!(org["groups"], json!([]));
    let created = org["created"].as_str().unwrap();
    assert!(created.len() >= 19 && !created.ends_with('Z'), "{created}");
    assert_eq!(uuid::Uuid::parse_str(org["id"].as_str().unwrap()).unwrap().get_version_num(), 4);
    // The creator is an admin; the listed user has the given role; unknown users are skipped.
    let users = org["users"].as_array().unwrap();
    let roles: Vec<(&str, &str)> =
        users.iter().map(|u| (u["name"].as_str().unwrap(), u["capacity"].as_str().unwrap())).collect();
    assert_eq!(roles, [("admin", "admin"), ("mia", "editor")]);
    for user in users {
        for private in ["email", "apikey", "password_hash", "password"] {
            assert!(user.get(private).is_none(), "{private} in {user}");
        }
        assert!(user["display_name"].is_string() && user["id"].is_string());
    }
    // It is there, listed, and its creation is in its activity stream.
    let shown = cast.call(Persona::Anonymous, "organization_show", json!({"id": "odense"})).result();
    assert_eq!(shown, org);
    assert!(
        names(&cast.call(Persona::Anonymous, "organization_list", json!({}))).contains(&"odense".to_owned())
    );
    let stream =
        cast.call(Persona::Anonymous, "organization_activity_list", json!({"id": "odense"})).result();
    assert_eq!(stream[0]["activity_type"], "new organization");
    assert_eq!(stream[0]["object_id"], org["id"]);
    assert_eq!(stream[0]["user_id"], cast.user_id("admin"));
}

#[test]
fn organization_create_minimal_has_an_empty_title_and_displays_its_name() {
    let cast = Cast::new();
    let org = cast.call(Persona::Sysadmin, "organization_create", json!({"name": "bare"})).result();
    assert_eq!((org["title"].as_str(), org["display_name"].as_str()), (Some(""), Some("bare")));
    assert_eq!((org["description"].as_str(), org["image_url"].as_str()), (Some(""), Some("")));
    assert_eq!(org["extras"], json!([]));
}

#[test]
fn organization_create_by_a_sysadmin_may_set_id_and_state() {
    let cast = Cast::new();
    let id = "5a7c0e51-3a8d-4c55-9d41-0e2b51b0c9aa";
    let org = cast
        .call(
            Persona::Sysadmin,
            "organization_create",
            json!({"name": "with-id", "id": id, "state": "deleted"}),
        )
        .result();
    assert_eq!((org["id"].as_str(), org["state"].as_str()), (Some(id), Some("deleted")));
    let reply = cast.call(Persona::Sysadmin, "organization_create", json!({"name": "other", "id": id}));
    assert_error(&reply, 409, &validation("id", "Id already exists"));
}

#[test]
fn organization_create_by_any_user_by_default_and_its_creator_is_admin() {
    let cast = Cast::new();
    for (n, persona) in PERSONAS.into_iter().enumerate() {
        let name = format!("new-org-{n}");
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "organization_create", json!({"name": name}));
        if persona.is_anonymous() {
            assert_error(
                &reply,
                403,
                &denied("Access denied: Action organization_create requires an authenticated user"),
            );
            assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
            continue;
        }
        assert_eq!(reply.status, 200, "{persona:?}: {}", reply.text);
        let users = reply.result()["users"].clone();
        assert_eq!(users[0]["name"], persona.user(), "{persona:?}: {users}");
        assert_eq!(users[0]["capacity"], "admin");
        // Its creator may delete it (ckan.auth.user_delete_organizations).
        let deleted = cast.call(persona, "organization_delete", json!({"id": name}));
        assert_eq!(deleted.status, 200, "{persona:?}: {}", deleted.text);
    }
}

#[test]
fn with_user_create_and_delete_organizations_off_only_sysadmins_create_and_delete() {
    let options = common::Options {
        auth: datahavn_actions::AuthOptions {
            user_create_organizations: false,
            user_delete_organizations: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let cast = Cast::with(options);
    for persona in PERSONAS {
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "organization_create", json!({"name": "new-org"}));
        match persona {
            Persona::Sysadmin => {
                assert_eq!(reply.status, 200, "{}", reply.text);
                continue;
            }
            p if p.is_anonymous() => {
                assert_error(
                    &reply,
                    403,
                    &denied("Access denied: Action organization_create requires an authenticated user"),
                );
            }
            _ => {
                // CKAN names the user by id in this message.
                let expected = format!(
                    "Access denied: User {} not authorized to create organizations",
                    cast.user_id(persona.user())
                );
                assert_error(&reply, 403, &denied(&expected));
            }
        }
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
    // org-a's own admin may not delete it either; a sysadmin may.
    let before = cast.server.catalogue_snapshot();
    let reply = cast.call(Persona::OrgAdmin, "organization_delete", json!({"id": "org-a"}));
    let expected = format!("Access denied: User alice not authorized to delete organization {}", cast.org_id);
    assert_error(&reply, 403, &denied(&expected));
    assert_eq!(cast.server.catalogue_snapshot(), before);
    assert_eq!(cast.call(Persona::Sysadmin, "organization_delete", json!({"id": "org-a"})).status, 200);
}

#[test]
fn organization_create_validation_errors_have_ckans_messages_and_change_nothing() {
    let cast = Cast::new();
    cast.site("group_create", json!({"name": "a-group"}));
    cast.site("organization_create", json!({"name": "gone"}));
    cast.site("organization_delete", json!({"id": "gone"}));
    let long = "a".repeat(101);
    let cases: Vec<(Value, Value)> = vec![
        (json!({}), validation("name", "Missing value")),
        (json!({"name": ""}), validation("name", "Missing value")),
        (json!({"name": null}), validation("name", "Missing value")),
        (json!({"name": "a"}), validation("name", "Must be at least 2 characters long")),
        (json!({"name": long}), validation("name", "Name must be a maximum of 100 characters long")),
        (json!({"name": "Bad Name"}), validation("name", BAD_NAME)),
        (json!({"name": "new"}), validation("name", "That name cannot be used")),
        (json!({"name": ["x"]}), validation("name", "Names must be strings")),
        (json!({"name": "org-a"}), validation("name", NAME_TAKEN)),
        // Names stay reserved when deleted, and groups and organizations share them.
        (json!({"name": "gone"}), validation("name", NAME_TAKEN)),
        (json!({"name": "a-group"}), validation("name", NAME_TAKEN)),
        (json!({"name": "fine", "id": "not-a-uuid"}), validation("id", "Invalid id provided")),
        (
            json!({"name": "fine", "extras": [{"value": "x"}]}),
            json!({"extras": [{"key": ["Missing value"]}], "__type": "Validation Error"}),
        ),
        (
            json!({"name": "fine", "extras": [{"key": "a", "value": "1"}, {"key": "b"}]}),
            json!({"extras": [{}, {"value": ["Missing value"]}], "__type": "Validation Error"}),
        ),
        (
            json!({"name": "fine", "users": [{"name": "mia", "capacity": "owner"}]}),
            json!({"users": [{"capacity": ["role does not exist."]}], "__type": "Validation Error"}),
        ),
        (
            json!({"name": "fine", "users": [{"capacity": "member"}]}),
            json!({"users": [{"name": ["Missing value"]}], "__type": "Validation Error"}),
        ),
        (json!({"name": "fine", "title": ["x"]}), validation("title", "Must be a string")),
        (
            json!({"name": "fine", "state": "limbo"}),
            validation("state", "State must be one of: active, deleted"),
        ),
    ];
    let before = cast.server.catalogue_snapshot();
    for (body, expected) in cases {
        let reply = cast.call(Persona::Sysadmin, "organization_create", body.clone());
        assert_error(&reply, 409, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{body}");
    }
}

#[test]
fn organization_create_id_and_state_are_sysadmin_only() {
    let cast = Cast::new();
    // Only sysadmins create organizations at all, so check through group_create's shared rules:
    // a non-sysadmin's `id` is refused and their `state` ignored.
    let reply = cast.call(
        Persona::Outsider,
        "group_create",
        json!({"name": "g1", "id": "5a7c0e51-3a8d-4c55-9d41-0e2b51b0c9ab"}),
    );
    assert_error(&reply, 409, &validation("id", "The input field id was not expected."));
    let group =
        cast.call(Persona::Outsider, "group_create", json!({"name": "g1", "state": "deleted"})).result();
    assert_eq!(group["state"], "active");
}

#[test]
fn organization_create_answers_like_the_recorded_ckan_for_a_taken_name() {
    let cast = Cast::new();
    cast.site("organization_create", json!({"name": "ref-org"}));
    let recorded = common::reference("02_organization_create.json");
    let body = recorded["request"]["body"].clone();
    let reply = cast.call(Persona::Sysadmin, "organization_create", body);
    let expected = &recorded["response"]["body"];
    assert_eq!(reply.status, 409);
    let got = reply.json();
    assert_eq!(keys(&got), keys(expected));
    assert_eq!(got["error"], expected["error"]);
}

// ---------------------------------------------------------------------------------------------
// organization_show

#[test]
fn organization_show_counts_and_lists_private_datasets_only_for_members() {
    let cast = Cast::new();
    cast.dataset("public-1", "org-a", false);
    cast.dataset("public-2", "org-a", false);
    cast.dataset("secret-1", "org-a", true);
    cast.dataset("gone-1", "org-a", false);
    cast.site("package_delete", json!({"id": "gone-1"}));
    for persona in PERSONAS {
        let body = json!({"id": "org-a", "include_datasets": true});
        let org = cast.call(persona, "organization_show", body).result();
        let mut listed = dict_names(&org["packages"]);
        listed.sort();
        if persona.reads_org() {
            assert_eq!(org["package_count"], 3, "{persona:?}");
            assert_eq!(listed, ["public-1", "public-2", "secret-1"], "{persona:?}");
        } else {
            assert_eq!(org["package_count"], 2, "{persona:?}");
            assert_eq!(listed, ["public-1", "public-2"], "{persona:?}");
        }
        // The datasets are full package_show dicts.
        let first = &org["packages"][0];
        assert_eq!(first["organization"]["name"], "org-a");
        assert!(first["resources"].is_array() && first["metadata_modified"].is_string());
    }
}

#[test]
fn organization_show_includes_at_most_ten_datasets_newest_first() {
    let cast = Cast::new();
    for i in 0..12 {
        cast.dataset(&format!("set-{i:02}"), "org-a", false);
    }
    let org = cast
        .call(Persona::Anonymous, "organization_show", json!({"id": "org-a", "include_datasets": "True"}))
        .result();
    assert_eq!(org["package_count"], 12);
    let listed = dict_names(&org["packages"]);
    assert_eq!(listed.len(), 10);
    assert_eq!(listed[0], "set-11");
    assert_eq!(listed[9], "set-02");
}

#[test]
fn organization_show_has_the_documented_shape_and_options() {
    let cast = Cast::new();
    let org = cast.call(Persona::Anonymous, "organization_show", json!({"id": "org-a"})).result();
    assert_eq!(keys(&org), SHOW_KEYS);
    let users: Vec<(&str, &str)> = org["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["capacity"].as_str().unwrap()))
        .collect();
    assert_eq!(users, [("alice", "admin"), ("eddie", "editor"), ("mia", "member")]);
    assert!(org["users"][0].get("email").is_none());
    // By id too, and by GET with string booleans.
    let by_id = cast.call(Persona::Anonymous, "organization_show", json!({"id": cast.org_id})).result();
    assert_eq!(by_id, org);
    let got = cast.server.get(
        "/api/3/action/organization_show?id=org-a&include_users=false&include_extras=False&include_groups=0\
         &include_dataset_count=false&include_member_count=true",
        &[],
    );
    let slim = got.result();
    assert_eq!(
        keys(&slim),
        [
            "approval_status",
            "created",
            "description",
            "display_name",
            "id",
            "image_display_url",
            "image_url",
            "is_organization",
            "member_count",
            "name",
            "num_followers",
            "state",
            "title",
            "type"
        ]
    );
    assert_eq!(slim["member_count"], 3);
}

#[test]
fn organization_show_errors() {
    let cast = Cast::new();
    let group = cast.site("group_create", json!({"name": "a-group"}));
    for persona in PERSONAS {
        let reply = cast.call(persona, "organization_show", json!({}));
        assert_error(&reply, 409, &validation("id", "Missing value"));
        let reply = cast.call(persona, "organization_show", json!({"id": "no-such-org"}));
        assert_error(&reply, 404, &not_found("Not found"));
        // A group is not an organization, by name or id.
        for id in ["a-group", group["id"].as_str().unwrap()] {
            let reply = cast.call(persona, "organization_show", json!({"id": id}));
            assert_error(&reply, 404, &not_found("Not found"));
        }
        let reply = cast.call(persona, "organization_show", json!({"id": "org-a", "include_users": "maybe"}));
        assert_error(&reply, 409, &message("Parameter is not an bool"));
    }
}

#[test]
fn a_deleted_organization_is_shown_to_sysadmins_only() {
    let cast = Cast::new();
    cast.site("organization_delete", json!({"id": "org-a"}));
    for persona in PERSONAS {
        let reply = cast.call(persona, "organization_show", json!({"id": "org-a"}));
        if persona == Persona::Sysadmin {
            assert_eq!(reply.result()["state"], "deleted");
        } else {
            // Deleting removed every membership, so nobody else may read it any more.
            assert_error(&reply, 404, &not_found("Not found"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// organization_list

#[test]
fn organization_list_gives_names_sorted_by_title() {
    let cast = Cast::new();
    cast.site("organization_create", json!({"name": "zeta", "title": "Aardvark data"}));
    cast.site("organization_create", json!({"name": "alpha", "title": "Zoo data"}));
    cast.site("organization_create", json!({"name": "gone"}));
    cast.site("organization_delete", json!({"id": "gone"}));
    cast.site("group_create", json!({"name": "a-group", "title": "A group"}));
    for persona in PERSONAS {
        let reply = cast.call(persona, "organization_list", json!({}));
        assert_eq!(names(&reply), ["zeta", "org-a", "alpha"], "{persona:?}");
    }
    let get = cast.server.get("/api/3/action/organization_list", &[]);
    assert_eq!(names(&get), ["zeta", "org-a", "alpha"]);
    let cases = [
        (json!({"sort": "name"}), vec!["alpha", "org-a", "zeta"]),
        (json!({"sort": "name desc"}), vec!["zeta", "org-a", "alpha"]),
        (json!({"sort": "title DESC"}), vec!["alpha", "org-a", "zeta"]),
        (json!({"order_by": "name"}), vec!["alpha", "org-a", "zeta"]),
        (json!({"limit": 2}), vec!["zeta", "org-a"]),
        (json!({"limit": 2, "offset": 1}), vec!["org-a", "alpha"]),
        (json!({"limit": "0"}), vec!["zeta", "org-a", "alpha"]),
        (json!({"limit": 0, "offset": 0}), vec!["zeta", "org-a", "alpha"]),
        (json!({"q": "ZOO"}), vec!["alpha"]),
        (json!({"q": "first organization"}), vec!["org-a"]),
        (json!({"q": "nothing like it"}), vec![]),
        (json!({"organizations": ["alpha", "zeta"]}), vec!["zeta", "alpha"]),
        (json!({"organizations": "alpha, org-a"}), vec!["org-a", "alpha"]),
        // organization_list ignores `groups`.
        (json!({"groups": ["alpha"]}), vec!["zeta", "org-a", "alpha"]),
        (json!({"type": "group"}), vec![]),
    ];
    for (body, expected) in cases {
        let reply = cast.call(Persona::Anonymous, "organization_list", body.clone());
        assert_eq!(names(&reply), expected, "{body}");
    }
}

#[test]
fn organization_list_sorts_by_visible_package_count() {
    let cast = Cast::new();
    cast.site("organization_create", json!({"name": "two", "title": "B"}));
    cast.site("organization_create", json!({"name": "one", "title": "C"}));
    cast.dataset("t1", "two", false);
    cast.dataset("t2", "two", false);
    cast.dataset("o1", "one", false);
    for i in 0..3 {
        cast.dataset(&format!("secret-{i}"), "org-a", true);
    }
    let anonymous = cast.call(Persona::Anonymous, "organization_list", json!({"sort": "package_count"}));
    assert_eq!(names(&anonymous), ["two", "one", "org-a"]);
    let member = cast.call(Persona::Member, "organization_list", json!({"sort": "packages"}));
    assert_eq!(names(&member), ["org-a", "two", "one"]);
    let ascending = cast.call(Persona::Anonymous, "organization_list", json!({"sort": "package_count asc"}));
    assert_eq!(names(&ascending), ["org-a", "one", "two"]);
}

#[test]
fn organization_list_all_fields_gives_dicts_without_users_extras_or_groups() {
    let cast = Cast::new();
    cast.dataset("p1", "org-a", false);
    cast.dataset("s1", "org-a", true);
    for persona in PERSONAS {
        let list = cast.call(persona, "organization_list", json!({"all_fields": true})).result();
        let org = &list[0];
        let expected: Vec<&str> =
            SHOW_KEYS.iter().copied().filter(|k| !["extras", "groups", "users"].contains(k)).collect();
        assert_eq!(keys(org), expected, "{persona:?}");
        assert_eq!(org["num_followers"], 0);
        assert_eq!(org["package_count"], if persona.reads_org() { 2 } else { 1 }, "{persona:?}");
    }
    let with = cast
        .call(
            Persona::Anonymous,
            "organization_list",
            json!({"all_fields": true, "include_users": true, "include_extras": true, "include_dataset_count": false}),
        )
        .result();
    assert!(with[0]["users"].is_array() && with[0]["extras"].is_array());
    assert!(with[0].get("package_count").is_none());
}

#[test]
fn organization_list_caps_names_at_1000_and_dicts_at_25() {
    let cast = Cast::new();
    for i in 0..30 {
        cast.site("organization_create", json!({"name": format!("org-{i:02}")}));
    }
    let dicts = cast.call(Persona::Anonymous, "organization_list", json!({"all_fields": true})).result();
    assert_eq!(dicts.as_array().unwrap().len(), 25);
    let dicts = cast
        .call(Persona::Anonymous, "organization_list", json!({"all_fields": true, "limit": 100}))
        .result();
    assert_eq!(dicts.as_array().unwrap().len(), 25);
    let all = cast.call(Persona::Anonymous, "organization_list", json!({"limit": 5000}));
    assert_eq!(names(&all).len(), 31);
}

#[test]
fn organization_list_refuses_bad_sorts_and_paging() {
    let cast = Cast::new();
    let cases = [
        (json!({"sort": "created"}), message("Cannot sort by field `created`")),
        (json!({"sort": "name sideways"}), message("Invalid sort direction `sideways`")),
        (json!({"sort": "name, title"}), message("Too many sort criteria provided only 1 allowed")),
        (json!({"limit": -1}), validation("limit", "Must be a natural number")),
        (json!({"limit": "ten"}), validation("limit", "Invalid integer")),
        (json!({"offset": -3}), validation("offset", "Must be a natural number")),
        (json!({"all_fields": "perhaps"}), validation("all_fields", "Value must be one of: true, false")),
    ];
    for (body, expected) in cases {
        let reply = cast.call(Persona::Anonymous, "organization_list", body.clone());
        assert_error(&reply, 409, &expected);
    }
}

// ---------------------------------------------------------------------------------------------
// organization_update / organization_patch

#[test]
fn organization_update_needs_an_admin_of_it() {
    let cast = Cast::new();
    for persona in PERSONAS {
        let before = cast.server.catalogue_snapshot();
        let body = json!({"id": "org-a", "title": format!("By {persona:?}")});
        let reply = cast.call(persona, "organization_update", body);
        if persona.administers_org() {
            assert_eq!(reply.result()["title"], format!("By {persona:?}"));
            continue;
        }
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action organization_update requires an authenticated user")
        } else {
            denied(&format!(
                "Access denied: User {} not authorized to edit organization {}",
                persona.user(),
                cast.org_id
            ))
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
}

#[test]
fn organization_update_keeps_core_fields_not_sent_and_replaces_extras_and_members_sent() {
    let cast = Cast::new();
    cast.site(
        "organization_patch",
        json!({"id": "org-a", "image_url": "logo.png", "extras": [{"key": "k", "value": "v"}], "theme": "dark"}),
    );
    let updated = cast
        .call(Persona::OrgAdmin, "organization_update", json!({"id": "org-a", "description": "New text"}))
        .result();
    assert_eq!(updated["title"], "Org A", "not sent: kept");
    assert_eq!(updated["description"], "New text");
    assert_eq!(updated["image_url"], "logo.png");
    assert_eq!(updated["image_display_url"], format!("{}/uploads/group/logo.png", cast.server.base));
    assert_eq!(updated["extras"], json!([]), "extras are replaced");
    assert!(updated.get("theme").is_none(), "free-form keys are replaced");
    assert_eq!(updated["packages"], json!([]), "update answers with the datasets, as CKAN does");
    assert!(updated.get("num_followers").is_none());
    assert_eq!(updated["users"].as_array().unwrap().len(), 3, "users not sent: kept");
    // Sending users replaces them.
    let updated = cast
        .call(
            Persona::OrgAdmin,
            "organization_update",
            json!({"id": "org-a", "users": [{"name": "alice", "capacity": "admin"}, {"name": "otto", "capacity": "editor"}]}),
        )
        .result();
    let roles: Vec<(&str, &str)> = updated["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["capacity"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [("alice", "admin"), ("otto", "editor")]);
    let stream = cast.call(Persona::Anonymous, "organization_activity_list", json!({"id": "org-a"})).result();
    assert_eq!(stream[0]["activity_type"], "changed organization");
}

#[test]
fn organization_update_renames_and_datasets_follow() {
    let cast = Cast::new();
    cast.dataset("p1", "org-a", false);
    let updated = cast
        .call(
            Persona::OrgAdmin,
            "organization_update",
            json!({"id": cast.org_id, "name": "org-renamed", "title": "Renamed"}),
        )
        .result();
    assert_eq!(updated["name"], "org-renamed");
    let dataset = cast.call(Persona::Anonymous, "package_show", json!({"id": "p1"})).result();
    assert_eq!(dataset["organization"]["name"], "org-renamed");
    assert_eq!(dataset["organization"]["title"], "Renamed");
    assert_eq!(names(&cast.call(Persona::Anonymous, "organization_list", json!({}))), ["org-renamed"]);
}

#[test]
fn organization_update_errors_change_nothing() {
    let cast = Cast::new();
    cast.site("organization_create", json!({"name": "other"}));
    cast.site("group_create", json!({"name": "a-group"}));
    let cases: Vec<(Value, u16, Value)> = vec![
        (json!({"title": "x"}), 409, validation("id", "Missing value")),
        (json!({"id": "nope"}), 404, not_found("Not found: Group was not found.")),
        (json!({"id": "a-group"}), 404, not_found("Not found: Group was not found.")),
        (json!({"id": "org-a", "name": "other"}), 409, validation("name", NAME_TAKEN)),
        (json!({"id": "org-a", "name": "a-group"}), 409, validation("name", NAME_TAKEN)),
        (json!({"id": "org-a", "name": "Bad"}), 409, validation("name", BAD_NAME)),
        (json!({"id": "org-a", "name": ""}), 409, validation("name", "Missing value")),
        (json!({"id": "org-a", "type": "group"}), 409, validation("type", "Type cannot be updated")),
        (
            json!({"id": "org-a", "users": [{"name": "mia", "capacity": "boss"}]}),
            409,
            json!({"users": [{"capacity": ["role does not exist."]}], "__type": "Validation Error"}),
        ),
        (
            json!({"id": "org-a", "groups": [{"name": "org-a"}]}),
            409,
            json!({"groups": [{"name": ["This parent would create a loop in the hierarchy"]}], "__type": "Validation Error"}),
        ),
    ];
    let before = cast.server.catalogue_snapshot();
    for (body, status, expected) in cases {
        let reply = cast.call(Persona::OrgAdmin, "organization_update", body.clone());
        assert_error(&reply, status, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{body}");
    }
    // Keeping one's own name is not a clash.
    let same = cast.call(Persona::OrgAdmin, "organization_update", json!({"id": "org-a", "name": "org-a"}));
    assert_eq!(same.status, 200, "{}", same.text);
}

#[test]
fn organization_patch_changes_only_what_is_sent() {
    let cast = Cast::new();
    cast.site(
        "organization_patch",
        json!({"id": "org-a", "extras": [{"key": "k", "value": "v"}], "theme": "dark"}),
    );
    let patched = cast
        .call(Persona::OrgAdmin, "organization_patch", json!({"id": "org-a", "title": "Patched"}))
        .result();
    assert_eq!(patched["title"], "Patched");
    assert_eq!(patched["description"], "The first organization");
    assert_eq!(patched["extras"], json!([{"key": "k", "value": "v"}]));
    assert_eq!(patched["theme"], "dark");
    assert_eq!(patched["users"].as_array().unwrap().len(), 3);
    for persona in PERSONAS {
        if persona.administers_org() {
            continue;
        }
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "organization_patch", json!({"id": "org-a", "title": "x"}));
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action organization_patch requires an authenticated user")
        } else {
            denied(&format!(
                "Access denied: User {} not authorized to edit organization {}",
                persona.user(),
                cast.org_id
            ))
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before);
    }
    // Unknown ids and missing ids, as CKAN's auth layer reports them to non-sysadmins.
    let reply = cast.call(Persona::OrgAdmin, "organization_patch", json!({"id": "nope"}));
    assert_error(&reply, 404, &not_found("Not found"));
    let reply = cast.call(Persona::OrgAdmin, "organization_patch", json!({"title": "x"}));
    assert_error(&reply, 409, &message("Missing id, can not get Group object"));
    let reply = cast.call(Persona::Sysadmin, "organization_patch", json!({"title": "x"}));
    assert_error(&reply, 409, &validation("id", "Missing value"));
    let reply = cast.call(Persona::Sysadmin, "organization_patch", json!({"id": "nope"}));
    assert_error(&reply, 404, &not_found("Not found"));
}

// ---------------------------------------------------------------------------------------------
// organization_delete / organization_purge

#[test]
fn organization_delete_needs_an_admin_of_it() {
    let cast = Cast::new();
    for persona in PERSONAS {
        if persona.administers_org() {
            continue;
        }
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "organization_delete", json!({"id": "org-a"}));
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action organization_delete requires an authenticated user")
        } else {
            denied(&format!(
                "Access denied: User {} not authorized to delete organization {}",
                persona.user(),
                cast.org_id
            ))
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
    let reply = cast.call(Persona::OrgAdmin, "organization_delete", json!({"id": "org-a"}));
    assert_eq!(reply.result(), Value::Null);
}

#[test]
fn organization_delete_refuses_while_datasets_live_then_deletes_and_drops_memberships() {
    let cast = Cast::new();
    cast.dataset("p1", "org-a", true);
    let before = cast.server.catalogue_snapshot();
    let reply = cast.call(Persona::Sysadmin, "organization_delete", json!({"id": "org-a"}));
    assert_error(&reply, 409, &message("Organization cannot be deleted while it still has datasets"));
    assert_eq!(cast.server.catalogue_snapshot(), before);
    cast.site("package_delete", json!({"id": "p1"}));
    assert_eq!(
        cast.call(Persona::OrgAdmin, "organization_delete", json!({"id": "org-a"})).result(),
        Value::Null
    );
    let org = cast.call(Persona::Sysadmin, "organization_show", json!({"id": "org-a"})).result();
    assert_eq!(org["state"], "deleted");
    assert_eq!(org["users"], json!([]), "memberships are removed");
    assert!(names(&cast.call(Persona::Anonymous, "organization_list", json!({}))).is_empty());
    assert_eq!(cast.call(Persona::OrgAdmin, "organization_list_for_user", json!({})).result(), json!([]));
    // The deleted dataset no longer embeds the organization.
    let dataset = cast.call(Persona::Sysadmin, "package_show", json!({"id": "p1"})).result();
    assert_eq!(dataset["organization"], Value::Null);
    // The name stays taken.
    let reply = cast.call(Persona::Sysadmin, "organization_create", json!({"name": "org-a"}));
    assert_error(&reply, 409, &validation("name", NAME_TAKEN));
    let stream = cast.call(Persona::Sysadmin, "organization_activity_list", json!({"id": "org-a"})).result();
    assert_eq!(stream[0]["activity_type"], "deleted organization");
}

#[test]
fn organization_delete_errors() {
    let cast = Cast::new();
    cast.site("group_create", json!({"name": "a-group"}));
    let cases: Vec<(Value, u16, Value)> = vec![
        (json!({}), 409, validation("id", "Missing value")),
        (json!({"id": "nope"}), 404, not_found("Not found: Group was not found.")),
        (json!({"id": "a-group"}), 404, not_found("Not found: Group was not found.")),
    ];
    let before = cast.server.catalogue_snapshot();
    for (body, status, expected) in cases {
        let reply = cast.call(Persona::Sysadmin, "organization_delete", body);
        assert_error(&reply, status, &expected);
    }
    assert_eq!(cast.server.catalogue_snapshot(), before);
}

#[test]
fn organization_purge_is_for_sysadmins_and_frees_the_name() {
    let cast = Cast::new();
    cast.dataset("p1", "org-a", false);
    for persona in PERSONAS {
        if persona == Persona::Sysadmin {
            continue;
        }
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "organization_purge", json!({"id": "org-a"}));
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action organization_purge requires an authenticated user")
        } else {
            denied("Access denied")
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
    let before = cast.server.catalogue_snapshot();
    let reply = cast.call(Persona::Sysadmin, "organization_purge", json!({"id": "org-a"}));
    assert_error(&reply, 409, &message("Organization cannot be purged while it still has datasets"));
    assert_eq!(cast.server.catalogue_snapshot(), before);
    cast.site("package_delete", json!({"id": "p1"}));
    assert_eq!(
        cast.call(Persona::Sysadmin, "organization_purge", json!({"id": "org-a"})).result(),
        Value::Null
    );
    let reply = cast.call(Persona::Sysadmin, "organization_show", json!({"id": "org-a"}));
    assert_error(&reply, 404, &not_found("Not found"));
    let dataset = cast.call(Persona::Sysadmin, "package_show", json!({"id": "p1"})).result();
    assert_eq!((dataset["owner_org"].clone(), dataset["organization"].clone()), (Value::Null, Value::Null));
    let again = cast.call(Persona::Sysadmin, "organization_create", json!({"name": "org-a"}));
    assert_eq!(again.status, 200, "{}", again.text);
    let reply = cast.call(Persona::Sysadmin, "organization_purge", json!({"id": "nope"}));
    assert_error(&reply, 404, &not_found("Not found: Organization was not found"));
    let reply = cast.call(Persona::Sysadmin, "organization_purge", json!({}));
    assert_error(&reply, 409, &validation("id", "Missing value"));
}

// ---------------------------------------------------------------------------------------------
// organization_member_create / organization_member_delete

#[test]
fn organization_member_create_needs_an_admin_and_returns_the_member_dict() {
    let cast = Cast::new();
    let otto = cast.user_id("otto");
    for persona in PERSONAS {
        let body = json!({"id": "org-a", "username": "otto", "role": "editor"});
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "organization_member_create", body);
        if persona.administers_org() {
            let member = reply.result();
            assert_eq!(keys(&member), ["id", "table_name", "table_id", "group_id", "capacity", "state"]);
            assert_eq!(member["table_name"], "user");
            assert_eq!(member["table_id"], otto.as_str());
            assert_eq!(member["group_id"], cast.org_id.as_str());
            assert_eq!(member["capacity"], "editor");
            assert_eq!(member["state"], "active");
            cast.site("organization_member_delete", json!({"id": "org-a", "username": "otto"}));
            continue;
        }
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action organization_member_create requires an authenticated user")
        } else {
            denied(&format!("Access denied: User {} not authorized to add members", persona.user()))
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
}

#[test]
fn organization_member_create_grants_the_role_it_names() {
    let cast = Cast::new();
    // otto cannot add datasets to org-a, then can as an editor, and a member cannot.
    let body = json!({"name": "by-otto", "owner_org": "org-a"});
    let reply = cast.call(Persona::Outsider, "package_create", body.clone());
    assert_eq!(reply.status, 403, "{}", reply.text);
    cast.call(
        Persona::OrgAdmin,
        "organization_member_create",
        json!({"id": "org-a", "username": "otto", "role": "editor"}),
    )
    .result();
    assert_eq!(cast.call(Persona::Outsider, "package_create", body).status, 200);
    let listed = cast.call(Persona::Outsider, "organization_list_for_user", json!({})).result();
    assert_eq!(listed[0]["capacity"], "editor");
    // Re-adding changes the role (no second membership).
    let member = cast
        .call(
            Persona::OrgAdmin,
            "organization_member_create",
            json!({"id": "org-a", "username": "otto", "role": "Member"}),
        )
        .result();
    assert_eq!(member["capacity"], "member");
    let members =
        cast.call(Persona::Anonymous, "member_list", json!({"id": "org-a", "object_type": "user"})).result();
    assert_eq!(members.as_array().unwrap().len(), 4);
    let reply =
        cast.call(Persona::Outsider, "package_create", json!({"name": "by-otto-2", "owner_org": "org-a"}));
    assert_eq!(reply.status, 403, "{}", reply.text);
}

#[test]
fn organization_member_create_validation_errors() {
    let cast = Cast::new();
    let cases: Vec<(Value, Value)> = vec![
        (
            json!({}),
            json!({"id": ["Missing value"], "username": ["Missing value"], "role": ["Missing value"], "__type": "Validation Error"}),
        ),
        (json!({"id": "org-a", "username": "otto"}), validation("role", "Missing value")),
        (
            json!({"id": "org-a", "username": "otto", "role": "owner"}),
            validation("role", "role does not exist."),
        ),
        (
            json!({"id": "org-a", "username": "nobody", "role": "member"}),
            validation("username", "User not found"),
        ),
        (
            json!({"id": "no-org", "username": "otto", "role": "member"}),
            validation("id", "That group name or ID does not exist."),
        ),
    ];
    let before = cast.server.catalogue_snapshot();
    for (body, expected) in cases {
        let reply = cast.call(Persona::Sysadmin, "organization_member_create", body.clone());
        assert_error(&reply, 409, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{body}");
    }
    // To anyone else an unknown organization is one they may not add members to.
    let reply = cast.call(
        Persona::OrgAdmin,
        "organization_member_create",
        json!({"id": "no-org", "username": "otto", "role": "member"}),
    );
    assert_error(&reply, 403, &denied("Access denied: User alice not authorized to add members"));
}

#[test]
fn admins_cannot_revoke_their_own_admin_status() {
    let cast = Cast::new();
    let before = cast.server.catalogue_snapshot();
    for (action, body) in [
        ("organization_member_create", json!({"id": "org-a", "username": "alice", "role": "editor"})),
        (
            "member_create",
            json!({"id": "org-a", "object": "alice", "object_type": "user", "capacity": "member"}),
        ),
    ] {
        let reply = cast.call(Persona::OrgAdmin, action, body);
        assert_error(
            &reply,
            403,
            &denied("Access denied: Administrators cannot revoke their own admin status"),
        );
        assert_eq!(cast.server.catalogue_snapshot(), before);
    }
    // Staying admin is fine; another admin (or a sysadmin) may demote them.
    let same = cast.call(
        Persona::OrgAdmin,
        "organization_member_create",
        json!({"id": "org-a", "username": "alice", "role": "admin"}),
    );
    assert_eq!(same.result()["capacity"], "admin");
    let demoted = cast.call(
        Persona::Sysadmin,
        "organization_member_create",
        json!({"id": "org-a", "username": "alice", "role": "member"}),
    );
    assert_eq!(demoted.result()["capacity"], "member");
}

#[test]
fn organization_member_delete_needs_an_admin() {
    let cast = Cast::new();
    for persona in PERSONAS {
        if persona.administers_org() {
            continue;
        }
        let before = cast.server.catalogue_snapshot();
        let reply =
            cast.call(persona, "organization_member_delete", json!({"id": "org-a", "username": "mia"}));
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action organization_member_delete requires an authenticated user")
        } else {
            denied(&format!(
                "Access denied: User {} not authorized to edit group {}",
                persona.user(),
                cast.org_id
            ))
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
    let reply =
        cast.call(Persona::OrgAdmin, "organization_member_delete", json!({"id": "org-a", "username": "mia"}));
    assert_eq!(reply.result(), Value::Null);
    let members =
        cast.call(Persona::Anonymous, "member_list", json!({"id": "org-a", "object_type": "user"})).result();
    assert_eq!(members.as_array().unwrap().len(), 2);
    assert_eq!(cast.call(Persona::Member, "organization_list_for_user", json!({})).result(), json!([]));
    // user_id is accepted too; removing a non-member is not an error.
    let again =
        cast.call(Persona::Sysadmin, "organization_member_delete", json!({"id": "org-a", "user_id": "mia"}));
    assert_eq!(again.result(), Value::Null);
    let reply = cast.call(
        Persona::Sysadmin,
        "organization_member_delete",
        json!({"id": "org-a", "username": "nobody"}),
    );
    assert_error(&reply, 404, &not_found("Not found: User was not found."));
    let reply = cast.call(Persona::Sysadmin, "organization_member_delete", json!({"id": "org-a"}));
    assert_error(&reply, 404, &not_found("Not found: User was not found."));
    let reply = cast.call(
        Persona::Sysadmin,
        "organization_member_delete",
        json!({"id": "no-org", "username": "mia"}),
    );
    assert_error(&reply, 404, &not_found("Not found: Group was not found."));
}

// ---------------------------------------------------------------------------------------------
// organization_list_for_user

#[test]
fn organization_list_for_user_gives_each_persona_its_organizations_with_capacity() {
    let cast = Cast::new();
    cast.site("organization_create", json!({"name": "other", "title": "Other"}));
    cast.site("organization_create", json!({"name": "gone"}));
    cast.site("organization_delete", json!({"id": "gone"}));
    for persona in PERSONAS {
        let list = cast.call(persona, "organization_list_for_user", json!({})).result();
        let got: Vec<(String, String)> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["name"].as_str().unwrap().to_owned(), o["capacity"].as_str().unwrap().to_owned()))
            .collect();
        let expected: Vec<(&str, &str)> = match persona {
            Persona::Anonymous | Persona::Revoked | Persona::Outsider => vec![],
            Persona::Member => vec![("org-a", "member")],
            Persona::Editor => vec![("org-a", "editor")],
            Persona::OrgAdmin => vec![("org-a", "admin")],
            Persona::Sysadmin => vec![("org-a", "admin"), ("other", "admin")],
        };
        let expected: Vec<(String, String)> =
            expected.into_iter().map(|(a, b)| (a.to_owned(), b.to_owned())).collect();
        assert_eq!(got, expected, "{persona:?}");
        for org in list.as_array().unwrap() {
            assert!(org.get("package_count").is_none() && org.get("users").is_none());
            assert_eq!(org["is_organization"], true);
        }
    }
}

#[test]
fn organization_list_for_user_takes_a_user_and_a_permission() {
    let cast = Cast::new();
    cast.dataset("s1", "org-a", true);
    let for_create = |persona: Persona, user: &str| {
        let list = cast
            .call(persona, "organization_list_for_user", json!({"id": user, "permission": "create_dataset"}))
            .result();
        dict_names(&list)
    };
    assert_eq!(for_create(Persona::Anonymous, "mia"), Vec::<String>::new());
    assert_eq!(for_create(Persona::Anonymous, "eddie"), ["org-a"]);
    assert_eq!(for_create(Persona::Anonymous, "alice"), ["org-a"]);
    assert_eq!(for_create(Persona::Anonymous, "admin"), ["org-a"], "a sysadmin: every organization");
    let read = cast
        .call(Persona::Anonymous, "organization_list_for_user", json!({"id": "mia", "permission": "read"}))
        .result();
    assert_eq!(dict_names(&read), ["org-a"]);
    // Counts are the caller's view.
    let counted = |persona: Persona| {
        let list = cast
            .call(persona, "organization_list_for_user", json!({"id": "mia", "include_dataset_count": true}))
            .result();
        list[0]["package_count"].clone()
    };
    assert_eq!(counted(Persona::Anonymous), 0);
    assert_eq!(counted(Persona::Member), 1);
    let reply = cast.call(Persona::Anonymous, "organization_list_for_user", json!({"id": "nobody"}));
    assert_error(&reply, 404, &not_found("Not found"));
}

#[test]
fn admin_rights_cascade_to_sub_organizations() {
    let cast = Cast::new();
    cast.site("organization_create", json!({"name": "child", "title": "Child"}));
    // child's parent is org-a.
    cast.site(
        "member_create",
        json!({"id": "child", "object": "org-a", "object_type": "group", "capacity": "parent"}),
    );
    let list = cast.call(Persona::OrgAdmin, "organization_list_for_user", json!({})).result();
    assert_eq!(dict_names(&list), ["child", "org-a"]);
    assert_eq!(list[0]["capacity"], "admin");
    // alice administers child through org-a; mia's member role does not cascade.
    let reply =
        cast.call(Persona::OrgAdmin, "organization_patch", json!({"id": "child", "title": "Child (edited)"}));
    assert_eq!(reply.result()["title"], "Child (edited)");
    assert_eq!(reply.result()["groups"][0]["name"], "org-a");
    assert_eq!(
        dict_names(&cast.call(Persona::Member, "organization_list_for_user", json!({})).result()),
        ["org-a"]
    );
    // A loop is refused.
    let before = cast.server.catalogue_snapshot();
    let reply = cast.call(
        Persona::Sysadmin,
        "member_create",
        json!({"id": "org-a", "object": "child", "object_type": "group", "capacity": "parent"}),
    );
    assert_error(&reply, 409, &validation("object", "This parent would create a loop in the hierarchy"));
    let reply = cast.call(
        Persona::Sysadmin,
        "member_create",
        json!({"id": "org-a", "object": "org-a", "object_type": "group", "capacity": "parent"}),
    );
    assert_error(&reply, 409, &validation("object", "This parent would create a loop in the hierarchy"));
    assert_eq!(cast.server.catalogue_snapshot(), before);
}

// ---------------------------------------------------------------------------------------------
// member_create / member_delete / member_list / member_roles_list on organizations

#[test]
fn member_create_on_an_organization_needs_its_admin() {
    let cast = Cast::new();
    for persona in PERSONAS {
        let body = json!({"id": "org-a", "object": "otto", "object_type": "user", "capacity": "member"});
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "member_create", body);
        if persona.administers_org() {
            assert_eq!(reply.result()["capacity"], "member");
            cast.site("member_delete", json!({"id": "org-a", "object": "otto", "object_type": "user"}));
            continue;
        }
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action member_create requires an authenticated user")
        } else {
            denied(&format!(
                "Access denied: User {} not authorized to edit group {}",
                persona.user(),
                cast.org_id
            ))
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
}

#[test]
fn member_create_and_delete_errors() {
    let cast = Cast::new();
    let cases: Vec<(&str, Value, u16, Value)> = vec![
        (
            "member_create",
            json!({}),
            409,
            json!({"id": ["Missing value"], "object": ["Missing value"], "object_type": ["Missing value"],
                   "capacity": ["Missing value"], "__type": "Validation Error"}),
        ),
        (
            "member_create",
            json!({"id": "nope", "object": "otto", "object_type": "user", "capacity": "member"}),
            404,
            not_found("Not found: Group was not found."),
        ),
        (
            "member_create",
            json!({"id": "org-a", "object": "otto", "object_type": "tag", "capacity": "member"}),
            409,
            message("Tag isn't a valid model"),
        ),
        (
            "member_create",
            json!({"id": "org-a", "object": "nobody", "object_type": "user", "capacity": "member"}),
            404,
            not_found("Not found: User was not found."),
        ),
        (
            "member_create",
            json!({"id": "org-a", "object": "no-set", "object_type": "package", "capacity": "public"}),
            404,
            not_found("Not found: Package was not found."),
        ),
        (
            "member_create",
            json!({"id": "org-a", "object": "otto", "object_type": "user", "capacity": "owner"}),
            409,
            validation("capacity", "role does not exist."),
        ),
        (
            "member_delete",
            json!({"id": "org-a"}),
            409,
            json!({"object": ["Missing value"], "object_type": ["Missing value"], "__type": "Validation Error"}),
        ),
        (
            "member_delete",
            json!({"id": "org-a", "object": "mia", "object_type": "resource"}),
            409,
            message("Resource isn't a valid model"),
        ),
        (
            "member_delete",
            json!({"id": "nope", "object": "mia", "object_type": "user"}),
            404,
            not_found("Not found: Group was not found."),
        ),
    ];
    let before = cast.server.catalogue_snapshot();
    for (action, body, status, expected) in cases {
        let reply = cast.call(Persona::Sysadmin, action, body.clone());
        assert_error(&reply, status, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{action} {body}");
    }
}

#[test]
fn member_delete_on_an_organization_needs_its_admin() {
    let cast = Cast::new();
    for persona in PERSONAS {
        if persona.administers_org() {
            continue;
        }
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(
            persona,
            "member_delete",
            json!({"id": "org-a", "object": "mia", "object_type": "user"}),
        );
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action member_delete requires an authenticated user")
        } else {
            denied(&format!(
                "Access denied: User {} not authorized to edit group {}",
                persona.user(),
                cast.org_id
            ))
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
    let reply = cast.call(
        Persona::OrgAdmin,
        "member_delete",
        json!({"id": "org-a", "object": "mia", "object_type": "user"}),
    );
    assert_eq!(reply.result(), Value::Null);
    assert_eq!(cast.call(Persona::Member, "organization_list_for_user", json!({})).result(), json!([]));
}

#[test]
fn member_list_gives_triples_and_hides_private_datasets_from_outsiders() {
    let cast = Cast::new();
    let public = cast.dataset("p1", "org-a", false);
    let secret = cast.dataset("s1", "org-a", true);
    let (alice, eddie, mia) = (cast.user_id("alice"), cast.user_id("eddie"), cast.user_id("mia"));
    for persona in PERSONAS {
        let users = cast.call(persona, "member_list", json!({"id": "org-a", "object_type": "user"})).result();
        let mut users: Vec<Value> = users.as_array().unwrap().clone();
        users.sort_by_key(|t| t[2].as_str().unwrap().to_owned());
        assert_eq!(
            users,
            [
                json!([alice, "user", "Admin"]),
                json!([eddie, "user", "Editor"]),
                json!([mia, "user", "Member"])
            ],
            "{persona:?}"
        );
        let datasets =
            cast.call(persona, "member_list", json!({"id": "org-a", "object_type": "package"})).result();
        let mut ids: Vec<&str> =
            datasets.as_array().unwrap().iter().map(|t| t[0].as_str().unwrap()).collect();
        ids.sort_unstable();
        let mut expected = vec![public["id"].as_str().unwrap()];
        if persona.reads_org() {
            expected.push(secret["id"].as_str().unwrap());
        }
        expected.sort_unstable();
        assert_eq!(ids, expected, "{persona:?}");
        assert!(datasets.as_array().unwrap().iter().all(|t| t[1] == "package" && t[2] == "organization"));
    }
    let all = cast.call(Persona::Anonymous, "member_list", json!({"id": cast.org_id})).result();
    assert_eq!(all.as_array().unwrap().len(), 4);
    let admins =
        cast.call(Persona::Anonymous, "member_list", json!({"id": "org-a", "capacity": "admin"})).result();
    assert_eq!(admins, json!([[alice, "user", "Admin"]]));
    let got = cast.server.get("/api/3/action/member_list?id=org-a&object_type=user&capacity=member", &[]);
    assert_eq!(got.result(), json!([[mia, "user", "Member"]]));
    let reply = cast.call(Persona::Anonymous, "member_list", json!({"id": "nope"}));
    assert_error(&reply, 404, &not_found("Not found"));
    let reply = cast.call(Persona::Anonymous, "member_list", json!({}));
    assert_error(&reply, 409, &validation("id", "Missing value"));
}

#[test]
fn member_roles_list_has_editor_for_organizations_only() {
    let cast = Cast::new();
    let org_roles = json!([
        {"text": "Admin", "value": "admin"},
        {"text": "Editor", "value": "editor"},
        {"text": "Member", "value": "member"},
    ]);
    for persona in PERSONAS {
        assert_eq!(cast.call(persona, "member_roles_list", json!({})).result(), org_roles);
    }
    assert_eq!(
        cast.call(Persona::Anonymous, "member_roles_list", json!({"group_type": "organization"})).result(),
        org_roles
    );
    let group_roles = cast.server.get("/api/3/action/member_roles_list?group_type=group", &[]).result();
    assert_eq!(
        group_roles,
        json!([{"text": "Admin", "value": "admin"}, {"text": "Member", "value": "member"}])
    );
}

// ---------------------------------------------------------------------------------------------
// organization_autocomplete, organization_activity_list, group_package_show on organizations

#[test]
fn organization_autocomplete_matches_name_or_title() {
    let cast = Cast::new();
    cast.site("organization_create", json!({"name": "odense", "title": "Odense Kommune"}));
    cast.site("organization_create", json!({"name": "aarhus", "title": "Aarhus KOMMUNE"}));
    cast.site("organization_create", json!({"name": "kommune-gone"}));
    cast.site("organization_delete", json!({"id": "kommune-gone"}));
    cast.site("group_create", json!({"name": "kommune-group"}));
    for persona in PERSONAS {
        let found = cast.call(persona, "organization_autocomplete", json!({"q": "kommune"})).result();
        assert_eq!(dict_names(&found), ["aarhus", "odense"], "{persona:?}");
        assert_eq!(keys(&found[0]), ["id", "name", "title"]);
    }
    let limited = cast.server.get("/api/3/action/organization_autocomplete?q=KOMM&limit=1", &[]).result();
    assert_eq!(dict_names(&limited), ["aarhus"]);
    let by_name = cast.call(Persona::Anonymous, "organization_autocomplete", json!({"q": "org-"})).result();
    assert_eq!(dict_names(&by_name), ["org-a"]);
    let reply = cast.call(Persona::Anonymous, "organization_autocomplete", json!({}));
    assert_error(&reply, 409, &validation("q", "Missing value"));
    let reply = cast.call(Persona::Anonymous, "organization_autocomplete", json!({"q": "o", "limit": -1}));
    assert_error(&reply, 409, &validation("limit", "Must be a natural number"));
}

#[test]
fn organization_activity_list_shows_public_dataset_activity_only() {
    let cast = Cast::new();
    for (name, private) in [("p1", false), ("s1", true)] {
        let body = json!({"name": name, "owner_org": "org-a", "private": private});
        assert_eq!(cast.call(Persona::Editor, "package_create", body).status, 200);
    }
    cast.call(Persona::OrgAdmin, "organization_patch", json!({"id": "org-a", "title": "Org A2"})).result();
    for persona in PERSONAS {
        let stream = cast.call(persona, "organization_activity_list", json!({"id": "org-a"})).result();
        let types: Vec<&str> =
            stream.as_array().unwrap().iter().map(|a| a["activity_type"].as_str().unwrap()).collect();
        // The site created org-a: like CKAN's site user, it is left out of the stream.
        assert_eq!(types, ["changed organization", "new package"], "{persona:?}");
        assert_eq!(
            keys(&stream[0]),
            ["id", "timestamp", "user_id", "object_id", "activity_type", "data", "permission_labels"]
        );
        assert_eq!(stream[0]["data"]["group"]["title"], "Org A2");
        // CKAN's activity plugin keeps the group's row (`table_dictize`), extras as an object,
        // and no actor.
        assert_eq!(keys(&stream[0]["data"]), ["group"]);
        assert_eq!(
            keys(&stream[0]["data"]["group"]),
            [
                "id",
                "name",
                "title",
                "type",
                "description",
                "image_url",
                "created",
                "is_organization",
                "approval_status",
                "state",
                "extras"
            ]
        );
        assert!(stream[0]["data"]["group"]["extras"].is_object());
        // CKAN labels dataset activities only.
        assert!(stream[0]["permission_labels"].is_null());
        assert_eq!(stream[1]["permission_labels"], json!(["public"]));
        assert_eq!(stream[0]["user_id"], cast.user_id("alice"));
        assert_eq!(stream[1]["data"]["package"]["name"], "p1");
    }
    // Sysadmins may ask for the site's own activity; others cannot.
    let body = json!({"id": "org-a", "include_hidden_activity": true});
    let all = cast.call(Persona::Sysadmin, "organization_activity_list", body.clone()).result();
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[2]["activity_type"], "new organization");
    let not_all = cast.call(Persona::OrgAdmin, "organization_activity_list", body).result();
    assert_eq!(not_all.as_array().unwrap().len(), 2);
    let limited = cast
        .call(
            Persona::Anonymous,
            "organization_activity_list",
            json!({"id": "org-a", "limit": 1, "offset": 1}),
        )
        .result();
    assert_eq!(limited.as_array().unwrap().len(), 1);
    assert_eq!(limited[0]["activity_type"], "new package");
    let typed = cast
        .call(
            Persona::Anonymous,
            "organization_activity_list",
            json!({"id": "org-a", "activity_types": ["changed organization"]}),
        )
        .result();
    assert_eq!(typed.as_array().unwrap().len(), 1);
    let first = all[2]["timestamp"].as_str().unwrap();
    let seconds = chrono_seconds(first);
    let after = cast
        .call(
            Persona::Sysadmin,
            "organization_activity_list",
            json!({"id": "org-a", "after": seconds - 1.0, "limit": 1, "include_hidden_activity": true}),
        )
        .result();
    assert_eq!(after[0]["activity_type"], "new organization", "`after` pages forward from the oldest");
    let cases: Vec<(Value, u16, Value)> = vec![
        (json!({}), 409, validation("id", "Missing value")),
        (json!({"id": "nope"}), 404, not_found("Not found")),
        (
            json!({"id": "org-a", "limit": "x"}),
            409,
            json!({"limit": ["Invalid integer", "Please enter an integer value"], "__type": "Validation Error"}),
        ),
        (
            json!({"id": "org-a", "before": "yesterday"}),
            409,
            validation("before", "Must be a float timestamp"),
        ),
        (
            json!({"id": "org-a", "activity_types": "new package"}),
            409,
            validation("activity_types", "Not a list"),
        ),
        (
            json!({"id": "org-a", "activity_types": ["new package"], "exclude_activity_types": ["x"]}),
            409,
            validation("activity_types", "Cannot be used together with `exclude_activity_types"),
        ),
    ];
    for (body, status, expected) in cases {
        let reply = cast.call(Persona::Anonymous, "organization_activity_list", body);
        assert_error(&reply, status, &expected);
    }
    let group = cast.site("group_create", json!({"name": "a-group"}));
    let reply = cast.call(Persona::Anonymous, "organization_activity_list", json!({"id": group["id"]}));
    assert_error(&reply, 404, &not_found("Not found"));
}

/// Unix seconds of a CKAN timestamp (`YYYY-MM-DDTHH:MM:SS[.ffffff]`, UTC).
fn chrono_seconds(timestamp: &str) -> f64 {
    let (date, time) = timestamp.split_once('T').unwrap();
    let parts: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    let (y, m, d) = (parts[0], parts[1], parts[2]);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let clock: Vec<f64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    #[allow(clippy::cast_precision_loss)]
    let base = (days * 86_400) as f64;
    base + clock[0] * 3600.0 + clock[1] * 60.0 + clock[2]
}

#[test]
fn group_package_show_on_an_organization_lists_its_public_datasets() {
    let cast = Cast::new();
    cast.dataset("p1", "org-a", false);
    cast.dataset("s1", "org-a", true);
    for persona in PERSONAS {
        let datasets = cast.call(persona, "group_package_show", json!({"id": "org-a"})).result();
        assert_eq!(dict_names(&datasets), ["p1"], "{persona:?}");
    }
}
