//! Organizations and groups, memberships and capacities.

use serde_json::{Map, Value};

use crate::Timestamp;

/// A member's role in an organization or group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capacity {
    Member,
    Editor,
    Admin,
}

impl Capacity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "member" => Some(Self::Member),
            "editor" => Some(Self::Editor),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// Title-cased, as `member_list` shows user roles.
    pub fn title(self) -> &'static str {
        match self {
            Self::Member => "Member",
            Self::Editor => "Editor",
            Self::Admin => "Admin",
        }
    }

    /// Editors and admins create, update and delete the organization's datasets.
    pub fn may_edit_datasets(self) -> bool {
        matches!(self, Self::Editor | Self::Admin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    Active,
    Deleted,
}

impl GroupState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "active" => Some(Self::Active),
            "deleted" => Some(Self::Deleted),
            _ => None,
        }
    }
}

/// An organization (`is_organization`) or a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub title: String,
    pub description: String,
    pub image_url: String,
    /// `organization`, `group`, or a custom type.
    pub group_type: String,
    pub is_organization: bool,
    pub approval_status: String,
    pub state: GroupState,
    pub created: Timestamp,
    /// `[{key, value}]`.
    pub extras: Vec<(String, String)>,
    /// Free-form top-level keys.
    pub document: Map<String, Value>,
}

impl Group {
    pub fn display_name(&self) -> &str {
        if self.title.trim().is_empty() { &self.name } else { &self.title }
    }

    pub fn is_active(&self) -> bool {
        self.state == GroupState::Active
    }

    /// `image_display_url`: absolute as given, or under the site's uploads for a file name.
    pub fn image_display_url(&self, site_url: &str) -> String {
        if self.image_url.is_empty() || self.image_url.contains("://") {
            self.image_url.clone()
        } else {
            format!("{site_url}/uploads/group/{}", self.image_url)
        }
    }

    /// The `organization` sub-dict of a dataset, in CKAN's key order.
    pub fn organization_summary(&self) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), self.id.clone().into());
        out.insert("name".into(), self.name.clone().into());
        out.insert("title".into(), self.title.clone().into());
        out.insert("type".into(), self.group_type.clone().into());
        out.insert("description".into(), self.description.clone().into());
        out.insert("image_url".into(), self.image_url.clone().into());
        out.insert("created".into(), self.created.to_ckan_string().into());
        out.insert("is_organization".into(), self.is_organization.into());
        out.insert("approval_status".into(), self.approval_status.clone().into());
        out.insert("state".into(), self.state.as_str().into());
        Value::Object(out)
    }

    /// An entry of a dataset's `groups` list.
    pub fn package_group_summary(&self, site_url: &str) -> Value {
        let mut out = Map::new();
        out.insert("description".into(), self.description.clone().into());
        out.insert("display_name".into(), self.display_name().into());
        out.insert("id".into(), self.id.clone().into());
        out.insert("image_display_url".into(), self.image_display_url(site_url).into());
        out.insert("name".into(), self.name.clone().into());
        out.insert("title".into(), self.title.clone().into());
        Value::Object(out)
    }
}

/// One row of `members`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub group_id: String,
    /// `user`, `package` or `group`.
    pub table_name: String,
    pub table_id: String,
    pub capacity: String,
    pub state: String,
}

impl Member {
    /// CKAN's member dict.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), self.id.clone().into());
        out.insert("table_name".into(), self.table_name.clone().into());
        out.insert("table_id".into(), self.table_id.clone().into());
        out.insert("group_id".into(), self.group_id.clone().into());
        out.insert("capacity".into(), self.capacity.clone().into());
        out.insert("state".into(), self.state.clone().into());
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_order_by_power() {
        assert!(Capacity::Admin > Capacity::Editor && Capacity::Editor > Capacity::Member);
        assert_eq!(Capacity::parse("Admin"), Some(Capacity::Admin));
        assert_eq!(Capacity::parse("owner"), None);
        assert!(Capacity::Editor.may_edit_datasets());
        assert!(!Capacity::Member.may_edit_datasets());
    }
}
