//! Typed action requests: one type per action, declared with [`request!`], parses CKAN's loose
//! request dict into typed fields (with CKAN's field-level errors), and is the schema the
//! OpenAPI document cites and the parameter list `help_show` prints — one definition, so the
//! three cannot drift.
//!
//! CKAN reads every parameter loosely: query strings and form bodies carry only strings, so
//! booleans come as `"true"`/`"1"`, numbers as digits, lists as JSON text or comma-separated.
//! [`Field`] reads each Rust type that way; [`loosen`] turns the derived schema of a type into
//! the schema of what the reader accepts, so the document tells clients the truth.

use std::borrow::Cow;

use datahavn_domain::ValidationErrors;
use datahavn_domain::params::{Params, parse_bool};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{RefOr, schema};

use crate::ActionResult;

/// An action's typed request.
pub trait Request: Sized + ToSchema {
    /// The keys the action reads, in declaration order.
    const FIELDS: &'static [&'static str];
    /// Whether keys beyond [`Self::FIELDS`] are kept (free-form dicts such as datasets).
    const FREE_FORM: bool;

    /// Reads the request dict: every field error at once (409), or the typed value.
    fn parse(params: &Params) -> ActionResult<Self>;
}

/// Reads one parameter of a given Rust type the way CKAN's validators read it.
pub trait Field: Sized {
    fn read(params: &Params, key: &str, errors: &mut ValidationErrors) -> Self;
}

/// Required text: present and not blank (`Missing value`). Numbers and booleans become text.
impl Field for String {
    fn read(params: &Params, key: &str, errors: &mut ValidationErrors) -> Self {
        params.required_string(key, errors).unwrap_or_default()
    }
}

/// Optional text. Numbers and booleans become text; lists and dicts are an error.
impl Field for Option<String> {
    fn read(params: &Params, key: &str, errors: &mut ValidationErrors) -> Self {
        params.string(key, errors)
    }
}

/// CKAN's `asbool`; absent, `null` or `""` is `None`.
impl Field for Option<bool> {
    fn read(params: &Params, key: &str, errors: &mut ValidationErrors) -> Self {
        match params.get(key)? {
            Value::String(s) if s.trim().is_empty() => None,
            value => parse_bool(value).or_else(|| {
                errors.add(key, "Value must be one of: true, false");
                None
            }),
        }
    }
}

/// A natural number (`limit`, `offset`): CKAN's `natural_number_validator`.
impl Field for Option<u64> {
    fn read(params: &Params, key: &str, errors: &mut ValidationErrors) -> Self {
        params.natural(key, errors)
    }
}

/// Any JSON value, as sent.
impl Field for Option<Value> {
    fn read(params: &Params, key: &str, _errors: &mut ValidationErrors) -> Self {
        params.get(key).cloned()
    }
}

