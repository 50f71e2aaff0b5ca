//! Configuration: command-line flags override `LAKECAT_*` environment variables
//! (clap reads both), which override the TOML config file, which overrides the
//! built-in defaults.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_DATA_DIR: &str = "./lakecat-data";
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:9700";
pub const DEFAULT_MAX_TABLE_VERSIONS: usize = 100;
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The config file's shape; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub http_addr: Option<String>,
    pub max_table_versions: Option<usize>,
    pub max_body_bytes: Option<usize>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
    }
}

/// The settings `lakecat serve` runs with.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    pub http_addr: SocketAddr,
    pub max_table_versions: usize,
    pub max_body_bytes: usize,
}

impl ServeConfig {
    pub fn resolve(
        file: FileConfig,
        data_dir: Option<PathBuf>,
        http_addr: Option<String>,
        max_table_versions: Option<usize>,
        max_body_bytes: Option<usize>,
    ) -> Result<Self, String> {
        let addr = http_addr
            .or(file.http_addr)
            .unwrap_or_else(|| DEFAULT_HTTP_ADDR.to_string());
        let http_addr = addr.parse().map_err(|e| {
            format!("http address {addr:?}: {e} (expected host:port, e.g. 127.0.0.1:9700)")
        })?;
        let max_table_versions = max_table_versions
            .or(file.max_table_versions)
            .unwrap_or(DEFAULT_MAX_TABLE_VERSIONS);
        if !(1..=lakecat_catalog_api::limits::MAX_TABLE_VERSIONS).contains(&max_table_versions) {
            return Err(format!(
                "max_table_versions must be between 1 and {}, not {max_table_versions}",
                lakecat_catalog_api::limits::MAX_TABLE_VERSIONS
            ));
        }
        Ok(ServeConfig {
            data_dir: data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            http_addr,
            max_table_versions,
            max_body_bytes: max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(DEFAULT_MAX_BODY_BYTES),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let file: FileConfig = toml::from_str(
            "data_dir = \"/f\"\nhttp_addr = \"127.0.0.1:1\"\nmax_table_versions = 7",
        )
        .unwrap();
        let c = ServeConfig::resolve(file, None, Some("0.0.0.0:2".into()), None, None).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/f"));
        assert_eq!(c.http_addr.to_string(), "0.0.0.0:2");
        assert_eq!(c.max_table_versions, 7);
        assert_eq!(c.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        let c = ServeConfig::resolve(FileConfig::default(), None, None, None, None).unwrap();
        assert_eq!(c.http_addr.to_string(), DEFAULT_HTTP_ADDR);
        assert!(toml::from_str::<FileConfig>("data_dri = 1")
            .unwrap_err()
            .to_string()
            .contains("unknown field"));
        let e = ServeConfig::resolve(FileConfig::default(), None, Some("nope".into()), None, None)
            .unwrap_err();
        assert!(e.contains("expected host:port"), "{e}");
        assert!(ServeConfig::resolve(FileConfig::default(), None, None, Some(0), None).is_err());
    }
}
