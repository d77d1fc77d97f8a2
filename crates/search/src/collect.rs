//! One pass over the matches of a search: the total, the page in the asked order and the facet
//! counts, collected together.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::collector::sort_key::{Comparator, NaturalComparator, SortByErasedType};
use tantivy::collector::{
    Collector, Count, SegmentCollector, SegmentSortKeyComputer, SortKeyComputer, TopDocs, TopNComputer,
};
use tantivy::columnar::{Column, ColumnType, MonotonicallyMappableToU64, StrColumn};
use tantivy::index::SegmentId;
use tantivy::query::Query;
use tantivy::schema::{Field, OwnedValue};
use tantivy::store::StoreReader;
use tantivy::{DateTime, DocAddress, DocId, Order, Score, Searcher, SegmentReader};

use crate::dates::SortedDates;
use crate::filtered::Bits;
use crate::scope::{InScope, ScopeFilter};
use crate::scored::ScoreThenDate;
use crate::{SearchResult, SortField};

/// What one pass collected.
pub struct Collected {
    pub count: usize,
    pub page: Vec<DocAddress>,
    /// Per facet field asked for: its values and the number of matching datasets that have
    /// each, the most frequent first (then by value), as [`Facets`] limits them.
    pub facets: Vec<Vec<(String, u64)>>,
}

/// The facet fields to count (`""`: a field that is not a facet, counted as empty), and how many
/// values of each to keep: at most `limit`, each held by at least `mincount` matches (at least 1).
#[derive(Debug, Clone, Copy)]
pub struct Facets<'a> {
    pub fields: &'a [&'static str],
    pub limit: usize,
    pub mincount: u64,
}

impl<'a> Facets<'a> {
    /// Every value of each field.
    pub fn all(fields: &'a [&'static str]) -> Self {
        Self { fields, limit: usize::MAX, mincount: 1 }
    }
}

/// A sort key: tantivy's own for scores; for dates, the segment's column opened once and kept;
/// for the string fields (name, title, id), the segment's terms read once and kept too, so
/// that the best documents of each segment are told apart without a dictionary lookup each.
struct Key {
    by: By,
    cache: Arc<ColumnCache>,
}

