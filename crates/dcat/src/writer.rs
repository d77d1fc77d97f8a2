//! Writing catalogues and datasets as they are produced.

use std::io::Write;

use oxjsonld::{JsonLdSerializer, WriterJsonLdSerializer};
use oxrdf::{GraphNameRef, NamedNode, Triple};
use oxrdfxml::{RdfXmlSerializer, WriterRdfXmlSerializer};
use oxttl::ntriples::WriterNTriplesSerializer;
use oxttl::turtle::WriterTurtleSerializer;
use oxttl::{NTriplesSerializer, TurtleSerializer};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::out::Mapper;
use crate::vocab::PREFIXES;
use crate::{DcatError, Profile, RdfFormat};

/// What a query value keeps unencoded in a page link: RFC 3986's unreserved characters.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The portal the catalogue describes (`dcat:Catalog`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CatalogInfo {
    /// `ckan.site_url`, e.g. `https://data.example.dk`: the catalogue is `{site_url}/`, datasets
    /// `{site_url}/dataset/{id}`, distributions `{site_url}/dataset/{id}/resource/{id}`,
    /// organizations `{site_url}/organization/{id}`.
    pub site_url: String,
    /// `dct:title` (`ckan.site_title`).
    pub title: String,
    /// `dct:description` (`ckan.site_description`); the title when empty, as DCAT-AP requires one.
    pub description: String,
    /// `dct:language` (`ckan.locale_default`), a code such as `da` or an IRI.
    pub language: Option<String>,
    /// `dct:modified`: when a dataset of the catalogue last changed (the newest
    /// `metadata_modified`).
    pub modified: Option<String>,
    /// `dct:publisher`; when `None`, an agent named by the title with the site as homepage.
    pub publisher: Option<Agent>,
}

impl CatalogInfo {
    pub fn new(site_url: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            site_url: site_url.into(),
            title: title.into(),
            description: String::new(),
            language: None,
            modified: None,
            publisher: None,
        }
    }
}

/// A `foaf:Agent`, e.g. the organisation running the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Agent {
    /// `foaf:name`.
    pub name: String,
    /// The agent's IRI; a blank node when `None`.
    pub uri: Option<String>,
    /// `foaf:mbox`.
    pub email: Option<String>,
    /// `foaf:homepage`.
    pub homepage: Option<String>,
}

impl Agent {
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), uri: None, email: None, homepage: None }
    }
}

/// Where a catalogue page sits in the whole result, for its `hydra:PagedCollection`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Paging {
    /// This page, from 1.
    pub page: u64,
    /// Datasets per page (`hydra:itemsPerPage`).
    pub page_size: u64,
    /// Datasets matching the query (`hydra:totalItems`).
    pub total: u64,
    /// The catalogue endpoint's URL without a query, e.g. `https://data.example.dk/catalog.ttl`.
    pub base_url: String,
    /// The request's parameters that page links keep (ckanext-dcat keeps `modified_since`,
    /// `profiles`, `q` and `fq`), in order; `page` is added by [`Paging::page_url`].
    pub query: Vec<(String, String)>,
}

impl Paging {
    pub fn new(page: u64, page_size: u64, total: u64, base_url: impl Into<String>) -> Self {
        Self {
            page: page.max(1),
            page_size: page_size.max(1),
            total,
            base_url: base_url.into(),
            query: Vec::new(),
        }
    }

    /// Keeps a query parameter in the page links.
    pub fn keep(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// `{base_url}?{kept parameters&}page=N`, the values percent-encoded.
    pub fn page_url(&self, page: u64) -> String {
        let mut url = self.base_url.clone();
        url.push('?');
        for (name, value) in &self.query {
            url.extend(utf8_percent_encode(name, QUERY_VALUE));
            url.push('=');
            url.extend(utf8_percent_encode(value, QUERY_VALUE));
            url.push('&');
        }
        url.push_str(&format!("page={page}"));
        url
    }

    /// The last page (1 when nothing matched).
    pub fn last_page(&self) -> u64 {
        self.total.div_ceil(self.page_size).max(1)
    }
}

/// The serialiser for one output format. Each writes triple by triple to its output (none of
/// them needs the whole graph), so a catalogue page goes out as its datasets are mapped.
enum Sink<W: Write> {
    Turtle(WriterTurtleSerializer<W>),
    NTriples(WriterNTriplesSerializer<W>),
    RdfXml(WriterRdfXmlSerializer<W>),
    JsonLd(WriterJsonLdSerializer<W>),
}

impl<W: Write> Sink<W> {
    fn new(format: RdfFormat, out: W) -> Result<Self, DcatError> {
        let invalid = |e: oxrdf::IriParseError| DcatError::InvalidIri(e.to_string());
        Ok(match format {
            RdfFormat::Turtle => {
                let mut serializer = TurtleSerializer::new();
                for (prefix, iri) in PREFIXES {
                    serializer = serializer.with_prefix(*prefix, *iri).map_err(invalid)?;
                }
                Self::Turtle(serializer.for_writer(out))
            }
            RdfFormat::NTriples => Self::NTriples(NTriplesSerializer::new().for_writer(out)),
            RdfFormat::RdfXml => {
                let mut serializer = RdfXmlSerializer::new();
                for (prefix, iri) in PREFIXES {
                    serializer = serializer.with_prefix(*prefix, *iri).map_err(invalid)?;
                }
                Self::RdfXml(serializer.for_writer(out))
            }
            RdfFormat::JsonLd => {
                let mut serializer = JsonLdSerializer::new();
                for (prefix, iri) in PREFIXES {
                    serializer = serializer.with_prefix(*prefix, *iri).map_err(invalid)?;
                }
                Self::JsonLd(serializer.for_writer(out))
            }
        })
    }

