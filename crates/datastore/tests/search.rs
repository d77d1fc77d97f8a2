#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use datahavn_datastore::guard::{CheckedSql, Dialect};
use datahavn_datastore::{CreateTable, DatastoreError, RecordsFormat};
use serde_json::json;

#[test]
fn filters_sort_fields_like_ckan() {
    let t = TestDs::new();
    cities(&t.ds);
    // recording 34
    let mut s = search(RID);
    s.filters = json!({"city": "Oslo"});
    s.sort = Some("temp desc".into());
    s.limit = Some(1);
    s.fields = Some(vec!["id".into(), "temp".into()]);
    let r = t.ds.search(&s).unwrap();
    assert_eq!(
        serde_json::Value::Array(r.fields),
        json!([{"id": "id", "type": "int4"}, {"id": "temp", "type": "numeric"}])
    );
    assert_eq!(r.records, json!([{"id": 3, "temp": -1}]));
    assert_eq!(r.total, Some(2));
    // lists of values, strings for int columns
    let mut s = search(RID);
    s.filters = json!({"id": ["1", "3"]});
    s.fields = Some(vec!["city".into(), "_id".into()]);
    s.records_format = RecordsFormat::Lists;
    let r = t.ds.search(&s).unwrap();
    assert_eq!(r.records, json!([["Oslo", 1], ["Oslo", 3]]));
    // unknown names
    let mut s = search(RID);
    s.filters = json!({"nope": 1});
    assert_eq!(validation(t.ds.search(&s).unwrap_err()), json!({"filters": ["Unknown field: nope"]}));
    let mut s = search(RID);
    s.fields = Some(vec!["nope".into()]);
    assert_eq!(validation(t.ds.search(&s).unwrap_err()), json!({"fields": ["invalid value \"nope\""]}));
    let mut s = search(RID);
    s.sort = Some("nope desc".into());
    assert_eq!(validation(t.ds.search(&s).unwrap_err()), json!({"sort": ["invalid value \"nope desc\""]}));
    let mut s = search(RID);
    s.filters = json!({"id": "x"});
    assert_eq!(
        validation(t.ds.search(&s).unwrap_err()),
        json!({"filters": ["invalid input syntax for type integer: \"x\""]})
    );
    // 404
    assert!(
        matches!(t.ds.search(&search("no-such-resource")), Err(DatastoreError::NotFound(id)) if id == "no-such-resource")
    );
}

