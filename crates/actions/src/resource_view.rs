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
use serde_json::{Map, Value};

use crate::access::memberships;
use crate::args::{authenticated, plain_error, required};
use crate::dto::{ViewDeleteResult, ViewDict, ViewReorderResult};
use crate::package::find_package;
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// Keys that are columns of a view (or computed), never configuration.
const COLUMNS: &[&str] =
    &["id", "resource_id", "title", "description", "view_type", "order", "config", "package_id"];

/// The configuration keys of a request: the entries of a `config` dict (or of a JSON text
/// holding one), then every other key; column names are never configuration.
fn config_of(embedded: Option<&Value>, others: &Map<String, Value>) -> Map<String, Value> {
    let embedded = match embedded {
        Some(Value::Object(map)) => Some(map.clone()),
        Some(Value::String(text)) => match serde_json::from_str(text) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        },
        _ => None,
    };
    embedded
        .into_iter()
        .flatten()
        .chain(others.iter().map(|(key, value)| (key.clone(), value.clone())))
        .filter(|(key, _)| !COLUMNS.contains(&key.as_str()))
        .collect()
}

/// The view dict, in CKAN's key order.
fn render(view: &ResourceView, package_id: &str) -> ViewDict {
    let mut config = view.document.clone();
    let mut text = |key: &str| match config.shift_remove(key) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    };
    ViewDict {
        id: view.id.clone(),
        resource_id: view.resource_id.clone(),
        title: text("title").unwrap_or_default(),
        description: text("description"),
        view_type: text("view_type").unwrap_or_default(),
        config,
        package_id: package_id.to_owned(),
    }
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
    let who = memberships(tx, ctx)?;
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
    let who = memberships(tx, ctx)?;
    if authz::can_edit_package(&who, &package.access()) { Ok(()) } else { Err(ActionError::denied(reason)) }
}

