//! The host-services table every applet instance receives.
//!
//! One static table (built on first use, never freed); its functions read
//! the run-time state registered with [`set_state`]. Before that, or after
//! [`clear_state`], the snapshot functions return empty lists and `admin`
//! fails.
//!
//! That registration is the core's one bridge from a process-wide static
//! to the [`State`]: the table's functions are the stable ABI of
//! `applet-sdk` 0.1, which passes them no context, so they have nowhere
//! else to find it. Only the `extern "C"` entry points here, in `peers`
//! and in `admin` read it; each hands `&State` on to the code it calls,
//! and the rest of the core is handed the state explicitly.
//!
//! Every function is `extern "C"` and called from library code, so none
//! may unwind: each body runs under `catch_unwind` and a panic returns an
//! empty value (or `Err`) after logging.
//!
//! Snapshots: proxies and servers with their counters under HAProxy's
//! `show stat` column names, the process values of `show info` (`info`),
//! the live streams of [`crate::stream::live`] (`sessions`) and the pools.
//! `tables` runs the stick-table commands (`show|clear|set table`, `show
//! peers`) and answers with their text; `stick_tables` (in `stick_view`)
//! gives `show table` as data, `peers_view` (in `peers_view`) `show
//! peers`, `patterns` (in `pattern_view`) `show map|acl`. `admin` runs the commands that
//! change the state (in `admin`).

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::std_types::{RErr, ROk, RResult, RStr, RString, RVec};
use applet_sdk::{
    cli_level, Field, HostServices, HostServices_Ref, LogLevel, Metric, PoolSnapshot,
    ProcessSnapshot, ProxyKind, ProxyMode, ProxySnapshot, SiSnapshot, StreamSnapshot, TableCmd,
    TableOp,
};

use crate::backend::Server;
use crate::config::{Mode, ProxyKind as CfgKind};
use crate::counters::Counters;
use crate::state::State;
use crate::stream::live::LiveSi;

/// The state the host functions serve: the bridge described above, the
/// only place the core keeps its state in a static, because the ABI's
/// host functions carry no context. Nothing but the `extern "C"` entry
/// points may read it ([`state`]).
static STATE: RwLock<Option<Arc<State>>> = RwLock::new(None);
/// The functions themselves (no state: a table of function pointers).
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

/// The registered state, for the `extern "C"` entry points only.
pub(super) fn state() -> Option<Arc<State>> {
    STATE.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The table to hand to applet constructors.
pub fn table() -> HostServices_Ref {
    *TABLE.get_or_init(|| {
        HostServices {
            log: host_log,
            now_ms: host_now_ms,
            proxies: host_proxies,
            sessions: host_sessions,
            pools: host_pools,
            admin: super::admin::host_admin,
            info: host_info,
            tables: host_tables,
            peers_section: super::peers::host_peers_section,
            table_marks: super::peers::host_table_marks,
            table_collect: super::peers::host_table_collect,
            table_apply: super::peers::host_table_apply,
            peer_connect: super::peers::host_peer_connect,
            wake: super::peers::host_wake,
            peers_status: super::peers::host_peers_status,
            stick_tables: super::stick_view::host_stick_tables,
            peers_view: super::peers_view::host_peers_view,
            log_enabled: host_log_enabled,
            patterns: super::pattern_view::host_patterns,
        }
        .leak_into_prefix()
    })
}

/// Runs a host function body; a panic becomes `default`.
pub(super) fn contain<R>(what: &str, default: R, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => {
            tracing::error!(target: "applet", "host function {what} panicked");
            default
        }
    }
}

