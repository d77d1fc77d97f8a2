use actix_web::{HttpRequest, HttpResponse, route, web};
use datahavn_actions::dto::{UserAutocompleteItem, UserDict};

use super::params::{
    IdParams, UserAutocompleteParams, UserCreateParams, UserListParams, UserShowParams, UserUpdateParams,
};
use crate::AppState;
use crate::dispatch::dispatch;
use crate::envelope::{Failure, Success};

/// Create a user
///
/// Sysadmins only (unless the site lets anyone register). Returns the new user with `email`.
#[utoipa::path(
    post, path = "/user_create", tag = "users",
    request_body(content = UserCreateParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The new user", body = Success<UserDict>),
        (status = 403, description = "Not a sysadmin", body = Failure),
        (status = 409, description = "Field errors: name, email, password, about", body = Failure),
    )
)]
#[route("/user_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn user_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "user_create").await
}

/// Show a user
///
/// `email` and `apikey` only for the user themself and sysadmins. Without `id`, the caller.
#[utoipa::path(
    method(get, post), path = "/user_show", tag = "users",
    params(UserShowParams), request_body(content = UserShowParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The user", body = Success<UserDict>),
        (status = 404, description = "No such user", body = Failure),
    )
)]
#[route("/user_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn user_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "user_show").await
}

/// List users
///
/// Active users (all of them unless `limit` is given); names only with `all_fields=false`.
#[utoipa::path(
    method(get, post), path = "/user_list", tag = "users",
    params(UserListParams), request_body(content = UserListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "User dicts (or names)", body = Success<Vec<UserDict>>),
        (status = 409, description = "Bad `limit`, `offset` or `order_by`", body = Failure),
    )
)]
#[route("/user_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn user_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "user_list").await
}

/// Update a user
///
/// The user themself or a sysadmin. `email` is required; fields not sent keep their values.
#[utoipa::path(
    post, path = "/user_update", tag = "users",
    request_body(content = UserUpdateParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated user", body = Success<UserDict>),
        (status = 403, description = "Neither the user nor a sysadmin", body = Failure),
        (status = 404, description = "`Not found: User was not found.`", body = Failure),
        (status = 409, description = "Field errors", body = Failure),
    )
)]
#[route("/user_update", method = "GET", method = "POST", method = "HEAD")]
pub async fn user_update(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "user_update").await
}

/// Patch a user
///
/// Like `user_update`, but fields not sent keep their values.
#[utoipa::path(
    post, path = "/user_patch", tag = "users",
    request_body(content = UserUpdateParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated user", body = Success<UserDict>),
        (status = 403, description = "Neither the user nor a sysadmin", body = Failure),
        (status = 404, description = "`Not found: User was not found.`", body = Failure),
        (status = 409, description = "Field errors", body = Failure),
    )
)]
#[route("/user_patch", method = "GET", method = "POST", method = "HEAD")]
pub async fn user_patch(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "user_patch").await
}

/// Delete a user
///
/// Sysadmins only. The user's state becomes `deleted`; their tokens stop working.
#[utoipa::path(
    post, path = "/user_delete", tag = "users",
    request_body(content = IdParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not a sysadmin", body = Failure),
        (status = 404, description = "`Not found: User \"x\" was not found.`", body = Failure),
        (status = 409, description = "`id` missing", body = Failure),
    )
)]
#[route("/user_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn user_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "user_delete").await
}

/// Autocomplete user names
///
/// Active users whose name, full name or email contain `q`.
#[utoipa::path(
    method(get, post), path = "/user_autocomplete", tag = "users",
    params(UserAutocompleteParams), request_body(content = UserAutocompleteParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Matching users", body = Success<Vec<UserAutocompleteItem>>),
        (status = 409, description = "`q` missing", body = Failure),
    )
)]
#[route("/user_autocomplete", method = "GET", method = "POST", method = "HEAD")]
pub async fn user_autocomplete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "user_autocomplete").await
}
