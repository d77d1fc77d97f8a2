//! Roles in organizations and groups: what each role may do (CKAN's `ROLE_PERMISSIONS`), how
//! roles cascade down the hierarchy (CKAN's `ckan.auth.roles_that_cascade_to_sub_groups`), and
//! the rule that admins keep their own admin status.
//!
//! The hierarchy is given as facts: for a group, `ancestors` lists its parents, their parents
//! and so on, as the caller found them (CKAN follows active parents of the same type).

use std::collections::HashMap;

use super::Decision;
use crate::group::Capacity;
use crate::user::Actor;

/// What a caller holds: sysadmin, and their roles in organizations, groups and datasets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memberships {
    pub user_id: Option<String>,
    pub user_name: String,
    pub sysadmin: bool,
    /// Organization or group id → the caller's own capacity in it.
    pub groups: HashMap<String, Capacity>,
    /// Dataset id → the caller's capacity as a collaborator.
    pub collaborations: HashMap<String, Capacity>,
}

impl Memberships {
    /// The caller's own role in a group (none through the hierarchy: see [`role_in`]).
    pub fn capacity_in(&self, group_id: &str) -> Option<Capacity> {
        self.groups.get(group_id).copied()
    }

    /// These memberships with the role the hierarchy gives the caller in `group_id` counted as
    /// their own there, for the checks that look at that group alone (an action working on
    /// the datasets of one organization).
    #[must_use]
    pub fn with_cascaded_role(mut self, group_id: &str, ancestors: &[String]) -> Self {
        if let Some(role) = role_in(&self, group_id, ancestors) {
            self.groups.insert(group_id.to_owned(), role);
        }
        self
    }
}

/// A permission in an organization or group, by CKAN's name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// `read`: see it while deleted, and its private datasets.
    Read,
    /// `manage_group`: put datasets into a (non-organization) group.
    ManageGroup,
    /// `create_dataset`: add datasets to an organization.
    CreateDataset,
    /// `update_dataset`: change an organization's datasets.
    UpdateDataset,
    /// `delete_dataset`: delete an organization's datasets.
    DeleteDataset,
    /// `membership`: add and remove members.
    Membership,
    /// `update`: change the group itself (and, in bulk, its datasets).
    Update,
    /// `delete`: delete the group.
    Delete,
    /// `admin`: everything.
    Admin,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::ManageGroup => "manage_group",
            Self::CreateDataset => "create_dataset",
            Self::UpdateDataset => "update_dataset",
            Self::DeleteDataset => "delete_dataset",
            Self::Membership => "membership",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Admin => "admin",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Read,
            Self::ManageGroup,
            Self::CreateDataset,
            Self::UpdateDataset,
            Self::DeleteDataset,
            Self::Membership,
            Self::Update,
            Self::Delete,
            Self::Admin,
        ]
        .into_iter()
        .find(|p| p.as_str() == name)
    }
}

/// CKAN's `ROLE_PERMISSIONS`: admins may do everything; editors read, put datasets into
/// groups, and create, update and delete datasets; members read and put datasets into groups.
pub fn role_grants(role: Capacity, permission: Permission) -> bool {
    use Permission::{CreateDataset, DeleteDataset, ManageGroup, Read, UpdateDataset};
    match role {
        Capacity::Admin => true,
        Capacity::Editor => {
            matches!(permission, Read | ManageGroup | CreateDataset | UpdateDataset | DeleteDataset)
        }
        Capacity::Member => matches!(permission, Read | ManageGroup),
    }
}

/// CKAN's `get_roles_with_permission`: the roles that grant a permission, highest first.
pub fn roles_with(permission: Permission) -> Vec<Capacity> {
    [Capacity::Admin, Capacity::Editor, Capacity::Member]
        .into_iter()
        .filter(|role| role_grants(*role, permission))
        .collect()
}

/// [`roles_with`] by CKAN's name of the permission; a name it does not know is held by admins
/// only (they hold every permission).
pub fn roles_with_named(name: &str) -> Vec<Capacity> {
    Permission::parse(name).map_or_else(|| vec![Capacity::Admin], roles_with)
}

/// CKAN's `ckan.auth.roles_that_cascade_to_sub_groups` (its default): who holds one of these
/// roles in a group holds it in every group below it too.
pub const ROLES_THAT_CASCADE: &[Capacity] = &[Capacity::Admin];

/// Whether a role held in a group is held in the groups below it as well.
pub fn cascades(role: Capacity) -> bool {
    ROLES_THAT_CASCADE.contains(&role)
}

/// The role the caller has in a group: their own there, or a role that cascades from one of
/// its `ancestors`, whichever is higher.
pub fn role_in(who: &Memberships, group_id: &str, ancestors: &[String]) -> Option<Capacity> {
    let inherited = ancestors.iter().filter_map(|id| who.capacity_in(id)).filter(|role| cascades(*role));
    who.capacity_in(group_id).into_iter().chain(inherited).max()
}

