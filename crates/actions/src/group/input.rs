//! The input of `*_create`, `*_update` and `*_patch`: read and checked as CKAN's group schema
//! does, every error of the request in one nested error dict, and the members it names resolved.

use datahavn_domain::ValidationErrors;
use datahavn_domain::group::{Capacity, Group, GroupState, Member, MemberCapacity, MemberKind};
use datahavn_domain::name::Name;
use datahavn_domain::params::{MISSING_VALUE, Params, parse_bool};
use datahavn_storage::Tx;
use serde_json::{Map, Value};

use super::{ErrorDict, Kind, descendants, find, text_of};
use crate::ActionResult;

const LOOP: &str = "This parent would create a loop in the hierarchy";

/// Keys of a group dict (as `*_show` returns it) that are not input: dropped, never stored as
/// free-form keys.
const IGNORED_KEYS: &[&str] = &[
    "image_display_url",
    "created",
    "is_organization",
    "tags",
    "package_count",
    "num_followers",
    "display_name",
    "member_count",
    "capacity",
    "image_upload",
    "clear_upload",
    "revision_id",
];

/// A request key as sent, explicit `null` included (`*_patch` passes it on as sent; the readers
/// here take it as not given).
pub(super) fn sent_value(
    params: &Params,
    key: &str,
    _errors: &mut ValidationErrors,
) -> ActionResult<Option<Value>> {
    Ok(params.as_map().get(key).cloned())
}

/// The keys of a create or update request besides `id`, as sent.
pub(super) struct Fields<'a> {
    pub(super) name: Option<&'a Value>,
    pub(super) title: Option<&'a Value>,
    pub(super) description: Option<&'a Value>,
    pub(super) image_url: Option<&'a Value>,
    pub(super) group_type: Option<&'a Value>,
    pub(super) state: Option<&'a Value>,
    pub(super) approval_status: Option<&'a Value>,
    pub(super) extras: Option<&'a Value>,
    pub(super) users: Option<&'a Value>,
    pub(super) groups: Option<&'a Value>,
    pub(super) packages: Option<&'a Value>,
    /// Every other key.
    pub(super) document: &'a Map<String, Value>,
}

/// A value given and not `null`.
fn given(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

impl Fields<'_> {
    /// The `type` given, as text.
    pub(super) fn group_type(&self) -> Option<String> {
        given(self.group_type).and_then(text_of)
    }

    /// Puts every key, as sent, into `dict`.
    pub(super) fn merge_into(&self, dict: &mut Map<String, Value>) {
        let keys = [
            ("name", self.name),
            ("title", self.title),
            ("description", self.description),
            ("image_url", self.image_url),
            ("type", self.group_type),
            ("state", self.state),
            ("approval_status", self.approval_status),
            ("extras", self.extras),
            ("users", self.users),
            ("groups", self.groups),
            ("packages", self.packages),
        ];
        for (key, value) in keys {
            if let Some(value) = value {
                dict.insert(key.to_owned(), value.clone());
            }
        }
        dict.extend(self.document.iter().map(|(key, value)| (key.clone(), value.clone())));
    }

    /// The free-form keys to store.
    fn document(&self) -> Map<String, Value> {
        self.document
            .iter()
            .filter(|(key, _)| !IGNORED_KEYS.contains(&key.as_str()) && !key.starts_with("__"))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    }
}

/// One entry of `users`, `groups` or `packages`: a reference (id or name) and a capacity.
#[derive(Debug, Clone)]
struct Entry {
    reference: String,
    capacity: Option<MemberCapacity>,
}

/// A create or update request, read without the database.
#[derive(Debug, Default)]
pub(super) struct Input {
    pub(super) name: Option<String>,
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) image_url: Option<String>,
    pub(super) approval_status: Option<String>,
    pub(super) group_type: Option<String>,
    pub(super) state: Option<GroupState>,
    pub(super) extras: Vec<(String, String)>,
    users: Option<Vec<Entry>>,
    groups: Option<Vec<Entry>>,
    packages: Option<Vec<Entry>>,
    pub(super) document: Map<String, Value>,
}

