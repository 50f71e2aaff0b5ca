//! Hostile input against the real binary, front by front: what a careless or
//! malicious client sends must get a clear answer and never reach past what the
//! server is allowed to touch (issue 16).

mod common;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A local HTTP listener that records each request line; it answers 200 unless
/// told to hang (accept, then never answer).
struct Listener {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

fn listener(hang: bool) -> Listener {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let mut buf = [0u8; 4096];
            let n = c.read(&mut buf).unwrap_or(0);
            let text = String::from_utf8_lossy(&buf[..n]);
            s.lock()
                .unwrap()
                .push(text.lines().next().unwrap_or_default().to_string());
            if hang {
                held.push(c);
            } else {
                let _ = c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
            }
        }
    });
    Listener { port, seen }
}

fn confirmation(base: &str, url: &str) -> (u16, Value) {
    let mut r = common::agent()
        .post(&format!("{base}/v1/events/s3"))
        .header("x-amz-sns-message-type", "SubscriptionConfirmation")
        .send_json(json!({"Type": "SubscriptionConfirmation", "TopicArn": "arn:aws:sns:us-east-1:1:t", "SubscribeURL": url}))
        .unwrap();
    (r.status().as_u16(), r.body_mut().read_json().unwrap())
}

/// Issue 16, defect 4: an SNS `SubscriptionConfirmation` made the server GET any
/// URL (a request forgery), with no timeout, on the threads that run writes.
#[test]
fn sns_subscribe_urls_are_visited_only_at_listed_hosts_and_briefly() {
    let dir = tempfile::tempdir().unwrap();
    let target = listener(false);
    let s = common::start(dir.path(), &[]);
    let url = format!("http://127.0.0.1:{}/internal/admin?delete=all", target.port);
    let (status, v) = confirmation(&s.base, &url);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["confirmed"], false, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("--sns-confirm-hosts"),
        "{v}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        target.seen.lock().unwrap().is_empty(),
        "nothing was fetched"
    );
    let (status, _) = confirmation(&s.base, "file:///etc/passwd");
    assert_eq!(status, 400);
    s.sigterm();

    // Listed hosts are visited; one that never answers costs at most the timeout,
    // a few at a time, and writes go on meanwhile.
    let good = listener(false);
    let silent = listener(true);
    let hosts = format!("127.0.0.1:{},127.0.0.1:{}", good.port, silent.port);
    let s = common::start(dir.path(), &["--sns-confirm-hosts", &hosts]);
    let (status, v) = confirmation(
        &s.base,
        &format!("http://127.0.0.1:{}/confirm?token=1", good.port),
    );
    assert_eq!((status, &v["confirmed"]), (200, &json!(true)), "{v}");
    assert_eq!(
        good.seen.lock().unwrap().as_slice(),
        ["GET /confirm?token=1 HTTP/1.1"]
    );
    let started = Instant::now();
    let stalls: Vec<_> = (0..8)
        .map(|i| {
            let base = s.base.clone();
            let url = format!("http://127.0.0.1:{}/stall/{i}", silent.port);
            std::thread::spawn(move || confirmation(&base, &url))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let write = Instant::now();
    let r = common::agent()
        .post(&format!("{}/v1/databases", s.base))
        .send_json(json!({"name": "still_writing"}))
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(
        write.elapsed() < Duration::from_secs(2),
        "a write waited for the stalled confirmations: {:?}",
        write.elapsed()
    );
    for t in stalls {
        let (status, v) = t.join().unwrap();
        assert_eq!(status, 400, "{v}");
        let m = v["error"]["message"].as_str().unwrap();
        assert!(m.contains("failed") || m.contains("under way"), "{m}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(silent.seen.lock().unwrap().len() <= 4, "at most 4 at once");
    s.sigterm();
}

fn call(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value, String) {
    let agent = common::agent();
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut r = agent.run(req.body(body.to_string()).unwrap()).unwrap();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = r.body_mut().read_to_string().unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({ct}): {text}"));
    (r.status().as_u16(), v, ct)
}

/// Issue 16, defect 8: errors axum answers itself came as plain text, and junk
/// paging tokens or counts silently gave the first (or an empty) page.
#[test]
fn errors_come_in_each_fronts_json_shape_and_junk_tokens_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(dir.path(), &["--max-body-bytes", "4096"]);
    let base = &s.base;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(8000));
    let glue = [
        ("x-amz-target", "AWSGlue.GetDatabases"),
        ("content-type", "application/x-amz-json-1.1"),
    ];
    // A body over the limit.
    let (st, v, _) = call(
        "POST",
        &format!("{base}/v1/databases"),
        &[("content-type", "application/json")],
        &big,
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (413, Some("too_large")),
        "{v}"
    );
    let (st, v, ct) = call("POST", &format!("{base}/"), &glue, &big);
    assert_eq!(st, 413, "{v}");
    assert!(
        v["__type"].is_string() && ct.contains("amz-json"),
        "{v} {ct}"
    );
    // A method a route does not take; a path segment that is not UTF-8.
    let (st, v, _) = call("DELETE", &format!("{base}/v1/search/tables"), &[], "");
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (405, Some("method_not_allowed")),
        "{v}"
    );
    let (st, v, _) = call("GET", &format!("{base}/v1/databases/%FF%FE"), &[], "");
    assert_eq!(st, 400, "{v}");
    assert!(v["error"]["message"].is_string(), "{v}");
    // Paging: a token this server did not give out, and counts out of range.
    let junk = "ab".repeat(5000);
    let (st, v, _) = call(
        "GET",
        &format!("{base}/v1/databases?page_token={junk}"),
        &[],
        "",
    );
    assert_eq!(st, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not one this server gave out"),
        "{v}"
    );
    for body in [
        r#"{"NextToken": ""}"#,
        r#"{"NextToken": "5"}"#,
        r#"{"NextToken": {"a": 1}}"#,
        r#"{"MaxResults": -1}"#,
        r#"{"MaxResults": 0}"#,
        r#"{"MaxResults": 1.5}"#,
    ] {
        let (st, v, _) = call("POST", &format!("{base}/"), &glue, body);
        assert_eq!(
            (st, v["__type"].as_str()),
            (400, Some("InvalidInputException")),
            "{body}: {v}"
        );
    }
    s.sigterm();
}

