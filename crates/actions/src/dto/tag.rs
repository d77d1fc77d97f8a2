use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A tag: `tag_show`, `tag_list` with `all_fields`, and the tags of a vocabulary.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagDict {
    pub id: String,
    pub name: String,
    /// Null for free tags.
    pub vocabulary_id: Option<String>,
    /// The name, as CKAN shows it.
    pub display_name: String,
    /// Only from `tag_show` with `include_datasets`: the dataset dicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub packages: Option<Vec<Value>>,
}

/// One entry of `tag_list`: a tag name, or with `all_fields` a tag dict.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum TagListEntry {
    Name(String),
    Tag(TagDict),
}

/// A tag as `tag_search` lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagRow {
    pub id: String,
    pub name: String,
    /// Null for free tags.
    pub vocabulary_id: Option<String>,
}

/// `tag_search`: the number of matches and one page of them, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagSearchResult {
    /// Matches in all.
    pub count: i64,
    pub results: Vec<TagRow>,
}

/// A tag vocabulary with the tags the caller may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct VocabularyDict {
    pub id: String,
    pub name: String,
    pub tags: Vec<TagDict>,
}

/// A tag of a vocabulary being written (`vocabulary_create`, `vocabulary_update`).
#[derive(Debug, ToSchema)]
pub struct VocabularyTagInput {
    /// 2–100 characters: letters, digits, spaces, `-`, `_`, `.`.
    pub name: String,
    /// When given, the id of an existing vocabulary.
    pub vocabulary_id: Option<String>,
}
