//! Delivery of finished log lines to the `log` targets of each proxy.
//!
//! Delivery is best effort by design: a log line is never worth stalling
//! traffic for, so sockets are non-blocking, a full socket buffer drops the
//! line (counted in [`LogSinks::dropped`]) and errors are swallowed. The
//! exception is stdout/stderr, which std only offers as blocking handles;
//! a slow consumer of the proxy's stdout can therefore slow the logging
//! thread (the same trade-off as running HAProxy with `log stdout`).

use std::fmt;
use std::io::{self, Write as _};
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use super::date::write_syslog_date;
use crate::config::model::{LogDest, LogFormat, LogTarget};

/// Line length used when a target has none (`len` unset or 0): what every
/// syslog server accepts.
pub const DEFAULT_MAX_LEN: usize = 1024;

/// Severity of traffic logs (`info`).
pub const SEVERITY_INFO: u8 = 6;

/// How one target wraps a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Framing {
    pub format: LogFormat,
    /// Syslog facility number (local0 = 16).
    pub facility: u8,
    /// Maximum bytes per line, header included.
    pub max_len: usize,
    /// Whether the final newline counts in `max_len`. HAProxy counts it for
    /// stream targets (stdout/stderr) but appends it beyond `max_len` for
    /// datagrams, so a datagram can be `max_len + 1` bytes; we match both so
    /// receivers see the same sizes.
    pub newline_in_len: bool,
}

impl Framing {
    pub fn of(t: &LogTarget) -> Self {
        Framing {
            format: t.format,
            facility: t.facility,
            max_len: if t.max_len == 0 {
                DEFAULT_MAX_LEN
            } else {
                t.max_len
            },
            newline_in_len: matches!(t.dest, LogDest::Stdout | LogDest::Stderr),
        }
    }

    /// Appends to `out` the bytes to send for `line`:
    /// - RFC 3164: `<PRI>Mmm dd HH:MM:SS program[pid]: line` with
    ///   PRI = facility * 8 + severity;
    /// - short: `<severity>line` (severity only, the form systemd's journal
    ///   reads from stdout; the facility means nothing there);
    /// - raw: the line alone.
    ///
    /// The result is cut to `max_len` bytes (`max_len - 1` when the newline
    /// counts) and a newline is added: stream targets stay line-delimited
    /// even when truncated, and datagram receivers get what HAProxy sends.
    pub fn frame(
        &self,
        program: &str,
        pid: u32,
        severity: u8,
        now: SystemTime,
        line: &str,
        out: &mut Vec<u8>,
    ) {
        let start = out.len();
        let severity = severity.min(7);
        match self.format {
            LogFormat::Rfc3164 => {
                let pri = u16::from(self.facility.min(23)) * 8 + u16::from(severity);
                let mut w = ByteWriter(out);
                let _ = fmt::Write::write_fmt(&mut w, format_args!("<{pri}>"));
                write_syslog_date(now, &mut w);
                let _ = fmt::Write::write_fmt(&mut w, format_args!(" {program}[{pid}]: "));
            }
            LogFormat::Short => {
                out.extend_from_slice(&[b'<', b'0' + severity, b'>']);
            }
            LogFormat::Raw => {}
        }
        // A caller's trailing newline would become an empty line after ours.
        let body = line.trim_end_matches('\n').as_bytes();
        let limit = if self.newline_in_len {
            start + self.max_len.max(1) - 1
        } else {
            start + self.max_len
        };
        if out.len() > limit {
            // Absurdly small `len`: even the header does not fit.
            out.truncate(limit);
        } else {
            let room = limit - out.len();
            out.extend_from_slice(&body[..body.len().min(room)]);
        }
        out.push(b'\n');
    }
}

/// `fmt::Write` over a byte buffer, so date helpers can write into the
/// datagram being built without an intermediate `String`.
struct ByteWriter<'a>(&'a mut Vec<u8>);

impl fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Where the bytes go. Sockets are shared by every target of their kind: an
/// unconnected datagram socket can send to any destination, so one per
/// address family is enough however many `log` lines the config has.
enum Output {
    Stdout,
    Stderr,
    Udp {
        sock: Arc<UdpSocket>,
        addr: SocketAddr,
    },
    Unix {
        sock: Arc<UnixDatagram>,
        path: PathBuf,
    },
}

impl Output {
    /// Sends `bytes`; false when the line was lost.
    fn deliver(&self, bytes: &[u8]) -> bool {
        match self {
            // One locked `write_all` per line: other threads' lines cannot
            // land in the middle of this one.
            Output::Stdout => io::stdout().lock().write_all(bytes).is_ok(),
            Output::Stderr => io::stderr().lock().write_all(bytes).is_ok(),
            Output::Udp { sock, addr } => sock.send_to(bytes, addr).is_ok(),
            Output::Unix { sock, path } => sock.send_to(bytes, path).is_ok(),
        }
    }
}

struct Sink {
    framing: Framing,
    /// Highest severity number accepted.
    level: u8,
    out: Output,
}

/// Every proxy's log targets, ready to send.
pub struct LogSinks {
    /// Indexed by proxy index; an empty list means "does not log".
    proxies: Vec<Vec<Sink>>,
    program: String,
    pid: u32,
    dropped: AtomicU64,
}

