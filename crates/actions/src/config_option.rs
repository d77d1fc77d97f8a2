//! CKAN's runtime-editable config options: `config_option_show`, `config_option_list`,
//! `config_option_update` (sysadmins only). A value set here is stored in the database (CKAN's
//! `system_info` table), outlasts restarts and wins over the value the server was started with;
//! `status_show`, the DCAT catalogue and `/data.json` use the site title and description so
//! set.

use std::collections::BTreeMap;

use datahavn_domain::Timestamp;
use datahavn_domain::params::Params;
use serde_json::Value;

use crate::args::{plain_error, sysadmin_only, unicode_safe};
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// The options CKAN 2.12's `update_configuration_schema` lets be changed at run time, in its
/// order, less `ckan.site_url`: datahavn writes the site's URL into the datasets it stores, so
/// the URL is set when the server starts (`--site-url`). `logo_upload` and `clear_logo_upload`
/// are CKAN's logo upload fields: accepted and, as CKAN does with them over the API, dropped.
pub const EDITABLE: &[&str] = &[
    "ckan.site_title",
    "ckan.site_logo",
    "ckan.site_description",
    "ckan.site_about",
    "ckan.site_intro_text",
    "ckan.site_custom_css",
    "ckan.theme",
    "logo_upload",
    "clear_logo_upload",
];

/// The keys CKAN's logo uploader takes out of the request before validating it.
const UPLOAD_FIELDS: &[&str] = &["logo_upload", "clear_logo_upload"];

/// When the options were last changed (CKAN's `ckan.config_update`, seconds since the epoch).
const CONFIG_UPDATE: &str = "ckan.config_update";

/// The value of an editable option: the one set at run time, else the startup one, else
/// CKAN's default.
fn current(ctx: &Context<'_>, key: &str) -> Option<String> {
    let site = ctx.site();
    if let Some(value) = site.runtime.get(key) {
        return Some(value);
    }
    match key {
        "ckan.site_title" => Some(site.site_title.clone()),
        "ckan.site_description" => Some(site.site_description.clone()),
        "ckan.site_logo" => Some("/base/images/ckan-logo.png".into()),
        "ckan.theme" => Some("css/main".into()),
        "ckan.site_about" | "ckan.site_intro_text" | "ckan.site_custom_css" => Some(String::new()),
        _ => None,
    }
}

pub const CONFIG_OPTION_SHOW: Action = Action {
    name: "config_option_show",
    side_effect_free: true,
    tag: "site",
    doc: "Show the current value of a particular configuration option.\n\n\
          Only returns runtime-editable config options (the ones returned by \
          config_option_list), which can be updated with config_option_update. Sysadmins \
          only.\n\n\
          :returns: The value of the config option, as set at run time or when the server \
          started.\n:rtype: string",
    request: request_doc::<ConfigOptionShowRequest>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Not a sysadmin"),
        (409, "`key` missing, or `Configuration option '<key>' can not be shown`"),
    ],
    run: |ctx, params| {
        sysadmin_only(ctx, "config_option_show", None)?;
        let request = ConfigOptionShowRequest::parse(params)?;
        if !EDITABLE.contains(&request.key.as_str()) {
            return Err(plain_error(
                "message",
                format!("Configuration option '{}' can not be shown", request.key),
            ));
        }
        Ok(current(ctx, &request.key).map_or(Value::Null, Value::String))
    },
};

request! {
    /// The option to show.
    pub struct ConfigOptionShowRequest {
        /// The configuration option key, e.g. ``ckan.site_title``.
        pub key: String,
    }
}

pub const CONFIG_OPTION_LIST: Action = Action {
    name: "config_option_list",
    side_effect_free: true,
    tag: "site",
    doc: "Return a list of runtime-editable config options keys that can be updated with \
          config_option_update. Sysadmins only.\n\n\
          :returns: A list of config option keys.\n:rtype: list",
    request: request_doc::<crate::request::NoParams>,
    response: response_doc::<Vec<String>>,
    errors: &[(403, "Not a sysadmin")],
    run: |ctx, _params| {
        sysadmin_only(ctx, "config_option_list", None)?;
        Ok(Value::Array(EDITABLE.iter().map(|k| Value::String((*k).to_owned())).collect()))
    },
};

