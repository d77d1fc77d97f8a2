//! Datasets and resources: CKAN's validation of a package dict, and the rules for what is
//! stored and what is computed.
//!
//! A dataset is kept as a document: the validated dict with every field CKAN knows and every
//! free-form field a portal sent (as ckanext-scheming with a permissive schema would). Fields
//! CKAN computes (`organization`, `num_resources`, `license_title`, ...) are never taken from
//! input; they are added when the document is rendered.

use serde_json::{Map, Value};

use crate::ValidationErrors;
use crate::name::Name;
use crate::user::validate_email;

/// Text fields of the default dataset schema.
pub const CORE_TEXT_FIELDS: &[&str] = &[
    "title",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "notes",
    "url",
    "version",
    "license_id",
];

/// Keys CKAN computes or owns: ignored when a client sends them.
pub const COMPUTED_FIELDS: &[&str] = &[
    "organization",
    "num_resources",
    "num_tags",
    "license_title",
    "license_url",
    "isopen",
    "creator_user_id",
    "relationships_as_subject",
    "relationships_as_object",
    "revision_id",
    "tracking_summary",
    "metadata_created",
    "metadata_modified",
    "tag_string",
];

/// Keys of the default schema (extras may not reuse them).
pub const SCHEMA_FIELDS: &[&str] = &[
    "id",
    "name",
    "title",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "notes",
    "url",
    "version",
    "license_id",
    "state",
    "type",
    "private",
    "owner_org",
    "extras",
    "resources",
    "tags",
    "groups",
    "organization",
    "metadata_created",
    "metadata_modified",
    "creator_user_id",
];

/// Resource keys CKAN computes or owns, dropped from input (`revision_timestamp` and
/// `tracking_summary`: `resource_dict_save` pops them, `ckan/lib/dictization/model_save.py`).
const RESOURCE_COMPUTED: &[&str] =
    &["package_id", "position", "revision_id", "revision_timestamp", "tracking_summary"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageState {
    Active,
    Draft,
    Deleted,
}

impl PackageState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Draft => "draft",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "active" => Some(Self::Active),
            "draft" => Some(Self::Draft),
            "deleted" => Some(Self::Deleted),
            _ => None,
        }
    }
}

/// What the caller may do, as far as validation cares.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidationRights {
    pub sysadmin: bool,
    /// May change `state` (editors and admins of the owner org; sysadmins).
    pub may_set_state: bool,
}

/// A dataset that passed validation. References to organizations and groups are unresolved
/// names or ids; the caller checks that they exist.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidPackage {
    /// The document without `id`, timestamps or computed fields.
    pub doc: Map<String, Value>,
    pub id: Option<String>,
    pub name: String,
    pub owner_org: Option<String>,
    pub private: Option<bool>,
    pub state: Option<PackageState>,
    /// `None`: groups not sent (keep); `Some`: the new list of group names or ids.
    pub groups: Option<Vec<String>>,
    /// `None`: resources not sent (keep).
    pub resources: Option<Vec<Map<String, Value>>>,
    pub metadata_modified: Option<String>,
}

/// Nesting CKAN cannot read at all (its `DataError`): a 400, not a 409.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityError(pub String);

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        _ => None,
    }
}

/// Values of extras are strings; anything else is kept as its JSON text.
fn extra_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// CKAN's tag rules: 2–100 characters of letters, digits, space, `-`, `_`, `.`.
pub fn validate_tag(name: &str) -> Result<(), String> {
    let length = name.chars().count();
    if length < 2 {
        return Err(format!("Tag \"{name}\" length is less than minimum 2"));
    }
    if length > 100 {
        return Err(format!("Tag \"{name}\" length is more than maximum 100"));
    }
    if !name.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')) {
        return Err(format!(
            "Tag \"{name}\" can only contain alphanumeric characters, spaces (\" \"), hyphens (\"-\"), underscores (\"_\") or dots (\".\")"
        ));
    }
    Ok(())
}

