//! The catalog's model: Glue's Data Catalog shapes with snake_case field names.
//!
//! One struct serves as both input and output: a `TableInput` written in snake_case
//! deserialises into [`Table`], and fields the server manages (`create_time`,
//! `database_name`, …) are accepted on input but overwritten, so a client can GET,
//! edit and PUT back. Unknown fields are rejected so that typos do not pass silently.
//!
//! `normalize` methods apply Hive's rules (lower-case names, canonical type strings)
//! and Glue's limits; every store calls them before writing.

use crate::error::{Error, Result};
use crate::limits::*;
use crate::names::{normalize_name, DatabaseName, TableName};
use crate::types::canonical_type;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Display;

pub type Parameters = BTreeMap<String, String>;

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub name: DatabaseName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_uri: Option<String>,
    #[serde(default)]
    pub parameters: Parameters,
    /// Seconds since the epoch; set by the store.
    #[serde(default)]
    pub create_time: i64,
    /// The owner Hive clients send (Spark: the user who ran CREATE DATABASE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
    /// `USER`, `ROLE` or `GROUP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_type: Option<String>,
}

impl Database {
    pub fn new(name: DatabaseName) -> Self {
        Database {
            name,
            description: None,
            location_uri: None,
            parameters: Parameters::new(),
            create_time: 0,
            owner_name: None,
            owner_type: None,
        }
    }

