//! The one format-specific step of harvesting a DCAT catalogue: reading one fetched page into
//! CKAN dataset dicts and the link to the next page. Fetching, paging (Hydra `nextPage`), loop
//! detection, limits, importing and deleting are the engine's ([`crate::engine`]), the same for
//! every format.
//!
//! The parsers of `dcat_rdf` (DCAT-AP in Turtle, RDF/XML, JSON-LD) and `dcat_json` (DCAT-US
//! `data.json`) plug in here, in [`parse_page`]; a build without them answers each page of
//! such a source with an error saying so, recorded as a gather error of the job.

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
    let _ = (content_type, url, body);
    match source_type {
        // Plug the DCAT-AP RDF reader in here.
        SourceType::DcatRdf => Err(no_parser(source_type)),
        // Plug the DCAT-US data.json reader in here.
        SourceType::DcatJson => Err(no_parser(source_type)),
        SourceType::Ckan => Err(PageError("ckan sources are read through the CKAN Action API".into())),
    }
}

fn no_parser(source_type: SourceType) -> PageError {
    PageError(format!("no parser for source type {} in this build", source_type.as_str()))
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
    fn a_build_without_parsers_says_so() {
        let error = parse_page(SourceType::DcatRdf, "text/turtle", "http://x", b"").unwrap_err();
        assert_eq!(error.0, "no parser for source type dcat_rdf in this build");
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
