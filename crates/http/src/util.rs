//! CKAN's legacy `/api/util/*` helpers (also under `/api/2/util/*`): autocompletes that
//! browsers' forms call, answering plain JSON without the action envelope.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::decode::parse_pairs;
use crate::envelope::{bare_string, json_response};

/// The action a helper calls, the query key it reads, and how it wraps the answer.
type Helper = (&'static str, &'static str, fn(Value) -> Value);

fn helper(kind: &str) -> Option<Helper> {
    Some(match kind {
        "dataset/autocomplete" => {
            ("package_autocomplete", "incomplete", |found| json!({"ResultSet": {"Result": found}}))
        }
        "tag/autocomplete" => ("tag_autocomplete", "incomplete", |found| {
            let names: Vec<Value> =
                found.as_array().into_iter().flatten().map(|t| json!({"Name": t})).collect();
            json!({"ResultSet": {"Result": names}})
        }),
        "resource/format_autocomplete" => ("format_autocomplete", "incomplete", |found| {
            let formats: Vec<Value> =
                found.as_array().into_iter().flatten().map(|f| json!({"Format": f})).collect();
            json!({"ResultSet": {"Result": formats}})
        }),
        "user/autocomplete" => ("user_autocomplete", "q", |found| found),
        "group/autocomplete" => ("group_autocomplete", "q", |found| found),
        "organization/autocomplete" => ("organization_autocomplete", "q", |found| found),
        _ => return None,
    })
}

pub async fn util(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    let kind = format!(
        "{}/{}",
        request.match_info().get("kind").unwrap_or_default(),
        request.match_info().get("what").unwrap_or_default()
    );
    let Some((action, key, wrap)) = helper(&kind) else {
        return bare_string(StatusCode::NOT_FOUND, "Not found");
    };
    let Ok(pairs) = parse_pairs(request.query_string()) else {
        return bare_string(StatusCode::BAD_REQUEST, "Bad request: the query string is not valid UTF-8");
    };
    let query: Map<String, Value> = pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    let text = query.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    if text.is_empty() {
        return json_response(StatusCode::OK, &wrap(Value::Array(Vec::new())));
    }
    let mut params = Map::new();
    params.insert("q".into(), Value::String(text));
    if let Some(limit) = query.get("limit") {
        params.insert("limit".into(), limit.clone());
    }
    if let Some(vocabulary) = query.get("vocabulary_id") {
        params.insert("vocabulary_id".into(), vocabulary.clone());
    }
    let services = state.services.clone();
    let result = crate::request_id::block(move || {
        datahavn_actions::call(&services, Actor::Anonymous, action, &Params::new(params))
    })
    .await;
    match result {
        Ok(Ok(found)) => json_response(StatusCode::OK, &wrap(found)),
        Ok(Err(datahavn_actions::ActionError::Validation(errors))) => {
            json_response(StatusCode::CONFLICT, &Value::Object(errors.to_json()))
        }
        Ok(Err(datahavn_actions::ActionError::Unavailable(error))) => {
            log::warn!("{kind}: database unavailable: {error}");
            bare_string(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
        }
        Ok(Err(error)) => {
            log::error!("{kind}: {error}");
            bare_string(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        Err(error) => {
            log::error!("{kind}: {error}");
            bare_string(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}
