//! The committed Parquet fixtures (testdata/parquet, written by pyarrow in the
//! shapes of other writers) and what lakecat infers from each.

use lakecat_crawler::infer::parquet::infer;

fn columns(name: &str) -> Vec<String> {
    let path = format!("{}/../testdata/parquet/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    let s = infer(&bytes, bytes.len() as u64).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(s.record_count, Some(2), "{name}");
    s.columns
        .iter()
        .map(|c| format!("{} {}", c.name, c.ty))
        .collect()
}

const EXPECTED: [&str; 12] = [
    "id bigint",
    "small smallint",
    "name string",
    "price decimal(9,2)",
    "big decimal(30,4)",
    "at timestamp",
    "day date",
    "tags array<string>",
    "attrs map<string,int>",
    "geo struct<lat:double,lon:double>",
    "points array<struct<x:int>>",
    "dict string",
];

#[test]
fn every_writer_shape_gives_the_same_hive_schema() {
    for f in [
        "pyarrow_default.parquet",
        "int96_timestamps.parquet",
        "legacy_lists.parquet",
        "decimals_as_integers.parquet",
        "spark_flavor.parquet",
    ] {
        assert_eq!(columns(f), EXPECTED, "{f}");
    }
}
