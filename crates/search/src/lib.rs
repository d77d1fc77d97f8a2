//! datahavn's dataset search: an embedded tantivy index, derived from the database.
//!
//! Every write to a dataset appends to the `change_log` table in its transaction. A process
//! keeps its index on disk in `<data dir>/search-index` (one process at a time holds that
//! directory; another on the same data directory builds its own in memory): reused at start when
//! it follows the same database, format and language, otherwise rebuilt. It is kept current by
//! applying the change log in order before every search ([`SearchIndex::catch_up`]) and, in a
//! server, every half second, so a dataset is searchable the moment its write commits, in this
//! process or any other on the same database. Nothing can drift: the database is the truth and
//! the index follows it.

mod collect;
mod dates;
mod disk;
mod fields;
mod filtered;
mod newest;
mod query;
mod scope;
mod scored;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use datahavn_domain::query::Query as Ast;
use datahavn_storage::{ChangeCursor, IndexedPackage, StorageError, Store};
use serde_json::Value;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

use fields::Fields;

pub use fields::Language;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request cannot be answered as asked (bad sort, bad field): CKAN's 400.
    #[error("{0}")]
    Query(String),
    #[error("search index: {0}")]
    Index(String),
    /// The index directory is kept by another process.
    #[error("the search index in {0} is in use by another datahavn process")]
    InUse(PathBuf),
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    /// Sysadmins see everything that the states allow.
    pub sysadmin: bool,
    /// Organizations whose private, draft and deleted datasets the caller may read.
    pub readable_orgs: Vec<String>,
    /// Datasets the caller collaborates on: readable whatever their visibility.
    pub readable_ids: Vec<String>,
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
    /// The most frequent values of each facet field to give (`None`: all of them).
    pub facet_limit: Option<usize>,
    /// The fewest matches a facet value must have to be given (0 counts as 1).
    pub facet_mincount: u64,
    pub scope: Scope,
}

/// What a search found: the total, the page (rendered dataset dicts as JSON text) and facet
/// counts per field, most frequent first (then by value), as the request limits them.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub count: usize,
    pub results: Dicts,
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
}

/// A dataset whose name or title starts with what was typed.
#[derive(Debug, Clone)]
pub struct Completion {
    pub name: String,
    pub title: String,
    /// The name matched (otherwise only the title did).
    pub by_name: bool,
}

/// Dataset counts per organization id and per group name.
#[derive(Debug, Clone, Default)]
pub struct GroupCounts {
    pub organizations: std::collections::HashMap<String, u64>,
    pub groups: std::collections::HashMap<String, u64>,
}

impl GroupCounts {
    /// The count of an organization (by id) or a group (by name).
    pub fn of(&self, organization: bool, id: &str, name: &str) -> u64 {
        let found = if organization { self.organizations.get(id) } else { self.groups.get(name) };
        found.copied().unwrap_or(0)
    }
}

/// The search index of this process.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Writer>,
    fields: Fields,
    /// Set when the index is kept on disk: what each commit records beside the position.
    disk: Option<disk::Claim>,
    columns: Arc<collect::ColumnCache>,
    scopes: Arc<scope::ScopeCache>,
    /// Active datasets newest first, as of the last reload.
    newest: std::sync::RwLock<newest::Newest>,
}

struct Writer {
    inner: IndexWriter,
    /// The changes applied.
    cursor: ChangeCursor,
}
const BATCH: i64 = 500;
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// Reports indexing progress: datasets done, datasets in all.
pub type Progress<'a> = &'a dyn Fn(u64, u64);

/// The stored dicts of a page of results, each a dict's JSON text: those read here one after
/// another in one text, and those shared with the place that holds them (the read cache's texts,
/// which a page takes without copying them).
#[derive(Debug, Clone, Default)]
pub struct Dicts {
    /// The texts written here, one after another.
    text: Vec<u8>,
    /// The dicts in order.
    items: Vec<Item>,
}

/// Where a dict's text is.
#[derive(Debug, Clone)]
enum Item {
    /// `text[start..end]` of its [`Dicts`].
    Written(usize, usize),
    Shared(Bytes),
}

impl Dicts {
    fn with_capacity(dicts: usize) -> Self {
        // A dataset's dict is a few kilobytes.
        Self { text: Vec::with_capacity(dicts * 6 * 1024), items: Vec::with_capacity(dicts) }
    }

    fn push(&mut self, dict: &str) {
        let start = self.text.len();
        self.text.extend_from_slice(dict.as_bytes());
        self.items.push(Item::Written(start, self.text.len()));
    }

    /// Makes room for `bytes` more of written text at once (the text then grows by no copy).
    pub fn reserve(&mut self, bytes: usize) {
        self.text.reserve(bytes);
    }

