//! Organization and group actions: list, show, create, update, patch, delete, purge,
//! autocomplete, activity streams and `group_package_show`.
//!
//! CKAN keeps organizations and groups in one table and runs both through the same functions
//! (`_group_or_org_*`); so does this module, with a [`Kind`] saying which of the two an action
//! is about. Membership actions live in `member.rs` and use the permission helpers here.

use std::collections::{HashSet, VecDeque};

use datahavn_domain::authz::Memberships;
use datahavn_domain::catalog::Activity;
use datahavn_domain::group::{Capacity, Group, GroupState, Member};
use datahavn_domain::name::Name;
use datahavn_domain::params::{MISSING_VALUE, Params, parse_bool};
use datahavn_domain::{Timestamp, ValidationErrors};
use datahavn_storage::{ActivityFilter, GroupFilter, GroupPackages, StorageError, Tx};
use serde_json::{Map, Value};

use crate::access::memberships;
use crate::search::package_counts;
use crate::{Action, ActionError, ActionResult, Context, activity, render, to_json};
use datahavn_search::GroupCounts;

pub(crate) const GROUP_NOT_FOUND: &str = "Group was not found.";
const NAME_TAKEN: &str = "Group name already exists in database";
const LOOP: &str = "This parent would create a loop in the hierarchy";
const NOT_A_BOOL: &str = "Parameter is not an bool";
/// `*_list` answers at most this many names (CKAN's `ckan.group_and_organization_list_max`)…
const LIST_MAX: u64 = 1000;
/// …and this many dicts with `all_fields` (`ckan.group_and_organization_list_all_fields_max`).
const LIST_ALL_FIELDS_MAX: u64 = 25;
/// `include_datasets` shows this many datasets (`package_search`'s default `rows`).
const SHOWN_DATASETS: i64 = 10;
/// Sub-group dicts nest parents of parents; a hierarchy deeper than this is cut off.
const MAX_DEPTH: usize = 10;
const ACTIVITY_LIMIT_DEFAULT: u64 = 31;
const ACTIVITY_LIMIT_MAX: u64 = 100;

/// Keys of a group dict that are CKAN's own: never stored as free-form keys.
const KNOWN_KEYS: &[&str] = &[
    "id",
    "name",
    "title",
    "description",
    "image_url",
    "image_display_url",
    "type",
    "state",
    "created",
    "is_organization",
    "approval_status",
    "extras",
    "users",
    "groups",
    "packages",
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

/// Organizations or groups.
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

    /// `organization` or `group`, as CKAN's messages and action names spell it.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Organization => "organization",
            Self::Group => "group",
        }
    }

    fn matches(self, group: &Group) -> bool {
        group.is_organization == self.is_org()
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
// Parameters

/// A text value: strings as they are, numbers and booleans as text; lists and objects refused.
pub(crate) fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        _ => None,
    }
}

/// A required parameter (CKAN's `get_or_bust`): `{"<key>": ["Missing value"]}` when absent.
pub(crate) fn required(params: &Params, key: &str, errors: &mut ValidationErrors) -> Option<String> {
    match params.get(key) {
        None => {
            errors.add(key, MISSING_VALUE);
            None
        }
        Some(value) => text_of(value).or_else(|| {
            errors.add(key, "Must be a string");
            None
        }),
    }
}

/// The `id` of a call, as `get_or_bust` reads it.
pub(crate) fn required_id(params: &Params) -> ActionResult<String> {
    let mut errors = ValidationErrors::new();
    let id = required(params, "id", &mut errors);
    errors.into_result()?;
    Ok(id.unwrap_or_default())
}

