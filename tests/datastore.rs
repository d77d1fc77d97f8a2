//! The DataStore actions over HTTP, on the catalogue's database kind: CKAN 2.12's recorded
//! answers, every persona on public and private resources, bad input that changes nothing,
//! guarded SQL, dumps and background loads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod world;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{keys, reference};
use serde_json::{Value, json};
use world::{EVERYONE, Persona, World, assert_error, assert_fields};

/// A dataset of `org` with one resource made for the DataStore (`url_type: datastore`), holding
/// the rows of CKAN's recorded example; returns the resource id.
fn weather(w: &World, name: &str, private: bool) -> String {
    w.dataset(name, private, json!([]));
    let created = w.call(
        "datastore_create",
        json!({
            "resource": {"package_id": name, "name": "weather"},
            "primary_key": ["id"],
            "fields": [{"id": "id", "type": "int"}, {"id": "city", "type": "text"},
                       {"id": "temp", "type": "numeric"}, {"id": "day", "type": "date"}],
            "records": [{"id": 1, "city": "Oslo", "temp": -3.5, "day": "2024-01-01"},
                        {"id": 2, "city": "Rome", "temp": 12, "day": "2024-01-01"},
                        {"id": 3, "city": "Oslo", "temp": -1, "day": "2024-01-02"}],
        }),
        Persona::Editor,
    );
    created.result()["resource_id"].as_str().unwrap().to_owned()
}

fn rows(w: &World, resource: &str) -> Value {
    w.call("datastore_search", json!({"resource_id": resource}), Persona::Sysadmin).result()["records"]
        .clone()
}

/// The recorded `result` of a CKAN answer, with the resource id of this run.
fn recorded(file: &str, resource: &str) -> Value {
    let text = reference(file)["response"]["body"]["result"].to_string();
    serde_json::from_str(&text.replace("52fd841c-d3d1-4077-a8e0-eac2016f89d2", resource)).unwrap()
}

#[test]
fn create_search_upsert_and_sql_answer_as_ckan_did() {
    let w = World::new();
    w.dataset("weather", false, json!([{"url": "http://example.org/weather.csv", "name": "w"}]));
    let resource = w.show("weather")["resources"][0]["id"].as_str().unwrap().to_owned();
    let request = reference("32_datastore_create.json")["request"]["body"].to_string();
    let body: Value =
        serde_json::from_str(&request.replace("52fd841c-d3d1-4077-a8e0-eac2016f89d2", &resource)).unwrap();
    let created = w.call("datastore_create", body, Persona::Editor).result();
    assert_eq!(created, recorded("32_datastore_create.json", &resource));
    assert_eq!(w.show("weather")["resources"][0]["datastore_active"], true);

    let searched = w.get("datastore_search", &format!("resource_id={resource}"), Persona::Anonymous).result();
    assert_eq!(searched, recorded("33_datastore_search.json", &resource));
    assert_eq!(keys(&searched), keys(&recorded("33_datastore_search.json", &resource)));

    let filtered = w.call(
        "datastore_search",
        json!({"resource_id": resource, "filters": {"city": "Oslo"}, "sort": "temp desc", "limit": 1, "fields": ["id", "temp"]}),
        Persona::Anonymous,
    );
    let expected = recorded("34_datastore_search_filters.json", &resource);
    assert_eq!(filtered.result(), expected);
    assert_eq!(keys(&filtered.result()), keys(&expected));

    let found = w
        .call("datastore_search", json!({"resource_id": resource, "q": "rome"}), Persona::Anonymous)
        .result();
    let expected = recorded("35_datastore_search_q.json", &resource);
    assert_eq!(found["total"], 1);
    assert_eq!(found["records"][0]["city"], "Rome");
    assert_eq!(found["fields"], expected["fields"]);
    assert_eq!(keys(&found), keys(&expected));
    assert!(found["records"][0]["rank"].as_f64().unwrap() > 0.0, "{found}");

    let request = reference("36_datastore_upsert.json")["request"]["body"].to_string();
    let body: Value =
        serde_json::from_str(&request.replace("52fd841c-d3d1-4077-a8e0-eac2016f89d2", &resource)).unwrap();
    let upserted = w.call("datastore_upsert", body, Persona::Editor).result();
    assert_eq!(upserted, recorded("36_datastore_upsert.json", &resource));

    let sql = format!("SELECT city, avg(temp) AS t FROM \"{resource}\" GROUP BY city ORDER BY city");
    let queried = w.call("datastore_search_sql", json!({"sql": sql}), Persona::Anonymous).result();
    let expected = recorded("37_datastore_search_sql.json", &resource);
    assert_eq!(queried, expected);

    let missing = w.call("datastore_search", json!({"resource_id": "no-such-resource"}), Persona::Sysadmin);
    let recorded_404 = reference("38_datastore_search_404.json")["response"]["body"]["error"].clone();
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error(), recorded_404);

    let bad = w.call(
        "datastore_create",
        json!({"resource_id": resource, "force": true, "fields": [{"id": "z", "type": "nosuchtype"}]}),
        Persona::Sysadmin,
    );
    assert_fields(&bad, json!({"fields": ["\"nosuchtype\" is not a valid field type"]}));
    assert_eq!(rows(&w, &resource).as_array().unwrap().len(), 3);
}

