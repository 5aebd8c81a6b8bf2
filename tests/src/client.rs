//! Client-side helpers: blocking std sockets with timeouts everywhere.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::util::{local, Fnv64};

/// Default read/write timeout for test clients.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn prepare(s: TcpStream) -> TcpStream {
    s.set_nodelay(true).expect("nodelay");
    s.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
    s.set_write_timeout(Some(IO_TIMEOUT))
        .expect("write timeout");
    s
}

/// Connects to 127.0.0.1:`port` (2 s connect timeout), with I/O timeouts.
pub fn connect(port: u16) -> TcpStream {
    match TcpStream::connect_timeout(&local(port), Duration::from_secs(2)) {
        Ok(s) => prepare(s),
        Err(e) => panic!("connect to 127.0.0.1:{port}: {e}"),
    }
}

/// Connects from source address `src` (any 127.x.y.z works on loopback).
pub fn connect_from(src: Ipv4Addr, port: u16) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .expect("runtime");
    let s = rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().expect("socket");
        sock.bind(SocketAddr::from((src, 0))).expect("bind source");
        let fut = sock.connect(local(port));
        match tokio::time::timeout(Duration::from_secs(2), fut).await {
            Ok(Ok(s)) => s.into_std().expect("into_std"),
            Ok(Err(e)) => panic!("connect from {src} to port {port}: {e}"),
            Err(_) => panic!("connect from {src} to port {port}: timeout"),
        }
    });
    s.set_nonblocking(false).expect("blocking");
    prepare(s)
}

/// The local (client) port of a connection: the key to its log line.
pub fn client_port(s: &TcpStream) -> u16 {
    s.local_addr().expect("local addr").port()
}

/// Reads one `\n`-terminated line (without the `\n`).
pub fn read_line(s: &mut TcpStream, timeout: Duration) -> std::io::Result<String> {
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        s.set_read_timeout(Some(left))?;
        match s.read(&mut b) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(_) if b[0] == b'\n' => break,
            Ok(_) => out.push(b[0]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Err(ErrorKind::TimedOut.into()),
            Err(e) => return Err(e),
        }
    }
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Connects, reads the banner line (the server's name) and closes.
pub fn banner_of(port: u16) -> String {
    let mut s = connect(port);
    let name = read_line(&mut s, Duration::from_secs(5)).expect("banner");
    let _ = s.shutdown(Shutdown::Write);
    name
}

/// Reads until EOF. Errors on reset or when `timeout` passes.
pub fn read_to_eof(s: &mut TcpStream, timeout: Duration) -> std::io::Result<Vec<u8>> {
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        s.set_read_timeout(Some(left))?;
        match s.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Err(ErrorKind::TimedOut.into()),
            Err(e) => return Err(e),
        }
    }
}

/// How a connection ended, seen from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Orderly EOF (FIN), after `n` bytes of data were read.
    Eof(usize),
    /// Reset (or another read error).
    Reset(usize),
}

/// Reads and discards until the connection ends; returns how and after how
/// long, or `None` if it is still open after `timeout`.
pub fn wait_closed(s: &mut TcpStream, timeout: Duration) -> Option<(Closed, Duration)> {
    let start = Instant::now();
    let mut n = 0usize;
    let mut buf = vec![0u8; 65536];
    loop {
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            return None;
        }
        let _ = s.set_read_timeout(Some(left));
        match s.read(&mut buf) {
            Ok(0) => return Some((Closed::Eof(n), start.elapsed())),
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None
            }
            Err(_) => return Some((Closed::Reset(n), start.elapsed())),
        }
    }
}

/// True if nothing arrives (and the connection stays open) for `d`.
pub fn quiet_for(s: &mut TcpStream, d: Duration) -> bool {
    let _ = s.set_read_timeout(Some(d));
    let mut b = [0u8; 1];
    let r = match s.read(&mut b) {
        Err(e) => matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        Ok(_) => false,
    };
    let _ = s.set_read_timeout(Some(IO_TIMEOUT));
    r
}

/// Sends `data` from a writer thread (then half-closes if `shut`) while this
/// thread reads until EOF: returns what was read. Both directions run
/// concurrently so large payloads cannot deadlock on full buffers.
pub fn exchange(s: &mut TcpStream, data: Vec<u8>, shut: bool, timeout: Duration) -> Vec<u8> {
    let mut w = s.try_clone().expect("clone");
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        w.write_all(&data)?;
        if shut {
            w.shutdown(Shutdown::Write)?;
        }
        Ok(())
    });
    let got = read_to_eof(s, timeout);
    let wr = writer.join().expect("writer thread");
    wr.expect("client write");
    got.expect("client read")
}

/// Echo round trip: writes `msg`, expects it back.
pub fn echo_roundtrip(s: &mut TcpStream, msg: &[u8]) {
    s.write_all(msg).expect("write");
    let mut back = vec![0u8; msg.len()];
    s.read_exact(&mut back).expect("read echo");
    assert_eq!(back, msg, "echo mismatch");
}

/// Checksum helper for assertions.
pub fn sum(data: &[u8]) -> Fnv64 {
    Fnv64::of(data)
}
