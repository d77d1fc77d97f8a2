//! XLSX files: the first sheet, read whole by calamine.

use super::header::{self, SAMPLE_ROWS};
use super::values::{ColumnStats, Kind, Timestamp, normalise_number, parse_timestamp};
use super::{Analysis, IngestError, Place, Rows, Source, SourceFormat};
use calamine::{Data, ExcelDateTime, Range, Reader, Xlsx, XlsxError};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use std::path::Path;

fn open(path: &Path) -> Result<(String, Range<Data>), IngestError> {
    let mut workbook: Xlsx<_> = calamine::open_workbook(path).map_err(|e| match e {
        XlsxError::Io(io) => IngestError::Io(io),
        other => IngestError::NotXlsx(other.to_string()),
    })?;
    let Some(name) = workbook.sheet_names().into_iter().next() else {
        return Err(IngestError::NotXlsx("the workbook has no sheet".to_owned()));
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| IngestError::Sheet { sheet: name.clone(), reason: e.to_string() })?;
    Ok((name, range))
}

/// A cell as read for loading.
enum Cell<'a> {
    Empty,
    /// Trimmed, non-empty text, read by the text rules.
    Text(&'a str),
    /// A number (integers without `.0`).
    Number(String),
    Date(Timestamp),
    /// Only text: booleans, errors, times of day, durations.
    Other(String),
}

fn render_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f}") }
}

fn excel_date(dt: &ExcelDateTime) -> Option<Timestamp> {
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    let at = NaiveDateTime::new(
        NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(d))?,
        NaiveTime::from_hms_milli_opt(u32::from(h), u32::from(mi), u32::from(s), u32::from(ms))?,
    );
    Some(Timestamp { at, frac_digits: if ms == 0 { 0 } else { 3 } })
}

fn cell(data: &Data) -> Cell<'_> {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) => match s.trim() {
            "" => Cell::Empty,
            t => Cell::Text(t),
        },
        Data::Int(i) => Cell::Number(i.to_string()),
        Data::Float(f) if f.is_finite() => Cell::Number(render_float(*f)),
        Data::Float(f) => Cell::Other(f.to_string()),
        Data::Bool(b) => Cell::Other(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        Data::DateTime(dt) if dt.is_datetime() && dt.as_f64() >= 1.0 => match excel_date(dt) {
            Some(ts) => Cell::Date(ts),
            None => Cell::Other(dt.as_f64().to_string()),
        },
        Data::DateTime(dt) => {
            // A time of day or a duration: hours may exceed 24 for durations.
            let total_ms = (dt.as_f64() * 86_400_000.0).round() as i64;
            let secs = total_ms / 1000;
            let mut s = format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
            if total_ms % 1000 != 0 {
                s.push_str(&format!(".{:03}", total_ms % 1000));
            }
            Cell::Other(s)
        }
        Data::DurationIso(s) => Cell::Other(s.trim().to_owned()),
        Data::Error(e) => Cell::Other(e.to_string()),
    }
}

/// The sheet row (counted from 1) of the range's row `r`.
fn sheet_row(range: &Range<Data>, r: usize) -> u64 {
    range.start().map_or(0, |(row, _)| u64::from(row)) + r as u64 + 1
}

