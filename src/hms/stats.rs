//! Column statistics as Hive's `ColumnStatisticsObj` (its `ColumnStatisticsData`
//! union) and back; stored in the catalog's own statistics (Glue's shapes), so Glue
//! and Thrift clients see the same figures.

use super::thrift::{TStruct, TValue};
use base64::Engine;
use lakecat_catalog_api::stats::*;

const DAY: i64 = 86_400;

fn opt(s: TStruct, id: i16, v: Option<TValue>) -> TStruct {
    match v {
        Some(v) => s.with(id, v),
        None => s,
    }
}

fn decimal(d: &DecimalNumber) -> TValue {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&d.unscaled_value)
        .unwrap_or_default();
    TValue::Struct(
        TStruct::new()
            .with(1, TValue::Str(bytes))
            .with(3, TValue::I16(d.scale as i16)),
    )
}

fn decimal_of(s: &TStruct) -> Option<DecimalNumber> {
    let bytes = match s.get(1)? {
        TValue::Str(b) => b.clone(),
        _ => return None,
    };
    Some(DecimalNumber {
        unscaled_value: base64::engine::general_purpose::STANDARD.encode(bytes),
        scale: s.int(3).unwrap_or(0) as i32,
    })
}

fn date(secs: i64) -> TValue {
    TValue::Struct(TStruct::new().with(1, TValue::I64(secs.div_euclid(DAY))))
}

/// A stored record as a `ColumnStatisticsObj`.
pub fn obj(c: &ColumnStatistics) -> TStruct {
    let d = &c.statistics_data;
    let n = |v: u64| TValue::I64(v as i64);
    let (member, data) = if let Some(s) = &d.boolean_column_statistics_data {
        (
            1,
            TStruct::new()
                .with(1, n(s.number_of_trues))
                .with(2, n(s.number_of_falses))
                .with(3, n(s.number_of_nulls)),
        )
    } else if let Some(s) = &d.long_column_statistics_data {
        let t = opt(TStruct::new(), 1, s.minimum_value.map(TValue::I64));
        let t = opt(t, 2, s.maximum_value.map(TValue::I64));
        (
            2,
            t.with(3, n(s.number_of_nulls))
                .with(4, n(s.number_of_distinct_values)),
        )
    } else if let Some(s) = &d.double_column_statistics_data {
        let t = opt(TStruct::new(), 1, s.minimum_value.map(TValue::Double));
        let t = opt(t, 2, s.maximum_value.map(TValue::Double));
        (
            3,
            t.with(3, n(s.number_of_nulls))
                .with(4, n(s.number_of_distinct_values)),
        )
    } else if let Some(s) = &d.string_column_statistics_data {
        (
            4,
            TStruct::new()
                .with(1, n(s.maximum_length))
                .with(2, TValue::Double(s.average_length))
                .with(3, n(s.number_of_nulls))
                .with(4, n(s.number_of_distinct_values)),
        )
    } else if let Some(s) = &d.binary_column_statistics_data {
        (
            5,
            TStruct::new()
                .with(1, n(s.maximum_length))
                .with(2, TValue::Double(s.average_length))
                .with(3, n(s.number_of_nulls)),
        )
    } else if let Some(s) = &d.decimal_column_statistics_data {
        let t = opt(TStruct::new(), 1, s.minimum_value.as_ref().map(decimal));
        let t = opt(t, 2, s.maximum_value.as_ref().map(decimal));
        (
            6,
            t.with(3, n(s.number_of_nulls))
                .with(4, n(s.number_of_distinct_values)),
        )
    } else if let Some(s) = &d.date_column_statistics_data {
        let t = opt(TStruct::new(), 1, s.minimum_value.map(date));
        let t = opt(t, 2, s.maximum_value.map(date));
        (
            7,
            t.with(3, n(s.number_of_nulls))
                .with(4, n(s.number_of_distinct_values)),
        )
    } else {
        (0, TStruct::new())
    };
    TStruct::new()
        .with_str(1, c.column_name.clone())
        .with_str(2, c.column_type.clone())
        .with(
            3,
            TValue::Struct(TStruct::new().with(member, TValue::Struct(data))),
        )
}

/// A `ColumnStatisticsObj` as a record to store, analysed at `when` (seconds).
pub fn of_obj(o: &TStruct, when: i64) -> Option<ColumnStatistics> {
    let union = o.strct(3)?;
    let (member, v) = union.fields.first()?;
    let s = v.as_struct()?;
    let u = |id: i16| s.int(id).unwrap_or(0).max(0) as u64;
    let dbl = |id: i16| match s.get(id) {
        Some(TValue::Double(d)) => Some(*d),
        _ => None,
    };
    let mut data = StatisticsData {
        type_: StatisticsType::Long,
        boolean_column_statistics_data: None,
        date_column_statistics_data: None,
        decimal_column_statistics_data: None,
        double_column_statistics_data: None,
        long_column_statistics_data: None,
        string_column_statistics_data: None,
        binary_column_statistics_data: None,
    };
    match member {
        1 => {
            data.type_ = StatisticsType::Boolean;
            data.boolean_column_statistics_data = Some(BooleanStatistics {
                number_of_trues: u(1),
                number_of_falses: u(2),
                number_of_nulls: u(3),
            });
        }
        2 => {
            data.long_column_statistics_data = Some(LongStatistics {
                minimum_value: s.int(1),
                maximum_value: s.int(2),
                number_of_nulls: u(3),
                number_of_distinct_values: u(4),
            });
        }
        3 => {
            data.type_ = StatisticsType::Double;
            data.double_column_statistics_data = Some(DoubleStatistics {
                minimum_value: dbl(1),
                maximum_value: dbl(2),
                number_of_nulls: u(3),
                number_of_distinct_values: u(4),
            });
        }
        4 => {
            data.type_ = StatisticsType::String;
            data.string_column_statistics_data = Some(StringStatistics {
                maximum_length: u(1),
                average_length: dbl(2).unwrap_or(0.0),
                number_of_nulls: u(3),
                number_of_distinct_values: u(4),
            });
        }
        5 => {
            data.type_ = StatisticsType::Binary;
            data.binary_column_statistics_data = Some(BinaryStatistics {
                maximum_length: u(1),
                average_length: dbl(2).unwrap_or(0.0),
                number_of_nulls: u(3),
            });
        }
        6 => {
            data.type_ = StatisticsType::Decimal;
            data.decimal_column_statistics_data = Some(DecimalStatistics {
                minimum_value: s.strct(1).and_then(decimal_of),
                maximum_value: s.strct(2).and_then(decimal_of),
                number_of_nulls: u(3),
                number_of_distinct_values: u(4),
            });
        }
        7 => {
            data.type_ = StatisticsType::Date;
            let day = |id: i16| s.strct(id).and_then(|d| d.int(1)).map(|d| d * DAY);
            data.date_column_statistics_data = Some(DateStatistics {
                minimum_value: day(1),
                maximum_value: day(2),
                number_of_nulls: u(3),
                number_of_distinct_values: u(4),
            });
        }
        _ => return None,
    }
    Some(ColumnStatistics {
        column_name: o.str(1)?,
        column_type: o.str(2).unwrap_or_default(),
        analyzed_time: when,
        statistics_data: data,
    })
}
