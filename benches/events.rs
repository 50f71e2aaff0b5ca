//! Change-log benchmarks against the real `lakecat serve` (release build), over
//! the embedded store (the cost of the log on registration is step 1 of
//! `benches/catalog.rs`, beside the same run with `--change-log off`):
//!
//! 1. Webhook delivery to a local HTTP receiver: events written one per request
//!    by one writer, delivered to one subscription; deliveries per second, and
//!    the lag from each event's commit to its arrival (p50, p99, max).
//! 2. `get_next_notification` over 100,000 events, as Impala's catalog and Hive
//!    replication read the log: pages of 1,000 from the start, on lakecat's own
//!    Thrift codec; events per second and the time of one page (p50, p99).
//!
//! No peer runs beside these: the real Hive Metastore needs its
//! DbNotificationListener configured (and a JDBC store) to keep a notification
//! log at all, and no webhook service installs here; the figures are lakecat's
//! alone, printed beside their targets.
//!
//! `cargo bench --bench events` (or `bash scripts/bench.sh events`); without
//! `--bench` (as `cargo test --all-targets` runs it) a smoke run on small counts.

#[path = "server.rs"]
mod server;

use lakecat::hms::thrift::{self, Reader, TStruct, TValue};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// What the receiver saw: (event id, commit ms, arrival ms) in arrival order.
type Arrivals = Arc<Mutex<Vec<(u64, i64, i64)>>>;

/// A receiver that accepts everything, keeping connections alive.
fn receiver() -> (String, Arrivals) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            s.set_nodelay(true).unwrap();
            let g = g.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut len = 0;
                    loop {
                        let mut h = String::new();
                        r.read_line(&mut h).unwrap();
                        let h = h.trim_end().to_ascii_lowercase();
                        if h.is_empty() {
                            break;
                        }
                        if let Some(v) = h.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; len];
                    r.read_exact(&mut body).unwrap();
                    let arrived = now_ms();
                    let v: Value = serde_json::from_slice(&body).unwrap();
                    let id = v["lakecat"]["eventId"].as_u64().unwrap();
                    let committed = chrono_ms(v["time"].as_str().unwrap());
                    g.lock().unwrap().push((id, committed, arrived));
                    s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .unwrap();
                }
            });
        }
    });
    (url, got)
}

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn chrono_ms(t: &str) -> i64 {
    let (date, time) = t.trim_end_matches('Z').split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (hms, ms) = time.split_once('.').unwrap();
    let h: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400 + h[0] * 3600 + h[1] * 60 + h[2]) * 1000) + ms.parse::<i64>().unwrap()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(true)
        .build()
        .into()
}

/// `n` events, one partition per request, from `writers` connections.
fn write_events(base: &str, table: &str, n: usize, writers: usize) -> f64 {
    let a = agent();
    let _ = a
        .post(&format!("{base}/v1/databases"))
        .send_json(json!({"name": "ev"}));
    a.post(&format!("{base}/v1/databases/ev/tables"))
        .send_json(json!({"name": table, "partition_keys": [{"name": "n", "type": "int"}],
            "storage_descriptor": {"columns": [{"name": "x", "type": "int"}], "location": format!("s3://b/{table}/")}}))
        .unwrap();
    let url = format!("{base}/v1/databases/ev/tables/{table}/partitions");
    let t = Instant::now();
    std::thread::scope(|s| {
        for w in 0..writers {
            let url = &url;
            s.spawn(move || {
                let a = agent();
                for i in (w..n).step_by(writers) {
                    a.post(url)
                        .send_json(json!({"partitions": [{"values": [i.to_string()]}]}))
                        .unwrap();
                }
            });
        }
    });
    t.elapsed().as_secs_f64()
}

