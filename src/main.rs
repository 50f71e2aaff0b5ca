//! The `lakecat` command line.

use clap::{Parser, Subcommand};
use lakecat::config::{FileConfig, ServeConfig};
use lakecat::stores::StoreUrl;
use lakecat_catalog_api::store::CatalogStore;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "lakecat", version, about = "A data-lake metadata catalog and schema crawler", long_about = None)]
struct Cli {
    /// A TOML config file (keys: store or data_dir, http_addr, max_table_versions, …).
    /// Flags override environment variables, which override the file.
    #[arg(long, global = true, env = "LAKECAT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of `serve`'s many flags costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve the catalog over HTTP (REST API under /v1, /health, /metrics, /openapi.yaml).
    Serve {
        /// Where the catalog is stored: a folder, sled:///folder, or
        /// postgres://user:password@host:port/db [default: ./lakecat-data].
        #[arg(
            long,
            env = "LAKECAT_STORE",
            value_name = "URL",
            conflicts_with = "data_dir"
        )]
        store: Option<String>,
        /// The embedded store's folder: the same as --store sled://DIR.
        #[arg(long, env = "LAKECAT_DATA_DIR", value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// The address the HTTP API listens on [default: 127.0.0.1:9700].
        #[arg(long, env = "LAKECAT_HTTP_ADDR", value_name = "ADDR")]
        http_addr: Option<String>,
        /// How many earlier versions of each table are kept [default: 100].
        #[arg(long, env = "LAKECAT_MAX_TABLE_VERSIONS", value_name = "N")]
        max_table_versions: Option<usize>,
        /// The largest request body accepted, in bytes [default: 33554432].
        #[arg(long, env = "LAKECAT_MAX_BODY_BYTES", value_name = "BYTES")]
        max_body_bytes: Option<usize>,
        /// Load the built-in sample catalog (database `sample`) if it is not there yet.
        #[arg(long)]
        sample_data: bool,
        /// `none` or `sigv4` (every request but GET /health must carry an AWS Signature
        /// Version 4 made with one of the access keys) [default: none on loopback; required
        /// otherwise].
        #[arg(long, env = "LAKECAT_AUTH", value_name = "none|sigv4")]
        auth: Option<String>,
        /// Access keys for --auth sigv4: ID:SECRET,ID2:SECRET2.
        #[arg(
            long,
            env = "LAKECAT_ACCESS_KEYS",
            value_name = "KEYS",
            hide_env_values = true
        )]
        access_keys: Option<String>,
        /// How fast crawler schedules see time pass (1 = real time). For tests and
        /// demonstrations: at 300, a five-minute schedule fires every second.
        #[arg(
            long,
            env = "LAKECAT_CLOCK_SPEED",
            value_name = "FACTOR",
            default_value_t = 1.0
        )]
        clock_speed: f64,
        /// The address the Hive Metastore Thrift front listens on, or `off`
        /// [default: 127.0.0.1:9083].
        #[arg(long, env = "LAKECAT_THRIFT_ADDR", value_name = "ADDR")]
        thrift_addr: Option<String>,
        /// Where the Hive `default` database and managed tables without a location
        /// live [default: <data-dir>/warehouse].
        #[arg(long, env = "LAKECAT_WAREHOUSE_DIR", value_name = "DIR")]
        warehouse_dir: Option<PathBuf>,
        /// Local folders outside the warehouse where managed tables' folders may
        /// be created, moved and deleted (DIR,DIR2; paths or file: URIs), and
        /// s3://bucket/prefix/ under which the Iceberg front may read and write
        /// metadata files. Nothing outside them and the warehouse is ever changed.
        #[arg(long, env = "LAKECAT_ALLOWED_LOCATIONS", value_name = "DIRS")]
        allowed_locations: Option<String>,
        /// Hosts whose SNS SubscribeURLs lakecat visits to confirm a subscription
        /// (HOST,HOST:PORT,*.SUFFIX; e.g. sns.eu-west-1.amazonaws.com). Others are
        /// only logged, for the operator to visit.
        #[arg(long, env = "LAKECAT_SNS_CONFIRM_HOSTS", value_name = "HOSTS")]
        sns_confirm_hosts: Option<String>,
        /// PEM files of the SNS signing certificates to trust (FILE,FILE2; download
        /// each from the SigningCertURL in SNS's messages). With them, only SNS
        /// messages whose signature verifies are accepted on /v1/events/s3.
        #[arg(long, env = "LAKECAT_SNS_CERTIFICATES", value_name = "FILES")]
        sns_certificates: Option<String>,
        /// SNS topic ARNs whose messages are accepted (ARN,ARN2); others are refused.
        #[arg(long, env = "LAKECAT_SNS_TOPICS", value_name = "ARNS")]
        sns_topics: Option<String>,
        /// `none` (every caller may do everything) or `grants` (each principal only
        /// what it was granted, on every front) [default: none].
        #[arg(long, env = "LAKECAT_AUTHORIZATION", value_name = "MODE")]
        authorization: Option<String>,
        /// Principals (access keys, SASL users) that are always administrators
        /// under `--authorization grants` (P,P2).
        #[arg(long, env = "LAKECAT_ADMINS", value_name = "PRINCIPALS")]
        admins: Option<String>,
        /// Connections open at once on each port (HTTP, Thrift) [default: 512].
        #[arg(long, env = "LAKECAT_MAX_CONNECTIONS", value_name = "N")]
        max_connections: Option<usize>,
        /// Seconds a connection may send nothing before it is closed [default: 300].
        #[arg(long, env = "LAKECAT_IDLE_TIMEOUT_SECS", value_name = "SECS")]
        idle_timeout_secs: Option<u64>,
        /// The change log keeps at most this many events [default: 1000000].
        #[arg(long, env = "LAKECAT_EVENTS_MAX_COUNT", value_name = "N")]
        events_max_count: Option<u64>,
        /// The change log keeps events at most this long [default: 604800, a week].
        #[arg(long, env = "LAKECAT_EVENTS_MAX_AGE_SECS", value_name = "SECS")]
        events_max_age_secs: Option<u64>,
        /// `off` stops logging this process's writes: no notification log, feed
        /// or webhooks for them [default: on].
        #[arg(long, env = "LAKECAT_CHANGE_LOG", value_name = "on|off")]
        change_log: Option<String>,
        /// Bytes of request bodies held at once across all HTTP requests; larger
        /// bodies wait (then get 503) when it is spent [default: 268435456].
        #[arg(long, env = "LAKECAT_MAX_INFLIGHT_BODY_BYTES", value_name = "BYTES")]
        max_inflight_body_bytes: Option<usize>,
        /// Serve the Thrift port (which has no authentication) while HTTP requires
        /// SigV4; without this, that combination is refused at start.
        #[arg(long, env = "LAKECAT_ALLOW_UNAUTHENTICATED_THRIFT")]
        allow_unauthenticated_thrift: bool,
        /// Serve HTTPS with this PEM certificate chain (with --tls-key); a changed
        /// file is picked up without a restart.
        #[arg(long, env = "LAKECAT_TLS_CERT", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, env = "LAKECAT_TLS_KEY", value_name = "FILE")]
        tls_key: Option<PathBuf>,
        /// TLS on the Hive Metastore Thrift port too (Hive's hive.metastore.use.SSL),
        /// with --tls-cert and --tls-key.
        #[arg(long, env = "LAKECAT_THRIFT_TLS")]
        thrift_tls: bool,
        /// Require SASL PLAIN on the Thrift port with these users (USER:PASSWORD,…),
        /// as the Hive Metastore 4 offers it.
        #[arg(
            long,
            env = "LAKECAT_THRIFT_USERS",
            value_name = "USERS",
            hide_env_values = true
        )]
        thrift_users: Option<String>,
        /// Require SASL GSSAPI (Kerberos) on the Thrift port, as the Hive Metastore
        /// does with hive.metastore.sasl.enabled: the service's keytab (Hive's
        /// hive.metastore.kerberos.keytab.file). Needs MIT's libgssapi_krb5.
        #[arg(long, env = "LAKECAT_THRIFT_KERBEROS_KEYTAB", value_name = "FILE")]
        thrift_kerberos_keytab: Option<PathBuf>,
        /// The service principal clients must ask for, e.g. hive/_HOST@REALM
        /// (_HOST is this machine's host name); by default any in the keytab.
        #[arg(
            long,
            env = "LAKECAT_THRIFT_KERBEROS_PRINCIPAL",
            value_name = "PRINCIPAL"
        )]
        thrift_kerberos_principal: Option<String>,
        /// The SASL protection offered to Kerberos clients, Hadoop's
        /// hadoop.rpc.protection values: authentication, integrity, privacy
        /// (comma-separated; all of them by default, and the client chooses).
        #[arg(long, env = "LAKECAT_THRIFT_KERBEROS_PROTECTION", value_name = "LIST")]
        thrift_kerberos_protection: Option<String>,
    },
    /// Crawl folders (s3://bucket/prefix, file:///path or a local path) and register
    /// the tables and partitions found, one atomic write per table.
    Crawl(CrawlArgs),
    /// Run HiveQL DDL (CREATE/DROP/ALTER/MSCK/SHOW/DESCRIBE/USE) against a data
    /// directory or a running server.
    Sql(SqlArgs),
    /// Bring a store's schema up to this lakecat's (serve does it at start too).
    Migrate {
        /// The store: a folder, sled:///folder, or postgres://user:password@host:port/db.
        #[arg(
            long,
            env = "LAKECAT_STORE",
            value_name = "URL",
            conflicts_with = "data_dir"
        )]
        store: Option<String>,
        /// The embedded store's folder: the same as --store sled://DIR.
        #[arg(long, env = "LAKECAT_DATA_DIR", value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Work on whole stores.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Webhook subscriptions to the change log (see docs/events.md), in a store
    /// or through a running server.
    Webhook(WebhookArgs),
    /// Show what the crawler concludes about one file.
    Infer {
        /// s3://bucket/key, file:///path or a local path.
        url: String,
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
        /// Records sampled from text files.
        #[arg(long, default_value_t = 1000, value_name = "N")]
        sample_records: usize,
        /// Bytes sampled from text files (after decompression).
        #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
        sample_bytes: usize,
    },
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Copy a whole catalog into an empty store (sled to PostgreSQL, or back),
    /// unchanged, and say what was copied. Stop the servers writing to the
    /// source first.
    Copy {
        /// The store to read: a folder, sled:///folder or postgres://….
        #[arg(long, value_name = "URL")]
        from: String,
        /// The empty store to write: a folder, sled:///folder or postgres://….
        #[arg(long, value_name = "URL")]
        to: String,
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
}

