//! The Glue JSON API driven by the real boto3 (from .venv, installed by scripts/test.sh)
//! against a real `lakecat serve`, and the same catalog seen over REST.

mod common;

use std::process::Command;

#[test]
fn boto3_drives_the_glue_api() {
    let python = format!("{}/.venv/bin/python", env!("CARGO_MANIFEST_DIR"));
    assert!(
        std::path::Path::new(&python).exists(),
        "{python} is missing: run scripts/test.sh, which installs boto3 into .venv"
    );
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), &[]);
    let script = format!("{}/tests/glue/boto3_catalog.py", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(&python)
        .arg(&script)
        .arg(&server.base)
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "boto3 script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
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
