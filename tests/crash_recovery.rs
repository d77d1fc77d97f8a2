//! The `datahavn` binary killed with SIGKILL at bad moments, then started again on the same
//! data directory and database (SQLite, or PostgreSQL with `TEST_DATABASE_URL`): a bulk
//! `datahavn load` cut off half-way, a server killed while it loads a file into the DataStore,
//! and a server killed while eight clients create datasets. Nothing acknowledged is lost,
//! nothing is half-written, the search index catches up, and `datahavn check` finds the
//! catalogue consistent afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod binary;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use binary::{Server, Site};
use datahavn_storage::Store;
use serde_json::{Value, json};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// POSTs an action; its status and body, or `None` when the server did not answer.
fn post(agent: &ureq::Agent, base: &str, action: &str, body: &Value, token: &str) -> Option<(u16, Value)> {
    let mut response = agent
        .post(format!("{base}/api/3/action/{action}"))
        .header("Authorization", token)
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .ok()?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().ok()?;
    Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// Polls `f` every 20 ms until it gives `Some`, for at most `limit`.
fn wait_for<T>(limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = f() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The number of datasets in the database, read directly (as another process would).
fn stored_datasets(store: &Store) -> usize {
    store.read(|tx| tx.package_ids_page("", 1_000_000)).map_or(0, |ids| ids.len())
}

/// How many datasets a search as `token` finds for `query`.
fn search_count(server: &Server, query: Value, token: &str) -> usize {
    let found = server.call("package_search", &query, token);
    usize::try_from(found["count"].as_u64().unwrap()).unwrap()
}

/// Stops the server (SIGTERM) and runs `datahavn check` on the site: it must find nothing
/// inconsistent.
fn stop_and_check(site: &Site, server: Server) {
    let (stopped, log) = server.stop();
    assert!(stopped, "the server did not stop cleanly:\n{log}");
    let output = site.output(&["check"], "");
    assert!(
        output.status.success(),
        "datahavn check after recovery:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

// (a) A bulk load killed half-way.

const RECORDS: usize = 2000;

fn record(i: usize) -> Value {
    let resources: Vec<Value> = (0..=i % 3)
        .map(|r| {
            // With ids and mimetypes, as a dump has them: loading the line again changes nothing.
            json!({"id": format!("00000000-0000-4000-9000-{:012}", i * 10 + r), "name": format!("file {r} of {i}"),
                   "url": format!("http://example.org/gen/{i}/{r}.csv"), "format": "CSV", "mimetype": "text/csv"})
        })
        .collect();
    json!({
        "id": format!("00000000-0000-4000-8000-{i:012}"),
        "name": format!("gen-{i:05}"),
        "title": format!("Generated dataset {i}"),
        "notes": format!("Number {i} of the crash test"),
        "owner_org": "crash-org",
        "metadata_modified": format!("2024-03-01T{:02}:{:02}:{:02}", i / 3600, i / 60 % 60, i % 60),
        "tags": [{"name": format!("tag-{}", i % 7)}, {"name": "generated"}],
        "extras": [{"key": "sequence", "value": i.to_string()}],
        "resources": resources,
    })
}

/// What of a dataset must equal its input line.
fn differences(shown: &Value, input: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["id", "name", "title", "notes", "metadata_modified"] {
        if shown[key] != input[key] {
            out.push(format!("{key}: {} != {}", shown[key], input[key]));
        }
    }
    if shown["organization"]["name"] != "crash-org" {
        out.push(format!("organization: {}", shown["organization"]));
    }
    let pairs = |list: &Value, a: &str, b: &str| -> Vec<(Value, Value)> {
        list.as_array().into_iter().flatten().map(|x| (x[a].clone(), x[b].clone())).collect()
    };
    if pairs(&shown["resources"], "name", "url") != pairs(&input["resources"], "name", "url")
        || pairs(&shown["resources"], "id", "mimetype") != pairs(&input["resources"], "id", "mimetype")
    {
        out.push(format!("resources: {}", shown["resources"]));
    }
    if shown["num_resources"] != input["resources"].as_array().unwrap().len() {
        out.push(format!("num_resources: {}", shown["num_resources"]));
    }
    let mut tags: Vec<Value> =
        shown["tags"].as_array().into_iter().flatten().map(|t| t["name"].clone()).collect();
    let mut wanted: Vec<Value> =
        input["tags"].as_array().unwrap().iter().map(|t| t["name"].clone()).collect();
    tags.sort_by_key(Value::to_string);
    wanted.sort_by_key(Value::to_string);
    if tags != wanted {
        out.push(format!("tags: {tags:?}"));
    }
    if pairs(&shown["extras"], "key", "value") != pairs(&input["extras"], "key", "value") {
        out.push(format!("extras: {}", shown["extras"]));
    }
    out
}

#[test]
fn a_load_killed_half_way_leaves_whole_datasets_and_a_second_run_finishes_it() {
    let site = Site::with_admin();
    let token = site.admin_token();
    let records: Vec<Value> = (0..RECORDS).map(record).collect();
    let input = site.dir.path().join("datasets.jsonl");
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&input, text).unwrap();
    let store = Store::open(site.db.url(), 1).unwrap();

    let mut load = site
        .command(&["load", "--create-orgs", "--batch", "200", "--jobs", "4", input.to_str().unwrap()])
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // Killed once some datasets are in, long before all of them are.
    let seen = wait_for(Duration::from_secs(120), "the load to write some datasets", || {
        if let Some(status) = load.try_wait().unwrap() {
            panic!("the load ended ({status}) before it was killed: make the input larger");
        }
        let stored = stored_datasets(&store);
        (stored >= 1).then_some(stored)
    });
    load.kill().unwrap();
    load.wait().unwrap();
    let present = stored_datasets(&store);
    eprintln!(
        "killed the load {:?} after it started, {seen} then {present} dataset(s) stored",
        started.elapsed()
    );
    assert!(present < RECORDS, "the load finished before the kill: make the input larger");

    // A server on what the load left.
    let server = site.serve("after-kill.log");
    let listed = server.call("package_list", &json!({}), &token);
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    // Batches of 200 lines (`--batch 200`) are whole: each is there or not. On
    // PostgreSQL the four batches of a run (`--jobs 4`) are written at once and may end in any
    // order; every run before the last one begun is whole.
    let written: std::collections::HashSet<&str> = names.iter().copied().collect();
    let batches: Vec<bool> = (0..RECORDS.div_ceil(200))
        .map(|b| {
            let lines = b * 200..((b + 1) * 200).min(RECORDS);
            let there = lines.clone().filter(|i| written.contains(format!("gen-{i:05}").as_str())).count();
            assert!(
                there == 0 || there == lines.len(),
                "batch {b} is half-written: {there} of {}",
                lines.len()
            );
            there > 0
        })
        .collect();
    let first_missing = batches.iter().position(|there| !there).unwrap_or(batches.len());
    let run_end = (first_missing / 4 + 1) * 4;
    assert!(
        batches.iter().skip(run_end).all(|there| !there),
        "a batch after the run being written is there: {batches:?}"
    );
    assert_eq!(names.len(), present, "package_list against the database");
    let mut broken = Vec::new();
    let by_name: std::collections::HashMap<String, &Value> =
        records.iter().map(|r| (r["name"].as_str().unwrap().to_owned(), r)).collect();
    for name in &names {
        let input = by_name[*name];
        let shown = server.call("package_show", &json!({"id": input["id"]}), &token);
        let found = differences(&shown, input);
        if !found.is_empty() {
            broken.push(format!("{name}: {}", found.join("; ")));
        }
    }
    assert!(broken.is_empty(), "datasets not as loaded:\n{}", broken.join("\n"));
    // The index has caught up with everything the load committed.
    let count = search_count(&server, json!({"q": "*:*", "rows": 0}), &token);
    assert_eq!(count, names.len(), "package_search against package_list");

    // The same load again, beside the running server: the rest created, the rest unchanged.
    let output = site.output(&["load", "--create-orgs", input.to_str().unwrap()], "");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{report}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        report,
        format!("created {}, updated 0, unchanged {}, failed 0\n", RECORDS - present, present)
    );
    // The running server hears of another process's writes within a second (as another node's):
    // its lists, then its index, hold every dataset, as loaded (two pages of search results,
    // by name).
    wait_for(Duration::from_secs(10), "the server's package_list to hold every dataset", || {
        let listed = server.call("package_list", &json!({}), &token);
        (listed.as_array().unwrap().len() == RECORDS).then_some(())
    });
    wait_for(Duration::from_secs(10), "the server's index to find every dataset", || {
        (search_count(&server, json!({"q": "*:*", "rows": 0}), &token) == RECORDS).then_some(())
    });
    let mut broken = Vec::new();
    for start in (0..RECORDS).step_by(1000) {
        let page =
            server.call("package_search", &json!({"sort": "name asc", "rows": 1000, "start": start}), &token);
        for (offset, shown) in page["results"].as_array().unwrap().iter().enumerate() {
            let found = differences(shown, &records[start + offset]);
            if !found.is_empty() {
                broken.push(format!("line {}: {}", start + offset + 1, found.join("; ")));
            }
        }
    }
    assert!(broken.is_empty(), "datasets not as loaded:\n{}", broken.join("\n"));
    stop_and_check(&site, server);
}

// (b) A server killed while it loads a file into the DataStore.

/// A file the test's file server serves.
#[derive(Clone)]
struct Served {
    name: &'static str,
    body: Arc<Vec<u8>>,
    /// Sends the first half of the body and then nothing more, the connection held open (as
    /// a stalled server's): a load of it is still fetching whenever the test looks, however
    /// fast the machine.
    held: bool,
}

fn served(name: &'static str, body: Vec<u8>) -> Served {
    Served { name, body: Arc::new(body), held: false }
}

/// Serves files on a port of its own: GET /<name> answers that file's bytes.
fn file_server(files: Vec<Served>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let files = files.clone();
            std::thread::spawn(move || {
                let mut request = [0u8; 4096];
                let read = stream.read(&mut request).unwrap_or(0);
                let text = String::from_utf8_lossy(&request[..read]).into_owned();
                let path = text.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_owned();
                match files.iter().find(|file| file.name == path) {
                    Some(file) => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            file.body.len()
                        );
                        let _ = stream.write_all(head.as_bytes());
                        if file.held {
                            let _ = stream.write_all(&file.body[..file.body.len() / 2]);
                            let _ = stream.flush();
                            std::thread::sleep(Duration::from_secs(600));
                        } else {
                            let _ = stream.write_all(&file.body);
                        }
                    }
                    None => {
                        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                    }
                }
            });
        }
    });
    base
}

