//! HiveQL DDL end to end: a corpus of realistic table definitions executed and
//! checked field by field, SHOW CREATE TABLE round trips, every error path leaving
//! the catalog unchanged, MSCK REPAIR over a real folder, and `POST /v1/ddl`.

mod common;

use lakecat::services::folders::Folders;
use lakecat::services::sql::{execute, ScriptOutcome};
use lakecat_catalog_api::memory::MemoryStore;
use lakecat_catalog_api::model::{Partition, Table};
use lakecat_catalog_api::store::{CatalogStore, PageRequest};
use lakecat_catalog_api::TableIdent;
use serde_json::Value;

struct Env {
    store: std::sync::Arc<dyn CatalogStore>,
    _dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    folders: Folders,
}

impl Env {
    /// Folders may be moved anywhere in the system's temporary folder, where
    /// these tests make theirs.
    fn new() -> Env {
        let tmp = std::env::temp_dir();
        Env::with_folders(Folders::new(
            &tmp.join("lakecat-warehouse"),
            &[tmp.to_string_lossy().into_owned()],
            None,
        ))
    }
    fn with_folders(folders: Folders) -> Env {
        let dir = tempfile::tempdir().unwrap();
        Env {
            store: common::test_store(dir.path(), 10),
            _dir: dir,
            rt: tokio::runtime::Runtime::new().unwrap(),
            folders,
        }
    }
    fn run(&self, sql: &str) -> ScriptOutcome {
        execute(
            &*self.store,
            &self.folders,
            self.rt.handle(),
            sql,
            "default",
            None,
        )
    }
    fn ok(&self, sql: &str) -> ScriptOutcome {
        let o = self.run(sql);
        if let Some(e) = &o.error {
            panic!("{}\n{sql}", e.error.message);
        }
        o
    }
    fn table(&self, db: &str, t: &str) -> Table {
        self.store
            .get_table(&TableIdent::parse(db, t).unwrap())
            .unwrap()
    }
    fn partitions(&self, db: &str, t: &str) -> Vec<Partition> {
        self.store
            .list_partitions(
                &TableIdent::parse(db, t).unwrap(),
                None,
                &PageRequest::first(1000),
            )
            .unwrap()
            .items
    }
    /// Everything in the catalog, for "nothing changed" checks.
    fn snapshot(&self) -> String {
        let mut out = String::new();
        for d in self
            .store
            .list_databases(&PageRequest::first(1000))
            .unwrap()
            .items
        {
            out.push_str(&serde_json::to_string(&d).unwrap());
            for t in self
                .store
                .list_tables(&d.name, None, &PageRequest::first(1000))
                .unwrap()
                .items
            {
                out.push_str(&serde_json::to_string(&t).unwrap());
                let id = TableIdent::new(d.name.clone(), t.name.clone());
                for p in self
                    .store
                    .list_partitions(&id, None, &PageRequest::first(1000))
                    .unwrap()
                    .items
                {
                    out.push_str(&serde_json::to_string(&p).unwrap());
                }
            }
        }
        out
    }
}

fn rows(o: &ScriptOutcome, i: usize) -> Vec<Vec<String>> {
    o.results[i].result_set.as_ref().unwrap().rows.clone()
}

