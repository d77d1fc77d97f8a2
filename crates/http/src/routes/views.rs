//! Resource view routes.

use actix_web::{HttpRequest, HttpResponse, route, web};

use super::views_params::{
    ResourceIdParams, ViewClearParams, ViewDeleteResult, ViewDict, ViewIdParams, ViewInput,
    ViewReorderParams, ViewReorderResult,
};
use crate::AppState;
use crate::dispatch::dispatch;
use crate::envelope::{Failure, Success};

/// Create a resource view
///
/// Keys beyond the listed ones are the view's configuration. You must be allowed to edit the dataset.
#[utoipa::path(
    post, path = "/resource_view_create", tag = "resources",
    request_body(content = ViewInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The new view", body = Success<ViewDict>),
        (status = 403, description = "Not allowed to edit the dataset", body = Failure),
        (status = 409, description = "Field errors (`title`, `view_type`, `resource_id`, `id`)", body = Failure),
    )
)]
#[route("/resource_view_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_view_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_view_create").await
}

/// Show a resource view
///
/// The dataset's read rules apply.
#[utoipa::path(
    method(get, post), path = "/resource_view_show", tag = "resources",
    params(ViewIdParams), request_body(content = ViewIdParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The view", body = Success<ViewDict>),
        (status = 403, description = "Its dataset is not readable", body = Failure),
        (status = 404, description = "No such view", body = Failure),
        (status = 409, description = "`id` missing", body = Failure),
    )
)]
#[route("/resource_view_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_view_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_view_show").await
}

/// List a resource's views
///
/// In their order; the dataset's read rules apply.
#[utoipa::path(
    method(get, post), path = "/resource_view_list", tag = "resources",
    params(ResourceIdParams), request_body(content = ResourceIdParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The views", body = Success<Vec<ViewDict>>),
        (status = 403, description = "Its dataset is not readable", body = Failure),
        (status = 404, description = "No such resource", body = Failure),
        (status = 409, description = "`id` missing", body = Failure),
    )
)]
#[route("/resource_view_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_view_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_view_list").await
}

/// Update a resource view
///
/// Title, description and resource are kept when not given; the configuration sent replaces the stored one.
#[utoipa::path(
    post, path = "/resource_view_update", tag = "resources",
    request_body(content = ViewInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated view", body = Success<ViewDict>),
        (status = 403, description = "Not allowed to edit the dataset", body = Failure),
        (status = 404, description = "`Not found: Resource view was not found.`", body = Failure),
        (status = 409, description = "Field errors", body = Failure),
    )
)]
#[route("/resource_view_update", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_view_update(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_view_update").await
}

/// Delete a resource view
///
/// You must be allowed to edit the dataset.
#[utoipa::path(
    post, path = "/resource_view_delete", tag = "resources",
    request_body(content = ViewIdParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The view's resource", body = Success<ViewDeleteResult>),
        (status = 403, description = "Not allowed to edit the dataset", body = Failure),
        (status = 404, description = "No such view", body = Failure),
        (status = 409, description = "`id` missing", body = Failure),
    )
)]
#[route("/resource_view_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_view_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_view_delete").await
}

/// Reorder a resource's views
///
/// The listed views go first, in that order.
#[utoipa::path(
    post, path = "/resource_view_reorder", tag = "resources",
    request_body(content = ViewReorderParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The new order", body = Success<ViewReorderResult>),
        (status = 403, description = "Not allowed to edit the dataset", body = Failure),
        (status = 404, description = "`Not found: Resource was not found.`", body = Failure),
        (status = 409, description = "A key missing, duplicates, or an unknown view", body = Failure),
    )
)]
#[route("/resource_view_reorder", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_view_reorder(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_view_reorder").await
}

/// Delete every resource view
///
/// Of the site, or of the given types. Sysadmins only.
#[utoipa::path(
    post, path = "/resource_view_clear", tag = "resources",
    request_body(content = ViewClearParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not a sysadmin", body = Failure),
    )
)]
#[route("/resource_view_clear", method = "GET", method = "POST", method = "HEAD")]
pub async fn resource_view_clear(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "resource_view_clear").await
}
