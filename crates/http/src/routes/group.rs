//! Organization, group and membership routes.

use actix_web::{HttpRequest, HttpResponse, route, web};
use datahavn_actions::dto::{ActivityDict, GroupAutocompleteItem, GroupDict, MemberDict, MemberRole};

use super::group_params::{
    GroupActivityListParams, GroupAutocompleteParams, GroupIdParams, GroupInput, GroupListAuthzParams,
    GroupListParams, GroupMemberCreateParams, GroupMemberDeleteParams, GroupPackageShowParams,
    GroupShowParams, MemberCreateParams, MemberDeleteParams, MemberListParams, MemberRolesListParams,
    OrganizationListForUserParams,
};
use super::package_params::PackageDict;
use crate::AppState;
use crate::dispatch::dispatch;
use crate::envelope::{Failure, Success};

/// List organizations
///
/// Names of active organizations sorted by title (1000 at most), or organization dicts with `all_fields` (25 at most).
#[utoipa::path(
    method(get, post), path = "/organization_list", tag = "organizations",
    params(GroupListParams), request_body(content = GroupListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Names, or organization dicts", body = Success<Vec<String>>),
        (status = 409, description = "Bad `limit`/`offset`, or `{\"message\": \"Cannot sort by field ...\"}`", body = Failure),
    )
)]
#[route("/organization_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn organization_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "organization_list").await
}

/// List groups
///
/// Names of active groups sorted by title (1000 at most), or group dicts with `all_fields` (25 at most).
#[utoipa::path(
    method(get, post), path = "/group_list", tag = "groups",
    params(GroupListParams), request_body(content = GroupListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Names, or group dicts", body = Success<Vec<String>>),
        (status = 409, description = "Bad `limit`/`offset`, or `{\"message\": \"Cannot sort by field ...\"}`", body = Failure),
    )
)]
#[route("/group_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_list").await
}

/// Show an organization
///
/// The organization dict with its users, extras and dataset count (datasets with `include_datasets`). A group's id is not found.
#[utoipa::path(
    method(get, post), path = "/organization_show", tag = "organizations",
    params(GroupShowParams), request_body(content = GroupShowParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The organization", body = Success<GroupDict>),
        (status = 404, description = "No such organization (or deleted and not yours)", body = Failure),
        (status = 409, description = "`id` missing, or `{\"message\": \"Parameter is not an bool\"}`", body = Failure),
    )
)]
#[route("/organization_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn organization_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "organization_show").await
}

/// Show a group
///
/// The group dict with its users, extras and dataset count (datasets with `include_datasets`). An organization's id is not found.
#[utoipa::path(
    method(get, post), path = "/group_show", tag = "groups",
    params(GroupShowParams), request_body(content = GroupShowParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The group", body = Success<GroupDict>),
        (status = 404, description = "No such group (or deleted and not yours)", body = Failure),
        (status = 409, description = "`id` missing, or `{\"message\": \"Parameter is not an bool\"}`", body = Failure),
    )
)]
#[route("/group_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_show").await
}

/// Create an organization
///
/// Sysadmins only. The creator becomes an admin. Returns the new organization as `organization_show` does.
#[utoipa::path(
    post, path = "/organization_create", tag = "organizations",
    request_body(content = GroupInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The new organization", body = Success<GroupDict>),
        (status = 403, description = "Not a sysadmin, or anonymous", body = Failure),
        (status = 409, description = "Field errors, e.g. `{\"name\": [\"Group name already exists in database\"]}`", body = Failure),
    )
)]
#[route("/organization_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn organization_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "organization_create").await
}

/// Create a group
///
/// Any logged-in user. The creator becomes an admin. Returns the new group as `group_show` does.
#[utoipa::path(
    post, path = "/group_create", tag = "groups",
    request_body(content = GroupInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The new group", body = Success<GroupDict>),
        (status = 403, description = "Anonymous", body = Failure),
        (status = 409, description = "Field errors, e.g. `{\"name\": [\"Group name already exists in database\"]}`", body = Failure),
    )
)]
#[route("/group_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_create").await
}

