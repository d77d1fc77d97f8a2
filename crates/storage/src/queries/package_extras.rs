//! Dataset queries for collaborators and relationships beyond those the dataset writes need.

use datahavn_domain::Timestamp;
use datahavn_domain::catalog::Collaborator;
use diesel::prelude::*;

use crate::schema::package_collaborators;
use crate::{StorageResult, Tx};

impl Tx<'_> {
    /// A user's collaborations with their capacity and date, oldest first.
    pub fn collaborator_rows_of_user(&mut self, user_id: &str) -> StorageResult<Vec<Collaborator>> {
        let rows: Vec<(String, String, String, chrono::NaiveDateTime)> = package_collaborators::table
            .filter(package_collaborators::user_id.eq(user_id))
            .select((
                package_collaborators::package_id,
                package_collaborators::user_id,
                package_collaborators::capacity,
                package_collaborators::modified,
            ))
            .order((package_collaborators::modified.asc(), package_collaborators::package_id.asc()))
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
}
