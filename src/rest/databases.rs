//! `/v1/databases`: create, list, read, update, drop.

use crate::http::{blocking, db_name, listing, ApiResult, AppState, JsonBody, ListParams, Params};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::model::Database;

pub async fn list_databases(
    State(s): State<AppState>,
    Params(p): Params<ListParams>,
) -> ApiResult<Response> {
    Ok(listing("databases", s.store.list_databases(&p.page(100)?)?))
}

pub async fn create_database(
    State(s): State<AppState>,
    JsonBody(db): JsonBody<Database>,
) -> ApiResult<Response> {
    let db = blocking(move || s.store.create_database(db)).await?;
    Ok((StatusCode::CREATED, Json(db)).into_response())
}

pub async fn get_database(
    State(s): State<AppState>,
    Path(db): Path<String>,
) -> ApiResult<Json<Database>> {
    Ok(Json(s.store.get_database(&db_name(&db)?)?))
}

pub async fn update_database(
    State(s): State<AppState>,
    Path(db): Path<String>,
    JsonBody(body): JsonBody<Database>,
) -> ApiResult<Json<Database>> {
    let name = db_name(&db)?;
    Ok(Json(
        blocking(move || s.store.update_database(&name, body)).await?,
    ))
}

pub async fn delete_database(
    State(s): State<AppState>,
    Path(db): Path<String>,
    Params(p): Params<ListParams>,
) -> ApiResult<StatusCode> {
    let name = db_name(&db)?;
    let cascade = p.cascade.unwrap_or(false);
    blocking(move || s.store.delete_database(&name, cascade)).await?;
    Ok(StatusCode::NO_CONTENT)
}
