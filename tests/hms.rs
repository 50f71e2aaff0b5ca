//! The Hive Metastore Thrift front: pyspark (Hive support on) uses lakecat as its
//! metastore and answers exactly what it answers with the real Hive Metastore
//! 2.3.10 from the pyspark wheel; malformed input never takes the server down.
//! pyspark, hmsclient and Java come from scripts/test.sh's .venv and the machine.

mod common;

use common::hive::real_hms;

use lakecat::hms::thrift::{self, Reader, TStruct, TValue};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::python;

/// The Thrift calls a server has answered, from its `/metrics`: method -> outcomes.
fn thrift_calls(base: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let text = common::agent()
        .get(&format!("{base}/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let mut calls = std::collections::BTreeMap::<String, Vec<String>>::new();
    for line in text.lines() {
        let Some(labels) = line.strip_prefix("lakecat_thrift_calls_total{") else {
            continue;
        };
        let label = |k: &str| {
            let start = labels.find(&format!("{k}=\"")).unwrap() + k.len() + 2;
            labels[start..].split('"').next().unwrap().to_string()
        };
        calls
            .entry(label("method"))
            .or_default()
            .push(label("outcome"));
    }
    calls
}

/// A real client's session made only calls lakecat serves; prints them (the README's
/// list of what each engine calls comes from these runs).
fn assert_all_served(client: &str, base: &str) {
    let calls = thrift_calls(base);
    eprintln!(
        "{client} called: {}",
        calls.keys().cloned().collect::<Vec<_>>().join(" ")
    );
    assert!(
        !calls.is_empty(),
        "no lakecat_thrift_calls_total in /metrics"
    );
    assert!(
        !calls.contains_key("unknown"),
        "{client} called methods lakecat does not serve: {calls:?}"
    );
}

/// Runs tests/hms/spark_session.py against a metastore; its JSON line of answers.
fn spark_session(thrift: &str, scratch: &Path, server: &str) -> serde_json::Value {
    let script = format!("{}/tests/hms/spark_session.py", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(python())
        .args([&script, thrift, &scratch.to_string_lossy(), server])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("ok"),
        "spark_session.py against {thrift} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| !l.trim_start().starts_with("at "))
            .collect::<Vec<_>>()
            .join("\n")
    );
    serde_json::from_str(stdout.lines().next().unwrap()).unwrap()
}

#[test]
fn spark_answers_the_same_with_lakecat_as_with_the_real_hive_metastore() {
    let dir = tempfile::tempdir().unwrap();
    // Spark places databases in its own warehouse (under "ours"), which the
    // operator allows as Hive's users allow a metastore to write there.
    let ours = dir.path().join("ours");
    let server = common::start(
        &dir.path().join("catalog"),
        &["--allowed-locations", &ours.to_string_lossy()],
    );
    let reference = real_hms(&dir.path().join("hms"));
    // One catalog: an Iceberg table created over the Iceberg REST front is a table
    // Spark sees over Thrift (spark_session.py checks it against lakecat only).
    let agent = common::agent();
    let post = |path: &str, body: serde_json::Value| {
        let r = agent
            .post(&format!("{}/iceberg/v1/{path}", server.base))
            .send_json(&body)
            .unwrap();
        assert!(r.status().is_success(), "{path}: {:?}", r.status());
    };
    post(
        "namespaces",
        serde_json::json!({"namespace": ["ice"], "properties": {"location": format!("file://{}/ice", ours.display())}}),
    );
    post(
        "namespaces/ice/tables",
        serde_json::json!({"name": "events", "schema": {"type": "struct", "schema-id": 0, "fields": [
            {"id": 1, "name": "id", "required": false, "type": "long"},
            {"id": 2, "name": "kind", "required": false, "type": "string"}]}}),
    );
    let ours = spark_session(&server.thrift, &ours, "lakecat");
    let theirs = spark_session(
        &format!("127.0.0.1:{}", reference.port),
        &dir.path().join("theirs"),
        "hive",
    );
    let differing: Vec<(&String, &serde_json::Value, &serde_json::Value)> = ours["pushed"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(p, v)| theirs["pushed"][p.as_str()] != **v)
        .map(|(p, v)| (p, v, &theirs["pushed"][p.as_str()]))
        .collect();
    assert!(
        differing.is_empty(),
        "predicates Spark pushes down answer differently (predicate, lakecat, Hive): {differing:#?}"
    );
    assert_eq!(
        ours, theirs,
        "Spark's answers differ between lakecat and Hive"
    );
    // One catalog: what Spark registered is what REST serves.
    let mut r = common::agent()
        .get(&format!(
            "{}/v1/databases/sales/tables/lake/partitions",
            server.base
        ))
        .call()
        .unwrap();
    let v: serde_json::Value = r.body_mut().read_json().unwrap();
    let values: Vec<&str> = v["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["values"][0].as_str().unwrap())
        .collect();
    assert_eq!(values, ["2024-02-01", "2024-02-02"], "{v}");
    assert_all_served("Spark", &server.base);
    server.sigterm();
}

// ---- protocol-level checks with raw connections

fn call_bytes(name: &str, seq: i32, args: &TStruct) -> Vec<u8> {
    thrift::write_message(name, thrift::CALL, seq, args)
}

fn read_reply(s: &mut TcpStream) -> thrift::Message {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        // Parse what has arrived; read more while the message is incomplete.
        let attempt = rt.block_on(async {
            let mut r: &[u8] = &buf;
            if r.is_empty() {
                return None;
            }
            let first = r[0];
            r = &r[1..];
            Reader::new(&mut r, buf.len()).message(first).await.ok()
        });
        if let Some(m) = attempt {
            return m;
        }
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

fn databases(s: &mut TcpStream) -> Vec<String> {
    s.write_all(&call_bytes("get_all_databases", 1, &TStruct::new()))
        .unwrap();
    let m = read_reply(s);
    assert_eq!(m.kind, thrift::REPLY);
    m.args.strings(0)
}

#[test]
fn malformed_input_never_takes_the_server_down() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), &[]);
    let addr = server.thrift.clone();
    let mut keeper = connect(&addr);
    assert_eq!(databases(&mut keeper), ["default"]);

    // An unknown method: UNKNOWN_METHOD, and the connection stays usable.
    let mut s = connect(&addr);
    let args = TStruct::new().with(1, TValue::Struct(TStruct::new().with_str(1, "db")));
    s.write_all(&call_bytes("get_partitions_by_expr", 7, &args))
        .unwrap();
    let m = read_reply(&mut s);
    assert_eq!((m.kind, m.seq), (thrift::EXCEPTION, 7));
    assert_eq!(m.args.int(2), Some(thrift::UNKNOWN_METHOD as i64));
    assert_eq!(databases(&mut s), ["default"]);

    // Wrong argument types: a declared exception, the connection in step.
    let bad = TStruct::new().with(1, TValue::I32(5));
    s.write_all(&call_bytes("get_database", 8, &bad)).unwrap();
    let m = read_reply(&mut s);
    assert_eq!(m.kind, thrift::REPLY);
    assert!(
        m.args.strct(0).is_none() && !m.args.fields.is_empty(),
        "{m:?}"
    );
    assert_eq!(databases(&mut s), ["default"]);

    // Framed transport works on a connection of its own.
    let mut f = connect(&addr);
    let msg = call_bytes("get_all_databases", 3, &TStruct::new());
    f.write_all(&(msg.len() as u32).to_be_bytes()).unwrap();
    f.write_all(&msg).unwrap();
    let mut len = [0u8; 4];
    f.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    f.read_exact(&mut body).unwrap();
    assert_eq!(body[..4], [0x80, 0x01, 0x00, thrift::REPLY]);

    // Garbage: an absurd string length, a truncated message, a bogus version, a
    // frame claiming 2 GiB. Each closes its own connection only.
    let mut absurd = call_bytes("get_database", 1, &TStruct::new());
    absurd.pop();
    absurd.extend_from_slice(&[thrift::T_STRING, 0, 1, 0x7f, 0xff, 0xff, 0xff, b'x']);
    let mut truncated = call_bytes("get_database", 1, &TStruct::new().with_str(1, "default"));
    truncated.truncate(truncated.len() - 4);
    for junk in [
        absurd,
        truncated,
        vec![0x80, 0x07, 0, 1, 0, 0, 0, 0],
        vec![0x7f, 0xff, 0xff, 0xff, 0x80],
    ] {
        let mut g = connect(&addr);
        g.write_all(&junk).unwrap();
        g.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        let _ = g.read_to_end(&mut rest);
    }
    // Everything else still works, including the connection opened first.
    assert_eq!(databases(&mut keeper), ["default"]);
    assert_eq!(databases(&mut connect(&addr)), ["default"]);
    // Many idle connections cost no threads and do not get in the way.
    let idle: Vec<TcpStream> = (0..200).map(|_| connect(&addr)).collect();
    assert_eq!(databases(&mut keeper), ["default"]);
    drop(idle);
    server.sigterm();
}

/// The message of the declared exception a reply carries ("" if none).
fn declared_exception(m: &thrift::Message) -> String {
    m.args
        .fields
        .iter()
        .find_map(|(id, v)| match v {
            TValue::Struct(e) if *id >= 1 => e.str(1),
            _ => None,
        })
        .unwrap_or_default()
}

/// One call on a raw connection; the reply (or exception) message.
fn call(s: &mut TcpStream, name: &str, args: TStruct) -> thrift::Message {
    s.write_all(&call_bytes(name, 1, &args)).unwrap();
    read_reply(s)
}

/// The struct of a managed table at `location`.
fn managed_table(db: &str, name: &str, location: &str) -> TStruct {
    let col = TStruct::new().with_str(1, "a").with_str(2, "int");
    let sd = TStruct::new()
        .with(1, TValue::struct_list([col]))
        .with_str(2, location);
    TStruct::new()
        .with_str(1, name)
        .with_str(2, db)
        .with(7, TValue::Struct(sd))
        .with_str(12, "MANAGED_TABLE")
}

fn drop_with_data(s: &mut TcpStream, db: &str, name: &str) -> thrift::Message {
    let args = TStruct::new()
        .with_str(1, db)
        .with_str(2, name)
        .with(3, TValue::Bool(true));
    call(s, "drop_table", args)
}

/// Issue 16, defect 1 (and defect 3 for Thrift): a client names any `file:`
/// location for a managed table or database; lakecat creates, moves and deletes
/// folders only inside its warehouse and the allowed locations, and never its
/// data directory.
#[test]
fn thrift_calls_never_touch_folders_outside_the_warehouse() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let data = root.join("catalog");
    let warehouse = data.join("warehouse");
    let outside = root.join("outside");
    std::fs::create_dir_all(outside.join("kept")).unwrap();
    std::fs::write(outside.join("kept/part-0.parquet"), b"data").unwrap();
    let server = common::start(&data, &[]);
    let mut s = connect(&server.thrift);
    assert_eq!(databases(&mut s), ["default"]);

    // The data directory itself, registered as a managed table and dropped with
    // its data: the table goes, the folder stays, the catalog keeps working.
    let m = call(
        &mut s,
        "create_table",
        TStruct::new().with(
            1,
            TValue::Struct(managed_table(
                "default",
                "evil",
                &format!("file://{}", data.display()),
            )),
        ),
    );
    assert_eq!(declared_exception(&m), "", "{m:?}");
    let m = drop_with_data(&mut s, "default", "evil");
    assert_eq!(declared_exception(&m), "", "{m:?}");
    // (On PostgreSQL the folder holds just the warehouse.)
    let kept_file = if common::on_postgres() {
        "warehouse"
    } else {
        "db"
    };
    assert!(
        data.join(kept_file).exists(),
        "the store's files are still there"
    );
    // An existing folder outside every root, dropped with its data: kept.
    let kept = format!("file:{}/../../outside/kept", warehouse.display());
    let m = call(
        &mut s,
        "create_table",
        TStruct::new().with(1, TValue::Struct(managed_table("default", "kept", &kept))),
    );
    assert_eq!(declared_exception(&m), "", "{m:?}");
    drop_with_data(&mut s, "default", "kept");
    assert!(outside.join("kept/part-0.parquet").exists());
    // Folders that would have to be made outside: refused, nothing made.
    let m = call(
        &mut s,
        "create_table",
        TStruct::new().with(
            1,
            TValue::Struct(managed_table(
                "default",
                "t",
                &format!("file:{}/../../outside/new", warehouse.display()),
            )),
        ),
    );
    assert!(
        declared_exception(&m).contains("--allowed-locations"),
        "{m:?}"
    );
    assert!(!outside.join("new").exists());
    let db = TStruct::new()
        .with_str(1, "evil")
        .with_str(3, format!("file://{}/made", outside.display()));
    let m = call(
        &mut s,
        "create_database",
        TStruct::new().with(1, TValue::Struct(db)),
    );
    assert!(declared_exception(&m).contains("cannot create"), "{m:?}");
    assert!(!outside.join("made").exists());
    // A rename that would move a managed table's folder outside: refused.
    let db = TStruct::new()
        .with_str(1, "out")
        .with_str(3, format!("file://{}", outside.display()));
    let m = call(
        &mut s,
        "create_database",
        TStruct::new().with(1, TValue::Struct(db)),
    );
    assert_eq!(declared_exception(&m), "", "{m:?}");
    let t = managed_table("out", "kept", &format!("file://{}/kept", outside.display()));
    let m = call(
        &mut s,
        "create_table",
        TStruct::new().with(1, TValue::Struct(t)),
    );
    assert_eq!(declared_exception(&m), "", "{m:?}");
    let renamed = managed_table(
        "out",
        "moved",
        &format!("file://{}/kept", outside.display()),
    );
    let m = call(
        &mut s,
        "alter_table",
        TStruct::new()
            .with_str(1, "out")
            .with_str(2, "kept")
            .with(3, TValue::Struct(renamed)),
    );
    assert!(declared_exception(&m).contains("cannot move"), "{m:?}");
    assert!(outside.join("kept/part-0.parquet").exists() && !outside.join("moved").exists());

    // Inside the warehouse, Hive's behaviour is kept: made, then deleted.
    let inside = format!("file://{}/default.db/t2", warehouse.display());
    let m = call(
        &mut s,
        "create_table",
        TStruct::new().with(1, TValue::Struct(managed_table("default", "t2", &inside))),
    );
    assert_eq!(declared_exception(&m), "", "{m:?}");
    assert!(warehouse.join("default.db/t2").is_dir());
    drop_with_data(&mut s, "default", "t2");
    assert!(!warehouse.join("default.db/t2").exists());

    // After a restart the catalog is all there.
    server.sigterm();
    let server = common::start(&data, &[]);
    let mut s = connect(&server.thrift);
    let mut names = databases(&mut s);
    names.sort();
    assert_eq!(names, ["default", "out"]);
    server.sigterm();
}

