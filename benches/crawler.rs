//! Crawler benchmarks (release build), with the peers people run instead measured in
//! the same run. `cargo bench --bench crawler` (or `bash scripts/bench.sh`, which also
//! installs the peers into .venv).
//!
//! 1. A lake of LAKECAT_BENCH_FILES (20,000) small Parquet files in
//!    LAKECAT_BENCH_PARTITIONS (2,000) Hive partitions, two schema generations:
//!    listing alone; `lakecat crawl` (whole process: list, read every footer, infer,
//!    group, write the catalog durably); DuckDB's `DESCRIBE … read_parquet(…,
//!    hive_partitioning, union_by_name)`; pyarrow's dataset factory inspecting every
//!    fragment. Medians of 3 runs after a warm-up; the peers are timed inside Python
//!    (their interpreter start is not counted).
//! 2. On moto_server (S3 on loopback): requests and bytes read per Parquet and Avro file.
//! 3. Peak memory of a dry-run crawl over LAKECAT_BENCH_MEMORY_FILES (200,000) files.
//! 4. Managed crawlers in `lakecat serve` over a copy of lake 1: a first full run, a
//!    re-run over the unchanged lake (files whose contents are read: target 0), and a
//!    CRAWL_NEW_FOLDERS_ONLY run after one new partition folder, each against the full
//!    crawl's time and reads.
//!
//! Lakes are generated once under target/bench-lakes and reused.
//! Without `--bench` (under `cargo test`) this is a smoke run on small lakes.

#[path = "../tests/common/lake.rs"]
mod lake;
#[path = "../tests/common/moto.rs"]
mod moto;
#[path = "server.rs"]
mod server;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// `files` Parquet files over `partitions` `dt=` folders; the later half of the
/// partitions carries the second schema generation (one more column).
fn parquet_lake(root: &Path, files: usize, partitions: usize) {
    let marker = root.join(format!("_lake_{files}_{partitions}"));
    if marker.exists() {
        return;
    }
    let _ = std::fs::remove_dir_all(root);
    let per = files.div_ceil(partitions);
    let start = Instant::now();
    for p in 0..partitions {
        let day = 18_000 + p as i64; // days since 1970
        let date = civil(day);
        let generation = if p < partitions / 2 { 1 } else { 2 };
        for f in 0..per.min(files - p * per) {
            lake::parquet(
                &root.join(format!("events/dt={date}/part-{f:05}.snappy.parquet")),
                generation,
                8,
            );
        }
    }
    std::fs::write(&marker, b"").unwrap();
    eprintln!(
        "  (generated {files} files in {:.1} s)",
        start.elapsed().as_secs_f64()
    );
}

/// Days since the epoch to `YYYY-MM-DD` (Howard Hinnant's algorithm).
fn civil(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{m:02}-{d:02}", if m <= 2 { y + 1 } else { y })
}

