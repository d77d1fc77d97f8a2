//! `package_search` from the outside: CKAN's search action (ckan-api.md §2.2, §5.1, §6) over a
//! real port, on the real portal records in `tests/fixtures/portals` (loaded the way
//! `tests/portal_records.rs` loads them) and on small hand-made worlds for visibility and
//! read-your-writes.
//!
//! No expected number is written down here: every count, id set, order and facet is computed by
//! the test from the datasets it loaded (as `package_show` gives them), then compared with what
//! the search answers. Free text is analysed (split, lower-cased, stemmed), so a free-text query
//! is checked between two bounds: it must find every dataset that has the word as a whole word in
//! a searched field, and nothing whose text does not even contain the word's stem.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod records;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use common::{Reply, TestServer, keys};
use serde_json::{Value, json};

/// CKAN's default order (`ckan.search.default_package_sort`).
const DEFAULT_SORT: &str = "score desc, metadata_modified desc";
/// `ckan.search.rows_max`.
const ROWS_MAX: usize = 1000;
/// The result keys, in CKAN's order (`ckan/logic/action/get.py`, `package_search`).
const RESULT_KEYS: &[&str] = &["count", "facets", "results", "sort", "search_facets"];
/// Facet fields the catalogue tests ask for.
const FACET_FIELDS: &[&str] = &["res_format", "organization", "tags", "license_id", "groups"];

// ------------------------------------------------------------------------------------------
// Talking to the action
// ------------------------------------------------------------------------------------------

/// POSTs a search, as ckanapi does; the result, after checking it succeeded.
fn search(server: &TestServer, params: Value, token: Option<&str>) -> Value {
    let reply = server.action("package_search", params.clone(), token);
    assert_eq!(reply.status, 200, "package_search {params}: {} {}", reply.status, reply.text);
    reply.result()
}

/// GETs a search with the parameters in the query string, as the harvester does.
fn search_get(server: &TestServer, params: &[(&str, &str)], token: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = token.map(|t| vec![("Authorization", t)]).unwrap_or_default();
    server.get(&format!("/api/3/action/package_search?{}", query_string(params)), &headers)
}

fn query_string(params: &[(&str, &str)]) -> String {
    params.iter().map(|(k, v)| format!("{}={}", percent(k), percent(v))).collect::<Vec<_>>().join("&")
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn ids(result: &Value) -> Vec<String> {
    result["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results list in {result}"))
        .iter()
        .map(|d| d["id"].as_str().expect("result id").to_owned())
        .collect()
}

fn id_set(result: &Value) -> BTreeSet<String> {
    ids(result).into_iter().collect()
}

fn count(result: &Value) -> usize {
    usize::try_from(result["count"].as_u64().unwrap_or_else(|| panic!("no count in {result}"))).unwrap()
}

/// The error of a failed search, after checking its status and `__type`.
fn search_error(reply: &Reply, what: &str) -> Value {
    search_error_or(reply, what).unwrap_or_else(|failure| panic!("{failure}"))
}

/// [`search_error`] without the panic.
fn search_error_or(reply: &Reply, what: &str) -> Result<Value, String> {
    let shown: String = reply.text.chars().take(600).collect();
    if reply.status != 400 {
        return Err(format!("{what}: expected 400 Search Query Error, got {} {shown}", reply.status));
    }
    let error = reply.error();
    if error["__type"] != "Search Query Error" {
        return Err(format!("{what}: expected __type Search Query Error: {shown}"));
    }
    let message = error["message"].as_str().unwrap_or_default();
    if !message.starts_with("Search Query is invalid: ") || message.len() <= "Search Query is invalid: ".len()
    {
        return Err(format!("{what}: the message should explain (ckan-api.md §1.4): {shown}"));
    }
    Ok(error)
}

// ------------------------------------------------------------------------------------------
// The loaded catalogue and what a query over it should find
// ------------------------------------------------------------------------------------------

struct Catalogue {
    server: TestServer,
    /// A sysadmin's token (the harvester that loaded the records).
    admin: String,
    /// Every loaded dataset, as `package_show` gives it to a sysadmin.
    all: Vec<Value>,
}

fn catalogue() -> Catalogue {
    let server = records::server();
    let (_, admin) = server.user_with_token("harvester", true);
    let all = records::load(&server, &admin);
    assert!(all.len() >= 150, "only {} portal records loaded", all.len());
    Catalogue { server, admin, all }
}

type Ids = BTreeSet<String>;

impl Catalogue {
    /// What anybody may find without `include_private`/`include_drafts`: active public datasets.
    fn public(&self) -> Vec<&Value> {
        self.all.iter().filter(|d| d["private"] == false && d["state"] == "active").collect()
    }

    fn public_ids(&self) -> Ids {
        self.public().iter().map(id).collect()
    }

    /// The public datasets for which `keep` holds.
    fn select(&self, keep: impl Fn(&Value) -> bool) -> Ids {
        self.public().into_iter().filter(|d| keep(d)).map(|d| id(&d)).collect()
    }

    fn by_id(&self, id: &str) -> &Value {
        self.all.iter().find(|d| d["id"] == id).unwrap_or_else(|| panic!("no dataset {id}"))
    }

    fn name(&self, id: &str) -> String {
        self.all
            .iter()
            .find(|d| d["id"] == id)
            .and_then(|d| d["name"].as_str())
            .map_or_else(|| id.to_owned(), str::to_owned)
    }

    /// What differs between two id sets, by dataset name.
    fn difference(&self, got: &Ids, expected: &Ids) -> String {
        let names = |set: BTreeSet<&String>| -> Vec<String> {
            set.into_iter().take(12).map(|i| self.name(i)).collect()
        };
        format!(
            "missing {} {:?}, unexpected {} {:?}",
            expected.difference(got).count(),
            names(expected.difference(got).collect()),
            got.difference(expected).count(),
            names(got.difference(expected).collect()),
        )
    }

    /// Searches anonymously with everything on one page; checks `count` and the ids.
    fn expect(&self, params: Value, expected: &Ids, what: &str) -> Value {
        self.check(&params, expected).unwrap_or_else(|failure| panic!("{what}: {failure}"))
    }

    /// [`Catalogue::expect`] without the panic: what went wrong, if anything.
    fn check(&self, params: &Value, expected: &Ids) -> Result<Value, String> {
        let mut params = params.clone();
        if params.get("rows").is_none() {
            params["rows"] = json!(ROWS_MAX);
        }
        let result = search(&self.server, params.clone(), None);
        let got = id_set(&result);
        if got.len() != ids(&result).len() {
            return Err(format!("{params}: a dataset appears twice"));
        }
        if got != *expected || count(&result) != expected.len() {
            return Err(format!(
                "{params} gave count {} and {} results, expected {}: {}",
                count(&result),
                got.len(),
                expected.len(),
                self.difference(&got, expected)
            ));
        }
        Ok(result)
    }

    /// Searches anonymously; checks that the ids lie between two bounds (free text).
    fn expect_between(&self, params: Value, lower: &Ids, upper: &Ids, what: &str) -> Ids {
        assert!(lower.is_subset(upper), "{what}: the test's bounds are inconsistent");
        let mut params = params;
        params["rows"] = json!(ROWS_MAX);
        let result = search(&self.server, params.clone(), None);
        let got = id_set(&result);
        assert_eq!(count(&result), got.len(), "{what}: count for {params}");
        let missing: Ids = lower.difference(&got).cloned().collect();
        let extra: Ids = got.difference(upper).cloned().collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{what}: {params} found {} datasets; misses {} that have the word(s) {:?}; \
             finds {} whose text does not contain them {:?}",
            got.len(),
            missing.len(),
            missing.iter().take(10).map(|i| self.name(i)).collect::<Vec<_>>(),
            extra.len(),
            extra.iter().take(10).map(|i| self.name(i)).collect::<Vec<_>>(),
        );
        got
    }
}

fn id(d: &&Value) -> String {
    d["id"].as_str().expect("id").to_owned()
}

fn text<'a>(d: &'a Value, key: &str) -> &'a str {
    d[key].as_str().unwrap_or_default()
}

