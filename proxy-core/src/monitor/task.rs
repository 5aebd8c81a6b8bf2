//! One task per check (a server's health check, its agent check), on the
//! worker threads: wait, run the check, apply the result, wait again.
//!
//! Timing follows HAProxy: the first runs are spread over the smallest
//! interval of at least a second, in server order, so that 1,000 servers
//! are not all probed in the same millisecond; every next run is planned
//! from the end of the last one, `inter`/`fastinter`/`downinter` apart,
//! give or take `spread-checks` percent.

use std::sync::Arc;
use std::time::Duration;

use super::transition::{self, Cause, SrvRef};
use crate::backend::Server;
use crate::check::agent::AgentReply;
use crate::check::{CheckOutcome, CheckTarget};
use crate::health::machine::{OpState, ServerContext, Verdict};
use crate::state::State;

/// Intervals below this do not set the pace of the start-up spread.
const SPREAD_THRESHOLD: Duration = Duration::from_secs(1);

/// One scheduled check: which server, which of its checks, and when it
/// first runs.
#[derive(Clone, Copy, Debug)]
pub struct Planned {
    pub srv: SrvRef,
    pub agent: bool,
    pub first: Duration,
}

/// Every configured check with its first delay, in server order.
pub fn plan(st: &State) -> Vec<Planned> {
    let mut all = Vec::new();
    for (pi, p) in st.proxies.iter().enumerate() {
        let Some(be) = &p.be else { continue };
        for s in &be.servers {
            let c = s.health.lock();
            for (agent, chk) in [(false, &c.check), (true, &c.agent)] {
                if chk.configured {
                    all.push((
                        Planned {
                            srv: (pi, s.idx),
                            agent,
                            first: Duration::ZERO,
                        },
                        chk.interval(false),
                    ));
                }
            }
        }
    }
    let min = all
        .iter()
        .map(|(_, i)| *i)
        .filter(|i| *i >= SPREAD_THRESHOLD)
        .min()
        .unwrap_or(Duration::ZERO);
    let n = all.len().max(1) as u32;
    let spread = st.config.global.spread_checks;
    all.into_iter()
        .enumerate()
        .map(|(pos, (mut p, inter))| {
            let base = jitter(min.max(inter), inter, spread);
            p.first = base * pos as u32 / n;
            p
        })
        .collect()
}

/// `base` moved by up to `spread` percent of `inter`, either way.
fn jitter(base: Duration, inter: Duration, spread: u32) -> Duration {
    if spread == 0 {
        return base;
    }
    let r = inter.as_millis() as i64 * i64::from(spread) / 100;
    let delta = r - (2.0 * r as f64 * fastrand::f64()) as i64;
    Duration::from_millis((base.as_millis() as i64 + delta).max(0) as u64)
}

/// Runs one check forever (until the process stops).
pub async fn run(st: Arc<State>, p: Planned) {
    sleep_on_grid(p.first).await;
    loop {
        if st.is_stopping() {
            return;
        }
        let Some(server) = server(&st, p.srv) else {
            return;
        };
        let due = prepare(&st, p, server);
        if let Some(target) = due {
            let out = if p.agent {
                let send = server.health.cfg.agent_send.clone();
                crate::check::agent::run_agent(&target, send.as_deref()).await
            } else {
                let checks = &st.proxies[p.srv.0].cfg.checks;
                (
                    crate::check::tcpcheck::run_health(checks, &target).await,
                    None,
                )
            };
            let (mut outcome, reply) = out;
            // As HAProxy: the agent's admin state, weight and maxconn
            // first, then its health verdict.
            if let Some(mut reply) = reply {
                if apply_agent_reply(&st, p.srv, &mut reply) {
                    let (status, desc) = reply.outcome();
                    outcome.status = status;
                    outcome.desc = desc;
                }
            }
            apply(&st, p.srv, p.agent, &outcome);
        }
        let wait = {
            let c = server.health.lock();
            let chk = if p.agent { &c.agent } else { &c.check };
            let stopped = server.health.op() == OpState::Stopped;
            let inter = chk.interval(stopped);
            jitter(inter, inter, st.config.global.spread_checks)
        };
        {
            let mut c = server.health.lock();
            let chk = if p.agent { &mut c.agent } else { &mut c.check };
            chk.fast_once = false;
        }
        sleep_on_grid(wait).await;
    }
}

/// Check runs start on a grid of [`GRID`]: with hundreds of servers,
/// checks due within the same few milliseconds start together and share
/// the thread's wake-ups (their answers arrive together too), instead of
/// waking the thread once each. The delay this adds is at most one step,
/// small next to any `inter`.
const GRID: Duration = Duration::from_millis(8);

/// Sleeps `d`, rounded up to the next step of the process-wide grid
/// (never more than a quarter of `d` late, for very short intervals).
async fn sleep_on_grid(d: Duration) {
    use std::sync::OnceLock;
    static EPOCH: OnceLock<tokio::time::Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(tokio::time::Instant::now);
    let step = GRID.min(d / 4).as_nanos().max(1);
    let due = tokio::time::Instant::now() + d;
    let off = due.saturating_duration_since(epoch).as_nanos();
    let rounded = off.div_ceil(step) * step;
    let extra = Duration::from_nanos((rounded - off).min(u128::from(u64::MAX)) as u64);
    tokio::time::sleep_until(due + extra).await;
}

