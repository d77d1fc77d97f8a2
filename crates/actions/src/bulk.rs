//! Changing many datasets of an organization at once, and moving a dataset to another
//! organization. Every change is a dataset write (validation, rendering, activity).

use datahavn_domain::authz::{self, Permission};
use datahavn_domain::group::Group;
use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_domain::{ValidationErrors, catalog::PackageRecord};
use serde_json::Value;

use crate::access::{cascaded_into, chain_for, memberships, require_edit};
use crate::activity;
use crate::args::{authenticated, optional};
use crate::package::{Write, as_input, required_now, write_package};
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context};

/// The `datasets` list: ids (or names), as a list or a single string; a bad one is a 409 at
/// once.
fn dataset_refs(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<Vec<String>> {
    match params.get(key) {
        None => Err(ActionError::field(key, MISSING_VALUE)),
        Some(Value::String(one)) if one.trim().is_empty() => Err(ActionError::field(key, MISSING_VALUE)),
        Some(Value::String(one)) => Ok(vec![one.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(ActionError::field(key, "Not a list of strings")),
            })
            .collect(),
        Some(_) => Err(ActionError::field(key, "Not a list of strings")),
    }
}

request! {
    /// The organization and the datasets of it to change.
    pub struct BulkUpdateRequest {
        /// The id or name of the organization.
        pub org_id: String => required_now,
        /// The ids (or names) of the datasets; each must belong to the organization.
        pub datasets: Vec<String> => dataset_refs,
    }
}

/// What a bulk action sets on each dataset.
#[derive(Clone, Copy)]
enum Change {
    Private(bool),
    Delete,
}

/// CKAN refuses anonymous callers before it reads the request.
fn bulk(ctx: &Context<'_>, params: &Params, action: &str, change: Change) -> ActionResult {
    authenticated(ctx, action)?;
    bulk_update(ctx, BulkUpdateRequest::parse(params)?, action, change)
}

fn bulk_update(ctx: &Context<'_>, request: BulkUpdateRequest, action: &str, change: Change) -> ActionResult {
    let BulkUpdateRequest { org_id, datasets } = request;
    ctx.store().write(|tx| {
        let org = tx
            .group_by_id_or_name(&org_id)?
            .filter(Group::is_active)
            .filter(|g| g.is_organization)
            .ok_or_else(|| ActionError::not_found("Organization was not found."))?;
        let who = memberships(tx, ctx)?;
        // CKAN's `update` permission in the organization: its admins and admins of an
        // organization above it.
        let chain = chain_for(tx, &who, &org)?;
        if !authz::has_permission(&who, &org.id, &chain, Permission::Update) {
            return Err(ActionError::NotAuthorized(None));
        }
        // The datasets are written with the role the hierarchy gives the caller there.
        let who = who.with_cascaded_role(&org.id, &chain);
        let mut errors = ValidationErrors::new();
        let mut records: Vec<PackageRecord> = Vec::with_capacity(datasets.len());
        for reference in &datasets {
            match tx.package_by_id_or_name(reference)? {
                Some(record) if record.owner_org.as_deref() == Some(org.id.as_str()) => {
                    if !records.iter().any(|r| r.id == record.id) {
                        records.push(record);
                    }
                }
                Some(_) => errors.add(
                    "datasets",
                    format!("Dataset {reference} does not belong to organization {}", org.name),
                ),
                None => errors.add("datasets", format!("Dataset {reference} was not found")),
            }
        }
        errors.into_result()?;
        for record in &records {
            let mut input = as_input(record);
            match change {
                Change::Private(private) => input.insert("private".into(), private.into()),
                Change::Delete => input.insert("state".into(), "deleted".into()),
            };
            write_package(ctx, tx, &who, &input, Some(record), Write::Quiet)?;
        }
        // CKAN's activity plugin records a change for every dataset named, in the order named,
        // whether or not it changed (a deleted one's `deleted package` once).
        for reference in &datasets {
            if let Some(record) = tx.package_by_id_or_name(reference)? {
                let rendered: Value = serde_json::from_str(&record.rendered)
                    .map_err(|e| ActionError::Internal(format!("package {}: {e}", record.id)))?;
                activity::record_package_change(ctx, tx, &record, rendered)?;
            }
        }
        log::info!("{action}: {} datasets of {} changed by {:?}", records.len(), org.name, ctx.actor.name());
        Ok::<_, ActionError>(())
    })?;
    Ok(Value::Null)
}

/// The failures of the bulk actions.
const BULK_ERRORS: &[(u16, &str)] = &[
    (403, "Not logged in, or not an admin of the organization or of one above it"),
    (404, "`Not found: Organization was not found.`"),
    (409, "A key missing, or a dataset not found or not of that organization"),
];

pub const BULK_UPDATE_PRIVATE: Action = Action {
    name: "bulk_update_private",
    side_effect_free: false,
    tag: "datasets",
    doc: "Make a list of datasets private.\n\n\
          The datasets of an organization change in one transaction. You must be an admin of \
          the organization or of an organization above it (or a sysadmin).\n\n:rtype: null",
    request: request_doc::<BulkUpdateRequest>,
    response: response_doc::<Option<String>>,
    errors: BULK_ERRORS,
    run: |ctx, params| bulk(ctx, params, "bulk_update_private", Change::Private(true)),
};

pub const BULK_UPDATE_PUBLIC: Action = Action {
    name: "bulk_update_public",
    side_effect_free: false,
    tag: "datasets",
    doc: "Make a list of datasets public.\n\n\
          The datasets of an organization change in one transaction. You must be an admin of \
          the organization or of an organization above it (or a sysadmin).\n\n:rtype: null",
    request: request_doc::<BulkUpdateRequest>,
    response: response_doc::<Option<String>>,
    errors: BULK_ERRORS,
    run: |ctx, params| bulk(ctx, params, "bulk_update_public", Change::Private(false)),
};

pub const BULK_UPDATE_DELETE: Action = Action {
    name: "bulk_update_delete",
    side_effect_free: false,
    tag: "datasets",
    doc: "Make a list of datasets deleted.\n\n\
          Their state becomes `deleted`, in one transaction. You must be an admin of the \
          organization or of an organization above it (or a sysadmin).\n\n:rtype: null",
    request: request_doc::<BulkUpdateRequest>,
    response: response_doc::<Option<String>>,
    errors: BULK_ERRORS,
    run: |ctx, params| bulk(ctx, params, "bulk_update_delete", Change::Delete),
};

pub const PACKAGE_OWNER_ORG_UPDATE: Action = Action {
    name: "package_owner_org_update",
    side_effect_free: false,
    tag: "datasets",
    doc: "Update the owning organization of a dataset.\n\n\
          You must be allowed to edit the dataset and to add datasets to the new organization; \
          an admin of an organization above either counts as an admin of it. Every dataset in \
          datahavn belongs to an organization, so `organization_id` cannot be removed.\n\n\
          :rtype: null",
    request: request_doc::<OwnerOrgUpdateRequest>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Not logged in, or not allowed to edit the dataset or to add datasets to the organization"),
        (404, "`Not found: Package was not found.` or `Not found: Organization was not found.`"),
        (409, "`organization_id` missing or empty, or a key that is not text"),
    ],
    run: |ctx, params| {
        authenticated(ctx, "package_owner_org_update")?;
        package_owner_org_update(ctx, OwnerOrgUpdateRequest::parse(params)?)
    },
};

