//! How the types of one column from many files (or many JSON records) combine.
//! The rules, in order (the README's "Schema merging" section repeats them):
//!
//! 1. equal types stay; an unknown type (`void`: only nulls seen) takes the other;
//! 2. integers widen: tinyint < smallint < int < bigint;
//! 3. integers with float or double give double; float with double gives double;
//! 4. decimals widen to hold both sides' integer digits and scale (at most 38
//!    digits); a decimal with an integer type widens the same way; a decimal with a
//!    float or double gives double;
//! 5. date with timestamp gives timestamp;
//! 6. structs merge field by field by name (case-insensitively), keeping the first
//!    side's order and appending new fields; arrays merge their element types; maps
//!    merge keys and values;
//! 7. anything else gives string (which every Hive SerDe can read any value as).
//!
//! A column missing from some files stays: every Hive column is nullable.

use lakecat_catalog_api::types::{HiveType, StructField, MAX_DECIMAL_PRECISION};

fn int_rank(t: &HiveType) -> Option<u8> {
    Some(match t {
        HiveType::TinyInt => 1,
        HiveType::SmallInt => 2,
        HiveType::Int => 3,
        HiveType::BigInt => 4,
        _ => return None,
    })
}

/// Digits an integer type needs as a decimal.
fn int_digits(t: &HiveType) -> u32 {
    match t {
        HiveType::TinyInt => 3,
        HiveType::SmallInt => 5,
        HiveType::Int => 10,
        _ => 19,
    }
}

fn decimal(int_digits: u32, scale: u32) -> HiveType {
    let scale = scale.min(MAX_DECIMAL_PRECISION);
    let precision = (int_digits + scale).clamp(1, MAX_DECIMAL_PRECISION);
    HiveType::Decimal {
        precision,
        scale: scale.min(precision),
    }
}

pub fn merge(a: &HiveType, b: &HiveType) -> HiveType {
    use HiveType::*;
    if a == b {
        return a.clone();
    }
    match (a, b) {
        (Void, t) | (t, Void) => t.clone(),
        (x, y) if int_rank(x).is_some() && int_rank(y).is_some() => {
            if int_rank(x) >= int_rank(y) {
                x.clone()
            } else {
                y.clone()
            }
        }
        (x, Float | Double) | (Float | Double, x) if int_rank(x).is_some() => Double,
        (Float, Double) | (Double, Float) => Double,
        (
            Decimal {
                precision: p1,
                scale: s1,
            },
            Decimal {
                precision: p2,
                scale: s2,
            },
        ) => decimal((p1 - s1).max(p2 - s2), *s1.max(s2)),
        (Decimal { precision, scale }, x) | (x, Decimal { precision, scale })
            if int_rank(x).is_some() =>
        {
            decimal((precision - scale).max(int_digits(x)), *scale)
        }
        (Decimal { .. }, Float | Double) | (Float | Double, Decimal { .. }) => Double,
        (Date, Timestamp) | (Timestamp, Date) => Timestamp,
        (Array(x), Array(y)) => Array(Box::new(merge(x, y))),
        (Map(k1, v1), Map(k2, v2)) => {
            let k = merge(k1, k2);
            // Hive map keys must be primitive; merging primitives keeps them so.
            Map(Box::new(k), Box::new(merge(v1, v2)))
        }
        (Struct(f1), Struct(f2)) => Struct(merge_fields(f1, f2)),
        _ => String,
    }
}

pub fn merge_fields(a: &[StructField], b: &[StructField]) -> Vec<StructField> {
    let mut out: Vec<StructField> = a.to_vec();
    for f in b {
        match out
            .iter_mut()
            .find(|o| o.name.eq_ignore_ascii_case(&f.name))
        {
            Some(o) => o.ty = merge(&o.ty, &f.ty),
            None => out.push(f.clone()),
        }
    }
    out
}

/// The field Spark's XML source gives an element's text when the element also
/// has attributes or children (its `valueTag` default).
pub const VALUE_TAG: &str = "_VALUE";