#[test]
fn reading_follows_the_dataset_and_writing_needs_edit_rights() {
    let w = World::new();
    let open = weather(&w, "open", false);
    let secret = weather(&w, "secret", true);
    w.collaborate("secret", "editor");
    for persona in EVERYONE {
        let readers = matches!(
            persona,
            Persona::Member | Persona::Editor | Persona::OrgAdmin | Persona::Collaborator | Persona::Sysadmin
        );
        let editors = matches!(
            persona,
            Persona::Editor | Persona::OrgAdmin | Persona::Collaborator | Persona::Sysadmin
        );
        let public = w.get("datastore_search", &format!("resource_id={open}"), persona);
        assert_eq!(public.result()["total"], 3, "{persona:?}");
        let private = w.get("datastore_search", &format!("resource_id={secret}"), persona);
        let info = w.get("datastore_info", &format!("id={secret}"), persona);
        let sql = w.call(
            "datastore_search_sql",
            json!({"sql": format!("SELECT count(*) AS n FROM \"{secret}\"")}),
            persona,
        );
        let dump = w.server.get(
            &format!("/datastore/dump/{secret}"),
            &w.token(persona).map(|t| vec![("Authorization", t)]).unwrap_or_default(),
        );
        if readers {
            assert_eq!(private.result()["total"], 3, "{persona:?}");
            assert_eq!(info.result()["meta"]["count"], 3, "{persona:?}");
            assert_eq!(sql.result()["records"][0]["n"], 3, "{persona:?}");
            assert_eq!(dump.status, 200, "{persona:?}");
            assert!(dump.text.contains("Oslo"), "{persona:?}");
        } else {
            let message = format!(
                "Access denied: User {} not authorized to perform resource_show on resource {secret}",
                World::name(persona)
            );
            assert_error(&private, 403, &message);
            assert_eq!(info.status, 403, "{persona:?}");
            assert_error(&sql, 403, "Access denied: Not authorized to read resource.");
            assert_eq!(dump.status, 403, "{persona:?}");
            assert!(!dump.text.contains("Oslo"), "{persona:?}");
        }
        let before = rows(&w, &secret);
        let record = json!({"id": 9, "city": format!("{persona:?}"), "temp": 1, "day": "2024-02-02"});
        let upsert = w.call("datastore_upsert", json!({"resource_id": secret, "records": [record]}), persona);
        let delete =
            w.call("datastore_records_delete", json!({"resource_id": secret, "filters": {"id": 9}}), persona);
        if editors {
            assert_eq!(upsert.status, 200, "{persona:?}: {}", upsert.text);
            assert_eq!(delete.status, 200, "{persona:?}: {}", delete.text);
        } else {
            assert_eq!(upsert.status, 403, "{persona:?}: {}", upsert.text);
            assert_eq!(delete.status, 403, "{persona:?}: {}", delete.text);
        }
        assert_eq!(rows(&w, &secret), before, "{persona:?}");
    }
}

#[test]
fn bad_input_gets_ckan_errors_and_changes_nothing() {
    let w = World::new();
    let resource = weather(&w, "weather", false);
    let before = rows(&w, &resource);
    let cases = [
        ("datastore_search", json!({"resource_id": resource, "filters": {"nope": 1}}), "filters"),
        ("datastore_search", json!({"resource_id": resource, "sort": "nope desc"}), "sort"),
        ("datastore_search", json!({"resource_id": resource, "fields": ["nope"]}), "fields"),
        ("datastore_search", json!({"resource_id": resource, "records_format": "xls"}), "records_format"),
        ("datastore_search", json!({"resource_id": resource, "limit": -1}), "limit"),
        ("datastore_search", json!({"resource_id": resource, "whatever": 1}), "__junk"),
        ("datastore_upsert", json!({"resource_id": resource, "records": [{"id": 1, "temp": "warm"}]}), ""),
        ("datastore_upsert", json!({"resource_id": resource, "records": [{"id": 4, "nope": 1}]}), ""),
        (
            "datastore_upsert",
            json!({"resource_id": resource, "method": "update", "records": [{"id": 99, "city": "X"}]}),
            "",
        ),
        (
            "datastore_upsert",
            json!({"resource_id": resource, "method": "insert", "records": [{"id": 1, "city": "X"}]}),
            "",
        ),
        ("datastore_upsert", json!({"resource_id": resource, "records": "nope"}), "records"),
        ("datastore_create", json!({"resource_id": resource, "fields": [{"id": "_bad"}]}), ""),
        ("datastore_create", json!({"resource_id": resource, "fields": [{"type": "text"}]}), "fields"),
        ("datastore_create", json!({"resource_id": resource, "aliases": "bad/alias"}), "alias"),
        ("datastore_create", json!({}), "resource_id"),
        ("datastore_records_delete", json!({"resource_id": resource}), "filters"),
        ("datastore_delete", json!({"resource_id": resource, "filters": "x"}), "filters"),
    ];
    for (action, body, field) in cases {
        let reply = w.call(action, body.clone(), Persona::Sysadmin);
        assert_eq!(reply.status, 409, "{action} {body}: {}", reply.text);
        if !field.is_empty() {
            assert!(reply.error().get(field).is_some(), "{action} {body}: {}", reply.text);
        }
        assert_eq!(rows(&w, &resource), before, "{action} {body} changed rows");
    }
    let dry = w.call(
        "datastore_upsert",
        json!({"resource_id": resource, "dry_run": true, "records": [{"id": 7, "city": "Dry"}]}),
        Persona::Sysadmin,
    );
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(rows(&w, &resource), before, "a dry run wrote");
    let missing =
        w.call("datastore_upsert", json!({"resource_id": "nope", "records": []}), Persona::Sysadmin);
    assert_error(&missing, 404, "Not found: Resource was not found.");
    let refused = w.call("datastore_function_create", json!({"name": "f"}), Persona::Sysadmin);
    assert_error(&refused, 403, "Access denied");
    let anonymous = w.call("datastore_function_delete", json!({"name": "f"}), Persona::Anonymous);
    assert_error(
        &anonymous,
        403,
        "Access denied: Action datastore_function_delete requires an authenticated user",
    );
}

#[test]
fn tables_of_ordinary_resources_are_read_only_without_force() {
    let w = World::new();
    w.dataset("files", false, json!([{"url": "http://example.org/a.csv"}]));
    let resource = w.show("files")["resources"][0]["id"].as_str().unwrap().to_owned();
    let refused =
        w.call("datastore_create", json!({"resource_id": resource, "records": [{"a": 1}]}), Persona::Editor);
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(refused.error()["read-only"][0].as_str().unwrap().starts_with("Cannot edit read-only resource"));
    assert_eq!(w.show("files")["resources"][0]["datastore_active"], false);
    let forced = w.call(
        "datastore_create",
        json!({"resource_id": resource, "force": true, "records": [{"a": 1}]}),
        Persona::Editor,
    );
    assert_eq!(forced.status, 200, "{}", forced.text);
    assert_eq!(w.show("files")["resources"][0]["datastore_active"], true);
    let upsert = w.call(
        "datastore_upsert",
        json!({"resource_id": resource, "method": "insert", "records": [{"a": 2}]}),
        Persona::Editor,
    );
    assert_eq!(upsert.status, 409, "{}", upsert.text);
}

