//! Tag and vocabulary actions: `tag_list`, `tag_show`, `tag_search`, `tag_autocomplete`,
//! `format_autocomplete`, `vocabulary_list|show|create|update|delete` and `tag_create|delete`.
//!
//! Tags carried only by private, draft or deleted datasets are left out for everyone but
//! sysadmins (see `datahavn_storage::TagSearch`); CKAN lists every free tag in use.

use datahavn_domain::ValidationErrors;
use datahavn_domain::catalog::{TagRecord, Vocabulary};
use datahavn_domain::package::validate_tag;
use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_storage::{TagSearch, Tx};
use serde_json::{Map, Value, json};

use crate::args::plain_error;
use crate::dto::{TagDict, TagListEntry, TagRow, TagSearchResult, VocabularyDict, VocabularyTagInput};
use crate::render::render_in_tx;
use crate::request::{NoParams, Request, alias, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// Most datasets `tag_show` embeds with `include_datasets`.
const TAG_SHOW_MAX_DATASETS: usize = 1000;
const VOCABULARY_NAME_MIN: usize = 2;
const VOCABULARY_NAME_MAX: usize = 100;

/// CKAN's tag dict: `{id, name, vocabulary_id, display_name}`.
fn tag_dict(tag: &TagRecord) -> TagDict {
    TagDict {
        id: tag.id.clone(),
        name: tag.name.clone(),
        vocabulary_id: tag.vocabulary_id.clone(),
        display_name: tag.name.clone(),
        packages: None,
    }
}

/// The bare tag row `tag_search` returns: `{id, name, vocabulary_id}`.
fn tag_row(tag: TagRecord) -> TagRow {
    TagRow { id: tag.id, name: tag.name, vocabulary_id: tag.vocabulary_id }
}

/// `{id, name, tags}`, with the tags the caller may see.
fn vocabulary_dict(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    vocabulary: &Vocabulary,
) -> ActionResult<VocabularyDict> {
    let search = TagSearch {
        vocabulary_id: Some(vocabulary.id.clone()),
        everything: ctx.actor.is_sysadmin(),
        ..TagSearch::default()
    };
    let (_, tags) = tx.search_tags(&search)?;
    Ok(VocabularyDict {
        id: vocabulary.id.clone(),
        name: vocabulary.name.clone(),
        tags: tags.iter().map(tag_dict).collect(),
    })
}

/// A `limit` or `offset` as the storage layer takes it.
fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub const TAG_LIST: Action = Action {
    name: "tag_list",
    side_effect_free: true,
    tag: "tags",
    doc: "Return a list of the site's tags.\n\n\
          By default only free tags (tags that belong to no vocabulary) that active public \
          datasets carry are returned. With ``vocabulary_id`` the tags of that vocabulary are \
          returned instead.\n\n:rtype: list of strings or of dictionaries",
    request: request_doc::<TagListRequest>,
    response: response_doc::<Vec<TagListEntry>>,
    errors: &[
        (404, "`Not found: could not find vocabulary '<id>'` (without a query)"),
        (409, "A parameter of the wrong type"),
    ],
    run: |ctx, params| tag_list(ctx, TagListRequest::parse(params)?),
};

request! {
    /// Which tags to list.
    pub struct TagListRequest {
        /// Only tags whose names contain this string.
        pub query: Option<String> => list_query,
        /// The older name of ``query``, read (as ``query`` is) only when ``query`` is not given.
        #[schema(value_type = Option<serde_json::Value>)]
        pub q: () => alias,
        /// The id or name of a vocabulary: its tags instead of free tags.
        pub vocabulary_id: Option<String>,
        /// Return tag dicts instead of names (default: false).
        pub all_fields: Option<bool>,
        /// With ``query``: the maximum number of tags to return, a natural number (without
        /// one: not read).
        #[schema(value_type = Option<serde_json::Value>)]
        pub limit: Option<u64> => query_page,
        /// With ``query``: the number of tags to skip, a natural number (without one: not read).
        #[schema(value_type = Option<serde_json::Value>)]
        pub offset: Option<u64> => query_page,
    }
}

/// `tag_list`'s `query` (or `q`), trimmed; blank is none.
fn list_query(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<String>> {
    let query = params.first_string(&[key, "q"], errors);
    Ok(query.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()))
}

/// `tag_list`'s `limit` and `offset`: read only with a query, as CKAN pages its query path only.
fn query_page(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<u64>> {
    let with_query = list_query(params, "query", &mut ValidationErrors::new())?.is_some();
    Ok(if with_query { params.natural(key, errors) } else { None })
}

fn tag_list(ctx: &Context<'_>, request: TagListRequest) -> ActionResult {
    // `q` is read by `query`'s reader.
    let TagListRequest { query, vocabulary_id, all_fields, limit, offset, q: () } = request;
    let tags = ctx.store().read(|tx| {
        let vocabulary_id = match vocabulary_id.filter(|v| !v.is_empty()) {
            None => None,
            Some(reference) => match tx.vocabulary_by_id_or_name(&reference)? {
                Some(vocabulary) => Some(vocabulary.id),
                None if query.is_some() => return Ok(Vec::new()),
                None => {
                    return Err(ActionError::not_found(format!("could not find vocabulary '{reference}'")));
                }
            },
        };
        let search = TagSearch {
            terms: query.into_iter().collect(),
            vocabulary_id,
            everything: ctx.actor.is_sysadmin(),
            limit: limit.map(signed),
            offset: offset.map_or(0, signed),
        };
        Ok(tx.search_tags(&search)?.1)
    })?;
    let all_fields = all_fields.unwrap_or(false);
    let entries: Vec<TagListEntry> = tags
        .iter()
        .map(|t| if all_fields { TagListEntry::Tag(tag_dict(t)) } else { TagListEntry::Name(t.name.clone()) })
        .collect();
    to_json(&entries)
}

pub const TAG_SHOW: Action = Action {
    name: "tag_show",
    side_effect_free: true,
    tag: "tags",
    doc: "Return the details of a tag and, if asked, its datasets.\n\n\
          A tag is found by id in any vocabulary, else by name among the free tags or those of \
          ``vocabulary_id``. Tags that only private datasets carry are shown to sysadmins only.\n\n\
          :returns: ``{id, name, vocabulary_id, display_name}`` and ``packages`` when asked\n\
          :rtype: dictionary",
    request: request_doc::<TagShowRequest>,
    response: response_doc::<TagDict>,
    errors: &[
        (404, "No such tag or vocabulary (or only private datasets carry the tag)"),
        (409, "`id` missing, or a parameter of the wrong type"),
    ],
    run: |ctx, params| tag_show(ctx, TagShowRequest::parse(params)?),
};

request! {
    /// The tag to show.
    pub struct TagShowRequest {
        /// The name or id of the tag.
        pub id: String,
        /// The id or name of the tag's vocabulary; without it the tag is taken to be a free tag.
        pub vocabulary_id: Option<String>,
        /// Include the active public datasets carrying the tag, up to 1000 (default: false).
        pub include_datasets: Option<bool>,
    }
}

fn tag_show(ctx: &Context<'_>, request: TagShowRequest) -> ActionResult {
    let TagShowRequest { id, vocabulary_id, include_datasets } = request;
    ctx.store().read(|tx| {
        let vocabulary_id = match vocabulary_id.filter(|v| !v.is_empty()) {
            None => None,
            Some(reference) => {
                Some(tx.vocabulary_by_id_or_name(&reference)?.ok_or(ActionError::NotFound(None))?.id)
            }
        };
        // By id in any vocabulary (unless one was named), else by name among free tags or
        // those of the named vocabulary.
        let tag = match tx.tag_by_id(&id)? {
            Some(tag) if vocabulary_id.is_none() || tag.vocabulary_id == vocabulary_id => Some(tag),
            Some(_) => None,
            None => tx.tag_by_id_or_name(&id, vocabulary_id.as_deref())?,
        };
        let tag = tag.ok_or(ActionError::NotFound(None))?;
        if !ctx.actor.is_sysadmin() && !tx.tag_is_public(&tag)? {
            return Err(ActionError::NotFound(None));
        }
        let mut dict = tag_dict(&tag);
        if include_datasets.unwrap_or(false) {
            dict.packages = Some(tag_packages(tx, &tag.id)?);
        }
        to_json(&dict)
    })
}

/// The dicts of the datasets carrying a tag, as stored, up to [`TAG_SHOW_MAX_DATASETS`].
fn tag_packages(tx: &mut Tx<'_>, tag_id: &str) -> ActionResult<Vec<Value>> {
    let mut ids = tx.package_ids_with_tag(tag_id)?;
    ids.truncate(TAG_SHOW_MAX_DATASETS);
    let mut records = tx.packages_by_ids(&ids)?;
    records.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    records
        .into_iter()
        .map(|record| {
            serde_json::from_str::<Value>(&record.rendered)
                .map_err(|e| ActionError::Internal(format!("stored package {}: {e}", record.id)))
        })
        .collect()
}

pub const TAG_SEARCH: Action = Action {
    name: "tag_search",
    side_effect_free: true,
    tag: "tags",
    doc: "Return the tags whose names contain a given string.\n\n\
          Free tags of active public datasets are searched, or with ``vocabulary_id`` the tags \
          of that vocabulary; an unknown vocabulary matches nothing.\n\n\
          :returns: ``{count, results}``: the number of matches and a page of tag dicts, by name\n\
          :rtype: dictionary",
    request: request_doc::<TagSearchRequest>,
    response: response_doc::<TagSearchResult>,
    errors: &[(409, "Bad `limit` or `offset`, blank `vocabulary_id`, or a query that is not text")],
    run: |ctx, params| tag_search(ctx, TagSearchRequest::parse(params)?),
};

request! {
    /// What `tag_search` and `tag_autocomplete` look for.
    pub struct TagSearchRequest {
        /// The string, or list of strings, to search for: every one must match. A number or
        /// boolean is read as text.
        #[schema(value_type = Option<serde_json::Value>)]
        pub query: Option<Vec<String>> => search_query,
        /// The older name of ``query``, read (as ``query`` is) only when ``query`` is not given.
        #[schema(value_type = Option<serde_json::Value>)]
        pub q: () => alias,
        /// The id or name of the vocabulary to search in (default: free tags); not blank when
        /// sent.
        pub vocabulary_id: Option<String> => searched_vocabulary,
        /// Deprecated: ``{"tags": <string>}`` adds a string to search for.
        #[schema(value_type = Option<serde_json::Value>)]
        pub fields: Option<Value>,
        /// The maximum number of tags to return.
        pub limit: Option<u64>,
        /// The number of tags to skip.
        pub offset: Option<u64>,
    }
}

/// The search strings of `query` (or `q`): a string or a list of strings, as sent.
fn search_query(
    params: &Params,
    key: &str,
    errors: &mut ValidationErrors,
) -> ActionResult<Option<Vec<String>>> {
    let key = if params.contains(key) { key } else { "q" };
    Ok(match params.get(key) {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .filter_map(|item| match item {
                    Value::String(s) => Some(s.clone()),
                    _ => {
                        errors.add(key, "Must be a string");
                        None
                    }
                })
                .collect(),
        ),
        Some(_) => Some(params.string(key, errors).into_iter().collect()),
    })
}

/// `vocabulary_id` as the search actions read it: when the key is sent it must name something.
fn searched_vocabulary(
    params: &Params,
    key: &str,
    errors: &mut ValidationErrors,
) -> ActionResult<Option<String>> {
    if !params.as_map().contains_key(key) {
        return Ok(None);
    }
    Ok(match params.string(key, errors) {
        Some(v) if !v.trim().is_empty() => Some(v),
        _ => {
            if !errors.contains(key) {
                errors.add(key, MISSING_VALUE);
            }
            None
        }
    })
}

/// The search terms: `query`'s and the deprecated `fields: {"tags": ...}`'s, trimmed, blanks
/// dropped.
fn search_terms(request: &TagSearchRequest) -> Vec<String> {
    // `q` is read by `query`'s reader.
    let TagSearchRequest { q: (), .. } = request;
    let from_fields = request.fields.as_ref().and_then(Value::as_object).into_iter().flat_map(|fields| {
        ["tag", "tags"].into_iter().filter_map(|field| fields.get(field).and_then(Value::as_str))
    });
    let from_query = request.query.iter().flatten().map(String::as_str);
    from_query.chain(from_fields).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// The shared search of `tag_search` and `tag_autocomplete`: total and one page.
fn run_tag_search(ctx: &Context<'_>, request: TagSearchRequest) -> ActionResult<(i64, Vec<TagRecord>)> {
    let terms = search_terms(&request);
    if terms.is_empty() {
        return Ok((0, Vec::new()));
    }
    ctx.store().read(|tx| {
        let vocabulary_id = match request.vocabulary_id {
            None => None,
            Some(reference) => match tx.vocabulary_by_id_or_name(&reference)? {
                Some(vocabulary) => Some(vocabulary.id),
                None => return Ok((0, Vec::new())),
            },
        };
        let search = TagSearch {
            terms,
            vocabulary_id,
            everything: ctx.actor.is_sysadmin(),
            limit: request.limit.map(signed),
            offset: request.offset.map_or(0, signed),
        };
        Ok(tx.search_tags(&search)?)
    })
}

fn tag_search(ctx: &Context<'_>, request: TagSearchRequest) -> ActionResult {
    let (count, tags) = run_tag_search(ctx, request)?;
    to_json(&TagSearchResult { count, results: tags.into_iter().map(tag_row).collect() })
}

pub const TAG_AUTOCOMPLETE: Action = Action {
    name: "tag_autocomplete",
    side_effect_free: true,
    tag: "tags",
    doc: "Return the names of the tags that contain a given string.\n\n\
          Takes the parameters of ``tag_search``.\n\n:rtype: list of strings",
    request: request_doc::<TagSearchRequest>,
    response: response_doc::<Vec<String>>,
    errors: &[(409, "Bad `limit` or `offset`, blank `vocabulary_id`, or a query that is not text")],
    run: |ctx, params| tag_autocomplete(ctx, TagSearchRequest::parse(params)?),
};

fn tag_autocomplete(ctx: &Context<'_>, request: TagSearchRequest) -> ActionResult {
    let (_, tags) = run_tag_search(ctx, request)?;
    Ok(Value::Array(tags.into_iter().map(|t| Value::String(t.name)).collect()))
}

pub const FORMAT_AUTOCOMPLETE: Action = Action {
    name: "format_autocomplete",
    side_effect_free: true,
    tag: "tags",
    doc: "Return the resource formats whose names contain a string.\n\n\
          The formats are lowercased, most used first, among the resources of active public \
          datasets.\n\n:rtype: list of strings",
    request: request_doc::<FormatAutocompleteRequest>,
    response: response_doc::<Vec<String>>,
    errors: &[(409, "`q` missing, or a bad `limit`")],
    run: |ctx, params| format_autocomplete(ctx, FormatAutocompleteRequest::parse(params)?),
};

request! {
    /// The formats to look for.
    pub struct FormatAutocompleteRequest {
        /// The string to search for.
        pub q: String,
        /// The maximum number of formats to return (default: 5).
        pub limit: Option<u64>,
    }
}

fn format_autocomplete(ctx: &Context<'_>, request: FormatAutocompleteRequest) -> ActionResult {
    let limit = usize::try_from(request.limit.unwrap_or(5)).unwrap_or(usize::MAX);
    let formats = ctx.store().read(|tx| tx.resource_format_counts(request.q.trim()))?;
    Ok(Value::Array(formats.into_iter().take(limit).map(|(format, _)| Value::String(format)).collect()))
}

pub const VOCABULARY_LIST: Action = Action {
    name: "vocabulary_list",
    side_effect_free: true,
    tag: "tags",
    doc: "Return the site's tag vocabularies, with their tags.\n\n:rtype: list of dictionaries",
    request: request_doc::<NoParams>,
    response: response_doc::<Vec<VocabularyDict>>,
    errors: &[],
    run: |ctx, params| vocabulary_list(ctx, NoParams::parse(params)?),
};

fn vocabulary_list(ctx: &Context<'_>, _request: NoParams) -> ActionResult {
    ctx.store().read(|tx| {
        let mut out = Vec::new();
        for vocabulary in tx.vocabularies()? {
            out.push(vocabulary_dict(ctx, tx, &vocabulary)?);
        }
        to_json(&out)
    })
}

/// `id`, which the vocabulary actions report missing first and in CKAN's own words (a string,
/// no list).
fn vocabulary_reference(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<String> {
    params
        .string(key, &mut ValidationErrors::new())
        .filter(|id| !id.is_empty())
        .ok_or_else(|| plain_error(key, format!("{key} not in data")))
}

fn find_vocabulary(tx: &mut Tx<'_>, reference: &str) -> ActionResult<Vocabulary> {
    tx.vocabulary_by_id_or_name(reference)?
        .ok_or_else(|| ActionError::not_found(format!("Could not find vocabulary \"{reference}\"")))
}

pub const VOCABULARY_SHOW: Action = Action {
    name: "vocabulary_show",
    side_effect_free: true,
    tag: "tags",
    doc: "Return a tag vocabulary with its tags.\n\n:returns: ``{id, name, tags}``\n:rtype: dictionary",
    request: request_doc::<VocabularyIdRequest>,
    response: response_doc::<VocabularyDict>,
    errors: &[
        (404, "`Not found: Could not find vocabulary \"<id>\"`"),
        (409, "`{\"id\": \"id not in data\"}`"),
    ],
    run: |ctx, params| vocabulary_show(ctx, VocabularyIdRequest::parse(params)?),
};

request! {
    /// The vocabulary to show or delete.
    pub struct VocabularyIdRequest {
        /// The id or name of the vocabulary.
        pub id: String => vocabulary_reference,
    }
}

fn vocabulary_show(ctx: &Context<'_>, request: VocabularyIdRequest) -> ActionResult {
    ctx.store().read(|tx| {
        let vocabulary = find_vocabulary(tx, &request.id)?;
        to_json(&vocabulary_dict(ctx, tx, &vocabulary)?)
    })
}

/// Vocabulary writes are for sysadmins; anonymous callers hear that they must log in.
fn require_sysadmin(ctx: &Context<'_>, action: &str) -> ActionResult<()> {
    crate::args::sysadmin_only(ctx, action, None)
}

/// The field errors of a vocabulary write, in CKAN's shape: lists of messages, and for `tags`
/// one dict per sent tag (empty when that tag is fine).
#[derive(Default)]
struct VocabularyErrors {
    fields: Map<String, Value>,
    tags: Option<Vec<Value>>,
}

impl VocabularyErrors {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        let entry = self.fields.entry(field.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(message.into()));
        }
    }

    fn into_result(self) -> ActionResult<()> {
        let mut dict = self.fields;
        if let Some(tags) = self.tags
            && tags.iter().any(|t| t.as_object().is_some_and(|o| !o.is_empty()))
        {
            dict.insert("tags".into(), Value::Array(tags));
        }
        if dict.is_empty() { Ok(()) } else { Err(ActionError::ValidationDict(dict)) }
    }
}

/// A new or changed vocabulary name: 2–100 characters, not another vocabulary's. `required`
/// (on create) also refuses a missing or empty name.
fn check_vocabulary_name(
    tx: &mut Tx<'_>,
    name: Option<String>,
    required: bool,
    errors: &mut VocabularyErrors,
) -> ActionResult<Option<String>> {
    let name = match name {
        Some(name) if !(required && name.is_empty()) => name,
        _ => {
            if required {
                errors.add("name", MISSING_VALUE);
            }
            return Ok(None);
        }
    };
    let length = name.chars().count();
    if length < VOCABULARY_NAME_MIN {
        errors.add("name", format!("Name must be at least {VOCABULARY_NAME_MIN} characters long"));
    } else if length > VOCABULARY_NAME_MAX {
        errors.add("name", format!("Name must be a maximum of {VOCABULARY_NAME_MAX} characters long"));
    } else if tx.vocabularies()?.iter().any(|v| v.name == name) {
        errors.add("name", "That vocabulary name is already in use.");
    } else {
        return Ok(Some(name));
    }
    Ok(None)
}

/// The tag names of a vocabulary write (`tags: [{name}]`), deduplicated in order; `None` when
/// `tags` was not sent.
fn check_vocabulary_tags(
    tx: &mut Tx<'_>,
    tags: Option<&Value>,
    errors: &mut VocabularyErrors,
) -> ActionResult<Option<Vec<String>>> {
    let Some(value) = tags else { return Ok(None) };
    let not_dicts = |kind: &str| {
        ActionError::Integrity(format!(
            "Only lists of dicts can be placed against subschema ('tags',), not <class '{kind}'>"
        ))
    };
    let Value::Array(items) = value else {
        return Err(not_dicts(match value {
            Value::String(_) => "str",
            Value::Object(_) => "dict",
            _ => "int",
        }));
    };
    let mut names = Vec::new();
    let mut tag_errors = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(tag) = item else { return Err(not_dicts("list")) };
        let mut these = Map::new();
        let name = match tag.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                these.insert("name".into(), json!(["Must be a string"]));
                None
            }
        };
        match name {
            Some(name) if !name.is_empty() => match validate_tag(&name) {
                Ok(()) => {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                Err(message) => {
                    these.insert("name".into(), json!([message]));
                }
            },
            _ => {
                these.entry("name").or_insert_with(|| json!([MISSING_VALUE]));
            }
        }
        if let Some(Value::String(vocabulary_id)) = tag.get("vocabulary_id")
            && !vocabulary_id.is_empty()
            && tx.vocabularies()?.iter().all(|v| v.id != *vocabulary_id)
        {
            these.insert("vocabulary_id".into(), json!(["Tag vocabulary was not found."]));
        }
        tag_errors.push(Value::Object(these));
    }
    errors.tags = Some(tag_errors);
    Ok(Some(names))
}

