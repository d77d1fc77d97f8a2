//! The public request and answer types, and CKAN's field types with their value rules.

use serde_json::{Map, Value};

/// A field as sent to `datastore_create` / `load`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSpec {
    pub id: String,
    /// CKAN type name as sent (`int`, `text`, `numeric`, `_text`...); None = guess from records.
    pub type_: Option<String>,
    pub info: Option<Value>,
}

#[derive(Debug, Clone, Default)]
pub struct CreateTable {
    pub resource_id: String,
    pub fields: Vec<FieldSpec>,
    pub records: Vec<Map<String, Value>>,
    pub primary_key: Vec<String>,
    /// Each entry is one index: a field id, or several separated by commas.
    pub indexes: Vec<String>,
    pub aliases: Vec<String>,
    pub delete_fields: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldInfo {
    pub id: String,
    /// The type name as CKAN reports it (`int4`, `text`, `numeric`, `_text`...).
    pub type_: String,
    pub info: Option<Value>,
    /// The column type in the database.
    pub native_type: String,
    pub is_index: bool,
    pub notnull: bool,
    pub uniquekey: bool,
    pub index_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableInfo {
    pub resource_id: String,
    /// The user fields (without `_id`).
    pub fields: Vec<FieldInfo>,
    pub primary_key: Vec<String>,
    pub indexes: Vec<String>,
    pub aliases: Vec<String>,
    pub count: u64,
    pub size: u64,
    pub idx_size: u64,
    pub db_size: u64,
}

impl TableInfo {
    /// `[{"id": "_id", "type": "int"}, {"id", "type"(, "info")}...]` as `datastore_create`
    /// and `datastore_search` list them.
    pub fn field_list(&self) -> Vec<Value> {
        let mut out = vec![id_field()];
        for f in &self.fields {
            out.push(field_json(&f.id, &f.type_, f.info.as_ref()));
        }
        out
    }
}

pub(crate) fn id_field() -> Value {
    serde_json::json!({"id": "_id", "type": "int"})
}

pub(crate) fn field_json(id: &str, type_: &str, info: Option<&Value>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), Value::String(id.to_owned()));
    m.insert("type".into(), Value::String(type_.to_owned()));
    if let Some(info) = info {
        m.insert("info".into(), info.clone());
    }
    Value::Object(m)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteMethod {
    #[default]
    Upsert,
    Insert,
    Update,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordsFormat {
    #[default]
    Objects,
    Lists,
    Csv,
    Tsv,
}

#[derive(Debug, Clone, Default)]
pub struct Search {
    pub resource_id: String,
    /// CKAN's filters as sent: a dict, a list of dicts, or nothing (`null`).
    pub filters: Value,
    /// A string (all fields) or an object field → string.
    pub q: Option<Value>,
    pub plain: bool,
    pub language: String,
    pub full_text: Option<String>,
    pub distinct: bool,
    pub fields: Option<Vec<String>>,
    /// CKAN's comma separated sort string, e.g. `"a desc nulls last, b"`.
    pub sort: Option<String>,
    /// None = no limit (dumps).
    pub limit: Option<u64>,
    pub offset: u64,
    pub include_total: bool,
    /// Answer `next_page` when the rows are in `_id` order.
    pub include_next_page: bool,
    pub records_format: RecordsFormat,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    /// `[{"id","type"(,"info")}]` in output order.
    pub fields: Vec<Value>,
    /// An array of objects, an array of arrays, or a CSV / TSV string.
    pub records: Value,
    pub total: Option<u64>,
    /// The filters as parsed, as CKAN 2.12 answers them (`{"op", "field", "value"}`).
    pub filterops: Option<Value>,
    /// `{"_id": {"gt": <last _id>}}` (`lt` for `_id desc`): the filter of the next page.
    pub next_page: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SqlResult {
    pub fields: Vec<Value>,
    pub records: Vec<Value>,
    pub records_truncated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpFormat {
    Csv,
    Tsv,
    Json,
    Xml,
}

/// The value kinds behind CKAN's type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Int2,
    Int4,
    Int8,
    Numeric,
    Float4,
    Float8,
    Bool,
    Date,
    Time,
    Timestamp,
    Json,
}

impl Kind {
    /// The PostgreSQL type name (as CKAN reports it).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Int2 => "int2",
            Kind::Int4 => "int4",
            Kind::Int8 => "int8",
            Kind::Numeric => "numeric",
            Kind::Float4 => "float4",
            Kind::Float8 => "float8",
            Kind::Bool => "bool",
            Kind::Date => "date",
            Kind::Time => "time",
            Kind::Timestamp => "timestamp",
            Kind::Json => "json",
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "text" | "varchar" | "character varying" | "string" => Kind::Text,
            "int2" | "smallint" => Kind::Int2,
            "int" | "int4" | "integer" => Kind::Int4,
            "int8" | "bigint" => Kind::Int8,
            "numeric" | "decimal" => Kind::Numeric,
            "float4" | "real" => Kind::Float4,
            "float" | "float8" | "double precision" | "double" => Kind::Float8,
            "bool" | "boolean" => Kind::Bool,
            "date" => Kind::Date,
            "time" | "time without time zone" => Kind::Time,
            "timestamp" | "timestamp without time zone" | "datetime" => Kind::Timestamp,
            "json" | "jsonb" | "nested" => Kind::Json,
            _ => return None,
        })
    }

