//! The DataStore's reading actions: `datastore_search`, `datastore_search_sql`,
//! `datastore_info`, and the search behind `/datastore/dump`.

use datahavn_datastore::{RecordsFormat, Search, guard};
use datahavn_domain::ValidationErrors;
use datahavn_domain::params::Params;
use serde_json::{Map, Value, json};

use super::{check_readable, failure, json_value, names, no_junk, service};
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context};

pub const DATASTORE_SEARCH: Action = Action {
    name: "datastore_search",
    side_effect_free: true,
    tag: "datastore",
    doc: "Search a DataStore resource.\n\n\
          By default 100 rows are returned (at most 32,000). A DataStore resource that belongs to \
          a private dataset can only be read by those who may read the dataset. `q` as text \
          searches every field, as a dict `{\"field\": \"words\"}` each given field; results are \
          ordered by `_id` unless `sort` says otherwise (by rank with `q`).\n\n\
          `filters`: `{\"field\": value}` (equal), `{\"field\": [v1, v2]}` (one of), \
          `{\"field\": {\"gte\": 1, \"lt\": 5}}` (operators `eq`, `gt`, `gte`, `lt`, `lte`, `in`), \
          `{\"$or\": [{...}, {...}]}` / `{\"$and\": [...]}`, or a list of dicts (any of them); \
          `$$name` for a field named `$name`. With `include_next_page` and the rows in `_id` \
          order, `next_page` is the filter of the next page: `{\"_id\": {\"gt\": <last _id>}}`.\n\n\
          :returns: `fields`, `records` (objects, lists, or CSV/TSV text per `records_format`), \
          `total`, `limit`, the query as given, `filterops` (the filters as parsed) and \
          `next_page`\n:rtype: dictionary",
    request: request_doc::<DatastoreSearchRequest>,
    response: response_doc::<crate::dto::DatastoreSearchResult>,
    errors: &[
        (403, "The resource's dataset is not readable"),
        (404, "No such resource or alias, or no table for it"),
        (
            409,
            "`resource_id` missing, an unknown field in `filters`, `fields` or `sort`, filters CKAN's parser \
             refuses (unknown operators, more than 10 levels or 100 operations), or a bad value",
        ),
    ],
    run: |ctx, params| {
        no_junk(params, DatastoreSearchRequest::FIELDS)?;
        datastore_search(ctx, DatastoreSearchRequest::parse(params)?)
    },
};

/// `q`: text, or a dict of field → text (also sent as JSON text).
fn query(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<Option<Value>> {
    Ok(match params.get(key) {
        None => None,
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(fields)) => Some(Value::Object(fields)),
            _ => Some(Value::String(text.clone())),
        },
        Some(Value::Object(fields)) => Some(Value::Object(fields.clone())),
        Some(other) => {
            Some(Value::String(crate::request::text_of(other).unwrap_or_else(|| other.to_string())))
        }
    })
}

/// `sort`: a comma-separated string, or a list of such strings.
fn sort(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<String>> {
    Ok(match params.get(key) {
        None => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Array(items)) => {
            let parts: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            match parts {
                Some(parts) => Some(parts.join(", ")),
                None => {
                    errors.add(key, "Not a list of strings");
                    None
                }
            }
        }
        Some(_) => {
            errors.add(key, "Not a list");
            None
        }
    })
}

