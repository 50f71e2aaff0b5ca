//! Where a crawl reads from: an object store, the prefix inside it, and counters of
//! what was asked of it.
//!
//! object_store does the work (S3 signing, retries with backoff on throttling, 5xx
//! and resets, local files); this module only turns a URL into a store and keeps
//! the request and byte counts the report and the benchmarks need.

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, RetryConfig};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::CrawlError;

/// One segment of a local object path as the file system names it (object
/// paths percent-escape some characters).
fn real_name(part: &str) -> std::borrow::Cow<'_, str> {
    percent_encoding::percent_decode_str(part).decode_utf8_lossy()
}

/// What a crawl has asked of its store so far.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub bytes_read: AtomicU64,
    pub objects_listed: AtomicU64,
    pub files_read: AtomicU64,
    /// Known once listing is done: the files that will be read.
    pub files_to_read: AtomicU64,
    pub tables_found: AtomicU64,
}

impl Counters {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// One include path, opened.
#[derive(Clone)]
pub struct Source {
    pub store: Arc<dyn ObjectStore>,
    /// The include path inside the store, without a trailing slash (empty = the whole bucket).
    pub prefix: ObjPath,
    /// The URL of the store's root, to which object paths are appended (`s3://bucket/`, `file:///`).
    pub root_url: String,
    /// How deep the include path is, counting the bucket (or, for local paths, the
    /// first folder below `/`) as level 1, as Glue's `TableLevelConfiguration` does.
    pub include_level: usize,
    pub counters: Arc<Counters>,
    /// Bounds the requests in flight.
    permits: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Source({})", self.url_of(self.prefix.as_ref()))
    }
}