fn lakecat_crawl(url: &str, extra: &[&str], envs: &[(&str, &str)]) -> (f64, Value) {
    let data = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let mut c = Command::new(env!("CARGO_BIN_EXE_lakecat"));
    c.args([
        "crawl",
        url,
        "--database",
        "bench",
        "--output",
        "json",
        "--data-dir",
    ])
    .arg(data.path())
    .args(extra)
    .env("LAKECAT_LOG", "warn");
    for (k, v) in envs {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (secs, serde_json::from_slice(&out.stdout).unwrap())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn python() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let ok = p.exists()
        && Command::new(&p)
            .args(["-c", "import duckdb, pyarrow"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    ok.then_some(p)
}

/// Runs a peer's timed section in Python; it prints its own seconds.
fn peer(py: &Path, code: &str, root: &Path) -> f64 {
    let out = Command::new(py)
        .args(["-c", code])
        .arg(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

const DUCKDB: &str = r#"
import sys, time, duckdb
con = duckdb.connect()
t = time.perf_counter()
con.sql(f"DESCRIBE SELECT * FROM read_parquet('{sys.argv[1]}/**/*.parquet', hive_partitioning=true, union_by_name=true)").fetchall()
print(time.perf_counter() - t)
"#;

const PYARROW: &str = r#"
import sys, time, pyarrow as pa, pyarrow.dataset as ds
t = time.perf_counter()
d = ds.dataset(sys.argv[1], format="parquet", partitioning="hive")
pa.unify_schemas([f.physical_schema for f in d.get_fragments()])
print(time.perf_counter() - t)
"#;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (files, parts, mem_files) = if full {
        (
            server::env_usize("LAKECAT_BENCH_FILES", 20_000),
            server::env_usize("LAKECAT_BENCH_PARTITIONS", 2_000),
            server::env_usize("LAKECAT_BENCH_MEMORY_FILES", 200_000),
        )
    } else {
        (200, 20, 500)
    };
    let lakes = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-lakes");
    println!("lakecat crawler benchmarks ({files} Parquet files in {parts} partitions)\n");

    // 1. Full crawl of a local lake, against the peers.
    let root = lakes.join(format!("parquet-{files}"));
    parquet_lake(&root, files, parts);
    let events = root.join("events");
    let url = events.to_str().unwrap();
    let rounds = if full { 3 } else { 1 };
    let list = {
        let mut v = Vec::new();
        for _ in 0..=rounds {
            let t = Instant::now();
            let n = walk(&events);
            v.push(t.elapsed().as_secs_f64());
            assert_eq!(n, files);
        }
        median(v)
    };
    let mut ours = Vec::new();
    let mut report = Value::Null;
    for _ in 0..=rounds {
        let (s, r) = lakecat_crawl(url, &[], &[]);
        ours.push(s);
        report = r;
    }
    let t = &report["tables"][0];
    assert_eq!(t["partitions"].as_u64(), Some(parts as u64), "{report:#}");
    assert_eq!(t["columns"].as_array().unwrap().len(), 4);
    println!(
        "1. crawl of {files} Parquet files in {parts} Hive partitions (two schema generations)"
    );
    println!("   {:<44} {:>8.3} s", "listing the tree alone", list);
    println!(
        "   {:<44} {:>8.3} s   (target ≤ 0.3 s)",
        "lakecat crawl (whole process, catalog written)",
        median(ours)
    );
    match (full, python()) {
        (true, Some(py)) => {
            let d: Vec<f64> = (0..=rounds).map(|_| peer(&py, DUCKDB, &events)).collect();
            let p: Vec<f64> = (0..=rounds).map(|_| peer(&py, PYARROW, &events)).collect();
            println!("   {:<44} {:>8.3} s", "DuckDB DESCRIBE read_parquet(union_by_name)", median(d));
            println!("   {:<44} {:>8.3} s", "pyarrow dataset, every fragment's schema", median(p));
        }
        (true, None) => println!("   peers not measured: run scripts/bench.sh (it installs duckdb and pyarrow into .venv)"),
        (false, _) => println!("   peers are measured with --bench only"),
    }

    // 2. Requests and bytes per file on an S3-compatible server.
    s3(full, &lakes);

    // 3. Peak memory over many files.
    let mroot = lakes.join(format!("memory-{mem_files}"));
    parquet_lake(&mroot, mem_files, (mem_files / 100).max(1));
    let (secs, r) = lakecat_crawl(mroot.join("events").to_str().unwrap(), &["--dry-run"], &[]);
    let peak = r["stats"]["peak_memory_bytes"].as_u64().unwrap_or(0);
    println!(
        "\n3. dry-run crawl of {mem_files} files: {:.1} s, peak memory {} MiB (target ≤ 256 MiB)",
        secs,
        peak >> 20
    );

    // 4. Managed re-crawls.
    recrawls(&lakes.join(format!("recrawl-{files}")), files, parts);
}

/// Runs a crawler over REST and waits for the run's history entry.
fn managed_run(agent: &ureq::Agent, base: &str, name: &str) -> Value {
    agent
        .post(&format!("{base}/v1/crawlers/{name}/start"))
        .send_empty()
        .unwrap();
    loop {
        let c: Value = agent
            .get(&format!("{base}/v1/crawlers/{name}"))
            .call()
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap();
        if c["state"] == "READY" {
            assert_eq!(c["last_crawl"]["status"], "SUCCEEDED", "{c}");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let runs: Value = agent
        .get(&format!("{base}/v1/crawlers/{name}/crawls"))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    runs["crawls"][0].clone()
}

fn recrawls(root: &Path, files: usize, parts: usize) {
    parquet_lake(root, files, parts);
    let fresh = root.join("events/dt=2099-01-01");
    let _ = std::fs::remove_dir_all(&fresh);
    let srv = server::start();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(true)
        .build()
        .into();
    let path = root.join("events").to_string_lossy().into_owned();
    for (name, policy, update) in [
        ("everything", "CRAWL_EVERYTHING", "UPDATE_IN_DATABASE"),
        ("new_folders", "CRAWL_NEW_FOLDERS_ONLY", "LOG"),
    ] {
        agent
            .post(&format!("{}/v1/crawlers", srv.base))
            .send_json(serde_json::json!({
                "name": name, "database_name": "bench", "table_prefix": format!("{name}_"),
                "targets": {"s3_targets": [{"path": path}]},
                "recrawl_policy": {"recrawl_behavior": policy},
                "schema_change_policy": {"update_behavior": update, "delete_behavior": "LOG"},
            }))
            .unwrap();
    }
    let secs = |r: &Value| r["end_time"].as_f64().unwrap() - r["start_time"].as_f64().unwrap();
    let row = |what: &str, r: &Value, base: Option<&Value>| {
        let vs = base.map_or(String::new(), |b| {
            format!(
                "   ({:.1}x faster than the full run)",
                secs(b) / secs(r).max(1e-6)
            )
        });
        println!(
            "   {what:<44} {:>6} files read, {:>6} reused, {:.3} s{vs}",
            r["files_read"],
            r["files_reused"],
            secs(r)
        );
    };
    println!("\n4. managed crawler runs in lakecat serve over {files} files");
    let full = managed_run(&agent, &srv.base, "everything");
    assert_eq!(full["files_read"].as_u64(), Some(files as u64), "{full}");
    row("CRAWL_EVERYTHING, first run", &full, None);
    let again = managed_run(&agent, &srv.base, "everything");
    row(
        "CRAWL_EVERYTHING, unchanged lake (target 0)",
        &again,
        Some(&full),
    );
    managed_run(&agent, &srv.base, "new_folders");
    for f in 0..10 {
        lake::parquet(&fresh.join(format!("part-{f:05}.snappy.parquet")), 2, 8);
    }
    let newer = managed_run(&agent, &srv.base, "new_folders");
    assert_eq!(newer["files_read"].as_u64(), Some(10), "{newer}");
    assert_eq!(newer["partitions_added"].as_u64(), Some(1), "{newer}");
    row(
        "CRAWL_NEW_FOLDERS_ONLY, one new folder",
        &newer,
        Some(&full),
    );
    let _ = std::fs::remove_dir_all(&fresh);
}

fn walk(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            n += walk(&e.path());
        } else if !e.file_name().to_string_lossy().starts_with('_') {
            n += 1;
        }
    }
    n
}

fn s3(full: bool, lakes: &Path) {
    let moto_server = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    if !moto_server.exists() {
        println!("\n2. S3: not measured (run scripts/test.sh or scripts/bench.sh to install moto_server)");
        return;
    }
    let n = if full { 500 } else { 20 };
    let root = lakes.join(format!("s3-{n}"));
    if !root.join("_done").exists() {
        for i in 0..n {
            lake::parquet(
                &root.join(format!("p/k={}/part-{i}.parquet", i % 10)),
                2,
                100,
            );
            lake::avro(
                &root.join(format!("a/k={}/part-{i}.avro", i % 10)),
                i % 2 == 0,
                100,
            );
        }
        std::fs::write(root.join("_done"), b"").unwrap();
    }
    let server = moto::moto();
    let endpoint = server.endpoint.clone();
    moto::upload(&endpoint, "bench", "p", &root.join("p"));
    moto::upload(&endpoint, "bench", "a", &root.join("a"));
    let envs = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("AWS_REGION", "us-east-1"),
    ];
    println!("\n2. on moto_server (S3 on loopback), {n} files of each format");
    for (sub, what) in [("p", "Parquet"), ("a", "Avro")] {
        let (secs, r) = lakecat_crawl(&format!("s3://bench/{sub}/"), &["--dry-run"], &envs);
        let st = &r["stats"];
        let files = st["files_read"].as_f64().unwrap();
        let listed = st["objects_listed"].as_f64().unwrap();
        let pages = (listed / 1000.0).ceil().max(1.0);
        let reads = st["requests"].as_f64().unwrap() - pages;
        println!(
            "   {what:<8} {:.3} reads per file (target ≤ 1.05) + {pages} list page(s); {:.0} bytes read per file; {:.2} s",
            reads / files,
            st["bytes_read"].as_f64().unwrap() / files,
            secs
        );
    }
    // The same files through a managed crawler: a first run, then one over the
    // unchanged bucket, which lists but reads nothing.
    let srv = server::start_with_env(&envs);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(true)
        .build()
        .into();
    agent
        .post(&format!("{}/v1/crawlers", srv.base))
        .send_json(serde_json::json!({"name": "s3", "database_name": "bench",
            "targets": {"s3_targets": [{"path": "s3://bench/p/"}]}}))
        .unwrap();
    let first = managed_run(&agent, &srv.base, "s3");
    let again = managed_run(&agent, &srv.base, "s3");
    let secs = |r: &Value| r["end_time"].as_f64().unwrap() - r["start_time"].as_f64().unwrap();
    println!(
        "   managed crawler over the Parquet files: first run {} files read in {:.2} s; unchanged re-run {} files read in {:.2} s",
        first["files_read"], secs(&first), again["files_read"], secs(&again)
    );
    drop(srv);
    drop(server);
}
