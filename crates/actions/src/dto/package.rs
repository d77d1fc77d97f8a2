//! Dataset and resource shapes. A dataset dict is rendered once, when the dataset is written,
//! and stored as JSON text that reads return untouched, so [`PackageDict`] and
//! [`ResourceDict`] document it (and read it back in tests); the smaller results are
//! serialized from here.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::ExtraDict;

/// A dataset as `package_show` returns it. Scalar keys come sorted (free-form ones among
/// them), then `extras`, `resources`, `tags`, `groups`, `relationships_as_subject` and
/// `relationships_as_object`. Any top-level key a client sent beyond CKAN's schema is returned
/// as it was sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageDict {
    pub author: Option<String>,
    pub author_email: Option<String>,
    /// The user who created it; null for datasets loaded without one.
    pub creator_user_id: Option<String>,
    #[schema(example = "8e4c0b7e-2f61-4d0b-9a77-1f8b9e2d5c11")]
    pub id: String,
    /// Whether its licence is an open one.
    pub isopen: bool,
    #[schema(example = "cc-by")]
    pub license_id: Option<String>,
    /// The licence's title; the `license_id` itself for a licence the site does not know.
    pub license_title: Option<String>,
    /// Only for a known licence that has a URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_url: Option<String>,
    pub maintainer: Option<String>,
    pub maintainer_email: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, no zone.
    #[schema(example = "2026-11-26T17:49:19.123456")]
    pub metadata_created: String,
    /// `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, no zone.
    #[schema(example = "2026-11-26T17:49:19.123456")]
    pub metadata_modified: String,
    #[schema(example = "cykelstier-2024")]
    pub name: String,
    pub notes: Option<String>,
    pub num_resources: u64,
    pub num_tags: u64,
    /// The owning organization; null when it was deleted.
    pub organization: Option<PackageOrganization>,
    /// The owning organization's id.
    pub owner_org: Option<String>,
    pub private: bool,
    /// `active`, `draft` or `deleted`.
    #[schema(example = "active")]
    pub state: String,
    /// The title, or the name when none was given.
    pub title: String,
    /// `dataset` or a custom type.
    #[serde(rename = "type")]
    #[schema(example = "dataset")]
    pub dataset_type: String,
    pub url: Option<String>,
    pub version: Option<String>,
    /// `{key, value}` dicts, by key; values are strings.
    pub extras: Vec<ExtraDict>,
    /// By position.
    pub resources: Vec<ResourceDict>,
    /// By name.
    pub tags: Vec<PackageTag>,
    /// Its active groups, by display name.
    pub groups: Vec<PackageGroup>,
    /// Relationships in which it is the subject.
    pub relationships_as_subject: Vec<PackageRelationship>,
    /// Relationships in which it is the object.
    pub relationships_as_object: Vec<PackageRelationship>,
    /// Free-form keys, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `organization` of a dataset dict, in CKAN's key order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageOrganization {
    pub id: String,
    pub name: String,
    pub title: String,
    #[serde(rename = "type")]
    #[schema(example = "organization")]
    pub group_type: String,
    pub description: String,
    pub image_url: String,
    /// `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, no zone.
    pub created: String,
    pub is_organization: bool,
    #[schema(example = "approved")]
    pub approval_status: String,
    #[schema(example = "active")]
    pub state: String,
}

/// One entry of a dataset's `groups`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageGroup {
    pub description: String,
    /// The title, or the name when there is no title.
    pub display_name: String,
    pub id: String,
    /// `image_url` made absolute (uploads under `<site>/uploads/group/`).
    pub image_display_url: String,
    pub name: String,
    pub title: String,
}

/// One entry of a dataset's `tags`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageTag {
    /// The name.
    pub display_name: String,
    pub id: String,
    pub name: String,
    #[schema(example = "active")]
    pub state: String,
    /// The vocabulary's id; null for free tags.
    pub vocabulary_id: Option<String>,
}

/// One entry of a dataset's `relationships_as_subject` / `relationships_as_object`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageRelationship {
    pub id: String,
    pub subject_package_id: String,
    pub object_package_id: String,
    /// `depends_on`, `child_of`, `links_to`, ... as stored (subject's point of view).
    #[serde(rename = "type")]
    pub relationship_type: String,
    pub comment: String,
    #[schema(example = "active")]
    pub state: String,
}

