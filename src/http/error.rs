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
        if self.0.kind == ErrorKind::Storage {
            tracing::error!(error = %self.0.message, "store error");
        }
        (status_of(self.0.kind), Json(error_body(&self.0))).into_response()
    }
}
