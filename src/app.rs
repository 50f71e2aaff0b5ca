//! The app assembled: a store, the HTTP fronts on one listener, the Hive
//! Metastore front on its own, and the crawler scheduler, run until shutdown.

use crate::http::health::{health, metrics, no_route, openapi};
use crate::http::{AppState, Routes};
use axum::http::Method;
use axum::Router;
use lakecat_catalog_api::store::CatalogStore;
use std::sync::Arc;

pub struct ServeOptions {
    pub max_body_bytes: usize,
    /// The access keys requests must be signed with; `None` = no authentication.
    pub keys: Option<Arc<crate::http::sigv4::Keys>>,
    /// How fast crawler schedules see time pass (1 = real time).
    pub clock_speed: f64,
    /// The Hive Metastore Thrift front's listener, if it is on.
    pub thrift: Option<tokio::net::TcpListener>,
    /// The warehouse, and which folders the fronts may create, move and delete.
    pub folders: Arc<crate::services::folders::Folders>,
    /// The hosts whose SNS `SubscribeURL`s may be visited.
    pub sns_confirm_hosts: Vec<String>,
    /// The SNS signing certificates and topics trusted.
    pub sns_signatures: Arc<crate::services::sns::Signatures>,
    /// Connections open at once and idle time, per port.
    pub limits: crate::net::Limits,
    /// Bytes of request bodies held at once across all HTTP requests.
    pub inflight_body_bytes: usize,
    /// TLS on the HTTP port, from these files.
    pub tls: Option<crate::tls::TlsFiles>,
    /// TLS on the Thrift port too, with the same files.
    pub thrift_tls: bool,
    /// SASL on the Thrift port (none required when empty).
    pub thrift_sasl: crate::hms::sasl::Mechanisms,
    /// Permissions on, with these principals always administrators; `None` = off
    /// (every caller may do everything).
    pub admins: Option<Vec<String>>,
    /// How long the change log keeps events.
    pub retention: lakecat_catalog_api::events::Retention,
    /// Webhook subscriptions from the configuration, created or replaced at start.
    pub webhooks: Vec<crate::services::webhooks::Subscription>,
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
    use crate::services::permissions::{run_as, scope, Actor, Authorizer, GuardedStore};
    // The recorder is installed before any front answers: a Thrift call served
    // before it would be counted nowhere (the metrics facade drops it).
    let metrics = crate::http::metrics::Metrics::global();
    // The audit log is kept by the server itself, beneath any permission.
    let audit = crate::services::audit::Audit::start(store.clone());
    let raw_store = store.clone();
    let (store, permissions) = match opts.admins.clone() {
        Some(admins) => {
            let auth = Arc::new(Authorizer::new(store.clone(), admins));
            let guarded: Arc<dyn CatalogStore> = Arc::new(GuardedStore {
                inner: store,
                auth: auth.clone(),
            });
            (guarded, Some(auth))
        }
        None => (store, None),
    };
    let crawlers = run_as(Actor::System, || {
        crate::services::crawlers::Crawlers::new(
            store.clone(),
            tokio::runtime::Handle::current(),
            crate::services::crawlers::Clock::new(opts.clock_speed),
            opts.folders.clone(),
        )
    })
    .map_err(|e| std::io::Error::other(e.to_string()))?;
    let (stop_scheduler, stopped) = tokio::sync::watch::channel(false);
    let hms = match opts.thrift {
        Some(listener) => {
            let tls = match (&opts.tls, opts.thrift_tls) {
                (Some(files), true) => {
                    let open = stopped.clone();
                    Some(
                        crate::tls::acceptor(files.clone(), move || !*open.borrow())
                            .map_err(std::io::Error::other)?,
                    )
                }
                _ => None,
            };
            Some(tokio::spawn(crate::hms::serve(
                store.clone(),
                listener,
                crate::hms::Options {
                    folders: opts.folders.clone(),
                    limits: opts.limits.clone(),
                    tls,
                    sasl: opts
                        .thrift_sasl
                        .any()
                        .then(|| Arc::new(opts.thrift_sasl.clone())),
                    audit: audit.clone(),
                },
                stopped.clone(),
            )))
        }
        None => None,
    };
    // Trimming is the server's own work: beneath any permission.
    let trimmer = tokio::spawn(crate::services::events::trim_loop(
        raw_store.clone(),
        opts.retention,
        stopped.clone(),
    ));
    for w in &opts.webhooks {
        let (s, w) = (raw_store.clone(), w.clone());
        tokio::task::spawn_blocking(move || crate::services::webhooks::put(&*s, w, true))
            .await
            .map_err(std::io::Error::other)?
            .map_err(|e| std::io::Error::other(format!("webhook from the configuration: {e}")))?;
    }
    let stop_webhooks = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let webhooks = {
        let (s, replica, stop) = (
            raw_store.clone(),
            crawlers.replica().to_string(),
            stop_webhooks.clone(),
        );
        std::thread::Builder::new()
            .name("webhooks".into())
            .spawn(move || crate::services::webhooks::run(s, replica, stop))?
    };
    let scheduler = tokio::spawn(scope(
        Actor::System,
        crawlers
            .clone()
            .run_scheduler(std::time::Duration::from_millis(250), stopped),
    ));
    let state = crate::http::AppState {
        store,
        metrics,
        crawlers: Some(crawlers.clone()),
        folders: opts.folders.clone(),
        sns: Arc::new(crate::services::sns::ConfirmHosts::new(
            &opts.sns_confirm_hosts,
        )),
        sns_signatures: opts.sns_signatures.clone(),
        audit: audit.clone(),
        permissions,
        keys: None,
    };
    let router = app_with_auth(
        state,
        opts.max_body_bytes,
        opts.keys,
        crate::net::BodyBudget::new(opts.inflight_body_bytes, opts.max_body_bytes),
    );
    let r = match opts.tls {
        Some(files) => {
            let tls = crate::tls::TlsListener::new(listener, &opts.limits, files)
                .map_err(std::io::Error::other)?;
            let router = router.into_make_service_with_connect_info::<crate::net::InFlight>();
            axum::serve(tls, router)
                .with_graceful_shutdown(shutdown)
                .await
        }
        None => {
            let router = router.into_make_service_with_connect_info::<crate::net::InFlight>();
            axum::serve(
                crate::net::CappedListener::new(listener, &opts.limits),
                router,
            )
            .with_graceful_shutdown(shutdown)
            .await
        }
    };
    let _ = stop_scheduler.send(true);
    let _ = scheduler.await;
    let _ = trimmer.await;
    stop_webhooks.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = tokio::task::spawn_blocking(move || webhooks.join()).await;
    if let Some(h) = hms {
        let _ = h.await;
    }
    let c = crawlers.clone();
    let _ = tokio::task::spawn_blocking(move || {
        run_as(Actor::System, || {
            c.stop_all(std::time::Duration::from_secs(10))
        })
    })
    .await;
    let _ =
        tokio::task::spawn_blocking(move || audit.flush(std::time::Duration::from_secs(5))).await;
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

/// Every HTTP route: the service routes, the REST API, the Glue API.
pub fn routes() -> Routes {
    let r = Routes::new()
        .add(Method::GET, "/health", health)
        .add(Method::GET, "/metrics", metrics)
        .add(Method::GET, "/openapi.yaml", openapi);
    let r = crate::iceberg::routes(r);
    crate::rest::routes(r).add(Method::POST, "/", crate::glue::handle)
}

pub fn app(state: AppState, max_body_bytes: usize) -> Router {
    let budget =
        crate::net::BodyBudget::new(crate::net::DEFAULT_INFLIGHT_BODY_BYTES, max_body_bytes);
    app_with_auth(state, max_body_bytes, None, budget)
}

/// The API; with `keys`, every request but `GET /health` must carry a valid AWS
/// Signature Version 4 made with one of them.
pub fn app_with_auth(
    state: AppState,
    max_body_bytes: usize,
    keys: Option<Arc<crate::http::sigv4::Keys>>,
    budget: crate::net::BodyBudget,
) -> Router {
    let mut state = state;
    state.keys = keys.clone();
    let mut router = routes()
        .into_router()
        .merge(crate::ui::router())
        .fallback(no_route)
        // Innermost: the handlers run for the principal the signature check found.
        .layer(axum::middleware::from_fn(crate::http::auth::actor));
    if let Some(keys) = keys {
        router = router.layer(axum::middleware::from_fn_with_state(
            (keys, max_body_bytes),
            crate::http::auth::check_signature,
        ));
    }
    // Outside the signature check, so that refusals are audited too.
    router = router.layer(axum::middleware::from_fn_with_state(
        state.audit.clone(),
        crate::http::audit::track,
    ));
    // Bodies are reserved from the budget before anything reads them, the
    // signature check included.
    router
        .layer(axum::middleware::from_fn_with_state(
            budget,
            crate::net::body_budget,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::http::metrics::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::from_fn(crate::http::error::json_errors))
        .layer(axum::middleware::from_fn(crate::net::mark_in_flight))
        .with_state(state)
}
