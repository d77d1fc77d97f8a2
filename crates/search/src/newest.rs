//! Active datasets, newest first: the order `current_package_list_with_resources` pages
//! through. Kept beside the index and changed with it, so that a page at any offset is found
//! without sorting every dataset up to it.
//!
//! A million datasets are listed in about 100 bytes each: the ids side by side in their chunk's
//! text, and a dataset's time found again by a hash of its id.

use std::collections::HashMap;
use std::hash::BuildHasher;

use datahavn_domain::Timestamp;
use datahavn_domain::catalog::PackageRecord;
use datahavn_domain::package::PackageState;

/// Chunks split when they grow past twice this many entries.
const CHUNK: usize = 512;

/// In [`Newest::times`]: more than one listed dataset's id has this hash.
const SHARED: i64 = i64::MIN;

/// A run of the list in its order: the later `metadata_modified` first, then by id.
#[derive(Default)]
struct Chunk {
    modified: Vec<i64>,
    /// Where each id ends in `text`.
    ends: Vec<u32>,
    text: String,
    public: Vec<bool>,
    publics: usize,
}

impl Chunk {
    fn len(&self) -> usize {
        self.modified.len()
    }

    /// Where the id at `at` begins in `text`.
    fn start(&self, at: usize) -> usize {
        if at == 0 { 0 } else { self.ends[at - 1] as usize }
    }

    fn id(&self, at: usize) -> &str {
        &self.text[self.start(at)..self.ends[at] as usize]
    }

    /// Whether the entry at `at` comes before the key (`modified`, `id`).
    fn before(&self, at: usize, modified: i64, id: &str) -> bool {
        self.modified[at] > modified || (self.modified[at] == modified && self.id(at) < id)
    }

    /// The first entry not before the key.
    fn place(&self, modified: i64, id: &str) -> usize {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = (low + high) / 2;
            if self.before(middle, modified, id) { low = middle + 1 } else { high = middle }
        }
        low
    }

    fn holds(&self, at: usize, modified: i64, id: &str) -> bool {
        at < self.len() && self.modified[at] == modified && self.id(at) == id
    }

    fn insert(&mut self, at: usize, modified: i64, id: &str, public: bool) {
        // Grown by a quarter, not doubled: a million datasets' chunks stay close to full.
        fn room<T>(values: &mut Vec<T>) {
            if values.len() == values.capacity() {
                values.reserve_exact((values.len() / 4).max(16));
            }
        }
        room(&mut self.modified);
        room(&mut self.ends);
        room(&mut self.public);
        if self.text.len() + id.len() > self.text.capacity() {
            self.text.reserve_exact(id.len() + self.text.len() / 4);
        }
        let start = self.start(at);
        self.text.insert_str(start, id);
        let grown = id.len() as u32;
        self.ends[at..].iter_mut().for_each(|end| *end += grown);
        self.ends.insert(at, start as u32 + grown);
        self.modified.insert(at, modified);
        self.public.insert(at, public);
        self.publics += usize::from(public);
    }

    fn remove(&mut self, at: usize) {
        let start = self.start(at);
        let end = self.ends[at] as usize;
        self.text.replace_range(start..end, "");
        let shrunk = (end - start) as u32;
        self.ends.remove(at);
        self.ends[at..].iter_mut().for_each(|end| *end -= shrunk);
        self.modified.remove(at);
        self.publics -= usize::from(self.public.remove(at));
    }

    /// Its entries from `at` on, taken into a chunk of their own.
    fn split_off(&mut self, at: usize) -> Self {
        let start = self.ends[at - 1];
        let text = self.text.split_off(start as usize);
        let mut ends = self.ends.split_off(at);
        ends.iter_mut().for_each(|end| *end -= start);
        let public = self.public.split_off(at);
        let publics = public.iter().filter(|&&public| public).count();
        self.publics -= publics;
        let tail = Self { modified: self.modified.split_off(at), ends, text, public, publics };
        self.modified.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.text.shrink_to_fit();
        self.public.shrink_to_fit();
        tail
    }
}

/// Active datasets, newest first; each marked public or not, so that a page of the public
/// ones skips the others.
#[derive(Default)]
pub(crate) struct Newest<S = std::hash::RandomState> {
    chunks: Vec<Chunk>,
    len: usize,
    publics: usize,
    /// Each listed dataset's `metadata_modified`, by a hash of its id ([`SHARED`] where ids
    /// share one: then the list is searched).
    times: HashMap<u64, i64>,
    hasher: S,
}

