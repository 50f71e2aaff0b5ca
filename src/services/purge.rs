//! Purging a table's files when it is dropped with `purgeRequested=true` (the
//! Iceberg REST front): everything under the table's location goes, as Lakekeeper
//! and Polaris purge, including files no snapshot references any more.
//!
//! A purge is checked before the catalog entry is dropped, so a refusal changes
//! nothing: the location must lie strictly inside a folder or `s3://` prefix the
//! fronts may change (`--allowed-locations`, the warehouse), and no other table of
//! the catalog may live under it (a table located at its namespace's folder would
//! otherwise take its neighbours with it). The files are deleted after the entry
//! is gone; a failure then is logged (the drop has committed).

use super::folders::{is_object, local_path, object_url, Effect, Folders};
use lakecat_catalog_api::store::{all_databases, all_tables, CatalogStore};
use lakecat_catalog_api::{Error, Result, TableIdent};
use std::path::{Path, PathBuf};

/// A location as a comparable prefix: `s3://bucket/a/b` or a local path, without
/// a trailing slash.
fn normal(location: &str) -> String {
    let l = object_url(location);
    let l = match local_path(&l) {
        Some(p) => p.to_string_lossy().into_owned(),
        None => l,
    };
    l.trim_end_matches('/').to_string()
}

/// Every table's storage location, but `except`'s.
fn other_locations(
    store: &dyn CatalogStore,
    except: &TableIdent,
) -> Result<Vec<(TableIdent, String)>> {
    let mut out = Vec::new();
    for d in all_databases(store)? {
        for t in all_tables(store, &d.name, None)? {
            let id = TableIdent::new(d.name.clone(), t.name.clone());
            if &id == except {
                continue;
            }
            if let Some(l) = t.storage_descriptor.and_then(|sd| sd.location) {
                out.push((id, l));
            }
        }
    }
    Ok(out)
}

/// Whether the files under `location` may be purged for table `id`; the reason
/// if not.
pub fn check(
    store: &dyn CatalogStore,
    folders: &Folders,
    id: &TableIdent,
    location: &str,
) -> Result<()> {
    if is_object(location) {
        folders.check_object(Effect::Delete, &format!("{}/", normal(location)))?;
        if folders.is_object_root(location) {
            return Err(Error::invalid(format!(
                "cannot purge {location}: it is an allowed prefix itself, not a table's folder"
            )));
        }
    } else {
        let path = local_path(location).unwrap_or_else(|| PathBuf::from(location));
        folders.check(Effect::Delete, location, &path)?;
    }
    let mine = normal(location);
    for (other, l) in other_locations(store, id)? {
        let theirs = normal(&l);
        if theirs == mine || theirs.starts_with(&format!("{mine}/")) {
            return Err(Error::invalid(format!(
                "cannot purge {location}: table {other} lives at {l}, under it; drop without purge, or move that table first"
            )));
        }
    }
    Ok(())
}

/// Deletes every file under `location` (checked again here); how many were deleted.
pub async fn delete(folders: &Folders, location: &str) -> Result<u64> {
    if is_object(location) {
        use futures_util::StreamExt;
        use object_store::ObjectStoreExt;
        folders.check_object(Effect::Delete, &format!("{}/", normal(location)))?;
        let src = lakecat_crawler::source::Source::open(location, 8)
            .map_err(|e| Error::storage(format!("purging {location}: {e}")))?;
        let mut listing = src.store.list(Some(&src.prefix));
        let mut n = 0;
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| Error::storage(format!("listing {location}: {e}")))?;
            src.store
                .delete(&meta.location)
                .await
                .map_err(|e| Error::storage(format!("deleting {}: {e}", meta.location)))?;
            n += 1;
        }
        return Ok(n);
    }
    let path = local_path(location).unwrap_or_else(|| PathBuf::from(location));
    let path = folders.check(Effect::Delete, location, &path)?;
    tokio::task::spawn_blocking(move || remove_counting(&path))
        .await
        .map_err(|e| Error::storage(format!("purge task failed: {e}")))?
}

fn remove_counting(path: &Path) -> Result<u64> {
    let mut n = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            // Links are not followed: only what lies in the folder is counted.
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                _ => n += 1,
            }
        }
    }
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(n),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(Error::storage(format!("purging {}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lakecat_catalog_api::memory::MemoryStore;
    use lakecat_catalog_api::model::{Database, StorageDescriptor, Table};
    use lakecat_catalog_api::{DatabaseName, TableName};

    #[test]
    fn only_a_tables_own_folder_inside_the_roots_is_purged() {
        let dir = tempfile::tempdir().unwrap();
        let wh = dir.path().join("wh");
        let folders = Folders::new(&wh, &["s3://lake/ice/".to_string()], None);
        let store = MemoryStore::new(5);
        let db = DatabaseName::new("db").unwrap();
        store.create_database(Database::new(db.clone())).unwrap();
        let mut t = Table::new(TableName::new("neighbour").unwrap());
        t.storage_descriptor = Some(StorageDescriptor {
            location: Some(format!("file://{}/db.db/neighbour/", wh.display())),
            ..Default::default()
        });
        store.create_table(&db, t).unwrap();
        let id = TableIdent::parse("db", "t").unwrap();
        let ok = |l: &str| check(&store, &folders, &id, l);
        assert!(ok(&format!("file://{}/db.db/t", wh.display())).is_ok());
        assert!(ok(&format!("file://{}/db.db/neighbour2", wh.display())).is_ok());
        assert!(ok("s3://lake/ice/t").is_ok());
        let refused = |l: &str| ok(l).unwrap_err().message;
        assert!(refused(&format!("file://{}/db.db", wh.display())).contains("db.neighbour"));
        assert!(
            refused(&format!("file://{}/db.db/neighbour/", wh.display())).contains("db.neighbour")
        );
        assert!(refused(&format!("file://{}", wh.display())).contains("strictly inside"));
        assert!(refused("file:///etc").contains("strictly inside"));
        assert!(refused("s3://lake/ice/").contains("allowed prefix itself"));
        assert!(refused("s3://lake/other/t").contains("--allowed-locations"));
    }
}
