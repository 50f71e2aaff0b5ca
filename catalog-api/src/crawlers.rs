//! Managed crawlers, custom classifiers and crawl runs: Glue's shapes in snake_case,
//! like the rest of the model, with the checks Glue makes when they are written.
//!
//! They are kept as service records ([`crate::store::RecordWrite`]) by the
//! `lakecat` binary's crawler service, which runs them; what a definition means
//! for a crawl (targets, policies, the `Configuration` JSON) is decided here so
//! that every front validates the same way.

use crate::error::{Error, Result};
use crate::limits::{MAX_DESCRIPTION_LEN, MAX_NAME_LEN};
use crate::names::normalize_name;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Glue's own code for errors of crawler state transitions.
pub mod codes {
    pub const RUNNING: &str = "CrawlerRunningException";
    pub const NOT_RUNNING: &str = "CrawlerNotRunningException";
    pub const STOPPING: &str = "CrawlerStoppingException";
    pub const NO_SCHEDULE: &str = "NoScheduleException";
    pub const SCHEDULER_RUNNING: &str = "SchedulerRunningException";
    pub const SCHEDULER_NOT_RUNNING: &str = "SchedulerNotRunningException";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CrawlerState {
    #[default]
    Ready,
    Running,
    Stopping,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Target {
    /// `s3://bucket/prefix/`, `file:///path/` or a local path.
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_name: Option<String>,
    /// Files read per leaf folder (1 to 249).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_queue_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dlq_event_queue_arn: Option<String>,
}

/// Glue's `DeltaTarget`: paths that are each one Delta table's root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeltaTarget {
    #[serde(default)]
    pub delta_tables: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_name: Option<String>,
    /// With a symlink table, the crawl writes `_symlink_format_manifest/` into
    /// the table from its log (held to `--allowed-locations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_manifest: Option<bool>,
    /// `false` registers a symlink-manifest table instead of a native one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_native_delta_table: Option<bool>,
}

impl DeltaTarget {
    /// `None` for native tables; `Some(write)` for symlink-manifest tables, with
    /// whether the crawl writes the manifests. An unset `CreateNativeDeltaTable`
    /// with `WriteManifest` asks for manifests, so it means a symlink table.
    pub fn manifests(&self) -> Option<bool> {
        let write = self.write_manifest == Some(true);
        match self.create_native_delta_table {
            Some(false) => Some(write),
            None if write => Some(true),
            _ => None,
        }
    }
}

/// Glue's `IcebergTarget` and `HudiTarget` (the same shape): prefixes under which
/// tables of that format are looked for, at most `MaximumTraversalDepth` folders
/// down to their metadata folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableFormatTarget {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<String>,
    /// 1 to 20; Glue's default is 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_traversal_depth: Option<u32>,
}

impl TableFormatTarget {
    pub const DEFAULT_DEPTH: u32 = 10;
}

