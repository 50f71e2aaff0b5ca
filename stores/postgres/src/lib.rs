//! lakecat's catalog on PostgreSQL: any number of `lakecat serve` replicas share
//! one database, as Hive Metastores share one RDBMS. It runs the shared
//! conformance suite from its own tests (`tests/conformance.rs`).
//!
//! The schema is in `migrations/` (applied at open, see [`migrate`]). What the
//! store assumes of the database, so that PostgreSQL-compatible engines can be
//! judged against it: PostgreSQL 15 or later semantics at READ COMMITTED, row
//! locks (`SELECT … FOR UPDATE`), `ON CONFLICT`, `unnest` of arrays, bytea
//! ordered byte-wise, `COLLATE "C"`, transaction-scoped advisory locks. No
//! extension.
//!
//! Consistency between replicas comes from the database alone:
//! - every write is one transaction; a table's writes first lock its row in
//!   `lc_tables`, so writers of one table serialise (and its partition count,
//!   versions and index entries stay in step) while other tables proceed;
//! - creates rely on primary keys (a lost race is "already exists"), and foreign
//!   keys from tables and functions to their database make a drop of the database
//!   wait for (or refuse) a concurrent create inside it;
//! - reads of more than one statement run in one REPEATABLE READ snapshot, so no
//!   reader sees half of a write.
//!
//! Partition filters are planned by the same code as the other stores
//! ([`PartitionScan`]): the range it derives from the filter (on the partition
//! order, or on the partition index whose typed bounds are tightest) is a
//! parameterised range condition on a primary key, read in keyset pages; the
//! exact filter is then applied to the rows of that range, so every store
//! answers a filter the same way. No SQL is ever built from a request's text.

use lakecat_catalog_api::error::{Error, ErrorKind, Result};
use lakecat_catalog_api::events::{self, stamp, Change, Event, EventBounds, Retention};
use lakecat_catalog_api::filter::FilterExpr;
use lakecat_catalog_api::index::{prepare_index, IndexSet};
use lakecat_catalog_api::kv::keys::{decode_values, encode_values, prefix_end};
use lakecat_catalog_api::kv::*;
use lakecat_catalog_api::model::{Database, Function, Partition, Table, TableVersion};
use lakecat_catalog_api::names::{DatabaseName, TableIdent};
use lakecat_catalog_api::stats::*;
use lakecat_catalog_api::store::*;
use postgres::{IsolationLevel, NoTls, Row};
use serde::{de::DeserializeOwned, Serialize};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

mod conn;
mod migrate;
mod reads;
pub mod testing;
mod tls;
use conn::{Cx, Manager};
pub use migrate::{migrate, schema_version, SCHEMA_VERSION};

type Conn = r2d2::PooledConnection<Manager>;

/// Rows written per statement: large batches go in chunks that keep each
/// message well below PostgreSQL's 1 GB limit.
const CHUNK: usize = 5_000;
/// Rows removed per statement when a dropped table is purged.
const PURGE_CHUNK: i64 = 10_000;

/// How the store connects; the URL's query may set `pool_max_size` and
/// `pool_timeout_secs` besides PostgreSQL's own parameters.
#[derive(Debug, Clone)]
pub struct PgOptions {
    pub pool_max_size: u32,
    /// How long a request waits for a free connection (or for the database to
    /// answer a new one) before it fails as unavailable.
    pub pool_timeout: Duration,
    /// TLS, verifying the server against `sslrootcert` (see [`tls`]).
    tls: Option<tls::Rustls>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            pool_max_size: 32,
            pool_timeout: Duration::from_secs(5),
            tls: None,
        }
    }
}

pub struct PgStore {
    /// Always `Some` until the store is dropped (see `Drop`).
    pool: Option<r2d2::Pool<Manager>>,
    /// GetTable for async callers (see [`reads`]).
    reads: reads::Reads,
    max_versions: usize,
    examined: AtomicU64,
    log_off: std::sync::atomic::AtomicBool,
}

/// Maps a PostgreSQL error onto the catalog's kinds: a database that cannot be
/// reached is [`ErrorKind::Unavailable`] (retrying later may succeed).
pub(crate) fn pe(e: postgres::Error) -> Error {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let kind = if code.starts_with("08") || code.starts_with("57P") || code == "53300" {
            ErrorKind::Unavailable
        } else if code == "40001" || code == "40P01" {
            ErrorKind::Conflict
        } else {
            ErrorKind::Storage
        };
        return Error::new(kind, format!("postgres: {} ({code})", db.message()));
    }
    Error::new(
        ErrorKind::Unavailable,
        format!("the catalog database cannot be reached: {e}"),
    )
}

/// Whether the connection itself failed (as opposed to the statement).
/// Whether the connection is gone, so the statement may be asked again on a
/// fresh one: closed, an I/O error, or the server's own word that it ended the
/// session. A terminated backend (a restart, `pg_terminate_backend`) answers
/// the next statement with a FATAL `57P01 admin_shutdown` (class 57P, operator
/// intervention) before it closes; class 08 is a connection exception.
fn connection_lost(e: &postgres::Error) -> bool {
    match e.as_db_error() {
        None => true,
        Some(d) => {
            let code = d.code().code();
            e.is_closed() || code.starts_with("57P") || code.starts_with("08")
        }
    }
}

fn is_code(e: &postgres::Error, code: &str) -> bool {
    e.as_db_error().is_some_and(|d| d.code().code() == code)
}

const UNIQUE_VIOLATION: &str = "23505";
const FOREIGN_KEY_VIOLATION: &str = "23503";

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::storage(format!("encoding: {e}")))
}

fn from_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::storage(format!("corrupt record: {e}")))
}

/// The row of a table in `lc_tables`.
struct TableRecord {
    id: i64,
    table: Table,
    indexes: Vec<PartitionIndex>,
    partition_count: i64,
}

impl TableRecord {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(TableRecord {
            id: r.get(0),
            table: from_json(r.get(1))?,
            indexes: from_json(r.get(2))?,
            partition_count: r.get(3),
        })
    }
}

/// The statistics target of the table (`None`) or of a partition key.
fn stats_target_key(pkey: Option<&[u8]>) -> Vec<u8> {
    stats_prefix(pkey)
}

/// Separates lakecat's pool parameters from the URL PostgreSQL's parser reads.
fn split_url(url: &str) -> Result<(String, PgOptions)> {
    let mut opts = PgOptions::default();
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), opts));
    };
    let mut kept: Vec<String> = Vec::new();
    let (mut mode, mut roots, mut cert, mut key) = (None, None, None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let num = |what: &str| {
            v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                Error::invalid(format!(
                    "store URL: {what} must be a positive whole number, not {v:?}"
                ))
            })
        };
        match k {
            "pool_max_size" => opts.pool_max_size = num(k)?,
            "pool_timeout_secs" => opts.pool_timeout = Duration::from_secs(num(k)?.into()),
            "sslrootcert" => roots = Some(v.to_string()),
            "sslcert" => cert = Some(v.to_string()),
            "sslkey" => key = Some(v.to_string()),
            "sslmode" => mode = Some(v.to_string()),
            _ => kept.push(pair.to_string()),
        }
    }
    // The driver knows disable, prefer and require; verifying the server is
    // the connector's, which always checks the certificate and its name.
    let mode = match (mode.as_deref(), &roots) {
        (None | Some("prefer"), None) => mode,
        (Some("disable"), _) => mode,
        (None | Some("prefer"), Some(_)) => Some("prefer".to_string()),
        (Some("require" | "verify-ca" | "verify-full"), Some(_)) => Some("require".to_string()),
        (Some(m @ ("require" | "verify-ca" | "verify-full")), None) => {
            return Err(Error::invalid(format!(
                "store URL: sslmode={m} needs sslrootcert=FILE (the PEM certificates that sign \
                 the server's): lakecat always verifies the server it sends the catalog to"
            )))
        }
        (Some(m), _) => {
            return Err(Error::invalid(format!(
            "store URL: sslmode={m} is not one of disable, prefer, require, verify-ca, verify-full"
        )))
        }
    };
    // A client certificate goes with TLS only, and needs its key.
    let client = match (cert, key) {
        (None, None) => None,
        (Some(c), Some(k)) if roots.is_some() && mode.as_deref() != Some("disable") => Some((c, k)),
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "store URL: sslcert and sslkey are sent over TLS only: add sslmode=verify-full and sslrootcert=FILE",
            ))
        }
        _ => {
            return Err(Error::invalid(
                "store URL: sslcert and sslkey go together (the client certificate and its private key, PEM)",
            ))
        }
    };
    if let (Some(r), false) = (&roots, mode.as_deref() == Some("disable")) {
        opts.tls = Some(tls::Rustls(tls::client_config(r, client.as_ref())?));
    }
    if let Some(m) = mode {
        kept.push(format!("sslmode={m}"));
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, opts))
}

impl PgStore {
    /// Appends `changes` to the change log in `tx` (see [`log_if`]).
    fn log(&self, tx: &mut Cx, changes: Vec<Change>) -> Result<()> {
        log_if(self.log_off.load(Ordering::Relaxed), tx, changes)
    }

