//! A connection: a socket-to-be with its addresses and target.
//!
//! A [`Connection`] exists before its socket does: the server side of a
//! stream gets one the first time something needs its address (see
//! [`crate::stream::StreamInterface::alloc_conn`]), the address is written
//! into it, and only then is a socket connected. Retries reuse the same
//! object, so the address survives them. Dropping a connection closes its
//! socket and gives its slot back to the pool.

use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use tokio::net::{TcpStream, UnixStream};

use crate::pool::PoolSlot;
use crate::tls::conn::{TlsCell, TlsStream};

/// What a connection is for (HAProxy's `conn->target`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Target {
    #[default]
    None,
    /// An accepting listener: `(proxy index, listener index)`.
    Listener(usize, usize),
    /// A server of a backend: `(proxy index, server index)`.
    Server(usize, usize),
    /// A backend without a server (dispatch, transparent, http_proxy).
    Proxy(usize),
}

/// The socket under a connection, once there is one.
#[derive(Debug, Default)]
pub enum Transport {
    /// No socket yet (or it was closed after a failed attempt).
    #[default]
    None,
    Tcp(TcpStream),
    Unix(UnixStream),
    /// TLS over TCP (an `ssl` bind or server).
    Tls(Box<TlsStream>),
}

impl Transport {
    pub fn is_none(&self) -> bool {
        matches!(self, Transport::None)
    }

    /// The protocol name `show sess` prints.
    pub fn proto_name(&self, addr: Option<&SocketAddr>) -> &'static str {
        match (self, addr) {
            (Transport::Unix(_), _) => "unix_stream",
            (_, Some(SocketAddr::V6(_))) => "tcpv6",
            _ => "tcpv4",
        }
    }

    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Transport::Tcp(s) => s.poll_read_ready(cx),
            Transport::Unix(s) => s.poll_read_ready(cx),
            Transport::Tls(s) => s.poll_read_ready(cx),
            Transport::None => Poll::Ready(Err(not_connected())),
        }
    }

    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Transport::Tcp(s) => s.poll_write_ready(cx),
            Transport::Unix(s) => s.poll_write_ready(cx),
            Transport::Tls(s) => s.poll_write_ready(cx),
            Transport::None => Poll::Ready(Err(not_connected())),
        }
    }

    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Tcp(s) => s.try_read(buf),
            Transport::Unix(s) => s.try_read(buf),
            Transport::Tls(s) => s.try_read(buf),
            Transport::None => Err(not_connected()),
        }
    }

    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Tcp(s) => s.try_write(buf),
            Transport::Unix(s) => s.try_write(buf),
            Transport::Tls(s) => s.try_write(buf),
            Transport::None => Err(not_connected()),
        }
    }

    /// Reads into the spare capacity of `buf`, appending; `Ok(0)` is
    /// end-of-stream. The spare capacity is not initialised first, so a
    /// buffer's untouched pages stay out of memory.
    pub fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Vec<u8>,
    ) -> Poll<io::Result<usize>> {
        if let Transport::Tls(s) = self {
            return s.poll_read(cx, buf);
        }
        loop {
            match self.poll_read_ready(cx) {
                Poll::Ready(Ok(())) => {}
                other => return other.map_ok(|()| 0),
            }
            let room = buf.capacity() - buf.len();
            let read = match self {
                Transport::Tcp(s) => s.try_read_buf(buf),
                Transport::Unix(s) => s.try_read_buf(buf),
                Transport::Tls(_) | Transport::None => Err(not_connected()),
            };
            match read {
                // Readiness was stale: tokio cleared it, wait again.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Ok(n) if n > 0 && n < room => {
                    self.drained();
                    return Poll::Ready(Ok(n));
                }
                other => return Poll::Ready(other),
            }
        }
    }

    /// A read returned less than it had room for: the socket's queue is
    /// empty, so its read readiness is dropped now (as tokio's own
    /// `poll_read` does) instead of by one more read that would find
    /// nothing. A close or an error already seen stays reported, and
    /// bytes arriving later raise readiness again.
    fn drained(&self) {
        let nothing = || Err::<(), _>(io::Error::from(io::ErrorKind::WouldBlock));
        let _ = match self {
            Transport::Tcp(s) => s.try_io(tokio::io::Interest::READABLE, nothing),
            Transport::Unix(s) => s.try_io(tokio::io::Interest::READABLE, nothing),
            Transport::Tls(_) | Transport::None => Ok(()),
        };
    }

    pub fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        use tokio::io::AsyncWrite;
        match self {
            Transport::Tcp(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            Transport::Unix(s) => std::pin::Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => match s.poll_write_ready(cx) {
                Poll::Ready(Ok(())) => Poll::Ready(s.try_write(buf)),
                other => other.map_ok(|()| 0),
            },
            Transport::None => Poll::Ready(Err(not_connected())),
        }
    }

    /// Sends a FIN: the peer reads end-of-stream, the other direction stays
    /// open (half-close).
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        use tokio::io::AsyncWrite;
        // tokio's shutdown of a socket completes at once (it is a plain
        // shutdown(SHUT_WR)), so a no-op waker is enough to drive it.
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let res = match self {
            Transport::Tcp(s) => std::pin::Pin::new(s).poll_shutdown(&mut cx),
            Transport::Unix(s) => std::pin::Pin::new(s).poll_shutdown(&mut cx),
            Transport::Tls(s) => return s.shutdown_write(),
            Transport::None => return Ok(()),
        };
        match res {
            Poll::Ready(r) => r,
            Poll::Pending => Ok(()),
        }
    }

    /// The local address of the socket (the destination a client reached).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match self {
            Transport::Tcp(s) => s.local_addr().ok(),
            Transport::Tls(s) => s.socket().and_then(|s| s.local_addr().ok()),
            _ => None,
        }
    }

    pub fn raw_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self {
            Transport::Tcp(s) => s.as_raw_fd(),
            Transport::Unix(s) => s.as_raw_fd(),
            Transport::Tls(s) => s.socket().map_or(-1, |s| s.as_raw_fd()),
            Transport::None => -1,
        }
    }
}

