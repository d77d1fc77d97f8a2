//! Creating, altering, describing and dropping resource tables.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::dialect::{Params, fts_table, ident, table};
use crate::error::{DatastoreError, DatastoreResult};
use crate::exec::Exec;
use crate::guard::Dialect;
use crate::meta::{self, MetaField, TableMeta};
use crate::types::Kind;
use crate::types::{
    ColType, CreateTable, FieldInfo, FieldSpec, TableInfo, WriteMethod, field_name_error, guess_type,
};
use crate::{Datastore, write};

/// The fields a create asks for, checked, with types resolved (guessed from the first record).
pub(crate) fn resolve_fields(
    specs: &[FieldSpec],
    records: &[Map<String, Value>],
    existing: Option<&TableMeta>,
) -> DatastoreResult<Vec<MetaField>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for f in specs {
        if let Some(t) = &f.type_
            && ColType::parse(t).is_none()
        {
            return Err(DatastoreError::validation("fields", format!("\"{t}\" is not a valid field type")));
        }
        if let Some(msg) = field_name_error(&f.id) {
            return Err(DatastoreError::validation("fields", msg));
        }
        if f.id.chars().count() > 63 {
            errors.push(format!("Column heading \"{}\" exceeds limit of 63 characters.", f.id));
        }
    }
    if !errors.is_empty() {
        let mut m = Map::new();
        m.insert("fields".into(), Value::from(errors));
        return Err(DatastoreError::Validation(m));
    }
    let first = records.first();
    for f in specs {
        let known = existing.and_then(|m| m.field(&f.id));
        let type_ = match (&f.type_, known) {
            (_, Some(k)) => k.type_.clone(),
            (Some(t), None) => ColType::parse(t).map(ColType::name).unwrap_or_default(),
            (None, None) => match first.and_then(|r| r.get(&f.id)) {
                Some(v) => guess_type(v).name(),
                None => {
                    return Err(DatastoreError::validation(
                        "fields",
                        format!("\"{}\" type not guessable", f.id),
                    ));
                }
            },
        };
        let info = f.info.clone().or_else(|| known.and_then(|k| k.info.clone()));
        out.push(MetaField { id: f.id.clone(), type_, info });
    }
    let ids: HashSet<&str> = out.iter().map(|f| f.id.as_str()).collect();
    if ids.len() != out.len() {
        return Err(DatastoreError::validation("field", "Duplicate column names are not supported"));
    }
    let mut extra = Vec::new();
    if let Some(r) = first {
        for (k, v) in r {
            if !ids.contains(k.as_str()) && existing.and_then(|m| m.field(k)).is_none() {
                if let Some(msg) = field_name_error(k) {
                    return Err(DatastoreError::validation("fields", msg));
                }
                extra.push(MetaField { id: k.clone(), type_: guess_type(v).name(), info: None });
            }
        }
    }
    out.extend(extra);
    Ok(out)
}

pub(crate) fn create_sql(d: Dialect, rid: &str, fields: &[MetaField]) -> String {
    let mut cols = Vec::new();
    match d {
        Dialect::Postgres => {
            cols.push("\"_id\" serial PRIMARY KEY".to_owned());
            cols.push("\"_full_text\" tsvector".to_owned());
            for f in fields {
                cols.push(format!("{} {}", ident(&f.id), f.col_type().pg_type()));
            }
        }
        Dialect::Sqlite => {
            cols.push("\"_id\" INTEGER PRIMARY KEY".to_owned());
            for f in fields {
                cols.push(format!("{} {}", ident(&f.id), f.col_type().sqlite_type()));
            }
        }
    }
    format!("CREATE TABLE {} ({})", table(d, rid), cols.join(", "))
}

/// The fields whose words go into the full-text index: text and JSON ones (arrays too).
pub(crate) fn text_fields(fields: &[MetaField]) -> Vec<&MetaField> {
    fields.iter().filter(|f| matches!(f.col_type().kind, Kind::Text | Kind::Json)).collect()
}

