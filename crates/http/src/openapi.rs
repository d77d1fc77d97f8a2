//! The OpenAPI document, made from the action table: each action's typed request is its JSON
//! body (POST) and its query parameters (GET, read-only actions), its result type is the
//! envelope's `result`, its failures are its error responses. Nothing here describes an action
//! by hand, so the document cannot drift from what the server parses and answers.

use datahavn_actions::request::{Components, RequestDoc, ResponseDoc};
use datahavn_actions::{ACTIONS, Action};
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, OneOf, Schema, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, LicenseBuilder, OpenApi, OpenApiBuilder, PathItem, Paths,
    Ref, RefOr, Required,
};

/// Where actions answer.
pub const ACTION_PREFIX: &str = "/api/3/action/";

const DESCRIPTION: &str = "An open-data catalogue server that speaks the CKAN Action API.\n\n\
    Every action answers at `/api/3/action/<name>` (and `/api/action/<name>`). Read-only \
    actions take GET with their parameters in the query string, or POST; the others take \
    POST only (any other method is 405 with an `Allow` header). POST bodies are JSON objects \
    (form bodies are read too). Parameters are read as CKAN reads them: booleans as `true`, \
    `\"true\"`, `\"1\"`, `\"yes\"`...; numbers as digits; lists as JSON lists, JSON text or one \
    comma-separated string; keys a request does not name are ignored (kept, for free-form \
    dicts). Results come wrapped as `{help, success, result}`; failures as \
    `{help, error: {__type, message | field errors}, success: false}` with status 403, 404, 409 \
    or 500; 503 with `Retry-After` while the database cannot be reached, and 429 with \
    `Retry-After` and `RateLimit-*` headers when rate limits are configured. Every response \
    carries `X-Request-Id` (the one sent, when it is 1 to 128 visible ASCII characters). \
    Request-level failures (unknown action, malformed JSON, a body over the size limit) \
    are a bare JSON string with status 400 or 413.\n\n\
    Authenticate with an API token in the `Authorization` header (raw, as CKAN clients send \
    it, or `Bearer <token>`) or in `X-CKAN-API-Key`. A bad or revoked token makes the request \
    anonymous; it is never an error by itself.";

const TAGS: &[(&str, &str)] = &[
    ("site", "Site status, help and licences"),
    ("users", "User accounts"),
    ("api tokens", "JWT API tokens"),
    ("organizations", "Organizations"),
    ("groups", "Groups"),
    ("members", "Memberships of users, datasets and groups in organizations and groups"),
    ("datasets", "Datasets (packages)"),
    ("resources", "Resources of datasets"),
    ("tags", "Tags and tag vocabularies"),
    ("activity", "Activity streams"),
    ("datastore", "The DataStore: tables of rows per resource, and loading files into them"),
    ("harvest", "Harvest sources and jobs (ckanext-harvest): bringing in datasets from other catalogues"),
];

/// The whole document.
pub fn document() -> OpenApi {
    let mut components = ComponentsBuilder::new()
        .schema("Failure", failure_schema())
        .schema("ErrorDict", error_dict_schema())
        .security_scheme(
            "api_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "An API token from `api_token_create` or `datahavn token create`",
            ))),
        )
        .build();
    let mut paths = Paths::new();
    for action in ACTIONS {
        let mut request = (action.request)();
        request.schema = required_not_blank(request.schema);
        let response = (action.response)();
        let mut extra: Components = request.components.clone();
        extra.extend(response.components.iter().cloned());
        extra.push((request.name.to_string(), request.schema.clone()));
        for (name, schema) in extra {
            components.schemas.entry(name).or_insert(schema);
        }
        let mut item = PathItem::new(HttpMethod::Post, operation(action, &request, &response, false));
        if action.side_effect_free {
            item.get = Some(operation(action, &request, &response, true));
        }
        paths.paths.insert(format!("{ACTION_PREFIX}{}", action.name), item);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("datahavn")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(DESCRIPTION))
                .license(Some(LicenseBuilder::new().name("AGPL-3.0-or-later").build()))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .security(Some([
            SecurityRequirement::default(),
            SecurityRequirement::new("api_token", Vec::<String>::new()),
        ]))
        .tags(Some(TAGS.iter().map(|(name, description)| {
            TagBuilder::new().name(*name).description(Some(*description)).build()
        })))
        .build()
}

