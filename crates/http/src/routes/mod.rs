//! One route per action, `/api/3/action/<name>`. Read-only actions take GET (parameters in the
//! query string) and POST; the others POST only (a GET gets CKAN's 400). The handler names are
//! the action names and become the OpenAPI operation ids.

mod package;
mod package_params;
mod params;
mod resource;
mod site;
mod token;
mod user;

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
    cfg.service(package::package_list)
        .service(package::current_package_list_with_resources)
        .service(package::package_show)
        .service(package::package_autocomplete)
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
}
