//! Applies a crawl to the catalog: one atomic write per table, with Glue's schema
//! change and deletion policies, and a report of every decision.
//!
//! Rules (docs/crawler.md, "Registering", repeats them):
//! - a new table is created with all its partitions in one write; if more tables
//!   would be created than the table threshold allows, nothing is written;
//! - an existing table at the same location is updated in one write (table plus
//!   new or changed partitions) when its schema, formats or partitions changed;
//!   with `UpdateBehavior::Log` only new partitions are added and the change is
//!   reported; with `merge_new_columns` existing columns keep their types and new
//!   columns are appended; parameters the crawler does not write (a user's) stay;
//! - partitions inherit the table's columns and formats (Glue's
//!   `InheritFromTable`), which avoids Athena's HIVE_PARTITION_SCHEMA_MISMATCH;
//! - a table the same crawler made under a crawled include path whose data is gone
//!   is deprecated (`DEPRECATED_BY_CRAWLER=<epoch ms>`), deleted, or only reported;
//! - a table of the same name at another location is never touched: the new table
//!   gets a deterministic suffix instead.

use lakecat_catalog_api::error::ErrorKind;
use lakecat_catalog_api::model::{Database, Partition, StorageDescriptor, Table};
use lakecat_catalog_api::names::{DatabaseName, TableIdent, TableName};
use lakecat_catalog_api::store::{CatalogStore, TableWrite};
use lakecat_crawler::crawl::{CrawlStats, Skipped};
use lakecat_crawler::CrawlOutput;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UpdateBehavior {
    /// Change tables in place (Glue's UPDATE_IN_DATABASE).
    Update,
    /// Only report schema changes (Glue's LOG); new partitions are still added.
    Log,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeleteBehavior {
    /// Mark vanished tables with DEPRECATED_BY_CRAWLER (Glue's default).
    Deprecate,
    /// Delete vanished tables from the catalog (never their data).
    Delete,
    /// Only report vanished tables.
    Log,
}

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub database: DatabaseName,
    pub update: UpdateBehavior,
    pub merge_new_columns: bool,
    pub delete: DeleteBehavior,
    pub dry_run: bool,
    pub table_threshold: Option<usize>,
    pub crawler_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Updated,
    Unchanged,
    /// A change was found but the update behaviour is LOG.
    Logged,
    Deprecated,
    Deleted,
    /// Gone from storage; the delete behaviour is LOG.
    Missing,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub name: String,
    pub location: String,
    pub classification: String,
    pub compression: String,
    pub partition_keys: Vec<ColumnReport>,
    pub columns: Vec<ColumnReport>,
    pub partitions: usize,
    pub new_partitions: usize,
    pub action: Action,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub database: String,
    pub dry_run: bool,
    pub tables: Vec<TableReport>,
    pub skipped: Vec<Skipped>,
    pub notes: Vec<String>,
    pub stats: CrawlStats,
}

fn cols(c: &[lakecat_catalog_api::model::Column]) -> Vec<ColumnReport> {
    c.iter()
        .map(|c| ColumnReport {
            name: c.name.clone(),
            type_: c.type_.clone(),
        })
        .collect()
}

fn location(t: &Table) -> Option<&str> {
    t.storage_descriptor.as_ref()?.location.as_deref()
}

/// The parts of a storage descriptor a crawl decides, for change detection.
fn shape(sd: Option<&StorageDescriptor>) -> Option<StorageDescriptor> {
    sd.map(|sd| StorageDescriptor {
        parameters: Default::default(),
        location: None,
        ..sd.clone()
    })
}

fn all_partitions(store: &dyn CatalogStore, id: &TableIdent) -> Result<Vec<Partition>, String> {
    lakecat_catalog_api::store::all_partitions(store, id).map_err(|e| e.to_string())
}

fn all_tables(store: &dyn CatalogStore, db: &DatabaseName) -> Result<Vec<Table>, String> {
    lakecat_catalog_api::store::all_tables(store, db, None).map_err(|e| e.to_string())
}

fn suffixed(name: &str, location: &str) -> String {
    let mut h: u32 = 0x811c9dc5;
    for b in location.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x01000193);
    }
    let suffix = format!("_{h:08x}");
    format!(
        "{}{suffix}",
        name.chars().take(128 - suffix.len()).collect::<String>()
    )
}

/// What will be done to one crawled table.
enum Plan {
    Create(TableWrite),
    Update(TableWrite, Vec<String>),
    AddPartitions(Vec<Partition>, Vec<String>),
    Nothing,
}

