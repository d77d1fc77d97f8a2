//! How the large JSON texts of the catalogue are stored: a dataset's document and rendered
//! dict, and each activity's payload (the dataset dict CKAN keeps with every activity).
//!
//! A stored value is either the JSON text itself (values written before packing existed, and
//! short ones), or the byte [`ZSTD_CKAN_1`] followed by a zstd frame compressed with the
//! dictionary in `pack/ckan-1.dict` (CKAN 2.12's own answers, made by
//! `scripts/pack-dictionary.py`). JSON text never starts with that byte, so both read alike and
//! no migration rewrites old rows. A dictionary never changes once values are packed with it: a
//! better one gets a new tag, and every tag stays readable.
//!
//! A dataset activity's payload, `{"package": <the dataset dict>, "actor": <name>}`, is nearly
//! all the dataset's rendered dict, written a moment before in the same transaction. It is
//! stored as [`PACKAGE_ACTIVITY`]: the actor's JSON text and the dict's stored value, the very
//! bytes [`pack_rendered`] made for the dataset's row (packed once, stored twice).
//!
//! A dataset's row holds two packed values, its document and its rendered dict. The two texts
//! are mostly the same fields, so the document is stored as [`DOCUMENT_BY_RENDERED`]: a zstd
//! frame that takes the rendered dict's text as its dictionary ([`pack_document`],
//! [`unpack_document`]) — on portal records a fifth of the document packed alone, and made in
//! half the time. Whatever writes a dataset's rendered dict writes its document with it. On
//! SQLite the rendered dict is packed on a thread of its own while the caller packs the
//! document ([`pack_beside`]), so that a bulk load, one writer on one core, packs on the other
//! too.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, LazyLock};

use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};
use zstd::zstd_safe;

use crate::{StorageError, StorageResult};

/// The tag of a value compressed with `pack/ckan-1.dict`.
pub const ZSTD_CKAN_1: u8 = 0x01;

/// The tag of a dataset activity's payload: this byte, the length of the actor's JSON text (4
/// bytes, little-endian), that text, then the dataset dict's stored value.
pub const PACKAGE_ACTIVITY: u8 = 0x02;

/// The tag of a dataset's document packed against its rendered dict: this byte, then a zstd
/// frame compressed with the rendered dict's JSON text as its dictionary (raw content: JSON
/// text never starts with a zstd dictionary's magic number). Read with that very text.
pub const DOCUMENT_BY_RENDERED: u8 = 0x03;

/// zstd's level for a document against its rendered dict. Most of a document is found in the
/// rendered dict whatever the level, and loading the dict costs more at higher levels: on
/// portal records 3 packs to 240 bytes a document of 4.9 KB, 6 to 174 in a third more time.
const DOCUMENT_LEVEL: i32 = 3;

/// Texts shorter than this are stored as they are: a frame would not be smaller.
const SMALLEST_PACKED: usize = 96;

/// zstd's level. On portal records with this dictionary: 6 packs 5 % smaller than 3, at about
/// 90 MB/s against 215 (some 50 µs more for a dataset's three values); 9 and above pack no
/// smaller. The level is not part of the format: values packed at any level read alike.
const LEVEL: i32 = 6;

/// The largest text a packed value may say it holds (a guard against a damaged header).
const LARGEST_TEXT: u64 = 1 << 30;

static DICTIONARY: &[u8] = include_bytes!("pack/ckan-1.dict");

static ENCODER: LazyLock<EncoderDictionary<'static>> =
    LazyLock::new(|| EncoderDictionary::copy(DICTIONARY, LEVEL));
static DECODER: LazyLock<DecoderDictionary<'static>> = LazyLock::new(|| DecoderDictionary::copy(DICTIONARY));

