//! A TLS stream towards a server: its handshake, driven by the data path
//! as any other bytes, fills its facts once done (what `ssl_bc*` read)
//! and counts a backend key (`SslBackendKeyRate`). The server side is
//! tokio-rustls on the test certificates (`chain.pem`: a leaf issued by
//! an intermediate of `ca.crt`).

use std::sync::Arc;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, ProtocolVersion, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio::io::AsyncWriteExt;

use super::certs::load_crt_arg;
use super::conn::TlsStream;
use super::stats::ssl_stats;
use super::testgen::fixture;

#[derive(Debug)]
struct One(Arc<CertifiedKey>);

impl ResolvesServerCert for One {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

#[tokio::test]
async fn server_side_facts_appear_when_the_handshake_ends() {
    let Some(dir) = fixture() else { return };
    let cert = load_crt_arg(&dir.join("chain.pem")).unwrap().remove(0);
    let mut scfg = ServerConfig::builder()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(One(cert.key.clone())));
    scfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (sock, _) = l.accept().await.unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(scfg));
        let mut s = acceptor.accept(sock).await.unwrap();
        s.write_all(b"hi").await.unwrap();
        s.flush().await.unwrap();
        // Hold the connection until the client has read.
        let mut b = [0u8; 1];
        let _ = tokio::io::AsyncReadExt::read(&mut s, &mut b).await;
    });
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(dir.join("ca.crt")).unwrap())
        .unwrap();
    let mut ccfg = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    ccfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = "leaf.example.com".try_into().unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(ccfg), name).unwrap();
    let sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let before = ssl_stats().figures();
    let mut t = TlsStream::new(sock, conn);
    let cell = t.info_cell();
    assert!(
        t.info().is_none(),
        "nothing is settled before the handshake"
    );
    let mut buf = Vec::with_capacity(64);
    while buf.len() < 2 {
        // The ClientHello leaves while waiting to read.
        let n = std::future::poll_fn(|cx| t.poll_read(cx, &mut buf))
            .await
            .unwrap();
        assert!(n > 0, "the server closed early");
    }
    assert_eq!(buf, b"hi");
    let info = cell.get().expect("facts once the handshake is done");
    assert_eq!(info.protocol(), Some("TLSv1.3"));
    assert_eq!(info.alpn.as_deref(), Some(&b"http/1.1"[..]));
    assert!(!info.resumed && info.sni.is_none());
    assert_eq!(info.version, Some(ProtocolVersion::TLSv1_3));
    let after = ssl_stats().figures();
    assert!(after.be_max_key_rate >= 1);
    assert!(after.cum_conns > before.cum_conns);
    drop(t);
    let _ = server.await;
}
