//! What the fronts share beneath them: the work a request or a schedule asks
//! for, whichever protocol it arrived by. Nothing here knows HTTP or Thrift.
//!
//! - [`crawlers`]: managed crawlers (definitions, runs, history, schedules, S3
//!   events), with [`schedule`] for AWS cron expressions;
//! - [`engine`]: registers a crawl (from `lakecat-crawler`) in a store, with
//!   Glue's update and delete policies, and renders its report;
//! - [`sql`]: executes HiveQL DDL (parsed by `lakecat-ddl`) against a store;
//! - [`rename`]: renames a table as Hive does (moving a managed table's folder);
//! - [`permissions`]: grants, and the store wrapper that enforces them for every front;
//! - [`folders`]: which folders the fronts may create, move and delete;
//! - [`purge`]: deleting a dropped table's files when a client asks for it;
//! - [`search`]: table search (REST and Glue's SearchTables);
//! - [`sns`]: confirming SNS subscriptions only at hosts the operator lists;
//! - [`sample`]: the built-in sample catalog `lakecat serve --sample-data` loads;
//! - [`audit`]: the audit log of every write and refusal, from every front;
//! - [`events`]: the change log's REST shape, reader and retention;
//! - [`webhooks`]: the change log delivered to HTTP endpoints;
//! - [`copy`]: `lakecat store copy`, a whole catalog from one store into another.

pub mod audit;
pub mod copy;
pub mod crawlers;
pub mod engine;
pub mod events;
pub mod folders;
pub mod permissions;
pub mod purge;
pub mod rename;
pub mod sample;
pub mod schedule;
pub mod search;
pub mod sns;
pub mod sql;
pub mod webhooks;

/// A lease length from the variable `var` in seconds (tests shorten them),
/// else `default_secs`: how soon another replica takes over a dead one's work.
pub fn lease_from_env(var: &str, default_secs: u64) -> std::time::Duration {
    let secs = std::env::var(var)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(default_secs);
    std::time::Duration::from_secs(secs)
}
