//! The change log's ways out, beneath the fronts (the log itself is the
//! store's, see `lakecat_catalog_api::events`): the shape the REST feed shows,
//! the reader that follows the log, and the background task that applies the
//! retention.

use lakecat_catalog_api::events::{Event, Retention};
use lakecat_catalog_api::store::CatalogStore;
use lakecat_catalog_api::{Error, Result};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// How long the log keeps events unless configured: a week, and at most a
/// million events (Hive keeps a day; replication and caches that poll the log
/// may be down longer than that).
pub const DEFAULT_RETENTION: Retention = Retention {
    max_events: Some(1_000_000),
    max_age_secs: Some(7 * 86_400),
};

/// How often the retention is applied.
const TRIM_EVERY: Duration = Duration::from_secs(60);

/// An event as the REST feed shows it: what changed under `detail`, in the
/// catalog model's shapes.
pub fn rest_shape(e: &Event) -> Value {
    let mut detail = serde_json::to_value(&e.change).unwrap_or(Value::Null);
    if let Some(o) = detail.as_object_mut() {
        o.remove("type");
    }
    json!({
        "id": e.id,
        "time": time_text(e.time_ms),
        "principal": e.principal,
        "type": e.change.event_type(),
        "database": e.change.database(),
        "table": e.change.table().map(|t| t.name.as_str()),
        "detail": detail,
    })
}

/// RFC 3339 in UTC with milliseconds.
pub fn time_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Which events a reader wants.
#[derive(Debug, Default, Clone)]
pub struct Selection {
    /// Event types (Hive's names); empty = all.
    pub types: Vec<String>,
    pub database: Option<String>,
    pub table: Option<String>,
}

impl Selection {
    pub fn matches(&self, e: &Event) -> bool {
        (self.types.is_empty() || self.types.iter().any(|t| t == e.change.event_type()))
            && self
                .database
                .as_deref()
                .is_none_or(|d| e.change.database() == Some(d))
            && self
                .table
                .as_deref()
                .is_none_or(|t| e.change.table().map(|x| x.name.as_str()) == Some(t))
    }
}

/// A page of the log: the selected events after `after` (at most `limit`), and
/// the id to resume after (the last id read, which with a selection may be
/// past the last event returned).
pub struct Read {
    pub events: Vec<Event>,
    pub resume_after: u64,
}

/// Reads the selected events after `after`, scanning at most a few pages of
/// the log so that a selection that matches nothing cannot hold a thread long.
/// Refuses to resume from before the oldest event kept: the events between
/// were trimmed, and a reader that went on would miss them unknowingly.
pub fn read(
    store: &dyn CatalogStore,
    after: u64,
    limit: usize,
    selection: &Selection,
) -> Result<Read> {
    let bounds = store.event_bounds()?;
    if after + 1 < bounds.first && after < bounds.last {
        return Err(Error::new(
            lakecat_catalog_api::ErrorKind::Gone,
            format!(
                "events {} to {} were removed by the log's retention; the oldest kept is {}: \
                 resynchronise from the catalog and resume after {}",
                after + 1,
                bounds.first - 1,
                bounds.first,
                bounds.first - 1
            ),
        ));
    }
    let mut out = Vec::new();
    let mut at = after;
    for _ in 0..10 {
        let page = store.events_after(at, 1000.max(limit))?;
        let Some(last) = page.last().map(|e| e.id) else {
            break;
        };
        for e in page {
            if out.len() == limit {
                return Ok(Read {
                    events: out,
                    resume_after: at,
                });
            }
            at = e.id;
            if selection.matches(&e) {
                out.push(e);
            }
        }
        if out.len() == limit || last >= bounds.last {
            break;
        }
    }
    Ok(Read {
        events: out,
        resume_after: at,
    })
}

/// Applies `retention` now and every minute until `stop` turns true.
pub async fn trim_loop(
    store: Arc<dyn CatalogStore>,
    retention: Retention,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let s = store.clone();
        match tokio::task::spawn_blocking(move || s.trim_events(&retention)).await {
            Ok(Ok(n)) if n > 0 => tracing::info!("change log: {n} event(s) past retention removed"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!("change log: trimming failed: {e}"),
            Err(e) => tracing::warn!("change log: trimming failed: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(TRIM_EVERY) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}
