//! `/v1/grants`: who may do what (see [`crate::services::permissions`]).

use crate::http::{blocking, ApiResult, AppState, JsonBody, Params};
use crate::services::permissions::{Authorizer, Privilege, Resource};
use axum::extract::State;
use axum::Json;
use lakecat_catalog_api::Error;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantParams {
    principal: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    principal: String,
    /// `catalog`, `database:DB` or `table:DB.TABLE`.
    resource: String,
    /// `read`, `write`, `drop`, `admin` (or Hive's names).
    privileges: Vec<String>,
}

fn authorizer(s: &AppState) -> ApiResult<Arc<Authorizer>> {
    s.permissions.clone().ok_or_else(|| {
        Error::invalid("permissions are off: start the server with --authorization grants").into()
    })
}

pub async fn list_grants(
    State(s): State<AppState>,
    Params(p): Params<GrantParams>,
) -> ApiResult<Json<Value>> {
    let auth = authorizer(&s)?;
    let grants = blocking(move || auth.list(p.principal.as_deref())).await?;
    Ok(Json(json!({ "grants": grants })))
}

async fn change(s: AppState, b: GrantBody, grant: bool) -> ApiResult<Json<Value>> {
    let auth = authorizer(&s)?;
    let resource = Resource::parse(&b.resource)?;
    let privileges = b
        .privileges
        .iter()
        .map(|p| Privilege::parse(p))
        .collect::<Result<Vec<_>, _>>()?;
    if privileges.is_empty() {
        return Err(Error::invalid("privileges is empty").into());
    }
    let grants = blocking(move || auth.change(&b.principal, &resource, &privileges, grant)).await?;
    Ok(Json(json!({ "grants": grants })))
}

pub async fn grant(
    State(s): State<AppState>,
    JsonBody(b): JsonBody<GrantBody>,
) -> ApiResult<Json<Value>> {
    change(s, b, true).await
}

pub async fn revoke(
    State(s): State<AppState>,
    JsonBody(b): JsonBody<GrantBody>,
) -> ApiResult<Json<Value>> {
    change(s, b, false).await
}
