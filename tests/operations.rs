//! What operators rely on: `/metrics`, request ids, rate limits, 503 while the database is
//! unreachable, `/healthz` — on a real server over HTTP, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod binary;
mod common;

use std::io::Read;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Options, Reply, TestServer};
use datahavn_http::{HttpConfig, MetricsAccess, RateLimits};
use datahavn_storage::DatabaseUrl;
use serde_json::json;

/// The value of the sample `line_start` (a metric name with its labels) in an exposition.
fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(line_start)?.strip_prefix(' ')?.parse().ok())
}

fn requests_of(text: &str, action: &str, status: u16) -> f64 {
    let key = format!(
        "datahavn_http_requests_total{{route=\"/api/3/action/{{name}}\",action=\"{action}\",status=\"{status}\"}}"
    );
    sample(text, &key).unwrap_or(0.0)
}

fn scrape(server: &TestServer) -> String {
    let reply = server.get("/metrics", &[]);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.content_type.starts_with("text/plain; version=0.0.4"), "{}", reply.content_type);
    reply.text
}

#[test]
fn metrics_count_requests_by_action_and_status_and_report_the_catalogue_state() {
    let server = TestServer::start();
    let org = server.org("city", &[]);
    let hidden = server.as_site(
        "package_create",
        json!({"name": "hidden-parking-plan", "title": "Hidden parking plan", "owner_org": org, "private": true}),
    );
    let hidden_id = hidden["id"].as_str().unwrap().to_owned();

    let before = scrape(&server);
    for _ in 0..3 {
        assert_eq!(server.get("/api/3/action/status_show", &[]).status, 200);
    }
    // Anonymous callers may not see the private dataset; the refusal is counted, not named.
    let refused = server.get("/api/3/action/package_show?id=hidden-parking-plan", &[]);
    assert!(matches!(refused.status, 403 | 404), "{}", refused.status);
    assert_eq!(server.get("/api/3/action/no_such_action", &[]).status, 400);
    assert_eq!(server.get("/no/such/page", &[]).status, 404);
    let after = scrape(&server);

    assert_eq!(requests_of(&after, "status_show", 200) - requests_of(&before, "status_show", 200), 3.0);
    assert_eq!(requests_of(&after, "package_show", refused.status), 1.0);
    assert_eq!(requests_of(&after, "unknown", 400), 1.0, "{after}");
    assert_eq!(
        sample(&after, "datahavn_http_requests_total{route=\"unmatched\",action=\"\",status=\"404\"}"),
        Some(1.0)
    );
    let labels = "route=\"/api/3/action/{name}\",action=\"status_show\",status=\"200\"";
    let count = sample(&after, &format!("datahavn_http_request_duration_seconds_count{{{labels}}}")).unwrap();
    let inf =
        sample(&after, &format!("datahavn_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}}"))
            .unwrap();
    assert_eq!(count, inf);
    assert!(count >= 3.0);
    assert!(after.contains("# TYPE datahavn_http_request_duration_seconds histogram"));

    assert_eq!(sample(&after, "datahavn_database_up"), Some(1.0));
    let position = sample(&after, "datahavn_change_log_position").unwrap();
    assert!(position >= 1.0, "the dataset's change");
    assert!(sample(&after, "datahavn_search_index_pending").is_some(), "{after}");
    assert!(sample(&after, "datahavn_db_pool_max_connections").unwrap() >= 1.0);
    assert!(sample(&after, "datahavn_db_pool_connections{state=\"idle\"}").is_some());
    assert_eq!(sample(&after, "datahavn_background_jobs{queue=\"default\"}"), Some(0.0));
    assert_eq!(sample(&after, "datahavn_background_jobs{queue=\"harvest\"}"), Some(0.0));
    if cfg!(target_os = "linux") {
        assert!(sample(&after, "datahavn_process_resident_memory_bytes").unwrap() > 1e6);
    }
    // Nothing names or counts the private dataset.
    for secret in ["hidden-parking-plan", hidden_id.as_str(), "Hidden parking plan", "city"] {
        assert!(!after.contains(secret), "/metrics reveals {secret}");
    }
    // Every line is a comment or a sample with a numeric value.
    for line in after.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "not a sample: {line}");
    }
}

