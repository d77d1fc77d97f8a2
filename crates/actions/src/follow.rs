//! Following users, datasets, organizations and groups, as CKAN 2.12's core actions do it:
//! `follow_*`, `unfollow_*`, `am_following_*`, the follower counts and lists of an object and
//! the followee counts and lists of a user.
//!
//! CKAN checks permission first and the `id` after (only `followee_list` validates first), so
//! every request here reads `id` as sent and looks it up inside the action. A private, draft
//! or deleted dataset the caller may not read is treated as no dataset at all: it is never
//! followed, counted or listed for them.

use datahavn_domain::authz::{self, Memberships};
use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_domain::user::{Followed, Following, User};
use datahavn_domain::{Timestamp, ValidationErrors};
use datahavn_storage::Tx;
use serde_json::Value;

use crate::access::memberships;
use crate::args::{authenticated, plain_error};
use crate::dto::{FolloweeDict, FollowingDict, GroupDict, PackageDict, UserDict};
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// What a follower action names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    User,
    Dataset,
    Group,
    Organization,
}

impl Object {
    fn table(self) -> Followed {
        match self {
            Self::User => Followed::User,
            Self::Dataset => Followed::Dataset,
            Self::Group | Self::Organization => Followed::Group,
        }
    }

    /// CKAN's converter's complaint when nothing has that id or name.
    fn not_found(self) -> &'static str {
        match self {
            Self::User => "Not found: User",
            Self::Dataset => "Not found: Dataset",
            Self::Group | Self::Organization => "Not found: Group",
        }
    }

    /// The word `follow_*` uses in its validation message.
    fn noun(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Dataset => "dataset",
            Self::Group | Self::Organization => "group",
        }
    }

    /// The `type` of a `followee_list` entry.
    fn type_name(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Dataset => "dataset",
            Self::Group => "group",
            Self::Organization => "organization",
        }
    }
}

/// `id` as sent: text, or any other value as its JSON text (CKAN's `unicode_safe`); checked
/// later, after the permission check.
fn loose_id(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<Option<String>> {
    Ok(match params.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(other) => Some(other.to_string()),
    })
}

request! {
    /// A user.
    pub struct FollowUserRequest {
        /// The id or name of the user.
        #[schema(value_type = String)]
        pub id: Option<String> => loose_id,
    }
}

request! {
    /// A dataset.
    pub struct FollowDatasetRequest {
        /// The id or name of the dataset.
        #[schema(value_type = String)]
        pub id: Option<String> => loose_id,
    }
}

request! {
    /// An organization or group.
    pub struct FollowGroupRequest {
        /// The id or name of the organization or group.
        #[schema(value_type = String)]
        pub id: Option<String> => loose_id,
    }
}

/// The id of what `id` names, or the validator's complaint: `Missing value` when it is absent
/// or empty, `Not found: <Kind>` when nothing (the caller may read) has that id or name.
/// Deleted users and groups are found, as CKAN finds them; a dataset only when the caller may
/// read it (as `package_show` decides: a private, draft or deleted one is not found by those
/// who may not read it).
fn lookup(
    tx: &mut Tx<'_>,
    who: &Memberships,
    object: Object,
    id: Option<&str>,
) -> ActionResult<Result<String, &'static str>> {
    let Some(id) = id.filter(|id| !id.is_empty()) else { return Ok(Err(MISSING_VALUE)) };
    let found = match object {
        Object::User => tx.user_by_id_or_name(id)?.map(|user| user.id),
        Object::Dataset => tx
            .package_by_id_or_name(id)?
            .filter(|package| authz::can_read_package(who, &package.access()))
            .map(|package| package.id),
        Object::Group | Object::Organization => tx.group_by_id_or_name(id)?.map(|group| group.id),
    };
    Ok(found.ok_or(object.not_found()))
}

/// [`lookup`] with its complaint as CKAN's field error on `id` (409).
fn resolve(tx: &mut Tx<'_>, who: &Memberships, object: Object, id: Option<&str>) -> ActionResult<String> {
    lookup(tx, who, object, id)?.map_err(|message| ActionError::field("id", message))
}

/// The caller, who must be signed in (CKAN's follow auth functions).
fn caller<'a>(ctx: &'a Context<'_>, action: &str) -> ActionResult<&'a str> {
    authenticated(ctx, action)?;
    ctx.actor.user_id().ok_or_else(|| ActionError::not_found("User not found"))
}

