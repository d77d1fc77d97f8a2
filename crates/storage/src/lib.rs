//! datahavn's storage: one set of diesel queries over SQLite and PostgreSQL.
//!
//! [`Store`] owns the connection pool. Every unit of work runs in a closure that receives a
//! [`Tx`]; writes run in one transaction. The public API speaks domain types only.

mod conn;
mod error;
mod files;
mod migrate;
pub mod pack;
mod queries;
mod rows;
mod rows_catalog;
mod schema;
#[cfg(feature = "testing")]
pub mod testing;
mod url;

use std::sync::{Arc, Mutex};

use diesel::Connection;
use diesel::connection::SimpleConnection;

pub use error::{StorageError, StorageResult};
pub use files::{FileStore, ObjectWriter, StoredFile, WrittenObject};
pub use migrate::SchemaStatus;
pub use queries::{
    ActivityFilter, ActivityStream, ChangeCursor, DashboardScope, GroupFilter, GroupPackages, GroupStream,
    IndexedPackage, PackageCheck, TagSearch, UserFilter, UserOrder,
};
pub use url::DatabaseUrl;

use conn::{AnyConnection, Pool};

thread_local! {
    /// Set while this thread runs work that must not wait for the database (see
    /// [`without_waiting`]): whether that work asked for it.
    static UNWAITED: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
}

/// Runs `work` on a thread that must not wait for the database (an HTTP worker that serves
/// other connections meanwhile): every read or write it starts fails at once instead of
/// taking a connection or a lock. `None` when `work` asked for the database: its result is
/// then not an answer, and the work is to be done again where it may wait.
pub fn without_waiting<R>(work: impl FnOnce() -> R) -> Option<R> {
    /// Puts back the thread's earlier state however `work` ends (a panic included); a nested
    /// work's asking is the outer work's too.
    struct Restore(Option<bool>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let asked = UNWAITED.with(|flag| flag.get()) == Some(true);
            UNWAITED.with(|flag| flag.set(self.0.map(|outer| outer || asked)));
        }
    }
    let restore = Restore(UNWAITED.with(|flag| flag.replace(Some(false))));
    let result = work();
    let asked = UNWAITED.with(|flag| flag.get()) == Some(true);
    drop(restore);
    (!asked).then_some(result)
}

/// An error when this thread must not wait for the database ([`without_waiting`]), noting
/// that it was asked for.
pub fn may_wait() -> StorageResult<()> {
    UNWAITED.with(|flag| match flag.get() {
        None => Ok(()),
        Some(_) => {
            flag.set(Some(true));
            Err(StorageError::Unavailable("the database is not asked on this thread".into()))
        }
    })
}

/// The database: a pool of connections to one backend.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    url: DatabaseUrl,
    /// SQLite has one writer at a time; taking this lock first keeps writers of this process
    /// from failing with `database is locked` on a lock upgrade.
    write_lock: Arc<Mutex<()>>,
    /// Told of every committed write of this process ([`Store::on_commit`]).
    listener: Arc<std::sync::OnceLock<CommitListener>>,
}

/// What [`Store::on_commit`] calls after each committed write transaction, with the ids of the
/// datasets it changed (each change-log entry it wrote; none for writes to other tables).
pub type CommitListener = Box<dyn Fn(&[String]) + Send + Sync>;

/// The connection pool's size at one moment ([`Store::pool_state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}

/// A connection lent to one unit of work. Query methods live in `queries/`.
pub struct Tx<'a> {
    conn: &'a mut AnyConnection,
    /// Inside a write transaction: rows read to be changed are locked (PostgreSQL).
    writing: bool,
    /// The datasets this transaction changed (its change-log entries).
    changed: Vec<String>,
    /// In a whole batch on SQLite: the dataset whose row waits for its packed values
    /// ([`Pending`]), kept by the batch from one write to the next.
    later: Option<&'a mut Option<Pending>>,
    /// In a whole batch on PostgreSQL: the rows of the batch's new datasets, inserted together
    /// ([`Queue`]).
    queue: Option<&'a mut Queue>,
    /// In a whole batch: the organizations, groups and free tags it looked up ([`Known`]).
    known: Option<&'a mut Known>,
    /// Why writing that row failed, when a statement that needed it first wrote it: the unit of
    /// work then fails.
    unwritten: Option<StorageError>,
}

