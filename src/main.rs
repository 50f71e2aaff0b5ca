//! The `lakecat` command line.

use clap::{Parser, Subcommand};
use lakecat::config::{FileConfig, ServeConfig};
use lakecat::sled_store::SledStore;
use lakecat_catalog_api::store::CatalogStore;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "lakecat", version, about = "A data-lake metadata catalog and schema crawler", long_about = None)]
struct Cli {
    /// A TOML config file (keys: data_dir, http_addr, max_table_versions, max_body_bytes).
    /// Flags override environment variables, which override the file.
    #[arg(long, global = true, env = "LAKECAT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the catalog over HTTP (REST API under /v1, /health, /metrics, /openapi.yaml).
    Serve {
        /// Where the catalog is stored [default: ./lakecat-data].
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
    },
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
        Command::Serve {
            data_dir,
            http_addr,
            max_table_versions,
            max_body_bytes,
            sample_data,
        } => {
            let cfg = ServeConfig::resolve(
                file,
                data_dir,
                http_addr,
                max_table_versions,
                max_body_bytes,
            )?;
            let store =
                SledStore::open(&cfg.data_dir, cfg.max_table_versions).map_err(|e| e.message)?;
            let store: Arc<dyn CatalogStore> = Arc::new(store);
            if sample_data {
                let n = lakecat::sample::load(&*store)
                    .map_err(|e| format!("loading the sample catalog: {e}"))?;
                tracing::info!(tables = n, "sample catalog loaded into database 'sample'");
            }
            let rt = tokio::runtime::Runtime::new()
                .map_err(|e| format!("cannot start the runtime: {e}"))?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(cfg.http_addr)
                    .await
                    .map_err(|e| format!("cannot listen on {}: {e}", cfg.http_addr))?;
                let addr = listener.local_addr().map_err(|e| e.to_string())?;
                tracing::info!(
                    "HTTP API listening on http://{addr} (data directory {})",
                    cfg.data_dir.display()
                );
                lakecat::serve(
                    store,
                    listener,
                    cfg.max_body_bytes,
                    lakecat::shutdown_signal(),
                )
                .await
                .map_err(|e| format!("server error: {e}"))
            })?;
            tracing::info!("stopped");
            Ok(())
        }
    }
}
