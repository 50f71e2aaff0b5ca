//! Managed crawlers: definitions, runs, history, schedules and S3 events, kept as
//! service records in the catalog's store and run inside `lakecat serve`.
//!
//! State machine: READY → RUNNING → (STOPPING →) READY. Every transition is one
//! atomic group of record writes that expects the crawler record it read, so two
//! starts cannot both win, and a run's end (crawler state, last crawl, history
//! entry, file inventory, consumed events) lands all at once. The catalog itself is
//! written by the engine, one atomic write per table, before that final group: a
//! crash in between leaves a consistent catalog and a run still marked RUNNING,
//! which is marked FAILED once no one holds the run's lease.
//!
//! Many replicas may share one store (PostgreSQL). A run holds a lease (a record
//! with an expiry) that its replica renews while it runs; a replica that dies
//! stops renewing it, and once it expires any replica marks the run FAILED and
//! may start the crawler again. A stop asked of any replica reaches the run
//! through the crawler's record, which the lease keeper watches. Each slot of a
//! schedule is claimed by compare-and-swap before it fires, so it fires once
//! whichever replicas see it due.
//!
//! Runs execute on their own threads (crawls block on I/O and CPU); the scheduler
//! is a task on the server's runtime that starts crawlers whose cron schedule is
//! due, on a clock that tests may speed up.

use crate::services::engine::{apply, Action, ApplyOptions, DeleteBehavior, UpdateBehavior};
use crate::services::schedule::Schedule as Cron;
use chrono::{DateTime, Utc};
use lakecat_catalog_api::crawlers::*;
use lakecat_catalog_api::events::Change;
use lakecat_catalog_api::store::all_records;
use lakecat_catalog_api::store::{CatalogStore, Expect, Page, PageRequest, RecordWrite};
use lakecat_catalog_api::{DatabaseName, Error, ErrorKind, Result};
use lakecat_crawler::classify::{CsvRule, CsvSerde, CustomClassifier, HeaderRule, JsonRule, Rule};
use lakecat_crawler::inventory::Inventory;
use lakecat_crawler::open_formats::delta::DeltaMode;
use lakecat_crawler::open_formats::TableFormat;
use lakecat_crawler::{CrawlError, CrawlOptions, CrawlOutput};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CRAWLERS: &str = "crawler";
const RUNS: &str = "crawl";
const CLASSIFIERS: &str = "classifier";
const INVENTORIES: &str = "inventory";
const EVENTS: &str = "s3event";
const LEASES: &str = "lease";
const SLOTS: &str = "schedule-slot";
/// How long a run's lease lasts unless renewed (`LAKECAT_CRAWLER_LEASE_SECS`).
const DEFAULT_LEASE_SECS: u64 = 30;
/// Runs kept per crawler; older ones are dropped as new ones are recorded.
const MAX_RUNS: usize = 1000;

/// Wall time for schedules: real time, or faster (`--clock-speed`) so that tests
/// can watch five-minute schedules fire in a second.
#[derive(Debug, Clone)]
pub struct Clock {
    origin: Instant,
    wall: DateTime<Utc>,
    speed: f64,
}

impl Clock {
    pub fn new(speed: f64) -> Clock {
        Clock {
            origin: Instant::now(),
            wall: Utc::now(),
            speed: speed.max(1.0),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let real = self.origin.elapsed().as_secs_f64() * self.speed;
        self.wall + chrono::Duration::milliseconds((real * 1000.0) as i64)
    }
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn json<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::storage(format!("encoding: {e}")))
}

fn parse<T: DeserializeOwned>(b: &[u8]) -> Result<T> {
    serde_json::from_slice(b).map_err(|e| Error::storage(format!("corrupt record: {e}")))
}

fn crawler_not_found(name: &str) -> Error {
    Error::not_found(format!("crawler {name} not found"))
}

/// A crawler's custom classifiers as the crawler crate applies them, in order.
fn to_rules(list: &[Classifier]) -> Result<Vec<CustomClassifier>> {
    list.iter()
        .map(|cl| {
            if let Some(c) = &cl.csv_classifier {
                let byte = |what: &str, v: &Option<String>| -> Result<Option<u8>> {
                    match v.as_deref() {
                        None => Ok(None),
                        Some(s) if s.len() == 1 && s.is_ascii() => Ok(Some(s.as_bytes()[0])),
                        Some(s) => Err(Error::invalid(format!(
                            "classifier {}: {what} {s:?} must be one ASCII character",
                            c.name
                        ))),
                    }
                };
                Ok(CustomClassifier {
                    name: c.name.clone(),
                    rule: Rule::Csv(CsvRule {
                        delimiter: byte("Delimiter", &c.delimiter)?,
                        quote: byte("QuoteSymbol", &c.quote_symbol)?,
                        header: match c.contains_header.as_deref() {
                            Some("PRESENT") => HeaderRule::Present,
                            Some("ABSENT") => HeaderRule::Absent,
                            _ => HeaderRule::Unknown,
                        },
                        names: c.header.clone(),
                        serde: match c.serde.as_deref() {
                            Some("OpenCSVSerDe") => CsvSerde::OpenCsv,
                            Some("LazySimpleSerDe") => CsvSerde::LazySimple,
                            _ => CsvSerde::Any,
                        },
                        allow_single_column: c.allow_single_column.unwrap_or(false),
                    }),
                })
            } else if let Some(j) = &cl.json_classifier {
                Ok(CustomClassifier {
                    name: j.name.clone(),
                    rule: Rule::Json(
                        JsonRule::parse(&j.json_path)
                            .map_err(|m| Error::invalid(format!("classifier {}: {m}", j.name)))?,
                    ),
                })
            } else if let Some(g) = &cl.grok_classifier {
                Ok(CustomClassifier {
                    name: g.name.clone(),
                    rule: Rule::Grok(
                        lakecat_crawler::grok::GrokRule::new(
                            &g.classification,
                            &g.grok_pattern,
                            g.custom_patterns.as_deref(),
                        )
                        .map_err(|m| Error::invalid(format!("classifier {}: {m}", g.name)))?,
                    ),
                })
            } else if let Some(x) = &cl.x_m_l_classifier {
                // Without a RowTag it recognises nothing; it stays in the list.
                Ok(CustomClassifier {
                    name: x.name.clone(),
                    rule: Rule::Xml(lakecat_crawler::classify::XmlRule {
                        classification: x.classification.clone(),
                        row_tag: x.row_tag.clone().unwrap_or_default(),
                    }),
                })
            } else {
                Err(Error::invalid("a classifier is CSV, JSON, grok or XML"))
            }
        })
        .collect()
}

