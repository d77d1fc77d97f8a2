//! `datastore_search`: filters, full-text queries, field lists, sorting, paging, totals.

use std::borrow::Cow;
use std::io::Write;

use serde_json::{Map, Value};

use crate::Datastore;
use crate::db::{PgConn, Pool, pg_get};
use crate::dialect::{Params, fts_table, ident, pg_refs, table};
use crate::error::{DatastoreError, DatastoreResult};
use crate::filters;
use crate::fulltext::vector_expr;
use crate::guard::Dialect;
use crate::meta::TableMeta;
use crate::types::{ColType, Kind, RecordsFormat, Search, SearchResult, field_json, number_value};

/// What an output column holds.
#[derive(Debug, Clone)]
pub(crate) enum OutKind {
    Col(ColType),
    Rank,
}

#[derive(Debug, Clone)]
pub(crate) struct OutCol {
    pub id: String,
    pub kind: OutKind,
    pub info: Option<Value>,
}

impl OutCol {
    pub(crate) fn field_json(&self) -> Value {
        match &self.kind {
            OutKind::Rank => field_json(&self.id, "float", None),
            OutKind::Col(_) if self.id == "_id" => field_json("_id", "int", None),
            OutKind::Col(t) => field_json(&self.id, &t.name(), self.info.as_ref()),
        }
    }
}

