//! Harvesting, as ckanext-harvest models it: sources (a remote catalogue, its type, how often
//! to visit it and its configuration), jobs (one visit), objects (one remote dataset handled by
//! a job, with its errors), gather errors, the harvest log, and the lasting map from a remote
//! dataset to the local one made from it. The rules here need no I/O.

use serde_json::{Map, Value};

use crate::Timestamp;

/// The kinds of remote catalogue a source can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceType {
    /// A CKAN site, read through its Action API.
    Ckan,
    /// A DCAT-AP catalogue in RDF (Turtle, RDF/XML, JSON-LD), paged with Hydra.
    DcatRdf,
    /// A DCAT-US `data.json` catalogue.
    DcatJson,
}

impl SourceType {
    pub const ALL: [Self; 3] = [Self::Ckan, Self::DcatRdf, Self::DcatJson];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ckan => "ckan",
            Self::DcatRdf => "dcat_rdf",
            Self::DcatJson => "dcat_json",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == value)
    }

    /// ckanext-harvest's message for an unknown type.
    pub fn unknown_message(value: &str) -> String {
        let names: Vec<String> = Self::ALL.iter().map(|t| format!("'{}'", t.as_str())).collect();
        format!("Unknown harvester type: {value}. Registered types: [{}]", names.join(", "))
    }
}

/// How often a source is harvested by the server's scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    Manual,
    Daily,
    Weekly,
    Biweekly,
    Monthly,
    Always,
}

impl Frequency {
    pub const ALL: [Self; 6] =
        [Self::Manual, Self::Daily, Self::Weekly, Self::Biweekly, Self::Monthly, Self::Always];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "MANUAL",
            Self::Daily => "DAILY",
            Self::Weekly => "WEEKLY",
            Self::Biweekly => "BIWEEKLY",
            Self::Monthly => "MONTHLY",
            Self::Always => "ALWAYS",
        }
    }

    /// The frequency of that name (ckanext-harvest compares in upper case).
    pub fn parse(value: &str) -> Option<Self> {
        let upper = value.trim().to_ascii_uppercase();
        Self::ALL.into_iter().find(|f| f.as_str() == upper)
    }

    /// When a job started at `after` should be followed by the next one; `None` for manual
    /// sources.
    pub fn next_run(self, after: Timestamp) -> Option<Timestamp> {
        let days = match self {
            Self::Manual => return None,
            Self::Always => 0,
            Self::Daily => 1,
            Self::Weekly => 7,
            Self::Biweekly => 14,
            Self::Monthly => 30,
        };
        Some(Timestamp::from_naive(after.naive() + chrono::TimeDelta::days(days)))
    }
}

/// The state of a job: ckanext-harvest's `New`, `Running` and `Finished`, plus `Aborted`
/// (stopped by `harvest_job_abort`, or past its time limit) and `Failed` (the process running
/// it stopped).
pub mod job_status {
    pub const NEW: &str = "New";
    pub const RUNNING: &str = "Running";
    pub const FINISHED: &str = "Finished";
    pub const ABORTED: &str = "Aborted";
    pub const FAILED: &str = "Failed";
}

/// What a job did with one remote dataset (ckanext-harvest's `report_status`).
pub mod report_status {
    pub const ADDED: &str = "added";
    pub const UPDATED: &str = "updated";
    pub const NOT_MODIFIED: &str = "not modified";
    pub const DELETED: &str = "deleted";
    pub const ERRORED: &str = "errored";
}

/// A harvest source.
#[derive(Debug, Clone, PartialEq)]
pub struct HarvestSource {
    pub id: String,
    pub name: String,
    pub title: String,
    pub notes: String,
    pub url: String,
    pub source_type: SourceType,
    pub frequency: Frequency,
    /// The configuration as sent (JSON text, or empty).
    pub config: String,
    pub owner_org: Option<String>,
    pub private: bool,
    /// `active` or `deleted`.
    pub state: String,
    pub creator_user_id: Option<String>,
    /// Free-form `{key, value}` extras.
    pub extras: Vec<(String, String)>,
    pub created: Timestamp,
    pub modified: Timestamp,
    /// When the scheduler starts its next job (none for manual sources).
    pub next_run: Option<Timestamp>,
}

