//! Real portal records round trip: every dataset dict in the recorded portal files
//! (`tests/fixtures/portals`, described by its PROFILE.md and SOURCES.md) goes through
//! `package_create` over HTTP as a sysadmin, then `package_show`, and must come back intact:
//! every free-form top-level key and value as sent, every resource's own keys as sent, tags,
//! extras, groups, name, title, notes and the other core fields as CKAN stores them.
//!
//! Before sending, each record gets the minimal clean-up a harvester does (see [`clean`]); the
//! comparison then allows only CKAN's documented normalisations (see [`compare`]). A record
//! repeating an earlier one's id or name (the same dataset from a search page and from
//! package_show) is sent as `package_update`, as `ckanapi load` and harvesters do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod records;

use std::collections::{BTreeMap, BTreeSet};

use common::TestServer;
use records::{CORE_TEXT, Site, all_records, clean, portal_files};
use serde_json::{Map, Value, json};

/// What PROFILE.md counts: package dicts distinct by portal + id/name.
const PROFILE_DISTINCT_RECORDS: usize = 192;

/// Keys CKAN computes or owns: ignored on input (ckan-api.md §3.1, §4.2), so not compared.
const COMPUTED: &[&str] = &[
    "organization",
    "num_resources",
    "num_tags",
    "license_title",
    "license_url",
    "isopen",
    "creator_user_id",
    "relationships_as_subject",
    "relationships_as_object",
    "revision_id",
    "tracking_summary",
    "metadata_created",
    "tag_string",
    "plugin_data",
];

/// Keys every dataset dict has, whether sent or not (ckan-api.md §3.1).
const DATASET_KEYS: &[&str] = &[
    "id",
    "name",
    "title",
    "type",
    "state",
    "private",
    "owner_org",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "notes",
    "url",
    "version",
    "license_id",
    "license_title",
    "license_url",
    "isopen",
    "creator_user_id",
    "metadata_created",
    "metadata_modified",
    "organization",
    "num_resources",
    "num_tags",
    "extras",
    "resources",
    "tags",
    "groups",
    "relationships_as_subject",
    "relationships_as_object",
];

/// Keys every resource dict has, whether sent or not (ckan-api.md §3.2).
const RESOURCE_KEYS: &[&str] = &[
    "id",
    "package_id",
    "url",
    "name",
    "description",
    "format",
    "mimetype",
    "mimetype_inner",
    "hash",
    "size",
    "position",
    "resource_type",
    "url_type",
    "created",
    "last_modified",
    "metadata_modified",
    "cache_url",
    "cache_last_updated",
    "state",
    "datastore_active",
];

/// Resource keys CKAN computes.
const RESOURCE_COMPUTED: &[&str] =
    &["package_id", "position", "revision_id", "revision_timestamp", "tracking_summary"];

/// Resource text columns: a number or bool sent there is stored as text.
const RESOURCE_TEXT: &[&str] =
    &["name", "description", "hash", "mimetype", "mimetype_inner", "resource_type", "url_type"];

/// A scalar as CKAN's text fields store it.
fn as_text(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::String(s) => Value::String(s.clone()),
        Value::Bool(b) => Value::String(if *b { "True" } else { "False" }.into()),
        other => Value::String(other.to_string()),
    }
}

fn parse_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(true),
            "false" | "0" | "no" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A timestamp as CKAN writes it, if the sent one has the shape a sysadmin may set:
/// `YYYY-MM-DDTHH:MM:SS[.ffffff][Z]`.
fn ckan_timestamp(sent: &str) -> Option<String> {
    let text = sent.trim_end_matches('Z');
    let (seconds, fraction) = match text.split_once('.') {
        Some((seconds, fraction)) => (seconds, fraction),
        None => (text, ""),
    };
    let shape_ok = seconds.len() == 19
        && seconds.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        })
        && fraction.len() <= 6
        && fraction.chars().all(|c| c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    let micros = format!("{fraction:0<6}");
    Some(if fraction.is_empty() || micros == "000000" {
        seconds.to_owned()
    } else {
        format!("{seconds}.{micros}")
    })
}

/// What the dataset looked like before this write (for fields an update keeps when not sent).
struct Before {
    id: String,
    package_type: Value,
    state: Value,
    private: Value,
    groups: Value,
    resources: Value,
}

fn differ(out: &mut Vec<String>, what: String, expected: &Value, got: &Value) {
    if expected != got {
        out.push(format!("{what}: sent {expected}, got {got}"));
    }
}

