//! `package_revise`: change a dataset selectively. `match` guards the change, `filter` removes
//! fields, `update` merges new values in, `include` trims the answer; `match__<key>` and
//! `update__<key>` address nested values with `__`-joined keys, list items by index (negative
//! from the end) or by a prefix (five characters or more) of their `id`.

use std::collections::BTreeSet;

use datahavn_domain::ValidationErrors;
use datahavn_domain::params::Params;
use serde_json::{Map, Value};

use crate::access::{memberships, require_edit, require_read};
use crate::args::authenticated;
use crate::dto::PackageReviseResult;
use crate::package::{Write, find_package, write_package};
use crate::request::{Request, request, request_doc, response_doc, scalar_text};
use crate::{Action, ActionError, ActionResult, Context};

/// A failure to follow or merge a key (CKAN's `DataError`).
type DataError = String;

/// CKAN's `json_or_string`: text that parses as JSON becomes that value.
fn json_or_string(value: &Value) -> Value {
    match value {
        Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| value.clone()),
        other => other.clone(),
    }
}

/// CKAN's `json_list_or_string`: JSON text, else a comma-separated list.
fn json_list_or_string(value: &Value) -> Value {
    match value {
        Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| {
            Value::Array(text.split(',').map(|part| Value::String(part.trim().to_owned())).collect())
        }),
        other => other.clone(),
    }
}

fn list_of_strings(key: &str, value: &Value, errors: &mut ValidationErrors) -> Vec<String> {
    let Value::Array(items) = value else {
        errors.add(key, "Not a list");
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::String(s) => out.push(s.clone()),
            other => {
                errors.add(key, format!("Not a string: {other}"));
                return Vec::new();
            }
        }
    }
    out
}

fn dict_only(key: &str, value: Value, errors: &mut ValidationErrors) -> Option<Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        _ => {
            errors.add(key, "Must be a dict");
            None
        }
    }
}

/// `match` and `update`: a dict, or its JSON text.
fn dict(
    params: &Params,
    key: &str,
    errors: &mut ValidationErrors,
) -> ActionResult<Option<Map<String, Value>>> {
    Ok(params.get(key).and_then(|value| dict_only(key, json_or_string(value), errors)))
}

/// `filter` and `include`: a list of patterns, its JSON text, or comma-separated patterns.
fn patterns(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<Vec<String>>> {
    Ok(params.get(key).map(|value| list_of_strings(key, &json_list_or_string(value), errors)))
}

/// The flattened keys, `__` joining the levels: `match__<key>` by key, and `update__<key>` by
/// key with the `__extend` ones first (so later keys may address the items they add).
type Flattened = (Vec<(String, Value)>, Vec<(String, Value)>);

fn flattened(rest: &Map<String, Value>) -> Flattened {
    let mut match_keys = Vec::new();
    let mut update_keys = Vec::new();
    for (key, value) in rest {
        if let Some(rest) = key.strip_prefix("match__") {
            match_keys.push((rest.to_owned(), json_or_string(value)));
        } else if let Some(rest) = key.strip_prefix("update__") {
            update_keys.push((rest.to_owned(), json_or_string(value)));
        }
    }
    match_keys.sort_by(|a, b| a.0.cmp(&b.0));
    update_keys.sort_by(|a, b| (!a.0.ends_with("extend"), &a.0).cmp(&(!b.0.ends_with("extend"), &b.0)));
    (match_keys, update_keys)
}

/// One step of a resolved key: a dict key or a list position.
enum Step {
    Key(String),
    Index(usize),
}

fn joined(path: &[String]) -> String {
    path.join("__")
}

fn with(path: &[String], key: impl Into<String>) -> Vec<String> {
    let mut out = path.to_vec();
    out.push(key.into());
    out
}

/// The position a key names in a list: an index (negative from the end), or an id prefix of
/// five characters or more. `Err(())` when nothing matches.
fn list_position(list: &[Value], key: &str) -> Result<(usize, String), ()> {
    if key.chars().count() >= 5 {
        for (i, item) in list.iter().enumerate() {
            let id = item.as_object().and_then(|r| r.get("id")).ok_or(())?;
            if id.as_str().is_some_and(|id| id.starts_with(key)) {
                return Ok((i, i.to_string()));
            }
        }
        return Err(());
    }
    let index: i64 = key.trim().parse().map_err(|_| ())?;
    let len = i64::try_from(list.len()).map_err(|_| ())?;
    if index < -len || index >= len {
        return Err(());
    }
    let actual = if index < 0 { len + index } else { index };
    Ok((usize::try_from(actual).map_err(|_| ())?, index.to_string()))
}

/// Follows a `__`-joined key; returns the steps and the path as shown in messages.
fn resolve(data: &Value, string_key: &str) -> Result<(Vec<Step>, Vec<String>), DataError> {
    let mut steps = Vec::new();
    let mut shown: Vec<String> = Vec::new();
    let mut current = data;
    for key in string_key.split("__") {
        let unmatched = |shown: &[String]| format!("Unmatched key {}", joined(&with(shown, key)));
        match current {
            Value::Object(map) => {
                let next = map.get(key).ok_or_else(|| unmatched(&shown))?;
                steps.push(Step::Key(key.to_owned()));
                shown.push(key.to_owned());
                current = next;
            }
            Value::Array(list) => {
                let (index, label) = list_position(list, key).map_err(|()| unmatched(&shown))?;
                steps.push(Step::Index(index));
                shown.push(label);
                current = &list[index];
            }
            _ => return Err(unmatched(&shown)),
        }
    }
    Ok((steps, shown))
}

fn follow<'a>(data: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    steps.iter().try_fold(data, |current, step| match step {
        Step::Key(key) => current.get(key),
        Step::Index(index) => current.get(*index),
    })
}

