//! The databases, one database's tables, and search across the catalog.

use super::layout::{self, capped, database_url, next_page, page, table_url, time, Viewer};
use super::{build, UiResult};
use crate::http::AppState;
use axum::extract::{Path, Query, State};
use lakecat_catalog_api::limits::MAX_PAGE_SIZE;
use lakecat_catalog_api::model::Table;
use lakecat_catalog_api::store::{CatalogStore, PageRequest};
use lakecat_catalog_api::{DatabaseName, Result, TableIdent};
use maud::{html, Markup};
use serde::Deserialize;

/// Databases and tables are counted up to this many; beyond it the page says so
/// rather than read everything.
const COUNT_CAP: usize = 1000;

#[derive(Deserialize, Default)]
pub struct Paging {
    #[serde(default)]
    page_token: Option<String>,
    #[serde(default)]
    q: Option<String>,
}

fn first(token: &Option<String>, limit: usize) -> PageRequest {
    PageRequest {
        token: token.clone().filter(|t| !t.is_empty()),
        limit,
    }
}

fn count_tables(store: &dyn CatalogStore, db: &DatabaseName) -> Result<usize> {
    let page = store.list_tables(db, None, &first(&None, COUNT_CAP + 1))?;
    Ok(page.items.len())
}

/// Partitions counted from their keys alone, up to the cap.
pub fn count_partitions(store: &dyn CatalogStore, id: &TableIdent, cap: usize) -> Result<usize> {
    let page = store.list_partitions_with(id, None, &first(&None, cap + 1), true)?;
    Ok(page.items.len())
}

pub async fn index(State(s): State<AppState>, viewer: Viewer, Query(p): Query<Paging>) -> UiResult {
    build(move || {
        let store = &*s.store;
        let dbs = store.list_databases(&first(&p.page_token, 100))?;
        let mut rows = Vec::new();
        for d in &dbs.items {
            rows.push((d, capped(count_tables(store, &d.name)?, COUNT_CAP)));
        }
        Ok(page(
            &viewer,
            "Databases",
            html! {
                h1 { "Databases" }
                @if rows.is_empty() {
                    p { "The catalog has no databases yet. Create one in the " a href="/ui/ddl" { "DDL editor" } "." }
                } @else {
                    div.scroll {
                        table {
                            thead { tr { th { "Name" } th { "Tables" } th { "Description" } th { "Location" } th { "Created" } } }
                            tbody {
                                @for (d, n) in &rows {
                                    tr {
                                        td { a href=(database_url(d.name.as_str())) { (d.name.as_str()) } }
                                        td.num { (n) }
                                        td { (d.description.as_deref().unwrap_or("")) }
                                        td { code { (d.location_uri.as_deref().unwrap_or("")) } }
                                        td { (time(d.create_time)) }
                                    }
                                }
                            }
                        }
                    }
                }
                (next_page("/ui", &[], dbs.next_token.as_deref()))
            },
        ))
    })
    .await
}

/// What a table holds, in a word: the open format, else the crawler's
/// classification, else the input format's class.
pub fn format_of(t: &Table) -> String {
    let param = |k: &str| {
        t.parameters
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    };
    if param("table_type").is_some_and(|v| v.eq_ignore_ascii_case("ICEBERG")) {
        return "iceberg".into();
    }
    if let Some(p) = param("spark.sql.sources.provider") {
        return p.to_ascii_lowercase();
    }
    if let Some(c) = param("classification") {
        return c.to_string();
    }
    let input = t
        .storage_descriptor
        .as_ref()
        .and_then(|sd| sd.input_format.as_deref())
        .unwrap_or("");
    input.rsplit('.').next().unwrap_or("").to_string()
}

