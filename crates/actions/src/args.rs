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
