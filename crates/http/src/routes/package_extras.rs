//! Dataset collaborator, relationship, bulk, owner organization and revise routes.

use actix_web::{HttpRequest, HttpResponse, route, web};

use super::package_extras_params::{
    BulkParams, CollaboratorCreateParams, CollaboratorDeleteParams, CollaboratorDict,
    CollaboratorListForUserParams, CollaboratorListParams, OwnerOrgParams, RelationshipDict,
    RelationshipIdentity, RelationshipParams, RelationshipsListParams, ReviseParams, ReviseResult,
    UserCollaborationDict,
};
use crate::AppState;
use crate::dispatch::dispatch;
use crate::envelope::{Failure, Success};

/// Add a collaborator to a dataset
///
/// Makes a user an `editor` or `member` of one dataset, or changes their capacity. Admins of the dataset's organization and sysadmins.
#[utoipa::path(
    post, path = "/package_collaborator_create", tag = "datasets",
    request_body(content = CollaboratorCreateParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The collaborator", body = Success<CollaboratorDict>),
        (status = 403, description = "Not an admin of the dataset's organization", body = Failure),
        (status = 404, description = "`Not found: Dataset not found` or `Not found: User not found`", body = Failure),
        (status = 409, description = "A key missing, or `{\"message\": \"Role must be one of \\\"editor, member\\\"\"}`", body = Failure),
    )
)]
#[route("/package_collaborator_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_collaborator_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_collaborator_create").await
}

/// List the collaborators of a dataset
///
/// Admins of the dataset's organization and sysadmins.
#[utoipa::path(
    method(get, post), path = "/package_collaborator_list", tag = "datasets",
    params(CollaboratorListParams), request_body(content = CollaboratorListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The collaborators", body = Success<Vec<CollaboratorDict>>),
        (status = 403, description = "Not an admin of the dataset's organization", body = Failure),
        (status = 404, description = "`Not found: Package not found`", body = Failure),
        (status = 409, description = "`id` missing or an unknown `capacity`", body = Failure),
    )
)]
#[route("/package_collaborator_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_collaborator_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_collaborator_list").await
}

/// Remove a collaborator from a dataset
///
/// Admins of the dataset's organization and sysadmins.
#[utoipa::path(
    post, path = "/package_collaborator_delete", tag = "datasets",
    request_body(content = CollaboratorDeleteParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not an admin of the dataset's organization", body = Failure),
        (status = 404, description = "No such dataset or user, or not a collaborator", body = Failure),
        (status = 409, description = "A key missing", body = Failure),
    )
)]
#[route("/package_collaborator_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_collaborator_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_collaborator_delete").await
}

/// List a user's collaborations
///
/// The datasets a user collaborates in; for the user themself and sysadmins.
#[utoipa::path(
    method(get, post), path = "/package_collaborator_list_for_user", tag = "datasets",
    params(CollaboratorListForUserParams), request_body(content = CollaboratorListForUserParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The collaborations", body = Success<Vec<UserCollaborationDict>>),
        (status = 403, description = "Not yourself", body = Failure),
        (status = 409, description = "`id` missing or an unknown `capacity`", body = Failure),
    )
)]
#[route("/package_collaborator_list_for_user", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_collaborator_list_for_user(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_collaborator_list_for_user").await
}

/// Relate two datasets
///
/// Creates the relationship (or updates its comment), stored in its forward form. You must be allowed to edit both datasets.
#[utoipa::path(
    post, path = "/package_relationship_create", tag = "datasets",
    request_body(content = RelationshipParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The relationship in its stored form", body = Success<RelationshipDict>),
        (status = 403, description = "Not allowed to edit both datasets", body = Failure),
        (status = 404, description = "`Not found: Subject package 'x' was not found.` (or object)", body = Failure),
        (status = 409, description = "A key missing or an unknown type", body = Failure),
    )
)]
#[route("/package_relationship_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_relationship_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_relationship_create").await
}

/// Change a relationship's comment
///
/// `subject`, `object` and `type` identify the relationship; only the comment changes.
#[utoipa::path(
    post, path = "/package_relationship_update", tag = "datasets",
    request_body(content = RelationshipParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The relationship in its stored form", body = Success<RelationshipDict>),
        (status = 403, description = "Not allowed to edit both datasets", body = Failure),
        (status = 404, description = "No such dataset or relationship", body = Failure),
        (status = 409, description = "A key missing or an unknown type", body = Failure),
    )
)]
#[route("/package_relationship_update", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_relationship_update(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_relationship_update").await
}

