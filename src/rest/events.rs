//! `GET /v1/events`: the change log, with long polling; `GET /v1/events/stream`:
//! the same as server-sent events (see [`crate::services::events`]).

use crate::http::{blocking, ApiResult, AppState, Params};
use crate::services::events::{read, rest_shape, Selection};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use lakecat_catalog_api::Error;
use serde::Deserialize;
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

fn selection(p: &EventParams) -> Selection {
    Selection {
        types: p
            .types
            .as_deref()
            .map(|t| {
                t.split(',')
                    .map(|x| x.trim().to_ascii_uppercase())
                    .collect()
            })
            .unwrap_or_default(),
        database: p.database.as_ref().map(|d| d.to_lowercase()),
        table: p.table.as_ref().map(|t| t.to_lowercase()),
    }
}

/// Bytes of events per answer beyond which no further event is added: a page
/// of big events (a crawl's 1,000-partition batches) would otherwise make one
/// answer of hundreds of megabytes.
const MAX_ANSWER_BYTES: usize = 8 << 20;

/// The answer's JSON: the events, each serialised once, stopping once
/// `budget` bytes are passed (always at least one), and `next_after`: the last
/// event shown if any were left out, else `resume_after`.
fn answer_within_budget(
    events: &[lakecat_catalog_api::events::Event],
    resume_after: u64,
    budget: usize,
) -> String {
    let mut shown = Vec::new();
    let mut bytes = 0;
    let mut next_after = resume_after;
    for (i, e) in events.iter().enumerate() {
        if bytes > budget {
            next_after = events[i - 1].id;
            break;
        }
        let text = rest_shape(e).to_string();
        bytes += text.len();
        shown.push(text);
    }
    format!(
        "{{\"events\":[{}],\"next_after\":{next_after}}}",
        shown.join(",")
    )
}

/// Where a reader starts: after `after`, else from the oldest event kept.
async fn start(s: &AppState, after: Option<u64>) -> ApiResult<u64> {
    Ok(match after {
        Some(a) => a,
        None => {
            let store = s.store.clone();
            blocking(move || store.event_bounds())
                .await?
                .first
                .saturating_sub(1)
        }
    })
}

pub async fn list_events(
    State(s): State<AppState>,
    Params(p): Params<EventParams>,
) -> ApiResult<Response> {
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
    let selection = selection(&p);
    let after = start(&s, p.after).await?;
    let deadline = Instant::now() + Duration::from_secs(wait);
    let mut from = after;
    loop {
        let (store, sel) = (s.store.clone(), selection.clone());
        let r = blocking(move || read(&*store, from, limit, &sel)).await?;
        from = r.resume_after;
        if !r.events.is_empty() || Instant::now() >= deadline {
            let body = answer_within_budget(&r.events, r.resume_after, MAX_ANSWER_BYTES);
            return Ok((
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response());
        }
        tokio::time::sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
}

/// The change log as server-sent events, from `after` (or the `Last-Event-ID`
/// a reconnecting `EventSource` sends) on, for as long as the client stays:
/// each event's `id` is its log id, so a reconnect resumes where it broke off.
/// Resuming from before the retention is refused (410) before the stream opens.
pub async fn stream_events(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    Params(p): Params<EventParams>,
) -> ApiResult<
    axum::response::sse::Sse<
        impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
> {
    use axum::response::sse::{Event as Sse, KeepAlive};
    if p.limit.is_some() || p.wait.is_some() {
        return Err(Error::invalid("limit and wait do not apply to a stream").into());
    }
    let last_id = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|t| t.trim().parse::<u64>().ok())
                .ok_or_else(|| Error::invalid("Last-Event-ID is not an event id"))?,
        ),
        None => None,
    };
    let selection = selection(&p);
    let after = start(&s, last_id.or(p.after)).await?;
    // Checked now, so that a refusal is an HTTP error rather than a broken stream.
    let (store, sel) = (s.store.clone(), selection.clone());
    let first = blocking(move || read(&*store, after, 1000, &sel)).await?;
    // The stream outlives the handler (and the request's scope of who asks), so
    // every later read runs explicitly for the same actor as the first.
    let actor = crate::services::permissions::current();
    let state = (
        s,
        selection,
        first.resume_after,
        std::collections::VecDeque::from(first.events),
    );
    let stream = futures_util::stream::unfold(state, move |(s, sel, mut at, mut queue)| {
        let actor = actor.clone();
        async move {
            loop {
                if let Some(e) = queue.pop_front() {
                    let data = rest_shape(&e).to_string();
                    let ev = Sse::default()
                        .id(e.id.to_string())
                        .event("change")
                        .data(data);
                    return Some((Ok(ev), (s, sel, at, queue)));
                }
                let (store, sel2, actor) = (s.store.clone(), sel.clone(), actor.clone());
                let next = tokio::task::spawn_blocking(move || {
                    let go = || read(&*store, at, 1000, &sel2);
                    match actor {
                        Some(a) => crate::services::permissions::run_as(a, go),
                        None => go(),
                    }
                });
                match next.await {
                    Ok(Ok(r)) => {
                        at = r.resume_after;
                        queue.extend(r.events);
                        if queue.is_empty() {
                            tokio::time::sleep(POLL).await;
                        }
                    }
                    // The log moved past this reader (retention) or the store failed:
                    // end the stream; the client's reconnect gets the error itself.
                    _ => return None,
                }
            }
        }
    });
    Ok(axum::response::sse::Sse::new(stream).keep_alive(KeepAlive::default()))
}
