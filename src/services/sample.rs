//! The sample catalog `lakecat serve --sample-data` loads into an empty `sample`
//! database, so that a first run has something to look at.

use lakecat_catalog_api::model::{Database, Partition, Table};
use lakecat_catalog_api::store::CatalogStore;
use lakecat_catalog_api::{DatabaseName, Result, TableIdent};
use serde::Deserialize;

const SAMPLE: &str = include_str!("../../testdata/sample/catalog.json");

#[derive(Deserialize)]
struct SampleTable {
    table: Table,
    #[serde(default)]
    partitions: Vec<Partition>,
}

#[derive(Deserialize)]
struct SampleDb {
    database: Database,
    tables: Vec<SampleTable>,
}

/// Loads the sample catalog unless its databases exist; returns how many tables were created.
pub fn load(store: &dyn CatalogStore) -> Result<usize> {
    let dbs: Vec<SampleDb> =
        serde_json::from_str(SAMPLE).expect("the built-in sample catalog is valid JSON");
    let mut created = 0;
    for d in dbs {
        let name: DatabaseName = d.database.name.clone();
        if store.get_database(&name).is_ok() {
            continue;
        }
        store.create_database(d.database)?;
        for t in d.tables {
            let id = TableIdent::new(name.clone(), t.table.name.clone());
            store.create_table(&name, t.table)?;
            let errors = store.create_partitions(&id, t.partitions, false)?;
            if let Some(e) = errors.into_iter().next() {
                return Err(e.error);
            }
            created += 1;
        }
    }
    Ok(created)
}
