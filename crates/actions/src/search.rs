//! `package_search`: CKAN's search parameters, answered from this process's search index.

use std::collections::HashMap;

use datahavn_domain::ValidationErrors;
use datahavn_domain::authz::Memberships;
use datahavn_domain::license;
use datahavn_domain::params::Params;
use datahavn_domain::query::{self, Operator, Query as Ast};
use datahavn_search::{GroupCounts, Request, Scope, SearchError, SortField};
use serde_json::{Map, Value};

use crate::access::caller_memberships;
use crate::args::capped_natural;
use crate::dto::PackageSearchResult;
use crate::request::{Request as _, RequestDoc, request, request_doc, response_doc};
use crate::{Action, ActionError, ActionResult, Context};

pub const DEFAULT_SORT: &str = "score desc, metadata_modified desc";
pub const ROWS_MAX: u64 = 1000;

fn search_error(error: SearchError) -> ActionError {
    match error {
        SearchError::Query(message) => ActionError::SearchQuery(message),
        SearchError::Storage(error) => error.into(),
        other => ActionError::Internal(other.to_string()),
    }
}

fn parse(text: &str, op: Operator) -> ActionResult<Ast> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed == "\"\"" || trimmed == "''" {
        return Ok(Ast::All);
    }
    query::parse(trimmed, op, chrono::Utc::now().naive_utc())
        .map_err(|e| ActionError::SearchQuery(e.to_string()))
}

fn sort_spec(text: &str) -> ActionResult<Vec<(SortField, bool)>> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut words = part.split_whitespace();
        let field = words.next().and_then(SortField::parse);
        // Solr needs the direction ("Can't determine a Sort Order").
        let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
            Some("asc") => false,
            Some("desc") => true,
            _ => return Err(ActionError::SearchQuery("Invalid \"sort\" parameter".into())),
        };
        match (field, words.next()) {
            (Some(field), None) => out.push((field, descending)),
            _ => return Err(ActionError::SearchQuery("Invalid \"sort\" parameter".into())),
        }
    }
    if out.is_empty() {
        return sort_spec(DEFAULT_SORT);
    }
    Ok(out)
}

/// A list given as a list, a JSON list in a string, or one string.
fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            _ if text.is_empty() => Vec::new(),
            _ => vec![text.clone()],
        },
        Some(other) => vec![other.to_string()],
    }
}

/// The request's document: CKAN refuses keys it does not know besides `ext_*` (which
/// extensions read), so the schema says which names a key may have.
fn package_search_doc() -> RequestDoc {
    use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
    let mut doc = request_doc::<PackageSearchRequest>();
    let known: Vec<String> = PackageSearchRequest::FIELDS.iter().map(|f| f.replace('.', "\\.")).collect();
    let pattern = format!("^(?:{})$|^ext_", known.join("|"));
    if let utoipa::openapi::RefOr::T(Schema::Object(object)) = &mut doc.schema {
        let names = ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).pattern(Some(pattern));
        object.property_names = Some(Box::new(names.into()));
    }
    doc
}

/// A list of names as [`string_list`] reads it (`None` when not given); anything but text or a
/// list of text is an error.
fn names(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<Vec<String>>> {
    match params.get(key) {
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            Ok(Some(string_list(params.get(key))))
        }
        Some(Value::String(_)) | None => Ok(params.get(key).map(|value| string_list(Some(value)))),
        Some(_) => {
            errors.add(key, "Not a list of strings");
            Ok(None)
        }
    }
}

