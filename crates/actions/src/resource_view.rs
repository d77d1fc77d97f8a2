//! Resource views: how a resource is shown (a table, a map, an image, ...). A view is
//! `{id, resource_id, title, description, view_type, <its configuration keys>, package_id}`.
//!
//! datahavn renders no views itself, so every `view_type` is accepted and the configuration is
//! kept as sent. Reading a view needs `package_show`'s rights on its dataset; changing one needs
//! the right to edit the dataset.

use std::collections::HashSet;

use datahavn_domain::ValidationErrors;
use datahavn_domain::authz;
use datahavn_domain::catalog::{PackageRecord, ResourceRecord, ResourceView};
use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_storage::Tx;
use serde_json::{Map, Value, json};

use crate::access::memberships;
use crate::args::{authenticated, plain_error, required};
use crate::package::find_package;
use crate::{Action, ActionError, ActionResult, Context};

/// Keys that are columns of a view (or computed), never configuration.
const COLUMNS: &[&str] =
    &["id", "resource_id", "title", "description", "view_type", "order", "config", "package_id"];

/// The configuration keys of a request: every non-column key, and the entries of a `config`
/// dict (or of a JSON text holding one).
fn config_of(params: &Params) -> Map<String, Value> {
    let mut config = Map::new();
    let embedded = match params.get("config") {
        Some(Value::Object(map)) => Some(map.clone()),
        Some(Value::String(text)) => match serde_json::from_str(text) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        },
        _ => None,
    };
    for (key, value) in embedded.into_iter().flatten() {
        config.insert(key, value);
    }
    for (key, value) in params.as_map() {
        if !COLUMNS.contains(&key.as_str()) {
            config.insert(key.clone(), value.clone());
        }
    }
    config
}

/// The view dict, in CKAN's key order.
fn render(view: &ResourceView, package_id: &str) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), view.id.clone().into());
    out.insert("resource_id".into(), view.resource_id.clone().into());
    for (key, value) in &view.document {
        out.insert(key.clone(), value.clone());
    }
    out.insert("package_id".into(), package_id.into());
    Value::Object(out)
}

fn document(
    title: Value,
    description: Value,
    view_type: Value,
    config: Map<String, Value>,
) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("title".into(), title);
    doc.insert("description".into(), description);
    doc.insert("view_type".into(), view_type);
    for (key, value) in config {
        doc.insert(key, value);
    }
    doc
}

/// A resource and its dataset.
fn resource_and_package(
    tx: &mut Tx<'_>,
    resource_id: &str,
    missing: Option<&str>,
) -> ActionResult<(ResourceRecord, PackageRecord)> {
    let resource =
        tx.resource_by_id(resource_id)?.ok_or_else(|| ActionError::NotFound(missing.map(str::to_owned)))?;
    let package = find_package(tx, &resource.package_id, missing)?;
    Ok((resource, package))
}

fn require_read(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    package: &PackageRecord,
    resource_id: &str,
) -> ActionResult<()> {
    let who = memberships(tx, &ctx.actor)?;
    if authz::can_read_package(&who, &package.access()) {
        Ok(())
    } else {
        Err(ActionError::denied(format!(
            "User {} not authorized to read resource {resource_id}",
            ctx.actor.name()
        )))
    }
}

/// 403 with `reason` unless the caller may edit the dataset.
fn require_edit(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    package: &PackageRecord,
    reason: String,
) -> ActionResult<()> {
    let who = memberships(tx, &ctx.actor)?;
    if authz::can_edit_package(&who, &package.access()) { Ok(()) } else { Err(ActionError::denied(reason)) }
}

fn text_field(params: &Params, key: &str, errors: &mut ValidationErrors) -> Option<Value> {
    params.string(key, errors).map(Value::String)
}

pub const RESOURCE_VIEW_CREATE: Action = Action {
    name: "resource_view_create",
    side_effect_free: false,
    doc: "Create a resource view. Keys beyond the listed ones are the view's configuration and \
          are returned as sent (a `config` dict is merged into them).\n\n\
          You must be allowed to edit the resource's dataset.\n\n\
          :param resource_id: the id of the resource\n:type resource_id: string\n\
          :param title: the title of the view\n:type title: string\n\
          :param description: (optional)\n:type description: string\n\
          :param view_type: the type of view (any name; datahavn renders none itself)\n\
          :type view_type: string\n\
          :param id: (sysadmins only, optional) a UUID for the view\n\
          :returns: the new view\n:rtype: dictionary",
    run: resource_view_create,
    ..crate::UNTYPED
};

