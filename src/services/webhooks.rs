//! Webhooks: the change log delivered to HTTP endpoints.
//!
//! A subscription names a URL, an EventBridge event pattern, a format
//! (EventBridge-style JSON, in Glue's event shapes, or CloudEvents) and a secret
//! that signs each delivery with HMAC-SHA256. Each subscription has its own
//! worker that follows the log from a cursor kept in the store: events are
//! delivered one at a time, in log order, at least once, retried with
//! exponential backoff; after the last attempt the event goes to the
//! subscription's dead letters and the worker moves on. Workers never touch the
//! write path, so a slow or dead endpoint delays only its own subscription.
//! The cursor and a lease live in one record changed by compare-and-swap, so
//! replicas sharing a store deliver each subscription from one replica at a
//! time, and a restart resumes where the last acknowledged delivery left off.

use crate::services::events::time_text;
use hmac::{Hmac, Mac};
use lakecat_catalog_api::events::{now_ms, Change, Event};
use lakecat_catalog_api::store::{all_records, CatalogStore, Expect, RecordWrite};
use lakecat_catalog_api::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Record spaces: the subscriptions, each one's cursor and lease, its dead letters.
pub const SUBSCRIPTIONS: &str = "webhooks";
pub const STATES: &str = "webhook_states";
pub const DEAD_LETTERS: &str = "webhook_dead_letters";

/// Each subscription has a delivery thread of its own: a bound on them.
const MAX_SUBSCRIPTIONS: usize = 100;
const DEFAULT_MAX_ATTEMPTS: u32 = 8;
const DEFAULT_RETRY_BASE_MS: u64 = 1000;
const MAX_BACKOFF: Duration = Duration::from_secs(60);
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// How long a replica delivers a subscription without renewing its claim
/// (`LAKECAT_WEBHOOK_LEASE_SECS`): how soon another replica takes over from a
/// dead one.
const DEFAULT_LEASE_SECS: u64 = 30;
/// How often an idle worker looks at the log, and the manager for new subscriptions.
const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `{"version": "0", "id", "detail-type", "source": "aws.glue", …, "detail"}`.
    #[default]
    Eventbridge,
    /// CloudEvents 1.0 in structured JSON mode.
    Cloudevents,
}

/// A subscription as given (REST, config file, CLI) and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub name: String,
    pub url: String,
    /// An EventBridge event pattern, matched against the EventBridge envelope
    /// (also when CloudEvents are sent); absent = every event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Value>,
    #[serde(default)]
    pub format: Format,
    /// Signs every delivery (`X-Lakecat-Signature`); never shown back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// The first retry waits this long, each next one twice as long (at most a minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_base_ms: Option<u64>,
    /// How long one attempt may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

impl Subscription {
    pub fn check(&self) -> Result<()> {
        let ok_name = !self.name.is_empty()
            && self.name.len() <= 128
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !ok_name {
            return Err(Error::invalid(format!(
                "webhook name {:?} must be 1 to 128 letters, digits, '-', '_' or '.'",
                self.name
            )));
        }
        let uri: ureq::http::Uri = self
            .url
            .parse()
            .map_err(|e| Error::invalid(format!("webhook url {:?} is not a URL: {e}", self.url)))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(Error::invalid(format!(
                "webhook url {:?} is not an http(s) URL",
                self.url
            )));
        }
        if let Some(p) = &self.pattern {
            check_pattern(p, "pattern")?;
        }
        if self.max_attempts == Some(0) || self.max_attempts.is_some_and(|n| n > 100) {
            return Err(Error::invalid("max_attempts must be between 1 and 100"));
        }
        if self.timeout_ms == Some(0) || self.timeout_ms.is_some_and(|t| t > 300_000) {
            return Err(Error::invalid("timeout_ms must be between 1 and 300000"));
        }
        Ok(())
    }

    /// What REST shows: everything but the secret.
    pub fn shown(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("secret");
            o.insert("secret_set".into(), json!(self.secret.is_some()));
        }
        v
    }
}

