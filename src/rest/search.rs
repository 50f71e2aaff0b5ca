//! `/v1/search/tables`.

use crate::http::{listing, ApiResult, AppState, ListParams, Params};
use axum::extract::State;
use axum::response::Response;

pub async fn search_tables(
    State(s): State<AppState>,
    Params(p): Params<ListParams>,
) -> ApiResult<Response> {
    let page = p.page(100)?;
    let q = p.q.clone().unwrap_or_default();
    Ok(listing(
        "tables",
        crate::services::search::search_tables(&*s.store, &q, &page)?,
    ))
}
