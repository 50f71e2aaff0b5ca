//! What every family of statements shares: the session, result shapes, names,
//! patterns, partition values and the table update they all end in.

use super::results::{ResultSet, StatementResult};
use lakecat_catalog_api::error::Error;
use lakecat_catalog_api::model::{Column, Partition, Table};
use lakecat_catalog_api::names::{DatabaseName, TableIdent};
use lakecat_catalog_api::store::{CatalogStore, UpdateTableOptions};
use lakecat_catalog_api::types::HiveType;
use lakecat_ddl::ast::*;

pub const LAZY_SIMPLE: &str = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
pub const TEXT_IN: &str = "org.apache.hadoop.mapred.TextInputFormat";
pub const TEXT_OUT: &str = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";

pub const HIVE_NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

pub struct Session {
    pub database: String,
    /// Which folders statements may move (renames of managed tables).
    pub folders: crate::services::folders::Folders,
    /// Where `GRANT` and `REVOKE` go; `None` when permissions are off.
    pub grants: Option<std::sync::Arc<crate::services::permissions::Authorizer>>,
}

pub type R<T> = Result<T, Error>;

pub fn ok(st: &Statement) -> StatementResult {
    StatementResult {
        statement: st.kind().into(),
        status: "ok".into(),
        message: None,
        result_set: None,
    }
}

pub fn unchanged(st: &Statement, why: String) -> StatementResult {
    StatementResult {
        status: "unchanged".into(),
        message: Some(why),
        ..ok(st)
    }
}

pub fn rows(st: &Statement, columns: &[&str], rows: Vec<Vec<String>>) -> StatementResult {
    StatementResult {
        result_set: Some(ResultSet {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        }),
        ..ok(st)
    }
}

pub fn ident(s: &Session, q: &QualifiedName) -> R<TableIdent> {
    TableIdent::parse(q.database.as_deref().unwrap_or(&s.database), &q.name)
}

pub fn db_name(n: &str) -> R<DatabaseName> {
    DatabaseName::new(n)
}

pub fn update(store: &dyn CatalogStore, id: &TableIdent, t: Table) -> R<Table> {
    let opts = UpdateTableOptions {
        expected_version: t.version_id,
        skip_archive: false,
        ..Default::default()
    };
    store.update_table(id, t, opts)
}

pub fn column(c: &ColumnDef) -> Column {
    let mut col = Column::new(&c.name, &c.data_type);
    col.comment = c.comment.clone();
    col
}

pub fn table_location(t: &Table) -> R<&str> {
    t.storage_descriptor
        .as_ref()
        .and_then(|sd| sd.location.as_deref())
        .ok_or_else(|| Error::invalid(format!("table {} has no location", t.name)))
}

/// Hive's partition name: `k=v/k2=v2`, values escaped as Hive escapes path names.
pub fn partition_name(t: &Table, values: &[String]) -> String {
    lakecat_catalog_api::names::partition_name(
        t.partition_keys
            .iter()
            .map(|k| k.name.as_str())
            .zip(values.iter().map(String::as_str)),
    )
}

/// Checks a value against its key's type (Hive rejects `hour='x'` for an int key).
pub fn check_value(key: &Column, v: &str) -> R<()> {
    if v == HIVE_NULL_PARTITION {
        return Ok(());
    }
    let ty = HiveType::parse(&key.type_).map_err(|e| Error::invalid(e.to_string()))?;
    let ok = match ty {
        HiveType::TinyInt => v.parse::<i8>().is_ok(),
        HiveType::SmallInt => v.parse::<i16>().is_ok(),
        HiveType::Int => v.parse::<i32>().is_ok(),
        HiveType::BigInt => v.parse::<i64>().is_ok(),
        HiveType::Float | HiveType::Double => v.parse::<f64>().is_ok(),
        HiveType::Decimal { .. } => {
            let u = v.strip_prefix('-').unwrap_or(v);
            let (i, f) = u.split_once('.').unwrap_or((u, ""));
            !u.is_empty()
                && i.bytes().all(|b| b.is_ascii_digit())
                && f.bytes().all(|b| b.is_ascii_digit())
        }
        HiveType::Boolean => matches!(v.to_lowercase().as_str(), "true" | "false"),
        HiveType::Date => {
            lakecat_crawler::infer::text::cell_type(v)
                == lakecat_crawler::infer::text::CellType::Date
        }
        HiveType::Timestamp => matches!(
            lakecat_crawler::infer::text::cell_type(v),
            lakecat_crawler::infer::text::CellType::Timestamp
                | lakecat_crawler::infer::text::CellType::Date
        ),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "partition value {v:?} is not a valid {} for key {}",
            key.type_, key.name
        )))
    }
}

