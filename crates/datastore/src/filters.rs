//! CKAN 2.12's DataStore filters (its `filters.py`): a dict or a list of dicts of conditions,
//! parsed into a tree of [`FilterOp`]s with CKAN's limits and error texts, then made into SQL.
//!
//! - `{"a": 1, "b": 2}`: every condition (`$and`); `[{...}, {...}]`: any of the dicts (`$or`).
//! - A field's value: a scalar (`eq`), a list (`in`; scalars mixed with operator dicts are
//!   `$or`), or a dict of operators `eq`, `gt`, `gte`, `lt`, `lte`, `in` (several: `$and`).
//! - `{"$or": [{...}, ...]}` and `{"$and": [...]}` nest up to 10 levels, 100 operations in all.
//! - `$$name` names a field whose name starts with `$`.

use serde_json::{Map, Value, json};

use crate::dialect::{Params, ident};
use crate::error::{DatastoreError, DatastoreResult};
use crate::meta::TableMeta;
use crate::types::coerce;

/// How deeply operators may nest.
const MAX_DEPTH: usize = 10;
/// How many operations one filter may hold.
const MAX_OPS: usize = 100;

const EXCEEDED: &str = "Maximum number of filter operations exceeded";
const TOO_DEEP: &str = "Maximum nesting depth for filter operations reached";
const NOT_DICTS: &str = "Filters must be defined as a dict or a list of dicts";

/// `$and` or `$or`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    And,
    Or,
}

impl Combine {
    fn of(key: &str) -> Option<Self> {
        match key {
            "$and" => Some(Self::And),
            "$or" => Some(Self::Or),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::And => "$and",
            Self::Or => "$or",
        }
    }
}

/// One parsed filter operation.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterOp {
    /// All (`$and`) or any (`$or`) of the operations.
    Combine(Combine, Vec<FilterOp>),
    /// A condition on a field: `op` as sent (`eq`, `in`, `gt`... or an unknown one, refused
    /// when the SQL is made, as CKAN does), `value` as sent.
    Field { field: String, op: String, value: Value },
}

impl FilterOp {
    /// The operation as CKAN 2.12 answers it in `filterops`: `{"op", "field", "value"}`.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Combine(c, ops) => {
                json!({"op": c.name(), "field": null, "value": ops.iter().map(Self::to_json).collect::<Vec<_>>()})
            }
            Self::Field { field, op, value } => json!({"op": op, "field": field, "value": value}),
        }
    }

    /// Python's repr of CKAN's FilterOp, as its `Unknown filter operation` error shows it.
    fn repr(&self) -> String {
        match self {
            Self::Field { field, op, value } => format!(
                "FilterOp(field={}, op={}, value={})",
                py_repr(&Value::String(field.clone())),
                py_repr(&Value::String(op.clone())),
                py_repr(value)
            ),
            Self::Combine(c, ops) => {
                let children: Vec<String> = ops
                    .iter()
                    .map(|op| op.repr().lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n"))
                    .collect();
                let value = if children.is_empty() {
                    "[]".to_owned()
                } else {
                    format!("[\n{}\n]", children.join(",\n"))
                };
                format!("FilterOp(field=None, op='{}', value={value})", c.name())
            }
        }
    }
}

/// Parses CKAN filters. `known` says whether a field exists. `None`: no condition (the filters
/// were empty, `null`, `0`, `false` or `""`, as CKAN takes them).
pub fn parse(input: &Value, known: &dyn Fn(&str) -> bool) -> DatastoreResult<Option<FilterOp>> {
    let mut parser = Parser { known, errors: Vec::new(), total: 0 };
    let parsed = parser.top(input).map_err(|message| DatastoreError::validation("filters", message))?;
    if !parser.errors.is_empty() {
        let mut map = Map::new();
        map.insert("filters".into(), Value::from(parser.errors));
        return Err(DatastoreError::Validation(map));
    }
    Ok(parsed)
}

