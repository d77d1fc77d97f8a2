//! Reading activity streams, as CKAN's activity extension does: `package_activity_list`,
//! `user_activity_list`, `recently_changed_packages_activity_list`, `activity_show`,
//! `activity_data_show` and `activity_diff`.
//!
//! Dataset activities carry the dataset's permission labels as they were when it changed
//! (`public`, or `member-<org id>`); a caller sees those whose labels they hold (sysadmins see
//! all), so private datasets' activities stay with those who may read them. Activities the site
//! itself recorded (no user: CLI loads and harvests) are hidden like CKAN's site user's, unless
//! a sysadmin asks for `include_hidden_activity`.

mod diff;

use datahavn_domain::authz::Memberships;
use datahavn_domain::catalog::Activity;
use datahavn_domain::params::{MISSING_VALUE, Params, parse_bool};
use datahavn_domain::{Timestamp, ValidationErrors};
use datahavn_storage::{ActivityStream, Tx};
use serde_json::{Map, Value};

use crate::access::{memberships, require_edit, require_read};
use crate::args::{capped_natural, required};
use crate::dto::{ActivityDict, ActivityDiffResult};
use crate::package::find_package;
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// CKAN's `ckan.activity_list_limit` and `ckan.activity_list_limit_max` defaults.
const DEFAULT_LIMIT: u64 = 31;
const MAX_LIMIT: u64 = 100;

/// CKAN's activity dict (in its column order).
fn activity_dict(activity: &Activity) -> ActivityDict {
    ActivityDict::from(activity.clone())
}

fn activity_list(activities: &[Activity]) -> ActionResult {
    to_json(&activities.iter().map(activity_dict).collect::<Vec<_>>())
}

/// The dataset labels a caller holds; `None` for sysadmins, who see everything.
pub(crate) fn user_labels(who: &Memberships) -> Option<Vec<String>> {
    if who.sysadmin {
        return None;
    }
    let mut labels = vec!["public".to_owned()];
    if let Some(id) = &who.user_id {
        labels.push(format!("creator-{id}"));
    }
    labels.extend(who.groups.keys().map(|group| format!("member-{group}")));
    labels.extend(who.collaborations.keys().map(|package| format!("collaborator-{package}")));
    labels.sort();
    Some(labels)
}

/// `after` / `before`: Unix timestamps, whole or fractional, as numbers or text.
pub(crate) fn unix_time(
    params: &Params,
    key: &str,
    errors: &mut ValidationErrors,
) -> ActionResult<Option<Timestamp>> {
    let Some(value) = params.get(key) else { return Ok(None) };
    let seconds = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let time = seconds.filter(|s| s.is_finite()).and_then(|s| {
        let whole = s.floor();
        // In range for chrono, so the casts below cannot truncate.
        if !(-1e14..1e14).contains(&whole) {
            return None;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (secs, nanos) = (whole as i64, ((s - whole) * 1e9).round().min(999_999_999.0) as u32);
        chrono::DateTime::from_timestamp(secs, nanos).map(|t| Timestamp::from_naive(t.naive_utc()))
    });
    if time.is_none() {
        errors.add(key, "Must be a float timestamp");
    }
    Ok(time)
}

/// `limit` (31 by default, at most 100), `offset`, `after`, `before`.
pub(crate) struct Paging {
    pub(crate) limit: i64,
    pub(crate) offset: i64,
    pub(crate) after: Option<Timestamp>,
    pub(crate) before: Option<Timestamp>,
}

impl Paging {
    pub(crate) fn new(
        limit: Option<u64>,
        offset: Option<u64>,
        after: Option<Timestamp>,
        before: Option<Timestamp>,
    ) -> Self {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            // CKAN reads 0 as "no limit"; the maximum is the most it would ever send otherwise.
            Some(0) => MAX_LIMIT,
            Some(limit) => limit.min(MAX_LIMIT),
        };
        Self {
            limit: i64::try_from(limit).unwrap_or(31),
            offset: i64::try_from(offset.unwrap_or(0)).unwrap_or(i64::MAX),
            after,
            before,
        }
    }
}

/// CKAN's `list_of_strings`: a JSON list of strings (over GET, a repeated key); one string is
/// not a list.
pub(crate) fn string_list(
    params: &Params,
    key: &str,
    errors: &mut ValidationErrors,
) -> ActionResult<Option<Vec<String>>> {
    let Some(value) = params.get(key) else { return Ok(None) };
    let Value::Array(items) = value else {
        errors.add(key, "Not a list");
        return Ok(None);
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::String(s) => out.push(s.clone()),
            other => {
                errors.add(key, format!("Not a string: {other}"));
                return Ok(None);
            }
        }
    }
    Ok(Some(out))
}

