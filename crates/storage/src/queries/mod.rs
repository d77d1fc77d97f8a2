//! Queries, one module per entity, as methods of [`crate::Tx`].

mod activities;
mod activity_streams;
mod change_log;
mod check;
mod followers;
mod groups;
mod harvest;
mod package_extras;
mod packages;
mod site_admin;
mod tags;
mod tokens;
pub(crate) mod users;
mod views;

pub use activities::{ActivityFilter, GroupStream};
pub use activity_streams::{ActivityStream, DashboardScope};
pub use change_log::{ChangeCursor, IndexedPackage};
pub use check::PackageCheck;
pub use groups::{GroupFilter, GroupPackages};
pub use tags::TagSearch;
pub use users::{UserFilter, UserOrder};
