//! Client certificates on an `ssl` bind: `verify none|optional|required`
//! with `ca-file` and `crl-file`, and `ca-ignore-err`/`crt-ignore-err`
//! letting listed verification errors through, as HAProxy 2.6 does.
//! Version 1 certificates, which webpki refuses, are checked by
//! [`super::verify_v1`]. Errors are numbered as OpenSSL numbers them (`X509_V_ERR_*`), the
//! numbers `ssl_c_verify` reports and the ignore lists name.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};

use super::bind::BindError;
use super::certs::{load_ca_ders, load_ca_file, load_crl_file};
use super::opts::{SslConf, Verify};
use super::verify_v1::{self, is_v1, V1Anchors};

/// OpenSSL's number for a certificate verification failure.
pub fn x509_code(e: &Error) -> u32 {
    match e {
        Error::InvalidCertificate(c) => match c {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => 10,
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => 9,
            CertificateError::Revoked => 23,
            CertificateError::UnknownIssuer => 20,
            CertificateError::BadSignature => 7,
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => 26,
            CertificateError::UnknownRevocationStatus => 3,
            CertificateError::ExpiredRevocationList
            | CertificateError::ExpiredRevocationListContext { .. } => 12,
            _ => 1,
        },
        _ => 1,
    }
}

/// The errors OpenSSL reports for `e` found on the chain whose leaf is
/// `leaf` (`alone`: the client sent no intermediate), as its verify
/// callback sees them: the first one (`ssl_c_err`) and the last one
/// (`ssl_c_verify`). A self-signed leaf nobody trusts is "self-signed
/// certificate" (18), whether webpki saw an unknown issuer or a CA
/// certificate used as a leaf; a lone leaf of an unknown issuer is
/// "unable to get local issuer certificate" (20), then "unable to verify
/// the first certificate" (21).
pub fn x509_codes(e: &Error, leaf: &CertificateDer<'_>, alone: bool) -> VerifyErr {
    let code = x509_code(e);
    let (first, last) = match code {
        20 | 1 if self_issued(leaf) => (18, 18),
        20 if alone => (20, 21),
        c => (c, c),
    };
    VerifyErr { first, last }
}

/// A verification failure let through, in OpenSSL's numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifyErr {
    /// The first error met (`ssl_c_err`).
    pub first: u32,
    /// The verification's result (`ssl_c_verify`).
    pub last: u32,
}

fn self_issued(der: &[u8]) -> bool {
    use x509_parser::prelude::{FromDer, X509Certificate};
    X509Certificate::from_der(der).is_ok_and(|(_, c)| c.subject().as_raw() == c.issuer().as_raw())
}

/// A parsed `ca-ignore-err`/`crt-ignore-err` list: `all` or numbers.
#[derive(Debug, Clone, Default)]
struct IgnoreList {
    all: bool,
    codes: Vec<u32>,
}

impl IgnoreList {
    fn parse(kw: &str, spec: Option<&str>) -> Result<IgnoreList, String> {
        let Some(spec) = spec else {
            return Ok(IgnoreList::default());
        };
        if spec == "all" {
            return Ok(IgnoreList {
                all: true,
                codes: Vec::new(),
            });
        }
        let mut codes = Vec::new();
        for w in spec.split(',') {
            codes.push(w.trim().parse::<u32>().map_err(|_| {
                format!("'{kw}' : expects either 'all' or a comma-separated list of error IDs, got '{w}'")
            })?);
        }
        Ok(IgnoreList { all: false, codes })
    }

    fn covers(&self, code: u32) -> bool {
        self.all || self.codes.contains(&code)
    }
}

