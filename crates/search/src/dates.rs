//! Date ranges (`metadata_modified:[A TO B]`) answered from each segment's dates kept sorted: a
//! range is two binary searches and a bitset of the documents between them, instead of a scan
//! of every document's date on each search.

use std::ops::Bound;
use std::sync::Arc;

use tantivy::columnar::{ColumnType, MonotonicallyMappableToU64};
use tantivy::query::{
    BitSetDocSet, ConstScorer, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::schema::Field;
use tantivy::{BitSet, DateTime, DocId, DocSet, Score, SegmentReader, TantivyError};

use crate::collect::ColumnCache;
use crate::filtered::Bits;

/// The dates of one date field of one segment, in ascending order, with their documents.
pub struct SortedDates {
    values: Vec<u64>,
    docs: Vec<DocId>,
    /// No document holds several dates.
    single: bool,
}

impl SortedDates {
    /// `None` when the segment has no such column.
    pub(crate) fn build(reader: &SegmentReader, field: Field) -> tantivy::Result<Option<Self>> {
        let name = reader.schema().get_field_name(field);
        let Some((column, _)) =
            reader.fast_fields().u64_lenient_for_type(Some(&[ColumnType::DateTime]), name)?
        else {
            return Ok(None);
        };
        let mut pairs: Vec<(u64, DocId)> = Vec::with_capacity(reader.max_doc() as usize);
        let mut single = true;
        for doc in 0..reader.max_doc() {
            let before = pairs.len();
            pairs.extend(column.values_for_doc(doc).map(|value| (value, doc)));
            single &= pairs.len() - before <= 1;
        }
        pairs.sort_unstable();
        Ok(Some(Self {
            values: pairs.iter().map(|p| p.0).collect(),
            docs: pairs.iter().map(|p| p.1).collect(),
            single,
        }))
    }

    /// The dates, ascending, and the document of each (those of one date by address).
    pub(crate) fn pairs(&self) -> (&[u64], &[DocId]) {
        (&self.values, &self.docs)
    }

    /// Whether no document holds several dates.
    pub(crate) fn single(&self) -> bool {
        self.single
    }

    /// The documents whose date lies within the bounds, in the order of their dates.
    fn between(&self, lower: Bound<u64>, upper: Bound<u64>) -> &[DocId] {
        let start = match lower {
            Bound::Included(at) => self.values.partition_point(|&v| v < at),
            Bound::Excluded(at) => self.values.partition_point(|&v| v <= at),
            Bound::Unbounded => 0,
        };
        let end = match upper {
            Bound::Included(at) => self.values.partition_point(|&v| v <= at),
            Bound::Excluded(at) => self.values.partition_point(|&v| v < at),
            Bound::Unbounded => self.values.len(),
        };
        if start < end { &self.docs[start..end] } else { &[] }
    }
}

/// Datasets whose date `field` lies within the bounds (each included or not).
#[derive(Clone)]
pub struct DateRange {
    field: Field,
    lower: Bound<u64>,
    upper: Bound<u64>,
    columns: Arc<ColumnCache>,
}

impl std::fmt::Debug for DateRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DateRange")
            .field("field", &self.field)
            .field("lower", &self.lower)
            .field("upper", &self.upper)
            .finish()
    }
}

impl DateRange {
    pub fn new(
        field: Field,
        lower: Bound<DateTime>,
        upper: Bound<DateTime>,
        columns: &Arc<ColumnCache>,
    ) -> Self {
        Self {
            field,
            lower: lower.map(|d| d.to_u64()),
            upper: upper.map(|d| d.to_u64()),
            columns: columns.clone(),
        }
    }
}

impl DateRange {
    /// The documents of `reader`'s segment whose date lies within the bounds.
    pub(crate) fn bits(&self, reader: &SegmentReader) -> tantivy::Result<Bits> {
        let mut bits = Bits::empty(reader.max_doc());
        if let Some(dates) = self.columns.dates(reader, self.field)? {
            for &doc in dates.between(self.lower, self.upper) {
                bits.insert(doc);
            }
        }
        Ok(bits)
    }
}

impl Query for DateRange {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for DateRange {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let Some(dates) = self.columns.dates(reader, self.field)? else { return Ok(Box::new(EmptyScorer)) };
        let docs = dates.between(self.lower, self.upper);
        if docs.is_empty() {
            return Ok(Box::new(EmptyScorer));
        }
        let mut bits = BitSet::with_max_value(reader.max_doc());
        for &doc in docs {
            bits.insert(doc);
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(bits), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!("Document #({doc}) does not match")));
        }
        Ok(Explanation::new("Const", scorer.score()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashSet;

    use tantivy::collector::DocSetCollector;
    use tantivy::query::RangeQuery;
    use tantivy::schema::{DateOptions, DateTimePrecision, FAST, INDEXED, Schema};
    use tantivy::{Index, TantivyDocument, Term};

    use super::*;

    /// Every bound kind, at dates held by documents (some by several), between them and beyond
    /// them, over several segments with deleted documents: the same matches as tantivy's own
    /// range query.
    #[test]
    fn ranges_match_what_tantivys_range_query_finds() {
        let mut builder = Schema::builder();
        let options = DateOptions::from(INDEXED | FAST).set_precision(DateTimePrecision::Microseconds);
        let field = builder.add_date_field("metadata_modified", options);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let micros: Vec<i64> =
            (0..60).map(|i| 1_600_000_000_000_000 + (i * 7919 % 23) * 1_000_000 + i % 3).collect();
        for (i, at) in micros.iter().enumerate() {
            let mut doc = TantivyDocument::default();
            doc.add_date(field, DateTime::from_timestamp_micros(*at));
            writer.add_document(doc).unwrap();
            if i % 20 == 19 {
                writer.commit().unwrap();
            }
        }
        writer.delete_term(Term::from_field_date(field, DateTime::from_timestamp_micros(micros[5])));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() > 1);

        let columns = Arc::new(ColumnCache::default());
        let found = |query: &dyn Query| -> HashSet<tantivy::DocAddress> {
            searcher.search(query, &DocSetCollector).unwrap()
        };
        let mut points: Vec<i64> = micros.clone();
        points.extend([micros[0] - 1, micros[3] + 1, i64::MIN / 1000, i64::MAX / 1000]);
        let mut compared = 0;
        for &low in &points {
            for &high in points.iter().step_by(3) {
                for (lower, upper) in [
                    (Bound::Included(low), Bound::Included(high)),
                    (Bound::Excluded(low), Bound::Excluded(high)),
                    (Bound::Included(low), Bound::Unbounded),
                    (Bound::Unbounded, Bound::Excluded(high)),
                ] {
                    let date = |b: Bound<i64>| b.map(DateTime::from_timestamp_micros);
                    let term = |b: Bound<i64>| {
                        b.map(|m| Term::from_field_date(field, DateTime::from_timestamp_micros(m)))
                    };
                    let ours = DateRange::new(field, date(lower), date(upper), &columns);
                    let theirs = RangeQuery::new(term(lower), term(upper));
                    assert_eq!(found(&ours), found(&theirs), "{lower:?} {upper:?}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 1000);
    }
}