/// Removes tags for good, and from the datasets that carried them (their stored and rendered
/// dicts), in the caller's transaction.
fn delete_tags(ctx: &Context<'_>, tx: &mut Tx<'_>, tag_ids: &[String]) -> ActionResult<()> {
    if tag_ids.is_empty() {
        return Ok(());
    }
    let package_ids = tx.package_ids_with_any_tag(tag_ids)?;
    for id in tag_ids {
        tx.delete_tag(id)?;
    }
    for mut record in tx.packages_by_ids(&package_ids)? {
        if let Some(Value::Array(tags)) = record.document.get_mut("tags") {
            tags.retain(|t| {
                t.get("id").and_then(Value::as_str).is_none_or(|id| !tag_ids.iter().any(|d| d == id))
            });
        }
        tx.update_package(&record)?;
        record.rendered = Value::Object(render_in_tx(tx, &record, &ctx.site().site_url)?).to_string();
        tx.set_package_rendered(&record)?;
    }
    Ok(())
}

/// Makes the vocabulary's tags exactly these names: others are deleted, new ones created.
fn replace_vocabulary_tags(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    vocabulary_id: &str,
    names: &[String],
) -> ActionResult<()> {
    let current = tx.tags_of_vocabulary(vocabulary_id)?;
    let gone: Vec<String> =
        current.iter().filter(|t| !names.contains(&t.name)).map(|t| t.id.clone()).collect();
    delete_tags(ctx, tx, &gone)?;
    for name in names {
        tx.ensure_tag(name, Some(vocabulary_id))?;
    }
    Ok(())
}

