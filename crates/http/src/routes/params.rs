//! The documented parameters of each action. These types exist for the OpenAPI document only:
//! actions read the request dict themselves, so no field is ever read here.
#![allow(dead_code)]

use utoipa::{IntoParams, ToSchema};

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HelpShowParams {
    /// Action name, e.g. `package_show`.
    pub name: String,
}

#[derive(ToSchema)]
pub struct UserCreateParams {
    /// 2–100 characters of `a-z`, `0-9`, `-`, `_`.
    pub name: String,
    pub email: String,
    /// At least 8 characters (or `password_hash`, sysadmins only).
    pub password: Option<String>,
    pub fullname: Option<String>,
    /// No links allowed.
    pub about: Option<String>,
    pub image_url: Option<String>,
    /// Sysadmins only.
    pub id: Option<String>,
    /// Sysadmins only.
    pub sysadmin: Option<bool>,
    /// Sysadmins only: a PHC password hash instead of `password`.
    pub password_hash: Option<String>,
    /// Sysadmins only: `active`, `pending` or `deleted`.
    pub state: Option<String>,
    /// Sysadmins only.
    #[schema(value_type = Option<Object>)]
    pub plugin_extras: Option<serde_json::Value>,
    /// Also create an API token and return it as `token`.
    pub with_apitoken: Option<bool>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserShowParams {
    /// User id or name; default: the caller.
    pub id: Option<String>,
    pub include_datasets: Option<bool>,
    /// Sysadmins only.
    pub include_password_hash: Option<bool>,
    /// Sysadmins only.
    pub include_plugin_extras: Option<bool>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Substring of name or full name (and email, for sysadmins).
    pub q: Option<String>,
    /// Exact email (sysadmins only).
    pub email: Option<String>,
    /// `display_name` (default), `name` or `created`.
    pub order_by: Option<String>,
    /// Dicts (default) or names.
    pub all_fields: Option<bool>,
    /// Default: all.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[derive(ToSchema)]
pub struct UserUpdateParams {
    /// User id or name.
    pub id: String,
    /// Required by `user_update`, optional for `user_patch`.
    pub email: Option<String>,
    /// Sysadmins only may rename.
    pub name: Option<String>,
    pub password: Option<String>,
    pub fullname: Option<String>,
    pub about: Option<String>,
    pub image_url: Option<String>,
    pub activity_streams_email_notifications: Option<bool>,
    /// Sysadmins only, not on themselves.
    pub sysadmin: Option<bool>,
    /// Sysadmins only.
    pub state: Option<String>,
    /// Sysadmins only.
    #[schema(value_type = Option<Object>)]
    pub plugin_extras: Option<serde_json::Value>,
}

#[derive(ToSchema)]
pub struct IdParams {
    /// Id or name.
    pub id: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserAutocompleteParams {
    pub q: String,
    /// Default 20.
    pub limit: Option<u32>,
    pub ignore_self: Option<bool>,
}

#[derive(ToSchema)]
pub struct ApiTokenCreateParams {
    /// Owner: user name or id.
    pub user: String,
    /// Describes the token.
    pub name: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiTokenListParams {
    /// User name or id (`user` is accepted too).
    pub user_id: String,
}

#[derive(ToSchema)]
pub struct ApiTokenRevokeParams {
    /// The token itself.
    pub token: Option<String>,
    /// Or its id.
    pub jti: Option<String>,
}
