//! A release `lakecat serve` on a free loopback port for the benchmarks, killed on drop.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Server {
    child: Child,
    pub base: String,
    /// The Hive Metastore Thrift front's `host:port`.
    pub thrift: String,
    pub pid: u32,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A count from the environment, or `d`.
pub fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

pub fn start() -> Server {
    start_with_env(&[])
}

/// [`start`] with extra environment variables (an S3 endpoint and keys).
pub fn start_with_env(env: &[(&str, &str)]) -> Server {
    start_on(None, env)
}

/// A server on the store `url` (a fresh sled folder when `None`).
pub fn start_on(url: Option<&str>, env: &[(&str, &str)]) -> Server {
    launch(url, None, &[], env)
}

/// A server with extra flags on the sled folder `dir` (fresh when `None`; a
/// given one outlives the server, so another can open it next).
pub fn start_with(dir: Option<&std::path::Path>, args: &[&str]) -> Server {
    let url = dir.map(|d| format!("sled://{}", d.display()));
    launch(url.as_deref(), dir, args, &[])
}

fn launch(
    url: Option<&str>,
    data: Option<&std::path::Path>,
    args: &[&str],
    env: &[(&str, &str)],
) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = data.unwrap_or(dir.path()).join("warehouse");
    let store = match url {
        Some(u) => vec![
            "--store".to_string(),
            u.to_string(),
            "--warehouse-dir".to_string(),
            warehouse.to_string_lossy().into_owned(),
        ],
        None => vec![
            "--data-dir".to_string(),
            dir.path().to_string_lossy().into_owned(),
        ],
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args([
            "serve",
            "--http-addr",
            "127.0.0.1:0",
            "--thrift-addr",
            "127.0.0.1:0",
        ])
        .args(&store)
        .args(args)
        .envs(env.iter().copied())
        .env("LAKECAT_LOG", "warn,lakecat=info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut thrift = String::new();
    let addr = loop {
        let l = lines.next().expect("server exited").unwrap();
        if let Some(i) = l.find("listening on thrift://") {
            thrift = l[i + 22..].split_whitespace().next().unwrap().to_string();
        }
        if let Some(i) = l.find("listening on http://") {
            break format!("http://{}", l[i + 20..].split_whitespace().next().unwrap());
        }
        if let Some(i) = l.find("listening on https://") {
            break format!("https://{}", l[i + 21..].split_whitespace().next().unwrap());
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        base: addr,
        thrift,
        pid,
        _dir: dir,
    }
}

/// A fresh PostgreSQL database in the cluster scripts/bench.sh (or test.sh)
/// starts, or `None` with the reason when there is none.
pub fn postgres_database(label: &str) -> Result<String, String> {
    match std::env::var(lakecat_store_postgres::testing::TEST_PG_VAR) {
        Ok(_) => Ok(lakecat_store_postgres::testing::fresh_database(label)),
        Err(_) => Err(format!(
            "{} is not set: scripts/bench.sh starts a PostgreSQL cluster and sets it",
            lakecat_store_postgres::testing::TEST_PG_VAR
        )),
    }
}

/// `wrk` output's requests/s and 99th percentile, or why there are none.
pub fn wrk(args: &[&str]) -> Result<(String, String), String> {
    match Command::new("wrk").args(args).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let line = |p: &str| {
                text.lines()
                    .find(|l| l.trim_start().starts_with(p))
                    .map(|l| l.trim().to_string())
                    .unwrap_or_else(|| format!("{p} ?"))
            };
            Ok((line("Requests/sec"), line("99%")))
        }
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        Err(_) => Err("wrk is not installed: run scripts/bench.sh, which installs it".into()),
    }
}

/// Runs the Python client `benches/NAME` with `args`; its one JSON line.
pub fn python_client(name: &str, python: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(python)
        .arg(format!("{}/benches/{name}", env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// One line of a client's figures (calls/s, p50, p99, how many calls).
pub fn rate_row(who: &str, v: &serde_json::Value) {
    println!(
        "   {:<48} {:>8.0} calls/s   p50 {:.2} ms   p99 {:.2} ms   ({} calls)",
        who,
        v["per_s"].as_f64().unwrap(),
        v["p50_ms"].as_f64().unwrap(),
        v["p99_ms"].as_f64().unwrap(),
        v["calls"]
    );
}
