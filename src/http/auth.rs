//! SigV4 on every request but `GET /health` (`--auth sigv4`).

use super::error::ApiError;
use super::sigv4;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::{Error, ErrorKind};
use serde_json::json;
use std::sync::Arc;

pub async fn check_signature(
    State((keys, max_body)): State<(Arc<sigv4::Keys>, usize)>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    if path == "/health" || path == "/iceberg/v1/oauth/tokens" {
        return next.run(req).await;
    }
    if super::is_console_path(path) {
        return console_gate(&keys, req, next).await;
    }
    // The Iceberg front also takes bearer tokens from its OAuth2 endpoint.
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::to_string);
    if let (Some(token), true) = (bearer, path.starts_with("/iceberg/")) {
        let now = lakecat_catalog_api::store::now_secs();
        return match super::oauth::verify(&keys, super::oauth::Audience::Iceberg, &token, now) {
            Ok(client) => verified(req, next, client).await,
            Err(why) => (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": {"message": why, "type": "NotAuthorizedException", "code": 401}})),
            )
                .into_response(),
        };
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, max_body).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError(Error::new(
                ErrorKind::TooLarge,
                "the request body is larger than the server's limit (max_body_bytes)",
            ))
            .into_response()
        }
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let now = lakecat_catalog_api::store::now_secs();
    let r = sigv4::verify(
        &sigv4::Request {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body: &bytes,
        },
        &keys,
        now,
    );
    match r {
        Ok(key) => {
            let mut parts = parts;
            parts.uri = without_signature_params(&parts.uri);
            let req = Request::from_parts(parts, axum::body::Body::from(bytes));
            verified(req, next, key).await
        }
        Err(refusal) => {
            let status = if refusal.kind == "UnrecognizedClientException" {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::FORBIDDEN
            };
            (
                status,
                [("content-type", "application/x-amz-json-1.1")],
                Json(json!({"__type": refusal.kind, "Message": refusal.message})),
            )
                .into_response()
        }
    }
}

/// The name of the web console's session cookie.
pub const SESSION_COOKIE: &str = "lakecat_session";

/// The session cookie's value, if the request carries one.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
        .map(str::to_string)
}

/// Browsers cannot sign requests: the console authenticates by its session
/// cookie instead (see [`super::oauth`]). Only its sign-in page and assets are
/// open; anything else is sent to sign in and brought back afterwards.
async fn console_gate(keys: &sigv4::Keys, req: Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path();
    if path == "/ui/login" || path.starts_with("/ui/static/") {
        return next.run(req).await;
    }
    let now = lakecat_catalog_api::store::now_secs();
    let client = session_cookie(req.headers())
        .and_then(|c| super::oauth::verify(keys, super::oauth::Audience::Console, &c, now).ok());
    if let Some(client) = client {
        return verified(req, next, client).await;
    }
    let back = if req.method() == axum::http::Method::GET {
        req.uri().path_and_query().map_or("/ui", |p| p.as_str())
    } else {
        "/ui"
    };
    let to: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
    (
        StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, format!("/ui/login?next={to}"))],
    )
        .into_response()
}

/// Runs a request whose caller was verified: the principal goes on the request
/// (for permissions) and on the response (for the audit log outside this layer).
async fn verified(mut req: Request, next: axum::middleware::Next, principal: String) -> Response {
    req.extensions_mut()
        .insert(super::audit::Principal(principal.clone()));
    let mut resp = next.run(req).await;
    resp.extensions_mut()
        .insert(super::audit::Principal(principal));
    resp
}

/// Runs the request for its verified principal (see
/// [`crate::services::permissions`]), or `anonymous` without authentication.
pub async fn actor(req: Request, next: axum::middleware::Next) -> Response {
    use crate::services::permissions::{scope, Actor};
    let who = req
        .extensions()
        .get::<super::audit::Principal>()
        .map(|p| p.0.clone())
        .unwrap_or_else(|| "anonymous".into());
    scope(Actor::Principal(who), next.run(req)).await
}

/// A presigned URL carries its signature in `X-Amz-*` query parameters; once
/// checked they are the signature's, not the route's, whose parameter lists are
/// strict.
fn without_signature_params(uri: &axum::http::Uri) -> axum::http::Uri {
    let Some(q) = uri.query() else {
        return uri.clone();
    };
    let kept: Vec<&str> = q
        .split('&')
        .filter(|p| {
            let name = p.split('=').next().unwrap_or_default();
            !name.to_ascii_lowercase().starts_with("x-amz-")
        })
        .collect();
    let path_and_query = if kept.is_empty() {
        uri.path().to_string()
    } else {
        format!("{}?{}", uri.path(), kept.join("&"))
    };
    path_and_query.parse().unwrap_or_else(|_| uri.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_params_are_dropped_after_the_check() {
        let u: axum::http::Uri =
            "/v1/databases?max_results=5&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab"
                .parse()
                .unwrap();
        assert_eq!(
            without_signature_params(&u).to_string(),
            "/v1/databases?max_results=5"
        );
        let u: axum::http::Uri = "/v1/databases?X-Amz-Date=1".parse().unwrap();
        assert_eq!(without_signature_params(&u).to_string(), "/v1/databases");
    }
}
