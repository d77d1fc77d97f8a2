#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use datahavn_datastore::{CreateTable, DatastoreError, FieldSpec, WriteMethod};
use serde_json::json;

#[test]
fn create_and_search_like_ckan() {
    let t = TestDs::new();
    cities(&t.ds);
    let r = t.ds.search(&search(RID)).unwrap();
    assert_eq!(
        serde_json::Value::Array(r.fields),
        json!([{"id": "_id", "type": "int"}, {"id": "id", "type": "int4"}, {"id": "city", "type": "text"},
               {"id": "temp", "type": "numeric"}, {"id": "day", "type": "date"}])
    );
    assert_eq!(
        r.records,
        json!([{"_id": 1, "id": 1, "city": "Oslo", "temp": -3.5, "day": "2024-01-01"},
               {"_id": 2, "id": 2, "city": "Rome", "temp": 12, "day": "2024-01-01"},
               {"_id": 3, "id": 3, "city": "Oslo", "temp": -1, "day": "2024-01-02"}])
    );
    assert_eq!(r.total, Some(3));
    let info = t.ds.info(RID).unwrap().unwrap();
    assert_eq!(info.count, 3);
    assert!(info.size > 0 && info.db_size >= info.size, "{info:?}");
    assert_eq!(info.primary_key, vec!["id".to_string()]);
    assert_eq!(info.fields.len(), 4);
    assert_eq!(info.fields[0].type_, "int4");
    assert!(info.fields[0].uniquekey);
    assert_eq!(t.ds.resolve(RID).unwrap().as_deref(), Some(RID));
    assert_eq!(t.ds.resolve("nope").unwrap(), None);
    assert!(t.ds.info("nope").unwrap().is_none());
}

#[test]
fn create_errors() {
    let t = TestDs::new();
    let bad_type =
        CreateTable { resource_id: RID.into(), fields: vec![field("z", "nosuchtype")], ..Default::default() };
    assert_eq!(
        validation(t.ds.create(&bad_type).unwrap_err()),
        json!({"fields": ["\"nosuchtype\" is not a valid field type"]})
    );
    for bad in ["_x", " x", "a\"b", ""] {
        let spec =
            CreateTable { resource_id: RID.into(), fields: vec![field(bad, "text")], ..Default::default() };
        assert_eq!(
            validation(t.ds.create(&spec).unwrap_err()),
            json!({"fields": [format!("\"{bad}\" is not a valid field name")]})
        );
    }
    let long = "x".repeat(64);
    let spec =
        CreateTable { resource_id: RID.into(), fields: vec![field(&long, "text")], ..Default::default() };
    assert_eq!(
        validation(t.ds.create(&spec).unwrap_err()),
        json!({"fields": [format!("Column heading \"{long}\" exceeds limit of 63 characters.")]})
    );
    let untyped = CreateTable {
        resource_id: RID.into(),
        fields: vec![FieldSpec { id: "a".into(), type_: None, info: None }],
        ..Default::default()
    };
    assert_eq!(
        validation(t.ds.create(&untyped).unwrap_err()),
        json!({"fields": ["\"a\" type not guessable"]})
    );
    let pk = CreateTable {
        resource_id: RID.into(),
        fields: vec![field("a", "text")],
        primary_key: vec!["b".into()],
        ..Default::default()
    };
    assert_eq!(
        validation(t.ds.create(&pk).unwrap_err()),
        json!({"index": ["The field \"b\" is not a valid column name."]})
    );
    // nothing was left behind
    assert!(t.ds.info(RID).unwrap().is_none());
    // a wrong value leaves no table either
    let bad_value = CreateTable {
        resource_id: RID.into(),
        fields: vec![field("n", "numeric")],
        records: vec![obj(json!({"n": "abc"}))],
        ..Default::default()
    };
    assert_eq!(
        validation(t.ds.create(&bad_value).unwrap_err()),
        json!({"records": ["invalid input syntax for type numeric: \"abc\""], "records_row": 0})
    );
    assert!(t.ds.info(RID).unwrap().is_none());
    let dup = CreateTable {
        resource_id: RID.into(),
        fields: vec![field("a", "int")],
        records: vec![obj(json!({"a": 1})), obj(json!({"a": 1}))],
        primary_key: vec!["a".into()],
        ..Default::default()
    };
    let e = validation(t.ds.create(&dup).unwrap_err());
    assert_eq!(
        e["constraints"],
        json!(["Cannot insert records or create index because of uniqueness constraint"])
    );
}

