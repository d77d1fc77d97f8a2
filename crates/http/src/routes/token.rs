use actix_web::{HttpRequest, HttpResponse, route, web};
use datahavn_actions::dto::{ApiTokenCreated, ApiTokenDict};

use super::params::{ApiTokenCreateParams, ApiTokenListParams, ApiTokenRevokeParams};
use crate::AppState;
use crate::dispatch::dispatch;
use crate::envelope::{Failure, Success};

/// Create an API token
///
/// For oneself, or by a sysadmin for anyone. The JWT is returned once and never stored.
#[utoipa::path(
    post, path = "/api_token_create", tag = "api tokens",
    request_body(content = ApiTokenCreateParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The token and its id", body = Success<ApiTokenCreated>),
        (status = 403, description = "Not the user nor a sysadmin", body = Failure),
        (status = 404, description = "`Not found: User not found`", body = Failure),
        (status = 409, description = "`user` or `name` missing", body = Failure),
    )
)]
#[route("/api_token_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn api_token_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "api_token_create").await
}

/// List API tokens
///
/// A user's tokens, oldest first (never the tokens themselves).
#[utoipa::path(
    method(get, post), path = "/api_token_list", tag = "api tokens",
    params(ApiTokenListParams), request_body(content = ApiTokenListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Token metadata", body = Success<Vec<ApiTokenDict>>),
        (status = 403, description = "Not the user nor a sysadmin", body = Failure),
        (status = 404, description = "`Not found: User not found`", body = Failure),
        (status = 409, description = "`user_id` missing", body = Failure),
    )
)]
#[route("/api_token_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn api_token_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "api_token_list").await
}

/// Revoke an API token
///
/// By `token` or `jti`. The next request made with the token is anonymous.
#[utoipa::path(
    post, path = "/api_token_revoke", tag = "api tokens",
    request_body(content = ApiTokenRevokeParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not the owner nor a sysadmin", body = Failure),
        (status = 404, description = "`Not found: API token not found`", body = Failure),
        (status = 409, description = "Neither `token` nor `jti` given", body = Failure),
    )
)]
#[route("/api_token_revoke", method = "GET", method = "POST", method = "HEAD")]
pub async fn api_token_revoke(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "api_token_revoke").await
}