impl<S: BuildHasher> Newest<S> {
    /// The chunk that holds the key, or where it belongs.
    fn chunk_of(&self, modified: i64, id: &str) -> usize {
        let after = self.chunks.partition_point(|chunk| {
            chunk.len().checked_sub(1).is_some_and(|last| chunk.before(last, modified, id))
        });
        after.min(self.chunks.len().saturating_sub(1))
    }

    /// Where the entry (`modified`, `id`) is: its chunk and place.
    fn find(&self, modified: i64, id: &str) -> Option<(usize, usize)> {
        let c = self.chunk_of(modified, id);
        let chunk = self.chunks.get(c)?;
        let at = chunk.place(modified, id);
        chunk.holds(at, modified, id).then_some((c, at))
    }

    /// Forgets a dataset (changed, deleted or purged).
    pub fn remove(&mut self, id: &str) {
        let hash = self.hasher.hash_one(id);
        let Some(&modified) = self.times.get(&hash) else { return };
        let found = if modified == SHARED {
            self.chunks
                .iter()
                .enumerate()
                .find_map(|(c, chunk)| (0..chunk.len()).find(|&at| chunk.id(at) == id).map(|at| (c, at)))
        } else {
            self.find(modified, id)
        };
        let Some((c, at)) = found else { return };
        if modified != SHARED {
            self.times.remove(&hash);
        }
        let chunk = &mut self.chunks[c];
        self.publics -= usize::from(chunk.public[at]);
        chunk.remove(at);
        self.len -= 1;
        if chunk.len() == 0 {
            self.chunks.remove(c);
        }
    }

    /// Lists a dataset as it now is (replacing what was listed of it).
    pub fn put(&mut self, record: &PackageRecord) {
        self.remove(&record.id);
        if record.state == PackageState::Active {
            self.put_active(&record.id, record.private, record.metadata_modified);
        }
    }

    /// Lists an active dataset not listed yet.
    pub fn put_active(&mut self, id: &str, private: bool, modified: Timestamp) {
        self.insert(id, !private, modified.naive().and_utc().timestamp_micros());
    }

    /// Lists active datasets (id, private, `metadata_modified`) not listed yet.
    pub fn put_all(&mut self, active: Vec<(String, bool, Timestamp)>) {
        let mut active: Vec<(i64, String, bool)> = active
            .into_iter()
            .map(|(id, private, modified)| (modified.naive().and_utc().timestamp_micros(), id, !private))
            .collect();
        // In the list's order, each is added at its end.
        active.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        for (modified, id, public) in active {
            self.insert(&id, public, modified);
        }
    }

    fn insert(&mut self, id: &str, public: bool, modified: i64) {
        if self.chunks.is_empty() {
            self.chunks.push(Chunk::default());
        }
        let c = self.chunk_of(modified, id);
        let chunk = &mut self.chunks[c];
        let at = chunk.place(modified, id);
        if chunk.holds(at, modified, id) {
            return;
        }
        chunk.insert(at, modified, id, public);
        self.len += 1;
        self.publics += usize::from(public);
        if chunk.len() > 2 * CHUNK {
            let tail = chunk.split_off(CHUNK);
            self.chunks.insert(c + 1, tail);
        }
        // Another id with this hash listed already: their entries are found by searching.
        let hash = self.hasher.hash_one(id);
        self.times.entry(hash).and_modify(|time| *time = SHARED).or_insert(modified);
    }