/// `offset`: CKAN's `int_validator` (negative numbers are refused by the search).
fn offset(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<u64>> {
    Ok(params.natural(key, errors))
}

request! {
    /// What to search.
    pub struct DatastoreSearchRequest {
        /// The id or alias of the resource to search.
        #[schema(min_length = 0)]
        pub resource_id: Option<String>,
        /// The older name of `resource_id`.
        pub id: Option<String>,
        /// Full-text query: text searches every field, `{"field": "words"}` the given fields.
        #[schema(value_type = Option<Object>)]
        pub q: Option<Value> => query,
        /// Whether `q` is plain text (default true) or a full-text query expression.
        pub plain: Option<bool>,
        /// Matching conditions, a dict or a list of dicts (any of them), also as JSON text:
        /// `{"field": value}`, `{"field": [v1, v2]}`, `{"field": {"gt": 1, "lte": 5}}`
        /// (`eq`, `gt`, `gte`, `lt`, `lte`, `in`), `{"$or": [{...}, ...]}`, `{"$and": [...]}`.
        #[schema(value_type = Option<Object>)]
        pub filters: Option<Value> => json_value,
        /// The language of the full-text query (default `english`).
        pub language: Option<String>,
        /// The most rows to return (default 100, at most 32,000).
        pub limit: Option<u64>,
        /// Skip this many rows (default 0).
        pub offset: Option<u64> => offset,
        /// The fields to return: a list or a comma-separated string (default all, in order).
        pub fields: Option<Vec<String>>,
        /// Comma-separated field names with ordering, e.g. `"a, b desc nulls last"`.
        #[schema(value_type = Option<String>)]
        pub sort: Option<String> => sort,
        /// Return only distinct rows (default false).
        pub distinct: Option<bool>,
        /// Return the number of matching rows (default true).
        pub include_total: Option<bool>,
        /// Accepted and ignored, as CKAN 2.12 does: `total` is always exact.
        #[allow(dead_code)]
        pub total_estimation_threshold: Option<u64>,
        /// `objects` (default), `lists`, `csv` or `tsv`.
        pub records_format: Option<String>,
        /// Answer `next_page`, the filter of the next page, when the rows are in `_id` order
        /// (as without `sort`); default false.
        pub include_next_page: Option<bool>,
        /// Full-text query over every field (instead of `q`).
        pub full_text: Option<String>,
    }
}

/// A search request turned into the DataStore's terms: the table's resource id resolved from
/// an alias, the caller's right to read it checked, CKAN's defaults applied.
fn prepare(ctx: &Context<'_>, request: &DatastoreSearchRequest) -> ActionResult<Search> {
    let service = service(ctx)?;
    let settings = &service.settings;
    let name = super::named_resource(&request.resource_id, &request.id)?;
    let resource_id =
        super::readable_table(ctx, service, &name, |name| format!("Resource \"{name}\" was not found."))?;
    let filters = request.filters.clone().unwrap_or(Value::Null);
    let records_format = match request.records_format.as_deref() {
        None | Some("objects") => RecordsFormat::Objects,
        Some("lists") => RecordsFormat::Lists,
        Some("csv") => RecordsFormat::Csv,
        Some("tsv") => RecordsFormat::Tsv,
        Some(other) => {
            return Err(ActionError::field(
                "records_format",
                format!("Value must be one of: objects; lists; csv; tsv (not '{other}')"),
            ));
        }
    };
    Ok(Search {
        resource_id,
        filters,
        q: request.q.clone(),
        plain: request.plain.unwrap_or(true),
        language: request.language.clone().unwrap_or_else(|| settings.default_language.clone()),
        full_text: request.full_text.clone(),
        distinct: request.distinct.unwrap_or(false),
        fields: request.fields.as_ref().map(|_| names(&request.fields)),
        sort: request.sort.clone(),
        limit: Some(request.limit.unwrap_or(settings.rows_default).min(settings.rows_max)),
        offset: request.offset.unwrap_or(0),
        include_total: request.include_total.unwrap_or(true),
        include_next_page: request.include_next_page.unwrap_or(false),
        records_format,
    })
}

fn datastore_search(ctx: &Context<'_>, request: DatastoreSearchRequest) -> ActionResult {
    let search = prepare(ctx, &request)?;
    let found = service(ctx)?.tables.search(&search).map_err(failure)?;
    let limit = search.limit.unwrap_or_default();
    let mut result = Map::new();
    if let Some(distinct) = request.distinct {
        result.insert("distinct".into(), Value::Bool(distinct));
    }
    if let Some(fields) = &request.fields {
        result.insert("fields".into(), json!(fields));
    }
    if let Some(filters) = &request.filters {
        result.insert("filters".into(), filters.clone());
    }
    if let Some(full_text) = &request.full_text {
        result.insert("full_text".into(), Value::String(full_text.clone()));
    }
    result.insert("include_next_page".into(), Value::Bool(request.include_next_page.unwrap_or(false)));
    result.insert("include_total".into(), Value::Bool(search.include_total));
    if let Some(language) = &request.language {
        result.insert("language".into(), Value::String(language.clone()));
    }
    result.insert("limit".into(), json!(limit));
    if let Some(offset) = request.offset {
        result.insert("offset".into(), json!(offset));
    }
    if let Some(plain) = request.plain {
        result.insert("plain".into(), Value::Bool(plain));
    }
    if let Some(q) = &request.q {
        result.insert("q".into(), q.clone());
    }
    result.insert(
        "records_format".into(),
        Value::String(request.records_format.clone().unwrap_or_else(|| "objects".into())),
    );
    result.insert("resource_id".into(), Value::String(search.resource_id.clone()));
    if let Some(sort) = &request.sort {
        result.insert("sort".into(), Value::String(sort.clone()));
    }
    if let Some(filterops) = found.filterops {
        result.insert("filterops".into(), filterops);
    }
    result.insert("records".into(), found.records);
    result.insert("fields".into(), Value::Array(found.fields));
    if let Some(total) = found.total {
        result.insert("total".into(), json!(total));
    }
    if let Some(next_page) = found.next_page {
        result.insert("next_page".into(), next_page);
    }
    Ok(Value::Object(result))
}

/// The search a `/datastore/dump/{resource_id}` request asks for, checked like
/// `datastore_search` (the caller must be able to read the resource; the filters, fields and
/// sort must be valid) before the dump starts. `limit` absent means every row.
pub fn search_for_dump(ctx: &Context<'_>, params: &Params) -> ActionResult<Search> {
    let request = DatastoreSearchRequest::parse(params)?;
    let mut search = prepare(ctx, &request)?;
    search.limit = request.limit;
    search.include_total = false;
    search.include_next_page = false;
    service(ctx)?.tables.check_search(&search).map_err(failure)?;
    Ok(search)
}

pub const DATASTORE_SEARCH_SQL: Action = Action {
    name: "datastore_search_sql",
    side_effect_free: true,
    tag: "datastore",
    doc: "Execute SQL queries on the DataStore.\n\n\
          One SELECT statement in PostgreSQL's syntax, over DataStore tables (named by resource \
          id or alias, in double quotes) of datasets you may read, calling only functions on an \
          allow-list; it runs read-only with a time limit, and at most 32,000 rows are returned \
          (`records_truncated` then says so). Anything else — other statements, several \
          statements, system catalogues, other tables — is refused and changes nothing.\n\n\
          :returns: `sql`, `fields` and `records`\n:rtype: dictionary",
    request: request_doc::<DatastoreSearchSqlRequest>,
    response: response_doc::<crate::dto::DatastoreSqlResult>,
    errors: &[
        (403, "A table you may not read, a system table, or a function not allowed"),
        (409, "`sql` missing, not a single SELECT, invalid, or too slow"),
    ],
    run: |ctx, params| datastore_search_sql(ctx, DatastoreSearchSqlRequest::parse(params)?),
};

request! {
    /// The query.
    pub struct DatastoreSearchSqlRequest {
        /// A single SQL select statement.
        pub sql: String,
    }
}

fn guard_failure(error: &guard::GuardError) -> ActionError {
    if error.status() == 403 {
        ActionError::denied(error.reason().unwrap_or_else(|| "Not authorized to read resource.".into()))
    } else {
        ActionError::ValidationDict(error.fields())
    }
}

fn datastore_search_sql(ctx: &Context<'_>, request: DatastoreSearchSqlRequest) -> ActionResult {
    let service = service(ctx)?;
    if !service.settings.sql_enabled {
        return Err(ActionError::not_found("Action function not found"));
    }
    let tables = &service.tables;
    let mut lookup_error = None;
    let mut resolve = |name: &str| match tables.resolve(name) {
        Ok(found) => found,
        Err(error) => {
            lookup_error = Some(error);
            None
        }
    };
    let checked = guard::check(&request.sql, tables.dialect(), &mut resolve);
    if let Some(error) = lookup_error {
        return Err(failure(error));
    }
    let checked = checked.map_err(|e| guard_failure(&e))?;
    for table in &checked.tables {
        if check_readable(ctx, table).is_err() {
            return Err(ActionError::denied("Not authorized to read resource."));
        }
    }
    let rows_max = usize::try_from(service.settings.rows_max).unwrap_or(usize::MAX);
    let found = tables.search_sql(&checked, rows_max, service.settings.sql_timeout).map_err(failure)?;
    let mut result = Map::new();
    result.insert("sql".into(), Value::String(request.sql));
    result.insert("records".into(), Value::Array(found.records));
    result.insert("fields".into(), Value::Array(found.fields));
    if found.records_truncated {
        result.insert("records_truncated".into(), Value::Bool(true));
    }
    Ok(Value::Object(result))
}

pub const DATASTORE_INFO: Action = Action {
    name: "datastore_info",
    side_effect_free: true,
    tag: "datastore",
    doc: "Returns detailed metadata about a resource's table.\n\n\
          `meta`: `id`, `count` (rows), `size`, `idx_size`, `db_size` (bytes), `table_type`, \
          `aliases`; `fields`: the columns with their `schema` (`native_type`, `index_name`, \
          `is_index`, `notnull`, `uniquekey`).\n\n:rtype: dictionary",
    request: request_doc::<DatastoreInfoRequest>,
    response: response_doc::<crate::dto::DatastoreInfo>,
    errors: &[
        (403, "The resource's dataset is not readable"),
        (404, "No such resource or alias"),
        (409, "`resource_id` missing"),
    ],
    run: |ctx, params| datastore_info(ctx, DatastoreInfoRequest::parse(params)?),
};

request! {
    /// The table to describe.
    pub struct DatastoreInfoRequest {
        /// The id or alias of the resource.
        pub resource_id: Option<String>,
        /// The older name of `resource_id`.
        pub id: Option<String>,
        /// Return the table's size, index size, row count and aliases (default true).
        pub include_meta: Option<bool>,
        /// Return each field's index, unique and not-null status (default true).
        pub include_fields_schema: Option<bool>,
    }
}

fn datastore_info(ctx: &Context<'_>, request: DatastoreInfoRequest) -> ActionResult {
    let service = service(ctx)?;
    let name = super::named_resource(&request.resource_id, &request.id)?;
    let resource_id = super::readable_table(ctx, service, &name, |name| {
        format!("Resource/Alias \"{name}\" was not found.")
    })?;
    let info = service
        .tables
        .info(&resource_id)
        .map_err(failure)?
        .ok_or_else(|| ActionError::not_found(format!("Resource/Alias \"{name}\" was not found.")))?;
    let with_schema = request.include_fields_schema.unwrap_or(true);
    let fields: Vec<Value> = info
        .fields
        .iter()
        .filter(|f| f.id != "_id")
        .map(|f| {
            let mut field = Map::new();
            field.insert("id".into(), Value::String(f.id.clone()));
            field.insert("type".into(), Value::String(f.type_.clone()));
            if let Some(info) = &f.info {
                field.insert("info".into(), info.clone());
            }
            if with_schema {
                field.insert(
                    "schema".into(),
                    json!({
                        "native_type": f.native_type,
                        "index_name": f.index_name,
                        "is_index": f.is_index,
                        "notnull": f.notnull,
                        "uniquekey": f.uniquekey,
                    }),
                );
            }
            Value::Object(field)
        })
        .collect();
    let mut result = Map::new();
    if request.include_meta.unwrap_or(true) {
        result.insert(
            "meta".into(),
            json!({
                "aliases": info.aliases,
                "count": info.count,
                "db_size": info.db_size,
                "id": info.resource_id,
                "idx_size": info.idx_size,
                "size": info.size,
                "table_type": "BASE TABLE",
            }),
        );
        if let Some(load) = super::jobs::load_meta(service, &resource_id)
            && let Some(meta) = result.get_mut("meta").and_then(Value::as_object_mut)
        {
            meta.insert("load".into(), load);
        }
    }
    result.insert("fields".into(), Value::Array(fields));
    Ok(Value::Object(result))
}