/// The inventory a run leaves, with what it was read under: schemas inferred
/// under other targets, classifiers or configuration are not reused.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct StoredInventory {
    basis: String,
    inventory: Inventory,
}

/// What one run changed, for its history entry and the crawler's metrics.
#[derive(Debug, Default)]
struct Outcome {
    tables_created: u64,
    tables_updated: u64,
    tables_deleted: u64,
    partitions_added: u64,
    files_skipped: u64,
    files_read: u64,
    files_reused: u64,
    inventory: Option<StoredInventory>,
    consumed_events: Vec<String>,
    notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
struct Lease {
    replica: String,
    crawl_id: String,
    expires_ms: i64,
}

fn now_ms() -> i64 {
    (now_secs() * 1000.0) as i64
}

pub struct Crawlers {
    store: Arc<dyn CatalogStore>,
    /// This process among the replicas sharing the store.
    replica: String,
    lease: Duration,
    runtime: tokio::runtime::Handle,
    /// Cancel flags of the runs in progress, by crawler name.
    running: Mutex<HashMap<String, Arc<AtomicBool>>>,
    clock: Clock,
    seq: AtomicU64,
    /// Where crawls may write (Delta symlink manifests).
    folders: Arc<super::folders::Folders>,
}

impl Crawlers {
    /// The service over `store`. Runs that were in progress when the process
    /// stopped are marked FAILED and their crawlers made READY again.
    pub fn new(
        store: Arc<dyn CatalogStore>,
        runtime: tokio::runtime::Handle,
        clock: Clock,
        folders: Arc<super::folders::Folders>,
    ) -> Result<Arc<Crawlers>> {
        let lease = super::lease_from_env("LAKECAT_CRAWLER_LEASE_SECS", DEFAULT_LEASE_SECS);
        let exclusive = !store.shared();
        let s = Arc::new(Crawlers {
            store,
            replica: format!(
                "{}-{:x}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
            ),
            lease,
            runtime,
            running: Mutex::new(HashMap::new()),
            clock,
            seq: AtomicU64::new(0),
            folders,
        });
        // On a store no other process uses, every run in progress was this
        // process's predecessor's, whatever its lease says.
        s.recover(exclusive)?;
        Ok(s)
    }

    /// This process among the replicas sharing the store.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// Whether the run of crawler `name` has a lease someone still renews.
    fn leased(&self, name: &str) -> Result<bool> {
        Ok(match self.store.get_record(LEASES, name)? {
            Some(b) => parse::<Lease>(&b)?.expires_ms > now_ms(),
            None => false,
        })
    }

    /// Marks FAILED the runs in progress whose lease expired (all of them with
    /// `all`), and makes their crawlers READY.
    fn recover(&self, all: bool) -> Result<()> {
        for (name, bytes) in all_records(&*self.store, CRAWLERS, "")? {
            let c: Crawler = parse(&bytes)?;
            if c.state == CrawlerState::Ready || (!all && self.leased(&name)?) {
                continue;
            }
            match self.recover_one(&name, c, bytes) {
                Err(e) if e.kind == ErrorKind::Conflict => {} // someone else did
                r => r?,
            }
        }
        Ok(())
    }

    fn recover_one(&self, name: &str, mut c: Crawler, bytes: Vec<u8>) -> Result<()> {
        {
            let msg = "the lakecat running this crawl stopped before it ended; its tables were written one by one, so each is as it was before or after the run";
            let mut writes = Vec::new();
            let mut log = Vec::new();
            for (key, rb) in all_records(&*self.store, RUNS, &format!("{name}/"))? {
                let mut r: CrawlRun = parse(&rb)?;
                if r.state == CrawlState::Running {
                    r.state = CrawlState::Failed;
                    r.end_time = Some(now_secs());
                    r.error_message = Some(msg.into());
                    writes.push(RecordWrite::put(RUNS, &key, json(&r)?));
                    log.push(state_changed(name, &r));
                }
            }
            let start = c.last_crawl.as_ref().map_or(0, |l| l.start_time);
            c.state = CrawlerState::Ready;
            c.crawl_elapsed_time = 0;
            c.last_crawl = Some(LastCrawl {
                status: LastCrawlStatus::Failed,
                error_message: Some(msg.into()),
                start_time: start,
                message_prefix: None,
            });
            writes
                .push(RecordWrite::put(CRAWLERS, name, json(&c)?).expecting(Expect::Equals(bytes)));
            writes.push(RecordWrite::delete(LEASES, name));
            self.store.write_records_logged(writes, log)?;
            tracing::warn!("crawler {name}: its last run was interrupted; marked FAILED");
        }
        Ok(())
    }

    fn load(&self, name: &str) -> Result<(Crawler, Vec<u8>)> {
        match self.store.get_record(CRAWLERS, name)? {
            Some(b) => Ok((parse(&b)?, b)),
            None => Err(crawler_not_found(name)),
        }
    }

    fn check_definition(&self, c: &mut Crawler) -> Result<()> {
        c.normalize()?;
        if let Some(s) = &c.schedule {
            Cron::parse(&s.schedule_expression).map_err(Error::invalid)?;
        }
        for name in &c.classifiers {
            if self.store.get_record(CLASSIFIERS, name)?.is_none() {
                return Err(Error::not_found(format!(
                    "classifier {name} not found (create it before naming it in a crawler)"
                )));
            }
        }
        Ok(())
    }

    pub fn create(&self, mut c: Crawler) -> Result<Crawler> {
        self.check_definition(&mut c)?;
        let now = now_secs() as i64;
        c.state = CrawlerState::Ready;
        c.creation_time = now;
        c.last_updated = now;
        c.version = 1;
        c.last_crawl = None;
        c.crawl_elapsed_time = 0;
        self.store
            .write_records_logged(
                vec![RecordWrite::put(CRAWLERS, &c.name, json(&c)?).expecting(Expect::Absent)],
                vec![definition_changed(&c.name, "created")],
            )
            .map_err(|e| match e.kind {
                ErrorKind::Conflict => {
                    Error::already_exists(format!("crawler {} already exists", c.name))
                }
                _ => e,
            })?;
        Ok(c)
    }

