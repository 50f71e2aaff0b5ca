//! Partition indexes: CreatePartitionIndex, GetPartitionIndexes, DeletePartitionIndex.

use super::protocol::{parse_input, string, table_id, Failure, R};
use lakecat_catalog_api::stats::PartitionIndex;
use lakecat_catalog_api::store::CatalogStore;
use serde_json::{json, Value};

pub fn call(store: &dyn CatalogStore, op: &str, v: &Value) -> R {
    match op {
        "CreatePartitionIndex" => {
            let i: PartitionIndex = parse_input(v, "PartitionIndex")?;
            store.create_partition_index(&table_id(v)?, i)?;
            Ok(json!({}))
        }
        "GetPartitionIndexes" => {
            let id = table_id(v)?;
            let t = store.get_table(&id)?;
            let list: Vec<Value> = store
                .list_partition_indexes(&id)?
                .into_iter()
                .map(|i| {
                    let keys: Vec<Value> = i
                        .keys
                        .iter()
                        .map(|k| {
                            let ty = t
                                .partition_keys
                                .iter()
                                .find(|c| c.name == *k)
                                .map(|c| c.type_.as_str())
                                .unwrap_or_default();
                            json!({"Name": k, "Type": ty})
                        })
                        .collect();
                    // Indexes are filled before they are listed, so never CREATING.
                    json!({"IndexName": i.index_name, "Keys": keys, "IndexStatus": "ACTIVE"})
                })
                .collect();
            Ok(json!({"PartitionIndexDescriptorList": list}))
        }
        "DeletePartitionIndex" => {
            store.delete_partition_index(&table_id(v)?, &string(v, "IndexName")?)?;
            Ok(json!({}))
        }
        other => Err(Failure::Unknown(other.to_string())),
    }
}
