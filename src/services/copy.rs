//! `lakecat store copy --from URL --to URL`: a whole catalog (databases,
//! tables with their versions, indexes, statistics and partitions, functions,
//! and the services' records) from one store into an empty one, unchanged:
//! timestamps and version ids are kept, nothing is stamped anew. The source is
//! read page by page, so a catalog of any size copies in bounded memory.
//!
//! The copy is not one transaction (a catalog of millions of partitions does not
//! fit one), so it is made all-or-nothing for everything that uses the
//! destination: a marker record goes in first and comes out last, and a store
//! holding the marker is refused by every command but `store copy` itself (see
//! [`interrupted`]). Copying again into a store an interrupted copy left empties
//! it and starts over. Copy from a catalog no server is writing to, or the copy
//! is a mix of moments.

use lakecat_catalog_api::error::{Error, Result};
use lakecat_catalog_api::names::TableIdent;
use lakecat_catalog_api::store::*;
use serde::Serialize;

/// Partitions (and records) moved per write.
const PAGE: usize = 5_000;

/// The record space of the marker an unfinished copy leaves in its destination.
pub const COPY_SPACE: &str = "lakecat_copy";
const MARKER: &str = "in_progress";

/// When the copy that left `store` unfinished began, if one did.
pub fn interrupted(store: &dyn CatalogStore) -> Result<Option<String>> {
    Ok(store.get_record(COPY_SPACE, MARKER)?.map(|b| {
        serde_json::from_slice::<serde_json::Value>(&b)
            .ok()
            .and_then(|v| v["began"].as_str().map(str::to_string))
            .unwrap_or_else(|| "at an unknown time".into())
    }))
}

/// Removes everything an interrupted copy wrote (the store holds nothing else:
/// a copy only ever goes into an empty store), without logging it as changes.
fn empty(store: &dyn CatalogStore) -> Result<()> {
    store.set_change_log(false);
    let r = (|| {
        for db in all_databases(store)? {
            store.delete_database(&db.name, true)?;
        }
        for space in store.record_spaces()? {
            if space == COPY_SPACE {
                continue;
            }
            loop {
                let p = store.list_records(&space, "", &PageRequest::first(PAGE))?;
                if p.items.is_empty() {
                    break;
                }
                let deletes = p
                    .items
                    .iter()
                    .map(|(k, _)| RecordWrite::delete(&space, k))
                    .collect();
                store.write_records(deletes)?;
            }
        }
        Ok(())
    })();
    store.set_change_log(true);
    r
}

/// What a copy wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    pub databases: u64,
    pub tables: u64,
    pub table_versions: u64,
    pub partitions: u64,
    pub partition_indexes: u64,
    pub column_statistics: u64,
    pub functions: u64,
    pub records: u64,
    /// An interrupted copy's leftovers were removed first.
    pub restarted: bool,
}

impl std::fmt::Display for CopyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "copied {} database(s), {} table(s) with {} earlier version(s), {} partition(s), \
             {} partition index(es), {} column statistics record(s), {} function(s) and {} \
             service record(s){}",
            self.databases,
            self.tables,
            self.table_versions,
            self.partitions,
            self.partition_indexes,
            self.column_statistics,
            self.functions,
            self.records,
            if self.restarted {
                " (what an interrupted copy had left was removed first)"
            } else {
                ""
            }
        )
    }
}

