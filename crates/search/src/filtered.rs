//! Searches without a scoring query (no `q`, or `*:*`; only `fq`): each segment's matches are
//! worked out as words of bits — the filters', the caller's scope and the live documents',
//! combined a word at a time — counted by population, their facets counted from the bits, and
//! the page walked in the sort field's order kept per segment. No match is passed one by one
//! through collectors, which is what such a search spent most of its time on when it matched a
//! large part of the catalogue (a date window: hundreds of thousands of datasets).
//!
//! The answers are those of [`crate::collect::collect`]: the same count, facets and page, ties
//! by address.

use std::cmp::Ordering;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{EnableScoring, Query, Weight};
use tantivy::schema::Field;
use tantivy::{BitSet, DocAddress, DocId, Searcher, SegmentReader};

use crate::SortField;
use crate::collect::{Collected, ColumnCache, FacetCounts, Facets, Ordered};
use crate::dates::DateRange;
use crate::scope::ScopeFilter;

/// A set of a segment's documents, a bit each.
#[derive(Clone)]
pub(crate) struct Bits {
    words: Vec<u64>,
}

impl Bits {
    pub(crate) fn empty(max_doc: DocId) -> Self {
        Self { words: vec![0; max_doc.div_ceil(64) as usize] }
    }

    /// Every document below `max_doc`.
    pub(crate) fn full(max_doc: DocId) -> Self {
        let mut bits = Self { words: vec![u64::MAX; max_doc.div_ceil(64) as usize] };
        if !max_doc.is_multiple_of(64)
            && let Some(last) = bits.words.last_mut()
        {
            *last = (1u64 << (max_doc % 64)) - 1;
        }
        bits
    }

    #[inline]
    pub(crate) fn insert(&mut self, doc: DocId) {
        self.words[(doc / 64) as usize] |= 1u64 << (doc % 64);
    }

    pub(crate) fn remove(&mut self, doc: DocId) {
        self.words[(doc / 64) as usize] &= !(1u64 << (doc % 64));
    }

    #[inline]
    pub(crate) fn contains(&self, doc: DocId) -> bool {
        self.words.get((doc / 64) as usize).is_some_and(|word| word & (1u64 << (doc % 64)) != 0)
    }

    fn and(&mut self, other: &Bits) {
        for (word, theirs) in self.words.iter_mut().zip(&other.words) {
            *word &= theirs;
        }
    }

    /// Keeps only what tantivy's `bits` holds.
    fn and_bitset(&mut self, bits: &BitSet) {
        for (bucket, word) in (0u32..).zip(self.words.iter_mut()) {
            *word &= if bucket * 64 < bits.max_value() {
                u64::from_le_bytes(bits.tinyset(bucket).into_bytes())
            } else {
                0
            };
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.words.iter().map(|word| word.count_ones() as usize).sum()
    }

    /// The documents, ascending.
    fn docs(&self) -> impl Iterator<Item = DocId> + '_ {
        (0u32..).zip(&self.words).flat_map(|(at, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros();
                word &= word - 1;
                Some(at * 64 + bit)
            })
        })
    }
}

