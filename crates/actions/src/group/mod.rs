//! Organization and group actions: list, show, create, update, patch, delete, purge,
//! autocomplete, activity streams, `group_package_show`, `organization_list_for_user` and
//! `group_list_authz`.
//!
//! CKAN keeps organizations and groups in one table and runs both through the same functions
//! (`_group_or_org_*`); so does this module: each action is one function taking a [`Kind`], and
//! the `organization_*` and `group_*` actions call it with theirs. Membership actions live in
//! `member.rs` and use the lookups, permissions and readers here.

mod activity;
mod autocomplete;
mod dictize;
mod for_user;
mod input;
mod list;
mod remove;
mod show;
mod write;

use std::collections::{HashSet, VecDeque};

use datahavn_domain::ValidationErrors;
use datahavn_domain::authz::Memberships;
use datahavn_domain::group::{Capacity, Group};
use datahavn_domain::params::{MISSING_VALUE, Params, parse_bool};
use datahavn_storage::{GroupPackages, Tx};
use serde_json::{Map, Value};

use crate::{ActionError, ActionResult, Context};

pub(crate) use activity::{GROUP_ACTIVITY_LIST, ORGANIZATION_ACTIVITY_LIST};
pub(crate) use autocomplete::{GROUP_AUTOCOMPLETE, ORGANIZATION_AUTOCOMPLETE};
pub(crate) use for_user::{GROUP_LIST_AUTHZ, ORGANIZATION_LIST_FOR_USER};
pub(crate) use list::{GROUP_LIST, ORGANIZATION_LIST};
pub(crate) use remove::{GROUP_DELETE, GROUP_PURGE, ORGANIZATION_DELETE, ORGANIZATION_PURGE};
pub(crate) use show::{GROUP_PACKAGE_SHOW, GROUP_SHOW, ORGANIZATION_SHOW};
pub(crate) use write::{
    GROUP_CREATE, GROUP_PATCH, GROUP_UPDATE, ORGANIZATION_CREATE, ORGANIZATION_PATCH, ORGANIZATION_UPDATE,
};

pub(crate) const GROUP_NOT_FOUND: &str = "Group was not found.";
const NOT_A_BOOL: &str = "Parameter is not an bool";

/// Organizations or groups: what differs between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Organization,
    Group,
}

impl Kind {
    pub(crate) fn of(group: &Group) -> Self {
        if group.is_organization { Self::Organization } else { Self::Group }
    }

    pub(crate) fn is_org(self) -> bool {
        self == Self::Organization
    }

    /// `organization` or `group`, as CKAN's messages, action names and default types spell it.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Organization => "organization",
            Self::Group => "group",
        }
    }

    /// `Organization` or `Group`, as CKAN's messages begin.
    fn title(self) -> &'static str {
        match self {
            Self::Organization => "Organization",
            Self::Group => "Group",
        }
    }

    /// The name of the action `<kind>_<verb>`, as CKAN's messages cite it.
    pub(crate) fn action(self, verb: &str) -> String {
        format!("{}_{verb}", self.word())
    }

    /// Whether it is one of this kind.
    fn matches(self, group: &Group) -> bool {
        group.is_organization == self.is_org()
    }

    /// Only sysadmins create organizations; any logged-in user creates groups.
    fn sysadmins_create(self) -> bool {
        self.is_org()
    }

    /// Organizations own their datasets (`owner_org`): they cannot be deleted or purged while
    /// they have datasets, and `packages` entries do not make members of them. Groups hold
    /// datasets as members.
    fn owns_datasets(self) -> bool {
        self.is_org()
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// A validation error dict whose values may be nested (`"extras": [{}, {"key": [...]}]`).
#[derive(Debug, Default)]
pub(crate) struct ErrorDict(Map<String, Value>);

impl ErrorDict {
    pub(crate) fn add(&mut self, field: &str, message: impl Into<String>) {
        let entry = self.0.entry(field.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(message.into()));
        }
    }

    fn set(&mut self, field: &str, value: Value) {
        self.0.insert(field.to_owned(), value);
    }

    pub(crate) fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub(crate) fn into_result(self) -> ActionResult<()> {
        if self.0.is_empty() { Ok(()) } else { Err(ActionError::ValidationDict(self.0)) }
    }
}

/// CKAN's free-form validation error: `{"message": "..."}`.
pub(crate) fn message_error(text: impl Into<String>) -> ActionError {
    let mut map = Map::new();
    map.insert("message".into(), Value::String(text.into()));
    ActionError::ValidationDict(map)
}

/// 403 for anonymous callers of an action that needs a user.
pub(crate) fn require_user(ctx: &Context<'_>, action: &str) -> ActionResult<()> {
    if ctx.actor.user_id().is_some() {
        Ok(())
    } else {
        Err(ActionError::denied(format!("Action {action} requires an authenticated user")))
    }
}

// ---------------------------------------------------------------------------------------------
// Readers of request keys (see `crate::request`)

/// The text of a JSON scalar: strings as they are, numbers and booleans as text; lists and
/// objects have none.
pub(crate) fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        _ => None,
    }
}