const FOLLOW_ERRORS: &[(u16, &str)] = &[
    (403, "`Access denied: Action follow_* requires an authenticated user`"),
    (
        409,
        "`{\"message\": \"Error validating the schema of the <user|dataset|group> to follow.\"}` (`id` missing or \
         unknown), `{\"message\": \"You cannot follow yourself\"}`",
    ),
];

pub const FOLLOW_USER: Action = Action {
    name: "follow_user",
    side_effect_free: false,
    tag: "users",
    doc: "Start following another user.\n\nFollowing again returns the existing relationship.\n\n\
          :returns: the relationship between yourself and the other user\n:rtype: dictionary",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<FollowingDict>,
    errors: FOLLOW_ERRORS,
    run: |ctx, params| follow(ctx, "follow_user", Object::User, FollowUserRequest::parse(params)?.id),
};

pub const FOLLOW_DATASET: Action = Action {
    name: "follow_dataset",
    side_effect_free: false,
    tag: "datasets",
    doc: "Start following a dataset.\n\nFollowing again returns the existing relationship. A private, \
          draft or deleted dataset you may not read cannot be followed.\n\n\
          :returns: the relationship between yourself and the dataset\n:rtype: dictionary",
    request: request_doc::<FollowDatasetRequest>,
    response: response_doc::<FollowingDict>,
    errors: FOLLOW_ERRORS,
    run: |ctx, params| {
        follow(ctx, "follow_dataset", Object::Dataset, FollowDatasetRequest::parse(params)?.id)
    },
};

pub const FOLLOW_GROUP: Action = Action {
    name: "follow_group",
    side_effect_free: false,
    tag: "groups",
    doc: "Start following a group or an organization.\n\nFollowing again returns the existing \
          relationship.\n\n:returns: the relationship between yourself and the group\n:rtype: dictionary",
    request: request_doc::<FollowGroupRequest>,
    response: response_doc::<FollowingDict>,
    errors: FOLLOW_ERRORS,
    run: |ctx, params| follow(ctx, "follow_group", Object::Group, FollowGroupRequest::parse(params)?.id),
};

fn follow(ctx: &Context<'_>, action: &str, object: Object, id: Option<String>) -> ActionResult {
    let me = caller(ctx, action)?;
    let row = ctx.store().write(|tx| {
        let who = memberships(tx, ctx)?;
        let object_id = lookup(tx, &who, object, id.as_deref())?.map_err(|_| {
            plain_error("message", format!("Error validating the schema of the {} to follow.", object.noun()))
        })?;
        if object == Object::User && object_id == me {
            return Err(plain_error("message", "You cannot follow yourself"));
        }
        if let Some(existing) = tx.following_row(object.table(), me, &object_id)? {
            return Ok(existing);
        }
        let row = Following { follower_id: me.to_owned(), object_id, datetime: Timestamp::now() };
        tx.insert_following(object.table(), &row)?;
        log::info!("user {me} follows {} {}", object.noun(), row.object_id);
        Ok(row)
    })?;
    to_json(&FollowingDict::from(row))
}

const UNFOLLOW_ERRORS: &[(u16, &str)] = &[
    (403, "`Access denied: Action unfollow_* requires an authenticated user`"),
    (
        409,
        "`{\"message\": \"Error validating the schema of the object to unfollow.\"}` (`id` missing or unknown)",
    ),
];

pub const UNFOLLOW_USER: Action = Action {
    name: "unfollow_user",
    side_effect_free: false,
    tag: "users",
    doc: "Stop following a user.\n\nNot following them is no error.\n\n:rtype: null",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<Option<String>>,
    errors: UNFOLLOW_ERRORS,
    run: |ctx, params| unfollow(ctx, "unfollow_user", Object::User, FollowUserRequest::parse(params)?.id),
};

pub const UNFOLLOW_DATASET: Action = Action {
    name: "unfollow_dataset",
    side_effect_free: false,
    tag: "datasets",
    doc: "Stop following a dataset.\n\nNot following it is no error.\n\n:rtype: null",
    request: request_doc::<FollowDatasetRequest>,
    response: response_doc::<Option<String>>,
    errors: UNFOLLOW_ERRORS,
    run: |ctx, params| {
        unfollow(ctx, "unfollow_dataset", Object::Dataset, FollowDatasetRequest::parse(params)?.id)
    },
};

