//! `datahavn load` and `datahavn dump`: datasets in and out as JSON lines, one dataset dict per
//! line — the format of `ckanapi dump datasets` and `ckanapi load datasets`. Every dataset goes
//! through the same actions as the API (`package_show`, `package_create`, `package_update`), so
//! a loaded dataset is validated and rendered exactly as one sent over HTTP.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use datahavn_actions::{ActionError, Services};
use datahavn_domain::params::Params;
use datahavn_domain::user::Actor;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use serde_json::{Map, Value};

/// How many line numbers of each failure reason the summary shows.
const LINES_SHOWN: usize = 5;

/// Page size when listing datasets for `dump --all-states`.
const PAGE: u64 = 1000;

/// What became of each line of a load.
#[derive(Debug, Default)]
pub struct LoadSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Reason → line numbers (1-based), in the order the reasons first occurred.
    pub failures: Vec<(String, Vec<usize>)>,
}

impl LoadSummary {
    pub fn failed(&self) -> usize {
        self.failures.iter().map(|(_, lines)| lines.len()).sum()
    }

    fn fail(&mut self, reason: String, line: usize) {
        match self.failures.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, lines)) => lines.push(line),
            None => self.failures.push((reason, vec![line])),
        }
    }

    /// The report printed at the end: counts, then each failure reason with its first lines.
    pub fn report(&self) -> String {
        let mut out = format!(
            "created {}, updated {}, unchanged {}, failed {}\n",
            self.created,
            self.updated,
            self.unchanged,
            self.failed()
        );
        let mut failures: Vec<&(String, Vec<usize>)> = self.failures.iter().collect();
        failures.sort_by_key(|(_, lines)| std::cmp::Reverse(lines.len()));
        for (reason, lines) in failures {
            let shown: Vec<String> = lines.iter().take(LINES_SHOWN).map(usize::to_string).collect();
            let more = if lines.len() > LINES_SHOWN { ", …" } else { "" };
            let label = if lines.len() == 1 { "line" } else { "lines" };
            out.push_str(&format!("  {reason} × {} ({label} {}{more})\n", lines.len(), shown.join(", ")));
        }
        out
    }
}

/// What a line did.
enum Outcome {
    Created,
    Updated,
    Unchanged,
}

fn call(
    services: &Services,
    actor: &Actor,
    action: &str,
    params: Map<String, Value>,
) -> Result<Value, ActionError> {
    datahavn_actions::call(services, actor.clone(), action, &Params::new(params))
}

