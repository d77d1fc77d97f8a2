//! Activity stream actions (CKAN's activity extension), and their documented parameters
//! (OpenAPI only; the actions read the dict).
#![allow(dead_code)]

use actix_web::{HttpRequest, HttpResponse, route, web};
use datahavn_actions::dto::ActivityDict;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::dispatch::dispatch;
use crate::envelope::{Failure, Success};

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PackageActivityListParams {
    /// Dataset id or name.
    pub id: String,
    /// Default 0.
    pub offset: Option<u32>,
    /// Default 31, at most 100.
    pub limit: Option<u32>,
    /// Only activities after this Unix timestamp.
    pub after: Option<f64>,
    /// Only activities before this Unix timestamp.
    pub before: Option<f64>,
    /// Sysadmins only: also what the site itself did (CLI loads, harvests).
    pub include_hidden_activity: Option<bool>,
    /// Only these types (a list; not with `exclude_activity_types`).
    pub activity_types: Option<Vec<String>>,
    /// Leave these types out (a list).
    pub exclude_activity_types: Option<Vec<String>>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserActivityListParams {
    /// User id or name.
    pub id: String,
    /// Default 0.
    pub offset: Option<u32>,
    /// Default 31, at most 100.
    pub limit: Option<u32>,
    /// Only activities after this Unix timestamp.
    pub after: Option<f64>,
    /// Only activities before this Unix timestamp.
    pub before: Option<f64>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityPageParams {
    /// Default 0.
    pub offset: Option<u32>,
    /// Default 31, at most 100.
    pub limit: Option<u32>,
    /// Only activities after this Unix timestamp.
    pub after: Option<f64>,
    /// Only activities before this Unix timestamp.
    pub before: Option<f64>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityIdParams {
    /// Activity id.
    pub id: String,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityDataShowParams {
    /// Activity id.
    pub id: String,
    /// `package`, `user`, `group` or `organization`: only that part of the data.
    pub object_type: Option<String>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityDiffParams {
    /// Activity id.
    pub id: String,
    /// `package`, `user`, `group` or `organization`.
    pub object_type: String,
    /// `unified` (default) or `context`.
    pub diff_type: Option<String>,
}

#[derive(ToSchema)]
pub struct ActivityDiffResult {
    /// The lines of Python's `difflib` for the two objects as sorted, indented JSON.
    pub diff: String,
    /// The previous activity and this one.
    pub activities: Vec<ActivityDict>,
}

/// A dataset's activity
///
/// Newest first; for those who may read the dataset. Activity of private datasets only reaches callers holding its permission labels.
#[utoipa::path(
    method(get, post), path = "/package_activity_list", tag = "activity",
    params(PackageActivityListParams), request_body(content = PackageActivityListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Activities", body = Success<Vec<ActivityDict>>),
        (status = 403, description = "May not read the dataset", body = Failure),
        (status = 404, description = "No such dataset", body = Failure),
        (status = 409, description = "Bad paging or type filters", body = Failure),
    )
)]
#[route("/package_activity_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_activity_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_activity_list").await
}

/// A user's activity
///
/// What the user did and what was done to their account, newest first; activities of datasets the caller may not read are left out.
#[utoipa::path(
    method(get, post), path = "/user_activity_list", tag = "activity",
    params(UserActivityListParams), request_body(content = UserActivityListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Activities", body = Success<Vec<ActivityDict>>),
        (status = 404, description = "No such user", body = Failure),
        (status = 409, description = "Bad paging", body = Failure),
    )
)]
#[route("/user_activity_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn user_activity_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "user_activity_list").await
}

/// Recently changed datasets
///
/// New, changed and deleted dataset activities of the whole site, newest first; those of datasets the caller may not read are left out.
#[utoipa::path(
    method(get, post), path = "/recently_changed_packages_activity_list", tag = "activity",
    params(ActivityPageParams), request_body(content = ActivityPageParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Activities", body = Success<Vec<ActivityDict>>),
        (status = 409, description = "Bad paging", body = Failure),
    )
)]
#[route("/recently_changed_packages_activity_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn recently_changed_packages_activity_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "recently_changed_packages_activity_list").await
}

/// Show an activity
///
/// One activity; dataset activities for those who may read the dataset, others for sysadmins.
#[utoipa::path(
    method(get, post), path = "/activity_show", tag = "activity",
    params(ActivityIdParams), request_body(content = ActivityIdParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The activity", body = Success<ActivityDict>),
        (status = 403, description = "May not see it", body = Failure),
        (status = 404, description = "No such activity", body = Failure),
        (status = 409, description = "`id` missing", body = Failure),
    )
)]
#[route("/activity_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn activity_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "activity_show").await
}

/// An activity's data
///
/// The object as the activity recorded it (`{package, actor}` for datasets, or one part with `object_type`); for those who may edit the dataset.
#[utoipa::path(
    method(get, post), path = "/activity_data_show", tag = "activity",
    params(ActivityDataShowParams), request_body(content = ActivityDataShowParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The data", body = Success<serde_json::Value>),
        (status = 403, description = "May not see it", body = Failure),
        (status = 404, description = "No such activity, or no such part", body = Failure),
        (status = 409, description = "`id` missing", body = Failure),
    )
)]
#[route("/activity_data_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn activity_data_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "activity_data_show").await
}

/// Diff an activity
///
/// The change an activity made: its object against the previous activity's, as a text diff of the objects' sorted, indented JSON; for those who may edit the dataset.
#[utoipa::path(
    method(get, post), path = "/activity_diff", tag = "activity",
    params(ActivityDiffParams), request_body(content = ActivityDiffParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The diff and the two activities, older first", body = Success<ActivityDiffResult>),
        (status = 403, description = "May not see it", body = Failure),
        (status = 404, description = "No such activity, no previous one, or no such object in them", body = Failure),
        (status = 409, description = "`id` or `object_type` missing, unknown `diff_type`", body = Failure),
    )
)]
#[route("/activity_diff", method = "GET", method = "POST", method = "HEAD")]
pub async fn activity_diff(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "activity_diff").await
}