pub const UNFOLLOW_GROUP: Action = Action {
    name: "unfollow_group",
    side_effect_free: false,
    tag: "groups",
    doc: "Stop following a group or an organization.\n\nNot following it is no error.\n\n:rtype: null",
    request: request_doc::<FollowGroupRequest>,
    response: response_doc::<Option<String>>,
    errors: UNFOLLOW_ERRORS,
    run: |ctx, params| unfollow(ctx, "unfollow_group", Object::Group, FollowGroupRequest::parse(params)?.id),
};

fn unfollow(ctx: &Context<'_>, action: &str, object: Object, id: Option<String>) -> ActionResult {
    let me = caller(ctx, action)?;
    ctx.store().write(|tx| {
        let who = memberships(tx, ctx)?;
        let object_id = lookup(tx, &who, object, id.as_deref())?
            .map_err(|_| plain_error("message", "Error validating the schema of the object to unfollow."))?;
        if tx.delete_following(object.table(), me, &object_id)? {
            log::info!("user {me} no longer follows {} {object_id}", object.noun());
        }
        Ok::<_, ActionError>(())
    })?;
    Ok(Value::Null)
}

const AM_FOLLOWING_ERRORS: &[(u16, &str)] = &[
    (403, "`Access denied`: anonymous (after `id` is checked)"),
    (409, "`{\"id\": [\"Missing value\"]}` or `{\"id\": [\"Not found: <User|Dataset|Group>\"]}`"),
];

pub const AM_FOLLOWING_USER: Action = Action {
    name: "am_following_user",
    side_effect_free: true,
    tag: "users",
    doc: "Return ``True`` if you're following the given user, ``False`` if not.\n\n:rtype: bool",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<bool>,
    errors: AM_FOLLOWING_ERRORS,
    run: |ctx, params| am_following(ctx, Object::User, FollowUserRequest::parse(params)?.id),
};

pub const AM_FOLLOWING_DATASET: Action = Action {
    name: "am_following_dataset",
    side_effect_free: true,
    tag: "datasets",
    doc: "Return ``True`` if you're following the given dataset, ``False`` if not.\n\n:rtype: bool",
    request: request_doc::<FollowDatasetRequest>,
    response: response_doc::<bool>,
    errors: AM_FOLLOWING_ERRORS,
    run: |ctx, params| am_following(ctx, Object::Dataset, FollowDatasetRequest::parse(params)?.id),
};

pub const AM_FOLLOWING_GROUP: Action = Action {
    name: "am_following_group",
    side_effect_free: true,
    tag: "groups",
    doc: "Return ``True`` if you're following the given group or organization, ``False`` if not.\n\n\
          :rtype: bool",
    request: request_doc::<FollowGroupRequest>,
    response: response_doc::<bool>,
    errors: AM_FOLLOWING_ERRORS,
    run: |ctx, params| am_following(ctx, Object::Group, FollowGroupRequest::parse(params)?.id),
};

fn am_following(ctx: &Context<'_>, object: Object, id: Option<String>) -> ActionResult {
    ctx.store().read(|tx| {
        let who = memberships(tx, ctx)?;
        let object_id = resolve(tx, &who, object, id.as_deref())?;
        let Some(me) = ctx.actor.user_id() else { return Err(ActionError::NotAuthorized(None)) };
        Ok(Value::Bool(tx.is_following(object.table(), me, &object_id)?))
    })
}

const COUNT_ERRORS: &[(u16, &str)] =
    &[(409, "`{\"id\": [\"Missing value\"]}` or `{\"id\": [\"Not found: <User|Dataset|Group>\"]}`")];

pub const USER_FOLLOWER_COUNT: Action = Action {
    name: "user_follower_count",
    side_effect_free: true,
    tag: "users",
    doc: "Return the number of followers of a user.\n\n:rtype: int",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<u64>,
    errors: COUNT_ERRORS,
    run: |ctx, params| follower_count(ctx, Object::User, FollowUserRequest::parse(params)?.id),
};

pub const DATASET_FOLLOWER_COUNT: Action = Action {
    name: "dataset_follower_count",
    side_effect_free: true,
    tag: "datasets",
    doc: "Return the number of followers of a dataset.\n\n:rtype: int",
    request: request_doc::<FollowDatasetRequest>,
    response: response_doc::<u64>,
    errors: COUNT_ERRORS,
    run: |ctx, params| follower_count(ctx, Object::Dataset, FollowDatasetRequest::parse(params)?.id),
};