#[derive(clap::Args)]
struct WebhookArgs {
    #[command(subcommand)]
    action: WebhookAction,
    /// Work in this store: a folder, sled:///folder, or postgres://… [default: ./lakecat-data].
    #[arg(long, env = "LAKECAT_STORE", value_name = "URL", global = true,
          conflicts_with_all = ["server", "data_dir"])]
    store: Option<String>,
    /// Work in this data directory: the same as --store sled://DIR.
    #[arg(
        long,
        env = "LAKECAT_DATA_DIR",
        value_name = "DIR",
        global = true,
        conflicts_with = "server"
    )]
    data_dir: Option<PathBuf>,
    /// Work through a running server instead (e.g. http://127.0.0.1:9700).
    #[arg(long, value_name = "URL", global = true)]
    server: Option<String>,
}

#[derive(Subcommand)]
enum WebhookAction {
    /// Subscribe URL to the change log from now on (or replace NAME's settings).
    Add {
        name: String,
        url: String,
        /// An EventBridge event pattern (JSON), e.g. '{"detail-type": ["Glue Crawler State Change"]}'.
        #[arg(long, value_name = "JSON")]
        pattern: Option<String>,
        /// eventbridge or cloudevents [default: eventbridge].
        #[arg(long)]
        format: Option<String>,
        /// Sign deliveries with HMAC-SHA256 under this secret.
        #[arg(long, env = "LAKECAT_WEBHOOK_SECRET")]
        secret: Option<String>,
        /// Attempts before an event becomes a dead letter [default: 8].
        #[arg(long, value_name = "N")]
        max_attempts: Option<u32>,
        /// Replace an existing subscription of that name.
        #[arg(long)]
        replace: bool,
    },
    /// The subscriptions (secrets are not shown).
    List,
    /// Remove a subscription with its dead letters.
    Remove { name: String },
    /// The events a subscription could not deliver.
    DeadLetters { name: String },
}

