//! `/v1/databases/{db}/tables/{table}/partition(s)`: listings with filters, batches, one partition.

use crate::http::error::ApiError;
use crate::http::{blocking, ident, listing, ApiResult, AppState, JsonBody, ListParams, Params};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use lakecat_catalog_api::filter::FilterExpr;
use lakecat_catalog_api::limits::{MAX_PAGE_SIZE, MAX_PARTITION_BATCH};
use lakecat_catalog_api::model::Partition;
use lakecat_catalog_api::store::PartitionError;
use lakecat_catalog_api::Error;
use serde::Deserialize;
use serde_json::{json, Value};

pub async fn list_partitions(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    Params(p): Params<ListParams>,
) -> ApiResult<Response> {
    let filter = FilterExpr::parse(p.filter.as_deref().unwrap_or(""))?;
    Ok(listing(
        "partitions",
        s.store
            .list_partitions(&ident(&db, &t)?, filter.as_ref(), &p.page(MAX_PAGE_SIZE)?)?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionBatch {
    partitions: Vec<Partition>,
    #[serde(default)]
    if_not_exists: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValuesOnly {
    values: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteBatch {
    partitions: Vec<ValuesOnly>,
}

fn batch_answer(errors: Vec<PartitionError>) -> Json<Value> {
    let errors: Vec<Value> = errors
        .into_iter()
        .map(|e| json!({"values": e.values, "error": {"code": e.error.kind.code(), "message": e.error.message}}))
        .collect();
    Json(json!({ "errors": errors }))
}

fn check_batch(n: usize) -> ApiResult<()> {
    if n > MAX_PARTITION_BATCH {
        return Err(Error::limit(format!(
            "a batch holds at most {MAX_PARTITION_BATCH} partitions, not {n}"
        ))
        .into());
    }
    Ok(())
}

pub async fn create_partitions(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    JsonBody(b): JsonBody<PartitionBatch>,
) -> ApiResult<Json<Value>> {
    check_batch(b.partitions.len())?;
    let id = ident(&db, &t)?;
    Ok(batch_answer(
        blocking(move || {
            s.store
                .create_partitions(&id, b.partitions, b.if_not_exists)
        })
        .await?,
    ))
}

pub async fn delete_partitions(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    JsonBody(b): JsonBody<DeleteBatch>,
) -> ApiResult<Json<Value>> {
    check_batch(b.partitions.len())?;
    let id = ident(&db, &t)?;
    let values: Vec<Vec<String>> = b.partitions.into_iter().map(|v| v.values).collect();
    Ok(batch_answer(
        blocking(move || s.store.delete_partitions(&id, &values)).await?,
    ))
}

/// A single partition is addressed by its values as repeated `values` query
/// parameters, in key order: values may hold `/`, `=` or anything else, and a
/// query parameter carries each one unambiguously.
fn partition_values(raw: Option<String>) -> ApiResult<Vec<String>> {
    let mut values = Vec::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if k != "values" {
            return Err(Error::invalid(format!(
                "unknown query parameter {k:?}; address a partition with values=…&values=…"
            ))
            .into());
        }
        values.push(v.into_owned());
    }
    if values.is_empty() {
        return Err(Error::invalid(
            "address a partition with one values=… query parameter per partition key, in key order",
        )
        .into());
    }
    Ok(values)
}

pub async fn get_partition(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Partition>> {
    Ok(Json(
        s.store
            .get_partition(&ident(&db, &t)?, &partition_values(q)?)?,
    ))
}

pub async fn update_partition(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    JsonBody(p): JsonBody<Partition>,
) -> ApiResult<Json<Partition>> {
    let id = ident(&db, &t)?;
    let values = partition_values(q)?;
    Ok(Json(
        blocking(move || s.store.update_partition(&id, &values, p)).await?,
    ))
}

pub async fn delete_partition(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<StatusCode> {
    let id = ident(&db, &t)?;
    let values = partition_values(q)?;
    let mut errors = blocking(move || s.store.delete_partitions(&id, &[values])).await?;
    match errors.pop() {
        Some(e) => Err(ApiError(e.error)),
        None => Ok(StatusCode::NO_CONTENT),
    }
}