/// Compares what `package_show` returned with what was sent; returns every difference.
fn compare(sent: &Map<String, Value>, shown: &Value, org_id: &str, before: Option<&Before>) -> Vec<String> {
    let mut differences = Vec::new();
    let Some(shown) = shown.as_object() else {
        return vec![format!("package_show gave no dict: {shown}")];
    };
    let got = |key: &str| shown.get(key).cloned().unwrap_or(Value::String("<absent>".into()));
    let name = sent.get("name").cloned().unwrap_or(Value::Null);

    for (key, value) in sent {
        let key = key.as_str();
        if COMPUTED.contains(&key) {
            continue;
        }
        match key {
            "id" => {
                let expected = before.map_or(value.clone(), |b| Value::String(b.id.clone()));
                differ(&mut differences, "id".into(), &expected, &got("id"));
            }
            "title" => {
                let expected = match as_text(value) {
                    Value::String(t) if !t.trim().is_empty() => Value::String(t.trim().to_owned()),
                    _ => name.clone(),
                };
                differ(&mut differences, "title".into(), &expected, &got("title"));
            }
            "author_email" | "maintainer_email" => {
                let expected = match as_text(value) {
                    Value::String(e) if !e.trim().is_empty() => Value::String(e.trim().to_owned()),
                    other => other,
                };
                differ(&mut differences, key.into(), &expected, &got(key));
            }
            _ if CORE_TEXT.contains(&key) => differ(&mut differences, key.into(), &as_text(value), &got(key)),
            "type" => {
                let expected = match value.as_str().filter(|t| !t.is_empty()) {
                    Some(t) => Value::String(t.into()),
                    None => before.map_or("dataset".into(), |b| b.package_type.clone()),
                };
                differ(&mut differences, "type".into(), &expected, &got("type"));
            }
            "state" => {
                let expected = match value.as_str().filter(|s| !s.is_empty()) {
                    Some(s) => Value::String(s.into()),
                    None => before.map_or("active".into(), |b| b.state.clone()),
                };
                differ(&mut differences, "state".into(), &expected, &got("state"));
            }
            "private" => {
                let expected = parse_bool(value)
                    .map(Value::Bool)
                    .unwrap_or_else(|| before.map_or(Value::Bool(false), |b| b.private.clone()));
                differ(&mut differences, "private".into(), &expected, &got("private"));
            }
            "owner_org" => {
                differ(&mut differences, "owner_org".into(), &Value::String(org_id.into()), &got("owner_org"))
            }
            "metadata_modified" => {
                if let Some(expected) = value.as_str().and_then(ckan_timestamp) {
                    differ(
                        &mut differences,
                        "metadata_modified".into(),
                        &Value::String(expected),
                        &got("metadata_modified"),
                    );
                }
            }
            "tags" => {
                let mut expected: Vec<(String, Value)> = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| {
                        let name =
                            t.get("name").and_then(Value::as_str).unwrap_or_default().trim().to_owned();
                        let vocabulary =
                            t.get("vocabulary_id").cloned().filter(|v| v != "").unwrap_or(Value::Null);
                        (name, vocabulary)
                    })
                    .collect();
                expected.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.to_string().cmp(&b.1.to_string())));
                expected.dedup();
                let got_tags: Vec<(String, Value)> = shown["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| (t["name"].as_str().unwrap_or_default().to_owned(), t["vocabulary_id"].clone()))
                    .collect();
                if expected != got_tags {
                    differences.push(format!("tags: sent {expected:?}, got {got_tags:?}"));
                }
                if shown["num_tags"] != json!(got_tags.len()) {
                    differences.push(format!("num_tags {} for {} tags", shown["num_tags"], got_tags.len()));
                }
            }
            "extras" => {
                let mut expected: BTreeMap<String, Value> = BTreeMap::new();
                for extra in value.as_array().into_iter().flatten() {
                    if extra.get("deleted").and_then(Value::as_bool) == Some(true) {
                        continue;
                    }
                    let key = as_text(&extra["key"]).as_str().unwrap_or_default().to_owned();
                    let value = match extra.get("value") {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                    };
                    expected.insert(key, Value::String(value));
                }
                // Shown in CKAN 2.12's order: shorter keys first, then byte order.
                let mut expected: Vec<(String, Value)> = expected.into_iter().collect();
                expected.sort_by(|(a, _), (b, _)| (a.len(), a.as_bytes()).cmp(&(b.len(), b.as_bytes())));
                let expected: Vec<Value> =
                    expected.into_iter().map(|(key, value)| json!({"key": key, "value": value})).collect();
                differ(&mut differences, "extras".into(), &Value::Array(expected), &got("extras"));
            }
            "groups" => {
                let names = |list: &Value| -> BTreeSet<String> {
                    list.as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|g| g["name"].as_str().map(str::to_owned))
                        .collect()
                };
                let expected =
                    if value.is_null() { before.map(|b| names(&b.groups)) } else { Some(names(value)) };
                if let Some(expected) = expected
                    && expected != names(&shown["groups"])
                {
                    differences.push(format!("groups: sent {expected:?}, got {:?}", names(&shown["groups"])));
                }
            }
            "resources" => {
                let empty = Vec::new();
                let sent_resources = value.as_array().unwrap_or(&empty);
                let got_resources = shown["resources"].as_array().unwrap_or(&empty);
                if sent_resources.len() != got_resources.len() {
                    differences.push(format!(
                        "resources: sent {}, got {}",
                        sent_resources.len(),
                        got_resources.len()
                    ));
                    continue;
                }
                if shown["num_resources"] != json!(got_resources.len()) {
                    differences.push(format!("num_resources {}", shown["num_resources"]));
                }
                let previous = before.map(|b| &b.resources);
                for (index, (r_sent, r_got)) in sent_resources.iter().zip(got_resources).enumerate() {
                    let (Some(r_sent), Some(r_got)) = (r_sent.as_object(), r_got.as_object()) else {
                        differences.push(format!("resources[{index}] is not a dict"));
                        continue;
                    };
                    differences.extend(
                        compare_resource(r_sent, r_got, previous.is_some())
                            .into_iter()
                            .map(|d| format!("resources[{index}].{d}")),
                    );
                    if r_got.get("position") != Some(&json!(index)) {
                        differences.push(format!("resources[{index}].position: {:?}", r_got.get("position")));
                    }
                }
            }
            // Every other key is free-form: kept as sent, whatever its type.
            _ => differ(&mut differences, format!("free-form {key}"), value, &got(key)),
        }
    }
    if sent.get("name") != shown.get("name") {
        differences.push(format!("name: sent {:?}, got {:?}", sent.get("name"), shown.get("name")));
    }
    // What was not sent: core text fields are empty (an update replaces them), and nothing
    // else appears (no stale key of an earlier version, no key the server made up).
    for key in CORE_TEXT {
        if !sent.contains_key(*key) {
            let expected = if *key == "title" { name.clone() } else { Value::Null };
            differ(&mut differences, format!("{key} (not sent)"), &expected, &got(key));
        }
    }
    for key in shown.keys() {
        if !sent.contains_key(key) && !DATASET_KEYS.contains(&key.as_str()) {
            differences.push(format!("{key}: not sent, got {}", shown[key]));
        }
    }
    differences
}

