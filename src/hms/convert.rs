//! The catalog model as Hive Metastore Thrift structs and back (field ids of Hive
//! 2.3; later versions only add fields, which decoding skips).
//!
//! Hive clients expect every struct member to be set (Spark dereferences the
//! storage descriptor, its SerDe info and every map without checks), so encoding
//! fills absent optional parts with empty values rather than leaving them out.

use super::thrift::{TStruct, TValue, T_STRING, T_STRUCT};
use lakecat_catalog_api::model::{
    Column, Database, Function, Order, Partition, ResourceUri, SerDeInfo, SkewedInfo,
    StorageDescriptor, Table, TableType,
};
use lakecat_catalog_api::names::unescape_path_name;
use lakecat_catalog_api::{DatabaseName, Error, Result, TableName};

fn secs(v: i64) -> TValue {
    TValue::I32(v.clamp(0, i32::MAX as i64) as i32)
}

pub fn field_schema(c: &Column) -> TStruct {
    TStruct::new()
        .with_str(1, c.name.clone())
        .with_str(2, c.type_.clone())
        .with_opt_str(3, c.comment.clone())
}

pub fn columns(cols: &[Column]) -> TValue {
    TValue::struct_list(cols.iter().map(field_schema))
}

fn column_of(s: &TStruct) -> Column {
    let mut c = Column::new(&s.str(1).unwrap_or_default(), &s.str(2).unwrap_or_default());
    c.comment = s.str(3).filter(|c| !c.is_empty());
    c
}

fn columns_of(v: &[TValue]) -> Vec<Column> {
    v.iter()
        .filter_map(TValue::as_struct)
        .map(column_of)
        .collect()
}

pub fn database(d: &Database) -> TStruct {
    TStruct::new()
        .with_str(1, d.name.as_str())
        .with_str(2, d.description.clone().unwrap_or_default())
        .with_str(3, d.location_uri.clone().unwrap_or_default())
        .with(4, TValue::str_map(&d.parameters))
        .with_str(6, d.owner_name.as_deref().unwrap_or("public"))
        .with(
            7,
            TValue::I32(principal_type_code(
                d.owner_type.as_deref().unwrap_or("ROLE"),
            )),
        )
}

/// Hive's `PrincipalType` (USER=1, ROLE=2, GROUP=3).
fn principal_type_code(t: &str) -> i32 {
    match t {
        "USER" => 1,
        "GROUP" => 3,
        _ => 2,
    }
}

fn principal_type_name(code: i64) -> Option<String> {
    match code {
        1 => Some("USER".into()),
        2 => Some("ROLE".into()),
        3 => Some("GROUP".into()),
        _ => None,
    }
}

pub fn database_of(s: &TStruct) -> Result<Database> {
    let mut d = Database::new(DatabaseName::new(&s.str(1).unwrap_or_default())?);
    d.description = s.str(2).filter(|x| !x.is_empty());
    d.location_uri = s.str(3).filter(|x| !x.is_empty());
    d.parameters = s.str_map(4);
    d.owner_name = s.str(6).filter(|x| !x.is_empty());
    d.owner_type = s.int(7).and_then(principal_type_name);
    Ok(d)
}

fn serde_info(s: Option<&SerDeInfo>) -> TStruct {
    let empty = SerDeInfo::default();
    let s = s.unwrap_or(&empty);
    TStruct::new()
        .with_str(1, s.name.clone().unwrap_or_default())
        .with_str(2, s.serialization_library.clone().unwrap_or_default())
        .with(3, TValue::str_map(&s.parameters))
}