/// Copies everything in `from` into `to`, which must be empty or hold what an
/// interrupted copy left.
pub fn copy(from: &dyn CatalogStore, to: &dyn CatalogStore) -> Result<CopyReport> {
    if let Some(began) = interrupted(from)? {
        return Err(Error::invalid(format!(
            "the source holds a copy that was interrupted (it began {began}): it is incomplete"
        )));
    }
    let mut r = CopyReport::default();
    if interrupted(to)?.is_some() {
        empty(to)?;
        r.restarted = true;
    }
    let (dbs, mut spaces) = (all_databases(to)?, to.record_spaces()?);
    spaces.retain(|s| s != COPY_SPACE);
    if !dbs.is_empty() || !spaces.is_empty() {
        return Err(Error::invalid(format!(
            "the destination is not empty (it has {} database(s) and records in {} space(s)); \
             copy into an empty store",
            dbs.len(),
            spaces.len()
        )));
    }
    let began = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    to.write_records(vec![RecordWrite::put(
        COPY_SPACE,
        MARKER,
        serde_json::to_vec(&serde_json::json!({ "began": began })).expect("JSON"),
    )])?;
    for db in all_databases(from)? {
        let name = db.name.clone();
        to.import_database(db)?;
        r.databases += 1;
        for f in all_functions(from, &name)? {
            to.import_function(&name, f)?;
            r.functions += 1;
        }
        for t in all_tables(from, &name, None)? {
            let id = TableIdent::new(name.clone(), t.name.clone());
            let image = from.export_table(&id)?;
            r.tables += 1;
            r.table_versions += image.versions.len() as u64;
            r.partition_indexes += image.indexes.len() as u64;
            r.column_statistics += image.statistics.len() as u64;
            to.import_table(&name, image)?;
            let mut page = PageRequest::first(PAGE);
            loop {
                let p = from.list_partitions(&id, None, &page)?;
                r.partitions += p.items.len() as u64;
                to.import_partitions(&id, p.items)?;
                match p.next_token {
                    Some(t) => page.token = Some(t),
                    None => break,
                }
            }
        }
    }
    for space in from.record_spaces()? {
        let mut page = PageRequest::first(PAGE);
        loop {
            let p = from.list_records(&space, "", &page)?;
            r.records += p.items.len() as u64;
            let writes = p
                .items
                .into_iter()
                .map(|(k, v)| RecordWrite::put(&space, &k, v))
                .collect();
            to.write_records(writes)?;
            match p.next_token {
                Some(t) => page.token = Some(t),
                None => break,
            }
        }
    }
    // Only now is the destination whole.
    to.write_records(vec![RecordWrite::delete(COPY_SPACE, MARKER)])?;
    Ok(r)
}

/// Everything a store holds, as one JSON document in a stable order: two
/// stores hold the same catalog exactly when their snapshots are equal.
pub fn snapshot(store: &dyn CatalogStore) -> Result<serde_json::Value> {
    use serde_json::json;
    let mut dbs = Vec::new();
    for db in all_databases(store)? {
        let name = db.name.clone();
        let mut tables = Vec::new();
        for t in all_tables(store, &name, None)? {
            let id = TableIdent::new(name.clone(), t.name.clone());
            let image = store.export_table(&id)?;
            let mut stats: Vec<serde_json::Value> = image
                .statistics
                .iter()
                .map(|(p, s)| json!({"partition": p, "statistics": enc(s)}))
                .collect();
            stats.sort_by_key(|v| v.to_string());
            let mut versions: Vec<serde_json::Value> = image.versions.iter().map(enc).collect();
            versions.sort_by_key(|v| v.to_string());
            tables.push(json!({
                "table": enc(&image.table),
                "versions": versions,
                "indexes": image.indexes.iter().map(enc).collect::<Vec<_>>(),
                "statistics": stats,
                "partitions": all_partitions(store, &id)?.iter().map(enc).collect::<Vec<_>>(),
            }));
        }
        dbs.push(json!({
            "database": enc(&db),
            "functions": all_functions(store, &name)?.iter().map(enc).collect::<Vec<_>>(),
            "tables": tables,
        }));
    }
    let mut records = Vec::new();
    for space in store.record_spaces()? {
        let mut page = PageRequest::first(PAGE);
        loop {
            let p = store.list_records(&space, "", &page)?;
            records.extend(p.items.into_iter().map(|(k, v)| json!([space, k, v])));
            match p.next_token {
                Some(t) => page.token = Some(t),
                None => break,
            }
        }
    }
    Ok(json!({"databases": dbs, "records": records}))
}

fn enc<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}
