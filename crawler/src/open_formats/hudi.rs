//! Apache Hudi: `.hoodie/hoodie.properties` (table type, partition and key
//! fields) and the schema of the latest completed commit on the timeline, with
//! `hoodie.table.create.schema` as the fallback. Partitions are the folders
//! holding a `.hoodie_partition_metadata` marker, which Hudi writes into every
//! partition it creates. Registered as Hudi's own Hive sync registers a table:
//! the Hudi input formats over Parquet, the five `_hoodie_*` meta columns first.

use super::{column, external, parquet_serde, RootFiles};
use crate::compression::Compression;
use crate::infer::Classification;
use crate::table::CrawledTable;
use lakecat_catalog_api::model::{Column, Parameters, Partition, Table, TableType};
use lakecat_catalog_api::names::TableName;
use std::collections::BTreeMap;

pub const PARTITION_MARKER: &str = ".hoodie_partition_metadata";
const PROPERTIES: &str = ".hoodie/hoodie.properties";
const META_FIELDS: [&str; 5] = [
    "_hoodie_commit_time",
    "_hoodie_commit_seqno",
    "_hoodie_record_key",
    "_hoodie_partition_path",
    "_hoodie_file_name",
];
/// Actions whose completed instant carries the writer's schema.
const WRITE_ACTIONS: [&str; 3] = ["commit", "deltacommit", "replacecommit"];

/// Java `.properties` text: `key=value` or `key: value`, `#`/`!` comments,
/// backslash escapes (Hudi escapes the `:` of the JSON schema it stores).
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut logical = String::new();
    for line in text.lines() {
        let l = line.trim_start();
        if logical.is_empty() && (l.is_empty() || l.starts_with('#') || l.starts_with('!')) {
            continue;
        }
        let trailing = l.len() - l.trim_end_matches('\\').len();
        if trailing % 2 == 1 {
            logical.push_str(&l[..l.len() - 1]);
            continue;
        }
        logical.push_str(l);
        let (k, v) = split_property(&logical);
        out.insert(k, v);
        logical.clear();
    }
    if !logical.is_empty() {
        let (k, v) = split_property(&logical);
        out.insert(k, v);
    }
    out
}

fn split_property(line: &str) -> (String, String) {
    let mut key = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    key.push(unescape(n, &mut chars));
                }
            }
            '=' | ':' => break,
            c if c.is_whitespace() => {
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('=') | Some(':')) {
                    chars.next();
                }
                break;
            }
            c => key.push(c),
        }
    }
    while chars.peek().is_some_and(|c| c.is_whitespace()) {
        chars.next();
    }
    let mut value = String::new();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                value.push(unescape(n, &mut chars));
            }
        } else {
            value.push(c);
        }
    }
    (key, value)
}

fn unescape(c: char, rest: &mut std::iter::Peekable<std::str::Chars<'_>>) -> char {
    match c {
        't' => '\t',
        'n' => '\n',
        'r' => '\r',
        'f' => '\x0c',
        'u' => {
            let hex: String = (0..4).filter_map(|_| rest.next()).collect();
            u32::from_str_radix(&hex, 16)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}')
        }
        other => other,
    }
}

/// A completed instant on the timeline: `<instant>.<action>` (0.x, in `.hoodie/`)
/// or `<instant>_<completion>.<action>` (1.x, in `.hoodie/timeline/`).
fn completed_write(rel: &str) -> Option<(&str, &str)> {
    let file = rel
        .strip_prefix(".hoodie/timeline/")
        .or_else(|| rel.strip_prefix(".hoodie/"))
        .filter(|f| !f.contains('/'))?;
    let (stem, action) = file.split_once('.')?;
    if !WRITE_ACTIONS.contains(&action) {
        return None;
    }
    let instant = stem.split('_').next()?;
    (!instant.is_empty() && instant.bytes().all(|b| b.is_ascii_digit()))
        .then_some((instant, action))
}