fn retry() -> RetryConfig {
    RetryConfig {
        backoff: Default::default(),
        max_retries: 6,
        retry_timeout: Duration::from_secs(120),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Source {
    /// Opens `s3://bucket/prefix`, `file:///path` or a plain local path.
    pub fn open(url: &str, max_requests: usize) -> Result<Source, CrawlError> {
        let counters = Arc::new(Counters::default());
        let permits = Arc::new(tokio::sync::Semaphore::new(max_requests.max(1)));
        if let Some(rest) = url
            .strip_prefix("s3://")
            .or_else(|| url.strip_prefix("s3a://"))
        {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(CrawlError::Url(format!("{url}: no bucket name")));
            }
            // from_env reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
            // AWS_REGION, AWS_ENDPOINT and AWS_ALLOW_HTTP; AWS_ENDPOINT_URL is the name the
            // AWS SDKs and CLI use, so it is honoured too.
            let mut b = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_retry(retry());
            if env("AWS_REGION").is_none() && env("AWS_DEFAULT_REGION").is_none() {
                b = b.with_region("us-east-1");
            }
            if let Some(ep) = env("AWS_ENDPOINT_URL").or_else(|| env("AWS_ENDPOINT")) {
                // A plain-http endpoint is only usable with http allowed; saying the
                // endpoint is http:// is taken as that permission.
                if ep.starts_with("http://") {
                    b = b.with_allow_http(true);
                }
                b = b.with_endpoint(ep);
            }
            let store = b
                .build()
                .map_err(|e| CrawlError::Url(format!("{url}: {e}")))?;
            let key = key.trim_matches('/');
            Ok(Source {
                store: Arc::new(store),
                prefix: ObjPath::from(key),
                root_url: format!("s3://{bucket}/"),
                include_level: 1 + key.split('/').filter(|s| !s.is_empty()).count(),
                counters,
                permits,
            })
        } else if url.contains("://") && !url.starts_with("file://") {
            Err(CrawlError::Url(format!(
                "{url}: unsupported scheme (use s3://, file:// or a local path)"
            )))
        } else {
            let local = url.strip_prefix("file://").unwrap_or(url);
            let abs =
                std::fs::canonicalize(local).map_err(|e| CrawlError::Url(format!("{url}: {e}")))?;
            if !abs.is_dir() {
                return Err(CrawlError::Url(format!(
                    "{url}: not a folder (a crawl starts at a folder)"
                )));
            }
            let prefix = ObjPath::from_filesystem_path(&abs)
                .map_err(|e| CrawlError::Url(format!("{url}: {e}")))?;
            let include_level = prefix.parts().count();
            Ok(Source {
                store: Arc::new(LocalFileSystem::new()),
                prefix,
                root_url: "file:///".into(),
                include_level,
                counters,
                permits,
            })
        }
    }

    /// Opens one object (`s3://bucket/key`, `file:///path`, a local path): the source
    /// of its folder, its path and its size.
    pub async fn open_object(url: &str) -> Result<(Source, ObjPath, u64), CrawlError> {
        let (folder, path) = if url.starts_with("s3://") || url.starts_with("s3a://") {
            let (dir, _) = url
                .rsplit_once('/')
                .filter(|(d, _)| d.matches('/').count() >= 2)
                .ok_or_else(|| CrawlError::Url(format!("{url}: no object key")))?;
            let src = Source::open(dir, 4)?;
            let key = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
            let key = key.split_once('/').map(|(_, k)| k).unwrap_or("");
            (src, ObjPath::from(key))
        } else {
            let local = url.strip_prefix("file://").unwrap_or(url);
            let abs =
                std::fs::canonicalize(local).map_err(|e| CrawlError::Url(format!("{url}: {e}")))?;
            if !abs.is_file() {
                return Err(CrawlError::Url(format!("{url}: not a file")));
            }
            let parent = abs.parent().unwrap_or(&abs).to_string_lossy().into_owned();
            let path = ObjPath::from_filesystem_path(&abs)
                .map_err(|e| CrawlError::Url(format!("{url}: {e}")))?;
            (Source::open(&parent, 4)?, path)
        };
        folder.counters.requests.fetch_add(1, Ordering::Relaxed);
        let meta = folder
            .store
            .head(&path)
            .await
            .map_err(|e| CrawlError::Url(format!("{url}: {e}")))?;
        Ok((folder, path, meta.size))
    }

    /// The URL of an object path (or folder path) in this store.
    pub fn url_of(&self, path: &str) -> String {
        format!("{}{}", self.root_url, path)
    }

    /// The URL of an object path with the real names in it, as catalog
    /// locations and engines (Hadoop's `Path`) need them: a local file's object
    /// path escapes some characters (`%` among them); an S3 key is its own name.
    pub fn raw_url_of(&self, path: &ObjPath) -> String {
        if self.is_local() {
            format!("file://{}", self.local_path(path).display())
        } else {
            self.url_of(path.as_ref())
        }
    }

    /// A listed object path below `base` as a path of real names (see [`Source::raw_url_of`]).
    pub fn raw_rel(&self, rel: &str) -> String {
        if !self.is_local() {
            return rel.to_string();
        }
        rel.split('/').map(real_name).collect::<Vec<_>>().join("/")
    }

    /// The object path of `raw_rel` (real names, `/`-separated) below `base`.
    pub fn object_below(&self, base: &ObjPath, raw_rel: &str) -> ObjPath {
        if self.is_local() {
            return raw_rel
                .split('/')
                .filter(|p| !p.is_empty())
                .fold(base.clone(), |p, part| p.join(part));
        }
        let full = format!("{}/{raw_rel}", base.as_ref());
        let full = full.trim_matches('/');
        ObjPath::parse(full).unwrap_or_else(|_| ObjPath::from(full))
    }

    /// Local folders are read with plain positioned reads on the calling thread:
    /// object_store's local backend hands every read to tokio's blocking pool, and
    /// for the small reads of a crawl those thread hand-offs cost more than the reads.
    pub fn is_local(&self) -> bool {
        self.root_url == "file:///"
    }

    /// The file system path of an object of a local source (object paths escape
    /// some characters; the file system's names are the unescaped ones).
    pub fn local_path(&self, path: &ObjPath) -> std::path::PathBuf {
        let mut p = std::path::PathBuf::from("/");
        for part in path.parts() {
            p.push(real_name(part.as_ref()).as_ref());
        }
        p
    }

    fn read_local(&self, path: &ObjPath, range: Range<u64>) -> Result<Bytes, String> {
        use std::os::unix::fs::FileExt;
        let f = std::fs::File::open(self.local_path(path)).map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; (range.end - range.start) as usize];
        f.read_exact_at(&mut buf, range.start)
            .map_err(|e| e.to_string())?;
        Ok(Bytes::from(buf))
    }

    /// Reads a byte range (clamped to the object's size by the caller).
    pub async fn read(&self, path: &ObjPath, range: Range<u64>) -> Result<Bytes, String> {
        if self.is_local() {
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let b = self.read_local(path, range)?;
            self.counters
                .bytes_read
                .fetch_add(b.len() as u64, Ordering::Relaxed);
            return Ok(b);
        }
        let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let b = self
            .store
            .get_range(path, range)
            .await
            .map_err(|e| e.to_string())?;
        self.counters
            .bytes_read
            .fetch_add(b.len() as u64, Ordering::Relaxed);
        Ok(b)
    }
}
