//! Turning a request into an action's dict, in the order CKAN does (ckan-api.md §1.2).

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

/// Why a request could not be read. Each becomes a bare JSON string with status 400 (or 413).
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// GET on an action that changes things.
    UsePost,
    /// The body or the query is not what it claims to be.
    Json(String),
    /// The body decoded to something other than an object.
    NotObject(String),
    /// The body is larger than the configured limit.
    TooLarge,
    /// The body did not arrive within the configured time.
    TimedOut,
}

impl DecodeError {
    /// CKAN's text for the error (2.12 wording).
    pub fn message(&self) -> String {
        match self {
            Self::UsePost => {
                "Bad request: JSON Error: Invalid request. Please use POST method for your request".into()
            }
            Self::Json(reason) => format!(
                "Bad request: JSON Error: Error decoding JSON data. Error: {reason} JSON data extracted from the request: {{}}"
            ),
            Self::NotObject(repr) => format!(
                "Bad request: JSON Error: Request data JSON decoded to {repr} but it needs to be a dictionary."
            ),
            Self::TooLarge => {
                "Request Entity Too Large: The data value transmitted exceeds the capacity limit.".into()
            }
            Self::TimedOut => "Request Timeout: the request body did not arrive in time".into(),
        }
    }
}

/// What the transport knows about a request.
pub struct RawRequest<'a> {
    pub is_get: bool,
    pub is_form: bool,
    pub query: &'a str,
    pub body: &'a [u8],
}

/// Splits `a=1&b=2&a=3` into decoded pairs; `+` is a space. Invalid UTF-8 is an error.
pub fn parse_pairs(text: &str) -> Result<Vec<(String, String)>, DecodeError> {
    let decode = |part: &str| {
        let spaced = part.replace('+', " ");
        percent_decode_str(&spaced)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| DecodeError::Json("the data is not valid UTF-8".into()))
    };
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(key)?, decode(value)?))
        })
        .collect()
}

/// Repeated keys become lists of strings, single ones strings (Werkzeug's `MultiDict` flattened).
fn mixed(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in pairs {
        match out.get_mut(&key) {
            Some(Value::Array(list)) => list.push(Value::String(value)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(value)]);
            }
            None => {
                out.insert(key, Value::String(value));
            }
        }
    }
    out
}

fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, DecodeError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(DecodeError::NotObject(other.to_string())),
        Err(e) => Err(DecodeError::Json(e.to_string())),
    }
}

/// The dict of form fields (urlencoded or multipart): one field whose value is `""` or `"1"`
/// is JSON in its name (what `curl -d '{"a": 1}'` sends); otherwise each field is a key.
pub fn form_dict(pairs: Vec<(String, String)>) -> Result<Map<String, Value>, DecodeError> {
    if let [(key, value)] = pairs.as_slice()
        && (value.is_empty() || value == "1")
    {
        return json_object(key.as_bytes());
    }
    Ok(mixed(pairs))
}

/// The action's dict.
pub fn decode(request: &RawRequest<'_>, side_effect_free: bool) -> Result<Map<String, Value>, DecodeError> {
    if request.is_get && !side_effect_free {
        return Err(DecodeError::UsePost);
    }
    if !request.is_get && request.is_form && !request.body.is_empty() {
        let text = std::str::from_utf8(request.body)
            .map_err(|_| DecodeError::Json("the data is not valid UTF-8".into()))?;
        return form_dict(parse_pairs(text)?);
    }
    if side_effect_free && !request.query.is_empty() {
        return Ok(mixed(parse_pairs(request.query)?));
    }
    // Only an empty body is an empty dict; blanks alone are JSON that does not decode (CKAN).
    if request.body.is_empty() {
        return Ok(Map::new());
    }
    json_object(request.body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req<'a>(is_get: bool, is_form: bool, query: &'a str, body: &'a [u8]) -> RawRequest<'a> {
        RawRequest { is_get, is_form, query, body }
    }

    #[test]
    fn get_on_a_write_action_asks_for_post() {
        assert_eq!(decode(&req(true, false, "name=x", b""), false), Err(DecodeError::UsePost));
    }

    #[test]
    fn query_strings_feed_read_actions() {
        let map = decode(&req(true, false, "id=a%20b&x=1&x=2&flag", b""), true).unwrap_or_default();
        assert_eq!(Value::Object(map), json!({"id": "a b", "x": ["1", "2"], "flag": ""}));
    }

    #[test]
    fn a_read_action_posted_with_a_query_ignores_the_body() {
        let map = decode(&req(false, false, "id=q", br#"{"id": "body"}"#), true).unwrap_or_default();
        assert_eq!(map.get("id"), Some(&json!("q")));
    }

    #[test]
    fn write_actions_ignore_the_query() {
        let map = decode(&req(false, false, "id=q", br#"{"id": "body"}"#), false).unwrap_or_default();
        assert_eq!(map.get("id"), Some(&json!("body")));
    }

    #[test]
    fn one_form_field_holding_json_is_the_body() {
        let body = br#"%7B%22name%22%3A+%22x%22%7D="#;
        let map = decode(&req(false, true, "", body), false).unwrap_or_default();
        assert_eq!(Value::Object(map), json!({"name": "x"}));
        let map = decode(&req(false, true, "", br#"{"name":"y"}"#), false).unwrap_or_default();
        assert_eq!(Value::Object(map), json!({"name": "y"}));
    }

    #[test]
    fn form_fields_become_keys() {
        let map = decode(&req(false, true, "", b"name=x&tag=a&tag=b"), false).unwrap_or_default();
        assert_eq!(Value::Object(map), json!({"name": "x", "tag": ["a", "b"]}));
    }

    #[test]
    fn bad_bodies_are_refused() {
        assert!(matches!(decode(&req(false, false, "", b"{not json"), false), Err(DecodeError::Json(_))));
        assert_eq!(
            decode(&req(false, false, "", b"[1,2]"), false),
            Err(DecodeError::NotObject("[1,2]".into()))
        );
        assert!(matches!(decode(&req(false, false, "", b"\"\xff\""), false), Err(DecodeError::Json(_))));
        assert!(matches!(decode(&req(true, false, "id=%ff", b""), true), Err(DecodeError::Json(_))));
    }

    #[test]
    fn only_an_empty_body_is_an_empty_dict() {
        assert_eq!(decode(&req(false, false, "", b""), false), Ok(Map::new()));
        assert!(matches!(decode(&req(false, false, "", b"  \n"), false), Err(DecodeError::Json(_))));
    }
}
