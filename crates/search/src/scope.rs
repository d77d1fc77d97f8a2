//! Who may see what, per segment, kept as bitsets: a search's matches are checked against its
//! caller's scope by a bit test instead of by walking the postings of states, visibility and
//! organizations again on every search.
//!
//! A segment never changes once written (a dataset changed is a new document elsewhere and the
//! old one is deleted), so a segment's bitset for a scope stays right until the segment is
//! merged away; deleted documents are left out by the searcher, as for any query.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Query};
use tantivy::{BitSet, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

use crate::Scope;

/// Bitsets kept at most (each `max_doc` bits of one segment): beyond, the cache starts afresh.
/// Anonymous callers and everyone not asking for private or draft datasets share one scope.
const MOST_KEPT: usize = 256;

/// The bitsets of the scopes searched, per segment.
#[derive(Default)]
pub struct ScopeCache {
    entries: Mutex<HashMap<(SegmentId, ScopeKey), Arc<BitSet>>>,
}

/// A scope as the cache tells scopes apart: everything that decides what it lets through.
type ScopeKey = Scope;

/// `scope` in the form the cache keys it by: without private, draft or deleted datasets asked
/// for, who is asking changes nothing (one key for all such callers); otherwise the lists
/// sorted and without repeats.
fn key_of(scope: &Scope) -> ScopeKey {
    if !(scope.include_private || scope.include_drafts || scope.include_deleted) {
        return Scope::default();
    }
    let mut key = scope.clone();
    for list in [&mut key.readable_orgs, &mut key.readable_ids] {
        list.sort();
        list.dedup();
    }
    key
}

impl ScopeCache {
    /// Forgets the segments `searcher` no longer has.
    pub fn retain(&self, searcher: &Searcher) {
        let live: Vec<SegmentId> = searcher.segment_readers().iter().map(SegmentReader::segment_id).collect();
        self.lock().retain(|(segment, _), _| live.contains(segment));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(SegmentId, ScopeKey), Arc<BitSet>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The datasets a scope lets through, checked per match by [`InScope`].
#[derive(Clone)]
pub struct ScopeFilter {
    key: ScopeKey,
    /// The scope as a query: what the bitsets are made from.
    query: Arc<dyn Query>,
    cache: Arc<ScopeCache>,
}

impl ScopeFilter {
    pub fn new(scope: &Scope, query: Box<dyn Query>, cache: Arc<ScopeCache>) -> Self {
        Self { key: key_of(scope), query: Arc::from(query), cache }
    }

    /// The documents of `reader`'s segment in scope: from the cache, or worked out once.
    pub(crate) fn bits(&self, reader: &SegmentReader) -> tantivy::Result<Arc<BitSet>> {
        let entry = (reader.segment_id(), self.key.clone());
        if let Some(found) = self.cache.lock().get(&entry) {
            return Ok(found.clone());
        }
        let weight = self.query.weight(EnableScoring::disabled_from_schema(reader.schema()))?;
        let mut bits = BitSet::with_max_value(reader.max_doc());
        let mut scorer = weight.scorer(reader, 1.0)?;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            bits.insert(doc);
            doc = scorer.advance();
        }
        let bits = Arc::new(bits);
        let mut entries = self.cache.lock();
        if entries.len() >= MOST_KEPT {
            entries.clear();
        }
        entries.insert(entry, bits.clone());
        Ok(bits)
    }
}

/// A collector that passes on only the matches in scope: the scope narrows what is counted,
/// sorted and faceted without taking part in the query (no intersection to walk, no score).
pub struct InScope<'a, C> {
    pub inner: C,
    pub scope: &'a ScopeFilter,
}

pub struct InScopeSegment<S> {
    inner: S,
    bits: Arc<BitSet>,
    /// Matches in scope not yet passed on, when no score is needed: they go on in blocks
    /// (see [`BLOCK`]), so that collectors can work on many documents at once.
    pending: Option<Vec<DocId>>,
}

/// Matches passed on at once when no score is needed (tantivy's own block size).
const BLOCK: usize = tantivy::COLLECT_BLOCK_BUFFER_LEN;

impl<C: Collector> Collector for InScope<'_, C> {
    type Fruit = C::Fruit;
    type Child = InScopeSegment<C::Child>;

    fn for_segment(&self, segment: u32, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(InScopeSegment {
            inner: self.inner.for_segment(segment, reader)?,
            bits: self.scope.bits(reader)?,
            pending: (!self.inner.requires_scoring()).then(|| Vec::with_capacity(BLOCK)),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }

    fn merge_fruits(&self, fruits: Vec<<C::Child as SegmentCollector>::Fruit>) -> tantivy::Result<C::Fruit> {
        self.inner.merge_fruits(fruits)
    }
}

impl<S: SegmentCollector> SegmentCollector for InScopeSegment<S> {
    type Fruit = S::Fruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        if !self.bits.contains(doc) {
            return;
        }
        match &mut self.pending {
            None => self.inner.collect(doc, score),
            Some(pending) => {
                pending.push(doc);
                if pending.len() == BLOCK {
                    self.inner.collect_block(pending);
                    pending.clear();
                }
            }
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for &doc in docs {
            self.collect(doc, 0.0);
        }
    }

    fn harvest(mut self) -> S::Fruit {
        if let Some(pending) = self.pending.take()
            && !pending.is_empty()
        {
            self.inner.collect_block(&pending);
        }
        self.inner.harvest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(orgs: &[&str], include_private: bool) -> Scope {
        Scope {
            readable_orgs: orgs.iter().map(|o| (*o).to_owned()).collect(),
            user_id: Some("u".into()),
            include_private,
            ..Scope::default()
        }
    }

    #[test]
    fn callers_share_a_key_only_when_they_may_see_the_same_datasets() {
        // Public datasets only: who asks changes nothing.
        assert_eq!(key_of(&member(&["a"], false)), key_of(&Scope::default()));
        // The same organizations in another order, or repeated.
        assert_eq!(key_of(&member(&["b", "a", "a"], true)), key_of(&member(&["a", "b"], true)));
        // Other organizations, or private datasets asked for or not.
        assert_ne!(key_of(&member(&["a"], true)), key_of(&member(&["b"], true)));
        assert_ne!(key_of(&member(&["a"], true)), key_of(&member(&["a"], false)));
        let sysadmin = Scope { sysadmin: true, include_private: true, ..Scope::default() };
        assert_ne!(key_of(&sysadmin), key_of(&Scope { include_private: true, ..Scope::default() }));
    }
}
