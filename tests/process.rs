//! The real binary: restart persistence, graceful shutdown, the data-directory
//! lock, and crash consistency under SIGKILL.

mod common;

use lakecat_catalog_api::events::Change;
use lakecat_catalog_api::store::PageRequest;
use lakecat_catalog_api::TableIdent;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn setup_table(agent: &ureq::Agent, base: &str) {
    let r = agent
        .post(&format!("{base}/v1/databases"))
        .send_json(json!({"name": "crash"}))
        .unwrap();
    assert_eq!(r.status(), 201);
    let t = json!({"name": "t", "partition_keys": [{"name": "batch", "type": "int"}, {"name": "item", "type": "int"}],
                   "storage_descriptor": {"columns": [{"name": "x", "type": "string"}], "location": "s3://b/t/"}});
    let r = agent
        .post(&format!("{base}/v1/databases/crash/tables"))
        .send_json(t)
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[test]
fn data_survives_a_restart_and_sigterm_is_graceful() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(dir.path(), &["--sample-data"]);
    let agent = common::agent();
    setup_table(&agent, &s.base);
    let status = s.sigterm();
    assert!(status.success(), "graceful exit, got {status:?}");

    let s = common::start(dir.path(), &["--sample-data"]);
    let mut r = agent
        .get(&format!("{}/v1/databases/crash/tables/t", s.base))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.body_mut().read_json().unwrap();
    assert_eq!(t["partition_keys"][1]["name"], "item");
    // The sample catalog was loaded once, and not duplicated by the second start.
    let mut r = agent
        .get(&format!(
            "{}/v1/databases/sample/tables/web_events/partitions",
            s.base
        ))
        .call()
        .unwrap();
    let v: Value = r.body_mut().read_json().unwrap();
    assert_eq!(v["partitions"].as_array().unwrap().len(), 5);
}

