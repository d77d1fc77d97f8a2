//! Site actions: `status_show`, `site_read`, `help_show`, `license_list`, `get_site_user`.

use datahavn_domain::license::DEFAULT_LICENSES;
use serde_json::Value;

use crate::dto::{LicenseDict, SearchIndexStatus, StatusShow};
use crate::request::{NoParams, Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// The CKAN plugins whose actions datahavn answers (`status_show.extensions`).
pub const EXTENSIONS: &[&str] = &["activity"];

/// The plugins whose actions a server with a DataStore answers besides.
pub const DATASTORE_EXTENSIONS: &[&str] = &["datastore", "xloader"];

/// The CKAN release whose API datahavn answers like.
pub const CKAN_API_VERSION: &str = "2.12.0";

pub const STATUS_SHOW: Action = Action {
    name: "status_show",
    side_effect_free: true,
    tag: "site",
    doc: "Return the site's title, description, URL, default locale, the CKAN extensions whose \
          actions it answers and the CKAN API version it is compatible with.\n\n:rtype: dictionary",
    request: request_doc::<NoParams>,
    response: response_doc::<StatusShow>,
    errors: &[],
    run: |ctx, params| status_show(ctx, NoParams::parse(params)?),
};

fn status_show(ctx: &Context<'_>, _request: NoParams) -> ActionResult {
    let site = ctx.site();
    // Fresh figures: apply what is pending first (the index is built if it was not yet).
    if let Err(error) = ctx.services.search.get(ctx.store()) {
        log::error!("search index: {error}");
    }
    to_json(&StatusShow {
        site_title: site.title(),
        site_description: site.description(),
        site_url: site.site_url.clone(),
        error_emails_to: site.error_emails_to.clone().unwrap_or_default(),
        locale_default: site.locale_default.clone(),
        extensions: EXTENSIONS
            .iter()
            .chain(if ctx.services.datastore.is_some() { DATASTORE_EXTENSIONS } else { &[] })
            .map(|e| (*e).to_owned())
            .collect(),
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
    tag: "site",
    doc: "Return ``True``. Kept for clients written for CKAN before 2.11.\n\n:rtype: bool",
    request: request_doc::<NoParams>,
    response: response_doc::<bool>,
    errors: &[],
    run: |_, params| NoParams::parse(params).map(|_| Value::Bool(true)),
};

pub const HELP_SHOW: Action = Action {
    name: "help_show",
    side_effect_free: true,
    tag: "site",
    doc: "Return the help string for a particular API action.\n\n\
          :returns: The help string for the action function\n:rtype: string",
    request: request_doc::<HelpShow>,
    response: response_doc::<String>,
    errors: &[(404, "`Not found: Action function not found`"), (409, "`name` missing")],
    run: |ctx, params| help_show(ctx, HelpShow::parse(params)?),
};

request! {
    /// The action to describe.
    pub struct HelpShow {
        /// Action function name (eg `user_create`, `package_search`).
        pub name: String,
    }
}

fn help_show(_ctx: &Context<'_>, request: HelpShow) -> ActionResult {
    let action =
        crate::find(&request.name).ok_or_else(|| ActionError::not_found("Action function not found"))?;
    Ok(Value::String(action.help()))
}

pub const LICENSE_LIST: Action = Action {
    name: "license_list",
    side_effect_free: true,
    tag: "site",
    doc: "Return the list of licenses available for datasets on the site.\n\n\
          Every value of every licence is a string, booleans included.\n\n:rtype: list of dictionaries",
    request: request_doc::<NoParams>,
    response: response_doc::<Vec<LicenseDict>>,
    errors: &[],
    run: |_, params| {
        NoParams::parse(params)?;
        Ok(Value::Array(DEFAULT_LICENSES.iter().map(|l| Value::Object(l.to_json())).collect()))
    },
};

pub const GET_SITE_USER: Action = Action {
    name: "get_site_user",
    side_effect_free: true,
    tag: "site",
    doc: "Return the site user. Only internal services are allowed to call it: every call over \
          the API is refused.\n\n:rtype: dictionary",
    request: request_doc::<NoParams>,
    response: response_doc::<Option<String>>,
    errors: &[(
        403,
        "`Only internal services allowed to use this action` (anonymous callers: \
                     `Action get_site_user requires an authenticated user`)",
    )],
    run: |ctx, _params| {
        crate::args::authenticated(ctx, "get_site_user")?;
        // datahavn's site is no user (no row, no key): there is nothing to hand out, to
        // sysadmins either.
        Err(ActionError::denied("Only internal services allowed to use this action"))
    },
};