fn resource_view_create(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let [resource_id] = required(params, ["resource_id"])?;
    let [view_type] = required(params, ["view_type"])?;
    let mut errors = ValidationErrors::new();
    let wanted_id = params.string("id", &mut errors).filter(|id| !id.is_empty());
    let config = config_of(params);
    ctx.store().write(|tx| {
        if let Some(id) = &wanted_id {
            if !ctx.actor.is_sysadmin() {
                errors.add("id", "The input field id was not expected.");
            } else if uuid::Uuid::parse_str(id).is_err() {
                errors.add("id", "Invalid id provided");
            } else if tx.resource_view_by_id(id)?.is_some() {
                errors.add("id", "ResourceView id already exists");
            }
        }
        let resource = tx.resource_by_id(&resource_id)?;
        if resource.is_none() {
            errors.add("resource_id", format!("Resource not found: {resource_id}"));
        }
        let title = params.required_string("title", &mut errors);
        let description = text_field(params, "description", &mut errors);
        errors.into_result()?;
        let resource = resource.ok_or(ActionError::NotFound(None))?;
        authenticated(ctx, "resource_view_create")?;
        let package = find_package(tx, &resource.package_id, None)?;
        require_edit(
            ctx,
            tx,
            &package,
            format!("User {} not authorized to create resources on dataset {}", ctx.actor.name(), package.id),
        )?;
        let view = ResourceView {
            id: wanted_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            resource_id: resource.id.clone(),
            position: tx.next_resource_view_position(&resource.id)?,
            document: document(
                title.map_or(Value::Null, Value::String),
                description.unwrap_or(Value::Null),
                Value::String(view_type.clone()),
                config,
            ),
        };
        tx.insert_resource_view(&view)?;
        log::info!("resource view {} ({view_type}) created on resource {}", view.id, resource.id);
        Ok(render(&view, &package.id))
    })
}

pub const RESOURCE_VIEW_SHOW: Action = Action {
    name: "resource_view_show",
    side_effect_free: true,
    doc: "Return a resource view.\n\n:param id: the id of the view\n:type id: string\n:rtype: dictionary",
    run: resource_view_show,
    ..crate::UNTYPED
};

fn resource_view_show(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let [id] = required(params, ["id"])?;
    ctx.store().read(|tx| {
        let view = tx
            .resource_view_by_id(&id)?
            .ok_or_else(|| ActionError::not_found("Resource view not found, cannot check auth."))?;
        let (resource, package) = resource_and_package(tx, &view.resource_id, None)?;
        require_read(ctx, tx, &package, &resource.id)?;
        Ok(render(&view, &package.id))
    })
}

pub const RESOURCE_VIEW_LIST: Action = Action {
    name: "resource_view_list",
    side_effect_free: true,
    doc: "Return the views of a resource, in their order.\n\n\
          :param id: the id of the resource\n:type id: string\n:rtype: list of dictionaries",
    run: resource_view_list,
    ..crate::UNTYPED
};

fn resource_view_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let [id] = required(params, ["id"])?;
    ctx.store().read(|tx| {
        let (resource, package) = resource_and_package(tx, &id, None)?;
        require_read(ctx, tx, &package, &resource.id)?;
        let views = tx.resource_views_of(&resource.id)?;
        Ok(Value::Array(views.iter().map(|v| render(v, &package.id)).collect()))
    })
}

pub const RESOURCE_VIEW_UPDATE: Action = Action {
    name: "resource_view_update",
    side_effect_free: false,
    doc: "Update a resource view. `title`, `description` and `resource_id` keep their values \
          when not given; `view_type` cannot change; the configuration keys sent replace the \
          stored ones.\n\nYou must be allowed to edit the resource's dataset.\n\n\
          :param id: the id of the view\n:type id: string\n:returns: the updated view\n:rtype: dictionary",
    run: resource_view_update,
    ..crate::UNTYPED
};

fn resource_view_update(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let [id] = required(params, ["id"])?;
    let config = config_of(params);
    ctx.store().write(|tx| {
        let stored = tx
            .resource_view_by_id(&id)?
            .ok_or_else(|| ActionError::not_found("Resource view was not found."))?;
        let mut errors = ValidationErrors::new();
        let target = params.string("resource_id", &mut errors).filter(|r| !r.is_empty());
        if let Some(target) = &target
            && tx.resource_by_id(target)?.is_none()
        {
            errors.add("resource_id", format!("Resource not found: {target}"));
        }
        let title = text_field(params, "title", &mut errors);
        let description = text_field(params, "description", &mut errors);
        errors.into_result()?;
        let (resource, package) =
            resource_and_package(tx, &stored.resource_id, Some("Resource was not found."))?;
        authenticated(ctx, "resource_view_update")?;
        let denied = |rid: &str| format!("User {} not authorized to edit resource {rid}", ctx.actor.name());
        require_edit(ctx, tx, &package, denied(&resource.id))?;
        let (resource, package) = match target.filter(|t| *t != resource.id) {
            None => (resource, package),
            Some(target) => {
                let (other, other_package) =
                    resource_and_package(tx, &target, Some("Resource was not found."))?;
                require_edit(ctx, tx, &other_package, denied(&other.id))?;
                (other, other_package)
            }
        };
        let field = |key: &str, given: Option<Value>| {
            given.unwrap_or_else(|| stored.document.get(key).cloned().unwrap_or(Value::Null))
        };
        let position = if resource.id == stored.resource_id {
            stored.position
        } else {
            tx.next_resource_view_position(&resource.id)?
        };
        let view = ResourceView {
            id: stored.id.clone(),
            resource_id: resource.id.clone(),
            position,
            document: document(
                field("title", title),
                field("description", description),
                field("view_type", None),
                config,
            ),
        };
        tx.update_resource_view(&view)?;
        Ok(render(&view, &package.id))
    })
}

