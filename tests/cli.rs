//! The `datahavn` binary as an operator uses it: users and tokens from the CLI, the server on
//! a port, start-up errors, graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use datahavn_storage::testing::TestDb;

mod binary;

use binary::{BIN, Site};

#[test]
fn cli_user_and_token_then_curl_shows_own_email_until_revoked() {
    let site = Site::bare();
    site.migrate_postgres();
    let out = site.run(&["user", "add", "jane", "--email", "jane@example.org"], "a-long-password\n");
    assert!(out.contains("created user jane"), "{out}");
    let token = site.run(&["token", "create", "jane", "--name", "laptop"], "").trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "not a JWT: {token}");
    let listed = site.run(&["user", "list"], "");
    assert!(listed.contains("jane\tjane@example.org"), "{listed}");

    let server = site.serve("serve.log");
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
    let site = Site::bare();
    site.migrate_postgres();
    site.run(&["user", "add", "jane", "--email", "jane@example.org"], "a-long-password\n");
    let first = site.run(&["token", "create", "jane"], "");
    let path = site.dir.path().join("token_secret");
    let secret = std::fs::read_to_string(&path).unwrap();
    assert!(secret.len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    site.run(&["token", "create", "jane"], "");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), secret, "the secret changed");
    // A token made with the stored secret works in a server started later.
    let server = site.serve("serve.log");
    let (_, body) = server.get("/api/3/action/user_show?id=jane", Some(first.trim()));
    assert_eq!(body["result"]["email"], "jane@example.org");
    let (_, log) = server.stop();
    assert!(!log.contains(secret.trim()), "the log shows the secret");
}

#[test]
fn user_add_reports_validation_errors_and_changes_nothing() {
    let site = Site::bare();
    site.migrate_postgres();
    let output = site.output(&["user", "add", "Bad Name", "--email", "nope"], "short\n");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Must be purely lowercase alphanumeric"), "{stderr}");
    assert!(stderr.contains("Email nope is not a valid format"), "{stderr}");
    assert!(stderr.contains("Your password must be 8 characters or longer"), "{stderr}");
    assert_eq!(site.run(&["user", "list"], "").trim(), "");
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
    let site = Site::bare();
    site.run(&["migrate"], "");
    mark_newer(&site.db);
    let output = site.output(&["user", "list"], "");
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
