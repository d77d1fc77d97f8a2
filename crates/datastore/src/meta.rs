//! The metadata table: fields with CKAN types and info, keys, indexes, aliases, row count.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::{ALIAS, META};
use crate::dialect::Params;
use crate::error::{DatastoreError, DatastoreResult};
use crate::exec::Exec;
use crate::guard::Dialect;
use crate::types::ColType;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MetaField {
    pub id: String,
    /// The canonical CKAN type name (`int4`, `text`, `_text`...).
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<Value>,
}

impl MetaField {
    pub(crate) fn col_type(&self) -> ColType {
        ColType::parse(&self.type_).unwrap_or(ColType { kind: crate::types::Kind::Text, array: false })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct TableMeta {
    #[serde(skip)]
    pub resource_id: String,
    pub fields: Vec<MetaField>,
    #[serde(default)]
    pub primary_key: Vec<String>,
    #[serde(default)]
    pub indexes: Vec<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// PostgreSQL: set by a load (a token of its own) while the rows' `_full_text` is still
    /// being filled in the background; searches compute the vector of rows not yet filled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_text_pending: Option<String>,
    #[serde(skip)]
    pub count: u64,
}

impl TableMeta {
    pub(crate) fn field(&self, id: &str) -> Option<&MetaField> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The type of a column, `_id` included.
    pub(crate) fn col_type(&self, id: &str) -> Option<ColType> {
        if id == "_id" {
            return Some(ColType { kind: crate::types::Kind::Int4, array: false });
        }
        self.field(id).map(MetaField::col_type)
    }
}

fn meta_table(d: Dialect) -> String {
    match d {
        Dialect::Postgres => format!("datastore.{META}"),
        Dialect::Sqlite => META.to_owned(),
    }
}

fn alias_table(d: Dialect) -> String {
    match d {
        Dialect::Postgres => format!("datastore.{ALIAS}"),
        Dialect::Sqlite => ALIAS.to_owned(),
    }
}

pub(crate) fn load(c: &mut dyn Exec, resource_id: &str) -> DatastoreResult<Option<TableMeta>> {
    let d = c.dialect();
    let mut p = Params::new(d);
    let ph = p.push_text(resource_id);
    let sql = format!("SELECT meta, CAST(row_count AS TEXT) FROM {} WHERE resource_id = {ph}", meta_table(d));
    let rows = c.rows(&sql, &p)?;
    let Some(row) = rows.into_iter().next() else { return Ok(None) };
    let text = row.first().cloned().flatten().unwrap_or_default();
    let mut m: TableMeta = serde_json::from_str(&text)
        .map_err(|e| DatastoreError::Internal(format!("metadata of {resource_id}: {e}")))?;
    m.resource_id = resource_id.to_owned();
    m.count = row.get(1).cloned().flatten().and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok(Some(m))
}

pub(crate) fn save(c: &mut dyn Exec, m: &TableMeta) -> DatastoreResult<()> {
    let d = c.dialect();
    let text = serde_json::to_string(m).map_err(|e| DatastoreError::Internal(e.to_string()))?;
    let mut p = Params::new(d);
    let rid = p.push_text(&m.resource_id);
    let meta = p.push_text(&text);
    let count = p.push_text(&m.count.to_string());
    let count = match d {
        Dialect::Postgres => format!("{count}::bigint"),
        Dialect::Sqlite => format!("CAST({count} AS INTEGER)"),
    };
    let sql = format!(
        "INSERT INTO {} (resource_id, meta, row_count) VALUES ({rid}, {meta}, {count}) \
         ON CONFLICT (resource_id) DO UPDATE SET meta = excluded.meta, row_count = excluded.row_count",
        meta_table(d)
    );
    c.exec(&sql, &p)?;
    Ok(())
}

/// Adds `delta` to the stored row count.
pub(crate) fn add_count(c: &mut dyn Exec, resource_id: &str, delta: i64) -> DatastoreResult<()> {
    if delta == 0 {
        return Ok(());
    }
    let d = c.dialect();
    let mut p = Params::new(d);
    let rid = p.push_text(resource_id);
    let sql = format!(
        "UPDATE {} SET row_count = MAX_FN(row_count + ({delta}), 0) WHERE resource_id = {rid}",
        meta_table(d)
    )
    .replace("MAX_FN", if d == Dialect::Postgres { "GREATEST" } else { "MAX" });
    c.exec(&sql, &p)?;
    Ok(())
}

/// Sets the stored row count.
pub(crate) fn set_count(c: &mut dyn Exec, resource_id: &str, count: u64) -> DatastoreResult<()> {
    let d = c.dialect();
    let mut p = Params::new(d);
    let rid = p.push_text(resource_id);
    let sql = format!("UPDATE {} SET row_count = {count} WHERE resource_id = {rid}", meta_table(d));
    c.exec(&sql, &p)?;
    Ok(())
}

pub(crate) fn delete(c: &mut dyn Exec, resource_id: &str) -> DatastoreResult<()> {
    let d = c.dialect();
    for table in [meta_table(d), alias_table(d)] {
        let mut p = Params::new(d);
        let rid = p.push_text(resource_id);
        c.exec(&format!("DELETE FROM {table} WHERE resource_id = {rid}"), &p)?;
    }
    Ok(())
}

pub(crate) fn alias_target(c: &mut dyn Exec, name: &str) -> DatastoreResult<Option<String>> {
    let d = c.dialect();
    let mut p = Params::new(d);
    let ph = p.push_text(name);
    let rows = c.rows(&format!("SELECT resource_id FROM {} WHERE name = {ph}", alias_table(d)), &p)?;
    Ok(rows.into_iter().next().and_then(|r| r.into_iter().next().flatten()))
}

/// Replaces the aliases of a table, with CKAN's checks.
pub(crate) fn set_aliases(c: &mut dyn Exec, resource_id: &str, aliases: &[String]) -> DatastoreResult<()> {
    let d = c.dialect();
    let mut p = Params::new(d);
    let rid = p.push_text(resource_id);
    c.exec(&format!("DELETE FROM {} WHERE resource_id = {rid}", alias_table(d)), &p)?;
    for alias in aliases {
        if alias.is_empty() || alias.contains('%') || crate::types::field_name_error(alias).is_some() {
            return Err(DatastoreError::validation(
                "alias",
                format!("\"{alias}\" is not a valid alias name"),
            ));
        }
        if alias == resource_id || load(c, alias)?.is_some() {
            return Err(DatastoreError::validation("alias", format!("\"{alias}\" already exists")));
        }
        if alias_target(c, alias)?.is_some() {
            return Err(DatastoreError::validation(
                "alias",
                format!("The alias \"{alias}\" already exists."),
            ));
        }
        let mut p = Params::new(d);
        let name = p.push_text(alias);
        let rid = p.push_text(resource_id);
        c.exec(&format!("INSERT INTO {} (name, resource_id) VALUES ({name}, {rid})", alias_table(d)), &p)?;
    }
    Ok(())
}

/// Every resource that has a table.
pub(crate) fn all(c: &mut dyn Exec) -> DatastoreResult<Vec<String>> {
    let d = c.dialect();
    let sql = format!("SELECT resource_id FROM {} ORDER BY resource_id", meta_table(d));
    let rows = c.rows(&sql, &Params::new(d))?;
    Ok(rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
}

/// The tables whose full text is still being filled (PostgreSQL).
pub(crate) fn full_text_pending(c: &mut dyn Exec) -> DatastoreResult<Vec<String>> {
    let d = c.dialect();
    let sql = format!("SELECT resource_id FROM {} WHERE meta LIKE '%\"full_text_pending\"%'", meta_table(d));
    let rows = c.rows(&sql, &Params::new(d))?;
    Ok(rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
}
