//! Catalog-core benchmarks against the real `lakecat serve` (release build), over
//! HTTP, on the embedded sled store and on PostgreSQL, printed side by side.
//!
//! `cargo bench --bench catalog` (or `bash scripts/bench.sh`, which also installs wrk
//! and starts the PostgreSQL cluster). Environment: LAKECAT_BENCH_PARTITIONS (default
//! 1,000,000), LAKECAT_BENCH_WRITERS (4), LAKECAT_TEST_PG (the cluster).
//!
//! 1. Register N partitions through the REST batch call (1,000 a call, each acknowledged
//!    only once durable): partitions/s.
//! 2. Filtered lookups `dt = '…' AND hour > 5` (leading key fixed): p50/p99 over HTTP.
//!    The same registration by servers with `--change-log off`, to price the log.
//! 3. A full unfiltered listing paged through 1,000 at a time: time, and server peak RSS.
//! 4. GET of one table with 64 concurrent connections (wrk, when installed): requests/s,
//!    server RSS at idle and under load; on PostgreSQL also spread over two replicas.

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

/// What one store measured.
#[derive(Default)]
struct Figures {
    register_rate: f64,
    register_secs: f64,
    p50_ms: f64,
    p99_ms: f64,
    list_secs: f64,
    rss_before_mib: u64,
    rss_after_mib: u64,
    /// (label, requests/s, p99) of the GetTable runs.
    get: Vec<(String, String, String)>,
    rss_idle_mib: u64,
    rss_load_mib: u64,
}

/// Requests/s of a `wrk` "Requests/sec: N" line.
fn rps(line: &str) -> f64 {
    line.split_whitespace()
        .last()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
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
    println!("lakecat catalog benchmarks ({total} partitions, {writers} writer connections, release build)\n");
    let sled = {
        let srv = server::start();
        run(&[&srv], total, writers, full)
    };
    let pg = match server::postgres_database("bench_catalog") {
        Ok(url) => {
            let a = server::start_on(Some(&url), &[]);
            let b = server::start_on(Some(&url), &[]);
            Some(run(&[&a, &b], total, writers, full))
        }
        Err(why) => {
            println!("PostgreSQL skipped: {why}\n");
            None
        }
    };
    // The price of the change log: the same registration by a server that
    // logs nothing (`--change-log off`), in the same run.
    let off = [("LAKECAT_CHANGE_LOG", "off")];
    let sled_off = {
        let srv = server::start_on(None, &off);
        register(&srv.base, total, writers)
    };
    let pg_off = server::postgres_database("bench_catalog_off")
        .ok()
        .map(|url| {
            let srv = server::start_on(Some(&url), &off);
            register(&srv.base, total, writers)
        });
    let rows = |f: &dyn Fn(&Figures) -> String| {
        println!("   {:<36} {}", "lakecat on sled (embedded)", f(&sled));
        match &pg {
            Some(p) => println!("   {:<36} {}", "lakecat on PostgreSQL", f(p)),
            None => println!("   {:<36} (not run)", "lakecat on PostgreSQL"),
        }
    };
    println!("1. register {total} partitions, REST batches of 1000, {writers} writers, durable");
    rows(&|f| {
        format!(
            "{:>10.0} partitions/s  ({:.1} s)",
            f.register_rate, f.register_secs
        )
    });
    println!(
        "   {:<36} {:>10.0} partitions/s  ({sled_off:.1} s)",
        "lakecat on sled, change log off",
        total as f64 / sled_off
    );
    if let Some(p) = pg_off {
        println!(
            "   {:<36} {:>10.0} partitions/s  ({p:.1} s)",
            "lakecat on PostgreSQL, change log off",
            total as f64 / p
        );
    }
    println!(
        "   {:<36} {:>10} partitions/s  (sled >= 250000, PostgreSQL >= 50000)",
        "target", ""
    );
    println!("   {:<36} {:>10} partitions/s  (measured earlier on this machine; `cargo bench --bench hms` runs it)", "Hive Metastore 2.3.10 (Derby)", "~70");
    println!(
        "\n2. filtered lookup `dt = '…' AND hour > 5` on {total} partitions, sequential HTTP calls"
    );
    rows(&|f| {
        format!(
            "p50 {:.2} ms   p99 {:.2} ms   (target p99 <= 5 ms)",
            f.p50_ms, f.p99_ms
        )
    });
    println!("\n3. full unfiltered listing, pages of 1000");
    rows(&|f| {
        format!(
            "{:.1} s ({:.0} partitions/s); server peak RSS {} MiB before, {} MiB after",
            f.list_secs,
            total as f64 / f.list_secs,
            f.rss_before_mib,
            f.rss_after_mib
        )
    });
    if !full {
        println!("\nsmoke run done (run `cargo bench --bench catalog` for the figures)");
        return;
    }
    println!("\n4. GET one table, 64 concurrent connections, 10 s (wrk -t2)");
    for (who, f) in [("sled", Some(&sled)), ("PostgreSQL", pg.as_ref())] {
        let Some(f) = f else { continue };
        for (label, r, p99) in &f.get {
            println!(
                "   {:<36} {r}   latency {p99}",
                format!("lakecat on {who}, {label}")
            );
        }
        println!(
            "   {:<36} server RSS idle {} MiB, after load {} MiB",
            "", f.rss_idle_mib, f.rss_load_mib
        );
    }
    println!(
        "   {:<36} sled >= 30000 req/s; PostgreSQL >= 15000 req/s in total",
        "target"
    );
}