/// Free tags (a tag with a vocabulary is indexed as `vocab_<name>`, not `tags`).
fn tags(d: &Value) -> BTreeSet<String> {
    d["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["vocabulary_id"].is_null())
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect()
}

fn formats(d: &Value) -> BTreeSet<String> {
    d["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["format"].as_str().filter(|f| !f.is_empty()).map(str::to_owned))
        .collect()
}

fn org_name(d: &Value) -> Option<String> {
    d["organization"]["name"].as_str().map(str::to_owned)
}

fn groups(d: &Value) -> BTreeSet<String> {
    d["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["name"].as_str().map(str::to_owned))
        .collect()
}

fn extras(d: &Value) -> Vec<(String, String)> {
    d["extras"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (text(e, "key").to_owned(), text(e, "value").to_owned()))
        .collect()
}

/// The values a dataset has in an index field (for facets and field queries).
fn values(d: &Value, field: &str) -> BTreeSet<String> {
    match field {
        "tags" => tags(d),
        "res_format" => formats(d),
        "organization" => org_name(d).into_iter().collect(),
        "groups" => groups(d),
        "license_id" => {
            d["license_id"].as_str().filter(|l| !l.is_empty()).map(str::to_owned).into_iter().collect()
        }
        other => panic!("no rule for field {other}"),
    }
}

/// How many of the datasets have each value of a field.
fn facet_counts(datasets: &[&Value], field: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for d in datasets {
        for value in values(d, field) {
            *counts.entry(value).or_insert(0) += 1;
        }
    }
    counts
}

/// Values by descending count (ties by value), for picking test subjects.
fn ranked(counts: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut ranked: Vec<(String, u64)> = counts.iter().map(|(v, c)| (v.clone(), *c)).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
}

/// A value usable bare in a query (no quoting or escaping needed).
fn bare(value: &str) -> bool {
    !value.is_empty()
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !value.starts_with('-')
        && !["AND", "OR", "NOT", "TO"].contains(&value)
}

/// `display_name` of a facet item (ckan-api.md §2.2): organization/group title (name if blank),
/// licence title, else the value.
fn display_names(datasets: &[&Value], field: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for d in datasets {
        match field {
            "organization" => {
                if let Some(name) = org_name(d) {
                    let title = text(&d["organization"], "title");
                    names.insert(name.clone(), if title.trim().is_empty() { name } else { title.to_owned() });
                }
            }
            "groups" => {
                for g in d["groups"].as_array().into_iter().flatten() {
                    let name = text(g, "name").to_owned();
                    let title = [text(g, "title"), text(g, "display_name")]
                        .into_iter()
                        .find(|t| !t.trim().is_empty())
                        .map_or_else(|| name.clone(), str::to_owned);
                    names.insert(name, title);
                }
            }
            "license_id" => {
                for license in values(d, field) {
                    let title = text(d, "license_title");
                    names.insert(license.clone(), if title.is_empty() { license } else { title.to_owned() });
                }
            }
            _ => {
                for value in values(d, field) {
                    names.insert(value.clone(), value);
                }
            }
        }
    }
    names
}

/// Checks `facets[field]` and `search_facets[field]` against counts computed from `datasets`.
/// `limit`: `None` = every value; `mincount`: the smallest count shown.
fn check_facet(
    result: &Value,
    datasets: &[&Value],
    field: &str,
    limit: Option<usize>,
    mincount: u64,
    what: &str,
) {
    let expected = facet_counts(datasets, field);
    let display = display_names(datasets, field);
    let facet = result["facets"][field]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: no facets.{field}: {}", result["facets"]));
    let got: BTreeMap<String, u64> = facet
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or_else(|| panic!("{what}: facet count {v}"))))
        .collect();
    for (value, n) in &got {
        assert_eq!(
            expected.get(value),
            Some(n),
            "{what}: facets.{field}[{value:?}] = {n}, but {} matching datasets have it",
            expected.get(value).copied().unwrap_or(0)
        );
        assert!(*n >= mincount, "{what}: facets.{field}[{value:?}] = {n} is below facet.mincount {mincount}");
    }
    let eligible: Vec<(String, u64)> =
        ranked(&expected).into_iter().filter(|(_, n)| *n >= mincount).collect();
    match limit {
        None => {
            let wanted: BTreeMap<String, u64> = eligible.into_iter().collect();
            let missing: Vec<&String> = wanted.keys().filter(|k| !got.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{what}: facets.{field} lacks {} values: {missing:?}", missing.len());
        }
        Some(limit) => {
            assert_eq!(
                got.len(),
                limit.min(eligible.len()),
                "{what}: facets.{field} has {} values, limit {limit}",
                got.len()
            );
            let smallest_shown = got.values().min().copied().unwrap_or(u64::MAX);
            let largest_left =
                eligible.iter().filter(|(v, _)| !got.contains_key(v)).map(|(_, n)| *n).max().unwrap_or(0);
            assert!(
                smallest_shown >= largest_left,
                "{what}: facets.{field} is not the top {limit}: shows a count of {smallest_shown} but leaves out one of {largest_left}"
            );
        }
    }

    let search_facet = &result["search_facets"][field];
    assert_eq!(search_facet["title"], field, "{what}: search_facets.{field}.title");
    assert_eq!(keys(search_facet), ["title", "items"], "{what}: search_facets.{field} keys");
    let items =
        search_facet["items"].as_array().unwrap_or_else(|| panic!("{what}: search_facets.{field}.items"));
    let mut item_counts = BTreeMap::new();
    for item in items {
        assert_eq!(
            keys(item),
            ["name", "display_name", "count"],
            "{what}: search_facets.{field} item {item}"
        );
        let name = item["name"].as_str().expect("item name").to_owned();
        assert_eq!(
            item["display_name"].as_str(),
            display.get(&name).map(String::as_str),
            "{what}: search_facets.{field} display_name of {name:?}"
        );
        item_counts.insert(name, item["count"].as_u64().expect("item count"));
    }
    assert_eq!(item_counts, got, "{what}: search_facets.{field} and facets.{field} differ");
    let names: Vec<&str> = items.iter().map(|i| i["display_name"].as_str().unwrap_or_default()).collect();
    assert!(
        names.windows(2).all(|w| w[0] >= w[1]),
        "{what}: search_facets.{field}.items are not sorted by display_name descending: {names:?}"
    );
}

// ------------------------------------------------------------------------------------------
// Free text: words, folding, bounds
// ------------------------------------------------------------------------------------------

/// Lower case with the accents that ASCII folding removes taken off.
fn fold(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a".to_owned(),
            'ç' => "c".into(),
            'è' | 'é' | 'ê' | 'ë' => "e".into(),
            'ì' | 'í' | 'î' | 'ï' => "i".into(),
            'ñ' => "n".into(),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o".into(),
            'ù' | 'ú' | 'û' | 'ü' => "u".into(),
            'ý' | 'ÿ' => "y".into(),
            'æ' => "ae".into(),
            'ß' => "ss".into(),
            other => other.to_string(),
        })
        .collect()
}

/// Whole words, folded: what every analyser makes of a text at least.
fn words(text: &str) -> Vec<String> {
    fold(text).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect()
}

/// The texts free text searches (ckan-api.md §2.2: name, title, tags, groups, notes, resource
/// names and descriptions, extras), by field.
fn searched_texts(d: &Value) -> Vec<(&'static str, String)> {
    let mut texts = vec![("name", text(d, "name").to_owned()), ("title", text(d, "title").to_owned())];
    texts.push(("notes", text(d, "notes").to_owned()));
    texts.extend(tags(d).into_iter().map(|t| ("tags", t)));
    texts.extend(groups(d).into_iter().map(|g| ("groups", g)));
    for r in d["resources"].as_array().into_iter().flatten() {
        texts.push(("resource name", text(r, "name").to_owned()));
        texts.push(("resource description", text(r, "description").to_owned()));
    }
    texts.extend(extras(d).into_iter().map(|(_, v)| ("extras", v)));
    texts
}

/// The part of a word its stem surely keeps.
fn stem_prefix(word: &str) -> String {
    word.chars().take(if word.chars().count() >= 7 { 5 } else { 4 }).collect()
}

/// Datasets that have `word` as a whole word in a searched field.
fn with_word(cat: &Catalogue, word: &str) -> Ids {
    cat.select(|d| searched_texts(d).iter().any(|(_, t)| words(t).iter().any(|w| w == word)))
}

/// Datasets whose whole dict contains the word's stem somewhere.
fn containing(cat: &Catalogue, word: &str) -> Ids {
    let prefix = stem_prefix(word);
    cat.select(|d| fold(&d.to_string()).contains(&prefix))
}

fn is_plain_word(word: &str) -> bool {
    (6..=20).contains(&word.len()) && word.chars().all(|c| c.is_ascii_lowercase())
}

// ------------------------------------------------------------------------------------------
// Timestamps (CKAN's: `YYYY-MM-DDTHH:MM:SS[.ffffff]`, UTC, no zone) as microseconds
// ------------------------------------------------------------------------------------------

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn micros(timestamp: &str) -> i64 {
    let plain = timestamp.trim_end_matches('Z');
    let (seconds, fraction) = plain.split_once('.').unwrap_or((plain, ""));
    let number = |from: usize, to: usize| -> i64 {
        seconds
            .get(from..to)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("timestamp {timestamp:?}"))
    };
    let days = days_from_civil(number(0, 4), number(5, 7), number(8, 10));
    let fraction: i64 =
        format!("{fraction:0<6}")[..6].parse().unwrap_or_else(|_| panic!("timestamp {timestamp:?}"));
    (days * 86_400 + number(11, 13) * 3600 + number(14, 16) * 60 + number(17, 19)) * 1_000_000 + fraction
}

/// `YYYY-MM-DDTHH:MM:SS.ffffff` (no zone).
fn iso(micros: i64) -> String {
    let (seconds, fraction) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    let (days, second) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction:06}",
        second / 3600,
        second % 3600 / 60,
        second % 60
    )
}

fn now_micros() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_micros()).expect("time")
}

fn modified(d: &Value) -> i64 {
    micros(d["metadata_modified"].as_str().expect("metadata_modified"))
}

fn created(d: &Value) -> i64 {
    micros(d["metadata_created"].as_str().expect("metadata_created"))
}

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

// ------------------------------------------------------------------------------------------
// 1. Query forms on the real catalogue
// ------------------------------------------------------------------------------------------

#[test]
fn free_text_finds_a_word_in_every_searched_field() {
    let cat = catalogue();
    let public = cat.public();
    let mut tried = Vec::new();
    for field in
        ["name", "title", "notes", "tags", "groups", "resource name", "resource description", "extras"]
    {
        // A dataset with a word in this field and in no other searched field of it: when the
        // search finds the dataset by that word, it found it through this field.
        let found = public.iter().find_map(|d| {
            let texts = searched_texts(d);
            let here: BTreeSet<String> = texts
                .iter()
                .filter(|(f, _)| *f == field)
                .flat_map(|(_, t)| words(t))
                .filter(|w| is_plain_word(w))
                .collect();
            let elsewhere: BTreeSet<String> =
                texts.iter().filter(|(f, _)| *f != field).flat_map(|(_, t)| words(t)).collect();
            here.into_iter().find(|w| !elsewhere.contains(w)).map(|w| (id(d), w))
        });
        let Some((dataset, word)) = found else {
            panic!("no public dataset has a word only in its {field}");
        };
        let lower = with_word(&cat, &word);
        assert!(lower.contains(&dataset));
        let got = cat.expect_between(
            json!({"q": word}),
            &lower,
            &containing(&cat, &word),
            &format!("q={word} ({field})"),
        );
        tried.push(format!("{field}: q={word} → {} (≥ {})", got.len(), lower.len()));
    }
    eprintln!("free text: {}", tried.join("; "));
}

#[test]
fn free_text_is_case_and_accent_insensitive_and_common_words_match_many_datasets() {
    let cat = catalogue();
    // The most widespread plain word of the titles, written in capitals: the text field is
    // lower-cased, so case does not matter.
    let mut spread: BTreeMap<String, usize> = BTreeMap::new();
    for d in cat.public() {
        for w in words(text(d, "title")).into_iter().filter(|w| is_plain_word(w)).collect::<BTreeSet<_>>() {
            *spread.entry(w).or_default() += 1;
        }
    }
    let (word, n) = spread
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(w, n)| (w.clone(), *n))
        .expect("title words");
    assert!(n >= 3, "the most common title word {word} is in only {n} titles");
    let lower = with_word(&cat, &word);
    let upper = containing(&cat, &word);
    let small = cat.expect_between(json!({"q": word}), &lower, &upper, "lower case");
    let capital = cat.expect_between(json!({"q": word.to_uppercase()}), &lower, &upper, "upper case");
    assert_eq!(small, capital, "q={word} and q={} differ", word.to_uppercase());

    // A word written with an accent somewhere in a title is found without it.
    let accented = cat.public().into_iter().find_map(|d| {
        text(d, "title")
            .split(|c: char| !c.is_alphanumeric())
            .find(|w| {
                w.chars().count() >= 6
                    && !w.is_ascii()
                    && fold(w).is_ascii()
                    && fold(w).chars().all(|c| c.is_ascii_lowercase())
            })
            .map(|w| (id(&d), w.to_owned()))
    });
    let (dataset, word) = accented.expect("a title word with an accent");
    let plain = fold(&word);
    let result = search(&cat.server, json!({"q": plain, "rows": ROWS_MAX}), None);
    assert!(
        id_set(&result).contains(&dataset),
        "q={plain} does not find {} (title has {word:?})",
        cat.name(&dataset)
    );
    eprintln!("q={plain} finds {} (title has {word:?})", cat.name(&dataset));
}

/// Two bare words: CKAN's dismax `mm=2<-1 5<80%` makes both required (ckan-api.md §2.2).
#[test]
fn free_text_with_two_words_requires_both() {
    let cat = catalogue();
    let public = cat.public();
    // Two title words of one dataset, where some other dataset has the first and not even the
    // stem of the second (so "either word" would find more than "both words").
    let mut chosen = None;
    'search: for d in &public {
        let title: Vec<String> = words(text(d, "title")).into_iter().filter(|w| is_plain_word(w)).collect();
        for a in &title {
            for b in &title {
                if a >= b {
                    continue;
                }
                let only_a = public.iter().any(|o| {
                    let folded = fold(&o.to_string());
                    searched_texts(o).iter().any(|(_, t)| words(t).contains(a))
                        && !folded.contains(&stem_prefix(b))
                });
                if only_a {
                    chosen = Some((a.clone(), b.clone()));
                    break 'search;
                }
            }
        }
    }
    let (a, b) = chosen.expect("two title words that also occur apart");
    let lower: Ids = with_word(&cat, &a).intersection(&with_word(&cat, &b)).cloned().collect();
    let upper: Ids = containing(&cat, &a).intersection(&containing(&cat, &b)).cloned().collect();
    assert!(!lower.is_empty());
    cat.expect_between(json!({"q": format!("{a} {b}")}), &lower, &upper, "two words");
}

