//! Queries, one module per entity, as methods of [`crate::Tx`].

mod activities;
mod groups;
mod packages;
mod tokens;
pub(crate) mod users;

pub use activities::ActivityFilter;
pub use groups::GroupFilter;
pub use packages::PackageFilter;
pub use users::{UserFilter, UserOrder};