enum By {
    Erased(SortByErasedType),
    Date(&'static str),
    Terms(&'static str),
}

fn keyed(field: SortField, descending: bool, cache: &Arc<ColumnCache>) -> (Key, Order) {
    let by = match field {
        SortField::Score => By::Erased(SortByErasedType::for_score()),
        SortField::MetadataModified => By::Date("metadata_modified"),
        SortField::MetadataCreated => By::Date("metadata_created"),
        SortField::Name => By::Terms("name"),
        SortField::TitleString => By::Terms("title_string"),
        SortField::Id => By::Terms("id"),
    };
    (Key { by, cache: cache.clone() }, if descending { Order::Desc } else { Order::Asc })
}

type ErasedSegmentKey = <SortByErasedType as SortKeyComputer>::Child;

/// [`Key`] within one segment: the sort key of a document is a number (a string field's is its
/// term ordinal, ordered as the terms are), turned into the value only for the page's documents.
enum SegmentKey {
    Erased(ErasedSegmentKey),
    /// The dates as numbers in the dates' order (tantivy's own mapping); `None` in a segment
    /// without the field.
    Date(Option<Arc<Column<u64>>>),
    /// The column's ordinals and its terms; `None` in a segment without the field.
    Text(Option<(Arc<StrColumn>, Arc<SortTerms>)>),
}

impl SortKeyComputer for Key {
    type SortKey = OwnedValue;
    type Child = SegmentKey;
    type Comparator = NaturalComparator;

    fn requires_scoring(&self) -> bool {
        matches!(&self.by, By::Erased(erased) if erased.requires_scoring())
    }

    fn segment_sort_key_computer(&self, reader: &SegmentReader) -> tantivy::Result<SegmentKey> {
        let field = match &self.by {
            By::Erased(erased) => return Ok(SegmentKey::Erased(erased.segment_sort_key_computer(reader)?)),
            By::Date(field) => return Ok(SegmentKey::Date(self.cache.date_column(reader, field)?)),
            By::Terms(field) => *field,
        };
        let Some(column) = self.cache.str_column(reader, field)? else { return Ok(SegmentKey::Text(None)) };
        let terms = self.cache.terms(reader.segment_id(), field, &column)?;
        Ok(SegmentKey::Text(terms.map(|terms| (column, terms))))
    }
}

impl SegmentSortKeyComputer for SegmentKey {
    type SortKey = OwnedValue;
    type SegmentSortKey = Option<u64>;
    type SegmentComparator = NaturalComparator;

    #[inline(always)]
    fn segment_sort_key(&mut self, doc: DocId, score: Score) -> Option<u64> {
        match self {
            Self::Erased(inner) => inner.segment_sort_key(doc, score),
            Self::Date(column) => column.as_ref()?.first(doc),
            Self::Text(column) => column.as_ref()?.0.ords().first(doc),
        }
    }

    fn convert_segment_sort_key(&self, key: Option<u64>) -> OwnedValue {
        match self {
            Self::Erased(inner) => inner.convert_segment_sort_key(key),
            Self::Date(_) => key.map_or(OwnedValue::Null, |key| OwnedValue::Date(DateTime::from_u64(key))),
            Self::Text(column) => key
                .zip(column.as_ref())
                .and_then(|(ord, (_, terms))| terms.get(ord))
                .map_or(OwnedValue::Null, |term| OwnedValue::Str(term.to_owned())),
        }
    }
}

/// Several sort keys, a document taken only when it beats the current k-th best. Tantivy's
/// top-k over a tuple of keys keeps a document whose keys all equal the k-th best's, though a
/// later document of the segment can never go before it (ties go by document); where many
/// datasets share a score and a date (copies, harvests) that was most of a search's matches,
/// each read, kept and sorted. Its top-k over one key drops them already, as this does.
struct Strict<K>(K);

impl<K: SortKeyComputer> SortKeyComputer for Strict<K> {
    type SortKey = K::SortKey;
    type Child = StrictSegment<K::Child>;
    type Comparator = K::Comparator;

    fn check_schema(&self, schema: &tantivy::schema::Schema) -> tantivy::Result<()> {
        self.0.check_schema(schema)
    }

    fn comparator(&self) -> Self::Comparator {
        self.0.comparator()
    }

    fn requires_scoring(&self) -> bool {
        self.0.requires_scoring()
    }

    fn segment_sort_key_computer(&self, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(StrictSegment(self.0.segment_sort_key_computer(reader)?))
    }
}

/// [`Strict`] within one segment.
struct StrictSegment<K>(K);

impl<K: SegmentSortKeyComputer> SegmentSortKeyComputer for StrictSegment<K> {
    type SortKey = K::SortKey;
    type SegmentSortKey = K::SegmentSortKey;
    type SegmentComparator = K::SegmentComparator;

    fn segment_comparator(&self) -> Self::SegmentComparator {
        self.0.segment_comparator()
    }

    #[inline(always)]
    fn segment_sort_key(&mut self, doc: DocId, score: Score) -> Self::SegmentSortKey {
        self.0.segment_sort_key(doc, score)
    }

    #[inline(always)]
    fn compute_sort_key_and_collect<C: Comparator<Self::SegmentSortKey>>(
        &mut self,
        doc: DocId,
        score: Score,
        top: &mut TopNComputer<Self::SegmentSortKey, DocId, C>,
    ) {
        let key = match &top.threshold {
            Some(threshold) => match self.0.accept_sort_key_lazy(doc, score, threshold) {
                Some((Ordering::Greater, key)) => key,
                _ => return,
            },
            None => self.0.segment_sort_key(doc, score),
        };
        top.push(key, doc);
    }

    #[inline(always)]
    fn compare_segment_sort_key(
        &self,
        left: &Self::SegmentSortKey,
        right: &Self::SegmentSortKey,
    ) -> Ordering {
        self.0.compare_segment_sort_key(left, right)
    }

    fn accept_sort_key_lazy(
        &mut self,
        doc: DocId,
        score: Score,
        threshold: &Self::SegmentSortKey,
    ) -> Option<(Ordering, Self::SegmentSortKey)> {
        self.0.accept_sort_key_lazy(doc, score, threshold).filter(|(cmp, _)| *cmp == Ordering::Greater)
    }

    fn convert_segment_sort_key(&self, key: Self::SegmentSortKey) -> Self::SortKey {
        self.0.convert_segment_sort_key(key)
    }
}

/// The keys of `sort` that can change the order: a key repeated adds nothing, and nothing after
/// a unique key (name, id) can break a tie. Six sortable fields, two of them unique, leave at
/// most five.
pub(crate) fn decisive(sort: &[(SortField, bool)]) -> Vec<(SortField, bool)> {
    let mut keys: Vec<(SortField, bool)> = Vec::with_capacity(sort.len());
    for &(field, descending) in sort {
        if keys.iter().any(|(seen, _)| *seen == field) {
            continue;
        }
        keys.push((field, descending));
        if matches!(field, SortField::Name | SortField::Id) {
            break;
        }
    }
    keys
}

/// Runs `query` once over the matches `scope` lets through: counts them, keeps the `rows` best
/// from `start` in the order of `sort` (ties in document order) and counts the values of the
/// facet fields.
#[allow(clippy::too_many_arguments)]
pub fn collect(
    searcher: &Searcher,
    query: &dyn Query,
    scope: &ScopeFilter,
    sort: &[(SortField, bool)],
    start: usize,
    rows: usize,
    facets: Facets<'_>,
    cache: &Arc<ColumnCache>,
) -> SearchResult<Collected> {
    let facets = FacetCounts { asked: facets, cache };
    if rows == 0 {
        let (count, facets) = searcher.search(query, &InScope { inner: (Count, facets), scope })?;
        return Ok(Collected { count, page: Vec::new(), facets });
    }
    // No page can start past the last document; an offset beyond it needs no room.
    let start = start.min(usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX));
    let sort = decisive(sort);
    // One unique key decides the order: the matches are marked, then each segment's documents
    // are walked in that key's order until the page is full.
    if let [(field @ (SortField::Id | SortField::Name), descending)] = sort.as_slice() {
        let name = if *field == SortField::Id { "id" } else { "name" };
        let ordered = Ordered { field: name, descending: *descending, wanted: start + rows, cache };
        let (count, picked, facets) =
            searcher.search(query, &InScope { inner: (Count, ordered, facets), scope })?;
        let page = picked.into_iter().skip(start).take(rows).map(|pick| pick.address).collect();
        return Ok(Collected { count, page, facets });
    }
    let top = TopDocs::with_limit(rows).and_offset(start);
    Ok(match sort.as_slice() {
        [] => run(searcher, query, scope, top.order_by_score(), facets)?,
        [
            (SortField::Score, true),
            (date @ (SortField::MetadataModified | SortField::MetadataCreated), descending),
        ] => {
            let field =
                if *date == SortField::MetadataModified { "metadata_modified" } else { "metadata_created" };
            let top = ScoreThenDate { field, descending: *descending, start, rows, cache };
            run(searcher, query, scope, top, facets)?
        }
        [(a, da)] => run(searcher, query, scope, top.order_by(keyed(*a, *da, cache)), facets)?,
        [(a, da), (b, db)] => run(
            searcher,
            query,
            scope,
            top.order_by(Strict((keyed(*a, *da, cache), keyed(*b, *db, cache)))),
            facets,
        )?,
        [(a, da), (b, db), (c, dc)] => run(
            searcher,
            query,
            scope,
            top.order_by(Strict((keyed(*a, *da, cache), keyed(*b, *db, cache), keyed(*c, *dc, cache)))),
            facets,
        )?,
        [(a, da), (b, db), (c, dc), (d, dd)] => run(
            searcher,
            query,
            scope,
            top.order_by(Strict((
                keyed(*a, *da, cache),
                keyed(*b, *db, cache),
                keyed(*c, *dc, cache),
                keyed(*d, *dd, cache),
            ))),
            facets,
        )?,
        [(a, da), (b, db), (c, dc), (d, dd), (e, de)] => run(
            searcher,
            query,
            scope,
            top.order_by(Strict((
                keyed(*a, *da, cache),
                (
                    keyed(*b, *db, cache),
                    (keyed(*c, *dc, cache), (keyed(*d, *dd, cache), keyed(*e, *de, cache))),
                ),
            ))),
            facets,
        )?,
        _ => unreachable!("at most five sort keys decide an order"),
    })
}

fn run<C, K>(
    searcher: &Searcher,
    query: &dyn Query,
    scope: &ScopeFilter,
    top: C,
    facets: FacetCounts<'_>,
) -> SearchResult<Collected>
where
    C: Collector<Fruit = Vec<(K, DocAddress)>>,
{
    let (count, found, facets) = searcher.search(query, &InScope { inner: (Count, top, facets), scope })?;
    Ok(Collected { count, page: found.into_iter().map(|(_, address)| address).collect(), facets })
}

/// The first `wanted` matches in the order of a unique string field (`id`, `name`): each
/// segment marks its matches, then walks its documents in the field's order (kept per segment,
/// see [`KeyOrder`]) until it has `wanted` of them or none are left; the segments' lists are
/// then merged. Equal keys (none among live datasets) fall back to the document's address, as
/// tantivy's own ordering does.
pub(crate) struct Ordered<'a> {
    pub(crate) field: &'static str,
    pub(crate) descending: bool,
    pub(crate) wanted: usize,
    pub(crate) cache: &'a ColumnCache,
}

/// A document picked for the page, with what places it.
pub(crate) struct Pick {
    key: Option<(u64, Arc<SortTerms>)>,
    pub(crate) address: DocAddress,
}

