//! # lakecat-crawler
//!
//! Points at folders of data files and says which tables and partitions they are.
//! It reads through object_store and knows nothing of where the catalog is kept:
//! its output is catalog objects ([`table::CrawledTable`]) that the `lakecat`
//! binary's engine writes, one atomic write per table.
//!
//! - [`source`]: include paths as object stores (`s3://`, `file://`, local paths),
//!   bounded concurrency and request counting;
//! - [`classify`]: custom CSV and JSON classifiers, tried before the built-ins;
//! - [`compression`]: whole-file compression by magic bytes and extension;
//! - [`infer`]: per-file format detection and schema inference (Parquet footer,
//!   Avro header, CSV/TSV and JSON samples);
//! - [`merge`]: how column types from many files combine;
//! - [`glob`]: exclusion patterns with Glue's glob semantics;
//! - [`open_formats`]: Delta Lake, Iceberg and Hudi table roots, read from their own
//!   metadata instead of their data files;
//! - [`group`]: which folders are one table and which levels are partitions;
//! - [`table`]: SerDe, formats, parameters and partitions of each table;
//! - [`inventory`]: what a run saw of each file, so the next run reads only what changed;
//! - [`crawl`]: the whole run: list, sample, infer, group, build, report.

pub mod classify;
pub mod compression;
pub mod crawl;
pub mod glob;
pub mod grok;
pub mod group;
pub mod infer;
pub mod inventory;
pub mod merge;
pub mod open_formats;
pub mod source;
pub mod table;

pub use crawl::{crawl, CrawlOptions, CrawlOutput};

#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error("{0}")]
    Url(String),
    #[error("listing {url} failed: {message}")]
    List { url: String, message: String },
    #[error("{0}")]
    Options(String),
    #[error("the crawl was stopped")]
    Cancelled,
}