pub const VOCABULARY_CREATE: Action = Action {
    name: "vocabulary_create",
    side_effect_free: false,
    tag: "tags",
    doc: "Create a tag vocabulary (sysadmins only).\n\nThe new vocabulary may bring its tags along.\n\n\
          :returns: the new vocabulary ``{id, name, tags}``\n:rtype: dictionary",
    request: request_doc::<VocabularyCreateRequest>,
    response: response_doc::<VocabularyDict>,
    errors: &[
        (400, "`tags` is not a list of dicts"),
        (403, "Anonymous, or not a sysadmin"),
        (409, "Field errors: `name` missing, too short or long, or taken; `id` given; bad tags"),
    ],
    run: |ctx, params| {
        // Refused before anything is read, as CKAN checks access first.
        require_sysadmin(ctx, "vocabulary_create")?;
        vocabulary_create(ctx, VocabularyCreateRequest::parse(params)?)
    },
};

request! {
    /// A new tag vocabulary.
    pub struct VocabularyCreateRequest {
        /// Not accepted: the site chooses the id (`The input field id was not expected.`).
        #[schema(value_type = Option<String>)]
        pub id: Option<Value>,
        /// The name of the new vocabulary, 2–100 characters, e.g. ``Genre``.
        #[schema(required = true)]
        pub name: Option<String>,
        /// The tags of the new vocabulary, ``[{"name": ...}]``.
        #[schema(value_type = Option<Vec<VocabularyTagInput>>)]
        pub tags: Option<Value>,
    }
}

