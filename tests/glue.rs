//! The Glue JSON API driven by the real boto3 (from .venv, installed by scripts/test.sh)
//! against a real `lakecat serve`, and the same catalog seen over REST.

mod common;

use std::process::Command;

/// Runs one of the boto3 scripts in tests/glue against `base`.
fn run_script(name: &str, base: &str) {
    run_script_with(name, &[base]);
}

fn run_script_with(name: &str, args: &[&str]) {
    common::python_ok(&format!("glue/{name}"), args);
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
fn boto3_partition_indexes_and_column_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), &[]);
    let metrics = format!("{}/metrics", server.base);
    run_script_with("boto3_indexes_stats.py", &[&server.base, &metrics]);
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
            "--allow-unauthenticated-thrift",
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

#[test]
fn the_aws_cli_works_unchanged() {
    let aws = format!("{}/.venv/bin/aws", env!("CARGO_MANIFEST_DIR"));
    assert!(
        std::path::Path::new(&aws).exists(),
        "{aws} is missing: run scripts/test.sh, which installs the aws CLI into .venv"
    );
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), &[]);
    let run = |args: &[&str]| {
        Command::new(&aws)
            .args([
                "glue",
                "--endpoint-url",
                &server.base,
                "--region",
                "us-east-1",
                "--output",
                "json",
            ])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .unwrap()
    };
    let out = run(&[
        "create-database",
        "--database-input",
        "Name=cli,Description=from the CLI",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "create-table",
        "--database-name",
        "cli",
        "--table-input",
        r#"{"Name":"t","PartitionKeys":[{"Name":"dt","Type":"string"}],"StorageDescriptor":{"Columns":[{"Name":"a","Type":"int"}],"Location":"s3://b/t/"}}"#,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The scripted session of the issue: file:// inputs, a batch of partitions, a
    // filtered listing, the tables, a deletion.
    let parts = dir.path().join("parts.json");
    std::fs::write(
        &parts,
        r#"[{"Values":["2024-01-01"],"StorageDescriptor":{"Location":"s3://b/t/dt=2024-01-01/"}},
            {"Values":["2024-01-02"],"StorageDescriptor":{"Location":"s3://b/t/dt=2024-01-02/"}}]"#,
    )
    .unwrap();
    let tfile = dir.path().join("t2.json");
    std::fs::write(
        &tfile,
        r#"{"Name":"t2","StorageDescriptor":{"Columns":[{"Name":"b","Type":"string"}]}}"#,
    )
    .unwrap();
    let out = run(&[
        "create-table",
        "--database-name",
        "cli",
        "--table-input",
        &format!("file://{}", tfile.display()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "batch-create-partition",
        "--database-name",
        "cli",
        "--table-name",
        "t",
        "--partition-input-list",
        &format!("file://{}", parts.display()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Errors"].as_array().map(Vec::len), Some(0), "{v}");
    let out = run(&[
        "get-partitions",
        "--database-name",
        "cli",
        "--table-name",
        "t",
        "--expression",
        "dt > '2024-01-01'",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Partitions"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["Partitions"][0]["Values"][0], "2024-01-02");
    let out = run(&["get-tables", "--database-name", "cli"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["TableList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["t", "t2"]);
    let out = run(&["get-databases"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["DatabaseList"][0]["Name"], "cli");
    assert_eq!(v["DatabaseList"][0]["Description"], "from the CLI");
    let out = run(&["get-table", "--database-name", "cli", "--name", "t"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Table"]["StorageDescriptor"]["Columns"][0]["Type"], "int");
    let out = run(&["get-table", "--database-name", "cli", "--name", "nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("EntityNotFoundException"));
    let out = run(&["delete-table", "--database-name", "cli", "--name", "t2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["get-table", "--database-name", "cli", "--name", "t2"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("EntityNotFoundException"));
    server.sigterm();
}

/// awswrangler's catalog helpers and a dataset written to a real S3 server (moto),
/// registered in lakecat and read back (issue 17).
#[test]
fn awswrangler_catalog_and_dataset() {
    let m = common::moto::moto();
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), &[]);
    run_script_with("awswrangler_session.py", &[&server.base, &m.endpoint]);
    server.sigterm();
}

/// HTTPS and Thrift over TLS (issue 16): boto3 and a Hive client over TLS, and a
/// certificate replaced on disk is served without a restart.
#[test]
fn boto3_over_https_and_certificate_reload() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    let certs_arg = certs.to_string_lossy().into_owned();
    run_script_with("boto3_https.py", &["make", &certs_arg]);
    let cert = certs.join("cert.pem").to_string_lossy().into_owned();
    let key = certs.join("key.pem").to_string_lossy().into_owned();
    let server = common::start(
        &dir.path().join("catalog"),
        &["--tls-cert", &cert, "--tls-key", &key, "--thrift-tls"],
    );
    assert!(server.base.starts_with("https://"), "{}", server.base);
    run_script_with(
        "boto3_https.py",
        &["run", &server.base, &certs_arg, &server.thrift],
    );
    server.sigterm();
}
