//! Test backends: thread-per-connection servers on 127.0.0.1.
//!
//! Every server binds port 0 (or a port the test chose, for "bind later"),
//! polls a non-blocking listener so it can stop promptly on drop, and gives
//! each connection a bounded lifetime ([`CONN_LIFETIME`]) and read timeouts,
//! so nothing outlives a test for long even when a test fails.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::util::{local, poll_until, Fnv64};

/// No backend connection handler lives longer than this.
pub const CONN_LIFETIME: Duration = Duration::from_secs(60);

/// What a backend does with each accepted connection.
#[derive(Debug, Clone)]
pub enum Behavior {
    /// Echo everything back until EOF, then close.
    Echo,
    /// Send `"<name>\n"`, then echo until EOF: tells which server answered.
    Banner(String),
    /// Read until EOF ("sink"), record the checksum, then send back exactly
    /// the bytes received and close (a store-and-forward echo: the reply comes
    /// after the client's half-close).
    StoreEcho,
    /// Read until EOF, record the checksum, then reply with
    /// `"<count> <fnv64 hex>\n"` and close.
    Count,
    /// Send `payload`, half-close (shutdown write), then read until EOF and
    /// record the checksum of what the client sent afterwards, then close.
    SendThenDrain(Arc<Vec<u8>>),
    /// Accept, read and discard, never write; close when the peer closes.
    Silent,
    /// Send `"<name>\n"`, then stay silent (read and discard, never write).
    BannerThenSilent(String),
    /// Read until EOF, then keep the connection open and silent for the
    /// given time before closing.
    HoldAfterEof(Duration),
    /// Send `reply` then close (full close) right away, ignoring input.
    ReplyAndClose(Vec<u8>),
    /// Accept and reset immediately (SO_LINGER 0 then close).
    Reset,
    /// Send `"<name>\n"`, wait until the client sent something, then reset.
    BannerThenResetOnData(String),
}

/// What a backend observed.
#[derive(Debug, Default)]
pub struct Stats {
    accepted: AtomicUsize,
    active: AtomicUsize,
    received: Mutex<Vec<Fnv64>>,
}