fn follow_mut<'a>(data: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    steps.iter().try_fold(data, |current, step| match step {
        Step::Key(key) => current.get_mut(key),
        Step::Index(index) => current.get_mut(*index),
    })
}

// ---- match ----

fn check_value(current: &Value, wanted: &Value, path: Vec<String>, out: &mut Vec<String>) {
    match wanted {
        Value::Object(select) => check_dict(current, select, &path, out),
        Value::Array(select) => check_list(current, select, &path, out),
        _ if current != wanted => out.push(joined(&path)),
        _ => {}
    }
}

fn check_dict(data: &Value, select: &Map<String, Value>, parent: &[String], out: &mut Vec<String>) {
    let Some(data) = data.as_object() else {
        out.push(joined(parent));
        return;
    };
    let mut keys: Vec<&String> = select.keys().collect();
    keys.sort();
    for key in keys {
        let path = with(parent, key.as_str());
        match data.get(key) {
            None => out.push(joined(&path)),
            Some(current) => check_value(current, &select[key], path, out),
        }
    }
}

fn check_list(data: &Value, select: &[Value], parent: &[String], out: &mut Vec<String>) {
    let Some(data) = data.as_array() else {
        out.push(joined(parent));
        return;
    };
    for (i, wanted) in select.iter().enumerate() {
        let path = with(parent, i.to_string());
        match data.get(i) {
            None => out.push(joined(&path)),
            Some(current) => check_value(current, wanted, path, out),
        }
    }
}

fn check_string_key(data: &Value, key: &str, wanted: &Value) -> Result<Vec<String>, DataError> {
    let (steps, shown) = resolve(data, key)?;
    let current = follow(data, &steps).ok_or_else(|| format!("Unmatched key {key}"))?;
    let mut out = Vec::new();
    check_value(current, wanted, shown, &mut out);
    Ok(out)
}

// ---- filter and include ----

type Glob = (bool, Vec<String>);

fn parse_globs(patterns: &[String]) -> Vec<Glob> {
    patterns
        .iter()
        .map(|p| {
            let p = p.trim();
            (p.starts_with('+'), p.trim_start_matches(['-', '+']).split("__").map(str::to_owned).collect())
        })
        .collect()
}