#[test]
fn guessed_types_indexes_aliases_and_recreate() {
    let t = TestDs::new();
    let spec = CreateTable {
        resource_id: "res-1".into(),
        records: vec![obj(json!({"n": 1, "f": 1.5, "s": "x", "ts": "2024-05-06T07:08:09", "j": {"a": [1]},
                                 "num": "2.5"}))],
        indexes: vec!["s".into(), "n,f".into()],
        aliases: vec!["my-alias".into()],
        ..Default::default()
    };
    let info = t.ds.create(&spec).unwrap();
    let types: Vec<(String, String)> = info.fields.iter().map(|f| (f.id.clone(), f.type_.clone())).collect();
    assert_eq!(
        types,
        vec![
            ("n".into(), "int4".into()),
            ("f".into(), "float8".into()),
            ("s".into(), "text".into()),
            ("ts".into(), "timestamp".into()),
            ("j".into(), "json".into()),
            ("num".into(), "numeric".into())
        ]
    );
    assert_eq!(info.aliases, vec!["my-alias".to_string()]);
    assert_eq!(t.ds.resolve("my-alias").unwrap().as_deref(), Some("res-1"));
    assert_eq!(t.ds.search(&search("my-alias")).unwrap().total, Some(1));
    let r = t.ds.search(&search("res-1")).unwrap();
    assert_eq!(
        r.records,
        json!([{"_id": 1, "n": 1, "f": 1.5, "s": "x", "ts": "2024-05-06T07:08:09", "j": {"a": [1]}, "num": 2.5}])
    );
    // another table may not take the alias or the table's name
    let clash =
        CreateTable { resource_id: "res-2".into(), aliases: vec!["my-alias".into()], ..Default::default() };
    assert_eq!(
        validation(t.ds.create(&clash).unwrap_err()),
        json!({"alias": ["The alias \"my-alias\" already exists."]})
    );
    let clash =
        CreateTable { resource_id: "res-2".into(), aliases: vec!["res-1".into()], ..Default::default() };
    assert_eq!(validation(t.ds.create(&clash).unwrap_err()), json!({"alias": ["\"res-1\" already exists"]}));
    // re-create adds a field, keeps rows
    let again = CreateTable {
        resource_id: "res-1".into(),
        fields: vec![field("n", "int"), field("extra", "text")],
        records: vec![obj(json!({"n": 2, "extra": "e"}))],
        ..Default::default()
    };
    let info = t.ds.create(&again).unwrap();
    assert_eq!(info.fields.len(), 7);
    assert_eq!(info.count, 2);
    // delete_fields drops the unlisted ones
    let slim = CreateTable {
        resource_id: "res-1".into(),
        fields: vec![field("n", "int"), field("s", "text")],
        delete_fields: true,
        ..Default::default()
    };
    let info = t.ds.create(&slim).unwrap();
    assert_eq!(info.fields.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), vec!["n", "s"]);
    assert_eq!(info.count, 2);
    assert_eq!(info.indexes, vec!["s".to_string()]);
    let r = t.ds.search(&search("res-1")).unwrap();
    assert_eq!(r.records, json!([{"_id": 1, "n": 1, "s": "x"}, {"_id": 2, "n": 2, "s": null}]));
    // drop
    assert!(t.ds.drop_table("res-1").unwrap());
    assert!(!t.ds.drop_table("res-1").unwrap());
    assert_eq!(t.ds.resolve("my-alias").unwrap(), None);
    assert!(matches!(t.ds.search(&search("res-1")), Err(DatastoreError::NotFound(_))));
}

