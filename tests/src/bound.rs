//! Listening sockets the test binds itself and the proxy inherits.
//!
//! Picking a free port number and letting the proxy bind it races: between
//! the pick and the proxy's `bind`, anything on the machine may take the
//! port. A [`BoundPort`] cannot race: the test binds `127.0.0.1:0` (the
//! kernel picks a port nobody holds), listens, and hands the socket to the
//! proxy as an inherited descriptor, which the configuration names with
//! `bind fd@<n>` (HAProxy 2.6 and our proxy both support it).
//!
//! ```no_run
//! use tests::{BoundPort, Proxy};
//! let fe = BoundPort::new();
//! let cfg = format!("frontend f\n    bind {fe}\n    default_backend b\n...");
//! let px = Proxy::builder(&cfg).listen(&fe).start();
//! let client = tests::client::connect(fe.port);
//! ```
//!
//! The descriptor keeps its number in the child (the number it has in the
//! test process, which no other open descriptor of the process can have),
//! and its close-on-exec flag is cleared in the child only, by
//! `command-fds` between fork and exec. Once the proxy is spawned, the
//! test's copy is closed: the proxy alone holds the socket, so when it stops
//! listening, connections are refused as with a port it bound itself.

use std::cell::RefCell;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::process::Command;

use command_fds::{CommandFdExt, FdMapping};

use crate::util::local;

/// A listening socket on `127.0.0.1:<port>`, bound by the test, to hand to
/// one proxy run with [`crate::ProxyBuilder::listen`].
///
/// `Display` gives the `bind` address for the configuration: `fd@<n>`.
#[derive(Debug)]
pub struct BoundPort {
    /// The port clients connect to.
    pub port: u16,
    /// The descriptor number, here and in the proxy.
    fd: RawFd,
    /// The socket's inode, to recognise it in the proxy's event loop.
    inode: u64,
    /// The test's copy, until a proxy run takes it.
    sock: RefCell<Option<OwnedFd>>,
}

impl BoundPort {
    /// Binds and listens on `127.0.0.1:0` (std's backlog of 128, enough for
    /// every test: our proxy and HAProxy both keep the backlog of a socket
    /// that already listens).
    pub fn new() -> BoundPort {
        let l = TcpListener::bind(local(0)).expect("bind 127.0.0.1:0");
        let port = l.local_addr().expect("local_addr").port();
        let fd = l.as_raw_fd();
        let inode = socket_inode(fd);
        BoundPort {
            port,
            fd,
            inode,
            sock: RefCell::new(Some(OwnedFd::from(l))),
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        local(self.port)
    }

    /// The descriptor number the proxy inherits it under.
    pub fn fd(&self) -> RawFd {
        self.fd
    }

    /// The `bind` address: `fd@<n>` (also what `Display` prints).
    pub fn bind(&self) -> String {
        format!("fd@{}", self.fd)
    }

    /// Hands the socket to a command the test spawns itself (rather than
    /// through [`crate::ProxyBuilder::listen`]), at its number; the test's
    /// copy goes with the command (dropped with it after the spawn).
    pub fn pass_to(&self, cmd: &mut Command) {
        let (child_fd, parent_fd, _) = self.take();
        cmd.fd_mappings(vec![FdMapping {
            parent_fd,
            child_fd,
        }])
        .expect("one descriptor per number");
    }

    /// Takes the socket for a proxy run: (number, socket, inode).
    pub(crate) fn take(&self) -> (RawFd, OwnedFd, u64) {
        let sock = self.sock.borrow_mut().take().unwrap_or_else(|| {
            panic!(
                "BoundPort {} (port {}) was already handed to a proxy: a socket can be inherited by one run only",
                self.bind(),
                self.port
            )
        });
        (self.fd, sock, self.inode)
    }
}

impl Default for BoundPort {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for BoundPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fd@{}", self.fd)
    }
}

/// The inode of an open socket of this process (`socket:[<inode>]`).
fn socket_inode(fd: RawFd) -> u64 {
    let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).expect("readlink fd");
    let t = target.to_string_lossy();
    t.strip_prefix("socket:[")
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("fd {fd} is not a socket: {t}"))
}

/// A port on 127.0.0.1 where nothing listens and nothing can start to: a
/// socket bound to it without `SO_REUSEADDR` and never listening, so a
/// connection is refused (RST) and no other process can bind the port
/// while this value lives. For "the server is down" addresses.
#[derive(Debug)]
pub struct ClosedPort {
    pub port: u16,
    _sock: tokio::net::TcpSocket,
}

impl ClosedPort {
    pub fn new() -> ClosedPort {
        let sock = tokio::net::TcpSocket::new_v4().expect("socket");
        sock.bind(local(0)).expect("bind 127.0.0.1:0");
        let port = sock.local_addr().expect("local_addr").port();
        ClosedPort { port, _sock: sock }
    }
}

impl Default for ClosedPort {
    fn default() -> Self {
        Self::new()
    }
}