    fn write(&mut self, triples: &[Triple]) -> Result<(), DcatError> {
        for triple in triples {
            match self {
                Self::Turtle(s) => s.serialize_triple(triple)?,
                Self::NTriples(s) => s.serialize_triple(triple)?,
                Self::RdfXml(s) => s.serialize_triple(triple)?,
                Self::JsonLd(s) => s.serialize_quad(triple.as_ref().in_graph(GraphNameRef::DefaultGraph))?,
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<W, DcatError> {
        Ok(match self {
            Self::Turtle(s) => s.finish()?,
            Self::NTriples(s) => s.finish(),
            Self::RdfXml(s) => s.finish()?,
            Self::JsonLd(s) => s.finish()?,
        })
    }
}

/// Writes a DCAT catalogue page: the `dcat:Catalog`, then each dataset as it is given, then
/// the catalogue's `dcat:dataset` links and the Hydra paging.
///
/// Output goes to `out` while datasets are added: a dataset's triples are collected (to group
/// them by subject) and written before the next dataset is taken. The serialisers write
/// unbuffered, so give it a buffered writer.
pub struct CatalogWriter<W: Write> {
    mapper: Mapper,
    sink: Sink<W>,
    paging: Option<Paging>,
    datasets: Vec<NamedNode>,
}

impl<W: Write> CatalogWriter<W> {
    /// Starts the document and writes the catalogue's own description.
    pub fn new(
        format: RdfFormat,
        profile: Profile,
        info: &CatalogInfo,
        paging: Option<Paging>,
        out: W,
    ) -> Result<Self, DcatError> {
        let mut mapper = Mapper::new(profile, &info.site_url)?;
        let mut sink = Sink::new(format, out)?;
        mapper.catalog(info);
        sink.write(&mapper.take())?;
        Ok(Self { mapper, sink, paging, datasets: Vec::new() })
    }

    /// Writes one dataset, a dict as `package_show` returns it.
    pub fn dataset(&mut self, dataset: &Value) -> Result<(), DcatError> {
        let iri = self.mapper.dataset(dataset)?;
        self.sink.write(&self.mapper.take())?;
        self.datasets.push(iri);
        Ok(())
    }

    /// Writes the links from the catalogue to its datasets and the paging, ends the document
    /// and returns the output.
    pub fn finish(mut self) -> Result<W, DcatError> {
        self.mapper.catalog_links(&self.datasets);
        if let Some(paging) = &self.paging {
            self.mapper.paging(paging, self.datasets.len() as u64);
        }
        self.sink.write(&self.mapper.take())?;
        self.sink.finish()
    }
}

/// Writes one dataset on its own (`/dataset/{id}.ttl`), without the catalogue around it.
pub fn write_dataset<W: Write>(
    dataset: &Value,
    info: &CatalogInfo,
    profile: Profile,
    format: RdfFormat,
    out: W,
) -> Result<W, DcatError> {
    let mut mapper = Mapper::new(profile, &info.site_url)?;
    let mut sink = Sink::new(format, out)?;
    mapper.dataset(dataset)?;
    sink.write(&mapper.take())?;
    sink.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_query() {
        let paging =
            Paging::new(2, 100, 250, "https://x.dk/catalog.ttl").keep("q", "a b").keep("fq", "tags:x");
        assert_eq!(paging.page_url(3), "https://x.dk/catalog.ttl?q=a%20b&fq=tags%3Ax&page=3");
        assert_eq!(paging.last_page(), 3);
        assert_eq!(Paging::new(1, 100, 0, "u").last_page(), 1);
    }
}
