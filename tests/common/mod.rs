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

/// Starts `lakecat serve` on a free port and waits for its "listening" line.
pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
    start_with_env(data_dir, extra, &[])
}

/// [`start`] with extra environment variables (S3 endpoint and keys, …).
pub fn start_with_env(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args([
            "serve",
            "--http-addr",
            "127.0.0.1:0",
            "--thrift-addr",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data_dir)
        .args(extra)
        .envs(env.iter().copied())
        .env("LAKECAT_LOG", "info")
        .env_remove("LAKECAT_CONFIG")
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
