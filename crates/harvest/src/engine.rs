//! One job: gather (list the remote catalogue page by page), fetch (each page brings whole
//! records), import (each record through the dataset actions, as the site), then delete the
//! local datasets whose remote record is gone. Memory stays flat in the catalogue's size: one
//! page at a time, plus the set of remote identifiers seen.

use std::collections::HashSet;
use std::time::Instant;

use datahavn_actions::{ActionError, Services};
use datahavn_domain::Timestamp;
use datahavn_domain::harvest::{
    self as rules, CommonConfig, GatherError, HarvestJob, HarvestObject, HarvestSource, HarvestedDataset,
    ObjectError, SourceType, job_status, report_status,
};
use datahavn_domain::name::Name;
use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::client::Client;
use crate::{Settings, Tally, ckan, pages};

/// What happened to one remote record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Added,
    Updated,
    Unchanged,
    Deleted,
    Errored,
    /// Not a dataset this harvester takes (a remote harvest source).
    Skipped,
}

/// Makes the local dataset dict from a remote record, given the local dataset's id.
pub(crate) type Localize<'l> =
    dyn FnMut(&mut JobRun<'_>, &Map<String, Value>, &str) -> Result<Map<String, Value>, String> + 'l;

/// A job being run.
pub(crate) struct JobRun<'a> {
    pub services: &'a Services,
    pub settings: &'a Settings,
    pub job: HarvestJob,
    pub source: HarvestSource,
    pub common: CommonConfig,
    pub client: Client,
    pub tally: Tally,
    started: Instant,
    /// Set once the job must stop (aborted, timed out).
    pub stopped: bool,
    progress: &'a mut dyn FnMut(&Tally),
}

fn storage<T>(result: Result<T, ActionError>) -> Result<T, String> {
    result.map_err(|e| e.to_string())
}

impl<'a> JobRun<'a> {
    /// Records an error of the job outside any one dataset.
    pub fn gather_error(&mut self, message: String) {
        log::warn!("harvest job {} of {}: {message}", self.job.id, self.source.name);
        let error = GatherError {
            id: uuid::Uuid::new_v4().to_string(),
            job_id: self.job.id.clone(),
            message: message.clone(),
            created: Timestamp::now(),
        };
        let written = self.services.store.write(|tx| {
            tx.insert_harvest_gather_error(&error)?;
            datahavn_actions::harvest::log_line(tx, "ERROR", format!("{}: {message}", self.source.name))
        });
        if let Err(e) = written {
            log::error!("cannot record a gather error of job {}: {e}", self.job.id);
        }
    }

