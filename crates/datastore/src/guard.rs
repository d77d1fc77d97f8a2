//! Checking `datastore_search_sql` statements: one SELECT over DataStore tables only.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedSql {
    pub sql: String,
    pub tables: Vec<String>,
}
