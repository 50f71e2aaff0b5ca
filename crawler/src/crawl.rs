//! One crawl of one or more include paths, from listing to catalog objects.

use crate::glob::Exclusions;
use crate::group::{group, GroupFile, GroupOptions};
use crate::infer::{infer_object, FileSchema, SampleOptions};
use crate::inventory::{folder_of, Inventory, InventoryBuilder, Known};
use crate::open_formats;
use crate::source::{Counters, Source};
use crate::table::{build, sanitize, CrawledTable, DataFile, TableOptions};
use crate::CrawlError;
use futures::stream::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjPath;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct CrawlOptions {
    /// Glue globs, relative to each include path.
    pub exclusions: Vec<String>,
    pub table_prefix: String,
    /// Files read per leaf folder (Glue's `SampleSize`); `None` reads all.
    pub sample_files: Option<usize>,
    /// Absolute table level (Glue's `TableLevelConfiguration`).
    pub table_level: Option<usize>,
    pub combine_compatible_schemas: bool,
    pub infer_partition_types: bool,
    pub partition_own_schema: bool,
    /// Requests in flight at once, per crawl.
    pub max_requests: usize,
    pub sample: SampleOptions,
    pub crawler_name: String,
    /// What the previous successful run saw: files whose fingerprint is unchanged
    /// keep their schema and are not read again.
    pub previous: Option<Arc<Inventory>>,
    /// Glue's `CRAWL_NEW_FOLDERS_ONLY`: files in folders the previous run saw are
    /// not read; they take the folder's known schema.
    pub new_folders_only: bool,
    /// Glue's `CRAWL_EVENT_MODE`: only these folder URLs are listed; every other
    /// file is taken from `previous` as it was.
    pub list_only: Option<Vec<String>>,
    /// Set from outside to stop the crawl; it then ends with [`CrawlError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
    /// Custom classifiers, tried in order before the built-in recognition.
    pub classifiers: Vec<crate::classify::CustomClassifier>,
    /// Return the [`Inventory`] of the files seen (for a next, incremental run).
    pub keep_inventory: bool,
    /// Glue's Delta, Iceberg and Hudi targets: only tables of this format are
    /// registered, and no file is read as data.
    pub only_format: Option<open_formats::TableFormat>,
    /// Table roots deeper than this many folders below the include path are
    /// ignored (Glue's `MaximumTraversalDepth`, and 0 for a Delta target, whose
    /// path is the table).
    pub max_root_depth: Option<usize>,
    /// How Delta tables are registered. A symlink mode that writes manifests
    /// writes into the lake: the caller decides whether the paths allow it.
    pub delta_mode: open_formats::delta::DeltaMode,
}