thread_local! {
    static COMPRESSOR: RefCell<Option<Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
    /// The contexts of documents packed against their rendered dicts.
    static DOCUMENT_CONTEXTS: RefCell<Option<(zstd_safe::CCtx<'static>, zstd_safe::DCtx<'static>)>> =
        const { RefCell::new(None) };
    /// The rendered dict this thread packed last, and its stored value.
    static RENDERED: RefCell<(String, Vec<u8>)> = const { RefCell::new((String::new(), Vec::new())) };
}

/// The stored form of a dataset's rendered dict: [`pack`], remembered for the activity that
/// records the same dict next.
pub fn pack_rendered(text: &str) -> Vec<u8> {
    let packed = pack(text);
    remember_rendered(text, &packed);
    packed
}

/// Remembers `packed` as the stored value of the rendered dict `text`, for the activity that
/// records the same dict next on this thread.
pub(crate) fn remember_rendered(text: &str, packed: &[u8]) {
    RENDERED.with(|cell| {
        let mut last = cell.borrow_mut();
        last.0.clear();
        last.0.push_str(text);
        last.1.clear();
        last.1.extend_from_slice(packed);
    });
}

/// The stored form of a dataset's document whose rendered dict is `rendered`:
/// [`DOCUMENT_BY_RENDERED`], or [`pack`] of the document when that is not smaller.
pub fn pack_document(document: &str, rendered: &str) -> Vec<u8> {
    if document.len() < SMALLEST_PACKED || rendered.is_empty() {
        return pack(document);
    }
    let packed = DOCUMENT_CONTEXTS.with(|cell| {
        let mut cell = cell.borrow_mut();
        let (compressor, _) =
            cell.get_or_insert_with(|| (zstd_safe::CCtx::create(), zstd_safe::DCtx::create()));
        let mut frame = Vec::with_capacity(zstd_safe::compress_bound(document.len()));
        let dictionary = rendered.as_bytes();
        compressor.compress_using_dict(&mut frame, document.as_bytes(), dictionary, DOCUMENT_LEVEL).ok()?;
        Some(tagged(DOCUMENT_BY_RENDERED, &frame))
    });
    match packed {
        Some(out) if out.len() < document.len() => out,
        _ => pack(document),
    }
}

/// The JSON text of a dataset's stored document, `rendered` being the text of its stored
/// rendered dict.
pub fn unpack_document(stored: &[u8], rendered: &str) -> StorageResult<String> {
    let Some((&DOCUMENT_BY_RENDERED, frame)) = stored.split_first() else {
        return unpack(stored);
    };
    let size = frame_size(frame)?;
    let bytes = DOCUMENT_CONTEXTS.with(|cell| {
        let mut cell = cell.borrow_mut();
        let (_, decompressor) =
            cell.get_or_insert_with(|| (zstd_safe::CCtx::create(), zstd_safe::DCtx::create()));
        let mut bytes = Vec::with_capacity(size);
        match decompressor.decompress_using_dict(&mut bytes, frame, rendered.as_bytes()) {
            Ok(written) if written == size => Ok(bytes),
            Ok(_) => Err(damaged("a frame shorter than its header says")),
            Err(code) => Err(damaged(zstd_safe::get_error_name(code))),
        }
    })?;
    String::from_utf8(bytes).map_err(|_| damaged("not UTF-8 text"))
}

/// [`pack`] of a dict's JSON text, taking the stored value [`pack_rendered`] made last on this
/// thread when the dict serializes to that same text (compared as it is serialized, without
/// making the text).
fn pack_dict_again(dict: &serde_json::Value) -> Vec<u8> {
    let known = RENDERED.with(|cell| {
        let last = cell.borrow();
        let mut same = Same { expected: last.0.as_bytes(), at: 0 };
        let matched = serde_json::to_writer(&mut same, dict).is_ok() && same.at == last.0.len();
        matched.then(|| last.1.clone())
    });
    known.unwrap_or_else(|| pack(&dict.to_string()))
}

/// A writer that takes only the bytes of `expected`, in their order.
struct Same<'a> {
    expected: &'a [u8],
    at: usize,
}