/// Three bare words: `mm=2<-1` means all but one are required (ckan-api.md §2.2), so a dataset
/// with two of the three words is found.
#[test]
fn free_text_with_three_words_requires_all_but_one() {
    let cat = catalogue();
    let public = cat.public();
    let has =
        |d: &Value, word: &str| searched_texts(d).iter().any(|(_, t)| words(t).iter().any(|w| w == word));
    let stem_in = |d: &Value, word: &str| fold(&d.to_string()).contains(&stem_prefix(word));
    // Three title words of one dataset, where another dataset has two of them and not even the
    // stem of the third: "all but one" finds it, "all three" does not.
    let mut chosen = None;
    'search: for d in &public {
        let title: Vec<String> = words(text(d, "title"))
            .into_iter()
            .filter(|w| is_plain_word(w))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for (i, a) in title.iter().enumerate() {
            for (j, b) in title.iter().enumerate().skip(i + 1) {
                for c in title.iter().skip(j + 1) {
                    let two_only = public.iter().any(|o| has(o, a) && has(o, b) && !stem_in(o, c));
                    if two_only {
                        chosen = Some([a.clone(), b.clone(), c.clone()]);
                        break 'search;
                    }
                }
            }
        }
    }
    let three = chosen.expect("three title words, two of which also occur without the third");
    let at_least_two = |hits: &dyn Fn(&Value, &str) -> bool| -> Ids {
        cat.select(|d| three.iter().filter(|w| hits(d, w)).count() >= 2)
    };
    let lower = at_least_two(&has);
    let upper = at_least_two(&stem_in);
    cat.expect_between(json!({"q": three.join(" ")}), &lower, &upper, "three words");
}

#[test]
fn a_quoted_phrase_finds_the_words_next_to_each_other() {
    let cat = catalogue();
    let public = cat.public();
    let adjacent = |d: &Value, a: &str, b: &str| -> bool {
        searched_texts(d).iter().any(|(_, t)| words(t).windows(2).any(|w| w[0] == a && w[1] == b))
    };
    // Loosely adjacent: the stems next to each other anywhere in the dict.
    let loosely_adjacent = |d: &Value, a: &str, b: &str| -> bool {
        let (pa, pb) = (stem_prefix(a), stem_prefix(b));
        let all = words(&d.to_string());
        all.windows(2).any(|w| w[0].contains(&pa) && w[1].starts_with(&pb))
            || all.iter().any(|w| w.contains(&pa) && w.contains(&pb))
    };
    // Two adjacent title words that also occur in some dataset apart from each other.
    let mut chosen = None;
    'search: for d in &public {
        let title = words(text(d, "title"));
        for pair in title.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if !is_plain_word(a) || !is_plain_word(b) || a == b {
                continue;
            }
            let apart = public.iter().any(|o| {
                let texts = searched_texts(o);
                texts.iter().any(|(_, t)| words(t).contains(a))
                    && texts.iter().any(|(_, t)| words(t).contains(b))
                    && !loosely_adjacent(o, a, b)
            });
            if apart {
                chosen = Some((a.clone(), b.clone()));
                break 'search;
            }
        }
    }
    let (a, b) = chosen.expect("two adjacent title words that also occur apart");
    let lower = cat.select(|d| adjacent(d, &a, &b));
    let upper = cat.select(|d| loosely_adjacent(d, &a, &b));
    cat.expect_between(json!({"q": format!("\"{a} {b}\"")}), &lower, &upper, "phrase");
    cat.expect_between(json!({"q": format!("text:\"{a} {b}\"")}), &lower, &upper, "phrase in the text field");
}

#[test]
fn field_queries_find_exactly_the_datasets_with_that_value() {
    let cat = catalogue();
    let public = cat.public();
    let mut checked = Vec::new();
    let mut check = |params: Value, expected: Ids, what: &str| {
        assert!(!expected.is_empty(), "{what}: the test picked a value no dataset has");
        cat.expect(params.clone(), &expected, what);
        checked.push(format!("{params} → {}", expected.len()));
    };

    // name: and id:, one dataset each.
    let d = public[public.len() / 2];
    check(json!({"q": format!("name:{}", text(d, "name"))}), BTreeSet::from([id(&d)]), "name:");
    check(json!({"fq": format!("id:{}", text(d, "id"))}), BTreeSet::from([id(&d)]), "id:");
    if let Some(d) = public.iter().find(|d| text(d, "name").contains('_')) {
        check(json!({"fq": format!("name:{}", text(d, "name"))}), BTreeSet::from([id(d)]), "name: with _");
    }

    // Every field with a bare value: the most common one.
    for field in FACET_FIELDS {
        let counts = facet_counts(&public, field);
        let (value, n) =
            ranked(&counts).into_iter().find(|(v, _)| bare(v)).unwrap_or_else(|| panic!("no bare {field}"));
        let expected = cat.select(|d| values(d, field).contains(&value));
        assert_eq!(expected.len() as u64, n);
        check(json!({"q": format!("{field}:{value}")}), expected.clone(), field);
        check(json!({"fq": format!("{field}:{value}")}), expected.clone(), field);
        check(json!({"fq": format!("{field}:\"{value}\"")}), expected, field);
    }

    // A tag and a format with spaces, quoted: string fields match the whole value.
    for field in ["tags", "res_format"] {
        let counts = facet_counts(&public, field);
        let (value, _) = ranked(&counts)
            .into_iter()
            .find(|(v, _)| v.contains(' ') && !v.contains('"') && !v.contains('\\'))
            .unwrap_or_else(|| panic!("no {field} with a space"));
        check(
            json!({"fq": format!("{field}:\"{value}\"")}),
            cat.select(|d| values(d, field).contains(&value)),
            &format!("{field} with spaces"),
        );
    }

    // organization: is the name, owner_org: the id (ckan-api.md §6 item 11).
    let (org, _) =
        ranked(&facet_counts(&public, "organization")).into_iter().next().expect("an organization");
    let org_id = public
        .iter()
        .find(|d| org_name(d).as_deref() == Some(org.as_str()))
        .map(|d| text(d, "owner_org").to_owned())
        .unwrap();
    let in_org = cat.select(|d| org_name(d).as_deref() == Some(org.as_str()));
    check(json!({"fq": format!("owner_org:{org_id}")}), in_org.clone(), "owner_org:");
    check(json!({"fq": format!("owner_org:\"{org_id}\"")}), in_org, "owner_org: quoted");

    // state: and capacity: of what an anonymous caller sees.
    check(json!({"fq": "state:active"}), cat.public_ids(), "state:active");
    check(json!({"fq": "capacity:public"}), cat.public_ids(), "capacity:public");

    // extras_<key>: a text field; its most common one-word value.
    let mut pairs: BTreeMap<(String, String), u64> = BTreeMap::new();
    for d in &public {
        for (key, value) in extras(d).into_iter().collect::<BTreeSet<_>>() {
            if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && value.len() >= 3
                && value.chars().all(|c| c.is_ascii_alphabetic())
            {
                *pairs.entry((key, value)).or_default() += 1;
            }
        }
    }
    let ((key, value), _) = pairs
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(k, n)| (k.clone(), *n))
        .expect("a one-word extra");
    let word = value.to_lowercase();
    let lower = cat.select(|d| extras(d).iter().any(|(k, v)| *k == key && words(v).contains(&word)));
    let upper =
        cat.select(|d| extras(d).iter().any(|(k, v)| *k == key && fold(v).contains(&stem_prefix(&word))));
    cat.expect_between(json!({"fq": format!("extras_{key}:{value}")}), &lower, &upper, "extras_");
    checked.push(format!("extras_{key}:{value} → {}", lower.len()));

    // A value nobody has.
    cat.expect(json!({"fq": "tags:no-such-tag-anywhere"}), &Ids::new(), "unknown tag");
    eprintln!("field queries: {}", checked.join("\n  "));
}

/// String fields are exact and case-sensitive (ckan-api.md §2.2, "Index fields").
#[test]
fn string_fields_match_the_exact_value_only() {
    let cat = catalogue();
    let public = cat.public();
    let counts = facet_counts(&public, "tags");
    let (tag, _) = ranked(&counts)
        .into_iter()
        .find(|(v, _)| bare(v) && v.to_lowercase() != *v && !counts.contains_key(&v.to_lowercase()))
        .expect("a bare tag with capitals");
    let lower = tag.to_lowercase();
    cat.expect(json!({"fq": format!("tags:{lower}")}), &Ids::new(), "a tag in the wrong case");
    // A word of a multi-word tag is not the tag.
    let (long, _) = ranked(&counts)
        .into_iter()
        .find(|(v, _)| v.contains(' ') && v.split(' ').next().is_some_and(bare))
        .expect("a tag with a space");
    let first = long.split(' ').next().unwrap().to_owned();
    cat.expect(
        json!({"fq": format!("tags:{first}")}),
        &cat.select(|d| tags(d).contains(&first)),
        "the first word of a multi-word tag",
    );
}

/// A tag of a vocabulary is indexed as `vocab_<vocabulary name>`, not as `tags` (ckan-api.md
/// §2.2; CKAN's `ckan/lib/search/index.py`): neither `tags:` nor the `tags` facet sees it; free
/// text does.
#[test]
fn vocabulary_tags_are_not_free_tags() {
    let server = TestServer::start();
    let (_, admin) = server.user_with_token("admin", true);
    server.org("music", &[]);
    let vocabulary = server.action(
        "vocabulary_create",
        json!({"name": "genre", "tags": [{"name": "jazz"}]}),
        Some(&admin),
    );
    assert_eq!(vocabulary.status, 200, "{}", vocabulary.text);
    let vocabulary_id = vocabulary.result()["id"].as_str().unwrap().to_owned();
    let created = server.action(
        "package_create",
        json!({"name": "recordings", "owner_org": "music",
               "tags": [{"name": "jazz", "vocabulary_id": vocabulary_id}, {"name": "vinyl"}]}),
        Some(&admin),
    );
    assert_eq!(created.status, 200, "{}", created.text);
    let result = search(&server, json!({"facet.field": ["tags"]}), None);
    assert_eq!(result["facets"]["tags"], json!({"vinyl": 1}), "the tags facet");
    assert_eq!(count(&search(&server, json!({"fq": "tags:vinyl"}), None)), 1, "tags:vinyl");
    assert_eq!(count(&search(&server, json!({"fq": "tags:jazz"}), None)), 0, "tags: with a vocabulary tag");
    assert_eq!(count(&search(&server, json!({"fq": "vocab_genre:jazz"}), None)), 1, "vocab_genre:jazz");
    assert_eq!(count(&search(&server, json!({"q": "jazz"}), None)), 1, "free text finds vocabulary tags");
}

