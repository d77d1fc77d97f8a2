//! Loading files into the DataStore in the background — what CKAN's xloader does with a worker
//! queue, here in the server's own process: `xloader_submit` / `datastore_load` start a load,
//! `xloader_status` reports it. A load reads the whole file twice (types are inferred over
//! every row), writes a new table and swaps it in; a failed load leaves the previous table.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use datahavn_datastore::ingest;
use datahavn_datastore::{Datastore, DatastoreError, FieldSpec};
use datahavn_domain::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{DatastoreService, Privilege, mark_active, no_junk, service, target};
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context};

/// One line of a load's log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogLine {
    pub timestamp: String,
    pub message: String,
    pub level: String,
}

/// Where a load stands (xloader's task status).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadStatus {
    pub job_id: String,
    /// `pending`, `running`, `complete` or `error`.
    pub status: String,
    pub last_updated: String,
    pub rows_loaded: u64,
    pub error: Option<String>,
    pub logs: Vec<LogLine>,
}

/// How often a running load's row count is written to the database.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// The loads of this process, by resource id, each written through to the DataStore's
/// database (so that the status outlives the process and every server sees it).
#[derive(Default)]
pub struct LoadJobs {
    jobs: Mutex<HashMap<String, (LoadStatus, Instant)>>,
    /// Taken to write a status through, in the order the changes were made, without holding
    /// `jobs` (whose readers answer from memory meanwhile).
    writing: Mutex<()>,
    /// SQLite has one writer at a time, and a load writes its whole table in one transaction:
    /// loads into a SQLite DataStore take turns.
    sqlite_turn: Mutex<()>,
}

impl LoadJobs {
    /// The status of the resource's last load: this process's, else the stored one.
    pub fn status(&self, tables: &Datastore, resource_id: &str) -> Option<LoadStatus> {
        if let Some((job, _)) = self.jobs.lock().unwrap_or_else(PoisonError::into_inner).get(resource_id) {
            return Some(job.clone());
        }
        match tables.load_status(resource_id) {
            Ok(stored) => stored.and_then(|text| serde_json::from_str(&text).ok()),
            Err(error) => {
                log::warn!("could not read the load status of {resource_id}: {error}");
                None
            }
        }
    }

    /// Registers a new load unless one is pending or running for the resource.
    fn begin(&self, tables: &Datastore, resource_id: &str) -> Option<String> {
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        if jobs.get(resource_id).is_some_and(|(j, _)| matches!(j.status.as_str(), "pending" | "running")) {
            return None;
        }
        let job_id = uuid::Uuid::new_v4().to_string();
        let now = Timestamp::now().to_string();
        let job = LoadStatus {
            job_id: job_id.clone(),
            status: "pending".into(),
            last_updated: now.clone(),
            rows_loaded: 0,
            error: None,
            logs: vec![LogLine { timestamp: now, message: "Load submitted".into(), level: "INFO".into() }],
        };
        persist(tables, resource_id, &job);
        jobs.insert(resource_id.to_owned(), (job, Instant::now()));
        Some(job_id)
    }

    /// Changes the load's status; written through at once when its state or log changes, and
    /// at most every [`PROGRESS_EVERY`] for the row count alone.
    fn update(&self, tables: &Datastore, resource_id: &str, change: impl FnOnce(&mut LoadStatus)) {
        self.update_with(tables, resource_id, true, change);
    }

    /// [`Self::update`], writing a change of the row count alone through only if `progress`
    /// says so.
    fn update_with(
        &self,
        tables: &Datastore,
        resource_id: &str,
        progress: bool,
        change: impl FnOnce(&mut LoadStatus),
    ) {
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((job, written)) = jobs.get_mut(resource_id) else { return };
        let (state, logs) = (job.status.clone(), job.logs.len());
        change(job);
        job.last_updated = Timestamp::now().to_string();
        let due = progress && written.elapsed() >= PROGRESS_EVERY;
        if job.status == state && job.logs.len() == logs && !due {
            return;
        }
        *written = Instant::now();
        let snapshot = job.clone();
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        drop(jobs);
        persist(tables, resource_id, &snapshot);
    }

    /// Marks the load `job_id` running, unless it is no longer the resource's pending load
    /// (it was cancelled): then false, and the load is not run.
    fn start(&self, tables: &Datastore, resource_id: &str, job_id: &str) -> bool {
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((job, written)) =
            jobs.get_mut(resource_id).filter(|(job, _)| job.job_id == job_id && job.status == "pending")
        else {
            return false;
        };
        job.status = "running".into();
        job.last_updated = Timestamp::now().to_string();
        persist(tables, resource_id, job);
        *written = Instant::now();
        true
    }

