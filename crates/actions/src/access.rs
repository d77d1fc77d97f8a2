//! Who the caller is in the catalogue: their memberships, loaded once per call.

use std::collections::HashMap;

use datahavn_domain::authz::{self, Memberships};
use datahavn_domain::catalog::PackageRecord;
use datahavn_domain::group::Capacity;
use datahavn_domain::user::Actor;
use datahavn_storage::Tx;

use crate::{ActionError, ActionResult};

/// The caller's sysadmin flag, organization and group capacities, and collaborations.
pub fn memberships(tx: &mut Tx<'_>, actor: &Actor) -> ActionResult<Memberships> {
    let mut who = Memberships {
        user_id: actor.user_id().map(str::to_owned),
        user_name: actor.name().to_owned(),
        sysadmin: actor.is_sysadmin(),
        ..Memberships::default()
    };
    let Some(user_id) = actor.user_id().filter(|id| !id.is_empty()) else {
        return Ok(who);
    };
    let mut groups = HashMap::new();
    for member in tx.memberships_of("user", user_id)? {
        if let Some(capacity) = Capacity::parse(&member.capacity) {
            groups.insert(member.group_id, capacity);
        }
    }
    who.groups = groups;
    for (package_id, capacity) in tx.collaborations_of_user(user_id)? {
        if let Some(capacity) = Capacity::parse(&capacity) {
            who.collaborations.insert(package_id, capacity);
        }
    }
    Ok(who)
}

/// 403 unless the caller may read the dataset, in CKAN's words.
pub fn require_read(who: &Memberships, package: &PackageRecord) -> ActionResult<()> {
    if authz::can_read_package(who, &package.access()) {
        Ok(())
    } else {
        Err(ActionError::denied(format!(
            "User {} not authorized to read package {}",
            who.user_name, package.id
        )))
    }
}

/// 403 unless the caller may edit the dataset.
pub fn require_edit(who: &Memberships, package: &PackageRecord) -> ActionResult<()> {
    if authz::can_edit_package(who, &package.access()) {
        Ok(())
    } else {
        Err(ActionError::denied(format!(
            "User {} not authorized to edit package {}",
            who.user_name, package.id
        )))
    }
}
