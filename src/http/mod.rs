//! HTTP plumbing every HTTP front stands on: the shared state, extractors whose
//! errors come in the API's shape, the route table, health, metrics, the OpenAPI
//! document and SigV4. Nothing here knows a route of a front.
//!
//! Routes are registered through [`Routes::add`], which also records each
//! (method, path) so that a test can hold the route table against `openapi.yaml`.
//! Writes run on the blocking pool because they end in an fsync; reads are
//! in-memory lookups most of the time and run inline.

pub mod audit;
pub mod auth;
pub mod error;
pub mod health;
pub mod metrics;
pub mod oauth;
pub mod sigv4;

use crate::http::error::ApiError;
use crate::http::metrics::Metrics;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::{Json, Router};
use lakecat_catalog_api::limits::MAX_PAGE_SIZE;
use lakecat_catalog_api::store::{CatalogStore, Page, PageRequest};
use lakecat_catalog_api::{DatabaseName, Error, ErrorKind, TableIdent};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn CatalogStore>,
    pub metrics: Metrics,
    /// The crawler service; `None` in an app built without one (crawler calls
    /// then answer that crawlers are not available).
    pub crawlers: Option<Arc<crate::services::crawlers::Crawlers>>,
    /// Which folders DDL may create, move and delete.
    pub folders: Arc<crate::services::folders::Folders>,
    /// Where SNS subscription confirmations may be fetched.
    pub sns: Arc<crate::services::sns::ConfirmHosts>,
    /// Which SNS messages are trusted on `/v1/events/s3`.
    pub sns_signatures: Arc<crate::services::sns::Signatures>,
    /// Where writes and refusals are recorded.
    pub audit: crate::services::audit::Audit,
    /// Grants, when permissions are on (`store` is then guarded by them).
    pub permissions: Option<Arc<crate::services::permissions::Authorizer>>,
    /// The access keys, under `--auth sigv4` (they are also OAuth2 client credentials).
    pub keys: Option<Arc<sigv4::Keys>>,
}

impl AppState {
    /// The crawler service, or why there is none.
    pub fn crawler_service(&self) -> Result<Arc<crate::services::crawlers::Crawlers>, Error> {
        self.crawlers
            .clone()
            .ok_or_else(|| Error::invalid("this server runs without the crawler service"))
    }

    /// Runs a HiveQL script for the request's principal (`POST /v1/ddl` and the
    /// console's editor), on the blocking pool: its writes end in an fsync.
    pub async fn run_ddl(
        &self,
        sql: String,
        database: String,
    ) -> Result<crate::services::sql::ScriptOutcome, Error> {
        let (store, folders, grants) = (
            self.store.clone(),
            self.folders.clone(),
            self.permissions.clone(),
        );
        let handle = tokio::runtime::Handle::current();
        crate::services::permissions::spawn_blocking(move || {
            crate::services::sql::execute(&*store, &folders, &handle, &sql, &database, grants)
        })
        .await
        .map_err(|e| Error::storage(format!("DDL task failed: {e}")))
    }

    /// State over `store` without a crawler service.
    pub fn new(store: Arc<dyn CatalogStore>) -> AppState {
        AppState {
            store,
            metrics: Metrics::global(),
            crawlers: None,
            folders: Arc::new(crate::services::folders::Folders::none()),
            sns: Arc::default(),
            sns_signatures: Arc::default(),
            audit: Default::default(),
            permissions: None,
            keys: None,
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A field of an `application/x-www-form-urlencoded` body (the OAuth2 token
/// endpoint's, the console's forms), the first if it repeats.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Whether a path is the web console's, whose answers are pages (and whose
/// requests authenticate by cookie) rather than the API's.
pub fn is_console_path(path: &str) -> bool {
    path == "/ui" || path.starts_with("/ui/")
}

/// A JSON body whose errors (syntax, unknown fields, wrong types, too large) are
/// answered in the API's error shape with a 400 or 413 that says what is wrong.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::new(
                    ErrorKind::TooLarge,
                    "the request body is larger than the server's limit (max_body_bytes)",
                )
            } else {
                Error::invalid(format!("cannot read the request body: {r}"))
            }
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        parse_json(de).map(JsonBody).map_err(ApiError)
    }
}

/// serde_json's messages name the field and the line and column.
pub fn parse_json<T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
) -> Result<T, Error> {
    let v =
        T::deserialize(&mut *de).map_err(|e| Error::invalid(format!("invalid JSON body: {e}")))?;
    de.end()
        .map_err(|e| Error::invalid(format!("invalid JSON body: {e}")))?;
    Ok(v)
}

pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> lakecat_catalog_api::Result<T> + Send + 'static,
) -> ApiResult<T> {
    crate::services::permissions::spawn_blocking(f)
        .await
        .map_err(|e| ApiError(Error::storage(format!("write task failed: {e}"))))?
        .map_err(ApiError)
}

/// Query parameters whose errors come in the API's error shape.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Params(v))
            .map_err(|r| ApiError(Error::invalid(r.body_text())))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    max_results: Option<usize>,
    page_token: Option<String>,
    pub pattern: Option<String>,
    pub filter: Option<String>,
    pub q: Option<String>,
    pub cascade: Option<bool>,
}

impl ListParams {
    pub(crate) fn page(&self, default: usize) -> ApiResult<PageRequest> {
        let limit = self.max_results.unwrap_or(default);
        if limit == 0 || limit > MAX_PAGE_SIZE {
            return Err(Error::invalid(format!(
                "max_results must be between 1 and {MAX_PAGE_SIZE}, not {limit}"
            ))
            .into());
        }
        Ok(PageRequest {
            token: self.page_token.clone(),
            limit,
        })
    }
}

/// Serialises a page straight to bytes: going through `serde_json::Value` costs a
/// tree of allocations per item, which dominated large partition listings.
pub fn listing<T: Serialize>(key: &'static str, page: Page<T>) -> Response {
    #[derive(Serialize)]
    struct Listing<'a, T> {
        #[serde(skip_serializing_if = "Option::is_none")]
        next_page_token: Option<&'a str>,
        #[serde(flatten)]
        items: std::collections::BTreeMap<&'static str, &'a [T]>,
    }
    let body = Listing {
        next_page_token: page.next_token.as_deref(),
        items: [(key, page.items.as_slice())].into(),
    };
    Json(body).into_response()
}

pub fn db_name(s: &str) -> ApiResult<DatabaseName> {
    Ok(DatabaseName::new(s)?)
}

pub fn ident(db: &str, t: &str) -> ApiResult<TableIdent> {
    Ok(TableIdent::parse(db, t)?)
}

/// A router that remembers its routes.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<(Method, &'static str)>,
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a standard method");
        self.router = self.router.route(path, on(filter, handler));
        self.table.push((method, path));
        self
    }

    pub fn table(&self) -> &[(Method, &'static str)] {
        &self.table
    }

    /// The router, for the app to assemble.
    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