/// One Thrift call on lakecat's codec.
fn call(
    rt: &tokio::runtime::Runtime,
    s: &mut tokio::net::TcpStream,
    name: &str,
    args: &TStruct,
) -> TStruct {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    rt.block_on(async {
        s.write_all(&thrift::write_message(name, thrift::CALL, 1, args))
            .await
            .unwrap();
        let first = s.read_u8().await.unwrap();
        Reader::new(s, 1 << 30).message(first).await.unwrap().args
    })
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (hooks, notes) = if full { (5_000, 100_000) } else { (50, 2_000) };
    println!("lakecat change-log benchmarks (release build)\n");

    // 1. Webhooks.
    let srv = server::start();
    let (url, got) = receiver();
    agent()
        .post(&format!("{}/v1/webhooks", srv.base))
        .send_json(json!({"name": "bench", "url": url}))
        .unwrap();
    // The server starts a subscription's worker within a second: measure from then on.
    std::thread::sleep(Duration::from_millis(1500));
    let write_secs = write_events(&srv.base, "hooked", hooks, 1);
    let events = hooks + 2; // the database and the table too
    let end = Instant::now() + Duration::from_secs(120);
    while got.lock().unwrap().len() < events {
        assert!(
            Instant::now() < end,
            "deliveries stalled at {}",
            got.lock().unwrap().len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let got = got.lock().unwrap().clone();
    let ids: Vec<u64> = got.iter().map(|g| g.0).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "deliveries out of order"
    );
    let span = (got.last().unwrap().2 - got.first().unwrap().2).max(1) as f64 / 1000.0;
    let mut lag: Vec<f64> = got.iter().map(|g| (g.2 - g.1) as f64).collect();
    println!("1. webhook delivery, {events} events written one per request ({:.0} writes/s), one subscription", hooks as f64 / write_secs);
    println!(
        "   {:<30} {:>8.0} deliveries/s   lag p50 {:.0} ms  p99 {:.0} ms  max {:.0} ms",
        "lakecat",
        events as f64 / span,
        pct(&mut lag, 0.5),
        pct(&mut lag, 0.99),
        pct(&mut lag, 1.0)
    );
    println!(
        "   {:<30} deliveries keep up with writes; lag p99 <= 1000 ms",
        "target"
    );
    drop(srv);

    // 2. The notification log.
    let srv = server::start();
    let secs = write_events(&srv.base, "noted", notes, 4);
    println!(
        "\n2. get_next_notification over {} events (written at {:.0}/s), pages of 1000",
        notes + 3,
        notes as f64 / secs
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut s = rt
        .block_on(tokio::net::TcpStream::connect(&srv.thrift))
        .unwrap();
    s.set_nodelay(true).unwrap();
    let (mut last, mut read, mut pages) = (0i64, 0usize, Vec::new());
    let t = Instant::now();
    loop {
        let args = TStruct::new().with(
            1,
            TValue::Struct(
                TStruct::new()
                    .with(1, TValue::I64(last))
                    .with(2, TValue::I32(1000)),
            ),
        );
        let p = Instant::now();
        let reply = call(&rt, &mut s, "get_next_notification", &args);
        pages.push(p.elapsed().as_secs_f64() * 1000.0);
        let events = reply.strct(0).unwrap().list(1).to_vec();
        let Some(e) = events.last() else { break };
        last = e.as_struct().unwrap().int(1).unwrap();
        read += events.len();
    }
    let total = t.elapsed().as_secs_f64();
    // The database, the table and Hive's `default` (made at the first Thrift connection).
    assert_eq!(read, notes + 3);
    println!(
        "   {:<30} {:>8.0} events/s ({total:.2} s)   page p50 {:.1} ms  p99 {:.1} ms",
        "lakecat",
        read as f64 / total,
        pct(&mut pages, 0.5),
        pct(&mut pages, 0.99)
    );
    println!("   {:<30} 100,000 events read in under 10 s", "target");
    if !full {
        println!("\nsmoke run done (run `cargo bench --bench events` for the figures)");
    }
}
