//! Column statistics of tables and partitions: Update, Get, Delete.

use super::protocol::{field, glue_error, parse_input, partition_of, string, table_id, Failure, R};
use super::shapes::glue_statistics;
use lakecat_catalog_api::stats::ColumnStatistics;
use lakecat_catalog_api::store::{statistics_not_found, CatalogStore};
use lakecat_catalog_api::Error;
use serde_json::{json, Value};

pub fn call(store: &dyn CatalogStore, op: &str, v: &Value) -> R {
    match op {
        "UpdateColumnStatisticsForTable" | "UpdateColumnStatisticsForPartition" => {
            let values = partition_of(op, v)?;
            let stats: Vec<ColumnStatistics> = parse_input(v, "ColumnStatisticsList")?;
            let errors: Vec<Value> = store
                .update_column_statistics(&table_id(v)?, values.as_deref(), stats)?
                .into_iter()
                .map(|e| {
                    json!({
                        "ColumnStatistics": glue_statistics(&e.statistics),
                        "Error": {"ErrorCode": glue_error(&e.error), "ErrorMessage": e.error.message},
                    })
                })
                .collect();
            Ok(json!({"Errors": errors}))
        }
        "GetColumnStatisticsForTable" | "GetColumnStatisticsForPartition" => {
            let values = partition_of(op, v)?;
            let names: Vec<String> = serde_json::from_value(field(v, "ColumnNames")?.clone())
                .map_err(|e| Error::invalid(format!("ColumnNames: {e}")))?;
            let id = table_id(v)?;
            let found = store.get_column_statistics(&id, values.as_deref(), &names)?;
            let errors: Vec<Value> = names
                .iter()
                .filter(|n| !found.iter().any(|s| s.column_name == n.to_lowercase()))
                .map(|n| {
                    let e = statistics_not_found(&id, values.as_deref(), n);
                    json!({"ColumnName": n, "Error": {"ErrorCode": glue_error(&e), "ErrorMessage": e.message}})
                })
                .collect();
            let list: Vec<Value> = found.iter().map(glue_statistics).collect();
            Ok(json!({"ColumnStatisticsList": list, "Errors": errors}))
        }
        "DeleteColumnStatisticsForTable" | "DeleteColumnStatisticsForPartition" => {
            let values = partition_of(op, v)?;
            store.delete_column_statistics(
                &table_id(v)?,
                values.as_deref(),
                &string(v, "ColumnName")?,
            )?;
            Ok(json!({}))
        }
        other => Err(Failure::Unknown(other.to_string())),
    }
}