/// [`parse`] with the fields of a table (`_id` included).
pub(crate) fn parse_for(m: &TableMeta, input: &Value) -> DatastoreResult<Option<FilterOp>> {
    parse(input, &|name| m.col_type(name).is_some())
}

/// Python's truth of a JSON value.
fn falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
    }
}

fn list_of_dicts(v: &Value) -> bool {
    matches!(v, Value::Array(items) if items.iter().all(Value::is_object))
}

/// A key naming an operator (`$or`) rather than a field (`name`, `$$name`).
fn operator_key(key: &str) -> bool {
    key.starts_with('$') && !key.starts_with("$$")
}

/// A fatal error: the message of CKAN's immediate `ValidationError`.
type Fatal = &'static str;

struct Parser<'a> {
    known: &'a dyn Fn(&str) -> bool,
    /// The errors collected, answered together.
    errors: Vec<String>,
    /// The operations made so far.
    total: usize,
}

impl Parser<'_> {
    fn new_op(&mut self, op: FilterOp) -> Result<FilterOp, Fatal> {
        self.total += 1;
        if self.total > MAX_OPS { Err(EXCEEDED) } else { Ok(op) }
    }

    fn top(&mut self, input: &Value) -> Result<Option<FilterOp>, Fatal> {
        if falsy(input) {
            return Ok(None);
        }
        match input {
            Value::Array(items) if list_of_dicts(input) => {
                if items.len() >= MAX_OPS {
                    return Err(EXCEEDED);
                }
                match self.members_combined(input, Combine::Or, 0)? {
                    Some(children) => Ok(Some(self.new_op(FilterOp::Combine(Combine::Or, children))?)),
                    None => Ok(None),
                }
            }
            Value::Object(map) => {
                if map.len() >= MAX_OPS {
                    return Err(EXCEEDED);
                }
                let mut children = Vec::new();
                for (key, value) in map {
                    if operator_key(key) {
                        let Some(combine) = self.check_operator(key, value) else { continue };
                        if let Some(ops) = self.members_combined(value, combine, 0)? {
                            if combine == Combine::And {
                                children.extend(ops);
                            } else {
                                children.push(self.new_op(FilterOp::Combine(combine, ops))?);
                            }
                        }
                    } else if let Some(op) = self.field(key, value)? {
                        children.push(op);
                    }
                }
                if !self.errors.is_empty() || children.is_empty() {
                    Ok(None)
                } else if children.len() == 1 {
                    Ok(children.pop())
                } else {
                    Ok(Some(self.new_op(FilterOp::Combine(Combine::And, children))?))
                }
            }
            _ => Err(NOT_DICTS),
        }
    }

    /// `$or`/`$and` with a list of dicts; anything else is an error collected.
    fn check_operator(&mut self, key: &str, value: &Value) -> Option<Combine> {
        let Some(combine) = Combine::of(key) else {
            self.errors.push(format!("Unknown operators (must be one of $or, $and): {key}"));
            return None;
        };
        if !list_of_dicts(value) {
            self.errors
                .push(format!("Filter operations must be defined as a list of dicts: {}", py_str(value)));
            return None;
        }
        Some(combine)
    }

    /// The members of an operator, those of the same operator merged into it.
    fn members_combined(
        &mut self,
        value: &Value,
        parent: Combine,
        level: usize,
    ) -> Result<Option<Vec<FilterOp>>, Fatal> {
        Ok(self.members(value, level + 1)?.map(|ops| merge(ops, parent)))
    }

    fn members(&mut self, value: &Value, level: usize) -> Result<Option<Vec<FilterOp>>, Fatal> {
        if level >= MAX_DEPTH {
            return Err(TOO_DEEP);
        }
        let Value::Array(items) = value else {
            self.errors.push(format!("Filter operations must contain lists of filters: {}", py_str(value)));
            return Ok(None);
        };
        let mut out = Vec::new();
        for item in items {
            let Value::Object(map) = item else {
                self.errors.push(format!("Filter operation members must be dictionaries: {}", py_repr(item)));
                continue;
            };
            if map.len() >= MAX_OPS {
                return Err(EXCEEDED);
            }
            let mut ops = Vec::new();
            for (key, value) in map {
                if operator_key(key) {
                    let Some(combine) = self.check_operator(key, value) else { continue };
                    if let Some(children) = self.members_combined(value, combine, level)? {
                        ops.push(self.new_op(FilterOp::Combine(combine, children))?);
                    }
                } else if let Some(op) = self.field(key, value)? {
                    ops.push(op);
                }
            }
            if ops.len() == 1 {
                out.extend(ops);
            } else if ops.len() > 1 {
                let and = FilterOp::Combine(Combine::And, merge(ops, Combine::And));
                out.push(self.new_op(and)?);
            }
        }
        Ok(if out.is_empty() { None } else { Some(out) })
    }

    /// A field and what it is compared with.
    fn field(&mut self, name: &str, value: &Value) -> Result<Option<FilterOp>, Fatal> {
        let name = if name.starts_with("$$") { &name[1..] } else { name };
        match value {
            Value::Object(ops) if ops.len() > 1 => {
                let mut children = Vec::new();
                for (op, v) in ops {
                    let mut one = Map::new();
                    one.insert(op.clone(), v.clone());
                    if let Some(child) = self.field(name, &Value::Object(one))? {
                        children.push(child);
                    }
                }
                if children.is_empty() {
                    Ok(None)
                } else {
                    Ok(Some(self.new_op(FilterOp::Combine(Combine::And, children))?))
                }
            }
            // CKAN fails on `{}` (500); here it is no condition.
            Value::Object(ops) => match ops.iter().next() {
                Some((op, v)) => self.field_op(name, op, v),
                None => Ok(None),
            },
            Value::Array(items) => {
                let (dicts, scalars): (Vec<&Value>, Vec<&Value>) = items.iter().partition(|v| v.is_object());
                if dicts.is_empty() {
                    return self.field_op(name, "in", value);
                }
                let mut members = Vec::new();
                for dict in dicts {
                    if let Some(op) = self.field(name, dict)? {
                        members.push(op);
                    }
                }
                if !scalars.is_empty() {
                    let scalars = Value::Array(scalars.into_iter().cloned().collect());
                    if let Some(op) = self.field_op(name, "in", &scalars)? {
                        members.push(op);
                    }
                }
                if members.is_empty() {
                    Ok(None)
                } else {
                    Ok(Some(self.new_op(FilterOp::Combine(Combine::Or, members))?))
                }
            }
            scalar => self.field_op(name, "eq", scalar),
        }
    }

    /// One condition on a known field. (CKAN does not check the field of a list's `in`, and
    /// then ignores the condition; here an unknown field is refused whatever its value.)
    fn field_op(&mut self, name: &str, op: &str, value: &Value) -> Result<Option<FilterOp>, Fatal> {
        if !(self.known)(name) {
            self.errors.push(format!("Unknown field: {name}"));
            return Ok(None);
        }
        Ok(Some(self.new_op(FilterOp::Field {
            field: name.to_owned(),
            op: op.to_owned(),
            value: value.clone(),
        })?))
    }
}

