//! datahavn's harvester: brings the datasets of remote catalogues (CKAN sites, DCAT-AP RDF
//! catalogues, DCAT-US `data.json`) into local datasets, through the same dataset actions as
//! the API, as ckanext-harvest does.
//!
//! A job gathers the remote catalogue page by page, imports each record it has not seen
//! unchanged (remote `metadata_modified`, else a hash of the record), keeps a lasting map from
//! each remote record to its local dataset, and deletes the local datasets of records gone from
//! the remote. Everything blocks: jobs run on threads of their own ([`HarvestService`] in the
//! server, the caller's thread in the CLI).
//!
//! The format-specific reading of DCAT pages is [`pages::parse_page`].

mod ckan;
mod client;
mod engine;
pub mod pages;

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use datahavn_actions::harvest::HarvestRunner;
use datahavn_actions::{ActionError, Services};
use datahavn_domain::Timestamp;
use datahavn_domain::harvest::{Frequency, GatherError, JobStats, job_status};

pub use engine::{Outcome, run_job, runner_identity};

/// How jobs run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The time limit of one HTTP request.
    pub request_timeout: Duration,
    /// The time limit of a whole job; past it the job is aborted.
    pub job_timeout: Duration,
    /// Finished jobs kept per source (with their objects and errors); older ones are removed.
    pub keep_jobs: usize,
    /// Datasets asked for per `package_search` page of a CKAN source.
    pub page_size: u64,
    /// The most pages one listing reads.
    pub max_pages: u64,
    /// The largest answer read, in bytes.
    pub max_page_bytes: u64,
    /// How often the server's scheduler looks for sources due and jobs left behind.
    pub scheduler_interval: Duration,
    /// A running job without a sign of life for this long is taken as dead (its process
    /// stopped) and marked `Failed`.
    pub stale_after: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(60),
            job_timeout: Duration::from_secs(6 * 60 * 60),
            keep_jobs: 10,
            page_size: 100,
            max_pages: 100_000,
            max_page_bytes: 256 * 1024 * 1024,
            scheduler_interval: Duration::from_secs(60),
            stale_after: Duration::from_secs(15 * 60),
        }
    }
}

/// The counts of a job so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
    pub errored: u64,
    /// How many datasets the remote said it has, when it said so.
    pub total: Option<u64>,
}

impl Tally {
    /// Remote records handled so far.
    pub fn done(&self) -> u64 {
        self.added + self.updated + self.unchanged + self.errored
    }

    pub fn summary(&self) -> String {
        format!(
            "added {}, updated {}, unchanged {}, deleted {}, errored {}",
            self.added, self.updated, self.unchanged, self.deleted, self.errored
        )
    }

    fn stats(&self) -> JobStats {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        JobStats {
            added: n(self.added),
            updated: n(self.updated),
            unchanged: n(self.unchanged),
            deleted: n(self.deleted),
            errored: n(self.errored),
        }
    }
}

/// Marks `Failed` the running jobs whose process is gone: one of this host whose process no
/// longer exists, or any without a sign of life for `stale_after`. Returns how many.
pub fn fail_dead_jobs(services: &Services, stale_after: Duration) -> Result<usize, String> {
    let host = runner_identity().split(':').next().unwrap_or_default().to_owned();
    let me = std::process::id().to_string();
    let now = Timestamp::now();
    let stale_before = Timestamp::from_naive(
        now.naive() - chrono::TimeDelta::from_std(stale_after).unwrap_or(chrono::TimeDelta::MAX),
    );
    services
        .store
        .write(|tx| {
            let mut failed = 0;
            for mut job in tx.harvest_jobs(None, Some(job_status::RUNNING))? {
                let runner = job.runner.clone().unwrap_or_default();
                let mut parts = runner.split(':');
                let (job_host, pid) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
                let gone_here = job_host == host
                    && pid != me
                    && !pid.is_empty()
                    && !std::path::Path::new(&format!("/proc/{pid}")).exists();
                let silent = job.heartbeat.is_none_or(|beat| beat < stale_before);
                if gone_here || silent {
                    job.status = job_status::FAILED.into();
                    job.finished = Some(now);
                    tx.update_harvest_job(&job)?;
                    tx.insert_harvest_gather_error(&GatherError {
                        id: uuid::Uuid::new_v4().to_string(),
                        job_id: job.id.clone(),
                        message: "The process running this job stopped before it finished".into(),
                        created: now,
                    })?;
                    datahavn_actions::harvest::log_line(
                        tx,
                        "ERROR",
                        format!("Harvest job {} failed: its process stopped", job.id),
                    )?;
                    failed += 1;
                }
            }
            Ok::<_, ActionError>(failed)
        })
        .map_err(|e| e.to_string())
}

