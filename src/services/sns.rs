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

use lakecat_catalog_api::Error;
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
