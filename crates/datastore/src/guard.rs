//! Checking `datastore_search_sql` statements: one SELECT over DataStore tables only.
//!
//! CKAN 2.12 runs the user's SQL through `EXPLAIN` and compares the relation and function names
//! of the plan with the DataStore tables and `allowed_functions.txt`. datahavn decides before
//! anything reaches a database: the SQL is parsed (PostgreSQL syntax, as CKAN clients write it),
//! the syntax tree is walked with a default-deny rule (every construct not listed here is
//! refused), every table reference is resolved to a resource id, and the SQL that runs is
//! rendered from the checked tree only, with each table reference rewritten to its physical
//! table (`datastore."<id>"` on PostgreSQL, `"<id>"` on SQLite).
//!
//! Rules, in short:
//! - at most [`MAX_SQL_LEN`] bytes, at most [`MAX_OPERATORS`] operators (bounds expression depth),
//!   parser recursion limited to [`MAX_RECURSION`]; exactly one statement, and it is a query;
//! - no data-modifying CTE or subquery, no `SELECT ... INTO`, no `FOR UPDATE/SHARE`, no
//!   parameters (`$1`);
//! - a table name is a CTE in scope, or a name `resolve` knows (a resource id or an alias),
//!   optionally qualified by the schema `datastore` or `public` (CKAN users write
//!   `public."<id>"`; both dialects accept these two, nothing else); names beginning with `pg_`,
//!   `sqlite_` or `_`, `information_schema` and `_table_metadata` are system tables (403);
//!   anything else is a relation that does not exist (409, naming only what was written);
//! - functions: CKAN's allow-list (`allowed_functions.txt`) plus the SQL conditional
//!   expressions (`coalesce`, `nullif`, `greatest`, `least`) and the date/time value functions
//!   (`current_date`, ...); `pg_catalog.<allowed>` is allowed, any other qualification is not;
//!   anything else is 403 `Not authorized to call function <name>`; in `FROM` only the
//!   set-returning functions of [`TABLE_FUNCTIONS`];
//! - casts to the ordinary data types; casts to `regclass`, `regproc`, `oid`, ... or any `pg_*`
//!   or schema-qualified type reach the system catalogues (403).
//!
//! A table written without an alias is aliased as written, so `SELECT "t".col FROM "t"` keeps
//! working; qualifying a column with a schema (`public."t".col`) does not.

use serde_json::{Map, Value as Json, json};
use sqlparser::ast::{
    BinaryOperator, CastKind, CeilFloorKind, DataType, DateTimeField, Distinct, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArgOperator, FunctionArgumentClause, FunctionArguments, GroupByExpr, Ident,
    InTarget, Join, JoinConstraint, JoinOperator, LimitClause, NamedWindowExpr, ObjectName, ObjectNamePart,
    OrderByExpr, OrderByKind, Query, Select, SelectFlavor, SelectItem, SelectItemQualifiedWildcardKind,
    SetExpr, SetOperator, Statement, TableAlias, TableFactor, TableWithJoins, UnaryOperator, Value,
    WildcardAdditionalOptions, WindowFrameBound, WindowSpec, WindowType,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

/// The SQL the DataStore runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

/// A statement that passed the guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedSql {
    /// The SQL to run, rendered from the checked syntax tree.
    pub sql: String,
    /// The resource ids of the tables read, each once, in the order first seen.
    pub tables: Vec<String>,
}

/// Longest SQL accepted, in bytes.
pub const MAX_SQL_LEN: usize = 100 * 1024;
/// Most operators (`+`, `AND`, `::`, ...) in one statement; chains of operators nest the syntax
/// tree one level each, so this bounds its depth.
pub const MAX_OPERATORS: usize = 500;
/// The parser's recursion limit (nested parentheses, subqueries).
pub const MAX_RECURSION: usize = 40;
/// Deepest syntax tree the checker walks.
const MAX_DEPTH: usize = 1000;

/// Why a statement was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GuardError {
    /// More than one statement (CKAN's `is_single_statement`).
    #[error("Query is not a single statement.")]
    NotSingleStatement,
    /// SQL that does not parse, or is not one query (`orig` says why).
    #[error("Invalid query: {orig}")]
    Invalid { statement: String, orig: String },
    /// A table name that is neither a CTE in scope nor a DataStore table.
    #[error("relation \"{name}\" does not exist")]
    UnknownTable { statement: String, name: String },
    /// A construct the guard does not allow or cannot render for the dialect.
    #[error("{reason}")]
    Refused { statement: String, reason: String },
    /// A system table or catalogue.
    #[error("Not authorized to access system tables")]
    SystemTables,
    /// A function not on the allow-list.
    #[error("Not authorized to call function {0}")]
    Function(String),
}

impl GuardError {
    /// CKAN's HTTP status for it: 403 (NotAuthorized) or 409 (ValidationError)
    pub fn status(&self) -> u16 {
        match self {
            GuardError::SystemTables | GuardError::Function(_) => 403,
            _ => 409,
        }
    }

    /// For a 403, the text CKAN puts after `Access denied: ` in the error message.
    pub fn reason(&self) -> Option<String> {
        match self.status() {
            403 => Some(self.to_string()),
            _ => None,
        }
    }

    /// The CKAN error body fields besides `__type`: for 409 `{"query": [...]}` (with `info` as
    /// CKAN's `search_sql` adds for database errors), for 403 `{"message": "Access denied: ..."}`.
    pub fn fields(&self) -> Map<String, Json> {
        let mut m = Map::new();
        let info =
            |statement: &str, orig: &str| json!({"statement": [statement], "params": [{}], "orig": [orig]});
        match self {
            GuardError::NotSingleStatement => {
                m.insert("query".into(), json!([self.to_string()]));
            }
            GuardError::Invalid { statement, orig } => {
                m.insert("query".into(), json!(["Invalid query"]));
                m.insert("info".into(), info(statement, orig));
            }
            GuardError::UnknownTable { statement, .. } => {
                m.insert("query".into(), json!(["Invalid query"]));
                m.insert("info".into(), info(statement, &self.to_string()));
            }
            GuardError::Refused { statement, reason } => {
                m.insert("query".into(), json!([reason]));
                m.insert("info".into(), info(statement, reason));
            }
            GuardError::SystemTables | GuardError::Function(_) => {
                m.insert("message".into(), json!(format!("Access denied: {self}")));
            }
        }
        m
    }
}