/// The full-text machinery of a new table (PostgreSQL: GIN index; SQLite: FTS5 table), with
/// the triggers keeping it current when `triggers` (a load adds them after its rows).
pub(crate) fn create_fulltext(
    c: &mut dyn Exec,
    rid: &str,
    fields: &[MetaField],
    triggers: bool,
) -> DatastoreResult<()> {
    match c.dialect() {
        Dialect::Postgres => {
            c.batch(&format!(
                "CREATE INDEX {} ON {} USING gin (\"_full_text\")",
                ident(&format!("{rid}_ft")),
                table(Dialect::Postgres, rid)
            ))?;
        }
        Dialect::Sqlite => {
            c.batch(&format!(
                "CREATE VIRTUAL TABLE {} USING fts5(doc, tokenize = 'porter unicode61 remove_diacritics 2')",
                fts_table(rid)
            ))?;
        }
    }
    if triggers {
        fulltext_triggers(c, rid, fields)?;
    }
    Ok(())
}

/// (Re)creates the triggers that keep the full text of written rows current.
pub(crate) fn fulltext_triggers(c: &mut dyn Exec, rid: &str, fields: &[MetaField]) -> DatastoreResult<()> {
    match c.dialect() {
        Dialect::Postgres => {
            let t = table(Dialect::Postgres, rid);
            let args: Vec<String> =
                text_fields(fields).iter().map(|f| format!("'{}'", f.id.replace('\'', "''"))).collect();
            c.batch(&format!(
                "DROP TRIGGER IF EXISTS zfulltext ON {t};
                 CREATE TRIGGER zfulltext BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW \
                 EXECUTE PROCEDURE datastore.populate_full_text({})",
                args.join(", ")
            ))?;
            Ok(())
        }
        Dialect::Sqlite => sqlite_fts_triggers(c, rid, fields),
    }
}

/// The text of a row for the full-text index, as an SQL expression over its columns.
pub(crate) fn doc_expr(fields: &[MetaField], prefix: &str) -> Option<String> {
    let cols: Vec<String> = text_fields(fields).iter().map(|f| format!("{prefix}{}", ident(&f.id))).collect();
    if cols.is_empty() { None } else { Some(format!("concat_ws(' ', {})", cols.join(", "))) }
}

pub(crate) fn sqlite_doc(fields: &[MetaField], prefix: &str) -> String {
    doc_expr(fields, prefix).unwrap_or_else(|| "''".to_owned())
}

