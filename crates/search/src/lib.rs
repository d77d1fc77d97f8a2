//! datahavn's dataset search: an embedded tantivy index, derived from the database.
//!
//! Every write to a dataset appends to the `change_log` table in its transaction. Each process
//! keeps its own index in memory: built from the database when the process starts, then kept
//! current by applying the change log in order before every search ([`SearchIndex::catch_up`]),
//! so a dataset is searchable the moment its write commits, in this process or any other on the
//! same database. Nothing can drift: the database is the truth and the index follows it.

mod fields;
mod query;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use datahavn_domain::query::Query as Ast;
use datahavn_storage::{IndexedPackage, StorageError, Store};
use serde_json::Value;
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value as _};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

use fields::Fields;
pub use fields::Language;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request cannot be answered as asked (bad sort, bad field): CKAN's 400.
    #[error("{0}")]
    Query(String),
    #[error("search index: {0}")]
    Index(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(error: tantivy::TantivyError) -> Self {
        Self::Index(error.to_string())
    }
}

pub type SearchResult<T> = Result<T, SearchError>;

/// A sort key of `package_search`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Score,
    MetadataModified,
    MetadataCreated,
    Name,
    TitleString,
    Id,
}

impl SortField {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "score" | "rank" => Some(Self::Score),
            "metadata_modified" => Some(Self::MetadataModified),
            "metadata_created" => Some(Self::MetadataCreated),
            "name" => Some(Self::Name),
            "title_string" => Some(Self::TitleString),
            "id" => Some(Self::Id),
            _ => None,
        }
    }
}

/// Which datasets the caller may get back.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Sysadmins see everything that the states allow.
    pub sysadmin: bool,
    /// Organizations whose private, draft and deleted datasets the caller may read.
    pub readable_orgs: Vec<String>,
    /// The caller, for their own drafts.
    pub user_id: Option<String>,
    pub include_private: bool,
    pub include_drafts: bool,
    pub include_deleted: bool,
}

/// One search.
#[derive(Debug, Clone)]
pub struct Request {
    pub q: Ast,
    /// `q` had no field syntax: CKAN's dismax, where words are optional but most must match
    /// (`mm=2<-1 5<80%`: up to two words all, up to five all but one, more 80 %).
    pub dismax: bool,
    pub filters: Vec<Ast>,
    pub sort: Vec<(SortField, bool)>,
    pub rows: usize,
    pub start: usize,
    pub facet_fields: Vec<String>,
    pub scope: Scope,
}

/// What a search found: the total, the page (rendered dataset dicts as JSON text) and facet
/// counts per field, most frequent first.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub count: usize,
    pub results: Vec<String>,
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
}

/// The search index of this process.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Writer>,
    fields: Fields,
}

struct Writer {
    inner: IndexWriter,
    /// The newest change applied.
    position: i64,
    /// Sequence numbers skipped so far, with when they were first seen missing: a concurrent
    /// transaction may still commit them (PostgreSQL hands out sequence values before commit).
    gaps: BTreeMap<i64, Instant>,
}

/// How long a skipped change-log number is watched for a late commit.
const GAP_PATIENCE: Duration = Duration::from_secs(30);
const BATCH: i64 = 500;

