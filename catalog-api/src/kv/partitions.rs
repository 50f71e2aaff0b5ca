//! Partition writes and listings for backends that keep a table's partitions in
//! one ordered key range: batches planned into encoded keys, the key range (in
//! the partitions or in a partition index) a filtered listing must scan, and
//! name-ordered paging.

use super::keys::{encode_value, encode_values, prefix_end, token_decode, token_encode};
use crate::error::{Error, Result};
use crate::filter::{CompiledFilter, FilterExpr};
use crate::index::IndexSet;
use crate::model::{Partition, Table};
use crate::names::{DatabaseName, TableIdent};
use crate::stats::PartitionIndex;
use crate::store::*;
use std::collections::HashSet;

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

/// Checks a [`crate::store::CatalogStore::replace_partitions`] batch against the
/// current partitions (`current` answers a partition by its key) and returns
/// the partitions to write with their keys; the first missing or invalid one
/// fails the whole batch.
pub fn plan_partition_replacements(
    id: &TableIdent,
    table: &Table,
    parts: Vec<Partition>,
    mut current: impl FnMut(&[u8]) -> Result<Option<Partition>>,
) -> Result<Vec<EncodedPartition>> {
    let mut out: Vec<EncodedPartition> = Vec::with_capacity(parts.len());
    for p in parts {
        let values = p.values.clone();
        check_values_for(table, &values)?;
        let key = encode_values(&values);
        let Some(cur) = current(&key)? else {
            return Err(partition_not_found(id, &values));
        };
        let (_, new, p) = plan_partition_update(id, table, &values, &cur, p, |_| Ok(false))?;
        if new != key {
            return Err(Error::invalid(format!(
                "partition {values:?} of table {id}: a replacement keeps its values"
            )));
        }
        out.retain(|(k, _)| *k != key);
        out.push((key, p));
    }
    Ok(out)
}

/// The checked parts of a [`TableWrite`], ready for a backend to apply.
pub struct PlannedTableWrite {
    pub table: Table,
    /// Existing partitions removed, partitions written, and what follows them.
    pub changes: PartitionChanges,
    /// How many partitions the table has afterwards.
    pub partition_count: u64,
    /// What the write changes, for the change log.
    pub events: Vec<crate::events::Change>,
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
    let mut deleted = Vec::new();
    let mut seen = HashSet::new();
    for v in &write.delete_partitions {
        check_values_for(current_table.as_ref().unwrap_or(&table), v)?;
        let k = encode_values(v);
        if seen.insert(k.clone()) && existing(&k)?.is_some() {
            deletes.push(k);
            deleted.push(v.clone());
        }
    }
    let (mut fresh, mut replaced) = (Vec::new(), Vec::new());
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
            Some(created) if !seen.contains(&k) => {
                p.create_time = created;
                replaced.push(p.clone());
            }
            _ => {
                p.create_time = now;
                added += 1;
                fresh.push(p.clone());
            }
        }
        puts.push((k, p));
    }
    let partition_count = current_count - deletes.len() as u64 + added;
    let changes = PartitionChanges::new(indexes, &table, deletes, puts)?;
    let events = table_write_events(current_table, &table, deleted, fresh, replaced);
    Ok(PlannedTableWrite {
        table,
        changes,
        partition_count,
        events,
    })
}

/// The change-log entries of a table write: the table created or changed (a
/// write that changes only partitions does not log the version it stamps on the
/// table), then the partitions dropped, added and replaced. Replaced partitions
/// were not read, so their `before` is left empty.
fn table_write_events(
    before: Option<Table>,
    after: &Table,
    deleted: Vec<Vec<String>>,
    fresh: Vec<Partition>,
    replaced: Vec<Partition>,
) -> Vec<crate::events::Change> {
    use crate::events::Change;
    let mut out = Vec::new();
    match before {
        None => out.push(Change::CreateTable {
            table: after.clone(),
        }),
        Some(before) if !same_but_stamps(&before, after) => out.push(Change::AlterTable {
            before,
            after: after.clone(),
        }),
        Some(_) => {}
    }
    if !deleted.is_empty() {
        out.push(Change::DropPartitions {
            table: after.clone(),
            values: deleted,
        });
    }
    if !fresh.is_empty() {
        out.push(Change::AddPartitions {
            table: after.clone(),
            partitions: fresh,
        });
    }
    out.extend(crate::events::partitions_altered(
        after,
        replaced.into_iter().map(|p| (None, p)),
    ));
    out
}

/// Whether two tables differ only in what a store stamps on every write.
fn same_but_stamps(a: &Table, b: &Table) -> bool {
    let strip = |t: &Table| Table {
        version_id: None,
        update_time: 0,
        ..t.clone()
    };
    strip(a) == strip(b)
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
                let values = crate::kv::keys::decode_values(pkey)
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
            crate::kv::keys::decode_values(k).ok_or_else(|| Error::storage("corrupt partition key"))
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

/// The change-log entry of new partitions (nothing when there are none).
pub fn added(table: &Table, writes: &[EncodedPartition]) -> Vec<crate::events::Change> {
    if writes.is_empty() {
        return Vec::new();
    }
    vec![crate::events::Change::AddPartitions {
        table: table.clone(),
        partitions: writes.iter().map(|(_, p)| p.clone()).collect(),
    }]
}

/// The change-log entry of partitions removed by their keys.
pub fn dropped(table: &Table, keys: &[Vec<u8>]) -> Result<Vec<crate::events::Change>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let values = keys
        .iter()
        .map(|k| {
            crate::kv::keys::decode_values(k).ok_or_else(|| Error::storage("corrupt partition key"))
        })
        .collect::<Result<_>>()?;
    Ok(vec![crate::events::Change::DropPartitions {
        table: table.clone(),
        values,
    }])
}

/// Imported partitions keyed by their encoded values, as stores keep them
/// (without the database and table names they are presented with).
pub fn import_puts(parts: Vec<Partition>) -> Vec<EncodedPartition> {
    parts
        .into_iter()
        .map(|mut p| {
            p.database_name = None;
            p.table_name = None;
            (encode_values(&p.values), p)
        })
        .collect()
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