/// Spark's XML widening (its `compatibleType`), where it differs from [`merge`]:
/// a value and an array of it make an array, a struct with a [`VALUE_TAG`] field
/// takes a value into that field, and struct fields stay sorted by name. Used
/// within a file (`infer::xml`) and across a table's files alike.
pub fn merge_xml(a: &HiveType, b: &HiveType) -> HiveType {
    use HiveType::*;
    let primitive = |t: &HiveType| !matches!(t, Array(_) | Struct(_) | Map(..) | Union(_));
    match (a, b) {
        (Array(x), Array(y)) => Array(Box::new(merge_xml(x, y))),
        (Array(x), t) | (t, Array(x)) => Array(Box::new(merge_xml(x, t))),
        (Struct(f1), Struct(f2)) => {
            let mut out: Vec<StructField> = f1.to_vec();
            for f in f2 {
                match out.iter_mut().find(|o| o.name == f.name) {
                    Some(o) => o.ty = merge_xml(&o.ty, &f.ty),
                    None => out.push(f.clone()),
                }
            }
            out.sort_by(|x, y| x.name.cmp(&y.name));
            Struct(out)
        }
        (Struct(f), t) | (t, Struct(f))
            if primitive(t) && f.iter().any(|x| x.name == VALUE_TAG) =>
        {
            Struct(
                f.iter()
                    .map(|x| StructField {
                        ty: if x.name == VALUE_TAG {
                            merge(&x.ty, t)
                        } else {
                            x.ty.clone()
                        },
                        ..x.clone()
                    })
                    .collect(),
            )
        }
        _ => merge(a, b),
    }
}

/// Replaces every `void` (a column or element only ever seen null) by `string`,
/// since Hive's `void` is not a type query engines accept for a column.
pub fn finalize(t: HiveType) -> HiveType {
    use HiveType::*;
    match t {
        Void => String,
        Array(e) => Array(Box::new(finalize(*e))),
        Map(k, v) => Map(Box::new(finalize(*k)), Box::new(finalize(*v))),
        Struct(fs) => Struct(
            fs.into_iter()
                .map(|f| StructField {
                    ty: finalize(f.ty),
                    ..f
                })
                .collect(),
        ),
        Union(ts) => Union(ts.into_iter().map(finalize).collect()),
        t => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> HiveType {
        HiveType::parse(s).unwrap()
    }
    fn m(a: &str, b: &str) -> String {
        let x = merge(&t(a), &t(b));
        // Merging is symmetric up to struct field order.
        let y = merge(&t(b), &t(a));
        if !matches!(x, HiveType::Struct(_)) {
            assert_eq!(x, y, "{a} + {b}");
        }
        x.to_string()
    }

    #[test]
    fn the_documented_rules_hold() {
        assert_eq!(m("int", "bigint"), "bigint");
        assert_eq!(m("tinyint", "smallint"), "smallint");
        assert_eq!(m("bigint", "double"), "double");
        assert_eq!(m("int", "float"), "double");
        assert_eq!(m("float", "double"), "double");
        assert_eq!(m("date", "timestamp"), "timestamp");
        assert_eq!(m("boolean", "bigint"), "string");
        assert_eq!(m("date", "bigint"), "string");
        assert_eq!(m("string", "array<int>"), "string");
        assert_eq!(m("void", "date"), "date");
        assert_eq!(m("decimal(10,2)", "decimal(5,4)"), "decimal(12,4)");
        assert_eq!(m("decimal(10,2)", "int"), "decimal(12,2)");
        assert_eq!(m("decimal(10,2)", "bigint"), "decimal(21,2)");
        assert_eq!(m("decimal(38,10)", "bigint"), "decimal(38,10)");
        assert_eq!(m("decimal(10,2)", "double"), "double");
        assert_eq!(m("array<int>", "array<bigint>"), "array<bigint>");
        assert_eq!(
            m("map<string,int>", "map<string,double>"),
            "map<string,double>"
        );
        assert_eq!(
            m("struct<a:int,b:string>", "struct<c:date,a:bigint>"),
            "struct<a:bigint,b:string,c:date>"
        );
        assert_eq!(
            finalize(t("struct<a:void,b:array<void>>")).to_string(),
            "struct<a:string,b:array<string>>"
        );
    }
}