/// Realistic DDL: the shapes people paste from the Athena documentation and Spark.
const CORPUS: &[(&str, &str)] = &[
    ("cloudtrail", r#"CREATE EXTERNAL TABLE logs.cloudtrail (
        eventversion STRING,
        useridentity STRUCT<type:STRING, principalid:STRING, sessioncontext:STRUCT<attributes:STRUCT<mfaauthenticated:STRING>>>,
        eventtime STRING,
        resources ARRAY<STRUCT<arn:STRING, accountid:STRING>>,
        additionaleventdata STRING COMMENT 'json text')
      COMMENT 'CloudTrail logs'
      PARTITIONED BY (region string, year string)
      ROW FORMAT SERDE 'com.amazon.emr.hive.serde.CloudTrailSerde'
      STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
      OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
      LOCATION 's3://trail/AWSLogs/123/CloudTrail/'"#),
    ("alb", r#"CREATE EXTERNAL TABLE IF NOT EXISTS logs.alb (type string, time string, elb_status_code int, received_bytes bigint)
      PARTITIONED BY (day string)
      ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
      WITH SERDEPROPERTIES ('serialization.format' = '1', 'input.regex' = '([^ ]*) ([^ ]*) ([-0-9]*) ([-0-9]*) ?([^ ]*)?')
      LOCATION 's3://alb/AWSLogs/'
      TBLPROPERTIES ('projection.enabled'='true', 'projection.day.type'='date', 'projection.day.range'='2022/01/01,NOW',
        'projection.day.format'='yyyy/MM/dd', 'storage.location.template'='s3://alb/AWSLogs/${day}')"#),
    ("vpc", "CREATE EXTERNAL TABLE logs.vpc (version int, account_id string, srcaddr string, dstport int, packets bigint, `start` bigint)
      PARTITIONED BY (`date` date)
      ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '
      LOCATION 's3://vpc/AWSLogs/'
      TBLPROPERTIES ('skip.header.line.count'='1')"),
    ("cloudfront", r"CREATE EXTERNAL TABLE logs.cloudfront (`date` DATE, time STRING, location STRING, bytes BIGINT, status INT, referrer STRING, price DECIMAL(10,2))
      ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t' ESCAPED BY '\\' COLLECTION ITEMS TERMINATED BY '\002'
        MAP KEYS TERMINATED BY '\003' LINES TERMINATED BY '\n' NULL DEFINED AS '-'
      STORED AS TEXTFILE
      LOCATION 's3://cf/'
      TBLPROPERTIES ('skip.header.line.count'='2')"),
    ("spark", "CREATE TABLE logs.spark_events (id BIGINT, kind STRING, attrs MAP<STRING,ARRAY<INT>>, at TIMESTAMP)
      PARTITIONED BY (dt STRING)
      CLUSTERED BY (id) SORTED BY (at DESC) INTO 8 BUCKETS
      STORED AS PARQUET
      LOCATION 's3://lake/events/'
      TBLPROPERTIES ('parquet.compression'='SNAPPY')"),
    ("json", "CREATE EXTERNAL TABLE logs.nested (id int, customer struct<name:string, address:struct<city:string, zip:string>>, items array<struct<sku:string, qty:int>>)
      ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' WITH SERDEPROPERTIES ('ignore.malformed.json'='true')
      LOCATION 's3://lake/orders/'"),
    ("opencsv", r#"CREATE EXTERNAL TABLE logs.quoted (a string, b string, c string)
      ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
      WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '\"', 'escapeChar' = '\\')
      STORED AS TEXTFILE LOCATION 's3://lake/quoted/'"#),
    ("avro_orc", "CREATE EXTERNAL TABLE logs.orc_t (x int) STORED AS ORC LOCATION 's3://lake/orc/'"),
];

fn corpus_env() -> Env {
    let e = Env::new();
    e.ok("CREATE DATABASE logs LOCATION 's3://warehouse/logs/'");
    for (_, sql) in CORPUS {
        e.ok(sql);
    }
    e
}

#[test]
fn the_corpus_is_stored_field_by_field() {
    let e = corpus_env();
    let t = e.table("logs", "cloudtrail");
    assert_eq!(t.table_type.unwrap().as_str(), "EXTERNAL_TABLE");
    assert_eq!(t.description.as_deref(), Some("CloudTrail logs"));
    assert_eq!(t.parameters["EXTERNAL"], "TRUE");
    let sd = t.storage_descriptor.as_ref().unwrap();
    assert_eq!(sd.columns[1].type_, "struct<type:string,principalid:string,sessioncontext:struct<attributes:struct<mfaauthenticated:string>>>");
    assert_eq!(sd.columns[4].comment.as_deref(), Some("json text"));
    assert_eq!(
        sd.serde_info
            .as_ref()
            .unwrap()
            .serialization_library
            .as_deref(),
        Some("com.amazon.emr.hive.serde.CloudTrailSerde")
    );
    assert_eq!(
        sd.input_format.as_deref(),
        Some("com.amazon.emr.cloudtrail.CloudTrailInputFormat")
    );
    assert_eq!(
        t.partition_keys
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["region", "year"]
    );

    let t = e.table("logs", "alb");
    let serde = t
        .storage_descriptor
        .as_ref()
        .unwrap()
        .serde_info
        .clone()
        .unwrap();
    assert_eq!(
        serde.parameters["input.regex"],
        "([^ ]*) ([^ ]*) ([-0-9]*) ([-0-9]*) ?([^ ]*)?"
    );
    assert_eq!(t.parameters["projection.day.type"], "date");

    let t = e.table("logs", "vpc");
    let sd = t.storage_descriptor.unwrap();
    assert_eq!(
        sd.serde_info.as_ref().unwrap().parameters["field.delim"],
        " "
    );
    assert_eq!(t.partition_keys[0].type_, "date");

    let t = e.table("logs", "cloudfront");
    let p = t.storage_descriptor.unwrap().serde_info.unwrap().parameters;
    assert_eq!(p["field.delim"], "\t");
    assert_eq!(p["escape.delim"], "\\");
    assert_eq!(p["collection.delim"], "\u{2}");
    assert_eq!(p["mapkey.delim"], "\u{3}");
    assert_eq!(p["line.delim"], "\n");
    assert_eq!(p["serialization.null.format"], "-");

    let t = e.table("logs", "spark_events");
    assert_eq!(t.table_type.unwrap().as_str(), "MANAGED_TABLE");
    let sd = t.storage_descriptor.unwrap();
    assert_eq!(sd.number_of_buckets, Some(8));
    assert_eq!(sd.bucket_columns, ["id"]);
    assert_eq!(sd.sort_columns[0].column, "at");
    assert_eq!(sd.sort_columns[0].sort_order, 0);
    assert_eq!(
        sd.serde_info.unwrap().serialization_library.as_deref(),
        Some("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")
    );
    assert_eq!(sd.columns[2].type_, "map<string,array<int>>");

    let t = e.table("logs", "quoted");
    let p = t.storage_descriptor.unwrap().serde_info.unwrap().parameters;
    assert_eq!(p["quoteChar"], "\"");
    assert_eq!(p["escapeChar"], "\\");
    let t = e.table("logs", "orc_t");
    assert_eq!(
        t.storage_descriptor.unwrap().input_format.as_deref(),
        Some("org.apache.hadoop.hive.ql.io.orc.OrcInputFormat")
    );
}

#[test]
fn show_create_table_recreates_every_table_identically() {
    let e = corpus_env();
    let strip = |mut t: Table| {
        t.create_time = 0;
        t.update_time = 0;
        t.version_id = None;
        t
    };
    for t in e
        .store
        .list_tables(
            &lakecat_catalog_api::DatabaseName::new("logs").unwrap(),
            None,
            &PageRequest::first(100),
        )
        .unwrap()
        .items
    {
        let name = t.name.as_str().to_string();
        let o = e.ok(&format!("SHOW CREATE TABLE logs.{name}"));
        let ddl: String = rows(&o, 0)
            .into_iter()
            .map(|r| r[0].clone())
            .collect::<Vec<_>>()
            .join("\n");
        let before = strip(e.table("logs", &name));
        e.ok(&format!("DROP TABLE logs.{name}"));
        e.ok(&ddl);
        let after = strip(e.table("logs", &name));
        assert_eq!(before, after, "{name}:\n{ddl}");
    }
}

#[test]
fn partitions_alter_show_and_describe() {
    let e = Env::new();
    let o = e.ok(
        "CREATE DATABASE d LOCATION 'file:///wh/d';
         USE d;
         CREATE TABLE t (id bigint, name string) PARTITIONED BY (dt string, hour int) STORED AS PARQUET;
         ALTER TABLE t ADD PARTITION (dt='2024-01-01', hour=1) PARTITION (hour=2, dt='2024-01-01') LOCATION 's3://x/y/';
         ALTER TABLE t ADD IF NOT EXISTS PARTITION (dt='2024-01-01', hour=1);
         SHOW PARTITIONS t;
         SHOW PARTITIONS t PARTITION (hour=2);
         ALTER TABLE t PARTITION (dt='2024-01-01', hour=1) RENAME TO PARTITION (dt='2024-01-02', hour=1);
         ALTER TABLE t PARTITION (dt='2024-01-02', hour=1) SET LOCATION 's3://moved/';
         ALTER TABLE t SET TBLPROPERTIES ('owner'='ops', 'x'='1');
         ALTER TABLE t ADD COLUMNS (extra struct<a:int> COMMENT 'new');
         SHOW TBLPROPERTIES t ('owner');
         SHOW COLUMNS IN t;
         DESCRIBE t extra;
         DESCRIBE FORMATTED t;
         SHOW TABLES 't*|u';
         SHOW DATABASES LIKE 'D';
         ALTER TABLE t DROP PARTITION (dt='2024-01-01', hour=2);
         SHOW PARTITIONS t",
    );
    // A managed table without LOCATION lives in its database's folder.
    let t = e.table("d", "t");
    assert_eq!(
        t.storage_descriptor.as_ref().unwrap().location.as_deref(),
        Some("file:///wh/d/t")
    );
    assert_eq!(
        rows(&o, 5),
        [["dt=2024-01-01/hour=1"], ["dt=2024-01-01/hour=2"]]
    );
    assert_eq!(o.results[4].status, "ok");
    assert_eq!(rows(&o, 6), [["dt=2024-01-01/hour=2"]]);
    assert_eq!(rows(&o, 11), [["ops"]]);
    assert_eq!(
        rows(&o, 12),
        [["id"], ["name"], ["extra"], ["dt"], ["hour"]]
    );
    assert_eq!(rows(&o, 13), [["extra", "struct<a:int>", "new"]]);
    let formatted = rows(&o, 14);
    assert!(formatted
        .iter()
        .any(|r| r[0] == "SerDe Library:" && r[1].ends_with("ParquetHiveSerDe")));
    assert!(formatted
        .iter()
        .any(|r| r[0] == "Location:" && r[1] == "file:///wh/d/t"));
    assert_eq!(rows(&o, 15), [["t"]]);
    assert_eq!(rows(&o, 16), [["d"]]);
    assert_eq!(rows(&o, 18), [["dt=2024-01-02/hour=1"]]);
    let p = e.partitions("d", "t");
    assert_eq!(
        p[0].storage_descriptor
            .as_ref()
            .unwrap()
            .location
            .as_deref(),
        Some("s3://moved/")
    );
    // Default partition locations follow Hive: <table>/k=v/….
    e.ok("ALTER TABLE d.t ADD PARTITION (dt='a/b', hour=3)");
    let p = e.partitions("d", "t");
    let loc = p
        .iter()
        .find(|p| p.values[1] == "3")
        .unwrap()
        .storage_descriptor
        .clone()
        .unwrap()
        .location
        .unwrap();
    assert_eq!(loc, "file:///wh/d/t/dt=a%2Fb/hour=3/");
}

#[test]
fn tables_are_renamed_within_and_across_databases() {
    let e = Env::new();
    let o = e.ok(
        "CREATE DATABASE d LOCATION 'file:///wh/d';
         CREATE DATABASE d2;
         USE d;
         CREATE EXTERNAL TABLE ext (id bigint) PARTITIONED BY (dt string) STORED AS PARQUET LOCATION 's3://b/ext/';
         ALTER TABLE ext ADD PARTITION (dt='a') PARTITION (dt='b');
         ALTER TABLE ext RENAME TO Events;
         SHOW TABLES;
         ALTER TABLE d.events RENAME TO d2.events;
         SHOW TABLES IN d2;
         SHOW PARTITIONS d2.events;
         CREATE TABLE ext (x int) LOCATION 's3://b/other/'",
    );
    assert_eq!(rows(&o, 6), [["events"]]);
    assert_eq!(rows(&o, 8), [["events"]]);
    assert_eq!(rows(&o, 9), [["dt=a"], ["dt=b"]]);
    let t = e.table("d2", "events");
    let sd = t.storage_descriptor.as_ref().unwrap();
    assert_eq!(
        sd.location.as_deref(),
        Some("s3://b/ext/"),
        "a rename moves no data"
    );
    assert_eq!(t.version_id, Some(3));
    // A managed table in its database's folder moves its folder with it, as in Hive,
    // and its partitions follow.
    let wh = tempfile::tempdir().unwrap();
    let w = wh.path().display();
    e.ok(&format!(
        "CREATE DATABASE w LOCATION 'file://{w}/w';
         CREATE TABLE w.managed (x int) PARTITIONED BY (dt string);
         ALTER TABLE w.managed ADD PARTITION (dt='a')"
    ));
    std::fs::create_dir_all(wh.path().join("w/managed/dt=a")).unwrap();
    e.ok("ALTER TABLE w.managed RENAME TO m2");
    assert!(wh.path().join("w/m2/dt=a").is_dir());
    assert!(!wh.path().join("w/managed").exists());
    let new_location = format!("file://{w}/w/m2");
    let t = e.table("w", "m2");
    assert_eq!(
        t.storage_descriptor.unwrap().location,
        Some(new_location.clone())
    );
    let p = &e.partitions("w", "m2")[0];
    let loc = p
        .storage_descriptor
        .as_ref()
        .unwrap()
        .location
        .clone()
        .unwrap();
    assert!(loc.starts_with(&format!("{new_location}/")), "{loc}");
    // In an object store that would be a copy of every object: refused, nothing changes.
    e.ok("CREATE DATABASE s LOCATION 's3://b/s'; CREATE TABLE s.m (x int)");
    let before = e.snapshot();
    let o = e.run("ALTER TABLE s.m RENAME TO m2");
    let err = o.error.expect("refused").error.message;
    assert!(err.contains("moves local folders only"), "{err}");
    assert_eq!(e.snapshot(), before);
    // A managed table elsewhere is renamed like an external table.
    e.ok("ALTER TABLE d.ext RENAME TO d.ext2");
    assert_eq!(e.table("d", "ext2").version_id, Some(2));
}

/// Issue 16, defect 3: a database placed outside every folder lakecat may change
/// cannot be used to move folders there.
#[test]
fn renames_never_move_folders_outside_the_warehouse_and_allowed_locations() {
    let wh = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let e = Env::with_folders(Folders::new(wh.path(), &[], None));
    let o = outside.path().display();
    e.ok(&format!(
        "CREATE DATABASE evil LOCATION 'file://{o}/evil'; CREATE TABLE evil.t (a int)"
    ));
    std::fs::create_dir_all(outside.path().join("evil/t")).unwrap();
    std::fs::write(outside.path().join("evil/t/data"), b"x").unwrap();
    let before = e.snapshot();
    let err = e
        .run("ALTER TABLE evil.t RENAME TO evil.t2")
        .error
        .expect("refused")
        .error
        .message;
    assert!(
        err.contains("cannot move") && err.contains("--allowed-locations"),
        "{err}"
    );
    assert_eq!(e.snapshot(), before);
    assert!(outside.path().join("evil/t/data").exists());
    assert!(!outside.path().join("evil/t2").exists());
    // The same inside the warehouse moves, as Hive does.
    let w = wh.path().display();
    e.ok(&format!(
        "CREATE DATABASE ok LOCATION 'file://{w}/ok'; CREATE TABLE ok.t (a int)"
    ));
    std::fs::create_dir_all(wh.path().join("ok/t")).unwrap();
    e.ok("ALTER TABLE ok.t RENAME TO ok.t2");
    assert!(wh.path().join("ok/t2").is_dir());
}

#[test]
fn every_error_leaves_the_catalog_unchanged_and_says_where() {
    let e = corpus_env();
    e.ok(
        "CREATE TABLE logs.p (a int) PARTITIONED BY (dt string, h int) LOCATION 's3://p/';
          ALTER TABLE logs.p ADD PARTITION (dt='x', h=1)",
    );
    let cases: &[(&str, &str)] = &[
        ("CREATE TABLE logs.p (a int)", "already exists"),
        ("CREATE TABLE nodb.t (a int)", "not found"),
        ("CREATE TABLE logs.bad (a strng)", "invalid type"),
        ("CREATE TABLE logs.bad (a int) PARTITIONED BY (a string)", "repeats a column"),
        ("CREATE TABLE logs.bad (a int) CLUSTERED BY (zz) INTO 2 BUCKETS", "bucket column zz"),
        ("CREATE TABLE logs.bad (a int) PARTITIONED BY (d string) TBLPROPERTIES ('projection.enabled'='true')", "projection.d.type"),
        ("CREATE TABLE logs.bad (a int) PARTITIONED BY (d string) TBLPROPERTIES ('projection.enabled'='true', 'projection.d.type'='integer', 'projection.d.range'='a,b')", "integers"),
        ("CREATE TABLE logs.bad (a int) PARTITIONED BY (d string) TBLPROPERTIES ('projection.enabled'='true', 'projection.d.type'='injected', 'storage.location.template'='s3://x/')", "${d}"),
        ("ALTER TABLE logs.p ADD PARTITION (dt='x', h=1)", "already exists"),
        ("ALTER TABLE logs.p ADD PARTITION (dt='y', h='one')", "not a valid int"),
        ("ALTER TABLE logs.p ADD PARTITION (dt='y')", "no value for key h"),
        ("ALTER TABLE logs.p ADD PARTITION (dt='y', h=1, z=2)", "z is not a partition key"),
        ("ALTER TABLE logs.p DROP PARTITION (dt='nope', h=1)", "does not exist"),
        ("ALTER TABLE logs.p ADD COLUMNS (a int)", "already has a column a"),
        ("ALTER TABLE logs.nope SET TBLPROPERTIES ('a'='b')", "not found"),
        ("ALTER TABLE logs.p RENAME TO orc_t", "already exists"),
        ("ALTER TABLE logs.p RENAME TO nodb.p", "not found"),
        ("DROP TABLE logs.nope", "not found"),
        ("DROP DATABASE logs", "not empty"),
        ("SHOW PARTITIONS logs.orc_t", "not partitioned"),
        ("USE nowhere", "not found"),
        ("SELECT 1", "unsupported"),
        ("CREATE TABLE (", "syntax error"),
        ("CREATE DATABASE logs", "already exists"),
    ];
    for (sql, want) in cases {
        let before = e.snapshot();
        let o = e.run(sql);
        let err = o.error.unwrap_or_else(|| panic!("no error for {sql}"));
        assert!(
            err.error
                .message
                .to_lowercase()
                .contains(&want.to_lowercase()),
            "{sql}: {}",
            err.error.message
        );
        assert_eq!(e.snapshot(), before, "{sql} changed the catalog");
    }
    // A script stops at its first failure; what ran before it stays and is reported.
    let o = e.run("CREATE DATABASE s1;\nCREATE TABLE s1.t (a int);\nCREATE TABLE s1.t (a int);\nCREATE DATABASE s2");
    let err = o.error.unwrap();
    assert_eq!((err.statement, err.line, err.column), (2, 3, 1));
    assert_eq!(o.results.len(), 2);
    assert!(e
        .store
        .get_database(&lakecat_catalog_api::DatabaseName::new("s2").unwrap())
        .is_err());
    // IF [NOT] EXISTS turn the failures into no-ops.
    let o = e.ok("CREATE DATABASE IF NOT EXISTS s1; CREATE TABLE IF NOT EXISTS s1.t (b int); DROP TABLE IF EXISTS s1.zz; DROP DATABASE IF EXISTS zz");
    assert!(o.results.iter().all(|r| r.status == "unchanged"));
    // The default database appears with its first table, and not for a rejected one.
    let before = e.snapshot();
    assert!(e.run("CREATE TABLE bad (a strng)").error.is_some());
    assert_eq!(e.snapshot(), before);
    e.ok("CREATE TABLE plain (a int)");
    assert_eq!(e.table("default", "plain").columns()[0].type_, "int");
}

#[test]
fn msck_repair_adds_and_syncs_partitions_from_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    for (p, f) in [
        ("year=2024/month=1", "a.csv"),
        ("year=2024/month=2", "b.csv"),
        ("year=2025/month=1", "c.csv"),
        ("notes", "x.csv"),
        ("year=bad/month=1", "d.csv"),
    ] {
        std::fs::create_dir_all(root.join(p)).unwrap();
        std::fs::write(root.join(p).join(f), "1\n").unwrap();
    }
    let e = Env::new();
    let o = e.ok(&format!(
        "CREATE DATABASE r; CREATE EXTERNAL TABLE r.t (x int) PARTITIONED BY (year int, month int) LOCATION 'file://{}/';
         ALTER TABLE r.t ADD PARTITION (year=1999, month=1) LOCATION 'file:///gone/';
         MSCK REPAIR TABLE r.t",
        root.display()
    ));
    assert_eq!(
        rows(&o, 3),
        [
            ["added", "year=2024/month=1"],
            ["added", "year=2024/month=2"],
            ["added", "year=2025/month=1"]
        ]
    );
    assert!(
        o.results[3]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("2 files"),
        "{:?}",
        o.results[3]
    );
    let p = e.partitions("r", "t");
    assert_eq!(p.len(), 4);
    let loc = p[1].storage_descriptor.clone().unwrap().location.unwrap();
    assert_eq!(loc, format!("file://{}/year=2024/month=1/", root.display()));
    // Nothing new: nothing added. SYNC removes what has no folder.
    let o = e.ok("MSCK REPAIR TABLE r.t; MSCK REPAIR TABLE r.t SYNC PARTITIONS");
    assert!(rows(&o, 0).is_empty());
    assert_eq!(rows(&o, 1), [["removed", "year=1999/month=1"]]);
    std::fs::remove_dir_all(root.join("year=2025")).unwrap();
    let o = e.ok("ALTER TABLE r.t RECOVER PARTITIONS; MSCK REPAIR TABLE r.t DROP PARTITIONS");
    assert!(rows(&o, 0).is_empty());
    assert_eq!(rows(&o, 1), [["removed", "year=2025/month=1"]]);
    assert_eq!(e.partitions("r", "t").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_v1_ddl_answers_results_and_errors() {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let store = std::sync::Arc::new(MemoryStore::new(5));
    let router = lakecat::app::app(lakecat::http::AppState::new(store), 1 << 20);
    let call = |ct: &'static str, uri: &'static str, body: String| {
        let router = router.clone();
        async move {
            let req = Request::builder()
                .method("POST")
                .uri(uri)
                .header("content-type", ct)
                .body(Body::from(body))
                .unwrap();
            let resp = router.oneshot(req).await.unwrap();
            let status = resp.status().as_u16();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap())
        }
    };
    let (s, v) = call(
        "application/json",
        "/v1/ddl",
        serde_json::json!({"sql": "CREATE DATABASE web; CREATE TABLE t (a int) PARTITIONED BY (dt string); ALTER TABLE t ADD PARTITION (dt='x'); SHOW PARTITIONS t", "database": "web"}).to_string(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["results"][3]["statement"], "SHOW PARTITIONS");
    assert_eq!(v["results"][3]["result_set"]["rows"][0][0], "dt=x");
    let (s, v) = call("text/plain", "/v1/ddl?database=web", "DESCRIBE t".into()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["results"][0]["result_set"]["columns"][1], "data_type");
    let (s, v) = call(
        "text/plain",
        "/v1/ddl?database=web",
        "SHOW TABLES;\nDROP TABLE nope".into(),
    )
    .await;
    assert_eq!(s, 404, "{v}");
    assert_eq!(v["error"]["code"], "not_found");
    assert_eq!(v["error"]["statement"], 1);
    assert_eq!(v["error"]["line"], 2);
    assert_eq!(v["results"].as_array().unwrap().len(), 1);
    let (s, v) = call(
        "application/json",
        "/v1/ddl",
        r#"{"sql": "SELECT 1", "nope": 1}"#.into(),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("nope"));
}

#[test]
fn lakecat_sql_runs_against_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args([
            "sql",
            "-e",
            "CREATE DATABASE a; CREATE TABLE a.t (x int); SHOW TABLES IN a",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("tab_name") && text.contains("\nt\n"),
        "{text}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args([
            "sql",
            "-e",
            "DROP TABLE a.zz",
            "--output",
            "json",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "not_found");
}

#[test]
fn lakecat_sql_runs_against_a_server_and_the_server_shares_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start(dir.path(), &[]);
    let sql = |script: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_lakecat"))
            .args([
                "sql",
                "--server",
                &server.base,
                "--database",
                "w",
                "--output",
                "json",
                "-e",
                script,
            ])
            .output()
            .unwrap()
    };
    let out = sql("CREATE DATABASE w; CREATE TABLE t (x int) PARTITIONED BY (d date) LOCATION 's3://b/t/'; ALTER TABLE t ADD PARTITION (d='2024-02-29')");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same table over REST.
    let mut resp = common::agent()
        .get(&format!(
            "{}/v1/databases/w/tables/t/partitions",
            server.base
        ))
        .call()
        .unwrap();
    let v: Value = resp.body_mut().read_json().unwrap();
    assert_eq!(v["partitions"][0]["values"][0], "2024-02-29");
    assert_eq!(
        v["partitions"][0]["storage_descriptor"]["location"],
        "s3://b/t/d=2024-02-29/"
    );
    let out = sql("ALTER TABLE t ADD PARTITION (d='2024-02-30')");
    assert!(!out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a valid date"),
        "{v}"
    );
    server.sigterm();
}
