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
use serde_json::{Map, Value, json};

use crate::access::{memberships, require_edit, require_read};
use crate::package::find_package;
use crate::{Action, ActionError, ActionResult, Context};

/// CKAN's `ckan.activity_list_limit` and `ckan.activity_list_limit_max` defaults.
const DEFAULT_LIMIT: u64 = 31;
const MAX_LIMIT: u64 = 100;

/// CKAN's activity dict (2.11 keys, in its column order).
fn activity_dict(activity: &Activity) -> Value {
    json!({
        "id": activity.id,
        "timestamp": activity.timestamp.to_ckan_string(),
        "user_id": activity.user_id,
        "object_id": activity.object_id,
        "activity_type": activity.activity_type,
        "data": activity.data,
        "permission_labels": activity.permission_labels,
    })
}

fn activity_list(activities: &[Activity]) -> Value {
    Value::Array(activities.iter().map(activity_dict).collect())
}

/// The dataset labels a caller holds; `None` for sysadmins, who see everything.
fn user_labels(who: &Memberships) -> Option<Vec<String>> {
    if who.sysadmin {
        return None;
    }
    let mut labels = vec!["public".to_owned()];
    if let Some(id) = who.user_id.as_deref().filter(|id| !id.is_empty()) {
        labels.push(format!("creator-{id}"));
    }
    labels.extend(who.groups.keys().map(|group| format!("member-{group}")));
    labels.extend(who.collaborations.keys().map(|package| format!("collaborator-{package}")));
    labels.sort();
    Some(labels)
}

/// `after` / `before`: Unix timestamps, whole or fractional, as numbers or text.
fn unix_time(params: &Params, key: &str, errors: &mut ValidationErrors) -> Option<Timestamp> {
    let value = params.get(key)?;
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
    time
}

/// `limit` (31 by default, at most 100), `offset`, `after`, `before`.
struct Paging {
    limit: i64,
    offset: i64,
    after: Option<Timestamp>,
    before: Option<Timestamp>,
}

fn paging(params: &Params, errors: &mut ValidationErrors) -> Paging {
    let limit = match params.natural("limit", errors) {
        None => DEFAULT_LIMIT,
        // CKAN reads 0 as "no limit"; the maximum is the most it would ever send otherwise.
        Some(0) => MAX_LIMIT,
        Some(limit) => limit.min(MAX_LIMIT),
    };
    let offset = params.natural("offset", errors).unwrap_or(0);
    Paging {
        limit: i64::try_from(limit).unwrap_or(31),
        offset: i64::try_from(offset).unwrap_or(i64::MAX),
        after: unix_time(params, "after", errors),
        before: unix_time(params, "before", errors),
    }
}

/// CKAN's `list_of_strings`.
fn string_list(params: &Params, key: &str, errors: &mut ValidationErrors) -> Option<Vec<String>> {
    let value = params.get(key)?;
    let Value::Array(items) = value else {
        errors.add(key, "Not a list");
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::String(s) => out.push(s.clone()),
            other => {
                errors.add(key, format!("Not a string: {other}"));
                return None;
            }
        }
    }
    Some(out)
}

/// `include_hidden_activity`: honoured for sysadmins only, silently dropped for others; any
/// value that is not clearly true is false (CKAN's `boolean_validator`).
fn include_hidden(ctx: &Context<'_>, params: &Params) -> bool {
    ctx.actor.is_sysadmin() && params.get("include_hidden_activity").and_then(parse_bool).unwrap_or(false)
}

/// `id`, CKAN's `not_missing`: absent is an error, empty finds nothing.
fn object_reference(params: &Params, errors: &mut ValidationErrors) -> String {
    let id = params.string("id", errors);
    if id.is_none() && !errors.contains("id") {
        errors.add("id", MISSING_VALUE);
    }
    id.unwrap_or_default()
}