fn list_of_dicts<'a>(key: &str, value: &'a Value) -> Result<Vec<&'a Map<String, Value>>, IntegrityError> {
    let not_dicts = || {
        IntegrityError(format!(
            "Only lists of dicts can be placed against subschema ('{key}',), not {}",
            match value {
                Value::Array(_) => "<class 'list'>",
                Value::String(_) => "<class 'str'>",
                Value::Object(_) => "<class 'dict'>",
                _ => "<class 'int'>",
            }
        ))
    };
    let Value::Array(items) = value else { return Err(not_dicts()) };
    items.iter().map(|item| item.as_object().ok_or_else(not_dicts)).collect()
}

fn tags(input: &Map<String, Value>, errors: &mut ValidationErrors) -> Result<Vec<Value>, IntegrityError> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    if let Some(value) = input.get("tags").filter(|v| !v.is_null()) {
        for tag in list_of_dicts("tags", value)? {
            let Some(name) = tag.get("name").and_then(text) else {
                errors.add("tags", "Missing value");
                continue;
            };
            let name = name.trim().to_owned();
            if let Err(message) = validate_tag(&name) {
                errors.add("tags", message);
                continue;
            }
            let vocabulary = tag.get("vocabulary_id").and_then(text).filter(|v| !v.is_empty());
            out.push((name, vocabulary));
        }
    } else if let Some(tag_string) = input.get("tag_string").and_then(text) {
        for name in tag_string.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match validate_tag(name) {
                Ok(()) => out.push((name.to_owned(), None)),
                Err(message) => errors.add("tags", message),
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out
        .into_iter()
        .map(|(name, vocabulary_id)| {
            let mut tag = Map::new();
            tag.insert("name".into(), Value::String(name));
            tag.insert("vocabulary_id".into(), vocabulary_id.map_or(Value::Null, Value::String));
            Value::Object(tag)
        })
        .collect())
}

/// The tags of a dataset dict that pass validation, as `(name, vocabulary id or name)`: the ones
/// a `package_create` of it would use (it may still fail for other reasons).
pub fn valid_tags(input: &Map<String, Value>) -> Vec<(String, Option<String>)> {
    let mut errors = ValidationErrors::new();
    let Ok(tags) = tags(input, &mut errors) else { return Vec::new() };
    tags.iter()
        .filter_map(|tag| {
            let name = tag.get("name").and_then(Value::as_str)?;
            Some((name.to_owned(), tag.get("vocabulary_id").and_then(Value::as_str).map(str::to_owned)))
        })
        .collect()
}

fn extras(input: &Map<String, Value>, errors: &mut ValidationErrors) -> Result<Vec<Value>, IntegrityError> {
    let Some(value) = input.get("extras").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for extra in list_of_dicts("extras", value)? {
        let Some(key) = extra.get("key").and_then(text).filter(|k| !k.is_empty()) else {
            errors.add_item("extras", "key", "Missing value");
            continue;
        };
        if extra.get("deleted").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        if SCHEMA_FIELDS.contains(&key.as_str()) {
            errors.add_item("extras", "key", "There is a schema field with the same name");
            continue;
        }
        if out.iter().any(|(k, _)| k == &key) {
            errors.add("extras_validation", format!("Duplicate key \"{key}\""));
            continue;
        }
        out.push((key, extra.get("value").map(extra_value).unwrap_or_default()));
    }
    // CKAN 2.12 keeps extras in a PostgreSQL `jsonb` object and lists them in its key order:
    // shorter keys first, then byte order.
    out.sort_by(|(a, _), (b, _)| (a.len(), a.as_bytes()).cmp(&(b.len(), b.as_bytes())));
    Ok(out
        .into_iter()
        .map(|(key, value)| {
            let mut extra = Map::new();
            extra.insert("key".into(), Value::String(key));
            extra.insert("value".into(), Value::String(value));
            Value::Object(extra)
        })
        .collect())
}

