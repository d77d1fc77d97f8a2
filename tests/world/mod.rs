//! A catalogue with every kind of caller, for the dataset-extra actions (collaborators,
//! relationships, resource views, bulk changes, package_revise).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::common::{Reply, TestServer};

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persona {
    Anonymous,
    /// An admin of `org` whose token was revoked: acts as anonymous.
    Revoked,
    /// No role in `org` (admin of `other-org`).
    Outsider,
    /// `member` of `org`.
    Member,
    /// `editor` of `org` (and of `other-org`).
    Editor,
    /// `admin` of `org`.
    OrgAdmin,
    /// No role in any organization; made a collaborator by the tests that need one.
    Collaborator,
    Sysadmin,
}

pub const EVERYONE: [Persona; 8] = [
    Persona::Anonymous,
    Persona::Revoked,
    Persona::Outsider,
    Persona::Member,
    Persona::Editor,
    Persona::OrgAdmin,
    Persona::Collaborator,
    Persona::Sysadmin,
];

pub struct World {
    pub server: TestServer,
    pub sysadmin: String,
    pub org_admin: String,
    pub editor: String,
    pub member: String,
    pub outsider: String,
    pub collaborator: String,
    pub revoked: String,
    pub collaborator_id: String,
    pub org_id: String,
    pub other_org_id: String,
}

impl World {
    pub fn new() -> Self {
        let server = TestServer::start();
        let (_, sysadmin) = server.user_with_token("sysadmin", true);
        let (_, org_admin) = server.user_with_token("orgadmin", false);
        let (_, editor) = server.user_with_token("editor", false);
        let (_, member) = server.user_with_token("member", false);
        let (_, outsider) = server.user_with_token("outsider", false);
        let (collaborator_dict, collaborator) = server.user_with_token("collab", false);
        let (_, revoked) = server.user_with_token("revoked", false);
        let org_id = server.org(
            "org",
            &[("orgadmin", "admin"), ("editor", "editor"), ("member", "member"), ("revoked", "admin")],
        );
        let other_org_id = server.org("other-org", &[("outsider", "admin"), ("editor", "editor")]);
        assert_eq!(server.as_site("api_token_revoke", json!({"token": revoked})), Value::Null);
        let collaborator_id = collaborator_dict["id"].as_str().unwrap().to_owned();
        Self {
            server,
            sysadmin,
            org_admin,
            editor,
            member,
            outsider,
            collaborator,
            revoked,
            collaborator_id,
            org_id,
            other_org_id,
        }
    }

    pub fn token(&self, persona: Persona) -> Option<&str> {
        match persona {
            Persona::Anonymous => None,
            Persona::Revoked => Some(&self.revoked),
            Persona::Outsider => Some(&self.outsider),
            Persona::Member => Some(&self.member),
            Persona::Editor => Some(&self.editor),
            Persona::OrgAdmin => Some(&self.org_admin),
            Persona::Collaborator => Some(&self.collaborator),
            Persona::Sysadmin => Some(&self.sysadmin),
        }
    }

