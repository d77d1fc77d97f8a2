//! Reading values out of a CKAN dict the way ckanext-dcat does: a key is looked up at the top
//! level, then among the `extras` (also as `dcat_<key>`), and values of any JSON type are
//! accepted without failing on the unexpected ones.

use serde_json::{Map, Value};

/// A CKAN dataset or resource dict.
#[derive(Clone, Copy)]
pub(crate) struct Dict<'a>(pub &'a Map<String, Value>);

impl<'a> Dict<'a> {
    /// The value of `key`: the top-level one unless it is empty, else the extra `key` or
    /// `dcat_<key>`.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        if let Some(value) = self.0.get(key).filter(|v| !is_empty(v)) {
            return Some(value);
        }
        let prefixed = format!("dcat_{key}");
        match self.0.get("extras") {
            Some(Value::Array(extras)) => extras.iter().find_map(|extra| {
                let name = extra.get("key")?.as_str()?;
                (name == key || name == prefixed).then(|| extra.get("value")).flatten()
            }),
            // Legacy APIs return extras as an object.
            Some(Value::Object(extras)) => extras.get(key).or_else(|| extras.get(&prefixed)),
            _ => None,
        }
        .filter(|v| !is_empty(v))
    }

    /// The value of `key` as one trimmed, non-empty text.
    pub fn text(&self, key: &str) -> Option<String> {
        self.raw(key).and_then(value_text)
    }

    /// The first of `keys` that has a text.
    pub fn first_text(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|key| self.text(key))
    }

    /// The value of `key` read as a list (see [`value_list`]).
    pub fn list(&self, key: &str) -> Vec<String> {
        self.raw(key).map(value_list).unwrap_or_default()
    }

    /// The value of `key` as texts, each with its language when the value is a
    /// `{language: text}` object (ckanext-fluent and scheming portals write those).
    pub fn texts(&self, key: &str) -> Vec<(String, Option<String>)> {
        self.raw(key).map(value_texts).unwrap_or_default()
    }

    /// A nested object, e.g. the `organization`.
    pub fn object(&self, key: &str) -> Option<Dict<'a>> {
        self.0.get(key).and_then(Value::as_object).map(Dict)
    }
}

/// `null`, blank strings and empty lists or objects.
pub(crate) fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// A string (trimmed) or a number as text; anything else has no single text.
pub(crate) fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A list as ckanext-dcat reads one (`_read_list_value`): a JSON list, a string holding a JSON
/// list, a comma-separated string, or a single value.
pub(crate) fn value_list(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(value_text).collect(),
        Value::String(s) => {
            let s = s.trim();
            if s.starts_with('[')
                && let Ok(Value::Array(items)) = serde_json::from_str::<Value>(s)
            {
                return items.iter().filter_map(value_text).collect();
            }
            s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        }
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

/// Texts with an optional language: a string, a list of strings, or a `{language: text}` object
/// (empty translations are skipped).
pub(crate) fn value_texts(value: &Value) -> Vec<(String, Option<String>)> {
    match value {
        Value::Object(translations) => translations
            .iter()
            .filter_map(|(lang, text)| Some((value_text(text)?, Some(lang.clone()))))
            .collect(),
        Value::Array(items) => items.iter().filter_map(value_text).map(|t| (t, None)).collect(),
        other => value_text(other).map(|t| (t, None)).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn top_level_then_extras_then_dcat_prefix() {
        let d = json!({"a": "top", "b": "", "extras": [
            {"key": "b", "value": "extra"}, {"key": "dcat_c", "value": "prefixed"}
        ]});
        let d = Dict(d.as_object().unwrap());
        assert_eq!(d.text("a").as_deref(), Some("top"));
        assert_eq!(d.text("b").as_deref(), Some("extra"));
        assert_eq!(d.text("c").as_deref(), Some("prefixed"));
        assert_eq!(d.text("d"), None);
    }

    #[test]
    fn lists_in_every_shape() {
        assert_eq!(value_list(&json!(["a", "b"])), ["a", "b"]);
        assert_eq!(value_list(&json!("[\"a\", \"b\"]")), ["a", "b"]);
        assert_eq!(value_list(&json!("a, b")), ["a", "b"]);
        assert_eq!(value_list(&json!("a")), ["a"]);
        assert_eq!(value_list(&json!({"x": 1})), Vec::<String>::new());
    }

    #[test]
    fn translations() {
        let texts = value_texts(&json!({"de": "Titel", "fr": ""}));
        assert_eq!(texts, [("Titel".to_owned(), Some("de".to_owned()))]);
    }
}