    /// Connects to the database at `url` (`postgres://user:password@host:port/db`),
    /// applies the migrations it lacks and purges what interrupted drops left.
    pub fn open(url: &str, max_versions: usize) -> Result<Self> {
        off_runtime(|| Self::open_here(url, max_versions))
    }

    fn open_here(url: &str, max_versions: usize) -> Result<Self> {
        let (url, opts) = split_url(url)?;
        let mut config = postgres::Config::from_str(&url)
            .map_err(|e| Error::invalid(format!("store URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(opts.pool_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("lakecat");
        }
        // The first connection is made here rather than by the pool, whose
        // error only says it timed out: a refused certificate says why.
        let mut first =
            r2d2::ManageConnection::connect(&Manager::new(config.clone(), opts.tls.clone()))
                .map_err(|e| {
                    let mut text = e.to_string();
                    let mut source = std::error::Error::source(&e);
                    while let Some(s) = source {
                        text = format!("{text}: {s}");
                        source = s.source();
                    }
                    Error::new(
                        ErrorKind::Unavailable,
                        format!("the catalog database cannot be reached: {text}"),
                    )
                })?;
        migrate(&mut first.client)?;
        drop(first);
        let mut async_config = tokio_postgres::Config::from_str(&url)
            .map_err(|e| Error::invalid(format!("store URL: {e}")))?;
        if let Some(t) = config.get_connect_timeout() {
            async_config.connect_timeout(*t);
        }
        if let Some(a) = config.get_application_name() {
            async_config.application_name(a);
        }
        let reads = reads::Reads::new(async_config, opts.tls.clone());
        let manager = Manager::new(config, opts.tls.clone());
        // Connections are made as needed, so a server that starts while the
        // database is down keeps running and serves once it is back.
        let pool = r2d2::Pool::builder()
            .max_size(opts.pool_max_size)
            .min_idle(Some(0))
            .connection_timeout(opts.pool_timeout)
            .test_on_check_out(false)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(manager);
        let store = PgStore {
            pool: Some(pool),
            reads,
            max_versions,
            examined: AtomicU64::new(0),
            log_off: std::sync::atomic::AtomicBool::new(false),
        };
        store.purge()?;
        Ok(store)
    }

    fn conn(&self) -> Result<Conn> {
        let pool = self
            .pool
            .as_ref()
            .expect("the pool lives as long as the store");
        pool.get().map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("the catalog database cannot be reached: {e}"),
            )
        })
    }

    /// Runs `f` in one transaction; nothing of it is visible unless it commits.
    fn write<T>(&self, f: impl FnOnce(&mut Cx) -> Result<T>) -> Result<T> {
        self.transaction(false, f)
    }

    /// Runs `f` on one snapshot of the database.
    fn read<T>(&self, f: impl FnOnce(&mut Cx) -> Result<T>) -> Result<T> {
        self.transaction(true, f)
    }

    /// Pooled connections die when the database restarts, and only show it
    /// when used: a transaction whose `BEGIN` finds its connection gone has done
    /// nothing, so it starts again once on a fresh connection.
    fn transaction<T>(&self, read_only: bool, f: impl FnOnce(&mut Cx) -> Result<T>) -> Result<T> {
        let mut f = Some(f);
        for attempt in 0..2 {
            let mut c = self.conn()?;
            let conn::PgConn { client, stmts } = &mut *c;
            let mut b = client.build_transaction();
            if read_only {
                b = b
                    .isolation_level(IsolationLevel::RepeatableRead)
                    .read_only(true);
            }
            let mut tx = match b.start() {
                Ok(tx) => tx,
                Err(e) if attempt == 0 && connection_lost(&e) => continue,
                Err(e) => return Err(pe(e)),
            };
            let out = {
                let mut cx = Cx::tx(&mut tx, stmts);
                (f.take().expect("runs once"))(&mut cx)?
            };
            tx.commit().map_err(pe)?;
            return Ok(out);
        }
        unreachable!("the second attempt returns")
    }

    /// Runs a single statement's worth of work outside a transaction; like
    /// [`PgStore::transaction`], once more on a fresh connection when the
    /// pooled one turns out dead.
    fn once<T>(&self, mut f: impl FnMut(&mut Cx) -> Result<T>) -> Result<T> {
        let mut c = self.conn()?;
        let r = {
            let conn::PgConn { client, stmts } = &mut *c;
            f(&mut Cx::client(client, stmts))
        };
        match r {
            Err(e) if e.kind == ErrorKind::Unavailable && c.client.is_closed() => {
                drop(c);
                let mut c = self.conn()?;
                let conn::PgConn { client, stmts } = &mut *c;
                f(&mut Cx::client(client, stmts))
            }
            r => r,
        }
    }

    /// Removes the rows of dropped tables, in bounded chunks (each its own
    /// transaction, so a purge never holds long locks and an interrupted one
    /// resumes at the next open or drop).
    fn purge(&self) -> Result<()> {
        let mut c = self.conn()?;
        let ids: Vec<i64> = c
            .client
            .query("SELECT table_id FROM lc_purge", &[])
            .map_err(pe)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for id in ids {
            for table in [
                "lc_partitions",
                "lc_partition_index_entries",
                "lc_column_statistics",
                "lc_table_versions",
            ] {
                let sql = format!(
                    "DELETE FROM {table} WHERE ctid IN \
                     (SELECT ctid FROM {table} WHERE table_id = $1 LIMIT $2)"
                );
                while c.client.execute(&sql, &[&id, &PURGE_CHUNK]).map_err(pe)? > 0 {}
            }
            c.client
                .execute("DELETE FROM lc_purge WHERE table_id = $1", &[&id])
                .map_err(pe)?;
        }
        Ok(())
    }
}

/// Runs a store call where blocking is allowed. The sync PostgreSQL client
/// blocks its thread on a runtime of its own, which Tokio forbids on a thread
/// that drives async tasks: a call from such a thread moves off it (via
/// `block_in_place`, or a scoped thread on a single-threaded runtime), so the
/// store works from any caller, like the embedded one.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Err(_) => f(),
        Ok(RuntimeFlavor::CurrentThread) => std::thread::scope(|s| {
            s.spawn(f)
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        }),
        Ok(_) => tokio::task::block_in_place(f),
    }
}

/// Applies the migrations the database at `url` lacks, and says which.
pub fn migrate_url(url: &str) -> Result<Vec<(i32, &'static str)>> {
    off_runtime(|| {
        let (url, opts) = split_url(url)?;
        let mut c = match opts.tls {
            Some(tls) => postgres::Client::connect(&url, tls),
            None => postgres::Client::connect(&url, NoTls),
        }
        .map_err(pe)?;
        migrate(&mut c)
    })
}

impl Drop for PgStore {
    /// Closing a connection blocks like any call (see [`off_runtime`]).
    fn drop(&mut self) {
        let pool = self.pool.take();
        off_runtime(move || drop(pool));
    }
}

/// Appends a write's changes to the change log, as the last statement of its
/// transaction (see `migrations/0002_events.sql` for why the counter row);
/// nothing when `off`.
fn log_if(off: bool, tx: &mut Cx, changes: Vec<Change>) -> Result<()> {
    if changes.is_empty() || off {
        return Ok(());
    }
    let n = changes.len() as i64;
    let last: i64 = tx
        .query_one(
            "UPDATE lc_event_counter SET last_id = last_id + $1 RETURNING last_id",
            &[&n],
        )
        .map_err(pe)?
        .get(0);
    let events = stamp(changes, (last - n + 1) as u64);
    let ids: Vec<i64> = events.iter().map(|e| e.id as i64).collect();
    let times: Vec<i64> = events.iter().map(|e| e.time_ms).collect();
    let docs = events
        .iter()
        .map(events::encode)
        .collect::<Result<Vec<_>>>()?;
    tx.execute(
        "INSERT INTO lc_events (id, time_ms, doc) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[])",
        &[&ids, &times, &docs],
    )
    .map_err(pe)?;
    Ok(())
}

fn db_exists(c: &mut Cx, name: &DatabaseName) -> Result<()> {
    let found = c
        .query_opt(
            "SELECT 1 FROM lc_databases WHERE name = $1",
            &[&name.as_str()],
        )
        .map_err(pe)?;
    match found {
        Some(_) => Ok(()),
        None => Err(db_not_found(name)),
    }
}

/// The table's row; with `lock`, locked for the rest of the transaction.
fn record(c: &mut Cx, id: &TableIdent, lock: bool) -> Result<TableRecord> {
    let sql = if lock {
        "SELECT id, doc, indexes, partition_count FROM lc_tables WHERE db = $1 AND name = $2 FOR UPDATE"
    } else {
        "SELECT id, doc, indexes, partition_count FROM lc_tables WHERE db = $1 AND name = $2"
    };
    match c
        .query_opt(sql, &[&id.database.as_str(), &id.name.as_str()])
        .map_err(pe)?
    {
        Some(r) => TableRecord::from_row(&r),
        None => {
            db_exists(c, &id.database)?;
            Err(table_not_found(id))
        }
    }
}

