//! The HiveQL editor: a script runs as `POST /v1/ddl` runs it (same service, same
//! principal), and its results and error show beneath it, the error with its line
//! and column and the line itself.

use super::layout::{page, Viewer};
use super::{UiError, UiResult};
use crate::http::AppState;
use crate::services::sql::{ScriptOutcome, StatementResult};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use lakecat_catalog_api::Error;
use maud::{html, Markup};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct EditorParams {
    #[serde(default)]
    database: Option<String>,
    #[serde(default)]
    sql: Option<String>,
}

fn editor_form(sql: &str, database: &str) -> Markup {
    html! {
        h1 { "DDL" }
        form.ddl action="/ui/ddl" method="post" {
            label for="sql" { "HiveQL statements, separated by semicolons" }
            textarea #sql name="sql" rows="10" spellcheck="false" autocapitalize="off" { (sql) }
            div.inline {
                label for="database" { "Default database" }
                input #database type="text" name="database" value=(database);
                button #run type="submit" { "Run" }
            }
        }
    }
}

/// The editor, optionally with a script in it (`?sql=`: a link can carry one; it
/// is not run until submitted).
pub async fn editor(viewer: Viewer, Query(p): Query<EditorParams>) -> UiResult {
    Ok(page(
        &viewer,
        "DDL",
        editor_form(
            p.sql.as_deref().unwrap_or("SHOW DATABASES;"),
            p.database.as_deref().unwrap_or("default"),
        ),
    ))
}

fn result_markup(i: usize, r: &StatementResult) -> Markup {
    html! {
        section.result {
            h3 { (i + 1) ". " (r.statement) " " span.muted { (r.status) } }
            @if let Some(m) = &r.message { p { (m) } }
            @if let Some(rs) = &r.result_set {
                div.scroll {
                    table {
                        thead { tr { @for c in &rs.columns { th { (c) } } } }
                        tbody { @for row in &rs.rows { tr { @for v in row { td { (v) } } } } }
                    }
                }
                p.muted { (rs.rows.len()) " rows" }
            }
        }
    }
}

fn outcome_markup(sql: &str, out: &ScriptOutcome) -> Markup {
    html! {
        @if let Some(e) = &out.error {
            div.error #ddl-error role="alert" {
                p {
                    strong { "Statement " (e.statement + 1) " failed" }
                    " at line " (e.line) ", column " (e.column) ": " (e.error.message)
                }
                @if let Some(line) = sql.lines().nth((e.line as usize).wrapping_sub(1)) {
                    pre { code { (line) "\n" (" ".repeat((e.column as usize).saturating_sub(1))) "^" } }
                }
                @if e.statement > 0 { p { "The statements before it ran; it and those after it did not." } }
            }
        }
        @for (i, r) in out.results.iter().enumerate() { (result_markup(i, r)) }
    }
}

pub async fn run(
    State(s): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, UiError> {
    let field = |name: &str| crate::http::form_field(&body, name);
    let sql = field("sql").ok_or_else(|| UiError(Error::invalid("the form has no sql field")))?;
    let database = field("database")
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| "default".into());
    let out = s.run_ddl(sql.clone(), database.clone()).await?;
    // The page answers 200 whatever the script did, as the filter box does: the
    // request worked and the page shows the script's error in place (the JSON
    // API carries the error's status).
    let markup = page(
        &viewer,
        "DDL",
        html! {
            (editor_form(&sql, &database))
            h2 { "Results" }
            (outcome_markup(&sql, &out))
        },
    );
    Ok(markup.into_response())
}
