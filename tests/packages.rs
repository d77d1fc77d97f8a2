//! Dataset actions against a running server: shapes, validation, permissions, visibility.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, keys, reference};
use serde_json::{Value, json};

/// A site with an organization, its editor and member, an outsider and a sysadmin.
struct World {
    server: TestServer,
    admin: String,
    editor: String,
    member: String,
    outsider: String,
    org_id: String,
}

fn world() -> World {
    let server = TestServer::start();
    let (_, admin) = server.user_with_token("admin", true);
    let (_, editor) = server.user_with_token("editor", false);
    let (_, member) = server.user_with_token("member", false);
    let (_, outsider) = server.user_with_token("outsider", false);
    let org_id = server.org("ref-org", &[("editor", "editor"), ("member", "member")]);
    World { server, admin, editor, member, outsider, org_id }
}

fn reference_create_body() -> Value {
    reference("06_package_create.json")["request"]["body"].clone()
}

#[test]
fn package_create_matches_ckans_shape_and_key_order() {
    let w = world();
    let reply = w.server.action("package_create", reference_create_body(), Some(&w.editor));
    let ours = reply.result();
    let theirs = reference("06_package_create.json")["response"]["body"]["result"].clone();
    assert_eq!(keys(&ours), keys(&theirs));
    assert_eq!(keys(&ours["organization"]), keys(&theirs["organization"]));
    assert_eq!(keys(&ours["resources"][0]), keys(&theirs["resources"][0]));
    assert_eq!(keys(&ours["tags"][0]), keys(&theirs["tags"][0]));
    for key in
        ["name", "title", "license_title", "license_url", "isopen", "num_resources", "num_tags", "version"]
    {
        assert_eq!(ours[key], theirs[key], "{key}");
    }
    assert_eq!(ours["owner_org"], w.org_id);
    assert_eq!(ours["resources"][0]["format"], "CSV");
    assert_eq!(ours["resources"][1]["position"], 1);
    assert_eq!(
        ours["extras"],
        json!([{"key": "frequency", "value": "daily"}, {"key": "spatial_res", "value": "10m"}])
    );
    // package_show gives the same dict.
    let shown = w.server.get("/api/3/action/package_show?id=ref-dataset-1", &[]).result();
    assert_eq!(shown, ours);
}

#[test]
fn package_create_validation_errors_change_nothing() {
    let w = world();
    let body = reference("08_package_create_invalid_409.json")["request"]["body"].clone();
    let reply = w.server.action("package_create", body, Some(&w.admin));
    assert_eq!(reply.status, 409);
    let error = reply.error();
    let theirs = reference("08_package_create_invalid_409.json")["response"]["body"]["error"].clone();
    assert_eq!(error, theirs);
    assert_eq!(w.server.get("/api/3/action/package_list", &[]).result(), json!([]));

    let reply = w.server.action("package_create", json!({"owner_org": "ref-org"}), Some(&w.admin));
    assert_eq!(reply.error()["name"], json!(["Missing value"]));
    let reply = w.server.action("package_create", json!({"name": "no-org"}), Some(&w.admin));
    assert_eq!(reply.error()["owner_org"], json!(["An organization must be provided"]));
    let reply = w.server.action(
        "package_create",
        json!({"name": "ab", "owner_org": "ref-org", "tags": ["a"]}),
        Some(&w.admin),
    );
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["__type"], "Integrity Error");
    // CKAN echoes the request's dict beside an Integrity Error.
    let sent = json!({"name": "ab", "owner_org": "ref-org", "tags": "a,b"});
    let reply = w.server.action("package_create", sent.clone(), Some(&w.admin));
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["data"], sent);
    // CKAN's `name_validator` and `package_name_validator` both speak of a name's length; an
    // empty one is only missing.
    for (name, messages) in [
        (
            json!("a"),
            json!(["Must be at least 2 characters long", "Name \"a\" length is less than minimum 2"]),
        ),
        (
            json!("b".repeat(101)),
            json!([
                "Name must be a maximum of 100 characters long",
                format!("Name \"{}\" length is more than maximum 100", "b".repeat(101))
            ]),
        ),
        (
            json!("A"),
            json!(["Must be at least 2 characters long", "Name \"A\" length is less than minimum 2"]),
        ),
        (json!(""), json!(["Missing value"])),
    ] {
        let reply =
            w.server.action("package_create", json!({"name": name, "owner_org": "ref-org"}), Some(&w.admin));
        assert_eq!(reply.status, 409, "{name}");
        assert_eq!(reply.error()["name"], messages, "{name}");
    }
    // An extra named like a core field, and one without a key: CKAN's list of error dicts.
    let reply = w.server.action(
        "package_create",
        json!({"name": "extras-clash", "owner_org": "ref-org",
               "extras": [{"key": "ok", "value": "1"}, {"key": "title", "value": "x"}, {"value": "y"}]}),
        Some(&w.admin),
    );
    assert_eq!(reply.status, 409);
    assert_eq!(
        reply.error()["extras"],
        json!([{"key": ["There is a schema field with the same name"]}, {"key": ["Missing value"]}])
    );
    assert_eq!(w.server.get("/api/3/action/package_list", &[]).result(), json!([]));
}