#[derive(clap::Args)]
struct SqlArgs {
    /// The script to run (statements separated by semicolons).
    #[arg(
        short = 'e',
        long = "execute",
        value_name = "SQL",
        conflicts_with = "file"
    )]
    execute: Option<String>,
    /// A file holding the script (`-` reads standard input).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,
    /// Run against this store: a folder, sled:///folder, or
    /// postgres://user:password@host:port/db [default: ./lakecat-data].
    #[arg(
        long,
        env = "LAKECAT_STORE",
        value_name = "URL",
        conflicts_with_all = ["server", "data_dir"]
    )]
    store: Option<String>,
    /// Run against this data directory: the same as --store sled://DIR.
    #[arg(
        long,
        env = "LAKECAT_DATA_DIR",
        value_name = "DIR",
        conflicts_with = "server"
    )]
    data_dir: Option<PathBuf>,
    /// Run against a running server instead (e.g. http://127.0.0.1:9700).
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// The database unqualified names refer to.
    #[arg(long, default_value = "default")]
    database: String,
    #[arg(long, value_enum, default_value = "table")]
    output: SqlOutput,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SqlOutput {
    Table,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Output {
    Text,
    Json,
}

#[derive(clap::Args)]
struct CrawlArgs {
    /// Include paths: s3://bucket/prefix, file:///path or local folders.
    #[arg(required = true, value_name = "URL")]
    urls: Vec<String>,
    /// The database the tables go into (created if missing).
    #[arg(long)]
    database: String,
    /// Where the catalog is stored: a folder, sled:///folder, or
    /// postgres://user:password@host:port/db [default: ./lakecat-data].
    #[arg(
        long,
        env = "LAKECAT_STORE",
        value_name = "URL",
        conflicts_with = "data_dir"
    )]
    store: Option<String>,
    /// The embedded store's folder: the same as --store sled://DIR.
    #[arg(long, env = "LAKECAT_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Exclusion glob relative to each include path (Glue's semantics); repeatable.
    #[arg(long = "exclude", value_name = "GLOB")]
    exclude: Vec<String>,
    /// Prefix of every table name.
    #[arg(long, default_value = "", value_name = "P")]
    table_prefix: String,
    /// Files read per leaf folder [default: all].
    #[arg(long, value_name = "N")]
    sample_files: Option<usize>,
    /// Absolute folder level of the tables (the bucket, or the first folder of a local path, is 1).
    #[arg(long, value_name = "N")]
    table_level: Option<usize>,
    /// Keep folders with different columns in one table (Glue's CombineCompatibleSchemas).
    #[arg(long)]
    combine_compatible_schemas: bool,
    /// Type partition keys int, bigint or date when every value is one.
    #[arg(long)]
    infer_partition_types: bool,
    /// Give each partition its own folder's columns instead of the table's.
    #[arg(long)]
    partition_own_schema: bool,
    /// What to do with changed tables.
    #[arg(long, value_enum, default_value = "update")]
    update_behavior: lakecat::services::engine::UpdateBehavior,
    /// Only add new columns, never change existing ones (Glue's MergeNewColumns).
    #[arg(long)]
    merge_new_columns: bool,
    /// What to do with tables whose data is gone.
    #[arg(long, value_enum, default_value = "deprecate")]
    delete_behavior: lakecat::services::engine::DeleteBehavior,
    /// Fail, writing nothing, if more tables than this would be created.
    #[arg(long, value_name = "N")]
    table_threshold: Option<usize>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32, value_name = "N")]
    max_requests: usize,
    /// Records sampled from text files.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    sample_records: usize,
    /// Bytes sampled from text files (after decompression).
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    sample_bytes: usize,
    /// The name written to UPDATED_BY_CRAWLER; tables are only deprecated or deleted by the crawler that made them.
    #[arg(long, default_value = "lakecat-cli", value_name = "NAME")]
    crawler_name: String,
    /// Show what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
    #[arg(long, value_enum, default_value = "text")]
    output: Output,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LAKECAT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lakecat: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let file = match &cli.config {
        Some(p) => FileConfig::load(p)?,
        None => FileConfig::default(),
    };
    match cli.command {
        Command::Crawl(args) => crawl(file, args),
        Command::Sql(args) => sql(file, args),
        Command::Webhook(args) => webhook(file, args),
        Command::Migrate { store, data_dir } => {
            let url = file.store(store, data_dir)?;
            emit(&format!("{}\n", lakecat::stores::migrate(&url)?));
            Ok(())
        }
        Command::Store(StoreCommand::Copy { from, to, output }) => {
            let (from, to) = (StoreUrl::parse(&from)?, StoreUrl::parse(&to)?);
            if from == to {
                return Err(format!("--from and --to name the same store ({from})"));
            }
            let source = open_store(&file, &from)?;
            // Copying again over what an interrupted copy left is how it is mended.
            let max_versions = file
                .max_table_versions
                .unwrap_or(lakecat::config::DEFAULT_MAX_TABLE_VERSIONS);
            let dest = lakecat::stores::open_as_is(&to, max_versions)?;
            let report = lakecat::services::copy::copy(&*source, &*dest)
                .map_err(|e| format!("copying {from} to {to}: {}", e.message))?;
            match output {
                Output::Json => emit(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
                )),
                Output::Text => emit(&format!("{from} -> {to}: {report}\n")),
            }
            Ok(())
        }
        Command::Infer {
            url,
            output,
            sample_records,
            sample_bytes,
        } => {
            let rt = runtime()?;
            let sample = lakecat_crawler::infer::SampleOptions {
                max_records: sample_records.max(1),
                max_bytes: sample_bytes.max(1024),
            };
            let schema = rt.block_on(async {
                let (src, path, size) = lakecat_crawler::source::Source::open_object(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                if size == 0 {
                    return Err(format!("{url}: the file is empty"));
                }
                lakecat_crawler::infer::infer_object(&src, &path, size, sample, &[])
                    .await
                    .map_err(|e| format!("{url}: {e}"))
            })?;
            match output {
                Output::Json => emit(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&schema).map_err(|e| e.to_string())?
                )),
                Output::Text => emit(&render_schema(&url, &schema)),
            }
            Ok(())
        }
        Command::Serve {
            store,
            data_dir,
            http_addr,
            max_table_versions,
            max_body_bytes,
            sample_data,
            auth,
            access_keys,
            clock_speed,
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
        } => {
            let cfg = ServeConfig::resolve(
                file,
                lakecat::config::ServeFlags {
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
                },
            )?;
            let store = lakecat::stores::open(&cfg.store, cfg.max_table_versions)?;
            store.set_change_log(cfg.change_log);
            if sample_data {
                let n = lakecat::services::sample::load(&*store)
                    .map_err(|e| format!("loading the sample catalog: {e}"))?;
                tracing::info!(tables = n, "sample catalog loaded into database 'sample'");
            }
            let rt = runtime()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(cfg.http_addr)
                    .await
                    .map_err(|e| format!("cannot listen on {}: {e}", cfg.http_addr))?;
                let addr = listener.local_addr().map_err(|e| e.to_string())?;
                let thrift = match cfg.thrift_addr {
                    Some(a) => Some(
                        tokio::net::TcpListener::bind(a)
                            .await
                            .map_err(|e| format!("cannot listen on {a} (Thrift): {e}"))?,
                    ),
                    None => None,
                };
                if let Some(t) = &thrift {
                    let a = t.local_addr().map_err(|e| e.to_string())?;
                    if !a.ip().is_loopback() && !cfg.thrift_sasl.any() {
                        tracing::warn!("the Hive Metastore front on {a} has no authentication (as Hive's without SASL); keep it on a trusted network");
                    }
                    tracing::info!(
                        "Hive Metastore Thrift listening on thrift://{a} (warehouse {})",
                        cfg.warehouse_dir.display()
                    );
                }
                tracing::info!(
                    "HTTP API listening on {}://{addr} (store {}, authentication {})",
                    if cfg.tls.is_some() { "https" } else { "http" },
                    cfg.store,
                    if cfg.keys.is_some() { "sigv4" } else { "none" }
                );
                lakecat::app::serve(
                    store,
                    listener,
                    lakecat::app::ServeOptions {
                        max_body_bytes: cfg.max_body_bytes,
                        keys: cfg.keys.map(Arc::new),
                        clock_speed,
                        thrift,
                        folders: Arc::new(cfg.folders.clone()),
                        sns_confirm_hosts: cfg.sns_confirm_hosts.clone(),
                        sns_signatures: cfg.sns_signatures.clone(),
                        admins: cfg.admins.clone(),
                        limits: cfg.limits.clone(),
                        inflight_body_bytes: cfg.inflight_body_bytes,
                        tls: cfg.tls.clone(),
                        thrift_tls: cfg.thrift_tls,
                        thrift_sasl: cfg.thrift_sasl.clone(),
                        retention: cfg.retention,
                        webhooks: cfg.webhooks.clone(),
                    },
                    lakecat::app::shutdown_signal(),
                )
                .await
                .map_err(|e| format!("server error: {e}"))
            })?;
            tracing::info!("stopped");
            Ok(())
        }
    }
}

