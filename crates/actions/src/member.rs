//! Membership actions: `member_create`, `member_delete`, `member_list`, `member_roles_list`,
//! `organization_member_create|delete`, `group_member_create|delete`,
//! `organization_list_for_user` and `group_list_authz`.

use std::collections::HashMap;

use datahavn_domain::authz::{self, Memberships};
use datahavn_domain::group::{Capacity, Group, Member};
use datahavn_domain::params::Params;
use datahavn_domain::{ValidationErrors, authz::PackageAccess};
use datahavn_storage::{GroupFilter, GroupPackages, Tx};
use serde_json::Value;

use crate::access::memberships;
use crate::dto::MemberRole;
use crate::group::{
    GROUP_NOT_FOUND, Kind, Permission, descendants, find, has_permission, list_dicts, message_error,
    require_user, required, required_id, text_of,
};
use crate::search::package_counts;
use crate::{Action, ActionError, ActionResult, Context, render, to_json};

const OWN_ADMIN: &str = "Administrators cannot revoke their own admin status";
const NO_ROLE: &str = "role does not exist.";

/// The kinds of object a group has as members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjectType {
    User,
    Package,
    Group,
}

impl ObjectType {
    fn table_name(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Package => "package",
            Self::Group => "group",
        }
    }
}

/// Python's `str.title()`, which CKAN uses to name a model in its messages.
fn title_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous_is_letter = false;
    for c in text.chars() {
        if c.is_alphabetic() {
            if previous_is_letter {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            previous_is_letter = true;
        } else {
            out.push(c);
            previous_is_letter = false;
        }
    }
    out
}

/// CKAN's `model_name_to_class`: `user`, `package` or `group`.
fn object_type(name: &str) -> ActionResult<ObjectType> {
    match name {
        "user" => Ok(ObjectType::User),
        "package" => Ok(ObjectType::Package),
        "group" => Ok(ObjectType::Group),
        other => Err(message_error(format!("{} isn't a valid model", title_case(other)))),
    }
}

/// The object's id, or `Not found: <Type> was not found.`
fn object_id(
    tx: &mut Tx<'_>,
    object_type: ObjectType,
    reference: &str,
    type_name: &str,
) -> ActionResult<String> {
    let missing = || ActionError::not_found(format!("{} was not found.", title_case(type_name)));
    if reference.is_empty() {
        return Err(missing());
    }
    let id = match object_type {
        ObjectType::User => tx.user_by_id_or_name(reference)?.map(|u| u.id),
        ObjectType::Package => tx.package_by_id_or_name(reference)?.map(|p| p.id),
        ObjectType::Group => tx.group_by_id_or_name(reference)?.map(|g| g.id),
    };
    id.ok_or_else(missing)
}

/// `member_create`'s permission: admins change a group's members, except that any member of a
/// (non-organization) group may add datasets to it.
fn require_member_edit(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    who: &Memberships,
    group: &Group,
    object_type: ObjectType,
) -> ActionResult<()> {
    let permission = if !group.is_organization && object_type == ObjectType::Package {
        Permission::ManageGroup
    } else {
        Permission::Update
    };
    if has_permission(tx, who, group, permission)? {
        Ok(())
    } else {
        Err(ActionError::denied(format!(
            "User {} not authorized to edit group {}",
            ctx.actor.name(),
            group.id
        )))
    }
}

/// Adds or updates a membership (CKAN's `member_create` after its checks).
fn write_member(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    group: &Group,
    object_type: ObjectType,
    object_id: &str,
    capacity: &str,
) -> ActionResult<Member> {
    let existing =
        tx.memberships_of(object_type.table_name(), object_id)?.into_iter().find(|m| m.group_id == group.id);
    if let Some(existing) = &existing
        && object_type == ObjectType::User
        && ctx.actor.is_user(object_id)
        && existing.capacity == Capacity::Admin.as_str()
        && capacity != Capacity::Admin.as_str()
    {
        return Err(ActionError::denied(OWN_ADMIN));
    }
    let member = tx.upsert_member(&Member {
        id: existing.map_or_else(|| uuid::Uuid::new_v4().to_string(), |m| m.id),
        group_id: group.id.clone(),
        table_name: object_type.table_name().to_owned(),
        table_id: object_id.to_owned(),
        capacity: capacity.to_owned(),
        state: "active".into(),
    })?;
    if object_type == ObjectType::Package {
        render::rerender_packages(tx, &[object_id.to_owned()], &ctx.site().site_url)?;
    }
    Ok(member)
}

