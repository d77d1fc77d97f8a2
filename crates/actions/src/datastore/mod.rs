//! The DataStore actions (CKAN's `ckanext-datastore`): tables of rows per resource. The tables
//! live in [`datahavn_datastore`]; this layer decides who may read or write which resource, in
//! CKAN's order of checks and with its messages, and keeps the resource's `datastore_active`.

mod jobs;
mod read;
mod triggers;
mod write;

use std::time::Duration;

use datahavn_datastore::{Datastore, DatastoreError};
use datahavn_domain::ValidationErrors;
use datahavn_domain::params::Params;
use datahavn_storage::Tx;
use serde_json::{Map, Value};

use crate::access::memberships;
use crate::package::find_package;
use crate::{ActionError, ActionResult, Context};

pub use jobs::{
    DATASTORE_LOAD, LoadJobs, LoadStatus, XLOADER_STATUS, XLOADER_SUBMIT, load_file, load_resource_file,
    load_upload,
};
pub use read::{DATASTORE_INFO, DATASTORE_SEARCH, DATASTORE_SEARCH_SQL, search_for_dump};
pub use triggers::DATASTORE_RUN_TRIGGERS;
pub use write::{
    DATASTORE_CREATE, DATASTORE_DELETE, DATASTORE_FUNCTION_CREATE, DATASTORE_FUNCTION_DELETE,
    DATASTORE_RECORDS_DELETE, DATASTORE_UPSERT,
};

/// The DataStore of a server: its tables, its settings and its background loads.
pub struct DatastoreService {
    pub tables: Datastore,
    pub settings: DatastoreSettings,
    pub jobs: LoadJobs,
}

impl DatastoreService {
    pub fn new(tables: Datastore, settings: DatastoreSettings) -> Self {
        tables.set_search_timeout(settings.sql_timeout);
        Self { tables, settings, jobs: LoadJobs::default() }
    }
}

/// CKAN's `ckan.datastore.*` settings.
#[derive(Debug, Clone)]
pub struct DatastoreSettings {
    /// `ckan.datastore.search.rows_default`: rows `datastore_search` returns by default.
    pub rows_default: u64,
    /// `ckan.datastore.search.rows_max`: the most rows one search or SQL query returns.
    pub rows_max: u64,
    /// `ckan.datastore.sqlsearch.enabled`: whether `datastore_search_sql` is served.
    pub sql_enabled: bool,
    /// The statement time limit of `datastore_search_sql` (and of searches).
    pub sql_timeout: Duration,
    /// `ckan.datastore.default_fts_lang`.
    pub default_language: String,
    /// The largest file a load fetches or reads, in bytes.
    pub max_load_bytes: u64,
}

impl Default for DatastoreSettings {
    fn default() -> Self {
        Self {
            rows_default: 100,
            rows_max: 32_000,
            sql_enabled: true,
            sql_timeout: Duration::from_secs(10),
            default_language: "english".into(),
            max_load_bytes: 1 << 30,
        }
    }
}

/// The server's DataStore, or CKAN's answer for an action of a plugin that is not loaded.
pub(crate) fn service<'a>(ctx: &Context<'a>) -> ActionResult<&'a DatastoreService> {
    ctx.services
        .datastore
        .as_deref()
        .ok_or_else(|| ActionError::Internal("the DataStore is not configured".into()))
}

/// A DataStore failure as CKAN reports it.
pub(crate) fn failure(error: DatastoreError) -> ActionError {
    match error {
        DatastoreError::NotFound(id) => ActionError::not_found(format!("Resource \"{id}\" was not found.")),
        DatastoreError::Validation(fields) => ActionError::ValidationDict(fields),
        DatastoreError::Query { message, info } => {
            let mut dict = Map::new();
            dict.insert("query".into(), Value::Array(vec![Value::String(message)]));
            if let Some(info) = info {
                dict.insert("info".into(), info);
            }
            ActionError::ValidationDict(dict)
        }
        DatastoreError::Timeout => {
            let mut dict = Map::new();
            dict.insert("query".into(), serde_json::json!(["Search took too long"]));
            ActionError::ValidationDict(dict)
        }
        DatastoreError::Unavailable(cause) => ActionError::Unavailable(cause),
        other => ActionError::Internal(other.to_string()),
    }
}

/// What a DataStore action may do with a resource: CKAN checks `resource_show` for reads and
/// `resource_update` (or `package_update`) for writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Privilege {
    Read,
    Edit,
}

impl Privilege {
    fn action(self) -> &'static str {
        match self {
            Self::Read => "resource_show",
            Self::Edit => "resource_update",
        }
    }
}

/// A resource of the catalogue a DataStore action works on.
pub(crate) struct Target {
    pub resource: Map<String, Value>,
}

impl Target {
    pub fn url_type(&self) -> Option<&str> {
        self.resource.get("url_type").and_then(Value::as_str)
    }

    pub fn datastore_active(&self) -> bool {
        self.resource.get("datastore_active").and_then(Value::as_bool).unwrap_or(false)
    }
}

/// The resource `id`, if the caller may do `privilege` on it: CKAN's `resource_show` 404
/// (`Resource was not found.`) first, then its `datastore_auth` 403.
pub(crate) fn target(ctx: &Context<'_>, id: &str, privilege: Privilege) -> ActionResult<Target> {
    ctx.store().read(|tx| target_in(ctx, tx, id, privilege))
}

