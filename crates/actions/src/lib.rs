//! datahavn's CKAN logic layer: one function per action, named as in CKAN.
//!
//! Each action parses its request dict, checks permissions, does its work in one storage
//! transaction and returns the result CKAN would. The transport (crate `datahavn-http`) and the
//! CLI both call actions through [`call`], so every path validates alike.

pub mod access;
pub mod activity;
mod context;
pub mod dto;
mod error;
pub(crate) mod package;
pub mod render;
mod resource;
pub mod secrets;
mod site;
mod token;
mod user;

pub use context::{Context, Services, SiteConfig, authenticate};
pub use error::{ActionError, ActionResult};
pub use secrets::TokenSigner;

use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;

/// One CKAN action.
pub struct Action {
    pub name: &'static str,
    /// Read-only actions also answer GET, with their parameters in the query string.
    pub side_effect_free: bool,
    /// What `help_show` returns.
    pub doc: &'static str,
    pub run: fn(&Context<'_>, &Params) -> ActionResult,
}

/// Every action datahavn serves.
pub const ACTIONS: &[Action] = &[
    site::STATUS_SHOW,
    site::SITE_READ,
    site::HELP_SHOW,
    site::LICENSE_LIST,
    user::USER_CREATE,
    user::USER_SHOW,
    user::USER_LIST,
    user::USER_UPDATE,
    user::USER_PATCH,
    user::USER_DELETE,
    user::USER_AUTOCOMPLETE,
    token::API_TOKEN_CREATE,
    token::API_TOKEN_LIST,
    token::API_TOKEN_REVOKE,
    package::PACKAGE_LIST,
    package::CURRENT_PACKAGE_LIST_WITH_RESOURCES,
    package::PACKAGE_SHOW,
    package::PACKAGE_AUTOCOMPLETE,
    package::PACKAGE_CREATE,
    package::PACKAGE_UPDATE,
    package::PACKAGE_PATCH,
    package::PACKAGE_DELETE,
    package::DATASET_PURGE,
    resource::RESOURCE_SHOW,
    resource::RESOURCE_CREATE,
    resource::RESOURCE_UPDATE,
    resource::RESOURCE_PATCH,
    resource::RESOURCE_DELETE,
    resource::RESOURCE_SEARCH,
    resource::PACKAGE_RESOURCE_REORDER,
];

/// The action of that name.
pub fn find(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|action| action.name == name)
}

/// Runs an action for an actor. Blocking: call it off the async executor.
pub fn call(services: &Services, actor: Actor, name: &str, params: &Params) -> ActionResult {
    let action = find(name).ok_or_else(|| ActionError::not_found("Action function not found"))?;
    let ctx = Context { actor, services };
    (action.run)(&ctx, params)
}

/// Runs an action whose result is already stored as JSON text, returning that text untouched;
/// `None` for actions without such a form. The transport uses it to answer `package_show`
/// without parsing and re-encoding the stored dict.
pub fn call_text(
    services: &Services,
    actor: Actor,
    name: &str,
    params: &Params,
) -> Option<ActionResult<String>> {
    let ctx = Context { actor, services };
    match name {
        "package_show" => Some(package::package_show_text(&ctx, params)),
        _ => None,
    }
}

/// Serializes a result.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> ActionResult {
    serde_json::to_value(value).map_err(|e| ActionError::Internal(format!("serializing a result: {e}")))
}