/// (Re)creates the SQLite triggers keeping the FTS5 table in step with the rows.
pub(crate) fn sqlite_fts_triggers(c: &mut dyn Exec, rid: &str, fields: &[MetaField]) -> DatastoreResult<()> {
    let t = ident(rid);
    let fts = fts_table(rid);
    let doc = sqlite_doc(fields, "new.");
    let (ai, ad, au) = (
        ident(&format!("{rid}__fts_ai")),
        ident(&format!("{rid}__fts_ad")),
        ident(&format!("{rid}__fts_au")),
    );
    c.batch(&format!(
        "DROP TRIGGER IF EXISTS {ai}; DROP TRIGGER IF EXISTS {ad}; DROP TRIGGER IF EXISTS {au};
         CREATE TRIGGER {ai} AFTER INSERT ON {t} BEGIN INSERT INTO {fts}(rowid, doc) VALUES (new.\"_id\", {doc}); END;
         CREATE TRIGGER {ad} AFTER DELETE ON {t} BEGIN DELETE FROM {fts} WHERE rowid = old.\"_id\"; END;
         CREATE TRIGGER {au} AFTER UPDATE ON {t} BEGIN DELETE FROM {fts} WHERE rowid = old.\"_id\";
           INSERT INTO {fts}(rowid, doc) VALUES (new.\"_id\", {doc}); END;"
    ))?;
    Ok(())
}

fn index_name(rid: &str, n: Option<usize>) -> String {
    match n {
        None => format!("{rid}_pk"),
        Some(n) => format!("{rid}_i{n}"),
    }
}

fn index_fields(index: &str) -> Vec<String> {
    index.split(',').map(|s| s.trim().trim_matches('"').to_owned()).filter(|s| !s.is_empty()).collect()
}

pub(crate) fn drop_indexes(c: &mut dyn Exec, m: &TableMeta) -> DatastoreResult<()> {
    let d = c.dialect();
    let schema = if d == Dialect::Postgres { "datastore." } else { "" };
    let mut names = vec![index_name(&m.resource_id, None)];
    names.extend((0..m.indexes.len()).map(|n| index_name(&m.resource_id, Some(n))));
    for name in names {
        c.batch(&format!("DROP INDEX IF EXISTS {schema}{}", ident(&name)))?;
    }
    Ok(())
}

/// Creates the unique index of the primary key and the plain indexes the metadata lists.
pub(crate) fn create_indexes(c: &mut dyn Exec, m: &TableMeta) -> DatastoreResult<()> {
    let d = c.dialect();
    let t = table(d, &m.resource_id);
    let check = |fields: &[String], shown: &str| -> DatastoreResult<()> {
        for f in fields {
            if f != "_id" && m.field(f).is_none() {
                return Err(DatastoreError::validation(
                    "index",
                    format!("The field \"{shown}\" is not a valid column name."),
                ));
            }
        }
        Ok(())
    };
    if !m.primary_key.is_empty() {
        check(&m.primary_key, &m.primary_key.join(","))?;
        let cols: Vec<String> = m.primary_key.iter().map(|f| ident(f)).collect();
        let name = ident(&index_name(&m.resource_id, None));
        c.batch(&format!("CREATE UNIQUE INDEX {name} ON {t} ({})", cols.join(", "))).map_err(|e| {
            if e.unique_violation { unique_error(&e.message) } else { DatastoreError::from(e) }
        })?;
    }
    for (n, index) in m.indexes.iter().enumerate() {
        let fields = index_fields(index);
        if fields.is_empty() {
            continue;
        }
        check(&fields, index)?;
        let cols: Vec<String> = fields.iter().map(|f| ident(f)).collect();
        let name = ident(&index_name(&m.resource_id, Some(n)));
        c.batch(&format!("CREATE INDEX {name} ON {t} ({})", cols.join(", ")))?;
    }
    Ok(())
}

pub(crate) fn unique_error(orig: &str) -> DatastoreError {
    DatastoreError::validation_with(
        "constraints",
        "Cannot insert records or create index because of uniqueness constraint",
        ("info", serde_json::json!({"orig": orig, "pgcode": "23505"})),
    )
}

impl Datastore {
    pub fn create(&self, spec: &CreateTable) -> DatastoreResult<TableInfo> {
        let rid = spec.resource_id.as_str();
        if rid.is_empty() || rid.starts_with('_') || rid.contains('"') || rid.contains('%') {
            return Err(DatastoreError::validation(
                "resource_id",
                format!("\"{rid}\" is not a valid table name"),
            ));
        }
        let existing = self.meta(rid)?;
        let fields = resolve_fields(&spec.fields, &spec.records, existing.as_deref())?;
        for k in &spec.primary_key {
            if k != "_id"
                && !fields.iter().any(|f| &f.id == k)
                && existing.as_ref().and_then(|m| m.field(k)).is_none()
            {
                return Err(DatastoreError::validation(
                    "index",
                    format!("The field \"{}\" is not a valid column name.", spec.primary_key.join(",")),
                ));
            }
        }
        let d = self.dialect();
        let result = self.with_tx(true, |c| {
            let current = meta::load(c, rid)?;
            let (mut m, mut rebuild) = match current {
                None => {
                    c.batch(&create_sql(d, rid, &fields))?;
                    create_fulltext(c, rid, &fields, true)?;
                    (
                        TableMeta {
                            resource_id: rid.to_owned(),
                            fields: fields.clone(),
                            ..TableMeta::default()
                        },
                        true,
                    )
                }
                Some(old) => alter(c, old, &fields, spec)?,
            };
            let old_keys = (m.primary_key.clone(), m.indexes.clone());
            if !spec.primary_key.is_empty() {
                m.primary_key.clone_from(&spec.primary_key);
            }
            if !spec.indexes.is_empty() {
                m.indexes.clone_from(&spec.indexes);
            }
            rebuild |= (m.primary_key.clone(), m.indexes.clone()) != old_keys;
            if rebuild {
                let old = TableMeta { primary_key: old_keys.0, indexes: old_keys.1, ..m.clone() };
                drop_indexes(c, &old)?;
                create_indexes(c, &m)?;
            }
            if !spec.aliases.is_empty() {
                meta::set_aliases(c, rid, &spec.aliases)?;
                m.aliases.clone_from(&spec.aliases);
            }
            meta::save(c, &m)?;
            if !spec.records.is_empty() {
                let added = write::write_records(c, &m, &spec.records, WriteMethod::Insert)?;
                meta::add_count(c, rid, added)?;
            }
            Ok(())
        });
        self.forget(rid);
        result?;
        self.info(rid)?.ok_or_else(|| DatastoreError::NotFound(rid.to_owned()))
    }

    /// Drops the table, its aliases and metadata. false when there was none.
    pub fn drop_table(&self, resource_id: &str) -> DatastoreResult<bool> {
        let d = self.dialect();
        let out = self.with_tx(true, |c| {
            if meta::load(c, resource_id)?.is_none() {
                return Ok(false);
            }
            c.batch(&format!("DROP TABLE IF EXISTS {}", table(d, resource_id)))?;
            if d == Dialect::Sqlite {
                c.batch(&format!("DROP TABLE IF EXISTS {}", fts_table(resource_id)))?;
            }
            meta::delete(c, resource_id)?;
            Datastore::forget_load(c, resource_id)?;
            Ok(true)
        });
        self.forget(resource_id);
        out
    }

    /// The resources that have a table (`datahavn check`).
    pub fn table_resource_ids(&self) -> DatastoreResult<Vec<String>> {
        self.with_conn(meta::all)
    }

    pub fn info(&self, resource_id: &str) -> DatastoreResult<Option<TableInfo>> {
        let Some(m) = self.meta(resource_id)? else { return Ok(None) };
        let d = self.dialect();
        let t = table(d, resource_id);
        let (count, size, idx_size, db_size) = self.with_conn(|c| {
            let count = first_u64(c, &format!("SELECT CAST(count(*) AS TEXT) FROM {t}"));
            let sizes = match d {
                Dialect::Postgres => {
                    let mut p = Params::new(d);
                    let ph = p.push_text(&format!("datastore.{}", ident(resource_id)));
                    let sql = format!(
                        "SELECT pg_table_size({ph}::regclass)::text, pg_indexes_size({ph}::regclass)::text, \
                         pg_database_size(current_database())::text"
                    );
                    let rows = c.rows(&sql, &p).unwrap_or_default();
                    let get = |i: usize| {
                        rows.first().and_then(|r| r.get(i).cloned().flatten()).and_then(|s| s.parse().ok()).unwrap_or(0)
                    };
                    (get(0), get(1), get(2))
                }
                Dialect::Sqlite => {
                    let mut p = Params::new(d);
                    let ph = p.push_text(resource_id);
                    let size = c
                        .rows(&format!("SELECT CAST(coalesce(sum(pgsize), 0) AS TEXT) FROM dbstat WHERE name = {ph}"), &p)
                        .ok()
                        .and_then(|r| r.first().and_then(|r| r.first().cloned().flatten()))
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    let mut p = Params::new(d);
                    let like = p.push_text(&format!("{resource_id}_%"));
                    let idx = c
                        .rows(
                            &format!(
                                "SELECT CAST(coalesce(sum(pgsize), 0) AS TEXT) FROM dbstat WHERE name IN \
                                 (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = {like})"
                            )
                            .replace(&format!("tbl_name = {like}"), &format!("name LIKE {like}")),
                            &p,
                        )
                        .ok()
                        .and_then(|r| r.first().and_then(|r| r.first().cloned().flatten()))
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    let db = first_u64(
                        c,
                        "SELECT CAST(page_count * page_size AS TEXT) FROM pragma_page_count(), pragma_page_size()",
                    );
                    (size, idx, db)
                }
            };
            Ok((count, sizes.0, sizes.1, sizes.2))
        })?;
        let mut fields = Vec::new();
        for f in &m.fields {
            let t = f.col_type();
            let pk_single = m.primary_key.len() == 1 && m.primary_key[0] == f.id;
            let index_no = m.indexes.iter().position(|i| index_fields(i) == [f.id.clone()]);
            fields.push(FieldInfo {
                id: f.id.clone(),
                type_: f.type_.clone(),
                info: f.info.clone(),
                native_type: match d {
                    Dialect::Postgres => t.pg_type(),
                    Dialect::Sqlite => t.sqlite_type().to_owned(),
                },
                is_index: pk_single || index_no.is_some(),
                notnull: false,
                uniquekey: pk_single,
                index_name: if pk_single {
                    Some(index_name(resource_id, None))
                } else {
                    index_no.map(|n| index_name(resource_id, Some(n)))
                },
            });
        }
        Ok(Some(TableInfo {
            resource_id: resource_id.to_owned(),
            fields,
            primary_key: m.primary_key.clone(),
            indexes: m.indexes.clone(),
            aliases: m.aliases.clone(),
            count,
            size,
            idx_size,
            db_size,
        }))
    }
}

fn first_u64(c: &mut dyn Exec, sql: &str) -> u64 {
    c.rows(sql, &Params::new(c.dialect()))
        .ok()
        .and_then(|r| r.first().and_then(|r| r.first().cloned().flatten()))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Adds the new fields of a re-create (dropping the unlisted ones with `delete_fields`).
/// The new metadata, and whether the indexes were dropped (and must be made again).
fn alter(
    c: &mut dyn Exec,
    mut m: TableMeta,
    fields: &[MetaField],
    spec: &CreateTable,
) -> DatastoreResult<(TableMeta, bool)> {
    let d = c.dialect();
    let t = table(d, &m.resource_id);
    let mut changed = false;
    let mut dropped = false;
    let wanted: HashSet<&str> = fields.iter().map(|f| f.id.as_str()).collect();
    if spec.delete_fields && !spec.fields.is_empty() {
        let gone: Vec<String> =
            m.fields.iter().filter(|f| !wanted.contains(f.id.as_str())).map(|f| f.id.clone()).collect();
        if !gone.is_empty() {
            drop_indexes(c, &m)?;
            if d == Dialect::Sqlite {
                let rid = &m.resource_id;
                for suffix in ["ai", "ad", "au"] {
                    c.batch(&format!("DROP TRIGGER IF EXISTS {}", ident(&format!("{rid}__fts_{suffix}"))))?;
                }
            }
            m.primary_key.retain(|k| !gone.contains(k));
            m.indexes.retain(|i| index_fields(i).iter().all(|f| !gone.contains(f)));
            for g in &gone {
                c.batch(&format!("ALTER TABLE {t} DROP COLUMN {}", ident(g)))?;
            }
            m.fields.retain(|f| !gone.contains(&f.id));
            changed = true;
            dropped = true;
        }
    }
    for f in fields {
        match m.fields.iter_mut().find(|e| e.id == f.id) {
            Some(e) => {
                if f.info.is_some() {
                    e.info.clone_from(&f.info);
                }
            }
            None => {
                let ty = match d {
                    Dialect::Postgres => f.col_type().pg_type(),
                    Dialect::Sqlite => f.col_type().sqlite_type().to_owned(),
                };
                c.batch(&format!("ALTER TABLE {t} ADD COLUMN {} {ty}", ident(&f.id)))?;
                m.fields.push(f.clone());
                changed = true;
            }
        }
    }
    if changed || dropped {
        fulltext_triggers(c, &m.resource_id, &m.fields)?;
    }
    Ok((m, dropped))
}
