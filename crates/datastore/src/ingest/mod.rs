//! Reading CSV, TSV and XLSX files for loading: encoding and delimiter detection, column types
//! inferred over the whole file.
//!
//! Two passes, as ckanext-xloader does before loading rows into a DataStore table:
//! [`analyse`] reads the whole file once to find its encoding, delimiter, header row and the
//! type of every column; [`rows`] reads it again and yields the data rows, one value per column,
//! normalised to the column's type.
//!
//! # Rules
//!
//! **Encoding** (CSV/TSV): a byte order mark decides (UTF-8, UTF-16LE, UTF-16BE). Without one the
//! file is read as UTF-8, and if any byte sequence anywhere in the file is not UTF-8 the whole
//! file is read as Windows-1252 (the WHATWG superset of ISO-8859-1, which is what
//! ckanext-xloader falls back to as well).
//!
//! **Delimiter** (CSV): `,` `;` tab or `|`, whichever appears the same number of times (outside
//! quotes) on most of the first 50 lines; ties go to the one that appears more often per line,
//! then in that order. TSV files always use tab. Quotes are `"`, doubled inside a quoted field.
//!
//! **Header row**: as xloader (messytables' `headers_guess`): among the first 100 non-blank rows,
//! the first one with at least as many non-empty cells as the most common count minus one. For
//! an ordinary file this is the first non-blank row; title lines above a table are skipped.
//!
//! **Column ids**: each header cell is trimmed. Trailing empty header cells make no column (as in
//! xloader); an empty header cell before a named one becomes `field_<n>`, `n` being the column's
//! position counted from 1. Ids are made valid for the DataStore: leading `_` and any `"` or
//! control characters are removed and the id is cut to 63 bytes (PostgreSQL's limit) at a
//! character boundary. Repeated ids (compared case-insensitively, as SQLite does) get `_2`,
//! `_3`… — skipping any id that another header already has. Headers keep their letters (xloader
//! transliterates them to ASCII; the DataStore accepts `æøå`).
//!
//! **Cells** are trimmed of white space (xloader's default `strip_extra_white`); a cell that is
//! then empty is `None`. Fully blank rows are skipped. A row with fewer cells than the header is
//! padded with `None`; a non-empty cell to the right of the last column is an error naming the
//! line (xloader: "Found data in column N but resource only has M header(s)").
//!
//! **Types**, over every non-empty cell of the column (a column without any is `text`):
//! - `numeric` if every value is `[+-]?digits[.digits]` with no leading zero (`0`, `0.5` and `-0.5`
//!   are fine; `007` keeps the whole column `text`, since a number would lose the zeros). No
//!   exponents, no thousands separators, no `NaN`/`inf`. Written as plain decimal text without
//!   the `+`.
//! - **decimal comma**: in a `;`-delimited file a column is also `numeric` if every value is
//!   `[+-]?digits[,digits]` (same leading-zero rule) and at least one has the comma; the comma
//!   becomes `.`. A column mixing `1.5` and `1,5` is `text`.
//! - `timestamp` if every value is an ISO 8601 date or date-time: `YYYY-MM-DD`, then optionally
//!   `T` or a space, `HH:MM`, `:SS`, a fraction `.f` (up to 9 digits), and `Z` or an offset
//!   `±HH[:MM]`. Written as `YYYY-MM-DDTHH:MM:SS[.f]`, converted to UTC when an offset is given;
//!   a date alone is midnight.
//! - `text` otherwise (booleans included: the DataStore has no boolean from xloader).
//!
//! **XLSX**: the first sheet, through calamine, which reads a sheet into memory whole (CSV and TSV
//! are streamed). Cells holding numbers are numeric (integers without `.0`), cells formatted as
//! dates are timestamps (to the millisecond), formulas give their cached values, text cells
//! follow the text rules above; booleans (`TRUE`/`FALSE`), error values (`#N/A`), time-of-day
//! and duration cells make a column text.

mod decode;
mod delimited;
mod header;
mod sheet;
mod values;

use std::fmt;
use std::io::Read;
use std::path::Path;

pub use values::Kind;

/// The kinds of files read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Csv,
    Tsv,
    Xlsx,
}

