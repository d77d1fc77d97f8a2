//! Settings from flags and `DATAHAVN_*` environment variables (docs/CONFIG.md).

use std::path::{Path, PathBuf};

use clap::Args;
use datahavn_actions::datastore::DatastoreSettings;
use datahavn_actions::{SiteConfig, TokenSigner};
use datahavn_datastore::DatastoreUrl;
use datahavn_storage::{DatabaseUrl, FileStore};

/// Settings every command shares: where the data lives.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Directory for the embedded database, the search index and the generated token secret.
    #[arg(long, env = "DATAHAVN_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// `sqlite://PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`
    /// [default: sqlite://<data dir>/datahavn.db]
    #[arg(long, env = "DATAHAVN_DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,

    /// Largest number of database connections.
    #[arg(long, env = "DATAHAVN_MAX_CONNECTIONS", default_value_t = 16, global = true)]
    pub max_connections: u32,

    /// Language free text is stemmed in by the search index: en, da, de, fr, no, sv, nl, es, it, fi.
    #[arg(long, env = "DATAHAVN_SEARCH_LANGUAGE", default_value = "en", global = true)]
    pub search_language: String,

    /// Where DataStore tables live: `sqlite://PATH` or `postgres://...` (schema `datastore`)
    /// [default: sqlite://<data dir>/datastore.db with a SQLite catalogue, the catalogue's own
    /// PostgreSQL database with a PostgreSQL one].
    #[arg(long, env = "DATAHAVN_DATASTORE_URL", hide_env_values = true, global = true)]
    pub datastore_url: Option<String>,

    /// Rows `datastore_search` returns when no `limit` is given (`ckan.datastore.search.rows_default`).
    #[arg(long, env = "DATAHAVN_DATASTORE_ROWS_DEFAULT", default_value_t = 100, global = true)]
    pub datastore_rows_default: u64,

    /// The most rows one DataStore search or SQL query returns (`ckan.datastore.search.rows_max`).
    #[arg(long, env = "DATAHAVN_DATASTORE_ROWS_MAX", default_value_t = 32_000, global = true)]
    pub datastore_rows_max: u64,

    /// Serve `datastore_search_sql` (`ckan.datastore.sqlsearch.enabled`; CKAN's default is false).
    #[arg(long, env = "DATAHAVN_DATASTORE_SQL", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub datastore_sql: bool,

    /// Time limit of one `datastore_search_sql` statement, in milliseconds.
    #[arg(long, env = "DATAHAVN_DATASTORE_SQL_TIMEOUT_MS", default_value_t = 10_000, global = true)]
    pub datastore_sql_timeout_ms: u64,

    /// The largest file a DataStore load fetches or reads, in megabytes.
    #[arg(long, env = "DATAHAVN_DATASTORE_MAX_LOAD_MB", default_value_t = 1024, global = true)]
    pub datastore_max_load_mb: u64,

    /// Secret that signs API tokens [default: generated once into <data dir>/token_secret].
    #[arg(long, env = "DATAHAVN_TOKEN_SECRET", hide_env_values = true, global = true)]
    pub token_secret: Option<String>,

    /// Directory for uploaded resource files [default: <data dir>/files].
    #[arg(long, env = "DATAHAVN_FILES_DIR", global = true)]
    pub files_dir: Option<PathBuf>,

    /// Keep uploaded resource files in an object store instead: `s3://BUCKET[/PREFIX]`, with the
    /// standard `AWS_*` variables (needs a build with the `s3` feature).
    #[arg(long, env = "DATAHAVN_FILES_URL", global = true, conflicts_with = "files_dir")]
    pub files_url: Option<String>,
}