pub const GROUP_FOLLOWER_COUNT: Action = Action {
    name: "group_follower_count",
    side_effect_free: true,
    tag: "groups",
    doc: "Return the number of followers of a group.\n\n:rtype: int",
    request: request_doc::<FollowGroupRequest>,
    response: response_doc::<u64>,
    errors: COUNT_ERRORS,
    run: |ctx, params| follower_count(ctx, Object::Group, FollowGroupRequest::parse(params)?.id),
};

pub const ORGANIZATION_FOLLOWER_COUNT: Action = Action {
    name: "organization_follower_count",
    side_effect_free: true,
    tag: "organizations",
    doc: "Return the number of followers of an organization.\n\n:rtype: int",
    request: request_doc::<FollowGroupRequest>,
    response: response_doc::<u64>,
    errors: COUNT_ERRORS,
    run: |ctx, params| follower_count(ctx, Object::Organization, FollowGroupRequest::parse(params)?.id),
};

fn follower_count(ctx: &Context<'_>, object: Object, id: Option<String>) -> ActionResult {
    ctx.store().read(|tx| {
        let who = memberships(tx, ctx)?;
        let object_id = resolve(tx, &who, object, id.as_deref())?;
        Ok(tx.follower_ids(object.table(), &object_id)?.len().into())
    })
}

const LIST_ERRORS: &[(u16, &str)] = &[
    (403, "`Access denied: Not authorized`: not a sysadmin"),
    (409, "`{\"id\": [\"Missing value\"]}` or `{\"id\": [\"Not found: <User|Dataset|Group>\"]}`"),
];

pub const USER_FOLLOWER_LIST: Action = Action {
    name: "user_follower_list",
    side_effect_free: true,
    tag: "users",
    doc: "Return the list of users that are following the given user.\n\nSysadmins only.\n\n\
          :rtype: list of dictionaries",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<Vec<UserDict>>,
    errors: LIST_ERRORS,
    run: |ctx, params| follower_list(ctx, Object::User, FollowUserRequest::parse(params)?.id),
};

pub const DATASET_FOLLOWER_LIST: Action = Action {
    name: "dataset_follower_list",
    side_effect_free: true,
    tag: "datasets",
    doc: "Return the list of users that are following the given dataset.\n\nSysadmins only.\n\n\
          :rtype: list of dictionaries",
    request: request_doc::<FollowDatasetRequest>,
    response: response_doc::<Vec<UserDict>>,
    errors: LIST_ERRORS,
    run: |ctx, params| follower_list(ctx, Object::Dataset, FollowDatasetRequest::parse(params)?.id),
};

pub const GROUP_FOLLOWER_LIST: Action = Action {
    name: "group_follower_list",
    side_effect_free: true,
    tag: "groups",
    doc: "Return the list of users that are following the given group.\n\nSysadmins only.\n\n\
          :rtype: list of dictionaries",
    request: request_doc::<FollowGroupRequest>,
    response: response_doc::<Vec<UserDict>>,
    errors: LIST_ERRORS,
    run: |ctx, params| follower_list(ctx, Object::Group, FollowGroupRequest::parse(params)?.id),
};

pub const ORGANIZATION_FOLLOWER_LIST: Action = Action {
    name: "organization_follower_list",
    side_effect_free: true,
    tag: "organizations",
    doc: "Return the list of users that are following the given organization.\n\nSysadmins only.\n\n\
          :rtype: list of dictionaries",
    request: request_doc::<FollowGroupRequest>,
    response: response_doc::<Vec<UserDict>>,
    errors: LIST_ERRORS,
    run: |ctx, params| follower_list(ctx, Object::Organization, FollowGroupRequest::parse(params)?.id),
};

/// CKAN's `authz.is_authorized('sysadmin', ...)`: everyone else is refused.
fn require_sysadmin(ctx: &Context<'_>) -> ActionResult<()> {
    if ctx.actor.is_sysadmin() { Ok(()) } else { Err(ActionError::denied("Not authorized")) }
}

