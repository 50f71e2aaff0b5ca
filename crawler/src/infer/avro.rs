//! Avro: the schema comes from the container header alone (magic, metadata map,
//! sync marker). The header is decoded with apache-avro's own datum reader, so no
//! codec needs to be compiled in: the blocks, where codecs matter, are never read.
//!
//! Unions: `[null, T]` (either order) is a nullable `T`; a union of one type is that
//! type; any other union becomes `uniontype<…>`, which is what Hive's AvroSerDe
//! derives for it (Athena cannot read those columns; the report notes them).

use super::{Classification, FileSchema, InferredColumn};
use crate::compression::Compression;
use apache_avro::schema::{Name, Schema};
use apache_avro::types::Value;
use lakecat_catalog_api::types::{HiveType, StructField, MAX_DECIMAL_PRECISION};
use std::collections::HashMap;

#[derive(Debug)]
pub enum AvroError {
    /// The header continues past the bytes given.
    NeedMore,
    Invalid(String),
}

/// The codecs of the Avro container specification.
const CODECS: [&str; 6] = ["null", "deflate", "snappy", "bzip2", "xz", "zstandard"];

pub fn infer(head: &[u8]) -> Result<FileSchema, AvroError> {
    if !head.starts_with(b"Obj\x01") {
        return Err(AvroError::Invalid("no Avro magic".into()));
    }
    let meta_schema = Schema::map(Schema::Bytes).build();
    let mut r = &head[4..];
    #[allow(deprecated)] // its replacement's builder is not re-exported at the crate root
    let meta = match apache_avro::from_avro_datum(&meta_schema, &mut r, None) {
        Ok(Value::Map(m)) => m,
        Ok(_) => {
            return Err(AvroError::Invalid(
                "the header metadata is not a map".into(),
            ))
        }
        Err(e) => {
            let msg = e.to_string();
            return Err(if is_eof(&e) {
                AvroError::NeedMore
            } else {
                AvroError::Invalid(format!("the header is corrupt: {msg}"))
            });
        }
    };
    if r.len() < 16 {
        return Err(AvroError::NeedMore);
    }
    let text = |k: &str| -> Result<Option<String>, AvroError> {
        match meta.get(k) {
            Some(Value::Bytes(b)) => String::from_utf8(b.clone())
                .map(Some)
                .map_err(|_| AvroError::Invalid(format!("header field {k} is not UTF-8"))),
            Some(_) => Err(AvroError::Invalid(format!("header field {k} is not bytes"))),
            None => Ok(None),
        }
    };
    let schema_text = text("avro.schema")?
        .ok_or_else(|| AvroError::Invalid("the header has no avro.schema".into()))?;
    let codec = text("avro.codec")?.unwrap_or_else(|| "null".into());
    let mut notes = Vec::new();
    if !CODECS.contains(&codec.as_str()) {
        notes.push(format!(
            "unknown Avro codec {codec:?}: the data blocks may be unreadable"
        ));
    }
    let columns = schema_columns(&schema_text, &mut notes).map_err(AvroError::Invalid)?;
    Ok(FileSchema {
        grok: None,
        classification: Classification::Avro,
        compression: Compression::None,
        columns,
        csv: None,
        json_array: None,
        record_count: None,
        record_count_exact: false,
        avro_schema: Some(schema_text),
        xml: None,
        notes,
    })
}

/// The columns of an Avro schema given as JSON text: a record's fields, or one
/// column `value` for any other top-level type. Hudi keeps its table schema so.
pub fn schema_columns(
    schema_text: &str,
    notes: &mut Vec<String>,
) -> Result<Vec<InferredColumn>, String> {
    let schema =
        Schema::parse_str(schema_text).map_err(|e| format!("the writer schema is invalid: {e}"))?;
    let mut names = HashMap::new();
    collect_names(&schema, &mut names);
    Ok(match &schema {
        Schema::Record(rec) => rec
            .fields
            .iter()
            .map(|f| InferredColumn {
                name: f.name.to_lowercase(),
                ty: hive_type(&f.schema, &names, notes, &f.name, 0),
            })
            .collect(),
        other => {
            notes.push("the top-level schema is not a record: one column named value".into());
            vec![InferredColumn {
                name: "value".into(),
                ty: hive_type(other, &names, notes, "value", 0),
            }]
        }
    })
}

fn is_eof(e: &apache_avro::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::UnexpectedEof;
        }
        src = s.source();
    }
    let m = e.to_string().to_lowercase();
    m.contains("eof") || m.contains("fill whole buffer")
}

fn collect_names(s: &Schema, out: &mut HashMap<Name, Schema>) {
    match s {
        Schema::Record(r) => {
            out.insert(r.name.clone(), s.clone());
            for f in &r.fields {
                collect_names(&f.schema, out);
            }
        }
        Schema::Enum(e) => {
            out.insert(e.name.clone(), s.clone());
        }
        Schema::Fixed(f) => {
            out.insert(f.name.clone(), s.clone());
        }
        Schema::Array(a) => collect_names(&a.items, out),
        Schema::Map(m) => collect_names(&m.types, out),
        Schema::Union(u) => u.variants().iter().for_each(|v| collect_names(v, out)),
        _ => {}
    }
}

/// Recursive records are legal Avro but have no Hive type; they are cut here.
const MAX_DEPTH: usize = 32;