fn tables_table(rows: &[(Table, Option<String>)], with_db: bool) -> Markup {
    html! {
        div.scroll {
            table {
                thead { tr {
                    @if with_db { th { "Database" } }
                    th { "Table" } th { "Type" } th { "Format" } th { "Classification" }
                    th { "Location" }
                    @if !with_db { th { "Partitions" } }
                    th { "Last update" }
                } }
                tbody {
                    @for (t, parts) in rows {
                        @let db = t.database_name.as_ref().map(|d| d.as_str()).unwrap_or("");
                        tr {
                            @if with_db { td { a href=(database_url(db)) { (db) } } }
                            td { a href=(table_url(db, t.name.as_str())) { (t.name.as_str()) } }
                            td { (t.table_type.map(|k| k.as_str()).unwrap_or("")) }
                            td { (format_of(t)) }
                            td { (t.parameters.get("classification").map(String::as_str).unwrap_or("")) }
                            td { code { (t.storage_descriptor.as_ref().and_then(|sd| sd.location.as_deref()).unwrap_or("")) } }
                            @if let Some(n) = parts { td.num { (n) } }
                            td { (time(t.update_time)) }
                        }
                    }
                }
            }
        }
    }
}

pub async fn database(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(db): Path<String>,
    Query(p): Query<Paging>,
) -> UiResult {
    build(move || {
        let store = &*s.store;
        let name = DatabaseName::new(&db)?;
        let d = store.get_database(&name)?;
        let tables = store.list_tables(&name, None, &first(&p.page_token, 100))?;
        let mut rows = Vec::new();
        for mut t in tables.items {
            t.database_name.get_or_insert_with(|| name.clone());
            let id = TableIdent::new(name.clone(), t.name.clone());
            let n = if t.partition_keys.is_empty() {
                "—".to_string()
            } else {
                capped(count_partitions(store, &id, COUNT_CAP)?, COUNT_CAP)
            };
            rows.push((t, Some(n)));
        }
        let mut props: Vec<(&str, &str)> = Vec::new();
        if let Some(v) = &d.description {
            props.push(("Description", v));
        }
        if let Some(v) = &d.location_uri {
            props.push(("Location", v));
        }
        if let Some(v) = &d.owner_name {
            props.push(("Owner", v));
        }
        let created = time(d.create_time);
        props.push(("Created", &created));
        Ok(page(
            &viewer,
            d.name.as_str(),
            html! {
                nav.crumbs aria-label="Breadcrumb" { a href="/ui" { "Databases" } " / " }
                h1 { "Database " (d.name.as_str()) }
                (layout::pairs("Properties", props))
                (layout::pairs("Parameters", d.parameters.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
                h2 { "Tables" }
                @if rows.is_empty() { p { "No tables." } } @else { (tables_table(&rows, false)) }
                (next_page(&database_url(d.name.as_str()), &[], tables.next_token.as_deref()))
            },
        ))
    })
    .await
}

pub async fn search(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<Paging>,
) -> UiResult {
    build(move || {
        let q = p.q.clone().unwrap_or_default();
        let found = if q.trim().is_empty() {
            None
        } else {
            Some(crate::services::search::search_tables(
                &*s.store,
                &q,
                &first(&p.page_token, 100.min(MAX_PAGE_SIZE)),
            )?)
        };
        Ok(page(
            &viewer,
            "Search",
            html! {
                h1 { "Search" }
                form.inline action="/ui/search" method="get" {
                    label for="q2" { "Words that the database, table, a column or a parameter mention" }
                    input #q2 type="search" name="q" value=(q);
                    button type="submit" { "Search" }
                }
                @if let Some(found) = &found {
                    @let rows: Vec<(Table, Option<String>)> = found.items.iter().cloned().map(|t| (t, None)).collect();
                    p { (rows.len()) @if found.next_token.is_some() { " or more" } " tables mention " q { (q) } "." }
                    @if !rows.is_empty() { (tables_table(&rows, true)) }
                    (next_page("/ui/search", &[("q", q.as_str())], found.next_token.as_deref()))
                }
            },
        ))
    })
    .await
}
