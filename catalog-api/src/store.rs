//! The store trait every backend implements, and the semantics they share.
//!
//! Backends only decide *how* bytes are kept; *what* a write means (validation,
//! timestamps, versions, per-item batch errors, filter evaluation, paging) lives in
//! the helpers below so that every backend behaves the same. The conformance suite
//! (`conformance` feature) checks that they do.

use crate::error::{Error, Result};
use crate::filter::{CompiledFilter, FilterExpr};
use crate::index::IndexSet;
use crate::keys::{encode_value, encode_values, prefix_end, token_decode, token_encode};
use crate::model::{Database, Function, Partition, Table, TableVersion};
use crate::names::{DatabaseName, TableIdent};
use crate::stats::{ColumnStatistics, ColumnStatisticsError, PartitionIndex};
use std::collections::HashSet;
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

/// The partitions of `current` that move when an update with
/// [`UpdateTableOptions::relocate_partitions`] gives the table `updated`'s
/// location, with their new locations.
pub fn relocations<'a>(
    current: &Table,
    updated: &Table,
    partitions: impl Iterator<Item = Result<EncodedPartition>> + 'a,
) -> Result<Vec<EncodedPartition>> {
    let loc = |t: &Table| -> Option<String> {
        let l = t.storage_descriptor.as_ref()?.location.as_deref()?;
        Some(l.trim_end_matches('/').to_string())
    };
    let (Some(from), Some(to)) = (loc(current), loc(updated)) else {
        return Ok(Vec::new());
    };
    if from == to {
        return Ok(Vec::new());
    }
    let mut moved = Vec::new();
    for kp in partitions {
        let (k, mut p) = kp?;
        let Some(l) = p
            .storage_descriptor
            .as_mut()
            .and_then(|sd| sd.location.as_mut())
        else {
            continue;
        };
        match l.strip_prefix(&from) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                *l = format!("{to}{rest}");
                moved.push((k, p));
            }
            _ => {}
        }
    }
    Ok(moved)
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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub databases: u64,
    pub tables: u64,
    pub partitions: u64,
    pub size_on_disk: Option<u64>,
}

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
    fn write_records(&self, writes: Vec<RecordWrite>) -> Result<()>;

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