    /// The ids of up to `rows` datasets from the `start`th, newest first; private ones too when
    /// `include_private`.
    pub fn page(&self, include_private: bool, start: usize, rows: usize) -> Vec<String> {
        let total = if include_private { self.len } else { self.publics };
        let mut out = Vec::with_capacity(rows.min(total.saturating_sub(start)));
        let mut skip = start;
        for chunk in &self.chunks {
            if out.len() == rows {
                break;
            }
            let listed = if include_private { chunk.len() } else { chunk.publics };
            if skip >= listed {
                skip -= listed;
                continue;
            }
            for at in 0..chunk.len() {
                if out.len() == rows {
                    break;
                }
                if !include_private && !chunk.public[at] {
                    continue;
                }
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                out.push(chunk.id(at).to_owned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes every id to its length modulo 3: most ids share a hash.
    #[derive(Default)]
    struct Few;

    impl BuildHasher for Few {
        type Hasher = FewHasher;
        fn build_hasher(&self) -> FewHasher {
            FewHasher(0)
        }
    }

    struct FewHasher(u64);

    impl std::hash::Hasher for FewHasher {
        fn finish(&self) -> u64 {
            self.0 % 3
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0 += bytes.len() as u64;
        }
    }

    /// 5,000 datasets (a deterministic shuffle, many with equal times, a fifth private), a
    /// third removed, some put again with another time; every page, of all and of the public
    /// ones, is that of a sorted list.
    fn pages_match_a_sorted_list<S: BuildHasher + Default>() {
        let mut newest = Newest::<S>::default();
        let mut plain: Vec<(i64, String, bool)> = Vec::new();
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            state >> 33
        };
        for i in 0..5_000 {
            let entry = ((next() % 700) as i64, format!("id-{}", i * 7 % 10_007), i % 5 != 0);
            newest.insert(&entry.1, entry.2, entry.0);
            plain.push(entry);
        }
        for i in (0..5_000).step_by(3) {
            newest.remove(&plain[i].1);
        }
        let mut kept: Vec<(i64, String, bool)> =
            plain.iter().enumerate().filter(|(i, _)| i % 3 != 0).map(|(_, e)| e.clone()).collect();
        for entry in kept.iter_mut().step_by(7) {
            newest.remove(&entry.1);
            entry.0 = 700 + (next() % 50) as i64;
            newest.insert(&entry.1, entry.2, entry.0);
        }
        kept.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let public: Vec<&(i64, String, bool)> = kept.iter().filter(|e| e.2).collect();
        assert_eq!((newest.len, newest.publics), (kept.len(), public.len()));
        assert!(newest.chunks.len() > 3);
        for (start, rows) in
            [(0, 10), (1, 1), (511, 3), (1_000, 100), (2_650, 10), (3_333, 10), (9_999, 5), (0, 0)]
        {
            let want: Vec<String> = kept.iter().skip(start).take(rows).map(|e| e.1.clone()).collect();
            assert_eq!(newest.page(true, start, rows), want, "all: start {start} rows {rows}");
            let want: Vec<String> = public.iter().skip(start).take(rows).map(|e| e.1.clone()).collect();
            assert_eq!(newest.page(false, start, rows), want, "public: start {start} rows {rows}");
        }
        // Removing what is not there and inserting twice change nothing.
        newest.remove("nothing");
        newest.insert(&kept[0].1, kept[0].2, kept[0].0);
        assert_eq!(newest.len, kept.len());
        // Everything removed leaves nothing behind.
        for entry in &kept {
            newest.remove(&entry.1);
        }
        assert_eq!((newest.len, newest.publics, newest.chunks.len()), (0, 0, 0));
        assert_eq!(newest.page(true, 0, 10), Vec::<String>::new());
    }

    #[test]
    fn chunks_stay_close_to_full_whatever_the_order_of_insertion() {
        for sorted in [true, false] {
            let mut newest = Newest::<std::hash::RandomState>::default();
            let mut times: Vec<i64> = (0..20_000).collect();
            if !sorted {
                times.iter_mut().for_each(|t| *t = *t * 7_919 % 20_011);
            }
            for t in times {
                newest.insert(&format!("{t:036}"), true, -t);
            }
            let (listed, held, text, text_held) = newest.chunks.iter().fold((0, 0, 0, 0), |sum, chunk| {
                (
                    sum.0 + chunk.len(),
                    sum.1 + chunk.modified.capacity().max(chunk.ends.capacity()).max(chunk.public.capacity()),
                    sum.2 + chunk.text.len(),
                    sum.3 + chunk.text.capacity(),
                )
            });
            assert_eq!(listed, 20_000);
            assert!(
                held * 4 <= listed * 5 + 16 * newest.chunks.len() * 4,
                "sorted {sorted}: {held} for {listed}"
            );
            assert!(
                text_held * 4 <= text * 5 + 36 * newest.chunks.len() * 4,
                "sorted {sorted}: {text_held} for {text}"
            );
        }
    }

    #[test]
    fn pages_at_any_offset_match_a_sorted_list() {
        pages_match_a_sorted_list::<std::hash::RandomState>();
    }

    #[test]
    fn ids_that_share_a_hash_are_found_by_searching() {
        pages_match_a_sorted_list::<Few>();
    }
}