#[test]
fn a_second_server_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // The embedded store's own rule, whichever backend the run tests.
    let _s = common::start_with_store(&["--data-dir", &dir.path().to_string_lossy()], &[]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args([
            "serve",
            "--http-addr",
            "127.0.0.1:0",
            "--thrift-addr",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use by another lakecat process"), "{err}");
}

/// Writers send batches of 100 partitions while the server is SIGKILLed at a
/// varying moment. After reopening, every acknowledged batch is whole, and no
/// batch is partly there.
#[test]
fn sigkill_during_batch_writes_loses_no_acknowledged_batch_and_tears_none() {
    const PER_BATCH: usize = 100;
    for round in 0..3u64 {
        let dir = tempfile::tempdir().unwrap();
        let s = common::start(dir.path(), &[]);
        let agent = common::agent();
        setup_table(&agent, &s.base);
        let acked = Arc::new(Mutex::new(Vec::<usize>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut writers = Vec::new();
        for w in 0..4usize {
            let (acked, stop, base) = (acked.clone(), stop.clone(), s.base.clone());
            writers.push(std::thread::spawn(move || {
                let agent = common::agent();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let batch = w * 1_000_000 + n;
                    n += 1;
                    let parts: Vec<Value> = (0..PER_BATCH)
                        .map(|i| json!({"values": [batch.to_string(), i.to_string()],
                                        "storage_descriptor": {"location": format!("s3://b/t/batch={batch}/item={i}/")}}))
                        .collect();
                    let url = format!("{base}/v1/databases/crash/tables/t/partitions");
                    match agent.post(&url).send_json(json!({ "partitions": parts })) {
                        Ok(mut r) if r.status() == 200 => {
                            let v: Value = r.body_mut().read_json().unwrap();
                            assert_eq!(v["errors"].as_array().unwrap().len(), 0);
                            acked.lock().unwrap().push(batch);
                        }
                        _ => return, // the server is gone
                    }
                }
            }));
        }
        std::thread::sleep(Duration::from_millis(400 + 300 * round));
        let mut s = s;
        s.child.kill().unwrap(); // SIGKILL
        s.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        assert!(
            acked.len() > 5,
            "round {round}: only {} batches were acknowledged before the kill",
            acked.len()
        );

        // After SIGKILL the embedded store opens cleanly; on PostgreSQL this is
        // what any other replica reads.
        let store = common::test_store(dir.path(), 10);
        let id = TableIdent::parse("crash", "t").unwrap();
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        let mut page = PageRequest::first(1000);
        loop {
            let p = store.list_partitions(&id, None, &page).unwrap();
            for part in &p.items {
                *counts.entry(part.values[0].parse().unwrap()).or_default() += 1;
            }
            match p.next_token {
                Some(t) => page.token = Some(t),
                None => break,
            }
        }
        for b in &acked {
            assert_eq!(
                counts.get(b),
                Some(&PER_BATCH),
                "round {round}: acknowledged batch {b} is not whole"
            );
        }
        for (b, n) in &counts {
            assert_eq!(
                *n, PER_BATCH,
                "round {round}: batch {b} is torn ({n} of {PER_BATCH})"
            );
        }
        assert_eq!(
            store.stats().unwrap().partitions as usize,
            counts.values().sum::<usize>(),
            "round {round}: the count matches"
        );
        // The change log holds exactly the batches that committed, one event
        // each, with consecutive ids (issue 18).
        let mut logged = BTreeMap::new();
        let mut after = 0;
        loop {
            let events = store.events_after(after, 1000).unwrap();
            let Some(last) = events.last() else { break };
            after = last.id;
            for e in events {
                if let Change::AddPartitions { partitions, .. } = e.change {
                    let batch: usize = partitions[0].values[0].parse().unwrap();
                    assert_eq!(
                        partitions.len(),
                        PER_BATCH,
                        "round {round}: event {} is torn",
                        e.id
                    );
                    assert!(
                        logged.insert(batch, e.id).is_none(),
                        "round {round}: batch {batch} logged twice"
                    );
                }
            }
        }
        assert_eq!(after, store.event_bounds().unwrap().last, "round {round}");
        assert_eq!(
            logged.keys().collect::<Vec<_>>(),
            counts.keys().collect::<Vec<_>>(),
            "round {round}: the log and the partitions disagree"
        );
        let all = store.events_after(0, 1_000_000).unwrap();
        assert!(
            all.iter().enumerate().all(|(i, e)| e.id == i as u64 + 1),
            "round {round}: the log's ids have a gap"
        );
    }
}

/// Issue 16, defect 2: filters of 100,000 flat terms (and absurd nesting) used to
/// overflow a worker's stack and kill the process; every front now answers them.
#[test]
fn long_filters_are_answered_and_the_server_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(dir.path(), &[]);
    let agent = common::agent();
    setup_table(&agent, &s.base);
    let r = agent
        .post(&format!(
            "{}/v1/databases/crash/tables/t/partitions",
            s.base
        ))
        .send_json(json!({"partitions": [{"values": ["1", "2"]}, {"values": ["3", "4"]}]}))
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let terms = |n: usize, op: &str| {
        (0..n)
            .map(|i| format!("item <> {}", i + 10))
            .collect::<Vec<_>>()
            .join(op)
    };
    // Glue's GetPartitions takes the expression in its body: 100,000 terms.
    let glue = |expr: String| {
        let mut r = agent
            .post(&format!("{}/", s.base))
            .header("X-Amz-Target", "AWSGlue.GetPartitions")
            .content_type("application/x-amz-json-1.1")
            .send_json(json!({"DatabaseName": "crash", "TableName": "t", "Expression": expr}))
            .unwrap();
        (
            r.status().as_u16(),
            r.body_mut().read_json::<Value>().unwrap(),
        )
    };
    let (status, v) = glue(terms(100_000, " AND "));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Partitions"].as_array().unwrap().len(), 2, "{v}");
    let (status, v) = glue(terms(100_000, " OR "));
    assert_eq!(
        (status, v["Partitions"].as_array().unwrap().len()),
        (200, 2)
    );
    let (status, v) = glue("NOT ".repeat(100_000) + "item = 2");
    assert_eq!(status, 400, "{v}");
    assert!(
        v["Message"].as_str().unwrap().contains("nests too deeply"),
        "{v}"
    );
    // REST carries it in the query string, whose length HTTP clients cap at 64 KiB:
    // 2,000 terms (about 1,700 used to kill the server).
    let filter: String =
        form_urlencoded::byte_serialize(terms(2_000, " AND ").as_bytes()).collect();
    let mut r = agent
        .get(&format!(
            "{}/v1/databases/crash/tables/t/partitions?filter={filter}",
            s.base
        ))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.body_mut().read_json().unwrap();
    assert_eq!(v["partitions"].as_array().unwrap().len(), 2, "{v}");
    let r = agent.get(&format!("{}/health", s.base)).call().unwrap();
    assert_eq!(r.status(), 200);
    assert!(s.sigterm().success());
}
