//! `harvest_source_create|show|list|update|patch|delete|clear` and `harvest_source_show_status`.

use datahavn_domain::authz;
use datahavn_domain::harvest::{self as rules, Frequency, HarvestSource, SourceType};
use datahavn_domain::name::Name;
use datahavn_domain::params::MISSING_VALUE;
use datahavn_domain::{Timestamp, ValidationErrors};
use datahavn_storage::Tx;
use serde_json::Value;

use super::{find_source, may_edit, may_read, source_dict, source_status};
use crate::access::memberships;
use crate::dto::{HarvestSourceCleared, HarvestSourceDict, HarvestSourceStatus};
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// Declares a source request: the action's own keys, then a source's fields.
macro_rules! source_request {
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
                pub name: Option<String>,
                /// The URL of the remote catalogue: a CKAN site's base URL, a DCAT catalogue
                /// or a `data.json`.
                pub url: Option<String>,
                /// `ckan`, `dcat_rdf` or `dcat_json`.
                pub source_type: Option<String>,
                /// The title (default: the name).
                pub title: Option<String>,
                /// A description.
                pub notes: Option<String>,
                /// `MANUAL` (default), `DAILY`, `WEEKLY`, `BIWEEKLY`, `MONTHLY` or `ALWAYS`.
                pub frequency: Option<String>,
                /// The harvester's options, as JSON text (or an object). For `ckan`: `api_key`,
                /// `default_tags`, `default_groups`, `default_extras`, `override_extras`,
                /// `remote_groups`, `remote_orgs`, `force_all`, `clean_tags`,
                /// `organizations_filter_include|exclude`, `groups_filter_include|exclude`.
                #[schema(value_type = Option<String>)]
                pub config: Option<Value>,
                /// The id or name of the organization that owns the source and the datasets it
                /// harvests.
                pub owner_org: Option<String>,
                /// Whether only the organization's members may see the source.
                pub private: Option<bool>,
                /// `{key, value}` dicts.
                #[schema(value_type = Option<Vec<Object>>)]
                pub extras: Option<Value>,
            }
        }

        impl $name {
            fn fields(&self) -> SourceFields {
                SourceFields {
                    name: self.name.clone(),
                    url: self.url.clone(),
                    source_type: self.source_type.clone(),
                    title: self.title.clone(),
                    notes: self.notes.clone(),
                    frequency: self.frequency.clone(),
                    config: self.config.clone(),
                    owner_org: self.owner_org.clone(),
                    private: self.private,
                    extras: self.extras.clone(),
                }
            }
        }
    };
}

/// A source's fields as sent.
#[derive(Debug, Clone, Default)]
struct SourceFields {
    name: Option<String>,
    url: Option<String>,
    source_type: Option<String>,
    title: Option<String>,
    notes: Option<String>,
    frequency: Option<String>,
    config: Option<Value>,
    owner_org: Option<String>,
    private: Option<bool>,
    extras: Option<Value>,
}

impl SourceFields {
    /// The stored source as fields (what a patch overlays).
    fn of(source: &HarvestSource) -> Self {
        Self {
            name: Some(source.name.clone()),
            url: Some(source.url.clone()),
            source_type: Some(source.source_type.as_str().to_owned()),
            title: Some(source.title.clone()),
            notes: Some(source.notes.clone()),
            frequency: Some(source.frequency.as_str().to_owned()),
            config: Some(Value::String(source.config.clone())),
            owner_org: source.owner_org.clone(),
            private: Some(source.private),
            extras: Some(Value::Array(
                source.extras.iter().map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect(),
            )),
        }
    }

    fn overlay(mut self, changes: SourceFields) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if changes.$f.is_some() { self.$f = changes.$f; } )* };
        }
        take!(name, url, source_type, title, notes, frequency, config, owner_org, private, extras);
        self
    }
}

