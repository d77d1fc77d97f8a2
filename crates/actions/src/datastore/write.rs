//! The DataStore's writing actions: `datastore_create`, `datastore_upsert`, `datastore_delete`,
//! `datastore_records_delete`, and the sysadmin-only function actions CKAN refuses.

use datahavn_datastore::{CreateTable, FieldSpec, WriteMethod};
use datahavn_domain::ValidationErrors;
use datahavn_domain::params::{MISSING_VALUE, Params};
use serde_json::{Map, Value};

use super::{Privilege, check_writable, failure, mark_active, names, no_junk, service, target};
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context};

const WRITE_ERRORS: &[(u16, &str)] = &[
    (403, "Not allowed to edit the resource's dataset"),
    (404, "No such resource, or no table for it"),
    (409, "Field errors, a read-only resource without `force`, or rows the table refuses"),
];

/// `records`: a list of dicts.
fn records(
    params: &Params,
    key: &str,
    errors: &mut ValidationErrors,
) -> ActionResult<Vec<Map<String, Value>>> {
    let parsed;
    let value = match params.get(key) {
        None => return Ok(Vec::new()),
        Some(Value::String(text)) => {
            parsed = serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
            &parsed
        }
        Some(other) => other,
    };
    match value {
        Value::Array(items) if items.iter().all(Value::is_object) => {
            Ok(items.iter().filter_map(Value::as_object).cloned().collect())
        }
        _ => {
            errors.add(key, "Records must be a list of dicts");
            Ok(Vec::new())
        }
    }
}

