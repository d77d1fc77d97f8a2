//! Driving the `datahavn` binary as an operator does: commands on a data directory and a
//! database of the test's own, and servers on a free port.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use datahavn_storage::testing::TestDb;
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_datahavn");

/// Runs `command` to its end with `stdin`, capturing what it prints.
pub fn run_to_end(mut command: Command, stdin: &str) -> Output {
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// A data directory and a database for one test.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub db: TestDb,
}

impl Site {
    /// Nothing set up: no schema on PostgreSQL, no users.
    pub fn bare() -> Self {
        Self { dir: tempfile::tempdir().unwrap(), db: TestDb::new() }
    }

    /// Migrated, with the sysadmin `admin`.
    pub fn with_admin() -> Self {
        let site = Self::bare();
        site.add_admin();
        site
    }

    /// Migrates the database and adds the sysadmin `admin`.
    pub fn add_admin(&self) {
        self.run(&["migrate"], "");
        self.run(
            &["user", "add", "admin", "--email", "admin@example.org", "--sysadmin"],
            "a-long-password\n",
        );
    }

    /// A token of `admin`.
    pub fn admin_token(&self) -> String {
        self.run(&["token", "create", "admin"], "").trim().to_owned()
    }

    /// Migrates a PostgreSQL database (`serve` migrates SQLite by itself).
    pub fn migrate_postgres(&self) {
        if self.db.is_postgres() {
            self.run(&["migrate"], "");
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .env_remove("DATAHAVN_TOKEN_SECRET")
            .env("DATAHAVN_DATA_DIR", self.dir.path())
            .env("DATAHAVN_DATABASE_URL", self.db.url_string())
            .env("RUST_LOG", "info")
            .args(args);
        command
    }

    /// Runs a command to its end, with `stdin`.
    pub fn output(&self, args: &[&str], stdin: &str) -> Output {
        run_to_end(self.command(args), stdin)
    }

    /// Runs a command that must succeed; its standard output.
    pub fn run(&self, args: &[&str], stdin: &str) -> String {
        let output = self.output(args, stdin);
        assert!(
            output.status.success(),
            "{args:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// `datahavn serve` on a free port, its log written to `<data dir>/<log>`.
    pub fn serve(&self, log: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let bind = format!("127.0.0.1:{port}");
        let log = self.dir.path().join(log);
        let child = self
            .command(&["serve", "--bind", &bind])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Server { child: Some(child), base: format!("http://{bind}"), log };
        // Ready when it answers HTTP (the port listens before the server has started).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect(&bind).is_ok()
                && agent().get(format!("{}/api", server.base)).call().is_ok_and(|r| r.status() == 200)
            {
                return server;
            }
            if let Some(status) = server.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("the server exited ({status}):\n{}", server.log());
            }
            assert!(Instant::now() < deadline, "server did not start:\n{}", server.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A running `datahavn serve`; killed (SIGKILL) when dropped.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    log: std::path::PathBuf,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

impl Server {
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = agent().get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", token);
        }
        let mut response = request.call().unwrap();
        let status = response.status().as_u16();
        (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap())
    }

    pub fn post(&self, action: &str, body: &Value, token: &str) -> (u16, Value) {
        let mut response = agent()
            .post(format!("{}/api/3/action/{action}", self.base))
            .header("Authorization", token)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap_or_else(|e| panic!("{action}: {e}; the server's log:\n{}", self.log()));
        let status = response.status().as_u16();
        (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap())
    }

    /// An action that must succeed; its result.
    pub fn call(&self, action: &str, body: &Value, token: &str) -> Value {
        let (_, body) = self.post(action, body, token);
        assert_eq!(body["success"], true, "{action}: {body}");
        body["result"].clone()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }

    /// SIGTERM; whether it exited cleanly, and its whole log.
    pub fn stop(mut self) -> (bool, String) {
        let mut child = self.child.take().unwrap();
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return (status.success(), self.log());
            }
            assert!(Instant::now() < deadline, "server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
