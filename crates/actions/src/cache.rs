//! The read cache: what the hottest reads would otherwise ask the database for, kept in memory.
//!
//! - **Datasets**: the rendered dict of `package_show` with the columns its permission check
//!   reads (state, private, organization, creator), bounded in bytes. The dict is kept packed
//!   as an LZ4 block against the database's dictionary ([`CachedText`], about a third of its
//!   text), and unpacked for each answer. The check runs on every hit, so a private dataset's bytes
//!   reach only those who may read them. An entry goes when its dataset changes: at once for this process's writes (the store tells the cache after
//!   each commit, before the write answers), and for other processes' writes (another node, a
//!   `datahavn load`) when [`follow_changes`] reads them from the change log, every `poll`.
//! - **Memberships, tokens, group titles and group dicts**: who a token stands for, what that
//!   user may do, the display names facets show, and the dicts `organization_show` and
//!   `group_show` give anonymous callers, for [`SHORT_LIFE`]; any write this process commits
//!   makes them stale at once (a revoked token, a removed member, a new dataset counted), other
//!   processes' writes within [`SHORT_LIFE`].
//!
//! A dataset read from the database is kept only if nothing was invalidated while it was
//! read, so a write that commits during a read never leaves the old bytes behind.
//!
//! A dataset read often is also kept unpacked, beside its block, while it stays so: read
//! [`READS_TO_PLAIN`] times within [`PERIOD`] reads of the cache, its entry is replaced by one
//! holding the text as it is, up to an eighth of the budget more; when that is full, the plain
//! copies not read since the last pass (a clock's second chance) go back to the block alone.
//! Reads spread evenly over a large catalogue make none plain (each is read less than once a
//! period); a catalogue's popular datasets, and the first page of searches many callers make,
//! are then copied rather than unpacked.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use datahavn_domain::authz::{Memberships, PackageAccess};
use datahavn_domain::package::PackageState;
use datahavn_domain::user::Actor;
use datahavn_search::{GroupCounts, SearchHandle};
use datahavn_storage::pack::CachedText;
use datahavn_storage::{ChangeCursor, StorageResult, Store};

/// A page of search results takes a dataset's dict from here when it is the very text the index
/// holds (the hashes agree): the search has already decided who may see the dataset.
impl datahavn_search::HeldDicts for ReadCache {
    fn append_held(&self, keys: &[Option<(&str, u64)>], dicts: &mut datahavn_search::Dicts) -> usize {
        let mut due = Vec::new();
        let added = {
            // One shared lock and one count of reads for the page. The entries are found first:
            // no lookup waits for another's reads of memory, nor for a copy.
            let packages = read_lock(&self.packages);
            let found: Vec<&Arc<CachedPackage>> = keys
                .iter()
                .map_while(|&key| {
                    let (id, hash) = key?;
                    packages.by_id.get(id).filter(|entry| entry.hash == hash)
                })
                .collect();
            if found.is_empty() {
                return 0;
            }
            let period = packages.count_reads(found.len());
            dicts.reserve(found.iter().filter(|entry| !entry.is_plain()).map(|entry| entry.len()).sum());
            let mut added = 0;
            for entry in found {
                if entry.read_in(period) {
                    due.push(Arc::clone(entry));
                }
                // A plain text is shared with the page (the answer's bytes go from here to the
                // connection); a packed one is unpacked into the page.
                if let Some(text) = &entry.plain {
                    dicts.push_shared(text.clone());
                } else if !dicts.push_with(|out| entry.rendered.append_to(out).is_ok()) {
                    break;
                }
                added += 1;
            }
            added
        };
        if !due.is_empty() {
            let mut packages = write_lock(&self.packages);
            for entry in due {
                packages.make_plain(entry, self.plain_room());
            }
        }
        added
    }
}

/// Reads of the cache's datasets that make up a period, in which a dataset read
/// [`READS_TO_PLAIN`] times is kept unpacked too.
pub const PERIOD: u64 = 16_384;

/// Reads within one [`PERIOD`] that make a dataset's text kept unpacked.
pub const READS_TO_PLAIN: u32 = 4;

/// How long memberships and token owners are trusted without asking the database.
pub const SHORT_LIFE: Duration = Duration::from_millis(500);

/// A dataset as `package_show` serves it.
#[derive(Debug)]
pub struct CachedPackage {
    pub access: PackageAccess,
    pub name: String,
    /// The rendered dict, packed.
    pub rendered: Arc<CachedText>,
    /// [`CachedText::hash`] of it, read without reaching for the block.
    hash: u64,
    /// The same text unpacked (UTF-8), while the dataset is read often.
    plain: Option<Bytes>,
    /// Reads towards [`READS_TO_PLAIN`]: the period they fall in (the high 32 bits) and how many
    /// (the low 32).
    reads: AtomicU64,
    /// Read since the last pass over the plain copies.
    recent: AtomicBool,
}

impl CachedPackage {
    pub fn new(access: PackageAccess, name: String, rendered: CachedText) -> Self {
        Self::with(access, name, Arc::new(rendered), None)
    }

    fn with(access: PackageAccess, name: String, rendered: Arc<CachedText>, plain: Option<Bytes>) -> Self {
        let hash = rendered.hash();
        Self { access, name, rendered, hash, plain, reads: AtomicU64::new(0), recent: AtomicBool::new(true) }
    }

    /// The length of its JSON text.
    pub fn len(&self) -> usize {
        self.rendered.len()
    }

