//! 32 writers at once over HTTP, each with a token of its own, on both databases: every write
//! answered with success (no 409 from a lock, no 500, no 503), none lost, one activity for each,
//! and the search index showing the last write of each dataset.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::TestServer;
use serde_json::{Value, json};

const WRITERS: usize = 32;

/// A writer: its user's id and its token.
struct Writer {
    user_id: String,
    token: String,
}

/// 32 editors of `org`, each with a token.
fn writers(server: &TestServer) -> Vec<Writer> {
    let writers: Vec<Writer> = (0..WRITERS)
        .map(|i| {
            let (user, token) = server.user_with_token(&format!("writer{i}"), false);
            Writer { user_id: user["id"].as_str().unwrap().to_owned(), token }
        })
        .collect();
    let names: Vec<String> = (0..WRITERS).map(|i| format!("writer{i}")).collect();
    let members: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "editor")).collect();
    server.org("org", &members);
    writers
}

/// One client per writer thread (its connections kept alive, as a harvester's are).
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// POSTs an action; its status and body, or the transport's failure as a 0 status.
fn post(agent: &ureq::Agent, base: &str, action: &str, body: &Value, token: &str) -> (u16, String) {
    let sent = agent
        .post(format!("{base}/api/3/action/{action}"))
        .header("Authorization", token)
        .header("Content-Type", "application/json")
        .send(body.to_string());
    match sent {
        Ok(mut response) => {
            let status = response.status().as_u16();
            (status, response.body_mut().read_to_string().unwrap_or_default())
        }
        Err(error) => (0, format!("transport error: {error}")),
    }
}

/// Records a failure unless the answer is a 200 with `success: true`.
fn check(failures: &mut Vec<String>, what: &str, (status, text): &(u16, String)) {
    let success = serde_json::from_str::<Value>(text).is_ok_and(|body| body["success"] == true);
    if *status != 200 || !success {
        let shown: String = text.chars().take(300).collect();
        failures.push(format!("{what}: {status} {shown}"));
    }
}

/// Every activity of a dataset, newest first (pages of 100).
fn activities(server: &TestServer, id: &str, admin: &str) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let page = server
            .action(
                "package_activity_list",
                json!({"id": id, "limit": 100, "offset": all.len(), "include_hidden_activity": true}),
                Some(admin),
            )
            .result();
        let page = page.as_array().unwrap().clone();
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// Per writer on the shared dataset: resources added (by `resource_create`, or appended by
/// `package_revise`, writers and rounds taking turns) and its own field set (by `package_patch`
/// and `package_revise` in turn). Every write re-renders the whole dataset, so the resources
/// are kept few.
const RESOURCE_ROUNDS: usize = 1;
const FIELD_ROUNDS: usize = 3;
const SHARED_WRITES: usize = WRITERS * (RESOURCE_ROUNDS + FIELD_ROUNDS);