/// Optional text; a list or dict is a 409 at once.
fn text_now(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<Option<String>> {
    optional(params, key)
}

request! {
    /// The dataset and its new organization.
    pub struct OwnerOrgUpdateRequest {
        /// The id or name of the dataset.
        pub id: Option<String> => text_now,
        /// The id or name of the new organization.
        pub organization_id: Option<String> => text_now,
    }
}

fn package_owner_org_update(ctx: &Context<'_>, request: OwnerOrgUpdateRequest) -> ActionResult {
    let id = request.id.unwrap_or_default();
    let org_ref = request.organization_id.filter(|o| !o.trim().is_empty());
    ctx.store().write(|tx| {
        let record = tx
            .package_by_id_or_name(&id)?
            .filter(|_| !id.is_empty())
            .ok_or_else(|| ActionError::not_found("Package was not found."))?;
        let mut who = memberships(tx, ctx)?;
        // Roles cascade from organizations above: in the dataset's organization and the new one.
        if let Some(current) = record.owner_org.as_deref()
            && let Some(current) = tx.group_by_id_or_name(current)?
        {
            who = cascaded_into(tx, who, &current)?;
        }
        require_edit(&who, &record)?;
        let Some(org_ref) = &org_ref else {
            return Err(ActionError::field("organization_id", "An organization must be provided"));
        };
        let org = tx
            .group_by_id_or_name(org_ref)?
            .filter(|g| g.is_organization && g.is_active())
            .ok_or_else(|| ActionError::not_found("Organization was not found."))?;
        if record.owner_org.as_deref() == Some(org.id.as_str()) {
            return Ok(());
        }
        let who = cascaded_into(tx, who, &org)?;
        if !authz::can_create_dataset_in(&who, &org.id) {
            return Err(ActionError::denied(format!(
                "User {} not authorized to add dataset to this organization",
                ctx.actor.name()
            )));
        }
        let mut input = as_input(&record);
        input.insert("owner_org".into(), org.id.clone().into());
        // CKAN moves the dataset without an activity.
        write_package(ctx, tx, &who, &input, Some(&record), Write::Quiet)?;
        log::info!("dataset {} moved to organization {} by {:?}", record.name, org.name, ctx.actor.name());
        Ok::<_, ActionError>(())
    })?;
    Ok(Value::Null)
}
