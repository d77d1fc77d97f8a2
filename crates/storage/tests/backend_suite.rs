//! The storage suite every backend must pass.
//!
//! Each test makes its own throw-away database with [`TestDb`]: a SQLite file by default, or a
//! fresh PostgreSQL database when `TEST_DATABASE_URL` is set, e.g.
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test -p datahavn-storage --features testing`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use datahavn_domain::Timestamp;
use datahavn_domain::user::{ApiToken, User, UserState};
use datahavn_storage::testing::TestDb;
use datahavn_storage::{DatabaseUrl, StorageError, StorageResult, Store, UserFilter, UserOrder};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A store on a fresh database. `store` is declared first so that it is dropped (its pool
/// closed) before the database goes away.
struct Fixture {
    store: Store,
    db: TestDb,
}

/// A fresh database with a store on it, not yet migrated.
fn unmigrated() -> Fixture {
    let db = TestDb::new();
    let store = match Store::open(db.url(), 4) {
        Ok(store) => store,
        Err(e) => panic!("open {}: {e}", db.url()),
    };
    Fixture { store, db }
}

/// A fresh, fully migrated database with a store on it.
fn migrated() -> Fixture {
    let fixture = unmigrated();
    fixture.store.migrate().expect("migrate");
    fixture
}

fn migrations_dir(backend: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend)
}

/// The migration directory names of one backend, sorted.
fn migration_dirs(backend: &str) -> Vec<String> {
    let dir = migrations_dir(backend);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry"))
        .filter(|entry| entry.file_type().expect("file type").is_dir())
        .map(|entry| entry.file_name().into_string().expect("UTF-8 directory name"))
        .collect();
    names.sort();
    names
}

/// The versions diesel records for the migrations this binary carries: the directory name up to
/// the first `_`, without its dashes (`2026-11-26-000001_users` → `20261126000001`).
fn known_versions() -> Vec<String> {
    let mut versions: Vec<String> = migration_dirs("sqlite")
        .iter()
        .map(|name| name.split('_').next().unwrap_or_default().replace('-', ""))
        .collect();
    versions.sort();
    versions
}

/// Runs SQL on the test database over a plain diesel connection, outside the store.
fn raw_sql(db: &TestDb, sql: &str) {
    let url = db.url_string();
    if db.is_postgres() {
        let mut conn = PgConnection::establish(&url).expect("plain PostgreSQL connection");
        conn.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    } else {
        let path = url.strip_prefix("sqlite://").expect("sqlite:// URL");
        let mut conn = SqliteConnection::establish(path).expect("plain SQLite connection");
        conn.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

fn at(unix_seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(unix_seconds).expect("valid timestamp")
}

fn user(name: &str, email: &str) -> User {
    User {
        id: format!("id-{name}"),
        name: name.to_owned(),
        email: email.to_owned(),
        fullname: None,
        about: None,
        image_url: None,
        password_hash: format!("$argon2id$hash-of-{name}"),
        sysadmin: false,
        state: UserState::Active,
        created: at(1_800_000_000),
        last_active: None,
        activity_streams_email_notifications: false,
        plugin_extras: None,
    }
}

fn token(id: &str, user_id: &str, created_at: Timestamp) -> ApiToken {
    ApiToken {
        id: id.to_owned(),
        user_id: user_id.to_owned(),
        name: format!("token {id}"),
        created_at,
        last_access: None,
    }
}

fn insert(store: &Store, users: &[&User]) {
    store
        .write(|tx| -> StorageResult<()> {
            for user in users {
                tx.insert_user(user)?;
            }
            Ok(())
        })
        .expect("insert users");
}

fn find(store: &Store, id_or_name: &str) -> Option<User> {
    store.read(|tx| tx.user_by_id_or_name(id_or_name)).expect("user_by_id_or_name")
}

fn names(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.name.as_str()).collect()
}

/// Lists users with `filter` (its limit raised to 100 when left at 0) and returns their names.
fn list(store: &Store, filter: UserFilter) -> Vec<String> {
    let filter = UserFilter { limit: if filter.limit == 0 { 100 } else { filter.limit }, ..filter };
    let users = store.read(|tx| tx.list_users(&filter)).expect("list_users");
    users.into_iter().map(|u| u.name).collect()
}

fn q(text: &str) -> UserFilter {
    UserFilter {
        q: Some(text.to_owned()),
        q_matches_email: true,
        order_by: UserOrder::Name,
        ..UserFilter::default()
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Migration folders
// ---------------------------------------------------------------------------------------------

#[test]
fn migration_folders_hold_the_same_versions_with_up_and_down_scripts() {
    let sqlite = migration_dirs("sqlite");
    let postgres = migration_dirs("postgres");
    assert!(!sqlite.is_empty(), "no migrations in {}", migrations_dir("sqlite").display());
    assert_eq!(sqlite, postgres, "migrations/sqlite and migrations/postgres differ");
    for backend in ["sqlite", "postgres"] {
        for name in migration_dirs(backend) {
            for script in ["up.sql", "down.sql"] {
                let path = migrations_dir(backend).join(&name).join(script);
                let text =
                    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(!text.trim().is_empty(), "{} is empty", path.display());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Migrating a fresh database
// ---------------------------------------------------------------------------------------------

#[test]
fn fresh_database_migrates_once_and_reports_its_schema() {
    let Fixture { store, db: _db } = unmigrated();
    let known = known_versions();

    let before = store.schema_status().expect("status of a fresh database");
    assert!(before.applied.is_empty(), "{before:?}");
    assert_eq!(before.pending, known.len());

    let mut applied = store.migrate().expect("migrate");
    applied.sort();
    assert_eq!(applied, known);

    let after = store.schema_status().expect("status after migrating");
    assert_eq!(after.pending, 0);
    assert_eq!(after.applied, known);

    assert_eq!(store.migrate().expect("second migrate"), Vec::<String>::new());
    assert_eq!(
        store.ensure_schema(false).expect("ensure_schema on a current database"),
        Vec::<String>::new()
    );
    assert_eq!(store.schema_status().expect("status").applied, known);
}

#[test]
fn ensure_schema_refuses_a_fresh_database_unless_it_may_migrate() {
    let Fixture { store, db: _db } = unmigrated();
    let known = known_versions();

    match store.ensure_schema(false) {
        Err(StorageError::MigrationsPending(n)) => assert_eq!(n, known.len()),
        other => panic!("expected MigrationsPending, got {other:?}"),
    }
    // Refusing changed nothing.
    assert_eq!(store.schema_status().expect("status").pending, known.len());

    let mut applied = store.ensure_schema(true).expect("ensure_schema(true)");
    applied.sort();
    assert_eq!(applied, known);
    assert_eq!(store.schema_status().expect("status").pending, 0);
}

// ---------------------------------------------------------------------------------------------
// 3. Down scripts
// ---------------------------------------------------------------------------------------------

#[test]
fn down_scripts_revert_cleanly_and_migrations_run_again() {
    let Fixture { store, db: _db } = migrated();
    let known = known_versions();
    let alice = user("alice", "alice@example.org");
    insert(&store, &[&alice]);

    assert_eq!(store.revert_all_migrations().expect("revert"), known.len());
    let status = store.schema_status().expect("status after revert");
    assert!(status.applied.is_empty(), "{status:?}");
    assert_eq!(status.pending, known.len());
    // The tables are gone.
    assert!(store.read(|tx| tx.user_by_id_or_name("alice")).is_err());

    // The up scripts would fail on left-over tables or indexes.
    let mut applied = store.migrate().expect("migrate after revert");
    applied.sort();
    assert_eq!(applied, known);
    assert_eq!(find(&store, "alice"), None);
    insert(&store, &[&alice]);
    assert_eq!(find(&store, "alice"), Some(alice));

    // And once more.
    assert_eq!(store.revert_all_migrations().expect("second revert"), known.len());
    assert_eq!(store.migrate().expect("second migrate").len(), known.len());
}

// ---------------------------------------------------------------------------------------------
// 4. A database from a newer binary
// ---------------------------------------------------------------------------------------------

#[test]
fn database_migrated_by_a_newer_binary_is_refused() {
    let Fixture { store, db } = migrated();
    raw_sql(&db, "INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000')");
    let newest_known = known_versions().last().cloned().expect("at least one migration");

    match store.schema_status() {
        Err(StorageError::SchemaTooNew { found, known }) => {
            assert_eq!(found, "29991231000000");
            assert_eq!(known, newest_known);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    assert!(matches!(store.migrate(), Err(StorageError::SchemaTooNew { .. })));
    assert!(matches!(store.ensure_schema(true), Err(StorageError::SchemaTooNew { .. })));
    assert!(matches!(store.ensure_schema(false), Err(StorageError::SchemaTooNew { .. })));
}

// ---------------------------------------------------------------------------------------------
// 5. Users
// ---------------------------------------------------------------------------------------------

#[test]
fn users_round_trip_by_id_and_name_and_update() {
    let Fixture { store, db: _db } = migrated();
    let mut alice = User {
        fullname: Some("Alice Liddell".into()),
        about: Some("Curiouser and curiouser".into()),
        image_url: Some("https://example.org/alice.png".into()),
        // Sub-second precision must survive the round trip on both backends.
        created: Timestamp::now(),
        activity_streams_email_notifications: true,
        plugin_extras: Some(serde_json::json!({"b": 1, "a": {"nested": [true, null]}})),
        ..user("alice", "alice@example.org")
    };
    let bob = user("bob", "bob@example.org");
    insert(&store, &[&alice, &bob]);

    assert_eq!(find(&store, "id-alice"), Some(alice.clone()));
    assert_eq!(find(&store, "alice"), Some(alice.clone()));
    assert_eq!(find(&store, "bob"), Some(bob.clone()));
    assert_eq!(find(&store, "carol"), None);

    alice.fullname = Some("Alice Pleasance Liddell".into());
    alice.sysadmin = true;
    alice.about = None;
    alice.plugin_extras = None;
    alice.state = UserState::Pending;
    alice.last_active = Some(Timestamp::now());
    store.write(|tx| tx.update_user(&alice)).expect("update alice");
    assert_eq!(find(&store, "alice"), Some(alice.clone()));
    // Updating one user leaves the others alone.
    assert_eq!(find(&store, "bob"), Some(bob));

    let ghost = user("ghost", "ghost@example.org");
    assert!(matches!(store.write(|tx| tx.update_user(&ghost)), Err(StorageError::NotFound)));
    assert_eq!(find(&store, "ghost"), None);
}

/// alice, bob, carol, dave (deleted) and erin, with fields chosen to tell the filters apart.
fn sample_users(store: &Store) {
    let alice = User { fullname: Some("Alice Liddell".into()), ..user("alice", "alice@example.org") };
    let bob = User { fullname: Some("Robert 100% Tables".into()), ..user("bob", "BOB@Example.ORG") };
    let carol = user("carol", "carol_x@example.net");
    let dave =
        User { fullname: Some("Dave".into()), state: UserState::Deleted, ..user("dave", "dave@example.net") };
    let erin = User { fullname: Some("Erin Xo".into()), ..user("erin", "erinx@example.net") };
    insert(store, &[&erin, &dave, &carol, &bob, &alice]);
}

#[test]
fn list_users_filters_orders_and_pages() {
    let Fixture { store, db: _db } = migrated();
    sample_users(&store);
    let by_name = |filter: UserFilter| UserFilter { order_by: UserOrder::Name, ..filter };

    // Everyone, in name order; `active_only` hides the deleted user.
    assert_eq!(list(&store, by_name(UserFilter::default())), ["alice", "bob", "carol", "dave", "erin"]);
    assert_eq!(
        list(&store, by_name(UserFilter { active_only: true, ..UserFilter::default() })),
        ["alice", "bob", "carol", "erin"]
    );

    // The default order is by display name (full name, else name), case-insensitively.
    assert_eq!(list(&store, UserFilter::default()), ["alice", "carol", "dave", "erin", "bob"]);

    // limit and offset.
    assert_eq!(list(&store, by_name(UserFilter { limit: 2, ..UserFilter::default() })), ["alice", "bob"]);
    assert_eq!(
        list(&store, by_name(UserFilter { limit: 2, offset: 1, ..UserFilter::default() })),
        ["bob", "carol"]
    );
    assert_eq!(list(&store, by_name(UserFilter { limit: 10, offset: 4, ..UserFilter::default() })), ["erin"]);
    assert!(list(&store, by_name(UserFilter { limit: 10, offset: 5, ..UserFilter::default() })).is_empty());
    assert_eq!(
        list(&store, by_name(UserFilter { active_only: true, limit: 2, offset: 2, ..UserFilter::default() })),
        ["carol", "erin"]
    );

    // q matches a substring of name, full name or email, ignoring case.
    assert_eq!(list(&store, q("ALI")), ["alice"]);
    assert_eq!(list(&store, q("liddell")), ["alice"]);
    assert_eq!(list(&store, q("LIDDELL")), ["alice"]);
    assert_eq!(list(&store, q("rober")), ["bob"]);
    assert_eq!(list(&store, q("example.org")), ["alice", "bob"]);
    assert_eq!(list(&store, q("EXAMPLE.NET")), ["carol", "dave", "erin"]);
    assert_eq!(list(&store, q("nobody-at-all")), Vec::<String>::new());
    // An empty q filters nothing.
    assert_eq!(list(&store, q("")).len(), 5);
    // q combines with active_only.
    assert_eq!(list(&store, UserFilter { active_only: true, ..q("example.net") }), ["carol", "erin"]);

    // Without `q_matches_email` (callers who are not sysadmins), emails are not searched.
    assert!(list(&store, UserFilter { q_matches_email: false, ..q("example.net") }).is_empty());
    assert_eq!(list(&store, UserFilter { q_matches_email: false, ..q("ALI") }), ["alice"]);
    let found = store.read(|tx| tx.autocomplete_users("example.net", false, 10)).expect("autocomplete");
    assert!(found.is_empty());

    // `%` and `_` in q are literal characters, not wildcards.
    assert_eq!(list(&store, q("%")), ["bob"]);
    assert_eq!(list(&store, q("100%")), ["bob"]);
    assert_eq!(list(&store, q("_x")), ["carol"]);
    assert_eq!(list(&store, q("_")), ["carol"]);
    assert_eq!(list(&store, q("a%e")), Vec::<String>::new());
    assert_eq!(list(&store, q("a_i")), Vec::<String>::new());
    // A backslash is literal too.
    assert_eq!(list(&store, q("\\")), Vec::<String>::new());

    // The exact-email filter ignores case.
    assert_eq!(
        list(&store, UserFilter { email: Some("bob@example.org".into()), ..UserFilter::default() }),
        ["bob"]
    );
    assert_eq!(
        list(&store, UserFilter { email: Some("ALICE@EXAMPLE.ORG".into()), ..UserFilter::default() }),
        ["alice"]
    );
    assert!(
        list(&store, UserFilter { email: Some("example.org".into()), ..UserFilter::default() }).is_empty()
    );

    // autocomplete: active users only, in name order.
    let found = store.read(|tx| tx.autocomplete_users("example.net", true, 10)).expect("autocomplete");
    assert_eq!(names(&found), ["carol", "erin"]);
    let found = store.read(|tx| tx.autocomplete_users("e", true, 2)).expect("autocomplete");
    assert_eq!(names(&found), ["alice", "bob"]);
}

#[test]
fn user_by_email_ignores_case() {
    let Fixture { store, db: _db } = migrated();
    sample_users(&store);
    let by_email = |email: &str| store.read(|tx| tx.user_by_email(email)).expect("user_by_email");

    assert_eq!(by_email("alice@example.org").map(|u| u.name), Some("alice".into()));
    assert_eq!(by_email("ALICE@Example.ORG").map(|u| u.name), Some("alice".into()));
    // Stored in mixed case, found in any case.
    assert_eq!(by_email("bob@example.org").map(|u| u.name), Some("bob".into()));
    assert_eq!(by_email("BOB@Example.ORG").map(|u| u.name), Some("bob".into()));
    // Deleted users are found too.
    assert_eq!(by_email("Dave@Example.Net").map(|u| u.name), Some("dave".into()));
    // Exact match only: no substrings, no wildcards.
    assert_eq!(by_email("example.org"), None);
    assert_eq!(by_email("carol%"), None);
    assert_eq!(by_email("carol_x@example.ne_"), None);
    assert_eq!(by_email("nobody@example.org"), None);
}

// ---------------------------------------------------------------------------------------------
// 6. Unique constraints
// ---------------------------------------------------------------------------------------------

fn insert_one(store: &Store, user: &User) -> StorageResult<()> {
    store.write(|tx| tx.insert_user(user))
}

#[test]
fn unique_name_email_and_id_conflict_by_field() {
    let Fixture { store, db: _db } = migrated();
    let alice = user("alice", "Alice@Example.org");
    insert(&store, &[&alice]);

    let same_name = User { id: "id-other-1".into(), ..user("alice", "someone@example.org") };
    match insert_one(&store, &same_name) {
        Err(StorageError::Conflict { field }) => assert_eq!(field, "name"),
        other => panic!("same name: expected Conflict, got {other:?}"),
    }

    let same_email = User { id: "id-other-2".into(), ..user("alicia", "aLICE@example.ORG") };
    match insert_one(&store, &same_email) {
        Err(StorageError::Conflict { field }) => assert_eq!(field, "email"),
        other => panic!("same email in another case: expected Conflict, got {other:?}"),
    }

    let same_id = User { id: alice.id.clone(), ..user("impostor", "impostor@example.org") };
    match insert_one(&store, &same_id) {
        Err(StorageError::Conflict { field }) => assert_eq!(field, "id"),
        other => panic!("same id: expected Conflict, got {other:?}"),
    }

    // An update onto someone else's name or email conflicts as well.
    let bob = user("bob", "bob@example.org");
    insert(&store, &[&bob]);
    let renamed = User { name: "alice".into(), ..bob.clone() };
    match store.write(|tx| tx.update_user(&renamed)) {
        Err(StorageError::Conflict { field }) => assert_eq!(field, "name"),
        other => panic!("rename onto a taken name: expected Conflict, got {other:?}"),
    }
    let readdressed = User { email: "ALICE@example.org".into(), ..bob.clone() };
    match store.write(|tx| tx.update_user(&readdressed)) {
        Err(StorageError::Conflict { field }) => assert_eq!(field, "email"),
        other => panic!("move onto a taken email: expected Conflict, got {other:?}"),
    }

    // Nothing of the refused rows was stored.
    assert_eq!(find(&store, "alice"), Some(alice));
    assert_eq!(find(&store, "bob"), Some(bob));
    assert_eq!(find(&store, "alicia"), None);
    assert_eq!(find(&store, "impostor"), None);
    assert_eq!(find(&store, "id-other-1"), None);
    assert_eq!(list(&store, UserFilter::default()).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// 7. Transactions
// ---------------------------------------------------------------------------------------------

/// An error of a layer above storage, as actions have.
#[derive(Debug)]
enum ActionError {
    Refused,
    Storage(StorageError),
}

impl From<StorageError> for ActionError {
    fn from(error: StorageError) -> Self {
        Self::Storage(error)
    }
}

#[test]
fn write_rolls_back_when_the_work_fails() {
    let Fixture { store, db: _db } = migrated();
    let alice = user("alice", "alice@example.org");
    let bob = user("bob", "bob@example.org");

    let result: StorageResult<()> = store.write(|tx| {
        tx.insert_user(&alice)?;
        assert!(tx.user_by_id_or_name("alice")?.is_some(), "visible inside the transaction");
        Err(StorageError::NotFound)
    });
    assert!(matches!(result, Err(StorageError::NotFound)), "{result:?}");
    assert_eq!(find(&store, "alice"), None);

    // The caller's own error type aborts the same way.
    let result: Result<(), ActionError> = store.write(|tx| {
        tx.insert_user(&bob)?;
        Err(ActionError::Refused)
    });
    assert!(matches!(result, Err(ActionError::Refused)), "{result:?}");
    assert_eq!(find(&store, "bob"), None);

    // A second insert that conflicts leaves no trace of the first.
    let alice_again = User { id: "id-alice-2".into(), ..user("alice", "alice2@example.org") };
    let result: Result<(), ActionError> = store.write(|tx| {
        tx.insert_user(&bob)?;
        tx.insert_user(&alice)?;
        tx.insert_user(&alice_again)?;
        Ok(())
    });
    assert!(
        matches!(result, Err(ActionError::Storage(StorageError::Conflict { field: "name" }))),
        "{result:?}"
    );
    assert_eq!(find(&store, "bob"), None);
    assert_eq!(find(&store, "alice"), None);
    assert_eq!(find(&store, "id-alice-2"), None);

    // The store is still usable, and a successful write commits all of it.
    let result: StorageResult<usize> = store.write(|tx| {
        tx.insert_user(&alice)?;
        tx.insert_user(&bob)?;
        Ok(2)
    });
    assert_eq!(result.expect("committing write"), 2);
    assert_eq!(find(&store, "alice"), Some(alice));
    assert_eq!(find(&store, "bob"), Some(bob));
}

// ---------------------------------------------------------------------------------------------
// 8. API tokens
// ---------------------------------------------------------------------------------------------

#[test]
fn api_tokens_belong_to_users_and_list_oldest_first() {
    let Fixture { store, db: _db } = migrated();
    let alice = user("alice", "alice@example.org");
    let bob = user("bob", "bob@example.org");
    insert(&store, &[&alice, &bob]);

    let t0 = Timestamp::now();
    let newest = token("jti-newest", &alice.id, at(1_800_000_300));
    let oldest = token("jti-oldest", &alice.id, at(1_800_000_100));
    let middle = ApiToken { last_access: Some(t0), ..token("jti-middle", &alice.id, at(1_800_000_200)) };
    let bobs = token("jti-bob", &bob.id, at(1_800_000_000));
    store
        .write(|tx| -> StorageResult<()> {
            for t in [&newest, &oldest, &middle, &bobs] {
                tx.insert_api_token(t)?;
            }
            Ok(())
        })
        .expect("insert tokens");

    let (found_token, found_user) = store
        .read(|tx| tx.api_token_with_user("jti-middle"))
        .expect("api_token_with_user")
        .expect("token exists");
    assert_eq!(found_token, middle);
    assert_eq!(found_user, alice);
    let (_, owner) = store.read(|tx| tx.api_token_with_user("jti-bob")).expect("lookup").expect("token");
    assert_eq!(owner, bob);
    assert_eq!(store.read(|tx| tx.api_token_with_user("jti-unknown")).expect("lookup"), None);
    assert_eq!(store.read(|tx| tx.api_token("jti-oldest")).expect("api_token"), Some(oldest.clone()));
    assert_eq!(store.read(|tx| tx.api_token("jti-unknown")).expect("api_token"), None);

    let of_alice = store.read(|tx| tx.api_tokens_of(&alice.id)).expect("api_tokens_of");
    assert_eq!(of_alice, [oldest.clone(), middle.clone(), newest.clone()]);
    let of_bob = store.read(|tx| tx.api_tokens_of(&bob.id)).expect("api_tokens_of");
    assert_eq!(of_bob, [bobs]);
    assert!(store.read(|tx| tx.api_tokens_of("id-nobody")).expect("api_tokens_of").is_empty());

    // Deleting: true once, then false.
    assert!(store.write(|tx| tx.delete_api_token("jti-middle")).expect("delete"));
    assert!(!store.write(|tx| tx.delete_api_token("jti-middle")).expect("delete again"));
    assert!(!store.write(|tx| tx.delete_api_token("jti-unknown")).expect("delete unknown"));
    assert_eq!(store.read(|tx| tx.api_token("jti-middle")).expect("api_token"), None);
    assert_eq!(store.read(|tx| tx.api_token_with_user("jti-middle")).expect("lookup"), None);
    let of_alice = store.read(|tx| tx.api_tokens_of(&alice.id)).expect("api_tokens_of");
    assert_eq!(of_alice, [oldest, newest]);

    // A token id is unique.
    let duplicate = token("jti-bob", &alice.id, at(1_800_000_500));
    assert!(matches!(
        store.write(|tx| tx.insert_api_token(&duplicate)),
        Err(StorageError::Conflict { field: "id" })
    ));
}

#[test]
fn touch_api_token_records_use_only_when_stale() {
    let Fixture { store, db: _db } = migrated();
    let alice = user("alice", "alice@example.org");
    let bob = user("bob", "bob@example.org");
    insert(&store, &[&alice, &bob]);
    let first = token("jti-first", &alice.id, at(1_800_000_000));
    let second = token("jti-second", &alice.id, at(1_800_000_001));
    let bobs = token("jti-bob", &bob.id, at(1_800_000_002));
    store
        .write(|tx| -> StorageResult<()> {
            for t in [&first, &second, &bobs] {
                tx.insert_api_token(t)?;
            }
            Ok(())
        })
        .expect("insert tokens");

    let last_access =
        |id: &str| store.read(|tx| tx.api_token(id)).expect("api_token").expect("token exists").last_access;
    let last_active = |name: &str| find(&store, name).expect("user exists").last_active;
    let touch = |t: &ApiToken, now: Timestamp, stale_before: Timestamp| {
        store.write(|tx| tx.touch_api_token(t, now, stale_before)).expect("touch_api_token");
    };

    // Never used: the first use is recorded on the token and its owner, with sub-second precision.
    let t1 = Timestamp::now();
    let t1_secs = t1.unix_seconds();
    touch(&first, t1, at(t1_secs - 60));
    assert_eq!(last_access("jti-first"), Some(t1));
    assert_eq!(last_active("alice"), Some(t1));
    // Nobody else was touched.
    assert_eq!(last_access("jti-second"), None);
    assert_eq!(last_access("jti-bob"), None);
    assert_eq!(last_active("bob"), None);

    // Used again within the window: nothing changes.
    touch(&first, at(t1_secs + 30), at(t1_secs - 30));
    assert_eq!(last_access("jti-first"), Some(t1));
    assert_eq!(last_active("alice"), Some(t1));

    // Used after the window: both are recorded again.
    let t2 = at(t1_secs + 120);
    touch(&first, t2, at(t1_secs + 60));
    assert_eq!(last_access("jti-first"), Some(t2));
    assert_eq!(last_active("alice"), Some(t2));

    // A never-used token of a recently active user: the token is recorded, the user is not.
    touch(&second, at(t1_secs + 130), at(t1_secs + 70));
    assert_eq!(last_access("jti-second"), Some(at(t1_secs + 130)));
    assert_eq!(last_active("alice"), Some(t2));
    assert_eq!(last_access("jti-first"), Some(t2));

    // Timestamps that differ by a microsecond compare correctly.
    let later = Timestamp::from_naive(t2.naive() + chrono_micro());
    touch(&first, at(t1_secs + 500), later);
    assert_eq!(last_access("jti-first"), Some(at(t1_secs + 500)));
    let same = at(t1_secs + 500);
    touch(&first, at(t1_secs + 900), same);
    assert_eq!(last_access("jti-first"), Some(at(t1_secs + 500)), "not strictly older: not stale");
}

/// One microsecond, the finest step both databases keep.
fn chrono_micro() -> chrono::TimeDelta {
    chrono::TimeDelta::microseconds(1)
}

#[test]
fn api_tokens_need_an_existing_user() {
    let Fixture { store, db } = migrated();
    let orphan = token("jti-orphan", "id-nobody", at(1_800_000_000));
    let result = store.write(|tx| tx.insert_api_token(&orphan));
    assert!(result.is_err(), "a token for a missing user was stored: foreign keys not enforced");
    assert_eq!(store.read(|tx| tx.api_token("jti-orphan")).expect("api_token"), None);

    // Deleting a user deletes its tokens (ON DELETE CASCADE), here through a plain connection.
    let alice = user("alice", "alice@example.org");
    let bob = user("bob", "bob@example.org");
    insert(&store, &[&alice, &bob]);
    let alices = token("jti-alice", &alice.id, at(1_800_000_000));
    let bobs = token("jti-bob", &bob.id, at(1_800_000_000));
    store
        .write(|tx| -> StorageResult<()> {
            tx.insert_api_token(&alices)?;
            tx.insert_api_token(&bobs)
        })
        .expect("insert tokens");
    let pragma = if db.is_postgres() { "" } else { "PRAGMA foreign_keys = ON; " };
    raw_sql(&db, &format!("{pragma}DELETE FROM users WHERE id = 'id-alice'"));
    assert_eq!(store.read(|tx| tx.api_token("jti-alice")).expect("api_token"), None);
    assert_eq!(store.read(|tx| tx.api_token("jti-bob")).expect("api_token"), Some(bobs));
}

// ---------------------------------------------------------------------------------------------
// 9. URLs and connection failures
// ---------------------------------------------------------------------------------------------

#[test]
fn database_urls_need_a_known_scheme() {
    for bad in ["mysql://x", "./plain/path"] {
        match DatabaseUrl::parse(bad) {
            Err(StorageError::BadUrl(message)) => assert!(!message.is_empty()),
            other => panic!("{bad}: expected BadUrl, got {other:?}"),
        }
    }
    assert!(matches!(DatabaseUrl::parse("sqlite://./some.db"), Ok(DatabaseUrl::Sqlite(_))));
    assert!(matches!(
        DatabaseUrl::parse("postgres://postgres@127.0.0.1:5432/test"),
        Ok(DatabaseUrl::Postgres(_))
    ));
}

#[test]
fn unreachable_postgres_is_unavailable_and_hides_the_password() {
    let url = DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/nope").expect("valid URL");
    match Store::open(&url, 2).err() {
        Some(StorageError::Unavailable(message)) => assert!(!message.is_empty()),
        Some(other) => panic!("expected Unavailable, got {other:?}"),
        None => panic!("a store opened on port 1"),
    }

    let url = DatabaseUrl::parse("postgres://u:secretpw@127.0.0.1:1/x").expect("valid URL");
    let error = Store::open(&url, 2).err().expect("a store opened on port 1");
    assert!(matches!(error, StorageError::Unavailable(_)), "expected Unavailable, got {error:?}");
    let shown = error.to_string();
    assert!(shown.contains("127.0.0.1"), "the message names the server: {shown}");
    assert!(!shown.contains("secretpw"), "password in the message: {shown}");
    assert!(!format!("{error:?}").contains("secretpw"), "password in Debug: {error:?}");
}

// ---------------------------------------------------------------------------------------------
// A unit of work that panics
// ---------------------------------------------------------------------------------------------

#[test]
fn a_panicking_write_leaves_no_open_transaction_behind() {
    let db = TestDb::new();
    // One connection, so the work after the panic gets the connection the panic left behind.
    let store = Store::open(db.url(), 1).expect("open");
    store.migrate().expect("migrate");
    let alice = user("alice", "alice@example.org");
    let bob = user("bob", "bob@example.org");

    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.write(|tx| -> StorageResult<()> {
            tx.insert_user(&alice)?;
            panic!("deliberate panic inside Store::write (expected by this test)");
        })
    }));
    assert!(outcome.is_err(), "the work did not panic");

    // The next write commits for real: another connection sees it, and not the panicked work.
    insert(&store, &[&bob]);
    let other = Store::open(db.url(), 1).expect("open a second store");
    assert_eq!(find(&other, "bob"), Some(bob.clone()));
    assert_eq!(find(&other, "alice"), None);
    assert_eq!(find(&store, "alice"), None);
    // And the second store can write too (on SQLite: no write lock was left held).
    insert(&other, &[&alice]);
    assert_eq!(find(&store, "alice"), Some(alice));
}

// ---------------------------------------------------------------------------------------------
// Opening fresh databases
// ---------------------------------------------------------------------------------------------

/// Opening a new SQLite file once raced the pool's own first connection (both switching the file
/// to WAL) and failed with `database is locked` in a few percent of the opens.
#[test]
fn opening_a_fresh_database_is_reliable() {
    let rounds = if TestDb::new().is_postgres() { 3 } else { 150 };
    for round in 0..rounds {
        let db = TestDb::new();
        let store =
            Store::open(db.url(), 4).unwrap_or_else(|e| panic!("round {round}: open {}: {e}", db.url()));
        store.migrate().unwrap_or_else(|e| panic!("round {round}: migrate: {e}"));
        insert(&store, &[&user("alice", "alice@example.org")]);
    }
}

// ---------------------------------------------------------------------------------------------
// Batches
// ---------------------------------------------------------------------------------------------

/// What the store's commit listener hears: the number of datasets changed, per commit.
fn commits_heard(store: &Store) -> std::sync::Arc<std::sync::Mutex<Vec<usize>>> {
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let ear = heard.clone();
    store.on_commit(Box::new(move |changed| ear.lock().expect("lock").push(changed.len())));
    heard
}

#[test]
fn a_batch_commits_its_writes_together_and_a_failing_write_alone_is_undone() {
    let f = migrated();
    let heard = commits_heard(&f.store);
    let (ann, bob) = (user("ann", "ann@example.org"), user("bob", "bob@example.org"));
    let outcomes = f
        .store
        .batch(|| -> StorageResult<Vec<bool>> {
            let first = f.store.write(|tx| tx.insert_user(&ann)).is_ok();
            // The batch's own reads see its writes before the commit.
            assert!(find(&f.store, "ann").is_some());
            // A write that fails (a duplicate id) is undone alone...
            let again = f.store.write(|tx| -> StorageResult<()> {
                tx.insert_user(&bob)?;
                tx.insert_user(&ann)
            });
            // ... and the batch goes on.
            let third = f.store.write(|tx| tx.insert_user(&user("cid", "cid@example.org"))).is_ok();
            Ok(vec![first, again.is_ok(), third])
        })
        .expect("batch");
    assert_eq!(outcomes, [true, false, true]);
    assert!(find(&f.store, "ann").is_some() && find(&f.store, "cid").is_some());
    assert!(find(&f.store, "bob").is_none(), "the failed write left nothing");
    assert_eq!(*heard.lock().expect("lock"), [0], "one commit, heard once");

    // A batch whose work fails writes nothing.
    let failed = f.store.batch(|| -> StorageResult<()> {
        f.store.write(|tx| tx.insert_user(&user("dee", "dee@example.org")))?;
        Err(StorageError::NotFound)
    });
    assert!(failed.is_err());
    assert!(find(&f.store, "dee").is_none());
    // Outside a batch, writes commit one by one again.
    insert(&f.store, &[&user("eve", "eve@example.org")]);
    assert!(find(&f.store, "eve").is_some());
    assert_eq!(heard.lock().expect("lock").len(), 2);
}

#[test]
fn a_whole_batch_commits_all_of_its_writes_or_none() {
    let f = migrated();
    let heard = commits_heard(&f.store);
    let (ann, bob) = (user("ann", "ann@example.org"), user("bob", "bob@example.org"));
    f.store
        .batch_whole(|| -> StorageResult<()> {
            f.store.write(|tx| tx.insert_user(&ann))?;
            // The batch's own reads see its writes before the commit.
            assert!(find(&f.store, "ann").is_some());
            f.store.write(|tx| tx.insert_user(&bob))
        })
        .expect("batch");
    assert!(find(&f.store, "ann").is_some() && find(&f.store, "bob").is_some());
    assert_eq!(*heard.lock().expect("lock"), [0], "one commit, heard once");

    // A write that fails half-way (its first insert went through) ends the batch with nothing
    // of it written, even when the work goes on and returns `Ok`.
    let (cid, dee) = (user("cid", "cid@example.org"), user("dee", "dee@example.org"));
    let outcome = f.store.batch_whole(|| -> StorageResult<bool> {
        f.store.write(|tx| tx.insert_user(&cid))?;
        let failed = f
            .store
            .write(|tx| -> StorageResult<()> {
                tx.insert_user(&dee)?;
                tx.insert_user(&ann)
            })
            .is_err();
        Ok(failed)
    });
    assert!(outcome.is_err(), "{outcome:?}");
    for name in ["cid", "dee"] {
        assert!(find(&f.store, name).is_none(), "{name} was written");
    }
    assert_eq!(heard.lock().expect("lock").len(), 1, "a batch rolled back is not heard");
    // The same writes in a batch with savepoints: only the failed write is undone.
    let written = f.store.batch(|| -> StorageResult<bool> {
        f.store.write(|tx| tx.insert_user(&cid))?;
        Ok(f.store
            .write(|tx| -> StorageResult<()> {
                tx.insert_user(&dee)?;
                tx.insert_user(&ann)
            })
            .is_err())
    });
    assert_eq!(written.ok(), Some(true));
    assert!(find(&f.store, "cid").is_some() && find(&f.store, "dee").is_none());
}

// ---------------------------------------------------------------------------------------------
// Packed values
// ---------------------------------------------------------------------------------------------

#[test]
fn dataset_dicts_are_stored_packed_and_rows_written_as_text_still_read() {
    use datahavn_domain::catalog::PackageRecord;

    let f = migrated();
    let resources: Vec<serde_json::Value> = (0..20)
        .map(|i| serde_json::json!({"id": format!("r{i}"), "name": format!("part {i}.csv"), "format": "CSV", "url": format!("https://example.org/files/part-{i}.csv")}))
        .collect();
    let document = serde_json::json!({"name": "packed", "notes": "Traffic counts, one file per month.", "resources": resources});
    let rendered = serde_json::json!({"id": "p-1", "name": "packed", "state": "active", "resources": document["resources"]}).to_string();
    let record = PackageRecord {
        document: document.as_object().unwrap().clone(),
        rendered: rendered.clone(),
        ..public_dataset("packed", "Packed")
    };
    f.store.write(|tx| tx.insert_package(&record)).unwrap();
    let read = f.store.read(|tx| tx.package_by_id_or_name("packed")).unwrap().unwrap();
    assert_eq!((read.document, read.rendered.as_str()), (record.document.clone(), rendered.as_str()));
    let (_, name, packed) = f.store.read(|tx| tx.package_access_name_and_rendered("p-1")).unwrap().unwrap();
    assert_eq!(name, "packed");
    assert_eq!(packed[0], datahavn_storage::pack::ZSTD_CKAN_1);
    assert!(packed.len() * 3 < rendered.len(), "{} of {}", packed.len(), rendered.len());
    assert_eq!(datahavn_storage::pack::unpack(&packed).unwrap(), rendered);

    // A row written before values were packed: JSON text in the same columns.
    let (document_sql, rendered_sql) = if f.db.is_postgres() {
        (
            "convert_to('{\"name\":\"old\"}', 'UTF8')",
            "convert_to('{\"id\":\"p-0\",\"name\":\"old\"}', 'UTF8')",
        )
    } else {
        ("'{\"name\":\"old\"}'", "'{\"id\":\"p-0\",\"name\":\"old\"}'")
    };
    raw_sql(
        &f.db,
        &format!(
            "INSERT INTO packages (id, name, title, type, state, private, metadata_created, metadata_modified, \
             document, rendered) VALUES ('p-0', 'old', 'Old', 'dataset', 'active', false, \
             '2020-01-01 00:00:00', '2020-01-01 00:00:00', {document_sql}, {rendered_sql})"
        ),
    );
    let old = f.store.read(|tx| tx.package_by_id_or_name("old")).unwrap().unwrap();
    assert_eq!(old.rendered, "{\"id\":\"p-0\",\"name\":\"old\"}");
    assert_eq!(old.document["name"], "old");
    // Damage is an error, not a panic or a wrong answer.
    let damaged = if f.db.is_postgres() { "'\\x01ffff'::bytea" } else { "X'01FFFF'" };
    raw_sql(&f.db, &format!("UPDATE packages SET rendered = {damaged} WHERE id = 'p-0'"));
    assert!(f.store.read(|tx| tx.package_by_id_or_name("old")).is_err());
}

#[test]
fn a_datasets_document_is_stored_against_its_rendered_dict_and_written_again_with_it() {
    use datahavn_domain::catalog::PackageRecord;
    use datahavn_storage::pack::{DOCUMENT_BY_RENDERED, unpack, unpack_document};

    let f = migrated();
    let resources: Vec<serde_json::Value> = (0..12)
        .map(|i| serde_json::json!({"id": format!("r{i}"), "format": "CSV", "url": format!("https://example.org/part-{i}.csv")}))
        .collect();
    let notes = "Counts, one file per month. ".repeat(8);
    let document = serde_json::json!({"name": "against", "notes": notes, "resources": resources});
    let rendered = |id: &str, title: &str| {
        serde_json::json!({"id": id, "name": "against", "title": title, "notes": notes, "resources": resources})
            .to_string()
    };
    let dataset = |id: &str| PackageRecord {
        id: id.into(),
        name: format!("against-{id}"),
        document: document.as_object().cloned().unwrap_or_default(),
        rendered: rendered(id, "Against"),
        ..public_dataset("against", "Against")
    };
    let read_back = |id: &str| {
        let read = f.store.read(|tx| tx.package_by_id_or_name(id)).unwrap().unwrap();
        (read.document, read.rendered)
    };
    let column = |id: &str| {
        datahavn_storage::testing::query_bytes(
            f.db.url(),
            &format!("SELECT document AS value FROM packages WHERE id = '{id}'"),
        )
    };
    // Written alone, and in a whole batch (on SQLite packed on the packing thread, on
    // PostgreSQL through the batch's queue).
    f.store.write(|tx| tx.insert_package(&dataset("p-1"))).unwrap();
    f.store.batch_whole(|| f.store.write(|tx| tx.insert_package(&dataset("p-2")))).unwrap();
    for id in ["p-1", "p-2"] {
        assert_eq!(read_back(id), (dataset(id).document, dataset(id).rendered));
        let (_, _, packed) = f.store.read(|tx| tx.package_access_name_and_rendered(id)).unwrap().unwrap();
        let stored = column(id);
        assert_eq!(stored[0], DOCUMENT_BY_RENDERED);
        assert!(stored.len() * 4 < document.to_string().len(), "{} bytes", stored.len());
        assert_eq!(unpack_document(&stored, &unpack(&packed).unwrap()).unwrap(), document.to_string());
    }
    let checked = f.store.read(|tx| tx.packages_for_check("", 10)).unwrap();
    let text = document.to_string();
    assert_eq!(checked.iter().map(|c| c.document.as_str()).collect::<Vec<_>>(), [text.as_str(); 2]);

    // A new rendered dict stores the document again, against it.
    let renamed = PackageRecord { rendered: rendered("p-1", "Renamed"), ..dataset("p-1") };
    f.store.write(|tx| tx.set_package_rendered(&renamed)).unwrap();
    assert_eq!(read_back("p-1"), (renamed.document.clone(), renamed.rendered.clone()));
    // An update is written without a rendered dict, then with its rendering.
    let mut updated = PackageRecord { rendered: String::new(), ..dataset("p-2") };
    updated.document.insert("title".into(), serde_json::json!("Updated"));
    f.store
        .write(|tx| {
            tx.update_package(&updated)?;
            updated.rendered = rendered("p-2", "Updated");
            tx.store_rendered(&updated)
        })
        .unwrap();
    assert_eq!(read_back("p-2"), (updated.document.clone(), updated.rendered.clone()));
    assert_eq!(column("p-2")[0], DOCUMENT_BY_RENDERED);
    // An older version could not read these documents: PostgreSQL will not go back past the
    // migration that brought them in (SQLite has no way to look).
    if f.db.is_postgres() {
        refuses_to_migrate_down_past(&f.store, "20261218000001");
        assert_eq!(read_back("p-1"), (renamed.document.clone(), renamed.rendered.clone()));
    }
}

/// Reverting every migration stops at `version`, which brought in values an older version
/// cannot read: it and every one before it stay applied (later ones may have gone back); then
/// the database migrates up again.
fn refuses_to_migrate_down_past(store: &Store, version: &str) {
    let refused = store.revert_all_migrations().unwrap_err().to_string();
    assert!(refused.contains("an older version cannot read them"), "{refused}");
    let applied = store.schema_status().unwrap().applied;
    assert!(applied.iter().any(|v| v == version), "{applied:?}");
    store.migrate().unwrap();
    assert_eq!(store.schema_status().unwrap().pending, 0);
}

#[test]
fn the_datasets_holding_a_name_are_found_with_their_states() {
    use datahavn_domain::catalog::PackageRecord;
    use datahavn_domain::package::PackageState;

    let f = migrated();
    let dataset =
        |id: &str, name: &str, state| PackageRecord { id: id.into(), state, ..public_dataset(name, "Title") };
    f.store
        .write(|tx| {
            tx.insert_package(&dataset("gone-1", "traffic", PackageState::Deleted))?;
            tx.insert_package(&dataset("gone-2", "traffic", PackageState::Deleted))?;
            tx.insert_package(&dataset("live", "traffic", PackageState::Draft))?;
            tx.insert_package(&dataset("other", "traffic-2024", PackageState::Active))
        })
        .unwrap();
    let mut held = f.store.read(|tx| tx.packages_named("traffic")).unwrap();
    held.sort_by(|a, b| a.0.cmp(&b.0));
    let expected = [
        ("gone-1".to_owned(), PackageState::Deleted),
        ("gone-2".to_owned(), PackageState::Deleted),
        ("live".to_owned(), PackageState::Draft),
    ];
    assert_eq!(held, expected);
    assert!(f.store.read(|tx| tx.packages_named("traffic-20")).unwrap().is_empty());
    // The deleted holders give the name up; the live one keeps it.
    let renamed = f.store.write(|tx| tx.free_name_of_deleted("traffic")).unwrap();
    assert_eq!(renamed.len(), 2);
    let held = f.store.read(|tx| tx.packages_named("traffic")).unwrap();
    assert_eq!(held, [("live".to_owned(), PackageState::Draft)]);
}

/// A public `new package` activity of dataset `p-1` by user `u-1`, with this payload.
fn new_package_activity(id: &str, data: serde_json::Value) -> datahavn_domain::catalog::Activity {
    datahavn_domain::catalog::Activity {
        id: id.into(),
        timestamp: Timestamp::now(),
        user_id: "u-1".into(),
        object_id: "p-1".into(),
        group_ids: vec![],
        activity_type: "new package".into(),
        public: true,
        permission_labels: vec!["public".into()],
        data,
    }
}

#[test]
fn a_dataset_activity_reads_back_whole_and_postgresql_will_not_migrate_down_past_it() {
    use datahavn_domain::catalog::PackageRecord;

    let f = migrated();
    let notes = "Traffic counts, one file per month. ".repeat(10);
    let dict = serde_json::json!({"id": "p-1", "name": "packed", "notes": notes, "state": "active"});
    let record = PackageRecord { rendered: dict.to_string(), ..public_dataset("packed", "Packed") };
    // The activity of the dataset's write, in the same transaction, and one of another shape.
    let dataset =
        new_package_activity("a-1", serde_json::json!({"package": dict, "actor": "alice \"the\" admin"}));
    let other =
        new_package_activity("a-2", serde_json::json!({"actor": "alice", "package": {"notes": notes}}));
    f.store
        .write(|tx| {
            tx.insert_package(&record)?;
            tx.insert_activity(&dataset)?;
            tx.insert_activity(&other)
        })
        .unwrap();
    for written in [&dataset, &other] {
        let read = f.store.read(|tx| tx.activity_by_id(&written.id)).unwrap().unwrap();
        assert_eq!(read.data, written.data);
        assert_eq!(read.data.to_string(), written.data.to_string(), "keys in their order");
    }
    if f.db.is_postgres() {
        refuses_to_migrate_down_past(&f.store, "20261216000001");
        assert!(f.store.read(|tx| tx.activity_by_id("a-1")).unwrap().is_some());
    }
}

#[test]
fn postgresql_keeps_a_datasets_packed_values_and_its_activity_in_the_row() {
    use diesel::RunQueryDsl;
    use diesel::sql_types::{BigInt, Text};

    let f = migrated();
    if !f.db.is_postgres() {
        return;
    }
    // Random text packs to about half its size: 150 ids make an activity of some 3 KB and a dataset row,
    // which PostgreSQL would move to the TOAST table (and try to compress first) by default.
    let ids: Vec<String> = (0..150).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let dict = serde_json::json!({"id": "p-1", "name": "packed", "notes": ids.join(" ")});
    let mut record = public_dataset("packed", "Packed");
    record.rendered = dict.to_string();
    record.document = dict.as_object().cloned().unwrap_or_default();
    let activity = new_package_activity("a-1", serde_json::json!({"package": dict, "actor": "alice"}));
    f.store
        .write(|tx| {
            tx.insert_package(&record)?;
            tx.insert_activity(&activity)
        })
        .unwrap();
    let mut conn = PgConnection::establish(&f.db.url_string()).expect("plain PostgreSQL connection");
    for table in ["packages", "activities"] {
        let sizes = format!("(SELECT coalesce(max(pg_column_size({table}.*)), 0)::bigint FROM {table})");
        let row: i64 = diesel::select(diesel::dsl::sql::<BigInt>(&sizes)).get_result(&mut conn).unwrap();
        assert!(row > 2500, "{table}: a row of {row} bytes is not the large one this test needs");
        let toast =
            format!("(SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = '{table}'::regclass)");
        let toast: String = diesel::select(diesel::dsl::sql::<Text>(&toast)).get_result(&mut conn).unwrap();
        let count = format!("(SELECT count(*) FROM {toast})");
        let moved: i64 = diesel::select(diesel::dsl::sql::<BigInt>(&count)).get_result(&mut conn).unwrap();
        assert_eq!(moved, 0, "{table}: values moved out of the row");
    }
    let read = f.store.read(|tx| tx.activity_by_id("a-1")).unwrap().unwrap();
    assert_eq!(read.data, activity.data);
}

/// The `i`th resource of a dataset.
fn resource_of(package_id: &str, i: i32) -> datahavn_domain::catalog::ResourceRecord {
    datahavn_domain::catalog::ResourceRecord {
        id: format!("{package_id}-r-{i}"),
        package_id: package_id.into(),
        position: i,
        state: "active".into(),
        url: format!("https://example.org/{package_id}/{i}.csv"),
        format: "CSV".into(),
        name: format!("part {i}"),
        description: String::new(),
        hash: format!("sha1:{i}"),
    }
}

/// The activity `id` recording a dataset's new dict, as `package_create` makes it.
fn activity_recording(
    id: &str,
    record: &datahavn_domain::catalog::PackageRecord,
) -> datahavn_domain::catalog::Activity {
    let dict: serde_json::Value = serde_json::from_str(&record.rendered).unwrap();
    datahavn_domain::catalog::Activity {
        object_id: record.id.clone(),
        ..new_package_activity(id, serde_json::json!({"package": dict, "actor": "alice"}))
    }
}

/// A migrated PostgreSQL store of one connection (what its writes prepared is what a read of
/// `pg_prepared_statements` lists); `None` on SQLite.
fn postgresql_on_one_connection() -> Option<(TestDb, Store)> {
    let db = TestDb::new();
    if !db.is_postgres() {
        return None;
    }
    let store = Store::open(db.url(), 1).expect("open");
    store.migrate().expect("migrate");
    Some((db, store))
}

#[test]
fn postgresql_prepares_the_inserts_of_a_datasets_resources_and_tags_once() {
    use datahavn_domain::catalog::ResourceRecord;

    let Some((_db, store)) = postgresql_on_one_connection() else { return };
    // Datasets of 3, 1 and 7 resources and of 2, 1 and 5 tags: each number of rows.
    let sizes = [(3, 2), (1, 1), (7, 5)];
    let mut expected = Vec::new();
    for (n, (resources, tags)) in sizes.into_iter().enumerate() {
        let mut dataset = public_dataset(&format!("d-{n}"), "D");
        dataset.id = format!("p-{n}");
        let rows: Vec<ResourceRecord> = (0..resources).map(|i| resource_of(&dataset.id, i)).collect();
        let names: Vec<String> = (0..tags).map(|i| format!("t-{n}-{i}")).collect();
        let made = store
            .write(|tx| {
                tx.insert_package(&dataset)?;
                tx.insert_resources(&rows)?;
                let made = tx.create_missing_tags(&names)?;
                tx.add_package_tags(&dataset.id, &made)?;
                Ok::<_, StorageError>(made)
            })
            .unwrap();
        assert_eq!(made.len(), names.len());
        expected.push((dataset.id, rows, made));
    }
    let prepared = store.read(|tx| tx.prepared_statements()).unwrap();
    for table in ["resources", "package_tags"] {
        let inserts = prepared.iter().filter(|sql| sql.starts_with(&format!("INSERT INTO {table} "))).count();
        assert_eq!(inserts, 1, "{table}: one prepared insert for every number of rows, in {prepared:#?}");
    }
    // And the rows are those written, each value in its column.
    for (id, rows, tags) in expected {
        for row in &rows {
            assert_eq!(store.read(|tx| tx.resource_by_id(&row.id)).unwrap().as_ref(), Some(row));
        }
        for tag in &tags {
            assert_eq!(
                store.read(|tx| tx.package_ids_with_tag(tag)).unwrap(),
                std::slice::from_ref(&id),
                "{id}: {tag}"
            );
        }
    }
}

#[test]
fn postgresql_inserts_the_new_datasets_of_a_whole_batch_a_table_at_a_time() {
    // In a whole batch on PostgreSQL a new dataset's rows wait, with those of the datasets
    // before it, and go in one insert per table: at most a thousand at a time, every value in
    // its column, the change log in the order of the writes.
    use datahavn_domain::catalog::{PackageRecord, ResourceRecord};

    let Some((_db, store)) = postgresql_on_one_connection() else { return };
    let tag = store.write(|tx| tx.ensure_tag("harbour", None)).unwrap();
    let owner = "o-1";
    store.write(|tx| tx.insert_group(&organization(owner, "harbour", "Harbour"))).unwrap();
    let dataset = |n: usize| {
        let dict = serde_json::json!({"id": format!("p-{n}"), "name": format!("d-{n}"), "notes": "Ferries. ".repeat(n % 50)});
        PackageRecord {
            id: format!("p-{n}"),
            name: format!("d-{n}"),
            title: format!("Dataset {n}"),
            private: n.is_multiple_of(3),
            owner_org: n.is_multiple_of(2).then(|| owner.to_owned()),
            creator_user_id: n.is_multiple_of(5).then(|| "u-1".to_owned()),
            metadata_created: at(1_700_000_000 + i64::try_from(n).unwrap()),
            metadata_modified: at(1_710_000_000 + i64::try_from(n).unwrap()),
            rendered: dict.to_string(),
            document: dict.as_object().cloned().unwrap_or_default(),
            ..public_dataset("d", "D")
        }
    };
    let resources = |n: usize| -> Vec<ResourceRecord> {
        (0..i32::try_from(n % 4).unwrap()).map(|i| resource_of(&format!("p-{n}"), i)).collect()
    };
    let activity = |n: usize, record: &PackageRecord| activity_recording(&format!("a-{n}"), record);
    let first_change = store.read(|tx| tx.last_change_seq()).unwrap();
    let count = 1_003;
    store
        .batch_whole(|| {
            for n in 0..count {
                store.write(|tx| {
                    let record = dataset(n);
                    // The name check counts the datasets waiting.
                    assert!(tx.packages_named(&record.name)?.is_empty());
                    tx.insert_package(&record)?;
                    assert_eq!(tx.packages_named(&record.name)?.len(), 1, "{}", record.name);
                    tx.insert_resources(&resources(n))?;
                    if n % 2 == 1 {
                        tx.add_package_tags(&record.id, std::slice::from_ref(&tag.id))?;
                    }
                    tx.insert_activity(&activity(n, &record))
                })?;
            }
            Ok::<_, StorageError>(())
        })
        .unwrap();
    let prepared = store.read(|tx| tx.prepared_statements()).unwrap();
    for table in ["packages", "resources", "package_tags", "activities", "change_log"] {
        let inserts: Vec<&String> = prepared
            .iter()
            .filter(|sql| {
                sql.contains(&format!("INSERT INTO {table} "))
                    || sql.contains(&format!("INSERT INTO \"{table}\""))
            })
            .collect();
        assert_eq!(inserts.len(), 1, "{table}: {inserts:#?}");
        assert!(inserts[0].contains("unnest("), "{table}: {}", inserts[0]);
    }
    for n in 0..count {
        let expected = dataset(n);
        let read = store.read(|tx| tx.package_by_id_or_name(&expected.id)).unwrap().expect("written");
        assert_eq!(
            (&read.name, &read.title, read.private, &read.owner_org, &read.creator_user_id),
            (
                &expected.name,
                &expected.title,
                expected.private,
                &expected.owner_org,
                &expected.creator_user_id
            ),
        );
        assert_eq!(
            (read.metadata_created, read.metadata_modified),
            (expected.metadata_created, expected.metadata_modified)
        );
        assert_eq!((&read.document, &read.rendered), (&expected.document, &expected.rendered), "p-{n}");
        for row in resources(n) {
            assert_eq!(store.read(|tx| tx.resource_by_id(&row.id)).unwrap(), Some(row));
        }
        let stored = store.read(|tx| tx.activity_by_id(&format!("a-{n}"))).unwrap().expect("its activity");
        assert_eq!(stored.data, activity(n, &expected).data, "a-{n}");
    }
    // The tagged ones that are public.
    let mut tagged = store.read(|tx| tx.package_ids_with_tag(&tag.id)).unwrap();
    tagged.sort();
    let mut expected: Vec<String> =
        (0..count).filter(|n| n % 2 == 1 && n % 3 != 0).map(|n| format!("p-{n}")).collect();
    expected.sort();
    assert_eq!(tagged, expected);
    let changes = store.read(|tx| tx.changes_after(first_change, 10_000)).unwrap();
    let ids: Vec<String> = changes.into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids, (0..count).map(|n| format!("p-{n}")).collect::<Vec<_>>());
}

fn organization(id: &str, name: &str, title: &str) -> datahavn_domain::group::Group {
    datahavn_domain::group::Group {
        id: id.into(),
        name: name.into(),
        title: title.into(),
        description: String::new(),
        image_url: String::new(),
        group_type: "organization".into(),
        is_organization: true,
        approval_status: "approved".into(),
        state: datahavn_domain::group::GroupState::Active,
        created: at(1_700_000_000),
        extras: Vec::new(),
        document: serde_json::Map::new(),
    }
}

#[test]
fn a_whole_batch_takes_the_organizations_and_tags_it_found_again_until_it_changes_them() {
    // A whole batch looks each organization and free tag up once; a write of a group or a
    // deletion of tags in the batch makes it look again, so it never takes a stale one.
    let f = migrated();
    f.store.write(|tx| tx.insert_group(&organization("o-1", "harbour", "Harbour"))).unwrap();
    f.store
        .batch_whole(|| {
            let first = f.store.write(|tx| tx.group_by_id_or_name("harbour"))?.expect("found");
            assert_eq!(f.store.write(|tx| tx.group_by_id_or_name("harbour"))?.as_ref(), Some(&first));
            f.store.write(|tx| {
                tx.update_group(&datahavn_domain::group::Group { title: "Port".into(), ..first })
            })?;
            for reference in ["harbour", "o-1"] {
                let found = f.store.write(|tx| tx.group_by_id_or_name(reference))?.expect("found");
                assert_eq!(found.title, "Port", "{reference}, after its change in the batch");
                let read = f.store.read(|tx| tx.group_by_id_or_name(reference))?.expect("found");
                assert_eq!(read.title, "Port", "{reference}, read in the batch");
            }
            f.store.write(|tx| tx.insert_group(&organization("o-2", "quay", "Quay")))?;
            assert_eq!(f.store.write(|tx| tx.group_by_id_or_name("quay"))?.map(|g| g.id), Some("o-2".into()));
            f.store.write(|tx| tx.purge_group("o-2"))?;
            assert_eq!(f.store.write(|tx| tx.group_by_id_or_name("quay"))?, None, "purged in the batch");

            let wanted = [("ferry".to_owned(), None), ("quay".to_owned(), None)];
            let tags = f.store.write(|tx| tx.ensure_tags(&wanted))?;
            assert_eq!(f.store.write(|tx| tx.ensure_tags(&wanted))?, tags, "the same tags again");
            f.store.write(|tx| tx.delete_tag(&tags[0].id))?;
            let again = f.store.write(|tx| tx.ensure_tags(&wanted))?;
            assert_ne!(again[0].id, tags[0].id, "a new tag for the deleted one");
            assert_eq!(again[1], tags[1]);
            let found = f.store.read(|tx| tx.tag_by_id_or_name("ferry", None))?.expect("made again");
            assert_eq!(found.id, again[0].id);
            f.store.write(|tx| tx.drop_unused_tags(&[again[1].id.clone()]))?;
            let last = f.store.write(|tx| tx.ensure_tags(&wanted))?;
            assert_ne!(last[1].id, tags[1].id, "a new tag for the dropped one");
            Ok::<_, StorageError>(())
        })
        .unwrap();
    // After the batch, what it made and changed is what is stored.
    assert_eq!(f.store.read(|tx| tx.group_by_id_or_name("o-1")).unwrap().unwrap().title, "Port");
    assert!(f.store.read(|tx| tx.group_by_id_or_name("quay")).unwrap().is_none());
    assert!(f.store.read(|tx| tx.tag_by_id_or_name("quay", None)).unwrap().is_some());
}

#[test]
fn a_whole_batch_reads_and_keeps_what_it_wrote_while_the_values_are_packed_beside() {
    // A whole batch leaves each new dataset's row, resources, tags and activity waiting: on
    // SQLite while its values are packed on another thread, on PostgreSQL in the batch's queue.
    // Every read must find them as written, a later write must win, and a batch that fails must
    // leave nothing.
    use datahavn_domain::catalog::PackageRecord;
    use datahavn_domain::package::PackageState;
    use datahavn_storage::pack::ZSTD_CKAN_1;

    let f = migrated();
    let notes = "Counts of cyclists at the harbour bridge, one file per month. ".repeat(40);
    let dataset = |n: usize| {
        let dict = serde_json::json!({"id": format!("p-{n}"), "name": format!("d-{n}"), "notes": notes});
        PackageRecord {
            id: format!("p-{n}"),
            name: format!("d-{n}"),
            rendered: dict.to_string(),
            document: dict.as_object().cloned().unwrap_or_default(),
            ..public_dataset("d", "D")
        }
    };
    let resource = |n: usize, i: i32| resource_of(&format!("p-{n}"), i);
    let activity = |n: usize, record: &PackageRecord| activity_recording(&format!("a-{n}"), record);
    let tag = f.store.write(|tx| tx.ensure_tag("cycling", None)).unwrap();
    let create = |tx: &mut datahavn_storage::Tx<'_>, n: usize| {
        let record = dataset(n);
        tx.insert_package(&record)?;
        tx.insert_resources(&[resource(n, 0), resource(n, 1)])?;
        tx.add_package_tags(&record.id, std::slice::from_ref(&tag.id))?;
        tx.insert_activity(&activity(n, &record))
    };
    f.store
        .batch_whole(|| {
            f.store.write(|tx| create(tx, 1))?;
            // The name is taken (the dataset is found without being written first)...
            let holders = f.store.read(|tx| tx.packages_named("d-1"))?;
            assert_eq!(holders, [("p-1".to_owned(), PackageState::Active)]);
            // ...and a read of the dataset, its resources or its tags finds them whole.
            let read = f.store.read(|tx| tx.package_by_id_or_name("d-1"))?.expect("d-1 in its batch");
            assert_eq!((read.document, read.rendered), (dataset(1).document, dataset(1).rendered));
            assert_eq!(f.store.read(|tx| tx.resource_by_id("p-1-r-1"))?, Some(resource(1, 1)));
            f.store.write(|tx| create(tx, 2))?;
            assert_eq!(f.store.read(|tx| tx.package_ids_with_tag(&tag.id))?.len(), 2);
            // A write after the dataset's own wins.
            f.store.write(|tx| create(tx, 3))?;
            f.store
                .write(|tx| tx.update_package(&PackageRecord { title: "Renamed".into(), ..dataset(3) }))?;
            // The last one is written when the batch commits.
            f.store.write(|tx| create(tx, 4))
        })
        .unwrap();
    for n in 1..=4 {
        let read = f.store.read(|tx| tx.package_by_id_or_name(&format!("p-{n}"))).unwrap().unwrap();
        assert_eq!((&read.document, &read.rendered), (&dataset(n).document, &dataset(n).rendered), "p-{n}");
        assert_eq!(read.title, if n == 3 { "Renamed" } else { "D" });
        for i in 0..2 {
            let found = f.store.read(|tx| tx.resource_by_id(&format!("p-{n}-r-{i}"))).unwrap();
            assert_eq!(found, Some(resource(n, i)), "p-{n}");
        }
        let stored = f.store.read(|tx| tx.activity_by_id(&format!("a-{n}"))).unwrap().unwrap();
        assert_eq!(stored.data, activity(n, &dataset(n)).data, "a-{n}");
        // Stored packed, as any other dataset's.
        let (_, _, rendered) =
            f.store.read(|tx| tx.package_access_name_and_rendered(&format!("p-{n}"))).unwrap().unwrap();
        assert_eq!(rendered.first(), Some(&ZSTD_CKAN_1), "p-{n}");
    }
    assert_eq!(f.store.read(|tx| tx.package_ids_with_tag(&tag.id)).unwrap().len(), 4);
    // A batch that fails leaves none of its datasets, waiting or written.
    let failed: Result<(), StorageError> = f.store.batch_whole(|| {
        f.store.write(|tx| create(tx, 5))?;
        f.store.write(|tx| create(tx, 6))?;
        Err(StorageError::Internal("stop".into()))
    });
    assert!(failed.is_err());
    for n in [5, 6] {
        assert!(f.store.read(|tx| tx.package_by_id_or_name(&format!("p-{n}"))).unwrap().is_none());
        assert!(f.store.read(|tx| tx.activity_by_id(&format!("a-{n}"))).unwrap().is_none());
        assert!(f.store.read(|tx| tx.resource_by_id(&format!("p-{n}-r-0"))).unwrap().is_none());
    }
    assert_eq!(f.store.read(|tx| tx.package_ids_with_tag(&tag.id)).unwrap().len(), 4);
    // A waiting dataset that cannot be written (its id is taken) fails the batch, even when
    // the read that wrote it first is not looked at.
    let taken: Result<(), StorageError> = f.store.batch_whole(|| {
        f.store.write(|tx| tx.insert_package(&PackageRecord { name: "d-7".into(), ..dataset(1) }))?;
        let _ = f.store.read(|tx| tx.package_by_id_or_name("d-7"));
        Ok(())
    });
    assert!(taken.is_err());
    assert!(f.store.read(|tx| tx.package_by_id_or_name("d-7")).unwrap().is_none());
    // Resources of the waiting dataset and of another, in one call: both kept.
    f.store
        .batch_whole(|| {
            f.store.write(|tx| tx.insert_package(&dataset(8)))?;
            f.store.write(|tx| tx.insert_resources(&[resource(8, 5), resource(1, 9)]))
        })
        .unwrap();
    assert_eq!(f.store.read(|tx| tx.resource_by_id("p-8-r-5")).unwrap(), Some(resource(8, 5)));
    assert_eq!(f.store.read(|tx| tx.resource_by_id("p-1-r-9")).unwrap(), Some(resource(1, 9)));
    assert_eq!(f.store.read(|tx| tx.package_by_id_or_name("p-1")).unwrap().unwrap().name, "d-1");
}

#[test]
fn tags_made_ahead_of_datasets_and_the_unused_ones_dropped() {
    let f = migrated();
    let old = f.store.write(|tx| tx.ensure_tag("old", None)).unwrap();
    let vocabulary_tag = f.store.write(|tx| {
        tx.insert_vocabulary(&datahavn_domain::catalog::Vocabulary { id: "v-1".into(), name: "v".into() })?;
        tx.ensure_tag("new", Some("v-1"))
    });
    let vocabulary_tag = vocabulary_tag.unwrap();
    // Only the free tags that did not exist are made; the vocabulary's "new" is another tag.
    let names: Vec<String> = ["new", "old", "spare"].map(String::from).to_vec();
    let made = f.store.write(|tx| tx.create_missing_tags(&names)).unwrap();
    assert_eq!(made.len(), 2);
    assert!(!made.contains(&old.id) && !made.contains(&vocabulary_tag.id));
    assert!(f.store.write(|tx| tx.create_missing_tags(&names)).unwrap().is_empty(), "made once");
    // Found in their order, the existing ones with their ids.
    let wanted =
        [("old".to_owned(), None), ("new".to_owned(), Some("v-1".to_owned())), ("new".to_owned(), None)];
    let tags = f.store.write(|tx| tx.ensure_tags(&wanted)).unwrap();
    assert_eq!(tags[0].id, old.id);
    assert_eq!(tags[1].id, vocabulary_tag.id);
    assert!(made.contains(&tags[2].id));
    // A dataset takes "new" up: of the tags made, only "spare" goes.
    let record = public_dataset("tagged", "Tagged");
    let new_id = tags[2].id.clone();
    f.store
        .write(|tx| {
            tx.insert_package(&record)?;
            tx.add_package_tags("p-1", std::slice::from_ref(&new_id))
        })
        .unwrap();
    assert_eq!(f.store.write(|tx| tx.drop_unused_tags(&made)).unwrap(), 1);
    let left: Vec<String> = ["new", "old", "spare"]
        .iter()
        .filter(|name| f.store.read(|tx| tx.tag_by_id_or_name(name, None)).unwrap().is_some())
        .map(|name| (*name).to_owned())
        .collect();
    assert_eq!(left, ["new", "old"]);
    // Datasets found by id or by name, in any state.
    let mut found =
        f.store.read(|tx| tx.packages_referenced(&["p-1".into(), "tagged".into(), "nope".into()])).unwrap();
    found.dedup();
    assert_eq!(found, [("p-1".to_owned(), "tagged".to_owned())]);
}

#[test]
fn a_dataset_with_thousands_of_resources_and_tags_is_written_whole() {
    // 4,000 resources bind 36,000 values: more than one statement may hold on SQLite.
    use datahavn_domain::catalog::ResourceRecord;

    let f = migrated();
    let resources: Vec<ResourceRecord> = (0..4000)
        .map(|i| ResourceRecord {
            id: format!("r-{i}"),
            package_id: "p-1".into(),
            position: i,
            state: "active".into(),
            url: format!("https://example.org/{i}.csv"),
            format: "CSV".into(),
            name: format!("part {i}"),
            description: format!("Part {i} of the counts"),
            hash: String::new(),
        })
        .collect();
    let names: Vec<String> = (0..1500).map(|i| format!("tag-{i}")).collect();
    let made = f
        .store
        .write(|tx| {
            tx.insert_package(&public_dataset("many", "Many"))?;
            tx.insert_resources(&resources)?;
            let made = tx.create_missing_tags(&names)?;
            tx.add_package_tags("p-1", &made)?;
            Ok::<_, StorageError>(made)
        })
        .unwrap();
    assert_eq!(made.len(), 1500);
    for i in [0, 999, 1000, 1999, 2000, 3999] {
        let read = f.store.read(|tx| tx.resource_by_id(&format!("r-{i}"))).unwrap();
        assert_eq!(read.as_ref(), Some(&resources[i]), "resource {i}");
    }
    // Every tag made is the dataset's: none is unused.
    assert_eq!(f.store.write(|tx| tx.drop_unused_tags(&made)).unwrap(), 0);
}

/// An active public dataset `p-1` with an empty document and dict.
fn public_dataset(name: &str, title: &str) -> datahavn_domain::catalog::PackageRecord {
    datahavn_domain::catalog::PackageRecord {
        id: "p-1".into(),
        name: name.into(),
        title: title.into(),
        package_type: "dataset".into(),
        state: datahavn_domain::package::PackageState::Active,
        private: false,
        owner_org: None,
        creator_user_id: None,
        metadata_created: at(1_700_000_000),
        metadata_modified: at(1_700_000_000),
        document: serde_json::Map::new(),
        rendered: "{}".into(),
    }
}

#[test]
fn work_that_must_not_wait_is_refused_the_database_and_says_it_asked() {
    let Fixture { store, db: _db } = migrated();
    let alice = user("alice", "alice@example.org");
    insert(&store, &[&alice]);

    // Work that never asks answers.
    assert_eq!(datahavn_storage::without_waiting(|| 7), Some(7));
    // A read is refused at once (it takes no connection), and the answer is not one.
    let read = datahavn_storage::without_waiting(|| store.read(|tx| tx.user_by_id_or_name("alice")));
    assert!(read.is_none());
    // So is a write, which changes nothing, and a batch; a refusal caught by the work still
    // makes its answer none.
    let bob = user("bob", "bob@example.org");
    let write = datahavn_storage::without_waiting(|| store.write(|tx| tx.insert_user(&bob)).is_err());
    assert_eq!(write, None);
    let batch = datahavn_storage::without_waiting(|| store.batch(|| Ok::<_, StorageError>(())).is_ok());
    assert_eq!(batch, None);
    assert!(store.read(|tx| tx.user_by_id_or_name("bob")).unwrap().is_none());
    // Nested: the inner work's asking is the outer work's too.
    let nested = datahavn_storage::without_waiting(|| {
        let inner = datahavn_storage::without_waiting(|| store.read(|tx| tx.user_by_id_or_name("alice")));
        assert!(inner.is_none());
        1
    });
    assert_eq!(nested, None);
    // Afterwards the thread may wait again.
    assert!(datahavn_storage::may_wait().is_ok());
    assert!(store.read(|tx| tx.user_by_id_or_name("alice")).unwrap().is_some());
}

#[test]
fn a_thread_may_wait_again_after_work_that_must_not_wait_panics() {
    let Fixture { store, db: _db } = migrated();
    let panicked = std::panic::catch_unwind(|| {
        datahavn_storage::without_waiting(|| -> () { panic!("in the work") });
    });
    assert!(panicked.is_err());
    assert!(datahavn_storage::may_wait().is_ok());
    assert!(store.read(|tx| tx.user_by_id_or_name("nobody")).unwrap().is_none());
}
