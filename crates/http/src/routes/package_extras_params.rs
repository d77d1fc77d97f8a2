//! Documented parameters of the collaborator, relationship, bulk and revise actions (OpenAPI
//! only; the actions read the dict).
#![allow(dead_code)]

use utoipa::{IntoParams, ToSchema};

use super::package_params::PackageDict;

#[derive(ToSchema)]
pub struct CollaboratorCreateParams {
    /// Dataset id or name.
    pub id: String,
    /// User id or name.
    pub user_id: String,
    /// `editor` or `member`.
    pub capacity: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CollaboratorListParams {
    /// Dataset id or name.
    pub id: String,
    /// Only collaborators with this capacity (`editor` or `member`).
    pub capacity: Option<String>,
}

#[derive(ToSchema)]
pub struct CollaboratorDeleteParams {
    /// Dataset id or name.
    pub id: String,
    /// User id or name.
    pub user_id: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CollaboratorListForUserParams {
    /// User id or name (yourself, unless you are a sysadmin).
    pub id: String,
    /// Only datasets where the user has this capacity.
    pub capacity: Option<String>,
}

/// A collaborator of a dataset.
#[derive(ToSchema)]
pub struct CollaboratorDict {
    pub package_id: String,
    pub user_id: String,
    /// `editor` or `member`.
    pub capacity: String,
    /// When the collaboration was made or last changed.
    pub modified: String,
}

/// A dataset a user collaborates in.
#[derive(ToSchema)]
pub struct UserCollaborationDict {
    pub package_id: String,
    pub capacity: String,
    pub modified: String,
}

/// A relationship between two datasets.
#[derive(ToSchema)]
pub struct RelationshipParams {
    /// Subject dataset id or name.
    pub subject: String,
    /// Object dataset id or name.
    pub object: String,
    /// `depends_on`, `dependency_of`, `derives_from`, `has_derivation`, `links_to`,
    /// `linked_from`, `child_of` or `parent_of`.
    #[schema(rename = "type")]
    pub relationship_type: String,
    pub comment: Option<String>,
}

#[derive(ToSchema)]
pub struct RelationshipIdentity {
    /// Subject dataset id or name.
    pub subject: String,
    /// Object dataset id or name.
    pub object: String,
    #[schema(rename = "type")]
    pub relationship_type: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RelationshipsListParams {
    /// Dataset id or name.
    pub id: String,
    /// Only relationships with this dataset.
    pub id2: Option<String>,
    /// Only relationships of this type (as seen from `id`).
    pub rel: Option<String>,
}

/// `{subject, type, object, comment}` with dataset names.
#[derive(ToSchema)]
pub struct RelationshipDict {
    pub subject: String,
    #[schema(rename = "type")]
    pub relationship_type: String,
    pub object: String,
    pub comment: String,
}

#[derive(ToSchema)]
pub struct BulkParams {
    /// Organization id or name.
    pub org_id: String,
    /// Ids (or names) of datasets of that organization.
    pub datasets: Vec<String>,
}

#[derive(ToSchema)]
pub struct OwnerOrgParams {
    /// Dataset id or name.
    pub id: String,
    /// The new organization's id or name.
    pub organization_id: String,
}

/// `package_revise`'s request. `match__<key>` and `update__<key>` flattened keys are accepted
/// beside these.
#[derive(ToSchema)]
pub struct ReviseParams {
    /// Must hold `id` or `name`; every value given must equal the current one.
    #[schema(rename = "match", value_type = Option<Object>)]
    pub matching: Option<serde_json::Value>,
    /// Field patterns to remove (`-key`) or protect (`+key`); `*` matches a level.
    pub filter: Option<Vec<String>>,
    /// Merged into the dataset.
    #[schema(value_type = Option<Object>)]
    pub update: Option<serde_json::Value>,
    /// Patterns applied to the answer (`["-package__resources"]`).
    pub include: Option<Vec<String>>,
}

/// `package_revise`'s result.
#[derive(ToSchema)]
pub struct ReviseResult {
    pub package: PackageDict,
}