#[test]
fn duplicate_names_conflict_and_deleted_names_are_reusable() {
    let w = world();
    let body = json!({"name": "dup", "owner_org": "ref-org"});
    let first = w.server.action("package_create", body.clone(), Some(&w.editor)).result();
    let reply = w.server.action("package_create", body.clone(), Some(&w.editor));
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["name"], json!(["That URL is already in use."]));
    assert_eq!(
        w.server.action("package_delete", json!({"id": "dup"}), Some(&w.editor)).result(),
        Value::Null
    );
    let second = w.server.action("package_create", body, Some(&w.editor)).result();
    assert_ne!(first["id"], second["id"]);
    // The deleted dataset is still there under its id, for those who may see it.
    let old = w.server.action("package_show", json!({"id": first["id"]}), Some(&w.admin)).result();
    assert_eq!(old["state"], "deleted");
    assert_eq!(old["name"], first["id"]);
}

#[test]
fn who_may_create_datasets() {
    let w = world();
    let body = json!({"name": "by-someone", "owner_org": "ref-org"});
    let anonymous = w.server.action("package_create", body.clone(), None);
    assert_eq!(anonymous.status, 403);
    assert_eq!(anonymous.error()["message"], "Access denied: User  not authorized to create packages");
    assert_eq!(w.server.action("package_create", body.clone(), Some("not-a-token")).status, 403);
    assert_eq!(w.server.action("package_create", body.clone(), Some(&w.member)).status, 403);
    assert_eq!(w.server.action("package_create", body.clone(), Some(&w.outsider)).status, 403);
    assert_eq!(w.server.action("package_create", body, Some(&w.editor)).status, 200);
}

