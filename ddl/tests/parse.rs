//! The parser on a corpus of realistic DDL, on every error path, and on arbitrary input.

use lakecat_ddl::ast::*;
use lakecat_ddl::{parse, DdlErrorKind};

fn one(sql: &str) -> Statement {
    let mut v = parse(sql).unwrap_or_else(|e| panic!("{e}\n{sql}"));
    assert_eq!(v.len(), 1, "{sql}");
    v.remove(0).statement
}

fn table(sql: &str) -> CreateTable {
    match one(sql) {
        Statement::CreateTable(t) => *t,
        other => panic!("{other:?}"),
    }
}

#[test]
fn cloudtrail_style_nested_structs_and_serde() {
    let t = table(
        r#"CREATE EXTERNAL TABLE IF NOT EXISTS logs.cloudtrail_logs (
            eventVersion STRING,
            userIdentity STRUCT<
                type: STRING, principalId: STRING, arn: STRING,
                sessionContext: STRUCT<attributes: STRUCT<mfaAuthenticated: STRING, creationDate: STRING>>>,
            eventTime STRING,
            resources ARRAY<STRUCT<arn: STRING, accountId: STRING, type: STRING>>,
            additionalEventData MAP<STRING,STRING> COMMENT 'free form'
        )
        COMMENT 'CloudTrail table'
        PARTITIONED BY (region string, `year` string, month string, day string)
        ROW FORMAT SERDE 'com.amazon.emr.hive.serde.CloudTrailSerde'
        STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
        OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
        LOCATION 's3://bucket/AWSLogs/123/CloudTrail/'
        TBLPROPERTIES ('classification'='cloudtrail')"#,
    );
    assert!(t.external && t.if_not_exists);
    assert_eq!(t.name.to_string(), "logs.cloudtrail_logs");
    assert_eq!(t.columns[0].name, "eventversion");
    assert_eq!(
        t.columns[1].data_type,
        "struct<type:string,principalid:string,arn:string,sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>>>"
            .replace("principalid", "principalId")
            .replace("sessioncontext", "sessionContext")
            .replace("mfaauthenticated", "mfaAuthenticated")
            .replace("creationdate", "creationDate")
    );
    assert_eq!(
        t.columns[3].data_type,
        "array<struct<arn:string,accountId:string,type:string>>"
    );
    assert_eq!(t.columns[4].comment.as_deref(), Some("free form"));
    assert_eq!(
        t.partitioned_by
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["region", "year", "month", "day"]
    );
    assert_eq!(t.comment.as_deref(), Some("CloudTrail table"));
    assert!(
        matches!(t.row_format, Some(RowFormat::Serde { ref class, .. }) if class == "com.amazon.emr.hive.serde.CloudTrailSerde")
    );
    assert!(matches!(t.stored_as, Some(StoredAs::InputOutput { .. })));
    assert_eq!(
        t.location.as_deref(),
        Some("s3://bucket/AWSLogs/123/CloudTrail/")
    );
    assert_eq!(
        t.properties,
        [("classification".to_string(), "cloudtrail".to_string())]
    );
}

