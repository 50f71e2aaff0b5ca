//! Throwaway databases for tests: the test script starts a PostgreSQL cluster
//! (`scripts/postgres.sh`) and names it in `LAKECAT_TEST_PG`; every test that
//! needs an empty catalog gets a database of its own in it.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The variable that names the test cluster's administrative URL.
pub const TEST_PG_VAR: &str = "LAKECAT_TEST_PG";

/// The test cluster's URL. Panics with directions when it is not set: a test
/// that needs PostgreSQL must not pass without one.
pub fn cluster_url() -> String {
    std::env::var(TEST_PG_VAR).unwrap_or_else(|_| {
        panic!(
            "{TEST_PG_VAR} is not set: run the tests with scripts/test.sh, which starts a \
             PostgreSQL cluster, or start one with `scripts/postgres.sh start DIR` and export \
             {TEST_PG_VAR}=<the URL it prints>"
        )
    })
}

/// Creates an empty database and returns its URL (the cluster's URL with the
/// database name replaced).
pub fn fresh_database(label: &str) -> String {
    let label = label.to_string();
    std::thread::spawn(move || fresh_database_here(&label))
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

fn fresh_database_here(label: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let admin = cluster_url();
    let name = format!(
        "lc_{label}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut c = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot reach the test cluster at {admin}: {e}"));
    c.batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// The database of a test catalog named by `key` (a test's data folder),
/// created empty on first use: a server restarted on the same folder finds
/// the catalog it left, as with the embedded store.
pub fn database_for(key: &str) -> String {
    let key = key.to_string();
    // On a thread of its own: tests call this from async code too.
    std::thread::spawn(move || database_for_here(&key))
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

fn database_for_here(key: &str) -> String {
    // FNV-1a: stable across processes, unlike the standard hasher.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let name = format!("lc_dir_{hash:016x}");
    let admin = cluster_url();
    let mut c = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot reach the test cluster at {admin}: {e}"));
    let exists = c
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .unwrap()
        .is_some();
    if !exists {
        if let Err(e) = c.batch_execute(&format!("CREATE DATABASE {name}")) {
            // Another test process created it meanwhile.
            if !e.to_string().contains("already exists") {
                panic!("CREATE DATABASE {name}: {e}");
            }
        }
    }
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}
