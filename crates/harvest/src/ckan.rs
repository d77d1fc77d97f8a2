//! `ckan` sources: the remote Action API, as ckanext-harvest's CKAN harvester reads it.
//! `package_search` paged by `sort=id asc` with `rows`/`start` until an empty page; on a
//! re-run after an error-free job (and without `force_all`), only the datasets modified since
//! an hour before that job started (`metadata_modified:[... TO *]`), then the list of every
//! remote id (`fl=id`) to find the deleted ones.

use std::collections::{HashMap, HashSet};

use datahavn_actions::ActionError;
use datahavn_domain::Timestamp;
use datahavn_domain::harvest::{CkanConfig, job_status, munge_tag};
use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;
use serde_json::{Map, Value, json};

use crate::engine::{JobRun, describe};

/// Keys of a remote dataset the local one computes for itself.
const COMPUTED: &[&str] = &[
    "id",
    "metadata_created",
    "metadata_modified",
    "revision_id",
    "creator_user_id",
    "num_resources",
    "num_tags",
    "organization",
    "owner_org",
    "groups",
    "relationships_as_object",
    "relationships_as_subject",
    "tracking_summary",
    "isopen",
    "license_title",
    "license_url",
    "state",
];

/// Keys of a remote resource the local one computes for itself (ckanext-harvest drops
/// `url_type` and `revision_id`: an uploaded file is linked by its absolute URL).
const RESOURCE_COMPUTED: &[&str] =
    &["url_type", "revision_id", "package_id", "position", "tracking_summary", "datastore_active"];

/// Remote organizations and groups already resolved in this job: remote id → local id.
#[derive(Default)]
struct Resolved {
    orgs: HashMap<String, Option<String>>,
    groups: HashMap<String, Option<String>>,
    vocabularies: HashMap<String, Option<String>>,
}

pub(crate) fn harvest(run: &mut JobRun<'_>, config: &CkanConfig) {
    let base = run.source.url.trim().trim_end_matches('/').to_owned();
    let filters = filter_terms(config);
    let since = if run.common.force_all { None } else { last_good_start(run) };
    let mut resolved = Resolved::default();
    let mut localize = |run: &mut JobRun<'_>, remote: &Map<String, Value>, id: &str| {
        localize(run, config, &base, &mut resolved, remote, id)
    };
    let mut seen = HashSet::new();
    let mut import = |run: &mut JobRun<'_>, dataset: &Map<String, Value>, seen: &mut HashSet<String>| {
        let Some(id) = dataset.get("id").and_then(Value::as_str).map(str::to_owned) else {
            run.unreadable("A remote dataset without id".into());
            return;
        };
        if !seen.insert(id.clone()) {
            return;
        }
        if dataset.get("type").and_then(Value::as_str) == Some("harvest") {
            return;
        }
        run.import(&id, dataset, &mut localize);
    };
    let complete = match since {
        Some(since) => {
            let range = format!(
                "metadata_modified:[{}Z TO *]",
                (since.naive() - chrono::TimeDelta::hours(1)).format("%Y-%m-%dT%H:%M:%S%.6f")
            );
            let mut terms = filters.clone();
            terms.push(range);
            let mut changed = HashSet::new();
            let listed =
                list(run, &base, &terms, None, &mut |run, dataset| import(run, dataset, &mut changed));
            if listed && !run.stopped {
                let complete = list(run, &base, &filters, Some("id"), &mut |_, dataset| {
                    if let Some(id) = dataset.get("id").and_then(Value::as_str) {
                        seen.insert(id.to_owned());
                    }
                });
                if complete {
                    // Listed, and not modified since the last run: unchanged.
                    run.count_unchanged(seen.difference(&changed).count() as u64);
                }
                complete
            } else {
                false
            }
        }
        None => list(run, &base, &filters, None, &mut |run, dataset| import(run, dataset, &mut seen)),
    };
    if complete && !run.stopped {
        run.delete_missing(&seen);
    }
}

/// The `fq` terms of the source's organization and group filters.
fn filter_terms(config: &CkanConfig) -> Vec<String> {
    let mut terms = Vec::new();
    let any = |field: &str, names: &[String]| {
        names.iter().map(|n| format!("{field}:{n}")).collect::<Vec<_>>().join(" OR ")
    };
    let none = |field: &str, names: &[String]| {
        names.iter().map(|n| format!("-{field}:{n}")).collect::<Vec<_>>().join(" ")
    };
    if !config.organizations_filter_include.is_empty() {
        terms.push(any("organization", &config.organizations_filter_include));
    }
    if !config.organizations_filter_exclude.is_empty() {
        terms.push(none("organization", &config.organizations_filter_exclude));
    }
    if !config.groups_filter_include.is_empty() {
        terms.push(any("groups", &config.groups_filter_include));
    }
    if !config.groups_filter_exclude.is_empty() {
        terms.push(none("groups", &config.groups_filter_exclude));
    }
    terms
}

