//! Catalog-core benchmarks against the real `lakecat serve` (release build), over HTTP.
//!
//! `cargo bench --bench catalog` (or `bash scripts/bench.sh`, which also installs wrk).
//! Environment: LAKECAT_BENCH_PARTITIONS (default 1,000,000), LAKECAT_BENCH_WRITERS (4).
//!
//! 1. Register N partitions through the REST batch call (1,000 a call, each acknowledged
//!    only once durable): partitions/s.
//! 2. Filtered lookups `dt = '…' AND hour > 5` (leading key fixed): p50/p99 over HTTP.
//! 3. A full unfiltered listing paged through 1,000 at a time: time, and server peak RSS.
//! 4. GET of one table with 64 concurrent connections (wrk, when installed): requests/s,
//!    server RSS at idle and under load.

#[path = "server.rs"]
mod server;

use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    // `cargo bench` passes `--bench`. Without it (`cargo test --all-targets`) this is a
    // smoke run on a small table, so the benchmark cannot rot unnoticed.
    let full = std::env::args().any(|a| a == "--bench");
    let total = if full {
        server::env_usize("LAKECAT_BENCH_PARTITIONS", 1_000_000)
    } else {
        2_400
    };
    let writers = server::env_usize("LAKECAT_BENCH_WRITERS", 4);
    let hours = 24;
    let days = total.div_ceil(hours);
    let srv = server::start();
    let (pid, base) = (srv.pid, srv.base.clone());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(true)
        .build()
        .into();
    agent
        .post(&format!("{base}/v1/databases"))
        .send_json(json!({"name": "bench"}))
        .unwrap();
    let table = json!({"name": "events", "table_type": "EXTERNAL_TABLE",
        "partition_keys": [{"name": "dt", "type": "string"}, {"name": "hour", "type": "int"}],
        "storage_descriptor": {"columns": [{"name": "id", "type": "bigint"}, {"name": "payload", "type": "string"}],
            "location": "s3://bench/events/"}});
    agent
        .post(&format!("{base}/v1/databases/bench/tables"))
        .send_json(table)
        .unwrap();
    let dt = |d: usize| format!("day-{d:06}");

    println!("lakecat catalog benchmarks ({total} partitions, {writers} writer connections, release build)\n");

    // 1. Registration.
    let parts_url = format!("{base}/v1/databases/bench/tables/events/partitions");
    let batches: Vec<usize> = (0..total.div_ceil(1000)).collect();
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..writers {
            let (url, batches) = (&parts_url, &batches);
            s.spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(true).build().into();
                for b in batches.iter().skip(w).step_by(writers) {
                    // Written with format! rather than serde_json::Value: the client shares the
                    // machine's two cores with the server and should cost as little as it can.
                    let mut body = String::with_capacity(400 * 1000);
                    body.push_str("{\"partitions\":[");
                    for i in b * 1000..((b + 1) * 1000).min(total) {
                        let (d, h) = (dt(i / hours), i % hours);
                        if i > b * 1000 {
                            body.push(',');
                        }
                        body.push_str(&format!(
                            "{{\"values\":[\"{d}\",\"{h}\"],\"storage_descriptor\":{{\"location\":\"s3://bench/events/dt={d}/hour={h}/\",\
                             \"input_format\":\"org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat\",\
                             \"output_format\":\"org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat\",\
                             \"serde_info\":{{\"serialization_library\":\"org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe\"}}}}}}"
                        ));
                    }
                    body.push_str("]}");
                    let mut r = agent.post(url).header("content-type", "application/json").send(&body).unwrap();
                    let v: Value = r.body_mut().read_json().unwrap();
                    assert!(v["errors"].as_array().unwrap().is_empty(), "{v}");
                }
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    let rate = total as f64 / secs;
    println!("1. register {total} partitions, REST batches of 1000, durable");
    println!(
        "   {:<44} {:>12.0} partitions/s  ({secs:.1} s)",
        "lakecat", rate
    );
    println!("   {:<44} {:>12} partitions/s  (figure from the issue, measured earlier on this machine; not re-run here)", "Hive Metastore 2.3.10 (Derby)", "~70");
    println!("   {:<44} {:>12} partitions/s", "target", ">= 100000");

    // 2. Filtered lookups.
    let mut lat = Vec::new();
    let n = 2000;
    for i in 0..n {
        let d = (i * 7919) % days;
        let filter = format!("dt = '{}' AND hour > 5", dt(d));
        let t = Instant::now();
        let mut r = agent
            .get(&parts_url)
            .query("filter", &filter)
            .call()
            .unwrap();
        let v: Value = r.body_mut().read_json().unwrap();
        lat.push(t.elapsed());
        let got = v["partitions"].as_array().unwrap().len();
        assert!(
            got == 18 || d == days - 1,
            "day {d}: {got} partitions, expected 18"
        );
    }
    lat.sort();
    let pct =
        |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1000.0;
    println!("\n2. filtered lookup `dt = '…' AND hour > 5` on {total} partitions, {n} sequential HTTP calls");
    println!(
        "   {:<44} p50 {:.2} ms   p99 {:.2} ms   (target p99 <= 5 ms)",
        "lakecat",
        pct(0.50),
        pct(0.99)
    );

    // 3. Full listing, paged.
    let before = rss_kib(pid, "VmHWM:");
    let t = Instant::now();
    let mut token: Option<String> = None;
    let mut seen = 0;
    loop {
        let mut req = agent.get(&parts_url).query("max_results", "1000");
        if let Some(tok) = &token {
            req = req.query("page_token", tok);
        }
        let v: Value = req.call().unwrap().body_mut().read_json().unwrap();
        seen += v["partitions"].as_array().unwrap().len();
        match v["next_page_token"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, total);
    println!("\n3. full unfiltered listing, pages of 1000");
    println!(
        "   {:<44} {:.1} s ({:.0} partitions/s); server peak RSS {} MiB before, {} MiB after",
        "lakecat",
        t.elapsed().as_secs_f64(),
        total as f64 / t.elapsed().as_secs_f64(),
        before / 1024,
        rss_kib(pid, "VmHWM:") / 1024
    );

    if !full {
        println!("\nsmoke run done (run `cargo bench --bench catalog` for the figures)");
        return;
    }
    // 4. GET one table under 64 connections.
    std::thread::sleep(Duration::from_secs(1));
    let idle = rss_kib(pid, "VmRSS:");
    println!("\n4. GET one table, 64 concurrent connections, 10 s");
    let url = format!("{base}/v1/databases/bench/tables/events");
    match server::wrk(&["-t2", "-c64", "-d10s", "--latency", &url]) {
        Ok((rps, p99)) => {
            println!(
                "   {:<44} {rps}   latency {p99}   (target >= 30000 req/s)",
                "lakecat (wrk -t2 -c64)"
            );
            println!(
                "   server RSS idle {} MiB, after load {} MiB",
                idle / 1024,
                rss_kib(pid, "VmRSS:") / 1024
            );
        }
        Err(e) => println!("   {e}"),
    }
}