/// CKAN's `allowed_functions.txt` (2.12), less nothing: none of its entries reads files,
/// the network, settings or other sessions. Lower case, as CKAN compares unquoted names.
const CKAN_ALLOWED_FUNCTIONS: &[&str] = &[
    "abbrev",
    "abs",
    "abstime",
    "abstimeeq",
    "abstimege",
    "abstimegt",
    "abstimein",
    "abstimele",
    "abstimelt",
    "abstimene",
    "abstimeout",
    "abstimerecv",
    "abstimesend",
    "acos",
    "acosd",
    "age",
    "area",
    "array_agg",
    "array_append",
    "array_cat",
    "array_fill",
    "array_length",
    "array_lower",
    "array_ndims",
    "array_position",
    "array_positions",
    "array_prepend",
    "array_remove",
    "array_replace",
    "array_to_json",
    "array_to_string",
    "array_to_tsvector",
    "array_upper",
    "avg",
    "bit_and",
    "bit_or",
    "bool_and",
    "bool_or",
    "bound_box",
    "box",
    "broadcast",
    "btrim",
    "cardinality",
    "cbrt",
    "ceil",
    "ceiling",
    "center",
    "chr",
    "circle",
    "clock_timestamp",
    "concat",
    "concat_ws",
    "convert",
    "convert_from",
    "convert_to",
    "corr",
    "cos",
    "cosd",
    "cot",
    "cotd",
    "count",
    "covar_pop",
    "covar_samp",
    "cume_dist",
    "date_part",
    "date_pl_interval",
    "date_pli",
    "date_recv",
    "date_send",
    "date_smaller",
    "date_sortsupport",
    "date_trunc",
    "decode",
    "degrees",
    "dense_rank",
    "diagonal",
    "diameter",
    "div",
    "encode",
    "enum_cmp",
    "enum_eq",
    "enum_first",
    "enum_ge",
    "enum_gt",
    "enum_in",
    "enum_larger",
    "enum_last",
    "enum_le",
    "enum_lt",
    "enum_ne",
    "enum_range",
    "enum_smaller",
    "exp",
    "factorial",
    "family",
    "first_value",
    "floor",
    "format",
    "generate_series",
    "get_bit",
    "get_byte",
    "get_current_ts_config",
    "height",
    "host",
    "hostmask",
    "inet_merge",
    "inet_same_family",
    "initcap",
    "isclosed",
    "isempty",
    "isfinite",
    "isopen",
    "json_agg",
    "json_array_element",
    "json_array_element_text",
    "json_array_elements",
    "json_array_elements_text",
    "json_array_length",
    "json_build_array",
    "json_build_object",
    "json_each",
    "json_each_text",
    "json_extract_path",
    "json_extract_path_text",
    "json_object_agg",
    "json_object_keys",
    "json_populate_record",
    "json_populate_recordset",
    "jsonb_agg",
    "jsonb_array_element",
    "jsonb_array_element_text",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "jsonb_array_length",
    "jsonb_build_array",
    "jsonb_build_object",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "jsonb_insert",
    "jsonb_pretty",
    "jsonb_set",
    "jsonb_strip_nulls",
    "jsonb_typeof",
    "justify_days",
    "justify_hours",
    "justify_interval",
    "lag",
    "last_value",
    "lead",
    "left",
    "length",
    "line",
    "ln",
    "log",
    "lower",
    "lower_inc",
    "lower_inf",
    "lpad",
    "lseg",
    "ltrim",
    "macaddr8_set7bit",
    "make_date",
    "make_interval",
    "make_time",
    "make_timestamp",
    "make_timestamptz",
    "masklen",
    "max",
    "md5",
    "min",
    "mod",
    "mode",
    "network",
    "now",
    "npoints",
    "nth_value",
    "ntile",
    "num_nonnulls",
    "num_nulls",
    "numnode",
    "parse_ident",
    "path",
    "pclose",
    "percent_rank",
    "percentile_cont",
    "percentile_disc",
    "phraseto_tsquery",
    "pi",
    "plainto_tsquery",
    "point",
    "polygon",
    "popen",
    "pow",
    "power",
    "querytree",
    "quote_ident",
    "quote_literal",
    "quote_nullable",
    "radians",
    "radius",
    "random",
    "range_merge",
    "rank",
    "regexp_match",
    "regexp_matches",
    "regexp_replace",
    "regexp_split_to_array",
    "regexp_split_to_table",
    "regr_avgx",
    "regr_avgy",
    "regr_count",
    "regr_intercept",
    "regr_r2",
    "regr_slope",
    "regr_sxx",
    "regr_sxy",
    "regr_syy",
    "repeat",
    "replace",
    "reverse",
    "right",
    "round",
    "row_number",
    "row_to_json",
    "rpad",
    "rtrim",
    "scale",
    "set_bit",
    "set_byte",
    "set_masklen",
    "setweight",
    "sign",
    "sin",
    "sind",
    "slope",
    "split_part",
    "sqrt",
    "statement_timestamp",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "string_agg",
    "string_to_array",
    "strip",
    "strpos",
    "substr",
    "substring",
    "sum",
    "tan",
    "tand",
    "text",
    "to_ascii",
    "to_char",
    "to_date",
    "to_hex",
    "to_json",
    "to_jsonb",
    "to_timestamp",
    "to_tsquery",
    "to_tsvector",
    "transaction_timestamp",
    "translate",
    "trunc",
    "ts_delete",
    "ts_filter",
    "ts_headline",
    "ts_rank",
    "tsvector_to_array",
    "unnest",
    "upper",
    "upper_inc",
    "upper_inf",
    "var_pop",
    "var_samp",
    "variance",
    "width",
    "width_bucket",
    "xmlagg",
    "xmlcomment",
    "xmlconcat",
    "xpath",
    "xpath_exists",
];

/// Not functions in PostgreSQL but expressions (conditional expressions and SQL value
/// functions), which CKAN's EXPLAIN never reports as functions.
const SQL_EXPRESSION_FUNCTIONS: &[&str] = &[
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
];

/// Functions allowed only on SQLite (SQLite's own names for common operations).
const SQLITE_EXTRA_FUNCTIONS: &[&str] = &[
    "ifnull",
    "instr",
    "printf",
    "strftime",
    "julianday",
    "date",
    "time",
    "datetime",
    "unixepoch",
    "total",
    "group_concat",
    "typeof",
    "iif",
    "json_extract",
    "json_array",
    "json_object",
    "json_type",
    "json_valid",
    "json_group_array",
    "json_group_object",
    "hex",
    "unicode",
    "char",
];

/// Functions of the allow-list that SQLite (core, JSON, window functions) has under the same
/// name and meaning; the rest are refused on SQLite with a 409.
const SQLITE_SHARED_FUNCTIONS: &[&str] = &[
    "abs",
    "avg",
    "count",
    "max",
    "min",
    "sum",
    "lower",
    "upper",
    "length",
    "replace",
    "round",
    "ltrim",
    "rtrim",
    "substr",
    "substring",
    "random",
    "sign",
    "concat",
    "concat_ws",
    "format",
    "string_agg",
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
    "json_array_length",
    "json_each",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "current_date",
    "current_time",
    "current_timestamp",
];

/// Set-returning functions allowed in `FROM` on PostgreSQL (all on CKAN's list, all computing
/// from their arguments only).
pub const TABLE_FUNCTIONS: &[&str] = &[
    "generate_series",
    "unnest",
    "json_each",
    "json_each_text",
    "json_array_elements",
    "json_array_elements_text",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "json_object_keys",
    "regexp_split_to_table",
    "regexp_matches",
];

/// Set-returning functions allowed in `FROM` on SQLite.
const SQLITE_TABLE_FUNCTIONS: &[&str] = &["json_each"];

/// Bare words PostgreSQL reads as calls to functions that tell about the server or session.
const SESSION_WORDS: &[&str] = &[
    "user",
    "current_user",
    "session_user",
    "current_role",
    "current_schema",
    "current_catalog",
    "system_user",
];

/// Types PostgreSQL has beyond sqlparser's own data types, harmless to cast to.
const CUSTOM_TYPES: &[&str] = &[
    "inet",
    "cidr",
    "macaddr",
    "macaddr8",
    "tsvector",
    "tsquery",
    "point",
    "line",
    "lseg",
    "box",
    "path",
    "polygon",
    "circle",
    "money",
    "xml",
    "citext",
    "int4range",
    "int8range",
    "numrange",
    "tsrange",
    "tstzrange",
    "daterange",
    "varbit",
    "float4",
    "float8",
    "int2",
    "int4",
    "int8",
    "serial",
    "bigserial",
    "timetz",
    "bool",
];