fn vocabulary_create(ctx: &Context<'_>, request: VocabularyCreateRequest) -> ActionResult {
    ctx.store().write(|tx| {
        let mut errors = VocabularyErrors::default();
        if request.id.as_ref().is_some_and(|id| id.as_str() != Some("")) {
            errors.add("id", "The input field id was not expected.");
        }
        let name = check_vocabulary_name(tx, request.name.clone(), true, &mut errors)?;
        let tags = check_vocabulary_tags(tx, request.tags.as_ref(), &mut errors)?;
        errors.into_result()?;
        let vocabulary = Vocabulary { id: uuid::Uuid::new_v4().to_string(), name: name.unwrap_or_default() };
        tx.insert_vocabulary(&vocabulary)?;
        replace_vocabulary_tags(ctx, tx, &vocabulary.id, &tags.unwrap_or_default())?;
        log::info!("vocabulary {} created by {:?}", vocabulary.name, ctx.actor.name());
        to_json(&vocabulary_dict(ctx, tx, &vocabulary)?)
    })
}

pub const VOCABULARY_UPDATE: Action = Action {
    name: "vocabulary_update",
    side_effect_free: false,
    tag: "tags",
    doc: "Update a tag vocabulary (sysadmins only).\n\nRenames it and, with ``tags``, replaces its \
          tags: tags left out are deleted, also from the datasets that carried them.\n\n\
          :returns: the updated vocabulary\n:rtype: dictionary",
    request: request_doc::<VocabularyUpdateRequest>,
    response: response_doc::<VocabularyDict>,
    errors: &[
        (400, "`tags` is not a list of dicts"),
        (403, "Anonymous, or not a sysadmin"),
        (404, "`Not found: Could not find vocabulary \"<id>\"`"),
        (409, "`{\"id\": \"id not in data\"}`, or field errors (name too short or long, or taken; bad tags)"),
    ],
    run: |ctx, params| vocabulary_update(ctx, VocabularyUpdateRequest::parse(params)?),
};

