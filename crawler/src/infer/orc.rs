//! ORC: the schema and row count from the file's tail (postscript and footer),
//! without reading a stripe.
//!
//! Written by hand: the maintained Rust reader (orc-rust) decodes data into arrow
//! and builds against an arrow release other than the one parquet brings in here,
//! which would compile a second arrow for a few protobuf messages. The footer is
//! plain protobuf (ORC's `orc_proto.proto`), compressed in chunks with a 3-byte
//! header when the file is compressed.

use super::{Classification, FileSchema, InferredColumn};
use crate::compression::Compression;
use lakecat_catalog_api::types::{HiveType, StructField};
use std::io::Read;

#[derive(Debug)]
pub enum OrcError {
    /// The tail needs the last `n` bytes of the file.
    NeedMore(u64),
    Invalid(String),
}

impl std::fmt::Display for OrcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrcError::NeedMore(n) => write!(f, "the footer needs the last {n} bytes"),
            OrcError::Invalid(e) => write!(f, "not a valid ORC file: {e}"),
        }
    }
}

fn bad(m: impl Into<String>) -> OrcError {
    OrcError::Invalid(m.into())
}

/// A footer larger than this is refused rather than decompressed into memory.
const MAX_FOOTER: u64 = 256 << 20;
/// Types nested deeper than this are refused (a hostile footer could nest forever).
const MAX_DEPTH: usize = 64;

/// One protobuf field: its number and its value.
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Other,
}

struct Proto<'a> {
    b: &'a [u8],
}

