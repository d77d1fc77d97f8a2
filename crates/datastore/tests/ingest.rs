//! Reading the fixture files under `tests/fixtures/ingest/` through both passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use datahavn_datastore::ingest::{
    self, Analysis, IngestError, Kind, Place, SourceFormat, analyse, detect_format,
};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest").join(name)
}

fn read(name: &str) -> (Analysis, Vec<Vec<Option<String>>>) {
    let path = fixture(name);
    let format = detect_format(&path, None).unwrap();
    let analysis = analyse(&path, format).unwrap();
    let rows: Vec<_> = ingest::rows(&path, &analysis).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len() as u64, analysis.rows, "{name}: row count");
    for row in &rows {
        assert_eq!(row.len(), analysis.columns.len(), "{name}: row width");
    }
    (analysis, rows)
}

fn columns(analysis: &Analysis) -> Vec<(&str, &str)> {
    analysis.columns.iter().map(|c| (c.id.as_str(), c.type_)).collect()
}

fn row(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_owned)).collect()
}

#[test]
fn utf8_with_bom() {
    let (a, rows) = read("utf8_bom.csv");
    assert_eq!(a.format, SourceFormat::Csv);
    assert_eq!(a.encoding(), Some("UTF-8"));
    assert_eq!(a.delimiter(), Some(','));
    assert_eq!(
        columns(&a),
        [("navn", "text"), ("alder", "numeric"), ("født", "timestamp"), ("postnr", "text")]
    );
    assert_eq!(
        rows,
        [
            row(&[Some("Åse"), Some("34"), Some("1990-05-01T00:00:00"), Some("0800")]),
            row(&[Some("Bjørn"), Some("-2"), Some("1989-12-31T22:00:00"), Some("8000")]),
        ]
    );
}

#[test]
fn windows_1252_semicolons_and_decimal_commas() {
    let (a, rows) = read("cp1252_semicolon.csv");
    assert_eq!(a.encoding(), Some("windows-1252"));
    assert_eq!(a.delimiter(), Some(';'));
    assert_eq!(
        columns(&a),
        [("Vej", "text"), ("Postnr", "text"), ("Beløb", "numeric"), ("Dato", "timestamp"), ("Note", "text")]
    );
    assert_eq!(a.kinds()[2], Kind::Numeric { decimal_comma: true });
    assert_eq!(
        rows,
        [
            row(&[Some("Æblevej"), Some("0800"), Some("12.5"), Some("2024-01-31T00:00:00"), None]),
            row(&[Some("Østergade"), Some("8000"), Some("-3"), Some("2024-02-01T12:00:00"), Some("x")]),
            row(&[Some("Ågade"), Some("2100"), Some("1000.25"), None, None]),
        ]
    );
}

#[test]
fn decimal_comma_only_in_semicolon_files_and_never_mixed() {
    // A comma-delimited file: "1,234" is a thousands separator or a decimal comma; not guessed.
    let (a, rows) = read("thousands.csv");
    assert_eq!(columns(&a), [("x", "numeric"), ("y", "text")]);
    assert_eq!(rows[0], row(&[Some("1"), Some("1,234")]));
    // `;` file: a column with both `1.234` and `2,5` is text.
    let (a, _) = read("comma_mixed.csv");
    assert_eq!(columns(&a), [("navn", "text"), ("beløb", "text"), ("blandet", "text")]);
}

#[test]
fn utf16_with_bom() {
    let (a, rows) = read("utf16le.csv");
    assert_eq!(a.encoding(), Some("UTF-16LE"));
    assert_eq!(columns(&a), [("navn", "text"), ("beløb", "numeric")]);
    assert_eq!(rows, [row(&[Some("Åse"), Some("12.5")]), row(&[Some("Ørn"), Some("-3")])]);
}