/// One operation of an action: GET (query parameters) or POST (JSON body).
fn operation(action: &Action, request: &RequestDoc, response: &ResponseDoc, get: bool) -> Operation {
    let (summary, description) = split_doc(action.doc);
    let mut builder = OperationBuilder::new()
        .tag(action.tag)
        .summary(Some(summary))
        .description(Some(description))
        .operation_id(Some(if get { format!("{}_get", action.name) } else { action.name.to_owned() }));
    if get {
        builder = builder.parameters(Some(query_parameters(request)));
    } else {
        let required = has_required_fields(request);
        // Actions that store a file also take `multipart/form-data` with a file part named
        // `upload` (their descriptions say so); only the JSON form is described here, as form
        // field names are free and multipart headers cannot carry every string JSON can.
        builder = builder.request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name(request.name.clone()))).build(),
                )
                .required(Some(if required { Required::True } else { Required::False }))
                .build(),
        ));
    }
    builder = builder.response("200", success_response(action, response, get));
    builder = builder.response(
        "400",
        bare_string_response(
            "Request-level failure, a bare JSON string: `Bad request: JSON Error: ...` (a body or \
             query that cannot be decoded into an object)",
        ),
    );
    let mut errors: Vec<(u16, String)> =
        action.errors.iter().map(|(status, text)| (*status, (*text).to_owned())).collect();
    if !action.side_effect_free && !errors.iter().any(|(status, _)| *status == 403) {
        errors.push((403, "Not permitted (anonymous callers included)".into()));
    }
    if !request.fields.is_empty() && !errors.iter().any(|(status, _)| *status == 409) {
        errors.push((
            409,
            "Field errors: `{\"<field>\": [\"<message>\"], \"__type\": \"Validation Error\"}`".into(),
        ));
    }
    errors.sort_by_key(|(status, _)| *status);
    for (status, text) in errors {
        if status == 400 {
            builder = builder.response("400", either_400_response(&text));
        } else {
            builder = builder.response(status.to_string(), failure_response(&text));
        }
    }
    if !get {
        builder = builder.response("413", bare_string_response("The body is larger than the server's limit"));
    }
    builder.build()
}

/// The first line of a docstring is the summary; the rest, up to `:returns:`/`:rtype:`, the
/// description.
fn split_doc(doc: &str) -> (String, String) {
    let (first, rest) = doc.split_once("\n").unwrap_or((doc, ""));
    let end = rest.find(":returns:").or_else(|| rest.find(":rtype:")).unwrap_or(rest.len());
    let summary = first.trim().trim_end_matches('.').to_owned();
    let description = format!("{}\n\n{}", first.trim(), rest[..end].trim()).trim().to_owned();
    (summary, description)
}

/// Required text must hold something besides blanks (else `Missing value`), unless the field
/// says it may be empty (`min_length` 0).
fn required_not_blank(mut schema: RefOr<Schema>) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(object)) = &mut schema else { return schema };
    for name in object.required.clone() {
        let Some(RefOr::T(Schema::OneOf(one_of))) = object.properties.get_mut(&name) else { continue };
        for item in &mut one_of.items {
            if let RefOr::T(Schema::Object(text)) = item
                && text.schema_type == SchemaType::Type(Type::String)
                && text.pattern.is_none()
                && text.min_length.is_none()
            {
                text.pattern = Some("\\S".into());
            }
        }
    }
    schema
}

fn has_required_fields(request: &RequestDoc) -> bool {
    match &request.schema {
        RefOr::T(Schema::Object(object)) => !object.required.is_empty(),
        _ => false,
    }
}

/// Each field of the request as a query parameter, with the schema its reader accepts.
fn query_parameters(request: &RequestDoc) -> Vec<Parameter> {
    let RefOr::T(Schema::Object(object)) = &request.schema else { return Vec::new() };
    object
        .properties
        .iter()
        .map(|(name, schema)| {
            let required = object.required.contains(name);
            let (description, schema) = query_schema(schema);
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(if required { Required::True } else { Required::False })
                .description(description)
                .schema(Some(schema))
                .build()
        })
        .collect()
}

