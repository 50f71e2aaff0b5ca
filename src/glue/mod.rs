//! The AWS Glue Data Catalog JSON API on the REST listener: `POST /` with
//! `X-Amz-Target: AWSGlue.<Operation>`, so boto3 and the aws CLI work unchanged.
//!
//! Glue's shapes are the catalog model's in PascalCase, so requests and answers are
//! converted key by key ([`shapes::to_model`], [`shapes::to_glue`]); user maps (`Parameters`, skewed
//! location maps) keep their keys, and the few places where Glue's names or types
//! differ are spelled out (`CreationTime` of partitions, `VersionId` as a string).
//! Glue-only fields lakecat does not keep (`CatalogId`, `TargetTable`, …) are
//! accepted and ignored.
//!
//! One file per resource family; each answers the operations it knows and says
//! `Unknown` to the others. `protocol` (inputs, tokens, errors) and `shapes`
//! (the key conversion) are what they share.

mod crawlers;
mod databases;
mod functions;
mod indexes;
mod partitions;
pub mod protocol;
mod search;
pub mod shapes;
mod statistics;
mod tables;

use crate::http::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lakecat_catalog_api::store::CatalogStore;
use lakecat_catalog_api::ErrorKind;
use protocol::{answer, error_response, glue_error, Failure, R};
use serde_json::{json, Value};

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
    // The read engines make most, answered without the blocking pool where the
    // store can (see `CatalogStore::get_table_async`).
    if op == "GetTable" {
        let r: R = async {
            let id = protocol::table_id(&input)?;
            let t = store.get_table_async(&id).await?;
            Ok(serde_json::json!({"Table": shapes::glue_table(&t)}))
        }
        .await;
        return finish(Ok(r));
    }
    let r = crate::services::permissions::spawn_blocking(move || {
        if let Some(r) = crawlers
            .as_ref()
            .and_then(|c| crawlers::dispatch(c, &op, &input))
        {
            return r;
        }
        dispatch(&*store, &op, input)
    })
    .await;
    finish(r)
}

fn finish(r: Result<R, tokio::task::JoinError>) -> Response {
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

/// How a family answers: its result, or `Unknown` for an operation not its own.
type Family = fn(&dyn CatalogStore, &str, &Value) -> R;

/// Each family in turn, until one knows the operation.
fn dispatch(store: &dyn CatalogStore, op: &str, v: Value) -> R {
    let families: [Family; 7] = [
        databases::call,
        tables::call,
        partitions::call,
        indexes::call,
        statistics::call,
        functions::call,
        search::call,
    ];
    for call in families {
        match call(store, op, &v) {
            Err(Failure::Unknown(_)) => continue,
            r => return r,
        }
    }
    Err(Failure::Unknown(op.to_string()))
}
