//! The web console's table page on a table of 1,000,000 partitions, beside one of
//! 1,000, and beside the JSON API's time for the same data (the table, then its
//! first page of 100 partitions): time to first byte (p50, p99), time to the last
//! byte and page weight, against the real `lakecat serve` (release build, sled).
//! Paging keeps the page flat: it reads one page of partitions and counts at most
//! 1,000 (from the keys alone), whatever the table holds.
//!
//! `cargo bench --bench console` (or `bash scripts/bench.sh console`); without
//! `--bench` (as `cargo test --all-targets` runs it) a smoke run on small counts.

#[path = "server.rs"]
mod server;

use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// One GET on a fresh connection: (time to the first byte, time to the last,
/// body bytes).
fn get(addr: &str, path: &str) -> (Duration, Duration, usize) {
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut first = [0u8; 1];
    s.read_exact(&mut first).unwrap();
    let ttfb = start.elapsed();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    let total = start.elapsed();
    let text = String::from_utf8_lossy(&rest);
    assert!(
        text.starts_with("TTP/1.1 200"),
        "{path}: {}",
        &text[..text.len().min(300)]
    );
    let head = text.find("\r\n\r\n").unwrap() + 4;
    (ttfb, total, rest.len() - head)
}

struct Figures {
    ttfb_p50: f64,
    ttfb_p99: f64,
    total_p50: f64,
    bytes: usize,
}

/// `paths` fetched one after another, `rounds` times (after a warm-up round).
fn measure(addr: &str, paths: &[String], rounds: usize) -> Figures {
    for p in paths {
        get(addr, p);
    }
    let (mut ttfb, mut total, mut bytes) = (Vec::new(), Vec::new(), 0);
    for _ in 0..rounds {
        let (mut t1, mut t2, mut b) = (0.0, 0.0, 0);
        for (i, p) in paths.iter().enumerate() {
            let (f, l, n) = get(addr, p);
            // A sequence's first byte is its first response's.
            if i == 0 {
                t1 = f.as_secs_f64() * 1e3;
            }
            t2 += l.as_secs_f64() * 1e3;
            b += n;
        }
        ttfb.push(t1);
        total.push(t2);
        bytes = b;
    }
    Figures {
        ttfb_p50: pct(&mut ttfb, 0.5),
        ttfb_p99: pct(&mut ttfb, 0.99),
        total_p50: pct(&mut total, 0.5),
        bytes,
    }
}

fn table_with(base: &str, name: &str, partitions: usize) {
    let a = ureq::Agent::config_builder()
        .http_status_as_error(true)
        .build()
        .new_agent();
    a.post(&format!("{base}/v1/databases/bench/tables"))
        .send_json(json!({
            "name": name, "table_type": "EXTERNAL_TABLE",
            "storage_descriptor": {
                "columns": [{"name": "id", "type": "bigint"}, {"name": "payload", "type": "struct<a:int,b:array<string>>"}],
                "location": format!("s3://bench/{name}/"),
                "input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            },
            "partition_keys": [{"name": "dt", "type": "string"}, {"name": "n", "type": "int"}],
        }))
        .unwrap();
    let mut i = 0;
    while i < partitions {
        let batch: Vec<_> = (i..(i + 1000).min(partitions))
            .map(|k| {
                json!({"values": [format!("2024-{:02}-{:02}", k / 31_000 % 12 + 1, k / 1000 % 31 + 1), (k % 1000).to_string()],
                       "storage_descriptor": {"location": format!("s3://bench/{name}/p{k}/")}})
            })
            .collect();
        a.post(&format!(
            "{base}/v1/databases/bench/tables/{name}/partitions"
        ))
        .send_json(json!({ "partitions": batch }))
        .unwrap();
        i += 1000;
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (big, rounds) = if full { (1_000_000, 50) } else { (5_000, 3) };
    println!("lakecat web console: the table page (release build, sled)\n");
    let srv = server::start();
    let addr = srv.base.trim_start_matches("http://").to_string();
    ureq::post(&format!("{}/v1/databases", srv.base))
        .send_json(json!({"name": "bench"}))
        .unwrap();
    let t = Instant::now();
    table_with(&srv.base, "small", 1_000);
    table_with(&srv.base, "big", big);
    println!(
        "setup: {} partitions registered over REST in {:.1} s\n",
        big + 1_000,
        t.elapsed().as_secs_f64()
    );
    println!(
        "{:<44} {:>10} {:>10} {:>12} {:>10}",
        "request (partitions in the table)", "TTFB p50", "TTFB p99", "complete p50", "bytes"
    );
    for (table, n) in [("small", 1_000), ("big", big)] {
        let ui = format!("/ui/databases/bench/tables/{table}");
        let api = vec![
            format!("/v1/databases/bench/tables/{table}"),
            format!("/v1/databases/bench/tables/{table}/partitions?max_results=100"),
        ];
        let filter = "dt%20%3E%3D%20'2024-01-02'%20AND%20n%20%3C%2010";
        let api_filtered = vec![
            format!("/v1/databases/bench/tables/{table}"),
            format!(
                "/v1/databases/bench/tables/{table}/partitions?max_results=100&filter={filter}"
            ),
        ];
        let rows: [(String, Vec<String>); 4] = [
            (format!("console table page ({n})"), vec![ui.clone()]),
            (
                format!("console table page, filtered ({n})"),
                vec![format!("{ui}?filter={filter}")],
            ),
            (format!("JSON API: table + 100 partitions ({n})"), api),
            (format!("JSON API, filtered ({n})"), api_filtered),
        ];
        for (label, paths) in rows {
            let f = measure(&addr, &paths, rounds);
            println!(
                "{label:<44} {:>8.2}ms {:>8.2}ms {:>10.2}ms {:>10}",
                f.ttfb_p50, f.ttfb_p99, f.total_p50, f.bytes
            );
        }
    }
    println!(
        "\nThe page reads one page of 100 partitions and counts at most 1,000 from their keys;\n\
         the JSON API's figures are two requests (the table, then its first page)."
    );
}
