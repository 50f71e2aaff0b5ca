//! Text formats: JSON (lines, or one top-level array of row objects) and delimited
//! text (CSV, TSV, …).
//!
//! The dialect (delimiter and quote) comes from csv-nose, which measured best on the
//! public sniffing corpora; `\u0001` (Hive's default) and `:` are not among its
//! candidates, so they are checked here first and last. Header detection and
//! column types are lakecat's own rules (see [`header_rule`] and [`CellType`]),
//! because the sniffer's header guess fails on files whose columns are all strings,
//! which is Glue's best-known failure.

use super::{Classification, CsvDialect, FileSchema, InferredColumn, SampleOptions};
use crate::classify::{CsvRule, CsvSerde, CustomClassifier, HeaderRule, JsonRule, Rule};
use crate::compression::Compression;
use crate::merge::{finalize, merge, merge_fields};
use lakecat_catalog_api::types::{HiveType, StructField, MAX_DECIMAL_PRECISION};
use serde_json::Value;
use std::borrow::Cow;

/// Infers a text sample. `complete`: the sample is the whole file (so its last line
/// is whole and the record count exact).
pub fn infer(sample: &[u8], complete: bool, opts: SampleOptions) -> Result<FileSchema, String> {
    infer_with(sample, complete, opts, &[])
}

/// [`infer`], trying custom classifiers first, in order (see [`crate::classify`]).
pub fn infer_with(
    sample: &[u8],
    complete: bool,
    opts: SampleOptions,
    classifiers: &[CustomClassifier],
) -> Result<FileSchema, String> {
    let (text, encoding, mut notes) = decode(sample, complete)?;
    let text = text.as_ref();
    if !complete && !text.contains('\n') {
        // The whole sample is one unfinished line: a header or record cut short.
        notes.push(format!(
            "the first line is longer than the {}-byte sample: the schema may miss the columns after it (raise the sample size)",
            sample.len()
        ));
    }
    let body = text.trim_start_matches([' ', '\t', '\r', '\n']);
    let first = body.chars().next();
    let is_json = matches!(first, Some('{' | '['));
    // Split once, however many grok classifiers (custom and built-in) look at them.
    let lines = std::cell::OnceCell::new();
    let lines = || {
        lines
            .get_or_init(|| crate::grok::sample_lines(text, complete, opts.max_records))
            .as_slice()
    };
    let mut custom = None;
    for c in classifiers {
        let r = match &c.rule {
            Rule::Json(rule) if is_json => json_by_path(body, complete, opts, rule),
            Rule::Csv(rule) if first.is_some() && !is_json => {
                csv(text, complete, opts, &encoding, rule, true)
            }
            Rule::Grok(rule) => grok(lines(), complete, opts, rule),
            Rule::Xml(rule) if super::xml::looks_like_xml(body) => {
                super::xml::infer(body, complete, opts, rule)
            }
            _ => continue,
        };
        if let Ok(mut s) = r {
            s.notes
                .push(format!("read as custom classifier {} says", c.name));
            custom = Some(s);
            break;
        }
    }
    if custom.is_none() && body.starts_with("<?xml") {
        return Err(super::XML_NEEDS_A_CLASSIFIER.into());
    }
    let mut s = match (custom, first) {
        (Some(s), _) => s,
        (None, Some(c @ ('{' | '['))) => {
            let json = if c == '{' {
                json_lines(body, complete, opts)
            } else {
                json_array(body, complete, opts)
            };
            // A line may start with a bracket and still be delimited text (a
            // bracketed timestamp, say): when the JSON reading fails and the
            // first line is no JSON value either, a strict CSV reading may take
            // it. A JSON file broken further down keeps its JSON error.
            json.or_else(|e| {
                if first_line_is_json(body) {
                    Err(e)
                } else {
                    csv(text, complete, opts, &encoding, &CsvRule::default(), true).map_err(|_| e)
                }
            })?
        }
        // Glue tries its log classifiers before CSV.
        (None, Some(_)) => match crate::grok::builtins()
            .iter()
            .find_map(|rule| grok(lines(), complete, opts, rule).ok())
        {
            Some(s) => s,
            None => csv(text, complete, opts, &encoding, &CsvRule::default(), false)?,
        },
        (None, None) => return Err("the file holds only whitespace".into()),
    };
    s.notes.append(&mut notes);
    s.notes.sort();
    s.notes.dedup();
    Ok(s)
}

/// Whether the first line of `body` is a JSON value, or the bare bracket a
/// pretty-printed one opens with.
fn first_line_is_json(body: &str) -> bool {
    let first = body.lines().next().unwrap_or_default();
    matches!(first.trim(), "[" | "{")
        || serde_json::from_str::<serde::de::IgnoredAny>(first).is_ok()
}