/// A role as stored: `admin`, `editor` or `member` (any case given).
fn role(capacity: &str) -> Option<&'static str> {
    Capacity::parse(capacity).map(Capacity::as_str)
}

// ---------------------------------------------------------------------------------------------
// member_create / member_delete

pub const MEMBER_CREATE: Action = Action {
    name: "member_create",
    side_effect_free: false,
    doc: "Make an object (a user, dataset or group) a member of a group. If the object is \
          already a member, its capacity is updated.\n\n\
          Group admins and sysadmins may add members; any member of a (non-organization) group \
          may add datasets to it. Administrators cannot revoke their own admin status.\n\n\
          :param id: the id or name of the group\n\
          :param object: the id or name of the object to add\n\
          :param object_type: ``user``, ``package`` or ``group`` (a group member is a parent group)\n\
          :param capacity: the capacity of the membership: ``admin``, ``editor`` or ``member`` for users\n\
          :returns: the newly created (or updated) membership\n:rtype: dictionary",
    run: member_create,
    ..crate::UNTYPED
};

fn member_create(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let group_ref = required(params, "id", &mut errors);
    let object_ref = required(params, "object", &mut errors);
    let type_name = required(params, "object_type", &mut errors);
    let capacity = required(params, "capacity", &mut errors);
    errors.into_result()?;
    let (group_ref, object_ref, type_name, capacity) = (
        group_ref.unwrap_or_default(),
        object_ref.unwrap_or_default(),
        type_name.unwrap_or_default(),
        capacity.unwrap_or_default(),
    );
    let member = ctx.store().write(|tx| {
        let group = find(tx, &group_ref)?.ok_or_else(|| ActionError::not_found(GROUP_NOT_FOUND))?;
        let object_type = object_type(&type_name)?;
        let object_id = object_id(tx, object_type, &object_ref, &type_name)?;
        require_user(ctx, "member_create")?;
        let who = memberships(tx, &ctx.actor)?;
        require_member_edit(ctx, tx, &who, &group, object_type)?;
        let capacity = match object_type {
            ObjectType::User => {
                role(&capacity).ok_or_else(|| ActionError::field("capacity", NO_ROLE))?.to_owned()
            }
            _ if capacity.trim().is_empty() => return Err(ActionError::field("capacity", "Missing value")),
            _ => capacity.clone(),
        };
        if object_type == ObjectType::Group
            && (object_id == group.id || descendants(tx, &group.id)?.contains(&object_id))
        {
            return Err(ActionError::field("object", "This parent would create a loop in the hierarchy"));
        }
        write_member(ctx, tx, &group, object_type, &object_id, &capacity)
    })?;
    log::info!(
        "{} {} is now {} of group {}",
        member.table_name,
        member.table_id,
        member.capacity,
        member.group_id
    );
    Ok(member.to_json())
}

pub const MEMBER_DELETE: Action = Action {
    name: "member_delete",
    side_effect_free: false,
    doc: "Remove an object (a user, dataset or group) from a group.\n\n\
          The same users as for ``member_create`` may remove members.\n\n\
          :param id: the id or name of the group\n\
          :param object: the id or name of the object to remove\n\
          :param object_type: ``user``, ``package`` or ``group``\n:rtype: null",
    run: member_delete,
    ..crate::UNTYPED
};

