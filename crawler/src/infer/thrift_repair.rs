//! Footers that other readers accept and parquet's decoder refuses: lists whose
//! header says `byte` where the Parquet Thrift definition has another element
//! type. Some writers put an empty list's element type as 0 or `byte` (fastparquet,
//! the Dremio file in parquet-testing); Java and C++ readers never check it.
//!
//! Parquet's error names the type it expected, so a refused footer is rewritten
//! one list at a time, in the order the decoder reads them: the next such list
//! takes the expected type (an empty one just its header; a `byte` list whose
//! integers are wanted gets each value re-encoded as a varint). A library would
//! be the better home for this; parquet keeps its Thrift reader private.

use std::collections::HashMap;

/// Thrift compact element types, by the names parquet's errors use.
fn code_of(name: &str) -> Option<u8> {
    Some(match name {
        "Bool" => 1,
        "Byte" => 3,
        "I16" => 4,
        "I32" => 5,
        "I64" => 6,
        "Double" => 7,
        "Binary" => 8,
        "List" => 9,
        "Set" => 10,
        "Map" => 11,
        "Struct" => 12,
        _ => return None,
    })
}

/// The type parquet wanted, from "Expected list element type of X but got Byte".
pub fn wanted(message: &str) -> Option<u8> {
    let rest = message.split("Expected list element type of ").nth(1)?;
    let (want, got) = rest.split_once(" but got ")?;
    if !got.starts_with("Byte") {
        return None;
    }
    code_of(want.trim())
}

const MAX_DEPTH: usize = 64;

struct Walk<'a> {
    input: &'a [u8],
    pos: usize,
    out: Vec<u8>,
    /// List header offsets to retype, and the type each takes.
    fixes: &'a HashMap<usize, u8>,
    /// Offsets of `byte` (or type-0) list headers, in reading order.
    found: Vec<usize>,
    /// Tests only: write every `i32` list as a `byte` list, the way the refused
    /// files arrive.
    narrow: bool,
}

impl Walk<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.input.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn copy(&mut self, n: usize) -> Option<()> {
        let s = self.input.get(self.pos..self.pos.checked_add(n)?)?;
        self.out.extend_from_slice(s);
        self.pos += n;
        Some(())
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            self.out.push(b);
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn value(&mut self, ty: u8, in_list: bool, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match ty {
            1 | 2 if !in_list => Some(()),
            1..=3 => self.copy(1),
            4..=6 => self.varint().map(drop),
            7 => self.copy(8),
            8 => {
                let n = self.varint()? as usize;
                self.copy(n)
            }
            9 | 10 => self.list(depth),
            11 => {
                let n = self.varint()?;
                if n > 0 {
                    let kv = self.byte()?;
                    self.out.push(kv);
                    for _ in 0..n {
                        self.value(kv >> 4, true, depth + 1)?;
                        self.value(kv & 0x0f, true, depth + 1)?;
                    }
                }
                Some(())
            }
            12 => self.structure(depth + 1),
            _ => None,
        }
    }

    fn list(&mut self, depth: usize) -> Option<()> {
        let at = self.pos;
        let header = self.byte()?;
        let (mut ty, short) = (header & 0x0f, header >> 4);
        let out_header = self.out.len();
        self.out.push(header);
        let n = if short == 15 {
            self.varint()?
        } else {
            u64::from(short)
        };
        if self.narrow && ty == 5 && n > 0 {
            self.out[out_header] = (header & 0xf0) | 3;
            for _ in 0..n {
                let mut z = 0u64;
                for i in 0..10 {
                    let b = self.byte()?;
                    z |= u64::from(b & 0x7f) << (7 * i);
                    if b & 0x80 == 0 {
                        break;
                    }
                }
                let v = ((z >> 1) as i64) ^ -((z & 1) as i64);
                self.out.push(i8::try_from(v).ok()? as u8);
            }
            return Some(());
        }
        if ty == 3 || header == 0 {
            self.found.push(at);
            if let Some(&want) = self.fixes.get(&at) {
                self.out[out_header] = (if header == 0 { 0 } else { short << 4 }) | want;
                if n > 0 && ty == 3 && matches!(want, 4..=6) {
                    for _ in 0..n {
                        // A signed byte, as the wanted integer type's zigzag varint.
                        let v = i64::from(self.byte()? as i8);
                        let mut z = ((v << 1) ^ (v >> 63)) as u64;
                        while z >= 0x80 {
                            self.out.push((z as u8) | 0x80);
                            z >>= 7;
                        }
                        self.out.push(z as u8);
                    }
                    return Some(());
                }
                ty = want;
            }
        }
        for _ in 0..n {
            self.value(ty, true, depth + 1)?;
        }
        Some(())
    }

    fn structure(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        loop {
            let b = self.byte()?;
            self.out.push(b);
            if b == 0 {
                return Some(());
            }
            if b >> 4 == 0 {
                self.varint()?;
            }
            self.value(b & 0x0f, false, depth)?;
        }
    }
}

/// The footer (a `FileMetaData` struct) with `fixes` applied, and the offsets of
/// the lists that could be fixed; `None` when it is not compact Thrift.
pub fn rewrite(footer: &[u8], fixes: &HashMap<usize, u8>) -> Option<(Vec<u8>, Vec<usize>)> {
    let mut w = Walk {
        input: footer,
        pos: 0,
        out: Vec::with_capacity(footer.len() + 64),
        fixes,
        found: Vec::new(),
        narrow: false,
    };
    w.structure(0)?;
    Some((w.out, w.found))
}

/// Tests only: the footer with every `i32` list written as a `byte` list.
#[cfg(test)]
pub fn narrow_i32_lists(footer: &[u8]) -> Option<Vec<u8>> {
    let fixes = HashMap::new();
    let mut w = Walk {
        input: footer,
        pos: 0,
        out: Vec::new(),
        fixes: &fixes,
        found: Vec::new(),
        narrow: true,
    };
    w.structure(0)?;
    Some(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wanted_type_comes_from_parquets_message() {
        assert_eq!(
            wanted("Parquet error: Expected list element type of I32 but got Byte"),
            Some(5)
        );
        assert_eq!(
            wanted("Expected list element type of Struct but got Byte"),
            Some(12)
        );
        assert_eq!(
            wanted("Expected list element type of I32 but got Bool"),
            None
        );
    }

    #[test]
    fn a_byte_list_widens_to_varints() {
        // struct { 1: list<byte> [1, -1] } with the list retyped to i32.
        let footer = [0x19, 0x23, 0x01, 0xff, 0x00];
        let (_, found) = rewrite(&footer, &HashMap::new()).unwrap();
        assert_eq!(found, [1]);
        let (out, _) = rewrite(&footer, &HashMap::from([(1, 5)])).unwrap();
        assert_eq!(out, [0x19, 0x25, 0x02, 0x01, 0x00]);
        // An empty type-0 list takes the type in its header.
        let (out, _) = rewrite(&[0x19, 0x00, 0x00], &HashMap::from([(1, 12)])).unwrap();
        assert_eq!(out, [0x19, 0x0c, 0x00]);
        assert!(
            rewrite(&[0x19, 0x23, 0x01], &HashMap::new()).is_none(),
            "truncated"
        );
    }
}
