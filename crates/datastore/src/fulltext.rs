//! Deferred full text on PostgreSQL. Computing `to_tsvector` for every row is most of the cost
//! of a load, so a load leaves `_full_text` empty, marks the table pending (a token in its
//! metadata) and swaps it in at once. A worker thread then fills `_full_text` in batches of
//! rows, each its own transaction, builds the GIN index and clears the mark. Until then `q`
//! searches compute the vector of the rows not yet filled (`coalesce`), so their answers are
//! complete from the first moment, only slower.
//!
//! The worker of any process holding the DataStore open does this work: it is told of its own
//! loads, and every few seconds it looks for pending tables (a load by another process, a fill
//! cut short by a restart). A session advisory lock per table keeps two workers apart.

use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::db::{Pool, pg_get};
use crate::dialect::{ident, table};
use crate::error::DatastoreResult;
use crate::exec::DbErr;
use crate::guard::Dialect;
use crate::meta::{self, TableMeta};
use crate::table::doc_expr;
use crate::{Datastore, Inner};

/// Rows filled per transaction.
const BATCH: i64 = 50_000;
/// How often the worker looks for tables left pending.
const POLL: Duration = Duration::from_secs(3);

/// The text search configuration of `_full_text` (the trigger uses the same).
pub(crate) const LANGUAGE: &str = "english";

/// The SQL that computes a row's `_full_text` from its columns (written with `prefix`, e.g.
/// `datastore."t".`), or None when the table has no text columns.
pub(crate) fn vector_expr(m: &TableMeta, prefix: &str) -> Option<String> {
    doc_expr(&m.fields, prefix).map(|doc| format!("to_tsvector('{LANGUAGE}', {doc})"))
}

