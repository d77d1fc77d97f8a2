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
use datahavn_domain::authz::{self, Memberships, Permission};
use datahavn_domain::group::{Group, MemberKind};
use datahavn_domain::params::{MISSING_VALUE, Params, parse_bool};
use datahavn_storage::{GroupPackages, Tx};
use serde_json::{Map, Value};

use crate::access::chain_for;
pub(crate) use crate::request::text_of;
use crate::{ActionError, ActionResult};

pub(crate) use activity::{GROUP_ACTIVITY_LIST, ORGANIZATION_ACTIVITY_LIST};
pub(crate) use autocomplete::{GROUP_AUTOCOMPLETE, ORGANIZATION_AUTOCOMPLETE};
pub(crate) use dictize::followee_dict;
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

    /// Whether users who are not sysadmins may create ones of this kind (CKAN's
    /// `ckan.auth.user_create_groups` / `user_create_organizations`).
    fn users_create(self, auth: &crate::AuthOptions) -> bool {
        if self.is_org() { auth.user_create_organizations } else { auth.user_create_groups }
    }

    /// Whether users who are not sysadmins may delete ones of this kind (with the `delete`
    /// permission in it: CKAN's `ckan.auth.user_delete_groups` / `user_delete_organizations`).
    fn users_delete(self, auth: &crate::AuthOptions) -> bool {
        if self.is_org() { auth.user_delete_organizations } else { auth.user_delete_groups }
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
pub(crate) use crate::args::authenticated as require_user;

// ---------------------------------------------------------------------------------------------
// Readers of request keys (see `crate::request`)

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

/// The children of a group, their children and so on (any type and state).
pub(crate) fn descendants(tx: &mut Tx<'_>, group_id: &str) -> ActionResult<HashSet<String>> {
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([group_id.to_owned()]);
    while let Some(id) = queue.pop_front() {
        for member in tx.memberships_of(MemberKind::Group, &id)? {
            if member.group_id != group_id && seen.insert(member.group_id.clone()) {
                queue.push_back(member.group_id);
            }
        }
    }
    Ok(seen)
}

/// CKAN's `has_user_permission_for_group_or_org`, decided by `authz::has_permission` from the
/// caller's memberships and the chain of groups above this one.
pub(crate) fn has_permission(
    tx: &mut Tx<'_>,
    who: &Memberships,
    group: &Group,
    permission: Permission,
) -> ActionResult<bool> {
    // The chain is loaded only when the caller's own role there does not decide already.
    if authz::has_permission(who, &group.id, &[], permission) {
        return Ok(true);
    }
    let chain = chain_for(tx, who, group)?;
    Ok(authz::has_permission(who, &group.id, &chain, permission))
}

/// Active groups are public; a deleted one only for those who may read it (else 404).
fn require_visible(tx: &mut Tx<'_>, who: &Memberships, group: &Group) -> ActionResult<()> {
    if group.is_active() || has_permission(tx, who, group, Permission::Read)? {
        Ok(())
    } else {
        Err(ActionError::NotFound(None))
    }
}

/// Which datasets of an organization or group its dict shows the caller. An organization's:
/// public ones; private ones of organizations they belong to and of their collaborations;
/// everything for sysadmins. A group's: its public ones, whoever asks (CKAN's `group_dictize`
/// searches with `include_private` for organizations only).
fn visible_packages(who: &Memberships, group: &Group) -> GroupPackages {
    if !group.is_organization {
        return GroupPackages { group_id: group.id.clone(), ..GroupPackages::default() };
    }
    GroupPackages {
        group_id: group.id.clone(),
        organization: true,
        drafts: false,
        all_private: who.sysadmin,
        readable_orgs: who.groups.keys().cloned().collect(),
        readable_ids: who.collaborations.keys().cloned().collect(),
    }
}