    /// Adds the dict `write` appends to the text: the JSON text of one dict, UTF-8. When it
    /// answers `false` nothing is added (what it wrote is cut off).
    pub fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>) -> bool) -> bool {
        let start = self.text.len();
        if write(&mut self.text) {
            self.items.push(Item::Written(start, self.text.len()));
            true
        } else {
            self.text.truncate(start);
            false
        }
    }

    /// Adds a dict whose JSON text (UTF-8) is held elsewhere, sharing it.
    pub fn push_shared(&mut self, dict: Bytes) {
        self.items.push(Item::Shared(dict));
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The dicts' JSON texts separated by commas (the items of a JSON list), in parts that
    /// follow one another: no text is copied.
    pub fn into_parts(self) -> Vec<Bytes> {
        let text = Bytes::from(self.text);
        let comma = Bytes::from_static(b",");
        let mut parts = Vec::with_capacity(2 * self.items.len());
        for (i, item) in self.items.into_iter().enumerate() {
            if i > 0 {
                parts.push(comma.clone());
            }
            parts.push(match item {
                Item::Written(start, end) => text.slice(start..end),
                Item::Shared(dict) => dict,
            });
        }
        parts
    }

    /// Each dict's JSON text.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.items.iter().map(|item| match item {
            Item::Written(start, end) => &self.text[*start..*end],
            Item::Shared(dict) => &dict[..],
        })
    }
}

/// A segment's ids and text hashes, by document.
struct HeldKeys {
    ids: Arc<tantivy::columnar::StrColumn>,
    terms: Arc<collect::SortTerms>,
    hashes: tantivy::columnar::Column<u64>,
}

impl HeldKeys {
    fn of(&self, doc: tantivy::DocId) -> Option<(&str, u64)> {
        let id = self.terms.get(self.ids.ords().first(doc)?)?;
        Some((id, self.hashes.first(doc)?))
    }
}

/// Dicts of datasets held elsewhere (the read cache), which a page of results takes instead
/// of reading them from the index's store.
pub trait HeldDicts {
    /// Adds to `dicts`, in turn, the JSON text of each dataset of `keys` (its id and the
    /// [`datahavn_storage::pack::text_hash`] of the index's text) that is held with that very
    /// text, up to the first that is not (or has no key): how many were added. A whole page is
    /// asked at once, so that its lookups need not wait on one another.
    fn append_held(&self, keys: &[Option<(&str, u64)>], dicts: &mut Dicts) -> usize;
}

/// The bytes of the text of `field` in a stored document as tantivy writes it (the number of
/// values, then each value's field, type code and, for a text, its length and bytes); `None`
/// when the document holds no such text or does not read as expected.
fn stored_text(mut document: &[u8], field: tantivy::schema::Field) -> Option<&[u8]> {
    /// Text's type code in a stored document.
    const TEXT: u8 = 0;
    // tantivy's variable-length integers: 7 bits a byte, the last byte's high bit set.
    fn vint(bytes: &mut &[u8]) -> Option<usize> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = bytes.split_first()?;
            *bytes = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 != 0 {
                return usize::try_from(value).ok();
            }
        }
        None
    }
    let values = vint(&mut document)?;
    for _ in 0..values {
        let (number, rest) = document.split_first_chunk::<4>()?;
        let (&code, rest) = rest.split_first()?;
        document = rest;
        if code != TEXT {
            return None;
        }
        let length = vint(&mut document)?;
        let text = document.get(..length)?;
        document = &document[length..];
        if u32::from_le_bytes(*number) == field.field_id() {
            return Some(text);
        }
    }
    None
}

/// The `data` field of a stored document, taken as it is read (the other stored field, the id,
/// is skipped): a whole tantivy document would copy the dict twice more.
struct StoredDict(Option<String>);

static DATA_FIELD: std::sync::LazyLock<tantivy::schema::Field> =
    std::sync::LazyLock::new(|| fields::schema().1.data);

impl tantivy::schema::document::DocumentDeserialize for StoredDict {
    fn deserialize<'de, D>(mut deserializer: D) -> Result<Self, tantivy::schema::document::DeserializeError>
    where
        D: tantivy::schema::document::DocumentDeserializer<'de>,
    {
        while let Some((field, value)) = deserializer.next_field::<tantivy::schema::OwnedValue>()? {
            if field == *DATA_FIELD
                && let tantivy::schema::OwnedValue::Str(text) = value
            {
                return Ok(Self(Some(text)));
            }
        }
        Ok(Self(None))
    }
}

impl SearchIndex {
    /// Builds the index of every dataset in the database, in memory.
    pub fn build(store: &Store, language: Language) -> SearchResult<Self> {
        let (schema, _) = fields::schema();
        let index = Index::builder().schema(schema).settings(fields::settings()).create_in_ram()?;
        let search = Self::new(index, language, 0, None)?;
        search.fill(store, &|_, _| {})?;
        Ok(search)
    }

