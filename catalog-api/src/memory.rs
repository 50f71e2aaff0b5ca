//! An in-memory store: the reference the conformance suite checks sled against,
//! and a fast store for tests of the fronts. Not durable, by design.

use crate::error::{Error, Result};
use crate::events::*;
use crate::filter::FilterExpr;
use crate::index::{prepare_index, IndexSet};
use crate::kv::keys::encode_values;
use crate::kv::*;
use crate::model::{Database, Function, Partition, Table, TableVersion};
use crate::names::{DatabaseName, TableIdent};
use crate::stats::*;
use crate::store::*;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

struct TableEntry {
    table: Table,
    /// Archived versions by version id.
    versions: BTreeMap<u64, Table>,
    /// Partitions by encoded values.
    partitions: BTreeMap<Vec<u8>, Partition>,
    indexes: Vec<PartitionIndex>,
    /// Entries of every index (each starts with its index's slot).
    index_entries: BTreeSet<Vec<u8>>,
    /// Column statistics by [`stats_key`].
    stats: BTreeMap<Vec<u8>, ColumnStatistics>,
}

impl TableEntry {
    fn new(table: Table) -> Self {
        TableEntry {
            table,
            versions: BTreeMap::new(),
            partitions: BTreeMap::new(),
            indexes: Vec::new(),
            index_entries: BTreeSet::new(),
            stats: BTreeMap::new(),
        }
    }

