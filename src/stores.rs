//! The one place that turns a store URL into a [`CatalogStore`].
//!
//! `--store URL` (`LAKECAT_STORE`, `store = "…"` in the config file) names the
//! backend: a plain path or `sled:///path` is the embedded sled store (what
//! `--data-dir DIR` has always meant), `postgres://user:password@host:port/db`
//! names PostgreSQL. Every command that opens a catalog goes through [`open`].

use lakecat_catalog_api::store::CatalogStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The embedded store's folder when nothing else is said.
pub const DEFAULT_DATA_DIR: &str = "./lakecat-data";

/// Where a catalog is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// The embedded store in this folder.
    Sled(PathBuf),
    /// A PostgreSQL database (the URL as given).
    Postgres(String),
}

impl StoreUrl {
    pub fn parse(url: &str) -> Result<StoreUrl, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("the store URL is empty".into());
        }
        if let Some(path) = url.strip_prefix("sled://") {
            if path.is_empty() {
                return Err(format!(
                    "store {url:?}: sled:// needs a folder, e.g. sled:///var/lib/lakecat"
                ));
            }
            return Ok(StoreUrl::Sled(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(StoreUrl::Postgres(url.to_string()));
        }
        match url.split_once("://") {
            Some((scheme, _)) => Err(format!(
                "store {url:?}: unknown scheme {scheme}:// (use a folder, sled:///folder or postgres://user:password@host:port/db)"
            )),
            None => Ok(StoreUrl::Sled(PathBuf::from(url))),
        }
    }

    /// The folder of an embedded store.
    pub fn data_dir(&self) -> Option<&Path> {
        match self {
            StoreUrl::Sled(dir) => Some(dir),
            StoreUrl::Postgres(_) => None,
        }
    }
}

impl std::fmt::Display for StoreUrl {
    /// The URL without its password, for logs and messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreUrl::Sled(dir) => write!(f, "sled://{}", dir.display()),
            StoreUrl::Postgres(url) => {
                let shown = match (url.find("://"), url.rfind('@')) {
                    (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
                        Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                        None => url.clone(),
                    },
                    _ => url.clone(),
                };
                f.write_str(&shown)
            }
        }
    }
}

/// Which store a command uses: `--store` or `--data-dir` from the command line
/// (or their variables), else the config file's `store` or `data_dir`, else
/// `./lakecat-data`. Naming both at one level is an error.
pub fn choose(
    store: Option<String>,
    data_dir: Option<PathBuf>,
    file_store: Option<String>,
    file_data_dir: Option<PathBuf>,
) -> Result<StoreUrl, String> {
    let pick = |store: Option<String>, dir: Option<PathBuf>, whose: &str| {
        match (store, dir) {
        (Some(_), Some(_)) => Err(format!(
            "{whose} names both a store URL and a data directory: give one (a data directory DIR is the store sled://DIR)"
        )),
        (Some(s), None) => StoreUrl::parse(&s).map(Some),
        (None, Some(d)) => Ok(Some(StoreUrl::Sled(d))),
        (None, None) => Ok(None),
    }
    };
    if let Some(url) = pick(store, data_dir, "the command line")? {
        return Ok(url);
    }
    if let Some(url) = pick(file_store, file_data_dir, "the config file")? {
        return Ok(url);
    }
    Ok(StoreUrl::Sled(PathBuf::from(DEFAULT_DATA_DIR)))
}

/// Opens the store `url` names; `max_versions` is how many earlier versions of
/// each table it keeps. A store an interrupted `lakecat store copy` left is
/// refused: it holds part of a catalog.
pub fn open(url: &StoreUrl, max_versions: usize) -> Result<Arc<dyn CatalogStore>, String> {
    let store = open_as_is(url, max_versions)?;
    match crate::services::copy::interrupted(&*store) {
        Ok(None) => Ok(store),
        Ok(Some(began)) => Err(format!(
            "store {url} holds an interrupted `lakecat store copy` (it began {began}): it is \
             incomplete and is not used; run the same `lakecat store copy` again, which empties \
             it and starts over"
        )),
        Err(e) => Err(format!("store {url}: {}", e.message)),
    }
}

