//! Dataset collaborators: users given a role on one dataset (CKAN's `package_member`).
//!
//! With CKAN's `ckan.auth.allow_dataset_collaborators` on (`--auth-allow-dataset-collaborators`);
//! off, the actions answer `Dataset collaborators not enabled` and collaborations grant nothing.
//! The capacities are `editor` (may edit the dataset) and `member` (may read it while it is
//! private or a draft), and with `allow_admin_collaborators` also `admin` (may manage the
//! dataset's collaborators too).

use datahavn_domain::Timestamp;
use datahavn_domain::authz::{self, Memberships};
use datahavn_domain::catalog::{Collaborator, PackageRecord};
use datahavn_domain::params::MISSING_VALUE;
use datahavn_storage::Tx;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::{chain_for, memberships};
use crate::args::{authenticated, plain_error, required};
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// CKAN's `get_collaborator_capacities`.
fn capacities(ctx: &Context<'_>) -> &'static [&'static str] {
    if ctx.site().auth.allow_admin_collaborators {
        &["admin", "editor", "member"]
    } else {
        &["editor", "member"]
    }
}

fn capacities_text(ctx: &Context<'_>) -> String {
    capacities(ctx).join(", ")
}

/// CKAN's answer while `ckan.auth.allow_dataset_collaborators` is off.
fn require_enabled(ctx: &Context<'_>) -> ActionResult<()> {
    if ctx.site().auth.allow_dataset_collaborators {
        Ok(())
    } else {
        Err(plain_error("message", "Dataset collaborators not enabled"))
    }
}

/// CKAN's `can_manage_collaborators` (`authz::can_manage_collaborators`): admins of the owner
/// organization or of an organization above it, the creator of an unowned dataset, sysadmins.
fn may_manage(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    who: &Memberships,
    package: &PackageRecord,
) -> ActionResult<bool> {
    // An `admin` collaborator, while the site allows them.
    if ctx.site().auth.allow_admin_collaborators
        && who.collaborations.get(&package.id) == Some(&datahavn_domain::group::Capacity::Admin)
    {
        return Ok(true);
    }
    let access = package.access();
    // The chain above the organization is loaded only when the caller's own roles do not decide.
    if authz::can_manage_collaborators(who, &access, &[]) {
        return Ok(true);
    }
    let chain = match &package.owner_org {
        Some(org_id) => match tx.group_by_id_or_name(org_id)? {
            Some(org) => chain_for(tx, who, &org)?,
            None => Vec::new(),
        },
        None => Vec::new(),
    };
    Ok(authz::can_manage_collaborators(who, &access, &chain))
}

/// A collaborator of a dataset.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollaboratorDict {
    pub package_id: String,
    pub user_id: String,
    /// `editor` or `member`.
    #[schema(example = "editor")]
    pub capacity: String,
    /// When the collaboration was made or last changed: `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC.
    #[schema(value_type = String, example = "2026-11-26T17:49:19.123456")]
    pub modified: Timestamp,
}

impl From<&Collaborator> for CollaboratorDict {
    fn from(c: &Collaborator) -> Self {
        Self {
            package_id: c.package_id.clone(),
            user_id: c.user_id.clone(),
            capacity: c.capacity.clone(),
            modified: c.modified,
        }
    }
}

/// A dataset a user collaborates in.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserCollaborationDict {
    pub package_id: String,
    /// `editor` or `member`.
    #[schema(example = "editor")]
    pub capacity: String,
    /// When the collaboration was made or last changed: `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC.
    #[schema(value_type = String, example = "2026-11-26T17:49:19.123456")]
    pub modified: Timestamp,
}

/// An optional `capacity` filter, checked against the allowed ones.
fn capacity_filter(ctx: &Context<'_>, capacity: Option<String>) -> ActionResult<Option<String>> {
    match capacity.filter(|c| !c.is_empty()) {
        Some(c) if !capacities(ctx).contains(&c.as_str()) => {
            Err(plain_error("message", format!("Capacity must be one of \"{}\"", capacities_text(ctx))))
        }
        other => Ok(other),
    }
}

