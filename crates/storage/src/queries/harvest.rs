//! Harvest sources, jobs, objects and their errors, the harvest log, and the map from remote
//! datasets to local ones.

use chrono::NaiveDateTime;
use datahavn_domain::Timestamp;
use datahavn_domain::harvest::{
    Frequency, GatherError, HarvestJob, HarvestObject, HarvestSource, HarvestedDataset, JobStats, LogEntry,
    ObjectError, SourceType, job_status,
};
use diesel::prelude::*;

use crate::schema::{
    harvest_datasets, harvest_gather_errors, harvest_jobs, harvest_log, harvest_object_errors,
    harvest_objects, harvest_sources, packages,
};
use crate::{StorageError, StorageResult, Tx};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = harvest_sources, treat_none_as_null = true)]
struct SourceRow {
    id: String,
    name: String,
    title: String,
    notes: String,
    url: String,
    source_type: String,
    frequency: String,
    config: String,
    owner_org: Option<String>,
    private: bool,
    state: String,
    creator_user_id: Option<String>,
    extras: String,
    created: NaiveDateTime,
    modified: NaiveDateTime,
    next_run: Option<NaiveDateTime>,
}

impl From<&HarvestSource> for SourceRow {
    fn from(s: &HarvestSource) -> Self {
        let extras: Vec<serde_json::Value> =
            s.extras.iter().map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect();
        Self {
            id: s.id.clone(),
            name: s.name.clone(),
            title: s.title.clone(),
            notes: s.notes.clone(),
            url: s.url.clone(),
            source_type: s.source_type.as_str().to_owned(),
            frequency: s.frequency.as_str().to_owned(),
            config: s.config.clone(),
            owner_org: s.owner_org.clone(),
            private: s.private,
            state: s.state.clone(),
            creator_user_id: s.creator_user_id.clone(),
            extras: serde_json::Value::Array(extras).to_string(),
            created: s.created.naive(),
            modified: s.modified.naive(),
            next_run: s.next_run.map(Timestamp::naive),
        }
    }
}

impl TryFrom<SourceRow> for HarvestSource {
    type Error = StorageError;

