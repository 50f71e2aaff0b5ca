//! `/v1/databases/{db}/tables`: tables, renames and versions.

use crate::http::{
    blocking, db_name, ident, listing, ApiResult, AppState, JsonBody, ListParams, Params,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::model::Table;
use lakecat_catalog_api::store::{check_rename, UpdateTableOptions};
use lakecat_catalog_api::Error;
use serde::Deserialize;

pub async fn list_tables(
    State(s): State<AppState>,
    Path(db): Path<String>,
    Params(p): Params<ListParams>,
) -> ApiResult<Response> {
    let pattern = match &p.pattern {
        Some(pat) => Some(regex::Regex::new(&format!("^(?:{pat})$")).map_err(|e| {
            Error::invalid(format!("pattern is not a valid regular expression: {e}"))
        })?),
        None => None,
    };
    Ok(listing(
        "tables",
        s.store
            .list_tables(&db_name(&db)?, pattern.as_ref(), &p.page(100)?)?,
    ))
}

pub async fn create_table(
    State(s): State<AppState>,
    Path(db): Path<String>,
    JsonBody(t): JsonBody<Table>,
) -> ApiResult<Response> {
    let name = db_name(&db)?;
    let t = blocking(move || s.store.create_table(&name, t)).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

pub async fn get_table(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
) -> ApiResult<Json<Table>> {
    let id = ident(&db, &t)?;
    Ok(Json(s.store.get_table_async(&id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateParams {
    skip_archive: Option<bool>,
    rename: Option<bool>,
}

pub async fn update_table(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    Params(p): Params<UpdateParams>,
    JsonBody(body): JsonBody<Table>,
) -> ApiResult<Json<Table>> {
    let id = ident(&db, &t)?;
    let rename = p.rename.unwrap_or(false);
    let opts = UpdateTableOptions {
        expected_version: body.version_id,
        skip_archive: p.skip_archive.unwrap_or(false),
        rename,
        ..Default::default()
    };
    Ok(Json(
        blocking(move || {
            if rename {
                let cur = s.store.get_table(&id)?;
                let db = s.store.get_database(&id.database)?;
                check_rename(&id, &cur, db.location_uri.as_deref())?;
            }
            s.store.update_table(&id, body, opts)
        })
        .await?,
    ))
}

pub async fn delete_table(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = ident(&db, &t)?;
    blocking(move || s.store.delete_table(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_versions(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    Params(p): Params<ListParams>,
) -> ApiResult<Response> {
    Ok(listing(
        "versions",
        s.store
            .list_table_versions(&ident(&db, &t)?, &p.page(100)?)?,
    ))
}