/// Where a subscription's delivery stands: the last id dealt with (delivered,
/// dead-lettered or not matching) and which replica delivers it until when.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    cursor: u64,
    #[serde(default)]
    holder: Option<String>,
    #[serde(default)]
    expires_ms: i64,
}

/// An event that could not be delivered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeadLetter {
    pub event_id: u64,
    pub attempts: u32,
    pub last_error: String,
    pub time: String,
    pub body: Value,
}

// ---- EventBridge event patterns ----

/// Checks that a pattern has EventBridge's form: objects whose leaves are arrays.
fn check_pattern(p: &Value, at: &str) -> Result<()> {
    let Value::Object(m) = p else {
        return Err(Error::invalid(format!(
            "event pattern {at} must be a JSON object"
        )));
    };
    for (k, v) in m {
        match v {
            Value::Object(_) => check_pattern(v, &format!("{at}.{k}"))?,
            Value::Array(items) => {
                for it in items {
                    if let Value::Object(op) = it {
                        let known = [
                            "prefix",
                            "suffix",
                            "anything-but",
                            "numeric",
                            "exists",
                            "equals-ignore-case",
                            "wildcard",
                        ];
                        if op.len() != 1 || !known.contains(&op.keys().next().unwrap().as_str()) {
                            return Err(Error::invalid(format!(
                                "event pattern {at}.{k}: {it} is not a filter EventBridge knows (prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard)"
                            )));
                        }
                    }
                }
            }
            _ => {
                return Err(Error::invalid(format!(
                    "event pattern {at}.{k} must be an array of values or an object"
                )))
            }
        }
    }
    Ok(())
}

/// Whether `event` matches an EventBridge pattern: every field of the pattern
/// must match; a field's array matches when any of its values does (and, for
/// an array in the event, any of the event's values).
pub fn matches(pattern: &Value, event: &Value) -> bool {
    let Value::Object(m) = pattern else {
        return false;
    };
    m.iter().all(|(k, p)| {
        let v = event.get(k);
        match p {
            Value::Object(_) => v.is_some_and(|v| matches(p, v)),
            Value::Array(alts) => match v {
                None => alts.iter().any(|a| a.get("exists") == Some(&json!(false))),
                Some(Value::Array(vals)) => vals
                    .iter()
                    .any(|x| alts.iter().any(|a| value_matches(a, x))),
                Some(x) => alts.iter().any(|a| value_matches(a, x)),
            },
            _ => false,
        }
    })
}

fn value_matches(filter: &Value, v: &Value) -> bool {
    let Value::Object(op) = filter else {
        return filter == v;
    };
    let Some((name, arg)) = op.iter().next() else {
        return false;
    };
    let text = v.as_str();
    match name.as_str() {
        "exists" => arg == &json!(true) && !v.is_null(),
        "prefix" => match (text, arg) {
            (Some(t), Value::String(p)) => t.starts_with(p.as_str()),
            (Some(t), Value::Object(o)) => o
                .get("equals-ignore-case")
                .and_then(Value::as_str)
                .is_some_and(|p| t.to_lowercase().starts_with(&p.to_lowercase())),
            _ => false,
        },
        "suffix" => match (text, arg) {
            (Some(t), Value::String(s)) => t.ends_with(s.as_str()),
            _ => false,
        },
        "equals-ignore-case" => match (text, arg.as_str()) {
            (Some(t), Some(a)) => t.eq_ignore_ascii_case(a),
            _ => false,
        },
        "wildcard" => match (text, arg.as_str()) {
            (Some(t), Some(w)) => wildcard(w, t),
            _ => false,
        },
        "anything-but" => match arg {
            Value::Array(xs) => !xs.iter().any(|x| x == v),
            Value::Object(_) => !value_matches(arg, v),
            x => x != v,
        },
        "numeric" => {
            let (Some(n), Some(conds)) = (v.as_f64(), arg.as_array()) else {
                return false;
            };
            conds.chunks(2).all(|c| {
                let (Some(op), Some(x)) = (c[0].as_str(), c.get(1).and_then(Value::as_f64)) else {
                    return false;
                };
                match op {
                    "=" => n == x,
                    "<" => n < x,
                    "<=" => n <= x,
                    ">" => n > x,
                    ">=" => n >= x,
                    _ => false,
                }
            })
        }
        _ => false,
    }
}

