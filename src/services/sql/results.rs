//! What a script answers: per-statement results and the error that stopped it.

use lakecat_catalog_api::error::Error;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResultSet {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatementResult {
    /// The statement's kind (`CREATE TABLE`, `SHOW PARTITIONS`, …).
    pub statement: String,
    /// `ok`, or `unchanged` when IF [NOT] EXISTS made it a no-op.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_set: Option<ResultSet>,
}

/// Why a script stopped: the failing statement (0-based), where it starts, the error.
#[derive(Debug, Clone)]
pub struct ScriptError {
    pub statement: usize,
    pub line: u64,
    pub column: u64,
    pub error: Error,
}

#[derive(Debug, Clone)]
pub struct ScriptOutcome {
    pub results: Vec<StatementResult>,
    pub error: Option<ScriptError>,
}
