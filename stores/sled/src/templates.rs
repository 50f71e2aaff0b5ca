//! Compact partition values: storage-descriptor templates.
//!
//! The partitions of a table nearly always share everything in their storage
//! descriptor except the tail of the location and, for crawled tables, the
//! statistics in its parameters: the same columns, formats and SerDe, often a
//! kilobyte or more. Stored whole, those bytes dominate the cost of a partition
//! write, because sled copies and logs a leaf node (up to 16 entries) on every
//! change to it. So a partition's value keeps the number of a *template* plus what
//! is its own: the location after the template's prefix, the descriptor's
//! parameters and the partition's own fields. The values come from the key.
//!
//! A template is the descriptor with its parameters cleared and its location cut
//! to a prefix (the table's location when the partition lies under it). It is
//! stored once per table, under `table id | 2⁶¹` in the `partitions` tree, in
//! the same atomic batch as the first partition that uses it. Templates are never
//! changed or removed while their table lives, so a table update never alters a
//! stored partition and a reader that finds a partition always finds its template.
//! A table with [`MAX_TEMPLATES`] templates stores further new descriptors inline.
//!
//! Values written before templates (store format 2) are whole `Partition` JSON
//! objects and start with `{`; compact values start with [`COMPACT`].

use lakecat_catalog_api::error::{Error, Result};
use lakecat_catalog_api::kv::keys::decode_values;
use lakecat_catalog_api::model::{Parameters, Partition, StorageDescriptor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The first byte of a compact value.
pub const COMPACT: u8 = 1;
/// Distinct templates kept per table; beyond this, descriptors are stored inline.
pub const MAX_TEMPLATES: usize = 1024;

#[derive(Serialize, Deserialize)]
struct Compact {
    /// The template, when the descriptor is not inline.
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    template: Option<u32>,
    /// The location after the template's prefix.
    #[serde(rename = "l", default, skip_serializing_if = "String::is_empty")]
    location_tail: String,
    /// The descriptor's parameters (a template has none).
    #[serde(rename = "q", default, skip_serializing_if = "Parameters::is_empty")]
    sd_parameters: Parameters,
    /// The whole descriptor, when there is no template for it.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    inline: Option<StorageDescriptor>,
    #[serde(rename = "p", default, skip_serializing_if = "Parameters::is_empty")]
    parameters: Parameters,
    #[serde(rename = "c", default)]
    create_time: i64,
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    last_access_time: Option<i64>,
    #[serde(rename = "z", default, skip_serializing_if = "Option::is_none")]
    last_analyzed_time: Option<i64>,
}

/// What a table's templates are known to be. Readers only ever fill `by_id`;
/// the writer (which holds the store's write lock) loads `by_content` whole.
#[derive(Default)]
struct Known {
    by_id: HashMap<u32, Arc<StorageDescriptor>>,
    by_content: Option<HashMap<Vec<u8>, u32>>,
    /// The template the writer used last: a batch's partitions usually share
    /// one, and comparing with it is much cheaper than serialising the content.
    last: Option<(Arc<StorageDescriptor>, u32)>,
}

/// How much of `location` the template keeps: the table's location when the
/// partition lies under it, else nothing.
fn prefix_len(location: &str, table_location: Option<&str>) -> usize {
    match table_location {
        Some(t) if !t.is_empty() && location.starts_with(t) => t.len(),
        _ => 0,
    }
}

/// Whether `template` is the template of `sd`. Destructured in full so that a
/// field added to the descriptor cannot be forgotten here.
fn fits(
    template: &StorageDescriptor,
    sd: &StorageDescriptor,
    table_location: Option<&str>,
) -> bool {
    let StorageDescriptor {
        columns,
        location,
        additional_locations,
        input_format,
        output_format,
        compressed,
        number_of_buckets,
        serde_info,
        bucket_columns,
        sort_columns,
        parameters: _,
        skewed_info,
        stored_as_sub_directories,
    } = sd;
    let prefix = location
        .as_deref()
        .map(|l| &l[..prefix_len(l, table_location)]);
    template.location.as_deref() == prefix
        && template.parameters.is_empty()
        && &template.columns == columns
        && &template.additional_locations == additional_locations
        && &template.input_format == input_format
        && &template.output_format == output_format
        && &template.compressed == compressed
        && &template.number_of_buckets == number_of_buckets
        && &template.serde_info == serde_info
        && &template.bucket_columns == bucket_columns
        && &template.sort_columns == sort_columns
        && &template.skewed_info == skewed_info
        && &template.stored_as_sub_directories == stored_as_sub_directories
}

/// The templates of every table seen since the store was opened.
#[derive(Default)]
pub struct Templates {
    tables: Mutex<HashMap<u64, Known>>,
}

/// A template to store with the batch that first uses it.
pub type NewTemplate = (u32, Vec<u8>);

fn finish(c: &Compact) -> Result<Vec<u8>> {
    let mut out = vec![COMPACT];
    serde_json::to_writer(&mut out, c).map_err(|e| Error::storage(e.to_string()))?;
    Ok(out)
}

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::storage(format!("corrupt partition value: {what}"))
}

