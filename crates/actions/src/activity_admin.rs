//! The activity plugin's sysadmin actions: `activity_create`, `activity_delete`,
//! `activity_delete_all`, `activity_delete_counts`, and `send_email_notifications` (answered as
//! CKAN does with `ckan.activity_streams_email_notifications` off: datahavn sends no email).

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use datahavn_domain::catalog::Activity;
use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_domain::{Timestamp, ValidationErrors};
use serde_json::{Value, json};

use crate::args::{plain_error, sysadmin_only};
use crate::dto::ActivityDict;
use crate::request::{NoParams, Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// CKAN's auth functions for these actions refuse everyone but sysadmins, without a reason.
fn require_sysadmin(ctx: &Context<'_>, action: &str) -> ActionResult<()> {
    sysadmin_only(ctx, action, None)
}

/// The kind of object each activity type is about (CKAN's `object_id_validators`).
fn object_kind(activity_type: &str) -> Option<&'static str> {
    Some(match activity_type {
        "new package"
        | "changed package"
        | "deleted package"
        | "follow dataset"
        | "new resource view"
        | "changed resource view"
        | "deleted resource view" => "Dataset",
        "new user" | "changed user" | "follow user" => "User",
        "new group"
        | "changed group"
        | "deleted group"
        | "follow group"
        | "new organization"
        | "changed organization"
        | "deleted organization"
        | "follow organization" => "Group",
        _ => return None,
    })
}

pub const ACTIVITY_CREATE: Action = Action {
    name: "activity_create",
    side_effect_free: false,
    tag: "activity",
    doc: "Create a new activity stream activity (sysadmins only).\n\n\
          :returns: the newly created activity\n:rtype: dictionary",
    request: request_doc::<ActivityCreateRequest>,
    response: response_doc::<ActivityDict>,
    errors: &[
        (403, "Anonymous, or not a sysadmin"),
        (409, "`user_id`, `object_id` or `activity_type` missing or unknown"),
    ],
    run: |ctx, params| {
        require_sysadmin(ctx, "activity_create")?;
        activity_create(ctx, ActivityCreateRequest::parse(params)?)
    },
};

request! {
    /// A new activity.
    pub struct ActivityCreateRequest {
        /// The name or id of the user who carried out the activity.
        #[schema(required = true)]
        pub user_id: Option<String>,
        /// The id of the object of the activity: a dataset, user, group or organization,
        /// as the type says.
        #[schema(required = true)]
        pub object_id: Option<String>,
        /// The type of the activity, e.g. ``new package``, ``changed user``, ``deleted group``.
        #[schema(required = true)]
        pub activity_type: Option<String>,
        /// Any additional data about the activity.
        #[schema(value_type = Option<Object>)]
        pub data: Option<Value>,
        /// Who may see it (a dataset activity's labels, e.g. ``public``).
        pub permission_labels: Option<Vec<String>>,
    }
}

fn activity_create(ctx: &Context<'_>, request: ActivityCreateRequest) -> ActionResult {
    let present = |v: Option<String>| v.filter(|v| !v.is_empty());
    ctx.store().write(|tx| {
        let mut errors = ValidationErrors::new();
        let user = match present(request.user_id.clone()) {
            None => {
                errors.add("user_id", MISSING_VALUE);
                None
            }
            Some(reference) => {
                let user = tx.user_by_id_or_name(&reference)?;
                if user.is_none() {
                    errors.add("user_id", "Not found: User");
                }
                user
            }
        };
        let activity_type = present(request.activity_type.clone());
        let kind = match &activity_type {
            None => {
                errors.add("activity_type", MISSING_VALUE);
                None
            }
            Some(t) => {
                let kind = object_kind(t);
                if kind.is_none() {
                    errors.add("activity_type", "Not found: Activity type");
                }
                kind
            }
        };
        let object_id = present(request.object_id.clone());
        match (&object_id, kind, &activity_type) {
            (None, _, _) => errors.add("object_id", MISSING_VALUE),
            (Some(_), None, Some(t)) => {
                errors.add("object_id", format!("There is no object_id validator for activity type \"{t}\""));
            }
            (Some(id), Some(kind), _) => {
                let exists = match kind {
                    // CKAN's `*_id_exists` validators look ids up, not names.
                    "Dataset" => tx.package_by_id_or_name(id)?.is_some_and(|p| p.id == *id),
                    "User" => tx.user_by_id_or_name(id)?.is_some_and(|u| u.id == *id),
                    _ => tx.group_by_id_or_name(id)?.is_some_and(|g| g.id == *id),
                };
                if !exists {
                    errors.add("object_id", format!("Not found: {kind}"));
                }
            }
            (Some(_), None, None) => {}
        }
        errors.into_result()?;
        let (Some(user), Some(object_id), Some(activity_type)) = (user, object_id, activity_type) else {
            return Err(ActionError::Internal("activity_create: checked fields missing".into()));
        };
        let activity = Activity {
            id: uuid::Uuid::new_v4().to_string(),
            timestamp: Timestamp::now(),
            user_id: user.id,
            object_id,
            group_ids: Vec::new(),
            public: request.permission_labels.as_ref().is_some_and(|l| l.iter().any(|l| l == "public")),
            permission_labels: request.permission_labels.clone().unwrap_or_default(),
            activity_type,
            data: request.data.clone().filter(|d| !d.is_null() && *d != json!("")).unwrap_or(json!({})),
        };
        tx.insert_activity(&activity)?;
        let mut dict = to_json(&ActivityDict::from(activity.clone()))?;
        // What was stored, labels included, as CKAN's `activity_dictize` answers it.
        dict["permission_labels"] = match &request.permission_labels {
            Some(labels) if !labels.is_empty() => json!(labels),
            _ => Value::Null,
        };
        Ok(dict)
    })
}

