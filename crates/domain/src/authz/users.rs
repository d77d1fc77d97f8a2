//! Who may create, change and delete users and manage their API tokens.

use super::Decision;
use crate::user::Actor;

/// `user_create`: only sysadmins, unless the site lets anyone register through the API
/// (CKAN's `ckan.auth.create_user_via_api`).
pub fn user_create(actor: &Actor, anyone_may_register: bool) -> Decision {
    if actor.is_sysadmin() || anyone_may_register {
        Ok(())
    } else {
        Err(format!("User {} not authorized to create users via the API", actor.name()))
    }
}

/// `user_update` / `user_patch`: the user themself or a sysadmin, in the words of CKAN's
/// `user_update` auth function (which names the user by id).
pub fn user_update(actor: &Actor, target_id: &str) -> Decision {
    if actor.is_sysadmin() || actor.is_user(target_id) {
        Ok(())
    } else if !actor.is_authenticated() {
        Err("Have to be logged in to edit user".to_owned())
    } else {
        Err(format!("User {} not authorized to edit user {}", actor.name(), target_id))
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

/// `api_token_create` / `api_token_list` / `api_token_revoke`: for oneself, or a sysadmin for
/// anyone. CKAN's auth functions refuse without a reason (a bare `Access denied`).
pub fn api_token_manage(actor: &Actor, owner_id: &str) -> bool {
    actor.is_sysadmin() || actor.is_user(owner_id)
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
            Err("User  not authorized to create users via the API".to_owned())
        );
        assert!(user_create(&Actor::Anonymous, true).is_ok());
    }

    #[test]
    fn users_edit_themselves_and_sysadmins_everyone() {
        assert!(user_update(&user("1", false), "1").is_ok());
        assert!(user_update(&user("1", false), "2").is_err());
        assert!(user_update(&user("1", true), "2").is_ok());
        assert!(user_update(&Actor::Anonymous, "2").is_err());
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
        assert!(api_token_manage(&user("1", false), "1"));
        assert!(!api_token_manage(&user("1", false), "2"));
        assert!(api_token_manage(&user("9", true), "2"));
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
