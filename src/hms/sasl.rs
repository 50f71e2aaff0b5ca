//! SASL on the Thrift port, as the Hive Metastore offers it: GSSAPI (Kerberos,
//! `hive.metastore.sasl.enabled`, what Spark's and Hive's clients speak with a
//! keytab) and PLAIN (the Hive Metastore 4's users and passwords; `thrift_sasl`,
//! PyHive and Hive's JDBC clients). The client opens with `START <mechanism>`,
//! the two sides trade `OK` messages until the server answers `COMPLETE`, and
//! from then on every Thrift message travels in a 4-byte length frame.
//!
//! GSSAPI follows RFC 4752 as Java's `GssKrb5Server` does: the Kerberos
//! context, then a wrapped offer of security layers and the client's wrapped
//! choice. Only "no security layer" is offered (Hive's default
//! `hadoop.rpc.protection=authentication`); integrity and privacy come from
//! TLS on the same port instead, so a client that insists on `auth-conf` is
//! refused by its own SASL library with "no common protection layer".
//!
//! Passwords are compared in constant time; a failed or malformed negotiation
//! gets `BAD`/`ERROR` with a reason and the connection is closed.

use super::gssapi;
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

/// What the Thrift port asks of a client before its first call.
#[derive(Debug, Clone, Default)]
pub struct Mechanisms {
    /// PLAIN, with these users (`--thrift-users`).
    pub plain: Option<Users>,
    /// GSSAPI, with this service keytab (`--thrift-kerberos-keytab`).
    pub kerberos: Option<gssapi::Keytab>,
}

impl Mechanisms {
    pub fn any(&self) -> bool {
        self.plain.is_some() || self.kerberos.is_some()
    }

    fn offered(&self) -> String {
        let mut names = Vec::new();
        if self.kerberos.is_some() {
            names.push("GSSAPI");
        }
        if self.plain.is_some() {
            names.push("PLAIN");
        }
        names.join(" and ")
    }
}

/// A negotiation that did not let the client in; the client has been told.
#[derive(Debug)]
pub struct Refused {
    /// The mechanism the client asked for, for the audit log.
    pub mechanism: String,
    pub why: String,
}

/// Runs the negotiation: the authenticated user, or why not.
pub async fn negotiate<S>(s: &mut S, mechs: &Mechanisms) -> Result<String, Refused>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let refused = |mechanism: &str, why: String| Refused {
        mechanism: mechanism.to_string(),
        why,
    };
    let (status, mech) = read_msg(s)
        .await
        .map_err(|e| refused("none", e.to_string()))?;
    if status != START {
        // Not a SASL client: a plain Thrift message starts 0x80 or a frame length.
        return Err(refused(
            "none",
            format!(
                "the client did not start a SASL negotiation (this port requires SASL {})",
                mechs.offered()
            ),
        ));
    }
    let mech = String::from_utf8_lossy(&mech).into_owned();
    let outcome = match (mech.as_str(), &mechs.plain, &mechs.kerberos) {
        ("PLAIN", Some(users), _) => plain(s, users).await,
        ("GSSAPI", _, Some(keytab)) => kerberos(s, keytab).await,
        _ => {
            let why = format!(
                "SASL mechanism {mech:?} is not offered (only {})",
                mechs.offered()
            );
            let _ = send(s, BAD, why.as_bytes()).await;
            Err(why)
        }
    };
    outcome.map_err(|why| refused(&mech, why))
}

/// A client's message during a negotiation, which must not be `BAD` or `ERROR`.
async fn next<S: AsyncRead + Unpin>(s: &mut S) -> Result<Vec<u8>, String> {
    let (status, body) = read_msg(s).await.map_err(|e| e.to_string())?;
    match status {
        OK | COMPLETE => Ok(body),
        BAD | ERROR => Err(format!(
            "the client gave up: {}",
            String::from_utf8_lossy(&body)
        )),
        _ => Err(format!("unexpected SASL status {status}")),
    }
}

/// Tells the client why, then returns it.
async fn fail<S: AsyncWrite + Unpin>(s: &mut S, status: u8, why: String) -> String {
    let _ = send(s, status, why.as_bytes()).await;
    why
}

async fn plain<S>(s: &mut S, users: &Users) -> Result<String, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let response = next(s).await?;
    let mut parts = response.split(|&b| b == 0);
    let (_authzid, user, password) = match (parts.next(), parts.next(), parts.next(), parts.next())
    {
        (Some(z), Some(u), Some(p), None) => (z, u, p),
        _ => {
            let why = "a malformed PLAIN response (authzid \\0 user \\0 password)".to_string();
            return Err(fail(s, ERROR, why).await);
        }
    };
    let user = String::from_utf8_lossy(user).into_owned();
    if !users.check(&user, &String::from_utf8_lossy(password)) {
        return Err(fail(s, BAD, format!("authentication failed for user {user:?}")).await);
    }
    send(s, COMPLETE, b"").await.map_err(|e| e.to_string())?;
    Ok(user)
}

/// "No security layer", the only one offered.
const LAYER_NONE: u8 = 1;
/// The largest wrapped message the server would take, were a layer chosen
/// (Java's default, which it sends whatever the layers).
const MAX_BUFFER: [u8; 3] = [0x01, 0x00, 0x00];

