//! The change log: every committed change to the catalog, in commit order.
//!
//! A store appends a write's [`Change`]s in the same atomic step as the write
//! itself (so a write that fails logs nothing, and nothing that committed lacks
//! its events, even across a crash), numbering them with ids that grow strictly
//! and become visible in id order: a reader that resumes after the last id it
//! saw misses nothing and sees nothing twice. The fronts render the same events
//! as the Hive Metastore's notification log, EventBridge-style events and the
//! REST feed; what is stored here is lakecat's own model, so that every front
//! can say it its own way.
//!
//! Names follow the Hive Metastore's event types where Hive has one, so that the
//! Thrift front passes them through unchanged.

use crate::model::{Database, Function, Partition, Table};
use crate::stats::{ColumnStatistics, PartitionIndex};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// One committed change, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Strictly increasing across the store (and across the replicas that share it).
    pub id: u64,
    /// When the change committed, in milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// Who made it, where known (the verified principal of the request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    pub change: Change,
}

/// What changed. Tables and partitions are the stored objects (partitions without
/// their database and table names, which the table gives).
// One change per write is built and serialised once; boxing the two tables of an
// alter would only add noise at every site that builds or matches one.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Change {
    CreateDatabase {
        database: Database,
    },
    AlterDatabase {
        before: Database,
        after: Database,
    },
    DropDatabase {
        database: Database,
    },
    CreateTable {
        table: Table,
    },
    /// A rename is an alter whose `after` has the new name (as in Hive).
    AlterTable {
        before: Table,
        after: Table,
    },
    DropTable {
        table: Table,
    },
    #[serde(rename = "ADD_PARTITION")]
    AddPartitions {
        table: Table,
        partitions: Vec<Partition>,
    },
    /// One partition replaced (it may have new values): one event per partition,
    /// as Hive logs them, so that ids map one to one onto Hive's. `before` is
    /// absent where the store did not read it (a table write's replacements).
    AlterPartition {
        table: Table,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<Partition>,
        after: Partition,
    },
    #[serde(rename = "DROP_PARTITION")]
    DropPartitions {
        table: Table,
        values: Vec<Vec<String>>,
    },
    CreateFunction {
        function: Function,
    },
    DropFunction {
        function: Function,
    },
    CreatePartitionIndex {
        table: Table,
        index: PartitionIndex,
    },
    DropPartitionIndex {
        table: Table,
        index_name: String,
    },
    /// Hive's `UPDATE_TABLE_COLUMN_STAT` / `UPDATE_PARTITION_COLUMN_STAT`.
    #[serde(rename = "UPDATE_COLUMN_STAT")]
    UpdateColumnStatistics {
        table: Table,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<Vec<String>>,
        statistics: Vec<ColumnStatistics>,
    },
    #[serde(rename = "DELETE_COLUMN_STAT")]
    DeleteColumnStatistics {
        table: Table,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<Vec<String>>,
        column: String,
    },
    /// Data written into a table or partition (Hive's `fire_listener_event`).
    Insert {
        table: Table,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<Vec<String>>,
        replace: bool,
        files: Vec<String>,
    },
    /// A change to something the services around the catalog keep (a crawler's
    /// definition or run state), in the shape of Glue's events: `detail_type` is
    /// EventBridge's `detail-type` (`Glue Crawler State Change`, …).
    Service {
        detail_type: String,
        detail: serde_json::Value,
    },
}

impl Change {
    /// The type name stored and shown (Hive's event type where Hive has one).
    pub fn event_type(&self) -> &'static str {
        match self {
            Change::CreateDatabase { .. } => "CREATE_DATABASE",
            Change::AlterDatabase { .. } => "ALTER_DATABASE",
            Change::DropDatabase { .. } => "DROP_DATABASE",
            Change::CreateTable { .. } => "CREATE_TABLE",
            Change::AlterTable { .. } => "ALTER_TABLE",
            Change::DropTable { .. } => "DROP_TABLE",
            Change::AddPartitions { .. } => "ADD_PARTITION",
            Change::AlterPartition { .. } => "ALTER_PARTITION",
            Change::DropPartitions { .. } => "DROP_PARTITION",
            Change::CreateFunction { .. } => "CREATE_FUNCTION",
            Change::DropFunction { .. } => "DROP_FUNCTION",
            Change::CreatePartitionIndex { .. } => "CREATE_PARTITION_INDEX",
            Change::DropPartitionIndex { .. } => "DROP_PARTITION_INDEX",
            Change::UpdateColumnStatistics { .. } => "UPDATE_COLUMN_STAT",
            Change::DeleteColumnStatistics { .. } => "DELETE_COLUMN_STAT",
            Change::Insert { .. } => "INSERT",
            Change::Service { .. } => "SERVICE",
        }
    }

    /// The database the change is in, if any.
    pub fn database(&self) -> Option<&str> {
        match self {
            Change::CreateDatabase { database } | Change::DropDatabase { database } => {
                Some(database.name.as_str())
            }
            Change::AlterDatabase { after, .. } => Some(after.name.as_str()),
            Change::CreateFunction { function } | Change::DropFunction { function } => {
                function.database_name.as_ref().map(|d| d.as_str())
            }
            Change::Service { .. } => None,
            _ => self
                .table()
                .and_then(|t| t.database_name.as_ref())
                .map(|d| d.as_str()),
        }
    }

    /// The table the change is to, if any (after a rename, the table as it was).
    pub fn table(&self) -> Option<&Table> {
        match self {
            Change::CreateTable { table }
            | Change::DropTable { table }
            | Change::AddPartitions { table, .. }
            | Change::AlterPartition { table, .. }
            | Change::DropPartitions { table, .. }
            | Change::CreatePartitionIndex { table, .. }
            | Change::DropPartitionIndex { table, .. }
            | Change::UpdateColumnStatistics { table, .. }
            | Change::DeleteColumnStatistics { table, .. }
            | Change::Insert { table, .. } => Some(table),
            Change::AlterTable { before, .. } => Some(before),
            _ => None,
        }
    }
}

