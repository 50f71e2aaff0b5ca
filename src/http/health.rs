//! `/health`, `/metrics`, `/openapi.yaml` and the answer to a path no route takes.

use super::error::ApiError;
use super::{ApiResult, AppState};
use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::store::PageRequest;
use lakecat_catalog_api::Error;
use serde_json::{json, Value};

pub const OPENAPI_YAML: &str = include_str!("../../openapi.yaml");

pub async fn health(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    s.store.list_databases(&PageRequest::first(1))?;
    Ok(Json(
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}),
    ))
}

pub async fn metrics(State(s): State<AppState>) -> ApiResult<Response> {
    let stats = s.store.stats()?;
    Ok((
        [("content-type", "text/plain; version=0.0.4")],
        s.metrics.render(&stats, s.store.partitions_examined()),
    )
        .into_response())
}

pub async fn openapi() -> Response {
    ([("content-type", "application/yaml")], OPENAPI_YAML).into_response()
}

pub async fn no_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError(Error::not_found(format!(
        "no route for {method} {}",
        uri.path()
    )))
}
