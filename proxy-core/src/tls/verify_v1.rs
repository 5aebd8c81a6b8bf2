//! Version 1 client certificates, which OpenSSL (and so HAProxy 2.6)
//! accepts and webpki refuses outright: what `openssl x509 -req` makes
//! without an extensions file, a common way to issue client certificates.
//!
//! The checks are OpenSSL's for such a certificate issued directly by a
//! `ca-file` certificate: the issuer's signature, the validity dates, and
//! with a `crl-file` the issuer's CRL (none for the issuer is an error, as
//! webpki's policy for version 3 certificates here). A version 1
//! certificate has no extensions, so there is no usage to check. One
//! issued by an intermediate is not accepted (unknown issuer).
//!
//! The handshake signature is then checked against the certificate's key
//! directly, since rustls's helpers parse the certificate with webpki.

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{
    CertificateDer, CertificateRevocationListDer, SubjectPublicKeyInfoDer, UnixTime,
};
use rustls::{CertificateError, DigitallySignedStruct, Error, PeerMisbehaved};
use x509_parser::prelude::{CertificateRevocationList, FromDer, X509Certificate, X509Version};

/// The trust material of a bind, as DER, for version 1 certificates.
#[derive(Debug, Default)]
pub struct V1Anchors {
    cas: Vec<CertificateDer<'static>>,
    crls: Vec<CertificateRevocationListDer<'static>>,
}

/// Whether `der` parses as a version 1 certificate.
pub fn is_v1(der: &CertificateDer<'_>) -> bool {
    X509Certificate::from_der(der).is_ok_and(|(_, c)| c.version() == X509Version::V1)
}

fn bad(e: CertificateError) -> Error {
    Error::InvalidCertificate(e)
}

impl V1Anchors {
    pub fn new(
        cas: Vec<CertificateDer<'static>>,
        crls: Vec<CertificateRevocationListDer<'static>>,
    ) -> V1Anchors {
        V1Anchors { cas, crls }
    }

    /// Verifies a version 1 end-entity certificate at time `now`.
    pub fn verify(&self, der: &CertificateDer<'_>, now: UnixTime) -> Result<(), Error> {
        let (_, leaf) =
            X509Certificate::from_der(der).map_err(|_| bad(CertificateError::BadEncoding))?;
        let issuer = self
            .cas
            .iter()
            .filter_map(|c| X509Certificate::from_der(c).ok().map(|(_, c)| c))
            .find(|ca| {
                ca.subject().as_raw() == leaf.issuer().as_raw()
                    && leaf.verify_signature(Some(ca.public_key())).is_ok()
            })
            .ok_or(bad(CertificateError::UnknownIssuer))?;
        let t = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let v = leaf.validity();
        if t < v.not_before.timestamp() {
            return Err(bad(CertificateError::NotValidYet));
        }
        if t > v.not_after.timestamp() {
            return Err(bad(CertificateError::Expired));
        }
        if self.crls.is_empty() {
            return Ok(());
        }
        let crl = self
            .crls
            .iter()
            .filter_map(|c| CertificateRevocationList::from_der(c).ok().map(|(_, c)| c))
            .find(|crl| {
                crl.issuer().as_raw() == leaf.issuer().as_raw()
                    && crl.verify_signature(issuer.public_key()).is_ok()
            })
            .ok_or(bad(CertificateError::UnknownRevocationStatus))?;
        if crl
            .iter_revoked_certificates()
            .any(|r| r.raw_serial() == leaf.raw_serial())
        {
            return Err(bad(CertificateError::Revoked));
        }
        Ok(())
    }
}

/// Checks a handshake signature made with the key of the version 1
/// certificate `cert`: for TLS 1.3 with rustls's raw-key helper, for
/// TLS 1.2 trying each algorithm the scheme may stand for, as webpki does.
pub fn verify_signature(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algs: &WebPkiSupportedAlgorithms,
    tls13: bool,
) -> Result<HandshakeSignatureValid, Error> {
    let (_, c) = X509Certificate::from_der(cert).map_err(|_| bad(CertificateError::BadEncoding))?;
    if tls13 {
        let spki = SubjectPublicKeyInfoDer::from(c.public_key().raw);
        return rustls::crypto::verify_tls13_signature_with_raw_key(message, &spki, dss, algs);
    }
    let key = &c.public_key().subject_public_key.data;
    let candidates = algs
        .mapping
        .iter()
        .find(|(s, _)| *s == dss.scheme)
        .map(|(_, a)| *a)
        .ok_or(Error::PeerMisbehaved(
            PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
        ))?;
    if candidates
        .iter()
        .any(|alg| alg.verify_signature(key, message, dss.signature()).is_ok())
    {
        return Ok(HandshakeSignatureValid::assertion());
    }
    Err(bad(CertificateError::BadSignature))
}
