//! Tag and vocabulary actions: `tag_list`, `tag_show`, `tag_search`, `tag_autocomplete`,
//! `format_autocomplete` and `vocabulary_list|show|create|update|delete`.
//!
//! Tags carried only by private, draft or deleted datasets are left out for everyone but
//! sysadmins (see `datahavn_storage::TagSearch`); CKAN lists every free tag in use.

use datahavn_domain::catalog::{TagRecord, Vocabulary};
use datahavn_domain::package::validate_tag;
use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_domain::{ValidationErrors, authz};
use datahavn_storage::{TagSearch, Tx};
use serde_json::{Map, Value, json};

use crate::error::authorize;
use crate::render::render_in_tx;
use crate::{Action, ActionError, ActionResult, Context};

/// Most datasets `tag_show` embeds with `include_datasets`.
const TAG_SHOW_MAX_DATASETS: usize = 1000;
const VOCABULARY_NAME_MIN: usize = 2;
const VOCABULARY_NAME_MAX: usize = 100;

/// CKAN's tag dict: `{id, name, vocabulary_id, display_name}`.
fn tag_dict(tag: &TagRecord) -> Value {
    json!({
        "id": tag.id,
        "name": tag.name,
        "vocabulary_id": tag.vocabulary_id,
        "display_name": tag.name,
    })
}

/// The bare tag row `tag_search` returns: `{id, name, vocabulary_id}`.
fn tag_row(tag: &TagRecord) -> Value {
    json!({"id": tag.id, "name": tag.name, "vocabulary_id": tag.vocabulary_id})
}

/// `{id, name, tags}`, with the tags the caller may see.
fn vocabulary_dict(ctx: &Context<'_>, tx: &mut Tx<'_>, vocabulary: &Vocabulary) -> ActionResult {
    let search = TagSearch {
        vocabulary_id: Some(vocabulary.id.clone()),
        everything: ctx.actor.is_sysadmin(),
        ..TagSearch::default()
    };
    let (_, tags) = tx.search_tags(&search)?;
    Ok(json!({
        "id": vocabulary.id,
        "name": vocabulary.name,
        "tags": tags.iter().map(tag_dict).collect::<Vec<_>>(),
    }))
}

fn limit_and_offset(params: &Params, errors: &mut ValidationErrors) -> (Option<i64>, i64) {
    let limit = params.natural("limit", errors).map(|l| i64::try_from(l).unwrap_or(i64::MAX));
    let offset = params.natural("offset", errors).map_or(0, |o| i64::try_from(o).unwrap_or(i64::MAX));
    (limit, offset)
}

/// `vocabulary_id` as the search actions read it: when the key is sent it must name something.
fn searched_vocabulary(params: &Params, errors: &mut ValidationErrors) -> Option<String> {
    if !params.as_map().contains_key("vocabulary_id") {
        return None;
    }
    match params.string("vocabulary_id", errors) {
        Some(v) if !v.trim().is_empty() => Some(v),
        _ => {
            if !errors.contains("vocabulary_id") {
                errors.add("vocabulary_id", MISSING_VALUE);
            }
            None
        }
    }
}

/// The search terms of `query` (or `q`): a string or a list of strings, blanks dropped; and
/// the deprecated `fields: {"tags": ...}`.
fn search_terms(params: &Params, errors: &mut ValidationErrors) -> Vec<String> {
    let key = if params.contains("query") { "query" } else { "q" };
    let mut terms = Vec::new();
    match params.get(key) {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) => terms.push(s.clone()),
                    _ => errors.add(key, "Must be a string"),
                }
            }
        }
        Some(_) => terms.extend(params.string(key, errors)),
    }
    if let Some(Value::Object(fields)) = params.get("fields") {
        for field in ["tag", "tags"] {
            if let Some(Value::String(term)) = fields.get(field) {
                terms.push(term.clone());
            }
        }
    }
    terms.into_iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect()
}

/// The shared search of `tag_search` and `tag_autocomplete`: total and one page.
fn run_tag_search(ctx: &Context<'_>, params: &Params) -> ActionResult<(i64, Vec<TagRecord>)> {
    let mut errors = ValidationErrors::new();
    let terms = search_terms(params, &mut errors);
    let vocabulary = searched_vocabulary(params, &mut errors);
    let (limit, offset) = limit_and_offset(params, &mut errors);
    errors.into_result()?;
    if terms.is_empty() {
        return Ok((0, Vec::new()));
    }
    ctx.store().read(|tx| {
        let vocabulary_id = match vocabulary {
            None => None,
            Some(reference) => match tx.vocabulary_by_id_or_name(&reference)? {
                Some(vocabulary) => Some(vocabulary.id),
                None => return Ok((0, Vec::new())),
            },
        };
        let search = TagSearch { terms, vocabulary_id, everything: ctx.actor.is_sysadmin(), limit, offset };
        Ok(tx.search_tags(&search)?)
    })
}