/// Starts the worker thread of a PostgreSQL DataStore; it ends when the DataStore is dropped.
pub(crate) fn start_worker(ds: &Datastore) {
    let (tx, rx) = channel::<String>();
    let weak: Weak<Inner> = Arc::downgrade(&ds.inner);
    if let Ok(mut queue) = ds.inner.fill_queue.lock() {
        *queue = Some(tx);
    }
    let spawned = std::thread::Builder::new().name("datastore full text".into()).spawn(move || {
        let mut wait = Duration::from_secs(1);
        loop {
            let wanted = match rx.recv_timeout(wait) {
                Ok(rid) => Some(rid),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            wait = POLL;
            let Some(inner) = weak.upgrade() else { return };
            let ds = Datastore { inner };
            if !ds.background_full_text() {
                continue;
            }
            let rids = match wanted {
                Some(rid) => vec![rid],
                None => match ds.pending_tables() {
                    Ok(rids) => rids,
                    Err(e) => {
                        log::debug!("datastore: looking for pending full text: {e}");
                        continue;
                    }
                },
            };
            for rid in rids {
                match ds.fill_full_text(&rid) {
                    Ok(true) => log::info!("datastore: full text of {rid} filled"),
                    Ok(false) => {}
                    Err(e) => log::warn!("datastore: filling the full text of {rid}: {e}"),
                }
            }
        }
    });
    if let Err(e) = spawned {
        log::warn!("datastore: cannot start the full-text worker: {e}");
    }
}

impl Datastore {
    /// Asks the worker to fill a freshly loaded table's full text.
    pub(crate) fn queue_fill(&self, resource_id: &str) {
        if !self.background_full_text() {
            return;
        }
        if let Ok(queue) = self.inner.fill_queue.lock()
            && let Some(tx) = queue.as_ref()
        {
            let _ = tx.send(resource_id.to_owned());
        }
    }

    /// The tables still pending, with the cached metadata of any whose mark changed forgotten.
    fn pending_tables(&self) -> DatastoreResult<Vec<String>> {
        let pending = self.with_conn(meta::full_text_pending)?;
        let stale: Vec<String> = match self.inner.cache.read() {
            Ok(cache) => cache
                .iter()
                .filter(|(rid, m)| m.full_text_pending.is_some() != pending.contains(rid))
                .map(|(rid, _)| rid.clone())
                .collect(),
            Err(_) => Vec::new(),
        };
        for rid in &stale {
            self.forget(rid);
        }
        Ok(pending)
    }

    /// Whether a table's full text is still being filled after a load (always false on SQLite).
    pub fn full_text_pending(&self, resource_id: &str) -> DatastoreResult<bool> {
        self.forget(resource_id);
        Ok(self.meta(resource_id)?.is_some_and(|m| m.full_text_pending.is_some()))
    }

    /// Fills the `_full_text` of a loaded table now, builds its full-text index and clears its
    /// pending mark. false when another connection is filling it (or nothing was pending);
    /// true when this call finished it. Safe to call at any time: each batch is committed, a
    /// call cut short leaves the rest to the next.
    pub fn fill_full_text(&self, resource_id: &str) -> DatastoreResult<bool> {
        let Pool::Postgres(pool) = self.pool() else { return Ok(false) };
        let mut conn = pg_get(pool, None)?;
        let key = format!("datastore full text {resource_id}");
        let locked: bool = conn
            .client()
            .query_one("SELECT pg_try_advisory_lock(hashtext($1))", &[&key])
            .map_err(DbErr::from)?
            .try_get(0)
            .map_err(DbErr::from)?;
        if !locked {
            return Ok(false);
        }
        let out = fill_locked(conn.client(), resource_id);
        let _ = conn.client().execute("SELECT pg_advisory_unlock(hashtext($1))", &[&key]);
        self.forget(resource_id);
        out
    }
}

/// The pending token a table has now, read while holding a lock on the table (so a load cannot
/// swap it until the transaction ends).
fn token_now(tx: &mut postgres::Transaction<'_>, rid: &str) -> DatastoreResult<Option<TableMeta>> {
    let t = table(Dialect::Postgres, rid);
    match tx.batch_execute(&format!("LOCK TABLE {t} IN ROW EXCLUSIVE MODE")) {
        Ok(()) => {}
        Err(e) if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => return Ok(None),
        Err(e) => return Err(DbErr::from(e).into()),
    }
    meta::load(tx, rid)
}

fn fill_locked(c: &mut postgres::Client, rid: &str) -> DatastoreResult<bool> {
    let t = table(Dialect::Postgres, rid);
    'table: loop {
        let Some(m) = meta::load(c, rid)? else { return Ok(false) };
        let Some(token) = m.full_text_pending.clone() else { return Ok(false) };
        let bounds = c
            .query_one(&format!("SELECT min(\"_id\")::int8, max(\"_id\")::int8 FROM {t}"), &[])
            .map_err(DbErr::from)?;
        let lo: Option<i64> = bounds.try_get(0).map_err(DbErr::from)?;
        let hi: Option<i64> = bounds.try_get(1).map_err(DbErr::from)?;
        if let (Some(vector), Some(lo), Some(hi)) = (vector_expr(&m, ""), lo, hi) {
            let update = format!(
                "UPDATE {t} SET \"_full_text\" = {vector} \
                 WHERE \"_id\" >= $1 AND \"_id\" < $2 AND \"_full_text\" IS NULL"
            );
            let mut from = lo;
            while from <= hi {
                let to = from.saturating_add(BATCH);
                let mut tx = c.transaction().map_err(DbErr::from)?;
                let now = token_now(&mut tx, rid)?;
                if now.as_ref().and_then(|n| n.full_text_pending.as_ref()) != Some(&token) {
                    continue 'table;
                }
                let (a, b) = (i32::try_from(from).unwrap_or(i32::MAX), i32::try_from(to).unwrap_or(i32::MAX));
                tx.execute(update.as_str(), &[&a, &b]).map_err(DbErr::from)?;
                tx.commit().map_err(DbErr::from)?;
                from = to;
            }
        }
        // The rest (rows written since, outside the range: normally none, the trigger fills
        // them), the index, and the mark cleared, with writes held off meanwhile.
        let mut tx = c.transaction().map_err(DbErr::from)?;
        let Some(mut now) = token_now(&mut tx, rid)? else { return Ok(false) };
        if now.full_text_pending.as_ref() != Some(&token) {
            continue 'table;
        }
        tx.batch_execute(&format!("LOCK TABLE {t} IN SHARE MODE")).map_err(DbErr::from)?;
        if let Some(vector) = vector_expr(&now, "") {
            tx.batch_execute(&format!(
                "UPDATE {t} SET \"_full_text\" = {vector} WHERE \"_full_text\" IS NULL"
            ))
            .map_err(DbErr::from)?;
        }
        tx.batch_execute(&format!(
            "CREATE INDEX IF NOT EXISTS {} ON {t} USING gin (\"_full_text\")",
            ident(&format!("{rid}_ft"))
        ))
        .map_err(DbErr::from)?;
        now.full_text_pending = None;
        meta::save(&mut tx, &now)?;
        tx.commit().map_err(DbErr::from)?;
        // Fresh statistics for the planner, and the old row versions cleared away.
        if let Err(e) = c.batch_execute(&format!("VACUUM (ANALYZE) {t}")) {
            log::debug!("datastore: vacuum of {rid}: {e}");
        }
        return Ok(true);
    }
}
