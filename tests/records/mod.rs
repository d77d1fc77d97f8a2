//! The real portal records in `tests/fixtures/portals`, loaded into a server the way
//! `tests/portal_records.rs` loads them (it uses this module's clean-up too): the harvester's
//! minimal clean-up, `package_create` over HTTP as a sysadmin, and `package_update` for a
//! record repeating an earlier one's id or name. [`load`] returns the datasets as `package_show`
//! gives them afterwards, so tests can compute what a query over them should find.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::common::TestServer;

pub(crate) const PORTALS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/portals");

/// Core text fields of CKAN's default schema: strings (or null) on output.
pub(crate) const CORE_TEXT: &[&str] = &[
    "title",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "notes",
    "url",
    "version",
    "license_id",
];

/// Languages preferred when a translated field must become one string.
pub(crate) const LANGUAGES: &[&str] = &["en", "de", "fr", "it"];

/// One package dict found in a file.
pub(crate) struct Record {
    pub(crate) file: String,
    /// Where in the file: `[3]`, `.result.results[0]`, `line 7`.
    pub(crate) path: String,
    pub(crate) portal: String,
    pub(crate) dict: Map<String, Value>,
}

impl Record {
    pub(crate) fn label(&self) -> String {
        let name = self.dict.get("name").and_then(Value::as_str).unwrap_or("(no name)");
        format!("{}{} {name}", self.file, self.path)
    }
}

/// The CKAN-shaped files: JSON documents and JSON-lines dumps. The `.js` original beside its
/// extracted `.json`, the DCAT exports in `dcat/` and the Markdown notes are not package dicts.
pub(crate) fn portal_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(PORTALS)
        .unwrap_or_else(|e| panic!("{PORTALS}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.is_file()
                && matches!(path.extension().and_then(|e| e.to_str()), Some("json" | "jsonl" | "jl"))
        })
        .collect();
    files.sort();
    files
}

/// A file's documents: one JSON document, else one per line.
pub(crate) fn documents(path: &Path) -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if let Ok(document) = serde_json::from_str(&text) {
        return vec![(String::new(), document)];
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let document = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{} line {}: {e}", path.display(), index + 1));
            (format!(" line {}", index + 1), document)
        })
        .collect()
}

/// Collects package dicts: objects with a `resources` list and an `id` or `name`, wherever they
/// sit (bare, in an envelope's `result`, in `results` of a search page, in a list).
pub(crate) fn find_packages(value: &Value, path: String, out: &mut Vec<(String, Map<String, Value>)>) {
    match value {
        Value::Object(map) => {
            let is_package = map.get("resources").is_some_and(Value::is_array)
                && (map.get("name").is_some_and(Value::is_string)
                    || map.get("id").is_some_and(Value::is_string));
            if is_package {
                out.push((path, map.clone()));
                return;
            }
            for (key, child) in map {
                find_packages(child, format!("{path}.{key}"), out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                find_packages(child, format!("{path}[{index}]"), out);
            }
        }
        _ => {}
    }
}

pub(crate) fn all_records() -> Vec<Record> {
    let mut records = Vec::new();
    for file in portal_files() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let portal = name.split('-').next().unwrap_or_default().to_owned();
        for (where_, document) in documents(&file) {
            let mut found = Vec::new();
            find_packages(&document, where_, &mut found);
            for (path, dict) in found {
                records.push(Record { file: name.clone(), path, portal: portal.clone(), dict });
            }
        }
    }
    records
}

pub(crate) fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

