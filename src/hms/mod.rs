//! The Hive Metastore Thrift front: `ThriftHiveMetastore` (with fb303) over the
//! binary protocol, unframed or framed (told apart by the first bytes of a
//! connection), on a port of its own.
//!
//! Connections are tokio tasks, so thousands of idle clients cost no threads; a call
//! runs on the blocking pool (store calls end in an fsync). A malformed message
//! closes its connection only; an unknown method is answered with
//! TApplicationException UNKNOWN_METHOD and the connection stays usable (the
//! arguments were decoded generically, so the stream is still in step).
//!
//! - [`thrift`]: the protocol, decoded into a generic value tree;
//! - [`convert`]: the catalog model as Hive's structs;
//! - [`calls`]: the calls served and their exception slots;
//! - [`locks`]: the lock table behind `lock`/`check_lock`/`unlock`;
//! - [`stats`]: column statistics as Hive's `ColumnStatisticsObj`.

pub mod calls;
mod catalogs;
mod context;
pub mod convert;
mod databases;
mod functions;
pub mod gssapi;
mod locking;
pub mod locks;
mod notifications;
mod partitions;
pub mod sasl;
mod session;
mod statistics;
pub mod stats;
mod tables;
pub mod thrift;
mod transactions;

pub use context::ensure_default;

use lakecat_catalog_api::store::CatalogStore;
use std::sync::Arc;
use std::time::Duration;
use thrift::{Reader, ThriftError};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpListener;

/// The largest message accepted (a batch of many partitions fits easily).
const MAX_MESSAGE: usize = 256 << 20;
/// Hive's default `hive.txn.timeout`.
const LOCK_TIMEOUT: Duration = Duration::from_secs(300);

/// How the Thrift port is served.
pub struct Options {
    /// The warehouse, and which folders calls may create, move and delete.
    pub folders: Arc<crate::services::folders::Folders>,
    pub limits: crate::net::Limits,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// The SASL mechanisms the port requires, if any.
    pub sasl: Option<Arc<sasl::Mechanisms>>,
    pub audit: crate::services::audit::Audit,
}

/// Accepts connections until `shutdown` turns true.
pub async fn serve(
    store: Arc<dyn CatalogStore>,
    listener: TcpListener,
    opts: Options,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let Options {
        folders,
        limits,
        tls,
        sasl,
        audit,
    } = opts;
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let ctx = Arc::new(context::Ctx {
        locks: Arc::new(locks::Locks::new(store.clone(), LOCK_TIMEOUT)),
        store,
        folders,
        audit,
        started: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    });
    // Hive clients expect a `default` database; it is made when the first one
    // connects, so a catalog only ever used over REST or Glue does not get one.
    let mut default_made = false;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    // Over the cap, a connection is closed at once: Hive's clients
                    // retry, and holding it would spend a descriptor on nothing.
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        tracing::warn!(
                            "thrift connection from {peer} closed: {} connections are open (--max-connections)",
                            limits.max_connections
                        );
                        drop(stream);
                        continue;
                    };
                    if !default_made {
                        let (store, dir) = (ctx.store.clone(), ctx.folders.warehouse().to_path_buf());
                        match tokio::task::spawn_blocking(move || {
                            crate::services::permissions::run_as(
                                crate::services::permissions::Actor::System,
                                || ensure_default(&*store, &dir),
                            )
                        }).await {
                            Ok(Ok(())) => default_made = true,
                            Ok(Err(e)) => tracing::warn!("cannot create the default database: {e}"),
                            Err(e) => tracing::warn!("cannot create the default database: {e}"),
                        }
                    }
                    let _ = stream.set_nodelay(true);
                    let ctx = ctx.clone();
                    let stream = crate::net::IdleStream::new(stream, limits.idle_timeout, Some(permit));
                    let (tls, sasl) = (tls.clone(), sasl.clone());
                    tokio::spawn(async move {
                        let r = match tls {
                            Some(acceptor) => match crate::tls::handshake(&acceptor, stream, peer).await {
                                Some(s) => authenticated(ctx, s, sasl, peer).await,
                                None => return,
                            },
                            None => authenticated(ctx, stream, sasl, peer).await,
                        };
                        if let Err(e) = r {
                            tracing::debug!("thrift connection from {peer}: {e}");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!("thrift accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => return,
        }
    }
}

/// Serves a connection once its client has authenticated, where the port
/// requires it.
async fn authenticated<S>(
    ctx: Arc<context::Ctx>,
    mut stream: S,
    mechanisms: Option<Arc<sasl::Mechanisms>>,
    peer: std::net::SocketAddr,
) -> Result<(), ThriftError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let mut session = Session {
        peer,
        user: None,
        claimed: None,
        layer: None,
    };
    if let Some(mechanisms) = mechanisms {
        match sasl::negotiate(&mut stream, &mechanisms).await {
            Ok(sasl::Signed { user, layer }) => {
                tracing::debug!("thrift connection from {peer} authenticated as {user}");
                session.user = Some(user);
                session.layer = layer;
            }
            Err(sasl::Refused { mechanism, why }) => {
                tracing::info!("thrift connection from {peer} refused: {why}");
                let mut e = crate::services::audit::Entry::new(
                    "thrift",
                    format!("SASL {mechanism}"),
                    "unknown",
                );
                e.source = peer.to_string();
                e.outcome = "refused".into();
                e.detail = Some(why);
                ctx.audit.record(e);
                return Ok(());
            }
        }
    }
    connection(ctx, stream, session).await
}