fn member_delete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let group_ref = required(params, "id", &mut errors);
    let object_ref = required(params, "object", &mut errors);
    let type_name = required(params, "object_type", &mut errors);
    errors.into_result()?;
    let (group_ref, object_ref, type_name) =
        (group_ref.unwrap_or_default(), object_ref.unwrap_or_default(), type_name.unwrap_or_default());
    ctx.store().write(|tx| {
        let group = find(tx, &group_ref)?.ok_or_else(|| ActionError::not_found(GROUP_NOT_FOUND))?;
        let object_type = object_type(&type_name)?;
        let object_id = object_id(tx, object_type, &object_ref, &type_name)?;
        require_user(ctx, "member_delete")?;
        let who = memberships(tx, &ctx.actor)?;
        require_member_edit(ctx, tx, &who, &group, object_type)?;
        remove_member(ctx, tx, &group, object_type, &object_id)
    })?;
    Ok(Value::Null)
}

fn remove_member(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    group: &Group,
    object_type: ObjectType,
    object_id: &str,
) -> ActionResult<()> {
    if tx.delete_member(&group.id, object_type.table_name(), object_id)? {
        if object_type == ObjectType::Package {
            render::rerender_packages(tx, &[object_id.to_owned()], &ctx.site().site_url)?;
        }
        log::info!("{} {object_id} removed from group {}", object_type.table_name(), group.id);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// member_list / member_roles_list

pub const MEMBER_LIST: Action = Action {
    name: "member_list",
    side_effect_free: true,
    doc: "Return the members of a group.\n\n\
          :param id: the id or name of the group\n\
          :param object_type: only members of this type, ``user``, ``package`` or ``group`` (optional)\n\
          :param capacity: only members with this capacity, e.g. ``member``, ``editor``, ``admin``, \
          ``public``, ``organization`` (optional)\n\
          :rtype: list of (id, type, capacity) triples; user roles are title-cased (``Admin``)",
    run: member_list,
    ..crate::UNTYPED
};

fn member_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let id = required_id(params)?;
    let mut errors = ValidationErrors::new();
    let wanted_type = params.string("object_type", &mut errors).filter(|t| !t.is_empty());
    let wanted_capacity = params.string("capacity", &mut errors).filter(|c| !c.is_empty());
    errors.into_result()?;
    ctx.store().read(|tx| {
        let group = find(tx, &id)?.ok_or(ActionError::NotFound(None))?;
        let who = memberships(tx, &ctx.actor)?;
        if !group.is_active() && !has_permission(tx, &who, &group, Permission::Read)? {
            return Err(ActionError::NotFound(None));
        }
        let mut rows: Vec<(String, String, String)> = Vec::new();
        for member in tx.members_of_group(&group.id, wanted_type.as_deref())? {
            if wanted_capacity.as_ref().is_some_and(|c| *c != member.capacity) {
                continue;
            }
            if member.table_name == "package" && !package_visible(tx, &who, &member.table_id)? {
                continue;
            }
            rows.push((member.table_id, member.table_name, member.capacity));
        }
        // CKAN keeps an organization's datasets as members with capacity `organization`.
        if group.is_organization
            && wanted_type.as_deref().is_none_or(|t| t == "package")
            && wanted_capacity.as_deref().is_none_or(|c| c == "organization")
        {
            let filter = GroupPackages {
                group_id: group.id.clone(),
                organization: true,
                drafts: true,
                all_private: true,
                ..GroupPackages::default()
            };
            for package in tx.group_packages(&filter, None)? {
                if authz::can_read_package(&who, &package.access()) {
                    rows.push((package.id, "package".into(), "organization".into()));
                }
            }
        }
        let triples = rows
            .into_iter()
            .map(|(id, table, capacity)| {
                let shown = Capacity::parse(&capacity)
                    .filter(|c| c.as_str() == capacity)
                    .map_or(capacity, |c| c.title().to_owned());
                Value::Array(vec![id.into(), table.into(), shown.into()])
            })
            .collect();
        Ok(Value::Array(triples))
    })
}

/// Private datasets in a group are listed only to those who may read them.
fn package_visible(tx: &mut Tx<'_>, who: &Memberships, package_id: &str) -> ActionResult<bool> {
    Ok(tx.packages_by_ids(&[package_id.to_owned()])?.first().is_some_and(|p| {
        let access: PackageAccess = p.access();
        access.state != datahavn_domain::package::PackageState::Deleted
            && authz::can_read_package(who, &access)
    }))
}

pub const MEMBER_ROLES_LIST: Action = Action {
    name: "member_roles_list",
    side_effect_free: true,
    doc: "Return the possible roles for members of groups and organizations.\n\n\
          :param group_type: ``organization`` (default) or ``group``; groups have no ``editor``\n\
          :returns: a list of dictionaries each with two keys: ``text`` (the display name of \
          the role, e.g. ``Admin``) and ``value`` (the internal name of the role, e.g. ``admin``)\n\
          :rtype: list of dictionaries",
    run: member_roles_list,
    ..crate::UNTYPED
};

fn member_roles_list(_ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let group_type = params.string("group_type", &mut errors).unwrap_or_else(|| "organization".to_owned());
    errors.into_result()?;
    let roles: Vec<MemberRole> = [Capacity::Admin, Capacity::Editor, Capacity::Member]
        .into_iter()
        .filter(|c| !(group_type == "group" && *c == Capacity::Editor))
        .map(|c| MemberRole { text: c.title().to_owned(), value: c.as_str().to_owned() })
        .collect();
    to_json(&roles)
}

// ---------------------------------------------------------------------------------------------
// organization_member_create / group_member_create and their delete

fn member_create_for(ctx: &Context<'_>, params: &Params, kind: Kind) -> ActionResult {
    let action = format!("{}_member_create", kind.word());
    require_user(ctx, &action)?;
    let given = |key: &str| params.get(key).and_then(text_of);
    let group_ref = given("id");
    // CKAN's member_schema: all three are needed, and must name things that exist.
    let check = |tx: &mut Tx<'_>| -> ActionResult<(Group, String, &'static str)> {
        let mut errors = ValidationErrors::new();
        let group = match &group_ref {
            None => {
                errors.add("id", "Missing value");
                None
            }
            Some(reference) => {
                let group = find(tx, reference)?;
                if group.is_none() {
                    errors.add("id", "That group name or ID does not exist.");
                }
                group
            }
        };
        let user = match given("username") {
            None => {
                errors.add("username", "Missing value");
                None
            }
            Some(reference) => {
                let user = if reference.is_empty() { None } else { tx.user_by_id_or_name(&reference)? };
                if user.is_none() {
                    errors.add("username", "User not found");
                }
                user
            }
        };
        let capacity = match given("role") {
            None => {
                errors.add("role", "Missing value");
                None
            }
            Some(value) => {
                let capacity = role(&value);
                if capacity.is_none() {
                    errors.add("role", NO_ROLE);
                }
                capacity
            }
        };
        errors.into_result()?;
        match (group, user, capacity) {
            (Some(group), Some(user), Some(capacity)) => Ok((group, user.id, capacity)),
            _ => Err(ActionError::Internal("member_schema passed without values".into())),
        }
    };
    let member = ctx.store().write(|tx| {
        let who = memberships(tx, &ctx.actor)?;
        if let Some(reference) = &group_ref
            && !who.sysadmin
        {
            let allowed = match find(tx, reference)? {
                Some(group) => has_permission(tx, &who, &group, Permission::Membership)?,
                None => false,
            };
            if !allowed {
                return Err(ActionError::denied(format!(
                    "User {} not authorized to add members",
                    ctx.actor.name()
                )));
            }
        }
        let (group, user_id, capacity) = check(tx)?;
        require_member_edit(ctx, tx, &who, &group, ObjectType::User)?;
        write_member(ctx, tx, &group, ObjectType::User, &user_id, capacity)
    })?;
    log::info!("user {} is now {} of {} {}", member.table_id, member.capacity, kind.word(), member.group_id);
    Ok(member.to_json())
}