#[test]
fn tsv_with_quoted_tab_and_newline() {
    let path = fixture("data.tsv");
    assert_eq!(detect_format(&path, None).unwrap(), SourceFormat::Tsv);
    let (a, rows) = read("data.tsv");
    assert_eq!(a.delimiter(), Some('\t'));
    assert_eq!(columns(&a), [("id", "numeric"), ("note", "text"), ("value", "numeric")]);
    assert_eq!(rows[0][1].as_deref(), Some("tab\there and\nnewline"));
    assert_eq!(rows[1], row(&[Some("2"), Some("plain"), Some("-1")]));
}

#[test]
fn pipe_delimited() {
    let (a, rows) = read("pipe.csv");
    assert_eq!(a.delimiter(), Some('|'));
    assert_eq!(columns(&a), [("a", "numeric"), ("b", "text"), ("c", "timestamp")]);
    assert_eq!(rows[1][2].as_deref(), Some("2024-02-01T08:15:00"));
}

#[test]
fn quoted_fields_with_delimiters_quotes_and_newlines() {
    let (a, rows) = read("quoted.csv");
    assert_eq!(columns(&a), [("id", "numeric"), ("text", "text"), ("amount", "numeric")]);
    assert_eq!(
        rows,
        [
            row(&[Some("1"), Some("a, b and \"c\""), Some("10")]),
            row(&[Some("2"), Some("line one\nline two\nline three"), Some("-20.5")]),
            row(&[Some("3"), None, None]),
        ]
    );
}

#[test]
fn a_row_longer_than_the_header_names_its_line() {
    let path = fixture("ragged.csv");
    let err = analyse(&path, SourceFormat::Csv).unwrap_err();
    // Line 2 holds a value spanning two lines, so the long row is on line 5.
    assert!(matches!(err, IngestError::RaggedRow { at: Place::Line(5), column: 4, columns: 3 }), "{err:?}");
    assert_eq!(err.to_string(), "line 5: column 4 has a value but the header has only 3 columns");
}

#[test]
fn line_numbers_count_blank_lines_and_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crlf.csv");
    std::fs::write(&path, "\r\n\r\na,b\r\n\r\n1,\"x\r\ny\"\r\n\r\n3,4,5\r\n").unwrap();
    let err = analyse(&path, SourceFormat::Csv).unwrap_err();
    assert!(matches!(err, IngestError::RaggedRow { at: Place::Line(8), .. }), "{err:?}");
    std::fs::write(&path, "\n\na,b\n\n1,\"x\ny\"\n\n3,4\n").unwrap();
    let a = analyse(&path, SourceFormat::Csv).unwrap();
    assert_eq!(a.header_line(), 3);
    // The second pass finds the same lines.
    std::fs::write(&path, "\n\na,b\n\n1,\"x\ny\"\n\n3,4,5\n").unwrap();
    let results: Vec<_> = ingest::rows(&path, &a).unwrap().collect();
    assert!(
        matches!(results[1], Err(IngestError::RaggedRow { at: Place::Line(8), column: 3, columns: 2 })),
        "{results:?}"
    );
}

#[test]
fn empty_file_and_header_only() {
    let path = fixture("empty.csv");
    assert!(matches!(detect_format(&path, Some("CSV")), Err(IngestError::EmptyFile)));
    assert!(matches!(analyse(&path, SourceFormat::Csv), Err(IngestError::EmptyFile)));
    let (a, rows) = read("header_only.csv");
    assert_eq!(a.rows, 0);
    assert!(rows.is_empty());
    assert_eq!(columns(&a), [("a", "text"), ("b", "text"), ("c", "text")]);
}

#[test]
fn blank_rows_and_trailing_empty_header_cells() {
    let (a, rows) = read("blank_lines.csv");
    assert_eq!(a.header_line(), 2);
    assert_eq!(columns(&a), [("a", "numeric"), ("b", "numeric")]);
    assert_eq!(rows, [row(&[Some("1"), Some("2")]), row(&[Some("3"), None])]);
}

