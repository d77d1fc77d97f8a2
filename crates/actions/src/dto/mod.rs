//! Wire shapes, as CKAN's JSON has them (key order included), documented for OpenAPI.

mod activity;
mod datastore;
mod follow;
mod group;
mod harvest;
mod package;
mod site;
mod tag;
mod user;
mod views;

pub use activity::{ActivityDiffResult, DashboardActivityDict};
pub use datastore::{
    DatastoreCreateResult, DatastoreField, DatastoreInfo, DatastoreSearchResult, DatastoreSqlResult,
    DatastoreWriteResult, XloaderStatus,
};
pub use follow::{FolloweeDict, FollowingDict};
pub use group::{
    ActivityDict, ExtraDict, GroupAutocompleteItem, GroupDict, GroupListEntry, MemberDict, MemberRole,
};
pub use harvest::{
    ErrorCount, HarvestJobDict, HarvestJobStats, HarvestLogLine, HarvestObjectDict, HarvestObjectError,
    HarvestSourceCleared, HarvestSourceDict, HarvestSourceStatus,
};
pub use package::{
    FacetItem, PackageAutocompleteItem, PackageDict, PackageGroup, PackageOrganization, PackageRelationship,
    PackageReviseResult, PackageSearchResult, PackageTag, ResourceDict, ResourceOrder, ResourceSearchResult,
    SearchFacet, TextOrTranslations,
};
pub use site::{
    JobDict, LicenseDict, SearchIndexStatus, StatusShow, TaskStatusDict, TaskStatusResults,
    TermTranslationCount, TermTranslationDict,
};
pub use tag::{TagDict, TagListEntry, TagRow, TagSearchResult, VocabularyDict, VocabularyTagInput};
pub use user::{
    ApiTokenCreated, ApiTokenDict, PrivateUserFields, UserAutocompleteItem, UserDict, UserListEntry,
};
pub use views::{ViewDeleteResult, ViewDict, ViewReorderResult};
