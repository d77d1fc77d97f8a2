//! A privacy audit over every read path: a private, a draft and a deleted dataset of `org`,
//! each with resources (one an uploaded file, loaded into the DataStore), DataStore rows and
//! an alias, tags, an extra, a resource view, a group, a collaborator, a follower and
//! activity, all carrying marker strings (`SECRETPRIV`, `SECRETDRAFT`, `SECRETDEL`); then
//! every action, catalogue, dump, download and metrics route read anonymously and as the admin
//! of another organization (a member of the group), and no marker, id or name of the hidden
//! datasets (nor of their resources, views, aliases and activities) may be in any answer, with
//! CKAN's status codes for direct reads. A public dataset made the same way is the control: it
//! must be seen wherever it belongs, so that the audit can fail. Followers, relationships to a
//! public dataset, `user_show`'s datasets and `resource_search` in any case have tests of their
//! own. Every problem of a test is reported at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod world;

use std::time::{Duration, Instant};

use common::Reply;
use serde_json::{Value, json};
use world::{Persona, World};

/// The hidden datasets: a marker (in every text they hold), a name, and how they are hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hidden {
    Private,
    Draft,
    Deleted,
}

const HIDDEN: [Hidden; 3] = [Hidden::Private, Hidden::Draft, Hidden::Deleted];

impl Hidden {
    fn marker(self) -> &'static str {
        match self {
            Self::Private => "SECRETPRIV",
            Self::Draft => "SECRETDRAFT",
            Self::Deleted => "SECRETDEL",
        }
    }

    /// Names hold no marker, so that a name sent in a request may be echoed by its answer.
    fn name(self) -> &'static str {
        match self {
            Self::Private => "hush-priv",
            Self::Draft => "hush-draft",
            Self::Deleted => "hush-del",
        }
    }

    /// The statuses CKAN answers a direct read of the dataset (or its resources) with: 403 for
    /// a private or draft one; for a deleted one 403, or 404 where CKAN no longer finds it.
    fn denied(self) -> &'static [u16] {
        match self {
            Self::Private | Self::Draft => &[403],
            Self::Deleted => &[403, 404],
        }
    }
}

const PUBLIC: &str = "PUBLICOK";
const CONTROL: &str = "open-control";

const BOUNDARY: &str = "privacy-audit-boundary-41b7";

/// A `multipart/form-data` body of text fields and one file part named `upload`.
fn multipart(fields: &[(&str, &str)], file_name: &str, content: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"{file_name}\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_else(|| panic!("no {key} in {value}")).to_owned()
}

