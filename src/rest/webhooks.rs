//! `/v1/webhooks`: subscriptions to the change log (see
//! [`crate::services::webhooks`]).

use crate::http::{blocking, ApiResult, AppState, JsonBody};
use crate::services::webhooks::{self, Subscription};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use lakecat_catalog_api::Error;
use serde_json::{json, Value};

pub async fn list_webhooks(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    let subs = blocking(move || webhooks::list(&*s.store)).await?;
    let shown: Vec<Value> = subs.iter().map(Subscription::shown).collect();
    Ok(Json(json!({ "webhooks": shown })))
}

pub async fn create_webhook(
    State(s): State<AppState>,
    JsonBody(sub): JsonBody<Subscription>,
) -> ApiResult<impl IntoResponse> {
    let shown = sub.shown();
    blocking(move || webhooks::put(&*s.store, sub, false)).await?;
    Ok((StatusCode::CREATED, Json(shown)))
}

pub async fn get_webhook(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let (sub, status) = blocking(move || {
        Ok((
            webhooks::get(&*s.store, &name)?,
            webhooks::status(&*s.store, &name)?,
        ))
    })
    .await?;
    let mut v = sub.shown();
    v["status"] = status;
    Ok(Json(v))
}

pub async fn replace_webhook(
    State(s): State<AppState>,
    Path(name): Path<String>,
    JsonBody(sub): JsonBody<Subscription>,
) -> ApiResult<Json<Value>> {
    if sub.name != name {
        return Err(Error::invalid(format!(
            "the body names webhook {:?}, the path {name:?}",
            sub.name
        ))
        .into());
    }
    let shown = sub.shown();
    blocking(move || {
        webhooks::get(&*s.store, &name)?;
        webhooks::put(&*s.store, sub, true)
    })
    .await?;
    Ok(Json(shown))
}

pub async fn delete_webhook(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    blocking(move || webhooks::delete(&*s.store, &name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_dead_letters(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let dead = blocking(move || webhooks::dead_letters(&*s.store, &name)).await?;
    Ok(Json(json!({ "dead_letters": dead })))
}
