//! Dataset lists: `package_list` (from the database, the whole list kept in the read cache),
//! `current_package_list_with_resources` and `package_autocomplete` (from the search index).

use bytes::Bytes;

use datahavn_domain::ValidationErrors;
use datahavn_domain::params::Params;
use serde_json::Value;

use crate::dto::{PackageAutocompleteItem, PackageDict};
use crate::request::{Request, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context, to_json};

pub const PACKAGE_LIST: Action = Action {
    name: "package_list",
    side_effect_free: true,
    tag: "datasets",
    doc: "Return a list of the names of the site's datasets (packages).\n\n\
          Active public datasets only, sorted by name.\n\n:rtype: list of strings",
    request: request_doc::<PackageListRequest>,
    response: response_doc::<Vec<String>>,
    errors: &[(409, "`limit` or `offset` not a natural number")],
    run: |ctx, params| package_list(ctx, PackageListRequest::parse(params)?),
};

request! {
    /// A page of dataset names.
    pub struct PackageListRequest {
        /// If given, the list of datasets will be broken into pages of at most `limit`
        /// datasets per page and only one page will be returned at a time (default: all).
        pub limit: Option<u64>,
        /// When `limit` is given, the offset to start returning datasets from.
        pub offset: Option<u64>,
    }
}

fn package_list(ctx: &Context<'_>, request: PackageListRequest) -> ActionResult {
    serde_json::from_slice(&names_text(ctx, &request)?).map_err(|e| ActionError::Internal(e.to_string()))
}

/// `package_list`'s result as JSON text (the transport's path).
pub(crate) fn package_list_text(ctx: &Context<'_>, params: &Params) -> ActionResult<Bytes> {
    names_text(ctx, &PackageListRequest::parse(params)?)
}

/// The asked names as a JSON list. The whole list is kept in the read cache until a dataset
/// changes: every caller gets the same bytes, shared, not copied.
fn names_text(ctx: &Context<'_>, request: &PackageListRequest) -> ActionResult<Bytes> {
    let limit = request.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
    let offset = i64::try_from(request.offset.unwrap_or(0)).unwrap_or(i64::MAX);
    let read = || {
        let names = ctx.store().read(|tx| tx.public_package_names(limit, offset))?;
        Ok(Bytes::from(serde_json::to_vec(&names).map_err(|e| ActionError::Internal(e.to_string()))?))
    };
    match ctx.services.cache.as_deref().filter(|_| limit.is_none() && offset == 0) {
        Some(cache) => cache.dataset_names_or(read),
        None => read(),
    }
}

pub const CURRENT_PACKAGE_LIST_WITH_RESOURCES: Action = Action {
    name: "current_package_list_with_resources",
    side_effect_free: true,
    tag: "datasets",
    doc: "Return a list of the site's datasets (packages) and their resources.\n\n\
          The list is sorted most-recently-modified first. Private datasets are included for \
          sysadmins only.\n\n:rtype: list of dictionaries",
    request: request_doc::<CurrentPackageListRequest>,
    response: response_doc::<Vec<PackageDict>>,
    errors: &[(409, "`limit`, `offset` or `page` not a natural number, or `page` 0")],
    run: |ctx, params| current_package_list_with_resources(ctx, CurrentPackageListRequest::parse(params)?),
};

/// `page`: a natural number larger than 0.
fn page_number(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<u64>> {
    let page = params.natural(key, errors);
    if page == Some(0) {
        errors.add(key, "Must be larger than 0");
    }
    Ok(page)
}

request! {
    /// A page of datasets.
    pub struct CurrentPackageListRequest {
        /// If given, the list of datasets will be broken into pages of at most `limit`
        /// datasets per page and only one page will be returned at a time (default 10, at
        /// most 1000).
        pub limit: Option<u64>,
        /// The offset to start returning datasets from.
        pub offset: Option<u64>,
        /// Deprecated: the page of `limit` datasets to return (from 1); read only when `limit`
        /// is given and `offset` is not.
        pub page: Option<u64> => page_number,
    }
}

fn current_package_list_with_resources(
    ctx: &Context<'_>,
    request: CurrentPackageListRequest,
) -> ActionResult {
    let mut out = Vec::new();
    for text in newest_page(ctx, &request)?.iter() {
        out.push(serde_json::from_slice(text).map_err(|e| ActionError::Internal(e.to_string()))?);
    }
    Ok(Value::Array(out))
}

/// `current_package_list_with_resources`'s result as JSON text, the stored dicts untouched
/// (the transport's path).
pub(crate) fn current_package_list_text(ctx: &Context<'_>, params: &Params) -> ActionResult<crate::JsonText> {
    let page = newest_page(ctx, &CurrentPackageListRequest::parse(params)?)?;
    let mut out = crate::JsonText::from("[");
    out.extend(page.into_parts());
    out.push("]");
    Ok(out)
}

/// The asked page of active datasets, most recently modified first: public ones, and private
/// ones too for sysadmins.
fn newest_page(
    ctx: &Context<'_>,
    request: &CurrentPackageListRequest,
) -> ActionResult<datahavn_search::Dicts> {
    let limit = request.limit.unwrap_or(10).min(1000);
    // CKAN reads the deprecated `page` only without `offset`, and only with a `limit`.
    let offset = match (request.offset, request.page, request.limit) {
        (Some(offset), _, _) => offset,
        (None, Some(page), Some(_)) => page.saturating_sub(1).saturating_mul(limit),
        _ => 0,
    };
    crate::search::newest_packages(
        ctx,
        usize::try_from(limit).unwrap_or(10),
        usize::try_from(offset).unwrap_or(usize::MAX),
    )
}

pub const PACKAGE_AUTOCOMPLETE: Action = Action {
    name: "package_autocomplete",
    side_effect_free: true,
    tag: "datasets",
    doc: "Return a list of datasets (packages) that match a string.\n\n\
          Active public datasets whose name or title starts with the string (case-insensitive): \
          name matches first, then title matches, each in name order.\n\n\
          :returns: `{name, title, match_field, match_displayed}` dicts\n:rtype: list of dictionaries",
    request: request_doc::<PackageAutocompleteRequest>,
    response: response_doc::<Vec<PackageAutocompleteItem>>,
    errors: &[(409, "`q` missing, or `limit` not a natural number")],
    run: |ctx, params| package_autocomplete(ctx, PackageAutocompleteRequest::parse(params)?),
};

request! {
    /// The string to complete.
    pub struct PackageAutocompleteRequest {
        /// The string to search for.
        pub q: String,
        /// The maximum number of datasets to return (default 10, at most 1000).
        pub limit: Option<u64>,
    }
}

fn package_autocomplete(ctx: &Context<'_>, request: PackageAutocompleteRequest) -> ActionResult {
    let limit = request.limit.unwrap_or(10).min(1000);
    let found = crate::search::autocomplete(ctx, &request.q, usize::try_from(limit).unwrap_or(10))?;
    let matches: Vec<PackageAutocompleteItem> = found
        .into_iter()
        .map(|c| {
            let (match_field, match_displayed) = if c.by_name {
                ("name", c.name.clone())
            } else {
                ("title", format!("{} ({})", c.title, c.name))
            };
            PackageAutocompleteItem {
                name: c.name,
                title: c.title,
                match_field: match_field.to_owned(),
                match_displayed,
            }
        })
        .collect();
    to_json(&matches)
}