    fn stats_under(&self, prefix: &[u8]) -> Vec<Vec<u8>> {
        self.stats
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn apply(&mut self, c: PartitionChanges) {
        for (old, new) in c.stats_moves {
            let from = stats_prefix(Some(&old));
            for k in self.stats_under(&from) {
                let s = self.stats.remove(&k).expect("listed above");
                if let Some(new) = &new {
                    let to = [stats_prefix(Some(new)).as_slice(), &k[from.len()..]].concat();
                    self.stats.insert(to, s);
                }
            }
        }
        for k in &c.deletes {
            self.partitions.remove(k);
        }
        for k in &c.index_deletes {
            self.index_entries.remove(k);
        }
        self.partitions.extend(c.puts);
        self.index_entries.extend(c.index_puts);
    }

    /// The partition a statistics call names (`None`: the table's own) and its key.
    fn stats_target(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
    ) -> Result<(Option<Vec<u8>>, Option<&Partition>)> {
        match partition {
            None => Ok((None, None)),
            Some(v) => {
                check_values_for(&self.table, v)?;
                let k = encode_values(v);
                let p = self
                    .partitions
                    .get(&k)
                    .ok_or_else(|| partition_not_found(id, v))?;
                Ok((Some(k), Some(p)))
            }
        }
    }
}

#[derive(Default)]
struct State {
    databases: BTreeMap<String, Database>,
    tables: BTreeMap<(String, String), TableEntry>,
    functions: BTreeMap<(String, String), Function>,
    records: BTreeMap<(String, String), Vec<u8>>,
    events: BTreeMap<u64, Event>,
    last_event: u64,
    log_off: bool,
}

pub struct MemoryStore {
    state: RwLock<State>,
    max_versions: usize,
    examined: AtomicU64,
}

impl MemoryStore {
    pub fn new(max_versions: usize) -> Self {
        MemoryStore {
            state: RwLock::new(State::default()),
            max_versions,
            examined: AtomicU64::new(0),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// A page of a map keyed `(db, name)` (tables, functions), ordered by name, the
/// names matching `pattern` if given.
fn named_page<V, T>(
    map: &BTreeMap<(String, String), V>,
    db: &DatabaseName,
    pattern: Option<&regex::Regex>,
    page: &PageRequest,
    item: impl Fn(&V) -> T,
) -> Result<Page<T>> {
    let d = db.as_str().to_string();
    let lower = match page_start(page)? {
        Some(n) => Bound::Excluded((d.clone(), n)),
        None => Bound::Included((d.clone(), String::new())),
    };
    let iter = map
        .range((lower, Bound::Unbounded))
        .take_while(|((dd, _), _)| *dd == d)
        .filter(|((_, n), _)| pattern.is_none_or(|p| p.is_match(n)))
        .map(|((_, n), v)| Ok((n.clone(), item(v))));
    collect_named(page.limit, iter)
}

fn tkey(id: &TableIdent) -> (String, String) {
    (
        id.database.as_str().to_string(),
        id.name.as_str().to_string(),
    )
}

impl State {
    /// Appends a write's changes to the log (the caller holds the write lock).
    fn log(&mut self, changes: Vec<Change>) {
        if self.log_off {
            return;
        }
        for e in stamp(changes, self.last_event + 1) {
            self.last_event = e.id;
            self.events.insert(e.id, e);
        }
    }

    fn db_exists(&self, db: &DatabaseName) -> Result<()> {
        self.databases
            .contains_key(db.as_str())
            .then_some(())
            .ok_or_else(|| db_not_found(db))
    }
    fn entry(&self, id: &TableIdent) -> Result<&TableEntry> {
        self.db_exists(&id.database)?;
        self.tables
            .get(&tkey(id))
            .ok_or_else(|| table_not_found(id))
    }
    fn entry_mut(&mut self, id: &TableIdent) -> Result<&mut TableEntry> {
        self.db_exists(&id.database)?;
        self.tables
            .get_mut(&tkey(id))
            .ok_or_else(|| table_not_found(id))
    }
}

impl CatalogStore for MemoryStore {
    fn create_database(&self, db: Database) -> Result<Database> {
        let db = prepare_new_database(db)?;
        let mut s = self.write();
        if s.databases.contains_key(db.name.as_str()) {
            return Err(Error::already_exists(format!(
                "database {} already exists",
                db.name
            )));
        }
        s.databases.insert(db.name.as_str().to_string(), db.clone());
        s.log(vec![Change::CreateDatabase {
            database: db.clone(),
        }]);
        Ok(db)
    }

    fn get_database(&self, name: &DatabaseName) -> Result<Database> {
        self.read()
            .databases
            .get(name.as_str())
            .cloned()
            .ok_or_else(|| db_not_found(name))
    }

    fn list_databases(&self, page: &PageRequest) -> Result<Page<Database>> {
        let s = self.read();
        let start = page_start(page)?;
        let lower = start
            .as_ref()
            .map_or(Bound::Unbounded, |s| Bound::Excluded(s.clone()));
        collect_named(
            page.limit,
            s.databases
                .range((lower, Bound::Unbounded))
                .map(|(k, v)| Ok((k.clone(), v.clone()))),
        )
    }

    fn update_database(&self, name: &DatabaseName, db: Database) -> Result<Database> {
        let mut s = self.write();
        let cur = s
            .databases
            .get(name.as_str())
            .ok_or_else(|| db_not_found(name))?;
        let db = prepare_database_update(name, cur, db)?;
        let before = s
            .databases
            .insert(name.as_str().to_string(), db.clone())
            .expect("read above");
        s.log(vec![Change::AlterDatabase {
            before,
            after: db.clone(),
        }]);
        Ok(db)
    }

    fn delete_database(&self, name: &DatabaseName, cascade: bool) -> Result<()> {
        let mut s = self.write();
        s.db_exists(name)?;
        let tables: Vec<_> = s
            .tables
            .keys()
            .filter(|(d, _)| d == name.as_str())
            .cloned()
            .collect();
        let functions: Vec<_> = s
            .functions
            .keys()
            .filter(|(d, _)| d == name.as_str())
            .cloned()
            .collect();
        let has_content = !tables.is_empty() || !functions.is_empty();
        if has_content && !cascade {
            return Err(Error::invalid(format!(
                "database {name} is not empty: it has {} table(s) and {} function(s); drop them first or delete with cascade",
                tables.len(),
                functions.len()
            )));
        }
        let mut log = Vec::new();
        for t in tables {
            let e = s.tables.remove(&t).expect("listed above");
            log.push(Change::DropTable { table: e.table });
        }
        for f in functions {
            let function = s.functions.remove(&f).expect("listed above");
            log.push(Change::DropFunction { function });
        }
        let database = s.databases.remove(name.as_str()).expect("checked above");
        log.push(Change::DropDatabase { database });
        s.log(log);
        Ok(())
    }

    fn create_table(&self, db: &DatabaseName, table: Table) -> Result<Table> {
        let table = prepare_new_table(db, table)?;
        let mut s = self.write();
        s.db_exists(db)?;
        let key = (db.as_str().to_string(), table.name.as_str().to_string());
        if s.tables.contains_key(&key) {
            return Err(Error::already_exists(format!(
                "table {db}.{} already exists",
                table.name
            )));
        }
        s.tables.insert(key, TableEntry::new(table.clone()));
        s.log(vec![Change::CreateTable {
            table: table.clone(),
        }]);
        Ok(table)
    }

    fn get_table(&self, id: &TableIdent) -> Result<Table> {
        Ok(self.read().entry(id)?.table.clone())
    }

    fn list_tables(
        &self,
        db: &DatabaseName,
        pattern: Option<&regex::Regex>,
        page: &PageRequest,
    ) -> Result<Page<Table>> {
        let s = self.read();
        s.db_exists(db)?;
        named_page(&s.tables, db, pattern, page, |e| e.table.clone())
    }

    fn update_table(
        &self,
        id: &TableIdent,
        table: Table,
        opts: UpdateTableOptions,
    ) -> Result<Table> {
        let max_versions = self.max_versions;
        let mut s = self.write();
        let e = s.entry(id)?;
        let has_parts = !e.partitions.is_empty();
        let new = prepare_table_update(id, &e.table, table, opts, &e.indexes, || Ok(has_parts))?;
        let to = table_address(&new, id);
        if to != *id {
            s.db_exists(&to.database)?;
            if s.tables.contains_key(&tkey(&to)) {
                return Err(table_exists(&to));
            }
            let moved = s.tables.remove(&tkey(id)).expect("read above");
            s.tables.insert(tkey(&to), moved);
        }
        let e = s.entry_mut(&to)?;
        if opts.relocate_partitions {
            let all = e.partitions.iter().map(|(k, p)| Ok((k.clone(), p.clone())));
            for (k, p) in relocations(&e.table, &new, all)? {
                e.partitions.insert(k, p);
            }
        }
        let old = std::mem::replace(&mut e.table, new.clone());
        let change = Change::AlterTable {
            before: old.clone(),
            after: new.clone(),
        };
        if !opts.skip_archive {
            e.versions.insert(old.version_id.unwrap_or(1), old);
            while e.versions.len() > max_versions {
                e.versions.pop_first();
            }
        }
        s.log(vec![change]);
        Ok(new)
    }

    fn delete_table(&self, id: &TableIdent) -> Result<()> {
        let mut s = self.write();
        s.entry(id)?;
        let e = s.tables.remove(&tkey(id)).expect("read above");
        s.log(vec![Change::DropTable { table: e.table }]);
        Ok(())
    }

    fn list_table_versions(
        &self,
        id: &TableIdent,
        page: &PageRequest,
    ) -> Result<Page<TableVersion>> {
        let s = self.read();
        let e = s.entry(id)?;
        collect_versions(
            e.table.clone(),
            e.versions.values().rev().cloned().map(Ok),
            page,
        )
    }

    fn get_table_version(&self, id: &TableIdent, version: u64) -> Result<TableVersion> {
        let s = self.read();
        let e = s.entry(id)?;
        let t = if e.table.version_id == Some(version) {
            Some(&e.table)
        } else {
            e.versions.get(&version)
        };
        t.map(|t| TableVersion {
            version_id: version,
            table: t.clone(),
        })
        .ok_or_else(|| Error::not_found(format!("version {version} of table {id} not found")))
    }

    fn delete_table_versions(
        &self,
        id: &TableIdent,
        versions: &[u64],
    ) -> Result<Vec<(u64, Error)>> {
        let mut s = self.write();
        let e = s.entry_mut(id)?;
        let (del, errors) =
            plan_version_deletes(id, &e.table, versions, |v| Ok(e.versions.contains_key(&v)))?;
        for v in del {
            e.versions.remove(&v);
        }
        Ok(errors)
    }

    fn create_partitions(
        &self,
        id: &TableIdent,
        parts: Vec<Partition>,
        if_not_exists: bool,
    ) -> Result<Vec<PartitionError>> {
        let mut s = self.write();
        let e = s.entry_mut(id)?;
        let (writes, errors) = plan_partition_creates(id, &e.table, parts, if_not_exists, |k| {
            Ok(e.partitions.contains_key(k))
        })?;
        let log = added(&e.table, &writes);
        let changes = PartitionChanges::new(&e.indexes, &e.table, Vec::new(), writes)?;
        e.apply(changes);
        s.log(log);
        Ok(errors)
    }

    fn replace_partitions(&self, id: &TableIdent, parts: Vec<Partition>) -> Result<()> {
        let mut s = self.write();
        let e = s.entry_mut(id)?;
        let puts =
            plan_partition_replacements(id, &e.table, parts, |k| Ok(e.partitions.get(k).cloned()))?;
        let log = partitions_altered(
            &e.table,
            puts.iter()
                .map(|(k, p)| (Some(e.partitions[k].clone()), p.clone())),
        );
        let changes = PartitionChanges::new(&e.indexes, &e.table, Vec::new(), puts)?;
        e.apply(changes);
        s.log(log);
        Ok(())
    }

    fn get_partition(&self, id: &TableIdent, values: &[String]) -> Result<Partition> {
        let s = self.read();
        let e = s.entry(id)?;
        check_values_for(&e.table, values)?;
        e.partitions
            .get(&encode_values(values))
            .map(|p| present_partition(id, p.clone()))
            .ok_or_else(|| partition_not_found(id, values))
    }

    fn update_partition(
        &self,
        id: &TableIdent,
        values: &[String],
        part: Partition,
    ) -> Result<Partition> {
        let mut s = self.write();
        let e = s.entry_mut(id)?;
        check_values_for(&e.table, values)?;
        let cur = e
            .partitions
            .get(&encode_values(values))
            .ok_or_else(|| partition_not_found(id, values))?;
        let (old, new, p) = plan_partition_update(id, &e.table, values, cur, part, |k| {
            Ok(e.partitions.contains_key(k))
        })?;
        let log = partitions_altered(&e.table, [(Some(cur.clone()), p.clone())]);
        let changes = PartitionChanges::replace(&e.indexes, &e.table, old, (new, p.clone()))?;
        e.apply(changes);
        s.log(log);
        Ok(present_partition(id, p))
    }

    fn delete_partitions(
        &self,
        id: &TableIdent,
        values: &[Vec<String>],
    ) -> Result<Vec<PartitionError>> {
        let mut s = self.write();
        let e = s.entry_mut(id)?;
        let (keys, errors) =
            plan_partition_deletes(id, &e.table, values, |k| Ok(e.partitions.contains_key(k)))?;
        let log = dropped(&e.table, &keys)?;
        let changes = PartitionChanges::new(&e.indexes, &e.table, keys, Vec::new())?;
        e.apply(changes);
        s.log(log);
        Ok(errors)
    }

    fn list_partitions_with(
        &self,
        id: &TableIdent,
        filter: Option<&FilterExpr>,
        page: &PageRequest,
        values_only: bool,
    ) -> Result<Page<Partition>> {
        let s = self.read();
        let e = s.entry(id)?;
        let scan = PartitionScan::new(&e.table, &e.indexes, filter, page)?;
        let upper = scan.end.clone().map_or(Bound::Unbounded, Bound::Excluded);
        let range = (Bound::Included(scan.start.clone()), upper);
        let json = |p: &Partition| serde_json::to_vec(p).map_err(|e| Error::storage(e.to_string()));
        type Rows<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + 'a>;
        let iter: Rows = match scan.source {
            ScanSource::Partitions => Box::new(
                e.partitions
                    .range(range)
                    .map(|(k, p)| Ok((k.clone(), json(p)?))),
            ),
            ScanSource::Index(_) => Box::new(
                e.index_entries
                    .range(range)
                    .map(|k| Ok((k.clone(), Vec::new()))),
            ),
        };
        let (page, examined) = scan.collect(
            id,
            page.limit,
            iter,
            |_, b| serde_json::from_slice(b).map_err(|e| Error::storage(e.to_string())),
            |k| e.partitions.get(k).map(json).transpose(),
            values_only,
        )?;
        self.examined.fetch_add(examined, Ordering::Relaxed);
        Ok(page)
    }

    fn create_function(&self, db: &DatabaseName, f: Function) -> Result<Function> {
        let f = prepare_function(db, f, None)?;
        let mut s = self.write();
        s.db_exists(db)?;
        let key = (db.as_str().to_string(), f.function_name.clone());
        if s.functions.contains_key(&key) {
            return Err(Error::already_exists(format!(
                "function {db}.{} already exists",
                f.function_name
            )));
        }
        s.functions.insert(key, f.clone());
        s.log(vec![Change::CreateFunction {
            function: f.clone(),
        }]);
        Ok(f)
    }

    fn get_function(&self, db: &DatabaseName, name: &str) -> Result<Function> {
        let s = self.read();
        s.db_exists(db)?;
        s.functions
            .get(&(db.as_str().to_string(), name.to_lowercase()))
            .cloned()
            .ok_or_else(|| function_not_found(db, name))
    }

    fn list_functions(
        &self,
        db: &DatabaseName,
        pattern: Option<&regex::Regex>,
        page: &PageRequest,
    ) -> Result<Page<Function>> {
        let s = self.read();
        s.db_exists(db)?;
        named_page(&s.functions, db, pattern, page, Function::clone)
    }

    fn update_function(&self, db: &DatabaseName, name: &str, f: Function) -> Result<Function> {
        let mut s = self.write();
        s.db_exists(db)?;
        let old = (db.as_str().to_string(), name.to_lowercase());
        let created = s
            .functions
            .get(&old)
            .map(|f| f.create_time)
            .ok_or_else(|| function_not_found(db, name))?;
        let f = prepare_function(db, f, Some(created))?;
        let new = (db.as_str().to_string(), f.function_name.clone());
        if new != old && s.functions.contains_key(&new) {
            return Err(Error::already_exists(format!(
                "function {db}.{} already exists",
                f.function_name
            )));
        }
        let before = s.functions.remove(&old).expect("read above");
        s.functions.insert(new, f.clone());
        s.log(function_replaced(before, f.clone()));
        Ok(f)
    }

    fn delete_function(&self, db: &DatabaseName, name: &str) -> Result<()> {
        let mut s = self.write();
        s.db_exists(db)?;
        let function = s
            .functions
            .remove(&(db.as_str().to_string(), name.to_lowercase()))
            .ok_or_else(|| function_not_found(db, name))?;
        s.log(vec![Change::DropFunction { function }]);
        Ok(())
    }

    fn write_table(&self, db: &DatabaseName, write: TableWrite) -> Result<Table> {
        let mut t = self.write_tables(vec![(db.clone(), write)])?;
        Ok(t.remove(0))
    }

    fn write_tables(&self, writes: Vec<(DatabaseName, TableWrite)>) -> Result<Vec<Table>> {
        check_distinct_tables(&writes)?;
        let max_versions = self.max_versions;
        let mut s = self.write();
        // Every write is planned (and so checked) before any is applied.
        let mut plans = Vec::with_capacity(writes.len());
        for (db, write) in writes {
            s.db_exists(&db)?;
            let key = (
                db.as_str().to_string(),
                write.table.name.as_str().to_string(),
            );
            let entry = s.tables.get(&key);
            let current = entry.map(|e| (&e.table, e.partitions.len() as u64));
            let indexes = entry.map(|e| e.indexes.clone()).unwrap_or_default();
            let plan = plan_table_write(&db, current, &indexes, write, |k| {
                Ok(entry.and_then(|e| e.partitions.get(k).map(|p| p.create_time)))
            })?;
            plans.push((key, plan));
        }
        let mut out = Vec::with_capacity(plans.len());
        let mut log = Vec::new();
        for (key, mut plan) in plans {
            log.append(&mut plan.events);
            let e = s
                .tables
                .entry(key)
                .or_insert_with(|| TableEntry::new(plan.table.clone()));
            if e.table.version_id != plan.table.version_id {
                let old = std::mem::replace(&mut e.table, plan.table.clone());
                e.versions.insert(old.version_id.unwrap_or(1), old);
                while e.versions.len() > max_versions {
                    e.versions.pop_first();
                }
            }
            e.apply(plan.changes);
            debug_assert_eq!(e.partitions.len() as u64, plan.partition_count);
            out.push(plan.table);
        }
        s.log(log);
        Ok(out)
    }

    fn create_partition_index(&self, id: &TableIdent, index: PartitionIndex) -> Result<()> {
        let mut s = self.write();
        let e = s.entry_mut(id)?;
        let index = prepare_index(&e.table, &e.indexes, index)?;
        let set = IndexSet::new(&e.table, std::slice::from_ref(&index))?;
        let entries: Vec<_> = e
            .partitions
            .values()
            .flat_map(|p| set.entries(&p.values))
            .collect();
        e.index_entries.extend(entries);
        e.indexes.push(index.clone());
        let table = e.table.clone();
        s.log(vec![Change::CreatePartitionIndex { table, index }]);
        Ok(())
    }

    fn list_partition_indexes(&self, id: &TableIdent) -> Result<Vec<PartitionIndex>> {
        Ok(self.read().entry(id)?.indexes.clone())
    }

    fn delete_partition_index(&self, id: &TableIdent, name: &str) -> Result<()> {
        let mut s = self.write();
        let e = s.entry_mut(id)?;
        let i = index_position(id, &e.indexes, name)?;
        let index = e.indexes.remove(i);
        e.index_entries.retain(|k| k.first() != Some(&index.slot));
        let table = e.table.clone();
        s.log(vec![Change::DropPartitionIndex {
            table,
            index_name: index.index_name,
        }]);
        Ok(())
    }

    fn update_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        stats: Vec<ColumnStatistics>,
    ) -> Result<Vec<ColumnStatisticsError>> {
        let mut s = self.write();
        let e = s.entry_mut(id)?;
        let (key, part) = e.stats_target(id, partition)?;
        let (ok, errors) = plan_statistics_update(columns_of(&e.table, part), stats)?;
        let log = statistics_updated(&e.table, partition, &ok);
        for st in ok {
            e.stats
                .insert(stats_key(key.as_deref(), &st.column_name), st);
        }
        s.log(log);
        Ok(errors)
    }

    fn get_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        columns: &[String],
    ) -> Result<Vec<ColumnStatistics>> {
        let s = self.read();
        let e = s.entry(id)?;
        let (key, part) = e.stats_target(id, partition)?;
        let cols = columns_of(&e.table, part);
        Ok(lookup_columns(columns)?
            .iter()
            .filter_map(|c| e.stats.get(&stats_key(key.as_deref(), c)))
            .filter(|st| is_current(cols, st))
            .cloned()
            .collect())
    }

    fn delete_column_statistics(
        &self,
        id: &TableIdent,
        partition: Option<&[String]>,
        column: &str,
    ) -> Result<()> {
        let mut s = self.write();
        let e = s.entry_mut(id)?;
        let (key, part) = e.stats_target(id, partition)?;
        let cols = columns_of(&e.table, part);
        let k = stats_key(key.as_deref(), &column.to_lowercase());
        match e.stats.get(&k) {
            Some(st) if is_current(cols, st) => {
                e.stats.remove(&k);
                let log = statistics_deleted(&e.table, partition, column);
                s.log(log);
                Ok(())
            }
            _ => Err(statistics_not_found(id, partition, column)),
        }
    }

    fn get_record(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .read()
            .records
            .get(&(space.to_string(), key.to_string()))
            .cloned())
    }