/// Issue 17: lakecat serves no Hive ACID transactions; what a client gets when it
/// asks for them, or creates a transactional table, says so instead of failing
/// obscurely (Spark and Trino make these calls only for transactional tables).
#[test]
fn acid_transactions_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), &[]);
    let mut s = connect(&server.thrift);
    assert_eq!(databases(&mut s), ["default"]);
    // Declared without a MetaException: an application exception that says why.
    let req = TStruct::new()
        .with(1, TValue::I32(1))
        .with_str(2, "ann")
        .with_str(3, "host");
    let m = call(
        &mut s,
        "open_txns",
        TStruct::new().with(1, TValue::Struct(req)),
    );
    assert_eq!(m.kind, thrift::EXCEPTION, "{m:?}");
    assert!(m.args.str(1).unwrap_or_default().contains("ACID"), "{m:?}");
    // With one: the MetaException slot.
    let req = TStruct::new().with_str(2, "default").with_str(3, "t");
    let m = call(
        &mut s,
        "allocate_table_write_ids",
        TStruct::new().with(1, TValue::Struct(req)),
    );
    assert_eq!(m.kind, thrift::REPLY);
    assert!(
        m.args.strct(3).is_some() && declared_exception(&m).contains("ACID"),
        "{m:?}"
    );
    // A transactional table is refused when created; the catalog is unchanged.
    let params =
        std::collections::BTreeMap::from([("transactional".to_string(), "true".to_string())]);
    let t = managed_table(
        "default",
        "acid",
        &format!("file://{}/warehouse/acid", dir.path().display()),
    )
    .with(9, TValue::str_map(&params));
    let m = call(
        &mut s,
        "create_table",
        TStruct::new().with(1, TValue::Struct(t)),
    );
    assert!(
        m.args.strct(2).is_some() && declared_exception(&m).contains("ACID"),
        "{m:?}"
    );
    let m = call(
        &mut s,
        "get_all_tables",
        TStruct::new().with_str(1, "default"),
    );
    assert!(m.args.strings(0).is_empty(), "{m:?}");
    // The connection is still in step.
    assert_eq!(databases(&mut s), ["default"]);
    server.sigterm();
}