impl std::io::Write for Same<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let end = self.at + bytes.len();
        if self.expected.get(self.at..end) != Some(bytes) {
            return Err(std::io::Error::other("another text"));
        }
        self.at = end;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The stored form of an activity's payload: a dataset activity's as [`PACKAGE_ACTIVITY`],
/// any other as [`pack`] of its JSON text.
pub fn pack_activity(data: &serde_json::Value) -> Vec<u8> {
    match dataset_activity(data) {
        Some((package, actor)) => package_activity(&actor, &pack_dict_again(package)),
        None => pack(&data.to_string()),
    }
}

/// A dataset activity's payload, `{"package": <dict>, "actor": <name>}`: the dict, and the
/// actor's JSON text when it fits [`PACKAGE_ACTIVITY`]'s header.
fn dataset_activity(data: &serde_json::Value) -> Option<(&serde_json::Value, String)> {
    let object = data.as_object().filter(|object| object.len() == 2)?;
    let mut entries = object.iter();
    match (entries.next(), entries.next()) {
        (Some((first, package)), Some((second, actor)))
            if first == "package" && second == "actor" && package.is_object() =>
        {
            let actor = actor.to_string();
            u32::try_from(actor.len()).is_ok().then_some((package, actor))
        }
        _ => None,
    }
}

/// A [`PACKAGE_ACTIVITY`] value: the actor's JSON text and the dict's stored value.
pub(crate) fn package_activity(actor: &str, inner: &[u8]) -> Vec<u8> {
    let actor_length = u32::try_from(actor.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(5 + actor.len() + inner.len());
    out.push(PACKAGE_ACTIVITY);
    out.extend_from_slice(&actor_length.to_le_bytes());
    out.extend_from_slice(actor.as_bytes());
    out.extend_from_slice(inner);
    out
}

/// The stored form of a JSON text.
pub fn pack(text: &str) -> Vec<u8> {
    if text.len() < SMALLEST_PACKED {
        return text.as_bytes().to_vec();
    }
    let packed = COMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let compressor = match &mut *cell {
            Some(compressor) => compressor,
            empty => empty.insert(Compressor::with_prepared_dictionary(&ENCODER).ok()?),
        };
        let frame = compressor.compress(text.as_bytes()).ok()?;
        Some(tagged(ZSTD_CKAN_1, &frame))
    });
    match packed {
        Some(out) if out.len() < text.len() => out,
        _ => text.as_bytes().to_vec(),
    }
}

/// A stored value: its tag, then its frame.
fn tagged(tag: u8, frame: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + frame.len());
    out.push(tag);
    out.extend_from_slice(frame);
    out
}

/// Texts shorter than this are packed by their caller: handing them over would cost more than
/// packing them.
const SMALLEST_BESIDE: usize = 2048;

/// A text to pack on the packing thread: [`pack`] of it, or with a rendered dict,
/// [`pack_document`] of it against that dict; and where its stored value goes.
struct Job {
    text: Arc<String>,
    rendered: Option<Arc<String>>,
    reply: mpsc::SyncSender<Vec<u8>>,
}

impl Job {
    fn pack(&self) -> Vec<u8> {
        match &self.rendered {
            Some(rendered) => pack_document(&self.text, rendered),
            None => pack(&self.text),
        }
    }
}

/// A thread that packs one text at a time for a caller that has other work meanwhile.
struct Packer {
    jobs: mpsc::Sender<Job>,
    /// Whether no caller is waiting for it: a caller that finds it taken packs its text itself.
    free: AtomicBool,
}

static PACKER: LazyLock<Option<Packer>> = LazyLock::new(|| {
    let (jobs, received) = mpsc::channel::<Job>();
    let spawned = std::thread::Builder::new().name("pack".into()).spawn(move || {
        for job in received {
            // The caller may have stopped waiting; nothing is lost then.
            let _ = job.reply.send(job.pack());
        }
    });
    spawned.ok().map(|_| Packer { jobs, free: AtomicBool::new(true) })
});