/// Check one `datastore_search_sql` statement and render the SQL to run.
///
/// `resolve` says how a table name as written resolves: the resource id of a DataStore table
/// (a resource id or an alias), or None. Names are passed as PostgreSQL reads them: unquoted
/// names folded to lower case, quoted names as they are.
pub fn check(
    sql: &str,
    dialect: Dialect,
    resolve: &mut dyn FnMut(&str) -> Option<String>,
) -> Result<CheckedSql, GuardError> {
    // Parsing, checking, rendering and dropping the syntax tree all recurse once per level of
    // it (sqlparser's `Display` and `Drop` included), with large frames in unoptimised builds:
    // they run on a thread with a stack of its own, asking this thread to resolve names.
    let failed =
        || GuardError::Invalid { statement: sql.to_owned(), orig: "query could not be checked".into() };
    std::thread::scope(|scope| {
        let (ask, asked) = std::sync::mpsc::channel::<String>();
        let (answer, answered) = std::sync::mpsc::channel::<Option<String>>();
        let worker = std::thread::Builder::new()
            .name("sql-guard".into())
            .stack_size(CHECK_STACK)
            .spawn_scoped(scope, move || {
                let mut proxy = move |name: &str| -> Option<String> {
                    ask.send(name.to_owned()).ok()?;
                    answered.recv().ok().flatten()
                };
                check_here(sql, dialect, &mut proxy)
            })
            .map_err(|_| failed())?;
        for name in asked {
            if answer.send(resolve(&name)).is_err() {
                break;
            }
        }
        worker.join().unwrap_or_else(|_| Err(failed()))
    })
}

/// Stack of the thread that checks a statement.
const CHECK_STACK: usize = 64 * 1024 * 1024;

fn check_here(
    sql: &str,
    dialect: Dialect,
    resolve: &mut dyn FnMut(&str) -> Option<String>,
) -> Result<CheckedSql, GuardError> {
    let invalid = |orig: String| GuardError::Invalid { statement: sql.to_owned(), orig };
    if sql.len() > MAX_SQL_LEN {
        return Err(invalid(format!("query is longer than {MAX_SQL_LEN} bytes")));
    }
    let pg = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&pg, sql).tokenize().map_err(|e| invalid(e.to_string()))?;
    let mut after_semicolon = false;
    let mut operators = 0usize;
    for token in &tokens {
        match token {
            Token::Whitespace(_) | Token::EOF => continue,
            Token::SemiColon => {
                after_semicolon = true;
                continue;
            }
            _ if after_semicolon => return Err(GuardError::NotSingleStatement),
            _ => {}
        }
        if is_operator_token(token) {
            operators += 1;
        }
    }
    if operators > MAX_OPERATORS {
        return Err(invalid(format!("query has more than {MAX_OPERATORS} operators")));
    }
    let mut statements = Parser::new(&pg)
        .with_recursion_limit(MAX_RECURSION)
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| invalid(e.to_string()))?;
    if statements.len() > 1 {
        return Err(GuardError::NotSingleStatement);
    }
    let Some(statement) = statements.pop() else {
        return Err(invalid("empty query".into()));
    };
    let Statement::Query(mut query) = statement else {
        return Err(invalid("only a SELECT statement may be run".into()));
    };
    let mut walker = Walker { dialect, resolve, tables: Vec::new(), ctes: Vec::new(), depth: 0, sql };
    walker.query(&mut query)?;
    let tables = walker.tables;
    Ok(CheckedSql { sql: query.to_string(), tables })
}

fn is_operator_token(token: &Token) -> bool {
    match token {
        Token::Word(w) => {
            use sqlparser::keywords::Keyword as K;
            matches!(
                w.keyword,
                K::AND
                    | K::OR
                    | K::NOT
                    | K::IS
                    | K::LIKE
                    | K::ILIKE
                    | K::SIMILAR
                    | K::BETWEEN
                    | K::IN
                    | K::COLLATE
                    | K::AT
                    | K::OVERLAPS
                    | K::XOR
            ) && w.quote_style.is_none()
        }
        Token::Number(..)
        | Token::Char(_)
        | Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::DollarQuotedString(_)
        | Token::NationalStringLiteral(_)
        | Token::EscapedStringLiteral(_)
        | Token::UnicodeStringLiteral(_)
        | Token::HexStringLiteral(_)
        | Token::SingleQuotedByteStringLiteral(_)
        | Token::Comma
        | Token::LParen
        | Token::RParen
        | Token::Period
        | Token::Placeholder(_) => false,
        _ => true,
    }
}

/// How PostgreSQL reads an identifier: unquoted names fold to lower case.
fn normal(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_ascii_lowercase(),
    }
}

fn is_system_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    lower.starts_with("pg_")
        || lower.starts_with("sqlite_")
        || lower.starts_with('_')
        || lower == "information_schema"
        || lower.contains("_table_metadata")
}

fn object_idents(name: &ObjectName) -> Option<Vec<&Ident>> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => Some(i),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

struct Walker<'a> {
    dialect: Dialect,
    resolve: &'a mut dyn FnMut(&str) -> Option<String>,
    tables: Vec<String>,
    /// CTE names in scope, innermost last.
    ctes: Vec<Vec<String>>,
    depth: usize,
    sql: &'a str,
}

