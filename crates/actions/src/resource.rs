//! Resource actions. A resource lives in its dataset's document, so every change is a dataset
//! write (as in CKAN, where resource_create runs package_update).

use datahavn_domain::ValidationErrors;
use datahavn_domain::package::{self as rules};
use datahavn_domain::params::{MISSING_VALUE, Params};
use serde_json::{Map, Value, json};

use crate::access::{memberships, require_edit};
use crate::package::{Write, as_input, find_package, readable, write_package};
use crate::render::render_resource;
use crate::{Action, ActionError, ActionResult, Context};

fn required(params: &Params, key: &str) -> ActionResult<String> {
    let mut errors = ValidationErrors::new();
    let value = params.required_string(key, &mut errors);
    errors.into_result()?;
    value.ok_or_else(|| ActionError::field(key, MISSING_VALUE))
}

fn resources_of(input: &Map<String, Value>) -> Vec<Value> {
    input.get("resources").and_then(Value::as_array).cloned().unwrap_or_default()
}

/// The rendered resource with this id out of a rendered dataset.
fn pick(rendered: &Value, id: &str) -> ActionResult<Value> {
    rendered["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["id"] == id)
        .cloned()
        .ok_or_else(|| ActionError::Internal(format!("resource {id} missing after write")))
}

/// Validates one resource on its own, so errors come back unwrapped (CKAN's resource actions).
fn check_resource(resource: &Map<String, Value>) -> ActionResult<Map<String, Value>> {
    let mut errors = ValidationErrors::new();
    let valid = rules::validate_resource(resource, &mut errors, "resource");
    if errors.is_empty() {
        return Ok(valid);
    }
    let mut unwrapped = ValidationErrors::new();
    for message in errors.messages("resource") {
        match message.split_once(": ") {
            Some((field, text)) => unwrapped.add(field, text),
            None => unwrapped.add("resource", message.clone()),
        }
    }
    Err(unwrapped.into())
}

pub const RESOURCE_SHOW: Action = Action {
    name: "resource_show",
    side_effect_free: true,
    doc: "Return the metadata of a resource.\n\n:param id: the id of the resource\n:rtype: dictionary",
    run: resource_show,
    ..crate::UNTYPED
};

fn resource_show(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let id = required(params, "id")?;
    ctx.store().read(|tx| {
        let resource = tx.resource_by_id(&id)?.ok_or(ActionError::NotFound(None))?;
        let record = readable(ctx, tx, &resource.package_id)?;
        let document = resources_of(&record.document);
        document
            .iter()
            .filter_map(Value::as_object)
            .enumerate()
            .find(|(_, r)| r.get("id").and_then(Value::as_str) == Some(id.as_str()))
            .map(|(position, r)| render_resource(r, &record.id, position))
            .ok_or(ActionError::NotFound(None))
    })
}

pub const RESOURCE_CREATE: Action = Action {
    name: "resource_create",
    side_effect_free: false,
    doc: "Append a new resource to a dataset.\n\n\
          :param package_id: the id or name of the dataset\n:param url: (optional, default \"\")\n\
          :param name:, :param description:, :param format: (guessed from the URL when empty), \
          :param hash:, :param mimetype:, :param size:, ... (optional; any other key is kept)\n\
          :returns: the new resource\n:rtype: dictionary",
    run: resource_create,
    ..crate::UNTYPED
};

fn resource_create(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let package_ref = required(params, "package_id")?;
    let mut resource = params.as_map().clone();
    resource.remove("package_id");
    let mut valid = check_resource(&resource)?;
    if valid.get("mimetype").is_none_or(Value::is_null) {
        let format = valid.get("format").and_then(Value::as_str).unwrap_or_default().to_owned();
        let url = valid.get("url").and_then(Value::as_str).unwrap_or_default().to_owned();
        if let Some(mimetype) = rules::guess_mimetype(&format, &url) {
            valid.insert("mimetype".into(), mimetype.into());
        }
    }
    let id = match valid.get("id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            valid.insert("id".into(), id.clone().into());
            id
        }
    };
    let (_, rendered) = ctx.store().write(|tx| {
        let record = find_package(tx, &package_ref, None)?;
        let who = memberships(tx, &ctx.actor)?;
        require_edit(&who, &record)?;
        if tx.resource_by_id(&id)?.is_some() {
            return Err(ActionError::field("id", "Resource id already exists."));
        }
        let mut input = as_input(&record);
        let mut list = resources_of(&input);
        list.push(Value::Object(valid));
        input.insert("resources".into(), Value::Array(list));
        write_package(ctx, tx, &who, &input, Some(&record), Write::Update)
    })?;
    pick(&rendered, &id)
}

