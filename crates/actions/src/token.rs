//! API token actions: create, list, revoke.

use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_domain::user::{ApiToken, User};
use datahavn_domain::{Timestamp, ValidationErrors, authz};
use datahavn_storage::Tx;
use serde_json::Value;

use crate::dto::{ApiTokenCreated, ApiTokenDict};
use crate::error::authorize;
use crate::secrets::TokenSigner;
use crate::{Action, ActionError, ActionResult, Context, to_json};

/// Stores a new token row for `user` and signs the JWT that names it.
pub(crate) fn issue(
    ctx: &Context<'_>,
    tx: &mut Tx<'_>,
    user: &User,
    name: &str,
) -> ActionResult<ApiTokenCreated> {
    let token = ApiToken {
        id: TokenSigner::new_token_id(),
        user_id: user.id.clone(),
        name: name.to_owned(),
        created_at: Timestamp::now(),
        last_access: None,
    };
    tx.insert_api_token(&token)?;
    let jwt = ctx.services.tokens.encode(&token.id, token.created_at.unix_seconds())?;
    Ok(ApiTokenCreated { token: jwt, id: token.id })
}

fn owner(tx: &mut Tx<'_>, id: &str) -> ActionResult<User> {
    tx.user_by_id_or_name(id)?.filter(User::is_active).ok_or_else(|| ActionError::not_found("User not found"))
}

pub const API_TOKEN_CREATE: Action = Action {
    name: "api_token_create",
    side_effect_free: false,
    doc: "Create a new API token for a user. Users may create tokens for themselves; sysadmins \
          for anyone.\n\nThe token is shown only in this response: it is not stored.\n\n\
          :param user: the name or id of the user who owns the token\n\
          :param name: a name that describes the token\n\
          :returns: ``{\"token\": <JWT>, \"id\": <token id>}``\n:rtype: dictionary",
    run: api_token_create,
    ..crate::UNTYPED
};

fn api_token_create(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let user = params.required_string("user", &mut errors);
    let name = params.required_string("name", &mut errors);
    errors.into_result()?;
    let (user, name) = (user.unwrap_or_default(), name.unwrap_or_default());
    let created = ctx.store().write(|tx| {
        let owner = owner(tx, &user)?;
        authorize(authz::authenticated(&ctx.actor, "api_token_create"))?;
        authorize(authz::api_token_manage(&ctx.actor, &owner.id))?;
        let created = issue(ctx, tx, &owner, &name)?;
        log::info!("API token {} created for user {}", created.id, owner.name);
        Ok::<_, ActionError>(created)
    })?;
    to_json(&created)
}

pub const API_TOKEN_LIST: Action = Action {
    name: "api_token_list",
    side_effect_free: true,
    doc: "Return the API tokens of a user, oldest first. Users see their own; sysadmins anyone's.\n\n\
          :param user_id: the name or id of the user (``user`` is accepted too)\n\
          :rtype: list of dictionaries with ``id``, ``name``, ``user_id``, ``created_at``, ``last_access``",
    run: api_token_list,
    ..crate::UNTYPED
};

fn api_token_list(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let user = params.first_string(&["user_id", "user"], &mut errors);
    let Some(user) = user else {
        errors.add("user_id", MISSING_VALUE);
        return Err(errors.into());
    };
    errors.into_result()?;
    let tokens = ctx.store().read(|tx| {
        let owner = owner(tx, &user)?;
        authorize(authz::api_token_manage(&ctx.actor, &owner.id))?;
        Ok::<_, ActionError>(tx.api_tokens_of(&owner.id)?)
    });
    let tokens = tokens?;
    let dicts: Vec<ApiTokenDict> = tokens
        .into_iter()
        .map(|t| ApiTokenDict {
            id: t.id,
            name: t.name,
            user_id: t.user_id,
            created_at: t.created_at,
            last_access: t.last_access,
        })
        .collect();
    to_json(&dicts)
}

pub const API_TOKEN_REVOKE: Action = Action {
    name: "api_token_revoke",
    side_effect_free: false,
    doc: "Delete an API token. The next request made with it is anonymous.\n\n\
          Either ``token`` or ``jti`` must be given. Owners may revoke their tokens; sysadmins any.\n\n\
          :param token: the token itself (optional)\n\
          :param jti: the id of the token (optional)\n:rtype: null",
    run: api_token_revoke,
    ..crate::UNTYPED
};

fn api_token_revoke(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let mut errors = ValidationErrors::new();
    let token = params.string("token", &mut errors).filter(|t| !t.is_empty());
    let jti = params.string("jti", &mut errors).filter(|t| !t.is_empty());
    errors.into_result()?;
    if jti.is_none() && token.is_none() {
        // CKAN asks for `token` (`get_or_bust`) when there is no `jti`.
        return Err(ValidationErrors::single("token", MISSING_VALUE).into());
    }
    authorize(authz::authenticated(&ctx.actor, "api_token_revoke"))?;
    let jti = match jti {
        Some(jti) => jti,
        None => token
            .and_then(|token| ctx.services.tokens.decode(&token))
            .ok_or_else(|| ActionError::not_found("API token not found"))?,
    };
    ctx.store().write(|tx| {
        let stored = tx.api_token(&jti)?.ok_or_else(|| ActionError::not_found("API token not found"))?;
        authorize(authz::api_token_manage(&ctx.actor, &stored.user_id))?;
        tx.delete_api_token(&stored.id)?;
        log::info!("API token {} revoked", stored.id);
        Ok::<_, ActionError>(())
    })?;
    Ok(Value::Null)
}
