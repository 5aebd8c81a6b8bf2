//! Fake servers for health-check tests, whose behaviour the test switches at
//! run time ([`Faulty::set`]), counting the connections they receive.
//!
//! A [`Faulty`] owns a fixed port below the ephemeral range
//! ([`crate::util::free_port`]), so that it can stop listening
//! ([`Mode::Refuse`]: the listener is closed and the port refuses) and
//! listen again on the same port later. Every other mode accepts:
//!
//! - [`Mode::Close`]: accept, wait (200 ms at most) until the client sent
//!   something, close without reading it: the kernel answers with a reset
//!   (waiting makes that certain for checks that send a request);
//! - [`Mode::Eof`]: read the request, close cleanly without answering;
//! - [`Mode::Hang`]: accept, read and discard, never answer (until the peer
//!   closes, or [`CONN_LIFETIME`]);
//! - [`Mode::Http`]: answer each HTTP request whose target does not start
//!   with [`TRAFFIC_PREFIX`] (a check) with the given status and body, then
//!   close; requests under [`TRAFFIC_PREFIX`] (traffic the test sends
//!   through the proxy) get `200` with the server's name as the body, or
//!   the status set by [`Faulty::set_traffic_status`];
//! - [`Mode::Garbage`]: read the request, answer bytes that are no HTTP,
//!   close;
//! - [`Mode::ResetMidAnswer`]: read the request, send the start of an HTTP
//!   status line (`HTTP/1.1 20`), then reset (RST);
//! - [`Mode::Line`]: write a line at once (an agent answer such as
//!   `up 50%\n`, `drain\n`, `down#because\n`), then close;
//! - [`Mode::Expect`]: read until the client's bytes contain a pattern
//!   (`tcp-check send`), answer a reply, close (traffic requests are still
//!   answered as traffic).
//!
//! Counters: [`Faulty::connections`] counts every accepted connection;
//! [`Faulty::traffic`] those whose first request was traffic (by the path
//! prefix); [`Faulty::checks`] is the difference. In the modes that do not
//! read ([`Mode::Close`], [`Mode::Eof`], [`Mode::Hang`], [`Mode::Line`],
//! [`Mode::Expect`]) every connection counts as a
//! check: tests send traffic only while the servers they reach answer HTTP.
//! [`Faulty::served`] counts connections per mode name (`"http-503"`,
//! `"close"`...), to tell how many checks a server failed since a switch.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::http::head_end;
use crate::servers::reset;
use crate::util::{free_port, local, poll_until};

/// No connection handler lives longer than this.
pub const CONN_LIFETIME: Duration = Duration::from_secs(30);

/// Requests whose target starts with this are traffic, not checks.
pub const TRAFFIC_PREFIX: &str = "/t/";

/// A traffic request the server never answers (it holds the connection
/// up to 8 s): a stream that stays attached to its server.
pub const STALL_TARGET: &str = "/t/stall";

/// What a [`Faulty`] server does with the next connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Not listening: connections are refused.
    Refuse,
    /// Accept, wait for the client's first bytes, close unread (RST).
    Close,
    /// Read the request (head), close without answering (FIN).
    Eof,
    /// Accept, read, never answer.
    Hang,
    /// Answer checks with this status and body (`Connection: close`).
    Http { status: u16, body: String },
    /// Read the request, answer these bytes, close.
    Garbage(Vec<u8>),
    /// Read the request, send the start of an answer, reset.
    ResetMidAnswer,
    /// Write this (an agent's line) at once, then close.
    Line(String),
    /// Read until the input contains `expect`, answer `reply`, close.
    Expect { expect: String, reply: String },
}

impl Mode {
    /// `Http` with status 200 and body `ok`.
    pub fn ok() -> Mode {
        Mode::Http {
            status: 200,
            body: "ok".into(),
        }
    }

    /// `Http` with `status` and an empty body.
    pub fn status(status: u16) -> Mode {
        Mode::Http {
            status,
            body: String::new(),
        }
    }

    /// An agent line (`\n` added).
    pub fn agent(line: &str) -> Mode {
        Mode::Line(format!("{line}\n"))
    }

