//! End-to-end crawls through the real `lakecat crawl` command over a lake of real
//! files, checked table by table, then re-crawled after the lake changes.

mod common;

use common::lake;
use common::moto::{moto, upload};
use lakecat_catalog_api::store::{CatalogStore, PageRequest};
use lakecat_catalog_api::TableIdent;
use lakecat_store_sled::SledStore;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn crawl(data: &Path, args: &[&str]) -> Value {
    crawl_env(data, args, &[])
}

/// `lakecat crawl ARGS` into the store at `data` with `env` (an S3 endpoint and
/// keys), its JSON report.
fn crawl_env(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .arg("crawl")
        .args(args)
        .args(["--data-dir", data.to_str().unwrap(), "--output", "json"])
        .envs(env.iter().copied())
        .env_remove("AWS_ENDPOINT")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "crawl failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn table<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {name} in {report:#}"))
}

fn columns(t: &Value) -> Vec<String> {
    t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["name"].as_str().unwrap(),
                c["type"].as_str().unwrap()
            )
        })
        .collect()
}

fn keys(t: &Value) -> Vec<String> {
    t["partition_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

fn actions(report: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().into(),
                t["action"].as_str().unwrap().into(),
            )
        })
        .collect();
    v.sort();
    v
}

fn skipped(report: &Value) -> Vec<(String, String)> {
    report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let p = s["path"].as_str().unwrap();
            let rel = p.split("/lake/").nth(1).unwrap_or(p).to_string();
            (rel, s["reason"].as_str().unwrap().to_string())
        })
        .collect()
}

/// What the standard lake must give, from any root (local or S3).
pub fn check_standard(r: &Value, root: &str) {
    let names: Vec<String> = actions(r).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["clicks", "events", "mixed", "people", "sales"],
        "{r:#}"
    );

    let sales = table(r, "sales");
    assert_eq!(sales["location"], format!("{root}sales/"));
    assert_eq!(sales["classification"], "parquet");
    assert_eq!(keys(sales), ["year", "month"]);
    assert_eq!(
        columns(sales),
        [
            "id bigint",
            "name string",
            "amount double",
            "country string"
        ]
    );
    assert_eq!(sales["partitions"], 3);

    let people = table(r, "people");
    assert_eq!(people["classification"], "csv");
    assert_eq!(people["compression"], "gzip");
    assert_eq!(
        columns(people),
        ["name string", "city string", "country string"]
    );
    assert!(keys(people).is_empty());

    let events = table(r, "events");
    assert_eq!(events["classification"], "json");
    assert_eq!(events["compression"], "bzip2");
    assert_eq!(keys(events), ["partition_0", "partition_1"]);
    assert_eq!(
        columns(events),
        [
            "id bigint",
            "payload struct<k:string,n:bigint>",
            "tags array<string>",
            "score double"
        ]
    );

    let clicks = table(r, "clicks");
    assert_eq!(clicks["classification"], "avro");
    assert_eq!(keys(clicks), ["dt"]);
    assert_eq!(
        columns(clicks),
        [
            "user string",
            "at timestamp",
            "price decimal(10,2)",
            "tags array<string>",
            "attrs map<string,int>",
            "kind string",
            "geo struct<lat:double,lon:double>"
        ]
    );

    let mixed = table(r, "mixed");
    assert_eq!(mixed["classification"], "csv");
    assert_eq!(columns(mixed), ["k string", "v bigint"]);

    let sk = skipped(r);
    let reason = |rel: &str| {
        sk.iter()
            .find(|(p, _)| p == rel)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{rel} not reported as skipped: {sk:?}"))
    };
    assert!(reason("mixed/broken.parquet").contains("PAR1"), "{sk:?}");
    assert!(reason("mixed/garbage.csv").contains("binary"), "{sk:?}");
    assert!(reason("sales/notes.csv").contains("stray"), "{sk:?}");
    assert_eq!(sk.len(), 3, "{sk:?}");
    let st = &r["stats"];
    assert_eq!(st["zero_byte_files"], 1);
    // _SUCCESS, the .crc, _temporary/… and .hive-staging…/…
    assert_eq!(st["not_data_files"], 4);
}