/// Guesses a resource format from its URL's file extension, as CKAN does when none is given.
pub fn guess_format(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let last = path.rsplit('/').next().unwrap_or_default();
    let (_, extension) = last.rsplit_once('.')?;
    let extension = extension.to_ascii_lowercase();
    let format = match extension.as_str() {
        "csv" => "CSV",
        "json" => "JSON",
        "geojson" => "GeoJSON",
        "xml" => "XML",
        "xls" => "XLS",
        "xlsx" => "XLSX",
        "ods" => "ODS",
        "pdf" => "PDF",
        "zip" => "ZIP",
        "txt" => "TXT",
        "html" | "htm" => "HTML",
        "rdf" => "RDF",
        "ttl" => "TTL",
        "jsonld" => "JSON-LD",
        "kml" => "KML",
        "kmz" => "KMZ",
        "shp" => "SHP",
        "gml" => "GML",
        "tif" | "tiff" => "TIFF",
        "png" => "PNG",
        "jpg" | "jpeg" => "JPEG",
        "parquet" => "Parquet",
        "doc" => "DOC",
        "docx" => "DOCX",
        "tsv" => "TSV",
        "gpkg" => "GPKG",
        "wms" => "WMS",
        _ => return None,
    };
    Some(format.to_owned())
}

/// The media type of a URL's file extension, as CKAN guesses it (Python's
/// `mimetypes.guess_type` on the URL, with Debian's `/etc/mime.types`): `None` for an empty URL,
/// a URL without a path, or an extension it does not know. The query and fragment are not part
/// of the path; a compression suffix (`.gz`, `.bz2`, `.xz`, `.br`, `.Z`) is looked through, as
/// Python does (`data.csv.gz` is `text/csv`).
pub fn guess_mimetype(url: &str) -> Option<&'static str> {
    let url = url.trim();
    let rest = match url.split_once("://") {
        Some((_, after)) => after.split_once('/').map_or("", |(_, path)| path),
        None => url,
    };
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let mut name = path.rsplit('/').next().unwrap_or_default();
    if let Some((base, suffix)) = name.rsplit_once('.')
        && matches!(suffix, "gz" | "bz2" | "xz" | "br" | "Z")
    {
        name = base;
    }
    let (_, extension) = name.rsplit_once('.')?;
    let mimetype = match extension.to_ascii_lowercase().as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "gif" => "image/gif",
        "svg" | "svgz" => "image/svg+xml",
        "tif" | "tiff" => "image/tiff",
        "bmp" => "image/bmp",
        "webp" => "image/webp",
        "ico" => "image/vnd.microsoft.icon",
        "csv" => "text/csv",
        "tsv" => "text/tab-separated-values",
        "txt" | "text" => "text/plain",
        "html" | "htm" => "text/html",
        "md" | "markdown" => "text/markdown",
        "css" => "text/css",
        "js" => "text/javascript",
        "ttl" => "text/turtle",
        "n3" => "text/n3",
        "json" => "application/json",
        "geojson" => "application/geo+json",
        "jsonld" => "application/ld+json",
        "xml" => "application/xml",
        "rdf" => "application/rdf+xml",
        "nt" => "application/n-triples",
        "atom" => "application/atom+xml",
        "rss" => "application/x-rss+xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "tar" | "tgz" => "application/x-tar",
        "7z" => "application/x-7z-compressed",
        "rar" => "application/vnd.rar",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "kml" => "application/vnd.google-earth.kml+xml",
        "kmz" => "application/vnd.google-earth.kmz",
        "gml" => "application/gml+xml",
        "shp" => "application/x-qgis",
        "gpkg" => "application/geopackage+sqlite3",
        "nc" => "application/x-netcdf",
        "mp3" => "audio/mpeg",
        "wav" => "audio/x-wav",
        "mp4" => "video/mp4",
        _ => return None,
    };
    Some(mimetype)
}

