//! What operators need around every request: the request id, the access line, the counters
//! of `/metrics`, rate limits; and the `/healthz` and `/metrics` endpoints.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::AppState;
use crate::envelope::{bare_string, help_url, json_response};
use crate::metrics::{ACTION_ROUTE, Metrics};
use crate::rate_limit::{Decision, Key, Limiter, client_address};
use crate::request_id;

/// What the request path shares across workers.
#[derive(Default)]
pub struct Runtime {
    pub metrics: Metrics,
    pub limiter: Limiter,
}

/// The action a path names, before or after `/api/action/` is aliased.
fn action_of(path: &str) -> Option<&str> {
    path.strip_prefix("/api/3/action/").or_else(|| path.strip_prefix("/api/action/"))
}

/// The address requests of this client are counted and logged under.
pub fn client_of(
    state: &AppState,
    head: &actix_web::dev::RequestHead,
    peer: Option<IpAddr>,
) -> Option<IpAddr> {
    let forwarded = head.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    client_address(peer, forwarded, &state.http.trusted_proxies)
}

/// Counts the request against its limit: its token's when it carries a valid one and tokens
/// are limited, else its address's when addresses are. `None`: not limited.
fn limit(state: &AppState, request: &ServiceRequest, client: Option<IpAddr>) -> Option<(Decision, bool)> {
    let limits = &state.http.rate_limits;
    if limits.is_off() || matches!(request.path(), "/healthz" | "/metrics") {
        return None;
    }
    if let Some(per_token) = limits.per_token {
        let jti = crate::dispatch::token_in(request.headers()).and_then(|value| {
            let token =
                value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).unwrap_or(&value);
            state.services.tokens.decode(token.trim())
        });
        if let Some(jti) = jti {
            return Some((state.runtime.limiter.check(Key::Token(jti), per_token), true));
        }
    }
    let per_ip = limits.per_ip?;
    Some((state.runtime.limiter.check(Key::Ip(client?), per_ip), false))
}

/// The 429 answer: CKAN's error envelope.
fn too_many(state: &AppState, path: &str, decision: Decision, by_token: bool) -> HttpResponse {
    let help = help_url(&state.services.site.site_url, action_of(path).unwrap_or("help_show"));
    let per = if by_token { "API token" } else { "client address" };
    let body = json!({
        "help": help,
        "error": {
            "__type": "Rate Limit Error",
            "message": format!(
                "Too many requests: at most {} a minute per {per}; try again in {} seconds",
                decision.limit, decision.reset
            ),
        },
        "success": false,
    });
    let mut response = json_response(StatusCode::TOO_MANY_REQUESTS, &body);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(decision.reset));
    response
}

fn add_limit_headers(headers: &mut header::HeaderMap, decision: Decision) {
    headers.insert(HeaderName::from_static("ratelimit-limit"), HeaderValue::from(decision.limit));
    headers.insert(HeaderName::from_static("ratelimit-remaining"), HeaderValue::from(decision.remaining));
    headers.insert(HeaderName::from_static("ratelimit-reset"), HeaderValue::from(decision.reset));
}

/// Wraps the whole application: assigns the request id, refuses requests over their rate
/// limit, and once the response head is ready adds the headers, counts the request and writes
/// the access line (client, method, path without the query string, status, size, duration).
pub fn observe<S, B>(
    state: web::Data<AppState>,
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error>> + use<S, B>
where
    S: actix_web::dev::Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    let started = Instant::now();
    let id = request_id::sent(request.headers()).unwrap_or_else(request_id::generate);
    let client = client_of(&state, request.head(), request.peer_addr().map(|a| a.ip()));
    let method = request.method().clone();
    let path = request.path().to_owned();
    let decision = limit(&state, &request, client);
    let call = match decision {
        Some((decision, by_token)) if !decision.allowed => {
            state.runtime.metrics.rate_limited(by_token);
            let response = too_many(&state, &path, decision, by_token);
            Err(request.into_response(response).map_into_right_body())
        }
        _ => Ok(service.call(request)),
    };
    request_id::scope(id.clone(), async move {
        let mut response = match call {
            Err(refused) => refused,
            Ok(call) => call.await?.map_into_left_body(),
        };
        let took = started.elapsed();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&id) {
            headers.insert(HeaderName::from_static(request_id::HEADER), value);
        }
        if let Some((decision, _)) = decision {
            add_limit_headers(headers, decision);
        }
        let status = response.status();
        let metrics = &state.runtime.metrics;
        let endpoint = match action_of(&path) {
            Some(action) => metrics.endpoint(Some(ACTION_ROUTE), Some(action)),
            None => metrics.endpoint(response.request().match_pattern().as_deref(), None),
        };
        metrics.record(endpoint, status.as_u16(), took);
        if log::log_enabled!(target: ACCESS, log::Level::Info) {
            let size = match response.response().body().size() {
                BodySize::Sized(n) => n.to_string(),
                _ => "-".to_owned(),
            };
            let client = client.map_or_else(|| "-".to_owned(), |ip| ip.to_string());
            log::info!(
                target: ACCESS,
                "{client} \"{method} {path}\" {} {size} {:.3}ms",
                status.as_u16(),
                took.as_secs_f64() * 1000.0
            );
        }
        Ok(response)
    })
}

/// The log target of access lines.
pub const ACCESS: &str = "datahavn::access";

/// How long `/healthz` waits for a database connection.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// `/healthz`: 200 `{"database": "ok", "search_index": "ok"}` when both answer, else 503 with
/// `unavailable` beside what failed (the cause goes to the log only).
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let services = state.services.clone();
    let health = request_id::block(move || datahavn_actions::health(&services, PROBE_TIMEOUT)).await;
    let Ok(health) = health else {
        return bare_string(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
    };
    if let Err(cause) = &health.database {
        log::warn!("healthz: database: {cause}");
    }
    if let Err(cause) = &health.search_index {
        log::warn!("healthz: search index: {cause}");
    }
    let status = if health.is_ok() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    json_response(
        status,
        &json!({"database": health.database_word(), "search_index": health.search_index_word()}),
    )
}

/// `/metrics` in Prometheus' text format, for whom `--metrics` lets read it.
pub async fn metrics(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    let access = &state.http.metrics;
    if *access == crate::metrics::MetricsAccess::Off {
        return bare_string(StatusCode::NOT_FOUND, "Not found");
    }
    let client = client_of(&state, request.head(), request.peer_addr().map(|a| a.ip()));
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if !access.allows(client, bearer, state.http.metrics_token.as_deref()) {
        return bare_string(StatusCode::FORBIDDEN, "Access denied");
    }
    let shared: Arc<AppState> = state.into_inner();
    let text = request_id::block(move || shared.runtime.metrics.render(&shared.services)).await;
    match text {
        Ok(text) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(text),
        Err(error) => {
            log::error!("metrics: {error}");
            bare_string(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}
