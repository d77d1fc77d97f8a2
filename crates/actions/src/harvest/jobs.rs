//! `harvest_job_create|show|list|abort`, `harvest_object_show` and `harvest_log_list`.

use datahavn_domain::Timestamp;
use datahavn_domain::harvest::{HarvestJob, JobStats, job_status};
use datahavn_domain::params::MISSING_VALUE;
use datahavn_storage::Tx;
use serde_json::{Value, json};

use super::{find_source, job_dict, may_edit, may_read};
use crate::access::memberships;
use crate::dto::{HarvestJobDict, HarvestLogLine, HarvestObjectDict, HarvestObjectError};
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

request! {
    /// The source to harvest.
    pub struct HarvestJobCreateRequest {
        /// The id or name of the harvest source.
        pub source_id: String,
        /// Start the job at once (default true); otherwise it waits for `datahavn harvest run`
        /// or a later call.
        pub run: Option<bool>,
    }
}

/// Makes a `New` job for a source, refusing an inactive source or one that already has a job
/// waiting or running. Used by the action and by the scheduler and CLI.
pub fn create_job(tx: &mut Tx<'_>, source_id: &str) -> ActionResult<HarvestJob> {
    let source = tx
        .harvest_source(source_id)?
        .ok_or_else(|| ActionError::not_found(format!("Harvest source {source_id} does not exist")))?;
    if !source.is_active() {
        return Err(ActionError::field("source_id", "Can not create jobs on inactive sources"));
    }
    for status in [job_status::NEW, job_status::RUNNING] {
        if !tx.harvest_jobs(Some(&source.id), Some(status))?.is_empty() {
            return Err(ActionError::field("source_id", "There already is an unrun job for this source"));
        }
    }
    let job = HarvestJob {
        id: uuid::Uuid::new_v4().to_string(),
        source_id: source.id.clone(),
        status: job_status::NEW.into(),
        created: Timestamp::now(),
        gather_started: None,
        gather_finished: None,
        finished: None,
        runner: None,
        heartbeat: None,
        stats: JobStats::default(),
    };
    tx.insert_harvest_job(&job)?;
    Ok(job)
}

pub const HARVEST_JOB_CREATE: Action = Action {
    name: "harvest_job_create",
    side_effect_free: false,
    tag: "harvest",
    doc: "Creates a harvest job for a harvest source and runs it.\n\n\
          The server runs it in the background (gather, fetch, import); follow it with \
          harvest_job_show or harvest_source_show_status. You must be allowed to edit datasets \
          of the source's organization.\n\n:returns: the new job\n:rtype: dictionary",
    request: request_doc::<HarvestJobCreateRequest>,
    response: response_doc::<HarvestJobDict>,
    errors: &[
        (403, "Not allowed to edit datasets of the source's organization"),
        (404, "No such source"),
        (409, "`source_id` missing, the source is inactive, or it has a job waiting or running"),
    ],
    run: |ctx, params| {
        let request = HarvestJobCreateRequest::parse(params)?;
        let job = ctx.store().write(|tx| {
            let source = tx.harvest_source(&request.source_id)?.ok_or_else(|| {
                ActionError::not_found(format!("Harvest source {} does not exist", request.source_id))
            })?;
            let who = memberships(tx, ctx)?;
            if !may_edit(&who, &source) {
                return Err(ActionError::denied(format!(
                    "User not authorized to create a job for source {}",
                    source.id
                )));
            }
            let job = create_job(tx, &source.id)?;
            super::log_line(
                tx,
                "INFO",
                format!("Harvest job {} created for source {}", job.id, source.name),
            )?;
            Ok::<_, ActionError>(job)
        })?;
        if request.run.unwrap_or(true)
            && let Some(runner) = &ctx.services.harvest
        {
            runner.submit(&job.id);
        }
        ctx.store().read(|tx| to_json(&job_dict(tx, &job, false)?))
    },
};

/// The job named by `id`, after the edit check on its source.
fn readable_job(ctx: &Context<'_>, tx: &mut Tx<'_>, id: &str) -> ActionResult<HarvestJob> {
    let job = tx.harvest_job(id)?.ok_or(ActionError::NotFound(None))?;
    let source = find_source(tx, &job.source_id)?;
    let who = memberships(tx, ctx)?;
    if !may_edit(&who, &source) {
        return Err(ActionError::denied(format!(
            "User {} not authorized to see jobs from source {}",
            ctx.actor.name(),
            source.id
        )));
    }
    Ok(job)
}

request! {
    /// The job to show.
    pub struct HarvestJobShowRequest {
        /// The id of the job.
        pub id: String,
    }
}

