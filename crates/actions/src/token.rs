//! API token actions: create, list, revoke.

use datahavn_domain::params::{MISSING_VALUE, Params};
use datahavn_domain::user::{ApiToken, User};
use datahavn_domain::{Timestamp, ValidationErrors, authz};
use datahavn_storage::Tx;
use serde_json::Value;

use crate::args::authenticated;
use crate::dto::{ApiTokenCreated, ApiTokenDict};
use crate::request::{Request, alias, request, request_doc, response_doc};
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
    tag: "api tokens",
    doc: "Create a new API token for a user.\n\nUsers may create tokens for themselves; sysadmins \
          for anyone. The token is shown only in this response: it is not stored.\n\n\
          :returns: ``{\"token\": <JWT>, \"id\": <token id>}``\n:rtype: dictionary",
    request: request_doc::<ApiTokenCreateRequest>,
    response: response_doc::<ApiTokenCreated>,
    errors: &[
        (403, "Anonymous, or neither the user nor a sysadmin"),
        (404, "`Not found: User not found` (no such active user)"),
        (409, "`user` or `name` missing"),
    ],
    run: |ctx, params| api_token_create(ctx, ApiTokenCreateRequest::parse(params)?),
};

request! {
    /// The owner and the name of a new API token.
    pub struct ApiTokenCreateRequest {
        /// The name or id of the user who owns the token.
        pub user: String,
        /// A name that describes the token.
        pub name: String,
    }
}

/// 403 unless the caller owns the tokens or is a sysadmin; CKAN gives no reason.
fn require_owner(ctx: &Context<'_>, owner_id: &str) -> ActionResult<()> {
    if authz::api_token_manage(&ctx.actor, owner_id) { Ok(()) } else { Err(ActionError::NotAuthorized(None)) }
}

fn api_token_create(ctx: &Context<'_>, request: ApiTokenCreateRequest) -> ActionResult {
    let created = ctx.store().write(|tx| {
        let owner = owner(tx, &request.user)?;
        authenticated(ctx, "api_token_create")?;
        require_owner(ctx, &owner.id)?;
        let created = issue(ctx, tx, &owner, &request.name)?;
        log::info!("API token {} created for user {}", created.id, owner.name);
        Ok::<_, ActionError>(created)
    })?;
    to_json(&created)
}

pub const API_TOKEN_LIST: Action = Action {
    name: "api_token_list",
    side_effect_free: true,
    tag: "api tokens",
    doc: "Return the API tokens of a user, oldest first.\n\nUsers see their own; sysadmins \
          anyone's. The tokens themselves are never shown, only what describes them.\n\n\
          :rtype: list of dictionaries with ``id``, ``name``, ``user_id``, ``created_at``, ``last_access``",
    request: request_doc::<ApiTokenListRequest>,
    response: response_doc::<Vec<ApiTokenDict>>,
    errors: &[
        (403, "Neither the user nor a sysadmin"),
        (404, "`Not found: User not found` (no such active user)"),
        (409, "`user_id` missing"),
    ],
    run: |ctx, params| api_token_list(ctx, ApiTokenListRequest::parse(params)?),
};

request! {
    /// Whose API tokens to list.
    pub struct ApiTokenListRequest {
        /// The name or id of the user (this or ``user`` is required).
        #[schema(value_type = Option<String>)]
        pub user_id: String => token_owner,
        /// The name or id of the user, read (as ``user_id`` is) only when ``user_id`` is not
        /// given.
        #[schema(value_type = Option<serde_json::Value>)]
        pub user: () => alias,
    }
}

/// `user_id`, or `user` when it is not given.
fn token_owner(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<String> {
    let owner = params.first_string(&[key, "user"], errors);
    if owner.is_none() {
        errors.add(key, MISSING_VALUE);
    }
    Ok(owner.unwrap_or_default())
}

fn api_token_list(ctx: &Context<'_>, request: ApiTokenListRequest) -> ActionResult {
    // `user` is read by `user_id`'s reader.
    let ApiTokenListRequest { user: (), .. } = request;
    let tokens = ctx.store().read(|tx| {
        let owner = owner(tx, &request.user_id)?;
        require_owner(ctx, &owner.id)?;
        Ok::<_, ActionError>(tx.api_tokens_of(&owner.id)?)
    })?;
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
    tag: "api tokens",
    doc: "Delete an API token.\n\nEither ``token`` or ``jti`` must be given. Owners may revoke \
          their tokens; sysadmins any. The next request made with the token is anonymous.\n\n\
          :rtype: null",
    request: request_doc::<ApiTokenRevokeRequest>,
    response: response_doc::<Option<String>>,
    errors: &[
        (403, "Anonymous, or neither the owner nor a sysadmin (an unknown token counts as someone else's)"),
        (409, "Neither `token` nor `jti` given: `token` missing"),
    ],
    run: |ctx, params| api_token_revoke(ctx, ApiTokenRevokeRequest::parse(params)?),
};

request! {
    /// The token to revoke: itself or its id.
    pub struct ApiTokenRevokeRequest {
        /// The token itself.
        pub token: Option<String>,
        /// The id of the token (its ``jti`` claim).
        pub jti: Option<String>,
    }
}

fn api_token_revoke(ctx: &Context<'_>, request: ApiTokenRevokeRequest) -> ActionResult {
    let token = request.token.filter(|t| !t.is_empty());
    let jti = request.jti.filter(|t| !t.is_empty());
    if jti.is_none() && token.is_none() {
        // CKAN asks for `token` (`get_or_bust`) when there is no `jti`.
        return Err(ValidationErrors::single("token", MISSING_VALUE).into());
    }
    authenticated(ctx, "api_token_revoke")?;
    // CKAN's auth function does not tell an unknown token from someone else's (a bare 403);
    // a sysadmin, who skips it, revokes nothing.
    let unknown = || if ctx.actor.is_sysadmin() { Ok(()) } else { Err(ActionError::NotAuthorized(None)) };
    let Some(jti) = jti.or_else(|| token.and_then(|token| ctx.services.tokens.decode(&token))) else {
        return unknown().map(|()| Value::Null);
    };
    ctx.store().write(|tx| {
        let Some(stored) = tx.api_token(&jti)? else {
            return unknown();
        };
        require_owner(ctx, &stored.user_id)?;
        tx.delete_api_token(&stored.id)?;
        log::info!("API token {} revoked", stored.id);
        Ok::<_, ActionError>(())
    })?;
    Ok(Value::Null)
}
