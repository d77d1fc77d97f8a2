//! A clone of the repository alone passes its tests: no test, benchmark or script reads a path
//! outside it. Every file of `tests/`, `bench/`, `.ci/`, `src/` and the crates' tests is scanned
//! for relative paths (`../x`, `"..", "x"`) and absolute paths into other checkouts, resolved
//! from where they are read: a Rust test's crate directory (`CARGO_MANIFEST_DIR`), a script's own
//! directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Directories whose files tests, benchmarks and CI read or run.
const SCANNED: &[&str] = &["tests", "bench", ".ci", "src", "crates"];

/// Absolute paths that only exist on a developer's machine.
const FOREIGN_ROOTS: &[&str] = &["/work/", "/home/", "/Users/"];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            if !matches!(name, "fixtures" | "target" | "__pycache__" | ".venv") {
                files(&path, out);
            }
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("rs" | "py" | "sh" | "toml" | "txt") | None
        ) {
            out.push(path);
        }
    }
}

/// How many directory levels each relative path in `text` climbs: `../../x` climbs 2, and so
/// does `"..", "..", "x"` (Python's `os.path.join`).
fn climbs(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for line in text.lines() {
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !line.is_char_boundary(i) {
                i += 1;
                continue;
            }
            let rest = &line[i..];
            let mut levels = 0;
            let mut j = 0;
            loop {
                let tail = &rest[j..];
                if tail.starts_with("../") {
                    j += 3;
                } else if tail.starts_with("\"..\", ") || tail.starts_with("'..', ") {
                    j += 6;
                } else if tail.starts_with("\"..\",") || tail.starts_with("'..',") {
                    j += 5;
                } else {
                    break;
                }
                levels += 1;
            }
            // `dirname "$0")/..` and `parent()` style steps end a path without a slash.
            if levels == 0
                && (rest.starts_with("/..\"") || rest.starts_with("/..)") || rest.starts_with("/.. "))
            {
                levels = 1;
                j = 3;
            }
            if levels > 0 && !(i > 0 && bytes[i - 1] == b'.') {
                found.push((levels, line.trim().to_owned()));
                i += j.max(1);
            } else {
                i += 1;
            }
        }
    }
    found
}

/// The directory a file's relative paths are resolved from.
fn base_of(file: &Path, root: &Path) -> PathBuf {
    let is_rust = file.extension().and_then(|e| e.to_str()) == Some("rs");
    if is_rust {
        // Rust code reads paths from its crate's directory.
        let mut dir = file.parent().unwrap();
        while dir != root && !dir.join("Cargo.toml").exists() {
            dir = dir.parent().unwrap();
        }
        dir.to_path_buf()
    } else {
        file.parent().unwrap().to_path_buf()
    }
}

/// The paths in `file` that lead outside `root`.
fn escapes(file: &Path, text: &str, root: &Path) -> Vec<String> {
    let depth = base_of(file, root).strip_prefix(root).unwrap().components().count();
    let mut problems: Vec<String> =
        climbs(text).into_iter().filter(|(levels, _)| *levels > depth).map(|(_, line)| line).collect();
    for line in text.lines() {
        if FOREIGN_ROOTS.iter().any(|foreign| line.contains(foreign))
            || line.contains(concat!("shared", "/ckan-reference"))
        {
            problems.push(line.trim().to_owned());
        }
    }
    problems
}

#[test]
fn no_test_or_script_reads_outside_the_repository() {
    let root = Path::new(ROOT);
    let mut all = Vec::new();
    for dir in SCANNED {
        files(&root.join(dir), &mut all);
    }
    assert!(all.len() > 50, "scanned only {} files", all.len());
    let this = Path::new(file!()).file_name().unwrap();
    let mut problems = Vec::new();
    for file in all {
        if file.file_name() == Some(this) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        for line in escapes(&file, &text, root) {
            problems.push(format!("{}: {line}", file.strip_prefix(root).unwrap().display()));
        }
    }
    assert!(problems.is_empty(), "paths outside the repository:\n{}", problems.join("\n"));
}

#[test]
fn the_scan_notices_paths_that_escape() {
    let root = Path::new(ROOT);
    let test = root.join("tests/example.rs");
    let script = root.join("bench/example.sh");
    let python = root.join("tests/ckanapi/example.py");
    let crate_test = root.join("crates/storage/tests/example.rs");
    // Each of these leaves the repository.
    for (file, text) in [
        (&test, r#"concat!(env!("CARGO_MANIFEST_DIR"), "/../{S}/data/portals")"#),
        (&test, r#"format!("{}/../{S}/ckan-reference/{file}", root)"#),
        (&script, r#"PORTALS="${PORTALS:-../../{S}/data/portals}""#),
        (&python, r#"os.path.join(here, "..", "..", "..", "{S}", "data")"#),
        (&crate_test, r#"concat!(env!("CARGO_MANIFEST_DIR"), "/../../../{S}/x")"#),
        (&test, r#"std::fs::read("/work/{S}/data/portals/x.json")"#),
    ] {
        // `{S}` stands for the directory beside the checkout, so this file names none itself.
        let text = text.replace("{S}", "shared");
        assert!(!escapes(file, &text, root).is_empty(), "not noticed: {text}");
    }
    // These stay inside.
    for (file, text) in [
        (&test, r#"concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/portals")"#),
        (&script, r#"cd "$(dirname "$0")/..""#),
        (&python, r#"os.path.join(here, "..", "fixtures", "portals")"#),
        (&crate_test, r#"concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/x")"#),
        (&test, r#"let range = 1...3; let path = "a/b";"#),
    ] {
        assert!(escapes(file, text, root).is_empty(), "wrongly flagged: {text}");
    }
}
