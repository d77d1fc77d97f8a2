use actix_web::{HttpRequest, HttpResponse, route, web};

use super::package_params::{
    IdOnly, ReorderParams, ResourceDict, ResourceInput, ResourceSearchParams, ResourceSearchResult,
    ResourceShowParams,
};
use crate::AppState;
use crate::dispatch::dispatch;
use crate::envelope::{Failure, Success};

/// Show a resource
///
/// Taken from its dataset; the dataset's read rules apply.
#[utoipa::path(
    method(get, post), path = "/resource_show", tag = "resources",
    params(ResourceShowParams), request_body(content = ResourceShowParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The resource", body = Success<ResourceDict>),
        (status = 403, description = "Its dataset is not readable", body = Failure),
        (status = 404, description = "No such resource", body = Failure),
    )
)]
#[route("/resource_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_show").await
}

/// Create a resource
///
/// Appended to the dataset; the format is guessed from the URL when empty.
#[utoipa::path(
    post, path = "/resource_create", tag = "resources",
    request_body(content = ResourceInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The new resource", body = Success<ResourceDict>),
        (status = 403, description = "Not allowed to edit the dataset", body = Failure),
        (status = 404, description = "No such dataset", body = Failure),
        (status = 409, description = "Field errors", body = Failure),
    )
)]
#[route("/resource_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_create").await
}

/// Update a resource
///
/// Replaces it; fields not given are cleared.
#[utoipa::path(
    post, path = "/resource_update", tag = "resources",
    request_body(content = ResourceInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated resource", body = Success<ResourceDict>),
        (status = 403, description = "Not allowed to edit the dataset", body = Failure),
        (status = 404, description = "`Not found: Resource was not found.`", body = Failure),
        (status = 409, description = "Field errors", body = Failure),
    )
)]
#[route("/resource_update", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_update(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_update").await
}

/// Patch a resource
///
/// Changes only the given fields.
#[utoipa::path(
    post, path = "/resource_patch", tag = "resources",
    request_body(content = ResourceInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated resource", body = Success<ResourceDict>),
        (status = 403, description = "Not allowed to edit the dataset", body = Failure),
        (status = 404, description = "`Not found: Resource was not found.`", body = Failure),
        (status = 409, description = "Field errors", body = Failure),
    )
)]
#[route("/resource_patch", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_patch(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_patch").await
}

/// Delete a resource
#[utoipa::path(
    post, path = "/resource_delete", tag = "resources",
    request_body(content = IdOnly, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not allowed to edit the dataset", body = Failure),
        (status = 404, description = "No such resource", body = Failure),
    )
)]
#[route("/resource_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_delete").await
}

/// Search resources
///
/// Resources of active public datasets; `field:term` substrings (`hash`: prefix).
#[utoipa::path(
    method(get, post), path = "/resource_search", tag = "resources",
    params(ResourceSearchParams), request_body(content = ResourceSearchParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Matches", body = Success<ResourceSearchResult>),
        (status = 409, description = "Unknown field or malformed query", body = Failure),
    )
)]
#[route("/resource_search", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_search(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_search").await
}

/// Reorder resources
///
/// The listed resource ids go first, in that order.
#[utoipa::path(
    post, path = "/package_resource_reorder", tag = "resources",
    request_body(content = ReorderParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`{id, order}`", body = Success<ReorderParams>),
        (status = 403, description = "Not allowed to edit the dataset", body = Failure),
        (status = 404, description = "No such dataset", body = Failure),
        (status = 409, description = "An id that is not the dataset's", body = Failure),
    )
)]
#[route("/package_resource_reorder", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_resource_reorder(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_resource_reorder").await
}