/// CKAN's mimetype rule for a resource dict that goes through `package_update` (so
/// resource_create, resource_update and package_revise too): one sent without a `mimetype` key
/// gets the type guessed from its URL, or `null` (`ckan/logic/action/update.py`,
/// `package_update`: `if 'mimetype' not in resource: resource['mimetype'] = upload.mimetype`).
/// A `mimetype` that is sent, `null` included, is kept.
pub fn guess_missing_mimetype(resource: &mut Map<String, Value>) {
    if resource.contains_key("mimetype") {
        return;
    }
    let url = resource.get("url").and_then(Value::as_str).unwrap_or_default();
    let guessed = guess_mimetype(url).map_or(Value::Null, |m| Value::String(m.to_owned()));
    resource.insert("mimetype".into(), guessed);
}

/// CKAN's format normalisation for the common cases (`csv` → `CSV`).
pub fn normalize_format(format: &str) -> String {
    let trimmed = format.trim();
    match trimmed.to_ascii_lowercase().as_str() {
        "csv" | "json" | "xml" | "xls" | "xlsx" | "pdf" | "zip" | "html" | "rdf" | "txt" | "kml" | "wms"
        | "wfs" | "api" | "tsv" | "ods" => trimmed.to_ascii_uppercase(),
        "geojson" => "GeoJSON".to_owned(),
        _ => trimmed.to_owned(),
    }
}

/// Validates one resource dict; keeps every free-form key.
pub fn validate_resource(
    input: &Map<String, Value>,
    errors: &mut ValidationErrors,
    field: &str,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in input {
        if RESOURCE_COMPUTED.contains(&key.as_str()) {
            continue;
        }
        out.insert(key.clone(), value.clone());
    }
    let url = match input.get("url") {
        None | Some(Value::Null) => String::new(),
        Some(value) => text(value).unwrap_or_else(|| {
            errors.add(field, "url: Must be a string");
            String::new()
        }),
    };
    out.insert("url".into(), Value::String(url.trim().to_owned()));
    // CKAN's `if_empty_guess_format`: an empty format is guessed from the URL only for a
    // resource without an id (a new one). A resource with an id keeps an empty `""`; with no
    // format at all (or `null`) it keeps its stored one, which the caller fills in (the
    // `format` column is not cleared when missing, `ckan/model/resource.py`).
    let has_id = input.get("id").and_then(text).is_some_and(|id| !id.is_empty());
    match input.get("format").and_then(text) {
        Some(format) if !format.trim().is_empty() => {
            out.insert("format".into(), Value::String(normalize_format(&format)));
        }
        _ if !has_id => {
            out.insert("format".into(), Value::String(guess_format(&url).unwrap_or_default()));
        }
        Some(empty) => {
            out.insert("format".into(), Value::String(empty.trim().to_owned()));
        }
        None => {
            out.remove("format");
        }
    }
    if let Some(id) = input.get("id").filter(|v| !v.is_null()) {
        match text(id) {
            Some(id) if !id.is_empty() => {
                out.insert("id".into(), Value::String(id));
            }
            _ => {
                out.remove("id");
            }
        }
    }
    if let Some(size) = input.get("size").filter(|v| !v.is_null()) {
        let parsed = match size {
            Value::Number(n) => n.as_i64(),
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => s.trim().parse::<i64>().ok().or_else(|| {
                errors.add(field, "size: Invalid integer");
                None
            }),
            _ => {
                errors.add(field, "size: Invalid integer");
                None
            }
        };
        out.insert("size".into(), parsed.map_or(Value::Null, Value::from));
    }
    for key in ["name", "description", "hash", "mimetype", "mimetype_inner", "resource_type", "url_type"] {
        if let Some(value) = input.get(key).filter(|v| !v.is_null())
            && !value.is_string()
            && !value.is_object()
        {
            // Language dicts (`{"de": ..}`) are kept; other scalars become text.
            out.insert(key.into(), Value::String(text(value).unwrap_or_default()));
        }
    }
    out
}

