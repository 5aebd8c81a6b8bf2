//! Listening sockets below any mode: binding an address (TCP with
//! HAProxy's backlog, unix, inherited `fd@<n>`), each worker's own copy of
//! a bound socket, accepting, and the accept loop of the proxy's own
//! sockets (stats sockets, local peer addresses).
//!
//! Nothing here knows TCP or HTTP mode, so the CLI and peers can listen
//! without depending on the frontends' stream code ([`super`]).

use std::io;
use std::os::unix::net::UnixListener as StdUnixListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{watch, Semaphore};

use crate::config::BindAddr;
use crate::connection::{Connection, Target, Transport};
use crate::state::State;
use crate::stream::live::{self, LiveInfo, LiveStream};

/// A bound listening socket, not yet tied to an event loop.
#[derive(Debug)]
pub enum BoundSocket {
    Tcp(std::net::TcpListener),
    Unix(StdUnixListener, PathBuf),
}

/// A TCP listening socket with HAProxy's backlog (the frontend's maxconn)
/// rather than std's fixed 128, so a burst of connections waits in the
/// kernel instead of being retried by the clients.
fn bind_tcp(addr: std::net::SocketAddr, backlog: u32) -> io::Result<std::net::TcpListener> {
    // tokio's socket builder needs a reactor for the final step; a
    // throw-away one is enough since the socket is handed back as std.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async {
        let sock = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        sock.set_reuseaddr(true)?;
        // As HAProxy on Linux: a new process (`-sf`) binds the ports the
        // old one still listens on, so a reload refuses no connection.
        sock.set_reuseport(true)?;
        sock.bind(addr)?;
        sock.listen(backlog)?.into_std()
    })
}

pub(crate) fn bind_one(addr: &BindAddr, backlog: u32) -> io::Result<BoundSocket> {
    match addr {
        BindAddr::Tcp(a) => Ok(BoundSocket::Tcp(bind_tcp(*a, backlog)?)),
        BindAddr::Unix(path) => {
            // A stale socket file from an earlier run would make bind fail.
            if std::fs::symlink_metadata(path)
                .map(|m| is_socket(&m))
                .unwrap_or(false)
            {
                let _ = std::fs::remove_file(path);
            }
            Ok(BoundSocket::Unix(
                StdUnixListener::bind(path)?,
                path.clone(),
            ))
        }
        BindAddr::Fd(n) => {
            let fd = crate::sys::adopt_fd(*n)?;
            let tcp = std::net::TcpListener::from(fd);
            // getsockname tells the family: an AF_UNIX socket is not an
            // internet address, so std refuses to convert it.
            if tcp.local_addr().is_ok() {
                Ok(BoundSocket::Tcp(tcp))
            } else {
                let fd = std::os::fd::OwnedFd::from(tcp);
                Ok(BoundSocket::Unix(StdUnixListener::from(fd), PathBuf::new()))
            }
        }
    }
}

fn is_socket(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    m.file_type().is_socket()
}

/// A listening socket as one worker's event loop sees it (also used by
/// the stats socket's loops).
pub(crate) enum LoopListener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl LoopListener {
    /// The address every connection accepted here arrives on, when the
    /// socket is bound to one (not a wildcard): accepted connections then
    /// know their destination without a `getsockname` each.
    pub(crate) fn fixed_local_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            LoopListener::Tcp(l) => l.local_addr().ok().filter(|a| !a.ip().is_unspecified()),
            LoopListener::Unix(_) => None,
        }
    }
}

impl BoundSocket {
    /// A copy of the socket registered in the calling thread's runtime.
    pub(crate) fn for_this_thread(&self) -> io::Result<LoopListener> {
        match self {
            BoundSocket::Tcp(l) => {
                let l = l.try_clone()?;
                l.set_nonblocking(true)?;
                Ok(LoopListener::Tcp(TcpListener::from_std(l)?))
            }
            BoundSocket::Unix(l, _) => {
                let l = l.try_clone()?;
                l.set_nonblocking(true)?;
                Ok(LoopListener::Unix(UnixListener::from_std(l)?))
            }
        }
    }
}

/// Accepts one connection (TCP connections get `TCP_NODELAY`).
pub(crate) async fn accept(
    l: &LoopListener,
) -> io::Result<(Transport, Option<std::net::SocketAddr>)> {
    match l {
        LoopListener::Tcp(l) => {
            let (s, peer) = l.accept().await?;
            // A connection reset while it waited in the backlog refuses
            // the option; it is still served (and logged) as 2.6 does, its
            // first read telling of the reset.
            let _ = s.set_nodelay(true);
            Ok((Transport::Tcp(s), Some(peer)))
        }
        LoopListener::Unix(l) => {
            let (s, _) = l.accept().await?;
            Ok((Transport::Unix(s), None))
        }
    }
}

/// A connection accepted by [`control_accept_loop`]: its connection object
/// and its live record, ready to be served.
pub(crate) struct Accepted {
    pub conn: Box<Connection>,
    pub live: Arc<LiveStream>,
}

/// The accept loop of the proxy's own sockets (stats sockets, local peer
/// addresses), until `stop`: each connection is admitted by `limit` (if
/// any), gets a connection object from the pool (none: closed at once,
/// rule 1) and a live record under `listener_id` with no frontend
/// (`GLOBAL` in `show sess`), then goes to `serve` with its permit.
pub(crate) async fn control_accept_loop(
    st: Arc<State>,
    sock: LoopListener,
    mut stop: watch::Receiver<bool>,
    listener_id: u32,
    limit: Option<Arc<Semaphore>>,
    what: String,
    mut serve: impl FnMut(Accepted, Option<tokio::sync::OwnedSemaphorePermit>),
) {
    loop {
        let permit = match &limit {
            Some(l) => tokio::select! {
                p = l.clone().acquire_owned() => match p {
                    Ok(p) => Some(p),
                    Err(_) => return,
                },
                _ = stop.changed() => return,
            },
            None => None,
        };
        let accepted = tokio::select! {
            r = accept(&sock) => r,
            _ = stop.changed() => return,
        };
        let (transport, peer) = match accepted {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!("accept failed on {what}: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Rule 1: no connection object, the socket is closed.
        let Ok(mut conn) = crate::idle::alloc_connection(&st.pools.connection) else {
            continue;
        };
        conn.target = Target::Listener(live::NONE, listener_id as usize);
        conn.from = peer;
        conn.transport = transport;
        let local = conn.dst();
        let proto = match peer {
            Some(a) if a.is_ipv4() => "tcpv4",
            Some(_) => "tcpv6",
            None => "unix_stream",
        };
        let live = st.live.register(LiveInfo {
            fe: live::NONE,
            listener_id,
            proto,
            src: peer,
            local,
        });
        serve(Accepted { conn, live }, permit);
    }
}
