//! XML read through a custom XML classifier (Glue's `XMLClassifier` with a
//! `RowTag`). Glue documents that its XML handling "behaves similarly to the XML
//! Data Source for Apache Spark", so the schema is inferred as Spark's XML source
//! infers it (the tests compare the two on the same files):
//!
//! - every element named by the row tag is a row (a self-closing one is not, as
//!   Glue's classifier documents); its attributes are fields named `_<name>`, its
//!   child elements fields of their own names;
//! - a child with neither attributes nor children is a value; otherwise a struct
//!   of its attributes and children, with its text as `_VALUE`;
//! - a child repeated within one parent is an array;
//! - values are `bigint`, `double`, `boolean`, `date` (`yyyy-MM-dd`), `timestamp`
//!   (ISO 8601) or `string`, widened across rows as Spark widens them;
//! - fields are sorted by name.

use crate::classify::XmlRule;
use crate::compression::Compression;
use crate::infer::{Classification, FileSchema, InferredColumn, SampleOptions, XmlInfo};
use crate::merge::{merge_xml, VALUE_TAG};
use lakecat_catalog_api::types::{HiveType, StructField};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::BTreeMap;

/// Elements nested deeper than this inside a row are refused: the reading
/// recurses, and a hostile file must not exhaust the stack (serde_json stops
/// JSON at 128 levels for the same reason).
const MAX_DEPTH: usize = 128;

/// The attribute prefix of Spark's XML source (its default); its text field
/// name is [`VALUE_TAG`], which its widening rules ([`merge_xml`]) know too.
const ATTRIBUTE_PREFIX: &str = "_";

/// The type of one text value (an element's text or an attribute).
fn value_type(v: &str) -> HiveType {
    let v = v.trim();
    if v.is_empty() {
        return HiveType::Void;
    }
    let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && v.parse::<i64>().is_ok()
    {
        return HiveType::BigInt;
    }
    if is_double(v) {
        return HiveType::Double;
    }
    if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") {
        return HiveType::Boolean;
    }
    if chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok() && v.len() == 10 {
        return HiveType::Date;
    }
    if is_timestamp(v) {
        return HiveType::Timestamp;
    }
    HiveType::String
}

/// A decimal number (`1.5`, `-2e3`, `.5`): Spark's `toDouble` without its
/// `NaN`/`Infinity` words and `d`/`f` suffixes.
fn is_double(v: &str) -> bool {
    let s = v.strip_prefix(['-', '+']).unwrap_or(v);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = !(int.is_empty() && frac.is_empty()) && digits(int) && digits(frac);
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok && v.parse::<f64>().is_ok_and(f64::is_finite)
}

fn is_timestamp(v: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(v).is_ok()
        || ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f"]
            .iter()
            .any(|f| chrono::NaiveDateTime::parse_from_str(v, f).is_ok())
}

/// A struct of `fields`, sorted by name as Spark sorts them.
fn strukt(fields: BTreeMap<String, HiveType>) -> HiveType {
    HiveType::Struct(
        fields
            .into_iter()
            .map(|(name, ty)| StructField {
                name,
                ty,
                comment: None,
            })
            .collect(),
    )
}

/// Why a reading stopped: the sample ended inside an element, or the markup is
/// not XML.
enum Stop {
    Truncated,
    Bad(String),
}

type R<X> = Result<X, Stop>;

fn bad(reader: &Reader<&[u8]>, e: impl std::fmt::Display) -> Stop {
    Stop::Bad(format!("not XML at byte {}: {e}", reader.buffer_position()))
}

fn name(e: &BytesStart) -> String {
    String::from_utf8_lossy(e.name().as_ref()).into_owned()
}

fn attributes(reader: &Reader<&[u8]>, e: &BytesStart) -> R<BTreeMap<String, HiveType>> {
    let mut out = BTreeMap::new();
    for a in e.attributes() {
        let a = a.map_err(|e| bad(reader, e))?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        // Namespace declarations are not data.
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| bad(reader, e))?;
        out.insert(format!("{ATTRIBUTE_PREFIX}{key}"), value_type(&v));
    }
    Ok(out)
}