fn skewed_info(s: Option<&SkewedInfo>) -> TStruct {
    let empty = SkewedInfo::default();
    let s = s.unwrap_or(&empty);
    TStruct::new()
        .with(1, TValue::str_list(s.skewed_column_names.clone()))
        .with(
            2,
            TValue::List(
                super::thrift::T_LIST,
                s.skewed_column_values
                    .iter()
                    .map(|v| TValue::str_list(v.split(',').map(str::to_string)))
                    .collect(),
            ),
        )
        .with(
            3,
            TValue::Map(
                super::thrift::T_LIST,
                T_STRING,
                s.skewed_column_value_location_maps
                    .iter()
                    .map(|(k, v)| {
                        (
                            TValue::str_list(k.split(',').map(str::to_string)),
                            TValue::Str(v.clone().into_bytes()),
                        )
                    })
                    .collect(),
            ),
        )
}

/// A storage descriptor with the given columns (partitions without their own
/// columns get their table's, as Hive stores them).
pub fn storage(sd: Option<&StorageDescriptor>, cols: &[Column]) -> TStruct {
    let empty = StorageDescriptor::default();
    let sd = sd.unwrap_or(&empty);
    let cols = if sd.columns.is_empty() {
        cols
    } else {
        &sd.columns
    };
    TStruct::new()
        .with(1, columns(cols))
        .with_str(2, sd.location.clone().unwrap_or_default())
        .with_str(3, sd.input_format.clone().unwrap_or_default())
        .with_str(4, sd.output_format.clone().unwrap_or_default())
        .with(5, TValue::Bool(sd.compressed))
        .with(6, TValue::I32(sd.number_of_buckets.unwrap_or(-1)))
        .with(7, TValue::Struct(serde_info(sd.serde_info.as_ref())))
        .with(8, TValue::str_list(sd.bucket_columns.clone()))
        .with(
            9,
            TValue::List(
                T_STRUCT,
                sd.sort_columns
                    .iter()
                    .map(|o| {
                        TValue::Struct(
                            TStruct::new()
                                .with_str(1, o.column.clone())
                                .with(2, TValue::I32(o.sort_order)),
                        )
                    })
                    .collect(),
            ),
        )
        .with(10, TValue::str_map(&sd.parameters))
        .with(11, TValue::Struct(skewed_info(sd.skewed_info.as_ref())))
        .with(
            12,
            TValue::Bool(sd.stored_as_sub_directories.unwrap_or(false)),
        )
}