/// What decides the page of a filtered search; `None` from [`order_of`]: a sort this module
/// does not walk (several keys), left to the general collection.
enum By {
    /// All scores equal, no other key: by address.
    Address,
    /// A unique string field (`id`, `name`).
    Key { field: &'static str, descending: bool },
    /// A date field, and its name.
    Date { field: Field, name: &'static str, descending: bool },
}

fn order_of(sort: &[(SortField, bool)], dates: (Field, Field)) -> Option<By> {
    Some(match sort {
        [] => By::Address,
        [(SortField::Id, descending)] => By::Key { field: "id", descending: *descending },
        [(SortField::Name, descending)] => By::Key { field: "name", descending: *descending },
        [(SortField::MetadataModified, descending)] => {
            By::Date { field: dates.0, name: "metadata_modified", descending: *descending }
        }
        [(SortField::MetadataCreated, descending)] => {
            By::Date { field: dates.1, name: "metadata_created", descending: *descending }
        }
        _ => return None,
    })
}

/// A filter as a segment's matches are worked out from it: a date range from its kept sorted
/// dates, any other from its documents.
enum Filter<'a> {
    Range(&'a DateRange),
    Other(Box<dyn Weight>),
}

/// The search of `filters` (every one must match; none scores) in `scope`, when its sort (the
/// keys that decide, score dropped) is one this module walks; `None` otherwise. `dates` are the
/// `metadata_modified` and `metadata_created` fields.
#[allow(clippy::too_many_arguments)]
pub(crate) fn collect(
    searcher: &Searcher,
    filters: &[Box<dyn Query>],
    scope: &ScopeFilter,
    sort: &[(SortField, bool)],
    dates: (Field, Field),
    start: usize,
    rows: usize,
    facets: Facets<'_>,
    cache: &Arc<ColumnCache>,
) -> tantivy::Result<Option<Collected>> {
    let Some(by) = order_of(sort, dates) else { return Ok(None) };
    // A document with several dates sorts by its first: walked here, it would come once per date.
    if let By::Date { field, .. } = by {
        for reader in searcher.segment_readers() {
            if cache.dates(reader, field)?.is_some_and(|sorted| !sorted.single()) {
                return Ok(None);
            }
        }
    }
    let filters = filters
        .iter()
        .map(|filter| match filter.downcast_ref::<DateRange>() {
            Some(range) => Ok(Filter::Range(range)),
            None => Ok(Filter::Other(filter.weight(EnableScoring::disabled_from_searcher(searcher))?)),
        })
        .collect::<tantivy::Result<Vec<_>>>()?;
    let start = start.min(usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX));
    let wanted = start.saturating_add(rows);
    let counter = FacetCounts { asked: facets, cache };
    let ordered = match by {
        By::Key { field, descending } => Some(Ordered { field, descending, wanted, cache }),
        _ => None,
    };
    let mut count = 0;
    let mut facet_fruits = Vec::new();
    let mut ordered_fruits = Vec::new();
    let mut picks: Vec<(Option<u64>, DocAddress)> = Vec::new();
    for (segment, reader) in (0u32..).zip(searcher.segment_readers()) {
        let mut matched = cache.alive(reader);
        matched.and_bitset(scope.bits(reader)?.as_ref());
        for filter in &filters {
            match filter {
                Filter::Range(range) => matched.and(&range.bits(reader)?),
                Filter::Other(weight) => {
                    let mut found = Bits::empty(reader.max_doc());
                    weight.for_each_no_score(reader, &mut |docs| {
                        for &doc in docs {
                            found.insert(doc);
                        }
                    })?;
                    matched.and(&found);
                }
            }
        }
        count += matched.len();
        if facets.fields.iter().any(|field| !field.is_empty()) {
            let mut child = counter.for_segment(segment, reader)?;
            let mut block = Vec::with_capacity(tantivy::COLLECT_BLOCK_BUFFER_LEN);
            for doc in matched.docs() {
                block.push(doc);
                if block.len() == block.capacity() {
                    child.collect_block(&block);
                    block.clear();
                }
            }
            child.collect_block(&block);
            facet_fruits.push(child.harvest());
        }
        if rows == 0 {
            continue;
        }
        match by {
            By::Address => {
                let left = wanted.saturating_sub(picks.len());
                picks.extend(matched.docs().take(left).map(|doc| (None, DocAddress::new(segment, doc))));
            }
            By::Key { .. } => {
                if let Some(ordered) = &ordered {
                    let mut child = ordered.for_segment(segment, reader)?;
                    child.matched = matched;
                    ordered_fruits.push(child.harvest());
                }
            }
            By::Date { field, name, descending } => {
                picks.extend(
                    dated(cache, reader, (field, name), descending, &matched, wanted)?
                        .into_iter()
                        .map(|(value, doc)| (value, DocAddress::new(segment, doc))),
                );
            }
        }
    }
    let facets = counter.merge_fruits(facet_fruits)?;
    let page: Vec<DocAddress> = match by {
        By::Address => picks.into_iter().skip(start).map(|(_, address)| address).collect(),
        By::Key { .. } => match &ordered {
            Some(ordered) if rows > 0 => ordered
                .merge_fruits(ordered_fruits)?
                .into_iter()
                .skip(start)
                .take(rows)
                .map(|pick| pick.address)
                .collect(),
            _ => Vec::new(),
        },
        By::Date { descending, .. } => {
            picks.sort_by(|a, b| by_date(descending, a, b));
            picks.into_iter().skip(start).take(rows).map(|(_, address)| address).collect()
        }
    };
    Ok(Some(Collected { count, page, facets }))
}

/// The order of documents by a date: those without one last either way; ties by address.
fn by_date<A: Ord>(descending: bool, a: &(Option<u64>, A), b: &(Option<u64>, A)) -> Ordering {
    let dates = match (a.0, b.0) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) if descending => y.cmp(&x),
        (Some(x), Some(y)) => x.cmp(&y),
    };
    dates.then(a.1.cmp(&b.1))
}

/// Dates a walk in date order may pass per match before the matches' own dates are read.
const WALK_PER_MATCH: usize = 16;

