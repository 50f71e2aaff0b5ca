//! `POST /v1/oauth/tokens`: OAuth2 client credentials for a bearer token (see
//! [`crate::http::oauth`]). Errors come in OAuth2's shape (RFC 6749 §5.2).

use crate::http::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// Form fields (`application/x-www-form-urlencoded`); `scope` is ignored, as
/// every token is for the whole catalog.
pub async fn token(State(s): State<AppState>, body: Bytes) -> Response {
    let field = |name: &str| {
        form_urlencoded::parse(&body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if field("grant_type").as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only client_credentials is served",
        );
    }
    let Some(keys) = s.keys.clone() else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "this server does not authenticate (--auth none): no token is needed",
        );
    };
    let (Some(id), Some(secret)) = (field("client_id"), field("client_secret")) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id and client_secret are required",
        );
    };
    let now = lakecat_catalog_api::store::now_secs();
    match crate::http::oauth::issue(
        &keys,
        crate::http::oauth::Audience::Iceberg,
        &id,
        &secret,
        now,
    ) {
        Some(t) => Json(json!({
            "access_token": t,
            "token_type": "bearer",
            "expires_in": crate::http::oauth::LIFETIME_SECS,
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        }))
        .into_response(),
        None => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        ),
    }
}