pub(crate) fn is_valid_name(name: &str) -> bool {
    (2..=100).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// CKAN's tag rule: 2–100 characters of letters, digits, space, `-`, `_`, `.`.
pub(crate) fn is_valid_tag(name: &str) -> bool {
    (2..=100).contains(&name.chars().count())
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
}

/// A tag with the characters CKAN refuses replaced by `-`, cut to 100 characters.
pub(crate) fn munge_tag(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') { c } else { '-' })
        .take(100)
        .collect()
}

/// A harvester's slug: lower case, characters CKAN refuses dropped.
pub(crate) fn slug(text: &str) -> String {
    let slug: String = text
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .take(100)
        .collect();
    slug.trim_matches('-').to_owned()
}

/// One language of a translated field: the first non-empty of en, de, fr, it, then any.
pub(crate) fn one_language(translations: &Map<String, Value>) -> Option<String> {
    let non_empty = |v: &Value| v.as_str().filter(|s| !s.trim().is_empty()).map(str::to_owned);
    LANGUAGES
        .iter()
        .find_map(|lang| translations.get(*lang).and_then(non_empty))
        .or_else(|| translations.values().find_map(non_empty))
}

/// Organizations and groups made for the records, by every reference a record uses.
#[derive(Default)]
pub(crate) struct Site {
    /// Remote reference (owner_org, organization id or name) → local organization (id, name).
    pub(crate) orgs: HashMap<String, (String, String)>,
    pub(crate) org_names: BTreeSet<String>,
    pub(crate) groups: BTreeSet<String>,
    pub(crate) vocabularies: BTreeSet<String>,
}

/// A record made ready to send, and what the clean-up did.
pub(crate) struct Cleaned {
    pub(crate) body: Map<String, Value>,
    pub(crate) org_id: String,
    pub(crate) notes: Vec<&'static str>,
}

/// The clean-up a harvester does before `package_create`:
/// * an `id` is kept when it is a UUID, else dropped;
/// * a missing `name` becomes the record's UUID `id` (Canada's create payloads), an invalid one
///   its slug (the `$` staging record); without either the record is skipped;
/// * a core text field sent as a language dict (opendata.swiss `title`, `author`) is kept as
///   `<field>_translated` and one language becomes the field;
/// * plain-string tags become `{name}` dicts; characters CKAN refuses in a tag (`/`) become `-`;
/// * an `extras` dict becomes a `{key, value}` list;
/// * groups are referred to by name, and created first;
/// * the owner organization is created first (from `organization`, `owner_org`, or a default
///   organization of the portal when the record has neither) and `owner_org` names it;
/// * tag vocabularies a record refers to are created first.
pub(crate) fn clean(server: &TestServer, site: &mut Site, record: &Record) -> Result<Cleaned, String> {
    let mut body = record.dict.clone();
    let mut notes = Vec::new();

    if let Some(id) = body.get("id").and_then(Value::as_str).map(str::to_owned)
        && !is_uuid(&id)
    {
        body.remove("id");
        notes.push("id dropped (not a UUID)");
    }
    match body.get("name").and_then(Value::as_str).map(str::to_owned) {
        Some(name) if is_valid_name(&name) => {}
        Some(name) => {
            let fixed = slug(&name);
            if !is_valid_name(&fixed) {
                return Err(format!("name {name:?} cannot be made valid"));
            }
            body.insert("name".into(), fixed.into());
            notes.push("invalid name made valid");
        }
        None => match body.get("id").and_then(Value::as_str).map(str::to_lowercase) {
            Some(id) => {
                body.insert("name".into(), id.into());
                notes.push("missing name set to the id");
            }
            None => return Err("no name and no UUID id".into()),
        },
    }
    for field in CORE_TEXT {
        if let Some(Value::Object(translations)) = body.get(*field).cloned() {
            let translated = format!("{field}_translated");
            if body.contains_key(&translated) {
                return Err(format!("{field} is a dict and {translated} exists"));
            }
            body.insert((*field).into(), one_language(&translations).map_or(Value::Null, Value::String));
            body.insert(translated, Value::Object(translations));
            notes.push("translated core field split into <field> and <field>_translated");
        }
    }
    if let Some(Value::Array(tags)) = body.get("tags").cloned()
        && tags.iter().any(Value::is_string)
    {
        let tags = tags.into_iter().map(|t| if t.is_string() { json!({"name": t}) } else { t }).collect();
        body.insert("tags".into(), Value::Array(tags));
        notes.push("string tags turned into dicts");
    }
    if let Some(Value::Array(tags)) = body.get("tags").cloned() {
        let mut fixed = Vec::new();
        for mut tag in tags {
            if let Some(name) = tag.get("name").and_then(Value::as_str).map(str::trim)
                && !is_valid_tag(name)
            {
                let munged = munge_tag(name);
                if munged.chars().count() < 2 {
                    notes.push("invalid tag dropped");
                    continue;
                }
                tag["name"] = munged.into();
                notes.push("invalid tag characters replaced by '-'");
            }
            fixed.push(tag);
        }
        body.insert("tags".into(), Value::Array(fixed));
    }
    if let Some(Value::Object(extras)) = body.get("extras").cloned() {
        let list = extras.into_iter().map(|(key, value)| json!({"key": key, "value": value})).collect();
        body.insert("extras".into(), Value::Array(list));
        notes.push("extras dict turned into a list");
    }

    // Groups, by name, made first.
    if let Some(Value::Array(groups)) = body.get("groups").cloned() {
        let mut names = Vec::new();
        for group in groups {
            let name = match &group {
                Value::String(name) => name.clone(),
                Value::Object(g) => g.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
                _ => String::new(),
            };
            if name.is_empty() {
                return Err(format!("group without a name: {group}"));
            }
            if site.org_names.contains(&name) {
                return Err(format!("group {name} has the name of an organization"));
            }
            if site.groups.insert(name.clone()) {
                server.group(&name, &[]);
            }
            names.push(json!({"name": name}));
        }
        body.insert("groups".into(), Value::Array(names));
    }

    // Vocabularies the tags refer to.
    for tag in body.get("tags").and_then(Value::as_array).cloned().unwrap_or_default() {
        if let Some(vocabulary) = tag.get("vocabulary_id").and_then(Value::as_str).filter(|v| !v.is_empty())
            && site.vocabularies.insert(vocabulary.to_owned())
        {
            let vocabulary = datahavn_domain::catalog::Vocabulary {
                id: vocabulary.to_owned(),
                name: format!("{}-vocabulary-{}", record.portal, site.vocabularies.len()),
            };
            server.services.store.write(|tx| tx.insert_vocabulary(&vocabulary)).expect("vocabulary");
        }
    }

    // The owner organization.
    let owner = body.get("owner_org").and_then(Value::as_str).filter(|o| !o.is_empty()).map(str::to_owned);
    let (org_id, org_name) = match body.get("organization") {
        Some(Value::Object(org)) => (
            org.get("id").and_then(Value::as_str).map(str::to_owned),
            org.get("name").and_then(Value::as_str).map(str::to_owned),
        ),
        Some(Value::String(name)) => (None, Some(name.clone())),
        _ => (None, None),
    };
    let references: Vec<String> = [owner.clone(), org_id, org_name.clone()].into_iter().flatten().collect();
    let local = match references.iter().find_map(|r| site.orgs.get(r)) {
        Some(local) => local.clone(),
        None => {
            let wanted = match (&org_name, &owner) {
                (Some(name), _) => name.clone(),
                (None, Some(owner)) if !is_uuid(owner) => owner.clone(),
                _ => format!("{}-publisher", slug(&record.portal.replace('.', "-"))),
            };
            let name = if is_valid_name(&wanted) { wanted } else { slug(&wanted) };
            match site.orgs.get(&name) {
                Some(local) => local.clone(),
                None => {
                    if site.groups.contains(&name) {
                        return Err(format!("organization {name} has the name of a group"));
                    }
                    let id = server.org(&name, &[]);
                    site.org_names.insert(name.clone());
                    site.orgs.insert(name.clone(), (id.clone(), name.clone()));
                    (id, name)
                }
            }
        }
    };
    for reference in references {
        site.orgs.insert(reference, local.clone());
    }
    if owner.as_deref() != Some(local.0.as_str()) {
        body.insert("owner_org".into(), local.0.clone().into());
    }
    Ok(Cleaned { body, org_id: local.0, notes })
}

/// A server that takes the largest records (some are several MB).
pub fn server() -> TestServer {
    TestServer::start_with(crate::common::Options { max_body_bytes: 8 * 1024 * 1024, ..Default::default() })
}

/// Loads every record as the sysadmin whose token is given; returns the loaded datasets as
/// `package_show` gives them to that sysadmin, in the order they were first created. Records
/// the clean-up cannot fix are skipped, as in `tests/portal_records.rs`; a record the server
/// refuses is reported on stderr and skipped (the loader is not what these tests check).
pub fn load(server: &TestServer, token: &str) -> Vec<Value> {
    let mut site = Site::default();
    let mut ids: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    let show = |reference: &str| -> Option<Value> {
        let reply = server.action("package_show", json!({"id": reference}), Some(token));
        (reply.status == 200).then(|| reply.result())
    };
    for record in all_records() {
        let Ok(cleaned) = clean(server, &mut site, &record) else { continue };
        let mut body = cleaned.body;
        let previous = ["id", "name"]
            .iter()
            .filter_map(|key| body.get(*key).and_then(Value::as_str).map(str::to_owned))
            .find_map(|reference| show(&reference));
        let action = match &previous {
            Some(previous) => {
                body.insert("id".into(), previous["id"].clone());
                "package_update"
            }
            None => "package_create",
        };
        let reply = server.action(action, Value::Object(body), Some(token));
        if reply.status != 200 {
            eprintln!(
                "records: {} not loaded: {action} answered {}: {}",
                record.label(),
                reply.status,
                reply.text
            );
            continue;
        }
        let id = reply.result()["id"].as_str().expect("id").to_owned();
        if seen.insert(id.clone()) {
            ids.push(id);
        }
    }
    ids.iter().map(|id| show(id).expect("a loaded dataset shows")).collect()
}
