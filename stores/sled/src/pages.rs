//! A table's partitions stored in pages of neighbours.
//!
//! sled's cost per key written (a tree descent, a logged delta, and a node split
//! every eight or so new keys, since its leaves hold at most 16 entries) was the
//! limit on registering partitions, whatever their size. So partitions are kept
//! in pages of up to [`MAX_ENTRIES`] neighbours, one sled value each: a batch of
//! 1,000 new partitions is a few dozen sled writes instead of a thousand.
//!
//! A page lives under the key `table id, k`, where `k` is at most the key of each
//! partition in it, and holds the partitions from `k` up to the next page's key.
//! A page keeps its key for as long as it lives: a write changes the page that
//! holds (or would hold) each key, splits a page that grows too big into the page
//! itself and new pages keyed by their first partition, and removes a page left
//! empty. Partitions thus only ever move to pages with higher keys, so a listing
//! that reads pages while writes land (each write is atomic, a listing is not)
//! never misses a partition that existed throughout; it may meet one twice and
//! skips the repeat.
//!
//! Values written before pages hold one partition under its own key (they start
//! with `{` or [`super::templates::COMPACT`]); they are read as pages of one.

use super::{id_key, se, Op};
use lakecat_catalog_api::error::{Error, Result};
use sled::{IVec, Tree};
use std::collections::BTreeMap;
use std::ops::Bound;

/// The first byte of a page.
pub const PAGE: u8 = 2;
/// Partitions in a page before it is split.
pub const MAX_ENTRIES: usize = 64;
/// Bytes in a page before it is split, unless it holds a single partition.
const MAX_BYTES: usize = 32 * 1024;

/// A partition: its key (the encoded values) and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

fn corrupt() -> Error {
    Error::storage("corrupt partition page")
}

/// The partitions in the stored value `value` under the page key `key`, borrowed.
fn each<'a>(key: &'a [u8], value: &'a [u8]) -> impl Iterator<Item = Result<(&'a [u8], &'a [u8])>> {
    let (single, mut rest) = match value.split_first() {
        Some((&PAGE, rest)) => (None, rest),
        _ => (Some((key, value)), &[][..]),
    };
    let take = |rest: &mut &'a [u8]| -> Result<&'a [u8]> {
        let (len, tail) = rest.split_first_chunk::<4>().ok_or_else(corrupt)?;
        let len = u32::from_be_bytes(*len) as usize;
        let (v, tail) = tail.split_at_checked(len).ok_or_else(corrupt)?;
        *rest = tail;
        Ok(v)
    };
    let paged = std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let entry = take(&mut rest).and_then(|k| Ok((k, take(&mut rest)?)));
        if entry.is_err() {
            rest = &[];
        }
        Some(entry)
    });
    single.map(Ok).into_iter().chain(paged)
}

/// The partitions in the stored value `value` under the page key `key`.
fn entries(key: &[u8], value: &[u8]) -> Result<Vec<Entry>> {
    each(key, value)
        .map(|e| e.map(|(k, v)| (k.to_vec(), v.to_vec())))
        .collect()
}