/// A resource as `resource_show` returns it (and as a dataset dict lists it): every standard
/// key, keys sorted, with any free-form key a client sent. Keys CKAN's schema has but datahavn
/// does not check (`cache_url`, `created`, `state`, ...) are returned as they were sent, so
/// their type is only the usual one.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceDict {
    /// Usually null or a timestamp; kept as sent.
    pub cache_last_updated: Value,
    /// Usually null or a URL; kept as sent.
    pub cache_url: Value,
    /// When it was added (`YYYY-MM-DDTHH:MM:SS.ffffff`), or the value sent.
    pub created: Value,
    /// `false` unless a client set it; kept as sent. `resource_search` results, like CKAN's
    /// (`resource_dictize`, without the datastore plugin's `before_resource_show`), leave it
    /// out unless it was set to something other than `false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datastore_active: Option<Value>,
    /// Text, or a dict of translations (`{"de": ..}`) as sent.
    #[schema(value_type = Option<TextOrTranslations>)]
    pub description: Option<Value>,
    /// Upper-cased for known formats; guessed from the URL when empty.
    #[schema(example = "CSV")]
    pub format: String,
    /// Text, or a dict as sent; `""` when not set.
    #[schema(value_type = Option<TextOrTranslations>)]
    pub hash: Option<Value>,
    pub id: String,
    /// Usually null or a timestamp; kept as sent.
    pub last_modified: Value,
    /// When it last changed (`YYYY-MM-DDTHH:MM:SS.ffffff`), or the value sent.
    pub metadata_modified: Value,
    /// Guessed from the format or URL on create when not given.
    #[schema(value_type = Option<TextOrTranslations>)]
    pub mimetype: Option<Value>,
    #[schema(value_type = Option<TextOrTranslations>)]
    pub mimetype_inner: Option<Value>,
    /// Text, or a dict of translations (`{"de": ..}`) as sent.
    #[schema(value_type = Option<TextOrTranslations>)]
    pub name: Option<Value>,
    pub package_id: String,
    /// Its place in the dataset's `resources`, from 0.
    pub position: u64,
    #[schema(value_type = Option<TextOrTranslations>)]
    pub resource_type: Option<Value>,
    /// Bytes.
    pub size: Option<i64>,
    /// `active` unless a client set it; kept as sent.
    pub state: Value,
    /// Absolute: `http://` is added to a URL without a scheme (uploads excepted).
    pub url: String,
    /// `upload` for uploaded files.
    #[schema(value_type = Option<TextOrTranslations>)]
    pub url_type: Option<Value>,
    /// Free-form keys, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Text, or a dict (of translations) kept as sent.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum TextOrTranslations {
    Text(String),
    Translations(Map<String, Value>),
}

/// One `package_autocomplete` match.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageAutocompleteItem {
    pub name: String,
    pub title: String,
    /// `name` or `title`: what matched.
    #[schema(example = "title")]
    pub match_field: String,
    /// The name, or `<title> (<name>)` for a title match.
    pub match_displayed: String,
}

/// `package_search`'s result, in CKAN's key order.
#[derive(Debug, ToSchema)]
pub struct PackageSearchResult {
    /// Every match, whatever `rows` and `start`.
    pub count: u64,
    /// `{field: {value: count}}` for each `facet.field`, most frequent first.
    pub facets: HashMap<String, HashMap<String, u64>>,
    /// The dataset dicts (as `package_show` gives them, see `PackageDict`); with `fl`, only
    /// the keys it names.
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<Value>,
    /// The sort used.
    #[schema(example = "score desc, metadata_modified desc")]
    pub sort: String,
    /// The facets in CKAN's display form, per `facet.field`.
    pub search_facets: HashMap<String, SearchFacet>,
}

/// One field of `search_facets`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchFacet {
    /// The field's name.
    pub title: String,
    /// By display name, descending.
    pub items: Vec<FacetItem>,
}

/// One value of a facet.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetItem {
    pub name: String,
    /// The title of an organization, group or licence; otherwise the value.
    pub display_name: String,
    pub count: u64,
}