/// Runs one of the Python client scripts in tests/hms against a fresh server.
fn client_script(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(
        &dir.path().join("catalog"),
        &["--allowed-locations", &dir.path().to_string_lossy()],
    );
    run_script(name, &[&server.thrift, &dir.path().to_string_lossy()]);
    assert_all_served(name, &server.base);
    server.sigterm();
}

/// Runs tests/hms/NAME with `args`; it must print "ok".
fn run_script(name: &str, args: &[&str]) {
    common::python_ok(&format!("hms/{name}"), args);
}

#[test]
fn pyiceberg_hive_catalog_with_two_concurrent_commits() {
    client_script("pyiceberg_session.py");
}

/// The notification log, read by Hive 2 and Hive 4 clients, after writes from
/// Thrift, REST and DDL; a replay of the log rebuilds the catalog (issue 18).
#[test]
fn notification_log_session() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(
        &dir.path().join("catalog"),
        &["--allowed-locations", &dir.path().to_string_lossy()],
    );
    run_script(
        "notifications_session.py",
        &[&server.thrift, &dir.path().to_string_lossy(), &server.base],
    );
    assert_all_served("notifications_session.py", &server.base);
    server.sigterm();
}

#[test]
fn hmsclient_session() {
    client_script("hmsclient_session.py");
}

