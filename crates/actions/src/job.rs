//! CKAN's background job actions over datahavn's own background work: `job_list`,
//! `job_show`, `job_cancel`, `job_clear` (sysadmins only).
//!
//! CKAN lists the jobs waiting in its RQ queues. datahavn runs its background work in its own
//! process and shows it as two queues:
//!
//! - `default`: DataStore loads (`xloader_submit`, `datastore_load`, uploads), where
//!   ckanext-xloader puts them; the job id is the load's `job_id` (`xloader_status`). A load
//!   waits only until its thread starts, so it is usually listed running.
//! - `harvest`: harvest jobs that are `New` or `Running`; the job id is the harvest job's id.
//!
//! A job is listed while it waits or runs (an RQ queue holds waiting jobs only: datahavn's
//! rarely wait). Applying the database's changes to the search index is no job: every search
//! applies what is pending first.

use datahavn_domain::Timestamp;
use datahavn_domain::ValidationErrors;
use datahavn_domain::harvest::{HarvestJob, job_status};
use datahavn_domain::params::Params;
use serde_json::Value;

use crate::args::{plain_error, sysadmin_only};
use crate::dto::JobDict;
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// The queue of DataStore loads.
pub const DEFAULT_QUEUE: &str = "default";
/// The queue of harvest jobs.
pub const HARVEST_QUEUE: &str = "harvest";
/// CKAN's `ckan.jobs.default_list_limit`.
const DEFAULT_LIST_LIMIT: i64 = 200;

/// What a job is, beside its dict.
enum Work {
    /// A load of this resource; whether this process runs it.
    Load {
        resource_id: String,
        here: bool,
        running: bool,
    },
    Harvest(HarvestJob),
}

struct Job {
    dict: JobDict,
    work: Work,
}

/// CKAN's job time: whole seconds.
fn created(text: &str) -> String {
    text.chars().take(19).collect()
}

/// The DataStore loads that are not finished, oldest first.
fn loads(ctx: &Context<'_>) -> ActionResult<Vec<Job>> {
    let Some(service) = ctx.services.datastore.as_deref() else { return Ok(Vec::new()) };
    let unfinished = service.jobs.unfinished(&service.tables);
    let mut jobs = Vec::new();
    for (resource_id, status, here) in unfinished {
        let package_id = ctx.store().read(|tx| tx.resource_by_id(&resource_id))?.map(|r| r.package_id);
        let submitted =
            status.logs.first().map_or(status.last_updated.as_str(), |line| line.timestamp.as_str());
        jobs.push(Job {
            dict: JobDict {
                id: status.job_id.clone(),
                title: Some(format!(
                    "xloader_submit: package: {} resource: {resource_id}",
                    package_id.as_deref().unwrap_or("None")
                )),
                created: created(submitted),
                queue: DEFAULT_QUEUE.into(),
            },
            work: Work::Load { resource_id, here, running: status.status == "running" },
        });
    }
    jobs.sort_by(|a, b| a.dict.created.cmp(&b.dict.created));
    Ok(jobs)
}

/// The harvest jobs waiting or running, oldest first.
fn harvests(ctx: &Context<'_>) -> ActionResult<Vec<Job>> {
    ctx.store().read(|tx| {
        let mut found = tx.harvest_jobs(None, Some(job_status::NEW))?;
        found.extend(tx.harvest_jobs(None, Some(job_status::RUNNING))?);
        found.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        let mut jobs = Vec::new();
        for job in found {
            let source = tx.harvest_source(&job.source_id)?.map_or_else(|| job.source_id.clone(), |s| s.name);
            jobs.push(Job {
                dict: JobDict {
                    id: job.id.clone(),
                    title: Some(format!("harvest: source: {source}")),
                    created: created(&Timestamp::to_ckan_string(job.created)),
                    queue: HARVEST_QUEUE.into(),
                },
                work: Work::Harvest(job),
            });
        }
        Ok::<_, ActionError>(jobs)
    })
}

/// The jobs of `queue` (a name datahavn does not use has none).
fn queue_jobs(ctx: &Context<'_>, queue: &str) -> ActionResult<Vec<Job>> {
    match queue {
        DEFAULT_QUEUE => loads(ctx),
        HARVEST_QUEUE => harvests(ctx),
        _ => Ok(Vec::new()),
    }
}