fn object(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

/// A failure as the summary groups it: the first message of each field, CKAN's wording.
fn reason(error: &ActionError) -> String {
    let first_per_field = |dict: &Map<String, Value>| {
        let parts: Vec<String> = dict
            .iter()
            .map(|(field, messages)| {
                let first = match messages {
                    Value::Array(list) => list.first().map(message_text).unwrap_or_default(),
                    other => message_text(other),
                };
                format!("{field}: {first}")
            })
            .collect();
        parts.join("; ")
    };
    match error {
        ActionError::Validation(errors) => first_per_field(&errors.to_json()),
        ActionError::ValidationDict(dict) => first_per_field(dict),
        ActionError::NotFound(reason) => match reason {
            Some(reason) => format!("Not found: {reason}"),
            None => "Not found".into(),
        },
        ActionError::NotAuthorized(reason) => match reason {
            Some(reason) => format!("Access denied: {reason}"),
            None => "Access denied".into(),
        },
        ActionError::Integrity(message) => format!("Integrity Error: {message}"),
        ActionError::SearchQuery(message) => format!("Search Query Error: {message}"),
        ActionError::Internal(message) => format!("Internal error: {message}"),
        ActionError::Unavailable(message) => format!("Database unavailable: {message}"),
    }
}

fn message_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn non_empty_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The dataset a line names, looked up as `ckanapi load` does: by `id`, then by `name`.
fn existing(
    services: &Services,
    actor: &Actor,
    obj: &Map<String, Value>,
) -> Result<Option<Value>, ActionError> {
    for key in ["id", "name"] {
        let Some(reference) = non_empty_str(obj, key) else { continue };
        match call(services, actor, "package_show", object(&[("id", reference.into())])) {
            Ok(found) => return Ok(Some(found)),
            Err(ActionError::NotFound(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(None)
}

/// Organizations made or found by `--create-orgs`: any reference seen (id or name) → the id.
#[derive(Default)]
struct Organizations {
    known: HashMap<String, String>,
}

impl Organizations {
    /// Makes sure the organization a dataset names exists, creating it from the dataset's
    /// `organization` dict (or from `owner_org` as its name), and points `owner_org` at it.
    fn ensure(
        &mut self,
        services: &Services,
        actor: &Actor,
        obj: &mut Map<String, Value>,
    ) -> Result<(), String> {
        let owner = non_empty_str(obj, "owner_org").map(str::to_owned);
        let (dict, name) = match obj.get("organization") {
            Some(Value::Object(org)) => (Some(org.clone()), non_empty_str(org, "name").map(str::to_owned)),
            Some(Value::String(name)) if !name.is_empty() => (None, Some(name.clone())),
            _ => (None, None),
        };
        let dict_id = dict.as_ref().and_then(|d| non_empty_str(d, "id")).map(str::to_owned);
        let references: Vec<String> =
            [owner.clone(), dict_id.clone(), name.clone()].into_iter().flatten().collect();
        if references.is_empty() {
            return Ok(());
        }
        let mut found = references.iter().find_map(|r| self.known.get(r).cloned());
        if found.is_none() {
            for reference in &references {
                // Only whether it exists: no counts (which would open the search index), no lists.
                let params = object(&[
                    ("id", reference.clone().into()),
                    ("include_dataset_count", false.into()),
                    ("include_users", false.into()),
                    ("include_groups", false.into()),
                ]);
                match call(services, actor, "organization_show", params) {
                    Ok(org) => {
                        found = org.get("id").and_then(Value::as_str).map(str::to_owned);
                        break;
                    }
                    Err(ActionError::NotFound(_)) => {}
                    Err(other) => return Err(format!("organization_show: {}", reason(&other))),
                }
            }
        }
        let id = match found {
            Some(id) => id,
            None => {
                let Some(name) = name.or_else(|| owner.clone()) else { return Ok(()) };
                let mut params = object(&[("name", name.into())]);
                if let Some(dict) = &dict {
                    for key in ["title", "description", "image_url"] {
                        if let Some(value) = dict.get(key).filter(|v| v.is_string()) {
                            params.insert(key.into(), value.clone());
                        }
                    }
                }
                // Keep the source's id when it is a UUID, as `ckanapi load organizations` would.
                let source_id = owner.iter().chain(dict_id.iter()).find(|r| looks_like_uuid(r));
                let mut attempt = params.clone();
                if let Some(source_id) = source_id {
                    attempt.insert("id".into(), source_id.clone().into());
                }
                let created = match call(services, actor, "organization_create", attempt) {
                    Err(ActionError::Validation(errors)) if errors.contains("id") => {
                        call(services, actor, "organization_create", params)
                    }
                    other => other,
                }
                .map_err(|e| format!("organization_create: {}", reason(&e)))?;
                created
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or("organization_create: no id")?
            }
        };
        for reference in references {
            self.known.insert(reference, id.clone());
        }
        obj.insert("owner_org".into(), id.into());
        Ok(())
    }
}

/// `8-4-4-4-12` hexadecimal digits, the shape of the ids CKAN makes.
fn looks_like_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Why a line failed: the reason the summary shows, and whether the database refused it (a
/// conflict with a batch written at the same time may be why, so a batch written alongside
/// others is written again alone rather than keep such a failure).
struct Failure {
    reason: String,
    from_database: bool,
}

impl From<String> for Failure {
    fn from(reason: String) -> Self {
        Self { reason, from_database: false }
    }
}

impl From<ActionError> for Failure {
    fn from(error: ActionError) -> Self {
        let from_database = matches!(
            error,
            ActionError::Integrity(_) | ActionError::Internal(_) | ActionError::Unavailable(_)
        );
        Self { reason: reason(&error), from_database }
    }
}

/// A line's dataset dict, or why it is not one.
fn parse_line(line: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(obj)) => Ok(obj),
        Ok(_) => Err("not a JSON object".into()),
        Err(e) if e.is_eof() => Err("invalid JSON: unexpected end of line".into()),
        Err(_) => Err("invalid JSON".into()),
    }
}

/// Creates or updates the dataset of one line. `maybe_stored`: the line's `id` or `name` may
/// find a stored dataset (else it is created without looking). The line keeps its dict, for a
/// batch written again.
fn load_one(
    services: &Services,
    actor: &Actor,
    obj: &mut Map<String, Value>,
    maybe_stored: bool,
) -> Result<Outcome, Failure> {
    let before = if maybe_stored { existing(services, actor, obj)? } else { None };
    match before {
        Some(before) => {
            let mut obj = obj.clone();
            if let Some(id) = before.get("id") {
                obj.insert("id".into(), id.clone());
            }
            let after = call(services, actor, "package_update", obj)?;
            Ok(if after == before { Outcome::Unchanged } else { Outcome::Updated })
        }
        None => {
            let params = Params::new(std::mem::take(obj));
            let created = datahavn_actions::call(services, actor.clone(), "package_create", &params);
            *obj = params.into_map();
            created?;
            Ok(Outcome::Created)
        }
    }
}

pub(crate) fn progress(length: Option<u64>, what: &str) -> ProgressBar {
    let bar = match length {
        Some(length) => ProgressBar::new(length),
        None => ProgressBar::no_length(),
    };
    let template = match length {
        Some(_) => format!("{{bar:40}} {{pos}}/{{len}} {what} ({{rate}}, {{eta}} left)"),
        None => format!("{{spinner}} {{pos}} {what} ({{rate}})"),
    };
    if let Ok(style) = ProgressStyle::with_template(&template) {
        let rate = |state: &ProgressState, out: &mut dyn std::fmt::Write| {
            let _ = write!(out, "{:.0}/s", state.per_sec());
        };
        bar.set_style(style.with_key("rate", rate));
    }
    bar
}

/// Counts the lines of a file, for the progress bar.
fn count_lines(path: &Path) -> io::Result<u64> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut count = 0;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(count);
        }
        count += buffer.iter().filter(|b| **b == b'\n').count() as u64;
        let used = buffer.len();
        reader.consume(used);
    }
}

/// Why a batch stops: the batch is rolled back.
enum Abort {
    /// It cannot be committed.
    Write(datahavn_storage::StorageError),
    /// A line of it was refused by the database (in a whole batch, perhaps only at its commit;
    /// or written alongside other batches): write it again line by line.
    Again,
}

impl From<datahavn_storage::StorageError> for Abort {
    fn from(error: datahavn_storage::StorageError) -> Self {
        Self::Write(error)
    }
}

/// A line read: its number (1-based), its dataset dict or why it has none, and whether its
/// dataset may be stored already ([`mark_stored`]).
struct Line {
    number: usize,
    dataset: Dataset,
    maybe_stored: bool,
}

/// A line's dataset dict, or why it is not one.
type Dataset = Result<Map<String, Value>, String>;

type Outcomes = Vec<(usize, Result<Outcome, Failure>)>;

/// What a batch written on its own thread came to (`Err`: the thread panicked).
type Written = std::thread::Result<Result<Outcomes, Abort>>;

/// The `id` and `name` a line's dataset is looked up by.
fn references(obj: &Map<String, Value>) -> impl Iterator<Item = &str> {
    ["id", "name"].into_iter().filter_map(|key| non_empty_str(obj, key))
}

/// Whether no two lines may touch the same dataset or resource: the ids, names and resource ids
/// they carry, and the ids of the stored datasets those ids and names find (`stored`: reference →
/// dataset ids), are all different. Only such lines are written by several batches at once, so
/// every line finds what the lines before it wrote as it would one batch after the other.
fn independent(lines: &[Line], stored: &HashMap<String, Vec<String>>) -> bool {
    let mut seen = HashSet::new();
    lines.iter().filter_map(|line| line.dataset.as_ref().ok()).all(|obj| {
        let resources = obj.get("resources").and_then(Value::as_array).into_iter().flatten();
        let resource_ids = resources.filter_map(|r| r.get("id").and_then(Value::as_str));
        let found = references(obj).flat_map(|r| stored.get(r).into_iter().flatten().map(String::as_str));
        let mut keys: HashSet<&str> = references(obj).chain(found).chain(resource_ids).collect();
        keys.remove("");
        keys.into_iter().all(|key| seen.insert(key.to_owned()))
    })
}

/// Reference (id or name) → the ids of the stored datasets it finds, for the lines' references.
fn stored_datasets(services: &Services, lines: &[Line]) -> Result<HashMap<String, Vec<String>>, String> {
    let mut wanted: Vec<String> = lines
        .iter()
        .filter_map(|line| line.dataset.as_ref().ok())
        .flat_map(|obj| references(obj).map(str::to_owned))
        .collect();
    wanted.sort();
    wanted.dedup();
    let found = services.store.read(|tx| tx.packages_referenced(&wanted)).map_err(|e| e.to_string())?;
    let mut stored: HashMap<String, Vec<String>> = HashMap::new();
    for (id, name) in found {
        for reference in [&id, &name] {
            if wanted.binary_search(reference).is_ok() {
                stored.entry(reference.clone()).or_default().push(id.clone());
            }
        }
    }
    Ok(stored)
}

/// Marks the lines whose dataset may be stored when they are written: one of their references
/// finds a stored dataset (`stored`), or a line before them carries it too (and may create
/// it). The others are created without being looked up.
fn mark_stored(lines: &mut [Line], stored: &HashMap<String, Vec<String>>) {
    let mut seen: HashSet<String> = HashSet::new();
    for line in lines {
        let Ok(obj) = &line.dataset else { continue };
        line.maybe_stored = references(obj).any(|r| stored.contains_key(r) || seen.contains(r));
        seen.extend(references(obj).map(str::to_owned));
    }
}

/// How a batch is written: in one transaction, each line's writes committed with it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Attempt {
    /// Without savepoints: a line that fails sends the batch back ([`Abort::Again`]), as
    /// nothing of a failed line may stay.
    Whole,
    /// Each line in a savepoint, other batches written at the same time: a line the database
    /// refuses sends the batch back.
    Alongside,
    /// Each line in a savepoint: a line that fails is undone alone.
    Alone,
}

