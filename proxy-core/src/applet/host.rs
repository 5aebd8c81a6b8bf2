//! The host-services table every applet instance receives.
//!
//! One static table (built on first use, never freed); its functions read
//! the run-time state registered with [`set_state`]. Before that, or after
//! [`clear_state`], the snapshot functions return empty lists and `admin`
//! fails.
//!
//! Every function is `extern "C"` and called from library code, so none
//! may unwind: each body runs under `catch_unwind` and a panic returns an
//! empty value (or `Err`) after logging.
//!
//! What is not filled yet: `sessions()` returns an empty list (the core
//! keeps no registry of live streams yet); `admin` implements
//! `SET_SERVER_WEIGHT` only, the other operations answer `Err`.

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Instant;

use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::std_types::{RErr, ROk, RResult, RStr, RString, RVec};
use applet_sdk::{
    AdminCmd, AdminOp, Field, HostServices, HostServices_Ref, LogLevel, Metric, PoolSnapshot,
    ProxyKind, ProxyMode, ProxySnapshot, ServerSnapshot, ServerState, StreamSnapshot,
};

use crate::config::{Mode, ProxyKind as CfgKind};
use crate::counters::Counters;
use crate::state::State;

/// The largest weight `set weight` accepts (HAProxy's limit).
const MAX_WEIGHT: u64 = 256;

static STATE: RwLock<Option<Arc<State>>> = RwLock::new(None);
static START: OnceLock<Instant> = OnceLock::new();
static TABLE: OnceLock<HostServices_Ref> = OnceLock::new();

/// Registers the state the host functions read (replacing any earlier
/// one, e.g. after a reload).
pub fn set_state(state: Arc<State>) {
    *STATE.write().unwrap_or_else(|e| e.into_inner()) = Some(state);
}

/// Forgets the registered state.
pub fn clear_state() {
    *STATE.write().unwrap_or_else(|e| e.into_inner()) = None;
}

fn state() -> Option<Arc<State>> {
    STATE.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The table to hand to applet constructors.
pub fn table() -> HostServices_Ref {
    START.get_or_init(Instant::now);
    *TABLE.get_or_init(|| {
        HostServices {
            log: host_log,
            now_ms: host_now_ms,
            proxies: host_proxies,
            sessions: host_sessions,
            pools: host_pools,
            admin: host_admin,
        }
        .leak_into_prefix()
    })
}

/// Runs a host function body; a panic becomes `default`.
fn contain<R>(what: &str, default: R, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => {
            tracing::error!(target: "applet", "host function {what} panicked");
            default
        }
    }
}

extern "C" fn host_log(level: LogLevel, source: RStr<'_>, msg: RStr<'_>) {
    contain("log", (), || {
        let (source, msg) = (source.as_str(), msg.as_str());
        match level.0 {
            0..=3 => tracing::error!(target: "applet", applet = source, "{msg}"),
            4 => tracing::warn!(target: "applet", applet = source, "{msg}"),
            5 | 6 => tracing::info!(target: "applet", applet = source, "{msg}"),
            _ => tracing::debug!(target: "applet", applet = source, "{msg}"),
        }
    })
}

extern "C" fn host_now_ms() -> u64 {
    contain("now_ms", 0, || {
        START.get_or_init(Instant::now).elapsed().as_millis() as u64
    })
}

fn m(name: &'static str, value: u64) -> Metric {
    Metric {
        name: RStr::from_str(name),
        value,
    }
}

/// A side's counters under HAProxy's CSV column names.
fn counter_metrics(c: &Counters) -> Vec<Metric> {
    let l = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    vec![
        m("scur", u64::from(c.cur.load(Ordering::Relaxed))),
        m("smax", u64::from(c.max.load(Ordering::Relaxed))),
        m("stot", l(&c.total)),
        m("bin", l(&c.bytes_in)),
        m("bout", l(&c.bytes_out)),
        m("dreq", l(&c.denied)),
        m("econ", l(&c.failed_conns)),
        m("wretr", l(&c.retries)),
        m("wredis", l(&c.redispatches)),
        m("cli_abrt", l(&c.cli_aborts)),
        m("srv_abrt", l(&c.srv_aborts)),
    ]
}