#[test]
fn crawling_a_local_lake_registers_every_table_and_recrawls_incrementally() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lake");
    lake::standard(&root);
    let data = dir.path().join("catalog");
    let url = root.to_str().unwrap();
    let root_url = format!(
        "file://{}/",
        std::fs::canonicalize(&root).unwrap().display()
    );

    // A dry run reports and writes nothing.
    let r = crawl(&data, &[url, "--database", "lake", "--dry-run"]);
    assert_eq!(r["dry_run"], true);
    check_standard(&r, &root_url);
    {
        let s = SledStore::open(&data, 10).unwrap();
        assert!(s
            .list_databases(&PageRequest::first(10))
            .unwrap()
            .items
            .is_empty());
    }

    let r = crawl(&data, &[url, "--database", "Lake"]);
    check_standard(&r, &root_url);
    assert!(actions(&r).iter().all(|(_, a)| a == "created"), "{r:#}");
    {
        let s = SledStore::open(&data, 10).unwrap();
        let id = TableIdent::parse("lake", "sales").unwrap();
        let t = s.get_table(&id).unwrap();
        let sd = t.storage_descriptor.as_ref().unwrap();
        assert_eq!(
            sd.serde_info
                .as_ref()
                .unwrap()
                .serialization_library
                .as_deref(),
            Some("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")
        );
        assert_eq!(t.parameters["classification"], "parquet");
        assert_eq!(t.parameters["objectCount"], "4");
        assert_eq!(t.parameters["recordCount"], "35");
        let parts = s
            .list_partitions(&id, None, &PageRequest::first(10))
            .unwrap()
            .items;
        let values: Vec<_> = parts.iter().map(|p| p.values.join("/")).collect();
        assert_eq!(values, ["2024/01", "2024/02", "2025/01"]);
        let p0 = &parts[0];
        assert_eq!(
            p0.storage_descriptor.as_ref().unwrap().location.as_deref(),
            Some(format!("{root_url}sales/year=2024/month=01/").as_str())
        );
        // Partitions carry the table's columns (no partition schema mismatch).
        assert_eq!(p0.storage_descriptor.as_ref().unwrap().columns.len(), 4);
        assert_eq!(p0.parameters["recordCount"], "15");
        let people = s
            .get_table(&TableIdent::parse("lake", "people").unwrap())
            .unwrap();
        assert_eq!(people.parameters["skip.header.line.count"], "1");
        assert_eq!(people.parameters["compressionType"], "gzip");
        let clicks = s
            .get_table(&TableIdent::parse("lake", "clicks").unwrap())
            .unwrap();
        assert!(clicks.parameters["avro.schema.literal"].contains("\"click\""));
        let events = s
            .get_table(&TableIdent::parse("lake", "events").unwrap())
            .unwrap();
        assert_eq!(
            events
                .storage_descriptor
                .unwrap()
                .serde_info
                .unwrap()
                .parameters["paths"],
            "id,payload,tags,score"
        );
    }

    // Nothing changed: nothing is written.
    let r = crawl(&data, &[url, "--database", "lake"]);
    assert!(actions(&r).iter().all(|(_, a)| a == "unchanged"), "{r:#}");

    // A new partition with a new column, and a table whose data vanished.
    lake::parquet(&root.join("sales/year=2025/month=02/part-0.parquet"), 3, 4);
    std::fs::remove_dir_all(root.join("people")).unwrap();
    let r = crawl(&data, &[url, "--database", "lake"]);
    let a = actions(&r);
    assert!(a.contains(&("sales".into(), "updated".into())), "{a:?}");
    assert!(a.contains(&("people".into(), "deprecated".into())), "{a:?}");
    assert!(a.contains(&("events".into(), "unchanged".into())), "{a:?}");
    assert_eq!(table(&r, "sales")["new_partitions"], 1);
    {
        let s = SledStore::open(&data, 10).unwrap();
        let id = TableIdent::parse("lake", "sales").unwrap();
        let t = s.get_table(&id).unwrap();
        assert_eq!(t.version_id, Some(2));
        assert_eq!(t.columns().last().unwrap().name, "discount");
        let parts = s
            .list_partitions(&id, None, &PageRequest::first(10))
            .unwrap()
            .items;
        assert_eq!(parts.len(), 4);
        assert!(parts
            .iter()
            .all(|p| p.storage_descriptor.as_ref().unwrap().columns.len() == 5));
        let people = s
            .get_table(&TableIdent::parse("lake", "people").unwrap())
            .unwrap();
        assert!(people.parameters.contains_key("DEPRECATED_BY_CRAWLER"));
    }
}

