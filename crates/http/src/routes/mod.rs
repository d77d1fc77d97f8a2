//! One route per action, `/api/3/action/<name>`. Read-only actions take GET (parameters in the
//! query string) and POST; the others POST only (a GET gets CKAN's 400). The handler names are
//! the action names and become the OpenAPI operation ids.

mod params;
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
}