/// A Hive 3 client (catalogs, `@catalog#db` names, Hive 3 request structs).
#[test]
fn hive3_client_session() {
    client_script("hive3_session.py");
}

/// Hive 4's request-struct calls, with the IDL PyIceberg ships.
#[test]
fn hive4_request_calls() {
    client_script("hive4_session.py");
}

/// SASL PLAIN on the Thrift port (issue 16), with thrift_sasl and pure-sasl.
#[test]
fn sasl_plain_on_the_thrift_port() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), &["--thrift-users", "ann:s3cret"]);
    run_script("sasl_session.py", &[&server.thrift]);
    server.sigterm();
}

/// The Iceberg REST front (issue 14) with PyIceberg's RestCatalog, beside
/// its HiveCatalog on the same server.
#[test]
fn pyiceberg_rest_catalog_reads_what_the_hive_catalog_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(
        &dir.path().join("catalog"),
        &["--allowed-locations", &dir.path().to_string_lossy()],
    );
    run_script(
        "iceberg_rest_session.py",
        &[&server.base, &server.thrift, &dir.path().to_string_lossy()],
    );
    server.sigterm();
}

/// The Iceberg REST front with a warehouse on S3 (moto), beside PyIceberg's GlueCatalog:
/// partitioned tables, overwrite, delete, evolution and concurrent appenders.
#[test]
fn pyiceberg_rest_catalog_on_s3_with_the_glue_catalog_beside_it() {
    let m = common::moto::moto();
    let dir = tempfile::tempdir().unwrap();
    let server = common::start_with_env(
        &dir.path().join("catalog"),
        &["--allowed-locations", "s3://lake/s3ns/"],
        &common::moto::s3_env(&m.endpoint),
    );
    run_script("iceberg_rest_s3_session.py", &[&server.base, &m.endpoint]);
    server.sigterm();
}

