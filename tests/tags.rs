//! Tag and vocabulary actions against a running server: shapes, validation, permissions, and
//! private datasets' tags staying private.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, keys, reference};
use serde_json::{Value, json};

/// An organization with an editor and a member, an outsider, a sysadmin, and a revoked token.
struct World {
    server: TestServer,
    admin: String,
    editor: String,
    member: String,
    outsider: String,
    revoked: String,
}

fn world() -> World {
    let server = TestServer::start();
    let (_, admin) = server.user_with_token("admin", true);
    let (_, editor) = server.user_with_token("editor", false);
    let (_, member) = server.user_with_token("member", false);
    let (_, outsider) = server.user_with_token("outsider", false);
    let (_, revoked) = server.user_with_token("leaver", true);
    server.org("ref-org", &[("editor", "editor"), ("member", "member")]);
    let reply = server.action("api_token_revoke", json!({"token": revoked}), Some(&revoked));
    assert_eq!(reply.status, 200, "{}", reply.text);
    World { server, admin, editor, member, outsider, revoked }
}

impl World {
    fn dataset(&self, body: Value) -> Value {
        let mut body = body;
        body["owner_org"] = json!("ref-org");
        self.server.action("package_create", body, Some(&self.editor)).result()
    }

    fn call(&self, action: &str, body: Value, token: Option<&str>) -> common::Reply {
        self.server.action(action, body, token)
    }

    /// Everyone who is not a sysadmin, and the sysadmin, in that order.
    fn callers(&self) -> Vec<(&'static str, Option<&str>)> {
        vec![
            ("anonymous", None),
            ("revoked token", Some(self.revoked.as_str())),
            ("outsider", Some(self.outsider.as_str())),
            ("member", Some(self.member.as_str())),
            ("editor", Some(self.editor.as_str())),
        ]
    }
}

fn names(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

fn tag_names(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap().to_owned()).collect()
}

/// A public, a private, a draft and a deleted dataset, each with tags of its own.
fn catalogue(w: &World) {
    w.server
        .action(
            "package_create",
            reference("06_package_create.json")["request"]["body"].clone(),
            Some(&w.editor),
        )
        .result();
    w.dataset(json!({"name": "second", "tags": [{"name": "Air"}, {"name": "oceans"}]}));
    w.dataset(json!({"name": "hidden", "private": true, "tags": [{"name": "secret-plan"}, {"name": "air"}]}));
    let draft =
        json!({"name": "drafty", "owner_org": "ref-org", "state": "draft", "tags": [{"name": "draft-only"}]});
    assert_eq!(w.call("package_create", draft, Some(&w.admin)).result()["state"], "draft");
    w.dataset(json!({"name": "gone", "tags": [{"name": "deleted-only"}]}));
    w.call("package_delete", json!({"id": "gone"}), Some(&w.editor)).result();
}

// tag_list

#[test]
fn tag_list_matches_ckans_reference() {
    let w = world();
    w.server
        .action(
            "package_create",
            reference("06_package_create.json")["request"]["body"].clone(),
            Some(&w.editor),
        )
        .result();
    let recorded = reference("26_tag_list.json");
    let reply = w.server.get("/api/3/action/tag_list", &[("Authorization", &w.admin)]);
    assert_eq!(reply.status, 200);
    let body = reply.json();
    let theirs = &recorded["response"]["body"];
    assert_eq!(keys(&body), keys(theirs));
    assert_eq!(body["result"], theirs["result"]);
    assert_eq!(body["help"], format!("{}/api/3/action/help_show?name=tag_list", w.server.base));
}

#[test]
fn tag_list_counts_only_tags_of_active_public_datasets() {
    let w = world();
    catalogue(&w);
    let public = json!(["Air", "air", "oceans", "water quality"]);
    for (who, token) in w.callers() {
        let listed = w.call("tag_list", json!({}), token).result();
        assert_eq!(listed, public, "{who}");
    }
    // Sysadmins also see tags of private and draft datasets, never of deleted ones.
    let all = w.call("tag_list", json!({}), Some(&w.admin)).result();
    assert_eq!(all, json!(["Air", "air", "draft-only", "oceans", "secret-plan", "water quality"]));
    let anonymous = w.server.get("/api/3/action/tag_list?all_fields=true", &[]).result();
    assert!(!anonymous.to_string().contains("secret"));
}