/// Replaces (update) or overlays (patch) one resource.
fn change_resource(ctx: &Context<'_>, params: &Params, patch: bool) -> ActionResult {
    let id = required(params, "id")?;
    let (_, rendered) = ctx.store().write(|tx| {
        let index =
            tx.resource_by_id(&id)?.ok_or_else(|| ActionError::not_found("Resource was not found."))?;
        let record = find_package(tx, &index.package_id, Some("Resource was not found."))?;
        let who = memberships(tx, &ctx.actor)?;
        require_edit(&who, &record)?;
        let mut input = as_input(&record);
        let mut list = resources_of(&input);
        let slot = list
            .iter_mut()
            .find(|r| r["id"] == id.as_str())
            .ok_or_else(|| ActionError::not_found("Resource was not found."))?;
        let previous = slot.as_object().cloned().unwrap_or_default();
        let mut changed = if patch { previous.clone() } else { Map::new() };
        for (key, value) in params.as_map() {
            if key != "package_id" {
                changed.insert(key.clone(), value.clone());
            }
        }
        changed.insert("id".into(), id.clone().into());
        for kept in ["created", "datastore_active"] {
            if let Some(value) = previous.get(kept)
                && !changed.contains_key(kept)
            {
                changed.insert(kept.into(), value.clone());
            }
        }
        *slot = Value::Object(check_resource(&changed)?);
        input.insert("resources".into(), Value::Array(list));
        write_package(ctx, tx, &who, &input, Some(&record), Write::Update)
    })?;
    pick(&rendered, &id)
}

pub const RESOURCE_UPDATE: Action = Action {
    name: "resource_update",
    side_effect_free: false,
    doc: "Update a resource. Fields not given are cleared (`datastore_active` is kept).\n\n\
          :param id: the id of the resource\n:returns: the updated resource\n:rtype: dictionary",
    run: |ctx, params| change_resource(ctx, params, false),
    ..crate::UNTYPED
};

pub const RESOURCE_PATCH: Action = Action {
    name: "resource_patch",
    side_effect_free: false,
    doc: "Patch a resource: the given fields change, the others keep their values.\n\n\
          :param id: the id of the resource\n:returns: the updated resource\n:rtype: dictionary",
    run: |ctx, params| change_resource(ctx, params, true),
    ..crate::UNTYPED
};

pub const RESOURCE_DELETE: Action = Action {
    name: "resource_delete",
    side_effect_free: false,
    doc: "Delete a resource from its dataset.\n\n:param id: the id of the resource\n:rtype: null",
    run: resource_delete,
    ..crate::UNTYPED
};

fn resource_delete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let id = required(params, "id")?;
    ctx.store().write(|tx| {
        let index = tx.resource_by_id(&id)?.ok_or(ActionError::NotFound(None))?;
        let record = find_package(tx, &index.package_id, None)?;
        let who = memberships(tx, &ctx.actor)?;
        require_edit(&who, &record)?;
        let mut input = as_input(&record);
        let list: Vec<Value> = resources_of(&input).into_iter().filter(|r| r["id"] != id.as_str()).collect();
        input.insert("resources".into(), Value::Array(list));
        write_package(ctx, tx, &who, &input, Some(&record), Write::Update)?;
        Ok::<_, ActionError>(())
    })?;
    Ok(Value::Null)
}

