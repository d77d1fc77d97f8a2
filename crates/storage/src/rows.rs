//! Row structs and their conversions to and from domain types.

use chrono::NaiveDateTime;
use datahavn_domain::Timestamp;
use datahavn_domain::user::{ApiToken, User, UserState};
use diesel::prelude::*;

use crate::schema::{api_tokens, users};
use crate::{StorageError, StorageResult};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users)]
#[diesel(treat_none_as_null = true)]
pub(crate) struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub fullname: Option<String>,
    pub about: Option<String>,
    pub image_url: Option<String>,
    pub password_hash: String,
    pub sysadmin: bool,
    pub state: String,
    pub created: NaiveDateTime,
    pub last_active: Option<NaiveDateTime>,
    pub activity_streams_email_notifications: bool,
    pub plugin_extras: Option<String>,
}

impl From<&User> for UserRow {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            fullname: user.fullname.clone(),
            about: user.about.clone(),
            image_url: user.image_url.clone(),
            password_hash: user.password_hash.clone(),
            sysadmin: user.sysadmin,
            state: user.state.as_str().to_owned(),
            created: user.created.naive(),
            last_active: user.last_active.map(Timestamp::naive),
            activity_streams_email_notifications: user.activity_streams_email_notifications,
            plugin_extras: user.plugin_extras.as_ref().map(|v| v.to_string()),
        }
    }
}

impl TryFrom<UserRow> for User {
    type Error = StorageError;

    fn try_from(row: UserRow) -> StorageResult<Self> {
        let state = UserState::parse(&row.state)
            .ok_or_else(|| StorageError::Internal(format!("user {} has state {:?}", row.id, row.state)))?;
        let plugin_extras = match row.plugin_extras {
            Some(text) => Some(
                serde_json::from_str(&text)
                    .map_err(|e| StorageError::Internal(format!("user {} plugin_extras: {e}", row.id)))?,
            ),
            None => None,
        };
        Ok(Self {
            id: row.id,
            name: row.name,
            email: row.email,
            fullname: row.fullname,
            about: row.about,
            image_url: row.image_url,
            password_hash: row.password_hash,
            sysadmin: row.sysadmin,
            state,
            created: Timestamp::from_naive(row.created),
            last_active: row.last_active.map(Timestamp::from_naive),
            activity_streams_email_notifications: row.activity_streams_email_notifications,
            plugin_extras,
        })
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
pub(crate) struct ApiTokenRow {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub last_access: Option<NaiveDateTime>,
}

impl From<&ApiToken> for ApiTokenRow {
    fn from(token: &ApiToken) -> Self {
        Self {
            id: token.id.clone(),
            user_id: token.user_id.clone(),
            name: token.name.clone(),
            created_at: token.created_at.naive(),
            last_access: token.last_access.map(Timestamp::naive),
        }
    }
}

impl From<ApiTokenRow> for ApiToken {
    fn from(row: ApiTokenRow) -> Self {
        Self {
            id: row.id,
            user_id: row.user_id,
            name: row.name,
            created_at: Timestamp::from_naive(row.created_at),
            last_access: row.last_access.map(Timestamp::from_naive),
        }
    }
}