impl Walker<'_> {
    fn refuse<T>(&self, reason: impl Into<String>) -> Result<T, GuardError> {
        Err(GuardError::Refused { statement: self.sql.to_owned(), reason: reason.into() })
    }

    fn invalid<T>(&self, orig: impl Into<String>) -> Result<T, GuardError> {
        Err(GuardError::Invalid { statement: self.sql.to_owned(), orig: orig.into() })
    }

    fn sqlite(&self) -> bool {
        self.dialect == Dialect::Sqlite
    }

    fn pg_only(&self, what: &str) -> Result<(), GuardError> {
        if self.sqlite() {
            return self.refuse(format!("{what} is not supported by this DataStore (SQLite)"));
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<(), GuardError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.invalid("query is nested too deeply");
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn query(&mut self, q: &mut Query) -> Result<(), GuardError> {
        self.enter()?;
        let pushed = q.with.is_some();
        let result = self.query_inner(q);
        if pushed {
            self.ctes.pop();
        }
        self.leave();
        result
    }

    fn query_inner(&mut self, q: &mut Query) -> Result<(), GuardError> {
        let Query {
            with,
            body,
            order_by,
            limit_clause,
            fetch,
            locks,
            for_clause,
            settings,
            format_clause,
            pipe_operators,
        } = q;
        if !locks.is_empty() {
            return self.refuse("FOR UPDATE/SHARE is not allowed");
        }
        if for_clause.is_some() || settings.is_some() || format_clause.is_some() || !pipe_operators.is_empty()
        {
            return self.invalid("unsupported query clause");
        }
        if let Some(with) = with {
            if with.recursive {
                let names = with.cte_tables.iter().map(|c| normal(&c.alias.name)).collect();
                self.ctes.push(names);
            } else {
                self.ctes.push(Vec::new());
            }
            for cte in &mut with.cte_tables {
                if cte.from.is_some() {
                    return self.invalid("unsupported CTE syntax");
                }
                self.table_alias(Some(&mut cte.alias))?;
                self.query(&mut cte.query)?;
                if !with.recursive
                    && let Some(scope) = self.ctes.last_mut()
                {
                    scope.push(normal(&cte.alias.name));
                }
            }
        }
        self.set_expr(body)?;
        if let Some(order_by) = order_by {
            if order_by.interpolate.is_some() {
                return self.invalid("unsupported ORDER BY");
            }
            match &mut order_by.kind {
                OrderByKind::Expressions(exprs) => {
                    for e in exprs {
                        self.order_by_expr(e)?;
                    }
                }
                OrderByKind::All(_) => return self.invalid("ORDER BY ALL is not supported"),
            }
        }
        if let Some(limit) = limit_clause {
            match limit {
                LimitClause::LimitOffset { limit, offset, limit_by } => {
                    if !limit_by.is_empty() {
                        return self.invalid("LIMIT BY is not supported");
                    }
                    if let Some(l) = limit {
                        self.expr(l)?;
                    }
                    if let Some(o) = offset {
                        self.expr(&mut o.value)?;
                    }
                }
                LimitClause::OffsetCommaLimit { .. } => {
                    return self.invalid("LIMIT <offset>, <limit> is not supported");
                }
            }
        }
        if let Some(fetch) = fetch {
            self.pg_only("FETCH FIRST")?;
            if let Some(q) = &mut fetch.quantity {
                self.expr(q)?;
            }
        }
        Ok(())
    }

    fn set_expr(&mut self, s: &mut SetExpr) -> Result<(), GuardError> {
        self.enter()?;
        let r = match s {
            SetExpr::Select(select) => self.select(select),
            SetExpr::Query(q) => self.query(q),
            SetExpr::SetOperation { left, op, right, .. } => {
                if *op == SetOperator::Minus {
                    return self.invalid("MINUS is not supported; use EXCEPT");
                }
                self.set_expr(left).and_then(|()| self.set_expr(right))
            }
            SetExpr::Values(values) => {
                let mut r = Ok(());
                for row in &mut values.rows {
                    for e in row.iter_mut() {
                        r = r.and_then(|()| self.expr(e));
                    }
                }
                r
            }
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => {
                self.invalid("only a SELECT statement may be run: the query writes")
            }
            SetExpr::Table(_) => self.refuse("TABLE <name> is not supported; use SELECT * FROM"),
        };
        self.leave();
        r
    }

    fn select(&mut self, s: &mut Select) -> Result<(), GuardError> {
        let Select {
            select_token: _,
            optimizer_hints,
            distinct,
            select_modifiers,
            top,
            top_before_distinct: _,
            projection,
            exclude,
            into,
            from,
            lateral_views,
            prewhere,
            selection,
            connect_by,
            group_by,
            cluster_by,
            distribute_by,
            sort_by,
            having,
            named_window,
            qualify,
            window_before_qualify: _,
            value_table_mode,
            flavor,
        } = s;
        if into.is_some() {
            return self.refuse("SELECT ... INTO is not allowed");
        }
        if !optimizer_hints.is_empty()
            || select_modifiers.is_some()
            || top.is_some()
            || exclude.is_some()
            || !lateral_views.is_empty()
            || prewhere.is_some()
            || !connect_by.is_empty()
            || !cluster_by.is_empty()
            || !distribute_by.is_empty()
            || !sort_by.is_empty()
            || qualify.is_some()
            || value_table_mode.is_some()
            || *flavor != SelectFlavor::Standard
        {
            return self.invalid("unsupported SELECT syntax");
        }
        // FROM first: it is where the table names are, and so the first refusal a user sees.
        for t in from.iter_mut() {
            self.table_with_joins(t)?;
        }
        if let Some(Distinct::On(exprs)) = distinct {
            self.pg_only("DISTINCT ON")?;
            for e in exprs {
                self.expr(e)?;
            }
        }
        for item in projection.iter_mut() {
            match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => self.expr(e)?,
                SelectItem::Wildcard(opts) => self.wildcard_options(opts)?,
                SelectItem::QualifiedWildcard(kind, opts) => {
                    self.wildcard_options(opts)?;
                    match kind {
                        SelectItemQualifiedWildcardKind::ObjectName(_) => {}
                        SelectItemQualifiedWildcardKind::Expr(e) => self.expr(e)?,
                    }
                }
                SelectItem::ExprWithAliases { .. } => return self.invalid("unsupported alias"),
            }
        }
        if let Some(e) = selection {
            self.expr(e)?;
        }
        match group_by {
            GroupByExpr::Expressions(exprs, modifiers) => {
                if !modifiers.is_empty() {
                    return self.invalid("unsupported GROUP BY modifier");
                }
                for e in exprs {
                    self.expr(e)?;
                }
            }
            GroupByExpr::All(_) => return self.invalid("GROUP BY ALL is not supported"),
        }
        if let Some(e) = having {
            self.expr(e)?;
        }
        for w in named_window.iter_mut() {
            match &mut w.1 {
                NamedWindowExpr::NamedWindow(_) => {}
                NamedWindowExpr::WindowSpec(spec) => self.window_spec(spec)?,
            }
        }
        Ok(())
    }

    fn wildcard_options(&self, o: &WildcardAdditionalOptions) -> Result<(), GuardError> {
        if o.opt_ilike.is_some()
            || o.opt_exclude.is_some()
            || o.opt_except.is_some()
            || o.opt_replace.is_some()
            || o.opt_rename.is_some()
            || o.opt_alias.is_some()
        {
            return self.invalid("unsupported wildcard options");
        }
        Ok(())
    }

    fn table_with_joins(&mut self, t: &mut TableWithJoins) -> Result<(), GuardError> {
        self.enter()?;
        let r = self.table_with_joins_inner(t);
        self.leave();
        r
    }

    fn table_with_joins_inner(&mut self, t: &mut TableWithJoins) -> Result<(), GuardError> {
        self.table_factor(&mut t.relation)?;
        for join in &mut t.joins {
            self.join(join)?;
        }
        Ok(())
    }

    fn join(&mut self, join: &mut Join) -> Result<(), GuardError> {
        if join.global {
            return self.invalid("unsupported join");
        }
        self.table_factor(&mut join.relation)?;
        let constraint = match &mut join.join_operator {
            JoinOperator::Join(c)
            | JoinOperator::Inner(c)
            | JoinOperator::Left(c)
            | JoinOperator::LeftOuter(c)
            | JoinOperator::Right(c)
            | JoinOperator::RightOuter(c)
            | JoinOperator::FullOuter(c)
            | JoinOperator::CrossJoin(c) => c,
            _ => return self.invalid("unsupported join"),
        };
        match constraint {
            JoinConstraint::On(e) => self.expr(e),
            JoinConstraint::Using(names) => {
                if names.iter().any(|n| n.0.len() != 1) {
                    return self.invalid("unsupported USING");
                }
                Ok(())
            }
            JoinConstraint::Natural | JoinConstraint::None => Ok(()),
            JoinConstraint::UsingAlias(..) => self.invalid("unsupported USING"),
        }
    }

    fn table_alias(&mut self, alias: Option<&mut TableAlias>) -> Result<(), GuardError> {
        let Some(alias) = alias else { return Ok(()) };
        if alias.at.is_some() {
            return self.invalid("unsupported alias");
        }
        for col in &mut alias.columns {
            if let Some(t) = &mut col.data_type {
                self.pg_only("a column definition list")?;
                self.data_type(t)?;
            }
        }
        Ok(())
    }

    fn in_cte_scope(&self, name: &str) -> bool {
        self.ctes.iter().any(|scope| scope.iter().any(|n| n == name))
    }

    fn table_factor(&mut self, t: &mut TableFactor) -> Result<(), GuardError> {
        self.enter()?;
        let r = self.table_factor_inner(t);
        self.leave();
        r
    }

    fn table_factor_inner(&mut self, t: &mut TableFactor) -> Result<(), GuardError> {
        match t {
            TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                with_ordinality,
                partitions,
                json_path,
                sample,
                index_directives,
                inheritance,
            } => {
                if !with_hints.is_empty()
                    || version.is_some()
                    || !partitions.is_empty()
                    || json_path.is_some()
                    || sample.is_some()
                    || !index_directives.is_empty()
                    || inheritance.is_some()
                {
                    return self.invalid("unsupported table reference");
                }
                if let Some(args) = args {
                    if args.settings.is_some() {
                        return self.invalid("unsupported table function");
                    }
                    self.table_function(name, &mut args.args, *with_ordinality)?;
                    return self.table_alias(alias.as_mut());
                }
                self.table_alias(alias.as_mut())?;
                if *with_ordinality {
                    return self.invalid("WITH ORDINALITY needs a function");
                }
                self.table_name(name, alias)
            }
            TableFactor::Derived { lateral, subquery, alias, sample } => {
                if sample.is_some() {
                    return self.invalid("unsupported table sample");
                }
                if *lateral {
                    self.pg_only("LATERAL")?;
                }
                self.table_alias(alias.as_mut())?;
                self.query(subquery)
            }
            TableFactor::Function { lateral, name, args, with_ordinality, alias } => {
                if *lateral {
                    self.pg_only("LATERAL")?;
                }
                self.table_function(name, args, *with_ordinality)?;
                self.table_alias(alias.as_mut())
            }
            TableFactor::UNNEST {
                alias,
                array_exprs,
                with_offset,
                with_offset_alias,
                with_ordinality: _,
            } => {
                self.pg_only("UNNEST")?;
                if *with_offset || with_offset_alias.is_some() {
                    return self.invalid("unsupported UNNEST");
                }
                self.table_alias(alias.as_mut())?;
                for e in array_exprs {
                    self.expr(e)?;
                }
                Ok(())
            }
            TableFactor::NestedJoin { table_with_joins, alias } => {
                self.table_alias(alias.as_mut())?;
                self.table_with_joins(table_with_joins)
            }
            _ => self.invalid("unsupported table reference"),
        }
    }

    /// A plain table name: a CTE in scope, or a DataStore table rewritten to its physical name.
    fn table_name(
        &mut self,
        name: &mut ObjectName,
        alias: &mut Option<TableAlias>,
    ) -> Result<(), GuardError> {
        let Some(idents) = object_idents(name) else {
            return self.invalid("unsupported table name");
        };
        let parts: Vec<String> = idents.iter().map(|i| normal(i)).collect();
        if parts.iter().any(|p| is_system_name(p)) {
            return Err(GuardError::SystemTables);
        }
        let written = parts.join(".");
        let Some(last_ident) = idents.last().map(|i| (*i).clone()) else {
            return self.invalid("unsupported table name");
        };
        let statement = self.sql.to_owned();
        let unknown = || GuardError::UnknownTable { statement: statement.clone(), name: written.clone() };
        let table = match parts.as_slice() {
            [t] if self.in_cte_scope(t) => return Ok(()),
            [t] => t,
            [schema, t] if schema == "datastore" || schema == "public" => t,
            _ => return Err(unknown()),
        };
        let Some(id) = (self.resolve)(table) else {
            return Err(unknown());
        };
        if !self.tables.contains(&id) {
            self.tables.push(id.clone());
        }
        let physical = Ident::with_quote('"', id);
        *name = match self.dialect {
            Dialect::Postgres => ObjectName::from(vec![Ident::new("datastore"), physical]),
            Dialect::Sqlite => ObjectName::from(vec![physical]),
        };
        if alias.is_none() {
            *alias = Some(TableAlias { explicit: true, name: last_ident, columns: Vec::new(), at: None });
        }
        Ok(())
    }

    fn table_function(
        &mut self,
        name: &mut ObjectName,
        args: &mut [FunctionArg],
        with_ordinality: bool,
    ) -> Result<(), GuardError> {
        let bare = self.function_name(name)?;
        if !TABLE_FUNCTIONS.contains(&bare.as_str()) {
            if self.function_allowed(&bare) {
                return self.refuse(format!("function {bare} may not be used in FROM"));
            }
            return Err(GuardError::Function(written_name(name)));
        }
        for a in args {
            self.function_arg(a)?;
        }
        if self.sqlite() && !SQLITE_TABLE_FUNCTIONS.contains(&bare.as_str()) {
            return self.refuse(format!("function {bare} is not supported by this DataStore (SQLite)"));
        }
        if with_ordinality {
            self.pg_only("WITH ORDINALITY")?;
        }
        Ok(())
    }

    fn function_allowed(&self, bare: &str) -> bool {
        CKAN_ALLOWED_FUNCTIONS.contains(&bare)
            || SQL_EXPRESSION_FUNCTIONS.contains(&bare)
            || (self.sqlite() && SQLITE_EXTRA_FUNCTIONS.contains(&bare))
    }

    /// The function's name as PostgreSQL reads it, when it may be called: unqualified or
    /// qualified by `pg_catalog` (which is dropped on SQLite).
    fn function_name(&self, name: &mut ObjectName) -> Result<String, GuardError> {
        let denied = || GuardError::Function(written_name(name));
        let Some(idents) = object_idents(name) else {
            return Err(denied());
        };
        let parts: Vec<String> = idents.iter().map(|i| normal(i)).collect();
        let bare = match parts.as_slice() {
            [f] => f.clone(),
            [schema, f] if schema == "pg_catalog" => f.clone(),
            _ => return Err(denied()),
        };
        if parts.len() == 2 && self.sqlite() {
            let last = idents.last().map(|i| (*i).clone());
            if let Some(last) = last {
                *name = ObjectName::from(vec![last]);
            }
        }
        Ok(bare)
    }

    fn function(&mut self, f: &mut Function) -> Result<(), GuardError> {
        let Function { name, uses_odbc_syntax, parameters, args, within_group, filter, null_treatment, over } =
            f;
        let bare = self.function_name(name)?;
        if !self.function_allowed(&bare) {
            return Err(GuardError::Function(written_name(name)));
        }
        if *uses_odbc_syntax || !matches!(parameters, FunctionArguments::None) || null_treatment.is_some() {
            return self.invalid("unsupported function call syntax");
        }
        match args {
            FunctionArguments::None => {}
            FunctionArguments::Subquery(q) => self.query(q)?,
            FunctionArguments::List(list) => {
                for a in &mut list.args {
                    self.function_arg(a)?;
                }
                for clause in &mut list.clauses {
                    match clause {
                        FunctionArgumentClause::OrderBy(exprs) => {
                            for e in exprs {
                                self.order_by_expr(e)?;
                            }
                        }
                        _ => return self.invalid("unsupported function argument clause"),
                    }
                }
            }
        }
        if !within_group.is_empty() {
            self.pg_only("WITHIN GROUP")?;
            for e in within_group {
                self.order_by_expr(e)?;
            }
        }
        if let Some(filter) = filter {
            self.expr(filter)?;
        }
        match over {
            None | Some(WindowType::NamedWindow(_)) => {}
            Some(WindowType::WindowSpec(spec)) => self.window_spec(spec)?,
        }
        if self.sqlite() {
            if !SQLITE_SHARED_FUNCTIONS.contains(&bare.as_str())
                && !SQLITE_EXTRA_FUNCTIONS.contains(&bare.as_str())
            {
                return self.refuse(format!("function {bare} is not supported by this DataStore (SQLite)"));
            }
            if bare == "greatest" || bare == "least" {
                let n = match args {
                    FunctionArguments::List(l) => l.args.len(),
                    _ => 0,
                };
                if n < 2 {
                    return self.refuse(format!("{bare} needs two arguments or more"));
                }
                let renamed = if bare == "greatest" { "max" } else { "min" };
                *name = ObjectName::from(vec![Ident::new(renamed)]);
            }
        }
        Ok(())
    }

    fn function_arg(&mut self, a: &mut FunctionArg) -> Result<(), GuardError> {
        let arg = match a {
            FunctionArg::Unnamed(arg) => arg,
            FunctionArg::Named { arg, operator, .. } => {
                self.pg_only("a named argument")?;
                if !matches!(operator, FunctionArgOperator::RightArrow | FunctionArgOperator::Assignment) {
                    return self.invalid("unsupported named argument");
                }
                arg
            }
            FunctionArg::ExprNamed { .. } => return self.invalid("unsupported named argument"),
        };
        match arg {
            FunctionArgExpr::Expr(e) => self.expr(e),
            FunctionArgExpr::QualifiedWildcard(_) | FunctionArgExpr::Wildcard => Ok(()),
            FunctionArgExpr::WildcardWithOptions(_) => self.invalid("unsupported wildcard"),
        }
    }

    fn window_spec(&mut self, spec: &mut WindowSpec) -> Result<(), GuardError> {
        for e in &mut spec.partition_by {
            self.expr(e)?;
        }
        for e in &mut spec.order_by {
            self.order_by_expr(e)?;
        }
        if let Some(frame) = &mut spec.window_frame {
            let bounds = std::iter::once(&mut frame.start_bound).chain(frame.end_bound.as_mut());
            for b in bounds {
                match b {
                    WindowFrameBound::CurrentRow
                    | WindowFrameBound::Preceding(None)
                    | WindowFrameBound::Following(None) => {}
                    WindowFrameBound::Preceding(Some(e)) | WindowFrameBound::Following(Some(e)) => {
                        self.expr(e)?
                    }
                }
            }
        }
        Ok(())
    }

    fn order_by_expr(&mut self, e: &mut OrderByExpr) -> Result<(), GuardError> {
        if e.with_fill.is_some() {
            return self.invalid("unsupported ORDER BY");
        }
        self.expr(&mut e.expr)
    }

    /// Casts: ordinary data types only; the `reg*` and object-id types reach the catalogues.
    fn data_type(&mut self, t: &mut DataType) -> Result<(), GuardError> {
        use DataType as D;
        match t {
            D::Regclass => Err(GuardError::SystemTables),
            D::Custom(name, _) => {
                let Some(idents) = object_idents(name) else {
                    return self.invalid("unsupported type");
                };
                let parts: Vec<String> = idents.iter().map(|i| normal(i)).collect();
                match parts.as_slice() {
                    [t] if CUSTOM_TYPES.contains(&t.as_str()) => self.pg_only(&format!("type {t}")),
                    [t] if t.starts_with("reg")
                        || is_system_name(t)
                        || matches!(
                            t.as_str(),
                            "oid" | "xid" | "xid8" | "cid" | "tid" | "aclitem" | "name"
                        ) =>
                    {
                        Err(GuardError::SystemTables)
                    }
                    [t] => self.refuse(format!("type {t} is not supported")),
                    _ => Err(GuardError::SystemTables),
                }
            }
            D::Array(def) => {
                self.pg_only("an array type")?;
                use sqlparser::ast::ArrayElemTypeDef as A;
                match def {
                    A::SquareBracket(inner, _) => self.data_type(inner),
                    _ => self.invalid("unsupported array type"),
                }
            }
            D::Character(_)
            | D::Char(_)
            | D::CharacterVarying(_)
            | D::CharVarying(_)
            | D::Varchar(_)
            | D::Text
            | D::Numeric(_)
            | D::Decimal(_)
            | D::Dec(_)
            | D::Float(_)
            | D::Real
            | D::Float4
            | D::Float8
            | D::Double(_)
            | D::DoublePrecision
            | D::SmallInt(_)
            | D::Int2(_)
            | D::Int(_)
            | D::Int4(_)
            | D::Integer(_)
            | D::BigInt(_)
            | D::Int8(_)
            | D::Date => Ok(()),
            D::Uuid
            | D::Bytea
            | D::Bool
            | D::Boolean
            | D::Time(..)
            | D::Timestamp(..)
            | D::Interval { .. }
            | D::JSON
            | D::JSONB
            | D::Bit(_)
            | D::BitVarying(_)
            | D::VarBit(_)
            | D::TsVector
            | D::TsQuery
            | D::GeometricType(_) => self.pg_only(&format!("type {t}")),
            _ => self.refuse(format!("type {t} is not supported")),
        }
    }

    /// The SQLite rendering of a cast, or None to keep `CAST(x AS <type>)`.
    fn sqlite_cast(t: &DataType) -> Option<SqliteCast> {
        use DataType as D;
        Some(match t {
            D::SmallInt(_)
            | D::Int2(_)
            | D::Int(_)
            | D::Int4(_)
            | D::Integer(_)
            | D::BigInt(_)
            | D::Int8(_) => SqliteCast::To(DataType::Integer(None)),
            D::Character(_)
            | D::Char(_)
            | D::CharacterVarying(_)
            | D::CharVarying(_)
            | D::Varchar(_)
            | D::Text => SqliteCast::To(DataType::Text),
            D::Numeric(_) | D::Decimal(_) | D::Dec(_) => {
                SqliteCast::To(DataType::Numeric(sqlparser::ast::ExactNumberInfo::None))
            }
            D::Float(_) | D::Real | D::Float4 | D::Float8 | D::Double(_) | D::DoublePrecision => {
                SqliteCast::To(DataType::Real)
            }
            D::Date => SqliteCast::Date,
            _ => return None,
        })
    }

    fn binary_operator(&self, op: &BinaryOperator) -> Result<(), GuardError> {
        use BinaryOperator as B;
        let common = matches!(
            op,
            B::Plus
                | B::Minus
                | B::Multiply
                | B::Divide
                | B::Modulo
                | B::StringConcat
                | B::Gt
                | B::Lt
                | B::GtEq
                | B::LtEq
                | B::Eq
                | B::NotEq
                | B::And
                | B::Or
                | B::BitwiseOr
                | B::BitwiseAnd
                | B::PGBitwiseShiftLeft
                | B::PGBitwiseShiftRight
                | B::Arrow
                | B::LongArrow
        );
        let pg = matches!(
            op,
            B::PGBitwiseXor
                | B::PGExp
                | B::PGOverlap
                | B::PGRegexMatch
                | B::PGRegexIMatch
                | B::PGRegexNotMatch
                | B::PGRegexNotIMatch
                | B::PGLikeMatch
                | B::PGILikeMatch
                | B::PGNotLikeMatch
                | B::PGNotILikeMatch
                | B::PGStartsWith
                | B::HashArrow
                | B::HashLongArrow
                | B::AtAt
                | B::AtArrow
                | B::ArrowAt
                | B::HashMinus
                | B::AtQuestion
                | B::Question
                | B::QuestionAnd
                | B::QuestionPipe
                | B::Overlaps
        );
        if common {
            return Ok(());
        }
        if pg {
            return self.pg_only(&format!("operator {op}"));
        }
        self.refuse(format!("operator {op} is not supported"))
    }

    fn expr(&mut self, e: &mut Expr) -> Result<(), GuardError> {
        self.enter()?;
        let r = self.expr_chain(e);
        self.leave();
        r
    }

    /// Chains of binary operators (`a + b + c`, `x OR y OR z`) nest to the left as deep as
    /// they are long; they are walked in a loop, not by recursion.
    fn expr_chain(&mut self, e: &mut Expr) -> Result<(), GuardError> {
        let mut current = e;
        while let Expr::BinaryOp { left, op, right } = current {
            self.binary_operator(op)?;
            self.expr(right)?;
            current = left;
        }
        self.expr_inner(current)
    }

    fn expr_inner(&mut self, e: &mut Expr) -> Result<(), GuardError> {
        let sqlite = self.sqlite();
        match e {
            Expr::Identifier(ident) => {
                if ident.quote_style.is_none()
                    && SESSION_WORDS.contains(&ident.value.to_ascii_lowercase().as_str())
                {
                    return Err(GuardError::Function(ident.value.to_ascii_lowercase()));
                }
                Ok(())
            }
            Expr::CompoundIdentifier(_) => Ok(()),
            Expr::QualifiedWildcard(..) => Ok(()),
            Expr::CompoundFieldAccess { root, access_chain } => {
                self.pg_only("field access and subscripts")?;
                self.expr(root)?;
                for a in access_chain {
                    use sqlparser::ast::{AccessExpr, Subscript};
                    match a {
                        AccessExpr::Dot(e) => self.expr(e)?,
                        AccessExpr::Subscript(Subscript::Index { index }) => self.expr(index)?,
                        AccessExpr::Subscript(Subscript::Slice { lower_bound, upper_bound, stride }) => {
                            if stride.is_some() {
                                return self.invalid("unsupported slice");
                            }
                            for b in [lower_bound, upper_bound].into_iter().flatten() {
                                self.expr(b)?;
                            }
                        }
                    }
                }
                Ok(())
            }
            Expr::IsFalse(x)
            | Expr::IsNotFalse(x)
            | Expr::IsTrue(x)
            | Expr::IsNotTrue(x)
            | Expr::IsNull(x)
            | Expr::IsNotNull(x)
            | Expr::Nested(x) => self.expr(x),
            Expr::IsUnknown(x) | Expr::IsNotUnknown(x) => {
                self.pg_only("IS UNKNOWN")?;
                self.expr(x)
            }
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                self.expr(a)?;
                self.expr(b)
            }
            Expr::In { expr, target, negated: _, global } => {
                if *global {
                    return self.invalid("unsupported IN");
                }
                self.expr(expr)?;
                match target {
                    InTarget::List(list) => {
                        for x in list {
                            self.expr(x)?;
                        }
                        Ok(())
                    }
                    InTarget::Subquery(q) => self.query(q),
                    InTarget::Unnest(x) => {
                        self.pg_only("IN UNNEST")?;
                        self.expr(x)
                    }
                    InTarget::Table { .. } => self.invalid("unsupported IN"),
                }
            }
            Expr::Between { expr, low, high, .. } => {
                self.expr(expr)?;
                self.expr(low)?;
                self.expr(high)
            }
            Expr::BinaryOp { .. } => self.expr_chain(e),
            Expr::Like { any, expr, pattern, escape_char, .. }
            | Expr::ILike { any, expr, pattern, escape_char, .. } => {
                if *any {
                    self.pg_only("LIKE ANY")?;
                }
                self.expr(expr)?;
                self.expr(pattern)?;
                if let Some(esc) = escape_char {
                    self.expr(esc)?;
                }
                if sqlite && let Expr::ILike { .. } = e {
                    // SQLite's LIKE ignores case (for ASCII letters) already.
                    let old = std::mem::replace(e, Expr::value(Value::Null));
                    if let Expr::ILike { negated, any, expr, pattern, escape_char } = old {
                        *e = Expr::Like { negated, any, expr, pattern, escape_char };
                    }
                }
                Ok(())
            }
            Expr::SimilarTo { expr, pattern, escape_char, .. } => {
                self.pg_only("SIMILAR TO")?;
                self.expr(expr)?;
                self.expr(pattern)?;
                if let Some(esc) = escape_char {
                    self.expr(esc)?;
                }
                Ok(())
            }
            Expr::AnyOp { left, compare_op, right, .. } | Expr::AllOp { left, compare_op, right } => {
                self.pg_only("ANY/ALL")?;
                self.binary_operator(compare_op)?;
                self.expr(left)?;
                self.expr(right)
            }
            Expr::UnaryOp { op, expr } => {
                use UnaryOperator as U;
                match op {
                    U::Plus | U::Minus | U::Not | U::BitwiseNot => {}
                    U::PGAbs
                    | U::PGSquareRoot
                    | U::PGCubeRoot
                    | U::PGPrefixFactorial
                    | U::PGPostfixFactorial => self.pg_only(&format!("operator {op}"))?,
                    _ => return self.refuse(format!("operator {op} is not supported")),
                }
                self.expr(expr)
            }
            Expr::Cast { kind, expr, data_type, format } => {
                if !matches!(kind, CastKind::Cast | CastKind::DoubleColon) || format.is_some() {
                    return self.invalid("unsupported cast");
                }
                self.data_type(data_type)?;
                self.expr(expr)?;
                if sqlite {
                    match Self::sqlite_cast(data_type) {
                        Some(SqliteCast::To(t)) => {
                            *kind = CastKind::Cast;
                            *data_type = t;
                        }
                        Some(SqliteCast::Date) => {
                            let arg = std::mem::replace(expr.as_mut(), Expr::value(Value::Null));
                            *e = call("date", vec![arg]);
                        }
                        None => {
                            return self.refuse(format!(
                                "a cast to {data_type} is not supported by this DataStore (SQLite)"
                            ));
                        }
                    }
                }
                Ok(())
            }
            Expr::AtTimeZone { timestamp, time_zone } => {
                self.pg_only("AT TIME ZONE")?;
                self.expr(timestamp)?;
                self.expr(time_zone)
            }
            Expr::Extract { expr, .. } => {
                self.pg_only("EXTRACT")?;
                self.expr(expr)
            }
            Expr::Ceil { expr, field } | Expr::Floor { expr, field } => {
                self.pg_only("ceil/floor")?;
                match field {
                    CeilFloorKind::DateTimeField(DateTimeField::NoDateTime) => {}
                    CeilFloorKind::Scale(_) | CeilFloorKind::DateTimeField(_) => {
                        return self.invalid("unsupported ceil/floor");
                    }
                }
                self.expr(expr)
            }
            Expr::Position { expr, r#in } => {
                self.expr(expr)?;
                self.expr(r#in)?;
                if sqlite {
                    let needle = std::mem::replace(expr.as_mut(), Expr::value(Value::Null));
                    let hay = std::mem::replace(r#in.as_mut(), Expr::value(Value::Null));
                    *e = call("instr", vec![hay, needle]);
                }
                Ok(())
            }
            Expr::Substring { expr, substring_from, substring_for, special, shorthand } => {
                if *shorthand {
                    return self.invalid("unsupported SUBSTRING");
                }
                if !*special {
                    // substring(x FROM a FOR b) is PostgreSQL's; substring(x, a, b) is both.
                } else {
                    self.pg_only("SUBSTRING ... FROM ... FOR")?;
                }
                self.expr(expr)?;
                for x in [substring_from, substring_for].into_iter().flatten() {
                    self.expr(x)?;
                }
                Ok(())
            }
            Expr::Trim { trim_where, trim_what, expr, trim_characters } => {
                if trim_characters.is_some() {
                    return self.invalid("unsupported TRIM");
                }
                if trim_where.is_some() || trim_what.is_some() {
                    self.pg_only("TRIM(... FROM ...)")?;
                }
                self.expr(expr)?;
                if let Some(w) = trim_what {
                    self.expr(w)?;
                }
                Ok(())
            }
            Expr::Overlay { expr, overlay_what, overlay_from, overlay_for } => {
                self.pg_only("OVERLAY")?;
                self.expr(expr)?;
                self.expr(overlay_what)?;
                self.expr(overlay_from)?;
                if let Some(x) = overlay_for {
                    self.expr(x)?;
                }
                Ok(())
            }
            Expr::Collate { expr, collation } => {
                self.pg_only("COLLATE")?;
                if object_idents(collation).is_none_or(|i| i.len() != 1) {
                    return self.invalid("unsupported collation");
                }
                self.expr(expr)
            }
            Expr::Value(v) => {
                let value = &mut v.value;
                let text = match value {
                    Value::Number(..) | Value::Boolean(_) | Value::Null => return Ok(()),
                    Value::SingleQuotedString(s)
                    | Value::EscapedStringLiteral(s)
                    | Value::UnicodeStringLiteral(s)
                    | Value::NationalStringLiteral(s) => std::mem::take(s),
                    Value::DollarQuotedString(d) => std::mem::take(&mut d.value),
                    Value::HexStringLiteral(_) | Value::SingleQuotedByteStringLiteral(_) => {
                        return self.pg_only("a bit string");
                    }
                    Value::Placeholder(_) => {
                        return self.refuse("query parameters are not supported");
                    }
                    _ => return self.invalid("unsupported literal"),
                };
                // One spelling for every string: '...' (E'...' when there are backslashes on
                // PostgreSQL, whatever standard_conforming_strings says).
                *value = if !sqlite && text.contains('\\') {
                    Value::EscapedStringLiteral(text)
                } else {
                    Value::SingleQuotedString(text)
                };
                Ok(())
            }
            Expr::TypedString(ts) => {
                self.data_type(&mut ts.data_type)?;
                self.pg_only("a typed literal")?;
                if ts.uses_odbc_syntax {
                    return self.invalid("unsupported literal");
                }
                let value = &mut ts.value.value;
                let text = match value {
                    Value::SingleQuotedString(s)
                    | Value::EscapedStringLiteral(s)
                    | Value::UnicodeStringLiteral(s)
                    | Value::NationalStringLiteral(s) => std::mem::take(s),
                    Value::DollarQuotedString(d) => std::mem::take(&mut d.value),
                    _ => return self.invalid("unsupported literal"),
                };
                *value = if text.contains('\\') {
                    Value::EscapedStringLiteral(text)
                } else {
                    Value::SingleQuotedString(text)
                };
                Ok(())
            }
            Expr::Function(f) => self.function(f),
            Expr::Case { operand, conditions, else_result, .. } => {
                if let Some(o) = operand {
                    self.expr(o)?;
                }
                for c in conditions {
                    self.expr(&mut c.condition)?;
                    self.expr(&mut c.result)?;
                }
                if let Some(x) = else_result {
                    self.expr(x)?;
                }
                Ok(())
            }
            Expr::Exists { subquery, .. } | Expr::Subquery(subquery) => self.query(subquery),
            Expr::GroupingSets(sets) | Expr::Cube(sets) | Expr::Rollup(sets) => {
                self.pg_only("GROUPING SETS/CUBE/ROLLUP")?;
                for set in sets {
                    for x in set {
                        self.expr(x)?;
                    }
                }
                Ok(())
            }
            Expr::Tuple(items) => {
                for x in items {
                    self.expr(x)?;
                }
                Ok(())
            }
            Expr::Array(array) => {
                self.pg_only("ARRAY")?;
                for x in &mut array.elem {
                    self.expr(x)?;
                }
                Ok(())
            }
            Expr::Interval(interval) => {
                self.pg_only("INTERVAL")?;
                self.expr(&mut interval.value)
            }
            _ => self.invalid("unsupported expression"),
        }
    }
}