#[test]
fn upsert_methods() {
    let t = TestDs::new();
    cities(&t.ds);
    t.ds.upsert(RID, &[obj(json!({"id": 2, "city": "Roma", "temp": 13}))], WriteMethod::Upsert, false)
        .unwrap();
    t.ds.upsert(RID, &[obj(json!({"id": 4, "city": "Bergen"}))], WriteMethod::Upsert, false).unwrap();
    t.ds.upsert(RID, &[obj(json!({"_id": 1, "city": "Oslo!"}))], WriteMethod::Update, false).unwrap();
    t.ds.upsert(RID, &[obj(json!({"id": 5, "city": "Paris", "temp": "7.25"}))], WriteMethod::Insert, false)
        .unwrap();
    let r = t.ds.search(&search(RID)).unwrap();
    assert_eq!(
        r.records,
        json!([{"_id": 1, "id": 1, "city": "Oslo!", "temp": -3.5, "day": "2024-01-01"},
               {"_id": 2, "id": 2, "city": "Roma", "temp": 13, "day": "2024-01-01"},
               {"_id": 3, "id": 3, "city": "Oslo", "temp": -1, "day": "2024-01-02"},
               {"_id": 4, "id": 4, "city": "Bergen", "temp": null, "day": null},
               {"_id": 5, "id": 5, "city": "Paris", "temp": 7.25, "day": null}])
    );
    assert_eq!(t.ds.info(RID).unwrap().unwrap().count, 5);
    // errors, each leaving nothing behind
    let e = t.ds.upsert(RID, &[obj(json!({"id": 1, "city": "x"}))], WriteMethod::Insert, false).unwrap_err();
    assert_eq!(
        validation(e)["constraints"],
        json!(["Cannot insert records or create index because of uniqueness constraint"])
    );
    let e = t.ds.upsert(RID, &[obj(json!({"id": 9, "city": "x"}))], WriteMethod::Update, false).unwrap_err();
    assert_eq!(validation(e), json!({"key": ["key \"{'id': 9}\" not found"]}));
    let e =
        t.ds.upsert(
            RID,
            &[obj(json!({"id": 6, "city": "x"})), obj(json!({"id": 7, "temp": "abc"}))],
            WriteMethod::Upsert,
            false,
        )
        .unwrap_err();
    assert_eq!(
        validation(e),
        json!({"records": ["invalid input syntax for type numeric: \"abc\""], "records_row": 1})
    );
    let e = t.ds.upsert(RID, &[obj(json!({"id": 6, "nope": 1}))], WriteMethod::Upsert, false).unwrap_err();
    assert_eq!(validation(e), json!({"fields": ["fields \"nope\" do not exist"]}));
    let e = t.ds.upsert(RID, &[obj(json!({"city": "x"}))], WriteMethod::Upsert, false).unwrap_err();
    assert_eq!(validation(e), json!({"key": ["fields \"id\" are missing but needed as key"]}));
    let e = t.ds.upsert(RID, &[obj(json!({"id": 8, "nope": 1}))], WriteMethod::Insert, false).unwrap_err();
    assert_eq!(validation(e), json!({"records": ["row \"1\" has extra keys \"nope\""]}));
    // dry run: validated, then rolled back
    t.ds.upsert(RID, &[obj(json!({"id": 6, "city": "Dry"}))], WriteMethod::Upsert, true).unwrap();
    let e = t.ds.upsert(RID, &[obj(json!({"id": 6, "temp": "zz"}))], WriteMethod::Upsert, true).unwrap_err();
    assert!(matches!(e, DatastoreError::Validation(_)));
    let r = t.ds.search(&search(RID)).unwrap();
    assert_eq!(r.total, Some(5));
    assert_eq!(t.ds.info(RID).unwrap().unwrap().count, 5);
    assert!(matches!(
        t.ds.upsert("nope", &[], WriteMethod::Upsert, false),
        Err(DatastoreError::NotFound(id)) if id == "nope"
    ));
    // no key at all
    let nokey =
        CreateTable { resource_id: "nk".into(), fields: vec![field("a", "text")], ..Default::default() };
    t.ds.create(&nokey).unwrap();
    let e = t.ds.upsert("nk", &[obj(json!({"a": "x"}))], WriteMethod::Upsert, false).unwrap_err();
    assert_eq!(validation(e), json!({"table": ["unique key must be passed for update/upsert"]}));
}

