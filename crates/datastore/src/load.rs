//! Bulk loads: rows go into a new table that replaces the resource's table in one transaction.

use std::io::Write;

use serde_json::Value;

use crate::Datastore;
use crate::db::Pool;
use crate::dialect::{fts_table, ident, table};
use crate::error::{DatastoreError, DatastoreResult};
use crate::exec::{DbErr, Exec};
use crate::guard::Dialect;
use crate::meta::{self, MetaField, TableMeta};
use crate::table::{
    create_fulltext, create_indexes, create_sql, doc_expr, fulltext_triggers, resolve_fields, sqlite_doc,
    sqlite_fts_triggers,
};
use crate::types::{FieldSpec, coerce_text};

const PROGRESS_EVERY: u64 = 10_000;

type Rows<'a> = &'a mut dyn Iterator<Item = Result<Vec<Option<String>>, DatastoreError>>;

fn load_error(e: DbErr) -> DatastoreError {
    if e.timeout || e.unavailable {
        return e.into();
    }
    DatastoreError::validation("records", e.message)
}

/// COPY text format escaping (the text copied in runs between the bytes to escape).
fn copy_escape(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped = match b {
            b'\\' => "\\\\",
            b'\t' => "\\t",
            b'\n' => "\\n",
            b'\r' => "\\r",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(escaped);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

fn width_error(n: u64, got: usize, want: usize) -> DatastoreError {
    DatastoreError::validation("records", format!("row {n} has {got} values, expected {want}"))
}

impl Datastore {
    /// Loads rows into a new table and swaps it in atomically in place of the resource's
    /// table (creating it if absent). A failure half-way leaves the previous table and its
    /// metadata untouched. `rows` yields text values (None = NULL) in `fields` order;
    /// `progress(rows_so_far)` is called every 10,000 rows. Returns the row count.
    pub fn load(
        &self,
        resource_id: &str,
        fields: &[FieldSpec],
        rows: Rows<'_>,
        progress: &mut dyn FnMut(u64),
    ) -> DatastoreResult<u64> {
        let specs: Vec<FieldSpec> = fields
            .iter()
            .map(|f| FieldSpec { type_: f.type_.clone().or_else(|| Some("text".into())), ..f.clone() })
            .collect();
        let new_fields = resolve_fields(&specs, &[], None)?;
        let old = self.meta(resource_id)?;
        let mut m =
            TableMeta { resource_id: resource_id.to_owned(), fields: new_fields, ..TableMeta::default() };
        if let Some(old) = &old {
            let ids: Vec<String> = m.fields.iter().map(|f| f.id.clone()).collect();
            let has = |f: &str| f == "_id" || ids.iter().any(|i| i == f);
            if old.primary_key.iter().all(|k| has(k)) {
                m.primary_key.clone_from(&old.primary_key);
            }
            m.indexes = old.indexes.iter().filter(|i| i.split(',').all(|f| has(f.trim()))).cloned().collect();
            m.aliases.clone_from(&old.aliases);
            for f in &mut m.fields {
                if f.info.is_none() {
                    f.info = old.field(&f.id).and_then(|o| o.info.clone());
                }
            }
        }
        let tmp = format!("{resource_id}__load");
        let out = match self.pool() {
            Pool::Postgres(pool) => {
                let mut client = crate::db::pg_get(pool, None)?;
                let mut tx = client.transaction().map_err(DbErr::from)?;
                let n = load_pg(&mut tx, &mut m, &tmp, rows, progress)?;
                tx.commit().map_err(DbErr::from)?;
                Ok(n)
            }
            Pool::Sqlite { pool, .. } => {
                let mut conn = pool.get()?;
                let mut tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(DbErr::from)?;
                let n = load_sqlite(&mut tx, &mut m, &tmp, rows, progress)?;
                tx.commit().map_err(DbErr::from)?;
                Ok(n)
            }
        };
        self.forget(resource_id);
        if out.is_ok() && m.full_text_pending.is_some() {
            self.queue_fill(resource_id);
        }
        out
    }
}

/// Swaps the loaded table in: the old one (and its full-text table) dropped, the new renamed.
fn swap(c: &mut dyn Exec, m: &mut TableMeta, tmp: &str, count: u64) -> DatastoreResult<()> {
    let d = c.dialect();
    let rid = m.resource_id.clone();
    c.batch(&format!("DROP TABLE IF EXISTS {}", table(d, &rid)))?;
    match d {
        Dialect::Postgres => {
            c.batch(&format!(
                "ALTER TABLE {} RENAME TO {}; ALTER INDEX IF EXISTS datastore.{} RENAME TO {}",
                table(d, tmp),
                ident(&rid),
                ident(&format!("{tmp}_ft")),
                ident(&format!("{rid}_ft"))
            ))?;
        }
        Dialect::Sqlite => {
            c.batch(&format!(
                "DROP TABLE IF EXISTS {}; ALTER TABLE {} RENAME TO {}; ALTER TABLE {} RENAME TO {}",
                fts_table(&rid),
                ident(tmp),
                ident(&rid),
                fts_table(tmp),
                fts_table(&rid)
            ))?;
            sqlite_fts_triggers(c, &rid, &m.fields)?;
        }
    }
    create_indexes(c, m)?;
    m.count = count;
    meta::save(c, m)?;
    Ok(())
}

fn load_pg(
    tx: &mut postgres::Transaction<'_>,
    m: &mut TableMeta,
    tmp: &str,
    rows: Rows<'_>,
    progress: &mut dyn FnMut(u64),
) -> DatastoreResult<u64> {
    let d = Dialect::Postgres;
    tx.batch_execute(&format!("DROP TABLE IF EXISTS {}", table(d, tmp))).map_err(DbErr::from)?;
    tx.batch_execute(&create_sql(d, tmp, &m.fields)).map_err(DbErr::from)?;
    let width = m.fields.len();
    let cols: Vec<String> = m.fields.iter().map(|f| ident(&f.id)).collect();
    let mut n = 0u64;
    if width > 0 {
        // FREEZE: the table was created in this transaction, so its rows can be written
        // frozen, sparing the first reads after the load from setting their hint bits.
        let sql = format!("COPY {} ({}) FROM STDIN WITH (FREEZE)", table(d, tmp), cols.join(", "));
        let mut writer = tx.copy_in(sql.as_str()).map_err(load_error_pg)?;
        let mut buf = String::with_capacity(1 << 17);
        for row in rows {
            let row = row?;
            n += 1;
            if row.len() != width {
                return Err(width_error(n, row.len(), width));
            }
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    buf.push('\t');
                }
                match v {
                    Some(s) => copy_escape(&mut buf, s),
                    None => buf.push_str("\\N"),
                }
            }
            buf.push('\n');
            if buf.len() >= 1 << 16 {
                writer.write_all(buf.as_bytes()).map_err(|e| copy_io(&e))?;
                buf.clear();
            }
            if n.is_multiple_of(PROGRESS_EVERY) {
                progress(n);
            }
        }
        writer.write_all(buf.as_bytes()).map_err(|e| copy_io(&e))?;
        writer.finish().map_err(load_error_pg)?;
    } else {
        for row in rows {
            row?;
            n += 1;
        }
    }
    if doc_expr(&m.fields, "").is_some() {
        // `_full_text` is filled afterwards, in the background (see `fulltext`); new rows
        // written meanwhile get theirs from the trigger.
        m.full_text_pending = Some(uuid::Uuid::new_v4().simple().to_string());
        fulltext_triggers(tx, tmp, &m.fields)?;
    } else {
        create_fulltext(tx, tmp, &m.fields, true)?;
    }
    swap(tx, m, tmp, n)?;
    Ok(n)
}

