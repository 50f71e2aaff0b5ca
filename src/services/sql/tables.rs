//! CREATE/DROP TABLE and the ALTER TABLE statements that change a table.

use super::results::StatementResult;
use super::session::*;
use lakecat_catalog_api::error::{Error, ErrorKind};
use lakecat_catalog_api::model::{
    Database, Order, Parameters, SerDeInfo, StorageDescriptor, Table, TableType,
};
use lakecat_catalog_api::names::{DatabaseName, TableIdent};
use lakecat_catalog_api::store::{managed_table_folder, CatalogStore};
use lakecat_ddl::ast::*;

pub fn run(store: &dyn CatalogStore, s: &mut Session, st: &Statement) -> R<StatementResult> {
    match st {
        Statement::CreateTable(ct) => {
            let id = ident(s, &ct.name)?;
            if store.get_table(&id).is_ok() {
                if ct.if_not_exists {
                    return Ok(unchanged(st, format!("table {id} exists")));
                }
                return Err(Error::already_exists(format!("table {id} already exists")));
            }
            // Like Athena's and Hive's, the `default` database always exists: it is
            // created with the first table put in it (after the table is checked).
            let (db, missing_default) = match store.get_database(&id.database) {
                Ok(d) => (d, false),
                Err(e) if e.kind == ErrorKind::NotFound && id.database.as_str() == "default" => {
                    (Database::new(id.database.clone()), true)
                }
                Err(e) => return Err(e),
            };
            let table = table_of(ct, &id, &db)?;
            table.clone().normalize()?;
            if missing_default {
                store.create_database(db)?;
            }
            store.create_table(&id.database, table)?;
            Ok(ok(st))
        }
        Statement::DropTable { name, if_exists } => {
            let id = ident(s, name)?;
            match store.delete_table(&id) {
                Err(e) if e.kind == ErrorKind::NotFound && *if_exists => {
                    Ok(unchanged(st, format!("no table {id}")))
                }
                r => r.map(|_| ok(st)),
            }
        }
        Statement::SetLocation {
            table,
            partition,
            location,
        } => {
            let id = ident(s, table)?;
            let mut t = store.get_table(&id)?;
            match partition {
                None => {
                    t.storage_descriptor
                        .get_or_insert_with(Default::default)
                        .location = Some(location.clone());
                    update(store, &id, t)?;
                }
                Some(spec) => {
                    let v = values_of(&t, spec, false)?;
                    let mut p = store.get_partition(&id, &v)?;
                    p.storage_descriptor
                        .get_or_insert_with(Default::default)
                        .location = Some(location.clone());
                    store.update_partition(&id, &v, p)?;
                }
            }
            Ok(ok(st))
        }
        Statement::SetTblProperties { table, properties } => {
            let id = ident(s, table)?;
            let mut t = store.get_table(&id)?;
            t.parameters.extend(properties.iter().cloned());
            check_projection(&t)?;
            update(store, &id, t)?;
            Ok(ok(st))
        }
        Statement::AddColumns { table, columns } => {
            let id = ident(s, table)?;
            let mut t = store.get_table(&id)?;
            let sd = t.storage_descriptor.get_or_insert_with(Default::default);
            for c in columns {
                if sd.columns.iter().any(|x| x.name == c.name) {
                    return Err(Error::already_exists(format!(
                        "table {id} already has a column {}",
                        c.name
                    )));
                }
                sd.columns.push(column(c));
            }
            update(store, &id, t)?;
            Ok(ok(st))
        }
        Statement::ReplaceColumns { table, columns } => {
            let id = ident(s, table)?;
            let mut t = store.get_table(&id)?;
            t.storage_descriptor
                .get_or_insert_with(Default::default)
                .columns = columns.iter().map(column).collect();
            update(store, &id, t)?;
            Ok(ok(st))
        }
        Statement::RenameTable { table, to } => {
            let id = ident(s, table)?;
            let to = TableIdent::parse(
                to.database.as_deref().unwrap_or(id.database.as_str()),
                &to.name,
            )?;
            let mut t = store.get_table(&id)?;
            let expected = t.version_id;
            t.name = to.name;
            t.database_name = Some(to.database);
            let location = |d: &DatabaseName| Ok(store.get_database(d)?.location_uri);
            crate::services::rename::rename_table(store, &s.folders, &id, t, location, expected)?;
            Ok(ok(st))
        }
        _ => unreachable!("dispatched by statement kind"),
    }
}