impl StoreArgs {
    pub fn database_url(&self) -> Result<DatabaseUrl, String> {
        let text = match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("datahavn.db").display()),
        };
        DatabaseUrl::parse(&text).map_err(|e| e.to_string())
    }

    /// Where DataStore tables are kept.
    pub fn datastore_url(&self) -> Result<DatastoreUrl, String> {
        let text = match (&self.datastore_url, self.database_url()?) {
            (Some(url), _) => url.clone(),
            (None, DatabaseUrl::Sqlite(_)) => {
                return Ok(DatastoreUrl::Sqlite(self.data_dir.join("datastore.db")));
            }
            (None, DatabaseUrl::Postgres(url)) => url,
        };
        if let Some(path) = text.strip_prefix("sqlite://") {
            Ok(DatastoreUrl::Sqlite(PathBuf::from(path)))
        } else if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Ok(DatastoreUrl::Postgres(text))
        } else {
            Err("the DataStore URL must start with sqlite:// or postgres://".into())
        }
    }

    /// The DataStore's settings.
    pub fn datastore_settings(&self) -> DatastoreSettings {
        DatastoreSettings {
            rows_default: self.datastore_rows_default,
            rows_max: self.datastore_rows_max.max(1),
            sql_enabled: self.datastore_sql,
            sql_timeout: std::time::Duration::from_millis(self.datastore_sql_timeout_ms.max(1)),
            max_load_bytes: self.datastore_max_load_mb.saturating_mul(1024 * 1024),
            ..DatastoreSettings::default()
        }
    }

    /// The store of uploaded resource files.
    pub fn file_store(&self) -> Result<FileStore, String> {
        let store = match (&self.files_url, &self.files_dir) {
            (Some(url), _) => FileStore::from_url(url),
            (None, Some(dir)) => FileStore::local(dir),
            (None, None) => FileStore::local(&self.data_dir.join("files")),
        };
        store.map_err(|e| e.to_string())
    }

    /// Where the search index is kept.
    pub fn search_index_dir(&self) -> PathBuf {
        self.data_dir.join("search-index")
    }

    /// The token signer: the configured secret, else the one in the data directory, made
    /// on first use.
    pub fn token_signer(&self) -> Result<TokenSigner, String> {
        if let Some(secret) = self.token_secret.as_deref().filter(|s| !s.is_empty()) {
            return Ok(TokenSigner::new(secret.as_bytes()));
        }
        let path = self.data_dir.join("token_secret");
        let secret = read_or_create_secret(&path)?;
        Ok(TokenSigner::new(secret.as_bytes()))
    }
}