enum SqliteCast {
    To(DataType),
    Date,
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    use sqlparser::ast::FunctionArgumentList;
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args.into_iter().map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a))).collect(),
            clauses: Vec::new(),
        }),
        within_group: Vec::new(),
        filter: None,
        null_treatment: None,
        over: None,
    })
}

/// A function name as CKAN words it in its refusal: as written, unquoted names in lower case.
fn written_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => normal(i),
            ObjectNamePart::Function(f) => f.name.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn system_names() {
        for n in ["pg_user", "PG_USER", "sqlite_master", "_table_metadata", "information_schema"] {
            assert!(is_system_name(n), "{n}");
        }
        for n in ["user", "package", "52fd841c-d3d1-4077-a8e0-eac2016f89d2", "xpg_user"] {
            assert!(!is_system_name(n), "{n}");
        }
    }

    #[test]
    fn folding() {
        assert_eq!(normal(&Ident::new("AbC")), "abc");
        assert_eq!(normal(&Ident::with_quote('"', "AbC")), "AbC");
    }

    #[test]
    fn allow_list_has_no_dangerous_names() {
        for f in CKAN_ALLOWED_FUNCTIONS.iter().chain(SQLITE_EXTRA_FUNCTIONS) {
            assert!(!is_system_name(f), "{f}");
            for bad in ["sleep", "file", "lo_", "dblink", "setting", "set_config", "extension", "blob"] {
                assert!(!f.contains(bad), "{f}");
            }
        }
        for f in TABLE_FUNCTIONS.iter().chain(SQLITE_TABLE_FUNCTIONS) {
            assert!(CKAN_ALLOWED_FUNCTIONS.contains(f), "{f}");
        }
    }

    #[test]
    fn statuses_and_fields() {
        let e = check("SELECT pg_sleep(1)", Dialect::Postgres, &mut none).unwrap_err();
        assert_eq!(e.status(), 403);
        assert_eq!(
            Json::Object(e.fields()),
            json!({"message": "Access denied: Not authorized to call function pg_sleep"})
        );
        let e = check("SELECT 1; SELECT 2", Dialect::Sqlite, &mut none).unwrap_err();
        assert_eq!(e.status(), 409);
        assert_eq!(Json::Object(e.fields()), json!({"query": ["Query is not a single statement."]}));
        let e = check("SELECT * FROM t", Dialect::Postgres, &mut none).unwrap_err();
        assert_eq!(e, GuardError::UnknownTable { statement: "SELECT * FROM t".into(), name: "t".into() });
    }

    #[test]
    fn resolve_sees_names_as_postgresql_reads_them() {
        let mut seen = Vec::new();
        let mut r = |n: &str| {
            seen.push(n.to_owned());
            Some("id".to_owned())
        };
        let c = check(r#"SELECT * FROM Abc, "Abc", public.X"#, Dialect::Sqlite, &mut r).unwrap();
        assert_eq!(seen, ["abc", "Abc", "x"]);
        assert_eq!(c.tables, ["id"]);
        assert_eq!(c.sql, r#"SELECT * FROM "id" AS Abc, "id" AS "Abc", "id" AS X"#);
    }
}