request! {
    /// A vocabulary's new name or tags.
    pub struct VocabularyUpdateRequest {
        /// The id or name of the vocabulary.
        pub id: String => vocabulary_reference,
        /// The new name, 2–100 characters.
        pub name: Option<String>,
        /// The vocabulary's tags from now on, ``[{"name": ...}]``; tags left out are deleted.
        #[schema(value_type = Option<Vec<VocabularyTagInput>>)]
        pub tags: Option<Value>,
    }
}

fn vocabulary_update(ctx: &Context<'_>, request: VocabularyUpdateRequest) -> ActionResult {
    ctx.store().write(|tx| {
        let mut vocabulary = find_vocabulary(tx, &request.id)?;
        require_sysadmin(ctx, "vocabulary_update")?;
        let mut errors = VocabularyErrors::default();
        let renamed = request.name.clone().filter(|name| *name != vocabulary.name);
        let name = match renamed {
            Some(name) => check_vocabulary_name(tx, Some(name), false, &mut errors)?,
            None => None,
        };
        let tags = check_vocabulary_tags(tx, request.tags.as_ref(), &mut errors)?;
        errors.into_result()?;
        if let Some(name) = name {
            tx.rename_vocabulary(&vocabulary.id, &name)?;
            vocabulary.name = name;
        }
        if let Some(tags) = tags {
            replace_vocabulary_tags(ctx, tx, &vocabulary.id, &tags)?;
        }
        to_json(&vocabulary_dict(ctx, tx, &vocabulary)?)
    })
}