impl Pick {
    fn key(&self) -> Option<&str> {
        self.key.as_ref().and_then(|(ord, terms)| terms.get(*ord))
    }
}

pub(crate) struct SegmentOrdered {
    segment: u32,
    pub(crate) matched: Bits,
    max_doc: DocId,
    /// The field's column, its documents in order and its terms; `None`: no such column here.
    keyed: Option<(Arc<StrColumn>, Arc<KeyOrder>, Arc<SortTerms>)>,
    descending: bool,
    wanted: usize,
}

impl Collector for Ordered<'_> {
    type Fruit = Vec<Pick>;
    type Child = SegmentOrdered;

    fn for_segment(&self, segment: u32, reader: &SegmentReader) -> tantivy::Result<SegmentOrdered> {
        let keyed = match self.cache.str_column(reader, self.field)? {
            Some(column) => {
                let order = self.cache.order(reader, self.field, &column)?;
                let terms = self.cache.terms(reader.segment_id(), self.field, &column)?;
                order.zip(terms).map(|(order, terms)| (column, order, terms))
            }
            None => None,
        };
        Ok(SegmentOrdered {
            segment,
            matched: Bits::empty(reader.max_doc()),
            max_doc: reader.max_doc(),
            keyed,
            descending: self.descending,
            wanted: self.wanted,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Pick>>) -> tantivy::Result<Vec<Pick>> {
        let mut merged: Vec<Pick> = fruits.into_iter().flatten().collect();
        // Documents without the field come last either way; ties by address.
        merged.sort_by(|a, b| {
            let by_key = match (a.key(), b.key()) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) if self.descending => b.cmp(a),
                (Some(a), Some(b)) => a.cmp(b),
            };
            by_key.then(a.address.cmp(&b.address))
        });
        merged.truncate(self.wanted);
        Ok(merged)
    }
}

impl SegmentCollector for SegmentOrdered {
    type Fruit = Vec<Pick>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.matched.insert(doc);
    }

    fn harvest(self) -> Vec<Pick> {
        let mut picks = Vec::with_capacity(self.wanted.min(1024));
        let Some((column, order, terms)) = &self.keyed else {
            // No document here has the field: all keys equal, so by address.
            for doc in 0..self.max_doc {
                if picks.len() == self.wanted {
                    break;
                }
                if self.matched.contains(doc) {
                    picks.push(Pick { key: None, address: DocAddress::new(self.segment, doc) });
                }
            }
            return picks;
        };
        let ord = |doc: DocId| column.ords().first(doc);
        let mut take = |doc: DocId| {
            if self.matched.contains(doc) {
                let key = ord(doc).map(|ord| (ord, terms.clone()));
                picks.push(Pick { key, address: DocAddress::new(self.segment, doc) });
            }
            picks.len() == self.wanted
        };
        let (keyed, unkeyed) = order.docs.split_at(order.keyed);
        if !self.descending {
            for &doc in keyed.iter().chain(unkeyed) {
                if take(doc) {
                    break;
                }
            }
            return picks;
        }
        // Going down: runs of one key from the last, each run's documents by address; then
        // the documents without the field.
        let mut end = keyed.len();
        while end > 0 {
            let key = ord(keyed[end - 1]);
            let mut start = end - 1;
            while start > 0 && ord(keyed[start - 1]) == key {
                start -= 1;
            }
            for &doc in &keyed[start..end] {
                if take(doc) {
                    return picks;
                }
            }
            end = start;
        }
        for &doc in unkeyed {
            if take(doc) {
                break;
            }
        }
        picks
    }
}

/// The documents of one segment in the order of a string field: those with a value by the term
/// ordinal of their value, then by document; then those without one, by document. Made once per
/// segment and field.
pub struct KeyOrder {
    docs: Vec<DocId>,
    /// How many documents have a value: they come first in `docs`.
    keyed: usize,
}

impl KeyOrder {
    fn build(column: &StrColumn, max_doc: DocId) -> Self {
        let mut keyed: Vec<(u64, DocId)> = Vec::with_capacity(max_doc as usize);
        let mut unkeyed = Vec::new();
        for doc in 0..max_doc {
            match column.ords().first(doc) {
                Some(ord) => keyed.push((ord, doc)),
                None => unkeyed.push(doc),
            }
        }
        keyed.sort_unstable();
        let count = keyed.len();
        let mut docs: Vec<DocId> = keyed.into_iter().map(|(_, doc)| doc).collect();
        docs.extend(unkeyed);
        Self { docs, keyed: count }
    }
}

/// A facet field of one segment, flattened for counting: each document's term ordinals, each
/// once, in one slot — how many, then up to [`IN_SLOT`] of them; a document with more has in its
/// slot where they are in `more`. Counting a document is one read at a random place (most
/// documents of a catalogue have few formats, tags or an organization), not two. The slots are
/// of 8 bytes while the field's values can be told apart in 16 bits (a catalogue's formats, tags
/// and organizations), else of 16: the fewer bytes, the more of a large segment's slots stay in
/// the processor's caches.
pub(crate) struct FlatOrds {
    slots: Slots,
    more: Vec<u32>,
    /// The field's values, by ordinal.
    terms: SortTerms,
}

enum Slots {
    Narrow(Vec<[u16; 4]>),
    Wide(Vec<[u32; 4]>),
}

/// The values a slot holds in place.
const IN_SLOT: usize = 3;

/// A document's slot: how many values, then the values' ordinals or where they are in `more`.
trait Slot: Copy {
    /// The slot of values held in place (at most [`IN_SLOT`]).
    fn held(ords: &[u32]) -> Option<Self>;
    /// The slot of `count` values at `at` in `more`.
    fn beside(count: usize, at: usize) -> Option<Self>;
    /// Calls `each` with the ordinal of each value.
    fn each(&self, more: &[u32], each: impl FnMut(u32));
}

impl Slot for [u32; 4] {
    fn held(ords: &[u32]) -> Option<Self> {
        let mut slot = [u32::try_from(ords.len()).ok()?, 0, 0, 0];
        slot.get_mut(1..=ords.len())?.copy_from_slice(ords);
        Some(slot)
    }

    fn beside(count: usize, at: usize) -> Option<Self> {
        let end = at.checked_add(count)?;
        Some([u32::try_from(count).ok()?, u32::try_from(at).ok()?, u32::try_from(end).ok()?, 0])
    }

    #[inline(always)]
    fn each(&self, more: &[u32], each: impl FnMut(u32)) {
        let held = self[0] as usize;
        let values =
            if held <= IN_SLOT { &self[1..=held] } else { &more[self[1] as usize..self[2] as usize] };
        values.iter().copied().for_each(each);
    }
}

impl Slot for [u16; 4] {
    fn held(ords: &[u32]) -> Option<Self> {
        let mut slot = [u16::try_from(ords.len()).ok()?, 0, 0, 0];
        for (place, &ord) in slot.get_mut(1..=ords.len())?.iter_mut().zip(ords) {
            *place = u16::try_from(ord).ok()?;
        }
        Some(slot)
    }

