use datahavn_domain::Timestamp;
use datahavn_domain::catalog::Activity;
use diesel::prelude::*;

use crate::rows_catalog::ActivityRow;
use crate::schema::activities;
use crate::{StorageResult, Tx};

/// Which activities a stream wants, newest first.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub object_id: Option<String>,
    pub user_id: Option<String>,
    /// Activities of datasets in this organization or group, and of the group itself.
    pub group_id: Option<String>,
    /// Only those visible to everyone.
    pub public_only: bool,
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

impl Tx<'_> {
    pub fn insert_activity(&mut self, activity: &Activity) -> StorageResult<()> {
        diesel::insert_into(activities::table).values(ActivityRow::from(activity)).execute(self.conn())?;
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
        if let Some(group_id) = &filter.group_id {
            query = query.filter(
                activities::object_id
                    .eq(group_id.clone())
                    .or(activities::group_ids.like(format!("%|{group_id}|%"))),
            );
        }
        if filter.public_only {
            query = query.filter(activities::public.eq(true));
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

    pub fn delete_activities_of(&mut self, object_id: &str) -> StorageResult<()> {
        diesel::delete(activities::table.filter(activities::object_id.eq(object_id))).execute(self.conn())?;
        Ok(())
    }
}