/// `*` matches any run of characters.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            match rest.find(p) {
                Some(at) => rest = &rest[at + p.len()..],
                None => return false,
            }
        }
    }
    true
}

// ---- What is delivered ----

/// A partition's values as Glue lists them in `changedPartitions`.
fn values_text(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}

/// The event's detail-type and detail in Glue's shapes ("Glue Data Catalog
/// Database State Change" for databases and the tables created or deleted in
/// them, "… Table State Change" for a table's updates and partitions), with
/// lakecat's `typeOfChange` names where Glue has none.
pub fn glue_shape(e: &Event) -> (String, Value) {
    const DB: &str = "Glue Data Catalog Database State Change";
    const TABLE: &str = "Glue Data Catalog Table State Change";
    let db = e.change.database().unwrap_or_default().to_string();
    let tname = e
        .change
        .table()
        .map(|t| t.name.as_str().to_string())
        .unwrap_or_default();
    let table = |kind: &str, parts: Vec<String>| {
        let mut d = json!({"databaseName": db, "tableName": tname, "typeOfChange": kind});
        if !parts.is_empty() {
            d["changedPartitions"] = json!(parts);
        }
        (TABLE.to_string(), d)
    };
    let database = |kind: &str, tables: Vec<String>| {
        (
            DB.to_string(),
            json!({"databaseName": db, "typeOfChange": kind, "changedTables": tables}),
        )
    };
    let batch = |n: usize, one: &str, many: &str| {
        if n == 1 {
            one.to_string()
        } else {
            many.to_string()
        }
    };
    match &e.change {
        Change::CreateDatabase { .. } => database("CreateDatabase", vec![]),
        Change::AlterDatabase { .. } => database("UpdateDatabase", vec![]),
        Change::DropDatabase { .. } => database("DeleteDatabase", vec![]),
        Change::CreateTable { .. } => database("CreateTable", vec![tname.clone()]),
        Change::DropTable { .. } => database("DeleteTable", vec![tname.clone()]),
        Change::AlterTable { after, .. } => {
            let (t, mut d) = table("UpdateTable", vec![]);
            if after.name.as_str() != tname {
                d["newTableName"] = json!(after.name.as_str());
            }
            (t, d)
        }
        Change::AddPartitions { partitions, .. } => table(
            &batch(partitions.len(), "CreatePartition", "BatchCreatePartition"),
            partitions.iter().map(|p| values_text(&p.values)).collect(),
        ),
        Change::AlterPartition { after, .. } => {
            table("UpdatePartition", vec![values_text(&after.values)])
        }
        Change::DropPartitions { values, .. } => table(
            &batch(values.len(), "DeletePartition", "BatchDeletePartition"),
            values.iter().map(|v| values_text(v)).collect(),
        ),
        Change::CreateFunction { function } => database(
            "CreateUserDefinedFunction",
            vec![function.function_name.clone()],
        ),
        Change::DropFunction { function } => database(
            "DeleteUserDefinedFunction",
            vec![function.function_name.clone()],
        ),
        Change::CreatePartitionIndex { .. } => table("CreatePartitionIndex", vec![]),
        Change::DropPartitionIndex { .. } => table("DeletePartitionIndex", vec![]),
        Change::UpdateColumnStatistics { partition, .. } => table(
            "UpdateColumnStatistics",
            partition.iter().map(|v| values_text(v)).collect(),
        ),
        Change::DeleteColumnStatistics { partition, .. } => table(
            "DeleteColumnStatistics",
            partition.iter().map(|v| values_text(v)).collect(),
        ),
        Change::Insert { partition, .. } => {
            table("Insert", partition.iter().map(|v| values_text(v)).collect())
        }
        Change::Service {
            detail_type,
            detail,
        } => (detail_type.clone(), detail.clone()),
    }
}

