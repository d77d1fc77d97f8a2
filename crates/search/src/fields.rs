//! The index schema: which dataset fields are searchable, filterable, sortable and facetable.

use std::collections::BTreeMap;

use datahavn_storage::IndexedPackage;
use serde_json::Value;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, JsonObjectOptions, OwnedValue,
    STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language as Stemming, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{DateTime, Index, TantivyDocument};

/// The language free text is stemmed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    English,
    Danish,
    German,
    French,
    Norwegian,
    Swedish,
    Dutch,
    Spanish,
    Italian,
    Finnish,
}

impl Language {
    pub fn parse(code: &str) -> Option<Self> {
        match code.to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Self::English),
            "da" | "danish" => Some(Self::Danish),
            "de" | "german" => Some(Self::German),
            "fr" | "french" => Some(Self::French),
            "no" | "nb" | "norwegian" => Some(Self::Norwegian),
            "sv" | "swedish" => Some(Self::Swedish),
            "nl" | "dutch" => Some(Self::Dutch),
            "es" | "spanish" => Some(Self::Spanish),
            "it" | "italian" => Some(Self::Italian),
            "fi" | "finnish" => Some(Self::Finnish),
            _ => None,
        }
    }

    /// The code [`Language::parse`] reads.
    pub fn code(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Danish => "da",
            Self::German => "de",
            Self::French => "fr",
            Self::Norwegian => "no",
            Self::Swedish => "sv",
            Self::Dutch => "nl",
            Self::Spanish => "es",
            Self::Italian => "it",
            Self::Finnish => "fi",
        }
    }

    fn stemming(self) -> Stemming {
        match self {
            Self::English => Stemming::English,
            Self::Danish => Stemming::Danish,
            Self::German => Stemming::German,
            Self::French => Stemming::French,
            Self::Norwegian => Stemming::Norwegian,
            Self::Swedish => Stemming::Swedish,
            Self::Dutch => Stemming::Dutch,
            Self::Spanish => Stemming::Spanish,
            Self::Italian => Stemming::Italian,
            Self::Finnish => Stemming::Finnish,
        }
    }
}

/// The stemming analyzer of free-text fields.
pub const TEXT: &str = "datahavn_text";
/// Lowercased, folded, unstemmed: names and emails in text fields.
pub const PLAIN: &str = "datahavn_plain";

pub fn register_tokenizers(index: &Index, language: Language) {
    let text = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(language.stemming()))
        .build();
    let plain = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    index.tokenizers().register(TEXT, text);
    index.tokenizers().register(PLAIN, plain);
}

/// The index's fields.
#[derive(Debug, Clone)]
pub struct Fields {
    pub id: Field,
    pub name: Field,
    pub title: Field,
    pub title_string: Field,
    /// The title lowercased, whole: for prefix completion.
    pub title_lower: Field,
    pub notes: Field,
    pub tags: Field,
    pub groups: Field,
    pub organization: Field,
    pub owner_org: Field,
    pub capacity: Field,
    pub state: Field,
    pub license_id: Field,
    pub dataset_type: Field,
    pub creator_user_id: Field,
    pub url: Field,
    pub version: Field,
    pub author: Field,
    pub maintainer: Field,
    pub res_name: Field,
    pub res_description: Field,
    pub res_format: Field,
    pub res_url: Field,
    pub metadata_created: Field,
    pub metadata_modified: Field,
    pub extras: Field,
    pub text: Field,
    pub data: Field,
    /// [`datahavn_storage::pack::text_hash`] of `data`: a page may take the read cache's copy
    /// of a dict that hashes alike instead of reading it from the store.
    pub data_hash: Field,
}

fn text_options(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

/// The index's settings: stored dataset dicts compressed one by one (blocks of 4 KiB close
/// after each dict of that size or more), so that fetching a search result decompresses that
/// result, not a 16 KiB block of neighbours with it.
pub fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings { docstore_blocksize: 4096, ..tantivy::IndexSettings::default() }
}

pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let exact = STRING | FAST;
    let date = DateOptions::from(INDEXED | FAST).set_precision(DateTimePrecision::Microseconds);
    let fields = Fields {
        id: b.add_text_field("id", STRING | FAST | STORED),
        name: b.add_text_field("name", exact.clone()),
        title: b.add_text_field("title", text_options(TEXT)),
        title_string: b.add_text_field("title_string", exact.clone()),
        title_lower: b.add_text_field("title_lower", STRING),
        notes: b.add_text_field("notes", text_options(TEXT)),
        tags: b.add_text_field("tags", exact.clone()),
        groups: b.add_text_field("groups", exact.clone()),
        organization: b.add_text_field("organization", exact.clone()),
        owner_org: b.add_text_field("owner_org", exact.clone()),
        capacity: b.add_text_field("capacity", exact.clone()),
        state: b.add_text_field("state", exact.clone()),
        license_id: b.add_text_field("license_id", exact.clone()),
        dataset_type: b.add_text_field("dataset_type", exact.clone()),
        creator_user_id: b.add_text_field("creator_user_id", exact.clone()),
        url: b.add_text_field("url", STRING),
        version: b.add_text_field("version", STRING),
        author: b.add_text_field("author", text_options(PLAIN)),
        maintainer: b.add_text_field("maintainer", text_options(PLAIN)),
        res_name: b.add_text_field("res_name", text_options(TEXT)),
        res_description: b.add_text_field("res_description", text_options(TEXT)),
        res_format: b.add_text_field("res_format", exact.clone()),
        res_url: b.add_text_field("res_url", STRING),
        metadata_created: b.add_date_field("metadata_created", date.clone()),
        metadata_modified: b.add_date_field("metadata_modified", date),
        extras: b.add_json_field(
            "extras",
            JsonObjectOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TEXT)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        ),
        text: b.add_text_field("text", text_options(TEXT)),
        data: b.add_text_field("data", STORED),
        data_hash: b.add_u64_field("data_hash", FAST),
    };
    (b.build(), fields)
}

/// The fast string field a `facet.field` name counts.
pub fn facet_field(name: &str) -> Option<&'static str> {
    Some(match name {
        "tags" => "tags",
        "groups" => "groups",
        "organization" => "organization",
        "owner_org" => "owner_org",
        "res_format" => "res_format",
        "license_id" => "license_id",
        "capacity" => "capacity",
        "state" => "state",
        "dataset_type" | "type" => "dataset_type",
        "name" => "name",
        "creator_user_id" => "creator_user_id",
        _ => return None,
    })
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        // Language dicts and lists: every string inside.
        Value::Object(map) => {
            let parts: Vec<String> = map.values().filter_map(text_of).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(text_of).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        }
        _ => None,
    }
}

fn date(timestamp: datahavn_domain::Timestamp) -> DateTime {
    date_time(timestamp.naive())
}

/// Keys of the document that are indexed as fields of their own (not as free-form extras).
const OWN_FIELDS: &[&str] = &[
    "title",
    "notes",
    "tags",
    "extras",
    "resources",
    "url",
    "version",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "license_id",
    "groups",
];