#[test]
fn metrics_access_follows_the_setting() {
    let token_only = TestServer::start_with(Options {
        http: HttpConfig {
            metrics: MetricsAccess::TokenOnly,
            metrics_token: Some("scrape-secret".into()),
            ..HttpConfig::default()
        },
        ..Options::default()
    });
    assert_eq!(token_only.get("/metrics", &[]).status, 403);
    assert_eq!(token_only.get("/metrics", &[("Authorization", "Bearer wrong")]).status, 403);
    assert_eq!(token_only.get("/metrics", &[("Authorization", "Bearer scrape-secret")]).status, 200);

    let off = TestServer::start_with(Options {
        http: HttpConfig { metrics: MetricsAccess::Off, ..HttpConfig::default() },
        ..Options::default()
    });
    assert_eq!(off.get("/metrics", &[]).status, 404);
}

fn request_id(reply: &Reply) -> String {
    reply.header("x-request-id").unwrap_or_else(|| panic!("no X-Request-Id: {:?}", reply.headers)).to_owned()
}

#[test]
fn every_response_carries_a_request_id_sent_ones_are_kept_when_sane() {
    let server = TestServer::start();
    let first = request_id(&server.get("/api/3/action/status_show", &[]));
    let second = request_id(&server.get("/api/3/action/status_show", &[]));
    assert_eq!(first.len(), 32);
    assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(first, second);

    let sent = "client-7f3a/retry-2";
    assert_eq!(request_id(&server.get("/api/3/action/status_show", &[("X-Request-Id", sent)])), sent);
    let longest = "r".repeat(128);
    assert_eq!(request_id(&server.get("/api/3/action/site_read", &[("X-Request-Id", &longest)])), longest);

    for insane in ["r".repeat(129), "has a space".to_owned(), String::new()] {
        let id = request_id(&server.get("/api/3/action/site_read", &[("X-Request-Id", &insane)]));
        assert_ne!(id, insane);
        assert_eq!(id.len(), 32, "a generated id instead of {insane:?}");
    }

    // Errors too: CKAN envelopes, bare strings, unmatched paths.
    let refused = server.action("package_create", json!({}), None);
    assert!(refused.status >= 400);
    assert_eq!(request_id(&refused).len(), 32);
    let not_found = server.get("/api/3/action/package_show?id=nothing-here", &[("X-Request-Id", "nf-1")]);
    assert_eq!((not_found.status, request_id(&not_found).as_str()), (404, "nf-1"));
    let unknown = server.get("/api/3/action/no_such_action", &[("X-Request-Id", "unknown-1")]);
    assert_eq!((unknown.status, request_id(&unknown).as_str()), (400, "unknown-1"));
    let page = server.get("/nothing/here", &[("X-Request-Id", "page-1")]);
    assert_eq!((page.status, request_id(&page).as_str()), (404, "page-1"));
}

#[test]
fn rate_limits_are_off_by_default() {
    let server = TestServer::start();
    for _ in 0..40 {
        let reply = server.get("/api/3/action/site_read", &[]);
        assert_eq!(reply.status, 200);
        assert!(reply.header("ratelimit-limit").is_none());
    }
}

fn assert_limited(reply: &Reply, limit: &str, per: &str) {
    assert_eq!(reply.status, 429, "{}", reply.text);
    let error = reply.error();
    assert_eq!(error["__type"], "Rate Limit Error");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains(per), "{message}");
    let body = reply.json();
    assert!(body["help"].as_str().unwrap().contains("help_show"), "{body}");
    assert_eq!(reply.header("ratelimit-limit"), Some(limit));
    assert_eq!(reply.header("ratelimit-remaining"), Some("0"));
    let reset: u64 = reply.header("ratelimit-reset").unwrap().parse().unwrap();
    let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&reset), "{reset}");
    assert_eq!(retry, reset);
}

