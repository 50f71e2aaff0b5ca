//! Parquet: the schema comes from the footer alone.
//!
//! The Parquet schema is converted by parquet's own arrow conversion, which already
//! knows the legacy two-level list encodings, INT96, every decimal encoding and the
//! converted/logical type annotations of every writer; this module only maps the
//! resulting arrow types to Hive types.

use super::{Classification, FileSchema, InferredColumn};
use crate::compression::Compression;
use arrow_schema::{DataType, Field};
use lakecat_catalog_api::types::{HiveType, StructField, MAX_DECIMAL_PRECISION};
use parquet::arrow::parquet_to_arrow_schema;
use parquet::errors::ParquetError as PqError;
use parquet::file::metadata::{
    ParquetMetaDataOptions, ParquetMetaDataReader, ParquetStatisticsPolicy,
};

#[derive(Debug)]
pub enum ParquetError {
    /// The footer needs this many bytes from the end of the file.
    NeedMore(u64),
    Encrypted,
    Invalid(String),
}

impl std::fmt::Display for ParquetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParquetError::NeedMore(n) => write!(f, "the footer needs the last {n} bytes"),
            ParquetError::Encrypted => f.write_str(
                "the Parquet file is encrypted (PARE footer): its schema cannot be read without the key",
            ),
            ParquetError::Invalid(e) => write!(f, "not a valid Parquet file: {e}"),
        }
    }
}

/// Infers from the last bytes of a file of `size` bytes.
pub fn infer(tail: &[u8], size: u64) -> Result<FileSchema, ParquetError> {
    if tail.ends_with(b"PARE") {
        return Err(ParquetError::Encrypted);
    }
    if !tail.ends_with(b"PAR1") {
        return Err(ParquetError::Invalid(
            "it does not end with the PAR1 magic (truncated or not Parquet)".into(),
        ));
    }
    if size < 12 {
        return Err(ParquetError::Invalid(format!("{size} bytes is too short")));
    }
    let bytes = bytes::Bytes::copy_from_slice(tail);
    // Only the schema and row counts are used: statistics are not decoded.
    let opts = ParquetMetaDataOptions::new()
        .with_encoding_stats_policy(ParquetStatisticsPolicy::SkipAll)
        .with_column_stats_policy(ParquetStatisticsPolicy::SkipAll)
        .with_size_stats_policy(ParquetStatisticsPolicy::SkipAll);
    let mut r = ParquetMetaDataReader::new().with_metadata_options(Some(opts.clone()));
    let mut repaired = false;
    let meta = match r.try_parse_sized(&bytes, size).and_then(|()| r.finish()) {
        Ok(m) => m,
        Err(PqError::NeedMoreData(n)) => return Err(ParquetError::NeedMore(n as u64)),
        Err(e) => {
            let m = repair(tail, &e.to_string(), &opts)
                .ok_or_else(|| ParquetError::Invalid(e.to_string()))?;
            repaired = true;
            m
        }
    };
    let fm = meta.file_metadata();
    let (columns, mut notes) = columns_of(fm.schema_descr())?;
    if repaired {
        notes.push(
            "the footer's list element types were repaired, as Java and C++ readers ignore them"
                .into(),
        );
    }
    if let Some(by) = fm.created_by() {
        notes.push(format!("written by {by}"));
    }
    Ok(FileSchema {
        grok: None,
        classification: Classification::Parquet,
        compression: Compression::None,
        columns,
        csv: None,
        json_array: None,
        record_count: Some(fm.num_rows().max(0) as u64),
        record_count_exact: true,
        avro_schema: None,
        xml: None,
        notes,
    })
}

/// The footer decoded after the lists parquet refused are retyped (see
/// [`super::thrift_repair`]); `None` when the error is of another kind.
fn repair(
    tail: &[u8],
    first_error: &str,
    opts: &ParquetMetaDataOptions,
) -> Option<parquet::file::metadata::ParquetMetaData> {
    use super::thrift_repair::{rewrite, wanted};
    let n = tail.len();
    let len = u32::from_le_bytes(tail.get(n.checked_sub(8)?..n - 4)?.try_into().ok()?) as usize;
    let footer = tail.get(n.checked_sub(8 + len)?..n - 8)?;
    let (_, found) = rewrite(footer, &Default::default())?;
    let mut fixes = std::collections::HashMap::new();
    let mut want = wanted(first_error)?;
    for at in found.into_iter().take(64) {
        fixes.insert(at, want);
        let (fixed, _) = rewrite(footer, &fixes)?;
        match ParquetMetaDataReader::decode_metadata_with_options(&fixed, Some(opts)) {
            Ok(m) => return Some(m),
            Err(e) => want = wanted(&e.to_string())?,
        }
    }
    None
}

