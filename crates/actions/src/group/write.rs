//! `organization_create|update|patch` and `group_create|update|patch`.

use datahavn_domain::Timestamp;
use datahavn_domain::authz::Permission;
use datahavn_domain::group::{Capacity, Group, GroupState, Member, MemberKind};
use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_storage::{StorageError, Tx};
use serde_json::Value;

use super::dictize::{Dictize, Packages, dictize, show_dict};
use super::input::{Fields, Input, Resolved, sent_value};
use super::show::{GroupShow, show};
use super::{
    ErrorDict, GROUP_NOT_FOUND, Kind, find, find_kind, has_permission, message_error, present, require_user,
    scalar, text_of,
};
use crate::access::memberships;
use crate::dto::GroupDict;
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, activity, render};

const NAME_TAKEN: &str = "Group name already exists in database";

/// Declares a create, update or patch request: its `id`, then the fields of a group.
macro_rules! group_input {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(#[$id_meta:meta])*
            pub id: $id_ty:ty $(=> $id_reader:expr)?
        }
    ) => {
        request! {
            $(#[$meta])*
            pub struct $name {
                $(#[$id_meta])*
                pub id: $id_ty $(=> $id_reader)?,
                /// The name: 2–100 characters of `a-z`, `0-9`, `-` and `_`, unique among
                /// organizations and groups, deleted ones included (required on create).
                #[schema(value_type = Option<String>)]
                pub name: Option<Value> => sent_value,
                /// The title.
                #[schema(value_type = Option<String>)]
                pub title: Option<Value> => sent_value,
                /// The description.
                #[schema(value_type = Option<String>)]
                pub description: Option<Value> => sent_value,
                /// The URL of an image.
                #[schema(value_type = Option<String>)]
                pub image_url: Option<Value> => sent_value,
                /// `group_create`: a custom type, not `organization` (default `organization` or
                /// `group`). On update it must not change.
                #[schema(value_type = Option<String>)]
                pub r#type: Option<Value> => sent_value,
                /// `active` or `deleted` (on create: sysadmins only).
                #[schema(value_type = Option<String>)]
                pub state: Option<Value> => sent_value,
                /// The approval status (default `approved`).
                #[schema(value_type = Option<String>)]
                pub approval_status: Option<Value> => sent_value,
                /// Extra fields, `[{key, value}]`; entries with `deleted` true are dropped. On
                /// update they replace the current ones (not given: none are kept).
                #[schema(value_type = Option<Vec<Object>>)]
                pub extras: Option<Value> => sent_value,
                /// Members, `[{name, capacity}]` (`id` works as well as `name`; capacity
                /// `admin`, `editor` or `member`, default `member`). On update, when given,
                /// they replace the current ones.
                #[schema(value_type = Option<Vec<Object>>)]
                pub users: Option<Value> => sent_value,
                /// Parent groups, `[{name, capacity}]`. On update, when given, they replace
                /// the current ones.
                #[schema(value_type = Option<Vec<Object>>)]
                pub groups: Option<Value> => sent_value,
                /// Groups only: datasets, `[{id}]` (id or name). On update, when given, they
                /// replace the current ones. Organizations check them and ignore them.
                #[schema(value_type = Option<Vec<Object>>)]
                pub packages: Option<Value> => sent_value;
                /// Any other key is stored and returned as sent.
                ..document
            }
        }

        impl $name {
            /// Its fields besides `id`, as sent.
            fn fields(&self) -> Fields<'_> {
                Fields {
                    name: self.name.as_ref(),
                    title: self.title.as_ref(),
                    description: self.description.as_ref(),
                    image_url: self.image_url.as_ref(),
                    group_type: self.r#type.as_ref(),
                    state: self.state.as_ref(),
                    approval_status: self.approval_status.as_ref(),
                    extras: self.extras.as_ref(),
                    users: self.users.as_ref(),
                    groups: self.groups.as_ref(),
                    packages: self.packages.as_ref(),
                    document: &self.document,
                }
            }
        }
    };
}

