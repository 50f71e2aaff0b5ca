//! The cost of security, in one run: GetTable over HTTP and HTTPS (wrk, 64
//! connections), and the Hive Metastore's get_table over plain Thrift, Thrift
//! with TLS, with SASL PLAIN and with SASL GSSAPI (64 connections, a Rust load
//! generator on lakecat's own Thrift codec), and what one sign-in costs.
//!
//! `cargo bench --bench security` (or `bash scripts/bench.sh security`, which
//! installs wrk). The certificate is made with the `openssl` command, the
//! Kerberos realm by scripts/kdc.sh.

#[path = "server.rs"]
mod server;
#[path = "thrift_load.rs"]
mod thrift_load;

use std::io::Write;
use std::process::Command;
use std::sync::Arc;
use thrift_load::Conn;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Plain,
    Tls,
    Sasl,
    Kerberos,
}

fn connect(
    addr: &str,
    mode: Mode,
    roots: &Arc<rustls::RootCertStore>,
    realm: &std::path::Path,
) -> Box<dyn Conn> {
    let tcp = thrift_load::tcp(addr);
    match mode {
        Mode::Plain => Box::new(tcp),
        Mode::Tls => {
            let cfg = rustls::ClientConfig::builder()
                .with_root_certificates(roots.clone())
                .with_no_client_auth();
            let name = ServerName::try_from("127.0.0.1").unwrap().to_owned();
            let c = rustls::ClientConnection::new(Arc::new(cfg), name).unwrap();
            Box::new(rustls::StreamOwned::new(c, tcp))
        }
        Mode::Sasl => {
            use lakecat::hms::sasl::{message, read_message, COMPLETE, OK, START};
            let mut tcp = tcp;
            tcp.write_all(&message(START, b"PLAIN")).unwrap();
            tcp.write_all(&message(OK, b"\0bench\0secret")).unwrap();
            let (status, _) = read_message(&mut tcp).unwrap();
            assert_eq!(status, COMPLETE, "SASL negotiation did not complete");
            Box::new(tcp)
        }
        Mode::Kerberos => {
            let mut tcp = tcp;
            let mut gss = lakecat::hms::gssapi::Initiator::new(
                &realm.join("alice.keytab"),
                "alice@LAKECAT.TEST",
                "hive/localhost@LAKECAT.TEST",
            )
            .unwrap();
            lakecat::hms::sasl::gssapi_sign_in(&mut tcp, &mut gss, 1, "").unwrap();
            Box::new(tcp)
        }
    }
}

fn server_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(true)
        .build()
        .into()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args([
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        // A server certificate, not a CA's: rustls refuses a CA used as an end entity.
        .args([
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ])
        .output();
    if !made.as_ref().is_ok_and(|o| o.status.success()) {
        println!("the openssl command could not make a certificate; nothing measured");
        return;
    }
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&cert).unwrap())
        .unwrap();
    let roots = Arc::new(roots);
    let (c, k) = (
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
    );
    // The same catalog (one table) in each server's folder, made over plain HTTP
    // before the TLS server opens it.
    let folders = [
        dir.path().join("plain"),
        dir.path().join("tls"),
        dir.path().join("sasl"),
        dir.path().join("kerberos"),
    ];
    let agent = server_agent();
    let table = serde_json::json!({"name": "events", "table_type": "EXTERNAL_TABLE",
        "storage_descriptor": {"columns": [{"name": "id", "type": "bigint"}], "location": "s3://b/events/"}});
    for f in &folders {
        let s = server::start_with(Some(f), &[]);
        agent
            .post(&format!("{}/v1/databases", s.base))
            .send_json(serde_json::json!({"name": "bench"}))
            .unwrap();
        agent
            .post(&format!("{}/v1/databases/bench/tables", s.base))
            .send_json(&table)
            .unwrap();
    }
    let plain = server::start_with(Some(&folders[0]), &[]);
    let tls = server::start_with(
        Some(&folders[1]),
        &["--tls-cert", &c, "--tls-key", &k, "--thrift-tls"],
    );
    let sasl = server::start_with(Some(&folders[2]), &["--thrift-users", "bench:secret"]);
    let realm = dir.path().join("realm");
    let kdc = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kdc.sh"))
        .arg("start")
        .arg(&realm)
        .output();
    if !kdc.as_ref().is_ok_and(|o| o.status.success()) {
        println!("scripts/kdc.sh could not start a Kerberos realm; nothing measured");
        return;
    }
    // Before the first sign-in, the only moment MIT's library reads it; the
    // server inherits it.
    std::env::set_var("KRB5_CONFIG", realm.join("krb5.conf"));
    let kerberos = server::start_with(
        Some(&folders[3]),
        &[
            "--thrift-kerberos-keytab",
            &realm.join("hive.keytab").to_string_lossy(),
        ],
    );
    let secs = if full { 10.0 } else { 1.0 };
    println!("The cost of security: GetTable, 64 connections, {secs} s each, same run\n");
    println!("1. HTTP GetTable (REST), wrk -t2 -c64");
    if full {
        for (who, s) in [("plain HTTP", &plain), ("HTTPS (TLS 1.3, P-256)", &tls)] {
            let url = format!("{}/v1/databases/bench/tables/events", s.base);
            match server::wrk(&["-t2", "-c64", &format!("-d{secs}s"), "--latency", &url]) {
                Ok((r, p99)) => println!("   {who:<36} {r}   latency {p99}"),
                Err(e) => println!("   {who:<36} {e}"),
            }
        }
    } else {
        println!("   (wrk runs with --bench only)");
    }
    println!("\n2. Thrift get_table, 64 connections");
    for (who, s, mode) in [
        ("plain Thrift", &plain, Mode::Plain),
        ("Thrift over TLS", &tls, Mode::Tls),
        ("Thrift with SASL PLAIN", &sasl, Mode::Sasl),
        (
            "Thrift with SASL GSSAPI (Kerberos)",
            &kerberos,
            Mode::Kerberos,
        ),
    ] {
        let addr = s.thrift.clone();
        let framed = matches!(mode, Mode::Sasl | Mode::Kerberos);
        let (rate, p99) =
            thrift_load::load(64, secs, framed, &|| connect(&addr, mode, &roots, &realm));
        println!("   {who:<36} {rate:>9.0} calls/s   p99 {p99:.2} ms");
    }
    // The sign-ins themselves: a Kerberos handshake asks the KDC for a ticket.
    let n = if full { 200 } else { 20 };
    for (who, s, mode) in [
        ("SASL PLAIN sign-in", &sasl, Mode::Sasl),
        (
            "SASL GSSAPI sign-in (ticket + AP-REQ)",
            &kerberos,
            Mode::Kerberos,
        ),
    ] {
        let t = std::time::Instant::now();
        for _ in 0..n {
            drop(connect(&s.thrift, mode, &roots, &realm));
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
        println!("   {who:<36} {ms:>9.2} ms each (one connection at a time)");
    }
    let _ = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kdc.sh"))
        .arg("stop")
        .arg(&realm)
        .status();
}
