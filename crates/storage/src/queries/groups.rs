use datahavn_domain::catalog::PackageRecord;
use datahavn_domain::group::{Group, Member, MemberKind, MemberState};
use diesel::prelude::*;

use crate::rows_catalog::{GroupRow, MemberRow, PackageRow};
use crate::schema::{groups, members, packages};
use crate::{StorageError, StorageResult, Tx};

/// What `organization_list` and `group_list` ask for.
#[derive(Debug, Clone, Default)]
pub struct GroupFilter {
    pub organizations: bool,
    /// Substring of name, title or description (case-insensitive).
    pub q: Option<String>,
    /// Only these names.
    pub names: Option<Vec<String>>,
    pub include_deleted: bool,
}

/// The datasets of one organization (by `owner_org`) or group (by membership) that a caller
/// sees: public ones, plus the private ones they may read.
#[derive(Debug, Clone, Default)]
pub struct GroupPackages {
    pub group_id: String,
    /// Datasets owned by the organization, else the datasets that are members of the group.
    pub organization: bool,
    /// Drafts too (every state but `deleted`); else active datasets only.
    pub drafts: bool,
    /// Every private dataset too (sysadmins).
    pub all_private: bool,
    /// Private datasets owned by these organizations (the caller's).
    pub readable_orgs: Vec<String>,
    /// These private datasets (the caller's collaborations).
    pub readable_ids: Vec<String>,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

fn like_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

fn group_packages_query(filter: &GroupPackages) -> packages::BoxedQuery<'static, crate::conn::MultiBackend> {
    let mut query = packages::table.into_boxed();
    query = if filter.drafts {
        query.filter(packages::state.ne("deleted"))
    } else {
        query.filter(packages::state.eq("active"))
    };
    if filter.organization {
        query = query.filter(packages::owner_org.eq(filter.group_id.clone()));
    } else {
        query = query.filter(
            packages::id.eq_any(
                members::table
                    .filter(members::group_id.eq(filter.group_id.clone()))
                    .filter(members::table_name.eq(MemberKind::Package.as_str()))
                    .filter(members::state.eq(MemberState::Active.as_str()))
                    .select(members::table_id),
            ),
        );
    }
    if !filter.all_private {
        let orgs = filter.readable_orgs.clone();
        let ids = filter.readable_ids.clone();
        query = match (orgs.is_empty(), ids.is_empty()) {
            (true, true) => query.filter(packages::private.eq(false)),
            (false, true) => query.filter(packages::private.eq(false).or(packages::owner_org.eq_any(orgs))),
            (true, false) => query.filter(packages::private.eq(false).or(packages::id.eq_any(ids))),
            (false, false) => query.filter(
                packages::private.eq(false).or(packages::owner_org.eq_any(orgs)).or(packages::id.eq_any(ids)),
            ),
        };
    }
    query
}

