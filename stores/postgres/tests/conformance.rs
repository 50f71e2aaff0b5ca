//! The PostgreSQL store passes the conformance suite every backend shares, on a
//! real server (the test script's cluster), one fresh database per group.

use lakecat_store_postgres::{testing, PgStore};

#[test]
fn postgres_store_conforms() {
    lakecat_catalog_api::conformance::run_all(&|cap| {
        let url = testing::fresh_database("conformance");
        Box::new(PgStore::open(&url, cap).unwrap())
    });
}
