//! The search index across processes: two `datahavn serve` on one database see each other's
//! writes; a process killed right after a write finds it again when it restarts; the index kept
//! on disk is reused by the next process, never for another database, and rebuilt by hand only
//! while no server keeps it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use datahavn_storage::testing::TestDb;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_datahavn");

struct Site {
    dir: tempfile::TempDir,
    db: TestDb,
}

impl Site {
    fn new() -> Self {
        let site = Self { dir: tempfile::tempdir().unwrap(), db: TestDb::new() };
        site.setup();
        site
    }

    /// Migrates the database and adds the sysadmin `admin`.
    fn setup(&self) {
        let site = self;
        site.run(&["migrate"], "");
        site.run(
            &["user", "add", "admin", "--email", "admin@example.org", "--sysadmin"],
            "a-long-password\n",
        );
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .env_remove("DATAHAVN_TOKEN_SECRET")
            .env("DATAHAVN_DATA_DIR", self.dir.path())
            .env("DATAHAVN_DATABASE_URL", self.db.url_string())
            .env("RUST_LOG", "warn")
            .args(args);
        command
    }

    fn run(&self, args: &[&str], stdin: &str) -> String {
        let output = self.output(args, stdin);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    fn output(&self, args: &[&str], stdin: &str) -> std::process::Output {
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

    fn token(&self) -> String {
        self.run(&["token", "create", "admin"], "").trim().to_owned()
    }

    fn serve(&self) -> Server {
        self.serve_logging(Stdio::null())
    }

    /// A server whose log (at `info`) goes to `log`.
    fn serve_logging(&self, log: impl Into<Stdio>) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let bind = format!("127.0.0.1:{port}");
        let child = self
            .command(&["serve", "--bind", &bind])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(&bind).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, base: format!("http://{bind}") }
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn call(&self, action: &str, body: &Value, token: &str) -> Value {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut response = agent
            .post(format!("{}/api/3/action/{action}", self.base))
            .header("Authorization", token)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap();
        let body: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!(body["success"], true, "{action}: {body}");
        body["result"].clone()
    }

    fn count(&self, q: &str, token: &str) -> u64 {
        self.call("package_search", &json!({"q": q, "rows": 0}), token)["count"].as_u64().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_write_on_one_process_is_found_by_a_search_on_another_within_a_second() {
    let site = Site::new();
    let token = site.token();
    let a = site.serve();
    let b = site.serve();
    a.call("organization_create", &json!({"name": "odense"}), &token);
    // Both have built their index before the write.
    assert_eq!(b.count("name:harbour-sensors", &token), 0);
    assert_eq!(a.count("name:harbour-sensors", &token), 0);
    a.call(
        "package_create",
        &json!({"name": "harbour-sensors", "owner_org": "odense", "notes": "tide gauges"}),
        &token,
    );
    // Read-your-writes on the writer, at once.
    assert_eq!(a.count("name:harbour-sensors", &token), 1);
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        if b.count("tide", &token) == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the other process did not find the write within a second");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Deletes travel the same way.
    b.call("package_delete", &json!({"id": "harbour-sensors"}), &token);
    assert_eq!(b.count("tide", &token), 0);
    assert_eq!(a.count("tide", &token), 0);
}

#[test]
fn a_process_killed_after_a_write_finds_it_after_restart() {
    let site = Site::new();
    let token = site.token();
    let server = site.serve();
    server.call("organization_create", &json!({"name": "odense"}), &token);
    server.call("package_create", &json!({"name": "bike-counts", "owner_org": "odense"}), &token);
    drop(server); // SIGKILL: no shutdown, nothing flushed.
    // A write while no server runs at all (the CLI goes through the same actions).
    let line =
        json!({"name": "parking-spaces", "owner_org": "odense", "title": "Parking spaces"}).to_string();
    let file = site.dir.path().join("one.jsonl");
    std::fs::write(&file, format!("{line}\n")).unwrap();
    site.run(&["load", file.to_str().unwrap()], "");
    let restarted = site.serve();
    assert_eq!(restarted.count("name:bike-counts", &token), 1);
    assert_eq!(restarted.count("parking", &token), 1);
    let status = restarted.call("status_show", &json!({}), &token);
    assert_eq!(status["search_index"]["position"], status["search_index"]["database_position"]);
}

/// A server whose log is read back: it is written to a file in the site's directory.
fn serve_and_log(site: &Site, name: &str) -> (Server, std::path::PathBuf) {
    let path = site.dir.path().join(name);
    let server = site.serve_logging(std::fs::File::create(&path).unwrap());
    (server, path)
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_index_kept_on_disk_is_reused_and_caught_up_after_a_kill() {
    let site = Site::new();
    let token = site.token();
    let (server, first_log) = serve_and_log(&site, "first.log");
    server.call("organization_create", &json!({"name": "odense"}), &token);
    server.call("package_create", &json!({"name": "bike-counts", "owner_org": "odense"}), &token);
    assert_eq!(server.count("name:bike-counts", &token), 1);
    drop(server); // SIGKILL
    assert!(read(&first_log).contains("datasets indexed in"), "a new site builds its index");
    assert!(site.dir.path().join("search-index").join("meta.json").exists(), "the index is on disk");
    // Written while no server runs: the next one must catch up from the change log.
    let line = json!({"name": "parking-spaces", "owner_org": "odense"}).to_string();
    let file = site.dir.path().join("one.jsonl");
    std::fs::write(&file, format!("{line}\n")).unwrap();
    site.run(&["load", file.to_str().unwrap()], "");

    let (restarted, second_log) = serve_and_log(&site, "second.log");
    assert_eq!(restarted.count("name:bike-counts", &token), 1);
    assert_eq!(restarted.count("name:parking-spaces", &token), 1);
    let log = read(&second_log);
    assert!(log.contains("datasets kept in"), "the index on disk is reused: {log}");
    assert!(!log.contains("datasets indexed in"), "the index on disk is not rebuilt: {log}");
    let status = restarted.call("status_show", &json!({}), &token);
    assert_eq!(status["search_index"]["position"], status["search_index"]["database_position"]);
}

#[test]
fn an_index_is_never_reused_for_another_database() {
    let mut site = Site::new();
    let token = site.token();
    let server = site.serve();
    server.call("organization_create", &json!({"name": "odense"}), &token);
    server.call("package_create", &json!({"name": "bike-counts", "owner_org": "odense"}), &token);
    drop(server);
    // Same data directory (and index), another database.
    site.db = TestDb::new();
    site.setup();
    let token = site.token();
    let (server, log) = serve_and_log(&site, "other.log");
    assert_eq!(server.count("name:bike-counts", &token), 0, "a dataset of the other database");
    let log = read(&log);
    assert!(log.contains("it follows another database"), "{log}");
}

#[test]
fn rebuild_waits_for_no_server_and_its_index_is_what_serve_uses() {
    let site = Site::new();
    let token = site.token();
    let server = site.serve();
    server.call("organization_create", &json!({"name": "odense"}), &token);
    server.call("package_create", &json!({"name": "bike-counts", "owner_org": "odense"}), &token);
    assert_eq!(server.count("name:bike-counts", &token), 1);
    let refused = site.output(&["search-index", "rebuild"], "");
    assert!(!refused.status.success(), "rebuild beside a running server");
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("in use by a running datahavn process"), "{message}");
    drop(server);

    let rebuilt = site.run(&["search-index", "rebuild"], "");
    assert!(rebuilt.starts_with("indexed 1 datasets in "), "{rebuilt}");
    let (server, log) = serve_and_log(&site, "after-rebuild.log");
    assert_eq!(server.count("name:bike-counts", &token), 1);
    let log = read(&log);
    assert!(log.contains("datasets kept in"), "serve uses the rebuilt index: {log}");
}
