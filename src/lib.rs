//! # lakecat
//!
//! The `lakecat` binary's library half, so that integration tests and benchmarks
//! can start the real server in-process.
//!
//! - [`config`]: flags, `LAKECAT_*` variables and the TOML file, merged;
//! - [`sled_store`]: the durable [`CatalogStore`] (layout and crash rules there);
//! - [`server`]: the REST API, `/health`, `/metrics`, `/openapi.yaml`;
//! - [`search`], [`metrics`], [`error`]: the pieces the server uses;
//! - [`sample`]: the built-in sample catalog `lakecat serve --sample-data` loads;
//! - [`glue`]: the AWS Glue Data Catalog JSON API (`POST /`, `X-Amz-Target`);
//! - [`sql`]: executes HiveQL DDL (parsed by `lakecat-ddl`) against a store;
//! - [`engine`]: applies a crawl (from `lakecat-crawler`) to a store, with Glue's
//!   update and delete policies, and renders its report.
//!
//! The model, the store trait and the filter grammar live in `lakecat-catalog-api`.

pub mod config;
pub mod engine;
pub mod error;
pub mod glue;
pub mod metrics;
pub mod sample;
pub mod search;
pub mod server;
pub mod sigv4;
pub mod sled_store;
pub mod sql;

use lakecat_catalog_api::store::CatalogStore;
use std::sync::Arc;

/// Serves `store` on `listener` until `shutdown` resolves; in-flight requests,
/// including writes waiting for their flush, finish before this returns.
pub async fn serve(
    store: Arc<dyn CatalogStore>,
    listener: tokio::net::TcpListener,
    max_body_bytes: usize,
    keys: Option<Arc<sigv4::Keys>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = server::AppState {
        store,
        metrics: metrics::Metrics::global(),
    };
    axum::serve(listener, server::app_with_auth(state, max_body_bytes, keys))
        .with_graceful_shutdown(shutdown)
        .await
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