/// SerDe and formats of `STORED AS …` (Hive's and Athena's classes).
fn stored_as(format: &str) -> (&'static str, &'static str, &'static str) {
    match format {
        "PARQUET" => (
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        ),
        "ORC" => (
            "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
            "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
            "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
        ),
        "AVRO" => (
            "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
            "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
            "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
        ),
        "JSON" => ("org.apache.hive.hcatalog.data.JsonSerDe", TEXT_IN, TEXT_OUT),
        "ION" => (
            "com.amazon.ionhiveserde.IonHiveSerDe",
            "com.amazon.ionhiveserde.formats.IonInputFormat",
            "com.amazon.ionhiveserde.formats.IonOutputFormat",
        ),
        "SEQUENCEFILE" => (
            LAZY_SIMPLE,
            "org.apache.hadoop.mapred.SequenceFileInputFormat",
            "org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat",
        ),
        "RCFILE" => (
            "org.apache.hadoop.hive.serde2.columnar.LazyBinaryColumnarSerDe",
            "org.apache.hadoop.hive.ql.io.RCFileInputFormat",
            "org.apache.hadoop.hive.ql.io.RCFileOutputFormat",
        ),
        _ => (LAZY_SIMPLE, TEXT_IN, TEXT_OUT),
    }
}

fn table_of(ct: &CreateTable, id: &TableIdent, db: &Database) -> R<Table> {
    let mut t = Table::new(id.name.clone());
    t.table_type = Some(if ct.external {
        TableType::ExternalTable
    } else {
        TableType::ManagedTable
    });
    t.description = ct.comment.clone();
    t.parameters = ct.properties.iter().cloned().collect();
    if ct.external {
        t.parameters.insert("EXTERNAL".into(), "TRUE".into());
    }
    t.partition_keys = ct.partitioned_by.iter().map(column).collect();
    let format = match &ct.stored_as {
        Some(StoredAs::Format(f)) => f.as_str(),
        _ => "TEXTFILE",
    };
    let (serde, input, output) = stored_as(format);
    let (mut input, mut output) = (input.to_string(), output.to_string());
    let mut serde_lib = serde.to_string();
    if let Some(StoredAs::InputOutput {
        input: i,
        output: o,
    }) = &ct.stored_as
    {
        // The classes as written; the SerDe follows from ROW FORMAT (default text).
        input = i.clone();
        output = o.clone();
        serde_lib = LAZY_SIMPLE.into();
    }
    let mut serde_params = Parameters::new();
    match &ct.row_format {
        Some(RowFormat::Serde { class, properties }) => {
            serde_lib = class.clone();
            serde_params.extend(properties.iter().cloned());
        }
        Some(RowFormat::Delimited {
            fields_terminated_by,
            escaped_by,
            collection_items_terminated_by,
            map_keys_terminated_by,
            lines_terminated_by,
            null_defined_as,
        }) => {
            serde_lib = LAZY_SIMPLE.into();
            let mut set = |k: &str, v: &Option<String>| {
                if let Some(v) = v {
                    serde_params.insert(k.into(), v.clone());
                }
            };
            set("field.delim", fields_terminated_by);
            set("serialization.format", fields_terminated_by);
            set("escape.delim", escaped_by);
            set("collection.delim", collection_items_terminated_by);
            set("mapkey.delim", map_keys_terminated_by);
            set("line.delim", lines_terminated_by);
            set("serialization.null.format", null_defined_as);
        }
        None => {
            if serde_lib == LAZY_SIMPLE || serde_lib.ends_with("ParquetHiveSerDe") {
                serde_params.insert("serialization.format".into(), "1".into());
            }
        }
    }
    let location = match &ct.location {
        Some(l) => Some(l.clone()),
        None if !ct.external => db
            .location_uri
            .as_ref()
            .map(|d| managed_table_folder(d, id.name.as_str())),
        None => None,
    };
    let (bucket_columns, sort_columns, buckets) = match &ct.clustered_by {
        Some(b) => (
            b.columns.clone(),
            b.sorted_by
                .iter()
                .map(|(c, asc)| Order {
                    column: c.clone(),
                    sort_order: i32::from(*asc),
                })
                .collect(),
            b.buckets as i32,
        ),
        None => (vec![], vec![], -1),
    };
    t.storage_descriptor = Some(StorageDescriptor {
        columns: ct.columns.iter().map(column).collect(),
        location,
        input_format: Some(input),
        output_format: Some(output),
        compressed: false,
        number_of_buckets: Some(buckets),
        serde_info: Some(SerDeInfo {
            name: None,
            serialization_library: Some(serde_lib),
            parameters: serde_params,
        }),
        bucket_columns,
        sort_columns,
        ..Default::default()
    });
    for b in &t
        .storage_descriptor
        .as_ref()
        .map(|s| s.bucket_columns.clone())
        .unwrap_or_default()
    {
        if !ct.columns.iter().any(|c| &c.name == b) {
            return Err(Error::invalid(format!(
                "bucket column {b} is not a column of the table"
            )));
        }
    }
    check_projection(&t)?;
    Ok(t)
}