/// An integer, as a number or as digits.
fn integer(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<i64>> {
    Ok(match params.get(key) {
        None => None,
        Some(Value::Number(n)) => n.as_i64().or_else(|| {
            errors.add(key, "Invalid integer");
            None
        }),
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => s.trim().parse().ok().or_else(|| {
            errors.add(key, "Invalid integer");
            None
        }),
        Some(_) => {
            errors.add(key, "Invalid integer");
            None
        }
    })
}

/// `rows` and `start`: an [`integer`] that is not negative.
fn natural(params: &Params, key: &str, errors: &mut ValidationErrors) -> ActionResult<Option<u64>> {
    let value = integer(params, key, errors)?;
    if value.is_some_and(|v| v < 0) {
        errors.add(key, "Must be a natural number");
    }
    Ok(value.and_then(|v| u64::try_from(v).ok()))
}

/// `q`, read first: a key `package_search` does not know (but `ext_*`) is CKAN's 400 before
/// any field is checked.
fn query_of_known_keys(
    params: &Params,
    key: &str,
    errors: &mut ValidationErrors,
) -> ActionResult<Option<String>> {
    let known = <PackageSearchRequest as crate::request::Request>::FIELDS;
    let mut unknown: Vec<&String> =
        params.as_map().keys().filter(|k| !known.contains(&k.as_str()) && !k.starts_with("ext_")).collect();
    unknown.sort();
    if !unknown.is_empty() {
        let listed: Vec<String> = unknown.iter().map(|k| format!("'{k}'")).collect();
        return Err(ActionError::SearchQuery(format!("Invalid search parameters: [{}]", listed.join(", "))));
    }
    Ok(params.string(key, errors))
}

pub const PACKAGE_SEARCH: Action = Action {
    name: "package_search",
    side_effect_free: true,
    tag: "datasets",
    doc: "Searches for datasets (packages) satisfying a given search query.\n\n\
          CKAN's (Solr) query syntax, answered from the embedded search index: free text, or \
          `field:value` clauses with `AND`/`OR`/`NOT`, `+`/`-`, quoted phrases, ranges \
          `[a TO b]` and trailing wildcards. Private, draft and deleted datasets are found only \
          when asked for and readable by the caller. Keys starting with `ext_` are accepted (for \
          extensions) and ignored; any other unknown key is a `Search Query Error`.\n\n\
          :returns: `{count, facets, results, sort, search_facets}`: the number of matches, \
          the facet counts (deprecated form), one page of dataset dicts, the sort used and the \
          facets in their display form\n:rtype: dictionary",
    request: package_search_doc,
    response: response_doc::<PackageSearchResult>,
    errors: &[
        (400, "Unknown parameter, bad sort or unparseable query (`Search Query Error`)"),
        (409, "Bad `rows`, `start`, `facet.limit`, `facet.mincount`, a flag or a text value"),
    ],
    run: |ctx, params| package_search(ctx, PackageSearchRequest::parse(params)?),
};

request! {
    /// CKAN's search parameters.
    pub struct PackageSearchRequest {
        /// The query: free text (most words must match), or `field:value` clauses (default
        /// `*:*`, every dataset).
        pub q: Option<String> => query_of_known_keys,
        /// A filter query, in the same syntax.
        pub fq: Option<String>,
        /// More filter queries.
        pub fq_list: Option<Vec<String>> => names,
        /// Comma-separated `field asc|desc`: `score`, `metadata_modified`, `metadata_created`,
        /// `name`, `title_string`, `id` (default `score desc, metadata_modified desc`; `rank`
        /// means the default).
        pub sort: Option<String>,
        /// The maximum number of matching rows (datasets) to return (default 10, at most 1000).
        pub rows: Option<u64> => capped_natural,
        /// The offset in the complete result for where the set of returned datasets should
        /// begin.
        pub start: Option<u64> => natural,
        /// Whether to count facets (default true).
        pub facet: Option<bool>,
        /// The fields to count values of: `tags`, `groups`, `organization`, `res_format`,
        /// `license_id`, ... (a list, or a JSON list as text).
        pub facet_field as "facet.field": Option<Vec<String>> => names,
        /// The maximum number of values per facet (default 50, negative for all).
        pub facet_limit as "facet.limit": Option<i64> => integer,
        /// The minimum count a facet value needs to be returned (default 1).
        pub facet_mincount as "facet.mincount": Option<i64> => integer,
        /// The keys of each result to return: a list, or names separated by commas or spaces
        /// (default: the whole dataset dict).
        pub fl: Option<Vec<String>> => names,
        /// Include private datasets the caller may read (default false).
        pub include_private: Option<bool>,
        /// Include draft datasets the caller may read (default false).
        pub include_drafts: Option<bool>,
        /// Include deleted datasets the caller may read (default false).
        pub include_deleted: Option<bool>,
        /// Accepted and ignored (datahavn has one schema).
        pub use_default_schema: Option<Value>,
        /// Solr tuning CKAN passes on: accepted and ignored.
        pub qf: Option<Value>,
        /// Solr tuning CKAN passes on: accepted and ignored.
        pub bf: Option<Value>,
        /// Solr tuning CKAN passes on: accepted and ignored.
        pub boost: Option<Value>,
        /// Solr tuning CKAN passes on: accepted and ignored.
        pub tie: Option<Value>,
        /// Solr tuning CKAN passes on: accepted and ignored.
        pub def_type as "defType": Option<Value>,
        /// Solr tuning CKAN passes on: accepted and ignored.
        pub mm: Option<Value>,
        /// Solr tuning CKAN passes on: accepted and ignored.
        pub df: Option<Value>,
        /// Solr tuning CKAN passes on: accepted and ignored.
        pub wt: Option<Value>,
        /// Solr tuning CKAN passes on: accepted and ignored.
        pub facet_sort as "facet.sort": Option<Value>,
        /// Solr tuning CKAN passes on: accepted and ignored.
        pub hl: Option<Value>,
        /// Solr tuning CKAN passes on: accepted and ignored.
        pub indent: Option<Value>,
    }
}

fn package_search(ctx: &Context<'_>, request: PackageSearchRequest) -> ActionResult {
    let text = search_text(ctx, request)?;
    serde_json::from_slice(&text.concat())
        .map_err(|e| ActionError::Internal(format!("package_search result: {e}")))
}

/// `package_search` as JSON text: the stored dicts of the results are copied in as they are,
/// never parsed (unless `fl` picks fields of them).
pub(crate) fn package_search_text(ctx: &Context<'_>, params: &Params) -> ActionResult<crate::JsonText> {
    search_text(ctx, PackageSearchRequest::parse(params)?)
}

/// The parameters CKAN passes on to Solr, which the embedded index has no use for: logged,
/// not applied.
fn log_ignored(request: &PackageSearchRequest) {
    let given: Vec<&str> = [
        ("use_default_schema", &request.use_default_schema),
        ("qf", &request.qf),
        ("bf", &request.bf),
        ("boost", &request.boost),
        ("tie", &request.tie),
        ("defType", &request.def_type),
        ("mm", &request.mm),
        ("df", &request.df),
        ("wt", &request.wt),
        ("facet.sort", &request.facet_sort),
        ("hl", &request.hl),
        ("indent", &request.indent),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.as_ref().map(|_| key))
    .collect();
    if !given.is_empty() {
        log::debug!("package_search ignores {}", given.join(", "));
    }
}

fn search_text(ctx: &Context<'_>, request: PackageSearchRequest) -> ActionResult<crate::JsonText> {
    log_ignored(&request);
    let rows = usize::try_from(request.rows.unwrap_or(10).min(ROWS_MAX)).unwrap_or(10);
    let start = usize::try_from(request.start.unwrap_or(0)).unwrap_or(0);
    let facet_limit = request.facet_limit.unwrap_or(50);
    let facet_mincount = request.facet_mincount.unwrap_or(1).max(0);
    let q = request.q.unwrap_or_default();
    let fq = request.fq.unwrap_or_default();
    let sort_used = request
        .sort
        .filter(|s| !s.trim().is_empty() && s.trim() != "rank")
        .unwrap_or_else(|| DEFAULT_SORT.to_owned());
    let sort = sort_spec(&sort_used)?;
    let facet_fields =
        if request.facet.unwrap_or(true) { request.facet_field.unwrap_or_default() } else { Vec::new() };

    // Without a colon, `q` is CKAN's dismax: optional words, most of which must match.
    let dismax = !q.contains(':');
    let q_ast = parse(&q, if dismax { Operator::Or } else { Operator::And })?;
    let mut filters = Vec::new();
    if !fq.trim().is_empty() {
        filters.push(parse(&fq, Operator::And)?);
    }
    for extra in request.fq_list.unwrap_or_default() {
        filters.push(parse(&extra, Operator::And)?);
    }

    let who = caller_memberships(ctx)?;
    let scope = Scope {
        include_private: request.include_private.unwrap_or(false),
        include_drafts: request.include_drafts.unwrap_or(false),
        include_deleted: request.include_deleted.unwrap_or(false),
        ..scope(&who)
    };
    let search = Request {
        q: q_ast,
        dismax,
        filters,
        sort,
        rows,
        start,
        facet_fields: facet_fields.clone(),
        facet_limit: usize::try_from(facet_limit).ok(),
        facet_mincount: u64::try_from(facet_mincount).unwrap_or(0),
        scope,
    };
    let found = index(ctx)?.search(&search, held_dicts(ctx)).map_err(search_error)?;

    // `fl`: a list, or names separated by commas or spaces.
    let fl: Vec<String> = request
        .fl
        .unwrap_or_default()
        .iter()
        .flat_map(|f| f.split([',', ' ']).map(str::to_owned).collect::<Vec<_>>())
        .filter(|f| !f.is_empty())
        .collect();
    // Facets: the most frequent values (CKAN's Solr order; the index keeps `facet.limit` of
    // them, each held by `facet.mincount` datasets or more), and CKAN's display form.
    let titles = group_titles(ctx, &found.facets)?;
    let (facets, search_facets) = facets_text(&facet_fields, &found.facets, &titles)?;
    let sort_used = Value::String(sort_used).to_string();
    // CKAN's key order: count, facets, results, sort, search_facets. The page's dicts go out as
    // the index gave them (a page of 100 datasets is over half a megabyte).
    let mut head = String::with_capacity(40 + facets.len());
    head.push_str("{\"count\":");
    head.push_str(&found.count.to_string());
    head.push_str(",\"facets\":");
    head.push_str(&facets);
    head.push_str(",\"results\":[");
    let mut out = crate::JsonText::from(head);
    if fl.is_empty() {
        out.extend(found.results.into_parts());
    } else {
        let mut picked_dicts = String::new();
        for (i, text) in found.results.iter().enumerate() {
            if i > 0 {
                picked_dicts.push(',');
            }
            let dict = datahavn_search::parse_result(text);
            let picked: Map<String, Value> =
                fl.iter().filter_map(|key| dict.get(key).map(|v| (key.clone(), v.clone()))).collect();
            picked_dicts.push_str(&Value::Object(picked).to_string());
        }
        out.push(picked_dicts);
    }
    let mut tail = String::with_capacity(30 + sort_used.len() + search_facets.len());
    tail.push_str("],\"sort\":");
    tail.push_str(&sort_used);
    tail.push_str(",\"search_facets\":");
    tail.push_str(&search_facets);
    tail.push('}');
    out.push(tail);
    Ok(out)
}

/// `facets` and `search_facets` as JSON text, written straight from the index's counts: each
/// field once, in the order asked for.
fn facets_text(
    fields: &[String],
    counts: &std::collections::BTreeMap<String, Vec<(String, u64)>>,
    titles: &HashMap<String, String>,
) -> ActionResult<(String, String)> {
    let json = |e: serde_json::Error| ActionError::Internal(format!("serializing facets: {e}"));
    let mut facets = Vec::with_capacity(64 * fields.len());
    let mut search_facets = Vec::with_capacity(128 * fields.len());
    facets.push(b'{');
    search_facets.push(b'{');
    let mut seen = std::collections::HashSet::new();
    for (i, field) in fields.iter().filter(|field| seen.insert(field.as_str())).enumerate() {
        if i > 0 {
            facets.push(b',');
            search_facets.push(b',');
        }
        let kept = counts.get(field).map_or(&[][..], Vec::as_slice);
        serde_json::to_writer(&mut facets, field).map_err(json)?;
        facets.extend_from_slice(b":{");
        for (i, (value, count)) in kept.iter().enumerate() {
            if i > 0 {
                facets.push(b',');
            }
            serde_json::to_writer(&mut facets, value).map_err(json)?;
            facets.push(b':');
            serde_json::to_writer(&mut facets, count).map_err(json)?;
        }
        facets.push(b'}');
        // CKAN's `search_facets` item (`dto::FacetItem`), written as serde writes it, with
        // borrowed text: by display name, descending.
        let mut items: Vec<(&str, &str, u64)> = kept
            .iter()
            .map(|(name, count)| (display_name(field, name, titles), name.as_str(), *count))
            .collect();
        items.sort_by(|a, b| b.0.cmp(a.0));
        serde_json::to_writer(&mut search_facets, field).map_err(json)?;
        search_facets.extend_from_slice(b":{\"title\":");
        serde_json::to_writer(&mut search_facets, field).map_err(json)?;
        search_facets.extend_from_slice(b",\"items\":[");
        for (i, (display, name, count)) in items.iter().enumerate() {
            if i > 0 {
                search_facets.push(b',');
            }
            search_facets.extend_from_slice(b"{\"name\":");
            serde_json::to_writer(&mut search_facets, name).map_err(json)?;
            search_facets.extend_from_slice(b",\"display_name\":");
            serde_json::to_writer(&mut search_facets, display).map_err(json)?;
            search_facets.extend_from_slice(b",\"count\":");
            serde_json::to_writer(&mut search_facets, count).map_err(json)?;
            search_facets.push(b'}');
        }
        search_facets.extend_from_slice(b"]}");
    }
    facets.push(b'}');
    search_facets.push(b'}');
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).map_err(|e| ActionError::Internal(e.to_string()));
    Ok((text(facets)?, text(search_facets)?))
}

