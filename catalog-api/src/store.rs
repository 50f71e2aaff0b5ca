//! The store trait every backend implements, and the semantics they share.
//!
//! Backends only decide *how* bytes are kept; *what* a write means (validation,
//! timestamps, versions, per-item batch errors, filter evaluation, paging) lives in
//! the helpers below so that every backend behaves the same. The conformance suite
//! (`conformance` feature) checks that they do.

use crate::error::{Error, Result};
use crate::events::{Change, Event, EventBounds, Retention};
use crate::filter::FilterExpr;
use crate::model::{Database, Function, Partition, Table, TableVersion};
use crate::names::{DatabaseName, TableIdent};
use crate::stats::{ColumnStatistics, ColumnStatisticsError, PartitionIndex};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub token: Option<String>,
    pub limit: usize,
}

impl PageRequest {
    pub fn first(limit: usize) -> Self {
        PageRequest { token: None, limit }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Absent on the last page.
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateTableOptions {
    /// Fail with a conflict unless the table is still at this version.
    pub expected_version: Option<u64>,
    /// Do not keep the replaced table as a version (Glue's `SkipArchive`).
    pub skip_archive: bool,
    /// The table may take the new table's `name` and `database_name` (Hive's
    /// `ALTER TABLE … RENAME TO`): it moves with its partitions, versions, indexes
    /// and statistics. Its location and its files are not touched. Without this,
    /// a different name is refused and `database_name` is ignored.
    pub rename: bool,
    /// When the table's location changes, partitions whose location lies under
    /// the old one move under the new one in the same atomic write (what Hive
    /// does to a managed table whose folder it moves).
    pub relocate_partitions: bool,
}

/// A table and partition changes applied together in one atomic step: what a crawl
/// (or `MSCK REPAIR TABLE`) writes, so that a reader never sees a new schema with
/// half of its partitions.
#[derive(Debug, Clone, PartialEq)]
pub struct TableWrite {
    pub table: Table,
    /// `None` creates the table, which must not exist; `Some(v)` replaces the table
    /// at version `v` (archiving it) and fails with a conflict otherwise.
    pub expected_version: Option<u64>,
    /// Added, or replacing the partition with the same values (whose `create_time`
    /// is kept). One invalid partition fails the whole write.
    pub put_partitions: Vec<Partition>,
    /// Removed if present.
    pub delete_partitions: Vec<Vec<String>>,
}

/// What a record write expects of the record's current value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Anything,
    Absent,
    Present,
    /// Exactly these bytes: a compare-and-swap.
    Equals(Vec<u8>),
}

/// One write of the records the services around the catalog keep (crawler
/// definitions, runs, classifiers, S3 events, file inventories): opaque bytes by
/// key within a named space, written in atomic groups with expectations, so a
/// state change and its history entry land together or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordWrite {
    pub space: String,
    pub key: String,
    /// `None` removes the record.
    pub value: Option<Vec<u8>>,
    pub expect: Expect,
}

impl RecordWrite {
    pub fn put(space: &str, key: &str, value: Vec<u8>) -> Self {
        RecordWrite {
            space: space.into(),
            key: key.into(),
            value: Some(value),
            expect: Expect::Anything,
        }
    }

    pub fn delete(space: &str, key: &str) -> Self {
        RecordWrite {
            space: space.into(),
            key: key.into(),
            value: None,
            expect: Expect::Anything,
        }
    }

    pub fn expecting(mut self, expect: Expect) -> Self {
        self.expect = expect;
        self
    }
}

/// Checks a write's expectation against the record's current value.
pub fn check_expectation(w: &RecordWrite, current: Option<&[u8]>) -> Result<()> {
    let ok = match (&w.expect, current) {
        (Expect::Anything, _) => true,
        (Expect::Absent, c) => c.is_none(),
        (Expect::Present, c) => c.is_some(),
        (Expect::Equals(v), Some(c)) => v.as_slice() == c,
        (Expect::Equals(_), None) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::conflict(format!(
            "record {}/{} changed meanwhile ({:?} was expected); nothing was written",
            w.space,
            w.key,
            match &w.expect {
                Expect::Equals(_) => "an earlier value",
                Expect::Absent => "no record",
                Expect::Present => "a record",
                Expect::Anything => "anything",
            }
        )))
    }
}

/// One item of a batch that was not applied, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionError {
    pub values: Vec<String>,
    pub error: Error,
}

