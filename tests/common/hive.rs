//! The real Hive Metastore 2.3.10 (embedded Derby, or on PostgreSQL) from the pyspark wheel, for the
//! differential tests and the benchmarks.
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The pyspark wheel's jars (installed into .venv by scripts/test.sh).
pub fn spark_jars() -> PathBuf {
    let python = format!("{}/.venv/bin/python", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(python)
        .args([
            "-c",
            "import pyspark, os; print(os.path.dirname(pyspark.__file__))",
        ])
        .output()
        .expect(".venv/bin/python: run scripts/test.sh");
    assert!(
        out.status.success(),
        "pyspark is not installed in .venv: run scripts/test.sh"
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("jars")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The real Hive Metastore 2.3.10 (embedded Derby) from the pyspark wheel.
pub struct RealHms {
    child: Child,
    pub port: u16,
}

impl Drop for RealHms {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn real_hms(dir: &Path) -> RealHms {
    real_hms_on(dir, None)
}

/// Debian's PostgreSQL JDBC driver (`libpostgresql-jdbc-java`).
pub const POSTGRES_JDBC_JAR: &str = "/usr/share/java/postgresql.jar";

/// The real Hive Metastore 2.3.10 with its metadata in embedded Derby, or in the
/// PostgreSQL database at `postgres` (a `postgres://user@host:port/db` URL without
/// a password), as a Hive Metastore runs in production.
pub fn real_hms_on(dir: &Path, postgres: Option<&str>) -> RealHms {
    let conf = dir.join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    let d = dir.display();
    let connection = match postgres {
        None => format!(
            "<property><name>javax.jdo.option.ConnectionURL</name><value>jdbc:derby:;databaseName={d}/db;create=true</value></property>"
        ),
        Some(url) => {
            let rest = url.strip_prefix("postgres://").expect("a postgres:// URL");
            let (user, hostdb) = rest.split_once('@').expect("user@host");
            format!(
                "<property><name>javax.jdo.option.ConnectionURL</name><value>jdbc:postgresql://{hostdb}</value></property>
<property><name>javax.jdo.option.ConnectionDriverName</name><value>org.postgresql.Driver</value></property>
<property><name>javax.jdo.option.ConnectionUserName</name><value>{user}</value></property>"
            )
        }
    };
    let extra_jar = if postgres.is_some() {
        format!(":{POSTGRES_JDBC_JAR}")
    } else {
        String::new()
    };
    std::fs::write(
        conf.join("hive-site.xml"),
        format!(
            r#"<configuration>
{connection}
<property><name>datanucleus.schema.autoCreateAll</name><value>true</value></property>
<property><name>hive.metastore.schema.verification</name><value>false</value></property>
<property><name>datanucleus.connectionPoolingType</name><value>DBCP</value></property>
<property><name>hive.metastore.warehouse.dir</name><value>file://{d}/warehouse</value></property>
</configuration>"#
        ),
    )
    .unwrap();
    let port = free_port();
    let child = Command::new("java")
        .arg("-Dlog4j2.contextSelector=org.apache.logging.log4j.core.selector.ClassLoaderContextSelector")
        // Derby writes derby.log into the working directory unless told otherwise.
        .arg(format!("-Dderby.stream.error.file={}/derby.log", dir.display()))
        .arg("-cp")
        .arg(format!("{}:{}/*{extra_jar}", conf.display(), spark_jars().display()))
        .args(["org.apache.hadoop.hive.metastore.HiveMetaStore", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("java (17) runs the reference Hive Metastore");
    let end = Instant::now() + Duration::from_secs(120);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < end,
            "the reference Hive Metastore did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    RealHms { child, port }
}
