//! # lakecat
//!
//! The `lakecat` binary's library half, so that integration tests and benchmarks
//! can start the real server in-process.
//!
//! - [`config`]: flags, `LAKECAT_*` variables and the TOML file, merged;
//! - [`stores`]: the one place a store URL becomes a store (sled, PostgreSQL);
//! - [`server`]: the REST API, `/health`, `/metrics`, `/openapi.yaml`;
//! - [`search`], [`metrics`], [`error`]: the pieces the server uses;
//! - [`folders`]: which folders the fronts may create, move and delete;
//! - [`sample`]: the built-in sample catalog `lakecat serve --sample-data` loads;
//! - [`glue`]: the AWS Glue Data Catalog JSON API (`POST /`, `X-Amz-Target`);
//! - [`sql`]: executes HiveQL DDL (parsed by `lakecat-ddl`) against a store;
//! - [`engine`]: applies a crawl (from `lakecat-crawler`) to a store, with Glue's
//!   update and delete policies, and renders its report;
//! - [`crawlers`]: managed crawlers (definitions, runs, history, schedules, S3
//!   events) run inside `lakecat serve`, with [`schedule`] for AWS cron;
//! - [`hms`]: the Hive Metastore Thrift front (its own port), for Spark, Trino,
//!   Hive and PyIceberg.
//!
//! The model, the store trait and the filter grammar live in `lakecat-catalog-api`.

pub mod app;
pub mod config;
pub mod glue;

pub mod hms;
pub mod http;
pub mod rest;
pub mod services;
pub mod stores;