    fn pg_error_name(self) -> &'static str {
        match self {
            Kind::Int2 => "smallint",
            Kind::Int4 => "integer",
            Kind::Int8 => "bigint",
            Kind::Numeric => "numeric",
            Kind::Float4 => "real",
            Kind::Float8 => "double precision",
            Kind::Bool => "boolean",
            Kind::Date => "date",
            Kind::Time => "time",
            Kind::Timestamp => "timestamp",
            Kind::Json => "json",
            Kind::Text => "text",
        }
    }
}

/// A column type: a kind, or an array of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ColType {
    pub kind: Kind,
    pub array: bool,
}

impl ColType {
    /// Parses a CKAN type name; None when it is not a valid field type.
    pub(crate) fn parse(name: &str) -> Option<ColType> {
        let lower = name.trim().to_ascii_lowercase();
        if let Some(inner) = lower.strip_prefix('_') {
            return Kind::from_name(inner).map(|kind| ColType { kind, array: true });
        }
        if let Some(inner) = lower.strip_suffix("[]") {
            return Kind::from_name(inner.trim()).map(|kind| ColType { kind, array: true });
        }
        Kind::from_name(&lower).map(|kind| ColType { kind, array: false })
    }

    /// The name CKAN reports (`int4`, `_text`...).
    pub(crate) fn name(self) -> String {
        if self.array { format!("_{}", self.kind.name()) } else { self.kind.name().to_owned() }
    }

    pub(crate) fn pg_type(self) -> String {
        if self.array { format!("{}[]", self.kind.name()) } else { self.kind.name().to_owned() }
    }

    /// SQLite's declared type: CKAN's own name, whose affinity keeps values round-tripping
    /// (`int4` → INTEGER, `numeric` → NUMERIC, `float8` → REAL, `text` → TEXT).
    pub(crate) fn sqlite_type(self) -> String {
        self.name()
    }
}

/// CKAN's guess for a field without a type, from the first record's value.
pub(crate) fn guess_type(value: &Value) -> ColType {
    let kind = match value {
        Value::Object(_) | Value::Array(_) => Kind::Json,
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) { Kind::Int4 } else { Kind::Int8 }
        }
        Value::Number(_) => Kind::Float8,
        Value::String(s) => {
            let t = s.trim();
            if t.parse::<i64>().is_ok() {
                if t.parse::<i32>().is_ok() { Kind::Int4 } else { Kind::Int8 }
            } else if !t.is_empty() && t.parse::<f64>().is_ok_and(f64::is_finite) {
                Kind::Numeric
            } else if parse_timestamp(t).is_some() {
                Kind::Timestamp
            } else {
                Kind::Text
            }
        }
        _ => Kind::Text,
    };
    ColType { kind, array: false }
}

