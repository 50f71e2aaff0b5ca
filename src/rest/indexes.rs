//! REST routes of a table's partition indexes and column statistics (the same the
//! Glue and Hive Metastore fronts serve).

use crate::http::{blocking, ApiResult, AppState, JsonBody};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::stats::{ColumnStatistics, PartitionIndex};
use lakecat_catalog_api::{Error, TableIdent};
use serde::{Deserialize, Serialize};
use serde_json::json;

fn ident(db: &str, t: &str) -> ApiResult<TableIdent> {
    Ok(TableIdent::parse(db, t)?)
}

/// The query of a statistics route: `values` (repeated, in key order) names a
/// partition, none the table; `columns` (repeated) or `column` names columns.
struct StatsQuery {
    values: Option<Vec<String>>,
    columns: Vec<String>,
}

fn stats_query(raw: Option<String>, column_key: &str) -> ApiResult<StatsQuery> {
    let mut q = StatsQuery {
        values: None,
        columns: Vec::new(),
    };
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "values" => q.values.get_or_insert_with(Vec::new).push(v.into_owned()),
            k if k == column_key => q.columns.push(v.into_owned()),
            other => {
                return Err(Error::invalid(format!(
                "unknown query parameter {other:?}; use values=… (a partition) and {column_key}=…"
            ))
                .into())
            }
        }
    }
    Ok(q)
}

pub async fn list_indexes(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
) -> ApiResult<Response> {
    let indexes = s.store.list_partition_indexes(&ident(&db, &t)?)?;
    Ok(Json(json!({ "indexes": indexes })).into_response())
}

pub async fn create_index(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    JsonBody(index): JsonBody<PartitionIndex>,
) -> ApiResult<Response> {
    let id = ident(&db, &t)?;
    let name = index.index_name.to_lowercase();
    let store = s.store.clone();
    let indexes = blocking(move || {
        store.create_partition_index(&id, index)?;
        store.list_partition_indexes(&id)
    })
    .await?;
    let made = indexes.into_iter().find(|i| i.index_name == name);
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

pub async fn delete_index(
    State(s): State<AppState>,
    Path((db, t, index)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let id = ident(&db, &t)?;
    blocking(move || s.store.delete_partition_index(&id, &index)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn get_statistics(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let id = ident(&db, &t)?;
    let q = stats_query(raw, "columns")?;
    let columns = if q.columns.is_empty() {
        // All the columns of the table (or of the partition).
        let table = s.store.get_table(&id)?;
        let part = match &q.values {
            Some(v) => Some(s.store.get_partition(&id, v)?),
            None => None,
        };
        lakecat_catalog_api::stats::columns_of(&table, part.as_ref())
            .iter()
            .map(|c| c.name.clone())
            .collect()
    } else {
        q.columns
    };
    let found = s
        .store
        .get_column_statistics(&id, q.values.as_deref(), &columns)?;
    Ok(Json(json!({ "statistics": found })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsBody {
    statistics: Vec<ColumnStatistics>,
}

#[derive(Serialize)]
struct StatisticsError {
    statistics: ColumnStatistics,
    error: serde_json::Value,
}

pub async fn put_statistics(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    JsonBody(body): JsonBody<StatisticsBody>,
) -> ApiResult<Response> {
    let id = ident(&db, &t)?;
    let q = stats_query(raw, "columns")?;
    let errors = blocking(move || {
        s.store
            .update_column_statistics(&id, q.values.as_deref(), body.statistics)
    })
    .await?;
    let errors: Vec<StatisticsError> = errors
        .into_iter()
        .map(|e| StatisticsError {
            statistics: e.statistics,
            error: crate::http::error::error_body(&e.error)["error"].clone(),
        })
        .collect();
    Ok(Json(json!({ "errors": errors })).into_response())
}

pub async fn delete_statistics(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<StatusCode> {
    let id = ident(&db, &t)?;
    let q = stats_query(raw, "column")?;
    let [column] = q.columns.as_slice() else {
        return Err(Error::invalid("name one column with column=…").into());
    };
    let column = column.clone();
    blocking(move || {
        s.store
            .delete_column_statistics(&id, q.values.as_deref(), &column)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
