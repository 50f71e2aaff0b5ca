//! REST routes of the crawler service: `/v1/crawlers…`, `/v1/classifiers…` and
//! `POST /v1/events/s3` (S3 event notifications, directly, from MinIO webhooks, or
//! through an SNS HTTP subscription).

use crate::http::{blocking, listing, ApiResult, AppState, JsonBody, ListParams, Params};
use crate::services::sns::Confirmation;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::crawlers::{parse_s3_events, Classifier, Crawler, ScheduleState};
use lakecat_catalog_api::store::Page;
use lakecat_catalog_api::Error;
use serde::Deserialize;
use serde_json::{json, Value};

pub async fn list_crawlers(
    State(s): State<AppState>,
    Params(p): Params<ListParams>,
) -> ApiResult<Response> {
    let c = s.crawler_service()?;
    let page = p.page(100)?;
    Ok(listing("crawlers", blocking(move || c.list(&page)).await?))
}

pub async fn create_crawler(
    State(s): State<AppState>,
    JsonBody(body): JsonBody<Crawler>,
) -> ApiResult<Response> {
    let c = s.crawler_service()?;
    let made = blocking(move || c.create(body)).await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

pub async fn get_crawler(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Crawler>> {
    let c = s.crawler_service()?;
    Ok(Json(blocking(move || c.get(&name)).await?))
}

pub async fn update_crawler(
    State(s): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<Crawler>,
) -> ApiResult<Json<Crawler>> {
    let c = s.crawler_service()?;
    Ok(Json(blocking(move || c.update(&name, body)).await?))
}

pub async fn delete_crawler(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let c = s.crawler_service()?;
    blocking(move || c.delete(&name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn start_crawler(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let c = s.crawler_service()?;
    let id = blocking(move || c.start(&name, "api")).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "crawl_id": id }))).into_response())
}

pub async fn stop_crawler(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let c = s.crawler_service()?;
    blocking(move || c.stop(&name)).await?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn list_crawls(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let c = s.crawler_service()?;
    let runs = blocking(move || c.runs(&name)).await?;
    Ok(listing(
        "crawls",
        Page {
            items: runs,
            next_token: None,
        },
    ))
}

pub async fn crawler_metrics(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let c = s.crawler_service()?;
    Ok(Json(blocking(move || c.metrics(&name)).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    schedule_expression: Option<String>,
    state: Option<ScheduleState>,
}

/// `PUT /v1/crawlers/{name}/schedule`: a new expression and/or a new state.
pub async fn put_schedule(
    State(s): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<ScheduleBody>,
) -> ApiResult<Json<Crawler>> {
    let c = s.crawler_service()?;
    Ok(Json(
        blocking(move || {
            if let Some(e) = &body.schedule_expression {
                c.set_schedule(&name, e)?;
            }
            match body.state {
                Some(ScheduleState::Scheduled) => c.set_scheduled(&name, true)?,
                Some(ScheduleState::NotScheduled) => c.set_scheduled(&name, false)?,
                Some(ScheduleState::Transitioning) => {
                    return Err(Error::invalid("a schedule cannot be set to TRANSITIONING"))
                }
                None => {}
            }
            c.get(&name)
        })
        .await?,
    ))
}

pub async fn list_classifiers(
    State(s): State<AppState>,
    Params(p): Params<ListParams>,
) -> ApiResult<Response> {
    let c = s.crawler_service()?;
    let page = p.page(100)?;
    Ok(listing(
        "classifiers",
        blocking(move || c.list_classifiers(&page)).await?,
    ))
}

pub async fn create_classifier(
    State(s): State<AppState>,
    JsonBody(body): JsonBody<Classifier>,
) -> ApiResult<Response> {
    let c = s.crawler_service()?;
    let made = blocking(move || c.create_classifier(body)).await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

pub async fn get_classifier(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Classifier>> {
    let c = s.crawler_service()?;
    Ok(Json(blocking(move || c.get_classifier(&name)).await?))
}

pub async fn update_classifier(
    State(s): State<AppState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<Classifier>,
) -> ApiResult<Json<Classifier>> {
    let c = s.crawler_service()?;
    if !body.name().eq_ignore_ascii_case(&name) {
        return Err(Error::invalid(format!(
            "the body names classifier {:?}, the path {name:?}",
            body.name()
        ))
        .into());
    }
    Ok(Json(blocking(move || c.update_classifier(body)).await?))
}

pub async fn delete_classifier(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let c = s.crawler_service()?;
    blocking(move || c.delete_classifier(&name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/events/s3`: S3 event notifications, kept until an event-mode crawler
/// consumes them. Bodies are S3's `{"Records": […]}` (as S3 and MinIO webhooks
/// post it) or an SNS HTTP delivery, whose subscription confirmation is answered
/// by visiting its `SubscribeURL`, as SNS requires, if its host is allowed
/// (see [`crate::services::sns`]).
pub async fn s3_events(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let c = s.crawler_service()?;
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| Error::invalid(format!("the event body is not JSON: {e}")))?;
    let header_type = headers
        .get("x-amz-sns-message-type")
        .and_then(|h| h.to_str().ok());
    let body_type = v.get("Type").and_then(Value::as_str);
    if let (Some(h), Some(b)) = (header_type, body_type) {
        // The signature covers the body's Type only; the two must agree.
        if h != b {
            return Err(Error::invalid(format!(
                "x-amz-sns-message-type {h:?} differs from the message's Type {b:?}"
            ))
            .into());
        }
    }
    let sns_type = header_type.or(body_type).map(str::to_string);
    // Before anything is visited or queued: a forged confirmation must not make the
    // server fetch anything, nor a forged notification crawl anything.
    s.sns_signatures.check(&v)?;
    let notification = match sns_type.as_deref() {
        Some("SubscriptionConfirmation") => {
            let url = v
                .get("SubscribeURL")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::invalid("SubscriptionConfirmation without SubscribeURL"))?
                .to_string();
            let topic = v.get("TopicArn").cloned().unwrap_or(Value::Null);
            let hosts = s.sns.clone();
            let shown = url.clone();
            return match blocking(move || hosts.confirm(&url)).await? {
                Confirmation::Confirmed => {
                    tracing::info!("SNS subscription to {topic} confirmed");
                    Ok(Json(json!({"confirmed": true, "topic_arn": topic})))
                }
                Confirmation::NotAllowed { host } => {
                    tracing::warn!(
                        "SNS subscription to {topic} not confirmed: {host} is not in --sns-confirm-hosts; visit {shown} to confirm it"
                    );
                    Ok(Json(json!({
                        "confirmed": false,
                        "topic_arn": topic,
                        "message": format!("lakecat visits SubscribeURLs only at the hosts in --sns-confirm-hosts, and {host} is not one; the URL is in the server's log"),
                    })))
                }
            };
        }
        Some("UnsubscribeConfirmation") => return Ok(Json(json!({"events": 0}))),
        Some("Notification") => {
            let msg = v
                .get("Message")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::invalid("SNS Notification without Message"))?;
            serde_json::from_str(msg).map_err(|e| {
                Error::invalid(format!(
                    "the SNS Message is not an S3 event notification: {e}"
                ))
            })?
        }
        _ => v,
    };
    // S3 sends a test event when a notification is configured; it names no object.
    if notification.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Json(json!({"events": 0})));
    }
    let events = parse_s3_events(&notification)?;
    let n = blocking(move || c.add_events(&events)).await?;
    Ok(Json(json!({ "events": n })))
}