impl SearchIndex {
    /// Builds the index of every dataset in the database.
    pub fn build(store: &Store, language: Language) -> SearchResult<Self> {
        let started = Instant::now();
        let (schema, fields) = fields::schema();
        let index = Index::create_in_ram(schema);
        fields::register_tokenizers(&index, language);
        let inner = index.writer_with_num_threads(1, 64 * 1024 * 1024)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let position = store.read(|tx| tx.last_change_seq())?;
        let search = Self {
            index,
            reader,
            writer: Mutex::new(Writer { inner, position, gaps: BTreeMap::new() }),
            fields,
        };
        let mut indexed = 0usize;
        {
            let mut writer = search.lock();
            let mut after = String::new();
            loop {
                let ids = store.read(|tx| tx.package_ids_page(&after, BATCH))?;
                let Some(last) = ids.last().cloned() else { break };
                let packages = store.read(|tx| tx.packages_for_index(&ids))?;
                for package in &packages {
                    writer.inner.add_document(search.fields.document(package))?;
                }
                indexed += packages.len();
                after = last;
            }
            writer.inner.commit()?;
        }
        search.reader.reload()?;
        log::info!("search index: {indexed} datasets indexed in {:.1?}", started.elapsed());
        search.catch_up(store)?;
        Ok(search)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Writer> {
        // A panic while indexing leaves nothing half-applied that the next catch-up won't redo.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Datasets in the index (every state).
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The newest change-log number this index has applied.
    pub fn position(&self) -> i64 {
        self.lock().position
    }

    /// Applies every change committed since the last call. Cheap when nothing changed: one
    /// indexed query.
    pub fn catch_up(&self, store: &Store) -> SearchResult<usize> {
        let mut writer = self.lock();
        let mut changed: BTreeSet<String> = BTreeSet::new();
        // Late commits of numbers seen missing.
        writer.gaps.retain(|_, seen| seen.elapsed() < GAP_PATIENCE);
        if !writer.gaps.is_empty() {
            let wanted: Vec<i64> = writer.gaps.keys().copied().collect();
            for (seq, id) in store.read(|tx| tx.changes_in(&wanted))? {
                writer.gaps.remove(&seq);
                changed.insert(id);
            }
        }
        loop {
            let position = writer.position;
            let batch = store.read(|tx| tx.changes_after(position, BATCH))?;
            let Some(&(last, _)) = batch.last() else { break };
            let mut expected = position + 1;
            for (seq, id) in batch {
                while expected < seq {
                    writer.gaps.insert(expected, Instant::now());
                    expected += 1;
                }
                expected = seq + 1;
                changed.insert(id);
            }
            writer.position = last;
        }
        if changed.is_empty() {
            return Ok(0);
        }
        let ids: Vec<String> = changed.into_iter().collect();
        for id in &ids {
            writer.inner.delete_term(Term::from_field_text(self.fields.id, id));
        }
        let packages: Vec<IndexedPackage> = store.read(|tx| tx.packages_for_index(&ids))?;
        for package in &packages {
            writer.inner.add_document(self.fields.document(package))?;
        }
        writer.inner.commit()?;
        self.reader.reload()?;
        Ok(ids.len())
    }

    /// Runs a search on the current index (call [`Self::catch_up`] first for fresh results).
    pub fn search(&self, request: &Request) -> SearchResult<Found> {
        let searcher = self.reader.searcher();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let q = match &request.q {
            Ast::Bool { must, should, must_not } if request.dismax && must.is_empty() && should.len() > 1 => {
                let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for q in should {
                    words.push((Occur::Should, query::translate(q, &self.fields, &self.index)?));
                }
                for q in must_not {
                    words.push((Occur::MustNot, query::translate(q, &self.fields, &self.index)?));
                }
                Box::new(BooleanQuery::with_minimum_required_clauses(words, minimum_match(should.len())))
            }
            other => query::translate(other, &self.fields, &self.index)?,
        };
        clauses.push((Occur::Must, q));
        // Filters and visibility narrow the matches without weighing in the score (Solr's fq).
        for filter in &request.filters {
            let filter = query::translate(filter, &self.fields, &self.index)?;
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
        }
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(self.scope_query(&request.scope), 0.0))));
        let query = BooleanQuery::new(clauses);