/// Text that may be blank or absent (`""`): the action reports it missing together with the
/// checks it makes against the database.
fn text_or_empty(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<String> {
    Ok(params.string(key, errors).unwrap_or_default())
}

/// Any value, which must be present (`Missing value`); the action reads it.
fn present(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Value> {
    Ok(params.get(key).cloned().unwrap_or_else(|| {
        errors.add(key, MISSING_VALUE);
        Value::Null
    }))
}

pub const RESOURCE_VIEW_CREATE: Action = Action {
    name: "resource_view_create",
    side_effect_free: false,
    tag: "resources",
    doc: "Create a resource view.\n\n\
          Keys beyond the listed ones are the view's configuration and are returned as sent (a \
          `config` dict is merged into them). You must be allowed to edit the resource's \
          dataset.\n\n\
          :returns: the new view\n:rtype: dictionary",
    request: request_doc::<ResourceViewCreateRequest>,
    response: response_doc::<ViewDict>,
    errors: &[
        (403, "Anonymous, or not allowed to edit the dataset"),
        (409, "Field errors (`resource_id`, `view_type`, `title`, `id`)"),
    ],
    run: |ctx, params| resource_view_create(ctx, ResourceViewCreateRequest::parse(params)?),
};

request! {
    /// The view: its resource, title, description and type, and its configuration keys.
    pub struct ResourceViewCreateRequest {
        /// The id of the resource.
        pub resource_id: String => |p, k, _| required(p, [k]).map(|[v]| v),
        /// The type of view (any name; datahavn renders none itself).
        pub view_type: String => |p, k, _| required(p, [k]).map(|[v]| v),
        /// A UUID for the view (sysadmins only).
        pub id: Option<String>,
        /// The title of the view.
        pub title: String => text_or_empty,
        /// A description of the view.
        pub description: Option<String>,
        /// Configuration keys, as a dict or as JSON text of one; merged with the other keys.
        #[schema(value_type = Option<Object>)]
        pub config: Option<Value>;
        /// Any other key is the view's configuration, returned as sent.
        ..extra
    }
}

fn resource_view_create(ctx: &Context<'_>, request: ResourceViewCreateRequest) -> ActionResult {
    let ResourceViewCreateRequest { resource_id, view_type, id, title, description, config, extra } = request;
    let wanted_id = id.filter(|id| !id.is_empty());
    let config = config_of(config.as_ref(), &extra);
    ctx.store().write(|tx| {
        let mut errors = ValidationErrors::new();
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
        if title.trim().is_empty() {
            errors.add("title", MISSING_VALUE);
        }
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
            id: wanted_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            resource_id: resource.id.clone(),
            position: tx.next_resource_view_position(&resource.id)?,
            document: document(
                Value::String(title),
                description.map_or(Value::Null, Value::String),
                Value::String(view_type.clone()),
                config,
            ),
        };
        tx.insert_resource_view(&view)?;
        log::info!("resource view {} ({view_type}) created on resource {}", view.id, resource.id);
        let dict = to_json(&render(&view, &package.id))?;
        crate::activity::record_view(ctx, tx, "new resource view", &package, &dict)?;
        Ok(dict)
    })
}

pub const RESOURCE_VIEW_SHOW: Action = Action {
    name: "resource_view_show",
    side_effect_free: true,
    tag: "resources",
    doc: "Return a resource view.\n\nThe dataset's read rules apply.\n\n:rtype: dictionary",
    request: request_doc::<ResourceViewIdRequest>,
    response: response_doc::<ViewDict>,
    errors: &[
        (403, "Its dataset is not readable"),
        (404, "`Not found: Resource view not found, cannot check auth.`"),
        (409, "`id` missing"),
    ],
    run: |ctx, params| resource_view_show(ctx, ResourceViewIdRequest::parse(params)?),
};

request! {
    /// A view.
    pub struct ResourceViewIdRequest {
        /// The id of the view.
        pub id: String,
    }
}

fn resource_view_show(ctx: &Context<'_>, request: ResourceViewIdRequest) -> ActionResult {
    ctx.store().read(|tx| {
        let view = tx
            .resource_view_by_id(&request.id)?
            .ok_or_else(|| ActionError::not_found("Resource view not found, cannot check auth."))?;
        let (resource, package) = resource_and_package(tx, &view.resource_id, None)?;
        require_read(ctx, tx, &package, &resource.id)?;
        to_json(&render(&view, &package.id))
    })
}

pub const RESOURCE_VIEW_LIST: Action = Action {
    name: "resource_view_list",
    side_effect_free: true,
    tag: "resources",
    doc: "Return the views of a resource, in their order.\n\n\
          The dataset's read rules apply.\n\n:rtype: list of dictionaries",
    request: request_doc::<ResourceViewListRequest>,
    response: response_doc::<Vec<ViewDict>>,
    errors: &[(403, "Its dataset is not readable"), (404, "No such resource"), (409, "`id` missing")],
    run: |ctx, params| resource_view_list(ctx, ResourceViewListRequest::parse(params)?),
};

request! {
    /// A resource.
    pub struct ResourceViewListRequest {
        /// The id of the resource.
        pub id: String,
    }
}

fn resource_view_list(ctx: &Context<'_>, request: ResourceViewListRequest) -> ActionResult {
    ctx.store().read(|tx| {
        let (resource, package) = resource_and_package(tx, &request.id, None)?;
        require_read(ctx, tx, &package, &resource.id)?;
        let views = tx.resource_views_of(&resource.id)?;
        to_json(&views.iter().map(|v| render(v, &package.id)).collect::<Vec<_>>())
    })
}

pub const RESOURCE_VIEW_UPDATE: Action = Action {
    name: "resource_view_update",
    side_effect_free: false,
    tag: "resources",
    doc: "Update a resource view.\n\n\
          `title`, `description` and `resource_id` keep their values when not given; \
          `view_type` cannot change; the configuration keys sent replace the stored ones. You \
          must be allowed to edit the resource's dataset (and the dataset of the resource it \
          moves to).\n\n\
          :returns: the updated view\n:rtype: dictionary",
    request: request_doc::<ResourceViewUpdateRequest>,
    response: response_doc::<ViewDict>,
    errors: &[
        (403, "Anonymous, or not allowed to edit the dataset"),
        (404, "`Not found: Resource view was not found.` or `Not found: Resource was not found.`"),
        (409, "`id` missing, a value that is not text, or `resource_id` not found"),
    ],
    run: |ctx, params| resource_view_update(ctx, ResourceViewUpdateRequest::parse(params)?),
};

request! {
    /// The view, what changes, and its new configuration keys.
    pub struct ResourceViewUpdateRequest {
        /// The id of the view.
        pub id: String => |p, k, _| required(p, [k]).map(|[v]| v),
        /// The id of a resource to move the view to.
        pub resource_id: Option<String>,
        /// The title of the view.
        pub title: Option<String>,
        /// A description of the view.
        pub description: Option<String>,
        /// Configuration keys, as a dict or as JSON text of one; merged with the other keys.
        #[schema(value_type = Option<Object>)]
        pub config: Option<Value>;
        /// Any other key is the view's configuration (replacing the stored one), returned as
        /// sent; `view_type` is ignored.
        ..extra
    }
}

fn resource_view_update(ctx: &Context<'_>, request: ResourceViewUpdateRequest) -> ActionResult {
    let ResourceViewUpdateRequest { id, resource_id, title, description, config, extra } = request;
    let config = config_of(config.as_ref(), &extra);
    ctx.store().write(|tx| {
        let stored = tx
            .resource_view_by_id(&id)?
            .ok_or_else(|| ActionError::not_found("Resource view was not found."))?;
        let target = resource_id.filter(|r| !r.is_empty());
        if let Some(target) = &target
            && tx.resource_by_id(target)?.is_none()
        {
            return Err(ActionError::field("resource_id", format!("Resource not found: {target}")));
        }
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
        let field = |key: &str, given: Option<String>| {
            given.map_or_else(|| stored.document.get(key).cloned().unwrap_or(Value::Null), Value::String)
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
        let dict = to_json(&render(&view, &package.id))?;
        crate::activity::record_view(ctx, tx, "changed resource view", &package, &dict)?;
        Ok(dict)
    })
}

pub const RESOURCE_VIEW_DELETE: Action = Action {
    name: "resource_view_delete",
    side_effect_free: false,
    tag: "resources",
    doc: "Delete a resource view.\n\n\
          You must be allowed to edit the resource's dataset.\n\n\
          :returns: `{resource_id}` of the view's resource\n:rtype: dictionary",
    request: request_doc::<ResourceViewIdRequest>,
    response: response_doc::<ViewDeleteResult>,
    errors: &[
        (403, "Anonymous, or not allowed to edit the dataset"),
        (404, "No such view"),
        (409, "`id` missing"),
    ],
    run: |ctx, params| resource_view_delete(ctx, ResourceViewIdRequest::parse(params)?),
};

fn resource_view_delete(ctx: &Context<'_>, request: ResourceViewIdRequest) -> ActionResult {
    ctx.store().write(|tx| {
        let view = tx.resource_view_by_id(&request.id)?.ok_or(ActionError::NotFound(None))?;
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
        to_json(&ViewDeleteResult { resource_id: resource.id })
    })
}

pub const RESOURCE_VIEW_REORDER: Action = Action {
    name: "resource_view_reorder",
    side_effect_free: false,
    tag: "resources",
    doc: "Reorder the views of a resource.\n\n\
          The listed ids go first, in that order; the others follow in their current order. You \
          must be allowed to edit the resource's dataset.\n\n\
          :returns: `{id, order}` with every view id in its new order\n:rtype: dictionary",
    request: request_doc::<ResourceViewReorderRequest>,
    response: response_doc::<ViewReorderResult>,
    errors: &[
        (403, "Anonymous, or not allowed to edit the dataset"),
        (404, "`Not found: Resource was not found.`"),
        (409, "A key missing, `order` not a list, duplicates, or an unknown view"),
    ],
    run: |ctx, params| resource_view_reorder(ctx, ResourceViewReorderRequest::parse(params)?),
};

request! {
    /// The resource and the order of its views.
    pub struct ResourceViewReorderRequest {
        /// The id of the resource.
        pub id: String,
        /// View ids that go first, in that order (a JSON list).
        #[schema(value_type = Vec<String>)]
        pub order: Value => present,
    }
}

/// `order`: a list of view ids without duplicates, as CKAN's plain-text errors say.
fn view_order(order: &Value) -> ActionResult<Vec<String>> {
    let not_a_list = || plain_error("order", "Must supply order as a list");
    let Value::Array(items) = order else { return Err(not_a_list()) };
    let ids = items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(not_a_list()),
        })
        .collect::<ActionResult<Vec<String>>>()?;
    if ids.iter().collect::<HashSet<_>>().len() != ids.len() {
        return Err(plain_error("order", "No duplicates allowed in order"));
    }
    Ok(ids)
}