async fn kerberos<S>(s: &mut S, keytab: &gssapi::Keytab) -> Result<String, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let k = keytab.clone();
    let mut acceptor = match blocking(move || k.accept()).await {
        Ok(a) => a,
        Err(why) => return Err(fail(s, ERROR, why).await),
    };
    // The Kerberos exchange: the client's AP-REQ, the server's AP-REP when the
    // client asked for mutual authentication.
    loop {
        let token = next(s).await?;
        let (a, step) = blocking(move || {
            let step = acceptor.step(&token);
            Ok((acceptor, step))
        })
        .await?;
        acceptor = a;
        match step {
            Ok(gssapi::Step::Continue(t)) => send(s, OK, &t).await.map_err(|e| e.to_string())?,
            Ok(gssapi::Step::Done(t)) => {
                send(s, OK, &t).await.map_err(|e| e.to_string())?;
                break;
            }
            Err(why) => return Err(fail(s, BAD, why).await),
        }
    }
    // RFC 4752: the client answers the last token with nothing, the server
    // offers its layers, the client chooses one and may name whom it acts for.
    if !next(s).await?.is_empty() {
        return Err(fail(
            s,
            ERROR,
            "the final handshake step should contain no data".into(),
        )
        .await);
    }
    let mut offer = vec![LAYER_NONE];
    offer.extend_from_slice(&MAX_BUFFER);
    let offer = match acceptor.wrap(&offer) {
        Ok(o) => o,
        Err(why) => return Err(fail(s, ERROR, why).await),
    };
    send(s, OK, &offer).await.map_err(|e| e.to_string())?;
    let choice = next(s).await?;
    let choice = match acceptor.unwrap(&choice) {
        Ok(c) => c,
        Err(why) => return Err(fail(s, BAD, why).await),
    };
    if choice.len() < 4 || choice[0] != LAYER_NONE {
        let why = format!(
            "the client chose security layer {:#x}; only 0x1 (none) is offered: use TLS on this port for privacy",
            choice.first().copied().unwrap_or(0)
        );
        return Err(fail(s, BAD, why).await);
    }
    let (client, service) = match acceptor.names() {
        Ok(n) => n,
        Err(why) => return Err(fail(s, ERROR, why).await),
    };
    let user = short_name(&client, &service);
    let authzid = String::from_utf8_lossy(&choice[4..]).into_owned();
    if !authzid.is_empty() && authzid != client && authzid != user {
        let why = format!("{client} may not act as {authzid:?}");
        return Err(fail(s, BAD, why).await);
    }
    send(s, COMPLETE, b"").await.map_err(|e| e.to_string())?;
    Ok(user)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("internal error: {e}"))?
}

/// The name permissions and the audit log know a Kerberos client by, after
/// Hadoop's `DEFAULT` `auth_to_local` rule: a principal of the service's own
/// realm is its first component (`alice@R` and `alice/admin@R` are `alice`);
/// one of another realm keeps its full name, so it matches no local user's
/// grants by accident.
pub fn short_name(client: &str, service: &str) -> String {
    let service_realm = service.rsplit_once('@').map(|(_, r)| r);
    match client.rsplit_once('@') {
        Some((name, realm)) if Some(realm) == service_realm => {
            name.split('/').next().unwrap_or(name).to_string()
        }
        _ => client.to_string(),
    }
}

/// The client's half of SASL GSSAPI, over a blocking stream: what Hive's and
/// Spark's clients do, for the tests and the security benchmark. `layer` and
/// `authzid` are the client's choice at the last step (1 and "" are what a
/// Hive client sends). The stream carries 4-byte Thrift frames afterwards.
pub fn gssapi_sign_in<S: std::io::Read + std::io::Write>(
    s: &mut S,
    gss: &mut gssapi::Initiator,
    layer: u8,
    authzid: &str,
) -> Result<(), String> {
    fn put<S: std::io::Write>(s: &mut S, status: u8, body: &[u8]) -> Result<(), String> {
        let mut m = vec![status];
        m.extend_from_slice(&(body.len() as u32).to_be_bytes());
        m.extend_from_slice(body);
        s.write_all(&m).map_err(|e| e.to_string())
    }
    fn get<S: std::io::Read>(s: &mut S) -> Result<(u8, Vec<u8>), String> {
        let mut head = [0u8; 5];
        s.read_exact(&mut head).map_err(|e| e.to_string())?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]);
        if len > MAX_NEGOTIATION {
            return Err(format!("a SASL message of {len} bytes"));
        }
        let mut body = vec![0u8; len as usize];
        s.read_exact(&mut body).map_err(|e| e.to_string())?;
        Ok((head[0], body))
    }
    let (gssapi::Step::Continue(first) | gssapi::Step::Done(first)) = gss.step(None)?;
    put(s, START, b"GSSAPI")?;
    put(s, OK, &first)?;
    let mut established = false;
    let offer = loop {
        let (status, body) = get(s)?;
        if status != OK {
            return Err(String::from_utf8_lossy(&body).into_owned());
        }
        if established {
            break body;
        }
        let token = match gss.step(Some(&body))? {
            gssapi::Step::Continue(t) => t,
            gssapi::Step::Done(t) => {
                established = true;
                t
            }
        };
        put(s, OK, &token)?;
    };
    let offer = gss.unwrap(&offer)?;
    if offer.len() != 4 {
        return Err(format!("the server offered {offer:?}"));
    }
    let mut choice = vec![layer, 0, 0, 0];
    choice.extend_from_slice(authzid.as_bytes());
    put(s, COMPLETE, &gss.wrap(&choice)?)?;
    match get(s)? {
        (COMPLETE, _) => Ok(()),
        (_, why) => Err(String::from_utf8_lossy(&why).into_owned()),
    }
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

    #[test]
    fn kerberos_names_of_the_service_realm_are_short() {
        let svc = "hive/localhost@LAKECAT.TEST";
        assert_eq!(short_name("alice@LAKECAT.TEST", svc), "alice");
        assert_eq!(short_name("alice/admin@LAKECAT.TEST", svc), "alice");
        assert_eq!(short_name("alice@OTHER.TEST", svc), "alice@OTHER.TEST");
        assert_eq!(short_name("alice", svc), "alice");
    }
}
