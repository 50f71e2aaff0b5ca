//! TLS to the database with rustls (already in lakecat's build for its own
//! ports): the `postgres` crate leaves the handshake to a connector, and the
//! maintained rustls connectors pull in a second crypto provider, so this small
//! one is written here. The server's certificate is always verified, against
//! the roots in `sslrootcert` (PEM), including its name: libpq's
//! `verify-full`. Without `sslrootcert`, `sslmode=require` is refused rather
//! than encrypting to a server nobody checked. `sslcert` and `sslkey` give a
//! client certificate, for servers that authenticate clients by theirs
//! (`pg_hba.conf`'s `cert` method).

use lakecat_catalog_api::error::{Error, Result};
use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// A client configuration that trusts the certificates in the PEM file `roots`,
/// presenting the certificate chain and private key of `client` (PEM files) when
/// given.
pub fn client_config(
    roots: &str,
    client: Option<&(String, String)>,
) -> Result<Arc<rustls::ClientConfig>> {
    let bad = |e: String| Error::invalid(format!("store URL: sslrootcert {roots}: {e}"));
    let bytes = std::fs::read(roots).map_err(|e| bad(e.to_string()))?;
    let mut store = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        let cert = cert.map_err(|e| bad(e.to_string()))?;
        store.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    if store.is_empty() {
        return Err(bad("holds no PEM certificate".into()));
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_root_certificates(store);
    let config = match client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let bad_cert = |e: String| Error::invalid(format!("store URL: sslcert {cert}: {e}"));
            let bad_key = |e: String| Error::invalid(format!("store URL: sslkey {key}: {e}"));
            let bytes = std::fs::read(cert).map_err(|e| bad_cert(e.to_string()))?;
            let chain = CertificateDer::pem_slice_iter(&bytes)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| bad_cert(e.to_string()))?;
            if chain.is_empty() {
                return Err(bad_cert("holds no PEM certificate".into()));
            }
            let key_bytes = std::fs::read(key).map_err(|e| bad_key(e.to_string()))?;
            let private = PrivateKeyDer::from_pem_slice(&key_bytes)
                .map_err(|e| bad_key(format!("no PEM private key: {e}")))?;
            builder
                .with_client_auth_cert(chain, private)
                .map_err(|e| bad_key(format!("does not go with the certificate: {e}")))?
        }
    };
    Ok(Arc::new(config))
}

#[derive(Clone, Debug)]
pub struct Rustls(pub Arc<rustls::ClientConfig>);

pub struct Connect {
    config: Arc<rustls::ClientConfig>,
    name: ServerName<'static>,
}

pub struct Stream<S>(tokio_rustls::client::TlsStream<S>);

impl<S> MakeTlsConnect<S> for Rustls
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Stream<S>;
    type TlsConnect = Connect;
    type Error = rustls::pki_types::InvalidDnsNameError;

    fn make_tls_connect(&mut self, domain: &str) -> std::result::Result<Connect, Self::Error> {
        Ok(Connect {
            config: self.0.clone(),
            name: ServerName::try_from(domain.to_string())?,
        })
    }
}

impl<S> TlsConnect<S> for Connect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Stream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Stream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let tls = tokio_rustls::TlsConnector::from(self.config)
                .connect(self.name, stream)
                .await?;
            Ok(Stream(tls))
        })
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Stream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Stream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for Stream<S> {
    /// No channel binding: the server is authenticated by its certificate.
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}
