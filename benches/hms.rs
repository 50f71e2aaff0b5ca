//! The Hive Metastore front beside the real Hive Metastore 2.3.10 (from the pyspark
//! wheel), same client, same run: lakecat on sled and on PostgreSQL, the real
//! metastore on embedded Derby and on the same PostgreSQL (Debian's JDBC driver,
//! which scripts/bench.sh installs).
//!
//! `cargo bench --bench hms` (or `bash scripts/bench.sh hms`). Environment:
//! LAKECAT_BENCH_HMS_PARTITIONS (default 20,000).
//!
//! 1. One sequential hmsclient (benches/hms_client.py): get_table ms per call;
//!    registering the partitions (add_partitions, batches of 100); one
//!    get_partitions_by_filter selecting 1 % of them; get_partition_names of all.
//! 2. get_table from 32 concurrent connections for 10 s (a Rust load generator on
//!    lakecat's own Thrift codec): calls/s and p99.

#[path = "../tests/common/hive.rs"]
mod hive;
#[path = "server.rs"]
mod server;
#[path = "thrift_load.rs"]
mod thrift_load;

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn client(addr: &str, partitions: usize) -> Value {
    let python = format!("{}/.venv/bin/python", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/hms_client.py"
        ))
        .args([addr, &partitions.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hms_client.py against {addr} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n: usize = if full {
        std::env::var("LAKECAT_BENCH_HMS_PARTITIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000)
    } else {
        240
    };
    if !Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python")).exists() {
        println!("hmsclient is not installed: run scripts/bench.sh (or scripts/test.sh) first");
        return;
    }
    // hms_client.py places its database in /tmp/lakecat-bench-hms, as it does on
    // the real metastore; lakecat changes folders only where it is allowed to.
    let env = [("LAKECAT_ALLOWED_LOCATIONS", "/tmp/lakecat-bench-hms")];
    let fresh = || {
        let _ = std::fs::remove_dir_all("/tmp/lakecat-bench-hms");
    };
    let row = |who: &str, v: &Value| {
        println!(
            "   {who:<36} get_table {:>6.2} ms   register {n} partitions {:>7.2} s   by_filter ({} partitions) {:>7.1} ms   like ({} partitions) {:>7.1} ms   partition names {:>7.1} ms",
            v["get_table_ms"].as_f64().unwrap(),
            v["register_s"].as_f64().unwrap(),
            v["by_filter_partitions"],
            v["by_filter_ms"].as_f64().unwrap(),
            v["like_partitions"],
            v["like_ms"].as_f64().unwrap(),
            v["names_ms"].as_f64().unwrap(),
        )
    };
    println!("Hive Metastore front: one sequential hmsclient, {n} partitions\n");
    // (label, Thrift address, what keeps the server alive)
    let mut targets: Vec<(String, String, Box<dyn std::any::Any>)> = Vec::new();
    fresh();
    let srv = server::start_on(None, &env);
    row("lakecat on sled", &client(&srv.thrift, n));
    targets.push(("lakecat on sled".into(), srv.thrift.clone(), Box::new(srv)));
    let pg = server::postgres_database("bench_hms");
    match &pg {
        Ok(url) => {
            fresh();
            let srv = server::start_on(Some(url), &env);
            row("lakecat on PostgreSQL", &client(&srv.thrift, n));
            targets.push((
                "lakecat on PostgreSQL".into(),
                srv.thrift.clone(),
                Box::new(srv),
            ));
        }
        Err(why) => println!("   lakecat on PostgreSQL skipped: {why}"),
    }
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    if full {
        fresh();
        let h = hive::real_hms(dirs.0.path());
        let addr = format!("127.0.0.1:{}", h.port);
        row("Hive Metastore 2.3.10 (Derby)", &client(&addr, n));
        targets.push(("Hive Metastore 2.3.10 (Derby)".into(), addr, Box::new(h)));
        let jar = Path::new(hive::POSTGRES_JDBC_JAR).exists();
        match (server::postgres_database("bench_hms_peer"), jar) {
            (Ok(url), true) => {
                fresh();
                let h = hive::real_hms_on(dirs.1.path(), Some(&url));
                let addr = format!("127.0.0.1:{}", h.port);
                row("Hive Metastore 2.3.10 (PostgreSQL)", &client(&addr, n));
                targets.push(("Hive Metastore 2.3.10 (PostgreSQL)".into(), addr, Box::new(h)));
            }
            (Err(why), _) => println!("   Hive Metastore on PostgreSQL skipped: {why}"),
            (_, false) => println!(
                "   Hive Metastore on PostgreSQL skipped: {} is missing (scripts/bench.sh installs it)",
                hive::POSTGRES_JDBC_JAR
            ),
        }
    } else {
        println!("   (the reference metastores run with --bench only)");
    }
    let secs = if full { 10.0 } else { 1.0 };
    println!("\n2. get_table, 32 concurrent connections, {secs} s");
    for (who, addr, _alive) in &targets {
        let (rate, p99) = thrift_load::load(32, secs, false, &|| Box::new(thrift_load::tcp(addr)));
        println!("   {who:<36} {rate:>9.0} calls/s   p99 {p99:.2} ms");
    }
}