#[test]
fn types_over_the_whole_column() {
    let (a, rows) = read("mixed.csv");
    assert_eq!(
        columns(&a),
        [
            ("num", "numeric"),
            ("neg", "numeric"),
            ("zero", "text"),
            ("mixed", "text"),
            ("nan", "text"),
            ("bool", "text"),
            ("ts", "timestamp"),
            ("empty", "text"),
            ("text", "text"),
        ]
    );
    assert_eq!(
        rows[1],
        row(&[
            Some("2"),
            Some("-3"),
            Some("12"),
            Some("two"),
            Some("1"),
            Some("false"),
            Some("2024-01-31T12:00:00"),
            None,
            Some("y"),
        ])
    );
    assert_eq!(rows[2][0].as_deref(), Some("3.25"));
    assert_eq!(rows[2][2].as_deref(), Some("0800"));
}

#[test]
fn header_names() {
    let (a, _) = read("headers.csv");
    let ids: Vec<&str> = a.columns.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["name", "field_2", "name_3", "id", "say hi", "Name_4", "name_2"]);
}

#[test]
fn title_lines_above_the_header_are_skipped() {
    let (a, rows) = read("title_line.csv");
    assert_eq!(a.header_line(), 3);
    assert_eq!(columns(&a), [("vej", "text"), ("beløb", "numeric"), ("nr", "text")]);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], row(&[Some("A"), Some("1"), Some("x1")]));
}

#[test]
fn xlsx_first_sheet() {
    let path = fixture("sample.xlsx");
    assert_eq!(detect_format(&path, None).unwrap(), SourceFormat::Xlsx);
    assert_eq!(detect_format(&path, Some("application/octet-stream")).unwrap(), SourceFormat::Xlsx);
    let (a, rows) = read("sample.xlsx");
    assert_eq!(a.sheet(), Some("Budget"));
    assert_eq!(a.header_line(), 3);
    assert_eq!(a.rows, 3);
    assert_eq!(
        columns(&a),
        [
            ("Kommune", "text"),
            ("Beløb", "numeric"),
            ("Dato", "timestamp"),
            ("Postnr", "text"),
            ("Aktiv", "text"),
            ("Formel", "numeric"),
            ("Tal som tekst", "numeric"),
        ]
    );
    assert_eq!(
        rows,
        [
            row(&[
                Some("Aarhus"),
                Some("1250"),
                Some("2024-01-31T12:30:00"),
                Some("8000"),
                Some("TRUE"),
                Some("2500"),
                Some("12"),
            ]),
            row(&[
                Some("København"),
                Some("-3.5"),
                Some("2024-02-29T00:00:00"),
                Some("0800"),
                Some("FALSE"),
                Some("-7"),
                Some("-4.25"),
            ]),
            row(&[
                Some("Ærø"),
                Some("10"),
                Some("2023-12-24T00:00:00"),
                Some("5970"),
                None,
                Some("20"),
                None,
            ]),
        ]
    );
}

#[test]
fn xlsx_data_right_of_the_header_names_its_row() {
    let path = fixture("ragged.xlsx");
    let err = analyse(&path, SourceFormat::Xlsx).unwrap_err();
    assert!(
        matches!(err, IngestError::RaggedRow { at: Place::SheetRow(3), column: 3, columns: 2 }),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "row 3: column 3 has a value but the header has only 2 columns");
}

#[test]
fn fake_xlsx_files() {
    for name in ["fake.xlsx", "garbage.xlsx"] {
        let path = fixture(name);
        let err = detect_format(&path, None).unwrap_err();
        assert!(matches!(err, IngestError::NotXlsx(_)), "{name}: {err:?}");
        assert!(err.to_string().starts_with("not an XLSX file"), "{err}");
        let err = analyse(&path, SourceFormat::Xlsx).unwrap_err();
        assert!(matches!(err, IngestError::NotXlsx(_)), "{name}: {err:?}");
    }
    let path = fixture("notworkbook.xlsx");
    let err = analyse(&path, SourceFormat::Xlsx).unwrap_err();
    assert!(matches!(err, IngestError::NotXlsx(_)), "{err:?}");
    assert!(matches!(detect_format(&path, None), Ok(SourceFormat::Xlsx)));
}

