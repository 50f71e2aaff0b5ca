//! Where the fronts may create, move and delete folders.
//!
//! Hive's semantics give catalog calls file-system effects: a managed table's
//! folder is made when the table is, moved by a rename and deleted by
//! `drop_table(deleteData=true)`; a database's folder is made with it. Any client
//! can name any `file:` location, so each effect is checked here first:
//!
//! - it must fall inside lakecat's warehouse or one of the locations the operator
//!   allows (`--allowed-locations`); a delete or the source of a move strictly
//!   inside (never a root itself);
//! - it must never be the data directory, a folder holding it, or anything in it
//!   but the warehouse (the store's own files live there);
//! - paths are judged after `..` is resolved and symbolic links of the part that
//!   exists are followed, so neither `<warehouse>/../x` nor a link out escapes.
//!
//! A refused create or move is an error and changes nothing. A refused delete
//! leaves the folder where it is (the catalog entry still goes, as the client
//! asked): losing a table's files is never the safe side of a doubt.
//!
//! The Iceberg front also reads and writes metadata files a client names: local
//! ones only under the same roots ([`Effect::Read`], [`Effect::Create`]), and
//! objects only under the `s3://` prefixes among `--allowed-locations`
//! ([`Folders::check_object`]), so a request cannot aim the server's own
//! credentials at any bucket they reach.

use lakecat_catalog_api::{Error, Result};
use std::path::{Component, Path, PathBuf};

/// What a front wants to do to a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Create,
    /// Move away from here.
    MoveFrom,
    /// Move to here.
    MoveTo,
    Delete,
    /// Read a file a client named (Iceberg metadata).
    Read,
}

impl Effect {
    fn verb(self) -> &'static str {
        match self {
            Effect::Create => "create",
            Effect::MoveFrom => "move",
            Effect::MoveTo => "move a folder to",
            Effect::Delete => "delete",
            Effect::Read => "read",
        }
    }
}

/// The folders lakecat may change, and the one it must never touch.
#[derive(Debug, Clone)]
pub struct Folders {
    warehouse: PathBuf,
    allowed: Vec<PathBuf>,
    /// `s3://bucket/prefix/` entries of `--allowed-locations`.
    allowed_objects: Vec<String>,
    data_dir: Option<PathBuf>,
    /// Nothing may be changed (an app assembled without a warehouse).
    locked: bool,
}

impl Folders {
    /// `allowed` entries are local paths or `file:` URIs; `data_dir` is the
    /// embedded store's folder, if the store has one.
    pub fn new(warehouse: &Path, allowed: &[String], data_dir: Option<&Path>) -> Folders {
        Folders {
            warehouse: resolve(warehouse),
            allowed: allowed
                .iter()
                .map(|a| a.trim())
                .filter(|a| !a.is_empty() && !is_object(a))
                .map(|a| resolve(&local_path(a).unwrap_or_else(|| PathBuf::from(a))))
                .collect(),
            allowed_objects: allowed
                .iter()
                .map(|a| a.trim())
                .filter(|a| is_object(a))
                .map(|a| format!("{}/", a.trim_end_matches('/')))
                .collect(),
            data_dir: data_dir.map(resolve),
            locked: false,
        }
    }

    /// Folders of which none may be changed.
    pub fn none() -> Folders {
        Folders {
            warehouse: PathBuf::new(),
            allowed: vec![],
            allowed_objects: vec![],
            data_dir: None,
            locked: true,
        }
    }

    /// Where `default` and managed tables without a location live.
    pub fn warehouse(&self) -> &Path {
        &self.warehouse
    }

