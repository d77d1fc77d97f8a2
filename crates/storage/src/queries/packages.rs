use datahavn_domain::Timestamp;
use datahavn_domain::catalog::{
    Collaborator, PackageRecord, Relationship, ResourceRecord, TagRecord, Vocabulary,
};
use datahavn_domain::group::MemberKind;
use diesel::prelude::*;

use crate::rows_catalog::{PackageRow, ResourceRow, TagRow};
use crate::schema::{
    activities, members, package_collaborators, package_relationships, package_tags, packages,
    resource_views, resources, tags, vocabularies,
};
use crate::{StorageError, StorageResult, Tx};

/// A resource's index columns but its id: what its row is written with.
type ResourceColumns<'a> = (
    diesel::dsl::Eq<resources::package_id, &'a String>,
    diesel::dsl::Eq<resources::position, i32>,
    diesel::dsl::Eq<resources::state, &'a String>,
    diesel::dsl::Eq<resources::url, &'a String>,
    diesel::dsl::Eq<resources::format, &'a String>,
    diesel::dsl::Eq<resources::name, &'a String>,
    diesel::dsl::Eq<resources::description, &'a String>,
    diesel::dsl::Eq<resources::hash, &'a String>,
);

fn resource_columns(r: &ResourceRecord) -> ResourceColumns<'_> {
    (
        resources::package_id.eq(&r.package_id),
        resources::position.eq(r.position),
        resources::state.eq(&r.state),
        resources::url.eq(&r.url),
        resources::format.eq(&r.format),
        resources::name.eq(&r.name),
        resources::description.eq(&r.description),
        resources::hash.eq(&r.hash),
    )
}