/// `resource_search`'s result.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceSearchResult {
    /// Every match, whatever `limit` and `offset`.
    pub count: u64,
    #[schema(value_type = Vec<ResourceDict>)]
    pub results: Vec<Value>,
}

/// `package_resource_reorder`'s result.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceOrder {
    /// The dataset, as given.
    pub id: String,
    /// All the dataset's resource ids in their new order: those sent first, then the others
    /// in their old order.
    pub order: Vec<String>,
}

/// `package_revise`'s result.
#[derive(Debug, ToSchema)]
pub struct PackageReviseResult {
    /// The updated dataset (as `package_show` gives it, see `PackageDict`), less what `include`
    /// removed; absent when `include` removed it.
    #[schema(value_type = Option<Object>)]
    pub package: Option<Value>,
}

#[cfg(test)]
mod tests {
    use datahavn_domain::Timestamp;
    use datahavn_domain::catalog::{PackageRecord, Relationship};
    use datahavn_domain::group::{Group, GroupState};
    use datahavn_domain::package::{PackageState, ValidationRights, validate_package};
    use serde_json::json;

    use super::*;
    use crate::render::render_package;
    use crate::request::response_doc;

    /// Whether `value` fits `schema`: the part of JSON Schema the derived schemas use.
    fn fits(value: &Value, schema: &Value, components: &Map<String, Value>, at: &str) -> Result<(), String> {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.trim_start_matches("#/components/schemas/");
            return fits(value, &components[name], components, at);
        }
        if let Some(options) = schema["oneOf"].as_array() {
            let matching = options.iter().filter(|o| fits(value, o, components, at).is_ok()).count();
            return if matching == 1 {
                Ok(())
            } else {
                Err(format!("{at}: {matching} of oneOf match {value}"))
            };
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let kind = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let allowed =
            types.is_empty() || types.contains(&kind) || (kind == "integer" && types.contains(&"number"));
        if !allowed {
            return Err(format!("{at}: {value} is not {types:?}"));
        }
        if let (Some(minimum), Some(n)) = (schema["minimum"].as_f64(), value.as_f64())
            && n < minimum
        {
            return Err(format!("{at}: {n} is below {minimum}"));
        }
        if let (Value::Array(items), Some(item)) = (value, schema.get("items")) {
            for (i, value) in items.iter().enumerate() {
                fits(value, item, components, &format!("{at}[{i}]"))?;
            }
        }
        if let Value::Object(map) = value {
            for key in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if !map.contains_key(key) {
                    return Err(format!("{at}: {key} missing"));
                }
            }
            let properties = schema["properties"].as_object();
            for (key, value) in map {
                let at = format!("{at}.{key}");
                match (properties.and_then(|p| p.get(key)), schema.get("additionalProperties")) {
                    (Some(property), _) => fits(value, property, components, &at)?,
                    (None, Some(Value::Bool(false))) => return Err(format!("{at}: not allowed")),
                    (None, Some(other @ Value::Object(_))) => fits(value, other, components, &at)?,
                    (None, _) => {}
                }
            }
        }
        Ok(())
    }

    /// Whether `value` fits the result schema of `T`.
    fn conforms<T: ToSchema>(value: &Value) -> Result<(), String> {
        let doc = response_doc::<T>();
        let components: Map<String, Value> = doc
            .components
            .iter()
            .map(|(name, schema)| (name.clone(), serde_json::to_value(schema).unwrap_or_default()))
            .collect();
        let schema = serde_json::to_value(&doc.schema).unwrap_or_default();
        fits(value, &schema, &components, "result")
    }

    fn check<T: ToSchema>(value: &Value) {
        if let Err(problem) = conforms::<T>(value) {
            panic!("{problem}\n{value:#}");
        }
    }

    fn organization() -> Group {
        Group {
            id: "org-id".into(),
            name: "org".into(),
            title: "Org".into(),
            description: String::new(),
            image_url: String::new(),
            group_type: "organization".into(),
            is_organization: true,
            approval_status: "approved".into(),
            state: GroupState::Active,
            created: Timestamp::now(),
            extras: Vec::new(),
            document: Map::new(),
        }
    }

    /// A dataset as `write_package` stores it: validated, resources settled, tags with ids.
    fn record(input: Value) -> PackageRecord {
        let input = input.as_object().cloned().unwrap_or_default();
        let rights = ValidationRights { sysadmin: true, may_set_state: true };
        let valid = match validate_package(&input, rights, true) {
            Ok(Ok(valid)) => valid,
            other => panic!("invalid: {other:?}"),
        };
        let mut document = valid.doc;
        document.remove("type");
        let now = Timestamp::now().to_ckan_string();
        let resources: Vec<Value> = valid
            .resources
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                r.entry("id").or_insert_with(|| format!("res-{i}").into());
                for (key, default) in crate::render::resource_defaults() {
                    r.entry(key).or_insert(default);
                }
                r.entry("created").or_insert_with(|| now.clone().into());
                r.entry("metadata_modified").or_insert_with(|| now.clone().into());
                Value::Object(r)
            })
            .collect();
        document.insert("resources".into(), Value::Array(resources));
        if let Some(Value::Array(tags)) = document.get_mut("tags") {
            for (i, tag) in tags.iter_mut().enumerate() {
                tag["id"] = format!("tag-{i}").into();
            }
        }
        PackageRecord {
            id: "pkg-id".into(),
            name: valid.name.clone(),
            title: valid.name,
            package_type: "dataset".into(),
            state: PackageState::Active,
            private: false,
            owner_org: Some("org-id".into()),
            creator_user_id: None,
            metadata_created: Timestamp::now(),
            metadata_modified: Timestamp::now(),
            document,
            rendered: String::new(),
        }
    }

    #[test]
    fn rendered_datasets_fit_the_package_dict() {
        let full = record(json!({
            "name": "full", "title": "Full", "notes": 5, "license_id": "cc-by", "version": "1",
            "author_email": "a@example.org", "extras": [{"key": "spatial", "value": {"type": "Point"}}],
            "tags": [{"name": "economy"}, {"name": "vocab-tag", "vocabulary_id": "v1"}],
            "resources": [
                {"url": "example.org/a.csv", "name": {"de": "Daten"}, "size": "12", "state": 5,
                 "created": null, "datastore_active": "yes", "hash": [1], "custom": {"x": [1]}},
                {"url": "", "format": 7, "size": null, "url_type": "upload"},
            ],
            "spatial_extra": {"free": ["form"]}, "custom_number": 1.5,
        }));
        let relationship = Relationship {
            id: "rel".into(),
            subject_package_id: "pkg-id".into(),
            object_package_id: "other".into(),
            relationship_type: "depends_on".into(),
            comment: String::new(),
            state: "active".into(),
        };
        let rendered =
            render_package(&full, Some(&organization()), &[], &[relationship], "http://site.example");
        check::<PackageDict>(&Value::Object(rendered));

        let bare = record(json!({"name": "bare", "license_id": "not-a-licence"}));
        let mut gone = organization();
        gone.state = GroupState::Deleted;
        let rendered = render_package(&bare, Some(&gone), &[], &[], "http://site.example");
        assert_eq!(rendered["organization"], Value::Null);
        check::<PackageDict>(&Value::Object(rendered));
    }

    #[test]
    fn a_dict_that_breaks_the_schema_is_caught() {
        let dataset = record(json!({"name": "bare", "resources": [{"url": "x"}]}));
        let rendered = Value::Object(render_package(&dataset, None, &[], &[], "http://site.example"));
        assert_eq!(conforms::<PackageDict>(&rendered), Ok(()));
        let mut wrong = rendered.clone();
        wrong["num_tags"] = json!("two");
        assert!(conforms::<PackageDict>(&wrong).is_err());
        let mut wrong = rendered.clone();
        wrong["resources"][0]["position"] = json!(-1);
        assert!(conforms::<PackageDict>(&wrong).is_err());
        let mut wrong = rendered;
        wrong["resources"][0]["name"] = json!([1]);
        assert!(conforms::<PackageDict>(&wrong).is_err());
    }

    #[test]
    fn resources_fit_the_resource_dict() {
        let dataset =
            record(json!({"name": "res", "resources": [{"url": "x", "name": 3, "description": null}]}));
        let resource = dataset.document["resources"][0].as_object().cloned().unwrap_or_default();
        check::<ResourceDict>(&crate::render::render_resource(&resource, "pkg-id", 0, "http://site"));
    }
}
