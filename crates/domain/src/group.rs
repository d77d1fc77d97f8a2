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

/// What kind of object a membership is about (the `table_name` of a `members` row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberKind {
    /// A user with a role in the group.
    User,
    /// A dataset in a (non-organization) group.
    Package,
    /// A parent of the group.
    Group,
}

impl MemberKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Package => "package",
            Self::Group => "group",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "user" => Some(Self::User),
            "package" => Some(Self::Package),
            "group" => Some(Self::Group),
            _ => None,
        }
    }
}

/// The capacity of a membership: a user's role, or how a dataset or a parent group belongs.
/// CKAN stores any text a caller gives for datasets and groups; that is kept as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MemberCapacity {
    /// A user's role: `admin`, `editor` or `member`.
    Role(Capacity),
    /// `public`: a dataset in a group, and a parent named in a `groups` list.
    Public,
    /// `private`.
    Private,
    /// `parent`: a parent group, as `member_create` is usually told.
    Parent,
    /// `organization`: a dataset of an organization, as `member_list` shows it (never stored).
    Organization,
    /// Any other text, as given.
    Other(String),
}

impl MemberCapacity {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Role(role) => role.as_str(),
            Self::Public => "public",
            Self::Private => "private",
            Self::Parent => "parent",
            Self::Organization => "organization",
            Self::Other(text) => text,
        }
    }

    /// The capacity a text names, exactly as spelled (`Admin` is other text, not the role).
    pub fn parse(value: &str) -> Self {
        match value {
            "admin" => Self::Role(Capacity::Admin),
            "editor" => Self::Role(Capacity::Editor),
            "member" => Self::Role(Capacity::Member),
            "public" => Self::Public,
            "private" => Self::Private,
            "parent" => Self::Parent,
            "organization" => Self::Organization,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The role, when it is one.
    pub fn role(&self) -> Option<Capacity> {
        match self {
            Self::Role(role) => Some(*role),
            _ => None,
        }
    }

    /// As `member_list` shows it: roles title-cased (`Admin`), anything else as stored.
    pub fn listed(&self) -> &str {
        match self {
            Self::Role(role) => role.title(),
            other => other.as_str(),
        }
    }
}

impl From<Capacity> for MemberCapacity {
    fn from(role: Capacity) -> Self {
        Self::Role(role)
    }
}

/// The state of a membership. datahavn writes `active` ones and deletes rather than marking;
/// CKAN's other states are known so that stored rows read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberState {
    Active,
    Deleted,
    Pending,
}

impl MemberState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Deleted => "deleted",
            Self::Pending => "pending",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "active" => Some(Self::Active),
            "deleted" => Some(Self::Deleted),
            "pending" => Some(Self::Pending),
            _ => None,
        }
    }
}

/// One row of `members`: `table_id` (a user, dataset or group, by `table_name`) belongs to
/// `group_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub group_id: String,
    pub table_name: MemberKind,
    pub table_id: String,
    pub capacity: MemberCapacity,
    pub state: MemberState,
}

impl Member {
    /// An active membership.
    pub fn active(
        id: String,
        group_id: &str,
        table_name: MemberKind,
        table_id: &str,
        capacity: MemberCapacity,
    ) -> Self {
        Self {
            id,
            group_id: group_id.to_owned(),
            table_name,
            table_id: table_id.to_owned(),
            capacity,
            state: MemberState::Active,
        }
    }

    /// CKAN's member dict.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), self.id.clone().into());
        out.insert("table_name".into(), self.table_name.as_str().into());
        out.insert("table_id".into(), self.table_id.clone().into());
        out.insert("group_id".into(), self.group_id.clone().into());
        out.insert("capacity".into(), self.capacity.as_str().into());
        out.insert("state".into(), self.state.as_str().into());
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

    #[test]
    fn member_kinds_and_states_keep_their_wire_names() {
        for kind in [MemberKind::User, MemberKind::Package, MemberKind::Group] {
            assert_eq!(MemberKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MemberKind::parse("organization"), None);
        for state in [MemberState::Active, MemberState::Deleted, MemberState::Pending] {
            assert_eq!(MemberState::parse(state.as_str()), Some(state));
        }
        assert_eq!(MemberState::parse("Active"), None);
    }

    #[test]
    fn member_capacities_read_back_exactly_as_stored() {
        for text in ["admin", "editor", "member", "public", "private", "parent", "organization", "Admin", "x"]
        {
            assert_eq!(MemberCapacity::parse(text).as_str(), text);
        }
        assert_eq!(MemberCapacity::parse("editor").role(), Some(Capacity::Editor));
        assert_eq!(MemberCapacity::parse("Admin"), MemberCapacity::Other("Admin".into()));
        assert_eq!(MemberCapacity::parse("Admin").role(), None);
        assert_eq!(MemberCapacity::parse("public").role(), None);
        assert_eq!(MemberCapacity::from(Capacity::Admin).listed(), "Admin");
        assert_eq!(MemberCapacity::Public.listed(), "public");
        assert_eq!(MemberCapacity::parse("Admin").listed(), "Admin");
    }
}