    /// The index kept in `dir`: reused when it follows this database with this schema and
    /// language (then brought up to date from the change log), otherwise built again there.
    /// [`SearchError::InUse`] when another process keeps it.
    pub fn open(store: &Store, language: Language, dir: &Path) -> SearchResult<Self> {
        let database = store.read(|tx| tx.database_id())?;
        let claim = disk::Claim::take(dir, database, language)?;
        let newest = store.read(|tx| tx.last_change_seq())?;
        if let Some(index) = claim.reusable(newest) {
            let position = claim.position(&index).unwrap_or(0);
            let search = Self::new(index, language, position, Some(claim))?;
            // The newest-first list as the database has it now; the catch-up then puts again
            // every dataset changed since the index's position.
            let active = store.read(|tx| tx.active_package_times())?;
            search.newest_mut().put_all(active);
            let applied = search.catch_up(store)?;
            log::info!(
                "search index: {} datasets kept in {}, from change {position}, {applied} changed since",
                search.len(),
                dir.display()
            );
            return Ok(search);
        }
        Self::rebuild_claimed(store, language, claim, &|_, _| {})
    }

    /// Builds the index in `dir` afresh, whatever it held. [`SearchError::InUse`] when another
    /// process keeps it.
    pub fn rebuild(
        store: &Store,
        language: Language,
        dir: &Path,
        progress: Progress<'_>,
    ) -> SearchResult<Self> {
        let database = store.read(|tx| tx.database_id())?;
        let claim = disk::Claim::take(dir, database, language)?;
        Self::rebuild_claimed(store, language, claim, progress)
    }

    fn rebuild_claimed(
        store: &Store,
        language: Language,
        claim: disk::Claim,
        progress: Progress<'_>,
    ) -> SearchResult<Self> {
        let (schema, _) = fields::schema();
        let index = claim.create(schema)?;
        let search = Self::new(index, language, 0, Some(claim))?;
        search.fill(store, progress)?;
        Ok(search)
    }

