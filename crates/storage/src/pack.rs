//! How the large JSON texts of the catalogue are stored: a dataset's document and rendered
//! dict, and each activity's payload (the dataset dict CKAN keeps with every activity).
//!
//! A stored value is either the JSON text itself (values written before packing existed, and
//! short ones), or the byte [`ZSTD_CKAN_1`] followed by a zstd frame compressed with the
//! dictionary in `pack/ckan-1.dict` (CKAN 2.12's own answers, made by
//! `scripts/pack-dictionary.py`). JSON text never starts with that byte, so both read alike and
//! no migration rewrites old rows. A dictionary never changes once values are packed with it: a
//! better one gets a new tag, and every tag stays readable.

use std::cell::RefCell;
use std::sync::LazyLock;

use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

use crate::{StorageError, StorageResult};

/// The tag of a value compressed with `pack/ckan-1.dict`.
pub const ZSTD_CKAN_1: u8 = 0x01;

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
        let mut out = Vec::with_capacity(1 + frame.len());
        out.push(ZSTD_CKAN_1);
        out.extend_from_slice(&frame);
        Some(out)
    });
    match packed {
        Some(out) if out.len() < text.len() => out,
        _ => text.as_bytes().to_vec(),
    }
}

/// The JSON text of a stored value.
pub fn unpack(stored: &[u8]) -> StorageResult<String> {
    match stored.first() {
        Some(&ZSTD_CKAN_1) => unpack_frame(&stored[1..]),
        _ => String::from_utf8(stored.to_vec()).map_err(|_| damaged("not UTF-8 text")),
    }
}

/// [`unpack`], keeping the bytes of a value stored as text.
pub fn unpack_owned(stored: Vec<u8>) -> StorageResult<String> {
    match stored.first() {
        Some(&ZSTD_CKAN_1) => unpack_frame(&stored[1..]),
        _ => String::from_utf8(stored).map_err(|_| damaged("not UTF-8 text")),
    }
}

fn unpack_frame(frame: &[u8]) -> StorageResult<String> {
    let size = match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(size)) if size <= LARGEST_TEXT => size as usize,
        _ => return Err(damaged("bad frame header")),
    };
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

fn damaged(why: &str) -> StorageError {
    StorageError::Internal(format!("a stored value could not be read: {why}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
