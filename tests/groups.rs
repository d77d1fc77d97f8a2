//! The group actions and the membership actions on groups (ckan-api.md §2.1 "Organizations,
//! groups, members", §2.4, §3.3, §3.5, §4.1, §4.4) against a running server, for every kind of
//! caller: anonymous, a revoked token (acts as anonymous), a logged-in outsider, a member, an
//! editor, the group's admin and a sysadmin.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::errors::{assert_error, denied, message, not_found, validation};
use common::{GROUP_SHOW_KEYS as SHOW_KEYS, Reply, TestServer, dict_names, keys, names};
use serde_json::{Value, json};

const NAME_TAKEN: &str = "Group name already exists in database";
const LOOP: &str = "This parent would create a loop in the hierarchy";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Persona {
    Anonymous,
    /// rick's token, revoked: acts as anonymous.
    Revoked,
    /// otto: logged in, no role anywhere.
    Outsider,
    /// mia: `member` of grp-a.
    Member,
    /// eddie: `editor` of grp-a, and member of org-x (so he may read its private datasets).
    Editor,
    /// alice: `admin` of grp-a.
    GroupAdmin,
    /// admin: sysadmin (no membership).
    Sysadmin,
}

const PERSONAS: [Persona; 7] = [
    Persona::Anonymous,
    Persona::Revoked,
    Persona::Outsider,
    Persona::Member,
    Persona::Editor,
    Persona::GroupAdmin,
    Persona::Sysadmin,
];

impl Persona {
    fn user(self) -> &'static str {
        match self {
            Self::Anonymous | Self::Revoked => "",
            Self::Outsider => "otto",
            Self::Member => "mia",
            Self::Editor => "eddie",
            Self::GroupAdmin => "alice",
            Self::Sysadmin => "admin",
        }
    }

    fn is_anonymous(self) -> bool {
        matches!(self, Self::Anonymous | Self::Revoked)
    }

    /// Has a role in grp-a (or is a sysadmin).
    fn in_group(self) -> bool {
        matches!(self, Self::Member | Self::Editor | Self::GroupAdmin | Self::Sysadmin)
    }

    /// May change grp-a.
    fn administers_group(self) -> bool {
        matches!(self, Self::GroupAdmin | Self::Sysadmin)
    }

    /// May read org-x's private datasets.
    fn reads_private(self) -> bool {
        matches!(self, Self::Editor | Self::Sysadmin)
    }
}

/// A server with the users of [`Persona`], org-x (eddie is a member) with a public dataset
/// `pub-1` and a private one `priv-1`, and grp-a ("Group A", alice admin, eddie editor, mia
/// member) holding both datasets. Everything is created by the site.
struct Cast {
    server: TestServer,
    tokens: Vec<(Persona, String)>,
    group_id: String,
}

impl Cast {
    fn new() -> Self {
        let server = TestServer::start();
        let mut tokens = Vec::new();
        let (_, admin) = server.user_with_token("admin", true);
        tokens.push((Persona::Sysadmin, admin));
        for persona in [Persona::GroupAdmin, Persona::Editor, Persona::Member, Persona::Outsider] {
            let (_, token) = server.user_with_token(persona.user(), false);
            tokens.push((persona, token));
        }
        let (_, revoked) = server.user_with_token("rick", false);
        assert_eq!(server.as_site("api_token_revoke", json!({"token": revoked})), Value::Null);
        tokens.push((Persona::Revoked, revoked));
        server.as_site(
            "organization_create",
            json!({"name": "org-x", "users": [{"name": "eddie", "capacity": "member"}]}),
        );
        server.as_site("package_create", json!({"name": "pub-1", "owner_org": "org-x"}));
        server.as_site("package_create", json!({"name": "priv-1", "owner_org": "org-x", "private": true}));
        let group = server.as_site(
            "group_create",
            json!({
                "name": "grp-a",
                "title": "Group A",
                "description": "The first group",
                "users": [
                    {"name": "alice", "capacity": "admin"},
                    {"name": "eddie", "capacity": "editor"},
                    {"name": "mia", "capacity": "member"},
                ],
                "packages": [{"id": "pub-1"}, {"id": "priv-1"}],
            }),
        );
        let group_id = group["id"].as_str().unwrap().to_owned();
        Self { server, tokens, group_id }
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

    fn id_of_user(&self, name: &str) -> String {
        self.site("user_show", json!({"id": name}))["id"].as_str().unwrap().to_owned()
    }

    fn id_of_dataset(&self, name: &str) -> String {
        self.site("package_show", json!({"id": name}))["id"].as_str().unwrap().to_owned()
    }

    /// The group names in a dataset's `groups`, as a sysadmin sees it.
    fn groups_of(&self, dataset: &str) -> Vec<String> {
        dict_names(&self.site("package_show", json!({"id": dataset}))["groups"])
    }
}

fn sorted(mut list: Vec<String>) -> Vec<String> {
    list.sort();
    list
}

// ---------------------------------------------------------------------------------------------
// group_create

#[test]
fn group_create_is_open_to_every_logged_in_user_who_becomes_its_admin() {
    let cast = Cast::new();
    for persona in PERSONAS {
        let name = format!("g-{}", format!("{persona:?}").to_lowercase());
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "group_create", json!({"name": name, "title": "Mine"}));
        if persona.is_anonymous() {
            assert_error(
                &reply,
                403,
                &denied("Access denied: Action group_create requires an authenticated user"),
            );
            assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
            continue;
        }
        let group = reply.result();
        assert_eq!(keys(&group), SHOW_KEYS, "{persona:?}");
        assert_eq!(
            (group["type"].as_str(), group["is_organization"].as_bool()),
            (Some("group"), Some(false))
        );
        assert_eq!(group["users"].as_array().unwrap().len(), 1);
        assert_eq!(group["users"][0]["name"], persona.user());
        assert_eq!(group["users"][0]["capacity"], "admin");
        // As its admin the creator may change it.
        let patched = cast.call(persona, "group_patch", json!({"id": name, "title": "Changed"}));
        assert_eq!(patched.result()["title"], "Changed", "{persona:?}");
    }
}

