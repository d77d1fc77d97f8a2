//! Who may read, edit and create datasets, and manage their collaborators: CKAN's permission
//! labels, decided directly.

use super::groups::{Memberships, Permission, has_permission};
use crate::group::Capacity;
use crate::package::PackageState;

/// The parts of a dataset that decide who may see and change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageAccess {
    pub id: String,
    pub state: PackageState,
    pub private: bool,
    pub owner_org: Option<String>,
    pub creator_user_id: Option<String>,
}

/// CKAN's permission labels, decided directly: public active datasets for everyone; private,
/// draft and deleted ones for members of the owner organization, collaborators, the creator
/// of an unowned dataset, and sysadmins.
pub fn can_read_package(who: &Memberships, package: &PackageAccess) -> bool {
    if who.sysadmin {
        return true;
    }
    if package.state == PackageState::Active && !package.private {
        return true;
    }
    if let Some(org) = &package.owner_org
        && who.groups.contains_key(org)
    {
        return true;
    }
    if who.collaborations.contains_key(&package.id) {
        return true;
    }
    package.owner_org.is_none() && who.user_id.is_some() && package.creator_user_id == who.user_id
}

/// `package_update` and the actions that run through it: editors and admins of the owner
/// organization, editor collaborators, the creator of an unowned dataset, sysadmins.
pub fn can_edit_package(who: &Memberships, package: &PackageAccess) -> bool {
    if who.sysadmin {
        return true;
    }
    if let Some(org) = &package.owner_org
        && who.capacity_in(org).is_some_and(Capacity::may_edit_datasets)
    {
        return true;
    }
    if who.collaborations.get(&package.id).is_some_and(|c| c.may_edit_datasets()) {
        return true;
    }
    package.owner_org.is_none() && who.user_id.is_some() && package.creator_user_id == who.user_id
}

/// Adding datasets to an organization: its editors and admins, and sysadmins.
pub fn can_create_dataset_in(who: &Memberships, org_id: &str) -> bool {
    who.sysadmin || who.capacity_in(org_id).is_some_and(Capacity::may_edit_datasets)
}

/// Creating a dataset at all: a sysadmin, or an editor or admin of some organization.
pub fn can_create_some_dataset(who: &Memberships, org_ids: &[String]) -> bool {
    who.sysadmin || org_ids.iter().any(|org| who.capacity_in(org).is_some_and(Capacity::may_edit_datasets))
}

/// CKAN's `can_manage_collaborators` (with `allow_admin_collaborators` off): sysadmins, those
/// with `membership` in the owner organization (its admins, and admins of an organization
/// above it: `org_ancestors`), and the creator of a dataset without an organization.
pub fn can_manage_collaborators(
    who: &Memberships,
    package: &PackageAccess,
    org_ancestors: &[String],
) -> bool {
    if who.sysadmin {
        return true;
    }
    match &package.owner_org {
        Some(org) => has_permission(who, org, org_ancestors, Permission::Membership),
        None => who.user_id.is_some() && package.creator_user_id == who.user_id,
    }
}

/// Putting datasets into a (non-organization) group: any member of it, and sysadmins.
pub fn can_manage_group_datasets(who: &Memberships, group_id: &str) -> bool {
    who.sysadmin || who.capacity_in(group_id).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(state: PackageState, private: bool) -> PackageAccess {
        PackageAccess {
            id: "p".into(),
            state,
            private,
            owner_org: Some("org".into()),
            creator_user_id: Some("creator".into()),
        }
    }

    fn member(capacity: Option<Capacity>) -> Memberships {
        let mut who = Memberships { user_id: Some("u".into()), ..Memberships::default() };
        if let Some(capacity) = capacity {
            who.groups.insert("org".into(), capacity);
        }
        who
    }

    #[test]
    fn public_active_datasets_are_for_everyone() {
        assert!(can_read_package(&Memberships::default(), &package(PackageState::Active, false)));
    }

    #[test]
    fn private_deleted_and_draft_datasets_are_for_members() {
        for (state, private) in
            [(PackageState::Active, true), (PackageState::Deleted, false), (PackageState::Draft, false)]
        {
            let p = package(state, private);
            assert!(!can_read_package(&Memberships::default(), &p));
            assert!(!can_read_package(&member(None), &p));
            assert!(can_read_package(&member(Some(Capacity::Member)), &p));
            assert!(can_read_package(&Memberships { sysadmin: true, ..Memberships::default() }, &p));
        }
    }

    #[test]
    fn editors_edit_members_do_not() {
        let p = package(PackageState::Active, false);
        assert!(can_edit_package(&member(Some(Capacity::Editor)), &p));
        assert!(can_edit_package(&member(Some(Capacity::Admin)), &p));
        assert!(!can_edit_package(&member(Some(Capacity::Member)), &p));
        assert!(!can_edit_package(&member(None), &p));
        let mut collaborator = member(None);
        collaborator.collaborations.insert("p".into(), Capacity::Editor);
        assert!(can_edit_package(&collaborator, &p));
        assert!(can_read_package(&collaborator, &package(PackageState::Active, true)));
    }

    #[test]
    fn members_manage_group_datasets_editors_create() {
        assert!(can_manage_group_datasets(&member(Some(Capacity::Member)), "org"));
        assert!(!can_create_dataset_in(&member(Some(Capacity::Member)), "org"));
        assert!(can_create_dataset_in(&member(Some(Capacity::Editor)), "org"));
    }

    #[test]
    fn org_admins_and_admins_above_manage_collaborators() {
        let p = package(PackageState::Active, true);
        assert!(can_manage_collaborators(&member(Some(Capacity::Admin)), &p, &[]));
        assert!(!can_manage_collaborators(&member(Some(Capacity::Editor)), &p, &[]));
        assert!(!can_manage_collaborators(&member(None), &p, &[]));
        assert!(can_manage_collaborators(&Memberships { sysadmin: true, ..Memberships::default() }, &p, &[]));
        // An admin of the parent organization; an editor there is not enough.
        let mut parent_admin = member(None);
        parent_admin.groups.insert("parent".into(), Capacity::Admin);
        assert!(can_manage_collaborators(&parent_admin, &p, &["parent".to_owned()]));
        assert!(!can_manage_collaborators(&parent_admin, &p, &[]));
        let mut parent_editor = member(None);
        parent_editor.groups.insert("parent".into(), Capacity::Editor);
        assert!(!can_manage_collaborators(&parent_editor, &p, &["parent".to_owned()]));
        // Editor collaborators do not manage collaborators.
        let mut collaborator = member(None);
        collaborator.collaborations.insert("p".into(), Capacity::Editor);
        assert!(!can_manage_collaborators(&collaborator, &p, &[]));
    }

    #[test]
    fn the_creator_manages_the_collaborators_of_an_unowned_dataset() {
        let unowned = PackageAccess { owner_org: None, ..package(PackageState::Active, false) };
        let creator = Memberships { user_id: Some("creator".into()), ..Memberships::default() };
        assert!(can_manage_collaborators(&creator, &unowned, &[]));
        assert!(!can_manage_collaborators(&member(None), &unowned, &[]));
        assert!(!can_manage_collaborators(&Memberships::default(), &unowned, &[]));
    }
}