    /// Whether the job may go on: records a sign of life, stops when the job was aborted or
    /// ran past its time limit.
    pub fn go_on(&mut self) -> bool {
        if self.stopped {
            return false;
        }
        let status = self.services.store.write(|tx| {
            let job = HarvestJob { stats: self.tally.stats(), ..self.job.clone() };
            tx.update_harvest_job_stats(&job)?;
            tx.beat_harvest_job(&self.job.id, Timestamp::now())
        });
        match status {
            Ok(Some(status)) if status == job_status::RUNNING => {}
            Ok(_) => {
                log::warn!("harvest job {} was stopped from outside", self.job.id);
                self.stopped = true;
                return false;
            }
            Err(e) => {
                log::error!("harvest job {}: {e}", self.job.id);
            }
        }
        if self.started.elapsed() > self.settings.job_timeout {
            let why =
                format!("The job ran longer than its limit of {} s", self.settings.job_timeout.as_secs());
            let job = self.job.clone();
            if let Err(e) =
                self.services.store.write(|tx| datahavn_actions::harvest::abort_job(tx, job, &why))
            {
                log::error!("harvest job {}: {e}", self.job.id);
            }
            self.stopped = true;
            return false;
        }
        true
    }

    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Added => self.tally.added += 1,
            Outcome::Updated => self.tally.updated += 1,
            Outcome::Unchanged => self.tally.unchanged += 1,
            Outcome::Deleted => self.tally.deleted += 1,
            Outcome::Errored => self.tally.errored += 1,
            Outcome::Skipped => {}
        }
        (self.progress)(&self.tally);
    }

    /// Counts remote records seen unchanged without fetching them.
    pub fn count_unchanged(&mut self, n: u64) {
        self.tally.unchanged += n;
        (self.progress)(&self.tally);
    }

    pub fn set_total(&mut self, total: u64) {
        self.tally.total = Some(total);
        (self.progress)(&self.tally);
    }

    /// Imports one remote record: `remote_id` maps it to its local dataset; `localize` makes
    /// the local dataset dict from the remote one (given the existing local dataset, if any).
    pub fn import(
        &mut self,
        remote_id: &str,
        remote: &Map<String, Value>,
        localize: &mut Localize<'_>,
    ) -> Outcome {
        let outcome = match self.import_one(remote_id, remote, localize) {
            Ok(outcome) => outcome,
            Err((package_id, message)) => {
                self.record(remote_id, remote, package_id, report_status::ERRORED, Some(message));
                Outcome::Errored
            }
        };
        self.count(outcome);
        outcome
    }

    fn import_one(
        &mut self,
        remote_id: &str,
        remote: &Map<String, Value>,
        localize: &mut Localize<'_>,
    ) -> Result<Outcome, (Option<String>, String)> {
        let fail = |message: String| (None, message);
        let content = Value::Object(remote.clone()).to_string();
        let hash = format!("{:x}", Sha256::digest(content.as_bytes()));
        let remote_modified = remote.get("metadata_modified").and_then(Value::as_str).map(str::to_owned);
        let source_id = self.source.id.clone();
        let (mapping, local) = storage(self.services.store.read(|tx| {
            let mapping = tx.harvested_dataset(&source_id, remote_id)?;
            let local = match &mapping {
                Some(m) => tx.package_by_id_or_name(&m.package_id)?.filter(|p| p.id == m.package_id),
                None => None,
            };
            Ok::<_, ActionError>((mapping, local))
        }))
        .map_err(fail)?;
        if let (Some(mapping), Some(_)) = (&mapping, &local)
            && !self.common.force_all
        {
            let same = match (&remote_modified, &mapping.remote_modified) {
                (Some(now), Some(then)) => now == then,
                _ => mapping.content_hash == hash,
            };
            if same {
                return Ok(Outcome::Unchanged);
            }
        }
        let creating = local.is_none();
        let package_id = match (&mapping, &local) {
            (Some(m), _) => m.package_id.clone(),
            (None, _) => self.fresh_package_id(remote.get("id").and_then(Value::as_str)).map_err(fail)?,
        };
        let mut dict = localize(self, remote, &package_id).map_err(fail)?;
        let name =
            self.settle_name(&dict, local.as_ref().map(|l| l.name.as_str()), &package_id).map_err(fail)?;
        self.settle_resources(&mut dict, local.as_ref(), &package_id, remote_id).map_err(fail)?;
        dict.insert("id".into(), package_id.clone().into());
        dict.insert("name".into(), name.into());
        dict.insert("state".into(), "active".into());
        // The link first, so that a process stopping after the write leaves a dataset the next
        // run finds again instead of making a second one.
        if mapping.is_none() {
            let link = HarvestedDataset {
                source_id: source_id.clone(),
                remote_id: remote_id.to_owned(),
                package_id: package_id.clone(),
                remote_modified: None,
                content_hash: String::new(),
            };
            storage(
                self.services.store.write(|tx| tx.put_harvested_dataset(&link).map_err(ActionError::from)),
            )
            .map_err(fail)?;
        }
        let action = if creating { "package_create" } else { "package_update" };
        let written = datahavn_actions::call(self.services, Actor::Site, action, &Params::new(dict));
        match written {
            Ok(_) => {
                let link = HarvestedDataset {
                    source_id: source_id.clone(),
                    remote_id: remote_id.to_owned(),
                    package_id: package_id.clone(),
                    remote_modified,
                    content_hash: hash,
                };
                storage(
                    self.services
                        .store
                        .write(|tx| tx.put_harvested_dataset(&link).map_err(ActionError::from)),
                )
                .map_err(fail)?;
                let status = if creating { report_status::ADDED } else { report_status::UPDATED };
                self.record(remote_id, remote, Some(package_id), status, None);
                Ok(if creating { Outcome::Added } else { Outcome::Updated })
            }
            Err(error) => {
                if mapping.is_none() {
                    let _ =
                        self.services.store.write(|tx| tx.delete_harvested_dataset(&source_id, remote_id));
                }
                let known = (!creating).then_some(package_id);
                Err((known, format!("Invalid package with GUID {remote_id}: {}", describe(&error))))
            }
        }
    }

    /// The remote id when it is a UUID no local dataset has, else a new one.
    fn fresh_package_id(&mut self, remote: Option<&str>) -> Result<String, String> {
        if let Some(remote) = remote
            && uuid::Uuid::parse_str(remote).is_ok()
        {
            let taken = storage(self.services.store.read(|tx| {
                Ok::<_, ActionError>(
                    tx.package_by_id_or_name(remote)?.is_some() || tx.resource_by_id(remote)?.is_some(),
                )
            }))?;
            if !taken {
                return Ok(remote.to_owned());
            }
        }
        Ok(uuid::Uuid::new_v4().to_string())
    }

    /// The remote name when free (or already this dataset's), else the current local name, else
    /// the remote name with the first free `-N` suffix: a local dataset's name is never taken.
    fn settle_name(
        &mut self,
        dict: &Map<String, Value>,
        current: Option<&str>,
        package_id: &str,
    ) -> Result<String, String> {
        let wanted = wanted_name(dict);
        let free = |name: &str| -> Result<bool, String> {
            storage(self.services.store.read(|tx| {
                Ok::<_, ActionError>(tx.live_package_named(name)?.is_none_or(|p| p.id == package_id))
            }))
        };
        if free(&wanted)? {
            return Ok(wanted);
        }
        if let Some(current) = current {
            return Ok(current.to_owned());
        }
        for n in 1..1000 {
            let suffix = format!("-{n}");
            let stem: String = wanted.chars().take(100 - suffix.len()).collect();
            let candidate = format!("{stem}{suffix}");
            if free(&candidate)? {
                return Ok(candidate);
            }
        }
        Ok(format!("dataset-{}", uuid::Uuid::new_v4().simple()))
    }

    /// Gives each resource its local id: the one it had (matched by remote id, `uri` or
    /// `url`), else the remote id when free, else an id derived from the source, the dataset
    /// and the resource, so that harvests agree.
    fn settle_resources(
        &mut self,
        dict: &mut Map<String, Value>,
        local: Option<&datahavn_domain::catalog::PackageRecord>,
        package_id: &str,
        remote_id: &str,
    ) -> Result<(), String> {
        let existing: Vec<Map<String, Value>> = local
            .and_then(|l| l.document.get("resources"))
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(|r| r.as_object().cloned()).collect())
            .unwrap_or_default();
        let ckan = self.source.source_type == SourceType::Ckan;
        let Some(Value::Array(resources)) = dict.get_mut("resources") else { return Ok(()) };
        let mut used = HashSet::new();
        for (position, resource) in resources.iter_mut().enumerate() {
            let Some(resource) = resource.as_object_mut() else { continue };
            let remote_rid = resource.get("id").and_then(Value::as_str).map(str::to_owned);
            let key = if ckan {
                remote_rid.clone()
            } else {
                ["uri", "url"].iter().find_map(|k| {
                    resource.get(*k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_owned)
                })
            }
            .unwrap_or_else(|| format!("#{position}"));
            let derived = derived_id(&self.source.id, remote_id, &key);
            let has = |id: &str| existing.iter().any(|r| r.get("id").and_then(Value::as_str) == Some(id));
            let matched_by_link = if ckan {
                None
            } else {
                existing.iter().find_map(|r| {
                    let same = ["uri", "url"].iter().any(|k| {
                        r.get(*k).and_then(Value::as_str).is_some_and(|v| {
                            !v.is_empty() && Some(v) == resource.get(*k).and_then(Value::as_str)
                        })
                    });
                    same.then(|| r.get("id").and_then(Value::as_str).map(str::to_owned)).flatten()
                })
            };
            let id = match (ckan, &remote_rid) {
                (true, Some(rid)) if has(rid) => rid.clone(),
                _ if has(&derived) => derived.clone(),
                _ if matched_by_link.as_deref().is_some_and(|m| !used.contains(m)) => {
                    matched_by_link.clone().unwrap_or_default()
                }
                (true, Some(rid)) if !rid.is_empty() && !used.contains(rid) => {
                    let rid = rid.clone();
                    let taken = storage(self.services.store.read(|tx| {
                        Ok::<_, ActionError>(
                            tx.resource_by_id(&rid)?.is_some_and(|r| r.package_id != package_id),
                        )
                    }))?;
                    if taken { derived.clone() } else { rid }
                }
                _ => derived.clone(),
            };
            used.insert(id.clone());
            resource.insert("id".into(), id.into());
        }
        Ok(())
    }

    /// Stores the object of a record that was added, updated, deleted or failed.
    fn record(
        &mut self,
        guid: &str,
        remote: &Map<String, Value>,
        package_id: Option<String>,
        status: &str,
        error: Option<String>,
    ) {
        let now = Timestamp::now();
        let object = HarvestObject {
            id: uuid::Uuid::new_v4().to_string(),
            job_id: self.job.id.clone(),
            source_id: self.source.id.clone(),
            guid: guid.to_owned(),
            package_id: package_id.clone(),
            current: error.is_none() && package_id.is_some(),
            state: if error.is_some() { "ERROR" } else { "COMPLETE" }.into(),
            report_status: status.into(),
            content: (!remote.is_empty()).then(|| Value::Object(remote.clone()).to_string()),
            metadata_modified_date: remote
                .get("metadata_modified")
                .and_then(Value::as_str)
                .and_then(|m| {
                    chrono::NaiveDateTime::parse_from_str(m.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
                        .ok()
                })
                .map(Timestamp::from_naive),
            gathered: now,
            import_finished: Some(now),
        };
        if let Some(message) = &error {
            log::info!("harvest job {}: {message}", self.job.id);
        }
        let written = self.services.store.write(|tx| {
            tx.insert_harvest_object(&object)?;
            if let Some(message) = &error {
                tx.insert_harvest_object_error(&ObjectError {
                    id: uuid::Uuid::new_v4().to_string(),
                    object_id: object.id.clone(),
                    message: message.clone(),
                    stage: "Import".into(),
                    created: now,
                })?;
                datahavn_actions::harvest::log_line(
                    tx,
                    "WARNING",
                    format!("{}: {message}", self.source.name),
                )?;
            }
            Ok::<_, ActionError>(())
        });
        if let Err(e) = written {
            log::error!("cannot record harvest object of job {}: {e}", self.job.id);
        }
    }

    /// Records a record the job could not read at all (no identifier, not a dict).
    pub fn unreadable(&mut self, message: String) {
        self.record("", &Map::new(), None, report_status::ERRORED, Some(message));
        self.count(Outcome::Errored);
    }

    /// Deletes the local datasets of remote records not in `seen` (the complete listing).
    pub fn delete_missing(&mut self, seen: &HashSet<String>) {
        let mut after = String::new();
        loop {
            if !self.go_on() {
                return;
            }
            let source_id = self.source.id.clone();
            let page = match storage(
                self.services
                    .store
                    .read(|tx| tx.harvested_datasets(&source_id, &after, 500).map_err(ActionError::from)),
            ) {
                Ok(page) => page,
                Err(e) => {
                    self.gather_error(format!("reading the harvested datasets: {e}"));
                    return;
                }
            };
            let Some(last) = page.last() else { return };
            after = last.remote_id.clone();
            for link in page {
                if seen.contains(&link.remote_id) {
                    continue;
                }
                let live = storage(self.services.store.read(|tx| {
                    Ok::<_, ActionError>(tx.package_by_id_or_name(&link.package_id)?.is_some_and(|p| {
                        p.id == link.package_id && p.state != datahavn_domain::package::PackageState::Deleted
                    }))
                }))
                .unwrap_or(false);
                if !live {
                    continue;
                }
                let mut params = Map::new();
                params.insert("id".into(), link.package_id.clone().into());
                match datahavn_actions::call(
                    self.services,
                    Actor::Site,
                    "package_delete",
                    &Params::new(params),
                ) {
                    Ok(_) => {
                        // Kept, so that a record coming back revives the same dataset.
                        let forgotten = HarvestedDataset {
                            remote_modified: None,
                            content_hash: String::new(),
                            ..link.clone()
                        };
                        let _ = self.services.store.write(|tx| tx.put_harvested_dataset(&forgotten));
                        self.record(
                            &link.remote_id,
                            &Map::new(),
                            Some(link.package_id.clone()),
                            report_status::DELETED,
                            None,
                        );
                        self.count(Outcome::Deleted);
                    }
                    Err(error) => {
                        let message =
                            format!("Could not delete dataset {}: {}", link.package_id, describe(&error));
                        self.record(
                            &link.remote_id,
                            &Map::new(),
                            Some(link.package_id.clone()),
                            report_status::ERRORED,
                            Some(message),
                        );
                        self.count(Outcome::Errored);
                    }
                }
            }
        }
    }
}

