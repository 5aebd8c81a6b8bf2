//! The TLS handshake of an accepted connection, before its stream starts.
//!
//! The ClientHello is read first so the bind picks the certificate and the
//! option set for it ([`super::bind::BindTls::config_for`]); then rustls
//! completes the handshake and the socket becomes a [`TlsStream`]. A
//! failure ends the connection here, as HAProxy ends an embryonic
//! session, and is logged with HAProxy's words for it.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::server::Acceptor;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::LazyConfigAcceptor;

use super::bind::BindTls;
use super::conn::TlsStream;
use super::info::TlsInfo;
use super::stats::{ssl_stats, SslEndpoint};
use super::verify_memo::handshake_errors;

/// A fatal `unrecognized_name` alert in a plaintext record: what OpenSSL
/// answers when `strict-sni` finds no certificate for the ClientHello.
const UNRECOGNIZED_NAME_ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70];

/// A fatal `protocol_version` alert in a TLS 1.0 record: what OpenSSL
/// answers a client whose best version is below the bind's minimum.
const PROTOCOL_VERSION_ALERT: [u8; 7] = [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46];

/// Why a handshake did not complete; each has HAProxy's log text.
#[derive(Debug)]
pub enum HandshakeError {
    /// The client closed the connection before the handshake ended.
    Closed,
    /// `timeout client` passed during the handshake.
    Timeout,
    /// The client's certificate did not verify (`verify optional` or
    /// `required`), and no `crt-ignore-err`/`ca-ignore-err` let it pass.
    ClientCertRefused(String),
    /// Not TLS, a protocol error, no acceptable certificate or version.
    Failed(String),
}

impl HandshakeError {
    /// The message HAProxy 2.6 logs for an embryonic session ended so.
    pub fn log_text(&self) -> &'static str {
        match self {
            HandshakeError::Closed => "Connection closed during SSL handshake",
            HandshakeError::Timeout => "Timeout during SSL handshake",
            HandshakeError::ClientCertRefused(_) => "SSL client certificate not trusted",
            HandshakeError::Failed(_) => "SSL handshake failure",
        }
    }

    /// Whether `option dontlognull` still lets this one be logged: 2.6
    /// drops an embryonic session closed by the client or timed out (no
    /// error recorded yet when it decides), and keeps real failures.
    pub fn logged_with_dontlognull(&self) -> bool {
        matches!(
            self,
            HandshakeError::ClientCertRefused(_) | HandshakeError::Failed(_)
        )
    }
}

/// Handshake counters of a bind's frontend (for `show info` and stats).
#[derive(Debug, Default)]
pub struct HandshakeCounters {
    /// Completed full handshakes (new sessions: the key rate).
    pub full: AtomicU64,
    /// Completed resumed handshakes.
    pub resumed: AtomicU64,
    /// Failed handshakes.
    pub failed: AtomicU64,
}

impl HandshakeCounters {
    /// `clear counters` (with or without `all`): HAProxy 2.6 zeroes the
    /// SSL module's counters either way.
    pub fn clear(&self) {
        for c in [&self.full, &self.resumed, &self.failed] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// The socket while the ClientHello is read, keeping its first bytes.
/// They must open a TLS record (a content type from 20 to 24, then major
/// version 3): anything else (a plaintext HTTP request, garbage) ends the
/// handshake before rustls sees it, as rustls would answer with a
/// `decode_error` alert where OpenSSL, and so 2.6, closes without a word.
struct Sniffed {
    sock: TcpStream,
    /// The record header and the handshake header, then the ClientHello's
    /// `legacy_version`.
    head: [u8; HEAD],
    seen: usize,
}

/// Bytes kept: record header (5), handshake header (4), version (2).
const HEAD: usize = 11;

impl Sniffed {
    fn check(&self) -> Result<(), io::Error> {
        check_head(&self.head[..self.seen])
    }
}

/// Whether the first bytes of a connection (up to [`HEAD`]) may open a
/// ClientHello this proxy can answer: a TLS record, and a `legacy_version`
/// of TLS 1.2 at least (the client's best version when below TLS 1.2; a
/// client offering TLS 1.3 puts TLS 1.2 there and the rest in an
/// extension).
fn check_head(h: &[u8]) -> Result<(), io::Error> {
    let not_tls =
        h.first().is_some_and(|t| !(20..=24).contains(t)) || h.get(1).is_some_and(|&m| m != 3);
    if not_tls {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a TLS record",
        ));
    }
    if h.len() == HEAD && h[0] == 22 && u16::from_be_bytes([h[9], h[10]]) < 0x0303 {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "client below TLS 1.2",
        ));
    }
    Ok(())
}

impl AsyncRead for Sniffed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.sock).poll_read(cx, buf);
        if self.seen < HEAD {
            let was = self.seen;
            let fresh = &buf.filled()[before..];
            let n = fresh.len().min(HEAD - was);
            let this = &mut *self;
            this.head[was..was + n].copy_from_slice(&fresh[..n]);
            this.seen += n;
            if let Err(e) = this.check() {
                return Poll::Ready(Err(e));
            }
        }
        r
    }
}