/// The store of a command that works on a data directory directly (flag or
/// variable, then the config file, then the default).
fn open_store(file: &FileConfig, url: &StoreUrl) -> Result<Arc<dyn CatalogStore>, String> {
    let max_versions = file
        .max_table_versions
        .unwrap_or(lakecat::config::DEFAULT_MAX_TABLE_VERSIONS);
    let store = lakecat::stores::open(url, max_versions)?;
    // The config file's `change_log = "off"` holds for the commands' writes too.
    if file.change_log.as_deref() == Some("off") {
        store.set_change_log(false);
    }
    Ok(store)
}

/// Writes a command's answer to standard output. A reader that stopped reading
/// (`lakecat infer f | head`) is not an error: the rest is simply not wanted,
/// where `print!` would panic.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("lakecat: cannot write the answer: {e}");
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))
}

fn render_schema(url: &str, s: &lakecat_crawler::infer::FileSchema) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(o, "{url}");
    let _ = writeln!(o, "  classification  {}", s.classification.as_str());
    let _ = writeln!(o, "  compression     {}", s.compression.as_str());
    if let Some(d) = &s.csv {
        let _ = writeln!(
            o,
            "  csv             delimiter {:?}, quote {:?}, escape {:?}, header {}, encoding {}",
            d.delimiter, d.quote, d.escape, d.header, d.encoding
        );
    }
    if let Some(n) = s.record_count {
        let _ = writeln!(
            o,
            "  records         {n}{}",
            if s.record_count_exact {
                ""
            } else {
                " (estimate)"
            }
        );
    }
    let _ = writeln!(o, "  columns");
    for c in &s.columns {
        let _ = writeln!(o, "    {:<24} {}", c.name, c.ty);
    }
    for n in &s.notes {
        let _ = writeln!(o, "  note: {n}");
    }
    o
}

