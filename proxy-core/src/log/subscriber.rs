//! The process's `tracing` subscriber: traffic lines to the log targets,
//! everything else to stderr with HAProxy's diagnostic prefixes.
//!
//! Written by hand against `tracing-core`'s `Subscriber` trait because the
//! crate may not depend on `tracing-subscriber`; it does only what the proxy
//! needs: level filtering by command-line verbosity, routing on the event
//! target, and span ids (spans carry no data here).
//!
//! A global subscriber can be set once per process, but the log targets are
//! only known after the configuration is parsed (and change on reload). So
//! the subscriber holds its [`LogSinks`] behind a [`SinksHandle`]: install
//! early, plug the targets in later with [`SinksHandle::replace`].

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::{Interest, SetGlobalDefaultError};
use tracing::{Event, Level, Metadata, Subscriber};

use super::sink::{LogSinks, SEVERITY_INFO};

/// The `tracing` target that marks an event as a traffic log line.
pub const TRAFFIC_TARGET: &str = "proxy::traffic";

/// Which diagnostics reach stderr (`-q`, default, `-d`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: alerts only.
    Quiet,
    /// Alerts, warnings and notices.
    #[default]
    Normal,
    /// `-d`: also debug and trace events.
    Debug,
}

impl Verbosity {
    fn allows(self, level: &Level) -> bool {
        match self {
            Verbosity::Quiet => *level == Level::ERROR,
            Verbosity::Normal => *level <= Level::INFO,
            Verbosity::Debug => true,
        }
    }
}

/// Shared, swappable access to the sinks a [`ProxySubscriber`] sends to.
#[derive(Clone, Debug, Default)]
pub struct SinksHandle(Arc<RwLock<LogSinks>>);

impl SinksHandle {
    /// Puts `sinks` in place and returns the previous ones; lines being sent
    /// concurrently finish on the old sinks.
    pub fn replace(&self, sinks: LogSinks) -> LogSinks {
        // A poisoned lock only means a panic elsewhere while holding it; the
        // sinks themselves stay valid, so keep logging.
        let mut guard = self.0.write().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *guard, sinks)
    }

    /// See [`LogSinks::send`].
    pub fn send(&self, proxy_idx: usize, severity: u8, line: &str) {
        let guard = self.0.read().unwrap_or_else(PoisonError::into_inner);
        guard.send(proxy_idx, severity, line);
    }

    /// See [`LogSinks::wants`].
    pub fn wants(&self, proxy_idx: usize, severity: u8) -> bool {
        let guard = self.0.read().unwrap_or_else(PoisonError::into_inner);
        guard.wants(proxy_idx, severity)
    }

    /// See [`LogSinks::dropped`] (for the current sinks only).
    pub fn dropped(&self) -> u64 {
        let guard = self.0.read().unwrap_or_else(PoisonError::into_inner);
        guard.dropped()
    }
}

/// Where diagnostics are written; tests capture them instead of stderr.
#[derive(Debug)]
enum DiagOut {
    Stderr,
    #[cfg(test)]
    Capture(Arc<std::sync::Mutex<Vec<u8>>>),
}

/// The `tracing::Subscriber` of the proxy.
#[derive(Debug)]
pub struct ProxySubscriber {
    sinks: SinksHandle,
    verbosity: Verbosity,
    pid: u32,
    next_span: AtomicU64,
    diag: DiagOut,
}

impl ProxySubscriber {
    /// A subscriber with no log targets yet; `pid` is printed in
    /// diagnostics.
    pub fn new(verbosity: Verbosity, pid: u32) -> Self {
        ProxySubscriber {
            sinks: SinksHandle::default(),
            verbosity,
            pid,
            next_span: AtomicU64::new(1),
            diag: DiagOut::Stderr,
        }
    }

    /// Same, starting with `sinks`.
    pub fn with_sinks(verbosity: Verbosity, pid: u32, sinks: LogSinks) -> Self {
        let sub = Self::new(verbosity, pid);
        sub.sinks.replace(sinks);
        sub
    }

    /// The handle to swap the sinks later; take it before [`install`]
    /// consumes the subscriber.
    pub fn sinks_handle(&self) -> SinksHandle {
        self.sinks.clone()
    }

    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    #[cfg(test)]
    fn capture_diagnostics(mut self) -> (Self, Arc<std::sync::Mutex<Vec<u8>>>) {
        let buf = Arc::default();
        self.diag = DiagOut::Capture(Arc::clone(&buf));
        (self, buf)
    }

    fn emit_diagnostic(&self, line: &str) {
        match &self.diag {
            DiagOut::Stderr => {
                // One locked write per line; nothing useful to do on error.
                let _ = std::io::stderr().lock().write_all(line.as_bytes());
            }
            #[cfg(test)]
            DiagOut::Capture(buf) => {
                if let Ok(mut b) = buf.lock() {
                    b.extend_from_slice(line.as_bytes());
                }
            }
        }
    }
}