pub fn apply(
    store: &dyn CatalogStore,
    out: CrawlOutput,
    opts: &ApplyOptions,
) -> Result<Report, String> {
    let db = &opts.database;
    let mut notes = out.notes.clone();
    let db_exists = match store.get_database(db) {
        Ok(_) => true,
        Err(e) if e.kind == ErrorKind::NotFound => false,
        Err(e) => return Err(e.to_string()),
    };
    let existing = if db_exists {
        all_tables(store, db)?
    } else {
        Vec::new()
    };
    let by_name: BTreeMap<&str, &Table> = existing.iter().map(|t| (t.name.as_str(), t)).collect();

    // Decide every table first, so that the threshold can refuse before any write.
    let mut plans = Vec::new();
    let mut seen = HashSet::new();
    for mut ct in out.tables {
        let mut name = ct.table.name.as_str().to_string();
        if let Some(t) = by_name.get(name.as_str()) {
            let same = |a: &str| a.trim_end_matches('/') == ct.location.trim_end_matches('/');
            if !location(t).is_some_and(same) {
                let other = suffixed(&name, &ct.location);
                ct.notes.push(format!(
                    "table {name} already exists at {}; this one is named {other}",
                    location(t).unwrap_or("no location")
                ));
                name = other;
                ct.table.name = TableName::new(&name).map_err(|e| e.message)?;
            }
        }
        seen.insert(name.clone());
        let id = TableIdent::new(db.clone(), ct.table.name.clone());
        let (plan, new_parts) = match by_name.get(name.as_str()) {
            None => {
                let n = ct.partitions.len();
                (
                    Plan::Create(TableWrite {
                        table: ct.table.clone(),
                        expected_version: None,
                        put_partitions: ct.partitions.clone(),
                        delete_partitions: vec![],
                    }),
                    n,
                )
            }
            Some(cur) => plan_update(store, &id, cur, &ct.table, &ct.partitions, opts)?,
        };
        plans.push((ct, plan, new_parts));
    }
    let creates = plans
        .iter()
        .filter(|(_, p, _)| matches!(p, Plan::Create(_)))
        .count();
    if let Some(max) = opts.table_threshold {
        if creates > max {
            return Err(format!(
                "the crawl would create {creates} tables, more than the table threshold of {max}; nothing was written"
            ));
        }
    }
    if !db_exists {
        notes.push(format!("database {db} created"));
        if !opts.dry_run {
            store
                .create_database(Database::new(db.clone()))
                .map_err(|e| e.to_string())?;
        }
    }
    let mut tables = Vec::new();
    for (ct, plan, new_partitions) in plans {
        let sd = ct.table.storage_descriptor.as_ref();
        let mut report = TableReport {
            name: ct.table.name.as_str().to_string(),
            location: ct.location.clone(),
            classification: ct.classification.as_str().into(),
            compression: ct.compression.as_str().into(),
            partition_keys: cols(&ct.table.partition_keys),
            columns: cols(sd.map(|s| s.columns.as_slice()).unwrap_or(&[])),
            partitions: ct.partitions.len(),
            new_partitions,
            action: Action::Unchanged,
            changes: vec![],
            notes: ct.notes.clone(),
        };
        let id = TableIdent::new(db.clone(), ct.table.name.clone());
        let result = match plan {
            Plan::Create(w) => {
                report.action = Action::Created;
                if opts.dry_run {
                    Ok(())
                } else {
                    store.write_table(db, w).map(|_| ())
                }
            }
            Plan::Update(w, changes) => {
                report.action = Action::Updated;
                report.changes = changes;
                if opts.dry_run {
                    Ok(())
                } else {
                    store.write_table(db, w).map(|_| ())
                }
            }
            Plan::AddPartitions(parts, changes) => {
                report.action = if changes.is_empty() {
                    Action::Updated
                } else {
                    Action::Logged
                };
                report.changes = changes;
                if opts.dry_run || parts.is_empty() {
                    Ok(())
                } else {
                    store.create_partitions(&id, parts, true).map(|_| ())
                }
            }
            Plan::Nothing => Ok(()),
        };
        if let Err(e) = result {
            report.action = Action::Failed;
            report.notes.push(format!("not written: {e}"));
        }
        tables.push(report);
    }
    // Tables this crawler made under the crawled paths whose data is gone.
    for t in &existing {
        let name = t.name.as_str();
        if seen.contains(name) || t.parameters.get("UPDATED_BY_CRAWLER") != Some(&opts.crawler_name)
        {
            continue;
        }
        let Some(loc) = location(t) else { continue };
        if !out.roots.iter().any(|r| loc.starts_with(r.as_str())) {
            continue;
        }
        let mut report = TableReport {
            name: name.to_string(),
            location: loc.to_string(),
            classification: t
                .parameters
                .get("classification")
                .cloned()
                .unwrap_or_default(),
            compression: t
                .parameters
                .get("compressionType")
                .cloned()
                .unwrap_or_default(),
            partition_keys: cols(&t.partition_keys),
            columns: cols(t.columns()),
            partitions: 0,
            new_partitions: 0,
            action: Action::Missing,
            changes: vec!["no data found at its location".into()],
            notes: vec![],
        };
        let id = TableIdent::new(db.clone(), t.name.clone());
        let r = match opts.delete {
            DeleteBehavior::Log => Ok(()),
            DeleteBehavior::Delete => {
                report.action = Action::Deleted;
                if opts.dry_run {
                    Ok(())
                } else {
                    store.delete_table(&id)
                }
            }
            DeleteBehavior::Deprecate => {
                report.action = Action::Deprecated;
                if t.parameters.contains_key("DEPRECATED_BY_CRAWLER") {
                    report.action = Action::Missing;
                    report.changes.push("already deprecated".into());
                    Ok(())
                } else if opts.dry_run {
                    Ok(())
                } else {
                    let mut nt = t.clone();
                    let ms = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_millis())
                        .unwrap_or(0);
                    nt.parameters
                        .insert("DEPRECATED_BY_CRAWLER".into(), ms.to_string());
                    store
                        .write_table(
                            db,
                            TableWrite {
                                table: nt,
                                expected_version: t.version_id,
                                put_partitions: vec![],
                                delete_partitions: vec![],
                            },
                        )
                        .map(|_| ())
                }
            }
        };
        if let Err(e) = r {
            report.action = Action::Failed;
            report.notes.push(format!("not written: {e}"));
        }
        tables.push(report);
    }
    Ok(Report {
        database: db.as_str().to_string(),
        dry_run: opts.dry_run,
        tables,
        skipped: out.skipped,
        notes,
        stats: out.stats,
    })
}

