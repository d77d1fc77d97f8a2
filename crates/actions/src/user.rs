//! User actions: create, show, list, update, patch, delete, autocomplete.

use datahavn_domain::name::Name;
use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_domain::user::{self as rules, User, UserState};
use datahavn_domain::{Timestamp, ValidationErrors, authz};
use datahavn_storage::{Tx, UserFilter, UserOrder};
use serde_json::Value;

use crate::dto::{ApiTokenCreated, PrivateUserFields, UserAutocompleteItem, UserDict};
use crate::error::authorize;
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
    }
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

/// Fields that `user_create` and `user_update` read the same way.
struct UserFields {
    name: Option<String>,
    email: Option<String>,
    fullname: Option<String>,
    about: Option<String>,
    image_url: Option<String>,
    password: Option<String>,
}

fn read_name(params: &Params, errors: &mut ValidationErrors) -> Option<String> {
    match params.get("name") {
        None => None,
        Some(Value::String(name)) => match Name::parse(name) {
            Ok(name) => Some(name.into_string()),
            Err(message) => {
                errors.add("name", message);
                None
            }
        },
        Some(_) => {
            errors.add("name", "User names must be strings");
            None
        }
    }
}

fn read_fields(params: &Params, errors: &mut ValidationErrors) -> UserFields {
    let name = read_name(params, errors);
    let email = params.string("email", errors).and_then(|email| {
        if email.trim().is_empty() {
            return None;
        }
        rules::validate_email(&email).map_err(|message| errors.add("email", message)).ok()
    });
    let about = params.string("about", errors);
    if let Some(about) = &about
        && let Err(message) = rules::validate_about(about)
    {
        errors.add("about", message);
    }
    let password = params.string("password", errors).filter(|p| !p.is_empty());
    if let Some(password) = &password
        && let Err(message) = rules::validate_password(password)
    {
        errors.add("password", message);
    }
    UserFields {
        name,
        email,
        fullname: params.string("fullname", errors),
        about,
        image_url: params.string("image_url", errors),
        password,
    }
}

fn read_state(params: &Params, errors: &mut ValidationErrors) -> Option<UserState> {
    let state = params.string("state", errors)?;
    UserState::parse(&state).or_else(|| {
        errors.add("state", format!("State must be one of: active, pending, deleted, not {state:?}"));
        None
    })
}