/// CKAN's `filter_glob_match`: `-key` removes, `+key` protects (the first matching pattern
/// wins), `*` matches everything at its level.
fn filter_glob_match(data: &mut Value, globs: &[Glob]) {
    match data {
        Value::Object(map) => {
            let mut protected = Map::new();
            let mut children: Vec<(String, Vec<Glob>)> = Vec::new();
            for (keep, parts) in globs {
                let Some(head) = parts.first() else { continue };
                if head == "*" {
                    if *keep {
                        for (key, value) in map.iter() {
                            protected.insert(key.clone(), value.clone());
                        }
                    } else {
                        map.clear();
                    }
                    continue;
                }
                if !map.contains_key(head) {
                    continue;
                }
                if parts.len() > 1 {
                    let rest = (*keep, parts[1..].to_vec());
                    match children.iter_mut().find(|(key, _)| key == head) {
                        Some((_, list)) => list.push(rest),
                        None => children.push((head.clone(), vec![rest])),
                    }
                } else if *keep {
                    if let Some(value) = map.get(head) {
                        protected.insert(head.clone(), value.clone());
                    }
                } else {
                    map.shift_remove(head);
                }
            }
            for (key, value) in protected {
                map.insert(key, value);
            }
            for (head, sub) in children {
                if let Some(child) = map.get_mut(&head) {
                    filter_glob_match(child, &sub);
                }
            }
        }
        Value::Array(list) => {
            let all: BTreeSet<usize> = (0..list.len()).collect();
            let mut protected = BTreeSet::new();
            let mut removed = BTreeSet::new();
            let mut children: Vec<(usize, Vec<Glob>)> = Vec::new();
            for (keep, parts) in globs {
                let Some(head) = parts.first() else { continue };
                if head == "*" {
                    if *keep {
                        protected.extend(all.difference(&removed).copied().collect::<Vec<_>>());
                    } else {
                        removed.extend(all.difference(&protected).copied().collect::<Vec<_>>());
                    }
                    continue;
                }
                let Ok((index, _)) = list_position(list, head) else { continue };
                if parts.len() > 1 {
                    let rest = (*keep, parts[1..].to_vec());
                    match children.iter_mut().find(|(i, _)| *i == index) {
                        Some((_, sub)) => sub.push(rest),
                        None => children.push((index, vec![rest])),
                    }
                } else if *keep {
                    if !removed.contains(&index) {
                        protected.insert(index);
                    }
                } else if !protected.contains(&index) {
                    removed.insert(index);
                }
            }
            let gone: BTreeSet<usize> = removed.difference(&protected).copied().collect();
            for (index, sub) in children {
                if !gone.contains(&index)
                    && let Some(child) = list.get_mut(index)
                {
                    filter_glob_match(child, &sub);
                }
            }
            let mut position = 0;
            list.retain(|_| {
                let keep = !gone.contains(&position);
                position += 1;
                keep
            });
        }
        _ => {}
    }
}

// ---- update ----

fn update_merge_dict(
    data: &mut Map<String, Value>,
    update: &Value,
    parent: &[String],
) -> Result<(), DataError> {
    let Value::Object(update) = update else {
        return Err(format!("Expected dict for {}", joined(parent)));
    };
    for (key, value) in update {
        let path = with(parent, key.as_str());
        match data.get_mut(key) {
            None => {
                data.insert(key.clone(), value.clone());
            }
            Some(Value::Object(inner)) => update_merge_dict(inner, value, &path)?,
            Some(Value::Array(inner)) => update_merge_list(inner, value, &path)?,
            Some(slot) => *slot = value.clone(),
        }
    }
    Ok(())
}

fn update_merge_list(data: &mut Vec<Value>, update: &Value, parent: &[String]) -> Result<(), DataError> {
    let Value::Array(update) = update else {
        return Err(format!("Expected list for {}", joined(parent)));
    };
    for (i, value) in update.iter().enumerate() {
        let path = with(parent, i.to_string());
        match data.get_mut(i) {
            None => data.push(value.clone()),
            Some(Value::Object(inner)) => update_merge_dict(inner, value, &path)?,
            Some(Value::Array(inner)) => update_merge_list(inner, value, &path)?,
            Some(slot) => *slot = value.clone(),
        }
    }
    Ok(())
}

fn update_merge_string_key(data: &mut Value, string_key: &str, value: &Value) -> Result<(), DataError> {
    let (prefix, last) = match string_key.rsplit_once("__") {
        Some((prefix, last)) => (prefix, last),
        None => ("", string_key),
    };
    let (steps, parent) = if prefix.is_empty() { (Vec::new(), Vec::new()) } else { resolve(data, prefix)? };
    let current = follow_mut(data, &steps).ok_or_else(|| format!("Unmatched key {prefix}"))?;
    match current {
        Value::Object(map) => {
            let mut single = Map::new();
            single.insert(last.to_owned(), value.clone());
            update_merge_dict(map, &Value::Object(single), &parent)
        }
        Value::Array(list) => {
            if last == "extend" {
                let Value::Array(items) = value else {
                    return Err(format!("Expected list for {prefix}"));
                };
                list.extend(items.iter().cloned());
                return Ok(());
            }
            let (index, label) = list_position(list, last).map_err(|()| format!("Unmatched key {last}"))?;
            let path = with(&parent, label);
            match &mut list[index] {
                Value::Object(inner) => update_merge_dict(inner, value, &path),
                Value::Array(inner) => update_merge_list(inner, value, &path),
                slot => {
                    *slot = value.clone();
                    Ok(())
                }
            }
        }
        _ => Err(format!("Expected list or dict for {prefix}")),
    }
}

// ---- the action ----

