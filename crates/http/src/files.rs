//! `GET|HEAD /dataset/{id}/resource/{resource_id}/download[/{filename}]` (CKAN's
//! `resource.download` view): the uploaded file of a resource, streamed from the file store,
//! or a redirect to the resource's URL when it is a link. Read permission is exactly
//! `resource_show`'s and `package_show`'s; the file name in the path is not checked.

use std::ops::Range;
use std::time::{Duration, UNIX_EPOCH};

use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use datahavn_actions::{ActionError, authenticate};
use datahavn_domain::package::guess_mimetype;
use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;
use datahavn_storage::StoredFile;
use serde_json::{Value, json};

use crate::AppState;
use crate::dispatch::token_header;
use crate::envelope::bare_string;

/// What a download resolves to.
enum Target {
    /// An uploaded file, with the resource's `mimetype`.
    File {
        mimetype: Option<String>,
        file: Box<StoredFile>,
    },
    Link(String),
    Nothing,
}

fn params(id: &str) -> Params {
    let Value::Object(map) = json!({ "id": id }) else { return Params::default() };
    Params::new(map)
}

fn resolve(
    services: &datahavn_actions::Services,
    token: Option<String>,
    dataset: &str,
    resource_id: &str,
) -> Result<Target, ActionError> {
    let actor = match token {
        Some(token) => authenticate(services, &token)?,
        None => Actor::Anonymous,
    };
    let resource = datahavn_actions::call(services, actor.clone(), "resource_show", &params(resource_id))?;
    datahavn_actions::call(services, actor, "package_show", &params(dataset))?;
    let upload = resource["url_type"] == "upload";
    if upload && let Some(file) = services.store.read(|tx| tx.resource_file(resource_id))? {
        return Ok(Target::File {
            mimetype: resource["mimetype"].as_str().filter(|m| !m.is_empty()).map(str::to_owned),
            file: Box::new(file),
        });
    }
    // An upload without a file here (harvested from another portal) redirects to its URL,
    // unless that is this site's own download link.
    match resource["url"].as_str() {
        Some(url) if !url.is_empty() => {
            let own_link = upload && url.starts_with(&services.site.site_url);
            Ok(if own_link { Target::Nothing } else { Target::Link(url.to_owned()) })
        }
        _ => Ok(Target::Nothing),
    }
}

/// The byte range a `Range` header asks for: `None` when the whole file is to be sent (no
/// header, another unit, several ranges, or a malformed one), `Err(())` when unsatisfiable.
fn byte_range(header: Option<&str>, size: u64) -> Option<Result<Range<u64>, ()>> {
    let spec = header?.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        let suffix: u64 = last.parse().ok()?;
        if suffix == 0 || size == 0 {
            return Some(Err(()));
        }
        size.saturating_sub(suffix)..size
    } else {
        let start: u64 = first.parse().ok()?;
        let end = match last {
            "" => size,
            last => {
                let last: u64 = last.parse().ok()?;
                if last < start {
                    return None;
                }
                last.saturating_add(1).min(size)
            }
        };
        if start >= size {
            return Some(Err(()));
        }
        start..end
    };
    Some(Ok(range))
}

/// Whether an `If-None-Match` header matches the entity tag.
fn none_match(header: Option<&str>, etag: &str) -> bool {
    header.is_some_and(|value| {
        value.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
    })
}

