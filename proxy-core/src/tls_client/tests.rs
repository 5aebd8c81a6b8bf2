//! Tests for [`super`]: client configurations built from `server` settings
//! running real handshakes, in memory, against a rustls server holding
//! the test chain (`chain.pem`: `leaf.example.com`, SAN `Alt.Example.com`,
//! issued through `int.crt` by `ca.crt`; see [`crate::tls::testgen`]).

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::{ClientConnection, HandshakeKind, ServerConfig, ServerConnection};

use super::*;
use crate::tls::testgen::fixture;

#[derive(Debug)]
struct Fixed(Arc<CertifiedKey>);

impl ResolvesServerCert for Fixed {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

fn server_config(dir: &Path) -> Arc<ServerConfig> {
    let cert = crate::tls::certs::load_pem(&dir.join("chain.pem")).unwrap();
    let provider = Arc::new(crate::tls::ciphers::provider(None, None, None));
    let cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Fixed(cert.key)));
    Arc::new(cfg)
}

fn built(ssl: ServerSsl) -> ServerTls {
    let who = Who {
        proxy: "backend 'b'",
        server: "s",
    };
    build(&ssl, &GlobalSsl::default(), &who, false, &mut Vec::new()).unwrap()
}

fn required(dir: &Path, ca: &str, verifyhost: Option<&str>) -> ServerSsl {
    let mut ssl = ServerSsl {
        use_ssl: SslUse::On,
        verifyhost: verifyhost.map(str::to_string),
        ..ServerSsl::default()
    };
    ssl.conf.ca_file = Some(dir.join(ca).to_string_lossy().into_owned());
    ssl
}

/// Moves records both ways until neither side has more to say.
fn pump(c: &mut ClientConnection, s: &mut ServerConnection) -> Result<(), rustls::Error> {
    for _ in 0..16 {
        let mut moved = false;
        let mut buf = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            moved = true;
            s.read_tls(&mut rd).unwrap();
            s.process_new_packets()?;
        }
        let mut buf = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            moved = true;
            c.read_tls(&mut rd).unwrap();
            c.process_new_packets()?;
        }
        if !moved {
            break;
        }
    }
    Ok(())
}

/// One handshake with `name` (an SNI, or the server's address): how it
/// went.
fn handshake_with(
    tls: &ServerTls,
    srv: &Arc<ServerConfig>,
    name: Option<&str>,
) -> Result<HandshakeKind, rustls::Error> {
    let ip: IpAddr = [127, 0, 0, 1].into();
    let mut c = ClientConnection::new(tls.config.clone(), server_name(name, ip)).unwrap();
    let mut s = ServerConnection::new(srv.clone()).unwrap();
    pump(&mut c, &mut s)?;
    Ok(c.handshake_kind().unwrap())
}

fn name_error(r: Result<HandshakeKind, rustls::Error>) -> bool {
    matches!(
        r,
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName
        ))
    )
}

#[test]
fn the_name_checked_is_the_sni_else_verifyhost_else_none() {
    let Some(d) = fixture() else { return };
    let srv = server_config(d);
    let plain = built(required(d, "ca.crt", None));
    assert!(handshake_with(&plain, &srv, Some("leaf.example.com")).is_ok());
    assert!(handshake_with(&plain, &srv, Some("alt.example.com")).is_ok());
    assert!(name_error(handshake_with(
        &plain,
        &srv,
        Some("other.example.com")
    )));
    // No SNI, no verifyhost: only the chain counts.
    assert!(handshake_with(&plain, &srv, None).is_ok());
    let vh = built(required(d, "ca.crt", Some("ALT.example.com")));
    assert!(handshake_with(&vh, &srv, None).is_ok());
    // The SNI wins over verifyhost, as in 2.6.
    assert!(name_error(handshake_with(
        &vh,
        &srv,
        Some("other.example.com")
    )));
    let bad_vh = built(required(d, "ca.crt", Some("nope.example.com")));
    assert!(name_error(handshake_with(&bad_vh, &srv, None)));
    assert!(handshake_with(&bad_vh, &srv, Some("leaf.example.com")).is_ok());
}

#[test]
fn a_chain_from_another_ca_fails_unless_verify_none() {
    let Some(d) = fixture() else { return };
    let srv = server_config(d);
    let other = built(required(d, "rsa.crt", None));
    assert!(matches!(
        handshake_with(&other, &srv, Some("leaf.example.com")),
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer
        ))
    ));
    let mut none = required(d, "rsa.crt", None);
    none.conf.verify = Some(Verify::None);
    assert!(handshake_with(&built(none), &srv, Some("whatever.test")).is_ok());
}

#[test]
fn sessions_resume_per_server_unless_no_ssl_reuse() {
    let Some(d) = fixture() else { return };
    let srv = server_config(d);
    let tls = built(required(d, "ca.crt", None));
    assert_eq!(
        handshake_with(&tls, &srv, None).unwrap(),
        HandshakeKind::Full
    );
    assert_eq!(
        handshake_with(&tls, &srv, None).unwrap(),
        HandshakeKind::Resumed
    );
    let mut ssl = required(d, "ca.crt", None);
    ssl.no_reuse = true;
    let tls = built(ssl);
    for _ in 0..2 {
        assert_eq!(
            handshake_with(&tls, &srv, None).unwrap(),
            HandshakeKind::Full
        );
    }
}

#[test]
fn sni_values_that_are_not_host_names_send_none() {
    let ip: IpAddr = [10, 0, 0, 1].into();
    assert!(matches!(
        server_name(Some("a.test"), ip),
        ServerName::DnsName(_)
    ));
    for v in [None, Some(""), Some("10.0.0.2"), Some("a.test:8443")] {
        assert!(
            matches!(server_name(v, ip), ServerName::IpAddress(_)),
            "{v:?}"
        );
    }
}
