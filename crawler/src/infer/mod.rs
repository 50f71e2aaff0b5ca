//! What one file is and what its schema is: format and compression detection, and
//! the per-format inference (`parquet`, `avro`, `text` for CSV/TSV and JSON).
//!
//! Reading is bounded: Parquet costs one suffix read (the footer) in the common
//! case, Avro one prefix read (the header), text formats one prefix read of the
//! sample size (more only for compressed files whose prefix decompresses to less
//! than the sample).

pub mod avro;
pub mod orc;
pub mod parquet;
pub mod text;
mod thrift_repair;
pub mod xml;

use crate::compression::{decompress_prefix, Compression};
use crate::source::Source;
use lakecat_catalog_api::types::HiveType;
use object_store::path::Path as ObjPath;
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Classification {
    Csv,
    Json,
    Parquet,
    Avro,
    Orc,
    /// Lines a grok classifier recognised (the table's classification is the
    /// classifier's, see [`FileSchema::grok`]).
    Grok,
    /// Elements an XML classifier's row tag selected (see [`FileSchema::xml`]).
    Xml,
    /// Tables that keep their own metadata (see [`crate::open_formats`]); never
    /// the classification of a single file.
    Delta,
    Iceberg,
    Hudi,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Csv => "csv",
            Classification::Json => "json",
            Classification::Parquet => "parquet",
            Classification::Avro => "avro",
            Classification::Orc => "orc",
            Classification::Grok => "grok",
            Classification::Xml => "xml",
            Classification::Delta => "delta",
            Classification::Iceberg => "iceberg",
            Classification::Hudi => "hudi",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InferredColumn {
    pub name: String,
    #[serde(
        rename = "type",
        serialize_with = "as_text",
        deserialize_with = "from_text"
    )]
    pub ty: HiveType,
}

fn as_text<S: serde::Serializer>(t: &HiveType, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

fn from_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<HiveType, D::Error> {
    let text = String::deserialize(d)?;
    HiveType::parse(&text).map_err(serde::de::Error::custom)
}

/// The dialect of a delimited text file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CsvDialect {
    pub delimiter: String,
    pub quote: Option<String>,
    pub escape: Option<String>,
    pub header: bool,
    pub encoding: String,
    pub line_ending: String,
    /// Some field in the sample was quoted, so a quote-aware SerDe is needed.
    pub quoted: bool,
}

/// The grok classifier a file was read with: what its table's SerDe needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GrokInfo {
    pub classification: String,
    pub pattern: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_patterns: Option<String>,
}

/// The XML classifier a file was read with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct XmlInfo {
    pub classification: String,
    pub row_tag: String,
}

pub(crate) const XML_NEEDS_A_CLASSIFIER: &str =
    "XML is read only through an XML classifier with a RowTag (as Glue reads it); none matched";

/// Everything the crawler concludes about one file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileSchema {
    pub classification: Classification,
    pub compression: Compression,
    pub columns: Vec<InferredColumn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<CsvDialect>,
    /// JSON only: the file is one top-level array whose elements are the rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_array: Option<bool>,
    /// Exact for Parquet and for text files read whole; an estimate from the sample
    /// otherwise; unknown for Avro (its blocks are not read).
    pub record_count: Option<u64>,
    pub record_count_exact: bool,
    /// Grok: the classifier that recognised the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grok: Option<GrokInfo>,
    /// Avro: the writer schema, kept as Glue keeps it (`avro.schema.literal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avro_schema: Option<String>,
    /// XML: the classifier that recognised the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xml: Option<XmlInfo>,
    /// Things worth telling the user (encoding fallbacks, types widened, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl FileSchema {
    /// Why this file's columns could not go into a catalog table (an empty name,
    /// a control character, a name over 255 characters, two names that differ
    /// only in case, …), checked by the catalog's own rules: such a file is
    /// skipped with this reason instead of failing its whole table.
    pub fn catalog_problem(&self) -> Option<String> {
        let cols: Vec<lakecat_catalog_api::model::Column> = self
            .columns
            .iter()
            .map(|c| lakecat_catalog_api::model::Column::new(&c.name, &c.ty.to_string()))
            .collect();
        lakecat_catalog_api::model::check_columns(&cols)
            .err()
            .map(|e| format!("its columns cannot be catalogued: {}", e.message))
    }
}

