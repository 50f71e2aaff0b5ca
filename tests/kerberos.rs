//! SASL GSSAPI (Kerberos) on the Thrift port (issue 16), against a throwaway MIT
//! realm that scripts/kdc.sh makes on 127.0.0.1: lakecat's own GSS-API initiator
//! for the protocol's cases (who gets in, who is refused and why, and that
//! grants follow the Kerberos name), and Spark's Hive client signing in with a
//! keytab as it does to a kerberized Hive Metastore.
//!
//! A test binary of its own: MIT's library reads the realm's krb5.conf from
//! `KRB5_CONFIG`, which this process must set before its first sign-in, and no
//! other test should share a process with that.

mod common;

use lakecat::hms::gssapi::Initiator;
use lakecat::hms::sasl::{gssapi_sign_in, message, read_message, BAD, OK, START};
use lakecat::hms::thrift::{self, Reader, TStruct, TValue};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const SERVICE: &str = "hive/localhost@LAKECAT.TEST";

/// A realm whose KDC stops with it.
struct Realm {
    dir: tempfile::TempDir,
}

impl Realm {
    fn start() -> Realm {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("bash")
            .arg(format!("{}/scripts/kdc.sh", env!("CARGO_MANIFEST_DIR")))
            .args(["start", &dir.path().to_string_lossy()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "scripts/kdc.sh start failed (scripts/test.sh installs MIT Kerberos):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Realm { dir }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }
}

impl Drop for Realm {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(format!("{}/scripts/kdc.sh", env!("CARGO_MANIFEST_DIR")))
            .args(["stop", &self.dir.path().to_string_lossy()])
            .status();
    }
}

/// How a test client behaves at the security-layer step.
struct Choice<'a> {
    layer: u8,
    authzid: &'a str,
}

const NO_LAYER: Choice = Choice {
    layer: 1,
    authzid: "",
};

/// A signed-in connection, with its security layer.
struct Client {
    s: TcpStream,
    gss: Initiator,
    layer: u8,
}

/// Signs in over SASL GSSAPI as Hive's clients do; the connection once the
/// server said COMPLETE, or the server's reason for refusing.
fn sign_in(
    addr: &str,
    keytab: &Path,
    principal: &str,
    service: &str,
    choice: Choice,
) -> Result<Client, String> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut gss = Initiator::new(keytab, principal, service)?;
    gssapi_sign_in(&mut s, &mut gss, choice.layer, choice.authzid)?;
    Ok(Client {
        s,
        gss,
        layer: choice.layer,
    })
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a connection with layer {}", self.layer)
    }
}

impl Client {
    /// Sends a frame as the layer wants it (or, to test, encrypted or not).
    fn send(&mut self, payload: &[u8], encrypt: Option<bool>) {
        let frame = match (self.layer, encrypt) {
            (1, None) => payload.to_vec(),
            (layer, None) => self.gss.wrap(payload, layer == 4).unwrap(),
            (_, Some(conf)) => self.gss.wrap(payload, conf).unwrap(),
        };
        self.s
            .write_all(&(frame.len() as u32).to_be_bytes())
            .unwrap();
        self.s.write_all(&frame).unwrap();
    }

