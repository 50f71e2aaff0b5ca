//! Signing in to the console under `--auth sigv4`: an access key and its secret,
//! or a bearer token from the Iceberg front's OAuth2 endpoint, buy a session
//! cookie (see [`crate::http::oauth`]). The secret is checked and forgotten; the
//! cookie is `HttpOnly` (no script reads it) and `SameSite=Strict` (no other site
//! sends it).

use super::layout::{page, Viewer};
use super::see_other;
use crate::http::auth::SESSION_COOKIE;
use crate::http::oauth::{self, Audience};
use crate::http::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct LoginParams {
    #[serde(default)]
    next: Option<String>,
}

/// Where to go after signing in: only a console page (never another site).
fn destination(next: Option<&str>) -> String {
    match next {
        Some(n)
            if (crate::http::is_console_path(n) || n.starts_with("/ui?"))
                && !n.contains('\\')
                && !n.contains("//") =>
        {
            n.to_string()
        }
        _ => "/ui".to_string(),
    }
}

fn form(next: &str, error: Option<&str>) -> Markup {
    html! {
        h1 { "Sign in" }
        @if let Some(e) = error { p.error #login-error role="alert" { (e) } }
        form.login action="/ui/login" method="post" {
            input type="hidden" name="next" value=(next);
            fieldset {
                legend { "With an access key" }
                label for="access_key_id" { "Access key ID" }
                input #access_key_id type="text" name="access_key_id" autocomplete="username" autocapitalize="off" spellcheck="false";
                label for="secret_access_key" { "Secret access key" }
                input #secret_access_key type="password" name="secret_access_key" autocomplete="current-password";
            }
            fieldset {
                legend { "Or with a token" }
                label for="token" { "Bearer token from " code { "/iceberg/v1/oauth/tokens" } }
                input #token type="password" name="token" autocomplete="off";
            }
            button #sign-in type="submit" { "Sign in" }
        }
    }
}

pub async fn form_page(State(s): State<AppState>, Query(p): Query<LoginParams>) -> Response {
    let next = destination(p.next.as_deref());
    if s.keys.is_none() {
        return page(
            &Viewer::default(),
            "Sign in",
            html! {
                h1 { "Sign in" }
                p { "This server does not authenticate (" code { "--auth none" } "): no sign-in is needed." }
                p { a href=(next) { "Go on" } }
            },
        )
        .into_response();
    }
    page(&Viewer::default(), "Sign in", form(&next, None)).into_response()
}

pub async fn login(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let field = |name: &str| {
        crate::http::form_field(&body, name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let next = destination(field("next").as_deref());
    let Some(keys) = s.keys.clone() else {
        return see_other(&next);
    };
    let now = lakecat_catalog_api::store::now_secs();
    let token = match (
        field("access_key_id"),
        field("secret_access_key"),
        field("token"),
    ) {
        (Some(id), Some(secret), _) => oauth::issue(&keys, Audience::Console, &id, &secret, now),
        (_, _, Some(t)) => oauth::exchange(&keys, &t, Audience::Iceberg, Audience::Console, now),
        _ => None,
    };
    let Some(token) = token else {
        let markup = page(
            &Viewer::default(),
            "Sign in",
            form(
                &next,
                Some("The access key, secret or token was not accepted."),
            ),
        );
        return (StatusCode::UNAUTHORIZED, markup).into_response();
    };
    // A browser on https says so in Origin: the cookie then never travels in clear.
    let secure = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|o| o.starts_with("https://"));
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={}{}",
        oauth::LIFETIME_SECS,
        if secure { "; Secure" } else { "" }
    );
    let mut resp = see_other(&next);
    resp.headers_mut()
        .insert(header::SET_COOKIE, cookie.parse().expect("a valid header"));
    resp
}

pub async fn logout() -> Response {
    let mut resp = see_other("/ui/login");
    resp.headers_mut().insert(
        header::SET_COOKIE,
        format!("{SESSION_COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0")
            .parse()
            .expect("a valid header"),
    );
    resp
}
