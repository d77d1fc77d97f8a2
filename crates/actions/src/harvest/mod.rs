//! The harvest actions (ckanext-harvest's): sources, jobs, objects and the log. The harvesting
//! itself runs elsewhere (crate `datahavn-harvest`), behind [`HarvestRunner`]; these actions
//! keep the records and start jobs.
//!
//! A source is a record of its own here, not a dataset of type `harvest` as in ckanext-harvest:
//! `harvest_source_show` answers the dict ckanext-harvest's `package_show` gives, and no dataset
//! list or search ever shows a source. Who may see or change a source follows the rules of a
//! dataset of the source's organization.

mod jobs;
mod sources;

use datahavn_domain::Timestamp;
use datahavn_domain::authz::{self, Memberships};
use datahavn_domain::harvest::{HarvestJob, HarvestSource, LogEntry};
use datahavn_storage::Tx;

use crate::dto::{ErrorCount, HarvestJobDict, HarvestJobStats, HarvestSourceDict, HarvestSourceStatus};
use crate::{ActionError, ActionResult};

pub use jobs::{
    HARVEST_JOB_ABORT, HARVEST_JOB_CREATE, HARVEST_JOB_LIST, HARVEST_JOB_SHOW, HARVEST_LOG_LIST,
    HARVEST_OBJECT_SHOW, abort_job, create_job, job_show,
};
pub use sources::{
    HARVEST_SOURCE_CLEAR, HARVEST_SOURCE_CREATE, HARVEST_SOURCE_DELETE, HARVEST_SOURCE_LIST,
    HARVEST_SOURCE_PATCH, HARVEST_SOURCE_SHOW, HARVEST_SOURCE_SHOW_STATUS, HARVEST_SOURCE_UPDATE,
};

/// What runs harvest jobs in the background: the server's runner. Without one, jobs made by
/// `harvest_job_create` wait for `datahavn harvest run`.
pub trait HarvestRunner: Send + Sync {
    /// Starts a `New` job (its id).
    fn submit(&self, job_id: &str);
}

/// The source named by `id` (id or name), or ckanext-harvest's 404.
pub(crate) fn find_source(tx: &mut Tx<'_>, id: &str) -> ActionResult<HarvestSource> {
    tx.harvest_source(id)?.ok_or_else(|| ActionError::not_found("Harvest source not found"))
}

/// Editing a source (and running, listing and reading its jobs): what editing a dataset of
/// its organization needs.
pub(crate) fn may_edit(who: &Memberships, source: &HarvestSource) -> bool {
    authz::can_edit_package(who, &source.access())
}

pub(crate) fn may_read(who: &Memberships, source: &HarvestSource) -> bool {
    authz::can_read_package(who, &source.access())
}

/// A job's dict; with `summaries`, the most frequent error messages too.
pub(crate) fn job_dict(tx: &mut Tx<'_>, job: &HarvestJob, summaries: bool) -> ActionResult<HarvestJobDict> {
    let gather = tx.harvest_gather_errors(&job.id)?;
    let (object_error_summary, gather_error_summary) = if summaries {
        let objects = tx.harvest_object_error_messages_of_job(&job.id)?;
        (
            Some(count_messages(objects)),
            Some(count_messages(gather.iter().map(|e| e.message.clone()).collect())),
        )
    } else {
        (None, None)
    };
    Ok(HarvestJobDict {
        id: job.id.clone(),
        created: job.created.to_ckan_string(),
        gather_started: job.gather_started.map(Timestamp::to_ckan_string),
        gather_finished: job.gather_finished.map(Timestamp::to_ckan_string),
        finished: job.finished.map(Timestamp::to_ckan_string),
        source_id: job.source_id.clone(),
        status: job.status.clone(),
        stats: HarvestJobStats {
            added: job.stats.added,
            updated: job.stats.updated,
            not_modified: job.stats.unchanged,
            errored: job.stats.errored + i64::try_from(gather.len()).unwrap_or(i64::MAX),
            deleted: job.stats.deleted,
        },
        object_error_summary,
        gather_error_summary,
    })
}

/// Messages with their counts, most frequent first (at most 20).
fn count_messages(messages: Vec<String>) -> Vec<ErrorCount> {
    let mut counts: Vec<ErrorCount> = Vec::new();
    for message in messages {
        match counts.iter_mut().find(|c| c.message == message) {
            Some(count) => count.error_count += 1,
            None => counts.push(ErrorCount { message, error_count: 1 }),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.error_count));
    counts.truncate(20);
    counts
}

/// `harvest_source_show_status` of a source.
pub(crate) fn source_status(tx: &mut Tx<'_>, source: &HarvestSource) -> ActionResult<HarvestSourceStatus> {
    let jobs = tx.harvest_jobs(Some(&source.id), None)?;
    let last_job = match jobs.first() {
        Some(job) => Some(job_dict(tx, job, true)?),
        None => None,
    };
    Ok(HarvestSourceStatus {
        job_count: jobs.len() as u64,
        last_job,
        total_datasets: tx.count_harvested_public(&source.id)?,
    })
}

/// The source's dict, as `harvest_source_show` gives it.
pub(crate) fn source_dict(tx: &mut Tx<'_>, source: &HarvestSource) -> ActionResult<HarvestSourceDict> {
    let organization = match &source.owner_org {
        Some(org) => tx.group_by_id_or_name(org)?.map(|g| g.organization_summary()),
        None => None,
    };
    Ok(HarvestSourceDict {
        id: source.id.clone(),
        name: source.name.clone(),
        title: source.title.clone(),
        r#type: "harvest".into(),
        url: source.url.clone(),
        notes: source.notes.clone(),
        source_type: source.source_type.as_str().into(),
        frequency: source.frequency.as_str().into(),
        config: source.config.clone(),
        owner_org: source.owner_org.clone(),
        organization,
        private: source.private,
        state: source.state.clone(),
        active: source.is_active(),
        creator_user_id: source.creator_user_id.clone(),
        metadata_created: source.created.to_ckan_string(),
        metadata_modified: source.modified.to_ckan_string(),
        extras: source.extras.iter().map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect(),
        next_run: source.next_run.map(Timestamp::to_ckan_string),
        status: source_status(tx, source)?,
    })
}

/// Appends a line to the harvest log (kept to its newest 10,000 lines).
pub fn log_line(tx: &mut Tx<'_>, level: &str, content: String) -> ActionResult<()> {
    tx.insert_harvest_log(&LogEntry {
        id: uuid::Uuid::new_v4().to_string(),
        content,
        level: level.to_owned(),
        created: Timestamp::now(),
    })?;
    Ok(())
}

/// How many lines the harvest log keeps.
pub const LOG_LINES_KEPT: i64 = 10_000;