pub const ORGANIZATION_MEMBER_CREATE: Action = Action {
    name: "organization_member_create",
    side_effect_free: false,
    doc: "Make a user a member of an organization. Organization admins and sysadmins only.\n\n\
          :param id: the id or name of the organization\n\
          :param username: name or id of the user to be made member of the organization\n\
          :param role: role of the user in the organization: ``member``, ``editor`` or ``admin``\n\
          :returns: the newly created (or updated) membership\n:rtype: dictionary",
    run: organization_member_create,
    ..crate::UNTYPED
};

fn organization_member_create(ctx: &Context<'_>, params: &Params) -> ActionResult {
    member_create_for(ctx, params, Kind::Organization)
}

pub const GROUP_MEMBER_CREATE: Action = Action {
    name: "group_member_create",
    side_effect_free: false,
    doc: "Make a user a member of a group. Group admins and sysadmins only.\n\n\
          :param id: the id or name of the group\n\
          :param username: name or id of the user to be made member of the group\n\
          :param role: role of the user in the group: ``member``, ``editor`` or ``admin``\n\
          :returns: the newly created (or updated) membership\n:rtype: dictionary",
    run: group_member_create,
    ..crate::UNTYPED
};

fn group_member_create(ctx: &Context<'_>, params: &Params) -> ActionResult {
    member_create_for(ctx, params, Kind::Group)
}