pub const ACTIVITY_DELETE_COUNTS: Action = Action {
    name: "activity_delete_counts",
    side_effect_free: true,
    tag: "activity",
    doc: "Return how many activities are older than a day, 30 days and 365 days, and how many \
          there are (sysadmins only).\n\n:rtype: dictionary",
    request: request_doc::<NoParams>,
    response: response_doc::<Value>,
    errors: &[(403, "Anonymous, or not a sysadmin")],
    run: |ctx, _params| {
        require_sysadmin(ctx, "activity_delete_counts")?;
        let now = Timestamp::now().naive();
        let times: Vec<Timestamp> =
            [1, 30, 365].iter().map(|days| Timestamp::from_naive(now - TimeDelta::days(*days))).collect();
        let (counts, total) = ctx.store().read(|tx| tx.count_activities_older_than(&times))?;
        Ok(json!({
            "older_than_1_day": counts[0],
            "older_than_30_days": counts[1],
            "older_than_365_days": counts[2],
            "total": total,
        }))
    },
};

fn deleted_message(count: usize) -> ActionResult {
    if count == 0 {
        return Ok(json!({"message": "No activities found matching the specified criteria."}));
    }
    Ok(json!({"message": format!("Deleted {count} rows from the activity table.")}))
}

pub const ACTIVITY_DELETE_ALL: Action = Action {
    name: "activity_delete_all",
    side_effect_free: false,
    tag: "activity",
    doc: "Delete all activities (sysadmins only).\n\n:rtype: dictionary with a ``message``",
    request: request_doc::<ActivityDeleteAllRequest>,
    response: response_doc::<Value>,
    errors: &[(403, "Anonymous, or not a sysadmin"), (409, "`batch_size` not a natural number")],
    run: |ctx, params| {
        let request = ActivityDeleteAllRequest::parse(params)?;
        require_sysadmin(ctx, "activity_delete_all")?;
        let count = ctx.store().write(|tx| tx.delete_activities(None, None))?;
        log::info!(
            "{count} activities deleted by {:?} (batch size {:?})",
            ctx.actor.name(),
            request.batch_size
        );
        deleted_message(count)
    },
};

request! {
    /// How to delete every activity.
    pub struct ActivityDeleteAllRequest {
        /// Accepted for CKAN's clients: the rows go in one transaction.
        pub batch_size: Option<u64> => natural,
    }
}

fn natural(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<u64>> {
    if params.get(key).is_some_and(|v| v.is_null() || v.as_str() == Some("")) {
        return Ok(None);
    }
    Ok(params.natural(key, errors))
}

/// CKAN's `isodate`: a date, or a date and time.
fn iso_date(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<Timestamp>> {
    let Some(value) = params.get(key).filter(|v| !v.is_null() && v.as_str() != Some("")) else {
        return Ok(None);
    };
    let text = value.as_str().unwrap_or_default().trim();
    let parsed = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|pattern| NaiveDateTime::parse_from_str(text, pattern).ok())
        .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)));
    match parsed {
        Some(time) => Ok(Some(Timestamp::from_naive(time))),
        None => {
            errors.add(key, "Date format incorrect");
            Ok(None)
        }
    }
}