#[test]
fn sort_nulls_distinct_paging_total() {
    let t = TestDs::new();
    cities(&t.ds);
    t.ds.upsert(
        RID,
        &[obj(json!({"id": 4, "city": "Bergen"}))],
        datahavn_datastore::WriteMethod::Insert,
        false,
    )
    .unwrap();
    let ids = |s: &datahavn_datastore::Search| -> serde_json::Value {
        let mut s = s.clone();
        s.fields = Some(vec!["id".into()]);
        s.records_format = RecordsFormat::Lists;
        t.ds.search(&s).unwrap().records
    };
    let mut s = search(RID);
    s.sort = Some("temp desc nulls last, id".into());
    assert_eq!(ids(&s), json!([[2], [3], [1], [4]]));
    s.sort = Some("\"temp\" asc nulls first".into());
    assert_eq!(ids(&s), json!([[4], [1], [3], [2]]));
    s.sort = Some("city, id DESC".into());
    assert_eq!(ids(&s), json!([[4], [3], [1], [2]]));
    s.limit = Some(2);
    s.offset = 1;
    assert_eq!(ids(&s), json!([[3], [1]]));
    s.include_total = false;
    let r = t.ds.search(&s).unwrap();
    assert_eq!(r.total, None);
    let mut s = search(RID);
    s.distinct = true;
    s.fields = Some(vec!["city".into()]);
    s.sort = Some("city".into());
    let r = t.ds.search(&s).unwrap();
    assert_eq!(r.records, json!([{"city": "Bergen"}, {"city": "Oslo"}, {"city": "Rome"}]));
    assert_eq!(r.total, Some(3));
    // totals count the matching rows; the filters come back parsed
    let mut s = search(RID);
    s.limit = Some(1);
    s.filters = json!({"city": "Oslo", "temp": {"gte": -3, "lt": 0}});
    let r = t.ds.search(&s).unwrap();
    assert_eq!((r.total, ids(&s)), (Some(1), json!([[3]])));
    assert_eq!(
        r.filterops,
        Some(json!({"op": "$and", "field": null, "value": [
            {"op": "eq", "field": "city", "value": "Oslo"},
            {"op": "$and", "field": null, "value": [
                {"op": "gte", "field": "temp", "value": -3},
                {"op": "lt", "field": "temp", "value": 0}
            ]}
        ]}))
    );
    s.filters = json!([{"city": "Bergen"}, {"temp": {"gt": 10}}]);
    assert_eq!(t.ds.search(&s).unwrap().total, Some(2));
    s.filters = json!({"temp": {"like": "1%"}});
    assert_eq!(
        validation(t.ds.search(&s).unwrap_err()),
        json!({"filters": ["Unknown filter operation: FilterOp(field='temp', op='like', value='1%')"]})
    );
    // next_page: the page's last _id in _id order, none for other orders or an empty page
    let mut s = search(RID);
    s.limit = Some(3);
    s.include_next_page = true;
    assert_eq!(t.ds.search(&s).unwrap().next_page, Some(json!({"_id": {"gt": 3}})));
    s.sort = Some("_id desc".into());
    assert_eq!(t.ds.search(&s).unwrap().next_page, Some(json!({"_id": {"lt": 2}})));
    s.filters = json!({"_id": {"lt": 2}});
    let r = t.ds.search(&s).unwrap();
    assert_eq!((r.total, r.next_page), (Some(1), Some(json!({"_id": {"lt": 1}}))));
    s.filters = json!({"_id": {"lt": 1}});
    assert_eq!(t.ds.search(&s).unwrap().next_page, None);
    s.filters = json!(null);
    s.sort = Some("_id, city".into());
    assert_eq!(t.ds.search(&s).unwrap().next_page, None);
    s.sort = None;
    s.include_next_page = false;
    assert_eq!(t.ds.search(&s).unwrap().next_page, None);
    s.include_next_page = true;
    s.records_format = RecordsFormat::Csv;
    s.fields = Some(vec!["city".into()]);
    assert_eq!(t.ds.search(&s).unwrap().next_page, Some(json!({"_id": {"gt": 3}})));
    // csv / tsv records
    let mut s = search(RID);
    s.records_format = RecordsFormat::Csv;
    s.fields = Some(vec!["id".into(), "city".into(), "temp".into()]);
    s.limit = Some(2);
    assert_eq!(t.ds.search(&s).unwrap().records, json!("1,Oslo,-3.5\n2,Rome,12\n"));
    s.records_format = RecordsFormat::Tsv;
    assert_eq!(t.ds.search(&s).unwrap().records, json!("1\tOslo\t-3.5\n2\tRome\t12\n"));
}

#[test]
fn full_text() {
    let t = TestDs::new();
    cities(&t.ds);
    let mut s = search(RID);
    s.q = Some(json!("rome"));
    let r = t.ds.search(&s).unwrap();
    assert_eq!(r.total, Some(1));
    let rec = &r.records[0];
    assert_eq!(rec["city"], json!("Rome"));
    assert!(rec["rank"].as_f64().unwrap() > 0.0);
    assert_eq!(r.fields.last().unwrap(), &json!({"id": "rank", "type": "float"}));
    // per field
    let mut s = search(RID);
    s.q = Some(json!({"city": "oslo"}));
    s.fields = Some(vec!["id".into(), "rank city".into()]);
    let r = t.ds.search(&s).unwrap();
    assert_eq!(r.total, Some(2));
    assert_eq!(r.records.as_array().unwrap().len(), 2);
    assert!(r.records[0]["rank city"].is_number());
    // prefix query when not plain
    let mut s = search(RID);
    s.q = Some(json!("ro:*"));
    s.plain = false;
    assert_eq!(t.ds.search(&s).unwrap().total, Some(1));
    // no match
    let mut s = search(RID);
    s.q = Some(json!("paris"));
    assert_eq!(t.ds.search(&s).unwrap().records, json!([]));
    // rows written later are found too
    t.ds.upsert(
        RID,
        &[obj(json!({"id": 2, "city": "Roma"}))],
        datahavn_datastore::WriteMethod::Upsert,
        false,
    )
    .unwrap();
    let mut s = search(RID);
    s.q = Some(json!("roma"));
    assert_eq!(t.ds.search(&s).unwrap().total, Some(1));
    let mut s = search(RID);
    s.q = Some(json!({"nope": "x"}));
    assert_eq!(validation(t.ds.search(&s).unwrap_err()), json!({"q": ["invalid value \"nope\""]}));
}

