//! `organization_delete|purge` and `group_delete|purge`.

use datahavn_domain::authz::Permission;
use datahavn_domain::group::{Group, GroupState, MemberKind};
use datahavn_storage::Tx;
use serde_json::Value;

use super::{GROUP_NOT_FOUND, Kind, find_kind, has_permission, message_error, present, require_user};
use crate::access::memberships;
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, activity, render};

request! {
    /// The organization or group.
    pub struct GroupId {
        /// The id or name of the organization or group.
        pub id: String => present,
    }
}

pub const ORGANIZATION_DELETE: Action = Action {
    name: "organization_delete",
    side_effect_free: false,
    tag: "organizations",
    doc: "Delete an organization.\n\n\
          Its state becomes ``deleted`` and its memberships are removed. Organization admins \
          and sysadmins only. An organization that still has datasets (not deleted ones) cannot \
          be deleted.\n\n:rtype: null",
    request: request_doc::<GroupId>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Anonymous, or not an admin of it"),
        (404, "`Not found: Group was not found.` (a group's id included)"),
        (
            409,
            "`id` missing or not text, or `{\"message\": \"Organization cannot be deleted while it still has datasets\"}`",
        ),
    ],
    run: |ctx, params| delete(ctx, Kind::Organization, GroupId::parse(params)?),
};

pub const GROUP_DELETE: Action = Action {
    name: "group_delete",
    side_effect_free: false,
    tag: "groups",
    doc: "Delete a group.\n\n\
          Its state becomes ``deleted`` and its memberships (users, datasets, parent and child \
          groups) are removed. Group admins and sysadmins only.\n\n:rtype: null",
    request: request_doc::<GroupId>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Anonymous, or not an admin of it"),
        (404, "`Not found: Group was not found.` (an organization's id included)"),
        (409, "`id` missing or not text"),
    ],
    run: |ctx, params| delete(ctx, Kind::Group, GroupId::parse(params)?),
};

pub const ORGANIZATION_PURGE: Action = Action {
    name: "organization_purge",
    side_effect_free: false,
    tag: "organizations",
    doc: "Purge an organization: remove it from the database for good.\n\n\
          Sysadmins only. Its deleted datasets stay, without an organization. An organization \
          that still has datasets (not deleted ones) cannot be purged.\n\n:rtype: null",
    request: request_doc::<GroupId>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Anonymous, or not a sysadmin"),
        (404, "`Not found: Organization was not found` (a group's id included)"),
        (
            409,
            "`id` missing or not text, or `{\"message\": \"Organization cannot be purged while it still has datasets\"}`",
        ),
    ],
    run: |ctx, params| purge(ctx, Kind::Organization, GroupId::parse(params)?),
};

pub const GROUP_PURGE: Action = Action {
    name: "group_purge",
    side_effect_free: false,
    tag: "groups",
    doc: "Purge a group: remove it from the database for good.\n\n\
          Sysadmins only. Datasets in the group stay, just not in the group.\n\n:rtype: null",
    request: request_doc::<GroupId>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Anonymous, or not a sysadmin"),
        (404, "`Not found: Group was not found` (an organization's id included)"),
        (409, "`id` missing or not text"),
    ],
    run: |ctx, params| purge(ctx, Kind::Group, GroupId::parse(params)?),
};

/// Organizations cannot go while they own datasets that are not deleted.
fn require_no_datasets(tx: &mut Tx<'_>, kind: Kind, group: &Group, verb: &str) -> ActionResult<()> {
    if kind.owns_datasets() && !tx.package_ids_of_org(&group.id)?.is_empty() {
        return Err(message_error(format!("{} cannot be {verb} while it still has datasets", kind.title())));
    }
    Ok(())
}

/// Removes every membership in the group and of the group in others; returns the datasets
/// whose rendered dicts showed the group (owned by it, or members of it), to re-render.
fn detach(tx: &mut Tx<'_>, group_id: &str) -> ActionResult<Vec<String>> {
    let mut packages = tx.all_package_ids_of_org(group_id)?;
    packages
        .extend(tx.members_of_group(group_id, Some(MemberKind::Package))?.into_iter().map(|m| m.table_id));
    packages.sort();
    packages.dedup();
    tx.delete_members_of_group(group_id)?;
    tx.delete_memberships_of(MemberKind::Group, group_id)?;
    Ok(packages)
}

fn delete(ctx: &Context<'_>, kind: Kind, request: GroupId) -> ActionResult {
    ctx.store().write(|tx| {
        let mut group =
            find_kind(tx, &request.id, kind)?.ok_or_else(|| ActionError::not_found(GROUP_NOT_FOUND))?;
        require_user(ctx, &kind.action("delete"))?;
        let who = memberships(tx, ctx)?;
        let allowed = who.sysadmin || kind.users_delete(&ctx.site().auth);
        if !allowed || !has_permission(tx, &who, &group, Permission::Delete)? {
            return Err(ActionError::denied(format!(
                "User {} not authorized to delete {} {}",
                ctx.actor.name(),
                kind.word(),
                group.id
            )));
        }
        require_no_datasets(tx, kind, &group, "deleted")?;
        let packages = detach(tx, &group.id)?;
        group.state = GroupState::Deleted;
        tx.update_group(&group)?;
        render::rerender_packages(tx, &packages, &ctx.site().site_url)?;
        activity::record_group(ctx, tx, &format!("deleted {}", kind.word()), &group)?;
        log::info!("{} {} deleted by {:?}", kind.word(), group.name, ctx.actor.name());
        Ok(Value::Null)
    })
}

fn purge(ctx: &Context<'_>, kind: Kind, request: GroupId) -> ActionResult {
    ctx.store().write(|tx| {
        let missing = format!("{} was not found", kind.title());
        let group = find_kind(tx, &request.id, kind)?.ok_or_else(|| ActionError::not_found(missing))?;
        require_user(ctx, &kind.action("purge"))?;
        if !ctx.actor.is_sysadmin() {
            return Err(ActionError::NotAuthorized(None));
        }
        require_no_datasets(tx, kind, &group, "purged")?;
        let packages = detach(tx, &group.id)?;
        tx.purge_group(&group.id)?;
        render::rerender_packages(tx, &packages, &ctx.site().site_url)?;
        log::info!("{} {} purged by {:?}", kind.word(), group.name, ctx.actor.name());
        Ok(Value::Null)
    })
}