/// Who is on a connection, for the audit log.
struct Session {
    peer: std::net::SocketAddr,
    /// The SASL user, verified.
    user: Option<String>,
    /// The name a client gave in `set_ugi`, unverified.
    claimed: Option<String>,
    /// SASL's integrity or privacy on every frame, when the client chose it.
    layer: Option<sasl::Layer>,
}

impl Session {
    fn principal(&self) -> String {
        match (&self.user, &self.claimed) {
            (Some(u), _) => u.clone(),
            (None, Some(c)) => format!("{c} (unverified)"),
            (None, None) => "anonymous".into(),
        }
    }
}

async fn connection<S>(
    ctx: Arc<context::Ctx>,
    stream: S,
    mut session: Session,
) -> Result<(), ThriftError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (rd, wr) = tokio::io::split(stream);
    let mut rd = BufReader::with_capacity(64 * 1024, rd);
    let mut wr = BufWriter::with_capacity(64 * 1024, wr);
    // After SASL every message is framed, whatever its first byte.
    let mut framed: Option<bool> = session.user.is_some().then_some(true);
    loop {
        let first = match rd.read_u8().await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        // Unframed strict messages start with 0x80; a frame starts with its length.
        let is_framed = *framed.get_or_insert(first != 0x80);
        let msg = if is_framed {
            let mut len = [first, 0, 0, 0];
            rd.read_exact(&mut len[1..]).await?;
            let len = u32::from_be_bytes(len) as usize;
            if len > MAX_MESSAGE {
                return Err(ThriftError::Malformed(format!(
                    "a frame of {len} bytes is larger than {MAX_MESSAGE}"
                )));
            }
            // Read what arrives rather than allocating what the length claims: a
            // client that announces 250 MiB and sends nothing costs nothing.
            let mut frame = Vec::with_capacity(len.min(1 << 20));
            (&mut rd).take(len as u64).read_to_end(&mut frame).await?;
            if frame.len() < len {
                return Err(ThriftError::Malformed(format!(
                    "the connection ended {} bytes into a frame of {len}",
                    frame.len()
                )));
            }
            if let Some(layer) = &session.layer {
                frame = layer.open(&frame).map_err(ThriftError::Malformed)?;
            }
            let mut body: &[u8] = &frame;
            let first = body
                .first()
                .copied()
                .ok_or_else(|| ThriftError::Malformed("an empty frame".into()))?;
            body = &body[1..];
            Reader::new(&mut body, len).message(first).await?
        } else {
            Reader::new(&mut rd, MAX_MESSAGE).message(first).await?
        };
        let thrift::Message {
            name,
            kind,
            seq,
            args,
        } = msg;
        if kind != thrift::CALL && kind != thrift::ONEWAY {
            return Err(ThriftError::Malformed(format!(
                "message type {kind} where a call was expected"
            )));
        }
        if name == "set_ugi" {
            session.claimed = args.str(1).map(|u| u.chars().take(128).collect());
        }
        let c = ctx.clone();
        let method = name.clone();
        // Permissions follow the SASL user; a set_ugi name is only a claim.
        let actor = crate::services::permissions::Actor::Principal(
            session.user.clone().unwrap_or_else(|| "anonymous".into()),
        );
        let answer = tokio::task::spawn_blocking(move || {
            crate::services::permissions::run_as(actor, || calls::call(&c, &method, &args))
        })
        .await
        .unwrap_or_else(|e| {
            context::Answer::Application(format!("internal error: {e}"), thrift::INTERNAL_ERROR)
        });
        if calls::is_write(&name) {
            let mut e =
                crate::services::audit::Entry::new("thrift", name.clone(), session.principal());
            e.source = session.peer.to_string();
            (e.outcome, e.detail) = calls::audit_outcome(&answer);
            ctx.audit.record(e);
        }
        let bytes = match answer {
            context::Answer::None => continue,
            _ if kind == thrift::ONEWAY => continue,
            context::Answer::Reply(result) => {
                thrift::write_message(&name, thrift::REPLY, seq, &result)
            }
            context::Answer::Application(message, t) => {
                if t == thrift::UNKNOWN_METHOD {
                    tracing::debug!("thrift: unknown method {name}");
                }
                thrift::write_message(
                    &name,
                    thrift::EXCEPTION,
                    seq,
                    &thrift::application_exception(&message, t),
                )
            }
        };
        let bytes = match &session.layer {
            Some(layer) => layer.seal(&bytes).map_err(ThriftError::Malformed)?,
            None => bytes,
        };
        if is_framed {
            wr.write_all(&(bytes.len() as u32).to_be_bytes()).await?;
        }
        wr.write_all(&bytes).await?;
        wr.flush().await?;
    }
}