fn crawl(file: FileConfig, a: CrawlArgs) -> Result<(), String> {
    use lakecat::services::engine::{apply, render_text, ApplyOptions};
    use lakecat_crawler::source::Counters;
    use std::io::IsTerminal;
    use std::sync::Mutex;
    let database = lakecat_catalog_api::DatabaseName::new(&a.database).map_err(|e| e.message)?;
    // Opened before crawling, so that a busy data directory fails fast.
    let store = open_store(&file, &file.store(a.store, a.data_dir)?)?;
    let opts = lakecat_crawler::CrawlOptions {
        exclusions: a.exclude,
        table_prefix: a.table_prefix,
        sample_files: a.sample_files,
        table_level: a.table_level,
        combine_compatible_schemas: a.combine_compatible_schemas,
        infer_partition_types: a.infer_partition_types,
        partition_own_schema: a.partition_own_schema,
        max_requests: a.max_requests.max(1),
        sample: lakecat_crawler::infer::SampleOptions {
            max_records: a.sample_records.max(1),
            max_bytes: a.sample_bytes.max(1024),
        },
        crawler_name: a.crawler_name.clone(),
        ..Default::default()
    };
    let rt = runtime()?;
    let watched: Arc<Mutex<Vec<Arc<Counters>>>> = Arc::default();
    // Dropping the sender ends the progress thread at once (no sleep to wait out).
    let (done, stopped) = std::sync::mpsc::channel::<()>();
    let progress = {
        let watched = watched.clone();
        let tty = std::io::stderr().is_terminal();
        std::thread::spawn(move || {
            let every = if tty { 200 } else { 5000 };
            let mut ticks = 0u64;
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(std::time::Duration::from_millis(100))
            {
                ticks += 100;
                if !ticks.is_multiple_of(every) {
                    continue;
                }
                let w = watched.lock().unwrap_or_else(|e| e.into_inner());
                let sum = |f: fn(&Counters) -> u64| w.iter().map(|c| f(c)).sum::<u64>();
                let (read, total) = (
                    sum(|c| Counters::get(&c.files_read)),
                    sum(|c| Counters::get(&c.files_to_read)),
                );
                // A bar once the listing has said how many files there are to read.
                let bar = if total > 0 {
                    let done = (read * 30 / total.max(1)).min(30) as usize;
                    format!("[{}{}] ", "#".repeat(done), ".".repeat(30 - done))
                } else {
                    "[listing] ".to_string()
                };
                let line = format!(
                    "{bar}{} objects listed, {read}/{total} files read, {} MiB read, {} tables found",
                    sum(|c| Counters::get(&c.objects_listed)),
                    sum(|c| Counters::get(&c.bytes_read)) >> 20,
                    sum(|c| Counters::get(&c.tables_found)),
                );
                if tty {
                    eprint!("\r\x1b[2K{line}");
                } else {
                    tracing::info!("crawling: {line}");
                }
            }
            if tty {
                eprint!("\r\x1b[2K");
            }
        })
    };
    let w2 = watched.clone();
    let result = rt.block_on(lakecat_crawler::crawl(&a.urls, &opts, &move |c| {
        w2.lock().unwrap_or_else(|e| e.into_inner()).push(c)
    }));
    drop(done);
    let _ = progress.join();
    let out = result.map_err(|e| e.to_string())?;
    let mut report = apply(
        &*store,
        out,
        &ApplyOptions {
            database,
            update: a.update_behavior,
            merge_new_columns: a.merge_new_columns,
            delete: a.delete_behavior,
            dry_run: a.dry_run,
            table_threshold: a.table_threshold,
            crawler_name: a.crawler_name,
        },
    )?;
    report.stats.peak_memory_bytes = peak_memory();
    match a.output {
        Output::Json => emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        )),
        Output::Text => emit(&render_text(&report)),
    }
    if report
        .tables
        .iter()
        .any(|t| t.action == lakecat::services::engine::Action::Failed)
    {
        return Err("some tables could not be written (see the report)".into());
    }
    Ok(())
}