pub const PACKAGE_RESOURCE_REORDER: Action = Action {
    name: "package_resource_reorder",
    side_effect_free: false,
    doc: "Reorder a dataset's resources: the listed ids go first, in that order.\n\n\
          :param id: the id or name of the dataset\n:param order: list of resource ids\n\
          :rtype: dictionary `{id, order}`",
    run: package_resource_reorder,
    ..crate::UNTYPED
};

fn package_resource_reorder(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let id = required(params, "id")?;
    let order: Vec<String> = match params.get("order") {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => return Err(ActionError::field("order", "Missing value")),
    };
    ctx.store().write(|tx| {
        let record = find_package(tx, &id, None)?;
        let who = memberships(tx, &ctx.actor)?;
        require_edit(&who, &record)?;
        let mut input = as_input(&record);
        let list = resources_of(&input);
        let mut first = Vec::new();
        for wanted in &order {
            match list.iter().find(|r| r["id"] == wanted.as_str()) {
                Some(resource) => first.push(resource.clone()),
                None => {
                    return Err(ActionError::field(
                        "message",
                        format!("Resource id {wanted} is not part of the dataset"),
                    ));
                }
            }
        }
        let rest = list.iter().filter(|r| !order.iter().any(|o| r["id"] == o.as_str())).cloned();
        first.extend(rest);
        input.insert("resources".into(), Value::Array(first));
        write_package(ctx, tx, &who, &input, Some(&record), Write::Update)?;
        Ok::<_, ActionError>(())
    })?;
    Ok(json!({"id": id, "order": order}))
}

pub const RESOURCE_SEARCH: Action = Action {
    name: "resource_search",
    side_effect_free: true,
    doc: "Search the resources of active public datasets.\n\n\
          :param query: `field:term` or a list of them (all must match); fields `name`, \
          `description`, `format`, `url` (substring) and `hash` (prefix)\n\
          :param offset: (optional)\n:param limit: (optional)\n:rtype: dictionary `{count, results}`",
    run: resource_search,
    ..crate::UNTYPED
};

fn resource_search(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let queries: Vec<String> = match params.get("query") {
        None => Vec::new(),
        Some(Value::String(q)) => vec![q.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(_) => {
            errors.add("query", "Must be a string or a list of strings");
            Vec::new()
        }
    };
    let limit = params.natural("limit", &mut errors).unwrap_or(1000).min(1000);
    let offset = params.natural("offset", &mut errors).unwrap_or(0);
    let mut terms = Vec::new();
    for query in &queries {
        match query.split_once(':') {
            Some((field, term)) if ["name", "description", "format", "url", "hash"].contains(&field) => {
                terms.push((field.to_owned(), term.to_owned()));
            }
            Some((field, _)) => {
                errors.add("query", format!("Field \"{field}\" not recognised in resource_search."))
            }
            None => errors.add("query", "Search query must be of the form \"field:term\""),
        }
    }
    errors.into_result()?;
    let (count, found) = ctx.store().read(|tx| {
        tx.search_resources(&terms, i64::try_from(limit).unwrap_or(1000), i64::try_from(offset).unwrap_or(0))
    })?;
    let results = ctx.store().read(|tx| {
        let mut out = Vec::with_capacity(found.len());
        for index in &found {
            let Some(record) = tx.package_by_id_or_name(&index.package_id)? else { continue };
            let list = resources_of(&record.document);
            if let Some((position, r)) = list
                .iter()
                .filter_map(Value::as_object)
                .enumerate()
                .find(|(_, r)| r.get("id").and_then(Value::as_str) == Some(index.id.as_str()))
            {
                out.push(render_resource(r, &record.id, position));
            }
        }
        Ok::<_, ActionError>(out)
    })?;
    Ok(json!({"count": count, "results": results}))
}
