//! Renaming a table as Hive does, for the DDL and the Hive Metastore fronts.
//!
//! A table keeps its location under a new name, with one exception: a managed
//! table whose folder is its database's folder plus its name. Hive moves that
//! folder to the new name's place in the (possibly other) database's folder, and
//! the partitions under it follow; Spark relies on it (it re-creates a managed
//! table under the old name in the old, now empty, place). lakecat does the same
//! for local (`file:`) folders. In an object store the move would be a copy of
//! every object, which is not a catalog's job, so such a rename is refused.

use crate::services::folders::{local_path as file_dir, Effect, Folders};
use lakecat_catalog_api::model::Table;
use lakecat_catalog_api::store::{
    in_database_folder, managed_table_folder, table_exists, CatalogStore, UpdateTableOptions,
};
use lakecat_catalog_api::{DatabaseName, Error, Result, TableIdent};

/// Renames table `id` to `t`'s name in `t.database_name` (else `id`'s database),
/// replacing it with `t`. `database_location` says where a database keeps its
/// managed tables (`None`: nowhere in particular); a folder is moved only where
/// `folders` allows both ends.
pub fn rename_table(
    store: &dyn CatalogStore,
    folders: &Folders,
    id: &TableIdent,
    mut t: Table,
    database_location: impl Fn(&DatabaseName) -> Result<Option<String>>,
    expected_version: Option<u64>,
) -> Result<Table> {
    let to_db = t
        .database_name
        .clone()
        .unwrap_or_else(|| id.database.clone());
    let to = TableIdent::new(to_db, t.name.clone());
    let cur = store.get_table(id)?;
    let moves = in_database_folder(id, &cur, database_location(&id.database)?.as_deref());
    let mut opts = UpdateTableOptions {
        expected_version,
        rename: true,
        ..Default::default()
    };
    if !moves || to == *id {
        return store.update_table(id, t, opts);
    }
    let old_location = cur
        .storage_descriptor
        .as_ref()
        .and_then(|sd| sd.location.clone())
        .unwrap_or_default();
    let new_location = match database_location(&to.database)? {
        Some(db) => managed_table_folder(&db, to.name.as_str()),
        None => {
            return Err(Error::invalid(format!(
                "managed table {id} lives in its database's folder, but database {} has no location to move it to",
                to.database
            )))
        }
    };
    let (Some(from), Some(dest)) = (file_dir(&old_location), file_dir(&new_location)) else {
        return Err(Error::invalid(format!(
            "managed table {id} lives in its database's folder ({old_location}), which Hive would move \
             with a new name; lakecat moves local folders only, so set the table's location \
             elsewhere first or rename an external table"
        )));
    };
    if store.get_table(&to).is_ok() {
        return Err(table_exists(&to));
    }
    let from = folders.check(Effect::MoveFrom, &old_location, &from)?;
    let dest = folders.check(Effect::MoveTo, &new_location, &dest)?;
    if dest.exists() {
        return Err(Error::invalid(format!(
            "cannot move managed table {id} to {new_location}: that folder already exists"
        )));
    }
    t.storage_descriptor
        .get_or_insert_with(Default::default)
        .location = Some(new_location.clone());
    opts.relocate_partitions = true;
    // Move first, then write the catalog; undo the move if the write fails.
    let moved = from.exists();
    if moved {
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::invalid(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::rename(&from, &dest).map_err(|e| {
            Error::invalid(format!(
                "cannot move {} to {}: {e}",
                from.display(),
                dest.display()
            ))
        })?;
    }
    let r = store.update_table(id, t, opts);
    if r.is_err() && moved {
        let _ = std::fs::rename(&dest, &from);
    }
    r
}
