//! The read cache never answers differently from the database: after every kind of write, each
//! persona gets from a caching server exactly what a server without a cache answers (shows,
//! lists, counts and pages of search results), on the node that wrote at once and on another
//! node within a second. Three nodes on one database see each other's writes in `package_show`, `package_search` and the counts within a second.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod world;

use std::time::{Duration, Instant};

use common::{Options, TestServer};
use serde_json::{Value, json};
use world::{EVERYONE, Persona, World};

/// What another node may take to see a write.
const ACROSS_NODES: Duration = Duration::from_secs(1);

fn headers(token: Option<&str>) -> Vec<(&str, &str)> {
    token.map(|t| vec![("Authorization", t)]).unwrap_or_default()
}

/// Every persona's `package_show` of every key, as `(persona, key, status, body)`.
fn answers(server: &TestServer, world: &World, keys: &[String]) -> Vec<(Persona, String, u16, String)> {
    let mut out = Vec::new();
    for persona in EVERYONE {
        for key in keys {
            let reply =
                server.get(&format!("/api/3/action/package_show?id={key}"), &headers(world.token(persona)));
            // The help URL names the node.
            out.push((persona, key.clone(), reply.status, reply.text.replace(&server.base, "")));
        }
        // What is kept or read from memory besides: the whole `package_list`, the newest
        // datasets, pages of search results (their dicts taken from the cache where it holds
        // the index's very text), and dataset counts (labelled with a leading `/`).
        for path in [
            "/package_list",
            "/current_package_list_with_resources?limit=50",
            "/package_search?q=*:*&rows=50&sort=name%20asc&include_private=true&include_drafts=true",
            "/package_search?fq=organization:org&rows=50&sort=metadata_modified%20desc&facet.field=%5B%22tags%22%5D",
            "/organization_show?id=org&include_users=false",
            "/organization_show?id=org&include_users=false&include_datasets=true",
            "/organization_list?all_fields=true",
            "/group_list?all_fields=true",
        ] {
            let reply = server.get(&format!("/api/3/action{path}"), &headers(world.token(persona)));
            out.push((persona, path.to_owned(), reply.status, reply.text.replace(&server.base, "")));
        }
    }
    out
}

struct Nodes {
    world: World,
    /// A node on the same database with the read cache off: what the database says.
    plain: TestServer,
    /// Another caching node.
    second: TestServer,
    /// The keys (ids and names, old names too) asked for after every write.
    keys: Vec<String>,
    /// The longest the second node took to agree.
    slowest: Duration,
}