fn compare_resource(sent: &Map<String, Value>, shown: &Map<String, Value>, updated: bool) -> Vec<String> {
    let mut differences = Vec::new();
    let got = |key: &str| shown.get(key).cloned().unwrap_or(Value::String("<absent>".into()));
    for (key, value) in sent {
        let key = key.as_str();
        // `upload` and `clear_upload` are instructions of the write (CKAN's `ResourceUpload`
        // pops them), never stored.
        if RESOURCE_COMPUTED.contains(&key) || matches!(key, "upload" | "clear_upload") {
            continue;
        }
        let expected = match key {
            "url" => {
                let url = match as_text(value) {
                    Value::String(url) => url.trim().to_owned(),
                    _ => String::new(),
                };
                let upload = sent.get("url_type").and_then(Value::as_str) == Some("upload");
                // CKAN shows a URL without a scheme with `http://` in front (ckan-api.md §3.2).
                Value::String(if url.is_empty() || url.contains("://") || upload {
                    url
                } else {
                    format!("http://{url}")
                })
            }
            "format" => {
                let sent_format = as_text(value);
                let sent_format = sent_format.as_str().unwrap_or_default().trim();
                let got_format = got("format");
                let got_format = got_format.as_str().unwrap_or("<not a string>");
                // Normalised (`csv` → `CSV`), or guessed from the URL when empty.
                if !sent_format.is_empty() && !sent_format.eq_ignore_ascii_case(got_format) {
                    differences.push(format!("format: sent {sent_format:?}, got {got_format:?}"));
                }
                continue;
            }
            "size" => match value {
                Value::String(s) if s.trim().is_empty() => Value::Null,
                Value::String(s) => s.trim().parse::<i64>().map_or(value.clone(), Value::from),
                other => other.clone(),
            },
            "id" => match as_text(value) {
                Value::String(id) if !id.is_empty() => Value::String(id),
                _ => continue,
            },
            // Set by the server when the resource changes in an update (as CKAN does).
            "metadata_modified" if updated => continue,
            _ if RESOURCE_TEXT.contains(&key) => match value {
                Value::Number(_) | Value::Bool(_) => as_text(value),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        if expected != got(key) {
            differences.push(format!("{key}: sent {expected}, got {}", got(key)));
        }
    }
    for key in shown.keys() {
        if !sent.contains_key(key) && !RESOURCE_KEYS.contains(&key.as_str()) {
            differences.push(format!("{key}: not sent, got {}", shown[key]));
        }
    }
    differences
}

fn show(server: &TestServer, token: &str, reference: &str) -> Option<Value> {
    let reply = server.action("package_show", json!({"id": reference}), Some(token));
    (reply.status == 200).then(|| reply.result())
}

#[test]
fn every_real_portal_record_round_trips_through_package_create_and_show() {
    let records = all_records();
    let distinct: BTreeSet<(String, String)> = records
        .iter()
        .map(|r| {
            let key =
                r.dict.get("id").or_else(|| r.dict.get("name")).and_then(Value::as_str).unwrap_or_default();
            (r.portal.clone(), key.to_owned())
        })
        .collect();
    assert!(
        distinct.len() >= PROFILE_DISTINCT_RECORDS,
        "PROFILE.md counts {PROFILE_DISTINCT_RECORDS} distinct package dicts, found {}",
        distinct.len()
    );

    let server =
        TestServer::start_with(common::Options { max_body_bytes: 8 * 1024 * 1024, ..Default::default() });
    let (_, token) = server.user_with_token("harvester", true);
    let mut site = Site::default();
    let mut skipped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cleanups: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let (mut created, mut updated) = (0, 0);

    for record in &records {
        let cleaned = match clean(&server, &mut site, record) {
            Ok(cleaned) => cleaned,
            Err(reason) => {
                skipped.entry(reason).or_default().push(record.label());
                continue;
            }
        };
        for note in &cleaned.notes {
            *cleanups.entry(note).or_default() += 1;
        }
        let mut body = cleaned.body;
        // A record repeating an earlier one (by id, then name) updates it, as `ckanapi load` does.
        let previous = ["id", "name"]
            .iter()
            .filter_map(|key| body.get(*key).and_then(Value::as_str).map(str::to_owned))
            .find_map(|reference| show(&server, &token, &reference));
        let before = previous.as_ref().map(|p| Before {
            id: p["id"].as_str().unwrap_or_default().to_owned(),
            package_type: p["type"].clone(),
            state: p["state"].clone(),
            private: p["private"].clone(),
            groups: p["groups"].clone(),
            resources: p["resources"].clone(),
        });
        let action = match &before {
            Some(before) => {
                body.insert("id".into(), before.id.clone().into());
                "package_update"
            }
            None => "package_create",
        };
        let reply = server.action(action, Value::Object(body.clone()), Some(&token));
        if reply.status != 200 {
            failures.push(format!("{}: {action} answered {}: {}", record.label(), reply.status, reply.text));
            continue;
        }
        let written = reply.result();
        if before.is_some() {
            updated += 1;
        } else {
            created += 1;
        }
        let id = written["id"].as_str().unwrap_or_default().to_owned();
        let Some(shown) = show(&server, &token, &id) else {
            failures.push(format!("{}: package_show {id} failed after {action}", record.label()));
            continue;
        };
        if shown != written {
            failures.push(format!("{}: {action} result differs from package_show", record.label()));
        }
        let differences = compare(&body, &shown, &cleaned.org_id, before.as_ref());
        if !differences.is_empty() {
            failures.push(format!("{}:\n    {}", record.label(), differences.join("\n    ")));
        }
    }

    let skipped_count: usize = skipped.values().map(Vec::len).sum();
    eprintln!(
        "portal records: {} package dicts found in {} files ({} distinct by portal + id/name); \
         loaded {} ({created} created, {updated} updated as repeats of an earlier record); skipped {skipped_count}",
        records.len(),
        portal_files().len(),
        distinct.len(),
        created + updated,
    );
    for (reason, labels) in &skipped {
        eprintln!("  skipped × {}: {reason}: {}", labels.len(), labels.join(", "));
    }
    for (note, count) in &cleanups {
        eprintln!("  clean-up × {count}: {note}");
    }
    eprintln!(
        "  made first: {} organizations, {} groups, {} vocabularies",
        site.org_names.len(),
        site.groups.len(),
        site.vocabularies.len()
    );
    assert!(failures.is_empty(), "{} record(s) not intact:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(created + updated + skipped_count, records.len());
}

/// A change made to a `package_show` result.
type Mutation = Box<dyn Fn(&mut Value)>;

/// The comparison itself: a field lost or altered on the way back must be reported.
#[test]
fn the_comparison_notices_lost_and_altered_fields() {
    let server = TestServer::start();
    let (_, token) = server.user_with_token("harvester", true);
    let mut site = Site::default();
    let records = all_records();
    let pick = |file: &str| records.iter().find(|r| r.file == file).unwrap_or_else(|| panic!("{file}"));
    for record in [pick("opendata.swiss-package_show-1.json"), pick("data.gov.uk-package_show-3.json")] {
        let cleaned = clean(&server, &mut site, record).unwrap();
        let shown =
            server.action("package_create", Value::Object(cleaned.body.clone()), Some(&token)).result();
        assert_eq!(compare(&cleaned.body, &shown, &cleaned.org_id, None), Vec::<String>::new());

        let free_form = cleaned
            .body
            .keys()
            .find(|k| {
                !COMPUTED.contains(&k.as_str())
                    && !CORE_TEXT.contains(&k.as_str())
                    && !shown[k.as_str()].is_null()
            })
            .filter(|k| {
                ![
                    "id",
                    "name",
                    "type",
                    "state",
                    "private",
                    "owner_org",
                    "metadata_modified",
                    "tags",
                    "extras",
                    "groups",
                    "resources",
                ]
                .contains(&k.as_str())
            })
            .cloned();
        let mut mutations: Vec<(String, Mutation)> = vec![
            ("notes altered".into(), Box::new(|s: &mut Value| s["notes"] = json!("altered"))),
            ("title altered".into(), Box::new(|s: &mut Value| s["title"] = json!("altered"))),
            ("a tag lost".into(), Box::new(|s: &mut Value| drop(s["tags"].as_array_mut().unwrap().pop()))),
            ("a group lost".into(), Box::new(|s: &mut Value| s["groups"] = json!([]))),
            (
                "a resource lost".into(),
                Box::new(|s: &mut Value| drop(s["resources"].as_array_mut().unwrap().pop())),
            ),
            (
                "resource url altered".into(),
                Box::new(|s: &mut Value| s["resources"][0]["url"] = json!("http://x.org/")),
            ),
            ("a key added".into(), Box::new(|s: &mut Value| s["stale_key"] = json!("x"))),
            (
                "a resource key added".into(),
                Box::new(|s: &mut Value| s["resources"][0]["stale_key"] = json!("x")),
            ),
            (
                "a resource description altered".into(),
                Box::new(|s: &mut Value| s["resources"][0]["description"] = json!("x")),
            ),
        ];
        if let Some(key) = free_form {
            let k = key.clone();
            mutations.push((
                format!("free-form {key} lost"),
                Box::new(move |s: &mut Value| drop(s.as_object_mut().unwrap().remove(&k))),
            ));
            mutations.push((
                format!("free-form {key} altered"),
                Box::new(move |s: &mut Value| s[key.as_str()] = json!({"x": 1})),
            ));
        }
        let resource_key = shown["resources"][0]
            .as_object()
            .unwrap()
            .keys()
            .find(|k| {
                cleaned.body["resources"][0].get(k.as_str()).is_some()
                    && !["id", "url", "format", "package_id", "position", "metadata_modified"]
                        .contains(&k.as_str())
            })
            .cloned()
            .unwrap();
        let k = resource_key.clone();
        mutations.push((
            format!("resource key {k} lost"),
            Box::new(move |s: &mut Value| drop(s["resources"][0].as_object_mut().unwrap().remove(&k))),
        ));
        mutations.push((
            format!("resource key {resource_key} altered"),
            Box::new(move |s: &mut Value| s["resources"][0][resource_key.as_str()] = json!([1])),
        ));
        if shown["extras"].as_array().is_some_and(|e| !e.is_empty()) {
            mutations.push((
                "an extra altered".into(),
                Box::new(|s: &mut Value| s["extras"][0]["value"] = json!("altered")),
            ));
        }
        let mut noticed = 0;
        for (what, mutate) in &mutations {
            let mut altered = shown.clone();
            mutate(&mut altered);
            if altered == shown {
                continue; // nothing to lose (no groups, say)
            }
            assert!(
                !compare(&cleaned.body, &altered, &cleaned.org_id, None).is_empty(),
                "{}: {what} went unnoticed",
                record.label()
            );
            noticed += 1;
        }
        assert!(noticed >= 12, "{}: only {noticed} mutations tried", record.label());
        eprintln!("{}: {noticed} mutations noticed", record.label());
    }
}
