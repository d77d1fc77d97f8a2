//! `package_search`: CKAN's search parameters, answered from this process's search index.

use std::collections::HashMap;

use datahavn_domain::ValidationErrors;
use datahavn_domain::authz::Memberships;
use datahavn_domain::license;
use datahavn_domain::params::Params;
use datahavn_domain::query::{self, Operator, Query as Ast};
use datahavn_search::{GroupCounts, Request, Scope, SearchError, SortField};
use serde_json::{Map, Value, json};

use crate::access::memberships;
use crate::{Action, ActionError, ActionResult, Context};

/// Parameters `package_search` accepts; anything else is CKAN's 400.
const KNOWN: &[&str] = &[
    "q",
    "fq",
    "fq_list",
    "sort",
    "rows",
    "start",
    "facet",
    "facet.field",
    "facet.limit",
    "facet.mincount",
    "fl",
    "include_private",
    "include_drafts",
    "include_deleted",
    "use_default_schema",
    "qf",
    "bf",
    "boost",
    "tie",
    "defType",
    "mm",
    "df",
    "wt",
    "facet.sort",
    "hl",
    "indent",
];
pub const DEFAULT_SORT: &str = "score desc, metadata_modified desc";
pub const ROWS_MAX: u64 = 1000;

fn search_error(error: SearchError) -> ActionError {
    match error {
        SearchError::Query(message) => ActionError::SearchQuery(message),
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

fn integer(params: &Params, key: &str, errors: &mut ValidationErrors) -> Option<i64> {
    match params.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => s.trim().parse().ok().or_else(|| {
            errors.add(key, "Invalid integer");
            None
        }),
        _ => {
            errors.add(key, "Invalid integer");
            None
        }
    }
}

pub const PACKAGE_SEARCH: Action = Action {
    name: "package_search",
    side_effect_free: true,
    doc: "Search for datasets, with CKAN's (Solr) query syntax.\n\n\
          :param q: the query: free text, or `field:value` clauses with `AND`/`OR`/`NOT`, `+`/`-`, \
          quoted phrases, ranges `[a TO b]`, trailing wildcards (optional, default `*:*`)\n\
          :param fq: filter query, same syntax (optional)\n:param fq_list: more filter queries (optional)\n\
          :param sort: comma-separated `field asc|desc`: score, metadata_modified, metadata_created, name, \
          title_string, id (optional, default `score desc, metadata_modified desc`)\n\
          :param rows: results per page (optional, default 10, at most 1000)\n:param start: offset (optional)\n\
          :param facet.field: fields to count values of: tags, groups, organization, res_format, license_id, ...\n\
          :param facet.limit: values per facet (optional, default 50, negative for all)\n\
          :param facet.mincount: (optional, default 1)\n\
          :param include_private: include private datasets the caller may read (optional, default false)\n\
          :param include_drafts: include drafts the caller may read (optional, default false)\n\
          :param include_deleted: include deleted datasets the caller may read (optional, default false)\n\
          :returns: `{count, facets, results, sort, search_facets}`\n:rtype: dictionary",
    run: package_search,
    ..crate::UNTYPED
};

fn package_search(ctx: &Context<'_>, params: &Params) -> ActionResult {
    let text = package_search_text(ctx, params)?;
    serde_json::from_str(&text).map_err(|e| ActionError::Internal(format!("package_search result: {e}")))
}

/// `package_search` as JSON text: the stored dicts of the results are copied in as they are,
/// never parsed (unless `fl` picks fields of them).
pub(crate) fn package_search_text(ctx: &Context<'_>, params: &Params) -> ActionResult<String> {
    let mut unknown: Vec<&String> =
        params.as_map().keys().filter(|k| !KNOWN.contains(&k.as_str()) && !k.starts_with("ext_")).collect();
    unknown.sort();
    if !unknown.is_empty() {
        let listed: Vec<String> = unknown.iter().map(|k| format!("'{k}'")).collect();
        return Err(ActionError::SearchQuery(format!("Invalid search parameters: [{}]", listed.join(", "))));
    }
    let mut errors = ValidationErrors::new();
    let rows = integer(params, "rows", &mut errors);
    let start = integer(params, "start", &mut errors);
    for (key, value) in [("rows", rows), ("start", start)] {
        if value.is_some_and(|v| v < 0) {
            errors.add(key, "Must be a natural number");
        }
    }
    let facet_limit = integer(params, "facet.limit", &mut errors).unwrap_or(50);
    let facet_mincount = integer(params, "facet.mincount", &mut errors).unwrap_or(1).max(0);
    let include_private = params.bool("include_private", false, &mut errors);
    let include_drafts = params.bool("include_drafts", false, &mut errors);
    let include_deleted = params.bool("include_deleted", false, &mut errors);
    let faceting = params.bool("facet", true, &mut errors);
    let q = params.string("q", &mut errors).unwrap_or_default();
    let fq = params.string("fq", &mut errors).unwrap_or_default();
    let sort_text = params.string("sort", &mut errors).filter(|s| !s.trim().is_empty() && s.trim() != "rank");
    errors.into_result()?;
    let rows =
        usize::try_from(rows.unwrap_or(10).clamp(0, i64::try_from(ROWS_MAX).unwrap_or(1000))).unwrap_or(10);
    let start = usize::try_from(start.unwrap_or(0).max(0)).unwrap_or(0);
    let sort_used = sort_text.clone().unwrap_or_else(|| DEFAULT_SORT.to_owned());
    let sort = sort_spec(&sort_used)?;
    let facet_fields = if faceting { string_list(params.get("facet.field")) } else { Vec::new() };

    // Without a colon, `q` is CKAN's dismax: optional words, most of which must match.
    let dismax = !q.contains(':');
    let q_ast = parse(&q, if dismax { Operator::Or } else { Operator::And })?;
    let mut filters = Vec::new();
    if !fq.trim().is_empty() {
        filters.push(parse(&fq, Operator::And)?);
    }
    for extra in string_list(params.get("fq_list")) {
        filters.push(parse(&extra, Operator::And)?);
    }

    let store = ctx.store();
    let who = store.read(|tx| memberships(tx, &ctx.actor))?;
    let scope = Scope { include_private, include_drafts, include_deleted, ..scope(&who) };
    let request =
        Request { q: q_ast, dismax, filters, sort, rows, start, facet_fields: facet_fields.clone(), scope };
    let found = index(ctx)?.search(&request).map_err(search_error)?;

    // `fl`: a list, or names separated by commas or spaces.
    let fl: Vec<String> = string_list(params.get("fl"))
        .iter()
        .flat_map(|f| f.split([',', ' ']).map(str::to_owned).collect::<Vec<_>>())
        .filter(|f| !f.is_empty())
        .collect();
    let mut results = String::from("[");
    for (i, text) in found.results.iter().enumerate() {
        if i > 0 {
            results.push(',');
        }
        if fl.is_empty() {
            results.push_str(text);
        } else {
            let dict = datahavn_search::parse_result(text);
            let picked: Map<String, Value> =
                fl.iter().filter_map(|key| dict.get(key).map(|v| (key.clone(), v.clone()))).collect();
            results.push_str(&Value::Object(picked).to_string());
        }
    }
    results.push(']');

    // Facets: the most frequent values (CKAN's Solr order), and CKAN's display form.
    let titles = group_titles(ctx, &found.facets)?;
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    for field in &facet_fields {
        let counts = found.facets.get(field).cloned().unwrap_or_default();
        let kept: Vec<(String, u64)> = counts
            .into_iter()
            .filter(|(_, n)| i64::try_from(*n).unwrap_or(i64::MAX) >= facet_mincount)
            .take(if facet_limit < 0 { usize::MAX } else { usize::try_from(facet_limit).unwrap_or(50) })
            .collect();
        facets
            .insert(field.clone(), Value::Object(kept.iter().map(|(v, n)| (v.clone(), json!(n))).collect()));
        let mut items: Vec<Value> = kept
            .iter()
            .map(|(value, count)| {
                let display = match field.as_str() {
                    "organization" | "groups" => titles.get(value).cloned().unwrap_or_else(|| value.clone()),
                    "license_id" => {
                        license::find(value).map_or_else(|| value.clone(), |l| l.title.to_owned())
                    }
                    _ => value.clone(),
                };
                json!({"name": value, "display_name": display, "count": count})
            })
            .collect();
        items.sort_by(|a, b| b["display_name"].as_str().cmp(&a["display_name"].as_str()));
        search_facets.insert(field.clone(), json!({"title": field, "items": items}));
    }
    // CKAN's key order: count, facets, results, sort, search_facets.
    Ok(format!(
        "{{\"count\":{},\"facets\":{},\"results\":{},\"sort\":{},\"search_facets\":{}}}",
        found.count,
        Value::Object(facets),
        results,
        Value::String(sort_used),
        Value::Object(search_facets),
    ))
}

/// This process's search index, caught up with the database.
fn index<'a>(ctx: &'a Context<'_>) -> ActionResult<&'a datahavn_search::SearchIndex> {
    ctx.services.search.get(ctx.store()).map_err(search_error)
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
    index(ctx)?.group_counts(&Scope { include_private: true, ..scope(who) }).map_err(search_error)
}

/// The active datasets, most recently modified first, from the search index: public ones, and
/// private ones for sysadmins (CKAN's `current_package_list_with_resources`).
pub(crate) fn newest_packages(ctx: &Context<'_>, rows: usize, start: usize) -> ActionResult<Vec<String>> {
    let scope = Scope {
        sysadmin: ctx.actor.is_sysadmin(),
        include_private: ctx.actor.is_sysadmin(),
        ..Scope::default()
    };
    let request = Request {
        q: Ast::All,
        dismax: false,
        filters: Vec::new(),
        sort: vec![(SortField::MetadataModified, true)],
        rows,
        start,
        facet_fields: Vec::new(),
        scope,
    };
    Ok(index(ctx)?.search(&request).map_err(search_error)?.results)
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
    let groups = ctx.store().read(|tx| tx.groups_by_names(&names))?;
    Ok(groups.into_iter().map(|g| (g.name.clone(), g.display_name().to_owned())).collect())
}
