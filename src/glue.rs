//! The AWS Glue Data Catalog JSON API on the REST listener: `POST /` with
//! `X-Amz-Target: AWSGlue.<Operation>`, so boto3 and the aws CLI work unchanged.
//!
//! Glue's shapes are the catalog model's in PascalCase, so requests and answers are
//! converted key by key ([`to_model`], [`to_glue`]); user maps (`Parameters`, skewed
//! location maps) keep their keys, and the few places where Glue's names or types
//! differ are spelled out (`CreationTime` of partitions, `VersionId` as a string).
//! Glue-only fields lakecat does not keep (`CatalogId`, `TargetTable`, …) are
//! accepted and ignored.

use crate::http::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::filter::FilterExpr;
use lakecat_catalog_api::index::MAX_INDEXES;
use lakecat_catalog_api::model::{Database, Function, Partition, Table};
use lakecat_catalog_api::stats::{ColumnStatistics, PartitionIndex};
use lakecat_catalog_api::store::{
    statistics_not_found, CatalogStore, PageRequest, UpdateTableOptions,
};
use lakecat_catalog_api::{DatabaseName, Error, ErrorKind, TableIdent};
use serde_json::{json, Value};

/// Keys whose values are user maps: their keys are data, not field names.
const USER_MAPS: [&str; 3] = ["Parameters", "SkewedColumnValueLocationMaps", "Tags"];
/// Glue fields lakecat accepts and does not keep.
const IGNORED: [&str; 12] = [
    "CatalogId",
    "TargetTable",
    "TargetDatabase",
    "ViewDefinition",
    "CreateTableDefaultPermissions",
    "FederatedDatabase",
    "SchemaReference",
    "IsRegisteredWithLakeFormation",
    "CreatedBy",
    "IsMultiDialectView",
    "VersionId",
    "IsRowFilteringEnabled",
];

fn snake(k: &str) -> String {
    let mut out = String::new();
    for (i, c) in k.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn pascal(k: &str) -> String {
    k.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A Glue input shape as the model's JSON.
pub fn to_model(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| !IGNORED.contains(&k.as_str()))
                .map(|(k, v)| {
                    let v = if USER_MAPS.contains(&k.as_str()) {
                        v
                    } else {
                        to_model(v)
                    };
                    let k = if k == "CreationTime" {
                        "create_time".to_string()
                    } else {
                        snake(&k)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(to_model).collect()),
        other => other,
    }
}

/// The model's JSON as a Glue output shape.
pub fn to_glue(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let pk = pascal(&k);
                    let v = if USER_MAPS.contains(&pk.as_str()) {
                        v
                    } else {
                        to_glue(v)
                    };
                    (pk, v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(to_glue).collect()),
        other => other,
    }
}

fn glue_table(t: &Table) -> Value {
    let mut v = to_glue(serde_json::to_value(t).unwrap_or(Value::Null));
    if let Some(version) = t.version_id {
        v["VersionId"] = json!(version.to_string());
    }
    v["IsRegisteredWithLakeFormation"] = json!(false);
    v
}

fn glue_partition(p: &Partition, exclude_columns: bool) -> Value {
    let mut v = to_glue(serde_json::to_value(p).unwrap_or(Value::Null));
    if let Some(o) = v.as_object_mut() {
        if let Some(t) = o.remove("CreateTime") {
            o.insert("CreationTime".into(), t);
        }
        if exclude_columns {
            if let Some(sd) = o
                .get_mut("StorageDescriptor")
                .and_then(Value::as_object_mut)
            {
                sd.remove("Columns");
            }
        }
    }
    v
}

/// Glue's error types for the catalog's error kinds.
fn glue_error(e: &Error) -> &'static str {
    if let Some(code) = e.code {
        return code;
    }
    match e.kind {
        ErrorKind::NotFound => "EntityNotFoundException",
        ErrorKind::AlreadyExists => "AlreadyExistsException",
        ErrorKind::InvalidInput | ErrorKind::TooLarge => "InvalidInputException",
        ErrorKind::Conflict => "ConcurrentModificationException",
        ErrorKind::LimitExceeded => "ResourceNumberLimitExceededException",
        ErrorKind::Storage => "InternalServiceException",
    }
}

