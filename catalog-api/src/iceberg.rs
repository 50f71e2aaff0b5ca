//! How an Apache Iceberg table appears in the catalog: the entry PyIceberg's Hive
//! and Glue catalogs write (`table_type=ICEBERG`, `metadata_location`, external,
//! the current schema as columns so that Hive and Glue readers see them). The
//! Iceberg REST front and the crawler both register tables through it, so a table
//! found by a crawl and one created over REST look the same to every engine.

use crate::model::{Column, StorageDescriptor, Table, TableType};
use crate::names::TableName;
use serde_json::Value;

/// The catalog entry for the table whose current metadata file is
/// `metadata_location` and holds `metadata`.
pub fn table_entry(name: TableName, metadata_location: &str, m: &Value) -> Result<Table, String> {
    let mut t = Table::new(name);
    t.table_type = Some(TableType::ExternalTable);
    t.parameters.insert("table_type".into(), "ICEBERG".into());
    t.parameters
        .insert("metadata_location".into(), metadata_location.into());
    t.parameters.insert("EXTERNAL".into(), "TRUE".into());
    let schema = current_schema(m).ok_or("the metadata has no current schema")?;
    t.storage_descriptor = Some(StorageDescriptor {
        columns: columns(Some(schema)),
        location: m["location"].as_str().map(str::to_string),
        ..Default::default()
    });
    Ok(t)
}

/// The schema `current-schema-id` names (format v2), or the single `schema` of v1.
pub fn current_schema(m: &Value) -> Option<&Value> {
    let current = m["current-schema-id"].as_i64();
    m["schemas"]
        .as_array()
        .and_then(|ss| ss.iter().find(|s| s["schema-id"].as_i64() == current))
        .or_else(|| m.get("schema"))
}

/// An Iceberg schema's fields as catalog columns.
pub fn columns(schema: Option<&Value>) -> Vec<Column> {
    schema
        .and_then(|s| s["fields"].as_array())
        .map(|fs| {
            fs.iter()
                .map(|f| Column {
                    name: f["name"].as_str().unwrap_or_default().to_string(),
                    type_: hive_type(&f["type"]),
                    comment: f["doc"].as_str().map(str::to_string),
                    parameters: Default::default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An Iceberg type as Hive spells it, as PyIceberg's Glue catalog (and its Hive
/// catalog in Hive 2 mode) maps them: `timestamptz` is `timestamp`, because Hive 2
/// clients (Spark's among them) cannot parse `timestamp with local time zone`.
pub fn hive_type(t: &Value) -> String {
    if let Some(p) = t.as_str() {
        return match p {
            "boolean" => "boolean".into(),
            "int" => "int".into(),
            "long" => "bigint".into(),
            "float" => "float".into(),
            "double" => "double".into(),
            "date" => "date".into(),
            "time" | "string" | "uuid" => "string".into(),
            "timestamp" | "timestamp_ns" | "timestamptz" | "timestamptz_ns" => "timestamp".into(),
            "binary" => "binary".into(),
            p if p.starts_with("fixed") => "binary".into(),
            p if p.starts_with("decimal") => p.replace(' ', ""),
            _ => "string".into(),
        };
    }
    match t["type"].as_str() {
        Some("struct") => {
            let fields: Vec<String> = t["fields"]
                .as_array()
                .map(|fs| {
                    fs.iter()
                        .map(|f| {
                            format!(
                                "{}:{}",
                                f["name"].as_str().unwrap_or_default(),
                                hive_type(&f["type"])
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!("struct<{}>", fields.join(","))
        }
        Some("list") => format!("array<{}>", hive_type(&t["element"])),
        Some("map") => format!("map<{},{}>", hive_type(&t["key"]), hive_type(&t["value"])),
        _ => "string".into(),
    }
}