/// A dataset created in a whole batch on SQLite whose document and rendered dict are being
/// packed on the packing thread ([`pack::Later`]), so that the batch's one writer goes on with
/// the dataset's other rows and the next dataset's checks meanwhile. Its row, the activities
/// recording its dict, its resources and its tags wait here, and are inserted by
/// [`Tx::finish_packing`] before any statement that might read them runs ([`Tx::conn`]); only
/// the dataset's change and lookups of tags, organizations and memberships go first
/// ([`Tx::conn_beside_pending`]).
pub(crate) struct Pending {
    row: rows_catalog::PackageRow,
    later: pack::Later,
    resources: Vec<datahavn_domain::catalog::ResourceRecord>,
    tag_ids: Vec<String>,
    /// Its activities, and their actors' JSON text.
    activities: Vec<(rows_catalog::ActivityRow, String)>,
}

/// The rows of the new datasets of a whole batch on PostgreSQL, inserted together a table at
/// a time, each column bound as one array ([`Tx::insert_queued`]), before any statement that
/// might read them runs ([`Tx::conn`]) and at the commit: a new dataset then costs the database
/// its lookups of names, tags and organizations, where each of its rows' inserts was a round
/// trip and a statement of its own. At most [`Queue::MOST`] datasets wait.
#[derive(Default)]
pub(crate) struct Queue {
    packages: Vec<rows_catalog::PackageRow>,
    /// The waiting datasets' ids.
    ids: std::collections::HashSet<String>,
    resources: Vec<datahavn_domain::catalog::ResourceRecord>,
    /// `(package_id, tag_id)`, a column each.
    tags: [Vec<String>; 2],
    activities: Vec<rows_catalog::ActivityRow>,
    /// Change-log entries: the dataset and when.
    changes: Vec<(String, chrono::NaiveDateTime)>,
}

impl Queue {
    const MOST: usize = 1000;

    fn is_empty(&self) -> bool {
        self.packages.is_empty() && self.changes.is_empty()
    }

    fn holds(&self, package_id: &str) -> bool {
        self.ids.contains(package_id)
    }
}

/// What a whole batch looked up and takes again without asking the database: organizations
/// and groups by id or name, and free tags by name, as they were when the batch first found
/// them (on SQLite nothing else writes meanwhile; on PostgreSQL another writer's change is then
/// seen as at that first look, and a tag deleted meanwhile fails the reference to it, and so
/// the batch). A write of a group, or a deletion of tags, in the batch forgets them.
#[derive(Default)]
pub(crate) struct Known {
    groups: std::collections::HashMap<String, datahavn_domain::group::Group>,
    free_tags: std::collections::HashMap<String, datahavn_domain::catalog::TagRecord>,
}

impl Tx<'_> {
    /// The connection, once the datasets of the batch waiting for their packed values
    /// ([`Pending`]) or in its [`Queue`] are written.
    fn conn(&mut self) -> &mut AnyConnection {
        if let Err(error) = self.write_waiting() {
            self.unwritten.get_or_insert(error);
        }
        self.conn
    }

    /// Writes the batch's waiting datasets.
    fn write_waiting(&mut self) -> StorageResult<()> {
        if self.later.as_ref().is_some_and(|slot| slot.is_some()) {
            self.finish_packing()?;
        }
        if self.queue.as_ref().is_some_and(|queue| !queue.is_empty()) {
            self.insert_queued()?;
        }
        Ok(())
    }

    /// The connection, the batch's datasets left waiting: for statements that read neither
    /// datasets nor activities.
    fn conn_beside_pending(&mut self) -> &mut AnyConnection {
        self.conn
    }

    /// A unit of work's result, failed if a [`Pending`] dataset could not be written.
    fn outcome<T, E: From<StorageError>>(&mut self, result: Result<T, E>) -> Result<T, E> {
        match self.unwritten.take() {
            Some(error) if result.is_ok() => Err(error.into()),
            _ => result,
        }
    }

    /// Whether this is a write transaction (reads see its own uncommitted changes).
    pub fn is_writing(&self) -> bool {
        self.writing
    }

    fn is_sqlite(&self) -> bool {
        matches!(self.conn, AnyConnection::Sqlite(_))
    }

    /// The statements this connection keeps prepared, as their SQL text (PostgreSQL's
    /// `pg_prepared_statements`; none on SQLite, which does not list them). Which statements
    /// are prepared once rather than parsed and planned for every call is a property of the
    /// write path its tests hold.
    pub fn prepared_statements(&mut self) -> StorageResult<Vec<String>> {
        use diesel::RunQueryDsl;
        match self.conn() {
            AnyConnection::Postgresql(conn) => {
                #[derive(diesel::QueryableByName)]
                struct Prepared {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    statement: String,
                }
                let rows: Vec<Prepared> =
                    diesel::sql_query("SELECT statement FROM pg_prepared_statements").load(conn)?;
                Ok(rows.into_iter().map(|row| row.statement).collect())
            }
            AnyConnection::Sqlite(_) => Ok(Vec::new()),
        }
    }
}

