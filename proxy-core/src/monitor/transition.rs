//! Server state changes and what they do: load balancing sees the new
//! state at once (it reads [`crate::backend::health::ServerHealth`]), the
//! queue is served when a server comes up, sessions are shut down when
//! configured to, trackers follow, and the change is logged with
//! HAProxy 2.6's text:
//!
//! `Server be/s1 is DOWN, reason: Layer4 connection problem, info:
//! "Connection refused", check duration: 0ms. 0 active and 0 backup
//! servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`

use std::sync::atomic::Ordering;

use crate::backend::{Backend, Server};
use crate::health::machine::{Check, OpState};
use crate::log::subscriber::traffic_with_severity;
use crate::state::State;

/// Syslog severities HAProxy uses for these events.
pub const LOG_EMERG: u8 = 0;
pub const LOG_ALERT: u8 = 1;
pub const LOG_NOTICE: u8 = 5;

/// Why a server changes state: the check whose result it is, or another
/// server it tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    Health,
    Agent,
    /// Following the tracked server (the message says `via be/srv`).
    Tracked,
    /// `set server ... health|agent` (`, changed from CLI`).
    Cli,
    /// A server-state file read at start-up (`, changed from
    /// server-state after a reload`).
    StateFile,
    /// No reason in the message: an operator's command, or a check
    /// whose result `log-health-checks` has already logged.
    Silent,
}

/// A server by position: `(proxy, server)`.
pub type SrvRef = (usize, usize);

fn lookup(st: &State, (pi, si): SrvRef) -> Option<(&Backend, &Server)> {
    let be = st.proxies.get(pi)?.be.as_ref()?;
    Some((be, be.servers.get(si)?))
}

/// `Server be/s1` (`Backup Server be/b1`), how messages name a server.
pub fn label(st: &State, pi: usize, s: &Server) -> String {
    format!(
        "{}Server {}/{}",
        if s.backup { "Backup " } else { "" },
        st.proxies[pi].name,
        s.name
    )
}

/// Logs a state-change line on the backend's targets and on stderr;
/// while starting, on stderr only, as a configuration warning.
pub(super) fn emit(st: &State, pi: usize, severity: u8, msg: &str) {
    let line = format!("{msg}.");
    if st.is_starting() {
        tracing::warn!("config : {line}");
        return;
    }
    // HAProxy prints these as warnings on stderr whatever their log level.
    tracing::warn!("{line}");
    traffic_with_severity(pi, severity, &line);
}

/// The reason part of a message: the deciding check's last result.
fn append_cause(msg: &mut String, s: &Server, cause: Cause) {
    let c = s.health.lock();
    match cause {
        Cause::Health => c.check.append_info(msg),
        Cause::Agent => c.agent.append_info(msg),
        Cause::Cli => msg.push_str(", changed from CLI"),
        Cause::StateFile => msg.push_str(", changed from server-state after a reload"),
        Cause::Tracked | Cause::Silent => {}
    }
}

/// ` via be/srv` and the counts after the change.
fn append_more(
    st: &State,
    msg: &mut String,
    (be, s): (&Backend, &Server),
    xferred: u32,
    cause: Cause,
) {
    if cause == Cause::Tracked {
        if let Some(name) = tracked_name(st, s) {
            msg.push_str(" via ");
            msg.push_str(&name);
        }
    }
    append_counts(msg, (be, s), xferred, s.health.op() == OpState::Stopped);
}

/// `. N active and M backup servers left|online. ...`: the backend's
/// usable servers after the change, the server's sessions and the queue
/// (`down`: the server is now down).
pub fn append_counts(msg: &mut String, (be, s): (&Backend, &Server), xferred: u32, down: bool) {
    let (act, bck) = be.usable_counts();
    let on_backup = if bck > 0 && act == 0 {
        " Running on backup."
    } else {
        ""
    };
    if down {
        msg.push_str(&format!(
            ". {act} active and {bck} backup servers left.{on_backup} {} sessions active, {xferred} requeued, 0 remaining in queue",
            s.cur_sess.load(Ordering::Relaxed)
        ));
    } else {
        msg.push_str(&format!(
            ". {act} active and {bck} backup servers online.{on_backup} {xferred} sessions requeued, {} total in queue",
            be.queued.load(Ordering::Relaxed)
        ));
    }
}

/// `<backend>/<server>` of the server `s` tracks.
pub fn tracked_name(st: &State, s: &Server) -> Option<String> {
    let (pi, si) = s.health.track?;
    let p = st.proxies.get(pi)?;
    let t = p.be.as_ref()?.servers.get(si)?;
    Some(format!("{}/{}", p.name, t.name))
}

/// The operational state of the server `s` tracks.
pub fn tracked_op(st: &State, s: &Server) -> Option<OpState> {
    let (pi, si) = s.health.track?;
    Some(
        st.proxies
            .get(pi)?
            .be
            .as_ref()?
            .servers
            .get(si)?
            .health
            .op(),
    )
}

/// The servers that track `r`.
pub fn trackers(st: &State, r: SrvRef) -> Vec<SrvRef> {
    let mut out = Vec::new();
    for (pi, p) in st.proxies.iter().enumerate() {
        let Some(be) = &p.be else { continue };
        for s in &be.servers {
            if s.health.track == Some(r) {
                out.push((pi, s.idx));
            }
        }
    }
    out
}