fn partition_doc(c: &mut Cx, tid: i64, key: &[u8]) -> Result<Option<String>> {
    Ok(c.query_opt(
        "SELECT doc FROM lc_partitions WHERE table_id = $1 AND pkey = $2",
        &[&tid, &key],
    )
    .map_err(pe)?
    .map(|r| r.get(0)))
}

/// The creation times of those of `keys` that are partitions of table `tid`.
fn existing(c: &mut Cx, tid: i64, keys: &[Vec<u8>]) -> Result<HashMap<Vec<u8>, i64>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(CHUNK) {
        for r in c
            .query(
                "SELECT pkey, create_time FROM lc_partitions WHERE table_id = $1 AND pkey = ANY($2)",
                &[&tid, &chunk],
            )
            .map_err(pe)?
        {
            out.insert(r.get(0), r.get(1));
        }
    }
    Ok(out)
}

/// Applies the partition changes of table `tid`: removals first, then additions.
fn apply_changes(c: &mut Cx, tid: i64, ch: PartitionChanges) -> Result<()> {
    let dropped: Vec<Vec<u8>> = ch
        .stats_moves
        .iter()
        .filter(|(_, new)| new.is_none())
        .map(|(old, _)| stats_target_key(Some(old)))
        .collect();
    for chunk in dropped.chunks(CHUNK) {
        c.execute(
            "DELETE FROM lc_column_statistics WHERE table_id = $1 AND target = ANY($2)",
            &[&tid, &chunk],
        )
        .map_err(pe)?;
    }
    for (old, new) in &ch.stats_moves {
        if let Some(new) = new {
            c.execute(
                "UPDATE lc_column_statistics SET target = $3 WHERE table_id = $1 AND target = $2",
                &[
                    &tid,
                    &stats_target_key(Some(old)),
                    &stats_target_key(Some(new)),
                ],
            )
            .map_err(pe)?;
        }
    }
    for chunk in ch.index_deletes.chunks(CHUNK) {
        c.execute(
            "DELETE FROM lc_partition_index_entries WHERE table_id = $1 AND entry = ANY($2)",
            &[&tid, &chunk],
        )
        .map_err(pe)?;
    }
    for chunk in ch.deletes.chunks(CHUNK) {
        c.execute(
            "DELETE FROM lc_partitions WHERE table_id = $1 AND pkey = ANY($2)",
            &[&tid, &chunk],
        )
        .map_err(pe)?;
    }
    for chunk in ch.puts.chunks(CHUNK) {
        let keys: Vec<&[u8]> = chunk.iter().map(|(k, _)| k.as_slice()).collect();
        let times: Vec<i64> = chunk.iter().map(|(_, p)| p.create_time).collect();
        let docs = chunk
            .iter()
            .map(|(_, p)| to_json(p))
            .collect::<Result<Vec<_>>>()?;
        c.execute(
            "INSERT INTO lc_partitions (table_id, pkey, create_time, doc)
             SELECT $1, k, t, d FROM unnest($2::bytea[], $3::bigint[], $4::text[]) AS u(k, t, d)
             ON CONFLICT (table_id, pkey) DO UPDATE
             SET create_time = EXCLUDED.create_time, doc = EXCLUDED.doc",
            &[&tid, &keys, &times, &docs],
        )
        .map_err(pe)?;
    }
    insert_entries(c, tid, &ch.index_puts)
}

fn insert_entries(c: &mut Cx, tid: i64, entries: &[Vec<u8>]) -> Result<()> {
    for chunk in entries.chunks(CHUNK) {
        c.execute(
            "INSERT INTO lc_partition_index_entries (table_id, entry)
             SELECT $1, e FROM unnest($2::bytea[]) AS u(e) ON CONFLICT DO NOTHING",
            &[&tid, &chunk],
        )
        .map_err(pe)?;
    }
    Ok(())
}

/// Archives `old` as a version of table `tid`, keeping the newest `cap`.
fn archive(c: &mut Cx, tid: i64, old: &Table, cap: usize) -> Result<()> {
    let v = old.version_id.unwrap_or(1) as i64;
    c.execute(
        "INSERT INTO lc_table_versions (table_id, version, doc) VALUES ($1, $2, $3)
         ON CONFLICT (table_id, version) DO UPDATE SET doc = EXCLUDED.doc",
        &[&tid, &v, &to_json(old)?],
    )
    .map_err(pe)?;
    c.execute(
        "DELETE FROM lc_table_versions WHERE table_id = $1 AND version NOT IN
         (SELECT version FROM lc_table_versions WHERE table_id = $1 ORDER BY version DESC LIMIT $2)",
        &[&tid, &(cap.max(1) as i64)],
    )
    .map_err(pe)?;
    Ok(())
}

/// Rows of a `(db, name, doc)` table in name order after the page token, the
/// names matching `pattern`, fetched in chunks until the page is full.
fn named_page<T>(
    c: &mut Cx,
    table: &str,
    db: &DatabaseName,
    pattern: Option<&regex::Regex>,
    page: &PageRequest,
    decode: impl Fn(&str) -> Result<T>,
) -> Result<Page<T>> {
    let sql = match table {
        "lc_tables" => {
            "SELECT name, doc FROM lc_tables WHERE db = $1 AND name > $2 ORDER BY name LIMIT $3"
        }
        "lc_functions" => {
            "SELECT name, doc FROM lc_functions WHERE db = $1 AND name > $2 ORDER BY name LIMIT $3"
        }
        other => unreachable!("no named listing of {other}"),
    };
    let mut after = page_start(page)?.unwrap_or_default();
    let want = page.limit.max(1) + 1;
    let mut found = Vec::new();
    loop {
        let chunk = if pattern.is_some() { 1000 } else { want };
        let rows = c
            .query(sql, &[&db.as_str(), &after, &(chunk as i64)])
            .map_err(pe)?;
        let n = rows.len();
        for r in rows {
            let name: String = r.get(0);
            after.clone_from(&name);
            if pattern.is_none_or(|p| p.is_match(&name)) {
                found.push(Ok((name, decode(r.get(1))?)));
            }
        }
        if n < chunk || found.len() >= want {
            break;
        }
    }
    collect_named(page.limit, found.into_iter())
}

/// Reads a key range of `lc_partitions` (or of the index entries) in keyset
/// pages, growing as a selective filter skips rows.
struct RangeReader<'a, 'c, 'x, 't> {
    /// Shared with whoever loads partitions between two reads (a listing over
    /// an index), so that both read the same snapshot.
    c: &'a std::cell::RefCell<&'c mut Cx<'x, 't>>,
    tid: i64,
    index: bool,
    with_docs: bool,
    next: Vec<u8>,
    inclusive: bool,
    end: Option<Vec<u8>>,
    chunk: usize,
    buf: std::vec::IntoIter<(Vec<u8>, Vec<u8>)>,
    done: bool,
}

impl RangeReader<'_, '_, '_, '_> {
    fn fill(&mut self) -> Result<()> {
        // Three fixed statements (prepared once per connection): the lower bound
        // is inclusive (after a key k, the next key is k followed by 0x00, its
        // immediate successor), and a missing upper bound is a NULL.
        let sql = if self.index {
            "SELECT entry, ''::text FROM lc_partition_index_entries WHERE table_id = $1 \
             AND entry >= $2 AND ($3::bytea IS NULL OR entry < $3) ORDER BY entry LIMIT $4"
        } else if self.with_docs {
            "SELECT pkey, doc FROM lc_partitions WHERE table_id = $1 \
             AND pkey >= $2 AND ($3::bytea IS NULL OR pkey < $3) ORDER BY pkey LIMIT $4"
        } else {
            "SELECT pkey, ''::text FROM lc_partitions WHERE table_id = $1 \
             AND pkey >= $2 AND ($3::bytea IS NULL OR pkey < $3) ORDER BY pkey LIMIT $4"
        };
        if !self.inclusive {
            self.next.push(0);
            self.inclusive = true;
        }
        let rows = self
            .c
            .borrow_mut()
            .query(
                sql,
                &[&self.tid, &self.next, &self.end, &(self.chunk as i64)],
            )
            .map_err(pe)?;
        if rows.len() < self.chunk {
            self.done = true;
        }
        let items: Vec<(Vec<u8>, Vec<u8>)> = rows
            .iter()
            .map(|r| {
                let k: Vec<u8> = r.get(0);
                let d: String = r.get(1);
                (k, d.into_bytes())
            })
            .collect();
        if let Some((k, _)) = items.last() {
            self.next.clone_from(k);
            self.inclusive = false;
        }
        self.chunk = (self.chunk * 4).min(10_000);
        self.buf = items.into_iter();
        Ok(())
    }
}

impl Iterator for RangeReader<'_, '_, '_, '_> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(kv) = self.buf.next() {
                return Some(Ok(kv));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.fill() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}

