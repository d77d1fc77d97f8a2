use actix_web::{HttpRequest, HttpResponse, route, web};

use super::package_params::{
    AutocompleteParams, IdOnly, PackageAutocompleteItem, PackageDict, PackageInput, PackageSearchParams,
    PackageSearchResult, PackageShowParams, PageParams,
};
use crate::AppState;
use crate::dispatch::dispatch;
use crate::envelope::{Failure, Success};

/// Show a dataset
///
/// The dataset dict with its resources, organization, tags, groups and extras.
#[utoipa::path(
    method(get, post), path = "/package_show", tag = "datasets",
    params(PackageShowParams), request_body(content = PackageShowParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The dataset", body = Success<PackageDict>),
        (status = 403, description = "Private, draft or deleted and not yours", body = Failure),
        (status = 404, description = "No such dataset", body = Failure),
    )
)]
#[route("/package_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_show").await
}

/// List dataset names
///
/// Names of active public datasets, sorted.
#[utoipa::path(
    method(get, post), path = "/package_list", tag = "datasets",
    params(PageParams), request_body(content = PageParams, content_type = "application/json"),
    responses((status = 200, description = "Names", body = Success<Vec<String>>))
)]
#[route("/package_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_list").await
}

/// Datasets with resources
///
/// Full dataset dicts, most recently modified first (10 by default).
#[utoipa::path(
    method(get, post), path = "/current_package_list_with_resources", tag = "datasets",
    params(PageParams), request_body(content = PageParams, content_type = "application/json"),
    responses((status = 200, description = "Dataset dicts", body = Success<Vec<PackageDict>>))
)]
#[route("/current_package_list_with_resources", method = "GET", method = "POST", method = "HEAD")]
pub async fn current_package_list_with_resources(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "current_package_list_with_resources").await
}

/// Autocomplete datasets
///
/// Active public datasets whose name or title contains `q`.
#[utoipa::path(
    method(get, post), path = "/package_autocomplete", tag = "datasets",
    params(AutocompleteParams), request_body(content = AutocompleteParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Matches", body = Success<Vec<PackageAutocompleteItem>>),
        (status = 409, description = "`q` missing", body = Failure),
    )
)]
#[route("/package_autocomplete", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_autocomplete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_autocomplete").await
}

/// Create a dataset
///
/// Editors and admins of the organization, and sysadmins. Free-form top-level keys are kept.
#[utoipa::path(
    post, path = "/package_create", tag = "datasets",
    request_body(content = PackageInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The new dataset", body = Success<PackageDict>),
        (status = 400, description = "Lists that are not lists of dicts (`Integrity Error`)", body = Failure),
        (status = 403, description = "Not allowed to create datasets", body = Failure),
        (status = 409, description = "Field errors", body = Failure),
    )
)]
#[route("/package_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_create").await
}

/// Update a dataset
///
/// Replaces the dataset's fields; `resources` and `groups` are kept when absent.
#[utoipa::path(
    post, path = "/package_update", tag = "datasets",
    request_body(content = PackageInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated dataset", body = Success<PackageDict>),
        (status = 403, description = "Not allowed to edit it", body = Failure),
        (status = 404, description = "`Not found: Package was not found.`", body = Failure),
        (status = 409, description = "Field errors", body = Failure),
    )
)]
#[route("/package_update", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_update(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_update").await
}

/// Patch a dataset
///
/// Changes only the given top-level fields.
#[utoipa::path(
    post, path = "/package_patch", tag = "datasets",
    request_body(content = PackageInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated dataset", body = Success<PackageDict>),
        (status = 403, description = "Not allowed to edit it", body = Failure),
        (status = 404, description = "No such dataset", body = Failure),
        (status = 409, description = "Field errors", body = Failure),
    )
)]
#[route("/package_patch", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_patch(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_patch").await
}

/// Delete a dataset
///
/// State `deleted`; the name becomes free.
#[utoipa::path(
    post, path = "/package_delete", tag = "datasets",
    request_body(content = IdOnly, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not allowed to edit it", body = Failure),
        (status = 404, description = "No such dataset", body = Failure),
    )
)]
#[route("/package_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_delete").await
}

/// Purge a dataset
///
/// Sysadmins only; removes it for good.
#[utoipa::path(
    post, path = "/dataset_purge", tag = "datasets",
    request_body(content = IdOnly, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not a sysadmin", body = Failure),
        (status = 404, description = "`Not found: Dataset was not found`", body = Failure),
    )
)]
#[route("/dataset_purge", method = "GET", method = "POST", method = "HEAD")]
pub async fn dataset_purge(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "dataset_purge").await
}

/// Search datasets
///
/// CKAN's `package_search`: Solr-style `q` and `fq`, sorting, paging and facets, answered from
/// the embedded index. Private, draft and deleted datasets only when asked for and readable.
#[utoipa::path(
    method(get, post), path = "/package_search", tag = "datasets",
    params(PackageSearchParams), request_body(content = PackageSearchParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Matches", body = Success<PackageSearchResult>),
        (status = 400, description = "Unknown parameter, bad sort or unparseable query (`Search Query Error`)", body = Failure),
        (status = 409, description = "Bad `rows` or `start`", body = Failure),
    )
)]
#[route("/package_search", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_search(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_search").await
}
