//! `GET /v1/audit`: the audit log (see [`crate::services::audit`]).

use crate::http::{ApiResult, AppState, Params};
use axum::extract::State;
use axum::Json;
use lakecat_catalog_api::limits::MAX_PAGE_SIZE;
use lakecat_catalog_api::store::PageRequest;
use lakecat_catalog_api::Error;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    max_results: Option<usize>,
    page_token: Option<String>,
    principal: Option<String>,
    outcome: Option<String>,
    front: Option<String>,
}

/// Entries oldest first; the filters apply within each page, so a page may hold
/// fewer than `max_results` and still have a next one.
pub async fn list_audit(
    State(s): State<AppState>,
    Params(p): Params<AuditParams>,
) -> ApiResult<Json<Value>> {
    let limit = p.max_results.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE_SIZE {
        return Err(Error::invalid(format!(
            "max_results must be between 1 and {MAX_PAGE_SIZE}, not {limit}"
        ))
        .into());
    }
    let page = PageRequest {
        token: p.page_token.clone(),
        limit,
    };
    let (entries, next) = crate::services::audit::list(&*s.store, &page, |e| {
        p.principal.as_ref().is_none_or(|w| *w == e.principal)
            && p.outcome.as_ref().is_none_or(|w| *w == e.outcome)
            && p.front.as_ref().is_none_or(|w| *w == e.front)
    })?;
    let mut body = json!({ "entries": entries });
    if let Some(t) = next {
        body["next_page_token"] = json!(t);
    }
    Ok(Json(body))
}