impl<'a, 'c, 'x, 't> RangeReader<'a, 'c, 'x, 't> {
    fn new(c: &'a std::cell::RefCell<&'c mut Cx<'x, 't>>, tid: i64, start: Vec<u8>) -> Self {
        RangeReader {
            c,
            tid,
            index: false,
            with_docs: true,
            next: start,
            inclusive: true,
            end: None,
            chunk: 1000,
            buf: Vec::new().into_iter(),
            done: false,
        }
    }
}

fn decode_partition(bytes: &[u8]) -> Result<Partition> {
    serde_json::from_slice(bytes).map_err(|e| Error::storage(format!("corrupt partition: {e}")))
}

/// The partition a statistics call names (`None`: the table's own), checked
/// to exist, with its key.
fn stats_target(
    c: &mut Cx,
    id: &TableIdent,
    rec: &TableRecord,
    partition: Option<&[String]>,
) -> Result<(Option<Vec<u8>>, Option<Partition>)> {
    let Some(values) = partition else {
        return Ok((None, None));
    };
    check_values_for(&rec.table, values)?;
    let k = encode_values(values);
    match partition_doc(c, rec.id, &k)? {
        Some(d) => Ok((Some(k), Some(from_json(&d)?))),
        None => Err(partition_not_found(id, values)),
    }
}

impl CatalogStore for PgStore {
    fn create_database(&self, db: Database) -> Result<Database> {
        off_runtime(|| {
            let db = prepare_new_database(db)?;
            let doc = to_json(&db)?;
            self.write(|c| {
                match c.execute(
                    "INSERT INTO lc_databases (name, doc) VALUES ($1, $2)",
                    &[&db.name.as_str(), &doc],
                ) {
                    Ok(_) => {
                        self.log(
                            c,
                            vec![Change::CreateDatabase {
                                database: db.clone(),
                            }],
                        )?;
                        Ok(db.clone())
                    }
                    Err(e) if is_code(&e, UNIQUE_VIOLATION) => Err(Error::already_exists(format!(
                        "database {} already exists",
                        db.name
                    ))),
                    Err(e) => Err(pe(e)),
                }
            })
        })
    }

    fn get_database(&self, name: &DatabaseName) -> Result<Database> {
        off_runtime(|| {
            self.once(|c| {
                match c
                    .query_opt(
                        "SELECT doc FROM lc_databases WHERE name = $1",
                        &[&name.as_str()],
                    )
                    .map_err(pe)?
                {
                    Some(r) => from_json(r.get(0)),
                    None => Err(db_not_found(name)),
                }
            })
        })
    }

    fn list_databases(&self, page: &PageRequest) -> Result<Page<Database>> {
        off_runtime(|| {
            let after = page_start(page)?.unwrap_or_default();
            self.once(|c| {
                let rows = c
                    .query(
                        "SELECT name, doc FROM lc_databases WHERE name > $1 ORDER BY name LIMIT $2",
                        &[&after, &(page.limit.max(1) as i64 + 1)],
                    )
                    .map_err(pe)?;
                collect_named(
                    page.limit,
                    rows.iter().map(|r| Ok((r.get(0), from_json(r.get(1))?))),
                )
            })
        })
    }

    fn update_database(&self, name: &DatabaseName, db: Database) -> Result<Database> {
        off_runtime(|| {
            self.write(|tx| {
                let cur: Database = match tx
                    .query_opt(
                        "SELECT doc FROM lc_databases WHERE name = $1 FOR UPDATE",
                        &[&name.as_str()],
                    )
                    .map_err(pe)?
                {
                    Some(r) => from_json(r.get(0))?,
                    None => return Err(db_not_found(name)),
                };
                let db = prepare_database_update(name, &cur, db)?;
                tx.execute(
                    "UPDATE lc_databases SET doc = $2 WHERE name = $1",
                    &[&name.as_str(), &to_json(&db)?],
                )
                .map_err(pe)?;
                self.log(
                    tx,
                    vec![Change::AlterDatabase {
                        before: cur,
                        after: db.clone(),
                    }],
                )?;
                Ok(db)
            })
        })
    }

    fn delete_database(&self, name: &DatabaseName, cascade: bool) -> Result<()> {
        off_runtime(|| {
            self.write(|tx| {
                let database: Database = match tx
                    .query_opt(
                        "SELECT doc FROM lc_databases WHERE name = $1 FOR UPDATE",
                        &[&name.as_str()],
                    )
                    .map_err(pe)?
                {
                    Some(r) => from_json(r.get(0))?,
                    None => return Err(db_not_found(name)),
                };
                let counts = tx
                    .query_one(
                        "SELECT (SELECT count(*) FROM lc_tables WHERE db = $1),
                                (SELECT count(*) FROM lc_functions WHERE db = $1)",
                        &[&name.as_str()],
                    )
                    .map_err(pe)?;
                let (tables, functions): (i64, i64) = (counts.get(0), counts.get(1));
                if tables + functions > 0 && !cascade {
                    return Err(Error::invalid(format!(
                        "database {name} is not empty: it has {tables} table(s) and {functions} function(s); drop them first or delete with cascade",
                    )));
                }
                let mut changes = Vec::new();
                for r in tx
                    .query(
                        "SELECT doc FROM lc_tables WHERE db = $1 ORDER BY name",
                        &[&name.as_str()],
                    )
                    .map_err(pe)?
                {
                    changes.push(Change::DropTable { table: from_json(r.get(0))? });
                }
                for r in tx
                    .query(
                        "SELECT doc FROM lc_functions WHERE db = $1 ORDER BY name",
                        &[&name.as_str()],
                    )
                    .map_err(pe)?
                {
                    changes.push(Change::DropFunction { function: from_json(r.get(0))? });
                }
                changes.push(Change::DropDatabase { database });
                tx.execute(
                    "WITH gone AS (DELETE FROM lc_tables WHERE db = $1 RETURNING id)
                     INSERT INTO lc_purge (table_id) SELECT id FROM gone",
                    &[&name.as_str()],
                )
                .map_err(pe)?;
                tx.execute("DELETE FROM lc_functions WHERE db = $1", &[&name.as_str()])
                    .map_err(pe)?;
                tx.execute("DELETE FROM lc_databases WHERE name = $1", &[&name.as_str()])
                    .map_err(pe)?;
                self.log(tx, changes)
            })?;
            self.purge()
        })
    }

    fn create_table(&self, db: &DatabaseName, table: Table) -> Result<Table> {
        off_runtime(|| {
            let table = prepare_new_table(db, table)?;
            let doc = to_json(&table)?;
            self.write(|c| {
                let r = c.execute(
                    "INSERT INTO lc_tables (db, name, id, doc) VALUES ($1, $2, nextval('lc_table_ids'), $3)",
                    &[&db.as_str(), &table.name.as_str(), &doc],
                );
                match r {
                    Ok(_) => {
                        self.log(c, vec![Change::CreateTable { table: table.clone() }])?;
                        Ok(table.clone())
                    }
                    Err(e) if is_code(&e, UNIQUE_VIOLATION) => Err(Error::already_exists(format!(
                        "table {db}.{} already exists",
                        table.name
                    ))),
                    Err(e) if is_code(&e, FOREIGN_KEY_VIOLATION) => Err(db_not_found(db)),
                    Err(e) => Err(pe(e)),
                }
            })
        })
    }

    fn get_table(&self, id: &TableIdent) -> Result<Table> {
        off_runtime(|| {
            self.once(|c| {
                match c
                    .query_opt(
                        "SELECT doc FROM lc_tables WHERE db = $1 AND name = $2",
                        &[&id.database.as_str(), &id.name.as_str()],
                    )
                    .map_err(pe)?
                {
                    Some(r) => from_json(r.get(0)),
                    None => {
                        db_exists(&mut *c, &id.database)?;
                        Err(table_not_found(id))
                    }
                }
            })
        })
    }

    fn get_table_async<'a>(&'a self, id: &'a TableIdent) -> StoreFuture<'a, Table> {
        Box::pin(async move {
            match self.reads.table_doc(id).await? {
                Some(doc) => from_json(&doc),
                // Which is missing, the table or its database, as the blocking
                // call says it; rare enough to block for.
                None => off_runtime(|| self.get_table(id)),
            }
        })
    }

    fn list_tables(
        &self,
        db: &DatabaseName,
        pattern: Option<&regex::Regex>,
        page: &PageRequest,
    ) -> Result<Page<Table>> {
        off_runtime(|| {
            self.read(|tx| {
                db_exists(tx, db)?;
                named_page(tx, "lc_tables", db, pattern, page, from_json)
            })
        })
    }

