//! datahavn's CKAN logic layer: one function per action, named as in CKAN.
//!
//! Each action parses its request dict, checks permissions, does its work in one storage
//! transaction and returns the result CKAN would. The transport (crate `datahavn-http`) and the
//! CLI both call actions through [`call`], so every path validates alike.

pub mod access;
pub mod activity;
mod activity_admin;
mod activity_list;
mod args;
mod bulk;
pub mod cache;
mod collaborator;
mod config_option;
mod context;
mod dashboard;
pub mod datastore;
pub mod dcat;
pub mod dto;
mod error;
mod follow;
mod group;
pub mod harvest;
mod job;
mod member;
pub(crate) mod package;
mod package_list;
mod relationship;
pub mod render;
pub mod request;
mod resource;
mod resource_view;
mod revise;
mod search;
pub mod secrets;
mod site;
mod tag;
mod task_status;
mod term_translation;
mod token;
mod upload;
mod user;

pub use context::{AuthOptions, Context, RuntimeOptions, Services, SiteConfig, authenticate};
pub use error::{ActionError, ActionResult};
pub use secrets::TokenSigner;
pub use site::{Health, health};
pub use upload::{UPLOAD_ACTIONS, Upload, clean_file_name, upload_field};

use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;

/// One CKAN action: its name, its documentation, its typed request and result, and the code
/// that runs it. The OpenAPI document and `help_show` are made from this alone.
pub struct Action {
    pub name: &'static str,
    /// Read-only actions also answer GET, with their parameters in the query string.
    pub side_effect_free: bool,
    /// The OpenAPI tag: `site`, `users`, `api tokens`, `organizations`, `groups`, `members`,
    /// `datasets`, `resources`, `tags`, `activity`, `datastore` or `harvest`.
    pub tag: &'static str,
    /// CKAN's docstring without its `:param` lines (those come from the request type): a
    /// one-line summary, a description, then `:returns:`/`:rtype:` lines.
    pub doc: &'static str,
    /// The request type ([`request::request_doc`] of it).
    pub request: fn() -> request::RequestDoc,
    /// The type of `result` ([`request::response_doc`] of it).
    pub response: fn() -> request::ResponseDoc,
    /// The failures it answers besides the transport's (400, 413): status and when.
    pub errors: &'static [(u16, &'static str)],
    pub run: fn(&Context<'_>, &Params) -> ActionResult,
}

impl Action {
    /// What `help_show` returns: the docstring with the request's parameters.
    pub fn help(&self) -> String {
        let params = request::param_lines(&(self.request)());
        let split =
            self.doc.find("\n:returns:").or_else(|| self.doc.find("\n:rtype:")).unwrap_or(self.doc.len());
        let (text, tail) = self.doc.split_at(split);
        let text = text.trim_end();
        match (params.is_empty(), tail.is_empty()) {
            (true, _) => self.doc.to_owned(),
            (false, true) => format!("{text}\n\n{}", params.trim_end()),
            (false, false) => format!("{text}\n\n{params}{}", tail.trim_start_matches('\n')),
        }
    }
}

