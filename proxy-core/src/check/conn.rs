//! The connection of a check: a real pool connection (its slot held for
//! the check's life, a failed take is HAProxy's resource error), bound to
//! the configured source, TLS over it when the server's checks use it,
//! with reads into a buffer that never grows past `tune.bufsize` and
//! every wait bounded by the check's deadline.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use tokio::net::TcpSocket;

use rustls::pki_types::ServerName;

use crate::connection::{Connection, Transport};
use crate::pool::{AllocError, Pool};
use crate::tls_client::{handshake, CheckTls};

/// HAProxy's `tune.bufsize`: a check reads at most this much.
pub(super) const BUFSIZE: usize = 16384;

/// How a wait ended.
pub(super) enum Io<T> {
    Done(T),
    Failed(io::Error),
    Expired,
}

/// A check connection and the socket under it.
pub(super) struct CheckConn {
    conn: Connection,
    linger: bool,
}

/// `strerror()` text for an I/O error ("Connection refused"), as HAProxy
/// reports it; a TLS error after the handshake (an alert, a bad record)
/// is HAProxy's "SSL fatal error"; other errors without an errno use
/// Rust's text.
pub(super) fn strerror(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        // Only the TLS layer reports bad data: sockets do not.
        None if e.kind() == io::ErrorKind::InvalidData => "SSL fatal error".to_string(),
        None => e.to_string(),
    }
}

/// Runs `f` until `deadline`.
async fn until<T>(deadline: Instant, f: impl std::future::Future<Output = io::Result<T>>) -> Io<T> {
    match tokio::time::timeout_at(deadline.into(), f).await {
        Ok(Ok(v)) => Io::Done(v),
        Ok(Err(e)) => Io::Failed(e),
        Err(_) => Io::Expired,
    }
}

impl CheckConn {
    /// Takes the pool slot: the object exists before its socket, as in
    /// HAProxy (a refusal here is `SOCKERR`, not a connection error).
    pub(super) fn alloc(
        pool: &std::sync::Arc<Pool>,
        to: SocketAddr,
    ) -> Result<CheckConn, AllocError> {
        let mut conn = Connection::new(pool.take()?);
        conn.to = Some(to);
        Ok(CheckConn {
            conn,
            linger: false,
        })
    }

    /// Connects from `source` (if any) before `deadline`. `Err` carries
    /// whether the socket could be set up at all (false: an error before
    /// any connection attempt).
    pub(super) async fn connect(
        &mut self,
        source: Option<SocketAddr>,
        deadline: Instant,
        linger: bool,
    ) -> Result<(), (bool, Io<()>)> {
        let Some(to) = self.conn.to else {
            return Err((
                false,
                Io::Failed(io::Error::from(io::ErrorKind::AddrNotAvailable)),
            ));
        };
        let sock = if to.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        };
        let sock = sock.map_err(|e| (false, Io::Failed(e)))?;
        if let Some(src) = source {
            sock.bind(src).map_err(|e| (false, Io::Failed(e)))?;
        }
        match until(deadline, sock.connect(to)).await {
            Io::Done(stream) => {
                // Small writes go out at once (HAProxy sends checks whole).
                let _ = stream.set_nodelay(true);
                self.conn.transport = Transport::Tcp(stream);
                self.linger = linger;
                Ok(())
            }
            Io::Failed(e) => Err((true, Io::Failed(e))),
            Io::Expired => Err((true, Io::Expired)),
        }
    }

    /// Runs the TLS handshake over the connected socket before
    /// `deadline`; the check goes on over TLS.
    pub(super) async fn start_tls(&mut self, tls: &CheckTls, deadline: Instant) -> Io<()> {
        let Transport::Tcp(sock) = std::mem::take(&mut self.conn.transport) else {
            return Io::Failed(io::Error::from(io::ErrorKind::NotConnected));
        };
        let Some(to) = self.conn.to else {
            return Io::Failed(io::Error::from(io::ErrorKind::NotConnected));
        };
        let name = tls
            .name
            .clone()
            .unwrap_or(ServerName::IpAddress(to.ip().into()));
        match until(deadline, handshake(sock, tls.config.clone(), name)).await {
            Io::Done(s) => {
                self.conn.transport = Transport::Tls(Box::new(s));
                Io::Done(())
            }
            Io::Failed(e) => Io::Failed(e),
            Io::Expired => Io::Expired,
        }
    }

    /// Whether the check runs over TLS.
    pub(super) fn is_tls(&self) -> bool {
        matches!(self.conn.transport, Transport::Tls(_))
    }

    /// The local address, asked of the socket only when a format needs it
    /// (one system call saved on every check).
    pub(super) fn local(&self) -> Option<SocketAddr> {
        self.conn.from.or_else(|| self.conn.transport.local_addr())
    }

    pub(super) fn peer(&self) -> Option<SocketAddr> {
        self.conn.to
    }

    /// Writes all of `data` before `deadline`.
    pub(super) async fn write_all(&mut self, mut data: &[u8], deadline: Instant) -> Io<()> {
        while !data.is_empty() {
            let t = &mut self.conn.transport;
            match until(deadline, poll_fn(|cx| t.poll_write(cx, data))).await {
                Io::Done(0) => return Io::Failed(io::Error::from(io::ErrorKind::WriteZero)),
                Io::Done(n) => data = &data[n.min(data.len())..],
                Io::Failed(e) => return Io::Failed(e),
                Io::Expired => return Io::Expired,
            }
        }
        Io::Done(())
    }

    /// Reads what arrives into `buf`, never past [`BUFSIZE`] (the reads
    /// go into its spare capacity, which is sized for that); `Done(0)` is
    /// the end of the stream. `buf` must not be full.
    pub(super) async fn read(&mut self, buf: &mut Vec<u8>, deadline: Instant) -> Io<usize> {
        if buf.capacity() < BUFSIZE {
            buf.reserve_exact(BUFSIZE - buf.len());
        }
        let t = &mut self.conn.transport;
        let r = until(deadline, poll_fn(|cx| t.poll_read(cx, buf))).await;
        buf.truncate(BUFSIZE);
        r
    }
}

impl Drop for CheckConn {
    fn drop(&mut self) {
        // HAProxy closes check connections with a reset unless the rule
        // says `linger` (some servers log resets).
        if !self.linger {
            let sock = match &self.conn.transport {
                Transport::Tcp(s) => Some(s),
                Transport::Tls(s) => s.socket(),
                _ => None,
            };
            if let Some(s) = sock {
                let _ = s.set_zero_linger();
            }
        }
    }
}