/// Update an organization
///
/// Organization admins and sysadmins. Core fields not sent keep their values; `extras` are replaced; `users` and `groups` replace the members when sent.
#[utoipa::path(
    post, path = "/organization_update", tag = "organizations",
    request_body(content = GroupInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated organization, with its first datasets", body = Success<GroupDict>),
        (status = 403, description = "Not an admin of it", body = Failure),
        (status = 404, description = "`Not found: Group was not found.`", body = Failure),
        (status = 409, description = "Field errors, or `{\"type\": [\"Type cannot be updated\"]}`", body = Failure),
    )
)]
#[route("/organization_update", method = "GET", method = "POST", method = "HEAD")]
pub async fn organization_update(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "organization_update").await
}

/// Update a group
///
/// Group admins and sysadmins. Core fields not sent keep their values; `extras` are replaced; `users`, `groups` and `packages` replace the members when sent.
#[utoipa::path(
    post, path = "/group_update", tag = "groups",
    request_body(content = GroupInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated group, with its first datasets", body = Success<GroupDict>),
        (status = 403, description = "Not an admin of it", body = Failure),
        (status = 404, description = "`Not found: Group was not found.`", body = Failure),
        (status = 409, description = "Field errors, or `{\"type\": [\"Type cannot be updated\"]}`", body = Failure),
    )
)]
#[route("/group_update", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_update(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_update").await
}

/// Patch an organization
///
/// Like `organization_update`, but everything not sent keeps its value.
#[utoipa::path(
    post, path = "/organization_patch", tag = "organizations",
    request_body(content = GroupInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated organization", body = Success<GroupDict>),
        (status = 403, description = "Not an admin of it", body = Failure),
        (status = 404, description = "No such organization", body = Failure),
        (status = 409, description = "Field errors", body = Failure),
    )
)]
#[route("/organization_patch", method = "GET", method = "POST", method = "HEAD")]
pub async fn organization_patch(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "organization_patch").await
}

/// Patch a group
///
/// Like `group_update`, but everything not sent keeps its value.
#[utoipa::path(
    post, path = "/group_patch", tag = "groups",
    request_body(content = GroupInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The updated group", body = Success<GroupDict>),
        (status = 403, description = "Not an admin of it", body = Failure),
        (status = 404, description = "No such group", body = Failure),
        (status = 409, description = "Field errors", body = Failure),
    )
)]
#[route("/group_patch", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_patch(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_patch").await
}

/// Delete an organization
///
/// Organization admins and sysadmins. State becomes `deleted`, memberships are removed. Refused while the organization has datasets that are not deleted.
#[utoipa::path(
    post, path = "/organization_delete", tag = "organizations",
    request_body(content = GroupIdParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not an admin of it", body = Failure),
        (status = 404, description = "`Not found: Group was not found.`", body = Failure),
        (status = 409, description = "`{\"message\": \"Organization cannot be deleted while it still has datasets\"}`", body = Failure),
    )
)]
#[route("/organization_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn organization_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "organization_delete").await
}

/// Delete a group
///
/// Group admins and sysadmins. State becomes `deleted`, memberships are removed.
#[utoipa::path(
    post, path = "/group_delete", tag = "groups",
    request_body(content = GroupIdParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not an admin of it", body = Failure),
        (status = 404, description = "`Not found: Group was not found.`", body = Failure),
        (status = 409, description = "`id` missing", body = Failure),
    )
)]
#[route("/group_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_delete").await
}

/// Purge an organization
///
/// Sysadmins only: removes the organization for good. Refused while it has datasets that are not deleted.
#[utoipa::path(
    post, path = "/organization_purge", tag = "organizations",
    request_body(content = GroupIdParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not a sysadmin", body = Failure),
        (status = 404, description = "`Not found: Organization was not found`", body = Failure),
        (status = 409, description = "`{\"message\": \"Organization cannot be purged while it still has datasets\"}`", body = Failure),
    )
)]
#[route("/organization_purge", method = "GET", method = "POST", method = "HEAD")]
pub async fn organization_purge(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "organization_purge").await
}

/// Purge a group
///
/// Sysadmins only: removes the group for good; its datasets stay.
#[utoipa::path(
    post, path = "/group_purge", tag = "groups",
    request_body(content = GroupIdParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not a sysadmin", body = Failure),
        (status = 404, description = "`Not found: Group was not found`", body = Failure),
        (status = 409, description = "`id` missing", body = Failure),
    )
)]
#[route("/group_purge", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_purge(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_purge").await
}