pub const VOCABULARY_DELETE: Action = Action {
    name: "vocabulary_delete",
    side_effect_free: false,
    tag: "tags",
    doc: "Delete a tag vocabulary and its tags (sysadmins only).\n\nDatasets carrying its tags \
          lose them.\n\n:rtype: null",
    request: request_doc::<VocabularyIdRequest>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Anonymous, or not a sysadmin"),
        (404, "`Not found: Could not find vocabulary \"<id>\"`"),
        (409, "`{\"id\": \"id not in data\"}`"),
    ],
    run: |ctx, params| vocabulary_delete(ctx, VocabularyIdRequest::parse(params)?),
};

fn vocabulary_delete(ctx: &Context<'_>, request: VocabularyIdRequest) -> ActionResult {
    ctx.store().write(|tx| {
        let vocabulary = find_vocabulary(tx, &request.id)?;
        require_sysadmin(ctx, "vocabulary_delete")?;
        let tag_ids: Vec<String> = tx.tags_of_vocabulary(&vocabulary.id)?.into_iter().map(|t| t.id).collect();
        delete_tags(ctx, tx, &tag_ids)?;
        tx.delete_vocabulary(&vocabulary.id)?;
        log::info!("vocabulary {} deleted by {:?}", vocabulary.name, ctx.actor.name());
        Ok(Value::Null)
    })
}

