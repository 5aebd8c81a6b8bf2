//! Applying a server-state file's lines (see [`super::state_file`]) the
//! way HAProxy 2.6 does at start-up.
//!
//! A line is first validated as a whole: one bad value and nothing of it
//! is applied (`server-state application failed for server 'be/s1',
//! invalid srv_op_state value 'x'`). Then, in this order:
//! - the operational state, with the health check's counter set to agree
//!   with it (a `STOPPED` server is marked down with `, changed from
//!   server-state after a reload`, a `STOPPING` one stops taking traffic);
//! - maintenance: the configuration wins when its `disabled` changed since
//!   the file was written, else the forced maintenance in the file is
//!   kept; then a forced drain (kept unless the drain came from a
//!   configured weight of 0 that is no longer 0);
//! - the time since the last change, the check's last status, a check or
//!   agent disabled from the CLI (never one enabled), the user weight
//!   (only when the configured weight did not change), the check and
//!   agent ports;
//! - the address, for a server configured by host name whose `init-addr`
//!   tries `last` first (the default), and the port: these belong to the
//!   configuration and are applied before the servers are built
//!   ([`apply_addresses`]).
//!
//! While this runs, [`State::starting`] is set: state changes are reported
//! on stderr as `config : ...` and not logged, as HAProxy's start-up does.

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use super::state_file::{strtol, Plan, Step};
use super::transition::{set_running, set_stopped, set_stopping, Cause};
use crate::backend::admin_state;
use crate::config::model_check::InitAddr;
use crate::config::Config;
use crate::health::machine::OpState;
use crate::health::status::CheckStatus;
use crate::state::State;

/// `srv_admin_state` bits (HAProxy's `SRV_ADMF_*`).
const FMAINT: i64 = 0x01;
const IMAINT: i64 = 0x02;
const CMAINT: i64 = 0x04;
const FDRAIN: i64 = 0x08;
const IDRAIN: i64 = 0x10;
const RMAINT: i64 = 0x20;
const HMAINT: i64 = 0x40;
/// `srv_check_state` bits (`CHK_ST_*`) a file may hold.
const CHK_CONFIGURED: i64 = 0x02;
const CHK_ENABLED: i64 = 0x04;
const CHK_KNOWN: i64 = 0x01 | 0x02 | 0x04 | 0x08 | 0x10;
/// The highest weight.
const MAX_WEIGHT: i64 = 256;

/// One line's values, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedState {
    /// `srv_addr`, unless `-`.
    pub addr: Option<String>,
    pub op: OpState,
    /// Admin bits, inherited and resolution ones removed.
    pub admin: i64,
    pub uweight: u32,
    pub iweight: u32,
    /// Seconds since the last change.
    pub since: i64,
    pub check_status: i64,
    pub check_health: i64,
    pub check_state: i64,
    pub agent_state: i64,
    /// `srv_port`: `None` when absent.
    pub port: Option<u16>,
    /// `srv_check_port` and `srv_agent_port` when present and not 0.
    pub check_port: Option<u16>,
    pub agent_port: Option<u16>,
}

/// HAProxy's `invalid_domainchar`.
fn valid_fqdn(s: &str) -> bool {
    s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// `strl2uic`: the leading digits as a number (0 when none).
fn leading_uint(s: &str) -> u64 {
    s.bytes().take_while(u8::is_ascii_digit).fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    })
}

