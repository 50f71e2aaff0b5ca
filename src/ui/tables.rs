//! A table: schema, storage, parameters, a page of its partitions under a Glue
//! filter, indexes, statistics, Iceberg snapshots; and its versions side by side.

use super::databases::{count_partitions, format_of};
use super::layout::{self, capped, database_url, next_page, page, q, table_url, time, Viewer};
use super::{build, UiResult};
use crate::http::AppState;
use axum::extract::{Path, Query, State};
use lakecat_catalog_api::filter::FilterExpr;
use lakecat_catalog_api::model::{Column, Partition, Table, TableType};
use lakecat_catalog_api::stats::{ColumnStatistics, PartitionIndex};
use lakecat_catalog_api::store::{Page, PageRequest};
use lakecat_catalog_api::types::HiveType;
use lakecat_catalog_api::{Error, TableIdent};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// Partitions shown per page: the page costs the same on a table of a thousand
/// partitions and of a million.
const PARTITIONS_PER_PAGE: usize = 100;
/// The largest Iceberg metadata file the page reads for its snapshots.
const METADATA_MAX_BYTES: u64 = 64 << 20;
/// Partitions are counted from their keys up to this many (counting ten
/// thousand made the page four times slower than the page itself).
const PARTITION_COUNT_CAP: usize = 1_000;

#[derive(Deserialize, Default)]
pub struct TableParams {
    #[serde(default)]
    filter: Option<String>,
    #[serde(default)]
    page_token: Option<String>,
}

/// What the table page shows, read in one go on the blocking pool.
struct TableView {
    id: TableIdent,
    table: Table,
    partitions: Result<Page<Partition>, Error>,
    count: Option<usize>,
    indexes: Vec<PartitionIndex>,
    statistics: Vec<ColumnStatistics>,
}

fn ident(db: &str, t: &str) -> Result<TableIdent, Error> {
    TableIdent::parse(db, t)
}

pub async fn table(
    State(s): State<AppState>,
    viewer: Viewer,
    Path((db, t)): Path<(String, String)>,
    Query(p): Query<TableParams>,
) -> UiResult {
    let filter = p.filter.clone().unwrap_or_default();
    let store = s.store.clone();
    let v = build(move || {
        let id = ident(&db, &t)?;
        let table = store.get_table(&id)?;
        // A filter's error is shown beside the filter box, not as the page's.
        let partitions = FilterExpr::parse(&filter).and_then(|f| {
            store.list_partitions(
                &id,
                f.as_ref(),
                &PageRequest {
                    token: p.page_token.clone().filter(|t| !t.is_empty()),
                    limit: PARTITIONS_PER_PAGE,
                },
            )
        });
        let count = if table.partition_keys.is_empty() || !filter.trim().is_empty() {
            None
        } else {
            Some(count_partitions(&*store, &id, PARTITION_COUNT_CAP)?)
        };
        let indexes = store.list_partition_indexes(&id)?;
        let names: Vec<String> = table.columns().iter().map(|c| c.name.clone()).collect();
        let statistics = store.get_column_statistics(&id, None, &names)?;
        Ok(TableView {
            id,
            table,
            partitions,
            count,
            indexes,
            statistics,
        })
    })
    .await?;
    let iceberg = match v.table.parameters.get("metadata_location") {
        Some(loc) => Some((
            loc.clone(),
            crate::services::folders::read_json(&s.folders, loc, METADATA_MAX_BYTES)
                .await
                .map_err(|e| e.message),
        )),
        None => None,
    };
    Ok(render_table(
        &viewer,
        &v,
        p.filter.as_deref().unwrap_or(""),
        iceberg,
    ))
}

/// A type, with its nested fields unfolding beneath it.
fn type_markup(text: &str) -> Markup {
    match HiveType::parse(text) {
        Ok(t) => nested(&t),
        Err(_) => html! { code { (text) } },
    }
}

