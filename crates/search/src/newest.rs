//! Active datasets, newest first: the order `current_package_list_with_resources` pages
//! through. Kept beside the index and changed with it, so that a page at any offset is found
//! without sorting every dataset up to it.

use std::collections::HashMap;
use std::sync::Arc;

use datahavn_domain::Timestamp;
use datahavn_domain::catalog::PackageRecord;
use datahavn_domain::package::PackageState;

/// Newest first (the later `metadata_modified` first), then by id.
type Key = (std::cmp::Reverse<i64>, Arc<str>);

/// Chunks split when they grow past twice this.
const CHUNK: usize = 512;

/// A sorted list in chunks: inserting and removing move at most a chunk, and the `n`th entry is
/// found by counting chunk lengths.
#[derive(Default)]
struct Ranked {
    chunks: Vec<Vec<Key>>,
    len: usize,
}

impl Ranked {
    /// The chunk that holds `key`, or where it belongs.
    fn chunk_of(&self, key: &Key) -> usize {
        let after = self.chunks.partition_point(|chunk| chunk.last().is_some_and(|last| last < key));
        after.min(self.chunks.len().saturating_sub(1))
    }

    fn insert(&mut self, key: Key) {
        if self.chunks.is_empty() {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let c = self.chunk_of(&key);
        let chunk = &mut self.chunks[c];
        let at = chunk.partition_point(|k| *k < key);
        if chunk.get(at) == Some(&key) {
            return;
        }
        chunk.insert(at, key);
        self.len += 1;
        if chunk.len() > 2 * CHUNK {
            let tail = chunk.split_off(CHUNK);
            self.chunks.insert(c + 1, tail);
        }
    }

    fn remove(&mut self, key: &Key) {
        if self.chunks.is_empty() {
            return;
        }
        let c = self.chunk_of(key);
        let chunk = &mut self.chunks[c];
        if let Ok(at) = chunk.binary_search(key) {
            chunk.remove(at);
            self.len -= 1;
            if chunk.is_empty() {
                self.chunks.remove(c);
            }
        }
    }

    /// Up to `rows` entries from the `start`th.
    fn page(&self, start: usize, rows: usize) -> Vec<Arc<str>> {
        let mut out = Vec::with_capacity(rows.min(self.len.saturating_sub(start)));
        let mut skip = start;
        for chunk in &self.chunks {
            if out.len() == rows {
                break;
            }
            if skip >= chunk.len() {
                skip -= chunk.len();
                continue;
            }
            let take = (rows - out.len()).min(chunk.len() - skip);
            out.extend(chunk[skip..skip + take].iter().map(|(_, id)| Arc::clone(id)));
            skip = 0;
        }
        out
    }
}

/// Active datasets in two orders: all of them (for sysadmins) and the public ones.
#[derive(Default)]
pub(crate) struct Newest {
    all: Ranked,
    public: Ranked,
    /// Each listed dataset's key and whether it is public.
    listed: HashMap<Arc<str>, (i64, bool)>,
}

impl Newest {
    /// Forgets a dataset (changed, deleted or purged).
    pub fn remove(&mut self, id: &str) {
        let Some((id, (modified, public))) = self.listed.remove_entry(id) else { return };
        let key = (std::cmp::Reverse(modified), id);
        self.all.remove(&key);
        if public {
            self.public.remove(&key);
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
        let id: Arc<str> = Arc::from(id);
        let modified = modified.naive().and_utc().timestamp_micros();
        let public = !private;
        self.listed.insert(Arc::clone(&id), (modified, public));
        let key = (std::cmp::Reverse(modified), id);
        if public {
            self.public.insert(key.clone());
        }
        self.all.insert(key);
    }

    /// The ids of up to `rows` datasets from the `start`th, newest first; private ones too when
    /// `include_private`.
    pub fn page(&self, include_private: bool, start: usize, rows: usize) -> Vec<Arc<str>> {
        if include_private { self.all.page(start, rows) } else { self.public.page(start, rows) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(modified: i64, id: &str) -> Key {
        (std::cmp::Reverse(modified), Arc::from(id))
    }

    #[test]
    fn pages_at_any_offset_match_a_sorted_list() {
        let mut ranked = Ranked::default();
        let mut plain: Vec<Key> = Vec::new();
        // A deterministic shuffle of 5,000 keys with many equal times.
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            state >> 33
        };
        for i in 0..5_000 {
            let k = key((next() % 700) as i64, &format!("id-{i:05}"));
            ranked.insert(k.clone());
            plain.push(k);
        }
        for i in (0..5_000).step_by(3) {
            let k = plain[i].clone();
            ranked.remove(&k);
        }
        let mut kept: Vec<Key> =
            plain.iter().enumerate().filter(|(i, _)| i % 3 != 0).map(|(_, k)| k.clone()).collect();
        kept.sort();
        assert_eq!(ranked.len, kept.len());
        assert!(ranked.chunks.len() > 3);
        for (start, rows) in
            [(0, 10), (1, 1), (511, 3), (1_000, 100), (3_330, 10), (3_333, 10), (9_999, 5), (0, 0)]
        {
            let want: Vec<Arc<str>> =
                kept.iter().skip(start).take(rows).map(|(_, id)| Arc::clone(id)).collect();
            assert_eq!(ranked.page(start, rows), want, "start {start} rows {rows}");
        }
        // Removing what is not there and inserting twice change nothing.
        ranked.remove(&key(-5, "nothing"));
        ranked.insert(kept[0].clone());
        assert_eq!(ranked.len, kept.len());
    }
}
