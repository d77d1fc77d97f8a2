//! Documented parameters of the dataset actions (OpenAPI only; the actions read the dict).
#![allow(dead_code)]

use utoipa::{IntoParams, ToSchema};

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PackageShowParams {
    /// Dataset id or name.
    pub id: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AutocompleteParams {
    pub q: String,
    pub limit: Option<u32>,
}

/// A dataset dict (CKAN's default schema); any other top-level key is kept as sent.
#[derive(ToSchema)]
pub struct PackageInput {
    /// Required on create; id or name on update.
    pub id: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    /// Organization id or name.
    pub owner_org: Option<String>,
    pub private: Option<bool>,
    pub notes: Option<String>,
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub maintainer: Option<String>,
    pub maintainer_email: Option<String>,
    pub license_id: Option<String>,
    pub url: Option<String>,
    pub version: Option<String>,
    pub state: Option<String>,
    #[schema(rename = "type")]
    pub dataset_type: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub resources: Option<Vec<serde_json::Value>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub tags: Option<Vec<serde_json::Value>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub extras: Option<Vec<serde_json::Value>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub groups: Option<Vec<serde_json::Value>>,
}

#[derive(ToSchema)]
pub struct IdOnly {
    /// Id or name.
    pub id: String,
}

/// A dataset as `package_show` returns it. Free-form keys a portal sent appear beside these.
#[derive(ToSchema)]
pub struct PackageDict {
    pub id: String,
    pub name: String,
    pub title: String,
    #[schema(rename = "type")]
    pub dataset_type: String,
    /// `active`, `draft` or `deleted`.
    pub state: String,
    pub private: bool,
    pub owner_org: Option<String>,
    /// `{id, name, title, type, description, image_url, created, is_organization, approval_status, state}`
    #[schema(value_type = Option<Object>)]
    pub organization: Option<serde_json::Value>,
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub maintainer: Option<String>,
    pub maintainer_email: Option<String>,
    pub notes: Option<String>,
    pub url: Option<String>,
    pub version: Option<String>,
    pub license_id: Option<String>,
    pub license_title: Option<String>,
    /// Present when the licence has a URL.
    pub license_url: Option<String>,
    pub isopen: bool,
    pub creator_user_id: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, no zone.
    pub metadata_created: String,
    pub metadata_modified: String,
    pub num_resources: u32,
    pub num_tags: u32,
    /// Resource dicts, by position.
    #[schema(value_type = Vec<Object>)]
    pub resources: Vec<serde_json::Value>,
    /// `[{display_name, id, name, state, vocabulary_id}]`, by name.
    #[schema(value_type = Vec<Object>)]
    pub tags: Vec<serde_json::Value>,
    /// `[{key, value}]`, by key; values are strings.
    #[schema(value_type = Vec<Object>)]
    pub extras: Vec<serde_json::Value>,
    /// `[{description, display_name, id, image_display_url, name, title}]`
    #[schema(value_type = Vec<Object>)]
    pub groups: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub relationships_as_subject: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub relationships_as_object: Vec<serde_json::Value>,
}

/// One `package_autocomplete` match.
#[derive(ToSchema)]
pub struct PackageAutocompleteItem {
    pub name: String,
    pub title: String,
    /// `name` or `title`.
    pub match_field: String,
    pub match_displayed: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResourceShowParams {
    /// Resource id.
    pub id: String,
}

/// A resource dict; any other key is kept as sent.
#[derive(ToSchema)]
pub struct ResourceInput {
    /// Resource id (update, patch, delete).
    pub id: Option<String>,
    /// Dataset id or name (create).
    pub package_id: Option<String>,
    pub url: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Guessed from the URL when empty.
    pub format: Option<String>,
    pub hash: Option<String>,
    pub mimetype: Option<String>,
    pub size: Option<i64>,
}

/// A resource as `resource_show` returns it, plus any free-form keys.
#[derive(ToSchema)]
pub struct ResourceDict {
    pub id: String,
    pub package_id: String,
    /// Absolute.
    pub url: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub format: Option<String>,
    pub mimetype: Option<String>,
    pub mimetype_inner: Option<String>,
    pub hash: Option<String>,
    pub size: Option<i64>,
    pub position: u32,
    pub resource_type: Option<String>,
    pub url_type: Option<String>,
    pub created: Option<String>,
    pub last_modified: Option<String>,
    pub metadata_modified: Option<String>,
    pub cache_url: Option<String>,
    pub cache_last_updated: Option<String>,
    pub datastore_active: bool,
    pub state: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResourceSearchParams {
    /// `field:term`, or a list (all must match).
    pub query: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// `resource_search`'s result.
#[derive(ToSchema)]
pub struct ResourceSearchResult {
    pub count: u64,
    pub results: Vec<ResourceDict>,
}

#[derive(ToSchema)]
pub struct ReorderParams {
    /// Dataset id or name.
    pub id: String,
    /// Resource ids that go first.
    pub order: Vec<String>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PackageSearchParams {
    /// Free text, or Solr-style `field:value` clauses (default `*:*`).
    pub q: Option<String>,
    /// Filter query, same syntax.
    pub fq: Option<String>,
    /// `field asc|desc`, comma-separated (default `score desc, metadata_modified desc`).
    pub sort: Option<String>,
    /// Default 10, at most 1000.
    pub rows: Option<u32>,
    pub start: Option<u32>,
    /// JSON list of fields to count, e.g. `["tags","res_format"]`.
    #[param(rename = "facet.field")]
    #[schema(rename = "facet.field")]
    pub facet_field: Option<String>,
    #[param(rename = "facet.limit")]
    #[schema(rename = "facet.limit")]
    pub facet_limit: Option<i32>,
    #[param(rename = "facet.mincount")]
    #[schema(rename = "facet.mincount")]
    pub facet_mincount: Option<u32>,
    pub include_private: Option<bool>,
    pub include_drafts: Option<bool>,
    pub include_deleted: Option<bool>,
}

/// `package_search`'s result.
#[derive(ToSchema)]
pub struct PackageSearchResult {
    /// Every match, whatever `rows` and `start`.
    pub count: u64,
    /// `{field: {value: count}}`, most frequent first.
    #[schema(value_type = Object)]
    pub facets: serde_json::Value,
    pub results: Vec<PackageDict>,
    /// The sort used.
    pub sort: String,
    /// `{field: {title, items: [{name, display_name, count}]}}`, items by display name descending.
    #[schema(value_type = Object)]
    pub search_facets: serde_json::Value,
}
