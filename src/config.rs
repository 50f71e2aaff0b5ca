//! Configuration: command-line flags override `LAKECAT_*` environment variables
//! (clap reads both), which override the TOML config file, which overrides the
//! built-in defaults.

use crate::stores::StoreUrl;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:9700";
pub const DEFAULT_THRIFT_ADDR: &str = "127.0.0.1:9083";
pub const DEFAULT_MAX_TABLE_VERSIONS: usize = 100;
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The config file's shape; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Where the catalog is stored (see [`crate::stores`]); `data_dir = DIR`
    /// means `store = "sled://DIR"`.
    pub store: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub http_addr: Option<String>,
    pub max_table_versions: Option<usize>,
    pub max_body_bytes: Option<usize>,
    /// `none` or `sigv4`.
    pub auth: Option<String>,
    /// `["ID:SECRET", …]` for `auth = "sigv4"`.
    pub access_keys: Option<Vec<String>>,
    /// The Hive Metastore Thrift address, or `off`.
    pub thrift_addr: Option<String>,
    /// Where the `default` database and managed tables without a location live.
    pub warehouse_dir: Option<PathBuf>,
    /// Local folders (paths or `file:` URIs) outside the warehouse in which the
    /// fronts may create, move and delete managed tables' folders.
    pub allowed_locations: Option<Vec<String>>,
    /// Hosts (`host`, `host:port`, `*.suffix`) whose SNS `SubscribeURL`s lakecat visits.
    pub sns_confirm_hosts: Option<Vec<String>>,
    /// PEM files of the SNS signing certificates trusted on `/v1/events/s3`.
    pub sns_certificates: Option<Vec<PathBuf>>,
    /// SNS topic ARNs whose messages are accepted.
    pub sns_topics: Option<Vec<String>>,
    /// `none` or `grants`.
    pub authorization: Option<String>,
    /// Principals always administrators under `authorization = "grants"`.
    pub admins: Option<Vec<String>>,
    /// Connections open at once on each port.
    pub max_connections: Option<usize>,
    /// Seconds a connection may send nothing before it is closed.
    pub idle_timeout_secs: Option<u64>,
    /// Bytes of request bodies held at once across all HTTP requests.
    pub max_inflight_body_bytes: Option<usize>,
    /// Serve the Thrift port, which has no authentication, while HTTP requires it.
    pub allow_unauthenticated_thrift: Option<bool>,
    /// TLS on the HTTP port: a PEM certificate chain and its private key.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// TLS on the Thrift port too (Hive's `hive.metastore.use.SSL`).
    pub thrift_tls: Option<bool>,
    /// `["USER:PASSWORD", …]`: SASL PLAIN required on the Thrift port.
    pub thrift_users: Option<Vec<String>>,
    /// SASL GSSAPI (Kerberos) required on the Thrift port, with this keytab.
    pub thrift_kerberos_keytab: Option<PathBuf>,
    /// The service principal (`hive/_HOST@REALM`); any in the keytab if unset.
    pub thrift_kerberos_principal: Option<String>,
    /// Hadoop's `hadoop.rpc.protection` values offered: `"authentication,integrity,privacy"`.
    pub thrift_kerberos_protection: Option<String>,
    /// The change log keeps at most this many events.
    pub events_max_count: Option<u64>,
    /// The change log keeps events at most this many seconds.
    pub events_max_age_secs: Option<u64>,
    /// `on` (the default) or `off`: whether this process logs its writes.
    pub change_log: Option<String>,
    /// Webhook subscriptions, created or replaced at start (`[[webhooks]]`).
    pub webhooks: Option<Vec<crate::services::webhooks::Subscription>>,
}