extern "C" fn host_tables(cmd: TableCmd) -> RResult<RString, RString> {
    contain("tables", RErr("internal error\n".into()), || {
        let Some(st) = state() else {
            return RErr("No such table\n".into());
        };
        let args: Vec<&str> = cmd.args.iter().map(|a| a.as_str()).collect();
        use crate::stick::show::{cli_table_access, Access, Action};
        let action = match cmd.op {
            TableOp::SHOW => Action::Show,
            TableOp::CLEAR => Action::Clear,
            TableOp::SET => Action::Set,
            TableOp::COMMAND => {
                return match super::core_cli::answer(&st, &args) {
                    Ok(s) => ROk(s.into()),
                    Err(e) => RErr(e.into()),
                }
            }
            _ => return RErr("Unknown action\n".into()),
        };
        let access = Access {
            session_oper: cmd.level >= cli_level::OPERATOR,
            socket_oper: cmd.socket_level >= cli_level::OPERATOR,
        };
        let now = crate::counters::now_ms();
        match cli_table_access(&st.stick.registry, action, &args, now, access) {
            Ok(s) => ROk(s.into()),
            Err(e) => RErr(e.into()),
        }
    })
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

/// Whether `host_log` would print a message of `level`.
extern "C" fn host_log_enabled(level: LogLevel) -> bool {
    contain("log_enabled", true, || match level.0 {
        0..=3 => tracing::enabled!(target: "applet", tracing::Level::ERROR),
        4 => tracing::enabled!(target: "applet", tracing::Level::WARN),
        5 | 6 => tracing::enabled!(target: "applet", tracing::Level::INFO),
        _ => tracing::enabled!(target: "applet", tracing::Level::DEBUG),
    })
}

/// Milliseconds since the state was built (0 without one).
extern "C" fn host_now_ms() -> u64 {
    contain("now_ms", 0, || {
        state().map_or(0, |st| st.started.elapsed().as_millis() as u64)
    })
}

pub(super) fn m(name: &'static str, value: u64) -> Metric {
    Metric {
        name: RStr::from_str(name),
        value,
    }
}

pub(super) fn f(name: &'static str, value: impl Into<RString>) -> Field {
    Field {
        name: RStr::from_str(name),
        value: value.into(),
    }
}

/// A side's counters under HAProxy's CSV column names.
pub(super) fn counter_metrics(c: &Counters) -> Vec<Metric> {
    let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let samples = l(&c.time_samples);
    let mut v = vec![
        m("scur", u64::from(c.cur.load(Ordering::Relaxed))),
        m("smax", u64::from(c.max.load(Ordering::Relaxed))),
        m("stot", l(&c.total)),
        m("bin", l(&c.bytes_in)),
        m("bout", l(&c.bytes_out)),
        m("dreq", l(&c.denied)),
        m("dresp", l(&c.denied_resp)),
        m("dcon", l(&c.denied_conn)),
        m("dses", l(&c.denied_sess)),
        m("ereq", l(&c.failed_req)),
        m("econ", l(&c.failed_conns)),
        m("eresp", l(&c.failed_resp)),
        m("wretr", l(&c.retries)),
        m("wredis", l(&c.redispatches)),
        m("lbtot", l(&c.lbtot)),
        m("rate", u64::from(c.sess_rate.read())),
        m(
            "rate_max",
            u64::from(c.sess_rate_max.load(Ordering::Relaxed)),
        ),
        m("hrsp_1xx", l(&c.hrsp[0])),
        m("hrsp_2xx", l(&c.hrsp[1])),
        m("hrsp_3xx", l(&c.hrsp[2])),
        m("hrsp_4xx", l(&c.hrsp[3])),
        m("hrsp_5xx", l(&c.hrsp[4])),
        m("hrsp_other", l(&c.hrsp[5])),
        m("req_rate", u64::from(c.req_rate.read())),
        m(
            "req_rate_max",
            u64::from(c.req_rate_max.load(Ordering::Relaxed)),
        ),
        m("req_tot", l(&c.req_tot)),
        m("cli_abrt", l(&c.cli_aborts)),
        m("srv_abrt", l(&c.srv_aborts)),
        m("qtime", c.q_time.avg(samples)),
        m("ctime", c.c_time.avg(samples)),
        m("rtime", c.r_time.avg(samples)),
        m("ttime", c.t_time.avg(samples)),
        m("conn_rate", u64::from(c.conn_rate.read())),
        m(
            "conn_rate_max",
            u64::from(c.conn_rate_max.load(Ordering::Relaxed)),
        ),
        m("conn_tot", l(&c.conn_tot)),
        m("intercepted", l(&c.intercepted)),
        m("connect", l(&c.connect)),
        m("reuse", l(&c.reuse)),
        m("qtime_max", l(&c.qtime_max)),
        m("ctime_max", l(&c.ctime_max)),
        m("rtime_max", l(&c.rtime_max)),
        m("ttime_max", l(&c.ttime_max)),
        m("eint", l(&c.internal_errors)),
    ];
    // `lastsess` is -1 ("never") when absent.
    if let Some(t) = c.last_sess_secs() {
        v.push(m("lastsess", t));
    }
    v
}

fn algo_name(b: crate::config::Balance) -> &'static str {
    use crate::config::Balance;
    match b {
        Balance::RoundRobin => "roundrobin",
        Balance::StaticRr => "static-rr",
        Balance::LeastConn => "leastconn",
        Balance::First => "first",
        Balance::Source => "source",
        Balance::Uri => "uri",
        Balance::UrlParam => "url_param",
        Balance::Hdr => "hdr",
        Balance::RdpCookie => "rdp-cookie",
        Balance::Hash => "hash",
        // HAProxy has no name for it in its list.
        Balance::Random => "unknown",
    }
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
                    .map(|fe| {
                        let mut v = counter_metrics(&fe.counters);
                        v.push(m("slim", u64::from(fe.maxconn.load(Ordering::Relaxed))));
                        v.push(m("rate_lim", 0));
                        v.extend(super::ssl_view::frontend_metrics(p));
                        v
                    })
                    .unwrap_or_default();
            let mut fields = vec![f(
                "status",
                if state.is_stopping() { "STOP" } else { "OPEN" },
            )];
            let (backend, servers) = match &p.be {
                Some(be) => {
                    let mut metrics = counter_metrics(&be.counters);
                    let active = be.servers.iter().filter(|s| !s.backup);
                    let act_up = active.clone().filter(|s| s.eweight() > 0).count();
                    let weight: u64 = if act_up > 0 {
                        active.map(|s| u64::from(s.eweight())).sum()
                    } else {
                        be.servers
                            .iter()
                            .filter(|s| s.backup)
                            .map(|s| u64::from(s.eweight()))
                            .sum()
                    };
                    let usable = |s: &&Server| !s.in_maint();
                    let uweight: u64 = be
                        .servers
                        .iter()
                        .filter(usable)
                        .map(|s| u64::from(s.weight.load(Ordering::Relaxed)))
                        .sum();
                    metrics.extend([
                        m("qcur", u64::from(be.queued.load(Ordering::Relaxed))),
                        m("qmax", u64::from(be.queued_max.load(Ordering::Relaxed))),
                        m("weight", weight),
                        m("uweight", uweight),
                        m(
                            "act",
                            be.servers
                                .iter()
                                .filter(|s| !s.backup && s.eweight() > 0)
                                .count() as u64,
                        ),
                        m(
                            "bck",
                            be.servers
                                .iter()
                                .filter(|s| s.backup && s.eweight() > 0)
                                .count() as u64,
                        ),
                        m(
                            "lastchg",
                            crate::counters::now_ms()
                                .saturating_sub(be.last_change.load(Ordering::Relaxed))
                                / 1000,
                        ),
                        m("chkdown", be.down_trans.load(Ordering::Relaxed)),
                    ]);
                    fields.push(f("algo", algo_name(be.balance)));
                    if let Some(c) = &p.cfg.persist.cookie {
                        fields.push(Field {
                            name: RStr::from_str("cookie"),
                            value: c.name.as_str().into(),
                        });
                    }
                    let servers = be
                        .servers
                        .iter()
                        .map(|s| super::server_view::server_snapshot(state, s))
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
                fields: fields.into(),
            }
        })
        .collect()
}

