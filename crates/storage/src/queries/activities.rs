use datahavn_domain::Timestamp;
use datahavn_domain::catalog::Activity;
use datahavn_domain::group::{MemberKind, MemberState};
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::conn::MultiBackend;
use crate::rows_catalog::ActivityRow;
use crate::schema::{activities, members, packages};
use crate::{StorageResult, Tx};

/// Which activities a stream wants, newest first.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub object_id: Option<String>,
    pub user_id: Option<String>,
    /// Activities of the group itself and of the public datasets now in it, as CKAN's
    /// activity plugin reads a group's stream: an organization's datasets (whatever their
    /// state); a group's active datasets, and its deleted ones that were in it when deleted.
    pub group: Option<GroupStream>,
    /// `None`: every activity (sysadmins). `Some(labels)`: dataset activities only when they
    /// carry one of these permission labels; other activities always.
    pub labels: Option<Vec<String>>,
    /// Leave out what the site itself did (no user), as CKAN hides its site user's activities.
    pub hide_site_activity: bool,
    /// Also these (non-public) objects' activities: datasets the caller may read.
    pub types: Option<Vec<String>>,
    pub exclude_types: Option<Vec<String>>,
    pub after: Option<Timestamp>,
    pub before: Option<Timestamp>,
    pub limit: i64,
    pub offset: i64,
}

/// Whose stream [`ActivityFilter::group`] asks for.
#[derive(Debug, Clone)]
pub struct GroupStream {
    pub id: String,
    pub is_organization: bool,
}

pub(crate) type Condition = Box<dyn BoxableExpression<activities::table, MultiBackend, SqlType = Bool>>;

/// Activities a caller holding `labels` may see: dataset activities, and those about a
/// dataset's views, need one of the labels (stored as a JSON list of strings: each label
/// appears quoted); the others are for everyone.
pub(crate) fn visible_with(labels: &[String]) -> Condition {
    let mut visible: Condition = Box::new(
        activities::activity_type
            .not_like("%package")
            .and(activities::activity_type.not_like("%resource view")),
    );
    for label in labels {
        let pattern = format!("%\"{}\"%", exact_like(label));
        visible = Box::new(visible.or(activities::permission_labels.like(pattern).escape('\\')));
    }
    visible
}

fn exact_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The activities of a group's stream: of the group itself and of the public datasets now in
/// it (an organization's whatever their state; a group's active ones, and its deleted ones that
/// were in it when deleted).
pub(crate) fn group_stream(group: &GroupStream) -> Condition {
    let own = activities::object_id.eq(group.id.clone());
    if group.is_organization {
        let datasets = packages::table
            .filter(packages::owner_org.eq(group.id.clone()))
            .filter(packages::private.eq(false))
            .select(packages::id);
        Box::new(own.or(activities::object_id.eq_any(datasets)))
    } else {
        let (active, deleted) = (MemberState::Active.as_str(), MemberState::Deleted.as_str());
        let datasets = members::table
            .inner_join(packages::table.on(packages::id.eq(members::table_id)))
            .filter(members::group_id.eq(group.id.clone()))
            .filter(members::table_name.eq(MemberKind::Package.as_str()))
            .filter(packages::private.eq(false))
            .filter(
                (members::state.eq(active).and(packages::state.eq(active)))
                    .or(members::state.eq(deleted).and(packages::state.eq(deleted))),
            )
            .select(members::table_id);
        Box::new(own.or(activities::object_id.eq_any(datasets)))
    }
}

