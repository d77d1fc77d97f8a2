//! datahavn's HTTP layer: the CKAN transport on actix-web, OpenAPI and Swagger UI.

mod catalog;
mod decode;
mod dispatch;
mod dump;
mod envelope;
mod files;
mod metrics;
mod multipart;
mod openapi;
mod ops;
mod rate_limit;
mod request_id;
mod util;

pub use metrics::MetricsAccess;
pub use rate_limit::{RateLimits, parse_per_minute};
pub use request_id::current_request_id;

use std::net::{IpAddr, TcpListener};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use datahavn_actions::Services;
use futures_util::future::{Either, ready};
use utoipa_swagger_ui::SwaggerUi;

use envelope::{bare_string, json_response};

/// Which browser origins may call the API (CKAN's `ckan.cors.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CorsPolicy {
    /// No CORS headers at all (CKAN's default).
    #[default]
    None,
    /// Any origin (`Access-Control-Allow-Origin: *`).
    AllowAll,
    /// These origins only.
    Origins(Vec<String>),
}

impl CorsPolicy {
    /// `*` allows all; a comma-separated list allows those; empty allows none.
    pub fn parse(text: &str) -> Self {
        let origins: Vec<String> = text
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        if origins.iter().any(|o| o == "*") {
            Self::AllowAll
        } else if origins.is_empty() {
            Self::None
        } else {
            Self::Origins(origins)
        }
    }

    fn allow(&self, origin: &str) -> Option<String> {
        match self {
            Self::None => None,
            Self::AllowAll => Some("*".into()),
            Self::Origins(list) => list.iter().any(|o| o == origin).then(|| origin.to_owned()),
        }
    }
}

/// How long the server waits for slow or idle clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// To receive a request's head (line and headers) once the connection is open or the
    /// previous request answered; past it: 408 and the connection closed.
    pub client_request: Duration,
    /// To receive a request's whole body; past it: 408.
    pub client_body: Duration,
    /// For a client to acknowledge the connection's shutdown before it is dropped.
    pub client_disconnect: Duration,
    /// An idle connection is kept open this long for the next request; zero closes it after
    /// each response.
    pub keep_alive: Duration,
}

impl Default for Timeouts {
    /// actix-web's own defaults, and a minute for a body.
    fn default() -> Self {
        Self {
            client_request: Duration::from_secs(5),
            client_body: Duration::from_secs(60),
            client_disconnect: Duration::from_secs(1),
            keep_alive: Duration::from_secs(5),
        }
    }
}

/// Transport settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Bodies larger than this are refused with 413.
    pub max_body_bytes: usize,
    pub cors: CorsPolicy,
    /// Requests per minute per client address and per API token (none by default).
    pub rate_limits: RateLimits,
    /// Peers whose `X-Forwarded-For` names the client (reverse proxies); none by default.
    pub trusted_proxies: Vec<IpAddr>,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
    /// A bearer token that may read `/metrics` from anywhere (unless `metrics` is `Off`).
    pub metrics_token: Option<String>,
    pub timeouts: Timeouts,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 10 * 1024 * 1024,
            cors: CorsPolicy::None,
            rate_limits: RateLimits::default(),
            trusted_proxies: Vec::new(),
            metrics: MetricsAccess::default(),
            metrics_token: None,
            timeouts: Timeouts::default(),
        }
    }
}

/// What every request handler shares.
pub struct AppState {
    pub services: Services,
    pub http: HttpConfig,
    /// Counters and rate-limit windows, shared by every worker.
    runtime: ops::Runtime,
}

impl AppState {
    pub fn new(services: Services, http: HttpConfig) -> Self {
        Self { services, http, runtime: ops::Runtime::default() }
    }
}

/// The OpenAPI document the server serves at `/api/3/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::document()
}

