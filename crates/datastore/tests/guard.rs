//! `datastore_search_sql`'s guard: what may run, what it becomes, and how refusals read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use datahavn_datastore::guard::{CheckedSql, Dialect, GuardError, MAX_OPERATORS, check};
use serde_json::{Value, json};
use sqlparser::ast::Statement;
use sqlparser::dialect::{PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

/// The resource of recording 37.
const A: &str = "52fd841c-d3d1-4077-a8e0-eac2016f89d2";
const B: &str = "0b6f5c1e-7a53-4b4e-9d2a-1f0c3e5a7b91";

fn resolve(name: &str) -> Option<String> {
    match name {
        n if n == A || n == B => Some(n.to_owned()),
        "temps" => Some(A.to_owned()),
        _ => None,
    }
}

fn ok(sql: &str, dialect: Dialect) -> CheckedSql {
    check(sql, dialect, &mut resolve).unwrap_or_else(|e| panic!("{sql}: {e:?}"))
}

fn pg(sql: &str) -> String {
    ok(sql, Dialect::Postgres).sql
}

fn lite(sql: &str) -> String {
    ok(sql, Dialect::Sqlite).sql
}

fn err(sql: &str, dialect: Dialect) -> GuardError {
    match check(sql, dialect, &mut resolve) {
        Ok(c) => panic!("{sql} was allowed as {}", c.sql),
        Err(e) => e,
    }
}

/// Status and body fields, on both dialects (which must agree).
fn refusal(sql: &str) -> (u16, Value) {
    let p = err(sql, Dialect::Postgres);
    let s = err(sql, Dialect::Sqlite);
    assert_eq!(p, s, "{sql}");
    (p.status(), Value::Object(p.fields()))
}

fn system(sql: &str) {
    assert_eq!(
        refusal(sql),
        (403, json!({"message": "Access denied: Not authorized to access system tables"})),
        "{sql}"
    );
}

fn function(sql: &str, name: &str) {
    assert_eq!(
        refusal(sql),
        (403, json!({"message": format!("Access denied: Not authorized to call function {name}")})),
        "{sql}"
    );
}

fn unknown(sql: &str, name: &str) {
    let (status, body) = refusal(sql);
    assert_eq!(status, 409, "{sql}");
    assert_eq!(
        body,
        json!({"query": ["Invalid query"], "info": {
            "statement": [sql], "params": [{}],
            "orig": [format!("relation \"{name}\" does not exist")]}}),
        "{sql}"
    );
}

fn invalid(sql: &str) {
    let (status, body) = refusal(sql);
    assert_eq!(status, 409, "{sql}");
    assert_eq!(body["query"], json!(["Invalid query"]), "{sql}");
    assert_eq!(body["info"]["statement"], json!([sql]), "{sql}");
}

/// A 409 whose `query` says what was refused.
fn refused(sql: &str, dialect: Dialect, words: &str) {
    let e = err(sql, dialect);
    assert_eq!(e.status(), 409, "{sql}");
    let text = e.fields()["query"][0].as_str().unwrap().to_owned();
    assert!(text.to_lowercase().contains(&words.to_lowercase()), "{sql}: {text}");
}

fn not_single(sql: &str) {
    assert_eq!(refusal(sql), (409, json!({"query": ["Query is not a single statement."]})), "{sql}");
}

#[test]
fn recording_37() {
    let sql = format!(r#"SELECT city, avg(temp) AS t FROM "{A}" GROUP BY city ORDER BY city"#);
    let c = ok(&sql, Dialect::Postgres);
    assert_eq!(
        c.sql,
        format!(r#"SELECT city, avg(temp) AS t FROM datastore."{A}" AS "{A}" GROUP BY city ORDER BY city"#)
    );
    assert_eq!(c.tables, vec![A.to_owned()]);
    assert_eq!(
        lite(&sql),
        format!(r#"SELECT city, avg(temp) AS t FROM "{A}" AS "{A}" GROUP BY city ORDER BY city"#)
    );
}

#[test]
fn joins_aliases_and_table_order() {
    let sql = format!(
        r#"SELECT a.city, b.n FROM "{B}" b JOIN "{A}" AS a ON a.city = b.city LEFT JOIN temps ON temps.city = a.city"#
    );
    let c = ok(&sql, Dialect::Postgres);
    assert_eq!(
        c.sql,
        format!(
            r#"SELECT a.city, b.n FROM datastore."{B}" b JOIN datastore."{A}" AS a ON a.city = b.city LEFT JOIN datastore."{A}" AS temps ON temps.city = a.city"#
        )
    );
    assert_eq!(c.tables, vec![B.to_owned(), A.to_owned()]);
    assert_eq!(
        lite(&sql),
        format!(
            r#"SELECT a.city, b.n FROM "{B}" b JOIN "{A}" AS a ON a.city = b.city LEFT JOIN "{A}" AS temps ON temps.city = a.city"#
        )
    );
}

#[test]
fn self_join_as_in_ckan_tests() {
    let sql = format!(
        r#"select a._id as first, b._id as second from "{A}" AS a, "{A}" AS b where a.author = b.author limit 2"#
    );
    assert_eq!(
        pg(&sql),
        format!(
            r#"SELECT a._id AS first, b._id AS second FROM datastore."{A}" AS a, datastore."{A}" AS b WHERE a.author = b.author LIMIT 2"#
        )
    );
}

#[test]
fn qualified_columns_keep_working_without_alias() {
    let sql = format!(r#"SELECT "{A}".city FROM public."{A}""#);
    assert_eq!(pg(&sql), format!(r#"SELECT "{A}".city FROM datastore."{A}" AS "{A}""#));
    assert_eq!(lite(&sql), format!(r#"SELECT "{A}".city FROM "{A}" AS "{A}""#));
    let sql = format!(r#"SELECT n FROM datastore."{B}""#);
    assert_eq!(lite(&sql), format!(r#"SELECT n FROM "{B}" AS "{B}""#));
}

#[test]
fn ctes_subqueries_windows_unions() {
    let sql = format!(
        r#"WITH c AS (SELECT city, temp FROM "{A}"), d AS (SELECT city FROM c WHERE temp > 0) SELECT city, rank() OVER (PARTITION BY city ORDER BY temp DESC) AS r FROM c WHERE city IN (SELECT city FROM d) AND EXISTS (SELECT 1 FROM "{B}" x WHERE x.city = c.city) UNION ALL SELECT name, (SELECT count(*) FROM temps) FROM "{B}""#
    );
    let c = ok(&sql, Dialect::Postgres);
    assert_eq!(
        c.sql,
        format!(
            r#"WITH c AS (SELECT city, temp FROM datastore."{A}" AS "{A}"), d AS (SELECT city FROM c WHERE temp > 0) SELECT city, rank() OVER (PARTITION BY city ORDER BY temp DESC) AS r FROM c WHERE city IN (SELECT city FROM d) AND EXISTS (SELECT 1 FROM datastore."{B}" x WHERE x.city = c.city) UNION ALL SELECT name, (SELECT count(*) FROM datastore."{A}" AS temps) FROM datastore."{B}" AS "{B}""#
        )
    );
    assert_eq!(c.tables, vec![A.to_owned(), B.to_owned()]);
    assert_eq!(
        lite(&sql),
        format!(
            r#"WITH c AS (SELECT city, temp FROM "{A}" AS "{A}"), d AS (SELECT city FROM c WHERE temp > 0) SELECT city, rank() OVER (PARTITION BY city ORDER BY temp DESC) AS r FROM c WHERE city IN (SELECT city FROM d) AND EXISTS (SELECT 1 FROM "{B}" x WHERE x.city = c.city) UNION ALL SELECT name, (SELECT count(*) FROM "{A}" AS temps) FROM "{B}" AS "{B}""#
        )
    );
}

#[test]
fn recursive_cte_and_derived_tables() {
    let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n";
    let out = "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n";
    assert_eq!(pg(sql), out);
    assert_eq!(lite(sql), out);
    let sql = format!(r#"SELECT s.c FROM (SELECT count(*) AS c FROM "{A}") AS s"#);
    assert_eq!(lite(&sql), format!(r#"SELECT s.c FROM (SELECT count(*) AS c FROM "{A}" AS "{A}") AS s"#));
}

#[test]
fn casts_and_postgresisms() {
    let sql = format!(
        r#"SELECT temp::int, temp::text, CAST(temp AS numeric), temp::float8, day::date, position('o' in city), greatest(1, 2), least(1, 2) FROM "{A}" WHERE city ILIKE 'o%' AND city NOT ILIKE '%x'"#
    );
    assert_eq!(
        pg(&sql),
        format!(
            r#"SELECT temp::INT, temp::TEXT, CAST(temp AS NUMERIC), temp::FLOAT8, day::DATE, POSITION('o' IN city), greatest(1, 2), least(1, 2) FROM datastore."{A}" AS "{A}" WHERE city ILIKE 'o%' AND city NOT ILIKE '%x'"#
        )
    );
    assert_eq!(
        lite(&sql),
        format!(
            r#"SELECT CAST(temp AS INTEGER), CAST(temp AS TEXT), CAST(temp AS NUMERIC), CAST(temp AS REAL), date(day), instr(city, 'o'), max(1, 2), min(1, 2) FROM "{A}" AS "{A}" WHERE city LIKE 'o%' AND city NOT LIKE '%x'"#
        )
    );
}

#[test]
fn string_literals_are_rendered_from_their_value() {
    let sql = r#"SELECT E'a\'b;', $$x;y$$, $t$q'$t$, 'it''s', E'back\\slash', N'n', true, NULL"#;
    assert_eq!(pg(sql), r#"SELECT 'a''b;', 'x;y', 'q''', 'it''s', E'back\\slash', 'n', true, NULL"#);
    assert_eq!(lite(sql), r#"SELECT 'a''b;', 'x;y', 'q''', 'it''s', 'back\slash', 'n', true, NULL"#);
}

#[test]
fn semicolons_in_strings_and_comments_are_one_statement() {
    let sql = format!(r#"SELECT * FROM public."{A}" WHERE "author" = 'foo; bar'"#);
    assert_eq!(pg(&sql), format!(r#"SELECT * FROM datastore."{A}" AS "{A}" WHERE "author" = 'foo; bar'"#));
    assert_eq!(pg("SELECT 1 -- ; DROP TABLE x"), "SELECT 1");
    assert_eq!(pg("SELECT 1 /* ; DROP TABLE x */ ;"), "SELECT 1");
    assert_eq!(pg("SELECT $$;$$"), "SELECT ';'");
}

#[test]
fn table_functions() {
    assert_eq!(pg("SELECT g FROM generate_series(1, 3) AS g"), "SELECT g FROM generate_series(1, 3) AS g");
    assert_eq!(pg("SELECT * FROM json_each('{\"a\": 1}')"), "SELECT * FROM json_each('{\"a\": 1}')");
    assert_eq!(lite("SELECT key FROM json_each('{\"a\": 1}')"), "SELECT key FROM json_each('{\"a\": 1}')");
    refused("SELECT * FROM generate_series(1, 3)", Dialect::Sqlite, "generate_series");
    function("SELECT * FROM pragma_table_info('x')", "pragma_table_info");
    function("SELECT * FROM dblink('host=x', 'select 1') AS t(a int)", "dblink");
    function("SELECT * FROM read_csv('/etc/passwd')", "read_csv");
    refused("SELECT * FROM lower('x')", Dialect::Postgres, "FROM");
}

#[test]
fn stacked_queries() {
    not_single("SELECT 1; DROP TABLE x");
    not_single(&format!(r#"SELECT * FROM "{A}"; DELETE FROM "{A}""#));
    not_single("SELECT 1; DO $$BEGIN END$$");
    not_single("SELECT 'a'; SELECT 'b' -- x");
}

#[test]
fn writes_and_other_statements() {
    for sql in [
        format!(r#"INSERT INTO "{A}" VALUES (1)"#),
        format!(r#"UPDATE "{A}" SET city = 'x'"#),
        format!(r#"DELETE FROM "{A}""#),
        format!(r#"DROP TABLE "{A}""#),
        "CREATE TABLE x (a int)".into(),
        format!(r#"ALTER TABLE "{A}" ADD COLUMN b int"#),
        format!(r#"TRUNCATE "{A}""#),
        format!(r#"GRANT SELECT ON "{A}" TO public"#),
        "SET ROLE postgres".into(),
        "RESET ALL".into(),
        "DO $$BEGIN PERFORM 1; END$$".into(),
        "CALL p()".into(),
        "EXPLAIN ANALYZE DELETE FROM x".into(),
        format!(r#"EXPLAIN SELECT * FROM "{A}""#),
        "COPY x TO PROGRAM 'id'".into(),
        "COPY (SELECT 1) TO '/tmp/x'".into(),
        "ATTACH DATABASE '/tmp/x' AS y".into(),
        "PRAGMA table_info(x)".into(),
        "LOCK TABLE x".into(),
        "".into(),
        "-- nothing".into(),
        "SELECT ** FROM foobar".into(),
    ] {
        invalid(&sql);
    }
}

#[test]
fn writing_ctes_into_and_locks() {
    invalid(&format!(r#"WITH d AS (DELETE FROM "{A}" RETURNING *) SELECT * FROM d"#));
    invalid(&format!(r#"WITH d AS (INSERT INTO "{A}" VALUES (1) RETURNING *) SELECT * FROM d"#));
    invalid(&format!(r#"SELECT * FROM (WITH u AS (UPDATE "{A}" SET a = 1 RETURNING *) SELECT * FROM u) s"#));
    let into = format!(r#"SELECT * INTO newtable FROM "{A}""#);
    refused(&into, Dialect::Postgres, "INTO");
    refused(&into, Dialect::Sqlite, "INTO");
    // FOR NO KEY UPDATE / FOR KEY SHARE do not parse: refused as invalid.
    invalid(&format!(r#"SELECT * FROM "{A}" FOR NO KEY UPDATE"#));
    for lock in ["FOR UPDATE", "FOR SHARE", "FOR UPDATE NOWAIT", "FOR SHARE SKIP LOCKED"] {
        refused(&format!(r#"SELECT * FROM "{A}" {lock}"#), Dialect::Postgres, "FOR UPDATE/SHARE");
    }
    refused(
        &format!(r#"SELECT * FROM (SELECT * FROM "{A}" FOR UPDATE) s"#),
        Dialect::Sqlite,
        "FOR UPDATE/SHARE",
    );
}

#[test]
fn system_tables() {
    for sql in [
        "SELECT * FROM pg_catalog.pg_user",
        "SELECT * FROM pg_user",
        "SELECT * FROM pg_shadow",
        "SELECT rolpassword FROM pg_roles",
        "SELECT * FROM pg_catalog.pg_database",
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM INFORMATION_SCHEMA.TABLES",
        "SELECT * FROM sqlite_master",
        "SELECT * FROM sqlite_schema",
        "SELECT * FROM main.sqlite_master",
        "SELECT * FROM \"_table_metadata\"",
        "SELECT * FROM datastore._datastore_table",
        r#"SELECT * FROM "pg_catalog"."pg_user""#,
        "SELECT * FROM PG_CATALOG.PG_USER",
        "SELECT * FROM (SELECT * FROM pg_authid) s",
        "SELECT 1 WHERE EXISTS (SELECT 1 FROM pg_stat_activity)",
        "WITH x AS (SELECT * FROM pg_user) SELECT * FROM x",
        "SELECT 'x'::regclass",
        "SELECT 'pg_authid'::regclass::oid",
        "SELECT 1::regproc",
        "SELECT 'public'::regnamespace",
        "SELECT 'x'::oid",
        "SELECT null::pg_catalog.int4",
        "SELECT json_populate_record(null::pg_authid, '{}')",
        "SELECT regclass 'pg_authid'",
    ] {
        system(sql);
    }
    system(&format!(r#"SELECT p.rolpassword FROM pg_roles p JOIN "{A}" r ON p.rolpassword = r.author"#));
}

#[test]
fn quoting_tricks() {
    // U& identifiers do not parse: refused as invalid, never resolved.
    invalid(r#"SELECT * FROM U&"\0070g_user""#);
    // Quoted names that look like system tables are refused as such, whatever their case.
    system(r#"SELECT * FROM "PG_USER ""#);
    unknown(r#"SELECT * FROM "xpg_user""#, "xpg_user");
    // In an expression U&"..." is U & "...": column names, no escape processing.
    assert_eq!(
        pg(&format!(r#"SELECT U&"\0070g_user" FROM "{A}""#)),
        format!(r#"SELECT U & "\0070g_user" FROM datastore."{A}" AS "{A}""#)
    );
    // Quotes inside quoted names stay inside.
    unknown(r#"SELECT * FROM "x"" FROM pg_user --""#, "x\" FROM pg_user --");
}

#[test]
fn unknown_tables_reveal_nothing() {
    unknown("SELECT * FROM nope", "nope");
    unknown("SELECT * FROM package", "package");
    unknown(r#"SELECT * FROM "user""#, "user");
    unknown("SELECT * FROM api_token", "api_token");
    unknown("SELECT * FROM public.user", "public.user");
    unknown(r#"SELECT * FROM "public"."package""#, "public.package");
    unknown("SELECT * FROM other.thing", "other.thing");
    unknown(&format!(r#"SELECT * FROM other."{A}""#), &format!("other.{A}"));
    unknown(&format!(r#"SELECT * FROM db.public."{A}""#), &format!("db.public.{A}"));
    unknown(&format!(r#"SELECT * FROM "{A}" JOIN nope ON true"#), "nope");
    // A CTE is not visible inside its own (non-recursive) body.
    unknown("WITH a AS (SELECT * FROM a) SELECT * FROM a", "a");
    // Nor in a sibling's scope once the WITH is closed.
    unknown(&format!(r#"SELECT * FROM (WITH c AS (SELECT 1) SELECT * FROM c) s, c, "{A}""#), "c");
    // Unquoted names fold to lower case, as PostgreSQL reads them.
    assert_eq!(pg("SELECT * FROM TEMPS"), format!(r#"SELECT * FROM datastore."{A}" AS TEMPS"#));
    unknown(r#"SELECT * FROM "TEMPS""#, "TEMPS");
}

#[test]
fn functions() {
    for (sql, name) in [
        ("SELECT pg_sleep(10)", "pg_sleep"),
        ("SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
        ("SELECT pg_read_binary_file('/etc/passwd')", "pg_read_binary_file"),
        ("SELECT pg_ls_dir('.')", "pg_ls_dir"),
        ("SELECT lo_import('/etc/passwd')", "lo_import"),
        ("SELECT lo_export(1, '/tmp/x')", "lo_export"),
        ("SELECT dblink('host=x', 'select 1')", "dblink"),
        ("SELECT dblink_exec('host=x', 'drop table x')", "dblink_exec"),
        ("SELECT current_setting('x')", "current_setting"),
        ("SELECT set_config('x', 'y', false)", "set_config"),
        ("SELECT pg_terminate_backend(1)", "pg_terminate_backend"),
        ("SELECT pg_cancel_backend(1)", "pg_cancel_backend"),
        ("SELECT txid_current()", "txid_current"),
        ("SELECT nextval('x')", "nextval"),
        ("SELECT setval('x', 1)", "setval"),
        ("SELECT query_to_xml('select 1', true, true, '')", "query_to_xml"),
        ("SELECT load_extension('x')", "load_extension"),
        ("SELECT readfile('/etc/passwd')", "readfile"),
        ("SELECT writefile('/tmp/x', 'y')", "writefile"),
        ("SELECT fts3_tokenizer('x')", "fts3_tokenizer"),
        ("SELECT sqlite_version()", "sqlite_version"),
        ("SELECT zeroblob(1000000000)", "zeroblob"),
        ("SELECT version()", "version"),
        ("SELECT no_such_function(1)", "no_such_function"),
        ("SELECT \"LOWER\"('x')", "LOWER"),
        ("SELECT public.lower('x')", "public.lower"),
        ("SELECT datastore.f()", "datastore.f"),
        ("SELECT user", "user"),
        ("SELECT current_user", "current_user"),
        ("SELECT session_user", "session_user"),
        ("SELECT current_schema", "current_schema"),
        ("SELECT current_database()", "current_database"),
        ("SELECT count(*) FROM generate_series(1, pg_backend_pid())", "pg_backend_pid"),
    ] {
        function(sql, name);
    }
    function(&format!(r#"SELECT city FROM "{A}" WHERE city = (SELECT pg_sleep(1)::text)"#), "pg_sleep");
    assert_eq!(pg("SELECT pg_catalog.lower('X')"), "SELECT pg_catalog.lower('X')");
    assert_eq!(lite("SELECT pg_catalog.lower('X')"), "SELECT lower('X')");
    assert_eq!(pg("SELECT \"lower\"('X')"), "SELECT \"lower\"('X')");
    refused("SELECT date_trunc('day', '2020-01-02')", Dialect::Sqlite, "date_trunc");
    assert_eq!(pg("SELECT date_trunc('day', now())"), "SELECT date_trunc('day', now())");
    assert_eq!(
        pg(&format!(
            r#"SELECT count(*) FILTER (WHERE temp > 1), string_agg(city, ',' ORDER BY city), percentile_cont(0.5) WITHIN GROUP (ORDER BY temp) FROM "{A}""#
        )),
        format!(
            r#"SELECT count(*) FILTER (WHERE temp > 1), string_agg(city, ',' ORDER BY city), percentile_cont(0.5) WITHIN GROUP (ORDER BY temp) FROM datastore."{A}" AS "{A}""#
        )
    );
    assert_eq!(lite("SELECT ifnull(NULL, 1), printf('%d', 2)"), "SELECT ifnull(NULL, 1), printf('%d', 2)");
    assert_eq!(err("SELECT ifnull(NULL, 1)", Dialect::Postgres), GuardError::Function("ifnull".into()));
}

#[test]
fn sqlite_refusals() {
    for (sql, words) in [
        (format!(r#"SELECT DISTINCT ON (city) city FROM "{A}""#), "DISTINCT ON"),
        ("SELECT 'x'::timestamp".into(), "timestamp"),
        ("SELECT ARRAY[1, 2]".into(), "ARRAY"),
        ("SELECT 'a' ~ 'b'".into(), "~"),
        ("SELECT now()".into(), "now"),
        ("SELECT extract(year from current_date)".into(), "EXTRACT"),
        ("SELECT interval '1 day'".into(), "INTERVAL"),
        ("SELECT 1 FETCH FIRST 1 ROWS ONLY".into(), "FETCH"),
        (format!(r#"SELECT * FROM "{A}" a, LATERAL (SELECT a.city) s"#), "LATERAL"),
    ] {
        refused(&sql, Dialect::Sqlite, words);
        check(&sql, Dialect::Postgres, &mut resolve).unwrap();
    }
}

#[test]
fn parameters_and_limits() {
    refused("SELECT $1", Dialect::Postgres, "parameters");
    let long = format!("SELECT '{}'", "x".repeat(200 * 1024));
    invalid(&long);
    let chain = format!("SELECT 1{}", "+1".repeat(MAX_OPERATORS + 1));
    invalid(&chain);
    let chain = format!("SELECT 1{}", " OR a".repeat(20_000));
    invalid(&chain);
    let nested = format!("SELECT {}1{}", "(".repeat(5_000), ")".repeat(5_000));
    invalid(&nested);
    let nested = format!("SELECT * FROM {}", "(SELECT * FROM ".repeat(1_000));
    invalid(&nested);
    // The longest chain allowed still checks and renders on a small stack.
    let chain = format!(
        "SELECT 'a' ILIKE 'b'{}{}",
        " || 'c'".repeat(MAX_OPERATORS / 2),
        "::text".repeat(MAX_OPERATORS / 2 - 2)
    );
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            for d in [Dialect::Postgres, Dialect::Sqlite] {
                check(&chain, d, &mut resolve).unwrap();
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn rendered_sql_reparses_as_one_query() {
    let harmless = [
        format!(r#"SELECT city, avg(temp) AS t FROM "{A}" GROUP BY city ORDER BY city"#),
        format!(r#"SELECT * FROM "{A}" a JOIN "{B}" b USING (city) WHERE a.temp BETWEEN 1 AND 3"#),
        r#"WITH c AS (SELECT * FROM temps) SELECT count(*) FROM c"#.to_owned(),
        format!(r#"SELECT city FROM "{A}" UNION SELECT name FROM "{B}" ORDER BY 1 LIMIT 5 OFFSET 1"#),
        format!(r#"SELECT CASE WHEN temp > 0 THEN 'warm' ELSE 'cold' END, coalesce(city, '?') FROM "{A}""#),
        format!(r#"SELECT city, temp::int FROM "{A}" WHERE city IS NOT NULL AND temp IN (1, 2, 3)"#),
        format!(r#"SELECT lag(temp) OVER w FROM "{A}" WINDOW w AS (ORDER BY _id)"#),
        format!(r#"SELECT * FROM "{A}" WHERE city LIKE 'a;%' -- ; DROP TABLE x"#),
        format!(r#"SELECT upper(city) || '!' FROM "{A}" WHERE city ILIKE $$o%$$"#),
        "VALUES (1, 'a'), (2, 'b')".into(),
    ];
    for sql in &harmless {
        for (d, reparse) in [
            (Dialect::Postgres, &PostgreSqlDialect {} as &dyn sqlparser::dialect::Dialect),
            (Dialect::Sqlite, &SQLiteDialect {}),
        ] {
            let out = ok(sql, d).sql;
            let statements = Parser::parse_sql(reparse, &out).unwrap_or_else(|e| panic!("{out}: {e}"));
            assert_eq!(statements.len(), 1, "{out}");
            assert!(matches!(statements[0], Statement::Query(_)), "{out}");
        }
    }
}

#[test]
fn error_bodies() {
    let e = err("SELECT pg_sleep(1)", Dialect::Postgres);
    assert_eq!(e.status(), 403);
    assert_eq!(e.reason().as_deref(), Some("Not authorized to call function pg_sleep"));
    let e = err("SELECT 1; SELECT 2", Dialect::Postgres);
    assert_eq!(e.reason(), None);
    assert_eq!(e, GuardError::NotSingleStatement);
}
