//! A real datahavn on a real port, backed by a throw-away database (SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` is set), and a plain HTTP client to talk to it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod errors;

use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;

use datahavn_actions::{Services, SiteConfig, TokenSigner};
use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;
use datahavn_http::{AppState, CorsPolicy, HttpConfig};
use datahavn_storage::Store;
use datahavn_storage::testing::TestDb;
use serde_json::{Value, json};

pub const SECRET: &[u8] = b"test secret";

pub struct TestServer {
    pub base: String,
    pub services: Services,
    handle: actix_web::dev::ServerHandle,
    _db: Option<TestDb>,
    _datastore_dir: tempfile::TempDir,
    /// Where uploaded files go.
    pub files_dir: tempfile::TempDir,
}

/// A response: status, content type and body (parsed as JSON when it is JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub text: String,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn result(&self) -> Value {
        let body = self.json();
        assert_eq!(body["success"], true, "expected success, got {} {}", self.status, self.text);
        body["result"].clone()
    }

    pub fn error(&self) -> Value {
        let body = self.json();
        assert_eq!(body["success"], false, "expected failure, got {} {}", self.status, self.text);
        body["error"].clone()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Makes the URL a server opens from its test database's.
pub type Reroute = Box<dyn FnOnce(&datahavn_storage::DatabaseUrl) -> datahavn_storage::DatabaseUrl>;

pub struct Options {
    pub cors: CorsPolicy,
    pub max_body_bytes: usize,
    pub create_user_via_api: bool,
    pub max_resource_bytes: u64,
    /// Run harvest jobs in the background with these settings (`harvest_job_create` starts
    /// them), as `datahavn serve` does; without, jobs wait.
    pub harvest: Option<datahavn_harvest::Settings>,
    /// The DCAT profile of `/catalog.*` (`--dcat-profile`).
    pub dcat_profile: datahavn_dcat::Profile,
    /// CKAN's `ckan.auth.*` options for groups and organizations (`--auth-*`).
    pub auth: datahavn_actions::AuthOptions,
    /// The other transport settings (rate limits, `/metrics` access, timeouts); its
    /// `max_body_bytes` and `cors` are the fields above.
    pub http: HttpConfig,
    /// The database URL the server's store opens, made from the test database's (e.g. through
    /// a proxy the test can cut).
    pub reroute: Option<Reroute>,
    /// Megabytes of read cache (`--cache-mb`; 0: none).
    pub cache_mb: usize,
}

/// How often a test server reads the change log for other processes' writes
/// (`--cache-poll-ms`).
pub const CACHE_POLL: std::time::Duration = std::time::Duration::from_millis(50);

impl Default for Options {
    fn default() -> Self {
        Self {
            cors: CorsPolicy::None,
            max_body_bytes: 1024 * 1024,
            create_user_via_api: false,
            max_resource_bytes: 10 * 1024 * 1024,
            dcat_profile: datahavn_dcat::Profile::DcatAp3,
            // As the CKAN 2.12 the recorded answers come from: collaborators on.
            auth: datahavn_actions::AuthOptions {
                allow_dataset_collaborators: true,
                ..datahavn_actions::AuthOptions::default()
            },
            harvest: None,
            http: HttpConfig::default(),
            reroute: None,
            cache_mb: 16,
        }
    }
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> Self {
        Self::start_on(TestDb::new(), options)
    }

    /// Stops this server and starts a new one (default options) on the same database, as a
    /// restart of the process does.
    pub fn restart(mut self) -> Self {
        let db = self._db.take().expect("the database");
        drop(self);
        Self::start_on(db, Options::default())
    }

    fn start_on(db: TestDb, mut options: Options) -> Self {
        let url = match options.reroute.take() {
            Some(reroute) => reroute(db.url()),
            None => db.url().clone(),
        };
        let data_url = db.url().clone();
        Self::start_at(&url, &data_url, Some(db), options)
    }

    /// Another server process on this one's database (another node), with default options.
    pub fn another_node(&self) -> Self {
        self.another_node_with(Options::default())
    }

    /// Another server on this one's database, with these options.
    pub fn another_node_with(&self, options: Options) -> Self {
        let url = self.services.store.url().clone();
        Self::start_at(&url, &url, None, options)
    }

    /// A server whose store opens `url`, on the test database at `data_url` (its DataStore
    /// beside it), keeping `db` alive as long as it runs.
    fn start_at(
        url: &datahavn_storage::DatabaseUrl,
        data_url: &datahavn_storage::DatabaseUrl,
        db: Option<TestDb>,
        options: Options,
    ) -> Self {
        let store = Store::open(url, 4).expect("open test database");
        store.migrate().expect("migrate test database");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let base = format!("http://{addr}");
        let datastore_dir = tempfile::tempdir().expect("temporary directory");
        let datastore_url = match data_url {
            datahavn_storage::DatabaseUrl::Postgres(url) => {
                datahavn_datastore::DatastoreUrl::Postgres(url.clone())
            }
            datahavn_storage::DatabaseUrl::Sqlite(_) => {
                datahavn_datastore::DatastoreUrl::Sqlite(datastore_dir.path().join("datastore.db"))
            }
        };
        let tables = datahavn_datastore::Datastore::open(&datastore_url, 4).expect("open the DataStore");
        let datastore = datahavn_actions::datastore::DatastoreService::new(
            tables,
            datahavn_actions::datastore::DatastoreSettings {
                sql_timeout: std::time::Duration::from_secs(2),
                ..Default::default()
            },
        );
        let files_dir = tempfile::tempdir().expect("files directory");
        let mut services = Services {
            store,
            search: std::sync::Arc::new(datahavn_search::SearchHandle::new(
                datahavn_search::Language::English,
            )),
            tokens: TokenSigner::new(SECRET),
            site: SiteConfig {
                site_url: base.clone(),
                create_user_via_api: options.create_user_via_api,
                max_resource_bytes: options.max_resource_bytes,
                dcat_profile: options.dcat_profile,
                auth: options.auth,
                ..SiteConfig::default()
            },
            datastore: Some(std::sync::Arc::new(datastore)),
            files: datahavn_storage::FileStore::local(files_dir.path()).expect("file store"),
            harvest: None,
            cache: None,
        };
        if options.cache_mb > 0 {
            services.cache =
                Some(std::sync::Arc::new(datahavn_actions::cache::ReadCache::new(options.cache_mb << 20)));
        }
        datahavn_actions::cache::follow_changes(
            &services.store,
            services.cache.as_ref(),
            &services.search,
            CACHE_POLL,
        )
        .expect("the server follows the change log");
        services.load_runtime_options().expect("site options read");
        if let Some(settings) = options.harvest {
            let runner = datahavn_harvest::HarvestService::start(services.clone(), settings, false)
                .expect("harvester started");
            services.harvest = Some(runner);
        }
        let state = AppState::new(
            services.clone(),
            HttpConfig { max_body_bytes: options.max_body_bytes, cors: options.cors, ..options.http },
        );
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = datahavn_http::serve(listener, state, 2).expect("server");
                sender.send(server.handle()).expect("handle");
                let _ = server.await;
            });
        });
        let handle = receiver.recv().expect("server started");
        Self { base, services, handle, _db: db, _datastore_dir: datastore_dir, files_dir }
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder().http_status_as_error(false).build().into()
    }

    fn reply(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
        let mut response = response.expect("request failed");
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        Reply { status, content_type, text, headers }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET a path (with its query string), with optional headers.
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = Self::agent().get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::reply(request.call())
    }

    /// POST raw bytes with a content type.
    pub fn post_raw(&self, path: &str, content_type: &str, body: &[u8], headers: &[(&str, &str)]) -> Reply {
        let mut request = Self::agent().post(self.url(path)).header("Content-Type", content_type);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::reply(request.send(body))
    }

    /// Any method.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut builder = ureq::http::Request::builder().method(method).uri(self.url(path));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(()).expect("request");
        Self::reply(Self::agent().run(request))
    }

    /// POST a JSON body to an action, as ckanapi does, with an optional token.
    pub fn action(&self, name: &str, body: Value, token: Option<&str>) -> Reply {
        let headers: Vec<(&str, &str)> = token.map(|t| vec![("Authorization", t)]).unwrap_or_default();
        self.post_raw(
            &format!("/api/3/action/{name}"),
            "application/json",
            body.to_string().as_bytes(),
            &headers,
        )
    }

    /// Runs an action directly as the site (a sysadmin), for setting up a test.
    pub fn as_site(&self, name: &str, body: Value) -> Value {
        let Value::Object(map) = body else { panic!("object expected") };
        let actor = Actor::Site;
        datahavn_actions::call(&self.services, actor, name, &Params::new(map))
            .unwrap_or_else(|e| panic!("{name} failed: {e:?}"))
    }

    /// Creates a user and a token for them; returns (user dict, token).
    pub fn user_with_token(&self, name: &str, sysadmin: bool) -> (Value, String) {
        let user = self.as_site(
            "user_create",
            json!({"name": name, "email": format!("{name}@example.org"), "password": "password123", "sysadmin": sysadmin}),
        );
        let token = self.as_site("api_token_create", json!({"user": name, "name": "test"}));
        (user, token["token"].as_str().expect("token").to_owned())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Stop the server before its database goes away.
        let stop = self.handle.stop(false);
        let _ = thread::spawn(move || actix_web::rt::System::new().block_on(stop)).join();
    }
}