/// The whole application, for the server and for tests.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors = state.http.cors.clone();
    let observed = state.clone();
    App::new()
        .app_data(state)
        .route("/healthz", get_or_head().to(ops::healthz))
        .route("/metrics", web::get().to(ops::metrics))
        // Action names as they are sent (letters, digits, `_`) are matched without the router's
        // pattern matching; the route below takes every other name, escaped ones included.
        .service(
            web::scope(dispatch::ACTION_PREFIX)
                .guard(actix_web::guard::fn_guard(|ctx| {
                    dispatch::plain_action_name(ctx.head().uri.path()).is_some()
                }))
                .default_service(web::route().to(dispatch::plain_action)),
        )
        .route("/api/3/action/{name}", web::route().to(dispatch::action))
        .route("/datastore/dump/{resource_id}", web::get().to(dump::dump))
        .route("/catalog", web::get().to(catalog::catalog))
        .route("/catalog.{format}", web::get().to(catalog::catalog_as))
        .route("/dataset/{id}.{format:(ttl|rdf|xml|jsonld|nt|n3)}", web::get().to(catalog::dataset_as))
        .route("/dataset/{id}", web::get().to(catalog::dataset))
        .route("/data.json", web::get().to(catalog::data_json))
        .route("/dataset/{id}/resource/{resource_id}/download", get_or_head().to(files::download))
        .route("/dataset/{id}/resource/{resource_id}/download/{filename}", get_or_head().to(files::download))
        .route("/{dataset_type}/{id}/resource/{resource_id}/download", get_or_head().to(files::download))
        .route(
            "/{dataset_type}/{id}/resource/{resource_id}/download/{filename}",
            get_or_head().to(files::download),
        )
        .route("/api", web::get().to(|| version_document(1)))
        .route("/api/{version:[123]}", web::get().to(version_path))
        .route("/api/util/{kind}/{what}", web::get().to(util::util))
        .route("/api/2/util/{kind}/{what}", web::get().to(util::util))
        .route("/api/docs", web::get().to(|| async { redirect("/api/docs/") }))
        .service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/3/openapi.json", openapi::document()))
        .default_service(web::to(|| async { bare_string(StatusCode::NOT_FOUND, "Not found") }))
        .wrap_fn(move |request, service| {
            let origin = request
                .headers()
                .get(header::ORIGIN)
                .and_then(|v| v.to_str().ok())
                .and_then(|origin| cors.allow(origin));
            if request.method() == Method::OPTIONS && origin.is_some() {
                let mut response = HttpResponse::Ok().finish();
                add_cors_headers(response.headers_mut(), origin.as_deref());
                return Either::Left(ready(Ok(request.into_response(response).map_into_right_body())));
            }
            let call = actix_web::dev::Service::call(service, request);
            Either::Right(async move {
                let mut response = call.await?;
                add_cors_headers(response.headers_mut(), origin.as_deref());
                Ok(response.map_into_left_body())
            })
        })
        .wrap_fn(|mut request, service| {
            alias_unversioned_actions(&mut request);
            actix_web::dev::Service::call(service, request)
        })
        .wrap_fn(move |request, service| ops::observe(observed.clone(), request, service))
}

/// A route answering GET and HEAD.
fn get_or_head() -> actix_web::Route {
    web::route().guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
}

fn add_cors_headers(headers: &mut header::HeaderMap, origin: Option<&str>) {
    let Some(origin) = origin.and_then(|o| HeaderValue::from_str(o).ok()) else {
        return;
    };
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, PUT, GET, DELETE, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, X-CKAN-API-Key, X-Request-Id"),
    );
    // Browser apps may read the request id and their rate limit.
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(
            "X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After",
        ),
    );
}

/// `/api/action/<name>` is `/api/3/action/<name>`, as in CKAN.
fn alias_unversioned_actions(request: &mut ServiceRequest) {
    let path = request.path();
    if let Some(rest) = path.strip_prefix("/api/action/") {
        let mut target = format!("/api/3/action/{rest}");
        if let Some(query) = request.uri().query() {
            target.push('?');
            target.push_str(query);
        }
        if let Ok(uri) = target.parse::<Uri>() {
            request.match_info_mut().get_mut().update(&uri);
            request.head_mut().uri = uri;
        }
    }
}

async fn version_document(version: u8) -> HttpResponse {
    json_response(StatusCode::OK, &serde_json::json!({ "version": version }))
}

async fn version_path(request: HttpRequest) -> HttpResponse {
    let version = request.match_info().get("version").and_then(|v| v.parse().ok()).unwrap_or(3);
    version_document(version).await
}

fn redirect(to: &'static str) -> HttpResponse {
    HttpResponse::Found().insert_header((header::LOCATION, to)).finish()
}

/// Sends what an answer writes at once (`TCP_NODELAY`): a body written after its head is not held
/// back until the client acknowledges the head, which a client delaying its acknowledgements
/// (40 ms on Linux) would otherwise make every so often.
fn no_delay(connection: &dyn std::any::Any, _: &mut actix_web::dev::Extensions) {
    if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>()
        && let Err(error) = stream.set_nodelay(true)
    {
        log::debug!("TCP_NODELAY: {error}");
    }
}

/// Starts serving on an already bound listener; the server stops gracefully on SIGTERM/Ctrl-C.
pub fn serve(listener: TcpListener, state: AppState, workers: usize) -> std::io::Result<Server> {
    let timeouts = state.http.timeouts.clone();
    let state = web::Data::new(state);
    let keep_alive = if timeouts.keep_alive.is_zero() {
        actix_web::http::KeepAlive::Disabled
    } else {
        actix_web::http::KeepAlive::Timeout(timeouts.keep_alive)
    };
    let server = HttpServer::new(move || build_app(state.clone()))
        .on_connect(no_delay)
        .workers(workers.max(1))
        .client_request_timeout(timeouts.client_request)
        .client_disconnect_timeout(timeouts.client_disconnect)
        .keep_alive(keep_alive)
        .h1_write_buffer_size(dispatch::PIECE)
        .listen(listener)?
        .run();
    Ok(server)
}