/// When the source's last error-free job started.
fn last_good_start(run: &JobRun<'_>) -> Option<Timestamp> {
    let source_id = run.source.id.clone();
    let job_id = run.job.id.clone();
    run.services
        .store
        .read(|tx| {
            for job in tx.harvest_jobs(Some(&source_id), Some(job_status::FINISHED))? {
                if job.id == job_id {
                    continue;
                }
                if job.stats.errored == 0 && tx.harvest_gather_errors(&job.id)?.is_empty() {
                    return Ok(job.gather_started);
                }
            }
            Ok::<_, ActionError>(None)
        })
        .unwrap_or(None)
}

/// Pages through `package_search` (sort `id asc`, `rows`/`start`) until an empty page, handing
/// each dataset to `each`. False when the listing stopped before its end (a remote error, a
/// page repeated, the page limit, the job stopped): then nothing may be deleted.
fn list(
    run: &mut JobRun<'_>,
    base: &str,
    terms: &[String],
    fields: Option<&str>,
    each: &mut dyn FnMut(&mut JobRun<'_>, &Map<String, Value>),
) -> bool {
    let rows = run.settings.page_size;
    let mut start = 0u64;
    let mut previous: Option<String> = None;
    let mut pages = 0u64;
    loop {
        if !run.go_on() {
            return false;
        }
        pages += 1;
        if pages > run.settings.max_pages {
            run.gather_error(format!("More than {} pages: stopped", run.settings.max_pages));
            return false;
        }
        let mut query =
            vec![("rows", rows.to_string()), ("start", start.to_string()), ("sort", "id asc".to_owned())];
        if !terms.is_empty() {
            query.push(("fq", terms.join(" ")));
        }
        if let Some(fields) = fields {
            query.push(("fl", fields.to_owned()));
        }
        let result = match run.client.action(base, "package_search", &query) {
            Ok(result) => result,
            Err(e) => {
                run.gather_error(format!("Unable to get content for URL {base}: {e}"));
                return false;
            }
        };
        let Some(results) = result.get("results").and_then(Value::as_array) else {
            run.gather_error(format!("{base}: package_search answered without results"));
            return false;
        };
        if fields.is_none()
            && start == 0
            && let Some(count) = result.get("count").and_then(Value::as_u64)
        {
            run.set_total(count);
        }
        if results.is_empty() {
            return true;
        }
        let text = Value::Array(results.clone()).to_string();
        if previous.as_deref() == Some(text.as_str()) {
            run.gather_error(format!("{base}: the same page came twice; paging doesn't seem to work"));
            return false;
        }
        for dataset in results {
            match dataset.as_object() {
                Some(dataset) => each(run, dataset),
                None => run.unreadable(format!("{base}: a search result that is not a dict")),
            }
            if run.stopped {
                return false;
            }
        }
        previous = Some(text);
        start += rows;
    }
}

/// The local dataset dict of a remote CKAN dataset.
fn localize(
    run: &mut JobRun<'_>,
    config: &CkanConfig,
    base: &str,
    resolved: &mut Resolved,
    remote: &Map<String, Value>,
    package_id: &str,
) -> Result<Map<String, Value>, String> {
    let mut dict = remote.clone();
    for key in COMPUTED {
        dict.remove(*key);
    }
    if let Some(Value::Array(resources)) = dict.get_mut("resources") {
        for resource in resources.iter_mut().filter_map(Value::as_object_mut) {
            for key in RESOURCE_COMPUTED {
                resource.remove(*key);
            }
        }
    }
    // Tags: names (munged with clean_tags), vocabulary tags only for vocabularies known here.
    let mut tags = Vec::new();
    for tag in remote.get("tags").and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = tag.get("name").and_then(Value::as_str) else { continue };
        let name = if config.clean_tags { munge_tag(name) } else { name.to_owned() };
        match tag.get("vocabulary_id").and_then(Value::as_str) {
            None => tags.push(json!({"name": name})),
            Some(vocabulary) => {
                let local = match resolved.vocabularies.get(vocabulary) {
                    Some(found) => found.clone(),
                    None => {
                        let found = local_vocabulary(run, base, vocabulary)?;
                        resolved.vocabularies.insert(vocabulary.to_owned(), found.clone());
                        found
                    }
                };
                if let Some(local) = local {
                    tags.push(json!({"name": name, "vocabulary_id": local}));
                }
            }
        }
    }
    dict.insert("tags".into(), Value::Array(tags));

    // Groups: with remote_groups, those that exist here (or are created from the remote).
    let mut groups = Vec::new();
    if matches!(config.remote_groups.as_deref(), Some("only_local" | "create")) {
        for group in remote.get("groups").and_then(Value::as_array).into_iter().flatten() {
            let id = group.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
            let name = group.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            let key = if id.is_empty() { name.clone() } else { id.clone() };
            let local = match resolved.groups.get(&key) {
                Some(found) => found.clone(),
                None => {
                    let found = local_group(run, &[&id, &name], false)?.or_else(|| {
                        (config.remote_groups.as_deref() == Some("create"))
                            .then(|| create_from_remote(run, base, "group_show", &key, false))
                            .flatten()
                    });
                    resolved.groups.insert(key, found.clone());
                    found
                }
            };
            if let Some(local) = local {
                groups.push(json!({"id": local}));
            }
        }
    }
    dict.insert("groups".into(), Value::Array(groups));

    // The organization: the source's, unless remote_orgs finds (or makes) the remote one here.
    let mut owner = None;
    if matches!(config.remote_orgs.as_deref(), Some("only_local" | "create"))
        && let Some(remote_org) = remote.get("owner_org").and_then(Value::as_str).filter(|o| !o.is_empty())
    {
        owner = match resolved.orgs.get(remote_org) {
            Some(found) => found.clone(),
            None => {
                let name = remote
                    .get("organization")
                    .and_then(|o| o.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let found = local_group(run, &[remote_org, &name], true)?.or_else(|| {
                    (config.remote_orgs.as_deref() == Some("create"))
                        .then(|| {
                            create_from_remote(run, base, "organization_show", remote_org, true)
                                .or_else(|| create_from_remote(run, base, "group_show", remote_org, true))
                        })
                        .flatten()
                });
                resolved.orgs.insert(remote_org.to_owned(), found.clone());
                found
            }
        };
    }
    dict.insert(
        "owner_org".into(),
        owner.or_else(|| run.source.owner_org.clone()).map_or(Value::Null, Value::String),
    );
    apply_defaults(run, &mut dict, package_id, config.override_extras)?;
    Ok(dict)
}

/// The local vocabulary of a remote one: the one with its id, else the one with its name (read
/// from the remote `vocabulary_show`), else a new one of that name. `None` (logged) when the
/// remote does not say.
fn local_vocabulary(run: &mut JobRun<'_>, base: &str, remote_id: &str) -> Result<Option<String>, String> {
    let find = |run: &JobRun<'_>, reference: &str| {
        run.services
            .store
            .read(|tx| tx.vocabulary_by_id_or_name(reference).map_err(ActionError::from))
            .map(|found| found.map(|v| v.id))
            .map_err(|e| e.to_string())
    };
    if let Some(found) = find(run, remote_id)? {
        return Ok(Some(found));
    }
    let name = match run.client.action(base, "vocabulary_show", &[("id", remote_id.to_owned())]) {
        Ok(remote) => remote.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
        Err(e) => {
            run.gather_error(format!("Tags of vocabulary {remote_id} left out: {e}"));
            return Ok(None);
        }
    };
    if let Some(found) = find(run, &name)? {
        return Ok(Some(found));
    }
    let mut dict = Map::new();
    dict.insert("name".into(), name.clone().into());
    match datahavn_actions::call(run.services, Actor::Site, "vocabulary_create", &Params::new(dict)) {
        Ok(created) => Ok(created.get("id").and_then(Value::as_str).map(str::to_owned)),
        Err(error) => {
            run.gather_error(format!("Could not create vocabulary {name}: {}", describe(&error)));
            Ok(None)
        }
    }
}