pub const ACTIVITY_DELETE: Action = Action {
    name: "activity_delete",
    side_effect_free: false,
    tag: "activity",
    doc: "Delete activities: one by id, those in a date range, or those older than a number of \
          days (sysadmins only).\n\nWith ``keep``, the newest ``keep`` activities of each object \
          stay and all older ones go.\n\n:rtype: dictionary with a ``message``",
    request: request_doc::<ActivityDeleteRequest>,
    response: response_doc::<Value>,
    errors: &[
        (403, "Anonymous, or not a sysadmin"),
        (404, "`Not found: Activity not found`"),
        (409, "Neither `id`, nor `start_date` and `end_date`, nor `offset_days`; a bad date or number"),
    ],
    run: |ctx, params| {
        let request = ActivityDeleteRequest::parse(params)?;
        require_sysadmin(ctx, "activity_delete")?;
        activity_delete(ctx, request)
    },
};

request! {
    /// Which activities to delete.
    pub struct ActivityDeleteRequest {
        /// The id of one activity to delete.
        pub id: Option<String>,
        /// Start of a range (ISO 8601, e.g. ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:mm``).
        #[schema(value_type = Option<String>)]
        pub start_date: Option<Timestamp> => iso_date,
        /// End of the range, included.
        #[schema(value_type = Option<String>)]
        pub end_date: Option<Timestamp> => iso_date,
        /// Delete the activities older than this many days.
        pub offset_days: Option<u64> => natural,
        /// Keep this many of the newest activities of each object.
        pub keep: Option<u64> => natural,
        /// Accepted for CKAN's clients: the rows go in one transaction.
        pub batch_size: Option<u64> => natural,
    }
}

fn activity_delete(ctx: &Context<'_>, request: ActivityDeleteRequest) -> ActionResult {
    if let Some(id) = request.id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
        let found = ctx.store().write(|tx| tx.delete_activity(id))?;
        if !found {
            return Err(ActionError::not_found("Activity not found"));
        }
        return Ok(json!({"message": "Activity purged"}));
    }
    let range = match (request.start_date, request.end_date) {
        (Some(from), Some(to)) => Some((from, to)),
        _ => None,
    };
    let offset = request.offset_days.filter(|days| *days > 0);
    if range.is_none() && offset.is_none() {
        return Err(ActionError::field(
            "__before",
            "Either both start_date and end_date must be specified, or offset_days must be provided.",
        ));
    }
    let (before, range) = match offset {
        Some(days) => {
            let days = i64::try_from(days).unwrap_or(i64::MAX).min(1_000_000);
            (Some(Timestamp::from_naive(Timestamp::now().naive() - TimeDelta::days(days))), None)
        }
        None => (None, range),
    };
    if let Some((from, to)) = range
        && from > to
    {
        return Err(plain_error("message", "start_date cannot be greater than end_date."));
    }
    let keep = request.keep.filter(|k| *k > 0);
    let count = ctx.store().write(|tx| match keep {
        // CKAN keeps the newest `keep` of each object over the whole table.
        Some(keep) => tx.delete_activities_beyond(usize::try_from(keep).unwrap_or(usize::MAX)),
        None => tx.delete_activities(before, range),
    })?;
    log::info!("{count} activities deleted by {:?} (batch size {:?})", ctx.actor.name(), request.batch_size);
    deleted_message(count)
}

pub const SEND_EMAIL_NOTIFICATIONS: Action = Action {
    name: "send_email_notifications",
    side_effect_free: false,
    tag: "activity",
    doc: "Send any pending activity stream notification emails to users (sysadmins only).\n\n\
          datahavn sends no email: the answer is CKAN's when \
          ``ckan.activity_streams_email_notifications`` is off.",
    request: request_doc::<NoParams>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Anonymous, or not a sysadmin"),
        (409, "`ckan.activity_streams_email_notifications is not enabled in config`"),
    ],
    run: |ctx, _params| {
        require_sysadmin(ctx, "send_email_notifications")?;
        Err(plain_error("message", "ckan.activity_streams_email_notifications is not enabled in config"))
    },
};