fn blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Validates a source's fields (all errors at once) and makes the record: a new one, or
/// `existing` changed. `keep` keeps the organization and privacy when not sent (update).
fn validate(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    fields: SourceFields,
    existing: Option<&HarvestSource>,
) -> ActionResult<HarvestSource> {
    let mut errors = ValidationErrors::new();
    let id = existing.map_or_else(|| uuid::Uuid::new_v4().to_string(), |e| e.id.clone());

    let name = match blank(&fields.name) {
        None => {
            errors.add("name", MISSING_VALUE);
            String::new()
        }
        Some(name) => match Name::parse(name) {
            Err(message) => {
                errors.add("name", message);
                String::new()
            }
            Ok(name) => {
                let taken_by_source = tx.harvest_source(name.as_str())?.is_some_and(|s| s.id != id);
                let taken_by_dataset = tx.live_package_named(name.as_str())?.is_some();
                if taken_by_source || taken_by_dataset {
                    errors.add("name", "That URL is already in use.");
                }
                name.into_string()
            }
        },
    };

    let source_type = match blank(&fields.source_type) {
        None => {
            errors.add("source_type", MISSING_VALUE);
            None
        }
        Some(value) => SourceType::parse(value).or_else(|| {
            errors.add("source_type", SourceType::unknown_message(value));
            None
        }),
    };

    let config = match &fields.config {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Object(map)) => Value::Object(map.clone()).to_string(),
        Some(_) => {
            errors.add(
                "config",
                "Error parsing the configuration options: the configuration must be a JSON object",
            );
            String::new()
        }
    };
    if let Some(source_type) = source_type
        && !errors.contains("config")
    {
        match rules::validate_config(source_type, &config) {
            Err(message) => errors.add("config", message),
            Ok(()) => {
                if let Ok(common) = rules::parse_common_config(&config) {
                    for group in &common.default_groups {
                        let found =
                            tx.group_by_id_or_name(group)?.filter(|g| !g.is_organization && g.is_active());
                        if found.is_none() {
                            errors.add(
                                "config",
                                "Error parsing the configuration options: Default group not found",
                            );
                            break;
                        }
                    }
                }
            }
        }
    }

    let url = match blank(&fields.url) {
        None => {
            errors.add("url", MISSING_VALUE);
            String::new()
        }
        Some(url) => {
            if let Err(message) = rules::validate_url(url) {
                errors.add("url", message);
            } else {
                let normalized = rules::normalize_url(url);
                for other in tx.harvest_sources()? {
                    if other.id != id
                        && other.is_active()
                        && rules::normalize_url(&other.url) == normalized
                        && other.config == config
                    {
                        let shown = if config.is_empty() { "None".to_owned() } else { config.clone() };
                        errors.add(
                            "url",
                            format!(
                                "There already is a Harvest Source for this URL (& config): url={normalized} config={shown}"
                            ),
                        );
                        break;
                    }
                }
            }
            url.to_owned()
        }
    };

    let frequency = match blank(&fields.frequency) {
        None => Frequency::Manual,
        Some(value) => Frequency::parse(value).unwrap_or_else(|| {
            errors.add("frequency", format!("Frequency {value} not recognised"));
            Frequency::Manual
        }),
    };

    let who = memberships(tx, ctx)?;
    let owner_org = match blank(&fields.owner_org) {
        None => {
            errors.add("owner_org", "An organization must be provided");
            None
        }
        Some(reference) => match tx.group_by_id_or_name(reference)? {
            Some(org) if org.is_organization && org.is_active() => {
                let moving = existing.is_none_or(|e| e.owner_org.as_deref() != Some(org.id.as_str()));
                if moving && !authz::can_create_dataset_in(&who, &org.id) {
                    errors.add("owner_org", "You cannot add a dataset to this organization");
                }
                Some(org.id)
            }
            _ => {
                errors.add("owner_org", "Organization does not exist");
                None
            }
        },
    };

    let extras = match &fields.extras {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut extras = Vec::new();
            for item in items {
                match (item.get("key").and_then(Value::as_str), item.get("value")) {
                    (Some(key), Some(value)) => {
                        let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                        extras.push((key.to_owned(), value));
                    }
                    _ => {
                        errors.add("extras", "Extras must be {key, value} dicts");
                        break;
                    }
                }
            }
            extras
        }
        Some(_) => {
            errors.add("extras", "Extras must be a list of {key, value} dicts");
            Vec::new()
        }
    };
    errors.into_result()?;

    let now = Timestamp::now();
    let source_type = source_type.ok_or_else(|| ActionError::Internal("source type lost".into()))?;
    let frequency_changed = existing.is_none_or(|e| e.frequency != frequency);
    let next_run = match (frequency, frequency_changed) {
        (Frequency::Manual, _) => None,
        (_, true) => Some(now),
        (_, false) => existing.and_then(|e| e.next_run),
    };
    Ok(HarvestSource {
        id,
        title: blank(&fields.title).map_or_else(|| name.clone(), str::to_owned),
        name,
        notes: fields.notes.unwrap_or_default(),
        url,
        source_type,
        frequency,
        config,
        owner_org,
        private: fields.private.unwrap_or(false),
        state: existing.map_or_else(|| "active".to_owned(), |e| e.state.clone()),
        creator_user_id: match existing {
            Some(e) => e.creator_user_id.clone(),
            None => ctx.actor.user_id().map(str::to_owned),
        },
        extras,
        created: existing.map_or(now, |e| e.created),
        modified: now,
        next_run,
    })
}

