//! Membership actions: `member_create`, `member_delete`, `member_list`, `member_roles_list`,
//! `organization_member_create|delete` and `group_member_create|delete`.

use datahavn_domain::ValidationErrors;
use datahavn_domain::authz::{self, Memberships, PackageAccess, Permission};
use datahavn_domain::group::{Capacity, Group, Member, MemberCapacity, MemberKind};
use datahavn_domain::params::MISSING_VALUE;
use datahavn_storage::{GroupPackages, Tx};
use serde_json::Value;

use crate::access::memberships;
use crate::dto::{MemberDict, MemberRole};
use crate::group::{
    GROUP_NOT_FOUND, Kind, descendants, find, has_permission, message_error, present, require_user, scalar,
    text_of,
};
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, render, to_json};

const NO_ROLE: &str = "role does not exist.";

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
fn object_type(name: &str) -> ActionResult<MemberKind> {
    MemberKind::parse(name).ok_or_else(|| message_error(format!("{} isn't a valid model", title_case(name))))
}

/// The object's id, or `Not found: <Type> was not found.`
fn object_id(
    tx: &mut Tx<'_>,
    object_type: MemberKind,
    reference: &str,
    type_name: &str,
) -> ActionResult<String> {
    let missing = || ActionError::not_found(format!("{} was not found.", title_case(type_name)));
    if reference.is_empty() {
        return Err(missing());
    }
    let id = match object_type {
        MemberKind::User => tx.user_by_id_or_name(reference)?.map(|u| u.id),
        MemberKind::Package => tx.package_by_id_or_name(reference)?.map(|p| p.id),
        MemberKind::Group => tx.group_by_id_or_name(reference)?.map(|g| g.id),
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
    object_type: MemberKind,
) -> ActionResult<()> {
    let permission = if !group.is_organization && object_type == MemberKind::Package {
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
    object_type: MemberKind,
    object_id: &str,
    capacity: MemberCapacity,
) -> ActionResult<Member> {
    let existing = tx.memberships_of(object_type, object_id)?.into_iter().find(|m| m.group_id == group.id);
    if object_type == MemberKind::User
        && let Some(role) = capacity.role()
    {
        let current = existing.as_ref().and_then(|m| m.capacity.role());
        authz::set_user_role(&ctx.actor, object_id, current, role).map_err(ActionError::denied)?;
    }
    let id = existing.map_or_else(|| uuid::Uuid::new_v4().to_string(), |m| m.id);
    let member = tx.upsert_member(&Member::active(id, &group.id, object_type, object_id, capacity))?;
    if object_type == MemberKind::Package {
        render::rerender_packages(tx, &[object_id.to_owned()], &ctx.site().site_url)?;
    }
    Ok(member)
}

// ---------------------------------------------------------------------------------------------
// member_create / member_delete

request! {
    /// The membership to add or change.
    pub struct MemberCreate {
        /// The id or name of the group or organization.
        pub id: String => present,
        /// The id or name of the user, dataset or (parent) group to add.
        pub object: String => present,
        /// `user`, `package` or `group` (a group member is a parent group).
        pub object_type: String => present,
        /// The capacity of the membership: `admin`, `editor` or `member` for users; datasets
        /// usually `public`; groups `parent`.
        pub capacity: String => present,
    }
}

pub const MEMBER_CREATE: Action = Action {
    name: "member_create",
    side_effect_free: false,
    tag: "members",
    doc: "Make an object (e.g. a user, dataset or group) a member of a group.\n\n\
          If the object is already a member of the group then the capacity of the membership \
          will be updated. Group admins and sysadmins may add members; any member of a \
          (non-organization) group may add datasets to it. Administrators cannot revoke their \
          own admin status.\n\n\
          :returns: the newly created (or updated) membership\n:rtype: dictionary",
    request: request_doc::<MemberCreate>,
    response: response_doc::<MemberDict>,
    errors: &[
        (403, "Anonymous, not allowed to edit the group, or demoting oneself"),
        (404, "No such group or object"),
        (409, "Missing parameters, unknown `object_type` or role, or a loop in the hierarchy"),
    ],
    run: |ctx, params| member_create(ctx, MemberCreate::parse(params)?),
};

fn member_create(ctx: &Context<'_>, request: MemberCreate) -> ActionResult {
    let MemberCreate { id: group_ref, object: object_ref, object_type: type_name, capacity } = request;
    let member = ctx.store().write(|tx| {
        let group = find(tx, &group_ref)?.ok_or_else(|| ActionError::not_found(GROUP_NOT_FOUND))?;
        let object_type = object_type(&type_name)?;
        let object_id = object_id(tx, object_type, &object_ref, &type_name)?;
        require_user(ctx, "member_create")?;
        let who = memberships(tx, ctx)?;
        require_member_edit(ctx, tx, &who, &group, object_type)?;
        let capacity = match object_type {
            MemberKind::User => {
                Capacity::parse(&capacity).ok_or_else(|| ActionError::field("capacity", NO_ROLE))?.into()
            }
            _ if capacity.trim().is_empty() => return Err(ActionError::field("capacity", MISSING_VALUE)),
            _ => MemberCapacity::parse(&capacity),
        };
        if object_type == MemberKind::Group
            && (object_id == group.id || descendants(tx, &group.id)?.contains(&object_id))
        {
            return Err(ActionError::field("object", "This parent would create a loop in the hierarchy"));
        }
        write_member(ctx, tx, &group, object_type, &object_id, capacity)
    })?;
    log::info!(
        "{} {} is now {} of group {}",
        member.table_name.as_str(),
        member.table_id,
        member.capacity.as_str(),
        member.group_id
    );
    to_json(&MemberDict::from(member))
}

request! {
    /// The membership to remove.
    pub struct MemberDelete {
        /// The id or name of the group or organization.
        pub id: String => present,
        /// The id or name of the user, dataset or group to remove.
        pub object: String => present,
        /// `user`, `package` or `group`.
        pub object_type: String => present,
    }
}

pub const MEMBER_DELETE: Action = Action {
    name: "member_delete",
    side_effect_free: false,
    tag: "members",
    doc: "Remove an object (e.g. a user, dataset or group) from a group.\n\n\
          The same callers as for ``member_create`` may remove members.\n\n:rtype: null",
    request: request_doc::<MemberDelete>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Anonymous, or not allowed to edit the group"),
        (404, "No such group or object"),
        (409, "Missing parameters or unknown `object_type`"),
    ],
    run: |ctx, params| member_delete(ctx, MemberDelete::parse(params)?),
};

fn member_delete(ctx: &Context<'_>, request: MemberDelete) -> ActionResult {
    let MemberDelete { id: group_ref, object: object_ref, object_type: type_name } = request;
    ctx.store().write(|tx| {
        let group = find(tx, &group_ref)?.ok_or_else(|| ActionError::not_found(GROUP_NOT_FOUND))?;
        let object_type = object_type(&type_name)?;
        let object_id = object_id(tx, object_type, &object_ref, &type_name)?;
        require_user(ctx, "member_delete")?;
        let who = memberships(tx, ctx)?;
        require_member_edit(ctx, tx, &who, &group, object_type)?;
        remove_member(ctx, tx, &group, object_type, &object_id)
    })?;
    Ok(Value::Null)
}

fn remove_member(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    group: &Group,
    object_type: MemberKind,
    object_id: &str,
) -> ActionResult<()> {
    if tx.delete_member(&group.id, object_type, object_id)? {
        if object_type == MemberKind::Package {
            render::rerender_packages(tx, &[object_id.to_owned()], &ctx.site().site_url)?;
        }
        log::info!("{} {object_id} removed from group {}", object_type.as_str(), group.id);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// member_list / member_roles_list

request! {
    /// The group whose members to list, and which.
    pub struct MemberList {
        /// The id or name of the group or organization.
        pub id: String => present,
        /// Only members of this type: `user`, `package` or `group`.
        pub object_type: Option<String>,
        /// Only members with this capacity, e.g. `member`, `editor`, `admin`, `public`,
        /// `organization`.
        pub capacity: Option<String>,
    }
}

pub const MEMBER_LIST: Action = Action {
    name: "member_list",
    side_effect_free: true,
    tag: "members",
    doc: "Return the members of a group.\n\n\
          An organization's datasets appear with capacity ``organization``; private datasets \
          only for those who may read them.\n\n\
          :rtype: list of (id, type, capacity) tuples; user roles are title-cased (``Admin``)",
    request: request_doc::<MemberList>,
    response: response_doc::<Vec<Vec<String>>>,
    errors: &[
        (404, "No such group (or deleted and not yours)"),
        (409, "`id` missing or not text, or `object_type` or `capacity` not text"),
    ],
    run: |ctx, params| member_list(ctx, MemberList::parse(params)?),
};

fn member_list(ctx: &Context<'_>, request: MemberList) -> ActionResult {
    let wanted_type = request.object_type.filter(|t| !t.is_empty());
    let wanted_capacity = request.capacity.filter(|c| !c.is_empty()).as_deref().map(MemberCapacity::parse);
    ctx.store().read(|tx| {
        let group = find(tx, &request.id)?.ok_or(ActionError::NotFound(None))?;
        let who = memberships(tx, ctx)?;
        if !group.is_active() && !has_permission(tx, &who, &group, Permission::Read)? {
            return Err(ActionError::NotFound(None));
        }
        // A type CKAN does not know matches no member.
        let wanted_kind = match wanted_type.as_deref().map(MemberKind::parse) {
            None => None,
            Some(Some(kind)) => Some(kind),
            Some(None) => return Ok(Value::Array(Vec::new())),
        };
        let mut rows: Vec<(String, MemberKind, MemberCapacity)> = Vec::new();
        for member in tx.members_of_group(&group.id, wanted_kind)? {
            if wanted_capacity.as_ref().is_some_and(|c| *c != member.capacity) {
                continue;
            }
            if member.table_name == MemberKind::Package && !package_visible(tx, &who, &member.table_id)? {
                continue;
            }
            rows.push((member.table_id, member.table_name, member.capacity));
        }
        // CKAN keeps an organization's datasets as members with capacity `organization`.
        if group.is_organization
            && wanted_kind.is_none_or(|kind| kind == MemberKind::Package)
            && wanted_capacity.as_ref().is_none_or(|c| *c == MemberCapacity::Organization)
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
                    rows.push((package.id, MemberKind::Package, MemberCapacity::Organization));
                }
            }
        }
        let triples = rows
            .into_iter()
            .map(|(id, table, capacity)| {
                Value::Array(vec![id.into(), table.as_str().into(), capacity.listed().into()])
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

request! {
    /// The kind of group whose roles to list.
    pub struct MemberRolesList {
        /// `organization` (default) or `group`; groups have no `editor`.
        pub group_type: Option<String>,
    }
}

pub const MEMBER_ROLES_LIST: Action = Action {
    name: "member_roles_list",
    side_effect_free: true,
    tag: "members",
    doc: "Return the possible roles for members of groups and organizations.\n\n\
          ``admin``, ``editor`` and ``member``; groups have no ``editor``.\n\n\
          :returns: a list of dictionaries each with two keys: ``text`` (the display name of \
          the role, e.g. ``Admin``) and ``value`` (the internal name of the role, e.g. ``admin``)\n\
          :rtype: list of dictionaries",
    request: request_doc::<MemberRolesList>,
    response: response_doc::<Vec<MemberRole>>,
    errors: &[(409, "`group_type` not text")],
    run: |ctx, params| member_roles_list(ctx, MemberRolesList::parse(params)?),
};

fn member_roles_list(_ctx: &Context<'_>, request: MemberRolesList) -> ActionResult {
    let group_type = request.group_type.unwrap_or_else(|| "organization".to_owned());
    let roles: Vec<MemberRole> = [Capacity::Admin, Capacity::Editor, Capacity::Member]
        .into_iter()
        .filter(|c| !(group_type == "group" && *c == Capacity::Editor))
        .map(|c| MemberRole { text: c.title().to_owned(), value: c.as_str().to_owned() })
        .collect();
    to_json(&roles)
}

// ---------------------------------------------------------------------------------------------
// organization_member_create / group_member_create and their delete

request! {
    /// The user to add to an organization or group, and their role.
    pub struct GroupMemberCreate {
        /// The id or name of the organization or group.
        #[schema(value_type = String)]
        pub id: Option<String> => scalar,
        /// The name or id of the user to be made member.
        #[schema(value_type = String)]
        pub username: Option<String> => scalar,
        /// The role of the user: `member`, `editor` or `admin`.
        #[schema(value_type = String)]
        pub role: Option<String> => scalar,
    }
}

const MEMBER_CREATE_ERRORS: &[(u16, &str)] = &[
    (403, "Anonymous, not an admin of it, or demoting oneself"),
    (404, "`id` names a group of neither kind"),
    (409, "Field errors: `id`, `username`, `role`"),
];

pub const ORGANIZATION_MEMBER_CREATE: Action = Action {
    name: "organization_member_create",
    side_effect_free: false,
    tag: "members",
    doc: "Make a user a member of an organization.\n\n\
          Organization admins and sysadmins only. Adds the user with ``role``, or changes their \
          role. Administrators cannot revoke their own admin status.\n\n\
          :returns: the newly created (or updated) membership\n:rtype: dictionary",
    request: request_doc::<GroupMemberCreate>,
    response: response_doc::<MemberDict>,
    errors: MEMBER_CREATE_ERRORS,
    run: |ctx, params| group_member_create(ctx, Kind::Organization, GroupMemberCreate::parse(params)?),
};

pub const GROUP_MEMBER_CREATE: Action = Action {
    name: "group_member_create",
    side_effect_free: false,
    tag: "members",
    doc: "Make a user a member of a group.\n\n\
          Group admins and sysadmins only. Adds the user with ``role``, or changes their role. \
          Administrators cannot revoke their own admin status.\n\n\
          :returns: the newly created (or updated) membership\n:rtype: dictionary",
    request: request_doc::<GroupMemberCreate>,
    response: response_doc::<MemberDict>,
    errors: MEMBER_CREATE_ERRORS,
    run: |ctx, params| group_member_create(ctx, Kind::Group, GroupMemberCreate::parse(params)?),
};

/// CKAN's member_schema: the group, the user and the role are all needed, and must name things
/// that exist; every missing or unknown one is reported at once.
fn checked_member(tx: &mut Tx<'_>, request: &GroupMemberCreate) -> ActionResult<(Group, String, Capacity)> {
    let mut errors = ValidationErrors::new();
    let group = match &request.id {
        None => {
            errors.add("id", MISSING_VALUE);
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
    let user = match &request.username {
        None => {
            errors.add("username", MISSING_VALUE);
            None
        }
        Some(reference) => {
            let user = if reference.is_empty() { None } else { tx.user_by_id_or_name(reference)? };
            if user.is_none() {
                errors.add("username", "User not found");
            }
            user
        }
    };
    let capacity = match &request.role {
        None => {
            errors.add("role", MISSING_VALUE);
            None
        }
        Some(value) => {
            let capacity = Capacity::parse(value);
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
}

fn group_member_create(ctx: &Context<'_>, kind: Kind, request: GroupMemberCreate) -> ActionResult {
    require_user(ctx, &kind.action("member_create"))?;
    let member = ctx.store().write(|tx| {
        let who = memberships(tx, ctx)?;
        if let Some(reference) = &request.id
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
        let (group, user_id, capacity) = checked_member(tx, &request)?;
        require_member_edit(ctx, tx, &who, &group, MemberKind::User)?;
        write_member(ctx, tx, &group, MemberKind::User, &user_id, capacity.into())
    })?;
    log::info!(
        "user {} is now {} of {} {}",
        member.table_id,
        member.capacity.as_str(),
        kind.word(),
        member.group_id
    );
    to_json(&MemberDict::from(member))
}

request! {
    /// The user to remove from an organization or group.
    pub struct GroupMemberDelete {
        /// The id or name of the organization or group.
        #[schema(value_type = String)]
        pub id: Option<String> => scalar,
        /// The name or id of the user to be removed.
        #[schema(value_type = Option<String>)]
        pub username: Option<Value>,
        /// Read as `username` when that is not given.
        #[schema(value_type = Option<String>)]
        pub user_id: Option<Value>,
    }
}

pub const ORGANIZATION_MEMBER_DELETE: Action = Action {
    name: "organization_member_delete",
    side_effect_free: false,
    tag: "members",
    doc: "Remove a user from an organization.\n\n\
          Organization admins and sysadmins only.\n\n:rtype: null",
    request: request_doc::<GroupMemberDelete>,
    response: response_doc::<Option<String>>,
    errors: &[(403, "Anonymous, or not an admin of it"), (404, "No such organization or user")],
    run: |ctx, params| group_member_delete(ctx, Kind::Organization, GroupMemberDelete::parse(params)?),
};

pub const GROUP_MEMBER_DELETE: Action = Action {
    name: "group_member_delete",
    side_effect_free: false,
    tag: "members",
    doc: "Remove a user from a group.\n\n\
          Group admins and sysadmins only.\n\n:rtype: null",
    request: request_doc::<GroupMemberDelete>,
    response: response_doc::<Option<String>>,
    errors: &[(403, "Anonymous, or not an admin of it"), (404, "No such group or user")],
    run: |ctx, params| group_member_delete(ctx, Kind::Group, GroupMemberDelete::parse(params)?),
};

fn group_member_delete(ctx: &Context<'_>, kind: Kind, request: GroupMemberDelete) -> ActionResult {
    require_user(ctx, &kind.action("member_delete"))?;
    let group_ref = request.id.unwrap_or_default();
    let user_ref = request.username.or(request.user_id).as_ref().and_then(text_of).unwrap_or_default();
    ctx.store().write(|tx| {
        let group = find(tx, &group_ref)?.ok_or_else(|| ActionError::not_found(GROUP_NOT_FOUND))?;
        let user_id = object_id(tx, MemberKind::User, &user_ref, "user")?;
        let who = memberships(tx, ctx)?;
        require_member_edit(ctx, tx, &who, &group, MemberKind::User)?;
        remove_member(ctx, tx, &group, MemberKind::User, &user_id)
    })?;
    Ok(Value::Null)
}

pub const USER_INVITE: Action = Action {
    name: "user_invite",
    side_effect_free: false,
    tag: "members",
    doc: "Invite a new user to an organization or group by email.\n\n\
          CKAN creates a pending user, makes them a member and emails them an invitation; when \
          the email cannot be sent it removes the user again and answers an error. datahavn sends \
          no email, so after the checks every invitation ends that way and nothing is created. \
          Create the user (``user_create``) and add them (``organization_member_create``) \
          instead.\n\n:rtype: dictionary",
    request: request_doc::<UserInvite>,
    response: response_doc::<Value>,
    errors: &[
        (403, "Anonymous, or not allowed to add members to the group"),
        (404, "No such group"),
        (
            409,
            "`email`, `group_id` or `role` missing, a bad or registered email; else the invitation email cannot be sent",
        ),
    ],
    run: |ctx, params| user_invite(ctx, UserInvite::parse(params)?),
};

request! {
    /// Whom to invite where.
    pub struct UserInvite {
        /// The email address of the person to invite.
        #[schema(required = true)]
        pub email: Option<String>,
        /// The id or name of the organization or group.
        #[schema(required = true)]
        pub group_id: Option<String>,
        /// Their role there: ``member``, ``editor`` or ``admin``.
        #[schema(required = true)]
        pub role: Option<String>,
    }
}

fn user_invite(ctx: &Context<'_>, request: UserInvite) -> ActionResult {
    let present = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
    require_user(ctx, "user_invite")?;
    ctx.store().read(|tx| {
        // CKAN's auth: `group_member_create` on the group.
        let who = memberships(tx, ctx)?;
        let group = match present(&request.group_id) {
            Some(reference) => find(tx, &reference)?,
            None => None,
        };
        let allowed = match &group {
            Some(group) => who.sysadmin || has_permission(tx, &who, group, Permission::Membership)?,
            None => who.sysadmin,
        };
        if !allowed {
            return Err(ActionError::denied(format!(
                "User {} not authorized to add members",
                ctx.actor.name()
            )));
        }
        let mut errors = ValidationErrors::new();
        match present(&request.email) {
            None => errors.add("email", MISSING_VALUE),
            Some(email) => match datahavn_domain::user::validate_email(&email) {
                Err(message) => errors.add("email", message),
                Ok(email) => {
                    if tx.user_by_email(&email)?.is_some() {
                        errors.add(
                            "email",
                            format!("The email address '{email}' belongs to a registered user."),
                        );
                    }
                }
            },
        }
        if present(&request.group_id).is_none() {
            errors.add("group_id", MISSING_VALUE);
        }
        if present(&request.role).is_none() {
            errors.add("role", MISSING_VALUE);
        }
        errors.into_result()?;
        if group.is_none() {
            return Err(ActionError::NotFound(None));
        }
        Err(crate::args::plain_error(
            "message",
            "Error sending the invite email, the user was not created: datahavn sends no email",
        ))
    })
}