fn partition_exists(id: &TableIdent, values: &[String]) -> Error {
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

pub fn table_exists(id: &TableIdent) -> Error {
    Error::already_exists(format!("table {id} already exists"))
}

/// A partition with its encoded values (its key relative to the table).
pub type EncodedPartition = (Vec<u8>, Partition);

/// Splits a batch of new partitions into the encoded ones to write and per-item errors.
pub fn plan_partition_creates(
    id: &TableIdent,
    table: &Table,
    parts: Vec<Partition>,
    if_not_exists: bool,
    mut exists: impl FnMut(&[u8]) -> Result<bool>,
) -> Result<(Vec<EncodedPartition>, Vec<PartitionError>)> {
    let now = now_secs();
    let mut seen = HashSet::new();
    let mut writes = Vec::with_capacity(parts.len());
    let mut errors = Vec::new();
    for mut p in parts {
        if let Err(error) = p.normalize(&table.partition_keys) {
            errors.push(PartitionError {
                values: p.values,
                error,
            });
            continue;
        }
        let key = encode_values(&p.values);
        if !seen.insert(key.clone()) {
            if !if_not_exists {
                let error =
                    partition_exists(id, &p.values).context("it appears twice in the batch");
                errors.push(PartitionError {
                    values: p.values,
                    error,
                });
            }
            continue;
        }
        if exists(&key)? {
            if !if_not_exists {
                errors.push(PartitionError {
                    error: partition_exists(id, &p.values),
                    values: p.values,
                });
            }
            continue;
        }
        p.database_name = None;
        p.table_name = None;
        p.create_time = now;
        writes.push((key, p));
    }
    Ok((writes, errors))
}

/// Splits a batch of partitions to delete into the encoded keys that exist (each
/// once) and per-item errors for the others.
pub fn plan_partition_deletes(
    id: &TableIdent,
    table: &Table,
    values: &[Vec<String>],
    mut exists: impl FnMut(&[u8]) -> Result<bool>,
) -> Result<(Vec<Vec<u8>>, Vec<PartitionError>)> {
    let mut keys = Vec::new();
    let mut seen = HashSet::new();
    let mut errors = Vec::new();
    for v in values {
        if let Err(error) = check_values_for(table, v) {
            errors.push(PartitionError {
                values: v.clone(),
                error,
            });
            continue;
        }
        let k = encode_values(v);
        if seen.contains(&k) {
            continue;
        }
        if exists(&k)? {
            seen.insert(k.clone());
            keys.push(k);
        } else {
            errors.push(PartitionError {
                values: v.clone(),
                error: partition_not_found(id, v),
            });
        }
    }
    Ok((keys, errors))
}

/// Validates a replacement partition; returns it with the encoded old and new keys.
pub fn plan_partition_update(
    id: &TableIdent,
    table: &Table,
    values: &[String],
    current: &Partition,
    mut part: Partition,
    exists: impl FnOnce(&[u8]) -> Result<bool>,
) -> Result<(Vec<u8>, Vec<u8>, Partition)> {
    part.normalize(&table.partition_keys)?;
    let old_key = encode_values(values);
    let new_key = encode_values(&part.values);
    if new_key != old_key && exists(&new_key)? {
        return Err(partition_exists(id, &part.values));
    }
    part.database_name = None;
    part.table_name = None;
    part.create_time = current.create_time;
    Ok((old_key, new_key, part))
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

/// The checked parts of a [`TableWrite`], ready for a backend to apply.
pub struct PlannedTableWrite {
    pub table: Table,
    /// Existing partitions removed, partitions written, and what follows them.
    pub changes: PartitionChanges,
    /// How many partitions the table has afterwards.
    pub partition_count: u64,
}

/// Validates a [`TableWrite`] against the current table (`None` if it does not
/// exist). `existing` answers a partition's current `create_time`, if it exists.
pub fn plan_table_write(
    db: &DatabaseName,
    current: Option<(&Table, u64)>,
    indexes: &[PartitionIndex],
    write: TableWrite,
    mut existing: impl FnMut(&[u8]) -> Result<Option<i64>>,
) -> Result<PlannedTableWrite> {
    let id = TableIdent::new(db.clone(), write.table.name.clone());
    // Deletes name existing partitions, so they are checked against the current keys.
    let current_table = current.map(|(t, _)| t.clone());
    let (table, current_count) = match (current, write.expected_version) {
        (None, None) => (prepare_new_table(db, write.table)?, 0),
        (Some(_), None) => {
            return Err(Error::already_exists(format!("table {id} already exists")));
        }
        (None, Some(_)) => return Err(table_not_found(&id)),
        (Some((cur, count)), Some(v)) => {
            let opts = UpdateTableOptions {
                expected_version: Some(v),
                skip_archive: false,
                ..Default::default()
            };
            // The key count may change only when no partition survives the write.
            let survivors = count.saturating_sub(write.delete_partitions.len() as u64);
            let t = prepare_table_update(&id, cur, write.table, opts, indexes, || {
                Ok(survivors > 0 || !write.put_partitions.is_empty())
            })?;
            (t, count)
        }
    };
    let mut deletes = Vec::new();
    let mut seen = HashSet::new();
    for v in &write.delete_partitions {
        check_values_for(current_table.as_ref().unwrap_or(&table), v)?;
        let k = encode_values(v);
        if seen.insert(k.clone()) && existing(&k)?.is_some() {
            deletes.push(k);
        }
    }
    let now = now_secs();
    let mut puts = Vec::with_capacity(write.put_partitions.len());
    let mut added = 0u64;
    let mut put_keys = HashSet::new();
    for mut p in write.put_partitions {
        let values = p.values.clone();
        p.normalize(&table.partition_keys)
            .map_err(|e| e.context(format!("partition {values:?} of table {id}")))?;
        let k = encode_values(&p.values);
        if !put_keys.insert(k.clone()) {
            return Err(partition_exists(&id, &p.values).context("it appears twice in the write"));
        }
        p.database_name = None;
        p.table_name = None;
        match existing(&k)? {
            Some(created) if !seen.contains(&k) => p.create_time = created,
            Some(_) => {
                p.create_time = now;
                added += 1;
            }
            None => {
                p.create_time = now;
                added += 1;
            }
        }
        puts.push((k, p));
    }
    let partition_count = current_count - deletes.len() as u64 + added;
    let changes = PartitionChanges::new(indexes, &table, deletes, puts)?;
    Ok(PlannedTableWrite {
        table,
        changes,
        partition_count,
    })
}

/// Fills the fields a stored partition does not keep.
pub fn present_partition(id: &TableIdent, mut p: Partition) -> Partition {
    p.database_name = Some(id.database.clone());
    p.table_name = Some(id.name.clone());
    p
}

/// Which ordering of a table's partitions a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanSource {
    /// The partitions themselves, ordered by their values as text.
    Partitions,
    /// The entries of the partition index in this slot.
    Index(u8),
}

/// The key range (relative to the table) a partition listing must scan, in the
/// partitions or in the index whose bounds are the tightest.
pub struct PartitionScan {
    pub filter: Option<CompiledFilter>,
    pub source: ScanSource,
    indexes: IndexSet,
    pub start: Vec<u8>,
    /// Exclusive; `None` = to the end of the table (or of the index).
    pub end: Option<Vec<u8>>,
}

/// Index page tokens start with this letter, so a token can never be taken for
/// the other kind (partition tokens are plain hex).
const INDEX_TOKEN: char = 'i';

impl PartitionScan {
    pub fn new(
        table: &Table,
        indexes: &[PartitionIndex],
        filter: Option<&FilterExpr>,
        page: &PageRequest,
    ) -> Result<Self> {
        let filter = filter
            .map(|f| CompiledFilter::compile(f, &table.partition_keys))
            .transpose()?;
        let indexes = IndexSet::new(table, indexes)?;
        let (mut start, mut end) = (Vec::new(), None);
        let mut source = ScanSource::Partitions;
        if let Some(f) = &filter {
            let best = indexes
                .indexes()
                .iter()
                .map(|i| (i, f.index_bounds(&i.keys)))
                .filter(|(_, b)| b.score() > f.primary_score())
                .max_by_key(|(i, b)| (b.score(), std::cmp::Reverse(i.slot)));
            if let Some((index, b)) = best {
                source = ScanSource::Index(index.slot);
                let mut prefix = vec![index.slot];
                prefix.extend_from_slice(&b.prefix);
                start = prefix.clone();
                end = prefix_end(&prefix);
                if let Some((v, inclusive)) = &b.lower {
                    let k = [prefix.as_slice(), v].concat();
                    start = if *inclusive {
                        k
                    } else {
                        prefix_end(&k).unwrap_or(k)
                    };
                }
                if let Some((v, inclusive)) = &b.upper {
                    let k = [prefix.as_slice(), v].concat();
                    end = if *inclusive { prefix_end(&k) } else { Some(k) };
                }
            } else {
                let b = f.scan_bounds();
                let prefix = encode_values(&b.prefix);
                start = prefix.clone();
                end = if prefix.is_empty() {
                    None
                } else {
                    prefix_end(&prefix)
                };
                if let Some((v, inclusive)) = &b.lower {
                    let mut k = prefix.clone();
                    encode_value(&mut k, v);
                    if !inclusive {
                        // Past every key whose next value is exactly `v`.
                        *k.last_mut().expect("encoding ends with a terminator") += 1;
                    }
                    start = k;
                }
                if let Some((v, inclusive)) = &b.upper {
                    let mut k = prefix.clone();
                    encode_value(&mut k, v);
                    if *inclusive {
                        *k.last_mut().expect("encoding ends with a terminator") += 1;
                    }
                    end = Some(k);
                }
            }
        }
        if let Some(t) = &page.token {
            let bad = || {
                Error::invalid(format!(
                    "page token {t:?} is not one this server gave out for this listing"
                ))
            };
            let (indexed, hex) = match t.strip_prefix(INDEX_TOKEN) {
                Some(rest) => (true, rest),
                None => (false, t.as_str()),
            };
            if indexed != matches!(source, ScanSource::Index(_)) {
                return Err(bad());
            }
            let mut after = token_decode(hex).ok_or_else(bad)?;
            after.push(0); // the smallest key after the token's
            if after > start {
                start = after;
            }
        }
        Ok(PartitionScan {
            filter,
            source,
            indexes,
            start,
            end,
        })
    }

    /// A full page: there is at least one more match, so the page ends at the
    /// previous key.
    fn page_end(&self, items: Vec<Partition>, last_cursor: &[u8]) -> Page<Partition> {
        let token = match self.source {
            ScanSource::Partitions => token_encode(last_cursor),
            ScanSource::Index(_) => format!("{INDEX_TOKEN}{}", token_encode(last_cursor)),
        };
        Page {
            next_token: Some(token),
            items,
        }
    }

    /// Runs the scan over `(key, stored bytes)` pairs in key order, keeping only
    /// matching partitions; stored bytes are decoded only for matches. For a
    /// partition scan the bytes are the partition; for an index scan the keys are
    /// index entries, the bytes are ignored and `fetch` loads the partition by its
    /// key. Returns the page and how many keys were examined.
    pub fn collect<I>(
        &self,
        id: &TableIdent,
        limit: usize,
        iter: I,
        decode: impl Fn(&[u8], &[u8]) -> Result<Partition>,
        fetch: impl Fn(&[u8]) -> Result<Option<Vec<u8>>>,
        values_only: bool,
    ) -> Result<(Page<Partition>, u64)>
    where
        I: Iterator<Item = Result<(Vec<u8>, Vec<u8>)>>,
    {
        let limit = limit.max(1);
        let mut items = Vec::new();
        let mut last_cursor = Vec::new();
        let mut examined = 0u64;
        for kv in iter {
            let (key, bytes) = kv?;
            examined += 1;
            let pkey = match self.source {
                ScanSource::Partitions => key.as_slice(),
                ScanSource::Index(_) => self
                    .indexes
                    .partition_key(&key)
                    .ok_or_else(|| Error::storage("corrupt partition index entry"))?,
            };
            if self.filter.is_some() || values_only {
                let values = crate::keys::decode_values(pkey)
                    .ok_or_else(|| Error::storage("corrupt partition key"))?;
                if self.filter.as_ref().is_some_and(|f| !f.matches(&values)) {
                    continue;
                }
                if values_only {
                    if items.len() == limit {
                        return Ok((self.page_end(items, &last_cursor), examined));
                    }
                    items.push(present_partition(id, Partition::new(values)));
                    last_cursor = key;
                    continue;
                }
            }
            let bytes = match self.source {
                ScanSource::Partitions => bytes,
                // An entry whose partition is gone was read between two writes.
                ScanSource::Index(_) => match fetch(pkey)? {
                    Some(b) => b,
                    None => continue,
                },
            };
            if items.len() == limit {
                return Ok((self.page_end(items, &last_cursor), examined));
            }
            items.push(present_partition(id, decode(pkey, &bytes)?));
            last_cursor = key;
        }
        Ok((
            Page {
                items,
                next_token: None,
            },
            examined,
        ))
    }
}

/// Everything a partition write changes besides the table record, for a backend
/// to apply in one atomic step: removals first, then additions.
#[derive(Debug, Default)]
pub struct PartitionChanges {
    /// Partition keys to remove.
    pub deletes: Vec<Vec<u8>>,
    pub puts: Vec<EncodedPartition>,
    /// Index entries (relative to the table's index space).
    pub index_deletes: Vec<Vec<u8>>,
    pub index_puts: Vec<Vec<u8>>,
    /// Partitions whose statistics go with them: `(old key, None)` drops them,
    /// `(old key, Some(new key))` moves them to a renamed partition.
    pub stats_moves: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl PartitionChanges {
    /// Partitions removed and (re)written; index entries follow both, and the
    /// statistics of removed partitions go.
    pub fn new(
        indexes: &[PartitionIndex],
        table: &Table,
        deletes: Vec<Vec<u8>>,
        puts: Vec<EncodedPartition>,
    ) -> Result<Self> {
        let set = IndexSet::new(table, indexes)?;
        let decode = |k: &[u8]| {
            crate::keys::decode_values(k).ok_or_else(|| Error::storage("corrupt partition key"))
        };
        let mut c = PartitionChanges::default();
        if !set.is_empty() {
            for k in &deletes {
                c.index_deletes.extend(set.entries(&decode(k)?));
            }
            for (_, p) in &puts {
                c.index_puts.extend(set.entries(&p.values));
            }
        }
        c.stats_moves = deletes.iter().map(|k| (k.clone(), None)).collect();
        c.deletes = deletes;
        c.puts = puts;
        Ok(c)
    }

    /// One partition replaced, possibly under new values (a rename, which takes
    /// its statistics along).
    pub fn replace(
        indexes: &[PartitionIndex],
        table: &Table,
        old: Vec<u8>,
        new: EncodedPartition,
    ) -> Result<Self> {
        if old == new.0 {
            return PartitionChanges::new(indexes, table, Vec::new(), vec![new]);
        }
        let new_key = new.0.clone();
        let mut c = PartitionChanges::new(indexes, table, vec![old.clone()], vec![new])?;
        c.stats_moves = vec![(old, Some(new_key))];
        Ok(c)
    }
}

/// Pages over a name-ordered listing: the token is the last name returned.
pub fn page_start(page: &PageRequest) -> Result<Option<String>> {
    page.token
        .as_ref()
        .map(|t| {
            token_decode(t)
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    Error::invalid(format!("page token {t:?} is not one this server gave out"))
                })
        })
        .transpose()
}

/// Collects up to `limit` items from a name-ordered iterator that starts after the token.
pub fn collect_named<T>(
    limit: usize,
    iter: impl Iterator<Item = Result<(String, T)>>,
) -> Result<Page<T>> {
    let limit = limit.max(1);
    let mut items: Vec<T> = Vec::new();
    let mut last = String::new();
    for kv in iter {
        let (name, item) = kv?;
        if items.len() == limit {
            return Ok(Page {
                items,
                next_token: Some(token_encode(last.as_bytes())),
            });
        }
        last = name;
        items.push(item);
    }
    Ok(Page {
        items,
        next_token: None,
    })
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