/// UTF-8 (with or without BOM); UTF-16 (by its BOM, or by the NUL of every
/// other byte that ASCII text has in it); else the legacy encoding chardetng
/// guesses (Windows-1252, Windows-1251, Shift_JIS, …), with a note. Binary data
/// is refused.
fn decode(sample: &[u8], complete: bool) -> Result<(Cow<'_, str>, String, Vec<String>), String> {
    if let Some((enc, bom)) = utf16(sample) {
        let body = &sample[bom..];
        // A sample may end inside a code unit.
        let body = if complete {
            body
        } else {
            &body[..body.len() & !1]
        };
        let (text, had_errors) = enc.decode_without_bom_handling(body);
        if !had_errors || !complete {
            return Ok((
                Cow::Owned(text.into_owned()),
                enc.name().into(),
                vec![format!(
                    "{} text: Hive's text readers split lines on single bytes, so engines may misread this table (convert it to UTF-8)",
                    enc.name()
                )],
            ));
        }
    }
    let (bytes, bom) = match sample.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (sample, false),
    };
    let controls = bytes
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x01 | 0x0c))
        .count();
    if bytes.contains(&0) || controls * 20 > bytes.len().max(1) {
        // NUL is a control byte already counted in `controls`.
        let nul = bytes.iter().filter(|&&b| b == 0).count();
        return Err(format!(
            "binary data, not text ({controls} control bytes, {nul} of them NUL, in the first {} bytes)",
            bytes.len()
        ));
    }
    let enc = if bom { "UTF-8 (BOM)" } else { "UTF-8" };
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((Cow::Borrowed(s), enc.into(), vec![])),
        // A sample cut inside a multi-byte character is still UTF-8.
        Err(e) if !complete && e.error_len().is_none() => Ok((
            Cow::Borrowed(std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("")),
            enc.into(),
            vec![],
        )),
        Err(e) => {
            let mut guess = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            guess.feed(bytes, complete);
            let legacy = guess.guess(None, chardetng::Utf8Detection::Deny);
            let (text, _, _) = legacy.decode(bytes);
            Ok((
                Cow::Owned(text.into_owned()),
                legacy.name().into(),
                vec![format!(
                    "not valid UTF-8 (byte {} of the sample); read as {}, the encoding its bytes suggest",
                    e.valid_up_to(),
                    legacy.name()
                )],
            ))
        }
    }
}

/// UTF-16 and the length of its BOM, when the sample is UTF-16.
fn utf16(sample: &[u8]) -> Option<(&'static encoding_rs::Encoding, usize)> {
    match sample {
        [0xFF, 0xFE, ..] => return Some((encoding_rs::UTF_16LE, 2)),
        [0xFE, 0xFF, ..] => return Some((encoding_rs::UTF_16BE, 2)),
        _ => {}
    }
    // Without a BOM: text in the Latin range has a NUL in every other byte and
    // none in the others.
    let head = &sample[..sample.len().min(4096) & !1];
    if head.len() < 8 {
        return None;
    }
    let (even, odd) = head.chunks(2).fold((0, 0), |(e, o), u| {
        (e + usize::from(u[0] == 0), o + usize::from(u[1] == 0))
    });
    let units = head.len() / 2;
    if odd * 10 >= units * 9 && even == 0 {
        Some((encoding_rs::UTF_16LE, 0))
    } else if even * 10 >= units * 9 && odd == 0 {
        Some((encoding_rs::UTF_16BE, 0))
    } else {
        None
    }
}

// ---------------------------------------------------------------- grok

/// The sample's whole lines (see [`crate::grok::sample_lines`]) read with a grok
/// classifier, if every one matches it.
fn grok(
    lines: &[&str],
    complete: bool,
    opts: SampleOptions,
    rule: &crate::grok::GrokRule,
) -> Result<FileSchema, String> {
    if !crate::grok::recognises(rule, lines) {
        return Err(format!("not every line matches {}", rule.pattern));
    }
    // Exact when the file was read whole, the sample's count otherwise.
    let whole = complete && lines.len() < opts.max_records;
    Ok(FileSchema {
        grok: Some(super::GrokInfo {
            classification: rule.classification.clone(),
            pattern: rule.pattern.clone(),
            custom_patterns: rule.custom_patterns.clone(),
        }),
        classification: Classification::Grok,
        compression: Compression::None,
        columns: rule
            .columns
            .iter()
            .map(|(name, ty)| InferredColumn {
                name: name.clone(),
                ty: ty.clone(),
            })
            .collect(),
        csv: None,
        json_array: None,
        record_count: Some(lines.len() as u64),
        record_count_exact: whole,
        avro_schema: None,
        xml: None,
        notes: Vec::new(),
    })
}

// ---------------------------------------------------------------- JSON

fn json_type(v: &Value) -> HiveType {
    match v {
        Value::Null => HiveType::Void,
        Value::Bool(_) => HiveType::Boolean,
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            if n.is_i64() {
                HiveType::BigInt
            } else {
                HiveType::Decimal {
                    precision: 20,
                    scale: 0,
                }
            }
        }
        Value::Number(_) => HiveType::Double,
        Value::String(_) => HiveType::String,
        Value::Array(items) => HiveType::Array(Box::new(
            items
                .iter()
                .fold(HiveType::Void, |acc, v| merge(&acc, &json_type(v))),
        )),
        Value::Object(m) => HiveType::Struct(
            m.iter()
                .map(|(k, v)| StructField {
                    name: k.to_lowercase(),
                    ty: json_type(v),
                    comment: None,
                })
                .collect(),
        ),
    }
}

