#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use datahavn_datastore::{CreateTable, DatastoreError, DumpFormat, FieldSpec, RecordsFormat};
use serde_json::json;

type Row = Result<Vec<Option<String>>, DatastoreError>;

fn fields() -> Vec<FieldSpec> {
    vec![field("n", "int"), field("name", "text"), field("v", "numeric"), field("d", "date")]
}

fn row(i: u64) -> Row {
    Ok(vec![
        Some(i.to_string()),
        Some(format!("name {i}\twith tab")),
        if i.is_multiple_of(7) { None } else { Some(format!("{i}.5")) },
        Some("2024-03-04".into()),
    ])
}

#[test]
fn load_replaces_table_atomically() {
    let t = TestDs::new();
    let mut seen = Vec::new();
    let n = t.ds.load("ld", &fields(), &mut (1..=25_000).map(row), &mut |k| seen.push(k)).unwrap();
    assert_eq!(n, 25_000);
    assert_eq!(seen, vec![10_000, 20_000]);
    let info = t.ds.info("ld").unwrap().unwrap();
    assert_eq!(info.count, 25_000);
    let mut s = search("ld");
    s.filters = json!({"n": "7"});
    let r = t.ds.search(&s).unwrap();
    assert_eq!(
        r.records,
        json!([{"_id": 7, "n": 7, "name": "name 7\twith tab", "v": null, "d": "2024-03-04"}])
    );
    let mut s = search("ld");
    s.q = Some(json!("name"));
    s.limit = Some(1);
    assert_eq!(t.ds.search(&s).unwrap().total, Some(25_000));

    // keys and aliases survive a reload
    let keyed = CreateTable {
        resource_id: "ld".into(),
        primary_key: vec!["n".into()],
        aliases: vec!["ld-alias".into()],
        ..Default::default()
    };
    t.ds.create(&keyed).unwrap();
    let n = t.ds.load("ld", &fields(), &mut (1..=10).map(row), &mut |_| {}).unwrap();
    assert_eq!(n, 10);
    let info = t.ds.info("ld").unwrap().unwrap();
    assert_eq!(
        (info.count, info.primary_key.clone(), info.aliases.clone()),
        (10, vec!["n".to_string()], vec!["ld-alias".to_string()])
    );
    assert_eq!(t.ds.resolve("ld-alias").unwrap().as_deref(), Some("ld"));
    t.ds.upsert(
        "ld",
        &[obj(json!({"n": 3, "name": "three"}))],
        datahavn_datastore::WriteMethod::Upsert,
        false,
    )
    .unwrap();
    assert_eq!(t.ds.search(&search("ld")).unwrap().total, Some(10));

    // an error half-way leaves the previous table as it was
    let mut failing = (1..=30_000u64).map(|i| {
        if i == 15_000 {
            Err(DatastoreError::Internal("broken file".into()))
        } else {
            Ok(vec![Some(i.to_string())])
        }
    });
    let e = t.ds.load("ld", &[field("other", "text")], &mut failing, &mut |_| {}).unwrap_err();
    assert!(matches!(e, DatastoreError::Internal(m) if m == "broken file"));
    // a bad value too
    let mut bad =
        (1..=100u64).map(|i| if i == 50 { Ok(vec![Some("x".into()), None, None, None]) } else { row(i) });
    let e = t.ds.load("ld", &fields(), &mut bad, &mut |_| {}).unwrap_err();
    assert!(matches!(e, DatastoreError::Validation(_)), "{e:?}");
    let info = t.ds.info("ld").unwrap().unwrap();
    assert_eq!(info.count, 10);
    assert_eq!(info.fields.len(), 4);
    let r = t.ds.search(&search("ld")).unwrap();
    assert_eq!(r.total, Some(10));
    assert_eq!(r.records[2]["name"], json!("three"));
    // no half-built table is left
    let tables = t.tables();
    assert!(tables.iter().all(|t| !t.contains("__load")), "{tables:?}");
    assert!(tables.contains(&"ld".to_string()));
}

#[test]
fn load_after_panic_keeps_old_table() {
    let t = TestDs::new();
    t.ds.load("p", &fields(), &mut (1..=5).map(row), &mut |_| {}).unwrap();
    let ds = t.ds.clone();
    let result = std::thread::spawn(move || {
        let mut rows = (1..=50_000u64).map(|i| {
            assert!(i != 20_000, "reader died");
            row(i)
        });
        ds.load("p", &fields(), &mut rows, &mut |_| {})
    })
    .join();
    assert!(result.is_err());
    assert_eq!(t.ds.search(&search("p")).unwrap().total, Some(5));
    assert!(t.tables().iter().all(|t| !t.contains("__load")));
    t.ds.load("p", &fields(), &mut (1..=3).map(row), &mut |_| {}).unwrap();
    assert_eq!(t.ds.search(&search("p")).unwrap().total, Some(3));
}