#[test]
fn with_user_create_and_delete_groups_off_only_sysadmins_create_and_delete() {
    let server = TestServer::start_with(common::Options {
        auth: datahavn_actions::AuthOptions {
            user_create_groups: false,
            user_delete_groups: false,
            ..Default::default()
        },
        ..Default::default()
    });
    let (user, token) = server.user_with_token("gus", false);
    let (_, admin) = server.user_with_token("admin", true);
    let before = server.catalogue_snapshot();
    let reply = server.action("group_create", json!({"name": "mine"}), Some(&token));
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert_eq!(
        reply.error()["message"],
        format!("Access denied: User {} not authorized to create groups", user["id"].as_str().unwrap())
    );
    assert_eq!(server.catalogue_snapshot(), before);
    // gus administers a group a sysadmin made, but may not delete it.
    let group = server
        .action(
            "group_create",
            json!({"name": "theirs", "users": [{"name": "gus", "capacity": "admin"}]}),
            Some(&admin),
        )
        .result();
    let reply = server.action("group_delete", json!({"id": "theirs"}), Some(&token));
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert_eq!(
        reply.error()["message"],
        format!("Access denied: User gus not authorized to delete group {}", group["id"].as_str().unwrap())
    );
    assert_eq!(server.action("group_delete", json!({"id": "theirs"}), Some(&admin)).status, 200);
}

