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
    if root_of(rel).is_some() {
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
    /// The root's object path, empty when it is the store's root.
    pub path: String,
    /// Metadata files under the root, relative to it.
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
        if self.path.is_empty() {
            ObjPath::from(rel)
        } else {
            ObjPath::from(format!("{}/{rel}", self.path))
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
}

/// Reads one root's metadata into a catalog table named `name`.
pub async fn read_table(
    root: &Root,
    files: &RootFiles<'_>,
    name: &str,
    naming: &Naming,
) -> Result<CrawledTable, String> {
    let mut t = match root.format {
        TableFormat::Delta => delta::read(files, name).await?,
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

fn external(params: &mut Parameters) {
    params.insert("EXTERNAL".into(), "TRUE".into());
}
