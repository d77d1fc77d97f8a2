//! A throw-away DataStore for tests: a SQLite file in a temporary directory, or, when
//! `TEST_DATABASE_URL` names a PostgreSQL server, a fresh database there, dropped at the end.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use datahavn_datastore::{CreateTable, Datastore, DatastoreUrl, FieldSpec};
use serde_json::{Map, Value, json};

pub struct TestDs {
    pub ds: Datastore,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDs {
    pub fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(admin_url) => {
                let name = format!("dh_ds_{}", uuid::Uuid::new_v4().simple());
                let mut admin =
                    postgres::Client::connect(&admin_url, postgres::NoTls).expect("TEST_DATABASE_URL");
                admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b);
                let url = DatastoreUrl::Postgres(format!("{base}/{name}"));
                let ds = Datastore::open(&url, 16).unwrap();
                Self { ds, _dir: None, postgres: Some((admin_url, name)) }
            }
            None => {
                let dir = tempfile::tempdir().unwrap();
                let ds = Datastore::open(&DatastoreUrl::Sqlite(dir.path().join("datastore.db")), 16).unwrap();
                Self { ds, _dir: Some(dir), postgres: None }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// The names of the tables in the DataStore's database (PostgreSQL: schema `datastore`).
    pub fn tables(&self) -> Vec<String> {
        match (&self.postgres, &self._dir) {
            (Some((admin_url, name)), _) => {
                let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b);
                let mut c = postgres::Client::connect(&format!("{base}/{name}"), postgres::NoTls).unwrap();
                c.query(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = 'datastore' ORDER BY 1",
                    &[],
                )
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect()
            }
            (None, Some(dir)) => {
                let c = rusqlite::Connection::open(dir.path().join("datastore.db")).unwrap();
                let mut stmt = c
                    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%__fts_%' ORDER BY 1")
                    .unwrap();
                stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
            }
            _ => Vec::new(),
        }
    }
}

impl Drop for TestDs {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(mut admin) = postgres::Client::connect(admin_url, postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

pub const RID: &str = "52fd841c-d3d1-4077-a8e0-eac2016f89d2";

pub fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

pub fn field(id: &str, t: &str) -> FieldSpec {
    FieldSpec { id: id.into(), type_: Some(t.into()), info: None }
}

/// The table of CKAN's recording 32.
pub fn cities(ds: &Datastore) {
    ds.create(&CreateTable {
        resource_id: RID.into(),
        fields: vec![
            field("id", "int"),
            field("city", "text"),
            field("temp", "numeric"),
            field("day", "date"),
        ],
        records: vec![
            obj(json!({"id": 1, "city": "Oslo", "temp": -3.5, "day": "2024-01-01"})),
            obj(json!({"id": 2, "city": "Rome", "temp": 12, "day": "2024-01-01"})),
            obj(json!({"id": 3, "city": "Oslo", "temp": -1, "day": "2024-01-02"})),
        ],
        primary_key: vec!["id".into()],
        ..CreateTable::default()
    })
    .unwrap();
}

pub fn search(rid: &str) -> datahavn_datastore::Search {
    datahavn_datastore::Search {
        resource_id: rid.into(),
        limit: Some(100),
        include_total: true,
        plain: true,
        ..Default::default()
    }
}

pub fn validation(e: datahavn_datastore::DatastoreError) -> Value {
    match e {
        datahavn_datastore::DatastoreError::Validation(m) => Value::Object(m),
        other => panic!("not a validation error: {other:?}"),
    }
}