    fn new(index: Index, language: Language, position: i64, disk: Option<disk::Claim>) -> SearchResult<Self> {
        let (_, fields) = fields::schema();
        fields::register_tokenizers(&index, language);
        let inner = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(Writer { inner, cursor: ChangeCursor::at(position) }),
            fields,
            disk,
            columns: Arc::default(),
            scopes: Arc::default(),
            newest: std::sync::RwLock::default(),
        })
    }

    /// Indexes every dataset of the database (into an empty index), then the changes made
    /// meanwhile.
    fn fill(&self, store: &Store, progress: Progress<'_>) -> SearchResult<()> {
        let started = Instant::now();
        // Numbers up to the head that have not committed yet (PostgreSQL hands them out before
        // the commit) are watched like any gap the catch-up meets.
        let (cursor, total) =
            store.read(|tx| Ok::<_, SearchError>((ChangeCursor::at_head(tx)?, tx.package_total()?)))?;
        let total = u64::try_from(total).unwrap_or(0);
        let mut indexed = 0u64;
        {
            let mut writer = self.lock();
            writer.cursor = cursor;
            let mut after = String::new();
            loop {
                let ids = store.read(|tx| tx.package_ids_page(&after, BATCH))?;
                let Some(last) = ids.last().cloned() else { break };
                let packages = store.read(|tx| tx.packages_for_index(&ids))?;
                let mut newest = self.newest_mut();
                for package in &packages {
                    writer.inner.add_document(self.fields.document(package))?;
                    newest.put(&package.record);
                }
                drop(newest);
                indexed += packages.len() as u64;
                progress(indexed, total.max(indexed));
                after = last;
            }
            self.commit(&mut writer)?;
        }
        self.reload()?;
        log::info!("search index: {indexed} datasets indexed in {:.1?}", started.elapsed());
        self.catch_up(store)?;
        Ok(())
    }

    /// Makes the last commit visible to searches; forgets what was kept for segments gone.
    fn reload(&self) -> SearchResult<()> {
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        self.columns.retain(&searcher);
        self.scopes.retain(&searcher);
        Ok(())
    }

    /// Commits what the writer holds, with the position a restart resumes from when on disk.
    fn commit(&self, writer: &mut Writer) -> SearchResult<()> {
        let payload = self.disk.as_ref().map(|claim| claim.payload(writer.cursor.resumable()));
        let mut prepared = writer.inner.prepare_commit()?;
        if let Some(payload) = payload {
            prepared.set_payload(&payload);
        }
        prepared.commit()?;
        Ok(())
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
        self.lock().cursor.position()
    }

    /// Applies every change committed since the last call. Cheap when nothing changed: one
    /// indexed query.
    pub fn catch_up(&self, store: &Store) -> SearchResult<usize> {
        datahavn_storage::may_wait()?;
        let mut writer = self.lock();
        let changed = writer.cursor.advance(store)?;
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
        self.commit(&mut writer)?;
        self.reload()?;
        let mut newest = self.newest_mut();
        for id in &ids {
            newest.remove(id);
        }
        for package in &packages {
            newest.put(&package.record);
        }
        Ok(ids.len())
    }

    fn newest_mut(&self) -> std::sync::RwLockWriteGuard<'_, newest::Newest> {
        self.newest.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Up to `rows` active datasets from the `start`th, the most recently modified first (then
    /// by id): public ones, and private ones too when `include_private`. Their rendered dicts as
    /// JSON text.
    pub fn newest(
        &self,
        include_private: bool,
        start: usize,
        rows: usize,
        held: Option<&dyn HeldDicts>,
    ) -> SearchResult<Dicts> {
        let ids = self.newest.read().unwrap_or_else(std::sync::PoisonError::into_inner).page(
            include_private,
            start,
            rows,
        );
        let searcher = self.reader.searcher();
        let mut page = Vec::with_capacity(ids.len());
        for id in ids {
            let found =
                searcher.search(&self.term(self.fields.id, &id), &TopDocs::with_limit(1).order_by_score())?;
            // A dataset removed since the page was read is left out.
            if let Some(&(_, address)) = found.first() {
                page.push(address);
            }
        }
        self.stored_dicts(&searcher, &page, held)
    }

    /// The rendered dicts the documents keep, as JSON text: those `held` has in the very form
    /// the index holds, from there; the others copied once, from the stored document's bytes
    /// into the page's text (`{}` for a document without one).
    fn stored_dicts(
        &self,
        searcher: &tantivy::Searcher,
        page: &[tantivy::DocAddress],
        held: Option<&dyn HeldDicts>,
    ) -> SearchResult<Dicts> {
        let mut dicts = Dicts::with_capacity(page.len());
        let mut stores: Vec<Option<Arc<tantivy::store::StoreReader>>> = Vec::new();
        stores.resize_with(searcher.segment_readers().len(), || None);
        let mut segment_keys: Vec<Option<Option<HeldKeys>>> = Vec::new();
        segment_keys.resize_with(searcher.segment_readers().len(), || None);
        if held.is_some() {
            for address in page {
                let slot = &mut segment_keys[address.segment_ord as usize];
                if slot.is_none() {
                    *slot = Some(self.held_keys(searcher.segment_reader(address.segment_ord))?);
                }
            }
        }
        // The page's keys, all taken before any dict: the held dicts are then added in runs.
        let keys: Vec<Option<(&str, u64)>> = page
            .iter()
            .map(|address| segment_keys[address.segment_ord as usize].as_ref()?.as_ref()?.of(address.doc_id))
            .collect();
        let mut at = 0;
        while at < page.len() {
            if let Some(held) = held {
                at += held.append_held(&keys[at..], &mut dicts);
                if at == page.len() {
                    break;
                }
            }
            let address = page[at];
            at += 1;
            let slot = &mut stores[address.segment_ord as usize];
            let store = match slot {
                Some(store) => store,
                None => slot.insert(self.columns.store(searcher.segment_reader(address.segment_ord))?),
            };
            let document = store.get_document_bytes(address.doc_id)?;
            match stored_text(document.as_slice(), self.fields.data) {
                Some(text) => dicts.push(std::str::from_utf8(text).map_err(|e| {
                    SearchError::Index(format!("the stored dict of {address:?} is not UTF-8: {e}"))
                })?),
                // Read the long way (the errors of a document that does not parse are tantivy's).
                None => {
                    let StoredDict(text) = searcher.doc(address)?;
                    dicts.push(text.as_deref().unwrap_or("{}"));
                }
            }
        }
        Ok(dicts)
    }

    /// What a segment's documents are looked up by in [`HeldDicts`]: ids and text hashes
    /// (`None` in a segment without them).
    fn held_keys(&self, reader: &tantivy::SegmentReader) -> SearchResult<Option<HeldKeys>> {
        let (Some(ids), Ok(hashes)) =
            (self.columns.str_column(reader, "id")?, reader.fast_fields().u64("data_hash"))
        else {
            return Ok(None);
        };
        let Some(terms) = self.columns.terms(reader.segment_id(), "id", &ids)? else { return Ok(None) };
        Ok(Some(HeldKeys { ids, terms, hashes }))
    }

    /// Runs a search on the current index (call [`Self::catch_up`] first for fresh results);
    /// the page's dicts come from `held` where it has them as the index does.
    pub fn search(&self, request: &Request, held: Option<&dyn HeldDicts>) -> SearchResult<Found> {
        let searcher = self.reader.searcher();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let q = match &request.q {
            Ast::Bool { must, should, must_not } if request.dismax && must.is_empty() && should.len() > 1 => {
                let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for q in should {
                    words.push((
                        Occur::Should,
                        query::translate(q, &self.fields, &self.index, &self.columns)?,
                    ));
                }
                for q in must_not {
                    words.push((
                        Occur::MustNot,
                        query::translate(q, &self.fields, &self.index, &self.columns)?,
                    ));
                }
                Box::new(BooleanQuery::with_minimum_required_clauses(words, minimum_match(should.len())))
            }
            other => query::translate(other, &self.fields, &self.index, &self.columns)?,
        };
        let filters = request
            .filters
            .iter()
            .map(|filter| query::translate(filter, &self.fields, &self.index, &self.columns))
            .collect::<SearchResult<Vec<_>>>()?;
        let scope = self.scope_filter(&request.scope);
        let scored = !matches!(request.q, Ast::All);

        // Without a scoring query every score is equal: the next sort key decides.
        let sort: Vec<(SortField, bool)> = if scored {
            request.sort.clone()
        } else {
            request.sort.iter().copied().filter(|(field, _)| *field != SortField::Score).collect()
        };
        let sort = collect::decisive(&sort);
        let facet_fields: Vec<&'static str> =
            request.facet_fields.iter().map(|f| fields::facet_field(f).unwrap_or("")).collect();
        let facets = collect::Facets {
            fields: &facet_fields,
            limit: request.facet_limit.unwrap_or(usize::MAX),
            mincount: request.facet_mincount,
        };
        let dates = (self.fields.metadata_modified, self.fields.metadata_created);
        let filtered = if scored {
            None
        } else {
            filtered::collect(
                &searcher,
                &filters,
                &scope,
                &sort,
                dates,
                request.start,
                request.rows,
                facets,
                &self.columns,
            )?
        };
        let collected = match filtered {
            Some(collected) => collected,
            None => {
                clauses.push((Occur::Must, q));
                // Filters and visibility narrow the matches without weighing in the score
                // (Solr's fq).
                for filter in filters {
                    clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
                }
                let query = BooleanQuery::new(clauses);
                collect::collect(
                    &searcher,
                    &query,
                    &scope,
                    &sort,
                    request.start,
                    request.rows,
                    facets,
                    &self.columns,
                )?
            }
        };
        let count = collected.count;
        let page = collected.page;
        let mut facets = BTreeMap::new();
        for (field, counts) in request.facet_fields.iter().zip(collected.facets) {
            facets.insert(field.clone(), counts);
        }
        let results = self.stored_dicts(&searcher, &page, held)?;
        Ok(Found { count, results, facets })
    }

    /// How many datasets of each organization (by id) and each group (by name) `scope` lets
    /// through: the `package_count` of organization and group dicts.
    pub fn group_counts(&self, scope: &Scope) -> SearchResult<GroupCounts> {
        let searcher = self.reader.searcher();
        let scope = self.scope_filter(scope);
        let fields = ["owner_org", "groups"];
        let collected = collect::collect(
            &searcher,
            &tantivy::query::AllQuery,
            &scope,
            &[],
            0,
            0,
            collect::Facets::all(&fields),
            &self.columns,
        )?;
        let mut facets = collected.facets.into_iter().map(|counts| counts.into_iter().collect());
        Ok(GroupCounts {
            organizations: facets.next().unwrap_or_default(),
            groups: facets.next().unwrap_or_default(),
        })
    }

    /// Active public datasets whose name or title starts with `prefix` (case-insensitive), as
    /// `(name, title)`: those matched by name first, then those matched by title only, each in
    /// name order (CKAN's `package_autocomplete`).
    pub fn autocomplete(&self, prefix: &str, limit: usize) -> SearchResult<Vec<Completion>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let pattern = format!("{}.*", query::regex_escape(&prefix.to_lowercase()));
        let regex = |field| -> SearchResult<Box<dyn Query>> {
            Ok(Box::new(
                tantivy::query::RegexQuery::from_pattern(&pattern, field)
                    .map_err(|e| SearchError::Query(e.to_string()))?,
            ))
        };
        let visible = self.scope_filter(&Scope::default());
        let by_name = BooleanQuery::new(vec![(Occur::Must, regex(self.fields.name)?)]);
        let by_title = BooleanQuery::new(vec![
            (Occur::Must, regex(self.fields.title_lower)?),
            (Occur::MustNot, regex(self.fields.name)?),
        ]);
        let by_name_order = [(SortField::Name, false)];
        let mut found = Vec::new();
        for (query, by_name) in [(by_name, true), (by_title, false)] {
            let left = limit - found.len();
            if left == 0 {
                break;
            }
            let page = collect::collect(
                &searcher,
                &query,
                &visible,
                &by_name_order,
                0,
                left,
                collect::Facets::all(&[]),
                &self.columns,
            )?
            .page;
            for address in page {
                let reader = searcher.segment_reader(address.segment_ord);
                let mut name = String::new();
                let mut title = String::new();
                for (field, out) in [("name", &mut name), ("title_string", &mut title)] {
                    if let Some(column) = reader.fast_fields().str(field)?
                        && let Some(ord) = column.term_ords(address.doc_id).next()
                    {
                        column.ord_to_str(ord, out).map_err(|e| SearchError::Index(e.to_string()))?;
                    }
                }
                found.push(Completion { name, title, by_name });
            }
        }
        Ok(found)
    }

    fn term(&self, field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
    }

    /// What the caller may see, as bitsets kept per segment.
    fn scope_filter(&self, scope: &Scope) -> scope::ScopeFilter {
        scope::ScopeFilter::new(scope, self.scope_query(scope), self.scopes.clone())
    }

    /// States and visibility the caller may see.
    fn scope_query(&self, scope: &Scope) -> Box<dyn Query> {
        let f = &self.fields;
        // Datasets the caller may read whatever their state: their organizations', their own.
        let insider = || -> Vec<(Occur, Box<dyn Query>)> {
            let mut should: Vec<(Occur, Box<dyn Query>)> =
                scope.readable_orgs.iter().map(|org| (Occur::Should, self.term(f.owner_org, org))).collect();
            should.extend(scope.readable_ids.iter().map(|id| (Occur::Should, self.term(f.id, id))));
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
                visibility.extend(scope.readable_ids.iter().map(|id| (Occur::Should, self.term(f.id, id))));
            }
        }
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(BooleanQuery::new(states))),
            (Occur::Must, Box::new(BooleanQuery::new(visibility))),
        ]))
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

