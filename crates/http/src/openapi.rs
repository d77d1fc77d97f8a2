//! The OpenAPI document: collected from the route annotations by utoipa-actix-web, plus the
//! parts no route carries (info, tags, the token security scheme).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "datahavn",
        description = "An open-data catalogue server that speaks the CKAN Action API.\n\n\
            Every action answers at `/api/3/action/<name>` (and `/api/action/<name>`). Read-only \
            actions take GET with their parameters in the query string, or POST; the others take \
            POST with a JSON (or form) body. Results come wrapped as `{help, success, result}`; \
            failures as `{help, error: {__type, message | field errors}, success: false}` with \
            status 403, 404, 409 or 500. Request-level failures (unknown action, GET on a write \
            action, malformed JSON) are a bare JSON string with status 400.\n\n\
            Authenticate with an API token in the `Authorization` header (raw, as CKAN clients \
            send it, or `Bearer <token>`) or in `X-CKAN-API-Key`. A bad or revoked token makes \
            the request anonymous; it is never an error by itself.",
        license(name = "AGPL-3.0-or-later"),
    ),
    modifiers(&SecurityAddon),
    security((), ("api_token" = [])),
    tags(
        (name = "site", description = "Site status, help and licences"),
        (name = "users", description = "User accounts"),
        (name = "api tokens", description = "JWT API tokens"),
        (name = "organizations", description = "Organizations"),
        (name = "groups", description = "Groups"),
        (name = "members", description = "Memberships of users, datasets and groups in organizations and groups"),
        (name = "datasets", description = "Datasets (packages)"),
        (name = "resources", description = "Resources of datasets"),
        (name = "tags", description = "Tags and tag vocabularies"),
        (name = "activity", description = "Activity streams"),
    )
)]
pub struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "An API token from `api_token_create` or `datahavn token create`",
            ))),
        );
    }
}

/// Read-only actions are documented twice: GET with query parameters (operation id
/// `<action>_get`) and POST with a JSON body (operation id `<action>`). The annotations describe
/// both at once; this splits them so each operation has its own id and its own inputs.
pub fn split_get_and_post(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    for item in api.paths.paths.values_mut() {
        let (Some(get), Some(post)) = (item.get.as_mut(), item.post.as_mut()) else {
            continue;
        };
        if get.operation_id.is_some() && get.operation_id == post.operation_id {
            get.operation_id = get.operation_id.take().map(|id| format!("{id}_get"));
            get.request_body = None;
            post.parameters = None;
        }
    }
    api
}
