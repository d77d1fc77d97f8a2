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
    let health = health(ctx.services, std::time::Duration::from_secs(2));
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
        database: health.database_word().to_owned(),
        search_index: SearchIndexStatus {
            position: ctx.services.search.position(),
            database_position: health.database.as_ref().ok().copied(),
            pending: health.pending(),
            status: health.search_index_word().to_owned(),
        },
    })
}

/// Whether the database and this process's search index answer: what `/healthz` and
/// `status_show` report.
#[derive(Debug, Clone)]
pub struct Health {
    /// The newest change in the database, or why it cannot be read (for the log only).
    pub database: Result<i64, String>,
    /// The newest change the search index applied, or why it cannot be read (for the log only).
    pub search_index: Result<i64, String>,
}

impl Health {
    pub fn is_ok(&self) -> bool {
        self.database.is_ok() && self.search_index.is_ok()
    }

    /// `ok` or `unavailable`.
    pub fn database_word(&self) -> &'static str {
        if self.database.is_ok() { "ok" } else { "unavailable" }
    }

    /// `ok` or `unavailable`.
    pub fn search_index_word(&self) -> &'static str {
        if self.search_index.is_ok() { "ok" } else { "unavailable" }
    }

    /// Changes committed that the index has not applied yet.
    pub fn pending(&self) -> Option<i64> {
        match (&self.database, &self.search_index) {
            (Ok(database), Ok(index)) => Some((database - index).max(0)),
            _ => None,
        }
    }
}

/// Asks the database for its newest change (waiting at most `timeout` for a connection), then
/// brings the search index up to it. While the database cannot be reached, an index already
/// open still counts as readable: it answers searches, only later than the database.
pub fn health(services: &crate::Services, timeout: std::time::Duration) -> Health {
    let database = services
        .store
        .ping(timeout)
        .and_then(|()| services.store.read(|tx| tx.last_change_seq()))
        .map_err(|e| e.to_string());
    let search_index = match &database {
        Ok(_) => {
            services.search.get(&services.store).map(|index| index.position()).map_err(|e| e.to_string())
        }
        Err(_) => {
            services.search.position().ok_or_else(|| "not opened: the database is unavailable".to_owned())
        }
    };
    Health { database, search_index }
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