fn encode(entries: &[Entry]) -> Vec<u8> {
    let size = entries
        .iter()
        .map(|(k, v)| k.len() + v.len() + 8)
        .sum::<usize>();
    let mut out = Vec::with_capacity(1 + size);
    out.push(PAGE);
    for (k, v) in entries {
        for part in [k, v] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// The table's range of partition keys, from `from` (a partition key).
fn from_key(tid: u64, from: &[u8]) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    (
        Bound::Included(id_key(tid, from)),
        Bound::Excluded(id_key(tid + 1, &[])),
    )
}

/// The page that holds or would hold `key`: the one with the greatest key at most
/// `key`, as (page key, value).
fn floor(tree: &Tree, tid: u64, key: &[u8]) -> Result<Option<(Vec<u8>, IVec)>> {
    if key.is_empty() {
        return Ok(None);
    }
    match tree.range(id_key(tid, &[0])..=id_key(tid, key)).next_back() {
        Some(kv) => {
            let (k, v) = kv.map_err(se)?;
            Ok(Some((k[8..].to_vec(), v)))
        }
        None => Ok(None),
    }
}

/// The key of the first page after `key`.
fn next_page(tree: &Tree, tid: u64, key: &[u8]) -> Result<Option<Vec<u8>>> {
    let range = (
        Bound::Excluded(id_key(tid, key)),
        Bound::Excluded(id_key(tid + 1, &[])),
    );
    match tree.range(range).keys().next() {
        Some(k) => Ok(Some(k.map_err(se)?[8..].to_vec())),
        None => Ok(None),
    }
}

/// The value of the partition with key `key`.
pub fn get(tree: &Tree, tid: u64, key: &[u8]) -> Result<Option<Vec<u8>>> {
    let Some((pk, value)) = floor(tree, tid, key)? else {
        return Ok(None);
    };
    for e in each(&pk, &value) {
        let (k, v) = e?;
        if k == key {
            return Ok(Some(v.to_vec()));
        }
    }
    Ok(None)
}

/// Whether the table has any partition.
pub fn any(tree: &Tree, tid: u64) -> Result<bool> {
    let first = tree.range(from_key(tid, &[0])).keys().next();
    Ok(first.transpose().map_err(se)?.is_some())
}

/// The partitions with keys from `start` (inclusive) to `end` (exclusive; `None`:
/// to the last), in key order.
pub fn scan<'a>(
    tree: &'a Tree,
    tid: u64,
    start: &[u8],
    end: Option<&[u8]>,
) -> Result<impl Iterator<Item = Result<Entry>> + 'a> {
    let begin = match floor(tree, tid, start)? {
        Some((pk, _)) => pk,
        None => start.to_vec(),
    };
    let end_key = match end {
        Some(e) => Bound::Excluded(id_key(tid, e)),
        None => Bound::Excluded(id_key(tid + 1, &[])),
    };
    let mut pages = tree.range((Bound::Included(id_key(tid, &begin)), end_key));
    let (start, end) = (start.to_vec(), end.map(<[u8]>::to_vec));
    let mut pending = std::collections::VecDeque::new();
    let mut last: Option<Vec<u8>> = None;
    let mut done = false;
    Ok(std::iter::from_fn(move || loop {
        if done {
            return None;
        }
        while let Some((k, v)) = pending.pop_front() {
            let k: Vec<u8> = k;
            if k < start || last.as_ref().is_some_and(|l| &k <= l) {
                continue;
            }
            if end.as_ref().is_some_and(|e| &k >= e) {
                done = true;
                return None;
            }
            last = Some(k.clone());
            return Some(Ok((k, v)));
        }
        match pages.next()? {
            Ok((k, _)) if k.len() == 8 => {} // the partition count
            Ok((k, v)) => match entries(&k[8..], &v) {
                Ok(e) => pending.extend(e),
                Err(e) => return Some(Err(e)),
            },
            Err(e) => return Some(Err(se(e))),
        }
    }))
}

/// The operations that delete the partitions `deletes` and write `puts` (new or
/// replaced) in table `tid`. The caller holds the write lock and applies the
/// operations in one atomic write.
pub fn plan(tree: &Tree, tid: u64, deletes: &[Vec<u8>], puts: Vec<Entry>) -> Result<Vec<Op>> {
    let mut changes: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
    for k in deletes {
        changes.insert(k.clone(), None);
    }
    for (k, v) in puts {
        changes.insert(k, Some(v));
    }
    let mut ops = Vec::new();
    let mut changes = changes.into_iter().peekable();
    while let Some((first, _)) = changes.peek() {
        // The page holding `first`, and where the next page begins.
        let (page, mut current, bound) = match floor(tree, tid, first)? {
            Some((pk, value)) => {
                let bound = next_page(tree, tid, &pk)?;
                let current: BTreeMap<_, _> = entries(&pk, &value)?.into_iter().collect();
                (Some(pk), current, bound)
            }
            None => (None, BTreeMap::new(), next_page(tree, tid, first)?),
        };
        while let Some((k, _)) = changes.peek() {
            if bound.as_ref().is_some_and(|b| k >= b) {
                break;
            }
            let (k, v) = changes.next().expect("peeked");
            match v {
                Some(v) => current.insert(k, v),
                None => current.remove(&k),
            };
        }
        let current: Vec<Entry> = current.into_iter().collect();
        let pieces = split(current);
        match &page {
            Some(pk) if pieces.is_empty() => ops.push((id_key(tid, pk), None)),
            _ => {}
        }
        for (i, piece) in pieces.iter().enumerate() {
            let key = match (&page, i) {
                (Some(pk), 0) => pk.as_slice(),
                _ => piece[0].0.as_slice(),
            };
            ops.push((id_key(tid, key), Some(encode(piece))));
        }
    }
    Ok(ops)
}