/// Glue's `CrawlerTargets`. S3, Delta, Iceberg and Hudi targets are crawled; the
/// other kinds (databases reached through connections) are accepted in the shape
/// and refused with a message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrawlerTargets {
    #[serde(default)]
    pub s3_targets: Vec<S3Target>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jdbc_targets: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mongo_d_b_targets: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dynamo_d_b_targets: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub catalog_targets: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delta_targets: Vec<DeltaTarget>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub iceberg_targets: Vec<TableFormatTarget>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hudi_targets: Vec<TableFormatTarget>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecrawlBehavior {
    #[default]
    CrawlEverything,
    CrawlNewFoldersOnly,
    CrawlEventMode,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecrawlPolicy {
    #[serde(default)]
    pub recrawl_behavior: RecrawlBehavior,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UpdateBehavior {
    Log,
    #[default]
    UpdateInDatabase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeleteBehavior {
    Log,
    DeleteFromDatabase,
    #[default]
    DeprecateInDatabase,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaChangePolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_behavior: Option<UpdateBehavior>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_behavior: Option<DeleteBehavior>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScheduleState {
    Scheduled,
    #[default]
    NotScheduled,
    Transitioning,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub schedule_expression: String,
    #[serde(default)]
    pub state: ScheduleState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LastCrawlStatus {
    Succeeded,
    Cancelled,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastCrawl {
    pub status: LastCrawlStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Seconds since the epoch.
    pub start_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_prefix: Option<String>,
}

/// A crawler definition and its current state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crawler {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default)]
    pub targets: CrawlerTargets,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Custom classifier names, tried in this order before the built-in ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classifiers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recrawl_policy: Option<RecrawlPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_change_policy: Option<SchemaChangePolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineage_configuration: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// Glue's versioned JSON configuration string (see [`CrawlerConfiguration`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crawler_security_configuration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lake_formation_configuration: Option<Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    // Kept by the service.
    #[serde(default)]
    pub state: CrawlerState,
    #[serde(default)]
    pub creation_time: i64,
    #[serde(default)]
    pub last_updated: i64,
    #[serde(default)]
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_crawl: Option<LastCrawl>,
    /// Milliseconds the current run has taken, while it runs.
    #[serde(default)]
    pub crawl_elapsed_time: u64,
}

/// The parts of Glue's `Configuration` JSON a crawl uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrawlerConfiguration {
    pub merge_new_columns: bool,
    pub partitions_inherit_from_table: bool,
    pub table_threshold: Option<usize>,
    pub combine_compatible_schemas: bool,
    pub table_level: Option<usize>,
    pub create_partition_index: bool,
}

fn config_error(msg: impl std::fmt::Display) -> Error {
    Error::invalid(format!("Crawler configuration not valid: {msg}"))
}

fn only_keys(v: &Value, at: &str, allowed: &[&str]) -> Result<()> {
    let Some(o) = v.as_object() else {
        return Err(config_error(format!("{at} must be a JSON object")));
    };
    if let Some(k) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(config_error(format!(
            "unsupported key {k} in {at} (supported: {})",
            allowed.join(", ")
        )));
    }
    Ok(())
}

/// A key whose only accepted value is `value`: whether it is set to it.
fn the_one(v: &Value, key: &str, at: &str, value: &str) -> Result<bool> {
    match v.get(key).and_then(Value::as_str) {
        Some(x) if x == value => Ok(true),
        None => Ok(false),
        Some(o) => Err(config_error(format!("{at}.{key} {o} is not {value}"))),
    }
}

impl CrawlerConfiguration {
    /// Parses the JSON string Glue accepts, refusing keys Glue does not know.
    pub fn parse(text: Option<&str>) -> Result<CrawlerConfiguration> {
        let mut c = CrawlerConfiguration::default();
        let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
            return Ok(c);
        };
        let v: Value = serde_json::from_str(text).map_err(config_error)?;
        only_keys(
            &v,
            "the configuration",
            &[
                "Version",
                "CrawlerOutput",
                "Grouping",
                "CreatePartitionIndex",
            ],
        )?;
        match v.get("Version") {
            Some(n) if n.as_f64() == Some(1.0) => {}
            Some(n) => return Err(config_error(format!("Version must be 1.0, not {n}"))),
            None => return Err(config_error("Version is required (1.0)")),
        }
        if let Some(out) = v.get("CrawlerOutput") {
            only_keys(out, "CrawlerOutput", &["Partitions", "Tables"])?;
            if let Some(p) = out.get("Partitions") {
                only_keys(p, "CrawlerOutput.Partitions", &["AddOrUpdateBehavior"])?;
                c.partitions_inherit_from_table = the_one(
                    p,
                    "AddOrUpdateBehavior",
                    "CrawlerOutput.Partitions",
                    "InheritFromTable",
                )?;
            }
            if let Some(t) = out.get("Tables") {
                only_keys(
                    t,
                    "CrawlerOutput.Tables",
                    &["AddOrUpdateBehavior", "TableThreshold"],
                )?;
                c.merge_new_columns = the_one(
                    t,
                    "AddOrUpdateBehavior",
                    "CrawlerOutput.Tables",
                    "MergeNewColumns",
                )?;
                if let Some(n) = t.get("TableThreshold") {
                    c.table_threshold =
                        Some(n.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                            config_error("TableThreshold must be a positive integer")
                        })? as usize);
                }
            }
        }
        if let Some(g) = v.get("Grouping") {
            only_keys(
                g,
                "Grouping",
                &["TableGroupingPolicy", "TableLevelConfiguration"],
            )?;
            c.combine_compatible_schemas = the_one(
                g,
                "TableGroupingPolicy",
                "Grouping",
                "CombineCompatibleSchemas",
            )?;
            if let Some(n) = g.get("TableLevelConfiguration") {
                c.table_level = Some(n.as_u64().filter(|n| (1..=100).contains(n)).ok_or_else(
                    || config_error("TableLevelConfiguration must be an integer from 1"),
                )? as usize);
            }
        }
        if let Some(b) = v.get("CreatePartitionIndex") {
            c.create_partition_index = b
                .as_bool()
                .ok_or_else(|| config_error("CreatePartitionIndex must be true or false"))?;
        }
        Ok(c)
    }
}