/// Counts a backend losing its last server, with HAProxy's alert.
pub fn note_backend_change(st: &State, pi: usize, be: &Backend, before: (u32, u32)) {
    let after = be.usable_counts();
    if before != (0, 0) && after == (0, 0) {
        be.down_trans.fetch_add(1, Ordering::Relaxed);
        be.last_change
            .store(crate::counters::now_ms(), Ordering::Relaxed);
        if st.is_starting() {
            return;
        }
        let name = &st.proxies[pi].name;
        tracing::error!("backend '{name}' has no server available!");
        traffic_with_severity(
            pi,
            LOG_EMERG,
            &format!("backend {name} has no server available!"),
        );
    } else if before == (0, 0) && after != (0, 0) {
        be.last_change
            .store(crate::counters::now_ms(), Ordering::Relaxed);
    }
}

/// Marks a server down (unless in maintenance or down already).
pub fn set_stopped(st: &State, r: SrvRef, cause: Cause) {
    let Some((be, s)) = lookup(st, r) else { return };
    if s.in_maint() || s.health.op() == OpState::Stopped {
        return;
    }
    let before = be.usable_counts();
    let was_stopping =
        s.health.op() == OpState::Stopping || s.admin_state() == crate::backend::admin_state::DRAIN;
    s.health.set_op(OpState::Stopped);
    be.server_changed(s.idx);
    s.health.chkdown.fetch_add(1, Ordering::Relaxed);
    s.last_change
        .store(crate::counters::now_ms(), Ordering::Relaxed);
    note_backend_change(st, r.0, be, before);
    if s.health.cfg.shutdown_on_down {
        st.shutdown_server_sessions(r.0, s.idx);
    }
    let mut msg = format!("{} is DOWN", label(st, r.0, s));
    append_cause(&mut msg, s, cause);
    append_more(st, &mut msg, (be, s), 0, cause);
    let level = if was_stopping { LOG_NOTICE } else { LOG_ALERT };
    emit(st, r.0, level, &msg);
    for t in trackers(st, r) {
        set_stopped(st, t, Cause::Tracked);
    }
}

/// Marks a server up (`Starting` with a slowstart), unless in maintenance
/// or up already.
pub fn set_running(st: &State, r: SrvRef, cause: Cause) {
    let Some((be, s)) = lookup(st, r) else { return };
    if s.in_maint() || s.health.op().is_up() {
        return;
    }
    let before = be.usable_counts();
    let next = if s.slowstart.is_some() {
        OpState::Starting
    } else {
        OpState::Running
    };
    s.health.set_op(next);
    be.server_came_up(s.idx);
    s.last_change
        .store(crate::counters::now_ms(), Ordering::Relaxed);
    note_backend_change(st, r.0, be, before);
    if s.health.cfg.shutdown_backup_on_up && !s.backup && s.eweight() > 0 {
        for b in be.servers.iter().filter(|b| b.backup) {
            st.shutdown_server_sessions(r.0, b.idx);
        }
    }
    let xferred = be.serve_queue(s.idx);
    let mut msg = format!("{} is UP", label(st, r.0, s));
    append_cause(&mut msg, s, cause);
    append_more(st, &mut msg, (be, s), xferred, cause);
    emit(st, r.0, LOG_NOTICE, &msg);
    for t in trackers(st, r) {
        set_running(st, t, Cause::Tracked);
    }
}

/// A slowstart is over: `Starting` becomes `Running`, which HAProxy
/// reports as the server being UP again.
pub fn end_warmup(st: &State, r: SrvRef) {
    let Some((be, s)) = lookup(st, r) else { return };
    if !s.health.end_warmup() {
        return;
    }
    be.server_changed(s.idx);
    let xferred = be.serve_queue(s.idx);
    let mut msg = format!("{} is UP", label(st, r.0, s));
    append_more(st, &mut msg, (be, s), xferred, Cause::Silent);
    emit(st, r.0, LOG_NOTICE, &msg);
}

/// Marks a server stopping (up, no new traffic: `NOLB`).
pub fn set_stopping(st: &State, r: SrvRef, cause: Cause) {
    let Some((be, s)) = lookup(st, r) else { return };
    if s.in_maint() || s.health.op() == OpState::Stopping {
        return;
    }
    let before = be.usable_counts();
    s.health.set_op(OpState::Stopping);
    be.server_changed(s.idx);
    s.last_change
        .store(crate::counters::now_ms(), Ordering::Relaxed);
    note_backend_change(st, r.0, be, before);
    let mut msg = format!("{} is stopping", label(st, r.0, s));
    append_cause(&mut msg, s, cause);
    append_more(st, &mut msg, (be, s), 0, cause);
    emit(st, r.0, LOG_NOTICE, &msg);
    for t in trackers(st, r) {
        set_stopping(st, t, Cause::Tracked);
    }
}

/// The `log-health-checks` line for a check result worth reporting.
pub fn log_check_result(st: &State, r: SrvRef, c: &Check, drain: bool) {
    let Some((_, s)) = lookup(st, r) else { return };
    let passed = c.status.result() != crate::health::status::CheckResult::Failed;
    let cond = c.status.result() == crate::health::status::CheckResult::CondPass;
    let mut msg = format!(
        "{} check for {}server {}/{} {}{}",
        if c.agent { "Agent" } else { "Health" },
        if s.backup { "backup " } else { "" },
        st.proxies[r.0].name,
        s.name,
        if cond { "conditionally " } else { "" },
        if passed { "succeeded" } else { "failed" },
    );
    c.append_info(&mut msg);
    msg.push_str(", status: ");
    msg.push_str(&c.progress(drain));
    emit(st, r.0, LOG_NOTICE, &msg);
}