fn server(st: &State, r: SrvRef) -> Option<&Server> {
    super::server_at(st, r)
}

/// Whether the check runs now (enabled, not paused), and where it goes.
fn prepare(st: &State, p: Planned, s: &Server) -> Option<CheckTarget> {
    let px = &st.proxies[p.srv.0];
    let stopped = s.health.op() == OpState::Stopped;
    let (port, inter) = {
        let mut c = s.health.lock();
        let chk = if p.agent { &mut c.agent } else { &mut c.check };
        if !chk.active() {
            return None;
        }
        chk.in_progress = true;
        (chk.port, chk.interval(stopped))
    };
    let cfg = &s.health.cfg;
    let ip = if p.agent {
        cfg.agent_addr.or(cfg.addr).unwrap_or(s.ip)
    } else {
        cfg.addr.unwrap_or(s.ip)
    };
    let t = &px.cfg.timeouts;
    let pp = px
        .cfg
        .servers
        .get(p.srv.1)
        .map_or(Default::default(), |c| c.send_proxy);
    Some(CheckTarget {
        addr: std::net::SocketAddr::new(ip, port.or(s.port).unwrap_or(0)),
        source: s.source.or(px.be.as_ref().and_then(|b| b.source)),
        inter,
        timeout_connect: t.connect,
        timeout_check: t.check,
        // The server's `send-proxy*` reaches its checks unless they go
        // to their own port or address (as in HAProxy).
        send_proxy: !p.agent
            && (cfg.send_proxy || (pp.enabled() && cfg.port.is_none() && cfg.addr.is_none())),
        pp,
        server_stopped: stopped,
        pool: st.pools.connection.clone(),
        proxy: px.name.clone(),
        proxy_id: i64::from(px.cfg.id),
        server: s.name.clone(),
        server_id: i64::from(s.id),
        proc_vars: Some(st.proc_vars.clone()),
        tls: if p.agent {
            None
        } else {
            px.cfg
                .servers
                .get(p.srv.1)
                .and_then(|c| c.tls.as_ref())
                .and_then(|h| h.0.check_tls())
        },
    })
}

/// Records a result, logs it when asked, and moves the server's state.
pub fn apply(st: &State, r: SrvRef, agent: bool, out: &CheckOutcome) {
    let Some(s) = server(st, r) else { return };
    let px = &st.proxies[r.0];
    let (verdict, report) = {
        let mut c = s.health.lock();
        let chk = if agent { &mut c.agent } else { &mut c.check };
        chk.in_progress = false;
        // Disabled or paused (maintenance) while it ran: the result is
        // not the server's any more.
        if !chk.active() {
            return;
        }
        let applied = chk.apply(out);
        // Agent failures are not failed health checks (`chkfail`).
        if applied.failed && !agent {
            s.health
                .chkfail
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let report = (applied.report && px.cfg.checks.log_health_checks).then(|| chk.clone());
        let ctx = ServerContext {
            op: s.health.op(),
            maint: s.in_maint(),
            tracked_stopped: false,
        };
        (c.verdict(agent, out.status.result(), ctx), report)
    };
    if let Some(chk) = report {
        let drain = s.weight.load(std::sync::atomic::Ordering::Relaxed) == 0;
        transition::log_check_result(st, r, &chk, drain);
    }
    // With `log-health-checks` the check line already gave the reason.
    let cause = match (px.cfg.checks.log_health_checks, agent) {
        (true, _) => Cause::Silent,
        (false, true) => Cause::Agent,
        (false, false) => Cause::Health,
    };
    match verdict {
        Verdict::Stay => {}
        Verdict::Stop => transition::set_stopped(st, r, cause),
        Verdict::Start => transition::set_running(st, r, cause),
        Verdict::Stopping => transition::set_stopping(st, r, cause),
    }
}

/// What an agent's words ask beyond up/down: weight, maxconn, admin
/// state. Returns true when a refused weight added a warning (the
/// outcome's text changes).
fn apply_agent_reply(st: &State, r: SrvRef, reply: &mut AgentReply) -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    let Some(s) = server(st, r) else { return false };
    if let Some(a) = reply.admin {
        super::admin::agent_admin(st, r, a);
    }
    let mut warned = false;
    if let Some(pct) = reply.weight_pct {
        let w = (u64::from(s.iweight) * u64::from(pct) / 100).min(256) as u32;
        let static_lb = !s.dynamic_lb;
        if static_lb && w != 0 && w != s.iweight {
            if reply.warning.is_none() {
                reply.warning = Some(
                    "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n"
                        .into(),
                );
                warned = true;
            }
        } else {
            s.weight.store(w, Relaxed);
            if let Some(be) = &st.proxies[r.0].be {
                be.server_changed(s.idx);
            }
        }
    }
    if let Some(m) = reply.maxconn {
        s.maxconn.store(m, Relaxed);
    }
    warned
}

/// Watches a server with a `slowstart` (every second, or a twentieth of
/// the slowstart if longer, as HAProxy steps it) and ends its warm-up.
pub async fn warmup(st: Arc<State>, r: SrvRef) {
    loop {
        let Some(s) = server(&st, r) else { return };
        let Some(ss) = s.slowstart else { return };
        tokio::time::sleep((ss / 20).max(Duration::from_secs(1))).await;
        if st.is_stopping() {
            return;
        }
        if s.health.op() == OpState::Starting && s.warm_done() {
            transition::end_warmup(&st, r);
        }
    }
}
