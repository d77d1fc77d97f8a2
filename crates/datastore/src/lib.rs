//! datahavn's DataStore: one table per resource, on SQLite (a database file of its own, apart
//! from the catalogue) or PostgreSQL (schema `datastore`), with CKAN's type names, filters,
//! full-text search, guarded SQL and typed bulk loads.
//!
//! The catalogue knows nothing of these tables; the actions layer decides who may read or write
//! which resource and calls in here with resource ids.

pub mod guard;
pub mod ingest;
