//! The search index across processes: two `datahavn serve` on one database see each other's
//! writes; a process killed right after a write finds it again when it restarts; the index kept
//! on disk is reused by the next process, never for another database nor when an earlier
//! version wrote it, and rebuilt by hand only while no server keeps it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use datahavn_storage::testing::TestDb;
use serde_json::json;

mod binary;

use binary::{Server, Site};

/// `datahavn load` of one dataset, read from stdin, in a process of its own; what it logged.
fn load(site: &Site, dataset: &serde_json::Value, flags: &[&str]) -> String {
    let args: Vec<&str> = ["load", "-"].into_iter().chain(flags.iter().copied()).collect();
    let output = site.output(&args, &format!("{dataset}\n"));
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{log}");
    log
}

/// How many datasets a search finds.
fn count(server: &Server, q: &str, token: &str) -> u64 {
    server.call("package_search", &json!({"q": q, "rows": 0}), token)["count"].as_u64().unwrap()
}

#[test]
fn a_write_on_one_process_is_found_by_a_search_on_another_within_a_second() {
    let site = Site::with_admin();
    let token = site.admin_token();
    let a = site.serve("a.log");
    let b = site.serve("b.log");
    a.call("organization_create", &json!({"name": "odense"}), &token);
    // Both have built their index before the write.
    assert_eq!(count(&b, "name:harbour-sensors", &token), 0);
    assert_eq!(count(&a, "name:harbour-sensors", &token), 0);
    a.call(
        "package_create",
        &json!({"name": "harbour-sensors", "owner_org": "odense", "notes": "tide gauges"}),
        &token,
    );
    // Read-your-writes on the writer, at once; the other process within a second.
    assert_eq!(count(&a, "name:harbour-sensors", &token), 1);
    within_a_second("the write", || count(&b, "tide", &token) == 1);
    // Deletes travel the same way.
    b.call("package_delete", &json!({"id": "harbour-sensors"}), &token);
    assert_eq!(count(&b, "tide", &token), 0);
    within_a_second("the delete", || count(&a, "tide", &token) == 0);
}

