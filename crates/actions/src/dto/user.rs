use datahavn_domain::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

/// A user as `user_show` returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDict {
    #[schema(example = "011cde84-d524-4a4c-904c-43ef60c3c50f")]
    pub id: String,
    #[schema(example = "jane")]
    pub name: String,
    pub fullname: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, no zone.
    #[schema(value_type = String, example = "2026-11-26T17:43:30.344114")]
    pub created: Timestamp,
    pub about: Option<String>,
    #[schema(value_type = Option<String>)]
    pub last_active: Option<Timestamp>,
    pub activity_streams_email_notifications: bool,
    pub sysadmin: bool,
    #[schema(example = "active")]
    pub state: String,
    pub image_url: Option<String>,
    pub display_name: String,
    /// md5 of the trimmed, lowercased email address.
    pub email_hash: String,
    pub number_created_packages: i64,
    /// Only for the user themself and sysadmins.
    #[serde(flatten)]
    #[schema(inline, nullable = false)]
    pub private: Option<PrivateUserFields>,
    pub image_display_url: Option<String>,
    /// Only for sysadmins asking with `include_password_hash`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// Only for sysadmins asking with `include_plugin_extras`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub plugin_extras: Option<serde_json::Value>,
    /// Only from `user_create` with `with_apitoken`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Only from `user_show` with `include_datasets`: the first 50 datasets the user created,
    /// as `package_search` results (their private datasets and drafts only to the user
    /// themself and sysadmins).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub datasets: Option<Vec<serde_json::Value>>,
    /// Only from `user_show` with `include_num_followers`: how many users follow this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_followers: Option<usize>,
}

/// One entry of `user_list`: a user dict, or with `all_fields=false` a name.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum UserListEntry {
    User(Box<UserDict>),
    Name(String),
}

/// Fields a user dict carries only for the user themself and sysadmins.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrivateUserFields {
    /// Legacy API key; always null (datahavn issues JWT API tokens).
    pub apikey: Option<String>,
    /// Not marked required: the dicts of other users carry neither key.
    #[schema(required = false)]
    pub email: String,
}

/// One entry of `user_autocomplete`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserAutocompleteItem {
    pub id: String,
    pub name: String,
    pub fullname: Option<String>,
}

/// `api_token_create`: the token, shown once, and its id (`jti`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenCreated {
    /// The JWT to send in `Authorization`.
    pub token: String,
    /// The token's id (its `jti`), for `api_token_revoke`.
    pub id: String,
}

/// One entry of `api_token_list`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenDict {
    pub id: String,
    pub name: String,
    pub user_id: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub last_access: Option<Timestamp>,
}