pub const TAG_LIST: Action = Action {
    name: "tag_list",
    side_effect_free: true,
    doc: "Return a list of the site's tags.\n\n\
          By default only free tags (tags that belong to no vocabulary) that active public \
          datasets carry are returned. With ``vocabulary_id`` the tags of that vocabulary are \
          returned instead.\n\n\
          :param query: only tags whose names contain this string (optional; ``q`` also works)\n\
          :type query: string\n\
          :param vocabulary_id: the id or name of a vocabulary (optional)\n:type vocabulary_id: string\n\
          :param all_fields: return tag dicts instead of names (optional, default: ``False``)\n\
          :type all_fields: bool\n\n:rtype: list of strings or of dictionaries",
    run: tag_list,
    ..crate::UNTYPED
};

fn tag_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let query = params
        .first_string(&["query", "q"], &mut errors)
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    let vocabulary = params.string("vocabulary_id", &mut errors).filter(|v| !v.is_empty());
    let all_fields = params.bool("all_fields", false, &mut errors);
    // As in CKAN, paging applies to the query path only.
    let (limit, offset) = if query.is_some() { limit_and_offset(params, &mut errors) } else { (None, 0) };
    errors.into_result()?;
    let tags = ctx.store().read(|tx| {
        let vocabulary_id = match vocabulary {
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
            limit,
            offset,
        };
        Ok(tx.search_tags(&search)?.1)
    })?;
    Ok(Value::Array(
        tags.iter().map(|t| if all_fields { tag_dict(t) } else { Value::String(t.name.clone()) }).collect(),
    ))
}

pub const TAG_SHOW: Action = Action {
    name: "tag_show",
    side_effect_free: true,
    doc: "Return the details of a tag and, if asked, its datasets.\n\n\
          :param id: the name or id of the tag\n:type id: string\n\
          :param vocabulary_id: the id or name of the tag's vocabulary; without it the tag is \
          taken to be a free tag (optional)\n:type vocabulary_id: string\n\
          :param include_datasets: include the active public datasets carrying the tag, up to \
          1000 (optional, default: ``False``)\n:type include_datasets: bool\n\n\
          :returns: ``{id, name, vocabulary_id, display_name}`` and ``packages`` when asked\n\
          :rtype: dictionary",
    run: tag_show,
    ..crate::UNTYPED
};

fn tag_show(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let id = params.required_string("id", &mut errors);
    let vocabulary = params.string("vocabulary_id", &mut errors).filter(|v| !v.is_empty());
    let include_datasets = params.bool("include_datasets", false, &mut errors);
    errors.into_result()?;
    let id = id.unwrap_or_default();
    ctx.store().read(|tx| {
        let vocabulary_id = match vocabulary {
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
        if include_datasets {
            let mut ids = tx.package_ids_with_tag(&tag.id)?;
            ids.truncate(TAG_SHOW_MAX_DATASETS);
            let mut records = tx.packages_by_ids(&ids)?;
            records.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
            let mut packages = Vec::with_capacity(records.len());
            for record in records {
                packages.push(
                    serde_json::from_str::<Value>(&record.rendered)
                        .map_err(|e| ActionError::Internal(format!("stored package {}: {e}", record.id)))?,
                );
            }
            dict["packages"] = Value::Array(packages);
        }
        Ok(dict)
    })
}

pub const TAG_SEARCH: Action = Action {
    name: "tag_search",
    side_effect_free: true,
    doc: "Return the tags whose names contain a given string.\n\n\
          Free tags of active public datasets are searched, or with ``vocabulary_id`` the tags \
          of that vocabulary.\n\n\
          :param query: the string(s) to search for (every one must match)\n\
          :type query: string or list of strings\n\
          :param vocabulary_id: the id or name of the vocabulary to search in (optional)\n\
          :type vocabulary_id: string\n:param fields: deprecated (``{\"tags\": <query>}``)\n\
          :param limit: the maximum number of tags to return (optional)\n:type limit: int\n\
          :param offset: the offset to start from (optional)\n:type offset: int\n\n\
          :returns: ``{count, results}``: the number of matches and a page of tag dicts\n\
          :rtype: dictionary",
    run: tag_search,
    ..crate::UNTYPED
};

fn tag_search(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let (count, tags) = run_tag_search(ctx, params)?;
    Ok(json!({"count": count, "results": tags.iter().map(tag_row).collect::<Vec<_>>()}))
}

pub const TAG_AUTOCOMPLETE: Action = Action {
    name: "tag_autocomplete",
    side_effect_free: true,
    doc: "Return the names of the tags that contain a given string.\n\n\
          Takes the parameters of ``tag_search``.\n\n:rtype: list of strings",
    run: tag_autocomplete,
    ..crate::UNTYPED
};

fn tag_autocomplete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let (_, tags) = run_tag_search(ctx, params)?;
    Ok(Value::Array(tags.into_iter().map(|t| Value::String(t.name)).collect()))
}