#[test]
fn rate_limits_count_addresses_and_tokens_separately() {
    let server = TestServer::start_with(Options {
        http: HttpConfig {
            rate_limits: RateLimits { per_ip: Some(3), per_token: Some(5) },
            ..HttpConfig::default()
        },
        ..Options::default()
    });
    let (_, token) = server.user_with_token("appmaker", false);
    let (_, other_token) = server.user_with_token("othermaker", false);

    for remaining in ["2", "1", "0"] {
        let reply = server.get("/api/3/action/site_read", &[]);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("ratelimit-limit"), Some("3"));
        assert_eq!(reply.header("ratelimit-remaining"), Some(remaining));
    }
    assert_limited(&server.get("/api/3/action/site_read", &[]), "3", "client address");
    // POSTs and other routes count against the same address.
    assert_eq!(server.action("site_read", json!({}), None).status, 429);
    // Probes are never limited.
    assert_eq!(server.get("/healthz", &[]).status, 200);

    // A token has its own budget, whatever its address spent.
    for _ in 0..5 {
        assert_eq!(server.get("/api/3/action/site_read", &[("Authorization", &token)]).status, 200);
    }
    let limited = server.get("/api/3/action/site_read", &[("Authorization", &format!("Bearer {token}"))]);
    assert_limited(&limited, "5", "API token");
    // Another token is another budget; a token that does not verify counts as its address.
    let other = server.get("/api/3/action/site_read", &[("X-CKAN-API-Key", &other_token)]);
    assert_eq!((other.status, other.header("ratelimit-remaining")), (200, Some("4")));
    assert_eq!(server.get("/api/3/action/site_read", &[("Authorization", "not-a-token")]).status, 429);

    let metrics = scrape(&server);
    assert!(sample(&metrics, "datahavn_rate_limited_total{limit=\"ip\"}").unwrap() >= 3.0);
    assert_eq!(sample(&metrics, "datahavn_rate_limited_total{limit=\"token\"}"), Some(1.0));
}

/// A TCP relay to PostgreSQL that a test can cut (every connection dropped, new ones closed at
/// once, as while the server restarts) and restore.
struct Relay {
    addr: SocketAddr,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let down = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (relay_down, relay_open) = (down.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                // Checked and recorded under the lock `cut` takes, so that no connection made
                // while it cuts escapes it.
                let mut open = relay_open.lock().unwrap();
                if relay_down.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else { continue };
                open.push(client.try_clone().unwrap());
                open.push(server.try_clone().unwrap());
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Self { addr, down, open }
    }

