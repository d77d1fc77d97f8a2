//! Reading CKAN dataset dicts as real portals return them: extras as a list of `{key, value}`
//! (or, from old APIs, a dict), schema extensions that put fields at the top level, text that
//! is a language map (`{"de": "...", "en": ""}`), lists stored as JSON text or comma lists.

use serde_json::{Map, Value};

/// One CKAN dataset dict.
pub(crate) struct Package<'a> {
    doc: &'a Map<String, Value>,
    extras: Vec<(&'a str, &'a Value)>,
    language: &'a str,
}

impl<'a> Package<'a> {
    /// `language` picks the text of language maps.
    pub(crate) fn new(doc: &'a Map<String, Value>, language: &'a str) -> Self {
        let extras = match doc.get("extras") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| Some((item.get("key")?.as_str()?, item.get("value")?)))
                .collect(),
            Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            _ => Vec::new(),
        };
        Package { doc, extras, language }
    }

    /// A top-level field.
    pub(crate) fn core(&self, key: &str) -> Option<&'a Value> {
        self.doc.get(key).filter(|v| !v.is_null())
    }

    /// An extra.
    pub(crate) fn extra(&self, key: &str) -> Option<&'a Value> {
        self.extras.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).filter(|v| !v.is_null())
    }

    /// A field as ckanext-dcat looks it up: at the top level (where schema extensions keep
    /// it), then among the extras; the first of `keys` that has a non-empty value.
    pub(crate) fn field(&self, keys: &[&str]) -> Option<&'a Value> {
        keys.iter()
            .find_map(|key| [self.core(key), self.extra(key)].into_iter().flatten().find(|v| !is_blank(v)))
    }

    /// The first of `keys` (see [`Package::field`]) that has text.
    pub(crate) fn text(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|key| {
            [self.core(key), self.extra(key)].into_iter().flatten().find_map(|v| self.text_of(v))
        })
    }

    /// The text of a value: a trimmed non-empty string, a number, or the preferred entry of a
    /// language map (the catalogue's language, then English, then the first non-empty).
    pub(crate) fn text_of(&self, value: &Value) -> Option<String> {
        text_of(value, self.language)
    }

    /// The organization: its title (or name), when the dict carries one.
    pub(crate) fn organization_title(&self) -> Option<String> {
        match self.core("organization")? {
            Value::Object(org) => ["title", "display_name", "name"]
                .into_iter()
                .find_map(|key| org.get(key).and_then(|v| self.text_of(v))),
            other => self.text_of(other),
        }
    }

    /// Tag names, from `tags` as dicts (`name`) or plain strings.
    pub(crate) fn tag_names(&self) -> Vec<String> {
        let Some(Value::Array(tags)) = self.core("tags") else { return Vec::new() };
        tags.iter()
            .filter_map(|tag| match tag {
                Value::Object(t) => {
                    t.get("name").or_else(|| t.get("display_name")).and_then(|v| self.text_of(v))
                }
                other => self.text_of(other),
            })
            .collect()
    }

    /// Group titles (or display names, or names).
    pub(crate) fn group_titles(&self) -> Vec<String> {
        let Some(Value::Array(groups)) = self.core("groups") else { return Vec::new() };
        groups
            .iter()
            .filter_map(|group| match group {
                Value::Object(g) => ["title", "display_name", "name"]
                    .into_iter()
                    .find_map(|key| g.get(key).and_then(|v| self.text_of(v))),
                other => self.text_of(other),
            })
            .collect()
    }

    /// The resources that are dicts.
    pub(crate) fn resources(&self) -> impl Iterator<Item = &'a Map<String, Value>> {
        let resources = match self.core("resources") {
            Some(Value::Array(items)) => items.as_slice(),
            _ => &[],
        };
        resources.iter().filter_map(Value::as_object)
    }
}

/// Whether a value carries nothing: null, blank text, an empty list or map.
pub(crate) fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// See [`Package::text_of`].
pub(crate) fn text_of(value: &Value, language: &str) -> Option<String> {
    match value {
        Value::String(s) if s.starts_with('{') && s.ends_with('}') => {
            match serde_json::from_str::<Value>(s) {
                // A language map kept as JSON text (opendata.swiss group titles).
                Ok(map @ Value::Object(_)) if is_language_map(&map) => text_of(&map, language),
                _ => Some(s.trim().to_owned()),
            }
        }
        Value::String(s) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(map) => [language, "en"]
            .into_iter()
            .find_map(|lang| map.get(lang).and_then(Value::as_str))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .or_else(|| map.values().filter_map(Value::as_str).map(str::trim).find(|s| !s.is_empty()))
            .map(str::to_owned),
        _ => None,
    }
}

/// Whether a value is an object of texts keyed by language (`{"de": "...", "fr": ""}`).
fn is_language_map(value: &Value) -> bool {
    value.as_object().is_some_and(|map| {
        !map.is_empty()
            && map.iter().all(|(key, text)| {
                text.is_string()
                    && (2..=3).contains(&key.len())
                    && key.chars().all(|c| c.is_ascii_lowercase())
            })
    })
}