#[test]
fn boolean_queries_combine_like_lucene() {
    let cat = catalogue();
    let public = cat.public();
    let tag_ranking: Vec<String> =
        ranked(&facet_counts(&public, "tags")).into_iter().map(|(v, _)| v).filter(|v| bare(v)).collect();
    let (a, b) = (tag_ranking[0].clone(), tag_ranking[1].clone());
    let tagged = |t: &str| cat.select(|d| tags(d).contains(t));
    // The format most common among datasets tagged `a`, so that the intersections are not empty.
    let with_a: Vec<&Value> = public.iter().copied().filter(|d| tags(d).contains(&a)).collect();
    let (f, _) =
        ranked(&facet_counts(&with_a, "res_format")).into_iter().find(|(v, _)| bare(v)).expect("a format");
    let formatted = cat.select(|d| formats(d).contains(&f));
    let orgs: Vec<String> = ranked(&facet_counts(&public, "organization"))
        .into_iter()
        .map(|(v, _)| v)
        .filter(|v| bare(v))
        .collect();
    let (o1, o2) = (orgs[0].clone(), orgs[1].clone());
    let in_org = |o: &str| cat.select(|d| org_name(d).as_deref() == Some(o));
    let all = cat.public_ids();

    let (ta, tb) = (tagged(&a), tagged(&b));
    let union = |x: &Ids, y: &Ids| -> Ids { x.union(y).cloned().collect() };
    let inter = |x: &Ids, y: &Ids| -> Ids { x.intersection(y).cloned().collect() };
    let minus = |x: &Ids, y: &Ids| -> Ids { x.difference(y).cloned().collect() };
    assert!(
        !inter(&ta, &formatted).is_empty() && !minus(&ta, &formatted).is_empty(),
        "tag {a} and format {f} do not split"
    );

    let cases: Vec<(String, Ids)> = vec![
        (format!("tags:{a} OR tags:{b}"), union(&ta, &tb)),
        (format!("tags:{a} || tags:{b}"), union(&ta, &tb)),
        (format!("tags:({a} OR {b})"), union(&ta, &tb)),
        (format!("tags:{a} AND res_format:{f}"), inter(&ta, &formatted)),
        (format!("tags:{a} && res_format:{f}"), inter(&ta, &formatted)),
        // A q with a colon has AND as its default operator (ckan-api.md §6 item 22).
        (format!("tags:{a} res_format:{f}"), inter(&ta, &formatted)),
        (format!("+tags:{a} +res_format:{f}"), inter(&ta, &formatted)),
        (format!("+tags:{a} -res_format:{f}"), minus(&ta, &formatted)),
        (format!("tags:{a} NOT res_format:{f}"), minus(&ta, &formatted)),
        (format!("tags:{a} AND NOT res_format:{f}"), minus(&ta, &formatted)),
        (format!("-tags:{a}"), minus(&all, &ta)),
        (format!("NOT tags:{a}"), minus(&all, &ta)),
        (format!("*:* -tags:{a}"), minus(&all, &ta)),
        (format!("(tags:{a} OR tags:{b}) AND res_format:{f}"), inter(&union(&ta, &tb), &formatted)),
        (format!("res_format:{f} AND (tags:{a} OR tags:{b})"), inter(&union(&ta, &tb), &formatted)),
        (
            format!("(tags:{a} AND res_format:{f}) OR organization:{o1}"),
            union(&inter(&ta, &formatted), &in_org(&o1)),
        ),
        (format!("organization:{o1} OR organization:{o2}"), union(&in_org(&o1), &in_org(&o2))),
        (format!("organization:({o1} OR {o2}) -tags:{a}"), minus(&union(&in_org(&o1), &in_org(&o2)), &ta)),
        (format!("((tags:{a}))"), ta.clone()),
    ];
    for (query, expected) in &cases {
        cat.expect(json!({"q": query}), expected, "q");
        cat.expect(json!({"fq": query}), expected, "fq");
    }
    // The harvester's organization filters (ckan-api.md §5.1), as one fq.
    cat.expect(
        json!({"fq": format!("organization:{o1} OR organization:{o2}")}),
        &union(&in_org(&o1), &in_org(&o2)),
        "include",
    );
    cat.expect(
        json!({"fq": format!("-organization:{o1} -organization:{o2}")}),
        &minus(&minus(&all, &in_org(&o1)), &in_org(&o2)),
        "exclude",
    );
}

#[test]
fn date_ranges_on_metadata_modified_and_created() {
    let cat = catalogue();
    let public = cat.public();
    let all = cat.public_ids();
    let now = now_micros();
    let mut times: Vec<i64> = public.iter().map(|d| modified(d)).collect();
    times.sort_unstable();
    times.dedup();
    let (low, high) = (times[times.len() / 4], times[times.len() * 3 / 4]);
    assert!(low < high);
    let between = |from: i64, to: i64| cat.select(|d| (from..=to).contains(&modified(d)));

    // Inclusive and exclusive ends; with and without `Z`; microseconds.
    let cases: Vec<(String, Ids)> = vec![
        (format!("metadata_modified:[{}Z TO *]", iso(low)), between(low, i64::MAX)),
        (format!("metadata_modified:[{} TO *]", iso(low)), between(low, i64::MAX)),
        (format!("metadata_modified:{{{}Z TO *]", iso(low)), between(low + 1, i64::MAX)),
        (format!("metadata_modified:[* TO {}Z]", iso(high)), between(i64::MIN, high)),
        (format!("metadata_modified:[* TO {}Z}}", iso(high)), between(i64::MIN, high - 1)),
        (format!("metadata_modified:[{}Z TO {}Z]", iso(low), iso(high)), between(low, high)),
        (format!("metadata_modified:{{{}Z TO {}Z}}", iso(low), iso(high)), between(low + 1, high - 1)),
        ("metadata_modified:[* TO NOW]".into(), all.clone()),
        ("metadata_modified:[* TO *]".into(), all.clone()),
        ("metadata_created:[* TO NOW]".into(), all.clone()),
        // Every dataset was created by this test, just now.
        ("metadata_created:[NOW-7DAYS TO *]".into(), all.clone()),
        ("metadata_created:[NOW-1DAY TO NOW+1DAY]".into(), all.clone()),
        ("metadata_created:[* TO NOW-7DAYS]".into(), Ids::new()),
    ];
    // Whole seconds, as Python's isoformat writes a time without microseconds.
    let second = (times[times.len() / 2] / 1_000_000 + 1) * 1_000_000;
    let whole = iso(second).trim_end_matches(".000000").to_owned();
    let cases =
        cases.into_iter().chain([(format!("metadata_modified:[{whole}Z TO *]"), between(second, i64::MAX))]);
    // Every case is tried; the failures are reported together.
    let failures: Vec<String> =
        cases.filter_map(|(filter, expected)| cat.check(&json!({"fq": filter}), &expected).err()).collect();
    assert!(failures.is_empty(), "{} of the range filters fail:\n{}", failures.len(), failures.join("\n"));

    // Date math relative to now, left out: datasets too near the boundary for the clock.
    for (filter, boundary) in [
        ("metadata_modified:[NOW-7DAYS TO *]", now - 7 * DAY),
        ("metadata_modified:[NOW-1YEAR TO NOW]", now - 365 * DAY),
        ("metadata_modified:[* TO NOW-30DAYS]", now - 30 * DAY),
    ] {
        let near: Ids = cat.select(|d| (modified(d) - boundary).abs() < 2 * DAY);
        let result = search(&cat.server, json!({"fq": filter, "rows": ROWS_MAX}), None);
        let got: Ids = id_set(&result).difference(&near).cloned().collect();
        let expected: Ids = cat
            .select(|d| {
                if filter.ends_with("TO *]") || filter.ends_with("TO NOW]") {
                    modified(d) >= boundary
                } else {
                    modified(d) <= boundary
                }
            })
            .difference(&near)
            .cloned()
            .collect();
        assert!(got == expected, "{filter}: {}", cat.difference(&got, &expected));
    }
    // The dates that came with the records span years: not everything is "recent".
    assert!(cat.select(|d| modified(d) < now - 365 * DAY).len() >= 10);
    assert!(public.iter().all(|d| created(d) > now - DAY));
}

#[test]
fn prefix_wildcards_everything_and_empty_queries() {
    let cat = catalogue();
    let all = cat.public_ids();
    // The most common 4-letter start of a name that is not everybody's.
    let mut starts: BTreeMap<String, usize> = BTreeMap::new();
    for d in cat.public() {
        let name = text(d, "name");
        if name.len() > 4 && name[..4].chars().all(|c| c.is_ascii_lowercase()) {
            *starts.entry(name[..4].to_owned()).or_default() += 1;
        }
    }
    let (prefix, n) = starts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(p, n)| (p.clone(), *n))
        .expect("names");
    assert!(n >= 2 && n < all.len());
    let expected = cat.select(|d| text(d, "name").starts_with(&prefix));
    cat.expect(json!({"q": format!("name:{prefix}*")}), &expected, "name: prefix");
    cat.expect(json!({"fq": format!("name:{prefix}*")}), &expected, "name: prefix");
    // A longer prefix: one dataset.
    let d = cat.public()[0];
    let name = text(d, "name");
    let long = &name[..name.len() - 1];
    cat.expect(
        json!({"fq": format!("name:{long}*")}),
        &cat.select(|o| text(o, "name").starts_with(long)),
        "long prefix",
    );

    for q in ["*:*", "", "\"\"", "''", "*"] {
        cat.expect(json!({"q": q}), &all, &format!("q={q:?}"));
    }
    cat.expect(json!({}), &all, "no q");
    cat.expect(json!({"fq": "*:*"}), &all, "fq=*:*");
    cat.expect(json!({"fq": ""}), &all, "empty fq");
    let reply = search_get(&cat.server, &[("q", ""), ("rows", "1000")], None);
    assert_eq!(id_set(&reply.result()), all, "GET q=");
}

#[test]
fn filters_combine_with_q_and_each_other() {
    let cat = catalogue();
    let public = cat.public();
    let (org, _) =
        ranked(&facet_counts(&public, "organization")).into_iter().find(|(v, _)| bare(v)).expect("org");
    let in_org: Vec<&Value> =
        public.iter().copied().filter(|d| org_name(d).as_deref() == Some(org.as_str())).collect();
    let (format, _) =
        ranked(&facet_counts(&in_org, "res_format")).into_iter().find(|(v, _)| bare(v)).expect("a format");
    let both = cat.select(|d| org_name(d).as_deref() == Some(org.as_str()) && formats(d).contains(&format));
    assert!(!both.is_empty());

    // Several filters in one fq, separated by spaces (ckan-api.md §2.2): all of them apply.
    cat.expect(
        json!({"fq": format!("organization:{org} res_format:{format}")}),
        &both,
        "fq with two clauses",
    );
    cat.expect(
        json!({"fq": format!("+organization:{org} +res_format:{format}")}),
        &both,
        "fq with two + clauses",
    );
    // fq_list: every filter applies, and with fq too.
    cat.expect(
        json!({"fq_list": [format!("organization:{org}"), format!("res_format:{format}")]}),
        &both,
        "fq_list",
    );
    cat.expect(
        json!({"fq": format!("organization:{org}"), "fq_list": [format!("res_format:{format}")]}),
        &both,
        "fq and fq_list",
    );
    // q and fq together.
    cat.expect(
        json!({"q": format!("res_format:{format}"), "fq": format!("organization:{org}")}),
        &both,
        "q and fq",
    );
    // Free text narrowed by a filter: the same datasets as the free text alone, in that org.
    let word = words(text(in_org[0], "title"))
        .into_iter()
        .find(|w| is_plain_word(w))
        .unwrap_or_else(|| "data".into());
    let free = id_set(&search(&cat.server, json!({"q": word, "rows": ROWS_MAX}), None));
    let narrowed: Ids =
        free.iter().filter(|i| org_name(cat.by_id(i)).as_deref() == Some(org.as_str())).cloned().collect();
    assert!(!narrowed.is_empty(), "q={word} finds nothing in {org}");
    cat.expect(json!({"q": word, "fq": format!("organization:{org}")}), &narrowed, "free text and fq");

    // The same over GET, the way the harvester and the reference recording send it.
    let reply = search_get(
        &cat.server,
        &[("fq", &format!("organization:{org} res_format:{format}")), ("rows", "1000")],
        None,
    );
    assert_eq!(id_set(&reply.result()), both, "GET fq");
}