pub const PACKAGE_COLLABORATOR_CREATE: Action = Action {
    name: "package_collaborator_create",
    side_effect_free: false,
    tag: "datasets",
    doc: "Make a user a collaborator in a dataset.\n\n\
          If the user is already a collaborator, their capacity is updated. A `member` may read \
          the dataset while it is private or a draft; an `editor` may also edit it.\n\n\
          You must be an admin of the dataset's organization or of an organization above it \
          (or, for a dataset without one, its creator) or a sysadmin. Only while the site \
          allows collaborators (`--auth-allow-dataset-collaborators`).\n\n\
          :returns: the new (or updated) collaborator `{package_id, user_id, capacity, modified}`\n\
          :rtype: dictionary",
    request: request_doc::<PackageCollaboratorCreateRequest>,
    response: response_doc::<CollaboratorDict>,
    errors: &[
        (403, "Anonymous, or not an admin of the dataset's organization"),
        (404, "`Not found: Dataset not found` or `Not found: User not found`"),
        (409, "A key missing, or `{\"message\": \"Role must be one of \\\"editor, member\\\"\"}`"),
    ],
    run: |ctx, params| package_collaborator_create(ctx, PackageCollaboratorCreateRequest::parse(params)?),
};

request! {
    /// The dataset, the user and their capacity.
    pub struct PackageCollaboratorCreateRequest {
        /// The id or name of the dataset.
        pub id: String,
        /// The id or name of the user to add or change.
        pub user_id: String,
        /// `editor` or `member`.
        pub capacity: String,
    }
}