pub const TAG_CREATE: Action = Action {
    name: "tag_create",
    side_effect_free: false,
    tag: "tags",
    doc: "Create a new vocabulary tag (sysadmins only).\n\nOnly tags of a vocabulary are made \
          here; a free tag comes into being when a dataset carries it.\n\n\
          :returns: the new tag, with the public datasets carrying it (``packages``)\n\
          :rtype: dictionary",
    request: request_doc::<TagCreateRequest>,
    response: response_doc::<TagDict>,
    errors: &[
        (403, "Anonymous, or not a sysadmin"),
        (
            409,
            "`name` missing or not a valid tag name; `vocabulary_id` missing, unknown, or already holding the tag; `id` given",
        ),
    ],
    run: |ctx, params| {
        // CKAN checks access before it validates.
        require_sysadmin(ctx, "tag_create")?;
        tag_create(ctx, TagCreateRequest::parse(params)?)
    },
};

request! {
    /// A new tag of a vocabulary.
    pub struct TagCreateRequest {
        /// The name of the new tag: 2–100 characters, letters, digits, spaces and ``-_.``.
        #[schema(required = true)]
        pub name: Option<String>,
        /// The id of the vocabulary the tag belongs to.
        #[schema(required = true)]
        pub vocabulary_id: Option<String>,
        /// Not accepted: the site chooses the id.
        #[schema(value_type = Option<String>)]
        pub id: Option<Value>,
    }
}