#[test]
fn private_datasets_are_visible_to_members_only() {
    let w = world();
    let created = w
        .server
        .action(
            "package_create",
            json!({"name": "secret", "owner_org": "ref-org", "private": true}),
            Some(&w.editor),
        )
        .result();
    let id = created["id"].as_str().unwrap();
    let anonymous = w.server.get("/api/3/action/package_show?id=secret", &[]);
    assert_eq!(anonymous.status, 403);
    assert_eq!(
        anonymous.error()["message"],
        format!("Access denied: User  not authorized to read package {id}")
    );
    assert_eq!(
        w.server.get("/api/3/action/package_show?id=secret", &[("Authorization", &w.outsider)]).status,
        403
    );
    assert_eq!(
        w.server.get("/api/3/action/package_show?id=secret", &[("Authorization", &w.member)]).status,
        200
    );
    assert_eq!(
        w.server.get("/api/3/action/package_show?id=secret", &[("Authorization", &w.admin)]).status,
        200
    );
    assert_eq!(
        w.server.get("/api/3/action/package_list", &[("Authorization", &w.admin)]).result(),
        json!([])
    );
    let listed = w.server.get("/api/3/action/current_package_list_with_resources", &[]).result();
    assert_eq!(listed, json!([]));
    let listed = w
        .server
        .get("/api/3/action/current_package_list_with_resources", &[("Authorization", &w.admin)])
        .result();
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[test]
fn update_replaces_and_patch_merges() {
    let w = world();
    w.server.action("package_create", reference_create_body(), Some(&w.editor)).result();
    let patched = w
        .server
        .action(
            "package_patch",
            json!({"id": "ref-dataset-1", "title": "Patched", "extras": [{"key": "frequency", "value": "weekly"}]}),
            Some(&w.editor),
        )
        .result();
    assert_eq!(patched["title"], "Patched");
    assert_eq!(patched["notes"], "A dataset with **markdown**");
    assert_eq!(patched["num_tags"], 2);
    assert_eq!(patched["extras"], json!([{"key": "frequency", "value": "weekly"}]));
    let updated = w
        .server
        .action("package_update", json!({"id": "ref-dataset-1", "name": "ref-dataset-1"}), Some(&w.editor))
        .result();
    assert_eq!(updated["notes"], Value::Null);
    assert_eq!(updated["num_tags"], 0);
    assert_eq!(updated["num_resources"], 2, "resources not sent are kept");
    assert_eq!(updated["title"], "ref-dataset-1");
    let missing = w.server.action("package_update", json!({"title": "no id"}), Some(&w.editor));
    assert_eq!(missing.status, 409);
    assert_eq!(
        missing.error(),
        reference("23_package_update_missing_id_409.json")["response"]["body"]["error"]
    );
    let reply = w.server.action("package_patch", json!({"id": "nope", "title": "x"}), Some(&w.editor));
    assert_eq!(reply.status, 404);
    assert_eq!(reply.error()["message"], "Not found");
    assert_eq!(
        w.server
            .action("package_patch", json!({"id": "ref-dataset-1", "title": "x"}), Some(&w.member))
            .status,
        403
    );
}

#[test]
fn an_update_that_changes_nothing_returns_the_stored_dict() {
    let w = world();
    let created = w.server.action("package_create", reference_create_body(), Some(&w.editor)).result();
    let again = w.server.action("package_update", created.clone(), Some(&w.editor)).result();
    assert_eq!(again["metadata_modified"], created["metadata_modified"]);
    assert_eq!(again, created);
}

#[test]
fn free_form_fields_round_trip() {
    let w = world();
    let body = json!({
        "name": "free-form", "owner_org": "ref-org",
        "title_fra": "Titre", "foi-email": "foi@example.org",
        "contact_points": [{"name": "Odense", "email": "data@odense.dk"}],
        "resources": [{"url": "http://x.org/a.json", "title": {"de": "Titel", "fr": "Titre"}, "byte_size": 12}]
    });
    let created = w.server.action("package_create", body, Some(&w.editor)).result();
    assert_eq!(created["title_fra"], "Titre");
    assert_eq!(created["foi-email"], "foi@example.org");
    assert_eq!(created["contact_points"][0]["email"], "data@odense.dk");
    assert_eq!(created["resources"][0]["title"]["fr"], "Titre");
    assert_eq!(created["resources"][0]["byte_size"], 12);
    assert_eq!(created["resources"][0]["format"], "JSON");
}

#[test]
fn deleted_datasets_show_to_admins_only() {
    let w = world();
    w.server.action("package_create", reference_create_body(), Some(&w.editor)).result();
    w.server.action("package_delete", json!({"id": "ref-dataset-1"}), Some(&w.editor)).result();
    let admin = w.server.get("/api/3/action/package_show?id=ref-dataset-1", &[("Authorization", &w.admin)]);
    assert_eq!(admin.result()["state"], "deleted");
    let anonymous = w.server.get("/api/3/action/package_show?id=ref-dataset-1", &[]);
    assert_eq!(anonymous.status, 403);
    let missing = w.server.action("package_delete", json!({"id": "ref-dataset-1-nope"}), Some(&w.editor));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error(), reference("49_package_delete_404.json")["response"]["body"]["error"]);
}

#[test]
fn purge_is_for_sysadmins() {
    let w = world();
    w.server
        .action("package_create", json!({"name": "gone", "owner_org": "ref-org"}), Some(&w.editor))
        .result();
    assert_eq!(w.server.action("dataset_purge", json!({"id": "gone"}), Some(&w.editor)).status, 403);
    assert_eq!(w.server.action("dataset_purge", json!({"id": "gone"}), Some(&w.admin)).result(), Value::Null);
    assert_eq!(
        w.server.get("/api/3/action/package_show?id=gone", &[("Authorization", &w.admin)]).status,
        404
    );
    let reply = w.server.action("dataset_purge", json!({"id": "gone"}), Some(&w.admin));
    assert_eq!(reply.error()["message"], "Not found: Dataset was not found");
}

