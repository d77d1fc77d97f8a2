//! The actions ckanext-dcat registers: `dcat_dataset_show`, `dcat_catalog_show` and
//! `dcat_catalog_search` — datasets and pages of the catalogue as DCAT-AP RDF. The
//! `/catalog.{ttl,rdf,xml,jsonld}` and `/dataset/{id}.{…}` endpoints answer through them.

use datahavn_dcat::{Agent, CatalogInfo, CatalogWriter, Paging, RdfFormat};
use datahavn_domain::ValidationErrors;
use datahavn_domain::params::Params;
use serde_json::{Map, Value, json};

use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context};

/// Datasets per catalogue page (ckanext-dcat's `ckanext.dcat.datasets_per_page`).
pub const DATASETS_PER_PAGE: u64 = 100;

pub const DCAT_DATASET_SHOW: Action = Action {
    name: "dcat_dataset_show",
    side_effect_free: true,
    tag: "dcat",
    doc: "Return a dataset as DCAT-AP RDF.\n\n\
          The dataset is read as `package_show` reads it (private datasets only for those who may \
          read them) and written with the site's DCAT profile (DCAT-AP 3, or DCAT-AP-DK).\n\n\
          :returns: the serialized graph\n:rtype: string",
    request: request_doc::<DcatDatasetShowRequest>,
    response: response_doc::<String>,
    errors: &[
        (403, "The dataset is private and the caller may not read it"),
        (404, "No such dataset"),
        (409, "`id` missing, or an unknown `format`"),
    ],
    run: |ctx, params| dcat_dataset_show(ctx, DcatDatasetShowRequest::parse(params)?),
};

request! {
    /// The dataset to serialize.
    pub struct DcatDatasetShowRequest {
        /// The id or name of the dataset.
        pub id: String,
        /// `xml` / `rdf` (RDF/XML, the default), `ttl` (Turtle), `jsonld` (JSON-LD) or `nt`.
        pub format: Option<String>,
        /// Accepted for ckanext-dcat's clients; the site's profile is used.
        pub profiles: Option<String>,
    }
}

/// The output format a request names (RDF/XML when none).
fn format_of(name: Option<&str>) -> ActionResult<RdfFormat> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(RdfFormat::RdfXml),
        Some(name) => RdfFormat::from_extension(name)
            .or_else(|| RdfFormat::from_media_type(name))
            .ok_or_else(|| ActionError::field("format", format!("Unknown RDF format {name:?}"))),
    }
}

/// The catalogue as the site describes itself.
fn catalog_info(ctx: &Context<'_>) -> CatalogInfo {
    let site = &ctx.services.site;
    let mut info = CatalogInfo::new(site.site_url.clone(), site.title());
    info.description = site.description();
    info.language = Some(site.locale_default.clone()).filter(|l| !l.is_empty());
    let mut publisher = Agent::new(site.title());
    publisher.homepage = Some(format!("{}/", site.site_url));
    publisher.email = site.contact_email.clone();
    info.publisher = Some(publisher);
    info
}

fn rdf_error(error: datahavn_dcat::DcatError) -> ActionError {
    ActionError::Internal(format!("writing RDF: {error}"))
}

fn dcat_dataset_show(ctx: &Context<'_>, request: DcatDatasetShowRequest) -> ActionResult {
    let format = format_of(request.format.as_deref())?;
    let mut params = Map::new();
    params.insert("id".into(), Value::String(request.id));
    let dataset = (crate::package::PACKAGE_SHOW.run)(ctx, &Params::new(params))?;
    let out = datahavn_dcat::write_dataset(
        &dataset,
        &catalog_info(ctx),
        ctx.services.site.dcat_profile,
        format,
        Vec::new(),
    )
    .map_err(rdf_error)?;
    Ok(Value::String(String::from_utf8(out).map_err(|e| ActionError::Internal(e.to_string()))?))
}

pub const DCAT_CATALOG_SHOW: Action = Action {
    name: "dcat_catalog_show",
    side_effect_free: true,
    tag: "dcat",
    doc: "Return a page of the catalogue as DCAT-AP RDF.\n\n\
          The datasets are those `package_search` finds for `q` and `fq` (public ones, and \
          private ones the caller may read with `include_private`), the newest first, \
          100 a page, with Hydra paging links (`hydra:PagedCollection`).\n\n\
          :returns: the serialized graph\n:rtype: string",
    request: request_doc::<DcatCatalogRequest>,
    response: response_doc::<String>,
    errors: &[(
        409,
        "`page` not a positive integer, `modified_since` not an ISO 8601 date, or an unknown `format`",
    )],
    run: |ctx, params| dcat_catalog(ctx, DcatCatalogRequest::parse(params)?),
};