/// A boolean read with CKAN's `asbool` by `*_show`: a bad value is `{"message": ...}`.
fn show_flag(params: &Params, key: &str, default: bool) -> ActionResult<bool> {
    match params.get(key) {
        None => Ok(default),
        Some(value) => parse_bool(value).ok_or_else(|| message_error(NOT_A_BOOL)),
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
pub(crate) fn visible_packages(who: &Memberships, group: &Group) -> GroupPackages {
    GroupPackages {
        group_id: group.id.clone(),
        organization: group.is_organization,
        drafts: false,
        all_private: who.sysadmin,
        readable_orgs: who.groups.keys().cloned().collect(),
        readable_ids: who.collaborations.keys().cloned().collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Dicts

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Packages {
    #[default]
    Leave,
    Count,
    /// The count and the first datasets.
    Datasets,
}

/// What a group dict carries besides the core fields.
#[derive(Debug, Clone, Copy, Default)]
struct Dictize<'a> {
    packages: Packages,
    /// Dataset counts from the search index; without them (inside a write, whose changes the
    /// index cannot see yet) the database counts.
    counts: Option<&'a GroupCounts>,
    extras: bool,
    users: bool,
    groups: bool,
    member_count: bool,
    num_followers: bool,
}

impl Dictize<'_> {
    /// Whether the dicts show dataset counts: their own, or their parent groups'.
    fn needs_counts(&self) -> bool {
        self.packages != Packages::Leave || self.groups
    }

    /// `*_show`'s defaults.
    fn show() -> Self {
        Self {
            packages: Packages::Count,
            counts: None,
            extras: true,
            users: true,
            groups: true,
            member_count: false,
            num_followers: true,
        }
    }
}

fn sorted(map: Map<String, Value>) -> Map<String, Value> {
    let mut entries: Vec<(String, Value)> = map.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().collect()
}

/// A dataset's `package_show` dict as stored.
fn rendered(record: &datahavn_domain::catalog::PackageRecord) -> ActionResult<Value> {
    serde_json::from_str(&record.rendered)
        .map_err(|e| ActionError::Internal(format!("package {}: {e}", record.id)))
}

/// The user dicts of a group's members, with their capacity, without email or API key.
fn user_members(ctx: &Context<'_>, tx: &mut Tx<'_>, group_id: &str) -> ActionResult<Vec<Value>> {
    let mut users = Vec::new();
    for member in tx.members_of_group(group_id, Some("user"))? {
        let Some(user) = tx.user_by_id_or_name(&member.table_id)? else { continue };
        let mut dict = to_json(&crate::user::user_dict(ctx, &user))?;
        if let Value::Object(map) = &mut dict {
            map.remove("email");
            map.remove("apikey");
            map.insert("capacity".into(), member.capacity.clone().into());
        }
        users.push((user.name.clone(), dict));
    }
    users.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(users.into_iter().map(|(_, dict)| dict).collect())
}

/// CKAN's `group_dictize`: the core fields and free-form keys sorted, then the lists.
fn dictize(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    who: &Memberships,
    group: &Group,
    options: Dictize<'_>,
    capacity: Option<&str>,
    depth: usize,
) -> ActionResult<Map<String, Value>> {
    let site_url = &ctx.site().site_url;
    let mut scalars = group.document.clone();
    scalars.insert("id".into(), group.id.clone().into());
    scalars.insert("name".into(), group.name.clone().into());
    scalars.insert("title".into(), group.title.clone().into());
    scalars.insert("type".into(), group.group_type.clone().into());
    scalars.insert("description".into(), group.description.clone().into());
    scalars.insert("image_url".into(), group.image_url.clone().into());
    scalars.insert("created".into(), group.created.to_ckan_string().into());
    scalars.insert("is_organization".into(), group.is_organization.into());
    scalars.insert("approval_status".into(), group.approval_status.clone().into());
    scalars.insert("state".into(), group.state.as_str().into());
    scalars.insert("display_name".into(), group.display_name().into());
    scalars.insert("image_display_url".into(), group.image_display_url(site_url).into());
    if options.num_followers {
        scalars.insert("num_followers".into(), 0.into());
    }
    if let Some(capacity) = capacity {
        scalars.insert("capacity".into(), capacity.into());
    }
    let visible = visible_packages(who, group);
    if options.packages != Packages::Leave {
        let count = match options.counts {
            Some(counts) => counts.of(group.is_organization, &group.id, &group.name),
            None => u64::try_from(tx.count_group_packages(&visible)?).unwrap_or(0),
        };
        scalars.insert("package_count".into(), count.into());
    }
    if options.member_count {
        scalars.insert("member_count".into(), tx.members_of_group(&group.id, Some("user"))?.len().into());
    }
    let mut out = sorted(scalars);
    if options.extras {
        let extras = group
            .extras
            .iter()
            .map(|(key, value)| {
                let mut extra = Map::new();
                extra.insert("key".into(), key.clone().into());
                extra.insert("value".into(), value.clone().into());
                Value::Object(extra)
            })
            .collect();
        out.insert("extras".into(), Value::Array(extras));
    }
    if options.packages == Packages::Datasets {
        let records = tx.group_packages(&visible, Some(SHOWN_DATASETS))?;
        let packages = records.iter().map(rendered).collect::<ActionResult<Vec<_>>>()?;
        out.insert("packages".into(), Value::Array(packages));
    }
    if options.groups {
        let mut parents = Vec::new();
        if depth < MAX_DEPTH {
            let sub = Dictize {
                packages: Packages::Count,
                counts: options.counts,
                groups: true,
                member_count: true,
                ..Dictize::default()
            };
            for member in tx.members_of_group(&group.id, Some("group"))? {
                let Some(parent) = tx.group_by_id_or_name(&member.table_id)? else { continue };
                let dict = dictize(ctx, tx, who, &parent, sub, Some(&member.capacity), depth + 1)?;
                parents.push((parent.display_name().to_owned(), Value::Object(dict)));
            }
        }
        parents.sort_by(|a, b| a.0.cmp(&b.0));
        out.insert("groups".into(), Value::Array(parents.into_iter().map(|(_, d)| d).collect()));
    }
    if options.users {
        out.insert("users".into(), Value::Array(user_members(ctx, tx, &group.id)?));
    }
    Ok(out)
}

/// The `*_show` dict of a group, as the caller sees it.
fn show_dict(ctx: &Context<'_>, tx: &mut Tx<'_>, group: &Group) -> ActionResult<Value> {
    let who = memberships(tx, &ctx.actor)?;
    Ok(Value::Object(dictize(ctx, tx, &who, group, Dictize::show(), None, 0)?))
}

/// Dicts of a list of groups (`organization_list_for_user`, `group_list_authz`), sorted by
/// display name, each with its capacity when given, and its dataset count when `counts` are.
pub(crate) fn list_dicts(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    who: &Memberships,
    groups: &[(Group, Option<String>)],
    counts: Option<&GroupCounts>,
    with_member_counts: bool,
) -> ActionResult<Value> {
    let options = Dictize {
        packages: if counts.is_some() { Packages::Count } else { Packages::Leave },
        counts,
        member_count: with_member_counts,
        ..Dictize::default()
    };
    let mut dicts = Vec::new();
    for (group, capacity) in groups {
        let dict = dictize(ctx, tx, who, group, options, capacity.as_deref(), 0)?;
        dicts.push((group.display_name().to_owned(), Value::Object(dict)));
    }
    dicts.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Value::Array(dicts.into_iter().map(|(_, d)| d).collect()))
}

// ---------------------------------------------------------------------------------------------
// organization_list / group_list

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortField {
    Name,
    Title,
    PackageCount,
}

/// CKAN's `_unpick_search` for group lists: one `field [asc|desc]` criterion.
fn read_sort(params: &Params) -> ActionResult<(SortField, bool)> {
    let given = |key: &str| params.get(key).and_then(text_of).filter(|s| !s.trim().is_empty());
    let mut sort = given("sort").or_else(|| given("order_by")).unwrap_or_else(|| "title".to_owned());
    if matches!(sort.trim(), "packages" | "package_count") {
        sort = "package_count desc".to_owned();
    }
    let mut criteria = Vec::new();
    for part in sort.split(',') {
        let mut words = part.split_whitespace();
        let field = words.next().unwrap_or_default();
        let field = match field {
            "name" => SortField::Name,
            "title" => SortField::Title,
            "packages" | "package_count" => SortField::PackageCount,
            other => return Err(message_error(format!("Cannot sort by field `{other}`"))),
        };
        let direction = words.next().map_or_else(|| "asc".to_owned(), str::to_lowercase);
        let descending = match direction.as_str() {
            "asc" => false,
            "desc" => true,
            other => return Err(message_error(format!("Invalid sort direction `{other}`"))),
        };
        criteria.push((field, descending));
    }
    if criteria.len() > 1 {
        return Err(message_error("Too many sort criteria provided only 1 allowed"));
    }
    criteria.into_iter().next().ok_or_else(|| message_error("Cannot sort by field ``"))
}

/// A list of names: a JSON list, or a comma-separated string (CKAN's `aslist`).
fn name_list(value: Option<&Value>) -> Option<Vec<String>> {
    let names: Vec<String> = match value? {
        Value::Array(items) => items.iter().filter_map(text_of).collect(),
        other => text_of(other)?.split(',').map(|s| s.trim().to_owned()).collect(),
    };
    let names: Vec<String> = names.into_iter().filter(|s| !s.is_empty()).collect();
    (!names.is_empty()).then_some(names)
}

/// A paging parameter as `*_list` reads it: checked only when given and not zero or empty.
/// A zero stays zero (for `limit`: no limit at all, as in CKAN).
fn paging(params: &Params, key: &str, errors: &mut ValidationErrors) -> Option<u64> {
    match params.get(key) {
        None | Some(Value::Bool(false)) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => Some(0),
        Some(_) => params.natural(key, errors),
    }
}

fn list_action(ctx: &Context<'_>, params: &Params, kind: Kind) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let limit = paging(params, "limit", &mut errors);
    let offset = paging(params, "offset", &mut errors).unwrap_or(0);
    errors.into_result()?;
    let (sort_field, descending) = read_sort(params)?;
    let mut errors = ValidationErrors::new();
    let all_fields = params.bool("all_fields", false, &mut errors);
    let q = params.string("q", &mut errors).map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    let group_type = params.string("type", &mut errors).unwrap_or_else(|| kind.word().to_owned());
    errors.into_result()?;
    let names = name_list(params.get(if kind.is_org() { "organizations" } else { "groups" }));
    let options = if all_fields {
        let packages = if show_flag(params, "include_datasets", false)? {
            Packages::Datasets
        } else if show_flag(params, "include_dataset_count", true)? {
            Packages::Count
        } else {
            Packages::Leave
        };
        Some(Dictize {
            packages,
            counts: None,
            extras: show_flag(params, "include_extras", false)?,
            users: show_flag(params, "include_users", false)?,
            groups: show_flag(params, "include_groups", false)?,
            member_count: show_flag(params, "include_member_count", false)?,
            num_followers: true,
        })
    } else {
        None
    };
    let max = if all_fields { LIST_ALL_FIELDS_MAX } else { LIST_MAX };
    // CKAN: a limit of 0 is no limit at all; anything above the maximum is the maximum.
    let limit = match limit {
        Some(0) => usize::MAX,
        Some(n) => usize::try_from(n.min(max)).unwrap_or(usize::MAX),
        None => usize::try_from(max).unwrap_or(usize::MAX),
    };
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);

    let who = ctx.store().read(|tx| memberships(tx, &ctx.actor))?;
    let counts = if sort_field == SortField::PackageCount || options.is_some_and(|o| o.needs_counts()) {
        Some(package_counts(ctx, &who)?)
    } else {
        None
    };
    let options = options.map(|o| Dictize { counts: counts.as_ref(), ..o });
    ctx.store().read(|tx| {
        let filter = GroupFilter { organizations: kind.is_org(), q, names, include_deleted: false };
        let groups: Vec<Group> =
            tx.list_groups(&filter)?.into_iter().filter(|g| g.group_type == group_type).collect();
        let mut keyed = Vec::with_capacity(groups.len());
        for group in groups {
            let count = counts.as_ref().map_or(0, |c| c.of(group.is_organization, &group.id, &group.name));
            keyed.push((count, group));
        }
        keyed.sort_by(|(count_a, a), (count_b, b)| {
            let order = match sort_field {
                SortField::Name => a.name.cmp(&b.name),
                SortField::Title => a
                    .title
                    .to_lowercase()
                    .cmp(&b.title.to_lowercase())
                    .then_with(|| a.title.cmp(&b.title))
                    .then_with(|| a.name.cmp(&b.name)),
                SortField::PackageCount => count_a.cmp(count_b),
            };
            let order = if descending { order.reverse() } else { order };
            order.then_with(|| a.name.cmp(&b.name))
        });
        let page = keyed.into_iter().skip(offset).take(limit).map(|(_, g)| g);
        match options {
            None => Ok(Value::Array(page.map(|g| Value::String(g.name)).collect())),
            Some(options) => {
                let mut dicts = Vec::new();
                for group in page {
                    dicts.push(Value::Object(dictize(ctx, tx, &who, &group, options, None, 0)?));
                }
                Ok(Value::Array(dicts))
            }
        }
    })
}

