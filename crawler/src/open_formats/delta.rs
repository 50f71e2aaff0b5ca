//! Delta Lake: the table's current `metaData` action, as the Delta protocol
//! defines the snapshot: the newest complete checkpoint, then every later JSON
//! commit in order. The newest `metaData` wins; a table whose log was cleaned up
//! without a checkpoint is refused rather than described from a partial log.
//!
//! A native table needs only the newest `metaData`, so the log is read newest
//! first and the read stops there. A symlink-manifest table (Glue's
//! `CreateNativeDeltaTable: false`) needs the snapshot's live files, so the whole
//! log from the checkpoint is replayed, as Delta's own `GenerateSymlinkManifest`
//! does (see [`manifests`]).

use super::{column, external, RootFiles};

pub mod manifests;
use crate::compression::Compression;
use crate::infer::Classification;
use crate::table::CrawledTable;
use lakecat_catalog_api::model::{Parameters, SerDeInfo, StorageDescriptor, Table, TableType};
use lakecat_catalog_api::names::TableName;
use parquet::file::reader::FileReader;
use parquet::record::Field;
use serde_json::Value;
use std::collections::BTreeMap;

const LOG: &str = "_delta_log/";

/// The version a log file belongs to: its 20-digit prefix.
fn version(name: &str) -> Option<u64> {
    let digits = name.get(..20)?;
    digits
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| digits.parse().ok())
        .flatten()
}

#[derive(Debug, PartialEq)]
enum LogFile {
    Commit(u64),
    /// Classic checkpoints (`N.checkpoint.parquet`, or part `i` of `n` in
    /// `N.checkpoint.i.n.parquet`) and v2 ones (`N.checkpoint.<uuid>.json|parquet`).
    Checkpoint {
        version: u64,
        part: u32,
        parts: u32,
    },
    LastCheckpoint,
}

fn log_file(name: &str) -> Option<LogFile> {
    if name == "_last_checkpoint" {
        return Some(LogFile::LastCheckpoint);
    }
    let v = version(name)?;
    let rest = &name[20..];
    if rest == ".json" {
        return Some(LogFile::Commit(v));
    }
    let cp = rest.strip_prefix(".checkpoint.")?;
    if cp == "parquet" {
        return Some(LogFile::Checkpoint {
            version: v,
            part: 1,
            parts: 1,
        });
    }
    let multi: Vec<&str> = cp.split('.').collect();
    if let [i, n, "parquet"] = multi[..] {
        let (i, n) = (i.parse().ok()?, n.parse().ok()?);
        return (i >= 1 && i <= n).then_some(LogFile::Checkpoint {
            version: v,
            part: i,
            parts: n,
        });
    }
    // A v2 checkpoint: one file named by a UUID.
    (cp.ends_with(".json") || cp.ends_with(".parquet")).then_some(LogFile::Checkpoint {
        version: v,
        part: 1,
        parts: 1,
    })
}

pub fn is_log_file(name: &str) -> bool {
    log_file(name).is_some()
}

/// The snapshot's `metaData` (and `protocol`, when one came with it).
#[derive(Debug, Default)]
struct Snapshot {
    metadata: Option<Value>,
    protocol: Option<Value>,
}

/// How a Delta table is registered: Glue's `CreateNativeDeltaTable` and
/// `WriteManifest`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeltaMode {
    /// For engines that read the Delta log themselves.
    #[default]
    Native,
    /// A Hive table over `_symlink_format_manifest/`, for engines that read
    /// manifests (Athena engine 2, Presto, Redshift Spectrum). With `write`, the
    /// crawl first writes the manifests from the log; without, it registers
    /// the manifests the table's writer keeps.
    Symlink { write: bool },
}

