//! Glue's shapes are the catalog model's in PascalCase: requests and answers are
//! converted key by key ([`to_model`], [`to_glue`]); user maps (`Parameters`,
//! skewed location maps) keep their keys, and the few places where Glue's names
//! or types differ are spelled out (`CreationTime` of partitions, `VersionId` as a
//! string). Glue-only fields lakecat does not keep (`CatalogId`, `TargetTable`, …)
//! are accepted and ignored.

use lakecat_catalog_api::model::{Partition, Table};
use lakecat_catalog_api::stats::ColumnStatistics;
use serde_json::{json, Value};

/// Keys whose values are user maps: their keys are data, not field names.
const USER_MAPS: [&str; 3] = ["Parameters", "SkewedColumnValueLocationMaps", "Tags"];
/// Glue fields lakecat accepts and does not keep.
const IGNORED: [&str; 12] = [
    "CatalogId",
    "TargetTable",
    "TargetDatabase",
    "ViewDefinition",
    "CreateTableDefaultPermissions",
    "FederatedDatabase",
    "SchemaReference",
    "IsRegisteredWithLakeFormation",
    "CreatedBy",
    "IsMultiDialectView",
    "VersionId",
    "IsRowFilteringEnabled",
];

fn snake(k: &str) -> String {
    let mut out = String::new();
    for (i, c) in k.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn pascal(k: &str) -> String {
    k.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A Glue input shape as the model's JSON.
pub fn to_model(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| !IGNORED.contains(&k.as_str()))
                .map(|(k, v)| {
                    let v = if USER_MAPS.contains(&k.as_str()) {
                        v
                    } else {
                        to_model(v)
                    };
                    let k = if k == "CreationTime" {
                        "create_time".to_string()
                    } else {
                        snake(&k)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(to_model).collect()),
        other => other,
    }
}

/// The model's JSON as a Glue output shape.
pub fn to_glue(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let pk = pascal(&k);
                    let v = if USER_MAPS.contains(&pk.as_str()) {
                        v
                    } else {
                        to_glue(v)
                    };
                    (pk, v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(to_glue).collect()),
        other => other,
    }
}

pub fn glue_table(t: &Table) -> Value {
    let mut v = to_glue(serde_json::to_value(t).unwrap_or(Value::Null));
    if let Some(version) = t.version_id {
        v["VersionId"] = json!(version.to_string());
    }
    v["IsRegisteredWithLakeFormation"] = json!(false);
    v
}

pub fn glue_partition(p: &Partition, exclude_columns: bool) -> Value {
    let mut v = to_glue(serde_json::to_value(p).unwrap_or(Value::Null));
    if let Some(o) = v.as_object_mut() {
        if let Some(t) = o.remove("CreateTime") {
            o.insert("CreationTime".into(), t);
        }
        if exclude_columns {
            if let Some(sd) = o
                .get_mut("StorageDescriptor")
                .and_then(Value::as_object_mut)
            {
                sd.remove("Columns");
            }
        }
    }
    v
}

pub fn glue_statistics(s: &ColumnStatistics) -> Value {
    to_glue(serde_json::to_value(s).unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_convert_both_ways_and_user_maps_keep_theirs() {
        let glue = json!({"Name": "t", "StorageDescriptor": {"SerdeInfo": {"SerializationLibrary": "x", "Parameters": {"field.delim": ","}},
            "NumberOfBuckets": -1, "Columns": [{"Name": "a", "Type": "int"}]}, "Parameters": {"MixedCase_Key": "v"}, "CatalogId": "123"});
        let m = to_model(glue.clone());
        assert_eq!(
            m["storage_descriptor"]["serde_info"]["serialization_library"],
            "x"
        );
        assert_eq!(
            m["storage_descriptor"]["serde_info"]["parameters"]["field.delim"],
            ","
        );
        assert_eq!(m["storage_descriptor"]["number_of_buckets"], -1);
        assert_eq!(m["storage_descriptor"]["columns"][0]["type"], "int");
        assert_eq!(m["parameters"]["MixedCase_Key"], "v");
        assert!(m.get("catalog_id").is_none());
        let back = to_glue(m);
        let mut expected = glue;
        expected.as_object_mut().unwrap().remove("CatalogId");
        assert_eq!(back, expected);
    }
}