impl Default for LogSinks {
    /// No targets at all: what the subscriber holds before the config is
    /// loaded.
    fn default() -> Self {
        LogSinks {
            proxies: Vec::new(),
            program: "proxy".to_string(),
            pid: std::process::id(),
            dropped: AtomicU64::new(0),
        }
    }
}

impl fmt::Debug for LogSinks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogSinks")
            .field("proxies", &self.proxies.len())
            .field("program", &self.program)
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

/// The shared sockets, created on first need while building.
#[derive(Default)]
struct Sockets {
    udp4: Option<Arc<UdpSocket>>,
    udp6: Option<Arc<UdpSocket>>,
    unix: Option<Arc<UnixDatagram>>,
}

impl Sockets {
    fn udp(&mut self, dest: &SocketAddr) -> io::Result<Arc<UdpSocket>> {
        let (slot, bind) = if dest.is_ipv4() {
            (&mut self.udp4, "0.0.0.0:0")
        } else {
            (&mut self.udp6, "[::]:0")
        };
        if let Some(s) = slot {
            return Ok(Arc::clone(s));
        }
        let s = UdpSocket::bind(bind)?;
        s.set_nonblocking(true)?;
        let s = Arc::new(s);
        *slot = Some(Arc::clone(&s));
        Ok(s)
    }

    fn unix(&mut self) -> io::Result<Arc<UnixDatagram>> {
        if let Some(s) = &self.unix {
            return Ok(Arc::clone(s));
        }
        let s = UnixDatagram::unbound()?;
        s.set_nonblocking(true)?;
        let s = Arc::new(s);
        self.unix = Some(Arc::clone(&s));
        Ok(s)
    }
}

impl LogSinks {
    /// Opens what the targets need. `targets[i]` are the targets of the proxy
    /// with index `i` (global targets already copied in for `log global`).
    /// Fails only when a socket cannot be created (descriptor exhaustion,
    /// no IPv6 stack for an IPv6 target), which deserves an alert at startup.
    pub fn new(targets: Vec<Vec<LogTarget>>, program: &str, pid: u32) -> io::Result<Self> {
        let mut sockets = Sockets::default();
        let mut proxies = Vec::with_capacity(targets.len());
        for list in targets {
            let mut sinks = Vec::with_capacity(list.len());
            for t in list {
                let out = match &t.dest {
                    LogDest::Stdout => Output::Stdout,
                    LogDest::Stderr => Output::Stderr,
                    LogDest::Udp(addr) => Output::Udp {
                        sock: sockets.udp(addr)?,
                        addr: *addr,
                    },
                    LogDest::Unix(path) => Output::Unix {
                        sock: sockets.unix()?,
                        path: path.clone(),
                    },
                };
                sinks.push(Sink {
                    framing: Framing::of(&t),
                    level: t.level,
                    out,
                });
            }
            proxies.push(sinks);
        }
        Ok(LogSinks {
            proxies,
            program: program.to_string(),
            pid,
            dropped: AtomicU64::new(0),
        })
    }

    /// True when some target of the proxy accepts `severity`; lets callers
    /// skip building a line nobody will receive.
    pub fn wants(&self, proxy_idx: usize, severity: u8) -> bool {
        self.proxies
            .get(proxy_idx)
            .is_some_and(|l| l.iter().any(|s| severity <= s.level))
    }

    /// Sends `line` to every target of proxy `proxy_idx` whose level accepts
    /// `severity` (0 emerg .. 7 debug). Unknown indexes are ignored.
    pub fn send(&self, proxy_idx: usize, severity: u8, line: &str) {
        self.send_at(proxy_idx, severity, line, SystemTime::now());
    }

    /// [`send`](Self::send) with the syslog header's time given.
    pub fn send_at(&self, proxy_idx: usize, severity: u8, line: &str, now: SystemTime) {
        let Some(sinks) = self.proxies.get(proxy_idx) else {
            return;
        };
        for sink in sinks.iter().filter(|s| severity <= s.level) {
            with_frame_buf(|buf| {
                sink.framing
                    .frame(&self.program, self.pid, severity, now, line, buf);
                if !sink.out.deliver(buf) {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    }

    /// Lines lost so far (socket buffer full, destination unreachable,
    /// stdout closed).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }
}

thread_local! {
    /// Reused per thread so that framing a line does not allocate.
    static FRAME_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` on the cleared thread-local buffer, or on a fresh one if the
/// buffer is unavailable (re-entrant call, thread being torn down).
fn with_frame_buf(f: impl FnOnce(&mut Vec<u8>)) {
    let mut f = Some(f);
    let _ = FRAME_BUF.try_with(|cell| {
        if let Ok(mut buf) = cell.try_borrow_mut() {
            buf.clear();
            if let Some(f) = f.take() {
                f(&mut buf);
            }
            // Do not keep a huge buffer alive because of one huge line.
            if buf.capacity() > 64 * 1024 {
                *buf = Vec::new();
            }
        }
    });
    if let Some(f) = f {
        f(&mut Vec::new());
    }
}

#[cfg(test)]
#[path = "sink_tests.rs"]
mod tests;