#[test]
fn tag_list_filters_by_query_and_gives_full_dicts() {
    let w = world();
    catalogue(&w);
    assert_eq!(w.server.get("/api/3/action/tag_list?query=AIR", &[]).result(), json!(["Air", "air"]));
    assert_eq!(w.server.get("/api/3/action/tag_list?q=qual", &[]).result(), json!(["water quality"]));
    assert_eq!(w.server.get("/api/3/action/tag_list?q=%25", &[]).result(), json!([]));
    assert_eq!(w.server.get("/api/3/action/tag_list?q=secret", &[]).result(), json!([]));
    assert_eq!(w.call("tag_list", json!({"q": "secret"}), Some(&w.admin)).result(), json!(["secret-plan"]));
    let dicts = w.call("tag_list", json!({"all_fields": true, "query": "ocean"}), None).result();
    assert_eq!(dicts.as_array().unwrap().len(), 1);
    assert_eq!(keys(&dicts[0]), ["id", "name", "vocabulary_id", "display_name"]);
    assert_eq!(dicts[0]["name"], "oceans");
    assert_eq!(dicts[0]["display_name"], "oceans");
    assert_eq!(dicts[0]["vocabulary_id"], Value::Null);
    let shown = w.call("package_show", json!({"id": "second"}), None).result();
    let oceans = shown["tags"].as_array().unwrap().iter().find(|t| t["name"] == "oceans").unwrap().clone();
    assert_eq!(dicts[0]["id"], oceans["id"]);
}

