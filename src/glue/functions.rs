//! User-defined functions: Create, Get, Update, Delete, GetUserDefinedFunctions.

use super::protocol::{db_of, page, parse_input, string, with_token, Failure, R};
use super::shapes::to_glue;
use lakecat_catalog_api::kv::keys::{token_decode, token_encode};
use lakecat_catalog_api::model::Function;
use lakecat_catalog_api::store::{CatalogStore, PageRequest};
use lakecat_catalog_api::{DatabaseName, Error};
use serde_json::{json, Value};

pub fn call(store: &dyn CatalogStore, op: &str, v: &Value) -> R {
    match op {
        "CreateUserDefinedFunction" => {
            let f: Function = parse_input(v, "FunctionInput")?;
            store.create_function(&db_of(v, "DatabaseName")?, f)?;
            Ok(json!({}))
        }
        "GetUserDefinedFunction" => {
            let f = store.get_function(&db_of(v, "DatabaseName")?, &string(v, "FunctionName")?)?;
            Ok(json!({"UserDefinedFunction": to_glue(serde_json::to_value(f).unwrap_or_default())}))
        }
        "UpdateUserDefinedFunction" => {
            let f: Function = parse_input(v, "FunctionInput")?;
            store.update_function(&db_of(v, "DatabaseName")?, &string(v, "FunctionName")?, f)?;
            Ok(json!({}))
        }
        "DeleteUserDefinedFunction" => {
            store.delete_function(&db_of(v, "DatabaseName")?, &string(v, "FunctionName")?)?;
            Ok(json!({}))
        }
        "GetUserDefinedFunctions" => {
            // `Pattern` is Hive's: `*` any characters, `|` alternatives.
            let re = lakecat_catalog_api::names::name_pattern(&string(v, "Pattern")?)?;
            let dbs = match v.get("DatabaseName").and_then(Value::as_str) {
                Some(d) => vec![DatabaseName::new(d)?],
                None => lakecat_catalog_api::store::all_databases(store)?
                    .into_iter()
                    .map(|d| d.name)
                    .collect(),
            };
            let mut all = Vec::new();
            for d in dbs {
                let mut req = PageRequest::first(1000);
                loop {
                    let p = store.list_functions(&d, Some(&re), &req)?;
                    all.extend(p.items);
                    match p.next_token {
                        Some(t) => req.token = Some(t),
                        None => break,
                    }
                }
            }
            let p = page(v, 100)?;
            let start = match &p.token {
                None => 0,
                Some(t) => token_decode(t)
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(|b| u64::from_be_bytes(b) as usize)
                    .ok_or_else(|| {
                        Error::invalid(format!("NextToken {t:?} is not one this server gave out"))
                    })?,
            };
            let end = (start + p.limit).min(all.len());
            let list: Vec<Value> = all
                .get(start..end)
                .unwrap_or(&[])
                .iter()
                .map(|f| to_glue(serde_json::to_value(f).unwrap_or_default()))
                .collect();
            Ok(with_token(
                json!({"UserDefinedFunctions": list}),
                (end < all.len()).then(|| token_encode(&(end as u64).to_be_bytes())),
            ))
        }
        other => Err(Failure::Unknown(other.to_string())),
    }
}
