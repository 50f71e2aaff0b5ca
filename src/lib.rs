//! # lakecat
//!
//! The `lakecat` binary's library half, so that integration tests and benchmarks
//! can start the real server in-process.
//!
//! - [`config`]: flags, `LAKECAT_*` variables and the TOML file, merged;
//! - [`stores`]: the one place a store URL becomes a store (sled, PostgreSQL);
//! - [`server`]: the REST API, `/health`, `/metrics`, `/openapi.yaml`;
//! - [`search`], [`metrics`], [`error`]: the pieces the server uses;
//! - [`folders`]: which folders the fronts may create, move and delete;
//! - [`sample`]: the built-in sample catalog `lakecat serve --sample-data` loads;
//! - [`glue`]: the AWS Glue Data Catalog JSON API (`POST /`, `X-Amz-Target`);
//! - [`sql`]: executes HiveQL DDL (parsed by `lakecat-ddl`) against a store;
//! - [`engine`]: applies a crawl (from `lakecat-crawler`) to a store, with Glue's
//!   update and delete policies, and renders its report;
//! - [`crawlers`]: managed crawlers (definitions, runs, history, schedules, S3
//!   events) run inside `lakecat serve`, with [`schedule`] for AWS cron;
//! - [`hms`]: the Hive Metastore Thrift front (its own port), for Spark, Trino,
//!   Hive and PyIceberg.
//!
//! The model, the store trait and the filter grammar live in `lakecat-catalog-api`.

pub mod config;
pub mod crawler_routes;
pub mod crawlers;
pub mod engine;
pub mod error;
pub mod folders;
pub mod glue;
pub mod glue_crawlers;
pub mod hms;
pub mod index_routes;
pub mod metrics;
pub mod rename;
pub mod sample;
pub mod schedule;
pub mod search;
pub mod server;
pub mod sigv4;
pub mod sql;
pub mod stores;

use lakecat_catalog_api::store::CatalogStore;
use std::sync::Arc;

pub struct ServeOptions {
    pub max_body_bytes: usize,
    /// The access keys requests must be signed with; `None` = no authentication.
    pub keys: Option<Arc<sigv4::Keys>>,
    /// How fast crawler schedules see time pass (1 = real time).
    pub clock_speed: f64,
    /// The Hive Metastore Thrift front's listener, if it is on.
    pub thrift: Option<tokio::net::TcpListener>,
    /// The warehouse, and which folders the fronts may create, move and delete.
    pub folders: Arc<folders::Folders>,
}

/// Serves `store` on `listener` until `shutdown` resolves; in-flight requests,
/// including writes waiting for their flush, finish before this returns. The
/// crawler scheduler runs meanwhile; crawls still running at shutdown are stopped
/// and given a few seconds to record how they ended.
pub async fn serve(
    store: Arc<dyn CatalogStore>,
    listener: tokio::net::TcpListener,
    opts: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let crawlers = crawlers::Crawlers::new(
        store.clone(),
        tokio::runtime::Handle::current(),
        crawlers::Clock::new(opts.clock_speed),
    )
    .map_err(|e| std::io::Error::other(e.to_string()))?;
    let (stop_scheduler, stopped) = tokio::sync::watch::channel(false);
    let hms = match opts.thrift {
        Some(listener) => Some(tokio::spawn(hms::serve(
            store.clone(),
            listener,
            opts.folders.clone(),
            stopped.clone(),
        ))),
        None => None,
    };
    let scheduler = tokio::spawn(
        crawlers
            .clone()
            .run_scheduler(std::time::Duration::from_millis(250), stopped),
    );
    let state = server::AppState {
        store,
        metrics: metrics::Metrics::global(),
        crawlers: Some(crawlers.clone()),
        folders: opts.folders.clone(),
    };
    let r = axum::serve(
        listener,
        server::app_with_auth(state, opts.max_body_bytes, opts.keys),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    let _ = stop_scheduler.send(true);
    let _ = scheduler.await;
    if let Some(h) = hms {
        let _ = h.await;
    }
    let c = crawlers.clone();
    let _ =
        tokio::task::spawn_blocking(move || c.stop_all(std::time::Duration::from_secs(10))).await;
    r
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