/// Peak resident set size (Linux's VmHWM), for the crawl report.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

fn webhook(file: FileConfig, a: WebhookArgs) -> Result<(), String> {
    use lakecat::services::webhooks::{self, Subscription};
    use serde_json::{json, Value};
    let sub = match &a.action {
        WebhookAction::Add {
            name,
            url,
            pattern,
            format,
            secret,
            max_attempts,
            ..
        } => {
            let mut v =
                json!({"name": name, "url": url, "secret": secret, "max_attempts": max_attempts});
            if let Some(p) = pattern {
                v["pattern"] = serde_json::from_str(p).map_err(|e| format!("--pattern: {e}"))?;
            }
            if let Some(f) = format {
                v["format"] = json!(f);
            }
            let v = Value::Object(
                v.as_object()
                    .unwrap()
                    .iter()
                    .filter(|(_, x)| !x.is_null())
                    .map(|(k, x)| (k.clone(), x.clone()))
                    .collect(),
            );
            Some(serde_json::from_value::<Subscription>(v).map_err(|e| e.to_string())?)
        }
        _ => None,
    };
    let answer: Value = match &a.server {
        Some(server) => {
            let base = format!("{}/v1/webhooks", server.trim_end_matches('/'));
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let r = match (&a.action, &sub) {
                (
                    WebhookAction::Add {
                        replace: true,
                        name,
                        ..
                    },
                    Some(s),
                ) => agent.put(&format!("{base}/{name}")).send_json(s),
                (WebhookAction::Add { .. }, Some(s)) => agent.post(&base).send_json(s),
                (WebhookAction::List, _) => agent.get(&base).call(),
                (WebhookAction::Remove { name }, _) => {
                    agent.delete(&format!("{base}/{name}")).call()
                }
                (WebhookAction::DeadLetters { name }, _) => {
                    agent.get(&format!("{base}/{name}/dead-letters")).call()
                }
                _ => unreachable!("a subscription is built for add"),
            };
            let mut r = r.map_err(|e| format!("{server}: {e}"))?;
            let ok = r.status().is_success();
            let text = r.body_mut().read_to_string().unwrap_or_default();
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if !ok {
                return Err(v["error"]["message"].as_str().unwrap_or(&text).to_string());
            }
            v
        }
        None => {
            let url = file.store(a.store, a.data_dir)?;
            let store = open_store(&file, &url)?;
            let e = |e: lakecat_catalog_api::Error| e.message;
            match (&a.action, sub) {
                (WebhookAction::Add { replace, .. }, Some(s)) => {
                    let shown = s.shown();
                    webhooks::put(&*store, s, *replace).map_err(e)?;
                    shown
                }
                (WebhookAction::List, _) => {
                    let all = webhooks::list(&*store).map_err(e)?;
                    json!({"webhooks": all.iter().map(Subscription::shown).collect::<Vec<_>>()})
                }
                (WebhookAction::Remove { name }, _) => {
                    webhooks::delete(&*store, name).map_err(e)?;
                    Value::Null
                }
                (WebhookAction::DeadLetters { name }, _) => {
                    json!({"dead_letters": webhooks::dead_letters(&*store, name).map_err(e)?})
                }
                _ => unreachable!("a subscription is built for add"),
            }
        }
    };
    if !answer.is_null() {
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&answer).map_err(|e| e.to_string())?
        ));
    }
    Ok(())
}

