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
use parquet::file::metadata::ParquetMetaDataReader;

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
    let mut r = ParquetMetaDataReader::new();
    let meta = match r.try_parse_sized(&bytes, size) {
        Ok(()) => r
            .finish()
            .map_err(|e| ParquetError::Invalid(e.to_string()))?,
        Err(PqError::NeedMoreData(n)) => return Err(ParquetError::NeedMore(n as u64)),
        Err(e) => return Err(ParquetError::Invalid(e.to_string())),
    };
    let fm = meta.file_metadata();
    let arrow = parquet_to_arrow_schema(fm.schema_descr(), fm.key_value_metadata())
        .map_err(|e| ParquetError::Invalid(format!("schema: {e}")))?;
    let mut notes = Vec::new();
    let columns = arrow
        .fields()
        .iter()
        .map(|f| InferredColumn {
            name: f.name().to_lowercase(),
            ty: hive_type(f, &mut notes),
        })
        .collect();
    if let Some(by) = fm.created_by() {
        notes.push(format!("written by {by}"));
    }
    Ok(FileSchema {
        classification: Classification::Parquet,
        compression: Compression::None,
        columns,
        csv: None,
        json_array: None,
        record_count: Some(fm.num_rows().max(0) as u64),
        record_count_exact: true,
        avro_schema: None,
        notes,
    })
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