/// [`pack`] of `text` on the packing thread while `here` runs on the caller's, when that
/// thread is free (a dataset's document and rendered dict are packed at once, on two cores);
/// otherwise both on the caller's thread, one after the other. The same bytes either way.
pub fn pack_beside<R>(text: String, here: impl FnOnce() -> R) -> (Vec<u8>, R) {
    let packer = PACKER.as_ref().filter(|_| text.len() >= SMALLEST_BESIDE);
    let Some(packer) = packer.filter(|p| p.free.swap(false, Ordering::Acquire)) else {
        return (pack(&text), here());
    };
    // The thread is free again when this caller is done with it, however `here` ends.
    let _claim = Claim(&packer.free);
    let text = Arc::new(text);
    let (reply, packed) = mpsc::sync_channel(1);
    let sent = packer.jobs.send(Job { text: Arc::clone(&text), rendered: None, reply }).is_ok();
    let result = here();
    // Without an answer (the thread is gone) the text is packed here.
    let packed = sent.then(|| packed.recv().ok()).flatten().unwrap_or_else(|| pack(&text));
    (packed, result)
}

/// A dataset's document and rendered dict being packed on the packing thread while their
/// caller goes on; [`Later::finish`] gives the packed values for the dataset's row (and for
/// the activities that record the same dict). The packing thread is this one's until then.
pub(crate) struct Later {
    pub document: Arc<String>,
    pub rendered: Arc<String>,
    replies: [mpsc::Receiver<Vec<u8>>; 2],
    _claim: Claim,
}

/// The packing thread taken by one caller, free again when this is dropped.
struct Claim(&'static AtomicBool);

impl Drop for Claim {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// [`Later`] for a dataset's document and rendered dict, when the packing thread is free;
/// otherwise the texts back.
pub(crate) fn pack_later(document: String, rendered: String) -> Result<Later, (String, String)> {
    let Some(packer) = PACKER.as_ref().filter(|p| p.free.swap(false, Ordering::Acquire)) else {
        return Err((document, rendered));
    };
    let claim = Claim(&packer.free);
    let (document, rendered) = (Arc::new(document), Arc::new(rendered));
    let send = |text: &Arc<String>, rendered: Option<&Arc<String>>| {
        let (reply, packed) = mpsc::sync_channel(1);
        // Without the thread, the receiver finds no answer and the text is packed at the end.
        let _ = packer.jobs.send(Job { text: Arc::clone(text), rendered: rendered.cloned(), reply });
        packed
    };
    let replies = [send(&document, Some(&rendered)), send(&rendered, None)];
    Ok(Later { document, rendered, replies, _claim: claim })
}

impl Later {
    /// The packed document and rendered dict (packed here if the thread is gone).
    pub fn finish(self) -> (Vec<u8>, Vec<u8>) {
        let [document, rendered] = self.replies;
        let document = document.recv().unwrap_or_else(|_| pack_document(&self.document, &self.rendered));
        let rendered = rendered.recv().unwrap_or_else(|_| pack(&self.rendered));
        (document, rendered)
    }

    /// For an activity whose payload records this dataset's rendered dict: its actor's JSON
    /// text, which with the packed dict makes the activity's value ([`package_activity`]);
    /// `None` for any other payload.
    pub fn activity(&self, data: &serde_json::Value) -> Option<String> {
        let (package, actor) = dataset_activity(data)?;
        let mut same = Same { expected: self.rendered.as_bytes(), at: 0 };
        let matched = serde_json::to_writer(&mut same, package).is_ok() && same.at == self.rendered.len();
        matched.then_some(actor)
    }
}

/// The JSON text of a stored value.
pub fn unpack(stored: &[u8]) -> StorageResult<String> {
    match stored.first() {
        Some(&ZSTD_CKAN_1) => unpack_frame(&stored[1..]),
        Some(&PACKAGE_ACTIVITY) => unpack_package_activity(&stored[1..]),
        Some(&DOCUMENT_BY_RENDERED) => Err(damaged("a document read without its rendered dict")),
        _ => String::from_utf8(stored.to_vec()).map_err(|_| damaged("not UTF-8 text")),
    }
}

/// [`unpack`], keeping the bytes of a value stored as text.
pub fn unpack_owned(stored: Vec<u8>) -> StorageResult<String> {
    match stored.first() {
        Some(&ZSTD_CKAN_1 | &PACKAGE_ACTIVITY | &DOCUMENT_BY_RENDERED) => unpack(&stored),
        _ => String::from_utf8(stored).map_err(|_| damaged("not UTF-8 text")),
    }
}

/// The size of the text a frame holds, as its header says.
fn frame_size(frame: &[u8]) -> StorageResult<usize> {
    match zstd_safe::get_frame_content_size(frame) {
        Ok(Some(size)) if size <= LARGEST_TEXT => Ok(size as usize),
        _ => Err(damaged("bad frame header")),
    }
}

fn unpack_frame(frame: &[u8]) -> StorageResult<String> {
    let size = frame_size(frame)?;
    let bytes = DECOMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let decompressor = match &mut *cell {
            Some(decompressor) => decompressor,
            empty => empty.insert(
                Decompressor::with_prepared_dictionary(&DECODER).map_err(|e| damaged(&e.to_string()))?,
            ),
        };
        decompressor.decompress(frame, size).map_err(|e| damaged(&e.to_string()))
    })?;
    String::from_utf8(bytes).map_err(|_| damaged("not UTF-8 text"))
}