fn show(tx: &mut Tx<'_>, source: &HarvestSource) -> ActionResult {
    to_json(&source_dict(tx, source)?)
}

source_request! {
    /// A new harvest source.
    pub struct HarvestSourceCreateRequest {
    }
}

pub const HARVEST_SOURCE_CREATE: Action = Action {
    name: "harvest_source_create",
    side_effect_free: false,
    tag: "harvest",
    doc: "Creates a new harvest source.\n\n\
          You must be allowed to create datasets in its organization (an editor or admin of it, \
          or a sysadmin). Its datasets are harvested into that organization by jobs \
          (harvest_job_create, the server's scheduler by `frequency`, or `datahavn harvest \
          run`).\n\n:returns: the newly created harvest source\n:rtype: dictionary",
    request: request_doc::<HarvestSourceCreateRequest>,
    response: response_doc::<HarvestSourceDict>,
    errors: &[
        (403, "Not allowed to create datasets (in that organization)"),
        (
            409,
            "Field errors: missing or bad name, URL, type, frequency, configuration or organization; a source with that URL and configuration exists",
        ),
    ],
    run: |ctx, params| {
        let request = HarvestSourceCreateRequest::parse(params)?;
        let fields = request.fields();
        let created = ctx.store().write(|tx| {
            let who = memberships(tx, ctx)?;
            let orgs: Vec<String> = who.groups.keys().cloned().collect();
            let org = match blank(&fields.owner_org) {
                Some(reference) => tx.group_by_id_or_name(reference)?.filter(|g| g.is_organization),
                None => None,
            };
            let allowed = authz::can_create_some_dataset(&who, &orgs)
                && org.as_ref().is_none_or(|org| authz::can_create_dataset_in(&who, &org.id));
            if !allowed {
                return Err(ActionError::denied(format!(
                    "User {} not authorized to create harvest sources",
                    ctx.actor.name()
                )));
            }
            let source = validate(ctx, tx, fields.clone(), None)?;
            tx.insert_harvest_source(&source)?;
            super::log_line(tx, "INFO", format!("Harvest source {} created", source.name))?;
            show(tx, &source)
        })?;
        log::info!("harvest source {} created by {:?}", created["name"], ctx.actor.name());
        Ok(created)
    },
};

request! {
    /// The source to show: by id or name, or by URL.
    pub struct HarvestSourceShowRequest {
        /// The id or name of the harvest source.
        pub id: Option<String>,
        /// The source's URL, when `id` is not given.
        pub url: Option<String>,
    }
}

