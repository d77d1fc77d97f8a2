//! Timing both passes over a generated 1,000,000-row, 10-column CSV (about 100 MB).
//!
//! `cargo test --release -p datahavn-datastore --test ingest_perf -- --ignored --nocapture`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use datahavn_datastore::ingest::{self, SourceFormat, analyse};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

const ROWS: u64 = 1_000_000;

fn generate(path: &Path, latin1: bool) {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let city: &[u8] = if latin1 { b"K\xf8ge" } else { "Køge".as_bytes() };
    out.write_all(b"id,name,amount,day,stamp,postcode,delta,note,ratio,city\n").unwrap();
    for i in 0..ROWS {
        write!(
            out,
            "{i},Person number {i},{}.{:02},2024-{:02}-{:02},2024-01-{:02}T{:02}:{:02}:00Z,{:04},{},\"quoted, text {}\",{}.5,",
            i * 7 % 100_000,
            i % 100,
            i % 12 + 1,
            i % 28 + 1,
            i % 28 + 1,
            i % 24,
            i % 60,
            i % 10_000,
            (i as i64 % 2001) - 1000,
            i % 97,
            i % 1000,
        )
        .unwrap();
        out.write_all(city).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
}

fn time_both_passes(latin1: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    generate(&path, latin1);
    let size = std::fs::metadata(&path).unwrap().len();

    let start = Instant::now();
    let analysis = analyse(&path, SourceFormat::Csv).unwrap();
    let first = start.elapsed();
    assert_eq!(analysis.rows, ROWS);
    let types: Vec<&str> = analysis.columns.iter().map(|c| c.type_).collect();
    assert_eq!(
        types,
        [
            "numeric",
            "text",
            "numeric",
            "timestamp",
            "timestamp",
            "text",
            "numeric",
            "text",
            "numeric",
            "text"
        ]
    );

    let start = Instant::now();
    let mut rows = 0u64;
    let mut bytes = 0usize;
    for row in ingest::rows(&path, &analysis).unwrap() {
        let row = row.unwrap();
        rows += 1;
        bytes += row.iter().flatten().map(String::len).sum::<usize>();
    }
    let second = start.elapsed();
    assert_eq!(rows, ROWS);
    println!(
        "{} {:.1} MB, {} rows: analyse {:.2?}, rows {:.2?} ({} value bytes)",
        analysis.encoding().unwrap_or("?"),
        size as f64 / 1e6,
        rows,
        first,
        second,
        bytes
    );
}

#[test]
#[ignore = "generates a 100 MB file; run in release"]
fn million_rows_utf8() {
    time_both_passes(false);
}

#[test]
#[ignore = "generates a 100 MB file; run in release"]
fn million_rows_windows_1252() {
    time_both_passes(true);
}