fn error_response(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        [("content-type", "application/x-amz-json-1.1")],
        Json(json!({"__type": kind, "Message": message})),
    )
        .into_response()
}

fn answer(v: Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/x-amz-json-1.1")],
        Json(v),
    )
        .into_response()
}

/// `POST /` — the Glue JSON protocol.
pub async fn handle(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(target) = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            "missing X-Amz-Target header (expected AWSGlue.<Operation>)",
        );
    };
    let Some(op) = target.strip_prefix("AWSGlue.").map(str::to_string) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &format!("unknown target {target}"),
        );
    };
    let input: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "SerializationException",
                    "the request body must be a JSON object",
                )
            }
            Err(e) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "SerializationException",
                    &format!("invalid JSON body: {e}"),
                )
            }
        }
    };
    let store = s.store.clone();
    let crawlers = s.crawlers.clone();
    let r = tokio::task::spawn_blocking(move || {
        if let Some(r) = crawlers
            .as_ref()
            .and_then(|c| crate::glue_crawlers::dispatch(c, &op, &input))
        {
            return r;
        }
        dispatch(&*store, &op, input)
    })
    .await;
    match r {
        Ok(Ok(v)) => answer(v),
        Ok(Err(Failure::Unknown(op))) => error_response(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            &format!("operation {op} is not supported by lakecat"),
        ),
        Ok(Err(Failure::Catalog(e))) => {
            let status = if e.kind == ErrorKind::Storage {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::BAD_REQUEST
            };
            error_response(status, glue_error(&e), &e.message)
        }
        Err(e) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServiceException",
            &e.to_string(),
        ),
    }
}

pub(crate) enum Failure {
    Unknown(String),
    Catalog(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Catalog(e)
    }
}

type R = Result<Value, Failure>;

pub(crate) fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, Error> {
    v.get(name)
        .filter(|x| !x.is_null())
        .ok_or_else(|| Error::invalid(format!("{name} is required")))
}

pub(crate) fn string(v: &Value, name: &str) -> Result<String, Error> {
    field(v, name)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Error::invalid(format!("{name} must be a string")))
}

fn db_of(v: &Value, name: &str) -> Result<DatabaseName, Error> {
    DatabaseName::new(&string(v, name)?)
}

fn table_id(v: &Value) -> Result<TableIdent, Error> {
    TableIdent::parse(
        &string(v, "DatabaseName")?,
        &string(v, "Name").or_else(|_| string(v, "TableName"))?,
    )
}

fn parse_input<T: serde::de::DeserializeOwned>(v: &Value, name: &str) -> Result<T, Error> {
    serde_json::from_value(to_model(field(v, name)?.clone()))
        .map_err(|e| Error::invalid(format!("{name}: {e}")))
}

fn values_of(v: &Value) -> Result<Vec<String>, Error> {
    serde_json::from_value(field(v, "PartitionValues")?.clone())
        .map_err(|e| Error::invalid(format!("PartitionValues: {e}")))
}

fn page(v: &Value, max: usize) -> Result<PageRequest, Error> {
    let limit = match v.get("MaxResults").and_then(Value::as_u64) {
        Some(n) if n == 0 || n as usize > max => {
            return Err(Error::invalid(format!(
                "MaxResults must be between 1 and {max}"
            )))
        }
        Some(n) => n as usize,
        None => max,
    };
    Ok(PageRequest {
        token: v
            .get("NextToken")
            .and_then(Value::as_str)
            .map(str::to_string),
        limit,
    })
}

fn with_token(mut v: Value, token: Option<String>) -> Value {
    if let Some(t) = token {
        v["NextToken"] = json!(t);
    }
    v
}

fn item_error(values: &[String], e: &Error) -> Value {
    json!({"PartitionValues": values, "ErrorDetail": {"ErrorCode": glue_error(e), "ErrorMessage": e.message}})
}