fn sql(file: FileConfig, a: SqlArgs) -> Result<(), String> {
    use std::io::Read;
    let script = match (&a.execute, &a.file) {
        (Some(s), _) => s.clone(),
        (None, Some(f)) if f.as_os_str() == "-" => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| e.to_string())?;
            s
        }
        (None, Some(f)) => {
            std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?
        }
        (None, None) => return Err("give a script with -e SQL or -f FILE".into()),
    };
    let answer: serde_json::Value = match &a.server {
        Some(url) => {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let mut resp = agent
                .post(&format!("{}/v1/ddl", url.trim_end_matches('/')))
                .send_json(serde_json::json!({"sql": script, "database": a.database}))
                .map_err(|e| format!("{url}: {e}"))?;
            resp.body_mut()
                .read_json()
                .map_err(|e| format!("{url}: unreadable answer: {e}"))?
        }
        None => {
            let url = file.store(a.store, a.data_dir)?;
            let folders = file.folders(&url, None, None);
            let store = open_store(&file, &url)?;
            let rt = runtime()?;
            // Whoever holds the store holds the catalog: the command runs as the
            // server itself, and may manage grants (GRANT ADMIN ON CATALOG …).
            use lakecat::services::permissions::{run_as, Actor, Authorizer};
            let grants = std::sync::Arc::new(Authorizer::new(store.clone(), vec![]));
            let out = run_as(Actor::System, || {
                lakecat::services::sql::execute(
                    &*store,
                    &folders,
                    rt.handle(),
                    &script,
                    &a.database,
                    Some(grants),
                )
            });
            let mut v = serde_json::json!({"results": out.results});
            if let Some(e) = out.error {
                v["error"] = serde_json::json!({
                    "code": e.error.kind.code(),
                    "message": e.error.message,
                    "statement": e.statement,
                    "line": e.line,
                    "column": e.column,
                });
            }
            v
        }
    };
    match a.output {
        SqlOutput::Json => emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&answer).map_err(|e| e.to_string())?
        )),
        SqlOutput::Table => emit(&render_results(&answer)),
    }
    match answer.get("error") {
        Some(e) => Err(e["message"]
            .as_str()
            .unwrap_or("the script failed")
            .to_string()),
        None => Ok(()),
    }
}