fn dump(t: &TestDs, s: &datahavn_datastore::Search, f: DumpFormat, bom: bool) -> String {
    let mut out = Vec::new();
    t.ds.dump(s, f, bom, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn dumps() {
    let t = TestDs::new();
    cities(&t.ds);
    let mut s = search(RID);
    s.limit = None;
    assert_eq!(
        dump(&t, &s, DumpFormat::Csv, false),
        "_id,id,city,temp,day\n1,1,Oslo,-3.5,2024-01-01\n2,2,Rome,12,2024-01-01\n3,3,Oslo,-1,2024-01-02\n"
    );
    assert!(dump(&t, &s, DumpFormat::Csv, true).starts_with("\u{feff}_id,id"));
    s.sort = Some("_id desc".into());
    s.limit = Some(2);
    assert_eq!(
        dump(&t, &s, DumpFormat::Tsv, false),
        "_id\tid\tcity\ttemp\tday\n3\t3\tOslo\t-1\t2024-01-02\n2\t2\tRome\t12\t2024-01-01\n"
    );
    s.fields = Some(vec!["_id".into(), "city".into(), "temp".into()]);
    assert_eq!(
        dump(&t, &s, DumpFormat::Json, false),
        "{\n  \"fields\": [{\"id\":\"_id\",\"type\":\"int\"},{\"id\":\"city\",\"type\":\"text\"},{\"id\":\"temp\",\"type\":\"numeric\"}],\n  \"records\": [\n    [3,\"Oslo\",-1],\n    [2,\"Rome\",12]\n]}\n"
    );
    t.ds.upsert(
        RID,
        &[obj(json!({"id": 3, "temp": null, "city": "<Oslo & co>"}))],
        datahavn_datastore::WriteMethod::Upsert,
        false,
    )
    .unwrap();
    assert_eq!(
        dump(&t, &s, DumpFormat::Xml, false),
        "<data xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n\
         <row _id=\"3\"><city>&lt;Oslo &amp; co&gt;</city><temp xsi:nil=\"true\" /></row>\n\
         <row _id=\"2\"><city>Rome</city><temp>12</temp></row>\n</data>\n"
    );
    let mut s = search(RID);
    s.filters = json!({"city": "Rome"});
    s.records_format = RecordsFormat::Objects;
    assert_eq!(dump(&t, &s, DumpFormat::Csv, false), "_id,id,city,temp,day\n2,2,Rome,12,2024-01-01\n");
}

/// Load speed: `cargo test -p datahavn-datastore --release --test load_dump -- --ignored --nocapture`.
#[test]
#[ignore]
fn load_speed() {
    let t = TestDs::new();
    let fields: Vec<FieldSpec> = (0..10)
        .map(|i| {
            field(
                &format!("c{i}"),
                match i % 4 {
                    0 => "int",
                    1 => "text",
                    2 => "numeric",
                    _ => "date",
                },
            )
        })
        .collect();
    let total = 200_000u64;
    let mut rows = (0..total).map(|i| -> Row {
        Ok((0..10)
            .map(|c| {
                Some(match c % 4 {
                    0 => i.to_string(),
                    1 => format!("text value {i} {c}"),
                    2 => format!("{i}.{c}"),
                    _ => "2024-05-06".to_owned(),
                })
            })
            .collect())
    });
    let started = std::time::Instant::now();
    let n = t.ds.load("speed", &fields, &mut rows, &mut |_| {}).unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!("{}: {n} rows x 10 columns in {secs:.2}s = {:.0} rows/s", t.ds.backend_name(), n as f64 / secs);
    assert_eq!(t.ds.info("speed").unwrap().unwrap().count, total);
}

/// Search speed on a 1M-row table, filter + sort on indexed fields, 16 threads:
/// `cargo test -p datahavn-datastore --release --test load_dump search_speed -- --ignored --nocapture`.
#[test]
#[ignore]
fn search_speed() {
    let t = TestDs::new();
    let fields = vec![field("k", "int"), field("name", "text"), field("v", "numeric"), field("d", "date")];
    let mut rows = (0..1_000_000u64).map(|i| -> Row {
        Ok(vec![
            Some((i % 5000).to_string()),
            Some(format!("name {i}")),
            Some(format!("{i}.5")),
            Some("2024-01-01".into()),
        ])
    });
    t.ds.load("big", &fields, &mut rows, &mut |_| {}).unwrap();
    t.ds.create(&CreateTable {
        resource_id: "big".into(),
        indexes: vec!["k,v".into()],
        ..Default::default()
    })
    .unwrap();
    let started = std::time::Instant::now();
    let done = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|scope| {
        for th in 0..16u64 {
            let ds = t.ds.clone();
            let done = &done;
            scope.spawn(move || {
                let mut i = th;
                while started.elapsed() < std::time::Duration::from_secs(3) {
                    let mut s = search("big");
                    s.filters = json!({"k": (i * 7919 % 5000).to_string()});
                    s.sort = Some("v desc".into());
                    s.limit = Some(10);
                    s.include_total = false;
                    let r = ds.search(&s).unwrap();
                    assert_eq!(r.records.as_array().unwrap().len(), 10);
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    i += 16;
                }
            });
        }
    });
    let n = done.load(std::sync::atomic::Ordering::Relaxed);
    println!("{}: {:.0} searches/s", t.ds.backend_name(), n as f64 / started.elapsed().as_secs_f64());
}

#[test]
fn searches_keep_working_across_reloads_and_changes() {
    let t = TestDs::new();
    for round in 0..12u64 {
        let fields = if round % 3 == 2 {
            vec![
                field("n", "int"),
                field("name", "text"),
                field("v", "numeric"),
                field("d", "date"),
                field("x", "text"),
            ]
        } else {
            fields()
        };
        let mut rows = (1..=round + 1).map(|i| {
            let mut r = row(i)?;
            if round % 3 == 2 {
                r.push(Some("extra".into()));
            }
            Ok(r)
        });
        t.ds.load("re", &fields, &mut rows, &mut |_| {}).unwrap();
        for _ in 0..4 {
            let mut s = search("re");
            s.filters = json!({"n": 1});
            s.fields = Some(vec!["n".into(), "name".into()]);
            let r = t.ds.search(&s).unwrap();
            assert_eq!(r.records, json!([{"n": 1, "name": "name 1\twith tab"}]));
            assert_eq!(t.ds.search(&search("re")).unwrap().total, Some(round + 1));
        }
    }
}
