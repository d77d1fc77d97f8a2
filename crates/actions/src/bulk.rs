//! Changing many datasets of an organization at once, and moving a dataset to another
//! organization. Every change is a dataset write (validation, rendering, activity).

use datahavn_domain::authz;
use datahavn_domain::group::Group;
use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_domain::{ValidationErrors, catalog::PackageRecord};
use serde_json::Value;

use crate::access::{memberships, require_edit};
use crate::args::{authenticated, optional, required};
use crate::package::{Write, as_input, write_package};
use crate::{Action, ActionError, ActionResult, Context};

/// The `datasets` list: ids (or names), as a list or a single string.
fn dataset_refs(params: &Params) -> ActionResult<Vec<String>> {
    match params.get("datasets") {
        None => Err(ActionError::field("datasets", MISSING_VALUE)),
        Some(Value::String(one)) if one.trim().is_empty() => {
            Err(ActionError::field("datasets", MISSING_VALUE))
        }
        Some(Value::String(one)) => Ok(vec![one.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(ActionError::field("datasets", "Not a list of strings")),
            })
            .collect(),
        Some(_) => Err(ActionError::field("datasets", "Not a list of strings")),
    }
}

/// What a bulk action sets on each dataset.
#[derive(Clone, Copy)]
enum Change {
    Private(bool),
    Delete,
}

fn bulk_update(ctx: &Context<'_>, params: &Params, action: &str, change: Change) -> ActionResult {
    authenticated(ctx, action)?;
    let [org_ref] = required(params, ["org_id"])?;
    let refs = dataset_refs(params)?;
    ctx.store().write(|tx| {
        let org = tx
            .group_by_id_or_name(&org_ref)?
            .filter(Group::is_active)
            .filter(|g| g.is_organization)
            .ok_or_else(|| ActionError::not_found("Organization was not found."))?;
        let who = memberships(tx, &ctx.actor)?;
        if !authz::is_group_admin(&who, &org.id) {
            return Err(ActionError::NotAuthorized(None));
        }
        let mut errors = ValidationErrors::new();
        let mut records: Vec<PackageRecord> = Vec::with_capacity(refs.len());
        for reference in &refs {
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
            write_package(ctx, tx, &who, &input, Some(record), Write::Update)?;
        }
        log::info!("{action}: {} datasets of {} changed by {:?}", records.len(), org.name, ctx.actor.name());
        Ok::<_, ActionError>(())
    })?;
    Ok(Value::Null)
}

pub const BULK_UPDATE_PRIVATE: Action = Action {
    name: "bulk_update_private",
    side_effect_free: false,
    doc: "Make datasets of an organization private, in one transaction.\n\nYou must be an \
          admin of the organization (or a sysadmin).\n\n\
          :param org_id: the id or name of the organization\n:type org_id: string\n\
          :param datasets: the ids (or names) of the datasets; each must belong to the organization\n\
          :type datasets: list of strings\n:rtype: null",
    run: |ctx, params| bulk_update(ctx, params, "bulk_update_private", Change::Private(true)),
    ..crate::UNTYPED
};

pub const BULK_UPDATE_PUBLIC: Action = Action {
    name: "bulk_update_public",
    side_effect_free: false,
    doc: "Make datasets of an organization public, in one transaction.\n\nYou must be an \
          admin of the organization (or a sysadmin).\n\n\
          :param org_id: the id or name of the organization\n:type org_id: string\n\
          :param datasets: the ids (or names) of the datasets; each must belong to the organization\n\
          :type datasets: list of strings\n:rtype: null",
    run: |ctx, params| bulk_update(ctx, params, "bulk_update_public", Change::Private(false)),
    ..crate::UNTYPED
};

pub const BULK_UPDATE_DELETE: Action = Action {
    name: "bulk_update_delete",
    side_effect_free: false,
    doc: "Delete datasets of an organization (state `deleted`), in one transaction.\n\nYou must \
          be an admin of the organization (or a sysadmin).\n\n\
          :param org_id: the id or name of the organization\n:type org_id: string\n\
          :param datasets: the ids (or names) of the datasets; each must belong to the organization\n\
          :type datasets: list of strings\n:rtype: null",
    run: |ctx, params| bulk_update(ctx, params, "bulk_update_delete", Change::Delete),
    ..crate::UNTYPED
};

pub const PACKAGE_OWNER_ORG_UPDATE: Action = Action {
    name: "package_owner_org_update",
    side_effect_free: false,
    doc: "Move a dataset to another organization.\n\nYou must be allowed to edit the dataset \
          and to add datasets to the new organization. Every dataset in datahavn belongs to an \
          organization, so `organization_id` cannot be removed.\n\n\
          :param id: the id or name of the dataset\n:type id: string\n\
          :param organization_id: the id or name of the new organization\n\
          :type organization_id: string\n:rtype: null",
    run: package_owner_org_update,
    ..crate::UNTYPED
};

fn package_owner_org_update(ctx: &Context<'_>, params: &Params) -> ActionResult {
    authenticated(ctx, "package_owner_org_update")?;
    let id = optional(params, "id")?.unwrap_or_default();
    let org_ref = optional(params, "organization_id")?.filter(|o| !o.trim().is_empty());
    ctx.store().write(|tx| {
        let record = tx
            .package_by_id_or_name(&id)?
            .filter(|_| !id.is_empty())
            .ok_or_else(|| ActionError::not_found("Package was not found."))?;
        let who = memberships(tx, &ctx.actor)?;
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
        if !authz::can_create_dataset_in(&who, &org.id) {
            return Err(ActionError::denied(format!(
                "User {} not authorized to add dataset to this organization",
                ctx.actor.name()
            )));
        }
        let mut input = as_input(&record);
        input.insert("owner_org".into(), org.id.clone().into());
        write_package(ctx, tx, &who, &input, Some(&record), Write::Update)?;
        log::info!("dataset {} moved to organization {} by {:?}", record.name, org.name, ctx.actor.name());
        Ok::<_, ActionError>(())
    })?;
    Ok(Value::Null)
}