/// The stored dict of a search result, parsed.
pub fn parse_result(text: &[u8]) -> Value {
    serde_json::from_slice(text).unwrap_or(Value::Null)
}

/// What an index kept on disk holds, read without taking the directory over (a server may keep
/// it meanwhile): for `datahavn check`.
#[derive(Debug, Clone, Default)]
pub struct IndexSnapshot {
    /// The change-log position its last commit recorded.
    pub position: Option<i64>,
    /// The id of the database it follows.
    pub database: Option<String>,
    /// Each dataset's id and `metadata_modified` in microseconds since 1970 (none: missing).
    pub entries: Vec<(String, Option<i64>)>,
}

/// Reads the index in `dir` (its last commit).
pub fn snapshot(dir: &Path) -> SearchResult<IndexSnapshot> {
    let index = Index::open_in_dir(dir)?;
    let payload = disk::Claim::payload_of(&index).unwrap_or_default();
    let reader: IndexReader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
    let searcher = reader.searcher();
    let mut entries = Vec::new();
    for segment in searcher.segment_readers() {
        let Some(ids) = segment.fast_fields().str("id")? else { continue };
        let modified = segment.fast_fields().date("metadata_modified")?;
        for doc in 0..segment.max_doc() {
            if segment.alive_bitset().is_some_and(|alive| !alive.is_alive(doc)) {
                continue;
            }
            let mut id = String::new();
            if let Some(ord) = ids.term_ords(doc).next() {
                ids.ord_to_str(ord, &mut id).map_err(|e| SearchError::Index(e.to_string()))?;
            }
            entries.push((id, modified.first(doc).map(tantivy::DateTime::into_timestamp_micros)));
        }
    }
    Ok(IndexSnapshot {
        position: payload["position"].as_i64(),
        database: payload["database"].as_str().map(str::to_owned),
        entries,
    })
}

