//! Confirming SNS subscriptions without letting a caller aim the server at
//! anything it can reach.
//!
//! SNS confirms an HTTP subscription by posting a `SubscribeURL` that the
//! subscriber must GET. Anyone who can post to `/v1/events/s3` can put any URL
//! there, so lakecat visits one only when its host is on the operator's list
//! (`--sns-confirm-hosts`, e.g. `sns.eu-west-1.amazonaws.com` or
//! `*.amazonaws.com`); otherwise it logs the URL for the operator to visit. A
//! visit follows no redirect (one could lead anywhere), ends within
//! [`CONFIRM_TIMEOUT`], and at most [`MAX_IN_FLIGHT`] run at once, so slow or
//! silent hosts cannot pin the threads that run catalog writes.
//!
//! With `--sns-certificates`, every message must also carry a valid SNS signature
//! ([`Signatures`]): the operator pins the signing certificates (downloaded once from
//! the `SigningCertURL` SNS names), so lakecat never fetches a certificate a caller
//! points it at, and a forged body cannot confirm a subscription or queue events.

use base64::Engine;
use lakecat_catalog_api::Error;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(5);
pub const MAX_IN_FLIGHT: usize = 4;

/// The hosts whose `SubscribeURL`s lakecat visits.
#[derive(Debug, Default)]
pub struct ConfirmHosts {
    /// `host`, `host:port` or `*.suffix`, lower case.
    patterns: Vec<String>,
    in_flight: AtomicUsize,
}

/// What became of a confirmation.
#[derive(Debug, PartialEq, Eq)]
pub enum Confirmation {
    Confirmed,
    /// Not visited: the host is not on the list.
    NotAllowed {
        host: String,
    },
}

impl ConfirmHosts {
    pub fn new(patterns: &[String]) -> ConfirmHosts {
        ConfirmHosts {
            patterns: patterns
                .iter()
                .map(|p| p.trim().to_ascii_lowercase())
                .filter(|p| !p.is_empty())
                .collect(),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn allows(&self, host: &str, port: Option<u16>) -> bool {
        let with_port = port.map(|p| format!("{host}:{p}"));
        self.patterns.iter().any(|p| match p.strip_prefix("*.") {
            Some(suffix) => host.ends_with(&format!(".{suffix}")),
            None => *p == host || Some(p) == with_port.as_ref(),
        })
    }

    /// Visits `url` if its host is allowed; blocking, at most [`CONFIRM_TIMEOUT`].
    pub fn confirm(&self, url: &str) -> Result<Confirmation, Error> {
        let uri: ureq::http::Uri = url
            .parse()
            .map_err(|e| Error::invalid(format!("SubscribeURL {url:?} is not a URL: {e}")))?;
        if !matches!(uri.scheme_str(), Some("https" | "http")) {
            return Err(Error::invalid(format!(
                "SubscribeURL {url:?} is not an http(s) URL"
            )));
        }
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        if !self.allows(&host, uri.port_u16()) {
            return Ok(Confirmation::NotAllowed { host });
        }
        if self.in_flight.fetch_add(1, Ordering::SeqCst) >= MAX_IN_FLIGHT {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::limit(format!(
                "{MAX_IN_FLIGHT} SNS confirmations are already under way; try again"
            )));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(CONFIRM_TIMEOUT))
            .max_redirects(0)
            .build()
            .into();
        let r = agent.get(url).call();
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        match r {
            Ok(resp) if resp.status().is_success() => Ok(Confirmation::Confirmed),
            Ok(resp) => Err(Error::invalid(format!(
                "confirming the SNS subscription at {url} failed: {}",
                resp.status()
            ))),
            Err(e) => Err(Error::invalid(format!(
                "confirming the SNS subscription at {url} failed: {e}"
            ))),
        }
    }
}

/// The SNS signing certificates and topics an operator trusts.
#[derive(Debug, Default)]
pub struct Signatures {
    /// DER certificates; empty means signatures are not checked.
    certificates: Vec<(String, Vec<u8>)>,
    /// Topic ARNs accepted; empty means any topic.
    topics: Vec<String>,
}

impl Signatures {
    /// Reads PEM certificate files (each may hold several certificates).
    pub fn load(files: &[PathBuf], topics: &[String]) -> Result<Signatures, String> {
        use tokio_rustls::rustls::pki_types::{pem::PemObject, CertificateDer};
        let mut certificates = Vec::new();
        for f in files {
            let pem = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
            let before = certificates.len();
            for (i, c) in CertificateDer::pem_slice_iter(&pem).enumerate() {
                let der =
                    c.map_err(|e| format!("{}: certificate {}: {e:?}", f.display(), i + 1))?;
                webpki::EndEntityCert::try_from(&der).map_err(|e| {
                    format!("{}: certificate {} is not usable: {e}", f.display(), i + 1)
                })?;
                certificates.push((format!("{}#{}", f.display(), i + 1), der.to_vec()));
            }
            if certificates.len() == before {
                return Err(format!("{}: no PEM certificate in it", f.display()));
            }
        }
        Ok(Signatures {
            certificates,
            topics: topics.iter().map(|t| t.trim().to_string()).collect(),
        })
    }

