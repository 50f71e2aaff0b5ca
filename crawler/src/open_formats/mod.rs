//! Tables that keep their own metadata: Delta Lake, Apache Iceberg and Apache Hudi.
//!
//! Their folders hold data files that must not be crawled as files: a Delta
//! folder keeps files that later commits removed, an Iceberg table's partitions
//! are not its folders, and a Hudi table's columns include its meta fields. A
//! table root is recognised by its metadata (`_delta_log/`, `metadata/*.metadata.json`,
//! `.hoodie/hoodie.properties`); its schema comes from that metadata, and every
//! file under the root belongs to it and to nothing else.
//!
//! - [`delta`]: the current `metaData` from the last checkpoint and later commits;
//! - [`iceberg`]: the newest metadata file (or the one `version-hint.text` names);
//! - [`hudi`]: `hoodie.properties` and the latest completed commit's schema.

pub mod delta;
pub mod hudi;
pub mod iceberg;

use crate::source::Source;
use crate::table::CrawledTable;
use lakecat_catalog_api::model::{Column, Parameters};
use object_store::path::Path as ObjPath;
use object_store::ObjectStoreExt;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    Delta,
    Iceberg,
    Hudi,
}

impl TableFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            TableFormat::Delta => "delta",
            TableFormat::Iceberg => "iceberg",
            TableFormat::Hudi => "hudi",
        }
    }
}

/// A table root found in a listing: `rel` is relative to the include path (empty
/// when the include path is the root), without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub rel: String,
    pub format: TableFormat,
}

impl Root {
    /// Folders between the include path and the root.
    pub fn depth(&self) -> usize {
        if self.rel.is_empty() {
            0
        } else {
            self.rel.split('/').count()
        }
    }
}

/// What a metadata file says about its table root, from its path alone.
fn root_of(rel: &str) -> Option<(&str, TableFormat)> {
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let (parent, last) = dir.rsplit_once('/').unwrap_or(("", dir));
    match last {
        "_delta_log" if delta::is_log_file(name) => Some((parent, TableFormat::Delta)),
        "metadata" if iceberg::is_metadata_file(name) => Some((parent, TableFormat::Iceberg)),
        ".hoodie" if name == "hoodie.properties" => Some((parent, TableFormat::Hudi)),
        _ => None,
    }
}

/// Files a table format reads: listed even though their names start with `_` or
/// `.`, which marks every other such file as not data.
pub fn is_metadata(rel: &str) -> bool {
    if root_of(rel).is_some() || delta::manifests::is_manifest(rel) {
        return true;
    }
    // Hudi's timeline and partition markers.
    let mut parts = rel.rsplit('/');
    let name = parts.next().unwrap_or("");
    let dir = parts.next().unwrap_or("");
    name == hudi::PARTITION_MARKER
        || dir == ".hoodie"
        || dir == "timeline" && parts.next() == Some(".hoodie")
}

/// The outermost table roots among the metadata files: a root inside another
/// table's folder is part of that table.
pub fn roots(metadata: &[&str]) -> Vec<Root> {
    let mut found: BTreeMap<&str, TableFormat> = BTreeMap::new();
    for rel in metadata {
        if let Some((root, format)) = root_of(rel) {
            found.entry(root).or_insert(format);
        }
    }
    let mut out: Vec<Root> = Vec::new();
    for (rel, format) in found {
        // Sorted, so an enclosing root comes before what it holds.
        if out.iter().any(|r| is_under(rel, &r.rel)) {
            continue;
        }
        out.push(Root {
            rel: rel.to_string(),
            format,
        });
    }
    out
}

/// Finds the table root a file lies under, by its ancestor folders.
pub struct Enclosing<'a> {
    roots: std::collections::HashMap<&'a str, &'a Root>,
}

impl<'a> Enclosing<'a> {
    pub fn new(roots: &'a [Root]) -> Self {
        Enclosing {
            roots: roots.iter().map(|r| (r.rel.as_str(), r)).collect(),
        }
    }

    pub fn root_of(&self, rel: &str) -> Option<&'a Root> {
        if self.roots.is_empty() {
            return None;
        }
        if let Some(r) = self.roots.get("") {
            return Some(r);
        }
        rel.match_indices('/')
            .find_map(|(i, _)| self.roots.get(&rel[..i]).copied())
    }
}

/// Whether `rel` (a file or folder) lies under the folder `root`.
pub fn is_under(rel: &str, root: &str) -> bool {
    root.is_empty()
        || rel.len() > root.len() && rel.starts_with(root) && rel.as_bytes()[root.len()] == b'/'
}

/// The files of one table root: paths relative to the root, with sizes.
pub struct RootFiles<'a> {
    pub src: &'a Source,
    /// The root's URL, with a trailing slash.
    pub url: String,
    /// The root's object path.
    pub path: ObjPath,
    /// Metadata files under the root, relative to it, with real names (as an
    /// S3 listing gives them).
    pub files: BTreeMap<String, u64>,
}

