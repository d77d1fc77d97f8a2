//! Validation errors in CKAN's shape: field name to a list of messages, in insertion order.

use serde_json::{Map, Value};

/// The field errors of one request, collected before anything is written.
///
/// Serialized as CKAN does: `{"name": ["Missing value"], "email": ["..."]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors {
    fields: Vec<(String, Vec<String>)>,
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
            Some((_, messages)) => messages.push(message),
            None => self.fields.push((field.to_owned(), vec![message])),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn contains(&self, field: &str) -> bool {
        self.fields.iter().any(|(name, _)| name == field)
    }

    pub fn messages(&self, field: &str) -> &[String] {
        self.fields
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, messages)| messages.as_slice())
            .unwrap_or(&[])
    }

    /// Ok when nothing failed, else the collected errors.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The CKAN error dict (without `__type`, which the transport adds).
    pub fn to_json(&self) -> Map<String, Value> {
        self.fields
            .iter()
            .map(|(field, messages)| {
                let list = messages.iter().cloned().map(Value::String).collect();
                (field.clone(), Value::Array(list))
            })
            .collect()
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> =
            self.fields.iter().map(|(field, messages)| format!("{field}: {}", messages.join("; "))).collect();
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
