//! Partition indexes: a table's partitions ordered by some of its partition keys,
//! so that a filter on those keys reads a key range instead of the whole table.
//!
//! The partitions themselves are ordered by all their values as text, which serves
//! filters on leading string keys. An index entry is
//! `slot, key₁, …, keyₙ, encoded partition values`, each key encoded by its type's
//! [`KeyCodec`] (so `hour = 5` on an `int` key is one range even though `'05'` and
//! `'5'` are different text); the trailing values make entries unique and lead back
//! to the partition. Every store keeps the entries next to the partitions and
//! changes both in the same atomic write; which index a listing uses is decided
//! here, by [`crate::store::PartitionScan`].

use crate::error::{Error, Result};
use crate::filter::KeyCodec;
use crate::kv::keys::encode_values;
use crate::model::Table;
use crate::names::normalize_name;
use crate::stats::PartitionIndex;

/// Glue's limit of partition indexes per table.
pub const MAX_INDEXES: usize = 3;

/// The indexes of one table with their key positions and codecs resolved.
#[derive(Debug, Clone, Default)]
pub struct IndexSet {
    indexes: Vec<ResolvedIndex>,
}

#[derive(Debug, Clone)]
pub struct ResolvedIndex {
    pub name: String,
    pub slot: u8,
    /// (position among the partition keys, codec), in index order.
    pub keys: Vec<(usize, KeyCodec)>,
}

fn resolve(table: &Table, index: &PartitionIndex) -> Result<ResolvedIndex> {
    let keys = index
        .keys
        .iter()
        .map(|k| {
            let pos = table
                .partition_keys
                .iter()
                .position(|c| c.name == *k)
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "partition index {}: '{k}' is not a partition key of table {}",
                        index.index_name, table.name
                    ))
                })?;
            let codec = KeyCodec::for_type(&table.partition_keys[pos].type_).map_err(|m| {
                Error::invalid(format!(
                    "partition index {}: key '{k}': {m}",
                    index.index_name
                ))
            })?;
            Ok((pos, codec))
        })
        .collect::<Result<_>>()?;
    Ok(ResolvedIndex {
        name: index.index_name.clone(),
        slot: index.slot,
        keys,
    })
}

impl IndexSet {
    pub fn new(table: &Table, indexes: &[PartitionIndex]) -> Result<IndexSet> {
        Ok(IndexSet {
            indexes: indexes
                .iter()
                .map(|i| resolve(table, i))
                .collect::<Result<_>>()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.indexes.is_empty()
    }

    pub fn indexes(&self) -> &[ResolvedIndex] {
        &self.indexes
    }

    /// Every index entry of a partition with these values.
    pub fn entries(&self, values: &[String]) -> Vec<Vec<u8>> {
        self.indexes.iter().map(|i| i.entry(values)).collect()
    }

    /// The encoded partition values at the end of an entry.
    pub fn partition_key<'a>(&self, entry: &'a [u8]) -> Option<&'a [u8]> {
        let (slot, mut rest) = entry.split_first()?;
        let index = self.indexes.iter().find(|i| i.slot == *slot)?;
        for (_, codec) in &index.keys {
            rest = &rest[codec.skip(rest)?..];
        }
        Some(rest)
    }
}

impl ResolvedIndex {
    pub fn entry(&self, values: &[String]) -> Vec<u8> {
        let mut e = vec![self.slot];
        for (pos, codec) in &self.keys {
            codec.encode(&mut e, &values[*pos]);
        }
        e.extend_from_slice(&encode_values(values));
        e
    }
}

/// Checks a new index against its table and the indexes it already has, and
/// gives it a free slot.
pub fn prepare_index(
    table: &Table,
    existing: &[PartitionIndex],
    mut index: PartitionIndex,
) -> Result<PartitionIndex> {
    index.index_name = normalize_name("index name", &index.index_name)?;
    if existing.iter().any(|i| i.index_name == index.index_name) {
        return Err(Error::already_exists(format!(
            "partition index {} already exists on table {}",
            index.index_name, table.name
        )));
    }
    if existing.len() >= MAX_INDEXES {
        return Err(Error::limit(format!(
            "table {} already has {MAX_INDEXES} partition indexes, the most a table can have",
            table.name
        )));
    }
    if index.keys.is_empty() {
        return Err(Error::invalid(format!(
            "partition index {} needs at least one key",
            index.index_name
        )));
    }
    for k in index.keys.iter_mut() {
        *k = k.to_lowercase();
    }
    if let Some(dup) = (1..index.keys.len()).find(|&i| index.keys[..i].contains(&index.keys[i])) {
        return Err(Error::invalid(format!(
            "partition index {} names key '{}' twice",
            index.index_name, index.keys[dup]
        )));
    }
    index.slot = (1..=u8::MAX)
        .find(|s| existing.iter().all(|i| i.slot != *s))
        .expect("at most MAX_INDEXES slots are taken");
    resolve(table, &index)?;
    Ok(index)
}

