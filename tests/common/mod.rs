//! Helpers for tests that run the real `lakecat` binary as a child process.
#![allow(dead_code)]

pub mod hive;
pub mod lake;
pub mod moto;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Server {
    pub child: Child,
    pub base: String,
    /// The Hive Metastore Thrift front's `host:port`.
    pub thrift: String,
}

/// `lakecat serve` on free ports of 127.0.0.1 with `args` and `env`, and no
/// configuration file from the environment.
fn serve(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lakecat"));
    c.args([
        "serve",
        "--http-addr",
        "127.0.0.1:0",
        "--thrift-addr",
        "127.0.0.1:0",
    ])
    .args(args)
    .envs(env.iter().copied())
    .env_remove("LAKECAT_CONFIG");
    c
}

/// `lakecat serve` with these arguments (and `env`) exits at once: its error.
pub fn refused_at_start(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = serve(args, env).output().unwrap();
    assert!(!out.status.success(), "serve {args:?} started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Starts `lakecat serve` on a free port and waits for its "listening" line.
pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
    start_with_env(data_dir, extra, &[])
}

/// Whether the tests run their servers and stores on PostgreSQL
/// (`LAKECAT_TEST_BACKEND=postgres`, set by scripts/test.sh for its second
/// pass) rather than on the embedded store.
pub fn on_postgres() -> bool {
    std::env::var("LAKECAT_TEST_BACKEND").as_deref() == Ok("postgres")
}

/// How a server finds the catalog of a test's data folder: the folder itself
/// (sled), or a PostgreSQL database of that folder's own with the warehouse
/// where sled would keep it.
pub fn store_args(data_dir: &Path) -> Vec<String> {
    if on_postgres() {
        let url = lakecat_store_postgres::testing::database_for(&data_dir.to_string_lossy());
        vec![
            "--store".into(),
            url,
            "--warehouse-dir".into(),
            data_dir.join("warehouse").to_string_lossy().into_owned(),
        ]
    } else {
        vec!["--data-dir".into(), data_dir.to_string_lossy().into_owned()]
    }
}

/// The store of a test's data folder, on the backend the run tests.
pub fn test_store(
    data_dir: &Path,
    max_versions: usize,
) -> std::sync::Arc<dyn lakecat_catalog_api::store::CatalogStore> {
    if on_postgres() {
        let url = lakecat_store_postgres::testing::database_for(&data_dir.to_string_lossy());
        std::sync::Arc::new(lakecat_store_postgres::PgStore::open(&url, max_versions).unwrap())
    } else {
        std::sync::Arc::new(lakecat_store_sled::SledStore::open(data_dir, max_versions).unwrap())
    }
}

/// [`start`] with extra environment variables (S3 endpoint and keys, …).
pub fn start_with_env(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let has_warehouse = extra.contains(&"--warehouse-dir");
    let mut store = store_args(data_dir);
    if has_warehouse && store.len() == 4 {
        store.truncate(2);
    }
    let mut args: Vec<&str> = store.iter().map(String::as_str).collect();
    args.extend_from_slice(extra);
    // A server killed mid-crawl (or mid-delivery of a webhook) hands its run on
    // once its lease expires: on a shared store, tests should not wait the
    // default half minute for that.
    let mut env = env.to_vec();
    if on_postgres() {
        env.push(("LAKECAT_CRAWLER_LEASE_SECS", "2"));
        env.push(("LAKECAT_WEBHOOK_LEASE_SECS", "2"));
    }
    start_with_store(&args, &env)
}

/// Starts `lakecat serve` with exactly these arguments after the addresses
/// (the store's included).
pub fn start_with_store(args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = serve(args, env)
        .env("LAKECAT_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lakecat");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut thrift = String::new();
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let after = |marker: &str| {
                line.find(marker).map(|i| {
                    line[i + marker.len()..]
                        .split_whitespace()
                        .next()
                        .unwrap()
                        .to_string()
                })
            };
            if let Some(a) = after("listening on thrift://") {
                thrift = a;
            }
            if !sent {
                let http = after("listening on http://").map(|a| format!("http://{a}"));
                let https = after("listening on https://").map(|a| format!("https://{a}"));
                if let Some(base) = http.or(https) {
                    let _ = tx.send((base, thrift.clone()));
                    sent = true;
                }
            }
        }
    });
    let (base, thrift) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("lakecat did not report its address");
    Server {
        child,
        base,
        thrift,
    }
}

impl Server {
    pub fn sigterm(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// One REST call: the status and the JSON body (`Null` when there is none). A
/// connection that fails answers status 0 with `{"transport": reason}`.
pub fn call(method: &str, url: &str, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
    let a = agent();
    let r = match (method, body) {
        ("GET", _) => a.get(url).call(),
        ("DELETE", _) => a.delete(url).call(),
        ("POST", Some(b)) => a.post(url).send_json(b),
        ("POST", None) => a.post(url).send_empty(),
        ("PUT", Some(b)) => a.put(url).send_json(b),
        _ => unreachable!("{method} {url}"),
    };
    match r {
        Ok(mut r) => {
            let status = r.status().as_u16();
            let text = r.body_mut().read_to_string().unwrap_or_default();
            (
                status,
                serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
            )
        }
        Err(e) => (0, serde_json::json!({ "transport": e.to_string() })),
    }
}

/// The Python that scripts/test.sh installs the real clients into.
pub fn python() -> String {
    let p = format!("{}/.venv/bin/python", env!("CARGO_MANIFEST_DIR"));
    assert!(
        Path::new(&p).exists(),
        "{p} is missing: run scripts/test.sh, which installs the clients into .venv"
    );
    p
}

/// Runs tests/SCRIPT (`glue/x.py`, `hms/y.py`) with `args`; it must succeed.
pub fn python_script(script: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(python())
        .arg(format!("{}/tests/{script}", env!("CARGO_MANIFEST_DIR")))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs tests/SCRIPT with `args`; it must succeed and print "ok".
pub fn python_ok(script: &str, args: &[&str]) {
    let out = python_script(script, args);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ok",
        "{script} did not end with ok:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