/// Issue 16, defect 8: `lakecat infer FILE | head` panicked on the closed pipe.
#[test]
fn a_reader_that_stops_reading_is_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("a.csv");
    std::fs::write(&csv, "id,name\n1,a\n2,b\n").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args(["infer", &csv.to_string_lossy()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before lakecat writes, as `head` does once it has enough.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !err.contains("panicked"),
        "{:?}: {err}",
        out.status
    );
}

/// Reads until the peer closes (Ok(0)) or fails; true if that happens within `wait`.
fn closed_within(s: &mut std::net::TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                )
            }
        }
    }
}

/// Issue 16, defect 6: idle or half-sent connections piled up on both ports until
/// the process ran out of descriptors, and a frame's claimed length was allocated
/// before any of it arrived.
#[test]
fn connections_are_capped_and_silent_ones_closed_on_both_ports() {
    use lakecat::hms::thrift::{self, TStruct};
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(
        dir.path(),
        &["--max-connections", "8", "--idle-timeout-secs", "2"],
    );
    let connect = |addr: &str| std::net::TcpStream::connect(addr).unwrap();
    let call = thrift::write_message("get_all_databases", thrift::CALL, 1, &TStruct::new());
    // Thrift: eight open connections fill the cap; a ninth is closed at once.
    let mut held: Vec<_> = (0..8).map(|_| connect(&s.thrift)).collect();
    held[0].write_all(&call).unwrap();
    let mut reply = [0u8; 64];
    assert!(
        held[0].read(&mut reply).unwrap() > 0,
        "an open connection is served"
    );
    let mut ninth = connect(&s.thrift);
    assert!(
        closed_within(&mut ninth, Duration::from_secs(1)),
        "over the cap: closed"
    );
    // A frame that claims 250 MiB and sends 3 bytes, then nothing: closed when idle.
    let mut frame = (250u32 << 20).to_be_bytes().to_vec();
    frame.extend_from_slice(&[0x80, 0x01, 0x00]);
    held[1].write_all(&frame).unwrap();
    let started = Instant::now();
    for c in held.iter_mut() {
        assert!(closed_within(c, Duration::from_secs(6)), "silent: closed");
    }
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    let mut fresh = connect(&s.thrift);
    fresh.write_all(&call).unwrap();
    assert!(
        fresh.read(&mut reply).unwrap() > 0,
        "served again once they closed"
    );

    // HTTP: unfinished headers hold a connection only until the idle timeout.
    let http = s.base.trim_start_matches("http://").to_string();
    let mut half: Vec<_> = (0..8)
        .map(|_| {
            let mut c = connect(&http);
            c.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").unwrap();
            c
        })
        .collect();
    for c in half.iter_mut() {
        assert!(
            closed_within(c, Duration::from_secs(6)),
            "half-sent headers: closed"
        );
    }
    let r = common::agent()
        .get(&format!("{}/health", s.base))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(s.sigterm().success());
}

