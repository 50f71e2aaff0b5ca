//! Tokens made from access keys: bearer tokens for the Iceberg REST front, from its
//! OAuth2 token endpoint (client credentials), and the web console's session
//! cookie. Clients that only speak OAuth2 (PyIceberg's `credential`, Spark's
//! `credential`) authenticate with an access key's id and secret as client id and
//! secret; people sign in to the console with the same pair.
//!
//! A token is `<audience>.<client id, base64url>.<expiry>.<HMAC-SHA256 of what
//! precedes, keyed by the client's secret>`: any replica with the same access keys
//! verifies it, nothing is stored, and revoking a key revokes its tokens. The
//! audience is part of what is signed, so a bearer token is no session cookie and
//! a session cookie no bearer token.

use super::sigv4::Keys;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a token is good for.
pub const LIFETIME_SECS: i64 = 3600;

/// Who a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Bearer tokens of the Iceberg REST front.
    Iceberg,
    /// The web console's session cookie.
    Console,
}

impl Audience {
    fn tag(self) -> &'static str {
        match self {
            Audience::Iceberg => "lc1",
            Audience::Console => "lcui1",
        }
    }
}

fn mac(secret: &str, payload: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    m.update(payload.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// A token for `client_id` if `client_secret` is its secret.
pub fn issue(
    keys: &Keys,
    audience: Audience,
    client_id: &str,
    client_secret: &str,
    now: i64,
) -> Option<String> {
    let secret = keys.0.get(client_id)?;
    // Compared by MAC, so the time taken says nothing about the secret.
    if mac(secret, "check") != mac(client_secret, "check") {
        return None;
    }
    Some(sign(secret, audience, client_id, now + LIFETIME_SECS))
}

/// Trades a genuine token for one of another audience that expires no later (a
/// console sign-in with an Iceberg bearer token).
pub fn exchange(
    keys: &Keys,
    token: &str,
    from: Audience,
    to: Audience,
    now: i64,
) -> Option<String> {
    let (client, expiry) = check(keys, from, token, now).ok()?;
    Some(sign(keys.0.get(&client)?, to, &client, expiry))
}

fn sign(secret: &str, audience: Audience, client_id: &str, expiry: i64) -> String {
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(client_id);
    let payload = format!("{}.{id}.{expiry}", audience.tag());
    format!("{payload}.{}", mac(secret, &payload))
}

/// The client a token was issued to, if it is genuine, unexpired and for `audience`.
pub fn verify(
    keys: &Keys,
    audience: Audience,
    token: &str,
    now: i64,
) -> Result<String, &'static str> {
    check(keys, audience, token, now).map(|(client, _)| client)
}

fn check(
    keys: &Keys,
    audience: Audience,
    token: &str,
    now: i64,
) -> Result<(String, i64), &'static str> {
    let (payload, sig) = token.rsplit_once('.').ok_or("malformed token")?;
    let mut parts = payload.split('.');
    let (Some(tag), Some(id), Some(expiry), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed token");
    };
    if tag != audience.tag() {
        return Err("the token is not for this service");
    }
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
    Ok((client, expiry))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ICE: Audience = Audience::Iceberg;

    #[test]
    fn tokens_verify_only_as_issued() {
        let keys = Keys::parse("AKID:s3cret,OTHER:x").unwrap();
        assert!(issue(&keys, ICE, "AKID", "wrong", 100).is_none());
        assert!(issue(&keys, ICE, "NOPE", "s3cret", 100).is_none());
        let t = issue(&keys, ICE, "AKID", "s3cret", 100).unwrap();
        assert_eq!(verify(&keys, ICE, &t, 200), Ok("AKID".to_string()));
        assert_eq!(
            verify(&keys, ICE, &t, 100 + LIFETIME_SECS),
            Err("the token has expired")
        );
        let forged = t.replace(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("AKID"),
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("OTHER"),
        );
        assert!(verify(&keys, ICE, &forged, 200).is_err());
        let rekeyed = Keys::parse("AKID:new").unwrap();
        assert!(
            verify(&rekeyed, ICE, &t, 200).is_err(),
            "a new secret revokes old tokens"
        );
    }

    #[test]
    fn a_token_serves_only_its_audience() {
        let keys = Keys::parse("AKID:s3cret").unwrap();
        let bearer = issue(&keys, ICE, "AKID", "s3cret", 100).unwrap();
        assert_eq!(
            verify(&keys, Audience::Console, &bearer, 200),
            Err("the token is not for this service")
        );
        let cookie = exchange(&keys, &bearer, ICE, Audience::Console, 200).unwrap();
        assert_eq!(
            verify(&keys, Audience::Console, &cookie, 200),
            Ok("AKID".into())
        );
        assert!(verify(&keys, ICE, &cookie, 200).is_err());
        // The session ends when the bearer token would have.
        assert!(verify(&keys, Audience::Console, &cookie, 100 + LIFETIME_SECS).is_err());
        // Relabelling a token breaks its signature.
        let relabelled = bearer.replacen("lc1.", "lcui1.", 1);
        assert!(verify(&keys, Audience::Console, &relabelled, 200).is_err());
        assert!(exchange(&keys, "lc1.x.1.y", ICE, Audience::Console, 200).is_none());
    }
}