/// Writes `lines` in one transaction (as `attempt` says), so nothing of a line is ever
/// half-written; a batch sent back is rolled back whole.
fn write_batch(
    services: &Services,
    actor: &Actor,
    lines: &mut [Line],
    attempt: Attempt,
) -> Result<Outcomes, Abort> {
    let work = || {
        let mut outcomes = Vec::with_capacity(lines.len());
        for line in lines.iter_mut() {
            let outcome = match &mut line.dataset {
                Ok(obj) => {
                    let outcome = load_one(services, actor, obj, line.maybe_stored);
                    let send_back = match (&outcome, attempt) {
                        (Err(_), Attempt::Whole) => true,
                        (Err(failure), Attempt::Alongside) => failure.from_database,
                        _ => false,
                    };
                    if send_back {
                        return Err(Abort::Again);
                    }
                    outcome
                }
                // Nothing was written for a line that could not be read.
                Err(reason) => Err(Failure::from(reason.clone())),
            };
            outcomes.push((line.number, outcome));
        }
        Ok(outcomes)
    };
    match attempt {
        // A whole batch's new rows may reach the database only at its commit (on PostgreSQL
        // they wait to be inserted together): a refusal there sends the batch back too, to be
        // written line by line, where the line it was for fails alone.
        Attempt::Whole => services.store.batch_whole(work).map_err(|_| Abort::Again),
        Attempt::Alongside | Attempt::Alone => services.store.batch(work),
    }
}