/// The body delivered for `e`; patterns are matched against the EventBridge one.
pub fn envelope(e: &Event, format: Format) -> Value {
    let (detail_type, detail) = glue_shape(e);
    let resources: Vec<String> = match (e.change.database(), e.change.table()) {
        (Some(d), Some(t)) => vec![format!(
            "arn:aws:glue:local:000000000000:table/{d}/{}",
            t.name
        )],
        (Some(d), None) => vec![format!("arn:aws:glue:local:000000000000:database/{d}")],
        _ => vec![],
    };
    match format {
        Format::Eventbridge => json!({
            "version": "0",
            "id": format!("00000000-0000-4000-8000-{:012x}", e.id),
            "detail-type": detail_type,
            "source": "aws.glue",
            "account": "000000000000",
            "time": time_text(e.time_ms),
            "region": "local",
            "resources": resources,
            "detail": detail,
            "lakecat": {"eventId": e.id, "type": e.change.event_type(), "principal": e.principal},
        }),
        Format::Cloudevents => json!({
            "specversion": "1.0",
            "id": e.id.to_string(),
            "source": "lakecat",
            "type": detail_type,
            "subject": resources.first(),
            "time": time_text(e.time_ms),
            "datacontenttype": "application/json",
            "lakecateventtype": e.change.event_type(),
            "data": detail,
        }),
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut m =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}

// ---- Managing subscriptions ----

fn parse<T: for<'a> Deserialize<'a>>(b: &[u8]) -> Result<T> {
    serde_json::from_slice(b).map_err(|e| Error::storage(format!("corrupt webhook record: {e}")))
}

fn to_bytes<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::storage(e.to_string()))
}

/// Creates a subscription, or replaces one of the same name (keeping its place
/// in the log) when `replace`; a new one starts after the log's last event.
pub fn put(store: &dyn CatalogStore, s: Subscription, replace: bool) -> Result<()> {
    s.check()?;
    let exists = store.get_record(SUBSCRIPTIONS, &s.name)?.is_some();
    if exists && !replace {
        return Err(Error::already_exists(format!(
            "webhook {} already exists",
            s.name
        )));
    }
    if !exists && all_records(store, SUBSCRIPTIONS, "")?.len() >= MAX_SUBSCRIPTIONS {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("at most {MAX_SUBSCRIPTIONS} webhooks; remove one first"),
        ));
    }
    let mut writes = vec![RecordWrite::put(SUBSCRIPTIONS, &s.name, to_bytes(&s)?)];
    if !exists {
        let state = State {
            cursor: store.event_bounds()?.last,
            ..Default::default()
        };
        writes.push(RecordWrite::put(STATES, &s.name, to_bytes(&state)?).expecting(Expect::Absent));
    }
    store.write_records(writes)
}

pub fn get(store: &dyn CatalogStore, name: &str) -> Result<Subscription> {
    match store.get_record(SUBSCRIPTIONS, name)? {
        Some(b) => parse(&b),
        None => Err(Error::not_found(format!("webhook {name} not found"))),
    }
}

pub fn list(store: &dyn CatalogStore) -> Result<Vec<Subscription>> {
    all_records(store, SUBSCRIPTIONS, "")?
        .iter()
        .map(|(_, b)| parse(b))
        .collect()
}

