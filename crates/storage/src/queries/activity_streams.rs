//! Activity streams as CKAN's activity extension reads them: a dataset's, a user's, the site's
//! recently changed datasets; filtered by the caller's permission labels.

use datahavn_domain::Timestamp;
use datahavn_domain::catalog::Activity;
use diesel::prelude::*;

use super::activities::{Condition, GroupStream, group_stream, visible_with};
use crate::rows_catalog::ActivityRow;
use crate::schema::activities;
use crate::{StorageResult, Tx};

/// One page of an activity stream, newest first.
#[derive(Debug, Clone, Default)]
pub struct ActivityStream {
    /// Activities about this object (a dataset's stream).
    pub object_id: Option<String>,
    /// Activities done by this user or about them (a user's stream).
    pub by_or_about_user: Option<String>,
    /// Only dataset activities (`new package`, `changed package`, `deleted package`).
    pub packages_only: bool,
    /// `None`: every activity (sysadmins). `Some(labels)`: dataset activities only when they
    /// carry one of these permission labels; other activities always.
    pub labels: Option<Vec<String>>,
    /// Leave out what the site itself did (no user: CLI loads, harvests), as CKAN hides its
    /// site user's activities.
    pub hide_site_activity: bool,
    pub types: Option<Vec<String>>,
    pub exclude_types: Option<Vec<String>>,
    pub after: Option<Timestamp>,
    pub before: Option<Timestamp>,
    pub limit: i64,
    pub offset: i64,
    /// A dashboard: activities of the user and of everything they follow.
    pub dashboard: Option<DashboardScope>,
}

/// What a dashboard's stream gathers (CKAN's `_dashboard_activity_query`).
#[derive(Debug, Clone, Default)]
pub struct DashboardScope {
    /// Activities by or about these users: the user themself and the users they follow.
    pub users: Vec<String>,
    /// Activities about these datasets.
    pub datasets: Vec<String>,
    /// The streams of these organizations and groups: their own activities and those of the
    /// public datasets now in them.
    pub groups: Vec<GroupStream>,
}

impl Tx<'_> {
    /// A page of a stream. With `after` and no `before` it is the page just after that time
    /// (the oldest ones), still returned newest first, as CKAN pages forward.
    pub fn activity_stream(&mut self, stream: &ActivityStream) -> StorageResult<Vec<Activity>> {
        let mut query = activities::table.select(ActivityRow::as_select()).into_boxed();
        if let Some(object_id) = &stream.object_id {
            query = query.filter(activities::object_id.eq(object_id.clone()));
        }
        if let Some(user_id) = &stream.by_or_about_user {
            query = query.filter(
                activities::user_id.eq(user_id.clone()).or(activities::object_id.eq(user_id.clone())),
            );
        }
        if let Some(scope) = &stream.dashboard {
            let mut wanted: Condition = Box::new(
                activities::user_id
                    .eq_any(scope.users.clone())
                    .or(activities::object_id.eq_any(scope.users.clone()))
                    .or(activities::object_id.eq_any(scope.datasets.clone())),
            );
            for group in &scope.groups {
                wanted = Box::new(wanted.or(group_stream(group)));
            }
            query = query.filter(wanted);
        }
        if stream.packages_only {
            query = query.filter(activities::activity_type.like("%package"));
        }
        if let Some(labels) = &stream.labels {
            query = query.filter(visible_with(labels));
        }
        if stream.hide_site_activity {
            query = query.filter(activities::user_id.ne(""));
        }
        if let Some(types) = stream.types.as_ref().filter(|t| !t.is_empty()) {
            query = query.filter(activities::activity_type.eq_any(types.clone()));
        } else if let Some(types) = stream.exclude_types.as_ref().filter(|t| !t.is_empty()) {
            query = query.filter(activities::activity_type.ne_all(types.clone()));
        }
        if let Some(after) = stream.after {
            query = query.filter(activities::timestamp.gt(after.naive()));
        }
        if let Some(before) = stream.before {
            query = query.filter(activities::timestamp.lt(before.naive()));
        }
        let forward = stream.after.is_some() && stream.before.is_none();
        query = if forward {
            query.order((activities::timestamp.asc(), activities::id.asc()))
        } else {
            query.order((activities::timestamp.desc(), activities::id.desc()))
        };
        let rows = query.limit(stream.limit).offset(stream.offset).load(self.conn())?;
        let mut out = rows.into_iter().map(Activity::try_from).collect::<StorageResult<Vec<_>>>()?;
        if forward {
            out.reverse();
        }
        Ok(out)
    }

    /// The activity about the same object just before this one (what `activity_diff` compares).
    pub fn previous_activity(&mut self, activity: &Activity) -> StorageResult<Option<Activity>> {
        let row = activities::table
            .filter(activities::object_id.eq(&activity.object_id))
            .filter(activities::timestamp.lt(activity.timestamp.naive()))
            .order((activities::timestamp.desc(), activities::id.desc()))
            .select(ActivityRow::as_select())
            .first(self.conn())
            .optional()?;
        row.map(Activity::try_from).transpose()
    }
}
