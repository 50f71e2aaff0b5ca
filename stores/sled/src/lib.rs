//! lakecat's embedded store: the catalog in one sled database, in one folder,
//! with nothing to install. It runs the shared conformance suite from its own
//! tests (`tests/conformance.rs`).
//!
//! Layout (all integers big-endian, so byte order is numeric order):
//!
//! | tree         | key                          | value                          |
//! |--------------|------------------------------|--------------------------------|
//! | `meta`       | `format_version`             | the store format, as text      |
//! | `databases`  | name                         | JSON [`Database`]              |
//! | `tables`     | database `\0` table          | JSON `{id, table}`             |
//! | `versions`   | table id, version            | JSON [`Table`] (archived)      |
//! | `partitions` | table id, encoded values     | a page of partitions (`pages`) |
//! | `partitions` | table id (8 bytes alone)     | the table's partition count    |
//! | `partitions` | table id \| 2⁶³, index entry | empty (see `index`)            |
//! | `partitions` | table id \| 2⁶², stats key   | JSON [`ColumnStatistics`]      |
//! | `partitions` | table id \| 2⁶¹, template no.| JSON [`StorageDescriptor`]     |
//! | `partitions` | 2⁶⁰ (8 bytes alone)          | the last change-log id given   |
//! | `partitions` | 2⁶⁰, event id                | zstd JSON [`Event`]            |
//! | `gc`         | table id                     | empty: data left to purge      |
//! | `records`    | space `\0` key               | a service record (opaque)      |
//!
//! Tables get an internal id so that dropping a table (or a database with cascade)
//! is one small atomic write: the name disappears at once and the id is queued in
//! `gc`; its partitions and versions are purged afterwards in chunks, and a purge
//! interrupted by a crash resumes on the next open. A reused name gets a new id,
//! so it never sees the old table's partitions.
//!
//! Keeping each table's partition count, its partition index entries and its
//! column statistics in the `partitions` tree itself (under the table id with a
//! high bit set) makes a batch of partitions plus everything that follows them one
//! single-tree `apply_batch`, which is atomic and much cheaper than a multi-tree
//! transaction. The table record lists the table's indexes; entries of a slot no
//! index holds (left by a crash while an index was built or deleted) are ignored
//! and cleared before the slot is used again.
//!
//! The change log lives in the `partitions` tree too, so that a batch of
//! partitions and its event stay one `apply_batch`; other writes become
//! transactions over their tree and `partitions`. Ids are given under the write
//! mutex, so they grow in commit order; readers see an event only once a flush
//! that began after its commit has returned (`durable_events`), so no reader acts
//! on a change a crash could still take back.
//!
//! Concurrency: writers are serialised by one mutex (reads take no lock), which
//! makes check-then-write sequences safe; the mutex is released before the flush
//! so that concurrent writers share fsyncs. A write is acknowledged only after its
//! flush returns, so an acknowledged write survives a crash.

use lakecat_catalog_api::error::{Error, Result};
use lakecat_catalog_api::events::{
    self, partitions_altered, stamp, Change, Event, EventBounds, Retention,
};
use lakecat_catalog_api::filter::FilterExpr;
use lakecat_catalog_api::index::{prepare_index, IndexSet};
use lakecat_catalog_api::kv::keys::{decode_values, encode_values};
use lakecat_catalog_api::kv::*;
use lakecat_catalog_api::model::{Database, Function, Partition, Table, TableVersion};
use lakecat_catalog_api::names::{DatabaseName, TableIdent};
use lakecat_catalog_api::stats::*;
use lakecat_catalog_api::store::*;
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::{Batch, Transactional, Tree};
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Bumped whenever the layout above changes incompatibly: format 2 added index
/// entries, statistics and the record's `indexes`, which format-1 readers would
/// reject; format 3 keeps partitions in pages with compact values and templates,
/// which format-2 readers cannot decode. Older stores are upgraded in place: they
/// have none of these, and a lone whole-JSON partition value is read as a page of
/// one.
pub const FORMAT_VERSION: &str = "3";
const UPGRADABLE: &[&str] = &["1", "2"];
const FORMAT_KEY: &[u8] = b"format_version";
const PURGE_CHUNK: usize = 10_000;
/// Id spaces in the `partitions` tree next to a table's partitions.
const INDEX_SPACE: u64 = 1 << 63;
const STATS_SPACE: u64 = 1 << 62;
const TEMPLATE_SPACE: u64 = 1 << 61;
/// The change log's space: table ids never reach it.
const EVENT_SPACE: u64 = 1 << 60;

mod pages;
mod templates;
use templates::Templates;

pub struct SledStore {
    db: sled::Db,
    meta: Tree,
    databases: Tree,
    tables: Tree,
    versions: Tree,
    partitions: Tree,
    /// `db \0 name` → function JSON.
    functions: Tree,
    records: Tree,
    gc: Tree,
    write: Mutex<()>,
    max_versions: usize,
    examined: AtomicU64,
    templates: Templates,
    /// The last change-log id committed (given under the write mutex).
    last_event: AtomicU64,
    /// The last change-log id known to be on disk: what readers may see.
    durable_events: AtomicU64,
    log_off: std::sync::atomic::AtomicBool,
}

#[derive(Serialize, Deserialize)]
struct TableRecord {
    id: u64,
    table: Table,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    indexes: Vec<PartitionIndex>,
}

/// The lowest and highest key of a batch and the keys stored between them.
type Span = (Vec<u8>, Vec<u8>, HashSet<Vec<u8>>);

/// One change to the `partitions` tree: a value to write, or `None` to remove.
type Op = (Vec<u8>, Option<Vec<u8>>);

/// Applies `ops` to `tree` inside a transaction (what [`batch_of`] does outside one).
fn apply_in(
    tree: &sled::transaction::TransactionalTree,
    ops: &[Op],
) -> std::result::Result<(), ConflictableTransactionError<Error>> {
    for (k, v) in ops {
        match v {
            Some(v) => tree.insert(k.as_slice(), v.as_slice())?,
            None => tree.remove(k.as_slice())?,
        };
    }
    Ok(())
}

fn batch_of(ops: Vec<Op>) -> Batch {
    let mut b = Batch::default();
    for (k, v) in ops {
        match v {
            Some(v) => b.insert(k, v),
            None => b.remove(k),
        }
    }
    b
}

fn se(e: sled::Error) -> Error {
    Error::storage(format!("sled: {e}"))
}

fn te(e: TransactionError<Error>) -> Error {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => se(e),
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::storage(format!("encoding: {e}")))
}

fn from_json<'a, T: Deserialize<'a>>(b: &'a [u8]) -> Result<T> {
    serde_json::from_slice(b).map_err(|e| Error::storage(format!("corrupt record: {e}")))
}

fn table_key(db: &str, name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(db.len() + name.len() + 1);
    k.extend_from_slice(db.as_bytes());
    k.push(0);
    k.extend_from_slice(name.as_bytes());
    k
}

fn id_key(id: u64, rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(8 + rest.len());
    k.extend_from_slice(&id.to_be_bytes());
    k.extend_from_slice(rest);
    k
}

/// A page of a tree keyed `db \0 name` (tables, functions), ordered by name, the
/// names matching `pattern` if given.
fn named_page<T>(
    tree: &Tree,
    db: &DatabaseName,
    pattern: Option<&regex::Regex>,
    page: &PageRequest,
    decode: impl Fn(&[u8]) -> Result<T>,
) -> Result<Page<T>> {
    let prefix = table_key(db.as_str(), "");
    let start = match page_start(page)? {
        Some(n) => {
            let mut k = table_key(db.as_str(), &n);
            k.push(0);
            k
        }
        None => prefix.clone(),
    };
    let end = lakecat_catalog_api::kv::keys::prefix_end(&prefix).expect("prefix ends in 0");
    let iter = tree.range(start..end).filter_map(|kv| {
        let r = (|| {
            let (k, v) = kv.map_err(se)?;
            let name = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            if pattern.is_some_and(|p| !p.is_match(&name)) {
                return Ok(None);
            }
            Ok(Some((name, decode(&v)?)))
        })();
        r.transpose()
    });
    collect_named(page.limit, iter)
}

fn table_location(t: &Table) -> Option<&str> {
    t.storage_descriptor.as_ref()?.location.as_deref()
}