impl HarvestSource {
    pub fn is_active(&self) -> bool {
        self.state == "active"
    }

    /// The dataset-like facts that decide who may see and change it.
    pub fn access(&self) -> crate::authz::PackageAccess {
        crate::authz::PackageAccess {
            id: self.id.clone(),
            state: if self.is_active() {
                crate::package::PackageState::Active
            } else {
                crate::package::PackageState::Deleted
            },
            private: self.private,
            owner_org: self.owner_org.clone(),
            creator_user_id: self.creator_user_id.clone(),
        }
    }
}

/// The counts of a job, by what happened to each remote dataset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobStats {
    pub added: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub deleted: i64,
    pub errored: i64,
}

/// One visit of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct HarvestJob {
    pub id: String,
    pub source_id: String,
    pub status: String,
    pub created: Timestamp,
    pub gather_started: Option<Timestamp>,
    pub gather_finished: Option<Timestamp>,
    pub finished: Option<Timestamp>,
    /// Which process runs it: `host:pid:start-id`.
    pub runner: Option<String>,
    /// The runner's last sign of life.
    pub heartbeat: Option<Timestamp>,
    pub stats: JobStats,
}

/// One remote dataset handled by a job.
#[derive(Debug, Clone, PartialEq)]
pub struct HarvestObject {
    pub id: String,
    pub job_id: String,
    pub source_id: String,
    /// The remote identifier.
    pub guid: String,
    pub package_id: Option<String>,
    /// Whether it is the latest object of its local dataset.
    pub current: bool,
    /// `COMPLETE` or `ERROR`.
    pub state: String,
    pub report_status: String,
    /// The remote record, as fetched (JSON text), when kept.
    pub content: Option<String>,
    pub metadata_modified_date: Option<Timestamp>,
    pub gathered: Timestamp,
    pub import_finished: Option<Timestamp>,
}

/// An error of one object (`stage`: `Fetch` or `Import`).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectError {
    pub id: String,
    pub object_id: String,
    pub message: String,
    pub stage: String,
    pub created: Timestamp,
}

/// An error of a job outside any one dataset (listing the remote catalogue).
#[derive(Debug, Clone, PartialEq)]
pub struct GatherError {
    pub id: String,
    pub job_id: String,
    pub message: String,
    pub created: Timestamp,
}

/// One line of the harvest log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub id: String,
    pub content: String,
    /// `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`.
    pub level: String,
    pub created: Timestamp,
}

/// The lasting link from a remote dataset to the local dataset made from it.
#[derive(Debug, Clone, PartialEq)]
pub struct HarvestedDataset {
    pub source_id: String,
    pub remote_id: String,
    pub package_id: String,
    /// The remote `metadata_modified` last imported, when it had one.
    pub remote_modified: Option<String>,
    /// A hash of the remote record last imported.
    pub content_hash: String,
}

/// A URL without query, fragment, default port and trailing slash: two sources whose URLs
/// normalize alike (with the same configuration) are the same source.
pub fn normalize_url(url: &str) -> String {
    let url = url.trim();
    let without_tail = url.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = match without_tail.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => return without_tail.trim_end_matches('/').to_owned(),
    };
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut host = host.to_ascii_lowercase();
    if ((scheme == "http" && host.ends_with(":80")) || (scheme == "https" && host.ends_with(":443")))
        && let Some((h, _)) = host.rsplit_once(':')
    {
        host = h.to_owned();
    }
    format!("{scheme}://{host}{}", path.trim_end_matches('/'))
}

/// An `http(s)` URL with a host.
pub fn validate_url(url: &str) -> Result<(), &'static str> {
    let trimmed = url.trim();
    let lower = trimmed.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"))
        .ok_or("Please provide a valid URL (http or https)")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) || trimmed.contains(char::is_whitespace) {
        return Err("Please provide a valid URL (http or https)");
    }
    Ok(())
}

