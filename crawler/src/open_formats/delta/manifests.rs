//! Symlink-manifest Delta tables: Glue's `CreateNativeDeltaTable: false`.
//!
//! Engines without a Delta reader (Athena engine 2, Presto, Redshift Spectrum)
//! read a Delta table through manifests: `_symlink_format_manifest/<partition>/manifest`,
//! each listing the absolute paths of the partition's live data files, under a
//! Hive table with `SymlinkTextInputFormat` (Delta's "Presto, Trino, and Athena
//! to Delta Lake integration using manifests"). The manifests are laid out as
//! Delta's own `GenerateSymlinkManifest` writes them:
//!
//! - one folder per partition, `col=value` as Hive escapes path names, a null or
//!   empty value as `__HIVE_DEFAULT_PARTITION__`; an unpartitioned table has one
//!   manifest at the root, empty when the table is;
//! - one line per live file, its path decoded and made absolute against the table;
//! - manifests of partitions the snapshot no longer has are deleted, so a
//!   partition that was overwritten away is not read from stale manifests;
//! - tables with column mapping or deletion vectors are refused, as Delta refuses
//!   them: a manifest reader would read the wrong columns or deleted rows.
//!
//! Without `WriteManifest`, the table's writer keeps the manifests (Delta's
//! `delta.compatibility.symlinkFormatManifest.enabled`); the crawl then registers
//! the partitions that have both live files and a manifest, and notes the others.

use super::{columns, Live, LOG};
use crate::compression::Compression;
use crate::infer::Classification;
use crate::open_formats::{external, parquet_serde, RootFiles};
use crate::table::{CrawledTable, HIVE_NULL_PARTITION};
use lakecat_catalog_api::model::{Column, Parameters, Partition, Table, TableType};
use lakecat_catalog_api::names::{partition_name, unescape_path_name, TableName};
use std::collections::BTreeMap;

/// The manifests' folder under the table root.
pub const DIR: &str = "_symlink_format_manifest";

/// Whether a listed path (relative to anything) is a manifest file.
pub fn is_manifest(rel: &str) -> bool {
    let mut parts = rel.rsplit('/');
    parts.next() == Some("manifest") && parts.any(|p| p == DIR)
}

/// One manifest: its partition's values (in partition column order) and the
/// data files it lists.
#[derive(Debug, Default, PartialEq)]
struct Manifest {
    values: Vec<String>,
    lines: Vec<String>,
}

