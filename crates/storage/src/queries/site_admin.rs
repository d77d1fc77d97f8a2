//! CKAN's site-administration tables: `system_info` (site options changed at run time),
//! `task_status` and `term_translation`.

use chrono::NaiveDateTime;
use datahavn_domain::Timestamp;
use datahavn_domain::site_admin::{TaskStatus, TermTranslation};
use diesel::prelude::*;

use crate::schema::{system_info, task_status, term_translation};
use crate::{StorageResult, Tx};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = task_status, treat_none_as_null = true)]
struct TaskStatusRow {
    id: String,
    entity_id: String,
    entity_type: String,
    task_type: String,
    key: String,
    value: String,
    state: Option<String>,
    error: Option<String>,
    last_updated: Option<NaiveDateTime>,
}

impl From<&TaskStatus> for TaskStatusRow {
    fn from(task: &TaskStatus) -> Self {
        Self {
            id: task.id.clone(),
            entity_id: task.entity_id.clone(),
            entity_type: task.entity_type.clone(),
            task_type: task.task_type.clone(),
            key: task.key.clone(),
            value: task.value.clone(),
            state: task.state.clone(),
            error: task.error.clone(),
            last_updated: task.last_updated.map(Timestamp::naive),
        }
    }
}

impl From<TaskStatusRow> for TaskStatus {
    fn from(row: TaskStatusRow) -> Self {
        Self {
            id: row.id,
            entity_id: row.entity_id,
            entity_type: row.entity_type,
            task_type: row.task_type,
            key: row.key,
            value: row.value,
            state: row.state,
            error: row.error,
            last_updated: row.last_updated.map(Timestamp::from_naive),
        }
    }
}

impl Tx<'_> {
    /// Every stored site option: (key, value), by key.
    pub fn system_info(&mut self) -> StorageResult<Vec<(String, String)>> {
        Ok(system_info::table
            .order(system_info::key.asc())
            .select((system_info::key, system_info::value))
            .load(self.conn())?)
    }

    /// Stores a site option, replacing its value.
    pub fn set_system_info(&mut self, key: &str, value: &str) -> StorageResult<()> {
        let updated = diesel::update(system_info::table.filter(system_info::key.eq(key)))
            .set(system_info::value.eq(value))
            .execute(self.conn())?;
        if updated == 0 {
            diesel::insert_into(system_info::table)
                .values((system_info::key.eq(key), system_info::value.eq(value)))
                .execute(self.conn())?;
        }
        Ok(())
    }

    pub fn task_status(&mut self, id: &str) -> StorageResult<Option<TaskStatus>> {
        let row =
            task_status::table.find(id).select(TaskStatusRow::as_select()).first(self.conn()).optional()?;
        Ok(row.map(TaskStatus::from))
    }

    /// The task status of an entity's task type and key (these three are unique together).
    pub fn task_status_by_key(
        &mut self,
        entity_id: &str,
        task_type: &str,
        key: &str,
    ) -> StorageResult<Option<TaskStatus>> {
        let row = task_status::table
            .filter(task_status::entity_id.eq(entity_id))
            .filter(task_status::task_type.eq(task_type))
            .filter(task_status::key.eq(key))
            .select(TaskStatusRow::as_select())
            .first(self.conn())
            .optional()?;
        Ok(row.map(TaskStatus::from))
    }

    pub fn insert_task_status(&mut self, task: &TaskStatus) -> StorageResult<()> {
        diesel::insert_into(task_status::table).values(TaskStatusRow::from(task)).execute(self.conn())?;
        Ok(())
    }

    /// Writes every column of the task status with its id.
    pub fn update_task_status(&mut self, task: &TaskStatus) -> StorageResult<()> {
        diesel::update(task_status::table.find(&task.id))
            .set(TaskStatusRow::from(task))
            .execute(self.conn())?;
        Ok(())
    }

    /// Deletes a task status; false when there was none.
    pub fn delete_task_status(&mut self, id: &str) -> StorageResult<bool> {
        Ok(diesel::delete(task_status::table.find(id)).execute(self.conn())? > 0)
    }

    /// The translations of `terms` (all terms when `None`) into `lang_codes` (every language
    /// when `None`).
    pub fn term_translations(
        &mut self,
        terms: Option<&[String]>,
        lang_codes: Option<&[String]>,
    ) -> StorageResult<Vec<TermTranslation>> {
        let mut query = term_translation::table.into_boxed();
        if let Some(terms) = terms {
            query = query.filter(term_translation::term.eq_any(terms));
        }
        if let Some(codes) = lang_codes {
            query = query.filter(term_translation::lang_code.eq_any(codes));
        }
        let rows: Vec<(String, String, String)> = query
            .order((term_translation::term.asc(), term_translation::lang_code.asc()))
            .select((term_translation::term, term_translation::translation, term_translation::lang_code))
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(|(term, term_translation, lang_code)| TermTranslation { term, term_translation, lang_code })
            .collect())
    }

    /// Stores the translation of a term into a language, replacing an earlier one.
    pub fn set_term_translation(&mut self, translation: &TermTranslation) -> StorageResult<()> {
        let updated = diesel::update(
            term_translation::table
                .filter(term_translation::term.eq(&translation.term))
                .filter(term_translation::lang_code.eq(&translation.lang_code)),
        )
        .set(term_translation::translation.eq(&translation.term_translation))
        .execute(self.conn())?;
        if updated == 0 {
            diesel::insert_into(term_translation::table)
                .values((
                    term_translation::term.eq(&translation.term),
                    term_translation::translation.eq(&translation.term_translation),
                    term_translation::lang_code.eq(&translation.lang_code),
                ))
                .execute(self.conn())?;
        }
        Ok(())
    }
}
