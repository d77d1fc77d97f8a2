//! One action call over HTTP: read the body, decode the dict, find the actor, run the action
//! off the async executor, wrap the outcome.

use actix_web::body::SizedStream;
use actix_web::http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use datahavn_actions::{ActionError, JsonText, authenticate};
use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;
use futures_util::StreamExt;

use crate::AppState;
use crate::decode::{DecodeError, RawRequest, decode, parse_pairs};
use crate::envelope::{bare_string, help_url, json_response, jsonp_response, outcome};
use crate::multipart::{self, Failure};

/// An action's result: a value, or JSON text stored as it is to be sent.
enum Outcome {
    /// A result and CKAN 2.12's `changed_entities`, when the action reports them.
    Value(serde_json::Value, Option<serde_json::Value>),
    Text(JsonText),
}

/// From this size on, a result's bytes are sent as they are, between the envelope's head and
/// tail, rather than copied into one body: `package_list`'s whole list (megabytes, shared by
/// every answer through the read cache) is never copied per answer.
const SENT_AS_IS: usize = 64 * 1024;

/// The success envelope around a result that is already JSON text.
fn text_success(help: &str, result: JsonText) -> HttpResponse {
    let head = success_head(help);
    let mut response = success_response();
    let length = result.len();
    if length < SENT_AS_IS {
        let mut body = Vec::with_capacity(head.len() + length + 1);
        body.extend_from_slice(head.as_bytes());
        for part in result.into_parts() {
            body.extend_from_slice(&part);
        }
        body.push(b'}');
        return response.body(body);
    }
    let size = (head.len() + length + 1) as u64;
    let parts = std::iter::once(Bytes::from(head))
        .chain(result.into_parts().into_iter().flat_map(pieces))
        .chain(std::iter::once(Bytes::from_static(b"}")));
    let stream = futures_util::stream::iter(parts.map(Ok::<_, std::convert::Infallible>));
    response.body(SizedStream::new(size, stream))
}

/// The most of a result handed to the connection at once, and the size its write buffer fills
/// to before it writes to the socket. The connection copies what it is handed into its write
/// buffer, and keeps that buffer's size: handed `package_list`'s whole list (43 MB at a million
/// datasets), each connection would hold a copy of it. A page of search results comes in many
/// parts (a dict each, shared with the read cache): gathered to this size, a half-megabyte
/// page is written to the socket at once, not in writes of actix-web's 32 KiB.
pub(crate) const PIECE: usize = 1024 * 1024;

/// `part` in pieces of at most [`PIECE`] bytes, each a view of it (nothing copied).
fn pieces(part: Bytes) -> impl Iterator<Item = Bytes> {
    (0..part.len()).step_by(PIECE).map(move |start| part.slice(start..part.len().min(start + PIECE)))
}

/// The success envelope around a result the read cache holds, unpacked into the body.
fn cached_success(help: &str, result: &datahavn_actions::CachedResult) -> HttpResponse {
    let head = success_head(help);
    let mut body = Vec::with_capacity(head.len() + result.len() + 1);
    body.extend_from_slice(head.as_bytes());
    if let Err(error) = result.append_to(&mut body) {
        let (status, body) = outcome(help.to_owned(), Err(error));
        return json_response(status, &body);
    }
    body.push(b'}');
    success_response().body(body)
}

/// Whether a read is small enough to run on the worker itself: a search's first pages with
/// short queries, a page of the newest datasets, the whole `package_list`. A deep page or a
/// long query goes to a blocking thread, so that the worker's other connections do not wait
/// for it.
fn small_read(name: &str, params: &Params) -> bool {
    use serde_json::Value;
    let dict = params.as_map();
    let at_most = |key: &str, most: u64| match dict.get(key) {
        None => true,
        Some(Value::Number(n)) => n.as_u64().is_some_and(|n| n <= most),
        Some(Value::String(s)) => s.trim().parse::<u64>().is_ok_and(|n| n <= most),
        Some(_) => false,
    };
    let short = |key: &str| dict.get(key).is_none_or(|v| v.as_str().is_some_and(|s| s.len() <= 512));
    match name {
        "package_search" => {
            dict.len() <= 16 && at_most("rows", 100) && at_most("start", 1000) && short("q") && short("fq")
        }
        // Its pages walk the kept order of dates: about a millisecond at any offset.
        "current_package_list_with_resources" => dict.len() <= 4 && at_most("limit", 100),
        // The whole list is held by the read cache (a part of it is read from the database).
        "package_list" => dict.is_empty(),
        _ => false,
    }
}

