//! The `datahavn` binary as an operator uses it: users and tokens from the CLI, the server on
//! a port, start-up errors, graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use datahavn_storage::testing::TestDb;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_datahavn");

/// A data directory and database for one test.
struct Site {
    dir: tempfile::TempDir,
    db: TestDb,
}

impl Site {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap(), db: TestDb::new() }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .env_remove("DATAHAVN_TOKEN_SECRET")
            .env("DATAHAVN_DATA_DIR", self.dir.path())
            .env("DATAHAVN_DATABASE_URL", self.db.url_string())
            .env("RUST_LOG", "info")
            .args(args);
        command
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn run_ok(&self, args: &[&str], stdin: &str) -> String {
        let output = self.run(args, stdin);
        assert!(
            output.status.success(),
            "{args:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn prepare(&self) {
        if self.db.is_postgres() {
            self.run_ok(&["migrate"], "");
        }
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(site: &Site) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let bind = format!("127.0.0.1:{port}");
        let child = site
            .command(&["serve", "--bind", &bind])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&bind).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, base: format!("http://{bind}") }
    }

    fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut request = agent.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", token);
        }
        let mut response = request.call().unwrap();
        let status = response.status().as_u16();
        (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap())
    }

    fn post(&self, action: &str, body: &Value, token: &str) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut response = agent
            .post(format!("{}/api/3/action/{action}", self.base))
            .header("Authorization", token)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap();
        let status = response.status().as_u16();
        (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap())
    }

    /// SIGTERM, then the whole log.
    fn stop(mut self) -> (bool, String) {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let output = self.child.wait_with_output().unwrap();
                let log = String::from_utf8_lossy(&output.stderr).into_owned();
                return (status.success(), log);
            }
            assert!(Instant::now() < deadline, "server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn cli_user_and_token_then_curl_shows_own_email_until_revoked() {
    let site = Site::new();
    site.prepare();
    let out = site.run_ok(&["user", "add", "jane", "--email", "jane@example.org"], "a-long-password\n");
    assert!(out.contains("created user jane"), "{out}");
    let token = site.run_ok(&["token", "create", "jane", "--name", "laptop"], "").trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "not a JWT: {token}");
    let listed = site.run_ok(&["user", "list"], "");
    assert!(listed.contains("jane\tjane@example.org"), "{listed}");

    let server = Server::start(&site);
    let (status, body) = server.get("/api/3/action/user_show?id=jane", Some(&token));
    assert_eq!(status, 200);
    assert_eq!(body["result"]["email"], "jane@example.org");
    let (_, body) = server.get("/api/3/action/user_show?id=jane", None);
    assert!(body["result"].get("email").is_none());

    let (status, _) = server.post("api_token_revoke", &serde_json::json!({"token": token}), &token);
    assert_eq!(status, 200);
    let (status, body) = server.get("/api/3/action/user_show?id=jane", Some(&token));
    assert_eq!(status, 200);
    assert!(body["result"].get("email").is_none(), "a revoked token must act as anonymous");

    let (stopped_cleanly, log) = server.stop();
    assert!(stopped_cleanly, "{log}");
    assert!(!log.contains(&token), "the log shows a token");
    assert!(!log.contains("a-long-password"));
}

#[test]
fn the_token_secret_is_generated_once_and_kept_private() {
    let site = Site::new();
    site.prepare();
    site.run_ok(&["user", "add", "jane", "--email", "jane@example.org"], "a-long-password\n");
    let first = site.run_ok(&["token", "create", "jane"], "");
    let path = site.dir.path().join("token_secret");
    let secret = std::fs::read_to_string(&path).unwrap();
    assert!(secret.len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    site.run_ok(&["token", "create", "jane"], "");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), secret, "the secret changed");
    // A token made with the stored secret works in a server started later.
    let server = Server::start(&site);
    let (_, body) = server.get("/api/3/action/user_show?id=jane", Some(first.trim()));
    assert_eq!(body["result"]["email"], "jane@example.org");
    let (_, log) = server.stop();
    assert!(!log.contains(secret.trim()), "the log shows the secret");
}

#[test]
fn user_add_reports_validation_errors_and_changes_nothing() {
    let site = Site::new();
    site.prepare();
    let output = site.run(&["user", "add", "Bad Name", "--email", "nope"], "short\n");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Must be purely lowercase alphanumeric"), "{stderr}");
    assert!(stderr.contains("Email nope is not a valid format"), "{stderr}");
    assert!(stderr.contains("Your password must be 8 characters or longer"), "{stderr}");
    assert_eq!(site.run_ok(&["user", "list"], "").trim(), "");
}

fn run_with_url(url: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(BIN)
        .env("DATAHAVN_DATA_DIR", dir.path())
        .env("DATAHAVN_DATABASE_URL", url)
        .args(args)
        .output()
        .unwrap()
}

fn assert_fails_with(output: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn unknown_database_schemes_are_refused_without_creating_files() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.db");
    let output = run_with_url(&format!("sqlite:{}", typo.display()), &["serve", "--bind", "127.0.0.1:0"]);
    assert_fails_with(&output, "unsupported database URL scheme");
    assert!(!typo.exists());
    assert_fails_with(
        &run_with_url("mysql://root@localhost/x", &["migrate"]),
        "unsupported database URL scheme",
    );
}

#[test]
fn an_unreachable_database_is_a_clear_error() {
    let output =
        run_with_url("postgres://app:hunter22@127.0.0.1:1/datahavn", &["serve", "--bind", "127.0.0.1:0"]);
    assert_fails_with(&output, "cannot connect to postgres://app:***@127.0.0.1:1/datahavn");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("hunter22"));
}

#[test]
fn a_database_from_a_newer_binary_is_refused() {
    let site = Site::new();
    site.run_ok(&["migrate"], "");
    mark_newer(&site.db);
    let output = site.run(&["user", "list"], "");
    assert_fails_with(&output, "run a newer datahavn");
}

fn mark_newer(db: &TestDb) {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, PgConnection, SqliteConnection};
    let sql = "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000')";
    let url = db.url_string();
    if db.is_postgres() {
        PgConnection::establish(&url).unwrap().batch_execute(sql).unwrap();
    } else {
        let path = url.strip_prefix("sqlite://").unwrap();
        assert!(Path::new(path).exists());
        SqliteConnection::establish(path).unwrap().batch_execute(sql).unwrap();
    }
}

#[test]
fn serve_on_an_unmigrated_postgres_asks_for_migrate() {
    let db = TestDb::new();
    if !db.is_postgres() {
        // SQLite is migrated by `serve` itself; covered by the first test.
        return;
    }
    let output = run_with_url(&db.url_string(), &["serve", "--bind", "127.0.0.1:0"]);
    assert_fails_with(&output, "run `datahavn migrate` first");
}