/// A schema's Hive columns and the notes their conversion made.
type Converted = (Vec<InferredColumn>, Vec<String>);

thread_local! {
    /// Hive columns by schema: the files of a lake share a handful of schemas, and
    /// converting each file's schema again was a large part of a crawl's time.
    static COLUMNS: std::cell::RefCell<std::collections::HashMap<String, Converted>> =
        Default::default();
}

/// The whole schema tree as text: names, repetitions, physical, converted and
/// logical types, lengths, precisions and scales. Equal texts convert equally.
fn schema_key(t: &parquet::schema::types::Type, out: &mut String) {
    use std::fmt::Write;
    let info = t.get_basic_info();
    let _ = write!(
        out,
        "{}|{:?}|{:?}|{:?}",
        info.name(),
        info.has_repetition().then(|| info.repetition()),
        info.converted_type(),
        info.logical_type_ref()
    );
    if t.is_primitive() {
        let _ = write!(
            out,
            "|{:?}|{}|{}|{};",
            t.get_physical_type(),
            match t {
                parquet::schema::types::Type::PrimitiveType { type_length, .. } => *type_length,
                _ => 0,
            },
            t.get_precision(),
            t.get_scale()
        );
    } else {
        out.push('(');
        for f in t.get_fields() {
            schema_key(f, out);
        }
        out.push_str(");");
    }
}

fn columns_of(descr: &parquet::schema::types::SchemaDescriptor) -> Result<Converted, ParquetError> {
    let mut key = String::new();
    schema_key(descr.root_schema(), &mut key);
    if let Some(hit) = COLUMNS.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(hit);
    }
    // The embedded arrow schema (pyarrow's and arrow-rs's ARROW:schema) only refines
    // arrow-specific types that map to the same Hive types, so it is not decoded.
    let arrow = parquet_to_arrow_schema(descr, None)
        .map_err(|e| ParquetError::Invalid(format!("schema: {e}")))?;
    let mut notes = Vec::new();
    // ENUM (written by Avro-to-Parquet converters) is UTF-8 text that the arrow
    // conversion leaves as binary; engines read it as a string.
    let enums: Vec<String> = descr
        .columns()
        .iter()
        .filter(|c| {
            matches!(
                c.logical_type_ref(),
                Some(parquet::basic::LogicalType::Enum)
            ) || c.converted_type() == parquet::basic::ConvertedType::ENUM
        })
        .map(|c| c.path().string())
        .collect();
    let columns: Vec<InferredColumn> = arrow
        .fields()
        .iter()
        .map(|f| {
            let mut ty = hive_type(f, &mut notes);
            retype_enums(&mut ty, f.name(), &enums);
            InferredColumn {
                name: f.name().to_lowercase(),
                ty,
            }
        })
        .collect();
    COLUMNS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 10_000 {
            c.clear();
        }
        c.insert(key, (columns.clone(), notes.clone()));
    });
    Ok((columns, notes))
}

/// Turns `binary` into `string` at the paths of ENUM leaves (through structs).
fn retype_enums(ty: &mut HiveType, path: &str, enums: &[String]) {
    match ty {
        HiveType::Binary if enums.iter().any(|e| e == path) => *ty = HiveType::String,
        HiveType::Struct(fields) => {
            for f in fields {
                // Field names are lower-cased already; parquet paths keep their case.
                let child = enums
                    .iter()
                    .find(|e| e.to_lowercase() == format!("{path}.{}", f.name).to_lowercase())
                    .cloned()
                    .unwrap_or_else(|| format!("{path}.{}", f.name));
                retype_enums(&mut f.ty, &child, enums);
            }
        }
        _ => {}
    }
}

fn decimal(p: u8, s: i8, notes: &mut Vec<String>, name: &str) -> HiveType {
    if u32::from(p) > MAX_DECIMAL_PRECISION || s < 0 {
        notes.push(format!(
            "{name}: decimal({p},{s}) does not fit Hive's decimal (precision ≤ 38, scale ≥ 0); typed string"
        ));
        return HiveType::String;
    }
    HiveType::Decimal {
        precision: u32::from(p),
        scale: s as u32,
    }
}

