//! Partitions: ALTER TABLE ADD/DROP/RENAME PARTITION, MSCK REPAIR TABLE, SHOW PARTITIONS.

use super::results::StatementResult;
use super::session::*;
use lakecat_catalog_api::error::Error;
use lakecat_catalog_api::model::Partition;
use lakecat_catalog_api::names::TableIdent;
use lakecat_catalog_api::store::{all_partitions, CatalogStore};
use lakecat_ddl::ast::*;

pub fn run(
    store: &dyn CatalogStore,
    handle: &tokio::runtime::Handle,
    s: &mut Session,
    st: &Statement,
) -> R<StatementResult> {
    match st {
        Statement::AddPartitions {
            table,
            if_not_exists,
            partitions,
        } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            let mut parts = Vec::new();
            for (spec, loc) in partitions {
                let values = values_of(&t, spec, false)?;
                if !if_not_exists && store.get_partition(&id, &values).is_ok() {
                    return Err(Error::already_exists(format!(
                        "partition {} of table {id} already exists",
                        partition_name(&t, &values)
                    )));
                }
                // Hive's default: <table location>/k=v/…/ (none if the table has none).
                let location = match loc {
                    Some(l) => Some(l.clone()),
                    None => table_location(&t).ok().map(|tl| {
                        format!(
                            "{}/{}/",
                            tl.trim_end_matches('/'),
                            partition_name(&t, &values)
                        )
                    }),
                };
                parts.push(partition_at(&t, values, location));
            }
            let errs = store.create_partitions(&id, parts, true)?;
            if let Some(e) = errs.into_iter().next() {
                return Err(e.error);
            }
            Ok(ok(st))
        }
        Statement::DropPartitions {
            table,
            if_exists,
            partitions,
        } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            let mut values = Vec::new();
            for spec in partitions {
                let v = values_of(&t, spec, false)?;
                if !if_exists && store.get_partition(&id, &v).is_err() {
                    return Err(Error::not_found(format!(
                        "partition {} of table {id} does not exist",
                        partition_name(&t, &v)
                    )));
                }
                values.push(v);
            }
            store.delete_partitions(&id, &values)?;
            Ok(ok(st))
        }
        Statement::RenamePartition { table, from, to } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            let old = values_of(&t, from, false)?;
            let new = values_of(&t, to, false)?;
            let mut p = store.get_partition(&id, &old)?;
            p.values = new;
            store.update_partition(&id, &old, p)?;
            Ok(ok(st))
        }
        Statement::RepairTable { table, mode } => {
            let id = ident(s, table)?;
            repair(store, handle, &id, *mode, st)
        }
        Statement::ShowPartitions { table, partition } => {
            let id = ident(s, table)?;
            let t = store.get_table(&id)?;
            if t.partition_keys.is_empty() {
                return Err(Error::invalid(format!("table {id} is not partitioned")));
            }
            let fixed = match partition {
                Some(spec) => values_of(&t, spec, true)?,
                None => vec![],
            };
            let list: Vec<Vec<String>> = all_partitions(store, &id)?
                .into_iter()
                .filter(|p| {
                    fixed
                        .iter()
                        .zip(&p.values)
                        .all(|(f, v)| f.is_empty() || f == v)
                })
                .map(|p| vec![partition_name(&t, &p.values)])
                .collect();
            let mut r = rows(st, &["partition"], list);
            if projected(&t) {
                r.message = Some(format!(
                    "partition projection is enabled for {id}: its partitions are computed from projection.* properties, and only partitions stored in the catalog are listed"
                ));
            }
            Ok(r)
        }
        _ => unreachable!("dispatched by statement kind"),
    }
}

/// `MSCK REPAIR TABLE`: lists the table's location and adds the `k=v/…` folders
/// (holding at least one data file) that are not partitions yet, in atomic batches
/// of 1,000; DROP and SYNC also remove partitions whose folder holds no data.
fn repair(
    store: &dyn CatalogStore,
    handle: &tokio::runtime::Handle,
    id: &TableIdent,
    mode: RepairMode,
    st: &Statement,
) -> R<StatementResult> {
    let t = store.get_table(id)?;
    if t.partition_keys.is_empty() {
        return Err(Error::invalid(format!("table {id} is not partitioned")));
    }
    let location = table_location(&t)?.to_string();
    let (root, files) = handle
        .block_on(lakecat_crawler::crawl::list_objects(&location))
        .map_err(|e| Error::invalid(format!("listing {location}: {e}")))?;
    let keys: Vec<&str> = t.partition_keys.iter().map(|c| c.name.as_str()).collect();
    let mut found: std::collections::BTreeMap<Vec<String>, String> = Default::default();
    let mut skipped = 0usize;
    for (rel, _) in &files {
        let parts: Vec<&str> = rel.split('/').collect();
        if parts.len() <= keys.len() {
            skipped += 1;
            continue;
        }
        let mut values = Vec::with_capacity(keys.len());
        let mut good = true;
        for (part, key) in parts.iter().zip(&keys) {
            match part.split_once('=') {
                Some((k, v)) if k.eq_ignore_ascii_case(key) => values.push(
                    percent_encoding::percent_decode_str(v)
                        .decode_utf8_lossy()
                        .into_owned(),
                ),
                _ => {
                    good = false;
                    break;
                }
            }
        }
        let ok_types = good
            && values
                .iter()
                .zip(&t.partition_keys)
                .all(|(v, k)| check_value(k, v).is_ok());
        if ok_types {
            let dir = parts[..keys.len()].join("/");
            found.entry(values).or_insert(format!("{root}{dir}/"));
        } else {
            skipped += 1;
        }
    }
    let existing = all_partitions(store, id)?;
    let have: std::collections::BTreeSet<Vec<String>> =
        existing.iter().map(|p| p.values.clone()).collect();
    let mut report = Vec::new();
    if mode != RepairMode::Drop {
        let new: Vec<Partition> = found
            .iter()
            .filter(|(v, _)| !have.contains(*v))
            .map(|(v, loc)| partition_at(&t, v.clone(), Some(loc.clone())))
            .collect();
        for chunk in new.chunks(1000) {
            let errs = store.create_partitions(id, chunk.to_vec(), true)?;
            if let Some(e) = errs.into_iter().next() {
                return Err(e.error);
            }
            report.extend(
                chunk
                    .iter()
                    .map(|p| vec!["added".to_string(), partition_name(&t, &p.values)]),
            );
        }
    }
    if mode != RepairMode::Add {
        let gone: Vec<Vec<String>> = existing
            .iter()
            .filter(|p| !found.contains_key(&p.values))
            .map(|p| p.values.clone())
            .collect();
        for chunk in gone.chunks(1000) {
            store.delete_partitions(id, chunk)?;
            report.extend(
                chunk
                    .iter()
                    .map(|v| vec!["removed".to_string(), partition_name(&t, v)]),
            );
        }
    }
    let mut r = rows(st, &["action", "partition"], report);
    if skipped > 0 {
        r.message = Some(format!(
            "{skipped} files under {location} are not in key=value folders matching the partition keys ({})",
            keys.join(", ")
        ));
    }
    Ok(r)
}
