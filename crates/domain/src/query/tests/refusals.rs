//! Refused queries, error positions, and robustness against random input.

use super::*;

// --- refusals ---

#[test]
fn local_params_are_refused() {
    for input in ["{!lucene}name:x", "  {!func}sum(1,2)", "name:x {!terms f=id}a,b", "name:{!x}"] {
        assert!(fails(input).message.contains("local parameters"), "{input:?}");
    }
    assert_eq!(fails("{!lucene}x").position, 0);
}

#[test]
fn nested_query_fields_are_refused() {
    assert!(fails("_query_:\"{!dismax}x\"").message.contains("not supported"));
    assert!(fails("_val_:\"sum(1,2)\"").message.contains("not supported"));
}

#[test]
fn fuzzy_and_proximity_are_refused() {
    assert!(fails("title:roam~").message.contains('~'));
    assert!(fails("\"a b\"~3").message.contains('~'));
}

#[test]
fn dangling_operators_are_errors() {
    for input in [
        "a:1 AND",
        "a:1 OR",
        "AND a:1",
        "OR a:1",
        "a:1 AND OR b:2",
        "a:1 -",
        "+",
        "NOT",
        "(a AND)",
        "a:1 NOT NOT b:2",
        "+-a",
    ] {
        let error = fails(input);
        assert!(error.message.contains("clause") || error.message.contains("expected"), "{input:?}: {error}");
    }
    assert_eq!(fails("a:1 AND").position, 4);
    assert_eq!(fails("a:1 -").position, 4);
}

#[test]
fn unclosed_quotes_are_errors() {
    let error = fails("tags:\"water quality");
    assert_eq!(error.position, 5);
    assert!(error.message.contains("quote"));
}

#[test]
fn missing_values_and_stray_characters_are_errors() {
    assert!(fails("name:").message.contains("expected a value after 'name:'"));
    assert!(fails("name: )").message.contains("expected a value after 'name:'"));
    assert!(fails(":abc").message.contains("field name"));
    assert!(fails("a ] b").message.contains("']'"));
}

#[test]
fn error_display_says_where() {
    let error = fails("(a:1");
    assert_eq!(error.to_string(), "'(' is never closed at position 0");
}

#[test]
fn positions_count_characters_not_bytes() {
    assert_eq!(fails("title:æøå)").position, 9);
}

// --- robustness ---

#[test]
fn random_inputs_never_panic() {
    const PIECES: &[&str] = &[
        "a",
        "b",
        "x1",
        "é",
        " ",
        " ",
        "  ",
        "\t",
        ":",
        ":",
        "\"",
        "'",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "{!",
        "*",
        "?",
        "\\",
        "+",
        "-",
        "!",
        "&&",
        "||",
        "^",
        "^2",
        "~",
        "/",
        ".",
        "@",
        "AND",
        "OR",
        "NOT",
        "TO",
        " TO ",
        "NOW",
        "NOW-7DAYS",
        "/DAY",
        "+1YEAR",
        "-",
        "2024-05-01",
        "T10:20:30",
        ".123456",
        "Z",
        "\\u00e9",
        "\\u",
        "name:",
        "metadata_modified:",
        "*:*",
        "_query_:",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut parsed = 0;
    for _ in 0..5_000 {
        let pieces = (next() % 12) as usize;
        let input: String = (0..pieces).map(|_| PIECES[(next() % PIECES.len() as u64) as usize]).collect();
        for op in [Operator::And, Operator::Or] {
            match parse(&input, op, now()) {
                Ok(_) => parsed += 1,
                Err(error) => assert!(error.position <= input.chars().count(), "{input:?}: {error}"),
            }
        }
    }
    assert!(parsed > 0);
}