/// Results as aligned tables, one per statement.
fn render_results(answer: &serde_json::Value) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let empty = vec![];
    for r in answer["results"].as_array().unwrap_or(&empty) {
        let _ = writeln!(
            o,
            "{}: {}{}",
            r["statement"].as_str().unwrap_or(""),
            r["status"].as_str().unwrap_or(""),
            r["message"]
                .as_str()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        );
        let Some(rs) = r.get("result_set") else {
            continue;
        };
        let cols: Vec<String> = rs["columns"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .map(|c| c.as_str().unwrap_or("").to_string())
            .collect();
        let rows: Vec<Vec<String>> = rs["rows"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .map(|row| {
                row.as_array()
                    .unwrap_or(&empty)
                    .iter()
                    .map(|c| c.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .collect();
        let mut w: Vec<usize> = cols.iter().map(|c| c.chars().count()).collect();
        for row in &rows {
            for (i, c) in row.iter().enumerate() {
                if i < w.len() {
                    w[i] = w[i].max(c.chars().count());
                }
            }
        }
        let line = |cells: &[String]| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<width$}", width = w.get(i).copied().unwrap_or(0)))
                .collect::<Vec<_>>()
                .join(" | ")
                .trim_end()
                .to_string()
        };
        let _ = writeln!(o, "{}", line(&cols));
        let _ = writeln!(
            o,
            "{}",
            w.iter()
                .map(|n| "-".repeat(*n))
                .collect::<Vec<_>>()
                .join("-+-")
        );
        for row in &rows {
            let _ = writeln!(o, "{}", line(row));
        }
        let _ = writeln!(o, "({} rows)", rows.len());
    }
    o
}