#[test]
fn formats_from_hints_and_content() {
    let csv = fixture("pipe.csv");
    assert_eq!(detect_format(&csv, Some("CSV")).unwrap(), SourceFormat::Csv);
    assert_eq!(detect_format(&csv, Some("text/csv; charset=utf-8")).unwrap(), SourceFormat::Csv);
    assert_eq!(detect_format(&csv, Some("TSV")).unwrap(), SourceFormat::Tsv);
    assert_eq!(detect_format(&csv, Some("text/plain")).unwrap(), SourceFormat::Csv);
    assert!(matches!(detect_format(&csv, Some("XLSX")), Err(IngestError::NotXlsx(_))));
    assert!(matches!(detect_format(&csv, Some(".xlsx")), Err(IngestError::NotXlsx(_))));
    assert!(matches!(detect_format(&csv, Some("JSON")), Err(IngestError::UnsupportedFormat(_))));
    assert!(matches!(detect_format(&csv, Some("XLS")), Err(IngestError::UnsupportedFormat(_))));
    // The content wins for a workbook whatever its name says.
    let xlsx = fixture("sample.xlsx");
    assert_eq!(detect_format(&xlsx, Some("CSV")).unwrap(), SourceFormat::Xlsx);
    assert_eq!(
        detect_format(&xlsx, Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
            .unwrap(),
        SourceFormat::Xlsx
    );
}

#[test]
fn content_that_is_no_table_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("download.csv");
    std::fs::write(&html, "\n<!DOCTYPE html><html><body>Not found</body></html>").unwrap();
    assert!(matches!(detect_format(&html, Some("CSV")), Err(IngestError::UnsupportedFormat(_))));
    let zip = fixture("notworkbook.xlsx");
    let renamed = dir.path().join("data.csv");
    std::fs::copy(zip, &renamed).unwrap();
    assert!(matches!(detect_format(&renamed, None), Err(IngestError::UnsupportedFormat(_))));
    let blank = dir.path().join("blank.csv");
    std::fs::write(&blank, "\n ; ; \n\n").unwrap();
    assert!(matches!(analyse(&blank, SourceFormat::Csv), Err(IngestError::NoHeader)));
}

#[test]
fn latin1_found_late_in_the_file() {
    // The first 64 KiB are ASCII; a Windows-1252 byte comes near the end.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.csv");
    let mut bytes = b"by;antal\n".to_vec();
    for i in 0..10_000 {
        bytes.extend(format!("Odense;{i}\n").bytes());
    }
    bytes.extend(b"K\xf8ge;7\n");
    std::fs::write(&path, bytes).unwrap();
    let a = analyse(&path, SourceFormat::Csv).unwrap();
    assert_eq!(a.encoding(), Some("windows-1252"));
    assert_eq!(a.rows, 10_001);
    let last = ingest::rows(&path, &a).unwrap().last().unwrap().unwrap();
    assert_eq!(last, row(&[Some("Køge"), Some("7")]));
}

#[test]
fn undecodable_utf16_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad16.csv");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend("a,b\r\n1,2\r\n".encode_utf16().flat_map(u16::to_le_bytes));
    bytes.extend([0x00, 0xDC, b',', 0, b'3', 0, b'\n', 0]);
    std::fs::write(&path, bytes).unwrap();
    let err = analyse(&path, SourceFormat::Csv).unwrap_err();
    assert!(matches!(err, IngestError::Undecodable { line: 3, encoding: "UTF-16LE" }), "{err:?}");
}

#[test]
fn a_file_changed_between_the_passes_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("changing.csv");
    std::fs::write(&path, "n\n1\n2\n").unwrap();
    let a = analyse(&path, SourceFormat::Csv).unwrap();
    std::fs::write(&path, "n\n1\ntwo\n").unwrap();
    let results: Vec<_> = ingest::rows(&path, &a).unwrap().collect();
    assert_eq!(results.len(), 2);
    let err = results[1].as_ref().unwrap_err();
    assert!(matches!(err, IngestError::TypeMismatch { at: Place::Line(3), .. }), "{err:?}");
}