#[test]
fn alb_vpc_cloudfront_opencsv_and_projection() {
    // ALB logs: RegexSerDe with a pattern full of escapes.
    let t = table(
        r#"CREATE EXTERNAL TABLE alb_logs (type string, time string, elb_status_code int, request_processing_time double)
        PARTITIONED BY (day STRING)
        ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
        WITH SERDEPROPERTIES ('serialization.format' = '1', 'input.regex' = '([^ ]*) ([^ ]*) ([-.0-9]*) \"([^ ]*)\"')
        LOCATION 's3://b/AWSLogs/elasticloadbalancing/'
        TBLPROPERTIES ("projection.enabled" = "true", "projection.day.type" = "date",
          "projection.day.range" = "2022/01/01,NOW", "projection.day.format" = "yyyy/MM/dd",
          "storage.location.template" = "s3://b/AWSLogs/${day}")"#,
    );
    match t.row_format {
        Some(RowFormat::Serde { properties, .. }) => {
            assert_eq!(properties[1].1, r#"([^ ]*) ([^ ]*) ([-.0-9]*) "([^ ]*)""#);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.properties.len(), 5);
    assert_eq!(t.properties[4].1, "s3://b/AWSLogs/${day}");
    // VPC flow logs: space-delimited text with a header.
    let t = table(
        "CREATE EXTERNAL TABLE vpc_flow_logs (version int, account_id string, srcport int, bytes bigint, start bigint)
         PARTITIONED BY (`date` date)
         ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '
         LOCATION 's3://b/prefix/AWSLogs/{account_id}/vpcflowlogs/{region_code}/'
         TBLPROPERTIES ('skip.header.line.count'='1')",
    );
    assert_eq!(t.partitioned_by[0].name, "date");
    assert_eq!(t.partitioned_by[0].data_type, "date");
    assert!(
        matches!(t.row_format, Some(RowFormat::Delimited { fields_terminated_by: Some(ref d), .. }) if d == " ")
    );
    // CloudFront: tab-delimited, every delimiter clause, octal escapes.
    let t = table(
        r"CREATE EXTERNAL TABLE cf (`date` DATE, time STRING, bytes BIGINT, amount DECIMAL(10, 2), tags array<string>, kv map<string,int>)
         ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t' ESCAPED BY '\\'
           COLLECTION ITEMS TERMINATED BY '\002' MAP KEYS TERMINATED BY '\u0003'
           LINES TERMINATED BY '\n' NULL DEFINED AS ''
         STORED AS TEXTFILE LOCATION 's3://b/cf/'",
    );
    assert_eq!(t.columns[3].data_type, "decimal(10,2)");
    assert_eq!(t.columns[5].data_type, "map<string,int>");
    assert_eq!(
        t.row_format,
        Some(RowFormat::Delimited {
            fields_terminated_by: Some("\t".into()),
            escaped_by: Some("\\".into()),
            collection_items_terminated_by: Some("\u{2}".into()),
            map_keys_terminated_by: Some("\u{3}".into()),
            lines_terminated_by: Some("\n".into()),
            null_defined_as: Some(String::new()),
        })
    );
    assert_eq!(t.stored_as, Some(StoredAs::Format("TEXTFILE".into())));
    // OpenCSV, quotes in properties.
    let t = table(
        r#"CREATE EXTERNAL TABLE csv_q (a string, b string)
           ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
           WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '\"', 'escapeChar' = '\\')
           LOCATION 's3://b/q/'"#,
    );
    match t.row_format {
        Some(RowFormat::Serde { properties, .. }) => {
            assert_eq!(properties[1], ("quoteChar".to_string(), "\"".to_string()));
            assert_eq!(properties[2], ("escapeChar".to_string(), "\\".to_string()));
        }
        other => panic!("{other:?}"),
    }
    // Spark-written Parquet, bucketed and sorted.
    let t = table(
        "create table Spark.Events (id bigint, kind string, at timestamp)
         partitioned by (dt string)
         clustered by (id) sorted by (at desc, kind) into 16 buckets
         stored as parquet location 's3://b/events' tblproperties ('parquet.compression'='SNAPPY')",
    );
    assert!(!t.external);
    assert_eq!(t.name.database.as_deref(), Some("spark"));
    assert_eq!(
        t.clustered_by,
        Some(Bucketing {
            columns: vec!["id".into()],
            sorted_by: vec![("at".into(), false), ("kind".into(), true)],
            buckets: 16
        })
    );
    assert_eq!(t.stored_as, Some(StoredAs::Format("PARQUET".into())));
}

#[test]
fn databases_alter_show_describe_and_scripts() {
    let v = parse(
        "CREATE DATABASE IF NOT EXISTS Sales COMMENT 'numbers' LOCATION 's3://b/sales/' WITH DBPROPERTIES ('owner'='ops');
         create schema s2;
         USE sales;
         ALTER TABLE t ADD IF NOT EXISTS PARTITION (dt='2024-01-01', hour=1) LOCATION 's3://b/t/1/' PARTITION (dt='2024-01-02', hour=-2);
         ALTER TABLE t DROP IF EXISTS PARTITION (dt='2024-01-01', hour=1), PARTITION (dt='x', hour=2);
         ALTER TABLE t PARTITION (dt='a', hour=1) SET LOCATION 's3://x/';
         ALTER TABLE t SET LOCATION 's3://y/';
         ALTER TABLE t SET TBLPROPERTIES ('a'='1');
         ALTER TABLE t ADD COLUMNS (c1 int comment 'x', c2 struct<a:int>);
         ALTER TABLE t REPLACE COLUMNS (c1 int);
         ALTER TABLE t PARTITION (dt='a', hour=1) RENAME TO PARTITION (dt='b', hour=1);
         ALTER TABLE t RECOVER PARTITIONS;
         MSCK REPAIR TABLE db.t;
         MSCK REPAIR TABLE t SYNC PARTITIONS;
         SHOW DATABASES LIKE 'sa*';
         SHOW SCHEMAS;
         SHOW TABLES IN sales 'ev*';
         SHOW PARTITIONS db.t;
         SHOW PARTITIONS t PARTITION (dt='a');
         SHOW CREATE TABLE db.t;
         SHOW TBLPROPERTIES t ('a');
         SHOW COLUMNS IN t IN db;
         DESCRIBE FORMATTED db.t PARTITION (dt='a') col1;
         DESC t;
         DROP TABLE IF EXISTS db.t PURGE;
         DROP DATABASE IF EXISTS sales CASCADE;
         ALTER TABLE t RENAME TO db2.T2;",
    )
    .unwrap();
    let kinds: Vec<&str> = v.iter().map(|p| p.statement.kind()).collect();
    assert_eq!(kinds.len(), 27);
    assert_eq!(
        v[26].statement,
        Statement::RenameTable {
            table: QualifiedName {
                database: None,
                name: "t".into()
            },
            to: QualifiedName {
                database: Some("db2".into()),
                name: "t2".into()
            },
        }
    );
    assert_eq!(v[2].line, 3);
    match &v[3].statement {
        Statement::AddPartitions {
            partitions,
            if_not_exists,
            ..
        } => {
            assert!(if_not_exists);
            assert_eq!(partitions.len(), 2);
            assert_eq!(partitions[0].1.as_deref(), Some("s3://b/t/1/"));
            assert_eq!(partitions[1].0[1], ("hour".to_string(), "-2".to_string()));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&v[4].statement, Statement::DropPartitions { partitions, .. } if partitions.len() == 2)
    );
    assert_eq!(
        v[11].statement,
        Statement::RepairTable {
            table: QualifiedName {
                database: None,
                name: "t".into()
            },
            mode: RepairMode::Add
        }
    );
    assert!(matches!(
        &v[13].statement,
        Statement::RepairTable {
            mode: RepairMode::Sync,
            ..
        }
    ));
    // sqlparser misreads this one; here it is what it says.
    assert_eq!(
        v[17].statement,
        Statement::ShowPartitions {
            table: QualifiedName {
                database: Some("db".into()),
                name: "t".into()
            },
            partition: None
        }
    );
    assert!(
        matches!(&v[21].statement, Statement::ShowColumns { table } if table.database.as_deref() == Some("db"))
    );
    assert!(
        matches!(&v[22].statement, Statement::Describe { style: DescribeStyle::Formatted, column: Some(c), partition: Some(_), .. } if c == "col1")
    );
    assert_eq!(
        v[25].statement,
        Statement::DropDatabase {
            name: "sales".into(),
            if_exists: true,
            cascade: true
        }
    );
}

fn err(sql: &str) -> lakecat_ddl::DdlError {
    parse(sql).expect_err(sql)
}

#[test]
fn errors_name_the_statement_line_column_and_what_was_expected() {
    let e = err("CREATE DATABASE a;\nCREATE TABLE t (a int,\n  b strng)");
    assert_eq!((e.statement, e.line, e.kind), (1, 3, DdlErrorKind::Syntax));
    assert!(e.message.contains("strng"), "{e}");
    let e = err("SHOW PARTITIONS db.t extra");
    assert!(
        e.message
            .contains("expected the end of the statement, found extra"),
        "{e}"
    );
    assert_eq!((e.line, e.column), (1, 22));
    // A statement that ends too early: the error is where it ends (the parser's
    // end-of-input token has no place of its own).
    let e = err("SHOW TABLES;\nCREATE TABLE t (a int");
    assert!(e.message.contains("found the end of the statement"), "{e}");
    assert_eq!((e.statement, e.line, e.column), (1, 2, 22));
    let e = err("SELECT * FROM t");
    assert_eq!(e.kind, DdlErrorKind::Unsupported);
    assert!(e.message.contains("SELECT"), "{e}");
    assert_eq!(
        err("INSERT INTO t VALUES (1)").kind,
        DdlErrorKind::Unsupported
    );
    assert_eq!(
        err("CREATE VIEW v AS SELECT 1").kind,
        DdlErrorKind::Unsupported
    );
    assert_eq!(
        err("CREATE TABLE t AS SELECT 1").kind,
        DdlErrorKind::Unsupported
    );
    let e = err("CREATE TABLE t (a int) STORED AS FOO");
    assert!(e.message.contains("storage format"), "{e}");
    let e = err("CREATE TABLE t (a int) LOCATION 'x' LOCATION 'y'");
    assert!(e.message.contains("LOCATION appears twice"), "{e}");
    let e = err("CREATE TABLE t (a map<string,int)");
    assert!(e.message.contains("invalid type"), "{e}");
    let e = err("ALTER TABLE t ADD PARTITION (dt=)");
    assert!(e.message.contains("partition value"), "{e}");
    let e = err("frobnicate");
    assert!(e.message.contains("expected a DDL statement"), "{e}");
    let e = err("CREATE TABLE t (a string) COMMENT 'unterminated");
    assert_eq!(e.kind, DdlErrorKind::Syntax);
    // Empty statements between semicolons are skipped; an empty script is no statement.
    assert_eq!(parse(" ; ;\n").unwrap().len(), 0);
}

proptest::proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,200}") {
        let _ = parse(&s);
    }

    #[test]
    fn never_panics_on_ddl_like_input(
        parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "CREATE", "EXTERNAL", "TABLE", "t", "(", ")", "a", "int", ",", "<", ">", ">>", "struct",
                ":", "PARTITIONED", "BY", "'x'", "ALTER", "ADD", "PARTITION", "=", "1", "SHOW", "DROP",
                "LOCATION", "ROW", "FORMAT", "DELIMITED", "FIELDS", "TERMINATED", ";", "MSCK", "REPAIR",
                "DESCRIBE", "`q`", ".", "-", "\\", "'\\001'",
            ]),
            0..40,
        )
    ) {
        let _ = parse(&parts.join(" "));
    }
}

