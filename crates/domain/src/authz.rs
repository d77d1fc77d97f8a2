//! Permission rules for users and tokens. Each check returns `Err(reason)` with the text CKAN
//! puts after `Access denied: `.

use crate::user::Actor;

pub type Decision = Result<(), String>;

/// `user_create`: only sysadmins, unless the site lets anyone register through the API
/// (CKAN's `ckan.auth.create_user_via_api`).
pub fn user_create(actor: &Actor, anyone_may_register: bool) -> Decision {
    if actor.is_sysadmin() || anyone_may_register {
        Ok(())
    } else {
        Err(format!("User {} not authorized to create users", actor.name()))
    }
}

/// `user_update` / `user_patch`: the user themself or a sysadmin.
pub fn user_update(actor: &Actor, target_id: &str, target_name: &str) -> Decision {
    if actor.is_sysadmin() || actor.is_user(target_id) {
        Ok(())
    } else {
        Err(format!("User {} not authorized to edit user {}", actor.name(), target_name))
    }
}

/// `user_delete`: sysadmins only.
pub fn user_delete(actor: &Actor, target_name: &str) -> Decision {
    if actor.is_sysadmin() {
        Ok(())
    } else {
        Err(format!("User {} not authorized to delete user {}", actor.name(), target_name))
    }
}

/// Email, API key and other private fields of a user dict: the user themself and sysadmins.
pub fn sees_private_user_fields(actor: &Actor, target_id: &str) -> bool {
    actor.is_sysadmin() || actor.is_user(target_id)
}

/// `api_token_create` / `api_token_list`: for oneself, or a sysadmin for anyone.
pub fn api_token_manage(actor: &Actor, owner_id: &str) -> Decision {
    if actor.is_sysadmin() || actor.is_user(owner_id) {
        Ok(())
    } else {
        Err(format!("User {} not authorized to manage API tokens of this user", actor.name()))
    }
}

/// Actions that need a logged-in user say so before anything else.
pub fn authenticated(actor: &Actor, action: &str) -> Decision {
    if actor.is_authenticated() {
        Ok(())
    } else {
        Err(format!("Action {action} requires an authenticated user"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, sysadmin: bool) -> Actor {
        Actor::User { id: id.into(), name: format!("user-{id}"), sysadmin }
    }

    #[test]
    fn only_sysadmins_create_users_by_default() {
        assert!(user_create(&user("1", true), false).is_ok());
        assert!(user_create(&user("1", false), false).is_err());
        assert_eq!(
            user_create(&Actor::Anonymous, false),
            Err("User  not authorized to create users".to_owned())
        );
        assert!(user_create(&Actor::Anonymous, true).is_ok());
    }

    #[test]
    fn users_edit_themselves_and_sysadmins_everyone() {
        assert!(user_update(&user("1", false), "1", "a").is_ok());
        assert!(user_update(&user("1", false), "2", "b").is_err());
        assert!(user_update(&user("1", true), "2", "b").is_ok());
        assert!(user_update(&Actor::Anonymous, "2", "b").is_err());
    }

    #[test]
    fn private_fields_are_for_self_and_sysadmins() {
        assert!(sees_private_user_fields(&user("1", false), "1"));
        assert!(!sees_private_user_fields(&user("1", false), "2"));
        assert!(sees_private_user_fields(&user("1", true), "2"));
        assert!(!sees_private_user_fields(&Actor::Anonymous, "2"));
    }

    #[test]
    fn tokens_are_managed_by_their_owner_or_a_sysadmin() {
        assert!(api_token_manage(&user("1", false), "1").is_ok());
        assert!(api_token_manage(&user("1", false), "2").is_err());
        assert!(api_token_manage(&user("9", true), "2").is_ok());
    }

    #[test]
    fn only_sysadmins_delete_users() {
        assert!(user_delete(&user("1", true), "x").is_ok());
        assert!(user_delete(&user("1", false), "x").is_err());
    }

    #[test]
    fn anonymous_callers_are_named_in_the_reason() {
        assert_eq!(
            authenticated(&Actor::Anonymous, "api_token_list"),
            Err("Action api_token_list requires an authenticated user".to_owned())
        );
    }
}

/// What a caller holds: sysadmin, and their roles in organizations, groups and datasets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memberships {
    pub user_id: Option<String>,
    pub user_name: String,
    pub sysadmin: bool,
    /// Organization or group id → the caller's capacity in it.
    pub groups: std::collections::HashMap<String, crate::group::Capacity>,
    /// Dataset id → the caller's capacity as a collaborator.
    pub collaborations: std::collections::HashMap<String, crate::group::Capacity>,
}

impl Memberships {
    pub fn capacity_in(&self, group_id: &str) -> Option<crate::group::Capacity> {
        self.groups.get(group_id).copied()
    }
}

/// The parts of a dataset that decide who may see and change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageAccess {
    pub id: String,
    pub state: crate::package::PackageState,
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
    if package.state == crate::package::PackageState::Active && !package.private {
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
        && who.capacity_in(org).is_some_and(crate::group::Capacity::may_edit_datasets)
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
    who.sysadmin || who.capacity_in(org_id).is_some_and(crate::group::Capacity::may_edit_datasets)
}

/// Creating a dataset at all: a sysadmin, or an editor or admin of some organization.
pub fn can_create_some_dataset(who: &Memberships, org_ids: &[String]) -> bool {
    who.sysadmin
        || org_ids
            .iter()
            .any(|org| who.capacity_in(org).is_some_and(crate::group::Capacity::may_edit_datasets))
}

/// Putting datasets into a (non-organization) group: any member of it, and sysadmins.
pub fn can_manage_group_datasets(who: &Memberships, group_id: &str) -> bool {
    who.sysadmin || who.capacity_in(group_id).is_some()
}

/// Changing an organization or group, its members or its state: its admins, and sysadmins.
pub fn is_group_admin(who: &Memberships, group_id: &str) -> bool {
    who.sysadmin || who.capacity_in(group_id) == Some(crate::group::Capacity::Admin)
}

#[cfg(test)]
mod package_tests {
    use super::*;
    use crate::group::Capacity;
    use crate::package::PackageState;

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
    fn only_admins_administer_groups() {
        assert!(is_group_admin(&member(Some(Capacity::Admin)), "org"));
        assert!(!is_group_admin(&member(Some(Capacity::Editor)), "org"));
        assert!(can_manage_group_datasets(&member(Some(Capacity::Member)), "org"));
        assert!(!can_create_dataset_in(&member(Some(Capacity::Member)), "org"));
    }
}