impl SavedState {
    /// Validates the fields from `srv_addr` on; `Err` holds HAProxy's
    /// list of complaints (`, invalid srv_op_state value 'x'...`).
    pub fn parse(p: &[String]) -> Result<SavedState, String> {
        let get = |i: usize| p.get(i).map_or("", String::as_str);
        let mut err = String::new();
        let mut num = |i: usize, name: &str, ok: &dyn Fn(i64) -> bool| -> i64 {
            match strtol(get(i)) {
                Some(v) if ok(v) => v,
                _ => {
                    err.push_str(&format!(", invalid {name} value '{}'", get(i)));
                    0
                }
            }
        };
        let op = num(1, "srv_op_state", &|v| (0..=3).contains(&v));
        let admin = num(2, "srv_admin_state", &|v| {
            let v = v & !(IDRAIN | IMAINT | RMAINT | HMAINT);
            [0, FMAINT, CMAINT, CMAINT | FMAINT, CMAINT | FDRAIN, FDRAIN].contains(&v)
        }) & !(IDRAIN | IMAINT | RMAINT | HMAINT);
        let uweight = num(3, "srv_uweight", &|v| (0..=MAX_WEIGHT).contains(&v));
        let iweight = num(4, "srv_iweight", &|v| (0..=MAX_WEIGHT).contains(&v));
        let since = num(5, "srv_last_time_change", &|_| true);
        let check_status = num(6, "srv_check_status", &|v| v < 21);
        let _result = num(7, "srv_check_result", &|v| (0..=4).contains(&v));
        let check_health = num(8, "srv_check_health", &|_| true);
        let check_state = num(9, "srv_check_state", &|v| v & !CHK_KNOWN == 0);
        let agent_state = num(10, "srv_agent_state", &|v| v & !CHK_KNOWN == 0);
        let _ = num(11, "bk_f_forced_id", &|v| v == 0 || v == 1);
        let _ = num(12, "srv_f_forced_id", &|v| v == 0 || v == 1);
        let fqdn = get(13);
        if !fqdn.starts_with('-') && !valid_fqdn(fqdn) {
            err.push_str(&format!(", invalid srv_fqdn value '{fqdn}'"));
        }
        let port = match p.get(14) {
            None => None,
            Some(s) => match u16::try_from(leading_uint(s)) {
                Ok(v) => Some(v),
                Err(_) => {
                    err.push_str(&format!(", invalid srv_port value '{s}'"));
                    None
                }
            },
        };
        if !err.is_empty() {
            return Err(err);
        }
        let opt_port = |i: usize| {
            p.get(i)
                .filter(|s| s.as_str() != "0")
                .and_then(|s| s.parse::<u16>().ok())
                .filter(|&v| v > 0)
        };
        Ok(SavedState {
            addr: Some(get(0)).filter(|a| *a != "-").map(str::to_string),
            op: OpState::from_u8(op as u8),
            admin,
            uweight: uweight as u32,
            iweight: iweight as u32,
            since,
            check_status,
            check_health,
            check_state,
            agent_state,
            port,
            check_port: opt_port(17),
            agent_port: opt_port(20),
        })
    }
}

/// Applies the lines' addresses and ports to the configuration, before
/// the servers are built from it: the port always, the address only for
/// a server given by host name whose `init-addr` tries `last` first.
pub fn apply_addresses(plan: &Plan, cfg: &mut Config) {
    for step in &plan.steps {
        let Step::Apply {
            proxy,
            server,
            entry,
        } = step
        else {
            continue;
        };
        let Ok(saved) = SavedState::parse(entry.params()) else {
            continue;
        };
        let Some(s) = cfg
            .proxies
            .get_mut(*proxy)
            .and_then(|p| p.servers.get_mut(*server))
        else {
            continue;
        };
        let last_first = match s.hc.init_addr.first() {
            None => true,
            Some(m) => *m == InitAddr::Last,
        };
        if s.hostname.is_some() && last_first {
            if let Some(ip) = saved.addr.as_deref().and_then(|a| a.parse::<IpAddr>().ok()) {
                s.ip = ip;
            }
        }
        if let Some(port) = saved.port {
            s.port = Some(port).filter(|&p| p > 0);
        }
    }
}

/// Runs the plan on the built servers: prints its warnings and applies
/// each line (see the module documentation).
pub fn apply(st: &State, plan: &Plan) {
    st.starting.store(true, Ordering::Relaxed);
    for step in &plan.steps {
        match step {
            Step::Warn(m) => tracing::warn!("config : {m}"),
            Step::Apply {
                proxy,
                server,
                entry,
            } => match SavedState::parse(entry.params()) {
                Ok(saved) => apply_one(st, (*proxy, *server), &saved),
                Err(e) => tracing::warn!(
                    "config : server-state application failed for server '{}/{}'{e}",
                    st.proxies.get(*proxy).map_or("", |p| p.name.as_str()),
                    entry.srv_name()
                ),
            },
        }
    }
    st.starting.store(false, Ordering::Relaxed);
}

