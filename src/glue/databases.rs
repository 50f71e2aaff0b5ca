//! CreateDatabase, GetDatabase(s), UpdateDatabase, DeleteDatabase.

use super::protocol::{db_of, page, parse_input, with_token, Failure, R};
use super::shapes::to_glue;
use lakecat_catalog_api::model::Database;
use lakecat_catalog_api::store::CatalogStore;
use serde_json::{json, Value};

pub fn call(store: &dyn CatalogStore, op: &str, v: &Value) -> R {
    match op {
        "CreateDatabase" => {
            let d: Database = parse_input(v, "DatabaseInput")?;
            store.create_database(d)?;
            Ok(json!({}))
        }
        "GetDatabase" => {
            let d = store.get_database(&db_of(v, "Name")?)?;
            Ok(json!({"Database": to_glue(serde_json::to_value(d).unwrap_or_default())}))
        }
        "GetDatabases" => {
            let p = store.list_databases(&page(v, 100)?)?;
            let dbs: Vec<Value> = p
                .items
                .iter()
                .map(|d| to_glue(serde_json::to_value(d).unwrap_or_default()))
                .collect();
            Ok(with_token(json!({"DatabaseList": dbs}), p.next_token))
        }
        "UpdateDatabase" => {
            let name = db_of(v, "Name")?;
            let d: Database = parse_input(v, "DatabaseInput")?;
            store.update_database(&name, d)?;
            Ok(json!({}))
        }
        "DeleteDatabase" => {
            // Glue deletes a database with its tables.
            store.delete_database(&db_of(v, "Name")?, true)?;
            Ok(json!({}))
        }
        other => Err(Failure::Unknown(other.to_string())),
    }
}