/// How `search_facets` shows a facet value: organizations and groups by title, licences by
/// title, other values as they are.
fn display_name<'a>(field: &str, value: &'a str, titles: &'a HashMap<String, String>) -> &'a str {
    match field {
        "organization" | "groups" => titles.get(value).map_or(value, String::as_str),
        "license_id" => license::find(value).map_or(value, |l| l.title),
        _ => value,
    }
}

/// This process's search index, caught up with the database.
fn index<'a>(ctx: &'a Context<'_>) -> ActionResult<&'a datahavn_search::SearchIndex> {
    ctx.services.search.get(ctx.store()).map_err(search_error)
}

/// Where a page of results takes the dicts the read cache holds as the index does.
fn held_dicts<'a>(ctx: &'a Context<'_>) -> Option<&'a dyn datahavn_search::HeldDicts> {
    ctx.services.cache.as_deref().map(|cache| cache as &dyn datahavn_search::HeldDicts)
}

/// What the caller may find, before the `include_*` flags widen it.
fn scope(who: &Memberships) -> Scope {
    Scope {
        sysadmin: who.sysadmin,
        readable_orgs: who.groups.keys().cloned().collect(),
        readable_ids: who.collaborations.keys().cloned().collect(),
        user_id: who.user_id.clone().filter(|id| !id.is_empty()),
        ..Scope::default()
    }
}