fn proxies_of(state: &State) -> Vec<ProxySnapshot> {
    state
        .proxies
        .iter()
        .map(|p| {
            let kind = match p.cfg.kind {
                CfgKind::Frontend => ProxyKind::FRONTEND,
                CfgKind::Backend => ProxyKind::BACKEND,
                CfgKind::Listen => ProxyKind::LISTEN,
            };
            let mode = match p.mode {
                Mode::Tcp => ProxyMode::TCP,
                Mode::Http => ProxyMode::HTTP,
            };
            let frontend =
                p.fe.as_ref()
                    .map(|fe| counter_metrics(&fe.counters))
                    .unwrap_or_default();
            let (backend, servers) = match &p.be {
                Some(be) => {
                    let mut metrics = counter_metrics(&be.counters);
                    metrics.push(m("qcur", u64::from(be.queued.load(Ordering::Relaxed))));
                    metrics.push(m("act", u64::from(be.usable_count())));
                    let servers = be
                        .servers
                        .iter()
                        .map(|s| {
                            let state = if s.disabled {
                                ServerState::MAINT
                            } else {
                                ServerState::READY
                            };
                            let maxconn = s.maxconn.load(Ordering::Relaxed);
                            let mut metrics = counter_metrics(&s.counters);
                            metrics.push(m("slim", u64::from(maxconn)));
                            ServerSnapshot {
                                name: s.name.as_str().into(),
                                id: s.id,
                                state,
                                weight: s.weight.load(Ordering::Relaxed),
                                cur: s.cur_sess.load(Ordering::Relaxed),
                                maxconn,
                                backup: s.backup,
                                addr: match s.port {
                                    Some(port) => SocketAddr::new(s.ip, port).to_string(),
                                    None => s.ip.to_string(),
                                }
                                .into(),
                                metrics: metrics.into(),
                                fields: vec![Field {
                                    name: RStr::from_str("status"),
                                    value: state.name().into(),
                                }]
                                .into(),
                            }
                        })
                        .collect::<Vec<_>>();
                    (metrics, servers)
                }
                None => (Vec::new(), Vec::new()),
            };
            ProxySnapshot {
                name: p.name.as_str().into(),
                id: p.cfg.id,
                kind,
                mode,
                frontend: frontend.into(),
                backend: backend.into(),
                servers: servers.into(),
                fields: RVec::new(),
            }
        })
        .collect()
}

extern "C" fn host_proxies() -> RVec<ProxySnapshot> {
    contain("proxies", RVec::new(), || {
        state().map(|s| proxies_of(&s).into()).unwrap_or_default()
    })
}

extern "C" fn host_sessions() -> RVec<StreamSnapshot> {
    // NOTE(applet): the core keeps no list of live streams yet.
    RVec::new()
}

fn pools_of(state: &State) -> Vec<PoolSnapshot> {
    let snap = |p: crate::pool::PoolStats| PoolSnapshot {
        name: p.name.into(),
        obj_size: p.obj_size as u64,
        allocated: p.allocated as u64,
        used: p.used as u64,
        failed: p.failed as u64,
    };
    let (alloc, used) = crate::buffer::stats();
    vec![
        snap(state.pools.connection.stats()),
        snap(state.pools.stream.stats()),
        PoolSnapshot {
            name: "buffer".into(),
            obj_size: state.config.global.bufsize as u64,
            allocated: alloc as u64,
            used: used as u64,
            failed: 0,
        },
    ]
}

extern "C" fn host_pools() -> RVec<PoolSnapshot> {
    contain("pools", RVec::new(), || {
        state().map(|s| pools_of(&s).into()).unwrap_or_default()
    })
}

fn admin_on(state: &State, cmd: &AdminCmd) -> Result<String, String> {
    match cmd.op {
        AdminOp::SET_SERVER_WEIGHT => {
            let be = state
                .backend_index(&cmd.proxy)
                .and_then(|i| state.proxies[i].be.as_ref())
                .ok_or_else(|| format!("No such backend '{}'.", cmd.proxy))?;
            let srv = be
                .servers
                .iter()
                .find(|s| s.name == cmd.server.as_str())
                .ok_or_else(|| format!("No such server '{}'.", cmd.server))?;
            if cmd.value > MAX_WEIGHT {
                return Err(format!("Weight must be between 0 and {MAX_WEIGHT}."));
            }
            srv.weight.store(cmd.value as u32, Ordering::Relaxed);
            Ok(String::new())
        }
        AdminOp::SET_SERVER_STATE | AdminOp::CLEAR_COUNTERS | AdminOp::SHUTDOWN_STREAM => {
            Err("not yet".to_string())
        }
        AdminOp(other) => Err(format!("unknown admin operation {other}")),
    }
}

extern "C" fn host_admin(cmd: AdminCmd) -> RResult<RString, RString> {
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
pub(crate) fn proxies_for_test(state: &State) -> Vec<ProxySnapshot> {
    proxies_of(state)
}

#[cfg(test)]
pub(crate) fn admin_for_test(state: &State, cmd: &AdminCmd) -> Result<String, String> {
    admin_on(state, cmd)
}
