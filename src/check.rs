//! `datahavn check`: the database against the search index, the file store and the DataStore.
//!
//! The database is the truth; the rest is derived from it or referenced by it. Each difference
//! is listed with the ids it concerns (this is an operator's command: private datasets are
//! included).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use datahavn_storage::{FileStore, Store};
use serde_json::{Value, json};

/// How many ids of one kind the text report lists (the JSON report lists them all).
const SHOWN: usize = 20;
const PAGE: i64 = 1000;

/// One dataset's figures, from the database.
struct Dataset {
    name: String,
    modified_micros: i64,
    deleted: bool,
    /// Resources of the dataset marked `datastore_active`, when neither is deleted.
    datastore_active: Vec<String>,
}

/// The differences found, by area; empty lists mean consistent.
pub struct Report {
    pub json: Value,
    pub consistent: bool,
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn datasets(store: &Store) -> Result<BTreeMap<String, Dataset>, String> {
    let mut out = BTreeMap::new();
    let mut after = String::new();
    loop {
        let page = store.read(|tx| tx.packages_for_check(&after, PAGE)).map_err(|e| e.to_string())?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for package in page {
            let deleted = package.state == "deleted";
            let document: Value = serde_json::from_str(&package.document).unwrap_or(Value::Null);
            let datastore_active = if deleted {
                Vec::new()
            } else {
                document["resources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|r| r["state"].as_str() != Some("deleted") && truthy(&r["datastore_active"]))
                    .filter_map(|r| r["id"].as_str().map(str::to_owned))
                    .collect()
            };
            out.insert(
                package.id,
                Dataset {
                    name: package.name,
                    modified_micros: package.metadata_modified.naive().and_utc().timestamp_micros(),
                    deleted,
                    datastore_active,
                },
            );
        }
    }
    Ok(out)
}

fn micros_text(micros: Option<i64>) -> Value {
    micros
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map_or(Value::Null, |t| Value::String(t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string()))
}

/// The search index in `dir` against the datasets.
fn search_index(store: &Store, dir: &Path, datasets: &BTreeMap<String, Dataset>) -> Result<Value, String> {
    let (database_id, newest) = store
        .read(|tx| Ok::<_, datahavn_storage::StorageError>((tx.database_id()?, tx.last_change_seq()?)))
        .map_err(|e| e.to_string())?;
    if !dir.join("meta.json").exists() {
        return Ok(json!({
            "dir": dir.display().to_string(),
            "problems": [format!("there is no search index in {} (a server builds it when it starts)", dir.display())],
        }));
    }
    let snapshot = match datahavn_search::snapshot(dir) {
        Ok(snapshot) => snapshot,
        Err(error) => {
            return Ok(json!({
                "dir": dir.display().to_string(),
                "problems": [format!("the search index cannot be read: {error}")],
            }));
        }
    };
    let mut problems = Vec::new();
    if snapshot.database.as_deref() != Some(database_id.as_str()) {
        problems.push(
            "the search index follows another database (a server rebuilds it when it starts)".to_owned(),
        );
    }
    let position = snapshot.position.unwrap_or(0);
    // Datasets changed after the index's last commit are not differences: a server applies
    // those changes when it starts (or within a second while it runs).
    let mut pending = BTreeSet::new();
    let mut after = position;
    loop {
        let changes = store.read(|tx| tx.changes_after(after, PAGE)).map_err(|e| e.to_string())?;
        let Some(&(last, _)) = changes.last() else { break };
        pending.extend(changes.into_iter().map(|(_, id)| id));
        after = last;
    }
    let mut indexed: BTreeMap<String, Option<i64>> = BTreeMap::new();
    let mut duplicated = Vec::new();
    for (id, modified) in snapshot.entries {
        if indexed.insert(id.clone(), modified).is_some() {
            duplicated.push(id);
        }
    }
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    for (id, dataset) in datasets {
        if pending.contains(id) {
            continue;
        }
        match indexed.get(id) {
            None => missing.push(json!({"id": id, "name": dataset.name})),
            Some(modified) if *modified != Some(dataset.modified_micros) => stale.push(json!({
                "id": id,
                "name": dataset.name,
                "database_metadata_modified": micros_text(Some(dataset.modified_micros)),
                "index_metadata_modified": micros_text(*modified),
            })),
            Some(_) => {}
        }
    }
    let orphans: Vec<Value> = indexed
        .keys()
        .filter(|id| !datasets.contains_key(*id) && !pending.contains(*id))
        .map(|id| Value::String(id.clone()))
        .collect();
    Ok(json!({
        "dir": dir.display().to_string(),
        "position": snapshot.position,
        "database_position": newest,
        "pending_datasets": pending.len(),
        "entries": indexed.len(),
        "problems": problems,
        "missing": missing,
        "stale": stale,
        "orphans": orphans,
        "duplicated": duplicated,
    }))
}

/// Uploaded files against the file store.
fn files(store: &Store, files: &FileStore) -> Result<Value, String> {
    let referenced = store.read(|tx| tx.resource_file_keys()).map_err(|e| e.to_string())?;
    let stored: BTreeSet<String> = files.resource_keys().map_err(|e| e.to_string())?.into_iter().collect();
    let keys: BTreeSet<&str> = referenced.iter().map(|(_, key)| key.as_str()).collect();
    let missing: Vec<Value> = referenced
        .iter()
        .filter(|(_, key)| !stored.contains(key))
        .map(|(resource_id, key)| json!({"resource_id": resource_id, "key": key}))
        .collect();
    let unreferenced: Vec<Value> = stored
        .iter()
        .filter(|key| !keys.contains(key.as_str()))
        .map(|key| Value::String(key.clone()))
        .collect();
    Ok(json!({
        "store": files.description(),
        "referenced": referenced.len(),
        "stored": stored.len(),
        "missing": missing,
        "unreferenced": unreferenced,
    }))
}

/// DataStore tables against resources.
fn datastore(
    store: &Store,
    tables: &datahavn_datastore::Datastore,
    datasets: &BTreeMap<String, Dataset>,
) -> Result<Value, String> {
    let with_table: BTreeSet<String> =
        tables.table_resource_ids().map_err(|e| format!("DataStore: {e}"))?.into_iter().collect();
    let resources: BTreeSet<String> =
        store.read(|tx| tx.resource_ids()).map_err(|e| e.to_string())?.into_iter().collect();
    let without_resource: Vec<Value> =
        with_table.iter().filter(|id| !resources.contains(*id)).map(|id| Value::String(id.clone())).collect();
    let mut without_table = Vec::new();
    for (package_id, dataset) in datasets.iter().filter(|(_, d)| !d.deleted) {
        for resource_id in dataset.datastore_active.iter().filter(|id| !with_table.contains(*id)) {
            without_table.push(json!({"resource_id": resource_id, "package_id": package_id}));
        }
    }
    Ok(json!({
        "tables": with_table.len(),
        "tables_without_resource": without_resource,
        "active_resources_without_table": without_table,
    }))
}

fn count(value: &Value) -> usize {
    value.as_array().map_or(0, Vec::len)
}

/// Runs every comparison.
pub fn check(
    store: &Store,
    index_dir: &Path,
    file_store: &FileStore,
    tables: Option<&datahavn_datastore::Datastore>,
) -> Result<Report, String> {
    let datasets = datasets(store)?;
    let search = search_index(store, index_dir, &datasets)?;
    let files = files(store, file_store)?;
    let datastore = match tables {
        Some(tables) => datastore(store, tables, &datasets)?,
        None => Value::Null,
    };
    let differences = ["problems", "missing", "stale", "orphans", "duplicated"]
        .iter()
        .map(|k| count(&search[k]))
        .sum::<usize>()
        + count(&files["missing"])
        + count(&files["unreferenced"])
        + count(&datastore["tables_without_resource"])
        + count(&datastore["active_resources_without_table"]);
    let consistent = differences == 0;
    let json = json!({
        "consistent": consistent,
        "differences": differences,
        "database": {"url": store.url().to_string(), "datasets": datasets.len()},
        "search_index": search,
        "files": files,
        "datastore": datastore,
    });
    Ok(Report { json, consistent })
}

/// Lists up to [`SHOWN`] items, each by `describe`.
fn list(out: &mut String, title: &str, items: &Value, describe: impl Fn(&Value) -> String) {
    let items = items.as_array().map(Vec::as_slice).unwrap_or_default();
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("  {title}: {}\n", items.len()));
    for item in items.iter().take(SHOWN) {
        out.push_str(&format!("    {}\n", describe(item)));
    }
    if items.len() > SHOWN {
        out.push_str(&format!("    … and {} more (--json lists them all)\n", items.len() - SHOWN));
    }
}

fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

impl Report {
    /// The readable report.
    pub fn text(&self) -> String {
        let j = &self.json;
        let mut out = String::new();
        out.push_str(&format!(
            "database {}: {} datasets\n",
            text(&j["database"]["url"]),
            j["database"]["datasets"]
        ));
        let s = &j["search_index"];
        out.push_str(&format!(
            "search index {}: {} entries, position {} of {} ({} datasets changed since, applied when a server runs)\n",
            text(&s["dir"]),
            s["entries"],
            s["position"],
            s["database_position"],
            s["pending_datasets"]
        ));
        list(&mut out, "problems", &s["problems"], text);
        list(&mut out, "datasets missing from the index", &s["missing"], |d| {
            format!("{} ({})", text(&d["name"]), text(&d["id"]))
        });
        list(&mut out, "datasets indexed with another metadata_modified", &s["stale"], |d| {
            format!(
                "{} ({}): database {}, index {}",
                text(&d["name"]),
                text(&d["id"]),
                text(&d["database_metadata_modified"]),
                text(&d["index_metadata_modified"])
            )
        });
        list(&mut out, "index entries with no dataset", &s["orphans"], text);
        list(&mut out, "datasets indexed more than once", &s["duplicated"], text);
        let f = &j["files"];
        out.push_str(&format!(
            "files {}: {} uploads referenced, {} objects stored\n",
            text(&f["store"]),
            f["referenced"],
            f["stored"]
        ));
        list(&mut out, "uploads whose file is missing", &f["missing"], |m| {
            format!("resource {}: {}", text(&m["resource_id"]), text(&m["key"]))
        });
        list(&mut out, "stored objects no resource references", &f["unreferenced"], text);
        let d = &j["datastore"];
        if !d.is_null() {
            out.push_str(&format!("DataStore: {} tables\n", d["tables"]));
            list(&mut out, "tables without a resource", &d["tables_without_resource"], text);
            list(
                &mut out,
                "resources marked datastore_active without a table",
                &d["active_resources_without_table"],
                |m| format!("resource {} of dataset {}", text(&m["resource_id"]), text(&m["package_id"])),
            );
        }
        if self.consistent {
            out.push_str("consistent\n");
        } else {
            out.push_str(&format!("{} difference(s)\n", j["differences"]));
        }
        out
    }
}