/// Removes a subscription with its cursor and dead letters.
pub fn delete(store: &dyn CatalogStore, name: &str) -> Result<()> {
    get(store, name)?;
    let mut writes = vec![
        RecordWrite::delete(SUBSCRIPTIONS, name),
        RecordWrite::delete(STATES, name),
    ];
    for d in dead_letter_keys(store, name)? {
        writes.push(RecordWrite::delete(DEAD_LETTERS, &d));
    }
    store.write_records(writes)
}

fn dead_letter_keys(store: &dyn CatalogStore, name: &str) -> Result<Vec<String>> {
    Ok(all_records(store, DEAD_LETTERS, &format!("{name}/"))?
        .into_iter()
        .map(|(k, _)| k)
        .collect())
}

/// A subscription's dead letters, oldest first.
pub fn dead_letters(store: &dyn CatalogStore, name: &str) -> Result<Vec<DeadLetter>> {
    get(store, name)?;
    all_records(store, DEAD_LETTERS, &format!("{name}/"))?
        .iter()
        .map(|(_, b)| parse(b))
        .collect()
}

/// Where a subscription's delivery stands: `{"cursor": last id dealt with}`.
pub fn status(store: &dyn CatalogStore, name: &str) -> Result<Value> {
    get(store, name)?;
    let st: State = match store.get_record(STATES, name)? {
        Some(b) => parse(&b)?,
        None => State::default(),
    };
    Ok(json!({"cursor": st.cursor, "last_event": store.event_bounds()?.last}))
}

// ---- Delivery ----

/// Runs every subscription's worker until `stop` is set: the manager starts a
/// worker for each subscription it finds, and a worker ends when its
/// subscription is gone.
pub fn run(store: Arc<dyn CatalogStore>, replica: String, stop: Arc<AtomicBool>) {
    let lease = super::lease_from_env("LAKECAT_WEBHOOK_LEASE_SECS", DEFAULT_LEASE_SECS);
    // On a store no other process uses, a lease left by an earlier process
    // belongs to no one alive.
    let exclusive = !store.shared();
    let mut workers: HashMap<String, std::thread::JoinHandle<()>> = HashMap::new();
    while !stop.load(Ordering::Relaxed) {
        match list(&*store) {
            Ok(subs) => {
                workers.retain(|_, h| !h.is_finished());
                for s in subs {
                    if workers.contains_key(&s.name) {
                        continue;
                    }
                    let (store, replica, stop) = (store.clone(), replica.clone(), stop.clone());
                    let name = s.name.clone();
                    let h = std::thread::Builder::new()
                        .name(format!("webhook {name}"))
                        .spawn(move || {
                            Worker {
                                store,
                                replica,
                                stop,
                                name,
                                exclusive,
                                lease,
                            }
                            .run()
                        });
                    match h {
                        Ok(h) => {
                            workers.insert(s.name, h);
                        }
                        Err(e) => {
                            tracing::warn!("webhook {}: cannot start its worker: {e}", s.name)
                        }
                    }
                }
            }
            Err(e) => tracing::warn!("webhooks: cannot list subscriptions: {e}"),
        }
        std::thread::sleep(POLL * 5);
    }
    for (_, h) in workers {
        let _ = h.join();
    }
}

enum Delivery {
    Done,
    /// Every attempt failed.
    Dead(DeadLetter),
    /// The server is stopping.
    Interrupted,
}

struct Worker {
    store: Arc<dyn CatalogStore>,
    replica: String,
    stop: Arc<AtomicBool>,
    name: String,
    exclusive: bool,
    lease: Duration,
}

impl Worker {
    fn run(self) {
        while !self.stop.load(Ordering::Relaxed) {
            match self.round() {
                Ok(true) => {}
                Ok(false) => std::thread::sleep(POLL),
                Err(e) if e.kind == ErrorKind::NotFound => return,
                Err(e) => {
                    tracing::warn!("webhook {}: {e}", self.name);
                    std::thread::sleep(POLL * 5);
                }
            }
        }
    }