/// A value ready to be stored: what SQLite binds; PostgreSQL gets its text form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Real(f64),
    /// Numbers kept as written (numeric).
    Num(String),
    Text(String),
}

impl Cell {
    /// The text PostgreSQL parses for this value (`None` = NULL).
    pub(crate) fn pg_text(&self) -> Option<String> {
        match self {
            Cell::Null => None,
            Cell::Int(i) => Some(i.to_string()),
            Cell::Real(f) => Some(format!("{f:?}")),
            Cell::Num(s) | Cell::Text(s) => Some(s.clone()),
        }
    }

    pub(crate) fn to_sqlite(&self) -> rusqlite::types::Value {
        use rusqlite::types::Value as V;
        match self {
            Cell::Null => V::Null,
            Cell::Int(i) => V::Integer(*i),
            Cell::Real(f) => V::Real(*f),
            Cell::Num(s) => match s.parse::<i64>() {
                Ok(i) => V::Integer(i),
                Err(_) => s.parse::<f64>().map_or_else(|_| V::Text(s.clone()), V::Real),
            },
            Cell::Text(s) => V::Text(s.clone()),
        }
    }

    /// `to_sqlite` without copying text.
    pub(crate) fn into_sqlite(self) -> rusqlite::types::Value {
        match self {
            Cell::Text(s) => rusqlite::types::Value::Text(s),
            other => other.to_sqlite(),
        }
    }
}

fn syntax(kind: Kind, raw: &str) -> String {
    format!("invalid input syntax for type {}: \"{raw}\"", kind.pg_error_name())
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks and normalises a JSON value for a column (PostgreSQL's messages on failure).
pub(crate) fn coerce(v: &Value, t: ColType) -> Result<Cell, String> {
    if v.is_null() {
        return Ok(Cell::Null);
    }
    if let Value::String(s) = v
        && s.is_empty()
        && (t.kind != Kind::Text || t.array)
    {
        return Ok(Cell::Null);
    }
    if t.array {
        let items: Vec<Value> = match v {
            Value::Array(items) => items.clone(),
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Array(items)) => items,
                _ => return Err(format!("malformed array literal: \"{s}\"")),
            },
            other => return Err(format!("malformed array literal: \"{other}\"")),
        };
        let scalar = ColType { kind: t.kind, array: false };
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            out.push(cell_json(&coerce(item, scalar)?, t.kind));
        }
        return Ok(Cell::Text(Value::Array(out).to_string()));
    }
    coerce_scalar(v, t.kind)
}

/// `coerce` for a text value (what loads send), without copying the common cases.
pub(crate) fn coerce_text(s: String, t: ColType) -> Result<Cell, String> {
    if !t.array {
        match t.kind {
            Kind::Text => return Ok(Cell::Text(s)),
            Kind::Int2 | Kind::Int4 | Kind::Int8 => {
                if let Ok(i) = s.parse::<i64>() {
                    return range(i, t.kind, &s);
                }
            }
            Kind::Numeric if is_decimal(&s) => return Ok(Cell::Num(s)),
            Kind::Float8 | Kind::Float4 => {
                if let Ok(f) = s.parse::<f64>()
                    && f.is_finite()
                {
                    return Ok(Cell::Real(f));
                }
            }
            Kind::Date if canonical_date_time(&s, false) => return Ok(Cell::Text(s)),
            Kind::Timestamp if canonical_date_time(&s, true) => return Ok(Cell::Text(s)),
            _ => {}
        }
    }
    coerce(&Value::String(s), t)
}

