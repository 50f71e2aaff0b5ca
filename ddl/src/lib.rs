//! # lakecat-ddl
//!
//! HiveQL DDL as Athena, Hive and Spark users write it, parsed into typed
//! [`ast::Statement`]s. Tokenising is sqlparser's (Hive dialect); the statements are
//! parsed by a small front end over its parser primitives ([`parser`]) because
//! sqlparser's own Hive statement parser misses or misreads common DDL forms.
//! Column types are checked by the catalog's type grammar. Executing statements is
//! the `lakecat` binary's job; this crate knows nothing of storage.

pub mod ast;
pub mod error;
pub mod parser;

pub use ast::Statement;
pub use error::{DdlError, DdlErrorKind};
pub use parser::{parse, Parsed};
