//! Server certificates as HAProxy 2.6 checks them on `ssl` servers.
//!
//! - `verify none`: anything is accepted (the handshake's own signatures
//!   are still checked, so the session is at least bound to the key the
//!   certificate names);
//! - `verify required`: the chain must lead to a `ca-file` root (and pass
//!   the `crl-file` lists), then the name is checked against the SNI sent
//!   if any, else against `verifyhost` if set, else not at all: 2.6 takes
//!   the SNI over `verifyhost` (checked with the binary: `sni` giving
//!   `a.test` with `verifyhost b.test` connects to an `a.test`
//!   certificate, and fails against the other way round).
//!
//! A name matches a certificate's SAN DNS names or, failing those, any of
//! its subject CNs (2.6 accepts `verifyhost a.test` for a certificate with
//! `CN=a.test` and SANs `c.test`), ignoring case. A `*` may stand for
//! part of the leftmost label only, never for a dot, and the pattern must
//! have at least two labels: `*.w.test` matches `x.w.test` but neither
//! `w.test` nor `y.x.w.test`.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

use super::certs::{cert_names, load_ca_file, load_crl_file};

/// `verify none`.
#[derive(Debug)]
pub struct AcceptAny(pub Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify required`: WebPKI for the chain, HAProxy's rule for the name.
#[derive(Debug)]
pub struct Required {
    chain: Arc<WebPkiServerVerifier>,
    verifyhost: Option<String>,
}

impl Required {
    /// The verifier for `ca_file` (and `crl_file`), checking names
    /// against `verifyhost` when no SNI was sent.
    pub fn new(
        ca_file: &str,
        crl_file: Option<&str>,
        verifyhost: Option<String>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Required, String> {
        let roots = Arc::new(load_ca_file(std::path::Path::new(ca_file))?);
        let mut b = WebPkiServerVerifier::builder_with_provider(roots, provider);
        if let Some(crl) = crl_file {
            let crls = load_crl_file(std::path::Path::new(crl))?;
            if !crls.is_empty() {
                b = b.with_crls(crls);
            }
        }
        let chain = b
            .build()
            .map_err(|e| format!("unable to use the ca-file '{ca_file}' : {e}."))?;
        Ok(Required { chain, verifyhost })
    }
}

impl ServerCertVerifier for Required {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        // WebPKI checks the chain before the name: a name error means the
        // chain passed, and the name is then ours to judge.
        match self
            .chain
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Ok(_) => {}
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => {}
            Err(e) => return Err(e),
        }
        let wanted = match server_name {
            ServerName::DnsName(d) => Some(d.as_ref()),
            _ => self.verifyhost.as_deref(),
        };
        match wanted {
            Some(name) if !cert_matches(end_entity, name) => {
                Err(Error::InvalidCertificate(CertificateError::NotValidForName))
            }
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.chain.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.chain.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chain.supported_verify_schemes()
    }
}

/// Whether `host` is one of the certificate's names (SAN DNS names, then
/// subject CNs).
pub fn cert_matches(cert: &CertificateDer<'_>, host: &str) -> bool {
    cert_names(cert.as_ref())
        .iter()
        .any(|pattern| name_matches(pattern, host))
}

/// One certificate name against a host name, ignoring case, with a `*`
/// allowed in the leftmost label of the pattern.
pub fn name_matches(pattern: &str, host: &str) -> bool {
    let (pattern, host) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    if !pattern.contains('*') {
        return pattern == host;
    }
    let (Some((p_left, p_rest)), Some((h_left, h_rest))) =
        (pattern.split_once('.'), host.split_once('.'))
    else {
        return false;
    };
    // One `*`, in the leftmost label, and the other labels equal.
    let Some((prefix, suffix)) = p_left.split_once('*') else {
        return false;
    };
    if suffix.contains('*') || p_rest != h_rest {
        return false;
    }
    h_left.len() >= prefix.len() + suffix.len()
        && h_left.starts_with(prefix)
        && h_left.ends_with(suffix)
}

#[cfg(test)]
mod tests {
    use super::name_matches;

    #[test]
    fn names_match_as_haproxy_matches_them() {
        for (p, h, ok) in [
            ("a.test", "a.test", true),
            ("a.test", "A.TEST", true),
            ("a.test", "b.test", false),
            ("*.w.test", "x.w.test", true),
            ("*.w.test", "w.test", false),
            ("*.w.test", "y.x.w.test", false),
            ("*.w.test", ".w.test", true),
            ("f*o.w.test", "foo.w.test", true),
            ("f*o.w.test", "fo.w.test", true),
            ("f*o.w.test", "fa.w.test", false),
            ("**.w.test", "x.w.test", false),
            ("*", "x", false),
            ("x.*.test", "x.y.test", false),
        ] {
            assert_eq!(name_matches(p, h), ok, "{p} vs {h}");
        }
    }
}