impl Stats {
    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Connections currently open (accepted and not yet closed by us or seen
    /// closed by the peer).
    pub fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// Checksums of what each finished connection received (only for the
    /// behaviours that record it).
    pub fn received(&self) -> Vec<Fnv64> {
        self.received.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

/// A running test backend; stops accepting on drop.
#[derive(Debug)]
pub struct Backend {
    pub port: u16,
    pub stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Backend {
    /// Starts a backend on 127.0.0.1:0.
    pub fn start(behavior: Behavior) -> Backend {
        let l = TcpListener::bind(local(0)).expect("bind backend");
        Self::serve(l, behavior)
    }

    pub fn echo() -> Backend {
        Self::start(Behavior::Echo)
    }

    pub fn banner(name: &str) -> Backend {
        Self::start(Behavior::Banner(name.to_string()))
    }

    /// Starts serving on an already bound listener.
    pub fn serve(listener: TcpListener, behavior: Behavior) -> Backend {
        let port = listener.local_addr().expect("local addr").port();
        let stats = Arc::new(Stats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (stats, stop) = (stats.clone(), stop.clone());
            std::thread::spawn(move || accept_loop(listener, behavior, stats, stop))
        };
        Backend {
            port,
            stats,
            stop,
            thread: Some(thread),
        }
    }

    /// Binds 127.0.0.1:`port` after `delay` (nothing listens there before),
    /// then serves. Panics in the thread (visible as a test failure through
    /// the returned handle) if the port cannot be bound.
    pub fn bind_later(port: u16, delay: Duration, behavior: Behavior) -> LateBackend {
        let stats = Arc::new(Stats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let bound_at = Arc::new(Mutex::new(None));
        let thread = {
            let (stats, stop, bound_at) = (stats.clone(), stop.clone(), bound_at.clone());
            std::thread::spawn(move || {
                let start = Instant::now();
                while start.elapsed() < delay {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                let l = TcpListener::bind(local(port)).expect("late bind");
                if let Ok(mut b) = bound_at.lock() {
                    *b = Some(Instant::now());
                }
                accept_loop(l, behavior, stats, stop);
            })
        };
        LateBackend {
            port,
            stats,
            bound_at,
            stop,
            thread: Some(thread),
        }
    }

    /// Waits until `active()` equals `n` (e.g. the proxy closed its side).
    pub fn wait_active(&self, n: usize, timeout: Duration) -> bool {
        poll_until(timeout, || (self.stats.active() == n).then_some(())).is_some()
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A backend that binds its port only after a delay.
#[derive(Debug)]
pub struct LateBackend {
    pub port: u16,
    pub stats: Arc<Stats>,
    bound_at: Arc<Mutex<Option<Instant>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LateBackend {
    /// When the port got bound, if it did yet.
    pub fn bound_at(&self) -> Option<Instant> {
        self.bound_at.lock().ok().and_then(|b| *b)
    }
}

impl Drop for LateBackend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(l: TcpListener, behavior: Behavior, stats: Arc<Stats>, stop: Arc<AtomicBool>) {
    l.set_nonblocking(true).expect("nonblocking listener");
    let started = Instant::now();
    while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(600) {
        match l.accept() {
            Ok((s, _)) => {
                stats.accepted.fetch_add(1, Ordering::SeqCst);
                stats.active.fetch_add(1, Ordering::SeqCst);
                let (b, st) = (behavior.clone(), stats.clone());
                std::thread::spawn(move || {
                    let _ = s.set_nonblocking(false);
                    let _ = handle(s, &b, &st);
                    st.active.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

/// Reads until EOF (or error, or the lifetime ends); returns the checksum and
/// optionally keeps the bytes.
fn drain(s: &mut TcpStream, mut keep: Option<&mut Vec<u8>>) -> std::io::Result<Fnv64> {
    let start = Instant::now();
    let mut f = Fnv64::default();
    let mut buf = vec![0u8; 65536];
    s.set_read_timeout(Some(Duration::from_millis(500)))?;
    while start.elapsed() < CONN_LIFETIME {
        match s.read(&mut buf) {
            Ok(0) => return Ok(f),
            Ok(n) => {
                f.update(&buf[..n]);
                if let Some(k) = keep.as_deref_mut() {
                    k.extend_from_slice(&buf[..n]);
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Err(ErrorKind::TimedOut.into())
}

fn record(stats: &Stats, f: Fnv64) {
    if let Ok(mut v) = stats.received.lock() {
        v.push(f);
    }
}

fn echo(s: &mut TcpStream) -> std::io::Result<()> {
    let start = Instant::now();
    let mut buf = vec![0u8; 65536];
    s.set_read_timeout(Some(Duration::from_millis(500)))?;
    while start.elapsed() < CONN_LIFETIME {
        match s.read(&mut buf) {
            Ok(0) => {
                let _ = s.shutdown(Shutdown::Write);
                return Ok(());
            }
            Ok(n) => s.write_all(&buf[..n])?,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Closes with SO_LINGER 0: the peer gets a RST.
pub fn reset(s: TcpStream) {
    let sock = tokio::net::TcpSocket::from_std_stream(s);
    let _ = sock.set_zero_linger();
    drop(sock);
}

fn handle(mut s: TcpStream, b: &Behavior, stats: &Stats) -> std::io::Result<()> {
    s.set_write_timeout(Some(Duration::from_secs(30)))?;
    match b {
        Behavior::Echo => echo(&mut s),
        Behavior::Banner(name) => {
            s.write_all(format!("{name}\n").as_bytes())?;
            echo(&mut s)
        }
        Behavior::StoreEcho => {
            let mut data = Vec::new();
            let f = drain(&mut s, Some(&mut data))?;
            record(stats, f);
            s.write_all(&data)?;
            s.shutdown(Shutdown::Write)
        }
        Behavior::Count => {
            let f = drain(&mut s, None)?;
            record(stats, f);
            s.write_all(format!("{} {:016x}\n", f.len, f.hash).as_bytes())?;
            s.shutdown(Shutdown::Write)
        }
        Behavior::SendThenDrain(p) => {
            s.write_all(p)?;
            s.shutdown(Shutdown::Write)?;
            let f = drain(&mut s, None)?;
            record(stats, f);
            Ok(())
        }
        Behavior::Silent => drain(&mut s, None).map(|_| ()),
        Behavior::BannerThenSilent(name) => {
            s.write_all(format!("{name}\n").as_bytes())?;
            drain(&mut s, None).map(|_| ())
        }
        Behavior::HoldAfterEof(hold) => {
            drain(&mut s, None)?;
            // Keep our side open (silent) after the peer's half-close.
            let start = Instant::now();
            while start.elapsed() < *hold && start.elapsed() < CONN_LIFETIME {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(())
        }
        Behavior::ReplyAndClose(reply) => {
            s.write_all(reply)?;
            Ok(())
        }
        Behavior::Reset => {
            reset(s);
            Ok(())
        }
        Behavior::BannerThenResetOnData(name) => {
            s.write_all(format!("{name}\n").as_bytes())?;
            s.set_read_timeout(Some(Duration::from_secs(10)))?;
            let mut probe = [0u8; 1];
            let _ = s.peek(&mut probe)?;
            reset(s);
            Ok(())
        }
    }
}

/// A listening socket whose accept queue is full (listen backlog 0 plus one
/// queued connection that is never accepted): further SYNs are dropped, so a
/// connect to it neither succeeds nor gets refused — it times out.
#[derive(Debug)]
pub struct Blackhole {
    pub port: u16,
    _listener: TcpListener,
    _fillers: Vec<TcpStream>,
}

impl Blackhole {
    pub fn new() -> Blackhole {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("runtime");
        let listener = rt.block_on(async {
            let s = tokio::net::TcpSocket::new_v4().expect("socket");
            s.bind(local(0)).expect("bind");
            s.listen(0).expect("listen").into_std().expect("into_std")
        });
        let port = listener.local_addr().expect("addr").port();
        let mut fillers = Vec::new();
        for _ in 0..3 {
            if let Ok(s) = TcpStream::connect_timeout(&local(port), Duration::from_millis(150)) {
                fillers.push(s);
            }
        }
        assert!(
            !fillers.is_empty(),
            "could not queue a connection on the backlog-0 listener"
        );
        // Check that a new connect now hangs instead of succeeding.
        let probe = TcpStream::connect_timeout(&local(port), Duration::from_millis(150));
        assert!(
            probe.is_err(),
            "backlog-0 listener still completes handshakes"
        );
        Blackhole {
            port,
            _listener: listener,
            _fillers: fillers,
        }
    }
}

impl Default for Blackhole {
    fn default() -> Self {
        Self::new()
    }
}