/// Issue 16, defect 6: unfinished large bodies (unsigned ones too, under
/// `--auth sigv4`) were each buffered whole; now large bodies share one budget,
/// reserved before anything reads them, and small calls are never held up.
#[test]
fn large_bodies_share_a_budget_and_small_calls_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(
        dir.path(),
        &[
            "--max-body-bytes",
            "1048576",
            "--max-inflight-body-bytes",
            "2097152",
        ],
    );
    let http = s.base.trim_start_matches("http://").to_string();
    let stalled = |path: &str, extra: &str| {
        let mut c = std::net::TcpStream::connect(&http).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{extra}Content-Length: 1048576\r\n\r\n{{\"sql\": \""
        );
        c.write_all(head.as_bytes()).unwrap();
        c
    };
    // Two unfinished 1 MiB bodies spend the 2 MiB budget.
    let held = [stalled("/v1/ddl", ""), stalled("/v1/ddl", "")];
    std::thread::sleep(Duration::from_millis(300));
    // Small calls are served at once.
    let t = Instant::now();
    let r = common::agent()
        .post(&format!("{}/v1/databases", s.base))
        .send_json(json!({"name": "small"}))
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // A third large body waits, then is refused in its front's shape.
    let mut third = stalled("/", "X-Amz-Target: AWSGlue.GetDatabases\r\n");
    third
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("}") {
        let n = third.read(&mut buf).unwrap();
        assert!(n > 0, "closed without an answer");
        answer.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("\"__type\""), "{text}");
    drop(held);
    assert!(s.sigterm().success());
}