/// The options of a `ckan` source (ckanext-harvest's CKAN harvester configuration).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CkanConfig {
    /// Sent as `Authorization` to the remote site.
    pub api_key: Option<String>,
    pub user_agent: Option<String>,
    /// Tag dicts added to every dataset.
    pub default_tags: Vec<Map<String, Value>>,
    /// Local groups (names or ids) every dataset joins.
    pub default_groups: Vec<String>,
    /// Extras added to every dataset; values may use `{dataset_id}`, `{harvest_source_id}`,
    /// `{harvest_source_url}`, `{harvest_source_title}`, `{harvest_job_id}`,
    /// `{harvest_object_id}`.
    pub default_extras: Map<String, Value>,
    /// Whether default extras replace remote extras of the same key.
    pub override_extras: bool,
    /// `only_local` (keep the remote groups that exist here) or `create` (create the missing
    /// ones from the remote `group_show`); otherwise remote groups are dropped.
    pub remote_groups: Option<String>,
    /// `only_local` or `create`, likewise for the organization; otherwise datasets go to the
    /// source's organization.
    pub remote_orgs: Option<String>,
    /// Fetch every dataset on every run, not only those modified since the last one.
    pub force_all: bool,
    /// Make tag names fit CKAN's rules (CKAN's `munge_tag`).
    pub clean_tags: bool,
    pub organizations_filter_include: Vec<String>,
    pub organizations_filter_exclude: Vec<String>,
    pub groups_filter_include: Vec<String>,
    pub groups_filter_exclude: Vec<String>,
}

/// Options every source type reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommonConfig {
    /// Extras added to every dataset (as `default_extras`).
    pub default_extras: Map<String, Value>,
    pub default_tags: Vec<Map<String, Value>>,
    pub default_groups: Vec<String>,
    pub clean_tags: bool,
    pub force_all: bool,
}

fn config_object(text: &str) -> Result<Map<String, Value>, String> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the configuration must be a JSON object".into()),
        Err(e) => Err(e.to_string()),
    }
}

fn string_list(map: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_owned).ok_or_else(|| format!("{key} must be a list of strings"))
            })
            .collect(),
        Some(_) => Err(format!("{key} must be a list of strings")),
    }
}

fn flag(map: &Map<String, Value>, key: &str) -> Result<bool, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{key} must be boolean")),
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

/// Reads a `ckan` source's configuration, with ckanext-harvest's messages (without the
/// `Error parsing the configuration options: ` prefix, which the caller adds).
pub fn parse_ckan_config(config: &str) -> Result<CkanConfig, String> {
    let map = config_object(config)?;
    if let Some(version) = map.get("api_version")
        && !(version.is_i64() || version.as_str().is_some_and(|s| s.trim().parse::<i64>().is_ok()))
    {
        return Err("api_version must be an integer".into());
    }
    let default_tags = match map.get("default_tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut tags = Vec::new();
            for item in items {
                match item {
                    Value::Object(tag) => tags.push(tag.clone()),
                    _ => return Err("default_tags must be a list of dictionaries".into()),
                }
            }
            tags
        }
        Some(_) => return Err("default_tags must be a list".into()),
    };
    let default_groups = match map.get("default_groups") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    "default_groups must be a list of group names/ids (i.e. strings)".to_owned()
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("default_groups must be a *list* of group names/ids".into()),
    };
    let default_extras = match map.get("default_extras") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(extras)) => extras.clone(),
        Some(_) => return Err("default_extras must be a dictionary".into()),
    };
    if map.contains_key("organizations_filter_include") && map.contains_key("organizations_filter_exclude") {
        return Err("Harvest configuration cannot contain both organizations_filter_include and \
                    organizations_filter_exclude"
            .into());
    }
    if map.contains_key("groups_filter_include") && map.contains_key("groups_filter_exclude") {
        return Err(
            "Harvest configuration cannot contain both groups_filter_include and groups_filter_exclude"
                .into(),
        );
    }
    for key in ["remote_groups", "remote_orgs"] {
        if let Some(value) = text(&map, key)?
            && !matches!(value.as_str(), "only_local" | "create")
        {
            return Err(format!("{key} must be \"only_local\" or \"create\""));
        }
    }
    flag(&map, "read_only")?;
    Ok(CkanConfig {
        api_key: text(&map, "api_key")?,
        user_agent: text(&map, "user_agent")?,
        default_tags,
        default_groups,
        default_extras,
        override_extras: flag(&map, "override_extras")?,
        remote_groups: text(&map, "remote_groups")?,
        remote_orgs: text(&map, "remote_orgs")?,
        force_all: flag(&map, "force_all")?,
        clean_tags: flag(&map, "clean_tags")?,
        organizations_filter_include: string_list(&map, "organizations_filter_include")?,
        organizations_filter_exclude: string_list(&map, "organizations_filter_exclude")?,
        groups_filter_include: string_list(&map, "groups_filter_include")?,
        groups_filter_exclude: string_list(&map, "groups_filter_exclude")?,
    })
}