pub async fn read(
    files: &RootFiles<'_>,
    name: &str,
    mode: DeltaMode,
) -> Result<CrawledTable, String> {
    let mut commits: BTreeMap<u64, &str> = BTreeMap::new();
    let mut checkpoints: BTreeMap<u64, BTreeMap<u32, (u32, &str)>> = BTreeMap::new();
    for rel in files.files.keys() {
        let Some(file) = rel.strip_prefix(LOG).filter(|f| !f.contains('/')) else {
            continue;
        };
        match log_file(file) {
            Some(LogFile::Commit(v)) => {
                commits.insert(v, rel);
            }
            Some(LogFile::Checkpoint {
                version,
                part,
                parts,
            }) => {
                checkpoints
                    .entry(version)
                    .or_default()
                    .insert(part, (parts, rel));
            }
            _ => {}
        }
    }
    // The newest checkpoint with all its parts (a writer may have died half-way).
    let checkpoint = checkpoints.iter().rev().find(|(_, parts)| {
        parts
            .values()
            .next()
            .is_some_and(|(n, _)| parts.len() as u32 == *n && parts.values().all(|(m, _)| m == n))
    });
    let start = checkpoint.map_or(0, |(v, _)| v + 1);
    let latest = commits
        .keys()
        .next_back()
        .copied()
        .max(checkpoint.map(|(v, _)| *v));
    let Some(latest) = latest else {
        return Err(format!(
            "{}{LOG} has no commit and no checkpoint",
            files.url
        ));
    };
    for v in start..=latest {
        if !commits.contains_key(&v) {
            return Err(if checkpoint.is_none() {
                format!(
                    "{}{LOG}: commit {v} is missing and there is no checkpoint to start from \
                     (older commits were cleaned up?)",
                    files.url
                )
            } else {
                format!("{}{LOG}: commit {v} is missing", files.url)
            });
        }
    }
    if let DeltaMode::Symlink { write } = mode {
        let live = replay(files, checkpoint.map(|(_, p)| p), &commits, start).await?;
        return manifests::register(files, name, live, write).await;
    }
    let mut snap = Snapshot::default();
    // Newest first: the first metaData met is the current one.
    for (_, rel) in commits.range(start..).rev() {
        let text = files.read(rel).await?;
        scan_json(&text, &mut snap, rel, files)?;
        if snap.metadata.is_some() && snap.protocol.is_some() {
            break;
        }
    }
    if snap.metadata.is_none() || snap.protocol.is_none() {
        if let Some((_, parts)) = checkpoint {
            for (_, rel) in parts.values() {
                let b = files.read(rel).await?;
                if rel.ends_with(".json") {
                    scan_json(&b, &mut snap, rel, files)?;
                } else {
                    scan_checkpoint(b, &mut snap)
                        .map_err(|e| format!("{}{rel}: {e}", files.url))?;
                }
                if snap.metadata.is_some() && snap.protocol.is_some() {
                    break;
                }
            }
        }
    }
    let meta = snap
        .metadata
        .ok_or_else(|| format!("{}{LOG}: no metaData action in the log", files.url))?;
    table(files, name, &meta, snap.protocol.as_ref())
}

fn scan_json(
    text: &[u8],
    snap: &mut Snapshot,
    rel: &str,
    files: &RootFiles<'_>,
) -> Result<(), String> {
    for mut action in json_actions(text, rel, files)? {
        if snap.metadata.is_none() {
            if let Some(m) = action.get_mut("metaData").filter(|m| !m.is_null()) {
                snap.metadata = Some(m.take());
            }
        }
        if snap.protocol.is_none() {
            if let Some(p) = action.get_mut("protocol").filter(|p| !p.is_null()) {
                snap.protocol = Some(p.take());
            }
        }
    }
    Ok(())
}

/// The `metaData` and `protocol` rows of a Parquet checkpoint, read with only
/// those two columns projected.
fn scan_checkpoint(b: bytes::Bytes, snap: &mut Snapshot) -> Result<(), String> {
    checkpoint_actions(b, &["metaData", "protocol"], &mut |mut action| {
        for (col, slot) in [
            ("metaData", &mut snap.metadata),
            ("protocol", &mut snap.protocol),
        ] {
            if slot.is_none() {
                *slot = action.get_mut(col).map(Value::take);
            }
        }
        Ok(snap.metadata.is_none() || snap.protocol.is_none())
    })
}

