//! Partitions: one, batches (with per-item errors), listings with filter expressions and segments.

use super::protocol::{
    field, glue_error, item_error, page, parse_input, string, values_of, with_token, Failure, R,
};
use super::shapes::{glue_partition, to_model};
use lakecat_catalog_api::filter::FilterExpr;
use lakecat_catalog_api::model::Partition;
use lakecat_catalog_api::store::CatalogStore;
use lakecat_catalog_api::{Error, ErrorKind, TableIdent};
use serde_json::{json, Value};

pub fn call(store: &dyn CatalogStore, op: &str, v: &Value) -> R {
    match op {
        "CreatePartition" | "BatchCreatePartition" => {
            let id = TableIdent::parse(&string(v, "DatabaseName")?, &string(v, "TableName")?)?;
            let inputs: Vec<Value> = if op == "CreatePartition" {
                vec![field(v, "PartitionInput")?.clone()]
            } else {
                let list = field(v, "PartitionInputList")?
                    .as_array()
                    .cloned()
                    .ok_or_else(|| Error::invalid("PartitionInputList must be a list"))?;
                if list.len() > 100 {
                    return Err(
                        Error::invalid("PartitionInputList holds at most 100 partitions").into(),
                    );
                }
                list
            };
            let parts = inputs
                .into_iter()
                .map(|p| {
                    serde_json::from_value::<Partition>(to_model(p))
                        .map_err(|e| Error::invalid(format!("PartitionInput: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let errs = store.create_partitions(&id, parts, false)?;
            if op == "CreatePartition" {
                if let Some(e) = errs.into_iter().next() {
                    return Err(e.error.into());
                }
                return Ok(json!({}));
            }
            Ok(
                json!({"Errors": errs.iter().map(|e| item_error(&e.values, &e.error)).collect::<Vec<_>>()}),
            )
        }
        "GetPartition" => {
            let id = TableIdent::parse(&string(v, "DatabaseName")?, &string(v, "TableName")?)?;
            let p = store.get_partition(&id, &values_of(v)?)?;
            Ok(json!({"Partition": glue_partition(&p, false)}))
        }
        "GetPartitions" => {
            let id = TableIdent::parse(&string(v, "DatabaseName")?, &string(v, "TableName")?)?;
            let filter =
                FilterExpr::parse(v.get("Expression").and_then(Value::as_str).unwrap_or(""))?;
            let exclude = v
                .get("ExcludeColumnSchema")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let (segment, total) = match v.get("Segment") {
                Some(s) if !s.is_null() => (
                    s.get("SegmentNumber").and_then(Value::as_u64).unwrap_or(0),
                    s.get("TotalSegments").and_then(Value::as_u64).unwrap_or(1),
                ),
                _ => (0, 1),
            };
            if !(1..=10).contains(&total) || segment >= total {
                return Err(Error::invalid(
                    "Segment: TotalSegments must be 1 to 10 and SegmentNumber below it",
                )
                .into());
            }
            let p = store.list_partitions(&id, filter.as_ref(), &page(v, 1000)?)?;
            // Segments split every page by position, so together they cover it once.
            let parts: Vec<Value> = p
                .items
                .iter()
                .enumerate()
                .filter(|(i, _)| *i as u64 % total == segment)
                .map(|(_, p)| glue_partition(p, exclude))
                .collect();
            Ok(with_token(json!({"Partitions": parts}), p.next_token))
        }
        "BatchGetPartition" => {
            let id = TableIdent::parse(&string(v, "DatabaseName")?, &string(v, "TableName")?)?;
            let keys = field(v, "PartitionsToGet")?
                .as_array()
                .cloned()
                .ok_or_else(|| Error::invalid("PartitionsToGet must be a list"))?;
            if keys.len() > 1000 {
                return Err(Error::invalid("PartitionsToGet holds at most 1000 keys").into());
            }
            // Glue answers EntityNotFoundException for a missing table or database.
            store.get_table(&id)?;
            let mut found = Vec::new();
            for k in keys {
                let values: Vec<String> =
                    serde_json::from_value(k.get("Values").cloned().unwrap_or_default())
                        .map_err(|e| Error::invalid(format!("PartitionsToGet: {e}")))?;
                match store.get_partition(&id, &values) {
                    Ok(p) => found.push(glue_partition(&p, false)),
                    Err(e) if e.kind == ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(json!({"Partitions": found, "UnprocessedKeys": []}))
        }
        "UpdatePartition" => {
            let id = TableIdent::parse(&string(v, "DatabaseName")?, &string(v, "TableName")?)?;
            let old: Vec<String> = serde_json::from_value(field(v, "PartitionValueList")?.clone())
                .map_err(|e| Error::invalid(format!("PartitionValueList: {e}")))?;
            let p: Partition = parse_input(v, "PartitionInput")?;
            store.update_partition(&id, &old, p)?;
            Ok(json!({}))
        }
        "BatchUpdatePartition" => {
            let id = TableIdent::parse(&string(v, "DatabaseName")?, &string(v, "TableName")?)?;
            let entries = field(v, "Entries")?
                .as_array()
                .cloned()
                .ok_or_else(|| Error::invalid("Entries must be a list"))?;
            if entries.len() > 100 {
                return Err(Error::invalid("Entries holds at most 100 partitions").into());
            }
            // Glue applies each entry on its own and reports the ones that failed.
            let mut errors = Vec::new();
            for e in entries {
                let old: Vec<String> = serde_json::from_value(
                    e.get("PartitionValueList").cloned().unwrap_or_default(),
                )
                .map_err(|x| Error::invalid(format!("PartitionValueList: {x}")))?;
                let r = parse_input::<Partition>(&e, "PartitionInput")
                    .and_then(|p| store.update_partition(&id, &old, p));
                if let Err(err) = r {
                    errors.push(json!({"PartitionValueList": old, "ErrorDetail": {"ErrorCode": glue_error(&err), "ErrorMessage": err.message}}));
                }
            }
            Ok(json!({"Errors": errors}))
        }
        "DeletePartition" => {
            let id = TableIdent::parse(&string(v, "DatabaseName")?, &string(v, "TableName")?)?;
            let values = values_of(v)?;
            let errs = store.delete_partitions(&id, std::slice::from_ref(&values))?;
            if let Some(e) = errs.into_iter().next() {
                return Err(e.error.into());
            }
            Ok(json!({}))
        }
        "BatchDeletePartition" => {
            let id = TableIdent::parse(&string(v, "DatabaseName")?, &string(v, "TableName")?)?;
            let list = field(v, "PartitionsToDelete")?
                .as_array()
                .cloned()
                .ok_or_else(|| Error::invalid("PartitionsToDelete must be a list"))?;
            if list.len() > 25 {
                return Err(
                    Error::invalid("PartitionsToDelete holds at most 25 partitions").into(),
                );
            }
            let values = list
                .into_iter()
                .map(|k| {
                    serde_json::from_value::<Vec<String>>(
                        k.get("Values").cloned().unwrap_or_default(),
                    )
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::invalid(format!("PartitionsToDelete: {e}")))?;
            let errs = store.delete_partitions(&id, &values)?;
            Ok(
                json!({"Errors": errs.iter().map(|e| item_error(&e.values, &e.error)).collect::<Vec<_>>()}),
            )
        }
        other => Err(Failure::Unknown(other.to_string())),
    }
}
