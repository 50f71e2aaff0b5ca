//! The notification log (Hive's `DbNotificationListener` and the calls that read
//! it): the store's change log, each event rendered as the JSON message Hive's
//! `JSONMessageFactory` writes (`messageFormat` `json-0.2`), catalog objects
//! inside as TJSONProtocol text, as Hive 2.3, 3 and 4 clients parse them.
//!
//! Ids are the log's own: consecutive, so Hive's client check that no event is
//! missing holds. Changes Hive has no event for (partition indexes, crawler
//! state) keep lakecat's type names and a plain JSON message: Hive's readers
//! skip types they do not know.

use super::context::*;
use super::convert;
use super::thrift::{to_tjson, TStruct, TValue};
use lakecat_catalog_api::events::{Change, Event};
use lakecat_catalog_api::model::{Partition, Table};
use lakecat_catalog_api::Error;
use serde_json::{json, Map, Value};

/// Events read per call when the client does not say (Hive reads in batches
/// of `hive.metastore.event.message.factory`'s default, 1000 at most here).
const MAX_EVENTS: usize = 1000;
/// Messages per reply, in bytes, beyond which no further event is added.
const MAX_REPLY_BYTES: usize = 64 << 20;

/// Answers the calls of this family; `None` for the others.
pub fn call(ctx: &Ctx, name: &str, a: &TStruct) -> Option<Answer> {
    Some(match name {
        "get_current_notificationEventId" => run(name, &[], || {
            let last = ctx.store.event_bounds()?.last;
            Ok(ok(TValue::Struct(
                TStruct::new().with(1, TValue::I64(last as i64)),
            )))
        }),
        "get_next_notification" => run(name, &[], || {
            let r = req(a)?;
            let after = r.int(1).unwrap_or(0).max(0) as u64;
            let max = match r.int(2) {
                Some(n) if n > 0 => (n as usize).min(MAX_EVENTS),
                _ => MAX_EVENTS,
            };
            let skip = r.strings(3);
            let db = r.str(5).map(|d| d.to_lowercase());
            let tables: Vec<String> = r.strings(6).iter().map(|t| t.to_lowercase()).collect();
            let mut events = Vec::new();
            let mut bytes = 0;
            for e in ctx.store.events_after(after, max)? {
                // A page of big events (1,000 partitions each) would make one
                // reply of hundreds of megabytes: stop at a budget; Hive's
                // client asks again from the last id it got.
                if bytes > MAX_REPLY_BYTES {
                    break;
                }
                // Skipped events are not rendered, nor counted.
                let keep = !skip.contains(&hive_type(&e.change))
                    && db.as_deref().is_none_or(|d| e.change.database() == Some(d))
                    && (tables.is_empty()
                        || e.change
                            .table()
                            .is_some_and(|t| tables.iter().any(|x| x == t.name.as_str())));
                if keep {
                    let n = notification(&e);
                    bytes += n.message.len();
                    events.push(n.into_struct());
                }
            }
            Ok(ok(TValue::Struct(
                TStruct::new().with(1, TValue::struct_list(events)),
            )))
        }),
        "get_notification_events_count" => run(name, &[], || {
            let r = req(a)?;
            let from = r.int(1).unwrap_or(0).max(0) as u64;
            let db = arg_str(r, 2, "dbName")?.to_lowercase();
            let to = r.int(4).filter(|t| *t >= 0).map(|t| t as u64);
            let limit = r.int(5).filter(|l| *l > 0).map(|l| l as u64);
            let tables: Vec<String> = r.strings(6).iter().map(|t| t.to_lowercase()).collect();
            let mut count = 0u64;
            let mut at = from;
            'scan: loop {
                let page = ctx.store.events_after(at, MAX_EVENTS)?;
                let Some(last) = page.last().map(|e| e.id) else {
                    break;
                };
                for e in &page {
                    if to.is_some_and(|t| e.id > t) {
                        break 'scan;
                    }
                    let in_table = tables.is_empty()
                        || e.change
                            .table()
                            .is_some_and(|t| tables.iter().any(|x| x == t.name.as_str()));
                    if e.change.database() == Some(db.as_str()) && in_table {
                        count += 1;
                    }
                }
                at = last;
            }
            let count = limit.map_or(count, |l| count.min(l));
            Ok(ok(TValue::Struct(
                TStruct::new().with(1, TValue::I64(count as i64)),
            )))
        }),
        "fire_listener_event" => run(name, &[], || {
            let r = req(a)?;
            let id = tid(r, 3, 4)?;
            let table = ctx.store.get_table(&id)?;
            let partition = match r.list(5) {
                [] => None,
                vals => {
                    let values: Vec<String> = vals.iter().filter_map(TValue::as_str).collect();
                    ctx.store.get_partition(&id, &values)?;
                    Some(values)
                }
            };
            let data = r
                .strct(2)
                .ok_or_else(|| Error::invalid("argument data is missing"))?;
            let insert = data.strct(1).ok_or_else(|| {
                Error::invalid("only insert events (data.insertData) can be fired")
            })?;
            // Hive 2.1's IDL has `filesAdded` first; 2.2 put `replace` before it.
            let (replace, files) = match insert.get(1) {
                Some(TValue::List(..)) => (false, insert.strings(1)),
                _ => (insert.bool(1).unwrap_or(false), insert.strings(2)),
            };
            let change = Change::Insert {
                table,
                partition,
                replace,
                files,
            };
            ctx.store.write_records_logged(Vec::new(), vec![change])?;
            Ok(ok(TValue::Struct(TStruct::new())))
        }),
        _ => return None,
    })
}

