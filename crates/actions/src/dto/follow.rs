//! The shapes of the follower actions.

use datahavn_domain::user::Following;
use serde::Serialize;
use utoipa::ToSchema;

/// A user following a user, a dataset or a group (the row, as CKAN's `table_dictize` gives it).
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowingDict {
    /// The user who follows.
    pub follower_id: String,
    /// The user, dataset or group followed.
    pub object_id: String,
    /// Since when: `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, no zone.
    #[schema(example = "2026-12-12T10:31:02.123456")]
    pub datetime: String,
}

impl From<Following> for FollowingDict {
    fn from(row: Following) -> Self {
        Self {
            follower_id: row.follower_id,
            object_id: row.object_id,
            datetime: row.datetime.to_ckan_string(),
        }
    }
}

/// One entry of `followee_list`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FolloweeDict {
    /// `user`, `dataset`, `group` or `organization`.
    #[serde(rename = "type")]
    #[schema(example = "dataset")]
    pub kind: &'static str,
    /// The user's display name, the dataset's title (or name), the group's display name.
    pub display_name: String,
    /// The user, dataset or group dict, as the `*_followee_list` actions give it.
    #[schema(value_type = Object)]
    pub dict: serde_json::Value,
}