/// Whether text is a UUID (what some portals put in `maintainer`: a user id, not a name).
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The items of a list value: a JSON array (of strings or numbers), a string holding a JSON
/// array, or a comma-separated string. Items are trimmed; blanks are dropped.
pub(crate) fn list_of(value: &Value) -> Vec<String> {
    let items =
        |items: &[Value]| -> Vec<String> { items.iter().filter_map(|item| text_of(item, "en")).collect() };
    match value {
        Value::Array(values) => items(values),
        Value::String(s) => {
            let trimmed = s.trim();
            if trimmed.starts_with('[')
                && let Ok(Value::Array(values)) = serde_json::from_str::<Value>(trimmed)
            {
                return items(&values);
            }
            trimmed.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        }
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

/// A name and an e-mail address, as CKAN fields and extras hold contacts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Contact {
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
}

impl Contact {
    /// A contact from a name field and an e-mail field. A name holding JSON with `name`/`email`
    /// (EnviDat keeps its author and maintainer lists so) is read as that; a name that is only
    /// an e-mail address also gives the address.
    pub(crate) fn from_fields(name: Option<&Value>, email: Option<&Value>) -> Contact {
        let mut contact = Contact {
            name: name.and_then(|v| text_of(v, "en")).filter(|n| !is_uuid(n)),
            email: email.and_then(|v| text_of(v, "en")).and_then(|e| crate::valid::email(&e)),
        };
        if let Some(name) = contact.name.clone() {
            let trimmed = name.trim_start();
            if (trimmed.starts_with('{') || trimmed.starts_with('['))
                && let Ok(json) = serde_json::from_str::<Value>(trimmed)
            {
                let first = match &json {
                    Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
                    other => other.clone(),
                };
                let inner = Contact::from_object(&first);
                contact.name = inner.name;
                contact.email = contact.email.or(inner.email);
            } else if contact.email.is_none() && crate::valid::email(&name).as_deref() == Some(name.as_str())
            {
                contact.email = Some(name);
            }
        }
        contact
    }

    /// A contact from a dict with `name`/`fn` and `email`/`hasEmail`/`mbox`.
    pub(crate) fn from_object(value: &Value) -> Contact {
        let get = |keys: &[&str]| keys.iter().find_map(|k| value.get(k)).filter(|v| !v.is_null());
        let mut contact = Contact::from_fields(get(&["fn", "name"]), get(&["hasEmail", "email", "mbox"]));
        if contact.name.as_deref().is_some_and(|n| n.starts_with('{') || n.starts_with('[')) {
            contact.name = None;
        }
        contact
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.name.is_none() && self.email.is_none()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_come_from_the_top_level_then_extras() {
        let doc = json!({
            "identifier": "",
            "title": {"de": "Titel", "en": ""},
            "extras": [{"key": "identifier", "value": "x-1"}, {"key": "theme", "value": "[\"a\", \"b\"]"}]
        });
        let package = Package::new(doc.as_object().unwrap(), "fr");
        assert_eq!(package.text(&["identifier"]).as_deref(), Some("x-1"));
        assert_eq!(package.text(&["title"]).as_deref(), Some("Titel"));
        assert_eq!(list_of(package.field(&["theme"]).unwrap()), ["a", "b"]);
        let legacy = json!({"extras": {"update_frequency": "monthly"}});
        let package = Package::new(legacy.as_object().unwrap(), "en");
        assert_eq!(package.text(&["update_frequency"]).as_deref(), Some("monthly"));
    }

    #[test]
    fn language_maps_kept_as_text() {
        let group = json!("{\"de\": \"Regierung\", \"en\": \"Government\"}");
        assert_eq!(text_of(&group, "de").as_deref(), Some("Regierung"));
        assert_eq!(text_of(&group, "fr").as_deref(), Some("Government"));
        assert_eq!(text_of(&json!("{\"type\": \"Point\"}"), "en").as_deref(), Some("{\"type\": \"Point\"}"));
    }

    #[test]
    fn lists() {
        assert_eq!(list_of(&json!("a, b,,c")), ["a", "b", "c"]);
        assert_eq!(list_of(&json!(["a", " ", 3])), ["a", "3"]);
        assert!(list_of(&json!(null)).is_empty());
    }

    #[test]
    fn contacts() {
        let envidat = json!(
            "{\"affiliation\": \"SLF\", \"email\": \"data@slf.ch\", \"name\": \"Avalanche Warning Service SLF \"}"
        );
        let contact = Contact::from_fields(Some(&envidat), None);
        assert_eq!(contact.name.as_deref(), Some("Avalanche Warning Service SLF"));
        assert_eq!(contact.email.as_deref(), Some("data@slf.ch"));
        let address = json!("datashop@statistik.zh.ch");
        let contact = Contact::from_fields(Some(&address), None);
        assert_eq!(contact.email.as_deref(), Some("datashop@statistik.zh.ch"));
        let user_id = json!("a5c5296a-3206-4e51-b2de-b07d4a2e1f8f");
        assert_eq!(Contact::from_fields(Some(&user_id), None), Contact::default());
        let contact = Contact::from_fields(Some(&json!("Jo")), Some(&json!("not an address")));
        assert_eq!(contact, Contact { name: Some("Jo".into()), email: None });
    }
}