    /// Where, in 48 bits.
    fn beside(count: usize, at: usize) -> Option<Self> {
        let at = u64::try_from(at).ok().filter(|at| at >> 48 == 0)?;
        Some([u16::try_from(count).ok()?, (at >> 32) as u16, (at >> 16) as u16, at as u16])
    }

    #[inline(always)]
    fn each(&self, more: &[u32], mut each: impl FnMut(u32)) {
        let held = usize::from(self[0]);
        if held <= IN_SLOT {
            self[1..=held].iter().for_each(|&ord| each(u32::from(ord)));
        } else {
            let at = (u64::from(self[1]) << 32 | u64::from(self[2]) << 16 | u64::from(self[3])) as usize;
            more[at..at + held].iter().copied().for_each(each);
        }
    }
}

impl FlatOrds {
    fn build(column: &StrColumn, max_doc: DocId) -> std::io::Result<Self> {
        Self::build_as(column, max_doc, true)
    }

    /// With 8-byte slots if `narrow` allows and the values fit, else 16-byte ones.
    fn build_as(column: &StrColumn, max_doc: DocId, narrow: bool) -> std::io::Result<Self> {
        let terms = SortTerms::build(column)?;
        let (slots, more) = match narrow.then(|| Self::slots(column, max_doc)).flatten() {
            Some((slots, more)) => (Slots::Narrow(slots), more),
            None => {
                let (slots, more) = Self::slots(column, max_doc)
                    .ok_or_else(|| std::io::Error::other("a facet field's values do not fit its slots"))?;
                (Slots::Wide(slots), more)
            }
        };
        Ok(Self { slots, more, terms })
    }

    /// Each document's slot, and the values beside them; `None` if they do not fit `S`.
    fn slots<S: Slot>(column: &StrColumn, max_doc: DocId) -> Option<(Vec<S>, Vec<u32>)> {
        let mut slots = Vec::with_capacity(max_doc as usize);
        let mut more: Vec<u32> = Vec::new();
        let mut ords: Vec<u32> = Vec::new();
        for doc in 0..max_doc {
            ords.clear();
            ords.extend(column.term_ords(doc).filter_map(|ord| u32::try_from(ord).ok()));
            // A dataset counts once per value, however many of its resources share it.
            ords.sort_unstable();
            ords.dedup();
            slots.push(if ords.len() <= IN_SLOT {
                S::held(&ords)?
            } else {
                let slot = S::beside(ords.len(), more.len())?;
                more.extend_from_slice(&ords);
                slot
            });
        }
        Some((slots, more))
    }

    /// The ordinals of `doc`'s values.
    #[cfg(test)]
    fn of(&self, doc: DocId) -> Vec<u32> {
        let mut ords = Vec::new();
        match &self.slots {
            Slots::Narrow(slots) => slots[doc as usize].each(&self.more, |ord| ords.push(ord)),
            Slots::Wide(slots) => slots[doc as usize].each(&self.more, |ord| ords.push(ord)),
        }
        ords
    }
}

/// The terms of a string column of one segment, in the order of their ordinals.
pub struct SortTerms {
    text: String,
    /// Where each term ends in `text`.
    ends: Vec<usize>,
}

impl SortTerms {
    fn build(column: &StrColumn) -> std::io::Result<Self> {
        let dictionary = column.dictionary();
        let mut text = String::new();
        let mut ends = Vec::with_capacity(dictionary.num_terms());
        let mut terms = dictionary.stream()?;
        while terms.advance() {
            text.push_str(&String::from_utf8_lossy(terms.key()));
            ends.push(text.len());
        }
        Ok(Self { text, ends })
    }

    pub(crate) fn get(&self, ord: u64) -> Option<&str> {
        let ord = usize::try_from(ord).ok()?;
        let end = *self.ends.get(ord)?;
        let start = if ord == 0 { 0 } else { self.ends[ord - 1] };
        self.text.get(start..end)
    }
}