pub const RESOURCE_VIEW_DELETE: Action = Action {
    name: "resource_view_delete",
    side_effect_free: false,
    doc: "Delete a resource view.\n\nYou must be allowed to edit the resource's dataset.\n\n\
          :param id: the id of the view\n:type id: string\n\
          :returns: `{resource_id}` of the view's resource\n:rtype: dictionary",
    run: resource_view_delete,
    ..crate::UNTYPED
};

fn resource_view_delete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let [id] = required(params, ["id"])?;
    ctx.store().write(|tx| {
        let view = tx.resource_view_by_id(&id)?.ok_or(ActionError::NotFound(None))?;
        authenticated(ctx, "resource_view_delete")?;
        let (resource, package) = resource_and_package(tx, &view.resource_id, None)?;
        require_edit(
            ctx,
            tx,
            &package,
            format!("User {} not authorized to delete resource {}", ctx.actor.name(), resource.id),
        )?;
        tx.delete_resource_view(&view.id)?;
        log::info!("resource view {} deleted from resource {}", view.id, resource.id);
        Ok(json!({"resource_id": resource.id}))
    })
}

pub const RESOURCE_VIEW_REORDER: Action = Action {
    name: "resource_view_reorder",
    side_effect_free: false,
    doc: "Reorder the views of a resource: the listed ids go first, in that order; the others \
          follow in their current order.\n\nYou must be allowed to edit the resource's dataset.\n\n\
          :param id: the id of the resource\n:type id: string\n\
          :param order: list of view ids\n:type order: list of strings\n\
          :returns: `{id, order}` with every view id in its new order\n:rtype: dictionary",
    run: resource_view_reorder,
    ..crate::UNTYPED
};

fn resource_view_reorder(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let id = params.required_string("id", &mut errors);
    if !params.contains("order") {
        errors.add("order", MISSING_VALUE);
    }
    errors.into_result()?;
    let id = id.ok_or_else(|| ActionError::field("id", MISSING_VALUE))?;
    let order: Vec<String> = match params.get("order") {
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) => out.push(s.clone()),
                    Value::Number(n) => out.push(n.to_string()),
                    _ => return Err(plain_error("order", "Must supply order as a list")),
                }
            }
            out
        }
        _ => return Err(plain_error("order", "Must supply order as a list")),
    };
    if order.iter().collect::<HashSet<_>>().len() != order.len() {
        return Err(plain_error("order", "No duplicates allowed in order"));
    }
    ctx.store().write(|tx| {
        let (resource, package) = resource_and_package(tx, &id, Some("Resource was not found."))?;
        authenticated(ctx, "resource_view_reorder")?;
        require_edit(
            ctx,
            tx,
            &package,
            format!("User {} not authorized to edit resource {}", ctx.actor.name(), resource.id),
        )?;
        let mut rest: Vec<String> = tx.resource_views_of(&resource.id)?.into_iter().map(|v| v.id).collect();
        let mut ordered = Vec::with_capacity(rest.len());
        for wanted in &order {
            let Some(index) = rest.iter().position(|v| v == wanted) else {
                return Err(plain_error("order", format!("View {wanted} does not exist")));
            };
            ordered.push(rest.remove(index));
        }
        ordered.extend(rest);
        for (position, view_id) in ordered.iter().enumerate() {
            tx.set_resource_view_position(view_id, i32::try_from(position + 1).unwrap_or(i32::MAX))?;
        }
        Ok(json!({"id": id, "order": ordered}))
    })
}

pub const RESOURCE_VIEW_CLEAR: Action = Action {
    name: "resource_view_clear",
    side_effect_free: false,
    doc: "Delete every resource view of the site, or those of the given types (sysadmins only).\n\n\
          :param view_types: (optional) the view types to delete\n:type view_types: list of strings\n\
          :rtype: null",
    run: resource_view_clear,
    ..crate::UNTYPED
};

fn resource_view_clear(ctx: &Context<'_>, params: &Params) -> ActionResult {
    authenticated(ctx, "resource_view_clear")?;
    if !ctx.actor.is_sysadmin() {
        return Err(ActionError::NotAuthorized(None));
    }
    let types: Vec<String> = match params.get("view_types") {
        None => Vec::new(),
        Some(Value::String(one)) if one.is_empty() => Vec::new(),
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(_) => return Err(ActionError::field("view_types", "Not a list")),
    };
    let removed = ctx.store().write(|tx| {
        let ids: Vec<String> = tx
            .all_resource_views()?
            .into_iter()
            .filter(|v| {
                types.is_empty()
                    || v.document
                        .get("view_type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| types.iter().any(|w| w == t))
            })
            .map(|v| v.id)
            .collect();
        tx.delete_resource_views(&ids)
    })?;
    log::info!("{removed} resource views cleared by {:?}", ctx.actor.name());
    Ok(Value::Null)
}
