//! SQL text for either database: quoting, placeholders and bound values.

use crate::guard::Dialect;
use crate::types::{Cell, ColType};

pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\"").replace('\0', ""))
}

/// The table a resource id names.
pub(crate) fn table(dialect: Dialect, resource_id: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("datastore.{}", ident(resource_id)),
        Dialect::Sqlite => ident(resource_id),
    }
}

/// The SQLite full-text table of a resource table.
pub(crate) fn fts_table(resource_id: &str) -> String {
    ident(&format!("{resource_id}__fts"))
}

/// Values bound to a statement being built.
#[derive(Debug, Clone)]
pub(crate) struct Params {
    pub dialect: Dialect,
    pub values: Vec<Cell>,
}

impl Params {
    pub(crate) fn new(dialect: Dialect) -> Self {
        Self { dialect, values: Vec::new() }
    }

    /// Adds a value for a column of type `t`; the placeholder expression to write.
    pub(crate) fn push(&mut self, cell: Cell, t: ColType) -> String {
        let n = self.values.len() + 1;
        match self.dialect {
            Dialect::Postgres => {
                let cell = if t.array { pg_array_cell(cell) } else { cell };
                self.values.push(cell);
                format!("${n}::text::{}", t.pg_type())
            }
            Dialect::Sqlite => {
                self.values.push(cell);
                format!("?{n}")
            }
        }
    }

    /// Adds a plain text value.
    pub(crate) fn push_text(&mut self, s: &str) -> String {
        let n = self.values.len() + 1;
        self.values.push(Cell::Text(s.to_owned()));
        match self.dialect {
            Dialect::Postgres => format!("${n}::text"),
            Dialect::Sqlite => format!("?{n}"),
        }
    }

    pub(crate) fn pg(&self) -> Vec<Option<String>> {
        self.values.iter().map(Cell::pg_text).collect()
    }

    pub(crate) fn sqlite(&self) -> Vec<rusqlite::types::Value> {
        self.values.iter().map(Cell::to_sqlite).collect()
    }
}

pub(crate) fn pg_refs(values: &[Option<String>]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn postgres::types::ToSql + Sync)).collect()
}

/// A JSON array text turned into a PostgreSQL array literal.
pub(crate) fn pg_array_cell(cell: Cell) -> Cell {
    match cell {
        Cell::Text(s) => match serde_json::from_str::<serde_json::Value>(&s) {
            Ok(serde_json::Value::Array(items)) => Cell::Text(pg_array_literal(&items)),
            _ => Cell::Text(s),
        },
        other => other,
    }
}

pub(crate) fn pg_array_literal(items: &[serde_json::Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|v| match v {
            serde_json::Value::Null => "NULL".to_owned(),
            serde_json::Value::String(s) => quote_array_item(s),
            other => quote_array_item(&other.to_string()),
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn quote_array_item(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
