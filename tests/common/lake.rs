//! Writes small lakes of real files (Parquet by arrow-rs, Avro by apache-avro, CSV
//! and JSON compressed by flate2/bzip2) for the crawler's end-to-end tests.

#![allow(dead_code)]

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

fn mkdirs(p: &Path) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
}

/// Parquet rows `id bigint, name string, amount double` (+ `country string` for
/// generation 2, + `discount double` for generation 3).
pub fn parquet(path: &Path, generation: u8, rows: i64) {
    mkdirs(path);
    let mut fields = vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("amount", DataType::Float64, true),
    ];
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..rows)),
        Arc::new(StringArray::from_iter_values(
            (0..rows).map(|i| format!("n{i}")),
        )),
        Arc::new(Float64Array::from_iter_values(
            (0..rows).map(|i| i as f64 * 1.5),
        )),
    ];
    if generation >= 2 {
        fields.push(Field::new("country", DataType::Utf8, true));
        cols.push(Arc::new(StringArray::from_iter_values(
            (0..rows).map(|_| "FR"),
        )));
    }
    if generation >= 3 {
        fields.push(Field::new("discount", DataType::Float64, true));
        cols.push(Arc::new(Float64Array::from_iter_values(
            (0..rows).map(|_| 0.1),
        )));
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

pub fn gzip(path: &Path, data: &[u8]) {
    mkdirs(path);
    let mut w =
        flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), Default::default());
    w.write_all(data).unwrap();
    w.finish().unwrap();
}

pub fn bzip2(path: &Path, data: &[u8]) {
    mkdirs(path);
    let mut w =
        bzip2::write::BzEncoder::new(std::fs::File::create(path).unwrap(), Default::default());
    w.write_all(data).unwrap();
    w.finish().unwrap();
}

pub fn plain(path: &Path, data: &[u8]) {
    mkdirs(path);
    std::fs::write(path, data).unwrap();
}

pub const CLICK_SCHEMA: &str = r#"{"type":"record","name":"click","fields":[
  {"name":"user","type":"string"},
  {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"price","type":["null",{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}]},
  {"name":"tags","type":{"type":"array","items":"string"}},
  {"name":"attrs","type":{"type":"map","values":"int"}},
  {"name":"kind","type":{"type":"enum","name":"kind","symbols":["A","B"]}},
  {"name":"geo","type":["null",{"type":"record","name":"geo","fields":[{"name":"lat","type":"double"},{"name":"lon","type":"double"}]}]}
]}"#;

pub fn avro(path: &Path, deflate: bool, rows: usize) {
    use apache_avro::types::{Record, Value};
    mkdirs(path);
    let schema = apache_avro::Schema::parse_str(CLICK_SCHEMA).unwrap();
    let codec = if deflate {
        apache_avro::Codec::Deflate(Default::default())
    } else {
        apache_avro::Codec::Null
    };
    let mut w = apache_avro::Writer::with_codec(&schema, Vec::new(), codec).unwrap();
    for i in 0..rows {
        let mut r = Record::new(&schema).unwrap();
        r.put("user", format!("u{i}"));
        r.put("at", Value::TimestampMillis(1_700_000_000_000 + i as i64));
        r.put("price", Value::Union(0, Box::new(Value::Null)));
        r.put("tags", Value::Array(vec![Value::String("x".into())]));
        r.put(
            "attrs",
            Value::Map([("a".to_string(), Value::Int(1))].into_iter().collect()),
        );
        r.put("kind", Value::Enum(0, "A".into()));
        r.put("geo", Value::Union(0, Box::new(Value::Null)));
        w.append_value(r).unwrap();
    }
    std::fs::write(path, w.into_inner().unwrap()).unwrap();
}

/// The lake the end-to-end tests crawl; see `tests/crawl.rs` for what it must give.
pub fn standard(root: &Path) {
    let p = |rel: &str| root.join(rel);
    // sales: Parquet, Hive partitions, two schema generations, non-data and a stray.
    parquet(&p("sales/year=2024/month=01/part-0.parquet"), 1, 10);
    parquet(&p("sales/year=2024/month=01/part-1.parquet"), 1, 5);
    parquet(&p("sales/year=2024/month=02/part-0.parquet"), 2, 10);
    parquet(&p("sales/year=2025/month=01/part-0.parquet"), 2, 10);
    plain(&p("sales/year=2024/month=01/_SUCCESS"), b"");
    plain(&p("sales/year=2024/month=01/.part-0.parquet.crc"), b"crc");
    plain(&p("sales/year=2025/month=01/empty.parquet"), b"");
    plain(&p("sales/notes.csv"), b"a,b\n1,2\n");
    plain(&p("sales/_temporary/0/part-9.parquet"), b"junk");
    // people: gzip CSV whose columns are all strings (Glue drops such headers).
    let people = "name,city,country\nalice,Paris,France\nbob,Lyon,France\n";
    gzip(&p("people/part-1.csv.gz"), people.as_bytes());
    gzip(
        &p("people/part-2.csv.gz"),
        b"name,city,country\ncarol,Nice,France\n",
    );
    // events: bzip2 JSON lines in nameless date folders.
    bzip2(
        &p("events/2024/01/a.json.bz2"),
        b"{\"id\":1,\"payload\":{\"k\":\"v\"},\"tags\":[\"a\"]}\n{\"id\":2,\"payload\":{\"n\":3}}\n",
    );
    bzip2(
        &p("events/2024/02/b.json.bz2"),
        b"{\"id\":3,\"score\":1.5}\n",
    );
    // clicks: Avro, both codecs, Hive partitions.
    avro(&p("clicks/dt=2024-01-01/a.avro"), false, 3);
    avro(&p("clicks/dt=2024-01-02/b.avro"), true, 3);
    // mixed: a good TSV beside a truncated Parquet file and binary junk named .csv.
    plain(&p("mixed/good.tsv"), b"k\tv\nx\t1\ny\t2\n");
    let mut trunc = Vec::new();
    {
        let dir = tempfile::tempdir().unwrap();
        parquet(&dir.path().join("t.parquet"), 1, 100);
        trunc.extend(std::fs::read(dir.path().join("t.parquet")).unwrap());
    }
    trunc.truncate(trunc.len() - 30);
    plain(&p("mixed/broken.parquet"), &trunc);
    let junk: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    plain(&p("mixed/garbage.csv"), &junk);
    // Hidden folders are never data.
    plain(&p(".hive-staging_1/x.csv"), b"a\n1\n");
}