fn checked(t: &TestDs, sql: &str, tables: &[&str]) -> CheckedSql {
    let mut sql = sql.to_string();
    for table in tables {
        let physical = if t.ds.dialect() == Dialect::Postgres {
            format!("datastore.\"{table}\"")
        } else {
            format!("\"{table}\"")
        };
        sql = sql.replace(&format!("\"{table}\""), &physical);
    }
    CheckedSql { sql, tables: tables.iter().map(|s| s.to_string()).collect() }
}

#[test]
fn search_sql_like_ckan() {
    let t = TestDs::new();
    cities(&t.ds);
    t.ds.upsert(
        RID,
        &[obj(json!({"id": 2, "city": "Roma", "temp": 13}))],
        datahavn_datastore::WriteMethod::Upsert,
        false,
    )
    .unwrap();
    let sql = checked(
        &t,
        &format!("SELECT city, avg(temp) AS t FROM \"{RID}\" GROUP BY city ORDER BY city"),
        &[RID],
    );
    let r = t.ds.search_sql(&sql, 100, Duration::from_secs(5)).unwrap();
    assert_eq!(r.records, vec![json!({"city": "Oslo", "t": -2.25}), json!({"city": "Roma", "t": 13.0})]);
    assert_eq!(r.fields, vec![json!({"id": "city", "type": "text"}), json!({"id": "t", "type": "numeric"})]);
    assert!(!r.records_truncated);
    let sql = checked(&t, &format!("SELECT id FROM \"{RID}\" ORDER BY id"), &[RID]);
    let r = t.ds.search_sql(&sql, 2, Duration::from_secs(5)).unwrap();
    assert_eq!(r.records, vec![json!({"id": 1}), json!({"id": 2})]);
    assert_eq!(r.fields, vec![json!({"id": "id", "type": "int4"})]);
    assert!(r.records_truncated);
    // slow: a heavy cross join
    let slow = checked(
        &t,
        &format!(
            "SELECT count(*) FROM \"{RID}\" a, \"{RID}\" b, \"{RID}\" c, \"{RID}\" d, \"{RID}\" e, \"{RID}\" f, \
                  \"{RID}\" g, \"{RID}\" h, \"{RID}\" i, \"{RID}\" j, \"{RID}\" k, \"{RID}\" l, \"{RID}\" m, \"{RID}\" n, \
                  \"{RID}\" o, \"{RID}\" p, \"{RID}\" q, \"{RID}\" r"
        ),
        &[RID],
    );
    let started = std::time::Instant::now();
    assert!(matches!(t.ds.search_sql(&slow, 10, Duration::from_millis(300)), Err(DatastoreError::Timeout)));
    assert!(started.elapsed() < Duration::from_secs(5));
    // read only
    let write =
        checked(&t, &format!("INSERT INTO \"{RID}\" (id, city) VALUES (99, 'x') RETURNING id"), &[RID]);
    assert!(t.ds.search_sql(&write, 10, Duration::from_secs(5)).is_err());
    let write = checked(&t, &format!("DELETE FROM \"{RID}\""), &[RID]);
    assert!(t.ds.search_sql(&write, 10, Duration::from_secs(5)).is_err());
    assert_eq!(t.ds.search(&search(RID)).unwrap().total, Some(3));
    // a table the check did not list
    let other =
        CreateTable { resource_id: "other".into(), fields: vec![field("a", "text")], ..Default::default() };
    t.ds.create(&other).unwrap();
    if t.ds.dialect() == Dialect::Sqlite {
        let sneaky = CheckedSql { sql: "SELECT * FROM \"other\"".into(), tables: vec![RID.into()] };
        assert!(matches!(
            t.ds.search_sql(&sneaky, 10, Duration::from_secs(5)),
            Err(DatastoreError::Query { .. })
        ));
    }
    let bad = checked(&t, &format!("SELECT nope FROM \"{RID}\""), &[RID]);
    assert!(matches!(t.ds.search_sql(&bad, 10, Duration::from_secs(5)), Err(DatastoreError::Query { .. })));
}