/// Whether `s` is a valid `YYYY-MM-DD` date (with `time`: `YYYY-MM-DDTHH:MM:SS`), the form
/// dates and timestamps are stored in, so that it can be taken as it is.
fn canonical_date_time(s: &str, time: bool) -> bool {
    let b = s.as_bytes();
    if b.len() != if time { 19 } else { 10 } || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let (Some(y), Some(m), Some(d)) = (num(0, 4), num(5, 7), num(8, 10)) else { return false };
    if y == 0 || chrono::NaiveDate::from_ymd_opt(i32::try_from(y).unwrap_or(0), m, d).is_none() {
        return false;
    }
    if !time {
        return true;
    }
    if b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return false;
    }
    matches!((num(11, 13), num(14, 16), num(17, 19)), (Some(h), Some(mi), Some(sec)) if h < 24 && mi < 60 && sec < 60)
}

fn cell_json(c: &Cell, kind: Kind) -> Value {
    match c {
        Cell::Null => Value::Null,
        Cell::Int(i) if kind == Kind::Bool => Value::Bool(*i != 0),
        Cell::Int(i) => Value::from(*i),
        Cell::Real(f) => Value::from(*f),
        Cell::Num(s) => number_value(s),
        Cell::Text(s) if kind == Kind::Json => serde_json::from_str(s).unwrap_or(Value::Null),
        Cell::Text(s) => Value::String(s.clone()),
    }
}

fn coerce_scalar(v: &Value, kind: Kind) -> Result<Cell, String> {
    match kind {
        Kind::Text => Ok(Cell::Text(value_text(v))),
        Kind::Json => Ok(Cell::Text(match v {
            Value::String(s) if serde_json::from_str::<Value>(s).is_ok() => s.clone(),
            Value::String(s) => return Err(format!("invalid input syntax for type json: \"{s}\"")),
            other => other.to_string(),
        })),
        Kind::Int2 | Kind::Int4 | Kind::Int8 => {
            let raw = value_text(v);
            let i = match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            let Some(i) = i else {
                if matches!(v, Value::String(_) | Value::Number(_))
                    && raw.trim().parse::<f64>().is_ok()
                    && !matches!(v, Value::Number(_))
                {
                    return Err(syntax(kind, &raw));
                }
                if let Value::Number(n) = v
                    && let Some(f) = n.as_f64()
                    && f.fract() == 0.0
                    && f.abs() < 9.2e18
                {
                    #[allow(clippy::cast_possible_truncation)]
                    return range(f as i64, kind, &raw);
                }
                return Err(syntax(kind, &raw));
            };
            range(i, kind, &raw)
        }
        Kind::Numeric => match v {
            Value::Number(n) => Ok(Cell::Num(n.to_string())),
            Value::String(s) => {
                let t = s.trim();
                if is_decimal(t) { Ok(Cell::Num(t.to_owned())) } else { Err(syntax(kind, s)) }
            }
            other => Err(syntax(kind, &other.to_string())),
        },
        Kind::Float4 | Kind::Float8 => {
            let f = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => parse_float(s.trim()),
                _ => None,
            };
            f.map(Cell::Real).ok_or_else(|| syntax(kind, &value_text(v)))
        }
        Kind::Bool => match v {
            Value::Bool(b) => Ok(Cell::Int(i64::from(*b))),
            Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
                Ok(Cell::Int(n.as_i64().unwrap_or(0)))
            }
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "t" | "true" | "y" | "yes" | "on" | "1" => Ok(Cell::Int(1)),
                "f" | "false" | "n" | "no" | "off" | "0" => Ok(Cell::Int(0)),
                _ => Err(syntax(kind, s)),
            },
            other => Err(syntax(kind, &other.to_string())),
        },
        Kind::Date => {
            let raw = value_text(v);
            parse_timestamp(raw.trim())
                .map(|ts| Cell::Text(ts.date().format("%Y-%m-%d").to_string()))
                .ok_or_else(|| syntax(kind, &raw))
        }
        Kind::Time => {
            let raw = value_text(v);
            parse_time(raw.trim()).map(|t| Cell::Text(format_time(t))).ok_or_else(|| syntax(kind, &raw))
        }
        Kind::Timestamp => {
            let raw = value_text(v);
            parse_timestamp(raw.trim())
                .map(|ts| Cell::Text(format_timestamp(ts)))
                .ok_or_else(|| syntax(kind, &raw))
        }
    }
}