    fn update_table(
        &self,
        id: &TableIdent,
        table: Table,
        opts: UpdateTableOptions,
    ) -> Result<Table> {
        off_runtime(|| {
            self.write(|tx| {
                let rec = record(tx, id, true)?;
                let new = prepare_table_update(id, &rec.table, table, opts, &rec.indexes, || {
                    Ok(rec.partition_count > 0)
                })?;
                let to = table_address(&new, id);
                if to != *id {
                    db_exists(tx, &to.database)?;
                    let taken = tx
                        .query_opt(
                            "SELECT 1 FROM lc_tables WHERE db = $1 AND name = $2",
                            &[&to.database.as_str(), &to.name.as_str()],
                        )
                        .map_err(pe)?;
                    if taken.is_some() {
                        return Err(table_exists(&to));
                    }
                }
                if !opts.skip_archive {
                    archive(tx, rec.id, &rec.table, self.max_versions)?;
                }
                if opts.relocate_partitions {
                    let cell = std::cell::RefCell::new(&mut *tx);
                    let all: Vec<EncodedPartition> = RangeReader::new(&cell, rec.id, Vec::new())
                        .map(|kv| {
                            let (k, d) = kv?;
                            Ok((k, decode_partition(&d)?))
                        })
                        .collect::<Result<_>>()?;
                    let puts = relocations(&rec.table, &new, all.into_iter().map(Ok))?;
                    let changes = PartitionChanges {
                        puts,
                        ..Default::default()
                    };
                    apply_changes(tx, rec.id, changes)?;
                }
                let r = tx.execute(
                    "UPDATE lc_tables SET db = $3, name = $4, doc = $5 WHERE db = $1 AND name = $2",
                    &[
                        &id.database.as_str(),
                        &id.name.as_str(),
                        &to.database.as_str(),
                        &to.name.as_str(),
                        &to_json(&new)?,
                    ],
                );
                match r {
                    Ok(_) => {
                        self.log(
                            tx,
                            vec![Change::AlterTable {
                                before: rec.table,
                                after: new.clone(),
                            }],
                        )?;
                        Ok(new)
                    }
                    Err(e) if is_code(&e, UNIQUE_VIOLATION) => Err(table_exists(&to)),
                    Err(e) if is_code(&e, FOREIGN_KEY_VIOLATION) => Err(db_not_found(&to.database)),
                    Err(e) => Err(pe(e)),
                }
            })
        })
    }

    fn delete_table(&self, id: &TableIdent) -> Result<()> {
        off_runtime(|| {
            self.write(|tx| {
                let rec = record(tx, id, true)?;
                tx.execute("DELETE FROM lc_tables WHERE id = $1", &[&rec.id])
                    .map_err(pe)?;
                tx.execute("INSERT INTO lc_purge (table_id) VALUES ($1)", &[&rec.id])
                    .map_err(pe)?;
                self.log(tx, vec![Change::DropTable { table: rec.table }])
            })?;
            self.purge()
        })
    }

    fn list_table_versions(
        &self,
        id: &TableIdent,
        page: &PageRequest,
    ) -> Result<Page<TableVersion>> {
        off_runtime(|| {
            let (rec, docs) = self.read(|tx| {
                let rec = record(tx, id, false)?;
                let docs: Vec<String> = tx
                    .query(
                        "SELECT doc FROM lc_table_versions WHERE table_id = $1 ORDER BY version DESC",
                        &[&rec.id],
                    )
                    .map_err(pe)?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                Ok((rec, docs))
            })?;
            collect_versions(rec.table, docs.iter().map(|d| from_json(d)), page)
        })
    }

    fn get_table_version(&self, id: &TableIdent, version: u64) -> Result<TableVersion> {
        off_runtime(|| {
            self.read(|tx| {
                let rec = record(tx, id, false)?;
                if rec.table.version_id == Some(version) {
                    return Ok(TableVersion {
                        version_id: version,
                        table: rec.table,
                    });
                }
                let v = i64::try_from(version).unwrap_or(i64::MAX);
                match tx
                    .query_opt(
                        "SELECT doc FROM lc_table_versions WHERE table_id = $1 AND version = $2",
                        &[&rec.id, &v],
                    )
                    .map_err(pe)?
                {
                    Some(r) => Ok(TableVersion {
                        version_id: version,
                        table: from_json(r.get(0))?,
                    }),
                    None => Err(Error::not_found(format!(
                        "version {version} of table {id} not found"
                    ))),
                }
            })
        })
    }

    fn delete_table_versions(
        &self,
        id: &TableIdent,
        versions: &[u64],
    ) -> Result<Vec<(u64, Error)>> {
        off_runtime(|| {
            self.write(|tx| {
                let rec = record(tx, id, true)?;
                let stored: HashSet<i64> = tx
                    .query(
                        "SELECT version FROM lc_table_versions WHERE table_id = $1",
                        &[&rec.id],
                    )
                    .map_err(pe)?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let (del, errors) = plan_version_deletes(id, &rec.table, versions, |v| {
                    Ok(i64::try_from(v).is_ok_and(|v| stored.contains(&v)))
                })?;
                let del: Vec<i64> = del.into_iter().map(|v| v as i64).collect();
                tx.execute(
                    "DELETE FROM lc_table_versions WHERE table_id = $1 AND version = ANY($2)",
                    &[&rec.id, &del],
                )
                .map_err(pe)?;
                Ok(errors)
            })
        })
    }

    fn create_partitions(
        &self,
        id: &TableIdent,
        parts: Vec<Partition>,
        if_not_exists: bool,
    ) -> Result<Vec<PartitionError>> {
        off_runtime(|| {
            self.write(|tx| {
                let rec = record(tx, id, true)?;
                let keys: Vec<Vec<u8>> = parts.iter().map(|p| encode_values(&p.values)).collect();
                let present = existing(tx, rec.id, &keys)?;
                let (writes, errors) =
                    plan_partition_creates(id, &rec.table, parts, if_not_exists, |k| {
                        Ok(present.contains_key(k))
                    })?;
                if !writes.is_empty() {
                    let n = writes.len() as i64;
                    let logged = added(&rec.table, &writes);
                    let changes =
                        PartitionChanges::new(&rec.indexes, &rec.table, Vec::new(), writes)?;
                    apply_changes(tx, rec.id, changes)?;
                    tx.execute(
                        "UPDATE lc_tables SET partition_count = partition_count + $2 WHERE id = $1",
                        &[&rec.id, &n],
                    )
                    .map_err(pe)?;
                    self.log(tx, logged)?;
                }
                Ok(errors)
            })
        })
    }

    fn replace_partitions(&self, id: &TableIdent, parts: Vec<Partition>) -> Result<()> {
        off_runtime(|| {
            self.write(|tx| {
                let rec = record(tx, id, true)?;
                let mut before = HashMap::new();
                let puts = plan_partition_replacements(id, &rec.table, parts, |k| {
                    let p: Option<Partition> = partition_doc(tx, rec.id, k)?
                        .map(|d| from_json(&d))
                        .transpose()?;
                    if let Some(p) = &p {
                        before.insert(k.to_vec(), p.clone());
                    }
                    Ok(p)
                })?;
                let logged = events::partitions_altered(
                    &rec.table,
                    puts.iter().map(|(k, p)| (before.remove(k), p.clone())),
                );
                let changes = PartitionChanges::new(&rec.indexes, &rec.table, Vec::new(), puts)?;
                apply_changes(tx, rec.id, changes)?;
                self.log(tx, logged)
            })
        })
    }

    fn get_partition(&self, id: &TableIdent, values: &[String]) -> Result<Partition> {
        off_runtime(|| {
            self.read(|tx| {
                let rec = record(tx, id, false)?;
                check_values_for(&rec.table, values)?;
                match partition_doc(tx, rec.id, &encode_values(values))? {
                    Some(d) => Ok(present_partition(id, from_json(&d)?)),
                    None => Err(partition_not_found(id, values)),
                }
            })
        })
    }

    fn update_partition(
        &self,
        id: &TableIdent,
        values: &[String],
        part: Partition,
    ) -> Result<Partition> {
        off_runtime(|| {
            self.write(|tx| {
                let rec = record(tx, id, true)?;
                check_values_for(&rec.table, values)?;
                let key = encode_values(values);
                let cur: Partition = match partition_doc(tx, rec.id, &key)? {
                    Some(d) => from_json(&d)?,
                    None => return Err(partition_not_found(id, values)),
                };
                let (old, new, p) =
                    plan_partition_update(id, &rec.table, values, &cur, part, |k| {
                        Ok(partition_doc(tx, rec.id, k)?.is_some())
                    })?;
                let logged = events::partitions_altered(&rec.table, [(Some(cur), p.clone())]);
                let changes =
                    PartitionChanges::replace(&rec.indexes, &rec.table, old, (new, p.clone()))?;
                apply_changes(tx, rec.id, changes)?;
                self.log(tx, logged)?;
                Ok(present_partition(id, p))
            })
        })
    }

    fn delete_partitions(
        &self,
        id: &TableIdent,
        values: &[Vec<String>],
    ) -> Result<Vec<PartitionError>> {
        off_runtime(|| {
            self.write(|tx| {
                let rec = record(tx, id, true)?;
                let keys: Vec<Vec<u8>> = values.iter().map(|v| encode_values(v)).collect();
                let present = existing(tx, rec.id, &keys)?;
                let (removed, errors) = plan_partition_deletes(id, &rec.table, values, |k| {
                    Ok(present.contains_key(k))
                })?;
                if !removed.is_empty() {
                    let n = removed.len() as i64;
                    let logged = dropped(&rec.table, &removed)?;
                    let changes = PartitionChanges::new(&rec.indexes, &rec.table, removed, Vec::new())?;
                    apply_changes(tx, rec.id, changes)?;
                    tx.execute(
                        "UPDATE lc_tables SET partition_count = greatest(partition_count - $2, 0) WHERE id = $1",
                        &[&rec.id, &n],
                    )
                    .map_err(pe)?;
                    self.log(tx, logged)?;
                }
                Ok(errors)
            })
        })
    }

