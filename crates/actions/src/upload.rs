//! Uploaded resource files (CKAN's `ResourceUpload`): what an upload does to the resource
//! dict, where its object goes, and which stored files a dataset write leaves unreferenced.

use datahavn_domain::Timestamp;
use datahavn_domain::package::guess_mimetype;
use datahavn_storage::{FileStore, StoredFile, Tx};
use serde_json::{Map, Value};

use crate::{ActionResult, Context};

/// The actions that take a file part: named `upload`, or, for `package_revise`, a key such as
/// `update__resources__-1__upload` (see [`upload_field`]).
pub const UPLOAD_ACTIONS: &[&str] =
    &["resource_create", "resource_update", "resource_patch", "package_revise"];

/// Whether a file part of this name is the upload of this action.
pub fn upload_field(action: &str, field: &str) -> bool {
    match action {
        "package_revise" => field.starts_with("update__resources__") && field.ends_with("__upload"),
        _ => UPLOAD_ACTIONS.contains(&action) && field == "upload",
    }
}

/// A file received with an action call, already staged in the file store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Where the transport put it.
    pub staged_key: String,
    /// The file name as sent (cleaned with [`clean_file_name`] before use).
    pub file_name: String,
    pub size: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    /// The part's `Content-Type`, when it had one.
    pub content_type: Option<String>,
}

/// CKAN's `munge_filename`: the base name only, lowercased, ASCII-folded, only
/// `[a-z0-9_. -]` kept, spaces as `-`, runs of `-` squeezed, the extension at most 21
/// characters and the whole 3 to 100 (padded with `_`).
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or_default();
    let lowered = base.to_lowercase();
    let mut folded = String::with_capacity(lowered.len());
    for c in lowered.trim().chars() {
        if c.is_ascii() {
            folded.push(c);
        } else if let Some(ascii) = datahavn_domain::name::ascii_equivalent(c) {
            folded.push_str(ascii);
        }
    }
    let kept: String = folded
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect();
    let mut squeezed = String::with_capacity(kept.len());
    for c in kept.chars() {
        if !(c == '-' && squeezed.ends_with('-')) {
            squeezed.push(c);
        }
    }
    // Python's splitext: the last dot, unless the name is only leading dots before it.
    let split = squeezed.rfind('.').filter(|&at| squeezed[..at].chars().any(|c| c != '.'));
    let (stem, extension) = match split {
        Some(at) => squeezed.split_at(at),
        None => (squeezed.as_str(), ""),
    };
    let extension: String = extension.chars().take(21).collect();
    let min = 3usize.saturating_sub(extension.len()).max(1);
    let max = 100 - extension.len();
    let mut stem: String = stem.chars().take(max).collect();
    while stem.len() < min {
        stem.push('_');
    }
    stem + &extension
}

/// The file name a resource URL stands for: its last path segment, cleaned (CKAN's
/// `resource_dictize` for uploads).
pub fn url_file_name(url: &str) -> String {
    clean_file_name(url.rsplit('/').next().unwrap_or_default())
}

/// Sets what an upload determines on the keys sent for a resource: `url` (the cleaned file
/// name), `url_type`, `last_modified`, and, unless sent, `size`, `mimetype` (guessed from the
/// name, else the part's type) and `hash` (the SHA-256).
pub(crate) fn describe_upload(resource: &mut Map<String, Value>, upload: &Upload) {
    let name = clean_file_name(&upload.file_name);
    let sent = |resource: &Map<String, Value>, key: &str| {
        resource.get(key).is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
    };
    if !sent(resource, "size") {
        resource.insert("size".into(), upload.size.into());
    }
    if !sent(resource, "mimetype") {
        let part_type = upload
            .content_type
            .as_deref()
            .filter(|t| !t.is_empty() && !t.starts_with("application/octet-stream"));
        let guessed = guess_mimetype(&name).or(part_type);
        resource.insert("mimetype".into(), guessed.map_or(Value::Null, |m| Value::String(m.to_owned())));
    }
    if !sent(resource, "hash") {
        resource.insert("hash".into(), upload.sha256.clone().into());
    }
    resource.insert("url".into(), name.into());
    resource.insert("url_type".into(), "upload".into());
    resource.insert("last_modified".into(), Timestamp::now().to_ckan_string().into());
}

