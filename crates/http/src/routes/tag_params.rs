//! Documented parameters and results of the tag and vocabulary actions (OpenAPI only; the
//! actions read the dict).
#![allow(dead_code)]

use utoipa::{IntoParams, ToSchema};

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagListParams {
    /// Only tags whose names contain this (`q` also works).
    pub query: Option<String>,
    /// Id or name of a vocabulary: its tags instead of free tags.
    pub vocabulary_id: Option<String>,
    /// Tag dicts instead of names.
    pub all_fields: Option<bool>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagShowParams {
    /// Tag id or name.
    pub id: String,
    /// Id or name of the tag's vocabulary (default: a free tag).
    pub vocabulary_id: Option<String>,
    /// Include the active public datasets carrying the tag (up to 1000).
    pub include_datasets: Option<bool>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagSearchParams {
    /// Text every matching name contains (a JSON body may send a list: all must match).
    pub query: Option<String>,
    /// Id or name of the vocabulary to search (default: free tags).
    pub vocabulary_id: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatAutocompleteParams {
    /// Text the formats contain.
    pub q: String,
    /// Default 5.
    pub limit: Option<u32>,
}

#[derive(ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VocabularyIdParams {
    /// Vocabulary id or name.
    pub id: String,
}

/// A tag of a vocabulary being written.
#[derive(ToSchema)]
pub struct VocabularyTagInput {
    /// 2–100 characters: letters, digits, spaces, `-`, `_`, `.`.
    pub name: String,
}

#[derive(ToSchema)]
pub struct VocabularyCreateParams {
    /// 2–100 characters, unique.
    pub name: String,
    pub tags: Option<Vec<VocabularyTagInput>>,
}

#[derive(ToSchema)]
pub struct VocabularyUpdateParams {
    /// Vocabulary id or name.
    pub id: String,
    /// A new name.
    pub name: Option<String>,
    /// The vocabulary's tags from now on; tags left out are deleted.
    pub tags: Option<Vec<VocabularyTagInput>>,
}

/// A tag.
#[derive(ToSchema)]
pub struct TagDict {
    pub id: String,
    pub name: String,
    /// Null for free tags.
    pub vocabulary_id: Option<String>,
    pub display_name: String,
    /// With `include_datasets` (`tag_show`): dataset dicts.
    #[schema(value_type = Option<Vec<Object>>)]
    pub packages: Option<Vec<serde_json::Value>>,
}

/// A tag as `tag_search` lists it.
#[derive(ToSchema)]
pub struct TagRowDict {
    pub id: String,
    pub name: String,
    pub vocabulary_id: Option<String>,
}

#[derive(ToSchema)]
pub struct TagSearchResult {
    /// Matches in all.
    pub count: u64,
    /// One page of them, by name.
    pub results: Vec<TagRowDict>,
}

#[derive(ToSchema)]
pub struct VocabularyDict {
    pub id: String,
    pub name: String,
    pub tags: Vec<TagDict>,
}