    fn list_partitions_with(
        &self,
        id: &TableIdent,
        filter: Option<&FilterExpr>,
        page: &PageRequest,
        values_only: bool,
    ) -> Result<Page<Partition>> {
        off_runtime(|| {
            let (page, examined) = self.read(|tx| {
                let rec = record(tx, id, false)?;
                let scan = PartitionScan::new(&rec.table, &rec.indexes, filter, page)?;
                let index = matches!(scan.source, ScanSource::Index(_));
                let cell = std::cell::RefCell::new(&mut *tx);
                let mut reader = RangeReader::new(&cell, rec.id, scan.start.clone());
                reader.index = index;
                reader.with_docs = !values_only;
                reader.end = scan.end.clone();
                reader.chunk = (page.limit.max(1) + 1).min(10_000);
                scan.collect(
                    id,
                    page.limit,
                    reader,
                    |_, b| decode_partition(b),
                    |k| {
                        Ok(partition_doc(&mut cell.borrow_mut(), rec.id, k)?
                            .map(String::into_bytes))
                    },
                    values_only,
                )
            })?;
            self.examined.fetch_add(examined, Ordering::Relaxed);
            Ok(page)
        })
    }

    fn create_function(&self, db: &DatabaseName, f: Function) -> Result<Function> {
        off_runtime(|| {
            let f = prepare_function(db, f, None)?;
            self.write(|c| {
                match c.execute(
                    "INSERT INTO lc_functions (db, name, doc) VALUES ($1, $2, $3)",
                    &[&db.as_str(), &f.function_name, &to_json(&f)?],
                ) {
                    Ok(_) => {
                        self.log(
                            c,
                            vec![Change::CreateFunction {
                                function: f.clone(),
                            }],
                        )?;
                        Ok(f.clone())
                    }
                    Err(e) if is_code(&e, UNIQUE_VIOLATION) => Err(Error::already_exists(format!(
                        "function {db}.{} already exists",
                        f.function_name
                    ))),
                    Err(e) if is_code(&e, FOREIGN_KEY_VIOLATION) => Err(db_not_found(db)),
                    Err(e) => Err(pe(e)),
                }
            })
        })
    }

    fn get_function(&self, db: &DatabaseName, name: &str) -> Result<Function> {
        off_runtime(|| {
            self.read(|tx| {
                db_exists(tx, db)?;
                match tx
                    .query_opt(
                        "SELECT doc FROM lc_functions WHERE db = $1 AND name = $2",
                        &[&db.as_str(), &name.to_lowercase()],
                    )
                    .map_err(pe)?
                {
                    Some(r) => from_json(r.get(0)),
                    None => Err(function_not_found(db, name)),
                }
            })
        })
    }

    fn list_functions(
        &self,
        db: &DatabaseName,
        pattern: Option<&regex::Regex>,
        page: &PageRequest,
    ) -> Result<Page<Function>> {
        off_runtime(|| {
            self.read(|tx| {
                db_exists(tx, db)?;
                named_page(tx, "lc_functions", db, pattern, page, from_json)
            })
        })
    }

    fn update_function(&self, db: &DatabaseName, name: &str, f: Function) -> Result<Function> {
        off_runtime(|| {
            self.write(|tx| {
                db_exists(tx, db)?;
                let old = name.to_lowercase();
                let before = match tx
                    .query_opt(
                        "SELECT doc FROM lc_functions WHERE db = $1 AND name = $2 FOR UPDATE",
                        &[&db.as_str(), &old],
                    )
                    .map_err(pe)?
                {
                    Some(r) => from_json::<Function>(r.get(0))?,
                    None => return Err(function_not_found(db, name)),
                };
                let f = prepare_function(db, f, Some(before.create_time))?;
                let r = tx.execute(
                    "UPDATE lc_functions SET name = $3, doc = $4 WHERE db = $1 AND name = $2",
                    &[&db.as_str(), &old, &f.function_name, &to_json(&f)?],
                );
                match r {
                    Ok(_) => {
                        self.log(tx, events::function_replaced(before, f.clone()))?;
                        Ok(f)
                    }
                    Err(e) if is_code(&e, UNIQUE_VIOLATION) => Err(Error::already_exists(format!(
                        "function {db}.{} already exists",
                        f.function_name
                    ))),
                    Err(e) => Err(pe(e)),
                }
            })
        })
    }

    fn delete_function(&self, db: &DatabaseName, name: &str) -> Result<()> {
        off_runtime(|| {
            self.write(|tx| {
                db_exists(tx, db)?;
                let gone = tx
                    .query_opt(
                        "DELETE FROM lc_functions WHERE db = $1 AND name = $2 RETURNING doc",
                        &[&db.as_str(), &name.to_lowercase()],
                    )
                    .map_err(pe)?;
                match gone {
                    Some(r) => self.log(
                        tx,
                        vec![Change::DropFunction {
                            function: from_json(r.get(0))?,
                        }],
                    ),
                    None => Err(function_not_found(db, name)),
                }
            })
        })
    }

    fn write_table(&self, db: &DatabaseName, write: TableWrite) -> Result<Table> {
        off_runtime(|| {
            self.write(|tx| {
                let (table, changes) = write_one(tx, db, write, self.max_versions)?;
                self.log(tx, changes)?;
                Ok(table)
            })
        })
    }

    fn write_tables(&self, writes: Vec<(DatabaseName, TableWrite)>) -> Result<Vec<Table>> {
        check_distinct_tables(&writes)?;
        // Rows are locked in name order, so that two multi-table writes never wait
        // on each other in a circle.
        let mut order: Vec<usize> = (0..writes.len()).collect();
        order.sort_by(|&a, &b| {
            (writes[a].0.as_str(), writes[a].1.table.name.as_str())
                .cmp(&(writes[b].0.as_str(), writes[b].1.table.name.as_str()))
        });
        let mut slots: Vec<Option<(DatabaseName, TableWrite)>> =
            writes.into_iter().map(Some).collect();
        off_runtime(|| {
            self.write(|tx| {
                let mut out: Vec<Option<Table>> = vec![None; slots.len()];
                let mut changes = Vec::new();
                for &i in &order {
                    let (db, w) = slots[i].take().expect("each write is taken once");
                    let (table, mut c) = write_one(tx, &db, w, self.max_versions)?;
                    out[i] = Some(table);
                    changes.append(&mut c);
                }
                self.log(tx, changes)?;
                Ok(out.into_iter().flatten().collect())
            })
        })
    }

    fn create_partition_index(&self, id: &TableIdent, index: PartitionIndex) -> Result<()> {
        off_runtime(|| {
            self.write(|tx| {
                let mut rec = record(tx, id, true)?;
                let index = prepare_index(&rec.table, &rec.indexes, index)?;
                // Entries a crash left in a slot no index holds.
                let slot = vec![index.slot];
                tx.execute(
                    "DELETE FROM lc_partition_index_entries WHERE table_id = $1 AND entry >= $2 AND ($3::bytea IS NULL OR entry < $3)",
                    &[&rec.id, &slot, &prefix_end(&slot)],
                )
                .map_err(pe)?;
                let set = IndexSet::new(&rec.table, std::slice::from_ref(&index))?;
                let cell = std::cell::RefCell::new(&mut *tx);
                let mut reader = RangeReader::new(&cell, rec.id, Vec::new());
                reader.with_docs = false;
                let mut entries = Vec::new();
                for kv in reader {
                    let (k, _) = kv?;
                    let values =
                        decode_values(&k).ok_or_else(|| Error::storage("corrupt partition key"))?;
                    entries.extend(set.entries(&values));
                }
                insert_entries(tx, rec.id, &entries)?;
                rec.indexes.push(index.clone());
                tx.execute(
                    "UPDATE lc_tables SET indexes = $2 WHERE id = $1",
                    &[&rec.id, &to_json(&rec.indexes)?],
                )
                .map_err(pe)?;
                self.log(tx, vec![Change::CreatePartitionIndex { table: rec.table, index }])
            })
        })
    }

    fn list_partition_indexes(&self, id: &TableIdent) -> Result<Vec<PartitionIndex>> {
        off_runtime(|| self.once(|c| Ok(record(&mut *c, id, false)?.indexes)))
    }