#[test]
fn options_exclusions_prefix_threshold_and_log_behaviour() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lake");
    lake::standard(&root);
    let data = dir.path().join("catalog");
    let url = root.to_str().unwrap();
    let r = crawl(
        &data,
        &[
            url,
            "--database",
            "d",
            "--exclude",
            "mixed/**",
            "--exclude",
            "{events,clicks}/**",
            "--table-prefix",
            "raw_",
        ],
    );
    let names: Vec<String> = actions(&r).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["raw_people", "raw_sales"]);
    assert!(r["stats"]["excluded_files"].as_u64().unwrap() >= 7);

    // Over the threshold: an error, and nothing written.
    let out = Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args([
            "crawl",
            url,
            "--database",
            "d2",
            "--table-threshold",
            "2",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("table threshold of 2"));
    {
        let s = SledStore::open(&data, 10).unwrap();
        let dbs = s.list_databases(&PageRequest::first(10)).unwrap().items;
        assert_eq!(dbs.len(), 1, "{dbs:?}");
    }

    // Under LOG, a schema change is reported, not written; new partitions still land.
    lake::parquet(&root.join("sales/year=2026/month=01/part-0.parquet"), 3, 4);
    let r = crawl(
        &data,
        &[
            url,
            "--database",
            "d",
            "--exclude",
            "mixed/**",
            "--exclude",
            "{events,clicks}/**",
            "--table-prefix",
            "raw_",
            "--update-behavior",
            "log",
        ],
    );
    let sales = table(&r, "raw_sales");
    assert_eq!(sales["action"], "logged");
    assert!(
        sales["changes"].to_string().contains("discount"),
        "{sales:#}"
    );
    let s = SledStore::open(&data, 10).unwrap();
    let id = TableIdent::parse("d", "raw_sales").unwrap();
    assert_eq!(s.get_table(&id).unwrap().columns().len(), 4);
    assert_eq!(
        s.list_partitions(&id, None, &PageRequest::first(10))
            .unwrap()
            .items
            .len(),
        4
    );
}

/// Text in a legacy encoding is read in it, and its table tells Hive which.
#[test]
fn a_legacy_encoding_is_read_and_registered() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake/people");
    std::fs::create_dir_all(&lake).unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/csv-dialects");
    std::fs::copy(corpus.join("cp1251_semicolon.csv"), lake.join("p.csv")).unwrap();
    let data = dir.path().join("catalog");
    let r = crawl(
        &data,
        &[
            dir.path().join("lake").to_str().unwrap(),
            "--database",
            "enc",
        ],
    );
    assert_eq!(columns(table(&r, "people")).len(), 3, "{r}");
    let s = SledStore::open(&data, 10).unwrap();
    let t = s
        .get_table(&TableIdent::parse("enc", "people").unwrap())
        .unwrap();
    let sd = t.storage_descriptor.unwrap();
    let serde = sd.serde_info.unwrap().parameters;
    assert_eq!(
        serde.get("serialization.encoding").map(String::as_str),
        Some("windows-1251")
    );
    assert_eq!(serde.get("field.delim").map(String::as_str), Some(";"));
}