/// One column of the table to create: its DataStore id and CKAN type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub id: String,
    /// `"text"`, `"numeric"` or `"timestamp"`.
    pub type_: &'static str,
}

/// What the first pass found.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub format: SourceFormat,
    pub columns: Vec<Column>,
    /// Data rows (blank rows not counted).
    pub rows: u64,
    kinds: Vec<Kind>,
    header_line: u64,
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    Delimited(delimited::Layout),
    Sheet { name: String },
}

impl Analysis {
    /// How each column's values are read (numeric with decimal comma, etc.), in column order.
    pub fn kinds(&self) -> &[Kind] {
        &self.kinds
    }

    /// The line (CSV/TSV) or sheet row (XLSX) of the header, counted from 1.
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// The text encoding found (CSV/TSV): `"UTF-8"`, `"windows-1252"`, `"UTF-16LE"`, `"UTF-16BE"`.
    pub fn encoding(&self) -> Option<&'static str> {
        match &self.source {
            Source::Delimited(layout) => Some(layout.encoding.name()),
            Source::Sheet { .. } => None,
        }
    }

    /// The delimiter found (CSV/TSV).
    pub fn delimiter(&self) -> Option<char> {
        match &self.source {
            Source::Delimited(layout) => Some(char::from(layout.delimiter)),
            Source::Sheet { .. } => None,
        }
    }

    /// The sheet read (XLSX).
    pub fn sheet(&self) -> Option<&str> {
        match &self.source {
            Source::Delimited(_) => None,
            Source::Sheet { name } => Some(name),
        }
    }
}