    /// Whether its JSON text is empty (never, for a dict).
    pub fn is_empty(&self) -> bool {
        self.rendered.is_empty()
    }

    /// Appends its JSON text to `out`.
    pub fn append_to(&self, out: &mut Vec<u8>) -> StorageResult<()> {
        match &self.plain {
            Some(text) => {
                out.extend_from_slice(text);
                Ok(())
            }
            None => self.rendered.append_to(out),
        }
    }

    /// Its JSON text.
    pub fn text(&self) -> StorageResult<String> {
        match &self.plain {
            Some(text) => String::from_utf8(text.to_vec())
                .map_err(|_| datahavn_storage::StorageError::Internal("a plain copy is not UTF-8".into())),
            None => self.rendered.text(),
        }
    }

    /// A read of a plain entry: it stays plain at the next pass (written only when it would
    /// change, so that readers on several cores do not take the line from each other).
    fn mark_read(&self) {
        if !self.recent.load(Ordering::Relaxed) {
            self.recent.store(true, Ordering::Relaxed);
        }
    }

    /// Whether its text is kept unpacked too.
    pub fn is_plain(&self) -> bool {
        self.plain.is_some()
    }

    fn weight(&self) -> usize {
        // The text, the keys of both maps, and the entry's own bookkeeping (a plain copy is
        // counted apart, in [`Plain`]).
        self.rendered.size() + 2 * (self.access.id.len() + self.name.len()) + 160
    }

    /// A read of it in `period` (see [`Packages::count_reads`]): whether it is the read that
    /// makes it read often, so that [`Packages::make_plain`] is due.
    fn read_in(&self, period: u64) -> bool {
        if self.is_plain() {
            self.mark_read();
            return false;
        }
        self.count_read(period)
    }

    /// Counts a read in `period`: whether it is the one that makes [`READS_TO_PLAIN`].
    fn count_read(&self, period: u64) -> bool {
        let held = self.reads.load(Ordering::Relaxed);
        let count = if held >> 32 == period & 0xffff_ffff { (held & 0xffff_ffff) + 1 } else { 1 };
        self.reads.store(((period & 0xffff_ffff) << 32) | count, Ordering::Relaxed);
        count == u64::from(READS_TO_PLAIN)
    }
}

/// Callers who all count the same datasets in organizations and groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountedAs {
    /// Public datasets only: anonymous callers, and users of no organization or group and no
    /// collaboration.
    Public,
    /// Every active dataset.
    Sysadmin,
}

/// What the cache has done since the process started (for `/metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub invalidations: u64,
    pub evictions: u64,
    pub entries: u64,
    pub bytes: u64,
    pub budget: u64,
    /// Of the entries, those whose text is kept unpacked too, and those texts' bytes (beyond
    /// `bytes`, up to an eighth of the budget).
    pub plain_entries: u64,
    pub plain_bytes: u64,
}

#[derive(Default)]
struct Packages {
    by_id: HashMap<String, Arc<CachedPackage>>,
    /// The same entries by name (a deleted dataset's name finds nothing: a live one may hold it).
    by_name: HashMap<String, Arc<CachedPackage>>,
    bytes: usize,
    plain: Plain,
}

/// The entries whose text is kept unpacked too, oldest first (some may be gone: a change or
/// the budget removed them), and what their texts weigh.
#[derive(Default)]
struct Plain {
    queue: VecDeque<Weak<CachedPackage>>,
    entries: usize,
    bytes: usize,
    /// Reads of the cache's datasets so far, for [`PERIOD`] (counted under a shared lock).
    reads: AtomicU64,
}

impl Packages {
    fn remove(&mut self, id: &str) -> bool {
        // A key that is a name is forgotten too: an id is looked up before a name.
        if self.by_name.get(id).is_some_and(|owner| owner.access.id != id) {
            self.by_name.remove(id);
        }
        let Some(entry) = self.by_id.remove(id) else { return false };
        if self.by_name.get(&entry.name).is_some_and(|owner| owner.access.id == id) {
            self.by_name.remove(&entry.name);
        }
        self.bytes -= entry.weight();
        if entry.is_plain() {
            self.plain.entries -= 1;
            self.plain.bytes -= entry.len();
        }
        true
    }

    /// Puts `new` where `old` is held (by id, and by name where the name finds it).
    fn replace(&mut self, old: &Arc<CachedPackage>, new: &Arc<CachedPackage>) {
        if let Some(held) = self.by_id.get_mut(&old.access.id).filter(|held| Arc::ptr_eq(held, old)) {
            *held = Arc::clone(new);
        }
        if let Some(held) = self.by_name.get_mut(&old.name).filter(|held| Arc::ptr_eq(held, old)) {
            *held = Arc::clone(new);
        }
    }

    /// Whether `entry` is the one held for its id.
    fn holds(&self, entry: &Arc<CachedPackage>) -> bool {
        self.by_id.get(&entry.access.id).is_some_and(|held| Arc::ptr_eq(held, entry))
    }

    /// Counts a read of `entry` (held): whether it is the read that makes it read often, so
    /// that [`Self::make_plain`] is due. Shared: readers on several threads count at once (two
    /// may both find it due; the second finds it replaced).
    fn note_read(&self, entry: &CachedPackage) -> bool {
        entry.read_in(self.count_reads(1))
    }

    /// Counts `reads` reads of the cache's datasets: the period they fall in.
    fn count_reads(&self, reads: usize) -> u64 {
        self.plain.reads.fetch_add(reads as u64, Ordering::Relaxed) / PERIOD
    }

