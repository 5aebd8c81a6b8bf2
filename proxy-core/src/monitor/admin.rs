//! Administrative state changes (maintenance, drain, ready) from the CLI
//! or an agent, with what they do to checks and HAProxy 2.6's log lines
//! (`Server be/s1 is going DOWN for maintenance. ...`, `... enters drain
//! state. ...`, `... is UP/READY (leaving forced maintenance).`).

use std::sync::atomic::Ordering;

use applet_sdk::AdminOp;

use super::transition::{self, SrvRef, LOG_ALERT, LOG_NOTICE};
use crate::backend::admin_state;
use crate::check::agent::AgentAdmin;
use crate::health::machine::OpState;
use crate::state::State;

/// An agent's `ready`, `drain` or `maint`.
pub fn agent_admin(st: &State, r: SrvRef, a: AgentAdmin) {
    let state = match a {
        AgentAdmin::Ready => admin_state::READY,
        AgentAdmin::Drain => admin_state::DRAIN,
        AgentAdmin::Maint => admin_state::MAINT,
    };
    // HAProxy's agent sets the forced flags, as the CLI does.
    set_admin(st, r, state, true);
}

/// Moves a server to admin `state`; `forced` when an operator asked.
/// Returns whether anything changed.
pub fn set_admin(st: &State, r: SrvRef, state: u8, forced: bool) -> bool {
    let Some(be) = st.proxies.get(r.0).and_then(|p| p.be.as_ref()) else {
        return false;
    };
    let Some(s) = be.servers.get(r.1) else {
        return false;
    };
    let old = s.admin_state();
    if old == state {
        return false;
    }
    let before = be.usable_counts();
    let name = transition::label(st, r.0, s);
    let was_stopping = s.health.op() == OpState::Stopping || old == admin_state::DRAIN;
    let was_down = s.health.op() == OpState::Stopped;
    s.set_admin(state);
    be.server_changed(s.idx);
    if s.inherited_maint() && (state == admin_state::MAINT || old == admin_state::MAINT) {
        // Already in maintenance through the tracked server: only the
        // forced flag changes.
        if old == admin_state::MAINT {
            let via = transition::tracked_name(st, s).unwrap_or_default();
            log(
                st,
                r.0,
                LOG_NOTICE,
                &format!(
                    "{name} is leaving forced maintenance but remains in maintenance via {via}"
                ),
            );
        }
        return true;
    }
    let (msg, level) = match state {
        admin_state::MAINT => enter_maint(be, s, &name, was_down, was_stopping),
        _ if old == admin_state::MAINT => (leave_maint(be, s, &name, state, forced), LOG_NOTICE),
        admin_state::DRAIN => {
            let mut m = format!("{name} enters drain state");
            transition::append_counts(&mut m, (be, s), 0, s.health.op() == OpState::Stopped);
            (m, LOG_NOTICE)
        }
        _ => {
            let m = format!(
                "{name} is {} (leaving {}drain)",
                up_down(s.health.op()),
                if forced { "forced " } else { "" }
            );
            be.serve_queue(s.idx);
            (m, LOG_NOTICE)
        }
    };
    transition::note_backend_change(st, r.0, be, before);
    if st.is_starting() {
        // Applying a saved state: HAProxy 2.6 keeps quiet about entering
        // maintenance or drain then, but reports a drain as kept.
        match state {
            admin_state::MAINT => {
                propagate_maint(st, r, true, 0);
                return true;
            }
            admin_state::DRAIN if old != admin_state::MAINT => {
                let m = format!("{name} remains in forced drain mode");
                transition::emit(st, r.0, LOG_NOTICE, &m);
                return true;
            }
            _ => {}
        }
    }
    log(st, r.0, level, &msg);
    if state == admin_state::MAINT || old == admin_state::MAINT {
        propagate_maint(st, r, state == admin_state::MAINT, 0);
    }
    true
}

/// `UP` or `DOWN`, as state-change messages say it.
fn up_down(op: OpState) -> &'static str {
    if op == OpState::Stopped {
        "DOWN"
    } else {
        "UP"
    }
}