/// A checkpoint row as the JSON action it stands for (maps become objects).
fn to_json(f: &Field) -> Value {
    match f {
        Field::Null => Value::Null,
        Field::Bool(b) => Value::Bool(*b),
        Field::Int(i) => Value::from(*i),
        Field::Long(i) => Value::from(*i),
        Field::Str(s) => Value::String(s.clone()),
        Field::Group(row) => Value::Object(
            row.get_column_iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        Field::ListInternal(l) => Value::Array(l.elements().iter().map(to_json).collect()),
        Field::MapInternal(m) => Value::Object(
            m.entries()
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Field::Str(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        other => Value::String(other.to_string()),
    }
}

/// The snapshot as a replay of the log gives it: the newest `metaData` and
/// `protocol`, and the live data files (an `add` not later removed), by path.
#[derive(Debug, Default)]
pub(crate) struct Live {
    pub metadata: Option<Value>,
    pub protocol: Option<Value>,
    pub adds: BTreeMap<String, LiveFile>,
}

/// What a manifest needs of an `add`. Only this is kept: a big table's log
/// carries per-file statistics that would otherwise be held for every file.
#[derive(Debug, Default)]
pub(crate) struct LiveFile {
    pub partition_values: Value,
    pub deletion_vector: bool,
}

impl Live {
    fn apply(&mut self, mut action: Value, with_removes: bool) {
        if let Some(m) = action.get_mut("metaData").filter(|m| !m.is_null()) {
            self.metadata = Some(m.take());
        }
        if let Some(p) = action.get_mut("protocol").filter(|p| !p.is_null()) {
            self.protocol = Some(p.take());
        }
        if let Some(a) = action.get_mut("add").filter(|a| !a.is_null()) {
            if let Some(path) = a["path"].as_str().map(str::to_string) {
                let file = LiveFile {
                    partition_values: a["partitionValues"].take(),
                    deletion_vector: !a["deletionVector"].is_null(),
                };
                self.adds.insert(path, file);
            }
        }
        if with_removes {
            if let Some(path) = action["remove"]["path"].as_str() {
                self.adds.remove(path);
            }
        }
    }
}

/// Replays the checkpoint's live files and then every commit after it.
async fn replay(
    files: &RootFiles<'_>,
    checkpoint: Option<&BTreeMap<u32, (u32, &str)>>,
    commits: &BTreeMap<u64, &str>,
    start: u64,
) -> Result<Live, String> {
    let mut live = Live::default();
    for (_, rel) in checkpoint.into_iter().flat_map(|parts| parts.values()) {
        let b = files.read(rel).await?;
        let at = |e: String| format!("{}{rel}: {e}", files.url);
        if rel.ends_with(".json") {
            for action in json_actions(&b, rel, files)? {
                if !action["sidecar"].is_null() {
                    return Err(at(SIDECARS.into()));
                }
                // A checkpoint's removes are tombstones of files already gone.
                live.apply(action, false);
            }
        } else {
            let columns = ["metaData", "protocol", "add", "sidecar"];
            checkpoint_actions(b, &columns, &mut |action| {
                if !action["sidecar"].is_null() {
                    return Err(SIDECARS.into());
                }
                live.apply(action, false);
                Ok(true)
            })
            .map_err(at)?;
        }
    }
    for (_, rel) in commits.range(start..) {
        let text = files.read(rel).await?;
        for action in json_actions(&text, rel, files)? {
            live.apply(action, true);
        }
    }
    Ok(live)
}

const SIDECARS: &str = "a v2 checkpoint that keeps its files in sidecar files, which lakecat \
                        does not read (native Delta tables do not need them)";

fn json_actions(text: &[u8], rel: &str, files: &RootFiles<'_>) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.push(
            serde_json::from_slice(line).map_err(|e| {
                format!("{}{rel} line {}: not a JSON action: {e}", files.url, i + 1)
            })?,
        );
    }
    Ok(out)
}

/// The rows of a Parquet checkpoint as the JSON actions they stand for, with only
/// the action `columns` read, until `each` says to stop (`Ok(false)`).
fn checkpoint_actions(
    b: bytes::Bytes,
    columns: &[&str],
    each: &mut dyn FnMut(Value) -> Result<bool, String>,
) -> Result<(), String> {
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(b)
        .map_err(|e| e.to_string())?;
    let schema = reader.metadata().file_metadata().schema();
    let wanted: Vec<_> = schema
        .get_fields()
        .iter()
        .filter(|f| columns.contains(&f.name()))
        .cloned()
        .collect();
    if !wanted.iter().any(|f| f.name() == "metaData") {
        return Err("a checkpoint without a metaData column".into());
    }
    let projection = parquet::schema::types::Type::group_type_builder(schema.name())
        .with_fields(wanted)
        .build()
        .map_err(|e| e.to_string())?;
    for row in reader
        .get_row_iter(Some(projection))
        .map_err(|e| e.to_string())?
    {
        let row = row.map_err(|e| e.to_string())?;
        let action: serde_json::Map<String, Value> = row
            .get_column_iter()
            .map(|(k, v)| (k.clone(), to_json(v)))
            .filter(|(_, v)| !v.is_null())
            .collect();
        if !each(Value::Object(action))? {
            break;
        }
    }
    Ok(())
}

/// A Delta type (the Spark schema JSON of `schemaString`) as Hive spells it.
fn hive_type(t: &Value) -> Result<String, String> {
    if let Some(p) = t.as_str() {
        return Ok(match p {
            "string" | "char" | "varchar" => "string".into(),
            "long" => "bigint".into(),
            "integer" => "int".into(),
            "short" => "smallint".into(),
            "byte" => "tinyint".into(),
            "float" => "float".into(),
            "double" => "double".into(),
            "boolean" => "boolean".into(),
            "binary" => "binary".into(),
            "date" => "date".into(),
            "timestamp" | "timestamp_ntz" => "timestamp".into(),
            // Semi-structured values have no Hive type; engines read them as text.
            "variant" | "void" => "string".into(),
            p if p.starts_with("decimal") => p.replace(' ', ""),
            other => return Err(format!("unknown Delta type {other}")),
        });
    }
    match t["type"].as_str() {
        Some("struct") => {
            let mut fields = Vec::new();
            for f in t["fields"].as_array().into_iter().flatten() {
                let n = f["name"].as_str().unwrap_or_default().to_lowercase();
                fields.push(format!("{n}:{}", hive_type(&f["type"])?));
            }
            Ok(format!("struct<{}>", fields.join(",")))
        }
        Some("array") => Ok(format!("array<{}>", hive_type(&t["elementType"])?)),
        Some("map") => Ok(format!(
            "map<{},{}>",
            hive_type(&t["keyType"])?,
            hive_type(&t["valueType"])?
        )),
        _ => Err(format!("unknown Delta type {t}")),
    }
}

/// The table's columns from `metaData.schemaString`, in schema order, partition
/// columns included.
pub(crate) fn columns(
    files: &RootFiles<'_>,
    meta: &Value,
) -> Result<Vec<lakecat_catalog_api::model::Column>, String> {
    let where_ = || format!("{}{LOG}", files.url);
    let schema_text = meta["schemaString"]
        .as_str()
        .ok_or_else(|| format!("{}: metaData has no schemaString", where_()))?;
    let schema: Value = serde_json::from_str(schema_text)
        .map_err(|e| format!("{}: schemaString is not JSON: {e}", where_()))?;
    let mut columns = Vec::new();
    for f in schema["fields"].as_array().into_iter().flatten() {
        let n = f["name"].as_str().unwrap_or_default();
        let ty = hive_type(&f["type"]).map_err(|e| format!("{}: column {n}: {e}", where_()))?;
        let comment = f["metadata"]["comment"].as_str().map(str::to_string);
        columns.push(column(n, ty, comment).map_err(|e| format!("{}: {e}", where_()))?);
    }
    Ok(columns)
}

/// The catalog entry of a native Delta table, as engines that read the Delta log
/// recognise it: `spark.sql.sources.provider=delta` (Spark, Trino), `table_type=DELTA`
/// (Athena), the SerDe's `path` (Spark's data source tables). The formats are the
/// SequenceFile pair Spark writes for data source tables, so an engine that does
/// not understand Delta fails instead of reading the folder's Parquet files,
/// removed ones included, as rows.
fn table(
    files: &RootFiles<'_>,
    name: &str,
    meta: &Value,
    protocol: Option<&Value>,
) -> Result<CrawledTable, String> {
    let columns = columns(files, meta)?;
    let mut params = Parameters::new();
    external(&mut params);
    params.insert("classification".into(), "delta".into());
    params.insert("spark.sql.sources.provider".into(), "delta".into());
    params.insert("table_type".into(), "DELTA".into());
    if let Some(id) = meta["id"].as_str() {
        params.insert("delta.id".into(), id.into());
    }
    let partitions: Vec<&str> = meta["partitionColumns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !partitions.is_empty() {
        params.insert("delta.partitionColumns".into(), partitions.join(","));
    }
    if let Some(p) = protocol {
        for k in ["minReaderVersion", "minWriterVersion"] {
            if let Some(v) = p[k].as_i64() {
                params.insert(format!("delta.{k}"), v.to_string());
            }
        }
    }
    if let Some(conf) = meta["configuration"].as_object() {
        for (k, v) in conf {
            if let Some(v) = v.as_str() {
                params.insert(k.clone(), v.into());
            }
        }
    }
    let mut serde_params = Parameters::new();
    serde_params.insert("serialization.format".into(), "1".into());
    serde_params.insert("path".into(), files.url.clone());
    let mut t = Table::new(TableName::new(name).map_err(|e| e.message)?);
    t.table_type = Some(TableType::ExternalTable);
    t.owner = Some("owner".into());
    t.parameters = params;
    t.storage_descriptor = Some(StorageDescriptor {
        columns,
        location: Some(files.url.clone()),
        input_format: Some("org.apache.hadoop.mapred.SequenceFileInputFormat".into()),
        output_format: Some("org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat".into()),
        number_of_buckets: Some(-1),
        serde_info: Some(SerDeInfo {
            name: None,
            serialization_library: Some(
                "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe".into(),
            ),
            parameters: serde_params,
        }),
        ..Default::default()
    });
    Ok(CrawledTable {
        table: t,
        partitions: vec![],
        location: files.url.clone(),
        classification: Classification::Delta,
        compression: Compression::None,
        notes: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_file_names() {
        assert_eq!(
            log_file("00000000000000000007.json"),
            Some(LogFile::Commit(7))
        );
        assert_eq!(
            log_file("00000000000000000010.checkpoint.parquet"),
            Some(LogFile::Checkpoint {
                version: 10,
                part: 1,
                parts: 1
            })
        );
        assert_eq!(
            log_file("00000000000000000010.checkpoint.0000000002.0000000003.parquet"),
            Some(LogFile::Checkpoint {
                version: 10,
                part: 2,
                parts: 3
            })
        );
        assert_eq!(
            log_file("00000000000000000010.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json"),
            Some(LogFile::Checkpoint {
                version: 10,
                part: 1,
                parts: 1
            })
        );
        assert_eq!(log_file("00000000000000000010.crc"), None);
        assert_eq!(log_file("0000000000000000001.json"), None);
        assert_eq!(log_file("_last_checkpoint"), Some(LogFile::LastCheckpoint));
    }

    #[test]
    fn a_replay_keeps_the_files_no_later_commit_removed() {
        let a = |p: &str| serde_json::json!({"add": {"path": p, "partitionValues": {}}});
        let r = |p: &str| serde_json::json!({"remove": {"path": p}});
        let mut l = Live::default();
        // A checkpoint: its removes are tombstones and change nothing.
        l.apply(a("a"), false);
        l.apply(a("b"), false);
        l.apply(r("a"), false);
        l.apply(serde_json::json!({"metaData": {"id": "1"}}), false);
        // Commits, in order.
        l.apply(r("a"), true);
        l.apply(a("c"), true);
        l.apply(r("c"), true);
        l.apply(a("d"), true);
        l.apply(serde_json::json!({"metaData": {"id": "2"}}), true);
        assert_eq!(l.adds.keys().collect::<Vec<_>>(), ["b", "d"]);
        assert_eq!(l.metadata.unwrap()["id"], "2");
    }

    #[test]
    fn delta_types_as_hive_types() {
        let t: Value = serde_json::from_str(
            r#"{"type":"struct","fields":[{"name":"A","type":{"type":"array","elementType":"decimal(10, 2)","containsNull":true},"nullable":true,"metadata":{}},
                {"name":"m","type":{"type":"map","keyType":"string","valueType":"timestamp_ntz","valueContainsNull":true},"nullable":true,"metadata":{}}]}"#,
        )
        .unwrap();
        assert_eq!(
            hive_type(&t).unwrap(),
            "struct<a:array<decimal(10,2)>,m:map<string,timestamp>>"
        );
        assert!(hive_type(&Value::from("interval")).is_err());
    }
}
