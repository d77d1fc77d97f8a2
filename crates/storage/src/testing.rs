//! Throw-away databases for tests: a SQLite file in a temporary directory, or, when
//! `TEST_DATABASE_URL` names a PostgreSQL server, a fresh database there that is dropped again.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::DatabaseUrl;

pub struct TestDb {
    url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A new, empty, unmigrated database.
    pub fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(admin_url) => Self::postgres(admin_url),
            None => Self::sqlite(),
        }
    }

    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
        let url = DatabaseUrl::Sqlite(dir.path().join("test.db"));
        Self { url, _dir: Some(dir), postgres: None }
    }

    fn postgres(admin_url: String) -> Self {
        let name = format!("datahavn_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("TEST_DATABASE_URL does not connect: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("create test database: {e}"));
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
        let url = DatabaseUrl::Postgres(format!("{base}/{name}"));
        Self { url, _dir: None, postgres: Some((admin_url, name)) }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The URL as text, for passing to the CLI or a server config.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

/// Runs SQL on a database directly, as another client would (e.g. a trigger that makes the
/// database refuse rows the application takes).
pub fn execute(url: &DatabaseUrl, sql: &str) {
    let done = match url {
        DatabaseUrl::Sqlite(path) => SqliteConnection::establish(&path.to_string_lossy())
            .map_err(|e| e.to_string())
            .and_then(|mut c| c.batch_execute(sql).map_err(|e| e.to_string())),
        DatabaseUrl::Postgres(url) => PgConnection::establish(url)
            .map_err(|e| e.to_string())
            .and_then(|mut c| c.batch_execute(sql).map_err(|e| e.to_string())),
    };
    done.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The column `value` of the first row a query gives, as bytes (a `BLOB` or `bytea`).
pub fn query_bytes(url: &DatabaseUrl, sql: &str) -> Vec<u8> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Binary)]
        value: Vec<u8>,
    }
    let rows: Result<Vec<Row>, String> = match url {
        DatabaseUrl::Sqlite(path) => SqliteConnection::establish(&path.to_string_lossy())
            .map_err(|e| e.to_string())
            .and_then(|mut c| diesel::sql_query(sql).load(&mut c).map_err(|e| e.to_string())),
        DatabaseUrl::Postgres(url) => PgConnection::establish(url)
            .map_err(|e| e.to_string())
            .and_then(|mut c| diesel::sql_query(sql).load(&mut c).map_err(|e| e.to_string())),
    };
    let rows = rows.unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().next().map(|row| row.value).unwrap_or_else(|| panic!("{sql}: no row"))
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}
