//! Column statistics of tables and partitions (Glue's `ColumnStatistics`, Hive's
//! `ColumnStatisticsObj`) and partition index definitions.
//!
//! The shapes mirror Glue's in snake_case like the rest of the model, so the Glue
//! front converts them key by key. `normalize` checks one record against the column
//! it describes: statistics are only kept for a column that exists with the type the
//! record names, in the shape that type calls for.

use crate::error::{Error, Result};
use crate::model::Column;
use crate::names::normalize_name;
use crate::types::HiveType;
use serde::{Deserialize, Deserializer, Serialize};

/// Glue sends timestamps as epoch seconds, sometimes with a fraction.
fn secs<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<i64, D::Error> {
    let v = f64::deserialize(d)?;
    if !v.is_finite() {
        return Err(serde::de::Error::custom(
            "a timestamp must be a finite number",
        ));
    }
    Ok(v.floor() as i64)
}

fn opt_secs<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "secs")] i64);
    Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnStatistics {
    pub column_name: String,
    pub column_type: String,
    /// Seconds since the epoch.
    #[serde(deserialize_with = "secs")]
    pub analyzed_time: i64,
    pub statistics_data: StatisticsData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StatisticsType {
    Boolean,
    Date,
    Decimal,
    Double,
    Long,
    String,
    Binary,
}

impl StatisticsType {
    pub fn as_str(self) -> &'static str {
        match self {
            StatisticsType::Boolean => "BOOLEAN",
            StatisticsType::Date => "DATE",
            StatisticsType::Decimal => "DECIMAL",
            StatisticsType::Double => "DOUBLE",
            StatisticsType::Long => "LONG",
            StatisticsType::String => "STRING",
            StatisticsType::Binary => "BINARY",
        }
    }
}

/// One of the `*_column_statistics_data` members is present: the one `type` names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsData {
    #[serde(rename = "type")]
    pub type_: StatisticsType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boolean_column_statistics_data: Option<BooleanStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_column_statistics_data: Option<DateStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimal_column_statistics_data: Option<DecimalStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub double_column_statistics_data: Option<DoubleStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_column_statistics_data: Option<LongStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_column_statistics_data: Option<StringStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_column_statistics_data: Option<BinaryStatistics>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BooleanStatistics {
    pub number_of_trues: u64,
    pub number_of_falses: u64,
    pub number_of_nulls: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateStatistics {
    /// Seconds since the epoch (Glue's Timestamp).
    #[serde(
        default,
        deserialize_with = "opt_secs",
        skip_serializing_if = "Option::is_none"
    )]
    pub minimum_value: Option<i64>,
    #[serde(
        default,
        deserialize_with = "opt_secs",
        skip_serializing_if = "Option::is_none"
    )]
    pub maximum_value: Option<i64>,
    pub number_of_nulls: u64,
    pub number_of_distinct_values: u64,
}

/// An exact decimal: `unscaled_value` is the big-endian two's-complement integer,
/// base64-encoded as Glue's JSON protocol sends blobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecimalNumber {
    pub unscaled_value: String,
    pub scale: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecimalStatistics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_value: Option<DecimalNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_value: Option<DecimalNumber>,
    pub number_of_nulls: u64,
    pub number_of_distinct_values: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoubleStatistics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_value: Option<f64>,
    pub number_of_nulls: u64,
    pub number_of_distinct_values: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongStatistics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_value: Option<i64>,
    pub number_of_nulls: u64,
    pub number_of_distinct_values: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StringStatistics {
    pub maximum_length: u64,
    pub average_length: f64,
    pub number_of_nulls: u64,
    pub number_of_distinct_values: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinaryStatistics {
    pub maximum_length: u64,
    pub average_length: f64,
    pub number_of_nulls: u64,
}

/// The statistics type a column type takes, `None` for types Glue keeps none for.
pub fn statistics_type_for(t: &HiveType) -> Option<StatisticsType> {
    Some(match t {
        HiveType::Boolean => StatisticsType::Boolean,
        // Hive 2.x gathers timestamp statistics as longs (seconds).
        HiveType::TinyInt
        | HiveType::SmallInt
        | HiveType::Int
        | HiveType::BigInt
        | HiveType::Timestamp => StatisticsType::Long,
        HiveType::Float | HiveType::Double => StatisticsType::Double,
        HiveType::Decimal { .. } => StatisticsType::Decimal,
        HiveType::Date => StatisticsType::Date,
        HiveType::String | HiveType::Char(_) | HiveType::Varchar(_) => StatisticsType::String,
        HiveType::Binary => StatisticsType::Binary,
        _ => return None,
    })
}

fn decode_unscaled(what: &str, d: &DecimalNumber) -> Result<i128> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&d.unscaled_value)
        .map_err(|e| Error::invalid(format!("{what}.unscaled_value is not base64: {e}")))?;
    if bytes.is_empty() || bytes.len() > 16 {
        return Err(Error::invalid(format!(
            "{what}.unscaled_value must be 1 to 16 bytes, not {}",
            bytes.len()
        )));
    }
    if !(0..=38).contains(&d.scale) {
        return Err(Error::invalid(format!(
            "{what}.scale must be 0 to 38, not {}",
            d.scale
        )));
    }
    // Sign-extend the big-endian two's complement to 128 bits.
    let fill = if bytes[0] & 0x80 != 0 { 0xFF } else { 0 };
    let mut buf = [fill; 16];
    buf[16 - bytes.len()..].copy_from_slice(&bytes);
    Ok(i128::from_be_bytes(buf))
}