/// Every action datahavn serves.
pub const ACTIONS: &[Action] = &[
    site::STATUS_SHOW,
    site::SITE_READ,
    site::HELP_SHOW,
    site::LICENSE_LIST,
    site::GET_SITE_USER,
    config_option::CONFIG_OPTION_SHOW,
    config_option::CONFIG_OPTION_LIST,
    config_option::CONFIG_OPTION_UPDATE,
    job::JOB_LIST,
    job::JOB_SHOW,
    job::JOB_CANCEL,
    job::JOB_CLEAR,
    task_status::TASK_STATUS_SHOW,
    task_status::TASK_STATUS_UPDATE,
    task_status::TASK_STATUS_UPDATE_MANY,
    task_status::TASK_STATUS_DELETE,
    term_translation::TERM_TRANSLATION_SHOW,
    term_translation::TERM_TRANSLATION_UPDATE,
    term_translation::TERM_TRANSLATION_UPDATE_MANY,
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
    group::ORGANIZATION_LIST,
    group::GROUP_LIST,
    group::ORGANIZATION_SHOW,
    group::GROUP_SHOW,
    group::ORGANIZATION_CREATE,
    group::GROUP_CREATE,
    group::ORGANIZATION_UPDATE,
    group::GROUP_UPDATE,
    group::ORGANIZATION_PATCH,
    group::GROUP_PATCH,
    group::ORGANIZATION_DELETE,
    group::GROUP_DELETE,
    group::ORGANIZATION_PURGE,
    group::GROUP_PURGE,
    group::ORGANIZATION_AUTOCOMPLETE,
    group::GROUP_AUTOCOMPLETE,
    group::GROUP_PACKAGE_SHOW,
    group::ORGANIZATION_ACTIVITY_LIST,
    group::GROUP_ACTIVITY_LIST,
    member::MEMBER_CREATE,
    member::MEMBER_DELETE,
    member::MEMBER_LIST,
    member::MEMBER_ROLES_LIST,
    member::ORGANIZATION_MEMBER_CREATE,
    member::GROUP_MEMBER_CREATE,
    member::ORGANIZATION_MEMBER_DELETE,
    member::GROUP_MEMBER_DELETE,
    member::USER_INVITE,
    group::ORGANIZATION_LIST_FOR_USER,
    group::GROUP_LIST_AUTHZ,
    package_list::PACKAGE_LIST,
    package_list::CURRENT_PACKAGE_LIST_WITH_RESOURCES,
    package::PACKAGE_SHOW,
    package_list::PACKAGE_AUTOCOMPLETE,
    search::PACKAGE_SEARCH,
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
    collaborator::PACKAGE_COLLABORATOR_CREATE,
    collaborator::PACKAGE_COLLABORATOR_LIST,
    collaborator::PACKAGE_COLLABORATOR_DELETE,
    collaborator::PACKAGE_COLLABORATOR_LIST_FOR_USER,
    relationship::PACKAGE_RELATIONSHIP_CREATE,
    relationship::PACKAGE_RELATIONSHIP_UPDATE,
    relationship::PACKAGE_RELATIONSHIP_DELETE,
    relationship::PACKAGE_RELATIONSHIPS_LIST,
    resource_view::RESOURCE_VIEW_CREATE,
    resource_view::RESOURCE_VIEW_SHOW,
    resource_view::RESOURCE_VIEW_LIST,
    resource_view::RESOURCE_VIEW_UPDATE,
    resource_view::RESOURCE_VIEW_DELETE,
    resource_view::RESOURCE_VIEW_REORDER,
    resource_view::RESOURCE_VIEW_CLEAR,
    resource_view::RESOURCE_CREATE_DEFAULT_RESOURCE_VIEWS,
    resource_view::PACKAGE_CREATE_DEFAULT_RESOURCE_VIEWS,
    bulk::BULK_UPDATE_PRIVATE,
    bulk::BULK_UPDATE_PUBLIC,
    bulk::BULK_UPDATE_DELETE,
    bulk::PACKAGE_OWNER_ORG_UPDATE,
    revise::PACKAGE_REVISE,
    tag::TAG_LIST,
    tag::TAG_SHOW,
    tag::TAG_SEARCH,
    tag::TAG_AUTOCOMPLETE,
    tag::FORMAT_AUTOCOMPLETE,
    tag::VOCABULARY_LIST,
    tag::VOCABULARY_SHOW,
    tag::VOCABULARY_CREATE,
    tag::VOCABULARY_UPDATE,
    tag::VOCABULARY_DELETE,
    tag::TAG_CREATE,
    tag::TAG_DELETE,
    activity_list::PACKAGE_ACTIVITY_LIST,
    activity_list::USER_ACTIVITY_LIST,
    activity_list::RECENTLY_CHANGED_PACKAGES_ACTIVITY_LIST,
    activity_list::ACTIVITY_SHOW,
    activity_list::ACTIVITY_DATA_SHOW,
    activity_list::ACTIVITY_DIFF,
    activity_admin::ACTIVITY_CREATE,
    activity_admin::ACTIVITY_DELETE,
    activity_admin::ACTIVITY_DELETE_ALL,
    activity_admin::ACTIVITY_DELETE_COUNTS,
    activity_admin::SEND_EMAIL_NOTIFICATIONS,
    dashboard::DASHBOARD_ACTIVITY_LIST,
    dashboard::DASHBOARD_NEW_ACTIVITIES_COUNT,
    dashboard::DASHBOARD_MARK_ACTIVITIES_OLD,
    follow::FOLLOW_USER,
    follow::FOLLOW_DATASET,
    follow::FOLLOW_GROUP,
    follow::UNFOLLOW_USER,
    follow::UNFOLLOW_DATASET,
    follow::UNFOLLOW_GROUP,
    follow::AM_FOLLOWING_USER,
    follow::AM_FOLLOWING_DATASET,
    follow::AM_FOLLOWING_GROUP,
    follow::USER_FOLLOWER_COUNT,
    follow::DATASET_FOLLOWER_COUNT,
    follow::GROUP_FOLLOWER_COUNT,
    follow::ORGANIZATION_FOLLOWER_COUNT,
    follow::USER_FOLLOWER_LIST,
    follow::DATASET_FOLLOWER_LIST,
    follow::GROUP_FOLLOWER_LIST,
    follow::ORGANIZATION_FOLLOWER_LIST,
    follow::FOLLOWEE_COUNT,
    follow::USER_FOLLOWEE_COUNT,
    follow::DATASET_FOLLOWEE_COUNT,
    follow::GROUP_FOLLOWEE_COUNT,
    follow::ORGANIZATION_FOLLOWEE_COUNT,
    follow::FOLLOWEE_LIST,
    follow::USER_FOLLOWEE_LIST,
    follow::DATASET_FOLLOWEE_LIST,
    follow::GROUP_FOLLOWEE_LIST,
    follow::ORGANIZATION_FOLLOWEE_LIST,
    datastore::DATASTORE_CREATE,
    datastore::DATASTORE_UPSERT,
    datastore::DATASTORE_DELETE,
    datastore::DATASTORE_RECORDS_DELETE,
    datastore::DATASTORE_SEARCH,
    datastore::DATASTORE_SEARCH_SQL,
    datastore::DATASTORE_INFO,
    datastore::DATASTORE_FUNCTION_CREATE,
    datastore::DATASTORE_FUNCTION_DELETE,
    datastore::DATASTORE_RUN_TRIGGERS,
    datastore::DATASTORE_LOAD,
    datastore::XLOADER_SUBMIT,
    datastore::XLOADER_STATUS,
    dcat::DCAT_DATASET_SHOW,
    dcat::DCAT_CATALOG_SHOW,
    dcat::DCAT_CATALOG_SEARCH,
    harvest::HARVEST_SOURCE_CREATE,
    harvest::HARVEST_SOURCE_SHOW,
    harvest::HARVEST_SOURCE_SHOW_STATUS,
    harvest::HARVEST_SOURCE_LIST,
    harvest::HARVEST_SOURCE_UPDATE,
    harvest::HARVEST_SOURCE_PATCH,
    harvest::HARVEST_SOURCE_DELETE,
    harvest::HARVEST_SOURCE_CLEAR,
    harvest::HARVEST_JOB_CREATE,
    harvest::HARVEST_JOB_SHOW,
    harvest::HARVEST_JOB_LIST,
    harvest::HARVEST_JOB_ABORT,
    harvest::HARVEST_OBJECT_SHOW,
    harvest::HARVEST_LOG_LIST,
];