    /// Whether messages must be signed.
    pub fn required(&self) -> bool {
        !self.certificates.is_empty()
    }

    /// Checks an SNS message (`Type` is set) against the trusted certificates and
    /// topics; a body that is not an SNS message is refused when signatures are
    /// required, since it cannot carry one.
    pub fn check(&self, msg: &Value) -> Result<(), Error> {
        if !self.topics.is_empty() {
            let topic = msg.get("TopicArn").and_then(Value::as_str).unwrap_or("");
            if !self.topics.iter().any(|t| t == topic) {
                return Err(Error::access_denied(format!(
                    "SNS topic {topic:?} is not in --sns-topics"
                )));
            }
        }
        if !self.required() {
            return Ok(());
        }
        if msg.get("Type").is_none() {
            return Err(Error::access_denied(
                "only signed SNS messages are accepted here (--sns-certificates is set)",
            ));
        }
        let text = string_to_sign(msg)?;
        let signature = msg
            .get("Signature")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::access_denied("the SNS message has no Signature"))?;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signature)
            .map_err(|e| Error::access_denied(format!("the SNS Signature is not base64: {e}")))?;
        let version = msg.get("SignatureVersion").and_then(Value::as_str);
        let algorithm: &dyn SignatureVerificationAlgorithm = match version {
            Some("1") => &RSA_PKCS1_SHA1,
            Some("2") => webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
            other => {
                return Err(Error::access_denied(format!(
                    "SNS SignatureVersion {other:?} is not 1 or 2"
                )))
            }
        };
        let verified = self.certificates.iter().any(|(_, der)| {
            let der = tokio_rustls::rustls::pki_types::CertificateDer::from(der.as_slice());
            webpki::EndEntityCert::try_from(&der).is_ok_and(|cert| {
                cert.verify_signature(algorithm, text.as_bytes(), &signature)
                    .is_ok()
            })
        });
        if verified {
            Ok(())
        } else {
            Err(Error::access_denied(
                "the SNS message's signature does not verify with any certificate in --sns-certificates",
            ))
        }
    }
}

/// The text SNS signs: the message's fields, each as `Name\nvalue\n`, in this
/// order, skipping `Subject` when absent (AWS's "Verifying the signatures of Amazon
/// SNS messages").
fn string_to_sign(msg: &Value) -> Result<String, Error> {
    let kind = msg.get("Type").and_then(Value::as_str).unwrap_or_default();
    let fields: &[&str] = match kind {
        "Notification" => &[
            "Message",
            "MessageId",
            "Subject",
            "Timestamp",
            "TopicArn",
            "Type",
        ],
        "SubscriptionConfirmation" | "UnsubscribeConfirmation" => &[
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type",
        ],
        other => {
            return Err(Error::access_denied(format!(
                "SNS message Type {other:?} is not one lakecat verifies"
            )))
        }
    };
    let mut text = String::new();
    for f in fields {
        match msg.get(*f).and_then(Value::as_str) {
            Some(v) => {
                text.push_str(f);
                text.push('\n');
                text.push_str(v);
                text.push('\n');
            }
            None if *f == "Subject" => {}
            None => {
                return Err(Error::access_denied(format!(
                    "the SNS {kind} has no {f}, so its signature cannot be checked"
                )))
            }
        }
    }
    Ok(text)
}

use tokio_rustls::rustls::pki_types::{
    alg_id, AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm,
};

/// SHA1withRSA, which SNS's SignatureVersion 1 (the default for a topic) uses and
/// webpki no longer offers.
#[derive(Debug)]
struct RsaPkcs1Sha1;

static RSA_PKCS1_SHA1: RsaPkcs1Sha1 = RsaPkcs1Sha1;

impl SignatureVerificationAlgorithm for RsaPkcs1Sha1 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        use aws_lc_rs::signature::{
            UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        };
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY, public_key)
            .verify(message, signature)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::RSA_ENCRYPTION
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        // sha1WithRSAEncryption (1.2.840.113549.1.1.5) with NULL parameters, as webpki
        // spells identifiers (without the outer SEQUENCE).
        AlgorithmIdentifier::from_slice(&[
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_hosts_are_visited() {
        let h = ConfirmHosts::new(&["*.amazonaws.com".into(), "127.0.0.1:9".into()]);
        assert!(h.allows("sns.eu-west-1.amazonaws.com", None));
        assert!(!h.allows("amazonaws.com.evil.example", None));
        assert!(!h.allows("evilamazonaws.com", None));
        assert!(h.allows("127.0.0.1", Some(9)));
        assert!(!h.allows("127.0.0.1", Some(80)));
        assert!(!h.allows("127.0.0.1", None));
        let none = ConfirmHosts::new(&[]);
        assert_eq!(
            none.confirm("http://127.0.0.1:1/internal/admin?delete=all")
                .unwrap(),
            Confirmation::NotAllowed {
                host: "127.0.0.1".into()
            }
        );
        assert!(none.confirm("file:///etc/passwd").is_err());
    }
}