/// Members of the same operator as their parent merged into it.
fn merge(ops: Vec<FilterOp>, parent: Combine) -> Vec<FilterOp> {
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        match op {
            FilterOp::Combine(c, children) if c == parent => out.extend(children),
            other => out.push(other),
        }
    }
    out
}

/// The SQL condition of parsed filters, its values pushed to `p`. Values are checked against
/// the column's type (PostgreSQL's messages under `filters`).
pub(crate) fn clause(op: &FilterOp, m: &TableMeta, p: &mut Params) -> DatastoreResult<String> {
    match op {
        FilterOp::Combine(c, ops) => {
            let mut parts = Vec::with_capacity(ops.len());
            for op in ops {
                parts.push(clause(op, m, p)?);
            }
            let (joiner, empty) = match c {
                Combine::And => (" AND ", "1 = 1"),
                Combine::Or => (" OR ", "1 = 0"),
            };
            Ok(if parts.is_empty() { empty.to_owned() } else { format!("({})", parts.join(joiner)) })
        }
        FilterOp::Field { field, op: name, value } => {
            let unknown =
                || DatastoreError::validation("filters", format!("Unknown filter operation: {}", op.repr()));
            let ct = m
                .col_type(field)
                .ok_or_else(|| DatastoreError::validation("filters", format!("Unknown field: {field}")))?;
            let col = ident(field);
            let push = |v: &Value, p: &mut Params| -> DatastoreResult<String> {
                let cell = coerce(v, ct).map_err(|e| DatastoreError::validation("filters", e))?;
                Ok(p.push(cell, ct))
            };
            let cmp = match name.as_str() {
                "eq" => "=",
                "gt" => ">",
                "gte" => ">=",
                "lt" => "<",
                "lte" => "<=",
                "in" => {
                    // CKAN iterates the value: a list's items, a text's characters, a dict's keys.
                    let items: Vec<Value> = match value {
                        Value::Array(items) => items.clone(),
                        Value::String(s) => s.chars().map(|c| Value::String(c.to_string())).collect(),
                        Value::Object(map) => map.keys().cloned().map(Value::String).collect(),
                        _ => return Err(unknown()),
                    };
                    if items.is_empty() {
                        return Ok("1 = 0".to_owned());
                    }
                    let mut phs = Vec::with_capacity(items.len());
                    for item in &items {
                        phs.push(push(item, p)?);
                    }
                    return Ok(format!("{col} IN ({})", phs.join(", ")));
                }
                _ => return Err(unknown()),
            };
            Ok(format!("{col} {cmp} {}", push(value, p)?))
        }
    }
}