#[test]
fn group_create_takes_datasets_parents_users_extras_and_a_custom_type() {
    let cast = Cast::new();
    let body = json!({
        "name": "themes",
        "title": "Themes",
        "type": "theme",
        "extras": [{"key": "colour", "value": "green"}],
        "packages": [{"id": "pub-1"}, {"id": cast.id_of_dataset("pub-1")}],
        "groups": [{"name": "grp-a", "capacity": "parent"}, {"name": "unknown-group"}],
        "users": [{"name": "otto"}],
        "icon": "leaf",
    });
    let group = cast.call(Persona::Sysadmin, "group_create", body).result();
    assert_eq!(group["type"], "theme");
    assert_eq!(group["icon"], "leaf");
    assert_eq!(group["package_count"], 1);
    assert_eq!(group["extras"], json!([{"key": "colour", "value": "green"}]));
    let parents = group["groups"].as_array().unwrap();
    assert_eq!(parents.len(), 1);
    assert_eq!(
        (parents[0]["name"].as_str(), parents[0]["capacity"].as_str()),
        (Some("grp-a"), Some("parent"))
    );
    assert_eq!(parents[0]["member_count"], 3);
    let roles: Vec<(&str, &str)> = group["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["capacity"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [("admin", "admin"), ("otto", "member")]);
    assert_eq!(sorted(cast.groups_of("pub-1")), ["grp-a", "themes"], "the dataset shows its new group");
    // Custom types are listed under their type only.
    assert!(!names(&cast.call(Persona::Anonymous, "group_list", json!({}))).contains(&"themes".to_owned()));
    assert_eq!(names(&cast.call(Persona::Anonymous, "group_list", json!({"type": "theme"}))), ["themes"]);
}

#[test]
fn group_create_validation_errors_change_nothing() {
    let cast = Cast::new();
    cast.site("organization_create", json!({"name": "an-org"}));
    let cases: Vec<(Value, Value)> = vec![
        (json!({}), validation("name", "Missing value")),
        (json!({"name": "x"}), validation("name", "Must be at least 2 characters long")),
        (json!({"name": "search"}), validation("name", "That name cannot be used")),
        (json!({"name": "grp-a"}), validation("name", NAME_TAKEN)),
        (json!({"name": "an-org"}), validation("name", NAME_TAKEN)),
        (
            json!({"name": "fine", "packages": [{"id": "no-such-set"}]}),
            json!({"packages": [{"id": ["Not found: Dataset"]}], "__type": "Validation Error"}),
        ),
        (
            json!({"name": "fine", "packages": [{"id": "pub-1"}, {"name": "pub-1"}]}),
            json!({"packages": [{}, {"id": ["Missing value"]}], "__type": "Validation Error"}),
        ),
        (
            json!({"name": "fine", "groups": [{"capacity": "parent"}]}),
            json!({"groups": [{"name": ["Missing value"]}], "__type": "Validation Error"}),
        ),
        (
            json!({"name": "fine", "extras": "colour=green"}),
            validation("extras", "Must be a list of dictionaries"),
        ),
        (
            json!({"name": "fine", "type": "organization"}),
            message("Trying to create an organization as a group"),
        ),
    ];
    let before = cast.server.catalogue_snapshot();
    for (body, expected) in cases {
        let reply = cast.call(Persona::Outsider, "group_create", body.clone());
        assert_error(&reply, 409, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{body}");
    }
}

// ---------------------------------------------------------------------------------------------
// group_show / group_list / group_package_show

#[test]
fn group_show_counts_and_lists_public_datasets_only_whoever_asks() {
    // CKAN's `group_dictize` searches a group's datasets with `include_private` only for
    // organizations: priv-1 is in grp-a, but even a sysadmin or an org-x member does not see it.
    let cast = Cast::new();
    for persona in PERSONAS {
        let group =
            cast.call(persona, "group_show", json!({"id": "grp-a", "include_datasets": true})).result();
        assert_eq!(keys(&group)[..10], SHOW_KEYS[..10]);
        assert_eq!(group["package_count"], 1, "{persona:?}");
        assert_eq!(dict_names(&group["packages"]), ["pub-1"], "{persona:?}");
        let counted = cast.call(persona, "group_show", json!({"id": "grp-a"})).result();
        assert_eq!(counted["package_count"], 1, "{persona:?}");
    }
    // The answers of group_patch and group_update are group_show's dict.
    let patched = cast.call(Persona::Sysadmin, "group_patch", json!({"id": "grp-a", "title": "A"})).result();
    assert_eq!(patched["package_count"], 1);
    let body = json!({"id": "grp-a", "title": "A", "packages": [{"id": "pub-1"}, {"id": "priv-1"}]});
    let updated = cast.call(Persona::Sysadmin, "group_update", body).result();
    assert_eq!(updated["package_count"], 1);
    assert_eq!(sorted(cast.groups_of("priv-1")), ["grp-a"], "the private dataset stays in the group");
}

#[test]
fn group_show_errors() {
    let cast = Cast::new();
    let org = cast.site("organization_create", json!({"name": "an-org"}));
    for persona in PERSONAS {
        assert_error(&cast.call(persona, "group_show", json!({})), 409, &validation("id", "Missing value"));
        assert_error(&cast.call(persona, "group_show", json!({"id": "nope"})), 404, &not_found("Not found"));
        for id in ["an-org", org["id"].as_str().unwrap()] {
            let reply = cast.call(persona, "group_show", json!({"id": id}));
            assert_error(&reply, 404, &not_found("Not found"));
        }
        let reply = cast.call(persona, "group_show", json!({"id": "grp-a", "include_datasets": "sometimes"}));
        assert_error(&reply, 409, &message("Parameter is not an bool"));
    }
}

#[test]
fn group_list_lists_groups_only_sorted_by_title() {
    let cast = Cast::new();
    cast.site("group_create", json!({"name": "zz", "title": "Alpha"}));
    cast.site("group_create", json!({"name": "aa", "title": "Zulu"}));
    cast.site("group_create", json!({"name": "gone"}));
    cast.site("group_delete", json!({"id": "gone"}));
    for persona in PERSONAS {
        assert_eq!(names(&cast.call(persona, "group_list", json!({}))), ["zz", "grp-a", "aa"], "{persona:?}");
    }
    assert_eq!(names(&cast.server.get("/api/3/action/group_list?sort=name", &[])), ["aa", "grp-a", "zz"]);
    assert_eq!(names(&cast.call(Persona::Anonymous, "group_list", json!({"groups": "aa,zz"}))), ["zz", "aa"]);
    assert_eq!(
        names(&cast.call(Persona::Anonymous, "group_list", json!({"organizations": ["aa"]}))).len(),
        3
    );
    // Sorting by dataset count uses what the caller sees: grp-a has one public dataset.
    cast.site(
        "member_create",
        json!({"id": "aa", "object": "pub-1", "object_type": "package", "capacity": "public"}),
    );
    cast.site(
        "member_create",
        json!({"id": "zz", "object": "priv-1", "object_type": "package", "capacity": "public"}),
    );
    let anonymous = names(&cast.call(Persona::Anonymous, "group_list", json!({"sort": "package_count"})));
    assert_eq!(anonymous, ["aa", "grp-a", "zz"]);
    let eddie = names(&cast.call(Persona::Editor, "group_list", json!({"sort": "package_count"})));
    assert_eq!(eddie, ["grp-a", "aa", "zz"]);
    let dicts =
        cast.call(Persona::Anonymous, "group_list", json!({"all_fields": true, "sort": "name"})).result();
    assert_eq!(dict_names(&dicts), ["aa", "grp-a", "zz"]);
    assert_eq!(dicts[1]["package_count"], 1);
    assert!(dicts[1].get("users").is_none() && dicts[1].get("extras").is_none());
}

#[test]
fn group_list_answers_like_the_recorded_ckan_on_an_empty_site() {
    let server = TestServer::start();
    let (_, token) = server.user_with_token("admin", true);
    let recorded = common::reference("20_group_list.json");
    let reply = server.get(recorded["request"]["url"].as_str().unwrap(), &[("Authorization", &token)]);
    assert_eq!(reply.status, 200);
    let expected = &recorded["response"]["body"];
    let got = reply.json();
    assert_eq!(keys(&got), keys(expected));
    assert_eq!(got["result"], expected["result"]);
}

#[test]
fn group_package_show_lists_public_datasets_for_everyone() {
    let cast = Cast::new();
    for i in 0..12 {
        cast.site(
            "package_create",
            json!({"name": format!("set-{i:02}"), "owner_org": "org-x", "groups": [{"name": "grp-a"}]}),
        );
    }
    for persona in PERSONAS {
        let datasets = cast.call(persona, "group_package_show", json!({"id": "grp-a"})).result();
        let listed = dict_names(&datasets);
        assert_eq!(listed.len(), 10, "{persona:?}");
        assert_eq!(listed[0], "set-11");
        assert!(!listed.contains(&"priv-1".to_owned()));
    }
    let all = cast
        .call(Persona::Anonymous, "group_package_show", json!({"id": cast.group_id, "limit": 50}))
        .result();
    assert_eq!(all.as_array().unwrap().len(), 13);
    let few = cast.server.get("/api/3/action/group_package_show?id=grp-a&limit=2", &[]).result();
    assert_eq!(dict_names(&few), ["set-11", "set-10"]);
    let none =
        cast.call(Persona::Anonymous, "group_package_show", json!({"id": "grp-a", "limit": 0})).result();
    assert_eq!(none, json!([]));
    let cases: Vec<(Value, u16, Value)> = vec![
        (json!({}), 409, validation("id", "Missing value")),
        (json!({"id": "grp-a", "limit": -1}), 409, message("Limit must be a positive integer")),
        (json!({"id": "grp-a", "limit": "many"}), 409, message("Limit must be a positive integer")),
        (json!({"id": "nope"}), 404, not_found("Not found")),
    ];
    for (body, status, expected) in cases {
        assert_error(&cast.call(Persona::Anonymous, "group_package_show", body), status, &expected);
    }
}

// ---------------------------------------------------------------------------------------------
// group_update / group_patch

#[test]
fn group_update_needs_an_admin_of_it() {
    let cast = Cast::new();
    for persona in PERSONAS {
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "group_update", json!({"id": "grp-a", "title": "Changed"}));
        if persona.administers_group() {
            assert_eq!(reply.result()["title"], "Changed");
            continue;
        }
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action group_update requires an authenticated user")
        } else {
            denied(&format!(
                "Access denied: User {} not authorized to edit group {}",
                persona.user(),
                cast.group_id
            ))
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
}

#[test]
fn group_update_replaces_datasets_when_sent_and_datasets_follow() {
    let cast = Cast::new();
    cast.site("package_create", json!({"name": "pub-2", "owner_org": "org-x"}));
    let updated = cast
        .call(
            Persona::GroupAdmin,
            "group_update",
            json!({"id": "grp-a", "packages": [{"id": "pub-2"}, {"id": "priv-1"}]}),
        )
        .result();
    assert_eq!(sorted(dict_names(&updated["packages"])), ["pub-2"], "alice may not read priv-1");
    assert!(cast.groups_of("pub-1").is_empty());
    assert_eq!(cast.groups_of("pub-2"), ["grp-a"]);
    assert_eq!(cast.groups_of("priv-1"), ["grp-a"]);
    // Not sent: kept. A rename shows in the datasets.
    let renamed = cast
        .call(Persona::GroupAdmin, "group_update", json!({"id": "grp-a", "name": "grp-renamed"}))
        .result();
    assert_eq!(renamed["title"], "Group A");
    assert_eq!(cast.groups_of("pub-2"), ["grp-renamed"]);
    let stream = cast.call(Persona::Anonymous, "group_activity_list", json!({"id": "grp-renamed"})).result();
    assert_eq!(stream[0]["activity_type"], "changed group");
}

#[test]
fn group_update_refuses_loops_and_other_errors() {
    let cast = Cast::new();
    cast.site("group_create", json!({"name": "child", "groups": [{"name": "grp-a"}]}));
    cast.site("group_create", json!({"name": "grandchild", "groups": [{"name": "child"}]}));
    cast.site("organization_create", json!({"name": "an-org"}));
    let loop_error = |i: usize| {
        let mut nested: Vec<Value> = vec![json!({}); i];
        nested.push(json!({"name": [LOOP]}));
        json!({"groups": nested, "__type": "Validation Error"})
    };
    let cases: Vec<(Value, u16, Value)> = vec![
        (json!({"id": "grp-a", "groups": [{"name": "grandchild"}]}), 409, loop_error(0)),
        (json!({"id": "grp-a", "groups": [{"name": "child"}]}), 409, loop_error(0)),
        (json!({"id": "grp-a", "groups": [{"name": "grp-a"}]}), 409, loop_error(0)),
        // Only groups of the same type can be parents.
        (json!({"id": "grp-a", "groups": [{"name": "an-org"}]}), 409, loop_error(0)),
        (json!({"id": "grandchild", "groups": [{"name": "child"}, {"name": "nope"}]}), 409, loop_error(1)),
        (json!({"id": "an-org", "title": "x"}), 404, not_found("Not found: Group was not found.")),
        (json!({"id": "grp-a", "name": "an-org"}), 409, validation("name", NAME_TAKEN)),
        (json!({"id": "grp-a", "type": "theme"}), 409, validation("type", "Type cannot be updated")),
        (
            json!({"id": "grp-a", "packages": [{"id": "nope"}]}),
            409,
            json!({"packages": [{"id": ["Not found: Dataset"]}], "__type": "Validation Error"}),
        ),
    ];
    let before = cast.server.catalogue_snapshot();
    for (body, status, expected) in cases {
        let reply = cast.call(Persona::Sysadmin, "group_update", body.clone());
        assert_error(&reply, status, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{body}");
    }
    // A sibling is a fine parent.
    cast.site("group_create", json!({"name": "sibling"}));
    let ok = cast.call(
        Persona::Sysadmin,
        "group_update",
        json!({"id": "grandchild", "groups": [{"name": "sibling"}]}),
    );
    assert_eq!(dict_names(&ok.result()["groups"]), ["sibling"]);
}

#[test]
fn group_patch_keeps_everything_not_sent() {
    let cast = Cast::new();
    let patched = cast
        .call(Persona::GroupAdmin, "group_patch", json!({"id": "grp-a", "description": "Patched"}))
        .result();
    assert_eq!(patched["title"], "Group A");
    assert_eq!(patched["description"], "Patched");
    assert_eq!(patched["users"].as_array().unwrap().len(), 3);
    assert_eq!(sorted(cast.groups_of("priv-1")), ["grp-a"], "datasets are kept");
    for persona in [Persona::Outsider, Persona::Member, Persona::Editor] {
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "group_patch", json!({"id": "grp-a", "title": "x"}));
        let expected = denied(&format!(
            "Access denied: User {} not authorized to edit group {}",
            persona.user(),
            cast.group_id
        ));
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before);
    }
    let reply = cast.call(Persona::Anonymous, "group_patch", json!({"id": "grp-a"}));
    assert_error(&reply, 403, &denied("Access denied: Action group_patch requires an authenticated user"));
}

// ---------------------------------------------------------------------------------------------
// group_delete / group_purge

#[test]
fn group_delete_needs_an_admin_and_removes_memberships() {
    let cast = Cast::new();
    cast.site("group_create", json!({"name": "child", "groups": [{"name": "grp-a"}]}));
    for persona in PERSONAS {
        if persona.administers_group() {
            continue;
        }
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "group_delete", json!({"id": "grp-a"}));
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action group_delete requires an authenticated user")
        } else {
            denied(&format!(
                "Access denied: User {} not authorized to delete group {}",
                persona.user(),
                cast.group_id
            ))
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
    // Datasets do not stop a group from being deleted.
    assert_eq!(cast.call(Persona::GroupAdmin, "group_delete", json!({"id": "grp-a"})).result(), Value::Null);
    assert!(cast.groups_of("pub-1").is_empty() && cast.groups_of("priv-1").is_empty());
    let child = cast.call(Persona::Anonymous, "group_show", json!({"id": "child"})).result();
    assert_eq!(child["groups"], json!([]), "hierarchy links are removed");
    for persona in PERSONAS {
        let reply = cast.call(persona, "group_show", json!({"id": "grp-a"}));
        if persona == Persona::Sysadmin {
            let group = reply.result();
            assert_eq!(
                (group["state"].as_str(), group["package_count"].as_i64()),
                (Some("deleted"), Some(0))
            );
            assert_eq!(group["users"], json!([]));
        } else {
            assert_error(&reply, 404, &not_found("Not found"));
        }
    }
    assert_eq!(cast.call(Persona::Member, "group_list_authz", json!({})).result(), json!([]));
    let reply = cast.call(Persona::Outsider, "group_create", json!({"name": "grp-a"}));
    assert_error(&reply, 409, &validation("name", NAME_TAKEN));
    let stream = cast.call(Persona::Sysadmin, "group_activity_list", json!({"id": "grp-a"})).result();
    assert_eq!(stream[0]["activity_type"], "deleted group");
    let reply = cast.call(Persona::Sysadmin, "group_delete", json!({"id": "org-x"}));
    assert_error(&reply, 404, &not_found("Not found: Group was not found."));
    let reply = cast.call(Persona::Sysadmin, "group_delete", json!({}));
    assert_error(&reply, 409, &validation("id", "Missing value"));
}

#[test]
fn group_purge_is_for_sysadmins_and_keeps_the_datasets() {
    let cast = Cast::new();
    for persona in PERSONAS {
        if persona == Persona::Sysadmin {
            continue;
        }
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "group_purge", json!({"id": "grp-a"}));
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action group_purge requires an authenticated user")
        } else {
            denied("Access denied")
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
    assert_eq!(cast.call(Persona::Sysadmin, "group_purge", json!({"id": "grp-a"})).result(), Value::Null);
    assert!(cast.groups_of("pub-1").is_empty());
    assert_eq!(cast.call(Persona::Anonymous, "package_show", json!({"id": "pub-1"})).status, 200);
    assert_error(
        &cast.call(Persona::Sysadmin, "group_show", json!({"id": "grp-a"})),
        404,
        &not_found("Not found"),
    );
    assert_eq!(cast.call(Persona::Outsider, "group_create", json!({"name": "grp-a"})).status, 200);
    let reply = cast.call(Persona::Sysadmin, "group_purge", json!({"id": "org-x"}));
    assert_error(&reply, 404, &not_found("Not found: Group was not found"));
}

// ---------------------------------------------------------------------------------------------
// group_member_create / group_member_delete / member_create / member_delete / member_list

#[test]
fn group_member_create_and_delete_need_an_admin() {
    let cast = Cast::new();
    for persona in PERSONAS {
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(
            persona,
            "group_member_create",
            json!({"id": "grp-a", "username": "otto", "role": "member"}),
        );
        if persona.administers_group() {
            assert_eq!(reply.result()["capacity"], "member");
            let removed =
                cast.call(persona, "group_member_delete", json!({"id": "grp-a", "username": "otto"}));
            assert_eq!(removed.result(), Value::Null);
            assert_eq!(cast.server.catalogue_snapshot()["groups"], before["groups"], "{persona:?}");
            continue;
        }
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action group_member_create requires an authenticated user")
        } else {
            denied(&format!("Access denied: User {} not authorized to add members", persona.user()))
        };
        assert_error(&reply, 403, &expected);
        let reply = cast.call(persona, "group_member_delete", json!({"id": "grp-a", "username": "mia"}));
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action group_member_delete requires an authenticated user")
        } else {
            denied(&format!(
                "Access denied: User {} not authorized to edit group {}",
                persona.user(),
                cast.group_id
            ))
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
    let reply = cast.call(
        Persona::GroupAdmin,
        "group_member_create",
        json!({"id": "grp-a", "username": "otto", "role": "boss"}),
    );
    assert_error(&reply, 409, &validation("role", "role does not exist."));
    let reply = cast.call(
        Persona::GroupAdmin,
        "group_member_create",
        json!({"id": "grp-a", "username": "alice", "role": "member"}),
    );
    assert_error(&reply, 403, &denied("Access denied: Administrators cannot revoke their own admin status"));
}

#[test]
fn any_member_of_a_group_may_add_and_remove_datasets_but_not_users() {
    let cast = Cast::new();
    cast.site("package_create", json!({"name": "pub-2", "owner_org": "org-x"}));
    let dataset_id = cast.id_of_dataset("pub-2");
    for persona in PERSONAS {
        let add = json!({"id": "grp-a", "object": "pub-2", "object_type": "package", "capacity": "public"});
        let before = cast.server.catalogue_snapshot();
        let reply = cast.call(persona, "member_create", add);
        if persona.in_group() {
            let member = reply.result();
            assert_eq!(
                (member["table_name"].as_str(), member["table_id"].as_str()),
                (Some("package"), Some(dataset_id.as_str()))
            );
            assert_eq!(cast.groups_of("pub-2"), ["grp-a"], "{persona:?}");
            let removed = cast.call(
                persona,
                "member_delete",
                json!({"id": "grp-a", "object": dataset_id, "object_type": "package"}),
            );
            assert_eq!(removed.result(), Value::Null);
            assert!(cast.groups_of("pub-2").is_empty());
            continue;
        }
        let expected = if persona.is_anonymous() {
            denied("Access denied: Action member_create requires an authenticated user")
        } else {
            denied(&format!(
                "Access denied: User {} not authorized to edit group {}",
                persona.user(),
                cast.group_id
            ))
        };
        assert_error(&reply, 403, &expected);
        assert_eq!(cast.server.catalogue_snapshot(), before, "{persona:?}");
    }
    // Users are the admins' business.
    for persona in [Persona::Member, Persona::Editor] {
        let reply = cast.call(
            persona,
            "member_create",
            json!({"id": "grp-a", "object": "otto", "object_type": "user", "capacity": "member"}),
        );
        let expected = denied(&format!(
            "Access denied: User {} not authorized to edit group {}",
            persona.user(),
            cast.group_id
        ));
        assert_error(&reply, 403, &expected);
    }
}

#[test]
fn member_create_puts_a_group_under_a_parent_but_never_into_a_loop() {
    let cast = Cast::new();
    cast.site("group_create", json!({"name": "child"}));
    let member = cast
        .call(
            Persona::Sysadmin,
            "member_create",
            json!({"id": "child", "object": "grp-a", "object_type": "group", "capacity": "parent"}),
        )
        .result();
    assert_eq!(member["table_name"], "group");
    let child = cast.call(Persona::Anonymous, "group_show", json!({"id": "child"})).result();
    assert_eq!(dict_names(&child["groups"]), ["grp-a"]);
    let listed =
        cast.call(Persona::Anonymous, "member_list", json!({"id": "child", "object_type": "group"})).result();
    assert_eq!(listed, json!([[cast.group_id, "group", "parent"]]));
    // The group admin of grp-a administers child too (admin cascades down).
    let reply = cast.call(Persona::GroupAdmin, "group_patch", json!({"id": "child", "title": "Child"}));
    assert_eq!(reply.result()["title"], "Child");
    let before = cast.server.catalogue_snapshot();
    for (id, object) in [("grp-a", "child"), ("child", "child")] {
        let reply = cast.call(
            Persona::Sysadmin,
            "member_create",
            json!({"id": id, "object": object, "object_type": "group", "capacity": "parent"}),
        );
        assert_error(&reply, 409, &validation("object", LOOP));
    }
    assert_eq!(cast.server.catalogue_snapshot(), before);
}

#[test]
fn member_list_of_a_group_hides_private_datasets_from_outsiders() {
    let cast = Cast::new();
    let (public, private) = (cast.id_of_dataset("pub-1"), cast.id_of_dataset("priv-1"));
    for persona in PERSONAS {
        let listed =
            cast.call(persona, "member_list", json!({"id": "grp-a", "object_type": "package"})).result();
        let mut ids: Vec<String> =
            listed.as_array().unwrap().iter().map(|t| t[0].as_str().unwrap().to_owned()).collect();
        ids.sort();
        let mut expected = vec![public.clone()];
        if persona.reads_private() {
            expected.push(private.clone());
        }
        expected.sort();
        assert_eq!(ids, expected, "{persona:?}");
        assert!(listed.as_array().unwrap().iter().all(|t| t[2] == "public"));
    }
    let users = cast
        .call(
            Persona::Anonymous,
            "member_list",
            json!({"id": "grp-a", "object_type": "user", "capacity": "editor"}),
        )
        .result();
    assert_eq!(users, json!([[cast.id_of_user("eddie"), "user", "Editor"]]));
}

// ---------------------------------------------------------------------------------------------
// group_list_authz, group_autocomplete, group_activity_list

#[test]
fn group_list_authz_gives_the_groups_a_caller_may_add_datasets_to() {
    let cast = Cast::new();
    cast.site("group_create", json!({"name": "other", "title": "Other"}));
    for persona in PERSONAS {
        let list = cast.call(persona, "group_list_authz", json!({})).result();
        let expected: Vec<&str> = match persona {
            Persona::Anonymous | Persona::Revoked | Persona::Outsider => vec![],
            Persona::Member | Persona::Editor | Persona::GroupAdmin => vec!["grp-a"],
            Persona::Sysadmin => vec!["grp-a", "other"],
        };
        assert_eq!(dict_names(&list), expected, "{persona:?}");
        for group in list.as_array().unwrap() {
            assert!(group.get("capacity").is_none() && group.get("package_count").is_none());
        }
    }
    let mine = cast.call(Persona::Sysadmin, "group_list_authz", json!({"am_member": true})).result();
    assert_eq!(mine, json!([]));
    let counted =
        cast.call(Persona::Editor, "group_list_authz", json!({"include_dataset_count": true})).result();
    assert_eq!(counted[0]["package_count"], 2);
    let counted =
        cast.call(Persona::Member, "group_list_authz", json!({"include_dataset_count": true})).result();
    assert_eq!(counted[0]["package_count"], 1);
    let reply = cast.call(Persona::Member, "group_list_authz", json!({"am_member": "sometimes"}));
    assert_error(&reply, 409, &validation("am_member", "Value must be one of: true, false"));
}

#[test]
fn group_autocomplete_finds_groups_only() {
    let cast = Cast::new();
    cast.site("group_create", json!({"name": "climate", "title": "Climate and Weather"}));
    cast.site("organization_create", json!({"name": "weather-org"}));
    for persona in PERSONAS {
        let found = cast.call(persona, "group_autocomplete", json!({"q": "WEATHER"})).result();
        assert_eq!(
            found,
            json!([{"id": found[0]["id"], "name": "climate", "title": "Climate and Weather"}]),
            "{persona:?}"
        );
    }
    let found = cast.server.get("/api/3/action/group_autocomplete?q=grp", &[]).result();
    assert_eq!(dict_names(&found), ["grp-a"]);
    assert_error(
        &cast.call(Persona::Anonymous, "group_autocomplete", json!({})),
        409,
        &validation("q", "Missing value"),
    );
}

#[test]
fn group_activity_list_shows_the_group_and_its_public_datasets() {
    let cast = Cast::new();
    for dataset in ["pub-1", "priv-1"] {
        cast.call(Persona::Sysadmin, "package_patch", json!({"id": dataset, "notes": "changed"})).result();
    }
    cast.call(Persona::GroupAdmin, "group_patch", json!({"id": "grp-a", "title": "Group A2"})).result();
    for persona in PERSONAS {
        let stream = cast.call(persona, "group_activity_list", json!({"id": "grp-a"})).result();
        let got: Vec<(&str, &str)> = stream
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let object = a["data"]["package"]["name"].as_str().or(a["data"]["group"]["name"].as_str());
                (a["activity_type"].as_str().unwrap(), object.unwrap())
            })
            .collect();
        // The site created the group: like CKAN's site user, it is left out of the stream.
        assert_eq!(got, [("changed group", "grp-a"), ("changed package", "pub-1")], "{persona:?}");
    }
    let all = cast
        .call(
            Persona::Sysadmin,
            "group_activity_list",
            json!({"id": "grp-a", "include_hidden_activity": "true"}),
        )
        .result();
    // The site's own activities too: the group's creation, and that of the public dataset now
    // in it (CKAN reads a group's stream through its current datasets).
    let mut types: Vec<&str> =
        all.as_array().unwrap().iter().map(|a| a["activity_type"].as_str().unwrap()).collect();
    types.sort_unstable();
    assert_eq!(types, ["changed group", "changed package", "new group", "new package"]);
    let none = cast
        .call(
            Persona::Anonymous,
            "group_activity_list",
            json!({"id": "grp-a", "exclude_activity_types": ["changed group", "changed package"]}),
        )
        .result();
    assert_eq!(none, json!([]));
    assert_error(
        &cast.call(Persona::Anonymous, "group_activity_list", json!({"id": "org-x"})),
        404,
        &not_found("Not found"),
    );
    assert_error(
        &cast.call(Persona::Anonymous, "group_activity_list", json!({})),
        409,
        &validation("id", "Missing value"),
    );
    let reply = cast.call(Persona::Anonymous, "group_activity_list", json!({"id": "grp-a", "offset": -1}));
    assert_error(&reply, 409, &validation("offset", "Must be a natural number"));
    let reply = cast.call(Persona::Anonymous, "group_activity_list", json!({"id": "grp-a", "limit": 1}));
    assert_eq!(reply.result().as_array().unwrap().len(), 1);
}