/// Reads the options every source type shares.
pub fn parse_common_config(config: &str) -> Result<CommonConfig, String> {
    let map = config_object(config)?;
    let ckan = parse_ckan_config(config)?;
    Ok(CommonConfig {
        default_extras: ckan.default_extras,
        default_tags: ckan.default_tags,
        default_groups: ckan.default_groups,
        clean_tags: ckan.clean_tags,
        force_all: flag(&map, "force_all")?,
    })
}

/// Checks a source's configuration for its type: the message ckanext-harvest gives.
pub fn validate_config(source_type: SourceType, config: &str) -> Result<(), String> {
    let outcome = match source_type {
        SourceType::Ckan => parse_ckan_config(config).map(|_| ()),
        SourceType::DcatRdf | SourceType::DcatJson => parse_common_config(config).map(|_| ()),
    };
    outcome.map_err(|e| format!("Error parsing the configuration options: {e}"))
}

/// CKAN's `munge_tag`: lower case, spaces to `-`, only letters, digits and `-_.`.
pub fn munge_tag(tag: &str) -> String {
    let lowered = tag.trim().to_lowercase().replace(' ', "-");
    let kept: String =
        lowered.chars().filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    let mut munged = kept;
    while munged.chars().count() < 2 {
        munged.push('_');
    }
    munged.chars().take(100).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_normalize_without_query_port_or_trailing_slash() {
        assert_eq!(normalize_url("HTTP://Example.org:80/a/?x=1"), "http://example.org/a");
        assert_eq!(normalize_url("https://example.org:443"), "https://example.org");
        assert_eq!(normalize_url("https://example.org:8443/"), "https://example.org:8443");
    }

    #[test]
    fn only_http_urls_with_a_host_are_valid() {
        assert!(validate_url("http://example.org").is_ok());
        assert!(validate_url("ftp://example.org").is_err());
        assert!(validate_url("http://").is_err());
        assert!(validate_url("not a url").is_err());
    }

    #[test]
    fn frequencies_and_types_parse_by_name() {
        assert_eq!(Frequency::parse("weekly"), Some(Frequency::Weekly));
        assert_eq!(Frequency::parse("HOURLY"), None);
        assert_eq!(SourceType::parse("dcat_json"), Some(SourceType::DcatJson));
        assert_eq!(SourceType::parse("csw"), None);
    }

    #[test]
    fn ckan_config_errors_are_ckanext_harvests() {
        assert!(validate_config(SourceType::Ckan, "{not json").is_err());
        assert_eq!(parse_ckan_config(r#"{"default_tags": "x"}"#).unwrap_err(), "default_tags must be a list");
        assert_eq!(
            parse_ckan_config(r#"{"default_extras": []}"#).unwrap_err(),
            "default_extras must be a dictionary"
        );
        assert_eq!(parse_ckan_config(r#"{"force_all": "yes"}"#).unwrap_err(), "force_all must be boolean");
        let config = parse_ckan_config(
            r#"{"api_key": "k", "default_tags": [{"name": "a"}], "remote_orgs": "create", "clean_tags": true}"#,
        )
        .unwrap();
        assert_eq!(config.api_key.as_deref(), Some("k"));
        assert!(config.clean_tags);
    }

    #[test]
    fn tags_are_munged() {
        assert_eq!(munge_tag("Open Data!"), "open-data");
        assert_eq!(munge_tag("a"), "a_");
    }
}