impl Fields {
    /// The index document of a dataset.
    pub fn document(&self, package: &IndexedPackage) -> TantivyDocument {
        let record = &package.record;
        let doc_map = &record.document;
        let mut doc = TantivyDocument::default();
        let mut text: Vec<String> = Vec::new();
        doc.add_text(self.id, &record.id);
        doc.add_text(self.name, &record.name);
        text.push(record.name.replace(['-', '_'], " "));
        let title = doc_map.get("title").and_then(text_of).unwrap_or_else(|| record.name.clone());
        doc.add_text(self.title, &title);
        doc.add_text(self.title_string, &title);
        doc.add_text(self.title_lower, title.to_lowercase());
        text.push(title);
        if let Some(notes) = doc_map.get("notes").and_then(text_of) {
            doc.add_text(self.notes, &notes);
            text.push(notes);
        }
        // Free tags only: vocabulary tags are CKAN's `vocab_<vocabulary>` fields, not `tags`.
        for tag in doc_map.get("tags").and_then(Value::as_array).into_iter().flatten() {
            if tag.get("vocabulary_id").is_some_and(|v| !v.is_null()) {
                continue;
            }
            if let Some(name) = tag.get("name").and_then(Value::as_str) {
                doc.add_text(self.tags, name);
                text.push(name.to_owned());
            }
        }
        for group in &package.group_names {
            doc.add_text(self.groups, group);
            text.push(group.clone());
        }
        if let Some(org) = &package.organization {
            doc.add_text(self.organization, org);
        }
        if let Some(owner) = &record.owner_org {
            doc.add_text(self.owner_org, owner);
        }
        doc.add_text(self.capacity, if record.private { "private" } else { "public" });
        doc.add_text(self.state, record.state.as_str());
        doc.add_text(self.dataset_type, &record.package_type);
        if let Some(creator) = &record.creator_user_id {
            doc.add_text(self.creator_user_id, creator);
        }
        for (field, key) in [(self.license_id, "license_id"), (self.url, "url"), (self.version, "version")] {
            if let Some(value) = doc_map.get(key).and_then(Value::as_str).filter(|v| !v.is_empty()) {
                doc.add_text(field, value);
            }
        }
        for (field, keys) in
            [(self.author, ["author", "author_email"]), (self.maintainer, ["maintainer", "maintainer_email"])]
        {
            for key in keys {
                if let Some(value) = doc_map.get(key).and_then(text_of) {
                    doc.add_text(field, &value);
                    text.push(value);
                }
            }
        }
        for resource in doc_map.get("resources").and_then(Value::as_array).into_iter().flatten() {
            if let Some(name) = resource.get("name").and_then(text_of) {
                doc.add_text(self.res_name, &name);
                text.push(name);
            }
            if let Some(description) = resource.get("description").and_then(text_of) {
                doc.add_text(self.res_description, &description);
                text.push(description);
            }
            if let Some(format) = resource.get("format").and_then(Value::as_str).filter(|f| !f.is_empty()) {
                doc.add_text(self.res_format, format);
            }
            if let Some(url) = resource.get("url").and_then(Value::as_str).filter(|u| !u.is_empty()) {
                doc.add_text(self.res_url, url);
            }
        }
        // Extras and free-form top-level fields, searchable as `extras_<key>` and `<key>`.
        let mut extras: BTreeMap<String, OwnedValue> = BTreeMap::new();
        for extra in doc_map.get("extras").and_then(Value::as_array).into_iter().flatten() {
            if let (Some(key), Some(value)) =
                (extra.get("key").and_then(Value::as_str), extra.get("value").and_then(text_of))
            {
                text.push(value.clone());
                extras.insert(key.to_owned(), OwnedValue::Str(value));
            }
        }
        // Vocabulary tags, as CKAN's `vocab_<vocabulary>` fields.
        let mut vocabularies: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (vocabulary, tag) in &package.vocabulary_tags {
            vocabularies.entry(format!("vocab_{vocabulary}")).or_default().push(tag.clone());
            text.push(tag.clone());
        }
        for (key, tags) in vocabularies {
            extras.insert(key, OwnedValue::Str(tags.join("\n")));
        }
        for (key, value) in doc_map {
            if OWN_FIELDS.contains(&key.as_str()) || extras.contains_key(key) {
                continue;
            }
            if let Some(value) = text_of(value) {
                extras.insert(key.clone(), OwnedValue::Str(value));
            }
        }
        if !extras.is_empty() {
            doc.add_object(self.extras, extras);
        }
        doc.add_date(self.metadata_created, date(record.metadata_created));
        doc.add_date(self.metadata_modified, date(record.metadata_modified));
        doc.add_text(self.text, text.join("\n"));
        doc.add_text(self.data, &record.rendered);
        doc.add_u64(self.data_hash, datahavn_storage::pack::text_hash(record.rendered.as_bytes()));
        doc
    }
}

/// A date as the index stores it: nanoseconds in an `i64`, so dates outside 1677–2262 (a range
/// bound such as `2999-01-01`) are taken as the nearest that fits.
pub(crate) fn date_time(naive: chrono::NaiveDateTime) -> DateTime {
    const LIMIT: i64 = i64::MAX / 1_000;
    DateTime::from_timestamp_micros(naive.and_utc().timestamp_micros().clamp(-LIMIT, LIMIT))
}

#[cfg(test)]
mod date_tests {
    #[test]
    fn dates_beyond_the_index_range_are_clamped_not_overflowed() {
        let far = chrono::NaiveDate::from_ymd_opt(2999, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
        let near = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
        let (Some(far), Some(near)) = (far, near) else { panic!("valid dates") };
        assert!(super::date_time(far) > super::date_time(near));
        assert_eq!(super::date_time(near).into_timestamp_micros(), near.and_utc().timestamp_micros());
    }
}
