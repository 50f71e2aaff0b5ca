//! The Iceberg REST front under load: loadTable and a one-row append commit with one
//! PyIceberg client, and loadTable with 64 connections (wrk), on sled and on
//! PostgreSQL, beside PyIceberg's SqlCatalog on SQLite (a local file catalog, the
//! lightest alternative users pick) doing the same from the same client.
//!
//! An append is the client's whole commit: PyIceberg writes the data file, the
//! manifest and the manifest list, then lakecat writes the metadata file and commits
//! (SqlCatalog: the client writes the metadata file and commits to SQLite). Appends
//! with 64 connections are not run: concurrent commits to one table conflict by
//! design and PyIceberg does not retry them.
//!
//! `cargo bench --bench iceberg` (or `bash scripts/bench.sh iceberg`, which installs
//! wrk and starts PostgreSQL); without `--bench` (as `cargo test --all-targets` runs
//! it) a smoke run of a fraction of a second per step.

#[path = "server.rs"]
mod server;

use serde_json::Value;
use std::path::Path;

fn client(python: &Path, args: &[&str]) -> Value {
    server::python_client("iceberg_client.py", python, args)
}

fn row(who: &str, v: &Value) {
    server::rate_row(who, v)
}

/// One catalog's figures: (label, loadTable, append, the REST base URL if any).
struct Run {
    label: String,
    load: Value,
    append: Value,
    base: Option<String>,
    _server: Option<server::Server>,
}

fn rest_run(python: &Path, label: &str, srv: server::Server, secs: &str) -> Run {
    // The tables go to the server's warehouse.
    let uri = format!("{}/iceberg", srv.base);
    client(python, &["rest", &uri, "-", "setup"]);
    Run {
        label: label.into(),
        load: client(python, &["rest", &uri, "-", "load_table", secs]),
        append: client(python, &["rest", &uri, "-", "append", secs]),
        base: Some(srv.base.clone()),
        _server: Some(srv),
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let secs = if full { "10" } else { "0.3" };
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if !python.exists() {
        println!("PyIceberg is not installed: run scripts/bench.sh (or scripts/test.sh) first");
        return;
    }
    let build = if full { "release build" } else { "smoke run" };
    println!(
        "Iceberg REST benchmarks, one sequential PyIceberg client, {secs} s a step, {build}\n"
    );
    let mut runs = Vec::new();
    let scratch = tempfile::tempdir().unwrap();
    runs.push(rest_run(&python, "lakecat on sled", server::start(), secs));
    match server::postgres_database("iceberg_bench") {
        Ok(url) if full => {
            let srv = server::start_on(Some(&url), &[]);
            runs.push(rest_run(&python, "lakecat on PostgreSQL", srv, secs));
        }
        Ok(_) => {}
        Err(why) if full => println!("   (PostgreSQL skipped: {why})"),
        Err(_) => {}
    }
    let db = scratch
        .path()
        .join("catalog.db")
        .to_string_lossy()
        .into_owned();
    let wh = scratch.path().join("sqlwh").to_string_lossy().into_owned();
    client(&python, &["sql", &db, &wh, "setup"]);
    runs.push(Run {
        label: "PyIceberg SqlCatalog on SQLite".into(),
        load: client(&python, &["sql", &db, &wh, "load_table", secs]),
        append: client(&python, &["sql", &db, &wh, "append", secs]),
        base: None,
        _server: None,
    });

    println!("1. loadTable");
    for r in &runs {
        row(&r.label, &r.load);
    }
    println!("\n2. Append one row (the client's whole commit)");
    for r in &runs {
        row(&r.label, &r.append);
    }
    if full {
        println!("\n3. loadTable, 64 concurrent connections (wrk -t2 -c64, 10 s)");
        for r in &runs {
            let Some(base) = &r.base else { continue };
            let url = format!("{base}/iceberg/v1/namespaces/bench/tables/t");
            match server::wrk(&["-t2", "-c64", "-d10s", "--latency", &url]) {
                Ok((rps, p99)) => println!("   {:<48} {rps}   {p99}", r.label),
                Err(e) => println!("   {:<48} not run: {e}", r.label),
            }
        }
        println!("   (SqlCatalog is a library over a local file: it serves no connections)");
    }
}