extern "C" fn host_proxies() -> RVec<ProxySnapshot> {
    contain("proxies", RVec::new(), || {
        state().map(|s| proxies_of(&s).into()).unwrap_or_default()
    })
}

fn si_snapshot(si: &LiveSi) -> SiSnapshot {
    SiSnapshot {
        state: RStr::from_str(si.state().name()),
        endpoint: RStr::from_str(si.endp_name()),
        flags: si.flags.load(Ordering::Relaxed),
    }
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Tcp => "tcp",
        Mode::Http => "http",
    }
}

fn sessions_of(state: &State) -> Vec<StreamSnapshot> {
    state
        .live
        .all()
        .into_iter()
        .map(|l| {
            let fe = state.proxies.get(l.info.fe);
            let be = l.backend().and_then(|i| state.proxies.get(i));
            let srv = l.server().and_then(|i| {
                be.and_then(|b| b.be.as_ref())
                    .and_then(|b| b.servers.get(i))
            });
            let mut date = String::new();
            crate::log::date::write_log_date_micros(l.accept_date, &mut date);
            let mut fields = vec![
                f("ptr", format!("{}", state.live.handle(&l))),
                f("proto", l.info.proto),
                f("local_addr", l.info.local_text()),
                f("listener_id", l.info.listener_id.to_string()),
                f("accept_date", date),
                f("flags", l.flags.load(Ordering::Relaxed).to_string()),
            ];
            match fe {
                Some(p) => {
                    fields.push(f("fe_id", p.cfg.id.to_string()));
                    fields.push(f("fe_mode", mode_name(p.mode)));
                }
                None => {
                    fields.push(f("fe_id", "0"));
                    fields.push(f("fe_mode", "tcp"));
                }
            }
            if let Some(b) = be {
                fields.push(f("be_id", b.cfg.id.to_string()));
                fields.push(f("be_mode", mode_name(b.mode)));
            }
            if let Some(s) = srv {
                fields.push(f("server", s.name.as_str()));
                fields.push(f("srv_id", s.id.to_string()));
                let addr = match s.port {
                    Some(port) => SocketAddr::new(s.ip, port).to_string(),
                    None => s.ip.to_string(),
                };
                fields.push(f("srv_addr", addr));
            }
            for (i, si) in l.si.iter().enumerate() {
                let (p, fd, et) = match i {
                    0 => ("endp0_ptr", "fd0", "et0"),
                    _ => ("endp1_ptr", "fd1", "et1"),
                };
                fields.push(f(p, si.ptr.load(Ordering::Relaxed).to_string()));
                fields.push(f(fd, si.fd.load(Ordering::Relaxed).to_string()));
                fields.push(f(et, si.err_type.load(Ordering::Relaxed).to_string()));
            }
            StreamSnapshot {
                id: l.id,
                frontend: fe.map_or("GLOBAL", |p| p.name.as_str()).into(),
                backend: be.map_or("", |p| p.name.as_str()).into(),
                client_addr: l.info.src_text().as_str().into(),
                age_ms: l.accept.elapsed().as_millis() as u64,
                client: si_snapshot(&l.si[0]),
                server: si_snapshot(&l.si[1]),
                fields: fields.into(),
            }
        })
        .collect()
}