/// CKAN's `boolean_validator`: any value that is not clearly true is false, never an error.
fn lenient_bool(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<Option<bool>> {
    Ok(params.get(key).map(|value| parse_bool(value).unwrap_or(false)))
}

/// `id`, CKAN's `not_missing`: absent is an error, empty finds nothing.
fn not_missing(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<String> {
    let id = params.string(key, errors);
    if id.is_none() && !errors.contains(key) {
        errors.add(key, MISSING_VALUE);
    }
    Ok(id.unwrap_or_default())
}

pub const PACKAGE_ACTIVITY_LIST: Action = Action {
    name: "package_activity_list",
    side_effect_free: true,
    tag: "activity",
    doc: "Return a dataset's activity stream, newest first.\n\n\
          You must be allowed to read the dataset. Activities of a private dataset reach only \
          callers holding its permission labels.\n\n:rtype: list of dictionaries",
    request: request_doc::<PackageActivityListRequest>,
    response: response_doc::<Vec<ActivityDict>>,
    errors: &[
        (403, "May not read the dataset"),
        (404, "No such dataset"),
        (409, "Bad paging or type filters, or `id` missing"),
    ],
    run: |ctx, params| package_activity_list(ctx, PackageActivityListRequest::parse(params)?),
};

request! {
    /// The dataset, the page and the types of activity.
    pub struct PackageActivityListRequest {
        /// The id or name of the dataset.
        pub id: String => not_missing,
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
        /// Only activities of these types (a JSON list; not with `exclude_activity_types`).
        pub activity_types: Option<Vec<String>> => string_list,
        /// Leave out activities of these types (a JSON list).
        pub exclude_activity_types: Option<Vec<String>> => string_list,
        /// Also what the site itself did (CLI loads, harvests); sysadmins only (default false;
        /// anything not clearly true is false).
        pub include_hidden_activity: Option<bool> => lenient_bool,
    }
}

fn package_activity_list(ctx: &Context<'_>, request: PackageActivityListRequest) -> ActionResult {
    let page = Paging::new(request.limit, request.offset, request.after, request.before);
    let (types, exclude_types) = (request.activity_types, request.exclude_activity_types);
    if types.is_some() && exclude_types.is_some() {
        return Err(ActionError::field(
            "activity_types",
            "Cannot be used together with `exclude_activity_types",
        ));
    }
    // Honoured for sysadmins only, silently dropped for others.
    let hidden = ctx.actor.is_sysadmin() && request.include_hidden_activity.unwrap_or(false);
    let activities = ctx.store().read(|tx| {
        let package = find_package(tx, &request.id, None)?;
        let who = memberships(tx, ctx)?;
        require_read(&who, &package)?;
        let stream = ActivityStream {
            object_id: Some(package.id),
            labels: user_labels(&who),
            hide_site_activity: !hidden,
            types,
            exclude_types,
            after: page.after,
            before: page.before,
            limit: page.limit,
            offset: page.offset,
            ..ActivityStream::default()
        };
        Ok::<_, ActionError>(tx.activity_stream(&stream)?)
    })?;
    activity_list(&activities)
}

pub const USER_ACTIVITY_LIST: Action = Action {
    name: "user_activity_list",
    side_effect_free: true,
    tag: "activity",
    doc: "Return a user's activity stream, newest first.\n\n\
          What the user did and what was done to their account; activities of datasets the \
          caller may not read are left out.\n\n:rtype: list of dictionaries",
    request: request_doc::<UserActivityListRequest>,
    response: response_doc::<Vec<ActivityDict>>,
    errors: &[(404, "No such user"), (409, "Bad paging or type lists, or `id` missing")],
    run: |ctx, params| user_activity_list(ctx, UserActivityListRequest::parse(params)?),
};

request! {
    /// The user and the page.
    pub struct UserActivityListRequest {
        /// The id or name of the user.
        pub id: String => not_missing,
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
        /// Checked to be a JSON list of strings, as CKAN checks it; a user's stream is not
        /// filtered by type.
        pub activity_types: Option<Vec<String>> => string_list,
        /// Checked to be a JSON list of strings, as CKAN checks it; a user's stream is not
        /// filtered by type.
        pub exclude_activity_types: Option<Vec<String>> => string_list,
    }
}

fn user_activity_list(ctx: &Context<'_>, request: UserActivityListRequest) -> ActionResult {
    // The type lists were checked while parsing, as CKAN checks them; a user's stream does not
    // filter by type.
    if request.activity_types.is_some() || request.exclude_activity_types.is_some() {
        log::debug!("user_activity_list: activity_types and exclude_activity_types do not filter");
    }
    let page = Paging::new(request.limit, request.offset, request.after, request.before);
    let activities = ctx.store().read(|tx| {
        let user = tx.user_by_id_or_name(&request.id)?.ok_or(ActionError::NotFound(None))?;
        let who = memberships(tx, ctx)?;
        let stream = ActivityStream {
            by_or_about_user: Some(user.id),
            labels: user_labels(&who),
            hide_site_activity: true,
            after: page.after,
            before: page.before,
            limit: page.limit,
            offset: page.offset,
            ..ActivityStream::default()
        };
        Ok::<_, ActionError>(tx.activity_stream(&stream)?)
    })?;
    activity_list(&activities)
}

pub const RECENTLY_CHANGED_PACKAGES_ACTIVITY_LIST: Action = Action {
    name: "recently_changed_packages_activity_list",
    side_effect_free: true,
    tag: "activity",
    doc: "Return the site's recent dataset activities, newest first.\n\n\
          New, changed and deleted datasets of the whole site; those of datasets the caller may \
          not read are left out.\n\n:rtype: list of dictionaries",
    request: request_doc::<RecentlyChangedPackagesActivityListRequest>,
    response: response_doc::<Vec<ActivityDict>>,
    errors: &[(409, "Bad paging")],
    run: |ctx, params| {
        recently_changed_packages_activity_list(
            ctx,
            RecentlyChangedPackagesActivityListRequest::parse(params)?,
        )
    },
};

request! {
    /// The page.
    pub struct RecentlyChangedPackagesActivityListRequest {
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

fn recently_changed_packages_activity_list(
    ctx: &Context<'_>,
    request: RecentlyChangedPackagesActivityListRequest,
) -> ActionResult {
    let page = Paging::new(request.limit, request.offset, request.after, request.before);
    let activities = ctx.store().read(|tx| {
        let who = memberships(tx, ctx)?;
        let stream = ActivityStream {
            packages_only: true,
            labels: user_labels(&who),
            hide_site_activity: true,
            after: page.after,
            before: page.before,
            limit: page.limit,
            offset: page.offset,
            ..ActivityStream::default()
        };
        Ok::<_, ActionError>(tx.activity_stream(&stream)?)
    })?;
    activity_list(&activities)
}

/// What a caller must be allowed to do with the dataset to see an activity: read it
/// (`activity_show`), or edit it to see its data (`activity_data_show`, `activity_diff`, as
/// CKAN has it while `ckan.auth.public_activity_stream_detail` is off).
#[derive(Clone, Copy)]
enum Need {
    Read,
    Edit,
}

/// CKAN's `activity_show` check: sysadmins see everything; others only dataset activities whose
/// labels they hold, of a dataset they may read (or edit).
fn check_activity(ctx: &Context<'_>, tx: &mut Tx<'_>, activity: &Activity, need: Need) -> ActionResult<()> {
    let who = memberships(tx, ctx)?;
    if who.sysadmin {
        return Ok(());
    }
    if !activity.activity_type.contains("package") {
        return Err(ActionError::denied("object_type not recognized"));
    }
    let labels = user_labels(&who).unwrap_or_default();
    if !activity.permission_labels.iter().any(|label| labels.contains(label)) {
        return Err(ActionError::denied("Unauthorized to view activity data"));
    }
    let package = find_package(tx, &activity.object_id, None)?;
    match need {
        Need::Read => require_read(&who, &package),
        Need::Edit => require_edit(&who, &package),
    }
}

fn find_activity(tx: &mut Tx<'_>, id: &str) -> ActionResult<Activity> {
    tx.activity_by_id(id)?.ok_or(ActionError::NotFound(None))
}

pub const ACTIVITY_SHOW: Action = Action {
    name: "activity_show",
    side_effect_free: true,
    tag: "activity",
    doc: "Return one activity of an activity stream.\n\n\
          Dataset activities are shown to those who may read the dataset and hold its \
          permission labels; others to sysadmins.\n\n:rtype: dictionary",
    request: request_doc::<ActivityShowRequest>,
    response: response_doc::<ActivityDict>,
    errors: &[
        (
            403,
            "`Access denied: Unauthorized to view activity data`, `Access denied: object_type not recognized`, or may not read the dataset",
        ),
        (404, "No such activity"),
        (409, "`id` missing"),
    ],
    run: |ctx, params| activity_show(ctx, ActivityShowRequest::parse(params)?),
};

request! {
    /// An activity.
    pub struct ActivityShowRequest {
        /// The id of the activity.
        pub id: String,
    }
}

fn activity_show(ctx: &Context<'_>, request: ActivityShowRequest) -> ActionResult {
    ctx.store().read(|tx| {
        let activity = find_activity(tx, &request.id)?;
        check_activity(ctx, tx, &activity, Need::Read)?;
        to_json(&activity_dict(&activity))
    })
}

pub const ACTIVITY_DATA_SHOW: Action = Action {
    name: "activity_data_show",
    side_effect_free: true,
    tag: "activity",
    doc: "Return the data of an activity.\n\n\
          The object as it was after the change: for a dataset activity, \
          ``{\"package\": <dataset dict>, \"actor\": <user name>}``, or with `object_type` only \
          that part. You must be allowed to edit the dataset.\n\n:rtype: dictionary",
    request: request_doc::<ActivityDataShowRequest>,
    response: response_doc::<Value>,
    errors: &[
        (
            403,
            "`Access denied: Unauthorized to view activity data`, `Access denied: object_type not recognized`, or may not edit the dataset",
        ),
        (404, "No such activity, or `Not found: Could not find that object_type in the activity`"),
        (409, "`id` missing"),
    ],
    run: |ctx, params| activity_data_show(ctx, ActivityDataShowRequest::parse(params)?),
};

request! {
    /// An activity, and which part of its data.
    pub struct ActivityDataShowRequest {
        /// The id of the activity.
        pub id: String => |p, k, _| required(p, [k]).map(|[v]| v),
        /// Only this part of the data: `package`, `user`, `group` or `organization`.
        pub object_type: Option<String>,
    }
}

fn activity_data_show(ctx: &Context<'_>, request: ActivityDataShowRequest) -> ActionResult {
    let object_type = request.object_type.filter(|t| !t.is_empty());
    ctx.store().read(|tx| {
        let activity = find_activity(tx, &request.id)?;
        check_activity(ctx, tx, &activity, Need::Edit)?;
        match object_type {
            None => Ok(activity.data),
            Some(object_type) => activity
                .data
                .get(&object_type)
                .cloned()
                .ok_or_else(|| ActionError::not_found("Could not find that object_type in the activity")),
        }
    })
}

pub const ACTIVITY_DIFF: Action = Action {
    name: "activity_diff",
    side_effect_free: true,
    tag: "activity",
    doc: "Return a diff of an activity's object against the previous activity of the same \
          object.\n\n\
          The two objects are printed as sorted, indented JSON and compared line by line, as \
          Python's `difflib` does. You must be allowed to edit the dataset.\n\n\
          :returns: ``{diff, activities}``: the diff, and the two activities, older first\n\
          :rtype: dictionary",
    request: request_doc::<ActivityDiffRequest>,
    response: response_doc::<ActivityDiffResult>,
    errors: &[
        (
            403,
            "`Access denied: Unauthorized to view activity data`, `Access denied: object_type not recognized`, or may not edit the dataset",
        ),
        (404, "No such activity, no previous one, or no such object in them"),
        (409, "`id` or `object_type` missing, or `{\"message\": \"diff_type not recognized\"}`"),
    ],
    run: |ctx, params| activity_diff(ctx, ActivityDiffRequest::parse(params)?),
};

request! {
    /// An activity, the object to compare and the diff's format.
    pub struct ActivityDiffRequest {
        /// The id of the activity.
        pub id: String => |p, k, _| required(p, [k]).map(|[v]| v),
        /// `package`, `user`, `group` or `organization`.
        pub object_type: String => |p, k, _| required(p, [k]).map(|[v]| v),
        /// `unified` (default) or `context`; `html` is not supported.
        pub diff_type: Option<String>,
    }
}

fn activity_diff(ctx: &Context<'_>, request: ActivityDiffRequest) -> ActionResult {
    let diff_type = request.diff_type.unwrap_or_else(|| "unified".to_owned());
    let (previous, activity) = ctx.store().read(|tx| {
        let activity = find_activity(tx, &request.id)?;
        check_activity(ctx, tx, &activity, Need::Edit)?;
        let previous = tx
            .previous_activity(&activity)?
            .ok_or_else(|| ActionError::not_found("Previous activity for this object not found"))?;
        Ok::<_, ActionError>((previous, activity))
    })?;
    let objects = [&previous, &activity]
        .map(|a| a.data.get(&request.object_type).map(diff::python_json))
        .map(|text| text.ok_or_else(|| ActionError::not_found("Could not find object in the activity data")));
    let [old, new] = objects;
    let (old, new) = (old?, new?);
    let old_lines: Vec<&str> = old.split('\n').collect();
    let new_lines: Vec<&str> = new.split('\n').collect();
    let diff = match diff_type.as_str() {
        "unified" => diff::unified_diff(&old_lines, &new_lines),
        "context" => diff::context_diff(&old_lines, &new_lines),
        _ => {
            let mut dict = Map::new();
            dict.insert("message".into(), "diff_type not recognized".into());
            return Err(ActionError::ValidationDict(dict));
        }
    };
    to_json(&ActivityDiffResult {
        diff,
        activities: vec![activity_dict(&previous), activity_dict(&activity)],
    })
}