    /// The loads not finished: this process's, then those stored as pending or running by
    /// other processes (or by one that stopped). With each, whether this process runs it.
    pub(crate) fn unfinished(&self, tables: &Datastore) -> Vec<(String, LoadStatus, bool)> {
        let mut loads: Vec<(String, LoadStatus, bool)> = self
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(_, (job, _))| matches!(job.status.as_str(), "pending" | "running"))
            .map(|(resource_id, (job, _))| (resource_id.clone(), job.clone(), true))
            .collect();
        let stored = tables.unfinished_loads().unwrap_or_else(|error| {
            log::warn!("could not read the unfinished loads: {error}");
            Vec::new()
        });
        for (resource_id, text) in stored {
            if loads.iter().any(|(id, _, _)| *id == resource_id) {
                continue;
            }
            if let Ok(job) = serde_json::from_str::<LoadStatus>(&text) {
                loads.push((resource_id, job, false));
            }
        }
        loads
    }

    /// Cancels the resource's load if this process has it waiting to start: true when done.
    /// Checked and changed under one lock, so the load either starts or is cancelled.
    pub(crate) fn cancel(&self, tables: &Datastore, resource_id: &str) -> bool {
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((job, written)) = jobs.get_mut(resource_id).filter(|(job, _)| job.status == "pending")
        else {
            return false;
        };
        let message = "The load was cancelled before it started".to_owned();
        let now = Timestamp::now().to_string();
        job.logs.push(LogLine { timestamp: now.clone(), message: message.clone(), level: "WARNING".into() });
        job.status = "error".into();
        job.error = Some(message);
        job.last_updated = now;
        persist(tables, resource_id, job);
        *written = Instant::now();
        true
    }

    fn log(&self, tables: &Datastore, resource_id: &str, level: &str, message: String) {
        self.update(tables, resource_id, |job| {
            job.logs.push(LogLine { timestamp: Timestamp::now().to_string(), message, level: level.into() });
        });
    }

    /// Loads stored as pending or running when the server starts were cut off by a stop of
    /// the server that ran them: they are marked failed, saying so.
    pub fn fail_interrupted(tables: &Datastore) {
        let unfinished = match tables.unfinished_loads() {
            Ok(unfinished) => unfinished,
            Err(error) => {
                log::warn!("could not read the unfinished loads: {error}");
                return;
            }
        };
        for (resource_id, text) in unfinished {
            let Ok(mut job) = serde_json::from_str::<LoadStatus>(&text) else { continue };
            let message = "The load was interrupted: the server stopped before it finished. \
                           The previous table, if any, is unchanged; submit the load again."
                .to_owned();
            let now = Timestamp::now().to_string();
            job.status = "error".into();
            job.error = Some(message.clone());
            job.logs.push(LogLine { timestamp: now.clone(), message, level: "ERROR".into() });
            job.last_updated = now;
            persist(tables, &resource_id, &job);
        }
    }
}

fn persist(tables: &Datastore, resource_id: &str, job: &LoadStatus) {
    let saved = serde_json::to_string(job)
        .map_err(|e| e.to_string())
        .and_then(|text| tables.save_load_status(resource_id, &job.status, &text).map_err(|e| e.to_string()));
    if let Err(error) = saved {
        log::warn!("could not store the load status of {resource_id}: {error}");
    }
}