/// A list of names: a JSON list, a JSON list as text, or one comma-separated string.
impl Field for Option<Vec<String>> {
    fn read(params: &Params, key: &str, errors: &mut ValidationErrors) -> Self {
        let value = params.get(key)?;
        let parsed;
        let value = match value {
            Value::String(text) if text.trim_start().starts_with('[') => {
                parsed = serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
                &parsed
            }
            other => other,
        };
        match value {
            Value::String(text) => {
                Some(text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
            }
            Value::Array(items) => {
                let names: Option<Vec<String>> = items
                    .iter()
                    .map(|item| match item {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect();
                names.or_else(|| {
                    errors.add(key, "Not a list of strings");
                    None
                })
            }
            _ => {
                errors.add(key, "Not a list");
                None
            }
        }
    }
}

/// The reader of a key that another field's reader reads in its place (an older name of that
/// field): declaring it documents the key; its value is the other field's.
pub(crate) fn alias(_params: &Params, _key: &str, _errors: &mut ValidationErrors) -> ActionResult<()> {
    Ok(())
}

/// Text as CKAN reads it out of a nested value: a string, or a number as its digits.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// As [`scalar_text`], booleans too, spelled as Python does (CKAN's `unicode_safe`).
pub(crate) fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
        other => scalar_text(other),
    }
}

/// The keys of a request dict that are not among `fields` (free-form keys), as sent.
pub fn rest(params: &Params, fields: &[&str]) -> Map<String, Value> {
    params
        .as_map()
        .iter()
        .filter(|(key, _)| !fields.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// A field's key: its Rust name without the `r#` of raw identifiers.
pub const fn key(name: &'static str) -> &'static str {
    let bytes = name.as_bytes();
    if bytes.len() > 2 && bytes[0] == b'r' && bytes[1] == b'#' { name.split_at(2).1 } else { name }
}

/// Declares an action's request type: the struct (with its OpenAPI schema) and its parser.
///
/// Each field is read by its type's [`Field`] reader, or by `=> reader` — a function
/// `fn(&Params, &str, &mut ValidationErrors) -> ActionResult<T>` for keys CKAN reads in its own
/// way. A key that is not a Rust name (`facet.field`) is given after the field's name:
/// `pub facet_field as "facet.field": T`. `..rest` after the fields collects every other key
/// (free-form dicts).
macro_rules! request {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident $(as $fkey:literal)? : $ty:ty $(=> $reader:expr)?
            ),* $(,)?
            $(; $(#[$rmeta:meta])* ..$rest:ident)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, utoipa::ToSchema)]
        pub struct $name {
            $( $(#[$fmeta])* $(#[schema(rename = $fkey)])? pub $field: $ty, )*
            $(
                $(#[$rmeta])*
                #[schema(ignore)]
                pub $rest: serde_json::Map<String, serde_json::Value>,
            )?
        }

        impl $crate::request::Request for $name {
            const FIELDS: &'static [&'static str] =
                &[$($crate::request::request!(@key $field $($fkey)?)),*];
            const FREE_FORM: bool = $crate::request::request!(@free $($rest)?);

            #[allow(unused_variables)]
            fn parse(params: &datahavn_domain::params::Params) -> $crate::ActionResult<Self> {
                let mut errors = datahavn_domain::ValidationErrors::new();
                $(
                    let $field: $ty = $crate::request::request!(
                        @read $($reader)?; $ty, params, $crate::request::request!(@key $field $($fkey)?), &mut errors
                    );
                )*
                errors.into_result()?;
                Ok(Self {
                    $($field,)*
                    $($rest: $crate::request::rest(params, Self::FIELDS),)?
                })
            }
        }
    };
    (@key $field:ident) => { $crate::request::key(stringify!($field)) };
    (@key $field:ident $fkey:literal) => { $fkey };
    (@free) => { false };
    (@free $rest:ident) => { true };
    (@read ; $ty:ty, $params:expr, $key:expr, $errors:expr) => {
        <$ty as $crate::request::Field>::read($params, $key, $errors)
    };
    (@read $reader:expr; $ty:ty, $params:expr, $key:expr, $errors:expr) => {
        ($reader)($params, $key, $errors)?
    };
}
pub(crate) use request;

/// A request that takes no parameters.
#[derive(Debug, Clone, ToSchema)]
pub struct NoParams {}

impl Request for NoParams {
    const FIELDS: &'static [&'static str] = &[];
    const FREE_FORM: bool = false;

    fn parse(_params: &Params) -> ActionResult<Self> {
        Ok(Self {})
    }
}

/// Schemas a document needs besides the ones it names.
pub type Components = Vec<(String, RefOr<Schema>)>;

/// What the OpenAPI document and `help_show` know of a request type.
pub struct RequestDoc {
    /// The schema's name in `components`.
    pub name: Cow<'static, str>,
    /// An object schema of what the parser accepts (see [`loosen`]).
    pub schema: RefOr<Schema>,
    pub components: Components,
    pub fields: &'static [&'static str],
    pub free_form: bool,
}

pub fn request_doc<R: Request>() -> RequestDoc {
    let mut components = Vec::new();
    R::schemas(&mut components);
    let mut schema = R::schema();
    loosen(&mut schema);
    if R::FREE_FORM
        && let RefOr::T(Schema::Object(object)) = &mut schema
    {
        object.additional_properties = Some(Box::new(schema::AdditionalProperties::FreeForm(true)));
    }
    RequestDoc { name: R::name(), schema, components, fields: R::FIELDS, free_form: R::FREE_FORM }
}

/// What the OpenAPI document knows of a response type.
pub struct ResponseDoc {
    /// The schema of `result` (a reference to `components` for named dicts).
    pub schema: RefOr<Schema>,
    pub components: Components,
}

/// The document of a result type: named dicts become references to their component.
pub fn response_doc<T: ToSchema>() -> ResponseDoc {
    let mut components = Vec::new();
    T::schemas(&mut components);
    let name = T::name();
    let inline = T::schema();
    let schema = match &inline {
        RefOr::T(Schema::Object(object)) if !object.properties.is_empty() => {
            components.push((name.to_string(), inline.clone()));
            RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name))
        }
        _ => inline,
    };
    ResponseDoc { schema, components }
}

/// Rewrites the schema of each property to what its reader takes: booleans in CKAN's spellings,
/// integers as digits too (naturals: the unsigned types, whose schema has a minimum), text from numbers and booleans, lists as JSON text or one
/// comma-separated string. Descriptions and required-ness are kept.
pub fn loosen(schema: &mut RefOr<Schema>) {
    let RefOr::T(Schema::Object(object)) = schema else { return };
    for property in object.properties.values_mut() {
        let (loose, description) = match property {
            RefOr::T(Schema::Object(field)) => (loose_scalar(field), field.description.clone()),
            // Lists of names; lists of dicts are read as they are.
            RefOr::T(Schema::Array(list)) if scalar_items(list) => {
                (Some(loose_list()), list.description.clone())
            }
            _ => continue,
        };
        if let Some(loose) = loose {
            *property = RefOr::T(loose);
            if let RefOr::T(Schema::OneOf(one_of)) = property {
                one_of.description = description;
            }
        }
    }
}

fn loose_scalar(field: &schema::Object) -> Option<Schema> {
    match kind(&field.schema_type)? {
        Type::Boolean => Some(loose_bool()),
        Type::Integer if field.minimum.is_some() => Some(loose_natural()),
        Type::Integer => Some(loose_integer()),
        Type::String => Some(loose_text(field.min_length)),
        _ => None,
    }
}

/// Whether a list's items are text or numbers.
fn scalar_items(list: &schema::Array) -> bool {
    let schema::ArrayItems::RefOrSchema(item) = &list.items else { return false };
    let RefOr::T(Schema::Object(item)) = item.as_ref() else { return false };
    matches!(kind(&item.schema_type), Some(Type::String | Type::Integer | Type::Number))
}

/// The non-null type of a schema type (`[string, null]` is `string`).
fn kind(schema_type: &SchemaType) -> Option<Type> {
    match schema_type {
        SchemaType::Type(t) => Some(t.clone()),
        SchemaType::Array(types) => {
            let mut rest = types.iter().filter(|t| **t != Type::Null);
            match (rest.next(), rest.next()) {
                (Some(t), None) => Some(t.clone()),
                _ => None,
            }
        }
        SchemaType::AnyValue => None,
    }
}

/// A case-insensitive pattern for CKAN's boolean spellings, with surrounding blanks.
fn bool_pattern() -> String {
    let words = ["true", "false", "yes", "no", "on", "off", "y", "n", "t", "f", "1", "0"];
    let either = |c: char| {
        if c.is_ascii_alphabetic() {
            format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
        } else {
            c.to_string()
        }
    };
    let alternatives: Vec<String> = words.iter().map(|w| w.chars().map(either).collect()).collect();
    format!("^\\s*({})?\\s*$", alternatives.join("|"))
}

fn typed(t: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::Type(t))
}

fn loose_bool() -> Schema {
    OneOfBuilder::new()
        .item(typed(Type::Boolean))
        .item(typed(Type::String).pattern(Some(bool_pattern())))
        .item(typed(Type::Integer).minimum(Some(0)).maximum(Some(1)))
        .item(typed(Type::Null))
        .into()
}

fn loose_natural() -> Schema {
    OneOfBuilder::new()
        .item(typed(Type::Integer).minimum(Some(0)))
        .item(typed(Type::String).pattern(Some("^\\s*\\+?[0-9]*\\s*$")))
        .item(typed(Type::Null))
        .into()
}

/// A signed integer (`facet.limit`: negative for no limit), as a number or as digits.
fn loose_integer() -> Schema {
    OneOfBuilder::new()
        .item(typed(Type::Integer))
        .item(typed(Type::String).pattern(Some("^\\s*[-+]?[0-9]*\\s*$")))
        .item(typed(Type::Null))
        .into()
}

/// Text, or a number or boolean read as text. `min_length` 0 (`#[schema(min_length = 0)]`)
/// marks a required field that may be empty.
fn loose_text(min_length: Option<usize>) -> Schema {
    OneOfBuilder::new()
        .item(typed(Type::String).min_length(min_length))
        .item(typed(Type::Number))
        .item(typed(Type::Boolean))
        .item(typed(Type::Null))
        .into()
}

fn loose_list() -> Schema {
    OneOfBuilder::new()
        .item(
            ArrayBuilder::new()
                .items(OneOfBuilder::new().item(typed(Type::String)).item(typed(Type::Number))),
        )
        .item(typed(Type::String))
        .item(typed(Type::Null))
        .into()
}

/// The `:param` lines of `help_show`, from the request's schema: each field with its
/// description, as CKAN's docstrings list them.
pub fn param_lines(doc: &RequestDoc) -> String {
    let RefOr::T(Schema::Object(object)) = &doc.schema else { return String::new() };
    let mut lines = String::new();
    for (name, property) in &object.properties {
        let description = match property {
            RefOr::T(Schema::Object(o)) => o.description.clone(),
            RefOr::T(Schema::OneOf(o)) => o.description.clone(),
            RefOr::T(Schema::Array(a)) => a.description.clone(),
            RefOr::Ref(r) => Some(r.description.clone()).filter(|d| !d.is_empty()),
            _ => None,
        };
        let optional = if object.required.contains(name) { "" } else { " (optional)" };
        let text = description.unwrap_or_default().replace('\n', " ");
        lines.push_str(&format!(":param {name}: {text}{optional}\n"));
    }
    if doc.free_form {
        lines.push_str(":param ...: any other key is kept as sent (optional)\n");
    }
    lines
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    request! {
        /// An example.
        pub struct Example {
            /// The id.
            pub id: String,
            /// A flag.
            pub all_fields: Option<bool>,
            pub limit: Option<u64>,
            pub r#type: Option<String>,
            pub names: Option<Vec<String>>,
        }
    }

    request! {
        /// A free-form example.
        pub struct FreeForm {
            pub name: Option<String>;
            /// Everything else.
            ..extra
        }
    }

    request! {
        /// Keys that are not Rust names.
        pub struct Dotted {
            /// Fields to count.
            pub facet_field as "facet.field": Option<Vec<String>>,
            /// Values per field, negative for all.
            pub facet_limit as "facet.limit": Option<i64> => signed,
        }
    }

    request! {
        /// Lists.
        pub struct Lists {
            /// Names.
            pub names: Option<Vec<String>>,
            #[schema(value_type = Option<Vec<Object>>)]
            pub dicts: Option<Value>,
        }
    }

    fn signed(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<i64>> {
        let text = params.string(key, errors);
        Ok(text.and_then(|t| t.parse().ok()))
    }

    fn params(value: Value) -> Params {
        match value {
            Value::Object(map) => Params::new(map),
            _ => Params::default(),
        }
    }

    #[test]
    fn parses_loose_values() {
        let parsed = Example::parse(&params(json!({
            "id": 5, "all_fields": "True", "limit": "10", "type": "group", "names": "[\"a\", \"b\"]"
        })))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.id, "5");
        assert_eq!(parsed.all_fields, Some(true));
        assert_eq!(parsed.limit, Some(10));
        assert_eq!(parsed.r#type.as_deref(), Some("group"));
        assert_eq!(parsed.names, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(Example::FIELDS, ["id", "all_fields", "limit", "type", "names"]);
    }

    #[test]
    fn reports_every_field_error() {
        let Err(crate::ActionError::Validation(errors)) =
            Example::parse(&params(json!({"all_fields": "maybe", "limit": -1, "names": {"a": 1}})))
        else {
            panic!("expected field errors")
        };
        assert_eq!(errors.messages("id"), ["Missing value"]);
        assert_eq!(errors.messages("all_fields"), ["Value must be one of: true, false"]);
        assert_eq!(errors.messages("limit"), ["Must be a natural number"]);
        assert_eq!(errors.messages("names"), ["Not a list"]);
    }

    #[test]
    fn free_form_requests_keep_other_keys() {
        let parsed =
            FreeForm::parse(&params(json!({"name": "x", "notes": "y"}))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.name.as_deref(), Some("x"));
        assert_eq!(Value::Object(parsed.extra), json!({"notes": "y"}));
        assert!(request_doc::<FreeForm>().free_form);
    }

    #[test]
    fn help_and_schema_name_the_parsed_fields() {
        let doc = request_doc::<Example>();
        let RefOr::T(Schema::Object(object)) = &doc.schema else { panic!("not an object") };
        let names: Vec<&str> = object.properties.keys().map(String::as_str).collect();
        assert_eq!(names, Example::FIELDS);
        let help = param_lines(&doc);
        assert!(help.starts_with(":param id: The id.\n:param all_fields: A flag. (optional)\n"), "{help}");
    }

    #[test]
    fn fields_may_name_their_key() {
        let parsed = Dotted::parse(&params(json!({"facet.field": ["tags"], "facet.limit": "-1"})))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.facet_field, Some(vec!["tags".to_owned()]));
        assert_eq!(parsed.facet_limit, Some(-1));
        assert_eq!(Dotted::FIELDS, ["facet.field", "facet.limit"]);
        let doc = request_doc::<Dotted>();
        let RefOr::T(Schema::Object(object)) = &doc.schema else { panic!("not an object") };
        let names: Vec<&str> = object.properties.keys().map(String::as_str).collect();
        assert_eq!(names, Dotted::FIELDS);
        assert!(param_lines(&doc).starts_with(":param facet.field: Fields to count. (optional)\n"));
    }

    #[test]
    fn lists_of_names_are_loose_and_lists_of_dicts_are_not() {
        let parsed = Lists::parse(&params(json!({"names": "a, b", "dicts": [{"a": 1}]})))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.names, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(parsed.dicts, Some(json!([{"a": 1}])));
        let schema = serde_json::to_value(request_doc::<Lists>().schema).unwrap_or_default();
        assert_eq!(schema["properties"]["names"]["oneOf"][1], json!({"type": "string"}));
        assert_eq!(schema["properties"]["names"]["description"], "Names.");
        assert_eq!(schema["properties"]["dicts"]["items"], json!({"type": "object"}));
    }

    #[test]
    fn signed_integers_may_be_negative() {
        let doc = request_doc::<Dotted>();
        let RefOr::T(Schema::Object(object)) = &doc.schema else { panic!("not an object") };
        let limit = serde_json::to_value(&object.properties["facet.limit"]).unwrap_or_default();
        assert_eq!(limit["oneOf"][0], json!({"type": "integer"}));
        let natural = request_doc::<Example>();
        let RefOr::T(Schema::Object(object)) = &natural.schema else { panic!("not an object") };
        let limit = serde_json::to_value(&object.properties["limit"]).unwrap_or_default();
        assert_eq!(limit["oneOf"][0], json!({"type": "integer", "minimum": 0}));
    }

    #[test]
    fn boolean_pattern_takes_ckans_spellings() {
        let pattern = bool_pattern();
        assert!(pattern.contains("[tT][rR][uU][eE]"));
        assert!(pattern.starts_with("^\\s*("));
    }
}
