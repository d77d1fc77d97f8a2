//! The full text of loaded tables filled after the load (PostgreSQL), the search time limit and
//! the `_id` sequence after rows written with `_id` values of their own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use datahavn_datastore::{CreateTable, DatastoreError, WriteMethod};
use serde_json::{Value, json};

type Row = Result<Vec<Option<String>>, DatastoreError>;

const WORDS: [&str; 5] = ["parkering", "trafik", "regn", "støj", "cykel"];

fn row(i: u64) -> Row {
    let word = WORDS[usize::try_from(i).unwrap() % WORDS.len()];
    Ok(vec![Some(i.to_string()), Some(format!("{word} nummer {i}")), Some(format!("station {}", i % 3))])
}

fn load(t: &TestDs, rid: &str, rows: u64) {
    let fields = vec![field("n", "int"), field("note", "text"), field("station", "text")];
    let n = t.ds.load(rid, &fields, &mut (1..=rows).map(row), &mut |_| {}).unwrap();
    assert_eq!(n, rows);
}

/// The `_id`s, ranks and total of a `q` search, all rows at once.
fn q_search(t: &TestDs, rid: &str, q: &str) -> (Vec<i64>, Vec<f64>, Option<u64>) {
    let mut s = search(rid);
    s.q = Some(Value::String(q.into()));
    s.limit = Some(10_000);
    s.sort = Some("_id".into());
    let r = t.ds.search(&s).unwrap();
    let records = r.records.as_array().unwrap();
    let ids = records.iter().map(|r| r["_id"].as_i64().unwrap()).collect();
    let ranks = records.iter().map(|r| r["rank"].as_f64().unwrap()).collect();
    (ids, ranks, r.total)
}

#[test]
fn q_finds_every_row_before_and_after_the_full_text_is_filled() {
    let t = TestDs::new();
    t.ds.set_background_full_text(false);
    load(&t, "fill", 3_000);
    assert_eq!(t.ds.full_text_pending("fill").unwrap(), t.is_postgres());
    let expected: Vec<i64> = (1..=3_000).filter(|i| i % 5 == 1).collect();
    let before = q_search(&t, "fill", "trafik");
    assert_eq!(before.0, expected);
    assert_eq!(before.2, Some(600));
    assert!(before.1.iter().all(|r| *r > 0.0));
    // a row written while pending gets its full text from the trigger
    t.ds.upsert(
        "fill",
        &[obj(json!({"n": 3001, "note": "trafik igen", "station": "x"}))],
        WriteMethod::Insert,
        false,
    )
    .unwrap();
    let mut expected = expected;
    expected.push(3001);
    assert_eq!(q_search(&t, "fill", "trafik").0, expected);
    // rows updated while pending keep matching by their new text
    t.ds.upsert("fill", &[obj(json!({"_id": 1, "note": "regn"}))], WriteMethod::Update, false).unwrap();
    expected.remove(0);
    assert_eq!(q_search(&t, "fill", "trafik").0, expected);

    assert_eq!(t.ds.fill_full_text("fill").unwrap(), t.is_postgres());
    assert!(!t.ds.full_text_pending("fill").unwrap());
    let after = q_search(&t, "fill", "trafik");
    assert_eq!(after.0, expected);
    assert_eq!(after.2, Some(600));
    assert_eq!(q_search(&t, "fill", "regn").0.len(), 601);
    assert!(!t.ds.fill_full_text("fill").unwrap());
    // the filled column and its index are there, and written rows keep theirs current
    t.ds.upsert("fill", &[obj(json!({"_id": 2, "note": "trafik"}))], WriteMethod::Update, false).unwrap();
    assert_eq!(q_search(&t, "fill", "trafik").0.first(), Some(&2));
    if t.is_postgres() {
        let mut s = search("fill");
        s.q = Some(json!("støj"));
        s.limit = Some(0);
        assert_eq!(t.ds.search(&s).unwrap().total, Some(600));
    }
}

#[test]
fn a_reload_while_pending_starts_over_with_the_new_rows() {
    let t = TestDs::new();
    t.ds.set_background_full_text(false);
    load(&t, "again", 100);
    load(&t, "again", 10);
    assert_eq!(q_search(&t, "again", "trafik").0, vec![1, 6]);
    assert_eq!(t.ds.fill_full_text("again").unwrap(), t.is_postgres());
    assert_eq!(q_search(&t, "again", "trafik").0, vec![1, 6]);
}

#[test]
fn the_background_worker_fills_a_loaded_table() {
    let t = TestDs::new();
    load(&t, "bg", 2_000);
    assert_eq!(q_search(&t, "bg", "cykel").0.len(), 400);
    let mut waited = 0;
    while t.ds.full_text_pending("bg").unwrap() {
        assert!(waited < 300, "full text still pending after 30 s");
        std::thread::sleep(Duration::from_millis(100));
        waited += 1;
    }
    assert_eq!(q_search(&t, "bg", "cykel").0.len(), 400);
}

#[test]
fn searches_stop_at_their_time_limit() {
    let t = TestDs::new();
    if !t.is_postgres() {
        return;
    }
    t.ds.set_background_full_text(false);
    load(&t, "slow", 20_000);
    t.ds.set_search_timeout(Duration::from_millis(1));
    let mut s = search("slow");
    s.q = Some(json!("nummer"));
    s.sort = Some("rank desc".into());
    // every row's vector computed, ranked and counted: far over a millisecond
    let mut timed_out = false;
    for _ in 0..5 {
        match t.ds.search(&s) {
            Err(DatastoreError::Timeout) => {
                timed_out = true;
                break;
            }
            Err(other) => panic!("not a timeout: {other:?}"),
            Ok(_) => {}
        }
    }
    assert!(timed_out);
    // other work on the same pooled connections has no such limit
    load(&t, "slow", 20_000);
    assert!(t.ds.fill_full_text("slow").unwrap());
    t.ds.set_search_timeout(Duration::from_secs(10));
    assert_eq!(t.ds.search(&s).unwrap().total, Some(20_000));
}

#[test]
fn rows_upserted_with_their_own_ids_do_not_collide_with_later_inserts() {
    let t = TestDs::new();
    t.ds.create(&CreateTable {
        resource_id: "ids".into(),
        fields: vec![field("name", "text")],
        ..Default::default()
    })
    .unwrap();
    let own: Vec<_> = (1..=3).map(|i| obj(json!({"_id": i, "name": format!("own {i}")}))).collect();
    t.ds.upsert("ids", &own, WriteMethod::Upsert, false).unwrap();
    t.ds.upsert("ids", &[obj(json!({"_id": 10, "name": "ten"}))], WriteMethod::Upsert, false).unwrap();
    t.ds.upsert("ids", &[obj(json!({"name": "next"}))], WriteMethod::Insert, false).unwrap();
    t.ds.upsert("ids", &[obj(json!({"_id": 5, "name": "five"}))], WriteMethod::Upsert, false).unwrap();
    t.ds.upsert("ids", &[obj(json!({"name": "last"}))], WriteMethod::Insert, false).unwrap();
    let mut s = search("ids");
    s.sort = Some("_id".into());
    let r = t.ds.search(&s).unwrap();
    let got: Vec<(i64, String)> = r
        .records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["_id"].as_i64().unwrap(), r["name"].as_str().unwrap().to_owned()))
        .collect();
    let want: Vec<(i64, String)> =
        [(1, "own 1"), (2, "own 2"), (3, "own 3"), (5, "five"), (10, "ten"), (11, "next"), (12, "last")]
            .iter()
            .map(|(i, n)| (*i, (*n).to_owned()))
            .collect();
    assert_eq!(got, want);
}
