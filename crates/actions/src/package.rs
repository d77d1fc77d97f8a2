//! Dataset actions: show, create, update, patch, delete, purge, and the write every dataset
//! change goes through. The lists are in `package_list.rs`.

use std::collections::HashSet;

use datahavn_domain::authz::{self, Memberships};
use datahavn_domain::catalog::{PackageRecord, ResourceRecord};
use datahavn_domain::group::{Member, MemberCapacity, MemberKind};
use datahavn_domain::package::{self as rules, PackageState, ValidPackage, ValidationRights};
use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_domain::{Timestamp, ValidationErrors};
use datahavn_storage::Tx;
use serde_json::{Map, Value, json};

use crate::access::{memberships, require_edit};
use crate::args::{authenticated, plain_error};
use crate::dto::PackageDict;
use crate::render::{render_in_tx, render_package};
use crate::request::{Request, request, request_doc, response_doc, scalar_text};
use crate::{Action, ActionError, ActionResult, Context, activity};

/// How a write reached the dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    Create,
    Update,
    /// An update that records no activity of its own (the caller records what CKAN does).
    Quiet,
}

fn integrity(error: rules::IntegrityError) -> ActionError {
    ActionError::Integrity(error.0)
}

/// Resolves the dataset's final resources: ids kept or made, timestamps kept or set.
fn settle_resources(
    tx: &mut Tx<'_>,
    package_id: &str,
    sent: Vec<Map<String, Value>>,
    existing: &[Value],
    now: Timestamp,
    errors: &mut ValidationErrors,
) -> ActionResult<Vec<Value>> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(sent.len());
    for mut resource in sent {
        let id = match resource.get("id").and_then(scalar_text) {
            Some(id) => {
                if let Some(other) = tx.resource_by_id(&id)?
                    && other.package_id != package_id
                {
                    errors.add("resources", "Resource id already exists.");
                }
                if !seen.insert(id.clone()) {
                    errors.add("resources", format!("Duplicate resource id {id}"));
                }
                id
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        let previous = existing
            .iter()
            .filter_map(Value::as_object)
            .find(|r| r.get("id").and_then(Value::as_str) == Some(&id));
        resource.insert("id".into(), Value::String(id));
        // A resource with an id sent without a format keeps the stored one (CKAN's `format`
        // column is not cleared when missing); a new one has `""`.
        if !resource.contains_key("format") {
            let format = previous.and_then(|p| p.get("format")).cloned().unwrap_or_else(|| "".into());
            resource.insert("format".into(), format);
        }
        if !resource.contains_key("datastore_active")
            && let Some(active) = previous.and_then(|p| p.get("datastore_active"))
        {
            resource.insert("datastore_active".into(), active.clone());
        }
        // Stored with CKAN's standard keys, so the dict a client reads back compares equal (and
        // a resource sent again as it was is seen as unchanged).
        for (key, default) in crate::render::resource_defaults() {
            resource.entry(key).or_insert(default);
        }
        match previous {
            Some(previous) => {
                let created = previous.get("created").cloned().unwrap_or_else(|| now.to_ckan_string().into());
                resource.entry("created").or_insert(created);
                let unchanged = {
                    let mut a = resource.clone();
                    let mut b = previous.clone();
                    a.remove("metadata_modified");
                    b.remove("metadata_modified");
                    a == b
                };
                let modified = if unchanged {
                    previous.get("metadata_modified").cloned().unwrap_or_else(|| now.to_ckan_string().into())
                } else {
                    now.to_ckan_string().into()
                };
                resource.insert("metadata_modified".into(), modified);
            }
            None => {
                resource.entry("created").or_insert_with(|| now.to_ckan_string().into());
                resource.entry("metadata_modified").or_insert_with(|| now.to_ckan_string().into());
            }
        }
        out.push(Value::Object(resource));
    }
    Ok(out)
}

fn resource_index(package_id: &str, resources: &[Value]) -> Vec<ResourceRecord> {
    let field = |r: &Map<String, Value>, key: &str| match r.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    resources
        .iter()
        .filter_map(Value::as_object)
        .enumerate()
        .map(|(position, r)| ResourceRecord {
            id: field(r, "id"),
            package_id: package_id.to_owned(),
            position: i32::try_from(position).unwrap_or(i32::MAX),
            state: "active".into(),
            url: field(r, "url"),
            format: field(r, "format"),
            name: field(r, "name"),
            description: field(r, "description"),
            hash: field(r, "hash"),
        })
        .collect()
}

/// The dataset dict with [`rules::guess_missing_mimetype`] applied to each of its resources.
fn with_guessed_mimetypes(input: &Map<String, Value>) -> Map<String, Value> {
    let mut input = input.clone();
    if let Some(Value::Array(resources)) = input.get_mut("resources") {
        for resource in resources.iter_mut().filter_map(Value::as_object_mut) {
            rules::guess_missing_mimetype(resource);
        }
    }
    input
}

/// Validation, permissions and the write shared by every action that changes a dataset.
/// Returns the stored record and its rendered dict; an update that changes nothing returns the
/// stored dict untouched.
pub(crate) fn write_package(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    who: &Memberships,
    input: &Map<String, Value>,
    existing: Option<&PackageRecord>,
    mode: Write,
) -> ActionResult<(PackageRecord, Value)> {
    let creating = mode == Write::Create;
    // The organization named, or kept. CKAN's `package_create` auth refuses one the caller may
    // not add datasets to before anything else is looked at (an unknown one is left to
    // validation's 409).
    let sent_org = input.get("owner_org").and_then(scalar_text).filter(|o| !o.is_empty());
    let org_ref = sent_org.or_else(|| existing.and_then(|e| e.owner_org.clone()));
    let found_org = match &org_ref {
        Some(reference) => tx.group_by_id_or_name(reference)?,
        None => None,
    };
    if creating
        && let Some(org) = &found_org
        && org.is_organization
        && !authz::can_create_dataset_in(who, &org.id)
    {
        return Err(ActionError::denied(format!(
            "User {} not authorized to add dataset to this organization",
            ctx.actor.name()
        )));
    }
    // Resources' `upload` and `clear_upload` keys are instructions, not fields.
    let taken = crate::upload::take_resource_uploads(ctx, input);
    let (input, upload_target) = match &taken {
        Some((input, target)) => (input, target.clone()),
        None => (input, None),
    };
    // CKAN guesses a missing mimetype in package_update, not in package_create.
    let guessed;
    let input = if creating {
        input
    } else {
        guessed = with_guessed_mimetypes(input);
        &guessed
    };
    let may_set_state = match existing {
        Some(existing) => authz::can_edit_package(who, &existing.access()),
        None => who.sysadmin,
    };
    let rights = ValidationRights { sysadmin: who.sysadmin, may_set_state };
    let (valid, mut errors): (Option<ValidPackage>, ValidationErrors) =
        match rules::validate_package(input, rights, creating).map_err(integrity)? {
            Ok(valid) => (Some(valid), ValidationErrors::new()),
            Err(errors) => (None, errors),
        };
    let now = Timestamp::now();

    // Organization (checked even when other fields failed: CKAN reports every error at once).
    let organization = match (&org_ref, found_org) {
        (None, _) => {
            // CKAN's `ckan.auth.create_unowned_dataset`.
            if !ctx.site().auth.create_unowned_dataset {
                errors.add("owner_org", "An organization must be provided");
            }
            None
        }
        (Some(_), Some(org)) if org.is_organization && org.is_active() => Some(org),
        (Some(_), _) => {
            errors.add("owner_org", "Organization does not exist");
            None
        }
    };
    if let Some(org) = &organization {
        let moving = existing.is_none_or(|e| e.owner_org.as_deref() != Some(org.id.as_str()));
        if moving && !authz::can_create_dataset_in(who, &org.id) {
            errors.add("owner_org", "You cannot add a dataset to this organization");
        }
    }

    let Some(mut valid) = valid else {
        return Err(errors.into());
    };

    // Identity and name.
    let id = match existing {
        Some(existing) => existing.id.clone(),
        None => match &valid.id {
            Some(id) => {
                if tx.package_by_id_or_name(id)?.is_some_and(|p| p.id == *id) {
                    errors.add("id", "Dataset id already exists");
                }
                id.clone()
            }
            None => uuid::Uuid::new_v4().to_string(),
        },
    };
    // The datasets holding the name: a live one taken by another dataset is an error; deleted
    // ones give it up to a new dataset below.
    let holders = tx.packages_named(&valid.name)?;
    if holders.iter().any(|(holder, state)| *state != PackageState::Deleted && *holder != id) {
        errors.add("name", "That URL is already in use.");
    }
    let private = valid.private.or(existing.map(|e| e.private)).unwrap_or(false);
    if private && organization.is_none() && !errors.contains("owner_org") {
        errors.add("private", "Datasets with no organization can't be private.");
    }

    // Resources.
    let existing_resources: Vec<Value> = existing
        .and_then(|e| e.document.get("resources"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let resources = match valid.resources.take() {
        Some(sent) => settle_resources(tx, &id, sent, &existing_resources, now, &mut errors)?,
        None => existing_resources,
    };

    // Tags, with their ids.
    let mut wanted = Vec::new();
    for tag in valid.doc.get("tags").and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = tag.get("name").and_then(Value::as_str) else { continue };
        let vocabulary = match tag.get("vocabulary_id").and_then(Value::as_str) {
            None => None,
            Some(reference) => match tx.vocabulary_by_id_or_name(reference)? {
                Some(vocabulary) => Some(vocabulary.id),
                None => {
                    errors.add("tags", format!("Tag vocabulary \"{reference}\" does not exist"));
                    continue;
                }
            },
        };
        wanted.push((name.to_owned(), vocabulary));
    }
    let mut tags = Vec::new();
    let mut tag_ids = Vec::new();
    for record in tx.ensure_tags(&wanted)? {
        tag_ids.push(record.id.clone());
        tags.push(json!({"name": record.name, "vocabulary_id": record.vocabulary_id, "id": record.id}));
    }

    // Groups: resolved now, written after the dataset row.
    let groups = match &valid.groups {
        None => None,
        Some(references) => {
            let current: HashSet<String> = match existing {
                Some(e) => {
                    tx.memberships_of(MemberKind::Package, &e.id)?.into_iter().map(|m| m.group_id).collect()
                }
                None => HashSet::new(),
            };
            let mut resolved = Vec::new();
            for reference in references {
                let group = tx
                    .group_by_id_or_name(reference)?
                    .filter(|g| !g.is_organization && g.is_active())
                    .ok_or_else(|| ActionError::not_found("Group was not found."))?;
                if !current.contains(&group.id) && !authz::can_manage_group_datasets(who, &group.id) {
                    return Err(ActionError::denied(format!(
                        "User {} not authorized to edit these groups",
                        who.user_name
                    )));
                }
                if !resolved.contains(&group.id) {
                    resolved.push(group.id);
                }
            }
            Some(resolved)
        }
    };
    errors.into_result()?;

    let mut document = std::mem::take(&mut valid.doc);
    let package_type = document
        .remove("type")
        .and_then(|t| t.as_str().map(str::to_owned))
        .or_else(|| existing.map(|e| e.package_type.clone()))
        .unwrap_or_else(|| "dataset".to_owned());
    document.insert("tags".into(), Value::Array(tags));
    document.insert("resources".into(), Value::Array(resources));
    let state = valid.state.or(existing.map(|e| e.state)).unwrap_or(PackageState::Active);
    let title = document.get("title").and_then(Value::as_str).unwrap_or(&valid.name).to_owned();
    // A sysadmin may set metadata_modified (a dumped dict carries it).
    let sent_modified = valid
        .metadata_modified
        .as_deref()
        .and_then(|m| {
            chrono::NaiveDateTime::parse_from_str(m.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f").ok()
        })
        .map(Timestamp::from_naive);

    if let Some(existing) = existing {
        let same_groups = match &groups {
            None => true,
            Some(new) => {
                let mut old: Vec<String> = tx
                    .memberships_of(MemberKind::Package, &existing.id)?
                    .into_iter()
                    .map(|m| m.group_id)
                    .collect();
                let mut new = new.clone();
                old.sort();
                new.sort();
                old == new
            }
        };
        let unchanged = existing.document == document
            && existing.name == valid.name
            && existing.private == private
            && existing.state == state
            && existing.package_type == package_type
            && existing.owner_org == organization.as_ref().map(|o| o.id.clone())
            && same_groups
            && sent_modified.is_none_or(|m| m == existing.metadata_modified);
        if unchanged {
            let rendered = serde_json::from_str(&existing.rendered)
                .map_err(|e| ActionError::Internal(format!("package {}: {e}", existing.id)))?;
            return Ok((existing.clone(), rendered));
        }
    }

    let metadata_modified = sent_modified.unwrap_or(now);
    let mut record = PackageRecord {
        id: id.clone(),
        name: valid.name.clone(),
        title,
        package_type,
        state,
        private,
        owner_org: organization.as_ref().map(|o| o.id.clone()),
        creator_user_id: match existing {
            Some(e) => e.creator_user_id.clone(),
            None => ctx.actor.user_id().map(str::to_owned),
        },
        metadata_created: existing.map_or(now, |e| e.metadata_created),
        metadata_modified,
        document,
        rendered: String::new(),
    };

    let site_url = &ctx.site().site_url;
    let mut rendered = None;
    if creating {
        if holders.iter().any(|(_, state)| *state == PackageState::Deleted) {
            let renamed = tx.free_name_of_deleted(&record.name)?;
            crate::render::rerender_packages(tx, &renamed, site_url)?;
        }
        // A new dataset has no relationships and only the groups resolved above: its dict is
        // rendered before its row is written, which then holds it from the start.
        let group_records = tx.groups_by_ids(groups.as_deref().unwrap_or_default())?;
        let dict =
            Value::Object(render_package(&record, organization.as_ref(), &group_records, &[], site_url));
        record.rendered = dict.to_string();
        rendered = Some(dict);
        tx.insert_package(&record)?;
    } else {
        tx.update_package(&record)?;
        if existing.is_some_and(|e| e.private != record.private || e.state != record.state) {
            crate::render::rerender_related(tx, &id, &ctx.site().site_url)?;
        }
    }
    let resources = record.document.get("resources").and_then(Value::as_array).cloned().unwrap_or_default();
    if creating {
        tx.insert_resources(&resource_index(&id, &resources))?;
    } else {
        tx.replace_resources(&id, &resource_index(&id, &resources))?;
    }
    if !creating {
        crate::upload::release_unreferenced(ctx, tx, &id, &resources)?;
    }
    if let Some(resource_id) = &upload_target {
        crate::upload::store_upload(ctx, tx, resource_id, &id)?;
    }
    if creating {
        tx.add_package_tags(&id, &tag_ids)?;
    } else {
        tx.set_package_tags(&id, &tag_ids)?;
    }
    if let Some(groups) = &groups {
        for member in tx.memberships_of(MemberKind::Package, &id)? {
            if !groups.contains(&member.group_id) {
                tx.delete_member(&member.group_id, MemberKind::Package, &id)?;
            }
        }
        for group_id in groups {
            tx.upsert_member(&Member::active(
                uuid::Uuid::new_v4().to_string(),
                group_id,
                MemberKind::Package,
                &id,
                MemberCapacity::Public,
            ))?;
        }
    }
    let rendered = match rendered {
        Some(rendered) => rendered,
        None => {
            let rendered = Value::Object(render_in_tx(tx, &record, site_url)?);
            record.rendered = rendered.to_string();
            tx.store_rendered(&record)?;
            rendered
        }
    };
    let rendered = match mode {
        Write::Create => {
            let groups = groups.unwrap_or_default();
            activity::record_new_package(ctx, tx, &record, rendered, groups)?
        }
        Write::Update => activity::record_package_change(ctx, tx, &record, rendered)?,
        Write::Quiet => rendered,
    };
    Ok((record, rendered))
}

/// The dataset named by `id` (or `name_or_id`), as `NotFound` with `reason` when missing.
pub(crate) fn find_package(
    tx: &mut Tx<'_>,
    reference: &str,
    reason: Option<&str>,
) -> ActionResult<PackageRecord> {
    tx.package_by_id_or_name(reference)?.ok_or_else(|| ActionError::NotFound(reason.map(str::to_owned)))
}

/// The stored document as a full input dict (what `package_patch` overlays).
pub(crate) fn as_input(record: &PackageRecord) -> Map<String, Value> {
    let mut input = record.document.clone();
    input.insert("id".into(), record.id.clone().into());
    input.insert("name".into(), record.name.clone().into());
    input.insert("type".into(), record.package_type.clone().into());
    input.insert("private".into(), record.private.into());
    input.insert("state".into(), record.state.as_str().into());
    input.insert("owner_org".into(), record.owner_org.clone().map_or(Value::Null, Value::String));
    input
}

/// CKAN's `get_or_bust` for a dataset: the first of `keys` given as text; a wrong type, or
/// none given, is a 409 before any other key is read.
fn required_id(params: &Params, keys: &[&str]) -> ActionResult<String> {
    let mut errors = ValidationErrors::new();
    let id = params.first_string(keys, &mut errors);
    errors.into_result()?;
    id.ok_or_else(|| ActionError::field(keys.first().copied().unwrap_or("id"), MISSING_VALUE))
}

/// A dataset's `id` (or name), read as [`required_id`] reads it.
fn dataset_id(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<String> {
    required_id(params, &[key])
}

/// `name_or_id`, which CKAN reads only when `id` is not given: its errors count only then.
fn alias_of_id(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<String>> {
    let mut ignored = ValidationErrors::new();
    if params.string("id", &mut ignored).is_some() {
        return Ok(params.string(key, &mut ignored));
    }
    Ok(params.string(key, errors))
}

/// The dataset named by `id`, or by `name_or_id` when `id` is not given.
fn id_or_alias(id: Option<String>, alias: Option<String>) -> ActionResult<String> {
    id.or(alias).filter(|id| !id.is_empty()).ok_or_else(|| ActionError::field("id", MISSING_VALUE))
}

/// package_show's dataset: `id`, or `name_or_id` when `id` is not given or blank; neither is
/// `Missing value` under `name_or_id` (CKAN 2.12, `get.py` `package_show`:
/// `data_dict.get("id") or _get_or_bust(data_dict, 'name_or_id')`).
fn shown_id(id: Option<String>, alias: Option<String>) -> ActionResult<String> {
    id.filter(|id| !id.is_empty())
        .or(alias)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ActionError::field("name_or_id", MISSING_VALUE))
}

/// CKAN's `get_or_bust`: a key missing, blank or not text is a 409 at once, before any other
/// key is read.
pub(crate) fn required_now(
    params: &Params,
    key: &str,
    _errors: &mut ValidationErrors,
) -> ActionResult<String> {
    let [value] = crate::args::required(params, [key])?;
    Ok(value)
}

/// A key as it was sent, `null` included (the dataset and resource validations tell `null`
/// from absent).
pub(crate) fn sent(
    params: &Params,
    key: &str,
    _errors: &mut ValidationErrors,
) -> ActionResult<Option<Value>> {
    Ok(params.as_map().get(key).cloned())
}

/// Declares a dataset request: the action's own keys, then the keys of CKAN's default dataset
/// schema as they were sent (the dataset validation reads them), then every other key.
macro_rules! dataset_request {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$fmeta:meta])* pub $field:ident : $ty:ty $(=> $reader:expr)?,)*
        }
    ) => {
        request! {
            $(#[$meta])*
            pub struct $name {
                $($(#[$fmeta])* pub $field: $ty $(=> $reader)?,)*
                /// The URL name: 2-100 characters of lowercase letters, digits, `-` and `_`.
                #[schema(value_type = Option<String>)]
                pub name: Option<Value> => sent,
                /// The title (default: the name).
                #[schema(value_type = Option<String>)]
                pub title: Option<Value> => sent,
                /// The id or name of the owning organization (on update: kept when not given as
                /// text).
                pub owner_org: Option<Value> => sent,
                /// Whether only the organization's members may see it (default false).
                #[schema(value_type = Option<bool>)]
                pub private: Option<Value> => sent,
                /// A description, in Markdown.
                #[schema(value_type = Option<String>)]
                pub notes: Option<Value> => sent,
                /// The author's name.
                #[schema(value_type = Option<String>)]
                pub author: Option<Value> => sent,
                /// The author's email address.
                #[schema(value_type = Option<String>)]
                pub author_email: Option<Value> => sent,
                /// The maintainer's name.
                #[schema(value_type = Option<String>)]
                pub maintainer: Option<Value> => sent,
                /// The maintainer's email address.
                #[schema(value_type = Option<String>)]
                pub maintainer_email: Option<Value> => sent,
                /// The id of its licence (see `license_list`).
                #[schema(value_type = Option<String>)]
                pub license_id: Option<Value> => sent,
                /// A URL for the dataset's source.
                #[schema(value_type = Option<String>)]
                pub url: Option<Value> => sent,
                /// At most 100 characters.
                #[schema(value_type = Option<String>)]
                pub version: Option<Value> => sent,
                /// `active` or `draft`; editors of the dataset may also set `deleted`. Ignored
                /// from others, and when not text.
                pub state: Option<Value> => sent,
                /// The dataset type (default `dataset`); ignored when not text.
                pub r#type: Option<Value> => sent,
                /// Resource dicts (see `resource_create`); on update and patch the list replaces
                /// the current one, kept when not given.
                #[schema(value_type = Option<Vec<Object>>)]
                pub resources: Option<Value> => sent,
                /// Tag dicts `{name, vocabulary_id}`.
                #[schema(value_type = Option<Vec<Object>>)]
                pub tags: Option<Value> => sent,
                /// Comma-separated tag names, read when `tags` is not given.
                pub tag_string: Option<Value> => sent,
                /// `{key, value}` dicts; values are kept as text.
                #[schema(value_type = Option<Vec<Object>>)]
                pub extras: Option<Value> => sent,
                /// `{id}` or `{name}` dicts of the groups it belongs to; kept when not given.
                #[schema(value_type = Option<Vec<Object>>)]
                pub groups: Option<Value> => sent,
                /// Sysadmins only: the time of its last change (`YYYY-MM-DDTHH:MM:SS[.ffffff]`),
                /// as a dump carries it. Ignored from others.
                pub metadata_modified: Option<Value> => sent;
                /// Any other key is kept and returned as sent.
                ..rest
            }
        }

        impl $name {
            /// The dataset dict the validation reads: the schema's keys as sent, then the others.
            fn into_dataset(self) -> Map<String, Value> {
                let schema_keys = [
                    ("name", self.name),
                    ("title", self.title),
                    ("owner_org", self.owner_org),
                    ("private", self.private),
                    ("notes", self.notes),
                    ("author", self.author),
                    ("author_email", self.author_email),
                    ("maintainer", self.maintainer),
                    ("maintainer_email", self.maintainer_email),
                    ("license_id", self.license_id),
                    ("url", self.url),
                    ("version", self.version),
                    ("state", self.state),
                    ("type", self.r#type),
                    ("resources", self.resources),
                    ("tags", self.tags),
                    ("tag_string", self.tag_string),
                    ("extras", self.extras),
                    ("groups", self.groups),
                    ("metadata_modified", self.metadata_modified),
                ];
                let mut dataset: Map<String, Value> = schema_keys
                    .into_iter()
                    .filter_map(|(key, value)| Some((key.to_owned(), value?)))
                    .collect();
                dataset.extend(self.rest);
                dataset
            }
        }
    };
}

pub const PACKAGE_SHOW: Action = Action {
    name: "package_show",
    side_effect_free: true,
    tag: "datasets",
    doc: "Return the metadata of a dataset (package) and its resources.\n\n\
          The dataset dict with its resources, organization, tags, groups, extras and \
          relationships, as it was rendered when the dataset was last written. Private, draft \
          and deleted datasets are shown to those who may read them. `use_default_schema` is \
          accepted and ignored (datahavn has one schema).\n\n:rtype: dictionary",
    request: request_doc::<PackageShowRequest>,
    response: response_doc::<PackageDict>,
    errors: &[
        (403, "Private, draft or deleted, and the caller may not read it"),
        (404, "No such dataset"),
        (409, "`id` and `name_or_id` both missing (reported under `name_or_id`), or not text"),
    ],
    run: |ctx, params| package_show(ctx, PackageShowRequest::parse(params)?),
};

request! {
    /// The dataset to show.
    pub struct PackageShowRequest {
        /// The id or name of the dataset.
        pub id: Option<String>,
        /// The id or name of the dataset, when `id` is not given.
        pub name_or_id: Option<String> => alias_of_id,
    }
}

fn package_show(ctx: &Context<'_>, request: PackageShowRequest) -> ActionResult {
    let rendered = show_text(ctx, request)?;
    serde_json::from_str(&rendered).map_err(|e| ActionError::Internal(format!("stored package: {e}")))
}

/// `package_show`'s result as the stored JSON text, without parsing it (the hot path).
pub(crate) fn package_show_text(ctx: &Context<'_>, params: &Params) -> ActionResult<String> {
    show_text(ctx, PackageShowRequest::parse(params)?)
}

/// `package_show` of an active public dataset the read cache holds, with no worker thread,
/// caller or database needed (anyone may read it). `None`: ask [`package_show_text`].
pub(crate) fn public_cached(services: &crate::Services, params: &Params) -> Option<crate::CachedResult> {
    let cache = services.cache.as_deref()?;
    let request = PackageShowRequest::parse(params).ok()?;
    let id = shown_id(request.id, request.name_or_id).ok()?;
    cache.public_package(&id).map(crate::CachedResult)
}

fn show_text(ctx: &Context<'_>, request: PackageShowRequest) -> ActionResult<String> {
    let id = shown_id(request.id, request.name_or_id)?;
    shown_package(ctx, &id)
}

/// The rendered dict of the dataset whose id or name is `id`, if the caller may read it: from
/// the read cache when it holds it, else from the database (then kept in the cache).
pub(crate) fn shown_package(ctx: &Context<'_>, id: &str) -> ActionResult<String> {
    let cache = ctx.services.cache.as_deref();
    if let Some(held) = cache.and_then(|cache| cache.package(id)) {
        if !is_public(&held.access) {
            ctx.store().read(|tx| may_read(tx, ctx, &held.access))?;
        }
        return Ok(held.text()?);
    }
    let epoch = cache.map(crate::cache::ReadCache::epoch);
    let (access, name, packed) = ctx.store().read(|tx| {
        let (access, name, packed) =
            tx.package_access_name_and_rendered(id)?.ok_or(ActionError::NotFound(None))?;
        if !is_public(&access) {
            may_read(tx, ctx, &access)?;
        }
        Ok::<_, ActionError>((access, name, packed))
    })?;
    let rendered = datahavn_storage::pack::unpack(&packed)?;
    if let (Some(cache), Some(epoch)) = (cache, epoch)
        && let Some(kept) = datahavn_storage::pack::CachedText::new(&rendered)
    {
        cache.keep(epoch, crate::cache::CachedPackage::new(access, name, kept));
    }
    Ok(rendered)
}

fn is_public(access: &authz::PackageAccess) -> bool {
    access.state == PackageState::Active && !access.private
}

/// Refuses a caller who may not read the dataset.
fn may_read(tx: &mut Tx<'_>, ctx: &Context<'_>, access: &authz::PackageAccess) -> ActionResult<()> {
    let who = memberships(tx, ctx)?;
    if authz::can_read_package(&who, access) {
        return Ok(());
    }
    Err(ActionError::denied(format!(
        "User {} not authorized to read package {}",
        ctx.actor.name(),
        access.id
    )))
}

pub const PACKAGE_CREATE: Action = Action {
    name: "package_create",
    side_effect_free: false,
    tag: "datasets",
    doc: "Create a new dataset (package).\n\n\
          You must be an editor or admin of the organization (or a sysadmin); adding it to \
          groups needs membership of them. Any top-level key beyond CKAN's schema is kept and \
          returned as sent.\n\n\
          :returns: the newly created dataset, as package_show gives it\n:rtype: dictionary",
    request: request_doc::<PackageCreateRequest>,
    response: response_doc::<PackageDict>,
    errors: &[
        (400, "`resources`, `tags`, `extras` or `groups` not a list of dicts (`Integrity Error`)"),
        (403, "Not allowed to create datasets, in that organization, or in those groups"),
        (404, "`Not found: Group was not found.`"),
        (409, "Field errors"),
    ],
    run: |ctx, params| package_create(ctx, PackageCreateRequest::parse(params)?),
};

dataset_request! {
    /// A new dataset (CKAN's default schema); any other top-level key is kept as sent.
    pub struct PackageCreateRequest {
        /// Sysadmins only: a UUID for the new dataset.
        pub id: Option<Value> => sent,
    }
}

fn package_create(ctx: &Context<'_>, request: PackageCreateRequest) -> ActionResult {
    let id = request.id.clone();
    let mut input = request.into_dataset();
    if let Some(id) = id {
        input.insert("id".into(), id);
    }
    let (_, rendered) = ctx.store().write(|tx| {
        let who = memberships(tx, ctx)?;
        let orgs: Vec<String> = who.groups.keys().cloned().collect();
        // CKAN's `package_create` auth: an editor of some organization, or anyone (anonymous
        // callers too, with `anon_create_dataset`) when datasets may go without one.
        let auth = &ctx.site().auth;
        let unowned_for_anyone = auth.create_unowned_dataset && auth.create_dataset_if_not_in_organization;
        let may_create = if ctx.actor.is_authenticated() {
            unowned_for_anyone || authz::can_create_some_dataset(&who, &orgs)
        } else {
            unowned_for_anyone && auth.anon_create_dataset
        };
        if !may_create {
            return Err(ActionError::denied(format!(
                "User {} not authorized to create packages",
                ctx.actor.name()
            )));
        }
        write_package(ctx, tx, &who, &input, None, Write::Create)
    })?;
    log::info!("dataset {} created by {:?}", rendered["name"], ctx.actor.name());
    Ok(rendered)
}

pub const PACKAGE_UPDATE: Action = Action {
    name: "package_update",
    side_effect_free: false,
    tag: "datasets",
    doc: "Update a dataset (package).\n\n\
          The dict replaces the stored one: fields not given are cleared, except `resources` and \
          `groups` (kept when absent) and `private`, `owner_org`, `state` and `type`. Use \
          package_patch to change single fields. When nothing changes, the stored dict is \
          returned untouched. You must be allowed to edit the dataset.\n\n\
          :returns: the updated dataset\n:rtype: dictionary",
    request: request_doc::<PackageUpdateRequest>,
    response: response_doc::<PackageDict>,
    errors: &[
        (400, "`resources`, `tags`, `extras` or `groups` not a list of dicts (`Integrity Error`)"),
        (403, "Not allowed to edit it, or to add it to those groups"),
        (404, "`Not found: Package was not found.`, or `Not found: Group was not found.`"),
        (409, "`{\"id\": \"Missing value\"}`, or field errors"),
    ],
    run: |ctx, params| package_update(ctx, PackageUpdateRequest::parse(params)?),
};

/// `id`, or `name` when `id` is not given: the dataset to update. Neither is CKAN's
/// `{"id": "Missing value"}` (a plain string), before any other key is read.
fn id_or_name(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<String> {
    params
        .first_string(&[key, "name"], &mut ValidationErrors::new())
        .ok_or_else(|| plain_error(key, MISSING_VALUE))
}

dataset_request! {
    /// The dataset's new dict (CKAN's default schema); any other top-level key is kept as sent.
    pub struct PackageUpdateRequest {
        /// The id or name of the dataset (default: `name`).
        #[schema(required = false)]
        pub id: String => id_or_name,
    }
}

fn package_update(ctx: &Context<'_>, request: PackageUpdateRequest) -> ActionResult {
    let id = request.id.clone();
    let mut input = request.into_dataset();
    let (_, rendered) = ctx.store().write(|tx| {
        let existing = find_package(tx, &id, Some("Package was not found."))?;
        let who = memberships(tx, ctx)?;
        require_edit(&who, &existing)?;
        if !input.contains_key("name") {
            input.insert("name".into(), existing.name.clone().into());
        }
        let written = write_package(ctx, tx, &who, &input, Some(&existing), Write::Update)?;
        // CKAN 2.12 reports a dataset that `package_update` itself changed (not one changed
        // through `package_patch`, `resource_*` or `package_revise`, which call it on a copy of
        // their context).
        if written.0.rendered != existing.rendered {
            ctx.report_changed("packages", &existing.id);
        }
        Ok::<_, ActionError>(written)
    })?;
    Ok(rendered)
}

pub const PACKAGE_PATCH: Action = Action {
    name: "package_patch",
    side_effect_free: false,
    tag: "datasets",
    doc: "Patch a dataset (package).\n\n\
          The given top-level fields replace the stored ones, the others keep their values \
          (sending `resources` still replaces the whole list). You must be allowed to edit the \
          dataset.\n\n:returns: the updated dataset\n:rtype: dictionary",
    request: request_doc::<PackagePatchRequest>,
    response: response_doc::<PackageDict>,
    errors: &[
        (400, "`resources`, `tags`, `extras` or `groups` not a list of dicts (`Integrity Error`)"),
        (403, "Not allowed to edit it, or to add it to those groups"),
        (404, "No such dataset, or `Not found: Group was not found.`"),
        (409, "`id` missing, or field errors"),
    ],
    run: |ctx, params| package_patch(ctx, PackagePatchRequest::parse(params)?),
};

dataset_request! {
    /// The fields to change (CKAN's default schema); any other top-level key is kept as sent.
    pub struct PackagePatchRequest {
        /// The id or name of the dataset.
        pub id: Option<String>,
        /// The id or name of the dataset, when `id` is not given.
        pub name_or_id: Option<String> => alias_of_id,
    }
}

fn package_patch(ctx: &Context<'_>, mut request: PackagePatchRequest) -> ActionResult {
    // CKAN checks `package_patch`'s auth function, not open to anonymous callers, first.
    authenticated(ctx, "package_patch")?;
    let alias = request.name_or_id.take();
    let id = id_or_alias(request.id.take(), alias.clone())?;
    let mut changes = request.into_dataset();
    if let Some(alias) = alias {
        changes.insert("name_or_id".into(), alias.into());
    }
    let (_, rendered) = ctx.store().write(|tx| {
        let existing = find_package(tx, &id, None)?;
        let who = memberships(tx, ctx)?;
        require_edit(&who, &existing)?;
        let mut input = as_input(&existing);
        input.extend(changes.clone());
        write_package(ctx, tx, &who, &input, Some(&existing), Write::Update)
    })?;
    Ok(rendered)
}

pub const PACKAGE_DELETE: Action = Action {
    name: "package_delete",
    side_effect_free: false,
    tag: "datasets",
    doc: "Delete a dataset (package).\n\n\
          Its state becomes `deleted`, it leaves its groups and loses its collaborators; its \
          name may be reused. Restore it with package_patch `state=active`. You must be allowed \
          to edit the dataset.\n\n:rtype: null",
    request: request_doc::<PackageDeleteRequest>,
    response: response_doc::<Option<String>>,
    errors: &[(403, "Not allowed to edit it"), (404, "No such dataset"), (409, "`id` missing")],
    run: |ctx, params| package_delete(ctx, PackageDeleteRequest::parse(params)?),
};

request! {
    /// The dataset to delete.
    pub struct PackageDeleteRequest {
        /// The id or name of the dataset.
        pub id: String => dataset_id,
    }
}

fn package_delete(ctx: &Context<'_>, request: PackageDeleteRequest) -> ActionResult {
    ctx.store().write(|tx| {
        let existing = find_package(tx, &request.id, None)?;
        authenticated(ctx, "package_delete")?;
        let who = memberships(tx, ctx)?;
        require_edit(&who, &existing)?;
        // CKAN marks the dataset's group memberships deleted (its groups' activity streams
        // still show a deleted dataset's activities through them).
        tx.mark_memberships_deleted(MemberKind::Package, &existing.id)?;
        tx.delete_collaborators_of(&existing.id)?;
        let mut record = existing.clone();
        record.state = PackageState::Deleted;
        record.metadata_modified = Timestamp::now();
        tx.update_package(&record)?;
        crate::render::rerender_related(tx, &record.id, &ctx.site().site_url)?;
        let rendered = Value::Object(render_in_tx(tx, &record, &ctx.site().site_url)?);
        record.rendered = rendered.to_string();
        tx.store_rendered(&record)?;
        activity::record_package(ctx, tx, "deleted package", &record, rendered)?;
        log::info!("dataset {} deleted by {:?}", record.name, ctx.actor.name());
        Ok::<_, ActionError>(())
    })?;
    Ok(Value::Null)
}

pub const DATASET_PURGE: Action = Action {
    name: "dataset_purge",
    side_effect_free: false,
    tag: "datasets",
    doc: "Purge a dataset (package).\n\n\
          Sysadmins only. The dataset and its resources, memberships, collaborators and \
          relationships are removed for good.\n\n:rtype: null",
    request: request_doc::<DatasetPurgeRequest>,
    response: response_doc::<Option<String>>,
    errors: &[(403, "Not a sysadmin"), (404, "`Not found: Dataset was not found`"), (409, "`id` missing")],
    run: |ctx, params| dataset_purge(ctx, DatasetPurgeRequest::parse(params)?),
};

request! {
    /// The dataset to purge.
    pub struct DatasetPurgeRequest {
        /// The id or name of the dataset.
        pub id: String => dataset_id,
    }
}

fn dataset_purge(ctx: &Context<'_>, request: DatasetPurgeRequest) -> ActionResult {
    let id = request.id;
    let resources = ctx.store().write(|tx| {
        let existing = find_package(tx, &id, Some("Dataset was not found"))?;
        // CKAN's `dataset_purge` auth function refuses everyone but sysadmins, with no reason.
        authenticated(ctx, "dataset_purge")?;
        if !ctx.actor.is_sysadmin() {
            return Err(ActionError::NotAuthorized(None));
        }
        let resources: Vec<String> = existing
            .document
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        // Datasets related to this one embed the relationship: render them again without it.
        let related: Vec<String> = tx
            .relationships_of(&existing.id)?
            .into_iter()
            .flat_map(|r| [r.subject_package_id, r.object_package_id])
            .filter(|other| *other != existing.id)
            .collect();
        crate::upload::release_all(ctx, tx, &existing.id)?;
        tx.purge_package(&existing.id)?;
        crate::render::rerender_packages(tx, &related, &ctx.site().site_url)?;
        log::info!("dataset {} purged by {:?}", existing.name, ctx.actor.name());
        Ok::<_, ActionError>(resources)
    })?;
    crate::datastore::forget(ctx, &resources);
    Ok(Value::Null)
}
