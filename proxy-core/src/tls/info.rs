//! What a TLS connection says of itself once its handshake is done, for
//! the `ssl_fc_*`, `ssl_bc_*` and `ssl_c_*` fetches and the `%sslv` /
//! `%sslc` log variables, named as HAProxy 2.6 (that is, OpenSSL) names
//! them.
//!
//! A [`TlsInfo`] is a snapshot taken once per connection: rules run while
//! the stream's transports are borrowed for I/O, so they read this copy
//! (shared through an `Arc`) rather than the live rustls state.

use rustls::pki_types::CertificateDer;
use rustls::{CipherSuite, HandshakeKind, ProtocolVersion};

/// The facts of one TLS connection after its handshake.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInfo {
    /// The server name the client sent (`ssl_fc_sni`; rustls lowercases it).
    pub sni: Option<String>,
    pub version: Option<ProtocolVersion>,
    pub suite: Option<CipherSuite>,
    /// The protocol ALPN settled on.
    pub alpn: Option<Vec<u8>>,
    /// The session was resumed (ticket or session ID).
    pub resumed: bool,
    /// The peer's chain, leaf first; a resumed session keeps the chain
    /// its first handshake saw (`ssl_c_used` stays true, as in 2.6).
    pub peer_certs: Vec<CertificateDer<'static>>,
    /// OpenSSL's numbers for a client certificate error that
    /// `crt-ignore-err`/`ca-ignore-err` let through; 0 when verified.
    pub verify_err: super::verify::VerifyErr,
}

impl TlsInfo {
    /// The facts of `c` as they stand (call it once the handshake is done).
    pub fn of(c: &rustls::Connection) -> TlsInfo {
        let sni = match c {
            rustls::Connection::Server(s) => s.server_name().map(str::to_string),
            rustls::Connection::Client(_) => None,
        };
        TlsInfo {
            sni,
            version: c.protocol_version(),
            suite: c.negotiated_cipher_suite().map(|s| s.suite()),
            alpn: c.alpn_protocol().map(<[u8]>::to_vec),
            resumed: c.handshake_kind() == Some(HandshakeKind::Resumed),
            peer_certs: c.peer_certificates().map(<[_]>::to_vec).unwrap_or_default(),
            verify_err: Default::default(),
        }
    }

    /// `ssl_fc_protocol`, `%sslv`: OpenSSL's name of the version.
    pub fn protocol(&self) -> Option<&'static str> {
        Some(match self.version? {
            ProtocolVersion::TLSv1_3 => "TLSv1.3",
            ProtocolVersion::TLSv1_2 => "TLSv1.2",
            ProtocolVersion::TLSv1_1 => "TLSv1.1",
            ProtocolVersion::TLSv1_0 => "TLSv1",
            ProtocolVersion::SSLv3 => "SSLv3",
            _ => return None,
        })
    }

    /// The negotiated suite as OpenSSL knows it.
    pub fn cipher(&self) -> Option<&'static Suite> {
        let s = self.suite?;
        SUITES.iter().find(|x| x.id == s)
    }

    /// `ssl_fc_has_crt`: a certificate was presented and verified in
    /// this very handshake (a resumed session carries the old one but
    /// verifies nothing).
    pub fn has_crt(&self) -> bool {
        !self.resumed && !self.peer_certs.is_empty()
    }

    /// The peer's own certificate.
    pub fn leaf(&self) -> Option<&CertificateDer<'static>> {
        self.peer_certs.first()
    }
}

/// A cipher suite: OpenSSL's name (`ssl_fc_cipher`, `%sslc`) and its
/// key sizes (`ssl_fc_use_keysize`, `ssl_fc_alg_keysize`).
#[derive(Debug, PartialEq, Eq)]
pub struct Suite {
    pub id: CipherSuite,
    pub name: &'static str,
    /// Bits of symmetric key the suite uses.
    pub use_bits: u32,
    /// Bits the algorithm supports (the same for every AEAD suite here).
    pub alg_bits: u32,
}

const fn suite(id: CipherSuite, name: &'static str, bits: u32) -> Suite {
    Suite {
        id,
        name,
        use_bits: bits,
        alg_bits: bits,
    }
}

/// Every suite rustls can negotiate, by OpenSSL's name (TLS 1.3 suites
/// keep their IANA names there; TLS 1.2 ones have OpenSSL's own).
/// CHACHA20 has a 256-bit key.
static SUITES: &[Suite] = &[
    suite(
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        "TLS_AES_256_GCM_SHA384",
        256,
    ),
    suite(
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        "TLS_AES_128_GCM_SHA256",
        128,
    ),
    suite(
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        "TLS_CHACHA20_POLY1305_SHA256",
        256,
    ),
    suite(
        CipherSuite::TLS13_AES_128_CCM_SHA256,
        "TLS_AES_128_CCM_SHA256",
        128,
    ),
    suite(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        256,
    ),
    suite(
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-RSA-AES256-GCM-SHA384",
        256,
    ),
    suite(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        128,
    ),
    suite(
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-RSA-AES128-GCM-SHA256",
        128,
    ),
    suite(
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        256,
    ),
    suite(
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-RSA-CHACHA20-POLY1305",
        256,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_openssl_names() {
        let i = TlsInfo {
            version: Some(ProtocolVersion::TLSv1_2),
            suite: Some(CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
            ..TlsInfo::default()
        };
        assert_eq!(i.protocol(), Some("TLSv1.2"));
        let s = i.cipher().map(|s| (s.name, s.use_bits));
        assert_eq!(s, Some(("ECDHE-RSA-CHACHA20-POLY1305", 256)));
        let i = TlsInfo {
            version: Some(ProtocolVersion::TLSv1_3),
            suite: Some(CipherSuite::TLS13_AES_128_GCM_SHA256),
            ..TlsInfo::default()
        };
        assert_eq!(i.protocol(), Some("TLSv1.3"));
        assert_eq!(i.cipher().map(|s| s.name), Some("TLS_AES_128_GCM_SHA256"));
    }

    #[test]
    fn every_rustls_suite_has_a_name() {
        for s in crate::tls::ciphers::backend::ALL_CIPHER_SUITES {
            assert!(
                SUITES.iter().any(|x| x.id == s.suite()),
                "{:?} has no OpenSSL name",
                s.suite()
            );
        }
    }

    #[test]
    fn resumed_sessions_have_no_fresh_certificate() {
        let mut i = TlsInfo {
            peer_certs: vec![CertificateDer::from(vec![0x30, 0])],
            ..TlsInfo::default()
        };
        assert!(i.has_crt());
        i.resumed = true;
        assert!(!i.has_crt());
    }
}