impl Tx<'_> {
    pub fn insert_package(&mut self, package: &PackageRecord) -> StorageResult<()> {
        // In a whole batch on PostgreSQL, the row waits in the batch's queue with the others.
        if self.queue.as_ref().is_some_and(|queue| queue.packages.len() >= crate::Queue::MOST) {
            self.insert_queued()?;
        }
        if let Some(queue) = self.queue.as_deref_mut() {
            queue.ids.insert(package.id.clone());
            queue.packages.push(PackageRow::new(package, false));
            return self.append_change(&package.id);
        }
        // In a whole batch on SQLite, the packing thread packs this dataset's values while the
        // writer goes on; the row waits for them ([`crate::Pending`]).
        if self.later.is_some() {
            self.finish_packing()?;
            // A map of text keys to JSON values always serializes.
            let document = serde_json::to_string(&package.document).unwrap_or_default();
            if let Ok(later) = crate::pack::pack_later(document, package.rendered.clone()) {
                let row = PackageRow::with_values(package, Vec::new(), Vec::new());
                if let Some(slot) = self.later.as_deref_mut() {
                    let (resources, tag_ids, activities) = (Vec::new(), Vec::new(), Vec::new());
                    *slot = Some(crate::Pending { row, later, resources, tag_ids, activities });
                }
                return self.append_change(&package.id);
            }
        }
        let row = PackageRow::new(package, self.is_sqlite());
        diesel::insert_into(packages::table).values(row.insert_values()).execute(self.conn())?;
        self.append_change(&package.id)
    }

    /// Inserts the dataset [`Tx::insert_package`] left waiting for its packed values in this
    /// batch, then its resources, tags and the activities recording its dict.
    pub(crate) fn finish_packing(&mut self) -> StorageResult<()> {
        let Some(crate::Pending { mut row, later, resources, tag_ids, activities }) =
            self.later.as_deref_mut().and_then(Option::take)
        else {
            return Ok(());
        };
        (row.document, row.rendered) = later.finish();
        diesel::insert_into(packages::table)
            .values(row.insert_values())
            .execute(self.conn_beside_pending())?;
        self.insert_resources(&resources)?;
        self.add_package_tags(&row.id, &tag_ids)?;
        for (mut activity, actor) in activities {
            activity.data = crate::pack::package_activity(&actor, &row.rendered);
            let insert = diesel::insert_into(activities::table).values(activity.insert_values());
            insert.execute(self.conn_beside_pending())?;
        }
        Ok(())
    }

    /// Inserts the rows waiting in the batch's [`crate::Queue`]: one statement per table, the
    /// datasets before the rows that refer to them.
    pub(crate) fn insert_queued(&mut self) -> StorageResult<()> {
        let Some(queue) = self.queue.as_deref_mut() else { return Ok(()) };
        let crate::Queue { packages, resources, tags, activities, changes, .. } = std::mem::take(queue);
        let crate::conn::AnyConnection::Postgresql(conn) = self.conn_beside_pending() else {
            return Err(StorageError::Internal("rows queued on SQLite".into()));
        };
        if !packages.is_empty() {
            unnest::PackageRows::new(packages).execute(conn)?;
        }
        if !resources.is_empty() {
            unnest::ResourceRows::new(&resources).execute(conn)?;
        }
        if !tags[0].is_empty() {
            unnest::TagPairs { columns: &tags }.execute(conn)?;
        }
        if !activities.is_empty() {
            unnest::ActivityRows::new(activities).execute(conn)?;
        }
        if !changes.is_empty() {
            unnest::Changes::new(changes).execute(conn)?;
        }
        Ok(())
    }

    /// The dataset waiting for its packed values, if it is `id`.
    pub(crate) fn pending(&mut self, id: &str) -> Option<&mut crate::Pending> {
        self.later.as_deref_mut().and_then(Option::as_mut).filter(|pending| pending.row.id == id)
    }

    pub fn update_package(&mut self, package: &PackageRecord) -> StorageResult<()> {
        self.finish_packing()?;
        let row = PackageRow::new(package, self.is_sqlite());
        let changed = diesel::update(packages::table.find(&package.id)).set(row).execute(self.conn())?;
        if changed == 0 {
            return Err(StorageError::NotFound);
        }
        self.append_change(&package.id)
    }

    /// Stores a new rendering of a dataset, `package.rendered`.
    pub fn set_package_rendered(&mut self, package: &PackageRecord) -> StorageResult<()> {
        self.store_rendered(package)?;
        self.append_change(&package.id)
    }

    /// Stores the rendering of a dataset this transaction inserted or updated (whose change is
    /// in the change log already), `package.rendered`; its document, `package.document`, is
    /// stored again with it, as it is packed against the rendered dict ([`crate::pack`]).
    pub fn store_rendered(&mut self, package: &PackageRecord) -> StorageResult<()> {
        let row = PackageRow::new(package, false);
        diesel::update(packages::table.find(&package.id))
            .set((packages::document.eq(&row.document), packages::rendered.eq(&row.rendered)))
            .execute(self.conn())?;
        Ok(())
    }

    /// A dataset by id, else by name (a live dataset before a deleted one of that name).
    pub fn package_by_id_or_name(&mut self, id_or_name: &str) -> StorageResult<Option<PackageRecord>> {
        let found = self.package_row_by_id_or_name(id_or_name)?;
        // A write reads the dataset to change it: on PostgreSQL its row is locked until the
        // transaction ends, and read again, so two writes of one dataset never overwrite each
        // other's changes (SQLite has one writer at a time).
        let found = match (found, &mut *self.conn) {
            (Some(row), crate::conn::AnyConnection::Postgresql(pg)) if self.writing => {
                diesel::sql_query("SELECT id FROM packages WHERE id = $1 FOR UPDATE")
                    .bind::<diesel::sql_types::Text, _>(&row.id)
                    .execute(pg)?;
                packages::table.find(&row.id).select(PackageRow::as_select()).first(self.conn()).optional()?
            }
            (found, _) => found,
        };
        found.map(PackageRecord::try_from).transpose()
    }

    fn package_row_by_id_or_name(&mut self, id_or_name: &str) -> StorageResult<Option<PackageRow>> {
        let by_id =
            packages::table.find(id_or_name).select(PackageRow::as_select()).first(self.conn()).optional()?;
        let row = match by_id {
            Some(row) => Some(row),
            None => packages::table
                .filter(packages::name.eq(id_or_name))
                .order((packages::state.eq("deleted"), packages::metadata_modified.desc()))
                .select(PackageRow::as_select())
                .first(self.conn())
                .optional()?,
        };
        Ok(row)
    }

    /// What `package_show` needs: who may read the dataset, its name and its rendered dict as
    /// stored (packed: [`crate::pack::unpack`] gives the text).
    pub fn package_access_name_and_rendered(
        &mut self,
        id_or_name: &str,
    ) -> StorageResult<Option<(datahavn_domain::authz::PackageAccess, String, Vec<u8>)>> {
        type Row = (String, String, String, bool, Option<String>, Option<String>, Vec<u8>);
        let columns = (
            packages::id,
            packages::name,
            packages::state,
            packages::private,
            packages::owner_org,
            packages::creator_user_id,
            packages::rendered,
        );
        // An id match first, then a live dataset of that name, then the newest: two lookups of
        // one index each (one query with `id = ? OR name = ?` is planned as a scan of the
        // whole table where PostgreSQL has no statistics yet).
        let mut row: Option<Row> = packages::table
            .filter(packages::id.eq(id_or_name))
            .select(columns)
            .first(self.conn())
            .optional()?;
        if row.is_none() {
            row = packages::table
                .filter(packages::name.eq(id_or_name))
                .order((packages::state.eq("deleted"), packages::metadata_modified.desc()))
                .select(columns)
                .first(self.conn())
                .optional()?;
        }
        let Some((id, name, state, private, owner_org, creator_user_id, rendered)) = row else {
            return Ok(None);
        };
        let state = datahavn_domain::package::PackageState::parse(&state)
            .ok_or_else(|| StorageError::Internal(format!("package {id}: bad state")))?;
        Ok(Some((
            datahavn_domain::authz::PackageAccess { id, state, private, owner_org, creator_user_id },
            name,
            rendered,
        )))
    }

    /// Who may read the dataset a resource belongs to, in one round trip and without its document.
    pub fn resource_package_access(
        &mut self,
        resource_id: &str,
    ) -> StorageResult<Option<datahavn_domain::authz::PackageAccess>> {
        type Row = (String, String, bool, Option<String>, Option<String>);
        let row: Option<Row> = resources::table
            .inner_join(packages::table)
            .filter(resources::id.eq(resource_id))
            .select((
                packages::id,
                packages::state,
                packages::private,
                packages::owner_org,
                packages::creator_user_id,
            ))
            .first(self.conn())
            .optional()?;
        let Some((id, state, private, owner_org, creator_user_id)) = row else {
            return Ok(None);
        };
        let state = datahavn_domain::package::PackageState::parse(&state)
            .ok_or_else(|| StorageError::Internal(format!("package {id}: bad state")))?;
        Ok(Some(datahavn_domain::authz::PackageAccess { id, state, private, owner_org, creator_user_id }))
    }

    /// The live (not deleted) dataset holding a name.
    pub fn live_package_named(&mut self, name: &str) -> StorageResult<Option<PackageRecord>> {
        let row = packages::table
            .filter(packages::name.eq(name))
            .filter(packages::state.ne("deleted"))
            .select(PackageRow::as_select())
            .first(self.conn())
            .optional()?;
        row.map(PackageRecord::try_from).transpose()
    }

    /// The id and state of every dataset holding `name` (at most one not deleted).
    pub fn packages_named(
        &mut self,
        name: &str,
    ) -> StorageResult<Vec<(String, datahavn_domain::package::PackageState)>> {
        // A dataset waiting for its packed values holds its name too (it is not written for this).
        let mut rows: Vec<(String, String)> = packages::table
            .filter(packages::name.eq(name))
            .select((packages::id, packages::state))
            .load(self.conn_beside_pending())?;
        if let Some(Some(pending)) = self.later.as_deref()
            && pending.row.name == name
        {
            rows.push((pending.row.id.clone(), pending.row.state.clone()));
        }
        if let Some(queue) = self.queue.as_deref() {
            let queued = queue.packages.iter().filter(|row| row.name == name);
            rows.extend(queued.map(|row| (row.id.clone(), row.state.clone())));
        }
        rows.into_iter()
            .map(|(id, state)| {
                let state = datahavn_domain::package::PackageState::parse(&state)
                    .ok_or_else(|| StorageError::Internal(format!("package {id}: bad state")))?;
                Ok((id, state))
            })
            .collect()
    }

    /// Renames deleted datasets holding `name` to their id, so a new dataset may take it;
    /// returns their ids.
    pub fn free_name_of_deleted(&mut self, name: &str) -> StorageResult<Vec<String>> {
        let ids: Vec<String> = packages::table
            .filter(packages::name.eq(name))
            .filter(packages::state.eq("deleted"))
            .select(packages::id)
            .load(self.conn())?;
        for id in &ids {
            diesel::update(packages::table.find(id)).set(packages::name.eq(id)).execute(self.conn())?;
            self.append_change(id)?;
        }
        Ok(ids)
    }

    pub fn packages_by_ids(&mut self, ids: &[String]) -> StorageResult<Vec<PackageRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = packages::table
            .filter(packages::id.eq_any(ids))
            .select(PackageRow::as_select())
            .load(self.conn())?;
        rows.into_iter().map(PackageRecord::try_from).collect()
    }

    /// Names of active public datasets, sorted (`package_list`).
    pub fn public_package_names(&mut self, limit: Option<i64>, offset: i64) -> StorageResult<Vec<String>> {
        // SQLite refuses OFFSET without LIMIT. The condition is written out as the partial
        // index `packages_public_name_idx` states it (a bound value would not match it).
        Ok(packages::table
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("state = 'active' AND private = false"))
            .select(packages::name)
            .order(packages::name.asc())
            .limit(limit.unwrap_or(i64::MAX))
            .offset(offset)
            .load(self.conn())?)
    }

    /// Live datasets of an organization (ids), any visibility.
    pub fn package_ids_of_org(&mut self, org_id: &str) -> StorageResult<Vec<String>> {
        Ok(packages::table
            .filter(packages::owner_org.eq(org_id))
            .filter(packages::state.ne("deleted"))
            .select(packages::id)
            .load(self.conn())?)
    }

    /// Every dataset id of an organization, deleted ones included (re-rendering).
    pub fn all_package_ids_of_org(&mut self, org_id: &str) -> StorageResult<Vec<String>> {
        Ok(packages::table.filter(packages::owner_org.eq(org_id)).select(packages::id).load(self.conn())?)
    }

    /// Removes a dataset and everything hanging from it.
    pub fn purge_package(&mut self, id: &str) -> StorageResult<()> {
        diesel::delete(
            members::table
                .filter(members::table_name.eq(MemberKind::Package.as_str()).and(members::table_id.eq(id))),
        )
        .execute(self.conn())?;
        diesel::delete(packages::table.find(id)).execute(self.conn())?;
        self.append_change(id)
    }

    /// The resources of a dataset this transaction inserted. PostgreSQL: one statement for all
    /// of them, each column's values bound as one array (`unnest`), prepared once per
    /// connection. SQLite: one prepared statement run per row, kept by the connection — a
    /// statement inserting several rows would be prepared anew for each number of rows, and
    /// SQLite copies every page it changes into a statement journal so that it can undo it alone.
    pub fn insert_resources(&mut self, rows: &[ResourceRecord]) -> StorageResult<()> {
        // Those of the dataset waiting for its packed values wait with it.
        if let Some(first) = rows.first()
            && rows.iter().all(|r| r.package_id == first.package_id)
            && let Some(pending) = self.pending(&first.package_id)
        {
            pending.resources.extend_from_slice(rows);
            return Ok(());
        }
        if let Some(queue) = self.queue.as_deref_mut()
            && rows.iter().all(|r| queue.holds(&r.package_id))
        {
            queue.resources.extend_from_slice(rows);
            return Ok(());
        }
        // Rows of several datasets, one of them perhaps the waiting one: it is written first.
        match self.conn() {
            crate::conn::AnyConnection::Postgresql(conn) => {
                if !rows.is_empty() {
                    unnest::ResourceRows::new(rows).execute(conn)?;
                }
            }
            crate::conn::AnyConnection::Sqlite(conn) => {
                for r in rows {
                    diesel::insert_into(resources::table)
                        .values((resources::id.eq(&r.id), resource_columns(r)))
                        .execute(conn)?;
                }
            }
        }
        Ok(())
    }

    /// Replaces a dataset's resource index rows.
    pub fn replace_resources(&mut self, package_id: &str, rows: &[ResourceRecord]) -> StorageResult<()> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        diesel::delete(
            resource_views::table.filter(
                resource_views::resource_id.eq_any(
                    resources::table
                        .filter(resources::package_id.eq(package_id))
                        .filter(resources::id.ne_all(ids.clone()))
                        .select(resources::id),
                ),
            ),
        )
        .execute(self.conn())?;
        diesel::delete(
            resources::table.filter(resources::package_id.eq(package_id)).filter(resources::id.ne_all(ids)),
        )
        .execute(self.conn())?;
        // Kept resources are updated in place: deleting their rows would take their views along
        // (ON DELETE CASCADE). One statement per row.
        for r in rows {
            let changed =
                diesel::update(resources::table.find(&r.id)).set(resource_columns(r)).execute(self.conn())?;
            if changed == 0 {
                diesel::insert_into(resources::table)
                    .values((resources::id.eq(&r.id), resource_columns(r)))
                    .execute(self.conn())?;
            }
        }
        Ok(())
    }

    pub fn resource_by_id(&mut self, id: &str) -> StorageResult<Option<ResourceRecord>> {
        let row = resources::table.find(id).select(ResourceRow::as_select()).first(self.conn()).optional()?;
        Ok(row.map(ResourceRecord::from))
    }

    /// Resources of active public datasets matching every `(column, substring)` pair, ignoring
    /// case (`hash` as a prefix).
    pub fn search_resources(
        &mut self,
        terms: &[(String, String)],
        limit: i64,
        offset: i64,
    ) -> StorageResult<(i64, Vec<ResourceRecord>)> {
        let mut query = resources::table
            .inner_join(packages::table)
            .filter(packages::state.eq("active"))
            .filter(packages::private.eq(false))
            .filter(resources::state.eq("active"))
            .select(ResourceRow::as_select())
            .into_boxed();
        let mut count = resources::table
            .inner_join(packages::table)
            .filter(packages::state.eq("active"))
            .filter(packages::private.eq(false))
            .filter(resources::state.eq("active"))
            .into_boxed();
        // CKAN matches with ILIKE: the column and the text are compared lower-cased, on both
        // backends (SQLite's LIKE ignores ASCII case only, PostgreSQL's none).
        diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);
        for (column, text) in terms {
            let text = text.to_lowercase();
            let pattern = format!("%{}%", text.replace('%', "\\%").replace('_', "\\_"));
            let prefix = format!("{}%", text.replace('%', "\\%").replace('_', "\\_"));
            macro_rules! both {
                ($cond:expr) => {{
                    query = query.filter($cond);
                    count = count.filter($cond);
                }};
            }
            match column.as_str() {
                "name" => both!(lower(resources::name).like(pattern.clone()).escape('\\')),
                "description" => both!(lower(resources::description).like(pattern.clone()).escape('\\')),
                "format" => both!(lower(resources::format).like(pattern.clone()).escape('\\')),
                "url" => both!(lower(resources::url).like(pattern.clone()).escape('\\')),
                "hash" => both!(lower(resources::hash).like(prefix.clone()).escape('\\')),
                _ => return Err(StorageError::Internal(format!("resource column {column}"))),
            }
        }
        let total: i64 = count.count().get_result(self.conn())?;
        let rows = query
            .order((resources::package_id.asc(), resources::position.asc()))
            .limit(limit)
            .offset(offset)
            .load(self.conn())?;
        Ok((total, rows.into_iter().map(ResourceRecord::from).collect()))
    }

    /// The id of a tag, created if new. Another transaction creating the same tag at the same
    /// time is waited for, and its tag used: two writers never fail over a shared new tag.
    pub fn ensure_tag(&mut self, name: &str, vocabulary_id: Option<&str>) -> StorageResult<TagRecord> {
        let find = |tx: &mut Self| {
            let mut query = tags::table.filter(tags::name.eq(name)).select(TagRow::as_select()).into_boxed();
            query = match vocabulary_id {
                Some(v) => query.filter(tags::vocabulary_id.eq(v.to_owned())),
                None => query.filter(tags::vocabulary_id.is_null()),
            };
            query.first(tx.conn_beside_pending()).optional()
        };
        if let Some(row) = find(self)? {
            return Ok(row.into());
        }
        let row = TagRow {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            vocabulary_id: vocabulary_id.map(str::to_owned),
        };
        let insert = diesel::insert_into(tags::table).values(&row).on_conflict_do_nothing();
        let inserted = match self.conn_beside_pending() {
            crate::conn::AnyConnection::Postgresql(conn) => insert.execute(conn)?,
            crate::conn::AnyConnection::Sqlite(conn) => insert.execute(conn)?,
        };
        if inserted == 0 {
            // Committed by another writer since the first look (each statement of a
            // PostgreSQL transaction sees what is committed when it starts).
            return find(self)?.map(TagRecord::from).ok_or_else(|| {
                StorageError::Internal(format!("tag {name:?} was neither found nor created"))
            });
        }
        Ok(row.into())
    }

    /// `(id, name)` of the datasets, in any state, whose id or name is one of these.
    pub fn packages_referenced(&mut self, references: &[String]) -> StorageResult<Vec<(String, String)>> {
        let mut found = Vec::new();
        for references in references.chunks(1000) {
            let rows: Vec<(String, String)> = packages::table
                .filter(packages::id.eq_any(references).or(packages::name.eq_any(references)))
                .select((packages::id, packages::name))
                .load(self.conn())?;
            found.extend(rows);
        }
        Ok(found)
    }

    /// The ids of these tags (name, vocabulary id), in their order, each created if new
    /// ([`Tx::ensure_tag`]); the free ones that exist are found in one query.
    pub fn ensure_tags(&mut self, wanted: &[(String, Option<String>)]) -> StorageResult<Vec<TagRecord>> {
        // Those a whole batch found before are not looked up again ([`crate::Known`]).
        let mut found: std::collections::HashMap<String, TagRecord> = std::collections::HashMap::new();
        let mut free: Vec<&String> = Vec::new();
        for (name, _) in wanted.iter().filter(|(_, v)| v.is_none()) {
            match self.known.as_deref().and_then(|known| known.free_tags.get(name)) {
                Some(tag) => {
                    found.insert(name.clone(), tag.clone());
                }
                None => free.push(name),
            }
        }
        found.extend(
            self.free_tags_named(&free)?.into_iter().map(|row| (row.name.clone(), TagRecord::from(row))),
        );
        let tags = wanted
            .iter()
            .map(|(name, vocabulary)| match (vocabulary, found.get(name)) {
                (None, Some(tag)) => Ok(tag.clone()),
                _ => self.ensure_tag(name, vocabulary.as_deref()),
            })
            .collect::<StorageResult<Vec<TagRecord>>>()?;
        if let Some(known) = self.known.as_deref_mut() {
            let free = tags.iter().filter(|tag| tag.vocabulary_id.is_none());
            known.free_tags.extend(free.map(|tag| (tag.name.clone(), tag.clone())));
        }
        Ok(tags)
    }

    /// Forgets the free tags a whole batch looked up ([`crate::Known`]), before tags are deleted.
    fn forget_tags(&mut self) {
        if let Some(known) = self.known.as_deref_mut() {
            known.free_tags.clear();
        }
    }

    /// The free tags (no vocabulary) of these names that exist: on PostgreSQL in one query
    /// (`name = ANY($1)`, prepared once); on SQLite one lookup per name, a statement prepared
    /// once, where a list of names (`IN (?, ?, …)`) would be compiled anew for every call.
    fn free_tags_named<S: AsRef<str>>(&mut self, names: &[S]) -> StorageResult<Vec<TagRow>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let free = tags::table.filter(tags::vocabulary_id.is_null());
        match self.conn_beside_pending() {
            crate::conn::AnyConnection::Postgresql(conn) => {
                let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
                Ok(free.filter(tags::name.eq_any(names)).select(TagRow::as_select()).load(conn)?)
            }
            crate::conn::AnyConnection::Sqlite(conn) => {
                let mut found = Vec::with_capacity(names.len());
                for name in names {
                    let named = free.filter(tags::name.eq(name.as_ref())).select(TagRow::as_select());
                    found.extend(named.first(conn).optional()?);
                }
                Ok(found)
            }
        }
    }

    /// Creates the free tags (no vocabulary) of these names that do not exist yet, in one
    /// statement per thousand names, and returns the ids of those it created.
    pub fn create_missing_tags(&mut self, names: &[String]) -> StorageResult<Vec<String>> {
        let mut created = Vec::new();
        for names in names.chunks(1000) {
            let present: std::collections::HashSet<String> =
                self.free_tags_named(names)?.into_iter().map(|row| row.name).collect();
            let mut rows: Vec<TagRow> = names
                .iter()
                .filter(|name| !present.contains(*name))
                .map(|name| TagRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    name: name.clone(),
                    vocabulary_id: None,
                })
                .collect();
            rows.sort_by(|a, b| a.name.cmp(&b.name));
            rows.dedup_by(|a, b| a.name == b.name);
            if rows.is_empty() {
                continue;
            }
            let values: Vec<_> = rows
                .iter()
                .map(|row| {
                    (tags::id.eq(&row.id), tags::name.eq(&row.name), tags::vocabulary_id.eq(None::<String>))
                })
                .collect();
            let insert = diesel::insert_into(tags::table).values(&values).on_conflict_do_nothing();
            match self.conn() {
                crate::conn::AnyConnection::Postgresql(conn) => insert.execute(conn)?,
                crate::conn::AnyConnection::Sqlite(conn) => insert.execute(conn)?,
            };
            // Those another writer created first kept that writer's id.
            let ids: Vec<String> = rows.into_iter().map(|row| row.id).collect();
            let kept: Vec<String> =
                tags::table.filter(tags::id.eq_any(&ids)).select(tags::id).load(self.conn())?;
            created.extend(kept);
        }
        Ok(created)
    }

    /// Deletes the tags of these ids that no dataset uses (whoever else is writing): each is
    /// locked first, so that no dataset can take it up between the check and the delete.
    /// Returns how many went.
    pub fn drop_unused_tags(&mut self, ids: &[String]) -> StorageResult<usize> {
        self.forget_tags();
        let mut dropped = 0;
        for ids in ids.chunks(1000) {
            if let crate::conn::AnyConnection::Postgresql(conn) = self.conn() {
                tags::table
                    .filter(tags::id.eq_any(ids))
                    .select(tags::id)
                    .for_update()
                    .load::<String>(conn)?;
            }
            let used = package_tags::table.filter(package_tags::tag_id.eq(tags::id));
            dropped += diesel::delete(
                tags::table.filter(tags::id.eq_any(ids)).filter(diesel::dsl::not(diesel::dsl::exists(used))),
            )
            .execute(self.conn())?;
        }
        Ok(dropped)
    }

    pub fn set_package_tags(&mut self, package_id: &str, tag_ids: &[String]) -> StorageResult<()> {
        diesel::delete(package_tags::table.filter(package_tags::package_id.eq(package_id)))
            .execute(self.conn())?;
        self.add_package_tags(package_id, tag_ids)
    }

    /// Tags of a dataset this transaction inserted (it has none yet), written as
    /// [`Tx::insert_resources`] writes resources.
    pub fn add_package_tags(&mut self, package_id: &str, tag_ids: &[String]) -> StorageResult<()> {
        if let Some(pending) = self.pending(package_id) {
            pending.tag_ids.extend_from_slice(tag_ids);
            return Ok(());
        }
        if let Some(queue) = self.queue.as_deref_mut()
            && queue.holds(package_id)
        {
            queue.tags[0].extend(tag_ids.iter().map(|_| package_id.to_owned()));
            queue.tags[1].extend_from_slice(tag_ids);
            return Ok(());
        }
        let row = |tag_id| (package_tags::package_id.eq(package_id), package_tags::tag_id.eq(tag_id));
        match self.conn_beside_pending() {
            crate::conn::AnyConnection::Postgresql(conn) => {
                if !tag_ids.is_empty() {
                    unnest::PackageTagRows { package_id, tag_ids }.execute(conn)?;
                }
            }
            crate::conn::AnyConnection::Sqlite(conn) => {
                for tag_id in tag_ids {
                    diesel::insert_into(package_tags::table).values(row(tag_id)).execute(conn)?;
                }
            }
        }
        Ok(())
    }

    /// Tags used by active public datasets (free tags, or those of one vocabulary).
    pub fn tags_in_use(
        &mut self,
        query: Option<&str>,
        vocabulary_id: Option<&str>,
    ) -> StorageResult<Vec<TagRecord>> {
        let mut q = tags::table
            .filter(
                tags::id.eq_any(
                    package_tags::table
                        .inner_join(packages::table)
                        .filter(packages::state.eq("active"))
                        .filter(packages::private.eq(false))
                        .select(package_tags::tag_id),
                ),
            )
            .select(TagRow::as_select())
            .into_boxed();
        q = match vocabulary_id {
            Some(v) => q.filter(tags::vocabulary_id.eq(v.to_owned())),
            None => q.filter(tags::vocabulary_id.is_null()),
        };
        if let Some(text) = query.filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", text.to_lowercase().replace('%', "\\%").replace('_', "\\_"));
            diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);
            q = q.filter(lower(tags::name).like(pattern).escape('\\'));
        }
        let rows = q.order(tags::name.asc()).load(self.conn())?;
        Ok(rows.into_iter().map(TagRecord::from).collect())
    }

    pub fn tag_by_id_or_name(
        &mut self,
        id_or_name: &str,
        vocabulary_id: Option<&str>,
    ) -> StorageResult<Option<TagRecord>> {
        let mut q = tags::table
            .filter(tags::id.eq(id_or_name).or(tags::name.eq(id_or_name)))
            .select(TagRow::as_select())
            .into_boxed();
        q = match vocabulary_id {
            Some(v) => q.filter(tags::vocabulary_id.eq(v.to_owned())),
            None => q.filter(tags::vocabulary_id.is_null()),
        };
        Ok(q.first(self.conn()).optional()?.map(TagRecord::from))
    }

    pub fn tags_of_vocabulary(&mut self, vocabulary_id: &str) -> StorageResult<Vec<TagRecord>> {
        let rows = tags::table
            .filter(tags::vocabulary_id.eq(vocabulary_id))
            .order(tags::name.asc())
            .select(TagRow::as_select())
            .load(self.conn())?;
        Ok(rows.into_iter().map(TagRecord::from).collect())
    }

    pub fn delete_tag(&mut self, id: &str) -> StorageResult<()> {
        self.forget_tags();
        diesel::delete(tags::table.find(id)).execute(self.conn())?;
        Ok(())
    }

    /// Ids of active public datasets carrying a tag.
    pub fn package_ids_with_tag(&mut self, tag_id: &str) -> StorageResult<Vec<String>> {
        Ok(package_tags::table
            .inner_join(packages::table)
            .filter(package_tags::tag_id.eq(tag_id))
            .filter(packages::state.eq("active"))
            .filter(packages::private.eq(false))
            .select(packages::id)
            .order(packages::name.asc())
            .load(self.conn())?)
    }

    pub fn vocabularies(&mut self) -> StorageResult<Vec<Vocabulary>> {
        let rows: Vec<(String, String)> = vocabularies::table
            .select((vocabularies::id, vocabularies::name))
            .order(vocabularies::name.asc())
            .load(self.conn())?;
        Ok(rows.into_iter().map(|(id, name)| Vocabulary { id, name }).collect())
    }

    pub fn vocabulary_by_id_or_name(&mut self, id_or_name: &str) -> StorageResult<Option<Vocabulary>> {
        let row: Option<(String, String)> = vocabularies::table
            .filter(vocabularies::id.eq(id_or_name).or(vocabularies::name.eq(id_or_name)))
            .select((vocabularies::id, vocabularies::name))
            .first(self.conn())
            .optional()?;
        Ok(row.map(|(id, name)| Vocabulary { id, name }))
    }

    pub fn insert_vocabulary(&mut self, vocabulary: &Vocabulary) -> StorageResult<()> {
        diesel::insert_into(vocabularies::table)
            .values((vocabularies::id.eq(&vocabulary.id), vocabularies::name.eq(&vocabulary.name)))
            .execute(self.conn())?;
        Ok(())
    }

    pub fn rename_vocabulary(&mut self, id: &str, name: &str) -> StorageResult<()> {
        diesel::update(vocabularies::table.find(id)).set(vocabularies::name.eq(name)).execute(self.conn())?;
        Ok(())
    }

    pub fn delete_vocabulary(&mut self, id: &str) -> StorageResult<()> {
        diesel::delete(vocabularies::table.find(id)).execute(self.conn())?;
        Ok(())
    }

    pub fn collaborators_of(&mut self, package_id: &str) -> StorageResult<Vec<Collaborator>> {
        let rows: Vec<(String, String, String, chrono::NaiveDateTime)> = package_collaborators::table
            .filter(package_collaborators::package_id.eq(package_id))
            .select((
                package_collaborators::package_id,
                package_collaborators::user_id,
                package_collaborators::capacity,
                package_collaborators::modified,
            ))
            .order(package_collaborators::modified.asc())
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(|(package_id, user_id, capacity, modified)| Collaborator {
                package_id,
                user_id,
                capacity,
                modified: Timestamp::from_naive(modified),
            })
            .collect())
    }

    /// Dataset id → capacity for a user's collaborations.
    pub fn collaborations_of_user(&mut self, user_id: &str) -> StorageResult<Vec<(String, String)>> {
        Ok(package_collaborators::table
            .filter(package_collaborators::user_id.eq(user_id))
            .select((package_collaborators::package_id, package_collaborators::capacity))
            .load(self.conn())?)
    }

    pub fn upsert_collaborator(&mut self, c: &Collaborator) -> StorageResult<()> {
        diesel::delete(
            package_collaborators::table
                .filter(package_collaborators::package_id.eq(&c.package_id))
                .filter(package_collaborators::user_id.eq(&c.user_id)),
        )
        .execute(self.conn())?;
        diesel::insert_into(package_collaborators::table)
            .values((
                package_collaborators::package_id.eq(&c.package_id),
                package_collaborators::user_id.eq(&c.user_id),
                package_collaborators::capacity.eq(&c.capacity),
                package_collaborators::modified.eq(c.modified.naive()),
            ))
            .execute(self.conn())?;
        Ok(())
    }

    pub fn delete_collaborator(&mut self, package_id: &str, user_id: &str) -> StorageResult<bool> {
        let n = diesel::delete(
            package_collaborators::table
                .filter(package_collaborators::package_id.eq(package_id))
                .filter(package_collaborators::user_id.eq(user_id)),
        )
        .execute(self.conn())?;
        Ok(n > 0)
    }

    pub fn delete_collaborators_of(&mut self, package_id: &str) -> StorageResult<()> {
        diesel::delete(package_collaborators::table.filter(package_collaborators::package_id.eq(package_id)))
            .execute(self.conn())?;
        Ok(())
    }

    pub fn delete_collaborations_of_user(&mut self, user_id: &str) -> StorageResult<()> {
        diesel::delete(package_collaborators::table.filter(package_collaborators::user_id.eq(user_id)))
            .execute(self.conn())?;
        Ok(())
    }

    /// Relationships where the dataset is the subject or the object (active ones).
    pub fn relationships_of(&mut self, package_id: &str) -> StorageResult<Vec<Relationship>> {
        let rows: Vec<(String, String, String, String, String, String)> = package_relationships::table
            .filter(
                package_relationships::subject_package_id
                    .eq(package_id)
                    .or(package_relationships::object_package_id.eq(package_id)),
            )
            .filter(package_relationships::state.eq("active"))
            .select((
                package_relationships::id,
                package_relationships::subject_package_id,
                package_relationships::object_package_id,
                package_relationships::relationship_type,
                package_relationships::comment,
                package_relationships::state,
            ))
            .order(package_relationships::id.asc())
            .load(self.conn())?;
        Ok(rows
            .into_iter()
            .map(|(id, subject_package_id, object_package_id, relationship_type, comment, state)| {
                Relationship { id, subject_package_id, object_package_id, relationship_type, comment, state }
            })
            .collect())
    }

    pub fn upsert_relationship(&mut self, r: &Relationship) -> StorageResult<()> {
        diesel::delete(package_relationships::table.find(&r.id)).execute(self.conn())?;
        diesel::insert_into(package_relationships::table)
            .values((
                package_relationships::id.eq(&r.id),
                package_relationships::subject_package_id.eq(&r.subject_package_id),
                package_relationships::object_package_id.eq(&r.object_package_id),
                package_relationships::relationship_type.eq(&r.relationship_type),
                package_relationships::comment.eq(&r.comment),
                package_relationships::state.eq(&r.state),
            ))
            .execute(self.conn())?;
        Ok(())
    }

    pub fn delete_relationship(&mut self, id: &str) -> StorageResult<()> {
        diesel::delete(package_relationships::table.find(id)).execute(self.conn())?;
        Ok(())
    }
}

