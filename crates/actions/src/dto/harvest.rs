//! The harvest actions' dicts, as ckanext-harvest returns them.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A harvest source (`harvest_source_show`): the dict of the `harvest` dataset ckanext-harvest
/// keeps it as, with its `status`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HarvestSourceDict {
    pub id: String,
    pub name: String,
    pub title: String,
    /// Always `harvest`.
    pub r#type: String,
    pub url: String,
    pub notes: String,
    /// `ckan`, `dcat_rdf` or `dcat_json`.
    pub source_type: String,
    /// `MANUAL`, `DAILY`, `WEEKLY`, `BIWEEKLY`, `MONTHLY` or `ALWAYS`.
    pub frequency: String,
    /// The configuration: JSON text, or empty.
    pub config: String,
    pub owner_org: Option<String>,
    /// The organization's summary.
    #[schema(value_type = Option<Object>)]
    pub organization: Option<Value>,
    pub private: bool,
    /// `active` or `deleted`.
    pub state: String,
    /// Whether the source is active (ckanext-harvest's compatibility field).
    pub active: bool,
    pub creator_user_id: Option<String>,
    pub metadata_created: String,
    pub metadata_modified: String,
    /// `{key, value}` dicts.
    #[schema(value_type = Vec<Object>)]
    pub extras: Vec<Value>,
    /// When the scheduler starts the next job (none for manual sources).
    pub next_run: Option<String>,
    pub status: HarvestSourceStatus,
}

/// `harvest_source_show_status`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HarvestSourceStatus {
    pub job_count: u64,
    /// The newest job, with its counts and error summaries.
    pub last_job: Option<HarvestJobDict>,
    /// Active public datasets made by the source.
    pub total_datasets: i64,
}

/// A harvest job.
#[derive(Debug, Serialize, ToSchema)]
pub struct HarvestJobDict {
    pub id: String,
    pub created: String,
    pub gather_started: Option<String>,
    pub gather_finished: Option<String>,
    pub finished: Option<String>,
    pub source_id: String,
    /// `New`, `Running`, `Finished`, `Aborted` (stopped by `harvest_job_abort` or its time
    /// limit) or `Failed` (the process running it stopped).
    pub status: String,
    pub stats: HarvestJobStats,
    /// The most frequent object error messages (`harvest_job_show` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_error_summary: Option<Vec<ErrorCount>>,
    /// The most frequent gather error messages (`harvest_job_show` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gather_error_summary: Option<Vec<ErrorCount>>,
}

/// How many remote datasets a job added, updated, found unchanged, deleted, or failed on
/// (gather errors counted among the latter).
#[derive(Debug, Serialize, ToSchema)]
pub struct HarvestJobStats {
    pub added: i64,
    pub updated: i64,
    #[serde(rename = "not modified")]
    #[schema(rename = "not modified")]
    pub not_modified: i64,
    pub errored: i64,
    pub deleted: i64,
}

/// One error message and how often it occurred.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorCount {
    pub message: String,
    pub error_count: u64,
}

/// A harvest object: one remote dataset handled by a job.
#[derive(Debug, Serialize, ToSchema)]
pub struct HarvestObjectDict {
    pub id: String,
    /// The remote identifier.
    pub guid: String,
    pub current: bool,
    pub gathered: String,
    /// The remote record as fetched (JSON text); null when not kept.
    pub content: Option<String>,
    pub import_finished: Option<String>,
    /// `COMPLETE` or `ERROR`.
    pub state: String,
    pub metadata_modified_date: Option<String>,
    pub harvest_job_id: String,
    pub harvest_source_id: String,
    pub package_id: Option<String>,
    /// `added`, `updated`, `deleted` or `errored`.
    pub report_status: String,
    pub source: String,
    pub job: String,
    pub package: Option<String>,
    pub errors: Vec<HarvestObjectError>,
    #[schema(value_type = Object)]
    pub extras: Value,
}

/// An error of a harvest object.
#[derive(Debug, Serialize, ToSchema)]
pub struct HarvestObjectError {
    pub id: String,
    pub harvest_object_id: String,
    pub message: String,
    /// `Fetch` or `Import`.
    pub stage: String,
    pub line: Option<i64>,
    pub created: String,
}

/// One line of the harvest log.
#[derive(Debug, Serialize, ToSchema)]
pub struct HarvestLogLine {
    pub content: String,
    /// `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`.
    pub level: String,
    pub created: String,
}

/// `harvest_source_clear`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct HarvestSourceCleared {
    pub id: String,
}
