//! The audit log: every write and every refusal, on every front, with who asked,
//! from where, what, when and how it ended.
//!
//! Each entry is a structured log line (target `lakecat::audit`) at once, and is
//! kept in the store's `audit` record space by a writer thread that batches
//! entries, so that `GET /v1/audit` can answer for every replica of a shared
//! store. Auditing never slows or fails the request it describes: entries wait in
//! a bounded queue, and when the store cannot keep up (or is down) the overflow
//! is only logged and counted (`lakecat_audit_dropped_total`). Entries older than
//! [`RETENTION`] are removed.

use lakecat_catalog_api::store::{CatalogStore, PageRequest, RecordWrite};
use lakecat_catalog_api::Result;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const SPACE: &str = "audit";
pub const RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);
const QUEUE: usize = 16_384;
const BATCH: usize = 512;
const LINGER: Duration = Duration::from_millis(200);

/// One audited request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    /// Ordered like the entries themselves (time, then replica and sequence).
    #[serde(default)]
    pub id: String,
    /// RFC 3339, milliseconds, UTC.
    pub time: String,
    /// The access key, SASL user or `set_ugi` name; `anonymous` without
    /// authentication; a refused caller's claimed key is marked `(unverified)`.
    pub principal: String,
    /// The client's address.
    pub source: String,
    /// `rest`, `glue`, `ddl`, `events`, `iceberg` or `thrift`.
    pub front: String,
    /// `POST /v1/databases`, Glue's `CreateTable`, Thrift's `create_table`, …
    pub action: String,
    /// `ok`; `refused` (authentication or permission); `rejected` (the request
    /// was wrong or conflicted: nothing changed); `failed` (the server's fault).
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Entry {
    pub fn new(front: &str, action: impl Into<String>, principal: impl Into<String>) -> Entry {
        Entry {
            id: String::new(),
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            principal: principal.into(),
            source: "unknown".into(),
            front: front.into(),
            action: action.into(),
            outcome: "ok".into(),
            status: None,
            detail: None,
        }
    }
}

enum Msg {
    Entry(Entry),
    Flush(SyncSender<()>),
}

/// Where entries go; cheap to clone.
#[derive(Clone, Default)]
pub struct Audit {
    tx: Option<SyncSender<Msg>>,
    /// Distinguishes this process's keys from other replicas'.
    replica: u32,
    seq: Arc<AtomicU32>,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audit")
            .field("kept", &self.tx.is_some())
            .finish()
    }
}

impl Audit {
    /// Logs entries and keeps them in `store`.
    pub fn start(store: Arc<dyn CatalogStore>) -> Audit {
        let (tx, rx) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("lakecat-audit".into())
            .spawn(move || writer(store, rx))
            .expect("spawning the audit writer");
        Audit {
            tx: Some(tx),
            replica: std::process::id() ^ (nanos() as u32).rotate_left(16),
            seq: Arc::default(),
        }
    }

    /// Logs an entry and queues it for the store.
    pub fn record(&self, mut e: Entry) {
        let micros = nanos() / 1_000;
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        e.id = format!("{micros:016x}{:08x}{seq:08x}", self.replica);
        tracing::info!(
            target: "lakecat::audit",
            id = %e.id,
            principal = %e.principal,
            source = %e.source,
            front = %e.front,
            action = %e.action,
            outcome = %e.outcome,
            status = e.status,
            detail = e.detail.as_deref(),
            "audit"
        );
        if let Some(tx) = &self.tx {
            if tx.try_send(Msg::Entry(e)).is_err() {
                metrics::counter!("lakecat_audit_dropped_total").increment(1);
            }
        }
    }

    /// Waits (at most `wait`) until what was recorded so far is in the store.
    pub fn flush(&self, wait: Duration) {
        if let Some(tx) = &self.tx {
            let (done, rx) = sync_channel(1);
            if tx.send(Msg::Flush(done)).is_ok() {
                let _ = rx.recv_timeout(wait);
            }
        }
    }
}

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
}