impl Tx<'_> {
    /// How many datasets of an organization or group the filter lets through.
    pub fn count_group_packages(&mut self, filter: &GroupPackages) -> StorageResult<i64> {
        Ok(group_packages_query(filter).count().get_result(self.conn())?)
    }

    /// Datasets of an organization or group, most recently modified first.
    pub fn group_packages(
        &mut self,
        filter: &GroupPackages,
        limit: Option<i64>,
    ) -> StorageResult<Vec<PackageRecord>> {
        let mut query = group_packages_query(filter)
            .select(PackageRow::as_select())
            .order((packages::metadata_modified.desc(), packages::id.asc()));
        if let Some(limit) = limit {
            query = query.limit(limit);
        }
        let rows = query.load(self.conn())?;
        rows.into_iter().map(PackageRecord::try_from).collect()
    }

    /// Active organizations or groups whose name or title contains `q` (case-insensitive), by
    /// title then name.
    pub fn autocomplete_groups(
        &mut self,
        q: &str,
        organizations: bool,
        limit: i64,
    ) -> StorageResult<Vec<Group>> {
        let pattern = like_pattern(q.trim());
        let rows = groups::table
            .filter(groups::is_organization.eq(organizations))
            .filter(groups::state.eq("active"))
            .filter(
                lower(groups::name)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(groups::title).like(pattern).escape('\\')),
            )
            .order((groups::title.asc(), groups::name.asc()))
            .limit(limit)
            .select(GroupRow::as_select())
            .load(self.conn())?;
        rows.into_iter().map(Group::try_from).collect()
    }

    pub fn insert_group(&mut self, group: &Group) -> StorageResult<()> {
        self.forget_groups();
        diesel::insert_into(groups::table).values(GroupRow::from(group)).execute(self.conn())?;
        Ok(())
    }

    pub fn update_group(&mut self, group: &Group) -> StorageResult<()> {
        self.forget_groups();
        let changed =
            diesel::update(groups::table.find(&group.id)).set(GroupRow::from(group)).execute(self.conn())?;
        if changed == 0 { Err(StorageError::NotFound) } else { Ok(()) }
    }

    /// An organization or group by id or name, whatever its state.
    pub fn group_by_id_or_name(&mut self, id_or_name: &str) -> StorageResult<Option<Group>> {
        if let Some(known) = self.known.as_deref()
            && let Some(group) = known.groups.get(id_or_name)
        {
            return Ok(Some(group.clone()));
        }
        let row = groups::table
            .filter(groups::id.eq(id_or_name).or(groups::name.eq(id_or_name)))
            .select(GroupRow::as_select())
            .first(self.conn_beside_pending())
            .optional()?;
        let group = row.map(Group::try_from).transpose()?;
        if let (Some(known), Some(group)) = (self.known.as_deref_mut(), &group) {
            known.groups.insert(id_or_name.to_owned(), group.clone());
        }
        Ok(group)
    }

    /// Forgets the groups a whole batch looked up ([`crate::Known`]), before a write of one.
    fn forget_groups(&mut self) {
        if let Some(known) = self.known.as_deref_mut() {
            known.groups.clear();
        }
    }

    pub fn groups_by_ids(&mut self, ids: &[String]) -> StorageResult<Vec<Group>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = groups::table
            .filter(groups::id.eq_any(ids))
            .select(GroupRow::as_select())
            .load(self.conn_beside_pending())?;
        rows.into_iter().map(Group::try_from).collect()
    }

    /// Organizations and groups with these names (one query).
    pub fn groups_by_names(&mut self, names: &[String]) -> StorageResult<Vec<Group>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let rows = groups::table
            .filter(groups::name.eq_any(names))
            .select(GroupRow::as_select())
            .load(self.conn())?;
        rows.into_iter().map(Group::try_from).collect()
    }

    /// Organizations or groups, by title then name.
    pub fn list_groups(&mut self, filter: &GroupFilter) -> StorageResult<Vec<Group>> {
        let mut query = groups::table
            .filter(groups::is_organization.eq(filter.organizations))
            .select(GroupRow::as_select())
            .into_boxed();
        if !filter.include_deleted {
            query = query.filter(groups::state.eq("active"));
        }
        if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
            let pattern = like_pattern(q);
            query = query.filter(
                lower(groups::name)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(groups::title).like(pattern.clone()).escape('\\'))
                    .or(lower(groups::description).like(pattern).escape('\\')),
            );
        }
        if let Some(names) = &filter.names {
            query = query.filter(groups::name.eq_any(names));
        }
        let rows = query.order((groups::title.asc(), groups::name.asc())).load(self.conn())?;
        rows.into_iter().map(Group::try_from).collect()
    }

    /// Removes an organization or group and its memberships for good.
    pub fn purge_group(&mut self, id: &str) -> StorageResult<()> {
        self.forget_groups();
        diesel::delete(
            members::table
                .filter(members::table_name.eq(MemberKind::Group.as_str()).and(members::table_id.eq(id))),
        )
        .execute(self.conn())?;
        let owned: Vec<String> =
            packages::table.filter(packages::owner_org.eq(id)).select(packages::id).load(self.conn())?;
        diesel::update(packages::table.filter(packages::owner_org.eq(id)))
            .set(packages::owner_org.eq(None::<String>))
            .execute(self.conn())?;
        for package_id in &owned {
            self.append_change(package_id)?;
        }
        diesel::delete(groups::table.find(id)).execute(self.conn())?;
        Ok(())
    }

    /// Creates or replaces the membership of an object in a group (one row per pair).
    pub fn upsert_member(&mut self, member: &Member) -> StorageResult<Member> {
        let existing = members::table
            .filter(members::group_id.eq(&member.group_id))
            .filter(members::table_name.eq(member.table_name.as_str()))
            .filter(members::table_id.eq(&member.table_id))
            .select(MemberRow::as_select())
            .first(self.conn_beside_pending())
            .optional()?;
        match existing {
            Some(row) => {
                let updated = Member { id: row.id.clone(), ..member.clone() };
                diesel::update(members::table.find(&row.id))
                    .set(MemberRow::from(&updated))
                    .execute(self.conn_beside_pending())?;
                Ok(updated)
            }
            None => {
                diesel::insert_into(members::table)
                    .values(MemberRow::from(member))
                    .execute(self.conn_beside_pending())?;
                Ok(member.clone())
            }
        }
    }

    /// Deletes a membership; false when there was none.
    pub fn delete_member(&mut self, group_id: &str, kind: MemberKind, table_id: &str) -> StorageResult<bool> {
        let deleted = diesel::delete(
            members::table
                .filter(members::group_id.eq(group_id))
                .filter(members::table_name.eq(kind.as_str()))
                .filter(members::table_id.eq(table_id)),
        )
        .execute(self.conn())?;
        Ok(deleted > 0)
    }

    /// Active members of a group, of one kind or all.
    pub fn members_of_group(
        &mut self,
        group_id: &str,
        kind: Option<MemberKind>,
    ) -> StorageResult<Vec<Member>> {
        let mut query = members::table
            .filter(members::group_id.eq(group_id))
            .filter(members::state.eq(MemberState::Active.as_str()))
            .select(MemberRow::as_select())
            .into_boxed();
        if let Some(kind) = kind {
            query = query.filter(members::table_name.eq(kind.as_str()));
        }
        let rows = query.order((members::table_name.asc(), members::table_id.asc())).load(self.conn())?;
        rows.into_iter().map(Member::try_from).collect()
    }

    /// The groups an object belongs to (active memberships).
    pub fn memberships_of(&mut self, kind: MemberKind, table_id: &str) -> StorageResult<Vec<Member>> {
        let rows = members::table
            .filter(members::table_name.eq(kind.as_str()))
            .filter(members::table_id.eq(table_id))
            .filter(members::state.eq(MemberState::Active.as_str()))
            .select(MemberRow::as_select())
            .load(self.conn_beside_pending())?;
        rows.into_iter().map(Member::try_from).collect()
    }

    /// Removes every membership of an object (a deleted user or dataset).
    pub fn delete_memberships_of(&mut self, kind: MemberKind, table_id: &str) -> StorageResult<usize> {
        Ok(diesel::delete(
            members::table
                .filter(members::table_name.eq(kind.as_str()))
                .filter(members::table_id.eq(table_id)),
        )
        .execute(self.conn())?)
    }

    /// Marks an object's active memberships deleted (a deleted dataset).
    pub fn mark_memberships_deleted(&mut self, kind: MemberKind, table_id: &str) -> StorageResult<usize> {
        Ok(diesel::update(
            members::table
                .filter(members::table_name.eq(kind.as_str()))
                .filter(members::table_id.eq(table_id))
                .filter(members::state.eq(MemberState::Active.as_str())),
        )
        .set(members::state.eq(MemberState::Deleted.as_str()))
        .execute(self.conn())?)
    }

    /// Removes every membership in a group (a deleted group).
    pub fn delete_members_of_group(&mut self, group_id: &str) -> StorageResult<usize> {
        Ok(diesel::delete(members::table.filter(members::group_id.eq(group_id))).execute(self.conn())?)
    }
}
