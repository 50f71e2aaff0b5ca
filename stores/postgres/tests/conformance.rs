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

/// GetTable's async path (its own pipelined connections) answers what the
/// blocking call answers: the table, and the same errors for a missing table
/// and a missing database; and it keeps answering after its connections were
/// cut, as a database restart cuts them.
#[test]
fn get_table_async_answers_as_get_table() {
    use lakecat_catalog_api::conformance::sample_table;
    use lakecat_catalog_api::model::Database;
    use lakecat_catalog_api::names::{DatabaseName, TableIdent};
    use lakecat_catalog_api::store::CatalogStore;

    let url = testing::fresh_database("get_table_async");
    let s = PgStore::open(&url, 10).unwrap();
    s.create_database(Database::new(DatabaseName::new("a").unwrap()))
        .unwrap();
    s.create_table(&DatabaseName::new("a").unwrap(), sample_table("t"))
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for (d, t) in [("a", "t"), ("a", "nope"), ("nodb", "t")] {
        let id = TableIdent::parse(d, t).unwrap();
        let sync = s.get_table(&id);
        let asynch = rt.block_on(s.get_table_async(&id));
        match (sync, asynch) {
            (Ok(x), Ok(y)) => assert_eq!(x, y),
            (Err(x), Err(y)) => assert_eq!((x.kind, x.message), (y.kind, y.message)),
            (x, y) => panic!("{d}.{t}: blocking {x:?}, async {y:?}"),
        }
    }
    // Many at once share the few connections.
    let id = TableIdent::parse("a", "t").unwrap();
    let all = rt.block_on(async {
        let calls: Vec<_> = (0..200).map(|_| s.get_table_async(&id)).collect();
        let mut ok = 0;
        for c in calls {
            ok += usize::from(c.await.is_ok());
        }
        ok
    });
    assert_eq!(all, 200);
    // The server ends every other session (as a restart would): the next call
    // is asked again on a fresh connection.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .unwrap();
    for _ in 0..8 {
        let r = rt.block_on(s.get_table_async(&id));
        assert!(r.is_ok(), "after the sessions were ended: {r:?}");
    }
}