/// The action of that name.
pub fn find(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|action| action.name == name)
}

/// Runs an action for an actor. Blocking: call it off the async executor.
pub fn call(services: &Services, actor: Actor, name: &str, params: &Params) -> ActionResult {
    call_with_upload(services, actor, name, params, None)
}

/// Runs an action with the file sent beside its parameters (staged in the file store by the
/// transport). Whatever happens, the staged object is gone afterwards: moved to the resource's
/// key by a successful upload, else deleted. Files the call made unreferenced are deleted after
/// it succeeded; objects it placed are deleted when it failed. Blocking.
pub fn call_with_upload(
    services: &Services,
    actor: Actor,
    name: &str,
    params: &Params,
    upload: Option<Upload>,
) -> ActionResult {
    call_reporting(services, actor, name, params, upload).0
}

/// [`call_with_upload`], also returning CKAN 2.12's `changed_entities` for the envelope.
pub fn call_reporting(
    services: &Services,
    actor: Actor,
    name: &str,
    params: &Params,
    upload: Option<Upload>,
) -> (ActionResult, Option<serde_json::Value>) {
    let Some(action) = find(name) else {
        return (Err(ActionError::not_found("Action function not found")), None);
    };
    let ctx = Context::new(actor.clone(), services, upload.as_ref());
    let result = (action.run)(&ctx, params);
    if upload.is_some()
        && let Ok(resource) = &result
        && matches!(name, "resource_create" | "resource_update" | "resource_patch")
    {
        datastore::load_upload(services, actor, resource);
    }
    let doomed = match result {
        Ok(_) => ctx.unreferenced.take(),
        Err(_) => ctx.placed.take(),
    };
    let staged = upload.iter().map(|u| u.staged_key.clone());
    for key in doomed.into_iter().chain(staged) {
        if let Err(error) = services.files.delete(&key) {
            log::warn!("could not delete file {key}: {error}");
        }
    }
    let changed = if result.is_ok() { ctx.changed_entities() } else { None };
    (result, changed)
}

