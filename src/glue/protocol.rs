//! The Glue JSON protocol's common ground: reading inputs, paging tokens,
//! per-item errors, and Glue's error types and responses.

use super::shapes::to_model;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::store::PageRequest;
use lakecat_catalog_api::{DatabaseName, Error, ErrorKind, TableIdent};
use serde_json::{json, Value};

/// Glue's error types for the catalog's error kinds.
pub fn glue_error(e: &Error) -> &'static str {
    if let Some(code) = e.code {
        return code;
    }
    match e.kind {
        ErrorKind::NotFound | ErrorKind::Gone => "EntityNotFoundException",
        ErrorKind::AlreadyExists => "AlreadyExistsException",
        ErrorKind::InvalidInput | ErrorKind::TooLarge => "InvalidInputException",
        ErrorKind::Conflict => "ConcurrentModificationException",
        ErrorKind::LimitExceeded => "ResourceNumberLimitExceededException",
        ErrorKind::Storage | ErrorKind::Unavailable => "InternalServiceException",
        ErrorKind::AccessDenied => "AccessDeniedException",
    }
}

pub fn error_response(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        [("content-type", "application/x-amz-json-1.1")],
        Json(json!({"__type": kind, "Message": message})),
    )
        .into_response()
}

pub fn answer(v: Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/x-amz-json-1.1")],
        Json(v),
    )
        .into_response()
}

pub enum Failure {
    Unknown(String),
    Catalog(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Catalog(e)
    }
}

pub type R = Result<Value, Failure>;

pub fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, Error> {
    v.get(name)
        .filter(|x| !x.is_null())
        .ok_or_else(|| Error::invalid(format!("{name} is required")))
}

pub fn string(v: &Value, name: &str) -> Result<String, Error> {
    field(v, name)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Error::invalid(format!("{name} must be a string")))
}

pub fn db_of(v: &Value, name: &str) -> Result<DatabaseName, Error> {
    DatabaseName::new(&string(v, name)?)
}

pub fn table_id(v: &Value) -> Result<TableIdent, Error> {
    TableIdent::parse(
        &string(v, "DatabaseName")?,
        &string(v, "Name").or_else(|_| string(v, "TableName"))?,
    )
}

pub fn parse_input<T: serde::de::DeserializeOwned>(v: &Value, name: &str) -> Result<T, Error> {
    serde_json::from_value(to_model(field(v, name)?.clone()))
        .map_err(|e| Error::invalid(format!("{name}: {e}")))
}

pub fn values_of(v: &Value) -> Result<Vec<String>, Error> {
    serde_json::from_value(field(v, "PartitionValues")?.clone())
        .map_err(|e| Error::invalid(format!("PartitionValues: {e}")))
}

/// `MaxResults` and `NextToken`, checked as Glue checks them: a count out of
/// range or a token that is not a non-empty string is an `InvalidInputException`
/// (the store refuses a string it did not give out).
pub fn page(v: &Value, max: usize) -> Result<PageRequest, Error> {
    let limit = match v.get("MaxResults") {
        None | Some(Value::Null) => max,
        Some(n) => match n.as_u64() {
            Some(n) if n >= 1 && n as usize <= max => n as usize,
            _ => {
                return Err(Error::invalid(format!(
                    "MaxResults must be between 1 and {max}, not {n}"
                )))
            }
        },
    };
    let token = match v.get("NextToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if !t.is_empty() => Some(t.clone()),
        Some(t) => {
            return Err(Error::invalid(format!(
                "NextToken {t} is not one this server gave out"
            )))
        }
    };
    Ok(PageRequest { token, limit })
}

pub fn with_token(mut v: Value, token: Option<String>) -> Value {
    if let Some(t) = token {
        v["NextToken"] = json!(t);
    }
    v
}

pub fn item_error(values: &[String], e: &Error) -> Value {
    json!({"PartitionValues": values, "ErrorDetail": {"ErrorCode": glue_error(e), "ErrorMessage": e.message}})
}

/// The partition a `…ForPartition` statistics call names; `None` for `…ForTable`.
pub fn partition_of(op: &str, v: &Value) -> Result<Option<Vec<String>>, Error> {
    if op.ends_with("ForPartition") {
        values_of(v).map(Some)
    } else {
        Ok(None)
    }
}
