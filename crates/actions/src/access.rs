//! Who the caller is in the catalogue: their memberships, loaded once per call, and the chain
//! of groups above an organization or group, which the permission rules
//! (`datahavn_domain::authz`) take as facts.

use std::collections::{HashMap, HashSet, VecDeque};

use datahavn_domain::authz::{self, Memberships};
use datahavn_domain::catalog::PackageRecord;
use datahavn_domain::group::{Capacity, Group, MemberKind};
use datahavn_storage::Tx;

use crate::{ActionError, ActionResult, Context};

/// The caller's sysadmin flag, organization and group capacities, and collaborations (when
/// the site allows dataset collaborators).
pub fn memberships(tx: &mut Tx<'_>, ctx: &Context<'_>) -> ActionResult<Memberships> {
    // Reads may use what was read a moment ago; a write reads inside its own transaction.
    let cache = ctx.services.cache.as_deref().filter(|_| !tx.is_writing());
    let (Some(cache), Some(user_id)) = (cache, ctx.actor.user_id()) else {
        return read_memberships(tx, ctx);
    };
    if let Some(held) = cache.memberships(user_id) {
        return Ok(Memberships::clone(&held));
    }
    let generation = cache.generation();
    let who = read_memberships(tx, ctx)?;
    cache.keep_memberships(generation, user_id, std::sync::Arc::new(who.clone()));
    Ok(who)
}

/// [`memberships`] for a caller outside any transaction: a connection is taken only when the
/// caller is a user whose memberships the read cache does not hold.
pub fn caller_memberships(ctx: &Context<'_>) -> ActionResult<Memberships> {
    let Some(user_id) = ctx.actor.user_id() else {
        return Ok(actor_only(ctx));
    };
    if let Some(held) = ctx.services.cache.as_deref().and_then(|cache| cache.memberships(user_id)) {
        return Ok(Memberships::clone(&held));
    }
    ctx.store().read(|tx| memberships(tx, ctx))
}

/// What the caller is before any membership is read.
fn actor_only(ctx: &Context<'_>) -> Memberships {
    let actor = &ctx.actor;
    Memberships {
        user_id: actor.user_id().map(str::to_owned),
        user_name: actor.name().to_owned(),
        sysadmin: actor.is_sysadmin(),
        ..Memberships::default()
    }
}

fn read_memberships(tx: &mut Tx<'_>, ctx: &Context<'_>) -> ActionResult<Memberships> {
    let mut who = actor_only(ctx);
    let Some(user_id) = ctx.actor.user_id() else {
        return Ok(who);
    };
    let mut groups = HashMap::new();
    for member in tx.memberships_of(MemberKind::User, user_id)? {
        if let Some(capacity) = member.capacity.role() {
            groups.insert(member.group_id, capacity);
        }
    }
    // A role that cascades (CKAN's `roles_that_cascade_to_sub_groups`) is held in every group
    // below too, so each permission check follows the hierarchy.
    let cascading: Vec<(String, Capacity)> = groups
        .iter()
        .filter(|(_, role)| authz::cascades(**role))
        .map(|(id, role)| (id.clone(), *role))
        .collect();
    for (group_id, role) in cascading {
        for below in groups_below(tx, &group_id)? {
            let held = groups.entry(below).or_insert(role);
            *held = (*held).max(role);
        }
    }
    who.groups = groups;
    if !ctx.site().auth.allow_dataset_collaborators {
        return Ok(who);
    }
    for (package_id, capacity) in tx.collaborations_of_user(user_id)? {
        if let Some(capacity) = Capacity::parse(&capacity) {
            who.collaborations.insert(package_id, capacity);
        }
    }
    Ok(who)
}

/// Which way [`related_groups`] walks the hierarchy.
#[derive(Clone, Copy)]
enum Direction {
    Up,
    Down,
}

/// The groups above (or below) a group, and theirs in turn: the active ones of the same type,
/// nearest first.
fn related_groups(tx: &mut Tx<'_>, group: &Group, direction: Direction) -> ActionResult<Vec<String>> {
    let mut seen = HashSet::from([group.id.clone()]);
    let mut queue = VecDeque::from([group.id.clone()]);
    let mut out = Vec::new();
    while let Some(id) = queue.pop_front() {
        let next: Vec<String> = match direction {
            Direction::Up => {
                tx.members_of_group(&id, Some(MemberKind::Group))?.into_iter().map(|m| m.table_id).collect()
            }
            Direction::Down => {
                tx.memberships_of(MemberKind::Group, &id)?.into_iter().map(|m| m.group_id).collect()
            }
        };
        for related in next {
            if !seen.insert(related.clone()) {
                continue;
            }
            match tx.group_by_id_or_name(&related)? {
                Some(found) if found.is_active() && found.group_type == group.group_type => {
                    out.push(found.id.clone());
                    queue.push_back(found.id);
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// The parents of a group, their parents and so on (what CKAN's `get_parent_groups` follows).
pub(crate) fn parent_chain(tx: &mut Tx<'_>, group: &Group) -> ActionResult<Vec<String>> {
    related_groups(tx, group, Direction::Up)
}

/// The groups below a group, their children and so on.
fn groups_below(tx: &mut Tx<'_>, group_id: &str) -> ActionResult<Vec<String>> {
    match tx.group_by_id_or_name(group_id)? {
        Some(top) => related_groups(tx, &top, Direction::Down),
        None => Ok(Vec::new()),
    }
}

/// The chain above a group, when the caller's roles could cascade from it: sysadmins and
/// callers with no role anywhere need none.
pub(crate) fn chain_for(tx: &mut Tx<'_>, who: &Memberships, group: &Group) -> ActionResult<Vec<String>> {
    if who.sysadmin || who.groups.is_empty() { Ok(Vec::new()) } else { parent_chain(tx, group) }
}

/// The caller's memberships with the role the hierarchy gives them in `group` counted as their
/// own there (an admin of a parent organization is an admin of its sub-organizations).
pub(crate) fn cascaded_into(tx: &mut Tx<'_>, who: Memberships, group: &Group) -> ActionResult<Memberships> {
    let chain = chain_for(tx, &who, group)?;
    Ok(who.with_cascaded_role(&group.id, &chain))
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
    require_edit_to(who, package, || format!("edit package {}", package.id))
}

/// 403 unless the caller may edit the dataset, worded as the CKAN auth function of the action
/// asking: `User <name> not authorized to <what>` (`resource_update`: "edit resource <id>",
/// `resource_delete`: "delete resource <id>", `resource_create`: "create resources on dataset
/// <id>").
pub fn require_edit_to(
    who: &Memberships,
    package: &PackageRecord,
    what: impl FnOnce() -> String,
) -> ActionResult<()> {
    if authz::can_edit_package(who, &package.access()) {
        Ok(())
    } else {
        Err(ActionError::denied(format!("User {} not authorized to {}", who.user_name, what())))
    }
}