fn check_len(what: &str, v: Option<&str>, max: usize) -> Result<()> {
    match v {
        Some(s) if s.chars().count() > max => Err(Error::invalid(format!(
            "{what} is longer than {max} characters"
        ))),
        _ => Ok(()),
    }
}

impl Crawler {
    /// Checks a definition as Glue does on CreateCrawler/UpdateCrawler. The
    /// schedule expression is checked by the service, which evaluates it.
    pub fn normalize(&mut self) -> Result<()> {
        if self.name.is_empty() || self.name.chars().count() > MAX_NAME_LEN {
            return Err(Error::invalid("crawler name must be 1 to 255 characters"));
        }
        check_len(
            "description",
            self.description.as_deref(),
            MAX_DESCRIPTION_LEN,
        )?;
        check_len("table_prefix", self.table_prefix.as_deref(), 128)?;
        let t = &self.targets;
        let other = [
            ("JdbcTargets", t.jdbc_targets.len()),
            ("MongoDBTargets", t.mongo_d_b_targets.len()),
            ("DynamoDBTargets", t.dynamo_d_b_targets.len()),
            ("CatalogTargets", t.catalog_targets.len()),
        ];
        if let Some((kind, _)) = other.iter().find(|(_, n)| *n > 0) {
            return Err(Error::invalid(format!(
                "{kind} cannot be crawled by lakecat; only S3Targets, DeltaTargets, IcebergTargets \
                 and HudiTargets (s3://, file:// or local paths)"
            )));
        }
        if t.s3_targets.is_empty()
            && t.delta_targets.is_empty()
            && t.iceberg_targets.is_empty()
            && t.hudi_targets.is_empty()
        {
            return Err(Error::invalid(
                "a crawler needs at least one S3Targets, DeltaTargets, IcebergTargets or HudiTargets path",
            ));
        }
        for (i, d) in t.delta_targets.iter().enumerate() {
            if d.delta_tables.is_empty() || d.delta_tables.iter().any(|p| p.trim().is_empty()) {
                return Err(Error::invalid(format!(
                    "DeltaTargets[{i}].DeltaTables must name at least one path, none empty"
                )));
            }
            if d.create_native_delta_table == Some(true) && d.write_manifest == Some(true) {
                return Err(Error::invalid(format!(
                    "DeltaTargets[{i}]: WriteManifest applies to symlink-manifest tables \
                     (CreateNativeDeltaTable false); a native table needs no manifests"
                )));
            }
        }
        for (kind, targets) in [
            ("IcebergTargets", &t.iceberg_targets),
            ("HudiTargets", &t.hudi_targets),
        ] {
            for (i, x) in targets.iter().enumerate() {
                if x.paths.is_empty() || x.paths.iter().any(|p| p.trim().is_empty()) {
                    return Err(Error::invalid(format!(
                        "{kind}[{i}].Paths must name at least one path, none empty"
                    )));
                }
                if let Some(n) = x.maximum_traversal_depth {
                    if !(1..=20).contains(&n) {
                        return Err(Error::invalid(format!(
                            "{kind}[{i}].MaximumTraversalDepth must be 1 to 20, not {n}"
                        )));
                    }
                }
            }
        }
        for (i, s) in t.s3_targets.iter().enumerate() {
            if s.path.trim().is_empty() {
                return Err(Error::invalid(format!(
                    "S3Targets[{i}].Path must not be empty"
                )));
            }
            if let Some(n) = s.sample_size {
                if !(1..=249).contains(&n) {
                    return Err(Error::invalid(format!(
                        "S3Targets[{i}].SampleSize must be 1 to 249, not {n}"
                    )));
                }
            }
        }
        match &self.database_name {
            Some(d) => {
                self.database_name = Some(normalize_name("database name", d)?);
            }
            None => {
                return Err(Error::invalid(
                    "DatabaseName is required: the database the crawler writes its tables to",
                ))
            }
        }
        for c in self.classifiers.iter_mut() {
            *c = normalize_name("classifier name", c)?;
        }
        let recrawl = self
            .recrawl_policy
            .as_ref()
            .map(|r| r.recrawl_behavior)
            .unwrap_or_default();
        if recrawl == RecrawlBehavior::CrawlNewFoldersOnly {
            // Glue's rule: a crawler that reads only new folders changes nothing else.
            let p = self.schema_change_policy.clone().unwrap_or_default();
            if p.update_behavior.unwrap_or_default() != UpdateBehavior::Log
                || p.delete_behavior.unwrap_or_default() != DeleteBehavior::Log
            {
                return Err(Error::invalid(
                    "The SchemaChangePolicy for \"Crawl new folders only\" Amazon S3 target can have only LOG DeleteBehavior value and LOG UpdateBehavior value.",
                ));
            }
        }
        CrawlerConfiguration::parse(self.configuration.as_deref())?;
        for (k, v) in &self.tags {
            if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
                return Err(Error::invalid(format!(
                    "tag {k:?}: keys are 1 to 128 characters, values at most 256"
                )));
            }
        }
        Ok(())
    }

    pub fn recrawl(&self) -> RecrawlBehavior {
        self.recrawl_policy
            .as_ref()
            .map(|r| r.recrawl_behavior)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CrawlState {
    Running,
    Completed,
    Failed,
    Stopped,
    /// A scheduled start that found the previous run still going.
    Skipped,
}

/// One run of a crawler (Glue's `CrawlerHistory`), with what it changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrawlRun {
    pub crawl_id: String,
    pub state: CrawlState,
    /// Seconds since the epoch (with fractions: runs can be short).
    pub start_time: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<f64>,
    /// `schedule`, `api` or `console` (started from the web console).
    #[serde(default)]
    pub trigger: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Glue's `Summary`: a JSON string of the counts below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default)]
    pub tables_created: u64,
    #[serde(default)]
    pub tables_updated: u64,
    #[serde(default)]
    pub tables_deleted: u64,
    #[serde(default)]
    pub partitions_added: u64,
    #[serde(default)]
    pub partitions_removed: u64,
    #[serde(default)]
    pub files_skipped: u64,
    /// Files whose contents were read, and files known from earlier runs that were not.
    #[serde(default)]
    pub files_read: u64,
    #[serde(default)]
    pub files_reused: u64,
}

