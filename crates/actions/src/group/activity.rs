//! `organization_activity_list` and `group_activity_list`.

use datahavn_domain::catalog::Activity;
use datahavn_domain::params::{Params, parse_bool};
use datahavn_domain::{Timestamp, ValidationErrors};
use datahavn_storage::{ActivityFilter, GroupStream, Tx};

use super::{Kind, find_kind, present, require_visible};
use crate::access::memberships;
use crate::activity_list::{string_list, unix_time, user_labels};
use crate::args::capped_natural;
use crate::dto::ActivityDict;
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

const LIMIT_DEFAULT: u64 = 31;
const LIMIT_MAX: u64 = 100;

request! {
    /// Which activities of an organization or group to list.
    pub struct GroupActivityList {
        /// The id or name of the organization or group.
        pub id: String => present,
        /// The maximum number of activities to return (default 31, at most 100; 0 is 100).
        pub limit: Option<u64> => capped_natural,
        /// Where to start getting activity items from (default 0).
        pub offset: Option<u64>,
        /// Only activities of these types, e.g. `changed organization` (a list of strings).
        pub activity_types: Option<Vec<String>> => string_list,
        /// Leave out activities of these types (a list of strings; not with `activity_types`).
        pub exclude_activity_types: Option<Vec<String>> => string_list,
        /// Only activities before this Unix timestamp (seconds, fractions allowed).
        #[schema(value_type = Option<f64>)]
        pub before: Option<Timestamp> => unix_time,
        /// Only activities after this Unix timestamp (seconds, fractions allowed).
        #[schema(value_type = Option<f64>)]
        pub after: Option<Timestamp> => unix_time,
        /// Also what the site itself did (CLI loads, harvests); sysadmins only, ignored for
        /// anyone else (default false).
        pub include_hidden_activity: Option<bool> => lenient_bool,
    }
}

/// CKAN's `asbool` where a value it cannot read counts as false.
fn lenient_bool(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<Option<bool>> {
    Ok(params.get(key).and_then(parse_bool))
}

const ACTIVITY_ERRORS_ORG: &[(u16, &str)] = &[
    (404, "No such organization (or deleted and not yours)"),
    (409, "`id` missing, bad paging, timestamps or type lists, or both type lists given"),
];

const ACTIVITY_ERRORS_GROUP: &[(u16, &str)] = &[
    (404, "No such group (or deleted and not yours)"),
    (409, "`id` missing, bad paging, timestamps or type lists, or both type lists given"),
];

pub const ORGANIZATION_ACTIVITY_LIST: Action = Action {
    name: "organization_activity_list",
    side_effect_free: true,
    tag: "organizations",
    doc: "Return an organization's activity stream.\n\n\
          Activities of the organization itself and of its public datasets, newest first.\n\n\
          :rtype: list of dictionaries",
    request: request_doc::<GroupActivityList>,
    response: response_doc::<Vec<ActivityDict>>,
    errors: ACTIVITY_ERRORS_ORG,
    run: |ctx, params| activity_list(ctx, Kind::Organization, GroupActivityList::parse(params)?),
};

pub const GROUP_ACTIVITY_LIST: Action = Action {
    name: "group_activity_list",
    side_effect_free: true,
    tag: "groups",
    doc: "Return a group's activity stream.\n\n\
          Activities of the group itself and of its public datasets, newest first.\n\n\
          :rtype: list of dictionaries",
    request: request_doc::<GroupActivityList>,
    response: response_doc::<Vec<ActivityDict>>,
    errors: ACTIVITY_ERRORS_GROUP,
    run: |ctx, params| activity_list(ctx, Kind::Group, GroupActivityList::parse(params)?),
};

fn activity_list(ctx: &Context<'_>, kind: Kind, request: GroupActivityList) -> ActionResult {
    if request.activity_types.is_some() && request.exclude_activity_types.is_some() {
        return Err(ActionError::field(
            "activity_types",
            "Cannot be used together with `exclude_activity_types",
        ));
    }
    // CKAN reads a limit of 0 as "no limit"; the maximum is the most it sends otherwise (as the
    // other activity streams answer).
    let limit = match request.limit {
        None => LIMIT_DEFAULT,
        Some(0) => LIMIT_MAX,
        Some(limit) => limit.min(LIMIT_MAX),
    };
    // Sysadmins only; for anyone else the flag is dropped.
    let include_hidden = ctx.actor.is_sysadmin() && request.include_hidden_activity.unwrap_or(false);
    let filter = ActivityFilter {
        hide_site_activity: !include_hidden,
        types: request.activity_types,
        exclude_types: request.exclude_activity_types,
        after: request.after,
        before: request.before,
        limit: i64::try_from(limit).unwrap_or(i64::MAX),
        offset: i64::try_from(request.offset.unwrap_or(0)).unwrap_or(i64::MAX),
        ..ActivityFilter::default()
    };
    let activities = ctx.store().read(|tx| {
        let group = find_kind(tx, &request.id, kind)?.ok_or(ActionError::NotFound(None))?;
        let who = memberships(tx, &ctx.actor)?;
        require_visible(tx, &who, &group)?;
        // The group's own activities and those of its public datasets as it holds them now,
        // each still subject to the caller's permission labels (CKAN's activity plugin).
        let stream = GroupStream { id: group.id.clone(), is_organization: group.is_organization };
        let filter = ActivityFilter { group: Some(stream), labels: user_labels(&who), ..filter };
        page(tx, filter)
    })?;
    let dicts: Vec<ActivityDict> = activities.into_iter().map(ActivityDict::from).collect();
    to_json(&dicts)
}

/// The page of activities, newest first. With only `after`: the `limit` activities right after
/// it.
fn page(tx: &mut Tx<'_>, filter: ActivityFilter) -> ActionResult<Vec<Activity>> {
    if filter.after.is_none() || filter.before.is_some() {
        return Ok(tx.list_activities(&filter)?);
    }
    let (offset, limit) = (filter.offset, filter.limit);
    let mut all = tx.list_activities(&ActivityFilter { limit: i64::MAX, offset: 0, ..filter })?;
    all.reverse();
    let mut page: Vec<Activity> = all
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    page.reverse();
    Ok(page)
}