pub const FORMAT_AUTOCOMPLETE: Action = Action {
    name: "format_autocomplete",
    side_effect_free: true,
    doc: "Return the resource formats whose names contain a string, lowercased, most used first \
          (among the resources of active public datasets).\n\n\
          :param q: the string to search for\n:type q: string\n\
          :param limit: the maximum number of formats to return (optional, default: ``5``)\n\
          :type limit: int\n\n:rtype: list of strings",
    run: format_autocomplete,
    ..crate::UNTYPED
};

fn format_autocomplete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let q = params.required_string("q", &mut errors);
    let limit = params.natural("limit", &mut errors).unwrap_or(5);
    errors.into_result()?;
    let q = q.unwrap_or_default();
    let formats = ctx.store().read(|tx| tx.resource_format_counts(q.trim()))?;
    Ok(Value::Array(
        formats
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(format, _)| Value::String(format))
            .collect(),
    ))
}

pub const VOCABULARY_LIST: Action = Action {
    name: "vocabulary_list",
    side_effect_free: true,
    doc: "Return the site's tag vocabularies, with their tags.\n\n:rtype: list of dictionaries",
    run: vocabulary_list,
    ..crate::UNTYPED
};

fn vocabulary_list(ctx: &Context<'_>, _params: &Params) -> ActionResult {
    ctx.store().read(|tx| {
        let mut out = Vec::new();
        for vocabulary in tx.vocabularies()? {
            out.push(vocabulary_dict(ctx, tx, &vocabulary)?);
        }
        Ok(Value::Array(out))
    })
}

/// `id`, which the vocabulary actions report missing in CKAN's own words (a string, no list).
fn vocabulary_reference(params: &Params) -> ActionResult<String> {
    let mut errors = ValidationErrors::new();
    match params.string("id", &mut errors).filter(|id| !id.is_empty()) {
        Some(id) => Ok(id),
        None => {
            let mut dict = Map::new();
            dict.insert("id".into(), "id not in data".into());
            Err(ActionError::ValidationDict(dict))
        }
    }
}

fn find_vocabulary(tx: &mut Tx<'_>, reference: &str) -> ActionResult<Vocabulary> {
    tx.vocabulary_by_id_or_name(reference)?
        .ok_or_else(|| ActionError::not_found(format!("Could not find vocabulary \"{reference}\"")))
}

pub const VOCABULARY_SHOW: Action = Action {
    name: "vocabulary_show",
    side_effect_free: true,
    doc: "Return a tag vocabulary with its tags.\n\n\
          :param id: the id or name of the vocabulary\n:type id: string\n\n\
          :returns: ``{id, name, tags}``\n:rtype: dictionary",
    run: vocabulary_show,
    ..crate::UNTYPED
};

fn vocabulary_show(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let reference = vocabulary_reference(params)?;
    ctx.store().read(|tx| {
        let vocabulary = find_vocabulary(tx, &reference)?;
        vocabulary_dict(ctx, tx, &vocabulary)
    })
}