impl CrawlRun {
    /// A run with nothing counted yet.
    pub fn new(crawl_id: String, state: CrawlState, start_time: f64, trigger: &str) -> CrawlRun {
        CrawlRun {
            crawl_id,
            state,
            start_time,
            end_time: None,
            trigger: trigger.into(),
            error_message: None,
            summary: None,
            tables_created: 0,
            tables_updated: 0,
            tables_deleted: 0,
            partitions_added: 0,
            partitions_removed: 0,
            files_skipped: 0,
            files_read: 0,
            files_reused: 0,
        }
    }
}

/// Glue's `CsvClassifier`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvClassifier {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_symbol: Option<String>,
    /// `UNKNOWN`, `PRESENT` or `ABSENT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains_header: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_value_trimming: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_single_column: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_datatype_configured: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_datatypes: Vec<String>,
    /// `OpenCSVSerDe`, `LazySimpleSerDe` or `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serde: Option<String>,
    #[serde(default)]
    pub creation_time: i64,
    #[serde(default)]
    pub last_updated: i64,
    #[serde(default)]
    pub version: u64,
}

/// Glue's `JsonClassifier`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonClassifier {
    pub name: String,
    pub json_path: String,
    #[serde(default)]
    pub creation_time: i64,
    #[serde(default)]
    pub last_updated: i64,
    #[serde(default)]
    pub version: u64,
}

