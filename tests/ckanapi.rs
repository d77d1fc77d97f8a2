//! ckanapi, the reference CKAN client, against a running datahavn: runs
//! `tests/ckanapi/test_ckanapi.py` (its library and its command line) and expects it to pass.
//!
//! Python: `DATAHAVN_PYTHON`, else `.venv/bin/python` in the repository. Without ckanapi the test
//! is skipped, unless `DATAHAVN_REQUIRE_CKANAPI=1`, when it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::TestServer;

const INSTALL: &str = "python -m venv .venv && .venv/bin/pip install ckanapi";

/// The Python to run ckanapi with, if one is configured or the repository has a venv.
fn python() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("DATAHAVN_PYTHON").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    venv.exists().then_some(venv)
}

/// Whether `python` can import ckanapi; `Err` says why not.
fn can_import_ckanapi(python: Option<&Path>) -> Result<(), String> {
    let Some(python) = python else {
        return Err("no Python: set DATAHAVN_PYTHON or create .venv in the repository".into());
    };
    let output = Command::new(python)
        .args(["-c", "import ckanapi"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last_line = stderr.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or_default();
        Err(format!("{} cannot import ckanapi: {}", python.display(), last_line.trim()))
    }
}

#[test]
fn ckanapi_library_and_cli_work_against_datahavn() {
    let python = python();
    if let Err(reason) = can_import_ckanapi(python.as_deref()) {
        if std::env::var("DATAHAVN_REQUIRE_CKANAPI").as_deref() == Ok("1") {
            panic!(
                "DATAHAVN_REQUIRE_CKANAPI=1 but ckanapi is not available ({reason}).\n\
                 Install it: {INSTALL} (pinned: .venv/bin/pip install -r tests/ckanapi/requirements.txt),\n\
                 or point DATAHAVN_PYTHON at a Python that has it."
            );
        }
        eprintln!("skipped: ckanapi not installed ({INSTALL}); {reason}");
        return;
    }
    let python = python.expect("checked above");

    let server = TestServer::start();
    let (_, token) = server.user_with_token("admin", true);
    // The organization the dataset tests load into (made in storage: independent of the
    // organization actions).
    server.org("ckanapi-org", &[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ckanapi/test_ckanapi.py");
    // The server runs on its own threads; blocking here while Python talks to it is fine.
    let output = Command::new(&python)
        .arg(&script)
        .env("DATAHAVN_URL", &server.base)
        .env("DATAHAVN_SYSADMIN_TOKEN", &token)
        .env("DATAHAVN_ORG", "ckanapi-org")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .env_remove("CKAN_INI")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} {} failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        python.display(),
        script.display(),
        output.status
    );
    // unittest reports on stderr; shown with `--nocapture`.
    eprintln!("{stderr}");
}