#[test]
fn resources_create_update_patch_delete_and_reorder() {
    let w = world();
    let dataset = w.server.action("package_create", reference_create_body(), Some(&w.editor)).result();
    let created = w
        .server
        .action(
            "resource_create",
            json!({"package_id": "ref-dataset-1", "url": "http://example.org/x.geojson", "format": "GeoJSON"}),
            Some(&w.editor),
        )
        .result();
    let theirs = reference("25_resource_create.json")["response"]["body"]["result"].clone();
    assert_eq!(keys(&created), keys(&theirs));
    assert_eq!(created["mimetype"], "application/geo+json");
    assert_eq!(created["position"], 2);
    let id = created["id"].as_str().unwrap().to_owned();
    let shown = w.server.get(&format!("/api/3/action/resource_show?id={id}"), &[]).result();
    assert_eq!(shown, created);
    let guessed = w
        .server
        .action(
            "resource_create",
            json!({"package_id": dataset["id"], "url": "http://x.org/t.csv"}),
            Some(&w.editor),
        )
        .result();
    assert_eq!(guessed["format"], "CSV");
    let patched =
        w.server.action("resource_patch", json!({"id": id, "name": "Map"}), Some(&w.editor)).result();
    assert_eq!(patched["name"], "Map");
    assert_eq!(patched["format"], "GeoJSON");
    let updated = w
        .server
        .action("resource_update", json!({"id": id, "url": "http://x.org/y"}), Some(&w.editor))
        .result();
    assert_eq!(updated["name"], Value::Null);
    assert_eq!(updated["created"], created["created"]);
    assert_eq!(
        w.server.action("resource_patch", json!({"id": id, "name": "x"}), Some(&w.member)).status,
        403
    );
    let missing = w.server.action("resource_update", json!({"id": "nope"}), Some(&w.editor));
    assert_eq!(missing.error()["message"], "Not found: Resource was not found.");
    let reordered = w
        .server
        .action("package_resource_reorder", json!({"id": "ref-dataset-1", "order": [id]}), Some(&w.editor))
        .result();
    // CKAN answers the whole new order: the ids sent, then the others in their old order.
    let show = w.server.get("/api/3/action/package_show?id=ref-dataset-1", &[]).result();
    assert_eq!(show["resources"][0]["id"], id.as_str());
    let all: Vec<Value> = show["resources"].as_array().unwrap().iter().map(|r| r["id"].clone()).collect();
    assert_eq!(all.len(), 4);
    assert_eq!(reordered["order"], json!(all));
    let unknown = w.server.action(
        "package_resource_reorder",
        json!({"id": "ref-dataset-1", "order": [id, "nope"]}),
        Some(&w.editor),
    );
    assert_eq!(unknown.status, 409);
    assert_eq!(unknown.error()["order"], "resource_id nope can not be found");
    assert_eq!(unknown.error().get("message"), None);
    assert_eq!(w.server.action("resource_delete", json!({"id": id}), Some(&w.editor)).result(), Value::Null);
    let show = w.server.get("/api/3/action/package_show?id=ref-dataset-1", &[]).result();
    assert_eq!(show["num_resources"], 3);
    assert_eq!(w.server.get(&format!("/api/3/action/resource_show?id={id}"), &[]).status, 404);
}

#[test]
fn resource_search_and_autocomplete() {
    let w = world();
    w.server.action("package_create", reference_create_body(), Some(&w.editor)).result();
    let found = w.server.get("/api/3/action/resource_search?query=format:CSV", &[]).result();
    assert_eq!(found["count"], 1);
    assert_eq!(found["results"][0]["name"], "data.csv");
    // CKAN's resource_search dictizes the stored resources: no `datastore_active` default.
    assert_eq!(found["results"][0].get("datastore_active"), None);
    let id = found["results"][0]["id"].as_str().unwrap().to_owned();
    let shown = w.server.get(&format!("/api/3/action/resource_show?id={id}"), &[]).result();
    assert_eq!(shown["datastore_active"], false);
    w.server.action("resource_patch", json!({"id": id, "datastore_active": true}), Some(&w.editor)).result();
    let found = w.server.get("/api/3/action/resource_search?query=format:CSV", &[]).result();
    assert_eq!(found["results"][0]["datastore_active"], true);
    // CKAN matches with ILIKE: any case finds it, on every backend.
    for query in ["format:csv", "format:cSv", "name:DATA.CSV", "name:Data"] {
        let found = w.server.action("resource_search", json!({"query": query}), None).result();
        assert_eq!(found["count"], 1, "{query}: {found}");
        assert_eq!(found["results"][0]["id"], id.as_str(), "{query}");
    }
    // CKAN's resource_search errors: one text under `query`.
    for (query, message) in [
        ("?query=bogus:x", "Field \"bogus\" not recognised in resource_search."),
        ("?query=CSV", "Must be <field>:<value> pair(s)"),
        ("", "Missing value"),
    ] {
        let reply = w.server.get(&format!("/api/3/action/resource_search{query}"), &[]);
        assert_eq!(reply.status, 409, "{query}");
        assert_eq!(reply.error(), json!({"__type": "Validation Error", "query": message}), "{query}");
    }
    let both = w.server.action("resource_search", json!({"query": ["format:CSV", "name"]}), None);
    assert_eq!(both.error()["query"], "Must be <field>:<value> pair(s)");
    let matches = w.server.get("/api/3/action/package_autocomplete?q=REF-data", &[]).result();
    assert_eq!(matches[0]["name"], "ref-dataset-1");
    assert_eq!(matches[0]["match_field"], "name");
    // A title match comes after the name matches; a private dataset, a draft and a word in the
    // middle of a name never match (CKAN: `name ILIKE 'q%' OR title ILIKE 'q%'`, active public).
    let create =
        |body: Value| assert_eq!(w.server.action("package_create", body, Some(&w.editor)).status, 200);
    create(json!({"name": "zz-titled", "title": "Ref-data by title", "owner_org": "ref-org"}));
    create(json!({"name": "ref-data-private", "owner_org": "ref-org", "private": true}));
    create(json!({"name": "other-ref-data", "owner_org": "ref-org"}));
    let matches = w.server.get("/api/3/action/package_autocomplete?q=ref-data", &[]).result();
    let found: Vec<(&str, &str)> = matches
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap(), m["match_field"].as_str().unwrap()))
        .collect();
    assert_eq!(found, [("ref-dataset-1", "name"), ("zz-titled", "title")]);
    assert_eq!(matches[1]["match_displayed"], "Ref-data by title (zz-titled)");
    let limited = w.server.get("/api/3/action/package_autocomplete?q=ref&limit=1", &[]).result();
    assert_eq!(limited.as_array().unwrap().len(), 1);
}