#[test]
fn delete_records_with_filters() {
    let t = TestDs::new();
    cities(&t.ds);
    let e = t.ds.delete_records(RID, &json!({"nope": 1})).unwrap_err();
    assert_eq!(validation(e), json!({"filters": ["Unknown field: nope"]}));
    assert_eq!(t.ds.delete_records(RID, &json!({"id": "1"})).unwrap(), 1);
    assert_eq!(t.ds.delete_records(RID, &json!({"city": ["Rome", "Paris"]})).unwrap(), 1);
    assert_eq!(t.ds.info(RID).unwrap().unwrap().count, 1);
    assert_eq!(t.ds.delete_records(RID, &json!({})).unwrap(), 1);
    let r = t.ds.search(&search(RID)).unwrap();
    assert_eq!(r.total, Some(0));
    assert!(t.ds.info(RID).unwrap().is_some());
}

#[test]
fn types_round_trip() {
    let t = TestDs::new();
    let spec = CreateTable {
        resource_id: "types".into(),
        fields: vec![
            field("b", "bool"),
            field("ts", "timestamp"),
            field("tm", "time"),
            field("big", "int8"),
            field("fl", "float8"),
            field("arr", "_text"),
            field("ints", "int[]"),
            field("j", "json"),
        ],
        records: vec![
            obj(json!({"b": true, "ts": "2024-01-02 03:04:05.5", "tm": "10:20", "big": 9007199254740993i64,
                                 "fl": 2.25, "arr": ["a", "b c"], "ints": [1, 2], "j": [1, {"x": null}]})),
            obj(json!({"b": "false", "ts": "2024-01-02", "fl": "1e3"})),
        ],
        ..Default::default()
    };
    t.ds.create(&spec).unwrap();
    let mut s = search("types");
    s.fields = Some(vec![
        "b".into(),
        "ts".into(),
        "tm".into(),
        "big".into(),
        "fl".into(),
        "arr".into(),
        "ints".into(),
        "j".into(),
    ]);
    let r = t.ds.search(&s).unwrap();
    assert_eq!(
        r.records,
        json!([{"b": true, "ts": "2024-01-02T03:04:05.5", "tm": "10:20:00", "big": 9007199254740993i64, "fl": 2.25,
                "arr": ["a", "b c"], "ints": [1, 2], "j": [1, {"x": null}]},
               {"b": false, "ts": "2024-01-02T00:00:00", "tm": null, "big": null, "fl": 1000.0,
                "arr": null, "ints": null, "j": null}])
    );
    let types: Vec<serde_json::Value> = r.fields.iter().map(|f| f["type"].clone()).collect();
    assert_eq!(
        types,
        vec![
            json!("bool"),
            json!("timestamp"),
            json!("time"),
            json!("int8"),
            json!("float8"),
            json!("_text"),
            json!("_int4"),
            json!("json")
        ]
    );
    let e =
        t.ds.upsert("types", &[obj(json!({"_id": 1, "b": "maybe"}))], WriteMethod::Update, false)
            .unwrap_err();
    assert_eq!(validation(e)["records"], json!(["invalid input syntax for type boolean: \"maybe\""]));
}