group_input! {
    /// A new organization or group.
    pub struct GroupCreate {
        /// The id to give it, a UUID (sysadmins only).
        pub id: Option<String> => scalar
    }
}

group_input! {
    /// The organization or group to update and its new fields.
    pub struct GroupUpdate {
        /// The id or name of the organization or group to update.
        pub id: String => present
    }
}

group_input! {
    /// The organization or group to patch and the fields to change.
    pub struct GroupPatch {
        /// The id or name of the organization or group to patch.
        #[schema(value_type = String)]
        pub id: Option<Value>
    }
}

/// Whether another organization or group (deleted ones too) holds the name.
fn name_taken(tx: &mut Tx<'_>, name: &str, own_id: Option<&str>) -> ActionResult<bool> {
    Ok(tx.group_by_id_or_name(name)?.is_some_and(|g| g.name == name && Some(g.id.as_str()) != own_id))
}

/// A unique-index race on the name, reported as CKAN words it.
fn name_conflict(error: StorageError) -> ActionError {
    match error {
        StorageError::Conflict { .. } => ActionError::field("name", NAME_TAKEN),
        other => other.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// organization_create / group_create

pub const ORGANIZATION_CREATE: Action = Action {
    name: "organization_create",
    side_effect_free: false,
    tag: "organizations",
    doc: "Create a new organization.\n\n\
          Only sysadmins may create organizations; the creator becomes an admin of it. Returns \
          the new organization as ``organization_show`` does.\n\n\
          :returns: the newly created organization\n:rtype: dictionary",
    request: request_doc::<GroupCreate>,
    response: response_doc::<GroupDict>,
    errors: &[
        (403, "Not a sysadmin, or anonymous"),
        (409, "Field errors, e.g. `{\"name\": [\"Group name already exists in database\"]}`"),
    ],
    run: |ctx, params| create(ctx, Kind::Organization, GroupCreate::parse(params)?),
};

pub const GROUP_CREATE: Action = Action {
    name: "group_create",
    side_effect_free: false,
    tag: "groups",
    doc: "Create a new group.\n\n\
          Any logged-in user may create groups; the creator becomes an admin of it. Returns \
          the new group as ``group_show`` does.\n\n\
          :returns: the newly created group\n:rtype: dictionary",
    request: request_doc::<GroupCreate>,
    response: response_doc::<GroupDict>,
    errors: &[
        (403, "Anonymous"),
        (
            409,
            "Field errors, e.g. `{\"name\": [\"Group name already exists in database\"]}`, or \
             `{\"message\": \"Trying to create an organization as a group\"}`",
        ),
    ],
    run: |ctx, params| create(ctx, Kind::Group, GroupCreate::parse(params)?),
};

/// `id` on create: sysadmins only, and a UUID.
fn new_id(request: &GroupCreate, sysadmin: bool, errors: &mut ErrorDict) -> Option<String> {
    match request.id.clone().filter(|id| !id.is_empty()) {
        None => None,
        Some(_) if !sysadmin => {
            errors.add("id", "The input field id was not expected.");
            None
        }
        Some(id) => {
            if uuid::Uuid::parse_str(&id).is_err() {
                errors.add("id", "Invalid id provided");
            }
            Some(id)
        }
    }
}

/// The creator becomes an admin (CKAN's member_create with ignore_auth).
fn add_creator(tx: &mut Tx<'_>, group_id: &str, creator: &str) -> ActionResult<()> {
    tx.upsert_member(&Member::active(
        uuid::Uuid::new_v4().to_string(),
        group_id,
        MemberKind::User,
        creator,
        Capacity::Admin.into(),
    ))?;
    Ok(())
}

fn create(ctx: &Context<'_>, kind: Kind, request: GroupCreate) -> ActionResult {
    let fields = request.fields();
    if kind == Kind::Group && fields.group_type.and_then(Value::as_str) == Some("organization") {
        return Err(message_error("Trying to create an organization as a group"));
    }
    require_user(ctx, &kind.action("create"))?;
    let sysadmin = ctx.actor.is_sysadmin();
    if !sysadmin && !kind.users_create(&ctx.site().auth) {
        return Err(ActionError::denied(format!(
            "User {} not authorized to create {}s",
            ctx.actor.user_id().unwrap_or_default(),
            kind.word()
        )));
    }
    let mut errors = ErrorDict::default();
    let id = new_id(&request, sysadmin, &mut errors);
    let input = Input::read(&fields, true, sysadmin, &mut errors);
    let creator = ctx.actor.user_id().map(str::to_owned);
    ctx.store().write(|tx| {
        if let Some(id) = &id
            && !errors.contains("id")
            && !tx.groups_by_ids(std::slice::from_ref(id))?.is_empty()
        {
            errors.add("id", "Id already exists");
        }
        if let Some(name) = &input.name
            && name_taken(tx, name, None)?
        {
            errors.add("name", NAME_TAKEN);
        }
        let resolved = Resolved::of(tx, &input, None, kind, &mut errors)?;
        std::mem::take(&mut errors).into_result()?;
        let group = Group {
            id: id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            name: input.name.clone().unwrap_or_default(),
            title: input.title.clone().unwrap_or_default(),
            description: input.description.clone().unwrap_or_default(),
            image_url: input.image_url.clone().unwrap_or_default(),
            group_type: input.group_type.clone().unwrap_or_else(|| kind.word().to_owned()),
            is_organization: kind.is_org(),
            approval_status: input.approval_status.clone().unwrap_or_else(|| "approved".to_owned()),
            state: input.state.unwrap_or(GroupState::Active),
            created: Timestamp::now(),
            extras: input.extras.clone(),
            document: input.document.clone(),
        };
        tx.insert_group(&group).map_err(name_conflict)?;
        let packages = resolved.write(tx, &group.id)?;
        if let Some(creator) = &creator {
            add_creator(tx, &group.id, creator)?;
        }
        render::rerender_packages(tx, &packages, &ctx.site().site_url)?;
        let dict = show_dict(ctx, tx, &group)?;
        activity::record_group(ctx, tx, &format!("new {}", kind.word()), &group)?;
        log::info!("{} {} created by {:?}", kind.word(), group.name, ctx.actor.name());
        Ok(dict)
    })
}

// ---------------------------------------------------------------------------------------------
// organization_update / group_update

pub const ORGANIZATION_UPDATE: Action = Action {
    name: "organization_update",
    side_effect_free: false,
    tag: "organizations",
    doc: "Update an organization.\n\n\
          Organization admins and sysadmins only. Core fields not given keep their values; \
          ``extras`` and any free-form keys are replaced. ``users`` and ``groups``, when given, \
          replace the members; when not given they are left as they are. ``packages`` is \
          ignored (datasets belong to an organization through their ``owner_org``).\n\n\
          :returns: the updated organization, with its first datasets\n:rtype: dictionary",
    request: request_doc::<GroupUpdate>,
    response: response_doc::<GroupDict>,
    errors: &[
        (403, "Not an admin of it"),
        (404, "`Not found: Group was not found.` (a group's id included)"),
        (409, "`id` missing, field errors, or `{\"type\": [\"Type cannot be updated\"]}`"),
    ],
    run: |ctx, params| update(ctx, Kind::Organization, GroupUpdate::parse(params)?),
};

pub const GROUP_UPDATE: Action = Action {
    name: "group_update",
    side_effect_free: false,
    tag: "groups",
    doc: "Update a group.\n\n\
          Group admins and sysadmins only. Core fields not given keep their values; ``extras`` \
          and any free-form keys are replaced. ``users``, ``groups`` and ``packages``, when \
          given, replace the members; when not given they are left as they are.\n\n\
          :returns: the updated group, with its first datasets\n:rtype: dictionary",
    request: request_doc::<GroupUpdate>,
    response: response_doc::<GroupDict>,
    errors: &[
        (403, "Not an admin of it"),
        (404, "`Not found: Group was not found.` (an organization's id included)"),
        (409, "`id` missing, field errors, or `{\"type\": [\"Type cannot be updated\"]}`"),
    ],
    run: |ctx, params| update(ctx, Kind::Group, GroupUpdate::parse(params)?),
};

/// 403 unless the caller may change the group.
fn require_update(ctx: &Context<'_>, tx: &mut Tx<'_>, group: &Group) -> ActionResult<()> {
    let who = memberships(tx, ctx)?;
    if has_permission(tx, &who, group, Permission::Update)? {
        Ok(())
    } else {
        Err(ActionError::denied(format!(
            "User {} not authorized to edit {} {}",
            ctx.actor.name(),
            Kind::of(group).word(),
            group.id
        )))
    }
}

/// The group with the input's values; fields not given keep theirs.
fn updated(group: &Group, input: &Input) -> Group {
    let mut updated = group.clone();
    if let Some(name) = &input.name {
        updated.name = name.clone();
    }
    for (field, value) in [
        (&mut updated.title, &input.title),
        (&mut updated.description, &input.description),
        (&mut updated.image_url, &input.image_url),
        (&mut updated.approval_status, &input.approval_status),
    ] {
        if let Some(value) = value {
            field.clone_from(value);
        }
    }
    if let Some(state) = input.state {
        updated.state = state;
    }
    updated.extras = input.extras.clone();
    updated.document = input.document.clone();
    updated
}

fn update(ctx: &Context<'_>, kind: Kind, request: GroupUpdate) -> ActionResult {
    let fields = request.fields();
    ctx.store().write(|tx| {
        let group =
            find_kind(tx, &request.id, kind)?.ok_or_else(|| ActionError::not_found(GROUP_NOT_FOUND))?;
        if let Some(given) = fields.group_type()
            && given != group.group_type
        {
            return Err(ActionError::field("type", "Type cannot be updated"));
        }
        require_user(ctx, &kind.action("update"))?;
        require_update(ctx, tx, &group)?;
        let mut errors = ErrorDict::default();
        let input = Input::read(&fields, false, true, &mut errors);
        if let Some(name) = &input.name
            && name_taken(tx, name, Some(&group.id))?
        {
            errors.add("name", NAME_TAKEN);
        }
        let resolved = Resolved::of(tx, &input, Some(&group), kind, &mut errors)?;
        errors.into_result()?;

        let updated = updated(&group, &input);
        tx.update_group(&updated).map_err(name_conflict)?;
        let mut packages = tx.all_package_ids_of_org(&group.id)?;
        packages.extend(
            tx.members_of_group(&group.id, Some(MemberKind::Package))?.into_iter().map(|m| m.table_id),
        );
        packages.extend(resolved.write(tx, &group.id)?);
        packages.sort();
        packages.dedup();
        render::rerender_packages(tx, &packages, &ctx.site().site_url)?;

        // CKAN answers with group_dictize's defaults: datasets included, no follower count.
        let who = memberships(tx, ctx)?;
        let options = Dictize { packages: Packages::Datasets, num_followers: false, ..Dictize::show() };
        let dict = Value::Object(dictize(ctx, tx, &who, &updated, options, None, 0)?);
        let verb =
            if updated.state == GroupState::Deleted && group.is_active() { "deleted" } else { "changed" };
        activity::record_group(ctx, tx, &format!("{verb} {}", kind.word()), &updated)?;
        log::info!("{} {} updated by {:?}", kind.word(), updated.name, ctx.actor.name());
        Ok(dict)
    })
}

// ---------------------------------------------------------------------------------------------
// organization_patch / group_patch

pub const ORGANIZATION_PATCH: Action = Action {
    name: "organization_patch",
    side_effect_free: false,
    tag: "organizations",
    doc: "Patch an organization.\n\n\
          Like ``organization_update``, but the fields not given keep their values (the \
          organization as ``organization_show`` returns it, with the fields given).\n\n\
          :returns: the updated organization\n:rtype: dictionary",
    request: request_doc::<GroupPatch>,
    response: response_doc::<GroupDict>,
    errors: &[
        (403, "Anonymous, or not an admin of it"),
        (404, "No such organization"),
        (409, "`id` missing, or field errors"),
    ],
    run: |ctx, params| patch(ctx, Kind::Organization, GroupPatch::parse(params)?),
};

pub const GROUP_PATCH: Action = Action {
    name: "group_patch",
    side_effect_free: false,
    tag: "groups",
    doc: "Patch a group.\n\n\
          Like ``group_update``, but the fields not given keep their values (the group as \
          ``group_show`` returns it, with the fields given).\n\n\
          :returns: the updated group\n:rtype: dictionary",
    request: request_doc::<GroupPatch>,
    response: response_doc::<GroupDict>,
    errors: &[
        (403, "Anonymous, or not an admin of it"),
        (404, "No such group"),
        (409, "`id` missing, or field errors"),
    ],
    run: |ctx, params| patch(ctx, Kind::Group, GroupPatch::parse(params)?),
};

/// `*_patch`'s `id`, read as `get_or_bust` reads it.
fn patched_id(request: &GroupPatch) -> ActionResult<String> {
    match &request.id {
        None => Err(ActionError::field("id", MISSING_VALUE)),
        Some(id) => text_of(id).ok_or_else(|| ActionError::field("id", "Must be a string")),
    }
}

fn patch(ctx: &Context<'_>, kind: Kind, request: GroupPatch) -> ActionResult {
    require_user(ctx, &kind.action("patch"))?;
    // CKAN checks `*_update` permission on the object first (sysadmins skip that check).
    if !ctx.actor.is_sysadmin() {
        let Some(id) = request.id.as_ref().and_then(text_of).filter(|id| !id.is_empty()) else {
            return Err(message_error("Missing id, can not get Group object"));
        };
        ctx.store().read(|tx| {
            let group = find(tx, &id)?.ok_or(ActionError::NotFound(None))?;
            require_update(ctx, tx, &group)
        })?;
    }
    let id = patched_id(&request)?;
    let Value::Object(mut merged) = show(ctx, kind, GroupShow::of(id))? else {
        return Err(ActionError::Internal("show did not return a dict".into()));
    };
    merged.remove("display_name");
    if let Some(id) = &request.id {
        merged.insert("id".into(), id.clone());
    }
    request.fields().merge_into(&mut merged);
    update(ctx, kind, GroupUpdate::parse(&Params::new(merged))?)
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;

    fn params(value: Value) -> Params {
        match value {
            Value::Object(map) => Params::new(map),
            _ => Params::default(),
        }
    }

    #[test]
    fn patch_passes_every_key_on_as_sent() {
        let sent = json!({"id": "x", "title": null, "extras": null, "custom": [1], "__junk": 1});
        let request = GroupPatch::parse(&params(sent)).unwrap_or_else(|e| panic!("{e}"));
        let mut merged = Map::new();
        request.fields().merge_into(&mut merged);
        assert_eq!(Value::Object(merged), json!({"title": null, "extras": null, "custom": [1], "__junk": 1}));
    }

    #[test]
    fn input_fields_are_documented_and_other_keys_kept() {
        let doc = request_doc::<GroupCreate>();
        assert!(doc.free_form);
        assert_eq!(doc.fields.first(), Some(&"id"));
        assert!(doc.fields.contains(&"packages") && doc.fields.contains(&"type"));
    }
}