pub const ORGANIZATION_LIST: Action = Action {
    name: "organization_list",
    side_effect_free: true,
    doc: "Return a list of the names of the site's organizations.\n\n\
          :param organizations: only these organizations (a list of names, optional)\n\
          See ``group_list`` for the other parameters.\n\n\
          :rtype: list of strings",
    run: organization_list,
    ..crate::UNTYPED
};

fn organization_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    list_action(ctx, params, Kind::Organization)
}

pub const GROUP_LIST: Action = Action {
    name: "group_list",
    side_effect_free: true,
    doc: "Return a list of the names of the site's groups.\n\n\
          :param groups: only these groups (a list of names, optional)\n\
          :param sort: ``name``, ``title`` or ``package_count``, optionally with ``asc`` or ``desc`` \
          (optional, default ``title asc``)\n\
          :param limit: the maximum number of groups (optional, default 1000, or 25 with ``all_fields``)\n\
          :param offset: skip this many groups (optional)\n\
          :param q: only groups whose name, title or description contains this text (optional)\n\
          :param all_fields: return group dicts instead of names (optional, default false)\n\
          :param include_dataset_count: with ``all_fields``, include ``package_count`` (default true)\n\
          :param include_extras: with ``all_fields``, include the extras (default false)\n\
          :param include_users: with ``all_fields``, include the users (default false)\n\
          :param include_groups: with ``all_fields``, include the parent groups (default false)\n\
          :rtype: list of strings",
    run: group_list,
    ..crate::UNTYPED
};

fn group_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    list_action(ctx, params, Kind::Group)
}

// ---------------------------------------------------------------------------------------------
// organization_show / group_show

fn show_action(ctx: &Context<'_>, params: &Params, kind: Kind) -> ActionResult {
    let id = required_id(params)?;
    let packages = if show_flag(params, "include_datasets", false)? {
        Packages::Datasets
    } else if show_flag(params, "include_dataset_count", true)? {
        Packages::Count
    } else {
        Packages::Leave
    };
    let options = Dictize {
        packages,
        counts: None,
        users: show_flag(params, "include_users", true)?,
        groups: show_flag(params, "include_groups", true)?,
        extras: show_flag(params, "include_extras", true)?,
        // Followers are not kept: `num_followers` is 0 either way (CKAN's value without them).
        num_followers: show_flag(params, "include_followers", true).map(|_| true)?,
        member_count: show_flag(params, "include_member_count", false)?,
    };
    let who = ctx.store().read(|tx| memberships(tx, &ctx.actor))?;
    let counts = if options.needs_counts() { Some(package_counts(ctx, &who)?) } else { None };
    let options = Dictize { counts: counts.as_ref(), ..options };
    ctx.store().read(|tx| {
        let group = find_kind(tx, &id, kind)?.ok_or(ActionError::NotFound(None))?;
        require_visible(tx, &who, &group)?;
        Ok(Value::Object(dictize(ctx, tx, &who, &group, options, None, 0)?))
    })
}

pub const ORGANIZATION_SHOW: Action = Action {
    name: "organization_show",
    side_effect_free: true,
    doc: "Return the details of an organization.\n\n\
          :param id: the id or name of the organization\n\
          :param include_datasets: include a truncated list of the org's datasets (optional, default false)\n\
          :param include_dataset_count: include the full package_count (optional, default true)\n\
          :param include_extras: include the organization's extra fields (optional, default true)\n\
          :param include_users: include the organization's users (optional, default true)\n\
          :param include_groups: include the organization's parent groups (optional, default true)\n\
          :param include_followers: include the number of followers (optional, default true)\n\
          :param include_member_count: include the number of members (optional, default false)\n\
          :rtype: dictionary\n\n.. note:: Only its first 10 datasets are returned",
    run: organization_show,
    ..crate::UNTYPED
};

fn organization_show(ctx: &Context<'_>, params: &Params) -> ActionResult {
    show_action(ctx, params, Kind::Organization)
}

pub const GROUP_SHOW: Action = Action {
    name: "group_show",
    side_effect_free: true,
    doc: "Return the details of a group.\n\n\
          :param id: the id or name of the group\n\
          :param include_datasets: include a truncated list of the group's datasets (optional, default false)\n\
          :param include_dataset_count: include the full package_count (optional, default true)\n\
          :param include_extras: include the group's extra fields (optional, default true)\n\
          :param include_users: include the group's users (optional, default true)\n\
          :param include_groups: include the group's parent groups (optional, default true)\n\
          :param include_followers: include the number of followers (optional, default true)\n\
          :param include_member_count: include the number of members (optional, default false)\n\
          :rtype: dictionary",
    run: group_show,
    ..crate::UNTYPED
};