#[test]
fn infer_reports_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.csv.gz");
    lake::gzip(&f, b"id|label|day\n1|\"a|b\"|2024-01-01\n2|c|2024-01-02\n");
    let out = Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args(["infer", f.to_str().unwrap(), "--output", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["classification"], "csv");
    assert_eq!(v["compression"], "gzip");
    assert_eq!(v["csv"]["delimiter"], "|");
    assert_eq!(v["csv"]["quote"], "\"");
    assert_eq!(v["csv"]["header"], true);
    assert_eq!(v["csv"]["encoding"], "UTF-8");
    let cols: Vec<String> = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["name"].as_str().unwrap(),
                c["type"].as_str().unwrap()
            )
        })
        .collect();
    // Quoted CSV needs OpenCSVSerde, which cannot read text dates.
    assert_eq!(cols, ["id bigint", "label string", "day string"]);
    let out = Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args(["infer", dir.path().join("nope.csv").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.csv"));
}

#[test]
fn crawling_the_same_lake_on_s3_gives_the_same_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lake");
    lake::standard(&root);
    let m = moto();
    upload(&m.endpoint, "bucket-1", "lake", &root);
    let data = dir.path().join("catalog");
    let r = crawl_env(
        &data,
        &["s3://bucket-1/lake/", "--database", "s3lake"],
        &common::moto::s3_env(&m.endpoint),
    );
    check_standard(&r, "s3://bucket-1/lake/");
    // One ranged read per file, but for the truncated Parquet file, which is read
    // from its end and then (being small) whole before it is given up; plus one
    // list page.
    let st = &r["stats"];
    assert_eq!(st["files_read"], 14);
    assert_eq!(st["requests"], 14 + 1 + 1, "{st}");
    let s = SledStore::open(&data, 10).unwrap();
    let id = TableIdent::parse("s3lake", "sales").unwrap();
    let parts = s
        .list_partitions(&id, None, &PageRequest::first(10))
        .unwrap()
        .items;
    assert_eq!(
        parts[0]
            .storage_descriptor
            .as_ref()
            .unwrap()
            .location
            .as_deref(),
        Some("s3://bucket-1/lake/sales/year=2024/month=01/")
    );
}

#[test]
fn sampling_and_table_level() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lake");
    for m in 1..=3 {
        for f in 0..4 {
            lake::parquet(&root.join(format!("db1/t/m={m}/part-{f}.parquet")), 1, 10);
        }
    }
    let data = dir.path().join("catalog");
    let url = root.to_str().unwrap();
    // One file read per leaf folder; the others count by size in the statistics.
    let r = crawl(
        &data,
        &[url, "--database", "s", "--sample-files", "1", "--dry-run"],
    );
    assert_eq!(r["stats"]["files_read"], 3);
    let t = table(&r, "db1");
    assert_eq!(keys(t), ["partition_0", "m"]);
    // The table level is absolute: the include path's own folders count from the root.
    let level = std::fs::canonicalize(&root).unwrap().components().count() - 1 + 2;
    let r = crawl(
        &data,
        &[
            url,
            "--database",
            "s",
            "--table-level",
            &level.to_string(),
            "--infer-partition-types",
        ],
    );
    let t = table(&r, "t");
    assert_eq!(keys(t), ["m"]);
    assert_eq!(t["partition_keys"][0]["type"], "int");
    assert_eq!(t["partitions"], 3);
    let s = SledStore::open(&data, 10).unwrap();
    let tt = s.get_table(&TableIdent::parse("s", "t").unwrap()).unwrap();
    assert_eq!(tt.parameters["objectCount"], "12");
    assert_eq!(tt.parameters["recordCount"], "120");
}

/// An HTTP proxy in front of moto that answers every third request with S3's
/// `503 SlowDown`, one request per connection: object_store must retry.
fn flaky_proxy(upstream: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let failures = std::sync::Arc::new(AtomicUsize::new(0));
    let count = AtomicUsize::new(0);
    let f2 = failures.clone();
    std::thread::spawn(move || {
        let agent = common::agent();
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            if r.read_line(&mut line).is_err() || line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (method, target) = (
                parts.next().unwrap_or("").to_string(),
                parts.next().unwrap_or("/").to_string(),
            );
            let mut headers = Vec::new();
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                r.read_line(&mut h).unwrap();
                let h = h.trim_end().to_string();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    headers.push((k.trim().to_string(), v.trim().to_string()));
                }
            }
            let mut body = vec![0u8; len];
            r.read_exact(&mut body).unwrap();
            if count.fetch_add(1, Ordering::SeqCst) % 3 == 2 {
                f2.fetch_add(1, Ordering::SeqCst);
                let msg = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
                let _ = write!(
                    conn,
                    "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{msg}",
                    msg.len()
                );
                continue;
            }
            let mut req = ureq::http::Request::builder()
                .method(method.as_str())
                .uri(format!("{upstream}{target}"));
            for (k, v) in &headers {
                if !["host", "connection", "content-length"].contains(&k.to_lowercase().as_str()) {
                    req = req.header(k, v);
                }
            }
            let resp = agent.run(req.body(body).unwrap()).unwrap();
            let status = resp.status();
            let mut out = format!(
                "HTTP/1.1 {} {}\r\n",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            for (k, v) in resp.headers() {
                let k = k.as_str();
                if !["connection", "content-length", "transfer-encoding"].contains(&k) {
                    out.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap_or("")));
                }
            }
            let data = resp.into_body().read_to_vec().unwrap();
            out.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                data.len()
            ));
            let _ = conn.write_all(out.as_bytes());
            let _ = conn.write_all(&data);
        }
    });
    (addr, failures)
}