/// Every queue, in the order CKAN's workers would take them.
const QUEUES: &[&str] = &[DEFAULT_QUEUE, HARVEST_QUEUE];

/// CKAN's `list_of_strings` (after `ignore_missing`).
fn queues(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<Vec<String>>> {
    match params.get(key) {
        None => Ok(None),
        Some(Value::Array(items)) => {
            let mut names = Vec::new();
            for item in items {
                match item {
                    Value::String(name) => names.push(name.clone()),
                    other => {
                        errors.add(key, format!("Not a string: {}", python_text(other)));
                        return Ok(None);
                    }
                }
            }
            Ok(Some(names))
        }
        Some(_) => {
            errors.add(key, "Not a list");
            Ok(None)
        }
    }
}

/// A value as Python's `%s` prints it.
fn python_text(value: &Value) -> String {
    match value {
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

/// CKAN's `int_validator`: whole numbers, as numbers or text; blank is none.
fn limit(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<i64>> {
    let parsed = match params.get(key) {
        None => return Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => return Ok(None),
        Some(Value::String(text)) => text.trim().parse::<i64>().ok(),
        Some(Value::Number(n)) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        }
        Some(_) => None,
    };
    if parsed.is_none() {
        errors.add(key, "Invalid integer");
    }
    Ok(parsed)
}

/// CKAN's `boolean_validator`: never an error.
fn ids_only(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<bool> {
    Ok(match params.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => ["true", "yes", "t", "y", "1"].contains(&s.to_lowercase().as_str()),
        _ => false,
    })
}

request! {
    /// Which jobs to list.
    pub struct JobListRequest {
        /// Queues to list jobs from (``default``, ``harvest``). If not given then the jobs from
        /// all queues are listed.
        #[schema(value_type = Option<Vec<String>>)]
        pub queues: Option<Vec<String>> => queues,
        /// Number to limit the list of jobs by (default 200).
        #[schema(value_type = Option<i64>)]
        pub limit: Option<i64> => limit,
        /// Whether to return only a list of job IDs (CKAN's `boolean_validator`: any value,
        /// truthy or not, never an error).
        #[schema(value_type = Option<serde_json::Value>)]
        pub ids_only: bool => ids_only,
    }
}

/// Python's `items[:limit]`.
fn head<T>(mut items: Vec<T>, limit: i64) -> Vec<T> {
    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let keep = if limit < 0 { (len + limit).max(0) } else { limit.min(len) };
    items.truncate(usize::try_from(keep).unwrap_or(0));
    items
}

pub const JOB_LIST: Action = Action {
    name: "job_list",
    side_effect_free: true,
    tag: "site",
    doc: "List enqueued background jobs: DataStore loads (queue ``default``) and harvest jobs \
          (queue ``harvest``) that wait or run. Sysadmins only.\n\n\
          Will return the list in the way workers would take the jobs: the left most non-empty \
          queue first.\n\n\
          :returns: The currently enqueued background jobs.\n:rtype: list",
    request: request_doc::<JobListRequest>,
    response: response_doc::<Vec<JobDict>>,
    errors: &[(403, "Not a sysadmin"), (409, "`queues` not a list of strings; `limit` not an integer")],
    run: |ctx, params| {
        let request = JobListRequest::parse(params)?;
        sysadmin_only(ctx, "job_list", None)?;
        let limit = request.limit.unwrap_or(DEFAULT_LIST_LIMIT);
        let names: Vec<String> = match request.queues.filter(|q| !q.is_empty()) {
            Some(names) => names,
            None => QUEUES.iter().map(|q| (*q).to_owned()).collect(),
        };
        let mut listed: Vec<Value> = Vec::new();
        for name in &names {
            let jobs = head(queue_jobs(ctx, name)?, limit);
            for job in jobs {
                listed.push(if request.ids_only { Value::String(job.dict.id) } else { to_json(&job.dict)? });
            }
            if limit > 0 && i64::try_from(listed.len()).unwrap_or(i64::MAX) > limit {
                return Ok(Value::Array(head(listed, limit)));
            }
        }
        Ok(Value::Array(listed))
    },
};

request! {
    /// The job.
    pub struct JobIdRequest {
        /// The ID of the background job.
        pub id: String,
    }
}

/// The job with this id, waiting or running.
fn find(ctx: &Context<'_>, id: &str) -> ActionResult<Job> {
    for queue in QUEUES {
        if let Some(job) = queue_jobs(ctx, queue)?.into_iter().find(|job| job.dict.id == id) {
            return Ok(job);
        }
    }
    Err(ActionError::NotFound(None))
}

pub const JOB_SHOW: Action = Action {
    name: "job_show",
    side_effect_free: true,
    tag: "site",
    doc: "Show details for a background job that waits or runs. Sysadmins only.\n\n\
          :returns: Details about the background job.\n:rtype: dict",
    request: request_doc::<JobIdRequest>,
    response: response_doc::<JobDict>,
    errors: &[(403, "Not a sysadmin"), (404, "No such job waiting or running"), (409, "`id` missing")],
    run: |ctx, params| {
        sysadmin_only(ctx, "job_show", None)?;
        let request = JobIdRequest::parse(params)?;
        to_json(&find(ctx, &request.id)?.dict)
    },
};

/// Why a running DataStore load cannot be cancelled.
fn running_load(id: &str) -> ActionError {
    plain_error("message", format!("Job {id} is already running and cannot be cancelled"))
}

/// Cancels a job: a harvest job is aborted (waiting or running), a DataStore load only while
/// it waits to start.
fn cancel(ctx: &Context<'_>, job: Job) -> ActionResult<()> {
    match job.work {
        Work::Harvest(harvest) => ctx.store().write(|tx| {
            crate::harvest::abort_job(tx, harvest, "Cancelled by a sysadmin (job_cancel)")?;
            Ok::<_, ActionError>(())
        }),
        Work::Load { resource_id, here, running } => {
            let service = ctx.services.datastore.as_deref().ok_or(ActionError::NotFound(None))?;
            if running || !here || !service.jobs.cancel(&service.tables, &resource_id) {
                return Err(running_load(&job.dict.id));
            }
            Ok(())
        }
    }
}

pub const JOB_CANCEL: Action = Action {
    name: "job_cancel",
    side_effect_free: false,
    tag: "site",
    doc: "Cancel a queued background job. Sysadmins only.\n\n\
          A harvest job is aborted, waiting or running (as harvest_job_abort does). A DataStore \
          load can be cancelled only before it starts: a running load is refused (409).\n\n\
          :rtype: null",
    request: request_doc::<JobIdRequest>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Not a sysadmin"),
        (404, "No such job waiting or running"),
        (
            409,
            "`id` missing, or `Job <id> is already running and cannot be cancelled` (a \
               DataStore load)",
        ),
    ],
    run: |ctx, params| {
        sysadmin_only(ctx, "job_cancel", None)?;
        let request = JobIdRequest::parse(params)?;
        let job = find(ctx, &request.id)?;
        cancel(ctx, job)?;
        log::info!("Cancelled background job {}", request.id);
        Ok(Value::Null)
    },
};

request! {
    /// The queues to clear.
    pub struct JobClearRequest {
        /// The queues to clear (``default``, ``harvest``). If not given then all queues are
        /// cleared.
        #[schema(value_type = Option<Vec<String>>)]
        pub queues: Option<Vec<String>> => queues,
    }
}

pub const JOB_CLEAR: Action = Action {
    name: "job_clear",
    side_effect_free: false,
    tag: "site",
    doc: "Clear background job queues: every job waiting in them is cancelled. Does not affect \
          jobs that are already being processed. Sysadmins only.\n\n\
          :returns: The cleared queues.\n:rtype: list",
    request: request_doc::<JobClearRequest>,
    response: response_doc::<Vec<String>>,
    errors: &[(403, "Not a sysadmin"), (409, "`queues` not a list of strings")],
    run: |ctx, params| {
        let request = JobClearRequest::parse(params)?;
        sysadmin_only(ctx, "job_clear", None)?;
        let names: Vec<String> = match request.queues.filter(|q| !q.is_empty()) {
            Some(names) => names,
            None => QUEUES.iter().map(|q| (*q).to_owned()).collect(),
        };
        for name in &names {
            for job in queue_jobs(ctx, name)? {
                let waiting = match &job.work {
                    Work::Harvest(harvest) => harvest.status == job_status::NEW,
                    Work::Load { here, running, .. } => *here && !running,
                };
                if waiting {
                    // A load may have started meanwhile: it is left to finish.
                    if let Err(error) = cancel(ctx, job) {
                        log::debug!("job not cleared: {error}");
                    }
                }
            }
            log::info!("Cleared background job queue \"{name}\"");
        }
        to_json(&names)
    },
};