/// Cuts a run of partitions into pages of even size within the limits.
fn split(entries: Vec<Entry>) -> Vec<Vec<Entry>> {
    if entries.is_empty() {
        return Vec::new();
    }
    let bytes: usize = entries.iter().map(|(k, v)| k.len() + v.len() + 8).sum();
    let n = entries
        .len()
        .div_ceil(MAX_ENTRIES)
        .max(bytes.div_ceil(MAX_BYTES))
        .min(entries.len());
    let (per, extra) = (entries.len() / n, entries.len() % n);
    let mut out = Vec::with_capacity(n);
    let mut rest = entries.into_iter();
    for i in 0..n {
        out.push(rest.by_ref().take(per + usize::from(i < extra)).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n: usize, value_len: usize) -> Vec<Entry> {
        (0..n)
            .map(|i| (format!("k{i:05}").into_bytes(), vec![b'v'; value_len]))
            .collect()
    }

    #[test]
    fn pages_round_trip_and_a_lone_value_is_a_page_of_one() {
        let e = run(3, 10);
        assert_eq!(entries(b"k00000", &encode(&e)).unwrap(), e);
        let lone = entries(b"key", b"{\"values\":[]}").unwrap();
        assert_eq!(lone, [(b"key".to_vec(), b"{\"values\":[]}".to_vec())]);
    }

    #[test]
    fn a_truncated_page_is_an_error_not_a_panic() {
        let page = encode(&run(3, 10));
        for cut in 1..page.len() {
            match entries(b"k", &page[..cut]) {
                Err(e) => assert!(
                    e.message.contains("corrupt partition page"),
                    "{}",
                    e.message
                ),
                // A cut between two whole entries is a shorter valid page.
                Ok(e) => assert!(e.len() < 3),
            }
        }
        assert!(entries(b"k", &[PAGE, 0, 0, 0, 9, 1]).is_err());
    }

    /// A listing that has read a page, then has it split and emptied under it,
    /// still yields every partition that existed throughout, once, in order.
    /// (sled's iterator reads a leaf at a time, so whether the scan meets the new
    /// pages depends on leaf boundaries; the repeat check guards the case it does.)
    #[test]
    fn a_scan_across_a_split_misses_nothing_and_repeats_nothing() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("p").unwrap();
        let apply = |ops: Vec<Op>| tree.apply_batch(super::super::batch_of(ops)).unwrap();
        let key = |i: usize| format!("k{i:04}").into_bytes();
        let evens: Vec<Entry> = (0..60).map(|i| (key(2 * i), b"e".to_vec())).collect();
        apply(plan(&tree, 1, &[], evens.clone()).unwrap());
        assert_eq!(tree.len(), 1, "one page");

        let mut scan = scan(&tree, 1, &[], None).unwrap();
        let mut seen: Vec<Vec<u8>> = (0..10).map(|_| scan.next().unwrap().unwrap().0).collect();
        // The page being read splits in three, and the next write empties a page.
        let odds: Vec<Entry> = (0..60).map(|i| (key(2 * i + 1), b"o".to_vec())).collect();
        apply(plan(&tree, 1, &[], odds.clone()).unwrap());
        assert!(tree.len() >= 2, "the page split");
        seen.extend(scan.by_ref().take(5).map(|e| e.unwrap().0));
        let gone: Vec<_> = odds.iter().map(|(k, _)| k.clone()).collect();
        apply(plan(&tree, 1, &gone, Vec::new()).unwrap());
        seen.extend(scan.map(|e| e.unwrap().0));

        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "repeated or out of order"
        );
        for (k, _) in &evens {
            assert!(seen.contains(k), "{} missing", String::from_utf8_lossy(k));
        }
        let all: Vec<_> = super::scan(&tree, 1, &[], None)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        assert_eq!(all, evens);
    }

    #[test]
    fn runs_are_cut_into_even_pages_within_the_limits() {
        let sizes = |e: Vec<Entry>| split(e).iter().map(Vec::len).collect::<Vec<_>>();
        assert_eq!(sizes(run(64, 10)), [64]);
        assert_eq!(sizes(run(130, 10)), [44, 43, 43]);
        // 10 entries of 10 KiB: bytes, not count, decide.
        assert_eq!(sizes(run(10, 10 * 1024)), [3, 3, 2, 2]);
        // One huge partition still gets a page.
        assert_eq!(sizes(run(1, 100 * 1024)), [1]);
        assert!(split(Vec::new()).is_empty());
    }
}