pub async fn read(files: &RootFiles<'_>, name: &str) -> Result<CrawledTable, String> {
    let props_text = files.read(PROPERTIES).await?;
    let props = parse_properties(&String::from_utf8_lossy(&props_text));
    let where_ = format!("{}{PROPERTIES}", files.url);
    let mut notes = Vec::new();
    let base_format = props
        .get("hoodie.table.base.file.format")
        .map_or("PARQUET", String::as_str);
    if !base_format.eq_ignore_ascii_case("parquet") {
        return Err(format!(
            "{where_}: base file format {base_format} is not supported (only Parquet Hudi tables are registered)"
        ));
    }
    // The newest completed write: its commit metadata holds the writer's schema.
    let latest = files
        .files
        .keys()
        .filter_map(|rel| completed_write(rel).map(|(i, a)| (i, a, rel)))
        .max_by(|a, b| a.0.cmp(b.0));
    let mut schema_text = None;
    if let Some((_, _, rel)) = latest {
        match files.json(rel).await {
            Ok(commit) => {
                schema_text = commit["extraMetadata"]["schema"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string);
            }
            Err(e) => notes.push(format!("{e}; the table's create schema is used")),
        }
    }
    let schema_text = schema_text
        .or_else(|| props.get("hoodie.table.create.schema").cloned())
        .ok_or_else(|| {
            format!("{where_}: no completed commit carries a schema and there is no hoodie.table.create.schema")
        })?;
    let mut avro_notes = Vec::new();
    let inferred = crate::infer::avro::schema_columns(&schema_text, &mut avro_notes)
        .map_err(|e| format!("{}: {e}", files.url))?;
    notes.extend(avro_notes);
    let key_fields: Vec<String> = props
        .get("hoodie.table.partition.fields")
        .map(|s| {
            s.split(',')
                .map(|f| f.split(':').next().unwrap_or("").trim().to_lowercase())
                .filter(|f| !f.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut columns: Vec<Column> = Vec::new();
    let populate_meta = props
        .get("hoodie.populate.meta.fields")
        .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    if populate_meta {
        for m in META_FIELDS {
            if !inferred.iter().any(|c| c.name == m) {
                columns.push(Column::new(m, "string"));
            }
        }
    }
    let mut keys = Vec::new();
    for c in &inferred {
        let ty = crate::merge::finalize(c.ty.clone()).to_string();
        if key_fields.contains(&c.name) {
            continue;
        }
        columns.push(column(&c.name, ty, None).map_err(|e| format!("{}: {e}", files.url))?);
    }
    for k in &key_fields {
        // Hudi's Hive sync types a partition column as its field's type.
        let ty = inferred
            .iter()
            .find(|c| &c.name == k)
            .map_or("string".to_string(), |c| {
                crate::merge::finalize(c.ty.clone()).to_string()
            });
        keys.push(Column::new(k, &ty));
    }
    let table_type = props
        .get("hoodie.table.type")
        .map_or("COPY_ON_WRITE", String::as_str);
    let merge_on_read = table_type.eq_ignore_ascii_case("MERGE_ON_READ");
    let input = if merge_on_read {
        "org.apache.hudi.hadoop.realtime.HoodieParquetRealtimeInputFormat"
    } else {
        "org.apache.hudi.hadoop.HoodieParquetInputFormat"
    };
    let mut params = Parameters::new();
    external(&mut params);
    params.insert("classification".into(), "hudi".into());
    params.insert("spark.sql.sources.provider".into(), "hudi".into());
    params.insert(
        "type".into(),
        if merge_on_read { "mor" } else { "cow" }.into(),
    );
    if let Some((instant, _, _)) = latest {
        params.insert("last_commit_time_sync".into(), instant.into());
    }
    if let Some(k) = props.get("hoodie.table.recordkey.fields") {
        params.insert("primaryKey".into(), k.clone());
    }
    if let Some(k) = props.get("hoodie.table.precombine.field") {
        params.insert("preCombineField".into(), k.clone());
    }
    let mut serde_params = Parameters::new();
    serde_params.insert("serialization.format".into(), "1".into());
    serde_params.insert("path".into(), files.url.clone());
    serde_params.insert("hoodie.query.as.ro.table".into(), "false".into());
    let sd = |location: String, columns: Vec<Column>| {
        parquet_serde(
            location,
            columns,
            input,
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            serde_params.clone(),
        )
    };
    let hive_style = props
        .get("hoodie.datasource.write.hive_style_partitioning")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut partitions = Vec::new();
    if !keys.is_empty() {
        for rel in files.files.keys() {
            let Some((dir, file)) = rel.rsplit_once('/') else {
                continue;
            };
            if !file.starts_with(PARTITION_MARKER) || dir.starts_with(".hoodie") {
                continue;
            }
            match partition_values(dir, &key_fields, hive_style) {
                Some(values) => {
                    let mut p = Partition::new(values);
                    p.storage_descriptor =
                        Some(sd(format!("{}{dir}/", files.url), columns.clone()));
                    partitions.push(p);
                }
                None => notes.push(format!(
                    "{}{dir}/ does not name a value for each of ({})",
                    files.url,
                    key_fields.join(", ")
                )),
            }
        }
    }
    let mut t = Table::new(TableName::new(name).map_err(|e| e.message)?);
    t.table_type = Some(TableType::ExternalTable);
    t.owner = Some("owner".into());
    t.parameters = params;
    t.partition_keys = keys;
    t.storage_descriptor = Some(sd(files.url.clone(), columns));
    Ok(CrawledTable {
        table: t,
        partitions,
        location: files.url.clone(),
        classification: Classification::Hudi,
        compression: Compression::None,
        notes,
    })
}

/// A partition path's values, one per partition field: `k=v` segments when the
/// table was written with Hive-style partitioning, plain segments otherwise; a
/// single field whose path has several segments (`2024/01/31`) takes them all.
fn partition_values(dir: &str, fields: &[String], hive_style: bool) -> Option<Vec<String>> {
    let segments: Vec<&str> = dir.split('/').collect();
    let value = |s: &str| {
        let v = match s.split_once('=') {
            Some((_, v)) if hive_style || s.contains('=') => v,
            _ => s,
        };
        percent_encoding::percent_decode_str(v)
            .decode_utf8_lossy()
            .into_owned()
    };
    if segments.len() == fields.len() {
        Some(segments.iter().map(|s| value(s)).collect())
    } else if fields.len() == 1 && !hive_style {
        Some(vec![segments.join("/")])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_unescape_like_java() {
        let p = parse_properties(
            "#Updated at 2024\nhoodie.table.name=trips\nhoodie.table.create.schema={\"type\"\\:\"record\"}\n\
             key\\ with\\ spaces = a \\\n   continued\n! comment\nhoodie.table.type: MERGE_ON_READ\n",
        );
        assert_eq!(p["hoodie.table.name"], "trips");
        assert_eq!(p["hoodie.table.create.schema"], "{\"type\":\"record\"}");
        assert_eq!(p["key with spaces"], "a continued");
        assert_eq!(p["hoodie.table.type"], "MERGE_ON_READ");
    }

    #[test]
    fn completed_writes_on_both_timelines() {
        assert_eq!(
            completed_write(".hoodie/20240101120000123.commit"),
            Some(("20240101120000123", "commit"))
        );
        assert_eq!(
            completed_write(".hoodie/20240101120000123.commit.requested"),
            None
        );
        assert_eq!(completed_write(".hoodie/20240101120000123.inflight"), None);
        assert_eq!(
            completed_write(".hoodie/timeline/20240101120000123_20240101120001000.deltacommit"),
            Some(("20240101120000123", "deltacommit"))
        );
        assert_eq!(completed_write(".hoodie/20240101120000123.clean"), None);
    }

    #[test]
    fn partition_paths() {
        let f = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            partition_values("region=eu/dt=2024-01-01", &f(&["region", "dt"]), true),
            Some(f(&["eu", "2024-01-01"]))
        );
        assert_eq!(
            partition_values("2024/01/31", &f(&["dt"]), false),
            Some(f(&["2024/01/31"]))
        );
        assert_eq!(partition_values("a/b", &f(&["x", "y", "z"]), false), None);
    }
}