/// Active datasets per organization and group, private ones included where the caller may read
/// them (CKAN counts with a search that includes private datasets): the `package_count` of
/// organization and group dicts.
pub(crate) fn package_counts(ctx: &Context<'_>, who: &Memberships) -> ActionResult<GroupCounts> {
    use crate::cache::CountedAs;
    let shared = if who.sysadmin {
        Some(CountedAs::Sysadmin)
    } else if who.groups.is_empty() && who.collaborations.is_empty() {
        Some(CountedAs::Public)
    } else {
        None
    };
    let cache = ctx.services.cache.as_deref().zip(shared);
    if let Some(counts) = cache.and_then(|(cache, kind)| cache.counts(kind)) {
        return Ok(counts);
    }
    // Before the index is asked (and catches up): a change after this is not kept.
    let epoch = cache.map(|(cache, _)| cache.epoch());
    let counts =
        index(ctx)?.group_counts(&Scope { include_private: true, ..scope(who) }).map_err(search_error)?;
    if let (Some((cache, kind)), Some(epoch)) = (cache, epoch) {
        cache.keep_counts(epoch, kind, counts.clone());
    }
    Ok(counts)
}

/// The active datasets, most recently modified first, from the search index: public ones, and
/// private ones for sysadmins (CKAN's `current_package_list_with_resources`).
pub(crate) fn newest_packages(
    ctx: &Context<'_>,
    rows: usize,
    start: usize,
) -> ActionResult<datahavn_search::Dicts> {
    index(ctx)?.newest(ctx.actor.is_sysadmin(), start, rows, held_dicts(ctx)).map_err(search_error)
}