/// A CSV of `rows` rows: `n,city,amount,day`.
fn csv(rows: usize) -> Vec<u8> {
    let mut out = String::from("n,city,amount,day\n");
    for n in 0..rows {
        out.push_str(&format!(
            "{n},City {},{}.{:02},2024-{:02}-{:02}\n",
            n % 97,
            n % 1000,
            n % 100,
            n % 12 + 1,
            n % 28 + 1
        ));
    }
    out.into_bytes()
}

const BIG_ROWS: usize = 300_000;

/// The warning and error lines of a server's log.
fn warnings(server: &Server) -> String {
    server
        .log()
        .lines()
        .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn xloader_status(server: &Server, resource: &str, token: &str) -> Value {
    server.call("xloader_status", &json!({"resource_id": resource}), token)
}

fn wait_for_load(server: &Server, resource: &str, token: &str) -> Value {
    wait_for(Duration::from_secs(120), "a load to end", || {
        let status = xloader_status(server, resource, token);
        matches!(status["status"].as_str(), Some("complete" | "error")).then_some(status)
    })
}

#[test]
fn a_server_killed_during_datastore_loads_keeps_old_tables_and_says_the_loads_were_interrupted() {
    let base = file_server(vec![
        served("small.csv", b"n,city\n1,Oslo\n2,Rome\n3,Bergen\n".to_vec()),
        served("medium.csv", csv(1000)),
        served("big.csv", csv(BIG_ROWS)),
        Served { held: true, ..served("stalled.csv", csv(BIG_ROWS)) },
    ]);
    let site = Site::with_admin();
    let token = site.admin_token();
    let server = site.serve("before-kill.log");
    server.call("organization_create", &json!({"name": "tables"}), &token);
    let created = server.call(
        "package_create",
        &json!({"name": "counts", "owner_org": "tables", "resources": [
            {"name": "kept", "url": format!("{base}/small.csv"), "format": "CSV"},
            {"name": "fresh", "url": format!("{base}/stalled.csv"), "format": "CSV"},
        ]}),
        &token,
    );
    let kept = created["resources"][0]["id"].as_str().unwrap().to_owned();
    let fresh = created["resources"][1]["id"].as_str().unwrap().to_owned();
    server.call("xloader_submit", &json!({"resource_id": kept}), &token);
    assert_eq!(wait_for_load(&server, &kept, &token)["status"], "complete");
    let old_rows = server.call("datastore_search", &json!({"resource_id": kept, "sort": "_id"}), &token);
    assert_eq!(old_rows["total"], 3);

    // Both resources now load a big file; the server is killed while the first writes rows
    // and the second still fetches its file (its server sends half and then stalls).
    server.call("resource_patch", &json!({"id": kept, "url": format!("{base}/big.csv")}), &token);
    server.call("xloader_submit", &json!({"resource_id": kept}), &token);
    server.call("xloader_submit", &json!({"resource_id": fresh}), &token);
    // Writes acknowledged meanwhile.
    let mut acknowledged = Vec::new();
    for i in 0..5 {
        let made = server.call(
            "package_create",
            &json!({"name": format!("during-load-{i}"), "owner_org": "tables"}),
            &token,
        );
        acknowledged.push(made["id"].as_str().unwrap().to_owned());
    }
    // Killed a third of the way through the first load's rows. Reading a load's status
    // meanwhile is answered at once.
    wait_for(Duration::from_secs(120), "the first load to be a third of the way through", || {
        let statuses = [&kept, &fresh].map(|resource| {
            let asked = Instant::now();
            let status = xloader_status(&server, resource, &token);
            let took = asked.elapsed();
            assert!(
                took < Duration::from_secs(5),
                "xloader_status took {took:?} while a load was running: {status}\nthe server's warnings:\n{}",
                warnings(&server)
            );
            status
        });
        for (status, name) in statuses.iter().zip(["kept", "fresh"]) {
            assert!(
                status["status"] != "complete",
                "the load of {name} finished before the kill: make the file larger: {status}"
            );
            assert!(status["status"] != "error", "the load of {name} failed: {status}");
        }
        let writing = statuses[0]["task_info"]["rows_loaded"].as_u64().unwrap_or(0) >= BIG_ROWS as u64 / 3;
        (writing && statuses.iter().all(|s| s["status"] == "running")).then_some(())
    });
    let log_before = server.log();
    drop(server); // SIGKILL

    let server = site.serve("after-kill.log");
    for resource in [&kept, &fresh] {
        let status = xloader_status(&server, resource, &token);
        assert_eq!(status["status"], "error", "{status}\n{log_before}");
        let message = status["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("interrupted"), "{status}");
        let info = server.post("datastore_info", &json!({"id": resource}), &token);
        if resource == &kept {
            assert_eq!(info.1["result"]["meta"]["load"]["status"], "error", "{}", info.1);
        }
    }
    // The old table, whole; no table at all where there was none.
    let rows = server.call("datastore_search", &json!({"resource_id": kept, "sort": "_id"}), &token);
    assert_eq!(rows["records"], old_rows["records"], "the table that was being replaced");
    assert_eq!(rows["total"], 3);
    let (status, body) = server.post("datastore_search", &json!({"resource_id": fresh}), &token);
    assert_eq!(status, 404, "a table that was never complete: {body}");
    let shown = server.call("package_show", &json!({"id": "counts"}), &token);
    assert_eq!(shown["resources"][0]["datastore_active"], true);
    assert_eq!(shown["resources"][1]["datastore_active"], false);
    let sql = format!("SELECT count(*) AS n FROM \"{kept}\"");
    let counted = server.call("datastore_search_sql", &json!({"sql": sql}), &token);
    assert_eq!(counted["records"][0]["n"], 3);
    // Every write acknowledged before the kill, there and found.
    for id in &acknowledged {
        let shown = server.call("package_show", &json!({"id": id}), &token);
        assert_eq!(shown["id"], id.as_str());
    }
    assert_eq!(
        search_count(&server, json!({"fq": "name:during-load-*", "rows": 0}), &token),
        acknowledged.len()
    );

    // Loading again works.
    server.call("resource_patch", &json!({"id": fresh, "url": format!("{base}/medium.csv")}), &token);
    server.call("xloader_submit", &json!({"resource_id": fresh}), &token);
    assert_eq!(wait_for_load(&server, &fresh, &token)["status"], "complete");
    let rows = server.call("datastore_search", &json!({"resource_id": fresh, "limit": 0}), &token);
    assert_eq!(rows["total"], 1000);
    stop_and_check(&site, server);
}

// (c) A server killed while clients create datasets.

const CLIENTS: usize = 8;

#[test]
fn datasets_acknowledged_before_a_server_is_killed_are_all_there_after_it_restarts() {
    let site = Site::with_admin();
    let token = site.admin_token();
    let server = site.serve("before-kill.log");
    server.call("organization_create", &json!({"name": "busy"}), &token);
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (base, token) = (server.base.clone(), token.clone());
            let (acknowledged, count, stop) = (acknowledged.clone(), count.clone(), stop.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let mut attempted = Vec::new();
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let name = format!("ack-{client}-{n}");
                    attempted.push(name.clone());
                    let body = json!({"name": name, "title": format!("Client {client} dataset {n}"), "owner_org": "busy",
                        "tags": [{"name": format!("client-{client}")}],
                        "resources": [{"url": "http://example.org/a.csv", "name": "a"},
                                      {"url": "http://example.org/b.csv", "name": "b"}]});
                    match post(&agent, &base, "package_create", &body, &token) {
                        Some((200, answer)) if answer["success"] == true => {
                            acknowledged.lock().unwrap().push(name);
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        // The server is gone.
                        None => break,
                        Some((status, answer)) => panic!("{name}: {status} {answer}"),
                    }
                }
                attempted
            })
        })
        .collect();
    wait_for(Duration::from_secs(60), "datasets to be created", || {
        (count.load(Ordering::SeqCst) >= 60).then_some(())
    });
    drop(server); // SIGKILL, with requests in flight
    stop.store(true, Ordering::SeqCst);
    let attempted: Vec<String> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!("{} acknowledged of {} attempted", acknowledged.len(), attempted.len());

    let server = site.serve("after-kill.log");
    for name in &acknowledged {
        let (status, body) = server.get(&format!("/api/3/action/package_show?id={name}"), Some(&token));
        assert_eq!(status, 200, "{name} was acknowledged: {body}");
        assert_eq!(body["result"]["num_resources"], 2, "{name}");
    }
    // Whatever else of the attempts was committed is whole too.
    let mut present = Vec::new();
    for name in &attempted {
        let (status, body) = server.get(&format!("/api/3/action/package_show?id={name}"), Some(&token));
        match status {
            200 => {
                assert_eq!(body["result"]["num_resources"], 2, "{name}: {body}");
                present.push(name.clone());
            }
            404 => {}
            other => panic!("{name}: {other} {body}"),
        }
    }
    assert!(present.len() >= acknowledged.len());
    // The newest-first list of the reopened index holds every dataset present.
    let listed = server.call("current_package_list_with_resources", &json!({"limit": 1000}), &token);
    let mut listed: Vec<String> =
        listed.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect();
    listed.sort();
    let mut want = present.clone();
    want.sort();
    assert_eq!(listed, want);
    // And searchable: every dataset present is found, under its name and its tag.
    let found = server.call("package_search", &json!({"fq": "name:ack-*", "rows": 1000}), &token);
    let mut names: Vec<String> =
        found["results"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    present.sort();
    assert_eq!(names, present, "the search index after the restart");
    for client in 0..CLIENTS {
        let made = present.iter().filter(|n| n.starts_with(&format!("ack-{client}-"))).count();
        let tagged = search_count(&server, json!({"fq": format!("tags:client-{client}"), "rows": 0}), &token);
        assert_eq!(tagged, made, "client {client}");
    }
    stop_and_check(&site, server);
}