/// `{"package":<dict>,"actor":<actor>}` from a [`PACKAGE_ACTIVITY`] value (after its tag).
fn unpack_package_activity(stored: &[u8]) -> StorageResult<String> {
    let (length, rest) = stored.split_first_chunk::<4>().ok_or_else(|| damaged("short activity header"))?;
    let length = usize::try_from(u32::from_le_bytes(*length)).map_err(|_| damaged("bad activity header"))?;
    if rest.len() < length {
        return Err(damaged("short activity header"));
    }
    let (actor, package) = rest.split_at(length);
    let actor = std::str::from_utf8(actor).map_err(|_| damaged("not UTF-8 text"))?;
    if package.first() == Some(&PACKAGE_ACTIVITY) {
        return Err(damaged("a nested activity"));
    }
    let package = unpack(package)?;
    let mut text = String::with_capacity(package.len() + actor.len() + 22);
    text.push_str("{\"package\":");
    text.push_str(&package);
    text.push_str(",\"actor\":");
    text.push_str(actor);
    text.push('}');
    Ok(text)
}

/// A JSON text kept in memory (the read cache's datasets): an LZ4 block against the same
/// dictionary. About a third larger than the stored zstd frame, and unpacked in half the time:
/// no entropy tables to rebuild for every value (a 6.8 KB dict: 2.5 µs against 5).
#[derive(Debug)]
pub struct CachedText {
    block: Box<[u8]>,
    /// The text's length in bytes.
    len: usize,
    /// [`text_hash`] of the text.
    hash: u64,
}

/// A 64-bit hash of a text (SipHash-1-3 with zero keys), which the search index keeps beside
/// each stored dict so that a page of results may take the read cache's copy of a dict only
/// when it is the very text the index holds. Not a stored format: an index written by another
/// build may disagree, and then the dict is read from the index, as without a cache.
pub fn text_hash(text: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(text);
    hasher.finish()
}

impl CachedText {
    /// `text`, packed to be kept; `None` if it could not be packed (the block is as large as
    /// the worst case, so it never runs out of room), and then it is not kept at all.
    pub fn new(text: &str) -> Option<CachedText> {
        let mut block = vec![0; lz4_flex::block::get_maximum_output_size(text.len())];
        let written =
            lz4_flex::block::compress_into_with_dict(text.as_bytes(), &mut block, DICTIONARY).ok()?;
        block.truncate(written);
        Some(CachedText {
            block: block.into_boxed_slice(),
            len: text.len(),
            hash: text_hash(text.as_bytes()),
        })
    }