// ------------------------------------------------------------------------------------------
// Facets, sorting, shapes
// ------------------------------------------------------------------------------------------

#[test]
fn facets_count_every_match_not_just_the_page() {
    let cat = catalogue();
    let public = cat.public();
    let fields = json!(FACET_FIELDS);

    // Every value, on a one-row page.
    let result = search(&cat.server, json!({"facet.field": fields, "facet.limit": -1, "rows": 1}), None);
    assert_eq!(count(&result), public.len());
    assert_eq!(ids(&result).len(), 1);
    for field in FACET_FIELDS {
        check_facet(&result, &public, field, None, 1, "facet.limit=-1");
    }
    assert_eq!(keys(&result["facets"]).len(), FACET_FIELDS.len(), "{}", result["facets"]);

    // Defaults: facet.limit 50, facet.mincount 1; facet.field as a JSON string (GET form).
    let result = search(&cat.server, json!({"facet.field": fields.to_string()}), None);
    for field in FACET_FIELDS {
        check_facet(&result, &public, field, Some(50), 1, "default facet.limit");
    }
    assert!(facet_counts(&public, "tags").len() > 50, "the tags facet should need its limit");

    // A small limit and a higher mincount.
    let result = search(&cat.server, json!({"facet.field": ["tags", "res_format"], "facet.limit": 3}), None);
    check_facet(&result, &public, "tags", Some(3), 1, "facet.limit=3");
    check_facet(&result, &public, "res_format", Some(3), 1, "facet.limit=3");
    let result =
        search(&cat.server, json!({"facet.field": ["tags"], "facet.limit": -1, "facet.mincount": 2}), None);
    check_facet(&result, &public, "tags", None, 2, "facet.mincount=2");

    // rows=0: counts and facets only.
    let result =
        search(&cat.server, json!({"facet.field": ["organization"], "facet.limit": -1, "rows": 0}), None);
    assert_eq!(result["results"], json!([]));
    assert_eq!(count(&result), public.len());
    check_facet(&result, &public, "organization", None, 1, "rows=0");

    // Facets follow q and fq.
    let (org, _) =
        ranked(&facet_counts(&public, "organization")).into_iter().find(|(v, _)| bare(v)).expect("org");
    let in_org: Vec<&Value> =
        public.iter().copied().filter(|d| org_name(d).as_deref() == Some(org.as_str())).collect();
    let result = search(
        &cat.server,
        json!({"fq": format!("organization:{org}"), "facet.field": FACET_FIELDS, "facet.limit": -1, "rows": 2, "start": 1}),
        None,
    );
    assert_eq!(count(&result), in_org.len());
    for field in FACET_FIELDS {
        check_facet(&result, &in_org, field, None, 1, "with fq");
    }
    let (tag, _) = ranked(&facet_counts(&public, "tags")).into_iter().find(|(v, _)| bare(v)).expect("tag");
    let tagged: Vec<&Value> = public.iter().copied().filter(|d| tags(d).contains(&tag)).collect();
    let result = search(
        &cat.server,
        json!({"q": format!("tags:{tag}"), "facet.field": ["res_format", "tags"], "facet.limit": -1}),
        None,
    );
    check_facet(&result, &tagged, "res_format", None, 1, "with q");
    check_facet(&result, &tagged, "tags", None, 1, "with q");

    // The reference recording's request (17_package_search_fq_facets.json), over GET.
    let mut by_name: Vec<&Value> = in_org.clone();
    by_name.sort_by_key(|d| text(d, "name").to_owned());
    let reply = search_get(
        &cat.server,
        &[
            ("fq", &format!("organization:{org}")),
            ("facet.field", "[\"tags\", \"res_format\"]"),
            ("rows", "1"),
            ("start", "0"),
            ("sort", "name asc"),
        ],
        Some(&cat.admin),
    );
    let result = reply.result();
    assert_eq!(count(&result), in_org.len());
    assert_eq!(ids(&result), vec![id(&by_name[0])]);
    check_facet(&result, &in_org, "tags", Some(50), 1, "GET");
    check_facet(&result, &in_org, "res_format", Some(50), 1, "GET");

    // No facet.field: both empty.
    let result = search(&cat.server, json!({"q": "*:*"}), None);
    assert_eq!(result["facets"], json!({}));
    assert_eq!(result["search_facets"], json!({}));
}

#[test]
fn organization_and_group_lists_count_the_datasets_the_index_finds() {
    let cat = catalogue();
    let public = cat.public();
    for (action, of) in [
        (
            "organization_list",
            (|d: &Value| org_name(d).into_iter().collect()) as fn(&Value) -> BTreeSet<String>,
        ),
        ("group_list", groups),
    ] {
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for d in &public {
            for name in of(d) {
                *expected.entry(name).or_default() += 1;
            }
        }
        let listed = cat.server.action(action, json!({"all_fields": true, "limit": 0}), None).result();
        let mut got: BTreeMap<String, u64> = BTreeMap::new();
        for dict in listed.as_array().unwrap() {
            let n = dict["package_count"].as_u64().unwrap();
            if n > 0 {
                got.insert(text(dict, "name").to_owned(), n);
            }
        }
        assert_eq!(got, expected, "{action}: package_count of every organization or group");
        // The same counts order `sort=package_count`.
        let by_count =
            cat.server.action(action, json!({"sort": "package_count desc", "limit": 0}), None).result();
        let counts: Vec<u64> = by_count
            .as_array()
            .unwrap()
            .iter()
            .map(|name| expected.get(name.as_str().unwrap()).copied().unwrap_or(0))
            .collect();
        assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{action} sort=package_count desc: {counts:?}");
    }
    // organization_show counts the same way.
    let (org, n) = facet_counts(&public, "organization").into_iter().max_by_key(|(_, n)| *n).unwrap();
    let shown = cat.server.action("organization_show", json!({"id": org}), None).result();
    assert_eq!(shown["package_count"], n, "organization_show {org}");
}

#[test]
fn sort_orders_and_the_echoed_sort() {
    let cat = catalogue();
    let public = cat.public();
    let all = |sort: &str| -> Vec<Value> {
        let result = search(&cat.server, json!({"sort": sort, "rows": ROWS_MAX}), None);
        assert_eq!(result["sort"], sort, "sort is echoed");
        assert_eq!(count(&result), public.len());
        result["results"].as_array().unwrap().clone()
    };
    let field = |results: &[Value], key: &str| -> Vec<String> {
        results.iter().map(|d| text(d, key).to_owned()).collect()
    };
    let sorted = |key: &str, descending: bool| -> Vec<String> {
        let mut v: Vec<String> = public.iter().map(|d| text(d, key).to_owned()).collect();
        v.sort();
        if descending {
            v.reverse();
        }
        v
    };

    for (sort, key, descending) in [
        ("name asc", "name", false),
        ("name desc", "name", true),
        ("id asc", "id", false),
        ("id desc", "id", true),
        ("title_string asc", "title", false),
        ("title_string desc", "title", true),
    ] {
        assert_eq!(field(&all(sort), key), sorted(key, descending), "sort={sort}");
    }
    for (sort, of, descending) in [
        ("metadata_modified desc", modified as fn(&Value) -> i64, true),
        ("metadata_modified asc", modified, false),
        ("metadata_created asc", created, false),
        ("metadata_created desc", created, true),
    ] {
        let got: Vec<i64> = all(sort).iter().map(of).collect();
        let mut expected: Vec<i64> = public.iter().map(|d| of(d)).collect();
        expected.sort_unstable();
        if descending {
            expected.reverse();
        }
        assert_eq!(got, expected, "sort={sort}");
    }
    // Two keys: the second breaks the first's ties.
    let mut expected: Vec<&Value> = public.clone();
    expected.sort_by(|a, b| modified(b).cmp(&modified(a)).then(text(a, "name").cmp(text(b, "name"))));
    assert_eq!(
        field(&all("metadata_modified desc, name asc"), "name"),
        expected.iter().map(|d| text(d, "name").to_owned()).collect::<Vec<_>>(),
        "two sort keys"
    );
    // Three keys; and keys that cannot change the order (a repeated key, keys after a unique
    // one) are accepted and change nothing.
    let mut expected: Vec<&Value> = public.clone();
    expected.sort_by(|a, b| {
        text(a, "title")
            .cmp(text(b, "title"))
            .then(created(b).cmp(&created(a)))
            .then(text(a, "name").cmp(text(b, "name")))
    });
    let expected: Vec<String> = expected.iter().map(|d| text(d, "name").to_owned()).collect();
    assert_eq!(
        field(&all("title_string asc, metadata_created desc, name asc"), "name"),
        expected,
        "three keys"
    );
    assert_eq!(
        field(
            &all(
                "title_string asc, metadata_created desc, title_string desc, name asc, id desc, metadata_modified asc"
            ),
            "name"
        ),
        expected,
        "six keys, three of them redundant"
    );
    // The default: score, then newest first (all scores equal for *:*), echoed.
    let result = search(&cat.server, json!({"rows": ROWS_MAX}), None);
    assert_eq!(result["sort"], DEFAULT_SORT);
    let times: Vec<i64> = result["results"].as_array().unwrap().iter().map(modified).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "default order is not newest first");
    assert_eq!(times.len(), public.len());
    let result = search(&cat.server, json!({"sort": DEFAULT_SORT, "rows": 5}), None);
    assert_eq!(result["sort"], DEFAULT_SORT);
    assert_eq!(
        ids(&result),
        ids(&search(&cat.server, json!({"rows": 5}), None)).into_iter().collect::<Vec<_>>()
    );
    // Sorting a free-text search by name.
    let word = words(text(public[0], "title"))
        .into_iter()
        .find(|w| is_plain_word(w))
        .unwrap_or_else(|| "data".into());
    let result = search(&cat.server, json!({"q": word, "sort": "name desc", "rows": ROWS_MAX}), None);
    let names = field(result["results"].as_array().unwrap(), "name");
    assert!(names.windows(2).all(|w| w[0] > w[1]), "q={word} sort=name desc: {names:?}");
}