fn member_delete_for(ctx: &Context<'_>, params: &Params, kind: Kind) -> ActionResult {
    let action = format!("{}_member_delete", kind.word());
    require_user(ctx, &action)?;
    let group_ref = params.get("id").and_then(text_of).unwrap_or_default();
    let user_ref =
        params.get("username").or_else(|| params.get("user_id")).and_then(text_of).unwrap_or_default();
    ctx.store().write(|tx| {
        let group = find(tx, &group_ref)?.ok_or_else(|| ActionError::not_found(GROUP_NOT_FOUND))?;
        let user_id = object_id(tx, ObjectType::User, &user_ref, "user")?;
        let who = memberships(tx, &ctx.actor)?;
        require_member_edit(ctx, tx, &who, &group, ObjectType::User)?;
        remove_member(ctx, tx, &group, ObjectType::User, &user_id)
    })?;
    Ok(Value::Null)
}

pub const ORGANIZATION_MEMBER_DELETE: Action = Action {
    name: "organization_member_delete",
    side_effect_free: false,
    doc: "Remove a user from an organization. Organization admins and sysadmins only.\n\n\
          :param id: the id or name of the organization\n\
          :param username: name or id of the user to be removed (``user_id`` is accepted too)\n\
          :rtype: null",
    run: organization_member_delete,
    ..crate::UNTYPED
};

fn organization_member_delete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    member_delete_for(ctx, params, Kind::Organization)
}

pub const GROUP_MEMBER_DELETE: Action = Action {
    name: "group_member_delete",
    side_effect_free: false,
    doc: "Remove a user from a group. Group admins and sysadmins only.\n\n\
          :param id: the id or name of the group\n\
          :param username: name or id of the user to be removed (``user_id`` is accepted too)\n\
          :rtype: null",
    run: group_member_delete,
    ..crate::UNTYPED
};

fn group_member_delete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    member_delete_for(ctx, params, Kind::Group)
}

// ---------------------------------------------------------------------------------------------
// organization_list_for_user / group_list_authz

/// The roles that grant a permission (admins hold every permission).
fn roles_with(permission: &str) -> Vec<Capacity> {
    let mut roles = vec![Capacity::Admin];
    if matches!(permission, "read" | "delete_dataset" | "create_dataset" | "update_dataset" | "manage_group")
    {
        roles.push(Capacity::Editor);
    }
    if matches!(permission, "read" | "manage_group") {
        roles.push(Capacity::Member);
    }
    roles
}

fn active_groups(tx: &mut Tx<'_>, organizations: bool) -> ActionResult<Vec<Group>> {
    Ok(tx.list_groups(&GroupFilter { organizations, ..GroupFilter::default() })?)
}

pub const ORGANIZATION_LIST_FOR_USER: Action = Action {
    name: "organization_list_for_user",
    side_effect_free: true,
    doc: "Return the organizations that a user has a given permission for.\n\n\
          By default the organizations the caller is a member of, in any capacity. Sysadmins \
          get every organization, as ``admin``. Admin rights cascade to sub-organizations.\n\n\
          :param id: the name or id of the user (optional, default: the caller)\n\
          :param permission: the permission the user has against the returned organizations, \
          e.g. ``read`` or ``create_dataset`` (optional, default ``manage_group``)\n\
          :param include_dataset_count: include the package_count in each org (optional, default false)\n\
          :returns: list of organizations, each with the user's ``capacity``\n:rtype: list of dicts",
    run: organization_list_for_user,
    ..crate::UNTYPED
};