impl Nodes {
    /// The writing node answers as the database at once; the second node within a second.
    fn agree(&mut self, after: &str) {
        // The writing node's answers at once; the database's (a node without a cache, whose
        // lists and searches follow the change log) and the second node's within a second.
        let here = answers(&self.world.server, &self.world, &self.keys);
        let shows = |answers: &[(Persona, String, u16, String)]| -> Vec<(Persona, String, u16, String)> {
            answers.iter().filter(|a| !a.1.starts_with('/')).cloned().collect()
        };
        let truth = answers(&self.plain, &self.world, &self.keys);
        assert_eq!(shows(&here), shows(&truth), "the writing node's package_show after {after}");
        for (node, name) in [(&self.plain, "the node without a cache"), (&self.second, "the second node")] {
            let started = Instant::now();
            loop {
                let there = answers(node, &self.world, &self.keys);
                if there == here {
                    break;
                }
                if started.elapsed() > ACROSS_NODES {
                    let differing = here.iter().zip(&there).find(|(a, b)| a != b);
                    panic!("{name} after {after}, over a second later: {differing:?}");
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            self.slowest = self.slowest.max(started.elapsed());
        }
        // Both caches hold the answers now: the next write must replace them.
        answers(&self.world.server, &self.world, &self.keys);
        answers(&self.second, &self.world, &self.keys);
    }

    fn call(&self, action: &str, body: Value, persona: Persona) -> Value {
        self.world.call(action, body, persona).result()
    }
}

#[test]
fn every_persona_gets_what_the_database_says_after_every_kind_of_write() {
    let world = World::new();
    let plain = world.server.another_node_with(Options { cache_mb: 0, ..Options::default() });
    let second = world.server.another_node();
    assert!(world.server.services.cache.is_some() && second.services.cache.is_some());
    assert!(plain.services.cache.is_none());
    let mut nodes = Nodes { world, plain, second, keys: Vec::new(), slowest: Duration::ZERO };

    let open = nodes.world.dataset("open", false, json!([{"url": "http://example.org/a.csv", "name": "a"}]));
    let closed = nodes.world.dataset("closed", true, json!([]));
    let draft = nodes.call(
        "package_create",
        json!({"name": "draft", "owner_org": "org", "state": "draft"}),
        Persona::Editor,
    );
    for dataset in [&open, &closed, &draft] {
        nodes.keys.push(dataset["id"].as_str().unwrap().to_owned());
        nodes.keys.push(dataset["name"].as_str().unwrap().to_owned());
    }
    nodes.keys.push("no-such-dataset".into());
    nodes.agree("the datasets were created");
    // Every persona asks for every dataset: each is read often enough to be kept unpacked too,
    // so the writes below replace plain copies as well as packed ones.
    let plain = nodes.world.server.services.cache.as_ref().unwrap().stats().plain_entries;
    assert!(plain >= 3, "{plain} plain entries");

    nodes.call("package_patch", json!({"id": "open", "notes": "patched"}), Persona::Editor);
    nodes.agree("package_patch");
    nodes.call(
        "package_update",
        json!({"name": "closed", "owner_org": "org", "private": true, "notes": "updated"}),
        Persona::OrgAdmin,
    );
    nodes.agree("package_update");
    let resource = nodes.call(
        "resource_create",
        json!({"package_id": "open", "url": "http://example.org/b.csv", "name": "b"}),
        Persona::Editor,
    );
    nodes.agree("resource_create");
    nodes.call("resource_patch", json!({"id": resource["id"], "name": "b2"}), Persona::Editor);
    nodes.agree("resource_patch");
    nodes.call(
        "datastore_create",
        json!({"resource_id": resource["id"], "force": true, "fields": [{"id": "n", "type": "int"}], "records": [{"n": 1}]}),
        Persona::Editor,
    );
    nodes.agree("datastore_create (datastore_active)");
    nodes.call("resource_delete", json!({"id": resource["id"]}), Persona::Editor);
    nodes.agree("resource_delete");

    nodes.call("bulk_update_private", json!({"datasets": ["open"], "org_id": "org"}), Persona::OrgAdmin);
    nodes.agree("bulk_update_private");
    nodes.call("bulk_update_public", json!({"datasets": ["open"], "org_id": "org"}), Persona::OrgAdmin);
    nodes.agree("bulk_update_public");
    nodes.call("package_patch", json!({"id": "draft", "state": "active"}), Persona::Editor);
    nodes.agree("a draft made active");

    nodes.world.collaborate("closed", "member");
    nodes.agree("package_collaborator_create");
    nodes.call(
        "package_collaborator_delete",
        json!({"id": "closed", "user_id": "collab"}),
        Persona::Sysadmin,
    );
    nodes.agree("package_collaborator_delete");

    // Renamed: the old name answers 404 at once (it is still asked for).
    nodes.call("package_patch", json!({"id": "open", "name": "open-renamed"}), Persona::Editor);
    nodes.keys.push("open-renamed".into());
    nodes.agree("a rename");
    nodes.call(
        "package_owner_org_update",
        json!({"id": "open-renamed", "organization_id": "other-org"}),
        Persona::Sysadmin,
    );
    nodes.agree("package_owner_org_update");
    nodes.call("organization_patch", json!({"id": "org", "title": "Retitled"}), Persona::OrgAdmin);
    nodes.agree("organization_patch");

    // The callers change: a member leaves, a token is revoked.
    nodes.call("organization_member_delete", json!({"id": "org", "username": "member"}), Persona::OrgAdmin);
    nodes.agree("organization_member_delete");
    nodes.call(
        "organization_member_create",
        json!({"id": "org", "username": "member", "role": "member"}),
        Persona::OrgAdmin,
    );
    nodes.agree("organization_member_create");
    let editor_token = nodes.world.editor.clone();
    nodes.call("api_token_revoke", json!({"token": editor_token}), Persona::Sysadmin);
    nodes.agree("api_token_revoke");

    nodes.call("package_delete", json!({"id": "closed"}), Persona::OrgAdmin);
    nodes.agree("package_delete");
    // A new dataset takes a deleted one's name.
    let reborn =
        nodes.call("package_create", json!({"name": "closed", "owner_org": "org"}), Persona::OrgAdmin);
    nodes.keys.push(reborn["id"].as_str().unwrap().to_owned());
    nodes.agree("a new dataset under a deleted one's name");
    nodes.call("dataset_purge", json!({"id": closed["id"]}), Persona::Sysadmin);
    nodes.agree("dataset_purge");
    nodes.call("package_delete", json!({"id": "open-renamed"}), Persona::Sysadmin);
    nodes.agree("package_delete of the moved dataset");
    nodes.call("organization_purge", json!({"id": "other-org"}), Persona::Sysadmin);
    nodes.agree("organization_purge");

    let stats = nodes.world.server.services.cache.as_ref().unwrap().stats();
    assert!(stats.hits > 0 && stats.invalidations > 0, "{stats:?}");
    eprintln!("second node agreed within {:?} at most; writing node's cache: {stats:?}", nodes.slowest);
}

#[test]
fn the_cache_keeps_to_its_budget_and_says_so_in_metrics() {
    let server = TestServer::start_with(Options { cache_mb: 1, ..Options::default() });
    server.org("org", &[]);
    // Letters in no pattern: about 24 KB each once packed, so 80 of them pass the budget.
    let mut state = 1u64;
    let notes: String = (0..40_000)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            char::from(b'a' + u8::try_from((state >> 33) % 26).unwrap())
        })
        .collect();
    for i in 0..80 {
        server
            .as_site("package_create", json!({"name": format!("d{i}"), "owner_org": "org", "notes": notes}));
    }
    for _ in 0..2 {
        for i in 0..80 {
            let shown = server.get(&format!("/api/3/action/package_show?id=d{i}"), &[]).result();
            assert_eq!(shown["name"], format!("d{i}"));
        }
    }
    let stats = server.services.cache.as_ref().unwrap().stats();
    assert!(stats.bytes <= 1 << 20, "{stats:?}");
    assert!(stats.evictions > 0 && stats.hits > 0, "{stats:?}");
    let metrics = server.get("/metrics", &[]).text;
    for line in [
        "datahavn_cache_lookups_total{result=\"hit\"} ",
        "datahavn_cache_bytes ",
        "datahavn_cache_budget_bytes 1048576",
        "datahavn_cache_plain_bytes ",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}

/// How long until `done` holds on `node`, failing after a second.
fn visible(node: &TestServer, what: &str, done: impl Fn(&TestServer) -> bool) -> Duration {
    let started = Instant::now();
    while !done(node) {
        assert!(started.elapsed() < ACROSS_NODES, "{what}: not seen within a second");
        std::thread::sleep(Duration::from_millis(5));
    }
    started.elapsed()
}

#[test]
fn three_nodes_see_each_others_writes_within_a_second() {
    let a = TestServer::start();
    let b = a.another_node();
    // One node runs without a read cache: its index follows the change log all the same.
    let c = a.another_node_with(Options { cache_mb: 0, ..Options::default() });
    assert!(c.services.cache.is_none());
    a.org("org", &[]);
    let (_, token) = a.user_with_token("admin", true);
    let show = |node: &TestServer, id: &str| node.get(&format!("/api/3/action/package_show?id={id}"), &[]);
    let search = |node: &TestServer, q: &str| {
        node.get(&format!("/api/3/action/package_search?q={q}"), &[]).result()["count"].as_u64().unwrap()
    };
    let count = |node: &TestServer| {
        node.get("/api/3/action/organization_show?id=org", &[]).result()["package_count"].as_u64().unwrap()
    };
    let mut delays = Vec::new();
    for (round, (writer, readers)) in [(&a, [&b, &c]), (&b, [&a, &c]), (&c, [&a, &b])].into_iter().enumerate()
    {
        let name = format!("round-{round}");
        // Warm every cache with the dataset's absence and the counts.
        for node in [&a, &b, &c] {
            assert_eq!(show(node, &name).status, 404);
            assert_eq!(count(node), round as u64);
        }
        let created = writer.action(
            "package_create",
            json!({"name": name, "owner_org": "org", "notes": format!("first{round}")}),
            Some(&token),
        );
        created.result();
        assert_eq!(show(writer, &name).result()["notes"], format!("first{round}"));
        for node in readers {
            delays.push(visible(node, "package_create in package_show", |n| show(n, &name).status == 200));
            delays.push(visible(node, "package_create in the counts", |n| count(n) == round as u64 + 1));
        }
        // Every reader has the dataset cached now; change it.
        writer
            .action("package_patch", json!({"id": name, "notes": format!("second{round}")}), Some(&token))
            .result();
        assert_eq!(show(writer, &name).result()["notes"], format!("second{round}"));
        assert_eq!(search(writer, &format!("second{round}")), 1);
        for node in readers {
            let notes = format!("second{round}");
            delays.push(visible(node, "package_patch in package_show", |n| {
                show(n, &name).result()["notes"] == notes
            }));
            delays.push(visible(node, "package_patch in package_search", |n| search(n, &notes) == 1));
        }
    }
    delays.sort();
    eprintln!(
        "cross-node visibility: median {:?}, slowest {:?}",
        delays[delays.len() / 2],
        delays[delays.len() - 1]
    );
}

#[test]
fn an_anonymous_callers_group_dict_is_kept_for_no_one_else_and_goes_stale_with_any_write() {
    let server = TestServer::start();
    server.org("org", &[]);
    server.org("empty-org", &[]);
    let (_, token) = server.user_with_token("admin", true);
    let create = |body: Value| server.action("package_create", body, Some(&token)).result();
    create(json!({"name": "open", "owner_org": "org"}));
    create(json!({"name": "closed", "owner_org": "org", "private": true}));
    let show = |id: &str, token: Option<&str>| {
        server.get(&format!("/api/3/action/organization_show?id={id}"), &headers(token))
    };
    let count = |token: Option<&str>| show("org", token).result()["package_count"].clone();
    // The anonymous dict, kept, is not what a sysadmin (who sees the private dataset) gets.
    assert_eq!(count(None), 1);
    assert_eq!(count(None), 1);
    assert_eq!(count(Some(&token)), 2);
    assert_eq!(count(None), 1);
    // Writes make it stale at once: a dataset counted, a new title, a group deleted.
    create(json!({"name": "second", "owner_org": "org"}));
    assert_eq!(count(None), 2);
    server.action("organization_patch", json!({"id": "org", "title": "Renamed"}), Some(&token)).result();
    assert_eq!(show("org", None).result()["title"], "Renamed");
    assert_eq!(show("empty-org", None).status, 200);
    server.action("organization_delete", json!({"id": "empty-org"}), Some(&token)).result();
    assert_eq!(show("empty-org", None).status, 404);
    assert_eq!(show("empty-org", Some(&token)).result()["state"], "deleted");
    assert_eq!(show("empty-org", None).status, 404);
    // A group's dict likewise; an organization is not found by group_show, kept or not.
    server.action("group_create", json!({"name": "grp", "title": "First"}), Some(&token)).result();
    let group = |id: &str| server.get(&format!("/api/3/action/group_show?id={id}"), &[]);
    assert_eq!(group("grp").result()["title"], "First");
    assert_eq!(group("org").status, 404);
    server.action("group_patch", json!({"id": "grp", "title": "Second"}), Some(&token)).result();
    assert_eq!(group("grp").result()["title"], "Second");
    assert_eq!(group("org").status, 404);
}
