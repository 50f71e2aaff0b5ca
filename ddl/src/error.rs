#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DdlErrorKind {
    Syntax,
    /// Valid SQL that is not DDL lakecat runs (SELECT, INSERT, views, …).
    Unsupported,
}

/// A statement that could not be parsed: which one (0-based), where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("statement {}, line {line}, column {column}: {message}", statement + 1)]
pub struct DdlError {
    pub kind: DdlErrorKind,
    pub message: String,
    pub line: u64,
    pub column: u64,
    pub statement: usize,
}
