//! How catalog errors look over HTTP: `{"error":{"code":…,"message":…}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::{Error, ErrorKind};
use serde_json::json;

pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::InvalidInput | ErrorKind::LimitExceeded => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::AlreadyExists | ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::Storage => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::AccessDenied => StatusCode::FORBIDDEN,
        ErrorKind::Gone => StatusCode::GONE,
    }
}

pub fn error_body(e: &Error) -> serde_json::Value {
    let mut err = json!({"code": e.kind.code(), "message": e.message});
    // Glue's exception name where the kind alone is not specific (crawler states).
    if let Some(t) = e.code {
        err["type"] = json!(t);
    }
    json!({ "error": err })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if matches!(self.0.kind, ErrorKind::Storage | ErrorKind::Unavailable) {
            tracing::error!(error = %self.0.message, "store error");
        }
        (status_of(self.0.kind), Json(error_body(&self.0))).into_response()
    }
}

/// Errors axum itself answers (a body over the limit, a method a route does not
/// take, a path or query it cannot decode) come as plain text; clients of each
/// front parse JSON errors only, so those are rewritten into the front's shape:
/// Glue's `{"__type", "Message"}` for `POST /`, the Iceberg protocol's
/// `{"error": {"message", "type", "code"}}` under `/iceberg/`, the REST API's otherwise.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let glue = req.uri().path() == "/" && req.method() == axum::http::Method::POST;
    let iceberg = req.uri().path().starts_with("/iceberg/");
    // The console answers its errors as pages.
    let console = super::is_console_path(req.uri().path());
    let resp = next.run(req).await;
    let status = resp.status();
    let json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("json"));
    if json || console || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let (content_type, body) = if glue {
        let kind = if status.is_server_error() {
            "InternalServiceException"
        } else {
            "InvalidInputException"
        };
        (
            "application/x-amz-json-1.1",
            json!({"__type": kind, "Message": message}),
        )
    } else if iceberg {
        let kind = match status {
            StatusCode::NOT_FOUND => "NotFoundException",
            StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowedException",
            s if s.is_server_error() => "InternalServerError",
            _ => "BadRequestException",
        };
        (
            "application/json",
            json!({"error": {"message": message, "type": kind, "code": status.as_u16()}}),
        )
    } else {
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            s if s.is_server_error() => "storage",
            _ => "invalid_input",
        };
        (
            "application/json",
            json!({"error": {"code": code, "message": message}}),
        )
    };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(content_type),
    );
    Response::from_parts(parts, axum::body::Body::from(body.to_string()))
}
