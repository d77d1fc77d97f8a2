//! `organization_show`, `group_show` and `group_package_show`.

use datahavn_domain::ValidationErrors;
use datahavn_domain::authz::Memberships;
use datahavn_domain::params::Params;
use datahavn_storage::GroupPackages;
use serde_json::Value;

use super::dictize::{Dictize, Packages, SHOWN_DATASETS, dictize, rendered};
use super::{Flag, Kind, find, find_kind, message_error, present, reported, require_visible};
use crate::access::{caller_memberships, memberships};
use crate::dto::{GroupDict, PackageDict};
use crate::request::{Request, request, request_doc, response_doc};
use crate::search::package_counts;
use crate::{Action, ActionError, ActionResult, Context};

request! {
    /// The organization or group to show, and what its dict includes.
    pub struct GroupShow {
        /// The id or name of the organization or group.
        pub id: String => present,
        /// Include a truncated list of its datasets: the first 10 the caller may see (of a
        /// group: its public ones, whoever asks), newest first (default false).
        #[schema(value_type = Option<bool>)]
        pub include_datasets: Flag => Flag::read,
        /// Include the full `package_count` (default true).
        #[schema(value_type = Option<bool>)]
        pub include_dataset_count: Flag => Flag::read,
        /// Include its extra fields (default true).
        #[schema(value_type = Option<bool>)]
        pub include_extras: Flag => Flag::read,
        /// Include its users, each with their capacity (default true).
        #[schema(value_type = Option<bool>)]
        pub include_users: Flag => Flag::read,
        /// Include its parent groups (default true).
        #[schema(value_type = Option<bool>)]
        pub include_groups: Flag => Flag::read,
        /// Count the followers in `num_followers` (default true; else it is 0).
        #[schema(value_type = Option<bool>)]
        pub include_followers: Flag => Flag::read,
        /// Include the number of users, `member_count` (default false).
        #[schema(value_type = Option<bool>)]
        pub include_member_count: Flag => Flag::read,
    }
}

impl GroupShow {
    /// The request `*_patch` shows the group with: its id, everything else by default.
    pub(super) fn of(id: String) -> Self {
        Self {
            id,
            include_datasets: Flag::Absent,
            include_dataset_count: Flag::Absent,
            include_extras: Flag::Absent,
            include_users: Flag::Absent,
            include_groups: Flag::Absent,
            include_followers: Flag::Absent,
            include_member_count: Flag::Absent,
        }
    }

    /// What the dict includes; each flag is checked in the order CKAN reads them.
    fn options(&self) -> ActionResult<Dictize<'static>> {
        let packages = if self.include_datasets.or(false)? {
            Packages::Datasets
        } else if self.include_dataset_count.or(true)? {
            Packages::Count
        } else {
            Packages::Leave
        };
        Ok(Dictize {
            packages,
            counts: None,
            users: self.include_users.or(true)?,
            groups: self.include_groups.or(true)?,
            extras: self.include_extras.or(true)?,
            // `num_followers` is always there: the count, or 0 when not asked for.
            num_followers: true,
            count_followers: self.include_followers.or(true)?,
            member_count: self.include_member_count.or(false)?,
        })
    }
}

pub const ORGANIZATION_SHOW: Action = Action {
    name: "organization_show",
    side_effect_free: true,
    tag: "organizations",
    doc: "Return the details of an organization.\n\n\
          The organization dict with its users, extras and dataset count (its datasets with \
          ``include_datasets``). A group's id is not found, nor is a deleted organization by \
          those who may not read it.\n\n\
          :returns: the organization's dictionary\n:rtype: dictionary\n\n\
          .. note:: Only its first 10 datasets are returned",
    request: request_doc::<GroupShow>,
    response: response_doc::<GroupDict>,
    errors: &[
        (404, "No such organization (a group's id included), or deleted and not yours"),
        (409, "`id` missing or not text, or `{\"message\": \"Parameter is not an bool\"}`"),
    ],
    run: |ctx, params| show(ctx, Kind::Organization, GroupShow::parse(params)?),
};

pub const GROUP_SHOW: Action = Action {
    name: "group_show",
    side_effect_free: true,
    tag: "groups",
    doc: "Return the details of a group.\n\n\
          The group dict with its users, extras and dataset count (its datasets with \
          ``include_datasets``): its public datasets only, whoever asks. An organization's id \
          is not found, nor is a deleted group by those who may not read it.\n\n\
          :returns: the group's dictionary\n:rtype: dictionary\n\n\
          .. note:: Only its first 10 datasets are returned",
    request: request_doc::<GroupShow>,
    response: response_doc::<GroupDict>,
    errors: &[
        (404, "No such group (an organization's id included), or deleted and not yours"),
        (409, "`id` missing or not text, or `{\"message\": \"Parameter is not an bool\"}`"),
    ],
    run: |ctx, params| show(ctx, Kind::Group, GroupShow::parse(params)?),
};

