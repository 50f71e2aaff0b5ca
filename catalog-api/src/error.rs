//! One error type for every catalog operation, whatever the store or front.
//!
//! Fronts map `ErrorKind` onto their own vocabulary (HTTP statuses, Glue exception
//! names, Hive Metastore exception slots), so the kind must say *what went wrong
//! for the caller*, not where in the code it happened.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request itself is wrong: bad name, bad type string, malformed filter…
    InvalidInput,
    /// A database, table, version or partition that does not exist.
    NotFound,
    /// Creating something that exists already.
    AlreadyExists,
    /// Optimistic concurrency failed: the expected version is no longer current.
    Conflict,
    /// A count limit (batch size, versions, …) was exceeded.
    LimitExceeded,
    /// A request or value too large to accept.
    TooLarge,
    /// The store could not do its job (I/O, corruption, incompatible format…).
    Storage,
    /// The store cannot be reached now (its database is down or overloaded);
    /// nothing was written, and the same request may succeed later.
    Unavailable,
    /// The caller may not do this (an unverified or untrusted message, a missing grant).
    AccessDenied,
    /// What was asked for existed once and is no longer kept (change-log events
    /// past the retention).
    Gone,
}

impl ErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::Conflict => "conflict",
            ErrorKind::LimitExceeded => "limit_exceeded",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Storage => "storage",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::Gone => "gone",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// A more specific name a front may use (Glue's `CrawlerRunningException`, …)
    /// where the kind alone does not say which of its errors this is.
    pub code: Option<&'static str>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            code: None,
        }
    }
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::AlreadyExists, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::AccessDenied, message)
    }
    pub fn limit(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::LimitExceeded, message)
    }
    pub fn storage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Storage, message)
    }
    /// Prefixes the message with where the error was found (a field, an item index…).
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