/// The process's index, built on first use (commands that never search never build it).
pub struct SearchHandle {
    language: Language,
    /// Where the index is kept; in memory without one.
    dir: Option<PathBuf>,
    index: std::sync::OnceLock<SearchIndex>,
    building: Mutex<()>,
    /// Set once something tells this handle of every change ([`Self::followed`]): then a
    /// search reads the change log only after [`Self::changed`].
    followed: std::sync::atomic::AtomicBool,
    /// A change may have been committed since the last catch-up.
    stale: std::sync::atomic::AtomicBool,
}

impl SearchHandle {
    /// An index kept in memory, built from the database when first used.
    pub fn new(language: Language) -> Self {
        Self {
            language,
            dir: None,
            index: std::sync::OnceLock::new(),
            building: Mutex::new(()),
            followed: std::sync::atomic::AtomicBool::new(false),
            stale: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// An index kept in `dir`, reused across restarts. While another process keeps that
    /// directory, this one builds its index in memory instead.
    pub fn on_disk(language: Language, dir: PathBuf) -> Self {
        Self { dir: Some(dir), ..Self::new(language) }
    }

    /// The index, opened or built the first time; caught up with the change log.
    pub fn get(&self, store: &Store) -> SearchResult<&SearchIndex> {
        if let Some(index) = self.index.get() {
            // Cleared before the catch-up: a change committed meanwhile sets it again.
            if !self.followed.load(Ordering::SeqCst) || self.stale.swap(false, Ordering::SeqCst) {
                index.catch_up(store).inspect_err(|_| self.changed())?;
            }
            return Ok(index);
        }
        // Not built yet: built by a thread that may wait (for the database, and for another
        // thread building it).
        datahavn_storage::may_wait()?;
        let _guard = self.building.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(index) = self.index.get() {
            index.catch_up(store)?;
            return Ok(index);
        }
        let opened = match &self.dir {
            None => SearchIndex::build(store, self.language)?,
            Some(dir) => match SearchIndex::open(store, self.language, dir) {
                Err(SearchError::InUse(dir)) => {
                    log::warn!(
                        "search index: {} is kept by another datahavn process; building one in memory",
                        dir.display()
                    );
                    SearchIndex::build(store, self.language)?
                }
                other => other?,
            },
        };
        Ok(self.index.get_or_init(|| opened))
    }

    /// From now on, searches read the change log only after [`Self::changed`]: whoever calls
    /// this calls that for every change committed (this process's, after each commit and
    /// before the write answers; other processes', when it reads them from the change log).
    pub fn followed(&self) {
        self.followed.store(true, Ordering::SeqCst);
    }

    /// A change was committed: the next search catches up first.
    pub fn changed(&self) {
        self.stale.store(true, Ordering::SeqCst);
    }

    /// Brings the index (if built) up to the change log whatever [`Self::changed`] said.
    pub fn catch_up(&self, store: &Store) -> SearchResult<()> {
        match self.index.get() {
            Some(index) => index.catch_up(store).map(drop),
            None => self.get(store).map(drop),
        }
    }

    /// The index's position, if it was built.
    pub fn position(&self) -> Option<i64> {
        self.index.get().map(SearchIndex::position)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use tantivy::TantivyDocument;

    use super::*;

    /// An empty index of the real schema in memory, its fields and a writer.
    fn index_in_ram() -> (Index, Fields, IndexWriter) {
        let (schema, fields) = fields::schema();
        let index = Index::create_in_ram(schema);
        fields::register_tokenizers(&index, Language::English);
        let writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        (index, fields, writer)
    }

    /// The dict read straight from a stored document's bytes is the one tantivy's own reading
    /// gives: short and long texts (lengths of one to three bytes), texts beyond ASCII, the id
    /// stored before it; a document without one is read the long way.
    #[test]
    fn stored_dicts_are_read_as_tantivy_reads_them() {
        let (index, fields, mut writer) = index_in_ram();
        let dicts: Vec<Option<String>> = vec![
            Some("{}".into()),
            Some(format!("{{\"notes\":\"{}\"}}", "Æblegrød på Østerbro — ".repeat(7))),
            Some(format!("{{\"notes\":\"{}\"}}", "x".repeat(20_000))),
            None,
            Some("{\"name\":\"a\"}".into()),
        ];
        for (i, dict) in dicts.iter().enumerate() {
            let mut doc = TantivyDocument::default();
            doc.add_text(fields.id, format!("id-{i}"));
            if let Some(dict) = dict {
                doc.add_text(fields.data, dict);
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        drop(writer);
        let searcher = index.reader().unwrap().searcher();
        let store = searcher.segment_reader(0).get_store_reader(0).unwrap();
        let search = SearchIndex::new(index.clone(), Language::English, 0, None).unwrap();
        let page: Vec<tantivy::DocAddress> = (0..5).map(|doc| tantivy::DocAddress::new(0, doc)).collect();
        let read = search.stored_dicts(&searcher, &page, None).unwrap();
        assert_eq!(read.len(), 5);
        for (doc, (dict, got)) in dicts.iter().zip(read.iter()).enumerate() {
            let bytes = store.get_document_bytes(u32::try_from(doc).unwrap()).unwrap();
            let raw =
                stored_text(bytes.as_slice(), fields.data).map(|text| std::str::from_utf8(text).unwrap());
            let StoredDict(theirs) = searcher.doc(page[doc]).unwrap();
            assert_eq!(raw, theirs.as_deref(), "document {doc}");
            assert_eq!(raw, dict.as_deref(), "document {doc}");
            assert_eq!(got, dict.as_deref().unwrap_or("{}").as_bytes(), "document {doc}");
        }
        let expected: Vec<&str> = dicts.iter().map(|dict| dict.as_deref().unwrap_or("{}")).collect();
        assert_eq!(read.into_parts().concat(), expected.join(",").as_bytes());
    }

    /// A page's parts are its dicts separated by commas, a shared dict the very bytes given.
    #[test]
    fn a_pages_parts_are_its_dicts_separated_by_commas() {
        let shared = Bytes::from(b"{\"held\":1}".to_vec());
        let mut dicts = Dicts::default();
        dicts.push("{\"a\":\"Æ\"}");
        dicts.push_shared(shared.clone());
        let cut = |out: &mut Vec<u8>| {
            out.extend_from_slice(b"{\"cut");
            false
        };
        assert!(!dicts.push_with(cut));
        assert!(dicts.push_with(|out| {
            out.extend_from_slice(b"{\"b\":2}");
            true
        }));
        dicts.push("{}");
        assert_eq!(dicts.len(), 4);
        let texts: Vec<&[u8]> = dicts.iter().collect();
        assert_eq!(texts, ["{\"a\":\"Æ\"}".as_bytes(), b"{\"held\":1}", b"{\"b\":2}", b"{}"]);
        let joined = "{\"a\":\"Æ\"},{\"held\":1},{\"b\":2},{}";
        let parts = dicts.clone().into_parts();
        assert_eq!(parts.concat(), joined.as_bytes());
        assert!(parts.iter().any(|part| part.as_ptr() == shared.as_ptr()));
        assert!(Dicts::default().into_parts().is_empty());
    }

    /// Dicts held elsewhere, by id: (text, the hash they are said to have).
    struct Held(std::collections::HashMap<String, (String, u64)>);

    impl HeldDicts for Held {
        fn append_held(&self, keys: &[Option<(&str, u64)>], dicts: &mut Dicts) -> usize {
            keys.iter()
                .map_while(|&key| {
                    let (id, hash) = key?;
                    let (text, _) = self.0.get(id).filter(|(_, held)| *held == hash)?;
                    dicts
                        .push_with(|out| {
                            out.extend_from_slice(text.as_bytes());
                            true
                        })
                        .then_some(())
                })
                .count()
        }
    }

    /// A page takes a held dict only when its hash is that of the index's text; a dict held
    /// with another hash (an older or newer text) or not held at all is read from the store.
    #[test]
    fn a_page_takes_held_dicts_only_when_they_are_the_indexs_text() {
        let (index, fields, mut writer) = index_in_ram();
        let dicts: Vec<String> =
            (0..4).map(|i| format!("{{\"name\":\"d{i}\",\"notes\":\"Æble {i}\"}}")).collect();
        for (i, dict) in dicts.iter().enumerate() {
            let mut doc = TantivyDocument::default();
            doc.add_text(fields.id, format!("id-{i}"));
            doc.add_text(fields.data, dict);
            doc.add_u64(fields.data_hash, datahavn_storage::pack::text_hash(dict.as_bytes()));
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        drop(writer);
        let searcher = index.reader().unwrap().searcher();
        let search = SearchIndex::new(index.clone(), Language::English, 0, None).unwrap();
        let hash = |text: &str| datahavn_storage::pack::text_hash(text.as_bytes());
        let marked = |i: usize| dicts[i].replace('}', ",\"held\":true}");
        let held = Held(
            [
                // Held as the index has it (told apart by a mark the test adds to the text).
                ("id-0".to_owned(), (marked(0), hash(&dicts[0]))),
                // Held in another version.
                ("id-1".to_owned(), (marked(1), hash("{\"name\":\"d1\"}"))),
                ("id-3".to_owned(), (marked(3), hash(&dicts[3]))),
            ]
            .into(),
        );
        let page: Vec<tantivy::DocAddress> = [3, 2, 1, 0].map(|doc| tantivy::DocAddress::new(0, doc)).into();
        let read = search.stored_dicts(&searcher, &page, Some(&held)).unwrap();
        let texts: Vec<&[u8]> = read.iter().collect();
        assert_eq!(
            texts,
            [marked(3).as_bytes(), dicts[2].as_bytes(), dicts[1].as_bytes(), marked(0).as_bytes()]
        );
        let joined = [marked(3), dicts[2].clone(), dicts[1].clone(), marked(0)].join(",");
        assert_eq!(read.into_parts().concat(), joined.as_bytes());
        // Without a held source every dict is the store's.
        let read = search.stored_dicts(&searcher, &page, None).unwrap();
        assert_eq!(read.into_parts().concat(), [3, 2, 1, 0].map(|i| dicts[i].as_str()).join(",").as_bytes());
    }
}
