//! CKAN's task statuses: `task_status_show`, `task_status_update`, `task_status_update_many`,
//! `task_status_delete`. A task status is a free-form note an extension keeps on a task it runs
//! for an entity: one per entity, task type and key.

use chrono::NaiveDateTime;
use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_domain::site_admin::TaskStatus;
use datahavn_domain::{Timestamp, ValidationErrors};
use serde_json::Value;

use crate::args::{authenticated, not_empty, sysadmin_only, unicode_safe};
use crate::dto::{TaskStatusDict, TaskStatusResults};
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

fn dict(task: TaskStatus) -> TaskStatusDict {
    TaskStatusDict {
        id: task.id,
        entity_id: task.entity_id,
        entity_type: task.entity_type,
        task_type: task.task_type,
        key: task.key,
        value: task.value,
        state: task.state,
        error: task.error,
        last_updated: task.last_updated.map(Timestamp::to_ckan_string),
    }
}

/// `id` as CKAN's `data_dict.get('id')` reads it: absent, `null` and `""` are no id.
fn given_id(id: Option<String>) -> Option<String> {
    id.filter(|id| !id.is_empty())
}

/// CKAN's `_get_or_bust` of one key.
fn get_or_bust(value: Option<String>, key: &str) -> ActionResult<String> {
    value.ok_or_else(|| ActionError::field(key, MISSING_VALUE))
}

pub const TASK_STATUS_SHOW: Action = Action {
    name: "task_status_show",
    side_effect_free: true,
    tag: "site",
    doc: "Return a task status.\n\n\
          Either the ``id`` parameter *or* the ``entity_id``, ``task_type`` *and* ``key`` \
          parameters must be given. Any signed-in user may read task statuses.\n\n\
          :rtype: dictionary",
    request: request_doc::<TaskStatusShowRequest>,
    response: response_doc::<TaskStatusDict>,
    errors: &[
        (403, "Anonymous: `Action task_status_show requires an authenticated user`"),
        (404, "No such task status"),
        (409, "No `id`, and `entity_id`, `task_type` or `key` missing"),
    ],
    run: |ctx, params| {
        let request = TaskStatusShowRequest::parse(params)?;
        let found = match given_id(request.id) {
            Some(id) => ctx.store().read(|tx| tx.task_status(&id))?,
            None => {
                let entity_id = get_or_bust(request.entity_id, "entity_id")?;
                let task_type = get_or_bust(request.task_type, "task_type")?;
                let key = get_or_bust(request.key, "key")?;
                ctx.store().read(|tx| tx.task_status_by_key(&entity_id, &task_type, &key))?
            }
        };
        let task = found.ok_or(ActionError::NotFound(None))?;
        authenticated(ctx, "task_status_show")?;
        to_json(&dict(task))
    },
};

request! {
    /// The task status: its id, or its entity, task type and key.
    pub struct TaskStatusShowRequest {
        /// The id of the task status.
        pub id: Option<String>,
        /// The id of the entity the task is about (without `id`).
        pub entity_id: Option<String>,
        /// The task type (without `id`).
        pub task_type: Option<String>,
        /// The key (without `id`).
        pub key: Option<String>,
    }
}

request! {
    /// A task status to create or update. Without `id`, the status of the same entity, task
    /// type and key is updated if there is one, else a new one is made.
    pub struct TaskStatusUpdateRequest {
        /// The id of the task status to update.
        pub id: Option<String>,
        /// The id of the entity the task is about.
        #[schema(value_type = String)]
        pub entity_id: Option<Value>,
        /// What kind of entity it is (e.g. ``package``, ``resource``).
        #[schema(value_type = String)]
        pub entity_type: Option<Value>,
        /// The kind of task.
        #[schema(value_type = String)]
        pub task_type: Option<Value>,
        /// The key of the status within the task.
        #[schema(value_type = String)]
        pub key: Option<Value>,
        /// The value (required for a new task status).
        #[schema(value_type = Option<String>)]
        pub value: Option<Value>,
        /// The task's state.
        #[schema(value_type = Option<String>)]
        pub state: Option<Value>,
        /// When it was last updated (``YYYY-MM-DDTHH:MM:SS[.ffffff]``); now for a new one when
        /// not given.
        #[schema(value_type = Option<String>)]
        pub last_updated: Option<Value>,
        /// The task's error.
        #[schema(value_type = Option<String>)]
        pub error: Option<Value>,
    }
}

pub const TASK_STATUS_UPDATE: Action = Action {
    name: "task_status_update",
    side_effect_free: false,
    tag: "site",
    doc: "Update a task status (or create one). Sysadmins only.\n\n\
          Without ``id``, the task status with the same ``entity_id``, ``task_type`` and \
          ``key`` is updated if there is one; otherwise a new one is made. Keys not given keep \
          their values.\n\n\
          :returns: the updated task status\n:rtype: dictionary",
    request: request_doc::<TaskStatusUpdateRequest>,
    response: response_doc::<TaskStatusDict>,
    errors: &[
        (403, "`User <name> not authorized to update task_status table`"),
        (404, "`Not found: TaskStatus was not found.` (an `id` that is not known)"),
        (
            409,
            "`entity_id`, `entity_type`, `task_type` or `key` missing; `value` missing for a new \
               task status; `last_updated` not a date",
        ),
    ],
    run: |ctx, params| {
        let request = TaskStatusUpdateRequest::parse(params)?;
        let task = ctx.store().write(|tx| update_one(ctx, tx, request))?;
        to_json(&dict(task))
    },
};

