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

/// The client's id and secret from HTTP Basic authentication (RFC 6749 §2.3.1,
/// `client_secret_basic`, which DuckDB's iceberg extension uses): each is
/// form-encoded before the pair is base64-encoded.
fn basic_credentials(headers: &axum::http::HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let pair = String::from_utf8(raw).ok()?;
    let (id, secret) = pair.split_once(':')?;
    let decode = |s: &str| -> String {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((decode(id), decode(secret)))
}

/// Form fields (`application/x-www-form-urlencoded`), the client's credentials in
/// them (`client_secret_post`) or in HTTP Basic authentication
/// (`client_secret_basic`); `scope` is ignored, as every token is for the whole
/// catalog.
pub async fn token(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let field = |name: &str| crate::http::form_field(&body, name);
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
    let (id, secret) = match (field("client_id"), field("client_secret")) {
        (Some(id), Some(secret)) => (id, secret),
        _ => match basic_credentials(&headers) {
            Some(pair) => pair,
            None => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "client_id and client_secret are required (as form fields or HTTP Basic authentication)",
                )
            }
        },
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