pub(super) fn analyse(path: &Path) -> Result<Analysis, IngestError> {
    let (name, range) = open(path)?;
    let (height, _) = range.get_size();
    let mut sample = Vec::new();
    let mut counts = Vec::new();
    for (r, row) in range.rows().enumerate() {
        if sample.len() == SAMPLE_ROWS {
            break;
        }
        let n = row.iter().filter(|c| !matches!(cell(c), Cell::Empty)).count();
        if n > 0 {
            sample.push(r);
            counts.push(n);
        }
    }
    let Some(&header_r) = sample.get(header::header_index(&counts)) else {
        return Err(if height == 0 { IngestError::EmptyFile } else { IngestError::NoHeader });
    };
    let header_cells: Vec<String> = range
        .rows()
        .nth(header_r)
        .unwrap_or_default()
        .iter()
        .map(|c| match cell(c) {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.to_owned(),
            Cell::Number(s) | Cell::Other(s) => s,
            Cell::Date(ts) => ts.write(),
        })
        .collect();
    let width = header::width(header_cells.iter().map(String::as_str));
    let cells: Vec<&str> = header_cells[..width].iter().map(String::as_str).collect();
    let ids = header::column_ids(&cells);
    let mut stats = vec![ColumnStats::default(); width];
    let mut rows = 0;
    for (r, row) in range.rows().enumerate().skip(header_r + 1) {
        let mut any = false;
        for (i, data) in row.iter().enumerate() {
            let value = cell(data);
            if matches!(value, Cell::Empty) {
                continue;
            }
            any = true;
            let Some(column) = stats.get_mut(i) else {
                return Err(IngestError::RaggedRow {
                    at: Place::SheetRow(sheet_row(&range, r)),
                    column: i + 1 + range.start().map_or(0, |(_, c)| c as usize),
                    columns: width,
                });
            };
            match value {
                Cell::Empty => {}
                Cell::Text(t) => column.text(t),
                Cell::Number(_) => column.number(),
                Cell::Date(_) => column.date(),
                Cell::Other(_) => column.other(),
            }
        }
        rows += u64::from(any);
    }
    let kinds: Vec<Kind> = stats.iter().map(|s| s.kind(false)).collect();
    Ok(Analysis {
        format: SourceFormat::Xlsx,
        columns: super::columns(ids, &kinds),
        rows,
        header_line: sheet_row(&range, header_r),
        kinds,
        source: Source::Sheet { name },
    })
}

pub(super) fn rows(path: &Path, sheet: &str, analysis: &Analysis) -> Result<Rows, IngestError> {
    let (name, range) = open(path)?;
    if name != sheet {
        return Err(IngestError::Sheet {
            sheet: sheet.to_owned(),
            reason: format!("the first sheet is now {name:?}"),
        });
    }
    let start = range.start().map_or(0, |(row, _)| u64::from(row)).min(analysis.header_line);
    let next = usize::try_from(analysis.header_line - start).unwrap_or(usize::MAX);
    Ok(Box::new(SheetRows {
        range,
        next,
        kinds: analysis.kinds.clone(),
        ids: analysis.columns.iter().map(|c| c.id.clone()).collect(),
        done: false,
    }))
}

struct SheetRows {
    range: Range<Data>,
    /// The range's next row.
    next: usize,
    kinds: Vec<Kind>,
    ids: Vec<String>,
    done: bool,
}

impl SheetRows {
    fn convert(&self, r: usize, row: &[Data]) -> Result<Option<Vec<Option<String>>>, IngestError> {
        let width = self.kinds.len();
        let mut out = Vec::with_capacity(width);
        let mut any = false;
        for (i, data) in row.iter().enumerate() {
            let value = cell(data);
            if i >= width {
                if !matches!(value, Cell::Empty) {
                    return Err(IngestError::RaggedRow {
                        at: Place::SheetRow(sheet_row(&self.range, r)),
                        column: i + 1 + self.range.start().map_or(0, |(_, c)| c as usize),
                        columns: width,
                    });
                }
                continue;
            }
            let kind = self.kinds[i];
            let written = match (value, kind) {
                (Cell::Empty, _) => {
                    out.push(None);
                    continue;
                }
                (Cell::Text(t), Kind::Text) => Some(t.to_owned()),
                (Cell::Text(t), Kind::Numeric { decimal_comma }) => normalise_number(t, decimal_comma),
                (Cell::Text(t), Kind::Timestamp) => parse_timestamp(t).map(|ts| ts.write()),
                (Cell::Number(n), Kind::Text | Kind::Numeric { .. }) => Some(n),
                (Cell::Date(ts), Kind::Text | Kind::Timestamp) => Some(ts.write()),
                (Cell::Other(s), Kind::Text) => Some(s),
                _ => None,
            };
            let Some(written) = written else {
                return Err(IngestError::TypeMismatch {
                    at: Place::SheetRow(sheet_row(&self.range, r)),
                    column: self.ids[i].clone(),
                    value: data.to_string(),
                    type_: kind.ckan_type(),
                });
            };
            any = true;
            out.push(Some(written));
        }
        if !any {
            return Ok(None);
        }
        out.resize(width, None);
        Ok(Some(out))
    }
}

impl Iterator for SheetRows {
    type Item = Result<Vec<Option<String>>, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let r = self.next;
            let Some(row) = self.range.rows().nth(r) else {
                self.done = true;
                break;
            };
            self.next += 1;
            match self.convert(r, row) {
                Ok(None) => {}
                Ok(Some(out)) => return Some(Ok(out)),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}