/// Issue 16: every front that builds a tree from input (JSON bodies, DDL types,
/// Thrift values, filters) refuses one nested 100,000 deep with an answer, and
/// the server stays up.
#[test]
fn input_nested_100000_deep_is_refused_on_every_front() {
    use lakecat::hms::thrift::{self, TStruct};
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(dir.path(), &[]);
    let n = 100_000;
    let base = &s.base;
    // JSON, over REST and Glue.
    let deep_json = "[".repeat(n) + &"]".repeat(n);
    let (st, v, _) = call(
        "POST",
        &format!("{base}/v1/databases"),
        &[("content-type", "application/json")],
        &deep_json,
    );
    assert_eq!(st, 400, "{v}");
    let glue = [
        ("x-amz-target", "AWSGlue.GetDatabases"),
        ("content-type", "application/x-amz-json-1.1"),
    ];
    let (st, v, _) = call(
        "POST",
        &format!("{base}/"),
        &glue,
        &format!("{{\"a\": {deep_json}}}"),
    );
    assert_eq!(st, 400, "{v}");
    // DDL: a type nested 100,000 deep, and a filter of 100,000 terms in a statement.
    let ty = "array<".repeat(n) + "int" + &">".repeat(n);
    let (st, v, _) = call(
        "POST",
        &format!("{base}/v1/ddl"),
        &[("content-type", "text/plain")],
        &format!("CREATE TABLE t (a {ty})"),
    );
    assert_eq!(st, 400, "{v}");
    let parens = "(".repeat(n) + "1" + &")".repeat(n);
    let (st, v, _) = call(
        "POST",
        &format!("{base}/v1/ddl"),
        &[("content-type", "text/plain")],
        &format!("ALTER TABLE t DROP PARTITION (dt = {parens})"),
    );
    assert!(st == 400 || st == 404, "{st} {v}");
    // Thrift: a struct nested 100,000 deep closes its own connection only.
    let mut msg = thrift::write_message("get_database", thrift::CALL, 1, &TStruct::new());
    msg.pop(); // the stop byte of the empty argument struct
    for _ in 0..n {
        msg.extend_from_slice(&[thrift::T_STRUCT, 0, 1]);
    }
    let mut c = std::net::TcpStream::connect(&s.thrift).unwrap();
    let _ = c.write_all(&msg);
    assert!(closed_within(&mut c, Duration::from_secs(5)));
    // Everything still answers.
    let r = common::agent()
        .get(&format!("{base}/health"))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut c = std::net::TcpStream::connect(&s.thrift).unwrap();
    c.write_all(&thrift::write_message(
        "get_all_databases",
        thrift::CALL,
        2,
        &TStruct::new(),
    ))
    .unwrap();
    let mut reply = [0u8; 64];
    assert!(c.read(&mut reply).unwrap() > 0);
    assert!(s.sigterm().success());
}

/// The idle timeout is the client's silence, not the server's: a request whose
/// handling takes longer than it (here an SNS confirmation waiting 5 s on a
/// silent host, with a 2 s idle timeout) still gets its answer.
#[test]
fn a_request_slower_than_the_idle_timeout_still_gets_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let silent = listener(true);
    let hosts = format!("127.0.0.1:{}", silent.port);
    let s = common::start(
        dir.path(),
        &["--idle-timeout-secs", "2", "--sns-confirm-hosts", &hosts],
    );
    let t = Instant::now();
    let (status, v) = confirmation(&s.base, &format!("http://{hosts}/slow"));
    assert!(t.elapsed() >= Duration::from_secs(4), "{:?}", t.elapsed());
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("failed"),
        "{v}"
    );
    assert!(s.sigterm().success());
}

/// Signs `text` with `key` (PEM) by openssl: SHA1withRSA (`sha1`) or SHA256withRSA.
fn openssl_sign(key: &std::path::Path, digest: &str, text: &str) -> String {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("text");
    std::fs::write(&input, text).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["dgst", &format!("-{digest}"), "-sign"])
        .arg(key)
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    base64::engine::general_purpose::STANDARD.encode(out.stdout)
}