fn plan_update(
    store: &dyn CatalogStore,
    id: &TableIdent,
    cur: &Table,
    new: &Table,
    parts: &[Partition],
    opts: &ApplyOptions,
) -> Result<(Plan, usize), String> {
    let mut changes = Vec::new();
    let key_names = |t: &Table| {
        t.partition_keys
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    let existing: BTreeMap<Vec<String>, Partition> = all_partitions(store, id)?
        .into_iter()
        .map(|p| (p.values.clone(), p))
        .collect();
    if key_names(cur) != key_names(new) {
        changes.push(format!(
            "partition keys would change from ({}) to ({}); the table is left as it is",
            key_names(cur).join(", "),
            key_names(new).join(", ")
        ));
        return Ok((Plan::AddPartitions(vec![], changes), 0));
    }
    let mut table = new.clone();
    if let Some(found) = new.parameters.get("metadata_location") {
        let current = cur.parameters.get("metadata_location");
        if current != Some(found) {
            use lakecat_crawler::open_formats::iceberg::location_version;
            // A commit may have moved the table on since the crawl read its folder:
            // the registration only ever moves forward.
            if let (Some(c), Some(f)) = (
                current.and_then(|c| location_version(c)),
                location_version(found),
            ) {
                if f <= c {
                    return Ok((Plan::Nothing, 0));
                }
            }
            changes.push(format!("metadata_location moved to {found}"));
            if let Some(c) = current {
                table
                    .parameters
                    .insert("previous_metadata_location".into(), c.clone());
            }
        }
        // Whoever registered the Iceberg table chose its formats and SerDe (Hive's
        // Iceberg storage handler, Glue's none); only its columns follow the metadata.
        if let (Some(sd), Some(csd)) = (
            table.storage_descriptor.as_mut(),
            cur.storage_descriptor.as_ref(),
        ) {
            *sd = StorageDescriptor {
                columns: std::mem::take(&mut sd.columns),
                ..csd.clone()
            };
        }
    }
    // Keep what people set: description, owner, their own parameters.
    table.description = cur.description.clone();
    table.owner = cur.owner.clone().or(table.owner);
    for (k, v) in &cur.parameters {
        if k != "DEPRECATED_BY_CRAWLER" && !table.parameters.contains_key(k) {
            table.parameters.insert(k.clone(), v.clone());
        }
    }
    table.partition_keys = cur.partition_keys.clone();
    if opts.merge_new_columns {
        if let (Some(sd), Some(csd)) = (
            table.storage_descriptor.as_mut(),
            cur.storage_descriptor.as_ref(),
        ) {
            let mut merged = csd.columns.clone();
            for c in &sd.columns {
                if !merged.iter().any(|m| m.name == c.name) {
                    merged.push(c.clone());
                }
            }
            sd.columns = merged;
        }
    }
    let old_cols: Vec<String> = cur
        .columns()
        .iter()
        .map(|c| format!("{} {}", c.name, c.type_))
        .collect();
    let new_cols: Vec<String> = table
        .columns()
        .iter()
        .map(|c| format!("{} {}", c.name, c.type_))
        .collect();
    for c in &new_cols {
        if !old_cols.contains(c) {
            changes.push(format!("column {c} added or changed"));
        }
    }
    for c in &old_cols {
        let n = c.split(' ').next().unwrap_or("");
        if !new_cols.iter().any(|x| x.split(' ').next() == Some(n)) {
            changes.push(format!("column {n} removed"));
        }
    }
    let shape_changed =
        shape(cur.storage_descriptor.as_ref()) != shape(table.storage_descriptor.as_ref());
    if shape_changed && changes.is_empty() {
        changes.push("storage format or SerDe changed".into());
    }
    if cur.parameters.contains_key("DEPRECATED_BY_CRAWLER") {
        changes.push("data is back: no longer deprecated".into());
    }
    // Partitions take the table's columns and formats; changed ones are rewritten.
    let table_shape = shape(table.storage_descriptor.as_ref());
    let mut new_parts = Vec::new();
    let mut changed_parts = Vec::new();
    for p in parts {
        let mut p = p.clone();
        if let (Some(psd), Some(tsd)) = (
            p.storage_descriptor.as_mut(),
            table.storage_descriptor.as_ref(),
        ) {
            psd.columns = tsd.columns.clone();
        }
        match existing.get(&p.values) {
            None => new_parts.push(p),
            Some(e) => {
                if shape(e.storage_descriptor.as_ref()) != table_shape {
                    changed_parts.push(p);
                }
            }
        }
    }
    let n_new = new_parts.len();
    if changes.is_empty() && new_parts.is_empty() && changed_parts.is_empty() {
        return Ok((Plan::Nothing, 0));
    }
    if opts.update == UpdateBehavior::Log || changes.is_empty() && changed_parts.is_empty() {
        if opts.update == UpdateBehavior::Log && !changes.is_empty() {
            // New partitions are always added; under LOG they keep the current schema.
            for p in &mut new_parts {
                if let (Some(psd), Some(csd)) = (
                    p.storage_descriptor.as_mut(),
                    cur.storage_descriptor.as_ref(),
                ) {
                    psd.columns = csd.columns.clone();
                }
            }
        }
        let changes = if opts.update == UpdateBehavior::Log {
            changes
        } else {
            vec![]
        };
        return Ok((Plan::AddPartitions(new_parts, changes), n_new));
    }
    if !changed_parts.is_empty() {
        changes.push(format!(
            "{} partitions take the new schema",
            changed_parts.len()
        ));
    }
    new_parts.extend(changed_parts);
    Ok((
        Plan::Update(
            TableWrite {
                table,
                expected_version: cur.version_id,
                put_partitions: new_parts,
                delete_partitions: vec![],
            },
            changes,
        ),
        n_new,
    ))
}

/// The report as people read it.
pub fn render_text(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}database {}",
        if r.dry_run {
            "[dry run: nothing written] "
        } else {
            ""
        },
        r.database
    );
    for t in &r.tables {
        let action = serde_json::to_value(t.action)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(s, "\ntable {} ({action})", t.name);
        let _ = writeln!(s, "  location        {}", t.location);
        let _ = writeln!(
            s,
            "  classification  {} (compression {})",
            t.classification, t.compression
        );
        if !t.partition_keys.is_empty() {
            let keys: Vec<String> = t
                .partition_keys
                .iter()
                .map(|c| format!("{} {}", c.name, c.type_))
                .collect();
            let _ = writeln!(
                s,
                "  partitioned by  {} ({} partitions, {} new)",
                keys.join(", "),
                t.partitions,
                t.new_partitions
            );
        }
        let _ = writeln!(s, "  columns");
        for c in &t.columns {
            let _ = writeln!(s, "    {:<24} {}", c.name, c.type_);
        }
        for c in &t.changes {
            let _ = writeln!(s, "  change: {c}");
        }
        for n in &t.notes {
            let _ = writeln!(s, "  note: {n}");
        }
    }
    if !r.skipped.is_empty() {
        let _ = writeln!(s, "\nskipped files");
        for k in &r.skipped {
            let _ = writeln!(s, "  {}: {}", k.path, k.reason);
        }
    }
    for n in &r.notes {
        let _ = writeln!(s, "note: {n}");
    }
    let st = &r.stats;
    let _ = writeln!(
        s,
        "\n{} objects listed, {} files read, {} bytes read, {} requests, {} zero-byte and {} non-data files ignored, {} excluded, {:.2} s{}",
        st.objects_listed,
        st.files_read,
        st.bytes_read,
        st.requests,
        st.zero_byte_files,
        st.not_data_files,
        st.excluded_files,
        st.seconds,
        st.peak_memory_bytes
            .map(|b| format!(", peak memory {} MiB", b >> 20))
            .unwrap_or_default()
    );
    s
}