    /// Checks one effect on a local folder (`location` is what the client named,
    /// for the message); the folder's resolved path if it is allowed.
    pub fn check(&self, effect: Effect, location: &str, dir: &Path) -> Result<PathBuf> {
        let path = resolve(dir);
        if self.locked {
            return Err(Error::invalid(format!(
                "cannot {} {location}: this server changes no folders",
                effect.verb()
            )));
        }
        let refuse = |why: String| {
            Err(Error::invalid(format!(
                "cannot {} {location}: {why}",
                effect.verb()
            )))
        };
        if let Some(data) = &self.data_dir {
            if data.starts_with(&path) {
                return refuse(format!(
                    "it is or holds lakecat's data directory {}",
                    data.display()
                ));
            }
            if path.starts_with(data) && !path.starts_with(&self.warehouse) {
                return refuse(format!(
                    "it is inside lakecat's data directory {}",
                    data.display()
                ));
            }
        }
        let strictly = matches!(effect, Effect::Delete | Effect::MoveFrom);
        let inside = |root: &PathBuf| path.starts_with(root) && !(strictly && path == *root);
        if inside(&self.warehouse) || self.allowed.iter().any(inside) {
            return Ok(path);
        }
        let mut roots = vec![self.warehouse.display().to_string()];
        roots.extend(self.allowed.iter().map(|r| r.display().to_string()));
        refuse(format!(
            "lakecat changes folders only {} {} (add a root with --allowed-locations, or make the table external)",
            if strictly { "strictly inside" } else { "inside" },
            roots.join(", ")
        ))
    }

    /// Makes sure a folder exists: one that does needs nothing; a new one is
    /// created if it may be.
    pub fn create(&self, location: &str, dir: &Path) -> Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        let path = self.check(Effect::Create, location, dir)?;
        std::fs::create_dir_all(&path)
            .map_err(|e| Error::invalid(format!("cannot create {}: {e}", path.display())))
    }

    /// Deletes a folder and everything in it if it may; otherwise leaves it and
    /// says why in the log. Errors of the deletion itself are logged too: the
    /// catalog change that asked for it has already committed.
    pub fn delete(&self, location: &str, dir: &Path) {
        match self.check(Effect::Delete, location, dir) {
            Ok(path) => {
                if let Err(e) = std::fs::remove_dir_all(&path) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        tracing::warn!("could not delete {}: {e}", path.display());
                    }
                }
            }
            Err(e) => tracing::warn!("left the folder in place: {}", e.message),
        }
    }
}

/// Whether a location is an object store's (`s3://`, `s3a://`) rather than a folder's.
pub fn is_object(location: &str) -> bool {
    location.starts_with("s3://") || location.starts_with("s3a://")
}

/// An object URL with Hadoop's `s3a://` spelt `s3://`, so that the two compare.
pub fn object_url(url: &str) -> String {
    url.replacen("s3a://", "s3://", 1)
}

impl Folders {
    /// Whether `url` is one of the allowed `s3://` prefixes itself.
    pub fn is_object_root(&self, url: &str) -> bool {
        let trim = |u: &str| object_url(u).trim_end_matches('/').to_string();
        self.allowed_objects.iter().any(|p| trim(p) == trim(url))
    }

    /// Checks that an object (`s3://bucket/key`) lies under an allowed prefix.
    pub fn check_object(&self, effect: Effect, url: &str) -> Result<()> {
        let normal = object_url(url);
        if self
            .allowed_objects
            .iter()
            .any(|p| normal.starts_with(&object_url(p)))
        {
            return Ok(());
        }
        Err(Error::invalid(format!(
            "cannot {} {url}: lakecat reads and writes objects a client names only under the s3:// prefixes in --allowed-locations ({})",
            effect.verb(),
            if self.allowed_objects.is_empty() {
                "none are".to_string()
            } else {
                self.allowed_objects.join(", ")
            }
        )))
    }
}

/// The local folder of a `file:` location.
pub fn local_path(location: &str) -> Option<PathBuf> {
    location
        .strip_prefix("file://")
        .or_else(|| location.strip_prefix("file:"))
        .map(PathBuf::from)
}

/// An absolute path with `.` and `..` resolved and the symbolic links of its
/// longest existing part followed.
fn resolve(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut lexical = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            c => lexical.push(c),
        }
    }
    // Follow links in the part that exists; the rest cannot be a link yet.
    let mut existing = lexical.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out;
        }
        match (existing.file_name().map(|n| n.to_owned()), existing.pop()) {
            (Some(name), true) => rest.push(name),
            _ => return lexical,
        }
    }
}