#[test]
fn transient_s3_errors_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lake");
    lake::standard(&root);
    std::fs::remove_dir_all(root.join("mixed")).unwrap();
    let m = moto();
    upload(&m.endpoint, "flaky", "lake", &root);
    let (proxy, failures) = flaky_proxy(m.endpoint.clone());
    let out = Command::new(env!("CARGO_BIN_EXE_lakecat"))
        .args([
            "crawl",
            "s3://flaky/lake/",
            "--database",
            "f",
            "--output",
            "json",
            "--max-requests",
            "2",
        ])
        .arg("--data-dir")
        .arg(dir.path().join("catalog"))
        .env("AWS_ENDPOINT_URL", &proxy)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_ENDPOINT")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(failures.load(std::sync::atomic::Ordering::SeqCst) >= 3);
    let names: Vec<String> = actions(&r).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["clicks", "events", "people", "sales"]);
    assert!(
        r["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["path"].as_str().unwrap().contains("notes.csv")),
        "{r:#}"
    );
    assert_eq!(columns(table(&r, "sales")).len(), 4);
}

/// Folder names Hive escaped (`dt=2024-01-01 10%3A00`), and names with characters
/// object paths escape (`#`), give their real values, and locations that are the
/// real folders, on local disk as on S3: a local crawl once read `10%3A00` as the
/// value and registered `10%253A00/`, a folder that does not exist, so engines
/// read nothing and `dt = '2024-01-01 10:00'` matched no partition.
#[test]
fn escaped_folder_names_are_read_as_their_values_locally() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    for (folder, row) in [
        ("t/dt=2024-01-01 10%3A00", "1,2"),
        ("t/dt=2024-01-02 11%3A00", "3,4"),
        ("u/k=a#b", "5,6"),
        ("u/k=c", "7,8"),
    ] {
        std::fs::create_dir_all(lake.join(folder)).unwrap();
        std::fs::write(lake.join(folder).join("x.csv"), format!("a,b\n{row}\n")).unwrap();
    }
    let data = dir.path().join("catalog");
    let lake_s = lake.to_str().unwrap();
    crawl_env(&data, &[lake_s, "--database", "lake"], &[]);
    let s = SledStore::open(&data, 10).unwrap();
    for (table, want) in [
        ("t", vec!["2024-01-01 10:00", "2024-01-02 11:00"]),
        ("u", vec!["a#b", "c"]),
    ] {
        let id = TableIdent::parse("lake", table).unwrap();
        let parts = s
            .list_partitions(&id, None, &PageRequest::first(10))
            .unwrap()
            .items;
        let values: Vec<_> = parts.iter().map(|p| p.values.join("/")).collect();
        assert_eq!(values, want);
        for p in &parts {
            let loc = p
                .storage_descriptor
                .as_ref()
                .unwrap()
                .location
                .clone()
                .unwrap();
            let folder = loc.strip_prefix("file://").unwrap();
            assert!(
                Path::new(folder).join("x.csv").is_file(),
                "{loc} is not the partition's folder"
            );
        }
    }
}