fn follower_list(ctx: &Context<'_>, object: Object, id: Option<String>) -> ActionResult {
    require_sysadmin(ctx)?;
    ctx.store().read(|tx| {
        let who = memberships(tx, ctx)?;
        let object_id = resolve(tx, &who, object, id.as_deref())?;
        let ids = tx.follower_ids(object.table(), &object_id)?;
        user_list(ctx, tx, &ids)
    })
}

/// CKAN's `user_list_dictize`: the users' dicts without email or API key, by name.
fn user_list(ctx: &Context<'_>, tx: &mut Tx<'_>, ids: &[String]) -> ActionResult<Value> {
    let mut users: Vec<User> = Vec::with_capacity(ids.len());
    for id in ids {
        users.extend(tx.user_by_id_or_name(id)?);
    }
    users.sort_by(|a, b| a.name.cmp(&b.name));
    let mut dicts = Vec::with_capacity(users.len());
    for dict in crate::user::listed_user_dicts(ctx, tx, &users)? {
        let mut dict = to_json(&dict)?;
        if let Value::Object(map) = &mut dict {
            map.remove("email");
            map.remove("apikey");
        }
        dicts.push(dict);
    }
    Ok(Value::Array(dicts))
}

/// The dicts of what a user follows of one kind, in the order they were followed; datasets
/// the caller may not read are left out.
fn followee_dicts(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    who: &Memberships,
    object: Object,
    user_id: &str,
) -> ActionResult<Vec<Value>> {
    let ids = tx.followee_ids(object.table(), user_id)?;
    match object {
        Object::User => match user_list(ctx, tx, &ids)? {
            Value::Array(dicts) => Ok(dicts),
            _ => Ok(Vec::new()),
        },
        Object::Dataset => {
            let mut out = Vec::new();
            for package in ordered(tx.packages_by_ids(&ids)?, &ids, |p| &p.id) {
                if authz::can_read_package(who, &package.access()) {
                    out.push(
                        serde_json::from_str(&package.rendered)
                            .map_err(|e| ActionError::Internal(format!("package {}: {e}", package.id)))?,
                    );
                }
            }
            Ok(out)
        }
        Object::Group | Object::Organization => {
            let wanted = object == Object::Organization;
            let mut out = Vec::new();
            for group in ordered(tx.groups_by_ids(&ids)?, &ids, |g| &g.id) {
                if group.is_organization == wanted {
                    out.push(crate::group::followee_dict(ctx, tx, who, &group)?);
                }
            }
            Ok(out)
        }
    }
}

/// How many a user follows of one kind, as [`followee_dicts`] would list them.
fn followee_count_of(
    tx: &mut Tx<'_>,
    who: &Memberships,
    object: Object,
    user_id: &str,
) -> ActionResult<usize> {
    let ids = tx.followee_ids(object.table(), user_id)?;
    Ok(match object {
        Object::User => ids.len(),
        Object::Dataset => tx
            .packages_by_ids(&ids)?
            .iter()
            .filter(|package| authz::can_read_package(who, &package.access()))
            .count(),
        Object::Group | Object::Organization => {
            let wanted = object == Object::Organization;
            tx.groups_by_ids(&ids)?.iter().filter(|group| group.is_organization == wanted).count()
        }
    })
}

/// `items` in the order of `ids`.
fn ordered<T>(mut items: Vec<T>, ids: &[String], id: impl Fn(&T) -> &String) -> Vec<T> {
    items.sort_by_key(|item| ids.iter().position(|wanted| wanted == id(item)).unwrap_or(usize::MAX));
    items
}

pub const FOLLOWEE_COUNT: Action = Action {
    name: "followee_count",
    side_effect_free: true,
    tag: "users",
    doc: "Return the number of objects that are followed by the given user.\n\n\
          Counts everything the user follows: users, datasets (those you may read), organizations \
          and groups.\n\n:rtype: int",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<u64>,
    errors: &[(409, "`{\"id\": [\"Missing value\"]}` or `{\"id\": [\"Not found: User\"]}`")],
    run: |ctx, params| followee_count(ctx, None, FollowUserRequest::parse(params)?.id),
};

pub const USER_FOLLOWEE_COUNT: Action = Action {
    name: "user_followee_count",
    side_effect_free: true,
    tag: "users",
    doc: "Return the number of users that are followed by the given user.\n\n:rtype: int",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<u64>,
    errors: &[(409, "`{\"id\": [\"Missing value\"]}` or `{\"id\": [\"Not found: User\"]}`")],
    run: |ctx, params| followee_count(ctx, Some(Object::User), FollowUserRequest::parse(params)?.id),
};

