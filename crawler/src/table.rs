//! Turns a grouped table into catalog objects: the SerDe and formats of its
//! classification, the parameters Glue writes, partition keys and values.

use crate::compression::Compression;
use crate::group::TableGroup;
use crate::infer::{Classification, FileSchema, InferredColumn};
use crate::merge::merge;
use lakecat_catalog_api::model::{
    Column, Parameters, Partition, SerDeInfo, StorageDescriptor, Table, TableType,
};
use lakecat_catalog_api::names::TableName;
use lakecat_catalog_api::types::HiveType;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const HIVE_NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// One data file as the crawl saw it.
#[derive(Debug, Clone)]
pub struct DataFile {
    pub rel: String,
    pub size: u64,
    /// The file's schema, or its folder's when it was not sampled.
    pub schema: Arc<FileSchema>,
    pub sampled: bool,
    pub records: Option<u64>,
}

/// A table the crawl found, ready to be written.
#[derive(Debug, Clone)]
pub struct CrawledTable {
    pub table: Table,
    pub partitions: Vec<Partition>,
    pub location: String,
    pub classification: Classification,
    pub compression: Compression,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct TableOptions {
    pub crawler_name: String,
    pub infer_partition_types: bool,
    /// Partitions get their own folder's schema instead of the table's.
    pub partition_own_schema: bool,
}

fn formats(c: Classification) -> (&'static str, &'static str) {
    match c {
        // No file is classified as an open table format: those tables are built in
        // `open_formats`, from their metadata, and their data files are Parquet.
        Classification::Parquet
        | Classification::Delta
        | Classification::Iceberg
        | Classification::Hudi => (
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        ),
        Classification::Orc => (
            "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
            "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
        ),
        Classification::Avro => (
            "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
            "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
        ),
        // Spark's pair for data-source tables: XML is read by the provider the
        // table names (`spark.sql.sources.provider`), not by a Hive format.
        Classification::Xml => (
            "org.apache.hadoop.mapred.SequenceFileInputFormat",
            "org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat",
        ),
        Classification::Csv | Classification::Json | Classification::Grok => (
            "org.apache.hadoop.mapred.TextInputFormat",
            "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        ),
    }
}

/// Merges the schemas of files into columns, in order of first appearance.
/// XML columns merge and sort as Spark's XML source merges and sorts them.
pub fn merge_columns<'a>(schemas: impl Iterator<Item = &'a FileSchema>) -> Vec<InferredColumn> {
    let mut out: Vec<InferredColumn> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut xml = false;
    for s in schemas {
        xml |= s.classification == Classification::Xml;
        let merge_type = if s.classification == Classification::Xml {
            crate::merge::merge_xml
        } else {
            merge
        };
        for c in &s.columns {
            match index.get(&c.name) {
                Some(&i) => out[i].ty = merge_type(&out[i].ty, &c.ty),
                None => {
                    index.insert(c.name.clone(), out.len());
                    out.push(c.clone());
                }
            }
        }
    }
    if xml {
        out.sort_by(|a, b| a.name.cmp(&b.name));
    }
    out
}

/// Glue's sanitising of names: lower case, `[a-z0-9_]`.
pub fn sanitize(name: &str) -> String {
    let s: String = name
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    s
}

fn unescape(v: &str) -> String {
    percent_encoding::percent_decode_str(v)
        .decode_utf8_lossy()
        .into_owned()
}

/// Partition keys of the levels below a table: `key=value` names give the key when
/// every folder of the level uses the same key, else the level is `partition_<i>`.
fn partition_keys(group: &TableGroup) -> (Vec<String>, Vec<Vec<String>>, Vec<String>) {
    let dirs: Vec<&Vec<String>> = group.partitions.keys().collect();
    let mut keys = Vec::new();
    let mut notes = Vec::new();
    let mut named = Vec::new();
    for level in 0..group.depth {
        let pairs: Vec<Option<(&str, &str)>> =
            dirs.iter().map(|d| d[level].split_once('=')).collect();
        let first = pairs.first().copied().flatten().map(|(k, _)| k);
        let same = first.is_some() && pairs.iter().all(|p| p.map(|(k, _)| k) == first);
        let key = match (same, first) {
            (true, Some(k)) if !sanitize(k).trim_matches('_').is_empty() => sanitize(k),
            _ => {
                if pairs.iter().any(Option::is_some) {
                    notes.push(format!(
                        "partition level {} mixes key=value and other folder names; named partition_{level}",
                        level + 1
                    ));
                }
                format!("partition_{level}")
            }
        };
        let mut k = key.clone();
        let mut n = 2;
        while keys.contains(&k) {
            k = format!("{key}_{n}");
            n += 1;
        }
        keys.push(k);
        named.push(same);
    }
    let values = dirs
        .iter()
        .map(|d| {
            d.iter()
                .enumerate()
                .map(|(i, c)| {
                    if named[i] {
                        unescape(c.split_once('=').map(|(_, v)| v).unwrap_or(c))
                    } else {
                        unescape(c)
                    }
                })
                .collect()
        })
        .collect();
    (keys, values, notes)
}

/// `int`/`bigint`/`date` when every value of the key is one, else `string`.
fn partition_type(values: &[&str]) -> &'static str {
    let vals: Vec<&str> = values
        .iter()
        .copied()
        .filter(|v| *v != HIVE_NULL_PARTITION)
        .collect();
    if vals.is_empty() {
        return "string";
    }
    let plain_int = |v: &str| {
        let u = v.strip_prefix('-').unwrap_or(v);
        !u.is_empty()
            && u.bytes().all(|b| b.is_ascii_digit())
            && (u.len() == 1 || !u.starts_with('0'))
    };
    if vals
        .iter()
        .all(|v| plain_int(v) && v.parse::<i32>().is_ok())
    {
        "int"
    } else if vals
        .iter()
        .all(|v| plain_int(v) && v.parse::<i64>().is_ok())
    {
        "bigint"
    } else if vals
        .iter()
        .all(|v| crate::infer::text::cell_type(v) == crate::infer::text::CellType::Date)
    {
        "date"
    } else {
        "string"
    }
}