fn writer(store: Arc<dyn CatalogStore>, rx: Receiver<Msg>) {
    let mut pending: Vec<Entry> = Vec::new();
    let mut waiting: Vec<SyncSender<()>> = Vec::new();
    let mut oldest: Option<Instant> = None;
    let mut pruned = Instant::now() - Duration::from_secs(3600);
    loop {
        let mut take = |m: Msg, pending: &mut Vec<Entry>| match m {
            Msg::Entry(e) => {
                oldest.get_or_insert_with(Instant::now);
                pending.push(e)
            }
            Msg::Flush(done) => waiting.push(done),
        };
        match rx.recv_timeout(LINGER) {
            Ok(m) => take(m, &mut pending),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                write(&*store, &mut pending);
                return;
            }
        }
        while pending.len() < BATCH {
            match rx.try_recv() {
                Ok(m) => take(m, &mut pending),
                Err(_) => break,
            }
        }
        // Entries wait up to LINGER to share a write, unless a batch is full or
        // someone waits for them.
        let due = oldest.is_some_and(|t| t.elapsed() >= LINGER);
        if !pending.is_empty() && (due || pending.len() >= BATCH || !waiting.is_empty()) {
            write(&*store, &mut pending);
            if pending.is_empty() {
                oldest = None;
            }
        }
        if pending.is_empty() {
            for done in waiting.drain(..) {
                let _ = done.send(());
            }
        }
        if pruned.elapsed() > Duration::from_secs(60) {
            pruned = Instant::now();
            if let Err(e) = prune(&*store) {
                tracing::warn!("pruning the audit log: {e}");
            }
        }
    }
}

fn write(store: &dyn CatalogStore, pending: &mut Vec<Entry>) {
    let writes: Vec<RecordWrite> = pending
        .iter()
        .filter_map(|e| {
            serde_json::to_vec(e)
                .ok()
                .map(|v| RecordWrite::put(SPACE, &e.id, v))
        })
        .collect();
    match store.write_records(writes) {
        Ok(()) => pending.clear(),
        Err(e) => {
            // Kept for the next round; beyond a queue's worth the oldest go (they
            // are in the log lines).
            tracing::warn!("keeping {} audit entries failed: {e}", pending.len());
            if pending.len() > QUEUE {
                let extra = pending.len() - QUEUE;
                pending.drain(..extra);
                metrics::counter!("lakecat_audit_dropped_total").increment(extra as u64);
            }
        }
    }
}

/// Removes entries older than [`RETENTION`], oldest first (keys are in time order).
fn prune(store: &dyn CatalogStore) -> Result<()> {
    let cutoff_micros = nanos().saturating_sub(RETENTION.as_nanos()) / 1_000;
    let cutoff = format!("{cutoff_micros:016x}");
    loop {
        let page = store.list_records(SPACE, "", &PageRequest::first(1_000))?;
        let old: Vec<RecordWrite> = page
            .items
            .iter()
            .take_while(|(k, _)| k.as_str() < cutoff.as_str())
            .map(|(k, _)| RecordWrite::delete(SPACE, k))
            .collect();
        let all_old = old.len() == page.items.len() && page.next_token.is_some();
        if old.is_empty() {
            return Ok(());
        }
        store.write_records(old)?;
        if !all_old {
            return Ok(());
        }
    }
}

/// A page of entries, oldest first, keeping those `keep` accepts.
pub fn list(
    store: &dyn CatalogStore,
    page: &PageRequest,
    keep: impl Fn(&Entry) -> bool,
) -> Result<(Vec<Entry>, Option<String>)> {
    let p = store.list_records(SPACE, "", page)?;
    let entries = p
        .items
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice::<Entry>(&v).ok())
        .filter(|e| keep(e))
        .collect();
    Ok((entries, p.next_token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakecat_catalog_api::memory::MemoryStore;

    #[test]
    fn entries_are_kept_in_order_and_flushed() {
        let store: Arc<dyn CatalogStore> = Arc::new(MemoryStore::new(10));
        let audit = Audit::start(store.clone());
        for i in 0..1_200 {
            let mut e = Entry::new("rest", format!("POST /v1/databases/{i}"), "ann");
            e.outcome = if i % 2 == 0 { "ok" } else { "rejected" }.into();
            audit.record(e);
        }
        audit.flush(Duration::from_secs(10));
        let mut all = Vec::new();
        let mut page = PageRequest::first(500);
        loop {
            let (mut es, next) = list(&*store, &page, |e| e.outcome == "rejected").unwrap();
            all.append(&mut es);
            match next {
                Some(t) => {
                    page = PageRequest {
                        token: Some(t),
                        limit: 500,
                    }
                }
                None => break,
            }
        }
        assert_eq!(all.len(), 600);
        assert_eq!(all[0].action, "POST /v1/databases/1");
        assert_eq!(all[599].action, "POST /v1/databases/1199");
        assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    }
}
