//! The PostgreSQL store from the outside: `lakecat migrate`, `lakecat store
//! copy`, a database that restarts under a running server, and several
//! replicas on one database. Needs the test cluster scripts/test.sh starts
//! (`LAKECAT_TEST_PG`); the restart test starts a cluster of its own.

mod common;

use common::call;
use lakecat_catalog_api::model::{Database, Function, Partition};
use lakecat_catalog_api::names::{DatabaseName, TableIdent};
use lakecat_catalog_api::store::*;
use lakecat_store_postgres::{testing, PgStore};
use lakecat_store_sled::SledStore;
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

fn lakecat(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args(args)
        .env_remove("LAKECAT_CONFIG")
        .env_remove("LAKECAT_STORE")
        .env_remove("LAKECAT_DATA_DIR")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A catalog with something of every kind a store keeps.
fn fill(s: &dyn CatalogStore) {
    lakecat::services::sample::load(s).unwrap();
    let d = DatabaseName::new("copyme").unwrap();
    let mut db = Database::new(d.clone());
    db.parameters.insert("k".into(), "v".into());
    s.create_database(db).unwrap();
    let id = TableIdent::parse("copyme", "t").unwrap();
    s.create_table(&d, lakecat_catalog_api::conformance::sample_table("t"))
        .unwrap();
    for i in 0..3 {
        let mut t = s.get_table(&id).unwrap();
        t.description = Some(format!("edit {i}"));
        s.update_table(&id, t, UpdateTableOptions::default())
            .unwrap();
    }
    let parts: Vec<Partition> = (0..2500)
        .map(|i| Partition::new(vec![format!("2024-{:02}-01", i % 12 + 1), i.to_string()]))
        .collect();
    assert!(s.create_partitions(&id, parts, false).unwrap().is_empty());
    s.create_partition_index(
        &id,
        lakecat_catalog_api::stats::PartitionIndex {
            index_name: "by_hour".into(),
            keys: vec!["hour".into()],
            slot: 0,
        },
    )
    .unwrap();
    let st: lakecat_catalog_api::stats::ColumnStatistics = serde_json::from_value(json!({
        "column_name": "id", "column_type": "bigint", "analyzed_time": 1_700_000_000,
        "statistics_data": {"type": "LONG", "long_column_statistics_data":
            {"minimum_value": 1, "maximum_value": 9, "number_of_nulls": 0, "number_of_distinct_values": 9}}
    }))
    .unwrap();
    s.update_column_statistics(&id, None, vec![st.clone()])
        .unwrap();
    let p = vec!["2024-01-01".to_string(), "0".to_string()];
    s.update_column_statistics(&id, Some(&p), vec![st]).unwrap();
    let f: Function = serde_json::from_value(json!({
        "function_name": "upper2", "class_name": "com.example.Upper", "owner_name": "ann",
        "owner_type": "USER", "create_time": 0, "resource_uris": []
    }))
    .unwrap();
    s.create_function(&d, f).unwrap();
    s.write_records(vec![
        RecordWrite::put("crawler", "c1", b"{\"x\":1}".to_vec()),
        RecordWrite::put("crawl", "c1/0001", vec![0, 1, 2, 255]),
    ])
    .unwrap();
}

#[test]
fn store_copy_round_trips_sled_to_postgres_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (before, partitions) = {
        let s = SledStore::open(&a, 100).unwrap();
        fill(&s);
        (
            lakecat::services::copy::snapshot(&s).unwrap(),
            s.stats().unwrap().partitions,
        )
    };
    let pg = testing::fresh_database("copy");
    let a_url = format!("sled://{}", a.display());
    let (ok, out, err) = lakecat(&[
        "store", "copy", "--from", &a_url, "--to", &pg, "--output", "json",
    ]);
    assert!(ok, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["partitions"].as_u64().unwrap(),
        partitions,
        "{report}"
    );
    assert!(partitions > 2500);
    assert_eq!(report["table_versions"], 3);
    assert_eq!(report["partition_indexes"], 1);
    assert_eq!(report["column_statistics"], 2);
    assert_eq!(report["functions"], 1);
    assert_eq!(report["records"], 2);
    // Into a store that is not empty: refused, nothing written.
    let (ok, _, err) = lakecat(&["store", "copy", "--from", &a_url, "--to", &pg]);
    assert!(!ok && err.contains("not empty"), "{err}");
    let (ok, out, err) = lakecat(&["store", "copy", "--from", &pg, "--to", b.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("copied 2 database(s)"), "{out}");
    let on_pg = lakecat::services::copy::snapshot(&PgStore::open(&pg, 100).unwrap()).unwrap();
    let back = lakecat::services::copy::snapshot(&SledStore::open(&b, 100).unwrap()).unwrap();
    assert!(on_pg == before, "PostgreSQL holds a different catalog");
    assert!(back == before, "the round trip changed the catalog");
    // The copied index serves filters on the copy.
    let s = PgStore::open(&pg, 100).unwrap();
    let id = TableIdent::parse("copyme", "t").unwrap();
    let f = lakecat_catalog_api::filter::FilterExpr::parse("hour = 7")
        .unwrap()
        .unwrap();
    let n0 = s.partitions_examined();
    let p = s
        .list_partitions(&id, Some(&f), &PageRequest::first(10))
        .unwrap();
    assert_eq!(p.items.len(), 1);
    assert!(s.partitions_examined() - n0 <= 2, "the index was not used");
}

/// A copy killed half-way leaves a store no command uses; copying again empties
/// it and ends with the whole catalog.
#[test]
fn an_interrupted_store_copy_is_refused_until_copied_again() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let before = {
        let s = SledStore::open(&src, 100).unwrap();
        fill(&s);
        // Enough partitions that the copy is still running when it is killed.
        let id = TableIdent::parse("copyme", "t").unwrap();
        let t = s.get_table(&id).unwrap();
        let width = t.partition_keys.len();
        for chunk in 0..60 {
            let parts = (0..1000)
                .map(|i| {
                    let mut v = vec![format!("bulk-{chunk:03}-{i:04}")];
                    v.resize(width, "0".into());
                    Partition::new(v)
                })
                .collect();
            s.create_partitions(&id, parts, false).unwrap();
        }
        lakecat::services::copy::snapshot(&s).unwrap()
    };
    let pg = testing::fresh_database("interrupted");
    let src_url = format!("sled://{}", src.display());
    let mut copying = Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args(["store", "copy", "--from", &src_url, "--to", &pg])
        .env_remove("LAKECAT_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut admin = postgres::Client::connect(&pg, postgres::NoTls).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        // Killed once partitions are arriving: the copy is half-way.
        let n: i64 = admin
            .query_one("SELECT count(*) FROM lc_partitions", &[])
            .map(|r| r.get(0))
            .unwrap_or(0);
        if n > 0 {
            break;
        }
        assert!(
            copying.try_wait().unwrap().is_none(),
            "the copy ended before it was killed"
        );
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    copying.kill().unwrap();
    copying.wait().unwrap();
    for args in [
        vec![
            "serve",
            "--store",
            pg.as_str(),
            "--http-addr",
            "127.0.0.1:0",
            "--thrift-addr",
            "127.0.0.1:0",
        ],
        vec!["sql", "--store", pg.as_str(), "-e", "SHOW DATABASES"],
    ] {
        let (ok, out, err) = lakecat(&args);
        assert!(
            !ok && err.contains("interrupted `lakecat store copy`"),
            "{args:?}: {out}{err}"
        );
    }
    // Nor is it copied from.
    let (ok, _, err) = lakecat(&[
        "store",
        "copy",
        "--from",
        &pg,
        "--to",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("interrupted"), "{err}");
    let (ok, out, err) = lakecat(&["store", "copy", "--from", &src_url, "--to", &pg]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("interrupted copy had left was removed first"),
        "{out}"
    );
    let after = lakecat::services::copy::snapshot(&PgStore::open(&pg, 100).unwrap()).unwrap();
    assert!(
        after == before,
        "the copy made again differs from the source"
    );
    let (ok, out, err) = lakecat(&["sql", "--store", &pg, "-e", "SHOW DATABASES"]);
    assert!(ok && out.contains("copyme"), "{out}{err}");
}

#[test]
fn migrate_applies_each_migration_once_and_refuses_a_newer_schema() {
    let pg = testing::fresh_database("migrate");
    let (ok, out, err) = lakecat(&["migrate", "--store", &pg]);
    assert!(
        ok && out.contains("applied migration 1 (catalog)") && out.contains("migration 2 (events)"),
        "{out}{err}"
    );
    let (ok, out, _) = lakecat(&["migrate", "--store", &pg]);
    assert!(ok && out.contains("nothing to do"), "{out}");
    let mut c = postgres::Client::connect(&pg, postgres::NoTls).unwrap();
    c.batch_execute(
        "INSERT INTO lakecat_schema_migrations (version, name) VALUES (99, 'from the future')",
    )
    .unwrap();
    for args in [
        vec!["migrate", "--store", &pg],
        vec![
            "serve",
            "--store",
            &pg,
            "--http-addr",
            "127.0.0.1:0",
            "--thrift-addr",
            "off",
        ],
    ] {
        let (ok, _, err) = lakecat(&args);
        assert!(
            !ok && err.contains(&format!(
                "schema version 99, newer than the version {}",
                lakecat_store_postgres::SCHEMA_VERSION
            )),
            "{args:?}: {err}"
        );
    }
    // The password never shows.
    let with_password = pg.replacen("lakecat@", "lakecat:hunter2@", 1);
    let (_, _, err) = lakecat(&["migrate", "--store", &with_password]);
    assert!(!err.contains("hunter2"), "{err}");
}

fn glue(base: &str, target: &str, body: Value) -> (u16, Value) {
    let resp = common::agent()
        .post(&format!("{base}/"))
        .header("x-amz-target", &format!("AWSGlue.{target}"))
        .header("content-type", "application/x-amz-json-1.1")
        .send(body.to_string());
    match resp {
        Ok(mut r) => {
            let status = r.status().as_u16();
            let text = r.body_mut().read_to_string().unwrap_or_default();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        }
        Err(e) => (0, json!({ "transport": e.to_string() })),
    }
}

fn table(name: &str) -> Value {
    json!({
        "name": name, "table_type": "EXTERNAL_TABLE",
        "partition_keys": [{"name": "batch", "type": "int"}, {"name": "item", "type": "int"}],
        "storage_descriptor": {"columns": [{"name": "x", "type": "int"}], "location": format!("s3://b/{name}/")}
    })
}

/// A server on a PostgreSQL that stops and starts again: requests meanwhile
/// fail clearly (503, Glue's InternalServiceException), the server keeps
/// running, and it serves again once the database is back, without a restart.
#[test]
fn a_database_restart_is_survived_without_restarting_lakecat() {
    let cluster = tempfile::tempdir().unwrap();
    let script = format!("{}/scripts/postgres.sh", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .args([&script, "start", &cluster.path().to_string_lossy()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    struct Stop(String, String);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = Command::new("bash")
                .args([&self.0, "stop", &self.1])
                .status();
        }
    }
    let _stop = Stop(
        script.clone(),
        cluster.path().to_string_lossy().into_owned(),
    );
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let data = tempfile::tempdir().unwrap();
    let server = common::start_with_store(
        &[
            "--store",
            &format!("{url}?pool_timeout_secs=2"),
            "--warehouse-dir",
            &data.path().to_string_lossy(),
        ],
        &[],
    );
    let b = &server.base;
    assert_eq!(
        call(
            "POST",
            &format!("{b}/v1/databases"),
            Some(json!({"name": "d"}))
        )
        .0,
        201
    );
    let (st, v) = call(
        "POST",
        &format!("{b}/v1/databases/d/tables"),
        Some(table("g")),
    );
    assert_eq!(st, 201, "{v}");
    // GetTable runs on connections of its own (see stores/postgres/src/reads.rs):
    // opened before the restart, so the restart cuts them.
    assert_eq!(
        call("GET", &format!("{b}/v1/databases/d/tables/g"), None).0,
        200
    );
    let pg_ctl = |cmd: &str| {
        let st = Command::new("bash")
            .args([&script, cmd, &cluster.path().to_string_lossy()])
            .status()
            .unwrap();
        assert!(st.success(), "postgres.sh {cmd}");
    };
    pg_ctl("stop");
    let (s, v) = call("GET", &format!("{b}/v1/databases/d"), None);
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (503, Some("unavailable")),
        "{v}"
    );
    let (s, v) = call(
        "POST",
        &format!("{b}/v1/databases"),
        Some(json!({"name": "e"})),
    );
    assert_eq!(s, 503, "{v}");
    let (_, v) = glue(b, "GetDatabase", json!({"Name": "d"}));
    assert_eq!(v["__type"], "InternalServiceException", "{v}");
    let (s, v) = call("GET", &format!("{b}/v1/databases/d/tables/g"), None);
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (503, Some("unavailable")),
        "{v}"
    );
    let (_, v) = glue(b, "GetTable", json!({"DatabaseName": "d", "Name": "g"}));
    assert_eq!(v["__type"], "InternalServiceException", "{v}");
    // Health says so too (a load balancer takes the replica out meanwhile),
    // and the process keeps running.
    let (s, v) = call("GET", &format!("{b}/health"), None);
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (503, Some("unavailable")),
        "{v}"
    );
    let mut server = server;
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server exited"
    );
    let b = &server.base.clone();
    pg_ctl("resume");
    let (s, v) = call("GET", &format!("{b}/v1/databases/d"), None);
    assert_eq!(s, 200, "{v}");
    let (s, v) = call("GET", &format!("{b}/v1/databases/d/tables/g"), None);
    assert_eq!(s, 200, "{v}");
    let (_, v) = glue(b, "GetTable", json!({"DatabaseName": "d", "Name": "g"}));
    assert_eq!(v["Table"]["Name"], "g", "{v}");
    let (s, v) = call(
        "POST",
        &format!("{b}/v1/databases"),
        Some(json!({"name": "e"})),
    );
    assert_eq!(s, 201, "{v}");
    // What failed while the database was down left nothing behind.
    let (_, v) = call("GET", &format!("{b}/v1/databases"), None);
    let names: Vec<&str> = v["databases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert_eq!(names, ["d", "e"], "{v}");

    // Under load: two replicas take batches of partitions while the database
    // restarts. Batches fail meanwhile; every acknowledged one is whole, none
    // is half there, and both replicas serve afterwards without a restart.
    let second = common::start_with_store(
        &[
            "--store",
            &format!("{url}?pool_timeout_secs=2"),
            "--warehouse-dir",
            &data.path().to_string_lossy(),
        ],
        &[],
    );
    assert_eq!(
        call(
            "POST",
            &format!("{b}/v1/databases/d/tables"),
            Some(table("t"))
        )
        .0,
        201
    );
    let bases = [b.clone(), second.base.clone()];
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (acked, failed) = std::thread::scope(|sc| {
        let writers: Vec<_> = bases
            .iter()
            .enumerate()
            .map(|(w, base)| {
                let stop = &stop;
                sc.spawn(move || {
                    let (mut acked, mut failed) = (Vec::new(), 0);
                    let mut n = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let batch = w * 1_000_000 + n;
                        n += 1;
                        let parts: Vec<Value> = (0..50)
                            .map(|i| json!({"values": [batch.to_string(), i.to_string()]}))
                            .collect();
                        let (s, v) = call(
                            "POST",
                            &format!("{base}/v1/databases/d/tables/t/partitions"),
                            Some(json!({ "partitions": parts })),
                        );
                        match s {
                            200 => {
                                assert_eq!(v["errors"].as_array().map(Vec::len), Some(0), "{v}");
                                acked.push(batch);
                            }
                            503 | 500 => failed += 1,
                            other => panic!("unexpected answer {other}: {v}"),
                        }
                    }
                    (acked, failed)
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(700));
        pg_ctl("stop");
        std::thread::sleep(std::time::Duration::from_millis(500));
        pg_ctl("resume");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        writers.into_iter().fold((Vec::new(), 0), |(mut a, f), h| {
            let (x, y) = h.join().unwrap();
            a.extend(x);
            (a, f + y)
        })
    });
    assert!(failed > 0, "no batch failed: the database did not go away");
    let acked: Vec<String> = acked.iter().map(usize::to_string).collect();
    assert_batches_whole(&url, 50, &acked);
    let after: Vec<u16> = bases
        .iter()
        .map(|base| call("GET", &format!("{base}/v1/databases/d/tables/t"), None).0)
        .collect();
    assert_eq!(after, [200, 200], "both replicas serve again");
    for (w, base) in bases.iter().enumerate() {
        let parts: Vec<Value> = (0..50)
            .map(|i| json!({"values": [format!("after-{w}"), i.to_string()]}))
            .collect();
        let (s, v) = call(
            "POST",
            &format!("{base}/v1/databases/d/tables/t/partitions"),
            Some(json!({ "partitions": parts })),
        );
        assert_eq!(s, 200, "replica {w} takes writes again: {v}");
    }
}

/// Several replicas on one database: a write through one is read through the
/// others at once, one version wins a race, and a replica killed in the middle
/// of batch writes leaves every acknowledged batch whole and no other.
#[test]
fn replicas_share_one_database() {
    let url = testing::fresh_database("replicas");
    let data = tempfile::tempdir().unwrap();
    let args = [
        "--store",
        url.as_str(),
        "--warehouse-dir",
        &data.path().to_string_lossy(),
    ];
    let servers: Vec<common::Server> = (0..3)
        .map(|_| common::start_with_store(&args, &[]))
        .collect();
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let [a, b, c] = [&bases[0], &bases[1], &bases[2]];
    assert_eq!(
        call(
            "POST",
            &format!("{a}/v1/databases"),
            Some(json!({"name": "d"}))
        )
        .0,
        201
    );
    assert_eq!(call("GET", &format!("{b}/v1/databases/d"), None).0, 200);
    assert_eq!(
        call(
            "POST",
            &format!("{b}/v1/databases/d/tables"),
            Some(table("t"))
        )
        .0,
        201
    );
    let (s, t) = call("GET", &format!("{c}/v1/databases/d/tables/t"), None);
    assert_eq!(s, 200);

    // The same version_id through two replicas: exactly one update wins.
    let answers: Vec<u16> = std::thread::scope(|sc| {
        let hs: Vec<_> = [a, b]
            .into_iter()
            .enumerate()
            .map(|(i, base)| {
                let mut edit = t.clone();
                edit["description"] = json!(format!("by {i}"));
                sc.spawn(move || {
                    call(
                        "PUT",
                        &format!("{base}/v1/databases/d/tables/t"),
                        Some(edit),
                    )
                    .0
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = answers.clone();
    sorted.sort();
    assert_eq!(sorted, [200, 409], "{answers:?}");
    let (_, now) = call("GET", &format!("{c}/v1/databases/d/tables/t"), None);
    assert_eq!(now["version_id"], 2);

    // Batches of 200 partitions through replica c until it is killed.
    let acknowledged = std::sync::Mutex::new(Vec::new());
    let mut servers = servers;
    let victim = servers.pop().unwrap();
    let victim_base = victim.base.clone();
    std::thread::scope(|sc| {
        let h = sc.spawn(|| {
            for batch in 0.. {
                let parts: Vec<Value> = (0..200)
                    .map(|i| json!({"values": [batch.to_string(), i.to_string()]}))
                    .collect();
                let (s, _) = call(
                    "POST",
                    &format!("{victim_base}/v1/databases/d/tables/t/partitions"),
                    Some(json!({ "partitions": parts })),
                );
                if s != 200 {
                    return;
                }
                acknowledged.lock().unwrap().push(batch);
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let mut v = victim;
        let _ = v.child.kill(); // SIGKILL
        h.join().unwrap();
    });
    let acked = acknowledged.into_inner().unwrap();
    assert!(
        acked.len() >= 2,
        "too few batches before the kill: {acked:?}"
    );
    let acked: Vec<String> = acked.iter().map(usize::to_string).collect();
    let batches = assert_batches_whole(&url, 200, &acked);
    assert!(batches <= acked.len() + 1);
    // The survivors keep serving, and see the same count.
    for base in [a, b] {
        let (s, v) = glue(
            base,
            "GetPartitions",
            json!({"DatabaseName": "d", "TableName": "t", "MaxResults": 1}),
        );
        assert_eq!(s, 200, "{v}");
    }
}

/// Checks table `d.t` of the database at `url` after batch writes of `size`
/// partitions each (the batch is the first value): every batch is whole, and
/// every acknowledged one is there. Returns how many batches are there.
fn assert_batches_whole(url: &str, size: usize, acked: &[String]) -> usize {
    let store = PgStore::open(url, 10).unwrap();
    let id = TableIdent::parse("d", "t").unwrap();
    let mut per_batch = std::collections::BTreeMap::<String, usize>::new();
    for p in all_partitions(&store, &id).unwrap() {
        *per_batch.entry(p.values[0].clone()).or_default() += 1;
    }
    for (batch, n) in &per_batch {
        assert_eq!(*n, size, "batch {batch} is half-present");
    }
    for a in acked {
        assert!(
            per_batch.contains_key(a),
            "acknowledged batch {a} is missing"
        );
    }
    per_batch.len()
}

/// Two PyIceberg HiveCatalog commits through two different replicas serialise:
/// the Hive Metastore lock table lives in the shared database.
#[test]
fn pyiceberg_commits_through_two_replicas_serialise() {
    let url = testing::fresh_database("locks");
    let scratch = tempfile::tempdir().unwrap();
    let s = scratch.path().to_string_lossy().into_owned();
    let args = [
        "--store",
        url.as_str(),
        "--warehouse-dir",
        &s,
        "--allowed-locations",
        &s,
    ];
    let a = common::start_with_store(&args, &[]);
    let b = common::start_with_store(&args, &[]);
    common::python_ok("hms/pyiceberg_session.py", &[&a.thrift, &s, &b.thrift]);
}

fn crawler_state(base: &str, name: &str) -> Value {
    call("GET", &format!("{base}/v1/crawlers/{name}"), None).1
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> Option<Value>) -> Value {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            std::time::Instant::now() < end,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Managed crawlers across replicas: a stop asked of one replica ends the run
/// on another; a replica SIGKILLed mid-run loses its lease, the run is recorded
/// FAILED and the crawler runs again on another replica; and each slot of a
/// schedule fires once although every replica sees it due.
#[test]
fn crawler_runs_hold_leases_and_schedules_fire_once_across_replicas() {
    let lake = tempfile::tempdir().unwrap();
    // Big enough that a stop asked of the other replica arrives before the crawl
    // ends, even on a fast machine (4,000 files once finished first).
    for d in 0..60 {
        for i in 0..200 {
            let p = lake.path().join(format!("big/dt={d:02}/part-{i}.json"));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "{\"id\": 1, \"name\": \"a\"}\n".repeat(200)).unwrap();
        }
    }
    let small = lake.path().join("small/dt=01/part-0.json");
    std::fs::create_dir_all(small.parent().unwrap()).unwrap();
    std::fs::write(&small, "{\"id\": 1}\n").unwrap();
    let url = testing::fresh_database("leases");
    let data = tempfile::tempdir().unwrap();
    let w = data.path().to_string_lossy().into_owned();
    let args = [
        "--store",
        url.as_str(),
        "--warehouse-dir",
        &w,
        "--clock-speed",
        "300",
    ];
    let env = [("LAKECAT_CRAWLER_LEASE_SECS", "2")];
    let a = common::start_with_store(&args, &env);
    let b = common::start_with_store(&args, &env);
    let (ab, bb) = (a.base.clone(), b.base.clone());
    let big = json!({"name": "big", "database_name": "lake",
        "targets": {"s3_targets": [{"path": lake.path().join("big").to_string_lossy()}]}});
    assert_eq!(call("POST", &format!("{ab}/v1/crawlers"), Some(big)).0, 201);

    // Started on A, stopped through B: the run on A ends CANCELLED.
    assert_eq!(
        call("POST", &format!("{ab}/v1/crawlers/big/start"), None).0,
        202
    );
    assert_eq!(crawler_state(&bb, "big")["state"], "RUNNING");
    assert_eq!(
        call("POST", &format!("{bb}/v1/crawlers/big/stop"), None).0,
        202
    );
    let c = wait_for("the stop to reach replica A", 15, || {
        let c = crawler_state(&bb, "big");
        (c["state"] == "READY").then_some(c)
    });
    assert_eq!(c["last_crawl"]["status"], "CANCELLED", "{c}");

    // Started on A, A killed: B sees it RUNNING until the lease expires, then FAILED.
    assert_eq!(
        call("POST", &format!("{ab}/v1/crawlers/big/start"), None).0,
        202
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(crawler_state(&bb, "big")["state"], "RUNNING");
    drop(a); // SIGKILL
    let c = wait_for("the dead replica's run to be marked FAILED", 20, || {
        let c = crawler_state(&bb, "big");
        (c["state"] == "READY").then_some(c)
    });
    assert_eq!(c["last_crawl"]["status"], "FAILED", "{c}");
    let (_, crawls) = call("GET", &format!("{bb}/v1/crawlers/big/crawls"), None);
    assert_eq!(crawls["crawls"][0]["state"], "FAILED", "{crawls}");
    // And it runs on B.
    assert_eq!(
        call("POST", &format!("{bb}/v1/crawlers/big/start"), None).0,
        202
    );
    let c = wait_for("the run on B", 60, || {
        let c = crawler_state(&bb, "big");
        (c["state"] == "READY").then_some(c)
    });
    assert_eq!(c["last_crawl"]["status"], "SUCCEEDED", "{c}");

    // A five-minute schedule at 300× fires about once a second; with three
    // replicas each slot still fires once.
    let a2 = common::start_with_store(&args, &env);
    let c2 = common::start_with_store(&args, &env);
    let small = json!({"name": "small", "database_name": "lake",
        "targets": {"s3_targets": [{"path": lake.path().join("small").to_string_lossy()}]}});
    assert_eq!(
        call("POST", &format!("{bb}/v1/crawlers"), Some(small)).0,
        201
    );
    let (s, v) = call(
        "PUT",
        &format!("{bb}/v1/crawlers/small/schedule"),
        Some(json!({"schedule_expression": "cron(0/5 * * * ? *)"})),
    );
    assert!(s < 300, "{v}");
    std::thread::sleep(std::time::Duration::from_secs(6));
    let (s, v) = call(
        "PUT",
        &format!("{bb}/v1/crawlers/small/schedule"),
        Some(json!({"state": "NOT_SCHEDULED"})),
    );
    assert!(s < 300, "{v}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (_, crawls) = call(
        "GET",
        &format!("{}/v1/crawlers/small/crawls", a2.base),
        None,
    );
    let n = crawls["crawls"].as_array().unwrap().len();
    // Six seconds hold about six slots; replicas that each fired every slot
    // would have made about eighteen runs.
    assert!((3..=9).contains(&n), "{n} runs: {crawls}");
    drop(c2);
}

/// Runs crawler `name` through `base` and waits for its run to end; the run.
fn run_crawler(base: &str, name: &str) -> Value {
    assert_eq!(
        call("POST", &format!("{base}/v1/crawlers/{name}/start"), None).0,
        202
    );
    wait_for("the crawl to end", 60, || {
        (crawler_state(base, name)["state"] == "READY").then_some(())?;
        let (_, crawls) = call("GET", &format!("{base}/v1/crawlers/{name}/crawls"), None);
        Some(crawls["crawls"][0].clone())
    })
}

/// S3 events posted to one replica are consumed by an event-mode crawl run on
/// another (issue 13: the events are kept in the shared store, not in a replica).
#[test]
fn s3_events_reach_a_crawl_on_another_replica() {
    let m = common::moto::moto();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .put(&format!("{}/lake", m.endpoint))
        .send_empty()
        .unwrap();
    let put = |key: &str| {
        agent
            .put(&format!("{}/lake/{key}", m.endpoint))
            .send("{\"id\": 1, \"name\": \"a\"}\n")
            .unwrap();
    };
    put("sales/dt=2024-01-01/part-0.json");
    put("sales/dt=2024-01-02/part-0.json");
    let url = testing::fresh_database("events");
    let data = tempfile::tempdir().unwrap();
    let w = data.path().to_string_lossy().into_owned();
    let args = ["--store", url.as_str(), "--warehouse-dir", &w];
    let mut env = common::moto::s3_env(&m.endpoint).to_vec();
    env.push(("LAKECAT_CRAWLER_LEASE_SECS", "2"));
    let a = common::start_with_store(&args, &env);
    let b = common::start_with_store(&args, &env);
    let crawler = json!({"name": "ev", "database_name": "lake",
        "targets": {"s3_targets": [{"path": "s3://lake/sales/"}]},
        "recrawl_policy": {"recrawl_behavior": "CRAWL_EVENT_MODE"}});
    assert_eq!(
        call("POST", &format!("{}/v1/crawlers", a.base), Some(crawler)).0,
        201
    );
    assert_eq!(run_crawler(&a.base, "ev")["files_read"], 2);

    // A new object; its event goes to replica B; the run on replica A reads it.
    put("sales/dt=2024-01-03/part-0.json");
    let event = json!({"Records": [{"eventName": "ObjectCreated:Put", "eventTime": "2026-12-03T12:00:00.000Z",
        "s3": {"bucket": {"name": "lake"}, "object": {"key": "sales/dt=2024-01-03/part-0.json", "size": 22}}}]});
    let (s, v) = call("POST", &format!("{}/v1/events/s3", b.base), Some(event));
    assert_eq!((s, &v["events"]), (200, &json!(1)), "{v}");
    let run = run_crawler(&a.base, "ev");
    assert_eq!(run["files_read"], 1, "{run}");
    let (_, parts) = call(
        "GET",
        &format!("{}/v1/databases/lake/tables/sales/partitions", b.base),
        None,
    );
    assert_eq!(parts["partitions"].as_array().unwrap().len(), 3, "{parts}");
    // Consumed once, for both replicas: a run on B has nothing to do.
    assert_eq!(run_crawler(&b.base, "ev")["files_read"], 0);
}

/// TLS to the database (issue 13): with `sslrootcert` the connection is
/// encrypted and the server verified, name included; a certificate from
/// anyone else is refused, and so is `sslmode=require` with nothing to verify.
/// scripts/postgres.sh serves TLS with a self-signed certificate.
#[test]
fn tls_to_the_database_verifies_the_server() {
    let pg = testing::fresh_database("tls");
    let mut admin = postgres::Client::connect(&pg, postgres::NoTls).unwrap();
    let on: String = admin.query_one("SHOW ssl", &[]).unwrap().get(0);
    assert_eq!(
        on, "on",
        "the test cluster serves TLS when openssl is installed (scripts/test.sh installs it)"
    );
    let cert: String = admin.query_one("SHOW ssl_cert_file", &[]).unwrap().get(0);
    // The authority that signed it sits beside it (scripts/postgres.sh).
    let cert = cert.replace("server.crt", "ca.crt");
    let db: String = admin
        .query_one("SELECT current_database()", &[])
        .unwrap()
        .get(0);

    let url = format!("{pg}?sslmode=verify-full&sslrootcert={cert}");
    let s = PgStore::open(&url, 10).unwrap();
    s.create_database(Database::new(DatabaseName::new("over_tls").unwrap()))
        .unwrap();
    let encrypted: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)
             WHERE ssl AND datname = $1 AND application_name = 'lakecat'",
            &[&db],
        )
        .unwrap()
        .get(0);
    assert!(encrypted > 0, "lakecat's connections are not encrypted");
    let plain: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)
             WHERE NOT ssl AND datname = $1 AND application_name = 'lakecat'",
            &[&db],
        )
        .unwrap()
        .get(0);
    assert_eq!(plain, 0);
    drop(s);
    // `lakecat migrate` goes the same way.
    let (ok, out, err) = lakecat(&["migrate", "--store", &url]);
    assert!(ok, "{out}{err}");

    // Nothing to verify against: refused, not encrypted blindly.
    let e = PgStore::open(&format!("{pg}?sslmode=require"), 10)
        .err()
        .unwrap();
    assert!(e.message.contains("needs sslrootcert"), "{e}");
    // Someone else's certificate: refused.
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.crt");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(dir.path().join("other.key"))
        .arg("-out")
        .arg(&other)
        .output()
        .unwrap();
    assert!(made.status.success());
    let e = PgStore::open(
        &format!("{pg}?sslmode=verify-full&sslrootcert={}", other.display()),
        10,
    )
    .err()
    .unwrap();
    assert!(e.message.to_lowercase().contains("certificate"), "{e}");
    let e = PgStore::open(
        &format!("{pg}?sslmode=require&sslrootcert=/nonexistent.pem"),
        10,
    )
    .err()
    .unwrap();
    assert!(e.message.contains("/nonexistent.pem"), "{e}");

    // Client certificates: the role lakecat_cert signs in only with one
    // (scripts/postgres.sh), signed by the same authority.
    let client = cert.replace("ca.crt", "client.crt");
    let key = cert.replace("ca.crt", "client.key");
    let as_cert = pg.replacen("lakecat@", "lakecat_cert@", 1);
    assert_ne!(as_cert, pg, "{pg}");
    let tls = format!("sslmode=verify-full&sslrootcert={cert}");
    let s = PgStore::open(
        &format!("{as_cert}?{tls}&sslcert={client}&sslkey={key}"),
        10,
    )
    .unwrap();
    s.create_database(Database::new(DatabaseName::new("by_cert").unwrap()))
        .unwrap();
    let who: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)
             WHERE ssl AND client_dn = '/CN=lakecat_cert' AND usename = 'lakecat_cert'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(who > 0, "no connection authenticated by its certificate");
    drop(s);
    // Without the certificate the server refuses the role.
    let e = PgStore::open(&format!("{as_cert}?{tls}"), 10)
        .err()
        .unwrap();
    assert!(e.message.contains("certificate"), "{e}");
    // Half a client identity, or one sent in clear, is refused before connecting.
    let e = PgStore::open(&format!("{as_cert}?{tls}&sslcert={client}"), 10)
        .err()
        .unwrap();
    assert!(e.message.contains("go together"), "{e}");
    let e = PgStore::open(
        &format!("{as_cert}?sslmode=disable&sslcert={client}&sslkey={key}"),
        10,
    )
    .err()
    .unwrap();
    assert!(e.message.contains("over TLS only"), "{e}");
    // A key that is not the certificate's.
    let e = PgStore::open(
        &format!(
            "{as_cert}?{tls}&sslcert={client}&sslkey={}",
            dir.path().join("other.key").display()
        ),
        10,
    )
    .err()
    .unwrap();
    assert!(e.message.contains("sslkey"), "{e}");
}
