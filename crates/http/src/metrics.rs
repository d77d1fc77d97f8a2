//! `/metrics`: counters kept with atomics on the request path, and the Prometheus text format
//! written by hand when scraped.
//!
//! Labels are drawn from fixed sets (action names datahavn knows, route patterns, a list of
//! status codes), so a client cannot grow the output, and nothing in it names a dataset.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use datahavn_actions::{ACTIONS, Services};
use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;

/// Route patterns other than actions, as `build_app` declares them.
const ROUTES: &[&str] = &[
    "/datastore/dump/{resource_id}",
    "/catalog",
    "/catalog.{format}",
    "/dataset/{id}.{format:(ttl|rdf|xml|jsonld|nt|n3)}",
    "/dataset/{id}",
    "/data.json",
    "/dataset/{id}/resource/{resource_id}/download",
    "/dataset/{id}/resource/{resource_id}/download/{filename}",
    "/{dataset_type}/{id}/resource/{resource_id}/download",
    "/{dataset_type}/{id}/resource/{resource_id}/download/{filename}",
    "/api",
    "/api/{version:[123]}",
    "/api/util/{kind}/{what}",
    "/api/2/util/{kind}/{what}",
    "/api/docs",
    "/api/docs/{_:.*}",
    "/healthz",
    "/metrics",
];

/// The pattern of the action route.
pub const ACTION_ROUTE: &str = "/api/3/action/{name}";

/// Status codes counted on their own; any other is counted as `other`.
const STATUSES: &[u16] = &[200, 204, 206, 301, 302, 304, 400, 403, 404, 405, 408, 409, 413, 429, 500, 503];

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Counters of one (endpoint, status): a count per bucket (not cumulative), beyond the last
/// bucket, and the sum of durations in microseconds.
struct Cell {
    buckets: [AtomicU64; BUCKETS.len() + 1],
    micros: AtomicU64,
}

impl Cell {
    fn new() -> Self {
        Self { buckets: std::array::from_fn(|_| AtomicU64::new(0)), micros: AtomicU64::new(0) }
    }
}

/// What an endpoint is: an action, another route, an unknown action name, or no route at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint(usize);

