//! Harvesting over real HTTP on loopback: a datahavn filled with the real portal records
//! harvested into an empty one and the catalogues compared; re-runs after changes, deletions and
//! a renamed organization at the source; remotes that hang, drop the connection, answer 500,
//! HTML or malformed JSON, or send a dataset that fails validation (a tiny scripted HTTP server);
//! every harvest action's permissions and validation errors; the CKAN harvester's call sequence
//! (ckanext-harvest's CKAN harvester against datahavn) replayed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod records;
mod world;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Options, TestServer};
use serde_json::{Value, json};
use world::{Persona, World};

fn settings() -> datahavn_harvest::Settings {
    datahavn_harvest::Settings {
        request_timeout: Duration::from_secs(2),
        job_timeout: Duration::from_secs(120),
        page_size: 50,
        keep_jobs: 3,
        ..Default::default()
    }
}

/// An empty datahavn with the organization `harvested`; returns it with a sysadmin token.
fn target() -> (TestServer, String) {
    let server = TestServer::start_with(Options { harvest: Some(settings()), ..Options::default() });
    let (_, token) = server.user_with_token("admin", true);
    server.org("harvested", &[]);
    (server, token)
}

fn add_source(server: &TestServer, token: &str, name: &str, url: &str, config: Value) -> Value {
    server
        .action(
            "harvest_source_create",
            json!({"name": name, "url": url, "source_type": "ckan", "owner_org": "harvested",
                   "config": config.to_string()}),
            Some(token),
        )
        .result()
}

/// Runs a job for the source on this thread, as `datahavn harvest run` does.
fn run(server: &TestServer, source: &str) -> (String, datahavn_harvest::Tally) {
    datahavn_harvest::run_source(&server.services, &settings(), source, &mut |_| {}).expect("job ran")
}

fn job(server: &TestServer, token: &str, id: &str) -> Value {
    server.action("harvest_job_show", json!({"id": id}), Some(token)).result()
}

/// Every dataset anonymous callers find, by `package_search` paged by `id asc`.
fn public_datasets(server: &TestServer, token: Option<&str>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let page = server
            .action("package_search", json!({"rows": 100, "start": start, "sort": "id asc"}), token)
            .result();
        let results = page["results"].as_array().unwrap().clone();
        if results.is_empty() {
            return out;
        }
        start += results.len();
        out.extend(results);
    }
}

/// What must survive a harvest: everything but the keys each site computes for itself.
fn comparable(dataset: &Value) -> Value {
    let mut d = dataset.as_object().unwrap().clone();
    for key in [
        "metadata_created",
        "metadata_modified",
        "creator_user_id",
        "organization",
        "tags",
        "groups",
        "resources",
    ] {
        d.remove(key);
    }
    let names = |key: &str| -> Vec<String> {
        let mut names: Vec<String> = dataset[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v["name"].as_str().unwrap_or_default().to_owned())
            .collect();
        names.sort();
        names
    };
    d.insert("tags".into(), json!(names("tags")));
    d.insert("groups".into(), json!(names("groups")));
    d.insert("organization".into(), dataset["organization"]["id"].clone());
    let resources: Vec<Value> = dataset["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let mut r = r.as_object().unwrap().clone();
            for key in ["created", "metadata_modified", "url_type", "datastore_active"] {
                r.remove(key);
            }
            Value::Object(r)
        })
        .collect();
    d.insert("resources".into(), Value::Array(resources));
    Value::Object(d)
}

fn by_id(datasets: &[Value]) -> BTreeMap<String, Value> {
    datasets.iter().map(|d| (d["id"].as_str().unwrap().to_owned(), comparable(d))).collect()
}

