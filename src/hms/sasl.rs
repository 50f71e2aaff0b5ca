//! SASL on the Thrift port, as the Hive Metastore offers it: GSSAPI (Kerberos,
//! `hive.metastore.sasl.enabled`, what Spark's and Hive's clients speak with a
//! keytab) and PLAIN (the Hive Metastore 4's users and passwords; `thrift_sasl`,
//! PyHive and Hive's JDBC clients). The client opens with `START <mechanism>`,
//! the two sides trade `OK` messages until the server answers `COMPLETE`, and
//! from then on every Thrift message travels in a 4-byte length frame.
//!
//! GSSAPI follows RFC 4752 as Java's `GssKrb5Server` does: the Kerberos
//! context, then a wrapped offer of security layers and the client's wrapped
//! choice. The layers are Hadoop's `hadoop.rpc.protection` values
//! (authentication, integrity, privacy; all offered unless the operator
//! narrows them); with integrity or privacy every frame afterwards carries a
//! GSS-API wrap token (signed, or signed and encrypted), as Thrift's
//! `TSaslTransport` frames them.
//!
//! Passwords are compared in constant time; a failed or malformed negotiation
//! gets `BAD`/`ERROR` with a reason and the connection is closed.

use super::gssapi;
use std::collections::HashMap;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The statuses of Thrift's SASL negotiation messages.
pub const START: u8 = 1;
pub const OK: u8 = 2;
pub const BAD: u8 = 3;
pub const ERROR: u8 = 4;
pub const COMPLETE: u8 = 5;
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
    s.write_all(&message(status, body)).await?;
    s.flush().await
}

/// A negotiation message as Thrift's SASL transports frame it: the status, the
/// body's length in 4 bytes, the body.
pub fn message(status: u8, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(5 + body.len());
    m.push(status);
    m.extend_from_slice(&(body.len() as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// One negotiation message from a blocking stream, for clients (the tests and
/// the security benchmark).
pub fn read_message<S: std::io::Read>(s: &mut S) -> std::io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 5];
    s.read_exact(&mut head)?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]);
    if len > MAX_NEGOTIATION {
        return Err(std::io::Error::other(format!(
            "a SASL message of {len} bytes"
        )));
    }
    let mut body = vec![0u8; len as usize];
    s.read_exact(&mut body)?;
    Ok((head[0], body))
}

/// What the Thrift port asks of a client before its first call.
#[derive(Debug, Clone, Default)]
pub struct Mechanisms {
    /// PLAIN, with these users (`--thrift-users`).
    pub plain: Option<Users>,
    /// GSSAPI, with this service keytab (`--thrift-kerberos-keytab`).
    pub kerberos: Option<Kerberos>,
}

/// Kerberos on the port: the service's keytab, and the protection offered.
#[derive(Debug, Clone)]
pub struct Kerberos {
    pub keytab: gssapi::Keytab,
    pub protection: Protection,
}

/// Which SASL security layers are offered: Hadoop's `hadoop.rpc.protection`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protection(u8);

impl Protection {
    /// Any of them: the client's configuration decides.
    pub const ANY: Protection = Protection(LAYER_NONE | LAYER_INTEGRITY | LAYER_PRIVACY);

    /// `authentication`, `integrity`, `privacy`, or several, comma-separated.
    pub fn parse(list: &str) -> Result<Protection, String> {
        let mut bits = 0;
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            bits |= match name {
                "authentication" => LAYER_NONE,
                "integrity" => LAYER_INTEGRITY,
                "privacy" => LAYER_PRIVACY,
                other => {
                    return Err(format!(
                        "protection {other:?} is not one of authentication, integrity, privacy"
                    ))
                }
            };
        }
        if bits == 0 {
            return Err("no protection given (authentication, integrity, privacy)".into());
        }
        Ok(Protection(bits))
    }

    fn names(bits: u8) -> String {
        let mut v = Vec::new();
        for (bit, name) in [
            (LAYER_NONE, "authentication"),
            (LAYER_INTEGRITY, "integrity"),
            (LAYER_PRIVACY, "privacy"),
        ] {
            if bits & bit != 0 {
                v.push(name);
            }
        }
        if v.is_empty() {
            format!("{bits:#x}")
        } else {
            v.join(", ")
        }
    }
}