fn resource_view_reorder(ctx: &Context<'_>, request: ResourceViewReorderRequest) -> ActionResult {
    let order = view_order(&request.order)?;
    let id = request.id;
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
        to_json(&ViewReorderResult { id, order: ordered })
    })
}

pub const RESOURCE_VIEW_CLEAR: Action = Action {
    name: "resource_view_clear",
    side_effect_free: false,
    tag: "resources",
    doc: "Delete every resource view of the site, or those of the given types.\n\n\
          Sysadmins only.\n\n:rtype: null",
    request: request_doc::<ResourceViewClearRequest>,
    response: response_doc::<Option<String>>,
    errors: &[(403, "Not a sysadmin"), (409, "`view_types` neither a list nor a string")],
    run: |ctx, params| resource_view_clear(ctx, ResourceViewClearRequest::parse(params)?),
};

request! {
    /// The view types to delete.
    pub struct ResourceViewClearRequest {
        /// Only views of these types (a list, or one type as a string; default: every view).
        /// Read after the sysadmin check.
        #[schema(value_type = Option<Vec<String>>)]
        pub view_types: Option<Value>,
    }
}

/// `view_types`: a list (its strings), one type as a string, or none.
fn view_types(value: Option<&Value>) -> ActionResult<Vec<String>> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::String(one)) if one.is_empty() => Ok(Vec::new()),
        Some(Value::String(one)) => Ok(vec![one.clone()]),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            Ok(items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        }
        Some(Value::Array(_)) => Err(ActionError::field("view_types", "Not a list of strings")),
        Some(_) => Err(ActionError::field("view_types", "Not a list")),
    }
}