impl AsyncWrite for Sniffed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.sock).poll_write(cx, data)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.sock).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.sock).poll_shutdown(cx)
    }
}

/// HAProxy's reading of an I/O error during the handshake: an end of
/// stream is a close, a reset a failure (as 2.6 logs them).
fn classify(e: io::Error) -> HandshakeError {
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return match tls {
            rustls::Error::InvalidCertificate(c) => {
                HandshakeError::ClientCertRefused(format!("{c:?}"))
            }
            other => HandshakeError::Failed(other.to_string()),
        };
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => HandshakeError::Closed,
        _ => HandshakeError::Failed(e.to_string()),
    }
}

/// Runs the server side of a handshake on `sock`.
pub async fn accept(
    sock: TcpStream,
    tls: &BindTls,
    timeout: Option<Duration>,
    counters: &HandshakeCounters,
) -> Result<TlsStream, HandshakeError> {
    // As HAProxy: the accept counts in `SslRate`, and the endpoint in
    // `CumSslConns` whether or not its handshake succeeds.
    let stats = ssl_stats();
    stats.accepted();
    let hs = handshake(sock, tls, stats.endpoint());
    let res = match timeout {
        Some(t) => match tokio::time::timeout(t, hs).await {
            Ok(r) => r,
            Err(_) => Err(HandshakeError::Timeout),
        },
        None => hs.await,
    };
    match &res {
        Ok(s) => {
            let resumed = s.info().is_some_and(|i| i.resumed);
            stats.handshake(false, resumed);
            let c = if resumed {
                &counters.resumed
            } else {
                &counters.full
            };
            c.fetch_add(1, Ordering::Relaxed);
        }
        Err(_) => {
            counters.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
    res
}

async fn handshake(
    sock: TcpStream,
    tls: &BindTls,
    endpoint: SslEndpoint,
) -> Result<TlsStream, HandshakeError> {
    let sniffed = Sniffed {
        sock,
        head: [0; HEAD],
        seen: 0,
    };
    let mut acceptor = LazyConfigAcceptor::new(Acceptor::default(), sniffed);
    let start = match (&mut acceptor).await {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            // rustls has nothing below TLS 1.2 and would refuse such a
            // ClientHello with `handshake_failure` (it lacks the signature
            // algorithms extension); OpenSSL names the real reason.
            if let Some(mut io) = acceptor.take_io() {
                let _ = io.sock.write_all(&PROTOCOL_VERSION_ALERT).await;
            }
            return Err(HandshakeError::Failed(e.to_string()));
        }
        Err(e) => return Err(classify(e)),
    };
    let Some(config) = tls.config_for(&start.client_hello()) else {
        let mut io = start.io;
        // Best effort: the refusal stands whether the alert leaves or not.
        let _ = io.sock.write_all(&UNRECOGNIZED_NAME_ALERT).await;
        return Err(HandshakeError::Failed(
            "no certificate for this name".into(),
        ));
    };
    let stream = start.into_stream(config).await.map_err(classify)?;
    let (io, conn) = stream.into_inner();
    let conn = rustls::Connection::from(conn);
    let mut info = TlsInfo::of(&conn);
    if let Some(leaf) = info.leaf() {
        info.verify_err = handshake_errors(leaf, info.resumed);
    }
    Ok(TlsStream::counted(io.sock, conn, endpoint, Some(info)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(h: &[u8]) -> Option<io::ErrorKind> {
        check_head(h).err().map(|e| e.kind())
    }

    #[test]
    fn first_bytes_must_open_a_tls_record_of_a_tls12_client() {
        assert_eq!(kind(b""), None);
        assert_eq!(kind(&[22]), None);
        assert_eq!(kind(&[22, 3]), None);
        assert_eq!(kind(b"G"), Some(io::ErrorKind::InvalidData));
        assert_eq!(kind(b"GET / HTTP/1.1"), Some(io::ErrorKind::InvalidData));
        assert_eq!(kind(&[22, 9]), Some(io::ErrorKind::InvalidData));
        assert_eq!(kind(&[0x80, 0x2e]), Some(io::ErrorKind::InvalidData));
        // Record header, handshake header, then legacy_version.
        let hello = |v: [u8; 2]| [22, 3, 1, 0, 200, 1, 0, 0, 196, v[0], v[1]];
        assert_eq!(kind(&hello([3, 3])), None);
        assert_eq!(kind(&hello([3, 1])), Some(io::ErrorKind::Unsupported));
        assert_eq!(kind(&hello([3, 2])), Some(io::ErrorKind::Unsupported));
        // An alert record is TLS, whatever follows.
        assert_eq!(kind(&[21, 3, 3, 0, 2, 2, 40, 0, 0, 0, 0]), None);
    }
}