/// CKAN's `has_user_permission_for_group_or_org`: sysadmins always; anyone else when their role
/// in the group, or a role that cascades from one of its `ancestors`, grants the permission.
pub fn has_permission(
    who: &Memberships,
    group_id: &str,
    ancestors: &[String],
    permission: Permission,
) -> bool {
    who.sysadmin || role_in(who, group_id, ancestors).is_some_and(|role| role_grants(role, permission))
}

/// One of a user's memberships, for [`roles_reaching`]: the group, the role, and the groups
/// below the group (needed only when the role [`cascades`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRole {
    pub group_id: String,
    pub role: Capacity,
    pub below: Vec<String>,
}

/// `organization_list_for_user`: each group a user's memberships reach with one of `roles`,
/// with the highest of them. A membership reaches its group and, with a role that cascades,
/// the groups below it.
pub fn roles_reaching(held: &[HeldRole], roles: &[Capacity]) -> HashMap<String, Capacity> {
    let mut out: HashMap<String, Capacity> = HashMap::new();
    for membership in held.iter().filter(|m| roles.contains(&m.role)) {
        let below = if cascades(membership.role) { membership.below.as_slice() } else { &[] };
        for group_id in std::iter::once(&membership.group_id).chain(below) {
            let entry = out.entry(group_id.clone()).or_insert(membership.role);
            *entry = (*entry).max(membership.role);
        }
    }
    out
}

/// CKAN's refusal when an admin demotes themself.
pub const OWN_ADMIN: &str = "Administrators cannot revoke their own admin status";