/// The partition a `…ForPartition` statistics call names; `None` for `…ForTable`.
fn partition_of(op: &str, v: &Value) -> Result<Option<Vec<String>>, Error> {
    if op.ends_with("ForPartition") {
        values_of(v).map(Some)
    } else {
        Ok(None)
    }
}

fn glue_statistics(s: &ColumnStatistics) -> Value {
    to_glue(serde_json::to_value(s).unwrap_or(Value::Null))
}

fn dispatch(store: &dyn CatalogStore, op: &str, v: Value) -> R {
    match op {
        "CreateDatabase" => {
            let d: Database = parse_input(&v, "DatabaseInput")?;
            store.create_database(d)?;
            Ok(json!({}))
        }
        "GetDatabase" => {
            let d = store.get_database(&db_of(&v, "Name")?)?;
            Ok(json!({"Database": to_glue(serde_json::to_value(d).unwrap_or_default())}))
        }
        "GetDatabases" => {
            let p = store.list_databases(&page(&v, 100)?)?;
            let dbs: Vec<Value> = p
                .items
                .iter()
                .map(|d| to_glue(serde_json::to_value(d).unwrap_or_default()))
                .collect();
            Ok(with_token(json!({"DatabaseList": dbs}), p.next_token))
        }
        "UpdateDatabase" => {
            let name = db_of(&v, "Name")?;
            let d: Database = parse_input(&v, "DatabaseInput")?;
            store.update_database(&name, d)?;
            Ok(json!({}))
        }
        "DeleteDatabase" => {
            // Glue deletes a database with its tables.
            store.delete_database(&db_of(&v, "Name")?, true)?;
            Ok(json!({}))
        }
        "CreateTable" => {
            let db = db_of(&v, "DatabaseName")?;
            let t: Table = parse_input(&v, "TableInput")?;
            let indexes: Vec<PartitionIndex> = match v.get("PartitionIndexes") {
                None | Some(Value::Null) => Vec::new(),
                Some(_) => parse_input(&v, "PartitionIndexes")?,
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
            let t = store.get_table(&table_id(&v)?)?;
            Ok(json!({"Table": glue_table(&t)}))
        }
        "GetTables" => {
            let db = db_of(&v, "DatabaseName")?;
            let re = match v.get("Expression").and_then(Value::as_str) {
                Some(e) if !e.is_empty() => Some(
                    regex::Regex::new(&format!("^(?:{e})$"))
                        .map_err(|x| Error::invalid(format!("Expression {e:?}: {x}")))?,
                ),
                _ => None,
            };
            let p = store.list_tables(&db, re.as_ref(), &page(&v, 100)?)?;
            let ts: Vec<Value> = p.items.iter().map(glue_table).collect();
            Ok(with_token(json!({"TableList": ts}), p.next_token))
        }
        "UpdateTable" => {
            let db = db_of(&v, "DatabaseName")?;
            let t: Table = parse_input(&v, "TableInput")?;
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
            store.delete_table(&table_id(&v)?)?;
            Ok(json!({}))
        }
        "BatchDeleteTable" => {
            let db = string(&v, "DatabaseName")?;
            let names: Vec<String> = serde_json::from_value(field(&v, "TablesToDelete")?.clone())
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
            let id = TableIdent::parse(&string(&v, "DatabaseName")?, &string(&v, "TableName")?)?;
            let p = store.list_table_versions(&id, &page(&v, 100)?)?;
            let vs: Vec<Value> = p
                .items
                .iter()
                .map(|tv| json!({"Table": glue_table(&tv.table), "VersionId": tv.version_id.to_string()}))
                .collect();
            Ok(with_token(json!({"TableVersions": vs}), p.next_token))
        }
        "GetTableVersion" => {
            let id = TableIdent::parse(&string(&v, "DatabaseName")?, &string(&v, "TableName")?)?;
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
            let id = TableIdent::parse(&string(&v, "DatabaseName")?, &string(&v, "TableName")?)?;
            let ids: Vec<String> = if op == "DeleteTableVersion" {
                vec![string(&v, "VersionId")?]
            } else {
                serde_json::from_value(field(&v, "VersionIds")?.clone())
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
        "CreatePartition" | "BatchCreatePartition" => {
            let id = TableIdent::parse(&string(&v, "DatabaseName")?, &string(&v, "TableName")?)?;
            let inputs: Vec<Value> = if op == "CreatePartition" {
                vec![field(&v, "PartitionInput")?.clone()]
            } else {
                let list = field(&v, "PartitionInputList")?
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
            let id = TableIdent::parse(&string(&v, "DatabaseName")?, &string(&v, "TableName")?)?;
            let p = store.get_partition(&id, &values_of(&v)?)?;
            Ok(json!({"Partition": glue_partition(&p, false)}))
        }
        "GetPartitions" => {
            let id = TableIdent::parse(&string(&v, "DatabaseName")?, &string(&v, "TableName")?)?;
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
            let p = store.list_partitions(&id, filter.as_ref(), &page(&v, 1000)?)?;
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
            let id = TableIdent::parse(&string(&v, "DatabaseName")?, &string(&v, "TableName")?)?;
            let keys = field(&v, "PartitionsToGet")?
                .as_array()
                .cloned()
                .ok_or_else(|| Error::invalid("PartitionsToGet must be a list"))?;
            if keys.len() > 1000 {
                return Err(Error::invalid("PartitionsToGet holds at most 1000 keys").into());
            }
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
            let id = TableIdent::parse(&string(&v, "DatabaseName")?, &string(&v, "TableName")?)?;
            let old: Vec<String> = serde_json::from_value(field(&v, "PartitionValueList")?.clone())
                .map_err(|e| Error::invalid(format!("PartitionValueList: {e}")))?;
            let p: Partition = parse_input(&v, "PartitionInput")?;
            store.update_partition(&id, &old, p)?;
            Ok(json!({}))
        }
        "BatchUpdatePartition" => {
            let id = TableIdent::parse(&string(&v, "DatabaseName")?, &string(&v, "TableName")?)?;
            let entries = field(&v, "Entries")?
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
            let id = TableIdent::parse(&string(&v, "DatabaseName")?, &string(&v, "TableName")?)?;
            let values = values_of(&v)?;
            let errs = store.delete_partitions(&id, std::slice::from_ref(&values))?;
            if let Some(e) = errs.into_iter().next() {
                return Err(e.error.into());
            }
            Ok(json!({}))
        }
        "BatchDeletePartition" => {
            let id = TableIdent::parse(&string(&v, "DatabaseName")?, &string(&v, "TableName")?)?;
            let list = field(&v, "PartitionsToDelete")?
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
        "SearchTables" => search_tables(store, &v),
        "CreatePartitionIndex" => {
            let i: PartitionIndex = parse_input(&v, "PartitionIndex")?;
            store.create_partition_index(&table_id(&v)?, i)?;
            Ok(json!({}))
        }
        "GetPartitionIndexes" => {
            let id = table_id(&v)?;
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
            store.delete_partition_index(&table_id(&v)?, &string(&v, "IndexName")?)?;
            Ok(json!({}))
        }
        "UpdateColumnStatisticsForTable" | "UpdateColumnStatisticsForPartition" => {
            let values = partition_of(op, &v)?;
            let stats: Vec<ColumnStatistics> = parse_input(&v, "ColumnStatisticsList")?;
            let errors: Vec<Value> = store
                .update_column_statistics(&table_id(&v)?, values.as_deref(), stats)?
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
            let values = partition_of(op, &v)?;
            let names: Vec<String> = serde_json::from_value(field(&v, "ColumnNames")?.clone())
                .map_err(|e| Error::invalid(format!("ColumnNames: {e}")))?;
            let id = table_id(&v)?;
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
            let values = partition_of(op, &v)?;
            store.delete_column_statistics(
                &table_id(&v)?,
                values.as_deref(),
                &string(&v, "ColumnName")?,
            )?;
            Ok(json!({}))
        }
        "CreateUserDefinedFunction" => {
            let f: Function = parse_input(&v, "FunctionInput")?;
            store.create_function(&db_of(&v, "DatabaseName")?, f)?;
            Ok(json!({}))
        }
        "GetUserDefinedFunction" => {
            let f =
                store.get_function(&db_of(&v, "DatabaseName")?, &string(&v, "FunctionName")?)?;
            Ok(json!({"UserDefinedFunction": to_glue(serde_json::to_value(f).unwrap_or_default())}))
        }
        "UpdateUserDefinedFunction" => {
            let f: Function = parse_input(&v, "FunctionInput")?;
            store.update_function(&db_of(&v, "DatabaseName")?, &string(&v, "FunctionName")?, f)?;
            Ok(json!({}))
        }
        "DeleteUserDefinedFunction" => {
            store.delete_function(&db_of(&v, "DatabaseName")?, &string(&v, "FunctionName")?)?;
            Ok(json!({}))
        }
        "GetUserDefinedFunctions" => {
            // `Pattern` is Hive's: `*` any characters, `|` alternatives.
            let re = crate::services::sql::hive_pattern(&string(&v, "Pattern")?)?;
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
            let p = page(&v, 100)?;
            let start = match &p.token {
                None => 0,
                Some(t) => t.parse::<usize>().map_err(|_| {
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
                (end < all.len()).then(|| end.to_string()),
            ))
        }
        other => Err(Failure::Unknown(other.to_string())),
    }
}

/// Glue's fuzzy name match: the field is split on punctuation into tokens, and a
/// value matches when it equals one of them (`link` matches `customer-link`, not
/// `xxlinkyy`), case-insensitively.
fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn token_match(field: &str, value: &str) -> bool {
    let want = tokens(value);
    let have = tokens(field);
    !want.is_empty() && want.iter().all(|w| have.contains(w))
}

/// `SearchTables` over every database: `SearchText` (tokens matched against the
/// table's and database's names, description and column names; in double quotes, the
/// whole name exactly), `Filters` (`Name`, `DatabaseName`, `Description`, `TableType` by
/// token match; `CreateTime`/`UpdateTime` with a comparator; any other key a table
/// parameter that must equal the value), `SortCriteria` on `Name`, `CreateTime` or
/// `UpdateTime`, pages of at most 1,000.
fn search_tables(store: &dyn CatalogStore, v: &Value) -> R {
    let mut tables = Vec::new();
    for db in lakecat_catalog_api::store::all_databases(store)? {
        tables.extend(lakecat_catalog_api::store::all_tables(
            store, &db.name, None,
        )?);
    }
    if let Some(text) = v
        .get("SearchText")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
    {
        let text = text.trim();
        if let Some(exact) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            tables.retain(|t| t.name.as_str().eq_ignore_ascii_case(exact));
        } else {
            tables.retain(|t| {
                let mut hay = format!(
                    "{} {} {}",
                    t.name,
                    t.database_name.as_ref().map(|d| d.as_str()).unwrap_or(""),
                    t.description.as_deref().unwrap_or("")
                );
                for c in t.columns().iter().chain(&t.partition_keys) {
                    hay.push(' ');
                    hay.push_str(&c.name);
                }
                token_match(&hay, text)
            });
        }
    }
    for f in v
        .get("Filters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let key = f
            .get("Key")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let value = f
            .get("Value")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let cmp = f
            .get("Comparator")
            .and_then(Value::as_str)
            .unwrap_or("EQUALS")
            .to_string();
        let time = |t: &Table| match key.as_str() {
            "CreateTime" => Some(t.create_time),
            "UpdateTime" => Some(t.update_time),
            _ => None,
        };
        let bound: Option<i64> = if key == "CreateTime" || key == "UpdateTime" {
            Some(value.parse::<f64>().map(|x| x as i64).map_err(|_| {
                Error::invalid(format!("filter {key}: {value:?} is not epoch seconds"))
            })?)
        } else {
            None
        };
        tables.retain(|t| match (time(t), bound) {
            (Some(x), Some(b)) => match cmp.as_str() {
                "GREATER_THAN" => x > b,
                "LESS_THAN" => x < b,
                "GREATER_THAN_EQUALS" => x >= b,
                "LESS_THAN_EQUALS" => x <= b,
                _ => x == b,
            },
            _ => match key.as_str() {
                "Name" => token_match(t.name.as_str(), &value),
                "DatabaseName" => t
                    .database_name
                    .as_ref()
                    .is_some_and(|d| token_match(d.as_str(), &value)),
                "Description" => token_match(t.description.as_deref().unwrap_or(""), &value),
                "TableType" => t
                    .table_type
                    .is_some_and(|x| x.as_str().eq_ignore_ascii_case(&value)),
                other => t.parameters.get(other) == Some(&value),
            },
        });
    }
    let sort = v
        .get("SortCriteria")
        .and_then(Value::as_array)
        .and_then(|a| a.first().cloned());
    let field_name = sort
        .as_ref()
        .and_then(|s| s.get("FieldName"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let desc = sort
        .as_ref()
        .and_then(|s| s.get("Sort"))
        .and_then(Value::as_str)
        == Some("DESC");
    tables.sort_by(|a, b| {
        let key = |t: &Table| match field_name {
            "CreateTime" => (t.create_time, String::new(), String::new()),
            "UpdateTime" => (t.update_time, String::new(), String::new()),
            _ => (
                0,
                t.name.as_str().to_string(),
                t.database_name
                    .as_ref()
                    .map(|d| d.as_str().to_string())
                    .unwrap_or_default(),
            ),
        };
        let (ka, kb) = (key(a), key(b));
        let o = ka.cmp(&kb).then_with(|| {
            (
                a.database_name.as_ref().map(|d| d.as_str()),
                a.name.as_str(),
            )
                .cmp(&(
                    b.database_name.as_ref().map(|d| d.as_str()),
                    b.name.as_str(),
                ))
        });
        if desc {
            o.reverse()
        } else {
            o
        }
    });
    let p = page(v, 1000)?;
    let start = match &p.token {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| {
            Error::invalid(format!("NextToken {t:?} is not one this server gave out"))
        })?,
    };
    let end = (start + p.limit).min(tables.len());
    let list: Vec<Value> = tables
        .get(start..end)
        .unwrap_or(&[])
        .iter()
        .map(glue_table)
        .collect();
    let next = (end < tables.len()).then(|| end.to_string());
    Ok(with_token(json!({"TableList": list}), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glue_name_matching_is_by_token() {
        assert!(token_match("customer-link", "link"));
        assert!(token_match("xx-link-yy", "LINK"));
        assert!(!token_match("xxlinkyy", "link"));
        assert!(token_match("sales_2024 orders", "orders 2024"));
        assert!(!token_match("a", ""));
    }

    #[test]
    fn keys_convert_both_ways_and_user_maps_keep_theirs() {
        let glue = json!({"Name": "t", "StorageDescriptor": {"SerdeInfo": {"SerializationLibrary": "x", "Parameters": {"field.delim": ","}},
            "NumberOfBuckets": -1, "Columns": [{"Name": "a", "Type": "int"}]}, "Parameters": {"MixedCase_Key": "v"}, "CatalogId": "123"});
        let m = to_model(glue.clone());
        assert_eq!(
            m["storage_descriptor"]["serde_info"]["serialization_library"],
            "x"
        );
        assert_eq!(
            m["storage_descriptor"]["serde_info"]["parameters"]["field.delim"],
            ","
        );
        assert_eq!(m["storage_descriptor"]["number_of_buckets"], -1);
        assert_eq!(m["storage_descriptor"]["columns"][0]["type"], "int");
        assert_eq!(m["parameters"]["MixedCase_Key"], "v");
        assert!(m.get("catalog_id").is_none());
        let back = to_glue(m);
        let mut expected = glue;
        expected.as_object_mut().unwrap().remove("CatalogId");
        assert_eq!(back, expected);
    }
}