/// WebPKI verification, version 1 certificates checked as OpenSSL does
/// ([`super::verify_v1`]), and the listed errors let through.
#[derive(Debug)]
struct Checked {
    inner: Arc<dyn ClientCertVerifier>,
    ignore: IgnoreList,
    v1: V1Anchors,
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for Checked {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }
    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let res = match self
            .inner
            .verify_client_cert(end_entity, intermediates, now)
        {
            Err(_) if is_v1(end_entity) => self.v1.verify(end_entity, now),
            other => other.map(|_| ()),
        };
        match res {
            Ok(()) => Ok(ClientCertVerified::assertion()),
            Err(e) => {
                let code = x509_codes(&e, end_entity, intermediates.is_empty());
                // OpenSSL asks about each error it meets: all must be let through.
                if !self.ignore.covers(code.first) || !self.ignore.covers(code.last) {
                    return Err(e);
                }
                super::verify_memo::note_let_through(end_entity, code);
                Ok(ClientCertVerified::assertion())
            }
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        if is_v1(cert) {
            return verify_v1::verify_signature(message, cert, dss, &self.algs, false);
        }
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        if is_v1(cert) {
            return verify_v1::verify_signature(message, cert, dss, &self.algs, true);
        }
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The client certificate policy of an option set. Its `ca-file` and
/// `crl-file` are read even under `verify none`, as 2.6 does, so that a
/// bad one is an error either way.
pub fn client_verifier(
    conf: &SslConf,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, BindError> {
    let unreadable = |kw: &str, path: &str, e: String| BindError::AtLine {
        before: vec![e],
        msg: format!("'{kw}' : unable to load {path}"),
    };
    let ca = match &conf.ca_file {
        Some(f) => {
            let p = std::path::Path::new(f);
            let roots = load_ca_file(p).map_err(|e| unreadable("ca-file", f, e))?;
            let (cas, _) = load_ca_ders(p).map_err(|e| unreadable("ca-file", f, e))?;
            Some((Arc::new(roots), cas))
        }
        None => None,
    };
    let crls = match &conf.crl_file {
        Some(f) => {
            load_crl_file(std::path::Path::new(f)).map_err(|e| unreadable("crl-file", f, e))?
        }
        None => Vec::new(),
    };
    let verify = conf.verify.unwrap_or(Verify::None);
    if verify == Verify::None {
        return Ok(WebPkiClientVerifier::no_client_auth());
    }
    let Some((roots, cas)) = ca else {
        return Err(BindError::ForBind {
            msg: "verify is enabled but no CA file specified".to_string(),
            why: None,
        });
    };
    let algs = provider.signature_verification_algorithms;
    let mut b = WebPkiClientVerifier::builder_with_provider(roots, provider);
    if !crls.is_empty() {
        b = b.with_crls(crls.clone());
    }
    if verify == Verify::Optional {
        b = b.allow_unauthenticated();
    }
    let inner = b
        .build()
        .map_err(|e| format!("client certificate verifier: {e}"))?;
    let mut ignore = IgnoreList::parse("ca-ignore-err", conf.ca_ignore_err.as_deref())?;
    let crt = IgnoreList::parse("crt-ignore-err", conf.crt_ignore_err.as_deref())?;
    // rustls does not say at which depth a chain failed: either list
    // covers an error.
    ignore.all |= crt.all;
    ignore.codes.extend(crt.codes);
    Ok(Arc::new(Checked {
        inner,
        ignore,
        v1: V1Anchors::new(cas, crls),
        algs,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_error_numbers_of_a_chain() {
        // Not self-issued: the leaf's own bytes do not parse as a
        // certificate, so only the "alone" rule applies.
        let leaf = CertificateDer::from(vec![0u8; 4]);
        let unknown = Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let both = |e: &Error, alone| {
            let c = x509_codes(e, &leaf, alone);
            (c.first, c.last)
        };
        assert_eq!(both(&unknown, true), (20, 21));
        assert_eq!(both(&unknown, false), (20, 20));
        let expired = Error::InvalidCertificate(CertificateError::Expired);
        assert_eq!(both(&expired, true), (10, 10));
        let ignore = IgnoreList::parse("crt-ignore-err", Some("20,21")).unwrap_or_default();
        assert!(ignore.covers(20) && ignore.covers(21));
        let ignore = IgnoreList::parse("crt-ignore-err", Some("20")).unwrap_or_default();
        assert!(!ignore.covers(21));
    }
}