        let count = searcher.search(&query, &Count)?;
        let mut facets = BTreeMap::new();
        if !request.facet_fields.is_empty() && count > 0 {
            let matched: Vec<DocAddress> = searcher.search(&query, &DocSetCollector)?.into_iter().collect();
            for field in &request.facet_fields {
                facets.insert(field.clone(), self.facet(&searcher, &matched, field)?);
            }
        }
        // Without a scoring query every score is equal: the next sort key decides.
        let sort: Vec<(SortField, bool)> = if matches!(request.q, Ast::All) {
            request.sort.iter().copied().filter(|(field, _)| *field != SortField::Score).collect()
        } else {
            request.sort.clone()
        };
        let page = if count == 0 || request.rows == 0 || request.start >= count {
            Vec::new()
        } else {
            self.page(&searcher, &query, count, &sort, request.start, request.rows)?
        };
        let mut results = Vec::with_capacity(page.len());
        for address in page {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = doc.get_first(self.fields.data).and_then(|v| v.as_str()).unwrap_or("{}").to_owned();
            results.push(text);
        }
        Ok(Found { count, results, facets })
    }

    fn term(&self, field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
    }

    /// States and visibility the caller may see.
    fn scope_query(&self, scope: &Scope) -> Box<dyn Query> {
        let f = &self.fields;
        // Datasets the caller may read whatever their state: their organizations', their own.
        let insider = || -> Vec<(Occur, Box<dyn Query>)> {
            let mut should: Vec<(Occur, Box<dyn Query>)> =
                scope.readable_orgs.iter().map(|org| (Occur::Should, self.term(f.owner_org, org))).collect();
            if let Some(user) = &scope.user_id {
                should.push((Occur::Should, self.term(f.creator_user_id, user)));
            }
            should
        };
        let restricted = |state: &str| -> Box<dyn Query> {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, self.term(f.state, state))];
            if !scope.sysadmin {
                let inside = insider();
                if inside.is_empty() {
                    return Box::new(tantivy::query::EmptyQuery);
                }
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(inside))));
            }
            Box::new(BooleanQuery::new(clauses))
        };
        let mut states: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, self.term(f.state, "active"))];
        if scope.include_drafts {
            states.push((Occur::Should, restricted("draft")));
        }
        if scope.include_deleted {
            states.push((Occur::Should, restricted("deleted")));
        }
        let mut visibility: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Should, self.term(f.capacity, "public"))];
        if scope.include_private {
            if scope.sysadmin {
                visibility.push((Occur::Should, self.term(f.capacity, "private")));
            } else {
                visibility.extend(scope.readable_orgs.iter().map(|org| {
                    let both: Vec<(Occur, Box<dyn Query>)> = vec![
                        (Occur::Must, self.term(f.capacity, "private")),
                        (Occur::Must, self.term(f.owner_org, org)),
                    ];
                    (Occur::Should, Box::new(BooleanQuery::new(both)) as Box<dyn Query>)
                }));
            }
        }
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(BooleanQuery::new(states))),
            (Occur::Must, Box::new(BooleanQuery::new(visibility))),
        ]))
    }

    /// The page of matches in the asked order. One sort key is tantivy's own top-k; several
    /// keys (the default `score desc, metadata_modified desc` of a text query) sort every match.
    fn page(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        count: usize,
        sort: &[(SortField, bool)],
        start: usize,
        rows: usize,
    ) -> SearchResult<Vec<DocAddress>> {
        let top = TopDocs::with_limit(rows).and_offset(start);
        let order = |descending: bool| if descending { Order::Desc } else { Order::Asc };
        let addresses = match sort {
            [] => searcher.search(query, &top.order_by_score())?.into_iter().map(|(_, a)| a).collect(),
            [(SortField::Score, true)] => {
                searcher.search(query, &top.order_by_score())?.into_iter().map(|(_, a)| a).collect()
            }
            [(field @ (SortField::MetadataModified | SortField::MetadataCreated), descending)] => {
                let name = if *field == SortField::MetadataModified {
                    "metadata_modified"
                } else {
                    "metadata_created"
                };
                let found: Vec<(Option<tantivy::DateTime>, DocAddress)> =
                    searcher.search(query, &top.order_by_fast_field(name, order(*descending)))?;
                found.into_iter().map(|(_, a)| a).collect()
            }
            [(field @ (SortField::Name | SortField::TitleString | SortField::Id), descending)] => {
                let name = match field {
                    SortField::Name => "name",
                    SortField::TitleString => "title_string",
                    _ => "id",
                };
                let found =
                    searcher.search(query, &top.order_by_string_fast_field(name, order(*descending)))?;
                found.into_iter().map(|(_, a)| a).collect()
            }
            _ => {
                let scored: Vec<(f32, DocAddress)> =
                    searcher.search(query, &TopDocs::with_limit(count).order_by_score())?;
                let mut keyed: Vec<(Vec<SortValue>, DocAddress)> = scored
                    .iter()
                    .map(|(score, address)| Ok((self.sort_key(searcher, *score, *address, sort)?, *address)))
                    .collect::<SearchResult<_>>()?;
                keyed.sort_by(|a, b| compare(&a.0, &b.0, sort).then(a.1.cmp(&b.1)));
                keyed.into_iter().skip(start).take(rows).map(|(_, a)| a).collect()
            }
        };
        Ok(addresses)
    }

    /// Counts of a string field's values over the matching datasets.
    fn facet(
        &self,
        searcher: &tantivy::Searcher,
        docs: &[DocAddress],
        field: &str,
    ) -> SearchResult<Vec<(String, u64)>> {
        let Some(name) = fields::facet_field(field) else {
            return Ok(Vec::new());
        };
        let mut by_segment: HashMap<u32, Vec<u32>> = HashMap::new();
        for address in docs {
            by_segment.entry(address.segment_ord).or_default().push(address.doc_id);
        }
        let mut counts: HashMap<String, u64> = HashMap::new();
        let mut text = String::new();
        for (segment, doc_ids) in by_segment {
            let reader = searcher.segment_reader(segment);
            let Some(column) = reader.fast_fields().str(name)? else { continue };
            let mut ord_counts: HashMap<u64, u64> = HashMap::new();
            let mut seen: Vec<u64> = Vec::new();
            for doc in doc_ids {
                // A dataset counts once per value, however many of its resources share it.
                seen.clear();
                seen.extend(column.term_ords(doc));
                seen.sort_unstable();
                seen.dedup();
                for ord in &seen {
                    *ord_counts.entry(*ord).or_default() += 1;
                }
            }
            for (ord, n) in ord_counts {
                text.clear();
                column.ord_to_str(ord, &mut text).map_err(|e| SearchError::Index(e.to_string()))?;
                *counts.entry(text.clone()).or_default() += n;
            }
        }
        let mut list: Vec<(String, u64)> = counts.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(list)
    }

    fn sort_key(
        &self,
        searcher: &tantivy::Searcher,
        score: f32,
        address: DocAddress,
        sort: &[(SortField, bool)],
    ) -> SearchResult<Vec<SortValue>> {
        let reader = searcher.segment_reader(address.segment_ord);
        let mut key = Vec::with_capacity(sort.len());
        for (field, _) in sort {
            let value = match field {
                SortField::Score => SortValue::Score(score),
                SortField::MetadataModified | SortField::MetadataCreated => {
                    let name = if *field == SortField::MetadataModified {
                        "metadata_modified"
                    } else {
                        "metadata_created"
                    };
                    let column = reader.fast_fields().date(name)?;
                    SortValue::Int(
                        column.first(address.doc_id).map_or(i64::MIN, |d| d.into_timestamp_micros()),
                    )
                }
                SortField::Name | SortField::TitleString | SortField::Id => {
                    let name = match field {
                        SortField::Name => "name",
                        SortField::TitleString => "title_string",
                        _ => "id",
                    };
                    let mut text = String::new();
                    if let Some(column) = reader.fast_fields().str(name)?
                        && let Some(ord) = column.term_ords(address.doc_id).next()
                    {
                        column.ord_to_str(ord, &mut text).map_err(|e| SearchError::Index(e.to_string()))?;
                    }
                    SortValue::Text(text)
                }
            };
            key.push(value);
        }
        Ok(key)
    }
}