/// Add a user to an organization
///
/// Organization admins and sysadmins. Adds the user with `role`, or changes their role. Admins cannot revoke their own admin status.
#[utoipa::path(
    post, path = "/organization_member_create", tag = "members",
    request_body(content = GroupMemberCreateParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The membership", body = Success<MemberDict>),
        (status = 403, description = "Not an admin of it, or demoting oneself", body = Failure),
        (status = 409, description = "Field errors: `id`, `username`, `role`", body = Failure),
    )
)]
#[route("/organization_member_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn organization_member_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "organization_member_create").await
}

/// Add a user to a group
///
/// Group admins and sysadmins. Adds the user with `role`, or changes their role. Admins cannot revoke their own admin status.
#[utoipa::path(
    post, path = "/group_member_create", tag = "members",
    request_body(content = GroupMemberCreateParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The membership", body = Success<MemberDict>),
        (status = 403, description = "Not an admin of it, or demoting oneself", body = Failure),
        (status = 409, description = "Field errors: `id`, `username`, `role`", body = Failure),
    )
)]
#[route("/group_member_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_member_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_member_create").await
}

/// Remove a user from an organization
///
/// Organization admins and sysadmins.
#[utoipa::path(
    post, path = "/organization_member_delete", tag = "members",
    request_body(content = GroupMemberDeleteParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not an admin of it", body = Failure),
        (status = 404, description = "No such organization or user", body = Failure),
    )
)]
#[route("/organization_member_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn organization_member_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "organization_member_delete").await
}

/// Remove a user from a group
///
/// Group admins and sysadmins.
#[utoipa::path(
    post, path = "/group_member_delete", tag = "members",
    request_body(content = GroupMemberDeleteParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not an admin of it", body = Failure),
        (status = 404, description = "No such group or user", body = Failure),
    )
)]
#[route("/group_member_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_member_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_member_delete").await
}

/// Organizations of a user
///
/// The organizations where a user (default: the caller) has a permission (default `manage_group`), each with the user's `capacity`. Sysadmins: every organization, as admin.
#[utoipa::path(
    method(get, post), path = "/organization_list_for_user", tag = "organizations",
    params(OrganizationListForUserParams), request_body(content = OrganizationListForUserParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Organization dicts with `capacity`", body = Success<Vec<GroupDict>>),
        (status = 404, description = "No such user", body = Failure),
    )
)]
#[route("/organization_list_for_user", method = "GET", method = "POST", method = "HEAD")]
pub async fn organization_list_for_user(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "organization_list_for_user").await
}

/// Groups the caller may edit
///
/// Groups (not organizations) the caller is a member of; every group for sysadmins unless `am_member`.
#[utoipa::path(
    method(get, post), path = "/group_list_authz", tag = "groups",
    params(GroupListAuthzParams), request_body(content = GroupListAuthzParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Group dicts", body = Success<Vec<GroupDict>>),
        (status = 409, description = "A bad boolean", body = Failure),
    )
)]
#[route("/group_list_authz", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_list_authz(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_list_authz").await
}

/// Add a member to a group
///
/// Makes a user, dataset or (parent) group a member of an organization or group, or changes its capacity. Admins only, except that any member of a group may add datasets to it.
#[utoipa::path(
    post, path = "/member_create", tag = "members",
    request_body(content = MemberCreateParams, content_type = "application/json"),
    responses(
        (status = 200, description = "The membership", body = Success<MemberDict>),
        (status = 403, description = "Not allowed to edit the group, or demoting oneself", body = Failure),
        (status = 404, description = "No such group or object", body = Failure),
        (status = 409, description = "Missing parameters, unknown `object_type` or role, or a loop in the hierarchy", body = Failure),
    )
)]
#[route("/member_create", method = "GET", method = "POST", method = "HEAD")]
pub async fn member_create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "member_create").await
}

