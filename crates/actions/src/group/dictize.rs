//! CKAN's `group_dictize`: the organization and group dicts the actions return.

use datahavn_domain::authz::Memberships;
use datahavn_domain::catalog::PackageRecord;
use datahavn_domain::group::{Group, MemberKind};
use datahavn_domain::user::Followed;
use datahavn_search::GroupCounts;
use datahavn_storage::Tx;
use serde_json::{Map, Value};

use super::visible_packages;
use crate::access::memberships;
use crate::{ActionError, ActionResult, Context, to_json};

/// `include_datasets` shows this many datasets (`package_search`'s default `rows`).
pub(super) const SHOWN_DATASETS: i64 = 10;
/// Sub-group dicts nest parents of parents; a hierarchy deeper than this is cut off.
const MAX_DEPTH: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Packages {
    #[default]
    Leave,
    Count,
    /// The count and the first datasets.
    Datasets,
}

/// What a group dict carries besides the core fields.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Dictize<'a> {
    pub(super) packages: Packages,
    /// Dataset counts from the search index; without them (inside a write, whose changes the
    /// index cannot see yet) the database counts.
    pub(super) counts: Option<&'a GroupCounts>,
    pub(super) extras: bool,
    pub(super) users: bool,
    pub(super) groups: bool,
    pub(super) member_count: bool,
    /// Whether the dict has `num_followers`: the real count with `count_followers`, else 0
    /// (CKAN's value when `include_followers` is false).
    pub(super) num_followers: bool,
    pub(super) count_followers: bool,
}

impl Dictize<'_> {
    /// Whether the dicts show dataset counts: their own, or their parent groups'.
    pub(super) fn needs_counts(&self) -> bool {
        self.packages != Packages::Leave || self.groups
    }

    /// `*_show`'s defaults.
    pub(super) fn show() -> Self {
        Self {
            packages: Packages::Count,
            counts: None,
            extras: true,
            users: true,
            groups: true,
            member_count: false,
            num_followers: true,
            count_followers: true,
        }
    }
}

fn sorted(map: Map<String, Value>) -> Map<String, Value> {
    let mut entries: Vec<(String, Value)> = map.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().collect()
}

/// A dataset's `package_show` dict as stored.
pub(super) fn rendered(record: &PackageRecord) -> ActionResult<Value> {
    serde_json::from_str(&record.rendered)
        .map_err(|e| ActionError::Internal(format!("package {}: {e}", record.id)))
}

/// The user dicts of a group's members, with their capacity, without email or API key.
fn user_members(ctx: &Context<'_>, tx: &mut Tx<'_>, group_id: &str) -> ActionResult<Vec<Value>> {
    let mut found = Vec::new();
    let mut capacities = Vec::new();
    for member in tx.members_of_group(group_id, Some(MemberKind::User))? {
        let Some(user) = tx.user_by_id_or_name(&member.table_id)? else { continue };
        found.push(user);
        capacities.push(member.capacity);
    }
    let mut users = Vec::new();
    let dicts = crate::user::listed_user_dicts(ctx, tx, &found)?;
    for ((user, capacity), dict) in found.iter().zip(capacities).zip(dicts) {
        let mut dict = to_json(&dict)?;
        if let Value::Object(map) = &mut dict {
            map.remove("email");
            map.remove("apikey");
            map.insert("capacity".into(), capacity.as_str().into());
        }
        users.push((user.name.clone(), dict));
    }
    users.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(users.into_iter().map(|(_, dict)| dict).collect())
}

/// The core fields and free-form keys of a group dict, sorted by key.
fn scalars(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    who: &Memberships,
    group: &Group,
    options: Dictize<'_>,
    capacity: Option<&str>,
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
        let count =
            if options.count_followers { tx.follower_ids(Followed::Group, &group.id)?.len() } else { 0 };
        scalars.insert("num_followers".into(), count.into());
    }
    if let Some(capacity) = capacity {
        scalars.insert("capacity".into(), capacity.into());
    }
    if options.packages != Packages::Leave {
        let count = match options.counts {
            Some(counts) => counts.of(group.is_organization, &group.id, &group.name),
            None => u64::try_from(tx.count_group_packages(&visible_packages(who, group))?).unwrap_or(0),
        };
        scalars.insert("package_count".into(), count.into());
    }
    if options.member_count {
        scalars.insert(
            "member_count".into(),
            tx.members_of_group(&group.id, Some(MemberKind::User))?.len().into(),
        );
    }
    Ok(sorted(scalars))
}

/// `[{key, value}]`, as stored (sorted by key).
fn extras(group: &Group) -> Value {
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
    Value::Array(extras)
}

/// The dicts of a group's parent groups, by display name, each with its capacity.
fn parents(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    who: &Memberships,
    group: &Group,
    counts: Option<&GroupCounts>,
    depth: usize,
) -> ActionResult<Value> {
    let mut parents = Vec::new();
    if depth < MAX_DEPTH {
        let sub = Dictize {
            packages: Packages::Count,
            counts,
            groups: true,
            member_count: true,
            ..Dictize::default()
        };
        for member in tx.members_of_group(&group.id, Some(MemberKind::Group))? {
            let Some(parent) = tx.group_by_id_or_name(&member.table_id)? else { continue };
            let dict = dictize(ctx, tx, who, &parent, sub, Some(member.capacity.as_str()), depth + 1)?;
            parents.push((parent.display_name().to_owned(), Value::Object(dict)));
        }
    }
    parents.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Value::Array(parents.into_iter().map(|(_, d)| d).collect()))
}

/// CKAN's `group_dictize`: the core fields and free-form keys sorted, then the lists.
pub(super) fn dictize(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    who: &Memberships,
    group: &Group,
    options: Dictize<'_>,
    capacity: Option<&str>,
    depth: usize,
) -> ActionResult<Map<String, Value>> {
    let mut out = scalars(ctx, tx, who, group, options, capacity)?;
    if options.extras {
        out.insert("extras".into(), extras(group));
    }
    if options.packages == Packages::Datasets {
        let records = tx.group_packages(&visible_packages(who, group), Some(SHOWN_DATASETS))?;
        let packages = records.iter().map(rendered).collect::<ActionResult<Vec<_>>>()?;
        out.insert("packages".into(), Value::Array(packages));
    }
    if options.groups {
        out.insert("groups".into(), parents(ctx, tx, who, group, options.counts, depth)?);
    }
    if options.users {
        out.insert("users".into(), Value::Array(user_members(ctx, tx, &group.id)?));
    }
    Ok(out)
}

/// The `*_show` dict of a group, as the caller sees it.
pub(super) fn show_dict(ctx: &Context<'_>, tx: &mut Tx<'_>, group: &Group) -> ActionResult<Value> {
    let who = memberships(tx, ctx)?;
    Ok(Value::Object(dictize(ctx, tx, &who, group, Dictize::show(), None, 0)?))
}

/// CKAN's `group_dictize` with its defaults, as the followee lists show a group: the `*_show`
/// dict with its first datasets and without `num_followers`.
pub(crate) fn followee_dict(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    who: &Memberships,
    group: &Group,
) -> ActionResult<Value> {
    let options = Dictize { packages: Packages::Datasets, num_followers: false, ..Dictize::show() };
    Ok(Value::Object(dictize(ctx, tx, who, group, options, None, 0)?))
}

/// Dicts of a list of groups (`organization_list_for_user`, `group_list_authz`), sorted by
/// display name, each with its capacity when given, and its dataset count when `counts` are.
pub(super) fn list_dicts(
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