    /// `entry`, read often: a plain one in its place when it is still held, not plain yet and
    /// `room` (bytes of plain copies) allows; the entry to read either way.
    fn make_plain(&mut self, entry: Arc<CachedPackage>, room: usize) -> Arc<CachedPackage> {
        if entry.is_plain() || entry.len() > room / 8 || !self.holds(&entry) {
            return entry;
        }
        let Ok(text) = entry.rendered.text() else { return entry };
        let plain = Arc::new(CachedPackage::with(
            entry.access.clone(),
            entry.name.clone(),
            Arc::clone(&entry.rendered),
            Some(Bytes::from(text)),
        ));
        self.replace(&entry, &plain);
        self.plain.entries += 1;
        self.plain.bytes += plain.len();
        self.plain.queue.push_back(Arc::downgrade(&plain));
        if self.plain.queue.len() > 2 * self.plain.entries + 64 {
            self.plain.queue.retain(|held| held.strong_count() > 0);
        }
        self.make_room(room);
        plain
    }

    /// Puts plain copies back to their blocks alone until they weigh at most `room`: those not
    /// read since the last pass first (read ones get a second chance).
    fn make_room(&mut self, room: usize) {
        let mut passes = 2 * self.plain.queue.len() + 1;
        while self.plain.bytes > room && passes > 0 {
            passes -= 1;
            let Some(held) = self.plain.queue.pop_front() else { return };
            let Some(entry) = held.upgrade().filter(|entry| self.holds(entry)) else { continue };
            if entry.recent.swap(false, Ordering::Relaxed) {
                self.plain.queue.push_back(held);
                continue;
            }
            let packed = Arc::new(CachedPackage::with(
                entry.access.clone(),
                entry.name.clone(),
                Arc::clone(&entry.rendered),
                None,
            ));
            self.replace(&entry, &packed);
            self.plain.entries -= 1;
            self.plain.bytes -= entry.len();
        }
    }
}

/// A value read from the database, with when and at which write generation.
struct Held<T> {
    value: T,
    generation: u64,
    at: Instant,
}

/// The process's read cache. Shared by every worker thread.
pub struct ReadCache {
    budget: usize,
    packages: RwLock<Packages>,
    /// Bumped by every invalidation of datasets, under the lock of `packages`.
    epoch: AtomicU64,
    /// Bumped after every write transaction this process commits.
    generation: AtomicU64,
    memberships: Mutex<HashMap<String, Held<Arc<Memberships>>>>,
    tokens: Mutex<HashMap<String, Held<Actor>>>,
    /// Organization and group names → their display names (none: no such group).
    titles: Mutex<HashMap<String, Held<Option<String>>>>,
    /// The dicts `organization_show` and `group_show` gave anonymous callers, by what was asked.
    group_dicts: Mutex<HashMap<String, Held<Arc<serde_json::Value>>>>,
    /// `package_list`'s whole answer as JSON text, with the epoch it was read at.
    names: Mutex<Option<(u64, Bytes)>>,
    /// Held while that answer is read for the cache.
    names_read: Mutex<()>,
    /// Datasets per organization and group as every caller of a kind counts them (see
    /// [`CountedAs`]), with the epoch they were counted at.
    counts: Mutex<HashMap<CountedAs, (u64, GroupCounts)>>,
    hits: AtomicU64,
    misses: AtomicU64,
    invalidations: AtomicU64,
    evictions: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read_lock<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write_lock<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache").field("stats", &self.stats()).finish_non_exhaustive()
    }
}