/// A dataset's wanted name: its `name` when valid, else a slug of its title, else one made
/// from its identity.
pub(crate) fn wanted_name(dict: &Map<String, Value>) -> String {
    if let Some(name) = dict.get("name").and_then(Value::as_str)
        && Name::parse(name).is_ok()
    {
        return name.to_owned();
    }
    let from = dict.get("name").or_else(|| dict.get("title")).and_then(Value::as_str).unwrap_or_default();
    let mut slug = String::new();
    for c in from.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(90).collect();
    if Name::parse(&slug).is_ok() {
        slug
    } else {
        format!("dataset-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
    }
}

/// An id derived from a source, a remote dataset and a key: the same on every harvest.
pub(crate) fn derived_id(source_id: &str, remote_id: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{source_id}\u{0}{remote_id}\u{0}{key}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid().to_string()
}

pub(crate) fn describe(error: &ActionError) -> String {
    match error {
        ActionError::Validation(errors) => Value::Object(errors.to_json()).to_string(),
        ActionError::ValidationDict(dict) => Value::Object(dict.clone()).to_string(),
        ActionError::NotFound(reason) => format!("Not found: {}", reason.as_deref().unwrap_or("")),
        ActionError::NotAuthorized(reason) => format!("Access denied: {}", reason.as_deref().unwrap_or("")),
        other => other.to_string(),
    }
}

/// The machine-readable identity of this process, kept on the jobs it runs.
pub fn runner_identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}:{}", std::process::id(), uuid::Uuid::new_v4().simple())
}