#[test]
fn thirty_two_writers_on_one_dataset_lose_nothing() {
    let server = TestServer::start();
    let writers = writers(&server);
    let (_, admin) = server.user_with_token("admin", true);
    let created = server
        .action("package_create", json!({"name": "shared", "owner_org": "org"}), Some(&writers[0].token))
        .result();
    let id = created["id"].as_str().unwrap().to_owned();

    let started = Instant::now();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = writers
            .iter()
            .enumerate()
            .map(|(i, writer)| {
                let (base, id) = (server.base.clone(), id.clone());
                scope.spawn(move || {
                    let agent = agent();
                    let mut failures = Vec::new();
                    for round in 0..FIELD_ROUNDS {
                        let resource = json!({"name": format!("r-{i}-{round}"),
                                              "url": format!("http://example.org/{i}/{round}.csv")});
                        // A resource added: by resource_create, or appended by package_revise.
                        let (action, body) = if (i + round) % 2 == 0 {
                            let mut body = resource.clone();
                            body["package_id"] = json!(id);
                            ("resource_create", body)
                        } else {
                            (
                                "package_revise",
                                json!({"match": {"id": id}, "update__resources__extend": [resource]}),
                            )
                        };
                        if round < RESOURCE_ROUNDS {
                            let answer = post(&agent, &base, action, &body, &writer.token);
                            check(&mut failures, &format!("writer {i} round {round} {action}"), &answer);
                        }
                        // This writer's own field set: by package_patch, or by package_revise.
                        let field = format!("w{i}");
                        let (action, body) = if round % 2 == 0 {
                            ("package_patch", json!({"id": id, field: round}))
                        } else {
                            ("package_revise", json!({"match": {"id": id}, "update": {field: round}}))
                        };
                        let answer = post(&agent, &base, action, &body, &writer.token);
                        check(&mut failures, &format!("writer {i} round {round} {action}"), &answer);
                    }
                    failures
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let took = started.elapsed();
    assert!(
        failures.is_empty(),
        "{} failed write(s) of {SHARED_WRITES}:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{SHARED_WRITES} writes on one dataset in {took:?}");

    // Every resource there, once; every writer's field at its last value.
    let shown = server.action("package_show", json!({"id": id}), Some(&admin)).result();
    let names: Vec<String> = shown["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    let expected: BTreeSet<String> =
        (0..WRITERS).flat_map(|i| (0..RESOURCE_ROUNDS).map(move |r| format!("r-{i}-{r}"))).collect();
    assert_eq!(names.len(), WRITERS * RESOURCE_ROUNDS, "resources lost or doubled: {names:?}");
    assert_eq!(names.iter().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(shown["num_resources"], WRITERS * RESOURCE_ROUNDS);
    let lost: Vec<String> = (0..WRITERS)
        .filter(|i| shown[format!("w{i}")] != FIELD_ROUNDS - 1)
        .map(|i| format!("w{i} = {}", shown[format!("w{i}")]))
        .collect();
    assert!(lost.is_empty(), "fields lost or stale: {lost:?}");
    // Each resource's position is its place in the list.
    let positions: Vec<i64> =
        shown["resources"].as_array().unwrap().iter().map(|r| r["position"].as_i64().unwrap()).collect();
    assert_eq!(positions, (0..positions.len() as i64).collect::<Vec<_>>());

    // One activity per write (and the creation), each by the writer who made it.
    let list = activities(&server, &id, &admin);
    assert_eq!(list.len(), 1 + SHARED_WRITES, "activities: {}", list.len());
    let mut by_user: BTreeMap<String, usize> = BTreeMap::new();
    for activity in &list[..list.len() - 1] {
        assert_eq!(activity["activity_type"], "changed package", "{activity}");
        *by_user.entry(activity["user_id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert_eq!(list.last().unwrap()["activity_type"], "new package");
    for (i, writer) in writers.iter().enumerate() {
        let count = by_user.get(&writer.user_id).copied().unwrap_or_default();
        assert_eq!(count, RESOURCE_ROUNDS + FIELD_ROUNDS, "activities of writer {i}");
    }
    // The newest activity holds the dataset as it is now.
    assert_eq!(list[0]["data"]["package"]["num_resources"], WRITERS * RESOURCE_ROUNDS);

    // The search index shows the last state.
    let found = search_until(&server, json!({"fq": "name:shared"}), |found| {
        found["results"][0]["num_resources"] == WRITERS * RESOURCE_ROUNDS
    });
    assert_eq!(found["count"], 1, "{found}");
    assert_eq!(found["results"][0]["metadata_modified"], shown["metadata_modified"]);
    for i in 0..WRITERS {
        assert_eq!(found["results"][0][format!("w{i}")], FIELD_ROUNDS - 1, "w{i} in the index");
    }
}

/// Searches until `done` holds (the index catching up), for at most ten seconds; the last
/// answer.
fn search_until(server: &TestServer, query: Value, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = server.action("package_search", query.clone(), None).result();
        if done(&found) || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `package_patch` calls per writer on its own dataset.
const OWN_ROUNDS: usize = 8;

#[test]
fn thirty_two_writers_on_their_own_datasets_each_end_with_their_last_write() {
    let server = TestServer::start();
    let writers = writers(&server);
    let (_, admin) = server.user_with_token("admin", true);
    let ids: Vec<String> = writers
        .iter()
        .enumerate()
        .map(|(i, writer)| {
            let created = server.action(
                "package_create",
                json!({"name": format!("own-{i}"), "owner_org": "org", "notes": format!("writer {i} note 0")}),
                Some(&writer.token),
            );
            created.result()["id"].as_str().unwrap().to_owned()
        })
        .collect();

    let started = Instant::now();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = writers
            .iter()
            .zip(&ids)
            .enumerate()
            .map(|(i, (writer, id))| {
                let base = server.base.clone();
                scope.spawn(move || {
                    let agent = agent();
                    let mut failures = Vec::new();
                    for round in 1..=OWN_ROUNDS {
                        let body = json!({"id": id, "notes": format!("writer {i} note {round}")});
                        let answer = post(&agent, &base, "package_patch", &body, &writer.token);
                        check(&mut failures, &format!("writer {i} round {round}"), &answer);
                        // The answer is the dataset as this write left it.
                        if let Ok(body) = serde_json::from_str::<Value>(&answer.1)
                            && body["success"] == true
                            && body["result"]["notes"] != format!("writer {i} note {round}")
                        {
                            failures.push(format!(
                                "writer {i} round {round}: answered {}",
                                body["result"]["notes"]
                            ));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let took = started.elapsed();
    assert!(
        failures.is_empty(),
        "{} failed write(s) of {}:\n{}",
        failures.len(),
        WRITERS * OWN_ROUNDS,
        failures.join("\n")
    );
    eprintln!("{} writes on {WRITERS} datasets in {took:?}", WRITERS * OWN_ROUNDS);

    for (i, id) in ids.iter().enumerate() {
        let last = format!("writer {i} note {OWN_ROUNDS}");
        let shown = server.action("package_show", json!({"id": id}), None).result();
        assert_eq!(shown["notes"], last.as_str(), "own-{i}");
        // One activity per write, newest first, each holding the notes of its write.
        let list = activities(&server, id, &admin);
        let notes: Vec<&str> =
            list.iter().map(|a| a["data"]["package"]["notes"].as_str().unwrap_or_default()).collect();
        let expected: Vec<String> = (0..=OWN_ROUNDS).rev().map(|r| format!("writer {i} note {r}")).collect();
        assert_eq!(notes, expected, "activities of own-{i}");
        assert!(list.iter().all(|a| a["user_id"] == writers[i].user_id.as_str()), "own-{i}: {list:?}");
    }

    // The search index: every dataset with its last notes.
    let wanted: BTreeMap<String, String> =
        (0..WRITERS).map(|i| (format!("own-{i}"), format!("writer {i} note {OWN_ROUNDS}"))).collect();
    let query = json!({"fq": "name:own-*", "rows": 1000});
    let seen = |found: &Value| -> BTreeMap<String, String> {
        found["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (d["name"].as_str().unwrap().to_owned(), d["notes"].as_str().unwrap_or_default().to_owned())
            })
            .collect()
    };
    let found = search_until(&server, query, |found| seen(found) == wanted);
    assert_eq!(found["count"], WRITERS, "{found}");
    assert_eq!(seen(&found), wanted);
    // And a search for each last note finds its dataset alone.
    for i in [0, WRITERS / 2, WRITERS - 1] {
        let found = server
            .action("package_search", json!({"q": format!("\"writer {i} note {OWN_ROUNDS}\"")}), None)
            .result();
        let names: Vec<&str> =
            found["results"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert!(names.contains(&format!("own-{i}").as_str()), "{i}: {found}");
    }
}

#[test]
fn thirty_two_writers_creating_datasets_with_the_same_new_tags_all_succeed() {
    // Every writer's dataset of a round names the round's two new tags: the writers wait for the
    // one that makes a tag first and use it, none fails on it.
    const ROUNDS: usize = 3;
    let server = TestServer::start();
    let writers = writers(&server);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = writers
            .iter()
            .enumerate()
            .map(|(i, writer)| {
                let base = server.base.clone();
                scope.spawn(move || {
                    let agent = agent();
                    let mut failures = Vec::new();
                    for round in 0..ROUNDS {
                        let tags =
                            [format!("new {round} x"), format!("new {round} y"), format!("writer {i}")];
                        let tags: Vec<Value> = tags.iter().map(|t| json!({"name": t})).collect();
                        let body =
                            json!({"name": format!("tagged-{i}-{round}"), "owner_org": "org", "tags": tags});
                        let answer = post(&agent, &base, "package_create", &body, &writer.token);
                        check(&mut failures, &format!("writer {i} round {round}"), &answer);
                    }
                    failures
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{} failed create(s):\n{}", failures.len(), failures.join("\n"));
    for round in 0..ROUNDS {
        for tag in ["x", "y"] {
            let found = search_until(
                &server,
                json!({"fq": format!("tags:\"new {round} {tag}\""), "rows": 0}),
                |found| found["count"] == WRITERS,
            );
            assert_eq!(found["count"], WRITERS, "new {round} {tag}");
            let shown = server.action("tag_show", json!({"id": format!("new {round} {tag}")}), None).result();
            assert_eq!(shown["name"], format!("new {round} {tag}"));
        }
    }
}
