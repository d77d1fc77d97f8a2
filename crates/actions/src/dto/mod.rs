//! Wire shapes, as CKAN's JSON has them (key order included), documented for OpenAPI.

mod group;
mod site;
mod user;

pub use group::{ActivityDict, ExtraDict, GroupAutocompleteItem, GroupDict, MemberDict, MemberRole};
pub use site::{LicenseDict, SearchIndexStatus, StatusShow};
pub use user::{ApiTokenCreated, ApiTokenDict, PrivateUserFields, UserAutocompleteItem, UserDict};