/// An authenticated client.
pub struct Signed {
    pub user: String,
    /// The security layer every later frame goes through, if one was chosen.
    pub layer: Option<Layer>,
}

/// Integrity or privacy on every frame after the negotiation.
pub struct Layer {
    context: gssapi::Acceptor,
    confidential: bool,
}

impl Layer {
    /// A frame's payload as the client sent it, checked (and decrypted).
    pub fn open(&self, frame: &[u8]) -> Result<Vec<u8>, String> {
        let (plain, encrypted) = self.context.unwrap(frame)?;
        if self.confidential && !encrypted {
            return Err("a frame without encryption on a privacy layer".into());
        }
        Ok(plain)
    }

    /// A reply's payload, signed (and encrypted).
    pub fn seal(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.context.wrap(message, self.confidential)
    }
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
pub async fn negotiate<S>(s: &mut S, mechs: &Mechanisms) -> Result<Signed, Refused>
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
        ("PLAIN", Some(users), _) => plain(s, users)
            .await
            .map(|user| Signed { user, layer: None }),
        ("GSSAPI", _, Some(k)) => kerberos(s, k).await,
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

/// RFC 4752's layer bits.
const LAYER_NONE: u8 = 1;
const LAYER_INTEGRITY: u8 = 2;
const LAYER_PRIVACY: u8 = 4;
/// The largest wrapped frame the server takes, as RFC 4752 lets it say (3
/// bytes); Thrift's SASL transports wrap a whole message at a time and do not
/// split by it, and neither do the frames read here (up to the port's
/// message limit).
const MAX_BUFFER: [u8; 3] = [0xff, 0xff, 0xff];

async fn kerberos<S>(s: &mut S, kerberos: &Kerberos) -> Result<Signed, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let k = kerberos.keytab.clone();
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
    let offered = kerberos.protection.0;
    let mut offer = vec![offered];
    offer.extend_from_slice(&MAX_BUFFER);
    let offer = match acceptor.wrap(&offer, false) {
        Ok(o) => o,
        Err(why) => return Err(fail(s, ERROR, why).await),
    };
    send(s, OK, &offer).await.map_err(|e| e.to_string())?;
    let choice = next(s).await?;
    let choice = match acceptor.unwrap(&choice) {
        Ok((c, _)) => c,
        Err(why) => return Err(fail(s, BAD, why).await),
    };
    let chosen = choice.first().copied().unwrap_or(0);
    if choice.len() < 4 || chosen.count_ones() != 1 || chosen & offered == 0 {
        let why = format!(
            "the client chose protection {}, which is not offered (this port offers {}: --thrift-kerberos-protection)",
            Protection::names(chosen),
            Protection::names(offered)
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
    let layer = (chosen != LAYER_NONE).then_some(Layer {
        context: acceptor,
        confidential: chosen == LAYER_PRIVACY,
    });
    Ok(Signed { user, layer })
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
        s.write_all(&message(status, body))
            .map_err(|e| e.to_string())
    }
    fn get<S: std::io::Read>(s: &mut S) -> Result<(u8, Vec<u8>), String> {
        read_message(s).map_err(|e| e.to_string())
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
    let (offer, _) = gss.unwrap(&offer)?;
    if offer.len() != 4 {
        return Err(format!("the server offered {offer:?}"));
    }
    let mut choice = vec![layer, 0xff, 0xff, 0xff];
    choice.extend_from_slice(authzid.as_bytes());
    put(s, COMPLETE, &gss.wrap(&choice, false)?)?;
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
    fn protection_is_hadoops_list() {
        assert_eq!(
            Protection::parse("authentication,integrity,privacy"),
            Ok(Protection::ANY)
        );
        assert_eq!(
            Protection::parse(" privacy "),
            Ok(Protection(LAYER_PRIVACY))
        );
        assert!(Protection::parse("secrecy").is_err());
        assert!(Protection::parse("").is_err());
        assert_eq!(
            Protection::names(LAYER_NONE | LAYER_PRIVACY),
            "authentication, privacy"
        );
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
