use std::collections::HashMap;

use datahavn_domain::user::User;
use diesel::prelude::*;

use crate::rows::UserRow;
use crate::schema::{packages, users};
use crate::{StorageResult, Tx};

/// What `user_list` asks for.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Substring of name or full name (case-insensitive); of the email too when
    /// `q_matches_email` (only sysadmins may search by email).
    pub q: Option<String>,
    pub q_matches_email: bool,
    /// Exact email (case-insensitive).
    pub email: Option<String>,
    /// Leave out deleted users.
    pub active_only: bool,
    /// Sort by `name`, `created`, `sysadmin` or display name (the default).
    pub order_by: UserOrder,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UserOrder {
    #[default]
    DisplayName,
    Name,
    Created,
}

fn like_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl Tx<'_> {
    pub fn insert_user(&mut self, user: &User) -> StorageResult<()> {
        diesel::insert_into(users::table).values(UserRow::from(user)).execute(self.conn())?;
        Ok(())
    }

    pub fn update_user(&mut self, user: &User) -> StorageResult<()> {
        let changed =
            diesel::update(users::table.find(&user.id)).set(UserRow::from(user)).execute(self.conn())?;
        if changed == 0 { Err(crate::StorageError::NotFound) } else { Ok(()) }
    }

    /// A user by id or by name, whatever its state.
    pub fn user_by_id_or_name(&mut self, id_or_name: &str) -> StorageResult<Option<User>> {
        let row = users::table
            .filter(users::id.eq(id_or_name).or(users::name.eq(id_or_name)))
            .select(UserRow::as_select())
            .first(self.conn())
            .optional()?;
        row.map(User::try_from).transpose()
    }

    /// The user holding an email address (case-insensitive), whatever its state.
    pub fn user_by_email(&mut self, email: &str) -> StorageResult<Option<User>> {
        diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);
        let row = users::table
            .filter(lower(users::email).eq(email.to_lowercase()))
            .select(UserRow::as_select())
            .first(self.conn())
            .optional()?;
        row.map(User::try_from).transpose()
    }

    pub fn list_users(&mut self, filter: &UserFilter) -> StorageResult<Vec<User>> {
        diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);
        diesel::define_sql_function!(fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::Text>, y: diesel::sql_types::Text) -> diesel::sql_types::Text);
        let mut query = users::table.select(UserRow::as_select()).into_boxed();
        if filter.active_only {
            query = query.filter(users::state.ne("deleted"));
        }
        if let Some(email) = &filter.email {
            query = query.filter(lower(users::email).eq(email.to_lowercase()));
        }
        if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
            let pattern = like_pattern(q);
            let by_name = lower(users::name).like(pattern.clone()).escape('\\').or(lower(coalesce(
                users::fullname,
                "",
            ))
            .like(pattern.clone())
            .escape('\\'));
            query = if filter.q_matches_email {
                query.filter(by_name.or(lower(users::email).like(pattern).escape('\\')))
            } else {
                query.filter(by_name)
            };
        }
        query = match filter.order_by {
            UserOrder::DisplayName => {
                query.order((lower(coalesce(users::fullname, users::name)).asc(), users::name.asc()))
            }
            UserOrder::Name => query.order(users::name.asc()),
            UserOrder::Created => query.order((users::created.asc(), users::name.asc())),
        };
        let rows = query.limit(filter.limit).offset(filter.offset).load(self.conn())?;
        rows.into_iter().map(User::try_from).collect()
    }

    /// CKAN's `User.number_created_packages` of each of these users (those with none are left
    /// out): the datasets they created that are active and public, or with `private_and_drafts`
    /// every one not deleted.
    pub fn created_package_counts(
        &mut self,
        user_ids: &[String],
        private_and_drafts: bool,
    ) -> StorageResult<HashMap<String, i64>> {
        let mut counts = HashMap::new();
        // A bounded number of ids per query keeps under the backends' limits on bound values.
        for chunk in user_ids.chunks(500) {
            let mut query = packages::table
                .filter(packages::creator_user_id.eq_any(chunk))
                .group_by(packages::creator_user_id)
                .select((packages::creator_user_id, diesel::dsl::count_star()))
                .into_boxed();
            query = if private_and_drafts {
                query.filter(packages::state.ne("deleted"))
            } else {
                query.filter(packages::state.eq("active")).filter(packages::private.eq(false))
            };
            let rows: Vec<(Option<String>, i64)> = query.load(self.conn())?;
            counts.extend(rows.into_iter().filter_map(|(id, n)| id.map(|id| (id, n))));
        }
        Ok(counts)
    }

    /// Active users whose name or full name contains `q` (and email, when `by_email`).
    pub fn autocomplete_users(&mut self, q: &str, by_email: bool, limit: i64) -> StorageResult<Vec<User>> {
        self.list_users(&UserFilter {
            q: Some(q.to_owned()),
            q_matches_email: by_email,
            active_only: true,
            order_by: UserOrder::Name,
            limit,
            ..UserFilter::default()
        })
    }
}
