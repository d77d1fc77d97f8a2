//! `organization_list` and `group_list`.

use datahavn_domain::ValidationErrors;
use datahavn_domain::group::Group;
use datahavn_domain::params::Params;
use datahavn_storage::GroupFilter;
use serde_json::Value;

use super::dictize::{Dictize, Packages, dictize};
use super::{Flag, Kind, message_error, scalar, text_of};
use crate::access::caller_memberships;
use crate::dto::GroupListEntry;
use crate::request::{Request, request, request_doc, response_doc};
use crate::search::package_counts;
use crate::{Action, ActionResult, Context};

/// `*_list` answers at most this many names (CKAN's `ckan.group_and_organization_list_max`)…
const LIST_MAX: u64 = 1000;
/// …and this many dicts with `all_fields` (`ckan.group_and_organization_list_all_fields_max`).
const LIST_ALL_FIELDS_MAX: u64 = 25;

/// Declares a list request: the two differ only in the key of the names to keep. With
/// `=> GroupList`, the request converts into a `group_list` one.
macro_rules! list_request {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $(#[$names_meta:meta])* pub $names:ident }
        $(=> $into:ident)?
    ) => {
        request! {
            $(#[$meta])*
            pub struct $name {
                $(#[$names_meta])*
                pub $names: Option<Vec<String>> => name_list,
                /// `name`, `title` or `package_count`, optionally followed by `asc` or `desc`
                /// (default `title asc`; `packages` or `package_count` alone mean
                /// `package_count desc`).
                #[schema(value_type = Option<serde_json::Value>)]
                pub sort: Option<String> => scalar,
                /// The older name of `sort`, read when `sort` is not given. A value other than
                /// text (in either) counts as not given.
                #[schema(value_type = Option<serde_json::Value>)]
                pub order_by: Option<String> => scalar,
                /// The maximum number of entries (default and most 1000 names, or 25 dicts with
                /// `all_fields`; 0 is no limit).
                #[schema(value_type = Option<serde_json::Value>)]
                pub limit: Option<u64> => paging,
                /// Skip this many entries (default 0). As CKAN reads them, `limit` and `offset`
                /// are natural numbers, and `false` or `""` count as not given.
                #[schema(value_type = Option<serde_json::Value>)]
                pub offset: Option<u64> => paging,
                /// Only those whose name, title or description contains this text.
                pub q: Option<String>,
                /// The type to list (default `organization` or `group`).
                pub r#type: Option<String>,
                /// Return dicts instead of names (default false).
                pub all_fields: Option<bool>,
                /// A boolean read only with `all_fields`: include `package_count` (default true).
                #[schema(value_type = Option<serde_json::Value>)]
                pub include_dataset_count: Flag => Flag::read,
                /// A boolean read only with `all_fields`: include the first 10 datasets the caller may see (default
                /// false).
                #[schema(value_type = Option<serde_json::Value>)]
                pub include_datasets: Flag => Flag::read,
                /// A boolean read only with `all_fields`: include the extra fields (default false).
                #[schema(value_type = Option<serde_json::Value>)]
                pub include_extras: Flag => Flag::read,
                /// A boolean read only with `all_fields`: include the users (default false).
                #[schema(value_type = Option<serde_json::Value>)]
                pub include_users: Flag => Flag::read,
                /// A boolean read only with `all_fields`: include the parent groups (default false).
                #[schema(value_type = Option<serde_json::Value>)]
                pub include_groups: Flag => Flag::read,
                /// A boolean read only with `all_fields`: include `member_count`, the number of users (default false).
                #[schema(value_type = Option<serde_json::Value>)]
                pub include_member_count: Flag => Flag::read,
            }
        }

        $(
            impl From<$name> for $into {
                fn from(request: $name) -> Self {
                    Self {
                        groups: request.$names,
                        sort: request.sort,
                        order_by: request.order_by,
                        limit: request.limit,
                        offset: request.offset,
                        q: request.q,
                        r#type: request.r#type,
                        all_fields: request.all_fields,
                        include_dataset_count: request.include_dataset_count,
                        include_datasets: request.include_datasets,
                        include_extras: request.include_extras,
                        include_users: request.include_users,
                        include_groups: request.include_groups,
                        include_member_count: request.include_member_count,
                    }
                }
            }
        )?
    };
}

list_request! {
    /// Which groups to list, in which order, and as names or dicts.
    pub struct GroupList {
        /// Only these groups: a list of names, or names separated by commas.
        pub groups
    }
}

list_request! {
    /// Which organizations to list, in which order, and as names or dicts.
    pub struct OrganizationList {
        /// Only these organizations: a list of names, or names separated by commas.
        pub organizations
    }
    => GroupList
}

/// A list of names, as CKAN's `aslist` reads it: a list (entries that are not text are left
/// out), or names separated by commas. Empty is none.
fn name_list(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<Vec<String>>> {
    let names: Option<Vec<String>> = match params.get(key) {
        None => return Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(_) | Value::Number(_) => text_of(item),
                _ => None,
            })
            .collect(),
        Some(Value::String(text)) => Some(text.split(',').map(|s| s.trim().to_owned()).collect()),
        Some(_) => None,
    };
    let Some(names) = names else {
        errors.add(key, "Not a list of strings");
        return Ok(None);
    };
    let names: Vec<String> = names.into_iter().filter(|s| !s.is_empty()).collect();
    Ok((!names.is_empty()).then_some(names))
}

/// A paging parameter as `*_list` reads it: checked only when given and not zero or empty.
/// A zero stays zero (for `limit`: no limit at all, as in CKAN).
fn paging(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<u64>> {
    Ok(match params.get(key) {
        None | Some(Value::Bool(false)) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => Some(0),
        Some(_) => params.natural(key, errors),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortField {
    Name,
    Title,
    PackageCount,
}

/// CKAN's `_unpick_search` for group lists: one `field [asc|desc]` criterion.
fn criterion(sort: Option<String>, order_by: Option<String>) -> ActionResult<(SortField, bool)> {
    let given = |text: Option<String>| text.filter(|s| !s.trim().is_empty());
    let mut sort = given(sort).or_else(|| given(order_by)).unwrap_or_else(|| "title".to_owned());
    if matches!(sort.trim(), "packages" | "package_count") {
        sort = "package_count desc".to_owned();
    }
    let mut criteria = Vec::new();
    for part in sort.split(',') {
        let mut words = part.split_whitespace();
        let field = match words.next().unwrap_or_default() {
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

impl GroupList {
    /// With `all_fields`, what the dicts include (each flag checked in the order CKAN reads it).
    fn options(&self) -> ActionResult<Option<Dictize<'static>>> {
        if !self.all_fields.unwrap_or(false) {
            return Ok(None);
        }
        let packages = if self.include_datasets.or(false)? {
            Packages::Datasets
        } else if self.include_dataset_count.or(true)? {
            Packages::Count
        } else {
            Packages::Leave
        };
        Ok(Some(Dictize {
            packages,
            counts: None,
            extras: self.include_extras.or(false)?,
            users: self.include_users.or(false)?,
            groups: self.include_groups.or(false)?,
            member_count: self.include_member_count.or(false)?,
            num_followers: true,
            count_followers: false,
        }))
    }

    /// How many to skip and how many to take. CKAN: a limit of 0 is no limit at all; anything
    /// above the maximum is the maximum.
    fn page(&self) -> (usize, usize) {
        let max = if self.all_fields.unwrap_or(false) { LIST_ALL_FIELDS_MAX } else { LIST_MAX };
        let limit = match self.limit {
            Some(0) => usize::MAX,
            Some(n) => usize::try_from(n.min(max)).unwrap_or(usize::MAX),
            None => usize::try_from(max).unwrap_or(usize::MAX),
        };
        (usize::try_from(self.offset.unwrap_or(0)).unwrap_or(usize::MAX), limit)
    }
}

const LIST_ERRORS: &[(u16, &str)] = &[(
    409,
    "Bad `limit`/`offset`/`all_fields`, `{\"message\": \"Cannot sort by field ...\"}`, or with \
     `all_fields` `{\"message\": \"Parameter is not an bool\"}`",
)];

pub const ORGANIZATION_LIST: Action = Action {
    name: "organization_list",
    side_effect_free: true,
    tag: "organizations",
    doc: "Return a list of the names of the site's organizations.\n\n\
          Names of active organizations sorted by title (1000 at most), or organization dicts \
          with ``all_fields`` (25 at most).\n\n\
          :returns: a list of organization names, or with ``all_fields`` of organization \
          dictionaries\n:rtype: list of strings",
    request: request_doc::<OrganizationList>,
    response: response_doc::<Vec<GroupListEntry>>,
    errors: LIST_ERRORS,
    run: |ctx, params| list(ctx, Kind::Organization, OrganizationList::parse(params)?.into()),
};

pub const GROUP_LIST: Action = Action {
    name: "group_list",
    side_effect_free: true,
    tag: "groups",
    doc: "Return a list of the names of the site's groups.\n\n\
          Names of active groups sorted by title (1000 at most), or group dicts with \
          ``all_fields`` (25 at most).\n\n\
          :returns: a list of group names, or with ``all_fields`` of group dictionaries\n\
          :rtype: list of strings",
    request: request_doc::<GroupList>,
    response: response_doc::<Vec<GroupListEntry>>,
    errors: LIST_ERRORS,
    run: |ctx, params| list(ctx, Kind::Group, GroupList::parse(params)?),
};

/// The groups of the kind and type asked for, sorted by the criterion (then by name).
fn sorted_groups(
    groups: Vec<Group>,
    counts: Option<&datahavn_search::GroupCounts>,
    (sort_field, descending): (SortField, bool),
) -> Vec<Group> {
    let mut keyed: Vec<(u64, Group)> = groups
        .into_iter()
        .map(|group| (counts.map_or(0, |c| c.of(group.is_organization, &group.id, &group.name)), group))
        .collect();
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
    keyed.into_iter().map(|(_, group)| group).collect()
}

fn list(ctx: &Context<'_>, kind: Kind, mut request: GroupList) -> ActionResult {
    let criterion = criterion(request.sort.take(), request.order_by.take())?;
    let options = request.options()?;
    let (offset, limit) = request.page();
    let q = request.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    let group_type = request.r#type.unwrap_or_else(|| kind.word().to_owned());

    let who = caller_memberships(ctx)?;
    let counts = if criterion.0 == SortField::PackageCount || options.is_some_and(|o| o.needs_counts()) {
        Some(package_counts(ctx, &who)?)
    } else {
        None
    };
    let options = options.map(|o| Dictize { counts: counts.as_ref(), ..o });
    ctx.store().read(|tx| {
        let filter =
            GroupFilter { organizations: kind.is_org(), q, names: request.groups, include_deleted: false };
        let groups: Vec<Group> =
            tx.list_groups(&filter)?.into_iter().filter(|g| g.group_type == group_type).collect();
        let page = sorted_groups(groups, counts.as_ref(), criterion).into_iter().skip(offset).take(limit);
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