/// How long the log keeps events: the newest `max_events`, none older than
/// `max_age_secs` (either may be absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    pub max_events: Option<u64>,
    pub max_age_secs: Option<u64>,
}

impl Retention {
    /// The id at and below which events go, given the newest id, and the time
    /// before which they go; `None` where the rule is absent.
    pub fn bounds(&self, last_id: u64, now_ms: i64) -> (Option<u64>, Option<i64>) {
        (
            self.max_events.map(|n| last_id.saturating_sub(n)),
            self.max_age_secs
                .map(|s| now_ms.saturating_sub((s as i64).saturating_mul(1000))),
        )
    }
}

/// The ids the log holds: `first..=last`; `first` is `last + 1` when the log
/// is empty (nothing was ever written, or everything was trimmed). `last` never
/// goes back, even when everything is trimmed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventBounds {
    pub first: u64,
    pub last: u64,
}

thread_local! {
    static PRINCIPAL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f` with store writes on this thread attributed to `principal`.
pub fn as_principal<R>(principal: Option<String>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<String>);
    impl Drop for Restore {
        fn drop(&mut self) {
            PRINCIPAL.with(|p| *p.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(PRINCIPAL.with(|p| p.replace(principal)));
    f()
}

/// Who this thread's writes are made for, if known.
pub fn principal() -> Option<String> {
    PRINCIPAL.with(|p| p.borrow().clone())
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Numbers a write's changes from `first_id` on, stamped with the time and the
/// thread's principal.
pub fn stamp(changes: Vec<Change>, first_id: u64) -> Vec<Event> {
    let (time_ms, principal) = (now_ms(), principal());
    changes
        .into_iter()
        .zip(first_id..)
        .map(|(change, id)| Event {
            id,
            time_ms,
            principal: principal.clone(),
            change,
        })
        .collect()
}

/// An event as durable stores keep it: its JSON compressed with zstd. A batch
/// of partitions repeats its table's storage in every partition, so the JSON
/// of a 1,000-partition event shrinks about tenfold; stored raw, the log
/// outweighed the catalog itself.
pub fn encode(e: &Event) -> crate::Result<Vec<u8>> {
    let json = serde_json::to_vec(e).map_err(|x| crate::Error::storage(x.to_string()))?;
    zstd::bulk::compress(&json, 1)
        .map_err(|x| crate::Error::storage(format!("cannot compress event {}: {x}", e.id)))
}

/// An event stored by [`encode`].
pub fn decode(bytes: &[u8]) -> crate::Result<Event> {
    let json = zstd::stream::decode_all(bytes)
        .map_err(|x| crate::Error::storage(format!("corrupt change-log event: {x}")))?;
    serde_json::from_slice(&json)
        .map_err(|x| crate::Error::storage(format!("corrupt change-log event: {x}")))
}

/// A partition as a change shows it: without the names its table gives.
pub fn bare(mut p: Partition) -> Partition {
    p.database_name = None;
    p.table_name = None;
    p
}

/// A function replaced: Hive has no event for it, so it is logged as the old
/// one dropped and the new one created.
pub fn function_replaced(before: Function, after: Function) -> Vec<Change> {
    vec![
        Change::DropFunction { function: before },
        Change::CreateFunction { function: after },
    ]
}

/// Partitions replaced, one change each.
pub fn partitions_altered(
    table: &Table,
    pairs: impl IntoIterator<Item = (Option<Partition>, Partition)>,
) -> Vec<Change> {
    pairs
        .into_iter()
        .map(|(before, after)| Change::AlterPartition {
            table: table.clone(),
            before,
            after,
        })
        .collect()
}

/// Statistics written (nothing when none was).
pub fn statistics_updated(
    table: &Table,
    partition: Option<&[String]>,
    written: &[ColumnStatistics],
) -> Vec<Change> {
    if written.is_empty() {
        return Vec::new();
    }
    vec![Change::UpdateColumnStatistics {
        table: table.clone(),
        partition: partition.map(<[String]>::to_vec),
        statistics: written.to_vec(),
    }]
}

pub fn statistics_deleted(
    table: &Table,
    partition: Option<&[String]>,
    column: &str,
) -> Vec<Change> {
    vec![Change::DeleteColumnStatistics {
        table: table.clone(),
        partition: partition.map(<[String]>::to_vec),
        column: column.to_lowercase(),
    }]
}