/// A property's description, and its schema as a query string can carry it (no `null`).
fn query_schema(schema: &RefOr<Schema>) -> (Option<String>, RefOr<Schema>) {
    match schema {
        RefOr::T(Schema::OneOf(one_of)) => {
            let mut query = OneOf::new();
            query.items = one_of
                .items
                .iter()
                .filter(|item| !matches!(item, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null)))
                .cloned()
                .collect();
            (one_of.description.clone(), RefOr::T(Schema::OneOf(query)))
        }
        RefOr::T(Schema::Object(object)) => (object.description.clone(), schema.clone()),
        other => (None, other.clone()),
    }
}

/// `{help, success: true, result}` around the action's result type.
fn success_response(action: &Action, response: &ResponseDoc, get: bool) -> Response {
    let envelope = ObjectBuilder::new()
        .property("help", string_schema())
        .required("help")
        .property(
            "success",
            ObjectBuilder::new().schema_type(SchemaType::Type(Type::Boolean)).enum_values(Some([true])),
        )
        .required("success")
        .property("result", response.schema.clone())
        .required("result");
    // CKAN 2.12 names what a write changed beside the result (`package_update` that changed the
    // dataset: `{"packages": [id]}`).
    let envelope = if action.side_effect_free {
        envelope
    } else {
        envelope.property(
            "changed_entities",
            ObjectBuilder::new()
                .description(Some("The kinds and ids of the entities the call changed, when it reports them"))
                .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::RefOr(RefOr::T(
                    Schema::Array(
                        utoipa::openapi::schema::ArrayBuilder::new().items(string_schema()).build(),
                    ),
                )))),
        )
    };
    let mut builder = ResponseBuilder::new()
        .description(format!("The result of `{}`", action.name))
        .content("application/json", ContentBuilder::new().schema(Some(envelope)).build());
    if get {
        builder = builder
            .content("application/javascript", ContentBuilder::new().schema(Some(string_schema())).build());
    }
    builder.build()
}

fn failure_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("Failure"))).build(),
        )
        .build()
}

fn bare_string_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(string_schema())).build())
        .build()
}

/// A 400 that is either the transport's bare string or the action's own failure envelope.
fn either_400_response(description: &str) -> Response {
    let mut either = OneOf::new();
    either.items =
        vec![RefOr::T(Schema::Object(string_schema().build())), RefOr::Ref(Ref::from_schema_name("Failure"))];
    ResponseBuilder::new()
        .description(format!("{description}; or a request-level failure (a bare JSON string)"))
        .content("application/json", ContentBuilder::new().schema(Some(Schema::OneOf(either))).build())
        .build()
}

fn string_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::Type(Type::String))
}

fn failure_schema() -> Schema {
    ObjectBuilder::new()
        .description(Some("A failed action call (400, 403, 404, 409, 500)."))
        .property("help", string_schema())
        .required("help")
        .property("error", Ref::from_schema_name("ErrorDict"))
        .required("error")
        .property(
            "success",
            ObjectBuilder::new().schema_type(SchemaType::Type(Type::Boolean)).enum_values(Some([false])),
        )
        .required("success")
        .into()
}

fn error_dict_schema() -> Schema {
    ObjectBuilder::new()
        .description(Some(
            "`__type` is `Validation Error` (409; the field errors sit beside it: lists of \
             messages, or nested dicts and lists of them for nested fields; no `message` unless \
             the action names one), `Authorization Error` (403), `Not Found Error` (404), \
             `Integrity Error` (400, with the request's dict echoed as `data`, as CKAN does), \
             `Search Query Error` (400) or `Internal Server Error` (500).",
        ))
        .property("__type", string_schema().examples(["Not Found Error"]))
        .required("__type")
        .property(
            "message",
            ObjectBuilder::new()
                .schema_type(SchemaType::AnyValue)
                .description(Some(
                    "`Not found: ...`, `Access denied: ...`; in a few validation errors a list",
                ))
                .examples(["Not found"]),
        )
        .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(true)))
        .into()
}