/// The success envelope's text before its result.
fn success_head(help: &str) -> String {
    let help = serde_json::Value::String(help.to_owned());
    format!("{{\"help\":{help},\"success\":true,\"result\":")
}

fn success_response() -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .insert_header((CONTENT_TYPE, crate::envelope::JSON))
        .insert_header((actix_web::http::header::CACHE_CONTROL, crate::envelope::CACHE));
    response
}

/// Reads the body, refusing more than `limit` bytes.
async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| DecodeError::Json(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(DecodeError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn decode_failure(error: &DecodeError) -> HttpResponse {
    let status = match error {
        DecodeError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        DecodeError::TimedOut => StatusCode::REQUEST_TIMEOUT,
        _ => StatusCode::BAD_REQUEST,
    };
    bare_string(status, &error.message())
}

/// The token a request carries: `Authorization` (raw or `Bearer`), else `X-CKAN-API-Key`.
pub(crate) fn token_header(request: &HttpRequest) -> Option<String> {
    token_in(request.headers())
}

/// The token header's value these headers carry (`Bearer ` not stripped).
pub(crate) fn token_in(headers: &actix_web::http::header::HeaderMap) -> Option<String> {
    ["Authorization", "X-CKAN-API-Key"]
        .iter()
        .filter_map(|name| headers.get(*name))
        .filter_map(|value| value.to_str().ok())
        .map(str::trim)
        .find(|value| !value.is_empty())
        .map(str::to_owned)
}

/// Where the actions are, before their names.
pub const ACTION_PREFIX: &str = "/api/3/action";

/// The action name of `path` when it is `/api/3/action/<name>` with a name of letters, digits and
/// `_` only (no escapes, nothing after it).
pub fn plain_action_name(path: &str) -> Option<&str> {
    let name = path.strip_prefix(ACTION_PREFIX)?.strip_prefix('/')?;
    let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    plain.then_some(name)
}

/// `/api/3/action/<name>` for a name [`plain_action_name`] accepts.
pub async fn plain_action(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let name = plain_action_name(request.path()).unwrap_or_default().to_owned();
    run_action(state, request, payload, name).await
}

/// `/api/3/action/{name}`: any other name, as the router decoded it.
pub async fn action(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
    path: web::Path<String>,
) -> HttpResponse {
    run_action(state, request, payload, path.into_inner()).await
}

/// The action of that name, if it takes the request's method. Read-only actions take GET, HEAD
/// and POST; the others POST only; anything else is 405 with `Allow`.
async fn run_action(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
    name: String,
) -> HttpResponse {
    let Some(action) = datahavn_actions::find(&name) else {
        return bare_string(StatusCode::BAD_REQUEST, &format!("Bad request: Action name not known: {name}"));
    };
    let allowed = match *request.method() {
        Method::POST => true,
        Method::GET | Method::HEAD => action.side_effect_free,
        _ => false,
    };
    if !allowed {
        let allow = if action.side_effect_free { "GET, HEAD, POST" } else { "POST" };
        let message =
            if action.side_effect_free { "Method Not Allowed" } else { &DecodeError::UsePost.message() };
        let mut response = bare_string(StatusCode::METHOD_NOT_ALLOWED, message);
        response.headers_mut().insert(ALLOW, HeaderValue::from_static(allow));
        return response;
    }
    dispatch(state, request, payload, action).await
}

/// Runs an action for this request.
async fn dispatch(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
    action: &'static datahavn_actions::Action,
) -> HttpResponse {
    let name = action.name;
    let is_get = matches!(request.method().as_str(), "GET" | "HEAD");
    let help = help_url(&state.services.site.site_url, name);
    let (mut dict, upload) = if !is_get && multipart::is_multipart(&request) {
        let read = multipart::read(
            &request,
            payload,
            name,
            &state.services.files,
            state.http.max_body_bytes,
            state.services.site.max_resource_bytes,
        )
        .await;
        match read {
            Ok(read) => read,
            Err(Failure::Decode(error)) => return decode_failure(&error),
            Err(Failure::TooLarge) => {
                let (status, body) =
                    outcome(help, Err(ActionError::field("upload", "File upload too large")));
                return json_response(status, &body);
            }
            Err(Failure::Storage(error)) => {
                let (status, body) = outcome(help, Err(ActionError::Internal(format!("upload: {error}"))));
                return json_response(status, &body);
            }
        }
    } else {
        let reading = read_body(payload, state.http.max_body_bytes);
        let body = match actix_web::rt::time::timeout(state.http.timeouts.client_body, reading).await {
            Ok(Ok(body)) => body,
            Ok(Err(error)) => return decode_failure(&error),
            Err(_) => return decode_failure(&DecodeError::TimedOut),
        };
        let is_form = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/x-www-form-urlencoded"));
        let raw = RawRequest { is_get, is_form, query: request.query_string(), body: &body };
        match decode(&raw, action.side_effect_free) {
            Ok(dict) => (dict, None),
            Err(error) => return decode_failure(&error),
        }
    };
    // JSONP never carries the caller's identity.
    let jsonp = dict.remove("callback").is_some();
    let token = if jsonp { None } else { token_header(&request) };

    let params = Params::new(dict);
    // A public dataset the read cache holds, asked for anonymously: answered here.
    if token.is_none()
        && !jsonp
        && upload.is_none()
        && let Some(result) = datahavn_actions::anonymous_cached(&state.services, name, &params)
    {
        return cached_success(&help, &result);
    }
    // A small read ([`small_read`]): answered here, on the worker, when the token, the index
    // and the read cache hold all it needs. If it asks for the database, fails or panics, it is
    // done again below on a blocking thread, which answers as always.
    if !jsonp && upload.is_none() && small_read(name, &params) {
        let services = &state.services;
        let token = token.as_deref();
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            datahavn_storage::without_waiting(|| {
                let actor = match token {
                    Some(token) => authenticate(services, token).ok()?,
                    None => Actor::Anonymous,
                };
                datahavn_actions::call_text(services, actor, name, &params)?.ok()
            })
        }));
        if let Ok(Some(Some(text))) = attempt {
            return text_success(&help, text);
        }
    }
    let services = state.services.clone();
    let (params, result) = crate::request_id::block(move || {
        let result = (|| {
            let actor = match token.map(|token| authenticate(&services, &token)) {
                Some(Ok(actor)) => actor,
                Some(Err(error)) => {
                    if let Some(upload) = &upload
                        && let Err(cleanup) = services.files.delete(&upload.staged_key)
                    {
                        log::warn!("removing upload {}: {cleanup}", upload.staged_key);
                    }
                    return Err(error);
                }
                None => Actor::Anonymous,
            };
            if upload.is_none()
                && let Some(text) = datahavn_actions::call_text(&services, actor.clone(), name, &params)
            {
                return text.map(Outcome::Text);
            }
            let (result, changed) = datahavn_actions::call_reporting(&services, actor, name, &params, upload);
            result.map(|value| Outcome::Value(value, changed))
        })();
        (params, result)
    })
    .await
    .unwrap_or_else(|e| {
        (Params::new(serde_json::Map::new()), Err(ActionError::Internal(format!("worker failed: {e}"))))
    });

    let mut changed_entities = None;
    let result = match result {
        Ok(Outcome::Text(text)) if !jsonp => {
            return text_success(&help, text);
        }
        Ok(Outcome::Text(text)) => serde_json::from_slice(&text.concat())
            .map_err(|e| ActionError::Internal(format!("stored result of {name}: {e}"))),
        Ok(Outcome::Value(value, changed)) => {
            changed_entities = changed;
            Ok(value)
        }
        Err(error) => Err(error),
    };
    let integrity = matches!(result, Err(ActionError::Integrity(_)));
    let (status, mut body) = outcome(help, result);
    if let Some(changed) = changed_entities
        && let Some(body) = body.as_object_mut()
    {
        body.insert("changed_entities".into(), changed);
    }
    // CKAN's API echoes the request's dict beside an `Integrity Error`.
    if integrity && let Some(error) = body.get_mut("error").and_then(serde_json::Value::as_object_mut) {
        error.insert("data".into(), serde_json::Value::Object(params.as_map().clone()));
    }
    if status == StatusCode::OK && is_get {
        let callback = parse_pairs(request.query_string())
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "callback").map(|(_, v)| v));
        if let Some(callback) = callback {
            return jsonp_response(&callback, &body);
        }
    }
    json_response(status, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_part_goes_out_in_pieces_that_make_it_up() {
        let part = Bytes::from((0..=255u8).cycle().take(2 * PIECE + 17).collect::<Vec<u8>>());
        let cut: Vec<Bytes> = pieces(part.clone()).collect();
        assert_eq!(cut.iter().map(Bytes::len).collect::<Vec<_>>(), [PIECE, PIECE, 17]);
        assert_eq!(cut.concat(), part);
        assert_eq!(pieces(Bytes::new()).count(), 0);
        assert_eq!(pieces(Bytes::from_static(b"[]")).collect::<Vec<_>>(), [Bytes::from_static(b"[]")]);
    }
}