impl RootFiles<'_> {
    pub async fn read(&self, rel: &str) -> Result<bytes::Bytes, String> {
        let size = *self
            .files
            .get(rel)
            .ok_or_else(|| format!("{}{rel} is not listed", self.url))?;
        if size > MAX_METADATA_FILE {
            return Err(format!(
                "{}{rel} is {size} bytes; metadata files over {MAX_METADATA_FILE} bytes are not read",
                self.url
            ));
        }
        self.src
            .read(&self.object(rel), 0..size)
            .await
            .map_err(|e| format!("reading {}{rel}: {e}", self.url))
    }

    fn object(&self, rel: &str) -> ObjPath {
        self.src.object_below(&self.path, rel)
    }

    /// Writes a file at `raw_rel` (real names, `/`-separated) under the root.
    /// The caller has checked that the root may be written; here a local write
    /// is also held inside the root, whatever links lie on the way. Local files
    /// are written beside and renamed into place, so a reader never sees half.
    pub async fn put(&self, raw_rel: &str, body: Vec<u8>) -> Result<(), String> {
        self.src
            .counters
            .requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.src.is_local() {
            let file = self.local_root().join(raw_rel);
            // Checked before the folders are made: a link on the way already
            // exists, and the folders made after it are plain ones.
            self.inside(&file, raw_rel)?;
            let fail = |e: std::io::Error| format!("writing {}: {e}", file.display());
            let dir = file.parent().unwrap_or(&file);
            std::fs::create_dir_all(dir).map_err(fail)?;
            // Unique per write: two crawls of one table may write at once.
            static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tmp = dir.join(format!(".manifest.{}.{n}.tmp", std::process::id()));
            std::fs::write(&tmp, &body).map_err(fail)?;
            return std::fs::rename(&tmp, &file).map_err(fail);
        }
        self.src
            .store
            .put(&self.object(raw_rel), body.into())
            .await
            .map(|_| ())
            .map_err(|e| format!("writing {}{raw_rel}: {e}", self.url))
    }

    /// Deletes a listed file under the root (and, on local disk, the folders
    /// that this leaves empty, up to the root).
    pub async fn delete(&self, rel: &str) -> Result<(), String> {
        self.src
            .counters
            .requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.src.is_local() {
            let root = self.local_root();
            let file = root.join(rel);
            self.inside(&file, rel)?;
            std::fs::remove_file(&file).map_err(|e| format!("deleting {}: {e}", file.display()))?;
            let mut dir = file;
            while dir.pop() && dir.starts_with(&root) && dir != root {
                if std::fs::remove_dir(&dir).is_err() {
                    break;
                }
            }
            return Ok(());
        }
        self.src
            .store
            .delete(&self.object(rel))
            .await
            .map_err(|e| format!("deleting {}{rel}: {e}", self.url))
    }

    fn local_root(&self) -> std::path::PathBuf {
        self.src.local_path(&self.path)
    }

    /// Refuses a local path whose real location (links followed) is outside the
    /// root: a link in the table's folder must not carry a write elsewhere.
    fn inside(&self, file: &std::path::Path, rel: &str) -> Result<(), String> {
        let root = self.local_root();
        let real_root = root
            .canonicalize()
            .map_err(|e| format!("{}: {e}", root.display()))?;
        let mut p = file.to_path_buf();
        if p.symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(format!(
                "{}{rel} is a symbolic link; lakecat does not write through links",
                self.url
            ));
        }
        while !p.exists() {
            if !p.pop() {
                break;
            }
        }
        let real = p
            .canonicalize()
            .map_err(|e| format!("{}: {e}", p.display()))?;
        if real.starts_with(&real_root) {
            Ok(())
        } else {
            Err(format!(
                "{}{rel} leads to {} outside the table's folder; nothing was written there",
                self.url,
                real.display()
            ))
        }
    }

    pub async fn json(&self, rel: &str) -> Result<serde_json::Value, String> {
        let b = self.read(rel).await?;
        serde_json::from_slice(&b).map_err(|e| format!("{}{rel} is not JSON: {e}", self.url))
    }
}

/// Bigger metadata files than this are refused rather than held in memory.
const MAX_METADATA_FILE: u64 = 512 << 20;

/// Options the crawler's targets give (Glue's `DeltaTargets` and crawler naming).
#[derive(Debug, Clone)]
pub struct Naming {
    pub crawler_name: String,
    pub delta: delta::DeltaMode,
}

/// Reads one root's metadata into a catalog table named `name`.
pub async fn read_table(
    root: &Root,
    files: &RootFiles<'_>,
    name: &str,
    naming: &Naming,
) -> Result<CrawledTable, String> {
    let mut t = match root.format {
        TableFormat::Delta => delta::read(files, name, naming.delta).await?,
        TableFormat::Iceberg => iceberg::read(files, name).await?,
        TableFormat::Hudi => hudi::read(files, name).await?,
    };
    let p = &mut t.table.parameters;
    p.insert("UPDATED_BY_CRAWLER".into(), naming.crawler_name.clone());
    p.entry("classification".into())
        .or_insert_with(|| root.format.as_str().into());
    Ok(t)
}

/// A Delta or Hudi schema's type as Hive spells it, checked by the catalog's type
/// grammar so that a table never carries a type an engine cannot parse.
fn column(name: &str, ty: String, comment: Option<String>) -> Result<Column, String> {
    let parsed = lakecat_catalog_api::types::HiveType::parse(&ty)
        .map_err(|e| format!("column {name}: type {ty} is not a Hive type: {e}"))?;
    let mut c = Column::new(&name.to_lowercase(), &parsed.to_string());
    c.comment = comment;
    Ok(c)
}

/// A storage descriptor over Parquet data files read with `ParquetHiveSerDe`
/// (Hudi's tables and Delta's symlink-manifest ones).
fn parquet_serde(
    location: String,
    columns: Vec<Column>,
    input: &str,
    output: &str,
    serde_params: Parameters,
) -> lakecat_catalog_api::model::StorageDescriptor {
    lakecat_catalog_api::model::StorageDescriptor {
        columns,
        location: Some(location),
        input_format: Some(input.into()),
        output_format: Some(output.into()),
        number_of_buckets: Some(-1),
        serde_info: Some(lakecat_catalog_api::model::SerDeInfo {
            name: None,
            serialization_library: Some(
                "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe".into(),
            ),
            parameters: serde_params,
        }),
        ..Default::default()
    }
}

fn external(params: &mut Parameters) {
    params.insert("EXTERNAL".into(), "TRUE".into());
}
