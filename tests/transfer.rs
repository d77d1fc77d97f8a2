//! `datahavn load` and `datahavn dump`, run as an operator runs them, against the database of a
//! running server: real records in, a dump out, the dump loaded back unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod binary;
mod common;

use std::path::Path;
use std::process::{Command, Output};

use binary::BIN;
use common::TestServer;
use datahavn_storage::DatabaseUrl;
use serde_json::{Value, json};

const PORTALS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/portals");

/// The ckanapi dump of open.canada.ca: four datasets of the organization `statcan`.
fn canada_dump() -> Vec<Value> {
    std::fs::read_to_string(format!("{PORTALS}/open.canada.ca-package_dump-1.jsonl"))
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn lines(values: &[Value]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}

/// Runs the binary on the server's database.
fn datahavn(server: &TestServer, dir: &Path, args: &[&str], stdin: &str) -> Output {
    let url = match server.services.store.url() {
        DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        DatabaseUrl::Postgres(url) => url.clone(),
    };
    let mut command = Command::new(BIN);
    command
        .env_remove("RUST_LOG")
        .env_remove("DATAHAVN_SITE_URL")
        .env("DATAHAVN_DATA_DIR", dir)
        .env("DATAHAVN_DATABASE_URL", url)
        .args(args);
    binary::run_to_end(command, stdin)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn show(server: &TestServer, id: &str) -> Value {
    server.get(&format!("/api/3/action/package_show?id={id}"), &[]).result()
}

/// The dataset as the server shows it once `key` has `value`: another process's write reaches a
/// running server's read cache within a second (it reads the change log every
/// `common::CACHE_POLL`).
fn show_when(server: &TestServer, id: &str, key: &str, value: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let shown = show(server, id);
        if shown[key] == value || std::time::Instant::now() > deadline {
            return shown;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn load_creates_and_reports_failures_then_a_dump_loads_back_unchanged() {
    let server = TestServer::start();
    server.org("statcan", &[]);
    let dir = tempfile::tempdir().unwrap();
    let records = canada_dump();
    let mut file = lines(&records);
    file.push_str("{\"name\": \"broken\", \n"); // line 5
    file.push('\n'); // blank: skipped
    for name in ["no-org-1", "no-org-2"] {
        file.push_str(&format!("{}\n", json!({"name": name, "owner_org": "nope"}))); // lines 7, 8
    }
    file.push_str("[1, 2]\n"); // line 9
    let input = dir.path().join("datasets.jsonl");
    std::fs::write(&input, file).unwrap();

    let output = datahavn(&server, dir.path(), &["load", input.to_str().unwrap()], "");
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}{}", String::from_utf8_lossy(&output.stderr));
    assert!(report.starts_with("created 4, updated 0, unchanged 0, failed 4\n"), "{report}");
    assert!(report.contains("  owner_org: Organization does not exist × 2 (lines 7, 8)\n"), "{report}");
    assert!(report.contains("  invalid JSON: unexpected end of line × 1 (line 5)\n"), "{report}");
    assert!(report.contains("  not a JSON object × 1 (line 9)\n"), "{report}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("error: 4 dataset(s) failed"));

    // The datasets are there, free-form fields as sent, under their own ids.
    for record in &records {
        let shown = show(&server, record["id"].as_str().unwrap());
        for key in ["title_translated", "notes_translated", "keywords", "subject", "date_published", "type"] {
            assert_eq!(shown[key], record[key], "{key}");
        }
        assert_eq!(shown["metadata_modified"], record["metadata_modified"]);
        assert_eq!(
            shown["resources"].as_array().unwrap().len(),
            record["resources"].as_array().unwrap().len()
        );
    }

    // The same records again: nothing changes (a harvester's second run).
    let output = datahavn(&server, dir.path(), &["load", "-"], &lines(&records));
    assert_eq!(stdout(&output), "created 0, updated 0, unchanged 4, failed 0\n");
    // ... and writes nothing: no activity beyond the dataset's creation (the CLI acts as the
    // site, whose activities are hidden unless asked for).
    let (_, admin) = server.user_with_token("admin", true);
    let id = records[0]["id"].as_str().unwrap();
    let path = format!("/api/3/action/package_activity_list?id={id}&include_hidden_activity=true");
    let activities = server.get(&path, &[("Authorization", &admin)]).result();
    assert_eq!(activities.as_array().map(Vec::len), Some(1), "{activities}");

    // A private dataset and a draft: left out of a plain dump, in a dump of all states; a
    // deleted one in neither.
    server.as_site("package_create", json!({"name": "private-one", "owner_org": "statcan", "private": true}));
    server.as_site("package_create", json!({"name": "draft-one", "owner_org": "statcan", "state": "draft"}));
    server.as_site("package_create", json!({"name": "deleted-one", "owner_org": "statcan"}));
    server.as_site("package_delete", json!({"id": "deleted-one"}));

    let dumped = dir.path().join("dump.jsonl");
    let output = datahavn(&server, dir.path(), &["dump", dumped.to_str().unwrap()], "");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("dumped 4 dataset(s)"));
    let text = std::fs::read_to_string(&dumped).unwrap();
    let mut names = Vec::new();
    for line in text.lines() {
        let dataset: Value = serde_json::from_str(line).unwrap();
        assert_eq!(dataset, show(&server, dataset["id"].as_str().unwrap()));
        let keys: Vec<&String> = dataset.as_object().unwrap().keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "keys are sorted");
        names.push(dataset["name"].as_str().unwrap().to_owned());
    }
    let mut expected: Vec<String> = records.iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect();
    expected.sort();
    assert_eq!(names, expected, "by name, like package_list");
    let output = datahavn(&server, dir.path(), &["dump", "-", "--all-states"], "");
    assert!(output.status.success());
    let all: Vec<Value> = stdout(&output).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(all.len(), 6);
    assert!(all.iter().any(|d| d["name"] == "private-one" && d["private"] == true));
    assert!(all.iter().any(|d| d["name"] == "draft-one" && d["state"] == "draft"));
    assert!(!all.iter().any(|d| d["name"] == "deleted-one"));
    let modified: Vec<&str> = all.iter().map(|d| d["metadata_modified"].as_str().unwrap()).collect();
    assert!(modified.windows(2).all(|w| w[0] >= w[1]), "newest first: {modified:?}");

    // The dump loaded back (from stdin) changes nothing; one edited line is an update.
    let output = datahavn(&server, dir.path(), &["load", "-"], &text);
    assert!(output.status.success(), "{}", stdout(&output));
    assert_eq!(stdout(&output), "created 0, updated 0, unchanged 4, failed 0\n");
    let mut edited: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    edited[2]["notes"] = json!("edited");
    edited[2].as_object_mut().unwrap().remove("metadata_modified");
    let output = datahavn(&server, dir.path(), &["load", "-"], &lines(&edited));
    assert_eq!(stdout(&output), "created 0, updated 1, unchanged 3, failed 0\n");
    assert_eq!(show_when(&server, edited[2]["id"].as_str().unwrap(), "notes", "edited")["notes"], "edited");
    // Found by name when the id is not there.
    edited[0].as_object_mut().unwrap().remove("id");
    edited[0]["title"] = json!("Found by name");
    let output = datahavn(&server, dir.path(), &["load", "-"], &lines(&edited[..1]));
    assert_eq!(stdout(&output), "created 0, updated 1, unchanged 0, failed 0\n");
    let name = edited[0]["name"].as_str().unwrap();
    assert_eq!(show_when(&server, name, "title", "Found by name")["title"], "Found by name");
}

/// Lines are read and parsed a run ahead of the one being written: with runs of three lines,
/// failures at every place of a run (bad JSON, text that is not UTF-8, a blank line) keep their
/// line numbers, every good line is written once, and the order of the lines holds (a later
/// line of the same dataset wins).
#[test]
fn a_load_in_small_runs_keeps_every_line_and_its_number() {
    let server = TestServer::start();
    server.org("statcan", &[]);
    let dir = tempfile::tempdir().unwrap();
    let mut file: Vec<u8> = Vec::new();
    let mut good = Vec::new();
    for line in 1..=14 {
        match line {
            4 => file.extend_from_slice(b"{\"name\": \"broken\"\n"),
            8 => file.extend_from_slice(b"{\"name\": \"caf\xe9\"}\n"),
            9 => file.push(b'\n'),
            13 => file.extend_from_slice(b"\"text\"\n"),
            14 => {
                let last = json!({"name": "run-line-01", "owner_org": "statcan", "title": "Written last"});
                file.extend_from_slice(format!("{last}\n").as_bytes());
            }
            _ => {
                let name = format!("run-line-{line:02}");
                file.extend_from_slice(
                    format!("{}\n", json!({"name": name, "owner_org": "statcan"})).as_bytes(),
                );
                good.push(name);
            }
        }
    }
    let input = dir.path().join("runs.jsonl");
    std::fs::write(&input, &file).unwrap();
    let output = datahavn(&server, dir.path(), &["load", input.to_str().unwrap(), "--batch", "3"], "");
    let report = stdout(&output);
    assert!(report.starts_with("created 9, updated 1, unchanged 0, failed 3\n"), "{report}");
    assert!(report.contains("(line 4)"), "{report}");
    assert!(report.contains("  not UTF-8 text × 1 (line 8)\n"), "{report}");
    assert!(report.contains("  not a JSON object × 1 (line 13)\n"), "{report}");
    for name in &good {
        assert_eq!(show(&server, name)["name"], name.as_str());
    }
    assert_eq!(show_when(&server, "run-line-01", "title", "Written last")["title"], "Written last");
}

#[test]
fn load_creates_missing_organizations_when_asked() {
    if datahavn_actions::find("organization_create").is_none() {
        eprintln!("skipped: organization_create is not served yet");
        return;
    }
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(format!("{PORTALS}/data.smartbydata.no-package_list-1.json")).unwrap();
    let all: Vec<Value> = serde_json::from_str(&text).unwrap();
    // Two datasets of `oslo` and one of `nilu`, with their organization dicts.
    let picked: Vec<Value> = all
        .iter()
        .filter(|d| d["organization"]["name"] == "nilu")
        .take(1)
        .chain(all.iter().filter(|d| d["organization"]["name"] == "oslo").take(2))
        .cloned()
        .collect();
    assert_eq!(picked.len(), 3);
    let input = dir.path().join("datasets.jsonl");
    std::fs::write(&input, lines(&picked)).unwrap();

    let output = datahavn(&server, dir.path(), &["load", input.to_str().unwrap()], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("owner_org: Organization does not exist × 3 (lines 1, 2, 3)"));

    let output = datahavn(&server, dir.path(), &["load", "--create-orgs", input.to_str().unwrap()], "");
    assert!(output.status.success(), "{}{}", stdout(&output), String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout(&output), "created 3, updated 0, unchanged 0, failed 0\n");
    for dataset in &picked {
        let shown = show(&server, dataset["name"].as_str().unwrap());
        let sent_org = &dataset["organization"];
        assert_eq!(shown["organization"]["name"], sent_org["name"]);
        assert_eq!(shown["organization"]["title"], sent_org["title"]);
        assert_eq!(shown["owner_org"], shown["organization"]["id"]);
        assert_eq!(shown["owner_org"], dataset["owner_org"], "the source's organization id is kept");
    }
    let org = server.get("/api/3/action/organization_show?id=oslo", &[]).result();
    assert_eq!(org["title"], picked[1]["organization"]["title"]);
}

/// What a loaded dataset is, without what each load makes anew (ids of tags, times).
fn loaded(server: &TestServer, name: &str) -> Value {
    let shown = show(server, name);
    let tags: Vec<&Value> = shown["tags"].as_array().unwrap().iter().map(|t| &t["name"]).collect();
    let resources: Vec<Value> = shown["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!({"id": r["id"], "url": r["url"], "name": r["name"], "position": r["position"]}))
        .collect();
    json!({
        "id": shown["id"], "title": shown["title"], "notes": shown["notes"], "tags": tags,
        "resources": resources, "organization": shown["organization"]["name"], "state": shown["state"],
        "num_tags": shown["num_tags"], "num_resources": shown["num_resources"],
    })
}

#[test]
fn batches_written_at_once_end_as_one_after_another() {
    // 80 lines in runs of 20 (`--batch 5 --jobs 4`; on PostgreSQL the batches of a run are
    // written at once, on SQLite one after the other): new tags shared by every line, in both
    // orders; lines that fail with valid new tags of their own; a run where a line updates the
    // dataset an earlier line of the same run created; a resource id two lines of a run claim;
    // a run with two lines that find one stored dataset, one by its name, one by its id.
    let existing = "00000000-0000-4000-8000-999999999999";
    let mut records = Vec::new();
    for i in 0..80 {
        let shared = if i % 2 == 0 { ["shared-a", "shared-b"] } else { ["shared-b", "shared-a"] };
        let mut record = json!({
            "id": format!("00000000-0000-4000-8000-{i:012}"),
            "name": format!("dataset-{i}"),
            "title": format!("Dataset {i}"),
            "owner_org": "statcan",
            "tags": [{"name": shared[0]}, {"name": shared[1]}, {"name": format!("only-{i}")}],
            "resources": [{"id": format!("10000000-0000-4000-8000-{i:012}"), "url": format!("https://example.org/{i}.csv")}],
        });
        match i {
            7 | 33 => {
                record["owner_org"] = json!("nope");
                record["tags"] = json!([{"name": format!("orphan-{i}")}, {"name": "shared-a"}]);
            }
            29 => {
                record = json!({"name": "dataset-25", "owner_org": "statcan", "title": "Updated in its run"});
            }
            48 => record["resources"][0]["id"] = json!("10000000-0000-4000-8000-000000000045"),
            62 => record = json!({"name": "existing-x", "owner_org": "statcan", "title": "Found by name"}),
            77 => {
                record = json!({"id": existing, "name": "existing-y", "owner_org": "statcan", "title": "Found by id"});
            }
            _ => {}
        }
        records.push(record);
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("datasets.jsonl");
    std::fs::write(&input, lines(&records)).unwrap();
    let mut reports = Vec::new();
    let mut servers = Vec::new();
    for jobs in ["4", "1"] {
        let server = TestServer::start();
        server.org("statcan", &[]);
        server
            .as_site("package_create", json!({"id": existing, "name": "existing-x", "owner_org": "statcan"}));
        let args = ["load", "--batch", "5", "--jobs", jobs, input.to_str().unwrap()];
        let output = datahavn(&server, dir.path(), &args, "");
        assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
        reports.push(stdout(&output));
        servers.push(server);
    }
    assert_eq!(reports[0], reports[1], "the same outcome, line by line");
    let report = &reports[0];
    assert!(report.starts_with("created 74, updated 3, unchanged 0, failed 3\n"), "{report}");
    assert!(report.contains("  owner_org: Organization does not exist × 2 (lines 8, 34)\n"), "{report}");
    assert!(report.contains("× 1 (line 49)\n"), "the second claim of a resource id fails: {report}");

    let (at_once, one_by_one) = (&servers[0], &servers[1]);
    for i in (0..80).filter(|i| ![7, 29, 33, 48, 62, 77].contains(i)) {
        let name = format!("dataset-{i}");
        assert_eq!(loaded(at_once, &name), loaded(one_by_one, &name), "{name}");
    }
    assert_eq!(show(at_once, "dataset-25")["title"], "Updated in its run");
    // The stored dataset: found by name, then by id and renamed, in the lines' order.
    let stored = show(at_once, existing);
    assert_eq!((&stored["name"], &stored["title"]), (&json!("existing-y"), &json!("Found by id")));
    assert_eq!(loaded(at_once, existing), loaded(one_by_one, existing));
    for server in &servers {
        // The tags of the lines that failed are nowhere, not even for a sysadmin (to whom
        // tag_show shows tags no public dataset carries); the shared ones count every dataset.
        let (_, admin) = server.user_with_token("admin", true);
        for orphan in ["orphan-7", "orphan-33"] {
            let response =
                server.get(&format!("/api/3/action/tag_show?id={orphan}"), &[("Authorization", &admin)]);
            assert_eq!(response.status, 404, "{orphan}: {}", response.text);
        }
        let tags = server.get("/api/3/action/tag_list", &[]).result();
        let tags: Vec<&str> = tags.as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert!(
            tags.contains(&"shared-a") && tags.contains(&"only-59") && !tags.contains(&"only-48"),
            "{tags:?}"
        );
        // Another process's writes reach the server's index within a second. The update of
        // dataset-25 sent no tags: it has none now.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        let count = loop {
            let found = server.get("/api/3/action/package_search?fq=tags:shared-a&rows=0", &[]).result();
            if found["count"] == 73 || std::time::Instant::now() > deadline {
                break found["count"].clone();
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(count, 73);
    }
}

#[test]
fn a_row_the_database_refuses_only_at_a_batchs_commit_fails_its_line_alone() {
    // A trigger refuses one line's resource, which every check before the database lets
    // through: on PostgreSQL a batch's new rows reach the database together, at its commit.
    let refused = "https://example.org/refused.csv";
    let records: Vec<Value> = (0..30)
        .map(|i| {
            let url = if i == 14 { refused.to_owned() } else { format!("https://example.org/{i}.csv") };
            json!({"name": format!("dataset-{i}"), "owner_org": "statcan", "resources": [{"url": url}]})
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("datasets.jsonl");
    std::fs::write(&input, lines(&records)).unwrap();
    for jobs in ["1", "2"] {
        let server = TestServer::start();
        server.org("statcan", &[]);
        let url = server.services.store.url();
        let trigger = match url {
            DatabaseUrl::Sqlite(_) => format!(
                "CREATE TRIGGER refuse BEFORE INSERT ON resources WHEN NEW.url = '{refused}' \
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;"
            ),
            DatabaseUrl::Postgres(_) => format!(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.url = '{refused}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$; \
                 CREATE TRIGGER refuse BEFORE INSERT ON resources FOR EACH ROW EXECUTE FUNCTION refuse();"
            ),
        };
        datahavn_storage::testing::execute(url, &trigger);
        let args = ["load", "--batch", "10", "--jobs", jobs, input.to_str().unwrap()];
        let output = datahavn(&server, dir.path(), &args, "");
        let report = stdout(&output);
        assert_eq!(output.status.code(), Some(1), "{report}{}", String::from_utf8_lossy(&output.stderr));
        assert!(report.starts_with("created 29, updated 0, unchanged 0, failed 1\n"), "{report}");
        assert!(report.contains("(line 15)"), "{report}");
        for i in (0..30).filter(|i| *i != 14) {
            let name = format!("dataset-{i}");
            assert_eq!(show(&server, &name)["resources"][0]["url"], format!("https://example.org/{i}.csv"));
        }
        let missing = server.get("/api/3/action/package_show?id=dataset-14", &[]);
        assert_eq!(missing.status, 404, "{}", missing.text);
    }
}