/// Reads a CSV, TSV or XLSX file into the resource's table (a new table swapped in): the
/// CLI's `datastore load` and the background loads. `progress` gets the rows written so far.
pub fn load_file(
    service: &DatastoreService,
    resource_id: &str,
    path: &Path,
    hint: Option<&str>,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, String> {
    let format = ingest::detect_format(path, hint).map_err(|e| e.to_string())?;
    let analysis = ingest::analyse(path, format).map_err(|e| e.to_string())?;
    let fields: Vec<FieldSpec> = analysis
        .columns
        .iter()
        .map(|c| FieldSpec { id: c.id.clone(), type_: Some(c.type_.to_owned()), info: None })
        .collect();
    let rows = ingest::rows(path, &analysis).map_err(|e| e.to_string())?;
    let mut rows = rows.map(|row| row.map_err(|e| DatastoreError::Validation(invalid_row(&e.to_string()))));
    service.tables.load(resource_id, &fields, &mut rows, progress).map_err(|e| match e {
        DatastoreError::Validation(fields) => fields
            .values()
            .filter_map(|v| v.as_array())
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })
}

/// Loads a file into a resource's table as `actor` (who must be allowed to edit the resource)
/// and marks the resource `datastore_active`: the CLI's `datastore load`.
pub fn load_resource_file(
    services: &crate::Services,
    actor: datahavn_domain::user::Actor,
    resource_id: &str,
    path: &Path,
    hint: Option<&str>,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, String> {
    let ctx = Context::new(actor, services, None);
    let service = service(&ctx).map_err(|e| e.to_string())?;
    target(&ctx, resource_id, Privilege::Edit).map_err(|e| describe(&e))?;
    // The file's own name and content say what it is, unless the caller says otherwise.
    let rows = load_file(service, resource_id, path, hint, progress)?;
    let found = target(&ctx, resource_id, Privilege::Edit).map_err(|e| describe(&e))?;
    mark_active(&ctx, &found, true).map_err(|e| describe(&e))?;
    Ok(rows)
}

/// What the resource says its file is: its `format`, else its URL's file extension.
fn format_hint(resource: &serde_json::Map<String, Value>) -> Option<String> {
    let format = resource.get("format").and_then(Value::as_str).map(str::trim).filter(|f| !f.is_empty());
    if let Some(format) = format {
        return Some(format.to_owned());
    }
    let url = resource.get("url").and_then(Value::as_str)?;
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    let (_, extension) = name.rsplit_once('.')?;
    Some(extension.to_ascii_lowercase())
}

fn describe(error: &ActionError) -> String {
    match error {
        ActionError::NotFound(Some(reason)) => format!("Not found: {reason}"),
        ActionError::NotAuthorized(Some(reason)) => format!("Access denied: {reason}"),
        other => other.to_string(),
    }
}

fn invalid_row(message: &str) -> serde_json::Map<String, Value> {
    let mut dict = serde_json::Map::new();
    dict.insert("records".into(), json!([message]));
    dict
}

/// The formats a new upload is loaded into the DataStore for, by itself (xloader's
/// `ckanext.xloader.formats` that it can read).
const LOADED_FORMATS: &[&str] = &["csv", "tsv", "xlsx", "text/csv", "text/tab-separated-values"];

/// After a file was uploaded to a resource: a CSV, TSV or XLSX is loaded into the DataStore in
/// the background, as xloader does on upload. Failing to start is logged, never the call's error.
pub fn load_upload(services: &crate::Services, actor: datahavn_domain::user::Actor, resource: &Value) {
    if services.datastore.is_none() {
        return;
    }
    let Some(id) = resource.get("id").and_then(Value::as_str) else { return };
    let format =
        resource.get("format").and_then(Value::as_str).unwrap_or_default().trim().to_ascii_lowercase();
    let named = resource.get("url").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    let loadable = LOADED_FORMATS.contains(&format.as_str())
        || (format.is_empty() && [".csv", ".tsv", ".xlsx"].iter().any(|e| named.ends_with(e)));
    if !loadable {
        return;
    }
    let ctx = Context::new(actor, services, None);
    if let Err(error) = submit(&ctx, id, None) {
        log::warn!("could not start loading resource {id} into the DataStore: {error}");
    }
}

/// Starts loading the resource's file in the background, as `ctx.actor`. `None` when a load
/// of it is already under way.
pub(crate) fn submit(
    ctx: &Context<'_>,
    resource_id: &str,
    set_url_type: Option<bool>,
) -> ActionResult<Option<String>> {
    let service = service(ctx)?;
    let found = target(ctx, resource_id, Privilege::Edit)?;
    let url = found.resource.get("url").and_then(Value::as_str).unwrap_or_default().to_owned();
    let hint = format_hint(&found.resource);
    let Some(job_id) = service.jobs.begin(&service.tables, resource_id) else {
        return Ok(None);
    };
    let services = ctx.services.clone();
    let actor = ctx.actor.clone();
    let resource_id = resource_id.to_owned();
    let _ = set_url_type;
    let started_job = job_id.clone();
    std::thread::Builder::new()
        .name(format!("load {resource_id}"))
        .spawn(move || {
            let ctx = Context::new(actor, &services, None);
            run_load(&ctx, &resource_id, &started_job, &url, hint.as_deref());
        })
        .map_err(|e| ActionError::Internal(format!("cannot start a load: {e}")))?;
    Ok(Some(job_id))
}

fn run_load(ctx: &Context<'_>, resource_id: &str, job_id: &str, url: &str, hint: Option<&str>) {
    let Ok(service) = service(ctx) else { return };
    let (jobs, tables) = (&service.jobs, &service.tables);
    if !jobs.start(tables, resource_id, job_id) {
        return;
    }
    jobs.log(tables, resource_id, "INFO", format!("Fetching {url}"));
    let outcome = (|| -> Result<u64, String> {
        let file = fetch(ctx, service, resource_id, url)?;
        // On SQLite the load's transaction holds the database's one write lock until it ends:
        // loads take turns, and the row count is kept in memory meanwhile (written at the end).
        let sqlite = tables.dialect() == datahavn_datastore::guard::Dialect::Sqlite;
        let _turn = sqlite.then(|| jobs.sqlite_turn.lock().unwrap_or_else(PoisonError::into_inner));
        jobs.log(tables, resource_id, "INFO", "Loading rows".into());
        let mut progress =
            |rows: u64| jobs.update_with(tables, resource_id, !sqlite, |job| job.rows_loaded = rows);
        let rows = load_file(service, resource_id, file.path(), hint, &mut progress)?;
        let found = target(ctx, resource_id, Privilege::Edit).map_err(|e| e.to_string())?;
        mark_active(ctx, &found, true).map_err(|e| e.to_string())?;
        Ok(rows)
    })();
    match outcome {
        Ok(rows) => {
            jobs.update(tables, resource_id, |job| {
                job.status = "complete".into();
                job.rows_loaded = rows;
            });
            jobs.log(tables, resource_id, "INFO", format!("Loaded {rows} rows"));
        }
        Err(message) => {
            log::warn!("load of resource {resource_id} failed: {message}");
            jobs.log(tables, resource_id, "ERROR", message.clone());
            jobs.update(tables, resource_id, |job| {
                job.status = "error".into();
                job.error = Some(message);
            });
        }
    }
}

/// The resource's file in a temporary file: an uploaded file from the file store, or the
/// resource's URL fetched (at most the configured size).
fn fetch(
    ctx: &Context<'_>,
    service: &DatastoreService,
    resource_id: &str,
    url: &str,
) -> Result<tempfile::NamedTempFile, String> {
    let mut file = tempfile::NamedTempFile::new().map_err(|e| format!("temporary file: {e}"))?;
    let limit = service.settings.max_load_bytes;
    let stored = ctx.store().read(|tx| tx.resource_file(resource_id)).map_err(|e| e.to_string())?;
    if let Some(stored) = stored {
        ctx.services
            .files
            .copy_to(&stored.object_key, file.as_file_mut(), limit)
            .map_err(|e| format!("Cannot read the uploaded file: {e}"))?;
        return Ok(file);
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("Cannot fetch {url:?}: not an http(s) URL"));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(600)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| format!("Cannot fetch {url}: {e}"))?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(format!("Cannot fetch {url}: the server answered {status}"));
    }
    let mut reader = response.body_mut().as_reader().take(limit + 1);
    let copied =
        std::io::copy(&mut reader, file.as_file_mut()).map_err(|e| format!("Cannot fetch {url}: {e}"))?;
    if copied > limit {
        return Err(format!("The file is larger than the limit of {limit} bytes"));
    }
    Ok(file)
}