pub const DCAT_CATALOG_SEARCH: Action = Action {
    name: "dcat_catalog_search",
    side_effect_free: true,
    tag: "dcat",
    doc: "Search the catalogue and return the page as DCAT-AP RDF (as `dcat_catalog_show`).\n\n\
          :returns: the serialized graph\n:rtype: string",
    request: request_doc::<DcatCatalogRequest>,
    response: response_doc::<String>,
    errors: &[(
        409,
        "`page` not a positive integer, `modified_since` not an ISO 8601 date, or an unknown `format`",
    )],
    run: |ctx, params| dcat_catalog(ctx, DcatCatalogRequest::parse(params)?),
};

/// `page`: ckanext-dcat's positive integer (as text or a number).
fn page(params: &Params, key: &str, _errors: &mut ValidationErrors) -> ActionResult<Option<u64>> {
    let wrong = || {
        let mut dict = Map::new();
        dict.insert("message".into(), json!("Page param must be a positive integer"));
        ActionError::ValidationDict(dict)
    };
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().filter(|p| *p >= 1).map(Some).ok_or_else(wrong),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            s.trim().parse::<u64>().ok().filter(|p| *p >= 1).map(Some).ok_or_else(wrong)
        }
        Some(_) => Err(wrong()),
    }
}

request! {
    /// A page of the catalogue.
    pub struct DcatCatalogRequest {
        /// The page, from 1 (100 datasets a page).
        pub page: Option<u64> => page,
        /// Only datasets modified since this ISO 8601 date or time.
        pub modified_since: Option<String>,
        /// A search query, as `package_search` takes it (default all).
        pub q: Option<String>,
        /// A filter query, as `package_search` takes it.
        pub fq: Option<String>,
        /// `xml` / `rdf` (RDF/XML, the default), `ttl` (Turtle), `jsonld` (JSON-LD) or `nt`.
        pub format: Option<String>,
        /// Accepted for ckanext-dcat's clients; the site's profile is used.
        pub profiles: Option<String>,
    }
}

/// `modified_since` as a Solr date: a date or a date and time (UTC when no offset is given).
fn since(text: &str) -> ActionResult<String> {
    let wrong = || {
        let mut dict = Map::new();
        dict.insert("message".into(), json!("Wrong modified date format. Use ISO-8601 format"));
        ActionError::ValidationDict(dict)
    };
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.naive_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    for pattern in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, pattern) {
            return Ok(t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| format!("{}T00:00:00Z", d.format("%Y-%m-%d")))
        .map_err(|_| wrong())
}

fn dcat_catalog(ctx: &Context<'_>, request: DcatCatalogRequest) -> ActionResult {
    let format = format_of(request.format.as_deref())?;
    let page = request.page.unwrap_or(1);
    let mut filters: Vec<String> = request.fq.iter().filter(|f| !f.trim().is_empty()).cloned().collect();
    filters.push("-dataset_type:harvest".into());
    if let Some(modified) = request.modified_since.as_deref().filter(|m| !m.trim().is_empty()) {
        filters.push(format!("metadata_modified:[{} TO *]", since(modified)?));
    }
    let q = request.q.clone().filter(|q| !q.trim().is_empty()).unwrap_or_else(|| "*:*".into());
    let mut search = Map::new();
    search.insert("q".into(), json!(q));
    search.insert("fq".into(), json!(filters.join(" ")));
    search.insert("rows".into(), json!(DATASETS_PER_PAGE));
    search.insert("start".into(), json!(DATASETS_PER_PAGE.saturating_mul(page - 1)));
    search.insert("sort".into(), json!("metadata_modified desc"));
    let found = (crate::search::PACKAGE_SEARCH.run)(ctx, &Params::new(search))?;
    let total = found.get("count").and_then(Value::as_u64).unwrap_or(0);
    let empty = Vec::new();
    let results = found.get("results").and_then(Value::as_array).unwrap_or(&empty);
    let base = format!("{}/catalog.{}", ctx.services.site.site_url, format.extension());
    let mut paging = Paging::new(page, DATASETS_PER_PAGE, total, base);
    for (name, value) in [("q", &request.q), ("fq", &request.fq), ("modified_since", &request.modified_since)]
    {
        if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            paging = paging.keep(name, value);
        }
    }
    let mut info = catalog_info(ctx);
    info.modified = results
        .iter()
        .filter_map(|d| d.get("metadata_modified").and_then(Value::as_str))
        .max()
        .map(str::to_owned);
    let mut writer =
        CatalogWriter::new(format, ctx.services.site.dcat_profile, &info, Some(paging), Vec::new())
            .map_err(rdf_error)?;
    for dataset in results {
        if let Err(error) = writer.dataset(dataset) {
            log::warn!(
                "dataset {} left out of the catalogue: {error}",
                dataset.get("id").unwrap_or(&Value::Null)
            );
        }
    }
    let out = writer.finish().map_err(rdf_error)?;
    Ok(Value::String(String::from_utf8(out).map_err(|e| ActionError::Internal(e.to_string()))?))
}