fn tag_create(ctx: &Context<'_>, request: TagCreateRequest) -> ActionResult {
    ctx.store().write(|tx| {
        let mut errors = VocabularyErrors::default();
        if request.id.as_ref().is_some_and(|id| !id.is_null() && id.as_str() != Some("")) {
            errors.add("id", "The input field id was not expected.");
        }
        let name = match request.name.as_deref() {
            None | Some("") => {
                errors.add("name", MISSING_VALUE);
                None
            }
            Some(name) => match validate_tag(name) {
                Ok(()) => Some(name.to_owned()),
                Err(message) => {
                    errors.add("name", message);
                    None
                }
            },
        };
        let vocabulary = match request.vocabulary_id.as_deref() {
            None | Some("") => {
                errors.add("vocabulary_id", MISSING_VALUE);
                None
            }
            // CKAN's `vocabulary_id_exists` looks the id up, not the name.
            Some(id) => match tx.vocabularies()?.into_iter().find(|v| v.id == id) {
                Some(vocabulary) => Some(vocabulary),
                None => {
                    errors.add("vocabulary_id", "Tag vocabulary was not found.");
                    None
                }
            },
        };
        if let (Some(name), Some(vocabulary)) = (&name, &vocabulary)
            && tx.tag_by_id_or_name(name, Some(&vocabulary.id))?.is_some_and(|t| t.name == *name)
        {
            errors
                .add("vocabulary_id", format!("Tag {name} already belongs to vocabulary {}", vocabulary.id));
        }
        errors.into_result()?;
        let (Some(name), Some(vocabulary)) = (name, vocabulary) else {
            return Err(ActionError::Internal("tag_create: checked fields missing".into()));
        };
        let tag = tx.ensure_tag(&name, Some(&vocabulary.id))?;
        log::info!("tag {} created in vocabulary {} by {:?}", tag.name, vocabulary.name, ctx.actor.name());
        let mut dict = tag_dict(&tag);
        dict.packages = Some(Vec::new());
        to_json(&dict)
    })
}

pub const TAG_DELETE: Action = Action {
    name: "tag_delete",
    side_effect_free: false,
    tag: "tags",
    doc: "Delete a tag (sysadmins only).\n\nThe datasets carrying it lose it.\n\n:rtype: null",
    request: request_doc::<TagDeleteRequest>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Anonymous, or not a sysadmin"),
        (404, "`Not found: Could not find tag \"<id>\"`"),
        (409, "`{\"id\": \"id not in data\"}`"),
    ],
    run: |ctx, params| tag_delete(ctx, TagDeleteRequest::parse(params)?),
};

request! {
    /// The tag to delete.
    pub struct TagDeleteRequest {
        /// The id or name of the tag.
        pub id: String => vocabulary_reference,
        /// The id or name of the vocabulary the tag belongs to (a name is looked up among free
        /// tags without it).
        pub vocabulary_id: Option<String>,
    }
}

fn tag_delete(ctx: &Context<'_>, request: TagDeleteRequest) -> ActionResult {
    ctx.store().write(|tx| {
        let not_found = || ActionError::not_found(format!("Could not find tag \"{}\"", request.id));
        let vocabulary_id = match request.vocabulary_id.as_deref().filter(|v| !v.is_empty()) {
            None => None,
            Some(reference) => Some(tx.vocabulary_by_id_or_name(reference)?.ok_or_else(not_found)?.id),
        };
        let tag = match tx.tag_by_id(&request.id)? {
            Some(tag) => Some(tag),
            None => tx.tag_by_id_or_name(&request.id, vocabulary_id.as_deref())?,
        };
        let tag = tag.ok_or_else(not_found)?;
        // Found first, then refused, as CKAN does.
        require_sysadmin(ctx, "tag_delete")?;
        delete_tags(ctx, tx, std::slice::from_ref(&tag.id))?;
        log::info!("tag {} deleted by {:?}", tag.name, ctx.actor.name());
        Ok(Value::Null)
    })
}