/// One event as Hive's `NotificationEvent`.
pub struct Notification {
    pub id: u64,
    pub time: i64,
    pub event_type: String,
    pub db: Option<String>,
    pub table: Option<String>,
    pub message: String,
}

impl Notification {
    fn into_struct(self) -> TStruct {
        TStruct::new()
            .with(1, TValue::I64(self.id as i64))
            .with(2, TValue::I32(self.time as i32))
            .with_str(3, self.event_type)
            .with_opt_str(4, self.db)
            .with_opt_str(5, self.table)
            .with_str(6, self.message)
            .with_str(7, "json-0.2")
            .with_str(8, "hive")
    }
}

fn table_json(t: &Table) -> String {
    to_tjson(&convert::table(t))
}

fn partition_json(p: &Partition, t: &Table) -> String {
    to_tjson(&convert::partition(p, t))
}

/// Partition key names to values, as Hive's messages list partitions.
fn key_values(t: &Table, values: &[String]) -> Value {
    let m: Map<String, Value> = t
        .partition_keys
        .iter()
        .zip(values)
        .map(|(k, v)| (k.name.clone(), Value::String(v.clone())))
        .collect();
    Value::Object(m)
}

fn table_type(t: &Table) -> Value {
    match t.table_type {
        Some(tt) => json!(tt.as_str()),
        None => Value::Null,
    }
}

/// The type Hive names a change by: lakecat's, but for statistics, whose table
/// and partition kinds Hive 3 and 4 name apart.
fn hive_type(c: &Change) -> String {
    let stats = |verb: &str, partition: &Option<Vec<String>>| {
        let what = if partition.is_some() {
            "PARTITION"
        } else {
            "TABLE"
        };
        format!("{verb}_{what}_COLUMN_STAT")
    };
    match c {
        Change::UpdateColumnStatistics { partition, .. } => stats("UPDATE", partition),
        Change::DeleteColumnStatistics { partition, .. } => stats("DELETE", partition),
        c => c.event_type().to_string(),
    }
}

