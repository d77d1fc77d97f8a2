//! Who follows whom and what (CKAN's `user_following_*` tables), and each user's dashboard.
//!
//! As CKAN's `ModelFollowingModel` counts and lists them, a row whose follower or object is
//! deleted is kept but neither counted nor listed; purging either end removes it (foreign keys
//! with `ON DELETE CASCADE`).

use chrono::NaiveDateTime;
use datahavn_domain::Timestamp;
use datahavn_domain::user::{Followed, Following};
use diesel::prelude::*;

use crate::schema::dashboard;
use crate::{StorageResult, Tx};

/// Runs `$body` with `$table` naming the follower table of `$kind` and `$objects` the table of
/// what it follows; the three tables have the same columns.
macro_rules! with_table {
    ($kind:expr, $table:ident, $objects:ident, $body:expr) => {
        match $kind {
            Followed::User => {
                #[allow(unused_imports)]
                use crate::schema::{user_following_user as $table, users as $objects};
                $body
            }
            Followed::Dataset => {
                #[allow(unused_imports)]
                use crate::schema::{packages as $objects, user_following_dataset as $table};
                $body
            }
            Followed::Group => {
                #[allow(unused_imports)]
                use crate::schema::{groups as $objects, user_following_group as $table};
                $body
            }
        }
    };
}

const DELETED: &str = "deleted";

fn following(row: (String, String, NaiveDateTime)) -> Following {
    Following { follower_id: row.0, object_id: row.1, datetime: Timestamp::from_naive(row.2) }
}

impl Tx<'_> {
    /// The row of `follower_id` following `object_id`, whatever the state of either.
    pub fn following_row(
        &mut self,
        kind: Followed,
        follower_id: &str,
        object_id: &str,
    ) -> StorageResult<Option<Following>> {
        let row: Option<(String, String, NaiveDateTime)> = with_table!(kind, t, o, {
            t::table
                .filter(t::follower_id.eq(follower_id).and(t::object_id.eq(object_id)))
                .select((t::follower_id, t::object_id, t::datetime))
                .first(self.conn())
                .optional()?
        });
        Ok(row.map(following))
    }

    /// Whether `follower_id` follows `object_id`, neither of them deleted (CKAN's
    /// `is_following`).
    pub fn is_following(
        &mut self,
        kind: Followed,
        follower_id: &str,
        object_id: &str,
    ) -> StorageResult<bool> {
        use crate::schema::users;
        let found: i64 = with_table!(kind, t, o, {
            t::table
                .filter(t::follower_id.eq(follower_id).and(t::object_id.eq(object_id)))
                .filter(
                    t::follower_id.eq_any(users::table.filter(users::state.ne(DELETED)).select(users::id)),
                )
                .filter(t::object_id.eq_any(o::table.filter(o::state.ne(DELETED)).select(o::id)))
                .count()
                .get_result(self.conn())?
        });
        Ok(found > 0)
    }

    pub fn insert_following(&mut self, kind: Followed, row: &Following) -> StorageResult<()> {
        with_table!(kind, t, o, {
            diesel::insert_into(t::table)
                .values((
                    t::follower_id.eq(&row.follower_id),
                    t::object_id.eq(&row.object_id),
                    t::datetime.eq(row.datetime.naive()),
                ))
                .execute(self.conn())?;
        });
        Ok(())
    }

    /// Removes a following; false when there was none.
    pub fn delete_following(
        &mut self,
        kind: Followed,
        follower_id: &str,
        object_id: &str,
    ) -> StorageResult<bool> {
        let deleted = with_table!(kind, t, o, {
            diesel::delete(t::table.filter(t::follower_id.eq(follower_id).and(t::object_id.eq(object_id))))
                .execute(self.conn())?
        });
        Ok(deleted > 0)
    }

    /// The ids of the users, not deleted, who follow `object_id` (itself not deleted), longest
    /// followers first.
    pub fn follower_ids(&mut self, kind: Followed, object_id: &str) -> StorageResult<Vec<String>> {
        use crate::schema::users;
        let ids = with_table!(kind, t, o, {
            t::table
                .filter(t::object_id.eq(object_id))
                .filter(
                    t::follower_id.eq_any(users::table.filter(users::state.ne(DELETED)).select(users::id)),
                )
                .filter(t::object_id.eq_any(o::table.filter(o::state.ne(DELETED)).select(o::id)))
                .order((t::datetime.asc(), t::follower_id.asc()))
                .select(t::follower_id)
                .load(self.conn())?
        });
        Ok(ids)
    }

    /// The ids of what `follower_id` (not deleted) follows that is not deleted, oldest first.
    pub fn followee_ids(&mut self, kind: Followed, follower_id: &str) -> StorageResult<Vec<String>> {
        use crate::schema::users;
        let ids = with_table!(kind, t, o, {
            t::table
                .filter(t::follower_id.eq(follower_id))
                .filter(
                    t::follower_id.eq_any(users::table.filter(users::state.ne(DELETED)).select(users::id)),
                )
                .filter(t::object_id.eq_any(o::table.filter(o::state.ne(DELETED)).select(o::id)))
                .order((t::datetime.asc(), t::object_id.asc()))
                .select(t::object_id)
                .load(self.conn())?
        });
        Ok(ids)
    }

    /// When the user last looked at their dashboard's activity stream; `None` if never marked.
    pub fn dashboard_last_viewed(&mut self, user_id: &str) -> StorageResult<Option<Timestamp>> {
        let seen: Option<NaiveDateTime> = dashboard::table
            .find(user_id)
            .select(dashboard::activity_stream_last_viewed)
            .first(self.conn())
            .optional()?;
        Ok(seen.map(Timestamp::from_naive))
    }

    /// Marks the user's dashboard activities as seen up to `at` (the row is made when missing).
    pub fn mark_dashboard_viewed(&mut self, user_id: &str, at: Timestamp) -> StorageResult<()> {
        let updated = diesel::update(dashboard::table.find(user_id))
            .set(dashboard::activity_stream_last_viewed.eq(at.naive()))
            .execute(self.conn())?;
        if updated == 0 {
            diesel::insert_into(dashboard::table)
                .values((
                    dashboard::user_id.eq(user_id),
                    dashboard::activity_stream_last_viewed.eq(at.naive()),
                    dashboard::email_last_sent.eq(at.naive()),
                ))
                .execute(self.conn())?;
        }
        Ok(())
    }
}