impl Input {
    /// Reads the fields of a create or update request; `may_set_state` says whether `state`
    /// is read.
    pub(super) fn read(
        fields: &Fields<'_>,
        creating: bool,
        may_set_state: bool,
        errors: &mut ErrorDict,
    ) -> Self {
        let mut input = Self {
            name: read_name(given(fields.name), creating, errors),
            title: read_text(given(fields.title), "title", errors),
            description: read_text(given(fields.description), "description", errors),
            image_url: read_text(given(fields.image_url), "image_url", errors),
            approval_status: read_text(given(fields.approval_status), "approval_status", errors),
            group_type: read_text(given(fields.group_type), "type", errors).filter(|t| !t.is_empty()),
            ..Self::default()
        };
        if may_set_state
            && let Some(state) = read_text(given(fields.state), "state", errors).filter(|s| !s.is_empty())
        {
            match GroupState::parse(&state) {
                Some(state) => input.state = Some(state),
                None => errors.add("state", "State must be one of: active, deleted"),
            }
        }
        input.extras = read_extras(given(fields.extras), errors);
        input.users = read_entries(given(fields.users), "users", "name", errors);
        input.groups = read_entries(given(fields.groups), "groups", "name", errors);
        input.packages = read_entries(given(fields.packages), "packages", "id", errors);
        input.document = fields.document();
        input
    }
}

fn read_text(value: Option<&Value>, key: &str, errors: &mut ErrorDict) -> Option<String> {
    text_of(value?).or_else(|| {
        errors.add(key, "Must be a string");
        None
    })
}

fn read_name(value: Option<&Value>, creating: bool, errors: &mut ErrorDict) -> Option<String> {
    let value = match value {
        None if creating => {
            errors.add("name", MISSING_VALUE);
            return None;
        }
        None => return None,
        Some(value) => value,
    };
    let name = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => {
            errors.add("name", "Names must be strings");
            return None;
        }
    };
    if name.is_empty() {
        errors.add("name", MISSING_VALUE);
        return None;
    }
    match Name::parse(&name) {
        Ok(name) => Some(name.into_string()),
        Err(message) => {
            errors.add("name", message);
            None
        }
    }
}

/// `extras`: `[{key, value}]`; entries flagged `deleted` are dropped. Sorted by key, the last
/// value of a repeated key wins.
fn read_extras(value: Option<&Value>, errors: &mut ErrorDict) -> Vec<(String, String)> {
    let items = match value {
        None => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.add("extras", "Must be a list of dictionaries");
            return Vec::new();
        }
    };
    let mut extras: Vec<(String, String)> = Vec::new();
    let mut nested = Vec::new();
    let mut failed = false;
    for item in items {
        let mut entry = Map::new();
        let empty = Map::new();
        let object = item.as_object().unwrap_or(&empty);
        if object.get("deleted").and_then(parse_bool) == Some(true) {
            nested.push(Value::Object(entry));
            continue;
        }
        let key = object.get("key").and_then(text_of).filter(|k| !k.is_empty());
        if key.is_none() {
            entry.insert("key".into(), Value::Array(vec![MISSING_VALUE.into()]));
        }
        let value = match object.get("value") {
            None | Some(Value::Null) => {
                entry.insert("value".into(), Value::Array(vec![MISSING_VALUE.into()]));
                None
            }
            Some(value) => Some(text_of(value).unwrap_or_else(|| value.to_string())),
        };
        failed |= !entry.is_empty();
        if let (Some(key), Some(value)) = (key, value) {
            extras.retain(|(k, _)| *k != key);
            extras.push((key, value));
        }
        nested.push(Value::Object(entry));
    }
    if failed {
        errors.set("extras", Value::Array(nested));
    }
    extras.sort_by(|a, b| a.0.cmp(&b.0));
    extras
}

