//! Queries, one module per entity, as methods of [`crate::Tx`].

mod tokens;
pub(crate) mod users;

pub use users::{UserFilter, UserOrder};