impl ReadCache {
    /// A cache holding up to `budget` bytes of datasets.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            packages: RwLock::default(),
            epoch: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            memberships: Mutex::default(),
            tokens: Mutex::default(),
            titles: Mutex::default(),
            group_dicts: Mutex::default(),
            names: Mutex::default(),
            names_read: Mutex::default(),
            counts: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    /// This process committed a write that changed these datasets.
    pub fn committed(&self, changed: &[String]) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.invalidate(changed);
    }

    /// Forgets these datasets.
    pub fn invalidate<S: AsRef<str>>(&self, ids: &[S]) {
        if ids.is_empty() {
            return;
        }
        let mut packages = write_lock(&self.packages);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        for id in ids {
            if packages.remove(id.as_ref()) {
                self.invalidations.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// `package_list`'s whole answer (every active public dataset's name), if no dataset changed
    /// since it was read.
    /// The bytes are shared: every answer sends the same ones, none copies them.
    fn dataset_names(&self) -> Option<Bytes> {
        let held = lock(&self.names);
        held.as_ref().filter(|(epoch, _)| *epoch == self.epoch()).map(|(_, text)| text.clone())
    }

    /// `package_list`'s whole answer: the one kept, or the one `read` gives, then kept. Callers
    /// that find none while it is read wait for that reading rather than each make their own
    /// (at a million datasets, each would hold a list of a million names at once); on a thread
    /// that may not wait ([`datahavn_storage::without_waiting`]) finding none fails at once.
    pub fn dataset_names_or<E: From<datahavn_storage::StorageError>>(
        &self,
        read: impl FnOnce() -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        if let Some(text) = self.dataset_names() {
            return Ok(text);
        }
        datahavn_storage::may_wait()?;
        let _reading = lock(&self.names_read);
        if let Some(text) = self.dataset_names() {
            return Ok(text);
        }
        let epoch = self.epoch();
        let text = read()?;
        self.keep_dataset_names(epoch, text.clone());
        Ok(text)
    }

    /// Keeps `package_list`'s whole answer, read at `epoch` ([`Self::epoch`]), unless a dataset
    /// changed since.
    fn keep_dataset_names(&self, epoch: u64, text: Bytes) {
        let mut held = lock(&self.names);
        if self.epoch() == epoch {
            *held = Some((epoch, text));
        }
    }

    /// The dataset counts of organizations and groups as `who` counts them, if no dataset
    /// changed since they were counted.
    pub fn counts(&self, who: CountedAs) -> Option<GroupCounts> {
        let held = lock(&self.counts);
        held.get(&who).filter(|(epoch, _)| *epoch == self.epoch()).map(|(_, counts)| counts.clone())
    }

    /// Keeps dataset counts taken at `epoch` ([`Self::epoch`], read before the index was asked),
    /// unless a dataset changed since.
    pub fn keep_counts(&self, epoch: u64, who: CountedAs, counts: GroupCounts) {
        let mut held = lock(&self.counts);
        if self.epoch() == epoch {
            held.insert(who, (epoch, counts));
        }
    }

    /// The dataset whose id (else name) is `key`, if held.
    pub fn package(&self, key: &str) -> Option<Arc<CachedPackage>> {
        let found = self.find(key);
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// The dataset whose id or name is `key`, when held and active and public: a miss is not
    /// counted (the caller asks [`Self::package`] next).
    pub fn public_package(&self, key: &str) -> Option<Arc<CachedPackage>> {
        let found = self
            .find(key)
            .filter(|entry| entry.access.state == PackageState::Active && !entry.access.private)?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(found)
    }

    fn find(&self, key: &str) -> Option<Arc<CachedPackage>> {
        let (found, due) = {
            let packages = read_lock(&self.packages);
            let found = packages.by_id.get(key).or_else(|| packages.by_name.get(key)).cloned()?;
            let due = packages.note_read(&found);
            (found, due)
        };
        Some(if due { write_lock(&self.packages).make_plain(found, self.plain_room()) } else { found })
    }

    /// How many bytes of plain copies may be kept: an eighth of the budget.
    fn plain_room(&self) -> usize {
        self.budget / 8
    }

    /// Where invalidation stands: take it before reading a dataset from the database, and give
    /// it to [`Self::keep`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Keeps a dataset read from the database, unless something was invalidated since `epoch`
    /// (the read may predate a write).
    pub fn keep(&self, epoch: u64, entry: CachedPackage) {
        let weight = entry.weight();
        if weight > self.budget / 8 {
            return;
        }
        let mut packages = write_lock(&self.packages);
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return;
        }
        let id = entry.access.id.clone();
        packages.remove(&id);
        let entry = Arc::new(entry);
        // Deleted datasets may share a name with a live one, which a name finds first.
        if entry.access.state != datahavn_domain::package::PackageState::Deleted {
            packages.by_name.insert(entry.name.clone(), Arc::clone(&entry));
        }
        packages.by_id.insert(id, entry);
        packages.bytes += weight;
        if packages.bytes > self.budget {
            // Make room for a while: down to seven eighths of the budget, oldest buckets first.
            let target = self.budget / 8 * 7;
            let victims: Vec<String> = packages
                .by_id
                .iter()
                .scan(packages.bytes, |bytes, (id, entry)| {
                    (*bytes > target).then(|| {
                        *bytes -= entry.weight();
                        id.clone()
                    })
                })
                .collect();
            for victim in &victims {
                packages.remove(victim);
            }
            self.evictions.fetch_add(victims.len() as u64, Ordering::Relaxed);
        }
    }

    fn fresh<T: Clone>(&self, held: Option<&Held<T>>) -> Option<T> {
        let held = held?;
        (held.generation == self.generation.load(Ordering::SeqCst) && held.at.elapsed() < SHORT_LIFE)
            .then(|| held.value.clone())
    }

    /// A user's memberships read less than [`SHORT_LIFE`] ago, and before no write of this
    /// process.
    pub fn memberships(&self, user_id: &str) -> Option<Arc<Memberships>> {
        self.fresh(lock(&self.memberships).get(user_id))
    }

    /// Keeps a user's memberships, read at `generation` ([`Self::generation`]).
    pub fn keep_memberships(&self, generation: u64, user_id: &str, value: Arc<Memberships>) {
        let mut held = lock(&self.memberships);
        if held.len() > 100_000 {
            held.clear();
        }
        held.insert(user_id.to_owned(), Held { value, generation, at: Instant::now() });
    }

    /// Who a token (by its id) stands for, read less than [`SHORT_LIFE`] ago and before no
    /// write of this process.
    pub fn token(&self, jti: &str) -> Option<Actor> {
        self.fresh(lock(&self.tokens).get(jti))
    }

    /// Keeps who a token stands for, read at `generation`.
    pub fn keep_token(&self, generation: u64, jti: &str, actor: Actor) {
        let mut held = lock(&self.tokens);
        if held.len() > 100_000 {
            held.clear();
        }
        held.insert(jti.to_owned(), Held { value: actor, generation, at: Instant::now() });
    }

    /// The display names of these organizations or groups, if every one was read less than
    /// [`SHORT_LIFE`] ago and before no write of this process.
    pub fn group_titles(&self, names: &[String]) -> Option<HashMap<String, String>> {
        let held = lock(&self.titles);
        let mut out = HashMap::with_capacity(names.len());
        for name in names {
            if let Some(title) = self.fresh(held.get(name))? {
                out.insert(name.clone(), title);
            }
        }
        Some(out)
    }

    /// Keeps the display names read at `generation` for these names (missing: no such group).
    pub fn keep_group_titles(&self, generation: u64, names: &[String], titles: &HashMap<String, String>) {
        let mut held = lock(&self.titles);
        if held.len() > 100_000 {
            held.clear();
        }
        let at = Instant::now();
        for name in names {
            held.insert(name.clone(), Held { value: titles.get(name).cloned(), generation, at });
        }
    }

    /// The dict an organization or group showed an anonymous caller for `asked` (the action's
    /// request), read less than [`SHORT_LIFE`] ago and before no write of this process.
    pub fn group_dict(&self, asked: &str) -> Option<Arc<serde_json::Value>> {
        self.fresh(lock(&self.group_dicts).get(asked))
    }

    /// Keeps the dict shown to an anonymous caller for `asked`, read at `generation`.
    pub fn keep_group_dict(&self, generation: u64, asked: String, dict: Arc<serde_json::Value>) {
        let mut held = lock(&self.group_dicts);
        if held.len() > 10_000 {
            held.clear();
        }
        held.insert(asked, Held { value: dict, generation, at: Instant::now() });
    }

    /// The write generation: take it before reading memberships or a token.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn stats(&self) -> CacheStats {
        let (entries, bytes, plain_entries, plain_bytes) = {
            let packages = read_lock(&self.packages);
            let plain = &packages.plain;
            (packages.by_id.len() as u64, packages.bytes as u64, plain.entries as u64, plain.bytes as u64)
        };
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            invalidations: self.invalidations.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            entries,
            bytes,
            budget: self.budget as u64,
            plain_entries,
            plain_bytes,
        }
    }
}