/// Validates a dataset dict for `package_create` or `package_update` (replace semantics).
pub fn validate_package(
    input: &Map<String, Value>,
    rights: ValidationRights,
    creating: bool,
) -> Result<Result<ValidPackage, ValidationErrors>, IntegrityError> {
    let mut errors = ValidationErrors::new();
    let mut doc = Map::new();

    let name = match input.get("name").filter(|v| !v.is_null()) {
        None => {
            errors.add("name", "Missing value");
            String::new()
        }
        Some(Value::String(name)) if name.is_empty() => {
            errors.add("name", "Missing value");
            String::new()
        }
        Some(Value::String(name)) => {
            let parsed = Name::parse(name);
            if let Err(message) = &parsed {
                errors.add("name", *message);
            }
            // CKAN's `package_name_validator` runs after `name_validator` and checks the
            // length again, in words of its own.
            let length = name.chars().count();
            if length < crate::name::NAME_MIN_LENGTH {
                errors.add(
                    "name",
                    format!("Name \"{name}\" length is less than minimum {}", crate::name::NAME_MIN_LENGTH),
                );
            } else if length > crate::name::NAME_MAX_LENGTH {
                errors.add(
                    "name",
                    format!("Name \"{name}\" length is more than maximum {}", crate::name::NAME_MAX_LENGTH),
                );
            }
            parsed.map(Name::into_string).unwrap_or_default()
        }
        Some(_) => {
            errors.add("name", "Names must be strings");
            String::new()
        }
    };

    let id = match input.get("id").filter(|v| !v.is_null()) {
        Some(value) if creating => match text(value).filter(|v| !v.is_empty()) {
            None => None,
            Some(_) if !rights.sysadmin => {
                errors.add("id", "The input field id was not expected.");
                None
            }
            Some(id) if uuid::Uuid::parse_str(&id).is_err() => {
                errors.add("id", "Invalid id provided");
                None
            }
            Some(id) => Some(id),
        },
        _ => None,
    };

    for field in CORE_TEXT_FIELDS {
        let value = match input.get(*field) {
            None | Some(Value::Null) => Value::Null,
            Some(Value::Object(_)) if *field == "title" || *field == "notes" => {
                errors.add(field, "Must be a string");
                Value::Null
            }
            Some(Value::Array(_) | Value::Object(_)) => {
                errors.add(field, "Must be a string");
                Value::Null
            }
            Some(value) => Value::String(text(value).unwrap_or_default()),
        };
        doc.insert((*field).to_owned(), value);
    }
    if let Some(Value::String(title)) = doc.get("title") {
        let trimmed = title.trim().to_owned();
        doc.insert("title".into(), Value::String(trimmed));
    }
    if matches!(doc.get("title"), Some(Value::Null)) || doc.get("title").and_then(Value::as_str) == Some("") {
        doc.insert("title".into(), Value::String(name.clone()));
    }
    for field in ["author_email", "maintainer_email"] {
        if let Some(email) = doc.get(field).and_then(Value::as_str).map(str::to_owned) {
            if email.trim().is_empty() {
                continue;
            }
            match validate_email(&email) {
                Ok(trimmed) => {
                    doc.insert(field.into(), Value::String(trimmed));
                }
                Err(message) => errors.add(field, message),
            }
        }
    }
    if let Some(version) = doc.get("version").and_then(Value::as_str)
        && version.chars().count() > 100
    {
        errors.add("version", "Version must be a maximum of 100 characters long");
    }

    let private = match input.get("private").filter(|v| !v.is_null()) {
        None => None,
        Some(value) => match crate::params::parse_bool(value) {
            Some(b) => Some(b),
            None if value == "" => None,
            None => {
                errors.add("private", "Value must be one of: true, false");
                None
            }
        },
    };
    let owner_org = input.get("owner_org").and_then(text).filter(|o| !o.is_empty());
    let state = match input.get("state").and_then(text).filter(|s| !s.is_empty()) {
        Some(state) if rights.may_set_state || rights.sysadmin => match PackageState::parse(&state) {
            Some(state) => Some(state),
            None => {
                errors.add("state", "State must be one of: active, draft, deleted");
                None
            }
        },
        _ => None,
    };
    let package_type = input.get("type").and_then(text).filter(|t| !t.is_empty());
    doc.insert("type".into(), package_type.map_or(Value::Null, Value::String));

    let tag_list = tags(input, &mut errors)?;
    doc.insert("tags".into(), Value::Array(tag_list));
    let extra_list = extras(input, &mut errors)?;
    doc.insert("extras".into(), Value::Array(extra_list));

    let resources = match input.get("resources").filter(|v| !v.is_null()) {
        None => None,
        Some(value) => {
            let list = list_of_dicts("resources", value)?;
            let mut resource_errors = Vec::new();
            let mut out = Vec::new();
            for resource in list {
                let mut own = ValidationErrors::new();
                out.push(validate_resource(resource, &mut own, "resource"));
                resource_errors.push(own);
            }
            if resource_errors.iter().any(|e| !e.is_empty()) {
                for (position, own) in resource_errors.iter().enumerate() {
                    for message in own.messages("resource") {
                        errors.add("resources", format!("{position}: {message}"));
                    }
                }
            }
            Some(out)
        }
    };

    let groups = match input.get("groups").filter(|v| !v.is_null()) {
        None => None,
        Some(value) => {
            let list = list_of_dicts("groups", value)?;
            Some(
                list.iter()
                    .filter_map(|g| g.get("id").or_else(|| g.get("name")).and_then(text))
                    .filter(|g| !g.is_empty())
                    .collect(),
            )
        }
    };

    let metadata_modified = if rights.sysadmin {
        input.get("metadata_modified").and_then(text).filter(|m| !m.is_empty())
    } else {
        None
    };

    // Free-form keys, kept as sent.
    for (key, value) in input {
        if SCHEMA_FIELDS.contains(&key.as_str())
            || COMPUTED_FIELDS.contains(&key.as_str())
            || CORE_TEXT_FIELDS.contains(&key.as_str())
            || key == "plugin_data"
        {
            continue;
        }
        doc.insert(key.clone(), value.clone());
    }

    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    Ok(Ok(ValidPackage { doc, id, name, owner_org, private, state, groups, resources, metadata_modified }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn valid(value: Value) -> ValidPackage {
        match validate_package(&map(value), ValidationRights::default(), true) {
            Ok(Ok(package)) => package,
            other => panic!("expected valid, got {other:?}"),
        }
    }

    fn invalid(value: Value) -> ValidationErrors {
        match validate_package(&map(value), ValidationRights::default(), true) {
            Ok(Err(errors)) => errors,
            other => panic!("expected errors, got {other:?}"),
        }
    }

    #[test]
    fn title_defaults_to_name_and_is_trimmed() {
        assert_eq!(valid(json!({"name": "ab"})).doc["title"], "ab");
        assert_eq!(valid(json!({"name": "ab", "title": "  T  "})).doc["title"], "T");
    }

    #[test]
    fn reports_every_field_error_at_once() {
        let errors = invalid(json!({"name": "Bad Name!", "tags": [{"name": "x"}], "author_email": "nope"}));
        assert_eq!(
            errors.messages("name"),
            ["Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"]
        );
        assert_eq!(errors.messages("tags"), ["Tag \"x\" length is less than minimum 2"]);
        assert_eq!(errors.messages("author_email"), ["Email nope is not a valid format"]);
        assert_eq!(invalid(json!({})).messages("name"), ["Missing value"]);
    }

    #[test]
    fn tags_must_be_dicts() {
        let result = validate_package(
            &map(json!({"name": "ab", "tags": ["a", "b"]})),
            ValidationRights::default(),
            true,
        );
        assert!(matches!(result, Err(IntegrityError(m)) if m.contains("('tags',)")));
    }

    #[test]
    fn tag_string_is_accepted_and_tags_are_sorted() {
        let package = valid(json!({"name": "ab", "tag_string": "zeta, alpha,beta"}));
        let names: Vec<&str> =
            package.doc["tags"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
        assert_eq!(names, ["alpha", "beta", "zeta"]);
    }

    #[test]
    fn unicode_tags_with_spaces_are_fine() {
        assert!(validate_tag("SNOW ENERGY BALANCE").is_ok());
        assert!(validate_tag("Bæredygtighed").is_ok());
        assert!(validate_tag("a!").is_err());
    }

    #[test]
    fn extras_are_sorted_strings_and_refuse_duplicates_and_schema_keys() {
        let package = valid(
            json!({"name": "ab", "extras": [{"key": "zz", "value": ["025:09"]}, {"key": "b", "value": true},
                {"key": "a", "value": "x"}]}),
        );
        assert_eq!(
            package.doc["extras"],
            json!([{"key": "a", "value": "x"}, {"key": "b", "value": "true"}, {"key": "zz", "value": "[\"025:09\"]"}])
        );
        let errors =
            invalid(json!({"name": "ab", "extras": [{"key": "k", "value": 1}, {"key": "k", "value": 2}]}));
        assert_eq!(errors.messages("extras_validation"), ["Duplicate key \"k\""]);
        let errors = invalid(json!({"name": "ab", "extras": [{"key": "title", "value": "x"}]}));
        assert_eq!(errors.messages("extras"), ["key: There is a schema field with the same name"]);
        assert_eq!(
            errors.to_json()["extras"],
            serde_json::json!([{"key": ["There is a schema field with the same name"]}])
        );
    }

    #[test]
    fn free_form_keys_are_kept_and_computed_ones_dropped() {
        let package = valid(json!({
            "name": "ab", "title_fra": "Titre", "foi-email": "a@b.org", "contact_points": [{"name": "x"}],
            "num_resources": 9, "organization": "x", "license_title": "x", "isopen": true
        }));
        assert_eq!(package.doc["title_fra"], "Titre");
        assert_eq!(package.doc["foi-email"], "a@b.org");
        assert_eq!(package.doc["contact_points"], json!([{"name": "x"}]));
        for computed in ["num_resources", "organization", "license_title", "isopen"] {
            assert!(!package.doc.contains_key(computed), "{computed}");
        }
    }

    #[test]
    fn only_sysadmins_choose_ids_and_they_must_be_uuids() {
        let errors = invalid(json!({"name": "ab", "id": "0e1f7f52-6d6b-4c54-9d9a-7f4b7f7a0c11"}));
        assert_eq!(errors.messages("id"), ["The input field id was not expected."]);
        let sysadmin = ValidationRights { sysadmin: true, may_set_state: true };
        let result = validate_package(&map(json!({"name": "ab", "id": "not-a-uuid"})), sysadmin, true);
        assert!(matches!(result, Ok(Err(e)) if e.messages("id") == ["Invalid id provided"]));
    }

    #[test]
    fn resources_get_formats_guessed_and_keep_their_own_keys() {
        let package = valid(json!({"name": "ab", "resources": [
            {"url": "http://x.org/data.CSV?x=1"},
            {"url": "http://x.org/a", "format": "csv", "byte_size": 10, "title": {"de": "T"}}
        ]}));
        let resources = package.resources.unwrap_or_default();
        assert_eq!(resources[0]["format"], "CSV");
        assert_eq!(resources[1]["format"], "CSV");
        assert_eq!(resources[1]["byte_size"], 10);
        assert_eq!(resources[1]["title"], json!({"de": "T"}));
    }

    #[test]
    fn state_is_ignored_for_callers_who_may_not_set_it() {
        assert_eq!(valid(json!({"name": "ab", "state": "deleted"})).state, None);
        let editor = ValidationRights { sysadmin: false, may_set_state: true };
        let result = validate_package(&map(json!({"name": "ab", "state": "draft"})), editor, false);
        assert!(matches!(result, Ok(Ok(p)) if p.state == Some(PackageState::Draft)));
    }
}
