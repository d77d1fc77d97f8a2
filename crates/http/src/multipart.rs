//! `multipart/form-data` action calls (ckan-api.md §1.2, §1.7): text parts become the action's
//! dict as form fields do; a file part named `upload` (`update__resources__N__upload` for
//! `package_revise`), sent to an action that takes one, is
//! streamed into the file store (never held whole in memory) while its size and SHA-256 are
//! computed. Other file parts are read and dropped.

use actix_multipart::{Field, Multipart};
use actix_web::{HttpRequest, web};
use datahavn_actions::{Upload, upload_field};
use datahavn_storage::{FileStore, StorageError};
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::decode::{DecodeError, form_dict};

/// Why a multipart call could not be read.
pub enum Failure {
    /// A body that is not what it claims to be (400), or too large text (413).
    Decode(DecodeError),
    /// The file is larger than the maximum resource size (CKAN's 409).
    TooLarge,
    /// The file store failed (500).
    Storage(StorageError),
}

/// Whether a request carries `multipart/form-data`.
pub fn is_multipart(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

fn malformed(error: impl std::fmt::Display) -> Failure {
    Failure::Decode(DecodeError::Json(format!("the multipart/form-data body cannot be read ({error}).")))
}

/// A staged upload that is deleted unless it is handed on, also when the request is dropped
/// (the client went away) while the rest of the body is read.
struct Staged<'a> {
    files: &'a FileStore,
    upload: Option<Upload>,
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        if let Some(upload) = self.upload.take() {
            self.files.delete_in_background(&upload.staged_key);
        }
    }
}

/// Reads a multipart body: the dict of its text parts, and the staged upload when there is
/// one. On failure nothing is left in the file store.
pub async fn read(
    request: &HttpRequest,
    payload: web::Payload,
    action: &str,
    files: &FileStore,
    max_text_bytes: usize,
    max_file_bytes: u64,
) -> Result<(Map<String, Value>, Option<Upload>), Failure> {
    let mut multipart = Multipart::new(request.headers(), payload);
    let mut staged = Staged { files, upload: None };
    let outcome =
        read_parts(&mut multipart, action, files, max_text_bytes, max_file_bytes, &mut staged.upload).await;
    let failure = match outcome.and_then(|pairs| form_dict(pairs).map_err(Failure::Decode)) {
        Ok(dict) => return Ok((dict, staged.upload.take())),
        Err(failure) => failure,
    };
    if let Some(upload) = staged.upload.take()
        && let Err(error) = files.delete_async(&upload.staged_key).await
    {
        log::warn!("removing upload {}: {error}", upload.staged_key);
    }
    if matches!(failure, Failure::TooLarge | Failure::Decode(DecodeError::TooLarge)) {
        // The client is still sending: read the rest (dropping it) so that it gets the answer
        // instead of a reset connection. Bounded: past it, the connection closes.
        let mut budget = max_file_bytes.saturating_mul(2).saturating_add(64 * 1024 * 1024);
        while budget > 0 {
            let Some(Ok(mut field)) = multipart.next().await else { break };
            while let Some(Ok(chunk)) = field.next().await {
                budget = budget.saturating_sub(chunk.len() as u64);
            }
        }
    }
    Err(failure)
}

async fn read_parts(
    multipart: &mut Multipart,
    action: &str,
    files: &FileStore,
    max_text_bytes: usize,
    max_file_bytes: u64,
    upload: &mut Option<Upload>,
) -> Result<Vec<(String, String)>, Failure> {
    let mut pairs = Vec::new();
    let mut text_bytes = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(malformed)?;
        let name = field.name().map(str::to_owned).ok_or_else(|| malformed("a part without a name"))?;
        let file_name = field.content_disposition().and_then(|d| d.get_filename()).map(str::to_owned);
        match file_name {
            // An empty file name is a form's file input left empty: no upload (Werkzeug's
            // `FileStorage` of no name is false).
            Some(file_name) if upload_field(action, &name) && !file_name.is_empty() && upload.is_none() => {
                let content_type = field.content_type().map(ToString::to_string);
                // `package_revise` places the key, holding the file name, on the resource it
                // names.
                if action == "package_revise" {
                    pairs.push((name, file_name.clone()));
                }
                *upload = Some(receive(&mut field, files, file_name, content_type, max_file_bytes).await?);
            }
            Some(_) => {
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(malformed)?;
                    text_bytes += chunk.len();
                    if text_bytes > max_text_bytes {
                        return Err(Failure::Decode(DecodeError::TooLarge));
                    }
                }
            }
            None => {
                let mut value = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(malformed)?;
                    text_bytes += chunk.len();
                    if text_bytes > max_text_bytes {
                        return Err(Failure::Decode(DecodeError::TooLarge));
                    }
                    value.extend_from_slice(&chunk);
                }
                let value = String::from_utf8(value)
                    .map_err(|_| Failure::Decode(DecodeError::Json("the data is not valid UTF-8".into())))?;
                pairs.push((name, value));
            }
        }
    }
    Ok(pairs)
}

/// Streams one file part into a new staged object.
async fn receive(
    field: &mut Field,
    files: &FileStore,
    file_name: String,
    content_type: Option<String>,
    max_bytes: u64,
) -> Result<Upload, Failure> {
    let key = FileStore::staging_key();
    let mut writer = files.writer(&key).await.map_err(Failure::Storage)?;
    while let Some(chunk) = field.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                writer.abort().await;
                return Err(malformed(error));
            }
        };
        if writer.size() + chunk.len() as u64 > max_bytes {
            writer.abort().await;
            return Err(Failure::TooLarge);
        }
        if let Err(error) = writer.write(&chunk).await {
            writer.abort().await;
            return Err(Failure::Storage(error));
        }
    }
    match writer.finish().await {
        Ok(written) => Ok(Upload {
            staged_key: written.key,
            file_name,
            size: written.size,
            sha256: written.sha256,
            content_type,
        }),
        Err(error) => {
            if let Err(cleanup) = files.delete_async(&key).await {
                log::warn!("removing upload {key}: {cleanup}");
            }
            Err(Failure::Storage(error))
        }
    }
}