fn count_of(v: Option<sled::IVec>) -> u64 {
    v.and_then(|v| v.as_ref().try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

/// A planned table write: id, key, record, the table it replaces, partition
/// operations, and the table as written.
type Planned = (u64, Vec<u8>, Vec<u8>, Option<Table>, Vec<Op>, Table);

/// One table's part of a transaction (see [`SledStore::write_table_records`]).
struct TableCommit<'a> {
    tid: u64,
    moved_from: Option<&'a [u8]>,
    key: &'a [u8],
    value: &'a [u8],
    archive: Option<&'a Table>,
    ops: &'a [Op],
}

impl SledStore {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path, max_versions: usize) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::storage(format!(
                "cannot create the data directory {}: {e}",
                dir.display()
            ))
        })?;
        let db = sled::Config::new().path(dir).open().map_err(|e| {
            let text = e.to_string();
            if text.contains("could not acquire lock") {
                Error::storage(format!(
                    "the data directory {} is in use by another lakecat process; stop it or choose another --data-dir",
                    dir.display()
                ))
            } else {
                Error::storage(format!("cannot open the data directory {}: {text}", dir.display()))
            }
        })?;
        let tree = |name: &str| db.open_tree(name).map_err(se);
        let store = SledStore {
            meta: tree("meta")?,
            databases: tree("databases")?,
            tables: tree("tables")?,
            versions: tree("versions")?,
            partitions: tree("partitions")?,
            functions: tree("functions")?,
            records: tree("records")?,
            gc: tree("gc")?,
            db,
            write: Mutex::new(()),
            max_versions,
            examined: AtomicU64::new(0),
            templates: Templates::default(),
            last_event: AtomicU64::new(0),
            durable_events: AtomicU64::new(0),
            log_off: std::sync::atomic::AtomicBool::new(false),
        };
        store.check_format(dir)?;
        let last = match store.partitions.get(id_key(EVENT_SPACE, &[])).map_err(se)? {
            Some(b) => u64::from_be_bytes(
                b.as_ref()
                    .try_into()
                    .map_err(|_| Error::storage("corrupt change-log counter"))?,
            ),
            None => 0,
        };
        store.last_event.store(last, Ordering::SeqCst);
        store.durable_events.store(last, Ordering::SeqCst);
        store.purge_garbage()?;
        Ok(store)
    }

    fn check_format(&self, dir: &Path) -> Result<()> {
        match self.meta.get(FORMAT_KEY).map_err(se)? {
            Some(v) if v.as_ref() == FORMAT_VERSION.as_bytes() => Ok(()),
            Some(v) if UPGRADABLE.iter().any(|u| v.as_ref() == u.as_bytes()) => {
                self.meta.insert(FORMAT_KEY, FORMAT_VERSION.as_bytes()).map_err(se)?;
                self.durable()
            }
            Some(v) => Err(Error::storage(format!(
                "the data directory {} holds a catalog in store format {}, but this lakecat reads format {FORMAT_VERSION}; \
                 use the lakecat release that wrote it (or export and re-import the catalog)",
                dir.display(),
                String::from_utf8_lossy(&v)
            ))),
            None => {
                let empty = [&self.databases, &self.tables, &self.partitions].iter().all(|t| t.is_empty());
                if !empty {
                    return Err(Error::storage(format!(
                        "the data directory {} holds data but no store format version; it was not written by lakecat",
                        dir.display()
                    )));
                }
                self.meta.insert(FORMAT_KEY, FORMAT_VERSION.as_bytes()).map_err(se)?;
                self.durable()
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn durable(&self) -> Result<()> {
        // Everything committed up to this id is in the flush that follows.
        let upto = self.last_event.load(Ordering::SeqCst);
        self.db.flush().map_err(se)?;
        self.durable_events.fetch_max(upto, Ordering::SeqCst);
        Ok(())
    }

    /// The `partitions`-tree operations that log `changes`, and the last id they
    /// take. The caller holds the write lock, applies them with its write and
    /// then calls [`Self::logged`].
    fn event_ops(&self, changes: Vec<Change>) -> Result<(Vec<Op>, u64)> {
        let last = self.last_event.load(Ordering::SeqCst);
        if changes.is_empty() || self.log_off.load(Ordering::Relaxed) {
            return Ok((Vec::new(), last));
        }
        let events = stamp(changes, last + 1);
        let last = events.last().map_or(last, |e| e.id);
        let mut ops = Vec::with_capacity(events.len() + 1);
        for e in &events {
            ops.push((
                id_key(EVENT_SPACE, &e.id.to_be_bytes()),
                Some(events::encode(e)?),
            ));
        }
        ops.push((id_key(EVENT_SPACE, &[]), Some(last.to_be_bytes().to_vec())));
        Ok((ops, last))
    }

    fn logged(&self, last: u64) {
        self.last_event.fetch_max(last, Ordering::SeqCst);
    }

    /// Applies `ops` to the `partitions` tree with the events of `changes`, as
    /// one batch. The caller holds the write lock.
    fn apply_logged(&self, mut ops: Vec<Op>, changes: Vec<Change>) -> Result<()> {
        let (events, last) = self.event_ops(changes)?;
        ops.extend(events);
        self.partitions.apply_batch(batch_of(ops)).map_err(se)?;
        self.logged(last);
        Ok(())
    }

    /// Applies `ops` to `tree` (not `partitions`) and logs `changes`, in one
    /// transaction. The caller holds the write lock.
    fn write_logged(&self, tree: &Tree, ops: &[Op], changes: Vec<Change>) -> Result<()> {
        let (events, last) = self.event_ops(changes)?;
        (tree, &self.partitions)
            .transaction(|(t, p)| {
                apply_in(t, ops)?;
                apply_in(p, &events)
            })
            .map_err(te)?;
        self.logged(last);
        Ok(())
    }

    /// Removes the partitions and versions of dropped tables, in bounded chunks.
    fn purge_garbage(&self) -> Result<()> {
        for entry in self.gc.iter() {
            let (k, _) = entry.map_err(se)?;
            let id = u64::from_be_bytes(
                k.as_ref()
                    .try_into()
                    .map_err(|_| Error::storage("corrupt gc key"))?,
            );
            let spaces = [
                (&self.partitions, id_key(id, &[])),
                (&self.partitions, id_key(id | INDEX_SPACE, &[])),
                (&self.partitions, id_key(id | STATS_SPACE, &[])),
                (&self.partitions, id_key(id | TEMPLATE_SPACE, &[])),
                (&self.versions, id_key(id, &[])),
            ];
            for (tree, prefix) in spaces {
                self.purge_prefix(tree, &prefix)?;
            }
            self.gc.remove(k).map_err(se)?;
            self.templates.forget(id);
        }
        self.durable()
    }

    /// Removes every key under `prefix`, in bounded chunks.
    fn purge_prefix(&self, tree: &Tree, prefix: &[u8]) -> Result<()> {
        loop {
            let mut batch = Batch::default();
            let mut n = 0;
            for kv in tree.scan_prefix(prefix).keys().take(PURGE_CHUNK) {
                batch.remove(kv.map_err(se)?);
                n += 1;
            }
            if n == 0 {
                return Ok(());
            }
            tree.apply_batch(batch).map_err(se)?;
        }
    }

    /// The partition keys of table `tid` between the lowest and the highest key of
    /// `parts`, read in one range scan: a batch of new partitions is usually a run
    /// of neighbours, and one scan of an empty span replaces a tree descent per
    /// partition. `None` when the span holds too many other partitions to pay off.
    fn present_in_span(&self, tid: u64, parts: &[Partition]) -> Result<Option<Span>> {
        let mut keys = parts.iter().map(|p| encode_values(&p.values));
        let Some(first) = keys.next() else {
            return Ok(None);
        };
        let (lo, hi) = keys.fold((first.clone(), first), |(lo, hi), k| {
            (lo.min(k.clone()), hi.max(k))
        });
        let budget = 4 * parts.len() + 64;
        let mut present = HashSet::new();
        let after_hi = [hi.as_slice(), &[0]].concat();
        for kv in pages::scan(&self.partitions, tid, &lo, Some(&after_hi))? {
            if present.len() == budget {
                return Ok(None);
            }
            present.insert(kv?.0);
        }
        Ok(Some((lo, hi, present)))
    }

    /// The `partitions`-tree operations that apply `c` to table `tid` (whose
    /// location is `location`), removals first, with the templates new partitions
    /// need. Reads the statistics to move and the templates, so the caller holds
    /// the write lock, and applies the operations through [`SledStore::commit`].
    fn change_ops(&self, tid: u64, location: Option<&str>, c: PartitionChanges) -> Result<Vec<Op>> {
        let mut ops = Vec::new();
        for (old, new) in &c.stats_moves {
            let from = id_key(tid | STATS_SPACE, &stats_prefix(Some(old)));
            for kv in self.partitions.scan_prefix(&from) {
                let (k, v) = kv.map_err(se)?;
                ops.push((k.to_vec(), None));
                if let Some(new) = new {
                    let to = id_key(tid | STATS_SPACE, &stats_prefix(Some(new)));
                    ops.push(([to.as_slice(), &k[from.len()..]].concat(), Some(v.to_vec())));
                }
            }
        }
        ops.extend(
            c.index_deletes
                .iter()
                .map(|k| (id_key(tid | INDEX_SPACE, k), None)),
        );
        let mut templates = Vec::new();
        let mut puts = Vec::with_capacity(c.puts.len());
        for (k, p) in c.puts {
            let load = || self.load_templates(tid);
            let v = self
                .templates
                .encode(tid, location, &p, load, &mut templates)?;
            puts.push((k, v));
        }
        ops.extend(pages::plan(&self.partitions, tid, &c.deletes, puts)?);
        for (n, t) in templates {
            ops.push((id_key(tid | TEMPLATE_SPACE, &n.to_be_bytes()), Some(t)));
        }
        ops.extend(
            c.index_puts
                .iter()
                .map(|k| (id_key(tid | INDEX_SPACE, k), Some(Vec::new()))),
        );
        Ok(ops)
    }

    /// Writes each table's record `value` under `key` (removing it from
    /// `moved_from` after a rename), archives `archive` as a version (expiring
    /// the oldest beyond the cap), applies `ops` to the `partitions` tree and
    /// logs `changes`, all in one transaction. The caller holds the write lock.
    fn write_table_records(&self, commits: &[TableCommit<'_>], changes: Vec<Change>) -> Result<()> {
        let (events, last) = self.event_ops(changes)?;
        let mut archived = Vec::new();
        let mut expired = Vec::new();
        for c in commits {
            if let Some(old) = c.archive {
                let v = old.version_id.unwrap_or(1);
                archived.push((id_key(c.tid, &v.to_be_bytes()), to_json(old)?));
                // Archived versions beyond the cap, oldest first.
                let kept: Vec<_> = self
                    .versions
                    .scan_prefix(c.tid.to_be_bytes())
                    .keys()
                    .collect::<Result<_, _>>()
                    .map_err(se)?;
                let over = (kept.len() + 1).saturating_sub(self.max_versions);
                expired.extend(kept.into_iter().take(over));
            }
        }
        let r = (&self.tables, &self.versions, &self.partitions)
            .transaction(|(t, v, p)| {
                for c in commits {
                    if let Some(old) = c.moved_from {
                        t.remove(old)?;
                    }
                    t.insert(c.key, c.value)?;
                    apply_in(p, c.ops)?;
                }
                for (k, b) in &archived {
                    v.insert(k.as_slice(), b.as_slice())?;
                }
                for k in &expired {
                    v.remove(k)?;
                }
                apply_in(p, &events)
            })
            .map_err(te);
        match r {
            Ok(()) => self.logged(last),
            Err(_) => {
                for c in commits {
                    self.templates.forget(c.tid);
                }
            }
        }
        r
    }

    /// Every stored template of table `tid`.
    fn load_templates(&self, tid: u64) -> Result<Vec<templates::NewTemplate>> {
        let prefix = id_key(tid | TEMPLATE_SPACE, &[]);
        self.partitions
            .scan_prefix(&prefix)
            .map(|kv| {
                let (k, v) = kv.map_err(se)?;
                let n = k[prefix.len()..]
                    .try_into()
                    .map_err(|_| Error::storage("corrupt template key"))?;
                Ok((u32::from_be_bytes(n), v.to_vec()))
            })
            .collect()
    }

    /// The partition of table `tid` stored under `key` (its encoded values).
    fn decode(&self, tid: u64, key: &[u8], bytes: &[u8]) -> Result<Partition> {
        self.templates.decode(tid, key, bytes, |n| {
            let k = id_key(tid | TEMPLATE_SPACE, &n.to_be_bytes());
            Ok(self.partitions.get(k).map_err(se)?.map(|v| v.to_vec()))
        })
    }

    /// Runs the write that applies operations from [`SledStore::change_ops`] for
    /// table `tid`; when it fails, the templates those operations introduced were
    /// not stored, so what is known of the table's templates is dropped.
    fn commit(&self, tid: u64, write: impl FnOnce() -> Result<()>) -> Result<()> {
        let r = write();
        if r.is_err() {
            self.templates.forget(tid);
        }
        r
    }

    /// The partition a statistics call names (`None`: the table's own), checked
    /// to exist, with its key.
    fn stats_target(
        &self,
        id: &TableIdent,
        rec: &TableRecord,
        partition: Option<&[String]>,
    ) -> Result<(Option<Vec<u8>>, Option<Partition>)> {
        let Some(values) = partition else {
            return Ok((None, None));
        };
        check_values_for(&rec.table, values)?;
        let k = encode_values(values);
        match self.partition(rec.id, &k)? {
            Some(b) => {
                let p = self.decode(rec.id, &k, &b)?;
                Ok((Some(k), Some(p)))
            }
            None => Err(partition_not_found(id, values)),
        }
    }

    fn db_exists(&self, name: &DatabaseName) -> Result<()> {
        match self.databases.contains_key(name.as_str()).map_err(se)? {
            true => Ok(()),
            false => Err(db_not_found(name)),
        }
    }

    fn record(&self, id: &TableIdent) -> Result<TableRecord> {
        match self
            .tables
            .get(table_key(id.database.as_str(), id.name.as_str()))
            .map_err(se)?
        {
            Some(b) => from_json(&b),
            None => {
                self.db_exists(&id.database)?;
                Err(table_not_found(id))
            }
        }
    }

    fn has_partitions(&self, tid: u64) -> Result<bool> {
        pages::any(&self.partitions, tid)
    }

    /// The stored value of the partition of table `tid` with key `key`.
    fn partition(&self, tid: u64, key: &[u8]) -> Result<Option<Vec<u8>>> {
        pages::get(&self.partitions, tid, key)
    }

    fn partition_count(&self, tid: u64) -> Result<u64> {
        Ok(count_of(self.partitions.get(id_key(tid, &[])).map_err(se)?))
    }
}

impl CatalogStore for SledStore {
    fn create_database(&self, db: Database) -> Result<Database> {
        let db = prepare_new_database(db)?;
        let bytes = to_json(&db)?;
        {
            let _g = self.lock();
            if self.databases.contains_key(db.name.as_str()).map_err(se)? {
                return Err(Error::already_exists(format!(
                    "database {} already exists",
                    db.name
                )));
            }
            let ops = [(db.name.as_str().as_bytes().to_vec(), Some(bytes))];
            let change = Change::CreateDatabase {
                database: db.clone(),
            };
            self.write_logged(&self.databases, &ops, vec![change])?;
        }
        self.durable()?;
        Ok(db)
    }

    fn get_database(&self, name: &DatabaseName) -> Result<Database> {
        match self.databases.get(name.as_str()).map_err(se)? {
            Some(b) => from_json(&b),
            None => Err(db_not_found(name)),
        }
    }

    fn list_databases(&self, page: &PageRequest) -> Result<Page<Database>> {
        let start = page_start(page)?;
        let iter = match &start {
            Some(s) => self.databases.range::<&[u8], _>((
                std::ops::Bound::Excluded(s.as_bytes()),
                std::ops::Bound::Unbounded,
            )),
            None => self.databases.iter(),
        };
        collect_named(
            page.limit,
            iter.map(|kv| {
                let (k, v) = kv.map_err(se)?;
                Ok((String::from_utf8_lossy(&k).into_owned(), from_json(&v)?))
            }),
        )
    }

    fn update_database(&self, name: &DatabaseName, db: Database) -> Result<Database> {
        let db = {
            let _g = self.lock();
            let cur = self.get_database(name)?;
            let db = prepare_database_update(name, &cur, db)?;
            let ops = [(name.as_str().as_bytes().to_vec(), Some(to_json(&db)?))];
            let change = Change::AlterDatabase {
                before: cur,
                after: db.clone(),
            };
            self.write_logged(&self.databases, &ops, vec![change])?;
            db
        };
        self.durable()?;
        Ok(db)
    }

    fn delete_database(&self, name: &DatabaseName, cascade: bool) -> Result<()> {
        {
            let _g = self.lock();
            let database = self.get_database(name)?;
            let prefix = table_key(name.as_str(), "");
            let mut doomed = Vec::new();
            let mut log = Vec::new();
            for kv in self.tables.scan_prefix(&prefix) {
                let (k, v) = kv.map_err(se)?;
                let rec = from_json::<TableRecord>(&v)?;
                doomed.push((k, rec.id));
                log.push(Change::DropTable { table: rec.table });
            }
            let mut functions: Vec<sled::IVec> = Vec::new();
            for kv in self.functions.scan_prefix(&prefix) {
                let (k, v) = kv.map_err(se)?;
                functions.push(k);
                log.push(Change::DropFunction {
                    function: from_json(&v)?,
                });
            }
            log.push(Change::DropDatabase { database });
            let has_content = !doomed.is_empty() || !functions.is_empty();
            if has_content && !cascade {
                return Err(Error::invalid(format!(
                    "database {name} is not empty: it has {} table(s) and {} function(s); drop them first or delete with cascade",
                    doomed.len(),
                    functions.len()
                )));
            }
            let (events, last) = self.event_ops(log)?;
            (
                &self.databases,
                &self.tables,
                &self.gc,
                &self.functions,
                &self.partitions,
            )
                .transaction(|(d, t, g, f, p)| {
                    d.remove(name.as_str())?;
                    for (k, id) in &doomed {
                        t.remove(k.clone())?;
                        g.insert(&id.to_be_bytes(), &[])?;
                    }
                    for k in &functions {
                        f.remove(k.clone())?;
                    }
                    apply_in(p, &events)
                })
                .map_err(te)?;
            self.logged(last);
        }
        self.durable()?;
        self.purge_garbage()
    }

    fn create_table(&self, db: &DatabaseName, table: Table) -> Result<Table> {
        let table = prepare_new_table(db, table)?;
        {
            let _g = self.lock();
            self.db_exists(db)?;
            let key = table_key(db.as_str(), table.name.as_str());
            if self.tables.contains_key(&key).map_err(se)? {
                return Err(Error::already_exists(format!(
                    "table {db}.{} already exists",
                    table.name
                )));
            }
            let id = self.db.generate_id().map_err(se)? + 1;
            let rec = to_json(&TableRecord {
                id,
                table: table.clone(),
                indexes: Vec::new(),
            })?;
            let change = Change::CreateTable {
                table: table.clone(),
            };
            self.write_logged(&self.tables, &[(key, Some(rec))], vec![change])?;
        }
        self.durable()?;
        Ok(table)
    }

    fn get_table(&self, id: &TableIdent) -> Result<Table> {
        Ok(self.record(id)?.table)
    }

    fn list_tables(
        &self,
        db: &DatabaseName,
        pattern: Option<&regex::Regex>,
        page: &PageRequest,
    ) -> Result<Page<Table>> {
        self.db_exists(db)?;
        named_page(&self.tables, db, pattern, page, |v| {
            Ok(from_json::<TableRecord>(v)?.table)
        })
    }

    fn update_table(
        &self,
        id: &TableIdent,
        table: Table,
        opts: UpdateTableOptions,
    ) -> Result<Table> {
        let new = {
            let _g = self.lock();
            let rec = self.record(id)?;
            let new = prepare_table_update(id, &rec.table, table, opts, &rec.indexes, || {
                self.has_partitions(rec.id)
            })?;
            let old_key = table_key(id.database.as_str(), id.name.as_str());
            let to = table_address(&new, id);
            let key = table_key(to.database.as_str(), to.name.as_str());
            if to != *id {
                // The internal id moves with the name: partitions, versions, index
                // entries and statistics are keyed by it and stay where they are.
                self.db_exists(&to.database)?;
                if self.tables.contains_key(&key).map_err(se)? {
                    return Err(table_exists(&to));
                }
            }
            let value = to_json(&TableRecord {
                id: rec.id,
                table: new.clone(),
                indexes: rec.indexes.clone(),
            })?;
            let archive = (!opts.skip_archive).then_some(&rec.table);
            let mut ops = Vec::new();
            if opts.relocate_partitions {
                let all = pages::scan(&self.partitions, rec.id, &[], None)?.map(|kv| {
                    let (k, v) = kv?;
                    let p = self.decode(rec.id, &k, &v)?;
                    Ok((k, p))
                });
                let puts = relocations(&rec.table, &new, all)?;
                let changes = PartitionChanges {
                    puts,
                    ..Default::default()
                };
                ops = self.change_ops(rec.id, table_location(&new), changes)?;
            }
            let moved_from = (old_key != key).then_some(old_key.as_slice());
            let change = Change::AlterTable {
                before: rec.table.clone(),
                after: new.clone(),
            };
            let commit = TableCommit {
                tid: rec.id,
                moved_from,
                key: &key,
                value: &value,
                archive,
                ops: &ops,
            };
            self.write_table_records(&[commit], vec![change])?;
            new
        };
        self.durable()?;
        Ok(new)
    }

    fn delete_table(&self, id: &TableIdent) -> Result<()> {
        {
            let _g = self.lock();
            let rec = self.record(id)?;
            let key = table_key(id.database.as_str(), id.name.as_str());
            let (events, last) = self.event_ops(vec![Change::DropTable { table: rec.table }])?;
            (&self.tables, &self.gc, &self.partitions)
                .transaction(|(t, g, p)| {
                    t.remove(key.as_slice())?;
                    g.insert(&rec.id.to_be_bytes(), &[])?;
                    apply_in(p, &events)
                })
                .map_err(te)?;
            self.logged(last);
        }
        self.durable()?;
        self.purge_garbage()
    }

    fn list_table_versions(
        &self,
        id: &TableIdent,
        page: &PageRequest,
    ) -> Result<Page<TableVersion>> {
        let rec = self.record(id)?;
        let archived = self
            .versions
            .scan_prefix(rec.id.to_be_bytes())
            .values()
            .rev()
            .map(|v| from_json(&v.map_err(se)?));
        collect_versions(rec.table, archived, page)
    }

    fn get_table_version(&self, id: &TableIdent, version: u64) -> Result<TableVersion> {
        let rec = self.record(id)?;
        if rec.table.version_id == Some(version) {
            return Ok(TableVersion {
                version_id: version,
                table: rec.table,
            });
        }
        match self
            .versions
            .get(id_key(rec.id, &version.to_be_bytes()))
            .map_err(se)?
        {
            Some(b) => Ok(TableVersion {
                version_id: version,
                table: from_json(&b)?,
            }),
            None => Err(Error::not_found(format!(
                "version {version} of table {id} not found"
            ))),
        }
    }

    fn delete_table_versions(
        &self,
        id: &TableIdent,
        versions: &[u64],
    ) -> Result<Vec<(u64, Error)>> {
        let errors = {
            let _g = self.lock();
            let rec = self.record(id)?;
            let (del, errors) = plan_version_deletes(id, &rec.table, versions, |v| {
                self.versions
                    .contains_key(id_key(rec.id, &v.to_be_bytes()))
                    .map_err(se)
            })?;
            let mut batch = Batch::default();
            for v in del {
                batch.remove(id_key(rec.id, &v.to_be_bytes()));
            }
            self.versions.apply_batch(batch).map_err(se)?;
            errors
        };
        self.durable()?;
        Ok(errors)
    }

    fn create_partitions(
        &self,
        id: &TableIdent,
        parts: Vec<Partition>,
        if_not_exists: bool,
    ) -> Result<Vec<PartitionError>> {
        let errors = {
            let _g = self.lock();
            let rec = self.record(id)?;
            let present = self.present_in_span(rec.id, &parts)?;
            let (writes, errors) =
                plan_partition_creates(id, &rec.table, parts, if_not_exists, |k| match &present {
                    Some((lo, hi, keys)) if lo.as_slice() <= k && k <= hi.as_slice() => {
                        Ok(keys.contains(k))
                    }
                    _ => Ok(self.partition(rec.id, k)?.is_some()),
                })?;
            if !writes.is_empty() {
                let count = self.partition_count(rec.id)? + writes.len() as u64;
                let log = added(&rec.table, &writes);
                let changes = PartitionChanges::new(&rec.indexes, &rec.table, Vec::new(), writes)?;
                let mut ops = self.change_ops(rec.id, table_location(&rec.table), changes)?;
                ops.push((id_key(rec.id, &[]), Some(count.to_be_bytes().to_vec())));
                self.commit(rec.id, || self.apply_logged(ops, log))?;
            }
            errors
        };
        self.durable()?;
        Ok(errors)
    }

    fn replace_partitions(&self, id: &TableIdent, parts: Vec<Partition>) -> Result<()> {
        {
            let _g = self.lock();
            let rec = self.record(id)?;
            let mut before = std::collections::HashMap::new();
            let puts = plan_partition_replacements(id, &rec.table, parts, |k| {
                match self.partition(rec.id, k)? {
                    Some(b) => {
                        let p = self.decode(rec.id, k, &b)?;
                        before.insert(k.to_vec(), p.clone());
                        Ok(Some(p))
                    }
                    None => Ok(None),
                }
            })?;
            let log = partitions_altered(
                &rec.table,
                puts.iter().map(|(k, p)| (before.remove(k), p.clone())),
            );
            let changes = PartitionChanges::new(&rec.indexes, &rec.table, Vec::new(), puts)?;
            let ops = self.change_ops(rec.id, table_location(&rec.table), changes)?;
            self.commit(rec.id, || self.apply_logged(ops, log))?;
        }
        self.durable()
    }

    fn get_partition(&self, id: &TableIdent, values: &[String]) -> Result<Partition> {
        let rec = self.record(id)?;
        check_values_for(&rec.table, values)?;
        let key = encode_values(values);
        match self.partition(rec.id, &key)? {
            Some(b) => Ok(present_partition(id, self.decode(rec.id, &key, &b)?)),
            None => Err(partition_not_found(id, values)),
        }
    }

    fn update_partition(
        &self,
        id: &TableIdent,
        values: &[String],
        part: Partition,
    ) -> Result<Partition> {
        let p = {
            let _g = self.lock();
            let rec = self.record(id)?;
            check_values_for(&rec.table, values)?;
            let key = encode_values(values);
            let cur = match self.partition(rec.id, &key)? {
                Some(b) => self.decode(rec.id, &key, &b)?,
                None => return Err(partition_not_found(id, values)),
            };
            let (old, new, p) = plan_partition_update(id, &rec.table, values, &cur, part, |k| {
                Ok(self.partition(rec.id, k)?.is_some())
            })?;
            let log = partitions_altered(&rec.table, [(Some(cur), p.clone())]);
            let changes =
                PartitionChanges::replace(&rec.indexes, &rec.table, old, (new, p.clone()))?;
            let ops = self.change_ops(rec.id, table_location(&rec.table), changes)?;
            self.commit(rec.id, || self.apply_logged(ops, log))?;
            p
        };
        self.durable()?;
        Ok(present_partition(id, p))
    }

    fn delete_partitions(
        &self,
        id: &TableIdent,
        values: &[Vec<String>],
    ) -> Result<Vec<PartitionError>> {
        let errors = {
            let _g = self.lock();
            let rec = self.record(id)?;
            let (removed, errors) = plan_partition_deletes(id, &rec.table, values, |k| {
                Ok(self.partition(rec.id, k)?.is_some())
            })?;
            if !removed.is_empty() {
                let count = self
                    .partition_count(rec.id)?
                    .saturating_sub(removed.len() as u64);
                let log = dropped(&rec.table, &removed)?;
                let changes = PartitionChanges::new(&rec.indexes, &rec.table, removed, Vec::new())?;
                let mut ops = self.change_ops(rec.id, None, changes)?;
                ops.push((id_key(rec.id, &[]), Some(count.to_be_bytes().to_vec())));
                self.apply_logged(ops, log)?;
            }
            errors
        };
        self.durable()?;
        Ok(errors)
    }

    fn list_partitions_with(
        &self,
        id: &TableIdent,
        filter: Option<&FilterExpr>,
        page: &PageRequest,
        values_only: bool,
    ) -> Result<Page<Partition>> {
        let rec = self.record(id)?;
        let scan = PartitionScan::new(&rec.table, &rec.indexes, filter, page)?;
        let iter: Box<dyn Iterator<Item = Result<pages::Entry>>> = match scan.source {
            ScanSource::Partitions => Box::new(pages::scan(
                &self.partitions,
                rec.id,
                &scan.start,
                scan.end.as_deref(),
            )?),
            ScanSource::Index(_) => {
                let space = rec.id | INDEX_SPACE;
                let end = match &scan.end {
                    Some(e) => id_key(space, e),
                    None => id_key(space + 1, &[]),
                };
                let range = self.partitions.range(id_key(space, &scan.start)..end);
                Box::new(range.map(|kv| {
                    let (k, v) = kv.map_err(se)?;
                    Ok((k[8..].to_vec(), v.to_vec()))
                }))
            }
        };
        let (page, examined) = scan.collect(
            id,
            page.limit,
            iter,
            |k, b| self.decode(rec.id, k, b),
            |k| self.partition(rec.id, k),
            values_only,
        )?;
        self.examined.fetch_add(examined, Ordering::Relaxed);
        Ok(page)
    }

    fn create_function(&self, db: &DatabaseName, f: Function) -> Result<Function> {
        let f = prepare_function(db, f, None)?;
        {
            let _g = self.lock();
            self.db_exists(db)?;
            let key = table_key(db.as_str(), &f.function_name);
            if self.functions.contains_key(&key).map_err(se)? {
                return Err(Error::already_exists(format!(
                    "function {db}.{} already exists",
                    f.function_name
                )));
            }
            let ops = [(key, Some(to_json(&f)?))];
            let change = Change::CreateFunction {
                function: f.clone(),
            };
            self.write_logged(&self.functions, &ops, vec![change])?;
        }
        self.durable()?;
        Ok(f)
    }

    fn get_function(&self, db: &DatabaseName, name: &str) -> Result<Function> {
        self.db_exists(db)?;
        match self
            .functions
            .get(table_key(db.as_str(), &name.to_lowercase()))
            .map_err(se)?
        {
            Some(b) => from_json(&b),
            None => Err(function_not_found(db, name)),
        }
    }

    fn list_functions(
        &self,
        db: &DatabaseName,
        pattern: Option<&regex::Regex>,
        page: &PageRequest,
    ) -> Result<Page<Function>> {
        self.db_exists(db)?;
        named_page(&self.functions, db, pattern, page, |v| {
            from_json::<Function>(v)
        })
    }

    fn update_function(&self, db: &DatabaseName, name: &str, f: Function) -> Result<Function> {
        let f = {
            let _g = self.lock();
            self.db_exists(db)?;
            let old = table_key(db.as_str(), &name.to_lowercase());
            let before = match self.functions.get(&old).map_err(se)? {
                Some(b) => from_json::<Function>(&b)?,
                None => return Err(function_not_found(db, name)),
            };
            let f = prepare_function(db, f, Some(before.create_time))?;
            let new = table_key(db.as_str(), &f.function_name);
            if new != old && self.functions.contains_key(&new).map_err(se)? {
                return Err(Error::already_exists(format!(
                    "function {db}.{} already exists",
                    f.function_name
                )));
            }
            let ops = [(old, None), (new, Some(to_json(&f)?))];
            let log = lakecat_catalog_api::events::function_replaced(before, f.clone());
            self.write_logged(&self.functions, &ops, log)?;
            f
        };
        self.durable()?;
        Ok(f)
    }

    fn delete_function(&self, db: &DatabaseName, name: &str) -> Result<()> {
        {
            let _g = self.lock();
            self.db_exists(db)?;
            let key = table_key(db.as_str(), &name.to_lowercase());
            let function = match self.functions.get(&key).map_err(se)? {
                Some(b) => from_json(&b)?,
                None => return Err(function_not_found(db, name)),
            };
            let change = Change::DropFunction { function };
            self.write_logged(&self.functions, &[(key, None)], vec![change])?;
        }
        self.durable()
    }

    fn write_table(&self, db: &DatabaseName, write: TableWrite) -> Result<Table> {
        let mut t = self.write_tables(vec![(db.clone(), write)])?;
        Ok(t.remove(0))
    }

    fn write_tables(&self, writes: Vec<(DatabaseName, TableWrite)>) -> Result<Vec<Table>> {
        check_distinct_tables(&writes)?;
        let tables = {
            let _g = self.lock();
            // Every write is planned (and so checked) before the one transaction;
            // templates planning registered are forgotten if anything fails.
            let mut touched = Vec::new();
            let mut log = Vec::new();
            let planned = (|| -> Result<Vec<Planned>> {
                let mut planned: Vec<Planned> = Vec::with_capacity(writes.len());
                for (db, write) in writes {
                    self.db_exists(&db)?;
                    let key = table_key(db.as_str(), write.table.name.as_str());
                    let rec: Option<TableRecord> = match self.tables.get(&key).map_err(se)? {
                        Some(b) => Some(from_json(&b)?),
                        None => None,
                    };
                    let count = match &rec {
                        Some(r) => self.partition_count(r.id)?,
                        None => 0,
                    };
                    let tid = match &rec {
                        Some(r) => r.id,
                        None => self.db.generate_id().map_err(se)? + 1,
                    };
                    let indexes = rec.as_ref().map(|r| r.indexes.clone()).unwrap_or_default();
                    let current = rec.as_ref().map(|r| (&r.table, count));
                    touched.push(tid);
                    let mut plan = plan_table_write(&db, current, &indexes, write, |k| match self
                        .partition(tid, k)?
                    {
                        Some(b) => Ok(Some(self.decode(tid, k, &b)?.create_time)),
                        None => Ok(None),
                    })?;
                    log.append(&mut plan.events);
                    let value = to_json(&TableRecord {
                        id: tid,
                        table: plan.table.clone(),
                        indexes,
                    })?;
                    let mut ops =
                        self.change_ops(tid, table_location(&plan.table), plan.changes)?;
                    ops.push((
                        id_key(tid, &[]),
                        Some(plan.partition_count.to_be_bytes().to_vec()),
                    ));
                    planned.push((tid, key, value, rec.map(|r| r.table), ops, plan.table));
                }
                Ok(planned)
            })();
            let planned = match planned {
                Ok(p) => p,
                Err(e) => {
                    for tid in touched {
                        self.templates.forget(tid);
                    }
                    return Err(e);
                }
            };
            let commits: Vec<TableCommit<'_>> = planned
                .iter()
                .map(|(tid, key, value, archive, ops, _)| TableCommit {
                    tid: *tid,
                    moved_from: None,
                    key,
                    value,
                    archive: archive.as_ref(),
                    ops,
                })
                .collect();
            self.write_table_records(&commits, log)?;
            planned.into_iter().map(|p| p.5).collect::<Vec<_>>()
        };
        self.durable()?;
        Ok(tables)
    }

    fn create_partition_index(&self, id: &TableIdent, index: PartitionIndex) -> Result<()> {
        {
            let _g = self.lock();
            let mut rec = self.record(id)?;
            let index = prepare_index(&rec.table, &rec.indexes, index)?;
            let slot_space = id_key(rec.id | INDEX_SPACE, &[index.slot]);
            self.purge_prefix(&self.partitions, &slot_space)?;
            // Fill the index from the partition keys alone (no record is decoded), in
            // chunks: the entries are unused until the record below names the index.
            let set = IndexSet::new(&rec.table, std::slice::from_ref(&index))?;
            let mut batch = Batch::default();
            let mut n = 0;
            for kv in pages::scan(&self.partitions, rec.id, &[], None)? {
                let (k, _) = kv?;
                let values =
                    decode_values(&k).ok_or_else(|| Error::storage("corrupt partition key"))?;
                for e in set.entries(&values) {
                    batch.insert(id_key(rec.id | INDEX_SPACE, &e), &[]);
                }
                n += 1;
                if n % PURGE_CHUNK == 0 {
                    self.partitions
                        .apply_batch(std::mem::take(&mut batch))
                        .map_err(se)?;
                }
            }
            self.partitions.apply_batch(batch).map_err(se)?;
            self.durable()?;
            rec.indexes.push(index.clone());
            let key = table_key(id.database.as_str(), id.name.as_str());
            let change = Change::CreatePartitionIndex {
                table: rec.table.clone(),
                index,
            };
            self.write_logged(&self.tables, &[(key, Some(to_json(&rec)?))], vec![change])?;
        }
        self.durable()
    }

    fn list_partition_indexes(&self, id: &TableIdent) -> Result<Vec<PartitionIndex>> {
        Ok(self.record(id)?.indexes)
    }

    fn delete_partition_index(&self, id: &TableIdent, name: &str) -> Result<()> {
        let _g = self.lock();
        let mut rec = self.record(id)?;
        let index = rec.indexes.remove(index_position(id, &rec.indexes, name)?);
        let slot = index.slot;
        let key = table_key(id.database.as_str(), id.name.as_str());
        let change = Change::DropPartitionIndex {
            table: rec.table.clone(),
            index_name: index.index_name,
        };
        self.write_logged(&self.tables, &[(key, Some(to_json(&rec)?))], vec![change])?;
        self.durable()?;
        // The index is gone once the record says so; its entries are garbage now.
        self.purge_prefix(&self.partitions, &id_key(rec.id | INDEX_SPACE, &[slot]))?;
        self.durable()
    }

    fn update_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        stats: Vec<ColumnStatistics>,
    ) -> Result<Vec<ColumnStatisticsError>> {
        let errors = {
            let _g = self.lock();
            let rec = self.record(id)?;
            let (key, part) = self.stats_target(id, &rec, partition)?;
            let (ok, errors) =
                plan_statistics_update(columns_of(&rec.table, part.as_ref()), stats)?;
            let mut ops = Vec::new();
            for st in &ok {
                let k = id_key(
                    rec.id | STATS_SPACE,
                    &stats_key(key.as_deref(), &st.column_name),
                );
                ops.push((k, Some(to_json(st)?)));
            }
            let log = lakecat_catalog_api::events::statistics_updated(&rec.table, partition, &ok);
            self.apply_logged(ops, log)?;
            errors
        };
        self.durable()?;
        Ok(errors)
    }

    fn get_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        columns: &[String],
    ) -> Result<Vec<ColumnStatistics>> {
        let rec = self.record(id)?;
        let (key, part) = self.stats_target(id, &rec, partition)?;
        let cols = columns_of(&rec.table, part.as_ref());
        let mut out = Vec::new();
        for c in lookup_columns(columns)? {
            let k = id_key(rec.id | STATS_SPACE, &stats_key(key.as_deref(), &c));
            if let Some(b) = self.partitions.get(k).map_err(se)? {
                let st: ColumnStatistics = from_json(&b)?;
                if is_current(cols, &st) {
                    out.push(st);
                }
            }
        }
        Ok(out)
    }

    fn delete_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        column: &str,
    ) -> Result<()> {
        {
            let _g = self.lock();
            let rec = self.record(id)?;
            let (key, part) = self.stats_target(id, &rec, partition)?;
            let cols = columns_of(&rec.table, part.as_ref());
            let k = id_key(
                rec.id | STATS_SPACE,
                &stats_key(key.as_deref(), &column.to_lowercase()),
            );
            let current = match self.partitions.get(&k).map_err(se)? {
                Some(b) => is_current(cols, &from_json(&b)?),
                None => false,
            };
            if !current {
                return Err(statistics_not_found(id, partition, column));
            }
            let log =
                lakecat_catalog_api::events::statistics_deleted(&rec.table, partition, column);
            self.apply_logged(vec![(k, None)], log)?;
        }
        self.durable()
    }

    fn get_record(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .records
            .get(table_key(space, key))
            .map_err(se)?
            .map(|v| v.to_vec()))
    }

    fn list_records(
        &self,
        space: &str,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<(String, Vec<u8>)>> {
        let start = match page_start(page)? {
            Some(k) => {
                let mut k = table_key(space, &k);
                k.push(0);
                k
            }
            None => table_key(space, prefix),
        };
        let scope = table_key(space, prefix);
        let strip = space.len() + 1;
        let iter = self
            .records
            .range(start..)
            .take_while(|kv| kv.as_ref().map_or(true, |(k, _)| k.starts_with(&scope)))
            .map(|kv| {
                let (k, v) = kv.map_err(se)?;
                let key = String::from_utf8_lossy(&k[strip..]).into_owned();
                Ok((key.clone(), (key, v.to_vec())))
            });
        collect_named(page.limit, iter)
    }

    fn write_records_logged(&self, writes: Vec<RecordWrite>, changes: Vec<Change>) -> Result<()> {
        {
            let _g = self.lock();
            let mut ops = Vec::with_capacity(writes.len());
            for w in writes {
                let k = table_key(&w.space, &w.key);
                let cur = self.records.get(&k).map_err(se)?;
                check_expectation(&w, cur.as_deref())?;
                ops.push((k, w.value));
            }
            if changes.is_empty() {
                self.records.apply_batch(batch_of(ops)).map_err(se)?;
            } else {
                self.write_logged(&self.records, &ops, changes)?;
            }
        }
        self.durable()
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        let visible = self.durable_events.load(Ordering::SeqCst);
        let from = id_key(EVENT_SPACE, &after.saturating_add(1).to_be_bytes());
        let to = id_key(EVENT_SPACE, &visible.saturating_add(1).to_be_bytes());
        if from >= to {
            return Ok(Vec::new());
        }
        self.partitions
            .range(from..to)
            .take(limit)
            .map(|kv| events::decode(&kv.map_err(se)?.1))
            .collect()
    }

    fn event_bounds(&self) -> Result<EventBounds> {
        let last = self.durable_events.load(Ordering::SeqCst);
        let first = match self
            .partitions
            .range(id_key(EVENT_SPACE, &1u64.to_be_bytes())..id_key(EVENT_SPACE + 1, &[]))
            .next()
        {
            Some(kv) => {
                let (k, _) = kv.map_err(se)?;
                u64::from_be_bytes(
                    k[8..16]
                        .try_into()
                        .map_err(|_| Error::storage("corrupt event key"))?,
                )
            }
            None => last + 1,
        };
        Ok(EventBounds {
            first: first.min(last + 1),
            last,
        })
    }

    fn set_change_log(&self, on: bool) {
        self.log_off.store(!on, Ordering::Relaxed);
    }

    fn trim_events(&self, retention: &Retention) -> Result<u64> {
        let last = self.durable_events.load(Ordering::SeqCst);
        let (upto, before) = retention.bounds(last, lakecat_catalog_api::events::now_ms());
        let start = id_key(EVENT_SPACE, &1u64.to_be_bytes());
        let mut removed = 0;
        loop {
            // Events are in id order and stamped in commit order, so the ones to
            // go are a prefix: stop at the first that stays.
            let mut batch = Batch::default();
            let mut n = 0;
            let end = id_key(EVENT_SPACE, &last.saturating_add(1).to_be_bytes());
            for kv in self.partitions.range(start.clone()..end).take(PURGE_CHUNK) {
                let (k, v) = kv.map_err(se)?;
                let id = u64::from_be_bytes(
                    k[8..16]
                        .try_into()
                        .map_err(|_| Error::storage("corrupt event key"))?,
                );
                let old_enough = match before {
                    Some(b) => events::decode(&v)?.time_ms < b,
                    None => false,
                };
                if !(upto.is_some_and(|u| id <= u) || old_enough) {
                    break;
                }
                batch.remove(k);
                n += 1;
            }
            if n == 0 {
                break;
            }
            self.partitions.apply_batch(batch).map_err(se)?;
            removed += n;
        }
        if removed > 0 {
            self.durable()?;
        }
        Ok(removed)
    }

    fn record_spaces(&self) -> Result<Vec<String>> {
        // Keys are `space \0 key`: one seek per space, past all of its keys.
        let mut spaces = Vec::new();
        let mut from = Vec::new();
        while let Some(kv) = self.records.range(from.clone()..).next() {
            let (k, _) = kv.map_err(se)?;
            let end = k.iter().position(|b| *b == 0).unwrap_or(k.len());
            spaces.push(String::from_utf8_lossy(&k[..end]).into_owned());
            from = [&k[..end], &[1u8][..]].concat();
        }
        Ok(spaces)
    }

    fn export_table(&self, id: &TableIdent) -> Result<TableImage> {
        let rec = self.record(id)?;
        let versions = self
            .versions
            .scan_prefix(rec.id.to_be_bytes())
            .values()
            .map(|v| from_json(&v.map_err(se)?))
            .collect::<Result<_>>()?;
        let prefix = id_key(rec.id | STATS_SPACE, &[]);
        let statistics = self
            .partitions
            .scan_prefix(&prefix)
            .map(|kv| {
                let (k, v) = kv.map_err(se)?;
                Ok((statistics_owner(&k[prefix.len()..])?, from_json(&v)?))
            })
            .collect::<Result<_>>()?;
        Ok(TableImage {
            table: rec.table,
            versions,
            indexes: rec.indexes,
            statistics,
        })
    }

    fn import_database(&self, db: Database) -> Result<()> {
        {
            let _g = self.lock();
            let prev = self
                .databases
                .compare_and_swap(db.name.as_str(), None as Option<&[u8]>, Some(to_json(&db)?))
                .map_err(se)?;
            if prev.is_err() {
                return Err(Error::already_exists(format!(
                    "database {} already exists",
                    db.name
                )));
            }
        }
        self.durable()
    }

    fn import_table(&self, db: &DatabaseName, image: TableImage) -> Result<()> {
        {
            let _g = self.lock();
            self.db_exists(db)?;
            let key = table_key(db.as_str(), image.table.name.as_str());
            if self.tables.contains_key(&key).map_err(se)? {
                return Err(table_exists(&TableIdent::new(
                    db.clone(),
                    image.table.name.clone(),
                )));
            }
            let tid = self.db.generate_id().map_err(se)? + 1;
            let mut ops = Vec::new();
            for (k, st) in image_statistics_keys(&image) {
                ops.push((id_key(tid | STATS_SPACE, &k), Some(to_json(st)?)));
            }
            let versions = image
                .versions
                .iter()
                .map(|t| {
                    Ok((
                        id_key(tid, &t.version_id.unwrap_or(1).to_be_bytes()),
                        to_json(t)?,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            let value = to_json(&TableRecord {
                id: tid,
                table: image.table,
                indexes: image.indexes,
            })?;
            (&self.tables, &self.versions, &self.partitions)
                .transaction(|(t, v, p)| {
                    t.insert(key.as_slice(), value.as_slice())?;
                    for (k, b) in &versions {
                        v.insert(k.as_slice(), b.as_slice())?;
                    }
                    for (k, b) in &ops {
                        if let Some(b) = b {
                            p.insert(k.as_slice(), b.as_slice())?;
                        }
                    }
                    Ok::<_, ConflictableTransactionError<Error>>(())
                })
                .map_err(te)?;
        }
        self.durable()
    }

    fn import_partitions(&self, id: &TableIdent, parts: Vec<Partition>) -> Result<()> {
        {
            let _g = self.lock();
            let rec = self.record(id)?;
            let puts = import_puts(parts);
            let mut count = self.partition_count(rec.id)?;
            for (k, _) in &puts {
                if self.partition(rec.id, k)?.is_none() {
                    count += 1;
                }
            }
            let changes = PartitionChanges::new(&rec.indexes, &rec.table, Vec::new(), puts)?;
            let mut ops = self.change_ops(rec.id, table_location(&rec.table), changes)?;
            ops.push((id_key(rec.id, &[]), Some(count.to_be_bytes().to_vec())));
            self.commit(rec.id, || {
                self.partitions.apply_batch(batch_of(ops)).map_err(se)
            })?;
        }
        self.durable()
    }

    fn import_function(&self, db: &DatabaseName, f: Function) -> Result<()> {
        {
            let _g = self.lock();
            self.db_exists(db)?;
            let key = table_key(db.as_str(), &f.function_name);
            let prev = self
                .functions
                .compare_and_swap(key, None as Option<&[u8]>, Some(to_json(&f)?))
                .map_err(se)?;
            if prev.is_err() {
                return Err(Error::already_exists(format!(
                    "function {db}.{} already exists",
                    f.function_name
                )));
            }
        }
        self.durable()
    }

    fn partitions_examined(&self) -> u64 {
        self.examined.load(Ordering::Relaxed)
    }

    fn stats(&self) -> Result<StoreStats> {
        let mut partitions = 0;
        for kv in self.tables.iter().values() {
            partitions += self.partition_count(from_json::<TableRecord>(&kv.map_err(se)?)?.id)?;
        }
        Ok(StoreStats {
            databases: self.databases.len() as u64,
            tables: self.tables.len() as u64,
            partitions,
            size_on_disk: self.db.size_on_disk().ok(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Creates database `id.database` and the conformance suite's sample table as `id`.
    fn sample_table_in(s: &dyn CatalogStore, id: &TableIdent) {
        s.create_database(Database::new(id.database.clone()))
            .unwrap();
        let mut t = lakecat_catalog_api::conformance::sample_table(id.name.as_str());
        t.name = id.name.clone();
        s.create_table(&id.database, t).unwrap();
    }

    /// Format-2 values (whole JSON) are read after the upgrade, templates are
    /// read back from disk by a fresh process, and past the per-table cap of
    /// templates descriptors are stored inline.
    #[test]
    fn partition_values_old_new_and_inline_survive_reopening() {
        use lakecat_catalog_api::model::StorageDescriptor;
        let dir = tempfile::tempdir().unwrap();
        let id = TableIdent::parse("d", "t").unwrap();
        let part = |dt: &str, h: usize| {
            let mut p = Partition::new(vec![dt.into(), h.to_string()]);
            p.storage_descriptor = Some(StorageDescriptor {
                location: Some(format!("s3://bucket/t/dt={dt}/hour={h}/")),
                input_format: Some(format!("format-{h}")),
                ..Default::default()
            });
            p
        };
        let mut legacy = part("2023-01-01", 1);
        legacy.create_time = 5;
        let n = templates::MAX_TEMPLATES + 5;
        let written: Vec<_> = (0..n).map(|h| part("2024-01-01", h)).collect();
        {
            let s = SledStore::open(dir.path(), 10).unwrap();
            sample_table_in(&s, &id);
            assert!(s
                .create_partitions(&id, written.clone(), false)
                .unwrap()
                .is_empty());
            let tid = s.record(&id).unwrap().id;
            let stored = s
                .partitions
                .scan_prefix(id_key(tid | TEMPLATE_SPACE, &[]))
                .count();
            assert_eq!(stored, templates::MAX_TEMPLATES);
            // What lakecat with store format 2 wrote for a partition.
            let key = id_key(tid, &encode_values(&legacy.values));
            s.partitions.insert(key, to_json(&legacy).unwrap()).unwrap();
            s.meta.insert(FORMAT_KEY, b"2".as_slice()).unwrap();
            s.durable().unwrap();
        }
        let s = SledStore::open(dir.path(), 10).unwrap();
        assert_eq!(s.meta.get(FORMAT_KEY).unwrap().unwrap().as_ref(), b"3");
        let got = s.get_partition(&id, &legacy.values).unwrap();
        assert_eq!(
            (got.storage_descriptor, got.create_time),
            (legacy.storage_descriptor, 5)
        );
        let listed = s
            .list_partitions(&id, None, &PageRequest::first(2000))
            .unwrap()
            .items;
        assert_eq!(listed.len(), n + 1);
        for w in &written {
            let got = listed.iter().find(|p| p.values == w.values).unwrap();
            assert_eq!(got.storage_descriptor, w.storage_descriptor);
        }
    }

    /// Partitions live in pages that split and empty as they change; whatever
    /// sequence of writes arrives, every read answers what the in-memory store
    /// (one entry per partition) answers.
    #[test]
    fn pages_answer_like_the_memory_store_under_random_writes() {
        use lakecat_catalog_api::memory::MemoryStore;
        use lakecat_catalog_api::model::StorageDescriptor;
        let dir = tempfile::tempdir().unwrap();
        let sled = SledStore::open(dir.path(), 10).unwrap();
        let mem = MemoryStore::new(10);
        let stores: [&dyn CatalogStore; 2] = [&sled, &mem];
        let id = TableIdent::parse("d", "t").unwrap();
        for s in stores {
            sample_table_in(s, &id);
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let part = |dt: u64, h: u64, tag: u64| {
            let mut p = Partition::new(vec![format!("d{dt:02}"), h.to_string()]);
            p.storage_descriptor = Some(StorageDescriptor {
                location: Some(format!("s3://bucket/t/dt=d{dt:02}/hour={h}/")),
                ..Default::default()
            });
            p.parameters.insert("tag".into(), tag.to_string());
            p
        };
        let strip = |mut v: Vec<Partition>| {
            for p in &mut v {
                p.create_time = 0;
            }
            v
        };
        for round in 0..300 {
            match rnd(4) {
                0 | 1 => {
                    let batch: Vec<_> = (0..1 + rnd(150))
                        .map(|_| part(rnd(20), rnd(60), round))
                        .collect();
                    let quiet = rnd(2) == 0;
                    let [a, b] = stores.map(|s| s.create_partitions(&id, batch.clone(), quiet));
                    assert_eq!(format!("{a:?}"), format!("{b:?}"), "round {round}");
                }
                2 => {
                    let values: Vec<_> = (0..1 + rnd(80))
                        .map(|_| part(rnd(20), rnd(60), 0).values)
                        .collect();
                    let [a, b] = stores.map(|s| s.delete_partitions(&id, &values).unwrap());
                    assert_eq!(format!("{a:?}"), format!("{b:?}"), "round {round}");
                }
                _ => {
                    let from = part(rnd(20), rnd(60), 0).values;
                    let to = part(rnd(20), rnd(60), round);
                    let [a, b] = stores
                        .map(|s| s.update_partition(&id, &from, to.clone()).map(|p| p.values));
                    assert_eq!(format!("{a:?}"), format!("{b:?}"), "round {round}");
                }
            }
            let limit = 1 + rnd(90) as usize;
            let [a, b] = stores.map(|s| {
                let mut all = Vec::new();
                let mut page = PageRequest::first(limit);
                loop {
                    let p = s.list_partitions(&id, None, &page).unwrap();
                    all.extend(p.items);
                    match p.next_token {
                        Some(t) => page.token = Some(t),
                        None => return strip(all),
                    }
                }
            });
            assert_eq!(a, b, "round {round}");
            let f = FilterExpr::parse(&format!("dt = 'd{:02}' AND hour > 20", rnd(20)))
                .unwrap()
                .unwrap();
            let [a, b] = stores.map(|s| {
                strip(
                    s.list_partitions(&id, Some(&f), &PageRequest::first(1000))
                        .unwrap()
                        .items,
                )
            });
            assert_eq!(a, b, "round {round}");
            let probe = part(rnd(20), rnd(60), 0).values;
            let [a, b] = stores.map(|s| s.get_partition(&id, &probe).map(|p| strip(vec![p])));
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "round {round}");
        }
        assert!(sled.stats().unwrap().partitions > 100);
    }

    #[test]
    fn a_second_open_of_the_same_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _a = SledStore::open(dir.path(), 10).unwrap();
        let e = SledStore::open(dir.path(), 10).err().unwrap();
        assert!(
            e.message.contains("in use by another lakecat process"),
            "{}",
            e.message
        );
    }

    #[test]
    fn an_incompatible_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SledStore::open(dir.path(), 10).unwrap();
            s.meta.insert(FORMAT_KEY, b"99".as_slice()).unwrap();
            s.durable().unwrap();
        }
        let e = SledStore::open(dir.path(), 10).err().unwrap();
        assert!(
            e.message.contains(&format!(
                "store format 99, but this lakecat reads format {FORMAT_VERSION}"
            )),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_format_1_store_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SledStore::open(dir.path(), 10).unwrap();
            s.create_database(Database::new(DatabaseName::new("d").unwrap()))
                .unwrap();
            s.meta.insert(FORMAT_KEY, b"1".as_slice()).unwrap();
            s.durable().unwrap();
        }
        let s = SledStore::open(dir.path(), 10).unwrap();
        assert_eq!(
            s.meta.get(FORMAT_KEY).unwrap().unwrap().as_ref(),
            FORMAT_VERSION.as_bytes()
        );
        assert_eq!(all_databases(&s).unwrap().len(), 1);
    }

    #[test]
    fn the_change_log_survives_reopening_and_its_ids_never_go_back() {
        let dir = tempfile::tempdir().unwrap();
        let id = TableIdent::parse("d", "t").unwrap();
        {
            let s = SledStore::open(dir.path(), 10).unwrap();
            sample_table_in(&s, &id);
            let parts = vec![Partition::new(vec!["2024-01-01".into(), "1".into()])];
            s.create_partitions(&id, parts, false).unwrap();
            assert_eq!(s.event_bounds().unwrap(), EventBounds { first: 1, last: 3 });
        }
        let s = SledStore::open(dir.path(), 10).unwrap();
        let types: Vec<_> = s
            .events_after(0, 10)
            .unwrap()
            .iter()
            .map(|e| e.change.event_type())
            .collect();
        assert_eq!(types, ["CREATE_DATABASE", "CREATE_TABLE", "ADD_PARTITION"]);
        let all = Retention {
            max_events: Some(0),
            max_age_secs: None,
        };
        assert_eq!(s.trim_events(&all).unwrap(), 3);
        drop(s);
        let s = SledStore::open(dir.path(), 10).unwrap();
        assert_eq!(s.event_bounds().unwrap(), EventBounds { first: 4, last: 3 });
        s.delete_table(&id).unwrap();
        assert_eq!(s.events_after(0, 10).unwrap()[0].id, 4);
    }

    #[test]
    fn data_survives_reopening_and_interrupted_purges_resume() {
        let dir = tempfile::tempdir().unwrap();
        let id = TableIdent::parse("d", "t").unwrap();
        let tid;
        {
            let s = SledStore::open(dir.path(), 10).unwrap();
            sample_table_in(&s, &id);
            let parts = (0..50)
                .map(|h| Partition::new(vec!["2024-01-01".into(), h.to_string()]))
                .collect();
            assert!(s.create_partitions(&id, parts, false).unwrap().is_empty());
            tid = s.record(&id).unwrap().id;
        }
        {
            let s = SledStore::open(dir.path(), 10).unwrap();
            assert_eq!(
                s.list_partitions(&id, None, &PageRequest::first(1000))
                    .unwrap()
                    .items
                    .len(),
                50
            );
            assert_eq!(s.stats().unwrap().partitions, 50);
            // Simulate a crash after the drop was committed but before the purge ran.
            let key = table_key("d", "t");
            (&s.tables, &s.gc)
                .transaction(|(t, g)| {
                    t.remove(key.as_slice())?;
                    g.insert(&tid.to_be_bytes(), &[])?;
                    Ok::<_, ConflictableTransactionError<Error>>(())
                })
                .unwrap();
            s.durable().unwrap();
            assert!(s.has_partitions(tid).unwrap());
        }
        let s = SledStore::open(dir.path(), 10).unwrap();
        assert!(!s.has_partitions(tid).unwrap());
        assert!(s.partitions.scan_prefix(tid.to_be_bytes()).next().is_none());
        assert!(s.gc.is_empty());
    }
}