pub const HARVEST_SOURCE_SHOW: Action = Action {
    name: "harvest_source_show",
    side_effect_free: true,
    tag: "harvest",
    doc: "Returns the metadata of a harvest source.\n\n\
          The dict of the `harvest` dataset ckanext-harvest keeps a source as, with `active` and \
          the `status` harvest_source_show_status gives. Private sources are shown to those \
          who may read datasets of their organization.\n\n\
          :returns: harvest source metadata\n:rtype: dictionary",
    request: request_doc::<HarvestSourceShowRequest>,
    response: response_doc::<HarvestSourceDict>,
    errors: &[
        (403, "Private, and the caller may not read it"),
        (404, "No such source"),
        (409, "`id` missing"),
    ],
    run: |ctx, params| {
        let request = HarvestSourceShowRequest::parse(params)?;
        ctx.store().read(|tx| {
            let source = match (blank(&request.id), blank(&request.url)) {
                (Some(id), _) => find_source(tx, id)?,
                (None, Some(url)) => tx
                    .harvest_sources()?
                    .into_iter()
                    .find(|s| s.url == url)
                    .ok_or(ActionError::NotFound(None))?,
                (None, None) => return Err(ActionError::field("id", MISSING_VALUE)),
            };
            let who = memberships(tx, ctx)?;
            if !may_read(&who, &source) {
                return Err(ActionError::denied(format!(
                    "User {} not authorized to read harvest source {}",
                    ctx.actor.name(),
                    source.id
                )));
            }
            show(tx, &source)
        })
    },
};

request! {
    /// The source whose status to report.
    pub struct HarvestSourceStatusRequest {
        /// The id or name of the harvest source.
        pub id: String,
    }
}

pub const HARVEST_SOURCE_SHOW_STATUS: Action = Action {
    name: "harvest_source_show_status",
    side_effect_free: true,
    tag: "harvest",
    doc: "Returns a status report for a harvest source.\n\n\
          The number of its jobs, its newest job (with counts and error summaries) and the \
          number of active public datasets it made.\n\n:rtype: dictionary",
    request: request_doc::<HarvestSourceStatusRequest>,
    response: response_doc::<HarvestSourceStatus>,
    errors: &[
        (403, "Private, and the caller may not read it"),
        (404, "No such source"),
        (409, "`id` missing"),
    ],
    run: |ctx, params| {
        let request = HarvestSourceStatusRequest::parse(params)?;
        ctx.store().read(|tx| {
            let source = tx.harvest_source(&request.id)?.ok_or_else(|| {
                ActionError::not_found(format!("Harvest source {} does not exist", request.id))
            })?;
            let who = memberships(tx, ctx)?;
            if !may_read(&who, &source) {
                return Err(ActionError::denied(format!(
                    "User {} not authorized to read harvest source {}",
                    ctx.actor.name(),
                    source.id
                )));
            }
            to_json(&source_status(tx, &source)?)
        })
    },
};

request! {
    /// Which sources to list.
    pub struct HarvestSourceListRequest {
        /// Only the sources of this organization (id or name).
        pub organization_id: Option<String>,
        /// Only active sources (default true).
        pub only_active: Option<bool>,
        /// At most this many sources (default 100).
        pub limit: Option<u64>,
    }
}

pub const HARVEST_SOURCE_LIST: Action = Action {
    name: "harvest_source_list",
    side_effect_free: true,
    tag: "harvest",
    doc: "Returns a list of harvest sources.\n\n\
          The sources the caller may read, by name, as harvest_source_show gives them.\n\n\
          :rtype: list of dictionaries",
    request: request_doc::<HarvestSourceListRequest>,
    response: response_doc::<Vec<HarvestSourceDict>>,
    errors: &[(409, "A bad flag or limit")],
    run: |ctx, params| {
        let request = HarvestSourceListRequest::parse(params)?;
        let only_active = request.only_active.unwrap_or(true);
        let limit = usize::try_from(request.limit.unwrap_or(100)).unwrap_or(usize::MAX);
        ctx.store().read(|tx| {
            let who = memberships(tx, ctx)?;
            let org = match blank(&request.organization_id) {
                Some(reference) => match tx.group_by_id_or_name(reference)? {
                    Some(org) => Some(org.id),
                    None => return to_json(&Vec::<HarvestSourceDict>::new()),
                },
                None => None,
            };
            let mut out = Vec::new();
            for source in tx.harvest_sources()? {
                if out.len() >= limit {
                    break;
                }
                if (only_active && !source.is_active())
                    || org.as_ref().is_some_and(|o| source.owner_org.as_ref() != Some(o))
                    || !may_read(&who, &source)
                {
                    continue;
                }
                out.push(source_dict(tx, &source)?);
            }
            to_json(&out)
        })
    },
};

