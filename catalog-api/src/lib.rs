//! # lakecat-catalog-api
//!
//! What every part of lakecat agrees on about the catalog:
//!
//! - [`model`]: databases, tables, partitions and versions (Glue's shapes, snake_case);
//! - [`names`] and [`types`]: validated names and the Hive/Glue type grammar;
//! - [`filter`]: Glue's partition filter grammar with typed evaluation;
//! - [`events`]: the change log every store appends to with each write;
//! - [`store`]: the [`store::CatalogStore`] trait and the semantics all backends share;
//! - [`memory`]: an in-memory backend; the sled backend lives in the `lakecat` binary;
//! - [`conformance`] (feature `conformance`): the one test suite every backend must pass.
//!
//! The crawler and DDL crates depend on this one; it depends on none of them.

pub mod crawlers;
pub mod error;
pub mod events;
pub mod filter;
pub mod iceberg;
pub mod index;
pub mod kv;
pub mod limits;
pub mod memory;
pub mod model;
pub mod names;
pub mod stats;
pub mod store;
pub mod types;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

pub use error::{Error, ErrorKind, Result};
pub use names::{DatabaseName, TableIdent, TableName};