/// Active public datasets whose name or title starts with `prefix`, from the search index.
pub(crate) fn autocomplete(
    ctx: &Context<'_>,
    prefix: &str,
    limit: usize,
) -> ActionResult<Vec<datahavn_search::Completion>> {
    index(ctx)?.autocomplete(prefix, limit).map_err(search_error)
}

/// Titles of the organizations and groups named in facets (their display names).
fn group_titles(
    ctx: &Context<'_>,
    facets: &std::collections::BTreeMap<String, Vec<(String, u64)>>,
) -> ActionResult<HashMap<String, String>> {
    let names: Vec<String> = ["organization", "groups"]
        .iter()
        .filter_map(|f| facets.get(*f))
        .flatten()
        .map(|(name, _)| name.clone())
        .collect();
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let cache = ctx.services.cache.as_deref();
    if let Some(titles) = cache.and_then(|cache| cache.group_titles(&names)) {
        return Ok(titles);
    }
    let generation = cache.map(crate::cache::ReadCache::generation);
    let groups = ctx.store().read(|tx| tx.groups_by_names(&names))?;
    let titles: HashMap<String, String> =
        groups.into_iter().map(|g| (g.name.clone(), g.display_name().to_owned())).collect();
    if let (Some(cache), Some(generation)) = (cache, generation) {
        cache.keep_group_titles(generation, &names, &titles);
    }
    Ok(titles)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn facets_are_written_once_per_field_in_the_order_asked() {
        let counts = std::collections::BTreeMap::from([
            ("tags".to_owned(), vec![("b\"us".to_owned(), 7), ("Åby".to_owned(), 2)]),
            ("organization".to_owned(), vec![("odense".to_owned(), 3), ("aarhus".to_owned(), 1)]),
            ("license_id".to_owned(), vec![("cc-by".to_owned(), 4)]),
        ]);
        let titles = HashMap::from([("odense".to_owned(), "Odense Kommune".to_owned())]);
        let fields: Vec<String> =
            ["tags", "organization", "tags", "license_id", "nothing"].map(str::to_owned).to_vec();
        let (facets, search_facets) = facets_text(&fields, &counts, &titles).unwrap();
        // Keys as asked, each once; values most frequent first, as the index gave them.
        assert_eq!(
            facets,
            r#"{"tags":{"b\"us":7,"Åby":2},"organization":{"odense":3,"aarhus":1},"license_id":{"cc-by":4},"nothing":{}}"#
        );
        let search_facets: Value = serde_json::from_str(&search_facets).unwrap();
        let keys: Vec<&String> = search_facets.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["tags", "organization", "license_id", "nothing"]);
        // By display name, descending (as text: lower case after upper); organizations and licences
        // by title.
        assert_eq!(
            search_facets["organization"],
            serde_json::json!({"title": "organization", "items": [
                {"name": "aarhus", "display_name": "aarhus", "count": 1},
                {"name": "odense", "display_name": "Odense Kommune", "count": 3},
            ]})
        );
        let licence = &search_facets["license_id"]["items"][0];
        assert_eq!(licence["name"], "cc-by");
        assert_ne!(licence["display_name"], "cc-by", "a licence shows its title");
        assert_eq!(search_facets["tags"]["items"][0]["display_name"], "Åby");
        assert_eq!(search_facets["nothing"], serde_json::json!({"title": "nothing", "items": []}));
        assert_eq!(facets_text(&[], &counts, &titles).unwrap(), ("{}".to_owned(), "{}".to_owned()));
    }

    /// `search_facets` is written byte for byte as serde writes the documented response type
    /// (`dto::SearchFacet`), escapes included.
    #[test]
    fn search_facets_are_the_documented_type_as_serde_writes_it() {
        use crate::dto::{FacetItem, SearchFacet};
        let counts = std::collections::BTreeMap::from([
            (
                "tags".to_owned(),
                vec![("b\"us\\".to_owned(), 7), ("Åby\n".to_owned(), 2), ("zz".to_owned(), 2)],
            ),
            ("groups".to_owned(), vec![("g1".to_owned(), 3), ("g2".to_owned(), 1)]),
        ]);
        let titles = HashMap::from([("g1".to_owned(), "Grøn \"by\"".to_owned())]);
        let fields: Vec<String> = ["tags", "groups"].map(str::to_owned).to_vec();
        let (_, written) = facets_text(&fields, &counts, &titles).unwrap();
        let mut expected = String::from("{");
        for (i, field) in fields.iter().enumerate() {
            let mut items: Vec<FacetItem> = counts[field]
                .iter()
                .map(|(name, count)| FacetItem {
                    name: name.clone(),
                    display_name: titles.get(name).unwrap_or(name).clone(),
                    count: *count,
                })
                .collect();
            items.sort_by(|a, b| b.display_name.cmp(&a.display_name));
            if i > 0 {
                expected.push(',');
            }
            expected.push_str(&serde_json::to_string(field).unwrap());
            expected.push(':');
            expected.push_str(&serde_json::to_string(&SearchFacet { title: field.clone(), items }).unwrap());
        }
        expected.push('}');
        assert_eq!(written, expected);
    }
}
