use serde::Serialize;
use utoipa::ToSchema;

/// `status_show`: what the site is and which API level it speaks.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusShow {
    pub site_title: String,
    pub site_description: String,
    pub site_url: String,
    /// Where error emails go (CKAN's `email_to`); `""` when unset, as in the `ckan.ini` CKAN
    /// generates (`email_to =`).
    pub error_emails_to: String,
    pub locale_default: String,
    /// CKAN extensions whose actions this server answers.
    pub extensions: Vec<String>,
    /// The CKAN API level the server is compatible with.
    #[schema(example = "2.12.0")]
    pub ckan_version: String,
    /// datahavn's own version.
    pub datahavn_version: String,
    /// Whether the database answers: `ok` or `unavailable` (as `/healthz` says).
    #[schema(example = "ok")]
    pub database: String,
    /// How far this process's search index has applied the database's change log.
    pub search_index: SearchIndexStatus,
}

/// The search index's position next to the database's.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchIndexStatus {
    /// The newest change the index has applied (null until the index is built).
    pub position: Option<i64>,
    /// The newest change in the database (null while the database cannot be reached).
    pub database_position: Option<i64>,
    /// Changes committed to the database that the index has not applied yet (null while
    /// either cannot be read).
    pub pending: Option<i64>,
    /// Whether the index can be read: `ok` or `unavailable` (as `/healthz` says).
    #[schema(example = "ok")]
    pub status: String,
}

/// One licence of `license_list`. Every value is a string, booleans included (`"True"`).
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseDict {
    pub domain_content: String,
    #[schema(example = "cc-by")]
    pub id: String,
    pub domain_data: String,
    pub domain_software: String,
    pub family: String,
    pub is_generic: String,
    #[schema(example = "approved")]
    pub od_conformance: String,
    pub osd_conformance: String,
    pub maintainer: String,
    pub status: String,
    pub url: String,
    #[schema(example = "Creative Commons Attribution")]
    pub title: String,
}

/// A row of CKAN's `task_status` table, as `task_status_show` gives it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskStatusDict {
    pub id: String,
    pub entity_id: String,
    pub entity_type: String,
    pub task_type: String,
    pub key: String,
    pub value: String,
    pub state: Option<String>,
    pub error: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SS[.ffffff]`.
    pub last_updated: Option<String>,
}

/// `task_status_update_many`: the task statuses written, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskStatusResults {
    pub results: Vec<TaskStatusDict>,
}

/// A translation of a term into a language.
#[derive(Debug, Serialize, ToSchema)]
pub struct TermTranslationDict {
    /// The term in its original language.
    pub term: String,
    /// The term in the language `lang_code`.
    pub term_translation: String,
    pub lang_code: String,
}

/// `term_translation_update_many`: how many translations were written.
#[derive(Debug, Serialize, ToSchema)]
pub struct TermTranslationCount {
    /// `"<n> rows updated"`.
    pub success: String,
}

/// A background job, as CKAN's `job_list` and `job_show` give it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobDict {
    pub id: String,
    /// What the job does.
    pub title: Option<String>,
    /// When it was submitted: `YYYY-MM-DDTHH:MM:SS`.
    pub created: String,
    /// `default` (DataStore loads) or `harvest` (harvest jobs).
    pub queue: String,
}