fn batch_failed(lines: &[Line], abort: &Abort) -> String {
    let first = lines.first().map_or(0, |l| l.number);
    let last = lines.last().map_or(0, |l| l.number);
    let why = match abort {
        Abort::Write(error) => error.to_string(),
        Abort::Again => "the database refused a line".to_owned(),
    };
    format!("writing lines {first}-{last}: {why}; none of them was written")
}

/// Writes a run of lines: in batches of `batch` one after the other, or, when `jobs` > 1 and
/// the lines are [`independent`], as `jobs` batches at once on their own connections (a batch
/// sent back is then written again after the others). `whole`: batches are tried as
/// [`Attempt::Whole`] until one is sent back, and again after a batch written line by line had
/// no failed line.
fn write_lines(
    services: &Services,
    actor: &Actor,
    lines: &mut [Line],
    batch: usize,
    jobs: usize,
    whole: &mut bool,
) -> Result<Outcomes, String> {
    let mut outcomes = Outcomes::with_capacity(lines.len());
    // The lines written again one batch after the other: by their place in `lines`.
    let mut again: Vec<std::ops::Range<usize>> = Vec::new();
    let stored = stored_datasets(services, lines)?;
    mark_stored(lines, &stored);
    let at_once = jobs > 1 && lines.len() > batch && independent(lines, &stored);
    if at_once {
        // The lines' new free tags are made first, in their own transaction: batches written
        // at once would otherwise wait on each other's new tags. Those no line took up go again.
        let mut names: Vec<String> = lines
            .iter()
            .filter_map(|line| line.dataset.as_ref().ok())
            .flat_map(datahavn_domain::package::valid_tags)
            .filter_map(|(name, vocabulary)| vocabulary.is_none().then_some(name))
            .collect();
        names.sort();
        names.dedup();
        let made = services
            .store
            .write(|tx| tx.create_missing_tags(&names))
            .map_err(|e| batch_failed(lines, &Abort::Write(e)))?;
        let size = lines.len().div_ceil(jobs);
        let attempt = if *whole { Attempt::Whole } else { Attempt::Alongside };
        let results: Vec<(std::ops::Range<usize>, Written)> = std::thread::scope(|scope| {
            let running: Vec<_> = lines
                .chunks_mut(size)
                .enumerate()
                .map(|(index, part)| {
                    let range = index * size..index * size + part.len();
                    (range, scope.spawn(move || write_batch(services, actor, part, attempt)))
                })
                .collect();
            running.into_iter().map(|(part, handle)| (part, handle.join())).collect()
        });
        if !made.is_empty() {
            services
                .store
                .write(|tx| tx.drop_unused_tags(&made))
                .map_err(|e| format!("removing unused tags: {e}"))?;
        }
        for (part, result) in results {
            match result {
                Ok(Ok(written)) => outcomes.extend(written),
                Ok(Err(Abort::Again)) => {
                    *whole = false;
                    again.push(part);
                }
                Ok(Err(abort)) => return Err(batch_failed(&lines[part], &abort)),
                Err(_) => {
                    let stopped = datahavn_storage::StorageError::Internal("the writer stopped".into());
                    return Err(batch_failed(&lines[part], &Abort::Write(stopped)));
                }
            }
        }
    } else {
        again.push(0..lines.len());
    }
    for part in again {
        for lines in lines[part].chunks_mut(batch) {
            if *whole {
                match write_batch(services, actor, lines, Attempt::Whole) {
                    Ok(written) => {
                        outcomes.extend(written);
                        continue;
                    }
                    Err(Abort::Again) => *whole = false,
                    Err(abort) => return Err(batch_failed(lines, &abort)),
                }
            }
            match write_batch(services, actor, lines, Attempt::Alone) {
                Ok(written) => {
                    *whole = written.iter().all(|(_, outcome)| outcome.is_ok());
                    outcomes.extend(written);
                }
                Err(abort) => return Err(batch_failed(lines, &abort)),
            }
        }
    }
    outcomes.sort_by_key(|(number, _)| *number);
    Ok(outcomes)
}