    pub fn get(&self, name: &str) -> Result<Crawler> {
        let (mut c, _) = self.load(name)?;
        if c.state != CrawlerState::Ready {
            if let Some(start) = c.last_crawl.as_ref().map(|l| l.start_time) {
                c.crawl_elapsed_time = ((now_secs() - start as f64).max(0.0) * 1000.0) as u64;
            }
        }
        Ok(c)
    }

    /// A page of a record space's values.
    fn page_of<T: DeserializeOwned>(&self, space: &str, page: &PageRequest) -> Result<Page<T>> {
        let p = self.store.list_records(space, "", page)?;
        Ok(Page {
            items: p
                .items
                .iter()
                .map(|(_, b)| parse(b))
                .collect::<Result<_>>()?,
            next_token: p.next_token,
        })
    }

    /// Every value of a record space.
    fn all_of<T: DeserializeOwned>(&self, space: &str) -> Result<Vec<T>> {
        all_records(&*self.store, space, "")?
            .iter()
            .map(|(_, b)| parse(b))
            .collect()
    }

    pub fn list(&self, page: &PageRequest) -> Result<Page<Crawler>> {
        self.page_of(CRAWLERS, page)
    }

    pub fn all_crawlers(&self) -> Result<Vec<Crawler>> {
        self.all_of(CRAWLERS)
    }

    /// Replaces a definition (the caller merges partial updates); refused while
    /// the crawler runs, as Glue does.
    pub fn update(&self, name: &str, mut c: Crawler) -> Result<Crawler> {
        let (cur, bytes) = self.load(name)?;
        if cur.state != CrawlerState::Ready {
            return Err(Error::conflict(format!(
                "crawler {name} is running; update it when it is READY"
            ))
            .with_code(codes::RUNNING));
        }
        c.name = cur.name.clone();
        self.check_definition(&mut c)?;
        c.state = cur.state;
        c.creation_time = cur.creation_time;
        c.last_updated = now_secs() as i64;
        c.version = cur.version + 1;
        c.last_crawl = cur.last_crawl.clone();
        c.crawl_elapsed_time = 0;
        self.store.write_records_logged(
            vec![RecordWrite::put(CRAWLERS, name, json(&c)?).expecting(Expect::Equals(bytes))],
            vec![definition_changed(name, "updated")],
        )?;
        Ok(c)
    }

    /// Removes the crawler with its history and inventory (never its tables).
    pub fn delete(&self, name: &str) -> Result<()> {
        let (cur, bytes) = self.load(name)?;
        if cur.state != CrawlerState::Ready {
            return Err(Error::conflict(format!(
                "crawler {name} is running; stop it before deleting it"
            ))
            .with_code(codes::RUNNING));
        }
        let mut writes = vec![RecordWrite::delete(CRAWLERS, name).expecting(Expect::Equals(bytes))];
        for (k, _) in all_records(&*self.store, RUNS, &format!("{name}/"))? {
            writes.push(RecordWrite::delete(RUNS, &k));
        }
        writes.push(RecordWrite::delete(INVENTORIES, name));
        self.store
            .write_records_logged(writes, vec![definition_changed(name, "deleted")])
    }

    fn new_crawl_id(&self) -> String {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        // The replica part keeps ids from two replicas apart within a nanosecond.
        format!("{t:020}-{n:04}-{}", self.replica)
    }

    /// Records a history entry, dropping the oldest beyond [`MAX_RUNS`].
    fn run_writes(&self, name: &str, run: &CrawlRun) -> Result<Vec<RecordWrite>> {
        let key = format!("{name}/{}", run.crawl_id);
        let mut writes = vec![RecordWrite::put(RUNS, &key, json(run)?)];
        let existing = self.store.list_records(
            RUNS,
            &format!("{name}/"),
            &PageRequest::first(MAX_RUNS + 1),
        )?;
        if existing.items.len() >= MAX_RUNS && !existing.items.iter().any(|(k, _)| *k == key) {
            writes.push(RecordWrite::delete(RUNS, &existing.items[0].0));
        }
        Ok(writes)
    }

    /// Starts a run; `trigger` says why (`api`, `schedule`). Returns the crawl id.
    pub fn start(self: &Arc<Self>, name: &str, trigger: &str) -> Result<String> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let (mut c, mut bytes) = self.load(name)?;
        if c.state != CrawlerState::Ready && !running.contains_key(name) && !self.leased(name)? {
            // Its replica died mid-run: record that, then start afresh.
            match self.recover_one(name, c, bytes) {
                Err(e) if e.kind == ErrorKind::Conflict => {}
                r => r?,
            }
            (c, bytes) = self.load(name)?;
        }
        if c.state != CrawlerState::Ready || running.contains_key(name) {
            return Err(
                Error::conflict(format!("crawler {name} is already running"))
                    .with_code(codes::RUNNING),
            );
        }
        let start = now_secs();
        let run = CrawlRun::new(self.new_crawl_id(), CrawlState::Running, start, trigger);
        c.state = CrawlerState::Running;
        c.last_crawl = Some(LastCrawl {
            status: c
                .last_crawl
                .as_ref()
                .map_or(LastCrawlStatus::Succeeded, |l| l.status),
            error_message: None,
            start_time: start as i64,
            message_prefix: Some(run.crawl_id.clone()),
        });
        let lease = json(&Lease {
            replica: self.replica.clone(),
            crawl_id: run.crawl_id.clone(),
            expires_ms: now_ms() + self.lease.as_millis() as i64,
        })?;
        let mut writes =
            vec![RecordWrite::put(CRAWLERS, name, json(&c)?).expecting(Expect::Equals(bytes))];
        writes.extend(self.run_writes(name, &run)?);
        writes.push(RecordWrite::put(LEASES, name, lease.clone()));
        self.store
            .write_records_logged(writes, vec![state_changed(name, &run)])?;
        let cancel = Arc::new(AtomicBool::new(false));
        running.insert(name.to_string(), cancel.clone());
        drop(running);
        let me = self.clone();
        let (name, id) = (name.to_string(), run.crawl_id.clone());
        std::thread::Builder::new()
            .name(format!("crawl {name}"))
            // A run is the server's own work, whoever started it.
            .spawn(move || {
                crate::services::permissions::run_as(
                    crate::services::permissions::Actor::System,
                    || me.execute(&name, run, c, cancel, lease),
                )
            })
            .map_err(|e| Error::storage(format!("cannot start a crawl thread: {e}")))?;
        Ok(id)
    }

