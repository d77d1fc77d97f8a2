//! The catalogue: what the site says about itself, and the streamed `data.json` document.

use std::io::Write;

use serde_json::{Map, Value};

use crate::error::DatajsonError;
use crate::export::dataset_json;
use crate::valid;

/// `@context` of a DCAT-US 1.1 catalogue.
pub const CONTEXT: &str = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld";
/// `conformsTo` of a DCAT-US 1.1 catalogue.
pub const CONFORMS_TO: &str = "https://project-open-data.cio.gov/v1.1/schema";
/// `describedBy` of a DCAT-US 1.1 catalogue: its JSON schema.
pub const DESCRIBED_BY: &str = "https://project-open-data.cio.gov/v1.1/schema/catalog.json";

/// What the site says about itself: where it is, its name, whom to write to. Datasets that lack
/// a publisher, a contact or keywords fall back on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogInfo {
    site_url: String,
    title: String,
    contact_email: String,
    language: String,
    generated: String,
}

impl CatalogInfo {
    /// `site_url` is the site's public root (`https://data.example.org`), `title` its name,
    /// `contact_email` the address for datasets that name none (CKAN's
    /// `ckan.site_contact_email`-like setting; `mailto:` is optional).
    ///
    /// # Errors
    /// [`DatajsonError::InvalidCatalogInfo`] when the URL is not an absolute http(s) URL, the
    /// title is blank or the address is not one the schema accepts.
    pub fn new(site_url: &str, title: &str, contact_email: &str) -> Result<Self, DatajsonError> {
        let invalid = |field: &'static str, message: &str| DatajsonError::InvalidCatalogInfo {
            field,
            message: message.into(),
        };
        let site_url = valid::link(site_url, "")
            .filter(|u| u.starts_with("http") && !u.contains(['?', '#']))
            .ok_or_else(|| invalid("site_url", "not an absolute http(s) URL without query or fragment"))?
            .trim_end_matches('/')
            .to_owned();
        let title = title.trim();
        if title.is_empty() {
            return Err(invalid("title", "blank"));
        }
        let given = contact_email.trim();
        let contact_email = valid::email(given)
            .filter(|e| {
                given.len() == e.len()
                    || (given.len() == e.len() + 7
                        && given.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("mailto:")))
            })
            .ok_or_else(|| invalid("contact_email", "not one e-mail address"))?;
        Ok(CatalogInfo {
            site_url,
            title: title.to_owned(),
            contact_email,
            language: "en".into(),
            generated: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        })
    }

    /// The language (`de`, `fr`) whose text to take from multilingual values
    /// (`{"de": "...", "fr": "..."}`); English by default, then whichever is not blank.
    #[must_use]
    pub fn with_language(mut self, language: &str) -> Self {
        self.language = language.trim().to_owned();
        self
    }

    /// The site's root URL, without a trailing `/`.
    pub fn site_url(&self) -> &str {
        &self.site_url
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    /// The bare address (no `mailto:`).
    pub fn contact_email(&self) -> &str {
        &self.contact_email
    }

    pub fn language(&self) -> &str {
        &self.language
    }

    /// The catalogue's `@id`: the URL of its `data.json`.
    pub fn catalog_id(&self) -> String {
        format!("{}/data.json", self.site_url)
    }

    /// When this was made (UTC, ISO 8601): the `modified` of a dataset that has no date at all.
    pub(crate) fn generated(&self) -> &str {
        &self.generated
    }

    /// The catalogue's fields before `dataset`, in the order they are written.
    fn head(&self) -> Map<String, Value> {
        let mut head = Map::new();
        head.insert("@context".into(), CONTEXT.into());
        head.insert("@id".into(), self.catalog_id().into());
        head.insert("@type".into(), "dcat:Catalog".into());
        head.insert("conformsTo".into(), CONFORMS_TO.into());
        head.insert("describedBy".into(), DESCRIBED_BY.into());
        head
    }
}

/// The whole catalogue as one value: what [`CatalogWriter`] writes, for small catalogues and
/// tests.
///
/// # Errors
/// The first dataset [`dataset_json`] refuses.
pub fn catalog_json<'a>(
    catalog: &CatalogInfo,
    packages: impl IntoIterator<Item = &'a Value>,
) -> Result<Value, DatajsonError> {
    let datasets = packages.into_iter().map(|p| dataset_json(p, catalog)).collect::<Result<Vec<_>, _>>()?;
    let mut doc = catalog.head();
    doc.insert("dataset".into(), datasets.into());
    Ok(Value::Object(doc))
}