/// Reads a JSON file (a local file or an S3 object: Iceberg metadata, which the
/// Iceberg front and the console read) if it lies where the fronts may read, and
/// is at most `max_bytes`. A file that cannot be read or parsed is a storage error
/// that names it.
pub async fn read_json(
    folders: &Folders,
    location: &str,
    max_bytes: u64,
) -> Result<serde_json::Value> {
    use lakecat_crawler::source::Source;
    if is_object(location) {
        folders.check_object(Effect::Read, location)?;
    } else {
        let path = local_path(location).unwrap_or_else(|| location.into());
        let dir = path.parent().unwrap_or(&path).to_path_buf();
        folders.check(Effect::Read, location, &dir)?;
    }
    let unreadable =
        |e: String| Error::storage(format!("reading the metadata file {location}: {e}"));
    let (src, path, size) = Source::open_object(location)
        .await
        .map_err(|e| unreadable(e.to_string()))?;
    if size > max_bytes {
        // The client named it (register, a commit's location): its mistake, not ours.
        return Err(Error::new(
            lakecat_catalog_api::ErrorKind::TooLarge,
            format!(
                "the metadata file {location} is {size} bytes, more than the {max_bytes} a metadata file may hold here"
            ),
        ));
    }
    let bytes = src.read(&path, 0..size).await.map_err(unreadable)?;
    serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_only_under_allowed_prefixes() {
        let f = Folders::new(
            Path::new("/w"),
            &["s3://lake/tables".into(), "/x".into()],
            None,
        );
        assert!(f
            .check_object(Effect::Create, "s3://lake/tables/t/metadata/0.json")
            .is_ok());
        assert!(f
            .check_object(Effect::Read, "s3a://lake/tables/t/m.json")
            .is_ok());
        assert!(f
            .check_object(Effect::Create, "s3://lake/tablesX/t")
            .is_err());
        assert!(f
            .check_object(Effect::Create, "s3://other/tables/t")
            .is_err());
        assert!(Folders::none()
            .check_object(Effect::Read, "s3://lake/tables/t")
            .is_err());
    }

    #[test]
    fn effects_stay_inside_the_warehouse_and_allowed_roots() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let data = root.join("data");
        let wh = data.join("warehouse");
        let allowed = root.join("lake");
        std::fs::create_dir_all(&wh).unwrap();
        std::fs::create_dir_all(&allowed).unwrap();
        std::fs::create_dir_all(root.join("outside")).unwrap();
        let f = Folders::new(&wh, &[format!("file://{}", allowed.display())], Some(&data));
        let ok = |e, p: PathBuf| f.check(e, "x", &p).is_ok();
        assert!(ok(Effect::Create, wh.join("db.db/t")));
        assert!(ok(Effect::Create, wh.clone()));
        assert!(ok(Effect::Delete, wh.join("db.db/t")));
        assert!(ok(Effect::Delete, allowed.join("t")));
        assert!(!ok(Effect::Delete, wh.clone()), "a root itself");
        assert!(!ok(Effect::MoveFrom, allowed.clone()));
        assert!(!ok(Effect::Delete, data.clone()), "the data directory");
        assert!(!ok(Effect::Create, data.clone()));
        assert!(!ok(Effect::Delete, root.clone()), "a folder holding it");
        assert!(!ok(Effect::Delete, data.join("db")), "the store's files");
        assert!(!ok(Effect::Delete, wh.join("../outside/x")));
        assert!(!ok(Effect::Create, root.join("outside/x")));
        assert!(!ok(Effect::MoveTo, PathBuf::from("/etc/x")));
        // A link inside the warehouse that points out is judged by its target.
        std::os::unix::fs::symlink(root.join("outside"), wh.join("link")).unwrap();
        assert!(!ok(Effect::Delete, wh.join("link/t")));
        assert!(!ok(Effect::Delete, wh.join("link")));
        let msg = f
            .check(Effect::Delete, "file:/etc", Path::new("/etc"))
            .unwrap_err()
            .message;
        assert!(
            msg.contains("cannot delete file:/etc") && msg.contains("--allowed-locations"),
            "{msg}"
        );
    }
}