fn json_schema(rows: &[Value], array: bool, complete: bool) -> Result<FileSchema, String> {
    let mut fields: Vec<StructField> = Vec::new();
    let mut non_objects = 0;
    for r in rows {
        match json_type(r) {
            HiveType::Struct(fs) => fields = merge_fields(&fields, &fs),
            _ => non_objects += 1,
        }
    }
    if fields.is_empty() {
        return Err("JSON records must be objects; none was found in the sample".into());
    }
    let mut notes = Vec::new();
    if non_objects > 0 {
        notes.push(format!(
            "{non_objects} of {} sampled JSON records are not objects and were ignored",
            rows.len()
        ));
    }
    if array {
        notes.push("the top-level JSON array is read as one row per element".into());
    }
    Ok(FileSchema {
        grok: None,
        classification: Classification::Json,
        compression: Compression::None,
        columns: fields
            .into_iter()
            .map(|f| InferredColumn {
                name: f.name,
                ty: finalize(f.ty),
            })
            .collect(),
        csv: None,
        json_array: Some(array),
        record_count: Some(rows.len() as u64),
        record_count_exact: complete,
        avro_schema: None,
        xml: None,
        notes,
    })
}

fn json_lines(text: &str, complete: bool, opts: SampleOptions) -> Result<FileSchema, String> {
    let mut rows = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        if rows.len() >= opts.max_records {
            break;
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(v) => rows.push(v),
            // The sample may end inside the last line.
            Err(_) if !complete && lines.peek().is_none() => break,
            Err(e) => {
                return Err(format!(
                    "invalid JSON at line {}, column {}: {e}",
                    i + 1,
                    e.column()
                ))
            }
        }
    }
    json_schema(&rows, false, complete && rows.len() < opts.max_records)
}

/// Collects the elements of a top-level array until the sample ends.
struct Rows<'a> {
    out: &'a mut Vec<Value>,
    max: usize,
}

impl<'de> serde::de::Visitor<'de> for Rows<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of JSON objects")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while self.out.len() < self.max {
            match seq.next_element::<Value>()? {
                Some(v) => self.out.push(v),
                None => return Ok(()),
            }
        }
        Err(serde::de::Error::custom("sample limit"))
    }
}

fn json_array(text: &str, complete: bool, opts: SampleOptions) -> Result<FileSchema, String> {
    use serde::Deserializer;
    let mut rows = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let r = de.deserialize_seq(Rows {
        out: &mut rows,
        max: opts.max_records,
    });
    match r {
        Ok(()) => de.end().map_err(|e| {
            format!(
                "invalid JSON after the top-level array at line {}, column {}: {e}",
                e.line(),
                e.column()
            )
        })?,
        Err(_) if rows.len() >= opts.max_records => {}
        Err(e) if !complete && e.is_eof() => {}
        Err(e) => {
            return Err(format!(
                "invalid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ))
        }
    }
    json_schema(&rows, true, complete && rows.len() < opts.max_records)
}

/// The records a JSON classifier's path selects, in one document or in each line
/// of a JSON-lines file.
fn json_by_path(
    body: &str,
    complete: bool,
    opts: SampleOptions,
    rule: &JsonRule,
) -> Result<FileSchema, String> {
    let mut rows = Vec::new();
    match serde_json::from_str::<Value>(body) {
        Ok(doc) => rule.select(&doc, &mut rows),
        Err(_) => {
            let mut lines = body.lines().peekable();
            while let Some(line) = lines.next() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(v) => rule.select(&v, &mut rows),
                    Err(_) if !complete && lines.peek().is_none() => break,
                    Err(e) => return Err(format!("not JSON documents: {e}")),
                }
                if rows.len() >= opts.max_records {
                    break;
                }
            }
        }
    }
    if rows.is_empty() {
        return Err("nothing at the classifier's JsonPath".into());
    }
    rows.truncate(opts.max_records);
    let top_array = rule.path == [crate::classify::PathStep::Each];
    let mut s = json_schema(&rows, top_array, complete && rows.len() < opts.max_records)?;
    if !top_array && !rule.path.is_empty() {
        s.notes.push(
            "the records are nested in each document; Hive's JSON SerDe reads one object per line"
                .into(),
        );
    }
    Ok(s)
}

// ---------------------------------------------------------------- delimited text

/// What one text cell looks like. Nulls (empty, `\N`, `NULL`, `null`) say nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellType {
    Unknown,
    Boolean,
    /// An integer that fits 64 bits, with its digit count.
    BigInt(u32),
    /// A decimal number: digits before and after the point, whether it had an
    /// exponent, and its significant digits.
    Number {
        int_digits: u32,
        scale: u32,
        exponent: bool,
        significant: u32,
    },
    Date,
    Timestamp,
    String,
}