/// Glue's XML classifiers (issue 15): a managed crawler with an XMLClassifier
/// registers XML files with the columns Spark's XML source infers from them (Glue
/// documents its XML reading as Spark's), and Spark, with lakecat as its
/// metastore, reads the rows through the crawled table (tests/glue/xml_classifier_spark.py).
#[test]
fn xml_classifiers_read_xml_as_spark_does() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let server = common::start(&dir.path().join("catalog"), &[]);
    common::python_ok(
        "glue/xml_classifier_spark.py",
        &[
            &server.base,
            &server.thrift,
            lake.to_str().unwrap(),
            scratch.to_str().unwrap(),
        ],
    );
    server.sigterm();
}

/// Runs tests/crawl/open_formats.py in `mode` (see its doc).
fn open_formats(mode: &str, args: &[&str]) {
    common::python_ok("crawl/open_formats.py", &[&[mode], args].concat());
}

/// The catalog entries a crawl made of the open-format lake, checked against what
/// the engines that read each format look for.
fn check_open_formats(data: &Path, r: &Value, root: &str) {
    assert_eq!(
        actions(r),
        [
            ("events", "created"),
            ("loose", "created"),
            ("orders", "created"),
            ("plain", "created"),
            ("trips", "created"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
        "{r:#}"
    );
    // Nothing under a table root became a table of its own, and the broken Delta
    // table is reported, its files not crawled as Parquet.
    let sk = r["skipped"].as_array().unwrap();
    assert_eq!(sk.len(), 1, "{r:#}");
    assert_eq!(sk[0]["path"], format!("{root}delta/broken/"));
    assert!(sk[0]["reason"].as_str().unwrap().contains(
        "a delta table whose metadata could not be read, so none of its files were crawled: "
    ));
    assert_eq!(
        r["stats"]["files_read"], 1,
        "only loose/ is read file by file"
    );
    let events = table(r, "events");
    assert_eq!(events["classification"], "delta");
    assert_eq!(
        columns(events),
        ["id bigint", "name string", "dt string", "score double"]
    );
    assert_eq!(
        columns(table(r, "plain")),
        [
            "k int",
            "amount decimal(10,2)",
            "at timestamp",
            "tags array<string>",
            "attrs struct<a:bigint>"
        ]
    );
    assert_eq!(
        columns(table(r, "orders")),
        [
            "id bigint",
            "ts timestamp",
            "customer string",
            "total double"
        ]
    );
    let trips = table(r, "trips");
    assert_eq!(keys(trips), ["region"]);
    assert_eq!(trips["partitions"], 2);
    assert_eq!(
        columns(trips),
        [
            "_hoodie_commit_time string",
            "_hoodie_commit_seqno string",
            "_hoodie_record_key string",
            "_hoodie_partition_path string",
            "_hoodie_file_name string",
            "uuid string",
            "ts bigint",
            "fare double"
        ],
        "the inflight commit's column is not taken"
    );
    let s = SledStore::open(data, 10).unwrap();
    let get = |n: &str| s.get_table(&TableIdent::parse("lake", n).unwrap()).unwrap();
    let t = get("events");
    let sd = t.storage_descriptor.as_ref().unwrap();
    assert_eq!(t.parameters["spark.sql.sources.provider"], "delta");
    assert_eq!(t.parameters["table_type"], "DELTA");
    assert_eq!(t.parameters["delta.partitionColumns"], "dt");
    assert_eq!(
        sd.serde_info.as_ref().unwrap().parameters["path"],
        format!("{root}delta/events/")
    );
    assert!(
        t.partition_keys.is_empty(),
        "Delta keeps its partitions in its log"
    );
    let t = get("orders");
    assert_eq!(t.parameters["table_type"], "ICEBERG");
    assert!(t.parameters["metadata_location"]
        .starts_with(&format!("{root}iceberg/db/orders/metadata/00003-")));
    let t = get("trips");
    let sd = t.storage_descriptor.as_ref().unwrap();
    assert_eq!(
        sd.input_format.as_deref(),
        Some("org.apache.hudi.hadoop.HoodieParquetInputFormat")
    );
    assert_eq!(t.parameters["last_commit_time_sync"], "20240101000000000");
    assert_eq!(t.parameters["primaryKey"], "uuid");
}

/// Delta (delta-rs), Iceberg (PyIceberg) and Hudi tables in a local lake (issue
/// 15): each is registered from its own metadata, the Iceberg one loads in
/// PyIceberg's Hive and Glue catalogs, and a re-crawl after the tables change
/// updates exactly the changed ones.
#[test]
fn open_table_formats_are_read_from_their_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let (lake_s, scratch_s) = (lake.to_str().unwrap(), scratch.to_str().unwrap());
    open_formats("write", &[lake_s, scratch_s]);
    let data = dir.path().join("catalog");
    let root = format!("file://{lake_s}/");
    let r = crawl_env(&data, &[lake_s, "--database", "lake"], &[]);
    check_open_formats(&data, &r, &root);

    let load = |data: &Path| {
        let server = common::start(data, &[]);
        open_formats("load", &[lake_s, scratch_s, &server.thrift, &server.base]);
        server.sigterm();
    };
    load(&data);
    // Glue's DeltaTargets, IcebergTargets and HudiTargets on managed crawlers, with
    // boto3 (whose shapes are Glue's), into databases of their own.
    let server = common::start(&data, &[]);
    common::python_ok(
        "glue/boto3_open_format_crawlers.py",
        &[&server.base, lake_s],
    );
    server.sigterm();
    assert_eq!(
        actions(&crawl_env(&data, &[lake_s, "--database", "lake"], &[]))
            .iter()
            .filter(|(_, a)| a != "unchanged")
            .count(),
        0,
        "a re-crawl of an unchanged lake changes nothing"
    );

    open_formats("evolve", &[lake_s, scratch_s]);
    let r = crawl_env(&data, &[lake_s, "--database", "lake"], &[]);
    assert_eq!(
        actions(&r),
        [
            ("events", "updated"),
            ("loose", "unchanged"),
            ("orders", "updated"),
            ("plain", "unchanged"),
            ("trips", "updated"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
        "{r:#}"
    );
    assert!(columns(table(&r, "events")).contains(&"extra string".to_string()));
    assert_eq!(table(&r, "trips")["partitions"], 3);
    assert!(columns(table(&r, "trips")).contains(&"driver string".to_string()));
    let s = SledStore::open(&data, 10).unwrap();
    let orders = s
        .get_table(&TableIdent::parse("lake", "orders").unwrap())
        .unwrap();
    assert!(orders.parameters["metadata_location"].contains("/metadata/00004-"));
    assert!(orders.parameters["previous_metadata_location"].contains("/metadata/00003-"));
    drop(s);
    // The engines now read the new snapshot through the catalog.
    load(&data);
}

/// Delta tables registered for manifest readers (Glue's `CreateNativeDeltaTable:
/// false`): the manifests a crawl writes match delta-rs's own, name exactly the
/// snapshot's rows, and are written only under `--allowed-locations` (see
/// tests/glue/boto3_delta_manifests.py).
#[test]
fn delta_symlink_manifests_are_written_where_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(&lake).unwrap();
    let lake_s = lake.to_str().unwrap();
    let allowed = format!("{lake_s}/t");
    let server = common::start(
        &dir.path().join("catalog"),
        &["--allowed-locations", &allowed],
    );
    common::python_ok("glue/boto3_delta_manifests.py", &[&server.base, lake_s]);
    server.sigterm();
}

/// The same lake written to S3 (moto) by the same writers, crawled over S3.
#[test]
fn open_table_formats_on_s3() {
    let dir = tempfile::tempdir().unwrap();
    let m = moto();
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let scratch_s = scratch.to_str().unwrap();
    open_formats("write", &["otf", scratch_s, &m.endpoint]);
    let data = dir.path().join("catalog");
    let env = common::moto::s3_env(&m.endpoint);
    let r = crawl_env(&data, &["s3://otf/", "--database", "lake"], &env);
    check_open_formats(&data, &r, "s3://otf/");
    let server = common::start(&data, &[]);
    open_formats(
        "load",
        &["otf", scratch_s, &server.thrift, &server.base, &m.endpoint],
    );
    server.sigterm();
    // Symlink manifests written to S3, held to the allowed prefix.
    let server = common::start_with_env(
        &dir.path().join("manifests"),
        &["--allowed-locations", "s3://manifests/t"],
        &env,
    );
    common::python_ok(
        "glue/boto3_delta_manifests.py",
        &[&server.base, "manifests", &m.endpoint],
    );
    server.sigterm();
}
