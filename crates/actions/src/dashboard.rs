//! The activity extension's dashboard: the caller's own activity stream together with those of
//! everything they follow, which activities are new since they last looked, and marking them
//! seen.
//!
//! The stream is filtered by the caller's permission labels as the other activity streams are,
//! so a private dataset's activities reach only those who may read it, followed or not.

use datahavn_domain::Timestamp;
use datahavn_domain::user::Followed;
use datahavn_storage::{ActivityStream, DashboardScope, GroupStream};
use serde_json::Value;

use crate::access::memberships;
use crate::activity_list::{Paging, unix_time, user_labels};
use crate::args::{authenticated, capped_natural};
use crate::dto::{ActivityDict, DashboardActivityDict};
use crate::request::{NoParams, Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

pub const DASHBOARD_ACTIVITY_LIST: Action = Action {
    name: "dashboard_activity_list",
    side_effect_free: true,
    tag: "activity",
    doc: "Return the signed-in user's dashboard activity stream, newest first.\n\n\
          What the user did or was done to their account, and the activities of the users, \
          datasets, organizations and groups they follow. Unlike the other activity lists, each \
          activity has ``is_new``: whether it happened since the user last marked their \
          dashboard seen (``dashboard_mark_activities_old``); the user's own activities never \
          are.\n\n:rtype: list of activity dictionaries",
    request: request_doc::<DashboardActivityListRequest>,
    response: response_doc::<Vec<DashboardActivityDict>>,
    errors: &[
        (403, "`Access denied: Action dashboard_activity_list requires an authenticated user`"),
        (409, "Bad `limit`, `offset`, `after` or `before`"),
    ],
    run: |ctx, params| {
        let request = DashboardActivityListRequest::parse(params)?;
        authenticated(ctx, "dashboard_activity_list")?;
        to_json(&dashboard(ctx, &request)?)
    },
};

request! {
    /// The page of the dashboard.
    pub struct DashboardActivityListRequest {
        /// The most activities to return (default 31, at most 100; 0 is the most).
        pub limit: Option<u64> => capped_natural,
        /// Where to start (default 0).
        pub offset: Option<u64>,
        /// Only activities after this Unix timestamp (a number, or one as text).
        #[schema(value_type = Option<f64>)]
        pub after: Option<Timestamp> => unix_time,
        /// Only activities before this Unix timestamp (a number, or one as text).
        #[schema(value_type = Option<f64>)]
        pub before: Option<Timestamp> => unix_time,
    }
}

/// The page of the caller's dashboard, each activity marked new or not.
fn dashboard(
    ctx: &Context<'_>,
    request: &DashboardActivityListRequest,
) -> ActionResult<Vec<DashboardActivityDict>> {
    let me = ctx.actor.user_id().ok_or(ActionError::NotAuthorized(None))?;
    let page = Paging::new(request.limit, request.offset, request.after, request.before);
    let (activities, last_viewed) = ctx.store().read(|tx| {
        let who = memberships(tx, ctx)?;
        let mut users = vec![me.to_owned()];
        users.extend(tx.followee_ids(Followed::User, me)?);
        let groups = tx.followee_ids(Followed::Group, me)?;
        let groups = tx
            .groups_by_ids(&groups)?
            .into_iter()
            .map(|group| GroupStream { id: group.id, is_organization: group.is_organization })
            .collect();
        let scope = DashboardScope { users, datasets: tx.followee_ids(Followed::Dataset, me)?, groups };
        let stream = ActivityStream {
            dashboard: Some(scope),
            labels: user_labels(&who),
            hide_site_activity: true,
            after: page.after,
            before: page.before,
            limit: page.limit,
            offset: page.offset,
            ..ActivityStream::default()
        };
        let activities = tx.activity_stream(&stream)?;
        // CKAN makes the dashboard row when it makes the user: until it is first marked seen,
        // what came after the account is new.
        let last_viewed = match tx.dashboard_last_viewed(me)? {
            Some(seen) => Some(seen),
            None => tx.user_by_id_or_name(me)?.map(|user| user.created),
        };
        Ok::<_, ActionError>((activities, last_viewed))
    })?;
    Ok(activities
        .into_iter()
        .map(|activity| {
            let is_new = activity.user_id != me && last_viewed.is_none_or(|seen| activity.timestamp > seen);
            DashboardActivityDict { activity: ActivityDict::from(activity), is_new }
        })
        .collect())
}

pub const DASHBOARD_NEW_ACTIVITIES_COUNT: Action = Action {
    name: "dashboard_new_activities_count",
    side_effect_free: true,
    tag: "activity",
    doc: "Return the number of new activities in the signed-in user's dashboard.\n\n\
          Counts the new activities of the page ``dashboard_activity_list`` would return (by \
          default the 31 newest); the user's own activities are never new.\n\n:rtype: int",
    request: request_doc::<DashboardActivityListRequest>,
    response: response_doc::<u64>,
    errors: &[
        (403, "`Access denied: Action dashboard_activity_list requires an authenticated user`"),
        (409, "Bad `limit`, `offset`, `after` or `before`"),
    ],
    run: |ctx, params| {
        authenticated(ctx, "dashboard_activity_list")?;
        let request = DashboardActivityListRequest::parse(params)?;
        let new = dashboard(ctx, &request)?.iter().filter(|activity| activity.is_new).count();
        Ok(new.into())
    },
};

pub const DASHBOARD_MARK_ACTIVITIES_OLD: Action = Action {
    name: "dashboard_mark_activities_old",
    side_effect_free: false,
    tag: "activity",
    doc: "Mark all the signed-in user's new dashboard activities as old.\n\n\
          ``dashboard_new_activities_count`` is 0 afterwards, until something new happens.\n\n\
          :rtype: null",
    request: request_doc::<NoParams>,
    response: response_doc::<Option<String>>,
    errors: &[(403, "`Access denied: Action dashboard_mark_activities_old requires an authenticated user`")],
    run: |ctx, params| {
        NoParams::parse(params)?;
        authenticated(ctx, "dashboard_mark_activities_old")?;
        let me = ctx.actor.user_id().ok_or(ActionError::NotAuthorized(None))?;
        ctx.store().write(|tx| tx.mark_dashboard_viewed(me, Timestamp::now()))?;
        Ok(Value::Null)
    },
};