pub(super) fn show(ctx: &Context<'_>, kind: Kind, request: GroupShow) -> ActionResult {
    // An anonymous caller's dict is kept a moment: every anonymous caller asking the same gets
    // the same dict, and any write makes it stale (see `ReadCache::group_dict`).
    let cache = ctx.services.cache.as_deref().filter(|_| !ctx.actor.is_authenticated());
    let Some(cache) = cache else { return show_to(ctx, kind, request) };
    let asked = format!("{kind:?} {request:?}");
    if let Some(dict) = cache.group_dict(&asked) {
        return Ok(Value::clone(&dict));
    }
    let generation = cache.generation();
    let dict = show_to(ctx, kind, request)?;
    cache.keep_group_dict(generation, asked, std::sync::Arc::new(dict.clone()));
    Ok(dict)
}

/// The dict of the organization or group asked for, as the caller may see it.
fn show_to(ctx: &Context<'_>, kind: Kind, request: GroupShow) -> ActionResult {
    // CKAN's `group_show` auth reads `include_users` as false when absent: only asking for the
    // users needs the details to be public, or a member's read permission.
    let asks_for_users = matches!(request.include_users, Flag::Given(true));
    let options = request.options()?;
    let who = caller_memberships(ctx)?;
    // A group's datasets are counted as an anonymous caller sees them: public ones only (see
    // `visible_packages`); its parents are groups too.
    let counted_as = if kind == Kind::Group { Memberships::default() } else { who.clone() };
    let counts = if options.needs_counts() { Some(package_counts(ctx, &counted_as)?) } else { None };
    let options = Dictize { counts: counts.as_ref(), ..options };
    ctx.store().read(|tx| {
        let group = find_kind(tx, &request.id, kind)?.ok_or(ActionError::NotFound(None))?;
        require_visible(tx, &who, &group)?;
        if asks_for_users
            && !ctx.site().auth.public_user_details
            && !who.sysadmin
            && who.capacity_in(&group.id).is_none()
        {
            return Err(ActionError::denied(format!(
                "User {} not authorized to read group {}",
                ctx.actor.name(),
                group.id
            )));
        }
        Ok(Value::Object(dictize(ctx, tx, &who, &group, options, None, 0)?))
    })
}

// ---------------------------------------------------------------------------------------------
// group_package_show

request! {
    /// The group (or organization) whose datasets to list.
    pub struct GroupPackageShow {
        /// The id or name of the group or organization.
        pub id: String => present,
        /// The maximum number of datasets to return (default 10, at most 1000).
        pub limit: Option<u64> => dataset_limit,
    }
}

/// `limit` as `group_package_show` reads it, after `id`: a number or digits, a fraction cut to
/// its whole part; anything else `{"message": "Limit must be a positive integer"}`.
fn dataset_limit(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<u64>> {
    reported(errors)?;
    let parsed = match params.get(key) {
        None => return Ok(None),
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    match parsed.and_then(|n| u64::try_from(n).ok()) {
        Some(limit) => Ok(Some(limit)),
        None => Err(message_error("Limit must be a positive integer")),
    }
}

pub const GROUP_PACKAGE_SHOW: Action = Action {
    name: "group_package_show",
    side_effect_free: true,
    tag: "groups",
    doc: "Return the datasets of a group (or organization).\n\n\
          Its active public datasets, most recently modified first, whoever asks.\n\n\
          :rtype: list of dictionaries",
    request: request_doc::<GroupPackageShow>,
    response: response_doc::<Vec<PackageDict>>,
    errors: &[
        (404, "No such group (or deleted and not yours)"),
        (409, "`id` missing or not text, or `{\"message\": \"Limit must be a positive integer\"}`"),
    ],
    run: |ctx, params| group_package_show(ctx, GroupPackageShow::parse(params)?),
};

fn group_package_show(ctx: &Context<'_>, request: GroupPackageShow) -> ActionResult {
    // package_search's `rows`: 10 when not given, 0 is no datasets, never more than 1000.
    let limit = request.limit.map_or(SHOWN_DATASETS, |n| i64::try_from(n).unwrap_or(i64::MAX)).min(1000);
    ctx.store().read(|tx| {
        let group = find(tx, &request.id)?.ok_or(ActionError::NotFound(None))?;
        let who = memberships(tx, ctx)?;
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