/// Giving a user a role in a group (`member_create` and the like), where they hold `current`:
/// administrators cannot revoke their own admin status.
pub fn set_user_role(actor: &Actor, user_id: &str, current: Option<Capacity>, new: Capacity) -> Decision {
    if actor.is_user(user_id) && current == Some(Capacity::Admin) && new != Capacity::Admin {
        Err(OWN_ADMIN.to_owned())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES: [Capacity; 3] = [Capacity::Admin, Capacity::Editor, Capacity::Member];

    fn holding(roles: &[(&str, Capacity)]) -> Memberships {
        Memberships {
            user_id: Some("u".into()),
            user_name: "user".into(),
            groups: roles.iter().map(|(g, r)| ((*g).to_owned(), *r)).collect(),
            ..Memberships::default()
        }
    }

    fn chain(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|id| (*id).to_owned()).collect()
    }

    #[test]
    fn roles_grant_ckans_role_permissions() {
        use Permission::*;
        for permission in [
            Read,
            ManageGroup,
            CreateDataset,
            UpdateDataset,
            DeleteDataset,
            Membership,
            Update,
            Delete,
            Admin,
        ] {
            assert!(role_grants(Capacity::Admin, permission), "{permission:?}");
            assert_eq!(Permission::parse(permission.as_str()), Some(permission));
        }
        for permission in [Read, ManageGroup, CreateDataset, UpdateDataset, DeleteDataset] {
            assert!(role_grants(Capacity::Editor, permission), "{permission:?}");
        }
        for permission in [Membership, Update, Delete, Admin] {
            assert!(!role_grants(Capacity::Editor, permission), "{permission:?}");
        }
        assert!(role_grants(Capacity::Member, Read));
        assert!(role_grants(Capacity::Member, ManageGroup));
        for permission in [CreateDataset, UpdateDataset, DeleteDataset, Membership, Update, Delete, Admin] {
            assert!(!role_grants(Capacity::Member, permission), "{permission:?}");
        }
    }

    #[test]
    fn a_higher_role_grants_everything_a_lower_one_does() {
        use Permission::*;
        for permission in [
            Read,
            ManageGroup,
            CreateDataset,
            UpdateDataset,
            DeleteDataset,
            Membership,
            Update,
            Delete,
            Admin,
        ] {
            for (higher, lower) in [(Capacity::Admin, Capacity::Editor), (Capacity::Editor, Capacity::Member)]
            {
                assert!(!role_grants(lower, permission) || role_grants(higher, permission));
            }
        }
    }

    #[test]
    fn roles_with_a_permission_as_ckan_lists_them() {
        let all = vec![Capacity::Admin, Capacity::Editor, Capacity::Member];
        let editors = vec![Capacity::Admin, Capacity::Editor];
        assert_eq!(roles_with_named("read"), all);
        assert_eq!(roles_with_named("manage_group"), all);
        for name in ["create_dataset", "update_dataset", "delete_dataset"] {
            assert_eq!(roles_with_named(name), editors, "{name}");
        }
        for name in ["membership", "admin", "update", "delete", "anything", ""] {
            assert_eq!(roles_with_named(name), vec![Capacity::Admin], "{name}");
        }
    }

    #[test]
    fn only_admin_cascades_to_sub_groups() {
        assert_eq!(ROLES_THAT_CASCADE, &[Capacity::Admin]);
        assert!(cascades(Capacity::Admin));
        assert!(!cascades(Capacity::Editor));
        assert!(!cascades(Capacity::Member));
    }

    #[test]
    fn an_admin_above_is_an_admin_below() {
        let who = holding(&[("grandparent", Capacity::Admin)]);
        let ancestors = chain(&["parent", "grandparent"]);
        assert_eq!(role_in(&who, "child", &ancestors), Some(Capacity::Admin));
        assert_eq!(role_in(&who, "child", &[]), None);
        for permission in [Permission::Update, Permission::Membership, Permission::CreateDataset] {
            assert!(has_permission(&who, "child", &ancestors, permission));
            assert!(!has_permission(&who, "child", &chain(&["elsewhere"]), permission));
        }
    }

    #[test]
    fn editors_and_members_above_hold_nothing_below() {
        for role in [Capacity::Editor, Capacity::Member] {
            let who = holding(&[("parent", role)]);
            let ancestors = chain(&["parent"]);
            assert_eq!(role_in(&who, "child", &ancestors), None, "{role:?}");
            assert!(!has_permission(&who, "child", &ancestors, Permission::Read), "{role:?}");
            assert!(has_permission(&who, "parent", &[], Permission::Read), "{role:?}");
        }
    }

    #[test]
    fn the_higher_of_the_own_and_the_cascaded_role_counts() {
        let who = holding(&[("child", Capacity::Member), ("parent", Capacity::Admin)]);
        let ancestors = chain(&["parent"]);
        assert_eq!(role_in(&who, "child", &ancestors), Some(Capacity::Admin));
        assert!(has_permission(&who, "child", &ancestors, Permission::Update));
        assert!(!has_permission(&who, "child", &[], Permission::Update));
        let who = holding(&[("child", Capacity::Editor), ("parent", Capacity::Member)]);
        assert_eq!(role_in(&who, "child", &ancestors), Some(Capacity::Editor));
        assert!(has_permission(&who, "child", &ancestors, Permission::UpdateDataset));
        assert!(!has_permission(&who, "child", &ancestors, Permission::Update));
    }

    #[test]
    fn sysadmins_hold_every_permission_anywhere() {
        let who = Memberships { sysadmin: true, ..Memberships::default() };
        assert!(has_permission(&who, "any", &[], Permission::Admin));
        assert_eq!(role_in(&who, "any", &[]), None);
    }

    #[test]
    fn the_cascaded_role_counts_as_own_for_checks_of_the_group_alone() {
        let who = holding(&[("parent", Capacity::Admin), ("other", Capacity::Member)]);
        let acting = who.clone().with_cascaded_role("child", &chain(&["parent"]));
        assert_eq!(acting.capacity_in("child"), Some(Capacity::Admin));
        assert_eq!(acting.capacity_in("other"), Some(Capacity::Member));
        let unchanged = who.clone().with_cascaded_role("child", &chain(&["other"]));
        assert_eq!(unchanged, who);
    }

    #[test]
    fn memberships_reach_their_groups_and_admins_the_groups_below() {
        let held = [
            HeldRole { group_id: "a".into(), role: Capacity::Admin, below: chain(&["a1", "a2"]) },
            HeldRole { group_id: "b".into(), role: Capacity::Member, below: chain(&["b1"]) },
            HeldRole { group_id: "a1".into(), role: Capacity::Editor, below: Vec::new() },
        ];
        let reached = roles_reaching(&held, &ROLES);
        assert_eq!(reached.len(), 4);
        assert_eq!(reached["a"], Capacity::Admin);
        assert_eq!(reached["a1"], Capacity::Admin);
        assert_eq!(reached["a2"], Capacity::Admin);
        assert_eq!(reached["b"], Capacity::Member);
        // Only the roles asked for; a member's role does not reach below.
        let editors = roles_reaching(&held, &[Capacity::Admin, Capacity::Editor]);
        assert_eq!(editors.keys().count(), 3);
        assert!(!editors.contains_key("b") && !editors.contains_key("b1"));
        let members = roles_reaching(&held, &[Capacity::Member]);
        assert_eq!(members, HashMap::from([("b".to_owned(), Capacity::Member)]));
    }

    #[test]
    fn admins_keep_their_own_admin_status() {
        let me = Actor::User { id: "u".into(), name: "me".into(), sysadmin: false };
        assert_eq!(
            set_user_role(&me, "u", Some(Capacity::Admin), Capacity::Editor),
            Err("Administrators cannot revoke their own admin status".to_owned())
        );
        assert!(set_user_role(&me, "u", Some(Capacity::Admin), Capacity::Admin).is_ok());
        assert!(set_user_role(&me, "u", Some(Capacity::Editor), Capacity::Member).is_ok());
        assert!(set_user_role(&me, "u", None, Capacity::Member).is_ok());
        assert!(set_user_role(&me, "other", Some(Capacity::Admin), Capacity::Member).is_ok());
        let sysadmin = Actor::User { id: "u".into(), name: "me".into(), sysadmin: true };
        assert!(set_user_role(&sysadmin, "u", Some(Capacity::Admin), Capacity::Member).is_err());
        assert!(set_user_role(&Actor::Site, "u", Some(Capacity::Admin), Capacity::Member).is_ok());
    }
}