impl Manifest {
    fn body(&self) -> String {
        self.lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// The manifests the snapshot calls for, by partition folder (`""` for the
/// root of an unpartitioned table).
fn wanted(root: &str, live: &Live, partition_columns: &[String]) -> BTreeMap<String, Manifest> {
    let mut out: BTreeMap<String, Manifest> = BTreeMap::new();
    for (path, add) in &live.adds {
        let pv = &add.partition_values;
        let values: Vec<String> = partition_columns
            .iter()
            .map(|c| {
                pv[c.as_str()]
                    .as_str()
                    .filter(|v| !v.is_empty())
                    .unwrap_or(HIVE_NULL_PARTITION)
                    .to_string()
            })
            .collect();
        let dir = partition_name(
            partition_columns
                .iter()
                .map(String::as_str)
                .zip(values.iter().map(String::as_str)),
        );
        out.entry(dir)
            .or_insert_with(|| Manifest {
                values,
                lines: vec![],
            })
            .lines
            .push(absolute(root, path));
    }
    if partition_columns.is_empty() && out.is_empty() {
        out.insert(String::new(), Manifest::default());
    }
    for m in out.values_mut() {
        m.lines.sort();
    }
    out
}

/// A log path (a URI reference, percent-encoded) as the absolute path a
/// manifest reader opens: Delta's `DeltaFileOperations.absolutePath`.
fn absolute(root: &str, path: &str) -> String {
    let decoded = unescape_path_name(path);
    if decoded.contains("://") || decoded.starts_with("file:") {
        decoded
    } else {
        format!("{root}{decoded}")
    }
}

/// The relative path of the manifest of partition folder `dir`.
fn manifest_rel(dir: &str) -> String {
    if dir.is_empty() {
        format!("{DIR}/manifest")
    } else {
        format!("{DIR}/{dir}/manifest")
    }
}

pub(super) async fn register(
    files: &RootFiles<'_>,
    name: &str,
    live: Live,
    write: bool,
) -> Result<CrawledTable, String> {
    let log = format!("{}{LOG}", files.url);
    let meta = live
        .metadata
        .as_ref()
        .ok_or_else(|| format!("{log}: no metaData action in the log"))?;
    let mapping = meta["configuration"]["delta.columnMapping.mode"]
        .as_str()
        .unwrap_or("none");
    if mapping != "none" {
        return Err(format!(
            "{log}: column mapping is on (mode {mapping}); a manifest reader would read the \
             data files' physical column names, so Delta makes no manifests for such tables \
             (register it as a native Delta table instead)"
        ));
    }
    if let Some(path) = live
        .adds
        .iter()
        .find_map(|(p, a)| a.deletion_vector.then_some(p))
    {
        return Err(format!(
            "{log}: {path} has a deletion vector; a manifest reader would read its deleted rows, \
             so Delta makes no manifests for tables with deletion vectors (register it as a \
             native Delta table instead)"
        ));
    }
    let all = columns(files, meta)?;
    let partition_columns: Vec<String> = meta["partitionColumns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let mut keys = Vec::new();
    for p in &partition_columns {
        let c = all
            .iter()
            .find(|c| c.name == p.to_lowercase())
            .ok_or_else(|| format!("{log}: partition column {p} is not in the schema"))?;
        keys.push(c.clone());
    }
    let data: Vec<Column> = all
        .into_iter()
        .filter(|c| !keys.iter().any(|k| k.name == c.name))
        .collect();
    let root = files.url.clone();
    let wanted = wanted(&root, &live, &partition_columns);
    // The manifests there now, by partition folder, with their listed paths.
    let prefix = format!("{DIR}/");
    let existing: BTreeMap<String, &str> = files
        .files
        .keys()
        .filter(|rel| rel.starts_with(&prefix) && is_manifest(rel))
        .map(|rel| {
            let dir = rel[prefix.len()..rel.len() - "manifest".len()]
                .trim_end_matches('/')
                .to_string();
            (dir, rel.as_str())
        })
        .collect();
    let mut notes = Vec::new();
    let registered: Vec<(&String, &Manifest)> = if write {
        for (dir, m) in &wanted {
            let body = m.body();
            if let Some(listed) = existing.get(dir) {
                if files.read(listed).await?.as_ref() == body.as_bytes() {
                    continue;
                }
            }
            files.put(&manifest_rel(dir), body.into_bytes()).await?;
        }
        for (dir, listed) in &existing {
            if !wanted.contains_key(dir) {
                files.delete(listed).await?;
            }
        }
        wanted.iter().collect()
    } else {
        if partition_columns.is_empty() && !existing.contains_key("") {
            return Err(format!(
                "{}{}: no manifest; with WriteManifest false the table's writer must keep them \
                 (GENERATE symlink_format_manifest), or set WriteManifest",
                files.url,
                manifest_rel("")
            ));
        }
        for dir in wanted.keys().filter(|d| !existing.contains_key(*d)) {
            notes.push(format!(
                "{}{}: partition {dir} has live files but no manifest, so engines reading \
                 manifests do not see it; it is not registered",
                files.url, DIR
            ));
        }
        for dir in existing.keys().filter(|d| !wanted.contains_key(*d)) {
            notes.push(format!(
                "{}{}/{dir}: a manifest of a partition the Delta log no longer has; not registered",
                files.url, DIR
            ));
        }
        wanted
            .iter()
            .filter(|(d, _)| existing.contains_key(*d))
            .collect()
    };
    let location = format!("{root}{DIR}/");
    let mut serde_params = Parameters::new();
    serde_params.insert("serialization.format".into(), "1".into());
    let sd = |location: String| {
        parquet_serde(
            location,
            data.clone(),
            "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat",
            "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            serde_params.clone(),
        )
    };
    let partitions = if keys.is_empty() {
        vec![]
    } else {
        registered
            .iter()
            .map(|(dir, m)| {
                let mut p = Partition::new(m.values.clone());
                p.storage_descriptor = Some(sd(format!("{location}{dir}/")));
                p
            })
            .collect()
    };
    let mut params = Parameters::new();
    external(&mut params);
    params.insert("classification".into(), "parquet".into());
    let mut t = Table::new(TableName::new(name).map_err(|e| e.message)?);
    t.table_type = Some(TableType::ExternalTable);
    t.owner = Some("owner".into());
    t.parameters = params;
    t.partition_keys = keys;
    t.storage_descriptor = Some(sd(location.clone()));
    Ok(CrawledTable {
        table: t,
        partitions,
        location,
        classification: Classification::Parquet,
        compression: Compression::None,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::super::LiveFile;
    use super::*;
    use serde_json::json;

    fn live(adds: &[(&str, serde_json::Value)]) -> Live {
        Live {
            adds: adds
                .iter()
                .map(|(p, pv)| {
                    let file = LiveFile {
                        partition_values: pv.clone(),
                        deletion_vector: false,
                    };
                    (p.to_string(), file)
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn manifests_are_laid_out_as_delta_lays_them_out() {
        let cols = vec!["region".to_string(), "hour".to_string()];
        let l = live(&[
            (
                "region=eu/hour=2024-01-01%2010%253A00/b.parquet",
                json!({"region": "eu", "hour": "2024-01-01 10:00"}),
            ),
            (
                "region=eu/hour=2024-01-01%2010%253A00/a.parquet",
                json!({"region": "eu", "hour": "2024-01-01 10:00"}),
            ),
            (
                "region=__HIVE_DEFAULT_PARTITION__/hour=x/c.parquet",
                json!({"region": null, "hour": "x"}),
            ),
            ("s3://other/abs.parquet", json!({"region": "", "hour": "x"})),
        ]);
        let w = wanted("s3://b/t/", &l, &cols);
        assert_eq!(
            w.keys().collect::<Vec<_>>(),
            [
                "region=__HIVE_DEFAULT_PARTITION__/hour=x",
                "region=eu/hour=2024-01-01 10%3A00"
            ]
        );
        let eu = &w["region=eu/hour=2024-01-01 10%3A00"];
        assert_eq!(eu.values, ["eu", "2024-01-01 10:00"]);
        assert_eq!(
            eu.body(),
            "s3://b/t/region=eu/hour=2024-01-01 10%3A00/a.parquet\n\
             s3://b/t/region=eu/hour=2024-01-01 10%3A00/b.parquet\n"
        );
        assert_eq!(
            w["region=__HIVE_DEFAULT_PARTITION__/hour=x"].lines,
            [
                "s3://b/t/region=__HIVE_DEFAULT_PARTITION__/hour=x/c.parquet",
                "s3://other/abs.parquet"
            ]
        );
        // An empty unpartitioned table still gets its (empty) manifest.
        let w = wanted("file:///t/", &Live::default(), &[]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[""].body(), "");
        assert_eq!(manifest_rel(""), "_symlink_format_manifest/manifest");
        assert!(is_manifest("t/_symlink_format_manifest/a=1/manifest"));
        assert!(!is_manifest("t/_symlink_format_manifest/a=1/other"));
        assert!(!is_manifest("t/a=1/manifest"));
    }
}