#[test]
fn resource_show_refuses_in_ckans_words_naming_the_resource_not_its_dataset() {
    let w = world();
    let created = w
        .server
        .action(
            "package_create",
            json!({"name": "secret-res", "owner_org": "ref-org", "private": true,
                   "resources": [{"url": "http://example.com/a.csv", "name": "a"}]}),
            Some(&w.editor),
        )
        .result();
    let dataset = created["id"].as_str().unwrap();
    let resource = created["resources"][0]["id"].as_str().unwrap();
    for (name, token) in [("", None), ("outsider", Some(w.outsider.as_str()))] {
        let reply = w.server.action("resource_show", json!({"id": resource}), token);
        assert_eq!(reply.status, 403, "{name}: {}", reply.text);
        assert_eq!(
            reply.error()["message"],
            format!("Access denied: User {name} not authorized to read resource {resource}")
        );
        assert!(!reply.text.contains(dataset), "{}", reply.text);
    }
    let shown = w.server.action("resource_show", json!({"id": resource}), Some(&w.member)).result();
    assert_eq!(shown["package_id"], dataset);
}

#[test]
fn package_show_answers_jsonp_and_the_unversioned_path() {
    let w = world();
    w.server.action("package_create", reference_create_body(), Some(&w.editor)).result();
    let reply = w.server.get("/api/3/action/package_show?id=ref-dataset-1&callback=cb", &[]);
    assert_eq!(reply.content_type, "application/javascript;charset=utf-8");
    assert!(reply.text.starts_with("cb({\"help\":"), "{}", reply.text);
    let plain = w.server.get("/api/action/package_show?id=ref-dataset-1", &[]);
    let body = plain.json();
    assert_eq!(keys(&body), ["help", "success", "result"]);
    assert_eq!(body["help"], format!("{}/api/3/action/help_show?name=package_show", w.server.base));
    assert_eq!(body["result"]["name"], "ref-dataset-1");
}

#[test]
fn legacy_util_autocompletes() {
    let w = world();
    w.server.action("package_create", reference_create_body(), Some(&w.editor)).result();
    let found = w.server.get("/api/util/dataset/autocomplete?incomplete=ref-data", &[]).json();
    assert_eq!(found["ResultSet"]["Result"][0]["name"], "ref-dataset-1");
    assert_eq!(found["ResultSet"]["Result"][0]["match_field"], "name");
    let tags = w.server.get("/api/util/tag/autocomplete?incomplete=wat", &[]).json();
    assert_eq!(tags, json!({"ResultSet": {"Result": [{"Name": "water quality"}]}}));
    let formats = w.server.get("/api/2/util/resource/format_autocomplete?incomplete=cs", &[]).json();
    assert_eq!(formats, json!({"ResultSet": {"Result": [{"Format": "csv"}]}}));
    let orgs = w.server.get("/api/util/organization/autocomplete?q=ref", &[]).json();
    assert_eq!(orgs[0]["name"], "ref-org");
    let empty = w.server.get("/api/util/dataset/autocomplete?incomplete=", &[]).json();
    assert_eq!(empty, json!({"ResultSet": {"Result": []}}));
    assert_eq!(w.server.get("/api/util/nothing/here", &[]).status, 404);
}