/// Keeps the read cache (if the process has one) and the search index current: after each
/// write this process commits, before it answers, the cache forgets the datasets it changed and
/// the next search catches up; and every `poll` a thread reads the change log for other
/// processes' writes and does the same. It runs for as long as the cache or the index is in use.
pub fn follow_changes(
    store: &Store,
    cache: Option<&Arc<ReadCache>>,
    search: &Arc<SearchHandle>,
    poll: Duration,
) -> std::io::Result<()> {
    let cache = cache.map(Arc::downgrade);
    let search = Arc::downgrade(search);
    let (heard_cache, heard_search) = (cache.clone(), search.clone());
    // The index is told first: what the cache keeps from the index (dataset counts) is read
    // after the epoch, so a reader that sees the new epoch sees the index stale and catches up.
    store.on_commit(Box::new(move |changed| {
        if !changed.is_empty()
            && let Some(search) = heard_search.upgrade()
        {
            search.changed();
        }
        if let Some(cache) = heard_cache.as_ref().and_then(Weak::upgrade) {
            cache.committed(changed);
        }
    }));
    let mut cursor = loop {
        match store.read(ChangeCursor::at_head) {
            Ok(cursor) => break cursor,
            Err(error) => {
                log::warn!("reading the change log: {error}");
                std::thread::sleep(poll.max(Duration::from_secs(1)));
            }
        }
    };
    if let Some(search) = search.upgrade() {
        // Changes before the cursor are caught up by the first search.
        search.changed();
        search.followed();
    }
    let store = store.clone();
    std::thread::Builder::new().name("change-follow".into()).spawn(move || {
        let mut failing = false;
        loop {
            std::thread::sleep(poll);
            let cache = cache.as_ref().and_then(Weak::upgrade);
            let Some(search) = search.upgrade() else { return };
            match cursor.advance(&store) {
                Ok(changed) if changed.is_empty() => failing = false,
                Ok(changed) => {
                    failing = false;
                    let changed: Vec<String> = changed.into_iter().collect();
                    search.changed();
                    if let Some(cache) = cache {
                        cache.invalidate(&changed);
                    }
                }
                Err(error) => {
                    if !failing {
                        log::warn!("following the change log: {error}");
                    }
                    failing = true;
                }
            }
        }
    })?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use datahavn_domain::package::PackageState;

    fn entry(id: &str, name: &str, text: &str) -> CachedPackage {
        let access = PackageAccess {
            id: id.into(),
            state: PackageState::Active,
            private: false,
            owner_org: None,
            creator_user_id: None,
        };
        CachedPackage::new(access, name.into(), CachedText::new(text).unwrap())
    }

    #[test]
    fn found_by_id_or_current_name_and_gone_when_invalidated() {
        let cache = ReadCache::new(1 << 20);
        cache.keep(cache.epoch(), entry("id-1", "first", "{}"));
        assert!(cache.package("id-1").is_some());
        assert!(cache.package("first").is_some());
        cache.invalidate(&["id-1"]);
        assert!(cache.package("id-1").is_none());
        assert!(cache.package("first").is_none());
        // Renamed: the old name finds nothing.
        cache.keep(cache.epoch(), entry("id-1", "first", "{}"));
        cache.invalidate(&["id-1"]);
        cache.keep(cache.epoch(), entry("id-1", "second", "{}"));
        assert!(cache.package("first").is_none());
        assert_eq!(cache.package("second").map(|e| e.name.clone()).as_deref(), Some("second"));
    }

    #[test]
    fn a_read_overtaken_by_an_invalidation_is_not_kept() {
        let cache = ReadCache::new(1 << 20);
        let before = cache.epoch();
        cache.invalidate(&["other"]);
        cache.keep(before, entry("id-1", "first", "{}"));
        assert!(cache.package("id-1").is_none());
    }

    #[test]
    fn the_list_of_names_lasts_until_any_dataset_changes() {
        let cache = ReadCache::new(1 << 20);
        assert!(cache.dataset_names().is_none());
        cache.keep_dataset_names(cache.epoch(), Bytes::from_static(b"[\"a\"]"));
        assert_eq!(cache.dataset_names().as_deref(), Some(&b"[\"a\"]"[..]));
        cache.invalidate(&["any"]);
        assert!(cache.dataset_names().is_none());
        // Read before a change and kept after it: not kept.
        let before = cache.epoch();
        cache.committed(&["other".to_owned()]);
        cache.keep_dataset_names(before, Bytes::from_static(b"[]"));
        assert!(cache.dataset_names().is_none());
    }

    #[test]
    fn callers_that_find_no_dataset_names_wait_for_one_reading_of_them() {
        let cache = ReadCache::new(1024);
        let readings = std::sync::atomic::AtomicUsize::new(0);
        let read = || {
            readings.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            Ok::<_, crate::ActionError>(Bytes::from_static(b"[\"a\"]"))
        };
        // A thread that may not wait does not read them.
        assert!(datahavn_storage::without_waiting(|| cache.dataset_names_or(read)).is_none());
        assert_eq!(readings.load(Ordering::SeqCst), 0);
        let answers: Vec<Bytes> = std::thread::scope(|scope| {
            let callers: Vec<_> = (0..8).map(|_| scope.spawn(|| cache.dataset_names_or(read))).collect();
            callers.into_iter().map(|caller| caller.join().unwrap().unwrap()).collect()
        });
        assert_eq!(readings.load(Ordering::SeqCst), 1);
        assert!(answers.iter().all(|answer| answer.as_ref() == b"[\"a\"]"));
        // Once kept, that thread takes them.
        let kept = datahavn_storage::without_waiting(|| cache.dataset_names_or(read));
        assert_eq!(kept.map(|answer| answer.unwrap()), Some(Bytes::from_static(b"[\"a\"]")));
        // A change makes the next caller read again; a failed reading keeps nothing.
        cache.invalidate(&["any"]);
        let down = cache.dataset_names_or(|| Err(crate::ActionError::Internal("down".into())));
        assert!(matches!(down, Err(crate::ActionError::Internal(_))));
        assert!(cache.dataset_names().is_none());
        assert_eq!(cache.dataset_names_or(read).unwrap().as_ref(), b"[\"a\"]");
        assert_eq!(readings.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn stays_within_its_budget() {
        let cache = ReadCache::new(64 * 1024);
        let text = "x".repeat(1000);
        for i in 0..500 {
            cache.keep(cache.epoch(), entry(&format!("id-{i}"), &format!("name-{i}"), &text));
        }
        let stats = cache.stats();
        assert!(stats.bytes <= 64 * 1024, "{stats:?}");
        assert!(stats.entries > 40, "{stats:?}");
        assert!(stats.evictions > 0);
        // Every entry left is found under its name too (none is deleted).
        let held = read_lock(&cache.packages);
        assert_eq!(held.by_name.len(), held.by_id.len());
    }

    /// The text of `id` as the cache answers it, and whether the entry read is plain.
    fn read(cache: &ReadCache, id: &str) -> (String, bool) {
        let entry = cache.package(id).unwrap();
        let mut out = b"[".to_vec();
        entry.append_to(&mut out).unwrap();
        assert_eq!(entry.text().unwrap().as_bytes(), &out[1..]);
        (String::from_utf8(out[1..].to_vec()).unwrap(), entry.is_plain())
    }

    fn text_of(i: usize) -> String {
        format!("{{\"id\": \"id-{i}\", \"notes\": \"{}\"}}", "word ".repeat(40 + i % 7))
    }

    fn hash_of(i: usize) -> u64 {
        datahavn_storage::pack::text_hash(text_of(i).as_bytes())
    }

    /// A page takes the held texts of its datasets in order, up to the first that is not held
    /// as the index has it (another text, no entry, no key); its reads count towards plain
    /// copies as single reads do.
    #[test]
    fn a_page_takes_held_texts_in_order_up_to_the_first_not_held() {
        let cache = ReadCache::new(1 << 20);
        for i in 0..4 {
            cache.keep(cache.epoch(), entry(&format!("id-{i}"), &format!("name-{i}"), &text_of(i)));
        }
        let take = |keys: &[Option<(&str, u64)>]| {
            let mut page = datahavn_search::Dicts::default();
            let added = datahavn_search::HeldDicts::append_held(&cache, keys, &mut page);
            (added, String::from_utf8(page.into_parts().concat()).unwrap())
        };
        let all = [Some(("id-2", hash_of(2))), Some(("id-0", hash_of(0))), Some(("id-3", hash_of(3)))];
        assert_eq!(take(&all), (3, [text_of(2), text_of(0), text_of(3)].join(",")));
        for stop in
            [None, Some(("id-1", hash_of(2))), Some(("id-9", hash_of(1))), Some(("name-1", hash_of(1)))]
        {
            let keys = [Some(("id-1", hash_of(1))), stop, Some(("id-3", hash_of(3)))];
            assert_eq!(take(&keys), (1, text_of(1)), "{stop:?}");
            assert_eq!(take(&keys[1..]), (0, String::new()), "{stop:?}");
        }
        assert_eq!(take(&[]), (0, String::new()));
        // id-2 read once above; pages read it until it is plain, and it answers the same.
        let plain = |id: &str| read_lock(&cache.packages).by_id[id].is_plain();
        for _ in 1..READS_TO_PLAIN {
            assert!(!plain("id-2"));
            assert_eq!(take(&all[..1]), (1, text_of(2)));
        }
        assert!(plain("id-2"));
        assert_eq!(take(&all), (3, [text_of(2), text_of(0), text_of(3)].join(",")));
        assert_accounts_agree(&cache);
    }

    #[test]
    fn a_dataset_read_often_is_kept_plain_and_answers_the_same_text() {
        let cache = ReadCache::new(1 << 20);
        cache.keep(cache.epoch(), entry("id-1", "first", &text_of(1)));
        for read_number in 1..=READS_TO_PLAIN {
            let (text, plain) = read(&cache, "id-1");
            assert_eq!(text, text_of(1));
            assert_eq!(plain, read_number == READS_TO_PLAIN, "read {read_number}");
        }
        // By name, and for a page of search results, the same plain entry.
        assert!(cache.package("first").unwrap().is_plain());
        let mut page = datahavn_search::Dicts::default();
        let hash = datahavn_storage::pack::text_hash(text_of(1).as_bytes());
        assert_eq!(datahavn_search::HeldDicts::append_held(&cache, &[Some(("id-1", hash))], &mut page), 1);
        // The page shares the plain text: its part is the very bytes the cache holds.
        let held = read_lock(&cache.packages).by_id["id-1"].plain.clone().unwrap();
        let parts = page.clone().into_parts();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].as_ptr(), held.as_ptr());
        assert_eq!(page.into_parts().concat(), text_of(1).as_bytes());
        let stats = cache.stats();
        assert_eq!((stats.plain_entries, stats.plain_bytes), (1, text_of(1).len() as u64));
        // A change forgets it, plain copy and all.
        cache.invalidate(&["id-1"]);
        assert!(cache.package("id-1").is_none());
        assert!(cache.package("first").is_none());
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.bytes, stats.plain_entries, stats.plain_bytes), (0, 0, 0, 0));
        // Kept again after the change: packed, with its reads counted from nothing.
        cache.keep(cache.epoch(), entry("id-1", "first", &text_of(2)));
        assert_eq!(read(&cache, "id-1"), (text_of(2), false));
    }

    #[test]
    fn a_deleted_dataset_read_often_leaves_its_name_to_the_live_one() {
        let cache = ReadCache::new(1 << 20);
        cache.keep(cache.epoch(), entry("id-live", "same", &text_of(1)));
        let mut gone = entry("id-gone", "same", &text_of(2));
        gone.access.state = PackageState::Deleted;
        cache.keep(cache.epoch(), gone);
        for _ in 0..READS_TO_PLAIN {
            assert_eq!(read(&cache, "id-gone").0, text_of(2));
        }
        assert!(cache.package("id-gone").unwrap().is_plain());
        assert_eq!(cache.package("same").unwrap().access.id, "id-live");
        for _ in 0..READS_TO_PLAIN {
            assert_eq!(read(&cache, "same").0, text_of(1));
        }
        assert!(cache.package("id-live").unwrap().is_plain());
        assert_eq!(cache.package("id-gone").unwrap().access.state, PackageState::Deleted);
    }

    #[test]
    fn reads_spread_over_many_datasets_keep_none_plain() {
        let cache = ReadCache::new(16 << 20);
        let count = 2 * PERIOD as usize / usize::try_from(READS_TO_PLAIN).unwrap();
        for i in 0..count {
            cache.keep(cache.epoch(), entry(&format!("id-{i}"), &format!("name-{i}"), &text_of(i)));
        }
        // Each dataset read once in turn: fewer than READS_TO_PLAIN reads of any in a period.
        for round in 0..4 {
            for i in 0..count {
                let (text, plain) = read(&cache, &format!("id-{i}"));
                assert_eq!(text, text_of(i));
                assert!(!plain, "round {round}, dataset {i}");
            }
        }
        assert_eq!(cache.stats().plain_entries, 0);
    }

    /// The cache's stats say what its maps hold: the plain entries and their bytes, every
    /// entry's weight; names find the same entries as ids.
    fn assert_accounts_agree(cache: &ReadCache) {
        let stats = cache.stats();
        let held = read_lock(&cache.packages);
        let plain: Vec<&Arc<CachedPackage>> = held.by_id.values().filter(|entry| entry.is_plain()).collect();
        assert_eq!(plain.len() as u64, stats.plain_entries);
        assert_eq!(plain.iter().map(|entry| entry.len() as u64).sum::<u64>(), stats.plain_bytes);
        assert_eq!(held.by_id.values().map(|entry| entry.weight()).sum::<usize>(), held.bytes);
        for (name, entry) in &held.by_name {
            assert!(Arc::ptr_eq(entry, &held.by_id[&entry.access.id]), "{name}");
        }
    }

    #[test]
    fn plain_copies_stay_within_an_eighth_of_the_budget_and_the_read_ones_stay() {
        let cache = ReadCache::new(256 * 1024);
        let room = 256 * 1024 / 8;
        for i in 0..400 {
            cache.keep(cache.epoch(), entry(&format!("id-{i}"), &format!("name-{i}"), &text_of(i)));
        }
        // Many datasets read often, more than the room holds plain.
        for _ in 0..READS_TO_PLAIN {
            for i in 0..200 {
                assert_eq!(read(&cache, &format!("id-{i}")).0, text_of(i));
            }
        }
        let stats = cache.stats();
        assert!(stats.plain_bytes as usize <= room, "{stats:?}");
        assert!(stats.plain_entries > 10, "{stats:?}");
        assert_accounts_agree(&cache);
        // A few read over and over keep their plain copies while others come and go.
        for round in 0..120 {
            for i in 0..3 {
                let plain = read(&cache, &format!("id-{i}")).1;
                // Plain again after READS_TO_PLAIN rounds at most, and then for good.
                assert!(plain || round < READS_TO_PLAIN as usize, "id-{i}, round {round}");
            }
            for i in 0..READS_TO_PLAIN as usize {
                let other = 200 + (round * READS_TO_PLAIN as usize + i) % 200;
                for _ in 0..READS_TO_PLAIN {
                    assert_eq!(read(&cache, &format!("id-{other}")).0, text_of(other));
                }
            }
        }
        assert!(cache.stats().plain_bytes as usize <= room);
    }

    /// A read that makes a dataset due to be plain, then a change before the copy is made (the
    /// shared lock let go, the other taken): the copy is neither held nor counted.
    #[test]
    fn a_dataset_changed_before_its_plain_copy_is_made_keeps_the_new_entry() {
        let cache = ReadCache::new(1 << 20);
        cache.keep(cache.epoch(), entry("id-1", "first", &text_of(1)));
        let old = Arc::clone(&read_lock(&cache.packages).by_id["id-1"]);
        let due = (0..READS_TO_PLAIN).map(|_| read_lock(&cache.packages).note_read(&old)).collect::<Vec<_>>();
        assert_eq!(due.last(), Some(&true), "{due:?}");
        cache.invalidate(&["id-1"]);
        cache.keep(cache.epoch(), entry("id-1", "first", &text_of(2)));
        let read = write_lock(&cache.packages).make_plain(Arc::clone(&old), cache.plain_room());
        assert!(Arc::ptr_eq(&read, &old));
        let stats = cache.stats();
        assert_eq!((stats.plain_entries, stats.plain_bytes), (0, 0));
        assert_eq!(cache.package("id-1").unwrap().text().unwrap(), text_of(2));
    }

    /// Readers on several threads at once (by id, by name and for search pages), some making
    /// copies plain, while another thread changes and keeps datasets again: every text read is
    /// the dataset's, and afterwards the maps and the plain copies' accounts agree.
    #[test]
    fn readers_on_several_threads_and_changes_leave_the_cache_consistent() {
        let cache = ReadCache::new(256 * 1024);
        let room = 256 * 1024 / 8;
        for i in 0..300 {
            cache.keep(cache.epoch(), entry(&format!("id-{i}"), &format!("name-{i}"), &text_of(i)));
        }
        std::thread::scope(|scope| {
            for reader in 0..4_usize {
                let cache = &cache;
                scope.spawn(move || {
                    for round in 0..3_000_usize {
                        // A few datasets read by every thread, the rest spread.
                        let i = if round % 2 == 0 { round % 5 } else { (round * 7 + reader * 13) % 300 };
                        if round % 3 == 0 {
                            let hash = datahavn_storage::pack::text_hash(text_of(i).as_bytes());
                            let mut page = datahavn_search::Dicts::default();
                            let id = format!("id-{i}");
                            let keys = [Some((id.as_str(), hash)), Some(("id-5", hash_of(5)))];
                            let added = datahavn_search::HeldDicts::append_held(cache, &keys, &mut page);
                            let texts: Vec<&[u8]> = page.iter().collect();
                            assert_eq!(texts.len(), added);
                            for (text, i) in texts.into_iter().zip([i, 5]) {
                                assert_eq!(text, text_of(i).as_bytes());
                            }
                        } else {
                            let key = if round % 3 == 1 { format!("id-{i}") } else { format!("name-{i}") };
                            if let Some(found) = cache.package(&key) {
                                assert_eq!(found.text().unwrap(), text_of(i), "{key}");
                            }
                        }
                    }
                });
            }
            let cache = &cache;
            scope.spawn(move || {
                for round in 0..600_usize {
                    // The datasets every thread reads stay (and become plain).
                    let i = 5 + (round * 11) % 295;
                    cache.invalidate(&[format!("id-{i}")]);
                    cache.keep(cache.epoch(), entry(&format!("id-{i}"), &format!("name-{i}"), &text_of(i)));
                }
            });
        });
        let stats = cache.stats();
        assert!(stats.plain_entries >= 5, "{stats:?}");
        assert!(stats.plain_bytes as usize <= room, "{stats:?}");
        assert_accounts_agree(&cache);
    }

    #[test]
    fn memberships_and_tokens_go_stale_at_a_write_or_with_age() {
        let cache = ReadCache::new(1 << 20);
        let generation = cache.generation();
        cache.keep_token(generation, "jti", Actor::Anonymous);
        cache.keep_memberships(generation, "user", Arc::new(Memberships::default()));
        assert!(cache.token("jti").is_some());
        assert!(cache.memberships("user").is_some());
        cache.committed(&[]);
        assert!(cache.token("jti").is_none());
        assert!(cache.memberships("user").is_none());
        cache.keep_token(cache.generation(), "jti", Actor::Anonymous);
        std::thread::sleep(SHORT_LIFE + Duration::from_millis(50));
        assert!(cache.token("jti").is_none());
    }
}
