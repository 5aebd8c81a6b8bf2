//! The host service `admin`: the CLI commands that change the run-time
//! state (`set weight|server|maxconn`, `clear counters`, `shutdown
//! session|sessions server`). Errors are HAProxy's CLI messages (with
//! their newline).

use std::sync::atomic::Ordering;

use abi_stable::std_types::{RErr, ROk, RResult, RString};
use applet_sdk::{AdminCmd, AdminOp, ServerState};

use super::services::{contain, state};
use crate::backend::{admin_state, Server};
use crate::state::{Proxy, State};

/// The largest weight `set weight` accepts (HAProxy's limit).
const MAX_WEIGHT: u64 = 256;

fn find_server<'a>(state: &'a State, cmd: &AdminCmd) -> Result<(&'a Proxy, &'a Server), String> {
    let p = state
        .backend_index(&cmd.proxy)
        .map(|i| &state.proxies[i])
        .ok_or_else(|| "No such backend.\n".to_string())?;
    let be =
        p.be.as_ref()
            .ok_or_else(|| "No such backend.\n".to_string())?;
    let srv = be
        .servers
        .iter()
        .find(|s| s.name == cmd.server.as_str())
        .ok_or_else(|| "No such server.\n".to_string())?;
    Ok((p, srv))
}

fn admin_on(state: &State, cmd: &AdminCmd) -> Result<String, String> {
    match cmd.op {
        AdminOp::SET_SERVER_WEIGHT => {
            let (p, srv) = find_server(state, cmd)?;
            if cmd.value > MAX_WEIGHT {
                return Err("Absolute weight can only be between 0 and 256 inclusive.\n".into());
            }
            let static_lb =
                p.be.as_ref()
                    .is_some_and(|b| b.balance == crate::config::Balance::StaticRr);
            if static_lb && cmd.value != 0 && cmd.value != u64::from(srv.iweight) {
                return Err("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n".into());
            }
            srv.weight.store(cmd.value as u32, Ordering::Relaxed);
            if let Some(be) = &p.be {
                be.server_changed(srv.idx);
            }
            Ok(String::new())
        }
        AdminOp::SET_SERVER_STATE => {
            let (p, srv) = find_server(state, cmd)?;
            let st = match ServerState(cmd.value as u8) {
                ServerState::READY => admin_state::READY,
                ServerState::DRAIN => admin_state::DRAIN,
                ServerState::MAINT => admin_state::MAINT,
                other => return Err(format!("unsupported server state {}\n", other.0)),
            };
            crate::monitor::admin::set_admin(state, (p.idx, srv.idx), st, true);
            Ok(String::new())
        }
        AdminOp::SET_SERVER_MAXCONN => {
            let (_, srv) = find_server(state, cmd)?;
            let v = (cmd.value as i64).clamp(0, i64::from(u32::MAX)) as u32;
            srv.maxconn.store(v, Ordering::Relaxed);
            Ok(String::new())
        }
        AdminOp::SET_FRONTEND_MAXCONN => {
            let fe = state
                .proxies
                .iter()
                .find(|p| p.name == cmd.proxy.as_str())
                .and_then(|p| p.fe.as_ref())
                .ok_or_else(|| "No such frontend.\n".to_string())?;
            let new = cmd.value.min(u64::from(u32::MAX)) as u32;
            let old = fe.maxconn.swap(new, Ordering::Relaxed);
            if let Some(sem) = &fe.limit {
                crate::state::resize_limit(sem, old, new);
            }
            Ok(String::new())
        }
        AdminOp::SET_GLOBAL_MAXCONN => {
            let new = cmd.value.min(u64::from(state.hard_maxconn)) as u32;
            let old = state.maxconn.swap(new, Ordering::Relaxed);
            if let Some(sem) = &state.global_limit {
                crate::state::resize_limit(sem, old, new);
            }
            Ok(String::new())
        }
        AdminOp::CLEAR_COUNTERS => {
            let all = cmd.value != 0;
            state.global.clear(all);
            // HAProxy resets the TLS maxima with the others.
            crate::tls::stats::ssl_stats().clear_max();
            for p in &state.proxies {
                if let Some(fe) = &p.fe {
                    fe.counters.clear(all);
                }
                for t in p.cfg.binds.iter().filter_map(|b| b.tls.as_ref()) {
                    t.0.counters.clear();
                }
                if let Some(be) = &p.be {
                    be.counters.clear(all);
                    be.queued_max
                        .store(be.queued.load(Ordering::Relaxed), Ordering::Relaxed);
                    for s in &be.servers {
                        s.counters.clear(all);
                    }
                }
            }
            Ok(String::new())
        }
        AdminOp::SHUTDOWN_STREAM => match state.live.by_handle(cmd.value) {
            Some(l) => {
                l.kill();
                Ok(String::new())
            }
            None => Err("No such session (use 'show sess').\n".into()),
        },
        AdminOp::SHUTDOWN_SERVER_SESSIONS => {
            let (p, srv) = find_server(state, cmd)?;
            state.shutdown_server_sessions(p.idx, srv.idx);
            Ok(String::new())
        }
        AdminOp::SET_SERVER_HEALTH
        | AdminOp::SET_SERVER_AGENT
        | AdminOp::ENABLE_HEALTH
        | AdminOp::ENABLE_AGENT
        | AdminOp::SET_CHECK_PORT => {
            let (p, srv) = find_server(state, cmd)?;
            crate::monitor::admin::check_op(state, (p.idx, srv.idx), cmd.op, cmd.value)
        }
        AdminOp(other) => Err(format!("unknown admin operation {other}\n")),
    }
}

pub(super) extern "C" fn host_admin(cmd: AdminCmd) -> RResult<RString, RString> {
    contain("admin", RErr("internal error".into()), || {
        let Some(state) = state() else {
            return RErr("no state".into());
        };
        match admin_on(&state, &cmd) {
            Ok(s) => ROk(s.into()),
            Err(e) => RErr(e.into()),
        }
    })
}

#[cfg(test)]
pub(crate) fn admin_for_test(state: &State, cmd: &AdminCmd) -> Result<String, String> {
    admin_on(state, cmd)
}