/// Reads an element's content up to its end tag: its type as a field, and
/// whether it had anything but text.
fn element(reader: &mut Reader<&[u8]>, start: &BytesStart, depth: usize) -> R<HiveType> {
    if depth > MAX_DEPTH {
        return Err(bad(
            reader,
            format!("elements nested more than {MAX_DEPTH} deep in a row"),
        ));
    }
    let mut fields = attributes(reader, start)?;
    let has_attributes = !fields.is_empty();
    let mut children: BTreeMap<String, (HiveType, usize)> = BTreeMap::new();
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let t = element(reader, &e, depth + 1)?;
                add_child(&mut children, name(&e), t);
            }
            Ok(Event::Empty(e)) => {
                let a = attributes(reader, &e)?;
                let t = if a.is_empty() {
                    HiveType::Void
                } else {
                    strukt(a)
                };
                add_child(&mut children, name(&e), t);
            }
            Ok(Event::Text(t)) => text.push_str(&t.decode().map_err(|e| bad(reader, e))?),
            Ok(Event::CData(t)) => text.push_str(&t.decode().map_err(|e| bad(reader, e))?),
            Ok(Event::GeneralRef(r)) => match r.resolve_char_ref().map_err(|e| bad(reader, e))? {
                Some(c) => text.push(c),
                None => {
                    let name = String::from_utf8_lossy(&r).into_owned();
                    let v = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| bad(reader, format!("unknown entity &{name};")))?;
                    text.push_str(v);
                }
            },
            Ok(Event::End(_)) => break,
            Ok(Event::Eof) => return Err(Stop::Truncated),
            Ok(_) => {}
            Err(e) => return Err(bad(reader, e)),
        }
    }
    if children.is_empty() && !has_attributes {
        return Ok(value_type(&text));
    }
    for (k, (t, n)) in children {
        fields.insert(
            k,
            if n > 1 {
                HiveType::Array(Box::new(t))
            } else {
                t
            },
        );
    }
    if !text.trim().is_empty() {
        fields.insert(VALUE_TAG.into(), value_type(&text));
    }
    Ok(strukt(fields))
}

fn add_child(children: &mut BTreeMap<String, (HiveType, usize)>, name: String, t: HiveType) {
    match children.remove(&name) {
        Some((old, n)) => children.insert(name, (merge_xml(&old, &t), n + 1)),
        None => children.insert(name, (t, 1)),
    };
}

/// Whether the text looks like XML at all (its first character is `<`).
pub fn looks_like_xml(body: &str) -> bool {
    body.starts_with('<')
}

