//! `/datastore/dump`: rows streamed as CSV, TSV, JSON or XML, as CKAN's writers shape them.

use std::io::Write;

use serde_json::Value;

use crate::Datastore;
use crate::error::{DatastoreError, DatastoreResult};
use crate::search::cell_text;
use crate::types::{DumpFormat, RecordsFormat, Search};

fn io(e: std::io::Error) -> DatastoreError {
    DatastoreError::Internal(format!("dump: {e}"))
}

/// An XML element name made from a field id the way CKAN's writer does.
fn xml_name(id: &str, taken: &[String]) -> String {
    let mut s: String = id.trim_start_matches(|c: char| c.is_ascii_digit()).to_owned();
    if s.to_ascii_lowercase().starts_with("xml") {
        s = s[3..].trim_start_matches(|c: char| c.is_ascii_digit()).to_owned();
    }
    let s: String = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .collect();
    let base = s.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-').to_owned();
    let mut name = base.clone();
    let mut n = 0;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn xml_node(out: &mut String, name: &str, v: &Value, key: Option<String>) {
    let key_attr = key.map(|k| format!(" key=\"{}\"", xml_escape(&k))).unwrap_or_default();
    match v {
        Value::Null => out.push_str(&format!("<{name} xsi:nil=\"true\"{key_attr} />")),
        Value::Array(items) => {
            out.push_str(&format!("<{name}{key_attr}>"));
            for (i, item) in items.iter().enumerate() {
                xml_node(out, "value", item, Some(i.to_string()));
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}{key_attr}>"));
            for (k, item) in map {
                xml_node(out, "value", item, Some(k.clone()));
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Bool(b) => {
            out.push_str(&format!("<{name}{key_attr}>{}</{name}>", if *b { "True" } else { "False" }))
        }
        other => out.push_str(&format!("<{name}{key_attr}>{}</{name}>", xml_escape(&cell_text(other)))),
    }
}

impl Datastore {
    /// Streams the rows `search` selects to `out` as CSV, TSV, JSON or XML, the way CKAN's
    /// /datastore/dump does. `bom` prefixes a UTF-8 BOM.
    pub fn dump(
        &self,
        search: &Search,
        format: DumpFormat,
        bom: bool,
        out: &mut dyn Write,
    ) -> DatastoreResult<()> {
        let m = self.meta_read(&search.resource_id)?;
        let mut s = search.clone();
        s.records_format = RecordsFormat::Lists;
        let q = self.build_query(&m, &s)?;
        let ids: Vec<String> = q.cols.iter().map(|c| c.id.clone()).collect();
        if bom {
            out.write_all(b"\xEF\xBB\xBF").map_err(io)?;
        }
        match format {
            DumpFormat::Csv | DumpFormat::Tsv => {
                let delim = if format == DumpFormat::Csv { b',' } else { b'\t' };
                let mut w = csv::WriterBuilder::new().delimiter(delim).from_writer(&mut *out);
                w.write_record(&ids).map_err(|e| DatastoreError::Internal(e.to_string()))?;
                w.flush().map_err(io)?;
                drop(w);
                if !self.copy_csv(&q, delim, &mut *out)? {
                    let mut w = csv::WriterBuilder::new().delimiter(delim).from_writer(&mut *out);
                    self.for_each_text_row(&q, None, &mut |cells| {
                        w.write_record(cells.iter().map(|c| c.as_bytes()))
                            .map_err(|e| DatastoreError::Internal(e.to_string()))
                    })?;
                    w.flush().map_err(io)?;
                }
            }
            DumpFormat::Json => {
                let fields: Vec<Value> = q.cols.iter().map(crate::search::OutCol::field_json).collect();
                write!(out, "{{\n  \"fields\": {},\n  \"records\": [", Value::Array(fields)).map_err(io)?;
                let mut first = true;
                self.for_each_row(&q, &mut |r| {
                    out.write_all(if first { b"\n    " } else { b",\n    " }).map_err(io)?;
                    first = false;
                    serde_json::to_writer(&mut *out, &r).map_err(|e| DatastoreError::Internal(e.to_string()))
                })?;
                out.write_all(b"\n]}\n").map_err(io)?;
            }
            DumpFormat::Xml => {
                out.write_all(b"<data xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n")
                    .map_err(io)?;
                let id_col = ids.first().is_some_and(|i| i == "_id");
                let mut names: Vec<String> = Vec::new();
                for id in ids.iter().skip(usize::from(id_col)) {
                    let n = xml_name(id, &names);
                    names.push(n);
                }
                let mut buf = String::new();
                self.for_each_row(&q, &mut |r| {
                    buf.clear();
                    let mut values = r.iter();
                    if id_col {
                        let id = values.next().map(cell_text).unwrap_or_default();
                        buf.push_str(&format!("<row _id=\"{}\">", xml_escape(&id)));
                    } else {
                        buf.push_str("<row>");
                    }
                    for (name, v) in names.iter().zip(values) {
                        xml_node(&mut buf, name, v, None);
                    }
                    buf.push_str("</row>\n");
                    out.write_all(buf.as_bytes()).map_err(io)
                })?;
                out.write_all(b"</data>\n").map_err(io)?;
            }
        }
        out.flush().map_err(io)
    }
}
