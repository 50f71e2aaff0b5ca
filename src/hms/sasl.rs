//! SASL PLAIN on the Thrift port, as the Hive Metastore 4 offers it (and as
//! `thrift_sasl`, PyHive and Hive's JDBC clients speak it): the client opens with
//! `START "PLAIN"`, sends `authzid \0 user \0 password`, and once the server
//! answers `COMPLETE` every Thrift message travels in a 4-byte length frame.
//! Passwords are compared in constant time; a failed or malformed negotiation
//! gets `BAD`/`ERROR` with a reason and the connection is closed.

use std::collections::HashMap;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

const START: u8 = 1;
const OK: u8 = 2;
const BAD: u8 = 3;
const ERROR: u8 = 4;
const COMPLETE: u8 = 5;
/// Negotiation messages are tiny; anything larger is not a SASL client.
const MAX_NEGOTIATION: u32 = 64 << 10;

/// The users `--thrift-users` lets in, by name.
#[derive(Debug, Clone, Default)]
pub struct Users(HashMap<String, String>);

impl Users {
    /// `USER:PASSWORD,USER2:PASSWORD2`.
    pub fn parse(list: &str) -> Result<Users, String> {
        let mut m = HashMap::new();
        for pair in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (u, p) = pair
                .split_once(':')
                .ok_or_else(|| format!("thrift user {pair:?} is not USER:PASSWORD"))?;
            if u.is_empty() || p.is_empty() {
                return Err(format!(
                    "thrift user {pair:?} has an empty name or password"
                ));
            }
            m.insert(u.to_string(), p.to_string());
        }
        if m.is_empty() {
            return Err("no thrift users given".into());
        }
        Ok(Users(m))
    }

    fn check(&self, user: &str, password: &str) -> bool {
        match self.0.get(user) {
            Some(p) => {
                let (a, b) = (p.as_bytes(), password.as_bytes());
                a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
            }
            None => false,
        }
    }
}

async fn read_msg<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<(u8, Vec<u8>)> {
    let status = s.read_u8().await?;
    let len = s.read_u32().await?;
    if len > MAX_NEGOTIATION {
        return Err(std::io::Error::other(format!(
            "a SASL message of {len} bytes"
        )));
    }
    let mut body = vec![0u8; len as usize];
    s.read_exact(&mut body).await?;
    Ok((status, body))
}

async fn send<S: AsyncWrite + Unpin>(s: &mut S, status: u8, body: &[u8]) -> std::io::Result<()> {
    s.write_u8(status).await?;
    s.write_u32(body.len() as u32).await?;
    s.write_all(body).await?;
    s.flush().await
}

/// Runs the negotiation; the authenticated user, or why not (already told to
/// the client).
pub async fn negotiate<S>(s: &mut S, users: &Users) -> Result<String, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let refuse = |why: String| why;
    let (status, mech) = read_msg(s).await.map_err(|e| e.to_string())?;
    if status != START {
        // Not a SASL client: a plain Thrift message starts 0x80 or a frame length.
        return Err(refuse(
            "the client did not start a SASL negotiation (this port requires SASL PLAIN)".into(),
        ));
    }
    if mech != b"PLAIN" {
        let why = format!(
            "SASL mechanism {:?} is not offered (only PLAIN)",
            String::from_utf8_lossy(&mech)
        );
        let _ = send(s, BAD, why.as_bytes()).await;
        return Err(why);
    }
    let (status, response) = read_msg(s).await.map_err(|e| e.to_string())?;
    if !matches!(status, OK | COMPLETE) {
        return Err(format!("unexpected SASL status {status}"));
    }
    let mut parts = response.split(|&b| b == 0);
    let (_authzid, user, password) = match (parts.next(), parts.next(), parts.next(), parts.next())
    {
        (Some(z), Some(u), Some(p), None) => (z, u, p),
        _ => {
            let why = "a malformed PLAIN response (authzid \\0 user \\0 password)".to_string();
            let _ = send(s, ERROR, why.as_bytes()).await;
            return Err(why);
        }
    };
    let user = String::from_utf8_lossy(user).into_owned();
    if !users.check(&user, &String::from_utf8_lossy(password)) {
        let why = format!("authentication failed for user {user:?}");
        let _ = send(s, BAD, why.as_bytes()).await;
        return Err(why);
    }
    send(s, COMPLETE, b"").await.map_err(|e| e.to_string())?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_and_passwords() {
        let u = Users::parse("ann:s3cret, bob:pw").unwrap();
        assert!(u.check("ann", "s3cret"));
        assert!(!u.check("ann", "s3cre"));
        assert!(!u.check("carl", "pw"));
        assert!(Users::parse("ann").is_err());
        assert!(Users::parse(":x").is_err());
        assert!(Users::parse("").is_err());
    }
}
