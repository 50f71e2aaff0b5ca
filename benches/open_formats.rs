//! Crawling open table formats: a lake of LAKECAT_BENCH_OPEN_TABLES (200) Delta tables
//! with LAKECAT_BENCH_OPEN_COMMITS (50) commits each (a checkpoint near the end) and as
//! many Iceberg tables with as many snapshots, on local disk, then the same files on
//! moto_server (S3 on loopback). `lakecat crawl` over the
//! whole lake (whole process: listing, reading each table's metadata, registering),
//! with its requests per table, beside DuckDB 1.4's `delta_scan` and `iceberg_scan`
//! reading each table's schema, and pyarrow reading every data file's schema one by
//! one (what a crawler that does not know the formats does). The peers are timed
//! inside Python. The lake is written once (delta-rs and PyIceberg's SqlCatalog) under
//! target/bench-lakes and reused.
//!
//! `cargo bench --bench open_formats` (or `bash scripts/bench.sh open_formats`);
//! without `--bench` (as `cargo test --all-targets` runs it) a smoke run on a lake of
//! a few tables.

#[path = "../tests/common/moto.rs"]
mod moto;
#[path = "server.rs"]
mod server;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (tables, commits) = if full {
        (
            server::env_usize("LAKECAT_BENCH_OPEN_TABLES", 200),
            server::env_usize("LAKECAT_BENCH_OPEN_COMMITS", 50),
        )
    } else {
        (2, 6)
    };
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = here.join(".venv/bin/python");
    let duck = here.join(".venv/duckdb-1.4");
    if !python.exists() || !duck.join("duckdb").exists() {
        println!("delta-rs, PyIceberg and DuckDB 1.4 are not installed: run scripts/test.sh first");
        return;
    }
    let root = here.join(format!("target/bench-lakes/open-{tables}x{commits}"));
    let marker = root.join("_written");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let t = Instant::now();
        let out = Command::new(&python)
            .arg(here.join("benches/open_lake.py"))
            .arg(&root)
            .args([tables.to_string(), commits.to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "open_lake.py failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&marker, b"").unwrap();
        eprintln!("  (lake written in {:.0} s)", t.elapsed().as_secs_f64());
    }
    let build = if full { "release build" } else { "smoke run" };
    println!(
        "Open table formats: {tables} Delta tables × {commits} commits and {tables} Iceberg tables × {commits} snapshots, local disk, {build}\n"
    );

    // lakecat, the whole process.
    lakecat_crawl(
        &[root.join("delta"), root.join("iceberg")].map(|p| p.to_string_lossy().into_owned()),
        &[],
        tables,
    );

    let (root_s, duck_s) = (root.to_string_lossy(), duck.to_string_lossy());
    peers(&python, &[&root_s, &duck_s], tables);
    s3(&root, &python, &duck, tables);
}

/// `lakecat crawl` over `paths` (with `env`), timed as a whole process, and its
/// requests per table.
fn lakecat_crawl(paths: &[String], env: &[(&str, &str)], tables: usize) {
    let store = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args(["crawl", "--database", "bench", "--data-dir"])
        .arg(store.path())
        .args(paths)
        .envs(env.iter().copied())
        .env_remove("LAKECAT_CONFIG")
        .output()
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "lakecat crawl failed:\n{text}");
    let requests: u64 = text
        .split(" requests,")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in:\n{text}"));
    let found = text.matches("created").count();
    assert!(
        found >= 2 * tables,
        "lakecat registered {found} tables, not {}:\n{text}",
        2 * tables
    );
    let per_table = |s: f64| s * 1000.0 / (2 * tables) as f64;
    println!(
        "   {:<58} {:>8.2} s   {:>6.2} ms/table   {:>5.1} requests/table",
        "lakecat crawl (both formats, catalog written)",
        secs,
        per_table(secs),
        requests as f64 / (2 * tables) as f64
    );
}

/// The peers (open_peers.py with `args`), each row's seconds and per table.
fn peers(python: &Path, args: &[&str], tables: usize) {
    let peers = server::python_client("open_peers.py", python, args);
    assert_eq!(
        peers["tables"].as_u64(),
        Some(2 * tables as u64),
        "the peers found other tables: {peers}"
    );
    let per = |k: &str, n: usize| {
        let s = peers[k].as_f64()?;
        Some((s, s * 1000.0 / n as f64))
    };
    for (label, key, n) in [
        (
            "DuckDB 1.4 delta_scan schema, each Delta table",
            "duckdb_delta_scan",
            tables,
        ),
        (
            "DuckDB 1.4 iceberg_scan schema, each Iceberg table",
            "duckdb_iceberg_scan",
            tables,
        ),
        (
            "pyarrow, every data file's schema, one by one",
            "pyarrow_every_data_file",
            2 * tables,
        ),
    ] {
        match per(key, n) {
            Some((s, ms)) => println!("   {label:<58} {s:>8.2} s   {ms:>6.2} ms/table"),
            None => println!("   {label:<58} not measured: {}", peers[key]),
        }
    }
    println!(
        "\n   ({} data files; lakecat reads each table's metadata, not its data files)",
        peers["data_files"]
    );
}

/// The same lake copied to moto_server, crawled as `s3://open/…`.
fn s3(root: &Path, python: &Path, duck: &Path, tables: usize) {
    let server = moto::moto();
    let endpoint = server.endpoint.clone();
    let t = Instant::now();
    moto::upload(&endpoint, "open", "delta", &root.join("delta"));
    moto::upload(&endpoint, "open", "iceberg", &root.join("iceberg"));
    eprintln!(
        "  (lake uploaded to moto in {:.0} s)",
        t.elapsed().as_secs_f64()
    );
    println!("\n2. The same files on moto_server (S3 on loopback)\n");
    let env = moto::s3_env(&endpoint);
    lakecat_crawl(
        &[
            "s3://open/delta/".to_string(),
            "s3://open/iceberg/".to_string(),
        ],
        &env,
        tables,
    );
    let (root, duck) = (root.to_string_lossy(), duck.to_string_lossy());
    peers(python, &[&root, &duck, &endpoint], tables);
    drop(server);
}