/// Python's `str()` of a JSON value (text as it is).
fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python's `repr()` of a JSON value as `json.loads` gives it.
pub(crate) fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) if n.is_f64() => n.as_f64().map_or_else(|| n.to_string(), py_float),
        Value::Number(n) => n.to_string(),
        Value::String(s) => py_str_repr(s),
        Value::Array(items) => format!("[{}]", items.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", py_str_repr(k), py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's repr of a float: the shortest digits, positional from 1e-4 up to 1e16.
fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1;
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else {
            let point = point as usize;
            if digits.len() <= point {
                format!("{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                format!("{}.{}", &digits[..point], &digits[point..])
            }
        };
        format!("{sign}{body}")
    } else {
        let m = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits };
        format!("{sign}{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::{Value, json};

    use super::{FilterOp, parse, py_float, py_repr};
    use crate::error::DatastoreError;

    fn known(name: &str) -> bool {
        ["_id", "a", "b", "c", "$d"].contains(&name)
    }

    fn ok(input: Value) -> Value {
        parse(&input, &known).unwrap().map_or(Value::Null, |op| op.to_json())
    }

    fn err(input: Value) -> Value {
        match parse(&input, &known).unwrap_err() {
            DatastoreError::Validation(map) => Value::Object(map),
            other => panic!("{other:?}"),
        }
    }

    fn f(op: &str, field: &str, value: Value) -> Value {
        json!({"op": op, "field": field, "value": value})
    }

    fn and(ops: Vec<Value>) -> Value {
        json!({"op": "$and", "field": null, "value": ops})
    }

    fn or(ops: Vec<Value>) -> Value {
        json!({"op": "$or", "field": null, "value": ops})
    }

    #[test]
    fn empty_filters_are_no_condition() {
        for input in [json!(null), json!({}), json!([]), json!(""), json!(0), json!(false)] {
            assert_eq!(ok(input), Value::Null);
        }
    }

    #[test]
    fn scalars_lists_and_operator_dicts() {
        assert_eq!(ok(json!({"a": "x"})), f("eq", "a", json!("x")));
        assert_eq!(ok(json!({"a": [1, 2]})), f("in", "a", json!([1, 2])));
        assert_eq!(ok(json!({"a": {"gt": 1}})), f("gt", "a", json!(1)));
        assert_eq!(
            ok(json!({"a": {"gte": 1, "lt": 5}})),
            and(vec![f("gte", "a", json!(1)), f("lt", "a", json!(5))])
        );
        assert_eq!(ok(json!({"a": 1, "b": 2})), and(vec![f("eq", "a", json!(1)), f("eq", "b", json!(2))]));
        // a dict's operators under a dict stay a nested $and, as CKAN leaves them
        assert_eq!(
            ok(json!({"a": {"gt": 1, "lt": 5}, "b": 2})),
            and(vec![and(vec![f("gt", "a", json!(1)), f("lt", "a", json!(5))]), f("eq", "b", json!(2))])
        );
        // unknown operators are parsed; the SQL refuses them
        assert_eq!(ok(json!({"a": {"like": "x%"}})), f("like", "a", json!("x%")));
    }

    #[test]
    fn mixed_lists_are_or() {
        assert_eq!(
            ok(json!({"a": [1, {"gt": 5}, 3]})),
            or(vec![f("gt", "a", json!(5)), f("in", "a", json!([1, 3]))])
        );
        assert_eq!(ok(json!({"a": [{"lt": 0}]})), or(vec![f("lt", "a", json!(0))]));
    }

    #[test]
    fn lists_of_dicts_are_or() {
        assert_eq!(ok(json!([{"a": 1}])), or(vec![f("eq", "a", json!(1))]));
        assert_eq!(
            ok(json!([{"a": 1}, {"b": 2, "c": 3}])),
            or(vec![f("eq", "a", json!(1)), and(vec![f("eq", "b", json!(2)), f("eq", "c", json!(3))])])
        );
    }

    #[test]
    fn nested_operators_merge_into_their_parent() {
        assert_eq!(
            ok(json!({"$and": [{"a": 1}, {"$and": [{"b": 2}, {"$and": [{"c": 3}, {"_id": 4}]}]}]})),
            and(vec![
                f("eq", "a", json!(1)),
                f("eq", "b", json!(2)),
                f("eq", "c", json!(3)),
                f("eq", "_id", json!(4))
            ])
        );
        assert_eq!(ok(json!({"$and": [{"a": 1}]})), f("eq", "a", json!(1)));
        assert_eq!(
            ok(json!({"$or": [{"a": 1}, {"$or": [{"b": 2}]}], "c": 3})),
            and(vec![or(vec![f("eq", "a", json!(1)), f("eq", "b", json!(2))]), f("eq", "c", json!(3))])
        );
        assert_eq!(
            ok(json!([{"$or": [{"a": 1}, {"b": 2}]}, {"c": 3}])),
            or(vec![f("eq", "a", json!(1)), f("eq", "b", json!(2)), f("eq", "c", json!(3))])
        );
        assert_eq!(
            ok(json!({"$or": [{"a": 1, "$and": [{"b": 2}, {"c": 3}]}]})),
            or(vec![and(vec![f("eq", "a", json!(1)), f("eq", "b", json!(2)), f("eq", "c", json!(3))])])
        );
        // an empty operator list adds nothing
        assert_eq!(ok(json!({"$or": [], "a": 1})), f("eq", "a", json!(1)));
    }

    #[test]
    fn dollar_dollar_names_a_dollar_field() {
        assert_eq!(ok(json!({"$$d": 1})), f("eq", "$d", json!(1)));
        assert_eq!(
            ok(json!({"$$d": {"gt": 1, "lt": 2}})),
            and(vec![f("gt", "$d", json!(1)), f("lt", "$d", json!(2))])
        );
        assert_eq!(err(json!({"$$e": 1})), json!({"filters": ["Unknown field: $e"]}));
        assert_eq!(
            err(json!({"$d": 1})),
            json!({"filters": ["Unknown operators (must be one of $or, $and): $d"]})
        );
    }

    #[test]
    fn error_texts() {
        assert_eq!(
            err(json!("x")),
            json!({"filters": ["Filters must be defined as a dict or a list of dicts"]})
        );
        assert_eq!(
            err(json!(5)),
            json!({"filters": ["Filters must be defined as a dict or a list of dicts"]})
        );
        assert_eq!(
            err(json!([{"a": 1}, 2])),
            json!({"filters": ["Filters must be defined as a dict or a list of dicts"]})
        );
        assert_eq!(
            err(json!({"x": 1, "a": 2, "y": [1]})),
            json!({"filters": ["Unknown field: x", "Unknown field: y"]})
        );
        assert_eq!(err(json!([{"x": {"gt": 1}}])), json!({"filters": ["Unknown field: x"]}));
        assert_eq!(
            err(json!({"a": [1, {"gt": 1}], "x": [{"lt": 1}]})),
            json!({"filters": ["Unknown field: x"]})
        );
        assert_eq!(
            err(json!({"$not": [{"a": 1}]})),
            json!({"filters": ["Unknown operators (must be one of $or, $and): $not"]})
        );
        assert_eq!(
            err(json!({"$or": {"a": 1}})),
            json!({"filters": ["Filter operations must be defined as a list of dicts: {'a': 1}"]})
        );
        assert_eq!(
            err(json!({"$and": [{"$or": "it's"}, {"$or": [1, "b"]}]})),
            json!({"filters": [
                "Filter operations must be defined as a list of dicts: it's",
                "Filter operations must be defined as a list of dicts: [1, 'b']"
            ]})
        );
    }

    fn nested(depth: usize) -> Value {
        let mut v = json!({"a": 1});
        for _ in 0..depth {
            v = json!({"$or": [v]});
        }
        v
    }

    #[test]
    fn nesting_and_operation_limits() {
        assert_eq!(ok(nested(9)), or(vec![f("eq", "a", json!(1))]));
        assert_eq!(
            err(nested(10)),
            json!({"filters": ["Maximum nesting depth for filter operations reached"]})
        );
        let exceeded = json!({"filters": ["Maximum number of filter operations exceeded"]});
        // 100 members at the top, or in one dict
        let list: Vec<Value> = (0..100).map(|i| json!({"a": i})).collect();
        assert_eq!(err(Value::Array(list.clone())), exceeded);
        assert!(parse(&Value::Array(list[..99].to_vec()), &known).is_ok());
        // 101 operations
        let many: Vec<Value> = (0..60).map(|i| json!({"a": i})).collect();
        assert_eq!(err(json!({"$or": many.clone(), "$and": many.clone()})), exceeded);
        // 98 conditions, the $or, b and the $and of the top = 101
        let a: Vec<Value> = (0..98).map(|i| json!({"a": i})).collect();
        assert_eq!(err(json!({"$or": a, "b": 1})), exceeded);
        let a: Vec<Value> = (0..97).map(|i| json!({"a": i})).collect();
        assert!(parse(&json!({"$or": a, "b": 1}), &known).is_ok());
        // a dict of 100 keys
        let wide: serde_json::Map<String, Value> = (0..100).map(|i| (format!("f{i}"), json!(1))).collect();
        assert_eq!(err(json!([Value::Object(wide)])), exceeded);
    }

    #[test]
    fn unknown_operations_show_ckans_repr() {
        let op = parse(&json!({"a": {"like": "it's"}}), &known).unwrap().unwrap();
        assert_eq!(
            match &op {
                FilterOp::Field { .. } => op.repr(),
                FilterOp::Combine(..) => String::new(),
            },
            "FilterOp(field='a', op='like', value=\"it's\")"
        );
    }

    #[test]
    fn python_reprs() {
        assert_eq!(py_repr(&json!({"a": [1, 2.5, null, true, "x"]})), "{'a': [1, 2.5, None, True, 'x']}");
        assert_eq!(py_repr(&json!("a\\b\n'\"")), "'a\\\\b\\n\\'\"'");
        for (f, want) in [
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (1e16, "1e+16"),
            (123456789012345.6, "123456789012345.6"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e100, "1e+100"),
            (100.0, "100.0"),
        ] {
            assert_eq!(py_float(f), want, "{f}");
        }
    }
}