fn resource_view_clear(ctx: &Context<'_>, request: ResourceViewClearRequest) -> ActionResult {
    authenticated(ctx, "resource_view_clear")?;
    if !ctx.actor.is_sysadmin() {
        return Err(ActionError::NotAuthorized(None));
    }
    let types = view_types(request.view_types.as_ref())?;
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

/// A dict parameter CKAN's `_get_or_bust` requires (`{key: ["Missing value"]}` when absent).
fn required_dict(
    params: &Params,
    key: &str,
    errors: &mut ValidationErrors,
) -> ActionResult<Map<String, Value>> {
    match params.get(key) {
        Some(Value::Object(dict)) => Ok(dict.clone()),
        None | Some(Value::Null) => {
            errors.add(key, MISSING_VALUE);
            Ok(Map::new())
        }
        Some(_) => {
            errors.add(key, "Must be a dict");
            Ok(Map::new())
        }
    }
}

pub const RESOURCE_CREATE_DEFAULT_RESOURCE_VIEWS: Action = Action {
    name: "resource_create_default_resource_views",
    side_effect_free: false,
    tag: "resources",
    doc: "Create the default views of a resource, where none of their types exists yet.\n\n\
          The default views come from view plugins (CKAN's ``ckan.views.default_views``, such as \
          ``image_view`` and ``datatables_view``); datahavn has none, so no view is made, as on \
          a CKAN without view plugins. You must be allowed to edit the resource's dataset.\n\n\
          :returns: the views created (none)\n:rtype: list of dictionaries",
    request: request_doc::<ResourceCreateDefaultViewsRequest>,
    response: response_doc::<Vec<ViewDict>>,
    errors: &[
        (403, "Anonymous, or not allowed to edit the dataset"),
        (404, "No such resource"),
        (409, "`resource` missing or not a dict"),
    ],
    run: |ctx, params| {
        let request = ResourceCreateDefaultViewsRequest::parse(params)?;
        authenticated(ctx, "resource_create_default_resource_views")?;
        let resource_id = request.resource.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        ctx.store().read(|tx| {
            let resource = tx
                .resource_by_id(&resource_id)?
                .ok_or_else(|| ActionError::not_found("Resource was not found."))?;
            let package = find_package(tx, &resource.package_id, None)?;
            require_edit(
                ctx,
                tx,
                &package,
                format!(
                    "User {} not authorized to create resources on dataset {}",
                    ctx.actor.name(),
                    package.id
                ),
            )
        })?;
        log::debug!(
            "no default views for resource {resource_id} (dataset dict sent: {}, datastore views: {:?})",
            request.package.is_some(),
            request.create_datastore_views
        );
        Ok(Value::Array(Vec::new()))
    },
};

request! {
    /// The resource whose default views to create.
    pub struct ResourceCreateDefaultViewsRequest {
        /// The full resource dict (its ``id`` names it).
        #[schema(value_type = Object)]
        pub resource: Map<String, Value> => required_dict,
        /// The dataset dict (read from the resource's dataset when absent).
        #[schema(value_type = Option<Object>)]
        pub package: Option<Value>,
        /// Create the views that need the resource's data in the DataStore instead (default
        /// false).
        pub create_datastore_views: Option<bool>,
    }
}

pub const PACKAGE_CREATE_DEFAULT_RESOURCE_VIEWS: Action = Action {
    name: "package_create_default_resource_views",
    side_effect_free: false,
    tag: "datasets",
    doc: "Create the default views of every resource of a dataset.\n\n\
          As ``resource_create_default_resource_views``: datahavn has no view plugins, so no view \
          is made. You must be allowed to edit the dataset.\n\n\
          :returns: the views created (none)\n:rtype: list of dictionaries",
    request: request_doc::<PackageCreateDefaultViewsRequest>,
    response: response_doc::<Vec<ViewDict>>,
    errors: &[
        (403, "Anonymous, or not allowed to edit the dataset"),
        (404, "No such dataset"),
        (409, "`package` missing or not a dict"),
    ],
    run: |ctx, params| {
        let request = PackageCreateDefaultViewsRequest::parse(params)?;
        authenticated(ctx, "package_create_default_resource_views")?;
        let reference = ["id", "name"]
            .iter()
            .find_map(|key| request.package.get(*key).and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned();
        ctx.store().read(|tx| {
            let package = find_package(tx, &reference, Some("Package was not found."))?;
            require_edit(
                ctx,
                tx,
                &package,
                format!("User {} not authorized to edit package {}", ctx.actor.name(), package.id),
            )
        })?;
        log::debug!(
            "no default views for dataset {reference} (datastore views: {:?})",
            request.create_datastore_views
        );
        Ok(Value::Array(Vec::new()))
    },
};

request! {
    /// The dataset whose resources get their default views.
    pub struct PackageCreateDefaultViewsRequest {
        /// The full dataset dict (its ``id`` or ``name`` names it).
        #[schema(value_type = Object)]
        pub package: Map<String, Value> => required_dict,
        /// Create the views that need data in the DataStore instead (default false).
        pub create_datastore_views: Option<bool>,
    }
}