fn header_text(request: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

fn content_disposition(name: &str) -> Option<HeaderValue> {
    let safe: String = name.chars().filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\').collect();
    HeaderValue::from_str(&format!("inline; filename=\"{safe}\"")).ok()
}

/// The download routes.
pub async fn download(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    let info = request.match_info();
    let dataset = info.get("id").unwrap_or_default().to_owned();
    let resource_id = info.get("resource_id").unwrap_or_default().to_owned();
    let path_name = info.get("filename").map(str::to_owned);
    let token = token_header(&request);
    let services = state.services.clone();
    let resolved = crate::request_id::block(move || resolve(&services, token, &dataset, &resource_id))
        .await
        .unwrap_or_else(|e| Err(ActionError::Internal(format!("worker failed: {e}"))));
    let (mimetype, file) = match resolved {
        Ok(Target::File { mimetype, file }) => (mimetype, file),
        Ok(Target::Link(url)) => {
            return HttpResponse::Found().insert_header((header::LOCATION, url)).finish();
        }
        Ok(Target::Nothing) => return bare_string(StatusCode::NOT_FOUND, "No download is available"),
        Err(ActionError::NotAuthorized(_)) => {
            return bare_string(StatusCode::FORBIDDEN, "Not authorized to download resource");
        }
        Err(ActionError::Unavailable(error)) => {
            log::warn!("download: database unavailable: {error}");
            return bare_string(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
        }
        Err(ActionError::Internal(error)) => {
            log::error!("download: {error}");
            return bare_string(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
        Err(_) => return bare_string(StatusCode::NOT_FOUND, "Resource not found"),
    };
    serve(&state, &request, mimetype, &file, path_name.as_deref()).await
}

async fn serve(
    state: &AppState,
    request: &HttpRequest,
    mimetype: Option<String>,
    file: &StoredFile,
    path_name: Option<&str>,
) -> HttpResponse {
    let content_type = mimetype
        .or_else(|| guess_mimetype(&file.file_name).map(str::to_owned))
        .or_else(|| Some(file.content_type.clone()).filter(|t| !t.is_empty()))
        .unwrap_or_else(|| "application/octet-stream".into());
    let etag = format!("\"{}\"", file.sha256);
    let modified =
        UNIX_EPOCH + Duration::from_secs(u64::try_from(file.stored_at.unix_seconds()).unwrap_or(0));
    let last_modified = httpdate::fmt_http_date(modified);

    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::LAST_MODIFIED, last_modified))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=0, must-revalidate"));
    if none_match(header_text(request, header::IF_NONE_MATCH), &etag) {
        return response.status(StatusCode::NOT_MODIFIED).finish();
    }
    response.insert_header((header::CONTENT_TYPE, content_type));
    if let Some(disposition) = content_disposition(path_name.unwrap_or(&file.file_name)) {
        response.insert_header((header::CONTENT_DISPOSITION, disposition));
    }

    let size = file.size;
    // `If-Range` with another validator: the whole file, as it changed.
    let if_range_ok = header_text(request, header::IF_RANGE).is_none_or(|tag| tag.trim() == etag);
    let range = if if_range_ok { byte_range(header_text(request, header::RANGE), size) } else { None };
    let range = match range {
        Some(Err(())) => {
            return response
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                .finish();
        }
        Some(Ok(range)) => {
            response.status(StatusCode::PARTIAL_CONTENT).insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", range.start, range.end.saturating_sub(1)),
            ));
            Some(range)
        }
        None => None,
    };
    let length = range.as_ref().map_or(size, |r| r.end - r.start);
    if request.method() == actix_web::http::Method::HEAD || length == 0 {
        let empty = futures_util::stream::empty::<Result<bytes::Bytes, std::io::Error>>();
        return response.body(SizedStream::new(length, empty));
    }
    match state.services.files.read(&file.object_key, range).await {
        Ok(stream) => response.body(SizedStream::new(length, stream)),
        Err(datahavn_storage::StorageError::NotFound) => {
            log::error!("download: the file of resource {} is missing", file.resource_id);
            bare_string(StatusCode::NOT_FOUND, "Resource not found")
        }
        Err(error) => {
            log::error!("download of resource {}: {error}", file.resource_id);
            bare_string(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_http_says() {
        assert_eq!(byte_range(Some("bytes=0-9"), 100), Some(Ok(0..10)));
        assert_eq!(byte_range(Some("bytes=90-"), 100), Some(Ok(90..100)));
        assert_eq!(byte_range(Some("bytes=-10"), 100), Some(Ok(90..100)));
        assert_eq!(byte_range(Some("bytes=-200"), 100), Some(Ok(0..100)));
        assert_eq!(byte_range(Some("bytes=50-500"), 100), Some(Ok(50..100)));
        assert_eq!(byte_range(Some("bytes=100-"), 100), Some(Err(())));
        assert_eq!(byte_range(Some("bytes=-0"), 100), Some(Err(())));
        assert_eq!(byte_range(Some("bytes=5-1"), 100), None);
        assert_eq!(byte_range(Some("bytes=0-1,5-6"), 100), None);
        assert_eq!(byte_range(Some("items=0-1"), 100), None);
        assert_eq!(byte_range(None, 100), None);
    }

    #[test]
    fn entity_tags_match_by_value() {
        assert!(none_match(Some("\"abc\""), "\"abc\""));
        assert!(none_match(Some("W/\"abc\", \"x\""), "\"abc\""));
        assert!(none_match(Some("*"), "\"abc\""));
        assert!(!none_match(Some("\"x\""), "\"abc\""));
        assert!(!none_match(None, "\"abc\""));
    }
}