    fn try_from(row: SourceRow) -> StorageResult<Self> {
        let bad = |what: &str| StorageError::Internal(format!("harvest source {}: bad {what}", row.id));
        let source_type = SourceType::parse(&row.source_type).ok_or_else(|| bad("source_type"))?;
        let frequency = Frequency::parse(&row.frequency).ok_or_else(|| bad("frequency"))?;
        let extras: Vec<serde_json::Value> = serde_json::from_str(&row.extras).map_err(|_| bad("extras"))?;
        let extras = extras
            .iter()
            .map(|e| {
                (
                    e["key"].as_str().unwrap_or_default().to_owned(),
                    e["value"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        Ok(Self {
            id: row.id,
            name: row.name,
            title: row.title,
            notes: row.notes,
            url: row.url,
            source_type,
            frequency,
            config: row.config,
            owner_org: row.owner_org,
            private: row.private,
            state: row.state,
            creator_user_id: row.creator_user_id,
            extras,
            created: Timestamp::from_naive(row.created),
            modified: Timestamp::from_naive(row.modified),
            next_run: row.next_run.map(Timestamp::from_naive),
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = harvest_jobs, treat_none_as_null = true)]
struct JobRow {
    id: String,
    source_id: String,
    status: String,
    created: NaiveDateTime,
    gather_started: Option<NaiveDateTime>,
    gather_finished: Option<NaiveDateTime>,
    finished: Option<NaiveDateTime>,
    runner: Option<String>,
    heartbeat: Option<NaiveDateTime>,
    added: i64,
    updated: i64,
    unchanged: i64,
    deleted: i64,
    errored: i64,
}

impl From<&HarvestJob> for JobRow {
    fn from(j: &HarvestJob) -> Self {
        Self {
            id: j.id.clone(),
            source_id: j.source_id.clone(),
            status: j.status.clone(),
            created: j.created.naive(),
            gather_started: j.gather_started.map(Timestamp::naive),
            gather_finished: j.gather_finished.map(Timestamp::naive),
            finished: j.finished.map(Timestamp::naive),
            runner: j.runner.clone(),
            heartbeat: j.heartbeat.map(Timestamp::naive),
            added: j.stats.added,
            updated: j.stats.updated,
            unchanged: j.stats.unchanged,
            deleted: j.stats.deleted,
            errored: j.stats.errored,
        }
    }
}

impl From<JobRow> for HarvestJob {
    fn from(r: JobRow) -> Self {
        Self {
            id: r.id,
            source_id: r.source_id,
            status: r.status,
            created: Timestamp::from_naive(r.created),
            gather_started: r.gather_started.map(Timestamp::from_naive),
            gather_finished: r.gather_finished.map(Timestamp::from_naive),
            finished: r.finished.map(Timestamp::from_naive),
            runner: r.runner,
            heartbeat: r.heartbeat.map(Timestamp::from_naive),
            stats: JobStats {
                added: r.added,
                updated: r.updated,
                unchanged: r.unchanged,
                deleted: r.deleted,
                errored: r.errored,
            },
        }
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = harvest_objects)]
struct ObjectRow {
    id: String,
    job_id: String,
    source_id: String,
    guid: String,
    package_id: Option<String>,
    current: bool,
    state: String,
    report_status: String,
    content: Option<String>,
    metadata_modified_date: Option<NaiveDateTime>,
    gathered: NaiveDateTime,
    import_finished: Option<NaiveDateTime>,
}

impl From<&HarvestObject> for ObjectRow {
    fn from(o: &HarvestObject) -> Self {
        Self {
            id: o.id.clone(),
            job_id: o.job_id.clone(),
            source_id: o.source_id.clone(),
            guid: o.guid.clone(),
            package_id: o.package_id.clone(),
            current: o.current,
            state: o.state.clone(),
            report_status: o.report_status.clone(),
            content: o.content.clone(),
            metadata_modified_date: o.metadata_modified_date.map(Timestamp::naive),
            gathered: o.gathered.naive(),
            import_finished: o.import_finished.map(Timestamp::naive),
        }
    }
}

impl From<ObjectRow> for HarvestObject {
    fn from(r: ObjectRow) -> Self {
        Self {
            id: r.id,
            job_id: r.job_id,
            source_id: r.source_id,
            guid: r.guid,
            package_id: r.package_id,
            current: r.current,
            state: r.state,
            report_status: r.report_status,
            content: r.content,
            metadata_modified_date: r.metadata_modified_date.map(Timestamp::from_naive),
            gathered: Timestamp::from_naive(r.gathered),
            import_finished: r.import_finished.map(Timestamp::from_naive),
        }
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = harvest_object_errors)]
struct ObjectErrorRow {
    id: String,
    object_id: String,
    message: String,
    stage: String,
    created: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = harvest_gather_errors)]
struct GatherErrorRow {
    id: String,
    job_id: String,
    message: String,
    created: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = harvest_datasets)]
struct DatasetRow {
    source_id: String,
    remote_id: String,
    package_id: String,
    remote_modified: Option<String>,
    content_hash: String,
}

impl From<DatasetRow> for HarvestedDataset {
    fn from(r: DatasetRow) -> Self {
        Self {
            source_id: r.source_id,
            remote_id: r.remote_id,
            package_id: r.package_id,
            remote_modified: r.remote_modified,
            content_hash: r.content_hash,
        }
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = harvest_log)]
struct LogRow {
    id: String,
    content: String,
    level: String,
    created: NaiveDateTime,
}

impl Tx<'_> {
    pub fn insert_harvest_source(&mut self, source: &HarvestSource) -> StorageResult<()> {
        diesel::insert_into(harvest_sources::table).values(SourceRow::from(source)).execute(self.conn())?;
        Ok(())
    }

    pub fn update_harvest_source(&mut self, source: &HarvestSource) -> StorageResult<()> {
        let changed = diesel::update(harvest_sources::table.find(&source.id))
            .set(SourceRow::from(source))
            .execute(self.conn())?;
        if changed == 0 { Err(StorageError::NotFound) } else { Ok(()) }
    }

    /// The source with that id, else the one with that name.
    pub fn harvest_source(&mut self, id_or_name: &str) -> StorageResult<Option<HarvestSource>> {
        let row = harvest_sources::table
            .filter(harvest_sources::id.eq(id_or_name).or(harvest_sources::name.eq(id_or_name)))
            .order(harvest_sources::id.eq(id_or_name).desc())
            .select(SourceRow::as_select())
            .first(self.conn())
            .optional()?;
        row.map(HarvestSource::try_from).transpose()
    }

    /// Every source (deleted ones too), by name.
    pub fn harvest_sources(&mut self) -> StorageResult<Vec<HarvestSource>> {
        let rows = harvest_sources::table
            .order(harvest_sources::name.asc())
            .select(SourceRow::as_select())
            .load(self.conn())?;
        rows.into_iter().map(HarvestSource::try_from).collect()
    }

    /// Removes a source with its jobs, objects, errors and dataset map.
    pub fn purge_harvest_source(&mut self, id: &str) -> StorageResult<()> {
        self.delete_harvest_jobs_of(id)?;
        diesel::delete(harvest_datasets::table.filter(harvest_datasets::source_id.eq(id)))
            .execute(self.conn())?;
        diesel::delete(harvest_sources::table.find(id)).execute(self.conn())?;
        Ok(())
    }

    pub fn insert_harvest_job(&mut self, job: &HarvestJob) -> StorageResult<()> {
        diesel::insert_into(harvest_jobs::table).values(JobRow::from(job)).execute(self.conn())?;
        Ok(())
    }

    pub fn update_harvest_job(&mut self, job: &HarvestJob) -> StorageResult<()> {
        let changed =
            diesel::update(harvest_jobs::table.find(&job.id)).set(JobRow::from(job)).execute(self.conn())?;
        if changed == 0 { Err(StorageError::NotFound) } else { Ok(()) }
    }

    /// Writes a job's counts only (its status may have been changed by another caller).
    pub fn update_harvest_job_stats(&mut self, job: &HarvestJob) -> StorageResult<()> {
        diesel::update(harvest_jobs::table.find(&job.id))
            .set((
                harvest_jobs::added.eq(job.stats.added),
                harvest_jobs::updated.eq(job.stats.updated),
                harvest_jobs::unchanged.eq(job.stats.unchanged),
                harvest_jobs::deleted.eq(job.stats.deleted),
                harvest_jobs::errored.eq(job.stats.errored),
            ))
            .execute(self.conn())?;
        Ok(())
    }

    pub fn harvest_job(&mut self, id: &str) -> StorageResult<Option<HarvestJob>> {
        let row = harvest_jobs::table.find(id).select(JobRow::as_select()).first(self.conn()).optional()?;
        Ok(row.map(HarvestJob::from))
    }

    /// Jobs, newest first, of one source and in one status when given.
    pub fn harvest_jobs(
        &mut self,
        source_id: Option<&str>,
        status: Option<&str>,
    ) -> StorageResult<Vec<HarvestJob>> {
        let mut query = harvest_jobs::table.select(JobRow::as_select()).into_boxed();
        if let Some(source_id) = source_id {
            query = query.filter(harvest_jobs::source_id.eq(source_id.to_owned()));
        }
        if let Some(status) = status {
            query = query.filter(harvest_jobs::status.eq(status.to_owned()));
        }
        let rows = query.order((harvest_jobs::created.desc(), harvest_jobs::id.desc())).load(self.conn())?;
        Ok(rows.into_iter().map(HarvestJob::from).collect())
    }

    /// Takes a `New` job for a runner: true when this call took it (it is `Running` now).
    pub fn claim_harvest_job(&mut self, id: &str, runner: &str, now: Timestamp) -> StorageResult<bool> {
        let changed = diesel::update(
            harvest_jobs::table
                .filter(harvest_jobs::id.eq(id))
                .filter(harvest_jobs::status.eq(job_status::NEW)),
        )
        .set((
            harvest_jobs::status.eq(job_status::RUNNING),
            harvest_jobs::runner.eq(runner),
            harvest_jobs::heartbeat.eq(now.naive()),
            harvest_jobs::gather_started.eq(now.naive()),
        ))
        .execute(self.conn())?;
        Ok(changed == 1)
    }

    /// Records that the runner of a job is alive; returns the job's status.
    pub fn beat_harvest_job(&mut self, id: &str, now: Timestamp) -> StorageResult<Option<String>> {
        diesel::update(harvest_jobs::table.find(id))
            .set(harvest_jobs::heartbeat.eq(now.naive()))
            .execute(self.conn())?;
        Ok(harvest_jobs::table.find(id).select(harvest_jobs::status).first(self.conn()).optional()?)
    }

    /// Removes the finished jobs of a source beyond the newest `keep`, with their objects and
    /// errors; returns how many went.
    pub fn prune_harvest_jobs(&mut self, source_id: &str, keep: usize) -> StorageResult<usize> {
        let ids: Vec<String> = harvest_jobs::table
            .filter(harvest_jobs::source_id.eq(source_id))
            .filter(harvest_jobs::status.ne_all([job_status::NEW, job_status::RUNNING]))
            .order((harvest_jobs::created.desc(), harvest_jobs::id.desc()))
            .select(harvest_jobs::id)
            .load(self.conn())?;
        let doomed: Vec<String> = ids.into_iter().skip(keep).collect();
        for chunk in doomed.chunks(500) {
            self.delete_jobs(chunk)?;
        }
        Ok(doomed.len())
    }

    fn delete_jobs(&mut self, ids: &[String]) -> StorageResult<()> {
        let objects =
            harvest_objects::table.filter(harvest_objects::job_id.eq_any(ids)).select(harvest_objects::id);
        diesel::delete(harvest_object_errors::table.filter(harvest_object_errors::object_id.eq_any(objects)))
            .execute(self.conn())?;
        diesel::delete(harvest_objects::table.filter(harvest_objects::job_id.eq_any(ids)))
            .execute(self.conn())?;
        diesel::delete(harvest_gather_errors::table.filter(harvest_gather_errors::job_id.eq_any(ids)))
            .execute(self.conn())?;
        diesel::delete(harvest_jobs::table.filter(harvest_jobs::id.eq_any(ids))).execute(self.conn())?;
        Ok(())
    }

    /// Removes every job of a source, with its objects and errors.
    pub fn delete_harvest_jobs_of(&mut self, source_id: &str) -> StorageResult<()> {
        let ids: Vec<String> = harvest_jobs::table
            .filter(harvest_jobs::source_id.eq(source_id))
            .select(harvest_jobs::id)
            .load(self.conn())?;
        for chunk in ids.chunks(500) {
            self.delete_jobs(chunk)?;
        }
        Ok(())
    }

    /// Stores an object; a current one makes the earlier objects of its dataset not current.
    pub fn insert_harvest_object(&mut self, object: &HarvestObject) -> StorageResult<()> {
        if object.current
            && let Some(package_id) = &object.package_id
        {
            diesel::update(harvest_objects::table.filter(harvest_objects::package_id.eq(package_id)))
                .set(harvest_objects::current.eq(false))
                .execute(self.conn())?;
        }
        diesel::insert_into(harvest_objects::table).values(ObjectRow::from(object)).execute(self.conn())?;
        Ok(())
    }

    pub fn harvest_object(&mut self, id: &str) -> StorageResult<Option<HarvestObject>> {
        let row =
            harvest_objects::table.find(id).select(ObjectRow::as_select()).first(self.conn()).optional()?;
        Ok(row.map(HarvestObject::from))
    }

    /// A job's objects, in the order they were made.
    pub fn harvest_objects_of_job(&mut self, job_id: &str) -> StorageResult<Vec<HarvestObject>> {
        let rows = harvest_objects::table
            .filter(harvest_objects::job_id.eq(job_id))
            .order((harvest_objects::gathered.asc(), harvest_objects::id.asc()))
            .select(ObjectRow::as_select())
            .load(self.conn())?;
        Ok(rows.into_iter().map(HarvestObject::from).collect())
    }

    /// The latest object that wrote a dataset.
    pub fn harvest_object_of_package(&mut self, package_id: &str) -> StorageResult<Option<HarvestObject>> {
        let row = harvest_objects::table
            .filter(harvest_objects::package_id.eq(package_id))
            .order((harvest_objects::current.desc(), harvest_objects::gathered.desc()))
            .select(ObjectRow::as_select())
            .first(self.conn())
            .optional()?;
        Ok(row.map(HarvestObject::from))
    }

    pub fn insert_harvest_object_error(&mut self, error: &ObjectError) -> StorageResult<()> {
        diesel::insert_into(harvest_object_errors::table)
            .values(ObjectErrorRow {
                id: error.id.clone(),
                object_id: error.object_id.clone(),
                message: error.message.clone(),
                stage: error.stage.clone(),
                created: error.created.naive(),
            })
            .execute(self.conn())?;
        Ok(())
    }

    pub fn harvest_object_errors(&mut self, object_id: &str) -> StorageResult<Vec<ObjectError>> {
        let rows = harvest_object_errors::table
            .filter(harvest_object_errors::object_id.eq(object_id))
            .order(harvest_object_errors::created.asc())
            .select(ObjectErrorRow::as_select())
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(|r| ObjectError {
                id: r.id,
                object_id: r.object_id,
                message: r.message,
                stage: r.stage,
                created: Timestamp::from_naive(r.created),
            })
            .collect())
    }

    /// The messages of a job's object errors, oldest first.
    pub fn harvest_object_error_messages_of_job(&mut self, job_id: &str) -> StorageResult<Vec<String>> {
        let objects =
            harvest_objects::table.filter(harvest_objects::job_id.eq(job_id)).select(harvest_objects::id);
        Ok(harvest_object_errors::table
            .filter(harvest_object_errors::object_id.eq_any(objects))
            .order(harvest_object_errors::created.asc())
            .select(harvest_object_errors::message)
            .load(self.conn())?)
    }

    pub fn insert_harvest_gather_error(&mut self, error: &GatherError) -> StorageResult<()> {
        diesel::insert_into(harvest_gather_errors::table)
            .values(GatherErrorRow {
                id: error.id.clone(),
                job_id: error.job_id.clone(),
                message: error.message.clone(),
                created: error.created.naive(),
            })
            .execute(self.conn())?;
        Ok(())
    }

    pub fn harvest_gather_errors(&mut self, job_id: &str) -> StorageResult<Vec<GatherError>> {
        let rows = harvest_gather_errors::table
            .filter(harvest_gather_errors::job_id.eq(job_id))
            .order(harvest_gather_errors::created.asc())
            .select(GatherErrorRow::as_select())
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(|r| GatherError {
                id: r.id,
                job_id: r.job_id,
                message: r.message,
                created: Timestamp::from_naive(r.created),
            })
            .collect())
    }

    pub fn harvested_dataset(
        &mut self,
        source_id: &str,
        remote_id: &str,
    ) -> StorageResult<Option<HarvestedDataset>> {
        let row = harvest_datasets::table
            .find((source_id, remote_id))
            .select(DatasetRow::as_select())
            .first(self.conn())
            .optional()?;
        Ok(row.map(HarvestedDataset::from))
    }

    /// The remote dataset a local one was made from.
    pub fn harvested_dataset_of_package(
        &mut self,
        package_id: &str,
    ) -> StorageResult<Option<HarvestedDataset>> {
        let row = harvest_datasets::table
            .filter(harvest_datasets::package_id.eq(package_id))
            .select(DatasetRow::as_select())
            .first(self.conn())
            .optional()?;
        Ok(row.map(HarvestedDataset::from))
    }

    /// Records (or replaces) the link from a remote dataset to its local one.
    pub fn put_harvested_dataset(&mut self, dataset: &HarvestedDataset) -> StorageResult<()> {
        diesel::delete(harvest_datasets::table.find((&dataset.source_id, &dataset.remote_id)))
            .execute(self.conn())?;
        diesel::insert_into(harvest_datasets::table)
            .values(DatasetRow {
                source_id: dataset.source_id.clone(),
                remote_id: dataset.remote_id.clone(),
                package_id: dataset.package_id.clone(),
                remote_modified: dataset.remote_modified.clone(),
                content_hash: dataset.content_hash.clone(),
            })
            .execute(self.conn())?;
        Ok(())
    }

    /// A page of a source's map, by remote id after `after`.
    pub fn harvested_datasets(
        &mut self,
        source_id: &str,
        after: &str,
        limit: i64,
    ) -> StorageResult<Vec<HarvestedDataset>> {
        let rows = harvest_datasets::table
            .filter(harvest_datasets::source_id.eq(source_id))
            .filter(harvest_datasets::remote_id.gt(after))
            .order(harvest_datasets::remote_id.asc())
            .limit(limit)
            .select(DatasetRow::as_select())
            .load(self.conn())?;
        Ok(rows.into_iter().map(HarvestedDataset::from).collect())
    }

    pub fn delete_harvested_dataset(&mut self, source_id: &str, remote_id: &str) -> StorageResult<()> {
        diesel::delete(harvest_datasets::table.find((source_id, remote_id))).execute(self.conn())?;
        Ok(())
    }

    /// Forgets a source's map; returns the local datasets it named.
    pub fn clear_harvested_datasets(&mut self, source_id: &str) -> StorageResult<Vec<String>> {
        let ids: Vec<String> = harvest_datasets::table
            .filter(harvest_datasets::source_id.eq(source_id))
            .select(harvest_datasets::package_id)
            .load(self.conn())?;
        diesel::delete(harvest_datasets::table.filter(harvest_datasets::source_id.eq(source_id)))
            .execute(self.conn())?;
        Ok(ids)
    }

    /// The active public datasets a source made.
    pub fn count_harvested_public(&mut self, source_id: &str) -> StorageResult<i64> {
        Ok(harvest_datasets::table
            .inner_join(packages::table.on(packages::id.eq(harvest_datasets::package_id)))
            .filter(harvest_datasets::source_id.eq(source_id))
            .filter(packages::state.eq("active"))
            .filter(packages::private.eq(false))
            .count()
            .get_result(self.conn())?)
    }

    pub fn insert_harvest_log(&mut self, entry: &LogEntry) -> StorageResult<()> {
        diesel::insert_into(harvest_log::table)
            .values(LogRow {
                id: entry.id.clone(),
                content: entry.content.clone(),
                level: entry.level.clone(),
                created: entry.created.naive(),
            })
            .execute(self.conn())?;
        Ok(())
    }

    /// Log lines, newest first.
    pub fn harvest_log(
        &mut self,
        level: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> StorageResult<Vec<LogEntry>> {
        let mut query = harvest_log::table.select(LogRow::as_select()).into_boxed();
        if let Some(level) = level {
            query = query.filter(harvest_log::level.eq(level.to_owned()));
        }
        let rows = query
            .order((harvest_log::created.desc(), harvest_log::id.desc()))
            .limit(limit)
            .offset(offset)
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(|r| LogEntry {
                id: r.id,
                content: r.content,
                level: r.level,
                created: Timestamp::from_naive(r.created),
            })
            .collect())
    }

    /// Keeps the newest `keep` log lines.
    pub fn prune_harvest_log(&mut self, keep: i64) -> StorageResult<()> {
        let cutoff: Option<NaiveDateTime> = harvest_log::table
            .order(harvest_log::created.desc())
            .offset(keep)
            .select(harvest_log::created)
            .first(self.conn())
            .optional()?;
        if let Some(cutoff) = cutoff {
            diesel::delete(harvest_log::table.filter(harvest_log::created.le(cutoff)))
                .execute(self.conn())?;
        }
        Ok(())
    }
}
