//! Validation errors in CKAN's shape: field name to a list of messages, in insertion order.

use serde_json::{Map, Value};

/// The field errors of one request, collected before anything is written.
///
/// Serialized as CKAN does: `{"name": ["Missing value"], "email": ["..."]}`, and for the
/// entries of a list of dicts that failed, a list of their error dicts:
/// `{"extras": [{"key": ["There is a schema field with the same name"]}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors {
    fields: Vec<(String, Entry)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Messages(Vec<String>),
    /// One error dict per failed entry of a list of dicts, in the list's order.
    Items(Vec<Map<String, Value>>),
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// One error on one field.
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    /// Adds a message to a field, keeping the order in which fields first failed.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let message = message.into();
        match self.fields.iter_mut().find(|(name, _)| name == field) {
            Some((_, Entry::Messages(messages))) => messages.push(message),
            Some((_, entry)) => *entry = Entry::Messages(vec![message]),
            None => self.fields.push((field.to_owned(), Entry::Messages(vec![message]))),
        }
    }

    /// Adds the errors of one failed entry of the list of dicts `field`: `{key: [message]}`.
    pub fn add_item(&mut self, field: &str, key: &str, message: impl Into<String>) {
        let mut item = Map::new();
        item.insert(key.to_owned(), Value::Array(vec![Value::String(message.into())]));
        match self.fields.iter_mut().find(|(name, _)| name == field) {
            Some((_, Entry::Items(items))) => items.push(item),
            Some((_, Entry::Messages(_))) => {}
            None => self.fields.push((field.to_owned(), Entry::Items(vec![item]))),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn contains(&self, field: &str) -> bool {
        self.fields.iter().any(|(name, _)| name == field)
    }

    /// The messages of a field; for a list of dicts, `key: message` of each failed entry.
    pub fn messages(&self, field: &str) -> Vec<String> {
        match self.fields.iter().find(|(name, _)| name == field).map(|(_, entry)| entry) {
            Some(Entry::Messages(messages)) => messages.clone(),
            Some(Entry::Items(items)) => items
                .iter()
                .flat_map(|item| {
                    item.iter().flat_map(|(key, list)| {
                        list.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(move |m| format!("{key}: {m}"))
                    })
                })
                .collect(),
            None => Vec::new(),
        }
    }

    /// Ok when nothing failed, else the collected errors.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The CKAN error dict (without `__type`, which the transport adds).
    pub fn to_json(&self) -> Map<String, Value> {
        self.fields
            .iter()
            .map(|(field, entry)| {
                let value = match entry {
                    Entry::Messages(messages) => messages.iter().cloned().map(Value::String).collect(),
                    Entry::Items(items) => items.iter().cloned().map(Value::Object).collect(),
                };
                (field.clone(), Value::Array(value))
            })
            .collect()
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .fields
            .iter()
            .map(|(field, _)| format!("{field}: {}", self.messages(field).join("; ")))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

impl std::error::Error for ValidationErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_field_order_and_groups_messages() {
        let mut errors = ValidationErrors::new();
        errors.add("name", "a");
        errors.add("email", "b");
        errors.add("name", "c");
        let json = serde_json::to_string(&errors.to_json()).unwrap_or_default();
        assert_eq!(json, r#"{"name":["a","c"],"email":["b"]}"#);
        assert!(errors.into_result().is_err());
        assert!(ValidationErrors::new().into_result().is_ok());
    }
}
