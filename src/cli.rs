//! Subcommands. Each one that changes data goes through the same actions as the API.

use std::io::{BufRead, IsTerminal};
use std::net::TcpListener;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use datahavn_actions::{ActionError, Services, SiteConfig};
use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;
use datahavn_http::AppState;
use datahavn_storage::{DatabaseUrl, Store};
use serde_json::{Value, json};

use crate::config::{ServeArgs, StoreArgs};

#[derive(Debug, Parser)]
#[command(
    name = "datahavn",
    version,
    about = "An open-data catalogue server that speaks the CKAN Action API"
)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    /// Log lines as `text` (readable) or `json` (one object a line: time, level, target,
    /// message, request_id).
    #[arg(long, env = "DATAHAVN_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"], global = true)]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (migrates an embedded SQLite database first).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the OpenAPI document the server serves at /api/3/openapi.json.
    Openapi,
    /// The search index.
    #[command(subcommand, name = "search-index")]
    SearchIndex(SearchIndexCommand),
    /// Create or update datasets from a JSON-lines file, one dataset dict per line (what
    /// `ckanapi dump datasets` and `datahavn dump` write). Exits with 1 if any line failed.
    Load {
        /// The file; `-` reads stdin.
        file: PathBuf,
        /// Create a dataset's organization first when it does not exist (from the dataset's
        /// `organization` dict, or from `owner_org` as its name).
        #[arg(long)]
        create_orgs: bool,
        /// Base URL of the site, used in the dataset dicts rendered while loading.
        #[arg(long, env = "DATAHAVN_SITE_URL")]
        site_url: Option<String>,
        /// Lines written per transaction (each line's writes commit with its batch; a line
        /// that fails is undone alone). Default: 5000 on SQLite, 1000 on PostgreSQL.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        batch: Option<u16>,
        /// Batches written at once, each on its own connection, when no two lines of a run of
        /// them can touch the same dataset or resource (otherwise one after the other).
        /// PostgreSQL only: SQLite writes one transaction at a time. Default: the machine's
        /// cores (each batch keeps one of them busy; more contend for them).
        #[arg(long, default_value_t = default_jobs(), value_parser = clap::value_parser!(u8).range(1..=32))]
        jobs: u8,
    },
    /// The DataStore.
    #[command(subcommand)]
    Datastore(DatastoreCommand),
    /// Harvest sources: run, list, show, add.
    #[command(subcommand)]
    Harvest(HarvestCommand),
    /// Compare the database with the search index, the file store and the DataStore, and list
    /// what differs. Exits with 1 when anything does.
    Check {
        /// Print the report as JSON (every difference, not the first few of each kind).
        #[arg(long)]
        json: bool,
    },
    /// Write the active public datasets as JSON lines, keys sorted (`ckanapi dump datasets --all`).
    Dump {
        /// The file; `-` writes to stdout.
        file: PathBuf,
        /// Also private and draft datasets (every dataset that is not deleted).
        #[arg(long)]
        all_states: bool,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from stdin when it is not a terminal, else prompted.
    Add {
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        fullname: Option<String>,
        /// Make the user a sysadmin.
        #[arg(long)]
        sysadmin: bool,
    },
    /// List users.
    List,
}

#[derive(Debug, Subcommand)]
enum SearchIndexCommand {
    /// Build the search index (kept in `<data dir>/search-index`) afresh from the database and
    /// report its size and the time it took. `serve` keeps the index current by itself and
    /// rebuilds it when it follows another database or version; this is for doing it by hand
    /// while no server runs.
    Rebuild,
}