/// A search made into SQL.
pub(crate) struct Query {
    pub sql: String,
    /// The same rows with every cell as text (PostgreSQL), for CSV and TSV.
    pub text_sql: String,
    /// The same rows as PostgreSQL's `COPY` writes them: columns in their own text form, but
    /// timestamps with a space where CSV cells have a `T` (see [`TimestampT`]).
    pub copy_sql: String,
    pub count_sql: String,
    pub params: Params,
    pub cols: Vec<OutCol>,
    /// The filters as CKAN 2.12 answers them in `filterops`.
    pub filterops: Option<Value>,
    /// The query of the page's last `_id`, and the operator of the next page's filter, when
    /// `include_next_page` asks for it and the rows are in `_id` order.
    pub next: Option<(String, &'static str)>,
}

fn invalid(key: &str, value: &str) -> DatastoreError {
    DatastoreError::validation(key, format!("invalid value \"{value}\""))
}

/// Words of a full-text query as an FTS5 MATCH expression.
fn fts5_query(q: &str, plain: bool) -> String {
    let mut parts = Vec::new();
    for raw in q.split(|c: char| c.is_whitespace() || (plain && !c.is_alphanumeric()) || c == '&') {
        if raw.is_empty() {
            continue;
        }
        if !plain && raw == "|" {
            parts.push("OR".to_owned());
            continue;
        }
        let (word, prefix) = match raw.strip_suffix(":*") {
            Some(w) => (w, true),
            None => (raw, false),
        };
        let word: String = word.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect();
        if word.is_empty() {
            continue;
        }
        parts.push(if prefix { format!("\"{word}\"*") } else { format!("\"{word}\"") });
    }
    while parts.last().is_some_and(|p| p == "OR") {
        parts.pop();
    }
    if parts.first().is_some_and(|p| p == "OR") {
        parts.remove(0);
    }
    parts.join(" ")
}

/// Parses one CKAN sort clause: field (maybe quoted), direction, nulls placement.
fn parse_sort(clause: &str) -> (String, &'static str, Option<&'static str>) {
    let mut rest = clause.trim();
    let lower = rest.to_ascii_lowercase();
    let mut nulls = None;
    for (suffix, n) in [("nulls first", "NULLS FIRST"), ("nulls last", "NULLS LAST")] {
        if lower.ends_with(suffix) {
            let head = rest[..rest.len() - suffix.len()].trim_end();
            if head.len() < rest.len() - suffix.len() || head.is_empty() {
                nulls = Some(n);
                rest = head;
            }
            break;
        }
    }
    let lower = rest.to_ascii_lowercase();
    let mut dir = "ASC";
    for (suffix, dname) in [(" asc", "ASC"), (" desc", "DESC")] {
        if lower.ends_with(suffix) {
            dir = dname;
            rest = rest[..rest.len() - suffix.len()].trim_end();
            break;
        }
    }
    let field = if rest.len() >= 2 && rest.starts_with('"') && rest.ends_with('"') {
        &rest[1..rest.len() - 1]
    } else {
        rest
    };
    (field.to_owned(), dir, nulls)
}

impl Datastore {
    pub(crate) fn build_query(&self, m: &TableMeta, s: &Search) -> DatastoreResult<Query> {
        let d = self.dialect();
        let rid = &m.resource_id;
        let t = table(d, rid);
        let lang = if s.language.is_empty() { "english" } else { s.language.as_str() };
        let mut p = Params::new(d);
        let parsed = filters::parse_for(m, &s.filters)?;
        let mut wheres = Vec::new();
        // full text: (rank alias, rank expression)
        let mut ranks: Vec<(String, String)> = Vec::new();
        let mut join = String::new();
        let whole = match (&s.q, &s.full_text) {
            (_, Some(ft)) if !ft.is_empty() => Some(ft.clone()),
            (Some(Value::String(q)), _) if !q.is_empty() => Some(q.clone()),
            _ => None,
        };
        if let Some(q) = &whole {
            match d {
                Dialect::Postgres => {
                    let lang_ph = p.push_text(lang);
                    let q_ph = p.push_text(q);
                    let f = if s.plain { "plainto_tsquery" } else { "to_tsquery" };
                    let query = format!("{f}({lang_ph}::regconfig, {q_ph})");
                    // While a load's full text is being filled, rows not yet filled have
                    // their vector computed here, so that no row is missed.
                    let vector = match (&m.full_text_pending, vector_expr(m, &format!("{t}."))) {
                        (Some(_), Some(computed)) => format!("coalesce({t}.\"_full_text\", {computed})"),
                        _ => format!("{t}.\"_full_text\""),
                    };
                    wheres.push(format!("{vector} @@ {query}"));
                    ranks.push(("rank".into(), format!("ts_rank({vector}, {query}, 32)")));
                }
                Dialect::Sqlite => {
                    let ph = p.push_text(&fts5_query(q, s.plain));
                    join = format!(
                        " JOIN (SELECT rowid AS \"__r\", -bm25({fts}) AS \"__rank\" FROM {fts} WHERE {fts} MATCH {ph}) \"__q\" \
                         ON \"__q\".\"__r\" = {t}.\"_id\"",
                        fts = fts_table(rid)
                    );
                    ranks.push(("rank".into(), "\"__q\".\"__rank\"".into()));
                }
            }
        }
        if let Some(Value::Object(qmap)) = &s.q {
            for (field, v) in qmap {
                let (Some(ct), Value::String(text)) = (m.col_type(field), v) else {
                    return Err(invalid("q", field));
                };
                let col = format!("{t}.{}", ident(field));
                match d {
                    Dialect::Postgres => {
                        let lang_ph = p.push_text(lang);
                        let q_ph = p.push_text(text);
                        let f = if s.plain { "plainto_tsquery" } else { "to_tsquery" };
                        let vector = format!("to_tsvector({lang_ph}::regconfig, cast({col} as text))");
                        let query = format!("{f}({lang_ph}::regconfig, {q_ph})");
                        wheres.push(format!("{vector} @@ {query}"));
                        ranks.push((format!("rank {field}"), format!("ts_rank({vector}, {query}, 32)")));
                    }
                    Dialect::Sqlite => {
                        let words: Vec<&str> = text.split_whitespace().collect();
                        for w in words {
                            let w = w.trim_end_matches(":*").to_lowercase();
                            let ph = p.push_text(&format!("%{}%", w.replace(['%', '_'], "")));
                            wheres.push(format!("lower(CAST({col} AS TEXT)) LIKE {ph}"));
                        }
                        let _ = ct;
                        ranks.push((format!("rank {field}"), "1.0".into()));
                    }
                }
            }
        } else if let Some(q) = &s.q
            && !q.is_string()
            && !q.is_null()
        {
            return Err(invalid("q", &q.to_string()));
        }
        // output columns
        let all: Vec<OutCol> = std::iter::once(OutCol {
            id: "_id".into(),
            kind: OutKind::Col(ColType { kind: Kind::Int4, array: false }),
            info: None,
        })
        .chain(m.fields.iter().map(|f| OutCol {
            id: f.id.clone(),
            kind: OutKind::Col(f.col_type()),
            info: f.info.clone(),
        }))
        .chain(ranks.iter().map(|(a, _)| OutCol { id: a.clone(), kind: OutKind::Rank, info: None }))
        .collect();
        let cols: Vec<OutCol> = match &s.fields {
            Some(wanted) if !wanted.is_empty() => {
                let mut out = Vec::new();
                for w in wanted {
                    match all.iter().find(|c| &c.id == w) {
                        Some(c) => out.push(c.clone()),
                        None => return Err(invalid("fields", w)),
                    }
                }
                out
            }
            _ => all.clone(),
        };
        let expr = |id: &str| -> String {
            match ranks.iter().find(|(a, _)| a == id) {
                Some((_, e)) => e.clone(),
                None => format!("{t}.{}", ident(id)),
            }
        };
        // sort
        let mut order = Vec::new();
        if let Some(sort) = s.sort.as_deref().filter(|s| !s.trim().is_empty()) {
            for clause in sort.split(',') {
                let clause = clause.trim();
                if clause.is_empty() {
                    continue;
                }
                let (field, dir, nulls) = parse_sort(clause);
                if !all.iter().any(|c| c.id == field) {
                    return Err(invalid("sort", clause));
                }
                order.push((field, dir, nulls));
            }
        } else if !ranks.is_empty() {
            for (a, _) in &ranks {
                order.push((a.clone(), "DESC", None));
            }
        } else if !s.distinct {
            order.push(("_id".into(), "ASC", None));
        }
        if let Some(op) = &parsed {
            wheres.insert(0, filters::clause(op, m, &mut p)?);
        }
        let where_sql =
            if wheres.is_empty() { String::new() } else { format!(" WHERE {}", wheres.join(" AND ")) };
        let paging = match s.limit {
            Some(l) => format!(" LIMIT {l} OFFSET {}", s.offset),
            None if s.offset > 0 => {
                format!(" LIMIT {} OFFSET {}", if d == Dialect::Sqlite { "-1" } else { "ALL" }, s.offset)
            }
            None => String::new(),
        };
        let order_sql = |render: &dyn Fn(&str) -> String| -> String {
            if order.is_empty() {
                return String::new();
            }
            let parts: Vec<String> = order
                .iter()
                .map(|(f, dir, nulls)| match nulls {
                    Some(n) => format!("{} {dir} {n}", render(f)),
                    None => format!("{} {dir}", render(f)),
                })
                .collect();
            format!(" ORDER BY {}", parts.join(", "))
        };
        let select_list = |render: &dyn Fn(&str) -> String| -> String {
            let items: Vec<String> = cols.iter().map(|c| render(&c.id)).collect();
            match d {
                Dialect::Postgres => format!("json_build_array({})::text", items.join(", ")),
                Dialect::Sqlite => items.join(", "),
            }
        };
        let text_list = |render: &dyn Fn(&str) -> String| -> String {
            match d {
                Dialect::Postgres => {
                    cols.iter().map(|c| pg_text(&render(&c.id), &c.kind)).collect::<Vec<_>>().join(", ")
                }
                Dialect::Sqlite => select_list(render),
            }
        };
        let copy_list = |render: &dyn Fn(&str) -> String| -> String {
            cols.iter().map(|c| pg_copy(&render(&c.id), &c.kind)).collect::<Vec<_>>().join(", ")
        };
        // CKAN's keyset paging: the largest (`_id desc`: smallest) `_id` of the page's rows.
        let next = match order.as_slice() {
            [(field, dir, _)] if s.include_next_page && field == "_id" => {
                let (agg, op) = if *dir == "DESC" { ("min", "lt") } else { ("max", "gt") };
                let id = format!("{t}.\"_id\"");
                // With `distinct`, CKAN takes it over every matching row.
                let sql = if s.distinct {
                    format!("SELECT CAST({agg}({id}) AS TEXT) FROM {t}{join}{where_sql}")
                } else {
                    format!(
                        "SELECT CAST({agg}(\"__k\") AS TEXT) FROM (SELECT {id} AS \"__k\" FROM {t}{join}{where_sql}{}{paging}) \"__p\"",
                        order_sql(&expr)
                    )
                };
                Some((sql, op))
            }
            _ => None,
        };
        let (sql, text_sql, copy_sql, count_sql) = if s.distinct {
            let inner: Vec<String> =
                cols.iter().map(|c| format!("{} AS {}", expr(&c.id), ident(&c.id))).collect();
            let inner = format!("SELECT DISTINCT {} FROM {t}{join}{where_sql}", inner.join(", "));
            let outer = |id: &str| format!("\"__s\".{}", ident(id));
            let select =
                |list: String| format!("SELECT {list} FROM ({inner}) \"__s\"{}{paging}", order_sql(&outer));
            (
                select(select_list(&outer)),
                select(text_list(&outer)),
                select(copy_list(&outer)),
                format!("SELECT CAST(count(*) AS TEXT) FROM ({inner}) \"__s\""),
            )
        } else {
            let select =
                |list: String| format!("SELECT {list} FROM {t}{join}{where_sql}{}{paging}", order_sql(&expr));
            (
                select(select_list(&expr)),
                select(text_list(&expr)),
                select(copy_list(&expr)),
                format!("SELECT CAST(count(*) AS TEXT) FROM {t}{join}{where_sql}"),
            )
        };
        Ok(Query {
            sql,
            text_sql,
            copy_sql,
            count_sql,
            params: p,
            cols,
            filterops: parsed.as_ref().map(filters::FilterOp::to_json),
            next,
        })
    }