/// A self-signed RSA certificate and its key, as openssl makes them.
fn openssl_cert(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let (key, cert) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pem")),
    );
    let out = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        ])
        .arg(format!("/CN={name}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (key, cert)
}

/// SNS's string to sign, built here from AWS's documentation ("Verifying the
/// signatures of Amazon SNS messages"), independently of the server's.
fn sns_string_to_sign(m: &Value) -> String {
    let fields: &[&str] = if m["Type"] == "Notification" {
        &[
            "Message",
            "MessageId",
            "Subject",
            "Timestamp",
            "TopicArn",
            "Type",
        ]
    } else {
        &[
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type",
        ]
    };
    fields
        .iter()
        .filter_map(|f| m[*f].as_str().map(|v| format!("{f}\n{v}\n")))
        .collect()
}

fn post_sns(base: &str, m: &Value) -> (u16, Value) {
    let kind = m["Type"].as_str().unwrap_or("Notification");
    let body = m.to_string();
    let (status, v, _) = call(
        "POST",
        &format!("{base}/v1/events/s3"),
        &[
            ("x-amz-sns-message-type", kind),
            ("content-type", "application/json"),
        ],
        &body,
    );
    (status, v)
}

/// Issue 16: SNS message signatures are verified against the certificates the
/// operator pinned; nothing forged, tampered or unsigned is visited or queued.
#[test]
fn sns_messages_must_carry_a_signature_from_a_pinned_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = openssl_cert(dir.path(), "sns");
    let (other_key, _) = openssl_cert(dir.path(), "attacker");
    let target = listener(false);
    let topic = "arn:aws:sns:us-east-1:123456789012:lake-events";
    let s = common::start(
        &dir.path().join("catalog"),
        &[
            "--sns-certificates",
            &cert.to_string_lossy(),
            "--sns-topics",
            topic,
            "--sns-confirm-hosts",
            &format!("127.0.0.1:{}", target.port),
        ],
    );
    let confirmation = json!({
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e2425",
        "TopicArn": topic,
        "Message": "You have chosen to subscribe to the topic.",
        "SubscribeURL": format!("http://127.0.0.1:{}/confirm?token=2336412f", target.port),
        "Timestamp": "2026-12-03T12:00:00.000Z",
        "SignatureVersion": "1",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
    });
    let sign = |m: &Value, key: &std::path::Path, digest: &str| {
        let mut m = m.clone();
        m["Signature"] = json!(openssl_sign(key, digest, &sns_string_to_sign(&m)));
        m
    };

    // Forged: signed by another key, or changed after signing, or not signed.
    let forged = sign(&confirmation, &other_key, "sha1");
    let mut tampered = sign(&confirmation, &key, "sha1");
    tampered["SubscribeURL"] = json!(format!("http://127.0.0.1:{}/internal/admin", target.port));
    let mut unsigned = confirmation.clone();
    unsigned["Signature"] = json!("");
    for m in [&forged, &tampered, &unsigned] {
        let (status, v) = post_sns(&s.base, m);
        assert_eq!(status, 403, "{v}");
        assert_eq!(v["error"]["code"], "access_denied", "{v}");
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        target.seen.lock().unwrap().is_empty(),
        "nothing was visited"
    );

    // Signed by the pinned certificate (SignatureVersion 1, SHA1withRSA): visited.
    let (status, v) = post_sns(&s.base, &sign(&confirmation, &key, "sha1"));
    assert_eq!((status, &v["confirmed"]), (200, &json!(true)), "{v}");
    assert_eq!(
        target.seen.lock().unwrap().as_slice(),
        ["GET /confirm?token=2336412f HTTP/1.1"]
    );

    // A notification with SignatureVersion 2 (SHA256withRSA) and a Subject: queued.
    let records = json!({"Records": [{"eventName": "ObjectCreated:Put", "eventTime": "2026-12-03T12:00:00.000Z",
        "s3": {"bucket": {"name": "lake"}, "object": {"key": "sales/dt=1/a.csv", "size": 10}}}]});
    let mut note = json!({
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": topic,
        "Subject": "Amazon S3 Notification",
        "Message": records.to_string(),
        "Timestamp": "2026-12-03T12:00:01.000Z",
        "SignatureVersion": "2",
    });
    let signed = sign(&note, &key, "sha256");
    let (status, v) = post_sns(&s.base, &signed);
    assert_eq!((status, &v["events"]), (200, &json!(1)), "{v}");
    // The same message signed as version 1 but labelled 2 does not verify.
    let mut relabelled = sign(&note, &key, "sha1");
    relabelled["SignatureVersion"] = json!("2");
    assert_eq!(post_sns(&s.base, &relabelled).0, 403);
    // Another topic, even correctly signed, is refused.
    note["TopicArn"] = json!("arn:aws:sns:us-east-1:123456789012:other");
    let (status, v) = post_sns(&s.base, &sign(&note, &key, "sha256"));
    assert_eq!(status, 403, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--sns-topics"),
        "{v}"
    );
    // A header that disagrees with the signed Type is refused.
    let (status, v, _) = call(
        "POST",
        &format!("{}/v1/events/s3", s.base),
        &[("x-amz-sns-message-type", "SubscriptionConfirmation")],
        &signed.to_string(),
    );
    assert_eq!(status, 400, "{v}");
    // A bare S3 event (no SNS envelope) carries no signature.
    let (status, v, _) = call(
        "POST",
        &format!("{}/v1/events/s3", s.base),
        &[],
        &records.to_string(),
    );
    assert_eq!(status, 403, "{v}");
    s.sigterm();

    // A certificate file that is not one stops the server at start, naming it.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args([
            "serve",
            "--http-addr",
            "127.0.0.1:0",
            "--thrift-addr",
            "off",
            "--sns-certificates",
        ])
        .arg(&junk)
        .arg("--data-dir")
        .arg(dir.path().join("other"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("junk.pem"), "{err}");
}