/// The recorded CKAN 2.12 exchanges in `tests/fixtures/ckan-reference`.
pub fn reference(file: &str) -> Value {
    let path = format!("{}/tests/fixtures/ckan-reference/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("reference JSON")
}

/// The keys of an object, in order.
pub fn keys(value: &Value) -> Vec<String> {
    value.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

impl TestServer {
    /// An organization made directly in storage, with the given members (user name, capacity).
    /// Independent of the organization actions, so dataset tests can set up their world.
    pub fn org(&self, name: &str, members: &[(&str, &str)]) -> String {
        self.group_row(name, true, members)
    }

    /// A (non-organization) group made directly in storage, with members.
    pub fn group(&self, name: &str, members: &[(&str, &str)]) -> String {
        self.group_row(name, false, members)
    }

    fn group_row(&self, name: &str, is_organization: bool, members: &[(&str, &str)]) -> String {
        use datahavn_domain::Timestamp;
        use datahavn_domain::group::{Group, GroupState, Member, MemberCapacity, MemberKind};
        let id = uuid::Uuid::new_v4().to_string();
        let group = Group {
            id: id.clone(),
            name: name.to_owned(),
            title: format!("{name} title"),
            description: String::new(),
            image_url: String::new(),
            group_type: if is_organization { "organization" } else { "group" }.to_owned(),
            is_organization,
            approval_status: "approved".into(),
            state: GroupState::Active,
            created: Timestamp::now(),
            extras: Vec::new(),
            document: serde_json::Map::new(),
        };
        self.services
            .store
            .write(|tx| {
                tx.insert_group(&group)?;
                for (user, capacity) in members {
                    let user = tx.user_by_id_or_name(user)?.expect("member exists");
                    tx.upsert_member(&Member::active(
                        uuid::Uuid::new_v4().to_string(),
                        &id,
                        MemberKind::User,
                        &user.id,
                        MemberCapacity::parse(capacity),
                    ))?;
                }
                Ok::<_, datahavn_storage::StorageError>(())
            })
            .expect("group set up");
        id
    }

    /// Everything a catalogue action could change: every organization and group (deleted ones
    /// too) with its members, every dataset's stored dict, and the number of activities.
    pub fn catalogue_snapshot(&self) -> Value {
        use datahavn_storage::{ActivityFilter, GroupFilter, StorageError};
        self.services
            .store
            .read(|tx| -> Result<Value, StorageError> {
                let mut groups = Vec::new();
                for organizations in [true, false] {
                    let filter =
                        GroupFilter { organizations, include_deleted: true, ..GroupFilter::default() };
                    for group in tx.list_groups(&filter)? {
                        let members: Vec<String> =
                            tx.members_of_group(&group.id, None)?.iter().map(|m| format!("{m:?}")).collect();
                        groups.push(json!({"group": format!("{group:?}"), "members": members}));
                    }
                }
                let ids = tx.package_ids_page("", 10_000)?;
                let packages: Vec<String> =
                    tx.packages_for_index(&ids)?.into_iter().map(|p| p.record.rendered).collect();
                let activities =
                    tx.list_activities(&ActivityFilter { limit: 100_000, ..ActivityFilter::default() })?;
                Ok(json!({"groups": groups, "packages": packages, "activities": activities.len()}))
            })
            .unwrap()
    }
}

/// The keys of an organization or group dict from `*_show` with the default options (§3.3).
pub const GROUP_SHOW_KEYS: &[&str] = &[
    "approval_status",
    "created",
    "description",
    "display_name",
    "id",
    "image_display_url",
    "image_url",
    "is_organization",
    "name",
    "num_followers",
    "package_count",
    "state",
    "title",
    "type",
    "extras",
    "groups",
    "users",
];

/// The strings of a list result (`*_list` without `all_fields`).
pub fn names(reply: &Reply) -> Vec<String> {
    reply.result().as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// The `name` of each dict in a list.
pub fn dict_names(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect()
}