/// Glue's `GrokClassifier`: a grok pattern (with custom patterns) whose named
/// fields are the columns of the files it recognises.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrokClassifier {
    pub name: String,
    /// The tables' `classification` (`wikidata`, `access_logs`, …).
    pub classification: String,
    pub grok_pattern: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_patterns: Option<String>,
    #[serde(default)]
    pub creation_time: i64,
    #[serde(default)]
    pub last_updated: i64,
    #[serde(default)]
    pub version: u64,
}

/// Glue's `XMLClassifier`: the elements named `row_tag` are the rows of the
/// files it recognises, whose tables are classified `classification`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XmlClassifier {
    pub name: String,
    pub classification: String,
    /// Optional in Glue's API; a classifier without one recognises nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_tag: Option<String>,
    #[serde(default)]
    pub creation_time: i64,
    #[serde(default)]
    pub last_updated: i64,
    #[serde(default)]
    pub version: u64,
}

/// Glue's `Classifier`: exactly one member is present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classifier {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_classifier: Option<CsvClassifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_classifier: Option<JsonClassifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grok_classifier: Option<GrokClassifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_m_l_classifier: Option<XmlClassifier>,
}

/// The member of a [`Classifier`] that is present: its kind (`CSV`, `JSON`,
/// `grok`, `XML`), its name and its bookkeeping fields.
pub struct Member<'a> {
    pub kind: &'static str,
    pub name: &'a str,
    pub creation_time: i64,
    pub version: u64,
}