request! {
    /// The resource whose file to load.
    pub struct XloaderSubmitRequest {
        /// The id of the resource.
        pub resource_id: Option<String>,
        /// The older name of `resource_id`.
        pub id: Option<String>,
        /// Accepted; the resource's `url_type` is kept.
        pub set_url_type: Option<bool>,
        /// Accepted; every load reads the file again.
        #[allow(dead_code)]
        pub ignore_hash: Option<bool>,
        /// Accepted; loads always run in the background.
        #[allow(dead_code)]
        pub sync: Option<bool>,
        /// Accepted; there is one queue.
        #[allow(dead_code)]
        pub queue: Option<String>,
    }
}

const SUBMIT_ERRORS: &[(u16, &str)] = &[
    (403, "Not allowed to edit the resource's dataset"),
    (404, "No such resource"),
    (409, "`resource_id` missing"),
];

pub const XLOADER_SUBMIT: Action = Action {
    name: "xloader_submit",
    side_effect_free: false,
    tag: "datastore",
    doc: "Submit a job to load the resource's file into the DataStore.\n\n\
          The file (the upload, or the resource's URL fetched) is read as CSV, TSV or XLSX, its \
          column types inferred over every row, and loaded into a new table that replaces the \
          old one when complete; a failed load keeps the old table. Follow it with \
          xloader_status.\n\n\
          :returns: ``True`` if the job has been submitted and ``False`` if a load of the \
          resource is already under way.\n:rtype: bool",
    request: request_doc::<XloaderSubmitRequest>,
    response: response_doc::<bool>,
    errors: SUBMIT_ERRORS,
    run: |ctx, params| {
        no_junk(params, XloaderSubmitRequest::FIELDS)?;
        let request = XloaderSubmitRequest::parse(params)?;
        let resource_id = super::named_resource(&request.resource_id, &request.id)?;
        Ok(Value::Bool(submit(ctx, &resource_id, request.set_url_type)?.is_some()))
    },
};

