//! Permission rules, as pure functions of facts the caller loads: the actor, their memberships
//! (`Memberships`), a dataset's owner and state (`PackageAccess`), and the chain of groups
//! above an organization or group (its parents, their parents, ...). Checks that CKAN answers
//! with a message return `Err(reason)` with the text CKAN puts after `Access denied: `.
//!
//! - `users`: creating, changing and deleting users, their private fields and API tokens.
//! - `groups`: roles in organizations and groups, what each role may do (CKAN's
//!   `ROLE_PERMISSIONS`), how roles cascade to sub-organizations, and the own-admin rule.
//! - `datasets`: reading, editing and creating datasets, and managing their collaborators.

mod datasets;
mod groups;
mod users;

pub use datasets::{
    PackageAccess, can_create_dataset_in, can_create_some_dataset, can_edit_package,
    can_manage_collaborators, can_manage_group_datasets, can_read_package,
};
pub use groups::{
    HeldRole, Memberships, OWN_ADMIN, Permission, ROLES_THAT_CASCADE, cascades, has_permission, role_grants,
    role_in, roles_reaching, roles_with, roles_with_named, set_user_role,
};
pub use users::{
    api_token_manage, authenticated, sees_private_user_fields, user_create, user_delete, user_update,
};

pub type Decision = Result<(), String>;
