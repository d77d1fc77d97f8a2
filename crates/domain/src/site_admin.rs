//! CKAN's site-administration records: task statuses (extensions' notes on their tasks, one
//! per entity, task type and key) and term translations.

use crate::Timestamp;

/// A row of CKAN's `task_status` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStatus {
    pub id: String,
    pub entity_id: String,
    pub entity_type: String,
    pub task_type: String,
    pub key: String,
    pub value: String,
    pub state: Option<String>,
    pub error: Option<String>,
    pub last_updated: Option<Timestamp>,
}

/// A row of CKAN's `term_translation` table: `term` in another language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermTranslation {
    pub term: String,
    pub term_translation: String,
    pub lang_code: String,
}
