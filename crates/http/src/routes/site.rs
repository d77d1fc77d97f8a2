use actix_web::{HttpRequest, HttpResponse, route, web};
use datahavn_actions::dto::{LicenseDict, StatusShow};

use super::params::HelpShowParams;
use crate::AppState;
use crate::dispatch::dispatch;
use crate::envelope::{Failure, Success};

/// Site status
///
/// The site's title, description, URL, default locale, the CKAN extensions whose actions it
/// answers, and the CKAN API version it is compatible with.
#[utoipa::path(
    method(get, post), path = "/status_show", tag = "site",
    responses((status = 200, description = "The site's status", body = Success<StatusShow>))
)]
#[route("/status_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn status_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "status_show").await
}

/// Site read (legacy)
///
/// Always `true`. CKAN dropped it in 2.11; kept for old clients.
#[utoipa::path(
    method(get, post), path = "/site_read", tag = "site",
    responses((status = 200, description = "`true`", body = Success<bool>))
)]
#[route("/site_read", method = "GET", method = "POST", method = "HEAD")]
pub async fn site_read(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "site_read").await
}

/// Help for an action
///
/// The documentation text of an action.
#[utoipa::path(
    method(get, post), path = "/help_show", tag = "site",
    params(HelpShowParams), request_body(content = HelpShowParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The action's documentation", body = Success<String>),
        (status = 404, description = "`Not found: Action function not found`", body = Failure),
        (status = 409, description = "`name` missing", body = Failure),
    )
)]
#[route("/help_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn help_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "help_show").await
}

/// Licences
///
/// The licences datasets may carry (CKAN's default register). Every value is a string.
#[utoipa::path(
    method(get, post), path = "/license_list", tag = "site",
    responses((status = 200, description = "The licence register", body = Success<Vec<LicenseDict>>))
)]
#[route("/license_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn license_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "license_list").await
}