pub const DATASET_FOLLOWEE_COUNT: Action = Action {
    name: "dataset_followee_count",
    side_effect_free: true,
    tag: "datasets",
    doc: "Return the number of datasets that are followed by the given user.\n\n\
          Private datasets you may not read are not counted.\n\n:rtype: int",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<u64>,
    errors: &[(409, "`{\"id\": [\"Missing value\"]}` or `{\"id\": [\"Not found: User\"]}`")],
    run: |ctx, params| followee_count(ctx, Some(Object::Dataset), FollowUserRequest::parse(params)?.id),
};

pub const GROUP_FOLLOWEE_COUNT: Action = Action {
    name: "group_followee_count",
    side_effect_free: true,
    tag: "groups",
    doc: "Return the number of groups that are followed by the given user.\n\n:rtype: int",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<u64>,
    errors: &[(409, "`{\"id\": [\"Missing value\"]}` or `{\"id\": [\"Not found: User\"]}`")],
    run: |ctx, params| followee_count(ctx, Some(Object::Group), FollowUserRequest::parse(params)?.id),
};

pub const ORGANIZATION_FOLLOWEE_COUNT: Action = Action {
    name: "organization_followee_count",
    side_effect_free: true,
    tag: "organizations",
    doc: "Return the number of organizations that are followed by the given user.\n\n:rtype: int",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<u64>,
    errors: &[(409, "`{\"id\": [\"Missing value\"]}` or `{\"id\": [\"Not found: User\"]}`")],
    run: |ctx, params| followee_count(ctx, Some(Object::Organization), FollowUserRequest::parse(params)?.id),
};

const ALL_KINDS: [Object; 4] = [Object::User, Object::Dataset, Object::Group, Object::Organization];

/// What the user follows of one kind, or of every kind.
fn followee_count(ctx: &Context<'_>, object: Option<Object>, id: Option<String>) -> ActionResult {
    ctx.store().read(|tx| {
        let who = memberships(tx, ctx)?;
        let user_id = resolve(tx, &who, Object::User, id.as_deref())?;
        let mut total = 0;
        for kind in object.map_or(ALL_KINDS.to_vec(), |kind| vec![kind]) {
            total += followee_count_of(tx, &who, kind, &user_id)?;
        }
        Ok(total.into())
    })
}

/// CKAN's `_followee_list` auth: a signed-in caller asking about themself, or a sysadmin.
fn require_self_or_sysadmin(ctx: &Context<'_>, tx: &mut Tx<'_>, id: Option<&str>) -> ActionResult<()> {
    let denied = || ActionError::denied("Not authorized");
    let Some(me) = ctx.actor.user_id() else { return Err(denied()) };
    if ctx.actor.is_sysadmin() {
        return Ok(());
    }
    let requested = match id {
        Some(id) => tx.user_by_id_or_name(id)?,
        None => None,
    };
    if requested.is_some_and(|user| user.id == me) { Ok(()) } else { Err(denied()) }
}

const FOLLOWEE_LIST_ERRORS: &[(u16, &str)] = &[
    (403, "`Access denied: Not authorized`: neither the user nor a sysadmin"),
    (409, "`{\"id\": [\"Missing value\"]}` or `{\"id\": [\"Not found: User\"]}` (sysadmins)"),
];

pub const USER_FOLLOWEE_LIST: Action = Action {
    name: "user_followee_list",
    side_effect_free: true,
    tag: "users",
    doc: "Return the list of users that are followed by the given user.\n\n\
          Only the user themself and sysadmins may ask.\n\n:rtype: list of dictionaries",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<Vec<UserDict>>,
    errors: FOLLOWEE_LIST_ERRORS,
    run: |ctx, params| followee_list_of(ctx, Object::User, FollowUserRequest::parse(params)?.id),
};

pub const DATASET_FOLLOWEE_LIST: Action = Action {
    name: "dataset_followee_list",
    side_effect_free: true,
    tag: "datasets",
    doc: "Return the list of datasets that are followed by the given user.\n\n\
          Only the user themself and sysadmins may ask; private datasets the caller may not read \
          are left out.\n\n:rtype: list of dictionaries",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<Vec<PackageDict>>,
    errors: FOLLOWEE_LIST_ERRORS,
    run: |ctx, params| followee_list_of(ctx, Object::Dataset, FollowUserRequest::parse(params)?.id),
};

