//! The web console under `/ui`: pages rendered on the server (maud escapes every
//! value it interpolates, so names and parameters holding markup stay text), no
//! script needed to use it, one file per page family:
//!
//! - `databases.rs`: the databases, a database's tables, search;
//! - `tables.rs`: a table (schema, storage, partitions, indexes, statistics,
//!   Iceberg snapshots) and its versions side by side;
//! - `crawlers.rs`: crawlers, their runs, start and stop;
//! - `ddl.rs`: the HiveQL editor;
//! - `session.rs`: signing in and out under `--auth sigv4`.
//!
//! Pages read through the same store as the APIs, for the same principal, so
//! permissions apply unchanged. Every view is a GET with its state in the URL, so
//! that it can be shared; the few actions are POSTed forms, refused from other
//! sites.

mod crawlers;
mod databases;
mod ddl;
mod layout;
mod session;
mod tables;

use crate::http::AppState;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use lakecat_catalog_api::Error;

pub use layout::Viewer;

/// The console's routes (not part of the API, so not in `openapi.yaml`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui", get(databases::index))
        .route("/ui/", get(databases::index))
        .route("/ui/search", get(databases::search))
        .route("/ui/databases/{db}", get(databases::database))
        .route("/ui/databases/{db}/tables/{table}", get(tables::table))
        .route(
            "/ui/databases/{db}/tables/{table}/versions",
            get(tables::versions),
        )
        .route("/ui/crawlers", get(crawlers::list))
        .route("/ui/crawlers/{name}", get(crawlers::crawler))
        .route("/ui/crawlers/{name}/start", post(crawlers::start))
        .route("/ui/crawlers/{name}/stop", post(crawlers::stop))
        .route("/ui/ddl", get(ddl::editor).post(ddl::run))
        .route("/ui/login", get(session::form_page).post(session::login))
        .route("/ui/logout", post(session::logout))
        .route("/ui/static/console.css", get(stylesheet))
        .route("/ui/static/favicon.svg", get(favicon))
        .route("/ui/{*rest}", get(not_found))
        .layer(axum::middleware::from_fn(guard))
}

async fn not_found() -> UiError {
    UiError(Error::not_found("there is no such console page"))
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        include_str!("assets/favicon.svg"),
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("assets/console.css"),
    )
        .into_response()
}

/// Forms posted from another site are refused (the session cookie is also
/// `SameSite=Strict`); every page forbids scripts, framing and inline styles, so
/// that markup slipping through could do nothing.
async fn guard(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && !same_origin(&req) {
        return UiError(Error::new(
            lakecat_catalog_api::ErrorKind::AccessDenied,
            "this form was posted from another site",
        ))
        .into_response();
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

fn same_origin(req: &Request) -> bool {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site" || v.as_bytes() == b"same-site")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers send Origin with every POST; a client without one is no browser
        // a page could have steered.
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}

/// An error answered as a page, with the API's status for its kind.
pub struct UiError(pub Error);

impl From<Error> for UiError {
    fn from(e: Error) -> Self {
        UiError(e)
    }
}

impl From<crate::http::error::ApiError> for UiError {
    fn from(e: crate::http::error::ApiError) -> Self {
        UiError(e.0)
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let status = crate::http::error::status_of(self.0.kind);
        let page = layout::page(
            &Viewer::default(),
            status.canonical_reason().unwrap_or("Error"),
            maud::html! {
                h1 { (status.canonical_reason().unwrap_or("Error")) }
                p.error role="alert" { (self.0.message) }
                p { a href="/ui" { "Back to the databases" } }
            },
        );
        (status, page).into_response()
    }
}

pub type UiResult<T = maud::Markup> = Result<T, UiError>;

/// A page built on the blocking pool (store reads may wait on PostgreSQL), for
/// the request's principal.
async fn build<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, UiError> + Send + 'static,
) -> Result<T, UiError> {
    crate::services::permissions::spawn_blocking(f)
        .await
        .map_err(|e| UiError(Error::storage(format!("page task failed: {e}"))))?
}

/// A redirect after a POSTed form (303, so the browser then GETs the page).
fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}