#[test]
fn search_options_and_formats() {
    let w = World::new();
    let resource = weather(&w, "weather", false);
    let search = |body: Value| w.call("datastore_search", body, Persona::Anonymous).result();
    let lists = search(
        json!({"resource_id": resource, "records_format": "lists", "fields": "city,id", "sort": "id"}),
    );
    assert_eq!(lists["records"], json!([["Oslo", 1], ["Rome", 2], ["Oslo", 3]]));
    let csv = search(
        json!({"resource_id": resource, "records_format": "csv", "fields": ["id", "city"], "sort": "id desc"}),
    );
    assert_eq!(csv["records"], "3,Oslo\n2,Rome\n1,Oslo\n");
    let listed = search(json!({"resource_id": resource, "filters": {"city": ["Rome", "Nowhere"]}}));
    assert_eq!(listed["total"], 1);
    let typed = w.get(
        "datastore_search",
        &format!("resource_id={resource}&filters=%7B%22id%22%3A%222%22%7D"),
        Persona::Anonymous,
    );
    assert_eq!(typed.result()["records"][0]["city"], "Rome");
    let distinct =
        search(json!({"resource_id": resource, "fields": "city", "distinct": true, "sort": "city"}));
    assert_eq!(distinct["records"], json!([{"city": "Oslo"}, {"city": "Rome"}]));
    let paged = search(json!({"resource_id": resource, "limit": 1, "offset": 1, "include_total": false}));
    assert_eq!(paged["records"][0]["id"], 2);
    assert!(paged.get("total").is_none(), "{paged}");
    assert!(paged.get("_links").is_none() && paged.get("next_page").is_none(), "{paged}");
    let capped = search(json!({"resource_id": resource, "limit": 1_000_000}));
    assert_eq!(capped["limit"], 32_000);
    let by_field = search(json!({"resource_id": resource, "q": {"city": "oslo"}}));
    assert_eq!(by_field["total"], 2);
    let info = w.get("datastore_info", &format!("resource_id={resource}"), Persona::Anonymous).result();
    assert_eq!(info["meta"]["count"], 3);
    let ids: Vec<&str> =
        info["fields"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["id", "city", "temp", "day"]);
    assert_eq!(info["fields"][0]["schema"]["uniquekey"], true);
}

#[test]
fn deleting_rows_and_tables() {
    let w = World::new();
    let resource = weather(&w, "weather", false);
    let deleted = w
        .call(
            "datastore_delete",
            json!({"resource_id": resource, "filters": {"city": "Oslo"}}),
            Persona::Editor,
        )
        .result();
    assert_eq!(deleted, json!({"resource_id": resource, "filters": {"city": "Oslo"}}));
    assert_eq!(rows(&w, &resource).as_array().unwrap().len(), 1);
    w.call("datastore_records_delete", json!({"resource_id": resource, "filters": {}}), Persona::Editor)
        .result();
    assert_eq!(rows(&w, &resource), json!([]));
    assert_eq!(w.show("weather")["resources"][0]["datastore_active"], true);
    w.call("datastore_delete", json!({"resource_id": resource}), Persona::Editor).result();
    assert_eq!(w.show("weather")["resources"][0]["datastore_active"], false);
    let gone = w.call("datastore_search", json!({"resource_id": resource}), Persona::Sysadmin);
    assert_eq!(gone.status, 404);
}

#[test]
fn aliases_name_the_table() {
    let w = World::new();
    let resource = weather(&w, "weather", false);
    let altered = w.call(
        "datastore_create",
        json!({"resource_id": resource, "aliases": "weather-now", "fields": [{"id": "wind", "type": "float8"}]}),
        Persona::Editor,
    );
    assert_eq!(altered.status, 200, "{}", altered.text);
    let found = w
        .call("datastore_search", json!({"resource_id": "weather-now", "sort": "id"}), Persona::Anonymous)
        .result();
    assert_eq!(found["resource_id"], resource.as_str());
    assert_eq!(found["records"][0]["wind"], Value::Null);
    let sql = w.call(
        "datastore_search_sql",
        json!({"sql": "SELECT count(*) AS n FROM \"weather-now\""}),
        Persona::Anonymous,
    );
    assert_eq!(sql.result()["records"][0]["n"], 3);
}

/// Statements that must be refused without touching anything.
const INJECTIONS: &[&str] = &[
    "SELECT 1; DROP TABLE \"{id}\"",
    "DROP TABLE \"{id}\"",
    "DELETE FROM \"{id}\"",
    "UPDATE \"{id}\" SET city = 'x'",
    "INSERT INTO \"{id}\" (city) VALUES ('x')",
    "WITH d AS (DELETE FROM \"{id}\" RETURNING *) SELECT * FROM d",
    "SELECT pg_sleep(10)",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT lo_import('/etc/passwd')",
    "SELECT * FROM dblink('host=localhost', 'select 1') AS t(a int)",
    "COPY \"{id}\" TO PROGRAM 'id'",
    "SELECT * FROM pg_catalog.pg_user",
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM sqlite_master",
    "ATTACH DATABASE '/tmp/x.db' AS x",
    "PRAGMA table_info(\"{id}\")",
    "SELECT load_extension('x')",
    "SELECT * FROM \"user\"",
    "SELECT * FROM package",
    "SELECT * FROM \"{id}\" FOR UPDATE",
    "SELECT * INTO copied FROM \"{id}\"",
    "SELECT current_setting('data_directory')",
    "SELECT set_config('x', 'y', false)",
];