/// An update may not change the partition keys an index orders by while the
/// index exists: its entries were encoded for the old keys.
pub fn check_index_keys(current: &Table, new: &Table, indexes: &[PartitionIndex]) -> Result<()> {
    for i in indexes {
        for k in &i.keys {
            let pos = |t: &Table| t.partition_keys.iter().position(|c| c.name == *k);
            let same = match (pos(current), pos(new)) {
                (Some(a), Some(b)) => {
                    a == b && current.partition_keys[a].type_ == new.partition_keys[b].type_
                }
                _ => false,
            };
            if !same || current.partition_keys.len() != new.partition_keys.len() {
                return Err(Error::invalid(format!(
                    "partition index {} orders table {} by key '{k}'; delete the index before changing the partition keys",
                    i.index_name, current.name
                )));
            }
        }
    }
    Ok(())
}

/// Index entries to remove and add when partitions change: `removed` and `added`
/// list the values of partitions that go away and that are (re)written.
pub fn entry_changes(
    set: &IndexSet,
    removed: impl IntoIterator<Item = Vec<String>>,
    added: impl IntoIterator<Item = Vec<String>>,
) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    if set.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let del = removed.into_iter().flat_map(|v| set.entries(&v)).collect();
    let put = added.into_iter().flat_map(|v| set.entries(&v)).collect();
    (del, put)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Column;
    use crate::names::TableName;

    fn table() -> Table {
        let mut t = Table::new(TableName::new("t").unwrap());
        t.partition_keys = vec![
            Column::new("dt", "string"),
            Column::new("hour", "int"),
            Column::new("day", "date"),
        ];
        t
    }

    fn idx(name: &str, keys: &[&str]) -> PartitionIndex {
        PartitionIndex {
            index_name: name.into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            slot: 0,
        }
    }

    #[test]
    fn entries_order_by_typed_key_and_lead_back_to_the_partition() {
        let t = table();
        let i = prepare_index(&t, &[], idx("by_hour", &["hour", "day"])).unwrap();
        assert_eq!(i.slot, 1);
        let set = IndexSet::new(&t, &[i]).unwrap();
        let v = |a: &str, b: &str, c: &str| vec![a.to_string(), b.to_string(), c.to_string()];
        let rows = [
            v("x", "10", "2024-01-02"),
            v("y", "9", "2024-01-10"),
            v("z", "-3", "2023-12-31"),
            v("w", "oops", "2024-01-01"),
            v("q", "9", "2024-01-09"),
        ];
        let mut entries: Vec<(Vec<u8>, &Vec<String>)> =
            rows.iter().map(|r| (set.entries(r).remove(0), r)).collect();
        entries.sort();
        let order: Vec<&str> = entries.iter().map(|(_, r)| r[0].as_str()).collect();
        // Unparseable values first, then numeric order, then by date.
        assert_eq!(order, ["w", "z", "q", "y", "x"]);
        for (e, r) in &entries {
            assert_eq!(
                set.partition_key(e).unwrap(),
                encode_values(r).as_slice(),
                "{r:?}"
            );
        }
    }

    #[test]
    fn index_definitions_are_checked() {
        let t = table();
        let mut have = Vec::new();
        for n in ["a", "b", "c"] {
            let i = prepare_index(&t, &have, idx(n, &["dt"])).unwrap();
            have.push(i);
        }
        assert_eq!(have.iter().map(|i| i.slot).collect::<Vec<_>>(), [1, 2, 3]);
        let e = prepare_index(&t, &have, idx("d", &["dt"])).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::LimitExceeded, "{e}");
        let e = prepare_index(&t, &have[..2], idx("A", &["dt"])).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::AlreadyExists, "{e}");
        let e = prepare_index(&t, &[], idx("x", &["nope"])).unwrap_err();
        assert!(e.message.contains("'nope' is not a partition key"), "{e}");
        let e = prepare_index(&t, &[], idx("x", &["dt", "DT"])).unwrap_err();
        assert!(e.message.contains("twice"), "{e}");
        let mut t2 = t.clone();
        t2.partition_keys.push(Column::new("ratio", "double"));
        let e = prepare_index(&t2, &[], idx("x", &["ratio"])).unwrap_err();
        assert!(e.message.contains("must be of type string"), "{e}");
        // A freed slot is reused.
        let i =
            prepare_index(&t, &[have[0].clone(), have[2].clone()], idx("d", &["hour"])).unwrap();
        assert_eq!(i.slot, 2);
    }

    #[test]
    fn indexed_keys_cannot_change() {
        let t = table();
        let i = prepare_index(&t, &[], idx("by_hour", &["hour"])).unwrap();
        let mut t2 = t.clone();
        t2.partition_keys[0].type_ = "int".into();
        check_index_keys(&t, &t2, std::slice::from_ref(&i)).unwrap();
        t2.partition_keys[1].type_ = "bigint".into();
        let e = check_index_keys(&t, &t2, &[i]).unwrap_err();
        assert!(e.message.contains("delete the index"), "{e}");
    }
}