/// Renders an event as Hive does.
pub fn notification(e: &Event) -> Notification {
    let time = e.time_ms / 1000;
    let mut m = Map::new();
    m.insert("server".into(), json!(""));
    m.insert("servicePrincipal".into(), json!(""));
    m.insert("timestamp".into(), json!(time));
    let mut put = |k: &str, v: Value| {
        m.insert(k.into(), v);
    };
    let event_type = hive_type(&e.change);
    let table_name = e.change.table().map(|t| t.name.as_str().to_string());
    match &e.change {
        Change::CreateDatabase { database } | Change::DropDatabase { database } => {
            put("db", json!(database.name.as_str()));
            put("dbJson", json!(to_tjson(&convert::database(database))));
        }
        Change::AlterDatabase { before, after } => {
            put("db", json!(before.name.as_str()));
            put(
                "dbObjBeforeJson",
                json!(to_tjson(&convert::database(before))),
            );
            put("dbObjAfterJson", json!(to_tjson(&convert::database(after))));
        }
        Change::CreateTable { table } | Change::DropTable { table } => {
            put("db", json!(e.change.database()));
            put("table", json!(table.name.as_str()));
            put("tableType", table_type(table));
            put("tableObjJson", json!(table_json(table)));
            put("files", json!([]));
        }
        Change::AlterTable { before, after } => {
            put("db", json!(e.change.database()));
            put("table", json!(before.name.as_str()));
            put("tableType", table_type(before));
            put("tableObjBeforeJson", json!(table_json(before)));
            put("tableObjAfterJson", json!(table_json(after)));
            put("isTruncateOp", json!("false"));
        }
        Change::AddPartitions { table, partitions } => {
            put("db", json!(e.change.database()));
            put("table", json!(table.name.as_str()));
            put("tableType", table_type(table));
            put("tableObjJson", json!(table_json(table)));
            let kv: Vec<Value> = partitions
                .iter()
                .map(|p| key_values(table, &p.values))
                .collect();
            put("partitions", json!(kv));
            let pj: Vec<String> = partitions
                .iter()
                .map(|p| partition_json(p, table))
                .collect();
            put("partitionListJson", json!(pj));
            put("partitionFiles", json!([]));
        }
        Change::AlterPartition {
            table,
            before,
            after,
        } => {
            let before = before.as_ref().unwrap_or(after);
            put("db", json!(e.change.database()));
            put("table", json!(table.name.as_str()));
            put("tableType", table_type(table));
            put("tableObjJson", json!(table_json(table)));
            put("isTruncateOp", json!("false"));
            put("keyValues", key_values(table, &before.values));
            put(
                "partitionObjBeforeJson",
                json!(partition_json(before, table)),
            );
            put("partitionObjAfterJson", json!(partition_json(after, table)));
        }
        Change::DropPartitions { table, values } => {
            put("db", json!(e.change.database()));
            put("table", json!(table.name.as_str()));
            put("tableType", table_type(table));
            put("tableObjJson", json!(table_json(table)));
            let kv: Vec<Value> = values.iter().map(|v| key_values(table, v)).collect();
            put("partitions", json!(kv));
        }
        Change::CreateFunction { function } => {
            put("db", json!(e.change.database()));
            put(
                "functionObjJson",
                json!(to_tjson(&convert::function(function))),
            );
        }
        Change::DropFunction { function } => {
            put("db", json!(e.change.database()));
            put("functionName", json!(function.function_name));
        }
        Change::Insert {
            table,
            partition,
            replace,
            files,
        } => {
            put("db", json!(e.change.database()));
            put("table", json!(table.name.as_str()));
            put("tableType", table_type(table));
            put("tableObjJson", json!(table_json(table)));
            if let Some(values) = partition {
                let p = Partition::new(values.clone());
                put("ptnObjJson", json!(partition_json(&p, table)));
            }
            put("replace", json!(replace.to_string()));
            put("files", json!(files));
        }
        Change::UpdateColumnStatistics {
            table, partition, ..
        }
        | Change::DeleteColumnStatistics {
            table, partition, ..
        } => {
            put("db", json!(e.change.database()));
            put("table", json!(table.name.as_str()));
            put("tableObjJson", json!(table_json(table)));
            if let Some(v) = partition {
                put(
                    "partName",
                    json!(convert::partition_name(&table.partition_keys, v)),
                );
            }
            let mut detail = serde_json::to_value(&e.change).unwrap_or_default();
            if let Some(o) = detail.as_object_mut() {
                o.remove("table");
                o.remove("type");
            }
            put("detail", detail);
        }
        Change::CreatePartitionIndex { .. }
        | Change::DropPartitionIndex { .. }
        | Change::Service { .. } => {
            put("db", json!(e.change.database()));
            let mut detail = serde_json::to_value(&e.change).unwrap_or_default();
            if let Some(o) = detail.as_object_mut() {
                o.remove("type");
                if let Some(t) = o.remove("table") {
                    o.insert("tableName".into(), json!(t.get("name")));
                }
            }
            put("detail", detail);
        }
    }
    Notification {
        id: e.id,
        time,
        event_type,
        db: e.change.database().map(str::to_string),
        table: table_name,
        message: Value::Object(m).to_string(),
    }
}
