//! Writing rows: insert, update, upsert; deleting rows by filters.

use serde_json::{Map, Value};

use crate::Datastore;
use crate::dialect::{Params, ident, table};
use crate::error::{DatastoreError, DatastoreResult};
use crate::exec::{DbErr, Exec};
use crate::filters;
use crate::guard::Dialect;
use crate::meta::{self, TableMeta};
use crate::table::unique_error;
use crate::types::{Cell, ColType, WriteMethod, coerce};

fn record_error(message: String, row: usize) -> DatastoreError {
    DatastoreError::validation_with("records", message, ("records_row", Value::from(row)))
}

fn db_record_error(e: DbErr, row: usize) -> DatastoreError {
    if e.unique_violation {
        return unique_error(&e.message);
    }
    if e.timeout || e.unavailable {
        return e.into();
    }
    record_error(e.message, row)
}

/// Python's repr of a small key dict, as CKAN shows it in `key "{...}" not found`.
fn key_repr(pairs: &[(&str, &Value)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => format!("'{s}'"),
                Value::Null => "None".to_owned(),
                Value::Bool(true) => "True".to_owned(),
                Value::Bool(false) => "False".to_owned(),
                other => other.to_string(),
            };
            format!("'{k}': {v}")
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// Writes records into a table (inside the caller's transaction); the change in row count.
pub(crate) fn write_records(
    c: &mut dyn Exec,
    m: &TableMeta,
    records: &[Map<String, Value>],
    method: WriteMethod,
) -> DatastoreResult<i64> {
    let d = c.dialect();
    let t = table(d, &m.resource_id);
    let mut delta = 0i64;
    let mut explicit_ids = false;
    if m.fields.is_empty() {
        return Ok(0);
    }
    for (num, record) in records.iter().enumerate() {
        if method == WriteMethod::Insert {
            let extra: Vec<&str> =
                record.keys().filter(|k| m.field(k).is_none()).map(String::as_str).collect();
            if !extra.is_empty() {
                return Err(DatastoreError::validation(
                    "records",
                    format!("row \"{}\" has extra keys \"{}\"", num + 1, extra.join(", ")),
                ));
            }
            let mut p = Params::new(d);
            let mut cols = Vec::with_capacity(m.fields.len());
            let mut vals = Vec::with_capacity(m.fields.len());
            for f in &m.fields {
                let ct = f.col_type();
                let cell = match record.get(&f.id) {
                    Some(v) => coerce(v, ct).map_err(|e| record_error(e, num))?,
                    None => Cell::Null,
                };
                cols.push(ident(&f.id));
                vals.push(p.push(cell, ct));
            }
            let sql = format!("INSERT INTO {t} ({}) VALUES ({})", cols.join(", "), vals.join(", "));
            c.exec(&sql, &p).map_err(|e| db_record_error(e, num))?;
            delta += 1;
            continue;
        }
        // update / upsert: a key is needed
        let by_id = record.contains_key("_id");
        if !by_id && m.primary_key.is_empty() {
            return Err(DatastoreError::validation("table", "unique key must be passed for update/upsert"));
        }
        if !by_id {
            let missing: Vec<&str> =
                m.primary_key.iter().filter(|k| !record.contains_key(*k)).map(String::as_str).collect();
            if !missing.is_empty() {
                return Err(DatastoreError::validation(
                    "key",
                    format!("fields \"{}\" are missing but needed as key", missing.join(", ")),
                ));
            }
        }
        let unknown: Vec<&str> =
            record.keys().filter(|k| *k != "_id" && m.field(k).is_none()).map(String::as_str).collect();
        if !unknown.is_empty() {
            return Err(DatastoreError::validation(
                "fields",
                format!("fields \"{}\" do not exist", unknown.join(", ")),
            ));
        }
        let key_fields: Vec<String> = if by_id { vec!["_id".to_owned()] } else { m.primary_key.clone() };
        let mut p = Params::new(d);
        let mut sets = Vec::new();
        let mut set_cells = Vec::new();
        for f in &m.fields {
            if let Some(v) = record.get(&f.id) {
                let ct = f.col_type();
                let cell = coerce(v, ct).map_err(|e| record_error(e, num))?;
                set_cells.push((f.id.clone(), cell.clone(), ct));
                sets.push(format!("{} = {}", ident(&f.id), p.push(cell, ct)));
            }
        }
        let mut conds = Vec::new();
        let mut key_cells = Vec::new();
        for k in &key_fields {
            let ct = m.col_type(k).unwrap_or(ColType { kind: crate::types::Kind::Text, array: false });
            let v = record.get(k).unwrap_or(&Value::Null);
            let cell = coerce(v, ct).map_err(|e| record_error(e, num))?;
            key_cells.push((k.clone(), cell.clone(), ct));
            conds.push(format!("{} = {}", ident(k), p.push(cell, ct)));
        }
        let updated = if sets.is_empty() {
            let sql = format!("SELECT CAST(count(*) AS TEXT) FROM {t} WHERE {}", conds.join(" AND "));
            let rows = c.rows(&sql, &p).map_err(|e| db_record_error(e, num))?;
            rows.first()
                .and_then(|r| r.first().cloned().flatten())
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0)
        } else {
            let sql = format!("UPDATE {t} SET {} WHERE {}", sets.join(", "), conds.join(" AND "));
            c.exec(&sql, &p).map_err(|e| db_record_error(e, num))?
        };
        if updated > 0 {
            continue;
        }
        if method == WriteMethod::Update {
            let pairs: Vec<(&str, &Value)> =
                key_fields.iter().map(|k| (k.as_str(), record.get(k).unwrap_or(&Value::Null))).collect();
            return Err(DatastoreError::validation("key", format!("key \"{}\" not found", key_repr(&pairs))));
        }
        // upsert of a new row
        let mut p = Params::new(d);
        let mut cols = Vec::new();
        let mut vals = Vec::new();
        for (id, cell, ct) in key_cells.into_iter().filter(|(k, ..)| k == "_id").chain(set_cells) {
            cols.push(ident(&id));
            vals.push(p.push(cell, ct));
        }
        let sql = if cols.is_empty() {
            format!("INSERT INTO {t} DEFAULT VALUES")
        } else {
            format!("INSERT INTO {t} ({}) VALUES ({})", cols.join(", "), vals.join(", "))
        };
        c.exec(&sql, &p).map_err(|e| db_record_error(e, num))?;
        explicit_ids |= by_id;
        delta += 1;
    }
    if explicit_ids && d == Dialect::Postgres {
        advance_id_sequence(c, &m.resource_id)?;
    }
    Ok(delta)
}