/// The two catalogues hold the same datasets, field by field.
fn assert_same(local: &BTreeMap<String, Value>, remote: &BTreeMap<String, Value>) {
    assert_eq!(local.keys().collect::<Vec<_>>(), remote.keys().collect::<Vec<_>>());
    let mut differences = Vec::new();
    for (id, theirs) in remote {
        let ours = &local[id];
        let keys: BTreeSet<&String> =
            theirs.as_object().unwrap().keys().chain(ours.as_object().unwrap().keys()).collect();
        for key in keys {
            if ours.get(key) != theirs.get(key) {
                differences.push(format!("{id} {key}: {:?} != {:?}", ours.get(key), theirs.get(key)));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences
            .iter()
            .take(15)
            .map(|d| d.chars().take(600).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn organization_ids(server: &TestServer) -> BTreeSet<String> {
    server
        .as_site("organization_list", json!({"all_fields": true, "limit": 1000}))
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_datahavn_harvested_into_an_empty_one_matches_and_reruns_touch_only_changes() {
    let source = records::server();
    let (_, source_token) = source.user_with_token("sourceadmin", true);
    records::load(&source, &source_token);
    let remote = public_datasets(&source, None);
    assert!(remote.len() > 150, "the portal records loaded: {}", remote.len());

    let (target, token) = target();
    add_source(
        &target,
        &token,
        "portal",
        &source.base,
        json!({"remote_orgs": "create", "remote_groups": "create"}),
    );
    let (job_id, tally) = run(&target, "portal");
    assert_eq!(tally.errored, 0, "{:#}", job(&target, &token, &job_id));
    assert_eq!(tally.added as usize, remote.len());
    let shown = job(&target, &token, &job_id);
    assert_eq!(shown["status"], "Finished");
    assert_eq!(shown["stats"]["added"], remote.len());
    assert_eq!(shown["gather_error_summary"], json!([]));

    // Same datasets, same ids (the remote ones were free), same resources with the same ids.
    let local = public_datasets(&target, None);
    assert_same(&by_id(&local), &by_id(&remote));
    let status = target.action("harvest_source_show_status", json!({"id": "portal"}), None).result();
    assert_eq!(status["total_datasets"], remote.len());
    assert_eq!(status["job_count"], 1);
    let object = target.action("harvest_object_show", json!({"dataset_id": remote[0]["id"]}), None).result();
    assert_eq!(object["guid"], remote[0]["id"]);
    assert_eq!(object["report_status"], "added");
    assert_eq!(object["current"], true);

    // Nothing changed: every dataset is seen unchanged, nothing is written.
    let (_, tally) = run(&target, "portal");
    assert_eq!((tally.added, tally.updated, tally.deleted, tally.errored), (0, 0, 0, 0));
    assert_eq!(tally.unchanged as usize, remote.len());

    // Changes at the source: one edited, one deleted, one added, an organization renamed.
    let edited = remote[1]["id"].as_str().unwrap().to_owned();
    let deleted = remote[2]["id"].as_str().unwrap().to_owned();
    source
        .action("package_patch", json!({"id": edited, "notes": "edited at the source"}), Some(&source_token))
        .result();
    source.action("package_delete", json!({"id": deleted}), Some(&source_token)).result();
    let org = remote[3]["organization"]["id"].as_str().unwrap().to_owned();
    source
        .action(
            "organization_patch",
            json!({"id": org, "name": "renamed-at-the-source"}),
            Some(&source_token),
        )
        .result();
    let added = source
        .action(
            "package_create",
            json!({"name": "new-at-the-source", "owner_org": org,
                   "resources": [{"url": "http://example.org/new.csv", "name": "new"}]}),
            Some(&source_token),
        )
        .result();
    let orgs_before = organization_ids(&target);
    let (_, tally) = run(&target, "portal");
    assert_eq!((tally.added, tally.deleted, tally.errored), (1, 1, 0), "{tally:?}");
    assert!(tally.updated >= 1, "{tally:?}");

    let remote = public_datasets(&source, None);
    let local = public_datasets(&target, None);
    assert_eq!(local.len(), remote.len(), "no duplicates");
    let local_ids: BTreeSet<&str> = local.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert!(!local_ids.contains(deleted.as_str()));
    let edited_local = target.action("package_show", json!({"id": edited}), None).result();
    assert_eq!(edited_local["notes"], "edited at the source");
    let added_local = target.action("package_show", json!({"id": added["id"]}), None).result();
    assert_eq!(added_local["resources"][0]["id"], added["resources"][0]["id"]);
    assert_eq!(added_local["owner_org"], org, "the renamed organization is the same one");
    assert_eq!(organization_ids(&target), orgs_before, "no second organization");
    let deleted_local = target.action("package_show", json!({"id": deleted}), Some(&token)).result();
    assert_eq!(deleted_local["state"], "deleted");
    // Resources kept their ids through the re-harvests.
    let remote_resources: BTreeSet<String> = remote
        .iter()
        .flat_map(|d| d["resources"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()))
        .collect();
    let local_resources: BTreeSet<String> = local
        .iter()
        .flat_map(|d| d["resources"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(local_resources, remote_resources);

    // A dataset deleted at the source and back again revives the same local dataset.
    source.action("package_patch", json!({"id": deleted, "state": "active"}), Some(&source_token)).result();
    let (_, tally) = run(&target, "portal");
    assert_eq!((tally.added, tally.updated, tally.errored), (0, 1, 0), "{tally:?}");
    assert_eq!(target.action("package_show", json!({"id": deleted}), None).result()["state"], "active");

    // Job history is bounded by keep_jobs; the map from remote to local is kept.
    let jobs = target.action("harvest_job_list", json!({"source_id": "portal"}), Some(&token)).result();
    assert_eq!(jobs.as_array().unwrap().len(), settings().keep_jobs);
}

#[test]
fn the_scheduler_runs_sources_when_their_frequency_is_due() {
    let source = TestServer::start();
    let (_, source_token) = source.user_with_token("sourceadmin", true);
    source.org("remote-org", &[]);
    source
        .action(
            "package_create",
            json!({"name": "scheduled", "owner_org": "remote-org", "resources": [{"url": "http://example.org/a.csv"}]}),
            Some(&source_token),
        )
        .result();
    let target = TestServer::start();
    let (_, token) = target.user_with_token("admin", true);
    target.org("harvested", &[]);
    for (name, frequency, config) in
        [("daily", "DAILY", "{}"), ("manual", "MANUAL", r#"{"force_all": true}"#)]
    {
        target
            .action(
                "harvest_source_create",
                json!({"name": name, "url": source.base, "source_type": "ckan", "owner_org": "harvested",
                       "frequency": frequency, "config": config}),
                Some(&token),
            )
            .result();
    }
    // What `serve` starts: a worker and a scheduler looking for due sources.
    let settings =
        datahavn_harvest::Settings { scheduler_interval: Duration::from_millis(100), ..settings() };
    let harvester = datahavn_harvest::HarvestService::start(target.services.clone(), settings, true).unwrap();
    let status =
        |name: &str| target.action("harvest_source_show_status", json!({"id": name}), Some(&token)).result();
    let deadline = Instant::now() + Duration::from_secs(60);
    while status("daily")["last_job"]["status"] != "Finished" {
        assert!(Instant::now() < deadline, "the due source was not run: {}", status("daily"));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(status("daily")["total_datasets"], 1);
    // Not due again for a day: further rounds of the scheduler leave it alone, and a MANUAL
    // source is never run by it.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(status("daily")["job_count"], 1);
    assert_eq!(status("manual")["job_count"], 0);
    let shown = target.action("harvest_source_show", json!({"id": "daily"}), Some(&token)).result();
    let next = shown["next_run"].as_str().expect("the next run is set");
    assert!(next > shown["status"]["last_job"]["created"].as_str().unwrap_or_default(), "{shown}");
    drop(harvester);
}

#[test]
fn a_job_made_by_the_api_runs_in_the_background_and_name_clashes_get_a_suffix() {
    let source = TestServer::start();
    let (_, source_token) = source.user_with_token("sourceadmin", true);
    source.org("remote-org", &[]);
    let mut ids = Vec::new();
    for name in ["taken", "free"] {
        let created = source
            .action(
                "package_create",
                json!({"name": name, "owner_org": "remote-org", "resources": [{"url": "http://example.org/a.csv"}]}),
                Some(&source_token),
            )
            .result();
        ids.push(created["id"].clone());
    }
    let (target, token) = target();
    let local = target
        .action(
            "package_create",
            json!({"name": "taken", "owner_org": "harvested", "notes": "local"}),
            Some(&token),
        )
        .result();
    add_source(&target, &token, "remote", &source.base, json!({}));
    let created = target.action("harvest_job_create", json!({"source_id": "remote"}), Some(&token)).result();
    assert_eq!(created["status"], "New");
    let deadline = Instant::now() + Duration::from_secs(60);
    let finished = loop {
        let shown = job(&target, &token, created["id"].as_str().unwrap());
        if shown["status"] == "Finished" {
            break shown;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {shown}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(finished["stats"]["added"], 2);
    // The local dataset keeps its name; the harvested one gets a suffix.
    assert_eq!(target.action("package_show", json!({"id": "taken"}), None).result()["id"], local["id"]);
    assert_eq!(target.action("package_show", json!({"id": "taken-1"}), None).result()["id"], ids[0]);
    target.action("package_show", json!({"id": "free"}), None).result();
    // The datasets went to the source's organization.
    assert_eq!(
        target.action("package_show", json!({"id": "free"}), None).result()["organization"]["name"],
        "harvested"
    );
}

/// What the scripted server answers to one request.
enum Reply {
    Json(Value),
    Status(u16, &'static str, &'static str),
    /// A body in which `{base}` stands for the server's own address.
    Template(&'static str, String),
    /// Reads the request and never answers (the connection stays open).
    Hang,
    /// Reads the request and closes the connection.
    Drop,
}

/// A tiny HTTP server answering requests in order from a script; past its end, an empty
/// `package_search` page.
struct Scripted {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

fn scripted(replies: Vec<Reply>) -> Scripted {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    let own = base.clone();
    std::thread::spawn(move || {
        let mut replies = replies.into_iter();
        let mut held: Vec<TcpStream> = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let line = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_owned();
            log.lock().unwrap().push(line);
            let reply = replies.next().unwrap_or(Reply::Json(page(&[])));
            let (status, content_type, body) = match reply {
                Reply::Json(value) => (200, "application/json", value.to_string()),
                Reply::Status(status, content_type, body) => (status, content_type, body.to_owned()),
                Reply::Template(content_type, body) => (200, content_type, body.replace("{base}", &own)),
                Reply::Hang => {
                    held.push(stream);
                    continue;
                }
                Reply::Drop => continue,
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Scripted { base, requests }
}

fn page(datasets: &[Value]) -> Value {
    json!({"help": "", "success": true, "result": {"count": datasets.len(), "results": datasets}})
}

/// A small remote dataset with one resource.
fn remote(n: u32, modified: &str) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-00000000000{n}"),
        "name": format!("remote-{n}"),
        "title": format!("Remote {n}"),
        "type": "dataset",
        "metadata_modified": modified,
        "tags": [{"name": "remote"}],
        "extras": [],
        "resources": [{"id": format!("10000000-0000-4000-8000-00000000000{n}"), "url": format!("http://example.org/{n}.csv"), "format": "CSV"}],
    })
}

fn gather_errors(target: &TestServer, token: &str, job_id: &str) -> Vec<String> {
    job(target, token, job_id)["gather_error_summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_remote_that_stops_mid_job_keeps_what_was_harvested_and_deletes_nothing() {
    let (target, token) = target();
    let full = scripted(vec![Reply::Json(page(&[
        remote(1, "2024-01-01T00:00:00"),
        remote(2, "2024-01-01T00:00:00"),
        remote(3, "2024-01-01T00:00:00"),
    ]))]);
    add_source(&target, &token, "flaky", &full.base, json!({"force_all": true}));
    let (_, tally) = run(&target, "flaky");
    assert_eq!(tally.added, 3);
    assert_eq!(full.requests.lock().unwrap().len(), 2, "one page and the empty page past the end");
    assert!(
        full.requests.lock().unwrap()[0].contains("sort=id%20asc"),
        "{:?}",
        full.requests.lock().unwrap()
    );

    for failure in [Reply::Hang, Reply::Drop] {
        // The first page holds one changed dataset; the next request hangs (or is dropped).
        let mut first = vec![remote(1, "2024-02-01T00:00:00")];
        first.extend((0..49).map(|_| remote(1, "2024-02-01T00:00:00")));
        let stops = scripted(vec![Reply::Json(page(&first)), failure]);
        target
            .action("harvest_source_patch", json!({"id": "flaky", "url": stops.base}), Some(&token))
            .result();
        let started = Instant::now();
        let (job_id, tally) = run(&target, "flaky");
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!((tally.updated, tally.deleted), (1, 0), "{tally:?}");
        let errors = gather_errors(&target, &token, &job_id);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(job(&target, &token, &job_id)["status"], "Finished");
        for n in 1..=3 {
            let shown = target.action("package_show", json!({"id": format!("remote-{n}")}), None).result();
            assert_eq!(shown["state"], "active", "nothing deleted after an incomplete listing");
        }
    }
}

#[test]
fn remote_errors_and_invalid_datasets_are_recorded_and_the_job_goes_on() {
    let (target, token) = target();
    for (reply, fragment) in [
        (
            Reply::Status(500, "text/html", "<html>Internal Server Error</html>"),
            "500 with text/html, not JSON",
        ),
        (Reply::Status(200, "text/html", "<!doctype html><p>a portal page"), "200 with text/html, not JSON"),
        (Reply::Status(200, "application/json", "{\"success\": true, \"result\": {"), "not JSON"),
        (
            Reply::Status(
                403,
                "application/json",
                "{\"success\": false, \"error\": {\"message\": \"Access denied\", \"__type\": \"Authorization Error\"}}",
            ),
            "403: Access denied",
        ),
    ] {
        let remote_site = scripted(vec![reply]);
        let name = format!("broken-{}", uuid::Uuid::new_v4().simple());
        add_source(&target, &token, &name, &remote_site.base, json!({}));
        let (job_id, tally) = run(&target, &name);
        assert_eq!(tally, datahavn_harvest::Tally::default());
        let errors = gather_errors(&target, &token, &job_id);
        assert!(errors.iter().any(|e| e.contains(fragment)), "{errors:?} lacks {fragment}");
        let shown = job(&target, &token, &job_id);
        assert_eq!(shown["stats"]["errored"], 1);
    }
    let logged = target.action("harvest_log_list", json!({"level": "error"}), Some(&token)).result();
    assert!(logged.as_array().unwrap().len() >= 4, "{logged}");

    // One dataset fails validation: recorded on its object; the others are imported.
    let mut bad = remote(5, "2024-01-01T00:00:00");
    bad["tags"] = json!([{"name": "no <html> in tags"}]);
    let site = scripted(vec![Reply::Json(page(&[
        remote(4, "2024-01-01T00:00:00"),
        bad,
        remote(6, "2024-01-01T00:00:00"),
    ]))]);
    add_source(&target, &token, "partly-invalid", &site.base, json!({}));
    let (job_id, tally) = run(&target, "partly-invalid");
    assert_eq!((tally.added, tally.errored), (2, 1), "{tally:?}");
    let objects = target.services.store.read(|tx| tx.harvest_objects_of_job(&job_id)).unwrap();
    let failed = objects.iter().find(|o| o.report_status == "errored").unwrap();
    let shown = target.action("harvest_object_show", json!({"id": failed.id}), None).result();
    assert_eq!(shown["state"], "ERROR");
    assert_eq!(shown["guid"], "00000000-0000-4000-8000-000000000005");
    assert!(
        shown["errors"][0]["message"].as_str().unwrap().starts_with("Invalid package with GUID"),
        "{shown}"
    );
    assert_eq!(shown["errors"][0]["stage"], "Import");
    assert_eq!(
        target.action("package_show", json!({"id": "remote-5"}), None).status,
        404,
        "never half a dataset"
    );
    let summary = job(&target, &token, &job_id)["object_error_summary"].clone();
    assert_eq!(summary[0]["error_count"], 1);
}

fn add_typed_source(server: &TestServer, token: &str, name: &str, url: &str, source_type: &str) -> Value {
    server
        .action(
            "harvest_source_create",
            json!({"name": name, "url": url, "source_type": source_type, "owner_org": "harvested"}),
            Some(token),
        )
        .result()
}

/// A fixture file of the crates' tests (real catalogues, with their SOURCES notes there).
fn fixture(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn local_count(server: &TestServer, token: &str) -> u64 {
    let found =
        server.action("package_search", json!({"rows": 0, "include_private": true}), Some(token)).result();
    found["count"].as_u64().unwrap()
}

#[test]
fn a_paging_loop_is_a_gather_error() {
    let (target, token) = target();
    let mut first = vec![remote(1, "2024-01-01T00:00:00")];
    first.extend((0..49).map(|_| remote(2, "2024-01-01T00:00:00")));
    let looping = scripted(vec![Reply::Json(page(&first)), Reply::Json(page(&first))]);
    add_source(&target, &token, "looping", &looping.base, json!({}));
    let (job_id, _) = run(&target, "looping");
    let errors = gather_errors(&target, &token, &job_id);
    assert!(errors[0].contains("paging doesn't seem to work"), "{errors:?}");

    // A DCAT catalogue whose Hydra nextPage leads back to the page it is on.
    let turtle = "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n\
                  @prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n\
                  <http://example.org/ds/1> a dcat:Dataset ; dct:title \"One\" ; dct:description \"A\" ; \
                  dct:identifier \"one\" .\n\
                  <http://example.org/catalog> a hydra:PagedCollection ; hydra:nextPage \"{base}/catalog.ttl\" .\n";
    let site = scripted((0..6).map(|_| Reply::Template("text/turtle", turtle.to_owned())).collect());
    add_typed_source(&target, &token, "rdf-loop", &format!("{}/catalog.ttl", site.base), "dcat_rdf");
    let (job_id, tally) = run(&target, "rdf-loop");
    let errors = gather_errors(&target, &token, &job_id);
    assert!(!errors.is_empty(), "a loop is reported: {tally:?}");
    assert!(site.requests.lock().unwrap().len() <= 2, "the loop is left at once");
    assert_eq!(tally.deleted, 0);
}

#[test]
fn dcat_and_data_json_catalogues_are_harvested_and_reruns_keep_their_datasets() {
    let (target, token) = target();
    // Real DCAT-AP (Turtle, RDF/XML) and data.json catalogues, served as their portals do.
    let cases = [
        ("es", "dcat_rdf", "text/turtle", "crates/dcat/tests/fixtures/dcat/datos.gob.es-dcat-1.ttl"),
        (
            "de",
            "dcat_rdf",
            "application/rdf+xml",
            "crates/dcat/tests/fixtures/dcat/govdata.de-dcat-catalog-1.rdf",
        ),
        (
            "gsa",
            "dcat_json",
            "application/json",
            "crates/datajson/tests/fixtures/datajson/gsa.gov-datajson-1.json",
        ),
    ];
    let mut total = 0;
    for (name, source_type, content_type, path) in cases {
        let body: &'static str = Box::leak(fixture(path).into_boxed_str());
        let expected = match source_type {
            "dcat_rdf" => {
                let format = datahavn_dcat::RdfFormat::from_media_type(content_type).unwrap();
                datahavn_dcat::parse(body.as_bytes(), format, None).unwrap().datasets.len()
            }
            _ => datahavn_datajson::parse_catalog(body.as_bytes()).unwrap().len(),
        } as u64;
        assert!(expected > 0, "{path}");
        let site = scripted((0..4).map(|_| Reply::Status(200, content_type, body)).collect());
        add_typed_source(&target, &token, name, &format!("{}/catalog", site.base), source_type);
        let (job_id, tally) = run(&target, name);
        let shown = job(&target, &token, &job_id);
        assert_eq!(tally.errored, 0, "{path}: {shown:#}");
        assert_eq!(tally.added, expected, "{path}: {tally:?}");
        total += expected;
        assert_eq!(local_count(&target, &token), total, "{path}");
        let before = public_datasets(&target, Some(&token));
        let (_, again) = run(&target, name);
        assert_eq!((again.added, again.deleted, again.errored), (0, 0, 0), "{path}: {again:?}");
        assert_eq!(again.unchanged + again.updated, expected, "{path}: {again:?}");
        let after = public_datasets(&target, Some(&token));
        let resources = |datasets: &[Value]| -> BTreeSet<String> {
            datasets
                .iter()
                .flat_map(|d| {
                    d["resources"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned())
                })
                .collect()
        };
        assert_eq!(resources(&after), resources(&before), "{path}: resources keep their ids");
        assert_eq!(local_count(&target, &token), total, "{path}: no duplicates");
    }
}

#[test]
fn a_datahavn_catalogue_is_harvested_through_its_dcat_pages_and_its_data_json() {
    let source = records::server();
    let (_, source_token) = source.user_with_token("sourceadmin", true);
    records::load(&source, &source_token);
    let remote = public_datasets(&source, None);
    assert!(remote.len() > 100, "two catalogue pages: {}", remote.len());
    for (name, source_type, path) in
        [("rdf", "dcat_rdf", "/catalog.ttl"), ("json", "dcat_json", "/data.json")]
    {
        let (target, token) = target();
        add_typed_source(&target, &token, name, &format!("{}{path}", source.base), source_type);
        let (job_id, tally) = run(&target, name);
        assert_eq!(tally.errored, 0, "{name}: {:#}", job(&target, &token, &job_id));
        assert_eq!(tally.added as usize, remote.len(), "{name}: {tally:?}");
        let mut titles: Vec<String> =
            public_datasets(&target, None).iter().map(|d| d["title"].as_str().unwrap().to_owned()).collect();
        titles.sort();
        assert_eq!(titles.len(), remote.len());

        // A dataset deleted at the source is deleted here on the next run, and nothing else.
        let gone = remote[0]["id"].as_str().unwrap();
        source.action("package_delete", json!({"id": gone}), Some(&source_token)).result();
        let (_, again) = run(&target, name);
        assert_eq!((again.added, again.deleted, again.errored), (0, 1, 0), "{name}: {again:?}");
        assert_eq!(public_datasets(&target, None).len(), remote.len() - 1);
        source.action("package_patch", json!({"id": gone, "state": "active"}), Some(&source_token)).result();
    }
}

#[test]
fn a_job_whose_process_died_is_failed_and_an_aborted_job_stops() {
    let (target, token) = target();
    let site = scripted(vec![]);
    add_source(&target, &token, "quiet", &site.base, json!({}));
    let created = target
        .action("harvest_job_create", json!({"source_id": "quiet", "run": false}), Some(&token))
        .result();
    let id = created["id"].as_str().unwrap().to_owned();
    // A runner on this host whose process no longer exists.
    target
        .services
        .store
        .write(|tx| {
            let claimed = tx.claim_harvest_job(&id, "ghost:4194304:x", datahavn_domain::Timestamp::now())?;
            assert!(claimed);
            let mut job = tx.harvest_job(&id)?.unwrap();
            let host = datahavn_harvest::runner_identity().split(':').next().unwrap().to_owned();
            job.runner = Some(format!("{host}:4194304:gone"));
            tx.update_harvest_job(&job)
        })
        .unwrap();
    assert_eq!(datahavn_harvest::fail_dead_jobs(&target.services, Duration::from_secs(3600)).unwrap(), 1);
    let shown = job(&target, &token, &id);
    assert_eq!(shown["status"], "Failed");
    assert!(gather_errors(&target, &token, &id)[0].contains("process running this job stopped"));

    let created = target
        .action("harvest_job_create", json!({"source_id": "quiet", "run": false}), Some(&token))
        .result();
    let aborted = target.action("harvest_job_abort", json!({"source_id": "quiet"}), Some(&token)).result();
    assert_eq!(aborted["id"], created["id"]);
    assert_eq!(aborted["status"], "Aborted");
    // A job aborted before it ran is not run.
    let error = datahavn_harvest::run_job(
        &target.services,
        &settings(),
        created["id"].as_str().unwrap(),
        "me",
        &mut |_| {},
    );
    assert!(error.is_err());
}

#[test]
fn validation_errors_are_ckanext_harvests() {
    let (target, token) = target();
    target.group("a-group", &[]);
    let create = |body: Value| target.action("harvest_source_create", body, Some(&token));
    let base =
        json!({"name": "src", "url": "http://example.org/", "source_type": "ckan", "owner_org": "harvested"});
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let cases = [
        (json!({}), "name", "Missing value"),
        (json!({}), "url", "Missing value"),
        (json!({}), "source_type", "Missing value"),
        (
            with("source_type", json!("csw")),
            "source_type",
            "Unknown harvester type: csw. Registered types: ['ckan', 'dcat_rdf', 'dcat_json']",
        ),
        (with("frequency", json!("HOURLY")), "frequency", "Frequency HOURLY not recognised"),
        (with("url", json!("ftp://example.org")), "url", "Please provide a valid URL (http or https)"),
        (
            with("config", json!("{not json")),
            "config",
            "Error parsing the configuration options: key must be a string at line 1 column 2",
        ),
        (
            with("config", json!("{\"default_tags\": \"a\"}")),
            "config",
            "Error parsing the configuration options: default_tags must be a list",
        ),
        (
            with("config", json!("{\"default_groups\": [\"no-such-group\"]}")),
            "config",
            "Error parsing the configuration options: Default group not found",
        ),
        (with("owner_org", json!("no-such-org")), "owner_org", "Organization does not exist"),
        (
            with("name", json!("Bad Name")),
            "name",
            "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_",
        ),
    ];
    for (body, field, message) in cases {
        let reply = create(body.clone());
        assert_eq!(reply.status, 409, "{body}: {}", reply.text);
        let error = reply.error();
        assert_eq!(error["__type"], "Validation Error");
        assert_eq!(error[field][0], message, "{body}: {error}");
    }
    let created = create(with("config", json!({"default_groups": ["a-group"]}))).result();
    assert_eq!(created["type"], "harvest");
    assert_eq!(created["source_type"], "ckan");
    assert_eq!(created["frequency"], "MANUAL");
    assert_eq!(created["active"], true);
    assert_eq!(created["status"], json!({"job_count": 0, "last_job": null, "total_datasets": 0}));
    // The same URL (normalized) and configuration is a duplicate; another configuration is not.
    let duplicate = create(json!({"name": "src2", "url": "HTTP://example.org:80", "source_type": "ckan",
                                  "owner_org": "harvested", "config": created["config"]}));
    assert_eq!(duplicate.status, 409);
    assert!(
        duplicate.error()["url"][0]
            .as_str()
            .unwrap()
            .starts_with("There already is a Harvest Source for this URL")
    );
    create(
        json!({"name": "src2", "url": "http://example.org", "source_type": "ckan", "owner_org": "harvested"}),
    )
    .result();
    assert_eq!(create(with("name", json!("src2"))).error()["name"][0], "That URL is already in use.");
    // Not in dataset lists or searches.
    assert_eq!(target.action("package_search", json!({}), Some(&token)).result()["count"], 0);
    assert_eq!(target.action("package_list", json!({}), None).result(), json!([]));
    // Patch and update validate alike.
    let patched = target
        .action("harvest_source_patch", json!({"id": "src", "frequency": "weekly"}), Some(&token))
        .result();
    assert_eq!(patched["frequency"], "WEEKLY");
    assert!(patched["next_run"].is_string());
    let reply =
        target.action("harvest_source_patch", json!({"id": "src", "frequency": "sometimes"}), Some(&token));
    assert_eq!(reply.error()["frequency"][0], "Frequency sometimes not recognised");
    let reply = target.action(
        "harvest_source_update",
        json!({"id": "src", "url": "http://example.org/x"}),
        Some(&token),
    );
    assert_eq!(reply.status, 409);
    assert_eq!(reply.error()["source_type"][0], "Missing value");
    assert_eq!(target.action("harvest_source_show", json!({"id": "nothing"}), None).status, 404);
    assert_eq!(
        target.action("harvest_job_create", json!({}), Some(&token)).error()["source_id"][0],
        "Missing value"
    );
    target.action("harvest_job_create", json!({"source_id": "src", "run": false}), Some(&token)).result();
    let reply = target.action("harvest_job_create", json!({"source_id": "src"}), Some(&token));
    assert_eq!(reply.error()["source_id"][0], "There already is an unrun job for this source");
    // Deleted sources take no jobs.
    target.action("harvest_source_delete", json!({"id": "src2"}), Some(&token)).result();
    let reply = target.action("harvest_job_create", json!({"source_id": "src2"}), Some(&token));
    assert_eq!(reply.error()["source_id"][0], "Can not create jobs on inactive sources");
}

#[test]
fn permissions_follow_the_sources_organization() {
    let w = World::new();
    let server = &w.server;
    let site = scripted(vec![]);
    let body = |name: &str| json!({"name": name, "url": format!("{}/{name}", site.base), "source_type": "ckan", "owner_org": "org"});
    let allowed =
        |persona: Persona| matches!(persona, Persona::Editor | Persona::OrgAdmin | Persona::Sysadmin);
    for persona in world::EVERYONE {
        let name = format!("by-{}", format!("{persona:?}").to_lowercase());
        let reply = w.call("harvest_source_create", body(&name), persona);
        assert_eq!(reply.status, if allowed(persona) { 200 } else { 403 }, "{persona:?}: {}", reply.text);
    }
    let private = json!({"name": "private-source", "url": format!("{}/p", site.base), "source_type": "ckan", "owner_org": "org", "private": true});
    w.call("harvest_source_create", private, Persona::Sysadmin).result();
    server.action("harvest_source_create", json!({"name": "public-source", "url": format!("{}/q", site.base), "source_type": "ckan", "owner_org": "org"}), Some(&w.sysadmin)).result();
    let job = w
        .call("harvest_job_create", json!({"source_id": "public-source", "run": false}), Persona::Sysadmin)
        .result();
    let job_id = job["id"].as_str().unwrap().to_owned();
    for persona in world::EVERYONE {
        let reads_private =
            matches!(persona, Persona::Member | Persona::Editor | Persona::OrgAdmin | Persona::Sysadmin);
        let status = |action: &str, body: Value| w.call(action, body, persona).status;
        assert_eq!(status("harvest_source_show", json!({"id": "public-source"})), 200, "{persona:?}");
        assert_eq!(
            status("harvest_source_show", json!({"id": "private-source"})),
            if reads_private { 200 } else { 403 },
            "{persona:?}"
        );
        assert_eq!(
            status("harvest_source_show_status", json!({"id": "private-source"})),
            if reads_private { 200 } else { 403 },
            "{persona:?}"
        );
        let listed = w.call("harvest_source_list", json!({}), persona).result();
        assert_eq!(
            listed.as_array().unwrap().iter().any(|s| s["name"] == "private-source"),
            reads_private,
            "{persona:?}"
        );
        let edit = if allowed(persona) { 200 } else { 403 };
        assert_eq!(
            status("harvest_source_patch", json!({"id": "public-source", "notes": "n"})),
            edit,
            "{persona:?}"
        );
        assert_eq!(status("harvest_job_list", json!({"source_id": "public-source"})), edit, "{persona:?}");
        assert_eq!(status("harvest_job_show", json!({"id": job_id})), edit, "{persona:?}");
        let sysadmin = if persona == Persona::Sysadmin { 200 } else { 403 };
        assert_eq!(status("harvest_log_list", json!({})), sysadmin, "{persona:?}");
        assert_eq!(status("harvest_job_abort", json!({"id": job_id})), sysadmin, "{persona:?}");
    }
    // Creating jobs, clearing and deleting: editors, admins and sysadmins of the organization.
    for persona in world::EVERYONE {
        let name = format!("by-{}", format!("{persona:?}").to_lowercase());
        let target = if allowed(persona) { name } else { "public-source".to_owned() };
        let expected = if allowed(persona) { 200 } else { 403 };
        let reply = w.call("harvest_job_create", json!({"source_id": target, "run": false}), persona);
        assert_eq!(reply.status, expected, "{persona:?}: {}", reply.text);
        assert_eq!(
            w.call("harvest_source_clear", json!({"id": target}), persona).status,
            expected,
            "{persona:?}"
        );
        assert_eq!(
            w.call("harvest_source_delete", json!({"id": target}), persona).status,
            expected,
            "{persona:?}"
        );
    }
    let outsider = w.call("harvest_source_create", body("elsewhere"), Persona::Outsider);
    assert_eq!(
        outsider.error()["message"],
        "Access denied: User outsider not authorized to create harvest sources"
    );
}

/// ckanext-harvest's CKAN harvester against datahavn (ckan-api.md §5.1): GET requests only;
/// `package_search` by `id asc` in pages of 100 to one empty page past the end, then with the
/// `metadata_modified` range; `package_show`, `organization_show`, `group_show` of what it found.
#[test]
fn the_ckan_harvesters_call_sequence_is_answered() {
    let source = records::server();
    let (_, token) = source.user_with_token("sourceadmin", true);
    records::load(&source, &token);
    let get = |action: &str, query: &str| -> Value {
        let reply = source.get(&format!("/api/3/action/{action}?{query}"), &[]);
        assert_eq!(reply.status, 200, "{action}?{query}: {}", reply.text);
        reply.result()
    };
    let mut start = 0;
    let mut previous = String::new();
    let mut ids: Vec<String> = Vec::new();
    let mut datasets: Vec<Value> = Vec::new();
    loop {
        let result = get("package_search", &format!("rows=100&start={start}&sort=id+asc"));
        let results = result["results"].as_array().unwrap();
        let text = Value::Array(results.clone()).to_string();
        assert_ne!(text, previous, "start must move the window");
        if results.is_empty() {
            break;
        }
        ids.extend(results.iter().map(|d| d["id"].as_str().unwrap().to_owned()));
        datasets.extend(results.iter().cloned());
        previous = text;
        start += 100;
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "sorted by id");
    assert_eq!(ids.len(), get("package_search", "rows=0")["count"].as_u64().unwrap() as usize);
    // The incremental run: datasets modified since an hour before the last job started.
    let at = |offset: i64| {
        let now = datahavn_domain::Timestamp::now().unix_seconds();
        format!(
            "{}.000000Z",
            datahavn_domain::Timestamp::from_unix_seconds(now + offset).unwrap().to_ckan_string()
        )
    };
    let since = at(-3600);
    let fq = percent(&format!("metadata_modified:[{since} TO *]"));
    let recent = get("package_search", &format!("rows=100&start=0&sort=id+asc&fq={fq}"));
    let since_text = since.trim_end_matches('Z');
    let expected = datasets.iter().filter(|d| d["metadata_modified"].as_str().unwrap() >= since_text).count();
    assert!(expected > 0);
    assert_eq!(recent["count"].as_u64().unwrap() as usize, expected, "those modified within the hour");
    let future = at(3600);
    let none = get(
        "package_search",
        &format!(
            "rows=100&start=0&sort=id+asc&fq={}",
            percent(&format!("metadata_modified:[{future} TO *]"))
        ),
    );
    assert_eq!(none["results"], json!([]));
    // What the import stage reads.
    for dataset in datasets.iter().take(20) {
        let shown = get("package_show", &format!("id={}", dataset["id"].as_str().unwrap()));
        for key in
            ["id", "name", "type", "tags", "groups", "owner_org", "extras", "resources", "metadata_modified"]
        {
            assert!(shown.get(key).is_some(), "package_show lacks {key}");
        }
        if let Some(org) = dataset["owner_org"].as_str() {
            let org = get("organization_show", &format!("id={org}"));
            for key in ["id", "name", "title", "description", "image_url"] {
                assert!(org.get(key).is_some(), "organization_show lacks {key}");
            }
        }
        for group in dataset["groups"].as_array().unwrap() {
            get("group_show", &format!("id={}", group["id"].as_str().unwrap()));
        }
    }
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
