//! Managed crawlers in a real `lakecat serve`: boto3 drives the whole life cycle
//! against moto's S3 (tests/glue/boto3_crawlers.py); REST covers the same service;
//! a server killed in the middle of a run comes back with the run FAILED.

mod common;

use common::call;
use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};

fn s3_env(endpoint: &str) -> Vec<(&'static str, String)> {
    common::moto::s3_env(endpoint)
        .iter()
        .map(|(k, v)| (*k, v.to_string()))
        .collect()
}

fn start(dir: &std::path::Path, extra: &[&str], env: &[(&'static str, String)]) -> common::Server {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    common::start_with_env(dir, extra, &env)
}

#[test]
fn boto3_drives_the_crawler_life_cycle() {
    let m = common::moto::moto();
    let dir = tempfile::tempdir().unwrap();
    // The script answers SNS's subscription handshake on this port, which is the
    // one host lakecat may visit.
    let confirm_port = common::hive::free_port().to_string();
    let hosts = format!("127.0.0.1:{confirm_port}");
    let server = start(
        dir.path(),
        &["--clock-speed", "3000", "--sns-confirm-hosts", &hosts],
        &s3_env(&m.endpoint),
    );
    let python = format!("{}/.venv/bin/python", env!("CARGO_MANIFEST_DIR"));
    let script = format!(
        "{}/tests/glue/boto3_crawlers.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new(&python)
        .args([&script, &server.base, &m.endpoint, &confirm_port])
        .output()
        .expect("run .venv/bin/python (scripts/test.sh installs it)");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "boto3_crawlers.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    server.sigterm();
}

fn wait_ready(base: &str, name: &str) -> Value {
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, c) = call("GET", &format!("{base}/v1/crawlers/{name}"), None);
        if c["state"] == "READY" {
            return c;
        }
        assert!(Instant::now() < end, "{name} did not become READY: {c}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn rest_crawlers_and_a_crash_in_the_middle_of_a_run() {
    // A local lake big enough that a run is still going when the server is killed.
    let lake = tempfile::tempdir().unwrap();
    for d in 0..40 {
        for i in 0..100 {
            let p = lake.path().join(format!("t/dt={d:02}/part-{i}.json"));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "{\"id\": 1, \"name\": \"a\"}\n".repeat(200)).unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[], &[]);
    let base = server.base.clone();
    let body = json!({"name": "local", "database_name": "lakedb",
        "targets": {"s3_targets": [{"path": lake.path().join("t").to_string_lossy()}]}});
    let (status, c) = call("POST", &format!("{base}/v1/crawlers"), Some(body.clone()));
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["state"], "READY");
    let (status, e) = call("POST", &format!("{base}/v1/crawlers"), Some(body));
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (409, Some("already_exists"))
    );
    let (status, e) = call(
        "PUT",
        &format!("{base}/v1/crawlers/local/schedule"),
        Some(json!({"schedule_expression": "cron(0 12 * * * *)"})),
    );
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("exactly one of"),
        "{e}"
    );
    let (status, e) = call("POST", &format!("{base}/v1/crawlers/local/stop"), None);
    assert_eq!(
        (status, e["error"]["type"].as_str()),
        (409, Some("CrawlerNotRunningException"))
    );

    // A full run over REST.
    let (status, started) = call("POST", &format!("{base}/v1/crawlers/local/start"), None);
    assert_eq!(status, 202, "{started}");
    let c = wait_ready(&base, "local");
    assert_eq!(c["last_crawl"]["status"], "SUCCEEDED", "{c}");
    let (_, crawls) = call("GET", &format!("{base}/v1/crawlers/local/crawls"), None);
    let run = &crawls["crawls"][0];
    assert_eq!(run["crawl_id"], started["crawl_id"]);
    assert_eq!(
        (run["state"].as_str(), run["tables_created"].as_u64()),
        (Some("COMPLETED"), Some(1))
    );
    assert_eq!(run["partitions_added"], 40);
    assert_eq!(run["files_read"], 4000);
    let (_, m) = call("GET", &format!("{base}/v1/crawlers/local/metrics"), None);
    assert_eq!(m["TablesCreated"], 1, "{m}");
    // The change log has the definition, the run's start and end, and what the
    // run wrote in between (issue 18).
    let (_, log) = call("GET", &format!("{base}/v1/events?limit=1000"), None);
    let seen: Vec<String> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| match e["type"].as_str().unwrap() {
            "SERVICE" => format!(
                "{}:{}",
                e["detail"]["detail_type"].as_str().unwrap(),
                e["detail"]["detail"]["state"]
                    .as_str()
                    .or(e["detail"]["detail"]["change"].as_str())
                    .unwrap()
            ),
            t => t.to_string(),
        })
        .collect();
    assert_eq!(
        seen,
        [
            "Glue Crawler Definition Change:created",
            "Glue Crawler State Change:Started",
            "CREATE_DATABASE",
            "CREATE_TABLE",
            "ADD_PARTITION",
            "Glue Crawler State Change:Succeeded",
        ],
        "{log}"
    );
    let ended = &log["events"][5]["detail"]["detail"];
    assert_eq!(
        (
            ended["crawlerName"].as_str(),
            ended["tablesCreated"].as_str(),
            ended["partitionsCreated"].as_str()
        ),
        (Some("local"), Some("1"), Some("40")),
        "{ended}"
    );

    // Touch every file so the next run reads them all again, then kill the server
    // in the middle of it.
    for d in 0..40 {
        for i in 0..100 {
            let p = lake.path().join(format!("t/dt={d:02}/part-{i}.json"));
            std::fs::write(&p, "{\"id\": 2, \"name\": \"b\"}\n".repeat(200)).unwrap();
        }
    }
    let (status, _) = call("POST", &format!("{base}/v1/crawlers/local/start"), None);
    assert_eq!(status, 202);
    let (_, c) = call("GET", &format!("{base}/v1/crawlers/local"), None);
    assert_eq!(c["state"], "RUNNING", "the run should still be going: {c}");
    drop(server); // SIGKILL
    let server = start(dir.path(), &[], &[]);
    let base = server.base.clone();
    // At once on the embedded store (no other process can be running it); on a
    // shared one, once the dead replica's lease expires.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let c = loop {
        let (_, c) = call("GET", &format!("{base}/v1/crawlers/local"), None);
        if c["state"] == "READY" || std::time::Instant::now() > deadline {
            break c;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(c["state"], "READY", "{c}");
    assert_eq!(c["last_crawl"]["status"], "FAILED", "{c}");
    let (_, crawls) = call("GET", &format!("{base}/v1/crawlers/local/crawls"), None);
    assert_eq!(crawls["crawls"][0]["state"], "FAILED", "{crawls}");
    assert!(crawls["crawls"][0]["error_message"]
        .as_str()
        .unwrap()
        .contains("running this crawl stopped before it ended"));
    let (_, log) = call(
        "GET",
        &format!("{base}/v1/events?types=SERVICE&limit=1000"),
        None,
    );
    let last = log["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["detail"]["detail"]["state"], "Failed", "{log}");
    // The catalog is whole, and the crawler runs again.
    let (status, t) = call("GET", &format!("{base}/v1/databases/lakedb/tables/t"), None);
    assert_eq!(status, 200, "{t}");
    let (status, _) = call("POST", &format!("{base}/v1/crawlers/local/start"), None);
    assert_eq!(status, 202);
    assert_eq!(
        wait_ready(&base, "local")["last_crawl"]["status"],
        "SUCCEEDED"
    );

    // Classifiers over REST.
    let (status, cl) = call(
        "POST",
        &format!("{base}/v1/classifiers"),
        Some(json!({"csv_classifier": {"name": "Pipes", "delimiter": "|"}})),
    );
    assert_eq!(status, 201, "{cl}");
    assert_eq!(cl["csv_classifier"]["name"], "pipes");
    let (status, _) = call("DELETE", &format!("{base}/v1/classifiers/pipes"), None);
    assert_eq!(status, 204);
    let (status, _) = call("DELETE", &format!("{base}/v1/crawlers/local"), None);
    assert_eq!(status, 204);
    let (status, _) = call("GET", &format!("{base}/v1/crawlers/local"), None);
    assert_eq!(status, 404);
}
