//! CKAN's response envelopes: `{help, success, result}` and `{help, error, success: false}`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use datahavn_actions::ActionError;
use serde_json::{Map, Value};

pub const JSON: &str = "application/json;charset=utf-8";
pub const JAVASCRIPT: &str = "application/javascript;charset=utf-8";
pub const CACHE: &str = "public, max-age=0, must-revalidate";

pub fn help_url(site_url: &str, action: &str) -> String {
    format!("{site_url}/api/3/action/help_show?name={action}")
}

/// The body and status of an action's outcome.
pub fn outcome(help: String, result: Result<Value, ActionError>) -> (StatusCode, Value) {
    let mut body = Map::new();
    body.insert("help".into(), Value::String(help));
    let (status, error) = match result {
        Ok(result) => {
            body.insert("success".into(), Value::Bool(true));
            body.insert("result".into(), result);
            return (StatusCode::OK, Value::Object(body));
        }
        Err(error) => error_dict(error),
    };
    body.insert("error".into(), Value::Object(error));
    body.insert("success".into(), Value::Bool(false));
    (status, Value::Object(body))
}

fn typed(kind: &str, message: String) -> Map<String, Value> {
    let mut error = Map::new();
    error.insert("__type".into(), kind.into());
    error.insert("message".into(), message.into());
    error
}

fn error_dict(error: ActionError) -> (StatusCode, Map<String, Value>) {
    let with_reason = |base: &str, reason: Option<String>| match reason {
        Some(reason) if !reason.is_empty() => format!("{base}: {reason}"),
        _ => base.to_owned(),
    };
    match error {
        ActionError::Validation(errors) => {
            let mut dict = errors.to_json();
            dict.insert("__type".into(), "Validation Error".into());
            (StatusCode::CONFLICT, dict)
        }
        ActionError::ValidationDict(mut dict) => {
            dict.insert("__type".into(), "Validation Error".into());
            (StatusCode::CONFLICT, dict)
        }
        ActionError::NotFound(reason) => {
            (StatusCode::NOT_FOUND, typed("Not Found Error", with_reason("Not found", reason)))
        }
        ActionError::NotAuthorized(reason) => {
            (StatusCode::FORBIDDEN, typed("Authorization Error", with_reason("Access denied", reason)))
        }
        ActionError::Integrity(message) => (StatusCode::BAD_REQUEST, typed("Integrity Error", message)),
        ActionError::SearchQuery(reason) => (
            StatusCode::BAD_REQUEST,
            typed("Search Query Error", format!("Search Query is invalid: {}", python_repr(&reason))),
        ),
        ActionError::Unavailable(cause) => {
            let id = crate::request_id::current_request_id();
            log::warn!("database unavailable (request {}): {cause}", id.as_deref().unwrap_or("-"));
            (
                StatusCode::SERVICE_UNAVAILABLE,
                typed(
                    "Service Unavailable",
                    "Service Unavailable: the database cannot be reached; try again later".into(),
                ),
            )
        }
        ActionError::Internal(cause) => {
            log::error!("internal error: {cause}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                typed("Internal Server Error", "Internal Server Error".into()),
            )
        }
    }
}

/// A string as Python's `repr` writes it (CKAN formats search errors with `%r`): single quotes,
/// unless the text holds a single quote and no double quote.
fn python_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Seconds a client is asked to wait after a 503 before trying again.
pub const RETRY_AFTER_UNAVAILABLE: u64 = 5;

/// A JSON response with CKAN's headers; a 503 says when to try again.
pub fn json_response(status: StatusCode, body: &Value) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((CONTENT_TYPE, JSON)).insert_header((CACHE_CONTROL, CACHE));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((RETRY_AFTER, RETRY_AFTER_UNAVAILABLE.to_string()));
    }
    response.body(body.to_string())
}

/// CKAN's request-level failures: a bare JSON string.
pub fn bare_string(status: StatusCode, message: &str) -> HttpResponse {
    json_response(status, &Value::String(message.to_owned()))
}

/// `cb({...});`, with the callback name HTML-escaped as CKAN does.
pub fn jsonp_response(callback: &str, body: &Value) -> HttpResponse {
    let escaped = callback
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;");
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, JAVASCRIPT))
        .insert_header((CACHE_CONTROL, CACHE))
        .body(format!("{escaped}({body});"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datahavn_domain::ValidationErrors;

    #[test]
    fn success_keeps_ckans_key_order() {
        let (status, body) = outcome("h".into(), Ok(Value::Bool(true)));
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body.to_string(), r#"{"help":"h","success":true,"result":true}"#);
    }

    #[test]
    fn validation_errors_put_fields_before_the_type() {
        let (status, body) = outcome(
            "h".into(),
            Err(ActionError::Validation(ValidationErrors::single("name", "Missing value"))),
        );
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            body.to_string(),
            r#"{"help":"h","error":{"name":["Missing value"],"__type":"Validation Error"},"success":false}"#
        );
    }

    #[test]
    fn reasons_follow_the_base_message() {
        let (status, body) = outcome("h".into(), Err(ActionError::not_found("User not found")));
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["message"], "Not found: User not found");
        let (status, body) = outcome("h".into(), Err(ActionError::NotAuthorized(None)));
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["error"]["message"], "Access denied");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let (status, body) = outcome("h".into(), Err(ActionError::Internal("db password=x".into())));
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("password"));
    }

    #[test]
    fn an_unreachable_database_is_503_without_its_cause() {
        let (status, body) = outcome("h".into(), Err(ActionError::Unavailable("host db.internal".into())));
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"]["__type"], "Service Unavailable");
        assert!(!body.to_string().contains("db.internal"));
        let response = json_response(status, &body);
        assert_eq!(response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("5"));
    }

    #[test]
    fn search_errors_quote_like_python() {
        assert_eq!(python_repr("Invalid \"sort\" parameter"), "'Invalid \"sort\" parameter'");
        assert_eq!(python_repr("Invalid search parameters: ['_']"), "\"Invalid search parameters: ['_']\"");
        assert_eq!(python_repr("it's \"x\""), "'it\\'s \"x\"'");
    }

    #[test]
    fn jsonp_escapes_the_callback() {
        use actix_web::body::MessageBody;
        let response = jsonp_response("<x>", &Value::Null);
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().try_into_bytes().unwrap_or_default();
        assert_eq!(body.as_ref(), b"&lt;x&gt;(null);");
    }
}
