//! Servers as the applets see them: the server snapshot of the host
//! service `proxies` (counters, weights, the check and agent records as
//! `check.*`/`agent.*` fields, tracking, maintenance causes, connection
//! pool numbers).

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use abi_stable::std_types::RStr;
use applet_sdk::{Field, Metric, ServerSnapshot, ServerState};

use super::services::{counter_metrics, f, m};
use crate::backend::{admin_state, Server};
use crate::state::State;

fn server_state(s: &Server) -> ServerState {
    if s.inherited_maint() {
        return ServerState::MAINT;
    }
    match s.admin_state() {
        admin_state::DRAIN => ServerState::DRAIN,
        admin_state::MAINT => ServerState::MAINT,
        _ => ServerState::READY,
    }
}

/// One check's record as text fields `<prefix>.<name>` (the stats applet
/// reads them back into its health model).
fn check_fields(prefix: &str, c: &crate::health::machine::Check, out: &mut Vec<Field>) {
    let flag = |b: bool| if b { "1" } else { "0" };
    let mut add = |name: &str, v: String| {
        out.push(Field {
            name: RStr::from_str(leak_name(&format!("{prefix}.{name}"))),
            value: v.into(),
        })
    };
    add("configured", flag(c.configured).into());
    add("enabled", flag(c.enabled).into());
    add("paused", flag(c.paused).into());
    add("in_progress", flag(c.in_progress).into());
    add("status", c.status.info().into());
    add("code", c.code.to_string());
    add(
        "duration",
        c.duration
            .map(|d| d.as_millis().to_string())
            .unwrap_or_default(),
    );
    add("desc", c.desc.clone());
    add("health", c.health.to_string());
    add("rise", c.rise.to_string());
    add("fall", c.fall.to_string());
}

/// Field names are `&'static str` in the ABI; the few check field names
/// are made once and kept.
fn leak_name(name: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = NAMES
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(n) = set.get(name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_string().into_boxed_str());
    set.insert(n);
    n
}

pub(super) fn server_snapshot(state: &State, s: &Server) -> ServerSnapshot {
    let st = server_state(s);
    let maxconn = s.maxconn.load(Ordering::Relaxed);
    let uweight = s.weight.load(Ordering::Relaxed);
    let mut metrics = counter_metrics(&s.counters);
    if maxconn > 0 {
        metrics.push(m("slim", u64::from(maxconn)));
    }
    if let Some(t) = s.throttle() {
        metrics.push(m("throttle", u64::from(t)));
    }
    let lastchg = crate::counters::ms_since(s.last_change.load(Ordering::Relaxed));
    metrics.extend([
        m("qcur", 0),
        m("weight", u64::from(s.shown_weight())),
        m("uweight", u64::from(uweight)),
        m("iweight", u64::from(s.iweight)),
        m("lastchg", lastchg / 1000),
        m(
            "used_conn_cur",
            u64::from(s.cur_sess.load(Ordering::Relaxed)),
        ),
        m("chkfail", s.health.chkfail.load(Ordering::Relaxed)),
        m("chkdown", s.health.chkdown.load(Ordering::Relaxed)),
        m("downtime", s.health.downtime().as_secs()),
        m("hanafail", s.health.hanafail.load(Ordering::Relaxed)),
        m("admin_bits", admin_bits(s)),
    ]);
    conn_metrics(state, s, &mut metrics);
    let mut fields = vec![
        f("status", st.name()),
        f("op_state", op_name(s.health.op())),
    ];
    {
        let c = s.health.lock();
        check_fields("check", &c.check, &mut fields);
        check_fields("agent", &c.agent, &mut fields);
    }
    if s.health.cfg.observe.is_some() {
        fields.push(f("observe", "1"));
    }
    if s.health.cfg.unresolved && s.in_maint() {
        fields.push(f("maint_cause", "resolution"));
    } else if s.inherited_maint() && s.admin_state() != admin_state::MAINT {
        fields.push(f("maint_cause", "via"));
    }
    if s.tls.is_some() {
        fields.push(f("use_ssl", "1"));
    }
    if let Some(c) = &s.cookie {
        fields.push(Field {
            name: RStr::from_str("cookie"),
            value: c.as_str().into(),
        });
    }
    if let Some(h) = &s.hostname {
        fields.push(Field {
            name: RStr::from_str("fqdn"),
            value: h.as_str().into(),
        });
    }
    if let Some(t) = crate::monitor::transition::tracked_name(state, s) {
        fields.push(Field {
            name: RStr::from_str("track"),
            value: t.into(),
        });
    }
    ServerSnapshot {
        name: s.name.as_str().into(),
        id: s.id,
        state: st,
        weight: uweight,
        cur: s.cur_sess.load(Ordering::Relaxed),
        maxconn,
        backup: s.backup,
        addr: match s.port {
            // No address, only the port (`init-addr none`).
            _ if s.health.cfg.unresolved => format!(":{}", s.port.unwrap_or(0)),
            Some(port) => SocketAddr::new(s.ip, port).to_string(),
            None => s.ip.to_string(),
        }
        .into(),
        metrics: metrics.into(),
        fields: fields.into(),
    }
}

/// The connection pool's numbers for `show servers conn`: `conn.*`
/// (`idle_lim` only with a `pool-max-conn`), and `conn.idle_thrN` for
/// each worker thread.
fn conn_metrics(state: &State, s: &Server, out: &mut Vec<Metric>) {
    let c = &s.conns;
    let ld = |a: &std::sync::atomic::AtomicU32| u64::from(a.load(Ordering::Relaxed));
    let idle = ld(&c.curr_idle);
    let safe = ld(&c.curr_safe);
    out.extend([
        m("conn.purge_delay", c.purge_delay_ms),
        m("conn.used_cur", ld(&c.curr_used)),
        m("conn.used_max", ld(&c.max_used)),
        m("conn.need_est", ld(&c.est_need)),
        m("conn.unsafe_nb", idle.saturating_sub(safe)),
        m("conn.safe_nb", safe),
        m("conn.idle_cur", idle),
    ]);
    if let Some(lim) = c.max_idle {
        out.push(m("conn.idle_lim", u64::from(lim)));
    }
    for t in 0..state.config.global.nbthread.max(1) {
        out.push(m(
            leak_name(&format!("conn.idle_thr{t}")),
            u64::from(c.idle_on(t)),
        ));
    }
}

/// HAProxy's `srv_admin_state` bits: forced maintenance 0x01, inherited
/// 0x02, resolution 0x20, `disabled`
/// in the configuration 0x04 (kept after leaving maintenance, as
/// HAProxy does), forced drain 0x08.
fn admin_bits(s: &Server) -> u64 {
    use crate::backend::admin_state;
    let mut b = if s.disabled { 0x04 } else { 0 };
    match s.admin_state() {
        // An address that did not resolve: resolution maintenance.
        admin_state::MAINT if s.health.cfg.unresolved => b |= 0x20,
        admin_state::MAINT => b |= 0x01,
        admin_state::DRAIN => b |= 0x08,
        _ => {}
    }
    if s.inherited_maint() {
        b |= 0x02;
    }
    b
}

fn op_name(op: crate::health::machine::OpState) -> &'static str {
    use crate::health::machine::OpState;
    match op {
        OpState::Stopped => "STOPPED",
        OpState::Starting => "STARTING",
        OpState::Running => "RUNNING",
        OpState::Stopping => "STOPPING",
    }
}
