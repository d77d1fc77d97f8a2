//! Site actions: `status_show`, `site_read`, `help_show`, `license_list`.

use datahavn_domain::ValidationErrors;
use datahavn_domain::license::DEFAULT_LICENSES;
use datahavn_domain::params::Params;
use serde_json::Value;

use crate::dto::{SearchIndexStatus, StatusShow};
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// The CKAN release whose API datahavn answers like.
pub const CKAN_API_VERSION: &str = "2.11.0";

pub const STATUS_SHOW: Action = Action {
    name: "status_show",
    side_effect_free: true,
    doc: "Return the site's title, description, URL, default locale, the CKAN extensions whose \
          actions it answers and the CKAN API version it is compatible with.\n\n:rtype: dictionary",
    run: status_show,
};

fn status_show(ctx: &Context<'_>, _params: &Params) -> ActionResult {
    let site = ctx.site();
    // Fresh figures: apply what is pending first (the index is built if it was not yet).
    if let Err(error) = ctx.services.search.get(ctx.store()) {
        log::error!("search index: {error}");
    }
    to_json(&StatusShow {
        site_title: site.site_title.clone(),
        site_description: site.site_description.clone(),
        site_url: site.site_url.clone(),
        error_emails_to: site.error_emails_to.clone(),
        locale_default: site.locale_default.clone(),
        extensions: Vec::new(),
        ckan_version: CKAN_API_VERSION.to_owned(),
        datahavn_version: env!("CARGO_PKG_VERSION").to_owned(),
        search_index: SearchIndexStatus {
            position: ctx.services.search.position(),
            database_position: ctx.store().read(|tx| tx.last_change_seq())?,
        },
    })
}

pub const SITE_READ: Action = Action {
    name: "site_read",
    side_effect_free: true,
    doc: "Return ``True``. Kept for clients written for CKAN before 2.11.\n\n:rtype: bool",
    run: |_, _| Ok(Value::Bool(true)),
};

pub const HELP_SHOW: Action = Action {
    name: "help_show",
    side_effect_free: true,
    doc: "Return the help string for a particular API action.\n\n\
          :param name: Action function name (eg `user_create`, `package_search`)\n\
          :type name: string\n:returns: The help string for the action function\n:rtype: string",
    run: help_show,
};

fn help_show(_ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let name = params.required_string("name", &mut errors);
    errors.into_result()?;
    let action = name
        .as_deref()
        .and_then(crate::find)
        .ok_or_else(|| ActionError::not_found("Action function not found"))?;
    Ok(Value::String(action.doc.to_owned()))
}

pub const LICENSE_LIST: Action = Action {
    name: "license_list",
    side_effect_free: true,
    doc: "Return the list of licenses available for datasets on the site.\n\n\
          Every value of every licence is a string, booleans included.\n\n:rtype: list of dictionaries",
    run: |_, _| Ok(Value::Array(DEFAULT_LICENSES.iter().map(|l| Value::Object(l.to_json())).collect())),
};