/// PostgreSQL's inserts of a dataset's rows of one table in one statement of a fixed form, each
/// column's values bound as one array (`SELECT … FROM unnest(…)`): prepared once per connection,
/// where a multi-row `VALUES` list is a new statement for every number of rows, parsed and
/// planned each time.
mod unnest {
    use chrono::NaiveDateTime;
    use diesel::pg::Pg;
    use diesel::query_builder::{AstPass, QueryFragment, QueryId};
    use diesel::sql_types::{Array, Binary, Bool, Integer, Nullable, Text, Timestamp};
    use diesel::{PgConnection, QueryResult, RunQueryDsl};

    use datahavn_domain::catalog::ResourceRecord;

    use crate::rows_catalog::{ActivityRow, PackageRow};

    /// A dataset's tags: `(package_id, tag_id)` for each of `tag_ids`.
    pub(super) struct PackageTagRows<'a> {
        pub package_id: &'a str,
        pub tag_ids: &'a [String],
    }

    impl QueryId for PackageTagRows<'_> {
        type QueryId = PackageTagRows<'static>;
        const HAS_STATIC_QUERY_ID: bool = true;
    }

    impl QueryFragment<Pg> for PackageTagRows<'_> {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
            out.push_sql("INSERT INTO package_tags (package_id, tag_id) SELECT ");
            out.push_bind_param::<Text, _>(self.package_id)?;
            out.push_sql(", unnest(");
            out.push_bind_param::<Array<Text>, _>(self.tag_ids)?;
            out.push_sql(")");
            Ok(())
        }
    }

    impl RunQueryDsl<PgConnection> for PackageTagRows<'_> {}

    /// Resources' index rows, column by column.
    pub(super) struct ResourceRows<'a> {
        text: [Vec<&'a str>; 8],
        position: Vec<i32>,
    }

    /// The text columns, in the order of [`ResourceRows::text`].
    const TEXT_COLUMNS: [&str; 8] =
        ["id", "package_id", "state", "url", "format", "name", "description", "hash"];

    impl<'a> ResourceRows<'a> {
        pub(super) fn new(rows: &'a [ResourceRecord]) -> Self {
            let mut text: [Vec<&'a str>; 8] = Default::default();
            for column in &mut text {
                column.reserve_exact(rows.len());
            }
            for r in rows {
                let values =
                    [&r.id, &r.package_id, &r.state, &r.url, &r.format, &r.name, &r.description, &r.hash];
                for (column, value) in text.iter_mut().zip(values) {
                    column.push(value);
                }
            }
            Self { text, position: rows.iter().map(|r| r.position).collect() }
        }
    }

    impl QueryId for ResourceRows<'_> {
        type QueryId = ResourceRows<'static>;
        const HAS_STATIC_QUERY_ID: bool = true;
    }

    impl QueryFragment<Pg> for ResourceRows<'_> {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
            out.push_sql("INSERT INTO resources (");
            for column in TEXT_COLUMNS {
                out.push_identifier(column)?;
                out.push_sql(", ");
            }
            out.push_sql("position) SELECT * FROM unnest(");
            for column in &self.text {
                out.push_bind_param::<Array<Text>, _>(column)?;
                out.push_sql(", ");
            }
            out.push_bind_param::<Array<Integer>, _>(&self.position)?;
            out.push_sql(")");
            Ok(())
        }
    }

    impl RunQueryDsl<PgConnection> for ResourceRows<'_> {}

    /// Tags of several datasets: `(package_id, tag_id)`, a column each.
    pub(super) struct TagPairs<'a> {
        pub columns: &'a [Vec<String>; 2],
    }

    impl QueryId for TagPairs<'_> {
        type QueryId = TagPairs<'static>;
        const HAS_STATIC_QUERY_ID: bool = true;
    }

    impl QueryFragment<Pg> for TagPairs<'_> {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
            out.push_sql("INSERT INTO package_tags (package_id, tag_id) SELECT * FROM unnest(");
            out.push_bind_param::<Array<Text>, _>(&self.columns[0])?;
            out.push_sql(", ");
            out.push_bind_param::<Array<Text>, _>(&self.columns[1])?;
            out.push_sql(")");
            Ok(())
        }
    }

    impl RunQueryDsl<PgConnection> for TagPairs<'_> {}

    /// Datasets' rows, column by column (the values moved, not copied).
    pub(super) struct PackageRows {
        /// id, name, title, type, state.
        text: [Vec<String>; 5],
        private: Vec<bool>,
        /// owner_org, creator_user_id.
        nullable: [Vec<Option<String>>; 2],
        /// metadata_created, metadata_modified.
        times: [Vec<NaiveDateTime>; 2],
        /// document, rendered.
        packed: [Vec<Vec<u8>>; 2],
    }

    impl PackageRows {
        pub(super) fn new(rows: Vec<PackageRow>) -> Self {
            let mut columns = Self {
                text: Default::default(),
                private: Vec::with_capacity(rows.len()),
                nullable: Default::default(),
                times: Default::default(),
                packed: Default::default(),
            };
            for row in rows {
                let text = [row.id, row.name, row.title, row.package_type, row.state];
                for (column, value) in columns.text.iter_mut().zip(text) {
                    column.push(value);
                }
                columns.private.push(row.private);
                for (column, value) in columns.nullable.iter_mut().zip([row.owner_org, row.creator_user_id]) {
                    column.push(value);
                }
                let times = [row.metadata_created, row.metadata_modified];
                for (column, value) in columns.times.iter_mut().zip(times) {
                    column.push(value);
                }
                for (column, value) in columns.packed.iter_mut().zip([row.document, row.rendered]) {
                    column.push(value);
                }
            }
            columns
        }
    }

    impl QueryId for PackageRows {
        type QueryId = PackageRows;
        const HAS_STATIC_QUERY_ID: bool = true;
    }

    impl QueryFragment<Pg> for PackageRows {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
            out.push_sql(
                "INSERT INTO packages (id, name, title, type, state, private, owner_org, \
                 creator_user_id, metadata_created, metadata_modified, document, rendered) \
                 SELECT * FROM unnest(",
            );
            for column in &self.text {
                out.push_bind_param::<Array<Text>, _>(column)?;
                out.push_sql(", ");
            }
            out.push_bind_param::<Array<Bool>, _>(&self.private)?;
            for column in &self.nullable {
                out.push_sql(", ");
                out.push_bind_param::<Array<Nullable<Text>>, _>(column)?;
            }
            for column in &self.times {
                out.push_sql(", ");
                out.push_bind_param::<Array<Timestamp>, _>(column)?;
            }
            for column in &self.packed {
                out.push_sql(", ");
                out.push_bind_param::<Array<Binary>, _>(column)?;
            }
            out.push_sql(")");
            Ok(())
        }
    }

    impl RunQueryDsl<PgConnection> for PackageRows {}

    /// Activities' rows, column by column (the values moved, not copied).
    pub(super) struct ActivityRows {
        /// id, user_id, object_id, group_ids, activity_type, permission_labels.
        text: [Vec<String>; 6],
        timestamp: Vec<NaiveDateTime>,
        public: Vec<bool>,
        data: Vec<Vec<u8>>,
    }

    impl ActivityRows {
        pub(super) fn new(rows: Vec<ActivityRow>) -> Self {
            let mut columns = Self {
                text: Default::default(),
                timestamp: Vec::with_capacity(rows.len()),
                public: Vec::with_capacity(rows.len()),
                data: Vec::with_capacity(rows.len()),
            };
            for row in rows {
                let text = [
                    row.id,
                    row.user_id,
                    row.object_id,
                    row.group_ids,
                    row.activity_type,
                    row.permission_labels,
                ];
                for (column, value) in columns.text.iter_mut().zip(text) {
                    column.push(value);
                }
                columns.timestamp.push(row.timestamp);
                columns.public.push(row.public);
                columns.data.push(row.data);
            }
            columns
        }
    }

    impl QueryId for ActivityRows {
        type QueryId = ActivityRows;
        const HAS_STATIC_QUERY_ID: bool = true;
    }

    impl QueryFragment<Pg> for ActivityRows {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
            out.push_sql(
                "INSERT INTO activities (id, user_id, object_id, group_ids, activity_type, \
                 permission_labels, timestamp, public, data) SELECT * FROM unnest(",
            );
            for column in &self.text {
                out.push_bind_param::<Array<Text>, _>(column)?;
                out.push_sql(", ");
            }
            out.push_bind_param::<Array<Timestamp>, _>(&self.timestamp)?;
            out.push_sql(", ");
            out.push_bind_param::<Array<Bool>, _>(&self.public)?;
            out.push_sql(", ");
            out.push_bind_param::<Array<Binary>, _>(&self.data)?;
            out.push_sql(")");
            Ok(())
        }
    }

    impl RunQueryDsl<PgConnection> for ActivityRows {}

    /// Change-log entries: the dataset and when, in their order.
    pub(super) struct Changes {
        package_ids: Vec<String>,
        changed_at: Vec<NaiveDateTime>,
    }

    impl Changes {
        pub(super) fn new(changes: Vec<(String, NaiveDateTime)>) -> Self {
            let (package_ids, changed_at) = changes.into_iter().unzip();
            Self { package_ids, changed_at }
        }
    }

    impl QueryId for Changes {
        type QueryId = Changes;
        const HAS_STATIC_QUERY_ID: bool = true;
    }

    impl QueryFragment<Pg> for Changes {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
            // The entries take their sequence numbers in the order they were made.
            out.push_sql(
                "INSERT INTO change_log (package_id, changed_at) SELECT package_id, changed_at \
                 FROM unnest(",
            );
            out.push_bind_param::<Array<Text>, _>(&self.package_ids)?;
            out.push_sql(", ");
            out.push_bind_param::<Array<Timestamp>, _>(&self.changed_at)?;
            out.push_sql(") WITH ORDINALITY AS c (package_id, changed_at, n) ORDER BY n");
            Ok(())
        }
    }

    impl RunQueryDsl<PgConnection> for Changes {}
}
