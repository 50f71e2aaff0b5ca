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
    let err = common::refused_at_start(&["--data-dir", &dir.path().to_string_lossy()], &[]);
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

/// A local HTTP receiver for webhooks that fails, stalls or accepts as told,
/// and records every request it answered with a success.
mod receiver {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[derive(Clone, Copy, PartialEq, Debug)]
    pub enum Mode {
        Fail,
        Stall,
        Accept,
    }

    #[derive(Debug, Clone)]
    pub struct Delivery {
        pub headers: Vec<(String, String)>,
        pub body: String,
    }

    impl Delivery {
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }
    }

    pub struct Receiver {
        pub url: String,
        pub mode: Arc<Mutex<Mode>>,
        pub accepted: Arc<Mutex<Vec<Delivery>>>,
        pub refused: Arc<Mutex<usize>>,
    }

    pub fn start() -> Receiver {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", l.local_addr().unwrap());
        let mode = Arc::new(Mutex::new(Mode::Fail));
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(0));
        let (m, a, r) = (mode.clone(), accepted.clone(), refused.clone());
        std::thread::spawn(move || {
            for stream in l.incoming() {
                let Ok(mut s) = stream else { continue };
                let (m, a, r) = (m.clone(), a.clone(), r.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(s.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut headers = Vec::new();
                    loop {
                        let mut h = String::new();
                        reader.read_line(&mut h).unwrap();
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        let (k, v) = h.split_once(':').unwrap();
                        headers.push((k.trim().to_lowercase(), v.trim().to_string()));
                    }
                    let len: usize = headers
                        .iter()
                        .find(|(k, _)| k == "content-length")
                        .map(|(_, v)| v.parse().unwrap())
                        .unwrap_or(0);
                    let mut body = vec![0; len];
                    reader.read_exact(&mut body).unwrap();
                    let mode = *m.lock().unwrap();
                    let status = match mode {
                        Mode::Accept => {
                            a.lock().unwrap().push(Delivery {
                                headers,
                                body: String::from_utf8(body).unwrap(),
                            });
                            "200 OK"
                        }
                        Mode::Fail => {
                            *r.lock().unwrap() += 1;
                            "503 Service Unavailable"
                        }
                        Mode::Stall => {
                            *r.lock().unwrap() += 1;
                            std::thread::sleep(Duration::from_secs(3));
                            "200 OK"
                        }
                    };
                    let _ = write!(
                        s,
                        "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                });
            }
        });
        Receiver {
            url,
            mode,
            accepted,
            refused,
        }
    }
}

fn wait_for(what: &str, secs: u64, mut ok: impl FnMut() -> bool) {
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    while !ok() {
        assert!(
            std::time::Instant::now() < end,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Webhooks (issue 18): a receiver that fails, stalls and recovers gets every
/// event in log order, signed; a pattern selects events; an endpoint that never
/// answers fills the dead letters without holding up writes or other
/// subscriptions; a SIGKILL with deliveries pending loses none of them.
#[test]
fn webhooks_deliver_in_order_at_least_once_through_failures_and_a_crash() {
    use hmac::Mac;
    let rx = receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), &[]);
    let base = server.base.clone();
    let call = common::call;
    let (s, v) = call(
        "POST",
        &format!("{base}/v1/webhooks"),
        Some(json!({"name": "all", "url": rx.url, "secret": "s3cret",
                    "retry_base_ms": 50, "max_attempts": 100, "timeout_ms": 500})),
    );
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["secret_set"], true);
    assert!(v.get("secret").is_none(), "{v}");
    let (s, v) = call(
        "POST",
        &format!("{base}/v1/webhooks"),
        Some(
            json!({"name": "batches", "url": format!("{}?only=batches", rx.url), "format": "cloudevents",
                    "retry_base_ms": 50, "max_attempts": 100, "timeout_ms": 500,
                    "pattern": {"source": ["aws.glue"], "detail-type": ["Glue Data Catalog Table State Change"],
                                "detail": {"typeOfChange": [{"prefix": "Batch"}]}}}),
        ),
    );
    assert_eq!(s, 201, "{v}");
    let (s, _) = call(
        "POST",
        &format!("{base}/v1/webhooks"),
        Some(
            json!({"name": "dead", "url": "http://127.0.0.1:9/nowhere", "max_attempts": 2, "retry_base_ms": 10}),
        ),
    );
    assert_eq!(s, 201);
    let (s, v) = call(
        "POST",
        &format!("{base}/v1/webhooks"),
        Some(json!({"name": "bad", "url": "ftp://x", "pattern": {"source": "aws.glue"}})),
    );
    assert_eq!(s, 400, "{v}");

    // Writes while the receiver refuses everything: none waits for it.
    let agent = common::agent();
    let started = std::time::Instant::now();
    setup_table(&agent, &base);
    for b in 0..5 {
        let parts: Vec<Value> = (0..2)
            .map(|i| json!({"values": [b.to_string(), i.to_string()]}))
            .collect();
        let r = agent
            .post(&format!("{base}/v1/databases/crash/tables/t/partitions"))
            .send_json(json!({ "partitions": parts }))
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "writes waited for a failing endpoint: {:?}",
        started.elapsed()
    );
    wait_for("refused attempts", 20, || *rx.refused.lock().unwrap() >= 3);
    *rx.mode.lock().unwrap() = receiver::Mode::Stall;
    std::thread::sleep(Duration::from_millis(1500));
    *rx.mode.lock().unwrap() = receiver::Mode::Accept;
    let (_, log) = call("GET", &format!("{base}/v1/events?limit=1000"), None);
    let ids: Vec<u64> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 7, "{log}");
    let delivered = |sub: &str| -> Vec<receiver::Delivery> {
        rx.accepted
            .lock()
            .unwrap()
            .iter()
            .filter(|d| d.header("x-lakecat-subscription") == Some(sub))
            .cloned()
            .collect()
    };
    // At least once, in log order: the first delivery of each id comes in order.
    let firsts = |sub: &str| -> Vec<u64> {
        let mut seen = Vec::new();
        for d in delivered(sub) {
            let id: u64 = d.header("x-lakecat-event-id").unwrap().parse().unwrap();
            if !seen.contains(&id) {
                seen.push(id);
            }
        }
        seen
    };
    wait_for("every event delivered", 60, || firsts("all") == ids);
    for d in delivered("all") {
        let sig = d.header("x-lakecat-signature").unwrap();
        let (t, v1) = sig.split_once(",v1=").unwrap();
        let t = t.strip_prefix("t=").unwrap();
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
        m.update(format!("{t}.{}", d.body).as_bytes());
        m.verify_slice(&hex::decode(v1).unwrap())
            .expect("the signature matches the body");
        let body: Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(body["source"], "aws.glue");
        assert_eq!(d.header("content-type"), Some("application/json"));
    }
    let first: Value = serde_json::from_str(&delivered("all")[0].body).unwrap();
    assert_eq!(
        first["detail-type"], "Glue Data Catalog Database State Change",
        "{first}"
    );
    assert_eq!(first["detail"]["typeOfChange"], "CreateDatabase");
    // The pattern let through only the partition batches, as CloudEvents.
    wait_for("the batches", 30, || firsts("batches").len() == 5);
    for d in delivered("batches") {
        let body: Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(body["specversion"], "1.0");
        assert_eq!(body["type"], "Glue Data Catalog Table State Change");
        assert_eq!(
            body["data"]["typeOfChange"], "BatchCreatePartition",
            "{body}"
        );
        assert_eq!(
            body["data"]["changedPartitions"].as_array().unwrap().len(),
            2
        );
        assert!(d.header("x-lakecat-signature").is_none());
    }
    // The endpoint that never answers: every event ends as a dead letter.
    wait_for("the dead letters", 60, || {
        let (_, v) = call(
            "GET",
            &format!("{base}/v1/webhooks/dead/dead-letters"),
            None,
        );
        v["dead_letters"]
            .as_array()
            .is_some_and(|d| d.len() == ids.len())
    });
    let (_, v) = call(
        "GET",
        &format!("{base}/v1/webhooks/dead/dead-letters"),
        None,
    );
    assert_eq!(v["dead_letters"][0]["attempts"], 2, "{v}");
    assert_eq!(v["dead_letters"][0]["event_id"], ids[0]);
    let (_, v) = call("GET", &format!("{base}/v1/webhooks/all"), None);
    assert_eq!(v["status"]["cursor"], *ids.last().unwrap(), "{v}");

    // Deliveries pending when the server is SIGKILLed are made after the restart.
    *rx.mode.lock().unwrap() = receiver::Mode::Fail;
    let refused_before = *rx.refused.lock().unwrap();
    let r = agent
        .post(&format!("{base}/v1/databases"))
        .send_json(json!({"name": "after_crash"}))
        .unwrap();
    assert_eq!(r.status(), 201);
    wait_for("an attempt at the new event", 20, || {
        *rx.refused.lock().unwrap() > refused_before
    });
    drop(server); // SIGKILL
    *rx.mode.lock().unwrap() = receiver::Mode::Accept;
    let server = common::start(dir.path(), &[]);
    let want: Vec<u64> = ids
        .iter()
        .copied()
        .chain([ids.last().unwrap() + 1])
        .collect();
    wait_for("the event written before the crash", 60, || {
        firsts("all") == want
    });
    let (s, _) = call("DELETE", &format!("{}/v1/webhooks/dead", server.base), None);
    assert_eq!(s, 204);
    let (s, _) = call("GET", &format!("{}/v1/webhooks/dead", server.base), None);
    assert_eq!(s, 404);
    let (_, v) = call("GET", &format!("{}/v1/webhooks", server.base), None);
    assert_eq!(v["webhooks"].as_array().unwrap().len(), 2, "{v}");
}

