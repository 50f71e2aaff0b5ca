//! The committed ORC fixtures (testdata/orc, written by pyarrow.orc, the ORC C++
//! writer) and what lakecat reads from their footers.

use lakecat_crawler::infer::orc::infer;
use lakecat_crawler::{crawl, CrawlOptions};

fn dir() -> String {
    format!("{}/../testdata/orc", env!("CARGO_MANIFEST_DIR"))
}

fn schema(name: &str) -> (Vec<String>, Option<u64>) {
    let bytes = std::fs::read(format!("{}/{name}", dir())).unwrap();
    let s = infer(&bytes, bytes.len() as u64).unwrap_or_else(|e| panic!("{name}: {e}"));
    (
        s.columns
            .iter()
            .map(|c| format!("{} {}", c.name, c.ty))
            .collect(),
        s.record_count,
    )
}

#[test]
fn every_compression_gives_the_same_hive_schema() {
    let want = [
        "b boolean",
        "i8 tinyint",
        "i16 smallint",
        "i32 int",
        "i64 bigint",
        "f float",
        "d double",
        "s string",
        "bin binary",
        "ts timestamp",
        "tstz timestamp",
        "dt date",
        "dec decimal(10,2)",
        "l array<int>",
        "m map<string,bigint>",
        "st struct<x:int,y:string>",
    ];
    for c in ["uncompressed", "zlib", "snappy", "lz4", "zstd"] {
        assert_eq!(
            schema(&format!("types_{c}.orc")),
            (want.map(String::from).to_vec(), Some(2)),
            "{c}"
        );
    }
    for c in ["zlib", "snappy", "zstd"] {
        let (cols, rows) = schema(&format!("wide_{c}.orc"));
        assert_eq!((cols.len(), rows), (300, Some(1)), "{c}");
        assert_eq!(cols[299], "column_with_a_long_name_299 bigint");
    }
}

/// A folder of ORC files is one table with ORC's SerDe and formats and the files'
/// exact row count, read from footers only.
#[test]
fn a_folder_of_orc_files_is_an_orc_table() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("events");
    std::fs::create_dir_all(&t).unwrap();
    for c in ["zlib", "snappy", "zstd"] {
        std::fs::copy(
            format!("{}/types_{c}.orc", dir()),
            t.join(format!("part-{c}.orc")),
        )
        .unwrap();
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let out = rt
        .block_on(crawl(
            &[tmp.path().to_string_lossy().into_owned()],
            &CrawlOptions::default(),
            &|_| {},
        ))
        .unwrap();
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert_eq!(out.tables.len(), 1);
    let table = &out.tables[0].table;
    let sd = table.storage_descriptor.as_ref().unwrap();
    assert_eq!(
        sd.serde_info
            .as_ref()
            .unwrap()
            .serialization_library
            .as_deref(),
        Some("org.apache.hadoop.hive.ql.io.orc.OrcSerde")
    );
    assert_eq!(
        sd.input_format.as_deref(),
        Some("org.apache.hadoop.hive.ql.io.orc.OrcInputFormat")
    );
    assert_eq!(table.parameters["classification"], "orc");
    assert_eq!(table.parameters["recordCount"], "6");
    assert_eq!(sd.columns.len(), 16);
    // Footers only: a small file is read whole in one request, never more.
    assert_eq!(out.stats.requests, 3, "{:?}", out.stats);
}
