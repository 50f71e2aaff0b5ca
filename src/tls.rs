//! TLS for the HTTP port (rustls), from a PEM certificate chain and key that
//! can be replaced on disk without a restart: the files are checked every
//! second and a changed pair is served to new connections once it loads; a pair
//! that does not load is logged and the one in use stays.
//!
//! Handshakes run on tasks of their own, so a client that stalls one holds
//! neither the accept loop nor anyone else's connection; they share the port's
//! connection limit and idle timeout (see [`crate::net`]).

use crate::net::{IdleStream, Limits};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::rustls;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate chain and private key files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Serves the last certificate that loaded.
#[derive(Debug)]
struct Reloading {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    stamps: Mutex<(Option<SystemTime>, Option<SystemTime>)>,
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn load(files: &TlsFiles, provider: &CryptoProvider) -> Result<CertifiedKey, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read(&files.cert)?)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: not a PEM certificate chain: {e}", files.cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no certificate", files.cert.display()));
    }
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?)
        .map_err(|e| format!("{}: not a PEM private key: {e}", files.key.display()))?;
    let signer = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("{}: {e}", files.key.display()))?;
    let ck = CertifiedKey::new(certs, signer);
    ck.keys_match().map_err(|e| {
        format!(
            "{} does not match {}: {e}",
            files.key.display(),
            files.cert.display()
        )
    })?;
    Ok(ck)
}

impl Reloading {
    /// Loads the files again if either changed since the last look.
    fn refresh(&self) {
        let now = (modified(&self.files.cert), modified(&self.files.key));
        let mut stamps = self.stamps.lock().unwrap_or_else(|e| e.into_inner());
        if *stamps == now {
            return;
        }
        match load(&self.files, &self.provider) {
            Ok(ck) => {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(ck);
                *stamps = now;
                tracing::info!(
                    "TLS certificate reloaded from {}",
                    self.files.cert.display()
                );
            }
            // Half-written files load on a later look; until then the old pair serves.
            Err(e) => tracing::warn!("TLS certificate not reloaded: {e}"),
        }
    }
}

/// Accepts TCP connections and completes their handshakes off the accept loop.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<IdleStream>, SocketAddr)>,
    local: SocketAddr,
}

/// A TLS acceptor over the files, and the task that reloads them while
/// `alive` says the port is open. An error (files that do not load) stops the
/// start.
pub fn acceptor(
    files: TlsFiles,
    alive: impl Fn() -> bool + Send + 'static,
) -> Result<TlsAcceptor, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let first = load(&files, &provider)?;
    let resolver = Arc::new(Reloading {
        stamps: Mutex::new((modified(&files.cert), modified(&files.key))),
        files,
        provider: provider.clone(),
        current: RwLock::new(Arc::new(first)),
    });
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(resolver.clone());
    tokio::spawn(async move {
        while alive() {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let r = resolver.clone();
            let _ = tokio::task::spawn_blocking(move || r.refresh()).await;
        }
    });
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A handshake, given at most [`HANDSHAKE_TIMEOUT`].
pub async fn handshake(
    acceptor: &TlsAcceptor,
    io: IdleStream,
    peer: SocketAddr,
) -> Option<TlsStream<IdleStream>> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(io)).await {
        Ok(Ok(tls)) => Some(tls),
        Ok(Err(e)) => {
            tracing::debug!("TLS handshake with {peer}: {e}");
            None
        }
        Err(_) => {
            tracing::debug!("TLS handshake with {peer} timed out");
            None
        }
    }
}

impl TlsListener {
    /// Loads the files (an error here stops the start) and starts accepting.
    pub fn new(inner: TcpListener, limits: &Limits, files: TlsFiles) -> Result<Self, String> {
        let local = inner.local_addr().map_err(|e| e.to_string())?;
        let (tx, ready) = mpsc::channel(64);
        // The reloads stop once the listener is dropped (the server shut down).
        let ticks = tx.clone();
        let acceptor = acceptor(files, move || !ticks.is_closed())?;
        let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
        let idle = limits.idle_timeout;
        tokio::spawn(async move {
            loop {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return;
                };
                let (stream, addr) = match inner.accept().await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!("accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let _ = stream.set_nodelay(true);
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    let io = IdleStream::new(stream, idle, Some(permit));
                    if let Some(tls) = handshake(&acceptor, io, addr).await {
                        let _ = tx.send((tls, addr)).await;
                    }
                });
            }
        });
        Ok(TlsListener { ready, local })
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, TlsListener>>
    for crate::net::InFlight
{
    fn connect_info(s: axum::serve::IncomingStream<'_, TlsListener>) -> Self {
        s.io().get_ref().0.in_flight().with_peer(*s.remote_addr())
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<IdleStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
