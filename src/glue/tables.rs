//! CreateTable (with partition indexes), GetTable(s), UpdateTable, DeleteTable, BatchDeleteTable and table versions.

use super::protocol::{
    db_of, field, glue_error, page, parse_input, string, table_id, with_token, Failure, R,
};
use super::shapes::glue_table;
use lakecat_catalog_api::index::MAX_INDEXES;
use lakecat_catalog_api::model::Table;
use lakecat_catalog_api::stats::PartitionIndex;
use lakecat_catalog_api::store::{CatalogStore, UpdateTableOptions};
use lakecat_catalog_api::{Error, TableIdent};
use serde_json::{json, Value};

pub fn call(store: &dyn CatalogStore, op: &str, v: &Value) -> R {
    match op {
        "CreateTable" => {
            let db = db_of(v, "DatabaseName")?;
            let t: Table = parse_input(v, "TableInput")?;
            let indexes: Vec<PartitionIndex> = match v.get("PartitionIndexes") {
                None | Some(Value::Null) => Vec::new(),
                Some(_) => parse_input(v, "PartitionIndexes")?,
            };
            if indexes.len() > MAX_INDEXES {
                return Err(Error::limit(format!(
                    "a table can have at most {MAX_INDEXES} partition indexes, not {}",
                    indexes.len()
                ))
                .into());
            }
            let t = store.create_table(&db, t)?;
            let id = TableIdent::new(db, t.name);
            for i in indexes {
                if let Err(e) = store.create_partition_index(&id, i) {
                    // The table is new and empty: taking it back leaves nothing behind.
                    store.delete_table(&id)?;
                    return Err(e.into());
                }
            }
            Ok(json!({}))
        }
        "GetTable" => {
            let t = store.get_table(&table_id(v)?)?;
            Ok(json!({"Table": glue_table(&t)}))
        }
        "GetTables" => {
            let db = db_of(v, "DatabaseName")?;
            let re = match v.get("Expression").and_then(Value::as_str) {
                Some(e) if !e.is_empty() => Some(
                    lakecat_catalog_api::names::name_pattern(e)
                        .map_err(|x| Error::invalid(format!("Expression: {}", x.message)))?,
                ),
                _ => None,
            };
            let p = store.list_tables(&db, re.as_ref(), &page(v, 100)?)?;
            let ts: Vec<Value> = p.items.iter().map(glue_table).collect();
            Ok(with_token(json!({"TableList": ts}), p.next_token))
        }
        "UpdateTable" => {
            let db = db_of(v, "DatabaseName")?;
            let t: Table = parse_input(v, "TableInput")?;
            let expected = match v.get("VersionId") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.parse::<u64>().map_err(|_| {
                    Error::invalid(format!("VersionId {s:?} is not a version of this table"))
                })?),
                Some(_) => return Err(Error::invalid("VersionId must be a string").into()),
            };
            let skip_archive = v
                .get("SkipArchive")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let id = TableIdent::new(db, t.name.clone());
            store.update_table(
                &id,
                t,
                UpdateTableOptions {
                    expected_version: expected,
                    skip_archive,
                    ..Default::default()
                },
            )?;
            Ok(json!({}))
        }
        "DeleteTable" => {
            store.delete_table(&table_id(v)?)?;
            Ok(json!({}))
        }
        "BatchDeleteTable" => {
            let db = string(v, "DatabaseName")?;
            let names: Vec<String> = serde_json::from_value(field(v, "TablesToDelete")?.clone())
                .map_err(|e| Error::invalid(format!("TablesToDelete: {e}")))?;
            if names.len() > 100 {
                return Err(Error::invalid("TablesToDelete holds at most 100 names").into());
            }
            let mut errors = Vec::new();
            for n in names {
                if let Err(e) = TableIdent::parse(&db, &n).and_then(|id| store.delete_table(&id)) {
                    errors.push(json!({"TableName": n, "ErrorDetail": {"ErrorCode": glue_error(&e), "ErrorMessage": e.message}}));
                }
            }
            Ok(json!({"Errors": errors}))
        }
        "GetTableVersions" => {
            let id = TableIdent::parse(&string(v, "DatabaseName")?, &string(v, "TableName")?)?;
            let p = store.list_table_versions(&id, &page(v, 100)?)?;
            let vs: Vec<Value> = p
                .items
                .iter()
                .map(|tv| json!({"Table": glue_table(&tv.table), "VersionId": tv.version_id.to_string()}))
                .collect();
            Ok(with_token(json!({"TableVersions": vs}), p.next_token))
        }
        "GetTableVersion" => {
            let id = TableIdent::parse(&string(v, "DatabaseName")?, &string(v, "TableName")?)?;
            let tv = match v.get("VersionId").and_then(Value::as_str) {
                Some(s) => {
                    let n = s
                        .parse::<u64>()
                        .map_err(|_| Error::not_found(format!("table {id} has no version {s}")))?;
                    store.get_table_version(&id, n)?
                }
                None => {
                    let t = store.get_table(&id)?;
                    lakecat_catalog_api::model::TableVersion {
                        version_id: t.version_id.unwrap_or(1),
                        table: t,
                    }
                }
            };
            Ok(
                json!({"TableVersion": {"Table": glue_table(&tv.table), "VersionId": tv.version_id.to_string()}}),
            )
        }
        "DeleteTableVersion" | "BatchDeleteTableVersion" => {
            let id = TableIdent::parse(&string(v, "DatabaseName")?, &string(v, "TableName")?)?;
            let ids: Vec<String> = if op == "DeleteTableVersion" {
                vec![string(v, "VersionId")?]
            } else {
                serde_json::from_value(field(v, "VersionIds")?.clone())
                    .map_err(|e| Error::invalid(format!("VersionIds: {e}")))?
            };
            if ids.len() > 100 {
                return Err(Error::invalid("VersionIds holds at most 100 versions").into());
            }
            let mut errors = Vec::new();
            let mut nums = Vec::new();
            for s in &ids {
                match s.parse::<u64>() {
                    Ok(n) => nums.push(n),
                    Err(_) => errors.push((
                        s.clone(),
                        Error::not_found(format!("version {s} of table {id} not found")),
                    )),
                }
            }
            for (n, e) in store.delete_table_versions(&id, &nums)? {
                errors.push((n.to_string(), e));
            }
            if op == "DeleteTableVersion" {
                if let Some((_, e)) = errors.into_iter().next() {
                    return Err(e.into());
                }
                return Ok(json!({}));
            }
            Ok(
                json!({"Errors": errors.iter().map(|(v, e)| json!({"TableName": id.name.as_str(), "VersionId": v, "ErrorDetail": {"ErrorCode": glue_error(e), "ErrorMessage": e.message}})).collect::<Vec<_>>()}),
            )
        }
        other => Err(Failure::Unknown(other.to_string())),
    }
}