/// What `lakecat serve` was given on the command line (or in `LAKECAT_*` variables).
#[derive(Debug, Default)]
pub struct ServeFlags {
    pub store: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub http_addr: Option<String>,
    pub max_table_versions: Option<usize>,
    pub max_body_bytes: Option<usize>,
    pub auth: Option<String>,
    /// `ID:SECRET,ID2:SECRET2`.
    pub access_keys: Option<String>,
    pub thrift_addr: Option<String>,
    pub warehouse_dir: Option<PathBuf>,
    /// `DIR,DIR2`.
    pub allowed_locations: Option<String>,
    /// `HOST,HOST2`.
    pub sns_confirm_hosts: Option<String>,
    /// `FILE,FILE2`.
    pub sns_certificates: Option<String>,
    /// `ARN,ARN2`.
    pub sns_topics: Option<String>,
    pub authorization: Option<String>,
    /// `P,P2`.
    pub admins: Option<String>,
    pub max_connections: Option<usize>,
    pub idle_timeout_secs: Option<u64>,
    pub max_inflight_body_bytes: Option<usize>,
    pub allow_unauthenticated_thrift: bool,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub thrift_tls: bool,
    /// `USER:PASSWORD,USER2:PASSWORD2`.
    pub thrift_users: Option<String>,
    pub thrift_kerberos_keytab: Option<PathBuf>,
    pub thrift_kerberos_principal: Option<String>,
    pub thrift_kerberos_protection: Option<String>,
    pub events_max_count: Option<u64>,
    pub events_max_age_secs: Option<u64>,
    pub change_log: Option<String>,
}

impl FileConfig {
    /// The store a command uses, given its `--store` and `--data-dir`.
    pub fn store(
        &self,
        store: Option<String>,
        data_dir: Option<PathBuf>,
    ) -> Result<StoreUrl, String> {
        crate::stores::choose(store, data_dir, self.store.clone(), self.data_dir.clone())
    }

    /// The folders the fronts may change: the warehouse (`warehouse_dir`, else
    /// the file's, else [`default_warehouse`]) and the allowed locations
    /// (`allowed`, else the file's), never the store's own folder.
    pub fn folders(
        &self,
        store: &StoreUrl,
        warehouse_dir: Option<PathBuf>,
        allowed: Option<String>,
    ) -> crate::services::folders::Folders {
        let warehouse = warehouse_dir
            .or_else(|| self.warehouse_dir.clone())
            .unwrap_or_else(|| default_warehouse(store));
        let allowed = allowed_list(allowed, self.allowed_locations.clone());
        crate::services::folders::Folders::new(&warehouse, &allowed, store.data_dir())
    }

    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
    }
}

/// `<data-dir>/warehouse` for an embedded store, `./lakecat-warehouse` otherwise.
pub fn default_warehouse(store: &StoreUrl) -> PathBuf {
    match store.data_dir() {
        Some(dir) => dir.join("warehouse"),
        None => PathBuf::from("lakecat-warehouse"),
    }
}

/// A comma-separated flag (`--allowed-locations`, `--sns-confirm-hosts`) if
/// given, else the file's list.
fn allowed_list(flag: Option<String>, file: Option<Vec<String>>) -> Vec<String> {
    match flag {
        Some(list) => list.split(',').map(str::to_string).collect(),
        None => file.unwrap_or_default(),
    }
}

/// The settings `lakecat serve` runs with.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub store: StoreUrl,
    pub http_addr: SocketAddr,
    pub max_table_versions: usize,
    pub max_body_bytes: usize,
    /// The access keys requests must be signed with; `None` = no authentication.
    pub keys: Option<crate::http::sigv4::Keys>,
    /// `None` = the Hive Metastore front is off.
    pub thrift_addr: Option<SocketAddr>,
    pub warehouse_dir: PathBuf,
    /// What the fronts may create, move and delete (see [`crate::services::folders`]).
    pub folders: crate::services::folders::Folders,
    /// Whose SNS `SubscribeURL`s may be visited (see [`crate::services::sns`]).
    pub sns_confirm_hosts: Vec<String>,
    /// The SNS certificates and topics trusted (see [`crate::services::sns::Signatures`]).
    pub sns_signatures: std::sync::Arc<crate::services::sns::Signatures>,
    /// Permissions on, with these principals always administrators; `None` = off.
    pub admins: Option<Vec<String>>,
    /// Connections and idle time per port (see [`crate::net`]).
    pub limits: crate::net::Limits,
    /// Bytes of request bodies held at once (see [`crate::net::body_budget`]).
    pub inflight_body_bytes: usize,
    /// TLS on the HTTP port (see [`crate::tls`]).
    pub tls: Option<crate::tls::TlsFiles>,
    /// TLS on the Thrift port too, with the same files.
    pub thrift_tls: bool,
    /// SASL on the Thrift port (see [`crate::hms::sasl`]).
    pub thrift_sasl: crate::hms::sasl::Mechanisms,
    /// How long the change log keeps events.
    pub retention: lakecat_catalog_api::events::Retention,
    pub webhooks: Vec<crate::services::webhooks::Subscription>,
    /// Whether this process logs its writes.
    pub change_log: bool,
}