pub fn storage_of(s: &TStruct) -> StorageDescriptor {
    let serde = s.strct(7).map(|x| SerDeInfo {
        name: x.str(1).filter(|v| !v.is_empty()),
        serialization_library: x.str(2).filter(|v| !v.is_empty()),
        parameters: x.str_map(3),
    });
    let skewed = s.strct(11).and_then(|x| {
        let names = x.strings(1);
        if names.is_empty() {
            return None;
        }
        Some(SkewedInfo {
            skewed_column_names: names,
            skewed_column_values: x
                .list(2)
                .iter()
                .map(|l| {
                    l.items()
                        .iter()
                        .filter_map(TValue::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect(),
            skewed_column_value_location_maps: match x.get(3) {
                Some(TValue::Map(_, _, kv)) => kv
                    .iter()
                    .filter_map(|(k, v)| {
                        let key = k
                            .items()
                            .iter()
                            .filter_map(TValue::as_str)
                            .collect::<Vec<_>>()
                            .join(",");
                        Some((key, v.as_str()?))
                    })
                    .collect(),
                _ => Default::default(),
            },
        })
    });
    StorageDescriptor {
        columns: columns_of(s.list(1)),
        location: s.str(2).filter(|v| !v.is_empty()),
        input_format: s.str(3).filter(|v| !v.is_empty()),
        output_format: s.str(4).filter(|v| !v.is_empty()),
        compressed: s.bool(5).unwrap_or(false),
        number_of_buckets: s.int(6).map(|n| n as i32),
        serde_info: serde,
        bucket_columns: s.strings(8),
        sort_columns: s
            .list(9)
            .iter()
            .filter_map(TValue::as_struct)
            .map(|o| Order {
                column: o.str(1).unwrap_or_default(),
                sort_order: o.int(2).unwrap_or(1) as i32,
            })
            .collect(),
        parameters: s.str_map(10),
        skewed_info: skewed,
        stored_as_sub_directories: s.bool(12),
        ..Default::default()
    }
}

pub fn table(t: &Table) -> TStruct {
    let mut params = t.parameters.clone();
    if let Some(d) = &t.description {
        params.entry("comment".into()).or_insert_with(|| d.clone());
    }
    TStruct::new()
        .with_str(1, t.name.as_str())
        .with_str(
            2,
            t.database_name
                .as_ref()
                .map(|d| d.as_str().to_string())
                .unwrap_or_default(),
        )
        .with_str(3, t.owner.clone().unwrap_or_default())
        .with(4, secs(t.create_time))
        .with(5, secs(t.last_access_time.unwrap_or(0)))
        .with(6, secs(t.retention.unwrap_or(0)))
        .with(
            7,
            TValue::Struct(storage(t.storage_descriptor.as_ref(), &[])),
        )
        .with(8, columns(&t.partition_keys))
        .with(9, TValue::str_map(&params))
        .with_str(10, t.view_original_text.clone().unwrap_or_default())
        .with_str(11, t.view_expanded_text.clone().unwrap_or_default())
        .with_str(
            12,
            t.table_type.unwrap_or(TableType::ExternalTable).as_str(),
        )
        .with(14, TValue::Bool(false))
        .with(15, TValue::Bool(false))
}

pub fn table_of(s: &TStruct) -> Result<Table> {
    let name = s
        .str(1)
        .ok_or_else(|| Error::invalid("the table has no tableName"))?;
    let mut t = Table::new(TableName::new(&name)?);
    t.owner = s.str(3).filter(|v| !v.is_empty());
    t.retention = s.int(6).filter(|v| *v != 0);
    t.storage_descriptor = s.strct(7).map(storage_of);
    t.partition_keys = columns_of(s.list(8));
    t.parameters = s.str_map(9);
    t.description = t.parameters.get("comment").cloned();
    t.view_original_text = s.str(10).filter(|v| !v.is_empty());
    t.view_expanded_text = s.str(11).filter(|v| !v.is_empty());
    t.table_type = match s.str(12).as_deref() {
        Some("MANAGED_TABLE") => Some(TableType::ManagedTable),
        Some("VIRTUAL_VIEW") => Some(TableType::VirtualView),
        Some("EXTERNAL_TABLE") | None | Some("") => Some(TableType::ExternalTable),
        Some(other) => {
            return Err(Error::invalid(format!(
                "table type {other} is not MANAGED_TABLE, EXTERNAL_TABLE or VIRTUAL_VIEW"
            )))
        }
    };
    Ok(t)
}

pub fn partition(p: &Partition, table: &Table) -> TStruct {
    TStruct::new()
        .with(1, TValue::str_list(p.values.clone()))
        .with_str(
            2,
            table
                .database_name
                .as_ref()
                .map(|d| d.as_str().to_string())
                .unwrap_or_default(),
        )
        .with_str(3, table.name.as_str())
        .with(4, secs(p.create_time))
        .with(5, secs(p.last_access_time.unwrap_or(0)))
        .with(
            6,
            TValue::Struct(storage(
                p.storage_descriptor
                    .as_ref()
                    .or(table.storage_descriptor.as_ref()),
                table.columns(),
            )),
        )
        .with(7, TValue::str_map(&p.parameters))
}

pub fn partition_of(s: &TStruct) -> Partition {
    let mut p = Partition::new(s.strings(1));
    p.storage_descriptor = s.strct(6).map(storage_of);
    p.parameters = s.str_map(7);
    p.last_access_time = s.int(5).filter(|v| *v > 0);
    p
}

/// Hive's partition name: `k1=v1/k2=v2`, values escaped as Hive escapes paths.
pub fn partition_name(keys: &[Column], values: &[String]) -> String {
    lakecat_catalog_api::names::partition_name(
        keys.iter()
            .map(|k| k.name.as_str())
            .zip(values.iter().map(String::as_str)),
    )
}

/// The values of a partition name (`k1=v1/k2=v2`) in key order.
pub fn values_of_name(keys: &[Column], name: &str) -> Result<Vec<String>> {
    let mut vals = Vec::new();
    for (i, part) in name.split('/').enumerate() {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| Error::invalid(format!("partition name {name:?} is not k=v/…")))?;
        let k = unescape_path_name(k);
        if keys.get(i).map(|c| c.name.as_str()) != Some(k.to_lowercase().as_str()) {
            return Err(Error::invalid(format!(
                "partition name {name:?} does not follow the keys {}",
                keys.iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        vals.push(unescape_path_name(v));
    }
    if vals.len() != keys.len() {
        return Err(Error::invalid(format!(
            "partition name {name:?} has {} values for {} keys",
            vals.len(),
            keys.len()
        )));
    }
    Ok(vals)
}

pub fn function(f: &Function) -> TStruct {
    let owner_type = principal_type_code(f.owner_type.as_deref().unwrap_or("USER"));
    TStruct::new()
        .with_str(1, f.function_name.clone())
        .with_str(
            2,
            f.database_name
                .as_ref()
                .map(|d| d.as_str().to_string())
                .unwrap_or_default(),
        )
        .with_str(3, f.class_name.clone())
        .with_str(4, f.owner_name.clone().unwrap_or_default())
        .with(5, TValue::I32(owner_type))
        .with(6, secs(f.create_time))
        .with(7, TValue::I32(1)) // JAVA
        .with(
            8,
            TValue::struct_list(f.resource_uris.iter().map(|r| {
                let kind = match r.resource_type.as_str() {
                    "FILE" => 2,
                    "ARCHIVE" => 3,
                    _ => 1,
                };
                TStruct::new()
                    .with(1, TValue::I32(kind))
                    .with_str(2, r.uri.clone())
            })),
        )
}

pub fn function_of(s: &TStruct) -> Function {
    Function {
        function_name: s.str(1).unwrap_or_default(),
        database_name: None,
        class_name: s.str(3).unwrap_or_default(),
        owner_name: s.str(4).filter(|v| !v.is_empty()),
        owner_type: s
            .int(5)
            .and_then(principal_type_name)
            .or(Some("USER".into())),
        create_time: 0,
        resource_uris: s
            .list(8)
            .iter()
            .filter_map(TValue::as_struct)
            .map(|r| ResourceUri {
                resource_type: match r.int(1) {
                    Some(2) => "FILE",
                    Some(3) => "ARCHIVE",
                    _ => "JAR",
                }
                .to_string(),
                uri: r.str(2).unwrap_or_default(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_escape_like_hive() {
        let keys = vec![Column::new("dt", "string"), Column::new("path", "string")];
        let vals = vec!["2024-01-01".to_string(), "a/b=c".to_string()];
        let n = partition_name(&keys, &vals);
        assert_eq!(n, "dt=2024-01-01/path=a%2Fb%3Dc");
        assert_eq!(values_of_name(&keys, &n).unwrap(), vals);
        assert!(values_of_name(&keys, "hour=1/path=x").is_err());
    }

    #[test]
    fn tables_round_trip() {
        let mut t = lakecat_catalog_api::conformance::sample_table("events");
        t.database_name = Some(DatabaseName::new("db").unwrap());
        let back = table_of(&table(&t)).unwrap();
        assert_eq!(back.partition_keys, t.partition_keys);
        assert_eq!(
            back.storage_descriptor.as_ref().unwrap().columns,
            t.storage_descriptor.as_ref().unwrap().columns
        );
        assert_eq!(back.parameters, t.parameters);
    }
}
