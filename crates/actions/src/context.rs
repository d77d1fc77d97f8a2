use datahavn_domain::Timestamp;
use datahavn_domain::user::Actor;
use std::cell::RefCell;

use datahavn_storage::{FileStore, Store};

use crate::TokenSigner;
use crate::upload::Upload;

/// Site settings that actions report or obey.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// Absolute base URL, without a trailing slash.
    pub site_url: String,
    pub site_title: String,
    pub site_description: String,
    pub locale_default: String,
    pub error_emails_to: Option<String>,
    /// CKAN's `ckan.auth.create_user_via_api`: anyone may call `user_create`.
    pub create_user_via_api: bool,
    /// CKAN's `ckan.max_resource_size`, in bytes: larger uploads are refused (409).
    pub max_resource_bytes: u64,
    /// The address datasets without a contact of their own point to, in `/data.json` and as the
    /// DCAT catalogue's publisher.
    pub contact_email: Option<String>,
    /// The DCAT profile of `/catalog` and `/dataset/{id}.{ttl,rdf,jsonld}`.
    pub dcat_profile: datahavn_dcat::Profile,
    /// CKAN's `ckan.auth.*` options for groups and organizations.
    pub auth: AuthOptions,
    /// The options a sysadmin changed while the server ran (`config_option_update`), over the
    /// values above: read through [`SiteConfig::title`] and [`SiteConfig::description`].
    pub runtime: RuntimeOptions,
}

impl SiteConfig {
    /// `ckan.site_title`: the value set at run time, else the startup one.
    pub fn title(&self) -> String {
        self.runtime.get("ckan.site_title").unwrap_or_else(|| self.site_title.clone())
    }

    /// `ckan.site_description`: the value set at run time, else the startup one.
    pub fn description(&self) -> String {
        self.runtime.get("ckan.site_description").unwrap_or_else(|| self.site_description.clone())
    }
}

/// CKAN's runtime-editable config options as stored in its `system_info` table: the database
/// holds them; this process keeps a copy, read once at start ([`Services::load_runtime_options`])
/// and updated by `config_option_update` after its commit, so that reading an option costs no
/// query. Clones share one copy.
#[derive(Debug, Clone, Default)]
pub struct RuntimeOptions(std::sync::Arc<std::sync::RwLock<std::collections::BTreeMap<String, String>>>);

impl RuntimeOptions {
    /// The stored value of an option, if one was set.
    pub fn get(&self, key: &str) -> Option<String> {
        self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).cloned()
    }

    /// Takes in values just written to the database.
    pub(crate) fn set(&self, values: impl IntoIterator<Item = (String, String)>) {
        self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner).extend(values);
    }

    /// Replaces the copy with what the database holds.
    fn replace(&self, values: impl IntoIterator<Item = (String, String)>) {
        let mut copy = self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        copy.clear();
        copy.extend(values);
    }
}

/// CKAN's `ckan.auth.*` options, with CKAN 2.12's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthOptions {
    /// Users who are not sysadmins may create groups, becoming their first admin (`true`).
    pub user_create_groups: bool,
    /// The same for organizations (`true`).
    pub user_create_organizations: bool,
    /// A group's admins may delete it (`true`).
    pub user_delete_groups: bool,
    /// An organization's admins may delete it (`true`).
    pub user_delete_organizations: bool,
    /// Anonymous callers may create datasets, when unowned datasets are allowed and need no
    /// organization (`false`).
    pub anon_create_dataset: bool,
    /// Datasets may have no organization (`false`).
    pub create_unowned_dataset: bool,
    /// Users who are editors or admins of no organization may create (unowned) datasets
    /// (`true`; only with `create_unowned_dataset`).
    pub create_dataset_if_not_in_organization: bool,
    /// Users' details (`user_list`, `user_show`, `user_autocomplete`, an organization's users)
    /// are shown to anonymous callers (`true`).
    pub public_user_details: bool,
    /// Datasets may have collaborators (`false`).
    pub allow_dataset_collaborators: bool,
    /// Collaborators may be `admin`s, who manage the dataset's collaborators (`false`).
    pub allow_admin_collaborators: bool,
}

impl Default for AuthOptions {
    fn default() -> Self {
        Self {
            user_create_groups: true,
            user_create_organizations: true,
            user_delete_groups: true,
            user_delete_organizations: true,
            anon_create_dataset: false,
            create_unowned_dataset: false,
            create_dataset_if_not_in_organization: true,
            public_user_details: true,
            allow_dataset_collaborators: false,
            allow_admin_collaborators: false,
        }
    }
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            site_url: "http://127.0.0.1:5000".into(),
            site_title: "datahavn".into(),
            site_description: String::new(),
            locale_default: "en".into(),
            error_emails_to: None,
            create_user_via_api: false,
            max_resource_bytes: 10 * 1024 * 1024,
            contact_email: None,
            dcat_profile: datahavn_dcat::Profile::DcatAp3,
            auth: AuthOptions::default(),
            runtime: RuntimeOptions::default(),
        }
    }
}

