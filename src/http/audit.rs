//! Audits every HTTP write and every refusal (see [`crate::services::audit`]).
//!
//! It sits outside the SigV4 check so that refused requests are seen too; the
//! check names the verified access key in the response's extensions.

use crate::services::audit::{Audit, Entry};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;

/// The access key a request was verified with (a response extension).
#[derive(Debug, Clone)]
pub struct Principal(pub String);

pub async fn track(
    State(audit): State<Audit>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    // Only cheap handles are kept here: most requests are reads that are not
    // audited, and the strings are made for the ones that are.
    let method = req.method().clone();
    let uri = req.uri().clone();
    let target = req.headers().get("x-amz-target").cloned();
    let authorization = req.headers().get("authorization").cloned();
    let peer = req
        .extensions()
        .get::<ConnectInfo<crate::net::InFlight>>()
        .and_then(|c| c.0.peer);
    let resp = next.run(req).await;
    let status = resp.status();
    let target = target
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .map(|t| t.rsplit('.').next().unwrap_or(t));
    let (front, write) = classify(&method, uri.path(), target);
    let refused = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
    if !write && !refused {
        return resp;
    }
    let claimed = claimed_key(authorization.as_ref(), uri.query());
    let principal = match (resp.extensions().get::<Principal>(), claimed) {
        (Some(p), _) => p.0.clone(),
        (None, Some(k)) => format!("{k} (unverified)"),
        (None, None) => "anonymous".into(),
    };
    let mut e = Entry::new(front, action(&method, uri.path(), target), principal);
    e.source = peer.map_or_else(|| "unknown".into(), |p| p.to_string());
    e.status = Some(status.as_u16());
    e.outcome = if refused {
        "refused"
    } else if status.is_server_error() {
        "failed"
    } else if status.is_client_error() {
        "rejected"
    } else {
        "ok"
    }
    .into();
    audit.record(e);
    resp
}

fn is_glue(method: &Method, path: &str) -> bool {
    path == "/" && *method == Method::POST
}

/// Which front a request is for, and whether it may change anything.
fn classify(method: &Method, path: &str, target: Option<&str>) -> (&'static str, bool) {
    if is_glue(method, path) {
        let op = target.unwrap_or_default();
        let read = ["Get", "BatchGet", "Search", "List", "Query"]
            .iter()
            .any(|p| op.starts_with(p));
        return ("glue", !read);
    }
    let front = if path.starts_with("/iceberg/") {
        "iceberg"
    } else if path.starts_with("/v1/ddl") {
        "ddl"
    } else if path.starts_with("/v1/events") {
        "events"
    } else {
        "rest"
    };
    let reading = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    (front, !reading)
}

/// What a request does, as the audit log names it: Glue's operation, or the
/// method and path.
fn action(method: &Method, path: &str, target: Option<&str>) -> String {
    if is_glue(method, path) {
        target.unwrap_or("(no X-Amz-Target)").to_string()
    } else {
        format!("{method} {path}")
    }
}

/// The access key a request claims (SigV4 header or presigned query), before or
/// without its verification.
fn claimed_key(
    authorization: Option<&axum::http::HeaderValue>,
    query: Option<&str>,
) -> Option<String> {
    let from_header = authorization
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .map(|c| c.to_string());
    let from_query = query.and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("X-Amz-Credential="))
            .map(|c| c.replace("%2F", "/"))
    });
    from_header
        .or(from_query)
        .and_then(|c| c.split('/').next().map(str::to_string))
        .filter(|k| !k.is_empty())
        .map(|k| k.chars().take(128).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_told_from_reads_on_every_front() {
        let c = |m: Method, p: &str, t: Option<&str>| {
            let (front, write) = classify(&m, p, t);
            (front, action(&m, p, t), write)
        };
        assert!(!c(Method::GET, "/v1/databases", None).2);
        assert_eq!(
            c(Method::POST, "/v1/databases", None),
            ("rest", "POST /v1/databases".into(), true)
        );
        assert!(!c(Method::POST, "/", Some("GetTables")).2);
        assert!(!c(Method::POST, "/", Some("BatchGetPartition")).2);
        assert_eq!(
            c(Method::POST, "/", Some("CreateTable")),
            ("glue", "CreateTable".into(), true)
        );
        assert_eq!(c(Method::POST, "/v1/ddl", None).0, "ddl");
        assert_eq!(c(Method::POST, "/v1/events/s3", None).0, "events");
    }
}
