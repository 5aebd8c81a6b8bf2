//! A TLS connection over a TCP socket: rustls's sans-io state machine
//! driven by the socket's readiness, in the same shape as a plain socket
//! (readiness, then a non-blocking read or write, and a half-close), so
//! the one data path moves bytes through it unchanged.
//!
//! Encrypted output rustls has produced but the socket did not take yet is
//! "pending". While anything is pending a write is refused (`WouldBlock`)
//! and write readiness waits for the socket, so a slow reader pushes back
//! exactly as with a plain socket. Waiting for read readiness also flushes
//! pending output, so the last bytes of a response go out while the stream
//! waits for the next request. A connection dropped with output still
//! pending hands it to a short-lived task that flushes it (bounded in
//! time) before closing: the kernel would have kept a plain socket's bytes
//! too.

use std::io::{self, Read, Write};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::Connection;
use tokio::net::TcpStream;

/// How long a dropped connection may take to flush what it still holds.
const LINGER: Duration = Duration::from_secs(10);

/// A TCP socket carrying TLS.
pub struct TlsStream {
    /// Always `Some` until drop hands it to the linger task.
    inner: Option<Inner>,
}

struct Inner {
    sock: TcpStream,
    tls: Mutex<TlsState>,
}

struct TlsState {
    conn: Connection,
    /// Decrypted bytes waiting to be read.
    plain: usize,
    /// The peer sent close_notify or the socket reached end-of-stream.
    peer_closed: bool,
    /// A fatal TLS error: reads report it.
    failed: Option<String>,
    /// `shutdown_write` was called: a FIN follows the pending output.
    shut: bool,
    /// The FIN was sent.
    fin_sent: bool,
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsStream")
    }
}

/// `io::Read` over a socket's non-blocking reads, for `read_tls`.
struct SockRead<'a>(&'a TcpStream);

impl Read for SockRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

/// `io::Write` over a socket's non-blocking writes, for `write_tls`.
struct SockWrite<'a>(&'a TcpStream);

impl Write for SockWrite<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn closed() -> io::Error {
    io::Error::from(io::ErrorKind::NotConnected)
}