#[test]
fn guarded_sql_refuses_everything_but_one_select() {
    let w = World::new();
    let resource = weather(&w, "weather", false);
    let before = rows(&w, &resource);
    for statement in INJECTIONS {
        let sql = statement.replace("{id}", &resource);
        let reply = w.call("datastore_search_sql", json!({"sql": sql}), Persona::Sysadmin);
        assert!(matches!(reply.status, 403 | 409), "{sql}: {} {}", reply.status, reply.text);
        assert_eq!(reply.error().get("records"), None);
        assert_eq!(rows(&w, &resource), before, "{sql} changed rows");
    }
    assert_eq!(w.show("weather")["name"], "weather");
    let joined = format!(
        "SELECT a.city, count(*) AS n FROM \"{resource}\" a JOIN \"{resource}\" b ON a.id = b.id GROUP BY a.city ORDER BY a.city"
    );
    let reply = w.call("datastore_search_sql", json!({"sql": joined}), Persona::Anonymous).result();
    assert_eq!(reply["records"], json!([{"city": "Oslo", "n": 2}, {"city": "Rome", "n": 1}]));
}

#[test]
fn dumps_stream_every_format() {
    let w = World::new();
    let resource = weather(&w, "weather", false);
    let csv = w.server.get(&format!("/datastore/dump/{resource}"), &[]);
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(csv.content_type.starts_with("text/csv"), "{}", csv.content_type);
    assert_eq!(
        csv.header("content-disposition"),
        Some(format!("attachment; filename=\"{resource}.csv\"").as_str())
    );
    let mut lines = csv.text.lines();
    assert_eq!(lines.next(), Some("_id,id,city,temp,day"));
    assert_eq!(lines.next(), Some("1,1,Oslo,-3.5,2024-01-01"));
    let bom = w.server.get(&format!("/datastore/dump/{resource}?bom=true&format=tsv&limit=1"), &[]);
    assert!(bom.text.starts_with('\u{feff}'), "{:?}", bom.text);
    assert_eq!(bom.text.lines().count(), 2);
    let json = w.server.get(&format!("/datastore/dump/{resource}?format=json&q=rome"), &[]);
    assert!(json.text.contains("Rome") && !json.text.contains("Oslo"), "{}", json.text);
    let xml = w.server.get(&format!("/datastore/dump/{resource}?format=xml&fields=city&sort=id%20desc"), &[]);
    assert!(xml.text.contains("<city>Oslo</city>"), "{}", xml.text);
    assert_eq!(w.server.get("/datastore/dump/nope", &[]).status, 404);
    assert_eq!(w.server.get(&format!("/datastore/dump/{resource}?format=xls"), &[]).status, 409);
}

#[test]
fn dumps_and_csv_records_write_each_type_as_the_search_shows_it() {
    let w = World::new();
    w.dataset("types", false, json!([]));
    let created = w.call(
        "datastore_create",
        json!({
            "resource": {"package_id": "types", "name": "types"},
            "fields": [{"id": "t", "type": "text"}, {"id": "i", "type": "int"}, {"id": "b", "type": "bool"},
                       {"id": "f", "type": "float8"}, {"id": "n", "type": "numeric"},
                       {"id": "ts", "type": "timestamp"}, {"id": "d", "type": "date"},
                       {"id": "a", "type": "_text"}, {"id": "j", "type": "json"}],
            "records": [{"t": "a, \"quoted\"\nline", "i": -7, "b": true, "f": 2.5, "n": 12,
                         "ts": "2024-03-01T10:20:30.5", "d": "2024-03-01", "a": ["x", "y"], "j": {"k": [1]}},
                        {"t": null, "i": null, "b": false, "f": null, "n": -0.25, "ts": null, "d": null,
                         "a": null, "j": null}],
        }),
        Persona::Editor,
    );
    let resource = created.result()["resource_id"].as_str().unwrap().to_owned();
    let expected = "_id,t,i,b,f,n,ts,d,a,j\n\
                    1,\"a, \"\"quoted\"\"\nline\",-7,true,2.5,12,2024-03-01T10:20:30.5,2024-03-01,\"[\"\"x\"\",\"\"y\"\"]\",\"{\"\"k\"\":[1]}\"\n\
                    2,,,false,,-0.25,,,,\n";
    let normalise = |text: &str| text.replace(": ", ":").replace(", \"", ",\"");
    let dump = w.server.get(&format!("/datastore/dump/{resource}"), &[]);
    assert_eq!(dump.status, 200, "{}", dump.text);
    assert_eq!(normalise(&dump.text), normalise(expected));
    // The same through a filter (parameters: row by row on PostgreSQL too) and as CSV records.
    let filtered = w.server.get(&format!("/datastore/dump/{resource}?filters=%7B%22i%22%3A-7%7D"), &[]);
    let first = format!("{}\n", expected.split("\n2,").next().unwrap());
    assert_eq!(normalise(&filtered.text), normalise(&first));
    let records = w
        .call(
            "datastore_search",
            json!({"resource_id": resource, "records_format": "csv"}),
            Persona::Anonymous,
        )
        .result();
    let body: String = expected.split_once('\n').unwrap().1.to_owned();
    assert_eq!(normalise(records["records"].as_str().unwrap()), normalise(&body));
}

#[test]
fn load_statuses_outlive_the_server_and_interrupted_loads_say_so() {
    let w = World::new();
    let resource = weather(&w, "weather", false);
    let tables = &w.server.services.datastore.as_ref().unwrap().tables;
    // A load another server (or this one, before a restart) was running.
    let running = json!({"job_id": "j1", "status": "running", "last_updated": "2026-01-01T00:00:00",
        "rows_loaded": 5000, "error": null,
        "logs": [{"timestamp": "2026-01-01T00:00:00", "message": "Loading rows", "level": "INFO"}]});
    tables.save_load_status(&resource, "running", &running.to_string()).unwrap();
    let status = w.call("xloader_status", json!({"resource_id": resource}), Persona::Editor).result();
    assert_eq!(status["status"], "running", "{status}");
    assert_eq!(status["task_info"]["rows_loaded"], 5000);
    // What `serve` does when it starts.
    datahavn_actions::datastore::LoadJobs::fail_interrupted(tables);
    let status = w.call("xloader_status", json!({"resource_id": resource}), Persona::Editor).result();
    assert_eq!(status["status"], "error", "{status}");
    assert!(status["error"]["message"].as_str().unwrap().contains("interrupted"), "{status}");
    let info = w.call("datastore_info", json!({"id": resource}), Persona::Anonymous).result();
    assert_eq!(info["meta"]["load"]["status"], "error");
    assert_eq!(rows(&w, &resource).as_array().unwrap().len(), 3, "the table is unchanged");
    // A deleted resource forgets its load.
    w.call("resource_delete", json!({"id": resource}), Persona::Editor).result();
    assert_eq!(tables.load_status(&resource).unwrap(), None);
}

