//! What a crawl saw of every data file, kept between runs so that the next run
//! reads only what changed.
//!
//! A file is known by its URL and a fingerprint of what the listing says about it
//! (size, last-modified time and, on S3, the ETag): a file whose fingerprint is
//! unchanged keeps the schema the earlier run inferred, so re-crawling an unchanged
//! lake reads no file contents. Schemas are stored once and referenced by index,
//! because most files of a lake share a handful of them.

use crate::infer::FileSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub schemas: Vec<FileSchema>,
    /// By file URL.
    pub files: BTreeMap<String, InventoryFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryFile {
    pub fingerprint: String,
    pub size: u64,
    /// Index into [`Inventory::schemas`]; `None` for a file that was not read (not
    /// sampled), which takes its folder's schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
}

/// The folder URL of a file URL (up to and including the last `/`).
pub fn folder_of(url: &str) -> &str {
    match url.rfind('/') {
        Some(i) => &url[..=i],
        None => "",
    }
}

/// An inventory ready for lookups during a crawl.
#[derive(Debug, Default)]
pub struct Known {
    schemas: Vec<Arc<FileSchema>>,
    files: BTreeMap<String, InventoryFile>,
    /// A schema some file of each folder had.
    folders: HashMap<String, u32>,
}

impl Known {
    pub fn new(inv: &Inventory) -> Known {
        let mut folders = HashMap::new();
        for (url, f) in &inv.files {
            if let Some(s) = f.schema {
                folders.entry(folder_of(url).to_string()).or_insert(s);
            } else {
                folders
                    .entry(folder_of(url).to_string())
                    .or_insert(u32::MAX);
            }
        }
        Known {
            schemas: inv.schemas.iter().cloned().map(Arc::new).collect(),
            files: inv.files.clone(),
            folders,
        }
    }

    /// The schema and record count of a file the earlier run read, if it is unchanged.
    pub fn unchanged(
        &self,
        url: &str,
        fingerprint: &str,
    ) -> Option<(Arc<FileSchema>, Option<u64>)> {
        let f = self.files.get(url)?;
        if f.fingerprint != fingerprint {
            return None;
        }
        let s = self.schemas.get(f.schema? as usize)?;
        Some((s.clone(), f.records))
    }

    /// Whether the earlier run saw any file in this folder.
    pub fn knows_folder(&self, folder: &str) -> bool {
        self.folders.contains_key(folder)
    }

    /// A schema some file of the folder had in the earlier run.
    pub fn folder_schema(&self, folder: &str) -> Option<Arc<FileSchema>> {
        let i = *self.folders.get(folder)?;
        self.schemas.get(i as usize).cloned()
    }

    /// The known files under `root` (URL with a trailing `/`): relative path,
    /// fingerprint and size.
    pub fn files_under<'a>(
        &'a self,
        root: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a InventoryFile)> + 'a {
        self.files
            .range(root.to_string()..)
            .take_while(move |(u, _)| u.starts_with(root))
            .map(move |(u, f)| (&u[root.len()..], f))
    }
}

/// Builds an inventory, interning schemas.
#[derive(Debug, Default)]
pub struct InventoryBuilder {
    inv: Inventory,
    index: HashMap<*const FileSchema, u32>,
}

impl InventoryBuilder {
    pub fn add(
        &mut self,
        url: String,
        fingerprint: String,
        size: u64,
        schema: Option<&Arc<FileSchema>>,
        records: Option<u64>,
    ) {
        let schema = schema.map(|s| {
            *self.index.entry(Arc::as_ptr(s)).or_insert_with(|| {
                self.inv.schemas.push((**s).clone());
                (self.inv.schemas.len() - 1) as u32
            })
        });
        self.inv.files.insert(
            url,
            InventoryFile {
                fingerprint,
                size,
                schema,
                records,
            },
        );
    }

    pub fn finish(self) -> Inventory {
        self.inv
    }
}