impl TlsState {
    /// Writes pending output to the socket; `Ok(true)` once nothing is
    /// left (and the FIN is sent if one is due).
    fn flush(&mut self, sock: &TcpStream) -> io::Result<bool> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut SockWrite(sock)) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        if self.shut && !self.fin_sent {
            self.fin_sent = true;
            let _ = socket_shutdown_write(sock);
        }
        Ok(true)
    }

    /// Feeds what the socket holds to rustls; `Ok(false)` when the socket
    /// had nothing (its readiness is then cleared).
    fn receive(&mut self, sock: &TcpStream) -> io::Result<bool> {
        match self.conn.read_tls(&mut SockRead(sock)) {
            Ok(0) => self.peer_closed = true,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(e),
        }
        match self.conn.process_new_packets() {
            Ok(st) => {
                self.plain = st.plaintext_bytes_to_read();
                self.peer_closed |= st.peer_has_closed();
            }
            Err(e) => {
                // The alert rustls queued is worth a try; the error stands.
                let _ = self.flush(sock);
                self.failed = Some(e.to_string());
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        }
        // Handshake messages after the handshake (tickets, key updates)
        // leave at once when they can; pending ones go with the next flush.
        let _ = self.flush(sock);
        Ok(true)
    }

    /// Copies decrypted bytes into `out`; `None` when there are none yet.
    fn read_plain(&mut self, out: &mut [u8]) -> Option<io::Result<usize>> {
        if let Some(e) = &self.failed {
            return Some(Err(io::Error::new(io::ErrorKind::InvalidData, e.clone())));
        }
        match self.conn.reader().read(out) {
            Ok(n) => {
                self.plain = self.plain.saturating_sub(n);
                Some(Ok(n))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
            // End-of-stream without close_notify: a close all the same, as
            // HAProxy treats it.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Some(Ok(0)),
            Err(e) => Some(Err(e)),
        }
    }

    fn readable(&self) -> bool {
        self.plain > 0 || self.peer_closed || self.failed.is_some()
    }
}

/// A FIN after the last record (tokio's shutdown wants the socket
/// exclusively, the TLS state only has it shared).
fn socket_shutdown_write(sock: &TcpStream) -> io::Result<()> {
    use std::os::fd::AsFd;
    rustix::net::shutdown(sock.as_fd(), rustix::net::Shutdown::Write).map_err(io::Error::from)
}

impl TlsStream {
    /// Wraps a socket whose handshake rustls has completed (or will
    /// complete: handshake records are driven like any others).
    pub fn new(sock: TcpStream, conn: impl Into<Connection>) -> TlsStream {
        let mut st = TlsState {
            conn: conn.into(),
            plain: 0,
            peer_closed: false,
            failed: None,
            shut: false,
            fin_sent: false,
        };
        // Application data that arrived with the handshake's last flight
        // is already decrypted: note it so readiness reports it.
        if let Ok(io) = st.conn.process_new_packets() {
            st.plain = io.plaintext_bytes_to_read();
            st.peer_closed = io.peer_has_closed();
        }
        TlsStream {
            inner: Some(Inner {
                sock,
                tls: Mutex::new(st),
            }),
        }
    }

    fn parts(&self) -> io::Result<(&TcpStream, MutexGuard<'_, TlsState>)> {
        let inner = self.inner.as_ref().ok_or_else(closed)?;
        // One task owns a stream: the lock is never contended, and a
        // poisoned one still holds a consistent rustls state.
        let g = inner.tls.lock().unwrap_or_else(|e| e.into_inner());
        Ok((&inner.sock, g))
    }

    /// The socket under the TLS layer.
    pub fn socket(&self) -> Option<&TcpStream> {
        self.inner.as_ref().map(|i| &i.sock)
    }

    /// Runs `f` on the rustls connection (for the TLS fetches).
    pub fn with_conn<R>(&self, f: impl FnOnce(&Connection) -> R) -> Option<R> {
        let (_, g) = self.parts().ok()?;
        Some(f(&g.conn))
    }

    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let (sock, mut st) = self.parts()?;
        if st.readable() {
            return Poll::Ready(Ok(()));
        }
        // Output still pending goes out while the stream waits to read; if
        // the socket is full, its write readiness wakes this wait too.
        if !st.flush(sock)? {
            let _ = sock.poll_write_ready(cx);
        }
        sock.poll_read_ready(cx)
    }

    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let (sock, mut st) = self.parts()?;
        loop {
            if st.flush(sock)? {
                return Poll::Ready(Ok(()));
            }
            match sock.poll_write_ready(cx) {
                Poll::Ready(Ok(())) => continue,
                other => return other,
            }
        }
    }

    /// Reads decrypted bytes into `out` without waiting.
    pub fn try_read(&self, out: &mut [u8]) -> io::Result<usize> {
        let (sock, mut st) = self.parts()?;
        loop {
            if let Some(r) = st.read_plain(out) {
                return r;
            }
            if st.peer_closed {
                return Ok(0);
            }
            if !st.receive(sock)? {
                return Err(io::ErrorKind::WouldBlock.into());
            }
        }
    }

    /// Reads decrypted bytes into the spare capacity of `buf`, appending;
    /// `Ok(0)` is end-of-stream.
    pub fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Vec<u8>,
    ) -> Poll<io::Result<usize>> {
        let (sock, mut st) = self.parts()?;
        loop {
            if st.plain > 0 || st.peer_closed || st.failed.is_some() {
                let room = buf.capacity() - buf.len();
                let want = room.min(st.plain.max(1));
                let start = buf.len();
                buf.resize(start + want, 0);
                let r = st.read_plain(&mut buf[start..]);
                let got = match &r {
                    Some(Ok(n)) => *n,
                    _ => 0,
                };
                buf.truncate(start + got);
                match r {
                    Some(r) => return Poll::Ready(r),
                    None if st.peer_closed => return Poll::Ready(Ok(0)),
                    None => st.plain = 0,
                }
            }
            if !st.flush(sock)? {
                let _ = sock.poll_write_ready(cx);
            }
            match sock.poll_read_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
            // A stale readiness is cleared by the failed read: wait again.
            st.receive(sock)?;
        }
    }

    /// Encrypts as much of `data` as rustls takes; refuses while earlier
    /// output is still pending, so memory stays bounded.
    pub fn try_write(&self, data: &[u8]) -> io::Result<usize> {
        let (sock, mut st) = self.parts()?;
        if st.shut {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        if !st.flush(sock)? {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = st.conn.writer().write(data)?;
        if n == 0 && !data.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        st.flush(sock)?;
        Ok(n)
    }

    /// Sends close_notify, then a FIN once everything before it is out.
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        let (sock, mut st) = self.parts()?;
        if !st.shut {
            st.shut = true;
            st.conn.send_close_notify();
        }
        st.flush(sock).map(|_| ())
    }

    /// Whether output is still waiting for the socket.
    pub fn has_pending(&self) -> bool {
        self.parts().is_ok_and(|(_, st)| st.conn.wants_write())
    }
}

impl Drop for TlsStream {
    fn drop(&mut self) {
        let Some(mut inner) = self.inner.take() else {
            return;
        };
        let st = inner.tls.get_mut().unwrap_or_else(|e| e.into_inner());
        if st.failed.is_some() || !st.conn.wants_write() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        rt.spawn(async move {
            let flush = std::future::poll_fn(|cx| {
                let st = inner.tls.get_mut().unwrap_or_else(|e| e.into_inner());
                loop {
                    match st.flush(&inner.sock) {
                        Ok(true) | Err(_) => return Poll::Ready(()),
                        Ok(false) => {}
                    }
                    match inner.sock.poll_write_ready(cx) {
                        Poll::Ready(Ok(())) => continue,
                        Poll::Ready(Err(_)) => return Poll::Ready(()),
                        Poll::Pending => return Poll::Pending,
                    }
                }
            });
            let _ = tokio::time::timeout(LINGER, flush).await;
        });
    }
}
