//! `datastore_search_sql`: running a statement the guard has checked, read-only and timed.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::Datastore;
use crate::db::Pool;
use crate::error::{DatastoreError, DatastoreResult};
use crate::guard::CheckedSql;
use crate::search::{OutKind, sqlite_value};
use crate::types::{ColType, field_json, number_value};

/// Result columns: name and CKAN type name.
type Fields = Vec<(String, String)>;

fn sql_error(message: &str, sql: &str) -> DatastoreError {
    DatastoreError::Query {
        message: message.to_owned(),
        info: Some(serde_json::json!({"statement": [sql], "params": [{}], "orig": [message]})),
    }
}

/// CKAN's name for a PostgreSQL result column type.
fn pg_type_name(t: &postgres::types::Type) -> String {
    match t.name() {
        "varchar" | "bpchar" | "name" | "unknown" => "text".to_owned(),
        other => other.to_owned(),
    }
}

impl Datastore {
    /// Runs a statement already checked by `guard::check` (read-only transaction, `timeout`,
    /// at most `max_rows` rows; more → records_truncated).
    pub fn search_sql(
        &self,
        sql: &CheckedSql,
        max_rows: usize,
        timeout: Duration,
    ) -> DatastoreResult<crate::SqlResult> {
        let wrapped = |inner: &str| format!("SELECT * FROM ({inner}) \"__sql\" LIMIT {}", max_rows + 1);
        let body = sql.sql.trim().trim_end_matches(';');
        let (fields, mut records) = match self.pool() {
            Pool::Postgres(pool) => {
                let mut client = pool.get()?;
                let mut tx =
                    client.build_transaction().read_only(true).start().map_err(crate::exec::DbErr::from)?;
                let ms = timeout.as_millis().max(1);
                tx.batch_execute(&format!(
                    "SET LOCAL statement_timeout = {ms}; SET LOCAL search_path = pg_catalog"
                ))
                .map_err(crate::exec::DbErr::from)?;
                let pg_err = |e: postgres::Error| {
                    let e = crate::exec::DbErr::from(e);
                    if e.timeout { DatastoreError::Timeout } else { sql_error(&e.message, body) }
                };
                let stmt = tx.prepare(&wrapped(body)).map_err(pg_err)?;
                let fields: Vec<(String, String)> =
                    stmt.columns().iter().map(|c| (c.name().to_owned(), pg_type_name(c.type_()))).collect();
                let names: Vec<String> = fields.iter().map(|(n, _)| crate::dialect::ident(n)).collect();
                let json_sql = format!(
                    "SELECT json_build_array({})::text FROM ({}) \"__row\"",
                    names.iter().map(|n| format!("\"__row\".{n}")).collect::<Vec<_>>().join(", "),
                    wrapped(body)
                );
                let rows =
                    if names.is_empty() { Vec::new() } else { tx.query(&json_sql, &[]).map_err(pg_err)? };
                let mut records = Vec::with_capacity(rows.len());
                for row in rows {
                    let text: &str = row.try_get(0).map_err(pg_err)?;
                    let values: Vec<Value> =
                        serde_json::from_str(text).map_err(|e| DatastoreError::Internal(e.to_string()))?;
                    let mut obj = Map::new();
                    for ((name, ty), v) in fields.iter().zip(values) {
                        let v = match (ty.as_str(), v) {
                            ("numeric", Value::Number(n)) => number_value(&n.to_string()),
                            (_, v) => v,
                        };
                        obj.insert(name.clone(), v);
                    }
                    records.push(Value::Object(obj));
                }
                tx.rollback().map_err(crate::exec::DbErr::from)?;
                (fields, records)
            }
            Pool::Sqlite { path, .. } => self.sqlite_sql(path, sql, &wrapped(body), timeout)?,
        };
        let truncated = records.len() > max_rows;
        records.truncate(max_rows);
        Ok(crate::SqlResult {
            fields: fields.iter().map(|(id, t)| field_json(id, t, None)).collect(),
            records,
            records_truncated: truncated,
        })
    }

    fn sqlite_sql(
        &self,
        path: &std::path::Path,
        checked: &CheckedSql,
        sql: &str,
        timeout: Duration,
    ) -> DatastoreResult<(Fields, Vec<Value>)> {
        use rusqlite::OpenFlags;
        use rusqlite::hooks::{AuthAction, Authorization};
        let mut conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch("PRAGMA query_only = 1")?;
        let allowed: Vec<String> = checked.tables.clone();
        conn.authorizer(Some(move |ctx: rusqlite::hooks::AuthContext<'_>| match ctx.action {
            AuthAction::Select | AuthAction::Function { .. } | AuthAction::Recursive => Authorization::Allow,
            AuthAction::Read { table_name, .. } if allowed.iter().any(|t| t == table_name) => {
                Authorization::Allow
            }
            _ => Authorization::Deny,
        }))?;
        let deadline = Instant::now() + timeout;
        conn.progress_handler(1000, Some(move || Instant::now() > deadline))?;
        let err = |e: rusqlite::Error| {
            let e = crate::exec::DbErr::from(e);
            if e.timeout { DatastoreError::Timeout } else { sql_error(&e.message, &checked.sql) }
        };
        let mut stmt = conn.prepare(sql).map_err(err)?;
        let n = stmt.column_count();
        let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let decl: Vec<Option<ColType>> =
            stmt.columns().map(|c| c.decl_type().and_then(ColType::parse)).collect();
        let mut types: Vec<Option<String>> = decl.iter().map(|d| d.map(ColType::name)).collect();
        let mut rows = stmt.query([]).map_err(err)?;
        let mut raw: Vec<Vec<Value>> = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let v = row.get_ref(i).map_err(err)?;
                if types[i].is_none() {
                    types[i] = match v {
                        rusqlite::types::ValueRef::Integer(_) => Some("int8".into()),
                        rusqlite::types::ValueRef::Real(_) => Some("numeric".into()),
                        rusqlite::types::ValueRef::Text(_) | rusqlite::types::ValueRef::Blob(_) => {
                            Some("text".into())
                        }
                        rusqlite::types::ValueRef::Null => None,
                    };
                }
                let kind = match decl[i] {
                    Some(ct) => OutKind::Col(ct),
                    None => OutKind::Col(
                        ColType::parse(types[i].as_deref().unwrap_or("text"))
                            .unwrap_or(ColType { kind: crate::types::Kind::Text, array: false }),
                    ),
                };
                out.push(sqlite_value(v, &kind));
            }
            raw.push(out);
        }
        let records =
            raw.into_iter().map(|r| Value::Object(names.iter().cloned().zip(r).collect())).collect();
        let fields =
            names.into_iter().zip(types.into_iter().map(|t| t.unwrap_or_else(|| "text".into()))).collect();
        Ok((fields, records))
    }
}