    /// [`text_hash`] of the text.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The text's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes kept.
    pub fn size(&self) -> usize {
        self.block.len()
    }

    /// Appends the text's bytes to `out`: the very bytes [`CachedText::new`] was given, which were
    /// UTF-8 text, so that they may be sent as they are.
    pub fn append_to(&self, out: &mut Vec<u8>) -> StorageResult<()> {
        let start = out.len();
        out.resize(start + self.len, 0);
        match lz4_flex::block::decompress_into_with_dict(&self.block, &mut out[start..], DICTIONARY) {
            Ok(written) if written == self.len => Ok(()),
            _ => {
                out.truncate(start);
                Err(damaged("a cached text does not unpack"))
            }
        }
    }

    /// The text.
    pub fn text(&self) -> StorageResult<String> {
        let mut bytes = Vec::with_capacity(self.len);
        self.append_to(&mut bytes)?;
        String::from_utf8(bytes).map_err(|_| damaged("not UTF-8 text"))
    }
}

fn damaged(why: &str) -> StorageError {
    StorageError::Internal(format!("a stored value could not be read: {why}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn held_texts_come_back_as_they_were() {
        let dict = serde_json::json!({
            "name": "sykkelparkering", "title": "Cykelparkering i Odense — æøå",
            "notes": "x".repeat(3000), "resources": [{"format": "CSV", "url": "https://example.org/a.csv"}],
        })
        .to_string();
        for text in ["", "{}", "\u{1F600} ünïcode", dict.as_str()] {
            let held = CachedText::new(text).unwrap();
            assert_eq!(held.len(), text.len());
            assert_eq!(held.hash(), text_hash(text.as_bytes()));
            assert_eq!(held.text().unwrap(), text);
            let mut out = b"head:".to_vec();
            held.append_to(&mut out).unwrap();
            assert_eq!(out, [b"head:".as_slice(), text.as_bytes()].concat());
        }
        // The dictionary is used: a dict in CKAN's shape packs far smaller than its text.
        let held = CachedText::new(&dict).unwrap();
        assert!(held.size() * 5 < dict.len(), "{} of {}", held.size(), dict.len());
        // Texts that differ by a byte hash apart.
        let other = dict.replacen("Odense", "Odensf", 1);
        assert_ne!(CachedText::new(&other).unwrap().hash(), held.hash());
    }

    #[test]
    fn a_damaged_cached_text_is_an_error_and_appends_nothing() {
        let mut held = CachedText::new(&"{\"notes\": \"abc\"}".repeat(20)).unwrap();
        held.len += 1;
        let mut out = b"head".to_vec();
        assert!(held.append_to(&mut out).is_err());
        assert_eq!(out, b"head");
    }

    #[test]
    fn the_dictionary_never_changes() {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(DICTIONARY);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex, "b6c04fb3bfeb1923691375b588956fda46d86a4daaad184b658708ec79f27adf",
            "values packed with tag 1 need this very dictionary"
        );
    }

    #[test]
    fn texts_round_trip() {
        let resources: Vec<String> = (0..12)
            .map(|i| {
                format!(
                    r#"{{"id":"r-{i}","name":"Counts {i}","format":"CSV","url":"https://example.org/counts-{i}.csv","state":"active","position":{i}}}"#
                )
            })
            .collect();
        let dataset = &format!(
            r#"{{"name":"traffic-counts","title":"Traffic counts","notes":"Hourly counts.","resources":[{}]}}"#,
            resources.join(",")
        );
        for text in [dataset, "{}", "", "{\"name\":\"æøå\"}", &"x".repeat(10_000)] {
            let stored = pack(text);
            assert_eq!(unpack(&stored).unwrap(), text);
            assert_eq!(unpack_owned(stored).unwrap(), text);
        }
        let stored = pack(dataset);
        assert_eq!(stored[0], ZSTD_CKAN_1);
        assert!(stored.len() * 3 < dataset.len(), "{} of {}", stored.len(), dataset.len());
    }

    /// A text of `len` bytes that differs with `seed`.
    fn dataset_text(seed: usize, len: usize) -> String {
        let mut text = format!(r#"{{"name":"counts-{seed}","notes":""#);
        while text.len() < len {
            text.push_str(&format!("Hourly counts at station {} of {seed}. ", text.len() % 97));
        }
        text.push_str("\"}");
        text
    }

    #[test]
    fn a_text_packed_beside_other_work_is_packed_as_here() {
        for len in [10, SMALLEST_BESIDE - 10, SMALLEST_BESIDE + 10, 20_000] {
            let text = dataset_text(len, len);
            let (packed, here) = pack_beside(text.clone(), || pack(&dataset_text(1, 5000)));
            assert_eq!(packed, pack(&text), "{len} bytes");
            assert_eq!(here, pack(&dataset_text(1, 5000)));
            assert_eq!(unpack(&packed).unwrap(), text);
        }
    }

    #[test]
    fn texts_packed_beside_by_many_threads_at_once_each_get_their_own() {
        std::thread::scope(|scope| {
            for thread in 0..8 {
                scope.spawn(move || {
                    for round in 0..40 {
                        let seed = thread * 1000 + round;
                        let text = dataset_text(seed, 3000 + round * 50);
                        let (packed, here) = pack_beside(text.clone(), || seed);
                        assert_eq!(here, seed);
                        assert_eq!(unpack(&packed).unwrap(), text, "thread {thread}, round {round}");
                    }
                });
            }
        });
    }

    /// A dataset's rendered dict: its document with an id and times before the same fields.
    fn rendered_of(document: &str) -> String {
        format!(r#"{{"id":"d-1","metadata_created":"2026-12-07T10:00:00",{}"#, &document[1..])
    }

    #[test]
    fn a_document_is_packed_against_its_rendered_dict() {
        let document = serde_json::json!({
            "name": "trafiktaellinger", "title": "Trafiktællinger i Odense",
            "notes": (0..40).map(|i| format!("Station {i}: hourly counts since {}. ", 1990 + i)).collect::<String>(),
            "resources": (0..8).map(|i| serde_json::json!({"id": format!("r-{i}"), "format": "CSV",
                "url": format!("https://example.org/counts-{i}.csv")})).collect::<Vec<_>>(),
        })
        .to_string();
        let rendered = rendered_of(&document);
        let stored = pack_document(&document, &rendered);
        assert_eq!(stored[0], DOCUMENT_BY_RENDERED);
        let alone = pack(&document);
        assert!(stored.len() * 3 < alone.len(), "{} against {} alone", stored.len(), alone.len());
        assert_eq!(unpack_document(&stored, &rendered).unwrap(), document);
        // Without its rendered dict it cannot be read, and says so.
        assert!(unpack(&stored).is_err());
        assert!(unpack_owned(stored.clone()).is_err());
        // Damage is an error, not a panic.
        for cut in [1, 4, stored.len() / 2] {
            assert!(unpack_document(&stored[..cut], &rendered).is_err(), "cut at {cut}");
        }
        // Documents stored before, packed alone or as text, read as they are; short ones and
        // those of a dataset without a rendered dict yet are packed alone.
        assert_eq!(unpack_document(&alone, &rendered).unwrap(), document);
        assert_eq!(unpack_document(b"{\"name\":\"old\"}", &rendered).unwrap(), "{\"name\":\"old\"}");
        assert_eq!(pack_document("{\"name\":\"x\"}", &rendered), b"{\"name\":\"x\"}");
        assert_eq!(pack_document(&document, ""), alone);
    }

    #[test]
    fn a_datasets_values_packed_on_the_packing_thread_are_those_packed_here() {
        for seed in 0..20 {
            let document = dataset_text(seed, 2000 + seed * 300);
            let rendered = rendered_of(&document);
            let later = pack_later(document.clone(), rendered.clone());
            let (stored_document, stored_rendered) = match later {
                Ok(later) => later.finish(),
                Err(_) => continue,
            };
            assert_eq!(stored_document, pack_document(&document, &rendered));
            assert_eq!(stored_rendered, pack(&rendered));
            assert_eq!(
                unpack_document(&stored_document, &unpack(&stored_rendered).unwrap()).unwrap(),
                document
            );
        }
    }

    #[test]
    fn a_dataset_activity_holds_the_rendered_dicts_stored_value() {
        use serde_json::json;
        let dict = json!({
            "name": "traffic-counts",
            "title": "Trafiktællinger \"hver time\"",
            "notes": "Hourly counts. ".repeat(20),
            "resources": [{"id": "r-1", "format": "CSV"}],
        });
        let rendered = pack_rendered(&dict.to_string());
        for actor in [json!("odense"), json!("a \"quoted\" name"), Value::Null] {
            let data = json!({"package": dict, "actor": actor});
            let stored = pack_activity(&data);
            assert_eq!(stored[0], PACKAGE_ACTIVITY);
            assert!(stored.ends_with(&rendered), "the dict's bytes are the row's");
            assert_eq!(unpack(&stored).unwrap(), data.to_string());
            assert_eq!(unpack_owned(stored).unwrap(), data.to_string());
        }
        // Another dict than the one packed last is packed on its own: one that differs in a
        // byte, one with a shorter text, one with a key more at the end.
        let mut differs = dict.clone();
        differs["resources"][0]["format"] = json!("CSW");
        let mut shorter = dict.clone();
        shorter["resources"] = json!([]);
        let mut longer = dict.clone();
        longer["extra"] = json!("more");
        let other = json!({"name": "other", "notes": "Something else entirely. ".repeat(10)});
        for other in [differs, shorter, longer, other] {
            let data = json!({"package": other, "actor": "odense"});
            let stored = pack_activity(&data);
            assert!(!stored.ends_with(&rendered), "{other}");
            assert_eq!(unpack(&stored).unwrap(), data.to_string());
        }
    }

    #[test]
    fn other_activity_payloads_are_packed_whole() {
        use serde_json::json;
        let notes = "Hourly counts. ".repeat(20);
        for data in [
            json!({"actor": "odense", "package": {"notes": notes}}),
            json!({"package": {"notes": notes}, "actor": "odense", "more": 1}),
            json!({"package": notes, "actor": "odense"}),
            json!({"group": {"name": "g", "description": notes}}),
            json!({}),
        ] {
            let stored = pack_activity(&data);
            assert_ne!(stored[0], PACKAGE_ACTIVITY);
            assert_eq!(unpack(&stored).unwrap(), data.to_string());
        }
    }

    #[test]
    fn a_damaged_dataset_activity_is_an_error() {
        let mut stored = pack_activity(&serde_json::json!({"package": {"name": "x"}, "actor": "odense"}));
        assert!(unpack(&stored).is_ok());
        for cut in [1, 3, 8] {
            assert!(unpack(&stored[..cut]).is_err(), "cut at {cut}");
        }
        stored[1] = 0xff;
        assert!(unpack(&stored).is_err());
        let nested = [&[PACKAGE_ACTIVITY, 0, 0, 0, 0][..], &stored].concat();
        assert!(unpack(&nested).is_err());
    }

    #[test]
    fn old_rows_read_as_they_are() {
        assert_eq!(unpack(b"{\"a\":1}").unwrap(), "{\"a\":1}");
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let mut stored = pack(&"{\"notes\":\"".repeat(100));
        stored.truncate(stored.len() / 2);
        assert!(unpack(&stored).is_err());
        assert!(unpack(&[ZSTD_CKAN_1]).is_err());
        assert!(unpack(&[0xff, 0xfe]).is_err());
    }
}