fn group_show(ctx: &Context<'_>, params: &Params) -> ActionResult {
    show_action(ctx, params, Kind::Group)
}

// ---------------------------------------------------------------------------------------------
// Input of create and update

/// One entry of `users`, `groups` or `packages`: a reference (id or name) and a capacity.
#[derive(Debug, Clone)]
struct Entry {
    reference: String,
    capacity: Option<String>,
}

/// A create or update request, read without the database.
#[derive(Debug, Default)]
struct Input {
    id: Option<String>,
    name: Option<String>,
    title: Option<String>,
    description: Option<String>,
    image_url: Option<String>,
    approval_status: Option<String>,
    group_type: Option<String>,
    state: Option<GroupState>,
    extras: Vec<(String, String)>,
    users: Option<Vec<Entry>>,
    groups: Option<Vec<Entry>>,
    packages: Option<Vec<Entry>>,
    document: Map<String, Value>,
}

fn read_text(params: &Params, key: &str, errors: &mut ErrorDict) -> Option<String> {
    let value = params.get(key)?;
    text_of(value).or_else(|| {
        errors.add(key, "Must be a string");
        None
    })
}

fn read_name(params: &Params, creating: bool, errors: &mut ErrorDict) -> Option<String> {
    let value = match params.get("name") {
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
fn read_extras(params: &Params, errors: &mut ErrorDict) -> Vec<(String, String)> {
    let items = match params.get("extras") {
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
    params: &Params,
    key: &str,
    required_key: &str,
    errors: &mut ErrorDict,
) -> Option<Vec<Entry>> {
    let items = match params.get(key)? {
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
            entries.push(Entry { reference, capacity: capacity.map(|c| c.to_lowercase()) });
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

/// Reads a create or update request. `sysadmin` decides whether `id` may be given.
fn read_input(params: &Params, creating: bool, sysadmin: bool, may_set_state: bool) -> (Input, ErrorDict) {
    let mut errors = ErrorDict::default();
    let mut input = Input::default();
    if creating {
        match params.get("id").and_then(text_of).filter(|id| !id.is_empty()) {
            None => {}
            Some(_) if !sysadmin => errors.add("id", "The input field id was not expected."),
            Some(id) => {
                if uuid::Uuid::parse_str(&id).is_err() {
                    errors.add("id", "Invalid id provided");
                }
                input.id = Some(id);
            }
        }
    }
    input.name = read_name(params, creating, &mut errors);
    input.title = read_text(params, "title", &mut errors);
    input.description = read_text(params, "description", &mut errors);
    input.image_url = read_text(params, "image_url", &mut errors);
    input.approval_status = read_text(params, "approval_status", &mut errors);
    input.group_type = read_text(params, "type", &mut errors).filter(|t| !t.is_empty());
    if may_set_state && let Some(state) = read_text(params, "state", &mut errors).filter(|s| !s.is_empty()) {
        match GroupState::parse(&state) {
            Some(state) => input.state = Some(state),
            None => errors.add("state", "State must be one of: active, deleted"),
        }
    }
    input.extras = read_extras(params, &mut errors);
    input.users = read_entries(params, "users", "name", &mut errors);
    input.groups = read_entries(params, "groups", "name", &mut errors);
    input.packages = read_entries(params, "packages", "id", &mut errors);
    for (key, value) in params.as_map() {
        if !KNOWN_KEYS.contains(&key.as_str()) && !key.starts_with("__") {
            input.document.insert(key.clone(), value.clone());
        }
    }
    (input, errors)
}

/// Whether another organization or group (deleted ones too) holds the name.
fn name_taken(tx: &mut Tx<'_>, name: &str, own_id: Option<&str>) -> ActionResult<bool> {
    Ok(tx.group_by_id_or_name(name)?.is_some_and(|g| g.name == name && Some(g.id.as_str()) != own_id))
}

/// The objects of `users`/`groups`/`packages` entries, as (id, capacity) pairs. Unknown users
/// and (on create) unknown groups are skipped, as in CKAN; unknown datasets are an error, and on
/// update a parent that would make a loop is one.
struct Resolved {
    users: Option<Vec<(String, String)>>,
    groups: Option<Vec<(String, String)>>,
    packages: Option<Vec<(String, String)>>,
}

fn resolve(
    tx: &mut Tx<'_>,
    input: &Input,
    existing: Option<&Group>,
    kind: Kind,
    errors: &mut ErrorDict,
) -> ActionResult<Resolved> {
    let mut users = None;
    if let Some(entries) = &input.users {
        let mut out: Vec<(String, String)> = Vec::new();
        for entry in entries {
            if let Some(user) = tx.user_by_id_or_name(&entry.reference)?
                && !out.iter().any(|(id, _)| *id == user.id)
            {
                out.push((
                    user.id,
                    entry.capacity.clone().unwrap_or_else(|| Capacity::Member.as_str().to_owned()),
                ));
            }
        }
        users = Some(out);
    }
    let mut groups = None;
    if let Some(entries) = &input.groups {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut nested = Vec::new();
        let mut failed = false;
        let (excluded, group_type) = match existing {
            Some(group) => {
                let mut excluded = descendants(tx, &group.id)?;
                excluded.insert(group.id.clone());
                (Some(excluded), group.group_type.clone())
            }
            None => (None, String::new()),
        };
        for entry in entries {
            let parent = find(tx, &entry.reference)?;
            let mut entry_errors = Map::new();
            match (&excluded, parent) {
                (None, Some(parent)) => {
                    if !out.iter().any(|(id, _)| *id == parent.id) {
                        out.push((parent.id, entry.capacity.clone().unwrap_or_else(|| "public".to_owned())));
                    }
                }
                (None, None) => {}
                (Some(excluded), Some(parent))
                    if parent.is_active()
                        && parent.group_type == group_type
                        && !excluded.contains(&parent.id) =>
                {
                    if !out.iter().any(|(id, _)| *id == parent.id) {
                        out.push((parent.id, entry.capacity.clone().unwrap_or_else(|| "public".to_owned())));
                    }
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
        groups = Some(out);
    }
    let mut packages = None;
    if let Some(entries) = &input.packages
        && !kind.is_org()
    {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut nested = Vec::new();
        let mut failed = false;
        for entry in entries {
            let mut entry_errors = Map::new();
            match tx.package_by_id_or_name(&entry.reference)? {
                Some(package) => {
                    if !out.iter().any(|(id, _)| *id == package.id) {
                        out.push((package.id, entry.capacity.clone().unwrap_or_else(|| "public".to_owned())));
                    }
                }
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
        packages = Some(out);
    }
    Ok(Resolved { users, groups, packages })
}

/// Makes the group's members of one kind exactly `wanted`; returns the objects whose
/// membership changed.
fn sync_members(
    tx: &mut Tx<'_>,
    group_id: &str,
    table_name: &str,
    wanted: &[(String, String)],
) -> ActionResult<Vec<String>> {
    let current = tx.members_of_group(group_id, Some(table_name))?;
    let mut changed = Vec::new();
    for member in &current {
        if !wanted.iter().any(|(id, _)| *id == member.table_id) {
            tx.delete_member(group_id, table_name, &member.table_id)?;
            changed.push(member.table_id.clone());
        }
    }
    for (id, capacity) in wanted {
        if current.iter().any(|m| m.table_id == *id && m.capacity == *capacity) {
            continue;
        }
        tx.upsert_member(&Member {
            id: uuid::Uuid::new_v4().to_string(),
            group_id: group_id.to_owned(),
            table_name: table_name.to_owned(),
            table_id: id.clone(),
            capacity: capacity.clone(),
            state: "active".into(),
        })?;
        changed.push(id.clone());
    }
    Ok(changed)
}

/// Writes the memberships of a created or updated group; returns the datasets to re-render.
fn write_members(tx: &mut Tx<'_>, group_id: &str, resolved: &Resolved) -> ActionResult<Vec<String>> {
    if let Some(users) = &resolved.users {
        sync_members(tx, group_id, "user", users)?;
    }
    if let Some(groups) = &resolved.groups {
        sync_members(tx, group_id, "group", groups)?;
    }
    match &resolved.packages {
        Some(packages) => sync_members(tx, group_id, "package", packages),
        None => Ok(Vec::new()),
    }
}

/// A unique-index race on the name, reported as CKAN words it.
fn name_conflict(error: StorageError) -> ActionError {
    match error {
        StorageError::Conflict { .. } => ActionError::field("name", NAME_TAKEN),
        other => other.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// organization_create / group_create

fn create_action(ctx: &Context<'_>, params: &Params, kind: Kind) -> ActionResult {
    let action = format!("{}_create", kind.word());
    if kind == Kind::Group && params.get("type").and_then(Value::as_str) == Some("organization") {
        return Err(message_error("Trying to create an organization as a group"));
    }
    require_user(ctx, &action)?;
    let sysadmin = ctx.actor.is_sysadmin();
    if kind.is_org() && !sysadmin {
        return Err(ActionError::denied(format!(
            "User {} not authorized to create organizations",
            ctx.actor.user_id().unwrap_or_default()
        )));
    }
    let (input, mut errors) = read_input(params, true, sysadmin, sysadmin);
    let creator = ctx.actor.user_id().filter(|id| !id.is_empty()).map(str::to_owned);
    let dict = ctx.store().write(|tx| {
        if let Some(id) = &input.id
            && !errors.contains("id")
            && !tx.groups_by_ids(std::slice::from_ref(id))?.is_empty()
        {
            errors.add("id", "Id already exists");
        }
        if let Some(name) = &input.name
            && name_taken(tx, name, None)?
        {
            errors.add("name", NAME_TAKEN);
        }
        let resolved = resolve(tx, &input, None, kind, &mut errors)?;
        std::mem::take(&mut errors).into_result()?;
        let name = input.name.clone().unwrap_or_default();
        let group = Group {
            id: input.id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            name,
            title: input.title.clone().unwrap_or_default(),
            description: input.description.clone().unwrap_or_default(),
            image_url: input.image_url.clone().unwrap_or_default(),
            group_type: input.group_type.clone().unwrap_or_else(|| kind.word().to_owned()),
            is_organization: kind.is_org(),
            approval_status: input.approval_status.clone().unwrap_or_else(|| "approved".to_owned()),
            state: input.state.unwrap_or(GroupState::Active),
            created: Timestamp::now(),
            extras: input.extras.clone(),
            document: input.document.clone(),
        };
        tx.insert_group(&group).map_err(name_conflict)?;
        let packages = write_members(tx, &group.id, &resolved)?;
        // The creator becomes an admin (CKAN's member_create with ignore_auth).
        if let Some(creator) = &creator {
            tx.upsert_member(&Member {
                id: uuid::Uuid::new_v4().to_string(),
                group_id: group.id.clone(),
                table_name: "user".into(),
                table_id: creator.clone(),
                capacity: Capacity::Admin.as_str().into(),
                state: "active".into(),
            })?;
        }
        render::rerender_packages(tx, &packages, &ctx.site().site_url)?;
        let dict = show_dict(ctx, tx, &group)?;
        activity::record_group(ctx, tx, &format!("new {}", kind.word()), &group.id, &dict)?;
        log::info!("{} {} created by {:?}", kind.word(), group.name, ctx.actor.name());
        Ok::<_, ActionError>(dict)
    })?;
    Ok(dict)
}

pub const ORGANIZATION_CREATE: Action = Action {
    name: "organization_create",
    side_effect_free: false,
    doc: "Create a new organization. Only sysadmins may create organizations; the creator \
          becomes an admin of it.\n\n\
          :param name: the name of the organization, 2-100 characters of lowercase alphanumerics, `-` and `_`\n\
          :param id: the id of the organization (sysadmins only, optional)\n\
          :param title: the title of the organization (optional)\n\
          :param description: the description of the organization (optional)\n\
          :param image_url: the URL of an image for the organization (optional)\n\
          :param state: ``active`` or ``deleted`` (sysadmins only, optional)\n\
          :param approval_status: (optional)\n\
          :param extras: the organization's extras, ``[{key, value}]`` (optional)\n\
          :param users: the organization's members, ``[{name, capacity}]`` (optional)\n\
          :returns: the newly created organization\n:rtype: dictionary",
    run: organization_create,
    ..crate::UNTYPED
};

fn organization_create(ctx: &Context<'_>, params: &Params) -> ActionResult {
    create_action(ctx, params, Kind::Organization)
}

pub const GROUP_CREATE: Action = Action {
    name: "group_create",
    side_effect_free: false,
    doc: "Create a new group. Any logged-in user may create groups; the creator becomes an admin \
          of it.\n\n\
          :param name: the name of the group, 2-100 characters of lowercase alphanumerics, `-` and `_`\n\
          :param id: the id of the group (sysadmins only, optional)\n\
          :param title: the title of the group (optional)\n\
          :param description: the description of the group (optional)\n\
          :param image_url: the URL of an image for the group (optional)\n\
          :param type: the type of the group (optional, default ``group``; not ``organization``)\n\
          :param state: ``active`` or ``deleted`` (sysadmins only, optional)\n\
          :param extras: the group's extras, ``[{key, value}]`` (optional)\n\
          :param packages: the group's datasets, ``[{id}]`` (optional)\n\
          :param groups: the group's parent groups, ``[{name, capacity}]`` (optional)\n\
          :param users: the group's members, ``[{name, capacity}]`` (optional)\n\
          :returns: the newly created group\n:rtype: dictionary",
    run: group_create,
    ..crate::UNTYPED
};

fn group_create(ctx: &Context<'_>, params: &Params) -> ActionResult {
    create_action(ctx, params, Kind::Group)
}

// ---------------------------------------------------------------------------------------------
// organization_update / group_update / *_patch

fn update_action(ctx: &Context<'_>, params: &Params, kind: Kind) -> ActionResult {
    let action = format!("{}_update", kind.word());
    let id = required_id(params)?;
    ctx.store().write(|tx| {
        let group = find_kind(tx, &id, kind)?.ok_or_else(|| ActionError::not_found(GROUP_NOT_FOUND))?;
        if let Some(given) = params.get("type").and_then(text_of)
            && given != group.group_type
        {
            return Err(ActionError::field("type", "Type cannot be updated"));
        }
        require_user(ctx, &action)?;
        let who = memberships(tx, &ctx.actor)?;
        if !has_permission(tx, &who, &group, Permission::Update)? {
            return Err(ActionError::denied(format!(
                "User {} not authorized to edit {} {}",
                ctx.actor.name(),
                kind.word(),
                group.id
            )));
        }
        let (input, mut errors) = read_input(params, false, who.sysadmin, true);
        if let Some(name) = &input.name
            && name_taken(tx, name, Some(&group.id))?
        {
            errors.add("name", NAME_TAKEN);
        }
        let resolved = resolve(tx, &input, Some(&group), kind, &mut errors)?;
        errors.into_result()?;

        let mut updated = group.clone();
        if let Some(name) = &input.name {
            updated.name = name.clone();
        }
        for (field, value) in [
            (&mut updated.title, &input.title),
            (&mut updated.description, &input.description),
            (&mut updated.image_url, &input.image_url),
            (&mut updated.approval_status, &input.approval_status),
        ] {
            if let Some(value) = value {
                field.clone_from(value);
            }
        }
        if let Some(state) = input.state {
            updated.state = state;
        }
        updated.extras = input.extras.clone();
        updated.document = input.document.clone();
        tx.update_group(&updated).map_err(name_conflict)?;
        let mut packages = tx.all_package_ids_of_org(&group.id)?;
        packages.extend(tx.members_of_group(&group.id, Some("package"))?.into_iter().map(|m| m.table_id));
        packages.extend(write_members(tx, &group.id, &resolved)?);
        packages.sort();
        packages.dedup();
        render::rerender_packages(tx, &packages, &ctx.site().site_url)?;

        // CKAN answers with group_dictize's defaults: datasets included, no follower count.
        let who = memberships(tx, &ctx.actor)?;
        let options = Dictize { packages: Packages::Datasets, num_followers: false, ..Dictize::show() };
        let dict = Value::Object(dictize(ctx, tx, &who, &updated, options, None, 0)?);
        let verb =
            if updated.state == GroupState::Deleted && group.is_active() { "deleted" } else { "changed" };
        // The activity keeps the group, not copies of its datasets.
        let mut recorded = dict.clone();
        if let Value::Object(map) = &mut recorded {
            map.remove("packages");
        }
        activity::record_group(ctx, tx, &format!("{verb} {}", kind.word()), &group.id, &recorded)?;
        log::info!("{} {} updated by {:?}", kind.word(), updated.name, ctx.actor.name());
        Ok(dict)
    })
}

pub const ORGANIZATION_UPDATE: Action = Action {
    name: "organization_update",
    side_effect_free: false,
    doc: "Update an organization. Organization admins and sysadmins only.\n\n\
          Core fields not given keep their values; ``extras`` and any free-form keys are \
          replaced. ``users`` and ``groups``, when given, replace the members; when not given \
          they are left as they are. ``packages`` is ignored (datasets belong to an \
          organization through their ``owner_org``).\n\n\
          :param id: the id or name of the organization\n\
          Other parameters as for ``organization_create``.\n\n\
          :returns: the updated organization\n:rtype: dictionary",
    run: organization_update,
    ..crate::UNTYPED
};

fn organization_update(ctx: &Context<'_>, params: &Params) -> ActionResult {
    update_action(ctx, params, Kind::Organization)
}

pub const GROUP_UPDATE: Action = Action {
    name: "group_update",
    side_effect_free: false,
    doc: "Update a group. Group admins and sysadmins only.\n\n\
          Core fields not given keep their values; ``extras`` and any free-form keys are \
          replaced. ``users``, ``groups`` and ``packages``, when given, replace the members; \
          when not given they are left as they are.\n\n\
          :param id: the id or name of the group\n\
          Other parameters as for ``group_create``.\n\n\
          :returns: the updated group\n:rtype: dictionary",
    run: group_update,
    ..crate::UNTYPED
};

fn group_update(ctx: &Context<'_>, params: &Params) -> ActionResult {
    update_action(ctx, params, Kind::Group)
}

fn patch_action(ctx: &Context<'_>, params: &Params, kind: Kind) -> ActionResult {
    let action = format!("{}_patch", kind.word());
    require_user(ctx, &action)?;
    // CKAN checks `*_update` permission on the object first (sysadmins skip that check).
    if !ctx.actor.is_sysadmin() {
        let Some(id) = params.get("id").and_then(text_of).filter(|id| !id.is_empty()) else {
            return Err(message_error("Missing id, can not get Group object"));
        };
        ctx.store().read(|tx| {
            let group = find(tx, &id)?.ok_or(ActionError::NotFound(None))?;
            let who = memberships(tx, &ctx.actor)?;
            if has_permission(tx, &who, &group, Permission::Update)? {
                Ok(())
            } else {
                Err(ActionError::denied(format!(
                    "User {} not authorized to edit {} {}",
                    ctx.actor.name(),
                    Kind::of(&group).word(),
                    group.id
                )))
            }
        })?;
    }
    let id = required_id(params)?;
    let mut show_params = Map::new();
    show_params.insert("id".into(), id.into());
    let shown = show_action(ctx, &Params::new(show_params), kind)?;
    let Value::Object(mut merged) = shown else {
        return Err(ActionError::Internal("show did not return a dict".into()));
    };
    merged.remove("display_name");
    for (key, value) in params.as_map() {
        merged.insert(key.clone(), value.clone());
    }
    update_action(ctx, &Params::new(merged), kind)
}

pub const ORGANIZATION_PATCH: Action = Action {
    name: "organization_patch",
    side_effect_free: false,
    doc: "Patch an organization: the fields given are changed, all others keep their values.\n\n\
          :param id: the id or name of the organization\n\
          :returns: the updated organization\n:rtype: dictionary",
    run: organization_patch,
    ..crate::UNTYPED
};

fn organization_patch(ctx: &Context<'_>, params: &Params) -> ActionResult {
    patch_action(ctx, params, Kind::Organization)
}

pub const GROUP_PATCH: Action = Action {
    name: "group_patch",
    side_effect_free: false,
    doc: "Patch a group: the fields given are changed, all others keep their values.\n\n\
          :param id: the id or name of the group\n\
          :returns: the updated group\n:rtype: dictionary",
    run: group_patch,
    ..crate::UNTYPED
};

fn group_patch(ctx: &Context<'_>, params: &Params) -> ActionResult {
    patch_action(ctx, params, Kind::Group)
}

// ---------------------------------------------------------------------------------------------
// organization_delete / group_delete / *_purge

/// Datasets whose rendered dicts embed the group: owned by it, or members of it.
fn embedding_packages(tx: &mut Tx<'_>, group_id: &str) -> ActionResult<Vec<String>> {
    let mut ids = tx.all_package_ids_of_org(group_id)?;
    ids.extend(tx.members_of_group(group_id, Some("package"))?.into_iter().map(|m| m.table_id));
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Removes every membership in the group and of the group in others.
fn drop_memberships(tx: &mut Tx<'_>, group_id: &str) -> ActionResult<()> {
    tx.delete_members_of_group(group_id)?;
    tx.delete_memberships_of("group", group_id)?;
    Ok(())
}

fn delete_action(ctx: &Context<'_>, params: &Params, kind: Kind) -> ActionResult {
    let action = format!("{}_delete", kind.word());
    let id = required_id(params)?;
    ctx.store().write(|tx| {
        let mut group = find_kind(tx, &id, kind)?.ok_or_else(|| ActionError::not_found(GROUP_NOT_FOUND))?;
        require_user(ctx, &action)?;
        let who = memberships(tx, &ctx.actor)?;
        if !has_permission(tx, &who, &group, Permission::Delete)? {
            return Err(ActionError::denied(format!(
                "User {} not authorized to delete {} {}",
                ctx.actor.name(),
                kind.word(),
                group.id
            )));
        }
        if kind.is_org() && !tx.package_ids_of_org(&group.id)?.is_empty() {
            return Err(message_error("Organization cannot be deleted while it still has datasets"));
        }
        let packages = embedding_packages(tx, &group.id)?;
        drop_memberships(tx, &group.id)?;
        group.state = GroupState::Deleted;
        tx.update_group(&group)?;
        render::rerender_packages(tx, &packages, &ctx.site().site_url)?;
        let dict = show_dict(ctx, tx, &group)?;
        activity::record_group(ctx, tx, &format!("deleted {}", kind.word()), &group.id, &dict)?;
        log::info!("{} {} deleted by {:?}", kind.word(), group.name, ctx.actor.name());
        Ok(Value::Null)
    })
}

pub const ORGANIZATION_DELETE: Action = Action {
    name: "organization_delete",
    side_effect_free: false,
    doc: "Delete an organization: its state becomes ``deleted`` and its memberships are \
          removed. Organization admins and sysadmins only. An organization that still has \
          datasets (not deleted ones) cannot be deleted.\n\n\
          :param id: the name or id of the organization\n:rtype: null",
    run: organization_delete,
    ..crate::UNTYPED
};

fn organization_delete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    delete_action(ctx, params, Kind::Organization)
}

pub const GROUP_DELETE: Action = Action {
    name: "group_delete",
    side_effect_free: false,
    doc: "Delete a group: its state becomes ``deleted`` and its memberships (users, datasets, \
          parent and child groups) are removed. Group admins and sysadmins only.\n\n\
          :param id: the name or id of the group\n:rtype: null",
    run: group_delete,
    ..crate::UNTYPED
};

fn group_delete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    delete_action(ctx, params, Kind::Group)
}

fn purge_action(ctx: &Context<'_>, params: &Params, kind: Kind) -> ActionResult {
    let action = format!("{}_purge", kind.word());
    let id = required_id(params)?;
    ctx.store().write(|tx| {
        let missing = if kind.is_org() { "Organization was not found" } else { "Group was not found" };
        let group = find_kind(tx, &id, kind)?.ok_or_else(|| ActionError::not_found(missing))?;
        require_user(ctx, &action)?;
        if !ctx.actor.is_sysadmin() {
            return Err(ActionError::NotAuthorized(None));
        }
        if kind.is_org() && !tx.package_ids_of_org(&group.id)?.is_empty() {
            return Err(message_error("Organization cannot be purged while it still has datasets"));
        }
        let packages = embedding_packages(tx, &group.id)?;
        drop_memberships(tx, &group.id)?;
        tx.purge_group(&group.id)?;
        render::rerender_packages(tx, &packages, &ctx.site().site_url)?;
        log::info!("{} {} purged by {:?}", kind.word(), group.name, ctx.actor.name());
        Ok(Value::Null)
    })
}

pub const ORGANIZATION_PURGE: Action = Action {
    name: "organization_purge",
    side_effect_free: false,
    doc: "Purge an organization: remove it from the database for good (sysadmins only). \
          Its deleted datasets stay, without an organization. An organization that still has \
          datasets (not deleted ones) cannot be purged.\n\n\
          :param id: the name or id of the organization\n:rtype: null",
    run: organization_purge,
    ..crate::UNTYPED
};

fn organization_purge(ctx: &Context<'_>, params: &Params) -> ActionResult {
    purge_action(ctx, params, Kind::Organization)
}

pub const GROUP_PURGE: Action = Action {
    name: "group_purge",
    side_effect_free: false,
    doc: "Purge a group: remove it from the database for good (sysadmins only). Datasets in \
          the group stay, just not in the group.\n\n\
          :param id: the name or id of the group\n:rtype: null",
    run: group_purge,
    ..crate::UNTYPED
};

fn group_purge(ctx: &Context<'_>, params: &Params) -> ActionResult {
    purge_action(ctx, params, Kind::Group)
}

// ---------------------------------------------------------------------------------------------
// *_autocomplete, group_package_show

fn autocomplete_action(ctx: &Context<'_>, params: &Params, kind: Kind) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let q = required(params, "q", &mut errors);
    let limit = params.natural("limit", &mut errors).unwrap_or(20);
    errors.into_result()?;
    let q = q.unwrap_or_default();
    let groups = ctx
        .store()
        .read(|tx| tx.autocomplete_groups(&q, kind.is_org(), i64::try_from(limit).unwrap_or(i64::MAX)))?;
    let items: Vec<crate::dto::GroupAutocompleteItem> = groups
        .into_iter()
        .map(|g| crate::dto::GroupAutocompleteItem { id: g.id, name: g.name, title: g.title })
        .collect();
    to_json(&items)
}

pub const ORGANIZATION_AUTOCOMPLETE: Action = Action {
    name: "organization_autocomplete",
    side_effect_free: true,
    doc: "Return a list of organization names that contain a string.\n\n\
          :param q: the string to search for\n\
          :param limit: the maximum number of organizations to return (optional, default 20)\n\
          :rtype: a list of organization dictionaries each with keys ``'name'``, ``'title'``, and ``'id'``",
    run: organization_autocomplete,
    ..crate::UNTYPED
};

fn organization_autocomplete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    autocomplete_action(ctx, params, Kind::Organization)
}

pub const GROUP_AUTOCOMPLETE: Action = Action {
    name: "group_autocomplete",
    side_effect_free: true,
    doc: "Return a list of group names that contain a string.\n\n\
          :param q: the string to search for\n\
          :param limit: the maximum number of groups to return (optional, default 20)\n\
          :rtype: a list of group dictionaries each with keys ``'name'``, ``'title'``, and ``'id'``",
    run: group_autocomplete,
    ..crate::UNTYPED
};

fn group_autocomplete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    autocomplete_action(ctx, params, Kind::Group)
}

pub const GROUP_PACKAGE_SHOW: Action = Action {
    name: "group_package_show",
    side_effect_free: true,
    doc: "Return the datasets of a group (or organization): its active public datasets, most \
          recently modified first.\n\n\
          :param id: the id or name of the group\n\
          :param limit: the maximum number of datasets to return (optional, default 10, at most 1000)\n\
          :rtype: list of dictionaries",
    run: group_package_show,
    ..crate::UNTYPED
};

fn group_package_show(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let id = required_id(params)?;
    let limit = match params.get("limit") {
        None => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(value) => {
            let parsed = match value {
                Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            match parsed {
                Some(n) if n >= 0 => Some(n),
                _ => return Err(message_error("Limit must be a positive integer")),
            }
        }
    };
    // package_search's `rows`: 10 when not given, 0 is no datasets, never more than 1000.
    let limit = limit.unwrap_or(SHOWN_DATASETS).min(1000);
    ctx.store().read(|tx| {
        let group = find(tx, &id)?.ok_or(ActionError::NotFound(None))?;
        let who = memberships(tx, &ctx.actor)?;
        require_visible(tx, &who, &group)?;
        // package_search without include_private: public datasets only, whoever asks.
        let filter = GroupPackages {
            group_id: group.id.clone(),
            organization: group.is_organization,
            ..GroupPackages::default()
        };
        let records = tx.group_packages(&filter, Some(limit))?;
        Ok(Value::Array(records.iter().map(rendered).collect::<ActionResult<Vec<_>>>()?))
    })
}

// ---------------------------------------------------------------------------------------------
// organization_activity_list / group_activity_list

/// CKAN's activity dict.
fn activity_dict(activity: &Activity) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), activity.id.clone().into());
    out.insert("timestamp".into(), activity.timestamp.to_ckan_string().into());
    out.insert("user_id".into(), activity.user_id.clone().into());
    out.insert("object_id".into(), activity.object_id.clone().into());
    out.insert("activity_type".into(), activity.activity_type.clone().into());
    out.insert("data".into(), activity.data.clone());
    out.insert(
        "permission_labels".into(),
        Value::Array(activity.permission_labels.iter().cloned().map(Value::String).collect()),
    );
    Value::Object(out)
}

fn timestamp_param(params: &Params, key: &str, errors: &mut ValidationErrors) -> Option<Timestamp> {
    let value = params.get(key)?;
    let seconds = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let parsed = seconds.filter(|s| s.is_finite()).and_then(|s| {
        let micros = (s * 1_000_000.0).round() as i64;
        chrono::DateTime::from_timestamp_micros(micros).map(|t| Timestamp::from_naive(t.naive_utc()))
    });
    if parsed.is_none() {
        errors.add(key, "Must be a float timestamp");
    }
    parsed
}

fn string_list(params: &Params, key: &str, errors: &mut ValidationErrors) -> Option<Vec<String>> {
    match params.get(key)? {
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Value::String(s) => out.push(s.clone()),
                    other => {
                        errors.add(key, format!("Not a string: {other}"));
                        return None;
                    }
                }
            }
            Some(out)
        }
        _ => {
            errors.add(key, "Not a list");
            None
        }
    }
}

fn activity_list_action(ctx: &Context<'_>, params: &Params, kind: Kind) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let id = required(params, "id", &mut errors);
    // CKAN reads a limit of 0 as "no limit"; the maximum is the most it sends otherwise (as the
    // other activity streams answer).
    let limit = match params.natural("limit", &mut errors) {
        None => ACTIVITY_LIMIT_DEFAULT,
        Some(0) => ACTIVITY_LIMIT_MAX,
        Some(limit) => limit.min(ACTIVITY_LIMIT_MAX),
    };
    let offset = params.natural("offset", &mut errors).unwrap_or(0);
    let types = string_list(params, "activity_types", &mut errors);
    let exclude_types = string_list(params, "exclude_activity_types", &mut errors);
    let before = timestamp_param(params, "before", &mut errors);
    let after = timestamp_param(params, "after", &mut errors);
    errors.into_result()?;
    if types.is_some() && exclude_types.is_some() {
        return Err(ActionError::field(
            "activity_types",
            "Cannot be used together with `exclude_activity_types",
        ));
    }
    // Sysadmins only; for anyone else the flag is dropped.
    let include_hidden = ctx.actor.is_sysadmin()
        && params.get("include_hidden_activity").and_then(parse_bool).unwrap_or(false);
    let id = id.unwrap_or_default();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    ctx.store().read(|tx| {
        let group = find_kind(tx, &id, kind)?.ok_or(ActionError::NotFound(None))?;
        let who = memberships(tx, &ctx.actor)?;
        require_visible(tx, &who, &group)?;
        // Only activities of the group itself and of datasets that were public: CKAN leaves
        // private datasets out of organization and group streams for everyone.
        let mut filter = ActivityFilter {
            group_id: Some(group.id.clone()),
            public_only: true,
            hide_site_activity: !include_hidden,
            types,
            exclude_types,
            after,
            before,
            limit,
            offset,
            ..ActivityFilter::default()
        };
        let activities = if after.is_some() && before.is_none() {
            // Only `after`: the `limit` activities right after it, still newest first.
            filter.limit = i64::MAX;
            filter.offset = 0;
            let mut all = tx.list_activities(&filter)?;
            all.reverse();
            let mut page: Vec<Activity> = all
                .into_iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .collect();
            page.reverse();
            page
        } else {
            tx.list_activities(&filter)?
        };
        Ok(Value::Array(activities.iter().map(activity_dict).collect()))
    })
}

pub const ORGANIZATION_ACTIVITY_LIST: Action = Action {
    name: "organization_activity_list",
    side_effect_free: true,
    doc: "Return an organization's activity stream: activities of the organization itself and \
          of its public datasets, newest first.\n\n\
          :param id: the id or name of the organization\n\
          :param offset: where to start getting activity items from (optional, default 0)\n\
          :param limit: the maximum number of activities to return (optional, default 31, at most 100)\n\
          :param after: only activities after this Unix timestamp (optional)\n\
          :param before: only activities before this Unix timestamp (optional)\n\
          :param activity_types: only activities of these types (optional)\n\
          :param exclude_activity_types: leave out activities of these types (optional)\n\
          :param include_hidden_activity: also what the site itself did (CLI loads, harvests); \
          sysadmins only (optional, default false)\n\
          :rtype: list of dictionaries",
    run: organization_activity_list,
    ..crate::UNTYPED
};

fn organization_activity_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    activity_list_action(ctx, params, Kind::Organization)
}

pub const GROUP_ACTIVITY_LIST: Action = Action {
    name: "group_activity_list",
    side_effect_free: true,
    doc: "Return a group's activity stream: activities of the group itself and of its public \
          datasets, newest first.\n\n\
          :param id: the id or name of the group\n\
          :param offset: where to start getting activity items from (optional, default 0)\n\
          :param limit: the maximum number of activities to return (optional, default 31, at most 100)\n\
          :param after: only activities after this Unix timestamp (optional)\n\
          :param before: only activities before this Unix timestamp (optional)\n\
          :param activity_types: only activities of these types (optional)\n\
          :param exclude_activity_types: leave out activities of these types (optional)\n\
          :param include_hidden_activity: also what the site itself did (CLI loads, harvests); \
          sysadmins only (optional, default false)\n\
          :rtype: list of dictionaries",
    run: group_activity_list,
    ..crate::UNTYPED
};

fn group_activity_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    activity_list_action(ctx, params, Kind::Group)
}
