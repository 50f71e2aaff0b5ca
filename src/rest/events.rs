//! `GET /v1/events`: the change log, with long polling (see
//! [`crate::services::events`]).

use crate::http::{blocking, ApiResult, AppState, Params};
use crate::services::events::{read, rest_shape, Selection};
use axum::extract::State;
use axum::Json;
use lakecat_catalog_api::Error;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The longest a request may wait for new events.
const MAX_WAIT_SECS: u64 = 60;
/// How often a waiting request looks at the log again: the store is the only
/// thing replicas share, so a write through another replica shows up here
/// within this delay.
const POLL: Duration = Duration::from_millis(200);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    /// Resume after this id (the `next_after` of the previous answer); absent
    /// = from the oldest event kept.
    after: Option<u64>,
    limit: Option<usize>,
    /// Seconds to wait for an event when there is none yet.
    wait: Option<u64>,
    /// Comma-separated event types.
    types: Option<String>,
    database: Option<String>,
    table: Option<String>,
}

pub async fn list_events(
    State(s): State<AppState>,
    Params(p): Params<EventParams>,
) -> ApiResult<Json<Value>> {
    let limit = p.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(
            Error::invalid(format!("limit must be between 1 and 1000, not {limit}")).into(),
        );
    }
    let wait = p.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECS {
        return Err(Error::invalid(format!(
            "wait must be at most {MAX_WAIT_SECS} seconds, not {wait}"
        ))
        .into());
    }
    let selection = Selection {
        types: p
            .types
            .as_deref()
            .map(|t| {
                t.split(',')
                    .map(|x| x.trim().to_ascii_uppercase())
                    .collect()
            })
            .unwrap_or_default(),
        database: p.database.map(|d| d.to_lowercase()),
        table: p.table.map(|t| t.to_lowercase()),
    };
    let after = match p.after {
        Some(a) => a,
        None => {
            let store = s.store.clone();
            blocking(move || store.event_bounds())
                .await?
                .first
                .saturating_sub(1)
        }
    };
    let deadline = Instant::now() + Duration::from_secs(wait);
    let mut from = after;
    loop {
        let (store, sel) = (s.store.clone(), selection.clone());
        let r = blocking(move || read(&*store, from, limit, &sel)).await?;
        from = r.resume_after;
        if !r.events.is_empty() || Instant::now() >= deadline {
            let events: Vec<Value> = r.events.iter().map(rest_shape).collect();
            return Ok(Json(
                json!({ "events": events, "next_after": r.resume_after }),
            ));
        }
        tokio::time::sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
}
