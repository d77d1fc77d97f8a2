//! Resource actions. A resource lives in its dataset's document, so every change is a dataset
//! write (as in CKAN, where resource_create runs package_update).

use datahavn_domain::ValidationErrors;
use datahavn_domain::package::{self as rules};
use datahavn_domain::params::Params;
use serde_json::{Map, Value};

use crate::access::{memberships, require_edit, require_edit_to, require_read};
use crate::args::authenticated;
use crate::args::plain_error;
use crate::dto::{ResourceDict, ResourceOrder, ResourceSearchResult};
use crate::package::{Write, as_input, find_package, required_now, sent, write_package};
use crate::render::render_resource;
use crate::request::{Request, request, request_doc, response_doc};
use crate::upload::{describe_upload, store_upload, url_file_name};
use crate::{Action, ActionError, ActionResult, Context, to_json};

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

/// Declares a resource request: the action's own keys, then the keys of CKAN's resource
/// schema as they were sent (the resource validation reads them), then every other key.
macro_rules! resource_request {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$fmeta:meta])* pub $field:ident : $ty:ty $(=> $reader:expr)?,)*
        }
    ) => {
        request! {
            $(#[$meta])*
            pub struct $name {
                $($(#[$fmeta])* pub $field: $ty $(=> $reader)?,)*
                /// The resource's URL (default `""`); `http://` is added when it has no scheme.
                #[schema(value_type = Option<String>)]
                pub url: Option<Value> => sent,
                /// Text, or a dict of translations (`{"de": ..}`).
                pub name: Option<Value> => sent,
                /// Text, or a dict of translations.
                pub description: Option<Value> => sent,
                /// The format (`CSV`, `JSON`, ...); guessed from the URL when empty on a new
                /// resource, kept on update when not given.
                pub format: Option<Value> => sent,
                /// A hash of the file's content.
                pub hash: Option<Value> => sent,
                /// The MIME type; when not given, guessed from the URL's file extension (`null`
                /// when it has none known) by resource_create and resource_update.
                pub mimetype: Option<Value> => sent,
                /// The MIME type of the content of an archive.
                pub mimetype_inner: Option<Value> => sent,
                /// The size in bytes.
                #[schema(value_type = Option<i64>)]
                pub size: Option<Value> => sent,
                /// The kind of resource (`file`, `api`, ...).
                pub resource_type: Option<Value> => sent,
                /// `upload` for an uploaded file: its `url` is then shown as the file's
                /// download URL on this site.
                pub url_type: Option<Value> => sent,
                /// When the file last changed; kept as sent.
                pub last_modified: Option<Value> => sent,
                /// Kept as sent.
                pub cache_url: Option<Value> => sent,
                /// Kept as sent.
                pub cache_last_updated: Option<Value> => sent,
                /// When it was added (default: now; kept on update when not given).
                pub created: Option<Value> => sent,
                /// When it last changed (default: now).
                pub metadata_modified: Option<Value> => sent,
                /// Whether the DataStore holds its data (default false; kept on update when not
                /// given).
                pub datastore_active: Option<Value> => sent,
                /// The file to store, as a `multipart/form-data` file part (with a file name);
                /// it sets `url` (the cleaned file name), `url_type` (`upload`), `size`,
                /// `mimetype` and `hash` (SHA-256), unless given, and `last_modified`. A text
                /// value is ignored.
                #[schema(value_type = Option<String>, format = Binary)]
                pub upload: Option<Value> => sent,
                /// `true` removes the stored file of an uploaded resource (`url_type`
                /// becomes `""`).
                pub clear_upload: Option<bool>;
                /// Any other key is kept and returned as sent.
                ..rest
            }
        }

        impl $name {
            /// The resource dict the validation reads: the schema's keys as sent, then the
            /// others.
            fn into_resource(self) -> Map<String, Value> {
                // The file comes beside the dict and `clear_upload` is the action's: neither is
                // stored on the resource.
                let _ = (&self.upload, &self.clear_upload);
                let schema_keys = [
                    ("url", self.url),
                    ("name", self.name),
                    ("description", self.description),
                    ("format", self.format),
                    ("hash", self.hash),
                    ("mimetype", self.mimetype),
                    ("mimetype_inner", self.mimetype_inner),
                    ("size", self.size),
                    ("resource_type", self.resource_type),
                    ("url_type", self.url_type),
                    ("last_modified", self.last_modified),
                    ("cache_url", self.cache_url),
                    ("cache_last_updated", self.cache_last_updated),
                    ("created", self.created),
                    ("metadata_modified", self.metadata_modified),
                    ("datastore_active", self.datastore_active),
                ];
                let mut resource: Map<String, Value> = schema_keys
                    .into_iter()
                    .filter_map(|(key, value)| Some((key.to_owned(), value?)))
                    .collect();
                resource.extend(self.rest);
                resource
            }
        }
    };
}

pub const RESOURCE_SHOW: Action = Action {
    name: "resource_show",
    side_effect_free: true,
    tag: "resources",
    doc: "Return the metadata of a resource.\n\n\
          Taken from its dataset; the dataset's read rules apply.\n\n:rtype: dictionary",
    request: request_doc::<ResourceShowRequest>,
    response: response_doc::<ResourceDict>,
    errors: &[(403, "Its dataset is not readable"), (404, "No such resource"), (409, "`id` missing")],
    run: |ctx, params| resource_show(ctx, ResourceShowRequest::parse(params)?),
};

request! {
    /// The resource to show.
    pub struct ResourceShowRequest {
        /// The id of the resource.
        pub id: String,
    }
}

fn resource_show(ctx: &Context<'_>, request: ResourceShowRequest) -> ActionResult {
    let id = request.id;
    ctx.store().read(|tx| {
        let resource = tx.resource_by_id(&id)?.ok_or(ActionError::NotFound(None))?;
        let record = find_package(tx, &resource.package_id, None)?;
        // `package_show`'s read check, refused in the words of CKAN's `resource_show` auth
        // function, which names the resource rather than its dataset.
        let who = memberships(tx, ctx)?;
        if !datahavn_domain::authz::can_read_package(&who, &record.access()) {
            return Err(ActionError::denied(format!(
                "User {} not authorized to read resource {}",
                who.user_name, resource.id
            )));
        }
        let document = resources_of(&record.document);
        document
            .iter()
            .filter_map(Value::as_object)
            .enumerate()
            .find(|(_, r)| r.get("id").and_then(Value::as_str) == Some(id.as_str()))
            .map(|(position, r)| render_resource(r, &record.id, position, &ctx.site().site_url))
            .ok_or(ActionError::NotFound(None))
    })
}

pub const RESOURCE_CREATE: Action = Action {
    name: "resource_create",
    side_effect_free: false,
    tag: "resources",
    doc: "Appends a new resource to a dataset.\n\n\
          The format is guessed from the URL when empty, the MIME type from the URL's file \
          extension when not given. Any other key is kept and returned as sent. To store a file, \
          send the call as `multipart/form-data`: the keys as text parts, the file as a part named \
          `upload`. You must be allowed to edit the dataset.\n\n:returns: the newly created resource\n:rtype: dictionary",
    request: request_doc::<ResourceCreateRequest>,
    response: response_doc::<ResourceDict>,
    errors: &[
        (403, "Not allowed to edit the dataset"),
        (404, "No such dataset"),
        (409, "`package_id` missing, an id already used, or field errors"),
    ],
    run: |ctx, params| resource_create(ctx, ResourceCreateRequest::parse(params)?),
};

resource_request! {
    /// A new resource; any other key is kept as sent.
    pub struct ResourceCreateRequest {
        /// The id or name of the dataset to add it to.
        pub package_id: String,
        /// An id for the new resource (default: a new UUID).
        #[schema(value_type = Option<String>)]
        pub id: Option<Value> => sent,
    }
}

fn resource_create(ctx: &Context<'_>, mut request: ResourceCreateRequest) -> ActionResult {
    let package_ref = std::mem::take(&mut request.package_id);
    let id = request.id.take();
    let mut resource = request.into_resource();
    if let Some(id) = id {
        resource.insert("id".into(), id);
    }
    if let Some(upload) = ctx.upload {
        describe_upload(&mut resource, upload);
    }
    // The mimetype, when not sent, is guessed from the URL by the dataset write.
    let mut valid = check_resource(&resource)?;
    let id = match valid.get("id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            valid.insert("id".into(), id.clone().into());
            id
        }
    };
    let (_, rendered) = ctx.store().write(|tx| {
        // CKAN shows the dataset (404, or 403 to who may not read it) before its
        // `resource_create` auth function, which is not open to anonymous callers.
        let record = find_package(tx, &package_ref, None)?;
        let who = memberships(tx, ctx)?;
        require_read(&who, &record)?;
        authenticated(ctx, "resource_create")?;
        require_edit_to(&who, &record, || format!("create resources on dataset {package_ref}"))?;
        if tx.resource_by_id(&id)?.is_some() {
            return Err(ActionError::field("id", "Resource id already exists."));
        }
        let mut input = as_input(&record);
        let mut list = resources_of(&input);
        list.push(Value::Object(valid.clone()));
        input.insert("resources".into(), Value::Array(list));
        let written = write_package(ctx, tx, &who, &input, Some(&record), Write::Update)?;
        store_upload(ctx, tx, &id, &record.id)?;
        Ok::<_, ActionError>(written)
    })?;
    pick(&rendered, &id)
}

resource_request! {
    /// The resource's new dict (update) or the fields to change (patch); any other key is
    /// kept as sent.
    pub struct ResourceChangeRequest {
        /// The id of the resource.
        pub id: String,
        /// Ignored: a resource stays in its dataset.
        #[schema(value_type = Option<String>)]
        pub package_id: Option<Value> => sent,
    }
}

/// Replaces (update) or overlays (patch) one resource.
fn change_resource(ctx: &Context<'_>, mut request: ResourceChangeRequest, patch: bool) -> ActionResult {
    let id = std::mem::take(&mut request.id);
    // The dataset is the one the resource is in, whatever `package_id` says.
    request.package_id = None;
    let clear_upload = request.clear_upload == Some(true);
    let mut sent = request.into_resource();
    match ctx.upload {
        Some(upload) => describe_upload(&mut sent, upload),
        // CKAN's `clear_upload`: no longer an upload; its stored file goes.
        None if clear_upload => {
            sent.insert("url_type".into(), "".into());
        }
        None => {}
    }
    // CKAN's resource_patch checks its (not anonymous) auth function first, whose lookup of an
    // unknown resource is a bare 404 for all but sysadmins; resource_update looks first.
    let action = if patch { "resource_patch" } else { "resource_update" };
    if patch {
        authenticated(ctx, action)?;
    }
    let (_, rendered) = ctx.store().write(|tx| {
        let index = tx.resource_by_id(&id)?.ok_or_else(|| {
            if patch && !ctx.actor.is_sysadmin() {
                ActionError::NotFound(None)
            } else {
                ActionError::not_found("Resource was not found.")
            }
        })?;
        authenticated(ctx, action)?;
        let record = find_package(tx, &index.package_id, Some("Resource was not found."))?;
        let who = memberships(tx, ctx)?;
        require_edit_to(&who, &record, || format!("edit resource {id}"))?;
        let mut input = as_input(&record);
        let mut list = resources_of(&input);
        let slot = list
            .iter_mut()
            .find(|r| r["id"] == id.as_str())
            .ok_or_else(|| ActionError::not_found("Resource was not found."))?;
        let previous = slot.as_object().cloned().unwrap_or_default();
        // A patch giving an uploaded resource a URL of another file makes it a link.
        let was_upload = previous.get("url_type").and_then(Value::as_str) == Some("upload");
        if patch
            && was_upload
            && !sent.contains_key("url_type")
            && let Some(url) = sent.get("url").and_then(Value::as_str)
            && url_file_name(url)
                != url_file_name(previous.get("url").and_then(Value::as_str).unwrap_or_default())
        {
            sent.insert("url_type".into(), Value::Null);
        }
        let mut changed = if patch { previous.clone() } else { Map::new() };
        changed.extend(sent.clone());
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
        let written = write_package(ctx, tx, &who, &input, Some(&record), Write::Update)?;
        store_upload(ctx, tx, &id, &record.id)?;
        Ok::<_, ActionError>(written)
    })?;
    pick(&rendered, &id)
}

pub const RESOURCE_UPDATE: Action = Action {
    name: "resource_update",
    side_effect_free: false,
    tag: "resources",
    doc: "Update a resource.\n\n\
          The dict replaces the stored one: fields not given are cleared (`created`, `format` \
          and `datastore_active` are kept; the MIME type is guessed again from the URL). To change single fields use resource_patch. A new file \
          is sent as in resource_create (a `multipart/form-data` part named `upload`). You must be \
          allowed to edit the dataset.\n\n:returns: the updated resource\n:rtype: dictionary",
    request: request_doc::<ResourceChangeRequest>,
    response: response_doc::<ResourceDict>,
    errors: &[
        (403, "Not allowed to edit the dataset"),
        (404, "`Not found: Resource was not found.`"),
        (409, "`id` missing, or field errors"),
    ],
    run: |ctx, params| change_resource(ctx, ResourceChangeRequest::parse(params)?, false),
};

pub const RESOURCE_PATCH: Action = Action {
    name: "resource_patch",
    side_effect_free: false,
    tag: "resources",
    doc: "Patch a resource.\n\n\
          The given fields change, the others keep their values. A new file is sent as in \
          resource_create (a `multipart/form-data` part named `upload`). You must be allowed to edit \
          the dataset.\n\n:returns: the updated resource\n:rtype: dictionary",
    request: request_doc::<ResourceChangeRequest>,
    response: response_doc::<ResourceDict>,
    errors: &[
        (403, "Not allowed to edit the dataset"),
        (404, "`Not found: Resource was not found.`"),
        (409, "`id` missing, or field errors"),
    ],
    run: |ctx, params| change_resource(ctx, ResourceChangeRequest::parse(params)?, true),
};

pub const RESOURCE_DELETE: Action = Action {
    name: "resource_delete",
    side_effect_free: false,
    tag: "resources",
    doc: "Delete a resource from a dataset.\n\n\
          You must be allowed to edit the dataset.\n\n:rtype: null",
    request: request_doc::<ResourceDeleteRequest>,
    response: response_doc::<Option<String>>,
    errors: &[(403, "Not allowed to edit the dataset"), (404, "No such resource"), (409, "`id` missing")],
    run: |ctx, params| resource_delete(ctx, ResourceDeleteRequest::parse(params)?),
};

request! {
    /// The resource to delete.
    pub struct ResourceDeleteRequest {
        /// The id of the resource.
        pub id: String,
    }
}

fn resource_delete(ctx: &Context<'_>, request: ResourceDeleteRequest) -> ActionResult {
    let id = request.id;
    ctx.store().write(|tx| {
        let index = tx.resource_by_id(&id)?.ok_or(ActionError::NotFound(None))?;
        authenticated(ctx, "resource_delete")?;
        let record = find_package(tx, &index.package_id, None)?;
        let who = memberships(tx, ctx)?;
        require_edit_to(&who, &record, || format!("delete resource {id}"))?;
        let mut input = as_input(&record);
        let list: Vec<Value> = resources_of(&input).into_iter().filter(|r| r["id"] != id.as_str()).collect();
        input.insert("resources".into(), Value::Array(list));
        write_package(ctx, tx, &who, &input, Some(&record), Write::Update)?;
        Ok::<_, ActionError>(())
    })?;
    crate::datastore::forget(ctx, &[id]);
    Ok(Value::Null)
}

pub const PACKAGE_RESOURCE_REORDER: Action = Action {
    name: "package_resource_reorder",
    side_effect_free: false,
    tag: "resources",
    doc: "Reorder resources against datasets.\n\n\
          The listed resource ids go first, in that order; the others follow as they were. You \
          must be allowed to edit the dataset.\n\n\
          :returns: `{id, order}`: the dataset as given and the dataset's resource ids in their new order\n:rtype: dictionary",
    request: request_doc::<ResourceReorderRequest>,
    response: response_doc::<ResourceOrder>,
    errors: &[
        (403, "Not allowed to edit the dataset"),
        (404, "No such dataset"),
        (409, "`id` or `order` missing, or an id that is not one of the dataset's resources (under `order`)"),
    ],
    run: |ctx, params| package_resource_reorder(ctx, ResourceReorderRequest::parse(params)?),
};

/// `order`: a list of ids (its other items are skipped) or one id; anything else is missing.
fn resource_ids(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<Vec<String>> {
    match params.get(key) {
        Some(Value::Array(items)) => Ok(items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()),
        Some(Value::String(one)) => Ok(vec![one.clone()]),
        _ => Err(ActionError::field(key, "Missing value")),
    }
}

request! {
    /// The dataset and the resources that go first.
    pub struct ResourceReorderRequest {
        /// The id or name of the dataset.
        pub id: String => required_now,
        /// The ids of its resources, in the new order.
        pub order: Vec<String> => resource_ids,
    }
}

fn package_resource_reorder(ctx: &Context<'_>, request: ResourceReorderRequest) -> ActionResult {
    let ResourceReorderRequest { id, order } = request;
    let new_order = ctx.store().write(|tx| {
        // CKAN shows the dataset before the auth function, which is not open to anonymous callers.
        let record = find_package(tx, &id, None)?;
        let who = memberships(tx, ctx)?;
        require_read(&who, &record)?;
        authenticated(ctx, "package_resource_reorder")?;
        require_edit(&who, &record)?;
        let mut input = as_input(&record);
        let mut rest = resources_of(&input);
        let mut first = Vec::new();
        for wanted in &order {
            match rest.iter().position(|r| r["id"] == wanted.as_str()) {
                Some(at) => first.push(rest.remove(at)),
                None => return Err(plain_error("order", format!("resource_id {wanted} can not be found"))),
            }
        }
        first.extend(rest);
        let new_order =
            first.iter().map(|r| r["id"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>();
        input.insert("resources".into(), Value::Array(first));
        write_package(ctx, tx, &who, &input, Some(&record), Write::Update)?;
        Ok::<_, ActionError>(new_order)
    })?;
    to_json(&ResourceOrder { id, order: new_order })
}

pub const RESOURCE_SEARCH: Action = Action {
    name: "resource_search",
    side_effect_free: true,
    tag: "resources",
    doc: "Searches for resources in public datasets satisfying the search criteria.\n\n\
          Each query is a `field:term` string; all must match. The fields are `name`, \
          `description`, `format` and `url` (the term is a substring) and `hash` (a \
          prefix).\n\n\
          :returns: `{count, results}`: the number of matches and one page of resource dicts\n\
          :rtype: dictionary",
    request: request_doc::<ResourceSearchRequest>,
    response: response_doc::<ResourceSearchResult>,
    errors: &[(
        409,
        "`query` missing (`{\"query\": \"Missing value\"}`), not `field:value` pairs, an unknown field, or a bad `limit`/`offset`",
    )],
    run: |ctx, params| resource_search(ctx, ResourceSearchRequest::parse(params)?),
};

const SEARCHABLE: &[&str] = &["name", "description", "format", "url", "hash"];

/// CKAN's `resource_search` errors: one text under `query`, not a list.
fn query_error(message: String) -> ActionError {
    let mut dict = serde_json::Map::new();
    dict.insert("query".into(), Value::String(message));
    ActionError::ValidationDict(dict)
}

/// `query`: one `field:term` string or a list of them, each checked as CKAN does: every item
/// a `field:value` pair, every field a resource column.
fn field_terms(
    params: &Params,
    key: &str,
    errors: &mut ValidationErrors,
) -> ActionResult<Option<Vec<String>>> {
    let queries: Vec<String> = match params.get(key) {
        None => return Err(query_error("Missing value".into())),
        Some(Value::String(q)) => vec![q.clone()],
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
        }
        Some(_) => {
            errors.add(key, "Must be a string or a list of strings");
            return Ok(None);
        }
    };
    if queries.iter().any(|q| !q.contains(':')) {
        return Err(query_error("Must be <field>:<value> pair(s)".into()));
    }
    if let Some((field, _)) =
        queries.iter().filter_map(|q| q.split_once(':')).find(|(field, _)| !SEARCHABLE.contains(field))
    {
        return Err(query_error(format!("Field \"{field}\" not recognised in resource_search.")));
    }
    Ok(Some(queries))
}

request! {
    /// The search criteria.
    pub struct ResourceSearchRequest {
        /// The search criteria: `field:term` or a list of them.
        pub query: Option<Vec<String>> => field_terms,
        /// The maximum number of resources to return (default and at most 1000).
        pub limit: Option<u64>,
        /// The number of resources to skip.
        pub offset: Option<u64>,
    }
}

fn resource_search(ctx: &Context<'_>, request: ResourceSearchRequest) -> ActionResult {
    let terms: Vec<(String, String)> = request
        .query
        .unwrap_or_default()
        .iter()
        .filter_map(|q| q.split_once(':'))
        .map(|(field, term)| (field.to_owned(), term.to_owned()))
        .collect();
    let limit = request.limit.unwrap_or(1000).min(1000);
    let offset = request.offset.unwrap_or(0);
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
                let mut rendered = render_resource(r, &record.id, position, &ctx.site().site_url);
                // CKAN's resource_search dictizes the stored resource: the datastore plugin's
                // `datastore_active: false` default is not added. Resources are stored with that
                // default, so a `false` (the default, or one a client sent) is left out.
                if let Some(dict) = rendered.as_object_mut()
                    && matches!(dict.get("datastore_active"), None | Some(Value::Bool(false)))
                {
                    dict.remove("datastore_active");
                }
                out.push(rendered);
            }
        }
        Ok::<_, ActionError>(out)
    })?;
    to_json(&ResourceSearchResult { count: u64::try_from(count).unwrap_or(0), results })
}