extern "C" fn host_sessions() -> RVec<StreamSnapshot> {
    contain("sessions", RVec::new(), || {
        state().map(|s| sessions_of(&s).into()).unwrap_or_default()
    })
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

/// The soft `RLIMIT_NOFILE`, read from `/proc/self/limits`.
fn ulimit_n() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn info_of(state: &State) -> ProcessSnapshot {
    let uptime = state.started.elapsed().as_secs();
    let g = &state.global;
    let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let pools = pools_of(state);
    let alloc: u64 = pools.iter().map(|p| p.allocated * p.obj_size).sum();
    let used: u64 = pools.iter().map(|p| p.used * p.obj_size).sum();
    let failed: u64 = pools.iter().map(|p| p.failed).sum();
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .saturating_sub(uptime);
    let fes = state.proxies.iter().filter_map(|p| p.fe.as_ref());
    let bytes_out: u64 = fes.map(|f| l(&f.counters.bytes_out)).sum();
    let listeners: u64 = state
        .config
        .proxies
        .iter()
        .map(|p| p.binds.iter().map(|b| b.addrs.len() as u64).sum::<u64>())
        .sum::<u64>()
        + u64::from(state.cli_listeners.load(Ordering::Relaxed));
    let cur = u64::from(g.cur.load(Ordering::Relaxed));
    let streams = state.live.count() as u64;
    let node = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let ulimit = ulimit_n();
    ProcessSnapshot {
        metrics: vec![
            m("Nbthread", state.config.global.nbthread.max(1) as u64),
            m("Pid", u64::from(std::process::id())),
            m("Uptime_sec", uptime),
            m("PoolAlloc_bytes", alloc),
            m("PoolUsed_bytes", used),
            m("PoolFailed", failed),
            m("Ulimit-n", ulimit),
            m("Maxsock", ulimit),
            m("Maxconn", u64::from(state.maxconn.load(Ordering::Relaxed))),
            m("Hard_maxconn", u64::from(state.hard_maxconn)),
            m("CurrConns", cur),
            // Accepted connections, a connection refused for a bad PROXY
            // header included (as 2.6's `totalconn`).
            m("CumConns", l(&g.conn_tot)),
            m("CumReq", l(&g.req_tot)),
            m("ConnRate", u64::from(g.conn_rate.read())),
            m(
                "MaxConnRate",
                u64::from(g.conn_rate_max.load(Ordering::Relaxed)),
            ),
            m("SessRate", u64::from(g.sess_rate.read())),
            m(
                "MaxSessRate",
                u64::from(g.sess_rate_max.load(Ordering::Relaxed)),
            ),
            m("Tasks", streams + listeners),
            m("Run_queue", 0),
            m("Idle_pct", 100),
            m("Stopping", u64::from(state.is_stopping())),
            m("Jobs", cur + listeners),
            m("Listeners", listeners),
            m("TotalBytesOut", bytes_out),
            m("Start_time_sec", start),
        ]
        .into_iter()
        .chain(super::ssl_view::info_metrics())
        .collect::<Vec<_>>()
        .into(),
        fields: vec![
            f("Name", "HAProxy"),
            f("Version", crate::VERSION),
            f("Release_date", ""),
            f("node", node),
        ]
        .into(),
    }
}

extern "C" fn host_info() -> ProcessSnapshot {
    contain("info", ProcessSnapshot::default(), || {
        state().map(|s| info_of(&s)).unwrap_or_default()
    })
}

#[cfg(test)]
pub(crate) fn proxies_for_test(state: &State) -> Vec<ProxySnapshot> {
    proxies_of(state)
}