/// What searches read from the index's segments in another form, made when a segment is first
/// asked for it: facet fields flattened for counting, the terms of string sort fields, and date
/// fields sorted for ranges.
/// Segments never change, so an entry stays right until its segment is merged away.
#[derive(Default)]
pub struct ColumnCache {
    facets: Mutex<HashMap<(SegmentId, &'static str), Arc<FlatOrds>>>,
    terms: Mutex<HashMap<(SegmentId, &'static str), Arc<SortTerms>>>,
    orders: Mutex<HashMap<(SegmentId, &'static str), Arc<KeyOrder>>>,
    dates: Mutex<HashMap<(SegmentId, Field), Arc<SortedDates>>>,
    /// The live documents of a segment, by how many of its documents were deleted then
    /// (deletions only add up, so the number tells the sets apart).
    alive: Mutex<HashMap<SegmentId, (u32, Arc<Bits>)>>,
    /// Document stores as opened: opening one reads its index of blocks.
    stores: Mutex<HashMap<SegmentId, Arc<StoreReader>>>,
    /// Columns as opened: opening one reads the segment's list of columns each time.
    date_columns: PerField<Column<u64>>,
    str_columns: PerField<StrColumn>,
}

/// What is kept of each field of each segment.
type PerField<V> = Mutex<HashMap<(SegmentId, &'static str), Arc<V>>>;

fn locked<T>(map: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The entry of `key`, made by `make` the first time (`None`: nothing to keep).
fn kept<K: std::hash::Hash + Eq, V>(
    map: &Mutex<HashMap<K, Arc<V>>>,
    key: K,
    make: impl FnOnce() -> tantivy::Result<Option<V>>,
) -> tantivy::Result<Option<Arc<V>>> {
    if let Some(found) = locked(map).get(&key) {
        return Ok(Some(found.clone()));
    }
    let Some(made) = make()? else { return Ok(None) };
    let made = Arc::new(made);
    locked(map).insert(key, made.clone());
    Ok(Some(made))
}

impl ColumnCache {
    fn facet(&self, reader: &SegmentReader, field: &'static str) -> tantivy::Result<Option<Arc<FlatOrds>>> {
        kept(&self.facets, (reader.segment_id(), field), || {
            let Some(column) = reader.fast_fields().str(field)? else { return Ok(None) };
            Ok(Some(FlatOrds::build(&column, reader.max_doc())?))
        })
    }

    pub(crate) fn terms(
        &self,
        segment: SegmentId,
        field: &'static str,
        column: &StrColumn,
    ) -> tantivy::Result<Option<Arc<SortTerms>>> {
        kept(&self.terms, (segment, field), || Ok(Some(SortTerms::build(column)?)))
    }

    fn order(
        &self,
        reader: &SegmentReader,
        field: &'static str,
        column: &StrColumn,
    ) -> tantivy::Result<Option<Arc<KeyOrder>>> {
        kept(&self.orders, (reader.segment_id(), field), || {
            Ok(Some(KeyOrder::build(column, reader.max_doc())))
        })
    }

    pub(crate) fn dates(
        &self,
        reader: &SegmentReader,
        field: Field,
    ) -> tantivy::Result<Option<Arc<SortedDates>>> {
        kept(&self.dates, (reader.segment_id(), field), || SortedDates::build(reader, field))
    }

    /// The live documents of a segment as the searcher sees it.
    pub(crate) fn alive(&self, reader: &SegmentReader) -> Bits {
        let deleted = reader.num_deleted_docs();
        if let Some((held, bits)) = locked(&self.alive).get(&reader.segment_id())
            && *held == deleted
        {
            return Bits::clone(bits);
        }
        let mut bits = Bits::full(reader.max_doc());
        if let Some(alive) = reader.alive_bitset() {
            for doc in 0..reader.max_doc() {
                if alive.is_deleted(doc) {
                    bits.remove(doc);
                }
            }
        }
        locked(&self.alive).insert(reader.segment_id(), (deleted, Arc::new(bits.clone())));
        bits
    }

    /// The document store of a segment (without a cache of blocks: pages read each dict once).
    pub(crate) fn store(&self, reader: &SegmentReader) -> tantivy::Result<Arc<StoreReader>> {
        let store = kept(&self.stores, reader.segment_id(), || Ok(Some(reader.get_store_reader(0)?)))?;
        store.ok_or_else(|| tantivy::TantivyError::InternalError("no document store".into()))
    }

    /// The date column `field` of a segment, its values as numbers in the dates' order.
    pub(crate) fn date_column(
        &self,
        reader: &SegmentReader,
        field: &'static str,
    ) -> tantivy::Result<Option<Arc<Column<u64>>>> {
        kept(&self.date_columns, (reader.segment_id(), field), || {
            let column = reader.fast_fields().u64_lenient_for_type(Some(&[ColumnType::DateTime]), field)?;
            Ok(column.map(|(column, _)| column))
        })
    }

    /// The string column `field` of a segment.
    pub(crate) fn str_column(
        &self,
        reader: &SegmentReader,
        field: &'static str,
    ) -> tantivy::Result<Option<Arc<StrColumn>>> {
        kept(&self.str_columns, (reader.segment_id(), field), || reader.fast_fields().str(field))
    }

    /// Forgets the segments `searcher` no longer has.
    pub fn retain(&self, searcher: &Searcher) {
        let live: Vec<SegmentId> = searcher.segment_readers().iter().map(SegmentReader::segment_id).collect();
        locked(&self.facets).retain(|(segment, _), _| live.contains(segment));
        locked(&self.terms).retain(|(segment, _), _| live.contains(segment));
        locked(&self.orders).retain(|(segment, _), _| live.contains(segment));
        locked(&self.dates).retain(|(segment, _), _| live.contains(segment));
        locked(&self.alive).retain(|segment, _| live.contains(segment));
        locked(&self.stores).retain(|segment, _| live.contains(segment));
        locked(&self.date_columns).retain(|(segment, _), _| live.contains(segment));
        locked(&self.str_columns).retain(|(segment, _), _| live.contains(segment));
    }
}

/// Counts, per string fast field, how many matching documents hold each value.
pub(crate) struct FacetCounts<'a> {
    pub(crate) asked: Facets<'a>,
    pub(crate) cache: &'a ColumnCache,
}

struct FacetColumn {
    flat: Arc<FlatOrds>,
    counts: Vec<u32>,
}

pub(crate) struct SegmentFacetCounts {
    columns: Vec<Option<FacetColumn>>,
    /// The slots of a block's documents, per column in turn.
    narrow: Vec<[u16; 4]>,
    wide: Vec<[u32; 4]>,
}

/// One segment's counts of one field: its values (by ordinal, ascending) held by matches, and
/// how many.
type SegmentCounts = Option<(Arc<FlatOrds>, Vec<(u32, u32)>)>;

impl Collector for FacetCounts<'_> {
    type Fruit = Vec<Vec<(String, u64)>>;
    type Child = SegmentFacetCounts;

    fn for_segment(&self, _segment: u32, reader: &SegmentReader) -> tantivy::Result<SegmentFacetCounts> {
        let mut columns = Vec::with_capacity(self.asked.fields.len());
        for field in self.asked.fields {
            // A field that is not a facet counts nothing.
            if field.is_empty() {
                columns.push(None);
                continue;
            }
            columns.push(self.cache.facet(reader, field)?.map(|flat| {
                let terms = flat.terms.ends.len();
                FacetColumn { flat, counts: vec![0; terms] }
            }));
        }
        Ok(SegmentFacetCounts { columns, narrow: Vec::new(), wide: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<SegmentCounts>>) -> tantivy::Result<Self::Fruit> {
        Ok((0..self.asked.fields.len()).map(|field| self.merged(&fruits, field)).collect())
    }
}

impl FacetCounts<'_> {
    /// The segments' counts of one field added up by value (each segment's values come in
    /// order, so they are merged as sorted lists), then limited as asked.
    fn merged(&self, fruits: &[Vec<SegmentCounts>], field: usize) -> Vec<(String, u64)> {
        let lists: Vec<(&SortTerms, &[(u32, u32)])> = fruits
            .iter()
            .filter_map(|fruit| fruit.get(field)?.as_ref())
            .map(|(flat, counts)| (&flat.terms, counts.as_slice()))
            .collect();
        fn value<'t>((terms, counts): (&'t SortTerms, &[(u32, u32)]), at: usize) -> Option<&'t str> {
            counts.get(at).and_then(|&(ord, _)| terms.get(u64::from(ord)))
        }
        let mut at = vec![0usize; lists.len()];
        let mut merged: Vec<(&str, u64)> = Vec::new();
        loop {
            let least = (0..lists.len()).filter_map(|list| value(lists[list], at[list])).min();
            let Some(least) = least else { break };
            let mut count = 0u64;
            for (list, position) in at.iter_mut().enumerate() {
                if value(lists[list], *position) == Some(least) {
                    count += u64::from(lists[list].1[*position].1);
                    *position += 1;
                }
            }
            if count >= self.asked.mincount.max(1) {
                merged.push((least, count));
            }
        }
        let order = |a: &(&str, u64), b: &(&str, u64)| b.1.cmp(&a.1).then(a.0.cmp(b.0));
        if merged.len() > self.asked.limit {
            merged.select_nth_unstable_by(self.asked.limit, order);
            merged.truncate(self.asked.limit);
        }
        merged.sort_unstable_by(order);
        merged.into_iter().map(|(value, count)| (value.to_owned(), count)).collect()
    }
}

impl SegmentFacetCounts {
    fn count(&mut self, docs: &[DocId]) {
        for facet in self.columns.iter_mut().flatten() {
            let more = &facet.flat.more;
            match &facet.flat.slots {
                Slots::Narrow(slots) => count_in(slots, more, docs, &mut self.narrow, &mut facet.counts),
                Slots::Wide(slots) => count_in(slots, more, docs, &mut self.wide, &mut facet.counts),
            }
        }
    }
}

/// Counts the values of `docs` into `counts`: the block's slots first (into `block`), then their
/// values, so that the reads at random places of the slots overlap instead of waiting on one
/// another.
#[inline(always)]
fn count_in<S: Slot>(slots: &[S], more: &[u32], docs: &[DocId], block: &mut Vec<S>, counts: &mut [u32]) {
    block.clear();
    block.extend(docs.iter().map(|&doc| slots[doc as usize]));
    for slot in block.iter() {
        slot.each(more, |ord| counts[ord as usize] += 1);
    }
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = Vec<SegmentCounts>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.count(&[doc]);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        self.count(docs);
    }