impl ServeConfig {
    pub fn resolve(file: FileConfig, flags: ServeFlags) -> Result<Self, String> {
        let ServeFlags {
            store,
            data_dir,
            http_addr,
            max_table_versions,
            max_body_bytes,
            auth,
            access_keys,
            thrift_addr,
            warehouse_dir,
            allowed_locations,
            sns_confirm_hosts,
            sns_certificates,
            sns_topics,
            authorization,
            admins,
            max_connections,
            idle_timeout_secs,
            max_inflight_body_bytes,
            allow_unauthenticated_thrift,
            tls_cert,
            tls_key,
            thrift_tls,
            thrift_users,
            thrift_kerberos_keytab,
            thrift_kerberos_principal,
            thrift_kerberos_protection,
            events_max_count,
            events_max_age_secs,
            change_log,
        } = flags;
        let store = file.store(store, data_dir)?;
        let warehouse_dir = warehouse_dir
            .or_else(|| file.warehouse_dir.clone())
            .unwrap_or_else(|| default_warehouse(&store));
        // Hive clients need absolute locations.
        let warehouse_dir = std::path::absolute(&warehouse_dir).unwrap_or(warehouse_dir);
        let folders = file.folders(&store, Some(warehouse_dir.clone()), allowed_locations);
        let addr = http_addr
            .or(file.http_addr)
            .unwrap_or_else(|| DEFAULT_HTTP_ADDR.to_string());
        let http_addr: SocketAddr = addr.parse().map_err(|e| {
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
        let keys = match access_keys {
            Some(list) => crate::http::sigv4::Keys::parse(&list)?,
            None => {
                crate::http::sigv4::Keys::parse(&file.access_keys.unwrap_or_default().join(","))?
            }
        };
        let loopback = http_addr.ip().is_loopback();
        let keys = match auth.or(file.auth).as_deref() {
            Some("none") => None,
            Some("sigv4") if keys.0.is_empty() => {
                return Err("auth sigv4 needs access keys (--access-keys ID:SECRET,… or LAKECAT_ACCESS_KEYS)".into())
            }
            Some("sigv4") => Some(keys),
            Some(other) => return Err(format!("auth {other:?} is not one of none, sigv4")),
            None if loopback => None,
            None => {
                return Err(format!(
                    "{http_addr} is not a loopback address: choose --auth sigv4 (with access keys) or, on a trusted network, --auth none"
                ))
            }
        };
        let thrift = thrift_addr
            .or(file.thrift_addr)
            .unwrap_or_else(|| DEFAULT_THRIFT_ADDR.to_string());
        let thrift_addr = match thrift.as_str() {
            "off" | "none" => None,
            a => Some(a.parse::<SocketAddr>().map_err(|e| {
                format!(
                    "thrift address {a:?}: {e} (expected host:port, e.g. 127.0.0.1:9083, or off)"
                )
            })?),
        };
        // An authenticated HTTP port beside an open Thrift port is a false sense of
        // security: the Thrift port changes the same catalog without credentials.
        let open_thrift_allowed =
            allow_unauthenticated_thrift || file.allow_unauthenticated_thrift.unwrap_or(false);
        let plain = match thrift_users.or(file.thrift_users.map(|v| v.join(","))) {
            Some(list) => Some(crate::hms::sasl::Users::parse(&list)?),
            None => None,
        };
        let kerberos = match thrift_kerberos_keytab.or(file.thrift_kerberos_keytab) {
            Some(path) => {
                let principal = match thrift_kerberos_principal.or(file.thrift_kerberos_principal) {
                    Some(p) if p.contains("_HOST") => Some(p.replace("_HOST", &host_name()?)),
                    p => p,
                };
                let keytab = crate::hms::gssapi::Keytab { path, principal };
                keytab
                    .check()
                    .map_err(|e| format!("--thrift-kerberos-keytab: {e}"))?;
                let protection =
                    match thrift_kerberos_protection.or(file.thrift_kerberos_protection) {
                        Some(list) => crate::hms::sasl::Protection::parse(&list)
                            .map_err(|e| format!("--thrift-kerberos-protection: {e}"))?,
                        None => crate::hms::sasl::Protection::ANY,
                    };
                Some(crate::hms::sasl::Kerberos { keytab, protection })
            }
            None if thrift_kerberos_principal.is_some() || thrift_kerberos_protection.is_some() => {
                return Err("--thrift-kerberos-principal and --thrift-kerberos-protection need --thrift-kerberos-keytab".into())
            }
            None => None,
        };
        let thrift_sasl = crate::hms::sasl::Mechanisms { plain, kerberos };
        if keys.is_some() && thrift_addr.is_some() && !thrift_sasl.any() && !open_thrift_allowed {
            return Err("--auth sigv4 protects HTTP only, and the Hive Metastore Thrift port has no authentication: require SASL there (--thrift-kerberos-keytab or --thrift-users), turn it off (--thrift-addr off) or accept it knowingly (--allow-unauthenticated-thrift)".into());
        }
        let sns_confirm_hosts = allowed_list(sns_confirm_hosts, file.sns_confirm_hosts);
        let sns_certificates: Vec<PathBuf> = match sns_certificates {
            Some(list) => list
                .split(',')
                .filter(|f| !f.is_empty())
                .map(PathBuf::from)
                .collect(),
            None => file.sns_certificates.unwrap_or_default(),
        };
        let sns_topics: Vec<String> = allowed_list(sns_topics, file.sns_topics)
            .into_iter()
            .filter(|t| !t.trim().is_empty())
            .collect();
        let admins: Vec<String> = allowed_list(admins, file.admins)
            .into_iter()
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect();
        let admins = match authorization.or(file.authorization).as_deref() {
            None | Some("none") => None,
            Some("grants") => Some(admins),
            Some(other) => {
                return Err(format!(
                    "authorization {other:?} is not one of none, grants"
                ))
            }
        };
        let sns_signatures = std::sync::Arc::new(
            crate::services::sns::Signatures::load(&sns_certificates, &sns_topics)
                .map_err(|e| format!("sns_certificates: {e}"))?,
        );
        let defaults = crate::net::Limits::default();
        let limits = crate::net::Limits {
            max_connections: max_connections
                .or(file.max_connections)
                .unwrap_or(defaults.max_connections),
            idle_timeout: idle_timeout_secs
                .or(file.idle_timeout_secs)
                .map(std::time::Duration::from_secs)
                .unwrap_or(defaults.idle_timeout),
        };
        if limits.max_connections == 0 || limits.idle_timeout.is_zero() {
            return Err("max_connections and idle_timeout_secs must be at least 1".into());
        }
        let inflight_body_bytes = max_inflight_body_bytes
            .or(file.max_inflight_body_bytes)
            .unwrap_or(crate::net::DEFAULT_INFLIGHT_BODY_BYTES);
        let tls = match (tls_cert.or(file.tls_cert), tls_key.or(file.tls_key)) {
            (Some(cert), Some(key)) => Some(crate::tls::TlsFiles { cert, key }),
            (None, None) => None,
            _ => return Err("TLS needs both --tls-cert and --tls-key".into()),
        };
        let thrift_tls = thrift_tls || file.thrift_tls.unwrap_or(false);
        if thrift_tls && tls.is_none() {
            return Err("--thrift-tls needs --tls-cert and --tls-key".into());
        }
        let d = crate::services::events::DEFAULT_RETENTION;
        let retention = lakecat_catalog_api::events::Retention {
            max_events: events_max_count.or(file.events_max_count).or(d.max_events),
            max_age_secs: events_max_age_secs
                .or(file.events_max_age_secs)
                .or(d.max_age_secs),
        };
        if retention.max_events == Some(0) || retention.max_age_secs == Some(0) {
            return Err("events_max_count and events_max_age_secs must be at least 1".into());
        }
        let change_log = match change_log.or(file.change_log.clone()).as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(format!("change_log {other:?} is not one of on, off")),
        };
        let webhooks = file.webhooks.clone().unwrap_or_default();
        for w in &webhooks {
            w.check().map_err(|e| format!("webhooks: {}", e.message))?;
        }
        Ok(ServeConfig {
            change_log,
            webhooks,
            retention,
            thrift_sasl,
            thrift_tls,
            tls,
            inflight_body_bytes,
            limits,
            sns_confirm_hosts,
            sns_signatures,
            admins,
            folders,
            keys,
            thrift_addr,
            warehouse_dir,
            store,
            http_addr,
            max_table_versions,
            max_body_bytes: max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(DEFAULT_MAX_BODY_BYTES),
        })
    }
}

/// This machine's host name, lower-cased, for `_HOST` in a Kerberos principal
/// (as Hadoop's `SecurityUtil.getServerPrincipal` replaces it).
fn host_name() -> Result<String, String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_lowercase())
        .ok()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            "cannot read this machine's host name for _HOST in --thrift-kerberos-principal: write the host instead".into()
        })
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
        let flags = ServeFlags {
            http_addr: Some("0.0.0.0:2".into()),
            auth: Some("none".into()),
            ..Default::default()
        };
        let c = ServeConfig::resolve(file, flags).unwrap();
        assert_eq!(c.store, StoreUrl::Sled(PathBuf::from("/f")));
        assert_eq!(c.http_addr.to_string(), "0.0.0.0:2");
        assert_eq!(c.max_table_versions, 7);
        assert_eq!(c.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        let c = ServeConfig::resolve(FileConfig::default(), ServeFlags::default()).unwrap();
        assert_eq!(c.http_addr.to_string(), DEFAULT_HTTP_ADDR);
        assert!(c.keys.is_none());
        assert!(toml::from_str::<FileConfig>("data_dri = 1")
            .unwrap_err()
            .to_string()
            .contains("unknown field"));
        let addr = |a: &str| ServeFlags {
            http_addr: Some(a.into()),
            ..Default::default()
        };
        let e = ServeConfig::resolve(FileConfig::default(), addr("nope")).unwrap_err();
        assert!(e.contains("expected host:port"), "{e}");
        let zero = ServeFlags {
            max_table_versions: Some(0),
            ..Default::default()
        };
        assert!(ServeConfig::resolve(FileConfig::default(), zero).is_err());
    }

    #[test]
    fn an_open_thrift_port_beside_authenticated_http_is_chosen_knowingly() {
        let flags = |allow: bool| ServeFlags {
            auth: Some("sigv4".into()),
            access_keys: Some("A:B".into()),
            allow_unauthenticated_thrift: allow,
            ..Default::default()
        };
        let e = ServeConfig::resolve(FileConfig::default(), flags(false)).unwrap_err();
        assert!(e.contains("--allow-unauthenticated-thrift"), "{e}");
        assert!(ServeConfig::resolve(FileConfig::default(), flags(true)).is_ok());
        let off = ServeFlags {
            thrift_addr: Some("off".into()),
            ..flags(false)
        };
        assert!(ServeConfig::resolve(FileConfig::default(), off).is_ok());
    }

    #[test]
    fn authentication_is_chosen_explicitly_off_loopback() {
        let e = ServeConfig::resolve(
            FileConfig::default(),
            ServeFlags {
                http_addr: Some("0.0.0.0:1".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.contains("--auth sigv4"), "{e}");
        let e = ServeConfig::resolve(
            FileConfig::default(),
            ServeFlags {
                auth: Some("sigv4".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.contains("access keys"), "{e}");
        let file: FileConfig = toml::from_str(
            "auth = \"sigv4\"\naccess_keys = [\"AK:SECRET\"]\nthrift_addr = \"off\"",
        )
        .unwrap();
        let c = ServeConfig::resolve(
            file,
            ServeFlags {
                http_addr: Some("0.0.0.0:1".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.keys.unwrap().0["AK"], "SECRET");
        let c = ServeConfig::resolve(
            FileConfig::default(),
            ServeFlags {
                auth: Some("sigv4".into()),
                access_keys: Some("A:B,C:D".into()),
                allow_unauthenticated_thrift: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.keys.unwrap().0.len(), 2);
    }
}