/// Moves the `_id` sequence of a PostgreSQL table past the largest `_id` in it, so that rows
/// inserted with `_id` values of their own do not collide with later ones. (SQLite's
/// `INTEGER PRIMARY KEY` needs nothing of the kind.)
fn advance_id_sequence(c: &mut dyn Exec, rid: &str) -> DatastoreResult<()> {
    let d = Dialect::Postgres;
    let mut p = Params::new(d);
    let name = p.push_text(&table(d, rid));
    c.rows(
        &format!(
            "SELECT setval(s.seq, m.top)::text FROM \
             (SELECT pg_get_serial_sequence({name}, '_id')::regclass AS seq) s, \
             (SELECT max(\"_id\") AS top FROM {t}) m \
             WHERE s.seq IS NOT NULL AND m.top > coalesce(pg_sequence_last_value(s.seq), 0)",
            t = table(d, rid)
        ),
        &p,
    )?;
    Ok(())
}

impl Datastore {
    pub fn upsert(
        &self,
        resource_id: &str,
        records: &[Map<String, Value>],
        method: WriteMethod,
        dry_run: bool,
    ) -> DatastoreResult<()> {
        let m = self.meta_or_404(resource_id)?;
        let out = self.with_tx(!dry_run, |c| {
            let delta = write_records(c, &m, records, method)?;
            meta::add_count(c, resource_id, delta)?;
            Ok(())
        });
        self.forget(resource_id);
        out
    }

    /// Deletes the rows matching CKAN `filters` (`{}` or `null` = all rows); the table stays.
    /// Returns the count deleted.
    pub fn delete_records(&self, resource_id: &str, filters: &Value) -> DatastoreResult<u64> {
        let m = self.meta_or_404(resource_id)?;
        let d = self.dialect();
        let mut p = Params::new(d);
        let mut sql = format!("DELETE FROM {}", table(d, resource_id));
        let parsed = filters::parse_for(&m, filters)?;
        if let Some(op) = &parsed {
            sql.push_str(" WHERE ");
            sql.push_str(&filters::clause(op, &m, &mut p)?);
        }
        let all = parsed.is_none();
        let out = self.with_tx(true, |c| {
            let n = c.exec(&sql, &p).map_err(|e| {
                if e.timeout || e.unavailable {
                    DatastoreError::from(e)
                } else {
                    DatastoreError::validation("filters", e.message)
                }
            })?;
            if all {
                meta::set_count(c, resource_id, 0)?;
            } else {
                meta::add_count(c, resource_id, -i64::try_from(n).unwrap_or(i64::MAX))?;
            }
            Ok(n)
        });
        self.forget(resource_id);
        out
    }
}