#[test]
fn tag_list_validation_errors() {
    let w = world();
    catalogue(&w);
    let reply = w.call("tag_list", json!({"all_fields": "maybe"}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["all_fields"], json!(["Value must be one of: true, false"]));
    let reply = w.call("tag_list", json!({"query": ["a"]}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["query"], json!(["Must be a string"]));
    let reply = w.call("tag_list", json!({"vocabulary_id": "nope"}), None);
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error()["message"], "Not found: could not find vocabulary 'nope'");
    // With a query, an unknown vocabulary simply matches nothing (CKAN's search path).
    assert_eq!(w.call("tag_list", json!({"vocabulary_id": "nope", "q": "a"}), None).result(), json!([]));
    let reply = w.call("tag_list", json!({"q": "a", "limit": "many"}), None);
    assert_eq!(reply.error()["limit"], json!(["Invalid integer"]));
}

// tag_show

#[test]
fn tag_show_by_name_or_id_with_public_datasets() {
    let w = world();
    catalogue(&w);
    let tag = w.server.get("/api/3/action/tag_show?id=air", &[]).result();
    assert_eq!(keys(&tag), ["id", "name", "vocabulary_id", "display_name"]);
    assert_eq!(tag["name"], "air");
    let by_id = w.call("tag_show", json!({"id": tag["id"]}), None).result();
    assert_eq!(by_id, tag);
    let with = w.call("tag_show", json!({"id": "air", "include_datasets": true}), Some(&w.member)).result();
    assert_eq!(keys(&with), ["id", "name", "vocabulary_id", "display_name", "packages"]);
    // The private dataset carrying `air` is not listed, not even to its organization's members.
    let packages: Vec<&str> =
        with["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(packages, ["ref-dataset-1"]);
    let shown = w.call("package_show", json!({"id": "ref-dataset-1"}), None).result();
    assert_eq!(with["packages"][0], shown);
}

#[test]
fn tags_of_private_datasets_are_not_shown_to_others() {
    let w = world();
    catalogue(&w);
    for tag in ["secret-plan", "deleted-only", "draft-only"] {
        for (who, token) in w.callers() {
            let reply = w.call("tag_show", json!({"id": tag}), token);
            assert_eq!(reply.status, 404, "{tag} for {who}");
            assert_eq!(reply.error()["message"], "Not found");
        }
    }
    let shown = w.call("tag_show", json!({"id": "secret-plan"}), Some(&w.admin)).result();
    assert_eq!(shown["name"], "secret-plan");
    let with = w.call("tag_show", json!({"id": "secret-plan", "include_datasets": true}), Some(&w.admin));
    assert_eq!(with.result()["packages"], json!([]));
}

#[test]
fn tag_show_validation_and_missing_tags() {
    let w = world();
    catalogue(&w);
    let reply = w.call("tag_show", json!({}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["id"], json!(["Missing value"]));
    let reply = w.call("tag_show", json!({"id": "no-such-tag"}), None);
    assert_eq!(reply.status, 404);
    let reply = w.call("tag_show", json!({"id": "air", "vocabulary_id": "no-such-vocabulary"}), None);
    assert_eq!(reply.status, 404);
    let reply = w.call("tag_show", json!({"id": "air", "include_datasets": "perhaps"}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["include_datasets"], json!(["Value must be one of: true, false"]));
}

// tag_search, tag_autocomplete

#[test]
fn tag_search_counts_and_pages() {
    let w = world();
    catalogue(&w);
    let found = w.server.get("/api/3/action/tag_search?query=a", &[]).result();
    assert_eq!(keys(&found), ["count", "results"]);
    assert_eq!(found["count"], 4);
    assert_eq!(tag_names(&found["results"]), ["Air", "air", "oceans", "water quality"]);
    assert_eq!(keys(&found["results"][0]), ["id", "name", "vocabulary_id"]);
    let page = w.call("tag_search", json!({"query": "a", "limit": 2, "offset": 1}), None).result();
    assert_eq!(page["count"], 4);
    assert_eq!(tag_names(&page["results"]), ["air", "oceans"]);
    // Every term of a list must match; the deprecated `fields` adds one.
    let both = w.call("tag_search", json!({"query": ["a", "qu"]}), None).result();
    assert_eq!(tag_names(&both["results"]), ["water quality"]);
    let fields = w.call("tag_search", json!({"fields": {"tags": "ocean"}}), None).result();
    assert_eq!(tag_names(&fields["results"]), ["oceans"]);
    assert_eq!(w.call("tag_search", json!({}), None).result(), json!({"count": 0, "results": []}));
    assert_eq!(w.call("tag_search", json!({"q": "  "}), None).result(), json!({"count": 0, "results": []}));
    // Private tags stay out for everyone but sysadmins.
    for (who, token) in w.callers() {
        let hidden = w.call("tag_search", json!({"query": "secret"}), token).result();
        assert_eq!(hidden["count"], 0, "{who}");
    }
    assert_eq!(w.call("tag_search", json!({"query": "secret"}), Some(&w.admin)).result()["count"], 1);
}

#[test]
fn tag_search_validation_errors() {
    let w = world();
    let reply = w.call("tag_search", json!({"query": "a", "limit": -1}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["limit"], json!(["Must be a natural number"]));
    let reply = w.call("tag_search", json!({"query": "a", "offset": "x"}), None);
    assert_eq!(reply.error()["offset"], json!(["Invalid integer"]));
    let reply = w.call("tag_search", json!({"query": "a", "vocabulary_id": ""}), None);
    assert_eq!(reply.error()["vocabulary_id"], json!(["Missing value"]));
    let reply = w.call("tag_search", json!({"query": [1]}), None);
    assert_eq!(reply.error()["query"], json!(["Must be a string"]));
    let reply = w.call("tag_autocomplete", json!({"query": "a", "limit": "ten"}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["limit"], json!(["Invalid integer"]));
}

#[test]
fn tag_autocomplete_gives_names() {
    let w = world();
    catalogue(&w);
    let names = w.server.get("/api/3/action/tag_autocomplete?query=ai&limit=1", &[]).result();
    assert_eq!(names, json!(["Air"]));
    assert_eq!(w.call("tag_autocomplete", json!({"query": "plan"}), Some(&w.member)).result(), json!([]));
    assert_eq!(
        w.call("tag_autocomplete", json!({"query": "plan"}), Some(&w.admin)).result(),
        json!(["secret-plan"])
    );
    assert_eq!(w.call("tag_autocomplete", json!({}), None).result(), json!([]));
}

// format_autocomplete

#[test]
fn format_autocomplete_counts_formats_of_public_datasets() {
    let w = world();
    let resources = |formats: &[&str]| -> Value {
        formats.iter().map(|f| json!({"url": "http://example.org/x", "format": f})).collect()
    };
    w.dataset(json!({"name": "one", "resources": resources(&["CSV", "GeoJSON", "JSON"])}));
    w.dataset(json!({"name": "two", "resources": resources(&["csv", "JSON"])}));
    w.dataset(json!({"name": "three", "resources": resources(&["CSV"])}));
    w.dataset(
        json!({"name": "four", "private": true, "resources": resources(&["SecretJSON", "SecretJSON"])}),
    );
    assert_eq!(
        w.server.get("/api/3/action/format_autocomplete?q=json", &[]).result(),
        json!(["json", "geojson"])
    );
    assert_eq!(
        w.call("format_autocomplete", json!({"q": "S"}), Some(&w.editor)).result(),
        json!(["csv", "json", "geojson"])
    );
    assert_eq!(w.call("format_autocomplete", json!({"q": "s", "limit": 1}), None).result(), json!(["csv"]));
    assert_eq!(w.call("format_autocomplete", json!({"q": "secret"}), Some(&w.admin)).result(), json!([]));
    let reply = w.call("format_autocomplete", json!({}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["q"], json!(["Missing value"]));
    let reply = w.call("format_autocomplete", json!({"q": "c", "limit": "lots"}), None);
    assert_eq!(reply.error()["limit"], json!(["Invalid integer"]));
}

// vocabularies

fn genre(w: &World) -> Value {
    w.call(
        "vocabulary_create",
        json!({"name": "genre", "tags": [{"name": "jazz"}, {"name": "blues"}]}),
        Some(&w.admin),
    )
    .result()
}

#[test]
fn vocabulary_create_show_and_list() {
    let w = world();
    let created = genre(&w);
    assert_eq!(keys(&created), ["id", "name", "tags"]);
    assert_eq!(created["name"], "genre");
    assert_eq!(tag_names(&created["tags"]), ["blues", "jazz"]);
    assert_eq!(keys(&created["tags"][0]), ["id", "name", "vocabulary_id", "display_name"]);
    assert_eq!(created["tags"][0]["vocabulary_id"], created["id"]);
    let by_name = w.server.get("/api/3/action/vocabulary_show?id=genre", &[]).result();
    assert_eq!(by_name, created);
    assert_eq!(w.call("vocabulary_show", json!({"id": created["id"]}), None).result(), created);
    let plain = w.call("vocabulary_create", json!({"name": "colour"}), Some(&w.admin)).result();
    assert_eq!(plain["tags"], json!([]));
    let listed = w.server.get("/api/3/action/vocabulary_list", &[]).result();
    assert_eq!(listed, json!([plain, created]));
    // Vocabulary tags are not free tags.
    assert_eq!(w.call("tag_list", json!({}), None).result(), json!([]));
    assert_eq!(
        w.call("tag_list", json!({"vocabulary_id": "genre"}), None).result(),
        json!(["blues", "jazz"])
    );
    assert_eq!(
        w.call("tag_search", json!({"query": "j", "vocabulary_id": "genre"}), None).result()["count"],
        1
    );
    let jazz = w.call("tag_show", json!({"id": "jazz", "vocabulary_id": "genre"}), None).result();
    assert_eq!(jazz["vocabulary_id"], created["id"]);
    assert_eq!(w.call("tag_show", json!({"id": "jazz"}), None).status, 404);
    assert_eq!(w.call("tag_show", json!({"id": jazz["id"]}), None).result(), jazz);
}

#[test]
fn only_sysadmins_write_vocabularies() {
    let w = world();
    let body = json!({"name": "genre"});
    for action in ["vocabulary_create"] {
        for (who, token) in [("anonymous", None), ("revoked token", Some(w.revoked.as_str()))] {
            let reply = w.call(action, body.clone(), token);
            assert_eq!(reply.status, 403, "{who}");
            assert_eq!(
                reply.error()["message"],
                format!("Access denied: Action {action} requires an authenticated user"),
                "{who}"
            );
        }
        for token in [&w.editor, &w.member, &w.outsider] {
            let reply = w.call(action, body.clone(), Some(token));
            assert_eq!(reply.status, 403);
            assert_eq!(reply.error()["message"], "Access denied");
        }
    }
    genre(&w);
    for (action, body) in [
        ("vocabulary_update", json!({"id": "genre", "name": "music"})),
        ("vocabulary_delete", json!({"id": "genre"})),
    ] {
        let reply = w.call(action, body.clone(), None);
        assert_eq!(reply.status, 403);
        assert_eq!(
            reply.error()["message"],
            format!("Access denied: Action {action} requires an authenticated user")
        );
        for token in [&w.editor, &w.member, &w.outsider] {
            let reply = w.call(action, body.clone(), Some(token));
            assert_eq!(reply.status, 403, "{action}");
            assert_eq!(reply.error()["message"], "Access denied");
        }
    }
    assert_eq!(w.call("vocabulary_show", json!({"id": "genre"}), None).result()["name"], "genre");
    // Writes are POST only.
    assert_eq!(
        w.server.get("/api/3/action/vocabulary_create?name=xy", &[("Authorization", &w.admin)]).status,
        405
    );
}

#[test]
fn vocabulary_create_validation_errors() {
    let w = world();
    genre(&w);
    let cases = [
        (json!({}), "name", json!(["Missing value"])),
        (json!({"name": ""}), "name", json!(["Missing value"])),
        (json!({"name": "g"}), "name", json!(["Name must be at least 2 characters long"])),
        (json!({"name": "g".repeat(101)}), "name", json!(["Name must be a maximum of 100 characters long"])),
        (json!({"name": "genre"}), "name", json!(["That vocabulary name is already in use."])),
        (json!({"name": ["genre"]}), "name", json!(["Must be a string"])),
        (json!({"name": "mood", "id": "my-id"}), "id", json!(["The input field id was not expected."])),
        (
            json!({"name": "mood", "tags": [{"name": "calm"}, {"name": "x"}]}),
            "tags",
            json!([{}, {"name": ["Tag \"x\" length is less than minimum 2"]}]),
        ),
        (json!({"name": "mood", "tags": [{}]}), "tags", json!([{"name": ["Missing value"]}])),
        (
            json!({"name": "mood", "tags": [{"name": "a!b"}]}),
            "tags",
            json!([{"name": ["Tag \"a!b\" can only contain alphanumeric characters, spaces (\" \"), hyphens (\"-\"), underscores (\"_\") or dots (\".\")"]}]),
        ),
        (
            json!({"name": "mood", "tags": [{"name": "calm", "vocabulary_id": "nope"}]}),
            "tags",
            json!([{"vocabulary_id": ["Tag vocabulary was not found."]}]),
        ),
    ];
    for (body, field, expected) in cases {
        let reply = w.call("vocabulary_create", body.clone(), Some(&w.admin));
        assert_eq!(reply.status, 409, "{body}");
        let error = reply.error();
        assert_eq!(error["__type"], "Validation Error");
        assert_eq!(error[field], expected, "{body}");
        assert!(error.get("message").is_none());
    }
    let reply = w.call("vocabulary_create", json!({"name": "mood", "tags": ["calm"]}), Some(&w.admin));
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["__type"], "Integrity Error");
    // Nothing was written.
    assert_eq!(w.call("vocabulary_list", json!({}), None).result().as_array().unwrap().len(), 1);
}

#[test]
fn vocabulary_show_errors() {
    let w = world();
    let reply = w.call("vocabulary_show", json!({}), None);
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error(), json!({"id": "id not in data", "__type": "Validation Error"}));
    let reply = w.call("vocabulary_show", json!({"id": "nope"}), None);
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error()["message"], "Not found: Could not find vocabulary \"nope\"");
}

#[test]
fn datasets_carry_vocabulary_tags() {
    let w = world();
    genre(&w);
    let dataset = w.dataset(
        json!({"name": "album", "tags": [{"name": "jazz", "vocabulary_id": "genre"}, {"name": "vinyl"}]}),
    );
    assert_eq!(tag_names(&dataset["tags"]), ["jazz", "vinyl"]);
    assert_eq!(w.call("tag_list", json!({}), None).result(), json!(["vinyl"]));
    let jazz =
        w.call("tag_show", json!({"id": "jazz", "vocabulary_id": "genre", "include_datasets": true}), None);
    assert_eq!(jazz.result()["packages"][0]["name"], "album");
    // A vocabulary tag only a private dataset uses is hidden like a free one.
    w.dataset(
        json!({"name": "tape", "private": true, "tags": [{"name": "blues", "vocabulary_id": "genre"}]}),
    );
    assert_eq!(w.call("tag_list", json!({"vocabulary_id": "genre"}), None).result(), json!(["jazz"]));
    assert_eq!(
        tag_names(&w.call("vocabulary_show", json!({"id": "genre"}), None).result()["tags"]),
        ["jazz"]
    );
    assert_eq!(
        tag_names(&w.call("vocabulary_show", json!({"id": "genre"}), Some(&w.admin)).result()["tags"]),
        ["blues", "jazz"]
    );
}

#[test]
fn vocabulary_update_renames_and_replaces_tags() {
    let w = world();
    let created = genre(&w);
    w.dataset(
        json!({"name": "album", "tags": [{"name": "jazz", "vocabulary_id": "genre"}, {"name": "vinyl"}]}),
    );
    // The same name is no change, not a conflict.
    let same = w.call("vocabulary_update", json!({"id": "genre", "name": "genre"}), Some(&w.admin)).result();
    assert_eq!(same, created);
    let updated = w
        .call(
            "vocabulary_update",
            json!({"id": created["id"], "name": "music", "tags": [{"name": "blues"}, {"name": "soul"}]}),
            Some(&w.admin),
        )
        .result();
    assert_eq!(updated["id"], created["id"]);
    assert_eq!(updated["name"], "music");
    assert_eq!(tag_names(&updated["tags"]), ["blues", "soul"]);
    assert_eq!(updated["tags"][0]["id"], created["tags"][0]["id"], "kept tags keep their ids");
    assert_eq!(w.call("vocabulary_show", json!({"id": "genre"}), None).status, 404);
    // The dataset lost the deleted tag, in package_show and in the tag lists.
    let album = w.call("package_show", json!({"id": "album"}), None).result();
    assert_eq!(tag_names(&album["tags"]), ["vinyl"]);
    assert_eq!(album["num_tags"], 1);
    assert_eq!(w.call("tag_show", json!({"id": "jazz", "vocabulary_id": "music"}), None).status, 404);
    // Without `tags` the tags stay.
    let renamed =
        w.call("vocabulary_update", json!({"id": "music", "name": "sound"}), Some(&w.admin)).result();
    assert_eq!(tag_names(&renamed["tags"]), ["blues", "soul"]);
}

#[test]
fn vocabulary_update_validation_errors() {
    let w = world();
    genre(&w);
    w.call("vocabulary_create", json!({"name": "colour"}), Some(&w.admin)).result();
    let reply = w.call("vocabulary_update", json!({"name": "x"}), Some(&w.admin));
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["id"], "id not in data");
    let reply = w.call("vocabulary_update", json!({"id": "nope"}), Some(&w.admin));
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error()["message"], "Not found: Could not find vocabulary \"nope\"");
    let reply = w.call("vocabulary_update", json!({"id": "genre", "name": "colour"}), Some(&w.admin));
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["name"], json!(["That vocabulary name is already in use."]));
    let reply = w.call("vocabulary_update", json!({"id": "genre", "name": ""}), Some(&w.admin));
    assert_eq!(reply.error()["name"], json!(["Name must be at least 2 characters long"]));
    let reply = w.call("vocabulary_update", json!({"id": "genre", "tags": [{"name": "?"}]}), Some(&w.admin));
    assert_eq!(reply.status, 409);
    assert!(reply.error()["tags"][0]["name"].is_array());
    assert_eq!(
        w.call("vocabulary_show", json!({"id": "genre"}), None).result()["tags"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn vocabulary_delete_removes_its_tags() {
    let w = world();
    let created = genre(&w);
    w.dataset(
        json!({"name": "album", "tags": [{"name": "jazz", "vocabulary_id": "genre"}, {"name": "vinyl"}]}),
    );
    let reply = w.call("vocabulary_delete", json!({}), Some(&w.admin));
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["id"], "id not in data");
    assert_eq!(w.call("vocabulary_delete", json!({"id": "nope"}), Some(&w.admin)).status, 404);
    assert_eq!(w.call("vocabulary_delete", json!({"id": "genre"}), Some(&w.admin)).result(), Value::Null);
    assert_eq!(w.call("vocabulary_show", json!({"id": created["id"]}), None).status, 404);
    assert_eq!(w.call("vocabulary_list", json!({}), None).result(), json!([]));
    assert_eq!(w.call("tag_show", json!({"id": created["tags"][1]["id"]}), Some(&w.admin)).status, 404);
    let album = w.call("package_show", json!({"id": "album"}), None).result();
    assert_eq!(tag_names(&album["tags"]), ["vinyl"]);
    // The name is free again.
    assert_eq!(genre(&w)["name"], "genre");
    assert_eq!(
        names(&w.call("tag_list", json!({"vocabulary_id": "genre"}), None).result()),
        ["blues", "jazz"]
    );
}

#[test]
fn tag_create_adds_a_vocabulary_tag_for_sysadmins_only() {
    let w = world();
    let vocabulary = genre(&w);
    let vocabulary_id = vocabulary["id"].as_str().unwrap();
    let body = json!({"name": "soul", "vocabulary_id": vocabulary_id});
    for (who, token) in w.callers() {
        let reply = w.call("tag_create", body.clone(), token);
        assert_eq!(reply.status, 403, "{who}");
        let expected = match token {
            None => "Access denied: Action tag_create requires an authenticated user".to_owned(),
            Some(t) if t == w.revoked => {
                "Access denied: Action tag_create requires an authenticated user".to_owned()
            }
            Some(_) => "Access denied".to_owned(),
        };
        assert_eq!(reply.error()["message"], expected, "{who}");
    }
    let tag = w.call("tag_create", body.clone(), Some(&w.admin)).result();
    assert_eq!(keys(&tag), ["id", "name", "vocabulary_id", "display_name", "packages"]);
    assert_eq!((tag["name"].as_str(), tag["vocabulary_id"].as_str()), (Some("soul"), Some(vocabulary_id)));
    assert_eq!(tag["packages"], json!([]));
    let names =
        tag_names(&w.call("vocabulary_show", json!({"id": "genre"}), Some(&w.admin)).result()["tags"]);
    assert_eq!(names, ["blues", "jazz", "soul"]);

    let cases = [
        (json!({"vocabulary_id": vocabulary_id}), json!({"name": ["Missing value"]})),
        (json!({"name": "soul"}), json!({"vocabulary_id": ["Missing value"]})),
        (
            json!({"name": "x", "vocabulary_id": vocabulary_id}),
            json!({"name": ["Tag \"x\" length is less than minimum 2"]}),
        ),
        (
            json!({"name": "funk", "vocabulary_id": "genre"}),
            json!({"vocabulary_id": ["Tag vocabulary was not found."]}),
        ),
        (
            body.clone(),
            json!({"vocabulary_id": [format!("Tag soul already belongs to vocabulary {vocabulary_id}")]}),
        ),
        (
            json!({"id": "mine", "name": "funk", "vocabulary_id": vocabulary_id}),
            json!({"id": ["The input field id was not expected."]}),
        ),
    ];
    for (body, fields) in cases {
        let reply = w.call("tag_create", body.clone(), Some(&w.admin));
        assert_eq!(reply.status, 409, "{body}");
        let mut expected = fields.as_object().unwrap().clone();
        expected.insert("__type".into(), json!("Validation Error"));
        assert_eq!(reply.error(), Value::Object(expected), "{body}");
    }
    assert_eq!(
        tag_names(&w.call("vocabulary_show", json!({"id": "genre"}), Some(&w.admin)).result()["tags"]),
        ["blues", "jazz", "soul"]
    );
}

#[test]
fn tag_delete_removes_a_tag_from_its_datasets() {
    let w = world();
    genre(&w);
    w.dataset(
        json!({"name": "album", "tags": [{"name": "jazz", "vocabulary_id": "genre"}, {"name": "vinyl"}]}),
    );
    // Not found comes first, then the permission check.
    let reply = w.call("tag_delete", json!({"id": "nope"}), None);
    assert_eq!(
        (reply.status, reply.error()["message"].as_str()),
        (404, Some("Not found: Could not find tag \"nope\""))
    );
    let reply = w.call("tag_delete", json!({}), Some(&w.admin));
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error(), json!({"id": "id not in data", "__type": "Validation Error"}));
    for (who, token) in w.callers() {
        let reply = w.call("tag_delete", json!({"id": "vinyl"}), token);
        assert_eq!(reply.status, 403, "{who}");
    }
    // A vocabulary tag's name is looked up in its vocabulary only.
    let reply = w.call("tag_delete", json!({"id": "jazz"}), Some(&w.admin));
    assert_eq!(reply.status, 404);
    w.call("tag_delete", json!({"id": "jazz", "vocabulary_id": "genre"}), Some(&w.admin)).result();
    w.call("tag_delete", json!({"id": "vinyl"}), Some(&w.admin)).result();
    let album = w.call("package_show", json!({"id": "album"}), None).result();
    assert_eq!(album["tags"], json!([]));
    assert_eq!(album["num_tags"], 0);
    assert_eq!(w.call("tag_list", json!({}), None).result(), json!([]));
    let search = w.call("package_search", json!({"fq": "tags:vinyl"}), None).result();
    assert_eq!(search["count"], 0);
}