source_request! {
    /// The source's new fields: those not given are cleared (the organization and privacy are
    /// kept).
    pub struct HarvestSourceUpdateRequest {
        /// The id or name of the harvest source.
        pub id: String,
    }
}

/// The edit check of update, patch, delete and clear.
fn editable(ctx: &Context<'_>, tx: &mut Tx<'_>, id: &str, verb: &str) -> ActionResult<HarvestSource> {
    let source = find_source(tx, id)?;
    let who = memberships(tx, ctx)?;
    if !may_edit(&who, &source) {
        return Err(ActionError::denied(format!(
            "User {} not authorized to {verb} harvest source {}",
            ctx.actor.name(),
            source.id
        )));
    }
    Ok(source)
}

const EDIT_ERRORS: &[(u16, &str)] = &[
    (403, "Not allowed to edit datasets of the source's organization"),
    (404, "No such source"),
    (409, "`id` missing, or field errors"),
];

pub const HARVEST_SOURCE_UPDATE: Action = Action {
    name: "harvest_source_update",
    side_effect_free: false,
    tag: "harvest",
    doc: "Updates a harvest source.\n\n\
          The dict replaces the stored one: fields not given are cleared, except the \
          organization and `private`. Use harvest_source_patch to change single fields. You \
          must be allowed to edit datasets of the source's organization.\n\n\
          :returns: the updated harvest source\n:rtype: dictionary",
    request: request_doc::<HarvestSourceUpdateRequest>,
    response: response_doc::<HarvestSourceDict>,
    errors: EDIT_ERRORS,
    run: |ctx, params| {
        let request = HarvestSourceUpdateRequest::parse(params)?;
        let mut fields = request.fields();
        ctx.store().write(|tx| {
            let existing = editable(ctx, tx, &request.id, "update")?;
            if fields.owner_org.is_none() {
                fields.owner_org = existing.owner_org.clone();
            }
            if fields.private.is_none() {
                fields.private = Some(existing.private);
            }
            let source = validate(ctx, tx, fields, Some(&existing))?;
            tx.update_harvest_source(&source)?;
            show(tx, &source)
        })
    },
};

source_request! {
    /// The source's fields to change; the others keep their values.
    pub struct HarvestSourcePatchRequest {
        /// The id or name of the harvest source.
        pub id: String,
    }
}

pub const HARVEST_SOURCE_PATCH: Action = Action {
    name: "harvest_source_patch",
    side_effect_free: false,
    tag: "harvest",
    doc: "Patches a harvest source.\n\n\
          The given fields replace the stored ones, the others keep their values. You must be \
          allowed to edit datasets of the source's organization.\n\n\
          :returns: the updated harvest source\n:rtype: dictionary",
    request: request_doc::<HarvestSourcePatchRequest>,
    response: response_doc::<HarvestSourceDict>,
    errors: EDIT_ERRORS,
    run: |ctx, params| {
        let request = HarvestSourcePatchRequest::parse(params)?;
        let changes = request.fields();
        ctx.store().write(|tx| {
            let existing = editable(ctx, tx, &request.id, "update")?;
            let fields = SourceFields::of(&existing).overlay(changes.clone());
            let source = validate(ctx, tx, fields, Some(&existing))?;
            tx.update_harvest_source(&source)?;
            show(tx, &source)
        })
    },
};

