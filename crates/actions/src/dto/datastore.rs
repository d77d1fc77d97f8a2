//! The DataStore's answers. They echo the request as CKAN validated it, so most keys are there
//! only when they were sent.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A column as the DataStore reports it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatastoreField {
    /// The column's name (`_id` is the row id every table has).
    pub id: String,
    /// CKAN's type name: `text`, `int4`, `int8`, `numeric`, `float8`, `bool`, `date`, `time`,
    /// `timestamp`, `json`, arrays as `_text`...
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub type_: String,
    /// The data dictionary entry given with the field.
    #[schema(value_type = Option<Object>)]
    pub info: Option<Value>,
}

/// `datastore_create`: the request as validated, without `records` unless `include_records`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatastoreCreateResult {
    pub resource_id: String,
    pub fields: Option<Vec<DatastoreField>>,
    pub primary_key: Option<Vec<String>>,
    pub indexes: Option<Vec<String>>,
    pub aliases: Option<Vec<String>>,
    pub delete_fields: bool,
    /// `true`, `false` or `"background"`.
    #[schema(value_type = Object)]
    pub calculate_record_count: Value,
    #[schema(value_type = Option<Vec<Object>>)]
    pub records: Option<Vec<Value>>,
    /// Always `insert`.
    pub method: String,
}

/// `datastore_upsert`, `datastore_delete`, `datastore_records_delete`: the request as validated.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatastoreWriteResult {
    pub resource_id: String,
    pub method: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub calculate_record_count: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub filters: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub records: Option<Vec<Value>>,
}

/// `datastore_search`: the query as given, the rows and the columns.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatastoreSearchResult {
    pub resource_id: String,
    pub fields: Vec<DatastoreField>,
    /// Objects, lists, or CSV/TSV text (no header row), per `records_format`.
    #[schema(value_type = Object)]
    pub records: Value,
    /// The number of matching rows (left out when `include_total` is false).
    pub total: Option<u64>,
    pub limit: u64,
    pub offset: Option<u64>,
    pub records_format: String,
    pub include_total: bool,
    #[schema(value_type = Option<Object>)]
    pub filters: Option<Value>,
    /// The filters as parsed: `{"op", "field", "value"}` for a condition (`eq`, `in`, `gt`,
    /// `gte`, `lt`, `lte`), `{"op": "$and" | "$or", "field": null, "value": [...]}` for several.
    #[schema(value_type = Option<Object>)]
    pub filterops: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub q: Option<Value>,
    pub sort: Option<String>,
    pub include_next_page: bool,
    /// With `include_next_page` and the rows in `_id` order: the filter of the next page,
    /// `{"_id": {"gt": <last _id>}}` (`lt` for `_id desc`); absent for an empty page.
    #[schema(value_type = Option<Object>)]
    pub next_page: Option<Value>,
}

/// `datastore_search_sql`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatastoreSqlResult {
    pub sql: String,
    pub fields: Vec<DatastoreField>,
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<Value>,
    /// There only (and true) when more rows matched than were returned.
    pub records_truncated: Option<bool>,
}

/// `datastore_info`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatastoreInfo {
    /// `id`, `count`, `size`, `idx_size`, `db_size`, `table_type`, `aliases` (and `load`: the
    /// last load of a file into it, when there was one).
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Value>,
    /// The columns (without `_id`), each with a `schema`: `native_type`, `index_name`,
    /// `is_index`, `notnull`, `uniquekey`.
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<Value>,
}

/// `xloader_status`.
#[derive(Debug, Serialize, ToSchema)]
pub struct XloaderStatus {
    /// `pending`, `running`, `complete` or `error`.
    pub status: String,
    pub job_id: String,
    pub job_url: Option<String>,
    pub last_updated: String,
    /// `job_id`, `status`, `rows_loaded`, `error` and `logs` (`timestamp`, `message`, `level`).
    #[schema(value_type = Object)]
    pub task_info: Value,
    /// `{"message": ...}` when the load failed.
    #[schema(value_type = Option<Object>)]
    pub error: Option<Value>,
}