/// Makes a job for a source (by id or name), or takes the one waiting, and runs it on this
/// thread: `datahavn harvest run`.
pub fn run_source(
    services: &Services,
    settings: &Settings,
    source: &str,
    progress: &mut dyn FnMut(&Tally),
) -> Result<(String, Tally), String> {
    fail_dead_jobs(services, settings.stale_after)?;
    let job_id = services
        .store
        .write(|tx| {
            let found = tx
                .harvest_source(source)?
                .ok_or_else(|| ActionError::not_found(format!("Harvest source {source} does not exist")))?;
            if let Some(waiting) = tx.harvest_jobs(Some(&found.id), Some(job_status::NEW))?.into_iter().next()
            {
                return Ok(waiting.id);
            }
            Ok::<_, ActionError>(datahavn_actions::harvest::create_job(tx, &found.id)?.id)
        })
        .map_err(|e| match e {
            ActionError::Validation(errors) => errors.to_string(),
            ActionError::NotFound(Some(reason)) => reason,
            other => other.to_string(),
        })?;
    let tally = run_job(services, settings, &job_id, &runner_identity(), progress)?;
    Ok((job_id, tally))
}

/// The server's harvester: a worker thread that runs submitted jobs one after another, and a
/// scheduler thread that makes jobs for the sources due (by their frequency), hands waiting jobs
/// to the worker and marks dead jobs failed.
pub struct HarvestService {
    sender: Mutex<Sender<String>>,
    stop: Mutex<Option<Sender<()>>>,
}

impl HarvestRunner for HarvestService {
    fn submit(&self, job_id: &str) {
        let sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        if sender.send(job_id.to_owned()).is_err() {
            log::warn!("harvest job {job_id} not started: the harvester has stopped");
        }
    }
}

impl HarvestService {
    /// Starts the worker and, with `schedule`, the scheduler. `services` must not hold this
    /// runner (its jobs write through plain actions).
    pub fn start(services: Services, settings: Settings, schedule: bool) -> Result<Arc<Self>, String> {
        let (sender, jobs) = mpsc::channel::<String>();
        let runner = runner_identity();
        let worker_services = services.clone();
        let worker_settings = settings.clone();
        std::thread::Builder::new()
            .name("harvest worker".into())
            .spawn(move || work(&worker_services, &worker_settings, &runner, &jobs))
            .map_err(|e| format!("cannot start the harvester: {e}"))?;
        let (stop_sender, stop) = mpsc::channel::<()>();
        let service =
            Arc::new(Self { sender: Mutex::new(sender.clone()), stop: Mutex::new(Some(stop_sender)) });
        if schedule {
            std::thread::Builder::new()
                .name("harvest scheduler".into())
                .spawn(move || scheduler(&services, &settings, &sender, &stop))
                .map_err(|e| format!("cannot start the harvest scheduler: {e}"))?;
        }
        Ok(service)
    }

    /// Stops the scheduler (a job under way runs on; the process's end stops it, and the next
    /// start marks it failed).
    pub fn stop(&self) {
        self.stop.lock().unwrap_or_else(PoisonError::into_inner).take();
    }
}

fn work(services: &Services, settings: &Settings, runner: &str, jobs: &Receiver<String>) {
    while let Ok(job_id) = jobs.recv() {
        let mut quiet = |_: &Tally| {};
        match run_job(services, settings, &job_id, runner, &mut quiet) {
            Ok(tally) => log::info!("harvest job {job_id}: {}", tally.summary()),
            // Taken by another process, aborted or already run: nothing to do.
            Err(message) => log::info!("{message}"),
        }
    }
}

fn scheduler(services: &Services, settings: &Settings, jobs: &Sender<String>, stop: &Receiver<()>) {
    loop {
        if let Err(e) = schedule_once(services, settings, jobs) {
            log::error!("harvest scheduler: {e}");
        }
        match stop.recv_timeout(settings.scheduler_interval) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// One round of the scheduler.
fn schedule_once(services: &Services, settings: &Settings, jobs: &Sender<String>) -> Result<(), String> {
    let failed = fail_dead_jobs(services, settings.stale_after)?;
    if failed > 0 {
        log::warn!("{failed} harvest job(s) whose process stopped marked failed");
    }
    let now = Timestamp::now();
    let waiting = services
        .store
        .write(|tx| {
            for mut source in tx.harvest_sources()? {
                let due = source.is_active()
                    && source.frequency != Frequency::Manual
                    && source.next_run.is_none_or(|next| next <= now);
                if !due {
                    continue;
                }
                match datahavn_actions::harvest::create_job(tx, &source.id) {
                    Ok(job) => log::info!("harvest job {} scheduled for {}", job.id, source.name),
                    Err(ActionError::Validation(_)) => continue,
                    Err(other) => return Err(other),
                }
                // The next run is set again when the job ends.
                source.next_run = source.frequency.next_run(now);
                tx.update_harvest_source(&source)?;
            }
            Ok::<_, ActionError>(tx.harvest_jobs(None, Some(job_status::NEW))?)
        })
        .map_err(|e| e.to_string())?;
    for job in waiting.iter().rev() {
        if jobs.send(job.id.clone()).is_err() {
            return Err("the harvest worker has stopped".into());
        }
    }
    Ok(())
}