/// What every action may use: the database, the token signer and the site settings.
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    /// The dataset search index of this process.
    pub search: std::sync::Arc<datahavn_search::SearchHandle>,
    pub tokens: TokenSigner,
    pub site: SiteConfig,
    /// The DataStore, when the server keeps one.
    pub datastore: Option<std::sync::Arc<crate::datastore::DatastoreService>>,
    /// Where uploaded resource files are kept.
    pub files: FileStore,
    /// What runs harvest jobs in the background, when the process has one (the server).
    pub harvest: Option<std::sync::Arc<dyn crate::harvest::HarvestRunner>>,
    /// The read cache, when the process keeps one (the server).
    pub cache: Option<std::sync::Arc<crate::cache::ReadCache>>,
}

impl Services {
    /// Reads the site options stored by `config_option_update` (CKAN's `system_info`) into
    /// this process's copy; done once when the process starts.
    pub fn load_runtime_options(&self) -> Result<(), crate::ActionError> {
        let stored = self.store.read(|tx| tx.system_info())?;
        self.site.runtime.replace(stored);
        Ok(())
    }
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("database", self.store.url())
            .field("site", &self.site)
            .field("files", &self.files.description())
            .finish_non_exhaustive()
    }
}

/// One call: who is asking, and with what.
pub struct Context<'a> {
    pub actor: Actor,
    pub services: &'a Services,
    /// The file sent with the call (a multipart `upload` part), already in the file store.
    pub upload: Option<&'a Upload>,
    /// Objects that are no longer referenced once the call's transaction commits.
    pub(crate) unreferenced: RefCell<Vec<String>>,
    /// Objects this call placed, to remove if it fails.
    pub(crate) placed: RefCell<Vec<String>>,
    /// CKAN 2.12's `changed_entities`: the kinds and ids of what the call changed, for the
    /// actions that report them (a `package_update` that changed something).
    pub(crate) changed: RefCell<std::collections::BTreeMap<&'static str, std::collections::BTreeSet<String>>>,
}

impl<'a> Context<'a> {
    pub fn new(actor: Actor, services: &'a Services, upload: Option<&'a Upload>) -> Self {
        Self {
            actor,
            services,
            upload,
            unreferenced: RefCell::default(),
            placed: RefCell::default(),
            changed: RefCell::default(),
        }
    }

    /// Notes that the call changed the entity `id` of kind `kind` (`packages`).
    pub(crate) fn report_changed(&self, kind: &'static str, id: &str) {
        self.changed.borrow_mut().entry(kind).or_default().insert(id.to_owned());
    }

    /// The `changed_entities` the envelope carries beside the result, if any: each kind's
    /// ids, sorted.
    pub fn changed_entities(&self) -> Option<serde_json::Value> {
        let changed = self.changed.borrow();
        (!changed.is_empty()).then(|| {
            changed
                .iter()
                .map(|(kind, ids)| ((*kind).to_owned(), ids.iter().cloned().collect::<Vec<_>>().into()))
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
    }

    /// Deletes `key` from the file store once the call has succeeded (after its commit).
    pub(crate) fn delete_after_commit(&self, key: String) {
        self.unreferenced.borrow_mut().push(key);
    }

    pub fn store(&self) -> &Store {
        &self.services.store
    }

    pub fn site(&self) -> &SiteConfig {
        &self.services.site
    }
}

/// How long a token's `last_access` may lag before a use writes it again.
const LAST_ACCESS_RESOLUTION_SECONDS: i64 = 60;

/// The actor a token stands for. A malformed, wrongly signed, expired or revoked token, or one
/// whose user is deleted, is anonymous, as in CKAN. Accepts a raw token or `Bearer <token>`.
pub fn authenticate(services: &Services, header_value: &str) -> Result<Actor, crate::ActionError> {
    let raw = header_value.trim();
    let token = raw.strip_prefix("Bearer ").or_else(|| raw.strip_prefix("bearer ")).unwrap_or(raw).trim();
    if token.is_empty() {
        return Ok(Actor::Anonymous);
    }
    let Some(jti) = services.tokens.decode(token) else {
        return Ok(Actor::Anonymous);
    };
    let cache = services.cache.as_deref();
    if let Some(actor) = cache.and_then(|cache| cache.token(&jti)) {
        return Ok(actor);
    }
    let generation = cache.map(crate::cache::ReadCache::generation);
    let actor = read_token_owner(services, &jti)?;
    if let (Some(cache), Some(generation)) = (cache, generation) {
        cache.keep_token(generation, &jti, actor.clone());
    }
    Ok(actor)
}

/// The actor a token's id stands for, as the database says now; notes the token's use.
fn read_token_owner(services: &Services, jti: &str) -> Result<Actor, crate::ActionError> {
    let Some((stored, user)) = services.store.read(|tx| tx.api_token_with_user(jti))? else {
        return Ok(Actor::Anonymous);
    };
    if !user.is_active() {
        return Ok(Actor::Anonymous);
    }
    let now = Timestamp::now();
    let stale_before =
        Timestamp::from_unix_seconds(now.unix_seconds() - LAST_ACCESS_RESOLUTION_SECONDS).unwrap_or(now);
    let is_stale = |t: Option<Timestamp>| t.is_none_or(|t| t < stale_before);
    if is_stale(stored.last_access) || is_stale(user.last_active) {
        services.store.write(|tx| tx.touch_api_token(&stored, now, stale_before))?;
    }
    Ok(Actor::User { id: user.id, name: user.name, sysadmin: user.sysadmin })
}