/// The dataset dict without the `upload` and `clear_upload` keys of its resources (CKAN's
/// `ResourceUpload` pops them), applying them: the call's upload goes to the first resource
/// that names one (`package_revise`'s `update__resources__N__upload`), which gets an id now
/// if it has none; `clear_upload` makes a resource a non-upload. Returns the dict and the id
/// of the resource the upload is for. `None` when no resource has either key.
pub(crate) fn take_resource_uploads(
    ctx: &Context<'_>,
    input: &Map<String, Value>,
) -> Option<(Map<String, Value>, Option<String>)> {
    let resources = input.get("resources").and_then(Value::as_array)?;
    let has_keys = resources
        .iter()
        .filter_map(Value::as_object)
        .any(|r| r.contains_key("upload") || r.contains_key("clear_upload"));
    if !has_keys {
        return None;
    }
    let mut input = input.clone();
    let mut target = None;
    if let Some(Value::Array(resources)) = input.get_mut("resources") {
        for resource in resources.iter_mut().filter_map(Value::as_object_mut) {
            let named = resource.shift_remove("upload").is_some();
            let clear = resource
                .shift_remove("clear_upload")
                .as_ref()
                .and_then(datahavn_domain::params::parse_bool)
                .unwrap_or(false);
            match ctx.upload {
                Some(upload) if named && target.is_none() => {
                    describe_upload(resource, upload);
                    let id = match resource.get("id").and_then(crate::request::scalar_text) {
                        Some(id) if !id.is_empty() => id,
                        _ => {
                            let id = uuid::Uuid::new_v4().to_string();
                            resource.insert("id".into(), id.clone().into());
                            id
                        }
                    };
                    target = Some(id);
                }
                _ if clear => {
                    resource.insert("url_type".into(), "".into());
                }
                _ => {}
            }
        }
    }
    Some((input, target))
}

/// Moves the call's upload to the resource's own key and records it, in the dataset's
/// transaction; the file it replaces is deleted after commit.
pub(crate) fn store_upload(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    resource_id: &str,
    package_id: &str,
) -> ActionResult<()> {
    let Some(upload) = ctx.upload else { return Ok(()) };
    let key = FileStore::resource_key(resource_id);
    ctx.services.files.rename(&upload.staged_key, &key)?;
    ctx.placed.borrow_mut().push(key.clone());
    if let Some(previous) = tx.resource_file(resource_id)? {
        ctx.delete_after_commit(previous.object_key);
    }
    tx.set_resource_file(&StoredFile {
        resource_id: resource_id.to_owned(),
        package_id: package_id.to_owned(),
        object_key: key,
        size: upload.size,
        sha256: upload.sha256.clone(),
        content_type: upload
            .content_type
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "application/octet-stream".into()),
        file_name: clean_file_name(&upload.file_name),
        stored_at: Timestamp::now(),
    })?;
    Ok(())
}

/// After a dataset write: forgets the stored file of every resource that is gone, is no longer
/// an upload, or now names another file; their objects are deleted after commit.
pub(crate) fn release_unreferenced(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    package_id: &str,
    resources: &[Value],
) -> ActionResult<()> {
    for file in tx.resource_files_of_package(package_id)? {
        let still_used = resources.iter().filter_map(Value::as_object).any(|r| {
            r.get("id").and_then(Value::as_str) == Some(file.resource_id.as_str())
                && r.get("url_type").and_then(Value::as_str) == Some("upload")
                && url_file_name(r.get("url").and_then(Value::as_str).unwrap_or_default()) == file.file_name
        });
        if !still_used {
            tx.delete_resource_file(&file.resource_id)?;
            ctx.delete_after_commit(file.object_key);
        }
    }
    Ok(())
}

/// Forgets every stored file of a dataset being purged; the objects go after commit.
pub(crate) fn release_all(ctx: &Context<'_>, tx: &mut Tx<'_>, package_id: &str) -> ActionResult<()> {
    release_unreferenced(ctx, tx, package_id, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_cleaned_as_ckan_does() {
        assert_eq!(clean_file_name("/tmp/some dir/My  Data File.CSV"), "my-data-file.csv");
        assert_eq!(clean_file_name("C:\\Users\\x\\Ærø Øst.txt"), "cusersxaero-ost.txt");
        assert_eq!(clean_file_name("a.b"), "a.b");
        assert_eq!(clean_file_name("x"), "x__");
        assert_eq!(clean_file_name("日本.csv"), ".csv");
        assert_eq!(clean_file_name("data.averyveryveryverylongextension"), "data.averyveryveryverylon");
        assert_eq!(clean_file_name(&"n".repeat(150)).len(), 100);
        assert_eq!(clean_file_name("a--b -- c.csv"), "a-b-c.csv");
        assert_eq!(clean_file_name(".hidden"), ".hidden");
    }

    #[test]
    fn an_upload_url_stands_for_its_last_segment() {
        assert_eq!(url_file_name("http://x/dataset/a/resource/b/download/My File.csv"), "my-file.csv");
        assert_eq!(url_file_name("data.csv"), "data.csv");
    }
}
