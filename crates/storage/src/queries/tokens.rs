use chrono::NaiveDateTime;
use datahavn_domain::Timestamp;
use datahavn_domain::user::{ApiToken, User};
use diesel::prelude::*;

use crate::rows::{ApiTokenRow, UserRow};
use crate::schema::{api_tokens, users};
use crate::{StorageResult, Tx};

impl Tx<'_> {
    pub fn insert_api_token(&mut self, token: &ApiToken) -> StorageResult<()> {
        diesel::insert_into(api_tokens::table).values(ApiTokenRow::from(token)).execute(self.conn())?;
        Ok(())
    }

    pub fn api_token(&mut self, id: &str) -> StorageResult<Option<ApiToken>> {
        let row =
            api_tokens::table.find(id).select(ApiTokenRow::as_select()).first(self.conn()).optional()?;
        Ok(row.map(ApiToken::from))
    }

    /// A token with its owner: the one lookup that authenticates a request.
    pub fn api_token_with_user(&mut self, id: &str) -> StorageResult<Option<(ApiToken, User)>> {
        let row = api_tokens::table
            .inner_join(users::table)
            .filter(api_tokens::id.eq(id))
            .select((ApiTokenRow::as_select(), UserRow::as_select()))
            .first::<(ApiTokenRow, UserRow)>(self.conn())
            .optional()?;
        match row {
            Some((token, user)) => Ok(Some((token.into(), User::try_from(user)?))),
            None => Ok(None),
        }
    }

    /// A user's tokens, oldest first.
    pub fn api_tokens_of(&mut self, user_id: &str) -> StorageResult<Vec<ApiToken>> {
        let rows = api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .order((api_tokens::created_at.asc(), api_tokens::id.asc()))
            .select(ApiTokenRow::as_select())
            .load(self.conn())?;
        Ok(rows.into_iter().map(ApiToken::from).collect())
    }

    /// Deletes a token; false when there was none.
    pub fn delete_api_token(&mut self, id: &str) -> StorageResult<bool> {
        let deleted = diesel::delete(api_tokens::table.find(id)).execute(self.conn())?;
        Ok(deleted > 0)
    }

    /// Records a use of the token, and of its owner, unless one was recorded after `stale_before`.
    pub fn touch_api_token(
        &mut self,
        token: &ApiToken,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> StorageResult<()> {
        let stale: NaiveDateTime = stale_before.naive();
        diesel::update(
            api_tokens::table
                .find(&token.id)
                .filter(api_tokens::last_access.is_null().or(api_tokens::last_access.lt(stale))),
        )
        .set(api_tokens::last_access.eq(now.naive()))
        .execute(self.conn())?;
        diesel::update(
            users::table
                .find(&token.user_id)
                .filter(users::last_active.is_null().or(users::last_active.lt(stale))),
        )
        .set(users::last_active.eq(now.naive()))
        .execute(self.conn())?;
        Ok(())
    }
}