#[derive(Debug, Subcommand)]
enum DatastoreCommand {
    /// Load a CSV, TSV or XLSX file into a resource's table (column types inferred over the
    /// whole file; the new table replaces the old one only when the load is complete).
    Load {
        /// The resource's id.
        resource: String,
        /// The file.
        file: PathBuf,
        /// The file's format (`csv`, `tsv`, `xlsx`) [default: from the name, the resource's
        /// format and the content].
        #[arg(long)]
        format: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum HarvestCommand {
    /// Run a harvest job for a source now, on this process (the job waiting for it, else a new
    /// one), with a progress bar; prints what it added, updated, left unchanged, deleted and
    /// failed on. Exits with 1 if any dataset failed or the job stopped early.
    Run {
        /// The source's name or id.
        source: String,
        #[command(flatten)]
        harvest: crate::config::HarvestArgs,
    },
    /// List the harvest sources: name, type, frequency, URL, last job and its counts.
    List,
    /// Show a harvest source as `harvest_source_show` gives it.
    Show {
        /// The source's name or id.
        source: String,
    },
    /// Create a harvest source (`harvest_source_create`).
    Add {
        /// Its name.
        name: String,
        /// The remote catalogue's URL.
        url: String,
        /// `ckan`, `dcat_rdf` or `dcat_json`.
        #[arg(long = "type", default_value = "ckan")]
        source_type: String,
        /// The organization (name or id) that owns the source and its datasets.
        #[arg(long)]
        org: String,
        /// `MANUAL`, `DAILY`, `WEEKLY`, `BIWEEKLY`, `MONTHLY` or `ALWAYS`.
        #[arg(long, default_value = "MANUAL")]
        frequency: String,
        /// The harvester's options, as JSON.
        #[arg(long, default_value = "")]
        config: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it.
    Create {
        user: String,
        /// A name that describes the token.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

/// `datahavn load --batch`' default on SQLite.
const SQLITE_BATCH: u16 = 5000;

/// `datahavn load --jobs`' default: the machine's cores, within the option's 1 to 32.
fn default_jobs() -> u8 {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    u8::try_from(cores.clamp(1, 32)).unwrap_or(32)
}

pub fn run() -> Result<(), String> {
    let cli = Cli::parse();
    crate::logging::init(cli.log_format == "json");
    match cli.command {
        Command::Serve(args) => serve(&cli.store, &args),
        Command::Migrate => migrate(&cli.store),
        Command::User(UserCommand::Add { name, email, fullname, sysadmin }) => {
            let services = services(&cli.store, SiteConfig::default(), false)?;
            let password = read_password()?;
            let mut params =
                json!({"name": name, "email": email, "password": password, "sysadmin": sysadmin});
            if let Some(fullname) = fullname {
                params["fullname"] = Value::String(fullname);
            }
            let user = run_action(&services, "user_create", params)?;
            println!(
                "created user {}{}",
                user["name"].as_str().unwrap_or_default(),
                if sysadmin { " (sysadmin)" } else { "" }
            );
            Ok(())
        }
        Command::User(UserCommand::List) => {
            let services = services(&cli.store, SiteConfig::default(), false)?;
            let users = run_action(&services, "user_list", json!({"limit": 1000, "order_by": "name"}))?;
            for user in users.as_array().into_iter().flatten() {
                println!(
                    "{}\t{}\t{}",
                    user["name"].as_str().unwrap_or_default(),
                    user["email"].as_str().unwrap_or_default(),
                    if user["sysadmin"] == Value::Bool(true) { "sysadmin" } else { "" }
                );
            }
            Ok(())
        }
        Command::Token(TokenCommand::Create { user, name }) => {
            let services = services(&cli.store, SiteConfig::default(), false)?;
            let created = run_action(&services, "api_token_create", json!({"user": user, "name": name}))?;
            println!("{}", created["token"].as_str().unwrap_or_default());
            Ok(())
        }
        Command::SearchIndex(SearchIndexCommand::Rebuild) => {
            let store = open_store(&cli.store, false)?;
            let language = search_language(&cli.store)?;
            let dir = cli.store.search_index_dir();
            let started = std::time::Instant::now();
            let bar = crate::transfer::progress(None, "datasets");
            let report = |done: u64, total: u64| {
                if bar.length() != Some(total) {
                    bar.set_length(total);
                }
                bar.set_position(done);
            };
            let index = datahavn_search::SearchIndex::rebuild(&store, language, &dir, &report).map_err(
                |e| match e {
                    datahavn_search::SearchError::InUse(dir) => format!(
                        "the search index in {} is in use by a running datahavn process; stop it first \
                     (a running server keeps its index current by itself)",
                        dir.display()
                    ),
                    other => other.to_string(),
                },
            )?;
            bar.finish_and_clear();
            println!(
                "indexed {} datasets in {:.1} s into {} (change log position {})",
                index.len(),
                started.elapsed().as_secs_f64(),
                dir.display(),
                index.position()
            );
            Ok(())
        }
        Command::Openapi => {
            let text = datahavn_http::openapi().to_pretty_json().map_err(|e| e.to_string())?;
            println!("{text}");
            Ok(())
        }
        Command::Load { file, create_orgs, site_url, batch, jobs } => {
            let mut site = SiteConfig::default();
            if let Some(url) = site_url {
                site.site_url = url.trim_end_matches('/').to_owned();
            }
            let services = services(&cli.store, site, false)?;
            quiet_actions();
            // SQLite writes one transaction at a time; larger batches change fewer pages per
            // dataset of the indexes keyed by random ids (docs/BENCHMARKS.md).
            let (batch, jobs) = match services.store.url() {
                datahavn_storage::DatabaseUrl::Postgres(_) => (batch.unwrap_or(1000), jobs.into()),
                datahavn_storage::DatabaseUrl::Sqlite(_) => (batch.unwrap_or(SQLITE_BATCH), 1),
            };
            let summary =
                crate::transfer::load(&services, &Actor::Site, &file, create_orgs, batch.into(), jobs)?;
            print!("{}", summary.report());
            match summary.failed() {
                0 => Ok(()),
                failed => Err(format!("{failed} dataset(s) failed")),
            }
        }
        Command::Datastore(DatastoreCommand::Load { resource, file, format }) => {
            let services = services(&cli.store, SiteConfig::default(), false)?;
            quiet_actions();
            let started = std::time::Instant::now();
            let bar = crate::transfer::progress(None, "rows");
            let mut progress = |rows: u64| bar.set_position(rows);
            let hint = format;
            let rows = datahavn_actions::datastore::load_resource_file(
                &services,
                Actor::Site,
                &resource,
                &file,
                hint.as_deref(),
                &mut progress,
            )?;
            bar.finish_and_clear();
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "loaded {rows} rows into {resource} in {seconds:.1} s ({:.0} rows/s)",
                rows as f64 / seconds.max(1e-9)
            );
            Ok(())
        }
        Command::Harvest(command) => harvest(&cli.store, command),
        Command::Check { json } => {
            let store = open_store(&cli.store, false)?;
            let tables = datahavn_datastore::Datastore::open(&cli.store.datastore_url()?, 2)
                .map_err(|e| format!("DataStore: {e}"))?;
            let files = cli.store.file_store()?;
            let report = crate::check::check(&store, &cli.store.search_index_dir(), &files, Some(&tables))?;
            if json {
                println!("{:#}", report.json);
            } else {
                print!("{}", report.text());
            }
            if report.consistent { Ok(()) } else { Err("the catalogue is not consistent".into()) }
        }
        Command::Dump { file, all_states } => {
            let services = services(&cli.store, SiteConfig::default(), false)?;
            quiet_actions();
            let count = crate::transfer::dump(&services, &Actor::Site, &file, all_states)?;
            eprintln!("dumped {count} dataset(s)");
            Ok(())
        }
    }
}

/// Opens the store and checks its schema; an embedded SQLite database is migrated.
fn open_store(args: &StoreArgs, may_migrate: bool) -> Result<Store, String> {
    let url = args.database_url()?;
    let store = Store::open(&url, args.max_connections).map_err(|e| e.to_string())?;
    let migrate = may_migrate || matches!(url, DatabaseUrl::Sqlite(_));
    let applied = store.ensure_schema(migrate).map_err(|e| e.to_string())?;
    if !applied.is_empty() {
        log::info!("applied {} migration(s) to {}", applied.len(), url);
    }
    Ok(store)
}

fn services(args: &StoreArgs, site: SiteConfig, may_migrate: bool) -> Result<Services, String> {
    let store = open_store(args, may_migrate)?;
    let language = search_language(args)?;
    let search =
        std::sync::Arc::new(datahavn_search::SearchHandle::on_disk(language, args.search_index_dir()));
    let tables = datahavn_datastore::Datastore::open(&args.datastore_url()?, args.max_connections)
        .map_err(|e| format!("DataStore: {e}"))?;
    let datastore = datahavn_actions::datastore::DatastoreService::new(tables, args.datastore_settings());
    let files = args.file_store()?;
    let services = Services {
        store,
        search,
        tokens: args.token_signer()?,
        site,
        files,
        datastore: Some(std::sync::Arc::new(datastore)),
        harvest: None,
        cache: None,
    };
    // The site options a sysadmin changed at run time outlast restarts.
    services.load_runtime_options().map_err(|e| format!("cannot read the site options: {e}"))?;
    Ok(services)
}

/// How often a server applies the change log to its search index by itself.
const SEARCH_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// How often the server hands memory it freed back to the system.
const GIVE_BACK_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// A thread that applies the change log to the search index every [`SEARCH_POLL`], and hands
/// freed memory back to the system every [`GIVE_BACK_EVERY`].
struct SearchPoller {
    stop: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl SearchPoller {
    fn start(services: Services) -> Self {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut failing = false;
            let mut given_back = std::time::Instant::now();
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(SEARCH_POLL) {
                if given_back.elapsed() >= GIVE_BACK_EVERY {
                    crate::memory::give_back();
                    given_back = std::time::Instant::now();
                }
                match services.search.catch_up(&services.store) {
                    Ok(()) => failing = false,
                    // Said once per outage, not twice a second.
                    Err(e) if !failing => {
                        log::warn!("search index: cannot follow the change log: {e}");
                        failing = true;
                    }
                    Err(_) => {}
                }
            }
        });
        Self { stop, thread }
    }

    /// Stops the thread and waits for it.
    fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

fn search_language(args: &StoreArgs) -> Result<datahavn_search::Language, String> {
    datahavn_search::Language::parse(&args.search_language)
        .ok_or_else(|| format!("unknown search language {:?}", args.search_language))
}

/// Bulk commands report in their summary, not with a log line per dataset (unless `RUST_LOG`
/// asks for them).
fn quiet_actions() {
    if std::env::var_os("RUST_LOG").is_none() {
        log::set_max_level(log::LevelFilter::Warn);
    }
}

/// Runs an action as the site itself (`Actor::Site`, a sysadmin with no user), as every
/// command does.
fn run_action(services: &Services, name: &str, params: Value) -> Result<Value, String> {
    let Value::Object(map) = params else {
        return Err("parameters must be an object".into());
    };
    datahavn_actions::call(services, Actor::Site, name, &Params::new(map)).map_err(|e| describe(&e))
}

fn describe(error: &ActionError) -> String {
    match error {
        ActionError::Validation(errors) => errors.to_string(),
        ActionError::ValidationDict(dict) => serde_json::Value::Object(dict.clone()).to_string(),
        ActionError::NotFound(reason) => format!("not found: {}", reason.as_deref().unwrap_or("")),
        ActionError::NotAuthorized(reason) => format!("access denied: {}", reason.as_deref().unwrap_or("")),
        ActionError::Integrity(message)
        | ActionError::Internal(message)
        | ActionError::SearchQuery(message) => message.clone(),
        ActionError::Unavailable(cause) => format!("the database is unavailable: {cause}"),
    }
}

fn harvest(store: &StoreArgs, command: HarvestCommand) -> Result<(), String> {
    let services = services(store, SiteConfig::default(), false)?;
    match command {
        HarvestCommand::Run { source, harvest } => {
            quiet_actions();
            let started = std::time::Instant::now();
            let bar = crate::transfer::progress(None, "datasets");
            let mut progress = |tally: &datahavn_harvest::Tally| {
                if let Some(total) = tally.total
                    && bar.length() != Some(total)
                {
                    bar.set_length(total);
                }
                bar.set_position(tally.done());
            };
            let (job_id, tally) =
                datahavn_harvest::run_source(&services, &harvest.settings(), &source, &mut progress)?;
            bar.finish_and_clear();
            let job = run_action(&services, "harvest_job_show", json!({"id": job_id}))?;
            println!(
                "{}: {} in {:.1} s ({})",
                source,
                tally.summary(),
                started.elapsed().as_secs_f64(),
                job["status"].as_str().unwrap_or_default()
            );
            for error in job["gather_error_summary"].as_array().into_iter().flatten() {
                println!(
                    "  gather error × {}: {}",
                    error["error_count"],
                    error["message"].as_str().unwrap_or_default()
                );
            }
            for error in job["object_error_summary"].as_array().into_iter().flatten() {
                println!(
                    "  dataset error × {}: {}",
                    error["error_count"],
                    error["message"].as_str().unwrap_or_default()
                );
            }
            let gather_errors = job["gather_error_summary"].as_array().map_or(0, Vec::len);
            if tally.errored > 0 || gather_errors > 0 || job["status"] != "Finished" {
                return Err(format!("harvest job {job_id} had errors"));
            }
            Ok(())
        }
        HarvestCommand::List => {
            let sources = run_action(
                &services,
                "harvest_source_list",
                json!({"only_active": false, "limit": 100_000}),
            )?;
            for source in sources.as_array().into_iter().flatten() {
                let last = &source["status"]["last_job"];
                let job = if last.is_null() {
                    "never run".to_owned()
                } else {
                    let stats = &last["stats"];
                    format!(
                        "{} {}: added {}, updated {}, unchanged {}, deleted {}, errored {}",
                        last["status"].as_str().unwrap_or_default(),
                        last["finished"].as_str().or(last["created"].as_str()).unwrap_or_default(),
                        stats["added"],
                        stats["updated"],
                        stats["not modified"],
                        stats["deleted"],
                        stats["errored"]
                    )
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{} datasets\t{}",
                    source["name"].as_str().unwrap_or_default(),
                    source["source_type"].as_str().unwrap_or_default(),
                    source["frequency"].as_str().unwrap_or_default(),
                    source["state"].as_str().unwrap_or_default(),
                    source["url"].as_str().unwrap_or_default(),
                    source["status"]["total_datasets"],
                    job
                );
            }
            Ok(())
        }
        HarvestCommand::Show { source } => {
            let shown = run_action(&services, "harvest_source_show", json!({"id": source}))?;
            println!("{}", serde_json::to_string_pretty(&shown).map_err(|e| e.to_string())?);
            Ok(())
        }
        HarvestCommand::Add { name, url, source_type, org, frequency, config } => {
            let created = run_action(
                &services,
                "harvest_source_create",
                json!({"name": name, "url": url, "source_type": source_type, "owner_org": org,
                       "frequency": frequency, "config": config}),
            )?;
            println!(
                "created harvest source {} ({})",
                created["name"].as_str().unwrap_or_default(),
                created["id"].as_str().unwrap_or_default()
            );
            Ok(())
        }
    }
}

fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let second = rpassword::prompt_password("Repeat password: ").map_err(|e| e.to_string())?;
        if first != second {
            return Err("the passwords differ".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

fn migrate(args: &StoreArgs) -> Result<(), String> {
    let url = args.database_url()?;
    let store = Store::open(&url, 1).map_err(|e| e.to_string())?;
    let applied = store.migrate().map_err(|e| e.to_string())?;
    if applied.is_empty() {
        println!("{url}: up to date");
    } else {
        println!("{url}: applied {}", applied.join(", "));
    }
    Ok(())
}

fn serve(store_args: &StoreArgs, args: &ServeArgs) -> Result<(), String> {
    let http = args.http()?;
    let listener =
        TcpListener::bind(&args.bind).map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let mut services = services(store_args, args.site(&bound), args.migrate)?;
    if args.cache_mb > 0 {
        services.cache =
            Some(std::sync::Arc::new(datahavn_actions::cache::ReadCache::new(args.cache_mb << 20)));
    }
    let poll = std::time::Duration::from_millis(args.cache_poll_ms);
    datahavn_actions::cache::follow_changes(&services.store, services.cache.as_ref(), &services.search, poll)
        .map_err(|e| format!("cannot follow the change log: {e}"))?;
    // Jobs left running by a process that stopped are failed; the scheduler keeps doing so.
    let harvest_settings = args.harvest.settings();
    match datahavn_harvest::fail_dead_jobs(&services, harvest_settings.stale_after) {
        Ok(0) => {}
        Ok(failed) => log::warn!("{failed} harvest job(s) whose process stopped marked failed"),
        Err(error) => log::warn!("cannot check harvest jobs: {error}"),
    }
    let harvester = datahavn_harvest::HarvestService::start(
        services.clone(),
        harvest_settings,
        args.harvest.harvest_scheduler_interval > 0,
    )?;
    services.harvest = Some(harvester.clone());
    if let Some(datastore) = &services.datastore {
        datahavn_actions::datastore::LoadJobs::fail_interrupted(&datastore.tables);
    }
    // Build the search index now, so the first search does not wait for it; then follow other
    // processes' writes even while nobody searches (every search catches up first as well).
    services.search.get(&services.store).map_err(|e| e.to_string())?;
    // Building the index freed far more than the server keeps.
    crate::memory::give_back();
    let poller = SearchPoller::start(services.clone());
    // Uploads staged over a day ago belong to no live request (of this or another process).
    match services.files.sweep_staging(std::time::Duration::from_secs(24 * 60 * 60)) {
        Ok(0) => {}
        Ok(removed) => log::info!("removed {removed} unfinished upload(s) from the file store"),
        Err(error) => log::warn!("cannot clear unfinished uploads: {error}"),
    }
    log::info!("resource files in {}", services.files.description());
    log::info!("datahavn {} on {} serving http://{bound}", env!("CARGO_PKG_VERSION"), services.store.url());
    let state = AppState::new(services, http);
    let workers = args.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let served = actix_web::rt::System::new().block_on(async move {
        let server = datahavn_http::serve(listener, state, workers).map_err(|e| e.to_string())?;
        server.await.map_err(|e| e.to_string())
    });
    // No query of the poller may still run while the process exits.
    poller.stop();
    harvester.stop();
    served
}
