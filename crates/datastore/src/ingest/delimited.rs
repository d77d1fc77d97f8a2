//! CSV and TSV files, streamed with `csv::ByteRecord`s.

use super::decode::{self, DecodeFailure};
use super::header::{self, SAMPLE_ROWS};
use super::values::{ColumnStats, Kind, normalise_text};
use super::{Analysis, IngestError, Place, Rows, Source, SourceFormat};
use csv::ByteRecord;
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Bytes read to detect the encoding and the delimiter.
const SNIFF_BYTES: u64 = 64 * 1024;
/// Lines looked at to detect the delimiter.
const SNIFF_LINES: usize = 50;
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
const BUFFER: usize = 64 * 1024;

/// How to read the file again.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    pub encoding: &'static Encoding,
    pub bom_len: usize,
    pub delimiter: u8,
    /// Records (as the csv reader yields them) up to and including the header.
    pub skip_records: u64,
}

enum ScanError {
    /// Not UTF-8 after all (in the record starting at `byte`): read it again as Windows-1252.
    NotUtf8 {
        byte: u64,
    },
    /// A value right of the last column in the record starting at `byte`.
    Ragged {
        byte: u64,
        column: usize,
        columns: usize,
    },
    Failed(IngestError),
}

impl From<IngestError> for ScanError {
    fn from(e: IngestError) -> Self {
        ScanError::Failed(e)
    }
}

pub(super) fn analyse(path: &Path, format: SourceFormat) -> Result<Analysis, IngestError> {
    let mut sample = Vec::new();
    File::open(path)?.take(SNIFF_BYTES).read_to_end(&mut sample)?;
    let (encoding, bom_len) = Encoding::for_bom(&sample).unwrap_or((UTF_8, 0));
    if sample.len() <= bom_len {
        return Err(IngestError::EmptyFile);
    }
    let body = &sample[bom_len..];
    let mut encoding = if encoding == UTF_8 && !utf8_prefix(body) { WINDOWS_1252 } else { encoding };
    let delimiter = match format {
        SourceFormat::Tsv => b'\t',
        _ => {
            let text = encoding.decode_without_bom_handling(body).0;
            sniff_delimiter(&text, sample.len() as u64 == SNIFF_BYTES)
        }
    };
    loop {
        let layout = Layout { encoding, bom_len, delimiter, skip_records: 0 };
        match scan(path, layout.clone(), format) {
            Ok(analysis) => return Ok(analysis),
            Err(ScanError::NotUtf8 { .. }) if encoding == UTF_8 => encoding = WINDOWS_1252,
            Err(ScanError::NotUtf8 { byte }) => {
                return Err(IngestError::Undecodable {
                    line: line_at(path, &layout, byte).unwrap_or(0),
                    encoding: encoding.name(),
                });
            }
            Err(ScanError::Ragged { byte, column, columns }) => {
                return Err(IngestError::RaggedRow {
                    at: Place::Line(line_at(path, &layout, byte).unwrap_or(0)),
                    column,
                    columns,
                });
            }
            Err(ScanError::Failed(e)) => return Err(e),
        }
    }
}

/// Whether `bytes` is UTF-8, but for a character cut at the end.
fn utf8_prefix(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// The candidate found the same number of times (outside quotes, more than zero) on most of the
/// first lines; ties go to the higher count, then to the earlier candidate. `,` if none is found.
pub(super) fn sniff_delimiter(text: &str, truncated: bool) -> u8 {
    let mut lines: Vec<[usize; 4]> = Vec::new();
    let mut counts = [0usize; 4];
    let mut in_quotes = false;
    let mut blank = true;
    for b in text.bytes() {
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                blank = false;
            }
            b'\n' if !in_quotes => {
                if !blank {
                    lines.push(counts);
                    if lines.len() == SNIFF_LINES {
                        break;
                    }
                }
                counts = [0; 4];
                blank = true;
            }
            _ if in_quotes => {}
            _ => {
                if let Some(i) = CANDIDATES.iter().position(|c| *c == b) {
                    counts[i] += 1;
                }
                if !b.is_ascii_whitespace() {
                    blank = false;
                }
            }
        }
    }
    if !blank && !truncated && lines.len() < SNIFF_LINES {
        lines.push(counts);
    }
    let mut best: Option<(usize, usize, u8)> = None;
    for (i, candidate) in CANDIDATES.iter().enumerate() {
        let mut tally: Vec<(usize, usize)> = Vec::new();
        for line in &lines {
            match tally.iter_mut().find(|(c, _)| *c == line[i]) {
                Some((_, n)) => *n += 1,
                None => tally.push((line[i], 1)),
            }
        }
        let Some((modal, consistent)) =
            tally.into_iter().filter(|(c, _)| *c > 0).max_by_key(|(c, n)| (*n, *c))
        else {
            continue;
        };
        if best.is_none_or(|(n, c, _)| (consistent, modal) > (n, c)) {
            best = Some((consistent, modal, *candidate));
        }
    }
    best.map_or(b',', |(_, _, d)| d)
}

