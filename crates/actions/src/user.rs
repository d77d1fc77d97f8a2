//! User actions: create, show, list, update, patch, delete, autocomplete.

use datahavn_domain::group::MemberKind;
use datahavn_domain::name::Name;
use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_domain::user::{self as rules, Followed, User, UserState};
use datahavn_domain::{Timestamp, ValidationErrors, authz};
use datahavn_storage::{Tx, UserFilter, UserOrder};
use serde_json::Value;

use crate::args::authenticated;
use crate::dto::{ApiTokenCreated, PrivateUserFields, UserAutocompleteItem, UserDict, UserListEntry};
use crate::error::authorize;
use crate::request::{Request, alias, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json, token};

const NAME_TAKEN: &str =
    "The username is already associated with another account. Please use a different username.";
const NAME_FIXED: &str = "That login name can not be modified.";
const ID_NOT_EXPECTED: &str = "The input field id was not expected.";
/// Most users `user_autocomplete` answers.
const USER_LIST_MAX_LIMIT: u64 = 1000;

fn email_taken(email: &str) -> String {
    format!("The email address '{email}' belongs to a registered user.")
}

/// The user dict; private fields only for the user themself and sysadmins.
pub(crate) fn user_dict(ctx: &Context<'_>, user: &User) -> UserDict {
    let private = authz::sees_private_user_fields(&ctx.actor, &user.id)
        .then(|| PrivateUserFields { apikey: None, email: user.email.clone() });
    UserDict {
        id: user.id.clone(),
        name: user.name.clone(),
        fullname: user.fullname.clone(),
        created: user.created,
        about: user.about.clone(),
        last_active: user.last_active,
        activity_streams_email_notifications: user.activity_streams_email_notifications,
        sysadmin: user.sysadmin,
        state: user.state.as_str().to_owned(),
        image_url: user.image_url.clone(),
        display_name: user.display_name().to_owned(),
        email_hash: rules::email_hash(&user.email),
        number_created_packages: 0,
        private,
        image_display_url: image_display_url(ctx, user.image_url.as_deref()),
        password_hash: None,
        plugin_extras: None,
        token: None,
        datasets: None,
        num_followers: None,
    }
}

/// The dicts of users in a list (`user_list`, the `users` of organization and group dicts):
/// `number_created_packages` counts each one's active public datasets, as CKAN's
/// `user_dictize` does unless `user_show` asks for private and draft ones too.
pub(crate) fn listed_user_dicts(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    users: &[User],
) -> ActionResult<Vec<UserDict>> {
    let ids: Vec<String> = users.iter().map(|user| user.id.clone()).collect();
    let counts = tx.created_package_counts(&ids, false)?;
    Ok(users
        .iter()
        .map(|user| UserDict {
            number_created_packages: counts.get(&user.id).copied().unwrap_or(0),
            ..user_dict(ctx, user)
        })
        .collect())
}

/// The user dict without private fields, as stored in (public) activities.
fn public_user_json(ctx: &Context<'_>, user: &User) -> ActionResult {
    let mut dict = user_dict(ctx, user);
    dict.private = None;
    to_json(&dict)
}

fn image_display_url(ctx: &Context<'_>, image_url: Option<&str>) -> Option<String> {
    let url = image_url?;
    if url.is_empty() || url.contains("://") {
        Some(url.to_owned())
    } else {
        Some(format!("{}/uploads/user/{url}", ctx.site().site_url))
    }
}

/// A user by id or name, as `NotFound` when there is none.
fn existing_user(tx: &mut Tx<'_>, id: &str, reason: Option<String>) -> ActionResult<User> {
    tx.user_by_id_or_name(id)?.ok_or(ActionError::NotFound(reason))
}

/// A user name as sent: text, or the error CKAN gives for anything else.
fn read_user_name(params: &Params, key: &str, errors: &mut ValidationErrors) -> Option<String> {
    match params.get(key)? {
        Value::String(name) => Some(name.clone()),
        _ => {
            errors.add(key, "User names must be strings");
            None
        }
    }
}