pub(crate) fn target_in(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    id: &str,
    privilege: Privilege,
) -> ActionResult<Target> {
    let gone = || ActionError::not_found("Resource was not found.");
    let index = tx.resource_by_id(id)?.ok_or_else(gone)?;
    let record = find_package(tx, &index.package_id, Some("Resource was not found."))?;
    let resource = record
        .document
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
        .cloned()
        .ok_or_else(gone)?;
    let who = memberships(tx, ctx)?;
    let allowed = match privilege {
        Privilege::Read => datahavn_domain::authz::can_read_package(&who, &record.access()),
        Privilege::Edit => datahavn_domain::authz::can_edit_package(&who, &record.access()),
    };
    if !allowed {
        return Err(not_allowed(&who, privilege, id));
    }
    Ok(Target { resource })
}

/// Whether the caller may read resource `id`, as `target(ctx, id, Privilege::Read)` decides,
/// from the dataset's access columns alone (the hot path of `datastore_search`).
pub(crate) fn check_readable(ctx: &Context<'_>, id: &str) -> ActionResult<()> {
    ctx.store().read(|tx| {
        let access = tx
            .resource_package_access(id)?
            .ok_or_else(|| ActionError::not_found("Resource was not found."))?;
        let who = memberships(tx, ctx)?;
        if datahavn_domain::authz::can_read_package(&who, &access) {
            Ok(())
        } else {
            Err(not_allowed(&who, Privilege::Read, id))
        }
    })
}

/// CKAN's `datastore_auth` refusal.
fn not_allowed(who: &datahavn_domain::authz::Memberships, privilege: Privilege, id: &str) -> ActionError {
    ActionError::denied(format!(
        "User {} not authorized to perform {} on resource {id}",
        who.user_name,
        privilege.action()
    ))
}

/// Resources that are gone take their tables with them, as CKAN's DataStore drops the table of
/// a deleted resource. Failures are logged: the resources are already gone.
pub(crate) fn forget(ctx: &Context<'_>, resource_ids: &[String]) {
    let Some(service) = ctx.services.datastore.as_deref() else { return };
    for id in resource_ids {
        if let Err(error) = service.tables.drop_table(id) {
            log::warn!("could not drop the DataStore table of resource {id}: {error}");
        }
    }
}

/// CKAN's `_check_read_only`: only tables made for editing take writes without `force`.
pub(crate) fn check_writable(target: &Target, force: bool) -> ActionResult<()> {
    if force || target.url_type() == Some("datastore") {
        return Ok(());
    }
    let mut dict = Map::new();
    dict.insert(
        "read-only".into(),
        serde_json::json!([
            "Cannot edit read-only resource because changes made may be lost. Use a resource \
             created for editing e.g. with datastore_create or use \"force=True\" to ignore this warning."
        ]),
    );
    Err(ActionError::ValidationDict(dict))
}

/// Sets the resource's `datastore_active` (and, for tables made for editing, `last_modified`)
/// through `resource_patch`, as CKAN does, when it differs.
pub(crate) fn mark_active(ctx: &Context<'_>, target: &Target, active: bool) -> ActionResult<()> {
    if target.datastore_active() == active {
        return Ok(());
    }
    let mut patch = Map::new();
    patch.insert("id".into(), target.resource.get("id").cloned().unwrap_or(Value::Null));
    patch.insert("datastore_active".into(), Value::Bool(active));
    if target.url_type() == Some("datastore") {
        patch.insert("last_modified".into(), Value::String(datahavn_domain::Timestamp::now().to_string()));
    }
    (crate::resource::RESOURCE_PATCH.run)(ctx, &Params::new(patch)).map(|_| ())
}

/// The resource a request names as `resource_id`, or by its older name `id` (409 when neither).
pub(crate) fn named_resource(resource_id: &Option<String>, id: &Option<String>) -> ActionResult<String> {
    resource_id
        .clone()
        .or_else(|| id.clone())
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| ActionError::field("resource_id", datahavn_domain::params::MISSING_VALUE))
}

/// The resource id of the table `name` (a resource id or an alias) names, if the caller may
/// read the resource; `missing` is CKAN's text for a table that does not exist.
pub(crate) fn readable_table(
    ctx: &Context<'_>,
    service: &DatastoreService,
    name: &str,
    missing: impl FnOnce(&str) -> String,
) -> ActionResult<String> {
    let resource_id = service
        .tables
        .resolve(name)
        .map_err(failure)?
        .ok_or_else(|| ActionError::not_found(missing(name)))?;
    check_readable(ctx, &resource_id)?;
    Ok(resource_id)
}

/// CKAN's `__junk` check: a key the action does not take is an error.
pub(crate) fn no_junk(params: &Params, fields: &[&str]) -> ActionResult<()> {
    let junk = crate::request::rest(params, fields);
    if junk.is_empty() {
        return Ok(());
    }
    Err(ActionError::field("__junk", "The input field __junk was not expected."))
}

/// A list of names given as a JSON list, JSON text or one comma-separated string
/// (`datastore_helpers.get_list`).
pub(crate) fn names(value: &Option<Vec<String>>) -> Vec<String> {
    value.clone().unwrap_or_default().into_iter().map(|s| s.trim().to_owned()).collect()
}

/// A JSON value sent as itself or as JSON text (CKAN's `json_validator`).
pub(crate) fn json_value(
    params: &Params,
    key: &str,
    errors: &mut ValidationErrors,
) -> ActionResult<Option<Value>> {
    Ok(match params.get(key) {
        None => None,
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(value) => Some(value),
            Err(_) => {
                errors.add(key, "Cannot parse JSON");
                None
            }
        },
        Some(other) => Some(other.clone()),
    })
}
