//! AWS Signature Version 4 verification, so that `lakecat serve --auth sigv4` accepts
//! only requests signed with one of its access keys (boto3, the aws CLI and
//! `curl --aws-sigv4` sign this way). Header (`Authorization`) and query-string
//! (`X-Amz-Signature`) forms are verified; the body must match the signed payload
//! hash; a request signed more than 15 minutes away from the server's clock, or
//! past its `X-Amz-Expires`, is refused. Written here because the maintained SigV4
//! crates sign requests but do not verify them.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Access key id → secret.
#[derive(Debug, Clone, Default)]
pub struct Keys(pub HashMap<String, String>);

impl Keys {
    /// `ID:SECRET,ID2:SECRET2`.
    pub fn parse(list: &str) -> Result<Keys, String> {
        let mut m = HashMap::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (id, secret) = item
                .split_once(':')
                .filter(|(i, s)| !i.is_empty() && !s.is_empty())
                .ok_or_else(|| format!("access key {item:?} is not ID:SECRET"))?;
            m.insert(id.to_string(), secret.to_string());
        }
        Ok(Keys(m))
    }
}

/// A refusal, with the error type AWS answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: &'static str,
    pub message: String,
}

fn refuse(kind: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        kind,
        message: message.into(),
    }
}

pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// What the verifier needs of a request.
pub struct Request<'a> {
    pub method: &'a str,
    /// The path as sent (still percent-encoded).
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// AWS's URI encoding: unreserved characters stay, everything else is %XX.
fn aws_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Parses `/`-less `YYYYMMDD'T'HHMMSS'Z'` into epoch seconds.
fn amz_epoch(d: &str) -> Option<i64> {
    let b = d.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| d.get(r)?.parse::<i64>().ok();
    let (y, m, day, hh, mm, ss) = (
        n(0..4)?,
        n(4..6)?,
        n(6..8)?,
        n(9..11)?,
        n(11..13)?,
        n(13..15)?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Verifies a request's signature against `keys`, at server time `now` (epoch seconds).
pub fn verify(req: &Request, keys: &Keys, now: i64) -> Result<String, Refusal> {
    let header = |name: &str| -> Option<String> {
        let vals: Vec<&str> = req
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!vals.is_empty()).then(|| vals.join(","))
    };
    let query: Vec<(String, String)> = req
        .query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let q = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (credential, signed_headers, signature, date, presigned) =
        if let Some(auth) = header("authorization") {
            let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| {
                refuse(
                    "IncompleteSignatureException",
                    "the Authorization header is not AWS4-HMAC-SHA256",
                )
            })?;
            let mut parts: HashMap<&str, &str> = HashMap::new();
            for p in rest.split(',') {
                if let Some((k, v)) = p.trim().split_once('=') {
                    parts.insert(k, v);
                }
            }
            let get = |k: &str| {
                parts.get(k).map(|s| s.to_string()).ok_or_else(|| {
                    refuse(
                        "IncompleteSignatureException",
                        format!("the Authorization header has no {k}="),
                    )
                })
            };
            let date = header("x-amz-date").ok_or_else(|| {
                refuse(
                    "IncompleteSignatureException",
                    "the request has no X-Amz-Date header",
                )
            })?;
            (
                get("Credential")?,
                get("SignedHeaders")?,
                get("Signature")?,
                date,
                false,
            )
        } else if let Some(sig) = q("X-Amz-Signature") {
            if q("X-Amz-Algorithm").as_deref() != Some("AWS4-HMAC-SHA256") {
                return Err(refuse(
                    "IncompleteSignatureException",
                    "X-Amz-Algorithm must be AWS4-HMAC-SHA256",
                ));
            }
            let need = |k: &str| {
                q(k).ok_or_else(|| {
                    refuse(
                        "IncompleteSignatureException",
                        format!("the query has no {k}"),
                    )
                })
            };
            (
                need("X-Amz-Credential")?,
                need("X-Amz-SignedHeaders")?,
                sig,
                need("X-Amz-Date")?,
                true,
            )
        } else {
            return Err(refuse(
                "MissingAuthenticationTokenException",
                "the request is not signed (this server requires AWS Signature Version 4)",
            ));
        };
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, day, region, service, terminal] = scope.as_slice() else {
        return Err(refuse(
            "IncompleteSignatureException",
            format!("malformed Credential {credential:?}"),
        ));
    };
    if *terminal != "aws4_request" || !date.starts_with(day) {
        return Err(refuse(
            "IncompleteSignatureException",
            format!("malformed Credential scope {credential:?}"),
        ));
    }
    let secret = keys.0.get(*key_id).ok_or_else(|| {
        refuse(
            "UnrecognizedClientException",
            format!("the access key id {key_id} is not known to this server"),
        )
    })?;
    let signed_at = amz_epoch(&date).ok_or_else(|| {
        refuse(
            "IncompleteSignatureException",
            format!("malformed X-Amz-Date {date:?}"),
        )
    })?;
    if presigned {
        let expires: i64 = q("X-Amz-Expires")
            .and_then(|e| e.parse().ok())
            .unwrap_or(900);
        if now > signed_at + expires || signed_at > now + MAX_SKEW_SECS {
            return Err(refuse(
                "InvalidSignatureException",
                format!("Signature expired: {date} with X-Amz-Expires {expires}"),
            ));
        }
    } else if (now - signed_at).abs() > MAX_SKEW_SECS {
        return Err(refuse(
            "InvalidSignatureException",
            format!("Signature expired: {date} is more than 15 minutes from the server's time"),
        ));
    }
    let names: Vec<&str> = signed_headers.split(';').collect();
    if !names.contains(&"host") {
        return Err(refuse(
            "IncompleteSignatureException",
            "the Host header must be signed",
        ));
    }
    let body_hash = sha256_hex(req.body);
    let payload = match header("x-amz-content-sha256") {
        // S3's unsigned payloads would let anyone who sees one signed request
        // send any body under its signature; only an empty body may go unsigned.
        Some(h) if h == "UNSIGNED-PAYLOAD" && !req.body.is_empty() => {
            return Err(refuse(
                "InvalidSignatureException",
                "an unsigned payload is not accepted: sign the body (X-Amz-Content-Sha256 must be its SHA-256)",
            ));
        }
        Some(h) if h == "UNSIGNED-PAYLOAD" => h,
        Some(h) if h != body_hash => {
            return Err(refuse(
                "InvalidSignatureException",
                "the body does not match its signed SHA-256",
            ));
        }
        _ => body_hash,
    };
    let mut canonical_headers = String::new();
    for n in &names {
        let v = header(n).unwrap_or_default();
        let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
        canonical_headers.push_str(&format!("{n}:{v}\n"));
    }
    let mut cq: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| k != "X-Amz-Signature")
        .map(|(k, v)| (aws_encode(k, false), aws_encode(v, false)))
        .collect();
    cq.sort();
    let canonical_query = cq
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    // Like botocore for every service but S3: the path as sent, encoded once more.
    let path = if req.path.is_empty() { "/" } else { req.path };
    let canonical = format!(
        "{}\n{}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload}",
        req.method,
        aws_encode(path, true)
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{date}\n{day}/{region}/{service}/aws4_request\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let k = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    let k = hmac(&k, b"aws4_request");
    let mut m = Hmac::<Sha256>::new_from_slice(&k).expect("HMAC takes any key length");
    m.update(string_to_sign.as_bytes());
    let given = hex::decode(&signature)
        .map_err(|_| refuse("IncompleteSignatureException", "the signature is not hex"))?;
    m.verify_slice(&given).map_err(|_| {
        refuse(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        )
    })?;
    Ok(key_id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of AWS's SigV4 documentation ("GET /?Action=ListUsers…" to IAM).
    #[test]
    fn the_documented_example_verifies() {
        let keys = Keys::parse("AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
        let headers = vec![
            ("Host".to_string(), "iam.amazonaws.com".to_string()),
            ("Content-Type".to_string(), "application/x-www-form-urlencoded; charset=utf-8".to_string()),
            ("X-Amz-Date".to_string(), "20150830T123600Z".to_string()),
            ("Authorization".to_string(), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7".to_string()),
        ];
        let req = Request {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: &headers,
            body: b"",
        };
        let now = amz_epoch("20150830T123600Z").unwrap();
        assert_eq!(verify(&req, &keys, now), Ok("AKIDEXAMPLE".to_string()));
        // Twenty minutes later it has expired; another secret does not match.
        assert_eq!(
            verify(&req, &keys, now + 1200).unwrap_err().kind,
            "InvalidSignatureException"
        );
        let other = Keys::parse("AKIDEXAMPLE:other").unwrap();
        assert_eq!(
            verify(&req, &other, now).unwrap_err().kind,
            "InvalidSignatureException"
        );
        let none = Keys::parse("SOMEONE:else").unwrap();
        assert_eq!(
            verify(&req, &none, now).unwrap_err().kind,
            "UnrecognizedClientException"
        );
        let bare = Request {
            headers: &headers[..3],
            ..req
        };
        assert_eq!(
            verify(&bare, &keys, now).unwrap_err().kind,
            "MissingAuthenticationTokenException"
        );
        assert_eq!(amz_epoch("19700101T000000Z"), Some(0));
        assert!(Keys::parse("nocolon").is_err());
    }
}