    fn list_records(
        &self,
        space: &str,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<(String, Vec<u8>)>> {
        let s = self.read();
        let lower = match page_start(page)? {
            Some(k) => Bound::Excluded((space.to_string(), k)),
            None => Bound::Included((space.to_string(), prefix.to_string())),
        };
        let iter = s
            .records
            .range((lower, Bound::Unbounded))
            .take_while(|((sp, k), _)| sp == space && k.starts_with(prefix))
            .map(|((_, k), v)| Ok((k.clone(), (k.clone(), v.clone()))));
        collect_named(page.limit, iter)
    }

    fn write_records_logged(&self, writes: Vec<RecordWrite>, changes: Vec<Change>) -> Result<()> {
        let mut s = self.write();
        for w in &writes {
            let cur = s.records.get(&(w.space.clone(), w.key.clone()));
            check_expectation(w, cur.map(Vec::as_slice))?;
        }
        for w in writes {
            let k = (w.space, w.key);
            match w.value {
                Some(v) => s.records.insert(k, v),
                None => s.records.remove(&k),
            };
        }
        s.log(changes);
        Ok(())
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>> {
        let s = self.read();
        Ok(s.events
            .range(after.saturating_add(1)..)
            .take(limit)
            .map(|(_, e)| e.clone())
            .collect())
    }

    fn event_bounds(&self) -> Result<EventBounds> {
        let s = self.read();
        Ok(EventBounds {
            first: s.events.keys().next().copied().unwrap_or(s.last_event + 1),
            last: s.last_event,
        })
    }

    fn set_change_log(&self, on: bool) {
        self.write().log_off = !on;
    }

    fn trim_events(&self, retention: &Retention) -> Result<u64> {
        let mut s = self.write();
        let (upto, before) = retention.bounds(s.last_event, crate::events::now_ms());
        let n = s.events.len();
        s.events
            .retain(|id, e| upto.is_none_or(|u| *id > u) && before.is_none_or(|b| e.time_ms >= b));
        Ok((n - s.events.len()) as u64)
    }

    fn record_spaces(&self) -> Result<Vec<String>> {
        let mut spaces: Vec<String> = self.read().records.keys().map(|(s, _)| s.clone()).collect();
        spaces.dedup();
        Ok(spaces)
    }

    fn export_table(&self, id: &TableIdent) -> Result<TableImage> {
        let s = self.read();
        let e = s.entry(id)?;
        let statistics = e
            .stats
            .iter()
            .map(|(k, st)| Ok((statistics_owner(k)?, st.clone())))
            .collect::<Result<_>>()?;
        Ok(TableImage {
            table: e.table.clone(),
            versions: e.versions.values().cloned().collect(),
            indexes: e.indexes.clone(),
            statistics,
        })
    }

    fn import_database(&self, db: Database) -> Result<()> {
        let mut s = self.write();
        if s.databases.contains_key(db.name.as_str()) {
            return Err(Error::already_exists(format!(
                "database {} already exists",
                db.name
            )));
        }
        s.databases.insert(db.name.as_str().to_string(), db);
        Ok(())
    }

    fn import_table(&self, db: &DatabaseName, image: TableImage) -> Result<()> {
        let mut s = self.write();
        s.db_exists(db)?;
        let id = TableIdent::new(db.clone(), image.table.name.clone());
        if s.tables.contains_key(&tkey(&id)) {
            return Err(table_exists(&id));
        }
        let mut e = TableEntry::new(image.table.clone());
        e.stats = image_statistics_keys(&image)
            .into_iter()
            .map(|(k, st)| (k, st.clone()))
            .collect();
        e.versions = image
            .versions
            .into_iter()
            .map(|t| (t.version_id.unwrap_or(1), t))
            .collect();
        e.indexes = image.indexes;
        s.tables.insert(tkey(&id), e);
        Ok(())
    }

    fn import_partitions(&self, id: &TableIdent, parts: Vec<Partition>) -> Result<()> {
        let mut s = self.write();
        let e = s.entry_mut(id)?;
        let puts = import_puts(parts);
        let changes = PartitionChanges::new(&e.indexes, &e.table, Vec::new(), puts)?;
        e.apply(changes);
        Ok(())
    }

    fn import_function(&self, db: &DatabaseName, f: Function) -> Result<()> {
        let mut s = self.write();
        s.db_exists(db)?;
        let k = (db.as_str().to_string(), f.function_name.clone());
        if s.functions.contains_key(&k) {
            return Err(Error::already_exists(format!(
                "function {db}.{} already exists",
                f.function_name
            )));
        }
        s.functions.insert(k, f);
        Ok(())
    }

    fn partitions_examined(&self) -> u64 {
        self.examined.load(Ordering::Relaxed)
    }

    fn stats(&self) -> Result<StoreStats> {
        let s = self.read();
        Ok(StoreStats {
            databases: s.databases.len() as u64,
            tables: s.tables.len() as u64,
            partitions: s.tables.values().map(|e| e.partitions.len() as u64).sum(),
            size_on_disk: None,
        })
    }
}