fn is_null(s: &str) -> bool {
    matches!(s, "" | "\\N" | "NULL" | "null")
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (y, m, d) = (&s[0..4], &s[5..7], &s[8..10]);
    if !(all_digits(y) && all_digits(m) && all_digits(d)) {
        return false;
    }
    let (y, m, d): (u32, u32, u32) = (
        y.parse().unwrap_or(0),
        m.parse().unwrap_or(0),
        d.parse().unwrap_or(0),
    );
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// Hive's text timestamp: `yyyy-mm-dd hh:mm:ss[.f…]` with a space; ISO forms with
/// `T` or a zone are not readable by LazySimpleSerDe and stay strings.
fn is_timestamp(s: &str) -> bool {
    if s.len() < 19 || !s.is_char_boundary(10) || !is_date(&s[..10]) || s.as_bytes()[10] != b' ' {
        return false;
    }
    let t = &s[11..];
    let (hms, frac) = t.split_once('.').unwrap_or((t, "0"));
    let p: Vec<&str> = hms.split(':').collect();
    p.len() == 3
        && p.iter().all(|x| x.len() == 2 && all_digits(x))
        && p[0] < "24"
        && p[1] < "60"
        && p[2] < "61"
        && (1..=9).contains(&frac.len())
        && all_digits(frac)
}

pub fn cell_type(s: &str) -> CellType {
    let s = s.trim();
    if is_null(s) {
        return CellType::Unknown;
    }
    if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") {
        return CellType::Boolean;
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if all_digits(unsigned) {
        // Leading zeros (zip codes, ids) would be lost by a number type.
        if unsigned.len() > 1 && unsigned.starts_with('0') {
            return CellType::String;
        }
        if s.parse::<i64>().is_ok() {
            return CellType::BigInt(unsigned.len() as u32);
        }
        let d = unsigned.len() as u32;
        return CellType::Number {
            int_digits: d,
            scale: 0,
            exponent: false,
            significant: d,
        };
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    if let Some(e) = exponent {
        if !all_digits(e.strip_prefix(['-', '+']).unwrap_or(e)) {
            return if is_date(s) {
                CellType::Date
            } else if is_timestamp(s) {
                CellType::Timestamp
            } else {
                CellType::String
            };
        }
    }
    if let Some((i, f)) = mantissa.split_once('.') {
        if (all_digits(i) || i.is_empty())
            && (all_digits(f) || f.is_empty())
            && !(i.is_empty() && f.is_empty())
        {
            let digits = format!("{i}{f}");
            let significant = digits.trim_start_matches('0').len() as u32;
            return CellType::Number {
                int_digits: i.trim_start_matches('0').len() as u32,
                scale: f.len() as u32,
                exponent: exponent.is_some(),
                significant,
            };
        }
    } else if exponent.is_some() && all_digits(mantissa) {
        return CellType::Number {
            int_digits: mantissa.len() as u32,
            scale: 0,
            exponent: true,
            significant: mantissa.len() as u32,
        };
    }
    if is_date(s) {
        CellType::Date
    } else if is_timestamp(s) {
        CellType::Timestamp
    } else {
        CellType::String
    }
}

fn merge_cells(a: CellType, b: CellType) -> CellType {
    use CellType::*;
    match (a, b) {
        (Unknown, x) | (x, Unknown) => x,
        (x, y) if x == y => x,
        (BigInt(a), BigInt(b)) => BigInt(a.max(b)),
        (
            BigInt(d),
            Number {
                int_digits,
                scale,
                exponent,
                significant,
            },
        )
        | (
            Number {
                int_digits,
                scale,
                exponent,
                significant,
            },
            BigInt(d),
        ) => Number {
            int_digits: int_digits.max(d),
            scale,
            exponent,
            significant: significant.max(d + scale),
        },
        (
            Number {
                int_digits: i1,
                scale: s1,
                exponent: e1,
                significant: g1,
            },
            Number {
                int_digits: i2,
                scale: s2,
                exponent: e2,
                significant: g2,
            },
        ) => Number {
            int_digits: i1.max(i2),
            scale: s1.max(s2),
            exponent: e1 || e2,
            significant: g1.max(g2),
        },
        (Date, Timestamp) | (Timestamp, Date) => Timestamp,
        _ => String,
    }
}

/// A column of numbers is `double` unless some value has more significant digits
/// than a double holds exactly (15), in which case it is `decimal(p,s)` when that
/// fits Hive's 38 digits and no value used an exponent.
fn hive_of(c: CellType) -> HiveType {
    match c {
        CellType::Unknown | CellType::String => HiveType::String,
        CellType::Boolean => HiveType::Boolean,
        CellType::BigInt(_) => HiveType::BigInt,
        CellType::Date => HiveType::Date,
        CellType::Timestamp => HiveType::Timestamp,
        CellType::Number {
            int_digits,
            scale,
            exponent,
            significant,
        } => {
            let p = int_digits.max(1) + scale;
            if significant > 15 && !exponent && p <= MAX_DECIMAL_PRECISION {
                HiveType::Decimal {
                    precision: p,
                    scale,
                }
            } else if significant > 15
                && !exponent
                && int_digits <= MAX_DECIMAL_PRECISION
                && scale == 0
            {
                HiveType::String
            } else {
                HiveType::Double
            }
        }
    }
}

fn name_like(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.chars().count() <= 128
        && s.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_alphanumeric() || " _-.()/#%$".contains(c))
}

/// Whether row one is a header:
/// 1. if any of its cells is typed (number, boolean, date, timestamp), it is data;
/// 2. else if some column's data rows are typed, row one is a header (Glue's rule);
/// 3. else (every column a string) it is a header when its cells are distinct,
///    look like names (start with a letter or `_`, at most 128 characters, letters,
///    digits, spaces and `_-.()/#%$`), and none of them appears again in its column.
///    This is where Glue fails, calling every all-string file headerless.
pub fn header_rule(first: &[String], data: &[Vec<String>], types: &[CellType]) -> bool {
    if first
        .iter()
        .any(|c| !matches!(cell_type(c), CellType::String | CellType::Unknown))
    {
        return false;
    }
    if first.iter().any(|c| is_null(c.trim())) {
        return false;
    }
    if types
        .iter()
        .any(|t| !matches!(t, CellType::String | CellType::Unknown))
    {
        return true;
    }
    let mut seen = std::collections::HashSet::new();
    if !first
        .iter()
        .all(|c| name_like(c) && seen.insert(c.trim().to_lowercase()))
    {
        return false;
    }
    !data
        .iter()
        .any(|row| row.iter().zip(first).any(|(v, h)| v.trim() == h.trim()))
}

/// Column names as Glue writes them: lower case, `[a-z0-9_]`, unique.
pub fn column_names(raw: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let mut n: String = r
            .trim()
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        while n.contains("__") {
            n = n.replace("__", "_");
        }
        let mut n = n.trim_matches('_').to_string();
        if n.is_empty() {
            n = format!("col{i}");
        }
        let base = n.clone();
        let mut k = 2;
        while out.contains(&n) {
            n = format!("{base}_{k}");
            k += 1;
        }
        out.push(n);
    }
    out
}