/// [`open`] without refusing what an interrupted copy left: for `store copy`.
pub fn open_as_is(url: &StoreUrl, max_versions: usize) -> Result<Arc<dyn CatalogStore>, String> {
    match url {
        StoreUrl::Sled(dir) => lakecat_store_sled::SledStore::open(dir, max_versions)
            .map(|s| Arc::new(s) as Arc<dyn CatalogStore>)
            .map_err(|e| e.message),
        StoreUrl::Postgres(u) => lakecat_store_postgres::PgStore::open(u, max_versions)
            .map(|s| Arc::new(s) as Arc<dyn CatalogStore>)
            .map_err(|e| format!("store {url}: {}", e.message)),
    }
}

/// Brings the store's schema up to this build's (what `open` also does) and
/// says what was done: `lakecat migrate`.
pub fn migrate(url: &StoreUrl) -> Result<String, String> {
    match url {
        StoreUrl::Sled(dir) => {
            lakecat_store_sled::SledStore::open(dir, 1).map_err(|e| e.message)?;
            Ok(format!(
                "store {url} is at store format {}",
                lakecat_store_sled::FORMAT_VERSION
            ))
        }
        StoreUrl::Postgres(u) => {
            let applied = lakecat_store_postgres::migrate_url(u)
                .map_err(|e| format!("store {url}: {}", e.message))?;
            let v = lakecat_store_postgres::SCHEMA_VERSION;
            Ok(match applied.as_slice() {
                [] => format!("store {url} is at schema version {v}; nothing to do"),
                a => format!(
                    "store {url}: applied {}; now at schema version {v}",
                    a.iter()
                        .map(|(n, name)| format!("migration {n} ({name})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        let sled = |p: &str| StoreUrl::Sled(PathBuf::from(p));
        assert_eq!(StoreUrl::parse("/var/lib/lc").unwrap(), sled("/var/lib/lc"));
        assert_eq!(StoreUrl::parse("data").unwrap(), sled("data"));
        assert_eq!(
            StoreUrl::parse("sled:///var/lib/lc").unwrap(),
            sled("/var/lib/lc")
        );
        assert_eq!(StoreUrl::parse("sled://rel").unwrap(), sled("rel"));
        let pg = StoreUrl::parse("postgres://u:secret@db:5432/cat?sslmode=disable").unwrap();
        assert_eq!(pg.data_dir(), None);
        assert_eq!(
            pg.to_string(),
            "postgres://u:***@db:5432/cat?sslmode=disable"
        );
        assert!(StoreUrl::parse("mysql://x")
            .unwrap_err()
            .contains("unknown scheme"));
        assert!(StoreUrl::parse("sled://").is_err());
        let unreachable =
            StoreUrl::parse("postgres://u:secret@127.0.0.1:1/cat?connect_timeout=1").unwrap();
        let Err(e) = open(&unreachable, 1) else {
            panic!("nothing listens on port 1")
        };
        assert!(
            e.contains("u:***@") && !e.contains("secret"),
            "no password in messages: {e}"
        );
    }

    #[test]
    fn flags_then_file_then_default() {
        let dir = |p: &str| Some(PathBuf::from(p));
        let s = |p: &str| Some(p.to_string());
        assert_eq!(
            choose(None, dir("a"), s("sled:///f"), None).unwrap(),
            StoreUrl::Sled("a".into())
        );
        assert_eq!(
            choose(s("sled:///b"), None, None, dir("f")).unwrap(),
            StoreUrl::Sled("/b".into())
        );
        assert_eq!(
            choose(None, None, None, dir("f")).unwrap(),
            StoreUrl::Sled("f".into())
        );
        assert_eq!(
            choose(None, None, None, None).unwrap(),
            StoreUrl::Sled(DEFAULT_DATA_DIR.into())
        );
        assert!(choose(s("x"), dir("y"), None, None)
            .unwrap_err()
            .contains("both"));
        assert!(choose(None, None, s("x"), dir("y"))
            .unwrap_err()
            .contains("config file"));
    }
}
