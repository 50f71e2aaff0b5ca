//! The metastore's lock table (`lock`, `check_lock`, `unlock`, `heartbeat`), so that
//! clients that commit by locking a table (PyIceberg's HiveCatalog, Hive's ACID
//! writers) serialise their commits.
//!
//! Locks live in memory: a restart releases them all, as the locks of a crashed
//! metastore time out. A lock not heard of (locked, checked or heartbeated) for
//! the timeout is dropped, so a client that dies holding one does not block others
//! for ever.

use super::thrift::{TStruct, TValue};
use lakecat_catalog_api::{Error, Result};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const ACQUIRED: i32 = 1;
const WAITING: i32 = 2;
const SHARED_WRITE: i64 = 2;

#[derive(Debug, Clone)]
struct Component {
    db: String,
    table: String,
    kind: i64,
}

#[derive(Debug)]
struct Held {
    components: Vec<Component>,
    last_seen: Instant,
    user: String,
    host: String,
}

pub struct Locks {
    state: Mutex<(i64, BTreeMap<i64, Held>)>,
    timeout: Duration,
}

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

impl Locks {
    pub fn new(timeout: Duration) -> Locks {
        Locks {
            state: Mutex::new((1, BTreeMap::new())),
            timeout,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut i64, &mut BTreeMap<i64, Held>) -> T) -> T {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let timeout = self.timeout;
        g.1.retain(|_, h| h.last_seen.elapsed() < timeout);
        let (next, locks) = &mut *g;
        f(next, locks)
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

    pub fn lock(&self, req: Option<&TStruct>) -> TStruct {
        let components = req
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
        self.with(|next, locks| {
            let id = *next;
            *next += 1;
            locks.insert(
                id,
                Held {
                    components,
                    last_seen: Instant::now(),
                    user,
                    host,
                },
            );
            Self::response(id, Self::state_of(locks, id))
        })
    }

    pub fn check(&self, id: i64) -> Result<TStruct> {
        self.with(|_, locks| {
            let h = locks.get_mut(&id).ok_or_else(|| no_lock(id))?;
            h.last_seen = Instant::now();
            Ok(Self::response(id, Self::state_of(locks, id)))
        })
    }

    pub fn unlock(&self, id: i64) -> Result<()> {
        self.with(|_, locks| locks.remove(&id).map(|_| ()).ok_or_else(|| no_lock(id)))
    }

    pub fn heartbeat(&self, id: i64) -> Result<()> {
        self.with(|_, locks| {
            let h = locks.get_mut(&id).ok_or_else(|| no_lock(id))?;
            h.last_seen = Instant::now();
            Ok(())
        })
    }

    /// ShowLocksResponse {1: locks [{1 lockid, 2 dbname, 3 tablename, 5 state, 6 type,
    /// 8 lastheartbeat, 10 user, 11 hostname}]}.
    pub fn show(&self) -> TStruct {
        self.with(|_, locks| {
            let ids: Vec<i64> = locks.keys().copied().collect();
            let mut out = Vec::new();
            for id in ids {
                let state = Self::state_of(locks, id);
                let h = &locks[&id];
                for c in &h.components {
                    out.push(
                        TStruct::new()
                            .with(1, TValue::I64(id))
                            .with_str(2, c.db.clone())
                            .with_str(3, c.table.clone())
                            .with(5, TValue::I32(state))
                            .with(6, TValue::I32(c.kind as i32))
                            .with(8, TValue::I64(0))
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

    #[test]
    fn exclusive_locks_queue_and_time_out() {
        let l = Locks::new(Duration::from_millis(200));
        let a = l.lock(Some(&req(3, "t")));
        assert_eq!(a.int(2), Some(ACQUIRED as i64));
        let b = l.lock(Some(&req(3, "t")));
        let b_id = b.int(1).unwrap();
        assert_eq!(b.int(2), Some(WAITING as i64));
        // Another table is independent; shared reads of it coexist.
        assert_eq!(l.lock(Some(&req(1, "u"))).int(2), Some(ACQUIRED as i64));
        assert_eq!(l.lock(Some(&req(1, "u"))).int(2), Some(ACQUIRED as i64));
        l.unlock(a.int(1).unwrap()).unwrap();
        assert_eq!(l.check(b_id).unwrap().int(2), Some(ACQUIRED as i64));
        assert!(l.unlock(a.int(1).unwrap()).is_err());
        std::thread::sleep(Duration::from_millis(250));
        assert!(l.check(b_id).is_err(), "timed out");
    }
}
