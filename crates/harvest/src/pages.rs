//! The one format-specific step of harvesting a DCAT catalogue: reading one fetched page into
//! CKAN dataset dicts and the link to the next page. Fetching, paging (Hydra `nextPage`), loop
//! detection, limits, importing and deleting are the engine's ([`crate::engine`]), the same for
//! every format.
//!
//! `dcat_rdf` pages (DCAT-AP in Turtle, RDF/XML, JSON-LD or N-Triples, told apart by their
//! `Content-Type`, their URL and their first bytes) are read by `datahavn-dcat` as
//! ckanext-dcat's RDF harvester reads them; `dcat_json` pages (DCAT-US `data.json`) by
//! `datahavn-datajson` as ckanext-dcat's JSON harvester does.

use datahavn_domain::harvest::SourceType;
use serde_json::Value;

/// One page of a remote catalogue, read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The datasets on the page, as CKAN dataset dicts (what `package_create` takes: `name`,
    /// `title`, `notes`, `tags`, `extras`, `resources`, ...). A dict's `id` is ignored (the
    /// local id is the engine's); its remote identity is [`identifier_of`] it. Resources may
    /// carry `uri` (the distribution's URI): resources keep their local ids across harvests
    /// by `uri`, else by `url`.
    pub datasets: Vec<Value>,
    /// The absolute URL of the next page (Hydra `nextPage`/`next`), if any.
    pub next_page: Option<String>,
}

/// Why a page could not be read; recorded as a gather error, and the catalogue's listing stops
/// there (so nothing is deleted locally on that run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageError(pub String);

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads one fetched page of a `source_type` catalogue: `content_type` is the response's
/// `Content-Type` (without parameters, lower case; empty when absent), `url` the page's own
/// URL (to resolve relative links), `body` the bytes as received.
pub fn parse_page(
    source_type: SourceType,
    content_type: &str,
    url: &str,
    body: &[u8],
) -> Result<Page, PageError> {
    match source_type {
        SourceType::DcatRdf => {
            let content_type = Some(content_type).filter(|c| !c.is_empty());
            let format = datahavn_dcat::guess_format(content_type, Some(url), body).ok_or_else(|| {
                PageError(format!(
                    "{url}: not an RDF document (Content-Type {})",
                    content_type.unwrap_or("none")
                ))
            })?;
            let parsed = datahavn_dcat::parse(body, format, Some(url))
                .map_err(|e| PageError(format!("{url}: could not read the catalogue: {e}")))?;
            // Valid RDF that does not speak DCAT at all (a JSON answer read as JSON-LD, say) is
            // not an empty catalogue: taken as one, it would delete every harvested dataset.
            if parsed.datasets.is_empty() && !contains(body, DCAT_NAMESPACE) {
                return Err(PageError(format!("{url}: not a DCAT catalogue (no {DCAT_NAMESPACE} terms)")));
            }
            Ok(Page { datasets: parsed.datasets, next_page: parsed.next_page })
        }
        SourceType::DcatJson => {
            let catalog = datahavn_datajson::Catalog::parse(body)
                .map_err(|e| PageError(format!("{url}: could not read the data.json catalogue: {e}")))?;
            let mut datasets = Vec::with_capacity(catalog.len());
            for dataset in catalog.datasets() {
                match dataset {
                    Ok(dataset) => datasets.push(dataset),
                    // Not a dataset at all (no object, so no identifier either): nothing to map.
                    Err(error) => log::warn!("{url}: an entry of `dataset` left out: {error}"),
                }
            }
            Ok(Page { datasets, next_page: None })
        }
        SourceType::Ckan => Err(PageError("ckan sources are read through the CKAN Action API".into())),
    }
}

const DCAT_NAMESPACE: &str = "http://www.w3.org/ns/dcat#";

fn contains(body: &[u8], needle: &str) -> bool {
    body.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The remote identity of a dataset read by [`parse_page`]: what maps it to its local dataset
/// from one harvest to the next. Its `identifier` (DCAT `dct:identifier`), else its `uri`
/// (the dataset's RDF URI), else its `url`, each looked up as a top-level key and then in
/// `extras`, else its `name`.
pub fn identifier_of(dataset: &Value) -> Option<String> {
    let extra = |key: &str| -> Option<String> {
        dataset.get("extras")?.as_array()?.iter().find_map(|e| {
            (e.get("key")?.as_str()? == key).then(|| e.get("value")?.as_str().map(str::to_owned)).flatten()
        })
    };
    let field = |key: &str| -> Option<String> {
        dataset
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| extra(key))
            .filter(|v| !v.trim().is_empty())
    };
    field("identifier").or_else(|| field("uri")).or_else(|| field("url")).or_else(|| field("name"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_that_are_not_catalogues_are_errors() {
        let html = b"<!DOCTYPE html><html><body>Not here</body></html>";
        let rdf = parse_page(SourceType::DcatRdf, "text/html", "http://x/catalog", html).unwrap_err();
        assert!(rdf.0.starts_with("http://x/catalog: "), "{rdf}");
        let broken =
            parse_page(SourceType::DcatRdf, "text/turtle", "http://x/c.ttl", b"<a> <b> ").unwrap_err();
        assert!(broken.0.contains("could not read the catalogue"), "{broken}");
        let api = parse_page(SourceType::DcatRdf, "application/json", "http://x/api/3", br#"{"version": 3}"#);
        assert!(api.unwrap_err().0.contains("not a DCAT catalogue"));
        let empty = b"@prefix dcat: <http://www.w3.org/ns/dcat#> . <http://x/> a dcat:Catalog .";
        assert!(
            parse_page(SourceType::DcatRdf, "text/turtle", "http://x/c.ttl", empty)
                .unwrap()
                .datasets
                .is_empty()
        );
        let json = parse_page(SourceType::DcatJson, "text/html", "http://x/data.json", html).unwrap_err();
        assert!(json.0.contains("could not read the data.json catalogue"), "{json}");
    }

    #[test]
    fn identifiers_come_from_identifier_uri_url_then_name() {
        assert_eq!(identifier_of(&json!({"identifier": "a", "uri": "b"})).as_deref(), Some("a"));
        assert_eq!(
            identifier_of(&json!({"extras": [{"key": "uri", "value": "u"}], "name": "n"})).as_deref(),
            Some("u")
        );
        assert_eq!(identifier_of(&json!({"name": "n"})).as_deref(), Some("n"));
        assert_eq!(identifier_of(&json!({})), None);
    }
}