fn user_name(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<String>> {
    Ok(read_user_name(params, key, errors))
}

/// A key whose explicit `null` means something: `None` when it is not sent at all.
fn sent<T>(params: &Params, key: &str, read: impl FnOnce() -> Option<T>) -> Option<Option<T>> {
    params.as_map().contains_key(key).then(read)
}

/// Text that `null` clears: `None` when not sent, `Some(None)` for `null`.
fn nullable_text(
    params: &Params,
    key: &str,
    errors: &mut ValidationErrors,
) -> ActionResult<Option<Option<String>>> {
    Ok(sent(params, key, || params.string(key, errors)))
}

/// A user name where `null` means the current one: `None` when not sent, `Some(None)` for `null`.
fn nullable_user_name(
    params: &Params,
    key: &str,
    errors: &mut ValidationErrors,
) -> ActionResult<Option<Option<String>>> {
    Ok(sent(params, key, || read_user_name(params, key, errors)))
}

/// A flag that, once sent, is `false` unless it says true (CKAN's `boolean_validator`: `""`
/// is false).
fn sent_flag(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<bool>> {
    Ok(params.contains(key).then(|| params.bool(key, false, errors)))
}

/// The user to change: when it is missing, that alone is reported, before any other key is read.
fn user_to_change(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<String> {
    let mut errors = ValidationErrors::new();
    params.first_string(&[key], &mut errors).ok_or_else(|| {
        errors.add(key, MISSING_VALUE);
        errors.into()
    })
}

/// The checked name (CKAN's name rules).
fn check_name(name: Option<String>, errors: &mut ValidationErrors) -> Option<String> {
    Name::parse(&name?).map(Name::into_string).map_err(|message| errors.add("name", message)).ok()
}

/// The checked email address; a blank one is none.
fn check_email(email: Option<String>, errors: &mut ValidationErrors) -> Option<String> {
    let email = email.filter(|email| !email.trim().is_empty())?;
    rules::validate_email(&email).map_err(|message| errors.add("email", message)).ok()
}

fn check_about(about: Option<&str>, errors: &mut ValidationErrors) {
    if let Some(about) = about
        && let Err(message) = rules::validate_about(about)
    {
        errors.add("about", message);
    }
}

/// The new password, checked; an empty one is none.
fn check_password(password: Option<String>, errors: &mut ValidationErrors) -> Option<String> {
    let password = password.filter(|p| !p.is_empty());
    if let Some(password) = &password
        && let Err(message) = rules::validate_password(password)
    {
        errors.add("password", message);
    }
    password
}

fn check_state(state: Option<String>, errors: &mut ValidationErrors) -> Option<UserState> {
    let state = state?;
    UserState::parse(&state).or_else(|| {
        errors.add("state", format!("State must be one of: active, pending, deleted, not {state:?}"));
        None
    })
}

fn check_plugin_extras(extras: Option<Value>, errors: &mut ValidationErrors) -> Option<Value> {
    match extras? {
        extras @ Value::Object(_) => Some(extras),
        _ => {
            errors.add("plugin_extras", "Must be an object");
            None
        }
    }
}

/// Checks that name and email are free (apart from the user `own_id`).
fn check_unique(
    tx: &mut Tx<'_>,
    own_id: Option<&str>,
    name: Option<&str>,
    email: Option<&str>,
    errors: &mut ValidationErrors,
) -> ActionResult<()> {
    if let Some(name) = name
        && let Some(other) = tx.user_by_id_or_name(name)?
        && Some(other.id.as_str()) != own_id
    {
        errors.add("name", NAME_TAKEN);
    }
    if let Some(email) = email
        && let Some(other) = tx.user_by_email(email)?
        && Some(other.id.as_str()) != own_id
    {
        errors.add("email", email_taken(email));
    }
    Ok(())
}

/// Maps a unique-index race that slipped past [`check_unique`] to CKAN's message.
fn conflict_message(error: ActionError, email: &str) -> ActionError {
    match error {
        ActionError::Validation(errors) if errors.contains("email") => {
            ActionError::field("email", email_taken(email))
        }
        ActionError::Validation(errors) if errors.contains("name") => ActionError::field("name", NAME_TAKEN),
        other => other,
    }
}

pub const USER_CREATE: Action = Action {
    name: "user_create",
    side_effect_free: false,
    tag: "users",
    doc: "Create a new user.\n\nOnly sysadmins may create users, unless the site lets anyone \
          register through the API. Parameters for sysadmins only are ignored for others, except \
          `id`, which they may not give.\n\n\
          :returns: the newly created user, with `email` (and `token` with `with_apitoken`)\n\
          :rtype: dictionary",
    request: request_doc::<UserCreateRequest>,
    response: response_doc::<UserDict>,
    errors: &[
        (403, "Not a sysadmin (unless the site lets anyone register)"),
        (
            409,
            "Field errors: name, email or password missing or invalid, about with links, id not \
             expected or taken, bad state or plugin_extras; name or email taken",
        ),
    ],
    run: |ctx, params| {
        // Refused before anything is read, as CKAN checks access first.
        authorize(authz::user_create(&ctx.actor, ctx.site().create_user_via_api))?;
        user_create(ctx, UserCreateRequest::parse(params)?)
    },
};

request! {
    /// A new user account.
    pub struct UserCreateRequest {
        /// The name of the new user, 2–100 characters of lowercase alphanumerics, `-` and `_`.
        #[schema(required = true)]
        pub name: Option<String> => user_name,
        /// The email address of the new user, unique on the site.
        #[schema(required = true)]
        pub email: Option<String>,
        /// A description of the new user, without links.
        pub about: Option<String>,
        /// The password of the new user, at least 8 characters (required unless a sysadmin gives
        /// `password_hash`).
        pub password: Option<String>,
        /// The full name of the new user.
        pub fullname: Option<String>,
        /// The URL to an image to be displayed on the user's page.
        pub image_url: Option<String>,
        /// The id of the new user (sysadmins only).
        pub id: Option<String>,
        /// A PHC password hash (argon2 or other) instead of `password` (sysadmins only).
        pub password_hash: Option<String>,
        /// `active` (default), `pending` or `deleted` (sysadmins only).
        pub state: Option<String>,
        /// Make the new user a sysadmin (sysadmins only; default: false).
        pub sysadmin: Option<bool>,
        /// Private data stored with the user (sysadmins only).
        #[schema(value_type = Option<Object>)]
        pub plugin_extras: Option<Value>,
        /// Also create an API token for the user and return it as `token` (default: false).
        pub with_apitoken: Option<bool>,
    }
}

fn user_create(ctx: &Context<'_>, request: UserCreateRequest) -> ActionResult {
    let sysadmin = ctx.actor.is_sysadmin();
    let mut errors = ValidationErrors::new();
    let name_sent = request.name.is_some();
    let name = check_name(request.name, &mut errors);
    let email = check_email(request.email, &mut errors);
    check_about(request.about.as_deref(), &mut errors);
    let password = check_password(request.password, &mut errors);
    if !name_sent {
        errors.add("name", MISSING_VALUE);
    }
    // Absent, empty and blank addresses alike (a blank one used to reach the insert as a 500).
    if email.is_none() && !errors.contains("email") {
        errors.add("email", MISSING_VALUE);
    }
    let id = request.id.filter(|id| !id.is_empty());
    if id.is_some() && !sysadmin {
        errors.add("id", ID_NOT_EXPECTED);
    }
    let password_hash = request.password_hash.filter(|_| sysadmin);
    if password.is_none() && password_hash.is_none() && !errors.contains("password") {
        errors.add("password", MISSING_VALUE);
    }
    let state = if sysadmin { check_state(request.state, &mut errors) } else { None };
    let make_sysadmin = sysadmin && request.sysadmin.unwrap_or(false);
    let plugin_extras = if sysadmin { check_plugin_extras(request.plugin_extras, &mut errors) } else { None };
    let with_apitoken = request.with_apitoken.unwrap_or(false);
    let password_hash = match (password_hash, &password) {
        (Some(hash), _) => hash,
        (None, Some(password)) if errors.is_empty() => crate::secrets::hash_password(password)?,
        _ => String::new(),
    };

    let (user, token) = ctx.store().write(|tx| {
        check_unique(tx, None, name.as_deref(), email.as_deref(), &mut errors)?;
        if let Some(id) = &id
            && tx.user_by_id_or_name(id)?.is_some()
        {
            errors.add("id", "User id already exists");
        }
        std::mem::take(&mut errors).into_result()?;
        let (Some(name), Some(email)) = (name.clone(), email.clone()) else {
            return Err(ActionError::Internal("validated user without name or email".into()));
        };
        let user = User {
            id: id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            name,
            email: email.clone(),
            fullname: request.fullname.clone(),
            about: request.about.clone(),
            image_url: request.image_url.clone(),
            password_hash: password_hash.clone(),
            sysadmin: make_sysadmin,
            state: state.unwrap_or(UserState::Active),
            created: Timestamp::now(),
            last_active: None,
            activity_streams_email_notifications: false,
            plugin_extras: plugin_extras.clone(),
        };
        tx.insert_user(&user).map_err(|e| conflict_message(e.into(), &email))?;
        crate::activity::record_user(ctx, tx, "new user", &user.id, &public_user_json(ctx, &user)?)?;
        let token = if with_apitoken { Some(token::issue(ctx, tx, &user, "default")?) } else { None };
        Ok::<_, ActionError>((user, token))
    })?;
    log::info!("user {} created by {:?}", user.name, ctx.actor.name());
    let mut dict = user_dict(ctx, &user);
    // The creator always sees the new user's email, as CKAN returns it from user_create.
    dict.private = Some(PrivateUserFields { apikey: None, email: user.email.clone() });
    dict.token = token.map(|ApiTokenCreated { token, .. }| token);
    to_json(&dict)
}

pub const USER_SHOW: Action = Action {
    name: "user_show",
    side_effect_free: true,
    tag: "users",
    doc: "Return a user account.\n\nEither the ``id`` should be passed or the caller should be \
          logged in (then their own account is returned). `email` and `apikey` are shown only to \
          the user themself and sysadmins; a deleted user is shown to sysadmins only.\n\n\
          :returns: the details of the user\n:rtype: dictionary",
    request: request_doc::<UserShowRequest>,
    response: response_doc::<UserDict>,
    errors: &[
        (404, "`Not found`: no such user, a deleted one, or no `id` from an anonymous caller"),
        (409, "A parameter of the wrong type"),
    ],
    run: |ctx, params| user_show(ctx, UserShowRequest::parse(params)?),
};

request! {
    /// The user to show, and what to include.
    pub struct UserShowRequest {
        /// The id or name of the user (default: the caller).
        pub id: Option<String> => shown_user,
        /// The id or name of the user, read (as ``id`` is) only when ``id`` is not given.
        #[schema(value_type = Option<serde_json::Value>)]
        pub user_obj: () => alias,
        /// Include a list of the datasets the user created (default: false).
        pub include_datasets: Option<bool>,
        /// Include the number of the user's followers, `num_followers` (default: false).
        pub include_num_followers: Option<bool>,
        /// Include the stored password hash (sysadmins only; default: false).
        pub include_password_hash: Option<bool>,
        /// Include the user's plugin_extras (sysadmins only; default: false).
        pub include_plugin_extras: Option<bool>,
    }
}

/// `id`, or `user_obj` when it is not given; empty is none.
fn shown_user(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<String>> {
    Ok(params.first_string(&[key, "user_obj"], errors))
}

/// CKAN's `restrict_anon` while `ckan.auth.public_user_details` is off: users' details are
/// for logged-in callers.
pub(crate) fn require_user_details(ctx: &Context<'_>) -> ActionResult<()> {
    if ctx.site().auth.public_user_details || ctx.actor.is_authenticated() {
        Ok(())
    } else {
        Err(ActionError::NotAuthorized(None))
    }
}

fn user_show(ctx: &Context<'_>, request: UserShowRequest) -> ActionResult {
    require_user_details(ctx)?;
    // `user_obj` is read by `id`'s reader.
    let UserShowRequest { user_obj: (), .. } = request;
    let Some(id) = request.id.or_else(|| ctx.actor.user_id().map(str::to_owned)) else {
        return Err(ActionError::NotFound(None));
    };
    let user = ctx.store().read(|tx| tx.user_by_id_or_name(&id))?.ok_or(ActionError::NotFound(None))?;
    if user.state == UserState::Deleted && !authz::sees_private_user_fields(&ctx.actor, &user.id) {
        return Err(ActionError::NotFound(None));
    }
    // CKAN's `user_show` counts private and draft datasets for sysadmins and the user themself.
    let private_and_drafts = ctx.actor.is_sysadmin() || ctx.actor.is_user(&user.id);
    let counts = ctx
        .store()
        .read(|tx| tx.created_package_counts(std::slice::from_ref(&user.id), private_and_drafts))?;
    let mut dict = user_dict(ctx, &user);
    dict.number_created_packages = counts.get(&user.id).copied().unwrap_or(0);
    if ctx.actor.is_sysadmin() {
        dict.password_hash =
            request.include_password_hash.unwrap_or(false).then(|| user.password_hash.clone());
        dict.plugin_extras = request
            .include_plugin_extras
            .unwrap_or(false)
            .then(|| user.plugin_extras.clone().unwrap_or(Value::Null));
    }
    if request.include_datasets.unwrap_or(false) {
        dict.datasets = Some(created_datasets(ctx, &user.id, private_and_drafts)?);
    }
    if request.include_num_followers.unwrap_or(false) {
        let followers = ctx.store().read(|tx| tx.follower_ids(Followed::User, &user.id))?;
        dict.num_followers = Some(followers.len());
    }
    to_json(&dict)
}

/// The datasets `user_show` lists with `include_datasets`, as CKAN 2.12 finds them: the first
/// 50 `package_search` results for `creator_user_id`, with private datasets and drafts (those
/// the caller may read) for the user themself and sysadmins.
fn created_datasets(ctx: &Context<'_>, user_id: &str, private_and_drafts: bool) -> ActionResult<Vec<Value>> {
    let mut search = serde_json::Map::new();
    search.insert("fq".into(), Value::String(format!("+creator_user_id:\"{user_id}\"")));
    search.insert("rows".into(), 50.into());
    if private_and_drafts {
        search.insert("include_private".into(), true.into());
        search.insert("include_drafts".into(), true.into());
    }
    let mut found = (crate::search::PACKAGE_SEARCH.run)(ctx, &Params::new(search))?;
    Ok(match found.get_mut("results").map(Value::take) {
        Some(Value::Array(results)) => results,
        _ => Vec::new(),
    })
}

pub const USER_LIST: Action = Action {
    name: "user_list",
    side_effect_free: true,
    tag: "users",
    doc: "Return a list of the site's users.\n\nDeleted users are left out; every user is listed \
          unless a `limit` is given.\n\n\
          :rtype: list of user dictionaries, or of names with ``all_fields=false``",
    request: request_doc::<UserListRequest>,
    response: response_doc::<Vec<UserListEntry>>,
    errors: &[(409, "Bad `limit`, `offset` or `order_by`, or a parameter of the wrong type")],
    run: |ctx, params| user_list(ctx, UserListRequest::parse(params)?),
};

request! {
    /// Which users to list, in which order.
    pub struct UserListRequest {
        /// Only users whose name or full name (and email, for sysadmins) contain this text.
        pub q: Option<String>,
        /// Only the user with this email address (sysadmins only).
        pub email: Option<String>,
        /// Return user dicts (default) rather than just names.
        pub all_fields: Option<bool>,
        /// At most this many users (default: all).
        pub limit: Option<u64>,
        /// Skip this many users (default: 0).
        pub offset: Option<u64>,
        /// `display_name` (default), `name` or `created`.
        pub order_by: Option<String> => order_by,
    }
}

/// The order `user_list` sorts by; `None` for an unknown one.
fn user_order(order_by: Option<&str>) -> Option<UserOrder> {
    match order_by {
        None | Some("" | "display_name") => Some(UserOrder::DisplayName),
        Some("name") => Some(UserOrder::Name),
        Some("created") => Some(UserOrder::Created),
        Some(_) => None,
    }
}

fn order_by(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<String>> {
    let order_by = params.string(key, errors);
    if let Some(other) = order_by.as_deref()
        && user_order(Some(other)).is_none()
    {
        errors.add(key, format!("Cannot order by {other:?}: use display_name, name or created"));
    }
    Ok(order_by)
}

fn user_list(ctx: &Context<'_>, request: UserListRequest) -> ActionResult {
    require_user_details(ctx)?;
    let filter = UserFilter {
        q: request.q,
        q_matches_email: ctx.actor.is_sysadmin(),
        email: request.email.filter(|_| ctx.actor.is_sysadmin()),
        active_only: true,
        order_by: user_order(request.order_by.as_deref()).unwrap_or_default(),
        // As CKAN's action: every user unless a limit is asked for.
        limit: request.limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX)),
        offset: i64::try_from(request.offset.unwrap_or(0)).unwrap_or(i64::MAX),
    };
    let all_fields = request.all_fields.unwrap_or(true);
    let entries: Vec<UserListEntry> = ctx.store().read(|tx| {
        let users = tx.list_users(&filter)?;
        Ok::<_, ActionError>(if all_fields {
            listed_user_dicts(ctx, tx, &users)?
                .into_iter()
                .map(|d| UserListEntry::User(Box::new(d)))
                .collect()
        } else {
            users.into_iter().map(|u| UserListEntry::Name(u.name)).collect()
        })
    })?;
    to_json(&entries)
}

pub const USER_UPDATE: Action = Action {
    name: "user_update",
    side_effect_free: false,
    tag: "users",
    doc: "Update a user account.\n\nUsers may update only themselves; sysadmins anyone. `email` \
          is required; fields not sent keep their values, and `null` clears `fullname`, `about` \
          and `image_url`.\n\n:returns: the updated user\n:rtype: dictionary",
    request: request_doc::<UserUpdateRequest>,
    response: response_doc::<UserDict>,
    errors: &[
        (403, "Neither the user nor a sysadmin"),
        (404, "`Not found: User was not found.`"),
        (409, "`id` missing, or field errors: email, name, password, about, state, sysadmin, plugin_extras"),
    ],
    run: |ctx, params| user_update(ctx, UserUpdateRequest::parse(params)?),
};

request! {
    /// A user account's new values.
    pub struct UserUpdateRequest {
        /// The id or name of the user.
        pub id: String => user_to_change,
        /// A new name (sysadmins only).
        pub name: Option<String> => user_name,
        /// The user's email address.
        #[schema(required = true)]
        pub email: Option<String>,
        /// A description of the user, without links; `null` clears it.
        #[schema(value_type = Option<String>)]
        pub about: Option<Option<String>> => nullable_text,
        /// A new password, at least 8 characters.
        pub password: Option<String>,
        /// The user's full name; `null` clears it.
        #[schema(value_type = Option<String>)]
        pub fullname: Option<Option<String>> => nullable_text,
        /// The URL to an image to be displayed on the user's page; `null` clears it.
        #[schema(value_type = Option<String>)]
        pub image_url: Option<Option<String>> => nullable_text,
        /// `active`, `pending` or `deleted` (sysadmins only).
        pub state: Option<String>,
        /// Grant or revoke sysadmin rights (sysadmins only, not on themselves).
        pub sysadmin: Option<bool>,
        /// Private data stored with the user (sysadmins only).
        #[schema(value_type = Option<Object>)]
        pub plugin_extras: Option<Value>,
        /// Whether the user gets activity emails.
        pub activity_streams_email_notifications: Option<bool> => sent_flag,
    }
}

/// The user of an update, as `NotFound` when there is none, and whether the caller may change it.
fn user_to_update(ctx: &Context<'_>, id: &str) -> ActionResult<User> {
    let user = ctx.store().read(|tx| existing_user(tx, id, Some("User was not found.".into())))?;
    authorize(authz::user_update(&ctx.actor, &user.id))?;
    Ok(user)
}

fn user_update(ctx: &Context<'_>, request: UserUpdateRequest) -> ActionResult {
    let user = user_to_update(ctx, &request.id)?;
    let updated = apply_update(ctx, &user, request)?;
    to_json(&user_dict(ctx, &updated))
}

/// `user_update`'s checks and write, shared with `user_patch`.
fn apply_update(ctx: &Context<'_>, user: &User, request: UserUpdateRequest) -> ActionResult<User> {
    let sysadmin = ctx.actor.is_sysadmin();
    let mut errors = ValidationErrors::new();
    let name = check_name(request.name, &mut errors);
    let email = check_email(request.email, &mut errors);
    check_about(request.about.as_ref().and_then(Option::as_deref), &mut errors);
    let password = check_password(request.password, &mut errors);
    if email.is_none() && !errors.contains("email") {
        errors.add("email", MISSING_VALUE);
    }
    if let Some(name) = &name
        && name != &user.name
        && !sysadmin
    {
        errors.add("name", NAME_FIXED);
    }
    let mut updated = user.clone();
    if sysadmin {
        if let Some(state) = check_state(request.state, &mut errors) {
            updated.state = state;
        }
        if let Some(wanted) = request.sysadmin {
            if wanted != user.sysadmin && ctx.actor.is_user(&user.id) {
                errors.add("sysadmin", "You cannot change your own sysadmin privileges");
            }
            updated.sysadmin = wanted;
        }
        if let Some(extras) = check_plugin_extras(request.plugin_extras, &mut errors) {
            updated.plugin_extras = Some(extras);
        }
    }
    if let Some(notify) = request.activity_streams_email_notifications {
        updated.activity_streams_email_notifications = notify;
    }
    if let Some(password) = password.as_deref().filter(|_| errors.is_empty()) {
        updated.password_hash = crate::secrets::hash_password(password)?;
    }
    updated.name = name.unwrap_or_else(|| user.name.clone());
    updated.email = email.unwrap_or_else(|| user.email.clone());
    // As in CKAN, user fields that are not sent keep their values; an explicit null clears.
    if let Some(fullname) = request.fullname {
        updated.fullname = fullname;
    }
    if let Some(about) = request.about {
        updated.about = about;
    }
    if let Some(image_url) = request.image_url {
        updated.image_url = image_url;
    }

    ctx.store().write(|tx| {
        check_unique(tx, Some(&user.id), Some(&updated.name), Some(&updated.email), &mut errors)?;
        std::mem::take(&mut errors).into_result()?;
        tx.update_user(&updated).map_err(|e| conflict_message(e.into(), &updated.email))?;
        crate::activity::record_user(ctx, tx, "changed user", &updated.id, &public_user_json(ctx, &updated)?)
    })?;
    log::info!("user {} updated by {:?}", updated.name, ctx.actor.name());
    Ok(updated)
}

pub const USER_PATCH: Action = Action {
    name: "user_patch",
    side_effect_free: false,
    tag: "users",
    doc: "Update some fields of a user account.\n\nLike `user_update`, but only `id` is \
          required: fields not sent keep their values.\n\n:returns: the updated user\n:rtype: dictionary",
    request: request_doc::<UserPatchRequest>,
    response: response_doc::<UserDict>,
    errors: &[
        (403, "Anonymous, neither the user nor a sysadmin, or `User not found` (no such user)"),
        (404, "`Not found` (a sysadmin, no such user)"),
        (409, "`id` missing, or field errors: email, name, password, about, state, sysadmin, plugin_extras"),
    ],
    run: |ctx, params| user_patch(ctx, UserPatchRequest::parse(params)?),
};

request! {
    /// The user account values to change.
    pub struct UserPatchRequest {
        /// The id or name of the user.
        pub id: String => user_to_change,
        /// A new name (sysadmins only).
        #[schema(value_type = Option<String>)]
        pub name: Option<Option<String>> => nullable_user_name,
        /// A new email address.
        #[schema(value_type = Option<String>)]
        pub email: Option<Option<String>> => nullable_text,
        /// A description of the user, without links; `null` clears it.
        #[schema(value_type = Option<String>)]
        pub about: Option<Option<String>> => nullable_text,
        /// A new password, at least 8 characters.
        pub password: Option<String>,
        /// The user's full name; `null` clears it.
        #[schema(value_type = Option<String>)]
        pub fullname: Option<Option<String>> => nullable_text,
        /// The URL to an image to be displayed on the user's page; `null` clears it.
        #[schema(value_type = Option<String>)]
        pub image_url: Option<Option<String>> => nullable_text,
        /// `active`, `pending` or `deleted` (sysadmins only).
        pub state: Option<String>,
        /// Grant or revoke sysadmin rights (sysadmins only, not on themselves).
        pub sysadmin: Option<bool>,
        /// Private data stored with the user (sysadmins only).
        #[schema(value_type = Option<Object>)]
        pub plugin_extras: Option<Value>,
        /// Whether the user gets activity emails.
        pub activity_streams_email_notifications: Option<bool> => sent_flag,
    }
}

fn user_patch(ctx: &Context<'_>, request: UserPatchRequest) -> ActionResult {
    // CKAN checks `user_patch`'s auth function (not open to anonymous callers) first; it
    // defers to `user_update`'s, which refuses an unknown user as `User not found`. A sysadmin
    // skips it and meets `user_show`'s bare 404.
    authenticated(ctx, "user_patch")?;
    if ctx.store().read(|tx| Ok::<_, ActionError>(tx.user_by_id_or_name(&request.id)?))?.is_none() {
        return Err(if ctx.actor.is_sysadmin() {
            ActionError::NotFound(None)
        } else {
            ActionError::denied("User not found")
        });
    }
    let user = user_to_update(ctx, &request.id)?;
    // The user's current values, with what was sent over them.
    let update = UserUpdateRequest {
        id: request.id,
        name: request.name.unwrap_or_else(|| Some(user.name.clone())),
        email: request.email.unwrap_or_else(|| Some(user.email.clone())),
        about: Some(request.about.unwrap_or_else(|| user.about.clone())),
        password: request.password,
        fullname: Some(request.fullname.unwrap_or_else(|| user.fullname.clone())),
        image_url: Some(request.image_url.unwrap_or_else(|| user.image_url.clone())),
        state: request.state,
        sysadmin: request.sysadmin,
        plugin_extras: request.plugin_extras,
        activity_streams_email_notifications: request.activity_streams_email_notifications,
    };
    let updated = apply_update(ctx, &user, update)?;
    to_json(&user_dict(ctx, &updated))
}

pub const USER_DELETE: Action = Action {
    name: "user_delete",
    side_effect_free: false,
    tag: "users",
    doc: "Delete a user (sysadmins only).\n\nThe account is kept with state `deleted`: the user \
          can no longer act, their API tokens stop working, and their name and email address stay \
          taken.\n\n:rtype: null",
    request: request_doc::<UserDeleteRequest>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Anonymous, or not a sysadmin"),
        (404, "`Not found: User \"<id>\" was not found.`"),
        (409, "`id` missing"),
    ],
    run: |ctx, params| {
        // Anonymous callers are refused before anything is read, as in CKAN.
        authenticated(ctx, "user_delete")?;
        user_delete(ctx, UserDeleteRequest::parse(params)?)
    },
};

request! {
    /// The user to delete.
    pub struct UserDeleteRequest {
        /// The id or name of the user.
        pub id: String,
    }
}

fn user_delete(ctx: &Context<'_>, request: UserDeleteRequest) -> ActionResult {
    let id = request.id;
    ctx.store().write(|tx| {
        let mut user = existing_user(tx, &id, Some(format!("User \"{id}\" was not found.")))?;
        authorize(authz::user_delete(&ctx.actor, &user.name))?;
        user.state = UserState::Deleted;
        tx.update_user(&user)?;
        // As CKAN's `user_delete`: the user leaves every organization and group, and every
        // dataset they collaborate on.
        tx.delete_memberships_of(MemberKind::User, &user.id)?;
        tx.delete_collaborations_of_user(&user.id)?;
        log::info!("user {} deleted by {:?}", user.name, ctx.actor.name());
        Ok::<_, ActionError>(())
    })?;
    Ok(Value::Null)
}

pub const USER_AUTOCOMPLETE: Action = Action {
    name: "user_autocomplete",
    side_effect_free: true,
    tag: "users",
    doc: "Return a list of active users whose names contain a string.\n\nThe name, the full name \
          and, for sysadmins, the email address are searched, case-insensitively.\n\n\
          :rtype: a list of user dictionaries each with keys ``'id'``, ``'name'`` and ``'fullname'``",
    request: request_doc::<UserAutocompleteRequest>,
    response: response_doc::<Vec<UserAutocompleteItem>>,
    errors: &[(409, "`q` missing, or a bad `limit`")],
    run: |ctx, params| user_autocomplete(ctx, UserAutocompleteRequest::parse(params)?),
};

request! {
    /// The users to look for.
    pub struct UserAutocompleteRequest {
        /// The string to search for.
        pub q: String,
        /// The maximum number of users to return (default: 20, at most 1000).
        pub limit: Option<u64>,
        /// Leave the caller out (default: false).
        pub ignore_self: Option<bool>,
    }
}

fn user_autocomplete(ctx: &Context<'_>, request: UserAutocompleteRequest) -> ActionResult {
    require_user_details(ctx)?;
    let limit = request.limit.unwrap_or(20).min(USER_LIST_MAX_LIMIT);
    let ignore_self = request.ignore_self.unwrap_or(false);
    let users = ctx.store().read(|tx| {
        tx.autocomplete_users(&request.q, ctx.actor.is_sysadmin(), i64::try_from(limit).unwrap_or(20) + 1)
    })?;
    let items: Vec<UserAutocompleteItem> = users
        .into_iter()
        .filter(|u| !(ignore_self && ctx.actor.is_user(&u.id)))
        .take(usize::try_from(limit).unwrap_or(20))
        .map(|u| UserAutocompleteItem { id: u.id, name: u.name, fullname: u.fullname })
        .collect();
    to_json(&items)
}