pub const PACKAGE_ACTIVITY_LIST: Action = Action {
    name: "package_activity_list",
    side_effect_free: true,
    doc: "Return a dataset's activity stream, newest first.\n\n\
          You must be allowed to read the dataset.\n\n\
          :param id: the id or name of the dataset\n:type id: string\n\
          :param offset: where to start (optional, default: ``0``)\n:type offset: int\n\
          :param limit: the most activities to return (optional, default: ``31``, at most ``100``)\n\
          :type limit: int\n\
          :param after: only activities after this Unix timestamp (optional)\n:type after: int, str\n\
          :param before: only activities before this Unix timestamp (optional)\n:type before: int, str\n\
          :param include_hidden_activity: also what the site itself did (CLI loads, harvests); \
          sysadmins only (optional, default: ``False``)\n:type include_hidden_activity: bool\n\
          :param activity_types: only activities of these types (optional)\n:type activity_types: list\n\
          :param exclude_activity_types: leave out activities of these types (optional)\n\
          :type exclude_activity_types: list\n\n:rtype: list of dictionaries",
    run: package_activity_list,
    ..crate::UNTYPED
};

fn package_activity_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let id = object_reference(params, &mut errors);
    let page = paging(params, &mut errors);
    let types = string_list(params, "activity_types", &mut errors);
    let exclude_types = string_list(params, "exclude_activity_types", &mut errors);
    errors.into_result()?;
    if types.is_some() && exclude_types.is_some() {
        return Err(ActionError::field(
            "activity_types",
            "Cannot be used together with `exclude_activity_types",
        ));
    }
    let hidden = include_hidden(ctx, params);
    let activities = ctx.store().read(|tx| {
        let package = find_package(tx, &id, None)?;
        let who = memberships(tx, &ctx.actor)?;
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
    Ok(activity_list(&activities))
}

pub const USER_ACTIVITY_LIST: Action = Action {
    name: "user_activity_list",
    side_effect_free: true,
    doc: "Return a user's activity stream: what they did and what was done to their account, \
          newest first. Activities of datasets the caller may not read are left out.\n\n\
          :param id: the id or name of the user\n:type id: string\n\
          :param offset: where to start (optional, default: ``0``)\n:type offset: int\n\
          :param limit: the most activities to return (optional, default: ``31``, at most ``100``)\n\
          :type limit: int\n\
          :param after: only activities after this Unix timestamp (optional)\n:type after: int, str\n\
          :param before: only activities before this Unix timestamp (optional)\n:type before: int, str\n\n\
          :rtype: list of dictionaries",
    run: user_activity_list,
    ..crate::UNTYPED
};

fn user_activity_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let id = object_reference(params, &mut errors);
    let page = paging(params, &mut errors);
    // Checked as CKAN's schema checks them, though a user's stream does not filter by type.
    string_list(params, "activity_types", &mut errors);
    string_list(params, "exclude_activity_types", &mut errors);
    errors.into_result()?;
    let activities = ctx.store().read(|tx| {
        let user = tx.user_by_id_or_name(&id)?.ok_or(ActionError::NotFound(None))?;
        let who = memberships(tx, &ctx.actor)?;
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
    Ok(activity_list(&activities))
}

pub const RECENTLY_CHANGED_PACKAGES_ACTIVITY_LIST: Action = Action {
    name: "recently_changed_packages_activity_list",
    side_effect_free: true,
    doc: "Return the site's recent dataset activities (new, changed and deleted datasets), \
          newest first; those of datasets the caller may not read are left out.\n\n\
          :param offset: where to start (optional, default: ``0``)\n:type offset: int\n\
          :param limit: the most activities to return (optional, default: ``31``, at most ``100``)\n\
          :type limit: int\n\
          :param after: only activities after this Unix timestamp (optional)\n:type after: int, str\n\
          :param before: only activities before this Unix timestamp (optional)\n:type before: int, str\n\n\
          :rtype: list of dictionaries",
    run: recently_changed_packages_activity_list,
    ..crate::UNTYPED
};

fn recently_changed_packages_activity_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let page = paging(params, &mut errors);
    errors.into_result()?;
    let activities = ctx.store().read(|tx| {
        let who = memberships(tx, &ctx.actor)?;
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
    Ok(activity_list(&activities))
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
    let who = memberships(tx, &ctx.actor)?;
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

/// `id` as CKAN's `get_or_bust` reads it.
fn required(params: &Params, key: &str) -> ActionResult<String> {
    let mut errors = ValidationErrors::new();
    let value = params.required_string(key, &mut errors);
    errors.into_result()?;
    value.ok_or_else(|| ActionError::field(key, MISSING_VALUE))
}

fn find_activity(tx: &mut Tx<'_>, id: &str) -> ActionResult<Activity> {
    tx.activity_by_id(id)?.ok_or(ActionError::NotFound(None))
}

pub const ACTIVITY_SHOW: Action = Action {
    name: "activity_show",
    side_effect_free: true,
    doc: "Return one activity of an activity stream.\n\n\
          Dataset activities are shown to those who may read the dataset; others to sysadmins.\n\n\
          :param id: the id of the activity\n:type id: string\n\n:rtype: dictionary",
    run: activity_show,
    ..crate::UNTYPED
};

fn activity_show(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let id = required(params, "id")?;
    ctx.store().read(|tx| {
        let activity = find_activity(tx, &id)?;
        check_activity(ctx, tx, &activity, Need::Read)?;
        Ok(activity_dict(&activity))
    })
}

pub const ACTIVITY_DATA_SHOW: Action = Action {
    name: "activity_data_show",
    side_effect_free: true,
    doc: "Return the data of an activity: the object as it was after the change (for a dataset \
          activity, ``{\"package\": <dataset dict>, \"actor\": <user name>}``).\n\n\
          You must be allowed to edit the dataset.\n\n\
          :param id: the id of the activity\n:type id: string\n\
          :param object_type: only this part of the data: ``package``, ``user``, ``group`` or \
          ``organization`` (optional)\n:type object_type: string\n\n:rtype: dictionary",
    run: activity_data_show,
    ..crate::UNTYPED
};

fn activity_data_show(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let id = required(params, "id")?;
    let mut errors = ValidationErrors::new();
    let object_type = params.string("object_type", &mut errors).filter(|t| !t.is_empty());
    errors.into_result()?;
    ctx.store().read(|tx| {
        let activity = find_activity(tx, &id)?;
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
    doc: "Return a diff of an activity's object against the previous activity of the same \
          object.\n\nYou must be allowed to edit the dataset.\n\n\
          :param id: the id of the activity\n:type id: string\n\
          :param object_type: ``package``, ``user``, ``group`` or ``organization``\n\
          :type object_type: string\n\
          :param diff_type: ``unified`` or ``context`` (optional, default: ``unified``; \
          ``html`` is not supported)\n:type diff_type: string\n\n\
          :returns: ``{diff, activities}``: the diff of the two objects printed as sorted, \
          indented JSON, and the two activities, older first\n:rtype: dictionary",
    run: activity_diff,
    ..crate::UNTYPED
};

fn activity_diff(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let id = required(params, "id")?;
    let object_type = required(params, "object_type")?;
    let mut errors = ValidationErrors::new();
    let diff_type = params.string("diff_type", &mut errors).unwrap_or_else(|| "unified".to_owned());
    errors.into_result()?;
    let (previous, activity) = ctx.store().read(|tx| {
        let activity = find_activity(tx, &id)?;
        check_activity(ctx, tx, &activity, Need::Edit)?;
        let previous = tx
            .previous_activity(&activity)?
            .ok_or_else(|| ActionError::not_found("Previous activity for this object not found"))?;
        Ok::<_, ActionError>((previous, activity))
    })?;
    let objects = [&previous, &activity]
        .map(|a| a.data.get(&object_type).map(diff::python_json))
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
    Ok(json!({"diff": diff, "activities": [activity_dict(&previous), activity_dict(&activity)]}))
}
