//! Versioned schema migrations, applied in order at start (and by `lakecat
//! migrate`). The missing ones run in one transaction with their rows in
//! `lakecat_schema_migrations`, under an advisory lock so that replicas starting
//! together apply each migration once, and a failed migration leaves the schema
//! as it was. A database migrated by a newer lakecat is
//! refused rather than half understood.

use crate::pe;
use lakecat_catalog_api::error::{Error, Result};
use postgres::GenericClient;

/// (version, name, SQL), in order. Never edit a released migration: add one.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "catalog", include_str!("../migrations/0001_catalog.sql")),
    (2, "events", include_str!("../migrations/0002_events.sql")),
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Any constant works as long as every lakecat uses the same one.
const MIGRATION_LOCK: i64 = 0x6c61_6b65_6361_7401;

/// The migrations applied by this call, as `(version, name)`.
pub fn migrate(c: &mut impl GenericClient) -> Result<Vec<(i32, &'static str)>> {
    let mut tx = c.transaction().map_err(pe)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(pe)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS lakecat_schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .map_err(pe)?;
    let current: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM lakecat_schema_migrations",
            &[],
        )
        .map_err(pe)?
        .get(0);
    if current > SCHEMA_VERSION {
        return Err(Error::storage(format!(
            "the catalog database has schema version {current}, newer than the version \
             {SCHEMA_VERSION} this lakecat knows: it was migrated by a newer lakecat; run that \
             release (or newer) against it"
        )));
    }
    let mut applied = Vec::new();
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql)
            .map_err(|e| pe(e).context(format!("schema migration {version} ({name})")))?;
        tx.execute(
            "INSERT INTO lakecat_schema_migrations (version, name) VALUES ($1, $2)",
            &[version, name],
        )
        .map_err(pe)?;
        applied.push((*version, *name));
    }
    tx.commit().map_err(pe)?;
    Ok(applied)
}

/// The schema version of the database, without changing it.
pub fn schema_version(c: &mut impl GenericClient) -> Result<Option<i32>> {
    let exists: bool = c
        .query_one(
            "SELECT to_regclass('lakecat_schema_migrations') IS NOT NULL",
            &[],
        )
        .map_err(pe)?
        .get(0);
    if !exists {
        return Ok(None);
    }
    Ok(
        c.query_one("SELECT max(version) FROM lakecat_schema_migrations", &[])
            .map_err(pe)?
            .get(0),
    )
}