    fn delete_partition_index(&self, id: &TableIdent, name: &str) -> Result<()> {
        off_runtime(|| {
            self.write(|tx| {
                let mut rec = record(tx, id, true)?;
                let index = rec.indexes.remove(index_position(id, &rec.indexes, name)?);
                let slot = index.slot;
                tx.execute(
                    "UPDATE lc_tables SET indexes = $2 WHERE id = $1",
                    &[&rec.id, &to_json(&rec.indexes)?],
                )
                .map_err(pe)?;
                let slot = vec![slot];
                tx.execute(
                    "DELETE FROM lc_partition_index_entries WHERE table_id = $1 AND entry >= $2 AND ($3::bytea IS NULL OR entry < $3)",
                    &[&rec.id, &slot, &prefix_end(&slot)],
                )
                .map_err(pe)?;
                self.log(tx, vec![Change::DropPartitionIndex { table: rec.table, index_name: index.index_name }])
            })
        })
    }

    fn update_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        stats: Vec<ColumnStatistics>,
    ) -> Result<Vec<ColumnStatisticsError>> {
        off_runtime(|| {
            self.write(|tx| {
                let rec = record(tx, id, true)?;
                let (key, part) = stats_target(tx, id, &rec, partition)?;
                let (ok, errors) =
                    plan_statistics_update(columns_of(&rec.table, part.as_ref()), stats)?;
                let target = stats_target_key(key.as_deref());
                for st in &ok {
                    tx.execute(
                        "INSERT INTO lc_column_statistics (table_id, target, column_name, doc) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (table_id, target, column_name) DO UPDATE SET doc = EXCLUDED.doc",
                        &[&rec.id, &target, &st.column_name, &to_json(st)?],
                    )
                    .map_err(pe)?;
                }
                self.log(tx, events::statistics_updated(&rec.table, partition, &ok))?;
                Ok(errors)
            })
        })
    }

    fn get_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        columns: &[String],
    ) -> Result<Vec<ColumnStatistics>> {
        off_runtime(|| {
            self.read(|tx| {
                let rec = record(tx, id, false)?;
                let (key, part) = stats_target(tx, id, &rec, partition)?;
                let cols = columns_of(&rec.table, part.as_ref());
                let wanted = lookup_columns(columns)?;
                let target = stats_target_key(key.as_deref());
                let mut found: HashMap<String, ColumnStatistics> = HashMap::new();
                for r in tx
                    .query(
                        "SELECT column_name, doc FROM lc_column_statistics WHERE table_id = $1 AND target = $2 AND column_name = ANY($3)",
                        &[&rec.id, &target, &wanted],
                    )
                    .map_err(pe)?
                {
                    found.insert(r.get(0), from_json(r.get(1))?);
                }
                Ok(wanted
                    .iter()
                    .filter_map(|c| found.get(c))
                    .filter(|st| is_current(cols, st))
                    .cloned()
                    .collect())
            })
        })
    }

    fn delete_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        column: &str,
    ) -> Result<()> {
        off_runtime(|| {
            self.write(|tx| {
                let rec = record(tx, id, true)?;
                let (key, part) = stats_target(tx, id, &rec, partition)?;
                let cols = columns_of(&rec.table, part.as_ref());
                let target = stats_target_key(key.as_deref());
                let column = column.to_lowercase();
                let current = match tx
                    .query_opt(
                        "SELECT doc FROM lc_column_statistics WHERE table_id = $1 AND target = $2 AND column_name = $3",
                        &[&rec.id, &target, &column],
                    )
                    .map_err(pe)?
                {
                    Some(r) => is_current(cols, &from_json(r.get(0))?),
                    None => false,
                };
                if !current {
                    return Err(statistics_not_found(id, partition, &column));
                }
                tx.execute(
                    "DELETE FROM lc_column_statistics WHERE table_id = $1 AND target = $2 AND column_name = $3",
                    &[&rec.id, &target, &column],
                )
                .map_err(pe)?;
                self.log(tx, events::statistics_deleted(&rec.table, partition, &column))
            })
        })
    }

    fn get_record(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>> {
        off_runtime(|| {
            self.once(|c| {
                Ok(c.query_opt(
                    "SELECT value FROM lc_records WHERE space = $1 AND key = $2",
                    &[&space, &key.as_bytes()],
                )
                .map_err(pe)?
                .map(|r| r.get(0)))
            })
        })
    }

    fn list_records(
        &self,
        space: &str,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<(String, Vec<u8>)>> {
        off_runtime(|| {
            let (start, inclusive) = match page_start(page)? {
                Some(k) => (k.into_bytes(), false),
                None => (prefix.as_bytes().to_vec(), true),
            };
            let end = prefix_end(prefix.as_bytes());
            let sql = if inclusive {
                "SELECT key, value FROM lc_records WHERE space = $1 AND key >= $2 AND ($3::bytea IS NULL OR key < $3) ORDER BY key LIMIT $4"
            } else {
                "SELECT key, value FROM lc_records WHERE space = $1 AND key > $2 AND ($3::bytea IS NULL OR key < $3) ORDER BY key LIMIT $4"
            };
            self.once(|c| {
                let rows = c
                    .query(
                        sql,
                        &[&space, &start, &end, &(page.limit.max(1) as i64 + 1)],
                    )
                    .map_err(pe)?;
                collect_named(
                    page.limit,
                    rows.iter().map(|r| {
                        let k: Vec<u8> = r.get(0);
                        let key = String::from_utf8_lossy(&k).into_owned();
                        Ok((key.clone(), (key, r.get(1))))
                    }),
                )
            })
        })
    }

    fn write_records_logged(&self, writes: Vec<RecordWrite>, changes: Vec<Change>) -> Result<()> {
        off_runtime(|| {
            self.write(|tx| {
                for w in &writes {
                    let cur: Option<Vec<u8>> = tx
                        .query_opt(
                            "SELECT value FROM lc_records WHERE space = $1 AND key = $2 FOR UPDATE",
                            &[&w.space, &w.key.as_bytes()],
                        )
                        .map_err(pe)?
                        .map(|r| r.get(0));
                    check_expectation(w, cur.as_deref())?;
                    let r = match (&w.value, &w.expect) {
                        // Two writers that both saw no record: the primary key lets one
                        // in and the other learns of the conflict.
                        (Some(v), Expect::Absent) => tx.execute(
                            "INSERT INTO lc_records (space, key, value) VALUES ($1, $2, $3)",
                            &[&w.space, &w.key.as_bytes(), v],
                        ),
                        (Some(v), _) => tx.execute(
                            "INSERT INTO lc_records (space, key, value) VALUES ($1, $2, $3)
                             ON CONFLICT (space, key) DO UPDATE SET value = EXCLUDED.value",
                            &[&w.space, &w.key.as_bytes(), v],
                        ),
                        (None, _) => tx.execute(
                            "DELETE FROM lc_records WHERE space = $1 AND key = $2",
                            &[&w.space, &w.key.as_bytes()],
                        ),
                    };
                    match r {
                        Ok(_) => {}
                        Err(e) if is_code(&e, UNIQUE_VIOLATION) => {
                            return Err(check_expectation(w, Some(&[])).unwrap_err());
                        }
                        Err(e) => return Err(pe(e)),
                    }
                }
                self.log(tx, changes)
            })
        })
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        off_runtime(|| {
            self.once(|c| {
                c.query(
                    "SELECT doc FROM lc_events WHERE id > $1 ORDER BY id LIMIT $2",
                    &[&(after.min(i64::MAX as u64) as i64), &(limit as i64)],
                )
                .map_err(pe)?
                .iter()
                .map(|r| events::decode(r.get(0)))
                .collect()
            })
        })
    }

    fn event_bounds(&self) -> Result<EventBounds> {
        off_runtime(|| {
            self.once(|c| {
                let r = c
                    .query_one(
                        "SELECT (SELECT min(id) FROM lc_events), (SELECT last_id FROM lc_event_counter)",
                        &[],
                    )
                    .map_err(pe)?;
                let last = r.get::<_, i64>(1) as u64;
                let first = r.get::<_, Option<i64>>(0).map_or(last + 1, |f| f as u64);
                Ok(EventBounds { first, last })
            })
        })
    }

    fn set_change_log(&self, on: bool) {
        self.log_off.store(!on, Ordering::Relaxed);
    }

    fn trim_events(&self, retention: &Retention) -> Result<u64> {
        off_runtime(|| {
            let last = self.event_bounds()?.last;
            let (upto, before) = retention.bounds(last, events::now_ms());
            let (upto, before) = (upto.map(|u| u as i64), before);
            let mut removed = 0;
            loop {
                let n = self.once(|c| {
                    c.execute(
                        "DELETE FROM lc_events WHERE id IN (SELECT id FROM lc_events
                           WHERE id <= $1 OR time_ms < $2 ORDER BY id LIMIT $3)",
                        &[
                            &upto.unwrap_or(0),
                            &before.unwrap_or(i64::MIN),
                            &PURGE_CHUNK,
                        ],
                    )
                    .map_err(pe)
                })?;
                removed += n;
                if n < PURGE_CHUNK as u64 {
                    return Ok(removed);
                }
            }
        })
    }

    fn shared(&self) -> bool {
        true
    }

    fn record_spaces(&self) -> Result<Vec<String>> {
        off_runtime(|| {
            self.once(|c| {
                Ok(
                    c.query("SELECT DISTINCT space FROM lc_records ORDER BY space", &[])
                        .map_err(pe)?
                        .iter()
                        .map(|r| r.get(0))
                        .collect(),
                )
            })
        })
    }

    fn export_table(&self, id: &TableIdent) -> Result<TableImage> {
        off_runtime(|| {
            self.read(|tx| {
                let rec = record(tx, id, false)?;
                let versions = tx
                    .query(
                        "SELECT doc FROM lc_table_versions WHERE table_id = $1 ORDER BY version",
                        &[&rec.id],
                    )
                    .map_err(pe)?
                    .iter()
                    .map(|r| from_json(r.get(0)))
                    .collect::<Result<_>>()?;
                let statistics = tx
                    .query(
                        "SELECT target, doc FROM lc_column_statistics WHERE table_id = $1 ORDER BY target, column_name",
                        &[&rec.id],
                    )
                    .map_err(pe)?
                    .iter()
                    .map(|r| {
                        let target: Vec<u8> = r.get(0);
                        let owner = match target.split_first() {
                            Some((0xFF, _)) => None,
                            Some((0x00, k)) => Some(
                                decode_values(k)
                                    .ok_or_else(|| Error::storage("corrupt statistics target"))?,
                            ),
                            _ => return Err(Error::storage("corrupt statistics target")),
                        };
                        Ok((owner, from_json(r.get(1))?))
                    })
                    .collect::<Result<_>>()?;
                Ok(TableImage {
                    table: rec.table,
                    versions,
                    indexes: rec.indexes,
                    statistics,
                })
            })
        })
    }

    fn import_database(&self, db: Database) -> Result<()> {
        off_runtime(|| {
            self.once(|c| {
                match c.execute(
                    "INSERT INTO lc_databases (name, doc) VALUES ($1, $2)",
                    &[&db.name.as_str(), &to_json(&db)?],
                ) {
                    Ok(_) => Ok(()),
                    Err(e) if is_code(&e, UNIQUE_VIOLATION) => Err(Error::already_exists(format!(
                        "database {} already exists",
                        db.name
                    ))),
                    Err(e) => Err(pe(e)),
                }
            })
        })
    }

    fn import_table(&self, db: &DatabaseName, image: TableImage) -> Result<()> {
        off_runtime(|| {
            self.write(|tx| {
                let id = TableIdent::new(db.clone(), image.table.name.clone());
                db_exists(tx, db)?;
                let tid: i64 = tx
                    .query_one("SELECT nextval('lc_table_ids')", &[])
                    .map_err(pe)?
                    .get(0);
                let r = tx.execute(
                    "INSERT INTO lc_tables (db, name, id, doc, indexes) VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &db.as_str(),
                        &image.table.name.as_str(),
                        &tid,
                        &to_json(&image.table)?,
                        &to_json(&image.indexes)?,
                    ],
                );
                match r {
                    Ok(_) => {}
                    Err(e) if is_code(&e, UNIQUE_VIOLATION) => return Err(table_exists(&id)),
                    Err(e) => return Err(pe(e)),
                }
                for t in &image.versions {
                    tx.execute(
                        "INSERT INTO lc_table_versions (table_id, version, doc) VALUES ($1, $2, $3)",
                        &[&tid, &(t.version_id.unwrap_or(1) as i64), &to_json(t)?],
                    )
                    .map_err(pe)?;
                }
                for (owner, st) in &image.statistics {
                    let pk = owner.as_ref().map(|v| encode_values(v));
                    tx.execute(
                        "INSERT INTO lc_column_statistics (table_id, target, column_name, doc) VALUES ($1, $2, $3, $4)",
                        &[&tid, &stats_target_key(pk.as_deref()), &st.column_name, &to_json(st)?],
                    )
                    .map_err(pe)?;
                }
                Ok(())
            })
        })
    }

    fn import_partitions(&self, id: &TableIdent, parts: Vec<Partition>) -> Result<()> {
        off_runtime(|| {
            self.write(|tx| {
                let rec = record(tx, id, true)?;
                let puts = import_puts(parts);
                let keys: Vec<Vec<u8>> = puts.iter().map(|(k, _)| k.clone()).collect();
                let added = (keys.len() - existing(tx, rec.id, &keys)?.len()) as i64;
                let changes = PartitionChanges::new(&rec.indexes, &rec.table, Vec::new(), puts)?;
                apply_changes(tx, rec.id, changes)?;
                tx.execute(
                    "UPDATE lc_tables SET partition_count = partition_count + $2 WHERE id = $1",
                    &[&rec.id, &added],
                )
                .map_err(pe)?;
                Ok(())
            })
        })
    }

    fn import_function(&self, db: &DatabaseName, f: Function) -> Result<()> {
        off_runtime(|| {
            self.once(|c| {
                match c.execute(
                    "INSERT INTO lc_functions (db, name, doc) VALUES ($1, $2, $3)",
                    &[&db.as_str(), &f.function_name, &to_json(&f)?],
                ) {
                    Ok(_) => Ok(()),
                    Err(e) if is_code(&e, UNIQUE_VIOLATION) => Err(Error::already_exists(format!(
                        "function {db}.{} already exists",
                        f.function_name
                    ))),
                    Err(e) if is_code(&e, FOREIGN_KEY_VIOLATION) => Err(db_not_found(db)),
                    Err(e) => Err(pe(e)),
                }
            })
        })
    }

    fn partitions_examined(&self) -> u64 {
        off_runtime(|| self.examined.load(Ordering::Relaxed))
    }

    fn stats(&self) -> Result<StoreStats> {
        off_runtime(|| {
            self.once(|c| {
                let r = c
                    .query_one(
                        "SELECT (SELECT count(*) FROM lc_databases), (SELECT count(*) FROM lc_tables),
                                (SELECT coalesce(sum(partition_count), 0)::bigint FROM lc_tables),
                                pg_database_size(current_database())",
                        &[],
                    )
                    .map_err(pe)?;
                let n = |i: usize| r.get::<_, i64>(i).max(0) as u64;
                Ok(StoreStats {
                    databases: n(0),
                    tables: n(1),
                    partitions: n(2),
                    size_on_disk: Some(n(3)),
                })
            })
        })
    }
}