/// `lakecat webhook` manages subscriptions in a store, and through a server.
#[test]
fn the_webhook_command_adds_lists_and_removes_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("catalog");
    let data = data.to_string_lossy();
    let lakecat = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lakecat"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = lakecat(&[
        "webhook",
        "add",
        "h1",
        "http://127.0.0.1:1/x",
        "--secret",
        "k",
        "--format",
        "cloudevents",
        "--pattern",
        r#"{"detail-type": ["Glue Crawler State Change"]}"#,
        "--data-dir",
        &data,
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("\"secret_set\": true") && !out.contains("\"k\""),
        "{out}"
    );
    let (ok, _, err) = lakecat(&[
        "webhook",
        "add",
        "h1",
        "http://127.0.0.1:1/y",
        "--data-dir",
        &data,
    ]);
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = lakecat(&[
        "webhook",
        "add",
        "h2",
        "http://x",
        "--pattern",
        "[1]",
        "--data-dir",
        &data,
    ]);
    assert!(!ok && err.contains("JSON object"), "{err}");
    let (ok, out, _) = lakecat(&["webhook", "list", "--data-dir", &data]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(ok);
    assert_eq!(v["webhooks"][0]["name"], "h1");
    assert_eq!(v["webhooks"][0]["format"], "cloudevents");
    // The same through a running server.
    // (On the sled folder written above, whichever store the other tests use;
    // the config file adds a second subscription.)
    let config = dir.path().join("lakecat.toml");
    std::fs::write(
        &config,
        "[[webhooks]]\nname = \"from-config\"\nurl = \"http://127.0.0.1:1/c\"\n\
         pattern = { \"detail-type\" = [\"Glue Crawler State Change\"] }\n",
    )
    .unwrap();
    let config = config.to_string_lossy().into_owned();
    let server = common::start_with_store(&["--data-dir", &data, "--config", &config], &[]);
    let (ok, out, err) = lakecat(&["webhook", "list", "--server", &server.base]);
    assert!(ok, "{err}");
    let names: Vec<String> = serde_json::from_str::<Value>(&out).unwrap()["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["from-config", "h1"], "{out}");
    let (ok, _, err) = lakecat(&["webhook", "remove", "h1", "--server", &server.base]);
    assert!(ok, "{err}");
    let (ok, _, err) = lakecat(&["webhook", "remove", "h1", "--server", &server.base]);
    assert!(!ok && err.contains("not found"), "{err}");
}
