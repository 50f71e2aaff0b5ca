//! Crawlers: their states and last runs, one crawler's definition and run history
//! (with a chart of durations and files read), start and stop.

use super::layout::{crawler_url, next_page, page, refreshing, time, Viewer};
use super::{build, see_other, UiError, UiResult};
use crate::http::AppState;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lakecat_catalog_api::crawlers::{CrawlRun, Crawler, CrawlerState};
use lakecat_catalog_api::store::PageRequest;
use maud::{html, Markup};
use serde::{Deserialize, Serialize};

/// Runs drawn in the chart.
const CHART_RUNS: usize = 30;

/// An enum's wire name (`RUNNING`, `SUCCEEDED`, …).
fn label<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[derive(Deserialize, Default)]
pub struct Paging {
    #[serde(default)]
    page_token: Option<String>,
}

pub async fn list(State(s): State<AppState>, viewer: Viewer, Query(p): Query<Paging>) -> UiResult {
    let c = s.crawler_service()?;
    build(move || {
        let crawlers = c.list(&PageRequest {
            token: p.page_token.filter(|t| !t.is_empty()),
            limit: 100,
        })?;
        Ok(page(
            &viewer,
            "Crawlers",
            html! {
                h1 { "Crawlers" }
                @if crawlers.items.is_empty() {
                    p { "No crawlers. Create them with the REST API, the Glue API or " code { "lakecat crawler" } "." }
                } @else {
                    div.scroll {
                        table {
                            thead { tr { th { "Name" } th { "State" } th { "Database" } th { "Schedule" } th { "Last run" } th { "Started" } } }
                            tbody {
                                @for cr in &crawlers.items {
                                    tr {
                                        td { a href=(crawler_url(&cr.name)) { (cr.name) } }
                                        td { span class=(format!("state {}", label(&cr.state).to_lowercase())) { (label(&cr.state)) } }
                                        td { (cr.database_name.as_deref().unwrap_or("")) }
                                        td { @if let Some(sc) = &cr.schedule { code { (sc.schedule_expression) } " " (label(&sc.state)) } }
                                        td { @if let Some(l) = &cr.last_crawl { (label(&l.status)) } }
                                        td { @if let Some(l) = &cr.last_crawl { (time(l.start_time)) } }
                                    }
                                }
                            }
                        }
                    }
                }
                (next_page("/ui/crawlers", &[], crawlers.next_token.as_deref()))
            },
        ))
    })
    .await
}

fn duration(r: &CrawlRun) -> Option<f64> {
    r.end_time.map(|e| (e - r.start_time).max(0.0))
}

/// Bars of one figure per run, oldest on the left; each bar's title gives the run
/// and its value, for pointers and screen readers alike.
fn bars(title: &str, runs: &[&CrawlRun], value: impl Fn(&CrawlRun) -> f64, unit: &str) -> Markup {
    let (w, h) = (600.0_f64, 120.0_f64);
    let max = runs.iter().map(|r| value(r)).fold(0.0_f64, f64::max);
    // Fixed slots, so that a bar's width does not depend on how many runs there are.
    let step = w / CHART_RUNS as f64;
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {w} {}", h + 2.0)) role="img" aria-label=(format!("{title} of the last {} runs", runs.len())) {
                @for (i, r) in runs.iter().enumerate() {
                    @let v = value(r);
                    @let bh = if max > 0.0 { (v / max * h).max(1.0) } else { 1.0 };
                    rect x=(format!("{:.1}", i as f64 * step + 1.0)) y=(format!("{:.1}", h - bh)) width=(format!("{:.1}", (step - 2.0).max(1.0))) height=(format!("{bh:.1}")) {
                        title { (time(r.start_time as i64)) ": " (format!("{v:.2}").trim_end_matches('0').trim_end_matches('.')) " " (unit) }
                    }
                }
                line x1="0" y1=(h + 1.0) x2=(w) y2=(h + 1.0) {}
            }
            figcaption { (title) " (most: " (format!("{max:.2}").trim_end_matches('0').trim_end_matches('.')) " " (unit) ")" }
        }
    }
}

