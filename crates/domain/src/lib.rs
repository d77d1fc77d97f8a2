//! datahavn's domain: the types, CKAN validation rules and permission rules that every other
//! crate shares. Nothing here does I/O; nothing here knows about diesel or actix.

pub mod authz;
pub mod catalog;
pub mod error;
pub mod group;
pub mod harvest;
pub mod license;
pub mod name;
pub mod package;
pub mod params;
pub mod query;
pub mod site_admin;
pub mod time;
pub mod user;

pub use error::ValidationErrors;
pub use time::Timestamp;