/// Serves files on a port of its own: GET /<name> answers that file's bytes.
fn file_server(files: Vec<(&'static str, Vec<u8>)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let read = stream.read(&mut request).unwrap_or(0);
            let text = String::from_utf8_lossy(&request[..read]).into_owned();
            let path = text.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_owned();
            match files.iter().find(|(name, _)| *name == path) {
                Some((_, body)) => {
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(body);
                }
                None => {
                    let _ = stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                }
            }
        }
    });
    base
}

fn wait_for_load(w: &World, resource: &str) -> Value {
    let started = Instant::now();
    loop {
        let status = w.call("xloader_status", json!({"resource_id": resource}), Persona::Editor).result();
        if matches!(status["status"].as_str(), Some("complete" | "error")) {
            return status;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "load never ended: {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn files_are_loaded_in_the_background_and_a_failed_load_keeps_the_table() {
    let good = "name;amount;when;code\nÆbleø;-12,5;2024-01-31;007\nOdense;1234;2024-02-01;010\n";
    let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(good);
    let base =
        file_server(vec![("good.csv", latin1.into_owned()), ("ragged.csv", b"a,b\n1,2\n3,4,5\n".to_vec())]);
    let w = World::new();
    w.dataset("parking", false, json!([{"url": format!("{base}/good.csv"), "format": "CSV"}]));
    let resource = w.show("parking")["resources"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(w.call("xloader_submit", json!({"resource_id": resource}), Persona::Anonymous).status, 403);
    assert_eq!(w.call("xloader_submit", json!({"resource_id": resource}), Persona::Editor).result(), true);
    let status = wait_for_load(&w, &resource);
    assert_eq!(status["status"], "complete", "{status}");
    let found = w.call("datastore_search", json!({"resource_id": resource}), Persona::Anonymous).result();
    let types: Vec<&str> =
        found["fields"].as_array().unwrap().iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["int", "text", "numeric", "timestamp", "text"], "{found}");
    assert_eq!(found["records"][0]["name"], "Æbleø");
    assert_eq!(found["records"][0]["amount"].as_f64(), Some(-12.5));
    assert_eq!(found["records"][0]["code"], "007");
    assert_eq!(found["records"][0]["when"], "2024-01-31T00:00:00");
    assert_eq!(w.show("parking")["resources"][0]["datastore_active"], true);

    w.call("resource_patch", json!({"id": resource, "url": format!("{base}/ragged.csv")}), Persona::Editor)
        .result();
    assert_eq!(w.call("datastore_load", json!({"resource_id": resource}), Persona::Editor).result(), true);
    let status = wait_for_load(&w, &resource);
    assert_eq!(status["status"], "error", "{status}");
    assert!(status["error"]["message"].as_str().unwrap().contains('3'), "the failing line: {status}");
    let kept = w.call("datastore_search", json!({"resource_id": resource}), Persona::Anonymous).result();
    assert_eq!(kept["records"], found["records"]);
    let info = w.call("datastore_info", json!({"id": resource}), Persona::Anonymous).result();
    assert_eq!(info["meta"]["load"]["status"], "error");
}

/// A `multipart/form-data` body with text fields and one file part named `upload`.
fn upload_body(fields: &[(&str, &str)], file_name: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "datahavn-datastore-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"{file_name}\"\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn uploaded_tables_are_loaded_by_themselves_and_deleted_resources_take_their_tables() {
    let w = World::new();
    w.dataset("uploads", true, json!([]));
    let (content_type, body) = upload_body(
        &[("package_id", "uploads"), ("name", "Counts")],
        "Tællinger 2024.csv",
        "sted;antal\nVestergade;12,5\nAlbanigade;-3\n".as_bytes(),
    );
    let token = w.token(Persona::Editor).unwrap();
    let created =
        w.server.post_raw("/api/3/action/resource_create", &content_type, &body, &[("Authorization", token)]);
    let resource = created.result()["id"].as_str().unwrap().to_owned();
    let status = wait_for_load(&w, &resource);
    assert_eq!(status["status"], "complete", "{status}");
    let found = w.call("datastore_search", json!({"resource_id": resource}), Persona::Member).result();
    assert_eq!(
        found["records"],
        json!([{"_id": 1, "sted": "Vestergade", "antal": 12.5}, {"_id": 2, "sted": "Albanigade", "antal": -3}])
    );
    assert_eq!(w.show("uploads")["resources"][0]["datastore_active"], true);
    assert_eq!(w.call("datastore_search", json!({"resource_id": resource}), Persona::Anonymous).status, 403);

    // Other files are stored, not loaded.
    let (content_type, body) = upload_body(&[("package_id", "uploads")], "notes.txt", b"just text");
    let other =
        w.server.post_raw("/api/3/action/resource_create", &content_type, &body, &[("Authorization", token)]);
    let other = other.result()["id"].as_str().unwrap().to_owned();
    assert_eq!(w.call("xloader_status", json!({"resource_id": other}), Persona::Editor).status, 404);

    w.call("resource_delete", json!({"id": resource}), Persona::Editor).result();
    let gone = w.call(
        "datastore_search_sql",
        json!({"sql": format!("SELECT * FROM \"{resource}\"")}),
        Persona::Sysadmin,
    );
    assert_eq!(gone.status, 409, "{}", gone.text);
    assert!(w.server.services.datastore.as_ref().unwrap().tables.resolve(&resource).unwrap().is_none());
}

/// A table of every column type the filter operators compare (and a field named `$tag`):
/// rows `n` = 1..5 with values rising with `n`, and a row 6 with nothing but `n`.
fn measures(w: &World, name: &str) -> String {
    w.dataset(name, false, json!([]));
    let created = w.call(
        "datastore_create",
        json!({
            "resource": {"package_id": name, "name": "measures"},
            "fields": [{"id": "n", "type": "int"}, {"id": "x", "type": "numeric"},
                       {"id": "t", "type": "text"}, {"id": "ts", "type": "timestamp"},
                       {"id": "d", "type": "date"}, {"id": "$tag", "type": "text"}],
            "records": [
                {"n": 1, "x": -1.5, "t": "apple", "ts": "2024-01-01T08:00:00", "d": "2024-01-01", "$tag": "a"},
                {"n": 2, "x": 0, "t": "banana", "ts": "2024-01-01T12:00:00", "d": "2024-01-02", "$tag": "b"},
                {"n": 3, "x": 2.25, "t": "cherry", "ts": "2024-01-02T08:00:00", "d": "2024-01-03", "$tag": "a"},
                {"n": 4, "x": 10, "t": "date", "ts": "2024-01-03T00:00:00", "d": "2024-02-01", "$tag": "c"},
                {"n": 5, "x": 100.5, "t": "elder", "ts": "2025-06-01T10:30:00", "d": "2025-01-01"},
                {"n": 6},
            ],
        }),
        Persona::Editor,
    );
    created.result()["resource_id"].as_str().unwrap().to_owned()
}

/// The `n` of the rows `filters` selects, in `_id` order.
fn selected(w: &World, resource: &str, filters: Value) -> Vec<i64> {
    let reply = w.call(
        "datastore_search",
        json!({"resource_id": resource, "filters": filters, "fields": ["n"]}),
        Persona::Anonymous,
    );
    assert_eq!(reply.status, 200, "{filters}: {}", reply.text);
    let result = reply.result();
    let ns: Vec<i64> =
        result["records"].as_array().unwrap().iter().map(|r| r["n"].as_i64().unwrap()).collect();
    assert_eq!(result["total"], ns.len(), "{filters}: {result}");
    ns
}

/// A query-string value: every byte but letters and digits percent-encoded.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[test]
fn filter_operators_compare_every_column_type() {
    let w = World::new();
    let resource = measures(&w, "measures");
    let cases = [
        // int
        (json!({"n": 3}), vec![3]),
        (json!({"n": "3"}), vec![3]),
        (json!({"n": {"eq": 3}}), vec![3]),
        (json!({"n": {"gt": 3}}), vec![4, 5, 6]),
        (json!({"n": {"gte": 3}}), vec![3, 4, 5, 6]),
        (json!({"n": {"lt": 3}}), vec![1, 2]),
        (json!({"n": {"lte": "3"}}), vec![1, 2, 3]),
        (json!({"n": [1, 5]}), vec![1, 5]),
        (json!({"n": {"in": [2, "4"]}}), vec![2, 4]),
        (json!({"n": []}), vec![]),
        // numeric
        (json!({"x": 0}), vec![2]),
        (json!({"x": {"gt": 2.25}}), vec![4, 5]),
        (json!({"x": {"gte": "2.25"}}), vec![3, 4, 5]),
        (json!({"x": {"lt": 0}}), vec![1]),
        (json!({"x": {"lte": 0}}), vec![1, 2]),
        (json!({"x": {"in": [10, -1.5]}}), vec![1, 4]),
        // text
        (json!({"t": "cherry"}), vec![3]),
        (json!({"t": {"gt": "cherry"}}), vec![4, 5]),
        (json!({"t": {"gte": "cherry"}}), vec![3, 4, 5]),
        (json!({"t": {"lt": "banana"}}), vec![1]),
        (json!({"t": {"lte": "banana"}}), vec![1, 2]),
        (json!({"t": ["apple", "elder", "zzz"]}), vec![1, 5]),
        // timestamp
        (json!({"ts": "2024-01-01T12:00:00"}), vec![2]),
        (json!({"ts": {"gt": "2024-01-01T12:00:00"}}), vec![3, 4, 5]),
        (json!({"ts": {"gte": "2024-01-02"}}), vec![3, 4, 5]),
        (json!({"ts": {"lt": "2024-01-02 08:00"}}), vec![1, 2]),
        (json!({"ts": {"lte": "2024-01-02T08:00:00"}}), vec![1, 2, 3]),
        (json!({"ts": {"in": ["2024-01-01T08:00:00", "2025-06-01T10:30:00"]}}), vec![1, 5]),
        // date
        (json!({"d": "2024-01-02"}), vec![2]),
        (json!({"d": {"gt": "2024-01-03"}}), vec![4, 5]),
        (json!({"d": {"gte": "2024-01-03"}}), vec![3, 4, 5]),
        (json!({"d": {"lt": "2024-01-02"}}), vec![1]),
        (json!({"d": {"lte": "2024-01-02"}}), vec![1, 2]),
        (json!({"d": ["2024-01-01", "2025-01-01"]}), vec![1, 5]),
        // null compares with nothing, as in CKAN (`= NULL`)
        (json!({"t": null}), vec![]),
        // $or, $and, several operators, several fields, lists of dicts, mixed lists
        (json!({"$or": [{"n": 1}, {"t": "date"}]}), vec![1, 4]),
        (json!({"$and": [{"n": {"gt": 1}}, {"x": {"lt": 10}}]}), vec![2, 3]),
        (json!({"n": {"gt": 1, "lt": 5}, "t": ["banana", "date"]}), vec![2, 4]),
        (json!([{"n": 1}, {"x": {"gte": 100}}]), vec![1, 5]),
        (json!([{"n": {"lte": 2}, "d": "2024-01-02"}]), vec![2]),
        (json!({"n": [1, {"gte": 5}]}), vec![1, 5, 6]),
        (
            json!({"$or": [{"$and": [{"n": {"gte": 2}}, {"n": {"lte": 3}}]}, {"d": {"gte": "2025-01-01"}}]}),
            vec![2, 3, 5],
        ),
        (json!({"$or": [], "n": 6}), vec![6]),
        // `$$` names the field `$tag`
        (json!({"$$tag": "a"}), vec![1, 3]),
        (json!({"$$tag": {"in": ["b", "c"]}}), vec![2, 4]),
        // CKAN takes `in` over a text's characters
        (json!({"$$tag": {"in": "ab"}}), vec![1, 2, 3]),
        // an empty operator dict is no condition (CKAN: 500)
        (json!({"n": {}}), vec![1, 2, 3, 4, 5, 6]),
        // nothing to filter on
        (json!({}), vec![1, 2, 3, 4, 5, 6]),
        (json!([]), vec![1, 2, 3, 4, 5, 6]),
    ];
    for (filters, want) in cases {
        assert_eq!(selected(&w, &resource, filters.clone()), want, "{filters}");
    }
    // filters as JSON text in a query string
    let query = format!("resource_id={resource}&filters={}", encoded(r#"{"n": {"gte": 5}}"#));
    let got = w.get("datastore_search", &query, Persona::Anonymous).result();
    assert_eq!(got["total"], 2, "{got}");
    assert_eq!(got["filters"], json!({"n": {"gte": 5}}));
}

#[test]
fn search_answers_the_filters_as_sent_and_as_parsed() {
    let w = World::new();
    let resource = measures(&w, "measures");
    let filters = json!([{"n": {"gt": 1, "lt": 4}}, {"$$tag": "c", "t": ["date", "x"]}]);
    let found = w
        .call(
            "datastore_search",
            json!({"resource_id": resource, "filters": filters, "fields": "n", "include_next_page": true}),
            Persona::Anonymous,
        )
        .result();
    assert_eq!(found["filters"], filters);
    assert_eq!(
        found["filterops"],
        json!({"op": "$or", "field": null, "value": [
            {"op": "$and", "field": null, "value": [
                {"op": "gt", "field": "n", "value": 1},
                {"op": "lt", "field": "n", "value": 4}
            ]},
            {"op": "$and", "field": null, "value": [
                {"op": "eq", "field": "$tag", "value": "c"},
                {"op": "in", "field": "t", "value": ["date", "x"]}
            ]}
        ]})
    );
    assert_eq!(found["records"], json!([{"n": 2}, {"n": 3}, {"n": 4}]));
    assert_eq!(
        keys(&found),
        [
            "fields",
            "filters",
            "include_next_page",
            "include_total",
            "limit",
            "records_format",
            "resource_id",
            "filterops",
            "records",
            "total",
            "next_page"
        ]
    );
    assert_eq!(found["next_page"], json!({"_id": {"gt": 4}}));
    // no filters, no filterops; no next page unless asked for, or sorted otherwise
    let plain = w.call("datastore_search", json!({"resource_id": resource}), Persona::Anonymous).result();
    assert!(plain.get("filterops").is_none() && plain.get("next_page").is_none(), "{plain}");
    assert!(plain.get("total_was_estimated").is_none() && plain.get("_links").is_none(), "{plain}");
    for other in [json!({"sort": "n"}), json!({"sort": "_id, n"}), json!({"q": "apple"})] {
        let mut body = json!({"resource_id": resource, "include_next_page": true});
        body.as_object_mut().unwrap().extend(other.as_object().unwrap().clone());
        let got = w.call("datastore_search", body, Persona::Anonymous).result();
        assert!(got.get("next_page").is_none(), "{other}: {got}");
    }
    // total_estimation_threshold is accepted and changes nothing
    let got = w
        .call(
            "datastore_search",
            json!({"resource_id": resource, "total_estimation_threshold": 1}),
            Persona::Anonymous,
        )
        .result();
    assert_eq!(got["total"], 6);
    assert!(got.get("total_estimation_threshold").is_none(), "{got}");
}

#[test]
fn filter_errors_are_ckans() {
    let w = World::new();
    let resource = measures(&w, "measures");
    let mut deep = json!({"n": 1});
    for _ in 0..10 {
        deep = json!({"$or": [deep]});
    }
    let hundred: Vec<Value> = (0..100).map(|i| json!({"n": i})).collect();
    let cases = [
        (json!({"nope": 1}), json!(["Unknown field: nope"])),
        (json!({"nope": [1, 2], "n": 1, "$$n": 2}), json!(["Unknown field: nope", "Unknown field: $n"])),
        (json!([{"n": 1}, {"nope": {"gt": 1}}]), json!(["Unknown field: nope"])),
        (json!({"$not": [{"n": 1}]}), json!(["Unknown operators (must be one of $or, $and): $not"])),
        (json!({"$or": {"n": 1}}), json!(["Filter operations must be defined as a list of dicts: {'n': 1}"])),
        (json!({"$and": ["n"]}), json!(["Filter operations must be defined as a list of dicts: ['n']"])),
        (json!(5), json!(["Filters must be defined as a dict or a list of dicts"])),
        (json!([{"n": 1}, 2]), json!(["Filters must be defined as a dict or a list of dicts"])),
        (deep, json!(["Maximum nesting depth for filter operations reached"])),
        (Value::Array(hundred), json!(["Maximum number of filter operations exceeded"])),
        (
            json!({"n": {"like": "1%"}}),
            json!(["Unknown filter operation: FilterOp(field='n', op='like', value='1%')"]),
        ),
        (json!({"n": {"in": 5}}), json!(["Unknown filter operation: FilterOp(field='n', op='in', value=5)"])),
        (json!({"n": {"gt": "abc"}}), json!(["invalid input syntax for type integer: \"abc\""])),
        (json!({"d": {"lt": "soon"}}), json!(["invalid input syntax for type date: \"soon\""])),
    ];
    for (filters, messages) in cases {
        let reply = w.call(
            "datastore_search",
            json!({"resource_id": resource, "filters": filters}),
            Persona::Anonymous,
        );
        assert_fields(&reply, json!({"filters": messages}));
        let reply = w.call(
            "datastore_records_delete",
            json!({"resource_id": resource, "filters": filters}),
            Persona::Editor,
        );
        assert_eq!(reply.status, 409, "{filters}: {}", reply.text);
    }
    assert_eq!(selected(&w, &resource, json!({})).len(), 6, "a refused delete deleted rows");
}

#[test]
fn deleting_records_with_operators_deletes_exactly_the_matching_rows() {
    let w = World::new();
    let resource = measures(&w, "measures");
    let filters = json!({"$or": [{"n": {"lt": 2}}, {"t": {"gte": "elder"}}]});
    let deleted = w
        .call(
            "datastore_records_delete",
            json!({"resource_id": resource, "filters": filters}),
            Persona::Editor,
        )
        .result();
    assert_eq!(deleted, json!({"resource_id": resource, "filters": filters}));
    assert_eq!(selected(&w, &resource, json!({})), [2, 3, 4, 6]);
    w.call(
        "datastore_delete",
        json!({"resource_id": resource, "filters": {"x": {"gt": 1}, "d": {"lte": "2024-02-01"}}}),
        Persona::Editor,
    )
    .result();
    assert_eq!(selected(&w, &resource, json!({})), [2, 6]);
    w.call(
        "datastore_records_delete",
        json!({"resource_id": resource, "filters": {"n": [6, {"gt": 100}]}}),
        Persona::Editor,
    )
    .result();
    assert_eq!(selected(&w, &resource, json!({})), [2]);
    let info = w.get("datastore_info", &format!("resource_id={resource}"), Persona::Anonymous).result();
    assert_eq!(info["meta"]["count"], 1);
    // a list is a filter for searches only: deletes take a dict, as CKAN
    let listed = w.call(
        "datastore_records_delete",
        json!({"resource_id": resource, "filters": [{"n": 2}]}),
        Persona::Editor,
    );
    assert_eq!(listed.status, 409, "{}", listed.text);
    assert_eq!(selected(&w, &resource, json!({})), [2]);
}

#[test]
fn dumps_take_operator_filters() {
    let w = World::new();
    let resource = measures(&w, "measures");
    let filters = encoded(r#"{"n": {"gte": 4}, "$or": [{"x": {"lt": 50}}, {"x": null}, {"n": 5}]}"#);
    let csv = w.server.get(&format!("/datastore/dump/{resource}?fields=n&filters={filters}"), &[]);
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert_eq!(csv.text, "n\n4\n5\n");
    let filters = encoded(r#"[{"ts": {"gte": "2025-01-01"}}, {"$$tag": "b"}]"#);
    let json =
        w.server.get(&format!("/datastore/dump/{resource}?format=json&fields=n,t&filters={filters}"), &[]);
    assert_eq!(json.status, 200, "{}", json.text);
    let dumped: Value = serde_json::from_str(&json.text).unwrap();
    assert_eq!(dumped["records"], json!([[2, "banana"], [5, "elder"]]), "{dumped}");
    let bad = w
        .server
        .get(&format!("/datastore/dump/{resource}?filters={}", encoded(r#"{"n": {"near": 1}}"#)), &[]);
    assert_eq!(bad.status, 409, "{}", bad.text);
    assert!(
        bad.text.contains("Unknown filter operation: FilterOp(field='n', op='near', value=1)"),
        "{}",
        bad.text
    );
    let unknown =
        w.server.get(&format!("/datastore/dump/{resource}?filters={}", encoded(r#"{"no": 1}"#)), &[]);
    assert!(unknown.status == 409 && unknown.text.contains("Unknown field: no"), "{}", unknown.text);
}

#[test]
fn next_page_pages_through_a_whole_table_once() {
    let w = World::new();
    w.dataset("series", false, json!([]));
    let records: Vec<Value> = (1..=37).map(|v| json!({"v": v})).collect();
    let created = w.call(
        "datastore_create",
        json!({"resource": {"package_id": "series", "name": "s"}, "fields": [{"id": "v", "type": "int"}],
               "records": records}),
        Persona::Editor,
    );
    let resource = created.result()["resource_id"].as_str().unwrap().to_owned();
    let fives: Vec<i64> = (1..=7).map(|i| i * 5).collect();
    w.call(
        "datastore_records_delete",
        json!({"resource_id": resource, "filters": {"v": fives}}),
        Persona::Editor,
    )
    .result();
    let search = |body: Value| w.call("datastore_search", body, Persona::Anonymous).result();
    for (sort, condition, want) in [
        (None, json!({}), (1..=37).filter(|v| v % 5 != 0).collect::<Vec<i64>>()),
        (Some("_id desc"), json!({}), (1..=37).rev().filter(|v| v % 5 != 0).collect()),
        (None, json!({"v": {"gte": 12}}), (12..=37).filter(|v| v % 5 != 0).collect()),
        (Some("_id desc"), json!({"v": {"lt": 30}}), (1..30).rev().filter(|v| v % 5 != 0).collect()),
    ] {
        let mut seen: Vec<i64> = Vec::new();
        let mut filters = condition.clone();
        let mut pages = 0;
        loop {
            let mut body = json!({"resource_id": resource, "limit": 4, "include_next_page": true,
                                  "filters": filters, "records_format": "lists", "fields": ["v"]});
            if let Some(sort) = sort {
                body["sort"] = json!(sort);
            }
            let page = search(body);
            // keyset mode: the total counts the rows from this page on
            assert_eq!(page["total"], want.len() - seen.len(), "{page}");
            let values: Vec<i64> =
                page["records"].as_array().unwrap().iter().map(|r| r[0].as_i64().unwrap()).collect();
            seen.extend(&values);
            let Some(next) = page.get("next_page") else {
                assert!(values.is_empty(), "{page}");
                break;
            };
            assert!(!values.is_empty(), "{page}");
            let op = if sort.is_some() { "lt" } else { "gt" };
            assert!(next["_id"][op].is_i64(), "{next}");
            filters = condition.clone();
            filters.as_object_mut().unwrap().extend(next.as_object().unwrap().clone());
            pages += 1;
            assert!(pages < 20, "paging does not end");
        }
        assert_eq!(seen, want, "{sort:?} {condition}");
        assert_eq!(pages, want.len().div_ceil(4));
    }
    // an offset still applies in keyset mode, as in CKAN 2.12
    let page =
        search(json!({"resource_id": resource, "filters": {"_id": {"gt": 2}}, "offset": 1, "limit": 1,
                             "include_next_page": true, "fields": "v"}));
    assert_eq!(page["records"], json!([{"v": 4}]));
    assert_eq!(page["offset"], 1);
    assert_eq!(page["next_page"], json!({"_id": {"gt": 4}}));
}