/// CKAN's `get_or_bust`: the key must be given (`Missing value`); any text is taken, even
/// empty; a list or dict is `Must be a string`.
pub(crate) fn present(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<String> {
    let Some(value) = params.get(key) else {
        errors.add(key, MISSING_VALUE);
        return Ok(String::new());
    };
    Ok(text_of(value).unwrap_or_else(|| {
        errors.add(key, "Must be a string");
        String::new()
    }))
}

/// Text read without complaint: a list or dict counts as not given. For keys an action checks
/// only after it has checked the caller.
pub(crate) fn scalar(
    params: &Params,
    key: &str,
    _errors: &mut ValidationErrors,
) -> ActionResult<Option<String>> {
    Ok(params.get(key).and_then(text_of))
}

/// Reports the field errors read so far, before a key CKAN checks only after them.
fn reported(errors: &mut ValidationErrors) -> ActionResult<()> {
    Ok(std::mem::take(errors).into_result()?)
}

/// A boolean that `*_show` and `*_list` read with CKAN's `asbool` when they use it: a bad value
/// is then `{"message": "Parameter is not an bool"}`, and unused it is no error.
#[derive(Debug, Clone, Copy, Default)]
pub enum Flag {
    #[default]
    Absent,
    Given(bool),
    Invalid,
}

impl Flag {
    fn read(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<Self> {
        Ok(params.get(key).map_or(Self::Absent, |value| parse_bool(value).map_or(Self::Invalid, Self::Given)))
    }

    /// Its value, or `default` when not given.
    fn or(self, default: bool) -> ActionResult<bool> {
        match self {
            Self::Absent => Ok(default),
            Self::Given(value) => Ok(value),
            Self::Invalid => Err(message_error(NOT_A_BOOL)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lookups, hierarchy and permissions

/// An organization or group by id or name (any state), or `None`.
pub(crate) fn find(tx: &mut Tx<'_>, reference: &str) -> ActionResult<Option<Group>> {
    if reference.is_empty() {
        return Ok(None);
    }
    Ok(tx.group_by_id_or_name(reference)?)
}

/// An organization (or a group) by id or name; the other kind counts as missing.
fn find_kind(tx: &mut Tx<'_>, reference: &str, kind: Kind) -> ActionResult<Option<Group>> {
    Ok(find(tx, reference)?.filter(|g| kind.matches(g)))
}

/// The parents of a group, their parents and so on (active ones of the same type).
fn ancestors(tx: &mut Tx<'_>, group: &Group) -> ActionResult<Vec<String>> {
    let mut seen = HashSet::from([group.id.clone()]);
    let mut queue = VecDeque::from([group.id.clone()]);
    let mut out = Vec::new();
    while let Some(id) = queue.pop_front() {
        for member in tx.members_of_group(&id, Some("group"))? {
            if !seen.insert(member.table_id.clone()) {
                continue;
            }
            match tx.group_by_id_or_name(&member.table_id)? {
                Some(parent) if parent.is_active() && parent.group_type == group.group_type => {
                    out.push(parent.id.clone());
                    queue.push_back(parent.id);
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// The children of a group, their children and so on (any type and state).
pub(crate) fn descendants(tx: &mut Tx<'_>, group_id: &str) -> ActionResult<HashSet<String>> {
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([group_id.to_owned()]);
    while let Some(id) = queue.pop_front() {
        for member in tx.memberships_of("group", &id)? {
            if member.group_id != group_id && seen.insert(member.group_id.clone()) {
                queue.push_back(member.group_id);
            }
        }
    }
    Ok(seen)
}

/// What a role may do to an organization or group (CKAN's `ROLE_PERMISSIONS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permission {
    /// See it when it is deleted, and its private datasets.
    Read,
    /// Put datasets into a group.
    ManageGroup,
    /// Change it and its members (admins).
    Update,
    /// Delete it (admins).
    Delete,
    /// Add members (admins).
    Membership,
}

fn grants(capacity: Capacity, permission: Permission) -> bool {
    match capacity {
        Capacity::Admin => true,
        Capacity::Editor | Capacity::Member => {
            matches!(permission, Permission::Read | Permission::ManageGroup)
        }
    }
}

/// CKAN's `has_user_permission_for_group_or_org`: sysadmins always; else the caller's role in
/// the group, or admin in one of its ancestors (admin cascades down the hierarchy).
pub(crate) fn has_permission(
    tx: &mut Tx<'_>,
    who: &Memberships,
    group: &Group,
    permission: Permission,
) -> ActionResult<bool> {
    if who.sysadmin {
        return Ok(true);
    }
    if who.groups.is_empty() {
        return Ok(false);
    }
    if who.capacity_in(&group.id).is_some_and(|c| grants(c, permission)) {
        return Ok(true);
    }
    for ancestor in ancestors(tx, group)? {
        if who.capacity_in(&ancestor) == Some(Capacity::Admin) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Active groups are public; a deleted one only for those who may read it (else 404).
fn require_visible(tx: &mut Tx<'_>, who: &Memberships, group: &Group) -> ActionResult<()> {
    if group.is_active() || has_permission(tx, who, group, Permission::Read)? {
        Ok(())
    } else {
        Err(ActionError::NotFound(None))
    }
}

/// Which datasets of a group the caller sees: public ones; private ones of organizations they
/// belong to and of their collaborations; everything for sysadmins.
fn visible_packages(who: &Memberships, group: &Group) -> GroupPackages {
    GroupPackages {
        group_id: group.id.clone(),
        organization: group.is_organization,
        drafts: false,
        all_private: who.sysadmin,
        readable_orgs: who.groups.keys().cloned().collect(),
        readable_ids: who.collaborations.keys().cloned().collect(),
    }
}
