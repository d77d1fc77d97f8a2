//! RDF serialisations: file extensions, media types, content negotiation and format guessing.

use std::fmt;

/// An RDF serialisation the crate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RdfFormat {
    /// `text/turtle`, `.ttl`.
    Turtle,
    /// `application/rdf+xml`, `.rdf` or `.xml`.
    RdfXml,
    /// `application/ld+json`, `.jsonld`.
    JsonLd,
    /// `application/n-triples`, `.nt`.
    NTriples,
}

impl RdfFormat {
    /// The format of a URL extension as ckanext-dcat's endpoints use them (`ttl`, `rdf`, `xml`,
    /// `jsonld`), plus `nt`; case-insensitive, with or without the dot.
    pub fn from_extension(extension: &str) -> Option<Self> {
        match extension.trim_start_matches('.').to_ascii_lowercase().as_str() {
            "ttl" | "turtle" => Some(Self::Turtle),
            "rdf" | "xml" | "owl" => Some(Self::RdfXml),
            "jsonld" | "json-ld" => Some(Self::JsonLd),
            "nt" => Some(Self::NTriples),
            _ => None,
        }
    }

    /// The format of a media type (parameters such as `; charset=utf-8` are ignored).
    /// `application/xml` and `text/xml` are read as RDF/XML and `application/json` as JSON-LD,
    /// as servers label them so; `text/n3` as Turtle, which covers what catalogues write as N3.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let essence = media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "text/turtle" | "application/x-turtle" | "application/turtle" | "text/n3" | "text/rdf+n3" => {
                Some(Self::Turtle)
            }
            "application/rdf+xml" | "application/xml" | "text/xml" => Some(Self::RdfXml),
            "application/ld+json" | "application/json" => Some(Self::JsonLd),
            "application/n-triples" => Some(Self::NTriples),
            _ => None,
        }
    }

    /// The media type to answer with.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Turtle => "text/turtle",
            Self::RdfXml => "application/rdf+xml",
            Self::JsonLd => "application/ld+json",
            Self::NTriples => "application/n-triples",
        }
    }

    /// The usual file extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Turtle => "ttl",
            Self::RdfXml => "rdf",
            Self::JsonLd => "jsonld",
            Self::NTriples => "nt",
        }
    }

    /// The format an `Accept` header asks for, or `None` when it prefers none of ours (or
    /// prefers HTML): the media ranges are taken by decreasing quality (`q`, default 1; `q=0`
    /// refuses), ties in the order written, as ckanext-dcat's `parse_accept_header`. A type
    /// wildcard picks a format of that type (`text/*` Turtle, `application/*` RDF/XML); `*/*`
    /// alone picks none, so the caller's default (HTML, or a format from the URL) applies.
    pub fn negotiate(accept: &str) -> Option<Self> {
        let mut ranges: Vec<(f32, usize, String)> = Vec::new();
        for (position, range) in accept.split(',').enumerate() {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            if media.is_empty() {
                continue;
            }
            let mut quality = 1.0_f32;
            for parameter in parts {
                if let Some((name, value)) = parameter.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    quality = value.trim().parse().unwrap_or(0.0);
                }
            }
            if quality > 0.0 {
                ranges.push((quality, position, media));
            }
        }
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, _, media) in ranges {
            if media == "text/html" || media == "application/xhtml+xml" {
                return None;
            }
            let exact = match media.as_str() {
                "text/turtle" | "application/x-turtle" => Some(Self::Turtle),
                "application/rdf+xml" => Some(Self::RdfXml),
                "application/ld+json" => Some(Self::JsonLd),
                "application/n-triples" => Some(Self::NTriples),
                "text/*" => Some(Self::Turtle),
                "application/*" => Some(Self::RdfXml),
                _ => None,
            };
            if exact.is_some() {
                return exact;
            }
        }
        None
    }

    /// The format of a harvested document: from its `Content-Type` when that names an RDF
    /// format, else from the URL's extension, else from the first bytes of the body.
    pub fn guess(content_type: Option<&str>, url: Option<&str>, body: &[u8]) -> Option<Self> {
        if let Some(format) = content_type.and_then(Self::from_media_type) {
            return Some(format);
        }
        if let Some(format) = url.and_then(url_extension).and_then(Self::from_extension) {
            return Some(format);
        }
        sniff(body)
    }
}

impl fmt::Display for RdfFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Turtle => "Turtle",
            Self::RdfXml => "RDF/XML",
            Self::JsonLd => "JSON-LD",
            Self::NTriples => "N-Triples",
        })
    }
}

/// The extension of a URL's last path segment (query and fragment ignored).
fn url_extension(url: &str) -> Option<&str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next()?;
    last.rsplit_once('.').map(|(_, ext)| ext)
}