/// `fields`: a list of `{id, type?, info?}` dicts; each needs a text `id`.
fn fields(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<Vec<Value>>> {
    let parsed;
    let value = match params.get(key) {
        None => return Ok(None),
        Some(Value::String(text)) => {
            parsed = serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
            &parsed
        }
        Some(other) => other,
    };
    let Value::Array(items) = value else {
        errors.add(key, "Not a list");
        return Ok(None);
    };
    let mut ok = true;
    for item in items {
        match item.as_object().and_then(|f| f.get("id")) {
            Some(Value::String(id)) if !id.trim().is_empty() => {}
            _ => ok = false,
        }
    }
    if !ok {
        let mut nested = Map::new();
        nested.insert("id".into(), Value::Array(vec![Value::String(MISSING_VALUE.into())]));
        let mut dict = Map::new();
        dict.insert(key.into(), Value::Array(vec![Value::Object(nested)]));
        return Err(ActionError::ValidationDict(dict));
    }
    Ok(Some(items.clone()))
}

/// `calculate_record_count`: true, false or `"background"`.
fn record_count(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Value> {
    Ok(match params.get(key) {
        None => Value::String("background".into()),
        Some(Value::String(s)) if s == "background" => Value::String(s.clone()),
        Some(value) => match datahavn_domain::params::parse_bool(value) {
            Some(b) => Value::Bool(b),
            None => {
                errors.add(key, "Value must be one of ['background'] or a boolean");
                Value::Null
            }
        },
    })
}

pub const DATASTORE_CREATE: Action = Action {
    name: "datastore_create",
    side_effect_free: false,
    tag: "datastore",
    doc: "Adds a new table to the DataStore.\n\n\
          Creates the resource's table, or alters it: new fields are added, `records` are \
          appended, `primary_key`, `indexes` and `aliases` replace the existing ones. With \
          `resource` instead of `resource_id` the resource is created too (its dataset must be \
          editable by you); a `resource` with a `url` is loaded from that URL in the background. \
          Tables of resources not made for editing need `force`. The resource gets \
          `datastore_active: true`.\n\n\
          :returns: The newly created data object, excluding ``records`` passed.\n:rtype: dictionary",
    request: request_doc::<DatastoreCreateRequest>,
    response: response_doc::<crate::dto::DatastoreCreateResult>,
    errors: WRITE_ERRORS,
    run: |ctx, params| {
        no_junk(params, DatastoreCreateRequest::FIELDS)?;
        datastore_create(ctx, DatastoreCreateRequest::parse(params)?)
    },
};

request! {
    /// A table to create or change.
    pub struct DatastoreCreateRequest {
        /// The resource the table belongs to (or give `resource`).
        pub resource_id: Option<String>,
        /// The older name of `resource_id`.
        pub id: Option<String>,
        /// A resource dict for `resource_create` (with `package_id`), instead of `resource_id`.
        #[schema(value_type = Option<Object>)]
        pub resource: Option<Value> => super::json_value,
        /// Set to true to edit a read-only table.
        pub force: Option<bool>,
        /// Names of read-only aliases of the table: a list or a comma-separated string.
        pub aliases: Option<Vec<String>>,
        /// The columns: `[{"id": "name", "type": "text", "info": {...}}]`; types are CKAN's
        /// (`text`, `int`, `int8`, `numeric`, `float8`, `bool`, `date`, `time`, `timestamp`,
        /// `json`, arrays as `_text`), guessed from the records when left out.
        #[schema(value_type = Option<Vec<Object>>)]
        pub fields: Option<Vec<Value>> => fields,
        /// Remove existing fields not given in `fields` (default false).
        pub delete_fields: Option<bool>,
        /// Rows to insert: `[{"name": "value", ...}]`.
        #[schema(value_type = Option<Vec<Object>>)]
        pub records: Vec<Map<String, Value>> => records,
        /// Return the records inserted (default false).
        pub include_records: Option<bool>,
        /// The fields whose values identify a row: a list or a comma-separated string.
        pub primary_key: Option<Vec<String>>,
        /// Fields to index: a list or a comma-separated string.
        pub indexes: Option<Vec<String>>,
        /// Trigger functions; refused (no trigger functions can be created).
        #[schema(value_type = Option<Vec<Object>>)]
        pub triggers: Option<Value>,
        /// `true`, `false` or `"background"` (default): the stored row count is kept exact
        /// either way.
        #[schema(value_type = Option<String>)]
        pub calculate_record_count: Value => record_count,
    }
}

fn field_specs(fields: &[Value]) -> Vec<FieldSpec> {
    fields
        .iter()
        .filter_map(Value::as_object)
        .map(|f| FieldSpec {
            id: f.get("id").and_then(Value::as_str).unwrap_or_default().to_owned(),
            type_: f.get("type").and_then(|t| t.as_str().map(str::to_owned)),
            info: f.get("info").cloned(),
        })
        .collect()
}

fn datastore_create(ctx: &Context<'_>, request: DatastoreCreateRequest) -> ActionResult {
    let service = service(ctx)?;
    let resource_id = request.resource_id.clone().or_else(|| request.id.clone());
    if request.resource.is_some() && resource_id.is_some() {
        return Err(ActionError::field("resource", "resource cannot be used with resource_id"));
    }
    if request.triggers.as_ref().is_some_and(|t| t.as_array().is_some_and(|a| !a.is_empty())) {
        return Err(ActionError::field("triggers", "Trigger functions are not supported"));
    }
    let target = match (&request.resource, resource_id) {
        (Some(resource), _) => {
            let Some(resource) = resource.as_object() else {
                return Err(ActionError::field("resource", "Not a dict"));
            };
            match create_resource(ctx, resource)? {
                Ok(created) => created,
                // Loaded from its URL in the background.
                Err(loading) => {
                    return Ok(serde_json::json!({
                        "calculate_record_count": request.calculate_record_count,
                        "delete_fields": request.delete_fields.unwrap_or(false),
                        "resource_id": loading,
                        "method": "insert",
                    }));
                }
            }
        }
        (None, Some(id)) => {
            let target = target(ctx, &id, Privilege::Edit)?;
            check_writable(&target, request.force.unwrap_or(false))?;
            target
        }
        (None, None) => return Err(ActionError::field("resource_id", "resource_id or resource required")),
    };
    let resource_id = target.resource.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
    for alias in names(&request.aliases) {
        if !valid_table_name(&alias) {
            return Err(ActionError::field("alias", format!("\"{alias}\" is not a valid alias name")));
        }
    }
    let fields = request.fields.clone().unwrap_or_default();
    let spec = CreateTable {
        resource_id: resource_id.clone(),
        fields: field_specs(&fields),
        records: request.records.clone(),
        primary_key: names(&request.primary_key),
        indexes: names(&request.indexes),
        aliases: names(&request.aliases),
        delete_fields: request.delete_fields.unwrap_or(false),
    };
    service.tables.create(&spec).map_err(failure)?;
    mark_active(ctx, &target, true)?;

    let mut result = Map::new();
    result.insert("calculate_record_count".into(), request.calculate_record_count.clone());
    result.insert("delete_fields".into(), Value::Bool(request.delete_fields.unwrap_or(false)));
    if let Some(aliases) = &request.aliases {
        result.insert("aliases".into(), serde_json::json!(aliases));
    }
    if let Some(primary_key) = &request.primary_key {
        result.insert("primary_key".into(), serde_json::json!(primary_key));
    }
    if let Some(indexes) = &request.indexes {
        result.insert("indexes".into(), serde_json::json!(indexes));
    }
    if let Some(force) = request.force
        && request.resource.is_some()
    {
        result.insert("force".into(), Value::Bool(force));
    }
    result.insert("resource_id".into(), Value::String(resource_id));
    if request.fields.is_some() {
        result.insert("fields".into(), Value::Array(fields));
    }
    if request.include_records.unwrap_or(false) && !request.records.is_empty() {
        result.insert(
            "records".into(),
            Value::Array(request.records.iter().cloned().map(Value::Object).collect()),
        );
    }
    result.insert("method".into(), Value::String("insert".into()));
    Ok(Value::Object(result))
}

/// CKAN's `is_valid_table_name`: no `"`, `%` or `/`, not blank, at most 63 characters.
fn valid_table_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.contains(['"', '%', '/'])
        && name.trim() == name
        && !name.starts_with('_')
}

/// `datastore_create` with `resource`: the resource is made through `resource_create` (the
/// dataset must be editable). Without a `url` it is a table made for editing; with one, its
/// file is loaded in the background and its id is the `Err`.
fn create_resource(
    ctx: &Context<'_>,
    resource: &Map<String, Value>,
) -> ActionResult<Result<super::Target, String>> {
    if resource.get("package_id").is_none() {
        return Err(ActionError::field("package_id", MISSING_VALUE));
    }
    let has_url = resource.get("url").is_some_and(|u| !u.is_null());
    let mut dict = resource.clone();
    if !has_url {
        dict.insert("url".into(), Value::String("_datastore_only_resource".into()));
        dict.insert("url_type".into(), Value::String("datastore".into()));
        dict.insert("last_modified".into(), Value::String(datahavn_domain::Timestamp::now().to_string()));
    }
    let created = (crate::resource::RESOURCE_CREATE.run)(ctx, &Params::new(dict))?;
    let id = created.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
    if has_url {
        super::jobs::submit(ctx, &id, None)?;
        return Ok(Err(id));
    }
    target(ctx, &id, Privilege::Edit).map(Ok)
}

pub const DATASTORE_UPSERT: Action = Action {
    name: "datastore_upsert",
    side_effect_free: false,
    tag: "datastore",
    doc: "Updates or inserts into a table in the DataStore.\n\n\
          `upsert` (default) updates the row with the same key and inserts the others (the \
          table needs a primary key, or the records `_id`); `insert` only inserts and fails on \
          an existing key; `update` only updates and fails when a key is not found. One call is \
          one transaction: a bad record changes nothing.\n\n\
          :returns: The modified data object.\n:rtype: dictionary",
    request: request_doc::<DatastoreUpsertRequest>,
    response: response_doc::<crate::dto::DatastoreWriteResult>,
    errors: WRITE_ERRORS,
    run: |ctx, params| {
        no_junk(params, DatastoreUpsertRequest::FIELDS)?;
        datastore_upsert(ctx, DatastoreUpsertRequest::parse(params)?)
    },
};

request! {
    /// Rows to write.
    pub struct DatastoreUpsertRequest {
        /// The resource whose table is written.
        pub resource_id: Option<String>,
        /// The older name of `resource_id`.
        pub id: Option<String>,
        /// Set to true to edit a read-only table.
        pub force: Option<bool>,
        /// The rows: `[{"name": "value", ...}]`.
        #[schema(value_type = Option<Vec<Object>>)]
        pub records: Vec<Map<String, Value>> => records,
        /// Return the records written (default false).
        pub include_records: Option<bool>,
        /// `upsert` (default), `insert` or `update`.
        pub method: Option<String>,
        /// `true`, `false` or `"background"` (default).
        #[schema(value_type = Option<String>)]
        pub calculate_record_count: Value => record_count,
        /// Check the records and write nothing (default false).
        pub dry_run: Option<bool>,
    }
}

fn datastore_upsert(ctx: &Context<'_>, request: DatastoreUpsertRequest) -> ActionResult {
    let service = service(ctx)?;
    let resource_id = super::named_resource(&request.resource_id, &request.id)?;
    let method = match request.method.as_deref() {
        None | Some("upsert") => WriteMethod::Upsert,
        Some("insert") => WriteMethod::Insert,
        Some("update") => WriteMethod::Update,
        Some(_) => {
            return Err(ActionError::field(
                "method",
                "Value must be one of: upsert; insert; update (not 'x')",
            ));
        }
    };
    let target = target(ctx, &resource_id, Privilege::Edit)?;
    check_writable(&target, request.force.unwrap_or(false))?;
    if service.tables.info(&resource_id).map_err(failure)?.is_none() {
        return Err(ActionError::not_found(format!("Resource \"{resource_id}\" was not found.")));
    }
    service
        .tables
        .upsert(&resource_id, &request.records, method, request.dry_run.unwrap_or(false))
        .map_err(failure)?;
    let mut result = Map::new();
    result.insert("resource_id".into(), Value::String(resource_id));
    if let Some(method) = &request.method {
        result.insert("method".into(), Value::String(method.clone()));
    }
    result.insert("calculate_record_count".into(), request.calculate_record_count.clone());
    if let Some(dry_run) = request.dry_run {
        result.insert("dry_run".into(), Value::Bool(dry_run));
    }
    if request.include_records.unwrap_or(false) {
        result.insert(
            "records".into(),
            Value::Array(request.records.iter().cloned().map(Value::Object).collect()),
        );
    }
    Ok(Value::Object(result))
}

pub const DATASTORE_DELETE: Action = Action {
    name: "datastore_delete",
    side_effect_free: false,
    tag: "datastore",
    doc: "Deletes a table or a set of records from the DataStore.\n\n\
          With `filters` the matching rows are deleted; WITHOUT `filters` the whole table, its \
          aliases and its data dictionary are dropped and the resource's `datastore_active` \
          becomes false. (Use datastore_records_delete to keep tables intact.)\n\n\
          :returns: Original filters sent.\n:rtype: dictionary",
    request: request_doc::<DatastoreDeleteRequest>,
    response: response_doc::<crate::dto::DatastoreWriteResult>,
    errors: WRITE_ERRORS,
    run: |ctx, params| {
        no_junk(params, DatastoreDeleteRequest::FIELDS)?;
        let request = DatastoreDeleteRequest::parse(params)?;
        if let Some(filters) = &request.filters
            && !filters.is_object()
        {
            return Err(ActionError::field("filters", "filters must be either a dict or null."));
        }
        datastore_delete(ctx, request, false)
    },
};

request! {
    /// The table or rows to delete.
    pub struct DatastoreDeleteRequest {
        /// The resource whose table is changed.
        pub resource_id: Option<String>,
        /// The older name of `resource_id`.
        pub id: Option<String>,
        /// Set to true to edit a read-only table.
        pub force: Option<bool>,
        /// Which rows, as `datastore_search`'s `filters` (a dict): `{"field": value}`,
        /// `{"field": [v1, v2]}`, `{"field": {"lt": 5}}`, `{"$or": [...]}`. Absent: the whole
        /// table is dropped.
        #[schema(value_type = Option<Object>)]
        pub filters: Option<Value>,
        /// Accepted; the rows deleted are not returned.
        #[allow(dead_code)]
        pub include_deleted_records: Option<bool>,
        /// `true`, `false` or `"background"` (default): the row count is kept exact either way.
        #[schema(value_type = Option<String>)]
        #[allow(dead_code)]
        pub calculate_record_count: Value => record_count,
    }
}

fn datastore_delete(ctx: &Context<'_>, request: DatastoreDeleteRequest, keep_table: bool) -> ActionResult {
    let service = service(ctx)?;
    let resource_id = super::named_resource(&request.resource_id, &request.id)?;
    let target = target(ctx, &resource_id, Privilege::Edit)?;
    check_writable(&target, request.force.unwrap_or(false))?;
    if service.tables.info(&resource_id).map_err(failure)?.is_none() {
        return Err(ActionError::not_found(format!("Resource \"{resource_id}\" was not found.")));
    }
    let filters = request.filters.as_ref().filter(|filters| filters.is_object());
    match filters {
        Some(filters) => {
            service.tables.delete_records(&resource_id, filters).map_err(failure)?;
        }
        None if keep_table => {
            service.tables.delete_records(&resource_id, &Value::Null).map_err(failure)?;
        }
        None => {
            service.tables.drop_table(&resource_id).map_err(failure)?;
            mark_active(ctx, &target, false)?;
        }
    }
    let mut result = Map::new();
    result.insert("resource_id".into(), Value::String(resource_id));
    if let Some(filters) = &request.filters {
        result.insert("filters".into(), filters.clone());
    }
    Ok(Value::Object(result))
}

pub const DATASTORE_RECORDS_DELETE: Action = Action {
    name: "datastore_records_delete",
    side_effect_free: false,
    tag: "datastore",
    doc: "Deletes records from a DataStore table but will never remove the table itself.\n\n\
          `filters` is required; `{}` deletes every row.\n\n\
          :returns: Original filters sent.\n:rtype: dictionary",
    request: request_doc::<DatastoreRecordsDeleteRequest>,
    response: response_doc::<crate::dto::DatastoreWriteResult>,
    errors: WRITE_ERRORS,
    run: |ctx, params| {
        no_junk(params, DatastoreRecordsDeleteRequest::FIELDS)?;
        let request = DatastoreRecordsDeleteRequest::parse(params)?;
        let filters = match request.filters {
            Some(Value::Object(filters)) => filters,
            Some(_) => return Err(ActionError::field("filters", "Not a dict")),
            None => return Err(ActionError::field("filters", MISSING_VALUE)),
        };
        let delete = DatastoreDeleteRequest {
            resource_id: request.resource_id,
            id: request.id,
            force: request.force,
            filters: Some(Value::Object(filters)),
            include_deleted_records: request.include_deleted_records,
            calculate_record_count: request.calculate_record_count,
        };
        datastore_delete(ctx, delete, true)
    },
};

request! {
    /// The rows to delete.
    pub struct DatastoreRecordsDeleteRequest {
        /// The resource whose table is changed.
        pub resource_id: Option<String>,
        /// The older name of `resource_id`.
        pub id: Option<String>,
        /// Set to true to edit a read-only table.
        pub force: Option<bool>,
        /// Which rows (required), as `datastore_search`'s `filters` (a dict): `{"field": value}`,
        /// `{"field": [v1, v2]}`, `{"field": {"gte": 1}}`, `{"$or": [...]}`; `{}` for all.
        #[schema(value_type = Object)]
        pub filters: Option<Value>,
        /// Accepted; the rows deleted are not returned.
        pub include_deleted_records: Option<bool>,
        /// `true`, `false` or `"background"` (default).
        #[schema(value_type = Option<String>)]
        pub calculate_record_count: Value => record_count,
    }
}

/// CKAN's function actions are for sysadmins and need its PostgreSQL trigger functions; here
/// no one may create or delete functions. CKAN's answers: an anonymous caller needs to log in,
/// anyone else is denied without a reason.
fn refused(ctx: &Context<'_>, action: &str, params: &Params) -> ActionResult {
    crate::args::authenticated(ctx, action)?;
    DatastoreFunctionRequest::parse(params)?;
    Err(ActionError::NotAuthorized(None))
}

request! {
    /// A function (ignored: functions are not supported).
    pub struct DatastoreFunctionRequest {
        /// The function's name.
        #[allow(dead_code)]
        pub name: Option<String>,
    }
}

pub const DATASTORE_FUNCTION_CREATE: Action = Action {
    name: "datastore_function_create",
    side_effect_free: false,
    tag: "datastore",
    doc: "Create a trigger function for use with datastore_create. Refused: functions can be \
          used to skip access checks, and datahavn runs none.\n\n:rtype: null",
    request: request_doc::<DatastoreFunctionRequest>,
    response: response_doc::<Option<String>>,
    errors: &[(403, "Always")],
    run: |ctx, params| refused(ctx, "datastore_function_create", params),
};

pub const DATASTORE_FUNCTION_DELETE: Action = Action {
    name: "datastore_function_delete",
    side_effect_free: false,
    tag: "datastore",
    doc: "Delete a trigger function. Refused: there are none.\n\n:rtype: null",
    request: request_doc::<DatastoreFunctionRequest>,
    response: response_doc::<Option<String>>,
    errors: &[(403, "Always")],
    run: |ctx, params| refused(ctx, "datastore_function_delete", params),
};