pub const DATASTORE_LOAD: Action = Action {
    name: "datastore_load",
    side_effect_free: false,
    tag: "datastore",
    doc: "Load the resource's file into the DataStore in the background (xloader_submit under \
          the DataStore's own name).\n\n\
          :returns: ``True`` if the job has been submitted and ``False`` if a load of the \
          resource is already under way.\n:rtype: bool",
    request: request_doc::<XloaderSubmitRequest>,
    response: response_doc::<bool>,
    errors: SUBMIT_ERRORS,
    run: |ctx, params| (XLOADER_SUBMIT.run)(ctx, params),
};

request! {
    /// The resource whose load to report.
    pub struct XloaderStatusRequest {
        /// The id of the resource.
        pub resource_id: Option<String>,
        /// The older name of `resource_id`.
        pub id: Option<String>,
    }
}

pub const XLOADER_STATUS: Action = Action {
    name: "xloader_status",
    side_effect_free: true,
    tag: "datastore",
    doc: "Get the status of the load of a resource's file.\n\n\
          :returns: `status` (`pending`, `running`, `complete` or `error`), `job_id`, \
          `last_updated`, `task_info` (rows loaded, the log) and `error`\n:rtype: dictionary",
    request: request_doc::<XloaderStatusRequest>,
    response: response_doc::<crate::dto::XloaderStatus>,
    errors: &[
        (403, "Not allowed to edit the resource's dataset"),
        (404, "No such resource, or no load of it"),
        (409, "`resource_id` missing"),
    ],
    run: |ctx, params| {
        let request = XloaderStatusRequest::parse(params)?;
        let resource_id = super::named_resource(&request.resource_id, &request.id)?;
        target(ctx, &resource_id, Privilege::Edit)?;
        let service = service(ctx)?;
        let status = service
            .jobs
            .status(&service.tables, &resource_id)
            .ok_or_else(|| ActionError::not_found("Task not found"))?;
        Ok(json!({
            "status": status.status,
            "job_id": status.job_id,
            "job_url": null,
            "last_updated": status.last_updated,
            "task_info": {
                "job_id": status.job_id,
                "status": status.status,
                "rows_loaded": status.rows_loaded,
                "error": status.error,
                "logs": status.logs,
            },
            "error": status.error.as_ref().map(|message| json!({"message": message})),
        }))
    },
};

/// The load status a `datastore_info` answer carries, when a load of the resource is known.
pub(crate) fn load_meta(service: &DatastoreService, resource_id: &str) -> Option<Value> {
    let status = service.jobs.status(&service.tables, resource_id)?;
    Some(json!({"status": status.status, "rows_loaded": status.rows_loaded, "error": status.error,
        "last_updated": status.last_updated}))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn tables() -> (tempfile::TempDir, Datastore) {
        let dir = tempfile::tempdir().unwrap();
        let url = datahavn_datastore::DatastoreUrl::Sqlite(dir.path().join("datastore.db"));
        let tables = Datastore::open(&url, 1).unwrap();
        (dir, tables)
    }

    #[test]
    fn a_waiting_load_is_cancelled_and_never_starts() {
        let (_dir, tables) = tables();
        let jobs = LoadJobs::default();
        let job_id = jobs.begin(&tables, "r1").unwrap();
        assert_eq!(jobs.unfinished(&tables).len(), 1);
        assert!(jobs.cancel(&tables, "r1"));
        assert!(!jobs.start(&tables, "r1", &job_id));
        let status = jobs.status(&tables, "r1").unwrap();
        assert_eq!(status.status, "error");
        assert_eq!(status.error.as_deref(), Some("The load was cancelled before it started"));
        assert!(jobs.unfinished(&tables).is_empty());
        // Stored too, as other processes see it.
        let stored: LoadStatus = serde_json::from_str(&tables.load_status("r1").unwrap().unwrap()).unwrap();
        assert_eq!(stored.status, "error");
    }

    #[test]
    fn a_running_load_is_not_cancelled() {
        let (_dir, tables) = tables();
        let jobs = LoadJobs::default();
        let job_id = jobs.begin(&tables, "r1").unwrap();
        assert!(jobs.start(&tables, "r1", &job_id));
        assert!(!jobs.cancel(&tables, "r1"));
        assert_eq!(jobs.status(&tables, "r1").unwrap().status, "running");
        assert!(!jobs.start(&tables, "r1", &job_id));
    }
}