    /// A call in a 4-byte frame, as every message after SASL travels.
    fn call(&mut self, name: &str, args: TStruct) -> thrift::Message {
        self.send(&thrift::write_message(name, thrift::CALL, 1, &args), None);
        let mut len = [0u8; 4];
        self.s.read_exact(&mut len).unwrap();
        let mut frame = vec![0u8; u32::from_be_bytes(len) as usize];
        self.s.read_exact(&mut frame).unwrap();
        if self.layer != 1 {
            let (plain, encrypted) = self.gss.unwrap(&frame).unwrap();
            assert_eq!(encrypted, self.layer == 4, "the reply's protection");
            frame = plain;
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut r: &[u8] = &frame[1..];
        rt.block_on(Reader::new(&mut r, frame.len()).message(frame[0]))
            .unwrap()
    }

    fn databases(&mut self) -> Vec<String> {
        let m = self.call("get_all_databases", TStruct::new());
        assert_eq!(m.kind, thrift::REPLY);
        m.args.strings(0)
    }

    fn create_database(&mut self, name: &str) -> thrift::Message {
        let db = TStruct::new().with_str(1, name);
        self.call(
            "create_database",
            TStruct::new().with(1, TValue::Struct(db)),
        )
    }
}

/// The message of the exception a reply carries, if any.
fn exception(m: &thrift::Message) -> Option<String> {
    m.args.fields.iter().find_map(|(id, v)| match v {
        TValue::Struct(e) if *id >= 1 => e.str(1),
        _ => None,
    })
}

/// `lakecat serve` with these arguments, on a folder of its own, exits at once.
fn refused_at_start(args: &[&str], conf: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec!["--data-dir", dir.path().to_str().unwrap()];
    all.extend_from_slice(args);
    common::refused_at_start(&all, &[("KRB5_CONFIG", conf.to_str().unwrap())])
}

#[test]
fn kerberos_users_sign_in_and_their_grants_follow_their_names() {
    let realm = Realm::start();
    let conf = realm.path("krb5.conf");
    // Before this process's first sign-in, the only moment MIT reads it.
    std::env::set_var("KRB5_CONFIG", &conf);
    let keytab = realm.path("hive.keytab").to_string_lossy().into_owned();
    let conf_env = conf.to_string_lossy().into_owned();
    let dir = tempfile::tempdir().unwrap();
    let server = common::start_with_env(
        dir.path(),
        &[
            "--thrift-kerberos-keytab",
            &keytab,
            "--thrift-kerberos-principal",
            SERVICE,
            "--authorization",
            "grants",
            "--admins",
            "alice",
        ],
        &[("KRB5_CONFIG", &conf_env)],
    );
    let addr = server.thrift.clone();
    let user = |name: &str, layer: u8, authzid: &str| {
        sign_in(
            &addr,
            &realm.path(&format!("{name}.keytab")),
            &format!("{name}@LAKECAT.TEST"),
            SERVICE,
            Choice { layer, authzid },
        )
    };

    // alice, an administrator by her Kerberos name, creates a database.
    let mut alice = user("alice", 1, "").expect("alice signs in");
    let m = alice.create_database("kerb");
    assert_eq!(exception(&m), None, "alice may create databases");
    assert!(alice.databases().contains(&"kerb".to_string()));

    // bob signs in too, but holds no grant: refused, nothing changed.
    let mut bob = user("bob", 1, "").expect("bob signs in");
    let m = bob.create_database("bobs");
    let why = exception(&m).expect("bob's create_database is refused");
    assert!(
        why.contains("bob"),
        "the refusal names the principal: {why}"
    );
    assert!(!alice.databases().contains(&"bobs".to_string()));

    // Integrity and privacy: every frame signed, or signed and encrypted.
    for layer in [2, 4] {
        let mut c = user("alice", layer, "").expect("the layer is offered");
        let m = c.create_database(&format!("layer{layer}"));
        assert_eq!(exception(&m), None);
        assert!(c.databases().contains(&format!("layer{layer}")));
    }
    // On a privacy layer, a frame that is only signed is refused.
    let mut c = user("alice", 4, "").unwrap();
    c.send(
        &thrift::write_message("get_all_databases", thrift::CALL, 1, &TStruct::new()),
        Some(false),
    );
    let mut rest = Vec::new();
    let _ = c.s.read_to_end(&mut rest);
    assert!(
        rest.is_empty(),
        "a clear frame on a privacy layer was answered"
    );

    // Hive's Python clients: hmsclient over thrift_sasl and pure-sasl, with
    // pykerberos and a ticket cache, with and without protection.
    let port = addr.rsplit_once(':').unwrap().1;
    common::python_ok(
        "hms/kerberos_session.py",
        &[
            &format!("localhost:{port}"),
            &realm.dir.path().to_string_lossy(),
        ],
    );

    // Acting for someone else; two layers at once.
    let err = user("bob", 1, "alice").expect_err("bob may not act as alice");
    assert!(err.contains("may not act as"), "{err}");
    let err = user("alice", 6, "").expect_err("two layers at once");
    assert!(err.contains("not offered"), "{err}");

    // A ticket for a service whose key lakecat does not hold.
    let err = sign_in(
        &addr,
        &realm.path("alice.keytab"),
        "alice@LAKECAT.TEST",
        "impostor/localhost@LAKECAT.TEST",
        NO_LAYER,
    )
    .expect_err("a ticket for another service is refused");
    assert!(!err.is_empty(), "the refusal says why");

    // Garbage for a token, another mechanism, and no SASL at all.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&message(START, b"GSSAPI")).unwrap();
    s.write_all(&message(OK, b"not a kerberos token")).unwrap();
    let (status, body) = read_message(&mut s).unwrap();
    assert_eq!(status, BAD, "{}", String::from_utf8_lossy(&body));
    // A token that claims a gigabyte: the connection is closed before any of
    // it is read or allocated.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&message(START, b"GSSAPI")).unwrap();
    s.write_all(&[OK, 0x40, 0, 0, 0]).unwrap();
    let mut rest = Vec::new();
    assert!(
        s.read_to_end(&mut rest).is_ok() && rest.is_empty(),
        "{rest:?}"
    );
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&message(START, b"PLAIN")).unwrap();
    let (status, body) = read_message(&mut s).unwrap();
    assert_eq!(status, BAD);
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("only GSSAPI"), "{body}");
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let call = thrift::write_message("get_all_databases", thrift::CALL, 1, &TStruct::new());
    s.write_all(&call).unwrap();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(
        !String::from_utf8_lossy(&rest).contains("kerb"),
        "a client without SASL was answered"
    );

    // After all that, alice's connection still works and new ones still can.
    assert!(alice.databases().contains(&"kerb".to_string()));
    let mut again = user("alice", 1, "").expect("alice signs in again");
    assert!(again.databases().contains(&"kerb".to_string()));
    server.sigterm();

    // What would fail every sign-in fails at start instead.
    let err = refused_at_start(
        &[
            "--thrift-kerberos-keytab",
            &keytab,
            "--thrift-kerberos-principal",
            "hive/elsewhere@LAKECAT.TEST",
        ],
        &conf,
    );
    assert!(err.contains("hive/elsewhere@LAKECAT.TEST"), "{err}");
    let err = refused_at_start(
        &["--thrift-kerberos-keytab", "/nonexistent/hive.keytab"],
        &conf,
    );
    assert!(err.contains("does not exist"), "{err}");
    let err = refused_at_start(&["--thrift-kerberos-principal", SERVICE], &conf);
    assert!(err.contains("need --thrift-kerberos-keytab"), "{err}");
    let args = [
        "--thrift-kerberos-keytab",
        &keytab,
        "--thrift-kerberos-protection",
        "secrecy",
    ];
    let err = refused_at_start(&args, &conf);
    assert!(err.contains("\"secrecy\" is not one of"), "{err}");

    // Kerberos is authentication enough beside SigV4 on HTTP, and where an
    // operator requires privacy, as with hadoop.rpc.protection.
    let both = common::start_with_env(
        &dir.path().join("both"),
        &[
            "--auth",
            "sigv4",
            "--access-keys",
            "K:secret",
            "--thrift-kerberos-keytab",
            &keytab,
            "--thrift-kerberos-protection",
            "privacy",
        ],
        &[("KRB5_CONFIG", &conf_env)],
    );
    let alice_at = |layer: u8| {
        sign_in(
            &both.thrift,
            &realm.path("alice.keytab"),
            "alice@LAKECAT.TEST",
            SERVICE,
            Choice { layer, authzid: "" },
        )
    };
    let err = alice_at(1).expect_err("privacy is required");
    assert!(
        err.contains("authentication, which is not offered (this port offers privacy"),
        "{err}"
    );
    let mut c = alice_at(4).expect("alice signs in with privacy beside SigV4");
    assert!(c.databases().contains(&"default".to_string()));
    both.sigterm();
}

/// Spark's Hive client with a keytab, as against a kerberized Hive Metastore.
#[test]
fn spark_signs_in_with_kerberos() {
    let realm = Realm::start();
    let conf = realm.path("krb5.conf").to_string_lossy().into_owned();
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("spark");
    std::fs::create_dir_all(&scratch).unwrap();
    let server = common::start_with_env(
        &dir.path().join("catalog"),
        &[
            "--thrift-kerberos-keytab",
            &realm.path("hive.keytab").to_string_lossy(),
            "--thrift-kerberos-protection",
            "privacy",
            "--allowed-locations",
            &scratch.to_string_lossy(),
            "--authorization",
            "grants",
            "--admins",
            "spark",
        ],
        &[("KRB5_CONFIG", &conf)],
    );
    common::python_ok(
        "hms/spark_kerberos_session.py",
        &[
            &server.thrift,
            &scratch.to_string_lossy(),
            &realm.dir.path().to_string_lossy(),
        ],
    );
    // Spark's calls were made as the Kerberos user `spark`, an administrator
    // here; an anonymous caller would have been refused its first write.
    server.sigterm();
}
