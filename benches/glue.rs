//! The Glue JSON API under load, beside moto's Glue server in the same run.
//!
//! `cargo bench --bench glue` (or `bash scripts/bench.sh glue`, which installs wrk, boto3
//! and moto). Environment: LAKECAT_BENCH_GLUE_PARTITIONS (default 100,000).
//!
//! The table `bench.events` has keys (region, dt): 50 regions × N/50 dates.
//! 1. GetTable with one sequential boto3 client: lakecat and moto_server.
//! 2. GetTable with 64 concurrent connections (wrk, POST script): requests/s and p99.
//! 3. GetPartitions `region = 'r07' AND dt BETWEEN …` (10 partitions: a range of the
//!    partitions' own order), with boto3 and with wrk.
//! 4. GetPartitions `dt = '…'` (50 partitions, one in every region): without a partition
//!    index every partition is read; with `CreatePartitionIndex` on `dt`, 50. boto3 both
//!    ways, wrk with the index.

#[path = "../tests/common/moto.rs"]
mod moto;
#[path = "server.rs"]
mod server;

use serde_json::{json, Value};
use std::path::Path;

/// Runs benches/glue_client.py against `endpoint`; its JSON answer.
fn client(python: &Path, endpoint: &str, args: &[&str]) -> Value {
    let mut all = vec![endpoint];
    all.extend_from_slice(args);
    server::python_client("glue_client.py", python, &all)
}

fn row(who: &str, v: &Value) {
    server::rate_row(who, v)
}

/// A wrk Lua script that POSTs one Glue call.
fn wrk_script(dir: &Path, name: &str, target: &str, body: &Value) -> String {
    let path = dir.join(name);
    let body = body.to_string().replace('\\', "\\\\").replace('\'', "\\'");
    std::fs::write(
        &path,
        format!(
            "wrk.method = 'POST'\nwrk.body = '{body}'\nwrk.headers['Content-Type'] = 'application/x-amz-json-1.1'\nwrk.headers['X-Amz-Target'] = 'AWSGlue.{target}'\n"
        ),
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

fn wrk_row(who: &str, base: &str, script: &str) {
    match server::wrk(&["-t2", "-c64", "-d10s", "--latency", "-s", script, base]) {
        Ok((rps, p99)) => println!("   {who:<44} {rps}   latency {p99}"),
        Err(e) => println!("   {who:<44} not measured: {e}"),
    }
}

fn main() {
    // Without `--bench` (`cargo test --all-targets`) this is a smoke run on a small table.
    let full = std::env::args().any(|a| a == "--bench");
    let total = if full {
        server::env_usize("LAKECAT_BENCH_GLUE_PARTITIONS", 100_000)
    } else {
        1_000
    };
    let secs = if full { "5" } else { "0.5" };
    let regions = 50;
    let dates = total.div_ceil(regions);
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if !python.exists() {
        println!("boto3 is not installed: run scripts/bench.sh (or scripts/test.sh) first");
        return;
    }
    let srv = server::start();
    let base = srv.base.clone();
    client(&python, &base, &["setup"]);

    // Registered over REST, 1,000 a call: registration is the catalog benchmark's subject.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(true)
        .build()
        .into();
    let region = |r: usize| format!("r{r:02}");
    let dt = |d: usize| format!("d-{d:05}");
    let all: Vec<(usize, usize)> = (0..regions)
        .flat_map(|r| (0..dates).map(move |d| (r, d)))
        .take(total)
        .collect();
    for chunk in all.chunks(1000) {
        let parts: Vec<Value> = chunk
            .iter()
            .map(|&(r, d)| {
                json!({"values": [region(r), dt(d)],
                   "storage_descriptor": {"location": format!("s3://bench/events/region={}/dt={}/", region(r), dt(d))}})
            })
            .collect();
        agent
            .post(&format!(
                "{base}/v1/databases/bench/tables/events/partitions"
            ))
            .send_json(json!({ "partitions": parts }))
            .unwrap();
    }
    let build = if full { "release build" } else { "smoke run" };
    println!("Glue API benchmarks: table with {total} partitions ({regions} regions × {dates} dates), {build}\n");

    // 1. One boto3 client, GetTable: lakecat beside moto.
    println!("1. GetTable, one sequential boto3 client, {secs} s");
    row("lakecat", &client(&python, &base, &["get_table", secs]));
    if full
        && Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".venv/bin/moto_server")
            .exists()
    {
        let m = moto::moto();
        client(&python, &m.endpoint, &["setup"]);
        row(
            "moto_server 5.2.5 (Glue)",
            &client(&python, &m.endpoint, &["get_table", secs]),
        );
    } else if full {
        println!("   moto_server is not installed: run scripts/bench.sh");
    }

    let tmp = tempfile::tempdir().unwrap();
    let get_table = wrk_script(
        tmp.path(),
        "get_table.lua",
        "GetTable",
        &json!({"DatabaseName": "bench", "Name": "events"}),
    );
    if full {
        println!("\n2. GetTable, 64 concurrent connections (wrk -t2 -c64, 10 s)");
        wrk_row("lakecat", &base, &get_table);
    }

    // 3. A range of the partitions' own order.
    let lo = dates / 2;
    let range = format!(
        "region = 'r07' AND dt BETWEEN '{}' AND '{}'",
        dt(lo),
        dt(lo + 9)
    );
    println!("\n3. GetPartitions `{range}` (10 partitions)");
    row(
        "lakecat, one boto3 client",
        &client(&python, &base, &["get_partitions", secs, &range, "10"]),
    );
    if full {
        let script = wrk_script(
            tmp.path(),
            "range.lua",
            "GetPartitions",
            &json!({"DatabaseName": "bench", "TableName": "events", "Expression": range}),
        );
        wrk_row("lakecat (wrk -t2 -c64)", &base, &script);
    }

    // 4. A non-leading key, without and with a partition index.
    let one_day = format!("dt = '{}'", dt(dates / 3));
    let per_day = all
        .iter()
        .filter(|(_, d)| *d == dates / 3)
        .count()
        .to_string();
    println!("\n4. GetPartitions `{one_day}` ({per_day} partitions, one per region)");
    row(
        "lakecat, no partition index, one boto3 client",
        &client(
            &python,
            &base,
            &["get_partitions", secs, &one_day, &per_day],
        ),
    );
    agent
        .post(&format!("{base}/"))
        .header("X-Amz-Target", "AWSGlue.CreatePartitionIndex")
        .header("Content-Type", "application/x-amz-json-1.1")
        .send(
            json!({"DatabaseName": "bench", "TableName": "events",
                   "PartitionIndex": {"IndexName": "by_dt", "Keys": ["dt"]}})
            .to_string(),
        )
        .unwrap();
    row(
        "lakecat, index on dt, one boto3 client",
        &client(
            &python,
            &base,
            &["get_partitions", secs, &one_day, &per_day],
        ),
    );
    if full {
        let script = wrk_script(
            tmp.path(),
            "indexed.lua",
            "GetPartitions",
            &json!({"DatabaseName": "bench", "TableName": "events", "Expression": one_day}),
        );
        wrk_row("lakecat, index on dt (wrk -t2 -c64)", &base, &script);
    } else {
        println!("\nsmoke run done (run `cargo bench --bench glue` for the figures)");
    }
}