fn nested(t: &HiveType) -> Markup {
    let children: Vec<(String, &HiveType)> = match t {
        HiveType::Struct(fields) => fields.iter().map(|f| (f.name.clone(), &f.ty)).collect(),
        HiveType::Array(e) => vec![("element".into(), &**e)],
        HiveType::Map(k, v) => vec![("key".into(), &**k), ("value".into(), &**v)],
        HiveType::Union(ts) => ts
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("tag {i}"), t))
            .collect(),
        _ => Vec::new(),
    };
    if children.is_empty() {
        return html! { code { (t.to_string()) } };
    }
    let kind = match t {
        HiveType::Struct(_) => "struct",
        HiveType::Array(_) => "array",
        HiveType::Map(..) => "map",
        _ => "uniontype",
    };
    html! {
        details.type {
            summary { code { (kind) } " " span.muted { (t.to_string()) } }
            ul {
                @for (name, ty) in &children {
                    li { span.field { (name) } " " (nested(ty)) }
                }
            }
        }
    }
}

fn columns_table(caption: &str, cols: &[Column]) -> Markup {
    html! {
        div.scroll {
            table.columns {
                caption { (caption) }
                thead { tr { th { "#" } th { "Name" } th { "Type" } th { "Comment" } } }
                tbody {
                    @for (i, c) in cols.iter().enumerate() {
                        tr {
                            td.num { (i + 1) }
                            td { (c.name) }
                            td { (type_markup(&c.type_)) }
                            td { (c.comment.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

fn render_table(
    viewer: &Viewer,
    v: &TableView,
    filter: &str,
    iceberg: Option<(String, Result<Value, String>)>,
) -> Markup {
    let t = &v.table;
    let (db, name) = (v.id.database.as_str(), v.id.name.as_str());
    let here = table_url(db, name);
    let sd = t.storage_descriptor.clone().unwrap_or_default();
    let (created, updated) = (time(t.create_time), time(t.update_time));
    let version = t.version_id.map(|v| v.to_string()).unwrap_or_default();
    let format = format_of(t);
    let mut summary: Vec<(&str, &str)> = vec![
        ("Type", t.table_type.map(TableType::as_str).unwrap_or("")),
        ("Format", &format),
        ("Location", sd.location.as_deref().unwrap_or("")),
        ("Owner", t.owner.as_deref().unwrap_or("")),
        ("Created", &created),
        ("Last update", &updated),
        ("Version", &version),
    ];
    if let Some(d) = &t.description {
        summary.push(("Description", d));
    }
    if let Some(text) = &t.view_original_text {
        summary.push(("View text", text));
    }
    let buckets = sd
        .number_of_buckets
        .map(|n| n.to_string())
        .unwrap_or_default();
    let bucket_cols = sd.bucket_columns.join(", ");
    let serde = sd.serde_info.clone().unwrap_or_default();
    let storage: Vec<(&str, &str)> = vec![
        ("Input format", sd.input_format.as_deref().unwrap_or("")),
        ("Output format", sd.output_format.as_deref().unwrap_or("")),
        ("Compressed", if sd.compressed { "yes" } else { "no" }),
        ("Buckets", &buckets),
        ("Bucket columns", &bucket_cols),
        (
            "SerDe",
            serde.serialization_library.as_deref().unwrap_or(""),
        ),
    ];
    page(
        viewer,
        &format!("{db}.{name}"),
        html! {
            nav.crumbs aria-label="Breadcrumb" {
                a href="/ui" { "Databases" } " / " a href=(database_url(db)) { (db) } " / "
            }
            h1 { "Table " (name) }
            p { a href=(format!("{here}/versions")) { "Versions and schema changes" } }
            (layout::pairs("Summary", summary.into_iter().filter(|(_, v)| !v.is_empty())))
            @if let Some((location, metadata)) = &iceberg {
                (snapshots(location, metadata))
            }
            h2 { "Schema" }
            (columns_table("Columns", t.columns()))
            @if !t.partition_keys.is_empty() { (columns_table("Partition keys", &t.partition_keys)) }
            h2 { "Storage" }
            (layout::pairs("Storage descriptor", storage.into_iter().filter(|(_, v)| !v.is_empty())))
            (layout::pairs("SerDe parameters", serde.parameters.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            (layout::pairs("Storage parameters", sd.parameters.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            h2 { "Parameters" }
            @if t.parameters.is_empty() { p { "None." } }
            (layout::pairs("Table parameters", t.parameters.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
            @if !t.partition_keys.is_empty() {
                (partitions(&here, t, v, filter))
            }
            h2 { "Partition indexes" }
            @if v.indexes.is_empty() { p { "None." } } @else {
                ul { @for i in &v.indexes { li { (i.index_name) ": " (i.keys.join(", ")) } } }
            }
            h2 { "Column statistics" }
            @if v.statistics.is_empty() { p { "None." } } @else { (statistics(&v.statistics)) }
        },
    )
}

fn partitions(here: &str, t: &Table, v: &TableView, filter: &str) -> Markup {
    let error = v.partitions.as_ref().err().map(|e| e.message.clone());
    html! {
        h2 #partitions {
            "Partitions"
            @if let Some(n) = v.count { " (" (capped(n, PARTITION_COUNT_CAP)) ")" }
        }
        form.inline action=(format!("{here}#partitions")) method="get" {
            label for="filter" { "Filter (Glue expression, e.g. " code { (t.partition_keys[0].name) " = 'value'" } ")" }
            @if error.is_some() {
                input #filter type="text" name="filter" value=(filter) aria-invalid="true" aria-describedby="filter-error";
            } @else {
                input #filter type="text" name="filter" value=(filter);
            }
            button type="submit" { "Filter" }
        }
        @if let Some(e) = &error {
            p.error #filter-error role="alert" { (e) }
        }
        @if let Ok(page) = &v.partitions {
            @if page.items.is_empty() { p { "No partitions match." } } @else {
                div.scroll {
                    table.partitions {
                        thead { tr {
                            @for k in &t.partition_keys { th { (k.name) } }
                            th { "Location" } th { "Created" }
                        } }
                        tbody {
                            @for p in &page.items {
                                tr {
                                    @for value in &p.values { td { (value) } }
                                    td { code { (p.storage_descriptor.as_ref().and_then(|sd| sd.location.as_deref()).unwrap_or("")) } }
                                    td { (time(p.create_time)) }
                                }
                            }
                        }
                    }
                }
            }
            (next_page(here, &[("filter", filter)], page.next_token.as_deref()))
        }
    }
}

fn statistics(stats: &[ColumnStatistics]) -> Markup {
    html! {
        div.scroll {
            table {
                thead { tr { th { "Column" } th { "Type" } th { "Figures" } th { "Analyzed" } } }
                tbody {
                    @for s in stats {
                        @let figures = serde_json::to_value(&s.statistics_data).unwrap_or_default();
                        tr {
                            td { (s.column_name) }
                            td { code { (s.column_type) } }
                            td {
                                @if let Some(o) = figures.as_object() {
                                    @for (_, data) in o.iter().filter(|(k, _)| *k != "type") {
                                        @if let Some(d) = data.as_object() {
                                            @for (k, v) in d { span.figure { (k) " " (v.to_string().trim_matches('"')) } " " }
                                        }
                                    }
                                }
                            }
                            td { (time(s.analyzed_time)) }
                        }
                    }
                }
            }
        }
    }
}

fn snapshots(location: &str, metadata: &Result<Value, String>) -> Markup {
    html! {
        h2 { "Iceberg" }
        (layout::pairs("Metadata", [("Metadata location", location)]))
        @match metadata {
            Err(e) => p.error role="alert" { "The metadata file cannot be read: " (e) },
            Ok(m) => {
                @let current = m["current-snapshot-id"].as_i64();
                @let snaps = m["snapshots"].as_array().cloned().unwrap_or_default();
                @if snaps.is_empty() { p { "No snapshots yet." } } @else {
                    div.scroll {
                        table.snapshots {
                            caption { "Snapshots, newest first" }
                            thead { tr { th { "Snapshot" } th { "Committed" } th { "Operation" } th { "Summary" } } }
                            tbody {
                                @for s in snaps.iter().rev().take(100) {
                                    tr {
                                        td {
                                            (s["snapshot-id"].to_string())
                                            @if s["snapshot-id"].as_i64() == current { " " strong { "(current)" } }
                                        }
                                        td { (time(s["timestamp-ms"].as_i64().unwrap_or(0) / 1000)) }
                                        td { (s["summary"]["operation"].as_str().unwrap_or("")) }
                                        td {
                                            @if let Some(o) = s["summary"].as_object() {
                                                @for (k, v) in o.iter().filter(|(k, _)| *k != "operation") {
                                                    span.figure { (k) " " (v.as_str().unwrap_or("")) } " "
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct VersionParams {
    #[serde(default)]
    a: Option<u64>,
    #[serde(default)]
    b: Option<u64>,
}

pub async fn versions(
    State(s): State<AppState>,
    viewer: Viewer,
    Path((db, t)): Path<(String, String)>,
    Query(p): Query<VersionParams>,
) -> UiResult {
    build(move || {
        let store = &*s.store;
        let id = ident(&db, &t)?;
        let listed = store.list_table_versions(
            &id,
            &PageRequest {
                token: None,
                limit: 100,
            },
        )?;
        let ids: Vec<u64> = listed.items.iter().map(|v| v.version_id).collect();
        // By default the current version beside the one before it.
        let b = p.b.or(ids.first().copied());
        let a = p.a.or(ids.get(1).copied()).or(b);
        let get = |v: Option<u64>| -> Result<Option<Table>, Error> {
            match v {
                None => Ok(None),
                Some(v) => Ok(Some(store.get_table_version(&id, v)?.table)),
            }
        };
        let (ta, tb) = (get(a)?, get(b)?);
        let here = table_url(id.database.as_str(), id.name.as_str());
        Ok(page(
            &viewer,
            &format!("{} versions", id.name.as_str()),
            html! {
                nav.crumbs aria-label="Breadcrumb" {
                    a href="/ui" { "Databases" } " / "
                    a href=(database_url(id.database.as_str())) { (id.database.as_str()) } " / "
                    a href=(here) { (id.name.as_str()) } " / "
                }
                h1 { "Versions of " (id.name.as_str()) }
                form.inline action=(format!("{here}/versions")) method="get" {
                    label for="a" { "Compare" }
                    (version_select("a", &listed.items, a))
                    label for="b" { "with" }
                    (version_select("b", &listed.items, b))
                    button type="submit" { "Compare" }
                }
                @if let (Some(ta), Some(tb), Some(a), Some(b)) = (&ta, &tb, a, b) {
                    (diff(ta, tb, a, b))
                }
                h2 { "All versions" }
                div.scroll {
                    table {
                        thead { tr { th { "Version" } th { "Updated" } th { "Columns" } th { "Location" } } }
                        tbody {
                            @for v in &listed.items {
                                tr {
                                    td { (v.version_id) @if Some(v.version_id) == ids.first().copied() { " (current)" } }
                                    td { (time(v.table.update_time)) }
                                    td.num { (v.table.columns().len()) }
                                    td { code { (v.table.storage_descriptor.as_ref().and_then(|sd| sd.location.as_deref()).unwrap_or("")) } }
                                }
                            }
                        }
                    }
                }
                @if listed.next_token.is_some() { p { "Only the newest 100 versions are listed." } }
            },
        ))
    })
    .await
}

fn version_select(
    name: &str,
    versions: &[lakecat_catalog_api::model::TableVersion],
    chosen: Option<u64>,
) -> Markup {
    html! {
        select #(name) name=(name) {
            @for v in versions {
                option value=(v.version_id) selected[Some(v.version_id) == chosen] {
                    "version " (v.version_id) " · " (time(v.table.update_time))
                }
            }
        }
    }
}

/// What a column is in a version, if it is there.
fn column_in<'a>(cols: &'a [Column], name: &str) -> Option<&'a Column> {
    cols.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

fn schema_rows(caption: &str, a: &[Column], b: &[Column]) -> Markup {
    let mut names: Vec<&str> = a.iter().map(|c| c.name.as_str()).collect();
    for c in b {
        if column_in(a, &c.name).is_none() {
            names.push(&c.name);
        }
    }
    html! {
        div.scroll {
            table.diff {
                caption { (caption) }
                thead { tr { th { "Column" } th { "Before" } th { "After" } th { "Change" } } }
                tbody {
                    @for n in names {
                        @let (ca, cb) = (column_in(a, n), column_in(b, n));
                        @let change = match (ca, cb) {
                            (Some(_), None) => "removed",
                            (None, Some(_)) => "added",
                            (Some(x), Some(y)) if !x.type_.eq_ignore_ascii_case(&y.type_) => "type changed",
                            (Some(x), Some(y)) if x.comment != y.comment => "comment changed",
                            _ => "",
                        };
                        tr class=(change.replace(' ', "-")) {
                            td { (n) }
                            td { @if let Some(c) = ca { code { (c.type_) } } }
                            td { @if let Some(c) = cb { code { (c.type_) } } }
                            td { (change) }
                        }
                    }
                }
            }
        }
    }
}

fn diff(a: &Table, b: &Table, va: u64, vb: u64) -> Markup {
    let field =
        |t: &Table, f: fn(&lakecat_catalog_api::model::StorageDescriptor) -> Option<String>| {
            t.storage_descriptor
                .as_ref()
                .and_then(f)
                .unwrap_or_default()
        };
    let mut others: Vec<(String, String, String)> = vec![
        (
            "Location".into(),
            field(a, |s| s.location.clone()),
            field(b, |s| s.location.clone()),
        ),
        (
            "Input format".into(),
            field(a, |s| s.input_format.clone()),
            field(b, |s| s.input_format.clone()),
        ),
        (
            "SerDe".into(),
            field(a, |s| s.serde_info.as_ref()?.serialization_library.clone()),
            field(b, |s| s.serde_info.as_ref()?.serialization_library.clone()),
        ),
    ];
    let keys: BTreeSet<&String> = a.parameters.keys().chain(b.parameters.keys()).collect();
    for k in keys {
        let (x, y) = (
            a.parameters.get(k).cloned().unwrap_or_default(),
            b.parameters.get(k).cloned().unwrap_or_default(),
        );
        others.push((format!("Parameter {k}"), x, y));
    }
    others.retain(|(_, x, y)| x != y);
    html! {
        h2 { "Version " (va) " beside version " (vb) }
        (schema_rows("Columns", a.columns(), b.columns()))
        @if !a.partition_keys.is_empty() || !b.partition_keys.is_empty() {
            (schema_rows("Partition keys", &a.partition_keys, &b.partition_keys))
        }
        @if others.is_empty() {
            p { "Storage and parameters are the same." }
        } @else {
            div.scroll {
                table.diff {
                    caption { "Storage and parameters that differ" }
                    thead { tr { th { "What" } th { "Before" } th { "After" } } }
                    tbody {
                        @for (what, x, y) in &others {
                            tr.changed { td { (what) } td { code { (x) } } td { code { (y) } } }
                        }
                    }
                }
            }
        }
        p { a href=(format!("?a={}&b={}", q(&vb.to_string()), q(&va.to_string()))) { "Swap sides" } }
    }
}
