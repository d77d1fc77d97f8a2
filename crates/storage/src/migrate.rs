//! Embedded migrations, one folder per backend with the same version names.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::conn::AnyConnection;
use crate::{StorageError, StorageResult};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Where the database stands against the migrations this binary carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    pub applied: Vec<String>,
    pub pending: usize,
}

fn known_versions(conn: &AnyConnection) -> Vec<String> {
    let migrations = match conn {
        AnyConnection::Sqlite(_) => SQLITE,
        AnyConnection::Postgresql(_) => POSTGRES,
    };
    let mut versions: Vec<String> =
        diesel::migration::MigrationSource::<diesel::sqlite::Sqlite>::migrations(&migrations)
            .map(|list| list.iter().map(|m| m.name().version().to_string()).collect())
            .unwrap_or_default();
    versions.sort();
    versions
}

fn internal(error: impl std::fmt::Display) -> StorageError {
    StorageError::Internal(format!("migration: {error}"))
}

/// Reads which migrations ran; refuses a database that a newer binary migrated.
pub(crate) fn status(conn: &mut AnyConnection) -> StorageResult<SchemaStatus> {
    let known = known_versions(conn);
    let mut applied: Vec<String> = match conn {
        AnyConnection::Sqlite(c) => c.applied_migrations().map_err(internal)?,
        AnyConnection::Postgresql(c) => c.applied_migrations().map_err(internal)?,
    }
    .into_iter()
    .map(|v| v.to_string())
    .collect();
    applied.sort();
    if let Some(unknown) = applied.iter().find(|v| !known.contains(v)) {
        return Err(StorageError::SchemaTooNew {
            found: unknown.clone(),
            known: known.last().cloned().unwrap_or_default(),
        });
    }
    let pending = known.iter().filter(|v| !applied.contains(v)).count();
    Ok(SchemaStatus { applied, pending })
}

/// Applies every pending migration; returns the versions applied.
pub(crate) fn run(conn: &mut AnyConnection) -> StorageResult<Vec<String>> {
    status(conn)?;
    let done = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE).map_err(internal)?,
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES).map_err(internal)?,
    };
    Ok(done.into_iter().map(|v| v.to_string()).collect())
}

/// Reverts every applied migration, newest first (used by the migration tests).
pub(crate) fn revert_all(conn: &mut AnyConnection) -> StorageResult<usize> {
    let reverted = match conn {
        AnyConnection::Sqlite(c) => c.revert_all_migrations(SQLITE).map_err(internal)?,
        AnyConnection::Postgresql(c) => c.revert_all_migrations(POSTGRES).map_err(internal)?,
    };
    Ok(reverted.len())
}
