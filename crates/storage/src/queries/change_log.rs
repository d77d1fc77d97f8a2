use datahavn_domain::Timestamp;
use datahavn_domain::group::MemberKind;
use diesel::prelude::*;

use crate::rows_catalog::PackageRow;
use crate::schema::{change_log, database_identity, packages};
use crate::{StorageResult, Tx};

/// A dataset as the search index needs it.
#[derive(Debug, Clone)]
pub struct IndexedPackage {
    pub record: datahavn_domain::catalog::PackageRecord,
    /// Names of its (non-organization) groups.
    pub group_names: Vec<String>,
    /// Name of its organization.
    pub organization: Option<String>,
    /// Vocabulary tags: (vocabulary name, tag name).
    pub vocabulary_tags: Vec<(String, String)>,
}

impl Tx<'_> {
    /// Notes that a dataset changed (called by every write to `packages`).
    pub(crate) fn append_change(&mut self, package_id: &str) -> StorageResult<()> {
        diesel::insert_into(change_log::table)
            .values((
                change_log::package_id.eq(package_id),
                change_log::changed_at.eq(Timestamp::now().naive()),
            ))
            .execute(self.conn())?;
        Ok(())
    }

    /// How many datasets there are, in every state.
    pub fn package_total(&mut self) -> StorageResult<i64> {
        Ok(packages::table.count().get_result(self.conn())?)
    }

    /// This database's identity (made by its migrations, never changed).
    pub fn database_id(&mut self) -> StorageResult<String> {
        Ok(database_identity::table.select(database_identity::id).first(self.conn())?)
    }

    /// The newest change's sequence number (0 when there is none).
    pub fn last_change_seq(&mut self) -> StorageResult<i64> {
        let max: Option<i64> =
            change_log::table.select(diesel::dsl::max(change_log::seq)).first(self.conn())?;
        Ok(max.unwrap_or(0))
    }

    /// Changes after `seq`, oldest first: `(seq, package id)`.
    pub fn changes_after(&mut self, seq: i64, limit: i64) -> StorageResult<Vec<(i64, String)>> {
        Ok(change_log::table
            .filter(change_log::seq.gt(seq))
            .order(change_log::seq.asc())
            .limit(limit)
            .select((change_log::seq, change_log::package_id))
            .load(self.conn())?)
    }

    /// The changes with these sequence numbers (late commits of numbers seen missing).
    pub fn changes_in(&mut self, seqs: &[i64]) -> StorageResult<Vec<(i64, String)>> {
        Ok(change_log::table
            .filter(change_log::seq.eq_any(seqs))
            .select((change_log::seq, change_log::package_id))
            .load(self.conn())?)
    }

    /// Every dataset id, in id order, after `after` (paging through the whole catalogue).
    pub fn package_ids_page(&mut self, after: &str, limit: i64) -> StorageResult<Vec<String>> {
        Ok(packages::table
            .filter(packages::id.gt(after))
            .order(packages::id.asc())
            .limit(limit)
            .select(packages::id)
            .load(self.conn())?)
    }

    /// Datasets with their organization and group names, for indexing.
    pub fn packages_for_index(&mut self, ids: &[String]) -> StorageResult<Vec<IndexedPackage>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<PackageRow> = packages::table
            .filter(packages::id.eq_any(ids))
            .select(PackageRow::as_select())
            .load(self.conn())?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let record = datahavn_domain::catalog::PackageRecord::try_from(row)?;
            let organization = match &record.owner_org {
                Some(org) => self.group_by_id_or_name(org)?.filter(|g| g.is_active()).map(|g| g.name),
                None => None,
            };
            let group_ids: Vec<String> = self
                .memberships_of(MemberKind::Package, &record.id)?
                .into_iter()
                .map(|m| m.group_id)
                .collect();
            let group_names = self
                .groups_by_ids(&group_ids)?
                .into_iter()
                .filter(|g| g.is_active() && !g.is_organization)
                .map(|g| g.name)
                .collect();
            let mut vocabulary_tags = Vec::new();
            let tags = record
                .document
                .get("tags")
                .and_then(serde_json::Value::as_array)
                .cloned()
                .unwrap_or_default();
            for tag in tags {
                let (Some(vocabulary), Some(name)) = (
                    tag.get("vocabulary_id").and_then(|v| v.as_str()),
                    tag.get("name").and_then(|v| v.as_str()),
                ) else {
                    continue;
                };
                if let Some(found) = self.vocabulary_by_id_or_name(vocabulary)? {
                    vocabulary_tags.push((found.name, name.to_owned()));
                }
            }
            out.push(IndexedPackage { record, group_names, organization, vocabulary_tags });
        }
        Ok(out)
    }
}
