//! Organization, group and membership shapes. The group dict is built as a JSON map (it keeps
//! free-form keys, sorted among its own), so [`GroupDict`] documents it; the other dicts are
//! serialized from here.

use datahavn_domain::catalog::Activity;
use datahavn_domain::group::Member;
use serde::Serialize;
use utoipa::ToSchema;

/// An organization or group as `organization_show` / `group_show` return it. Scalar keys come
/// sorted, then `extras`, `packages`, `groups` and `users`; any free-form key given on create or
/// update is returned as it was sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupDict {
    pub approval_status: String,
    /// Only in `organization_list_for_user` (and in parent-group entries): the member's role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, no zone.
    #[schema(example = "2026-11-26T17:49:19.123456")]
    pub created: String,
    pub description: String,
    /// The title, or the name when there is no title.
    pub display_name: String,
    #[schema(example = "8e4c0b7e-2f61-4d0b-9a77-1f8b9e2d5c11")]
    pub id: String,
    /// `image_url` made absolute (uploads under `<site>/uploads/group/`).
    pub image_display_url: String,
    pub image_url: String,
    pub is_organization: bool,
    /// With `include_member_count`: the number of users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u64>,
    #[schema(example = "odense-kommune")]
    pub name: String,
    /// Always 0 (followers are not kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_followers: Option<u64>,
    /// Active datasets the caller may see: public ones, plus private ones of organizations the
    /// caller belongs to (all for sysadmins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_count: Option<u64>,
    #[schema(example = "active")]
    pub state: String,
    pub title: String,
    /// `organization`, `group` or a custom type.
    #[serde(rename = "type")]
    pub group_type: String,
    /// With `include_extras`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extras: Option<Vec<ExtraDict>>,
    /// With `include_datasets`: the first 10 dataset dicts (as `package_show`), newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub packages: Option<Vec<serde_json::Value>>,
    /// With `include_groups`: parent groups, each a group dict with `capacity` and `member_count`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub groups: Option<Vec<serde_json::Value>>,
    /// With `include_users`: user dicts (without `email` and `apikey`) with `capacity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub users: Option<Vec<serde_json::Value>>,
}

/// One entry of `organization_list` / `group_list`: a name, or with `all_fields` a dict.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum GroupListEntry {
    Name(String),
    Dict(Box<GroupDict>),
}

/// One extra: `{key, value}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtraDict {
    pub key: String,
    pub value: String,
}

/// A membership, as `member_create` and `*_member_create` return it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDict {
    pub id: String,
    /// `user`, `package` or `group`.
    #[schema(example = "user")]
    pub table_name: String,
    /// The id of the member object.
    pub table_id: String,
    pub group_id: String,
    #[schema(example = "editor")]
    pub capacity: String,
    #[schema(example = "active")]
    pub state: String,
}

impl From<Member> for MemberDict {
    fn from(member: Member) -> Self {
        Self {
            id: member.id,
            table_name: member.table_name.as_str().to_owned(),
            table_id: member.table_id,
            group_id: member.group_id,
            capacity: member.capacity.as_str().to_owned(),
            state: member.state.as_str().to_owned(),
        }
    }
}

/// One entry of `member_roles_list`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRole {
    #[schema(example = "Admin")]
    pub text: String,
    #[schema(example = "admin")]
    pub value: String,
}

/// One entry of `organization_autocomplete` / `group_autocomplete`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupAutocompleteItem {
    pub id: String,
    pub name: String,
    pub title: String,
}

/// An activity, as the activity streams return it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityDict {
    pub id: String,
    #[schema(example = "2026-11-26T17:49:19.123456")]
    pub timestamp: String,
    pub user_id: String,
    /// The dataset, organization or group the activity is about.
    pub object_id: String,
    #[schema(example = "changed organization")]
    pub activity_type: String,
    /// `{"package": <package_show dict>, "actor": <user name>}`, or `{"group": <the group's row:
    /// its columns and extras as an object>}`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Who may see a dataset activity (`public`, `member-<org id>`, `creator-<user id>`,
    /// `collaborator-<dataset id>`); null for the other activities, as in CKAN.
    pub permission_labels: Option<Vec<String>>,
}

impl From<Activity> for ActivityDict {
    fn from(activity: Activity) -> Self {
        // Only dataset activities carry labels in CKAN's activity plugin.
        let labeled = activity.activity_type.ends_with("package");
        Self {
            id: activity.id,
            timestamp: activity.timestamp.to_ckan_string(),
            user_id: activity.user_id,
            object_id: activity.object_id,
            activity_type: activity.activity_type,
            permission_labels: labeled.then_some(activity.permission_labels),
            data: activity.data,
        }
    }
}