/// CKAN drops a resource's `revision_timestamp` (`resource_dict_save` pops it) on every write.
#[test]
fn resource_revision_timestamp_is_dropped() {
    let w = world();
    let stamp = "2020-01-01T00:00:00";
    let dataset = w
        .server
        .action(
            "package_create",
            json!({"name": "stamped", "owner_org": "ref-org",
                   "resources": [{"url": "http://x.org/a.csv", "revision_timestamp": stamp}]}),
            Some(&w.editor),
        )
        .result();
    assert!(dataset["resources"][0].get("revision_timestamp").is_none(), "{dataset}");
    let created = w
        .server
        .action(
            "resource_create",
            json!({"package_id": "stamped", "url": "http://x.org/b.csv", "revision_timestamp": stamp}),
            Some(&w.editor),
        )
        .result();
    assert!(created.get("revision_timestamp").is_none(), "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    for action in ["resource_update", "resource_patch"] {
        let changed = w
            .server
            .action(
                action,
                json!({"id": id, "url": "http://x.org/c.csv", "revision_timestamp": stamp}),
                Some(&w.editor),
            )
            .result();
        assert!(changed.get("revision_timestamp").is_none(), "{action}: {changed}");
    }
    let mut resources = dataset["resources"].clone();
    resources[0]["revision_timestamp"] = json!(stamp);
    let updated = w
        .server
        .action("package_update", json!({"id": "stamped", "resources": resources}), Some(&w.editor))
        .result();
    assert!(updated["resources"][0].get("revision_timestamp").is_none(), "{updated}");
    let shown = w.server.get("/api/3/action/package_show?id=stamped", &[]).result();
    assert!(shown["resources"].as_array().unwrap().iter().all(|r| r.get("revision_timestamp").is_none()));
}

