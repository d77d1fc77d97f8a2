//! Dataset collaborators: users given a role on one dataset (CKAN's `package_member`).
//!
//! datahavn has CKAN's `ckan.auth.allow_dataset_collaborators` switched on and
//! `allow_admin_collaborators` off: the capacities are `editor` (may edit the dataset) and
//! `member` (may read it while it is private or a draft).

use datahavn_domain::Timestamp;
use datahavn_domain::authz::{self, Memberships};
use datahavn_domain::catalog::{Collaborator, PackageRecord};
use datahavn_domain::params::Params;
use serde_json::{Value, json};

use crate::access::memberships;
use crate::args::{authenticated, optional, plain_error, required};
use crate::{Action, ActionError, ActionResult, Context};

const CAPACITIES: &[&str] = &["editor", "member"];

fn capacities_text() -> String {
    CAPACITIES.join(", ")
}

/// CKAN's `can_manage_collaborators`: admins of the owner organization, the creator of an
/// unowned dataset, sysadmins.
fn may_manage(who: &Memberships, package: &PackageRecord) -> bool {
    if who.sysadmin {
        return true;
    }
    match &package.owner_org {
        Some(org) => authz::is_group_admin(who, org),
        None => who.user_id.is_some() && package.creator_user_id == who.user_id,
    }
}

fn collaborator_json(c: &Collaborator) -> Value {
    json!({
        "package_id": c.package_id,
        "user_id": c.user_id,
        "capacity": c.capacity,
        "modified": c.modified.to_ckan_string(),
    })
}

/// An optional `capacity` filter, checked against the allowed ones.
fn capacity_filter(params: &Params) -> ActionResult<Option<String>> {
    match optional(params, "capacity")?.filter(|c| !c.is_empty()) {
        Some(c) if !CAPACITIES.contains(&c.as_str()) => {
            Err(plain_error("message", format!("Capacity must be one of \"{}\"", capacities_text())))
        }
        other => Ok(other),
    }
}

pub const PACKAGE_COLLABORATOR_CREATE: Action = Action {
    name: "package_collaborator_create",
    side_effect_free: false,
    doc: "Make a user a collaborator in a dataset. If the user is already a collaborator, their \
          capacity is updated.\n\nYou must be an admin of the dataset's organization (or a \
          sysadmin). Collaborators are always enabled in datahavn.\n\n\
          :param id: the id or name of the dataset\n:type id: string\n\
          :param user_id: the id or name of the user\n:type user_id: string\n\
          :param capacity: `editor` or `member`\n:type capacity: string\n\
          :returns: the new (or updated) collaborator `{package_id, user_id, capacity, modified}`\n\
          :rtype: dictionary",
    run: package_collaborator_create,
    ..crate::UNTYPED
};

fn package_collaborator_create(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let [package_ref, user_ref, capacity] = required(params, ["id", "user_id", "capacity"])?;
    if !CAPACITIES.contains(&capacity.as_str()) {
        return Err(plain_error("message", format!("Role must be one of \"{}\"", capacities_text())));
    }
    authenticated(ctx, "package_collaborator_create")?;
    let collaborator = ctx.store().write(|tx| {
        let package = tx
            .package_by_id_or_name(&package_ref)?
            .ok_or_else(|| ActionError::not_found("Dataset not found"))?;
        let who = memberships(tx, &ctx.actor)?;
        if !may_manage(&who, &package) {
            return Err(ActionError::denied(format!(
                "User {} not authorized to add collaborators to this dataset",
                ctx.actor.name()
            )));
        }
        let user =
            tx.user_by_id_or_name(&user_ref)?.ok_or_else(|| ActionError::not_found("User not found"))?;
        let collaborator = Collaborator {
            package_id: package.id.clone(),
            user_id: user.id.clone(),
            capacity: capacity.clone(),
            modified: Timestamp::now(),
        };
        tx.upsert_collaborator(&collaborator)?;
        log::info!("user {} added as collaborator in dataset {} ({capacity})", user.name, package.id);
        Ok::<_, ActionError>(collaborator)
    })?;
    Ok(collaborator_json(&collaborator))
}

pub const PACKAGE_COLLABORATOR_LIST: Action = Action {
    name: "package_collaborator_list",
    side_effect_free: true,
    doc: "Return the collaborators of a dataset.\n\nYou must be an admin of the dataset's \
          organization (or a sysadmin).\n\n\
          :param id: the id or name of the dataset\n:type id: string\n\
          :param capacity: (optional) only collaborators with this capacity\n:type capacity: string\n\
          :returns: `[{package_id, user_id, capacity, modified}]`\n:rtype: list of dictionaries",
    run: package_collaborator_list,
    ..crate::UNTYPED
};