    fn harvest(self) -> Self::Fruit {
        self.columns
            .into_iter()
            .map(|facet| {
                let facet = facet?;
                let counts = (0u32..)
                    .zip(&facet.counts)
                    .filter(|&(_, &count)| count > 0)
                    .map(|(ord, &count)| (ord, count))
                    .collect();
                Some((facet.flat, counts))
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use tantivy::query::{AllQuery, ConstScoreQuery, TermQuery};
    use tantivy::schema::{FAST, IndexRecordOption, STRING, Schema};
    use tantivy::{Index, TantivyDocument, Term};

    use super::*;
    use crate::Scope;

    /// Pseudo-random numbers below 2^31, the same ones for the same seed.
    pub(crate) fn numbers(seed: u64) -> impl FnMut() -> u64 {
        let mut n = seed;
        move || {
            n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            n >> 33
        }
    }

    /// A live document of [`catalogue`]: id, name (some have none), tag.
    type Live = (String, Option<String>, &'static str);

    /// An index of 400 documents over several segments, with deleted documents (some sharing
    /// a live document's id in their segment), names shared by several documents and documents
    /// without a name; and what is live in it.
    fn catalogue() -> (Index, Field, Vec<Live>) {
        let mut builder = Schema::builder();
        let id = builder.add_text_field("id", STRING | FAST);
        let name = builder.add_text_field("name", STRING | FAST);
        let tag = builder.add_text_field("tags", STRING | FAST);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut next = numbers(7);
        let mut live: Vec<Live> = Vec::new();
        let mut add = |writer: &mut tantivy::IndexWriter, key: &str, named: Option<String>, tagged| {
            let mut doc = TantivyDocument::default();
            doc.add_text(id, key);
            if let Some(named) = &named {
                doc.add_text(name, named);
            }
            doc.add_text(tag, tagged);
            writer.add_document(doc).unwrap();
            live.retain(|(held, _, _)| held != key);
            live.push((key.to_owned(), named, tagged));
        };
        for i in 0..400u64 {
            let key = format!("{:08x}", next());
            let named = (i % 13 != 0).then(|| format!("n{}", next() % 150));
            let tagged = if next().is_multiple_of(3) { "even" } else { "odd" };
            add(&mut writer, &key, named, tagged);
            // A changed dataset: its old document deleted, a new one with the same id added.
            if i % 17 == 0 {
                writer.delete_term(Term::from_field_text(id, &key));
                add(&mut writer, &key, Some(format!("n{}", next() % 150)), "even");
            }
            if i % 90 == 89 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        (index, tag, live)
    }

    /// Everyone's scope, and one that lets only the documents tagged `odd` through.
    fn scopes(tag: Field) -> [(&'static str, ScopeFilter); 2] {
        let odd = TermQuery::new(Term::from_field_text(tag, "odd"), IndexRecordOption::Basic);
        [
            ("everyone", ScopeFilter::new(&Scope::default(), Box::new(AllQuery), Arc::default())),
            ("odd only", ScopeFilter::new(&Scope::default(), Box::new(odd), Arc::default())),
        ]
    }

    /// The dates kept per segment order a page as tantivy's own sort by the field does: going
    /// up and down, alone and after the score, from any offset, over several segments with
    /// deleted documents, many equal dates and documents without a date.
    #[test]
    fn dates_kept_per_segment_order_as_tantivys_own_sort_does() {
        use tantivy::schema::{DateOptions, DateTimePrecision, INDEXED};
        let mut builder = Schema::builder();
        let id = builder.add_text_field("id", STRING | FAST);
        let date = DateOptions::from(INDEXED | FAST).set_precision(DateTimePrecision::Microseconds);
        let modified = builder.add_date_field("metadata_modified", date);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut next = numbers(11);
        for i in 0..500u64 {
            let mut doc = TantivyDocument::default();
            doc.add_text(id, format!("d{i}"));
            // 40 distinct dates, before and after 1970; every 23rd document has none.
            if i % 23 != 0 {
                let seconds = i64::try_from(next() % 40).unwrap() * 86_400 * 200 - 2_000_000_000;
                doc.add_date(modified, DateTime::from_timestamp_micros(seconds * 1_000_000 + 7));
            }
            writer.add_document(doc).unwrap();
            if i % 31 == 0 {
                writer.delete_term(Term::from_field_text(id, &format!("d{}", i / 2)));
            }
            if i % 120 == 119 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() > 3);
        let cache = Arc::new(ColumnCache::default());
        let everyone = ScopeFilter::new(&Scope::default(), Box::new(AllQuery), Arc::default());
        let mut compared = 0;
        for descending in [false, true] {
            let order = if descending { Order::Desc } else { Order::Asc };
            for (start, rows) in [(0, 1), (0, 10), (5, 100), (37, 3), (450, 100), (900, 5)] {
                for after_score in [false, true] {
                    let sort: Vec<(SortField, bool)> = if after_score {
                        vec![(SortField::Score, false), (SortField::MetadataModified, descending)]
                    } else {
                        vec![(SortField::MetadataModified, descending)]
                    };
                    let ours = collect(
                        &searcher,
                        &AllQuery,
                        &everyone,
                        &sort,
                        start,
                        rows,
                        Facets::all(&[]),
                        &cache,
                    )
                    .unwrap();
                    let top = TopDocs::with_limit(rows)
                        .and_offset(start)
                        .order_by((SortByErasedType::for_field("metadata_modified"), order));
                    let theirs: Vec<DocAddress> = searcher
                        .search(&AllQuery, &top)
                        .unwrap()
                        .into_iter()
                        .map(|(_, address)| address)
                        .collect();
                    let case = format!(
                        "descending={descending} start={start} rows={rows} after_score={after_score}"
                    );
                    assert_eq!(ours.page, theirs, "{case}");
                    compared += usize::from(!theirs.is_empty());
                }
            }
        }
        assert!(compared >= 16, "{compared}");
    }

    /// A free-text search ordered by score, then date, then name is the order of the matches'
    /// own scores, dates and names (ties by address) from any offset, where most matches tie
    /// on score and date with the page's last (copies of a few texts with a few dates, as
    /// harvests and repeated records make them), over several segments with deleted documents.
    #[test]
    fn scored_searches_with_many_ties_order_as_their_keys_do() {
        use tantivy::schema::{DateOptions, DateTimePrecision, INDEXED, TEXT};
        let mut builder = Schema::builder();
        let id = builder.add_text_field("id", STRING | FAST);
        let name = builder.add_text_field("name", STRING | FAST);
        let text = builder.add_text_field("text", TEXT);
        let date = DateOptions::from(INDEXED | FAST).set_precision(DateTimePrecision::Microseconds);
        let modified = builder.add_date_field("metadata_modified", date);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let texts = ["water quality", "water water levels", "drinking water", "air quality", "water"];
        let mut next = numbers(5);
        let mut keys: HashMap<String, (i64, String)> = HashMap::new();
        for i in 0..600u64 {
            let key = format!("d{i}");
            let micros = i64::try_from(next() % 4).unwrap() * 86_400_000_000 + 1_600_000_000_000_000;
            let named = format!("n{}", next() % 50);
            let mut doc = TantivyDocument::default();
            doc.add_text(id, &key);
            doc.add_text(name, &named);
            doc.add_text(text, texts[usize::try_from(i).unwrap() % texts.len()]);
            doc.add_date(modified, DateTime::from_timestamp_micros(micros));
            writer.add_document(doc).unwrap();
            keys.insert(key, (micros, named));
            if i % 37 == 0 {
                writer.delete_term(Term::from_field_text(id, &format!("d{}", i / 3)));
            }
            if i % 150 == 149 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() > 3);
        let query = TermQuery::new(Term::from_field_text(text, "water"), IndexRecordOption::WithFreqs);
        // Every match with its score (tantivy's own), date and name.
        let scored = searcher.search(&query, &TopDocs::with_limit(1000).order_by_score()).unwrap();
        assert!(scored.len() > 300);
        let mut matches: Vec<(Score, i64, String, DocAddress)> = scored
            .into_iter()
            .map(|(score, address)| {
                let reader = searcher.segment_reader(address.segment_ord);
                let ids = reader.fast_fields().str("id").unwrap().unwrap();
                let mut key = String::new();
                ids.ord_to_str(ids.term_ords(address.doc_id).next().unwrap(), &mut key).unwrap();
                let (micros, named) = keys[&key].clone();
                (score, micros, named, address)
            })
            .collect();
        let cache = Arc::new(ColumnCache::default());
        let everyone = ScopeFilter::new(&Scope::default(), Box::new(AllQuery), Arc::default());
        let mut compared = 0;
        for descending in [false, true] {
            for by_name in [false, true] {
                matches.sort_by(|a, b| {
                    let by_date = if descending { b.1.cmp(&a.1) } else { a.1.cmp(&b.1) };
                    let by_name = if by_name { a.2.cmp(&b.2) } else { Ordering::Equal };
                    b.0.total_cmp(&a.0).then(by_date).then(by_name).then(a.3.cmp(&b.3))
                });
                let mut sort = vec![(SortField::Score, true), (SortField::MetadataModified, descending)];
                if by_name {
                    sort.push((SortField::Name, false));
                }
                for (start, rows) in [(0, 1), (0, 10), (5, 100), (37, 3), (290, 40), (900, 5)] {
                    let found =
                        collect(&searcher, &query, &everyone, &sort, start, rows, Facets::all(&[]), &cache)
                            .unwrap();
                    let wanted: Vec<DocAddress> =
                        matches.iter().skip(start).take(rows).map(|m| m.3).collect();
                    assert_eq!(found.page, wanted, "descending={descending} by_name={by_name} start={start}");
                    assert_eq!(found.count, matches.len());
                    compared += usize::from(!wanted.is_empty());
                }
            }
        }
        assert!(compared >= 20, "{compared}");
    }

    /// The order of a score then a date, as [`crate::scored`] collects it, is the strict top-k's
    /// over the same two keys (which it replaced): from any offset, going up and down, over
    /// segments with deleted documents, with ties and with documents that have no date.
    #[test]
    fn score_then_date_pages_are_the_strict_top_ks() {
        use tantivy::schema::{DateOptions, DateTimePrecision, INDEXED, TEXT};
        let mut builder = Schema::builder();
        let id = builder.add_text_field("id", STRING | FAST);
        let text = builder.add_text_field("text", TEXT);
        let date = DateOptions::from(INDEXED | FAST).set_precision(DateTimePrecision::Microseconds);
        let modified = builder.add_date_field("metadata_modified", date);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let texts = ["water", "water quality", "water water", "air"];
        let mut next = numbers(11);
        for i in 0..900u64 {
            let mut doc = TantivyDocument::default();
            doc.add_text(id, format!("d{i}"));
            doc.add_text(text, texts[usize::try_from(next() % 4).unwrap()]);
            // A few dates shared by many, and one document in seven without a date.
            if !next().is_multiple_of(7) {
                let micros = i64::try_from(next() % 5).unwrap() * 3_600_000_000 + 1_600_000_000_000_000;
                doc.add_date(modified, DateTime::from_timestamp_micros(micros));
            }
            writer.add_document(doc).unwrap();
            if i % 41 == 0 {
                writer.delete_term(Term::from_field_text(id, &format!("d{}", i / 2)));
            }
            if i % 200 == 199 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() > 3);
        let query = TermQuery::new(Term::from_field_text(text, "water"), IndexRecordOption::WithFreqs);
        let cache = Arc::new(ColumnCache::default());
        let everyone = ScopeFilter::new(&Scope::default(), Box::new(AllQuery), Arc::default());
        for descending in [true, false] {
            let sort = [(SortField::Score, true), (SortField::MetadataModified, descending)];
            for (start, rows) in [(0, 1), (0, 10), (3, 50), (100, 100), (0, 700), (650, 20), (2000, 5)] {
                let found =
                    collect(&searcher, &query, &everyone, &sort, start, rows, Facets::all(&[]), &cache)
                        .unwrap();
                let strict = TopDocs::with_limit(rows).and_offset(start).order_by(Strict((
                    keyed(SortField::Score, true, &cache),
                    keyed(SortField::MetadataModified, descending, &cache),
                )));
                let wanted: Vec<DocAddress> = searcher
                    .search(&query, &strict)
                    .unwrap()
                    .into_iter()
                    .map(|(_, address)| address)
                    .collect();
                assert_eq!(found.page, wanted, "descending={descending} start={start} rows={rows}");
            }
        }
    }

    /// Walking each segment's documents in `id` or `name` order gives the page, the count and the
    /// facets that tantivy's own top-n collection gives, going up and down, from any offset, in
    /// any scope: over several segments, with deleted documents (some sharing a live
    /// document's id in their segment), names shared by several documents and documents without
    /// a name.
    #[test]
    fn the_walk_in_key_order_finds_what_top_n_finds() {
        let (index, tag, _) = catalogue();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() > 3);

        let cache = Arc::new(ColumnCache::default());
        let even: Box<dyn Query> =
            Box::new(TermQuery::new(Term::from_field_text(tag, "even"), IndexRecordOption::Basic));
        let queries: [(&str, Box<dyn Query>); 2] =
            [("all", Box::new(AllQuery)), ("even", Box::new(ConstScoreQuery::new(even, 1.0)))];
        let mut compared = 0;
        for (who, scope) in &scopes(tag) {
            for (what, query) in &queries {
                for field in [SortField::Id, SortField::Name] {
                    for descending in [false, true] {
                        for (start, rows) in
                            [(0, 1), (0, 10), (5, 100), (37, 3), (150, 1000), (390, 20), (900, 5)]
                        {
                            let walked = collect(
                                &searcher,
                                query.as_ref(),
                                scope,
                                &[(field, descending)],
                                start,
                                rows,
                                Facets::all(&["tags"]),
                                &cache,
                            )
                            .unwrap();
                            // A constant score first: tantivy's top-n decides by the key.
                            let top = collect(
                                &searcher,
                                query.as_ref(),
                                scope,
                                &[(SortField::Score, false), (field, descending)],
                                start,
                                rows,
                                Facets::all(&["tags"]),
                                &cache,
                            )
                            .unwrap();
                            let case = format!(
                                "{who} {what} {field:?} descending={descending} start={start} rows={rows}"
                            );
                            assert_eq!(walked.page, top.page, "{case}");
                            assert_eq!(walked.count, top.count, "{case}");
                            assert_eq!(walked.facets, top.facets, "{case}");
                            compared += usize::from(!walked.page.is_empty());
                        }
                    }
                }
            }
        }
        assert!(compared > 60, "{compared}");
    }

    /// A document's values as flattened for counting are its column's, each once and in
    /// ordinal order, whether they fit in its slot or not.
    #[test]
    fn flattened_values_are_each_documents_own_in_the_slot_or_beside_it() {
        let mut builder = Schema::builder();
        let format = builder.add_text_field("res_format", STRING | FAST);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let values = ["csv", "json", "xml", "pdf", "zip", "html", "geojson"];
        let held: Vec<Vec<&str>> = (0..40usize)
            .map(|doc| (0..doc % 9).map(|i| values[(doc * 3 + i * 5) % values.len()]).collect())
            .collect();
        for formats in &held {
            let mut doc = TantivyDocument::default();
            for value in formats {
                doc.add_text(format, value);
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let reader = searcher.segment_reader(0);
        let column = reader.fast_fields().str("res_format").unwrap().unwrap();
        for narrow in [true, false] {
            let flat = FlatOrds::build_as(&column, reader.max_doc(), narrow).unwrap();
            assert_eq!(matches!(flat.slots, Slots::Narrow(_)), narrow);
            let mut beside = 0;
            for (doc, formats) in (0u32..).zip(&held) {
                let mut expected: Vec<&str> = formats.clone();
                expected.sort_unstable();
                expected.dedup();
                let found: Vec<&str> =
                    flat.of(doc).iter().map(|&ord| flat.terms.get(u64::from(ord)).unwrap()).collect();
                assert_eq!(found, expected, "document {doc}");
                beside += usize::from(expected.len() > IN_SLOT);
            }
            assert!(beside > 5 && beside < held.len() - 5, "{beside}");
        }
    }

    /// A slot holds its values in place or says where they are beside it, both for 16-bit and
    /// 32-bit ordinals; an ordinal or a place too large for a narrow slot makes none, so that
    /// the field is flattened with wide ones.
    #[test]
    fn slots_give_back_their_values_and_narrow_ones_refuse_what_does_not_fit() {
        fn values<S: Slot>(slot: S, more: &[u32]) -> Vec<u32> {
            let mut ords = Vec::new();
            slot.each(more, |ord| ords.push(ord));
            ords
        }
        let more: Vec<u32> = (0..100).map(|i| i * 601).collect();
        for ords in [&[][..], &[0], &[7, 65_535], &[1, 2, 3]] {
            assert_eq!(values(<[u16; 4]>::held(ords).unwrap(), &more), ords);
            assert_eq!(values(<[u32; 4]>::held(ords).unwrap(), &more), ords);
        }
        assert_eq!(values(<[u16; 4]>::beside(5, 90).unwrap(), &more), &more[90..95]);
        assert_eq!(values(<[u32; 4]>::beside(5, 90).unwrap(), &more), &more[90..95]);
        assert_eq!(values(<[u32; 4]>::held(&[65_536, 4_000_000]).unwrap(), &more), [65_536, 4_000_000]);
        assert!(<[u16; 4]>::held(&[3, 65_536]).is_none());
        assert!(<[u16; 4]>::held(&[1, 2, 3, 4]).is_none() && <[u32; 4]>::held(&[1, 2, 3, 4]).is_none());
        assert!(<[u16; 4]>::beside(65_536, 0).is_none());
        assert!(<[u16; 4]>::beside(4, 1 << 48).is_none());
        let far = (1usize << 48) - 1;
        let slot = <[u16; 4]>::beside(4, far).unwrap();
        assert_eq!((slot[0], slot[1], slot[2], slot[3]), (4, 0xffff, 0xffff, 0xffff));
    }

    /// Facet counts added up over the segments are the live documents' own, most frequent first
    /// then by value, cut to the limit and the fewest matches asked for, in each scope.
    #[test]
    fn facet_counts_are_the_live_documents_counted_over_every_segment() {
        let (index, tag, live) = catalogue();
        let searcher = index.reader().unwrap().searcher();
        let cache = Arc::new(ColumnCache::default());
        for (who, scope) in &scopes(tag) {
            let mut expected: HashMap<&str, u64> = HashMap::new();
            for (_, name, tagged) in &live {
                if let Some(name) = name
                    && (*who == "everyone" || *tagged == "odd")
                {
                    *expected.entry(name).or_default() += 1;
                }
            }
            let mut expected: Vec<(String, u64)> =
                expected.into_iter().map(|(name, count)| (name.to_owned(), count)).collect();
            expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            assert!(expected.len() > 100 && expected[0].1 > 2, "{who}: {expected:?}");
            for (limit, mincount) in [(usize::MAX, 1), (usize::MAX, 0), (5, 1), (7, 3), (0, 1), (1000, 4)] {
                let facets = Facets { fields: &["name", "", "tags"], limit, mincount };
                let found =
                    collect(&searcher, &AllQuery, scope, &[(SortField::Id, false)], 0, 1, facets, &cache)
                        .unwrap();
                let wanted: Vec<(String, u64)> = expected
                    .iter()
                    .filter(|(_, count)| *count >= mincount.max(1))
                    .take(limit)
                    .cloned()
                    .collect();
                assert_eq!(found.facets[0], wanted, "{who} limit={limit} mincount={mincount}");
                assert!(found.facets[1].is_empty(), "a field that is not a facet counts nothing");
                assert_eq!(found.count, live.iter().filter(|d| *who == "everyone" || d.2 == "odd").count());
            }
        }
    }
}