/// Waits for the background DataStore load of an uploaded file to end; its status.
fn wait_for_load(w: &World, resource: &str) -> Value {
    let started = Instant::now();
    loop {
        let status = w.call("xloader_status", json!({"resource_id": resource}), Persona::Sysadmin).result();
        if matches!(status["status"].as_str(), Some("complete" | "error")) {
            return status;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "load never ended: {status}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// What a dataset of the audit is made of, as its sysadmin sees it.
struct Made {
    id: String,
    name: String,
    /// Every resource id: the link, the upload.
    resources: Vec<String>,
    /// The resource with rows made by `datastore_create`.
    table: String,
    /// The uploaded file's resource and its download URL.
    upload: String,
    download: String,
    view: String,
    alias: String,
    activities: Vec<String>,
}

/// Makes a dataset of `org` whose every text carries `marker`: tags, an extra, a link
/// resource with DataStore rows and an alias, an uploaded CSV loaded into the DataStore, a
/// view, membership of `grp`, a collaborator, a follower and a later edit. A draft is created
/// by the sysadmin (who alone may set the state), the others by the editor; everything else is
/// done by the editor where an editor may.
fn make(w: &World, name: &str, marker: &str, private: bool, draft: bool) -> Made {
    let lower = marker.to_ascii_lowercase();
    let mut dataset = json!({
        "name": name,
        "title": format!("{marker} title"),
        "notes": format!("{marker} notes"),
        "author": format!("{marker} author"),
        "url": format!("http://example.org/{marker}/home"),
        "owner_org": "org",
        "private": private,
        "tags": [{"name": format!("{marker}-tag")}, {"name": format!("{marker} second tag")}],
        "extras": [{"key": format!("{marker}_key"), "value": format!("{marker} extra value")}],
        "resources": [{
            "url": format!("http://example.org/{marker}.csv"),
            "name": format!("{marker} link"),
            "description": format!("{marker} description"),
            "format": format!("{marker}FMT"),
        }],
    });
    let creator = if draft {
        dataset["state"] = json!("draft");
        Persona::Sysadmin
    } else {
        Persona::Editor
    };
    let created = w.call("package_create", dataset, creator).result();
    if draft {
        assert_eq!(created["state"], "draft", "{created}");
    }
    let id = text(&created, "id");
    let link = text(&created["resources"][0], "id");

    // DataStore rows on the link resource, and an alias naming its table.
    let alias = format!("{name}-alias");
    let table = w.call(
        "datastore_create",
        json!({
            "resource_id": link,
            "force": true,
            "aliases": alias,
            "fields": [{"id": "cell", "type": "text"}, {"id": "n", "type": "int"}],
            "records": [{"cell": format!("{marker} cell"), "n": 1}, {"cell": format!("{marker} other"), "n": 2}],
        }),
        Persona::Editor,
    );
    assert_eq!(table.status, 200, "{}", table.text);

    // An uploaded CSV, loaded into the DataStore in the background.
    let body = multipart(
        &[("package_id", name), ("name", &format!("{marker} upload")), ("format", "CSV")],
        &format!("{marker}-file.csv"),
        format!("word,n\n{marker} filecell,1\n{marker} filecell two,2\n").as_bytes(),
    );
    let uploaded = w
        .server
        .post_raw(
            "/api/3/action/resource_create",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            &body,
            &[("Authorization", w.token(Persona::Editor).unwrap())],
        )
        .result();
    let upload = text(&uploaded, "id");
    let download = text(&uploaded, "url");
    assert!(download.contains("/download/"), "{download}");
    let loaded = wait_for_load(w, &upload);
    assert_eq!(loaded["status"], "complete", "{loaded}");

    let view = w
        .call(
            "resource_view_create",
            json!({"resource_id": link, "title": format!("{marker} view"), "view_type": "datatables_view",
                   "description": format!("{marker} view description")}),
            Persona::Editor,
        )
        .result();
    w.call(
        "member_create",
        json!({"id": "grp", "object": id, "object_type": "package", "capacity": "public"}),
        Persona::Sysadmin,
    )
    .result();
    w.collaborate(&id, "member");
    w.call("follow_dataset", json!({"id": id}), Persona::Editor).result();
    // A later edit: another activity.
    w.call(
        "package_patch",
        json!({"id": id, "notes": format!("{marker} notes, edited {lower}")}),
        Persona::Editor,
    )
    .result();

    let shown = w.show(&id);
    let resources: Vec<String> =
        shown["resources"].as_array().unwrap().iter().map(|r| text(r, "id")).collect();
    assert_eq!(resources.len(), 2, "{shown}");
    Made {
        id,
        name: name.to_owned(),
        resources,
        table: link,
        upload,
        download,
        view: text(&view, "id"),
        alias,
        activities: Vec::new(),
    }
}

/// The activities of a dataset, as a sysadmin lists them (the site's own too).
fn activity_ids(w: &World, id: &str) -> Vec<String> {
    let list = w
        .call(
            "package_activity_list",
            json!({"id": id, "include_hidden_activity": true, "limit": 100}),
            Persona::Sysadmin,
        )
        .result();
    list.as_array().unwrap().iter().map(|a| text(a, "id")).collect()
}

/// Collects every problem found, so that one run reports them all.
struct Audit {
    /// What no answer may hold (compared case-insensitively).
    secrets: Vec<String>,
    problems: Vec<String>,
}

impl Audit {
    /// Records a problem unless `reply` has one of `statuses` and holds no secret other than
    /// those in `sent` (what the request itself named, which an error message may echo).
    fn look(&mut self, label: &str, reply: &Reply, statuses: &[u16], sent: &[&str]) -> Option<Value> {
        let mut lowered = reply.text.to_lowercase();
        for echo in sent {
            lowered = lowered.replace(&echo.to_lowercase(), "");
        }
        let found: Vec<&String> =
            self.secrets.iter().filter(|s| lowered.contains(&s.to_lowercase())).collect();
        if let Some(first) = found.first() {
            // One problem per answer: what it holds, and where the first of them is.
            let at = lowered.find(&first.to_lowercase()).unwrap_or_default();
            let start = lowered[..at].char_indices().rev().nth(100).map_or(0, |(i, _)| i);
            let end = lowered[at..].char_indices().nth(150).map_or(lowered.len(), |(i, _)| at + i);
            self.problems.push(format!(
                "{label}: answer ({}) holds {found:?}: …{}…",
                reply.status,
                &lowered[start..end]
            ));
        }
        if !statuses.contains(&reply.status) {
            let shown: String = reply.text.chars().take(300).collect();
            self.problems
                .push(format!("{label}: status {} (expected one of {statuses:?}): {shown}", reply.status));
            return None;
        }
        serde_json::from_str(&reply.text).ok()
    }

    /// An action that must succeed: its result.
    fn ok(&mut self, label: &str, reply: &Reply) -> Value {
        match self.look(label, reply, &[200], &[]) {
            Some(body) if body["success"] == true => body["result"].clone(),
            Some(body) => {
                self.problems.push(format!("{label}: not a success: {body}"));
                Value::Null
            }
            None => Value::Null,
        }
    }

    /// The control is seen where it belongs.
    fn expect(&mut self, label: &str, holds: bool, context: &dyn std::fmt::Display) {
        if !holds {
            let shown: String = context.to_string().chars().take(4000).collect();
            self.problems.push(format!("{label}: the public control is not as expected: {shown}"));
        }
    }
}

fn get(w: &World, path: &str, token: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = token.map(|t| vec![("Authorization", t)]).unwrap_or_default();
    w.server.get(path, &headers)
}

fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

fn names_in(list: &Value, key: &str) -> Vec<String> {
    list.as_array().into_iter().flatten().filter_map(|d| d[key].as_str().map(str::to_owned)).collect()
}

/// The audit's catalogue: the control, its public neighbour, the hidden datasets, and the
/// outsider (admin of `other-org`, member of `grp`) following the editor, `org` and `grp`.
struct Catalogue {
    w: World,
    control: Made,
    control_activities: Vec<String>,
    made: Vec<(Hidden, Made)>,
    outsider: String,
}

impl Catalogue {
    fn new() -> Self {
        let w = World::new();
        // Being a member of a group grants nothing on its private datasets.
        w.server.group("grp", &[("outsider", "member")]);
        // Another public dataset, related to the control, so the control's relationships list
        // has something to show.
        w.call("package_create", json!({"name": "open-neighbour", "owner_org": "org"}), Persona::Editor)
            .result();
        let control = make(&w, CONTROL, PUBLIC, false, false);
        w.call(
            "package_relationship_create",
            json!({"subject": CONTROL, "object": "open-neighbour", "type": "links_to"}),
            Persona::Sysadmin,
        )
        .result();
        let mut made = Vec::new();
        for hidden in HIDDEN {
            let private = matches!(hidden, Hidden::Private | Hidden::Deleted);
            made.push((hidden, make(&w, hidden.name(), hidden.marker(), private, hidden == Hidden::Draft)));
        }
        // The deleted one was private before its deletion: what a public dataset showed while
        // public stays in the public activity stream by CKAN's design, so it is hidden from birth.
        let deleted = made[2].1.id.clone();
        w.call("package_delete", json!({"id": deleted}), Persona::Editor).result();
        assert_eq!(w.show(&deleted)["state"], "deleted");
        for (_, dataset) in &mut made {
            dataset.activities = activity_ids(&w, &dataset.id);
            assert!(dataset.activities.len() >= 3, "{:?}", dataset.activities);
        }
        let control_activities = activity_ids(&w, &control.id);
        let outsider = w.token(Persona::Outsider).unwrap().to_owned();
        for (action, id) in [("follow_user", "editor"), ("follow_group", "org"), ("follow_group", "grp")] {
            w.server.action(action, json!({"id": id}), Some(&outsider)).result();
        }
        // The audit sees what it should: a sysadmin finds what the others must not.
        for (hidden, dataset) in &made {
            let found = w
                .call(
                    "package_search",
                    json!({"q": hidden.marker(), "include_private": true, "include_drafts": true}),
                    Persona::Sysadmin,
                )
                .result();
            let expected = if *hidden == Hidden::Deleted { 0 } else { 1 };
            assert_eq!(found["count"], expected, "{hidden:?}: {found}");
            let rows =
                w.call("datastore_search", json!({"resource_id": dataset.table}), Persona::Sysadmin).result();
            assert_eq!(rows["total"], 2, "{hidden:?}: {rows}");
        }
        Self { w, control, control_activities, made, outsider }
    }

    /// What no answer to the anonymous caller or the outsider may hold: the markers, and the
    /// ids and names of the hidden datasets, their resources, views, aliases and activities.
    fn audit(&self) -> Audit {
        let mut secrets: Vec<String> = HIDDEN.iter().map(|h| h.marker().to_owned()).collect();
        for (_, dataset) in &self.made {
            secrets.extend([
                dataset.id.clone(),
                dataset.name.clone(),
                dataset.view.clone(),
                dataset.alias.clone(),
            ]);
            secrets.extend(dataset.resources.iter().cloned());
            secrets.extend(dataset.activities.iter().cloned());
        }
        Audit { secrets, problems: Vec::new() }
    }

    /// The callers of the audit: anonymous, and the admin of another organization.
    fn callers(&self) -> [(&'static str, Option<&str>); 2] {
        [("anonymous", None), ("other-org admin", Some(self.outsider.as_str()))]
    }
}

impl Audit {
    fn finish(self) {
        assert!(
            self.problems.is_empty(),
            "{} problem(s):\n{}",
            self.problems.len(),
            self.problems.join("\n")
        );
    }
}

fn with_token<'a>(token: Option<&'a str>, mut headers: Vec<(&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
    headers.extend(token.map(|t| ("Authorization", t)));
    headers
}

/// Every direct read of a hidden dataset, its resources, tables, files, views, activities and
/// tags is refused (403, or 404 where CKAN answers so), and the refusal names nothing the
/// request did not name.
fn direct_reads(c: &Catalogue, audit: &mut Audit, who: &str, token: Option<&str>) {
    let w = &c.w;
    let call = |action: &str, body: Value| w.server.action(action, body, token);
    let label = |what: &str| format!("{who}: {what}");
    for (hidden, dataset) in &c.made {
        let denied = hidden.denied();
        let id = dataset.id.as_str();
        // CKAN's refusal names the dataset's id even when asked by name.
        let by_name = [dataset.id.as_str(), dataset.name.as_str()];
        for (reference, sent) in [(id, &[id][..]), (dataset.name.as_str(), &by_name[..])] {
            let reply = call("package_show", json!({"id": reference}));
            audit.look(&label(&format!("package_show {reference}")), &reply, denied, sent);
            let reply = get(w, &format!("/api/3/action/package_show?id={reference}"), token);
            audit.look(&label(&format!("GET package_show {reference}")), &reply, denied, sent);
        }
        for (action, body) in [
            ("package_activity_list", json!({"id": id})),
            ("package_relationships_list", json!({"id": id})),
            ("package_collaborator_list", json!({"id": id})),
            ("dcat_dataset_show", json!({"id": id})),
            ("dcat_dataset_show", json!({"id": id, "_format": "jsonld"})),
        ] {
            audit.look(&label(&format!("{action} {id}")), &call(action, body), denied, &[id]);
        }
        let reply = call("package_relationships_list", json!({"id": CONTROL, "id2": id}));
        audit.look(&label(&format!("package_relationships_list {CONTROL} {id}")), &reply, denied, &[id]);
        for resource in &dataset.resources {
            let r = resource.as_str();
            for (action, body) in [
                ("resource_show", json!({"id": r})),
                ("resource_view_list", json!({"id": r})),
                ("datastore_info", json!({"id": r})),
                ("xloader_status", json!({"resource_id": r})),
                ("datastore_search", json!({"resource_id": r})),
                ("datastore_search", json!({"resource_id": r, "q": hidden.marker(), "include_total": true})),
                ("datastore_search_sql", json!({"sql": format!("SELECT * FROM \"{r}\"")})),
            ] {
                audit.look(&label(&format!("{action} {body}")), &call(action, body.clone()), denied, &[r]);
            }
            let sql = format!("SELECT cell FROM \"{}\" UNION ALL SELECT cell FROM \"{r}\"", c.control.table);
            let reply = call("datastore_search_sql", json!({"sql": sql}));
            audit.look(
                &label(&format!("datastore_search_sql union {r}")),
                &reply,
                denied,
                &[r, &c.control.table],
            );
            for format in ["csv", "json", "tsv", "xml"] {
                let reply = get(w, &format!("/datastore/dump/{r}?format={format}"), token);
                audit.look(&label(&format!("dump {format} {r}")), &reply, denied, &[r]);
            }
            for path in [
                format!("/dataset/{id}/resource/{r}/download"),
                format!("/dataset/{id}/resource/{r}/download/data.csv"),
            ] {
                // A link resource redirects to its URL for those who may read it.
                audit.look(&label(&path), &get(w, &path, token), denied, &[id, r]);
            }
        }
        let path = dataset.download.strip_prefix(&w.server.base).unwrap();
        let reply = w.server.get(path, &with_token(token, vec![]));
        audit.look(&label(&format!("download {path}")), &reply, denied, &[id, &dataset.upload]);
        // An alias or a view names its resource as well as the resource's id does: CKAN's
        // refusal names that id.
        let alias = dataset.alias.as_str();
        let sent = [alias, dataset.table.as_str()];
        let reply = call("datastore_search", json!({"resource_id": alias}));
        audit.look(&label(&format!("datastore_search alias {alias}")), &reply, denied, &sent);
        let reply = call("datastore_info", json!({"id": alias}));
        audit.look(&label(&format!("datastore_info alias {alias}")), &reply, denied, &sent);
        let reply = call("datastore_search_sql", json!({"sql": format!("SELECT * FROM \"{alias}\"")}));
        audit.look(&label(&format!("datastore_search_sql alias {alias}")), &reply, denied, &sent);
        let reply = get(w, &format!("/datastore/dump/{alias}"), token);
        audit.look(&label(&format!("dump alias {alias}")), &reply, denied, &sent);
        let sent = [dataset.view.as_str(), dataset.table.as_str()];
        let reply = call("resource_view_show", json!({"id": dataset.view}));
        audit.look(&label(&format!("resource_view_show {}", dataset.view)), &reply, denied, &sent);
        for activity in &dataset.activities {
            for (action, body) in [
                ("activity_show", json!({"id": activity})),
                ("activity_data_show", json!({"id": activity})),
                ("activity_diff", json!({"id": activity, "object_type": "package"})),
            ] {
                audit.look(&label(&format!("{action} {activity}")), &call(action, body), &[403], &[activity]);
            }
        }
        for format in ["ttl", "jsonld", "rdf", "xml", "nt"] {
            let path = format!("/dataset/{id}.{format}");
            audit.look(&label(&path), &get(w, &path, token), denied, &[id]);
        }
        let path = format!("/dataset/{id}");
        let reply = w.server.get(&path, &with_token(token, vec![("Accept", "text/turtle")]));
        audit.look(&label(&format!("{path} as text/turtle")), &reply, denied, &[id]);
        // Tags only hidden datasets carry are not found.
        for tag in [format!("{}-tag", hidden.marker()), format!("{} second tag", hidden.marker())] {
            let reply = call("tag_show", json!({"id": tag, "include_datasets": true}));
            audit.look(&label(&format!("tag_show {tag}")), &reply, &[404], &[&tag]);
        }
    }
}

/// Every list, search, autocomplete, count, stream, catalogue and dump of the whole site:
/// the control where it belongs, nothing of the hidden datasets.
fn catalogue_reads(c: &Catalogue, audit: &mut Audit, who: &str, token: Option<&str>) {
    let w = &c.w;
    let control = &c.control;
    let call = |action: &str, body: Value| w.server.action(action, body, token);
    let label = |what: &str| format!("{who}: {what}");

    let listed = audit.ok(&label("package_list"), &call("package_list", json!({})));
    let mut names: Vec<String> = listed.as_array().into_iter().flatten().map(|v| v.to_string()).collect();
    names.sort();
    audit.expect(&label("package_list"), names == ["\"open-control\"", "\"open-neighbour\""], &listed);
    let reply = get(w, "/api/3/action/package_list?limit=100&offset=0", token);
    audit.look(&label("GET package_list"), &reply, &[200], &[]);
    let listed = audit.ok(
        &label("current_package_list_with_resources"),
        &call("current_package_list_with_resources", json!({"limit": 100})),
    );
    audit.expect(
        &label("current_package_list_with_resources"),
        names_in(&listed, "name").contains(&CONTROL.to_owned()),
        &listed,
    );

    // package_search: every search that would match everything finds the control and its
    // neighbour alone; the others find nothing.
    let everything = [
        json!({}),
        json!({"q": "*:*", "rows": 1000}),
        json!({"include_private": true, "include_drafts": true, "include_deleted": true, "rows": 1000}),
        json!({"fq": "organization:org", "include_private": true, "include_drafts": true, "rows": 1000}),
        json!({"sort": "metadata_modified desc", "include_private": true, "include_drafts": true, "rows": 1000}),
        json!({"q": "name:open* OR name:hush*", "include_private": true, "include_drafts": true}),
    ];
    for search in everything {
        let found =
            audit.ok(&label(&format!("package_search {search}")), &call("package_search", search.clone()));
        let names = names_in(&found["results"], "name");
        audit.expect(
            &label(&format!("package_search {search}")),
            found["count"] == 2 && names.contains(&CONTROL.to_owned()),
            &found,
        );
    }
    let nothing = [
        json!({"q": "SECRETPRIV"}),
        json!({"q": "SECRETDRAFT"}),
        json!({"q": "SECRETDEL"}),
        json!({"q": "hush"}),
        json!({"q": "title:SECRETPRIV OR notes:SECRETDRAFT OR text:SECRETDEL"}),
        json!({"q": "SECRETPRIV", "include_private": true, "include_drafts": true, "include_deleted": true}),
        json!({"q": "SECRETDRAFT", "include_private": true, "include_drafts": true, "include_deleted": true}),
        json!({"q": "SECRETDEL", "include_private": true, "include_drafts": true, "include_deleted": true}),
        json!({"fq": "tags:SECRETPRIV-tag", "include_private": true}),
        json!({"fq": "tags:SECRETDRAFT-tag", "include_drafts": true}),
        json!({"fq": "tags:SECRETDEL-tag", "include_private": true, "include_deleted": true}),
        json!({"fq": "name:hush*", "include_private": true, "include_drafts": true, "include_deleted": true}),
        json!({"fq": "capacity:private", "include_private": true}),
        json!({"fq": "state:draft", "include_drafts": true}),
        json!({"fq": "state:deleted", "include_deleted": true, "include_private": true}),
        json!({"fq": "res_format:SECRETPRIVFMT", "include_private": true}),
        json!({"q": "res_name:SECRETDRAFT", "include_drafts": true}),
        json!({"q": "res_description:SECRETPRIV", "include_private": true}),
        json!({"q": "author:SECRETPRIV", "include_private": true}),
    ];
    for search in nothing {
        let found =
            audit.ok(&label(&format!("package_search {search}")), &call("package_search", search.clone()));
        audit.expect(&label(&format!("package_search {search}")), found["count"] == 0, &found);
    }
    let found = audit.ok(
        &label("package_search fl"),
        &call(
            "package_search",
            json!({"fl": "id,name,title,notes", "include_private": true,
                                       "include_drafts": true, "rows": 1000}),
        ),
    );
    audit.expect(&label("package_search fl"), found["count"] == 2, &found);
    let facets = json!({
        "facet": "true",
        "facet.field": ["tags", "res_format", "organization", "groups", "license_id", "res_name", "name"],
        "facet.limit": -1,
        "include_private": true,
        "include_drafts": true,
        "include_deleted": true,
        "rows": 0,
    });
    let found = audit.ok(&label("package_search facets"), &call("package_search", facets));
    let tags = names_in(&found["search_facets"]["tags"]["items"], "name");
    audit.expect(
        &label("package_search facets"),
        found["count"] == 2 && tags.contains(&"PUBLICOK-tag".to_owned()),
        &found,
    );
    let reply =
        get(w, "/api/3/action/package_search?q=SECRETPRIV&include_private=true&include_drafts=true", token);
    audit.look(&label("GET package_search"), &reply, &[200], &["SECRETPRIV"]);
    let facet = encoded(r#"["tags","res_format","organization","groups"]"#);
    let path =
        format!("/api/3/action/package_search?facet.field={facet}&include_private=True&include_drafts=True");
    audit.look(&label("GET package_search facets"), &get(w, &path, token), &[200], &[]);

    // Autocompletes (the queried text is echoed by none of them).
    for q in ["hush", "secret", "SECRETPRIV", "SECRETDRAFT", "SECRETDEL", "publicok"] {
        let found = audit
            .ok(&label(&format!("package_autocomplete {q}")), &call("package_autocomplete", json!({"q": q})));
        if q == "publicok" {
            audit.expect(
                &label("package_autocomplete publicok"),
                names_in(&found, "name") == [CONTROL],
                &found,
            );
        }
        audit.ok(&label(&format!("format_autocomplete {q}")), &call("format_autocomplete", json!({"q": q})));
        audit.ok(&label(&format!("tag_autocomplete {q}")), &call("tag_autocomplete", json!({"q": q})));
        audit.ok(&label(&format!("tag_search {q}")), &call("tag_search", json!({"query": q})));
        audit.ok(&label(&format!("tag_list {q}")), &call("tag_list", json!({"query": q})));
        for util in ["dataset/autocomplete", "tag/autocomplete", "resource/format_autocomplete"] {
            for prefix in ["/api/util", "/api/2/util"] {
                let path = format!("{prefix}/{util}?incomplete={q}");
                audit.look(&label(&path), &get(w, &path, token), &[200], &[]);
            }
        }
    }
    let formats = audit
        .ok(&label("format_autocomplete publicok"), &call("format_autocomplete", json!({"q": "publicok"})));
    audit.expect(&label("format_autocomplete publicok"), formats == json!(["publicokfmt"]), &formats);
    let tags = audit.ok(&label("tag_list"), &call("tag_list", json!({})));
    let mut tags: Vec<String> = tags.as_array().into_iter().flatten().map(|t| t.to_string()).collect();
    tags.sort();
    audit.expect(
        &label("tag_list"),
        tags == ["\"PUBLICOK second tag\"", "\"PUBLICOK-tag\""],
        &tags.join(","),
    );
    audit.ok(&label("tag_list all_fields"), &call("tag_list", json!({"all_fields": true})));
    let shown = audit.ok(
        &label("tag_show PUBLICOK-tag"),
        &call("tag_show", json!({"id": "PUBLICOK-tag", "include_datasets": true})),
    );
    audit.expect(&label("tag_show PUBLICOK-tag"), names_in(&shown["packages"], "name") == [CONTROL], &shown);

    // Organizations and groups: counted and listed without the hidden datasets.
    for id in ["org", "other-org"] {
        let shown = audit.ok(
            &label(&format!("organization_show {id}")),
            &call("organization_show", json!({"id": id, "include_datasets": true})),
        );
        if id == "org" {
            audit.expect(
                &label("organization_show org"),
                shown["package_count"] == 2
                    && names_in(&shown["packages"], "name").contains(&CONTROL.to_owned()),
                &shown,
            );
        }
    }
    let shown = audit
        .ok(&label("group_show grp"), &call("group_show", json!({"id": "grp", "include_datasets": true})));
    audit.expect(
        &label("group_show grp"),
        shown["package_count"] == 1 && names_in(&shown["packages"], "name") == [CONTROL],
        &shown,
    );
    let packages = audit.ok(
        &label("group_package_show grp"),
        &call("group_package_show", json!({"id": "grp", "limit": 100})),
    );
    audit.expect(&label("group_package_show grp"), names_in(&packages, "name") == [CONTROL], &packages);
    let packages = audit.ok(
        &label("group_package_show org"),
        &call("group_package_show", json!({"id": "org", "limit": 100})),
    );
    audit.expect(&label("group_package_show org"), names_in(&packages, "name").len() == 2, &packages);
    for (action, id, count) in [("organization_list", "org", 2), ("group_list", "grp", 1)] {
        let listed = audit.ok(
            &label(action),
            &call(action, json!({"all_fields": true, "include_extras": true, "include_datasets": true})),
        );
        let entry =
            listed.as_array().into_iter().flatten().find(|g| g["name"] == id).cloned().unwrap_or_default();
        audit.expect(&label(&format!("{action} {id}")), entry["package_count"] == count, &entry);
        let sorted =
            audit.ok(&label(&format!("{action} by count")), &call(action, json!({"sort": "package_count"})));
        audit.expect(
            &label(&format!("{action} by count")),
            sorted.as_array().is_some_and(|l| !l.is_empty()),
            &sorted,
        );
    }
    for id in ["grp", "org"] {
        let members = audit.ok(
            &label(&format!("member_list {id}")),
            &call("member_list", json!({"id": id, "object_type": "package"})),
        );
        audit.expect(
            &label(&format!("member_list {id}")),
            members.to_string().contains(&control.id),
            &members,
        );
    }
    if token.is_some() {
        audit.ok(
            &label("organization_list_for_user"),
            &call("organization_list_for_user", json!({"include_dataset_count": true})),
        );
        audit.ok(&label("group_list_authz"), &call("group_list_authz", json!({})));
    }

    // Resources.
    let found = audit
        .ok(&label("resource_search name:SECRET"), &call("resource_search", json!({"query": "name:SECRET"})));
    audit.expect(&label("resource_search name:SECRET"), found["count"] == 0, &found);
    for query in
        ["url:example.org", "format:FMT", "description:description", "name:upload", "format:CSV", "name:link"]
    {
        let found = audit.ok(
            &label(&format!("resource_search {query}")),
            &call("resource_search", json!({"query": query})),
        );
        audit.expect(&label(&format!("resource_search {query}")), found["count"] == 1, &found);
    }
    for resource in &control.resources {
        audit.ok(&label("resource_show control"), &call("resource_show", json!({"id": resource})));
        let views = audit
            .ok(&label("resource_view_list control"), &call("resource_view_list", json!({"id": resource})));
        if *resource == control.table {
            audit.expect(
                &label("resource_view_list control"),
                names_in(&views, "id") == [control.view.clone()],
                &views,
            );
        }
    }
    let shown = audit.ok(&label("package_show control"), &call("package_show", json!({"id": CONTROL})));
    audit.expect(&label("package_show control"), shown["title"] == "PUBLICOK title", &shown);
    let related = audit.ok(
        &label("package_relationships_list control"),
        &call("package_relationships_list", json!({"id": CONTROL})),
    );
    audit.expect(
        &label("package_relationships_list control"),
        related.as_array().is_some_and(|r| r.len() == 1) && related[0]["object"] == "open-neighbour",
        &related,
    );
    let reply = call("package_collaborator_list", json!({"id": CONTROL}));
    audit.look(&label("package_collaborator_list control"), &reply, &[403], &[]);
    let reply = call("package_collaborator_list_for_user", json!({"id": "collab"}));
    audit.look(&label("package_collaborator_list_for_user collab"), &reply, &[403], &[]);

    // Activity streams.
    let mut streams = vec![
        ("organization_activity_list", json!({"id": "org", "limit": 100})),
        ("organization_activity_list", json!({"id": "org", "limit": 100, "include_hidden_activity": true})),
        ("group_activity_list", json!({"id": "grp", "limit": 100})),
        ("recently_changed_packages_activity_list", json!({"limit": 100})),
        ("user_activity_list", json!({"id": "editor", "limit": 100})),
        ("user_activity_list", json!({"id": "sysadmin", "limit": 100})),
        ("package_activity_list", json!({"id": CONTROL, "limit": 100})),
    ];
    if token.is_some() {
        streams.push(("dashboard_activity_list", json!({"limit": 100})));
    }
    for (action, body) in streams {
        let list = audit.ok(&label(&format!("{action} {body}")), &call(action, body.clone()));
        if body["id"] != "sysadmin" {
            let ids = names_in(&list, "id");
            audit.expect(
                &label(&format!("{action} {body}")),
                c.control_activities.iter().any(|a| ids.contains(a)),
                &list,
            );
        }
    }
    if token.is_none() {
        audit.look(
            &label("dashboard_activity_list"),
            &call("dashboard_activity_list", json!({})),
            &[403],
            &[],
        );
    } else {
        audit
            .ok(&label("dashboard_new_activities_count"), &call("dashboard_new_activities_count", json!({})));
    }

    // Followers and followees (by-dataset follower reads have a test of their own).
    let count = audit.ok(
        &label("dataset_follower_count control"),
        &call("dataset_follower_count", json!({"id": CONTROL})),
    );
    audit.expect(&label("dataset_follower_count control"), count == 1, &count);
    for (action, id) in [
        ("followee_list", "outsider"),
        ("followee_list", "editor"),
        ("dataset_followee_list", "editor"),
        ("user_followee_list", "outsider"),
        ("group_followee_list", "outsider"),
        ("organization_followee_list", "outsider"),
        ("followee_count", "editor"),
        ("user_followee_count", "editor"),
        ("group_followee_count", "editor"),
        ("user_follower_count", "editor"),
        ("organization_follower_count", "org"),
        ("group_follower_count", "grp"),
    ] {
        // Followee lists are the user's own (and sysadmins').
        let own = token.is_some() && id == "outsider" || action.ends_with("_count");
        let statuses: &[u16] = if own { &[200] } else { &[403] };
        audit.look(&label(&format!("{action} {id}")), &call(action, json!({"id": id})), statuses, &[]);
    }
    let count = audit.ok(
        &label("dataset_followee_count editor"),
        &call("dataset_followee_count", json!({"id": "editor"})),
    );
    audit.expect(&label("dataset_followee_count editor"), count == 1, &count);

    // Users.
    for id in ["editor", "sysadmin", "collab"] {
        let body = json!({"id": id, "include_datasets": true, "include_num_followers": true});
        audit.ok(&label(&format!("user_show {id}")), &call("user_show", body));
    }
    audit.ok(&label("user_list"), &call("user_list", json!({"all_fields": true})));

    // The DataStore: the control's table, and the tables of tables.
    let rows = audit.ok(
        &label("datastore_search control"),
        &call("datastore_search", json!({"resource_id": control.table})),
    );
    audit.expect(&label("datastore_search control"), rows["total"] == 2, &rows);
    let reply = call("datastore_search", json!({"resource_id": "_table_metadata"}));
    audit.look(&label("datastore_search _table_metadata"), &reply, &[200, 403, 404, 409], &[]);
    for sql in [
        "SELECT * FROM \"_table_metadata\"",
        "SELECT * FROM _table_metadata",
        "SELECT name FROM sqlite_master",
        "SELECT * FROM pg_tables",
        "SELECT * FROM information_schema.tables",
    ] {
        audit.look(&label(sql), &call("datastore_search_sql", json!({"sql": sql})), &[403, 409], &[]);
    }
    let dump = get(w, &format!("/datastore/dump/{}", control.table), token);
    audit.look(&label("dump control"), &dump, &[200], &[]);
    audit.expect(&label("dump control"), dump.text.contains("PUBLICOK cell"), &dump.text);
    let download =
        w.server.get(control.download.strip_prefix(&w.server.base).unwrap(), &with_token(token, vec![]));
    audit.look(&label("download control"), &download, &[200], &[]);
    audit.expect(&label("download control"), download.text.contains("PUBLICOK filecell"), &download.text);

    // Catalogues.
    for path in [
        "/catalog.ttl",
        "/catalog.jsonld",
        "/catalog.rdf",
        "/catalog.xml",
        "/catalog.nt",
        "/catalog.ttl?q=hush",
        "/catalog.ttl?fq=organization:org",
        "/catalog.ttl?modified_since=2000-01-01",
        "/data.json",
    ] {
        let reply = get(w, path, token);
        audit.look(&label(path), &reply, &[200], &[]);
        if !path.contains("q=hush") {
            audit.expect(&label(path), reply.text.contains("PUBLICOK title"), &reply.text.len());
        }
    }
    let reply = w.server.get("/catalog", &with_token(token, vec![("Accept", "text/turtle")]));
    audit.look(&label("/catalog as text/turtle"), &reply, &[200], &[]);
    for format in ["ttl", "jsonld"] {
        let reply = get(w, &format!("/dataset/{}.{format}", control.id), token);
        audit.look(&label(&format!("/dataset/control.{format}")), &reply, &[200], &[]);
    }
    for (action, body) in [
        ("dcat_catalog_show", json!({"_format": "ttl"})),
        ("dcat_catalog_search", json!({"_format": "ttl", "q": "hush"})),
        ("dcat_catalog_search", json!({"_format": "jsonld"})),
        ("dcat_dataset_show", json!({"id": CONTROL, "_format": "ttl"})),
    ] {
        audit.ok(&label(&format!("{action} {body}")), &call(action, body));
    }
    audit.look(&label("/metrics"), &get(w, "/metrics", token), &[200], &[]);
    for path in ["/api/3/action/status_show", "/api/3/action/site_read", "/api/3"] {
        audit.look(&label(path), &get(w, path, token), &[200], &[]);
    }
}

#[test]
fn private_draft_and_deleted_datasets_leak_through_no_read_path() {
    let c = Catalogue::new();
    let mut audit = c.audit();
    for (who, token) in c.callers() {
        direct_reads(&c, &mut audit, who, token);
        catalogue_reads(&c, &mut audit, who, token);
    }
    audit.finish();
}

#[test]
fn hidden_datasets_are_neither_followed_nor_counted_by_those_who_may_not_read_them() {
    let c = Catalogue::new();
    let mut audit = c.audit();
    for (who, token) in c.callers() {
        for (_, dataset) in &c.made {
            let id = dataset.id.as_str();
            let label = |what: &str| format!("{who}: {what} {} ({id})", dataset.name);
            let call = |action: &str| c.w.server.action(action, json!({"id": id}), token);
            // Only sysadmins list followers; counting answers as if there were no such dataset.
            audit.look(&label("dataset_follower_list"), &call("dataset_follower_list"), &[403], &[id]);
            audit.look(&label("dataset_follower_count"), &call("dataset_follower_count"), &[409], &[id]);
            if token.is_some() {
                audit.look(&label("am_following_dataset"), &call("am_following_dataset"), &[409], &[id]);
                audit.look(&label("follow_dataset"), &call("follow_dataset"), &[409], &[id]);
                audit.look(&label("unfollow_dataset"), &call("unfollow_dataset"), &[409], &[id]);
            }
        }
        let count = c.w.server.action("dataset_follower_count", json!({"id": CONTROL}), token);
        audit.ok(&format!("{who}: dataset_follower_count control"), &count);
    }
    audit.finish();
}

#[test]
fn a_public_datasets_relationships_name_no_hidden_dataset() {
    let c = Catalogue::new();
    let w = &c.w;
    // Relationships both ways between the control and each hidden dataset.
    for (hidden, dataset) in &c.made {
        for (subject, object, kind) in
            [(CONTROL, dataset.id.as_str(), "depends_on"), (dataset.id.as_str(), CONTROL, "child_of")]
        {
            let made = w.call(
                "package_relationship_create",
                json!({"subject": subject, "object": object, "type": kind,
                       "comment": format!("{} relationship", hidden.marker())}),
                Persona::Sysadmin,
            );
            assert_eq!(made.status, 200, "{}", made.text);
        }
    }
    let mut audit = c.audit();
    for (who, token) in c.callers() {
        let call = |action: &str, body: Value| w.server.action(action, body, token);
        let label = |what: &str| format!("{who}: {what}");
        let related = audit.ok(
            &label("package_relationships_list"),
            &call("package_relationships_list", json!({"id": CONTROL})),
        );
        audit.expect(
            &label("package_relationships_list"),
            related.as_array().map(Vec::len) == Some(1),
            &related,
        );
        // Everything that shows the control's dict.
        for (action, body) in [
            ("package_show", json!({"id": CONTROL})),
            ("package_show", json!({"id": c.control.id})),
            ("package_search", json!({"q": "*:*"})),
            ("current_package_list_with_resources", json!({})),
            ("organization_show", json!({"id": "org", "include_datasets": true})),
            ("group_show", json!({"id": "grp", "include_datasets": true})),
            ("group_package_show", json!({"id": "grp"})),
            ("group_list", json!({"all_fields": true, "include_datasets": true})),
            ("tag_show", json!({"id": "PUBLICOK-tag", "include_datasets": true})),
            ("package_activity_list", json!({"id": CONTROL})),
            ("recently_changed_packages_activity_list", json!({})),
            ("organization_activity_list", json!({"id": "org"})),
        ] {
            audit.ok(&label(&format!("{action} {body}")), &call(action, body.clone()));
        }
        for path in ["/catalog.ttl", "/catalog.jsonld", "/data.json"] {
            audit.look(&label(path), &get(w, path, token), &[200], &[]);
        }
        let path = format!("/dataset/{}.ttl", c.control.id);
        audit.look(&label(&path), &get(w, &path, token), &[200], &[]);
    }
    audit.finish();
}

#[test]
fn user_show_lists_the_public_datasets_a_user_made_and_no_hidden_one() {
    let c = Catalogue::new();
    let mut audit = c.audit();
    for (who, token) in c.callers() {
        let body = json!({"id": "editor", "include_datasets": true});
        let shown =
            audit.ok(&format!("{who}: user_show editor"), &c.w.server.action("user_show", body, token));
        let mut names = names_in(&shown["datasets"], "name");
        names.sort();
        audit.expect(
            &format!("{who}: user_show editor datasets"),
            names == [CONTROL, "open-neighbour"] && shown["number_created_packages"] == 2,
            &shown,
        );
    }
    audit.finish();
}

#[test]
fn resource_search_matches_any_case_and_still_finds_no_hidden_resource() {
    // CKAN matches `field:term` with ILIKE: a query in another case than the stored text finds
    // the control's resources, and must find none of the hidden datasets' either.
    let c = Catalogue::new();
    let mut audit = c.audit();
    for (who, token) in c.callers() {
        for (query, count) in [
            ("format:csv", 1),
            ("format:publicokfmt", 1),
            ("name:publicok", 2),
            ("name:PUBLICOK UPLOAD", 1),
            ("description:PUBLICOK DESCRIPTION", 1),
            ("name:secret", 0),
            ("description:secretpriv", 0),
            ("format:secretdraftfmt", 0),
        ] {
            let label = format!("{who}: resource_search {query}");
            let found =
                audit.ok(&label, &c.w.server.action("resource_search", json!({"query": query}), token));
            audit.expect(&label, found["count"] == count, &found);
        }
    }
    audit.finish();
}