impl Tx<'_> {
    pub fn insert_activity(&mut self, activity: &Activity) -> StorageResult<()> {
        // The activity of the dataset waiting for its packed values ([`crate::Pending`]) waits
        // with it: its value holds the same packed dict.
        if let Some(pending) = self.pending(&activity.object_id)
            && let Some(actor) = pending.later.activity(&activity.data)
        {
            pending.activities.push((ActivityRow::with_data(activity, Vec::new()), actor));
            return Ok(());
        }
        let row = ActivityRow::from(activity);
        if let Some(queue) = self.queue.as_deref_mut()
            && queue.holds(&activity.object_id)
        {
            queue.activities.push(row);
            return Ok(());
        }
        diesel::insert_into(activities::table).values(row.insert_values()).execute(self.conn())?;
        Ok(())
    }

    pub fn activity_by_id(&mut self, id: &str) -> StorageResult<Option<Activity>> {
        let row =
            activities::table.find(id).select(ActivityRow::as_select()).first(self.conn()).optional()?;
        row.map(Activity::try_from).transpose()
    }

    pub fn list_activities(&mut self, filter: &ActivityFilter) -> StorageResult<Vec<Activity>> {
        let mut query = activities::table.select(ActivityRow::as_select()).into_boxed();
        if let Some(object_id) = &filter.object_id {
            query = query.filter(activities::object_id.eq(object_id.clone()));
        }
        if let Some(user_id) = &filter.user_id {
            query = query.filter(activities::user_id.eq(user_id.clone()));
        }
        if let Some(group) = &filter.group {
            query = query.filter(group_stream(group));
        }
        if let Some(labels) = &filter.labels {
            query = query.filter(visible_with(labels));
        }
        if filter.hide_site_activity {
            query = query.filter(activities::user_id.ne(""));
        }
        if let Some(types) = &filter.types {
            query = query.filter(activities::activity_type.eq_any(types.clone()));
        }
        if let Some(types) = &filter.exclude_types {
            query = query.filter(activities::activity_type.ne_all(types.clone()));
        }
        if let Some(after) = filter.after {
            query = query.filter(activities::timestamp.gt(after.naive()));
        }
        if let Some(before) = filter.before {
            query = query.filter(activities::timestamp.lt(before.naive()));
        }
        let rows = query
            .order((activities::timestamp.desc(), activities::id.desc()))
            .limit(filter.limit)
            .offset(filter.offset)
            .load(self.conn())?;
        rows.into_iter().map(Activity::try_from).collect()
    }

    /// Whether an activity of this type about this object was recorded.
    pub fn has_activity(&mut self, object_id: &str, activity_type: &str) -> StorageResult<bool> {
        let found = activities::table
            .filter(activities::object_id.eq(object_id))
            .filter(activities::activity_type.eq(activity_type))
            .select(activities::id)
            .first::<String>(self.conn())
            .optional()?;
        Ok(found.is_some())
    }

    /// How many activities are older than each of these times, and how many there are.
    pub fn count_activities_older_than(&mut self, times: &[Timestamp]) -> StorageResult<(Vec<i64>, i64)> {
        let mut counts = Vec::with_capacity(times.len());
        for time in times {
            let n: i64 = activities::table
                .filter(activities::timestamp.lt(time.naive()))
                .count()
                .get_result(self.conn())?;
            counts.push(n);
        }
        let total: i64 = activities::table.count().get_result(self.conn())?;
        Ok((counts, total))
    }

    /// Deletes one activity; false when there was none.
    pub fn delete_activity(&mut self, id: &str) -> StorageResult<bool> {
        Ok(diesel::delete(activities::table.find(id)).execute(self.conn())? > 0)
    }

    /// Deletes the activities older than `before`, or between `from` and `to` (inclusive), or
    /// (neither) all of them. Returns how many went.
    pub fn delete_activities(
        &mut self,
        before: Option<Timestamp>,
        between: Option<(Timestamp, Timestamp)>,
    ) -> StorageResult<usize> {
        let mut query = diesel::delete(activities::table).into_boxed();
        if let Some(before) = before {
            query = query.filter(activities::timestamp.lt(before.naive()));
        }
        if let Some((from, to)) = between {
            query = query.filter(activities::timestamp.between(from.naive(), to.naive()));
        }
        Ok(query.execute(self.conn())?)
    }

    /// Keeps the `keep` newest activities of each object and deletes the rest. Returns how many
    /// went.
    pub fn delete_activities_beyond(&mut self, keep: usize) -> StorageResult<usize> {
        let rows: Vec<(String, String)> = activities::table
            .order((activities::object_id.asc(), activities::timestamp.desc(), activities::id.desc()))
            .select((activities::id, activities::object_id))
            .load(self.conn())?;
        let mut doomed = Vec::new();
        let (mut current, mut seen) = (String::new(), 0usize);
        for (id, object_id) in rows {
            if object_id != current {
                current = object_id;
                seen = 0;
            }
            seen += 1;
            if seen > keep {
                doomed.push(id);
            }
        }
        for chunk in doomed.chunks(500) {
            diesel::delete(activities::table.filter(activities::id.eq_any(chunk))).execute(self.conn())?;
        }
        Ok(doomed.len())
    }

    pub fn delete_activities_of(&mut self, object_id: &str) -> StorageResult<()> {
        diesel::delete(activities::table.filter(activities::object_id.eq(object_id))).execute(self.conn())?;
        Ok(())
    }
}