impl Default for CrawlOptions {
    fn default() -> Self {
        CrawlOptions {
            exclusions: vec![],
            table_prefix: String::new(),
            sample_files: None,
            table_level: None,
            combine_compatible_schemas: false,
            infer_partition_types: false,
            partition_own_schema: false,
            max_requests: 32,
            sample: SampleOptions::default(),
            crawler_name: "lakecat".into(),
            previous: None,
            new_folders_only: false,
            list_only: None,
            cancel: None,
            classifiers: Vec::new(),
            keep_inventory: false,
            only_format: None,
            max_root_depth: None,
            delta_mode: Default::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CrawlStats {
    pub objects_listed: u64,
    pub files_read: u64,
    pub bytes_read: u64,
    /// Ranged reads, plus list requests counted as pages of 1,000 keys for S3.
    pub requests: u64,
    pub zero_byte_files: u64,
    /// `_…` and `.…` names (`_SUCCESS`, `.crc`, `_temporary/`, …).
    pub not_data_files: u64,
    pub excluded_files: u64,
    /// Files the previous run had seen that were not read again: unchanged ones
    /// (same size, time and ETag), and in new-folders-only mode every file of a
    /// folder seen before.
    pub files_reused: u64,
    /// Data files under Delta, Iceberg and Hudi table roots: their tables are read
    /// from their metadata, and these files are not crawled one by one.
    pub files_in_open_tables: u64,
    /// Listing, reading, inference and grouping; not the catalog write.
    pub seconds: f64,
    /// The process's peak resident memory, where the platform tells (set by the CLI).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_memory_bytes: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct CrawlOutput {
    pub tables: Vec<CrawledTable>,
    pub skipped: Vec<Skipped>,
    pub notes: Vec<String>,
    pub stats: CrawlStats,
    /// The include paths as crawled (folder URLs with a trailing slash).
    pub roots: Vec<String>,
    /// Every data file seen, for the next run (see [`Inventory`]).
    pub inventory: Inventory,
}

/// Live counters a caller may watch while a crawl runs.
#[derive(Debug, Default)]
pub struct Progress {
    pub counters: Vec<Arc<Counters>>,
}

fn format_key(s: &FileSchema) -> String {
    let mut k = format!("{}/{}", s.classification.as_str(), s.compression.as_str());
    if let Some(d) = &s.csv {
        k.push_str(&format!(
            "/delimiter {:?}{}",
            d.delimiter,
            if d.header { " with header" } else { "" }
        ));
    }
    k
}

fn is_not_data(rel: &str) -> bool {
    rel.split('/')
        .any(|c| c.starts_with('_') || c.starts_with('.'))
}

/// FNV-1a, for a short deterministic suffix on clashing table names.
fn short_hash(s: &str) -> String {
    let mut h: u32 = 0x811c9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x01000193);
    }
    format!("{h:08x}")
}

/// Glue's naming: prefix (≤ 64 characters) + sanitised folder name, at most 128.
fn table_name(prefix: &str, folder: &str) -> String {
    let prefix: String = sanitize(prefix).chars().take(64).collect();
    let mut n = format!("{prefix}{}", sanitize(folder));
    if n.trim_matches('_').is_empty() {
        n = format!("{prefix}table");
    }
    n.chars().take(128).collect()
}

/// Crawls the include paths. `on_open` receives each source's counters as it opens
/// (for progress display).
pub async fn crawl(
    urls: &[String],
    opts: &CrawlOptions,
    on_open: &(dyn Fn(Arc<Counters>) + Sync),
) -> Result<CrawlOutput, CrawlError> {
    let started = Instant::now();
    if urls.is_empty() {
        return Err(CrawlError::Options("no include path given".into()));
    }
    let exclusions = Exclusions::new(&opts.exclusions).map_err(CrawlError::Options)?;
    let mut out = CrawlOutput {
        tables: vec![],
        skipped: vec![],
        notes: vec![],
        stats: CrawlStats::default(),
        roots: vec![],
        inventory: Inventory::default(),
    };
    let known = opts.previous.as_deref().map(Known::new);
    let mut inventory = InventoryBuilder::default();
    let mut used_names: HashSet<String> = HashSet::new();
    let table_opts = TableOptions {
        crawler_name: opts.crawler_name.clone(),
        infer_partition_types: opts.infer_partition_types,
        partition_own_schema: opts.partition_own_schema,
    };
    for url in urls {
        let src = Source::open(url, opts.max_requests.max(1))?;
        on_open(src.counters.clone());
        let root_url = format!("{}/", src.raw_url_of(&src.prefix).trim_end_matches('/'));
        out.roots.push(root_url.clone());
        let t0 = Instant::now();
        let files = match &opts.list_only {
            Some(folders) => {
                list_folders(
                    &src,
                    &exclusions,
                    &mut out.stats,
                    url,
                    &root_url,
                    folders,
                    known.as_ref(),
                )
                .await?
            }
            None => {
                // Fingerprints cost memory per file: only for incremental runs.
                let fp = opts.keep_inventory || opts.previous.is_some();
                list(&src, &exclusions, &mut out.stats, url, fp).await?
            }
        };
        let (metadata, mut files): (Vec<Listed>, Vec<Listed>) =
            files.into_iter().partition(|f| f.metadata);
        let mut roots =
            open_formats::roots(&metadata.iter().map(|f| f.rel.as_str()).collect::<Vec<_>>());
        roots.retain(|r| {
            opts.only_format.is_none_or(|f| r.format == f)
                && opts.max_root_depth.is_none_or(|d| r.depth() <= d)
        });
        if opts.only_format.is_some() {
            files.clear();
        }
        // Metadata files go into the inventory too, so that an event-mode run that
        // lists only a table's data folder still knows the table is there.
        for m in metadata.iter().filter(|_| opts.keep_inventory) {
            inventory.add(
                format!("{root_url}{}", m.rel),
                m.fingerprint.clone(),
                m.size,
                None,
                None,
            );
        }
        let enclosing = open_formats::Enclosing::new(&roots);
        let before = files.len();
        files.retain(|f| enclosing.root_of(&f.rel).is_none());
        out.stats.files_in_open_tables += (before - files.len()) as u64;
        out.stats.not_data_files += metadata
            .iter()
            .filter(|m| enclosing.root_of(&m.rel).is_none())
            .count() as u64;
        let t1 = Instant::now();
        let fingerprints: HashMap<String, String> = files
            .iter()
            .filter(|_| opts.keep_inventory)
            .map(|f| (f.rel.clone(), f.fingerprint.clone()))
            .collect();
        let (data, mut skipped) =
            read_files(&src, files, opts, &root_url, known.as_ref(), &mut out.stats).await;
        if is_cancelled(opts) {
            return Err(CrawlError::Cancelled);
        }
        for f in data.iter().filter(|_| opts.keep_inventory) {
            inventory.add(
                format!("{root_url}{}", f.rel),
                fingerprints.get(&f.rel).cloned().unwrap_or_default(),
                f.size,
                f.sampled.then_some(&f.schema),
                f.records,
            );
        }
        tracing::debug!(
            list_s = (t1 - t0).as_secs_f64(),
            read_s = t1.elapsed().as_secs_f64(),
            files = data.len(),
            "{url}: listed and read"
        );
        // Keys and column names once per distinct schema, shared by its files.
        let mut shared: HashMap<*const FileSchema, (Arc<str>, Arc<[String]>)> = HashMap::new();
        let group_files: Vec<GroupFile> = data
            .iter()
            .map(|f| {
                let (key, cols) = shared
                    .entry(Arc::as_ptr(&f.schema))
                    .or_insert_with(|| {
                        (
                            format_key(&f.schema).into(),
                            f.schema.columns.iter().map(|c| c.name.clone()).collect(),
                        )
                    })
                    .clone();
                GroupFile {
                    rel: f.rel.clone(),
                    key,
                    columns: f.sampled.then_some(cols),
                }
            })
            .collect();
        let table_depth = match opts.table_level {
            Some(l) if l < src.include_level => {
                return Err(CrawlError::Options(format!(
                    "table level {l} is above the include path {url} (which is at level {})",
                    src.include_level
                )))
            }
            Some(l) => Some(l - src.include_level),
            None => None,
        };
        let tg = Instant::now();
        let g = group(
            &group_files,
            &GroupOptions {
                table_depth,
                combine_compatible_schemas: opts.combine_compatible_schemas,
            },
        );
        tracing::debug!(group_s = tg.elapsed().as_secs_f64(), "{url}: grouped");
        for (i, reason) in g.skipped {
            skipped.push(Skipped {
                path: format!("{root_url}{}", data[i].rel),
                reason,
            });
        }
        out.notes.extend(g.notes);
        let include_name = src
            .prefix
            .parts()
            .next_back()
            .map(|p| p.as_ref().to_string())
            .unwrap_or_else(|| {
                src.root_url
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string()
            });
        let t2 = Instant::now();
        for t in g.tables {
            let folder = t
                .path
                .last()
                .cloned()
                .unwrap_or_else(|| include_name.clone());
            let location = if t.path.is_empty() {
                root_url.clone()
            } else {
                format!("{root_url}{}/", t.path.join("/"))
            };
            let name = unique_name(&used_names, &mut out.notes, opts, &folder, &location);
            match build(&name, &location, &t, &data, &table_opts) {
                Ok(ct) => {
                    src.counters
                        .tables_found
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    used_names.insert(name);
                    out.tables.push(ct);
                }
                Err(e) => out.notes.push(format!("{location}: no table: {e}")),
            }
        }
        tracing::debug!(
            build_s = t2.elapsed().as_secs_f64(),
            "{url}: grouped and built"
        );
        // Open-format tables: each root's metadata, read concurrently, named in
        // root order so that names do not depend on which read finishes first.
        let mut jobs = Vec::new();
        for root in &roots {
            let location = if root.rel.is_empty() {
                root_url.clone()
            } else {
                format!("{root_url}{}/", root.rel)
            };
            let path = src.object_below(&src.prefix, &root.rel);
            let folder = root
                .rel
                .rsplit('/')
                .next()
                .filter(|f| !f.is_empty())
                .map_or_else(|| include_name.clone(), str::to_string);
            let name = unique_name(&used_names, &mut out.notes, opts, &folder, &location);
            used_names.insert(name.clone());
            let strip = if root.rel.is_empty() {
                0
            } else {
                root.rel.len() + 1
            };
            let files = metadata
                .iter()
                .filter(|m| enclosing.root_of(&m.rel) == Some(root))
                .map(|m| (m.rel[strip..].to_string(), m.size))
                .collect();
            jobs.push((
                root,
                name,
                open_formats::RootFiles {
                    src: &src,
                    url: location,
                    path,
                    files,
                },
            ));
        }
        let naming = open_formats::Naming {
            crawler_name: opts.crawler_name.clone(),
            delta: opts.delta_mode,
        };
        let read: Vec<_> = futures::stream::iter(jobs.iter())
            .map(|(root, name, files)| open_formats::read_table(root, files, name, &naming))
            .buffered(opts.max_requests.max(1))
            .collect()
            .await;
        for ((root, name, files), r) in jobs.iter().zip(read) {
            match r {
                Ok(ct) => {
                    src.counters
                        .tables_found
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    out.tables.push(ct);
                }
                Err(e) => {
                    used_names.remove(name);
                    skipped.push(Skipped {
                        path: files.url.clone(),
                        reason: format!(
                            "a {} table whose metadata could not be read, so none of its files \
                             were crawled: {e}",
                            root.format.as_str()
                        ),
                    });
                }
            }
        }
        if is_cancelled(opts) {
            return Err(CrawlError::Cancelled);
        }
        out.skipped.append(&mut skipped);
        let c = &src.counters;
        out.stats.objects_listed += Counters::get(&c.objects_listed);
        out.stats.files_read += Counters::get(&c.files_read);
        out.stats.bytes_read += Counters::get(&c.bytes_read);
        out.stats.requests += Counters::get(&c.requests);
        if src.root_url.starts_with("s3://") {
            out.stats.requests += Counters::get(&c.objects_listed).div_ceil(1000).max(1);
        }
    }
    out.stats.seconds = started.elapsed().as_secs_f64();
    out.inventory = inventory.finish();
    Ok(out)
}

/// A table name for `folder` that no earlier table of this crawl has taken.
fn unique_name(
    used: &HashSet<String>,
    notes: &mut Vec<String>,
    opts: &CrawlOptions,
    folder: &str,
    location: &str,
) -> String {
    let mut name = table_name(&opts.table_prefix, folder);
    if used.contains(&name) {
        let suffix = format!("_{}", short_hash(location));
        name = format!(
            "{}{suffix}",
            name.chars().take(128 - suffix.len()).collect::<String>()
        );
        notes.push(format!(
            "table name {} clashed; {location} is named {name}",
            table_name(&opts.table_prefix, folder)
        ));
    }
    name
}

fn is_cancelled(opts: &CrawlOptions) -> bool {
    opts.cancel
        .as_ref()
        .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
}

/// What a listing says about an object, so that an unchanged one is recognised.
fn fingerprint(size: u64, modified: Option<std::time::SystemTime>, etag: Option<&str>) -> String {
    let nanos = modified
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{size}:{nanos}:{}", etag.unwrap_or(""))
}

/// Event mode: the files of an include path as the previous run knew them, except
/// under the named folders, which are listed afresh.
#[allow(clippy::too_many_arguments)]
async fn list_folders(
    src: &Source,
    ex: &Exclusions,
    stats: &mut CrawlStats,
    url: &str,
    root_url: &str,
    folders: &[String],
    known: Option<&Known>,
) -> Result<Vec<Listed>, CrawlError> {
    let mine: Vec<&str> = folders
        .iter()
        .filter_map(|f| f.strip_prefix(root_url))
        .collect();
    let relisted = |rel: &str| mine.iter().any(|m| rel.starts_with(m));
    let mut files = Vec::new();
    if let Some(k) = known {
        for (rel, f) in k.files_under(root_url) {
            if !relisted(rel) {
                let path = src.object_below(&src.prefix, rel);
                files.push(Listed {
                    rel: rel.to_string(),
                    path,
                    size: f.size,
                    fingerprint: f.fingerprint.clone(),
                    metadata: open_formats::is_metadata(rel),
                });
            }
        }
    }
    for m in &mine {
        let prefix = src.object_below(&src.prefix, m);
        files.extend(list_store(src, Some(&prefix), ex, stats, url, true).await?);
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    files.dedup_by(|a, b| a.rel == b.rel);
    Ok(files)
}

/// Every object under a URL: paths relative to it and sizes, with the crawler's
/// listing (what `MSCK REPAIR TABLE` lists a table's location with).
pub async fn list_objects(url: &str) -> Result<(String, Vec<(String, u64)>), CrawlError> {
    let src = Source::open(url, 16)?;
    let root = format!("{}/", src.raw_url_of(&src.prefix).trim_end_matches('/'));
    let mut stats = CrawlStats::default();
    let none = Exclusions::new(&[]).map_err(CrawlError::Options)?;
    let files = list(&src, &none, &mut stats, url, false).await?;
    Ok((
        root,
        files
            .into_iter()
            .filter(|f| !f.metadata)
            .map(|f| (f.rel, f.size))
            .collect(),
    ))
}

struct Listed {
    rel: String,
    path: ObjPath,
    size: u64,
    fingerprint: String,
    /// A Delta log, Iceberg metadata or Hudi timeline file (see [`open_formats`]).
    metadata: bool,
}

/// Lists a local folder with `read_dir` on one thread per core: object_store's
/// local listing stats every entry several times over, which was a fifth of a local
/// crawl's time.
fn list_local(
    src: &Source,
    url: &str,
    want_fp: bool,
) -> Result<Vec<(ObjPath, u64, String)>, CrawlError> {
    use std::sync::{Condvar, Mutex};
    struct Queue {
        dirs: Vec<(std::path::PathBuf, ObjPath)>,
        busy: usize,
        error: Option<std::io::Error>,
    }
    let q = Mutex::new(Queue {
        dirs: vec![(src.local_path(&src.prefix), src.prefix.clone())],
        busy: 0,
        error: None,
    });
    let wake = Condvar::new();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let lists: Vec<Vec<(ObjPath, u64, String)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let (dir, obj) = {
                            let mut g = q.lock().unwrap_or_else(|e| e.into_inner());
                            loop {
                                if g.error.is_some() {
                                    return out;
                                }
                                if let Some(d) = g.dirs.pop() {
                                    g.busy += 1;
                                    break d;
                                }
                                if g.busy == 0 {
                                    wake.notify_all();
                                    return out;
                                }
                                g = wake.wait(g).unwrap_or_else(|e| e.into_inner());
                            }
                        };
                        let mut subdirs = Vec::new();
                        let r = (|| -> std::io::Result<()> {
                            for e in std::fs::read_dir(&dir)? {
                                let e = e?;
                                let ft = e.file_type()?;
                                let child =
                                    obj.clone().join(e.file_name().to_string_lossy().as_ref());
                                if ft.is_dir() {
                                    subdirs.push((e.path(), child));
                                } else if ft.is_file() || ft.is_symlink() && e.path().is_file() {
                                    let m = e.metadata()?;
                                    let fp = if want_fp {
                                        fingerprint(m.len(), m.modified().ok(), None)
                                    } else {
                                        String::new()
                                    };
                                    out.push((child, m.len(), fp));
                                    src.counters
                                        .objects_listed
                                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                }
                            }
                            Ok(())
                        })();
                        let mut g = q.lock().unwrap_or_else(|e| e.into_inner());
                        g.busy -= 1;
                        if let Err(e) = r {
                            g.error.get_or_insert(e);
                        }
                        g.dirs.extend(subdirs);
                        wake.notify_all();
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    if let Some(e) = q.into_inner().unwrap_or_else(|e| e.into_inner()).error {
        return Err(CrawlError::List {
            url: url.to_string(),
            message: e.to_string(),
        });
    }
    Ok(lists.into_iter().flatten().collect())
}

async fn list(
    src: &Source,
    ex: &Exclusions,
    stats: &mut CrawlStats,
    url: &str,
    want_fp: bool,
) -> Result<Vec<Listed>, CrawlError> {
    if src.is_local() {
        let mut files = Vec::new();
        let strip = src.prefix.as_ref().len() + 1;
        for (path, size, fp) in list_local(src, url, want_fp)? {
            // Real names, as an S3 listing gives them (partition values and
            // locations are read from them).
            let rel = src.raw_rel(path.as_ref().get(strip..).unwrap_or(""));
            if let Some(l) = classify(rel, path, size, fp, ex, stats) {
                files.push(l);
            }
        }
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        return Ok(files);
    }
    let prefix = (!src.prefix.as_ref().is_empty()).then_some(&src.prefix);
    let mut files = list_store(src, prefix, ex, stats, url, want_fp).await?;
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(files)
}

/// The data files under `prefix` as object_store lists them, paths relative to the
/// include path.
async fn list_store(
    src: &Source,
    prefix: Option<&ObjPath>,
    ex: &Exclusions,
    stats: &mut CrawlStats,
    url: &str,
    want_fp: bool,
) -> Result<Vec<Listed>, CrawlError> {
    let mut stream = src.store.list(prefix);
    let mut files = Vec::new();
    let strip = if src.prefix.as_ref().is_empty() {
        0
    } else {
        src.prefix.as_ref().len() + 1
    };
    while let Some(meta) = stream.try_next().await.map_err(|e| CrawlError::List {
        url: url.to_string(),
        message: e.to_string(),
    })? {
        src.counters
            .objects_listed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let full = meta.location.as_ref();
        let rel = full.get(strip..).unwrap_or(full).to_string();
        let fp = if want_fp {
            // Local listings (`list_local`) have no ETag; object_store makes one up
            // from the inode, so it is left out to keep fingerprints comparable.
            let etag = if src.is_local() {
                None
            } else {
                meta.e_tag.as_deref()
            };
            fingerprint(meta.size, Some(meta.last_modified.into()), etag)
        } else {
            String::new()
        };
        if let Some(l) = classify(rel, meta.location, meta.size, fp, ex, stats) {
            files.push(l);
        }
    }
    Ok(files)
}

/// A file's shared schema and its own record count, or why it could not be read.
type ReadResult = Result<(Arc<FileSchema>, Option<u64>), String>;

#[derive(Default)]
struct Interner {
    map: HashMap<FileSchema, Arc<FileSchema>>,
}

impl Interner {
    fn intern(&mut self, r: Result<FileSchema, String>) -> ReadResult {
        let mut s = r?;
        let records = s.record_count.take();
        s.record_count_exact = false;
        if let Some(a) = self.map.get(&s) {
            return Ok((a.clone(), records));
        }
        let a = Arc::new(s.clone());
        self.map.insert(s, a.clone());
        Ok((a, records))
    }

    fn shared(&mut self, s: Arc<FileSchema>) -> Arc<FileSchema> {
        if let Some(a) = self.map.get(&*s) {
            return a.clone();
        }
        self.map.insert((*s).clone(), s.clone());
        s
    }
}

/// Keeps data files and the metadata files of open table formats; counts the others.
fn classify(
    rel: String,
    path: ObjPath,
    size: u64,
    fingerprint: String,
    ex: &Exclusions,
    stats: &mut CrawlStats,
) -> Option<Listed> {
    if open_formats::is_metadata(&rel) && !ex.excludes(&rel) {
        return Some(Listed {
            rel,
            path,
            size,
            fingerprint,
            metadata: true,
        });
    }
    if is_not_data(&rel) {
        stats.not_data_files += 1;
    } else if ex.excludes(&rel) {
        stats.excluded_files += 1;
    } else if size == 0 {
        stats.zero_byte_files += 1;
    } else {
        return Some(Listed {
            rel,
            path,
            size,
            fingerprint,
            metadata: false,
        });
    }
    None
}

/// Reads the sampled files concurrently; unsampled ones take their folder's format.
async fn read_files(
    src: &Source,
    files: Vec<Listed>,
    opts: &CrawlOptions,
    root_url: &str,
    known: Option<&Known>,
    stats: &mut CrawlStats,
) -> (Vec<DataFile>, Vec<Skipped>) {
    let dir_of = |rel: &str| {
        rel.rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_default()
    };
    let mut per_dir: HashMap<String, usize> = HashMap::new();
    let mut to_read = Vec::new();
    // Known files that need no read: unchanged ones keep their schema; in
    // new-folders-only mode, the others of a known folder take its schema.
    let mut reused: HashMap<usize, (Arc<FileSchema>, Option<u64>)> = HashMap::new();
    let mut in_known_folder: HashSet<usize> = HashSet::new();
    for (i, f) in files.iter().enumerate() {
        let n = per_dir.entry(dir_of(&f.rel)).or_default();
        if opts.sample_files.is_none_or(|max| *n < max) {
            let url = format!("{root_url}{}", f.rel);
            match known {
                Some(k) => {
                    if let Some(hit) = k.unchanged(&url, &f.fingerprint) {
                        reused.insert(i, hit);
                    } else if opts.new_folders_only && k.knows_folder(folder_of(&url)) {
                        in_known_folder.insert(i);
                    } else {
                        to_read.push(i);
                    }
                }
                None => to_read.push(i),
            }
        }
        *n += 1;
    }
    stats.files_reused += (reused.len() + in_known_folder.len()) as u64;
    let cancelled = || is_cancelled(opts);
    src.counters
        .files_to_read
        .store(to_read.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let sample = opts.sample;
    // Schemas are interned as soon as they are inferred: most files of a lake share
    // a handful of schemas, and holding one copy per file was most of a big crawl's
    // memory.
    let results: Vec<(usize, ReadResult)> = if src.is_local() {
        // Local reads never wait on anything but the disk: one thread per core, each
        // running inference to completion (see `Source::is_local`).
        let next = std::sync::atomic::AtomicUsize::new(0);
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .min(opts.max_requests.max(1));
        let (files, to_read, next) = (&files, &to_read, &next);
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(move || {
                        let mut out = Vec::new();
                        let mut interner = Interner::default();
                        loop {
                            if cancelled() {
                                break;
                            }
                            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(&i) = to_read.get(k) else { break };
                            let f = &files[i];
                            let r = futures::executor::block_on(infer_object(
                                src,
                                &f.path,
                                f.size,
                                sample,
                                &opts.classifiers,
                            ));
                            out.push((i, interner.intern(r)));
                        }
                        out
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_default())
                .collect()
        })
    } else {
        let mut interner = Interner::default();
        futures::stream::iter(to_read)
            .take_while(|_| futures::future::ready(!cancelled()))
            .map(|i| {
                let f = &files[i];
                let classifiers = &opts.classifiers;
                async move {
                    (
                        i,
                        infer_object(src, &f.path, f.size, sample, classifiers).await,
                    )
                }
            })
            .buffer_unordered(opts.max_requests.max(1))
            .map(|(i, r)| (i, interner.intern(r)))
            .collect()
            .await
    };
    // One Arc per distinct schema across the reading threads too.
    let mut interner = Interner::default();
    let mut schemas: Vec<Option<(Arc<FileSchema>, Option<u64>)>> = vec![None; files.len()];
    for (i, (s, records)) in reused {
        schemas[i] = Some((interner.shared(s), records));
    }
    let mut skipped = Vec::new();
    let mut failed = HashSet::new();
    for (i, r) in results {
        match r {
            Ok((s, records)) => match s.catalog_problem() {
                None => schemas[i] = Some((interner.shared(s), records)),
                Some(reason) => {
                    failed.insert(i);
                    skipped.push(Skipped {
                        path: src.raw_url_of(&files[i].path),
                        reason,
                    });
                }
            },
            Err(reason) => {
                failed.insert(i);
                skipped.push(Skipped {
                    path: src.raw_url_of(&files[i].path),
                    reason,
                });
            }
        }
    }
    // A folder's format, for its files that were not read.
    let mut dir_schema: HashMap<String, Arc<FileSchema>> = HashMap::new();
    for (i, (s, _)) in schemas
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, s.as_ref()?)))
    {
        dir_schema
            .entry(dir_of(&files[i].rel))
            .or_insert_with(|| s.clone());
    }
    let mut data = Vec::with_capacity(files.len());
    for (i, f) in files.into_iter().enumerate() {
        if failed.contains(&i) {
            continue;
        }
        match schemas[i].take() {
            Some((s, records)) => data.push(DataFile {
                rel: f.rel,
                size: f.size,
                schema: s,
                sampled: true,
                records,
            }),
            None => match dir_schema.get(&dir_of(&f.rel)).cloned().or_else(|| {
                // A folder none of whose files was read this time: its schema from the
                // previous run.
                known?.folder_schema(folder_of(&format!("{root_url}{}", f.rel)))
            }) {
                // Not sampled: it counts in the table's statistics, and its format is
                // taken to be its folder's (Glue's SampleSize works the same way).
                Some(s) => data.push(DataFile {
                    rel: f.rel,
                    size: f.size,
                    schema: s,
                    sampled: false,
                    records: None,
                }),
                None => skipped.push(Skipped {
                    path: src.raw_url_of(&f.path),
                    reason: "not sampled, and no sampled file of its folder could be read".into(),
                }),
            },
        }
    }
    (data, skipped)
}
