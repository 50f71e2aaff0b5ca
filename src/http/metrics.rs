//! Prometheus metrics: request counts and latencies by route, and store sizes.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use lakecat_catalog_api::store::StoreStats;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// The recorder is process-wide (the `metrics` facade has one global recorder),
/// so every server in a process, tests included, shares it.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

impl Metrics {
    pub fn global() -> Metrics {
        static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
        let handle = HANDLE
            .get_or_init(|| {
                let buckets = [
                    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1.0, 2.5, 5.0,
                ];
                let recorder = PrometheusBuilder::new()
                    .set_buckets_for_metric(
                        Matcher::Full("lakecat_http_request_duration_seconds".into()),
                        &buckets,
                    )
                    .expect("valid buckets")
                    .build_recorder();
                let handle = recorder.handle();
                // Another recorder may be installed already (an embedding program); then
                // our handle still renders what is recorded through this one.
                let _ = metrics::set_global_recorder(recorder);
                handle
            })
            .clone();
        Metrics { handle }
    }

    pub fn render(&self, stats: &StoreStats, partitions_examined: u64) -> String {
        self.handle.run_upkeep();
        let mut out = self.handle.render();
        // Store sizes are read at scrape time rather than tracked, so they are exact.
        out.push_str("# HELP lakecat_store_objects Objects in the catalog store.\n# TYPE lakecat_store_objects gauge\n");
        for (kind, n) in [
            ("databases", stats.databases),
            ("tables", stats.tables),
            ("partitions", stats.partitions),
        ] {
            out.push_str(&format!("lakecat_store_objects{{kind=\"{kind}\"}} {n}\n"));
        }
        // What partition indexes save shows here: listings with an index read only
        // their range.
        out.push_str("# HELP lakecat_partitions_examined_total Stored partitions and index entries read by partition listings.\n# TYPE lakecat_partitions_examined_total counter\n");
        out.push_str(&format!(
            "lakecat_partitions_examined_total {partitions_examined}\n"
        ));
        if let Some(b) = stats.size_on_disk {
            out.push_str("# HELP lakecat_store_size_bytes Bytes the store occupies on disk.\n# TYPE lakecat_store_size_bytes gauge\n");
            out.push_str(&format!("lakecat_store_size_bytes {b}\n"));
        }
        out
    }
}

pub async fn track(State(_m): State<Metrics>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route)];
    metrics::histogram!("lakecat_http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    let [m, r] = labels;
    metrics::counter!("lakecat_http_requests_total", &[m, r, ("status", status)]).increment(1);
    resp
}
