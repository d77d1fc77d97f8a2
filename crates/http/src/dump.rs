//! `/datastore/dump/{resource_id}`: a DataStore table as CSV, TSV, JSON or XML, streamed from a
//! database cursor to the client in chunks — never the whole table in memory.

use std::io::Write;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use datahavn_actions::datastore::search_for_dump;
use datahavn_actions::{ActionError, Context, authenticate};
use datahavn_datastore::DumpFormat;
use datahavn_domain::params::{Params, parse_bool};
use datahavn_domain::user::Actor;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::AppState;
use crate::decode::parse_pairs;
use crate::envelope::{help_url, json_response, outcome};

/// Bytes handed to the client at a time.
const CHUNK: usize = 64 * 1024;

/// Chunks of the dump, sent to the response body as they fill.
pub(crate) struct ChannelWriter {
    buffer: Vec<u8>,
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl ChannelWriter {
    pub(crate) fn new(sender: mpsc::Sender<Result<Bytes, std::io::Error>>) -> Self {
        Self { buffer: Vec::with_capacity(CHUNK), sender }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

fn format_of(name: &str) -> Option<(DumpFormat, &'static str, &'static str)> {
    match name.to_ascii_lowercase().as_str() {
        "" | "csv" => Some((DumpFormat::Csv, "csv", "text/csv; charset=utf-8")),
        "tsv" => Some((DumpFormat::Tsv, "tsv", "text/tab-separated-values; charset=utf-8")),
        "json" => Some((DumpFormat::Json, "json", "application/json; charset=utf-8")),
        "xml" => Some((DumpFormat::Xml, "xml", "text/xml; charset=utf-8")),
        _ => None,
    }
}

fn failure(state: &AppState, error: ActionError) -> HttpResponse {
    let (status, body) = outcome(help_url(&state.services.site.site_url, "datastore_search"), Err(error));
    json_response(status, &body)
}

/// `GET /datastore/dump/{resource_id}?format=csv|tsv|json|xml&bom=&q=&plain=&language=&filters=&fields=&sort=&offset=&limit=`
pub async fn dump(state: web::Data<AppState>, request: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let resource_id = path.into_inner();
    let pairs = match parse_pairs(request.query_string()) {
        Ok(pairs) => pairs,
        Err(error) => return crate::envelope::bare_string(StatusCode::BAD_REQUEST, &error.message()),
    };
    let mut params = Map::new();
    let mut format = String::new();
    let mut bom = false;
    for (key, value) in pairs {
        match key.as_str() {
            "format" => format = value,
            "bom" => bom = parse_bool(&Value::String(value)).unwrap_or(false),
            "q" | "plain" | "language" | "filters" | "fields" | "sort" | "offset" | "limit" | "distinct" => {
                params.insert(key, Value::String(value));
            }
            _ => {}
        }
    }
    let Some((format, extension, content_type)) = format_of(&format) else {
        return failure(
            &state,
            ActionError::field("format", format!("format: Unsupported format {format:?}")),
        );
    };
    params.insert("resource_id".into(), Value::String(resource_id.clone()));
    let token = crate::dispatch::token_header(&request);
    let services = state.services.clone();
    let prepared = crate::request_id::block(move || {
        let actor = match token {
            Some(token) => authenticate(&services, &token)?,
            None => Actor::Anonymous,
        };
        let ctx = Context::new(actor, &services, None);
        search_for_dump(&ctx, &Params::new(params))
    })
    .await
    .unwrap_or_else(|e| Err(ActionError::Internal(format!("worker failed: {e}"))));
    let search = match prepared {
        Ok(search) => search,
        Err(error) => return failure(&state, error),
    };
    let Some(datastore) = state.services.datastore.clone() else {
        return failure(&state, ActionError::Internal("the DataStore is not configured".into()));
    };
    let (sender, mut receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    std::thread::spawn(move || {
        let mut writer = ChannelWriter { buffer: Vec::with_capacity(CHUNK), sender: sender.clone() };
        let written = datastore.tables.dump(&search, format, bom, &mut writer).map_err(|e| e.to_string());
        let result = written.and_then(|()| writer.flush().map_err(|e| e.to_string()));
        if let Err(message) = result {
            log::warn!("dump of {} stopped: {message}", search.resource_id);
            let _ = sender.blocking_send(Err(std::io::Error::other(message)));
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx));
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{resource_id}.{extension}\"")))
        .streaming(body)
}