/// Remove a member from a group
///
/// Removes a user, dataset or group from an organization or group. The same callers as `member_create`.
#[utoipa::path(
    post, path = "/member_delete", tag = "members",
    request_body(content = MemberDeleteParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`null`", body = Success<Option<String>>),
        (status = 403, description = "Not allowed to edit the group", body = Failure),
        (status = 404, description = "No such group or object", body = Failure),
        (status = 409, description = "Missing parameters or unknown `object_type`", body = Failure),
    )
)]
#[route("/member_delete", method = "GET", method = "POST", method = "HEAD")]
pub async fn member_delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "member_delete").await
}

/// List the members of a group
///
/// `[id, type, capacity]` triples; user roles are title-cased (`Admin`). An organization's datasets appear with capacity `organization`; private datasets only for those who may read them.
#[utoipa::path(
    method(get, post), path = "/member_list", tag = "members",
    params(MemberListParams), request_body(content = MemberListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Triples", body = Success<Vec<Vec<String>>>),
        (status = 404, description = "No such group", body = Failure),
        (status = 409, description = "`id` missing", body = Failure),
    )
)]
#[route("/member_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn member_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "member_list").await
}

/// List member roles
///
/// `[{text, value}]` for `admin`, `editor` and `member`; groups have no `editor`.
#[utoipa::path(
    method(get, post), path = "/member_roles_list", tag = "members",
    params(MemberRolesListParams), request_body(content = MemberRolesListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Roles", body = Success<Vec<MemberRole>>),
    )
)]
#[route("/member_roles_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn member_roles_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "member_roles_list").await
}

/// Datasets of a group
///
/// Active public datasets of a group (or organization), newest first.
#[utoipa::path(
    method(get, post), path = "/group_package_show", tag = "groups",
    params(GroupPackageShowParams), request_body(content = GroupPackageShowParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Dataset dicts", body = Success<Vec<PackageDict>>),
        (status = 404, description = "No such group", body = Failure),
        (status = 409, description = "`id` missing, or `{\"message\": \"Limit must be a positive integer\"}`", body = Failure),
    )
)]
#[route("/group_package_show", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_package_show(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_package_show").await
}

/// Autocomplete organizations
///
/// Active organizations whose name or title contains `q`.
#[utoipa::path(
    method(get, post), path = "/organization_autocomplete", tag = "organizations",
    params(GroupAutocompleteParams), request_body(content = GroupAutocompleteParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`[{id, name, title}]`", body = Success<Vec<GroupAutocompleteItem>>),
        (status = 409, description = "`q` missing", body = Failure),
    )
)]
#[route("/organization_autocomplete", method = "GET", method = "POST", method = "HEAD")]
pub async fn organization_autocomplete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "organization_autocomplete").await
}

/// Autocomplete groups
///
/// Active groups whose name or title contains `q`.
#[utoipa::path(
    method(get, post), path = "/group_autocomplete", tag = "groups",
    params(GroupAutocompleteParams), request_body(content = GroupAutocompleteParams, content_type = "application/json"),
    responses(
        (status = 200, description = "`[{id, name, title}]`", body = Success<Vec<GroupAutocompleteItem>>),
        (status = 409, description = "`q` missing", body = Failure),
    )
)]
#[route("/group_autocomplete", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_autocomplete(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_autocomplete").await
}

/// Activity of an organization
///
/// Changes to the organization and its public datasets, newest first.
#[utoipa::path(
    method(get, post), path = "/organization_activity_list", tag = "organizations",
    params(GroupActivityListParams), request_body(content = GroupActivityListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Activities", body = Success<Vec<ActivityDict>>),
        (status = 404, description = "No such organization", body = Failure),
        (status = 409, description = "Bad paging or timestamps", body = Failure),
    )
)]
#[route("/organization_activity_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn organization_activity_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "organization_activity_list").await
}

/// Activity of a group
///
/// Changes to the group and its public datasets, newest first.
#[utoipa::path(
    method(get, post), path = "/group_activity_list", tag = "groups",
    params(GroupActivityListParams), request_body(content = GroupActivityListParams, content_type = "application/json"),
    responses(
        (status = 200, description = "Activities", body = Success<Vec<ActivityDict>>),
        (status = 404, description = "No such group", body = Failure),
        (status = 409, description = "Bad paging or timestamps", body = Failure),
    )
)]
#[route("/group_activity_list", method = "GET", method = "POST", method = "HEAD")]
pub async fn group_activity_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    dispatch(state, request, payload, "group_activity_list").await
}