fn hive_type(
    s: &Schema,
    names: &HashMap<Name, Schema>,
    notes: &mut Vec<String>,
    col: &str,
    depth: usize,
) -> HiveType {
    use HiveType as H;
    if depth > MAX_DEPTH {
        notes.push(format!(
            "{col}: a recursive record is typed string below depth {MAX_DEPTH}"
        ));
        return H::String;
    }
    let next = |s: &Schema, notes: &mut Vec<String>| hive_type(s, names, notes, col, depth + 1);
    match s {
        Schema::Null => H::Void,
        Schema::Boolean => H::Boolean,
        Schema::Int => H::Int,
        Schema::Long => H::BigInt,
        Schema::Float => H::Float,
        Schema::Double => H::Double,
        Schema::Bytes | Schema::Fixed(_) | Schema::Duration(_) => H::Binary,
        Schema::String | Schema::Uuid(_) | Schema::Enum(_) | Schema::BigDecimal => H::String,
        Schema::Decimal(d) => {
            if d.precision as u32 > MAX_DECIMAL_PRECISION {
                notes.push(format!(
                    "{col}: decimal({},{}) exceeds Hive's precision 38; typed string",
                    d.precision, d.scale
                ));
                H::String
            } else {
                H::Decimal {
                    precision: d.precision as u32,
                    scale: d.scale as u32,
                }
            }
        }
        Schema::Date => H::Date,
        // Hive has no time of day; the stored integer is what engines can read.
        Schema::TimeMillis => H::Int,
        Schema::TimeMicros => H::BigInt,
        Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => H::Timestamp,
        Schema::Array(a) => H::Array(Box::new(next(&a.items, notes))),
        Schema::Map(m) => H::Map(Box::new(H::String), Box::new(next(&m.types, notes))),
        Schema::Record(r) => H::Struct(
            r.fields
                .iter()
                .map(|f| StructField {
                    name: f.name.to_lowercase(),
                    ty: next(&f.schema, notes),
                    comment: None,
                })
                .collect(),
        ),
        Schema::Union(u) => {
            let non_null: Vec<&Schema> = u
                .variants()
                .iter()
                .filter(|v| !matches!(v, Schema::Null))
                .collect();
            match non_null.as_slice() {
                [] => H::Void,
                [one] => next(one, notes),
                many => {
                    notes.push(format!(
                        "{col}: a union of {} non-null types becomes uniontype<…>, as Hive's AvroSerDe reads it",
                        many.len()
                    ));
                    H::Union(many.iter().map(|v| next(v, notes)).collect())
                }
            }
        }
        Schema::Ref { name } => match names.get(name) {
            Some(target) => next(target, notes),
            None => {
                notes.push(format!("{col}: unresolved named type {name}; typed string"));
                H::String
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A container header as any writer would produce it, with the given codec.
    fn header(schema: &str, codec: &str) -> Vec<u8> {
        let meta = Value::Map(
            [
                (
                    "avro.schema".to_string(),
                    Value::Bytes(schema.as_bytes().to_vec()),
                ),
                (
                    "avro.codec".to_string(),
                    Value::Bytes(codec.as_bytes().to_vec()),
                ),
            ]
            .into_iter()
            .collect(),
        );
        let mut out = b"Obj\x01".to_vec();
        #[allow(deprecated)]
        out.extend(apache_avro::to_avro_datum(&Schema::map(Schema::Bytes).build(), meta).unwrap());
        out.extend([7u8; 16]);
        out
    }

    const SCHEMA: &str = r#"{"type":"record","name":"r","namespace":"n","fields":[
        {"name":"Id","type":"long"},
        {"name":"u","type":{"type":"string","logicalType":"uuid"}},
        {"name":"d","type":{"type":"int","logicalType":"date"}},
        {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}},
        {"name":"lts","type":{"type":"long","logicalType":"local-timestamp-millis"}},
        {"name":"tm","type":{"type":"int","logicalType":"time-millis"}},
        {"name":"dec","type":{"type":"fixed","name":"d8","size":8,"logicalType":"decimal","precision":12,"scale":3}},
        {"name":"f","type":{"type":"fixed","name":"md5","size":16}},
        {"name":"f2","type":"n.md5"},
        {"name":"b","type":"bytes"},
        {"name":"fl","type":"float"},
        {"name":"ok","type":["boolean","null"]},
        {"name":"either","type":["null","int","string"]},
        {"name":"self","type":["null",{"type":"record","name":"child","fields":[{"name":"x","type":"int"}]}]},
        {"name":"again","type":["null","n.child"]}
    ]}"#;

    #[test]
    fn every_codec_and_logical_type() {
        for codec in CODECS {
            let s = infer(&header(SCHEMA, codec)).unwrap();
            let got: Vec<String> = s
                .columns
                .iter()
                .map(|c| format!("{} {}", c.name, c.ty))
                .collect();
            assert_eq!(
                got,
                [
                    "id bigint",
                    "u string",
                    "d date",
                    "ts timestamp",
                    "lts timestamp",
                    "tm int",
                    "dec decimal(12,3)",
                    "f binary",
                    "f2 binary",
                    "b binary",
                    "fl float",
                    "ok boolean",
                    "either uniontype<int,string>",
                    "self struct<x:int>",
                    "again struct<x:int>",
                ],
                "{codec}"
            );
            assert!(s.notes.iter().any(|n| n.contains("uniontype")), "{codec}");
            assert_eq!(s.avro_schema.as_deref(), Some(SCHEMA));
        }
        let s = infer(&header(SCHEMA, "lzma-9000")).unwrap();
        assert!(s.notes.iter().any(|n| n.contains("unknown Avro codec")));
    }

    #[test]
    fn truncated_and_corrupt_headers() {
        let h = header(SCHEMA, "null");
        assert!(matches!(infer(&h[..h.len() / 2]), Err(AvroError::NeedMore)));
        assert!(matches!(infer(&h[..h.len() - 4]), Err(AvroError::NeedMore)));
        let bad = header("{\"type\":\"record\"", "null");
        match infer(&bad) {
            Err(AvroError::Invalid(m)) => assert!(m.contains("writer schema"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