/// Applies one validated line to server `r`.
fn apply_one(st: &State, r: (usize, usize), saved: &SavedState) {
    let Some(s) = super::server_at(st, r) else {
        return;
    };
    let health = u32::try_from(saved.check_health.max(0)).unwrap_or(u32::MAX);
    let set_health = |h: u32| s.health.lock().check.health = h;
    let (rise, fall) = {
        let c = s.health.lock();
        (c.check.rise, c.check.fall)
    };
    let full = rise + fall - 1;
    set_health(health);
    match saved.op {
        OpState::Stopped => {
            set_health(0);
            set_stopped(st, r, Cause::StateFile);
        }
        OpState::Starting if rise == 1 => {
            set_health(full);
            set_running(st, r, Cause::Silent);
        }
        OpState::Starting => {
            if health < 1 || health >= rise {
                set_health(rise - 1);
            }
        }
        OpState::Stopping if fall == 1 => {
            set_health(0);
            set_stopped(st, r, Cause::StateFile);
        }
        OpState::Stopping => {
            if health < rise || health > full - 1 {
                set_health(rise);
            }
            set_stopping(st, r, Cause::StateFile);
        }
        OpState::Running => {
            set_health(full);
            set_running(st, r, Cause::Silent);
        }
    }
    apply_admin(st, r, saved);
    // The last change happened that long before now.
    let ago_ms = u64::try_from(saved.since.max(0))
        .unwrap_or(0)
        .saturating_mul(1000);
    s.set_changed_ago(ago_ms);
    let mut c = s.health.lock();
    if let Some(status) = u32::try_from(saved.check_status)
        .ok()
        .and_then(CheckStatus::from_code)
    {
        c.check.status = status;
    }
    // Only a check disabled from the CLI carries over.
    let disabled = |bits: i64| bits & CHK_CONFIGURED != 0 && bits & CHK_ENABLED == 0;
    if c.check.configured && disabled(saved.check_state) {
        c.check.enabled = false;
    }
    if c.agent.configured && disabled(saved.agent_state) {
        c.agent.enabled = false;
    }
    if saved.check_port.is_some() {
        c.check.port = saved.check_port;
    }
    if saved.agent_port.is_some() {
        c.agent.port = saved.agent_port;
    }
    drop(c);
    // A weight changed in the configuration wins over the saved one.
    if saved.iweight == s.iweight {
        s.weight.store(saved.uweight, Ordering::Relaxed);
    }
}

/// Maintenance and drain from the saved admin bits.
fn apply_admin(st: &State, r: (usize, usize), saved: &SavedState) {
    use super::admin::set_admin;
    let Some(s) = super::server_at(st, r) else {
        return;
    };
    let cfg_maint = s.disabled;
    let file_cmaint = saved.admin & CMAINT != 0;
    let file_fmaint = saved.admin & FMAINT != 0;
    if file_cmaint != cfg_maint {
        // The configuration changed: it wins.
        let to = if cfg_maint {
            admin_state::MAINT
        } else {
            admin_state::READY
        };
        set_admin(st, r, to, true);
    } else if file_fmaint && !cfg_maint {
        set_admin(st, r, admin_state::MAINT, true);
    } else if !file_fmaint && cfg_maint {
        set_admin(st, r, admin_state::READY, true);
    }
    // A drain that came from a configured weight of 0 ends with it.
    if !s.in_maint() && saved.admin & FDRAIN != 0 && (saved.iweight > 0 || s.iweight == 0) {
        set_admin(st, r, admin_state::DRAIN, true);
    }
}

#[cfg(test)]
#[path = "state_apply_tests.rs"]
mod tests;