/// Runs a `New` job to its end; returns its final counts. `progress` is told after each record.
pub fn run_job(
    services: &Services,
    settings: &Settings,
    job_id: &str,
    runner: &str,
    progress: &mut dyn FnMut(&Tally),
) -> Result<Tally, String> {
    let claimed = storage(
        services
            .store
            .write(|tx| tx.claim_harvest_job(job_id, runner, Timestamp::now()).map_err(ActionError::from)),
    )?;
    if !claimed {
        return Err(format!("harvest job {job_id} is not waiting to run"));
    }
    let (job, source) = storage(services.store.read(|tx| {
        let job = tx.harvest_job(job_id)?.ok_or_else(|| ActionError::Internal("job vanished".into()))?;
        let source = tx
            .harvest_source(&job.source_id)?
            .ok_or_else(|| ActionError::Internal("source vanished".into()))?;
        Ok::<_, ActionError>((job, source))
    }))?;
    log::info!("harvest job {} of {} ({}) started", job.id, source.name, source.url);
    let common = rules::parse_common_config(&source.config).unwrap_or_default();
    let ckan_config = rules::parse_ckan_config(&source.config).unwrap_or_default();
    let client = Client::new(
        settings.request_timeout,
        settings.max_page_bytes,
        ckan_config.api_key.clone(),
        ckan_config.user_agent.as_deref(),
    );
    let mut run = JobRun {
        services,
        settings,
        job,
        source,
        common,
        client,
        tally: Tally::default(),
        started: Instant::now(),
        stopped: false,
        progress,
    };
    match run.source.source_type {
        SourceType::Ckan => ckan::harvest(&mut run, &ckan_config),
        SourceType::DcatRdf | SourceType::DcatJson => harvest_pages(&mut run),
    }
    finish(run)
}

