//! The catalogue for harvesters: `/catalog.{ttl,rdf,xml,jsonld,nt}` and `/dataset/{id}.{…}`
//! (DCAT-AP RDF through the `dcat_*` actions, also by content negotiation on `/catalog` and
//! `/dataset/{id}`), and `/data.json` (DCAT-US 1.1, the whole catalogue streamed page by page).

use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use datahavn_actions::{ActionError, Services, authenticate, call};
use datahavn_dcat::RdfFormat;
use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::AppState;
use crate::decode::parse_pairs;
use crate::dump::ChannelWriter;
use crate::envelope::{help_url, json_response, outcome};

fn failure(state: &AppState, action: &str, error: ActionError) -> HttpResponse {
    let (status, body) = outcome(help_url(&state.services.site.site_url, action), Err(error));
    json_response(status, &body)
}

/// Runs a `dcat_*` action for the request's caller and answers its RDF text.
async fn rdf(
    state: web::Data<AppState>,
    request: &HttpRequest,
    action: &'static str,
    format: RdfFormat,
    mut params: Map<String, Value>,
) -> HttpResponse {
    params.insert("format".into(), Value::String(format.extension().to_owned()));
    let token = crate::dispatch::token_header(request);
    let services = state.services.clone();
    let answer = crate::request_id::block(move || {
        let actor = match token {
            Some(token) => authenticate(&services, &token)?,
            None => Actor::Anonymous,
        };
        call(&services, actor, action, &Params::new(params))
    })
    .await
    .unwrap_or_else(|e| Err(ActionError::Internal(format!("worker failed: {e}"))));
    match answer {
        Ok(Value::String(text)) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, format!("{}; charset=utf-8", format.media_type())))
            .body(text),
        Ok(other) => failure(&state, action, ActionError::Internal(format!("unexpected answer {other}"))),
        Err(error) => failure(&state, action, error),
    }
}

/// The query parameters a catalogue page takes.
fn catalog_params(request: &HttpRequest) -> Result<Map<String, Value>, String> {
    let pairs = parse_pairs(request.query_string()).map_err(|e| e.message())?;
    let mut params = Map::new();
    for (key, value) in pairs {
        if matches!(key.as_str(), "page" | "modified_since" | "q" | "fq" | "profiles") {
            params.insert(key, Value::String(value));
        }
    }
    Ok(params)
}

fn unknown_format(state: &AppState, action: &str, name: &str) -> HttpResponse {
    failure(state, action, ActionError::field("format", format!("Unknown RDF format {name:?}")))
}

/// `GET /catalog.{format}`
pub async fn catalog_as(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let name = path.into_inner();
    let Some(format) = RdfFormat::from_extension(&name) else {
        return unknown_format(&state, "dcat_catalog_show", &name);
    };
    match catalog_params(&request) {
        Ok(params) => rdf(state, &request, "dcat_catalog_show", format, params).await,
        Err(message) => crate::envelope::bare_string(StatusCode::BAD_REQUEST, &message),
    }
}

/// `GET /catalog`: the format the `Accept` header asks for (RDF/XML when it names none).
pub async fn catalog(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    let format = negotiated(&request).unwrap_or(RdfFormat::RdfXml);
    match catalog_params(&request) {
        Ok(params) => rdf(state, &request, "dcat_catalog_show", format, params).await,
        Err(message) => crate::envelope::bare_string(StatusCode::BAD_REQUEST, &message),
    }
}

fn negotiated(request: &HttpRequest) -> Option<RdfFormat> {
    request.headers().get(ACCEPT).and_then(|v| v.to_str().ok()).and_then(RdfFormat::negotiate)
}

/// `GET /dataset/{id}.{format}`
pub async fn dataset_as(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (id, name) = path.into_inner();
    let Some(format) = RdfFormat::from_extension(&name) else {
        return unknown_format(&state, "dcat_dataset_show", &name);
    };
    let mut params = Map::new();
    params.insert("id".into(), Value::String(id));
    rdf(state, &request, "dcat_dataset_show", format, params).await
}

/// `GET /dataset/{id}` with an `Accept` header naming an RDF format; anything else is not
/// served here (no HTML pages).
pub async fn dataset(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let Some(format) = negotiated(&request) else {
        return crate::envelope::bare_string(StatusCode::NOT_FOUND, "Not found");
    };
    let mut params = Map::new();
    params.insert("id".into(), Value::String(path.into_inner()));
    rdf(state, &request, "dcat_dataset_show", format, params).await
}

/// Datasets read from the search at a time for `/data.json`.
const DATA_JSON_PAGE: u64 = 500;

/// Writes every public dataset as DCAT-US 1.1, page by page of `package_search` in id order.
fn write_data_json(services: &Services, out: &mut ChannelWriter) -> Result<(), String> {
    let site = &services.site;
    let contact = site.contact_email.clone().unwrap_or_else(|| "webmaster@localhost.localdomain".into());
    let info = datahavn_datajson::CatalogInfo::new(&site.site_url, &site.title(), &contact)
        .map_err(|e| format!("the site's description: {e} (see --site-url and --site-contact-email)"))?
        .with_language(&site.locale_default);
    let mut writer =
        datahavn_datajson::CatalogWriter::new(&info, std::io::BufWriter::with_capacity(64 * 1024, out))
            .map_err(|e| e.to_string())?;
    let mut start = 0;
    loop {
        let mut params = Map::new();
        params.insert("q".into(), json!("*:*"));
        params.insert("fq".into(), json!("-dataset_type:harvest"));
        params.insert("rows".into(), json!(DATA_JSON_PAGE));
        params.insert("start".into(), json!(start));
        params.insert("sort".into(), json!("id asc"));
        let found = call(services, Actor::Anonymous, "package_search", &Params::new(params))
            .map_err(|e| e.to_string())?;
        let empty = Vec::new();
        let results = found.get("results").and_then(Value::as_array).unwrap_or(&empty);
        for dataset in results {
            if let Err(error) = writer.dataset(dataset) {
                log::warn!(
                    "dataset {} left out of data.json: {error}",
                    dataset.get("id").unwrap_or(&Value::Null)
                );
            }
        }
        if (results.len() as u64) < DATA_JSON_PAGE {
            break;
        }
        start += DATA_JSON_PAGE;
    }
    let mut out = writer.finish().map_err(|e| e.to_string())?;
    std::io::Write::flush(&mut out).map_err(|e| e.to_string())
}

/// `GET /data.json`
pub async fn data_json(state: web::Data<AppState>) -> HttpResponse {
    let services = state.services.clone();
    let (sender, mut receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    std::thread::spawn(move || {
        let mut writer = ChannelWriter::new(sender.clone());
        let written = write_data_json(&services, &mut writer);
        let result = written.and_then(|()| std::io::Write::flush(&mut writer).map_err(|e| e.to_string()));
        if let Err(message) = result {
            log::warn!("data.json stopped: {message}");
            let _ = sender.blocking_send(Err(std::io::Error::other(message)));
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx));
    HttpResponse::Ok().insert_header((CONTENT_TYPE, "application/json; charset=utf-8")).streaming(body)
}