    /// Runs a query, handing each row (as JSON values in column order) to `each`.
    pub(crate) fn for_each_row(
        &self,
        q: &Query,
        each: &mut dyn FnMut(Vec<Value>) -> DatastoreResult<()>,
    ) -> DatastoreResult<()> {
        match self.pool() {
            Pool::Postgres(pool) => {
                let mut conn = pg_get(pool, None)?;
                pg_rows(&mut conn, q, each)
            }
            Pool::Sqlite { pool, .. } => {
                let conn = pool.get()?;
                sqlite_rows(&conn, q, each)
            }
        }
    }

    /// Runs a query, handing each row to `each` as the text of its cells (empty for null) —
    /// what CSV and TSV hold — without making JSON values of them.
    pub(crate) fn for_each_text_row(
        &self,
        q: &Query,
        timeout_ms: Option<u64>,
        each: &mut dyn FnMut(&[Cow<'_, str>]) -> DatastoreResult<()>,
    ) -> DatastoreResult<()> {
        match self.pool() {
            Pool::Postgres(pool) => {
                let mut conn = pg_get(pool, timeout_ms)?;
                let values = q.params.pg();
                let stmt = conn.prepared(&q.text_sql).map_err(query_error)?;
                let mut rows = conn.client().query_raw(&stmt, pg_refs(&values)).map_err(query_error)?;
                while let Some(row) =
                    postgres::fallible_iterator::FallibleIterator::next(&mut rows).map_err(query_error)?
                {
                    let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(q.cols.len());
                    for i in 0..q.cols.len() {
                        let cell: Option<&str> = row.try_get(i).map_err(query_error)?;
                        cells.push(Cow::Borrowed(cell.unwrap_or("")));
                    }
                    each(&cells)?;
                }
                Ok(())
            }
            Pool::Sqlite { pool, .. } => {
                let conn = pool.get()?;
                let values = q.params.sqlite();
                let mut stmt = conn.prepare_cached(&q.sql).map_err(sqlite_query_error)?;
                let mut rows =
                    stmt.query(rusqlite::params_from_iter(values.iter())).map_err(sqlite_query_error)?;
                while let Some(row) = rows.next().map_err(sqlite_query_error)? {
                    let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(q.cols.len());
                    for (i, c) in q.cols.iter().enumerate() {
                        cells.push(sqlite_text(row.get_ref(i).map_err(sqlite_query_error)?, &c.kind));
                    }
                    each(&cells)?;
                }
                Ok(())
            }
        }
    }

    /// Writes a query's rows as CSV (with `delimiter`) straight from PostgreSQL's `COPY … TO
    /// STDOUT`, formatted by the server, when the query has no parameters to bind; `false` when
    /// it cannot (SQLite, or parameters), and the caller goes row by row.
    pub(crate) fn copy_csv(&self, q: &Query, delimiter: u8, out: &mut dyn Write) -> DatastoreResult<bool> {
        let Pool::Postgres(pool) = self.pool() else { return Ok(false) };
        if !q.params.values.is_empty() {
            return Ok(false);
        }
        let sql = format!(
            "COPY ({}) TO STDOUT WITH (FORMAT csv, DELIMITER {})",
            q.copy_sql,
            if delimiter == b'\t' { "E'\\t'" } else { "','" }
        );
        let timestamps: Vec<bool> = q
            .cols
            .iter()
            .map(|c| matches!(&c.kind, OutKind::Col(ct) if ct.kind == Kind::Timestamp && !ct.array))
            .collect();
        let mut conn = pg_get(pool, None)?;
        conn.client().batch_execute("SET DateStyle = 'ISO'").map_err(query_error)?;
        let mut reader = conn.client().copy_out(&sql).map_err(query_error)?;
        let failed = |e: std::io::Error| DatastoreError::Internal(format!("dump: {e}"));
        if timestamps.contains(&true) {
            let mut fixed = TimestampT::new(timestamps, delimiter, out);
            std::io::copy(&mut reader, &mut fixed).map_err(failed)?;
        } else {
            std::io::copy(&mut reader, out).map_err(failed)?;
        }
        Ok(true)
    }

    /// Checks a search without running it: the errors `search` would give for its filters,
    /// fields, sort and query (a dump checks before it starts streaming).
    pub fn check_search(&self, search: &Search) -> DatastoreResult<()> {
        let m = self.meta_read(&search.resource_id)?;
        self.build_query(&m, search).map(|_| ())
    }

    pub fn search(&self, search: &Search) -> DatastoreResult<SearchResult> {
        let m = self.meta_read(&search.resource_id)?;
        let q = self.build_query(&m, search)?;
        let mut rows = Vec::new();
        let count_needed = search.include_total;
        let mut count = None;
        let mut next_id = None;
        if matches!(search.records_format, RecordsFormat::Csv | RecordsFormat::Tsv) {
            let delim = if search.records_format == RecordsFormat::Csv { b',' } else { b'\t' };
            let mut w = csv::WriterBuilder::new().delimiter(delim).from_writer(Vec::new());
            self.for_each_text_row(&q, Some(self.search_timeout_ms()), &mut |cells| {
                w.write_record(cells.iter().map(|c| c.as_bytes()))
                    .map_err(|e| DatastoreError::Internal(e.to_string()))
            })?;
            let bytes = w.into_inner().map_err(|e| DatastoreError::Internal(e.to_string()))?;
            if count_needed || q.next.is_some() {
                match self.pool() {
                    Pool::Postgres(pool) => {
                        let mut conn = pg_get(pool, Some(self.search_timeout_ms()))?;
                        (count, next_id) = count_and_next(conn.client(), &q, count_needed)?;
                    }
                    Pool::Sqlite { pool, .. } => {
                        (count, next_id) = count_and_next(&mut *pool.get()?, &q, count_needed)?;
                    }
                }
            }
            let text = String::from_utf8(bytes).map_err(|e| DatastoreError::Internal(e.to_string()))?;
            return answer(search, q, Records::Text(text), count, next_id);
        }
        match self.pool() {
            Pool::Postgres(pool) => {
                let mut conn = pg_get(pool, Some(self.search_timeout_ms()))?;
                pg_rows(&mut conn, &q, &mut |r| {
                    rows.push(r);
                    Ok(())
                })?;
                (count, next_id) = count_and_next(conn.client(), &q, count_needed)?;
            }
            Pool::Sqlite { pool, .. } => {
                let mut conn = pool.get()?;
                sqlite_rows(&conn, &q, &mut |r| {
                    rows.push(r);
                    Ok(())
                })?;
                (count, next_id) = count_and_next(&mut *conn, &q, count_needed)?;
            }
        }
        answer(search, q, Records::Rows(rows), count, next_id)
    }
}

/// The text of the first cell a query answers.
fn first_text(c: &mut dyn crate::exec::Exec, sql: &str, params: &Params) -> DatastoreResult<Option<String>> {
    let rows = c
        .rows(sql, params)
        .map_err(|e| if e.timeout { DatastoreError::Timeout } else { invalid_query(&e.message) })?;
    Ok(rows.first().and_then(|r| r.first().cloned().flatten()))
}

/// The number of rows a query matches (when `count`), and the `_id` its next page starts after.
fn count_and_next(
    c: &mut dyn crate::exec::Exec,
    q: &Query,
    count: bool,
) -> DatastoreResult<(Option<u64>, Option<i64>)> {
    let total = if count {
        Some(first_text(c, &q.count_sql, &q.params)?.and_then(|s| s.parse().ok()).unwrap_or(0))
    } else {
        None
    };
    let next = match &q.next {
        Some((sql, _)) => first_text(c, sql, &q.params)?.and_then(|s| s.parse().ok()),
        None => None,
    };
    Ok((total, next))
}

fn pg_rows(
    conn: &mut PgConn,
    q: &Query,
    each: &mut dyn FnMut(Vec<Value>) -> DatastoreResult<()>,
) -> DatastoreResult<()> {
    let values = q.params.pg();
    let stmt = conn.prepared(&q.sql).map_err(query_error)?;
    let mut rows = conn.client().query_raw(&stmt, pg_refs(&values)).map_err(query_error)?;
    while let Some(row) =
        postgres::fallible_iterator::FallibleIterator::next(&mut rows).map_err(query_error)?
    {
        let text: &str = row.try_get(0).map_err(query_error)?;
        let values: Vec<Value> =
            serde_json::from_str(text).map_err(|e| DatastoreError::Internal(e.to_string()))?;
        let values = values
            .into_iter()
            .zip(&q.cols)
            .map(|(v, c)| match (&c.kind, v) {
                (OutKind::Col(ct), Value::Number(n)) if ct.kind == Kind::Numeric && !ct.array => {
                    number_value(&n.to_string())
                }
                (OutKind::Col(ct), Value::Number(n))
                    if matches!(ct.kind, Kind::Float4 | Kind::Float8) && !ct.array =>
                {
                    n.as_f64().map_or(Value::Number(n), Value::from)
                }
                (_, v) => v,
            })
            .collect();
        each(values)?;
    }
    Ok(())
}

fn sqlite_rows(
    conn: &rusqlite::Connection,
    q: &Query,
    each: &mut dyn FnMut(Vec<Value>) -> DatastoreResult<()>,
) -> DatastoreResult<()> {
    let values = q.params.sqlite();
    let mut stmt = conn.prepare_cached(&q.sql).map_err(sqlite_query_error)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(values.iter())).map_err(sqlite_query_error)?;
    while let Some(row) = rows.next().map_err(sqlite_query_error)? {
        let mut out = Vec::with_capacity(q.cols.len());
        for (i, c) in q.cols.iter().enumerate() {
            let v = row.get_ref(i).map_err(sqlite_query_error)?;
            out.push(sqlite_value(v, &c.kind));
        }
        each(out)?;
    }
    Ok(())
}

/// The rows of an answer: JSON values, or CSV/TSV text already written.
enum Records {
    Rows(Vec<Vec<Value>>),
    Text(String),
}

/// The answer of a search from the rows (and the count) its query gave.
fn answer(
    search: &Search,
    q: Query,
    rows: Records,
    count: Option<u64>,
    next_id: Option<i64>,
) -> DatastoreResult<SearchResult> {
    let records = match rows {
        Records::Text(text) => Value::String(text),
        Records::Rows(rows) if search.records_format == RecordsFormat::Lists => {
            Value::Array(rows.into_iter().map(Value::Array).collect())
        }
        Records::Rows(rows) => Value::Array(
            rows.into_iter()
                .map(|r| {
                    let mut obj = Map::with_capacity(r.len());
                    for (c, v) in q.cols.iter().zip(r) {
                        obj.insert(c.id.clone(), v);
                    }
                    Value::Object(obj)
                })
                .collect(),
        ),
    };
    let next_page = match (&q.next, next_id) {
        (Some((_, op)), Some(id)) => Some(serde_json::json!({"_id": {*op: id}})),
        _ => None,
    };
    Ok(SearchResult {
        fields: q.cols.iter().map(OutCol::field_json).collect(),
        records,
        total: count,
        filterops: q.filterops,
        next_page,
    })
}

/// A value as CSV text: strings as they are, null empty, JSON for the rest.
pub(crate) fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn invalid_query(orig: &str) -> DatastoreError {
    DatastoreError::Query { message: "Invalid query".into(), info: Some(serde_json::json!({"orig": [orig]})) }
}

pub(crate) fn query_error(e: postgres::Error) -> DatastoreError {
    db_query_error(crate::exec::DbErr::from(e))
}

pub(crate) fn sqlite_query_error(e: rusqlite::Error) -> DatastoreError {
    db_query_error(crate::exec::DbErr::from(e))
}

/// A failed query as CKAN reports it: too slow, the database gone, or an invalid query.
fn db_query_error(e: crate::exec::DbErr) -> DatastoreError {
    if e.timeout {
        DatastoreError::Timeout
    } else if e.unavailable {
        DatastoreError::Unavailable(e.message)
    } else {
        invalid_query(&e.message)
    }
}

/// A PostgreSQL output column as the text a CSV cell holds: CKAN's ISO timestamps,
/// `true`/`false`, JSON for arrays and `json`, the column's own text for the rest.
fn pg_text(expr: &str, kind: &OutKind) -> String {
    match kind {
        OutKind::Col(ct) if ct.array || matches!(ct.kind, Kind::Json | Kind::Bool) => {
            format!("to_json({expr})::text")
        }
        OutKind::Col(ct) if ct.kind == Kind::Timestamp => format!("replace(CAST({expr} AS text), ' ', 'T')"),
        _ => format!("CAST({expr} AS text)"),
    }
}

/// A PostgreSQL output column as `COPY` writes it for a CSV cell: as [`pg_text`], but leaving
/// the column's own text form where it already is the cell's (and timestamps to [`TimestampT`]).
fn pg_copy(expr: &str, kind: &OutKind) -> String {
    match kind {
        OutKind::Col(ct) if ct.array || matches!(ct.kind, Kind::Json | Kind::Bool) => {
            format!("to_json({expr})::text")
        }
        _ => expr.to_owned(),
    }
}

/// Rewrites PostgreSQL's CSV on its way out: in the timestamp columns, the space between date and
/// time (`2024-05-01 10:20:30`, PostgreSQL's ISO form, never quoted) becomes CKAN's `T`. It
/// follows CSV quoting to know which field of which row each byte is in.
struct TimestampT<'a> {
    timestamps: Vec<bool>,
    delimiter: u8,
    out: &'a mut dyn Write,
    field: usize,
    offset: usize,
    quoted: bool,
    /// A quote seen inside a quoted field: the end of the field, or the first of a doubled one.
    quote_pending: bool,
}

impl<'a> TimestampT<'a> {
    fn new(timestamps: Vec<bool>, delimiter: u8, out: &'a mut dyn Write) -> Self {
        Self { timestamps, delimiter, out, field: 0, offset: 0, quoted: false, quote_pending: false }
    }
}

impl Write for TimestampT<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut chunk = data.to_vec();
        for byte in &mut chunk {
            if self.quoted {
                if self.quote_pending {
                    self.quote_pending = false;
                    if *byte == b'"' {
                        continue;
                    }
                    self.quoted = false;
                } else {
                    if *byte == b'"' {
                        self.quote_pending = true;
                    }
                    continue;
                }
            }
            if *byte == self.delimiter {
                self.field += 1;
                self.offset = 0;
            } else if *byte == b'\n' {
                self.field = 0;
                self.offset = 0;
            } else {
                if *byte == b'"' && self.offset == 0 {
                    self.quoted = true;
                } else if *byte == b' ' && self.offset == 10 && self.timestamps.get(self.field) == Some(&true)
                {
                    *byte = b'T';
                }
                self.offset += 1;
            }
        }
        self.out.write_all(&chunk)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A SQLite cell as CSV text: the stored text or integer where that is what the JSON answer
/// would show, else the text of that JSON value.
fn sqlite_text<'a>(v: rusqlite::types::ValueRef<'a>, kind: &OutKind) -> Cow<'a, str> {
    use rusqlite::types::ValueRef;
    match (kind, v) {
        (_, ValueRef::Null) => Cow::Borrowed(""),
        (OutKind::Col(ct), ValueRef::Text(t))
            if !ct.array && !matches!(ct.kind, Kind::Json | Kind::Numeric) =>
        {
            String::from_utf8_lossy(t)
        }
        (OutKind::Col(ct), ValueRef::Integer(i))
            if !ct.array
                && matches!(ct.kind, Kind::Text | Kind::Int2 | Kind::Int4 | Kind::Int8 | Kind::Numeric) =>
        {
            Cow::Owned(i.to_string())
        }
        // What `sqlite_value` makes of a stored float for these types, without the detour.
        (OutKind::Col(ct), ValueRef::Real(f))
            if !ct.array
                && f.is_finite()
                && matches!(ct.kind, Kind::Numeric | Kind::Float4 | Kind::Float8) =>
        {
            Cow::Owned(Value::from(f).to_string())
        }
        (kind, v) => Cow::Owned(cell_text(&sqlite_value(v, kind))),
    }
}