pub async fn crawler(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> UiResult {
    let c = s.crawler_service()?;
    build(move || {
        let cr = c.get(&name)?;
        let runs = c.runs(&name)?;
        Ok(render(&viewer, &cr, &runs))
    })
    .await
}

fn render(viewer: &Viewer, cr: &Crawler, runs: &[CrawlRun]) -> Markup {
    let busy = cr.state != CrawlerState::Ready;
    let url = crawler_url(&cr.name);
    let mut charted: Vec<&CrawlRun> = runs
        .iter()
        .filter(|r| r.end_time.is_some())
        .take(CHART_RUNS)
        .collect();
    charted.reverse();
    let mut definition = serde_json::json!({
        "targets": cr.targets,
        "database_name": cr.database_name,
        "classifiers": cr.classifiers,
        "table_prefix": cr.table_prefix,
        "schedule": cr.schedule,
        "schema_change_policy": cr.schema_change_policy,
        "recrawl_policy": cr.recrawl_policy,
        "configuration": cr.configuration,
    });
    if let Some(o) = definition.as_object_mut() {
        o.retain(|_, v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()));
    }
    let definition = serde_json::to_string_pretty(&definition).unwrap_or_default();
    let body = html! {
        nav.crumbs aria-label="Breadcrumb" { a href="/ui/crawlers" { "Crawlers" } " / " }
        h1 { "Crawler " (cr.name) }
        p {
            "State: " span #crawler-state class=(format!("state {}", label(&cr.state).to_lowercase())) { (label(&cr.state)) }
            @if busy { " · running for " (cr.crawl_elapsed_time / 1000) " s (this page refreshes itself)" }
        }
        div.actions {
            form action=(format!("{url}/start")) method="post" {
                button #start type="submit" disabled[busy] { "Start crawl" }
            }
            form action=(format!("{url}/stop")) method="post" {
                button #stop type="submit" disabled[cr.state != CrawlerState::Running] { "Stop" }
            }
        }
        @if let Some(d) = &cr.description { p { (d) } }
        h2 { "Definition" }
        pre.definition { code { (definition) } }
        h2 { "Runs" }
        @if runs.is_empty() { p { "No runs yet." } } @else {
            @if !charted.is_empty() {
                div.charts {
                    (bars("Duration", &charted, |r| duration(r).unwrap_or(0.0), "s"))
                    (bars("Files read", &charted, |r| r.files_read as f64, "files"))
                }
            }
            div.scroll {
                table.runs {
                    thead { tr {
                        th { "Started" } th { "Duration" } th { "Trigger" } th { "State" }
                        th { "Tables created" } th { "Tables updated" } th { "Tables deleted" }
                        th { "Partitions added" } th { "Partitions removed" }
                        th { "Files read" } th { "Files skipped" } th { "Error" }
                    } }
                    tbody {
                        @for r in runs {
                            tr {
                                td { (time(r.start_time as i64)) }
                                td.num { @if let Some(d) = duration(r) { (format!("{d:.1} s")) } }
                                td { (r.trigger) }
                                td { (label(&r.state)) }
                                td.num { (r.tables_created) }
                                td.num { (r.tables_updated) }
                                td.num { (r.tables_deleted) }
                                td.num { (r.partitions_added) }
                                td.num { (r.partitions_removed) }
                                td.num { (r.files_read) }
                                td.num { (r.files_skipped) }
                                td { (r.error_message.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    };
    if busy {
        // While a run goes on the page follows it.
        refreshing(viewer, &cr.name, 2, body)
    } else {
        page(viewer, &cr.name, body)
    }
}

pub async fn start(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    let c = s.crawler_service()?;
    let n = name.clone();
    build(move || Ok(c.start(&n, "console")?)).await?;
    Ok(see_other(&crawler_url(&name)))
}

pub async fn stop(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    let c = s.crawler_service()?;
    let n = name.clone();
    build(move || Ok(c.stop(&n)?)).await?;
    Ok(see_other(&crawler_url(&name)))
}
