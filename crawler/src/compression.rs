//! Whole-file compression: recognised by magic bytes first and by extension second,
//! and undone on a prefix of the file only (a crawl never decompresses more than
//! its sample needs).

use serde::{Deserialize, Serialize};
use std::io::Read;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
    Zstd,
    Lz4,
    Snappy,
    /// zlib-wrapped deflate, which is what Hadoop's `.deflate` files hold.
    Deflate,
}

impl Compression {
    /// The name Glue writes in `compressionType`.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Zstd => "zstd",
            Compression::Lz4 => "lz4",
            Compression::Snappy => "snappy",
            Compression::Deflate => "deflate",
        }
    }

    pub fn from_magic(b: &[u8]) -> Option<Compression> {
        match b {
            [0x1f, 0x8b, ..] => Some(Compression::Gzip),
            [b'B', b'Z', b'h', d, ..] if d.is_ascii_digit() => Some(Compression::Bzip2),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Compression::Zstd),
            [0x04, 0x22, 0x4d, 0x18, ..] => Some(Compression::Lz4),
            [0xff, 0x06, 0x00, 0x00, b's', b'N', b'a', b'P', b'p', b'Y', ..] => {
                Some(Compression::Snappy)
            }
            // zlib: CMF says deflate with a window ≤ 32 KiB and the header checksum holds.
            [cmf, flg, ..]
                if cmf & 0x0f == 8
                    && cmf >> 4 <= 7
                    && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0 =>
            {
                Some(Compression::Deflate)
            }
            _ => None,
        }
    }

    /// What the name's last extension says, if it names a compression.
    pub fn from_name(name: &str) -> Option<Compression> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "gz" | "gzip" => Compression::Gzip,
            "bz2" | "bzip2" => Compression::Bzip2,
            "zst" | "zstd" => Compression::Zstd,
            "lz4" => Compression::Lz4,
            "snappy" | "sz" => Compression::Snappy,
            "deflate" | "zz" | "zlib" => Compression::Deflate,
            _ => return None,
        })
    }

    /// The name without its compression extension (`a.csv.gz` → `a.csv`).
    pub fn strip_ext(name: &str) -> &str {
        match name.rsplit_once('.') {
            Some((base, _)) if Compression::from_name(name).is_some() => base,
            _ => name,
        }
    }
}

/// Decompresses a prefix of a compressed file, up to `limit` output bytes.
/// Returns the output and whether the compressed stream ended within `input`
/// (so the output is the whole file). A truncated input is not an error: the
/// caller asked for a prefix. Corrupt input is.
pub fn decompress_prefix(
    c: Compression,
    input: &[u8],
    input_is_whole_file: bool,
    limit: usize,
) -> Result<(Vec<u8>, bool), String> {
    let mut r: Box<dyn Read + '_> = match c {
        Compression::None => {
            return Ok((
                input[..input.len().min(limit)].to_vec(),
                input.len() <= limit,
            ))
        }
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
        Compression::Deflate => Box::new(flate2::read::ZlibDecoder::new(input)),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(input)),
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::with_buffer(input).map_err(|e| e.to_string())?)
        }
        Compression::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(input)),
        Compression::Snappy => Box::new(snap::read::FrameDecoder::new(input)),
    };
    let mut out = Vec::with_capacity(limit.min(1 << 20));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if out.len() >= limit {
            out.truncate(limit);
            return Ok((out, false));
        }
        match r.read(&mut buf) {
            Ok(0) => return Ok((out, true)),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            // Running out of input is expected when only a prefix was fetched.
            Err(e) if !input_is_whole_file && is_truncation(&e) => return Ok((out, false)),
            Err(e) => {
                if out.is_empty() || input_is_whole_file {
                    return Err(format!("{} data is corrupt: {e}", c.as_str()));
                }
                return Ok((out, false));
            }
        }
    }
}

fn is_truncation(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidInput
    ) || e.to_string().contains("end of")
        || e.to_string().contains("incomplete")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn compress(c: Compression, data: &[u8]) -> Vec<u8> {
        match c {
            Compression::None => data.to_vec(),
            Compression::Gzip => {
                let mut w = flate2::write::GzEncoder::new(Vec::new(), Default::default());
                w.write_all(data).unwrap();
                w.finish().unwrap()
            }
            Compression::Deflate => {
                let mut w = flate2::write::ZlibEncoder::new(Vec::new(), Default::default());
                w.write_all(data).unwrap();
                w.finish().unwrap()
            }
            Compression::Bzip2 => {
                let mut w = bzip2::write::BzEncoder::new(Vec::new(), Default::default());
                w.write_all(data).unwrap();
                w.finish().unwrap()
            }
            Compression::Zstd => zstd::encode_all(data, 3).unwrap(),
            Compression::Lz4 => {
                let mut w = lz4_flex::frame::FrameEncoder::new(Vec::new());
                w.write_all(data).unwrap();
                w.finish().unwrap()
            }
            Compression::Snappy => {
                let mut w = snap::write::FrameEncoder::new(Vec::new());
                w.write_all(data).unwrap();
                w.into_inner().unwrap()
            }
        }
    }

    const ALL: [Compression; 6] = [
        Compression::Gzip,
        Compression::Bzip2,
        Compression::Zstd,
        Compression::Lz4,
        Compression::Snappy,
        Compression::Deflate,
    ];

    #[test]
    fn every_codec_is_recognised_by_magic_and_prefix_decoded() {
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{i},name{i},{}.5\n", i % 97).into_bytes())
            .collect();
        for c in ALL {
            let z = compress(c, &data);
            assert_eq!(Compression::from_magic(&z), Some(c), "{c:?}");
            let (all, done) = decompress_prefix(c, &z, true, usize::MAX).unwrap();
            assert!(done, "{c:?}");
            assert_eq!(all, data, "{c:?}");
            // A prefix of the compressed bytes yields a prefix of the data.
            let (part, done) = decompress_prefix(c, &z[..z.len() / 2], false, 10_000).unwrap();
            assert!(!done, "{c:?}");
            assert!(data.starts_with(&part), "{c:?}");
            // lz4 frames hold blocks of up to 4 MiB that decode only whole; the
            // crawler then fetches more of the file.
            assert!(!part.is_empty() || c == Compression::Lz4, "{c:?}");
        }
    }

    #[test]
    fn plain_text_is_not_taken_for_compressed() {
        for text in ["id,name\n1,a\n", "{\"a\":1}\n", "x\ty\n", "a|b\n"] {
            assert_eq!(Compression::from_magic(text.as_bytes()), None, "{text}");
        }
        assert_eq!(Compression::from_name("a.csv.gz"), Some(Compression::Gzip));
        assert_eq!(Compression::strip_ext("a.csv.gz"), "a.csv");
        assert_eq!(Compression::strip_ext("a.csv"), "a.csv");
    }

    #[test]
    fn corrupt_input_is_an_error() {
        let mut z = compress(Compression::Gzip, b"hello world, hello world");
        let n = z.len();
        z[n / 2] ^= 0xff;
        z[n / 2 + 1] ^= 0xff;
        assert!(decompress_prefix(Compression::Gzip, &z, true, 1 << 20).is_err());
    }
}
