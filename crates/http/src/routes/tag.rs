//! Tag and vocabulary actions.

use actix_web::{HttpRequest, HttpResponse, route, web};

use super::tag_params::{
    FormatAutocompleteParams, TagDict, TagListParams, TagSearchParams, TagSearchResult, TagShowParams,
    VocabularyCreateParams, VocabularyDict, VocabularyIdParams, VocabularyUpdateParams,
};
use crate::AppState;
use crate::dispatch::dispatch;
use crate::envelope::{Failure, Success};

/// List tags
///
/// Names of the free tags active public datasets carry, or of a vocabulary's tags; tag dicts with `all_fields`.
#[utoipa::path(
    method(get, post), path = "/tag_list", tag = "tags",
    params(TagListParams), request_body(content = TagListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Tag names (or tag dicts)", body = Success<Vec<String>>),
        (status = 404, description = "`Not found: could not find vocabulary '<id>'`", body = Failure),
        (status = 409, description = "A parameter of the wrong type", body = Failure),
    )
)]
#[route("/tag_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn tag_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "tag_list").await
}

/// Show a tag
///
/// A tag by id or name, with its active public datasets if asked.
#[utoipa::path(
    method(get, post), path = "/tag_show", tag = "tags",
    params(TagShowParams), request_body(content = TagShowParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The tag", body = Success<TagDict>),
        (status = 404, description = "No such tag (or only private datasets carry it)", body = Failure),
        (status = 409, description = "`id` missing", body = Failure),
    )
)]
#[route("/tag_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn tag_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "tag_show").await
}

/// Search tags
///
/// Tags whose names contain every query string, by name, with the number of matches.
#[utoipa::path(
    method(get, post), path = "/tag_search", tag = "tags",
    params(TagSearchParams), request_body(content = TagSearchParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Count and a page of tags", body = Success<TagSearchResult>),
        (status = 409, description = "Bad `limit`, `offset` or empty `vocabulary_id`", body = Failure),
    )
)]
#[route("/tag_search", method = "GET", method = "POST", method = "HEAD")]
pub async fn tag_search(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "tag_search").await
}

/// Autocomplete tags
///
/// Names of the tags containing the query.
#[utoipa::path(
    method(get, post), path = "/tag_autocomplete", tag = "tags",
    params(TagSearchParams), request_body(content = TagSearchParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Tag names", body = Success<Vec<String>>),
        (status = 409, description = "Bad `limit`, `offset` or empty `vocabulary_id`", body = Failure),
    )
)]
#[route("/tag_autocomplete", method = "GET", method = "POST", method = "HEAD")]
pub async fn tag_autocomplete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "tag_autocomplete").await
}

/// Autocomplete resource formats
///
/// Lowercased resource formats containing `q`, most used first.
#[utoipa::path(
    method(get, post), path = "/format_autocomplete", tag = "tags",
    params(FormatAutocompleteParams), request_body(content = FormatAutocompleteParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Formats", body = Success<Vec<String>>),
        (status = 409, description = "`q` missing", body = Failure),
    )
)]
#[route("/format_autocomplete", method = "GET", method = "POST", method = "HEAD")]
pub async fn format_autocomplete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "format_autocomplete").await
}

/// List vocabularies
///
/// Every tag vocabulary with its tags.
#[utoipa::path(
    method(get, post), path = "/vocabulary_list", tag = "tags",
    responses(
        (status = 200, description = "Vocabularies", body = Success<Vec<VocabularyDict>>),
    )
)]
#[route("/vocabulary_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn vocabulary_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "vocabulary_list").await
}

/// Show a vocabulary
///
/// A tag vocabulary with its tags.
#[utoipa::path(
    method(get, post), path = "/vocabulary_show", tag = "tags",
    params(VocabularyIdParams), request_body(content = VocabularyIdParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The vocabulary", body = Success<VocabularyDict>),
        (status = 404, description = "`Not found: Could not find vocabulary \"<id>\"`", body = Failure),
        (status = 409, description = "`{\"id\": \"id not in data\"}`", body = Failure),
    )
)]
#[route("/vocabulary_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn vocabulary_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "vocabulary_show").await
}

/// Create a vocabulary
///
/// Sysadmins only. May bring its tags along.
#[utoipa::path(
    post, path = "/vocabulary_create", tag = "tags",
    request_body(content = VocabularyCreateParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The new vocabulary", body = Success<VocabularyDict>),
        (status = 400, description = "`tags` is not a list of dicts", body = Failure),
        (status = 403, description = "Not a sysadmin", body = Failure),
        (status = 409, description = "Field errors (name missing, too short or long, taken; bad tags)", body = Failure),
    )
)]
#[route("/vocabulary_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn vocabulary_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "vocabulary_create").await
}

/// Update a vocabulary
///
/// Sysadmins only. Renames it and, with `tags`, replaces its tags.
#[utoipa::path(
    post, path = "/vocabulary_update", tag = "tags",
    request_body(content = VocabularyUpdateParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated vocabulary", body = Success<VocabularyDict>),
        (status = 403, description = "Not a sysadmin", body = Failure),
        (status = 404, description = "No such vocabulary", body = Failure),
        (status = 409, description = "Field errors", body = Failure),
    )
)]
#[route("/vocabulary_update", method = "GET", method = "POST", method = "HEAD")]
pub async fn vocabulary_update(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "vocabulary_update").await
}

/// Delete a vocabulary
///
/// Sysadmins only. Its tags go too, also from the datasets carrying them.
#[utoipa::path(
    post, path = "/vocabulary_delete", tag = "tags",
    request_body(content = VocabularyIdParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not a sysadmin", body = Failure),
        (status = 404, description = "No such vocabulary", body = Failure),
        (status = 409, description = "`{\"id\": \"id not in data\"}`", body = Failure),
    )
)]
#[route("/vocabulary_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn vocabulary_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "vocabulary_delete").await
}