/// Where in the file something was found, counted from 1 as a spreadsheet user counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A line of a CSV or TSV file (a quoted value spanning lines counts from its first line).
    Line(u64),
    /// A row of the sheet of an XLSX file.
    SheetRow(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(n) => write!(f, "line {n}"),
            Place::SheetRow(n) => write!(f, "row {n}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is empty")]
    EmptyFile,
    #[error("no header row: every row of the file is blank")]
    NoHeader,
    #[error("unsupported file format: {0}")]
    UnsupportedFormat(String),
    #[error("not an XLSX file: {0}")]
    NotXlsx(String),
    #[error("cannot read sheet {sheet:?} of the XLSX file: {reason}")]
    Sheet { sheet: String, reason: String },
    #[error("{at}: column {column} has a value but the header has only {columns} columns")]
    RaggedRow { at: Place, column: usize, columns: usize },
    #[error("line {line}: bytes that are not valid {encoding}")]
    Undecodable { line: u64, encoding: &'static str },
    #[error("{}: {message}", line.map_or_else(|| "CSV".to_owned(), |l| format!("line {l}")))]
    Csv { line: Option<u64>, message: String },
    #[error("{at}, column {column:?}: {value:?} is not a {type_} (the file changed after it was analysed?)")]
    TypeMismatch { at: Place, column: String, value: String, type_: &'static str },
}

/// The rows of a file, as [`rows`] yields them.
pub type Rows = Box<dyn Iterator<Item = Result<Vec<Option<String>>, IngestError>> + Send>;

/// Decides the format from a file name / resource format ("CSV", "text/csv", "TSV", "XLSX",
/// ".xlsx"...) and the first bytes (XLSX is a ZIP: "PK\x03\x04"). Err if it is none of these.
///
/// The content wins over the names: a ZIP holding a workbook is XLSX whatever it is called, an
/// XLS (OLE) file, other ZIP archives, binary data and HTML pages are errors, and a file called
/// XLSX that is not a ZIP is "not an XLSX file". Without a usable name (no hint, or a generic one
/// such as `text/plain` or `application/octet-stream`, and no known extension) text is read as
/// CSV, the delimiter being sniffed.
pub fn detect_format(path: &Path, hint: Option<&str>) -> Result<SourceFormat, IngestError> {
    let mut head = Vec::with_capacity(8192);
    std::fs::File::open(path)?.take(8192).read_to_end(&mut head)?;
    if head.is_empty() {
        return Err(IngestError::EmptyFile);
    }
    let named = match hint.map(label) {
        Some(Label::Generic) | None => {
            path.extension().and_then(|e| e.to_str()).map_or(Label::Generic, label)
        }
        Some(other) => other,
    };
    if head.starts_with(b"PK\x03\x04") {
        let workbook = contains(&head, b"[Content_Types].xml") || contains(&head, b"xl/");
        return if workbook || named == Label::Xlsx {
            Ok(SourceFormat::Xlsx)
        } else {
            Err(IngestError::UnsupportedFormat("a ZIP archive that is not an XLSX workbook".to_owned()))
        };
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(IngestError::UnsupportedFormat(
            "an XLS (Excel 97-2003) workbook; save it as XLSX or CSV".to_owned(),
        ));
    }
    if named == Label::Xlsx {
        return Err(IngestError::NotXlsx(
            "it is not a ZIP archive (it does not start with PK\\x03\\x04)".to_owned(),
        ));
    }
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if !utf16 && head.contains(&0) {
        return Err(IngestError::UnsupportedFormat("binary data, not CSV or TSV text".to_owned()));
    }
    let start: Vec<u8> = head
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b >= 0xEF)
        .take(14)
        .map(u8::to_ascii_lowercase)
        .collect();
    if start.starts_with(b"<!doctype html") || start.starts_with(b"<html") {
        return Err(IngestError::UnsupportedFormat("an HTML page, not CSV or TSV".to_owned()));
    }
    match named {
        Label::Csv | Label::Generic => Ok(SourceFormat::Csv),
        Label::Tsv => Ok(SourceFormat::Tsv),
        Label::Xls => {
            Err(IngestError::UnsupportedFormat("XLS (Excel 97-2003); save it as XLSX or CSV".to_owned()))
        }
        Label::Other(name) => Err(IngestError::UnsupportedFormat(name)),
        // Handled above.
        Label::Xlsx => Err(IngestError::NotXlsx("it is not a ZIP archive".to_owned())),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Label {
    Csv,
    Tsv,
    Xlsx,
    Xls,
    /// Says nothing about the format.
    Generic,
    Other(String),
}

fn label(name: &str) -> Label {
    let name = name.split(';').next().unwrap_or_default().trim();
    let lower = name.trim_start_matches('.').to_ascii_lowercase();
    match lower.as_str() {
        "csv" | "text/csv" | "application/csv" | "text/comma-separated-values" | "text/x-csv" => Label::Csv,
        "tsv" | "tab" | "text/tab-separated-values" | "text/tsv" => Label::Tsv,
        "xlsx" | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Label::Xlsx,
        "xls" => Label::Xls,
        ""
        | "txt"
        | "text"
        | "text/plain"
        | "data"
        | "file"
        | "application/octet-stream"
        | "binary/octet-stream"
        | "application/vnd.ms-excel" => Label::Generic,
        _ => Label::Other(name.to_owned()),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// First pass over the whole file: encoding (UTF-8 with or without BOM; otherwise
/// Windows-1252/ISO-8859-1 fallback, or UTF-16 with BOM), delimiter for CSV (`,` `;` `\t` `|`
/// sniffed over the first lines), header row, and each column's type over every value (empty
/// cells ignored; a column with only empty cells is text). See the module documentation.
pub fn analyse(path: &Path, format: SourceFormat) -> Result<Analysis, IngestError> {
    match format {
        SourceFormat::Csv | SourceFormat::Tsv => delimited::analyse(path, format),
        SourceFormat::Xlsx => sheet::analyse(path),
    }
}

/// Second pass: the data rows, each as one value per column of `analysis`, normalised to the
/// column's type (numeric as plain decimal text, timestamp as `YYYY-MM-DDTHH:MM:SS`, text
/// trimmed, empty cell `None`). CSV and TSV are streamed; an XLSX sheet is read whole.
/// An error ends the iteration.
pub fn rows(path: &Path, analysis: &Analysis) -> Result<Rows, IngestError> {
    match &analysis.source {
        Source::Delimited(layout) => delimited::rows(path, layout, analysis),
        Source::Sheet { name } => sheet::rows(path, name, analysis),
    }
}

/// Builds the columns from the header cells and each column's kind.
fn columns(ids: Vec<String>, kinds: &[Kind]) -> Vec<Column> {
    ids.into_iter().zip(kinds).map(|(id, kind)| Column { id, type_: kind.ckan_type() }).collect()
}