fn read_plugin_extras(params: &Params, errors: &mut ValidationErrors) -> Option<Value> {
    match params.get("plugin_extras") {
        None => None,
        Some(value @ Value::Object(_)) => Some(value.clone()),
        Some(_) => {
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
    doc: "Create a new user.\n\nOnly sysadmins may create users, unless the site lets anyone \
          register through the API.\n\n\
          :param name: the name of the new user, 2-100 characters of lowercase alphanumerics, `-` and `_`\n\
          :param email: the email address of the new user, unique on the site\n\
          :param password: the password of the new user, at least 8 characters\n\
          :param id: the id of the new user (sysadmins only, optional)\n\
          :param fullname: the full name of the new user (optional)\n\
          :param about: a description of the new user, without links (optional)\n\
          :param image_url: the URL to an image to be displayed on the user's page (optional)\n\
          :param sysadmin: make the new user a sysadmin (sysadmins only, optional)\n\
          :param password_hash: an argon2 or other PHC password hash instead of `password` (sysadmins only)\n\
          :param state: `active` (default), `pending` or `deleted` (sysadmins only)\n\
          :param plugin_extras: private data stored with the user (sysadmins only)\n\
          :param with_apitoken: also create an API token for the user and return it as `token`\n\
          :returns: the newly created user, with `email`\n:rtype: dictionary",
    run: user_create,
    ..crate::UNTYPED
};

fn user_create(ctx: &Context<'_>, params: &Params) -> ActionResult {
    authorize(authz::user_create(&ctx.actor, ctx.site().create_user_via_api))?;
    let sysadmin = ctx.actor.is_sysadmin();
    let mut errors = ValidationErrors::new();
    let fields = read_fields(params, &mut errors);
    if !params.contains("name") {
        errors.add("name", MISSING_VALUE);
    }
    // Absent, empty and blank addresses alike (a blank one used to reach the insert as a 500).
    if fields.email.is_none() && !errors.contains("email") {
        errors.add("email", MISSING_VALUE);
    }
    let id = params.string("id", &mut errors).filter(|id| !id.is_empty());
    if id.is_some() && !sysadmin {
        errors.add("id", ID_NOT_EXPECTED);
    }
    let password_hash = if sysadmin { params.string("password_hash", &mut errors) } else { None };
    if fields.password.is_none() && password_hash.is_none() && !errors.contains("password") {
        errors.add("password", MISSING_VALUE);
    }
    let state = if sysadmin { read_state(params, &mut errors) } else { None };
    let make_sysadmin = sysadmin && params.bool("sysadmin", false, &mut errors);
    let plugin_extras = if sysadmin { read_plugin_extras(params, &mut errors) } else { None };
    let with_apitoken = params.bool("with_apitoken", false, &mut errors);
    let password_hash = match (password_hash, &fields.password) {
        (Some(hash), _) => hash,
        (None, Some(password)) if errors.is_empty() => crate::secrets::hash_password(password)?,
        _ => String::new(),
    };

    let (user, token) = ctx.store().write(|tx| {
        check_unique(tx, None, fields.name.as_deref(), fields.email.as_deref(), &mut errors)?;
        if let Some(id) = &id
            && tx.user_by_id_or_name(id)?.is_some()
        {
            errors.add("id", "User id already exists");
        }
        std::mem::take(&mut errors).into_result()?;
        let (Some(name), Some(email)) = (fields.name.clone(), fields.email.clone()) else {
            return Err(ActionError::Internal("validated user without name or email".into()));
        };
        let user = User {
            id: id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            name,
            email: email.clone(),
            fullname: fields.fullname.clone(),
            about: fields.about.clone(),
            image_url: fields.image_url.clone(),
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
    doc: "Return a user account.\n\nEither the ``id`` should be passed or the caller should be \
          logged in (then their own account is returned).\n\n\
          :param id: the id or name of the user (optional)\n\
          :param include_datasets: include a list of datasets the user has created (optional, default false)\n\
          :param include_password_hash: include the stored password hash (sysadmins only, optional)\n\
          :param include_plugin_extras: include the user's plugin_extras (sysadmins only, optional)\n\
          :returns: the details of the user; `email` and `apikey` only for the user themself and sysadmins\n\
          :rtype: dictionary",
    run: user_show,
    ..crate::UNTYPED
};

fn user_show(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let id = params.first_string(&["id", "user_obj"], &mut errors);
    let include_datasets = params.bool("include_datasets", false, &mut errors);
    let include_hash = params.bool("include_password_hash", false, &mut errors);
    let include_extras = params.bool("include_plugin_extras", false, &mut errors);
    errors.into_result()?;
    let Some(id) = id.or_else(|| ctx.actor.user_id().map(str::to_owned)) else {
        return Err(ActionError::NotFound(None));
    };
    let user = ctx.store().read(|tx| tx.user_by_id_or_name(&id))?.ok_or(ActionError::NotFound(None))?;
    if user.state == UserState::Deleted && !authz::sees_private_user_fields(&ctx.actor, &user.id) {
        return Err(ActionError::NotFound(None));
    }
    let mut dict = user_dict(ctx, &user);
    if ctx.actor.is_sysadmin() {
        dict.password_hash = include_hash.then(|| user.password_hash.clone());
        dict.plugin_extras = include_extras.then(|| user.plugin_extras.clone().unwrap_or(Value::Null));
    }
    let mut json = to_json(&dict)?;
    if include_datasets && let Value::Object(map) = &mut json {
        map.insert("datasets".into(), Value::Array(Vec::new()));
    }
    Ok(json)
}

pub const USER_LIST: Action = Action {
    name: "user_list",
    side_effect_free: true,
    doc: "Return a list of the site's users. Deleted users are left out.\n\n\
          :param q: only users whose name, full name or email contain this text (optional)\n\
          :param email: only the user with this email address (sysadmins only, optional)\n\
          :param order_by: `display_name` (default), `name` or `created` (optional)\n\
          :param all_fields: return user dicts (default) rather than just names (optional)\n\
          :param limit: at most this many users (optional, default: all)\n\
          :param offset: skip this many users (optional, default 0)\n\
          :rtype: list of user dictionaries, or of names with ``all_fields=false``",
    run: user_list,
    ..crate::UNTYPED
};

fn user_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let q = params.string("q", &mut errors);
    let email = params.string("email", &mut errors).filter(|_| ctx.actor.is_sysadmin());
    let all_fields = params.bool("all_fields", true, &mut errors);
    // As CKAN's action: every user unless a limit is asked for.
    let limit = params.natural("limit", &mut errors);
    let offset = params.natural("offset", &mut errors).unwrap_or(0);
    let order_by = match params.string("order_by", &mut errors).as_deref() {
        None | Some("" | "display_name") => UserOrder::DisplayName,
        Some("name") => UserOrder::Name,
        Some("created") => UserOrder::Created,
        Some(other) => {
            errors.add("order_by", format!("Cannot order by {other:?}: use display_name, name or created"));
            UserOrder::DisplayName
        }
    };
    errors.into_result()?;
    let filter = UserFilter {
        q,
        q_matches_email: ctx.actor.is_sysadmin(),
        email,
        active_only: true,
        order_by,
        limit: limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX)),
        offset: i64::try_from(offset).unwrap_or(i64::MAX),
    };
    let users = ctx.store().read(|tx| tx.list_users(&filter))?;
    if all_fields {
        let dicts: Vec<UserDict> = users.iter().map(|u| user_dict(ctx, u)).collect();
        to_json(&dicts)
    } else {
        Ok(Value::Array(users.into_iter().map(|u| Value::String(u.name)).collect()))
    }
}

pub const USER_UPDATE: Action = Action {
    name: "user_update",
    side_effect_free: false,
    doc: "Update a user account. Users may update only themselves; sysadmins anyone.\n\n\
          `email` is required; fields not given keep their values.\n\n\
          :param id: the id or name of the user\n\
          :param email: the user's email address (required)\n\
          :param name: a new name (sysadmins only)\n\
          :param password: a new password, at least 8 characters (optional)\n\
          :param fullname: (optional)\n:param about: (optional)\n:param image_url: (optional)\n\
          :param sysadmin: grant or revoke sysadmin rights (sysadmins only, not on themselves)\n\
          :param state: `active`, `pending` or `deleted` (sysadmins only)\n\
          :returns: the updated user\n:rtype: dictionary",
    run: user_update,
    ..crate::UNTYPED
};

fn user_update(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let id = params.first_string(&["id"], &mut errors);
    let Some(id) = id else {
        errors.add("id", MISSING_VALUE);
        return Err(errors.into());
    };
    let user = ctx.store().read(|tx| existing_user(tx, &id, Some("User was not found.".into())))?;
    authorize(authz::user_update(&ctx.actor, &user.id, &user.name))?;
    let updated = apply_update(ctx, &user, params)?;
    to_json(&user_dict(ctx, &updated))
}

/// `user_update`'s checks and write, shared with `user_patch`.
fn apply_update(ctx: &Context<'_>, user: &User, params: &Params) -> ActionResult<User> {
    let sysadmin = ctx.actor.is_sysadmin();
    let mut errors = ValidationErrors::new();
    let fields = read_fields(params, &mut errors);
    if fields.email.is_none() && !errors.contains("email") {
        errors.add("email", MISSING_VALUE);
    }
    if let Some(name) = &fields.name
        && name != &user.name
        && !sysadmin
    {
        errors.add("name", NAME_FIXED);
    }
    let mut updated = user.clone();
    if sysadmin {
        if let Some(state) = read_state(params, &mut errors) {
            updated.state = state;
        }
        if params.contains("sysadmin") {
            let wanted = params.bool("sysadmin", user.sysadmin, &mut errors);
            if wanted != user.sysadmin && ctx.actor.is_user(&user.id) {
                errors.add("sysadmin", "You cannot change your own sysadmin privileges");
            }
            updated.sysadmin = wanted;
        }
        if let Some(extras) = read_plugin_extras(params, &mut errors) {
            updated.plugin_extras = Some(extras);
        }
    }
    if params.contains("activity_streams_email_notifications") {
        updated.activity_streams_email_notifications =
            params.bool("activity_streams_email_notifications", false, &mut errors);
    }
    if let Some(password) = fields.password.as_deref().filter(|_| errors.is_empty()) {
        updated.password_hash = crate::secrets::hash_password(password)?;
    }
    updated.name = fields.name.clone().unwrap_or_else(|| user.name.clone());
    updated.email = fields.email.clone().unwrap_or_else(|| user.email.clone());
    // As in CKAN, user fields that are not sent keep their values; an explicit null clears.
    if params.as_map().contains_key("fullname") {
        updated.fullname = fields.fullname;
    }
    if params.as_map().contains_key("about") {
        updated.about = fields.about;
    }
    if params.as_map().contains_key("image_url") {
        updated.image_url = fields.image_url;
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
    doc: "Update some fields of a user account; fields not given keep their values.\n\n\
          Takes the same parameters as `user_update`, with only `id` required.\n\n\
          :returns: the updated user\n:rtype: dictionary",
    run: user_patch,
    ..crate::UNTYPED
};

fn user_patch(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let Some(id) = params.first_string(&["id"], &mut errors) else {
        errors.add("id", MISSING_VALUE);
        return Err(errors.into());
    };
    let user = ctx.store().read(|tx| existing_user(tx, &id, Some("User was not found.".into())))?;
    authorize(authz::user_update(&ctx.actor, &user.id, &user.name))?;
    let mut merged = serde_json::Map::new();
    merged.insert("name".into(), user.name.clone().into());
    merged.insert("email".into(), user.email.clone().into());
    for (key, value) in [("fullname", &user.fullname), ("about", &user.about), ("image_url", &user.image_url)]
    {
        merged.insert(key.into(), value.clone().map_or(Value::Null, Value::String));
    }
    for (key, value) in params.as_map() {
        merged.insert(key.clone(), value.clone());
    }
    let updated = apply_update(ctx, &user, &Params::new(merged))?;
    to_json(&user_dict(ctx, &updated))
}

pub const USER_DELETE: Action = Action {
    name: "user_delete",
    side_effect_free: false,
    doc: "Delete a user (sysadmins only). The account is kept with state `deleted`; the user can \
          no longer act and their API tokens stop working.\n\n\
          :param id: the id or name of the user\n:rtype: null",
    run: user_delete,
    ..crate::UNTYPED
};

fn user_delete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    authorize(authz::authenticated(&ctx.actor, "user_delete"))?;
    let mut errors = ValidationErrors::new();
    let id = params.required_string("id", &mut errors);
    errors.into_result()?;
    let id = id.unwrap_or_default();
    ctx.store().write(|tx| {
        let mut user = existing_user(tx, &id, Some(format!("User \"{id}\" was not found.")))?;
        authorize(authz::user_delete(&ctx.actor, &user.name))?;
        user.state = UserState::Deleted;
        tx.update_user(&user)?;
        log::info!("user {} deleted by {:?}", user.name, ctx.actor.name());
        Ok::<_, ActionError>(())
    })?;
    Ok(Value::Null)
}

pub const USER_AUTOCOMPLETE: Action = Action {
    name: "user_autocomplete",
    side_effect_free: true,
    doc: "Return a list of active users whose names contain a string.\n\n\
          :param q: the string to search for\n\
          :param limit: the maximum number of users to return (optional, default 20)\n\
          :param ignore_self: leave the caller out (optional, default false)\n\
          :rtype: a list of user dictionaries each with keys ``'id'``, ``'name'`` and ``'fullname'``",
    run: user_autocomplete,
    ..crate::UNTYPED
};

fn user_autocomplete(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let q = params.required_string("q", &mut errors);
    let limit = params.natural("limit", &mut errors).unwrap_or(20).min(USER_LIST_MAX_LIMIT);
    let ignore_self = params.bool("ignore_self", false, &mut errors);
    errors.into_result()?;
    let q = q.unwrap_or_default();
    let users = ctx.store().read(|tx| {
        tx.autocomplete_users(&q, ctx.actor.is_sysadmin(), i64::try_from(limit).unwrap_or(20) + 1)
    })?;
    let items: Vec<UserAutocompleteItem> = users
        .into_iter()
        .filter(|u| !(ignore_self && ctx.actor.is_user(&u.id)))
        .take(usize::try_from(limit).unwrap_or(20))
        .map(|u| UserAutocompleteItem { id: u.id, name: u.name, fullname: u.fullname })
        .collect();
    to_json(&items)
}
