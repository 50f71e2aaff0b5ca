//! The metastore's lock table (`lock`, `check_lock`, `unlock`, `heartbeat`), so that
//! clients that commit by locking a table (PyIceberg's HiveCatalog, Hive's ACID
//! writers) serialise their commits.
//!
//! The table is one service record in the catalog's store, changed by
//! compare-and-swap: every replica on a shared store (PostgreSQL) sees the same
//! locks, as Hive Metastores share theirs through their database, so two commits
//! through two replicas serialise. A lock not heard of (locked, checked or
//! heartbeated) for the timeout is dropped, so a client (or replica) that dies
//! holding one does not block others for ever.

use super::thrift::{TStruct, TValue};
use lakecat_catalog_api::store::{CatalogStore, Expect, RecordWrite};
use lakecat_catalog_api::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const ACQUIRED: i32 = 1;
const WAITING: i32 = 2;
const SHARED_WRITE: i64 = 2;
const SPACE: &str = "hms";
const KEY: &str = "locks";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Component {
    db: String,
    table: String,
    kind: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Held {
    components: Vec<Component>,
    /// Wall-clock milliseconds: replicas compare it, so it cannot be an `Instant`.
    last_seen_ms: i64,
    user: String,
    host: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Table {
    next: i64,
    locks: BTreeMap<i64, Held>,
}

pub struct Locks {
    store: Arc<dyn CatalogStore>,
    timeout: Duration,
    /// Locks held or waiting at once: the table is one record rewritten by
    /// every call, so a client asking for locks without end must be stopped.
    max: usize,
}

/// Far more than commits hold at once; small enough that the record stays cheap.
pub const MAX_LOCKS: usize = 5_000;

fn conflicts(a: &Component, b: &Component) -> bool {
    let same = a.db.eq_ignore_ascii_case(&b.db)
        && (a.table.is_empty() || b.table.is_empty() || a.table.eq_ignore_ascii_case(&b.table));
    // Shared reads coexist with anything but exclusive locks; shared writes with
    // reads only.
    let exclusive = |c: &Component| c.kind > SHARED_WRITE;
    same && (exclusive(a) || exclusive(b) || (a.kind == SHARED_WRITE && b.kind == SHARED_WRITE))
}

fn no_lock(id: i64) -> Error {
    Error::not_found(format!(
        "No such lock: {id} (unknown, released or timed out)"
    ))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Locks {
    pub fn new(store: Arc<dyn CatalogStore>, timeout: Duration) -> Locks {
        Locks::with_limit(store, timeout, MAX_LOCKS)
    }

    pub fn with_limit(store: Arc<dyn CatalogStore>, timeout: Duration, max: usize) -> Locks {
        Locks {
            store,
            timeout,
            max,
        }
    }

    /// Runs `f` on the current table and stores what it changed, again on a
    /// fresh read if another caller (here or on another replica) changed the
    /// table meanwhile.
    fn with<T>(&self, mut f: impl FnMut(&mut Table) -> T) -> Result<T> {
        let timeout = self.timeout.as_millis() as i64;
        loop {
            let cur = self.store.get_record(SPACE, KEY)?;
            let mut t: Table = match &cur {
                Some(b) => serde_json::from_slice(b)
                    .map_err(|e| Error::storage(format!("corrupt lock table: {e}")))?,
                None => Table {
                    next: 1,
                    locks: BTreeMap::new(),
                },
            };
            let now = now_ms();
            t.locks.retain(|_, h| now - h.last_seen_ms < timeout);
            let out = f(&mut t);
            let bytes = serde_json::to_vec(&t)
                .map_err(|e| Error::storage(format!("encoding the lock table: {e}")))?;
            if cur.as_deref() == Some(bytes.as_slice()) {
                return Ok(out);
            }
            let expect = match cur {
                Some(b) => Expect::Equals(b),
                None => Expect::Absent,
            };
            match self
                .store
                .write_records(vec![RecordWrite::put(SPACE, KEY, bytes).expecting(expect)])
            {
                Ok(()) => return Ok(out),
                Err(e) if e.kind == ErrorKind::Conflict => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// A lock is acquired when no earlier lock (held or waiting) conflicts with it.
    fn state_of(locks: &BTreeMap<i64, Held>, id: i64) -> i32 {
        let mine = &locks[&id].components;
        let blocked = locks.range(..id).any(|(_, h)| {
            h.components
                .iter()
                .any(|c| mine.iter().any(|m| conflicts(c, m)))
        });
        if blocked {
            WAITING
        } else {
            ACQUIRED
        }
    }

    fn response(id: i64, state: i32) -> TStruct {
        TStruct::new()
            .with(1, TValue::I64(id))
            .with(2, TValue::I32(state))
    }

    pub fn lock(&self, req: Option<&TStruct>) -> Result<TStruct> {
        let components: Vec<Component> = req
            .map(|r| {
                r.list(1)
                    .iter()
                    .filter_map(TValue::as_struct)
                    .map(|c| Component {
                        kind: c.int(1).unwrap_or(3),
                        db: c.str(3).unwrap_or_default(),
                        table: c.str(4).unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (user, host) = req
            .map(|r| (r.str(3).unwrap_or_default(), r.str(4).unwrap_or_default()))
            .unwrap_or_default();
        let max = self.max;
        self.with(|t| {
            if t.locks.len() >= max {
                return Err(Error::limit(format!(
                    "{max} locks are held or waiting already; release some (or let them time out) first"
                )));
            }
            let id = t.next;
            t.next += 1;
            t.locks.insert(
                id,
                Held {
                    components: components.clone(),
                    last_seen_ms: now_ms(),
                    user: user.clone(),
                    host: host.clone(),
                },
            );
            Ok(Self::response(id, Self::state_of(&t.locks, id)))
        })?
    }

    pub fn check(&self, id: i64) -> Result<TStruct> {
        self.with(|t| {
            let h = t.locks.get_mut(&id).ok_or_else(|| no_lock(id))?;
            h.last_seen_ms = now_ms();
            Ok(Self::response(id, Self::state_of(&t.locks, id)))
        })?
    }

    pub fn unlock(&self, id: i64) -> Result<()> {
        self.with(|t| t.locks.remove(&id).map(|_| ()).ok_or_else(|| no_lock(id)))?
    }

    pub fn heartbeat(&self, id: i64) -> Result<()> {
        self.with(|t| {
            let h = t.locks.get_mut(&id).ok_or_else(|| no_lock(id))?;
            h.last_seen_ms = now_ms();
            Ok(())
        })?
    }

    /// ShowLocksResponse {1: locks [{1 lockid, 2 dbname, 3 tablename, 5 state, 6 type,
    /// 8 lastheartbeat, 10 user, 11 hostname}]}.
    pub fn show(&self) -> Result<TStruct> {
        self.with(|t| {
            let mut out = Vec::new();
            for (&id, h) in &t.locks {
                let state = Self::state_of(&t.locks, id);
                for c in &h.components {
                    out.push(
                        TStruct::new()
                            .with(1, TValue::I64(id))
                            .with_str(2, c.db.clone())
                            .with_str(3, c.table.clone())
                            .with(5, TValue::I32(state))
                            .with(6, TValue::I32(c.kind as i32))
                            .with(8, TValue::I64(h.last_seen_ms))
                            .with_str(10, h.user.clone())
                            .with_str(11, h.host.clone()),
                    );
                }
            }
            TStruct::new().with(1, TValue::struct_list(out))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(kind: i64, table: &str) -> TStruct {
        TStruct::new().with(
            1,
            TValue::struct_list([TStruct::new()
                .with(1, TValue::I64(kind))
                .with(2, TValue::I32(2))
                .with_str(3, "db")
                .with_str(4, table)]),
        )
    }

    /// Two lock tables over one store behave as one: replicas share their locks.
    #[test]
    fn exclusive_locks_queue_and_time_out() {
        let store: Arc<dyn CatalogStore> =
            Arc::new(lakecat_catalog_api::memory::MemoryStore::new(1));
        let l = Locks::new(store.clone(), Duration::from_millis(200));
        let other = Locks::new(store, Duration::from_millis(200));
        let a = l.lock(Some(&req(3, "t"))).unwrap();
        assert_eq!(a.int(2), Some(ACQUIRED as i64));
        let b = other.lock(Some(&req(3, "t"))).unwrap();
        let b_id = b.int(1).unwrap();
        assert_eq!(b.int(2), Some(WAITING as i64));
        // Another table is independent; shared reads of it coexist.
        assert_eq!(
            l.lock(Some(&req(1, "u"))).unwrap().int(2),
            Some(ACQUIRED as i64)
        );
        assert_eq!(
            other.lock(Some(&req(1, "u"))).unwrap().int(2),
            Some(ACQUIRED as i64)
        );
        l.unlock(a.int(1).unwrap()).unwrap();
        assert_eq!(other.check(b_id).unwrap().int(2), Some(ACQUIRED as i64));
        assert!(l.unlock(a.int(1).unwrap()).is_err());
        std::thread::sleep(Duration::from_millis(250));
        assert!(l.check(b_id).is_err(), "timed out");
    }

    #[test]
    fn the_lock_table_is_bounded() {
        let store: Arc<dyn CatalogStore> =
            Arc::new(lakecat_catalog_api::memory::MemoryStore::new(1));
        let l = Locks::with_limit(store, Duration::from_secs(60), 3);
        let ids: Vec<i64> = (0..3)
            .map(|_| l.lock(Some(&req(1, "t"))).unwrap().int(1).unwrap())
            .collect();
        let e = l.lock(Some(&req(1, "t"))).unwrap_err();
        assert!(e.message.contains("3 locks are held"), "{e}");
        l.unlock(ids[0]).unwrap();
        assert!(l.lock(Some(&req(1, "t"))).is_ok());
    }
}
