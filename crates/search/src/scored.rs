//! A scored search ordered by score, then a date (the default `score desc, metadata_modified
//! desc`): the matches that may still enter the page — a score at least the page's last — are
//! gathered a block at a time and their dates read together, then placed.
//!
//! Where many matches share the best scores (copies of a record, a harvest's datasets), most of
//! them must have their date read to be told apart, each at another place of the column: read
//! one at a time between scoring documents, each read waited for its memory; read as a block,
//! the reads overlap. The order is the general collection's: a match enters only when it beats
//! the page's last (an equal one, later in its segment, never goes before it), and ties across
//! segments go by address.

use std::cmp::Ordering;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentReader};

use crate::collect::ColumnCache;

/// Matches gathered before their dates are read.
const BLOCK: usize = 64;

/// The `start + rows` best matches by score (highest first), then by the date `field`
/// (`descending` or not; a document without one goes after every date either way, as in the
/// general collection), then by address; the page is the `rows` from `start`.
pub(crate) struct ScoreThenDate<'a> {
    pub(crate) field: &'static str,
    pub(crate) descending: bool,
    pub(crate) start: usize,
    pub(crate) rows: usize,
    pub(crate) cache: &'a ColumnCache,
}

/// A match placed, with what places it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placed {
    score: Score,
    date: Option<u64>,
    address: DocAddress,
}

/// Whether `a` goes before `b` on score and date alone (not on address).
fn beats(a: &Placed, b: &Placed, descending: bool) -> bool {
    match a.score.total_cmp(&b.score) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal if descending => a.date > b.date,
        // Going up, a document without a date goes after every date, as it does going down.
        Ordering::Equal => match (a.date, b.date) {
            (Some(a), Some(b)) => a < b,
            (a, b) => a.is_some() && b.is_none(),
        },
    }
}

impl Collector for ScoreThenDate<'_> {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = SegmentScoreThenDate;

    fn for_segment(&self, segment: u32, reader: &SegmentReader) -> tantivy::Result<SegmentScoreThenDate> {
        let wanted = self.start.saturating_add(self.rows).max(1);
        Ok(SegmentScoreThenDate {
            segment,
            dates: self.cache.date_column(reader, self.field)?,
            descending: self.descending,
            wanted,
            pending: Vec::with_capacity(BLOCK),
            top: Vec::with_capacity(2 * wanted.min(1024)),
            threshold: None,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Placed>>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<Placed> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| {
            if beats(a, b, self.descending) {
                Ordering::Less
            } else if beats(b, a, self.descending) {
                Ordering::Greater
            } else {
                a.address.cmp(&b.address)
            }
        });
        Ok(all.into_iter().skip(self.start).take(self.rows).map(|p| (p.score, p.address)).collect())
    }
}

/// [`ScoreThenDate`] within one segment: the matches kept so far (up to twice as many as
/// wanted, then cut back to the best), the worst kept at the last cut, and the matches gathered
/// since their dates were last read.
pub(crate) struct SegmentScoreThenDate {
    segment: u32,
    dates: Option<Arc<Column<u64>>>,
    descending: bool,
    wanted: usize,
    pending: Vec<(DocId, Score)>,
    top: Vec<Placed>,
    /// The worst match kept at the last cut: a match must beat it to enter.
    threshold: Option<Placed>,
}

impl SegmentScoreThenDate {
    /// The order of the page: score and date, then the document (equal ones in the order they
    /// came in).
    fn order(&self, a: &Placed, b: &Placed) -> Ordering {
        if beats(a, b, self.descending) {
            Ordering::Less
        } else if beats(b, a, self.descending) {
            Ordering::Greater
        } else {
            a.address.doc_id.cmp(&b.address.doc_id)
        }
    }

    /// Reads the gathered matches' dates together, then places each in document order.
    fn flush(&mut self) {
        let mut dates = [None; BLOCK];
        let dates = &mut dates[..self.pending.len()];
        if let Some(column) = &self.dates {
            for (date, (doc, _)) in dates.iter_mut().zip(&self.pending) {
                *date = column.first(*doc);
            }
        }
        let pending = std::mem::take(&mut self.pending);
        for (&(doc, score), &date) in pending.iter().zip(dates.iter()) {
            self.place(Placed { score, date, address: DocAddress::new(self.segment, doc) });
        }
        self.pending = pending;
        self.pending.clear();
    }

    /// Keeps a match that beats the worst kept at the last cut (an equal one came later in the
    /// segment, so goes after it); at twice the wanted number, cuts back to the best.
    fn place(&mut self, placed: Placed) {
        if self.threshold.is_some_and(|worst| !beats(&placed, &worst, self.descending)) {
            return;
        }
        self.top.push(placed);
        if self.top.len() >= 2 * self.wanted {
            self.cut();
        }
    }

    /// Keeps the `wanted` best, and the worst of them as the threshold.
    fn cut(&mut self) {
        if self.top.len() > self.wanted {
            let mut top = std::mem::take(&mut self.top);
            top.select_nth_unstable_by(self.wanted - 1, |a, b| self.order(a, b));
            top.truncate(self.wanted);
            self.top = top;
            self.threshold = self.top.iter().copied().max_by(|a, b| self.order(a, b));
        }
    }
}

impl SegmentCollector for SegmentScoreThenDate {
    type Fruit = Vec<Placed>;

    fn collect(&mut self, doc: DocId, score: Score) {
        // A match scored below the worst kept can never enter, whatever its date.
        if self.threshold.is_some_and(|worst| score < worst.score) {
            return;
        }
        self.pending.push((doc, score));
        if self.pending.len() == BLOCK {
            self.flush();
        }
    }

    fn harvest(mut self) -> Vec<Placed> {
        self.flush();
        self.cut();
        self.top
    }
}