/// `users`, `groups` (`{name, capacity}`) or `packages` (`{id}`): the reference key must be
/// there and not empty; `id` is preferred over `name` for the lookup, as in CKAN.
fn read_entries(
    value: Option<&Value>,
    key: &str,
    required_key: &str,
    errors: &mut ErrorDict,
) -> Option<Vec<Entry>> {
    let items = match value? {
        Value::Array(items) => items,
        _ => {
            errors.add(key, "Must be a list of dictionaries");
            return None;
        }
    };
    let mut entries = Vec::new();
    let mut nested = Vec::new();
    let mut failed = false;
    for item in items {
        let mut entry_errors = Map::new();
        let Some(object) = item.as_object() else {
            entry_errors.insert(required_key.into(), Value::Array(vec![MISSING_VALUE.into()]));
            nested.push(Value::Object(entry_errors));
            failed = true;
            continue;
        };
        let given = object.get(required_key).and_then(text_of).filter(|r| !r.is_empty());
        if given.is_none() {
            entry_errors.insert(required_key.into(), Value::Array(vec![MISSING_VALUE.into()]));
        }
        let capacity = object.get("capacity").and_then(text_of).filter(|c| !c.is_empty());
        if key == "users"
            && let Some(capacity) = &capacity
            && Capacity::parse(capacity).is_none()
        {
            entry_errors.insert("capacity".into(), Value::Array(vec!["role does not exist.".into()]));
        }
        if entry_errors.is_empty() {
            let reference =
                object.get("id").and_then(text_of).filter(|r| !r.is_empty()).or(given).unwrap_or_default();
            entries.push(Entry {
                reference,
                capacity: capacity.map(|c| MemberCapacity::parse(&c.to_lowercase())),
            });
        } else {
            failed = true;
        }
        nested.push(Value::Object(entry_errors));
    }
    if failed {
        errors.set(key, Value::Array(nested));
        return None;
    }
    Some(entries)
}

/// The objects of `users`/`groups`/`packages` entries, as (id, capacity) pairs. Unknown users
/// and (on create) unknown groups are skipped, as in CKAN; unknown datasets are an error, and on
/// update a parent that would make a loop is one.
pub(super) struct Resolved {
    users: Option<Vec<(String, MemberCapacity)>>,
    groups: Option<Vec<(String, MemberCapacity)>>,
    packages: Option<Vec<(String, MemberCapacity)>>,
}

/// Adds an object once, with the capacity its entry gives or `default`.
fn push_once(out: &mut Vec<(String, MemberCapacity)>, id: String, entry: &Entry, default: MemberCapacity) {
    if !out.iter().any(|(known, _)| *known == id) {
        out.push((id, entry.capacity.clone().unwrap_or(default)));
    }
}

impl Resolved {
    /// Looks up the entries of `input`; `existing` is the group being updated (none on create).
    pub(super) fn of(
        tx: &mut Tx<'_>,
        input: &Input,
        existing: Option<&Group>,
        kind: Kind,
        errors: &mut ErrorDict,
    ) -> ActionResult<Self> {
        let users = match &input.users {
            Some(entries) => Some(resolve_users(tx, entries)?),
            None => None,
        };
        let groups = match &input.groups {
            Some(entries) => Some(resolve_parents(tx, entries, existing, errors)?),
            None => None,
        };
        let packages = match &input.packages {
            Some(entries) if !kind.owns_datasets() => Some(resolve_packages(tx, entries, errors)?),
            _ => None,
        };
        Ok(Self { users, groups, packages })
    }

    /// Writes the memberships of a created or updated group; returns the datasets to re-render.
    pub(super) fn write(&self, tx: &mut Tx<'_>, group_id: &str) -> ActionResult<Vec<String>> {
        if let Some(users) = &self.users {
            sync_members(tx, group_id, MemberKind::User, users)?;
        }
        if let Some(groups) = &self.groups {
            sync_members(tx, group_id, MemberKind::Group, groups)?;
        }
        match &self.packages {
            Some(packages) => sync_members(tx, group_id, MemberKind::Package, packages),
            None => Ok(Vec::new()),
        }
    }
}

