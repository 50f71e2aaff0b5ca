//! Order-preserving, prefix-free encoding of partition value tuples.
//!
//! Each value is written with 0x00 escaped as 0x00 0xFF and ended by 0x00 0x01, so
//! byte order of encodings equals the lexicographic order of value tuples, and no
//! encoding is a prefix of another. That lets every store keep a table's partitions
//! in one ordered range, serve listings as range scans, and turn a filter whose
//! leading keys are fixed by equality into a narrower range.

const ESC: u8 = 0x00;
const ESC_NUL: u8 = 0xFF;
const TERM: u8 = 0x01;

pub fn encode_value(out: &mut Vec<u8>, v: &str) {
    for &b in v.as_bytes() {
        if b == ESC {
            out.extend_from_slice(&[ESC, ESC_NUL]);
        } else {
            out.push(b);
        }
    }
    out.extend_from_slice(&[ESC, TERM]);
}

pub fn encode_values<S: AsRef<str>>(values: &[S]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.iter().map(|v| v.as_ref().len() + 2).sum());
    for v in values {
        encode_value(&mut out, v.as_ref());
    }
    out
}

/// Inverse of [`encode_values`]; `None` for bytes no encoder produced.
pub fn decode_values(mut b: &[u8]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let mut v = Vec::new();
        loop {
            match b {
                [ESC, ESC_NUL, rest @ ..] => {
                    v.push(0);
                    b = rest;
                }
                [ESC, TERM, rest @ ..] => {
                    b = rest;
                    break;
                }
                [ESC, ..] | [] => return None,
                [x, rest @ ..] => {
                    v.push(*x);
                    b = rest;
                }
            }
        }
        out.push(String::from_utf8(v).ok()?);
    }
    Some(out)
}

/// The smallest byte string greater than every key that starts with `prefix`
/// (`None` when there is none, i.e. the prefix is all 0xFF).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Hex page tokens: opaque to clients, trivially round-tripped. A check value
/// ends each token, so a token this server did not give out (a typo, junk, a
/// truncated copy) is refused instead of silently starting somewhere.
pub fn token_encode(key: &[u8]) -> String {
    let mut t: String = key.iter().map(|b| format!("{b:02x}")).collect();
    t.push_str(&format!("{:08x}", check(key)));
    t
}

pub fn token_decode(token: &str) -> Option<Vec<u8>> {
    if !token.len().is_multiple_of(2) || token.len() < 8 || !token.is_ascii() {
        return None;
    }
    let (body, sum) = token.split_at(token.len() - 8);
    let key: Vec<u8> = (0..body.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(body.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    (u32::from_str_radix(sum, 16).ok()? == check(&key)).then_some(key)
}

/// FNV-1a: enough to tell a token from junk; tokens carry no secret.
fn check(b: &[u8]) -> u32 {
    b.iter().fold(0x811c_9dc5u32, |h, &x| {
        (h ^ u32::from(x)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_not_given_out_are_refused() {
        let t = token_encode(b"sales\x00\x01");
        assert_eq!(token_decode(&t).unwrap(), b"sales\x00\x01");
        for junk in [
            "",
            "5",
            "ab",
            &"ab".repeat(5000),
            &t[..t.len() - 2],
            &format!("00{t}"),
        ] {
            assert_eq!(token_decode(junk), None, "{junk}");
        }
        assert_eq!(token_decode(&token_encode(b"")).unwrap(), b"");
    }

    proptest! {
        #[test]
        fn order_and_round_trip(a in prop::collection::vec("[\\x00-\\x02a-c\u{e9}]{0,4}", 1..4),
                                b in prop::collection::vec("[\\x00-\\x02a-c\u{e9}]{0,4}", 1..4)) {
            let (ea, eb) = (encode_values(&a), encode_values(&b));
            prop_assert_eq!(decode_values(&ea).unwrap(), a.clone());
            prop_assert_eq!(a.cmp(&b), ea.cmp(&eb));
            if a.len() < b.len() && a[..] == b[..a.len()] {
                prop_assert!(eb.starts_with(&ea));
            }
        }

        #[test]
        fn tokens_round_trip(k in prop::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(token_decode(&token_encode(&k)).unwrap(), k);
        }
    }

    #[test]
    fn bad_tokens() {
        assert!(token_decode("abc").is_none());
        assert!(token_decode("zz").is_none());
        assert!(token_decode("é1").is_none());
        assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF]), None);
    }
}