    /// The name CKAN puts into messages about this caller.
    pub fn name(persona: Persona) -> &'static str {
        match persona {
            Persona::Anonymous | Persona::Revoked => "",
            Persona::Outsider => "outsider",
            Persona::Member => "member",
            Persona::Editor => "editor",
            Persona::OrgAdmin => "orgadmin",
            Persona::Collaborator => "collab",
            Persona::Sysadmin => "sysadmin",
        }
    }

    pub fn call(&self, action: &str, body: Value, persona: Persona) -> Reply {
        self.server.action(action, body, self.token(persona))
    }

    /// GET with the parameters in the query string.
    pub fn get(&self, action: &str, query: &str, persona: Persona) -> Reply {
        let headers: Vec<(&str, &str)> =
            self.token(persona).map(|t| vec![("Authorization", t)]).unwrap_or_default();
        self.server.get(&format!("/api/3/action/{action}?{query}"), &headers)
    }

    /// A dataset of `org`, made by its editor; returns its dict.
    pub fn dataset(&self, name: &str, private: bool, resources: Value) -> Value {
        self.call(
            "package_create",
            json!({"name": name, "owner_org": "org", "private": private, "resources": resources, "notes": "original"}),
            Persona::Editor,
        )
        .result()
    }

    /// The dataset as a sysadmin sees it.
    pub fn show(&self, id: &str) -> Value {
        self.call("package_show", json!({"id": id}), Persona::Sysadmin).result()
    }

    /// Makes the collaborator user a collaborator of a dataset (as a sysadmin).
    pub fn collaborate(&self, dataset: &str, capacity: &str) {
        self.call(
            "package_collaborator_create",
            json!({"id": dataset, "user_id": "collab", "capacity": capacity}),
            Persona::Sysadmin,
        )
        .result();
    }

    /// Everything the dataset-extra actions can change about these datasets, as a sysadmin
    /// reads it: the dataset dicts, collaborators, relationships and resource views.
    pub fn state(&self, datasets: &[&str]) -> Value {
        let mut out = Vec::new();
        for id in datasets {
            let shown = self.call("package_show", json!({"id": id}), Persona::Sysadmin);
            let dataset = if shown.status == 200 { shown.result() } else { Value::Null };
            let collaborators = self.call("package_collaborator_list", json!({"id": id}), Persona::Sysadmin);
            let relationships = self.call("package_relationships_list", json!({"id": id}), Persona::Sysadmin);
            let mut views = Vec::new();
            for resource in dataset["resources"].as_array().into_iter().flatten() {
                let listed =
                    self.call("resource_view_list", json!({"id": resource["id"]}), Persona::Sysadmin);
                views.push(listed.json());
            }
            out.push(json!({
                "dataset": dataset,
                "collaborators": collaborators.json(),
                "relationships": relationships.json(),
                "views": views,
            }));
        }
        Value::Array(out)
    }
}

/// Organizations above `org` and their people: `parent-org` is its parent, made so with
/// `member_create` (`object_type: group`), and `top-org` the parent's parent, named in the
/// `groups` of `parent-org`'s `organization_create`.
pub struct Above {
    /// `admin` of `parent-org`.
    pub parent_admin: String,
    /// `editor` of `parent-org`.
    pub parent_editor: String,
    /// `member` of `parent-org`.
    pub parent_member: String,
    /// `admin` of `top-org`.
    pub top_admin: String,
}

impl World {
    /// Puts `parent-org` and `top-org` above `org` (see [`Above`]).
    pub fn organizations_above(&self) -> Above {
        let (_, parent_admin) = self.server.user_with_token("parentadmin", false);
        let (_, parent_editor) = self.server.user_with_token("parenteditor", false);
        let (_, parent_member) = self.server.user_with_token("parentmember", false);
        let (_, top_admin) = self.server.user_with_token("topadmin", false);
        self.server.as_site(
            "organization_create",
            json!({"name": "top-org", "users": [{"name": "topadmin", "capacity": "admin"}]}),
        );
        self.server.as_site(
            "organization_create",
            json!({
                "name": "parent-org",
                "groups": [{"name": "top-org"}],
                "users": [
                    {"name": "parentadmin", "capacity": "admin"},
                    {"name": "parenteditor", "capacity": "editor"},
                    {"name": "parentmember", "capacity": "member"},
                ],
            }),
        );
        self.server.as_site(
            "member_create",
            json!({"id": "org", "object": "parent-org", "object_type": "group", "capacity": "parent"}),
        );
        let shown = self.call("organization_show", json!({"id": "org"}), Persona::Anonymous).result();
        assert_eq!(shown["groups"][0]["name"], "parent-org");
        let shown = self.call("organization_show", json!({"id": "parent-org"}), Persona::Anonymous).result();
        assert_eq!(shown["groups"][0]["name"], "top-org");
        Above { parent_admin, parent_editor, parent_member, top_admin }
    }

    /// Calls with a token of [`Above`].
    pub fn call_as(&self, action: &str, body: Value, token: &str) -> Reply {
        self.server.action(action, body, Some(token))
    }
}

/// Asserts a failure with this status and error `message`.
pub fn assert_error(reply: &Reply, status: u16, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.error()["message"], message, "{}", reply.text);
}

/// Asserts a 409 with these field errors (and `__type`).
pub fn assert_fields(reply: &Reply, fields: Value) {
    assert_eq!(reply.status, 409, "{}", reply.text);
    let mut error = reply.error();
    assert_eq!(error["__type"], "Validation Error");
    error.as_object_mut().unwrap().remove("__type");
    assert_eq!(error, fields, "{}", reply.text);
}