fn not_connected() -> io::Error {
    io::Error::from(io::ErrorKind::NotConnected)
}

/// A connection object, owned by exactly one endpoint.
#[derive(Debug)]
pub struct Connection {
    /// Source address; `None` until set.
    pub from: Option<SocketAddr>,
    /// Destination address; `None` until set.
    pub to: Option<SocketAddr>,
    pub target: Target,
    pub transport: Transport,
    /// Counts this connection in its server's connections in use while it
    /// serves a stream (set once connected, dropped when it is closed or
    /// parked idle).
    pub in_use: Option<crate::backend::conns::InUse>,
    /// The session's variables set by `tcp-request connection` rules,
    /// until the client's stream takes them over.
    pub sess_vars: Option<Box<crate::sample::vars::VarStore>>,
    /// Taken back from the idle pool at least once: it has served more
    /// than one request (a "safe" idle connection when parked again).
    pub reused: bool,
    /// The SNI a server connection was made with: only a request wanting
    /// the same one may reuse it (as 2.6 hashes the SNI into idle
    /// connections' keys).
    pub sni: Option<Box<str>>,
    /// The PROXY header the client connection started with (`accept-proxy`
    /// or `expect-proxy`), for the `fc_pp_*` fetches.
    pub pp: Option<std::sync::Arc<crate::proxy_proto::Header>>,
    /// The PROXY header a server connection began with: only a stream
    /// whose header would be the same may reuse it (as 2.6 hashes it into
    /// idle connections' keys).
    pub pp_sent: Option<Box<[u8]>>,
    _slot: PoolSlot,
}

impl Connection {
    /// Makes a connection from a pool slot: no socket, no address yet.
    pub fn new(slot: PoolSlot) -> Connection {
        Connection {
            from: None,
            to: None,
            target: Target::None,
            transport: Transport::None,
            in_use: None,
            sess_vars: None,
            reused: false,
            sni: None,
            pp: None,
            pp_sent: None,
            _slot: slot,
        }
    }

    /// The destination address, read from the socket the first time it is
    /// needed (accept does not pay for a `getsockname` nobody uses).
    pub fn dst(&mut self) -> Option<SocketAddr> {
        if self.to.is_none() {
            self.to = self.transport.local_addr();
        }
        self.to
    }

    /// The cell holding the connection's TLS facts, when it carries TLS
    /// (empty until its handshake is done).
    pub fn tls_cell(&self) -> Option<TlsCell> {
        match &self.transport {
            Transport::Tls(t) => Some(t.info_cell()),
            _ => None,
        }
    }

    /// Closes the socket but keeps the object and its addresses, as a failed
    /// connect attempt does before a retry.
    pub fn close_transport(&mut self) {
        self.transport = Transport::None;
        self.in_use = None;
    }
}