fn resolve_users(tx: &mut Tx<'_>, entries: &[Entry]) -> ActionResult<Vec<(String, MemberCapacity)>> {
    let mut out = Vec::new();
    for entry in entries {
        if let Some(user) = tx.user_by_id_or_name(&entry.reference)? {
            push_once(&mut out, user.id, entry, Capacity::Member.into());
        }
    }
    Ok(out)
}

/// Parent groups. On update a parent must be an active group of the same type that is not the
/// group itself or below it.
fn resolve_parents(
    tx: &mut Tx<'_>,
    entries: &[Entry],
    existing: Option<&Group>,
    errors: &mut ErrorDict,
) -> ActionResult<Vec<(String, MemberCapacity)>> {
    let mut out = Vec::new();
    let mut nested = Vec::new();
    let mut failed = false;
    let excluded = match existing {
        Some(group) => {
            let mut excluded = descendants(tx, &group.id)?;
            excluded.insert(group.id.clone());
            Some((excluded, group.group_type.clone()))
        }
        None => None,
    };
    for entry in entries {
        let parent = find(tx, &entry.reference)?;
        let mut entry_errors = Map::new();
        match (&excluded, parent) {
            (None, Some(parent)) => push_once(&mut out, parent.id, entry, MemberCapacity::Public),
            (None, None) => {}
            (Some((excluded, group_type)), Some(parent))
                if parent.is_active()
                    && parent.group_type == *group_type
                    && !excluded.contains(&parent.id) =>
            {
                push_once(&mut out, parent.id, entry, MemberCapacity::Public);
            }
            (Some(_), _) => {
                entry_errors.insert("name".into(), Value::Array(vec![LOOP.into()]));
                failed = true;
            }
        }
        nested.push(Value::Object(entry_errors));
    }
    if failed {
        errors.set("groups", Value::Array(nested));
    }
    Ok(out)
}

fn resolve_packages(
    tx: &mut Tx<'_>,
    entries: &[Entry],
    errors: &mut ErrorDict,
) -> ActionResult<Vec<(String, MemberCapacity)>> {
    let mut out = Vec::new();
    let mut nested = Vec::new();
    let mut failed = false;
    for entry in entries {
        let mut entry_errors = Map::new();
        match tx.package_by_id_or_name(&entry.reference)? {
            Some(package) => push_once(&mut out, package.id, entry, MemberCapacity::Public),
            None => {
                entry_errors.insert("id".into(), Value::Array(vec!["Not found: Dataset".into()]));
                failed = true;
            }
        }
        nested.push(Value::Object(entry_errors));
    }
    if failed {
        errors.set("packages", Value::Array(nested));
    }
    Ok(out)
}

/// Makes the group's members of one kind exactly `wanted`; returns the objects whose
/// membership changed.
fn sync_members(
    tx: &mut Tx<'_>,
    group_id: &str,
    kind: MemberKind,
    wanted: &[(String, MemberCapacity)],
) -> ActionResult<Vec<String>> {
    let current = tx.members_of_group(group_id, Some(kind))?;
    let mut changed = Vec::new();
    for member in &current {
        if !wanted.iter().any(|(id, _)| *id == member.table_id) {
            tx.delete_member(group_id, kind, &member.table_id)?;
            changed.push(member.table_id.clone());
        }
    }
    for (id, capacity) in wanted {
        if current.iter().any(|m| m.table_id == *id && m.capacity == *capacity) {
            continue;
        }
        tx.upsert_member(&Member::active(
            uuid::Uuid::new_v4().to_string(),
            group_id,
            kind,
            id,
            capacity.clone(),
        ))?;
        changed.push(id.clone());
    }
    Ok(changed)
}