fn range(i: i64, kind: Kind, raw: &str) -> Result<Cell, String> {
    let ok = match kind {
        Kind::Int2 => i16::try_from(i).is_ok(),
        Kind::Int4 => i32::try_from(i).is_ok(),
        _ => true,
    };
    if ok {
        Ok(Cell::Int(i))
    } else {
        Err(format!("value \"{}\" is out of range for type {}", raw.trim(), kind.pg_error_name()))
    }
}

fn parse_float(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "infinity" | "inf" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ if is_decimal(s) => s.parse().ok(),
        _ => None,
    }
}

/// A decimal number as PostgreSQL's numeric reads it (digits, optional point, exponent).
pub(crate) fn is_decimal(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exp) = match b.find(['e', 'E']) {
        Some(p) => (&b[..p], Some(&b[p + 1..])),
        None => (b, None),
    };
    let digits = mantissa.chars().filter(char::is_ascii_digit).count();
    let points = mantissa.chars().filter(|c| *c == '.').count();
    let mantissa_ok = digits > 0 && points <= 1 && digits + points == mantissa.len();
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exp_ok
}

/// A JSON number for a decimal text: integers exactly, others (`13.0` too) as floats.
pub(crate) fn number_value(s: &str) -> Value {
    if let Ok(i) = s.parse::<i64>() {
        return Value::from(i);
    }
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() => Value::from(f),
        _ => Value::String(s.to_owned()),
    }
}

pub(crate) fn parse_time(s: &str) -> Option<chrono::NaiveTime> {
    for fmt in ["%H:%M:%S%.f", "%H:%M"] {
        if let Ok(t) = chrono::NaiveTime::parse_from_str(s, fmt) {
            return Some(t);
        }
    }
    None
}

/// ISO dates and timestamps (`T` or space, optional seconds, fraction, `Z` or offset dropped).
pub(crate) fn parse_timestamp(s: &str) -> Option<chrono::NaiveDateTime> {
    if s.len() < 8 {
        return None;
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0);
    }
    let s = s.strip_suffix('Z').unwrap_or(s);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(ts) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(ts);
        }
    }
    if let Ok(ts) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(ts.naive_utc());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(ts) = chrono::DateTime::parse_from_str(s, fmt) {
            return Some(ts.naive_utc());
        }
    }
    None
}

/// `YYYY-MM-DDTHH:MM:SS`, with the fraction only when it is not zero.
pub(crate) fn format_timestamp(ts: chrono::NaiveDateTime) -> String {
    format!("{}T{}", ts.date().format("%Y-%m-%d"), format_time(ts.time()))
}

fn format_time(t: chrono::NaiveTime) -> String {
    use chrono::Timelike;
    let micros = t.nanosecond() / 1000;
    if micros == 0 {
        t.format("%H:%M:%S").to_string()
    } else {
        let frac = format!("{micros:06}");
        format!("{}.{}", t.format("%H:%M:%S"), frac.trim_end_matches('0'))
    }
}

/// CKAN's field id rules; the message when broken.
pub(crate) fn field_name_error(id: &str) -> Option<String> {
    let ok = !id.is_empty()
        && id == id.trim()
        && !id.starts_with('_')
        && !id.contains('"')
        && !id.chars().any(char::is_control);
    if ok { None } else { Some(format!("\"{id}\" is not a valid field name")) }
}
