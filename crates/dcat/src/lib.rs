#![doc = include_str!("../README.md")]

mod ckan;
mod error;
mod format;
mod geo;
mod out;
mod parse;
mod slug;
mod terms;
mod vocab;
mod writer;

pub use error::DcatError;
pub use format::RdfFormat;
pub use parse::{ParsedPage, parse};
pub use writer::{Agent, CatalogInfo, CatalogWriter, Paging, write_dataset};

/// The application profile the output follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// DCAT-AP 3.0.1, as ckanext-dcat's `euro_dcat_ap_3` profile writes it.
    #[default]
    DcatAp3,
    /// DCAT-AP-DK, the Danish profile (Digitaliseringsstyrelsen). Its 2.0.1 shapes differ from
    /// DCAT-AP 3 in a few places, and this profile follows them there: `dcat:byteSize` is an
    /// `xsd:decimal`; a checksum is written only when it is SHA-1 (the one algorithm DK
    /// accepts); `locn:geometry` is a WKT literal; catalogue and distribution dates are written
    /// only when they are an `xsd:date` or `xsd:dateTime` (not a bare year or month); the
    /// version is also given as `owl:versionInfo`, and other versions as `dct:hasVersion`.
    DcatApDk,
}

/// The format of a harvested document, from its `Content-Type`, its URL's extension or its
/// first bytes (see [`RdfFormat::guess`]).
pub fn guess_format(content_type: Option<&str>, url: Option<&str>, body: &[u8]) -> Option<RdfFormat> {
    RdfFormat::guess(content_type, url, body)
}