fn reader(path: &Path, layout: &Layout) -> Result<csv::Reader<Box<dyn Read + Send>>, IngestError> {
    let input = decode::open(path, layout.encoding, layout.bom_len)?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(layout.delimiter)
        .buffer_capacity(BUFFER)
        .from_reader(input))
}

/// The line (counted from 1) on which a record starts.
///
/// The csv reader's own count starts a record at the end of the previous one, before the blank
/// lines it skips, so the file is read again up to the record (this is only done for the header
/// and for errors).
fn line_of(path: &Path, layout: &Layout, record: &ByteRecord) -> u64 {
    let Some(position) = record.position() else {
        return 0;
    };
    line_at(path, layout, position.byte()).unwrap_or_else(|_| position.line())
}

fn line_at(path: &Path, layout: &Layout, byte: u64) -> std::io::Result<u64> {
    let mut input = decode::open(path, layout.encoding, layout.bom_len)?;
    let mut buffer = vec![0; BUFFER];
    let (mut offset, mut newlines) = (0u64, 0u64);
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            return Ok(newlines + 1);
        }
        for &b in &buffer[..n] {
            if offset >= byte && b != b'\n' && b != b'\r' {
                return Ok(newlines + 1);
            }
            newlines += u64::from(b == b'\n');
            offset += 1;
        }
    }
}

fn csv_error(e: csv::Error) -> IngestError {
    let line = e.position().map(csv::Position::line);
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => {
            match io.get_ref().and_then(|inner| inner.downcast_ref::<DecodeFailure>()) {
                Some(failure) => IngestError::Undecodable { line: failure.line, encoding: failure.encoding },
                None => IngestError::Io(io),
            }
        }
        _ => IngestError::Csv { line, message },
    }
}

/// The number of non-empty cells of a record, checking that it is UTF-8.
fn non_empty(record: &ByteRecord) -> Result<usize, ScanError> {
    let mut n = 0;
    for field in record {
        let s = std::str::from_utf8(field)
            .map_err(|_| ScanError::NotUtf8 { byte: record.position().map_or(0, csv::Position::byte) })?;
        if !s.trim().is_empty() {
            n += 1;
        }
    }
    Ok(n)
}

/// Adds a record's values to the columns' statistics; true if it is not blank.
fn add(stats: &mut [ColumnStats], record: &ByteRecord) -> Result<bool, ScanError> {
    let mut any = false;
    for (i, field) in record.iter().enumerate() {
        let Ok(s) = std::str::from_utf8(field) else {
            return Err(ScanError::NotUtf8 { byte: record.position().map_or(0, csv::Position::byte) });
        };
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        any = true;
        match stats.get_mut(i) {
            Some(column) => column.text(s),
            None => {
                return Err(ScanError::Ragged {
                    byte: record.position().map_or(0, csv::Position::byte),
                    column: i + 1,
                    columns: stats.len(),
                });
            }
        }
    }
    Ok(any)
}