/// A table as a store holds it, without its partitions: what
/// [`CatalogStore::export_table`] reads and [`CatalogStore::import_table`]
/// writes unchanged (`lakecat store copy`).
#[derive(Debug, Clone, PartialEq)]
pub struct TableImage {
    /// The current table, with its version id and timestamps.
    pub table: Table,
    /// The archived versions, oldest first.
    pub versions: Vec<Table>,
    pub indexes: Vec<PartitionIndex>,
    /// The table's own statistics (`None`) and its partitions' (their values).
    pub statistics: Vec<(Option<Vec<String>>, ColumnStatistics)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub databases: u64,
    pub tables: u64,
    pub partitions: u64,
    pub size_on_disk: Option<u64>,
}

/// What [`CatalogStore::get_table_async`] returns.
pub type StoreFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T>> + Send + 'a>>;

/// A catalog store. Every method is atomic and, once it returns `Ok`, durable.
pub trait CatalogStore: Send + Sync + 'static {
    fn create_database(&self, db: Database) -> Result<Database>;
    fn get_database(&self, name: &DatabaseName) -> Result<Database>;
    fn list_databases(&self, page: &PageRequest) -> Result<Page<Database>>;
    /// Replaces description, location and parameters; the name cannot change.
    fn update_database(&self, name: &DatabaseName, db: Database) -> Result<Database>;
    /// Refuses a database that still has tables unless `cascade`.
    fn delete_database(&self, name: &DatabaseName, cascade: bool) -> Result<()>;

    fn create_table(&self, db: &DatabaseName, table: Table) -> Result<Table>;
    fn get_table(&self, id: &TableIdent) -> Result<Table>;
    /// [`CatalogStore::get_table`] for async callers, the hottest read engines make.
    /// A store whose reads wait on a network (PostgreSQL) answers without holding a
    /// runtime thread; by default the blocking call runs in place, which is what an
    /// embedded store's microsecond read wants.
    fn get_table_async<'a>(&'a self, id: &'a TableIdent) -> StoreFuture<'a, Table> {
        Box::pin(std::future::ready(self.get_table(id)))
    }
    /// Tables ordered by name; `pattern` (a regular expression) must match the whole name.
    fn list_tables(
        &self,
        db: &DatabaseName,
        pattern: Option<&regex::Regex>,
        page: &PageRequest,
    ) -> Result<Page<Table>>;
    fn update_table(
        &self,
        id: &TableIdent,
        table: Table,
        opts: UpdateTableOptions,
    ) -> Result<Table>;
    /// Removes the table, its versions and all its partitions.
    fn delete_table(&self, id: &TableIdent) -> Result<()>;
    /// Newest first, the current table included.
    fn list_table_versions(
        &self,
        id: &TableIdent,
        page: &PageRequest,
    ) -> Result<Page<TableVersion>>;
    fn get_table_version(&self, id: &TableIdent, version: u64) -> Result<TableVersion>;
    /// Removes archived versions in one atomic step and reports the ones that could
    /// not be removed (missing, or the current version, which cannot be deleted).
    fn delete_table_versions(&self, id: &TableIdent, versions: &[u64])
        -> Result<Vec<(u64, Error)>>;

    /// Writes every valid, new partition in one atomic step and reports the others.
    /// With `if_not_exists`, existing partitions are skipped silently.
    fn create_partitions(
        &self,
        id: &TableIdent,
        parts: Vec<Partition>,
        if_not_exists: bool,
    ) -> Result<Vec<PartitionError>>;
    fn get_partition(&self, id: &TableIdent, values: &[String]) -> Result<Partition>;
    /// Replaces a partition; its values may change (a rename) if the new ones are free.
    fn update_partition(
        &self,
        id: &TableIdent,
        values: &[String],
        part: Partition,
    ) -> Result<Partition>;
    /// Replaces existing partitions (each keeps its values and creation time) all
    /// or nothing: one that does not exist or is invalid fails the call and
    /// nothing is written (Hive's `alter_partitions`).
    fn replace_partitions(&self, id: &TableIdent, parts: Vec<Partition>) -> Result<()>;
    /// Deletes the existing partitions in one atomic step and reports the missing ones.
    fn delete_partitions(
        &self,
        id: &TableIdent,
        values: &[Vec<String>],
    ) -> Result<Vec<PartitionError>>;
    /// Partitions ordered by their values (as text), optionally filtered.
    fn list_partitions(
        &self,
        id: &TableIdent,
        filter: Option<&FilterExpr>,
        page: &PageRequest,
    ) -> Result<Page<Partition>> {
        self.list_partitions_with(id, filter, page, false)
    }
    /// [`CatalogStore::list_partitions`]; with `values_only`, the partitions carry
    /// only their values (read from the keys: nothing else is decoded), for
    /// listings of partition names.
    fn list_partitions_with(
        &self,
        id: &TableIdent,
        filter: Option<&FilterExpr>,
        page: &PageRequest,
        values_only: bool,
    ) -> Result<Page<Partition>>;

    fn create_function(&self, db: &DatabaseName, f: Function) -> Result<Function>;
    fn get_function(&self, db: &DatabaseName, name: &str) -> Result<Function>;
    /// Functions ordered by name; `pattern` (a regular expression) must match the whole name.
    fn list_functions(
        &self,
        db: &DatabaseName,
        pattern: Option<&regex::Regex>,
        page: &PageRequest,
    ) -> Result<Page<Function>>;
    /// Replaces a function; its name may change if the new one is free.
    fn update_function(&self, db: &DatabaseName, name: &str, f: Function) -> Result<Function>;
    fn delete_function(&self, db: &DatabaseName, name: &str) -> Result<()>;

    /// Creates or replaces a table and changes its partitions, all or nothing.
    fn write_table(&self, db: &DatabaseName, write: TableWrite) -> Result<Table>;

    /// Several [`write_table`](Self::write_table)s as one: every table is written
    /// or none is (Iceberg's multi-table transactions). A table named twice is
    /// refused.
    fn write_tables(&self, writes: Vec<(DatabaseName, TableWrite)>) -> Result<Vec<Table>>;

    /// Adds a partition index and fills it from the existing partitions in one
    /// atomic step; the index is active when this returns.
    fn create_partition_index(&self, id: &TableIdent, index: PartitionIndex) -> Result<()>;
    fn list_partition_indexes(&self, id: &TableIdent) -> Result<Vec<PartitionIndex>>;
    fn delete_partition_index(&self, id: &TableIdent, name: &str) -> Result<()>;

    /// Stores column statistics of the table (`partition` `None`) or of one of its
    /// partitions, replacing earlier ones of the same columns; invalid records are
    /// reported and the others written.
    fn update_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        stats: Vec<ColumnStatistics>,
    ) -> Result<Vec<ColumnStatisticsError>>;
    /// The current statistics of the named columns that have some, in the order
    /// asked; statistics of a column whose type changed since are not current.
    fn get_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        columns: &[String],
    ) -> Result<Vec<ColumnStatistics>>;
    fn delete_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        column: &str,
    ) -> Result<()>;

    /// The record `key` of a record space, if any (see [`RecordWrite`]).
    fn get_record(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>>;
    /// Records of a space whose keys start with `prefix`, in key order, as
    /// `(key, value)`.
    fn list_records(
        &self,
        space: &str,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<(String, Vec<u8>)>>;
    /// Applies every write or none: if one expectation does not hold, nothing is
    /// written and the error (a conflict) names the record.
    fn write_records(&self, writes: Vec<RecordWrite>) -> Result<()> {
        self.write_records_logged(writes, Vec::new())
    }
    /// [`write_records`](Self::write_records) that also appends `changes` to the
    /// change log in the same atomic write (with no writes, it only logs them).
    fn write_records_logged(&self, writes: Vec<RecordWrite>, changes: Vec<Change>) -> Result<()>;

    // The change log (see [`crate::events`]): every write above appends its
    // changes in the same atomic step; imports (`store copy`) log nothing.

    /// Up to `limit` events with ids above `after`, oldest first. Only events
    /// whose write is durable are shown.
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>>;
    fn event_bounds(&self) -> Result<EventBounds>;
    /// Removes the events `retention` no longer keeps; returns how many.
    fn trim_events(&self, retention: &Retention) -> Result<u64>;
    /// Turns this process's logging of its writes off (or on again): for
    /// operators who want no log (`--change-log off`) and for the benchmark
    /// that prices it. Writes from other replicas are not affected.
    fn set_change_log(&self, on: bool);

    /// The names of the record spaces that hold records, in order.
    fn record_spaces(&self) -> Result<Vec<String>>;

    /// Whether other processes may use this store at the same time (replicas
    /// on one database). An exclusive store's leftovers of an earlier process
    /// (a crawl marked running, a lease) belong to no one alive.
    fn shared(&self) -> bool {
        false
    }

    // Copying a catalog from one store to another (`lakecat store copy`): what
    // is read is written back as it was, timestamps and versions included, into
    // a store that does not have it yet. Nothing is validated or stamped anew.

    fn export_table(&self, id: &TableIdent) -> Result<TableImage>;
    /// Writes a database as given; it must not exist.
    fn import_database(&self, db: Database) -> Result<()>;
    /// Writes a table, its versions, indexes and statistics as given into an
    /// existing database; the table must not exist.
    fn import_table(&self, db: &DatabaseName, image: TableImage) -> Result<()>;
    /// Writes partitions of an imported table as given (creation times kept),
    /// with their index entries, all or nothing.
    fn import_partitions(&self, id: &TableIdent, parts: Vec<Partition>) -> Result<()>;
    /// Writes a function as given; it must not exist.
    fn import_function(&self, db: &DatabaseName, f: Function) -> Result<()>;

    /// How many stored partitions (or index entries) listings have examined since
    /// the store was opened: what a partition index saves shows here.
    fn partitions_examined(&self) -> u64;

    fn stats(&self) -> Result<StoreStats>;
}

/// Reads pages until the last one: for callers that need everything (a crawl's
/// comparison, `MSCK REPAIR`, `SHOW` statements).
fn drain<T>(mut page: impl FnMut(&PageRequest) -> Result<Page<T>>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let mut req = PageRequest::first(crate::limits::MAX_PAGE_SIZE);
    loop {
        let p = page(&req)?;
        out.extend(p.items);
        match p.next_token {
            Some(t) => req.token = Some(t),
            None => return Ok(out),
        }
    }
}

/// Every database.
pub fn all_databases(store: &dyn CatalogStore) -> Result<Vec<Database>> {
    drain(|p| store.list_databases(p))
}

/// Every table of a database (whose name matches `pattern`, if given).
pub fn all_tables(
    store: &dyn CatalogStore,
    db: &DatabaseName,
    pattern: Option<&regex::Regex>,
) -> Result<Vec<Table>> {
    drain(|p| store.list_tables(db, pattern, p))
}

/// Every function of a database.
pub fn all_functions(store: &dyn CatalogStore, db: &DatabaseName) -> Result<Vec<Function>> {
    drain(|p| store.list_functions(db, None, p))
}

/// Every record of a space under `prefix`, in key order, as `(key, value)`.
pub fn all_records(
    store: &dyn CatalogStore,
    space: &str,
    prefix: &str,
) -> Result<Vec<(String, Vec<u8>)>> {
    drain(|p| store.list_records(space, prefix, p))
}

/// Every partition of a table, in order.
pub fn all_partitions(store: &dyn CatalogStore, id: &TableIdent) -> Result<Vec<Partition>> {
    drain(|p| store.list_partitions(id, None, p))
}

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn db_not_found(name: &DatabaseName) -> Error {
    Error::not_found(format!("database {name} not found"))
}

pub fn table_not_found(id: &TableIdent) -> Error {
    Error::not_found(format!("table {id} not found"))
}

pub fn partition_not_found(id: &TableIdent, values: &[String]) -> Error {
    Error::not_found(format!("partition {values:?} of table {id} not found"))
}

pub fn partition_exists(id: &TableIdent, values: &[String]) -> Error {
    Error::already_exists(format!("partition {values:?} of table {id} already exists"))
}

/// Validates and stamps a new database.
pub fn prepare_new_database(mut db: Database) -> Result<Database> {
    db.normalize()?;
    db.create_time = now_secs();
    Ok(db)
}

pub fn prepare_database_update(
    name: &DatabaseName,
    current: &Database,
    mut db: Database,
) -> Result<Database> {
    if &db.name != name {
        return Err(Error::invalid(format!(
            "a database cannot be renamed (from {name} to {})",
            db.name
        )));
    }
    db.normalize()?;
    db.create_time = current.create_time;
    Ok(db)
}

/// Validates and stamps a new table.
pub fn prepare_new_table(db: &DatabaseName, mut table: Table) -> Result<Table> {
    table.normalize()?;
    let now = now_secs();
    table.database_name = Some(db.clone());
    table.create_time = now;
    table.update_time = now;
    table.version_id = Some(1);
    Ok(table)
}

/// Checks an update against the current table and stamps the new one.
/// `has_partitions` is asked only when the partition keys change in number.
pub fn prepare_table_update(
    id: &TableIdent,
    current: &Table,
    mut table: Table,
    opts: UpdateTableOptions,
    indexes: &[PartitionIndex],
    has_partitions: impl FnOnce() -> Result<bool>,
) -> Result<Table> {
    let cur_version = current.version_id.unwrap_or(1);
    if let Some(expected) = opts.expected_version.or(table.version_id) {
        if expected != cur_version {
            return Err(Error::conflict(format!(
                "table {id} is at version {cur_version}, not {expected}: it was changed by someone else; reload it and retry"
            )));
        }
    }
    let target = match (&table.database_name, opts.rename) {
        (Some(d), true) => TableIdent::new(d.clone(), table.name.clone()),
        _ => TableIdent::new(id.database.clone(), table.name.clone()),
    };
    if target != *id && !opts.rename {
        return Err(Error::invalid(format!(
            "a table cannot be renamed by an update (from {} to {})",
            id.name, table.name
        )));
    }
    table.normalize()?;
    crate::index::check_index_keys(current, &table, indexes)?;
    if table.partition_keys.len() != current.partition_keys.len() && has_partitions()? {
        return Err(Error::invalid(format!(
            "table {id} has partitions, so the number of its partition keys cannot change from {} to {}",
            current.partition_keys.len(),
            table.partition_keys.len()
        )));
    }
    table.database_name = Some(target.database);
    table.create_time = current.create_time;
    table.update_time = now_secs();
    table.version_id = Some(cur_version + 1);
    Ok(table)
}

/// Where an updated table lives: its new address after a rename.
pub fn table_address(updated: &Table, id: &TableIdent) -> TableIdent {
    match &updated.database_name {
        Some(d) => TableIdent::new(d.clone(), updated.name.clone()),
        None => id.clone(),
    }
}

/// The folder a managed table named `name` gets in a database kept at
/// `database_location`, as Hive places it.
pub fn managed_table_folder(database_location: &str, name: &str) -> String {
    format!("{}/{name}", database_location.trim_end_matches('/'))
}

/// Whether `table` (named by `id`) is a managed table in its database's folder
/// under its own name: the one kind of table whose folder Hive moves on a rename.
pub fn in_database_folder(id: &TableIdent, table: &Table, database_location: Option<&str>) -> bool {
    let loc = table
        .storage_descriptor
        .as_ref()
        .and_then(|sd| sd.location.as_deref());
    let (Some(crate::model::TableType::ManagedTable), Some(loc), Some(db)) =
        (table.table_type, loc, database_location)
    else {
        return false;
    };
    let norm = |l: &str| {
        l.replacen("file:///", "file:/", 1)
            .trim_end_matches('/')
            .to_string()
    };
    norm(loc) == norm(&managed_table_folder(db, id.name.as_str()))
}

/// Refuses to rename a managed table in its database's folder where only the
/// metadata is renamed: Hive would move that folder (and its partitions'
/// locations) with the new name. Other tables keep their location under any
/// name, as in Hive.
pub fn check_rename(id: &TableIdent, table: &Table, database_location: Option<&str>) -> Result<()> {
    if in_database_folder(id, table, database_location) {
        let loc = table
            .storage_descriptor
            .as_ref()
            .and_then(|sd| sd.location.as_deref())
            .unwrap_or_default();
        return Err(Error::invalid(format!(
            "managed table {id} lives in its database's folder ({loc}), which Hive would move with \
             a new name; lakecat renames metadata only, so rename external tables, or set the \
             table's location elsewhere first"
        )));
    }
    Ok(())
}

/// Splits the statistics of an image into the table's own and each partition's,
/// each keyed for storage by [`crate::stats::stats_key`] (what ordered stores use).
pub fn image_statistics_keys(image: &TableImage) -> Vec<(Vec<u8>, &ColumnStatistics)> {
    image
        .statistics
        .iter()
        .map(|(p, s)| {
            let pk = p.as_ref().map(|v| crate::kv::keys::encode_values(v));
            (crate::stats::stats_key(pk.as_deref(), &s.column_name), s)
        })
        .collect()
}

/// The partition values and column of a statistics key made by
/// [`crate::stats::stats_key`].
pub fn statistics_owner(key: &[u8]) -> Result<Option<Vec<String>>> {
    let corrupt = || Error::storage("corrupt column statistics key");
    match key.first() {
        Some(0xFF) => Ok(None),
        Some(0x00) => {
            // The encoded values, then the encoded column name.
            let mut values = crate::kv::keys::decode_values(&key[1..]).ok_or_else(corrupt)?;
            values.pop().ok_or_else(corrupt)?;
            Ok(Some(values))
        }
        _ => Err(corrupt()),
    }
}

/// Refuses a multi-table write that names one table twice (the second write
/// would be planned against a state the first has not made yet).
pub fn check_distinct_tables(writes: &[(DatabaseName, TableWrite)]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for (db, w) in writes {
        if !seen.insert((db.as_str(), w.table.name.as_str())) {
            return Err(Error::invalid(format!(
                "table {db}.{} is written twice in one multi-table write",
                w.table.name.as_str()
            )));
        }
    }
    Ok(())
}

pub fn table_exists(id: &TableIdent) -> Error {
    Error::already_exists(format!("table {id} already exists"))
}

/// The position of the named index among a table's indexes.
pub fn index_position(id: &TableIdent, indexes: &[PartitionIndex], name: &str) -> Result<usize> {
    let name = name.to_lowercase();
    indexes
        .iter()
        .position(|i| i.index_name == name)
        .ok_or_else(|| Error::not_found(format!("partition index {name} not found on table {id}")))
}

pub fn statistics_not_found(id: &TableIdent, partition: Option<&[String]>, column: &str) -> Error {
    match partition {
        None => Error::not_found(format!(
            "no column statistics for column {} of table {id}",
            column.to_lowercase()
        )),
        Some(v) => Error::not_found(format!(
            "no column statistics for column {} of partition {v:?} of table {id}",
            column.to_lowercase()
        )),
    }
}

pub fn function_not_found(db: &DatabaseName, name: &str) -> Error {
    Error::not_found(format!("function {db}.{name} not found"))
}

/// Checks a new or replacing function and stamps it.
pub fn prepare_function(
    db: &DatabaseName,
    mut f: Function,
    create_time: Option<i64>,
) -> Result<Function> {
    f.normalize()?;
    f.database_name = Some(db.clone());
    f.create_time = create_time.unwrap_or_else(now_secs);
    Ok(f)
}

/// Versions that could not be deleted, each with its reason.
pub type VersionErrors = Vec<(u64, Error)>;

/// Splits version ids into those to delete (each once) and per-item errors.
pub fn plan_version_deletes(
    id: &TableIdent,
    current: &Table,
    versions: &[u64],
    mut exists: impl FnMut(u64) -> Result<bool>,
) -> Result<(Vec<u64>, VersionErrors)> {
    let mut del = Vec::new();
    let mut errors = Vec::new();
    for &v in versions {
        if current.version_id == Some(v) {
            errors.push((
                v,
                Error::invalid(format!(
                    "version {v} is the current version of table {id}; it cannot be deleted"
                )),
            ));
        } else if del.contains(&v) {
        } else if exists(v)? {
            del.push(v);
        } else {
            errors.push((
                v,
                Error::not_found(format!("version {v} of table {id} not found")),
            ));
        }
    }
    Ok((del, errors))
}

/// Fills the fields a stored partition does not keep.
pub fn present_partition(id: &TableIdent, mut p: Partition) -> Partition {
    p.database_name = Some(id.database.clone());
    p.table_name = Some(id.name.clone());
    p
}

/// Glue-style partition batch limits are the fronts' business; this is the one
/// shared check that a values list addresses a partition of this table at all.
pub fn check_values_for(table: &Table, values: &[String]) -> Result<()> {
    crate::model::check_values(values, &table.partition_keys)
}

/// Pages over table versions, newest first: the current table, then `archived`
/// (which must iterate newest first). The token is the last version returned.
pub fn collect_versions(
    current: Table,
    archived: impl Iterator<Item = Result<Table>>,
    page: &PageRequest,
) -> Result<Page<TableVersion>> {
    let before = match &page.token {
        None => None,
        Some(t) => Some(t.parse::<u64>().map_err(|_| {
            Error::invalid(format!("page token {t:?} is not one this server gave out"))
        })?),
    };
    let all = std::iter::once(Ok(current)).chain(archived);
    let limit = page.limit.max(1);
    let mut items: Vec<TableVersion> = Vec::new();
    for t in all {
        let t = t?;
        let v = t.version_id.unwrap_or(1);
        if before.is_some_and(|b| v >= b) {
            continue;
        }
        if items.len() == limit {
            let last = items.last().expect("limit >= 1").version_id;
            return Ok(Page {
                items,
                next_token: Some(last.to_string()),
            });
        }
        items.push(TableVersion {
            version_id: v,
            table: t,
        });
    }
    Ok(Page {
        items,
        next_token: None,
    })
}
