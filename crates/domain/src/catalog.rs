//! Stored records of the catalogue, as storage hands them out.

use serde_json::{Map, Value};

use crate::Timestamp;
use crate::authz::PackageAccess;
use crate::package::PackageState;

/// A dataset row: the columns lookups need, the document, and the rendered `package_show` dict.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageRecord {
    pub id: String,
    pub name: String,
    pub title: String,
    pub package_type: String,
    pub state: PackageState,
    pub private: bool,
    pub owner_org: Option<String>,
    pub creator_user_id: Option<String>,
    pub metadata_created: Timestamp,
    pub metadata_modified: Timestamp,
    /// The validated dict: every field but the computed ones.
    pub document: Map<String, Value>,
    /// The `package_show` dict as JSON text.
    pub rendered: String,
}

impl PackageRecord {
    pub fn access(&self) -> PackageAccess {
        PackageAccess {
            id: self.id.clone(),
            state: self.state,
            private: self.private,
            owner_org: self.owner_org.clone(),
            creator_user_id: self.creator_user_id.clone(),
        }
    }
}

/// The index row of a resource (the resource itself lives in its dataset's document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRecord {
    pub id: String,
    pub package_id: String,
    pub position: i32,
    pub state: String,
    pub url: String,
    pub format: String,
    pub name: String,
    pub description: String,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRecord {
    pub id: String,
    pub name: String,
    pub vocabulary_id: Option<String>,
}

impl TagRecord {
    /// CKAN's tag dict.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("display_name".into(), self.name.clone().into());
        out.insert("id".into(), self.id.clone().into());
        out.insert("name".into(), self.name.clone().into());
        out.insert("state".into(), "active".into());
        out.insert("vocabulary_id".into(), self.vocabulary_id.clone().map_or(Value::Null, Value::String));
        Value::Object(out)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocabulary {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collaborator {
    pub package_id: String,
    pub user_id: String,
    pub capacity: String,
    pub modified: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    pub id: String,
    pub subject_package_id: String,
    pub object_package_id: String,
    pub relationship_type: String,
    pub comment: String,
    pub state: String,
}

/// A view of a resource: its place among the resource's views and its dict (`title`,
/// `description`, `view_type` and the view's configuration keys).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceView {
    pub id: String,
    pub resource_id: String,
    pub position: i32,
    pub document: Map<String, Value>,
}

/// A recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: String,
    pub timestamp: Timestamp,
    pub user_id: String,
    pub object_id: String,
    /// Owner organization and groups of a dataset; the group itself for group activities.
    pub group_ids: Vec<String>,
    pub activity_type: String,
    /// Visible to everyone (the dataset was public and active when it changed).
    pub public: bool,
    pub permission_labels: Vec<String>,
    pub data: Value,
}