/// Loads a JSON-lines file (`-`: stdin): each line's dataset is looked up by `id`, then by
/// `name`; found ones are updated (`package_update`), others created (`package_create`).
/// A line that fails is counted and reported, never fatal. `batch` lines are written per
/// transaction, up to `jobs` transactions at once.
pub fn load(
    services: &Services,
    actor: &Actor,
    path: &Path,
    create_orgs: bool,
    batch: usize,
    jobs: usize,
) -> Result<LoadSummary, String> {
    let stdin = path.as_os_str() == "-";
    let (reader, length): (Box<dyn BufRead + Send>, Option<u64>) = if stdin {
        (Box::new(BufReader::new(io::stdin())), None)
    } else {
        let length = count_lines(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        (Box::new(BufReader::new(file)), Some(length))
    };
    let (batch, jobs) = (batch.max(1), jobs.max(1));
    let bar = progress(length, "datasets");
    // The next run of lines is read and parsed on a thread of its own while this one is
    // written (one run ahead).
    let (runs, received) = std::sync::mpsc::sync_channel::<Run>(1);
    // Runs written go back to that thread, which frees them.
    let (spent, written) = std::sync::mpsc::channel::<Vec<Line>>();
    std::thread::scope(|scope| {
        scope.spawn(move || read_runs(reader, path, batch * jobs, &runs, &written));
        write_runs(services, actor, received, &spent, create_orgs, batch, jobs, &bar)
    })
}

/// A run of lines read and parsed, with the number of the last line read; or why reading
/// stopped.
type Run = Result<(Vec<Line>, usize), String>;

/// Reads the lines of `reader` in runs of `size`, each line parsed, with the number of the last
/// line read, until the end, an error, or the receiver is gone; frees the runs `written` sends
/// back before reading the next.
fn read_runs(
    reader: Box<dyn BufRead + Send>,
    path: &Path,
    size: usize,
    runs: &std::sync::mpsc::SyncSender<Run>,
    written: &std::sync::mpsc::Receiver<Vec<Line>>,
) {
    let mut lines = reader.lines().enumerate().peekable();
    while lines.peek().is_some() {
        written.try_iter().for_each(drop);
        let mut run = Vec::new();
        let mut last = 0;
        for (index, line) in lines.by_ref().take(size) {
            let number = index + 1;
            last = number;
            let dataset = match line {
                Ok(line) if line.trim().is_empty() => continue,
                Ok(line) => parse_line(&line),
                Err(e) if e.kind() == io::ErrorKind::InvalidData => Err("not UTF-8 text".to_owned()),
                Err(e) => {
                    let _ = runs.send(Err(format!("{}: line {number}: {e}", path.display())));
                    return;
                }
            };
            run.push(Line { number, dataset, maybe_stored: true });
        }
        if runs.send(Ok((run, last))).is_err() {
            return;
        }
    }
}

/// Writes the runs of lines [`read_runs`] sends, in order, and sends each back to it (`spent`)
/// to be freed there.
#[allow(clippy::too_many_arguments)]
fn write_runs(
    services: &Services,
    actor: &Actor,
    runs: std::sync::mpsc::Receiver<Run>,
    spent: &std::sync::mpsc::Sender<Vec<Line>>,
    create_orgs: bool,
    batch: usize,
    jobs: usize,
    bar: &ProgressBar,
) -> Result<LoadSummary, String> {
    let mut organizations = create_orgs.then(Organizations::default);
    let mut summary = LoadSummary::default();
    // Batches are written without savepoints while their lines do not fail.
    let mut whole = true;
    for read in runs {
        let (mut run, last) = read?;
        // Organizations first, one line after the other, each in its own transaction: a batch
        // written alongside others never creates one.
        if let Some(organizations) = organizations.as_mut() {
            for line in &mut run {
                if let Ok(obj) = &mut line.dataset
                    && let Err(reason) = organizations.ensure(services, actor, obj)
                {
                    line.dataset = Err(reason);
                }
            }
        }
        for (number, outcome) in write_lines(services, actor, &mut run, batch, jobs, &mut whole)? {
            match outcome {
                Ok(Outcome::Created) => summary.created += 1,
                Ok(Outcome::Updated) => summary.updated += 1,
                Ok(Outcome::Unchanged) => summary.unchanged += 1,
                Err(failure) => summary.fail(failure.reason, number),
            }
        }
        bar.set_position(u64::try_from(last).unwrap_or(u64::MAX));
        // Once the reader is done, the last runs are freed here.
        let _ = spent.send(run);
    }
    bar.finish_and_clear();
    Ok(summary)
}

/// A JSON value with the keys of every object sorted, as `ckanapi dump` writes them.
pub fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> = map.into_iter().map(|(k, v)| (k, sort_keys(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

fn write_line(out: &mut dyn Write, dataset: Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &sort_keys(dataset))?;
    out.write_all(b"\n")
}

/// Writes datasets as JSON lines (`-`: stdout), keys sorted: the active public ones by name
/// (`package_list` then `package_show`, as `ckanapi dump datasets --all`), or with `all_states`
/// every dataset that is not deleted, private and draft ones included, newest first.
/// Returns how many were written.
pub fn dump(services: &Services, actor: &Actor, path: &Path, all_states: bool) -> Result<usize, String> {
    let mut out: Box<dyn Write> = if path.as_os_str() == "-" {
        Box::new(BufWriter::new(io::stdout().lock()))
    } else {
        let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Box::new(BufWriter::new(file))
    };
    let failed = |e: ActionError| reason(&e);
    let written = |e: io::Error| format!("{}: {e}", path.display());
    let mut count = 0;
    if all_states {
        let bar = progress(None, "datasets");
        let mut offset = 0;
        loop {
            let params = object(&[
                ("include_private", true.into()),
                ("include_drafts", true.into()),
                ("sort", "metadata_modified desc".into()),
                ("rows", PAGE.into()),
                ("start", offset.into()),
            ]);
            let mut page = call(services, actor, "package_search", params).map_err(failed)?;
            let datasets = match page["results"].take() {
                Value::Array(datasets) => datasets,
                _ => return Err("package_search: no results".into()),
            };
            if datasets.is_empty() {
                break;
            }
            offset += datasets.len() as u64;
            for dataset in datasets {
                write_line(&mut out, dataset).map_err(written)?;
                count += 1;
                bar.inc(1);
            }
        }
        bar.finish_and_clear();
    } else {
        let names = match call(services, actor, "package_list", Map::new()).map_err(failed)? {
            Value::Array(names) => names,
            _ => return Err("package_list: not a list".into()),
        };
        let bar = progress(Some(names.len() as u64), "datasets");
        for name in names {
            // A dataset deleted since the list was read is skipped, as ckanapi does.
            match call(services, actor, "package_show", object(&[("id", name)])) {
                Ok(dataset) => {
                    write_line(&mut out, dataset).map_err(written)?;
                    count += 1;
                }
                Err(ActionError::NotFound(_)) => {}
                Err(other) => return Err(failed(other)),
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
    }
    out.flush().map_err(written)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datahavn_domain::ValidationErrors;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_level() {
        let sorted = sort_keys(json!({"b": 1, "a": [{"z": 1, "y": {"d": 1, "c": 2}}]}));
        assert_eq!(
            serde_json::to_string(&sorted).unwrap_or_default(),
            r#"{"a":[{"y":{"c":2,"d":1},"z":1}],"b":1}"#
        );
    }

    #[test]
    fn failures_are_grouped_by_the_first_message_of_each_field() {
        let mut errors = ValidationErrors::new();
        errors.add("owner_org", "Organization does not exist");
        errors.add("owner_org", "second");
        errors.add("name", "That URL is already in use.");
        let text = reason(&ActionError::Validation(errors));
        assert_eq!(text, "owner_org: Organization does not exist; name: That URL is already in use.");
        let mut summary = LoadSummary::default();
        for line in [3, 5, 8, 9, 10, 12] {
            summary.fail(text.clone(), line);
        }
        summary.fail("invalid JSON".into(), 4);
        summary.created = 2;
        assert_eq!(summary.failed(), 7);
        assert_eq!(
            summary.report(),
            "created 2, updated 0, unchanged 0, failed 7\n  \
             owner_org: Organization does not exist; name: That URL is already in use. × 6 (lines 3, 5, 8, 9, 10, …)\n  \
             invalid JSON × 1 (line 4)\n"
        );
    }
}