fn finish(run: JobRun<'_>) -> Result<Tally, String> {
    let now = Timestamp::now();
    let tally = run.tally.clone();
    let settings = run.settings;
    let source = run.source.clone();
    let job_id = run.job.id.clone();
    storage(run.services.store.write(|tx| {
        let mut job = tx.harvest_job(&job_id)?.ok_or_else(|| ActionError::Internal("job vanished".into()))?;
        job.stats = tally.stats();
        job.gather_finished = job.gather_finished.or(Some(now));
        if job.status == job_status::RUNNING {
            job.status = job_status::FINISHED.into();
            job.finished = Some(now);
        }
        tx.update_harvest_job(&job)?;
        if let Some(mut current) = tx.harvest_source(&source.id)? {
            let started = job.gather_started.unwrap_or(job.created);
            current.next_run = current.frequency.next_run(started).map(|next| next.max(now));
            tx.update_harvest_source(&current)?;
        }
        tx.prune_harvest_jobs(&source.id, settings.keep_jobs)?;
        datahavn_actions::harvest::log_line(
            tx,
            "INFO",
            format!(
                "Harvest job {} of {} {}: {}",
                job.id,
                source.name,
                job.status.to_lowercase(),
                tally.summary()
            ),
        )?;
        tx.prune_harvest_log(datahavn_actions::harvest::LOG_LINES_KEPT)?;
        Ok::<_, ActionError>(())
    }))?;
    log::info!("harvest job {job_id} of {} done: {}", source.name, tally.summary());
    Ok(tally)
}