pub const HARVEST_JOB_SHOW: Action = Action {
    name: "harvest_job_show",
    side_effect_free: true,
    tag: "harvest",
    doc: "Returns a harvest job, with its counts and its most frequent error messages.\n\n\
          You must be allowed to edit datasets of the source's organization.\n\n:rtype: dictionary",
    request: request_doc::<HarvestJobShowRequest>,
    response: response_doc::<HarvestJobDict>,
    errors: &[(403, "Not allowed to edit the source"), (404, "No such job"), (409, "`id` missing")],
    run: |ctx, params| {
        let request = HarvestJobShowRequest::parse(params)?;
        ctx.store().read(|tx| {
            let job = readable_job(ctx, tx, &request.id)?;
            to_json(&job_dict(tx, &job, true)?)
        })
    },
};

request! {
    /// Which jobs to list.
    pub struct HarvestJobListRequest {
        /// The id or name of the harvest source.
        pub source_id: String,
        /// Only jobs in this status (`New`, `Running`, `Finished`, `Aborted`, `Failed`).
        pub status: Option<String>,
    }
}

pub const HARVEST_JOB_LIST: Action = Action {
    name: "harvest_job_list",
    side_effect_free: true,
    tag: "harvest",
    doc: "Returns the jobs of a harvest source, newest first, with their counts.\n\n\
          Old jobs are kept up to the server's `--harvest-keep-jobs`. You must be allowed to \
          edit datasets of the source's organization.\n\n:rtype: list of dictionaries",
    request: request_doc::<HarvestJobListRequest>,
    response: response_doc::<Vec<HarvestJobDict>>,
    errors: &[(403, "Not allowed to edit the source"), (404, "No such source"), (409, "`source_id` missing")],
    run: |ctx, params| {
        let request = HarvestJobListRequest::parse(params)?;
        ctx.store().read(|tx| {
            let source = find_source(tx, &request.source_id)?;
            let who = memberships(tx, ctx)?;
            if !may_edit(&who, &source) {
                return Err(ActionError::denied(format!(
                    "User {} not authorized to list jobs for source {}",
                    ctx.actor.name(),
                    source.id
                )));
            }
            let jobs = tx.harvest_jobs(Some(&source.id), request.status.as_deref())?;
            let mut out = Vec::with_capacity(jobs.len());
            for job in &jobs {
                out.push(job_dict(tx, job, false)?);
            }
            to_json(&out)
        })
    },
};

request! {
    /// The job to abort: by id, or the newest job of a source.
    pub struct HarvestJobAbortRequest {
        /// The id of the job.
        pub id: Option<String>,
        /// The id or name of a harvest source: its newest job.
        pub source_id: Option<String>,
    }
}

pub const HARVEST_JOB_ABORT: Action = Action {
    name: "harvest_job_abort",
    side_effect_free: false,
    tag: "harvest",
    doc: "Aborts a harvest job.\n\n\
          A waiting or running job becomes `Aborted`; its runner stops after the dataset it is \
          importing. Sysadmins only.\n\n:returns: the job\n:rtype: dictionary",
    request: request_doc::<HarvestJobAbortRequest>,
    response: response_doc::<HarvestJobDict>,
    errors: &[
        (403, "Not a sysadmin"),
        (404, "No such job or source, or the source has no jobs"),
        (409, "Neither `id` nor `source_id` given"),
    ],
    run: |ctx, params| {
        let request = HarvestJobAbortRequest::parse(params)?;
        if !ctx.actor.is_sysadmin() {
            return Err(ActionError::denied("Only sysadmins can run the pending harvest jobs"));
        }
        ctx.store().write(|tx| {
            let job = match (&request.id, &request.source_id) {
                (Some(id), _) => tx.harvest_job(id)?.ok_or(ActionError::NotFound(None))?,
                (None, Some(source)) => {
                    let source = find_source(tx, source)?;
                    tx.harvest_jobs(Some(&source.id), None)?
                        .into_iter()
                        .next()
                        .ok_or_else(|| ActionError::not_found("Error: source has no jobs"))?
                }
                (None, None) => return Err(ActionError::field("id", MISSING_VALUE)),
            };
            let job = abort_job(tx, job, "Aborted by a user")?;
            to_json(&job_dict(tx, &job, true)?)
        })
    },
};

/// Marks a waiting or running job `Aborted` with a gather error saying why.
pub fn abort_job(tx: &mut Tx<'_>, mut job: HarvestJob, why: &str) -> ActionResult<HarvestJob> {
    if matches!(job.status.as_str(), job_status::NEW | job_status::RUNNING) {
        job.status = job_status::ABORTED.into();
        job.finished = Some(Timestamp::now());
        tx.update_harvest_job(&job)?;
        tx.insert_harvest_gather_error(&datahavn_domain::harvest::GatherError {
            id: uuid::Uuid::new_v4().to_string(),
            job_id: job.id.clone(),
            message: why.to_owned(),
            created: Timestamp::now(),
        })?;
        super::log_line(tx, "WARNING", format!("Harvest job {} aborted: {why}", job.id))?;
    }
    Ok(job)
}

request! {
    /// The object to show: by id, or the current object of a dataset.
    pub struct HarvestObjectShowRequest {
        /// The id of the harvest object.
        pub id: Option<String>,
        /// The id or name of a harvested dataset: its latest object.
        pub dataset_id: Option<String>,
    }
}