/// Vocabulary writes are for sysadmins; anonymous callers hear that they must log in.
fn require_sysadmin(ctx: &Context<'_>, action: &str) -> ActionResult<()> {
    authorize(authz::authenticated(&ctx.actor, action))?;
    if ctx.actor.is_sysadmin() { Ok(()) } else { Err(ActionError::NotAuthorized(None)) }
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
    params: &Params,
    required: bool,
    errors: &mut VocabularyErrors,
) -> ActionResult<Option<String>> {
    let mut type_errors = ValidationErrors::new();
    let name = params.string("name", &mut type_errors);
    for message in type_errors.messages("name") {
        errors.add("name", message.clone());
    }
    let name = match name {
        Some(name) if !(required && name.is_empty()) => name,
        _ => {
            if required && type_errors.is_empty() {
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
    params: &Params,
    errors: &mut VocabularyErrors,
) -> ActionResult<Option<Vec<String>>> {
    let Some(value) = params.get("tags") else { return Ok(None) };
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
        let rendered = Value::Object(render_in_tx(tx, &record, &ctx.site().site_url)?);
        tx.set_package_rendered(&record.id, &rendered.to_string())?;
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
    doc: "Create a tag vocabulary (sysadmins only).\n\n\
          :param name: the name of the new vocabulary, 2-100 characters, e.g. ``'Genre'``\n\
          :type name: string\n\
          :param tags: the tags of the new vocabulary, ``[{\"name\": ...}]`` (optional)\n\
          :type tags: list of tag dictionaries\n\n\
          :returns: the new vocabulary ``{id, name, tags}``\n:rtype: dictionary",
    run: vocabulary_create,
    ..crate::UNTYPED
};

fn vocabulary_create(ctx: &Context<'_>, params: &Params) -> ActionResult {
    require_sysadmin(ctx, "vocabulary_create")?;
    ctx.store().write(|tx| {
        let mut errors = VocabularyErrors::default();
        if params.get("id").is_some_and(|id| id.as_str() != Some("")) {
            errors.add("id", "The input field id was not expected.");
        }
        let name = check_vocabulary_name(tx, params, true, &mut errors)?;
        let tags = check_vocabulary_tags(tx, params, &mut errors)?;
        errors.into_result()?;
        let vocabulary = Vocabulary { id: uuid::Uuid::new_v4().to_string(), name: name.unwrap_or_default() };
        tx.insert_vocabulary(&vocabulary)?;
        replace_vocabulary_tags(ctx, tx, &vocabulary.id, &tags.unwrap_or_default())?;
        log::info!("vocabulary {} created by {:?}", vocabulary.name, ctx.actor.name());
        vocabulary_dict(ctx, tx, &vocabulary)
    })
}

pub const VOCABULARY_UPDATE: Action = Action {
    name: "vocabulary_update",
    side_effect_free: false,
    doc: "Update a tag vocabulary (sysadmins only): rename it, and with ``tags`` replace its \
          tags (tags left out are deleted, also from the datasets that carried them).\n\n\
          :param id: the id or name of the vocabulary\n:type id: string\n\
          :param name: the new name (optional)\n:type name: string\n\
          :param tags: the vocabulary's tags, ``[{\"name\": ...}]`` (optional)\n\
          :type tags: list of tag dictionaries\n\n\
          :returns: the updated vocabulary\n:rtype: dictionary",
    run: vocabulary_update,
    ..crate::UNTYPED
};

fn vocabulary_update(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let reference = vocabulary_reference(params)?;
    ctx.store().write(|tx| {
        let mut vocabulary = find_vocabulary(tx, &reference)?;
        require_sysadmin(ctx, "vocabulary_update")?;
        let mut errors = VocabularyErrors::default();
        let renaming = params.get("name").is_some_and(|n| n.as_str() != Some(vocabulary.name.as_str()));
        let name = if renaming { check_vocabulary_name(tx, params, false, &mut errors)? } else { None };
        let tags = check_vocabulary_tags(tx, params, &mut errors)?;
        errors.into_result()?;
        if let Some(name) = name {
            tx.rename_vocabulary(&vocabulary.id, &name)?;
            vocabulary.name = name;
        }
        if let Some(tags) = tags {
            replace_vocabulary_tags(ctx, tx, &vocabulary.id, &tags)?;
        }
        vocabulary_dict(ctx, tx, &vocabulary)
    })
}

pub const VOCABULARY_DELETE: Action = Action {
    name: "vocabulary_delete",
    side_effect_free: false,
    doc: "Delete a tag vocabulary and its tags (sysadmins only). Datasets carrying its tags \
          lose them.\n\n:param id: the id or name of the vocabulary\n:type id: string\n\n\
          :rtype: null",
    run: vocabulary_delete,
    ..crate::UNTYPED
};

fn vocabulary_delete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let reference = vocabulary_reference(params)?;
    ctx.store().write(|tx| {
        let vocabulary = find_vocabulary(tx, &reference)?;
        require_sysadmin(ctx, "vocabulary_delete")?;
        let tag_ids: Vec<String> = tx.tags_of_vocabulary(&vocabulary.id)?.into_iter().map(|t| t.id).collect();
        delete_tags(ctx, tx, &tag_ids)?;
        tx.delete_vocabulary(&vocabulary.id)?;
        log::info!("vocabulary {} deleted by {:?}", vocabulary.name, ctx.actor.name());
        Ok(Value::Null)
    })
}