/// The local organization (or group) with one of these ids or names.
fn local_group(run: &JobRun<'_>, references: &[&str], organization: bool) -> Result<Option<String>, String> {
    run.services
        .store
        .read(|tx| {
            for reference in references.iter().filter(|r| !r.is_empty()) {
                if let Some(group) = tx.group_by_id_or_name(reference)?
                    && group.is_organization == organization
                    && group.is_active()
                {
                    return Ok(Some(group.id));
                }
            }
            Ok::<_, ActionError>(None)
        })
        .map_err(|e| e.to_string())
}

/// Creates a local organization or group from the remote's `*_show` of it (keeping its id,
/// name, title, description and image); `None` (logged) when either step fails.
fn create_from_remote(
    run: &mut JobRun<'_>,
    base: &str,
    action: &str,
    id: &str,
    organization: bool,
) -> Option<String> {
    let remote = match run.client.action(base, action, &[("id", id.to_owned())]) {
        Ok(remote) => remote,
        Err(e) => {
            log::info!("harvest job {}: {e}", run.job.id);
            return None;
        }
    };
    let mut dict = Map::new();
    for key in ["id", "name", "title", "description", "image_url"] {
        if let Some(value) = remote.get(key).filter(|v| !v.is_null()) {
            dict.insert(key.into(), value.clone());
        }
    }
    let create = if organization { "organization_create" } else { "group_create" };
    match datahavn_actions::call(run.services, Actor::Site, create, &Params::new(dict)) {
        Ok(created) => created.get("id").and_then(Value::as_str).map(str::to_owned),
        Err(error) => {
            let message = format!(
                "Could not create {} {id}: {}",
                if organization { "organization" } else { "group" },
                describe(&error)
            );
            run.gather_error(message);
            None
        }
    }
}