/// `a <= b` for two decimals of possibly different scales, without overflow.
fn decimal_le(a: (i128, i32), b: (i128, i32)) -> bool {
    let (x, y) = if a.1 <= b.1 {
        (a.0.checked_mul(10i128.pow((b.1 - a.1) as u32)), Some(b.0))
    } else {
        (Some(a.0), b.0.checked_mul(10i128.pow((a.1 - b.1) as u32)))
    };
    match (x, y) {
        (Some(x), Some(y)) => x <= y,
        // Scaling overflowed: the scaled side is the larger in magnitude.
        (None, _) => a.0 < 0,
        (_, None) => b.0 > 0,
    }
}

fn check_range<T: PartialOrd + std::fmt::Debug>(
    what: &str,
    min: Option<T>,
    max: Option<T>,
) -> Result<()> {
    if let (Some(lo), Some(hi)) = (&min, &max) {
        if lo.partial_cmp(hi) == Some(std::cmp::Ordering::Greater) {
            return Err(Error::invalid(format!(
                "{what}: minimum_value {lo:?} is above maximum_value {hi:?}"
            )));
        }
    }
    Ok(())
}

fn check_length(what: &str, avg: f64, max: u64) -> Result<()> {
    if !avg.is_finite() || avg < 0.0 || avg > max as f64 {
        return Err(Error::invalid(format!(
            "{what}: average_length {avg} must be between 0 and maximum_length {max}"
        )));
    }
    Ok(())
}

impl ColumnStatistics {
    /// Checks the record against the column it describes (`None`: there is no
    /// such column) and canonicalises its name and type.
    pub fn normalize(&mut self, column: Option<&Column>) -> Result<()> {
        self.column_name = normalize_name("column name", &self.column_name)?;
        let Some(column) = column else {
            return Err(Error::not_found(format!(
                "column {} does not exist",
                self.column_name
            )));
        };
        let ty = HiveType::parse(&self.column_type)
            .map_err(|e| Error::invalid(format!("column_type {:?}: {e}", self.column_type)))?;
        self.column_type = ty.to_string();
        if self.column_type != column.type_ {
            return Err(Error::invalid(format!(
                "column {} is of type {}, not {}",
                self.column_name, column.type_, self.column_type
            )));
        }
        let Some(expected) = statistics_type_for(&ty) else {
            return Err(Error::invalid(format!(
                "column {} is of type {}, which has no column statistics",
                self.column_name, self.column_type
            )));
        };
        let d = &self.statistics_data;
        if d.type_ != expected {
            return Err(Error::invalid(format!(
                "column {} of type {} takes {} statistics, not {}",
                self.column_name,
                self.column_type,
                expected.as_str(),
                d.type_.as_str()
            )));
        }
        let present = [
            d.boolean_column_statistics_data.is_some(),
            d.date_column_statistics_data.is_some(),
            d.decimal_column_statistics_data.is_some(),
            d.double_column_statistics_data.is_some(),
            d.long_column_statistics_data.is_some(),
            d.string_column_statistics_data.is_some(),
            d.binary_column_statistics_data.is_some(),
        ];
        let member = match d.type_ {
            StatisticsType::Boolean => 0,
            StatisticsType::Date => 1,
            StatisticsType::Decimal => 2,
            StatisticsType::Double => 3,
            StatisticsType::Long => 4,
            StatisticsType::String => 5,
            StatisticsType::Binary => 6,
        };
        let name = [
            "boolean_column_statistics_data",
            "date_column_statistics_data",
            "decimal_column_statistics_data",
            "double_column_statistics_data",
            "long_column_statistics_data",
            "string_column_statistics_data",
            "binary_column_statistics_data",
        ];
        if !present[member] {
            return Err(Error::invalid(format!(
                "statistics_data of type {} needs {}",
                d.type_.as_str(),
                name[member]
            )));
        }
        if let Some(other) = (0..7).find(|&i| i != member && present[i]) {
            return Err(Error::invalid(format!(
                "statistics_data of type {} must not have {}",
                d.type_.as_str(),
                name[other]
            )));
        }
        let what = format!("statistics of column {}", self.column_name);
        if let Some(s) = &d.date_column_statistics_data {
            check_range(&what, s.minimum_value, s.maximum_value)?;
        }
        if let Some(s) = &d.long_column_statistics_data {
            check_range(&what, s.minimum_value, s.maximum_value)?;
        }
        if let Some(s) = &d.double_column_statistics_data {
            if s.minimum_value.is_some_and(f64::is_nan) || s.maximum_value.is_some_and(f64::is_nan)
            {
                return Err(Error::invalid(format!("{what}: NaN is not a bound")));
            }
            check_range(&what, s.minimum_value, s.maximum_value)?;
        }
        if let Some(s) = &d.decimal_column_statistics_data {
            let min = s
                .minimum_value
                .as_ref()
                .map(|m| {
                    decode_unscaled(&format!("{what}: minimum_value"), m).map(|v| (v, m.scale))
                })
                .transpose()?;
            let max = s
                .maximum_value
                .as_ref()
                .map(|m| {
                    decode_unscaled(&format!("{what}: maximum_value"), m).map(|v| (v, m.scale))
                })
                .transpose()?;
            if let (Some(lo), Some(hi)) = (min, max) {
                if !decimal_le(lo, hi) {
                    return Err(Error::invalid(format!(
                        "{what}: minimum_value is above maximum_value"
                    )));
                }
            }
        }
        if let Some(s) = &d.string_column_statistics_data {
            check_length(&what, s.average_length, s.maximum_length)?;
        }
        if let Some(s) = &d.binary_column_statistics_data {
            check_length(&what, s.average_length, s.maximum_length)?;
        }
        Ok(())
    }
}

