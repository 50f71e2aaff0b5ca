//! Bearer tokens for the Iceberg REST front, from its OAuth2 token endpoint
//! (client credentials): clients that only speak OAuth2 (PyIceberg's
//! `credential`, Spark's `credential`) authenticate with an access key's id and
//! secret as client id and secret.
//!
//! A token is `lc1.<client id, base64url>.<expiry>.<HMAC-SHA256 of what precedes,
//! keyed by the client's secret>`: any replica with the same access keys
//! verifies it, nothing is stored, and revoking a key revokes its tokens.

use super::sigv4::Keys;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a token is good for.
pub const LIFETIME_SECS: i64 = 3600;

fn mac(secret: &str, payload: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    m.update(payload.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// A token for `client_id` if `client_secret` is its secret.
pub fn issue(keys: &Keys, client_id: &str, client_secret: &str, now: i64) -> Option<String> {
    let secret = keys.0.get(client_id)?;
    // Compared by MAC, so the time taken says nothing about the secret.
    if mac(secret, "check") != mac(client_secret, "check") {
        return None;
    }
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(client_id);
    let payload = format!("lc1.{id}.{}", now + LIFETIME_SECS);
    Some(format!("{payload}.{}", mac(secret, &payload)))
}

/// The client a token was issued to, if it is genuine and unexpired.
pub fn verify(keys: &Keys, token: &str, now: i64) -> Result<String, &'static str> {
    let (payload, sig) = token.rsplit_once('.').ok_or("malformed token")?;
    let mut parts = payload.split('.');
    let (Some("lc1"), Some(id), Some(expiry), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed token");
    };
    let client = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or("malformed token")?;
    let secret = keys.0.get(&client).ok_or("the token's client is unknown")?;
    if mac(secret, payload) != sig {
        return Err("the token's signature does not verify");
    }
    let expiry: i64 = expiry.parse().map_err(|_| "malformed token")?;
    if now >= expiry {
        return Err("the token has expired");
    }
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_as_issued() {
        let keys = Keys::parse("AKID:s3cret,OTHER:x").unwrap();
        assert!(issue(&keys, "AKID", "wrong", 100).is_none());
        assert!(issue(&keys, "NOPE", "s3cret", 100).is_none());
        let t = issue(&keys, "AKID", "s3cret", 100).unwrap();
        assert_eq!(verify(&keys, &t, 200), Ok("AKID".to_string()));
        assert_eq!(
            verify(&keys, &t, 100 + LIFETIME_SECS),
            Err("the token has expired")
        );
        let forged = t.replace(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("AKID"),
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("OTHER"),
        );
        assert!(verify(&keys, &forged, 200).is_err());
        let rekeyed = Keys::parse("AKID:new").unwrap();
        assert!(
            verify(&rekeyed, &t, 200).is_err(),
            "a new secret revokes old tokens"
        );
    }
}