/// A timestamp as CKAN's database reads one: `YYYY-MM-DD[( |T)HH:MM:SS[.ffffff]]`.
fn timestamp(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(Timestamp::from_naive)
}

/// One `task_status_update`, inside the caller's transaction.
fn update_one(
    ctx: &Context<'_>,
    tx: &mut datahavn_storage::Tx<'_>,
    request: TaskStatusUpdateRequest,
) -> ActionResult<TaskStatus> {
    let existing = match given_id(request.id) {
        Some(id) => {
            Some(tx.task_status(&id)?.ok_or_else(|| ActionError::not_found("TaskStatus was not found."))?)
        }
        None => None,
    };
    let reason = format!("User {} not authorized to update task_status table", ctx.actor.name());
    sysadmin_only(ctx, "task_status_update", Some(reason))?;
    let mut errors = ValidationErrors::new();
    let entity_id = not_empty(request.entity_id.as_ref(), "entity_id", &mut errors);
    let entity_type = not_empty(request.entity_type.as_ref(), "entity_type", &mut errors);
    let task_type = not_empty(request.task_type.as_ref(), "task_type", &mut errors);
    let key = not_empty(request.key.as_ref(), "key", &mut errors);
    let value = request.value.as_ref().and_then(unicode_safe);
    let state = request.state.as_ref().and_then(unicode_safe);
    let error = request.error.as_ref().and_then(unicode_safe);
    let last_updated = match request.last_updated.as_ref().and_then(unicode_safe) {
        Some(text) => {
            let parsed = timestamp(&text);
            if parsed.is_none() {
                errors.add("last_updated", "Date format incorrect");
            }
            parsed
        }
        None => None,
    };
    let existing = match existing {
        Some(found) => Some(found),
        None if errors.is_empty() => tx.task_status_by_key(&entity_id, &task_type, &key)?,
        None => None,
    };
    if existing.is_none() && value.is_none() {
        errors.add("value", MISSING_VALUE);
    }
    errors.into_result()?;
    let task = match existing {
        Some(old) => {
            let task = TaskStatus {
                id: old.id,
                entity_id,
                entity_type,
                task_type,
                key,
                value: value.unwrap_or(old.value),
                state: state.or(old.state),
                error: error.or(old.error),
                last_updated: last_updated.or(old.last_updated),
            };
            tx.update_task_status(&task)?;
            task
        }
        None => {
            let task = TaskStatus {
                id: uuid::Uuid::new_v4().to_string(),
                entity_id,
                entity_type,
                task_type,
                key,
                value: value.unwrap_or_default(),
                state,
                error,
                last_updated: Some(last_updated.unwrap_or_else(Timestamp::now)),
            };
            tx.insert_task_status(&task)?;
            task
        }
    };
    Ok(task)
}

request! {
    /// The task statuses to write.
    pub struct TaskStatusUpdateManyRequest {
        /// Task status dicts, each as task_status_update takes it.
        #[schema(value_type = Vec<TaskStatusUpdateRequest>)]
        pub data: Option<Value>,
    }
}

pub const TASK_STATUS_UPDATE_MANY: Action = Action {
    name: "task_status_update_many",
    side_effect_free: false,
    tag: "site",
    doc: "Update many task statuses at once, each as task_status_update does (each is written \
          by itself, as in CKAN: those before a failing one stay written). Sysadmins only.\n\n\
          :returns: the updated task statuses\n:rtype: ``{\"results\": [<task status>, ...]}``",
    request: request_doc::<TaskStatusUpdateManyRequest>,
    response: response_doc::<TaskStatusResults>,
    errors: &[
        (403, "`User <name> not authorized to update task_status table`"),
        (404, "`Not found: TaskStatus was not found.`"),
        (409, "`data` missing or not a list of dicts, or a task status's errors"),
    ],
    run: |ctx, params| {
        let request = TaskStatusUpdateManyRequest::parse(params)?;
        let items = match &request.data {
            Some(Value::Array(items)) => items,
            Some(_) => return Err(ActionError::field("data", "Must be a list of dicts")),
            None => return Err(ActionError::field("data", MISSING_VALUE)),
        };
        let mut results = Vec::new();
        for item in items {
            let Value::Object(map) = item else {
                return Err(ActionError::field("data", "Must be a list of dicts"));
            };
            let item = TaskStatusUpdateRequest::parse(&Params::new(map.clone()))?;
            results.push(dict(ctx.store().write(|tx| update_one(ctx, tx, item))?));
        }
        to_json(&TaskStatusResults { results })
    },
};

request! {
    /// The task status to delete.
    pub struct TaskStatusDeleteRequest {
        /// The id of the task status.
        pub id: String,
    }
}

pub const TASK_STATUS_DELETE: Action = Action {
    name: "task_status_delete",
    side_effect_free: false,
    tag: "site",
    doc: "Delete a task status. Sysadmins only.\n\n:rtype: null",
    request: request_doc::<TaskStatusDeleteRequest>,
    response: response_doc::<Option<String>>,
    errors: &[(403, "Not a sysadmin"), (404, "No such task status"), (409, "`id` missing")],
    run: |ctx, params| {
        let request = TaskStatusDeleteRequest::parse(params)?;
        ctx.store().write(|tx| {
            tx.task_status(&request.id)?.ok_or(ActionError::NotFound(None))?;
            sysadmin_only(ctx, "task_status_delete", None)?;
            tx.delete_task_status(&request.id)?;
            Ok::<_, ActionError>(())
        })?;
        Ok(Value::Null)
    },
};