/// The Hive type of an arrow field (as converted from Parquet).
pub fn hive_type(f: &Field, notes: &mut Vec<String>) -> HiveType {
    use HiveType as H;
    let name = f.name();
    match f.data_type() {
        DataType::Null => H::Void,
        DataType::Boolean => H::Boolean,
        DataType::Int8 => H::TinyInt,
        DataType::Int16 | DataType::UInt8 => H::SmallInt,
        DataType::Int32 | DataType::UInt16 => H::Int,
        DataType::Int64 | DataType::UInt32 => H::BigInt,
        // Hive has no unsigned 64-bit type; bigint is what the Parquet column physically
        // is, so engines can read it (values above 2^63 read as negative).
        DataType::UInt64 => {
            notes.push(format!(
                "{name}: UINT_64 typed bigint (Hive has no unsigned types)"
            ));
            H::BigInt
        }
        DataType::Float16 | DataType::Float32 => H::Float,
        DataType::Float64 => H::Double,
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => decimal(*p, *s, notes, name),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => H::String,
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => H::Binary,
        DataType::Date32 | DataType::Date64 => H::Date,
        DataType::Timestamp(_, _) => H::Timestamp,
        // Hive has no time of day; the stored integer is what engines can read.
        DataType::Time32(_) => H::Int,
        DataType::Time64(_) | DataType::Duration(_) => H::BigInt,
        DataType::Interval(_) => H::Binary,
        DataType::List(e)
        | DataType::LargeList(e)
        | DataType::ListView(e)
        | DataType::LargeListView(e)
        | DataType::FixedSizeList(e, _) => H::Array(Box::new(hive_type(e, notes))),
        DataType::Struct(fields) => H::Struct(
            fields
                .iter()
                .map(|c| StructField {
                    name: c.name().to_lowercase(),
                    ty: hive_type(c, notes),
                    comment: None,
                })
                .collect(),
        ),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => H::Map(
                Box::new(hive_type(&kv[0], notes)),
                Box::new(hive_type(&kv[1], notes)),
            ),
            _ => H::String,
        },
        DataType::Dictionary(_, v) => hive_type(&Field::new(name, (**v).clone(), true), notes),
        DataType::RunEndEncoded(_, v) => hive_type(v, notes),
        DataType::Union(fields, _) => {
            H::Union(fields.iter().map(|(_, c)| hive_type(c, notes)).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    /// A footer-only file (no row groups) with the given schema.
    fn file(schema: &str) -> Vec<u8> {
        let t = Arc::new(parse_message_type(schema).unwrap());
        let mut buf = Vec::new();
        let w = SerializedFileWriter::new(&mut buf, t, Arc::new(WriterProperties::new())).unwrap();
        w.close().unwrap();
        buf
    }

    const EVERY_TYPE: &str = "message m {
        required int32 i8 (INTEGER(8,true));
        required int32 i16 (INT_16);
        required int32 i32;
        required int64 i64;
        optional int64 u64 (INTEGER(64,false));
        optional int32 u32 (UINT_32);
        optional int32 u8 (UINT_8);
        optional float f;
        optional double d;
        optional boolean b;
        optional binary s (UTF8);
        optional binary s2 (STRING);
        optional binary raw;
        optional fixed_len_byte_array(16) id (UUID);
        optional int96 legacy_ts;
        optional int64 ts_micros (TIMESTAMP(MICROS,true));
        optional int64 ts_millis (TIMESTAMP_MILLIS);
        optional int64 ts_nanos (TIMESTAMP(NANOS,false));
        optional int32 day (DATE);
        optional int32 dec_i32 (DECIMAL(9,2));
        optional int64 dec_i64 (DECIMAL(18,4));
        optional fixed_len_byte_array(16) dec_fixed (DECIMAL(38,10));
        optional binary dec_bin (DECIMAL(20,3));
        optional int32 t_ms (TIME(MILLIS,true));
        optional int64 t_us (TIME(MICROS,false));
        optional binary e (ENUM);
        optional binary j (JSON);
        optional group modern_list (LIST) { repeated group list { optional int32 element; } }
        optional group legacy_list (LIST) { repeated int32 array; }
        optional group legacy_structs (LIST) { repeated group array { required binary a (UTF8); required int32 b; } }
        optional group m (MAP) { repeated group key_value { required binary key (UTF8); optional int64 value; } }
        optional group legacy_map (MAP_KEY_VALUE) { repeated group map { required binary key (UTF8); optional int32 value; } }
        optional group Nested { optional group inner { optional double X; } optional group arr (LIST) { repeated group list { optional group element { optional binary name (UTF8); } } } }
        repeated int32 bare_repeated;
    }";

    #[test]
    fn every_parquet_type_maps_to_a_hive_type() {
        let bytes = file(EVERY_TYPE);
        let s = infer(&bytes, bytes.len() as u64).unwrap();
        let got: Vec<String> = s
            .columns
            .iter()
            .map(|c| format!("{} {}", c.name, c.ty))
            .collect();
        let want = [
            "i8 tinyint",
            "i16 smallint",
            "i32 int",
            "i64 bigint",
            "u64 bigint",
            "u32 bigint",
            "u8 smallint",
            "f float",
            "d double",
            "b boolean",
            "s string",
            "s2 string",
            "raw binary",
            "id binary",
            "legacy_ts timestamp",
            "ts_micros timestamp",
            "ts_millis timestamp",
            "ts_nanos timestamp",
            "day date",
            "dec_i32 decimal(9,2)",
            "dec_i64 decimal(18,4)",
            "dec_fixed decimal(38,10)",
            "dec_bin decimal(20,3)",
            "t_ms int",
            "t_us bigint",
            "e string",
            "j string",
            "modern_list array<int>",
            "legacy_list array<int>",
            "legacy_structs array<struct<a:string,b:int>>",
            "m map<string,bigint>",
            "legacy_map map<string,int>",
            "nested struct<inner:struct<x:double>,arr:array<struct<name:string>>>",
            "bare_repeated array<int>",
        ];
        assert_eq!(got, want);
        assert_eq!(s.record_count, Some(0));
        assert!(s.notes.iter().any(|n| n.contains("UINT_64")));
    }

    #[test]
    fn the_schema_cache_tells_annotations_apart() {
        let cols = |schema: &str| {
            let b = file(schema);
            infer(&b, b.len() as u64)
                .unwrap()
                .columns
                .iter()
                .map(|c| c.ty.to_string())
                .collect::<Vec<_>>()
        };
        let list = "message m { optional group a (LIST) { repeated int32 array; } }";
        let plain = "message m { optional group a { repeated int32 array; } }";
        for _ in 0..2 {
            assert_eq!(cols(list), ["array<int>"]);
            assert_eq!(cols(plain), ["struct<array:array<int>>"]);
            assert_eq!(cols("message m { optional int32 a (DATE); }"), ["date"]);
            assert_eq!(cols("message m { optional int32 a; }"), ["int"]);
        }
    }

    #[test]
    fn short_tails_ask_for_more_and_bad_footers_are_named() {
        let bytes = file(EVERY_TYPE);
        let n = bytes.len() as u64;
        match infer(&bytes[bytes.len() - 8..], n) {
            Err(ParquetError::NeedMore(k)) => {
                assert!(k <= n);
                assert!(infer(&bytes[(n - k) as usize..], n).is_ok());
            }
            other => panic!("{other:?}"),
        }
        let mut enc = bytes.clone();
        let l = enc.len();
        enc[l - 4..].copy_from_slice(b"PARE");
        assert!(matches!(infer(&enc, n), Err(ParquetError::Encrypted)));
        assert!(infer(&enc, n)
            .unwrap_err()
            .to_string()
            .contains("encrypted"));
        let mut bad = bytes.clone();
        let l = bad.len();
        for b in &mut bad[l - 40..l - 8] {
            *b = 0xee;
        }
        let e = infer(&bad, n).unwrap_err();
        assert!(matches!(e, ParquetError::Invalid(_)), "{e:?}");
    }

    /// A footer whose `i32` lists are written as `byte` lists, which parquet's
    /// decoder refuses ("Expected list element type of I32 but got Byte") and Java
    /// and C++ readers take, gives the same schema as the untouched file.
    #[test]
    fn footers_with_byte_typed_lists_are_repaired() {
        let path = format!(
            "{}/../testdata/parquet/pyarrow_default.parquet",
            env!("CARGO_MANIFEST_DIR")
        );
        let file = std::fs::read(path).unwrap();
        let n = file.len();
        let len = u32::from_le_bytes(file[n - 8..n - 4].try_into().unwrap()) as usize;
        let footer = &file[n - 8 - len..n - 8];
        let narrowed = crate::infer::thrift_repair::narrow_i32_lists(footer).unwrap();
        assert_ne!(narrowed, footer, "the fixture has i32 lists to narrow");
        let err = ParquetMetaDataReader::decode_metadata(&narrowed).unwrap_err();
        assert!(
            err.to_string()
                .contains("Expected list element type of I32 but got Byte"),
            "{err}"
        );
        let mut broken = file[..n - 8 - len].to_vec();
        broken.extend_from_slice(&narrowed);
        broken.extend_from_slice(&(narrowed.len() as u32).to_le_bytes());
        broken.extend_from_slice(b"PAR1");
        let good = infer(&file, n as u64).unwrap();
        let fixed = infer(&broken, broken.len() as u64).unwrap();
        assert_eq!(fixed.columns, good.columns);
        assert_eq!(fixed.record_count, good.record_count);
        assert!(
            fixed.notes.iter().any(|n| n.contains("repaired")),
            "{:?}",
            fixed.notes
        );
    }
}