    fn cut(&self) {
        let mut open = self.open.lock().unwrap();
        self.down.store(true, Ordering::SeqCst);
        for stream in open.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if std::io::Write::write_all(&mut to, &buffer[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// `postgres://user@host:port/db` with `host:port` replaced by `addr`, and that host and port.
fn through(url: &str, addr: SocketAddr) -> (String, SocketAddr) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let (user, host) = authority.rsplit_once('@').map_or(("", authority), |(u, h)| (u, h));
    let host = if host.contains(':') { host.to_owned() } else { format!("{host}:5432") };
    let upstream = host.to_socket_addrs().unwrap().next().unwrap();
    let user = if user.is_empty() { String::new() } else { format!("{user}@") };
    (format!("{scheme}://{user}{addr}/{path}"), upstream)
}

#[test]
fn while_postgresql_is_unreachable_answers_are_503_with_retry_after_and_nothing_half_written() {
    let probe = datahavn_storage::testing::TestDb::new();
    if !probe.is_postgres() {
        return; // SQLite: see `a_locked_sqlite_database_is_503_and_healthz_stays_ok`.
    }
    drop(probe);
    let relay: Arc<Mutex<Option<Relay>>> = Arc::default();
    let made = relay.clone();
    let server = TestServer::start_with(Options {
        reroute: Some(Box::new(move |url: &DatabaseUrl| {
            let DatabaseUrl::Postgres(text) = url else { unreachable!() };
            let (_, upstream) = through(text, "127.0.0.1:1".parse().unwrap());
            let started = Relay::start(upstream);
            let (proxied, _) = through(text, started.addr);
            *made.lock().unwrap() = Some(started);
            DatabaseUrl::parse(&proxied).unwrap()
        })),
        ..Options::default()
    });
    let (_, token) = server.user_with_token("publisher", true);
    let org = server.org("harbour", &[]);
    assert_eq!(server.get("/api/3/action/package_list", &[]).status, 200);
    assert_eq!(server.get("/api/3/action/package_list?limit=10", &[]).status, 200);
    let healthy = server.get("/healthz", &[]);
    assert_eq!((healthy.status, healthy.json()), (200, json!({"database": "ok", "search_index": "ok"})));

    relay.lock().unwrap().as_ref().unwrap().cut();
    let started = Instant::now();
    // What the read cache holds is still answered (the whole name list); a page is read.
    assert_eq!(server.get("/api/3/action/package_list", &[]).status, 200);
    let read = server.get("/api/3/action/package_list?limit=10", &[("X-Request-Id", "outage-read")]);
    assert_eq!(read.status, 503, "{}", read.text);
    assert_eq!(read.error()["__type"], "Service Unavailable");
    let message = read.error()["message"].as_str().unwrap().to_owned();
    assert!(
        !message.contains("127.0.0.1") && !message.contains("connect"),
        "the cause is not shown: {message}"
    );
    assert_eq!(read.header("retry-after"), Some("5"));
    assert_eq!(read.header("x-request-id"), Some("outage-read"));
    assert!(started.elapsed() < Duration::from_secs(15));

    let write = server.action(
        "package_create",
        json!({"name": "written-in-the-outage", "owner_org": org}),
        Some(&token),
    );
    assert_eq!(write.status, 503, "{}", write.text);
    assert!(write.header("retry-after").is_some());

    let health = server.get("/healthz", &[]);
    assert_eq!(health.status, 503);
    assert_eq!(health.json(), json!({"database": "unavailable", "search_index": "ok"}));
    assert!(health.header("retry-after").is_some());
    let status = server.get("/api/3/action/status_show", &[]);
    assert_eq!(status.status, 200, "status_show says what is down: {}", status.text);
    assert_eq!(status.result()["database"], "unavailable");
    assert_eq!(status.result()["search_index"]["status"], "ok");

    relay.lock().unwrap().as_ref().unwrap().restore();
    assert_eq!(server.get("/healthz", &[]).status, 200);
    assert_eq!(server.get("/api/3/action/status_show", &[]).result()["database"], "ok");
    // The refused write left nothing behind; the same write now succeeds.
    assert_eq!(server.get("/api/3/action/package_show?id=written-in-the-outage", &[]).status, 404);
    let retried = server.action(
        "package_create",
        json!({"name": "written-in-the-outage", "owner_org": org}),
        Some(&token),
    );
    assert_eq!(retried.status, 200, "{}", retried.text);
}

#[test]
fn a_locked_sqlite_database_is_503_and_healthz_stays_ok() {
    let server = TestServer::start();
    let DatabaseUrl::Sqlite(path) = server.services.store.url().clone() else {
        return; // PostgreSQL: see the test above.
    };
    let (_, token) = server.user_with_token("publisher", true);
    let org = server.org("harbour", &[]);
    // Keep a write token fresh so the request's only write is the one it asks for.
    assert_eq!(server.get("/api/3/action/package_list", &[("Authorization", &token)]).status, 200);

    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    let mut holder = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    holder.batch_execute("BEGIN EXCLUSIVE").unwrap();
    let write =
        server.action("package_create", json!({"name": "while-locked", "owner_org": org}), Some(&token));
    assert_eq!(write.status, 503, "{}", write.text);
    assert_eq!(write.error()["__type"], "Service Unavailable");
    assert_eq!(write.header("retry-after"), Some("5"));
    // Readers still read (WAL): the database is reachable, only busy.
    assert_eq!(server.get("/healthz", &[]).status, 200);
    holder.batch_execute("ROLLBACK").unwrap();

    assert_eq!(server.get("/api/3/action/package_show?id=while-locked", &[]).status, 404);
    let retried =
        server.action("package_create", json!({"name": "while-locked", "owner_org": org}), Some(&token));
    assert_eq!(retried.status, 200, "{}", retried.text);
}

#[test]
fn healthz_and_status_show_report_both_parts() {
    let server = TestServer::start();
    let reply = server.get("/healthz", &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"database": "ok", "search_index": "ok"}));
    assert_eq!(server.request("HEAD", "/healthz", &[]).status, 200);
    let status = server.get("/api/3/action/status_show", &[]).result();
    assert_eq!(status["database"], "ok");
    assert_eq!(status["search_index"]["status"], "ok");
    assert_eq!(status["search_index"]["pending"], 0);
    assert_eq!(status["search_index"]["position"], status["search_index"]["database_position"]);
}

#[test]
fn json_logs_carry_the_request_id_on_every_line_of_a_request() {
    let site = binary::Site::with_admin();
    let token = site.admin_token();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bind = format!("127.0.0.1:{port}");
    let log_path = site.dir.path().join("serve.log");
    let mut child = site
        .command(&["--log-format", "json", "serve", "--bind", &bind])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let deadline = Instant::now() + Duration::from_secs(30);
    while agent.get(format!("http://{bind}/healthz")).call().is_err() {
        assert!(Instant::now() < deadline, "no server: {}", std::fs::read_to_string(&log_path).unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    let response = agent
        .post(format!("http://{bind}/api/3/action/user_create"))
        .header("Authorization", &token)
        .header("X-Request-Id", "trace-me-42")
        .header("Content-Type", "application/json")
        .send(json!({"name": "jane", "email": "jane@example.org", "password": "a-long-password"}).to_string())
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let _ = child.kill();
    let _ = child.wait();

    let log = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}")))
        .collect();
    for line in &lines {
        for key in ["time", "level", "target", "message"] {
            assert!(line[key].is_string(), "{key} missing: {line}");
        }
    }
    let traced: Vec<&serde_json::Value> = lines.iter().filter(|l| l["request_id"] == "trace-me-42").collect();
    // The action's own line (written on a blocking thread) and the access line.
    assert!(traced.iter().any(|l| l["message"].as_str().unwrap().contains("user jane created")), "{log}");
    assert!(
        traced.iter().any(|l| l["target"] == "datahavn::access"
            && l["message"].as_str().unwrap().contains("\"POST /api/3/action/user_create\" 200")),
        "{log}"
    );
    assert!(!log.contains(&token), "the log shows a token");
    assert!(!log.contains("a-long-password"));
}

/// Sends `head` (and nothing more) on a new connection; the status line that comes back.
fn status_after_silence(server: &TestServer, head: &str) -> String {
    let addr = server.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    std::io::Write::write_all(&mut stream, head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned()
}

#[test]
fn slow_clients_get_408() {
    let server = TestServer::start_with(Options {
        http: HttpConfig {
            timeouts: datahavn_http::Timeouts {
                client_request: Duration::from_secs(1),
                client_body: Duration::from_secs(1),
                ..datahavn_http::Timeouts::default()
            },
            ..HttpConfig::default()
        },
        ..Options::default()
    });
    let started = Instant::now();
    // A head that never ends.
    let line = status_after_silence(&server, "POST /api/3/action/site_read HTTP/1.1\r\nHost: x\r\n");
    assert!(line.contains("408"), "{line}");
    // A body announced and never sent.
    let line = status_after_silence(
        &server,
        "POST /api/3/action/site_read HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{",
    );
    assert!(line.contains("408"), "{line}");
    assert!(started.elapsed() < Duration::from_secs(8));
}