impl Classifier {
    pub fn member(&self) -> Option<Member<'_>> {
        macro_rules! member {
            ($field:ident, $kind:literal) => {
                if let Some(x) = &self.$field {
                    return Some(Member {
                        kind: $kind,
                        name: &x.name,
                        creation_time: x.creation_time,
                        version: x.version,
                    });
                }
            };
        }
        member!(csv_classifier, "CSV");
        member!(json_classifier, "JSON");
        member!(grok_classifier, "grok");
        member!(x_m_l_classifier, "XML");
        None
    }

    pub fn name(&self) -> &str {
        self.member().map_or("", |m| m.name)
    }

    /// Sets the bookkeeping fields of every member present (the service keeps them).
    pub fn stamp(&mut self, created: i64, updated: i64, version: u64) {
        macro_rules! stamp {
            ($($field:ident),*) => {$(
                if let Some(x) = self.$field.as_mut() {
                    (x.creation_time, x.last_updated, x.version) = (created, updated, version);
                }
            )*};
        }
        stamp!(
            csv_classifier,
            json_classifier,
            grok_classifier,
            x_m_l_classifier
        );
    }

    /// Checks the classifier as Glue does and lower-cases its name.
    pub fn normalize(&mut self) -> Result<()> {
        let members = [
            self.csv_classifier.is_some(),
            self.json_classifier.is_some(),
            self.grok_classifier.is_some(),
            self.x_m_l_classifier.is_some(),
        ];
        if members.iter().filter(|m| **m).count() > 1 {
            return Err(Error::invalid(
                "a classifier has exactly one of CsvClassifier, JsonClassifier, GrokClassifier or XMLClassifier",
            ));
        }
        if let Some(x) = &mut self.x_m_l_classifier {
            x.name = normalize_name("classifier name", &x.name)?;
            if x.classification.trim().is_empty() {
                return Err(Error::invalid("an XMLClassifier needs a Classification"));
            }
            if let Some(t) = &x.row_tag {
                // An element name: no markup, no spaces (Glue's RowTag names one tag).
                if t.is_empty()
                    || t.chars()
                        .any(|c| c.is_whitespace() || "<>/=\"'&".contains(c))
                {
                    return Err(Error::invalid(format!(
                        "RowTag {t:?} is not an element name (give the tag alone, as in row for <row>…</row>)"
                    )));
                }
            }
            return Ok(());
        }
        if let Some(g) = &mut self.grok_classifier {
            g.name = normalize_name("classifier name", &g.name)?;
            if g.classification.trim().is_empty() {
                return Err(Error::invalid("a GrokClassifier needs a Classification"));
            }
            // The pattern itself is compiled by the crawler service, which knows grok.
            return Ok(());
        }
        match (&mut self.csv_classifier, &mut self.json_classifier) {
            (Some(c), None) => {
                c.name = normalize_name("classifier name", &c.name)?;
                for (what, v) in [
                    ("Delimiter", &c.delimiter),
                    ("QuoteSymbol", &c.quote_symbol),
                ] {
                    if let Some(v) = v {
                        if v.chars().count() != 1 {
                            return Err(Error::invalid(format!(
                                "{what} must be one character, not {v:?}"
                            )));
                        }
                    }
                }
                if c.delimiter.is_some() && c.delimiter == c.quote_symbol {
                    return Err(Error::invalid("Delimiter and QuoteSymbol must differ"));
                }
                if let Some(h) = &c.contains_header {
                    if !["UNKNOWN", "PRESENT", "ABSENT"].contains(&h.as_str()) {
                        return Err(Error::invalid(format!(
                            "ContainsHeader must be UNKNOWN, PRESENT or ABSENT, not {h}"
                        )));
                    }
                }
                if let Some(s) = &c.serde {
                    if !["OpenCSVSerDe", "LazySimpleSerDe", "None"].contains(&s.as_str()) {
                        return Err(Error::invalid(format!(
                            "Serde must be OpenCSVSerDe, LazySimpleSerDe or None, not {s}"
                        )));
                    }
                }
                if c.header.iter().any(|h| h.trim().is_empty()) {
                    return Err(Error::invalid("Header names must not be empty"));
                }
                Ok(())
            }
            (None, Some(j)) => {
                j.name = normalize_name("classifier name", &j.name)?;
                let p = j.json_path.trim();
                if !p.starts_with('$') {
                    return Err(Error::invalid(format!(
                        "JsonPath {p:?} must start with $ (for example $[*])"
                    )));
                }
                Ok(())
            }
            (None, None) => Err(Error::invalid(
                "a classifier needs one of CsvClassifier, JsonClassifier, GrokClassifier or XMLClassifier",
            )),
            (Some(_), Some(_)) => Err(Error::invalid(
                "a classifier has exactly one of CsvClassifier or JsonClassifier",
            )),
        }
    }
}