    /// Takes (or renews) the lease; `None` when another replica holds it.
    fn claim(&self) -> Result<Option<(State, Vec<u8>)>> {
        let Some(bytes) = self.store.get_record(STATES, &self.name)? else {
            return Err(Error::not_found("subscription gone"));
        };
        let mut st: State = parse(&bytes)?;
        let mine = st.holder.as_deref() == Some(self.replica.as_str());
        if !mine && !self.exclusive && st.holder.is_some() && st.expires_ms > now_ms() {
            return Ok(None);
        }
        st.holder = Some(self.replica.clone());
        st.expires_ms = now_ms() + self.lease.as_millis() as i64;
        let new = to_bytes(&st)?;
        match self.store.write_records(vec![
            RecordWrite::put(STATES, &self.name, new.clone()).expecting(Expect::Equals(bytes))
        ]) {
            Ok(()) => Ok(Some((st, new))),
            Err(e) if e.kind == ErrorKind::Conflict => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deals with the next events; whether there were any.
    fn round(&self) -> Result<bool> {
        let sub = get(&*self.store, &self.name)?;
        let Some((mut st, mut bytes)) = self.claim()? else {
            return Ok(false);
        };
        let mut saved = st.cursor;
        let bounds = self.store.event_bounds()?;
        if st.cursor + 1 < bounds.first {
            tracing::warn!(
                "webhook {}: events {} to {} were removed by the log's retention before they were delivered",
                self.name,
                st.cursor + 1,
                bounds.first - 1
            );
            st.cursor = bounds.first - 1;
        }
        let events = self.store.events_after(st.cursor, 100)?;
        if events.is_empty() {
            // A skip past removed events is kept, so it is warned of once.
            if st.cursor != saved {
                self.save(&mut st, &mut bytes, vec![])?;
            }
            return Ok(false);
        }
        // One agent per round, so deliveries to the endpoint share connections.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_millis(
                sub.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            )))
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        for e in events {
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            // Patterns speak of EventBridge's envelope, whatever the format sent.
            let eventbridge = envelope(&e, Format::Eventbridge);
            let wanted = sub
                .pattern
                .as_ref()
                .is_none_or(|p| matches(p, &eventbridge));
            let body = match sub.format {
                Format::Eventbridge => eventbridge,
                f => envelope(&e, f),
            };
            if !wanted {
                // Passed over in memory: saved with the next delivery or at
                // the end of the round (after a crash they are only looked at
                // again), so a narrow pattern costs no write per event.
                st.cursor = e.id;
                continue;
            }
            let mut writes = Vec::new();
            match self.deliver(&agent, &sub, e.id, &body, (&mut st, &mut bytes)) {
                Delivery::Done => {}
                Delivery::Dead(dead) => {
                    let key = format!("{}/{:020}", self.name, e.id);
                    writes.push(RecordWrite::put(DEAD_LETTERS, &key, to_bytes(&dead)?));
                }
                // Neither delivered nor dead: the next start tries it again.
                Delivery::Interrupted => return Ok(false),
            }
            st.cursor = e.id;
            if !self.save(&mut st, &mut bytes, writes)? {
                return Ok(false);
            }
            saved = st.cursor;
        }
        if st.cursor != saved && !self.save(&mut st, &mut bytes, vec![])? {
            return Ok(false);
        }
        Ok(true)
    }

    /// Stores `st` (renewing the lease) with `writes`, if the state is still
    /// `bytes`; false when that race was lost: the subscription was deleted
    /// or another replica took over, and resumes from the stored cursor.
    fn save(
        &self,
        st: &mut State,
        bytes: &mut Vec<u8>,
        mut writes: Vec<RecordWrite>,
    ) -> Result<bool> {
        st.expires_ms = now_ms() + self.lease.as_millis() as i64;
        let new = to_bytes(st)?;
        writes.push(
            RecordWrite::put(STATES, &self.name, new.clone())
                .expecting(Expect::Equals(std::mem::take(bytes))),
        );
        match self.store.write_records(writes) {
            Ok(()) => {
                *bytes = new;
                Ok(true)
            }
            Err(e) if e.kind == ErrorKind::Conflict => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Delivers one event, retrying with backoff. Waits between attempts can
    /// outlast the lease, so the lease (`held`) is renewed while waiting: another
    /// replica must not take over a subscription whose holder is alive, or both
    /// would deliver. A renewal that loses the race gives the event up to the
    /// new holder.
    fn deliver(
        &self,
        agent: &ureq::Agent,
        sub: &Subscription,
        id: u64,
        body: &Value,
        held: (&mut State, &mut Vec<u8>),
    ) -> Delivery {
        let (st, bytes) = held;
        let attempts = sub.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
        let base = Duration::from_millis(sub.retry_base_ms.unwrap_or(DEFAULT_RETRY_BASE_MS));
        let text = body.to_string();
        let content_type = match sub.format {
            Format::Eventbridge => "application/json",
            Format::Cloudevents => "application/cloudevents+json",
        };
        let mut last_error = String::new();
        for attempt in 1..=attempts {
            let mut req = agent
                .post(&sub.url)
                .header("content-type", content_type)
                .header("x-lakecat-event-id", id.to_string())
                .header("x-lakecat-subscription", &sub.name)
                .header("x-lakecat-attempt", attempt.to_string());
            if let Some(secret) = &sub.secret {
                let t = now_ms() / 1000;
                req = req.header("x-lakecat-signature", signature(secret, t, text.as_bytes()));
            }
            match req.send(text.as_str()) {
                Ok(r) if r.status().is_success() => return Delivery::Done,
                Ok(r) => last_error = format!("the endpoint answered {}", r.status()),
                Err(e) => last_error = e.to_string(),
            }
            tracing::debug!(
                "webhook {}: event {id}, attempt {attempt}: {last_error}",
                sub.name
            );
            if attempt == attempts {
                break;
            }
            let wait = base
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(MAX_BACKOFF);
            let until = Instant::now() + wait;
            while Instant::now() < until {
                if self.stop.load(Ordering::Relaxed) {
                    return Delivery::Interrupted;
                }
                if st.expires_ms - now_ms() < self.lease.as_millis() as i64 / 2
                    && !self.save(st, bytes, vec![]).unwrap_or(false)
                {
                    return Delivery::Interrupted;
                }
                std::thread::sleep(Duration::from_millis(20).min(wait));
            }
        }
        tracing::warn!(
            "webhook {}: event {id} not delivered after {attempts} attempts ({last_error}); kept as a dead letter",
            sub.name
        );
        Delivery::Dead(DeadLetter {
            event_id: id,
            attempts,
            last_error,
            time: time_text(now_ms()),
            body: body.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_bounded_and_replacing_one_is_not_a_new_one() {
        let store = lakecat_catalog_api::memory::MemoryStore::new(1);
        let sub = |n: usize| Subscription {
            name: format!("s{n}"),
            url: "http://127.0.0.1:1/x".into(),
            pattern: None,
            format: Format::Eventbridge,
            secret: None,
            max_attempts: None,
            retry_base_ms: None,
            timeout_ms: None,
        };
        for n in 0..MAX_SUBSCRIPTIONS {
            put(&store, sub(n), false).unwrap();
        }
        let e = put(&store, sub(MAX_SUBSCRIPTIONS), false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::LimitExceeded, "{e}");
        put(&store, sub(0), true).unwrap();
        delete(&store, "s0").unwrap();
        put(&store, sub(MAX_SUBSCRIPTIONS), false).unwrap();
    }

    /// Retries that wait longer than the lease keep it: no other replica takes
    /// the subscription over (and delivers too) while its holder is retrying.
    #[test]
    fn a_delivery_retrying_past_the_lease_keeps_it() {
        let store: Arc<dyn CatalogStore> =
            Arc::new(lakecat_catalog_api::memory::MemoryStore::new(1));
        // Nothing listens on the port: every attempt fails at once.
        let dead_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", dead_port.local_addr().unwrap());
        drop(dead_port);
        put(
            &*store,
            Subscription {
                name: "slow".into(),
                url,
                pattern: None,
                format: Format::Eventbridge,
                secret: None,
                max_attempts: Some(4),
                retry_base_ms: Some(200),
                timeout_ms: Some(500),
            },
            false,
        )
        .unwrap();
        store
            .create_database(lakecat_catalog_api::model::Database::new(
                lakecat_catalog_api::DatabaseName::new("d").unwrap(),
            ))
            .unwrap();
        let worker = |replica: &str| Worker {
            store: store.clone(),
            replica: replica.into(),
            stop: Arc::new(AtomicBool::new(false)),
            name: "slow".into(),
            exclusive: false,
            lease: Duration::from_millis(300),
        };
        let holder = worker("a");
        let delivering = std::thread::spawn(move || holder.round());
        std::thread::sleep(Duration::from_millis(50));
        // 200 + 400 + 800 ms of waits: more than four leases.
        let other = worker("b");
        while !delivering.is_finished() {
            assert!(
                other.claim().unwrap().is_none(),
                "another replica took over a live delivery"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(delivering.join().unwrap().unwrap());
        let dead = dead_letters(&*store, "slow").unwrap();
        assert_eq!((dead.len(), dead[0].attempts), (1, 4), "{dead:?}");
    }

    #[test]
    fn event_patterns_match_as_eventbridge_documents() {
        let e = json!({"source": "aws.glue", "detail-type": "Glue Data Catalog Table State Change",
            "resources": ["arn:a", "arn:b"],
            "detail": {"databaseName": "sales", "tableName": "orders_2024", "typeOfChange": "BatchCreatePartition", "n": 5}});
        let yes = [
            json!({"source": ["aws.glue"]}),
            json!({"detail": {"databaseName": ["sales", "hr"]}}),
            json!({"detail": {"tableName": [{"prefix": "orders_"}]}}),
            json!({"detail": {"tableName": [{"suffix": "2024"}]}}),
            json!({"detail": {"typeOfChange": [{"anything-but": ["DeleteTable"]}]}}),
            json!({"detail": {"n": [{"numeric": [">", 1, "<=", 5]}]}}),
            json!({"detail": {"missing": [{"exists": false}]}}),
            json!({"detail": {"tableName": [{"exists": true}]}}),
            json!({"resources": ["arn:b"]}),
            json!({"detail": {"databaseName": [{"equals-ignore-case": "SALES"}]}}),
            json!({"detail": {"tableName": [{"wildcard": "ord*_20*"}]}}),
        ];
        for p in &yes {
            check_pattern(p, "pattern").unwrap();
            assert!(matches(p, &e), "{p} should match");
        }
        let no = [
            json!({"source": ["aws.s3"]}),
            json!({"detail": {"databaseName": ["hr"]}}),
            json!({"detail": {"tableName": [{"prefix": "x"}]}}),
            json!({"detail": {"typeOfChange": [{"anything-but": "BatchCreatePartition"}]}}),
            json!({"detail": {"n": [{"numeric": [">", 5]}]}}),
            json!({"detail": {"tableName": [{"exists": false}]}}),
            json!({"detail": {"missing": ["x"]}}),
            json!({"detail": {"tableName": [{"wildcard": "x*"}]}}),
        ];
        for p in &no {
            assert!(!matches(p, &e), "{p} should not match");
        }
        for bad in [
            json!(["x"]),
            json!({"source": "aws.glue"}),
            json!({"a": [{"regex": "x"}]}),
        ] {
            assert!(check_pattern(&bad, "pattern").is_err(), "{bad}");
        }
    }
}