/// Fails unless `seen` holds within a second (the other process reads the change log every
/// `--cache-poll-ms`).
fn within_a_second(what: &str, seen: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(1);
    while !seen() {
        assert!(Instant::now() < deadline, "the other process did not see {what} within a second");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A site whose server wrote one dataset (`bike-counts` of `odense`), found it, and was then
/// killed (SIGKILL: no shutdown, nothing flushed); with the admin's token.
fn site_with_one_dataset() -> (Site, String) {
    let site = Site::with_admin();
    let token = site.admin_token();
    let server = site.serve("first.log");
    server.call("organization_create", &json!({"name": "odense"}), &token);
    server.call("package_create", &json!({"name": "bike-counts", "owner_org": "odense"}), &token);
    assert_eq!(count(&server, "name:bike-counts", &token), 1);
    assert!(server.log().contains("datasets indexed in"), "a new site builds its index");
    drop(server);
    (site, token)
}

#[test]
fn a_process_killed_after_a_write_finds_it_after_restart() {
    let (site, token) = site_with_one_dataset();
    // A write while no server runs at all (the CLI goes through the same actions).
    load(&site, &json!({"name": "parking-spaces", "owner_org": "odense", "title": "Parking spaces"}), &[]);
    let restarted = site.serve("restarted.log");
    assert_eq!(count(&restarted, "name:bike-counts", &token), 1);
    assert_eq!(count(&restarted, "parking", &token), 1);
    let status = restarted.call("status_show", &json!({}), &token);
    assert_eq!(status["search_index"]["position"], status["search_index"]["database_position"]);
}

#[test]
fn the_index_kept_on_disk_is_reused_and_caught_up_after_a_kill() {
    let (site, token) = site_with_one_dataset();
    assert!(site.dir.path().join("search-index").join("meta.json").exists(), "the index is on disk");
    // Written while no server runs: the next one must catch up from the change log.
    load(&site, &json!({"name": "parking-spaces", "owner_org": "odense"}), &[]);

    let restarted = site.serve("second.log");
    assert_eq!(count(&restarted, "name:bike-counts", &token), 1);
    assert_eq!(count(&restarted, "name:parking-spaces", &token), 1);
    let log = restarted.log();
    assert!(log.contains("datasets kept in"), "the index on disk is reused: {log}");
    assert!(!log.contains("datasets indexed in"), "the index on disk is not rebuilt: {log}");
    // The newest-first list beside the reopened index: the datasets it held and the one it
    // caught up with.
    let listed = restarted.call("current_package_list_with_resources", &json!({}), &token);
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["parking-spaces", "bike-counts"]);
    let status = restarted.call("status_show", &json!({}), &token);
    assert_eq!(status["search_index"]["position"], status["search_index"]["database_position"]);
}

/// The change-log position the index kept on disk records.
fn kept_position(site: &Site) -> i64 {
    let meta = std::fs::read_to_string(site.dir.path().join("search-index").join("meta.json")).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
    let payload: serde_json::Value = serde_json::from_str(meta["payload"].as_str().unwrap()).unwrap();
    payload["position"].as_i64().unwrap()
}

#[test]
fn a_server_follows_other_processes_writes_while_nobody_asks() {
    let site = Site::with_admin();
    let token = site.admin_token();
    let server = site.serve("serve.log");
    server.call("organization_create", &json!({"name": "odense"}), &token);
    let before = kept_position(&site);
    // Another process writes; nothing is asked of the server afterwards.
    load(&site, &json!({"name": "parking-spaces", "owner_org": "odense"}), &[]);
    let deadline = Instant::now() + Duration::from_secs(2);
    while kept_position(&site) == before {
        assert!(Instant::now() < deadline, "the server did not apply the change log by itself");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(count(&server, "name:parking-spaces", &token), 1);
}

/// An index an earlier version wrote (another format) is rebuilt at start, not read as if it
/// held what this version's documents hold; search pages are then the datasets' dicts.
#[test]
fn an_index_of_an_earlier_format_is_rebuilt_at_start() {
    let (site, token) = site_with_one_dataset();
    // The kept index as the previous format recorded itself.
    let meta_path = site.dir.path().join("search-index").join("meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    let mut payload: serde_json::Value = serde_json::from_str(meta["payload"].as_str().unwrap()).unwrap();
    payload["format"] = json!(2);
    meta["payload"] = json!(payload.to_string());
    std::fs::write(&meta_path, meta.to_string()).unwrap();

    let restarted = site.serve("second.log");
    let found = restarted.call("package_search", &json!({"q": "name:bike-counts"}), &token);
    let log = restarted.log();
    assert!(log.contains("it was written by another version"), "{log}");
    assert!(log.contains("datasets indexed in"), "the index is rebuilt: {log}");
    // Twice: from the index's store, then with the dataset in the read cache.
    let shown = restarted.call("package_show", &json!({"id": "bike-counts"}), &token);
    let again = restarted.call("package_search", &json!({"q": "name:bike-counts"}), &token);
    for found in [found, again] {
        assert_eq!(found["count"], 1);
        assert_eq!(found["results"][0], shown);
    }
}

#[test]
fn an_index_is_never_reused_for_another_database() {
    let mut site = Site::with_admin();
    let token = site.admin_token();
    let server = site.serve("serve.log");
    server.call("organization_create", &json!({"name": "odense"}), &token);
    server.call("package_create", &json!({"name": "bike-counts", "owner_org": "odense"}), &token);
    drop(server);
    // Same data directory (and index), another database.
    site.db = TestDb::new();
    site.add_admin();
    let token = site.admin_token();
    let server = site.serve("other.log");
    assert_eq!(count(&server, "name:bike-counts", &token), 0, "a dataset of the other database");
    let log = server.log();
    assert!(log.contains("it follows another database"), "{log}");
}

#[test]
fn rebuild_waits_for_no_server_and_its_index_is_what_serve_uses() {
    let site = Site::with_admin();
    let token = site.admin_token();
    let server = site.serve("serve.log");
    server.call("organization_create", &json!({"name": "odense"}), &token);
    server.call("package_create", &json!({"name": "bike-counts", "owner_org": "odense"}), &token);
    assert_eq!(count(&server, "name:bike-counts", &token), 1);
    // A load beside the server never needs the search index (it would build one in memory).
    let log = load(&site, &json!({"name": "parking-spaces", "owner_org": "aarhus"}), &["--create-orgs"]);
    assert!(!log.contains("search index"), "load touched the search index: {log}");
    // Another process's write reaches the server's index within a second (its change-log poll).
    let deadline = Instant::now() + Duration::from_secs(1);
    while count(&server, "name:parking-spaces", &token) == 0 {
        assert!(Instant::now() < deadline, "the server's index did not follow the load");
        std::thread::sleep(Duration::from_millis(20));
    }
    let refused = site.output(&["search-index", "rebuild"], "");
    assert!(!refused.status.success(), "rebuild beside a running server");
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("in use by a running datahavn process"), "{message}");
    drop(server);

    let rebuilt = site.run(&["search-index", "rebuild"], "");
    assert!(rebuilt.starts_with("indexed 2 datasets in "), "{rebuilt}");
    let server = site.serve("after-rebuild.log");
    assert_eq!(count(&server, "name:bike-counts", &token), 1);
    let log = server.log();
    assert!(log.contains("datasets kept in"), "serve uses the rebuilt index: {log}");
}