/// One object-created or object-removed notification (from an S3 event record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectEvent {
    pub bucket: String,
    pub key: String,
    /// `ObjectCreated:Put`, `ObjectRemoved:Delete`, …
    pub event_name: String,
    pub event_time: String,
}

impl ObjectEvent {
    /// The folder URL the object is in (`s3://bucket/a/b/` for key `a/b/c.parquet`).
    pub fn folder_url(&self) -> String {
        let dir = match self.key.rfind('/') {
            Some(i) => &self.key[..=i],
            None => "",
        };
        format!("s3://{}/{dir}", self.bucket)
    }
}

/// The object events of an S3 event notification body (`{"Records": […]}`), as S3,
/// MinIO webhooks and SNS deliveries (the notification in `Message`) carry them.
pub fn parse_s3_events(body: &Value) -> Result<Vec<ObjectEvent>> {
    let records = body
        .get("Records")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::invalid("an S3 event notification has a Records array"))?;
    let mut out = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let s = |path: &[&str]| -> Option<String> {
            let mut v = r;
            for p in path {
                v = v.get(*p)?;
            }
            v.as_str().map(str::to_string)
        };
        let (Some(bucket), Some(key)) = (s(&["s3", "bucket", "name"]), s(&["s3", "object", "key"]))
        else {
            return Err(Error::invalid(format!(
                "Records[{i}] has no s3.bucket.name and s3.object.key"
            )));
        };
        // S3 URL-encodes keys in notifications, spaces as '+'.
        let key = percent_encoding::percent_decode_str(&key.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned();
        out.push(ObjectEvent {
            bucket,
            key,
            event_name: s(&["eventName"]).unwrap_or_default(),
            event_time: s(&["eventTime"]).unwrap_or_default(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_is_checked_like_glue() {
        let c = CrawlerConfiguration::parse(Some(
            r#"{"Version":1.0,"CrawlerOutput":{"Tables":{"AddOrUpdateBehavior":"MergeNewColumns","TableThreshold":5},"Partitions":{"AddOrUpdateBehavior":"InheritFromTable"}},"Grouping":{"TableGroupingPolicy":"CombineCompatibleSchemas","TableLevelConfiguration":3}}"#,
        ))
        .unwrap();
        assert!(
            c.merge_new_columns && c.partitions_inherit_from_table && c.combine_compatible_schemas
        );
        assert_eq!((c.table_threshold, c.table_level), (Some(5), Some(3)));
        for (text, needle) in [
            (r#"{"Version":1.0,"Bogus":1}"#, "unsupported key Bogus"),
            (r#"{"CrawlerOutput":{}}"#, "Version is required"),
            (r#"{"Version":2.0}"#, "Version must be 1.0"),
            (
                r#"{"Version":1.0,"Grouping":{"TableGroupingPolicy":"X"}}"#,
                "CombineCompatibleSchemas",
            ),
            (
                r#"{"Version":1.0,"CrawlerOutput":{"Tables":{"Nope":1}}}"#,
                "unsupported key Nope in CrawlerOutput.Tables",
            ),
            ("not json", "Crawler configuration not valid"),
        ] {
            let e = CrawlerConfiguration::parse(Some(text)).unwrap_err();
            assert!(e.message.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn s3_event_bodies() {
        let body: Value = serde_json::from_str(
            r#"{"Records":[{"eventName":"ObjectCreated:Put","eventTime":"2024-01-01T00:00:00.000Z",
                "s3":{"bucket":{"name":"lake"},"object":{"key":"sales/dt%3D2024-01-05/part+0.parquet","size":1}}}]}"#,
        )
        .unwrap();
        let e = parse_s3_events(&body).unwrap();
        assert_eq!(e[0].key, "sales/dt=2024-01-05/part 0.parquet");
        assert_eq!(e[0].folder_url(), "s3://lake/sales/dt=2024-01-05/");
        assert!(parse_s3_events(&serde_json::json!({"Records": [{}]})).is_err());
    }
}
