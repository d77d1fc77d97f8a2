//! Small helpers shared by the action modules: CKAN's `get_or_bust`, the "requires an
//! authenticated user" check its write actions make first, and its plain-string error dicts.

use datahavn_domain::ValidationErrors;
use datahavn_domain::authz;
use datahavn_domain::params::{MISSING_VALUE, Params};
use serde_json::Value;

use crate::{ActionError, ActionResult, Context};

/// The values of required keys, in order; every missing one is reported at once (409).
pub(crate) fn required<const N: usize>(params: &Params, keys: [&str; N]) -> ActionResult<[String; N]> {
    let mut errors = ValidationErrors::new();
    let values = keys.map(|key| params.required_string(key, &mut errors));
    errors.into_result()?;
    let mut missing = None;
    let values = values.map(|value| {
        value.unwrap_or_else(|| {
            missing = Some(());
            String::new()
        })
    });
    match missing {
        Some(()) => Err(ActionError::field(keys.first().copied().unwrap_or("id"), MISSING_VALUE)),
        None => Ok(values),
    }
}

/// An optional text value (numbers become text; lists and dicts are a 409).
pub(crate) fn optional(params: &Params, key: &str) -> ActionResult<Option<String>> {
    let mut errors = ValidationErrors::new();
    let value = params.string(key, &mut errors);
    errors.into_result()?;
    Ok(value)
}

/// CKAN refuses anonymous callers of its write actions before any other check.
pub(crate) fn authenticated(ctx: &Context<'_>, action: &str) -> ActionResult<()> {
    authz::authenticated(&ctx.actor, action).map_err(ActionError::denied)
}

/// A 409 whose error dict holds plain strings, as CKAN's `ValidationError({'key': 'text'})`.
pub(crate) fn plain_error(key: &str, message: impl Into<String>) -> ActionError {
    let mut dict = serde_json::Map::new();
    dict.insert(key.to_owned(), Value::String(message.into()));
    ActionError::ValidationDict(dict)
}

/// A `limit` or `rows` that CKAN checks with `natural_number_validator` and then
/// `limit_to_configured_maximum`: text that is not an integer fails both, so both messages are
/// given (`Invalid integer`, `Please enter an integer value`). The cap is the action's own.
pub(crate) fn capped_natural(
    params: &Params,
    key: &str,
    errors: &mut datahavn_domain::ValidationErrors,
) -> ActionResult<Option<u64>> {
    let value = params.natural(key, errors);
    if let Some(serde_json::Value::String(text)) = params.get(key)
        && !text.trim().is_empty()
        && text.trim().parse::<i64>().is_err()
    {
        errors.add(key, "Please enter an integer value");
    }
    Ok(value)
}

/// CKAN's sysadmin-only auth functions (`{'success': False}`): sysadmins pass; anonymous
/// callers are refused as unauthenticated, everyone else with `reason` (CKAN's message, if its
/// auth function gives one).
pub(crate) fn sysadmin_only(ctx: &Context<'_>, action: &str, reason: Option<String>) -> ActionResult<()> {
    if ctx.actor.is_sysadmin() {
        return Ok(());
    }
    authenticated(ctx, action)?;
    Err(ActionError::NotAuthorized(reason))
}

/// CKAN's `unicode_safe`: text as sent; `null` is `None`; any other value as Python's
/// `json.dumps(value, sort_keys=True, ensure_ascii=False)` writes it.
pub(crate) fn unicode_safe(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(python_json(other)),
    }
}

fn python_json(value: &Value) -> String {
    match value {
        Value::Array(items) => format!("[{}]", items.iter().map(python_json).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), python_json(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        other => other.to_string(),
    }
}

/// CKAN's `not_empty` then `unicode_safe`.
pub(crate) fn not_empty(value: Option<&Value>, key: &str, errors: &mut ValidationErrors) -> String {
    let empty = match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Bool(b)) => !b,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::Object(map)) => map.is_empty(),
    };
    if empty {
        errors.add(key, MISSING_VALUE);
        return String::new();
    }
    value.and_then(unicode_safe).unwrap_or_default()
}