fn scan(path: &Path, mut layout: Layout, format: SourceFormat) -> Result<Analysis, ScanError> {
    let mut reader = reader(path, &layout)?;
    let mut record = ByteRecord::new();
    let mut records: u64 = 0;
    let mut sample: Vec<(u64, ByteRecord)> = Vec::new();
    let mut counts = Vec::new();
    while sample.len() < SAMPLE_ROWS && reader.read_byte_record(&mut record).map_err(csv_error)? {
        records += 1;
        let n = non_empty(&record)?;
        if n > 0 {
            counts.push(n);
            sample.push((records, record.clone()));
        }
    }
    let h = header::header_index(&counts);
    let Some((skip, header_record)) = sample.get(h) else {
        return Err(ScanError::Failed(IngestError::NoHeader));
    };
    layout.skip_records = *skip;
    let header_line = line_of(path, &layout, header_record);
    let cells: Vec<&str> =
        header_record.iter().map(|f| std::str::from_utf8(f).unwrap_or_default().trim()).collect();
    let width = header::width(cells.iter().copied());
    let ids = header::column_ids(&cells[..width]);
    let mut stats = vec![ColumnStats::default(); width];
    let mut rows: u64 = 0;
    for (_, data) in &sample[h + 1..] {
        rows += u64::from(add(&mut stats, data)?);
    }
    while reader.read_byte_record(&mut record).map_err(csv_error)? {
        rows += u64::from(add(&mut stats, &record)?);
    }
    let kinds: Vec<Kind> = stats.iter().map(|s| s.kind(layout.delimiter == b';')).collect();
    Ok(Analysis {
        format,
        columns: super::columns(ids, &kinds),
        rows,
        kinds,
        header_line,
        source: Source::Delimited(layout),
    })
}

pub(super) fn rows(path: &Path, layout: &Layout, analysis: &Analysis) -> Result<Rows, IngestError> {
    Ok(Box::new(DelimitedRows {
        reader: reader(path, layout)?,
        path: path.to_owned(),
        layout: layout.clone(),
        record: ByteRecord::new(),
        kinds: analysis.kinds.clone(),
        ids: analysis.columns.iter().map(|c| c.id.clone()).collect(),
        skip: layout.skip_records,
        encoding: layout.encoding.name(),
        done: false,
    }))
}

struct DelimitedRows {
    reader: csv::Reader<Box<dyn Read + Send>>,
    path: std::path::PathBuf,
    layout: Layout,
    record: ByteRecord,
    kinds: Vec<Kind>,
    ids: Vec<String>,
    skip: u64,
    encoding: &'static str,
    done: bool,
}

impl DelimitedRows {
    /// The current record as a row; `None` if it is blank.
    fn convert(&self) -> Result<Option<Vec<Option<String>>>, IngestError> {
        let record = &self.record;
        let width = self.kinds.len();
        let mut row = Vec::with_capacity(width);
        let mut any = false;
        for (i, field) in record.iter().enumerate() {
            let s = std::str::from_utf8(field)
                .map_err(|_| IngestError::Undecodable {
                    line: line_of(&self.path, &self.layout, record),
                    encoding: self.encoding,
                })?
                .trim();
            if i >= width {
                if !s.is_empty() {
                    return Err(IngestError::RaggedRow {
                        at: Place::Line(line_of(&self.path, &self.layout, record)),
                        column: i + 1,
                        columns: width,
                    });
                }
                continue;
            }
            if s.is_empty() {
                row.push(None);
                continue;
            }
            any = true;
            let kind = self.kinds[i];
            let value = normalise_text(s, kind).ok_or_else(|| IngestError::TypeMismatch {
                at: Place::Line(line_of(&self.path, &self.layout, record)),
                column: self.ids[i].clone(),
                value: s.to_owned(),
                type_: kind.ckan_type(),
            })?;
            row.push(Some(value));
        }
        if !any {
            return Ok(None);
        }
        row.resize(width, None);
        Ok(Some(row))
    }
}

impl Iterator for DelimitedRows {
    type Item = Result<Vec<Option<String>>, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.reader.read_byte_record(&mut self.record) {
                Err(e) => {
                    self.done = true;
                    return Some(Err(csv_error(e)));
                }
                Ok(false) => self.done = true,
                Ok(true) if self.skip > 0 => self.skip -= 1,
                Ok(true) => match self.convert() {
                    Ok(None) => {}
                    Ok(Some(row)) => return Some(Ok(row)),
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                },
            }
        }
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n", false), b',');
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3\n4;5,5;6\n", false), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n", false), b'\t');
        assert_eq!(sniff_delimiter("a|b\n1|2\n", false), b'|');
        assert_eq!(sniff_delimiter("\"x;y\",b\n\"1;2\",3\n", false), b',');
        assert_eq!(sniff_delimiter("only\none\n", false), b',');
        assert_eq!(sniff_delimiter("navn;beløb\n\"a, b\";12,5\nc;1\n", false), b';');
    }
}