#[test]
fn results_are_the_package_show_dicts_and_keys_are_in_ckans_order() {
    let cat = catalogue();
    let public = cat.public();
    let reply =
        search_get(&cat.server, &[("facet.field", "[\"tags\",\"organization\"]"), ("rows", "1000")], None);
    let body = reply.json();
    assert_eq!(reply.status, 200);
    assert_eq!(keys(&body), ["help", "success", "result"]);
    assert_eq!(body["help"], format!("{}/api/3/action/help_show?name=package_search", cat.server.base));
    let result = &body["result"];
    assert_eq!(keys(result), RESULT_KEYS, "result keys (ckan-api.md §2.2, CKAN's package_search)");
    assert_eq!(keys(&result["search_facets"]["tags"]), ["title", "items"]);
    assert_eq!(keys(&result["search_facets"]["tags"]["items"][0]), ["name", "display_name", "count"]);
    // Without facet.field too.
    let result = search(&cat.server, json!({"q": "*:*", "rows": 0}), None);
    assert_eq!(keys(&result), RESULT_KEYS);

    // Every result is the dict package_show gives, key for key in the same order.
    let results = body["result"]["results"].as_array().unwrap();
    assert_eq!(results.len(), public.len());
    for got in results {
        let id = text(got, "id");
        let shown = cat.server.get(&format!("/api/3/action/package_show?id={id}"), &[]).result();
        assert_eq!(keys(got), keys(&shown), "{}: result keys differ from package_show", text(got, "name"));
        assert!(*got == shown, "{}: the search result differs from package_show", text(got, "name"));
        assert_eq!(*got, *cat.by_id(id));
    }
}

// ------------------------------------------------------------------------------------------
// 2, 3. The CKAN harvester: paging and incremental runs
// ------------------------------------------------------------------------------------------

#[test]
fn paging_by_id_visits_every_dataset_once_and_ends_with_an_empty_page() {
    let cat = catalogue();
    let expected: Vec<String> = cat.public_ids().into_iter().collect();
    for (rows, via_get) in [(7, false), (7, true), (100, true)] {
        let mut seen: Vec<String> = Vec::new();
        let mut previous: Option<String> = None;
        let mut start = 0;
        let mut pages = 0;
        loop {
            let (rows_text, start_text) = (rows.to_string(), start.to_string());
            let reply = if via_get {
                // The harvester's request (ckan-api.md §5.1), `+` for the space as it sends it.
                cat.server.get(
                    &format!("/api/3/action/package_search?rows={rows_text}&start={start_text}&sort=id+asc"),
                    &[],
                )
            } else {
                cat.server.action(
                    "package_search",
                    json!({"sort": "id asc", "rows": rows, "start": start}),
                    None,
                )
            };
            assert_eq!(reply.status, 200, "page at {start}: {}", reply.text);
            let result = reply.result();
            assert_eq!(count(&result), expected.len(), "count on the page at {start}");
            assert_eq!(result["sort"], "id asc");
            let page = ids(&result);
            assert!(page.len() <= rows);
            assert!(
                previous.as_deref() != Some(reply.text.as_str()),
                "two identical consecutive pages at start={start}"
            );
            previous = Some(reply.text.clone());
            pages += 1;
            if page.is_empty() {
                break;
            }
            assert!(pages <= expected.len() + 1, "paging does not end");
            seen.extend(page);
            start += rows;
        }
        assert_eq!(pages, expected.len().div_ceil(rows) + 1, "one empty page past the end");
        let distinct: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(distinct.len(), seen.len(), "rows={rows}: a dataset came twice");
        assert!(
            seen == expected,
            "rows={rows}: {}",
            cat.difference(&seen.iter().cloned().collect(), &expected.iter().cloned().collect())
        );
    }
    // Without rows: ten (CKAN's default page), the count still the total.
    let result = search(&cat.server, json!({"sort": "id asc"}), None);
    assert_eq!(ids(&result), expected[..10].to_vec(), "default rows");
    assert_eq!(count(&result), expected.len());
    let result = search(&cat.server, json!({"sort": "id asc", "start": 10}), None);
    assert_eq!(ids(&result), expected[10..20].to_vec(), "default rows from start=10");
    // A page far past the end: empty, with the full count.
    let result = search(&cat.server, json!({"start": 100_000, "rows": 10}), None);
    assert_eq!(result["results"], json!([]));
    assert_eq!(count(&result), expected.len());
}

#[test]
fn the_harvesters_incremental_filter_returns_exactly_the_newer_datasets() {
    let cat = catalogue();
    let public = cat.public();
    let mut times: Vec<i64> = public.iter().map(|d| modified(d)).collect();
    times.sort_unstable();
    times.dedup();
    // A gap between two datasets' metadata_modified, as near the middle as possible.
    let middle = times.len() / 2;
    let k = (0..times.len() - 1)
        .filter(|&k| times[k + 1] - times[k] >= 2)
        .min_by_key(|&k| k.abs_diff(middle))
        .expect("two different times");
    let since = times[k] + 1;
    let newer = cat.select(|d| modified(d) > times[k]);
    assert!(!newer.is_empty() && newer.len() < public.len());
    let fq = format!("metadata_modified:[{}Z TO *]", iso(since));

    // The harvester's request, paged to the empty page.
    let mut got = Ids::new();
    let mut start = 0;
    loop {
        let start_text = start.to_string();
        let reply = search_get(
            &cat.server,
            &[("rows", "100"), ("start", &start_text), ("sort", "id asc"), ("fq", &fq)],
            None,
        );
        let result = reply.result();
        assert_eq!(count(&result), newer.len(), "{fq}: {}", cat.difference(&id_set(&result), &newer));
        if ids(&result).is_empty() {
            break;
        }
        got.extend(ids(&result));
        start += 100;
    }
    assert!(got == newer, "{fq}: {}", cat.difference(&got, &newer));

    // At the older dataset's own time, it is included (`[` is inclusive).
    let at = cat.select(|d| modified(d) >= times[k]);
    cat.expect(json!({"fq": format!("metadata_modified:[{}Z TO *]", iso(times[k]))}), &at, "inclusive");
    // With the harvester's organization exclusion in front (ckan-api.md §5.1).
    let (org, _) =
        ranked(&facet_counts(&public, "organization")).into_iter().find(|(v, _)| bare(v)).expect("org");
    let expected: Ids =
        newer.iter().filter(|i| org_name(cat.by_id(i)).as_deref() != Some(org.as_str())).cloned().collect();
    cat.expect(json!({"fq": format!("-organization:{org} {fq}")}), &expected, "exclusion and since");
    // Later than everything: nothing, and the harvester stops.
    let last = *times.last().unwrap();
    cat.expect(
        json!({"fq": format!("metadata_modified:[{}Z TO *]", iso(last + 1))}),
        &Ids::new(),
        "after the newest",
    );
}

// ------------------------------------------------------------------------------------------
// 4. Visibility
// ------------------------------------------------------------------------------------------

/// A site with two organizations and a dataset of every kind.
struct World {
    server: TestServer,
    /// Persona → token (`None`: anonymous).
    personas: Vec<(&'static str, Option<String>)>,
    /// Dataset label → id.
    datasets: BTreeMap<&'static str, String>,
}

fn world() -> World {
    let server = TestServer::start();
    let (_, root) = server.user_with_token("root", true);
    let (_, alice) = server.user_with_token("alice", false); // editor of alpha
    let (_, mia) = server.user_with_token("mia", false); // member of alpha
    let (_, bob) = server.user_with_token("bob", false); // editor of beta
    let (_, otto) = server.user_with_token("otto", false); // no organization
    let (_, carl) = server.user_with_token("carl", false); // collaborator on beta-private
    server.org("alpha", &[("alice", "editor"), ("mia", "member")]);
    server.org("beta", &[("bob", "editor")]);
    let mut datasets = BTreeMap::new();
    let mut create = |label: &'static str, token: &str, body: Value| {
        let mut body = body;
        body["name"] = json!(label);
        body["title"] = json!(format!("Visibility {label}"));
        body["notes"] = json!("A visibility probe");
        body["tags"] = json!([{"name": "probe"}, {"name": format!("tag-{label}")}]);
        body["resources"] = json!([{"url": "http://example.org/x", "format": format!("FMT{}", label.to_uppercase().replace('-', ""))}]);
        let draft = body.get("state").is_some();
        if let Some(map) = body.as_object_mut() {
            map.remove("state");
        }
        let reply = server.action("package_create", body, Some(token));
        assert_eq!(reply.status, 200, "{label}: {}", reply.text);
        let id = reply.result()["id"].as_str().unwrap().to_owned();
        // package_create ignores `state` from a non-sysadmin (as CKAN does); the editor makes
        // the dataset a draft with a patch, so the draft is still theirs.
        if draft {
            let reply = server.action("package_patch", json!({"id": id, "state": "draft"}), Some(token));
            assert_eq!(reply.status, 200, "{label}: {}", reply.text);
            assert_eq!(reply.result()["state"], "draft", "{label}");
        }
        datasets.insert(label, id);
    };
    create("alpha-public", &alice, json!({"owner_org": "alpha"}));
    create("alpha-private", &alice, json!({"owner_org": "alpha", "private": true}));
    create("alpha-draft", &alice, json!({"owner_org": "alpha", "state": "draft"}));
    create("alpha-private-draft", &alice, json!({"owner_org": "alpha", "private": true, "state": "draft"}));
    create("alpha-deleted", &alice, json!({"owner_org": "alpha"}));
    create("beta-public", &bob, json!({"owner_org": "beta"}));
    create("beta-private", &bob, json!({"owner_org": "beta", "private": true}));
    create("beta-draft", &bob, json!({"owner_org": "beta", "state": "draft"}));
    let deleted = server.action("package_delete", json!({"id": "alpha-deleted"}), Some(&alice));
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let collaborator = json!({"id": "beta-private", "user_id": "carl", "capacity": "member"});
    let added = server.action("package_collaborator_create", collaborator, Some(&root));
    assert_eq!(added.status, 200, "{}", added.text);
    let personas = vec![
        ("anonymous", None),
        ("outsider", Some(otto)),
        ("alpha member", Some(mia)),
        ("alpha editor", Some(alice)),
        ("beta editor", Some(bob)),
        ("beta-private collaborator", Some(carl)),
        ("sysadmin", Some(root)),
    ];
    World { server, personas, datasets }
}

/// What a persona may find with the two flags (ckan-api.md §2.2, §4.6: private and draft datasets
/// are for their organization's members, their collaborators and sysadmins; deleted ones for
/// nobody).
fn visible(persona: &str, include_private: bool, include_drafts: bool) -> BTreeSet<&'static str> {
    let orgs: &[&str] = match persona {
        "alpha member" | "alpha editor" => &["alpha"],
        "beta editor" => &["beta"],
        "sysadmin" => &["alpha", "beta"],
        _ => &[],
    };
    let mut shown = BTreeSet::from(["alpha-public", "beta-public"]);
    if persona == "beta-private collaborator" && include_private {
        shown.insert("beta-private");
    }
    for org in orgs {
        for (label, private, draft) in [
            ("alpha-private", true, false),
            ("alpha-draft", false, true),
            ("alpha-private-draft", true, true),
            ("beta-private", true, false),
            ("beta-draft", false, true),
        ] {
            if label.starts_with(org) && (!private || include_private) && (!draft || include_drafts) {
                shown.insert(label);
            }
        }
    }
    shown
}