fn package_collaborator_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let [package_ref] = required(params, ["id"])?;
    let list = ctx.store().read(|tx| {
        let package = tx
            .package_by_id_or_name(&package_ref)?
            .ok_or_else(|| ActionError::not_found("Package not found"))?;
        let who = memberships(tx, &ctx.actor)?;
        if !may_manage(&who, &package) {
            return Err(ActionError::denied(format!(
                "User {} not authorized to list collaborators from this dataset",
                ctx.actor.name()
            )));
        }
        let capacity = capacity_filter(params)?;
        let all = tx.collaborators_of(&package.id)?;
        Ok::<_, ActionError>(
            all.iter()
                .filter(|c| capacity.as_deref().is_none_or(|wanted| c.capacity == wanted))
                .map(collaborator_json)
                .collect::<Vec<_>>(),
        )
    })?;
    Ok(Value::Array(list))
}

pub const PACKAGE_COLLABORATOR_DELETE: Action = Action {
    name: "package_collaborator_delete",
    side_effect_free: false,
    doc: "Remove a collaborator from a dataset.\n\nYou must be an admin of the dataset's \
          organization (or a sysadmin).\n\n\
          :param id: the id or name of the dataset\n:type id: string\n\
          :param user_id: the id or name of the user to remove\n:type user_id: string\n:rtype: null",
    run: package_collaborator_delete,
    ..crate::UNTYPED
};

fn package_collaborator_delete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let [package_ref, user_ref] = required(params, ["id", "user_id"])?;
    authenticated(ctx, "package_collaborator_delete")?;
    ctx.store().write(|tx| {
        let package = tx
            .package_by_id_or_name(&package_ref)?
            .ok_or_else(|| ActionError::not_found("Package not found"))?;
        let who = memberships(tx, &ctx.actor)?;
        if !may_manage(&who, &package) {
            return Err(ActionError::denied(format!(
                "User {} not authorized to remove collaborators from this dataset",
                ctx.actor.name()
            )));
        }
        let user =
            tx.user_by_id_or_name(&user_ref)?.ok_or_else(|| ActionError::not_found("User not found"))?;
        if !tx.delete_collaborator(&package.id, &user.id)? {
            return Err(ActionError::not_found(format!(
                "User {user_ref} is not a collaborator on this package"
            )));
        }
        log::info!("user {} removed as collaborator from dataset {}", user.name, package.id);
        Ok::<_, ActionError>(())
    })?;
    Ok(Value::Null)
}

pub const PACKAGE_COLLABORATOR_LIST_FOR_USER: Action = Action {
    name: "package_collaborator_list_for_user",
    side_effect_free: true,
    doc: "Return the datasets a user is a collaborator in.\n\nOnly for the user themself (and \
          sysadmins).\n\n\
          :param id: the id or name of the user (`user` is accepted too)\n:type id: string\n\
          :param capacity: (optional) only datasets where the user has this capacity\n\
          :type capacity: string\n\
          :returns: `[{package_id, capacity, modified}]`\n:rtype: list of dictionaries",
    run: package_collaborator_list_for_user,
    ..crate::UNTYPED
};

fn package_collaborator_list_for_user(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let user_ref = match optional(params, "id")?.filter(|v| !v.trim().is_empty()) {
        Some(id) => id,
        None => match optional(params, "user")?.filter(|v| !v.trim().is_empty()) {
            Some(user) => user,
            None => return Err(ActionError::field("id", datahavn_domain::params::MISSING_VALUE)),
        },
    };
    let is_self = ctx.actor.user_id().is_some_and(|id| !id.is_empty() && id == user_ref)
        || (ctx.actor.is_authenticated() && ctx.actor.name() == user_ref);
    if !ctx.actor.is_sysadmin() && !is_self {
        return Err(ActionError::NotAuthorized(None));
    }
    let list = ctx.store().read(|tx| {
        let user = tx
            .user_by_id_or_name(&user_ref)?
            .ok_or_else(|| ActionError::denied("Not allowed to retrieve collaborators"))?;
        let capacity = capacity_filter(params)?;
        let rows = tx.collaborator_rows_of_user(&user.id)?;
        Ok::<_, ActionError>(
            rows.iter()
                .filter(|c| capacity.as_deref().is_none_or(|wanted| c.capacity == wanted))
                .map(|c| {
                    json!({
                        "package_id": c.package_id,
                        "capacity": c.capacity,
                        "modified": c.modified.to_ckan_string(),
                    })
                })
                .collect::<Vec<_>>(),
        )
    })?;
    Ok(Value::Array(list))
}