/// The four steps against `servers` (replicas of one catalog; the first one
/// takes every call but the spread GetTable run).
fn run(servers: &[&server::Server], total: usize, writers: usize, full: bool) -> Figures {
    let mut fig = Figures::default();
    let hours = 24;
    let days = total.div_ceil(hours);
    let (pid, base) = (servers[0].pid, servers[0].base.clone());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(true)
        .build()
        .into();
    let dt = |d: usize| format!("day-{d:06}");
    let parts_url = format!("{base}/v1/databases/bench/tables/events/partitions");

    // 1. Registration.
    fig.register_secs = register(&base, total, writers);
    fig.register_rate = total as f64 / fig.register_secs;

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
    (fig.p50_ms, fig.p99_ms) = (pct(0.50), pct(0.99));

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
    fig.list_secs = t.elapsed().as_secs_f64();
    fig.rss_before_mib = before / 1024;
    fig.rss_after_mib = rss_kib(pid, "VmHWM:") / 1024;
    if !full {
        return fig;
    }
    // 4. GET one table under 64 connections: on one replica, then spread.
    std::thread::sleep(Duration::from_secs(1));
    fig.rss_idle_mib = rss_kib(pid, "VmRSS:") / 1024;
    let url = |b: &str| format!("{b}/v1/databases/bench/tables/events");
    match server::wrk(&["-t2", "-c64", "-d10s", "--latency", &url(&base)]) {
        Ok((r, p99)) => fig.get.push(("one replica".into(), r, p99)),
        Err(e) => fig.get.push(("one replica".into(), e, String::new())),
    }
    fig.rss_load_mib = rss_kib(pid, "VmRSS:") / 1024;
    if servers.len() > 1 {
        let runs: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = servers
                .iter()
                .map(|srv| {
                    let u = url(&srv.base);
                    s.spawn(move || server::wrk(&["-t1", "-c32", "-d10s", "--latency", &u]))
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        if runs.iter().all(|r| r.is_ok()) {
            let total: f64 = runs.iter().map(|r| rps(&r.as_ref().unwrap().0)).sum();
            let p99s: Vec<String> = runs.iter().map(|r| r.as_ref().unwrap().1.clone()).collect();
            fig.get.push((
                format!("{} replicas (32 conns each)", servers.len()),
                format!("Requests/sec: {total:.0} in total"),
                p99s.join(" / "),
            ));
        }
    }
    fig
}

/// Creates `bench.events` on the server at `base` and registers `total`
/// partitions in REST batches of 1,000 from `writers` connections; the seconds
/// it took.
fn register(base: &str, total: usize, writers: usize) -> f64 {
    let hours = 24;
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
    start.elapsed().as_secs_f64()
}