/// One table write inside a transaction (see `CatalogStore::write_table`).
/// The table as written and the changes to log.
fn write_one(
    tx: &mut Cx,
    db: &DatabaseName,
    write: TableWrite,
    max_versions: usize,
) -> Result<(Table, Vec<Change>)> {
    db_exists(tx, db)?;
    let id = TableIdent::new(db.clone(), write.table.name.clone());
    let rec = match record(tx, &id, true) {
        Ok(r) => Some(r),
        Err(e) if e.kind == ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let tid: i64 = match &rec {
        Some(r) => r.id,
        None => tx
            .query_one("SELECT nextval('lc_table_ids')", &[])
            .map_err(pe)?
            .get(0),
    };
    let indexes = rec.as_ref().map(|r| r.indexes.clone()).unwrap_or_default();
    let current = rec
        .as_ref()
        .map(|r| (&r.table, r.partition_count.max(0) as u64));
    let mut keys: Vec<Vec<u8>> = write
        .delete_partitions
        .iter()
        .map(|v| encode_values(v))
        .collect();
    keys.extend(
        write
            .put_partitions
            .iter()
            .map(|p| encode_values(&p.values)),
    );
    let times = match rec {
        Some(_) => existing(tx, tid, &keys)?,
        None => HashMap::new(),
    };
    let plan = plan_table_write(db, current, &indexes, write, |k| Ok(times.get(k).copied()))?;
    let doc = to_json(&plan.table)?;
    let count = plan.partition_count as i64;
    match &rec {
        Some(r) => {
            archive(tx, tid, &r.table, max_versions)?;
            tx.execute(
                "UPDATE lc_tables SET doc = $2, partition_count = $3 WHERE id = $1",
                &[&tid, &doc, &count],
            )
            .map_err(pe)?;
        }
        None => {
            let r = tx.execute(
                    "INSERT INTO lc_tables (db, name, id, doc, partition_count) VALUES ($1, $2, $3, $4, $5)",
                    &[&db.as_str(), &plan.table.name.as_str(), &tid, &doc, &count],
                );
            match r {
                Ok(_) => {}
                Err(e) if is_code(&e, UNIQUE_VIOLATION) => return Err(table_exists(&id)),
                Err(e) => return Err(pe(e)),
            }
        }
    }
    apply_changes(tx, tid, plan.changes)?;
    Ok((plan.table, plan.events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_parameters_are_taken_from_the_url() {
        let (url, o) = split_url(
            "postgres://u:p@h:5432/db?pool_max_size=7&sslmode=disable&pool_timeout_secs=2",
        )
        .unwrap();
        assert_eq!(url, "postgres://u:p@h:5432/db?sslmode=disable");
        assert_eq!(
            (o.pool_max_size, o.pool_timeout),
            (7, Duration::from_secs(2))
        );
        let e = split_url("postgres://h/db?pool_max_size=0").unwrap_err();
        assert!(e.message.contains("pool_max_size"), "{e}");
    }
}