/// Entering maintenance: the health check pauses at 0 and the server
/// stops; the message and its log level.
fn enter_maint(
    be: &crate::backend::Backend,
    s: &crate::backend::Server,
    name: &str,
    was_down: bool,
    was_stopping: bool,
) -> (String, u8) {
    {
        let mut c = s.health.lock();
        if c.check.enabled {
            c.check.paused = true;
            c.check.health = 0;
        }
    }
    s.health.set_op(OpState::Stopped);
    if !was_down {
        // Going down for maintenance counts as a transition to DOWN.
        s.health
            .chkdown
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    if was_down {
        return (
            format!("{name} was DOWN and now enters maintenance"),
            LOG_NOTICE,
        );
    }
    let mut m = format!("{name} is going DOWN for maintenance");
    transition::append_counts(&mut m, (be, s), 0, true);
    (m, if was_stopping { LOG_NOTICE } else { LOG_ALERT })
}

/// Leaving maintenance: the health check resumes at `rise` (up, checked
/// again soon) and the server is up if every check agrees.
fn leave_maint(
    be: &crate::backend::Backend,
    s: &crate::backend::Server,
    name: &str,
    state: u8,
    forced: bool,
) -> String {
    let up = {
        let mut c = s.health.lock();
        if c.check.enabled {
            c.check.paused = false;
            c.check.health = c.check.rise;
        }
        c.all_agree()
    };
    let op = match (up, s.slowstart) {
        (false, _) => OpState::Stopped,
        (true, Some(_)) => OpState::Starting,
        (true, None) => OpState::Running,
    };
    s.health.set_op(op);
    if op.is_up() {
        be.server_came_up(s.idx);
    }
    be.serve_queue(s.idx);
    format!(
        "{name} is {}/{} (leaving {}maintenance)",
        up_down(op),
        if state == admin_state::DRAIN {
            "DRAIN"
        } else {
            "READY"
        },
        if forced { "forced " } else { "" }
    )
}

fn log(st: &State, pi: usize, level: u8, msg: &str) {
    transition::emit(st, pi, level, msg);
}

/// The servers tracking `r` enter or leave maintenance with it
/// (`MAINT (via be/srv)`); `depth` bounds the walk (chains have no loops,
/// the configuration checks made sure).
fn propagate_maint(st: &State, r: SrvRef, on: bool, depth: usize) {
    if depth > 64 {
        return;
    }
    for t in transition::trackers(st, r) {
        let Some(be) = st.proxies.get(t.0).and_then(|p| p.be.as_ref()) else {
            continue;
        };
        let Some(s) = be.servers.get(t.1) else {
            continue;
        };
        if s.imaint.swap(on, Ordering::Relaxed) == on {
            continue;
        }
        let name = transition::label(st, t.0, s);
        let via = transition::tracked_name(st, s).unwrap_or_default();
        if s.admin_state() == admin_state::MAINT {
            if !on {
                log(
                    st,
                    t.0,
                    LOG_NOTICE,
                    &format!("{name} remains in forced maintenance"),
                );
            }
            continue;
        }
        let before = be.usable_counts();
        if on {
            let was_down = s.health.op() == OpState::Stopped;
            let was_stopping = s.health.op() == OpState::Stopping;
            s.health.set_op(OpState::Stopped);
            be.server_changed(s.idx);
            s.last_change
                .store(crate::counters::now_ms(), Ordering::Relaxed);
            transition::note_backend_change(st, t.0, be, before);
            if was_down {
                log(
                    st,
                    t.0,
                    LOG_NOTICE,
                    &format!("{name} was DOWN and now enters maintenance via {via}"),
                );
            } else {
                let mut m = format!("{name} is going DOWN for maintenance via {via}");
                transition::append_counts(&mut m, (be, s), 0, true);
                log(
                    st,
                    t.0,
                    if was_stopping { LOG_NOTICE } else { LOG_ALERT },
                    &m,
                );
            }
        } else {
            let op = match transition::tracked_op(st, s) {
                Some(op) => op,
                None => OpState::Running,
            };
            s.health.set_op(op);
            if op.is_up() {
                be.server_came_up(s.idx);
            } else {
                be.server_changed(s.idx);
            }
            s.last_change
                .store(crate::counters::now_ms(), Ordering::Relaxed);
            transition::note_backend_change(st, t.0, be, before);
            let m = format!(
                "{name} is {}/{} (leaving maintenance)",
                up_down(op),
                if s.admin_state() == admin_state::DRAIN {
                    "DRAIN"
                } else {
                    "READY"
                },
            );
            log(st, t.0, LOG_NOTICE, &m);
        }
        propagate_maint(st, t, on, depth + 1);
    }
}

/// The CLI's check commands (`set server <b>/<s> health|agent|check-port`,
/// `enable|disable health|agent`), as the stats applet sends them. Errors
/// are HAProxy's messages.
pub fn check_op(st: &State, r: SrvRef, op: AdminOp, value: u64) -> Result<String, String> {
    use super::transition::{set_running, set_stopped, set_stopping, Cause};
    let Some(s) = super::server_at(st, r) else {
        return Err("No such server.\n".into());
    };
    match op {
        AdminOp::SET_SERVER_HEALTH => {
            if s.health.track.is_some() {
                return Err("cannot change health on a tracking server.\n".into());
            }
            {
                let mut c = s.health.lock();
                c.check.health = if value == 0 { 0 } else { c.check.full() };
            }
            match value {
                0 => set_stopped(st, r, Cause::Cli),
                2 => set_stopping(st, r, Cause::Cli),
                _ => set_running(st, r, Cause::Cli),
            }
        }
        AdminOp::SET_SERVER_AGENT => {
            let enabled = {
                let mut c = s.health.lock();
                if c.agent.enabled {
                    c.agent.health = if value == 0 { 0 } else { c.agent.full() };
                }
                c.agent.enabled
            };
            if !enabled {
                return Err("agent checks are not enabled on this server.\n".into());
            }
            if value == 0 {
                set_stopped(st, r, Cause::Cli);
            } else if s.health.lock().all_agree() {
                set_running(st, r, Cause::Cli);
            }
        }
        AdminOp::ENABLE_HEALTH | AdminOp::ENABLE_AGENT => {
            let mut c = s.health.lock();
            let health = op == AdminOp::ENABLE_HEALTH;
            let chk = if health { &mut c.check } else { &mut c.agent };
            if value == 1 && !chk.configured {
                return Err(if health {
                    "Health check was not configured on this server, cannot enable.\n".into()
                } else {
                    "Agent was not configured on this server, cannot enable.\n".into()
                });
            }
            chk.enabled = value == 1 && chk.configured;
        }
        AdminOp::SET_CHECK_PORT => {
            let port = u16::try_from(value).ok().filter(|&p| p > 0);
            s.health.lock().check.port = port;
        }
        AdminOp(other) => return Err(format!("unknown admin operation {other}\n")),
    }
    Ok(String::new())
}