pub const PACKAGE_REVISE: Action = Action {
    name: "package_revise",
    side_effect_free: false,
    tag: "datasets",
    doc: "Revise a dataset (package) selectively with match, filter, and update parameters.\n\n\
          `match` guards the change: every value it gives must equal the current one, else \
          nothing changes (409 listing the keys that differ). `filter` then removes fields, \
          `update` merges new values in, and the dataset is written; `include` trims the \
          answer. `match` and `update` may also be sent as flattened keys: `match__name=x`, \
          `update__notes=y`, `update__resources__-1__name=z` (last resource), \
          `update__resources__1f9ab__url=...` (the resource whose id starts with `1f9ab`; at \
          least five characters), `update__resources__extend=[{...}]` (append). Values that \
          are JSON text are parsed. In a `multipart/form-data` call, a file part named \
          `update__resources__<index or id prefix>__upload` is stored as that resource's file \
          (as resource_update's `upload`). You must be allowed to edit the dataset.\n\n\
          :returns: `{\"package\": <the updated dataset>}`\n:rtype: dictionary",
    request: request_doc::<PackageReviseRequest>,
    response: response_doc::<PackageReviseResult>,
    errors: &[
        (
            400,
            "A `match__` key that addresses nothing (`Integrity Error`), or lists in the result that are not lists of dicts",
        ),
        (403, "Not allowed to read or edit the dataset"),
        (404, "No such dataset, or `Not found: Group was not found.`"),
        (
            409,
            "`{\"match\": [keys that differ]}`, `{\"match__id\": \"Missing value\"}`, a bad `update` key, or field errors",
        ),
    ],
    run: |ctx, params| package_revise(ctx, PackageReviseRequest::parse(params)?),
};

request! {
    /// The revision: `match`, `filter`, `update` and `include`, and flattened `match__<key>` /
    /// `update__<key>` keys.
    pub struct PackageReviseRequest {
        /// A dict (or its JSON text) with the dataset's `id` or `name`; every value given must
        /// equal the current one, else nothing changes.
        #[schema(value_type = Option<Object>)]
        pub r#match: Option<Map<String, Value>> => dict,
        /// Patterns of fields to remove before the update: `-key` removes, `+key` protects
        /// (the first matching pattern wins), `*` matches every key at its level, `__` goes
        /// down a level (`-resources__1` removes the second resource). A list, its JSON text,
        /// or comma-separated.
        pub filter: Option<Vec<String>> => patterns,
        /// A dict (or its JSON text) merged into the dataset: dicts merge key by key, lists
        /// item by item (`{"resources": [{"description": "x"}]}` changes the first resource).
        #[schema(value_type = Option<Object>)]
        pub update: Option<Map<String, Value>> => dict,
        /// Patterns (as `filter`) applied to the answer `{"package": ...}`, e.g.
        /// `["-package__resources"]`.
        pub include: Option<Vec<String>> => patterns;
        /// `match__<key>` and `update__<key>`: `match` and `update` flattened, `__` joining
        /// the levels (other keys are ignored).
        ..flattened
    }
}

