//! loadTable answers, kept by metadata file. A metadata file never changes once
//! written (a commit writes a new file and swaps the catalog's pointer to it), so
//! the answer for a (metadata location, snapshots mode) pair stays the same for as
//! long as the file exists, on every replica: nothing needs invalidating, and the
//! catalog lookup before it still decides which file is current (and whether the
//! caller may read the table). Reading, parsing and writing out again a metadata
//! file of a few hundred snapshots was most of loadTable's time.

use axum::body::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};

/// Bytes kept at most; the oldest answers go first.
const MAX_BYTES: usize = 64 << 20;

type Key = (String, bool);

#[derive(Default)]
struct Answers {
    map: HashMap<Key, Bytes>,
    order: VecDeque<Key>,
    bytes: usize,
}

fn answers() -> std::sync::MutexGuard<'static, Answers> {
    static ANSWERS: OnceLock<Mutex<Answers>> = OnceLock::new();
    ANSWERS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The answer for `location` (all snapshots, or only the referenced ones), if kept.
pub fn get(location: &str, refs_only: bool) -> Option<Bytes> {
    answers()
        .map
        .get(&(location.to_string(), refs_only))
        .cloned()
}

/// Keeps an answer; one larger than a quarter of the budget is not kept.
pub fn put(location: &str, refs_only: bool, body: Bytes) {
    if body.len() > MAX_BYTES / 4 {
        return;
    }
    let mut a = answers();
    let key = (location.to_string(), refs_only);
    if a.map.contains_key(&key) {
        return;
    }
    a.bytes += body.len();
    a.map.insert(key.clone(), body);
    a.order.push_back(key);
    while a.bytes > MAX_BYTES {
        let Some(old) = a.order.pop_front() else {
            break;
        };
        if let Some(b) = a.map.remove(&old) {
            a.bytes -= b.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_kept_by_file_and_mode_within_the_budget() {
        put("file:///m/1.json", false, Bytes::from_static(b"all"));
        put("file:///m/1.json", true, Bytes::from_static(b"refs"));
        assert_eq!(get("file:///m/1.json", false).unwrap(), "all");
        assert_eq!(get("file:///m/1.json", true).unwrap(), "refs");
        assert!(get("file:///m/2.json", false).is_none());
        // Too large to keep.
        put(
            "file:///m/big.json",
            false,
            Bytes::from(vec![0u8; MAX_BYTES / 4 + 1]),
        );
        assert!(get("file:///m/big.json", false).is_none());
        // Filling the budget pushes the oldest out.
        for i in 0..5 {
            put(
                &format!("file:///m/fill{i}.json"),
                false,
                Bytes::from(vec![0u8; MAX_BYTES / 4]),
            );
        }
        assert!(get("file:///m/1.json", false).is_none());
        assert!(get("file:///m/fill4.json", false).is_some());
        assert!(answers().bytes <= MAX_BYTES);
    }
}