/// A SQLite value read back as the JSON CKAN answers for the column's type.
pub(crate) fn sqlite_value(v: rusqlite::types::ValueRef<'_>, kind: &OutKind) -> Value {
    use rusqlite::types::ValueRef;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match (kind, v) {
        (_, ValueRef::Null) => Value::Null,
        (OutKind::Rank, ValueRef::Real(f)) => Value::from(f),
        (OutKind::Rank, ValueRef::Integer(i)) => Value::from(i as f64),
        (OutKind::Col(ct), v) if ct.array || ct.kind == Kind::Json => match v {
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                serde_json::from_slice(t).unwrap_or_else(|_| Value::String(text(t)))
            }
            ValueRef::Integer(i) => Value::from(i),
            ValueRef::Real(f) => Value::from(f),
            ValueRef::Null => Value::Null,
        },
        (OutKind::Col(ct), ValueRef::Integer(i)) if ct.kind == Kind::Bool => Value::Bool(i != 0),
        (OutKind::Col(ct), ValueRef::Integer(i)) if matches!(ct.kind, Kind::Float4 | Kind::Float8) => {
            Value::from(i as f64)
        }
        (OutKind::Col(ct), ValueRef::Real(f)) if ct.kind == Kind::Numeric => number_value(&format!("{f:?}")),
        (OutKind::Col(ct), ValueRef::Text(t)) if ct.kind == Kind::Numeric => number_value(&text(t)),
        (OutKind::Col(ct), ValueRef::Integer(i)) if ct.kind == Kind::Text => Value::String(i.to_string()),
        (OutKind::Col(ct), ValueRef::Real(f)) if ct.kind == Kind::Text => Value::String(f.to_string()),
        (_, ValueRef::Integer(i)) => Value::from(i),
        (_, ValueRef::Real(f)) => Value::from(f),
        (_, ValueRef::Text(t) | ValueRef::Blob(t)) => Value::String(text(t)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use super::TimestampT;

    fn fixed(csv: &str, timestamps: &[bool], delimiter: u8, split: usize) -> String {
        let mut out = Vec::new();
        let mut writer = TimestampT::new(timestamps.to_vec(), delimiter, &mut out);
        for piece in csv.as_bytes().chunks(split) {
            writer.write_all(piece).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn timestamps_get_their_t_and_nothing_else_changes() {
        let csv = "1,2024-05-01 10:20:30,\"a, \"\"quoted\"\"\n2024-05-01 10:20:30\",2024-05-01 10:20:30\n\
                   2,,\"\",1999-12-31 23:59:59.5\n";
        let want = "1,2024-05-01T10:20:30,\"a, \"\"quoted\"\"\n2024-05-01 10:20:30\",2024-05-01T10:20:30\n\
                    2,,\"\",1999-12-31T23:59:59.5\n";
        for split in [1, 2, 7, 1000] {
            assert_eq!(fixed(csv, &[false, true, false, true], b',', split), want, "split {split}");
        }
        let tsv = "x y z\t2024-05-01 10:20:30\n";
        assert_eq!(fixed(tsv, &[false, true], b'\t', 3), "x y z\t2024-05-01T10:20:30\n");
    }
}