/// Runs an action whose result is already stored as JSON text, returning that text untouched;
/// `None` for actions without such a form. The transport uses it to answer `package_show`
/// `package_search`, `package_list` and `current_package_list_with_resources` without parsing
/// and re-encoding the stored dicts (`package_list`'s bytes are those the read cache keeps).
pub fn call_text(
    services: &Services,
    actor: Actor,
    name: &str,
    params: &Params,
) -> Option<ActionResult<JsonText>> {
    let ctx = Context::new(actor, services, None);
    let text = match name {
        "package_show" => package::package_show_text(&ctx, params).map(JsonText::from),
        "package_search" => search::package_search_text(&ctx, params),
        "current_package_list_with_resources" => package_list::current_package_list_text(&ctx, params),
        "package_list" => package_list::package_list_text(&ctx, params).map(JsonText::from),
        _ => return None,
    };
    Some(text)
}

/// A result as JSON text, in parts that follow one another: a page of stored dicts goes out
/// as the index gave it, between the text before and after it, without being copied into one.
#[derive(Debug, Default)]
pub struct JsonText {
    parts: Vec<bytes::Bytes>,
}

impl JsonText {
    /// Adds a part.
    pub fn push(&mut self, part: impl Into<bytes::Bytes>) {
        let part = part.into();
        if !part.is_empty() {
            self.parts.push(part);
        }
    }

    /// Adds parts that follow one another.
    pub fn extend(&mut self, parts: impl IntoIterator<Item = bytes::Bytes>) {
        self.parts.extend(parts.into_iter().filter(|part| !part.is_empty()));
    }

    /// The length of the whole text.
    pub fn len(&self) -> usize {
        self.parts.iter().map(bytes::Bytes::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The parts, in order.
    pub fn into_parts(self) -> Vec<bytes::Bytes> {
        self.parts
    }

    /// The whole text in one piece.
    pub fn concat(&self) -> Vec<u8> {
        let mut whole = Vec::with_capacity(self.len());
        for part in &self.parts {
            whole.extend_from_slice(part);
        }
        whole
    }
}

impl<T: Into<bytes::Bytes>> From<T> for JsonText {
    fn from(text: T) -> Self {
        let mut whole = JsonText::default();
        whole.push(text);
        whole
    }
}

/// What an anonymous caller asked for, when the read cache alone answers it (`package_show` of
/// an active public dataset it holds): the result, found without a worker thread or the
/// database. `None`: run the action as usual.
pub fn anonymous_cached(services: &Services, name: &str, params: &Params) -> Option<CachedResult> {
    match name {
        "package_show" => package::public_cached(services, params),
        _ => None,
    }
}

/// A result the read cache holds, as JSON text.
pub struct CachedResult(std::sync::Arc<cache::CachedPackage>);

impl CachedResult {
    /// The length of its JSON text.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether its JSON text is empty (never, for a dict).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends its JSON text to `out`.
    pub fn append_to(&self, out: &mut Vec<u8>) -> ActionResult<()> {
        Ok(self.0.append_to(out)?)
    }
}

/// Serializes a result.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> ActionResult {
    serde_json::to_value(value).map_err(|e| ActionError::Internal(format!("serializing a result: {e}")))
}