impl Store {
    /// Connects (creating a SQLite file and its directory if needed) and checks the database
    /// answers. A pool of `max_connections`.
    pub fn open(url: &DatabaseUrl, max_connections: u32) -> StorageResult<Self> {
        let max = match url {
            // More than a handful of SQLite connections only adds lock contention.
            DatabaseUrl::Sqlite(_) => max_connections.clamp(1, 8),
            DatabaseUrl::Postgres(_) => max_connections.max(1),
        };
        let pool = conn::build_pool(url, max)?;
        Ok(Self { pool, url: url.clone(), write_lock: Arc::new(Mutex::new(())), listener: Arc::default() })
    }

    /// Calls `listener` after every write transaction this process commits (through this store
    /// or a clone of it), before the write returns. Set once; later calls are ignored.
    pub fn on_commit(&self, listener: CommitListener) {
        let _ = self.listener.set(listener);
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn backend_name(&self) -> &'static str {
        self.url.backend_name()
    }

    /// The connection pool's size now: connections open, of them idle, and the most it opens.
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState { connections: state.connections, idle: state.idle_connections, max: self.pool.max_size() }
    }

    /// Whether the database answers a trivial query within `timeout` (health probes: the usual
    /// wait for a connection is longer than a probe's).
    pub fn ping(&self, timeout: std::time::Duration) -> StorageResult<()> {
        let mut conn = self.pool.get_timeout(timeout)?;
        diesel::connection::SimpleConnection::batch_execute(&mut **conn, "SELECT 1")?;
        Ok(())
    }

    fn connection(&self) -> StorageResult<r2d2::PooledConnection<conn::Manager>> {
        may_wait()?;
        Ok(self.pool.get()?)
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn migrate(&self) -> StorageResult<Vec<String>> {
        let _guard = self.lock_writes();
        migrate::run(&mut *self.connection()?)
    }

    /// Which migrations ran and how many are pending; refuses a database from a newer binary.
    pub fn schema_status(&self) -> StorageResult<SchemaStatus> {
        migrate::status(&mut *self.connection()?)
    }

    /// Migrates when allowed, else insists that nothing is pending.
    pub fn ensure_schema(&self, may_migrate: bool) -> StorageResult<Vec<String>> {
        let status = self.schema_status()?;
        if status.pending == 0 {
            return Ok(Vec::new());
        }
        if may_migrate { self.migrate() } else { Err(StorageError::MigrationsPending(status.pending)) }
    }

    /// Reverts every migration (tests of the down scripts).
    pub fn revert_all_migrations(&self) -> StorageResult<usize> {
        let _guard = self.lock_writes();
        migrate::revert_all(&mut *self.connection()?)
    }

    fn lock_writes(&self) -> Option<std::sync::MutexGuard<'_, ()>> {
        match self.url {
            // A poisoned lock only means another writer panicked; the data is in the database.
            DatabaseUrl::Sqlite(_) => {
                Some(self.write_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
            }
            DatabaseUrl::Postgres(_) => None,
        }
    }

    /// Runs read-only work on one connection.
    pub fn read<T, E>(&self, work: impl FnOnce(&mut Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError>,
    {
        // Inside a batch, on its connection: reads see what the batch wrote so far.
        if let Some(mut batch) = Batch::take(self) {
            let mut tx = Tx {
                conn: &mut batch.conn,
                writing: false,
                changed: Vec::new(),
                later: Some(&mut batch.pending),
                queue: matches!(self.url, DatabaseUrl::Postgres(_)).then_some(&mut batch.queue),
                known: batch.whole.then_some(&mut batch.known),
                unwritten: None,
            };
            let result = work(&mut tx);
            // A dataset of the batch that could not be written fails the batch.
            batch.failed |= tx.unwritten.is_some();
            let result = tx.outcome(result);
            batch.give_back();
            return result;
        }
        let mut conn = self.connection()?;
        let result = work(&mut Tx {
            conn: &mut conn,
            writing: false,
            changed: Vec::new(),
            later: None,
            queue: None,
            known: None,
            unwritten: None,
        });
        if result.is_err() {
            conn.doubt();
        }
        result
    }

    /// This store among others (the address of its write lock).
    fn identity(&self) -> usize {
        Arc::as_ptr(&self.write_lock) as usize
    }

    /// Runs `work` in one transaction that every [`Store::write`] and [`Store::read`] of this
    /// thread joins: each write becomes a savepoint (a failing one is undone alone, the others
    /// stay), and all of them commit together when `work` returns `Ok` — or none, if it
    /// returns an error or the commit fails. The commit listener hears of them after the
    /// commit. For bulk loads: one commit for many datasets instead of one each.
    pub fn batch<T, E>(&self, work: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError>,
    {
        self.run_batch(false, work)
    }

    /// [`Store::batch`] without savepoints: every write of `work` goes straight into the one
    /// transaction, and when any of them fails nothing of the batch is written (the batch ends
    /// with an error even if `work` returns `Ok`). Cheaper than savepoints (SQLite copies each
    /// page a savepoint changes; PostgreSQL makes a subtransaction of each) when writes seldom
    /// fail: the caller writes a failed batch again with [`Store::batch`].
    pub fn batch_whole<T, E>(&self, work: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError>,
    {
        self.run_batch(true, work)
    }

    fn run_batch<T, E>(&self, whole: bool, work: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError>,
    {
        type Manager = <AnyConnection as Connection>::TransactionManager;
        may_wait()?;
        let _guard = self.lock_writes();
        let mut conn = self.connection()?;
        let sqlite = matches!(self.url, DatabaseUrl::Sqlite(_));
        // SQLite's default settings again before the connection goes back to the pool, however
        // the batch ends.
        let defaults = |conn: &mut conn::Pooled| {
            if sqlite && conn.batch_execute(conn::SQLITE_DEFAULTS).is_err() {
                conn.doubt();
            }
        };
        if sqlite {
            conn.batch_execute(conn::SQLITE_BATCH).map_err(|error| {
                conn.doubt();
                StorageError::from(error)
            })?;
        }
        if let Err(error) =
            <Manager as diesel::connection::TransactionManager<AnyConnection>>::begin_transaction(&mut **conn)
        {
            conn.doubt();
            defaults(&mut conn);
            return Err(StorageError::from(error).into());
        }
        BATCH.with(|slot| {
            *slot.borrow_mut() = Some(OpenBatch {
                store: self.identity(),
                conn: Some(conn),
                changed: Vec::new(),
                whole,
                failed: false,
                pending: None,
                queue: Queue::default(),
                known: Known::default(),
            });
        });
        // Whatever happens in `work`, the thread leaves the batch.
        struct Leave;
        impl Drop for Leave {
            fn drop(&mut self) {
                BATCH.with(|slot| slot.borrow_mut().take());
            }
        }
        let leave = Leave;
        let result = work();
        let open = BATCH.with(|slot| slot.borrow_mut().take());
        drop(leave);
        let Some(OpenBatch { conn: Some(mut conn), changed, failed, mut pending, mut queue, .. }) = open
        else {
            return Err(StorageError::Internal("the batch's connection was not given back".into()).into());
        };
        let result = match result {
            Ok(_) if failed => Err(StorageError::Internal(
                "a write of the batch failed, so the batch was rolled back".into(),
            )
            .into()),
            // The datasets still waiting, before the commit.
            Ok(value) if pending.is_some() || !queue.is_empty() => {
                let mut tx = Tx {
                    conn: &mut conn,
                    writing: true,
                    changed: Vec::new(),
                    later: Some(&mut pending),
                    queue: Some(&mut queue),
                    known: None,
                    unwritten: None,
                };
                tx.write_waiting().map(|()| value).map_err(E::from)
            }
            result => result,
        };
        match result {
            Ok(value) => {
                let committed =
                    <Manager as diesel::connection::TransactionManager<AnyConnection>>::commit_transaction(
                        &mut **conn,
                    );
                if let Err(error) = committed {
                    conn.doubt();
                    defaults(&mut conn);
                    return Err(StorageError::from(error).into());
                }
                defaults(&mut conn);
                drop(conn);
                if let Some(listener) = self.listener.get() {
                    listener(&changed);
                }
                Ok(value)
            }
            Err(error) => {
                conn.doubt();
                let _ =
                    <Manager as diesel::connection::TransactionManager<AnyConnection>>::rollback_transaction(
                        &mut **conn,
                    );
                defaults(&mut conn);
                Err(error)
            }
        }
    }

    /// Runs work in one transaction: all of it is written, or none. The closure's error type
    /// lets actions abort with their own errors; storage failures convert into it.
    pub fn write<T, E>(&self, work: impl FnOnce(&mut Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StorageError>,
    {
        // Inside a batch: a savepoint of its transaction (or, in a whole batch, the transaction
        // itself), committed with it.
        if let Some(mut batch) = Batch::take(self) {
            let (result, changed) = if batch.whole {
                // SQLite packs a new dataset's values beside its one writer; PostgreSQL's
                // round trips are what a new dataset's rows save by waiting in a queue.
                let sqlite = matches!(self.url, DatabaseUrl::Sqlite(_));
                let later = sqlite.then_some(&mut batch.pending);
                let queue = (!sqlite).then_some(&mut batch.queue);
                let known = Some(&mut batch.known);
                let changed = Vec::new();
                let conn = &mut batch.conn;
                let mut tx = Tx { conn, writing: true, changed, later, queue, known, unwritten: None };
                let result = work(&mut tx);
                let result = tx.outcome(result);
                let changed = tx.changed;
                (result, changed)
            } else {
                transact(&mut batch.conn, work)
            };
            if result.is_ok() {
                batch.changed.extend(changed);
            } else {
                batch.conn.doubt();
                batch.failed = batch.whole;
            }
            batch.give_back();
            return result;
        }
        may_wait()?;
        let _guard = self.lock_writes();
        let mut conn = self.connection()?;
        let (result, changed) = transact(&mut conn, work);
        if result.is_err() {
            conn.doubt();
        }
        if result.is_ok() {
            drop(conn);
            if let Some(listener) = self.listener.get() {
                listener(&changed);
            }
        }
        result
    }
}

/// Runs `work` in a transaction of `conn` (a savepoint when one is open): the result, and the
/// datasets it changed.
fn transact<T, E>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
) -> (Result<T, E>, Vec<String>)
where
    E: From<StorageError>,
{
    let mut outcome: Option<Result<T, E>> = None;
    let mut changed = Vec::new();
    let committed = conn.transaction::<(), diesel::result::Error, _>(|c| {
        let (later, queue, known) = (None, None, None);
        let mut tx = Tx { conn: c, writing: true, changed: Vec::new(), later, queue, known, unwritten: None };
        let result = work(&mut tx);
        changed = tx.changed;
        let failed = result.is_err();
        outcome = Some(result);
        if failed { Err(diesel::result::Error::RollbackTransaction) } else { Ok(()) }
    });
    let result = match (committed, outcome) {
        (Ok(()), Some(result)) => result,
        (Err(diesel::result::Error::RollbackTransaction), Some(Err(e))) => Err(e),
        (Err(e), _) => Err(StorageError::from(e).into()),
        (Ok(()), None) => Err(StorageError::Internal("transaction produced no result".into()).into()),
    };
    (result, changed)
}

/// The transaction [`Store::batch`] keeps open on this thread.
struct OpenBatch {
    store: usize,
    /// Lent out while a read or write of the batch runs.
    conn: Option<r2d2::PooledConnection<conn::Manager>>,
    changed: Vec<String>,
    /// Writes go straight into the transaction, without savepoints ([`Store::batch_whole`]).
    whole: bool,
    /// A write failed: a whole batch cannot commit.
    failed: bool,
    /// The dataset whose packed values are still being made.
    pending: Option<Pending>,
    /// The new datasets' rows waiting to be inserted together (PostgreSQL).
    queue: Queue,
    known: Known,
}

thread_local! {
    static BATCH: std::cell::RefCell<Option<OpenBatch>> = const { std::cell::RefCell::new(None) };
}

/// The batch's connection, lent to one read or write of it.
struct Batch {
    conn: r2d2::PooledConnection<conn::Manager>,
    changed: Vec<String>,
    whole: bool,
    failed: bool,
    pending: Option<Pending>,
    queue: Queue,
    known: Known,
}

impl Batch {
    /// The connection of this thread's batch on `store`, if there is one and it is not lent
    /// out already (a read inside one of the batch's writes takes a connection of its own).
    fn take(store: &Store) -> Option<Self> {
        BATCH.with(|slot| {
            let mut slot = slot.borrow_mut();
            let open = slot.as_mut().filter(|open| open.store == store.identity())?;
            let conn = open.conn.take()?;
            let pending = open.pending.take();
            let (queue, known) = (std::mem::take(&mut open.queue), std::mem::take(&mut open.known));
            let (changed, whole, failed) = (Vec::new(), open.whole, false);
            Some(Self { conn, changed, whole, failed, pending, queue, known })
        })
    }

    fn give_back(self) {
        BATCH.with(|slot| {
            if let Some(open) = slot.borrow_mut().as_mut() {
                open.conn = Some(self.conn);
                open.changed.extend(self.changed);
                open.failed |= self.failed;
                open.pending = self.pending;
                open.queue = self.queue;
                open.known = self.known;
            }
        });
    }
}