/// Writes a `data.json` catalogue one dataset at a time, so a catalogue of any size is never
/// held in memory: [`CatalogWriter::new`] writes the head, [`CatalogWriter::dataset`] converts
/// and appends one CKAN dataset, [`CatalogWriter::finish`] closes the document.
///
/// The output is compact JSON with one dataset per line. A writer dropped without `finish`
/// leaves an unterminated document.
pub struct CatalogWriter<W: Write> {
    out: W,
    catalog: CatalogInfo,
    written: usize,
}

impl<W: Write> CatalogWriter<W> {
    /// Writes the catalogue's head (`@context`, `@id`, `@type`, `conformsTo`, `describedBy`)
    /// and opens its `dataset` list.
    ///
    /// # Errors
    /// Writing failed.
    pub fn new(catalog: &CatalogInfo, mut out: W) -> Result<Self, DatajsonError> {
        let head = serde_json::to_string(&catalog.head()).map_err(std::io::Error::from)?;
        let open = head.strip_suffix('}').unwrap_or(&head);
        out.write_all(open.as_bytes())?;
        out.write_all(b",\"dataset\":[")?;
        Ok(CatalogWriter { out, catalog: catalog.clone(), written: 0 })
    }

    /// Converts one CKAN dataset dict (see [`dataset_json`]) and appends it.
    ///
    /// # Errors
    /// The dataset is refused (nothing is written; the writer stays usable), or writing failed
    /// (the document is then incomplete).
    pub fn dataset(&mut self, package: &Value) -> Result<(), DatajsonError> {
        let dataset = dataset_json(package, &self.catalog)?;
        self.write_dataset(&dataset)
    }

    /// Appends a dataset that is already DCAT-US JSON (for example one [`dataset_json`] made
    /// and the caller kept), unchanged.
    ///
    /// # Errors
    /// Writing failed.
    pub fn write_dataset(&mut self, dataset: &Value) -> Result<(), DatajsonError> {
        let text = serde_json::to_vec(dataset).map_err(std::io::Error::from)?;
        self.out.write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
        self.out.write_all(&text)?;
        self.written += 1;
        Ok(())
    }

    /// How many datasets have been written.
    pub fn len(&self) -> usize {
        self.written
    }

    pub fn is_empty(&self) -> bool {
        self.written == 0
    }

    /// Closes the `dataset` list and the document, flushes, and hands back the output.
    ///
    /// # Errors
    /// Writing or flushing failed.
    pub fn finish(mut self) -> Result<W, DatajsonError> {
        self.out.write_all(if self.written == 0 { b"]}\n" } else { b"\n]}\n" })?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn catalog_info_is_checked() {
        let info =
            CatalogInfo::new(" https://data.example.org/ ", " Example ", "mailto:open@example.org").unwrap();
        assert_eq!(info.site_url(), "https://data.example.org");
        assert_eq!(info.catalog_id(), "https://data.example.org/data.json");
        assert_eq!(info.contact_email(), "open@example.org");
        for (url, title, email) in [
            ("data.example.org", "T", "a@b.org"),
            ("ftp://data.example.org", "T", "a@b.org"),
            ("https://data.example.org/?x", "T", "a@b.org"),
            ("https://data.example.org", " ", "a@b.org"),
            ("https://data.example.org", "T", "a@b"),
            ("https://data.example.org", "T", "a@b.org, c@d.org"),
        ] {
            assert!(CatalogInfo::new(url, title, email).is_err(), "{url} {title} {email}");
        }
    }

    #[test]
    fn an_empty_catalogue() {
        let info = CatalogInfo::new("https://data.example.org", "Example", "open@example.org").unwrap();
        let bytes = CatalogWriter::new(&info, Vec::new()).unwrap().finish().unwrap();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(doc, catalog_json(&info, []).unwrap());
        assert_eq!(doc["dataset"], json!([]));
        assert_eq!(doc["@type"], "dcat:Catalog");
    }

    #[test]
    fn a_refused_dataset_writes_nothing() {
        let info = CatalogInfo::new("https://data.example.org", "Example", "open@example.org").unwrap();
        let mut writer = CatalogWriter::new(&info, Vec::new()).unwrap();
        writer.dataset(&json!({"id": "a"})).unwrap();
        assert!(writer.dataset(&json!("not a dataset")).is_err());
        writer.dataset(&json!({"id": "b"})).unwrap();
        assert_eq!(writer.len(), 2);
        let doc: Value = serde_json::from_slice(&writer.finish().unwrap()).unwrap();
        assert_eq!(doc["dataset"].as_array().unwrap().len(), 2);
    }
}
