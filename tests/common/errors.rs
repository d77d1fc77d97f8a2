//! CKAN's error bodies, for comparing a reply's `error` with what CKAN answers.

use serde_json::{Value, json};

use super::Reply;

/// The reply failed with this status and exactly this `error`.
pub fn assert_error(reply: &Reply, status: u16, error: &Value) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(&reply.error(), error, "{}", reply.text);
}

/// A validation error of one field.
pub fn validation(field: &str, message: &str) -> Value {
    json!({field: [message], "__type": "Validation Error"})
}

/// A validation error with a message instead of fields.
pub fn message(text: &str) -> Value {
    json!({"message": text, "__type": "Validation Error"})
}

pub fn denied(text: &str) -> Value {
    json!({"__type": "Authorization Error", "message": text})
}

pub fn not_found(text: &str) -> Value {
    json!({"__type": "Not Found Error", "message": text})
}