    /// The name [`Faulty::served`] counts connections under.
    pub fn name(&self) -> String {
        match self {
            Mode::Refuse => "refuse".into(),
            Mode::Close => "close".into(),
            Mode::Eof => "eof".into(),
            Mode::Hang => "hang".into(),
            Mode::Http { status, body } if body.is_empty() => format!("http-{status}"),
            Mode::Http { status, body } => format!("http-{status}-{body}"),
            Mode::Garbage(_) => "garbage".into(),
            Mode::ResetMidAnswer => "reset".into(),
            Mode::Line(l) => format!("line-{}", l.trim_end()),
            Mode::Expect { reply, .. } => format!("expect-{}", reply.trim_end()),
        }
    }
}

#[derive(Debug)]
struct Shared {
    name: String,
    mode: Mutex<Mode>,
    traffic_status: AtomicUsize,
    connections: AtomicUsize,
    traffic: AtomicUsize,
    served: Mutex<BTreeMap<String, usize>>,
    stop: AtomicBool,
    /// Whether the accept loop currently holds a listener.
    listening: AtomicBool,
    /// The last mode the server listened in (for the backlog at a switch
    /// to [`Mode::Refuse`]).
    last_listening_mode: Mutex<Mode>,
}

/// A controllable fake server on `127.0.0.1:<port>`; stops on drop.
#[derive(Debug)]
pub struct Faulty {
    pub port: u16,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Faulty {
    /// A server named `name` (the body of its traffic answers) starting in
    /// `mode`, on a fresh port below the ephemeral range.
    pub fn new(name: &str, mode: Mode) -> Faulty {
        let port = free_port();
        let shared = Arc::new(Shared {
            name: name.to_string(),
            mode: Mutex::new(mode),
            traffic_status: AtomicUsize::new(200),
            connections: AtomicUsize::new(0),
            traffic: AtomicUsize::new(0),
            served: Mutex::new(BTreeMap::new()),
            stop: AtomicBool::new(false),
            listening: AtomicBool::new(false),
            last_listening_mode: Mutex::new(Mode::Close),
        });
        let thread = {
            let shared = shared.clone();
            std::thread::spawn(move || accept_loop(port, &shared))
        };
        let f = Faulty {
            port,
            shared,
            thread: Some(thread),
        };
        f.wait_listening();
        f
    }

    /// The server's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Switches the behaviour for the next connections (connections already
    /// accepted keep theirs). Returns once the listener is closed (for
    /// [`Mode::Refuse`]) or open (for the others).
    pub fn set(&self, mode: Mode) {
        if let Ok(mut m) = self.shared.mode.lock() {
            *m = mode;
        }
        self.wait_listening();
    }

    fn wait_listening(&self) {
        let want = self.mode() != Mode::Refuse;
        let ok = poll_until(Duration::from_secs(5), || {
            (self.shared.listening.load(Ordering::SeqCst) == want).then_some(())
        });
        assert!(
            ok.is_some(),
            "fake server {} on port {}: could not {} within 5 s",
            self.shared.name,
            self.port,
            if want { "listen" } else { "close its listener" }
        );
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.shared
            .mode
            .lock()
            .map(|m| m.clone())
            .unwrap_or(Mode::Refuse)
    }

    /// The status traffic requests get (default 200).
    pub fn set_traffic_status(&self, status: u16) {
        self.shared
            .traffic_status
            .store(usize::from(status), Ordering::SeqCst);
    }

    /// Connections accepted so far (checks and traffic).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Connections whose first request was traffic.
    pub fn traffic(&self) -> usize {
        self.shared.traffic.load(Ordering::SeqCst)
    }

    /// Check connections so far: all connections but traffic.
    pub fn checks(&self) -> usize {
        self.connections().saturating_sub(self.traffic())
    }

    /// Check connections served in the mode named `name` ([`Mode::name`]).
    pub fn served(&self, name: &str) -> usize {
        self.shared
            .served
            .lock()
            .map(|m| m.get(name).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Waits until [`Faulty::checks`] reaches `n`; false on timeout.
    pub fn wait_checks(&self, n: usize, timeout: Duration) -> bool {
        poll_until(timeout, || (self.checks() >= n).then_some(())).is_some()
    }
}

impl Drop for Faulty {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(port: u16, shared: &Arc<Shared>) {
    let started = Instant::now();
    let mut listener: Option<TcpListener> = None;
    let mut bind_failures = 0u32;
    while !shared.stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(900) {
        let mode = shared
            .mode
            .lock()
            .map(|m| m.clone())
            .unwrap_or(Mode::Refuse);
        if mode == Mode::Refuse {
            if let Some(l) = listener.take() {
                // Connections the kernel completed but we did not accept yet
                // would be reset by the close: serve them as before, so that
                // a check under way at the switch sees the old behaviour,
                // not a reset.
                drain_backlog(&l, shared);
                drop(l);
                shared.listening.store(false, Ordering::SeqCst);
            }
            std::thread::sleep(Duration::from_millis(2));
            continue;
        }
        if let Ok(mut m) = shared.last_listening_mode.lock() {
            if *m != mode {
                *m = mode.clone();
            }
        }
        let Some(l) = listener.as_ref() else {
            // std sets SO_REUSEADDR: the port binds again at once even
            // with connections of the previous listener in TIME_WAIT.
            match TcpListener::bind(local(port)) {
                Ok(l) => {
                    l.set_nonblocking(true).expect("nonblocking listener");
                    listener = Some(l);
                    shared.listening.store(true, Ordering::SeqCst);
                }
                Err(e) => {
                    bind_failures += 1;
                    assert!(bind_failures < 1000, "fake server: bind port {port}: {e}");
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            continue;
        };
        match l.accept() {
            Ok((s, _)) => spawn_handler(s, mode, shared),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                // Short enough not to delay a check much, long enough for
                // tests with dozens of servers on 2 cores.
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(2)),
        }
    }
    shared.listening.store(false, Ordering::SeqCst);
}

fn spawn_handler(s: TcpStream, mode: Mode, shared: &Arc<Shared>) {
    shared.connections.fetch_add(1, Ordering::SeqCst);
    let sh = shared.clone();
    std::thread::spawn(move || {
        let _ = s.set_nonblocking(false);
        let _ = handle(s, mode, &sh);
    });
}

/// Accepts what is queued on `l` and serves it in the mode that was in
/// force until now.
fn drain_backlog(l: &TcpListener, shared: &Arc<Shared>) {
    let prev = shared
        .last_listening_mode
        .lock()
        .map(|m| m.clone())
        .unwrap_or(Mode::Close);
    for _ in 0..1000 {
        match l.accept() {
            Ok((s, _)) => spawn_handler(s, prev.clone(), shared),
            Err(_) => return,
        }
    }
}

fn count(shared: &Shared, name: &str) {
    if let Ok(mut m) = shared.served.lock() {
        *m.entry(name.to_string()).or_default() += 1;
    }
}

/// Reads until `done(buf)` or EOF or `limit`; returns what was read.
fn read_until(s: &mut TcpStream, limit: Duration, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let start = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    while !done(&out) {
        let left = limit.saturating_sub(start.elapsed());
        if left.is_zero() {
            break;
        }
        let _ = s.set_read_timeout(Some(left.min(Duration::from_millis(200))));
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => break,
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// The request target of a request head (`GET /x HTTP/1.1` -> `/x`).
fn target(head: &[u8]) -> String {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    String::from_utf8_lossy(line)
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn answer(status: u16, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    )
    .into_bytes()
}

/// Answers a traffic request (already read) with the traffic status and
/// the server's name.
/// A traffic request: answered with the server's name, except
/// [`STALL_TARGET`], which is held unanswered (bounded) until the other
/// side closes.
fn serve_traffic(mut s: TcpStream, sh: &Shared, target: &str) -> std::io::Result<()> {
    sh.traffic.fetch_add(1, Ordering::SeqCst);
    if target == STALL_TARGET {
        let _ = read_until(&mut s, Duration::from_secs(8), |_| false);
        return Ok(());
    }
    let status = u16::try_from(sh.traffic_status.load(Ordering::SeqCst)).unwrap_or(500);
    s.write_all(&answer(status, &sh.name))?;
    let _ = s.shutdown(Shutdown::Write);
    let _ = read_until(&mut s, Duration::from_millis(500), |_| false);
    Ok(())
}

fn handle(mut s: TcpStream, mode: Mode, sh: &Shared) -> std::io::Result<()> {
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    match &mode {
        Mode::Refuse => Ok(()),
        Mode::Close => {
            count(sh, &mode.name());
            s.set_read_timeout(Some(Duration::from_millis(200)))?;
            let mut probe = [0u8; 1];
            let _ = s.peek(&mut probe);
            drop(s);
            Ok(())
        }
        Mode::Eof => {
            count(sh, &mode.name());
            let _ = read_until(&mut s, Duration::from_secs(5), |b| head_end(b).is_some());
            let _ = s.shutdown(Shutdown::Write);
            let _ = read_until(&mut s, Duration::from_millis(500), |_| false);
            Ok(())
        }
        Mode::Line(line) => {
            count(sh, &mode.name());
            s.write_all(line.as_bytes())?;
            // Let the agent read before the FIN; it may also send first.
            let _ = s.shutdown(Shutdown::Write);
            let _ = read_until(&mut s, Duration::from_millis(500), |_| false);
            Ok(())
        }
        Mode::Hang => {
            count(sh, &mode.name());
            let _ = read_until(&mut s, CONN_LIFETIME, |_| false);
            Ok(())
        }
        Mode::Expect { expect, reply } => {
            let got = read_until(&mut s, Duration::from_secs(5), |b| {
                contains(b, expect.as_bytes()) || head_end(b).is_some()
            });
            if target(&got).starts_with(TRAFFIC_PREFIX) {
                return serve_traffic(s, sh, &target(&got));
            }
            count(sh, &mode.name());
            if contains(&got, expect.as_bytes()) {
                s.write_all(reply.as_bytes())?;
            }
            let _ = s.shutdown(Shutdown::Write);
            Ok(())
        }
        Mode::Http { .. } | Mode::Garbage(_) | Mode::ResetMidAnswer => {
            let head = read_until(&mut s, Duration::from_secs(5), |b| head_end(b).is_some());
            if target(&head).starts_with(TRAFFIC_PREFIX) {
                return serve_traffic(s, sh, &target(&head));
            }
            count(sh, &mode.name());
            match &mode {
                Mode::Http { status, body } => s.write_all(&answer(*status, body))?,
                Mode::Garbage(g) => s.write_all(g)?,
                _ => {
                    // Within the status line: an answer cut there cannot
                    // pass a check (HAProxy 2.6 passes an HTTP check on the
                    // status line alone, even if a reset follows).
                    s.write_all(b"HTTP/1.1 20")?;
                    std::thread::sleep(Duration::from_millis(20));
                    reset(s);
                    return Ok(());
                }
            }
            let _ = s.shutdown(Shutdown::Write);
            let _ = read_until(&mut s, Duration::from_millis(500), |_| false);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client;

    #[test]
    fn modes_switch_and_count() {
        let f = Faulty::new("a", Mode::ok());
        let mut c = client::connect(f.port);
        c.write_all(b"GET /health HTTP/1.0\r\n\r\n").unwrap();
        let got = client::read_to_eof(&mut c, Duration::from_secs(5)).unwrap();
        assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"), "{got:?}");
        assert!(got.ends_with(b"\r\n\r\nok"));
        let mut c = client::connect(f.port);
        c.write_all(b"GET /t/1 HTTP/1.0\r\n\r\n").unwrap();
        let got = client::read_to_eof(&mut c, Duration::from_secs(5)).unwrap();
        assert!(got.ends_with(b"\r\n\r\na"), "{got:?}");
        assert_eq!((f.connections(), f.traffic(), f.checks()), (2, 1, 1));
        assert_eq!(f.served("http-200-ok"), 1);

        f.set(Mode::Refuse);
        assert!(TcpStream::connect(local(f.port)).is_err());
        f.set(Mode::agent("up 50%"));
        let mut c = client::connect(f.port);
        assert_eq!(
            client::read_line(&mut c, Duration::from_secs(5)).unwrap(),
            "up 50%"
        );
        assert_eq!(f.served("line-up 50%"), 1);
        f.set(Mode::Expect {
            expect: "PING".into(),
            reply: "+PONG\r\n".into(),
        });
        let mut c = client::connect(f.port);
        c.write_all(b"PING\r\n").unwrap();
        let got = client::read_to_eof(&mut c, Duration::from_secs(5)).unwrap();
        assert_eq!(got, b"+PONG\r\n");
        assert_eq!(f.checks(), 3);
    }
}