/// Delete a relationship
///
/// You must be allowed to edit both datasets.
#[utoipa::path(
    post, path = "/package_relationship_delete", tag = "datasets",
    request_body(content = RelationshipIdentity, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not allowed to edit both datasets", body = Failure),
        (status = 404, description = "No such dataset or relationship", body = Failure),
        (status = 409, description = "A key missing or an unknown type", body = Failure),
    )
)]
#[route("/package_relationship_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_relationship_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_relationship_delete").await
}

/// List a dataset's relationships
///
/// From the dataset's point of view; relationships with datasets you may not read are left out.
#[utoipa::path(
    method(get, post), path = "/package_relationships_list", tag = "datasets",
    params(RelationshipsListParams), request_body(content = RelationshipsListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The relationships", body = Success<Vec<RelationshipDict>>),
        (status = 403, description = "A dataset you may not read", body = Failure),
        (status = 404, description = "No such dataset, or no relationship of type `rel`", body = Failure),
        (status = 409, description = "`id` missing or an unknown `rel`", body = Failure),
    )
)]
#[route("/package_relationships_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_relationships_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_relationships_list").await
}

/// Make datasets private
///
/// Makes the listed datasets of an organization private, in one transaction. Admins of the organization and sysadmins.
#[utoipa::path(
    post, path = "/bulk_update_private", tag = "datasets",
    request_body(content = BulkParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not an admin of the organization", body = Failure),
        (status = 404, description = "`Not found: Organization was not found.`", body = Failure),
        (status = 409, description = "A key missing, or a dataset not of that organization", body = Failure),
    )
)]
#[route("/bulk_update_private", method = "GET", method = "POST", method = "HEAD")]
pub async fn bulk_update_private(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "bulk_update_private").await
}

/// Make datasets public
///
/// Makes the listed datasets of an organization public, in one transaction. Admins of the organization and sysadmins.
#[utoipa::path(
    post, path = "/bulk_update_public", tag = "datasets",
    request_body(content = BulkParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not an admin of the organization", body = Failure),
        (status = 404, description = "`Not found: Organization was not found.`", body = Failure),
        (status = 409, description = "A key missing, or a dataset not of that organization", body = Failure),
    )
)]
#[route("/bulk_update_public", method = "GET", method = "POST", method = "HEAD")]
pub async fn bulk_update_public(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "bulk_update_public").await
}

/// Make datasets deleted
///
/// Makes the listed datasets of an organization deleted (state `deleted`), in one transaction. Admins of the organization and sysadmins.
#[utoipa::path(
    post, path = "/bulk_update_delete", tag = "datasets",
    request_body(content = BulkParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not an admin of the organization", body = Failure),
        (status = 404, description = "`Not found: Organization was not found.`", body = Failure),
        (status = 409, description = "A key missing, or a dataset not of that organization", body = Failure),
    )
)]
#[route("/bulk_update_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn bulk_update_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "bulk_update_delete").await
}

/// Move a dataset to another organization
///
/// You must be allowed to edit the dataset and to add datasets to the new organization.
#[utoipa::path(
    post, path = "/package_owner_org_update", tag = "datasets",
    request_body(content = OwnerOrgParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not allowed to edit the dataset or to add datasets to the organization", body = Failure),
        (status = 404, description = "`Not found: Package was not found.` or `Not found: Organization was not found.`", body = Failure),
        (status = 409, description = "`organization_id` missing or empty", body = Failure),
    )
)]
#[route("/package_owner_org_update", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_owner_org_update(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_owner_org_update").await
}

/// Revise a dataset
///
/// Checks `match`, removes `filter` fields, merges `update` (and `match__*`/`update__*` flattened keys), then writes the dataset; `include` trims the answer.
#[utoipa::path(
    post, path = "/package_revise", tag = "datasets",
    request_body(content = ReviseParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`{package}`", body = Success<ReviseResult>),
        (status = 400, description = "A `match__` key that addresses nothing (`Integrity Error`)", body = Failure),
        (status = 403, description = "Not allowed to read or edit the dataset", body = Failure),
        (status = 404, description = "No such dataset", body = Failure),
        (status = 409, description = "`{\"match\": [keys that differ]}`, `{\"match__id\": \"Missing value\"}`, a bad `update` key, or field errors", body = Failure),
    )
)]
#[route("/package_revise", method = "GET", method = "POST", method = "HEAD")]
pub async fn package_revise(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "package_revise").await
}
