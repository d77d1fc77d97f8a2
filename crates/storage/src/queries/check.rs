//! What `datahavn check` compares with the search index, the file store and the DataStore.

use datahavn_domain::Timestamp;
use diesel::prelude::*;

use crate::schema::{packages, resource_files, resources};
use crate::{StorageResult, Tx};

/// One dataset as the consistency check sees it.
#[derive(Debug, Clone)]
pub struct PackageCheck {
    pub id: String,
    pub name: String,
    pub state: String,
    pub metadata_modified: Timestamp,
    /// The stored package document (JSON), whose resources say `datastore_active`.
    pub document: String,
}

impl Tx<'_> {
    /// Datasets of every state after `after` in id order, `limit` at a time.
    pub fn packages_for_check(&mut self, after: &str, limit: i64) -> StorageResult<Vec<PackageCheck>> {
        type Row = (String, String, String, chrono::NaiveDateTime, Vec<u8>, Vec<u8>);
        let rows: Vec<Row> = packages::table
            .filter(packages::id.gt(after))
            .order(packages::id.asc())
            .limit(limit)
            .select((
                packages::id,
                packages::name,
                packages::state,
                packages::metadata_modified,
                packages::document,
                packages::rendered,
            ))
            .load(self.conn())?;
        rows.into_iter()
            .map(|(id, name, state, modified, document, rendered)| {
                let rendered = crate::pack::unpack_owned(rendered)?;
                Ok(PackageCheck {
                    id,
                    name,
                    state,
                    metadata_modified: Timestamp::from_naive(modified),
                    document: crate::pack::unpack_document(&document, &rendered)?,
                })
            })
            .collect()
    }

    /// Every resource id the database holds (any state).
    pub fn resource_ids(&mut self) -> StorageResult<Vec<String>> {
        Ok(resources::table.select(resources::id).order(resources::id).load(self.conn())?)
    }

    /// Every stored upload: resource id and object key.
    pub fn resource_file_keys(&mut self) -> StorageResult<Vec<(String, String)>> {
        Ok(resource_files::table
            .select((resource_files::resource_id, resource_files::object_key))
            .order(resource_files::resource_id)
            .load(self.conn())?)
    }
}