impl<'a> Proto<'a> {
    fn varint(&mut self) -> Result<u64, OrcError> {
        let mut v = 0u64;
        for i in 0..10 {
            let (&byte, rest) = self
                .b
                .split_first()
                .ok_or_else(|| bad("a truncated varint"))?;
            self.b = rest;
            v |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(bad("a varint longer than 10 bytes"))
    }

    fn next(&mut self) -> Result<Option<(u64, Wire<'a>)>, OrcError> {
        if self.b.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let (field, kind) = (key >> 3, key & 7);
        let wire = match kind {
            0 => Wire::Varint(self.varint()?),
            1 | 5 => {
                let n = if kind == 1 { 8 } else { 4 };
                if self.b.len() < n {
                    return Err(bad("a truncated fixed-width field"));
                }
                self.b = &self.b[n..];
                Wire::Other
            }
            2 => {
                let n = self.varint()? as usize;
                if self.b.len() < n {
                    return Err(bad("a field runs past the end of its message"));
                }
                let (v, rest) = self.b.split_at(n);
                self.b = rest;
                Wire::Bytes(v)
            }
            k => return Err(bad(format!("protobuf wire type {k} is not used by ORC"))),
        };
        Ok(Some((field, wire)))
    }
}

/// Repeated uint32, packed or not.
fn push_u32s(w: Wire<'_>, out: &mut Vec<u32>) -> Result<(), OrcError> {
    match w {
        Wire::Varint(v) => out.push(v as u32),
        Wire::Bytes(b) => {
            let mut p = Proto { b };
            while !p.b.is_empty() {
                out.push(p.varint()? as u32);
            }
        }
        Wire::Other => return Err(bad("subtypes of the wrong wire type")),
    }
    Ok(())
}

#[derive(Debug, Default)]
struct OrcType {
    kind: u64,
    subtypes: Vec<u32>,
    names: Vec<String>,
    max_length: Option<u64>,
    precision: Option<u64>,
    scale: Option<u64>,
}

fn parse_type(b: &[u8]) -> Result<OrcType, OrcError> {
    let mut t = OrcType::default();
    let mut p = Proto { b };
    while let Some((f, w)) = p.next()? {
        match (f, w) {
            (1, Wire::Varint(v)) => t.kind = v,
            (2, w) => push_u32s(w, &mut t.subtypes)?,
            (3, Wire::Bytes(s)) => t.names.push(String::from_utf8_lossy(s).into_owned()),
            (4, Wire::Varint(v)) => t.max_length = Some(v),
            (5, Wire::Varint(v)) => t.precision = Some(v),
            (6, Wire::Varint(v)) => t.scale = Some(v),
            _ => {}
        }
    }
    Ok(t)
}

fn hive_type(types: &[OrcType], id: u32, depth: usize) -> Result<HiveType, OrcError> {
    if depth > MAX_DEPTH {
        return Err(bad(format!("types nested deeper than {MAX_DEPTH}")));
    }
    let t = types
        .get(id as usize)
        .ok_or_else(|| bad(format!("type {id} is not in the footer")))?;
    let child = |i: usize| -> Result<HiveType, OrcError> {
        let sub = *t
            .subtypes
            .get(i)
            .ok_or_else(|| bad(format!("type {id} lacks subtype {i}")))?;
        if sub <= id {
            return Err(bad(format!(
                "type {id} names an earlier type {sub} as its child"
            )));
        }
        hive_type(types, sub, depth + 1)
    };
    Ok(match t.kind {
        0 => HiveType::Boolean,
        1 => HiveType::TinyInt,
        2 => HiveType::SmallInt,
        3 => HiveType::Int,
        4 => HiveType::BigInt,
        5 => HiveType::Float,
        6 => HiveType::Double,
        7 => HiveType::String,
        8 => HiveType::Binary,
        // TIMESTAMP_INSTANT (18) is Hive's `timestamp with local time zone`, which
        // Hive 2 clients cannot parse; as a plain timestamp every engine reads it.
        9 | 18 => HiveType::Timestamp,
        10 => HiveType::Array(Box::new(child(0)?)),
        11 => HiveType::Map(Box::new(child(0)?), Box::new(child(1)?)),
        12 => {
            if t.names.len() != t.subtypes.len() {
                return Err(bad(format!(
                    "struct type {id} has {} fields but {} names",
                    t.subtypes.len(),
                    t.names.len()
                )));
            }
            HiveType::Struct(
                (0..t.subtypes.len())
                    .map(|i| {
                        Ok(StructField {
                            name: t.names[i].to_lowercase(),
                            ty: child(i)?,
                            comment: None,
                        })
                    })
                    .collect::<Result<_, OrcError>>()?,
            )
        }
        13 => HiveType::Union(
            (0..t.subtypes.len())
                .map(child)
                .collect::<Result<_, OrcError>>()?,
        ),
        // ORC's defaults when a writer left them out (Hive's decimal is (38,18) in ORC).
        14 => HiveType::Decimal {
            precision: t.precision.unwrap_or(38).clamp(1, 38) as u32,
            scale: t.scale.unwrap_or(18).min(t.precision.unwrap_or(38).min(38)) as u32,
        },
        15 => HiveType::Date,
        16 => HiveType::Varchar(t.max_length.unwrap_or(65535).clamp(1, 65535) as u32),
        17 => HiveType::Char(t.max_length.unwrap_or(255).clamp(1, 255) as u32),
        k => return Err(bad(format!("type {id} has unknown kind {k}"))),
    })
}

/// The footer's bytes, decompressed chunk by chunk with the file's codec.
fn decompress(codec: u64, block: u64, mut b: &[u8]) -> Result<Vec<u8>, OrcError> {
    if codec == 0 {
        return Ok(b.to_vec());
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        if b.len() < 3 {
            return Err(bad("a truncated compression chunk header"));
        }
        let h = u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
        let (len, original) = ((h >> 1) as usize, h & 1 == 1);
        b = &b[3..];
        if b.len() < len {
            return Err(bad("a compression chunk runs past the footer"));
        }
        let (chunk, rest) = b.split_at(len);
        b = rest;
        if original {
            out.extend_from_slice(chunk);
        } else {
            let limit = block.clamp(1, 16 << 20) as usize;
            let plain = match codec {
                1 => {
                    let mut v = Vec::new();
                    flate2::read::DeflateDecoder::new(chunk)
                        .take(limit as u64 + 1)
                        .read_to_end(&mut v)
                        .map_err(|e| bad(format!("zlib: {e}")))?;
                    v
                }
                2 => snap::raw::Decoder::new()
                    .decompress_vec(chunk)
                    .map_err(|e| bad(format!("snappy: {e}")))?,
                3 => return Err(bad("LZO-compressed ORC footers are not supported")),
                4 => lz4_flex::block::decompress(chunk, limit)
                    .map_err(|e| bad(format!("lz4: {e}")))?,
                5 => zstd::bulk::decompress(chunk, limit).map_err(|e| bad(format!("zstd: {e}")))?,
                c => return Err(bad(format!("unknown compression kind {c}"))),
            };
            out.extend_from_slice(&plain);
        }
        if out.len() as u64 > MAX_FOOTER {
            return Err(bad(format!("a footer over {MAX_FOOTER} bytes")));
        }
    }
    Ok(out)
}

/// The schema from the last bytes of a file of `size` bytes.
pub fn infer(tail: &[u8], size: u64) -> Result<FileSchema, OrcError> {
    let ps_len = *tail.last().ok_or_else(|| bad("an empty file"))? as u64;
    if ps_len == 0 || ps_len + 1 > tail.len() as u64 {
        return Err(if ps_len < size && ps_len > 0 {
            OrcError::NeedMore(ps_len + 1)
        } else {
            bad("the postscript length is wrong")
        });
    }
    let ps_start = tail.len() - 1 - ps_len as usize;
    let ps = &tail[ps_start..tail.len() - 1];
    let (mut footer_len, mut codec, mut block, mut metadata_len, mut magic) =
        (0, 0, 262144, 0, false);
    let mut p = Proto { b: ps };
    while let Some((f, w)) = p.next()? {
        match (f, w) {
            (1, Wire::Varint(v)) => footer_len = v,
            (2, Wire::Varint(v)) => codec = v,
            (3, Wire::Varint(v)) => block = v,
            (5, Wire::Varint(v)) => metadata_len = v,
            (8000, Wire::Bytes(b)) => magic = b == b"ORC",
            _ => {}
        }
    }
    if !magic {
        return Err(bad("the postscript has no ORC magic"));
    }
    let _ = metadata_len;
    if footer_len > MAX_FOOTER {
        return Err(bad(format!("a footer of {footer_len} bytes")));
    }
    let need = footer_len + ps_len + 1;
    if need > size.saturating_sub(3) {
        return Err(bad(format!(
            "a footer of {footer_len} bytes in a file of {size}"
        )));
    }
    if need > tail.len() as u64 {
        return Err(OrcError::NeedMore(need));
    }
    let footer = decompress(
        codec,
        block,
        &tail[ps_start - footer_len as usize..ps_start],
    )?;
    let mut types = Vec::new();
    let (mut rows, mut stripes) = (None, 0u64);
    let mut p = Proto { b: &footer };
    while let Some((f, w)) = p.next()? {
        match (f, w) {
            (3, Wire::Bytes(_)) => stripes += 1,
            (4, Wire::Bytes(b)) => types.push(parse_type(b)?),
            (6, Wire::Varint(v)) => rows = Some(v),
            _ => {}
        }
    }
    let root = types
        .first()
        .ok_or_else(|| bad("the footer has no types"))?;
    if root.kind != 12 {
        return Err(bad("the top-level type is not a struct"));
    }
    let HiveType::Struct(fields) = hive_type(&types, 0, 0)? else {
        unreachable!("kind 12 is a struct");
    };
    // Stripes and the codec stay out of the schema: files that differ only in them
    // must share one (see the crawl's interning of schemas).
    let _ = stripes;
    Ok(FileSchema {
        grok: None,
        classification: Classification::Orc,
        compression: Compression::None,
        columns: fields
            .into_iter()
            .map(|f| InferredColumn {
                name: f.name,
                ty: f.ty,
            })
            .collect(),
        csv: None,
        json_array: None,
        record_count: rows,
        record_count_exact: rows.is_some(),
        avro_schema: None,
        xml: None,
        notes: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A footer type: kind, subtypes, field names, other varint fields.
    type TypeSpec = (
        u64,
        &'static [u32],
        &'static [&'static str],
        &'static [(u64, u64)],
    );

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn field_varint(f: u64, v: u64, out: &mut Vec<u8>) {
        varint(f << 3, out);
        varint(v, out);
    }

    fn field_bytes(f: u64, b: &[u8], out: &mut Vec<u8>) {
        varint(f << 3 | 2, out);
        varint(b.len() as u64, out);
        out.extend_from_slice(b);
    }

    /// A file tail: footer with these (kind, subtypes, names, extra) types, then the
    /// postscript, compressed by `codec` with `compress`.
    fn file(types: &[TypeSpec], codec: u64, compress: fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
        let mut footer = Vec::new();
        for (kind, subs, names, extra) in types {
            let mut t = Vec::new();
            field_varint(1, *kind, &mut t);
            let mut packed = Vec::new();
            for s in *subs {
                varint(u64::from(*s), &mut packed);
            }
            if !subs.is_empty() {
                field_bytes(2, &packed, &mut t);
            }
            for n in *names {
                field_bytes(3, n.as_bytes(), &mut t);
            }
            for (f, v) in *extra {
                field_varint(*f, *v, &mut t);
            }
            field_bytes(4, &t, &mut footer);
        }
        field_varint(6, 7, &mut footer);
        let body = compress(&footer);
        let mut out = b"ORC".to_vec();
        out.extend_from_slice(&body);
        let mut ps = Vec::new();
        field_varint(1, body.len() as u64, &mut ps);
        field_varint(2, codec, &mut ps);
        field_varint(3, 262144, &mut ps);
        field_bytes(8000, b"ORC", &mut ps);
        out.extend_from_slice(&ps);
        out.push(ps.len() as u8);
        out
    }

    fn chunk(compressed: Vec<u8>) -> Vec<u8> {
        let h = (compressed.len() as u32) << 1;
        let mut out = vec![h as u8, (h >> 8) as u8, (h >> 16) as u8];
        out.extend(compressed);
        out
    }

    const TYPES: &[TypeSpec] = &[
        (
            12,
            &[1, 2, 3, 4, 5, 6],
            &["u", "c", "V", "at", "d", "x"],
            &[],
        ),
        (13, &[7, 8], &[], &[]),
        (17, &[], &[], &[(4, 10)]),
        (16, &[], &[], &[(4, 200)]),
        (18, &[], &[], &[]),
        (14, &[], &[], &[]),
        (3, &[], &[], &[]),
        (3, &[], &[], &[]),
        (7, &[], &[], &[]),
    ];

    fn columns(tail: &[u8]) -> Vec<String> {
        let s = infer(tail, tail.len() as u64).unwrap();
        assert_eq!(s.record_count, Some(7));
        s.columns
            .iter()
            .map(|c| format!("{} {}", c.name, c.ty))
            .collect()
    }

    #[test]
    fn types_pyarrow_cannot_write_and_lz4_chunks() {
        let want = [
            "u uniontype<int,string>",
            "c char(10)",
            "v varchar(200)",
            "at timestamp",
            "d decimal(38,18)",
            "x int",
        ];
        assert_eq!(columns(&file(TYPES, 0, |b| b.to_vec())), want);
        let lz4 = file(TYPES, 4, |b| chunk(lz4_flex::block::compress(b)));
        assert_eq!(columns(&lz4), want);
        let snappy = file(TYPES, 2, |b| {
            chunk(snap::raw::Encoder::new().compress_vec(b).unwrap())
        });
        assert_eq!(columns(&snappy), want);
        let lzo = file(TYPES, 3, |b| chunk(b.to_vec()));
        assert!(infer(&lzo, lzo.len() as u64)
            .unwrap_err()
            .to_string()
            .contains("LZO"));
    }

    #[test]
    fn hostile_footers_are_refused_not_followed() {
        // A type that names itself (or an earlier type) as its child would loop.
        let looping: &[TypeSpec] = &[(12, &[1], &["a"], &[]), (10, &[1], &[], &[])];
        let t = file(looping, 0, |b| b.to_vec());
        assert!(infer(&t, t.len() as u64)
            .unwrap_err()
            .to_string()
            .contains("earlier type"));
        // Every truncation of a valid tail is an error or a request for more, never a panic.
        let good = file(TYPES, 0, |b| b.to_vec());
        for cut in 0..good.len() {
            let _ = infer(&good[cut..], good.len() as u64);
            let _ = infer(&good[..cut], cut as u64);
        }
    }
}
