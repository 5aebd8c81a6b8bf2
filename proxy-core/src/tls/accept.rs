//! The TLS handshake of an accepted connection, before its stream starts.
//!
//! The ClientHello is read first so the bind picks the certificate and the
//! option set for it ([`super::bind::BindTls::config_for`]); then rustls
//! completes the handshake and the socket becomes a [`TlsStream`]. A
//! failure ends the connection here, as HAProxy ends an embryonic
//! session, and is logged with HAProxy's words for it.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rustls::server::Acceptor;
use tokio::net::TcpStream;
use tokio_rustls::LazyConfigAcceptor;

use super::bind::BindTls;
use super::conn::TlsStream;

/// Why a handshake did not complete; each has HAProxy's log text.
#[derive(Debug)]
pub enum HandshakeError {
    /// The client closed before the handshake ended.
    Closed,
    /// `timeout client` passed during the handshake.
    Timeout,
    /// Not TLS, a protocol error, no acceptable certificate or version.
    Failed(String),
}

impl HandshakeError {
    /// The message HAProxy 2.6 logs for an embryonic session ended so.
    pub fn log_text(&self) -> &'static str {
        match self {
            HandshakeError::Closed => "Connection closed during SSL handshake",
            HandshakeError::Timeout => "Timeout during SSL handshake",
            HandshakeError::Failed(_) => "SSL handshake failure",
        }
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

fn classify(e: io::Error) -> HandshakeError {
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionAborted => HandshakeError::Closed,
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
    let hs = handshake(sock, tls);
    let res = match timeout {
        Some(t) => match tokio::time::timeout(t, hs).await {
            Ok(r) => r,
            Err(_) => Err(HandshakeError::Timeout),
        },
        None => hs.await,
    };
    match &res {
        Ok(s) => {
            let resumed = s
                .with_conn(|c| c.handshake_kind() == Some(rustls::HandshakeKind::Resumed))
                .unwrap_or(false);
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

async fn handshake(sock: TcpStream, tls: &BindTls) -> Result<TlsStream, HandshakeError> {
    let start = LazyConfigAcceptor::new(Acceptor::default(), sock)
        .await
        .map_err(classify)?;
    let Some(config) = tls.config_for(&start.client_hello()) else {
        return Err(HandshakeError::Failed(
            "no certificate for this name".into(),
        ));
    };
    let stream = start.into_stream(config).await.map_err(classify)?;
    let (sock, conn) = stream.into_inner();
    Ok(TlsStream::new(sock, conn))
}