#[test]
fn grant_revoke_and_show_grant() {
    assert_eq!(
        one("GRANT SELECT, ALTER ON TABLE sales.orders TO USER alice"),
        Statement::Grant {
            grant: true,
            privileges: vec!["select".into(), "alter".into()],
            object: GrantObject::Table(QualifiedName {
                database: Some("sales".into()),
                name: "orders".into()
            }),
            principal: "alice".into(),
        }
    );
    assert_eq!(
        one("revoke all on database sales from user 'AKID-1'"),
        Statement::Grant {
            grant: false,
            privileges: vec!["all".into()],
            object: GrantObject::Database("sales".into()),
            principal: "AKID-1".into(),
        }
    );
    assert!(matches!(
        one("GRANT ADMIN ON CATALOG TO USER root"),
        Statement::Grant {
            object: GrantObject::Catalog,
            ..
        }
    ));
    assert_eq!(
        one("SHOW GRANT USER alice ON SCHEMA sales"),
        Statement::ShowGrant {
            principal: Some("alice".into()),
            object: Some(GrantObject::Database("sales".into())),
        }
    );
    assert_eq!(
        err("GRANT SELECT ON TABLE t TO ROLE r").kind,
        DdlErrorKind::Unsupported
    );
    assert_eq!(
        err("GRANT SELECT ON TABLE t TO USER a WITH GRANT OPTION").kind,
        DdlErrorKind::Unsupported
    );
    assert_eq!(
        err("GRANT SELECT ON VIEW v TO USER a").kind,
        DdlErrorKind::Syntax
    );
}