fn package_collaborator_create(ctx: &Context<'_>, request: PackageCollaboratorCreateRequest) -> ActionResult {
    let PackageCollaboratorCreateRequest { id: package_ref, user_id: user_ref, capacity } = request;
    if !capacities(ctx).contains(&capacity.as_str()) {
        return Err(plain_error("message", format!("Role must be one of \"{}\"", capacities_text(ctx))));
    }
    authenticated(ctx, "package_collaborator_create")?;
    let collaborator = ctx.store().write(|tx| {
        let package = tx
            .package_by_id_or_name(&package_ref)?
            .ok_or_else(|| ActionError::not_found("Dataset not found"))?;
        let who = memberships(tx, ctx)?;
        if !may_manage(ctx, tx, &who, &package)? {
            return Err(ActionError::denied(format!(
                "User {} not authorized to add collaborators to this dataset",
                ctx.actor.name()
            )));
        }
        let user =
            tx.user_by_id_or_name(&user_ref)?.ok_or_else(|| ActionError::not_found("User not found"))?;
        require_enabled(ctx)?;
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
    to_json(&CollaboratorDict::from(&collaborator))
}

pub const PACKAGE_COLLABORATOR_LIST: Action = Action {
    name: "package_collaborator_list",
    side_effect_free: true,
    tag: "datasets",
    doc: "Return the collaborators of a dataset.\n\n\
          You must be an admin of the dataset's organization or of an organization above it \
          (or, for a dataset without one, its creator) or a sysadmin.\n\n\
          :returns: `[{package_id, user_id, capacity, modified}]`\n:rtype: list of dictionaries",
    request: request_doc::<PackageCollaboratorListRequest>,
    response: response_doc::<Vec<CollaboratorDict>>,
    errors: &[
        (403, "Not an admin of the dataset's organization"),
        (404, "`Not found: Package not found`"),
        (409, "`id` missing, or `{\"message\": \"Capacity must be one of \\\"editor, member\\\"\"}`"),
    ],
    run: |ctx, params| package_collaborator_list(ctx, PackageCollaboratorListRequest::parse(params)?),
};

request! {
    /// The dataset, and the capacity to list.
    pub struct PackageCollaboratorListRequest {
        /// The id or name of the dataset.
        pub id: String => |p, k, _| required(p, [k]).map(|[v]| v),
        /// Only collaborators with this capacity (`editor` or `member`).
        pub capacity: Option<String>,
    }
}

fn package_collaborator_list(ctx: &Context<'_>, request: PackageCollaboratorListRequest) -> ActionResult {
    let list = ctx.store().read(|tx| {
        let package = tx
            .package_by_id_or_name(&request.id)?
            .ok_or_else(|| ActionError::not_found("Package not found"))?;
        let who = memberships(tx, ctx)?;
        if !may_manage(ctx, tx, &who, &package)? {
            return Err(ActionError::denied(format!(
                "User {} not authorized to list collaborators from this dataset",
                ctx.actor.name()
            )));
        }
        require_enabled(ctx)?;
        let capacity = capacity_filter(ctx, request.capacity)?;
        let all = tx.collaborators_of(&package.id)?;
        Ok::<_, ActionError>(
            all.iter()
                .filter(|c| capacity.as_deref().is_none_or(|wanted| c.capacity == wanted))
                .map(CollaboratorDict::from)
                .collect::<Vec<_>>(),
        )
    })?;
    to_json(&list)
}

pub const PACKAGE_COLLABORATOR_DELETE: Action = Action {
    name: "package_collaborator_delete",
    side_effect_free: false,
    tag: "datasets",
    doc: "Remove a collaborator from a dataset.\n\n\
          You must be an admin of the dataset's organization or of an organization above it \
          (or, for a dataset without one, its creator) or a sysadmin.\n\n:rtype: null",
    request: request_doc::<PackageCollaboratorDeleteRequest>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Anonymous, or not an admin of the dataset's organization"),
        (
            404,
            "`Not found: Package not found`, `Not found: User not found` or \
             `Not found: User <user_id> is not a collaborator on this package`",
        ),
        (409, "A key missing"),
    ],
    run: |ctx, params| package_collaborator_delete(ctx, PackageCollaboratorDeleteRequest::parse(params)?),
};

request! {
    /// The dataset and the user to remove.
    pub struct PackageCollaboratorDeleteRequest {
        /// The id or name of the dataset.
        pub id: String,
        /// The id or name of the user to remove.
        pub user_id: String,
    }
}

fn package_collaborator_delete(ctx: &Context<'_>, request: PackageCollaboratorDeleteRequest) -> ActionResult {
    let PackageCollaboratorDeleteRequest { id: package_ref, user_id: user_ref } = request;
    authenticated(ctx, "package_collaborator_delete")?;
    require_enabled(ctx)?;
    ctx.store().write(|tx| {
        let package = tx
            .package_by_id_or_name(&package_ref)?
            .ok_or_else(|| ActionError::not_found("Package not found"))?;
        let who = memberships(tx, ctx)?;
        if !may_manage(ctx, tx, &who, &package)? {
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
    Ok(serde_json::Value::Null)
}

pub const PACKAGE_COLLABORATOR_LIST_FOR_USER: Action = Action {
    name: "package_collaborator_list_for_user",
    side_effect_free: true,
    tag: "datasets",
    doc: "Return the datasets a user is a collaborator in.\n\n\
          Only for the user themself (and sysadmins).\n\n\
          :returns: `[{package_id, capacity, modified}]`\n:rtype: list of dictionaries",
    request: request_doc::<PackageCollaboratorListForUserRequest>,
    response: response_doc::<Vec<UserCollaborationDict>>,
    errors: &[
        (
            403,
            "Not yourself (nor a sysadmin), or `Access denied: Not allowed to retrieve collaborators` for an unknown user",
        ),
        (409, "`id` missing, or `{\"message\": \"Capacity must be one of \\\"editor, member\\\"\"}`"),
    ],
    run: |ctx, params| {
        package_collaborator_list_for_user(ctx, PackageCollaboratorListForUserRequest::parse(params)?)
    },
};

request! {
    /// The user (`id`, or `user`), and the capacity to list.
    pub struct PackageCollaboratorListForUserRequest {
        /// The id or name of the user: yourself, unless you are a sysadmin. Required unless
        /// `user` is given.
        pub id: Option<String>,
        /// The id or name of the user, when `id` is not given.
        pub user: Option<String>,
        /// Only datasets where the user has this capacity (`editor` or `member`).
        pub capacity: Option<String>,
    }
}

fn package_collaborator_list_for_user(
    ctx: &Context<'_>,
    request: PackageCollaboratorListForUserRequest,
) -> ActionResult {
    let given = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    let user_ref = given(request.id)
        .or_else(|| given(request.user))
        .ok_or_else(|| ActionError::field("id", MISSING_VALUE))?;
    let is_self =
        ctx.actor.is_user(&user_ref) || (ctx.actor.is_authenticated() && ctx.actor.name() == user_ref);
    if !ctx.actor.is_sysadmin() && !is_self {
        return Err(ActionError::NotAuthorized(None));
    }
    require_enabled(ctx)?;
    let list = ctx.store().read(|tx| {
        let user = tx
            .user_by_id_or_name(&user_ref)?
            .ok_or_else(|| ActionError::denied("Not allowed to retrieve collaborators"))?;
        let capacity = capacity_filter(ctx, request.capacity)?;
        let rows = tx.collaborator_rows_of_user(&user.id)?;
        Ok::<_, ActionError>(
            rows.iter()
                .filter(|c| capacity.as_deref().is_none_or(|wanted| c.capacity == wanted))
                .map(|c| UserCollaborationDict {
                    package_id: c.package_id.clone(),
                    capacity: c.capacity.clone(),
                    modified: c.modified,
                })
                .collect::<Vec<_>>(),
        )
    })?;
    to_json(&list)
}