struct Stats {
    objects: u64,
    bytes: u64,
    records: u64,
}

fn stats<'a>(files: impl Iterator<Item = &'a DataFile>) -> Stats {
    let files: Vec<&DataFile> = files.collect();
    let objects = files.len() as u64;
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    // Files not sampled are estimated at the sampled files' bytes per record.
    let (known_bytes, known_records) = files
        .iter()
        .filter_map(|f| f.records.map(|r| (f.size, r)))
        .fold((0u64, 0u64), |(b, r), (fb, fr)| (b + fb, r + fr));
    let records = if known_bytes == 0 {
        0
    } else {
        let unknown: u64 = files
            .iter()
            .filter(|f| f.records.is_none())
            .map(|f| f.size)
            .sum();
        known_records + (unknown as f64 * known_records as f64 / known_bytes as f64).round() as u64
    };
    Stats {
        objects,
        bytes,
        records,
    }
}

fn stat_params(p: &mut Parameters, s: &Stats, c: &str, comp: Compression) {
    p.insert("classification".into(), c.into());
    p.insert("compressionType".into(), comp.as_str().into());
    p.insert("typeOfData".into(), "file".into());
    p.insert("objectCount".into(), s.objects.to_string());
    p.insert("sizeKey".into(), s.bytes.to_string());
    if s.records > 0 {
        p.insert("recordCount".into(), s.records.to_string());
        p.insert(
            "averageRecordSize".into(),
            (s.bytes / s.records.max(1)).to_string(),
        );
    }
}