/// CKAN's package_update (so resource_create and resource_update) guesses a resource's mimetype
/// from its URL (`mimetypes.guess_type`) when the dict has no `mimetype` key; package_create and
/// resource_patch (whose dict is the shown one) guess nothing, and a sent mimetype is kept.
#[test]
fn resource_mimetype_is_guessed_from_the_url() {
    let w = world();
    let dataset = w
        .server
        .action(
            "package_create",
            json!({"name": "typed", "owner_org": "ref-org", "resources": [{"url": "http://x.org/a.png"}]}),
            Some(&w.editor),
        )
        .result();
    assert_eq!(dataset["resources"][0]["mimetype"], Value::Null);
    let create = |body: Value| {
        let mut body = body;
        body["package_id"] = json!("typed");
        w.server.action("resource_create", body, Some(&w.editor)).result()
    };
    assert_eq!(create(json!({"url": "http://x.org/logo.png"}))["mimetype"], "image/png");
    assert_eq!(create(json!({"url": "http://x.org/photo.JPG?size=2"}))["mimetype"], "image/jpeg");
    assert_eq!(
        create(json!({"url": "http://x.org/table.xlsx"}))["mimetype"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(create(json!({"url": "http://x.org/data.csv.gz"}))["mimetype"], "text/csv");
    // The format plays no part: only the URL's extension.
    assert_eq!(create(json!({"url": "http://x.org/api", "format": "CSV"}))["mimetype"], Value::Null);
    assert_eq!(
        create(json!({"url": "http://x.org/a.png", "mimetype": "text/x-mine"}))["mimetype"],
        "text/x-mine"
    );
    assert_eq!(create(json!({"url": "http://x.org/a.png", "mimetype": null}))["mimetype"], Value::Null);

    let id = create(json!({"url": "http://x.org/map.svg"}))["id"].as_str().unwrap().to_owned();
    let update = |body: Value| {
        let mut body = body;
        body["id"] = json!(id);
        w.server.action("resource_update", body, Some(&w.editor)).result()
    };
    assert_eq!(update(json!({"url": "http://x.org/map.gif"}))["mimetype"], "image/gif");
    assert_eq!(
        update(json!({"url": "http://x.org/map.gif", "mimetype": "image/x-kept"}))["mimetype"],
        "image/x-kept"
    );
    assert_eq!(update(json!({"url": "http://x.org/map"}))["mimetype"], Value::Null);
    assert_eq!(update(json!({"url": "http://x.org/map.json"}))["mimetype"], "application/json");
    let patched = w
        .server
        .action("resource_patch", json!({"id": id, "url": "http://x.org/map.pdf"}), Some(&w.editor))
        .result();
    assert_eq!(patched["mimetype"], "application/json");
}

/// resource_update without a format keeps the stored one: CKAN's `if_empty_guess_format` guesses
/// only for a resource without an id, and the `format` column is not cleared when missing.
#[test]
fn resource_update_keeps_the_format_when_not_given() {
    let w = world();
    w.server
        .action("package_create", json!({"name": "formats", "owner_org": "ref-org"}), Some(&w.editor))
        .result();
    let created = w
        .server
        .action(
            "resource_create",
            json!({"package_id": "formats", "url": "http://x.org/a.csv", "format": "Shapefile"}),
            Some(&w.editor),
        )
        .result();
    let id = created["id"].as_str().unwrap().to_owned();
    let update = |body: Value| {
        let mut body = body;
        body["id"] = json!(id);
        w.server.action("resource_update", body, Some(&w.editor)).result()
    };
    // Not given: kept, even when the URL changes (no guess for an existing resource).
    assert_eq!(update(json!({"url": "http://x.org/b.json"}))["format"], "Shapefile");
    assert_eq!(update(json!({"url": "http://x.org/b.json", "format": null}))["format"], "Shapefile");
    assert_eq!(update(json!({"url": "http://x.org/b.json", "format": "xml"}))["format"], "XML");
    // Given empty: emptied, not guessed.
    assert_eq!(update(json!({"url": "http://x.org/b.json", "format": ""}))["format"], "");
    let shown = w.server.get(&format!("/api/3/action/resource_show?id={id}"), &[]).result();
    assert_eq!(shown["format"], "");
    // package_update sending the resource without a format keeps it too.
    update(json!({"url": "http://x.org/b.json", "format": "JSON"}));
    let updated = w
        .server
        .action(
            "package_update",
            json!({"id": "formats", "resources": [{"id": id, "url": "http://x.org/c.csv"}]}),
            Some(&w.editor),
        )
        .result();
    assert_eq!(updated["resources"][0]["format"], "JSON");
}

/// CKAN 2.12's package_show reads `id`, else `name_or_id`, and reports neither under
/// `name_or_id`.
#[test]
fn package_show_without_an_id_reports_name_or_id() {
    let w = world();
    w.server.action("package_create", reference_create_body(), Some(&w.editor)).result();
    for reply in [
        w.server.get("/api/3/action/package_show", &[]),
        w.server.action("package_show", json!({}), None),
        w.server.action("package_show", json!({"id": ""}), None),
    ] {
        assert_eq!(reply.status, 409);
        assert_eq!(reply.error(), json!({"__type": "Validation Error", "name_or_id": ["Missing value"]}));
    }
    let shown = w.server.action("package_show", json!({"id": "", "name_or_id": "ref-dataset-1"}), None);
    assert_eq!(shown.result()["name"], "ref-dataset-1");
}

#[test]
fn concurrent_writes_of_one_dataset_keep_each_others_changes() {
    let w = world();
    w.server
        .action("package_create", json!({"name": "busy", "owner_org": "ref-org"}), Some(&w.editor))
        .result();
    std::thread::scope(|scope| {
        for key in ["left", "right", "middle"] {
            let (server, token) = (&w.server, w.editor.as_str());
            scope.spawn(move || {
                for n in 0..40 {
                    let reply = server.action("package_patch", json!({"id": "busy", key: n}), Some(token));
                    assert_eq!(reply.status, 200, "{}", reply.text);
                }
            });
        }
    });
    let shown = w.server.action("package_show", json!({"id": "busy"}), None).result();
    for key in ["left", "right", "middle"] {
        assert_eq!(shown[key], json!(39), "a write to {key} was lost");
    }
}

/// `current_package_list_with_resources` pages (`limit` with `offset` or `page`) through active
/// datasets newest first — public ones, private ones too for sysadmins — and follows every write.
#[test]
fn current_package_list_pages_newest_first_at_any_offset() {
    let w = world();
    for i in 0..23 {
        let body = json!({"name": format!("listed-{i:02}"), "owner_org": "ref-org", "private": i % 5 == 0});
        w.server.action("package_create", body, Some(&w.editor)).result();
    }
    let draft = json!({"name": "a-draft", "owner_org": "ref-org", "state": "draft"});
    assert_eq!(w.server.action("package_create", draft, Some(&w.admin)).result()["state"], "draft");
    w.server
        .action("package_patch", json!({"id": "listed-03", "notes": "now the newest"}), Some(&w.editor))
        .result();
    w.server.action("package_delete", json!({"id": "listed-07"}), Some(&w.editor)).result();
    w.server.action("package_patch", json!({"id": "listed-10", "private": false}), Some(&w.editor)).result();
    w.server.action("package_patch", json!({"id": "listed-11", "private": true}), Some(&w.editor)).result();

    // What the search says, newest first: the expected order.
    let order = |token: Option<&str>| -> Vec<String> {
        let mut headers = Vec::new();
        if let Some(token) = token {
            headers.push(("Authorization", token));
        }
        let found = w
            .server
            .get(
                "/api/3/action/package_search?rows=100&sort=metadata_modified+desc&include_private=true",
                &headers,
            )
            .result();
        found["results"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect()
    };
    let names = |listed: &Value| -> Vec<String> {
        listed.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect()
    };
    for (token, count) in [(None, 17), (Some(w.admin.as_str()), 22)] {
        let want = order(token);
        assert_eq!(want.len(), count, "{want:?}");
        assert!(want[..3].contains(&"listed-03".to_owned()), "{want:?}");
        let mut headers = Vec::new();
        if let Some(token) = token {
            headers.push(("Authorization", token));
        }
        for offset in 0..=count {
            let path = format!("/api/3/action/current_package_list_with_resources?limit=4&offset={offset}");
            let page = w.server.get(&path, &headers).result();
            let end = (offset + 4).min(count);
            assert_eq!(names(&page), want[offset..end], "offset {offset}");
        }
        let page = w
            .server
            .get("/api/3/action/current_package_list_with_resources?limit=5&page=2", &headers)
            .result();
        assert_eq!(names(&page), want[5..10]);
        // As CKAN: `offset` wins over the deprecated `page`, which needs a `limit`.
        let path = "/api/3/action/current_package_list_with_resources?limit=5&page=2&offset=1";
        assert_eq!(names(&w.server.get(path, &headers).result()), want[1..6]);
        let path = "/api/3/action/current_package_list_with_resources?page=2";
        assert_eq!(names(&w.server.get(path, &headers).result()), want[..10]);
        let all =
            w.server.action("current_package_list_with_resources", json!({"limit": 1000}), token).result();
        assert_eq!(names(&all), want);
        // Whole dicts, as package_show gives them.
        let shown = w.server.get(&format!("/api/3/action/package_show?id={}", want[0]), &headers).result();
        assert_eq!(all[0], shown);
    }
    let members = w
        .server
        .get("/api/3/action/current_package_list_with_resources?limit=100", &[("Authorization", &w.member)])
        .result();
    assert!(names(&members).iter().all(|n| n != "listed-11" && n != "a-draft" && n != "listed-07"));
    // A purge leaves the list at once.
    let newest = order(None)[0].clone();
    w.server.action("dataset_purge", json!({"id": newest}), Some(&w.admin)).result();
    let first = w.server.get("/api/3/action/current_package_list_with_resources?limit=1", &[]).result();
    assert_eq!(names(&first), order(None)[..1]);
    assert_ne!(names(&first)[0], newest);
}

#[test]
fn large_stored_results_are_sent_whole_with_their_length() {
    // Results over 64 KiB (a search of 40 datasets with 32 KB of notes each, over a MiB: sent
    // in several pieces; the whole `package_list`, read twice, the second time from the read
    // cache) are sent as the stored bytes between the envelope's head and tail, in pieces: the
    // same body, its length declared.
    let server = TestServer::start();
    server.org("big-org", &[]);
    let notes = "Counts of cyclists and pedestrians per hour. ".repeat(730);
    for i in 0..40 {
        server.as_site(
            "package_create",
            json!({"name": format!("large-{i:02}"), "owner_org": "big-org", "notes": notes}),
        );
    }
    for path in [
        "/api/3/action/package_search?q=cyclists&rows=40&sort=name%20asc",
        "/api/3/action/package_list",
        "/api/3/action/package_list",
        "/api/3/action/current_package_list_with_resources?limit=40",
    ] {
        let reply = server.get(path, &[]);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("content-length"), Some(reply.text.len().to_string().as_str()), "{path}");
        assert_eq!(reply.header("content-type"), Some("application/json;charset=utf-8"), "{path}");
        let body = reply.json();
        let action = &path["/api/3/action/".len()..path.find('?').unwrap_or(path.len())];
        assert!(body["help"].as_str().unwrap().ends_with(&format!("help_show?name={action}")), "{path}");
        let result = reply.result();
        if path.contains("package_search") {
            assert!(reply.text.len() > 1024 * 1024, "{path}: {} bytes", reply.text.len());
            assert_eq!(result["count"], 40);
            assert_eq!(result["results"][39]["name"], "large-39");
            let results = result["results"].as_array().unwrap();
            assert!(results.iter().all(|dataset| dataset["notes"] == notes.as_str()), "{path}");
        }
    }
    // Read often, the datasets are held unpacked and a page shares their texts with the
    // connection: the same bytes as when they were read from the index.
    let search = "/api/3/action/package_search?q=cyclists&rows=40&sort=name%20asc";
    let first = server.get(search, &[]).text;
    for i in 0..40 {
        server.get(&format!("/api/3/action/package_show?id=large-{i:02}"), &[]).result();
    }
    for _ in 0..6 {
        assert_eq!(server.get(search, &[]).text, first);
    }
    let metrics = server.get("/metrics", &[]).text;
    let plain = metrics.lines().find_map(|line| line.strip_prefix("datahavn_cache_plain_entries "));
    assert_eq!(plain, Some("40"), "{metrics}");
    // JSONP wraps the same result.
    let reply = server.get("/api/3/action/package_search?q=cyclists&rows=40&callback=cb", &[]);
    assert!(reply.text.starts_with("cb("), "{}", &reply.text[..40]);
    let wrapped: Value = serde_json::from_str(&reply.text[3..reply.text.len() - 2]).unwrap();
    assert_eq!(wrapped["result"]["count"], 40);
}