/// The format the body's first characters suggest.
fn sniff(body: &[u8]) -> Option<RdfFormat> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &body[start..body.len().min(start + 512)];
    let head = String::from_utf8_lossy(head);
    if head.starts_with("<?xml") || head.starts_with("<rdf:RDF") || head.starts_with("<!") {
        return Some(RdfFormat::RdfXml);
    }
    if head.starts_with('{') || head.starts_with('[') {
        return Some(RdfFormat::JsonLd);
    }
    let lower = head.to_ascii_lowercase();
    if lower.starts_with("@prefix")
        || lower.starts_with("@base")
        || lower.starts_with("prefix")
        || lower.starts_with("base")
        || head.starts_with('#')
        || head.starts_with("_:")
    {
        return Some(RdfFormat::Turtle);
    }
    if let Some(rest) = head.strip_prefix('<') {
        // `<http://...> <...> ...` is Turtle (and N-Triples); `<element ...>` is XML.
        let inside = rest.split('>').next().unwrap_or_default();
        let is_iri =
            !inside.contains(char::is_whitespace) && (inside.contains("://") || inside.starts_with("urn:"));
        return Some(if is_iri { RdfFormat::Turtle } else { RdfFormat::RdfXml });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_and_media_types() {
        assert_eq!(RdfFormat::from_extension("ttl"), Some(RdfFormat::Turtle));
        assert_eq!(RdfFormat::from_extension("rdf"), Some(RdfFormat::RdfXml));
        assert_eq!(RdfFormat::from_extension("xml"), Some(RdfFormat::RdfXml));
        assert_eq!(RdfFormat::from_extension("jsonld"), Some(RdfFormat::JsonLd));
        assert_eq!(RdfFormat::from_extension("html"), None);
        for f in [RdfFormat::Turtle, RdfFormat::RdfXml, RdfFormat::JsonLd, RdfFormat::NTriples] {
            assert_eq!(RdfFormat::from_media_type(f.media_type()), Some(f));
            assert_eq!(RdfFormat::from_extension(f.extension()), Some(f));
        }
    }

    #[test]
    fn negotiation() {
        assert_eq!(RdfFormat::negotiate("text/turtle"), Some(RdfFormat::Turtle));
        assert_eq!(RdfFormat::negotiate("application/rdf+xml"), Some(RdfFormat::RdfXml));
        assert_eq!(RdfFormat::negotiate("application/ld+json"), Some(RdfFormat::JsonLd));
        assert_eq!(
            RdfFormat::negotiate("text/turtle;q=0.5, application/ld+json;q=0.9"),
            Some(RdfFormat::JsonLd)
        );
        assert_eq!(
            RdfFormat::negotiate("application/ld+json;q=0, text/turtle;q=0.1"),
            Some(RdfFormat::Turtle)
        );
        assert_eq!(RdfFormat::negotiate("text/html,application/xhtml+xml,*/*;q=0.8"), None);
        assert_eq!(
            RdfFormat::negotiate("application/rdf+xml;q=0.9, text/html;q=0.5"),
            Some(RdfFormat::RdfXml)
        );
        assert_eq!(RdfFormat::negotiate("*/*"), None);
        assert_eq!(RdfFormat::negotiate("text/*"), Some(RdfFormat::Turtle));
        assert_eq!(RdfFormat::negotiate(""), None);
        assert_eq!(RdfFormat::negotiate("image/png, application/json"), None);
    }

    #[test]
    fn guessing() {
        let g = RdfFormat::guess;
        assert_eq!(g(Some("text/turtle; charset=utf-8"), None, b""), Some(RdfFormat::Turtle));
        assert_eq!(
            g(Some("application/octet-stream"), Some("https://x/catalog.rdf?page=2"), b""),
            Some(RdfFormat::RdfXml)
        );
        assert_eq!(
            g(None, Some("https://x/catalog"), b"  <?xml version=\"1.0\"?><rdf:RDF/>"),
            Some(RdfFormat::RdfXml)
        );
        assert_eq!(g(None, None, b"@prefix dcat: <http://www.w3.org/ns/dcat#> ."), Some(RdfFormat::Turtle));
        assert_eq!(g(None, None, b"<http://a/b> <http://a/c> \"x\" ."), Some(RdfFormat::Turtle));
        assert_eq!(g(None, None, b"<rdf:RDF xmlns:rdf=\"...\">"), Some(RdfFormat::RdfXml));
        assert_eq!(g(None, None, b"\xEF\xBB\xBF{\"@context\": {}}"), Some(RdfFormat::JsonLd));
        assert_eq!(g(None, None, b"hello"), None);
    }
}