/// Builds the catalog table for a group. `name` is final (sanitised, unique);
/// `location` is the table folder's URL with a trailing slash.
pub fn build(
    name: &str,
    location: &str,
    group: &TableGroup,
    files: &[DataFile],
    opts: &TableOptions,
) -> Result<CrawledTable, String> {
    let members: Vec<&DataFile> = group
        .partitions
        .values()
        .flatten()
        .map(|&i| &files[i])
        .collect();
    let sampled: Vec<&FileSchema> = members
        .iter()
        .filter_map(|f| f.sampled.then_some(&*f.schema))
        .collect();
    let first = *sampled
        .first()
        .ok_or_else(|| format!("table {name}: no file could be read"))?;
    let classification = first.classification;
    // A grok table is classified as its classifier says (`combined_apache`, …).
    let label = match (&first.grok, &first.xml) {
        (Some(g), _) => g.classification.clone(),
        (_, Some(x)) => x.classification.clone(),
        _ => classification.as_str().to_string(),
    };
    let compression = first.compression;
    let mut notes = Vec::new();
    let mut columns = merge_columns(sampled.iter().copied());
    let (key_names, values, mut key_notes) = partition_keys(group);
    notes.append(&mut key_notes);
    // A partition key wins over a data column of the same name (Hive forbids both).
    columns.retain(|c| {
        let clash = key_names.contains(&c.name);
        if clash {
            notes.push(format!(
                "column {} is also a partition key; the key is kept",
                c.name
            ));
        }
        !clash
    });
    let key_types: Vec<&str> = (0..key_names.len())
        .map(|i| {
            if opts.infer_partition_types {
                partition_type(&values.iter().map(|v| v[i].as_str()).collect::<Vec<_>>())
            } else {
                "string"
            }
        })
        .collect();
    let to_cols = |cols: &[InferredColumn]| -> Vec<Column> {
        cols.iter()
            .filter(|c| !key_names.contains(&c.name))
            .map(|c| Column::new(&c.name, &crate::merge::finalize(c.ty.clone()).to_string()))
            .collect()
    };
    let mut params = Parameters::new();
    stat_params(
        &mut params,
        &stats(members.iter().copied()),
        &label,
        compression,
    );
    params.insert("CrawlerSchemaSerializerVersion".into(), "1.0".into());
    params.insert("CrawlerSchemaDeserializerVersion".into(), "1.0".into());
    params.insert("UPDATED_BY_CRAWLER".into(), opts.crawler_name.clone());
    let mut serde_params = Parameters::new();
    let serde_lib = match classification {
        Classification::Parquet
        | Classification::Delta
        | Classification::Iceberg
        | Classification::Hudi => {
            serde_params.insert("serialization.format".into(), "1".into());
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
        }
        Classification::Orc => {
            serde_params.insert("serialization.format".into(), "1".into());
            "org.apache.hadoop.hive.ql.io.orc.OrcSerde"
        }
        Classification::Avro => {
            // The writer schema with the most columns; Hive reads every file with it.
            let lit = sampled
                .iter()
                .filter_map(|s| s.avro_schema.as_ref().map(|a| (s.columns.len(), a)))
                .max_by_key(|(n, _)| *n)
                .map(|(_, a)| a.clone())
                .unwrap_or_default();
            let distinct: std::collections::BTreeSet<_> = sampled
                .iter()
                .filter_map(|s| s.avro_schema.as_ref())
                .collect();
            if distinct.len() > 1 {
                notes.push(format!(
                    "{} different Avro writer schemas; avro.schema.literal is the widest one",
                    distinct.len()
                ));
            }
            params.insert("avro.schema.literal".into(), lit.clone());
            serde_params.insert("avro.schema.literal".into(), lit);
            "org.apache.hadoop.hive.serde2.avro.AvroSerDe"
        }
        Classification::Grok => {
            // What Athena's GrokSerDe reads each line with.
            let g = first.grok.clone().ok_or("grok without its classifier")?;
            serde_params.insert("input.format".into(), g.pattern);
            if let Some(c) = g.custom_patterns {
                serde_params.insert("input.grokCustomPatterns".into(), c);
            }
            "com.amazonaws.glue.serde.GrokSerDe"
        }
        Classification::Xml => {
            // What Spark writes for `CREATE TABLE … USING xml OPTIONS (rowTag …)`:
            // its XML source reads the table with these options (tested).
            let x = first.xml.clone().ok_or("xml without its classifier")?;
            params.insert("rowTag".into(), x.row_tag.clone());
            params.insert("spark.sql.sources.provider".into(), "xml".into());
            serde_params.insert("serialization.format".into(), "1".into());
            serde_params.insert("rowTag".into(), x.row_tag);
            serde_params.insert("path".into(), location.to_string());
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
        }
        Classification::Json => {
            let paths: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            serde_params.insert("paths".into(), paths.join(","));
            "org.openx.data.jsonserde.JsonSerDe"
        }
        Classification::Csv => {
            let d = first.csv.clone().ok_or("csv without a dialect")?;
            params.insert("delimiter".into(), d.delimiter.clone());
            params.insert("columnsOrdered".into(), "true".into());
            params.insert("areColumnsQuoted".into(), d.quoted.to_string());
            if d.header {
                params.insert("skip.header.line.count".into(), "1".into());
            }
            if d.quoted {
                serde_params.insert("separatorChar".into(), d.delimiter.clone());
                serde_params.insert(
                    "quoteChar".into(),
                    d.quote.clone().unwrap_or_else(|| "\"".into()),
                );
                if let Some(e) = &d.escape {
                    serde_params.insert("escapeChar".into(), e.clone());
                }
                "org.apache.hadoop.hive.serde2.OpenCSVSerde"
            } else {
                serde_params.insert("field.delim".into(), d.delimiter.clone());
                serde_params.insert("serialization.format".into(), d.delimiter.clone());
                // Hive's LazySimpleSerDe decodes other charsets by this name
                // (encoding_rs's names are Java's); OpenCSVSerde has no such setting.
                if !d.encoding.starts_with("UTF-8") {
                    serde_params.insert("serialization.encoding".into(), d.encoding.clone());
                }
                if let Some(e) = &d.escape {
                    serde_params.insert("escape.delim".into(), e.clone());
                }
                "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
            }
        }
    };
    if classification == Classification::Csv
        && columns.iter().any(|c| matches!(c.ty, HiveType::Struct(_)))
    {
        return Err(format!("table {name}: csv columns cannot be structs"));
    }
    let (input, output) = formats(classification);
    let sd = |cols: Vec<Column>, location: String, params: Parameters| StorageDescriptor {
        columns: cols,
        location: Some(location),
        input_format: Some(input.into()),
        output_format: Some(output.into()),
        compressed: false,
        number_of_buckets: Some(-1),
        serde_info: Some(SerDeInfo {
            name: None,
            serialization_library: Some(serde_lib.into()),
            parameters: serde_params.clone(),
        }),
        parameters: params,
        ..Default::default()
    };
    let table_name = TableName::new(name).map_err(|e| e.message)?;
    let mut table = Table::new(table_name);
    table.table_type = Some(TableType::ExternalTable);
    table.owner = Some("owner".into());
    table.partition_keys = key_names
        .iter()
        .zip(&key_types)
        .map(|(k, t)| Column::new(k, t))
        .collect();
    table.parameters = params.clone();
    table.storage_descriptor = Some(sd(to_cols(&columns), location.to_string(), params));
    let mut partitions = Vec::with_capacity(group.partitions.len());
    if group.depth > 0 {
        for ((dir, idx), vals) in group.partitions.iter().zip(values) {
            let pfiles: Vec<&DataFile> = idx.iter().map(|&i| &files[i]).collect();
            let mut pp = Parameters::new();
            stat_params(&mut pp, &stats(pfiles.iter().copied()), &label, compression);
            let cols = if opts.partition_own_schema {
                to_cols(&merge_columns(
                    pfiles
                        .iter()
                        .filter_map(|f| f.sampled.then_some(&*f.schema)),
                ))
            } else {
                to_cols(&columns)
            };
            let mut p = Partition::new(vals);
            p.storage_descriptor = Some(sd(
                cols,
                format!("{location}{}/", dir.join("/")),
                pp.clone(),
            ));
            p.parameters = pp;
            partitions.push(p);
        }
    }
    Ok(CrawledTable {
        table,
        partitions,
        location: location.to_string(),
        classification,
        compression,
        notes,
    })
}