/// Installs `sub` as the process-wide subscriber. Fails (without panicking)
/// if one is already installed.
pub fn install(sub: ProxySubscriber) -> Result<(), SetGlobalDefaultError> {
    tracing::subscriber::set_global_default(sub)
}

/// Emits a traffic log line for proxy `proxy_idx` at severity info.
pub fn traffic(proxy_idx: usize, line: &str) {
    tracing::info!(target: TRAFFIC_TARGET, proxy = proxy_idx as u64, message = line);
}

/// Emits a traffic log line with an explicit syslog severity (0..=7), e.g.
/// for server state changes, which HAProxy logs at notice or alert.
pub fn traffic_with_severity(proxy_idx: usize, severity: u8, line: &str) {
    tracing::info!(
        target: TRAFFIC_TARGET,
        proxy = proxy_idx as u64,
        severity = u64::from(severity),
        message = line
    );
}

/// Appends `[LEVEL]<pad> (<pid>) : <message>`: the bracketed word padded to
/// 10 columns then a space, so messages line up whatever the level.
pub fn format_diagnostic(level: &Level, pid: u32, message: &str, out: &mut String) {
    let word = match *level {
        Level::ERROR => "[ALERT]",
        Level::WARN => "[WARNING]",
        Level::INFO => "[NOTICE]",
        Level::DEBUG => "[DEBUG]",
        Level::TRACE => "[TRACE]",
    };
    let _ = write!(out, "{word:<10} ({pid}) : {message}");
}

/// Per-thread scratch space for one event, reused so the hot traffic path
/// does not allocate.
#[derive(Default)]
struct Scratch {
    message: String,
    /// Non-message fields of diagnostics, ` name=value` each.
    extra: String,
    line: String,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` on the cleared thread-local scratch, or on a fresh one when it is
/// unavailable (an event emitted while handling an event, thread teardown).
fn with_scratch(f: impl FnOnce(&mut Scratch)) {
    let mut f = Some(f);
    let _ = SCRATCH.try_with(|cell| {
        if let Ok(mut s) = cell.try_borrow_mut() {
            s.message.clear();
            s.extra.clear();
            s.line.clear();
            if let Some(f) = f.take() {
                f(&mut s);
            }
            // One giant line must not pin its buffer for the thread's life.
            if s.message.capacity() + s.line.capacity() > 64 * 1024 {
                *s = Scratch::default();
            }
        }
    });
    if let Some(f) = f {
        f(&mut Scratch::default());
    }
}

/// Collects the fields the subscriber cares about.
struct Fields<'s> {
    message: &'s mut String,
    extra: &'s mut String,
    traffic: bool,
    proxy: Option<u64>,
    severity: Option<u64>,
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else if !self.traffic {
            let _ = write!(self.extra, " {}={}", field.name(), value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "proxy" if self.traffic => self.proxy = Some(value),
            "severity" if self.traffic => self.severity = Some(value),
            _ => self.record_debug(field, &value),
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        match u64::try_from(value) {
            Ok(v) if self.traffic => self.record_u64(field, v),
            _ => self.record_debug(field, &value),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            // `format_args!` messages print their text through Debug.
            let _ = write!(self.message, "{value:?}");
        } else if !self.traffic {
            let _ = write!(self.extra, " {}={:?}", field.name(), value);
        }
    }
}

impl Subscriber for ProxySubscriber {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // Verbosity never changes, so the answer can be cached by the
        // callsite and `enabled` is not even called on the hot path.
        if self.enabled(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == TRAFFIC_TARGET || self.verbosity.allows(metadata.level())
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        // Traffic events are INFO, so even `-q` must let INFO through.
        Some(match self.verbosity {
            Verbosity::Quiet | Verbosity::Normal => LevelFilter::INFO,
            Verbosity::Debug => LevelFilter::TRACE,
        })
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        // Ids must be non-zero; the counter starts at 1 and would need
        // centuries to wrap.
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed).max(1))
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        let traffic = meta.target() == TRAFFIC_TARGET;
        if !traffic && !self.verbosity.allows(meta.level()) {
            return;
        }
        with_scratch(|s| {
            let mut fields = Fields {
                message: &mut s.message,
                extra: &mut s.extra,
                traffic,
                proxy: None,
                severity: None,
            };
            event.record(&mut fields);
            if traffic {
                let (proxy, severity) = (fields.proxy, fields.severity);
                if let Some(idx) = proxy.and_then(|p| usize::try_from(p).ok()) {
                    let sev = severity.map_or(SEVERITY_INFO, |v| v.min(7) as u8);
                    self.sinks.send(idx, sev, &s.message);
                }
            } else {
                format_diagnostic(meta.level(), self.pid, &s.message, &mut s.line);
                s.line.push_str(&s.extra);
                s.line.push('\n');
                self.emit_diagnostic(&s.line);
            }
        });
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

#[cfg(test)]
#[path = "subscriber_tests.rs"]
mod tests;