fn load_error_pg(e: postgres::Error) -> DatastoreError {
    load_error(DbErr::from(e))
}

/// An error writing COPY data: PostgreSQL's own message when it gave one.
fn copy_io(e: &std::io::Error) -> DatastoreError {
    DatastoreError::validation("records", e.to_string())
}

fn load_sqlite(
    tx: &mut rusqlite::Transaction<'_>,
    m: &mut TableMeta,
    tmp: &str,
    rows: Rows<'_>,
    progress: &mut dyn FnMut(u64),
) -> DatastoreResult<u64> {
    let d = Dialect::Sqlite;
    tx.execute_batch(&format!(
        "DROP TABLE IF EXISTS {}; DROP TABLE IF EXISTS {}",
        ident(tmp),
        fts_table(tmp)
    ))
    .map_err(DbErr::from)?;
    tx.execute_batch(&create_sql(d, tmp, &m.fields)).map_err(DbErr::from)?;
    let width = m.fields.len();
    let types: Vec<_> = m.fields.iter().map(MetaField::col_type).collect();
    let cols: Vec<String> = m.fields.iter().map(|f| ident(&f.id)).collect();
    let phs: Vec<String> = (1..=width).map(|i| format!("?{i}")).collect();
    let mut n = 0u64;
    {
        let sql = if width == 0 {
            format!("INSERT INTO {} DEFAULT VALUES", ident(tmp))
        } else {
            format!("INSERT INTO {} ({}) VALUES ({})", ident(tmp), cols.join(", "), phs.join(", "))
        };
        let mut stmt = tx.prepare(&sql).map_err(DbErr::from)?;
        let mut values: Vec<rusqlite::types::Value> = Vec::with_capacity(width);
        for row in rows {
            let row = row?;
            n += 1;
            if row.len() != width {
                return Err(width_error(n, row.len(), width));
            }
            values.clear();
            for (v, t) in row.into_iter().zip(&types) {
                let cell = match v {
                    None => crate::types::Cell::Null,
                    Some(s) => coerce_text(s, *t).map_err(|e| {
                        DatastoreError::validation_with("records", e, ("records_row", Value::from(n - 1)))
                    })?,
                };
                values.push(cell.into_sqlite());
            }
            stmt.execute(rusqlite::params_from_iter(values.iter()))
                .map_err(|e| load_error(DbErr::from(e)))?;
            if n.is_multiple_of(PROGRESS_EVERY) {
                progress(n);
            }
        }
    }
    create_fulltext(tx, tmp, &m.fields, false)?;
    tx.execute_batch(&format!(
        "INSERT INTO {}(rowid, doc) SELECT \"_id\", {} FROM {}",
        fts_table(tmp),
        sqlite_doc(&m.fields, ""),
        ident(tmp)
    ))
    .map_err(DbErr::from)?;
    swap(tx, m, tmp, n)?;
    Ok(n)
}