/// How many of `n` optional words must match (CKAN's `mm=2<-1 5<80%`).
pub fn minimum_match(n: usize) -> usize {
    match n {
        0..=2 => n,
        3..=5 => n - 1,
        _ => (n * 4).div_ceil(5),
    }
}

#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum SortValue {
    Score(f32),
    Int(i64),
    Text(String),
}

fn compare(a: &[SortValue], b: &[SortValue], sort: &[(SortField, bool)]) -> std::cmp::Ordering {
    for ((x, y), (_, descending)) in a.iter().zip(b).zip(sort) {
        let order = x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal);
        let order = if *descending { order.reverse() } else { order };
        if order != std::cmp::Ordering::Equal {
            return order;
        }
    }
    std::cmp::Ordering::Equal
}

/// The stored dict of a search result, parsed.
pub fn parse_result(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// The process's index, built on first use (commands that never search never build it).
pub struct SearchHandle {
    language: Language,
    index: std::sync::OnceLock<SearchIndex>,
    building: Mutex<()>,
}

impl SearchHandle {
    pub fn new(language: Language) -> Self {
        Self { language, index: std::sync::OnceLock::new(), building: Mutex::new(()) }
    }

    /// The index, built from the database the first time; caught up with the change log.
    pub fn get(&self, store: &Store) -> SearchResult<&SearchIndex> {
        if let Some(index) = self.index.get() {
            index.catch_up(store)?;
            return Ok(index);
        }
        let _guard = self.building.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(index) = self.index.get() {
            index.catch_up(store)?;
            return Ok(index);
        }
        let built = SearchIndex::build(store, self.language)?;
        Ok(self.index.get_or_init(|| built))
    }

    /// The index's position, if it was built.
    pub fn position(&self) -> Option<i64> {
        self.index.get().map(SearchIndex::position)
    }
}