/// How many times `d` is on every line of the sample, when that is the same
/// non-zero number on each: how lakecat checks the delimiters the sniffer does
/// not consider (Hive's default `\u0001`, and `:`).
fn consistent_count(text: &str, d: char) -> Option<usize> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).take(50).collect();
    let n = lines.first()?.matches(d).count();
    if lines.len() < 2 {
        return (n > 0).then_some(n);
    }
    // The last line of a sample may be cut short.
    (n > 0
        && lines[..lines.len() - 1]
            .iter()
            .all(|l| l.matches(d).count() == n))
    .then_some(n)
}

/// Reads delimited text. `rule` fixes what a custom classifier fixes; with
/// `strict`, a file the rule does not fit (ragged rows, one column, a header
/// list of another width) is an error, so that the next classifier is tried.
fn csv(
    text: &str,
    complete: bool,
    opts: SampleOptions,
    encoding: &str,
    rule: &CsvRule,
    strict: bool,
) -> Result<FileSchema, String> {
    let mut notes = Vec::new();
    let (delimiter, quote) = if let Some(d) = rule.delimiter {
        (d, Some(rule.quote.unwrap_or(b'"')))
    } else if consistent_count(text, '\u{1}').is_some() {
        (b'\x01', None)
    } else {
        // The sniffer's own sample (its first 100 records), which its scoring
        // is tuned for: given the crawler's 1,000 it chose worse on the public
        // corpora than alone. Only whole lines: a record cut by the end of the
        // sample would count against the right delimiter.
        let whole = if complete {
            text
        } else {
            text.rfind('\n').map_or(text, |end| &text[..=end])
        };
        match csv_nose::Sniffer::new().sniff_bytes(whole.as_bytes()) {
            // The sniffer takes space over a rarer `:` that splits every line
            // into more columns than the spaces do (passwd-like files whose
            // fields hold words).
            Ok(m)
                if m.dialect.delimiter == b' '
                    && consistent_count(text, ':').is_some_and(|n| n + 1 > m.num_fields.max(2)) =>
            {
                (b':', Some(b'"'))
            }
            Ok(m) if m.num_fields > 1 => (
                m.dialect.delimiter,
                match m.dialect.quote {
                    csv_nose::Quote::Some(q) => Some(q),
                    csv_nose::Quote::None => None,
                },
            ),
            _ if consistent_count(text, ':').is_some() => (b':', Some(b'"')),
            Ok(m) => (m.dialect.delimiter, Some(b'"')),
            Err(e) => {
                notes.push(format!(
                    "the dialect sniffer failed ({e}); assuming one column"
                ));
                (b',', Some(b'"'))
            }
        }
    };
    let escape = if text.contains("\\\"") || text.contains(&format!("\\{}", delimiter as char)) {
        Some(b'\\')
    } else {
        None
    };
    let mut b = csv::ReaderBuilder::new();
    b.delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .quoting(quote.is_some())
        .quote(quote.unwrap_or(b'"'))
        .escape(escape)
        .double_quote(escape.is_none());
    let mut rdr = b.from_reader(text.as_bytes());
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut quoted = false;
    let mut rec = csv::ByteRecord::new();
    let mut last_pos = 0u64;
    loop {
        if rows.len() > opts.max_records {
            break;
        }
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {
                let start = last_pos as usize;
                let end = rdr.position().byte() as usize;
                last_pos = rdr.position().byte();
                if let Some(q) = quote {
                    if text.as_bytes()[start..end.min(text.len())].contains(&q) {
                        quoted = true;
                    }
                }
                rows.push(
                    rec.iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect(),
                );
            }
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(format!("unreadable delimited text at line {line}: {e}"));
            }
        }
    }
    // A sample that stops mid-file may stop mid-record.
    if !complete && rows.len() > 1 && rows.len() <= opts.max_records {
        rows.pop();
    }
    rows.retain(|r| !(r.len() == 1 && r[0].is_empty()));
    if rows.is_empty() {
        return Err("no records".into());
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let ragged = rows.iter().filter(|r| r.len() != width).count();
    if strict {
        if ragged > 0 {
            return Err(format!("{ragged} rows have another number of fields"));
        }
        if width < 2 && !rule.allow_single_column {
            return Err("one column, and single-column files are not allowed".into());
        }
        if !rule.names.is_empty() && rule.names.len() != width {
            return Err(format!(
                "the classifier names {} columns; the file has {width}",
                rule.names.len()
            ));
        }
    }
    if ragged > 0 {
        notes.push(format!(
            "{ragged} of {} sampled records have fewer than {width} fields",
            rows.len()
        ));
    }
    let types_of = |rows: &[Vec<String>]| -> Vec<CellType> {
        let mut t = vec![CellType::Unknown; width];
        for r in rows {
            for (i, c) in r.iter().enumerate() {
                t[i] = merge_cells(t[i], cell_type(c));
            }
        }
        t
    };
    let data_types = types_of(&rows[1..]);
    let header = match rule.header {
        HeaderRule::Present => true,
        HeaderRule::Absent => false,
        HeaderRule::Unknown => header_rule(&rows[0], &rows[1..], &data_types),
    };
    let (mut names, types) = if header {
        let mut raw = rows[0].clone();
        raw.resize(width, String::new());
        (column_names(&raw), data_types)
    } else {
        (
            (0..width).map(|i| format!("col{i}")).collect(),
            types_of(&rows),
        )
    };
    if !rule.names.is_empty() {
        let mut given = rule.names.clone();
        given.resize(width, String::new());
        names = column_names(&given);
    }
    let quoted = match rule.serde {
        CsvSerde::OpenCsv => true,
        CsvSerde::LazySimple => false,
        CsvSerde::Any => quoted,
    };
    let mut columns: Vec<InferredColumn> = names
        .into_iter()
        .zip(types)
        .map(|(name, t)| InferredColumn {
            name,
            ty: hive_of(t),
        })
        .collect();
    // OpenCSVSerde (needed for quoted fields) reads dates and timestamps only as
    // epoch numbers, so text dates in quoted files stay strings.
    if quoted {
        for c in &mut columns {
            if matches!(c.ty, HiveType::Date | HiveType::Timestamp) {
                notes.push(format!(
                    "{}: quoted CSV needs OpenCSVSerde, which cannot read {} text; typed string",
                    c.name, c.ty
                ));
                c.ty = HiveType::String;
            }
        }
    }
    let line_ending = if text.contains("\r\n") {
        notes
            .push("lines end with CRLF; Hive's text reader keeps the CR in the last column".into());
        "\r\n"
    } else if text.contains('\r') && !text.contains('\n') {
        "\r"
    } else {
        "\n"
    };
    let data_rows = rows.len() - usize::from(header);
    Ok(FileSchema {
        grok: None,
        classification: Classification::Csv,
        compression: Compression::None,
        columns,
        csv: Some(CsvDialect {
            delimiter: (delimiter as char).to_string(),
            quote: quote.map(|q| (q as char).to_string()),
            escape: escape.map(|q| (q as char).to_string()),
            header,
            encoding: encoding.to_string(),
            line_ending: line_ending.into(),
            quoted,
        }),
        json_array: None,
        record_count: Some(data_rows as u64),
        record_count_exact: complete && rows.len() <= opts.max_records,
        avro_schema: None,
        xml: None,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inf(s: &str) -> FileSchema {
        infer(s.as_bytes(), true, SampleOptions::default()).unwrap()
    }
    fn cols(f: &FileSchema) -> Vec<String> {
        f.columns
            .iter()
            .map(|c| format!("{}:{}", c.name, c.ty))
            .collect()
    }

    #[test]
    fn a_first_line_longer_than_the_sample_is_noted() {
        let line: String = (0..200).map(|i| format!("c{i},")).collect();
        let s = infer(&line.as_bytes()[..300], false, SampleOptions::default()).unwrap();
        assert!(
            s.notes
                .iter()
                .any(|n| n.contains("longer than the 300-byte sample")),
            "{:?}",
            s.notes
        );
    }

    #[test]
    fn binary_data_is_counted_once() {
        let e = decode(b"a\0b\0c\x02d", true).unwrap_err();
        assert_eq!(
            e,
            "binary data, not text (3 control bytes, 2 of them NUL, in the first 7 bytes)"
        );
    }

    #[test]
    fn all_string_csv_keeps_its_header() {
        let f = inf("name,city,country\nalice,Paris,France\nbob,Lyon,France\n");
        assert!(f.csv.as_ref().unwrap().header);
        assert_eq!(cols(&f), ["name:string", "city:string", "country:string"]);
        assert_eq!(f.record_count, Some(2));
    }

    #[test]
    fn typed_columns_and_dialects() {
        let f = inf("id;price;day;ok;at\n1;2.5;2024-01-02;true;2024-01-02 10:11:12\n2;3;2024-02-03;false;2024-01-02 10:11:12.5\n");
        let d = f.csv.as_ref().unwrap();
        assert_eq!(d.delimiter, ";");
        assert!(d.header);
        assert_eq!(
            cols(&f),
            [
                "id:bigint",
                "price:double",
                "day:date",
                "ok:boolean",
                "at:timestamp"
            ]
        );
        let f = inf("1\tx\n2\ty\n3\tz\n");
        assert_eq!(f.csv.as_ref().unwrap().delimiter, "\t");
        assert!(!f.csv.as_ref().unwrap().header);
        assert_eq!(cols(&f), ["col0:bigint", "col1:string"]);
        let f = inf("a\u{1}b\n1\u{1}x\n2\u{1}y\n");
        assert_eq!(f.csv.as_ref().unwrap().delimiter, "\u{1}");
        assert_eq!(cols(&f), ["a:bigint", "b:string"]);
        let f = inf("a|b|c\n1|x|0012\n2|y|0099\n");
        assert_eq!(f.csv.as_ref().unwrap().delimiter, "|");
        assert_eq!(cols(&f), ["a:bigint", "b:string", "c:string"]);
    }

    #[test]
    fn exact_decimals_and_quoted_files() {
        let f = inf("amount\n12345678901234567.25\n1.5\n");
        assert_eq!(cols(&f), ["amount:decimal(19,2)"]);
        let f = inf("id,\"full name\",d\n1,\"Smith, J\",2024-01-01\n2,\"Doe, A\",2024-01-02\n");
        let d = f.csv.as_ref().unwrap();
        assert!(d.quoted && d.header);
        assert_eq!(cols(&f), ["id:bigint", "full_name:string", "d:string"]);
    }

    #[test]
    fn latin1_and_bom() {
        let mut bytes = b"\xEF\xBB\xBFa,b\n1,x\n".to_vec();
        let f = infer(&bytes, true, SampleOptions::default()).unwrap();
        assert_eq!(f.csv.as_ref().unwrap().encoding, "UTF-8 (BOM)");
        assert_eq!(cols(&f), ["a:bigint", "b:string"]);
        bytes = b"name,n\ncaf\xe9,1\nna\xefve,2\n".to_vec();
        let f = infer(&bytes, true, SampleOptions::default()).unwrap();
        assert_eq!(f.csv.as_ref().unwrap().encoding, "windows-1252");
        assert!(f.notes.iter().any(|n| n.contains("read as windows-1252")));
        assert_eq!(f.columns[0].name, "name");
        // UTF-16, with and without its BOM.
        let utf16: Vec<u8> = "a;b\n1;x\n2;y\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        for bytes in [[&[0xFF, 0xFE][..], &utf16].concat(), utf16.clone()] {
            let f = infer(&bytes, true, SampleOptions::default()).unwrap();
            let d = f.csv.as_ref().unwrap();
            assert_eq!(
                (d.delimiter.as_str(), d.encoding.as_str()),
                (";", "UTF-16LE")
            );
            assert_eq!(cols(&f), ["a:bigint", "b:string"]);
        }
    }

    #[test]
    fn json_lines_and_arrays_merge_records() {
        let f = inf("{\"a\":1,\"b\":{\"x\":true}}\n{\"a\":2.5,\"c\":[1,2],\"b\":{\"y\":\"s\"}}\n{\"d\":null}\n");
        assert_eq!(
            cols(&f),
            [
                "a:double",
                "b:struct<x:boolean,y:string>",
                "c:array<bigint>",
                "d:string"
            ]
        );
        assert_eq!(f.json_array, Some(false));
        // Columns keep the order of the file, not alphabetical order.
        let f = inf("{\"zeta\":1,\"alpha\":{\"y\":1,\"x\":2}}\n");
        assert_eq!(cols(&f), ["zeta:bigint", "alpha:struct<y:bigint,x:bigint>"]);
        let f = inf("[{\"a\":1},{\"a\":2,\"b\":\"x\"}]");
        assert_eq!(cols(&f), ["a:bigint", "b:string"]);
        assert_eq!(f.json_array, Some(true));
        assert_eq!(f.record_count, Some(2));
        // A truncated sample keeps the rows it has.
        let f = infer(
            b"[{\"a\":1},{\"a\":2},{\"a\"",
            false,
            SampleOptions::default(),
        )
        .unwrap();
        assert_eq!(f.record_count, Some(2));
        let e = infer(
            b"{\"a\":1}\n{\"a\":\n{\"a\":3}\n",
            true,
            SampleOptions::default(),
        )
        .unwrap_err();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn dates_are_real_calendar_dates() {
        assert_eq!(cell_type("2024-02-29"), CellType::Date);
        assert_eq!(cell_type("2023-02-29"), CellType::String);
        assert_eq!(cell_type("2024-04-31"), CellType::String);
        assert_eq!(cell_type("2024-13-01"), CellType::String);
        assert_eq!(cell_type("2000-02-29 23:59:59.5"), CellType::Timestamp);
        assert_eq!(cell_type("1900-02-29"), CellType::String);
    }

    #[test]
    fn binary_garbage_is_refused() {
        let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 256) as u8).collect();
        let e = infer(&junk, true, SampleOptions::default()).unwrap_err();
        assert!(e.contains("binary"), "{e}");
    }

    fn custom(name: &str, rule: Rule) -> CustomClassifier {
        CustomClassifier {
            name: name.into(),
            rule,
        }
    }

    #[test]
    fn logs_are_read_by_the_built_in_grok_classifiers_before_csv() {
        let line = r#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200 12"#;
        let text = format!("{line}\n{line}\n{}", &line[..20]);
        let f = infer(text.as_bytes(), false, SampleOptions::default()).unwrap();
        assert_eq!(f.classification, Classification::Grok);
        assert_eq!(f.grok.as_ref().unwrap().classification, "apache");
        assert_eq!(f.columns.len(), 10, "{:?}", f.columns);
        // A line that is not the log's makes it text again.
        let mixed = format!("{line}\nnot a log line\n");
        let f = infer(mixed.as_bytes(), true, SampleOptions::default()).unwrap();
        assert_eq!(f.classification, Classification::Csv);
        // Space-separated data is not taken for a log.
        let f = infer(b"a b c\n1 2 3\n4 5 6\n", true, SampleOptions::default()).unwrap();
        assert_eq!(f.classification, Classification::Csv);
    }

    #[test]
    fn grok_classifiers_come_before_the_built_in_reading() {
        let rule = crate::grok::GrokRule::new("kv", "%{WORD:key}=%{INT:value:int}", None).unwrap();
        let f = infer_with(
            b"a=1\nb=2\n",
            true,
            SampleOptions::default(),
            &[custom("kv", Rule::Grok(rule))],
        )
        .unwrap();
        assert_eq!(cols(&f), ["key:string", "value:int"]);
        assert_eq!((f.record_count, f.record_count_exact), (Some(2), true));
        assert_eq!(f.grok.unwrap().pattern, "%{WORD:key}=%{INT:value:int}");
    }

    #[test]
    fn csv_classifiers_fix_the_dialect_header_and_names() {
        let text = "alpha|beta\ngamma|delta\n\"x|y\"|z\n";
        let rule = CsvRule {
            delimiter: Some(b'|'),
            header: HeaderRule::Absent,
            names: vec!["Left".into(), "right".into()],
            serde: CsvSerde::LazySimple,
            ..Default::default()
        };
        let f = infer_with(
            text.as_bytes(),
            true,
            SampleOptions::default(),
            &[custom("pipes", Rule::Csv(rule))],
        )
        .unwrap();
        assert_eq!(cols(&f), ["left:string", "right:string"]);
        let d = f.csv.as_ref().unwrap();
        assert!(!d.header && !d.quoted, "{d:?}");
        assert_eq!(f.record_count, Some(3));
        assert!(f
            .notes
            .iter()
            .any(|n| n.contains("custom classifier pipes")));
        // A rule that does not fit the file is passed over: the built-in reading wins.
        let semis = CsvRule {
            delimiter: Some(b';'),
            ..Default::default()
        };
        let f = infer_with(
            b"a,b\n1,2\n",
            true,
            SampleOptions::default(),
            &[custom("semis", Rule::Csv(semis))],
        )
        .unwrap();
        assert_eq!(f.csv.as_ref().unwrap().delimiter, ",");
        assert!(!f.notes.iter().any(|n| n.contains("custom classifier")));
    }

    #[test]
    fn json_classifiers_find_nested_records() {
        let doc = br#"{"meta": 1, "records": [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]}"#;
        let rule = JsonRule::parse("$.records[*]").unwrap();
        let f = infer_with(
            doc,
            true,
            SampleOptions::default(),
            &[custom("recs", Rule::Json(rule))],
        )
        .unwrap();
        assert_eq!(cols(&f), ["id:bigint", "v:string"]);
        assert_eq!(f.record_count, Some(2));
        // Without the classifier the document itself is the one record.
        let plain = cols(&inf(std::str::from_utf8(doc).unwrap()));
        assert_eq!(plain[0], "meta:bigint");
        assert!(plain[1].starts_with("records:array<struct<"), "{plain:?}");
    }
}
