//! # lakecat
//!
//! The `lakecat` binary's library half, so that integration tests and benchmarks
//! can start the real server. Its layout, bottom to top (ARCHITECTURE.md has the
//! table of which room each kind of change goes in):
//!
//! - [`services`]: the work requests and schedules ask for, whatever protocol
//!   they came by: managed crawlers, crawl registration, DDL execution, renames,
//!   folder containment, search, the sample catalog;
//! - [`http`]: plumbing under the HTTP fronts (state, extractors, route table,
//!   SigV4, errors, health, metrics);
//! - the fronts, none of which uses another: [`rest`] (lakecat's REST API),
//!   [`glue`] (the AWS Glue JSON API), [`hms`] (the Hive Metastore Thrift
//!   protocol), [`iceberg`] (the Iceberg REST catalog), each split by resource
//!   family, and [`ui`] (the web console's pages);
//! - [`app`]: assembles the fronts and services over one store and runs them;
//! - [`config`] and [`stores`]: settings, and the one place a store URL becomes
//!   a store; [`net`]: connection limits of both ports.
//!
//! The model, the store trait, the filter grammar and the in-memory store live in
//! `lakecat-catalog-api`; the embedded store in `lakecat-store-sled`.

pub mod app;
pub mod config;
pub mod glue;
pub mod hms;
pub mod http;
pub mod iceberg;
pub mod net;
pub mod rest;
pub mod services;
pub mod stores;
pub mod tls;
pub mod ui;
