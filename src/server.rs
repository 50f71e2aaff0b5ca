//! The HTTP front: the REST API under `/v1`, `/health`, `/metrics`, `/openapi.yaml`.
//!
//! Routes are registered through [`Routes::add`], which also records each
//! (method, path) so that a test can hold the route table against `openapi.yaml`.
//! Writes run on the blocking pool because they end in an fsync; reads are
//! in-memory lookups most of the time and run inline.

use crate::crawler_routes as cr;
use crate::error::ApiError;
use crate::index_routes as ix;
use crate::metrics::Metrics;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, RawQuery, Request, State};
use axum::handler::Handler;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::{Json, Router};
use lakecat_catalog_api::filter::FilterExpr;
use lakecat_catalog_api::limits::{MAX_PAGE_SIZE, MAX_PARTITION_BATCH};
use lakecat_catalog_api::model::{Database, Partition, Table};
use lakecat_catalog_api::store::{
    check_rename, CatalogStore, Page, PageRequest, PartitionError, UpdateTableOptions,
};
use lakecat_catalog_api::{DatabaseName, Error, ErrorKind, TableIdent};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

pub const OPENAPI_YAML: &str = include_str!("../openapi.yaml");

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn CatalogStore>,
    pub metrics: Metrics,
    /// The crawler service; `None` in an app built without one (crawler calls
    /// then answer that crawlers are not available).
    pub crawlers: Option<Arc<crate::crawlers::Crawlers>>,
    /// Which folders DDL may create, move and delete.
    pub folders: Arc<crate::folders::Folders>,
}

