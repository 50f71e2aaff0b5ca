//! The Glue JSON API driven by the real boto3 (from .venv, installed by scripts/test.sh)
//! against a real `lakecat serve`, and the same catalog seen over REST.

mod common;

use std::process::Command;

/// Runs one of the boto3 scripts in tests/glue against `base`.
fn run_script(name: &str, base: &str) {
    let python = format!("{}/.venv/bin/python", env!("CARGO_MANIFEST_DIR"));
    assert!(
        std::path::Path::new(&python).exists(),
        "{python} is missing: run scripts/test.sh, which installs boto3 into .venv"
    );
    let script = format!("{}/tests/glue/{name}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(&python)
        .arg(&script)
        .arg(base)
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "{name} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn boto3_drives_the_glue_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), &[]);
    run_script("boto3_catalog.py", &server.base);
    // One catalog: what boto3 wrote is what REST serves.
    let mut resp = common::agent()
        .get(&format!("{}/v1/databases/sales/tables/events", server.base))
        .call()
        .unwrap();
    let t: serde_json::Value = resp.body_mut().read_json().unwrap();
    assert_eq!(t["description"], "skip");
    assert_eq!(t["storage_descriptor"]["location"], "s3://bucket/events/");
    server.sigterm();
}

#[test]
fn sigv4_mode_accepts_only_valid_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(
        dir.path(),
        &[
            "--auth",
            "sigv4",
            "--access-keys",
            "AKIDLAKECAT:lakecat-secret,OTHER:other",
        ],
    );
    run_script("boto3_sigv4.py", &server.base);
    // Plain REST calls are refused too.
    let resp = common::agent()
        .get(&format!("{}/v1/databases", server.base))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    server.sigterm();
}
