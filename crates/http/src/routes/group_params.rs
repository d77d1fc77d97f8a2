//! Documented parameters of the organization, group and membership actions (OpenAPI only; the
//! actions read the request dict themselves).
#![allow(dead_code)]

use utoipa::{IntoParams, ToSchema};

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupListParams {
    /// `name`, `title` or `package_count`, optionally with ` asc` or ` desc` (default
    /// `title asc`; `packages` alone means `package_count desc`).
    pub sort: Option<String>,
    /// Default 1000 names, or 25 dicts with `all_fields`; never more.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    /// Substring of name, title or description.
    pub q: Option<String>,
    /// Only these names (`organization_list`: `organizations`, `group_list`: `groups`); a JSON
    /// list or a comma-separated string.
    pub organizations: Option<Vec<String>>,
    pub groups: Option<Vec<String>>,
    /// The type to list (default `organization` or `group`).
    pub r#type: Option<String>,
    /// Dicts instead of names.
    pub all_fields: Option<bool>,
    /// With `all_fields` (default true).
    pub include_dataset_count: Option<bool>,
    /// With `all_fields` (default false).
    pub include_extras: Option<bool>,
    /// With `all_fields` (default false).
    pub include_users: Option<bool>,
    /// With `all_fields` (default false).
    pub include_groups: Option<bool>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupShowParams {
    /// Id or name.
    pub id: String,
    /// The first 10 datasets the caller may see (default false).
    pub include_datasets: Option<bool>,
    /// `package_count` (default true).
    pub include_dataset_count: Option<bool>,
    /// Default true.
    pub include_extras: Option<bool>,
    /// Members with their capacity (default true).
    pub include_users: Option<bool>,
    /// Parent groups (default true).
    pub include_groups: Option<bool>,
    /// `num_followers` (default true; always 0).
    pub include_followers: Option<bool>,
    /// `member_count` (default false).
    pub include_member_count: Option<bool>,
}

/// One `{name, capacity}` entry of `users` or `groups`.
#[derive(ToSchema)]
pub struct MemberEntry {
    /// Name (or id, given as `id`).
    pub name: String,
    /// Users: `admin`, `editor` or `member` (default `member`).
    pub capacity: Option<String>,
}

/// One `{key, value}` extra.
#[derive(ToSchema)]
pub struct ExtraEntry {
    pub key: String,
    pub value: String,
    /// Drop this entry.
    pub deleted: Option<bool>,
}

/// One `{id}` entry of a group's `packages`.
#[derive(ToSchema)]
pub struct PackageEntry {
    /// Dataset id or name.
    pub id: String,
}

/// An organization or group; any other top-level key is kept and returned as sent.
#[derive(ToSchema)]
pub struct GroupInput {
    /// 2–100 characters of `a-z`, `0-9`, `-`, `_`; unique among organizations and groups
    /// (deleted ones included). Required on create.
    pub name: Option<String>,
    /// Create: sysadmins only, a UUID. Update and patch: the id or name to change (required).
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    /// `group_create`: a custom type (not `organization`); update: must not change.
    pub r#type: Option<String>,
    /// `active` or `deleted` (create: sysadmins only; update: admins).
    pub state: Option<String>,
    pub approval_status: Option<String>,
    /// Replaced on update (missing = cleared).
    pub extras: Option<Vec<ExtraEntry>>,
    /// Members; when given on update, replace the current ones.
    pub users: Option<Vec<MemberEntry>>,
    /// Parent groups; when given on update, replace the current ones.
    pub groups: Option<Vec<MemberEntry>>,
    /// Groups only: datasets; when given on update, replace the current ones.
    pub packages: Option<Vec<PackageEntry>>,
}

#[derive(ToSchema)]
pub struct GroupIdParams {
    /// Id or name.
    pub id: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupAutocompleteParams {
    /// Substring of name or title.
    pub q: String,
    /// Default 20.
    pub limit: Option<u32>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupPackageShowParams {
    /// Group (or organization) id or name.
    pub id: String,
    /// Default 10, at most 1000.
    pub limit: Option<u32>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupActivityListParams {
    /// Id or name.
    pub id: String,
    /// Default 0.
    pub offset: Option<u32>,
    /// Default 31, at most 100.
    pub limit: Option<u32>,
    /// Unix timestamp: only newer activities.
    pub after: Option<f64>,
    /// Unix timestamp: only older activities.
    pub before: Option<f64>,
    /// Only these types, e.g. `changed organization`.
    pub activity_types: Option<Vec<String>>,
    /// Leave out these types.
    pub exclude_activity_types: Option<Vec<String>>,
    /// Also what the site itself did (CLI loads, harvests); sysadmins only.
    pub include_hidden_activity: Option<bool>,
}

#[derive(ToSchema)]
pub struct MemberCreateParams {
    /// Group or organization id or name.
    pub id: String,
    /// Id or name of the user, dataset or (parent) group.
    pub object: String,
    /// `user`, `package` or `group`.
    pub object_type: String,
    /// Users: `admin`, `editor` or `member`; datasets usually `public`; groups `parent`.
    pub capacity: String,
}

#[derive(ToSchema)]
pub struct MemberDeleteParams {
    /// Group or organization id or name.
    pub id: String,
    /// Id or name of the user, dataset or group.
    pub object: String,
    /// `user`, `package` or `group`.
    pub object_type: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberListParams {
    /// Group or organization id or name.
    pub id: String,
    /// `user`, `package` or `group`.
    pub object_type: Option<String>,
    /// e.g. `admin`, `editor`, `member`, `public`, `organization`.
    pub capacity: Option<String>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberRolesListParams {
    /// `organization` (default) or `group` (no `editor`).
    pub group_type: Option<String>,
}

#[derive(ToSchema)]
pub struct GroupMemberCreateParams {
    /// Organization or group id or name.
    pub id: String,
    /// User name or id.
    pub username: String,
    /// `admin`, `editor` or `member`.
    pub role: String,
}

#[derive(ToSchema)]
pub struct GroupMemberDeleteParams {
    /// Organization or group id or name.
    pub id: String,
    /// User name or id (`user_id` is accepted too).
    pub username: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationListForUserParams {
    /// User name or id (default: the caller).
    pub id: Option<String>,
    /// e.g. `read`, `create_dataset`, `manage_group` (default), `admin`.
    pub permission: Option<String>,
    /// Default false.
    pub include_dataset_count: Option<bool>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupListAuthzParams {
    /// No effect through the API.
    pub available_only: Option<bool>,
    /// Only groups the caller is a member of, even for sysadmins (default false).
    pub am_member: Option<bool>,
    /// Default false.
    pub include_dataset_count: Option<bool>,
}