/// DuckDB 1.4's iceberg extension on the Iceberg REST front (installed by
/// scripts/test.sh into .venv/duckdb-1.4): reads, inserts, creates, and OAuth2.
#[test]
fn duckdb_reads_and_writes_through_the_iceberg_rest_front() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().to_string_lossy().into_owned();
    let open = common::start(
        &dir.path().join("catalog"),
        &["--allowed-locations", &scratch],
    );
    let locked = common::start(
        &dir.path().join("locked"),
        &[
            "--allowed-locations",
            &scratch,
            "--auth",
            "sigv4",
            "--access-keys",
            "AKIDDUCK:duck-secret",
            "--allow-unauthenticated-thrift",
        ],
    );
    let duck = format!("{}/.venv/duckdb-1.4", env!("CARGO_MANIFEST_DIR"));
    assert!(
        std::path::Path::new(&duck).join("duckdb").exists(),
        "{duck} is missing: run scripts/test.sh, which installs DuckDB 1.4 there"
    );
    run_script(
        "iceberg_rest_duckdb_session.py",
        &[&open.base, &scratch, &locked.base, &duck],
    );
    open.sigterm();
    locked.sigterm();
}

/// The Iceberg REST front under `--auth sigv4`: OAuth2 bearer tokens and SigV4, with PyIceberg.
#[test]
fn pyiceberg_rest_catalog_authenticates_with_oauth2_or_sigv4() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(
        dir.path(),
        &[
            "--auth",
            "sigv4",
            "--access-keys",
            "AKIDICE:ice-secret",
            "--allow-unauthenticated-thrift",
        ],
    );
    run_script("iceberg_rest_auth_session.py", &[&server.base]);
    server.sigterm();
}