    /// Asks a running crawler to stop; its run ends CANCELLED.
    pub fn stop(&self, name: &str) -> Result<()> {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let (mut c, bytes) = self.load(name)?;
        match c.state {
            CrawlerState::Ready => {
                return Err(Error::conflict(format!("crawler {name} is not running"))
                    .with_code(codes::NOT_RUNNING))
            }
            CrawlerState::Stopping => {
                return Err(
                    Error::conflict(format!("crawler {name} is already stopping"))
                        .with_code(codes::STOPPING),
                )
            }
            CrawlerState::Running => {}
        }
        c.state = CrawlerState::Stopping;
        self.store.write_records(vec![
            RecordWrite::put(CRAWLERS, name, json(&c)?).expecting(Expect::Equals(bytes))
        ])?;
        if let Some(flag) = running.get(name) {
            flag.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Renews the lease of the run of `name` until `done` says the run ended;
    /// cancels the run when a stop was asked (through any replica) or the lease
    /// was lost. Returns the lease's last bytes.
    fn keep_lease(
        &self,
        name: &str,
        mut lease: Vec<u8>,
        cancel: &AtomicBool,
        done: std::sync::mpsc::Receiver<()>,
    ) -> Vec<u8> {
        // Often enough that a stop asked through another replica is seen at once.
        let every = (self.lease / 3).clamp(Duration::from_millis(200), Duration::from_secs(1));
        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = done.recv_timeout(every) {
            if let Ok((c, _)) = self.load(name) {
                if c.state == CrawlerState::Stopping {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
            let Ok(mut l) = parse::<Lease>(&lease) else {
                return lease;
            };
            l.expires_ms = now_ms() + self.lease.as_millis() as i64;
            let Ok(next) = json(&l) else { return lease };
            let w = RecordWrite::put(LEASES, name, next.clone())
                .expecting(Expect::Equals(lease.clone()));
            match self.store.write_records(vec![w]) {
                Ok(()) => lease = next,
                Err(e) if e.kind == ErrorKind::Conflict => {
                    tracing::error!(
                        "crawler {name}: the run's lease was taken over; cancelling it"
                    );
                    cancel.store(true, Ordering::Relaxed);
                    return lease;
                }
                // The store is unreachable for now: try again next time; the
                // lease may expire meanwhile, and then the conflict above ends the run.
                Err(e) => tracing::warn!("crawler {name}: renewing the lease: {e}"),
            }
        }
        lease
    }

    fn execute(
        &self,
        name: &str,
        mut run: CrawlRun,
        c: Crawler,
        cancel: Arc<AtomicBool>,
        lease: Vec<u8>,
    ) {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let (result, lease) = std::thread::scope(|s| {
            let keeper = s.spawn(|| {
                crate::services::permissions::run_as(
                    crate::services::permissions::Actor::System,
                    || self.keep_lease(name, lease, &cancel, done_rx),
                )
            });
            let result = self.crawl_once(&c, &cancel);
            let _ = done_tx.send(());
            (result, keeper.join().unwrap_or_default())
        });
        // Out of the running set before READY is written, so that a client that sees
        // READY can start the crawler again at once (until then it is still RUNNING).
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
        run.end_time = Some(now_secs());
        let mut extra = Vec::new();
        let status = match result {
            Ok(o) => {
                run.state = CrawlState::Completed;
                run.tables_created = o.tables_created;
                run.tables_updated = o.tables_updated;
                run.tables_deleted = o.tables_deleted;
                run.partitions_added = o.partitions_added;
                run.files_skipped = o.files_skipped;
                run.files_read = o.files_read;
                run.files_reused = o.files_reused;
                run.summary = Some(
                    serde_json::json!({
                        "TablesCreated": o.tables_created,
                        "TablesUpdated": o.tables_updated,
                        "TablesDeleted": o.tables_deleted,
                        "PartitionsAdded": o.partitions_added,
                        "FilesRead": o.files_read,
                        "FilesReused": o.files_reused,
                        "FilesSkipped": o.files_skipped,
                        "Notes": o.notes,
                    })
                    .to_string(),
                );
                match o.inventory.as_ref().map(json).transpose() {
                    Ok(Some(inv)) => extra.push(RecordWrite::put(INVENTORIES, name, inv)),
                    Ok(None) => {}
                    Err(e) => tracing::error!("crawler {name}: inventory not kept: {e}"),
                }
                for k in &o.consumed_events {
                    extra.push(RecordWrite::delete(EVENTS, k));
                }
                LastCrawlStatus::Succeeded
            }
            Err((status, msg)) => {
                run.state = if status == LastCrawlStatus::Cancelled {
                    CrawlState::Stopped
                } else {
                    CrawlState::Failed
                };
                run.error_message = Some(msg);
                status
            }
        };
        // The crawler record may change meanwhile (a StopCrawler turning it
        // STOPPING): reread it and try again until the end is recorded.
        let mut finish = Ok(());
        for _ in 0..20 {
            finish = (|| -> Result<()> {
                let (mut cur, bytes) = self.load(name)?;
                cur.state = CrawlerState::Ready;
                cur.crawl_elapsed_time = 0;
                cur.last_crawl = Some(LastCrawl {
                    status,
                    error_message: run.error_message.clone(),
                    start_time: run.start_time as i64,
                    message_prefix: Some(run.crawl_id.clone()),
                });
                let mut writes = extra.clone();
                writes.push(
                    RecordWrite::put(CRAWLERS, name, json(&cur)?).expecting(Expect::Equals(bytes)),
                );
                // Only while the run still holds its lease: once another replica
                // has declared it failed, its end is no longer this run's to record.
                writes.push(
                    RecordWrite::delete(LEASES, name).expecting(Expect::Equals(lease.clone())),
                );
                writes.extend(self.run_writes(name, &run)?);
                self.store
                    .write_records_logged(writes, vec![state_changed(name, &run)])
            })();
            match &finish {
                Err(e) if e.kind == ErrorKind::Conflict => {
                    if self.store.get_record(LEASES, name).ok().flatten().as_ref() != Some(&lease) {
                        break;
                    }
                    continue;
                }
                _ => break,
            }
        }
        if let Err(e) = finish {
            tracing::error!(
                "crawler {name}: recording the end of run {} failed: {e}",
                run.crawl_id
            );
        }
        tracing::info!("crawler {name}: run {} ended {:?}", run.crawl_id, run.state);
    }

    /// One run: crawl every target, then apply the result with the crawler's
    /// policies. Errors carry the status the run ends with.
    fn crawl_once(
        &self,
        c: &Crawler,
        cancel: &Arc<AtomicBool>,
    ) -> std::result::Result<Outcome, (LastCrawlStatus, String)> {
        let fail = |e: String| (LastCrawlStatus::Failed, e);
        let cfg =
            CrawlerConfiguration::parse(c.configuration.as_deref()).map_err(|e| fail(e.message))?;
        let classifiers: Vec<Classifier> = c
            .classifiers
            .iter()
            .map(|n| self.get_classifier(n))
            .collect::<Result<_>>()
            .map_err(|e| fail(e.message))?;
        let rules = to_rules(&classifiers).map_err(|e| fail(e.message))?;
        let basis = serde_json::json!([c.targets, classifiers, c.configuration, c.table_prefix])
            .to_string();
        let previous: Option<Inventory> = self
            .store
            .get_record(INVENTORIES, &c.name)
            .map_err(|e| fail(e.message))?
            .map(|b| parse::<StoredInventory>(&b))
            .transpose()
            .map_err(|e| fail(e.message))?
            .filter(|s| s.basis == basis)
            .map(|s| s.inventory);
        let recrawl = c.recrawl();
        let mut outcome = Outcome::default();
        // Event mode after a first full crawl: only folders named by pending events.
        let mut list_only = None;
        if recrawl == RecrawlBehavior::CrawlEventMode && previous.is_some() {
            let mut folders = BTreeSet::new();
            for (key, b) in all_records(&*self.store, EVENTS, "").map_err(|e| fail(e.message))? {
                let ev: ObjectEvent = parse(&b).map_err(|e| fail(e.message))?;
                let url = ev.folder_url();
                if c.targets
                    .s3_targets
                    .iter()
                    .any(|t| url.starts_with(&format!("{}/", t.path.trim_end_matches('/'))))
                {
                    folders.insert(url);
                    outcome.consumed_events.push(key);
                }
            }
            if folders.is_empty() {
                outcome
                    .notes
                    .push("no pending S3 events: nothing to crawl".into());
                return Ok(outcome);
            }
            list_only = Some(folders.into_iter().collect::<Vec<_>>());
        }
        let previous = previous.map(Arc::new);
        let mut merged: Option<CrawlOutput> = None;
        for job in targets(c) {
            if let DeltaMode::Symlink { write: true } = job.delta_mode {
                manifests_may_be_written(&self.folders, &job.path).map_err(|e| fail(e.message))?;
            }
            let opts = CrawlOptions {
                exclusions: job.exclusions.clone(),
                table_prefix: c.table_prefix.clone().unwrap_or_default(),
                sample_files: job.sample_size.map(|n| n as usize),
                table_level: cfg.table_level,
                combine_compatible_schemas: cfg.combine_compatible_schemas,
                partition_own_schema: !cfg.partitions_inherit_from_table,
                crawler_name: c.name.clone(),
                previous: previous.clone(),
                new_folders_only: recrawl == RecrawlBehavior::CrawlNewFoldersOnly
                    && previous.is_some(),
                // Events name changed objects under S3 targets; the metadata of
                // Delta, Iceberg and Hudi targets is read whole each run.
                list_only: list_only.clone().filter(|_| job.only_format.is_none()),
                cancel: Some(cancel.clone()),
                classifiers: rules.clone(),
                keep_inventory: true,
                only_format: job.only_format,
                max_root_depth: job.max_root_depth,
                delta_mode: job.delta_mode,
                ..Default::default()
            };
            let out = self
                .runtime
                .block_on(lakecat_crawler::crawl(
                    std::slice::from_ref(&job.path),
                    &opts,
                    &|_| {},
                ))
                .map_err(|e| match e {
                    CrawlError::Cancelled => (
                        LastCrawlStatus::Cancelled,
                        "stopped by StopCrawler".to_string(),
                    ),
                    e => fail(e.to_string()),
                })?;
            let mut out = out;
            // A table a Delta, Iceberg or Hudi target names but that could not be
            // registered is the run's news, not a skipped file among many.
            if job.only_format.is_some() {
                let why = out
                    .skipped
                    .iter()
                    .map(|s| format!("{}: {}", s.path, s.reason));
                out.notes.extend(why.collect::<Vec<_>>());
            }
            if let (Some(f), true) = (job.only_format, out.tables.is_empty()) {
                if out.skipped.is_empty() {
                    out.notes.push(format!(
                        "{}: no {} table found{}",
                        job.path,
                        f.as_str(),
                        if job.max_root_depth == Some(0) {
                            " (a DeltaTables path must be the table's folder, the one holding _delta_log/)"
                        } else {
                            " within MaximumTraversalDepth"
                        }
                    ));
                }
            }
            merged = Some(match merged {
                None => out,
                Some(mut m) => {
                    m.tables.extend(out.tables);
                    m.skipped.extend(out.skipped);
                    m.notes.extend(out.notes);
                    m.roots.extend(out.roots);
                    m.stats.files_read += out.stats.files_read;
                    m.stats.files_reused += out.stats.files_reused;
                    m.stats.objects_listed += out.stats.objects_listed;
                    m.inventory
                        .schemas
                        .extend(out.inventory.schemas.iter().cloned());
                    let base = (m.inventory.schemas.len() - out.inventory.schemas.len()) as u32;
                    for (u, mut f) in out.inventory.files {
                        f.schema = f.schema.map(|s| s + base);
                        m.inventory.files.insert(u, f);
                    }
                    m
                }
            });
        }
        let mut out = merged.ok_or_else(|| fail("the crawler has no targets".into()))?;
        if cancel.load(Ordering::Relaxed) {
            return Err((LastCrawlStatus::Cancelled, "stopped by StopCrawler".into()));
        }
        outcome.inventory = Some(StoredInventory {
            basis,
            inventory: std::mem::take(&mut out.inventory),
        });
        outcome.files_read = out.stats.files_read;
        outcome.files_reused = out.stats.files_reused;
        outcome.files_skipped = out.skipped.len() as u64;
        let policy = c.schema_change_policy.clone().unwrap_or_default();
        let database = DatabaseName::new(c.database_name.as_deref().unwrap_or_default())
            .map_err(|e| fail(e.message))?;
        let report = apply(
            &*self.store,
            out,
            &ApplyOptions {
                database,
                update: match policy.update_behavior.unwrap_or_default() {
                    lakecat_catalog_api::crawlers::UpdateBehavior::Log => UpdateBehavior::Log,
                    lakecat_catalog_api::crawlers::UpdateBehavior::UpdateInDatabase => {
                        UpdateBehavior::Update
                    }
                },
                merge_new_columns: cfg.merge_new_columns,
                delete: match policy.delete_behavior.unwrap_or_default() {
                    lakecat_catalog_api::crawlers::DeleteBehavior::Log => DeleteBehavior::Log,
                    lakecat_catalog_api::crawlers::DeleteBehavior::DeleteFromDatabase => {
                        DeleteBehavior::Delete
                    }
                    lakecat_catalog_api::crawlers::DeleteBehavior::DeprecateInDatabase => {
                        DeleteBehavior::Deprecate
                    }
                },
                dry_run: false,
                table_threshold: cfg.table_threshold,
                crawler_name: c.name.clone(),
            },
        )
        .map_err(fail)?;
        for t in &report.tables {
            match t.action {
                Action::Created => outcome.tables_created += 1,
                Action::Updated => outcome.tables_updated += 1,
                Action::Deleted | Action::Deprecated => outcome.tables_deleted += 1,
                _ => {}
            }
            outcome.partitions_added += t.new_partitions as u64;
        }
        let failed: Vec<String> = report
            .tables
            .iter()
            .filter(|t| t.action == Action::Failed)
            .map(|t| {
                // Why the write failed is the report's last note ("not written: …").
                let why: Vec<&str> = t
                    .changes
                    .iter()
                    .chain(&t.notes)
                    .map(String::as_str)
                    .collect();
                format!("{}: {}", t.name, why.join("; "))
            })
            .collect();
        if !failed.is_empty() {
            return Err(fail(format!(
                "some tables could not be written: {}",
                failed.join(" | ")
            )));
        }
        outcome.notes.extend(report.notes);
        Ok(outcome)
    }

    /// The crawler's runs, newest first.
    pub fn runs(&self, name: &str) -> Result<Vec<CrawlRun>> {
        self.load(name)?;
        let mut runs: Vec<CrawlRun> = all_records(&*self.store, RUNS, &format!("{name}/"))?
            .iter()
            .map(|(_, b)| parse(b))
            .collect::<Result<_>>()?;
        runs.reverse();
        Ok(runs)
    }

    /// Glue's `CrawlerMetrics` of one crawler.
    pub fn metrics(&self, name: &str) -> Result<serde_json::Value> {
        let c = self.get(name)?;
        let runs = self.runs(name)?;
        let done: Vec<&CrawlRun> = runs
            .iter()
            .filter(|r| r.state == CrawlState::Completed)
            .collect();
        let mut times: Vec<f64> = done
            .iter()
            .filter_map(|r| Some(r.end_time? - r.start_time))
            .collect();
        times.sort_by(f64::total_cmp);
        let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
        let last = done.first();
        let (left, estimating) = if c.state == CrawlerState::Ready {
            (0.0, false)
        } else {
            let elapsed = c.crawl_elapsed_time as f64 / 1000.0;
            match times.is_empty() {
                true => (0.0, true),
                false => ((median - elapsed).max(0.0), false),
            }
        };
        Ok(serde_json::json!({
            "CrawlerName": name,
            "TimeLeftSeconds": left,
            "StillEstimating": estimating,
            "LastRuntimeSeconds": last.and_then(|r| Some(r.end_time? - r.start_time)).unwrap_or(0.0),
            "MedianRuntimeSeconds": median,
            "TablesCreated": last.map_or(0, |r| r.tables_created),
            "TablesUpdated": last.map_or(0, |r| r.tables_updated),
            "TablesDeleted": last.map_or(0, |r| r.tables_deleted),
        }))
    }

    /// StartCrawlerSchedule / StopCrawlerSchedule.
    pub fn set_scheduled(&self, name: &str, on: bool) -> Result<()> {
        retry_lost_race(|| self.try_set_scheduled(name, on))
    }

    fn try_set_scheduled(&self, name: &str, on: bool) -> Result<()> {
        let (mut c, bytes) = self.load(name)?;
        let Some(s) = c.schedule.as_mut() else {
            return Err(Error::invalid(format!("crawler {name} has no schedule"))
                .with_code(codes::NO_SCHEDULE));
        };
        match (on, s.state) {
            (true, ScheduleState::Scheduled) => {
                return Err(Error::conflict(format!(
                    "the schedule of crawler {name} is already running"
                ))
                .with_code(codes::SCHEDULER_RUNNING))
            }
            (false, ScheduleState::NotScheduled) => {
                return Err(Error::conflict(format!(
                    "the schedule of crawler {name} is not running"
                ))
                .with_code(codes::SCHEDULER_NOT_RUNNING))
            }
            _ => {}
        }
        s.state = if on {
            ScheduleState::Scheduled
        } else {
            ScheduleState::NotScheduled
        };
        self.store.write_records(vec![
            RecordWrite::put(CRAWLERS, name, json(&c)?).expecting(Expect::Equals(bytes))
        ])
    }

    /// UpdateCrawlerSchedule: a new expression, keeping the schedule's state (a
    /// crawler without one gets a running schedule).
    pub fn set_schedule(&self, name: &str, expression: &str) -> Result<()> {
        Cron::parse(expression).map_err(Error::invalid)?;
        retry_lost_race(|| self.try_set_schedule(name, expression))
    }

    fn try_set_schedule(&self, name: &str, expression: &str) -> Result<()> {
        let (mut c, bytes) = self.load(name)?;
        let state = c
            .schedule
            .as_ref()
            .map_or(ScheduleState::Scheduled, |s| s.state);
        c.schedule = Some(Schedule {
            schedule_expression: expression.trim().to_string(),
            state,
        });
        c.last_updated = now_secs() as i64;
        self.store.write_records(vec![
            RecordWrite::put(CRAWLERS, name, json(&c)?).expecting(Expect::Equals(bytes))
        ])
    }

    /// Starts the crawlers whose schedule is due, every `tick`, until `shutdown`.
    /// A due run that finds the previous one still going is recorded as SKIPPED.
    pub async fn run_scheduler(
        self: Arc<Self>,
        tick: Duration,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut next: HashMap<String, (String, DateTime<Utc>)> = HashMap::new();
        let mut shutdown = shutdown;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = shutdown.changed() => return,
            }
            let me = self.clone();
            let due = crate::services::permissions::spawn_blocking(move || {
                me.due(&mut next).map(|d| (d, next))
            })
            .await;
            match due {
                Ok(Ok((d, n))) => {
                    next = n;
                    for (name, slot) in d {
                        self.fire(&name, slot);
                    }
                }
                Ok(Err(e)) => {
                    tracing::error!("scheduler: {e}");
                    next = HashMap::new();
                }
                Err(e) => {
                    tracing::error!("scheduler: {e}");
                    next = HashMap::new();
                }
            }
        }
    }

    /// The crawlers whose next run is due, with the slot (the scheduled time, in
    /// milliseconds) that is due, moving their next time on. Runs whose replica
    /// died are marked FAILED on the way.
    fn due(
        &self,
        next: &mut HashMap<String, (String, DateTime<Utc>)>,
    ) -> Result<Vec<(String, i64)>> {
        self.recover(false)?;
        let now = self.clock.now();
        let mut due = Vec::new();
        let mut seen = BTreeSet::new();
        for c in self.all_crawlers()? {
            let name = c.name;
            let Some(s) = c.schedule.filter(|s| s.state == ScheduleState::Scheduled) else {
                continue;
            };
            seen.insert(name.clone());
            let Ok(cron) = Cron::parse(&s.schedule_expression) else {
                continue;
            };
            let entry = next
                .get(&name)
                .filter(|(e, _)| *e == s.schedule_expression)
                .cloned();
            let at = match entry {
                Some((_, at)) => at,
                None => match cron.next_after(now) {
                    Some(at) => at,
                    None => continue,
                },
            };
            if at <= now {
                due.push((name.clone(), at.timestamp_millis()));
                if let Some(n) = cron.next_after(now) {
                    next.insert(name, (s.schedule_expression, n));
                } else {
                    next.remove(&name);
                }
            } else {
                next.insert(name, (s.schedule_expression, at));
            }
        }
        next.retain(|n, _| seen.contains(n));
        Ok(due)
    }

    /// Claims the slot (once across replicas: a slot no later than the last one
    /// claimed is not fired again), then starts the crawler.
    fn claim(&self, name: &str, slot: i64) -> Result<bool> {
        let cur = self.store.get_record(SLOTS, name)?;
        let last = cur.as_ref().map(|b| parse::<i64>(b)).transpose()?;
        if last.is_some_and(|l| l >= slot) {
            return Ok(false);
        }
        let expect = match cur {
            Some(b) => Expect::Equals(b),
            None => Expect::Absent,
        };
        let w = RecordWrite::put(SLOTS, name, json(&slot)?).expecting(expect);
        match self.store.write_records(vec![w]) {
            Ok(()) => Ok(true),
            Err(e) if e.kind == ErrorKind::Conflict => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn fire(self: &Arc<Self>, name: &str, slot: i64) {
        match self.claim(name, slot) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::error!("crawler {name}: claiming a scheduled run: {e}");
                return;
            }
        }
        match self.start(name, "schedule") {
            Ok(id) => tracing::info!("crawler {name}: scheduled run {id} started"),
            Err(e) if e.code == Some(codes::RUNNING) => {
                let now = now_secs();
                let mut run =
                    CrawlRun::new(self.new_crawl_id(), CrawlState::Skipped, now, "schedule");
                run.end_time = Some(now);
                run.error_message = Some("skipped: the previous run was still in progress".into());
                if let Err(e) = self
                    .run_writes(name, &run)
                    .and_then(|w| self.store.write_records(w))
                {
                    tracing::error!("crawler {name}: recording a skipped run failed: {e}");
                }
            }
            Err(e) => tracing::error!("crawler {name}: scheduled start failed: {e}"),
        }
    }

    /// Stops every running crawl and waits (up to `wait`) for them to record
    /// their end, for a graceful shutdown.
    pub fn stop_all(&self, wait: Duration) {
        let names: Vec<String> = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        for n in &names {
            if let Err(e) = self.stop(n) {
                tracing::warn!("crawler {n}: {e}");
            }
        }
        let end = Instant::now() + wait;
        while Instant::now() < end
            && !self
                .running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty()
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    // ------------------------------------------------------------ classifiers

    pub fn create_classifier(&self, mut c: Classifier) -> Result<Classifier> {
        c.normalize()?;
        to_rules(std::slice::from_ref(&c))?;
        let now = now_secs() as i64;
        c.stamp(now, now, 1);
        let name = c.name().to_string();
        self.store
            .write_records(vec![
                RecordWrite::put(CLASSIFIERS, &name, json(&c)?).expecting(Expect::Absent)
            ])
            .map_err(|e| match e.kind {
                ErrorKind::Conflict => {
                    Error::already_exists(format!("classifier {name} already exists"))
                }
                _ => e,
            })?;
        Ok(c)
    }

    pub fn get_classifier(&self, name: &str) -> Result<Classifier> {
        match self.store.get_record(CLASSIFIERS, &name.to_lowercase())? {
            Some(b) => parse(&b),
            None => Err(Error::not_found(format!("classifier {name} not found"))),
        }
    }

    pub fn list_classifiers(&self, page: &PageRequest) -> Result<Page<Classifier>> {
        self.page_of(CLASSIFIERS, page)
    }

    pub fn all_classifiers(&self) -> Result<Vec<Classifier>> {
        self.all_of(CLASSIFIERS)
    }

    /// Replaces a classifier of the same kind (the caller merges partial updates).
    pub fn update_classifier(&self, mut c: Classifier) -> Result<Classifier> {
        c.normalize()?;
        to_rules(std::slice::from_ref(&c))?;
        let name = c.name().to_string();
        let cur = self.get_classifier(&name)?;
        let kind = |c: &Classifier| c.member().map_or("unknown", |m| m.kind);
        if kind(&cur) != kind(&c) {
            return Err(Error::invalid(format!(
                "classifier {name} is a {} classifier, not a {} one; delete it and create it anew",
                kind(&cur),
                kind(&c)
            )));
        }
        let (created, version) = cur
            .member()
            .map_or((0, 0), |m| (m.creation_time, m.version));
        c.stamp(created, now_secs() as i64, version + 1);
        self.store.write_records(vec![
            RecordWrite::put(CLASSIFIERS, &name, json(&c)?).expecting(Expect::Present)
        ])?;
        Ok(c)
    }

    pub fn delete_classifier(&self, name: &str) -> Result<()> {
        let name = name.to_lowercase();
        self.store
            .write_records(vec![
                RecordWrite::delete(CLASSIFIERS, &name).expecting(Expect::Present)
            ])
            .map_err(|e| match e.kind {
                ErrorKind::Conflict => Error::not_found(format!("classifier {name} not found")),
                _ => e,
            })
    }

    // ------------------------------------------------------------ S3 events

    /// Keeps object events durably until an event-mode crawler consumes them.
    pub fn add_events(&self, events: &[ObjectEvent]) -> Result<usize> {
        let writes = events
            .iter()
            .map(|e| Ok(RecordWrite::put(EVENTS, &self.new_crawl_id(), json(e)?)))
            .collect::<Result<Vec<_>>>()?;
        let n = writes.len();
        if n > 0 {
            self.store.write_records(writes)?;
        }
        Ok(n)
    }

    pub fn pending_events(&self) -> Result<usize> {
        Ok(all_records(&*self.store, EVENTS, "")?.len())
    }
}

/// A crawler's definition created, updated or deleted, for the change log.
fn definition_changed(name: &str, change: &str) -> Change {
    Change::Service {
        detail_type: "Glue Crawler Definition Change".into(),
        detail: serde_json::json!({ "crawlerName": name, "change": change }),
    }
}

/// A run started or ended, in the shape of Glue's "Glue Crawler State Change"
/// events (counts as strings, as Glue sends them); a stopped run ends
/// `Cancelled`, which Glue does not announce.
fn state_changed(name: &str, run: &CrawlRun) -> Change {
    let date = |secs: f64| crate::services::events::time_text((secs * 1000.0) as i64);
    let detail = match run.state {
        CrawlState::Running => serde_json::json!({
            "crawlerName": name,
            "crawlId": run.crawl_id,
            "state": "Started",
            "message": "Crawler Started",
            "startTime": date(run.start_time),
            "trigger": run.trigger,
        }),
        state => {
            let (label, message) = match state {
                CrawlState::Completed => ("Succeeded", "Crawler Succeeded"),
                CrawlState::Stopped => ("Cancelled", "Crawler Cancelled"),
                _ => ("Failed", "Crawler Failed"),
            };
            let end = run.end_time.unwrap_or(run.start_time);
            let mut d = serde_json::json!({
                "crawlerName": name,
                "crawlId": run.crawl_id,
                "state": label,
                "message": message,
                "startTime": date(run.start_time),
                "completionDate": date(end),
                "runningTime (sec)": ((end - run.start_time).max(0.0).round() as u64).to_string(),
                "tablesCreated": run.tables_created.to_string(),
                "tablesUpdated": run.tables_updated.to_string(),
                "tablesDeleted": run.tables_deleted.to_string(),
                "partitionsCreated": run.partitions_added.to_string(),
                "partitionsDeleted": run.partitions_removed.to_string(),
            });
            if let Some(e) = &run.error_message {
                d["errorMessage"] = serde_json::json!(e);
            }
            d
        }
    };
    Change::Service {
        detail_type: "Glue Crawler State Change".into(),
        detail,
    }
}

/// Runs `f` again when its compare-and-swap lost to another write of the same
/// crawler record (a run starting or ending): a schedule change does not depend
/// on the run state, so the caller should not see that race.
fn retry_lost_race(mut f: impl FnMut() -> Result<()>) -> Result<()> {
    let mut tries = 0;
    loop {
        match f() {
            Err(e) if e.kind == ErrorKind::Conflict && e.code.is_none() && tries < 20 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            r => return r,
        }
    }
}

/// One path a run crawls, with what its kind of target asks for.
struct Job {
    path: String,
    exclusions: Vec<String>,
    sample_size: Option<u32>,
    only_format: Option<TableFormat>,
    max_root_depth: Option<usize>,
    delta_mode: DeltaMode,
}

/// A crawl that writes a Delta table's manifests writes under
/// `<table>/_symlink_format_manifest/`: only where the fronts may create
/// folders (`--allowed-locations`, the warehouse), checked before the crawl
/// reads anything.
fn manifests_may_be_written(folders: &super::folders::Folders, table: &str) -> Result<()> {
    use super::folders::{is_object, local_path, Effect};
    let dir = format!(
        "{}/{}/",
        table.trim_end_matches('/'),
        lakecat_crawler::open_formats::delta::manifests::DIR
    );
    if is_object(table) {
        return folders.check_object(Effect::Create, &dir);
    }
    let local = local_path(table).unwrap_or_else(|| std::path::PathBuf::from(table));
    folders
        .check(
            Effect::Create,
            &dir,
            &local.join(lakecat_crawler::open_formats::delta::manifests::DIR),
        )
        .map(|_| ())
}

/// Every path of a crawler's targets: S3 targets crawl everything they hold; a
/// Delta target's path is one Delta table; Iceberg and Hudi targets look for
/// their tables down to `MaximumTraversalDepth` folders (counted to the metadata
/// folder, as Glue counts them).
fn targets(c: &Crawler) -> Vec<Job> {
    let t = &c.targets;
    let mut jobs: Vec<Job> = t
        .s3_targets
        .iter()
        .map(|s| Job {
            path: s.path.clone(),
            exclusions: s.exclusions.clone(),
            sample_size: s.sample_size,
            only_format: None,
            max_root_depth: None,
            delta_mode: DeltaMode::Native,
        })
        .collect();
    for d in &t.delta_targets {
        let delta_mode = match d.manifests() {
            None => DeltaMode::Native,
            Some(write) => DeltaMode::Symlink { write },
        };
        jobs.extend(d.delta_tables.iter().map(|p| Job {
            path: p.clone(),
            exclusions: vec![],
            sample_size: None,
            only_format: Some(TableFormat::Delta),
            max_root_depth: Some(0),
            delta_mode,
        }));
    }
    for (format, targets) in [
        (TableFormat::Iceberg, &t.iceberg_targets),
        (TableFormat::Hudi, &t.hudi_targets),
    ] {
        for x in targets {
            let depth = x
                .maximum_traversal_depth
                .unwrap_or(lakecat_catalog_api::crawlers::TableFormatTarget::DEFAULT_DEPTH);
            jobs.extend(x.paths.iter().map(|p| Job {
                path: p.clone(),
                exclusions: x.exclusions.clone(),
                sample_size: None,
                only_format: Some(format),
                max_root_depth: Some(depth.saturating_sub(1) as usize),
                delta_mode: DeltaMode::Native,
            }));
        }
    }
    jobs
}