request! {
    /// The source to delete.
    pub struct HarvestSourceDeleteRequest {
        /// The id or name of the harvest source.
        pub id: String,
        /// Also clear it (harvest_source_clear): its jobs and the datasets it harvested go.
        pub clear: Option<bool>,
    }
}

pub const HARVEST_SOURCE_DELETE: Action = Action {
    name: "harvest_source_delete",
    side_effect_free: false,
    tag: "harvest",
    doc: "Deletes a harvest source.\n\n\
          Its state becomes `deleted` and the scheduler stops running it; the datasets it \
          harvested stay, unless `clear` is true. You must be allowed to edit datasets of its \
          organization.\n\n:rtype: null",
    request: request_doc::<HarvestSourceDeleteRequest>,
    response: response_doc::<Option<String>>,
    errors: EDIT_ERRORS,
    run: |ctx, params| {
        let request = HarvestSourceDeleteRequest::parse(params)?;
        let source = ctx.store().write(|tx| {
            let mut source = editable(ctx, tx, &request.id, "delete")?;
            source.state = "deleted".into();
            source.next_run = None;
            source.modified = Timestamp::now();
            tx.update_harvest_source(&source)?;
            super::log_line(tx, "INFO", format!("Harvest source {} deleted", source.name))?;
            Ok::<_, ActionError>(source)
        })?;
        if request.clear == Some(true) {
            clear(ctx, &source)?;
        }
        Ok(Value::Null)
    },
};

request! {
    /// The source to clear.
    pub struct HarvestSourceClearRequest {
        /// The id or name of the harvest source.
        pub id: String,
    }
}

/// Purges the datasets a source harvested (through `dataset_purge`), then forgets its jobs,
/// objects and dataset map.
fn clear(ctx: &Context<'_>, source: &HarvestSource) -> ActionResult<()> {
    let running =
        ctx.store().read(|tx| tx.harvest_jobs(Some(&source.id), Some(rules::job_status::RUNNING)))?;
    if !running.is_empty() {
        return Err(ActionError::field("id", "A job of this source is running; abort it first"));
    }
    let packages = ctx.store().write(|tx| tx.clear_harvested_datasets(&source.id))?;
    let site = Context::new(datahavn_domain::user::Actor::Site, ctx.services, None);
    for package_id in &packages {
        let params = datahavn_domain::params::Params::new(
            serde_json::json!({"id": package_id}).as_object().cloned().unwrap_or_default(),
        );
        match (crate::package::DATASET_PURGE.run)(&site, &params) {
            Ok(_) | Err(ActionError::NotFound(_)) => {}
            Err(error) => return Err(error),
        }
    }
    ctx.store().write(|tx| {
        tx.delete_harvest_jobs_of(&source.id)?;
        super::log_line(
            tx,
            "INFO",
            format!("Harvest source {} cleared ({} datasets purged)", source.name, packages.len()),
        )
    })?;
    Ok(())
}

pub const HARVEST_SOURCE_CLEAR: Action = Action {
    name: "harvest_source_clear",
    side_effect_free: false,
    tag: "harvest",
    doc: "Clears all datasets, jobs and objects related to a harvest source, but keeps the \
          source itself.\n\n\
          The datasets it harvested are purged. The next job harvests everything again. You \
          must be allowed to edit datasets of its organization.\n\n\
          :returns: `{id}` of the source\n:rtype: dictionary",
    request: request_doc::<HarvestSourceClearRequest>,
    response: response_doc::<HarvestSourceCleared>,
    errors: &[
        (403, "Not allowed to edit datasets of the source's organization"),
        (404, "No such source"),
        (409, "`id` missing, or a job of the source is running"),
    ],
    run: |ctx, params| {
        let request = HarvestSourceClearRequest::parse(params)?;
        let source = ctx.store().read(|tx| editable(ctx, tx, &request.id, "clear"))?;
        clear(ctx, &source)?;
        to_json(&HarvestSourceCleared { id: source.id })
    },
};
