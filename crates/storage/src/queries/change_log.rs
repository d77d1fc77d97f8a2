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
        // In a whole batch on PostgreSQL, with the batch's other waiting rows.
        if let Some(queue) = self.queue.as_deref_mut() {
            queue.changes.push((package_id.to_owned(), Timestamp::now().naive()));
            self.changed.push(package_id.to_owned());
            return Ok(());
        }
        diesel::insert_into(change_log::table)
            .values((
                change_log::package_id.eq(package_id),
                change_log::changed_at.eq(Timestamp::now().naive()),
            ))
            .execute(self.conn_beside_pending())?;
        self.changed.push(package_id.to_owned());
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

    /// Every active dataset's id, whether it is private and when it was last modified.
    pub fn active_package_times(&mut self) -> StorageResult<Vec<(String, bool, datahavn_domain::Timestamp)>> {
        let rows: Vec<(String, bool, chrono::NaiveDateTime)> = packages::table
            .filter(packages::state.eq("active"))
            .select((packages::id, packages::private, packages::metadata_modified))
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(|(id, private, modified)| (id, private, datahavn_domain::Timestamp::from_naive(modified)))
            .collect())
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

/// A reader's place in the change log: the newest change it has taken in, and the numbers
/// below it that had not committed when it passed them (PostgreSQL hands out sequence values
/// before the commit, so a change may appear below the position later). Such numbers are
/// watched for a while, then given up.
#[derive(Debug, Clone)]
pub struct ChangeCursor {
    position: i64,
    gaps: std::collections::BTreeMap<i64, std::time::Instant>,
}

impl ChangeCursor {
    /// How long a skipped number is watched for a late commit.
    pub const GAP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);
    /// How many changes one query reads.
    const BATCH: i64 = 500;

    /// A cursor after `position`, watching no gaps (a position recorded earlier).
    pub fn at(position: i64) -> Self {
        Self { position, gaps: std::collections::BTreeMap::new() }
    }

    /// A cursor at the newest change now, watching the numbers below it that have not
    /// committed yet.
    pub fn at_head(tx: &mut Tx<'_>) -> StorageResult<Self> {
        let position = tx.last_change_seq()?;
        let window = (position - Self::BATCH).max(0);
        let committed: std::collections::BTreeSet<i64> =
            tx.changes_after(window, Self::BATCH)?.into_iter().map(|(seq, _)| seq).collect();
        let now = std::time::Instant::now();
        let gaps =
            (window + 1..=position).filter(|seq| !committed.contains(seq)).map(|seq| (seq, now)).collect();
        Ok(Self { position, gaps })
    }

    /// The newest change taken in.
    pub fn position(&self) -> i64 {
        self.position
    }

    /// The position a restart may resume from: before the oldest change that may still commit.
    pub fn resumable(&self) -> i64 {
        self.gaps.keys().next().map_or(self.position, |oldest| oldest - 1)
    }

    /// The datasets changed by the changes committed since the last call (late commits of
    /// watched numbers included). Cheap when nothing changed: one indexed query.
    pub fn advance(&mut self, store: &crate::Store) -> StorageResult<std::collections::BTreeSet<String>> {
        let mut changed = std::collections::BTreeSet::new();
        self.gaps.retain(|_, seen| seen.elapsed() < Self::GAP_PATIENCE);
        if !self.gaps.is_empty() {
            let wanted: Vec<i64> = self.gaps.keys().copied().collect();
            for (seq, id) in store.read(|tx| tx.changes_in(&wanted))? {
                self.gaps.remove(&seq);
                changed.insert(id);
            }
        }
        loop {
            let batch = store.read(|tx| tx.changes_after(self.position, Self::BATCH))?;
            let Some(&(last, _)) = batch.last() else { break };
            let mut expected = self.position + 1;
            let now = std::time::Instant::now();
            for (seq, id) in batch {
                while expected < seq {
                    self.gaps.insert(expected, now);
                    expected += 1;
                }
                expected = seq + 1;
                changed.insert(id);
            }
            self.position = last;
        }
        Ok(changed)
    }
}