pub const HARVEST_OBJECT_SHOW: Action = Action {
    name: "harvest_object_show",
    side_effect_free: true,
    tag: "harvest",
    doc: "Returns a harvest object: one remote dataset handled by a job, with its errors.\n\n\
          Objects are kept for datasets a job added, updated, deleted or failed on, for the \
          jobs the server keeps. Those of private sources are shown to those who may read the \
          source.\n\n:rtype: dictionary",
    request: request_doc::<HarvestObjectShowRequest>,
    response: response_doc::<HarvestObjectDict>,
    errors: &[
        (403, "The source is private and the caller may not read it"),
        (404, "`Not found: Harvest object not found`, or `Not found: Dataset not found`"),
        (409, "Neither `id` nor `dataset_id` given"),
    ],
    run: |ctx, params| {
        let request = HarvestObjectShowRequest::parse(params)?;
        ctx.store().read(|tx| {
            let object = match (&request.id, &request.dataset_id) {
                (Some(id), _) => tx.harvest_object(id)?,
                (None, Some(dataset)) => {
                    let package = tx
                        .package_by_id_or_name(dataset)?
                        .ok_or_else(|| ActionError::not_found("Dataset not found"))?;
                    tx.harvest_object_of_package(&package.id)?
                }
                (None, None) => {
                    return Err(ActionError::field(
                        "id",
                        "Please provide either an \"id\" or a \"dataset_id\" parameter",
                    ));
                }
            };
            let object = object.ok_or_else(|| ActionError::not_found("Harvest object not found"))?;
            if let Some(source) = tx.harvest_source(&object.source_id)? {
                let who = memberships(tx, ctx)?;
                if !may_read(&who, &source) {
                    return Err(ActionError::denied(format!(
                        "User {} not authorized to read harvest source {}",
                        ctx.actor.name(),
                        source.id
                    )));
                }
            }
            let errors = tx
                .harvest_object_errors(&object.id)?
                .into_iter()
                .map(|e| HarvestObjectError {
                    id: e.id,
                    harvest_object_id: e.object_id,
                    message: e.message,
                    stage: e.stage,
                    line: None,
                    created: e.created.to_ckan_string(),
                })
                .collect();
            to_json(&HarvestObjectDict {
                id: object.id.clone(),
                guid: object.guid.clone(),
                current: object.current,
                gathered: object.gathered.to_ckan_string(),
                content: object.content.clone(),
                import_finished: object.import_finished.map(Timestamp::to_ckan_string),
                state: object.state.clone(),
                metadata_modified_date: object.metadata_modified_date.map(Timestamp::to_ckan_string),
                harvest_job_id: object.job_id.clone(),
                harvest_source_id: object.source_id.clone(),
                package_id: object.package_id.clone(),
                report_status: object.report_status.clone(),
                source: object.source_id.clone(),
                job: object.job_id.clone(),
                package: object.package_id.clone(),
                errors,
                extras: json!({}),
            })
        })
    },
};

request! {
    /// Which log lines to list.
    pub struct HarvestLogListRequest {
        /// At most this many lines (default 100).
        pub limit: Option<u64>,
        /// Used for `limit` when given.
        pub per_page: Option<u64>,
        /// Lines to skip (default 0).
        pub offset: Option<u64>,
        /// Only lines of this level (`debug`, `info`, `warning`, `error`, `critical`).
        pub level: Option<String>,
    }
}

pub const HARVEST_LOG_LIST: Action = Action {
    name: "harvest_log_list",
    side_effect_free: true,
    tag: "harvest",
    doc: "Returns a list of harvester log entries, newest first.\n\n\
          Sysadmins only. The log keeps its newest 10,000 lines.\n\n:rtype: list of dictionaries",
    request: request_doc::<HarvestLogListRequest>,
    response: response_doc::<Vec<HarvestLogLine>>,
    errors: &[(403, "Not a sysadmin"), (409, "A bad limit or offset")],
    run: |ctx, params| {
        let request = HarvestLogListRequest::parse(params)?;
        if !ctx.actor.is_sysadmin() {
            return Err(ActionError::denied(format!(
                "User {} not authorized to read the harvest log",
                ctx.actor.name()
            )));
        }
        let limit = request.per_page.or(request.limit).unwrap_or(100).min(10_000);
        let offset = request.offset.unwrap_or(0);
        let level = request.level.map(|l| l.to_ascii_uppercase());
        let lines = ctx.store().read(|tx| {
            tx.harvest_log(
                level.as_deref(),
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX),
            )
        })?;
        let out: Vec<HarvestLogLine> = lines
            .into_iter()
            .map(|l| HarvestLogLine {
                content: l.content,
                level: l.level,
                created: l.created.to_ckan_string(),
            })
            .collect();
        to_json(&out)
    },
};

/// A job's dict as `harvest_job_show` gives it (for the CLI).
pub fn job_show(tx: &mut Tx<'_>, job: &HarvestJob) -> ActionResult<Value> {
    to_json(&job_dict(tx, job, true)?)
}