    pub fn normalize(&mut self) -> Result<()> {
        check_len(
            "description",
            self.description.as_deref(),
            MAX_DESCRIPTION_LEN,
        )?;
        check_len(
            "location_uri",
            self.location_uri.as_deref(),
            MAX_LOCATION_LEN,
        )?;
        check_owner(self.owner_name.as_deref(), self.owner_type.as_deref())?;
        check_parameters("parameters", &self.parameters)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TableType {
    ExternalTable,
    ManagedTable,
    VirtualView,
}

impl TableType {
    pub fn as_str(self) -> &'static str {
        match self {
            TableType::ExternalTable => "EXTERNAL_TABLE",
            TableType::ManagedTable => "MANAGED_TABLE",
            TableType::VirtualView => "VIRTUAL_VIEW",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "EXTERNAL_TABLE" => Ok(TableType::ExternalTable),
            "MANAGED_TABLE" => Ok(TableType::ManagedTable),
            "VIRTUAL_VIEW" => Ok(TableType::VirtualView),
            _ => Err(Error::invalid(format!(
                "table_type {s:?} is not one of EXTERNAL_TABLE, MANAGED_TABLE, VIRTUAL_VIEW"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: Parameters,
}

impl Column {
    pub fn new(name: &str, type_: &str) -> Self {
        Column {
            name: name.into(),
            type_: type_.into(),
            comment: None,
            parameters: Parameters::new(),
        }
    }

    // `at` is only formatted when a check fails: partitions arrive by the
    // hundred thousand and their checks must not allocate.
    fn normalize(&mut self, at: impl Display + Copy) -> Result<()> {
        self.name = normalize_name("column name", &self.name).map_err(|e| e.context(at))?;
        self.type_ = canonical_type(&self.type_)
            .map_err(|e| Error::invalid(format!("{at}.type {:?}: {e}", self.type_)))?;
        check_len(
            format_args!("{at}.comment"),
            self.comment.as_deref(),
            MAX_COMMENT_LEN,
        )?;
        check_parameters(format_args!("{at}.parameters"), &self.parameters)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerDeInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serialization_library: Option<String>,
    #[serde(default)]
    pub parameters: Parameters,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub column: String,
    /// 1 ascending, 0 descending (Hive's convention).
    pub sort_order: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkewedInfo {
    #[serde(default)]
    pub skewed_column_names: Vec<String>,
    #[serde(default)]
    pub skewed_column_values: Vec<String>,
    #[serde(default)]
    pub skewed_column_value_location_maps: Parameters,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageDescriptor {
    #[serde(default)]
    pub columns: Vec<Column>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_locations: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_format: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub compressed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_buckets: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serde_info: Option<SerDeInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bucket_columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sort_columns: Vec<Order>,
    #[serde(default)]
    pub parameters: Parameters,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skewed_info: Option<SkewedInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_as_sub_directories: Option<bool>,
}

impl StorageDescriptor {
    fn normalize(&mut self, at: &str) -> Result<()> {
        check_unique_columns(format_args!("{at}.columns"), &mut self.columns)?;
        check_len(
            format_args!("{at}.location"),
            self.location.as_deref(),
            MAX_LOCATION_LEN,
        )?;
        for (i, l) in self.additional_locations.iter().enumerate() {
            check_len(
                format_args!("{at}.additional_locations[{i}]"),
                Some(l),
                MAX_LOCATION_LEN,
            )?;
        }
        check_parameters(format_args!("{at}.parameters"), &self.parameters)?;
        if let Some(s) = &self.serde_info {
            check_parameters(format_args!("{at}.serde_info.parameters"), &s.parameters)?;
        }
        if let Some(n) = self.number_of_buckets {
            if n < -1 {
                return Err(Error::invalid(format!(
                    "{at}.number_of_buckets must be -1 or more, not {n}"
                )));
            }
        }
        for o in &self.sort_columns {
            if o.sort_order != 0 && o.sort_order != 1 {
                return Err(Error::invalid(format!(
                    "{at}.sort_columns: sort_order of {:?} must be 0 (descending) or 1 (ascending)",
                    o.column
                )));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub name: TableName,
    /// Set by the store from the table's address; ignored on input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<DatabaseName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_type: Option<TableType>,
    #[serde(default)]
    pub parameters: Parameters,
    #[serde(default)]
    pub partition_keys: Vec<Column>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_descriptor: Option<StorageDescriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_original_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_expanded_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_access_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_analyzed_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<i64>,
    /// Seconds since the epoch; set by the store.
    #[serde(default)]
    pub create_time: i64,
    #[serde(default)]
    pub update_time: i64,
    /// On output the current version. On an update, if present, the version the
    /// writer last saw: the update fails with a conflict when it is no longer current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<u64>,
}

impl Table {
    pub fn new(name: TableName) -> Self {
        Table {
            name,
            database_name: None,
            description: None,
            owner: None,
            table_type: None,
            parameters: Parameters::new(),
            partition_keys: Vec::new(),
            storage_descriptor: None,
            view_original_text: None,
            view_expanded_text: None,
            last_access_time: None,
            last_analyzed_time: None,
            retention: None,
            create_time: 0,
            update_time: 0,
            version_id: None,
        }
    }

    pub fn normalize(&mut self) -> Result<()> {
        check_len(
            "description",
            self.description.as_deref(),
            MAX_DESCRIPTION_LEN,
        )?;
        check_len("owner", self.owner.as_deref(), MAX_NAME_LEN)?;
        check_len(
            "view_original_text",
            self.view_original_text.as_deref(),
            MAX_VIEW_TEXT_LEN,
        )?;
        check_len(
            "view_expanded_text",
            self.view_expanded_text.as_deref(),
            MAX_VIEW_TEXT_LEN,
        )?;
        check_parameters("parameters", &self.parameters)?;
        check_unique_columns("partition_keys", &mut self.partition_keys)?;
        if let Some(sd) = &mut self.storage_descriptor {
            sd.normalize("storage_descriptor")?;
            // Hive rejects a partition key that repeats a data column: the two would
            // shadow each other in every query.
            if let Some(dup) = self
                .partition_keys
                .iter()
                .find(|k| sd.columns.iter().any(|c| c.name == k.name))
            {
                return Err(Error::invalid(format!(
                    "partition key '{}' repeats a column of storage_descriptor.columns",
                    dup.name
                )));
            }
        }
        Ok(())
    }

    pub fn columns(&self) -> &[Column] {
        self.storage_descriptor
            .as_ref()
            .map(|sd| sd.columns.as_slice())
            .unwrap_or(&[])
    }
}

/// A table as it was before an update (Glue's `TableVersion`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableVersion {
    pub version_id: u64,
    pub table: Table,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// One value for each partition key, in key order.
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<DatabaseName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_name: Option<TableName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_descriptor: Option<StorageDescriptor>,
    #[serde(default)]
    pub parameters: Parameters,
    #[serde(default)]
    pub create_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_access_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_analyzed_time: Option<i64>,
}

impl Partition {
    pub fn new(values: Vec<String>) -> Self {
        Partition {
            values,
            database_name: None,
            table_name: None,
            storage_descriptor: None,
            parameters: Parameters::new(),
            create_time: 0,
            last_access_time: None,
            last_analyzed_time: None,
        }
    }

    /// Checks the partition against its table's keys and Glue's limits.
    pub fn normalize(&mut self, keys: &[Column]) -> Result<()> {
        check_values(&self.values, keys)?;
        check_parameters("parameters", &self.parameters)?;
        if let Some(sd) = &mut self.storage_descriptor {
            sd.normalize("storage_descriptor")?;
        }
        Ok(())
    }
}

/// Checks a list of partition values against the table's partition keys.
pub fn check_values(values: &[String], keys: &[Column]) -> Result<()> {
    if keys.is_empty() {
        return Err(Error::invalid(
            "the table has no partition keys, so it cannot have partitions",
        ));
    }
    if values.len() != keys.len() {
        return Err(Error::invalid(format!(
            "{} partition values given but the table has {} partition keys ({})",
            values.len(),
            keys.len(),
            keys.iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    for (v, k) in values.iter().zip(keys) {
        if v.len() > MAX_PARTITION_VALUE_LEN {
            return Err(Error::invalid(format!(
                "the value of partition key '{}' is {} bytes long; the limit is {MAX_PARTITION_VALUE_LEN}",
                k.name,
                v.len()
            )));
        }
    }
    Ok(())
}

fn check_len(what: impl Display, value: Option<&str>, max: usize) -> Result<()> {
    match value {
        Some(v) if v.chars().count() > max => Err(Error::new(
            crate::error::ErrorKind::InvalidInput,
            format!(
                "{what} is {} characters long; the limit is {max}",
                v.chars().count()
            ),
        )),
        _ => Ok(()),
    }
}

fn check_parameters(what: impl Display, params: &Parameters) -> Result<()> {
    for (k, v) in params {
        if k.is_empty() || k.chars().count() > MAX_PARAM_KEY_LEN {
            return Err(Error::invalid(format!(
                "{what}: key {:?} must be 1 to {MAX_PARAM_KEY_LEN} characters long",
                k.chars().take(40).collect::<String>()
            )));
        }
        if v.len() > MAX_PARAM_VALUE_LEN {
            return Err(Error::invalid(format!(
                "{what}: the value of {k:?} is {} bytes long; the limit is {MAX_PARAM_VALUE_LEN}",
                v.len()
            )));
        }
    }
    Ok(())
}

/// Whether `cols` would pass a table's checks (names, types, no repeats): what a
/// crawler asks of one file's columns before they can spoil a whole table.
pub fn check_columns(cols: &[Column]) -> Result<()> {
    check_unique_columns("columns", &mut cols.to_vec())
}

fn check_unique_columns(what: impl Display, cols: &mut [Column]) -> Result<()> {
    let mut seen = HashSet::new();
    for (i, c) in cols.iter_mut().enumerate() {
        c.normalize(format_args!("{what}[{i}]"))?;
        if !seen.insert(c.name.clone()) {
            return Err(Error::invalid(format!(
                "{what}[{i}]: column '{}' appears twice",
                c.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glue_table_input_in_snake_case_is_a_table() {
        let json = r#"{
          "name": "Events", "table_type": "EXTERNAL_TABLE", "description": "d",
          "partition_keys": [{"name": "DT", "type": "string"}],
          "parameters": {"classification": "parquet"},
          "retention": 0,
          "storage_descriptor": {
            "columns": [{"name": "Id", "type": "BIGINT", "comment": "c"}, {"name": "s", "type": "struct<a : int>"}],
            "location": "s3://b/events/",
            "input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "output_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "compressed": false, "number_of_buckets": -1,
            "serde_info": {"serialization_library": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", "parameters": {"serialization.format": "1"}},
            "bucket_columns": [], "sort_columns": [], "parameters": {}, "stored_as_sub_directories": false
          }
        }"#;
        let mut t: Table = serde_json::from_str(json).unwrap();
        t.normalize().unwrap();
        assert_eq!(t.name.as_str(), "events");
        assert_eq!(t.partition_keys[0].name, "dt");
        let cols = t.columns();
        assert_eq!(
            (cols[0].name.as_str(), cols[0].type_.as_str()),
            ("id", "bigint")
        );
        assert_eq!(cols[1].type_, "struct<a:int>");
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let e = serde_json::from_str::<Table>(r#"{"name":"t","partition_key":[]}"#).unwrap_err();
        assert!(
            e.to_string().contains("unknown field `partition_key`"),
            "{e}"
        );
    }

    #[test]
    fn validation_names_the_field() {
        let mut t: Table = serde_json::from_str(
            r#"{"name":"t","storage_descriptor":{"columns":[{"name":"a","type":"int"},{"name":"b","type":"strin"}]}}"#,
        )
        .unwrap();
        let e = t.normalize().unwrap_err();
        assert!(
            e.message
                .starts_with("storage_descriptor.columns[1].type \"strin\": unknown type"),
            "{}",
            e.message
        );

        let mut t: Table = serde_json::from_str(
            r#"{"name":"t","partition_keys":[{"name":"A","type":"int"}],"storage_descriptor":{"columns":[{"name":"a","type":"int"}]}}"#,
        )
        .unwrap();
        assert!(t
            .normalize()
            .unwrap_err()
            .message
            .contains("repeats a column"));

        let mut t = Table::new(TableName::new("t").unwrap());
        t.parameters
            .insert("k".into(), "v".repeat(MAX_PARAM_VALUE_LEN + 1));
        assert!(t
            .normalize()
            .unwrap_err()
            .message
            .contains("limit is 512000"));

        let mut t = Table::new(TableName::new("t").unwrap());
        t.description = Some("x".repeat(2049));
        assert!(t.normalize().unwrap_err().message.contains("description"));
    }

    #[test]
    fn partition_values_are_checked_against_keys() {
        let keys = vec![Column::new("dt", "string"), Column::new("hour", "int")];
        let mut p = Partition::new(vec!["2024-01-01".into()]);
        assert!(p
            .normalize(&keys)
            .unwrap_err()
            .message
            .contains("1 partition values given but the table has 2"));
        let mut p = Partition::new(vec!["x".repeat(1025), "1".into()]);
        assert!(p
            .normalize(&keys)
            .unwrap_err()
            .message
            .contains("limit is 1024"));
        let mut p = Partition::new(vec!["2024-01-01".into(), "1".into()]);
        p.normalize(&keys).unwrap();
    }
}

/// A user-defined function (Glue's `UserDefinedFunction`, Hive's `Function`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Function {
    /// Stored lower case, like every catalog name.
    pub function_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<DatabaseName>,
    pub class_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
    /// `USER`, `ROLE` or `GROUP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_type: Option<String>,
    #[serde(default)]
    pub create_time: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_uris: Vec<ResourceUri>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceUri {
    /// `JAR`, `FILE` or `ARCHIVE`.
    pub resource_type: String,
    pub uri: String,
}

/// Hive's owners: a name and one of its principal types.
fn check_owner(name: Option<&str>, type_: Option<&str>) -> Result<()> {
    check_len("owner_name", name, MAX_NAME_LEN)?;
    match type_ {
        Some(t) if !["USER", "ROLE", "GROUP"].contains(&t) => Err(Error::invalid(format!(
            "owner_type {t:?} is not one of USER, ROLE, GROUP"
        ))),
        _ => Ok(()),
    }
}

impl Function {
    pub fn normalize(&mut self) -> Result<()> {
        self.function_name = normalize_name("function name", &self.function_name)?;
        if self.class_name.trim().is_empty() {
            return Err(Error::invalid("class_name must not be empty"));
        }
        check_len("class_name", Some(&self.class_name), MAX_NAME_LEN)?;
        check_owner(self.owner_name.as_deref(), self.owner_type.as_deref())?;
        if self.resource_uris.len() > 1000 {
            return Err(Error::invalid("at most 1000 resource_uris"));
        }
        for (i, r) in self.resource_uris.iter().enumerate() {
            if !["JAR", "FILE", "ARCHIVE"].contains(&r.resource_type.as_str()) {
                return Err(Error::invalid(format!(
                    "resource_uris[{i}].resource_type {:?} is not one of JAR, FILE, ARCHIVE",
                    r.resource_type
                )));
            }
            check_len(
                format_args!("resource_uris[{i}].uri"),
                Some(&r.uri),
                MAX_LOCATION_LEN,
            )?;
        }
        Ok(())
    }
}