#[test]
fn private_draft_and_deleted_datasets_never_leak() {
    let w = world();
    let label_of = |id: &str| -> String {
        w.datasets
            .iter()
            .find(|(_, i)| *i == id)
            .map_or_else(|| format!("unknown {id}"), |(l, _)| (*l).to_owned())
    };
    for (persona, token) in &w.personas {
        for (include_private, include_drafts) in [(false, false), (true, false), (false, true), (true, true)]
        {
            let expected = visible(persona, include_private, include_drafts);
            let what =
                format!("{persona}, include_private={include_private}, include_drafts={include_drafts}");
            let mut params = json!({"rows": 100, "facet.field": ["tags", "res_format", "organization"], "facet.limit": -1});
            if include_private {
                params["include_private"] = json!(true);
            }
            if include_drafts {
                params["include_drafts"] = json!(true);
            }
            let result = search(&w.server, params, token.as_deref());
            let got: BTreeSet<String> = ids(&result).iter().map(|i| label_of(i)).collect();
            let expected_names: BTreeSet<String> = expected.iter().map(|l| (*l).to_owned()).collect();
            assert_eq!(got, expected_names, "{what}");
            assert_eq!(count(&result), expected.len(), "{what}: count");
            // Facets count only what the caller may see.
            let tag_facet = &result["facets"]["tags"];
            assert_eq!(tag_facet["probe"], json!(expected.len()), "{what}: facets.tags.probe");
            let mut tag_names: BTreeSet<String> = keys(tag_facet).into_iter().collect();
            tag_names.remove("probe");
            let expected_tags: BTreeSet<String> = expected.iter().map(|l| format!("tag-{l}")).collect();
            assert_eq!(tag_names, expected_tags, "{what}: facets.tags");
            let formats: BTreeSet<String> = keys(&result["facets"]["res_format"]).into_iter().collect();
            assert_eq!(formats.len(), expected.len(), "{what}: facets.res_format {formats:?}");
            let org_total: u64 = result["facets"]["organization"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum();
            assert_eq!(org_total, expected.len() as u64, "{what}: facets.organization");
            // Asking for a hidden dataset by name does not find it either.
            for label in w.datasets.keys() {
                let result = search(
                    &w.server,
                    json!({"fq": format!("name:{label}"), "include_private": include_private, "include_drafts": include_drafts}),
                    token.as_deref(),
                );
                assert_eq!(count(&result), usize::from(expected.contains(label)), "{what}: name:{label}");
            }
        }
        // Filters on state or capacity do not open a back door.
        for fq in [
            "state:draft",
            "state:deleted",
            "capacity:private",
            "+state:(active OR draft OR deleted)",
            "state:*",
        ] {
            let result = search(&w.server, json!({"fq": fq, "rows": 100}), token.as_deref());
            let got: BTreeSet<String> = ids(&result).iter().map(|i| label_of(i)).collect();
            let allowed: BTreeSet<String> =
                visible(persona, false, false).iter().map(|l| (*l).to_owned()).collect();
            assert!(got.is_subset(&allowed), "{persona}: fq={fq} shows {got:?}");
        }
        // A deleted dataset stays out, with include_deleted too unless the caller may read it.
        let result = search(
            &w.server,
            json!({"q": "name:alpha-deleted", "include_private": true, "include_drafts": true, "include_deleted": true}),
            token.as_deref(),
        );
        if !matches!(*persona, "alpha member" | "alpha editor" | "sysadmin") {
            assert_eq!(count(&result), 0, "{persona} finds a deleted dataset with include_deleted");
        }
    }
    // The GET form, with booleans as ckanapi writes them.
    let (_, mia) = &w.personas[2];
    let reply = search_get(&w.server, &[("include_private", "True"), ("rows", "100")], mia.as_deref());
    let got: BTreeSet<String> = ids(&reply.result()).iter().map(|i| label_of(i)).collect();
    assert_eq!(
        got,
        visible("alpha member", true, false).iter().map(|l| (*l).to_owned()).collect(),
        "GET include_private=True"
    );
    let reply =
        search_get(&w.server, &[("include_private", "false"), ("include_drafts", "False")], mia.as_deref());
    assert_eq!(count(&reply.result()), 2, "GET include_private=false");
}

// ------------------------------------------------------------------------------------------
// 5. Read-your-writes
// ------------------------------------------------------------------------------------------

/// First pages are answered without a hand-off to a blocking thread when the token, the index
/// and the read cache hold all they need; whatever needs the database (a token, memberships or
/// a display name not held) and deep pages or long queries are answered the usual way. Either
/// way the answer is the same.
#[test]
fn small_searches_answer_alike_whichever_thread_answers_them() {
    let server = TestServer::start();
    let (_, admin) = server.user_with_token("admin", true);
    let made = server.action(
        "organization_create",
        json!({"name": "harbour", "title": "Harbour Office"}),
        Some(&admin),
    );
    assert_eq!(made.status, 200, "{}", made.text);
    for i in 0..30 {
        let create = server.action(
            "package_create",
            json!({"name": format!("buoy-{i:02}"), "title": format!("Buoy {i} readings"), "owner_org": "harbour"}),
            Some(&admin),
        );
        assert_eq!(create.status, 200, "{}", create.text);
    }
    let facets = json!({"q": "buoy", "facet.field": ["organization"], "rows": 5, "sort": "name asc"});
    let display =
        |result: &Value| result["search_facets"]["organization"]["items"][0]["display_name"].clone();
    // Right after the writes (the index catches up from the database), then again.
    for _ in 0..2 {
        let result = search(&server, facets.clone(), None);
        assert_eq!(count(&result), 30);
        assert_eq!(display(&result), "Harbour Office");
        assert_eq!(ids(&result).len(), 5);
    }
    // A new title is seen at once, as is a new dataset.
    let retitled = server.action(
        "organization_patch",
        json!({"id": "harbour", "title": "Port Authority"}),
        Some(&admin),
    );
    assert_eq!(retitled.status, 200, "{}", retitled.text);
    assert_eq!(display(&search(&server, facets.clone(), None)), "Port Authority");
    let create = server.action(
        "package_create",
        json!({"name": "buoy-30", "title": "Buoy 30 readings", "owner_org": "harbour"}),
        Some(&admin),
    );
    assert_eq!(create.status, 200, "{}", create.text);
    assert_eq!(count(&search(&server, facets.clone(), None)), 31);

    // A small page, a deep one and one with a long query agree on the same datasets.
    let all = ids(&search(&server, json!({"q": "buoy", "rows": 31, "sort": "name asc"}), None));
    assert_eq!(all.len(), 31);
    let deep =
        ids(&search(&server, json!({"q": "buoy", "rows": 1, "start": 1030, "sort": "name asc"}), None));
    assert!(deep.is_empty());
    let long_q = format!("buoy {}", "readings ".repeat(80));
    let long = ids(&search(&server, json!({"q": long_q, "rows": 31, "sort": "name asc"}), None));
    assert_eq!(long, all);
    let pages: Vec<String> = (0..4)
        .flat_map(|page| {
            ids(&search(
                &server,
                json!({"q": "buoy", "rows": 10, "start": page * 10, "sort": "name asc"}),
                None,
            ))
        })
        .collect();
    assert_eq!(pages, all);
    // The newest datasets, small and large pages alike.
    let newest = server.get("/api/3/action/current_package_list_with_resources?limit=5", &[]).result();
    let more = server.get("/api/3/action/current_package_list_with_resources?limit=500", &[]).result();
    assert_eq!(newest.as_array().unwrap()[..], more.as_array().unwrap()[..5]);
    assert_eq!(newest[0]["name"], "buoy-30");
    // Errors are the usual ones.
    let bad = search_get(&server, &[("rows", "many")], None);
    assert_eq!(bad.status, 409, "{}", bad.text);

    // With a token: a private dataset is found by its organization's member (the token and
    // memberships read from the database first, then held) and by no one else.
    let (_, member) = server.user_with_token("member", false);
    let added = server.action(
        "organization_member_create",
        json!({"id": "harbour", "username": "member", "role": "member"}),
        Some(&admin),
    );
    assert_eq!(added.status, 200, "{}", added.text);
    let (_, stranger) = server.user_with_token("stranger", false);
    let private = server.action(
        "package_create",
        json!({"name": "buoy-secret", "title": "Buoy secret readings", "owner_org": "harbour", "private": true}),
        Some(&admin),
    );
    assert_eq!(private.status, 200, "{}", private.text);
    let secret = json!({"q": "secret", "include_private": true});
    for _ in 0..3 {
        assert_eq!(count(&search(&server, secret.clone(), Some(&member))), 1);
        assert_eq!(count(&search(&server, secret.clone(), Some(&stranger))), 0);
        assert_eq!(count(&search(&server, secret.clone(), None)), 0);
    }
    // The whole `package_list` (answered on the worker) holds the public datasets only, for
    // anyone, and agrees with its pages (answered on a blocking thread); a deleted dataset
    // leaves it at once.
    let names = |token: Option<&str>, query: &str| {
        let answer = server.get(
            &format!("/api/3/action/package_list{query}"),
            &token.map_or(vec![], |t| vec![("Authorization", t)]),
        );
        answer.result().as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let expected: Vec<String> = (0..=30).map(|i| format!("buoy-{i:02}")).collect();
    for token in [None, Some(member.as_str()), Some(stranger.as_str())] {
        assert_eq!(names(token, ""), expected);
    }
    assert_eq!(names(None, "?limit=3&offset=2"), expected[2..5]);
    let deleted = server.action("package_delete", json!({"id": "buoy-07"}), Some(&admin));
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert!(!names(None, "").contains(&"buoy-07".to_owned()));
    assert_eq!(names(None, "").len(), 30);

    let revoked = server.action("api_token_revoke", json!({"token": member}), Some(&member));
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(count(&search(&server, secret.clone(), Some(&member))), 0, "a revoked token is anonymous");
}

#[test]
fn every_write_is_searchable_the_moment_it_returns() {
    let server = TestServer::start();
    let (_, admin) = server.user_with_token("admin", true);
    let (_, editor) = server.user_with_token("editor", false);
    server.org("sea", &[("editor", "editor")]);
    let find = |params: Value| -> Vec<String> {
        let mut params = params;
        params["rows"] = json!(100);
        ids(&search(&server, params, None))
    };
    let create = server.action(
        "package_create",
        json!({
            "name": "sightings-2024",
            "title": "Harbour porpoise sightings",
            "owner_org": "sea",
            "tags": [{"name": "marine"}],
            "resources": [{"url": "http://example.org/s.csv", "format": "CSV", "name": "Observations", "description": "Counted from the ferry"}],
            "extras": [{"key": "survey", "value": "coastal"}],
        }),
        Some(&editor),
    );
    assert_eq!(create.status, 200, "{}", create.text);
    let id = create.result()["id"].as_str().unwrap().to_owned();
    let one = vec![id.clone()];
    let none: Vec<String> = Vec::new();
    for q in ["porpoise", "harbour", "sightings", "marine", "observations", "ferry", "coastal"] {
        assert_eq!(find(json!({"q": q})), one, "q={q} right after package_create");
    }
    for fq in
        ["name:sightings-2024", "tags:marine", "res_format:CSV", "organization:sea", "extras_survey:coastal"]
    {
        assert_eq!(find(json!({"fq": fq})), one, "fq={fq} right after package_create");
    }
    let shown = server.get("/api/3/action/package_show?id=sightings-2024", &[]).result();
    let result = search(&server, json!({"q": "porpoise"}), None);
    assert_eq!(result["results"][0], shown, "the result is the stored dict");

    // Patch the title: the new word finds it, the old one does not.
    let patched = server.action(
        "package_patch",
        json!({"id": id, "title": "Harbour dolphin sightings"}),
        Some(&editor),
    );
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(find(json!({"q": "dolphin"})), one, "new title word");
    assert_eq!(find(json!({"q": "porpoise"})), none, "old title word");
    let result = search(&server, json!({"q": "dolphin"}), None);
    assert_eq!(result["results"][0]["title"], "Harbour dolphin sightings");
    assert_eq!(
        result["results"][0],
        server.get(&format!("/api/3/action/package_show?id={id}"), &[]).result()
    );

    // Update replaces the tags.
    let mut full = server.get(&format!("/api/3/action/package_show?id={id}"), &[]).result();
    full["tags"] = json!([{"name": "cetacean"}]);
    let updated = server.action("package_update", full, Some(&editor));
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(find(json!({"fq": "tags:cetacean"})), one);
    assert_eq!(find(json!({"fq": "tags:marine"})), none);
    // Rename.
    let renamed = server.action("package_patch", json!({"id": id, "name": "sightings-2025"}), Some(&editor));
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(find(json!({"fq": "name:sightings-2025"})), one);
    assert_eq!(find(json!({"fq": "name:sightings-2024"})), none);
    // A new resource.
    let resource = server.action(
        "resource_create",
        json!({"package_id": id, "url": "http://example.org/s.geojson", "format": "GeoJSON", "name": "Tracks"}),
        Some(&editor),
    );
    assert_eq!(resource.status, 200, "{}", resource.text);
    let stored_format = resource.result()["format"].as_str().unwrap().to_owned();
    assert_eq!(find(json!({"fq": format!("res_format:{stored_format}")})), one, "a new resource's format");
    assert_eq!(find(json!({"q": "tracks"})), one, "a new resource's name");
    // metadata_modified moves, and the harvester's filter sees it.
    let now = server.get(&format!("/api/3/action/package_show?id={id}"), &[]).result();
    let since = micros(now["metadata_modified"].as_str().unwrap());
    assert_eq!(find(json!({"fq": format!("metadata_modified:[{}Z TO *]", iso(since))})), one);
    assert_eq!(find(json!({"fq": format!("metadata_modified:[{}Z TO *]", iso(since + 1))})), none);

    // Made private: gone for the public, there for members who ask.
    let private = server.action("package_patch", json!({"id": id, "private": true}), Some(&editor));
    assert_eq!(private.status, 200, "{}", private.text);
    assert_eq!(find(json!({"q": "dolphin"})), none, "private");
    let result = search(&server, json!({"q": "dolphin", "include_private": true}), Some(&editor));
    assert_eq!(ids(&result), one, "private, for the editor");
    let public = server.action("package_patch", json!({"id": id, "private": false}), Some(&editor));
    assert_eq!(public.status, 200, "{}", public.text);
    assert_eq!(find(json!({"q": "dolphin"})), one, "public again");

    // Deleted: gone, for everyone.
    let deleted = server.action("package_delete", json!({"id": id}), Some(&editor));
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(find(json!({"q": "dolphin"})), none, "deleted");
    let result = search(
        &server,
        json!({"q": "dolphin", "include_private": true, "include_drafts": true}),
        Some(&admin),
    );
    assert_eq!(count(&result), 0, "deleted, for a sysadmin");
    assert_eq!(count(&search(&server, json!({}), None)), 0);

    // The same through the CLI's path (an action called in-process), and purge.
    let made = server.as_site(
        "package_create",
        json!({"name": "walrus-census", "title": "Walrus census", "owner_org": "sea"}),
    );
    let walrus = vec![made["id"].as_str().unwrap().to_owned()];
    assert_eq!(find(json!({"q": "walrus"})), walrus, "created in-process");
    server.as_site("dataset_purge", json!({"id": "walrus-census"}));
    assert_eq!(find(json!({"q": "walrus"})), none, "purged");
    assert_eq!(count(&search(&server, json!({}), None)), 0);
}

// ------------------------------------------------------------------------------------------
// 6. Errors and bounds
// ------------------------------------------------------------------------------------------

fn small_site() -> (TestServer, String) {
    let server = TestServer::start();
    let (_, admin) = server.user_with_token("admin", true);
    server.org("org", &[]);
    for i in 0..3 {
        server.as_site(
            "package_create",
            json!({"name": format!("dataset-{i}"), "owner_org": "org", "tags": [{"name": "probe"}], "resources": [{"url": "http://x.org/a", "format": "CSV"}]}),
        );
    }
    (server, admin)
}

#[test]
fn unknown_parameters_are_a_search_query_error() {
    let (server, admin) = small_site();
    // jQuery's cache-buster (ckan-api.md §6 item 4).
    let reply = search_get(&server, &[("q", "*:*"), ("_", "1700000000000")], None);
    let error = search_error(&reply, "GET _=");
    assert!(error["message"].as_str().unwrap().contains("Invalid search parameters"), "{}", reply.text);
    let reply = server.action("package_search", json!({"q": "*:*", "nonsense_param": 1}), Some(&admin));
    let error = search_error(&reply, "POST nonsense_param");
    assert!(
        error["message"].as_str().unwrap().contains("nonsense_param"),
        "the message names the parameter: {}",
        reply.text
    );
    // `ext_` parameters are for plugins: accepted.
    let reply = search_get(&server, &[("q", "*:*"), ("ext_bbox", "1,2,3,4")], None);
    assert_eq!(reply.status, 200, "ext_ parameter: {}", reply.text);
    // Every documented parameter is accepted.
    let reply = server.action(
        "package_search",
        json!({"q": "*:*", "fq": "", "fq_list": [], "sort": "name asc", "rows": 5, "start": 0, "facet": "true",
               "facet.field": [], "facet.limit": 50, "facet.mincount": 1, "include_private": false,
               "include_drafts": false, "include_deleted": false}),
        None,
    );
    assert_eq!(reply.status, 200, "documented parameters: {}", reply.text);
}

#[test]
fn unparseable_queries_are_a_search_query_error_never_a_500() {
    let (server, _) = small_site();
    let cases: &[(&str, &str)] = &[
        ("q", "(a"),
        ("q", "(water OR"),
        ("q", "a)"),
        ("q", "name:\"unclosed"),
        ("q", "tags:"),
        ("q", "AND"),
        ("q", "water AND"),
        ("fq", "tags:(a"),
        ("fq", "metadata_modified:[2024-01-01T00:00:00Z TO"),
        ("fq", "metadata_modified:[2024-01-01T00:00:00Z *]"),
        ("fq", "metadata_modified:[NOW-7FOOS TO *]"),
        ("fq", "metadata_modified:[not-a-date TO *]"),
    ];
    for (param, value) in cases {
        let what = format!("{param}={value}");
        let reply = search_get(&server, &[(param, value)], None);
        assert!(reply.status < 500, "{what}: {} {}", reply.status, reply.text);
        search_error(&reply, &what);
        let reply = server.action("package_search", json!({*param: value}), None);
        search_error(&reply, &format!("POST {what}"));
    }
    // Local parameters: refused. CKAN answers 409 `Search Error` (ckan-api.md §2.2); a 400
    // `Search Query Error` is as good for a client. Never a 500, never run.
    for q in ["{!lucene}name:x", "{!func}sum(1,2)"] {
        let reply = search_get(&server, &[("q", q)], None);
        let error = reply.error();
        assert!(
            (reply.status == 409 && error["__type"] == "Search Error")
                || (reply.status == 400 && error["__type"] == "Search Query Error"),
            "q={q}: {} {}",
            reply.status,
            reply.text
        );
    }
    let reply = server.action("package_search", json!({"fq_list": ["tags:probe", "name:(x"]}), None);
    search_error(&reply, "fq_list with a bad filter");
}

#[test]
fn bad_sort_rows_and_start() {
    let (server, _) = small_site();
    // Solr refuses a sort without a direction ("Can't determine a Sort Order"); CKAN turns that
    // into this 400. Every case is tried; the failures are reported at the end.
    let sort_failures: Vec<String> =
        ["name sideways", "no_such_field asc", "name", "asc", "; drop table package"]
            .into_iter()
            .filter_map(|sort| {
                search_error_or(&search_get(&server, &[("sort", sort)], None), &format!("sort={sort}")).err()
            })
            .collect();
    // Negative rows/start: CKAN's validation error (409), or a 400.
    for (param, value) in [("rows", "-1"), ("start", "-1"), ("rows", "ten"), ("start", "1.5")] {
        let reply = search_get(&server, &[(param, value)], None);
        assert!(matches!(reply.status, 400 | 409), "{param}={value}: {} {}", reply.status, reply.text);
        let error = reply.error();
        if reply.status == 409 {
            assert_eq!(error["__type"], "Validation Error", "{param}={value}");
            assert!(error[param].is_array(), "{param}={value}: the error names the field: {}", reply.text);
            if value == "-1" {
                assert_eq!(error[param], json!(["Must be a natural number"]), "{param}={value}");
            }
        } else {
            assert_eq!(error["__type"], "Search Query Error", "{param}={value}");
        }
    }
    // rows above the maximum: clamped silently; rows=0: counts only.
    let result = search(&server, json!({"rows": 5000}), None);
    assert_eq!(count(&result), 3);
    assert_eq!(ids(&result).len(), 3);
    let reply = search_get(&server, &[("rows", "5000")], None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    let result = search(&server, json!({"rows": 0, "facet.field": ["tags"]}), None);
    assert_eq!(result["results"], json!([]));
    assert_eq!(count(&result), 3);
    assert_eq!(result["facets"], json!({"tags": {"probe": 3}}));
    assert_eq!(
        result["search_facets"],
        json!({"tags": {"title": "tags", "items": [{"name": "probe", "display_name": "probe", "count": 3}]}})
    );
    // Strings for numbers, as in a GET query string or a form.
    let result = search(&server, json!({"rows": "2", "start": "1", "sort": "name asc"}), None);
    assert_eq!(
        result["results"].as_array().unwrap().iter().map(|d| text(d, "name").to_owned()).collect::<Vec<_>>(),
        ["dataset-1", "dataset-2"]
    );
    assert!(sort_failures.is_empty(), "bad sorts accepted:\n{}", sort_failures.join("\n"));
}

/// The message of a bad sort is CKAN's, word for word (ckan-api.md §2.2): `%r` of the reason,
/// so in single quotes, as Python writes a string that contains double quotes.
#[test]
fn a_bad_sort_has_ckans_message() {
    let (server, _) = small_site();
    let reply = search_get(&server, &[("sort", "name sideways")], None);
    let error = search_error(&reply, "sort=name sideways");
    assert_eq!(error["message"], "Search Query is invalid: 'Invalid \"sort\" parameter'");
}

/// `rows` is capped at `ckan.search.rows_max` (1000), silently; `count` stays the total.
#[test]
fn rows_above_the_maximum_return_a_thousand() {
    let server = TestServer::start();
    server.org("bulk", &[]);
    let total = ROWS_MAX + 5;
    for i in 0..total {
        server.as_site("package_create", json!({"name": format!("bulk-{i:05}"), "owner_org": "bulk"}));
    }
    for rows in [5000, 1001] {
        let result = search(&server, json!({"rows": rows, "sort": "name asc"}), None);
        assert_eq!(count(&result), total);
        assert_eq!(ids(&result).len(), ROWS_MAX, "rows={rows}");
        assert_eq!(result["results"][ROWS_MAX - 1]["name"], format!("bulk-{:05}", ROWS_MAX - 1));
    }
    let result = search(&server, json!({"rows": 5000, "start": 1000, "sort": "name asc"}), None);
    assert_eq!(ids(&result).len(), 5);
}