/// A DCAT catalogue: pages fetched from the source URL on, each read by
/// [`pages::parse_page`], following `next_page` until there is none; a page seen before ends
/// the listing with a gather error (a paging loop), as does passing the page limit.
fn harvest_pages(run: &mut JobRun<'_>) {
    let mut seen_pages = HashSet::new();
    let mut seen_ids = HashSet::new();
    let mut next = Some(run.source.url.clone());
    let mut complete = true;
    let accept = match run.source.source_type {
        SourceType::DcatJson => "application/json",
        _ => "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, */*;q=0.1",
    };
    while let Some(url) = next.take() {
        if !run.go_on() {
            return;
        }
        if !seen_pages.insert(url.clone()) {
            run.gather_error(format!("Paging loop: {url} was already read"));
            complete = false;
            break;
        }
        if seen_pages.len() as u64 > run.settings.max_pages {
            run.gather_error(format!("More than {} pages: stopped", run.settings.max_pages));
            complete = false;
            break;
        }
        let fetched = match run.client.get(&url, accept) {
            Ok(f) if f.status == 200 => f,
            Ok(f) => {
                run.gather_error(format!("{url}: the remote answered {}", f.status));
                complete = false;
                break;
            }
            Err(e) => {
                run.gather_error(e);
                complete = false;
                break;
            }
        };
        let page = match pages::parse_page(run.source.source_type, &fetched.content_type, &url, &fetched.body)
        {
            Ok(page) => page,
            Err(e) => {
                run.gather_error(format!("{url}: {e}"));
                complete = false;
                break;
            }
        };
        for dataset in page.datasets {
            let Some(remote) = dataset.as_object().cloned() else {
                run.unreadable(format!("{url}: a dataset that is not a dict"));
                continue;
            };
            let Some(remote_id) = pages::identifier_of(&dataset) else {
                run.unreadable(format!("{url}: a dataset without identifier, URI, URL or name"));
                continue;
            };
            if !seen_ids.insert(remote_id.clone()) {
                continue;
            }
            run.import(&remote_id, &remote, &mut |run, remote, id| {
                Ok(crate::ckan::common_localize(run, remote, id))
            });
            if run.stopped {
                return;
            }
        }
        next = page.next_page;
    }
    if complete && !run.stopped {
        run.delete_missing(&seen_ids);
    }
}