/// The process's counters.
pub struct Metrics {
    /// `ACTIONS` first, then `ROUTES`, then an unknown action, then unmatched paths.
    cells: Vec<Cell>,
    actions: HashMap<&'static str, usize>,
    started: std::time::Instant,
    rate_limited_ip: AtomicU64,
    rate_limited_token: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let endpoints = ACTIONS.len() + ROUTES.len() + 2;
        Self {
            cells: (0..endpoints * (STATUSES.len() + 1)).map(|_| Cell::new()).collect(),
            actions: ACTIONS.iter().enumerate().map(|(i, a)| (a.name, i)).collect(),
            started: std::time::Instant::now(),
            rate_limited_ip: AtomicU64::new(0),
            rate_limited_token: AtomicU64::new(0),
        }
    }

    fn unknown_action(&self) -> usize {
        ACTIONS.len() + ROUTES.len()
    }

    fn unmatched(&self) -> usize {
        ACTIONS.len() + ROUTES.len() + 1
    }

    /// The endpoint of a matched route pattern and, for the action route, the action's name.
    pub fn endpoint(&self, pattern: Option<&str>, action: Option<&str>) -> Endpoint {
        match pattern {
            Some(ACTION_ROUTE) => Endpoint(
                action.and_then(|name| self.actions.get(name).copied()).unwrap_or(self.unknown_action()),
            ),
            Some(pattern) => Endpoint(
                ROUTES.iter().position(|r| *r == pattern).map_or(self.unmatched(), |i| ACTIONS.len() + i),
            ),
            None => Endpoint(self.unmatched()),
        }
    }

    /// Counts one answered request.
    pub fn record(&self, endpoint: Endpoint, status: u16, took: Duration) {
        let status = STATUSES.iter().position(|s| *s == status).unwrap_or(STATUSES.len());
        let Some(cell) = self.cells.get(endpoint.0 * (STATUSES.len() + 1) + status) else { return };
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS.iter().position(|b| seconds <= *b).unwrap_or(BUCKETS.len());
        cell.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        cell.micros.fetch_add(u64::try_from(took.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Counts a request refused by a rate limit.
    pub fn rate_limited(&self, by_token: bool) {
        let counter = if by_token { &self.rate_limited_token } else { &self.rate_limited_ip };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn labels(&self, endpoint: usize) -> (&'static str, &'static str) {
        if let Some(action) = ACTIONS.get(endpoint) {
            (ACTION_ROUTE, action.name)
        } else if let Some(route) = ROUTES.get(endpoint - ACTIONS.len()) {
            (route, "")
        } else if endpoint == self.unknown_action() {
            (ACTION_ROUTE, "unknown")
        } else {
            ("unmatched", "")
        }
    }

    /// The request counters in Prometheus' text format.
    fn write_requests(&self, out: &mut String) {
        let mut counts = String::new();
        let mut histogram = String::new();
        for (i, cell) in self.cells.iter().enumerate() {
            let per_bucket: Vec<u64> = cell.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
            let total: u64 = per_bucket.iter().sum();
            if total == 0 {
                continue;
            }
            let (route, action) = self.labels(i / (STATUSES.len() + 1));
            let status = STATUSES.get(i % (STATUSES.len() + 1)).map_or("other".to_owned(), u16::to_string);
            let labels = format!("route=\"{}\",action=\"{action}\",status=\"{status}\"", escape(route));
            let _ = writeln!(counts, "datahavn_http_requests_total{{{labels}}} {total}");
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(&per_bucket) {
                cumulative += count;
                let _ = writeln!(
                    histogram,
                    "datahavn_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                histogram,
                "datahavn_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {total}"
            );
            let seconds = cell.micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(histogram, "datahavn_http_request_duration_seconds_sum{{{labels}}} {seconds}");
            let _ = writeln!(histogram, "datahavn_http_request_duration_seconds_count{{{labels}}} {total}");
        }
        help(
            out,
            "datahavn_http_requests_total",
            "counter",
            "HTTP requests answered, by route, action and status.",
        );
        out.push_str(&counts);
        help(
            out,
            "datahavn_http_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to its response's head, by route, action and status.",
        );
        out.push_str(&histogram);
        help(
            out,
            "datahavn_rate_limited_total",
            "counter",
            "Requests refused by a rate limit, by what was limited.",
        );
        let _ = writeln!(
            out,
            "datahavn_rate_limited_total{{limit=\"ip\"}} {}",
            self.rate_limited_ip.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "datahavn_rate_limited_total{{limit=\"token\"}} {}",
            self.rate_limited_token.load(Ordering::Relaxed)
        );
    }

    /// The whole exposition. Blocking: it asks the database for the change log's position and
    /// the jobs waiting or running.
    pub fn render(&self, services: &Services) -> String {
        let mut out = String::with_capacity(16 * 1024);
        self.write_requests(&mut out);

        let database = services.store.read(|tx| tx.last_change_seq());
        gauge(&mut out, "datahavn_database_up", "Whether the database answered this scrape (1) or not (0).");
        let _ = writeln!(out, "datahavn_database_up {}", u8::from(database.is_ok()));
        if let Ok(position) = &database {
            gauge(&mut out, "datahavn_change_log_position", "The newest change-log number in the database.");
            let _ = writeln!(out, "datahavn_change_log_position {position}");
        }
        if let Some(position) = services.search.position() {
            gauge(
                &mut out,
                "datahavn_search_index_position",
                "The newest change this process's search index applied.",
            );
            let _ = writeln!(out, "datahavn_search_index_position {position}");
            if let Ok(database) = &database {
                gauge(
                    &mut out,
                    "datahavn_search_index_pending",
                    "Changes committed to the database that this process's search index has not applied yet.",
                );
                let _ = writeln!(out, "datahavn_search_index_pending {}", (database - position).max(0));
            }
        }
        let pool = services.store.pool_state();
        gauge(
            &mut out,
            "datahavn_db_pool_connections",
            "Database connections open, by state (idle or in use).",
        );
        let _ = writeln!(out, "datahavn_db_pool_connections{{state=\"idle\"}} {}", pool.idle);
        let _ = writeln!(
            out,
            "datahavn_db_pool_connections{{state=\"in_use\"}} {}",
            pool.connections - pool.idle
        );
        gauge(&mut out, "datahavn_db_pool_max_connections", "The most connections the pool opens.");
        let _ = writeln!(out, "datahavn_db_pool_max_connections {}", pool.max);

        if let Some(cache) = &services.cache {
            write_cache(&mut out, cache.stats());
        }
        if database.is_ok() {
            self.write_jobs(&mut out, services);
        }
        if let Some(rss) = resident_bytes() {
            gauge(&mut out, "datahavn_process_resident_memory_bytes", "Resident memory of this process.");
            let _ = writeln!(out, "datahavn_process_resident_memory_bytes {rss}");
        }
        gauge(&mut out, "datahavn_process_uptime_seconds", "Seconds since this process started serving.");
        let _ = writeln!(out, "datahavn_process_uptime_seconds {}", self.started.elapsed().as_secs());
        out
    }

    /// Background jobs by queue, as `job_list` lists them (`default`: DataStore loads, `harvest`:
    /// harvest jobs), and harvest jobs by state.
    fn write_jobs(&self, out: &mut String, services: &Services) {
        let listed =
            datahavn_actions::call(services, Actor::Site, "job_list", &Params::new(serde_json::Map::new()));
        let jobs = match listed {
            Ok(jobs) => jobs,
            Err(error) => {
                log::warn!("metrics: cannot list jobs: {error}");
                return;
            }
        };
        let count = |queue: &str| {
            jobs.as_array().map_or(0, |jobs| jobs.iter().filter(|job| job["queue"] == queue).count())
        };
        gauge(
            out,
            "datahavn_background_jobs",
            "Background jobs waiting or running, by queue (as job_list lists them).",
        );
        for queue in ["default", "harvest"] {
            let _ = writeln!(out, "datahavn_background_jobs{{queue=\"{queue}\"}} {}", count(queue));
        }
        let states = services.store.read(|tx| {
            let new = tx.harvest_jobs(None, Some(datahavn_domain::harvest::job_status::NEW))?.len();
            let running = tx.harvest_jobs(None, Some(datahavn_domain::harvest::job_status::RUNNING))?.len();
            Ok::<_, datahavn_storage::StorageError>((new, running))
        });
        if let Ok((new, running)) = states {
            gauge(out, "datahavn_harvest_jobs", "Harvest jobs by state.");
            let _ = writeln!(out, "datahavn_harvest_jobs{{state=\"new\"}} {new}");
            let _ = writeln!(out, "datahavn_harvest_jobs{{state=\"running\"}} {running}");
        }
    }
}

/// The read cache's lookups, invalidations, evictions and size.
fn write_cache(out: &mut String, stats: datahavn_actions::cache::CacheStats) {
    help(out, "datahavn_cache_lookups_total", "counter", "Datasets looked up in the read cache, by result.");
    let _ = writeln!(out, "datahavn_cache_lookups_total{{result=\"hit\"}} {}", stats.hits);
    let _ = writeln!(out, "datahavn_cache_lookups_total{{result=\"miss\"}} {}", stats.misses);
    help(
        out,
        "datahavn_cache_invalidations_total",
        "counter",
        "Cached datasets forgotten because they changed (here or in another process).",
    );
    let _ = writeln!(out, "datahavn_cache_invalidations_total {}", stats.invalidations);
    help(
        out,
        "datahavn_cache_evictions_total",
        "counter",
        "Cached datasets forgotten to stay within the budget.",
    );
    let _ = writeln!(out, "datahavn_cache_evictions_total {}", stats.evictions);
    gauge(out, "datahavn_cache_entries", "Datasets held in the read cache.");
    let _ = writeln!(out, "datahavn_cache_entries {}", stats.entries);
    gauge(out, "datahavn_cache_bytes", "Bytes held in the read cache.");
    let _ = writeln!(out, "datahavn_cache_bytes {}", stats.bytes);
    gauge(out, "datahavn_cache_budget_bytes", "The most bytes the read cache holds (--cache-mb).");
    let _ = writeln!(out, "datahavn_cache_budget_bytes {}", stats.budget);
    gauge(out, "datahavn_cache_plain_entries", "Cached datasets read often enough to be kept unpacked too.");
    let _ = writeln!(out, "datahavn_cache_plain_entries {}", stats.plain_entries);
    gauge(
        out,
        "datahavn_cache_plain_bytes",
        "Bytes of the unpacked texts, beyond datahavn_cache_bytes (up to an eighth of the budget).",
    );
    let _ = writeln!(out, "datahavn_cache_plain_bytes {}", stats.plain_bytes);
}

fn help(out: &mut String, name: &str, kind: &str, text: &str) {
    let _ = writeln!(out, "# HELP {name} {text}\n# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, text: &str) {
    help(out, name, "gauge", text);
}

/// A label value as the text format wants it.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `VmRSS` of `/proc/self/status`, where there is one.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Who may read `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Clients on the loopback interface (the default), and holders of the token if one is set.
    #[default]
    Loopback,
    /// Anyone.
    Open,
    /// Holders of the token only (`Authorization: Bearer <token>`), else no one.
    TokenOnly,
    /// No one: `/metrics` answers 404.
    Off,
}

impl MetricsAccess {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "loopback" => Some(Self::Loopback),
            "open" => Some(Self::Open),
            "token" => Some(Self::TokenOnly),
            "off" => Some(Self::Off),
            _ => None,
        }
    }

    /// Whether a client at `client` presenting `bearer` may read the metrics.
    pub fn allows(&self, client: Option<IpAddr>, bearer: Option<&str>, token: Option<&str>) -> bool {
        let token_ok =
            matches!((bearer, token), (Some(sent), Some(wanted)) if constant_time_eq(sent, wanted));
        match self {
            Self::Open => true,
            Self::Off => false,
            Self::TokenOnly => token_ok,
            Self::Loopback => token_ok || client.is_some_and(|ip| ip.is_loopback()),
        }
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_land_in_their_bucket_and_cumulate() {
        let metrics = Metrics::new();
        let show = metrics.endpoint(Some(ACTION_ROUTE), Some("package_show"));
        metrics.record(show, 200, Duration::from_micros(500));
        metrics.record(show, 200, Duration::from_millis(30));
        metrics.record(metrics.endpoint(Some(ACTION_ROUTE), Some("no_such_action")), 400, Duration::ZERO);
        metrics.record(metrics.endpoint(None, None), 404, Duration::ZERO);
        let mut out = String::new();
        metrics.write_requests(&mut out);
        let labels = r#"route="/api/3/action/{name}",action="package_show",status="200""#;
        assert!(out.contains(&format!("datahavn_http_requests_total{{{labels}}} 2")), "{out}");
        assert!(
            out.contains(&format!(
                "datahavn_http_request_duration_seconds_bucket{{{labels},le=\"0.001\"}} 1"
            ))
        );
        assert!(
            out.contains(&format!("datahavn_http_request_duration_seconds_bucket{{{labels},le=\"0.05\"}} 2"))
        );
        assert!(out.contains(r#"action="unknown",status="400""#));
        assert!(out.contains(r#"route="unmatched",action="",status="404""#));
    }

    #[test]
    fn access_rules() {
        let local = Some(IpAddr::from([127, 0, 0, 1]));
        let remote = Some(IpAddr::from([192, 0, 2, 1]));
        assert!(MetricsAccess::Loopback.allows(local, None, None));
        assert!(!MetricsAccess::Loopback.allows(remote, None, None));
        assert!(MetricsAccess::Loopback.allows(remote, Some("s"), Some("s")));
        assert!(!MetricsAccess::TokenOnly.allows(local, Some("x"), Some("s")));
        assert!(!MetricsAccess::Off.allows(local, Some("s"), Some("s")));
        assert!(MetricsAccess::Open.allows(remote, None, None));
    }
}
