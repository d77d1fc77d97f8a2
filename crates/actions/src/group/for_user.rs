//! `organization_list_for_user` and `group_list_authz`: the organizations and groups a user
//! may act on.

use std::collections::HashMap;

use datahavn_domain::authz::{self, HeldRole};
use datahavn_domain::group::{Capacity, Group, MemberKind};
use datahavn_storage::{GroupFilter, Tx};
use serde_json::Value;

use super::descendants;
use super::dictize::list_dicts;
use crate::access::caller_memberships;
use crate::dto::GroupDict;
use crate::request::{Request, request, request_doc, response_doc};
use crate::search::package_counts;
use crate::{Action, ActionError, ActionResult, Context};

fn active_groups(tx: &mut Tx<'_>, organizations: bool) -> ActionResult<Vec<Group>> {
    Ok(tx.list_groups(&GroupFilter { organizations, ..GroupFilter::default() })?)
}

request! {
    /// Whose organizations to list, for which permission.
    pub struct OrganizationListForUser {
        /// The name or id of the user (default: the caller).
        pub id: Option<String>,
        /// The permission the user has against the returned organizations, e.g. `read`,
        /// `create_dataset`, `manage_group` (default) or `admin`.
        pub permission: Option<String>,
        /// Include the `package_count` of each organization (default false).
        pub include_dataset_count: Option<bool>,
        /// Include the `member_count` of each organization (default false).
        pub include_member_count: Option<bool>,
    }
}

pub const ORGANIZATION_LIST_FOR_USER: Action = Action {
    name: "organization_list_for_user",
    side_effect_free: true,
    tag: "organizations",
    doc: "Return the organizations that the user has a given permission for.\n\n\
          By default the organizations the caller is a member of, in any capacity. Sysadmins \
          get every organization, as ``admin``. Admin rights cascade to sub-organizations.\n\n\
          :returns: list of organizations, each with the user's ``capacity``\n:rtype: list of dicts",
    request: request_doc::<OrganizationListForUser>,
    response: response_doc::<Vec<GroupDict>>,
    errors: &[(404, "No such user"), (409, "A bad boolean, or `id` or `permission` not text")],
    run: |ctx, params| organization_list_for_user(ctx, OrganizationListForUser::parse(params)?),
};

/// The organizations where a user holds one of `roles`, with their highest capacity; a role
/// that cascades reaches the organizations below.
fn capacities(tx: &mut Tx<'_>, user_id: &str, roles: &[Capacity]) -> ActionResult<HashMap<String, Capacity>> {
    let mut held = Vec::new();
    for member in tx.memberships_of(MemberKind::User, user_id)? {
        let Some(role) = member.capacity.role() else { continue };
        let below = if authz::cascades(role) && roles.contains(&role) {
            descendants(tx, &member.group_id)?.into_iter().collect()
        } else {
            Vec::new()
        };
        held.push(HeldRole { group_id: member.group_id, role, below });
    }
    Ok(authz::roles_reaching(&held, roles))
}

fn organization_list_for_user(ctx: &Context<'_>, request: OrganizationListForUser) -> ActionResult {
    let target = request.id.filter(|id| !id.is_empty());
    let permission = request.permission.unwrap_or_else(|| "manage_group".to_owned());
    let who = caller_memberships(ctx)?;
    let counts =
        if request.include_dataset_count.unwrap_or(false) { Some(package_counts(ctx, &who)?) } else { None };
    ctx.store().read(|tx| {
        let (user_id, sysadmin) = match &target {
            Some(reference) => {
                let user = tx.user_by_id_or_name(reference)?.ok_or(ActionError::NotFound(None))?;
                (Some(user.id), user.sysadmin)
            }
            None => (ctx.actor.user_id().map(str::to_owned), ctx.actor.is_sysadmin()),
        };
        let orgs = active_groups(tx, true)?;
        let chosen: Vec<(Group, Option<String>)> = if sysadmin {
            orgs.into_iter().map(|org| (org, Some(Capacity::Admin.as_str().to_owned()))).collect()
        } else {
            let Some(user_id) = user_id else { return Ok(Value::Array(Vec::new())) };
            let capacities = capacities(tx, &user_id, &authz::roles_with_named(&permission))?;
            orgs.into_iter()
                .filter_map(|org| {
                    let capacity = capacities.get(&org.id)?;
                    Some((org, Some(capacity.as_str().to_owned())))
                })
                .collect()
        };
        list_dicts(ctx, tx, &who, &chosen, counts.as_ref(), request.include_member_count.unwrap_or(false))
    })
}

request! {
    /// Which groups to list.
    pub struct GroupListAuthz {
        /// Remove the groups the dataset is already in (default false; has no effect through
        /// the API).
        pub available_only: Option<bool>,
        /// Only the groups the caller is a member of, even for sysadmins (default false).
        pub am_member: Option<bool>,
        /// Include the `package_count` of each group (default false).
        pub include_dataset_count: Option<bool>,
        /// Include the `member_count` of each group (default false).
        pub include_member_count: Option<bool>,
    }
}

pub const GROUP_LIST_AUTHZ: Action = Action {
    name: "group_list_authz",
    side_effect_free: true,
    tag: "groups",
    doc: "Return the list of groups that the user is authorized to edit.\n\n\
          Groups (not organizations) the caller is a member of, and so may add datasets to; \
          every group for sysadmins unless ``am_member``. Nothing for anonymous callers.\n\n\
          :returns: list of dictized groups that the user is authorized to edit\n:rtype: list of dicts",
    request: request_doc::<GroupListAuthz>,
    response: response_doc::<Vec<GroupDict>>,
    errors: &[(409, "A bad boolean")],
    run: |ctx, params| group_list_authz(ctx, GroupListAuthz::parse(params)?),
};

fn group_list_authz(ctx: &Context<'_>, request: GroupListAuthz) -> ActionResult {
    // `available_only` leaves out the groups of the dataset CKAN's web form is editing; an API
    // call has no such dataset, so the flag is read (a bad value is a 409) and changes nothing.
    let _ = request.available_only;
    let GroupListAuthz { am_member, include_dataset_count, include_member_count, .. } = request;
    if ctx.actor.user_id().is_none() {
        return Ok(Value::Array(Vec::new()));
    }
    let am_member = am_member.unwrap_or(false);
    let who = caller_memberships(ctx)?;
    let counts = if include_dataset_count.unwrap_or(false) { Some(package_counts(ctx, &who)?) } else { None };
    ctx.store().read(|tx| {
        let groups = active_groups(tx, false)?;
        let chosen: Vec<(Group, Option<String>)> = groups
            .into_iter()
            .filter(|g| (who.sysadmin && !am_member) || who.capacity_in(&g.id).is_some())
            .map(|g| (g, None))
            .collect();
        list_dicts(ctx, tx, &who, &chosen, counts.as_ref(), include_member_count.unwrap_or(false))
    })
}