pub const CONFIG_OPTION_UPDATE: Action = Action {
    name: "config_option_update",
    side_effect_free: false,
    tag: "site",
    doc: "Allows to modify some runtime-editable config options.\n\n\
          It takes arbitrary key, value pairs (e.g. ``{\"ckan.site_title\": \"My Open Data \
          site\"}``) and checks the keys against config_option_list: any other key is refused \
          and nothing is changed. Each value is stored in the database, so that it outlasts \
          restarts, and is used from then on instead of the one the server was started with. \
          Sysadmins only.\n\n\
          :returns: a dictionary with the options set\n:rtype: dictionary",
    request: request_doc::<ConfigOptionUpdateRequest>,
    response: response_doc::<BTreeMap<String, String>>,
    errors: &[
        (403, "Not a sysadmin"),
        (409, "`Configuration option(s) '<keys>' can not be updated` (a key not in config_option_list)"),
    ],
    run: |ctx, params| {
        sysadmin_only(ctx, "config_option_update", None)?;
        config_option_update(ctx, params)
    },
};

request! {
    // The keys are read from the request dict as sent (any other key is refused): the fields
    // document them.
    #[allow(dead_code)]
    /// The options to set: text values (other values are stored as JSON text; ``null`` leaves
    /// an option as it is).
    pub struct ConfigOptionUpdateRequest {
        /// The site's name.
        #[schema(value_type = Option<serde_json::Value>)]
        pub site_title as "ckan.site_title": Option<Value>,
        /// The logo's URL.
        #[schema(value_type = Option<serde_json::Value>)]
        pub site_logo as "ckan.site_logo": Option<Value>,
        /// A description, or tag line, of the site.
        #[schema(value_type = Option<serde_json::Value>)]
        pub site_description as "ckan.site_description": Option<Value>,
        /// The text of the site's about page (Markdown).
        #[schema(value_type = Option<serde_json::Value>)]
        pub site_about as "ckan.site_about": Option<Value>,
        /// An introductory text for the home page.
        #[schema(value_type = Option<serde_json::Value>)]
        pub site_intro_text as "ckan.site_intro_text": Option<Value>,
        /// Custom CSS for every page.
        #[schema(value_type = Option<serde_json::Value>)]
        pub site_custom_css as "ckan.site_custom_css": Option<Value>,
        /// The theme's main CSS asset.
        #[schema(value_type = Option<serde_json::Value>)]
        pub theme as "ckan.theme": Option<Value>,
        /// CKAN's logo upload field: accepted and ignored.
        #[schema(value_type = Option<serde_json::Value>)]
        pub logo_upload: Option<Value>,
        /// CKAN's flag to clear an uploaded logo: accepted and ignored.
        #[schema(value_type = Option<serde_json::Value>)]
        pub clear_logo_upload: Option<Value>;
        /// Any other key is refused.
        ..rest
    }
}

fn config_option_update(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let unsupported: Vec<&str> =
        params.as_map().keys().map(String::as_str).filter(|key| !EDITABLE.contains(key)).collect();
    if !unsupported.is_empty() {
        return Err(plain_error(
            "message",
            format!("Configuration option(s) '{}' can not be updated", unsupported.join(" ")),
        ));
    }
    // Every value is taken as sent (CKAN's `unicode_safe`); the type documents the keys.
    ConfigOptionUpdateRequest::parse(params)?;
    let values: Vec<(String, String)> = params
        .as_map()
        .iter()
        .filter(|(key, _)| !UPLOAD_FIELDS.contains(&key.as_str()))
        .filter_map(|(key, value)| Some((key.clone(), unicode_safe(value)?)))
        .collect();
    let changed_at = format!("{:.6}", Timestamp::now().naive().and_utc().timestamp_micros() as f64 / 1e6);
    ctx.store().write(|tx| {
        for (key, value) in &values {
            tx.set_system_info(key, value)?;
        }
        tx.set_system_info(CONFIG_UPDATE, &changed_at)?;
        Ok::<_, ActionError>(())
    })?;
    ctx.site().runtime.set(values.iter().cloned());
    log::info!(
        "Updated config options: {}",
        values.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
    );
    // CKAN's validation returns the options by key.
    to_json(&values.into_iter().collect::<BTreeMap<_, _>>())
}