/// The first `wanted` of `matched` in the order of the date field (documents without one
/// last), each with its date: by walking the segment's dates kept sorted until enough of them
/// are matches, or, when that takes long, by reading each match's date.
fn dated(
    cache: &ColumnCache,
    reader: &SegmentReader,
    (field, name): (Field, &'static str),
    descending: bool,
    matched: &Bits,
    wanted: usize,
) -> tantivy::Result<Vec<(Option<u64>, DocId)>> {
    let mut picks = Vec::with_capacity(wanted.min(1024));
    if wanted == 0 {
        return Ok(picks);
    }
    let Some(sorted) = cache.dates(reader, field)? else {
        // No document here has the date.
        picks.extend(matched.docs().take(wanted).map(|doc| (None, doc)));
        return Ok(picks);
    };
    // A walk step is a sequential read and a bit test, a match's date a read anywhere in the
    // column: the walk may pass some dates per match before reading each match's date is
    // cheaper (matches can be far from either end: the dates of a search's matches are not
    // spread like the segment's).
    let matches = matched.len();
    // With matches spread like the segment's dates, the walk passes `max_doc / matches` dates
    // per match it finds: where that alone passes more dates than there are matches, the
    // matches' own dates are read at once.
    let mut steps = if matches.saturating_mul(matches) <= wanted.saturating_mul(reader.max_doc() as usize) {
        0
    } else {
        matches.saturating_mul(WALK_PER_MATCH)
    };
    let (values, docs) = sorted.pairs();
    let mut take = |value: u64, doc: DocId| -> Option<bool> {
        steps = steps.checked_sub(1)?;
        if matched.contains(doc) {
            picks.push((Some(value), doc));
        }
        Some(picks.len() == wanted)
    };
    let walked = if descending {
        // Runs of one date from the last, each run's documents by address.
        let mut end = values.len();
        'walk: loop {
            if end == 0 {
                break 'walk Some(false);
            }
            let value = values[end - 1];
            let mut begin = end - 1;
            while begin > 0 && values[begin - 1] == value {
                begin -= 1;
            }
            for &doc in &docs[begin..end] {
                match take(value, doc) {
                    Some(false) => {}
                    done => break 'walk done,
                }
            }
            end = begin;
        }
    } else {
        let mut walked = Some(false);
        for (&value, &doc) in values.iter().zip(docs) {
            walked = take(value, doc);
            if walked != Some(false) {
                break;
            }
        }
        walked
    };
    match walked {
        Some(true) => return Ok(picks),
        Some(false) => {}
        None => {
            picks.clear();
            let column = cache.date_column(reader, name)?;
            picks.extend(
                matched.docs().map(|doc| (column.as_ref().and_then(|column| column.first(doc)), doc)),
            );
            if picks.len() > wanted {
                picks.select_nth_unstable_by(wanted, |a, b| by_date(descending, a, b));
                picks.truncate(wanted);
            }
            return Ok(picks);
        }
    }
    // Then the matches without the date, by address.
    let mut dated = Bits::empty(reader.max_doc());
    for &doc in docs {
        dated.insert(doc);
    }
    for doc in matched.docs() {
        if !dated.contains(doc) {
            picks.push((None, doc));
            if picks.len() == wanted {
                break;
            }
        }
    }
    Ok(picks)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::ops::Bound;

    use tantivy::collector::Count;
    use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::{DateOptions, DateTimePrecision, FAST, INDEXED, IndexRecordOption, STRING, Schema};
    use tantivy::{DateTime, Index, TantivyDocument, Term};

    use super::*;
    use crate::Scope;
    use crate::collect::tests::numbers;

    /// Every filtered search gives what the general collection gives for the same filters as
    /// unscored clauses: the count, the facets and the page, for every sort it walks, from any
    /// offset, in two scopes, over several segments with deleted documents (some replaced by a
    /// document of the same id), names and dates shared by many documents and documents
    /// without a name or a date.
    #[test]
    fn filtered_searches_answer_as_the_general_collection_does() {
        let mut builder = Schema::builder();
        let id = builder.add_text_field("id", STRING | FAST);
        let name = builder.add_text_field("name", STRING | FAST);
        let tag = builder.add_text_field("tags", STRING | FAST);
        let date = DateOptions::from(INDEXED | FAST).set_precision(DateTimePrecision::Microseconds);
        let modified = builder.add_date_field("metadata_modified", date.clone());
        let created = builder.add_date_field("metadata_created", date);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut next = numbers(3);
        let day = 86_400_000_000i64;
        let add = |writer: &mut tantivy::IndexWriter, key: &str, next: &mut dyn FnMut() -> u64| {
            let mut doc = TantivyDocument::default();
            doc.add_text(id, key);
            if !next().is_multiple_of(11) {
                doc.add_text(name, format!("n{}", next() % 120));
            }
            for _ in 0..next() % 3 {
                doc.add_text(tag, ["even", "odd", "blue", "green"][usize::try_from(next() % 4).unwrap()]);
            }
            if !next().is_multiple_of(19) {
                let at = i64::try_from(next() % 30).unwrap() * day - 40 * day;
                doc.add_date(modified, DateTime::from_timestamp_micros(at));
            }
            doc.add_date(created, DateTime::from_timestamp_micros(i64::try_from(next() % 7).unwrap() * day));
            writer.add_document(doc).unwrap();
        };
        for i in 0..700u64 {
            let key = format!("{:08x}", next());
            add(&mut writer, &key, &mut next);
            if i % 13 == 0 {
                writer.delete_term(Term::from_field_text(id, &key));
                if i % 26 == 0 {
                    add(&mut writer, &key, &mut next);
                }
            }
            if i % 160 == 159 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() > 3);
        assert!(searcher.segment_readers().iter().any(|reader| reader.num_deleted_docs() > 0));

        let cache = Arc::new(ColumnCache::default());
        let term = |value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(tag, value), IndexRecordOption::Basic))
        };
        let scopes = [
            ScopeFilter::new(&Scope::default(), Box::new(AllQuery), Arc::default()),
            ScopeFilter::new(&Scope::default(), term("odd"), Arc::default()),
        ];
        let at = |days: i64| DateTime::from_timestamp_micros(days * day);
        let range =
            |lower, upper| -> Box<dyn Query> { Box::new(DateRange::new(modified, lower, upper, &cache)) };
        let filter_sets: Vec<Vec<Box<dyn Query>>> = vec![
            vec![],
            vec![range(Bound::Included(at(-30)), Bound::Excluded(at(-12)))],
            vec![range(Bound::Unbounded, Bound::Included(at(-20))), term("blue")],
            vec![term("green")],
            vec![range(Bound::Included(at(100)), Bound::Unbounded)],
        ];
        let sorts: [&[(SortField, bool)]; 8] = [
            &[],
            &[(SortField::Id, false)],
            &[(SortField::Id, true)],
            &[(SortField::Name, false)],
            &[(SortField::Name, true)],
            &[(SortField::MetadataModified, true)],
            &[(SortField::MetadataModified, false)],
            &[(SortField::MetadataCreated, true)],
        ];
        let mut compared = 0;
        for (who, scope) in scopes.iter().enumerate() {
            for (which, filters) in filter_sets.iter().enumerate() {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(AllQuery))];
                for filter in filters {
                    clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter.box_clone(), 0.0))));
                }
                let query = BooleanQuery::new(clauses);
                for sort in sorts {
                    for (start, rows) in [(0, 0), (0, 1), (0, 10), (3, 100), (250, 30), (2000, 5)] {
                        for fields in [&["tags", "", "name"][..], &[]] {
                            let facets = Facets { fields, limit: 5, mincount: 1 };
                            let ours = collect(
                                &searcher,
                                filters,
                                scope,
                                sort,
                                (modified, created),
                                start,
                                rows,
                                facets,
                                &cache,
                            )
                            .unwrap()
                            .unwrap();
                            let theirs = crate::collect::collect(
                                &searcher, &query, scope, sort, start, rows, facets, &cache,
                            )
                            .unwrap();
                            let case =
                                format!("scope {who} filters {which} {sort:?} {start}+{rows} {fields:?}");
                            assert_eq!(ours.count, theirs.count, "{case}");
                            assert_eq!(
                                ours.count,
                                searcher
                                    .search(&query, &crate::scope::InScope { inner: Count, scope })
                                    .unwrap()
                            );
                            assert_eq!(ours.page, theirs.page, "{case}");
                            assert_eq!(ours.facets, theirs.facets, "{case}");
                            compared += usize::from(!ours.page.is_empty());
                        }
                    }
                }
            }
        }
        assert!(compared > 300, "{compared}");
    }

    #[test]
    fn bits_hold_what_is_put_in_and_combine_a_word_at_a_time() {
        for max_doc in [0u32, 1, 63, 64, 65, 130, 1000] {
            let full = Bits::full(max_doc);
            assert_eq!(full.len(), max_doc as usize);
            assert_eq!(full.docs().collect::<Vec<_>>(), (0..max_doc).collect::<Vec<_>>());
            let mut some = Bits::empty(max_doc);
            let chosen: Vec<DocId> = (0..max_doc).filter(|d| d % 3 == 0 || d % 64 == 63).collect();
            for &doc in &chosen {
                some.insert(doc);
            }
            assert_eq!(some.docs().collect::<Vec<_>>(), chosen);
            let mut theirs = BitSet::with_max_value(max_doc);
            for doc in (0..max_doc).filter(|d| d % 2 == 0) {
                theirs.insert(doc);
            }
            let mut both = some.clone();
            both.and_bitset(&theirs);
            let expected: Vec<DocId> = chosen.iter().copied().filter(|d| d % 2 == 0).collect();
            assert_eq!(both.docs().collect::<Vec<_>>(), expected);
            assert_eq!(both.len(), expected.len());
            assert!(chosen.iter().all(|&d| some.contains(d)));
            assert!(!some.contains(max_doc + 64));
        }
    }
}
