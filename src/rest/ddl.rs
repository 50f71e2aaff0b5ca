//! `POST /v1/ddl`: HiveQL DDL scripts.

use crate::http::{parse_json, ApiResult, AppState, Params};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use lakecat_catalog_api::Error;
use serde::Deserialize;
use serde_json::json;

use axum::body::Bytes;

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
pub struct DdlParams {
    pub database: Option<String>,
}

pub async fn run_ddl(
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
    let database = req.database.unwrap_or_else(|| "default".into());
    Ok(ddl_response(s.run_ddl(req.sql, database).await?))
}

pub fn ddl_response(out: crate::services::sql::ScriptOutcome) -> Response {
    match out.error {
        None => Json(json!({"results": out.results})).into_response(),
        Some(e) => (
            crate::http::error::status_of(e.error.kind),
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
