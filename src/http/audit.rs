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
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(|t| t.rsplit('.').next().unwrap_or(t).to_string());
    let claimed = claimed_key(&req);
    let source = req
        .extensions()
        .get::<ConnectInfo<crate::net::InFlight>>()
        .and_then(|c| c.0.peer)
        .map(|p| p.to_string());
    let resp = next.run(req).await;
    let status = resp.status();
    let (front, action, write) = classify(&method, &path, target.as_deref());
    let refused = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
    if !write && !refused {
        return resp;
    }
    let principal = match (resp.extensions().get::<Principal>(), claimed) {
        (Some(p), _) => p.0.clone(),
        (None, Some(k)) => format!("{k} (unverified)"),
        (None, None) => "anonymous".into(),
    };
    let mut e = Entry::new(front, action, principal);
    e.source = source.unwrap_or_else(|| "unknown".into());
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

/// Which front a request is for, what it does, and whether it may change anything.
fn classify(method: &Method, path: &str, target: Option<&str>) -> (&'static str, String, bool) {
    let reading = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if path == "/" && *method == Method::POST {
        let op = target.unwrap_or("(no X-Amz-Target)").to_string();
        let read = ["Get", "BatchGet", "Search", "List", "Query"]
            .iter()
            .any(|p| op.starts_with(p));
        return ("glue", op, !read);
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
    (front, format!("{method} {path}"), !reading)
}

/// The access key a request claims (SigV4 header or presigned query), before or
/// without its verification.
fn claimed_key(req: &Request) -> Option<String> {
    let from_header = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .map(|c| c.to_string());
    let from_query = req.uri().query().and_then(|q| {
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
        let c = |m: Method, p: &str, t: Option<&str>| classify(&m, p, t);
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