impl Templates {
    fn tables(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Known>> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops what is known of table `tid`: after a failed write (templates it
    /// planned were not stored) and when the table is dropped.
    pub fn forget(&self, tid: u64) {
        self.tables().remove(&tid);
    }

    /// The stored value of `p`, a partition of table `tid` whose location is
    /// `table_location`. Templates it needs that are not stored yet are appended
    /// to `new`; the caller stores them in the same atomic write, or calls
    /// [`Templates::forget`] when that write fails. `load` reads every stored
    /// template of the table. The caller holds the store's write lock.
    pub fn encode(
        &self,
        tid: u64,
        table_location: Option<&str>,
        p: &Partition,
        load: impl FnOnce() -> Result<Vec<NewTemplate>>,
        new: &mut Vec<NewTemplate>,
    ) -> Result<Vec<u8>> {
        let mut c = Compact {
            template: None,
            location_tail: String::new(),
            sd_parameters: Parameters::new(),
            inline: None,
            parameters: p.parameters.clone(),
            create_time: p.create_time,
            last_access_time: p.last_access_time,
            last_analyzed_time: p.last_analyzed_time,
        };
        if let Some(sd) = &p.storage_descriptor {
            let mut tables = self.tables();
            let known = tables.entry(tid).or_default();
            if let Some((t, n)) = &known.last {
                if fits(t, sd, table_location) {
                    c.template = Some(*n);
                    c.sd_parameters = sd.parameters.clone();
                    if let Some(loc) = &sd.location {
                        c.location_tail = loc[prefix_len(loc, table_location)..].to_string();
                    }
                    return finish(&c);
                }
            }
            let mut template = sd.clone();
            c.sd_parameters = std::mem::take(&mut template.parameters);
            if let Some(loc) = &mut template.location {
                c.location_tail = loc.split_off(prefix_len(loc, table_location));
            }
            let content =
                serde_json::to_vec(&template).map_err(|e| Error::storage(e.to_string()))?;
            if known.by_content.is_none() {
                let mut by_content = HashMap::new();
                for (n, bytes) in load()? {
                    by_content.insert(bytes, n);
                }
                known.by_content = Some(by_content);
            }
            let by_content = known.by_content.as_mut().expect("loaded above");
            match by_content.get(&content) {
                Some(&n) => {
                    c.template = Some(n);
                    known.last = Some((Arc::new(template), n));
                }
                None if by_content.len() < MAX_TEMPLATES => {
                    let n = by_content.values().max().map_or(0, |m| m + 1);
                    by_content.insert(content.clone(), n);
                    let template = Arc::new(template);
                    known.by_id.insert(n, template.clone());
                    known.last = Some((template, n));
                    new.push((n, content));
                    c.template = Some(n);
                }
                None => {
                    let mut sd = sd.clone();
                    sd.parameters = Parameters::new();
                    c.location_tail.clear();
                    c.inline = Some(sd);
                }
            }
        }
        finish(&c)
    }

    /// The partition stored under `key` (the encoded values) with `bytes`.
    /// `fetch` reads one stored template of the table.
    pub fn decode(
        &self,
        tid: u64,
        key: &[u8],
        bytes: &[u8],
        fetch: impl FnOnce(u32) -> Result<Option<Vec<u8>>>,
    ) -> Result<Partition> {
        let Some((&COMPACT, json)) = bytes.split_first() else {
            // Format 2: the whole partition as JSON.
            return serde_json::from_slice(bytes).map_err(corrupt);
        };
        let c: Compact = serde_json::from_slice(json).map_err(corrupt)?;
        let values = decode_values(key).ok_or_else(|| corrupt("bad key"))?;
        let sd = match (c.template, c.inline) {
            (_, Some(mut sd)) => {
                sd.parameters = c.sd_parameters;
                Some(sd)
            }
            (Some(n), None) => {
                let template = self.template(tid, n, fetch)?;
                let mut sd = StorageDescriptor::clone(&template);
                if let Some(loc) = &mut sd.location {
                    loc.push_str(&c.location_tail);
                }
                sd.parameters = c.sd_parameters;
                Some(sd)
            }
            (None, None) => None,
        };
        Ok(Partition {
            values,
            database_name: None,
            table_name: None,
            storage_descriptor: sd,
            parameters: c.parameters,
            create_time: c.create_time,
            last_access_time: c.last_access_time,
            last_analyzed_time: c.last_analyzed_time,
        })
    }

    fn template(
        &self,
        tid: u64,
        n: u32,
        fetch: impl FnOnce(u32) -> Result<Option<Vec<u8>>>,
    ) -> Result<Arc<StorageDescriptor>> {
        if let Some(t) = self.tables().get(&tid).and_then(|k| k.by_id.get(&n)) {
            return Ok(t.clone());
        }
        // Read outside the lock; templates never change, so a racing reader
        // that stores the same one first is harmless.
        let bytes = fetch(n)?.ok_or_else(|| corrupt(format!("template {n} is missing")))?;
        let t: Arc<StorageDescriptor> = Arc::new(serde_json::from_slice(&bytes).map_err(corrupt)?);
        self.tables()
            .entry(tid)
            .or_default()
            .by_id
            .insert(n, t.clone());
        Ok(t)
    }
}