/// The values of a spec in key order. `partial` allows a prefix or subset of the
/// keys (unnamed ones come back empty).
pub fn values_of(t: &Table, spec: &PartitionSpec, partial: bool) -> R<Vec<String>> {
    if t.partition_keys.is_empty() {
        return Err(Error::invalid(format!(
            "table {} is not partitioned",
            t.name
        )));
    }
    let mut out = vec![String::new(); t.partition_keys.len()];
    let mut seen = vec![false; t.partition_keys.len()];
    for (k, v) in spec {
        let Some(i) = t.partition_keys.iter().position(|c| c.name == *k) else {
            return Err(Error::invalid(format!(
                "{k} is not a partition key of table {} (its keys are {})",
                t.name,
                t.partition_keys
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        if seen[i] {
            return Err(Error::invalid(format!("partition key {k} is given twice")));
        }
        check_value(&t.partition_keys[i], v)?;
        seen[i] = true;
        out[i] = v.clone();
    }
    if !partial {
        if let Some(i) = seen.iter().position(|s| !s) {
            return Err(Error::invalid(format!(
                "the partition spec has no value for key {}",
                t.partition_keys[i].name
            )));
        }
    }
    Ok(out)
}

/// A partition stored like the table, at `location`.
pub fn partition_at(t: &Table, values: Vec<String>, location: Option<String>) -> Partition {
    let mut p = Partition::new(values);
    let mut sd = t.storage_descriptor.clone().unwrap_or_default();
    sd.location = location;
    p.storage_descriptor = Some(sd);
    p
}

pub fn projected(t: &Table) -> bool {
    t.parameters
        .get("projection.enabled")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Athena's partition projection properties, checked when set.
pub fn check_projection(t: &Table) -> R<()> {
    let p = &t.parameters;
    for (k, _) in p.iter().filter(|(k, _)| k.starts_with("projection.")) {
        let rest = &k["projection.".len()..];
        if rest == "enabled" {
            continue;
        }
        let col = rest.split('.').next().unwrap_or("");
        if !t.partition_keys.iter().any(|c| c.name == col) {
            return Err(Error::invalid(format!(
                "{k}: {col} is not a partition key of table {}",
                t.name
            )));
        }
    }
    if let Some(v) = p.get("projection.enabled") {
        if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") {
            return Err(Error::invalid(format!(
                "projection.enabled must be true or false, not {v:?}"
            )));
        }
    }
    if !projected(t) {
        return Ok(());
    }
    for key in &t.partition_keys {
        let get = |s: &str| p.get(&format!("projection.{}.{s}", key.name));
        let ty = get("type").ok_or_else(|| {
            Error::invalid(format!(
                "projection.{}.type is required when projection is enabled",
                key.name
            ))
        })?;
        let need = |s: &str| -> R<()> {
            if get(s).is_none() {
                return Err(Error::invalid(format!(
                    "projection.{}.{s} is required for projection type {ty}",
                    key.name
                )));
            }
            Ok(())
        };
        match ty.as_str() {
            "enum" => need("values")?,
            "integer" => {
                need("range")?;
                let r = get("range").map(String::as_str).unwrap_or("");
                let ok = r.split_once(',').is_some_and(|(a, b)| {
                    a.trim().parse::<i64>().is_ok() && b.trim().parse::<i64>().is_ok()
                });
                if !ok {
                    return Err(Error::invalid(format!(
                        "projection.{}.range must be \"min,max\" integers, not {r:?}",
                        key.name
                    )));
                }
            }
            "date" => {
                need("range")?;
                need("format")?;
                let r = get("range").map(String::as_str).unwrap_or("");
                if r.split(',').count() != 2 {
                    return Err(Error::invalid(format!(
                        "projection.{}.range must be \"start,end\", not {r:?}",
                        key.name
                    )));
                }
            }
            "injected" => {}
            other => {
                return Err(Error::invalid(format!(
                    "projection.{}.type {other:?} is not one of enum, integer, date, injected",
                    key.name
                )))
            }
        }
    }
    if let Some(tpl) = p.get("storage.location.template") {
        for key in &t.partition_keys {
            if !tpl.contains(&format!("${{{}}}", key.name)) {
                return Err(Error::invalid(format!(
                    "storage.location.template {tpl:?} does not use ${{{}}}",
                    key.name
                )));
            }
        }
    }
    Ok(())
}