fn organization_list_for_user(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let target = params.string("id", &mut errors).filter(|id| !id.is_empty());
    let permission = params.string("permission", &mut errors).unwrap_or_else(|| "manage_group".to_owned());
    let with_counts = params.bool("include_dataset_count", false, &mut errors);
    let with_members = params.bool("include_member_count", false, &mut errors);
    errors.into_result()?;
    let who = ctx.store().read(|tx| memberships(tx, &ctx.actor))?;
    let counts = if with_counts { Some(package_counts(ctx, &who)?) } else { None };
    ctx.store().read(|tx| {
        let (user_id, sysadmin) = match &target {
            Some(reference) => {
                let user = tx.user_by_id_or_name(reference)?.ok_or(ActionError::NotFound(None))?;
                (Some(user.id), user.sysadmin)
            }
            None => {
                (ctx.actor.user_id().filter(|id| !id.is_empty()).map(str::to_owned), ctx.actor.is_sysadmin())
            }
        };
        let orgs = active_groups(tx, true)?;
        let chosen: Vec<(Group, Option<String>)> = if sysadmin {
            orgs.into_iter().map(|org| (org, Some(Capacity::Admin.as_str().to_owned()))).collect()
        } else {
            let Some(user_id) = user_id else { return Ok(Value::Array(Vec::new())) };
            let roles = roles_with(&permission);
            let mut capacities: HashMap<String, Capacity> = HashMap::new();
            for member in tx.memberships_of("user", &user_id)? {
                let Some(capacity) = Capacity::parse(&member.capacity).filter(|c| roles.contains(c)) else {
                    continue;
                };
                let mut reached = vec![member.group_id.clone()];
                if capacity == Capacity::Admin {
                    reached.extend(descendants(tx, &member.group_id)?);
                }
                for group_id in reached {
                    let entry = capacities.entry(group_id).or_insert(capacity);
                    *entry = (*entry).max(capacity);
                }
            }
            orgs.into_iter()
                .filter_map(|org| {
                    let capacity = capacities.get(&org.id)?;
                    Some((org, Some(capacity.as_str().to_owned())))
                })
                .collect()
        };
        list_dicts(ctx, tx, &who, &chosen, counts.as_ref(), with_members)
    })
}

pub const GROUP_LIST_AUTHZ: Action = Action {
    name: "group_list_authz",
    side_effect_free: true,
    doc: "Return the list of groups that the user is authorized to edit (add datasets to).\n\n\
          :param available_only: remove the existing groups in the package (optional, default false; \
          has no effect through the API)\n\
          :param am_member: if true, only the groups the caller is a member of, even for \
          sysadmins (optional, default false)\n\
          :param include_dataset_count: include the package_count of each group (optional, default false)\n\
          :returns: list of dictized groups that the user is authorized to edit\n:rtype: list of dicts",
    run: group_list_authz,
    ..crate::UNTYPED
};

fn group_list_authz(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    params.bool("available_only", false, &mut errors);
    let am_member = params.bool("am_member", false, &mut errors);
    let with_counts = params.bool("include_dataset_count", false, &mut errors);
    let with_members = params.bool("include_member_count", false, &mut errors);
    errors.into_result()?;
    if ctx.actor.user_id().is_none_or(str::is_empty) {
        return Ok(Value::Array(Vec::new()));
    }
    let who = ctx.store().read(|tx| memberships(tx, &ctx.actor))?;
    let counts = if with_counts { Some(package_counts(ctx, &who)?) } else { None };
    ctx.store().read(|tx| {
        let groups = active_groups(tx, false)?;
        let chosen: Vec<(Group, Option<String>)> = groups
            .into_iter()
            .filter(|g| (who.sysadmin && !am_member) || who.capacity_in(&g.id).is_some())
            .map(|g| (g, None))
            .collect();
        list_dicts(ctx, tx, &who, &chosen, counts.as_ref(), with_members)
    })
}