pub const GROUP_FOLLOWEE_LIST: Action = Action {
    name: "group_followee_list",
    side_effect_free: true,
    tag: "groups",
    doc: "Return the list of groups that are followed by the given user.\n\n\
          Only the user themself and sysadmins may ask.\n\n:rtype: list of dictionaries",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<Vec<GroupDict>>,
    errors: FOLLOWEE_LIST_ERRORS,
    run: |ctx, params| followee_list_of(ctx, Object::Group, FollowUserRequest::parse(params)?.id),
};

pub const ORGANIZATION_FOLLOWEE_LIST: Action = Action {
    name: "organization_followee_list",
    side_effect_free: true,
    tag: "organizations",
    doc: "Return the list of organizations that are followed by the given user.\n\n\
          Only the user themself and sysadmins may ask.\n\n:rtype: list of dictionaries",
    request: request_doc::<FollowUserRequest>,
    response: response_doc::<Vec<GroupDict>>,
    errors: FOLLOWEE_LIST_ERRORS,
    run: |ctx, params| followee_list_of(ctx, Object::Organization, FollowUserRequest::parse(params)?.id),
};

fn followee_list_of(ctx: &Context<'_>, object: Object, id: Option<String>) -> ActionResult {
    ctx.store().read(|tx| {
        require_self_or_sysadmin(ctx, tx, id.as_deref())?;
        let who = memberships(tx, ctx)?;
        let user_id = resolve(tx, &who, Object::User, id.as_deref())?;
        Ok(Value::Array(followee_dicts(ctx, tx, &who, object, &user_id)?))
    })
}

pub const FOLLOWEE_LIST: Action = Action {
    name: "followee_list",
    side_effect_free: true,
    tag: "users",
    doc: "Return the list of objects that are followed by the given user.\n\n\
          Users, datasets, groups and organizations, by display name; each entry has its \
          ``type`` (``user``, ``dataset``, ``group`` or ``organization``), its ``display_name`` \
          and its ``dict`` (as the ``*_followee_list`` actions give it). Only the user themself \
          and sysadmins may ask.\n\n:rtype: list of dictionaries",
    request: request_doc::<FolloweeListRequest>,
    response: response_doc::<Vec<FolloweeDict>>,
    errors: &[
        (403, "`Access denied: Not authorized`: neither the user nor a sysadmin"),
        (409, "`{\"id\": [\"Missing value\"]}` or `{\"id\": [\"Not found: User\"]}`"),
    ],
    run: |ctx, params| followee_list(ctx, FolloweeListRequest::parse(params)?),
};

request! {
    /// A user, and the start of the names to keep.
    pub struct FolloweeListRequest {
        /// The id or name of the user.
        #[schema(value_type = String)]
        pub id: Option<String> => loose_id,
        /// Only objects whose display name begins with this text (case-insensitive).
        pub q: Option<String>,
    }
}

/// CKAN's `display_name` of a followee: its display name, full name, title or name.
fn display_name(dict: &Value) -> String {
    ["display_name", "fullname", "title", "name"]
        .iter()
        .filter_map(|key| dict.get(key).and_then(Value::as_str))
        .find(|text| !text.is_empty())
        .unwrap_or_default()
        .to_owned()
}

fn followee_list(ctx: &Context<'_>, request: FolloweeListRequest) -> ActionResult {
    let entries = ctx.store().read(|tx| {
        // `followee_list` validates before its permission check.
        let who = memberships(tx, ctx)?;
        let user_id = resolve(tx, &who, Object::User, request.id.as_deref())?;
        require_self_or_sysadmin(ctx, tx, Some(&user_id))?;
        let mut entries = Vec::new();
        for kind in ALL_KINDS {
            for dict in followee_dicts(ctx, tx, &who, kind, &user_id)? {
                entries.push(FolloweeDict {
                    kind: kind.type_name(),
                    display_name: display_name(&dict),
                    dict,
                });
            }
        }
        Ok::<_, ActionError>(entries)
    })?;
    let mut entries = entries;
    entries.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    if let Some(q) = request.q.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty()) {
        entries.retain(|entry| entry.display_name.trim().to_lowercase().starts_with(&q));
    }
    to_json(&entries)
}