/// A partition index (Glue's `PartitionIndex`): an ordering of the partitions by
/// some of the table's partition keys, kept up to date by every partition write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionIndex {
    pub index_name: String,
    /// Partition key names, in index order.
    pub keys: Vec<String>,
    /// Which of the table's index key spaces holds the entries; set by the store.
    #[serde(default)]
    pub slot: u8,
}

/// Most records one statistics update takes (Glue's limit).
pub const MAX_STATISTICS_UPDATE: usize = 25;
/// Most columns one statistics lookup names (Glue's limit).
pub const MAX_STATISTICS_COLUMNS: usize = 100;

/// Where a table's statistics records live, relative to the table: the table's
/// own under `0xFF` (no encoded partition key starts with it: it never occurs in
/// UTF-8), a partition's under `0x00` and its encoded values, so dropping a
/// partition's statistics is one prefix.
pub fn stats_prefix(partition_key: Option<&[u8]>) -> Vec<u8> {
    match partition_key {
        None => vec![0xFF],
        Some(k) => {
            let mut p = Vec::with_capacity(k.len() + 1);
            p.push(0x00);
            p.extend_from_slice(k);
            p
        }
    }
}

pub fn stats_key(partition_key: Option<&[u8]>, column: &str) -> Vec<u8> {
    let mut k = stats_prefix(partition_key);
    crate::kv::keys::encode_value(&mut k, column);
    k
}

/// One record of a statistics update that was not applied, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnStatisticsError {
    pub statistics: ColumnStatistics,
    pub error: Error,
}

/// The columns statistics may describe: a partition's own columns when it lists
/// some, the table's otherwise (a partition added with only a location has the
/// table's schema).
pub fn columns_of<'a>(
    table: &'a crate::model::Table,
    partition: Option<&'a crate::model::Partition>,
) -> &'a [Column] {
    match partition.and_then(|p| p.storage_descriptor.as_ref()) {
        Some(sd) if !sd.columns.is_empty() => &sd.columns,
        _ => table.columns(),
    }
}

/// Checks each record of an update; the valid ones are written, the others
/// reported (Glue's per-item errors).
pub fn plan_statistics_update(
    columns: &[Column],
    stats: Vec<ColumnStatistics>,
) -> Result<(Vec<ColumnStatistics>, Vec<ColumnStatisticsError>)> {
    if stats.len() > MAX_STATISTICS_UPDATE {
        return Err(Error::invalid(format!(
            "at most {MAX_STATISTICS_UPDATE} column statistics can be updated in one call, not {}",
            stats.len()
        )));
    }
    let (mut ok, mut errors) = (Vec::new(), Vec::new());
    for mut s in stats {
        let name = s.column_name.to_lowercase();
        match s.normalize(columns.iter().find(|c| c.name == name)) {
            Ok(()) => {
                ok.retain(|o: &ColumnStatistics| o.column_name != s.column_name);
                ok.push(s);
            }
            Err(error) => errors.push(ColumnStatisticsError {
                statistics: s,
                error,
            }),
        }
    }
    Ok((ok, errors))
}

/// A stored record still describes its column only while the column exists with
/// the type the record was gathered for; after a schema change it is stale.
pub fn is_current(columns: &[Column], s: &ColumnStatistics) -> bool {
    columns
        .iter()
        .any(|c| c.name == s.column_name && c.type_ == s.column_type)
}

/// Checks the column names of a lookup and lower-cases them.
pub fn lookup_columns(columns: &[String]) -> Result<Vec<String>> {
    if columns.len() > MAX_STATISTICS_COLUMNS {
        return Err(Error::invalid(format!(
            "at most {MAX_STATISTICS_COLUMNS} columns can be looked up in one call, not {}",
            columns.len()
        )));
    }
    Ok(columns.iter().map(|c| c.to_lowercase()).collect())
}