/// The configuration's additions every source type makes: default tags (and `clean_tags`),
/// default groups, default extras (`{dataset_id}`, `{harvest_source_id}`,
/// `{harvest_source_url}`, `{harvest_source_title}`, `{harvest_job_id}` filled in).
fn apply_defaults(
    run: &JobRun<'_>,
    dict: &mut Map<String, Value>,
    package_id: &str,
    override_extras: bool,
) -> Result<(), String> {
    let common = &run.common;
    let mut tags: Vec<Value> = dict.get("tags").and_then(Value::as_array).cloned().unwrap_or_default();
    if common.clean_tags {
        for tag in tags.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(name) = tag.get("name").and_then(Value::as_str) {
                let munged = munge_tag(name);
                tag.insert("name".into(), munged.into());
            }
        }
    }
    for tag in &common.default_tags {
        let mut tag = tag.clone();
        if common.clean_tags
            && let Some(name) = tag.get("name").and_then(Value::as_str)
        {
            let munged = munge_tag(name);
            tag.insert("name".into(), munged.into());
        }
        let name = tag.get("name").cloned();
        if !tags.iter().any(|t| t.get("name") == name.as_ref()) {
            tags.push(Value::Object(tag));
        }
    }
    let mut names = HashSet::new();
    tags.retain(|t| names.insert(t.get("name").map(Value::to_string).unwrap_or_default()));
    dict.insert("tags".into(), Value::Array(tags));

    if !common.default_groups.is_empty() {
        let mut groups: Vec<Value> =
            dict.get("groups").and_then(Value::as_array).cloned().unwrap_or_default();
        for group in &common.default_groups {
            if let Some(local) = local_group(run, &[group], false)?
                && !groups.iter().any(|g| g.get("id").and_then(Value::as_str) == Some(local.as_str()))
            {
                groups.push(json!({"id": local}));
            }
        }
        dict.insert("groups".into(), Value::Array(groups));
    }

    if !common.default_extras.is_empty() {
        let mut extras: Vec<Value> =
            dict.get("extras").and_then(Value::as_array).cloned().unwrap_or_default();
        for (key, value) in &common.default_extras {
            let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            let text = text
                .replace("{dataset_id}", package_id)
                .replace("{harvest_source_id}", &run.source.id)
                .replace("{harvest_source_url}", run.source.url.trim_end_matches('/'))
                .replace("{harvest_source_title}", &run.source.title)
                .replace("{harvest_job_id}", &run.job.id);
            let position =
                extras.iter().position(|e| e.get("key").and_then(Value::as_str) == Some(key.as_str()));
            match position {
                Some(i) if override_extras => extras[i] = json!({"key": key, "value": text}),
                Some(_) => {}
                None => extras.push(json!({"key": key, "value": text})),
            }
        }
        dict.insert("extras".into(), Value::Array(extras));
    }
    Ok(())
}

/// The local dataset dict of a dataset a page reader made (DCAT): its own keys, in the
/// source's organization, with the configuration's additions.
pub(crate) fn common_localize(
    run: &mut JobRun<'_>,
    remote: &Map<String, Value>,
    package_id: &str,
) -> Map<String, Value> {
    let mut dict = remote.clone();
    for key in COMPUTED {
        dict.remove(*key);
    }
    dict.insert("owner_org".into(), run.source.owner_org.clone().map_or(Value::Null, Value::String));
    if let Err(e) = apply_defaults(run, &mut dict, package_id, false) {
        log::warn!("harvest job {}: {e}", run.job.id);
    }
    dict
}