fn read_or_create_secret(path: &Path) -> Result<String, String> {
    match std::fs::read_to_string(path) {
        Ok(secret) if !secret.trim().is_empty() => return Ok(secret.trim().to_owned()),
        Ok(_) => return Err(format!("{} is empty: delete it or set DATAHAVN_TOKEN_SECRET", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let secret = datahavn_actions::secrets::generate_secret();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            std::io::Write::write_all(&mut file, secret.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            log::info!("generated a token secret in {}", path.display());
            Ok(secret)
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_or_create_secret(path),
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

/// Settings of the server.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "DATAHAVN_BIND", default_value = "127.0.0.1:5000")]
    pub bind: String,

    /// Public base URL of the site, used in `help` links [default: http://<bind>].
    #[arg(long, env = "DATAHAVN_SITE_URL")]
    pub site_url: Option<String>,

    /// Site title reported by `status_show`.
    #[arg(long, env = "DATAHAVN_SITE_TITLE", default_value = "datahavn")]
    pub site_title: String,

    /// Site description reported by `status_show`.
    #[arg(long, env = "DATAHAVN_SITE_DESCRIPTION", default_value = "")]
    pub site_description: String,

    /// Default locale reported by `status_show`.
    #[arg(long, env = "DATAHAVN_LOCALE_DEFAULT", default_value = "en")]
    pub locale_default: String,

    /// Let anyone create an account with `user_create` (CKAN's `ckan.auth.create_user_via_api`).
    #[arg(long, env = "DATAHAVN_CREATE_USER_VIA_API", default_value_t = false)]
    pub create_user_via_api: bool,

    /// Largest accepted request body, in bytes (413 above).
    #[arg(long, env = "DATAHAVN_MAX_BODY_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest uploaded resource file, in megabytes (CKAN's `ckan.max_resource_size`); larger
    /// uploads are refused with 409 `{"upload": ["File upload too large"]}`.
    #[arg(long, env = "DATAHAVN_MAX_RESOURCE_SIZE_MB", default_value_t = 10)]
    pub max_resource_size_mb: u64,

    /// Origins allowed to call the API from a browser: `*` or a comma-separated list.
    #[arg(long, env = "DATAHAVN_CORS_ORIGINS", default_value = "")]
    pub cors_origins: String,

    /// HTTP worker threads [default: the number of CPUs].
    #[arg(long, env = "DATAHAVN_WORKERS")]
    pub workers: Option<usize>,

    /// Let users who are not sysadmins create groups (CKAN's `ckan.auth.user_create_groups`).
    #[arg(long, env = "DATAHAVN_AUTH_USER_CREATE_GROUPS", default_value_t = true, action = clap::ArgAction::Set)]
    pub auth_user_create_groups: bool,

    /// Let users who are not sysadmins create organizations, becoming their admin (CKAN's
    /// `ckan.auth.user_create_organizations`).
    #[arg(long, env = "DATAHAVN_AUTH_USER_CREATE_ORGANIZATIONS", default_value_t = true, action = clap::ArgAction::Set)]
    pub auth_user_create_organizations: bool,

    /// Let admins of a group who are not sysadmins delete it (CKAN's `ckan.auth.user_delete_groups`).
    #[arg(long, env = "DATAHAVN_AUTH_USER_DELETE_GROUPS", default_value_t = true, action = clap::ArgAction::Set)]
    pub auth_user_delete_groups: bool,

    /// Let admins of an organization who are not sysadmins delete it (CKAN's
    /// `ckan.auth.user_delete_organizations`).
    #[arg(long, env = "DATAHAVN_AUTH_USER_DELETE_ORGANIZATIONS", default_value_t = true, action = clap::ArgAction::Set)]
    pub auth_user_delete_organizations: bool,

    /// Let anonymous callers create datasets (CKAN's `ckan.auth.anon_create_dataset`; needs
    /// `--auth-create-unowned-dataset` and `--auth-create-dataset-if-not-in-organization`).
    #[arg(long, env = "DATAHAVN_AUTH_ANON_CREATE_DATASET", default_value_t = false, action = clap::ArgAction::Set)]
    pub auth_anon_create_dataset: bool,

    /// Let datasets have no organization (CKAN's `ckan.auth.create_unowned_dataset`).
    #[arg(long, env = "DATAHAVN_AUTH_CREATE_UNOWNED_DATASET", default_value_t = false, action = clap::ArgAction::Set)]
    pub auth_create_unowned_dataset: bool,

    /// Let users who edit no organization create (unowned) datasets (CKAN's
    /// `ckan.auth.create_dataset_if_not_in_organization`).
    #[arg(long, env = "DATAHAVN_AUTH_CREATE_DATASET_IF_NOT_IN_ORGANIZATION", default_value_t = true, action = clap::ArgAction::Set)]
    pub auth_create_dataset_if_not_in_organization: bool,

    /// Show users' details to anonymous callers (CKAN's `ckan.auth.public_user_details`).
    #[arg(long, env = "DATAHAVN_AUTH_PUBLIC_USER_DETAILS", default_value_t = true, action = clap::ArgAction::Set)]
    pub auth_public_user_details: bool,

    /// Let datasets have collaborators (CKAN's `ckan.auth.allow_dataset_collaborators`).
    #[arg(long, env = "DATAHAVN_AUTH_ALLOW_DATASET_COLLABORATORS", default_value_t = false, action = clap::ArgAction::Set)]
    pub auth_allow_dataset_collaborators: bool,

    /// Let collaborators be admins who manage a dataset's collaborators (CKAN's
    /// `ckan.auth.allow_admin_collaborators`).
    #[arg(long, env = "DATAHAVN_AUTH_ALLOW_ADMIN_COLLABORATORS", default_value_t = false, action = clap::ArgAction::Set)]
    pub auth_allow_admin_collaborators: bool,

    /// The address datasets without a contact of their own point to in `/data.json`, and the
    /// DCAT catalogue publisher's e-mail [default: webmaster@<site host>].
    #[arg(long, env = "DATAHAVN_SITE_CONTACT_EMAIL")]
    pub site_contact_email: Option<String>,

    /// The DCAT profile of `/catalog` and `/dataset/{id}.{ttl,rdf,jsonld}`: `dcat_ap_3` or
    /// `dcat_ap_dk` (DCAT-AP-DK 2, Denmark's national profile).
    #[arg(long, env = "DATAHAVN_DCAT_PROFILE", default_value = "dcat_ap_3", value_parser = ["dcat_ap_3", "dcat_ap_dk"])]
    pub dcat_profile: String,

    /// Apply pending migrations to a PostgreSQL database at start (SQLite is always migrated).
    #[arg(long, env = "DATAHAVN_MIGRATE", default_value_t = false)]
    pub migrate: bool,

    /// Megabytes of rendered datasets kept in memory for `package_show` (0: no read cache);
    /// those read often are kept unpacked too, in up to an eighth more.
    #[arg(long, env = "DATAHAVN_CACHE_MB", default_value_t = 256)]
    pub cache_mb: usize,

    /// Milliseconds between reads of the change log for other processes' writes (other nodes
    /// on the same database, a `datahavn load` beside the server), which the read cache forgets.
    #[arg(long, env = "DATAHAVN_CACHE_POLL_MS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub cache_poll_ms: u64,

    /// Requests per minute one client address may make without a valid API token (`N/min`);
    /// empty or 0: no limit.
    #[arg(long, env = "DATAHAVN_RATE_LIMIT_PER_IP", default_value = "")]
    pub rate_limit_per_ip: String,

    /// Requests per minute one API token may make (`N/min`); empty or 0: no limit.
    #[arg(long, env = "DATAHAVN_RATE_LIMIT_PER_TOKEN", default_value = "")]
    pub rate_limit_per_token: String,

    /// Comma-separated addresses of reverse proxies whose `X-Forwarded-For` names the client
    /// (for rate limits, `/metrics` access and the access log).
    #[arg(long, env = "DATAHAVN_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,

    /// Who may read `/metrics`: `loopback` (clients on this machine), `open`, `token` (only
    /// with `--metrics-token`) or `off`.
    #[arg(long, env = "DATAHAVN_METRICS", default_value = "loopback", value_parser = ["loopback", "open", "token", "off"])]
    pub metrics: String,

    /// A bearer token that may read `/metrics` from any address.
    #[arg(long, env = "DATAHAVN_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Seconds a client has to send a request's head (408 after).
    #[arg(long, env = "DATAHAVN_CLIENT_REQUEST_TIMEOUT", default_value_t = 5)]
    pub client_request_timeout: u64,

    /// Seconds a client has to send a request's body (408 after).
    #[arg(long, env = "DATAHAVN_CLIENT_BODY_TIMEOUT", default_value_t = 60)]
    pub client_body_timeout: u64,

    /// Seconds a client has to acknowledge a connection's shutdown.
    #[arg(long, env = "DATAHAVN_CLIENT_DISCONNECT_TIMEOUT", default_value_t = 1)]
    pub client_disconnect_timeout: u64,

    /// Seconds an idle connection is kept open for the next request (0: closed after each).
    #[arg(long, env = "DATAHAVN_KEEP_ALIVE", default_value_t = 5)]
    pub keep_alive: u64,

    #[command(flatten)]
    pub harvest: HarvestArgs,
}

impl ServeArgs {
    /// The transport settings.
    pub fn http(&self) -> Result<datahavn_http::HttpConfig, String> {
        let trusted_proxies = self
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().map_err(|_| format!("--trusted-proxies: {p:?} is not an IP address")))
            .collect::<Result<Vec<std::net::IpAddr>, String>>()?;
        let metrics = datahavn_http::MetricsAccess::parse(&self.metrics)
            .ok_or_else(|| format!("--metrics: unknown value {:?}", self.metrics))?;
        let metrics_token = self.metrics_token.clone().filter(|t| !t.is_empty());
        if metrics == datahavn_http::MetricsAccess::TokenOnly && metrics_token.is_none() {
            return Err("--metrics token needs --metrics-token".into());
        }
        let seconds = std::time::Duration::from_secs;
        Ok(datahavn_http::HttpConfig {
            max_body_bytes: self.max_body_bytes,
            cors: datahavn_http::CorsPolicy::parse(&self.cors_origins),
            rate_limits: datahavn_http::RateLimits {
                per_ip: datahavn_http::parse_per_minute(&self.rate_limit_per_ip)
                    .map_err(|e| format!("--rate-limit-per-ip: {e}"))?,
                per_token: datahavn_http::parse_per_minute(&self.rate_limit_per_token)
                    .map_err(|e| format!("--rate-limit-per-token: {e}"))?,
            },
            trusted_proxies,
            metrics,
            metrics_token,
            timeouts: datahavn_http::Timeouts {
                client_request: seconds(self.client_request_timeout),
                client_body: seconds(self.client_body_timeout.max(1)),
                client_disconnect: seconds(self.client_disconnect_timeout),
                keep_alive: seconds(self.keep_alive),
            },
        })
    }

    pub fn site(&self, bound: &std::net::SocketAddr) -> SiteConfig {
        let site_url = self.site_url.clone().unwrap_or_else(|| format!("http://{bound}"));
        SiteConfig {
            site_url: site_url.trim_end_matches('/').to_owned(),
            site_title: self.site_title.clone(),
            site_description: self.site_description.clone(),
            locale_default: self.locale_default.clone(),
            error_emails_to: None,
            runtime: datahavn_actions::RuntimeOptions::default(),
            create_user_via_api: self.create_user_via_api,
            max_resource_bytes: self.max_resource_size_mb.saturating_mul(1024 * 1024),
            contact_email: Some(self.site_contact_email.clone().unwrap_or_else(|| {
                let host = site_url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
                let host = if host.contains('.') && host.parse::<std::net::IpAddr>().is_err() {
                    host
                } else {
                    "localhost.localdomain"
                };
                format!("webmaster@{host}")
            })),
            auth: datahavn_actions::AuthOptions {
                user_create_groups: self.auth_user_create_groups,
                user_create_organizations: self.auth_user_create_organizations,
                user_delete_groups: self.auth_user_delete_groups,
                user_delete_organizations: self.auth_user_delete_organizations,
                anon_create_dataset: self.auth_anon_create_dataset,
                create_unowned_dataset: self.auth_create_unowned_dataset,
                create_dataset_if_not_in_organization: self.auth_create_dataset_if_not_in_organization,
                public_user_details: self.auth_public_user_details,
                allow_dataset_collaborators: self.auth_allow_dataset_collaborators,
                allow_admin_collaborators: self.auth_allow_admin_collaborators,
            },
            dcat_profile: if self.dcat_profile == "dcat_ap_dk" {
                datahavn_dcat::Profile::DcatApDk
            } else {
                datahavn_dcat::Profile::DcatAp3
            },
        }
    }
}

/// Settings of harvesting (the server's runner and scheduler, and `datahavn harvest run`).
#[derive(Debug, Clone, Args)]
pub struct HarvestArgs {
    /// Finished harvest jobs kept per source, with their objects and errors; older ones are
    /// removed when a job ends. The map from remote to local datasets is kept regardless.
    #[arg(long, env = "DATAHAVN_HARVEST_KEEP_JOBS", default_value_t = 10)]
    pub harvest_keep_jobs: usize,

    /// Time limit of one request to a harvest source, in seconds.
    #[arg(long, env = "DATAHAVN_HARVEST_REQUEST_TIMEOUT", default_value_t = 60)]
    pub harvest_request_timeout: u64,

    /// Time limit of a whole harvest job, in seconds; past it the job is aborted.
    #[arg(long, env = "DATAHAVN_HARVEST_JOB_TIMEOUT", default_value_t = 6 * 60 * 60)]
    pub harvest_job_timeout: u64,

    /// Datasets asked for per `package_search` page of a CKAN source.
    #[arg(long, env = "DATAHAVN_HARVEST_PAGE_SIZE", default_value_t = 100)]
    pub harvest_page_size: u64,

    /// How often (seconds) the server's scheduler makes jobs for the sources due by their
    /// frequency, starts waiting jobs and marks jobs whose process stopped as failed; 0 turns the
    /// scheduler off (jobs then run only from `harvest_job_create` and `datahavn harvest run`).
    #[arg(long, env = "DATAHAVN_HARVEST_SCHEDULER_INTERVAL", default_value_t = 60)]
    pub harvest_scheduler_interval: u64,
}

impl HarvestArgs {
    pub fn settings(&self) -> datahavn_harvest::Settings {
        let defaults = datahavn_harvest::Settings::default();
        let interval = std::time::Duration::from_secs(self.harvest_scheduler_interval.max(1));
        datahavn_harvest::Settings {
            request_timeout: std::time::Duration::from_secs(self.harvest_request_timeout.max(1)),
            job_timeout: std::time::Duration::from_secs(self.harvest_job_timeout.max(1)),
            keep_jobs: self.harvest_keep_jobs.max(1),
            page_size: self.harvest_page_size.clamp(1, 1000),
            scheduler_interval: interval,
            // Dead jobs are found by their silence: longer than any request may take.
            stale_after: defaults
                .stale_after
                .max(std::time::Duration::from_secs(self.harvest_request_timeout * 3)),
            ..defaults
        }
    }
}
