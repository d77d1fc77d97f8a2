//! One route per action, `/api/3/action/<name>`. Read-only actions take GET (parameters in the
//! query string) and POST; the others POST only (a GET gets CKAN's 400). The handler names are
//! the action names and become the OpenAPI operation ids.

mod activity;
mod group;
mod group_params;
mod package;
mod package_extras;
mod package_extras_params;
mod package_params;
mod params;
mod resource;
mod site;
mod tag;
mod tag_params;
mod token;
mod user;
mod views;
mod views_params;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every action route on the `/api/3/action` scope.
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(site::status_show)
        .service(site::site_read)
        .service(site::help_show)
        .service(site::license_list)
        .service(user::user_create)
        .service(user::user_show)
        .service(user::user_list)
        .service(user::user_update)
        .service(user::user_patch)
        .service(user::user_delete)
        .service(user::user_autocomplete)
        .service(token::api_token_create)
        .service(token::api_token_list)
        .service(token::api_token_revoke);
    cfg.service(group::organization_list)
        .service(group::group_list)
        .service(group::organization_show)
        .service(group::group_show)
        .service(group::organization_create)
        .service(group::group_create)
        .service(group::organization_update)
        .service(group::group_update)
        .service(group::organization_patch)
        .service(group::group_patch)
        .service(group::organization_delete)
        .service(group::group_delete)
        .service(group::organization_purge)
        .service(group::group_purge)
        .service(group::organization_member_create)
        .service(group::group_member_create)
        .service(group::organization_member_delete)
        .service(group::group_member_delete)
        .service(group::organization_list_for_user)
        .service(group::group_list_authz)
        .service(group::member_create)
        .service(group::member_delete)
        .service(group::member_list)
        .service(group::member_roles_list)
        .service(group::group_package_show)
        .service(group::organization_autocomplete)
        .service(group::group_autocomplete)
        .service(group::organization_activity_list)
        .service(group::group_activity_list);
    cfg.service(package::package_list)
        .service(package::current_package_list_with_resources)
        .service(package::package_show)
        .service(package::package_autocomplete)
        .service(package::package_search)
        .service(package::package_create)
        .service(package::package_update)
        .service(package::package_patch)
        .service(package::package_delete)
        .service(package::dataset_purge);
    cfg.service(resource::resource_show)
        .service(resource::resource_create)
        .service(resource::resource_update)
        .service(resource::resource_patch)
        .service(resource::resource_delete)
        .service(resource::resource_search)
        .service(resource::package_resource_reorder);
    cfg.service(package_extras::package_collaborator_create)
        .service(package_extras::package_collaborator_list)
        .service(package_extras::package_collaborator_delete)
        .service(package_extras::package_collaborator_list_for_user)
        .service(package_extras::package_relationship_create)
        .service(package_extras::package_relationship_update)
        .service(package_extras::package_relationship_delete)
        .service(package_extras::package_relationships_list)
        .service(package_extras::bulk_update_private)
        .service(package_extras::bulk_update_public)
        .service(package_extras::bulk_update_delete)
        .service(package_extras::package_owner_org_update)
        .service(package_extras::package_revise);
    cfg.service(views::resource_view_create)
        .service(views::resource_view_show)
        .service(views::resource_view_list)
        .service(views::resource_view_update)
        .service(views::resource_view_delete)
        .service(views::resource_view_reorder)
        .service(views::resource_view_clear);
    cfg.service(tag::tag_list)
        .service(tag::tag_show)
        .service(tag::tag_search)
        .service(tag::tag_autocomplete)
        .service(tag::format_autocomplete)
        .service(tag::vocabulary_list)
        .service(tag::vocabulary_show)
        .service(tag::vocabulary_create)
        .service(tag::vocabulary_update)
        .service(tag::vocabulary_delete);
    cfg.service(activity::package_activity_list)
        .service(activity::user_activity_list)
        .service(activity::recently_changed_packages_activity_list)
        .service(activity::activity_show)
        .service(activity::activity_data_show)
        .service(activity::activity_diff);
}