/// The rows the rule's row tag selects, and their merged schema.
pub fn infer(
    body: &str,
    complete: bool,
    opts: SampleOptions,
    rule: &XmlRule,
) -> Result<FileSchema, String> {
    let mut reader = Reader::from_str(body);
    let mut row = HiveType::Struct(Vec::new());
    let mut rows = 0u64;
    let mut self_closing = 0u64;
    let mut truncated = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.name().as_ref() == rule.row_tag.as_bytes() => {
                match element(&mut reader, &e, 0) {
                    Ok(t) => {
                        let t = match t {
                            HiveType::Struct(f) => HiveType::Struct(f),
                            // A row with only text: its text is the value field.
                            other => strukt(BTreeMap::from([(VALUE_TAG.to_string(), other)])),
                        };
                        row = merge_xml(&row, &t);
                        rows += 1;
                        if rows as usize >= opts.max_records {
                            truncated = true;
                            break;
                        }
                    }
                    Err(Stop::Truncated) if !complete => {
                        truncated = true;
                        break;
                    }
                    Err(Stop::Truncated) => {
                        return Err(format!("the file ends inside a <{}> element", rule.row_tag))
                    }
                    Err(Stop::Bad(e)) => return Err(e),
                }
            }
            Ok(Event::Empty(e)) if e.name().as_ref() == rule.row_tag.as_bytes() => {
                self_closing += 1;
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(_) if !complete => {
                truncated = true;
                break;
            }
            Err(e) => return Err(format!("not XML at byte {}: {e}", reader.buffer_position())),
        }
    }
    if rows == 0 {
        return Err(format!(
            "no <{}> element with a closing tag in the sample{}",
            rule.row_tag,
            if self_closing > 0 {
                " (self-closing ones are not rows, as Glue's XML classifier documents)"
            } else {
                ""
            }
        ));
    }
    let HiveType::Struct(fields) = row else {
        return Err("a row is not an element".into());
    };
    let mut notes = Vec::new();
    if self_closing > 0 {
        notes.push(format!(
            "{self_closing} self-closing <{}/> elements are not rows (Glue's XML classifier reads only elements with a closing tag)",
            rule.row_tag
        ));
    }
    let columns = fields
        .into_iter()
        .map(|f| InferredColumn {
            name: f.name,
            ty: f.ty,
        })
        .collect();
    Ok(FileSchema {
        classification: Classification::Xml,
        compression: Compression::None,
        columns,
        csv: None,
        json_array: None,
        // A cut sample's rows are not the file's.
        record_count: (!truncated).then_some(rows),
        record_count_exact: !truncated,
        grok: None,
        avro_schema: None,
        xml: Some(XmlInfo {
            classification: rule.classification.clone(),
            row_tag: rule.row_tag.clone(),
        }),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> XmlRule {
        XmlRule {
            classification: "xml".into(),
            row_tag: "book".into(),
        }
    }

    fn cols(s: &FileSchema) -> Vec<String> {
        s.columns
            .iter()
            .map(|c| format!("{} {}", c.name, c.ty))
            .collect()
    }

    #[test]
    fn rows_attributes_children_and_arrays_as_spark_infers_them() {
        let doc = r#"<?xml version="1.0"?>
<catalog>
  <book id="bk101"><title>A &amp; B</title><price>44.95</price><n>3</n><tag>a</tag><tag>b</tag>
    <dims unit="cm"><w>1</w></dims><note type="x">hi</note><empty/></book>
  <book id="bk102"><price>5</price><n>12345678901</n><tag>c</tag><d>2000-10-01</d>
    <at>2000-10-01T10:00:00</at><ok>TRUE</ok></book>
  <book id="self"/>
</catalog>"#;
        let s = infer(doc, true, SampleOptions::default(), &rule()).unwrap();
        assert_eq!(
            cols(&s),
            [
                "_id string",
                "at timestamp",
                "d date",
                "dims struct<_unit:string,w:bigint>",
                "empty void",
                "n bigint",
                "note struct<_VALUE:string,_type:string>",
                "ok boolean",
                "price double",
                "tag array<string>",
                "title string"
            ]
        );
        assert_eq!(s.record_count, Some(2));
        assert!(s.notes[0].contains("self-closing"));
    }

    #[test]
    fn a_cut_sample_keeps_its_whole_rows_and_bad_markup_is_an_error() {
        let doc = "<r><book><a>1</a></book><book><a>x";
        let s = infer(doc, false, SampleOptions::default(), &rule()).unwrap();
        assert_eq!(cols(&s), ["a bigint"]);
        assert!(infer(doc, true, SampleOptions::default(), &rule()).is_err());
        let e = infer("<r><other/></r>", true, SampleOptions::default(), &rule()).unwrap_err();
        assert!(e.contains("no <book> element"), "{e}");
        assert!(infer(
            "<r><book><a></b></book></r>",
            true,
            SampleOptions::default(),
            &rule()
        )
        .is_err());
        // Deep nesting is refused, not a stack overflow.
        let deep = format!(
            "<book>{}{}</book>",
            "<a>".repeat(100_000),
            "</a>".repeat(100_000)
        );
        let e = infer(&deep, true, SampleOptions::default(), &rule()).unwrap_err();
        assert!(e.contains("nested more than 128"), "{e}");
    }

    #[test]
    fn value_types() {
        for (v, t) in [
            ("12", HiveType::BigInt),
            ("-1.5e3", HiveType::Double),
            (".5", HiveType::Double),
            ("NaN", HiveType::String),
            ("1d", HiveType::String),
            ("false", HiveType::Boolean),
            ("2024-02-30", HiveType::String),
            ("2024-01-31T10:00:00Z", HiveType::Timestamp),
            ("  ", HiveType::Void),
            ("99999999999999999999", HiveType::Double),
        ] {
            assert_eq!(value_type(v), t, "{v}");
        }
    }
}