/// How much of a text file is sampled.
#[derive(Debug, Clone, Copy)]
pub struct SampleOptions {
    pub max_records: usize,
    pub max_bytes: usize,
}

impl Default for SampleOptions {
    fn default() -> Self {
        // Glue's CSV sample: the first 1,000 records or 1 MB, whichever comes first.
        SampleOptions {
            max_records: 1000,
            max_bytes: 1 << 20,
        }
    }
}

const PARQUET_SUFFIX: u64 = 64 * 1024;
const AVRO_HEAD: u64 = 64 * 1024;
const ORC_SUFFIX: u64 = 64 * 1024;
/// An Avro header larger than this (a schema of many MiB) is refused.
const AVRO_HEAD_MAX: u64 = 16 << 20;

fn ext_of(name: &str) -> String {
    Compression::strip_ext(name)
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Infers one object's schema, reading as little of it as the format allows.
pub async fn infer_object(
    src: &Source,
    path: &ObjPath,
    size: u64,
    opts: SampleOptions,
    classifiers: &[crate::classify::CustomClassifier],
) -> Result<FileSchema, String> {
    src.counters.files_read.fetch_add(1, Ordering::Relaxed);
    let name = path.filename().unwrap_or_default();
    let ext = ext_of(name);
    if matches!(ext.as_str(), "parquet" | "parq" | "pq") && Compression::from_name(name).is_none() {
        let tail = src
            .read(path, size.saturating_sub(PARQUET_SUFFIX)..size)
            .await?;
        if tail.ends_with(b"PAR1") || tail.ends_with(b"PARE") {
            return parquet_from_tail(src, path, size, tail).await;
        }
        // Named .parquet but not one: fall through to content sniffing.
    }
    if ext == "orc" && Compression::from_name(name).is_none() && size > 4 {
        let tail = src
            .read(path, size.saturating_sub(ORC_SUFFIX)..size)
            .await?;
        // Writers put the postscript's magic last, just before its length byte.
        if tail.len() >= 4 && &tail[tail.len() - 4..tail.len() - 1] == b"ORC" {
            return orc_from_tail(src, path, size, tail).await;
        }
    }
    let first = if ext == "avro" {
        AVRO_HEAD
    } else {
        opts.max_bytes as u64
    };
    let head = src.read(path, 0..size.min(first.max(16))).await?;
    if head.starts_with(b"PAR1") {
        let tail = if head.len() as u64 == size {
            head
        } else {
            src.read(path, size.saturating_sub(PARQUET_SUFFIX)..size)
                .await?
        };
        return parquet_from_tail(src, path, size, tail).await;
    }
    if head.starts_with(b"Obj\x01") {
        let mut head = head.to_vec();
        loop {
            match avro::infer(&head) {
                Err(avro::AvroError::NeedMore) if (head.len() as u64) < size.min(AVRO_HEAD_MAX) => {
                    let want = (head.len() as u64 * 4).min(size).min(AVRO_HEAD_MAX);
                    let more = src.read(path, head.len() as u64..want).await?;
                    head.extend_from_slice(&more);
                }
                Err(avro::AvroError::NeedMore) => {
                    return Err("the Avro header is truncated (the file ends inside it)".into())
                }
                Err(avro::AvroError::Invalid(e)) => return Err(e),
                Ok(s) => return Ok(s),
            }
        }
    }
    if head.starts_with(b"ORC") {
        let tail = if head.len() as u64 == size {
            head
        } else {
            src.read(path, size.saturating_sub(ORC_SUFFIX)..size)
                .await?
        };
        return orc_from_tail(src, path, size, tail).await;
    }
    if head.starts_with(b"\xe0\x01\x00\xea") {
        return Err("Amazon Ion (binary) is not supported: no Ion reader is built in".into());
    }
    if head.starts_with(b"SEQ") && head.len() > 3 && head[3] <= 6 {
        return Err("Hadoop SequenceFiles are not supported".into());
    }
    let by_magic = Compression::from_magic(&head);
    let by_name = Compression::from_name(name);
    let compression = match (by_magic, by_name) {
        (Some(m), _) => m,
        (None, Some(n)) => {
            return Err(format!(
                "the name says {} but the content does not start like {} data",
                n.as_str(),
                n.as_str()
            ))
        }
        (None, None) => Compression::None,
    };
    let (sample, complete, consumed, compression) = if compression == Compression::None {
        let complete = head.len() as u64 == size;
        (head.to_vec(), complete, head.len() as u64, compression)
    } else {
        let mut compressed = head.to_vec();
        loop {
            let whole = compressed.len() as u64 == size;
            match decompress_prefix(compression, &compressed, whole, opts.max_bytes) {
                Ok((out, done)) if done || out.len() >= opts.max_bytes || whole => {
                    break (out, done, compressed.len() as u64, compression)
                }
                Ok(_) => {
                    let want = (compressed.len() as u64 * 4).min(size);
                    let more = src.read(path, compressed.len() as u64..want).await?;
                    compressed.extend_from_slice(&more);
                }
                // A zlib header is two bytes that plain text can start with by chance.
                Err(_) if compression == Compression::Deflate && by_name.is_none() => {
                    let complete = head.len() as u64 == size;
                    break (
                        head.to_vec(),
                        complete,
                        head.len() as u64,
                        Compression::None,
                    );
                }
                Err(e) => return Err(e),
            }
        }
    };
    let mut s = text::infer_with(&sample, complete, opts, classifiers)?;
    s.compression = compression;
    if !complete {
        if let (Some(n), true) = (s.record_count, consumed > 0) {
            s.record_count = Some((n as f64 * size as f64 / consumed as f64).round() as u64);
        }
    }
    Ok(s)
}

/// A format whose schema is read from the file's end, and that may ask for more
/// of it than the first suffix read fetched.
trait TailError: std::fmt::Display {
    fn need_more(&self) -> Option<u64>;
}

impl TailError for orc::OrcError {
    fn need_more(&self) -> Option<u64> {
        match self {
            orc::OrcError::NeedMore(n) => Some(*n),
            _ => None,
        }
    }
}

impl TailError for parquet::ParquetError {
    fn need_more(&self) -> Option<u64> {
        match self {
            parquet::ParquetError::NeedMore(n) => Some(*n),
            _ => None,
        }
    }
}

/// Infers from `tail`, reading the last `n` bytes once more if `infer` asks for them.
async fn from_tail<E: TailError>(
    src: &Source,
    path: &ObjPath,
    size: u64,
    tail: bytes::Bytes,
    infer: fn(&[u8], u64) -> Result<FileSchema, E>,
) -> Result<FileSchema, String> {
    match infer(&tail, size) {
        Err(e) if e.need_more().is_some_and(|n| n <= size) => {
            let n = e.need_more().unwrap_or(size);
            let t = src.read(path, size - n..size).await?;
            infer(&t, size).map_err(|e| e.to_string())
        }
        r => r.map_err(|e| e.to_string()),
    }
}

async fn orc_from_tail(
    src: &Source,
    path: &ObjPath,
    size: u64,
    tail: bytes::Bytes,
) -> Result<FileSchema, String> {
    from_tail(src, path, size, tail, orc::infer).await
}

async fn parquet_from_tail(
    src: &Source,
    path: &ObjPath,
    size: u64,
    tail: bytes::Bytes,
) -> Result<FileSchema, String> {
    from_tail(src, path, size, tail, parquet::infer).await
}