impl AppState {
    /// State over `store` without a crawler service.
    pub fn new(store: Arc<dyn CatalogStore>) -> AppState {
        AppState {
            store,
            metrics: Metrics::global(),
            crawlers: None,
            folders: Arc::new(crate::folders::Folders::none()),
        }
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

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
fn parse_json<T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
) -> Result<T, Error> {
    let v =
        T::deserialize(&mut *de).map_err(|e| Error::invalid(format!("invalid JSON body: {e}")))?;
    de.end()
        .map_err(|e| Error::invalid(format!("invalid JSON body: {e}")))?;
    Ok(v)
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> lakecat_catalog_api::Result<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
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
    pattern: Option<String>,
    filter: Option<String>,
    q: Option<String>,
    cascade: Option<bool>,
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
pub(crate) fn listing<T: Serialize>(key: &'static str, page: Page<T>) -> Response {
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

fn db_name(s: &str) -> ApiResult<DatabaseName> {
    Ok(DatabaseName::new(s)?)
}

fn ident(db: &str, t: &str) -> ApiResult<TableIdent> {
    Ok(TableIdent::parse(db, t)?)
}

// ----- databases -----------------------------------------------------------

async fn list_databases(
    State(s): State<AppState>,
    Params(p): Params<ListParams>,
) -> ApiResult<Response> {
    Ok(listing("databases", s.store.list_databases(&p.page(100)?)?))
}

async fn create_database(
    State(s): State<AppState>,
    JsonBody(db): JsonBody<Database>,
) -> ApiResult<Response> {
    let db = blocking(move || s.store.create_database(db)).await?;
    Ok((StatusCode::CREATED, Json(db)).into_response())
}

async fn get_database(
    State(s): State<AppState>,
    Path(db): Path<String>,
) -> ApiResult<Json<Database>> {
    Ok(Json(s.store.get_database(&db_name(&db)?)?))
}

async fn update_database(
    State(s): State<AppState>,
    Path(db): Path<String>,
    JsonBody(body): JsonBody<Database>,
) -> ApiResult<Json<Database>> {
    let name = db_name(&db)?;
    Ok(Json(
        blocking(move || s.store.update_database(&name, body)).await?,
    ))
}

async fn delete_database(
    State(s): State<AppState>,
    Path(db): Path<String>,
    Params(p): Params<ListParams>,
) -> ApiResult<StatusCode> {
    let name = db_name(&db)?;
    let cascade = p.cascade.unwrap_or(false);
    blocking(move || s.store.delete_database(&name, cascade)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- tables ----------------------------------------------------------------

async fn list_tables(
    State(s): State<AppState>,
    Path(db): Path<String>,
    Params(p): Params<ListParams>,
) -> ApiResult<Response> {
    let pattern = match &p.pattern {
        Some(pat) => Some(regex::Regex::new(&format!("^(?:{pat})$")).map_err(|e| {
            Error::invalid(format!("pattern is not a valid regular expression: {e}"))
        })?),
        None => None,
    };
    Ok(listing(
        "tables",
        s.store
            .list_tables(&db_name(&db)?, pattern.as_ref(), &p.page(100)?)?,
    ))
}

async fn create_table(
    State(s): State<AppState>,
    Path(db): Path<String>,
    JsonBody(t): JsonBody<Table>,
) -> ApiResult<Response> {
    let name = db_name(&db)?;
    let t = blocking(move || s.store.create_table(&name, t)).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

async fn get_table(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
) -> ApiResult<Json<Table>> {
    Ok(Json(s.store.get_table(&ident(&db, &t)?)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateParams {
    skip_archive: Option<bool>,
    rename: Option<bool>,
}

async fn update_table(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    Params(p): Params<UpdateParams>,
    JsonBody(body): JsonBody<Table>,
) -> ApiResult<Json<Table>> {
    let id = ident(&db, &t)?;
    let rename = p.rename.unwrap_or(false);
    let opts = UpdateTableOptions {
        expected_version: body.version_id,
        skip_archive: p.skip_archive.unwrap_or(false),
        rename,
        ..Default::default()
    };
    Ok(Json(
        blocking(move || {
            if rename {
                let cur = s.store.get_table(&id)?;
                let db = s.store.get_database(&id.database)?;
                check_rename(&id, &cur, db.location_uri.as_deref())?;
            }
            s.store.update_table(&id, body, opts)
        })
        .await?,
    ))
}

async fn delete_table(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = ident(&db, &t)?;
    blocking(move || s.store.delete_table(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_versions(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    Params(p): Params<ListParams>,
) -> ApiResult<Response> {
    Ok(listing(
        "versions",
        s.store
            .list_table_versions(&ident(&db, &t)?, &p.page(100)?)?,
    ))
}

// ----- partitions --------------------------------------------------------------

async fn list_partitions(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    Params(p): Params<ListParams>,
) -> ApiResult<Response> {
    let filter = FilterExpr::parse(p.filter.as_deref().unwrap_or(""))?;
    Ok(listing(
        "partitions",
        s.store
            .list_partitions(&ident(&db, &t)?, filter.as_ref(), &p.page(MAX_PAGE_SIZE)?)?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionBatch {
    partitions: Vec<Partition>,
    #[serde(default)]
    if_not_exists: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValuesOnly {
    values: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteBatch {
    partitions: Vec<ValuesOnly>,
}

fn batch_answer(errors: Vec<PartitionError>) -> Json<Value> {
    let errors: Vec<Value> = errors
        .into_iter()
        .map(|e| json!({"values": e.values, "error": {"code": e.error.kind.code(), "message": e.error.message}}))
        .collect();
    Json(json!({ "errors": errors }))
}

fn check_batch(n: usize) -> ApiResult<()> {
    if n > MAX_PARTITION_BATCH {
        return Err(Error::limit(format!(
            "a batch holds at most {MAX_PARTITION_BATCH} partitions, not {n}"
        ))
        .into());
    }
    Ok(())
}

async fn create_partitions(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    JsonBody(b): JsonBody<PartitionBatch>,
) -> ApiResult<Json<Value>> {
    check_batch(b.partitions.len())?;
    let id = ident(&db, &t)?;
    Ok(batch_answer(
        blocking(move || {
            s.store
                .create_partitions(&id, b.partitions, b.if_not_exists)
        })
        .await?,
    ))
}

async fn delete_partitions(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    JsonBody(b): JsonBody<DeleteBatch>,
) -> ApiResult<Json<Value>> {
    check_batch(b.partitions.len())?;
    let id = ident(&db, &t)?;
    let values: Vec<Vec<String>> = b.partitions.into_iter().map(|v| v.values).collect();
    Ok(batch_answer(
        blocking(move || s.store.delete_partitions(&id, &values)).await?,
    ))
}

/// A single partition is addressed by its values as repeated `values` query
/// parameters, in key order: values may hold `/`, `=` or anything else, and a
/// query parameter carries each one unambiguously.
fn partition_values(raw: Option<String>) -> ApiResult<Vec<String>> {
    let mut values = Vec::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if k != "values" {
            return Err(Error::invalid(format!(
                "unknown query parameter {k:?}; address a partition with values=…&values=…"
            ))
            .into());
        }
        values.push(v.into_owned());
    }
    if values.is_empty() {
        return Err(Error::invalid(
            "address a partition with one values=… query parameter per partition key, in key order",
        )
        .into());
    }
    Ok(values)
}

async fn get_partition(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Partition>> {
    Ok(Json(
        s.store
            .get_partition(&ident(&db, &t)?, &partition_values(q)?)?,
    ))
}

async fn update_partition(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    JsonBody(p): JsonBody<Partition>,
) -> ApiResult<Json<Partition>> {
    let id = ident(&db, &t)?;
    let values = partition_values(q)?;
    Ok(Json(
        blocking(move || s.store.update_partition(&id, &values, p)).await?,
    ))
}

async fn delete_partition(
    State(s): State<AppState>,
    Path((db, t)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<StatusCode> {
    let id = ident(&db, &t)?;
    let values = partition_values(q)?;
    let mut errors = blocking(move || s.store.delete_partitions(&id, &[values])).await?;
    match errors.pop() {
        Some(e) => Err(ApiError(e.error)),
        None => Ok(StatusCode::NO_CONTENT),
    }
}

// ----- search and service routes -------------------------------------------------

async fn search_tables(
    State(s): State<AppState>,
    Params(p): Params<ListParams>,
) -> ApiResult<Response> {
    let page = p.page(100)?;
    let q = p.q.clone().unwrap_or_default();
    Ok(listing(
        "tables",
        crate::search::search_tables(&*s.store, &q, &page)?,
    ))
}

async fn health(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    s.store.list_databases(&PageRequest::first(1))?;
    Ok(Json(
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}),
    ))
}

async fn metrics(State(s): State<AppState>) -> ApiResult<Response> {
    let stats = s.store.stats()?;
    Ok((
        [("content-type", "text/plain; version=0.0.4")],
        s.metrics.render(&stats, s.store.partitions_examined()),
    )
        .into_response())
}

async fn openapi() -> Response {
    ([("content-type", "application/yaml")], OPENAPI_YAML).into_response()
}

async fn no_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError(Error::not_found(format!(
        "no route for {method} {}",
        uri.path()
    )))
}

/// A router that remembers its routes.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<(Method, &'static str)>,
}

impl Routes {
    fn new() -> Self {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    fn add<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Self
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
}

pub fn routes() -> Routes {
    Routes::new()
        .add(Method::GET, "/health", health)
        .add(Method::GET, "/metrics", metrics)
        .add(Method::GET, "/openapi.yaml", openapi)
        .add(Method::GET, "/v1/databases", list_databases)
        .add(Method::POST, "/v1/databases", create_database)
        .add(Method::GET, "/v1/databases/{db}", get_database)
        .add(Method::PUT, "/v1/databases/{db}", update_database)
        .add(Method::DELETE, "/v1/databases/{db}", delete_database)
        .add(Method::GET, "/v1/databases/{db}/tables", list_tables)
        .add(Method::POST, "/v1/databases/{db}/tables", create_table)
        .add(Method::GET, "/v1/databases/{db}/tables/{table}", get_table)
        .add(
            Method::PUT,
            "/v1/databases/{db}/tables/{table}",
            update_table,
        )
        .add(
            Method::DELETE,
            "/v1/databases/{db}/tables/{table}",
            delete_table,
        )
        .add(
            Method::GET,
            "/v1/databases/{db}/tables/{table}/versions",
            list_versions,
        )
        .add(
            Method::GET,
            "/v1/databases/{db}/tables/{table}/partitions",
            list_partitions,
        )
        .add(
            Method::POST,
            "/v1/databases/{db}/tables/{table}/partitions",
            create_partitions,
        )
        .add(
            Method::POST,
            "/v1/databases/{db}/tables/{table}/partitions/delete",
            delete_partitions,
        )
        .add(
            Method::GET,
            "/v1/databases/{db}/tables/{table}/partition",
            get_partition,
        )
        .add(
            Method::PUT,
            "/v1/databases/{db}/tables/{table}/partition",
            update_partition,
        )
        .add(
            Method::DELETE,
            "/v1/databases/{db}/tables/{table}/partition",
            delete_partition,
        )
        .add(
            Method::GET,
            "/v1/databases/{db}/tables/{table}/indexes",
            ix::list_indexes,
        )
        .add(
            Method::POST,
            "/v1/databases/{db}/tables/{table}/indexes",
            ix::create_index,
        )
        .add(
            Method::DELETE,
            "/v1/databases/{db}/tables/{table}/indexes/{index}",
            ix::delete_index,
        )
        .add(
            Method::GET,
            "/v1/databases/{db}/tables/{table}/statistics",
            ix::get_statistics,
        )
        .add(
            Method::PUT,
            "/v1/databases/{db}/tables/{table}/statistics",
            ix::put_statistics,
        )
        .add(
            Method::DELETE,
            "/v1/databases/{db}/tables/{table}/statistics",
            ix::delete_statistics,
        )
        .add(Method::GET, "/v1/search/tables", search_tables)
        .add(Method::POST, "/v1/ddl", run_ddl)
        .add(Method::GET, "/v1/crawlers", cr::list_crawlers)
        .add(Method::POST, "/v1/crawlers", cr::create_crawler)
        .add(Method::GET, "/v1/crawlers/{name}", cr::get_crawler)
        .add(Method::PUT, "/v1/crawlers/{name}", cr::update_crawler)
        .add(Method::DELETE, "/v1/crawlers/{name}", cr::delete_crawler)
        .add(Method::POST, "/v1/crawlers/{name}/start", cr::start_crawler)
        .add(Method::POST, "/v1/crawlers/{name}/stop", cr::stop_crawler)
        .add(Method::GET, "/v1/crawlers/{name}/crawls", cr::list_crawls)
        .add(
            Method::GET,
            "/v1/crawlers/{name}/metrics",
            cr::crawler_metrics,
        )
        .add(
            Method::PUT,
            "/v1/crawlers/{name}/schedule",
            cr::put_schedule,
        )
        .add(Method::GET, "/v1/classifiers", cr::list_classifiers)
        .add(Method::POST, "/v1/classifiers", cr::create_classifier)
        .add(Method::GET, "/v1/classifiers/{name}", cr::get_classifier)
        .add(Method::PUT, "/v1/classifiers/{name}", cr::update_classifier)
        .add(
            Method::DELETE,
            "/v1/classifiers/{name}",
            cr::delete_classifier,
        )
        .add(Method::POST, "/v1/events/s3", cr::s3_events)
        .add(Method::POST, "/", crate::glue::handle)
}

pub fn app(state: AppState, max_body_bytes: usize) -> Router {
    app_with_auth(state, max_body_bytes, None)
}

/// The API; with `keys`, every request but `GET /health` must carry a valid AWS
/// Signature Version 4 made with one of them.
pub fn app_with_auth(
    state: AppState,
    max_body_bytes: usize,
    keys: Option<Arc<crate::sigv4::Keys>>,
) -> Router {
    let mut router = routes().router.fallback(no_route);
    if let Some(keys) = keys {
        router = router.layer(axum::middleware::from_fn_with_state(
            (keys, max_body_bytes),
            check_signature,
        ));
    }
    router
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

async fn check_signature(
    State((keys, max_body)): State<(Arc<crate::sigv4::Keys>, usize)>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    if req.uri().path() == "/health" {
        return next.run(req).await;
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
    let r = crate::sigv4::verify(
        &crate::sigv4::Request {
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
        Ok(_) => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
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

/// `POST /v1/ddl`: a HiveQL DDL script, as JSON or as a plain-text body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DdlRequest {
    pub sql: String,
    /// The database unqualified names refer to (default `default`).
    #[serde(default)]
    pub database: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DdlParams {
    database: Option<String>,
}

async fn run_ddl(
    State(s): State<AppState>,
    Params(q): Params<DdlParams>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let plain = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/"));
    let req = if plain {
        DdlRequest {
            sql: String::from_utf8(body.to_vec())
                .map_err(|_| Error::invalid("the DDL body is not UTF-8"))?,
            database: q.database,
        }
    } else {
        let de = &mut serde_json::Deserializer::from_slice(&body);
        let mut r: DdlRequest = parse_json(de)?;
        r.database = r.database.or(q.database);
        r
    };
    let (store, folders) = (s.store.clone(), s.folders.clone());
    let handle = tokio::runtime::Handle::current();
    let out = tokio::task::spawn_blocking(move || {
        crate::sql::execute(
            &*store,
            &folders,
            &handle,
            &req.sql,
            req.database.as_deref().unwrap_or("default"),
        )
    })
    .await
    .map_err(|e| ApiError(Error::storage(format!("DDL task failed: {e}"))))?;
    Ok(ddl_response(out))
}

pub fn ddl_response(out: crate::sql::ScriptOutcome) -> Response {
    match out.error {
        None => Json(json!({"results": out.results})).into_response(),
        Some(e) => (
            crate::error::status_of(e.error.kind),
            Json(json!({
                "error": {
                    "code": e.error.kind.code(),
                    "message": e.error.message,
                    "statement": e.statement,
                    "line": e.line,
                    "column": e.column,
                },
                "results": out.results,
            })),
        )
            .into_response(),
    }
}
