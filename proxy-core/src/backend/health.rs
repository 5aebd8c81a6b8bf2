//! A server's health at run time: its operational state (read lock-free
//! by load balancing), its checks' records, and the counters the stats
//! show (`chkfail`, `chkdown`, `downtime`, `hanafail`).

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::config::model_check::ServerCheck;
use crate::config::ServerConfig;
use crate::counters::now_ms;
use crate::health::machine::{Check, OpState, ServerChecks};

/// The health side of a [`super::Server`].
#[derive(Debug)]
pub struct ServerHealth {
    /// [`OpState`] as a byte.
    op: AtomicU8,
    /// Both checks' records; locked only by checks, the CLI and stats.
    pub checks: Mutex<ServerChecks>,
    /// The check settings as configured.
    pub cfg: ServerCheck,
    /// `(proxy, server)` this one tracks, resolved at start-up.
    pub track: Option<(usize, usize)>,
    /// `<backend>/<server>` of the tracked server.
    pub track_name: Option<String>,
    /// Failed checks (`chkfail`).
    pub chkfail: AtomicU64,
    /// UP to DOWN transitions (`chkdown`).
    pub chkdown: AtomicU64,
    /// When the server went down ([`now_ms`] + 1; 0 while up).
    down_since: AtomicU64,
    /// Time spent down before the current period, ms.
    downtime_ms: AtomicU64,
    /// Consecutive errors seen by `observe`.
    pub consecutive_errors: AtomicU32,
    /// Failed health analyses (`hanafail`).
    pub hanafail: AtomicU64,
}

impl ServerHealth {
    pub fn from_config(c: &ServerConfig, track: Option<(usize, usize)>) -> ServerHealth {
        let mut check = Check::new(false, c.check, c.rise, c.fall, c.inter);
        check.fastinter = c.hc.fastinter;
        check.downinter = c.hc.downinter;
        check.port = c.hc.port;
        let mut agent = Check::new(true, c.hc.agent, 1, 1, c.hc.agent_inter.unwrap_or(c.inter));
        agent.port = c.hc.agent_port;
        let op = if c.disabled || c.hc.unresolved {
            // A disabled server starts in maintenance, its check paused
            // at 0, as HAProxy's `disabled` keyword does.
            check.paused = true;
            check.health = 0;
            OpState::Stopped
        } else {
            OpState::Running
        };
        ServerHealth {
            op: AtomicU8::new(op.code()),
            checks: Mutex::new(ServerChecks { check, agent }),
            cfg: c.hc.clone(),
            track,
            track_name: c.hc.track.as_ref().map(|t| t.server.clone()),
            chkfail: AtomicU64::new(0),
            chkdown: AtomicU64::new(0),
            down_since: AtomicU64::new(if c.disabled || c.hc.unresolved {
                now_ms() + 1
            } else {
                0
            }),
            downtime_ms: AtomicU64::new(0),
            consecutive_errors: AtomicU32::new(0),
            hanafail: AtomicU64::new(0),
        }
    }

    pub fn op(&self) -> OpState {
        OpState::from_u8(self.op.load(Ordering::Relaxed))
    }

    /// Sets the operational state; returns the previous one. Keeps the
    /// downtime accounting.
    pub fn set_op(&self, op: OpState) -> OpState {
        let old = OpState::from_u8(self.op.swap(op.code(), Ordering::Relaxed));
        let now = now_ms();
        if old != OpState::Stopped && op == OpState::Stopped {
            self.down_since.store(now + 1, Ordering::Relaxed);
        } else if old == OpState::Stopped && op != OpState::Stopped {
            let since = self.down_since.swap(0, Ordering::Relaxed);
            if since > 0 {
                self.downtime_ms.fetch_add(
                    crate::counters::ms_since(since.wrapping_sub(1)),
                    Ordering::Relaxed,
                );
            }
        }
        old
    }

    /// A slowstart is over: `Starting` becomes `Running` (no-op in any
    /// other state, and when another thread got there first).
    /// Returns whether this call made the change.
    pub fn end_warmup(&self) -> bool {
        self.op
            .compare_exchange(
                OpState::Starting.code(),
                OpState::Running.code(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// Total time down (`downtime`), including the current period.
    pub fn downtime(&self) -> Duration {
        let mut ms = self.downtime_ms.load(Ordering::Relaxed);
        let since = self.down_since.load(Ordering::Relaxed);
        if since > 0 {
            ms += crate::counters::ms_since(since.wrapping_sub(1));
        }
        Duration::from_millis(ms)
    }

    /// A server down since start-up counts as down since `ago_ms` before
    /// now (a saved state's last change).
    pub fn backdate_down(&self, ago_ms: u64) {
        if self.op() == OpState::Stopped {
            let t = crate::counters::ms_ago(ago_ms).wrapping_add(1);
            self.down_since.store(t.max(1), Ordering::Relaxed);
        }
    }

    /// The checks, locked (a panic elsewhere leaves plain data behind).
    pub fn lock(&self) -> std::sync::MutexGuard<'_, ServerChecks> {
        self.checks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The server runs a health check or an agent.
    pub fn checked(&self) -> bool {
        let c = self.lock();
        c.check.configured || c.agent.configured
    }
}
