//! Reading an action's request dict the way CKAN's validators read it.
//!
//! The transport hands every action a JSON object. GET query strings and form bodies carry only
//! strings, JSON bodies carry real types; these readers accept both and report a wrong type as a
//! field error, so a bad value is a 409 that names the field, never a 500.

use serde_json::{Map, Value};

use crate::ValidationErrors;

pub const MISSING_VALUE: &str = "Missing value";

/// CKAN's `asbool`: booleans sent as strings, case-insensitively.
pub fn parse_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "y" | "t" | "1" => Some(true),
            "false" | "no" | "off" | "n" | "f" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The request dict of one action call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(Map<String, Value>);

impl Params {
    pub fn new(map: Map<String, Value>) -> Self {
        Self(map)
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// The value under `key`; an explicit `null` counts as not given, as in CKAN.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// A text value. Numbers and booleans are turned into text, as CKAN's `unicode_safe` does;
    /// lists and objects are a field error.
    pub fn string(&self, key: &str, errors: &mut ValidationErrors) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
            _ => {
                errors.add(key, "Must be a string");
                None
            }
        }
    }

    /// A text value that must be present and not blank.
    pub fn required_string(&self, key: &str, errors: &mut ValidationErrors) -> Option<String> {
        match self.string(key, errors) {
            Some(s) if !s.trim().is_empty() => Some(s),
            Some(_) | None => {
                if !errors.contains(key) {
                    errors.add(key, MISSING_VALUE);
                }
                None
            }
        }
    }

    /// The first present key of several (CKAN accepts `id` or `name_or_id`, `user_id` or `user`).
    pub fn first_string(&self, keys: &[&str], errors: &mut ValidationErrors) -> Option<String> {
        keys.iter().find_map(|key| self.string(key, errors)).filter(|s| !s.is_empty())
    }

    /// A boolean, with `default` when absent or empty.
    pub fn bool(&self, key: &str, default: bool, errors: &mut ValidationErrors) -> bool {
        match self.get(key) {
            None => default,
            Some(Value::String(s)) if s.is_empty() => default,
            Some(value) => parse_bool(value).unwrap_or_else(|| {
                errors.add(key, "Value must be one of: true, false");
                default
            }),
        }
    }

    /// A non-negative integer (`limit`, `offset`), CKAN's `natural_number_validator`.
    pub fn natural(&self, key: &str, errors: &mut ValidationErrors) -> Option<u64> {
        let value = self.get(key)?;
        let parsed = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) if s.trim().is_empty() => return None,
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        match parsed {
            None => {
                errors.add(key, "Invalid integer");
                None
            }
            Some(n) if n < 0 => {
                errors.add(key, "Must be a natural number");
                None
            }
            Some(n) => u64::try_from(n).ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(value: Value) -> Params {
        match value {
            Value::Object(map) => Params::new(map),
            _ => Params::default(),
        }
    }

    #[test]
    fn reads_ckan_boolean_spellings() {
        for yes in ["true", "True", "YES", "on", "y", "t", "1"] {
            assert_eq!(parse_bool(&json!(yes)), Some(true), "{yes}");
        }
        for no in ["false", "False", "no", "off", "n", "f", "0"] {
            assert_eq!(parse_bool(&json!(no)), Some(false), "{no}");
        }
        assert_eq!(parse_bool(&json!(true)), Some(true));
        assert_eq!(parse_bool(&json!("maybe")), None);
    }

    #[test]
    fn a_bad_boolean_is_a_field_error() {
        let mut errors = ValidationErrors::new();
        let p = params(json!({"all_fields": "maybe"}));
        assert!(p.bool("all_fields", true, &mut errors));
        assert!(errors.contains("all_fields"));
    }

    #[test]
    fn strings_accept_scalars_and_reject_containers() {
        let mut errors = ValidationErrors::new();
        let p = params(json!({"a": 5, "b": ["x"], "c": null, "d": "text"}));
        assert_eq!(p.string("a", &mut errors).as_deref(), Some("5"));
        assert_eq!(p.string("b", &mut errors), None);
        assert_eq!(p.string("c", &mut errors), None);
        assert_eq!(p.string("d", &mut errors).as_deref(), Some("text"));
        assert_eq!(errors.messages("b"), ["Must be a string"]);
        assert!(!errors.contains("c"));
    }

    #[test]
    fn required_strings_report_missing_values() {
        let mut errors = ValidationErrors::new();
        let p = params(json!({"blank": "  "}));
        assert_eq!(p.required_string("name", &mut errors), None);
        assert_eq!(p.required_string("blank", &mut errors), None);
        assert_eq!(errors.messages("name"), [MISSING_VALUE]);
        assert_eq!(errors.messages("blank"), [MISSING_VALUE]);
    }

    #[test]
    fn naturals_reject_negative_and_non_numbers() {
        let mut errors = ValidationErrors::new();
        let p = params(json!({"limit": "10", "offset": -1, "rows": "ten", "x": 3}));
        assert_eq!(p.natural("limit", &mut errors), Some(10));
        assert_eq!(p.natural("offset", &mut errors), None);
        assert_eq!(p.natural("rows", &mut errors), None);
        assert_eq!(p.natural("x", &mut errors), Some(3));
        assert_eq!(errors.messages("offset"), ["Must be a natural number"]);
        assert_eq!(errors.messages("rows"), ["Invalid integer"]);
    }
}