/// Issue 16: an audit log of every write and every refusal, on every front, kept
/// across a restart and readable over REST.
#[test]
fn writes_and_refusals_are_audited_on_every_front() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--auth",
        "sigv4",
        "--access-keys",
        "AKIDAUDIT:audit-secret",
        "--thrift-users",
        "ann:s3cret",
    ];
    let script = |s: &common::Server, mode: &str| -> Vec<Value> {
        let out = common::python_script("glue/audit_session.py", &[&s.base, &s.thrift, mode]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["entries"].as_array().unwrap().clone()
    };
    let s = common::start(dir.path(), &args);
    script(&s, "act");
    s.sigterm();
    // After a restart, what was recorded is still there, in order.
    let s = common::start(dir.path(), &args);
    let entries = script(&s, "read");
    s.sigterm();
    let brief: Vec<(String, String, String, String)> = entries
        .iter()
        .map(|e| {
            let f = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (f("front"), f("action"), f("principal"), f("outcome"))
        })
        .collect();
    let expected = [
        ("glue", "CreateDatabase", "AKIDAUDIT", "ok"),
        ("glue", "CreateDatabase", "AKIDAUDIT", "rejected"),
        (
            "glue",
            "CreateDatabase",
            "AKIDAUDIT (unverified)",
            "refused",
        ),
        ("thrift", "create_database", "ann", "ok"),
        ("thrift", "SASL PLAIN", "unknown", "refused"),
    ];
    let expected: Vec<(String, String, String, String)> = expected
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(brief, expected, "{entries:#?}");
    for e in &entries {
        assert!(
            e["source"].as_str().unwrap().starts_with("127.0.0.1:"),
            "{e}"
        );
        assert!(e["time"].as_str().unwrap().ends_with('Z'), "{e}");
    }
    assert_eq!(entries[1]["status"], 400, "{}", entries[1]);
    assert_eq!(entries[2]["status"], 403, "{}", entries[2]);
}

/// Issue 16: permissions. A principal gets only what it was granted, on every
/// front (Glue, REST, DDL, Thrift), and a refused call changes nothing.
#[test]
fn grants_hold_on_every_front_and_refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(
        dir.path(),
        &[
            "--auth",
            "sigv4",
            "--access-keys",
            "ROOT:root-secret,READER:reader-secret,WRITER:writer-secret",
            "--thrift-users",
            "reader:rpw",
            "--authorization",
            "grants",
            "--admins",
            "ROOT",
        ],
    );
    common::python_ok("glue/permissions_session.py", &[&s.base, &s.thrift]);
    s.sigterm();
}