fn package_revise(ctx: &Context<'_>, request: PackageReviseRequest) -> ActionResult {
    let (match_keys, update_keys) = flattened(&request.flattened);
    let reference = ["id", "name"].iter().find_map(|key| {
        match_keys
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .or_else(|| request.r#match.as_ref().and_then(|m| m.get(*key)))
            .and_then(scalar_text)
    });
    let Some(reference) = reference else {
        return Err(crate::args::plain_error("match__id", "Missing value"));
    };
    ctx.store().write(|tx| {
        let record = find_package(tx, &reference, None)?;
        let who = memberships(tx, ctx)?;
        require_read(&who, &record)?;
        let original: Value = serde_json::from_str(&record.rendered)
            .map_err(|e| ActionError::Internal(format!("stored package {}: {e}", record.id)))?;

        let mut unmatched = Vec::new();
        if let Some(matching) = &request.r#match {
            check_dict(&original, matching, &[], &mut unmatched);
        }
        for (key, wanted) in &match_keys {
            unmatched.extend(check_string_key(&original, key, wanted).map_err(ActionError::Integrity)?);
        }
        if !unmatched.is_empty() {
            let mut errors = ValidationErrors::new();
            for key in unmatched {
                errors.add("match", key);
            }
            return Err(errors.into());
        }

        let mut revised = original.clone();
        if let Value::Object(map) = &mut revised {
            map.shift_remove("metadata_modified");
        }
        if let Some(filter) = &request.filter {
            filter_glob_match(&mut revised, &parse_globs(filter));
            if let Value::Object(map) = &mut revised {
                map.insert("id".into(), record.id.clone().into());
            }
        }
        if let Some(update) = &request.update
            && let Value::Object(map) = &mut revised
        {
            update_merge_dict(map, &Value::Object(update.clone()), &[])
                .map_err(|message| ActionError::field("update", message))?;
        }
        for (key, value) in &update_keys {
            update_merge_string_key(&mut revised, key, value)
                .map_err(|message| ActionError::field(key, message))?;
        }

        authenticated(ctx, "package_revise")?;
        require_edit(&who, &record)?;
        let Value::Object(mut input) = revised else {
            return Err(ActionError::Internal("revised dataset is not a dict".into()));
        };
        if !input.contains_key("name") {
            input.insert("name".into(), record.name.clone().into());
        }
        let (_, rendered) = write_package(ctx, tx, &who, &input, Some(&record), Write::Update)?;
        let mut answer = Value::Object(Map::from_iter([("package".to_owned(), rendered)]));
        if let Some(include) = &request.include {
            filter_glob_match(&mut answer, &parse_globs(include));
        }
        Ok(answer)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn globs(patterns: &[&str]) -> Vec<Glob> {
        parse_globs(&patterns.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn filter_protects_before_removing_everything() {
        let mut data = json!({"id": "1", "title": "t", "notes": "n", "resources": [{"id": "a"}]});
        filter_glob_match(&mut data, &globs(&["+title", "+resources", "-*"]));
        assert_eq!(data, json!({"title": "t", "resources": [{"id": "a"}]}));
    }

    #[test]
    fn filter_goes_into_lists_by_index_and_id_prefix() {
        let mut data =
            json!({"resources": [{"id": "abcdef1", "url": "u", "name": "x"}, {"id": "b", "url": "v"}]});
        filter_glob_match(&mut data, &globs(&["-resources__1"]));
        assert_eq!(data["resources"].as_array().map(Vec::len), Some(1));
        filter_glob_match(&mut data, &globs(&["+resources__abcde__id", "-resources__abcde__*"]));
        assert_eq!(data, json!({"resources": [{"id": "abcdef1"}]}));
    }

    #[test]
    fn update_merges_dicts_and_lists() {
        let mut data = json!({"notes": "a", "resources": [{"id": "r1", "name": "one"}, {"id": "r2"}]});
        let Value::Object(map) = &mut data else { panic!("dict") };
        update_merge_dict(map, &json!({"notes": "b", "resources": [{"description": "d"}]}), &[])
            .unwrap_or_default();
        assert_eq!(data["notes"], "b");
        assert_eq!(data["resources"][0], json!({"id": "r1", "name": "one", "description": "d"}));
        update_merge_string_key(&mut data, "resources__-1__name", &json!("two")).unwrap_or_default();
        assert_eq!(data["resources"][1]["name"], "two");
        update_merge_string_key(&mut data, "resources__extend", &json!([{"name": "three"}]))
            .unwrap_or_default();
        assert_eq!(data["resources"][2]["name"], "three");
        assert_eq!(
            update_merge_string_key(&mut data, "resources__7__name", &json!("x")),
            Err("Unmatched key resources__7".to_owned())
        );
        assert_eq!(
            update_merge_string_key(&mut data, "notes__x", &json!("x")),
            Err("Expected list or dict for notes".to_owned())
        );
        let Value::Object(map) = &mut data else { panic!("dict") };
        assert_eq!(
            update_merge_dict(map, &json!({"resources": {"a": 1}}), &[]),
            Err("Expected list for resources".to_owned())
        );
    }

    #[test]
    fn match_reports_the_keys_that_differ() {
        let data = json!({"name": "x", "resources": [{"name": "a"}]});
        let mut out = Vec::new();
        check_dict(
            &data,
            json!({"name": "y", "resources": [{"name": "a"}, {"name": "b"}], "zz": 1})
                .as_object()
                .unwrap_or(&Map::new()),
            &[],
            &mut out,
        );
        assert_eq!(out, ["name", "resources__1", "zz"]);
        assert_eq!(
            check_string_key(&data, "resources__0__name", &json!("b")),
            Ok(vec!["resources__0__name".to_owned()])
        );
        assert_eq!(check_string_key(&data, "resources__0__name", &json!("a")), Ok(vec![]));
    }

    #[test]
    fn json_text_values_are_parsed() {
        assert_eq!(json_or_string(&json!("{\"a\": 1}")), json!({"a": 1}));
        assert_eq!(json_or_string(&json!("plain")), json!("plain"));
        assert_eq!(json_list_or_string(&json!("+title, -*")), json!(["+title", "-*"]));
    }
}
