//! The one place where the host's snapshots (applet-sdk types) become this
//! crate's model: [`HostData`] implements [`Source`] and [`Admin`] over a
//! [`Host`].
//!
//! Metric names are `show stat` CSV column names (`scur`, `stot`, `bin`,
//! `hrsp_2xx`, `qtime`, ...) and `show info` field names (`Pid`,
//! `CurrConns`, ...); a counter the host does not report stays at its
//! default and the renderers blank what HAProxy blanks. Text fields:
//! `status`/`algo` on proxies, `status` on servers, `ptr`/`proto`/
//! `server`/... on streams.

use std::time::Duration;

use applet_sdk::{
    metric, AdminCmd, AdminOp, Host, Metric, ProxySnapshot, ServerState, StreamSnapshot, TableCmd,
    TableOp,
};

use crate::api::{Admin, AdminError, AdminState, ServerRef, Source, TableAction};
use crate::cli::Level;
use crate::health::CheckStatus;
use crate::host_health::{resolve_tracks, server_health};
use crate::info::info_from_pairs;
use crate::model::{
    ObjType, ProcessInfo, ProxyMode, ProxyStats, ServerStateRow, SessionInfo, SiInfo,
};

/// A CLI level as the host's functions take it.
fn lvl(l: Level) -> u8 {
    match l {
        Level::User => applet_sdk::cli_level::USER,
        Level::Operator => applet_sdk::cli_level::OPERATOR,
        Level::Admin => applet_sdk::cli_level::ADMIN,
    }
}

/// The host's data as a [`Source`] and its admin commands as an
/// [`Admin`].
#[derive(Debug, Clone, Copy)]
pub struct HostData {
    pub host: Host,
}

impl HostData {
    pub fn new(host: Host) -> HostData {
        HostData { host }
    }
}

/// Copies every known counter of `list` into `row`.
fn apply(row: &mut ProxyStats, list: &[Metric]) {
    for m in list {
        let v = m.value;
        match m.name.as_str() {
            "qcur" => row.qcur = v,
            "qmax" => row.qmax = v,
            "scur" => row.scur = v,
            "smax" => row.smax = v,
            "slim" => row.slim = Some(v),
            "stot" => row.stot = v,
            "bin" => row.bin = v,
            "bout" => row.bout = v,
            "dreq" => row.dreq = v,
            "dresp" => row.dresp = v,
            "ereq" => row.ereq = v,
            "econ" => row.econ = v,
            "eresp" => row.eresp = v,
            "wretr" => row.wretr = v,
            "wredis" => row.wredis = v,
            "weight" => row.weight = v,
            "act" => row.act = v,
            "bck" => row.bck = v,
            "lastchg" => row.lastchg = v,
            "downtime" => row.downtime = v,
            "chkfail" => row.chkfail = v,
            "chkdown" => row.chkdown = v,
            "hanafail" => row.hanafail = v,
            "throttle" => row.throttle = Some(v),
            "lbtot" => row.lbtot = v,
            "rate" => row.rate = v,
            "rate_lim" => row.rate_lim = v,
            "rate_max" => row.rate_max = v,
            "hrsp_1xx" => row.hrsp[0] = v,
            "hrsp_2xx" => row.hrsp[1] = v,
            "hrsp_3xx" => row.hrsp[2] = v,
            "hrsp_4xx" => row.hrsp[3] = v,
            "hrsp_5xx" => row.hrsp[4] = v,
            "hrsp_other" => row.hrsp[5] = v,
            "req_rate" => row.req_rate = v,
            "req_rate_max" => row.req_rate_max = v,
            "req_tot" => row.req_tot = v,
            "cli_abrt" => row.cli_abrt = v,
            "srv_abrt" => row.srv_abrt = v,
            "lastsess" => row.lastsess = v as i64,
            "qtime" => row.qtime = v,
            "ctime" => row.ctime = v,
            "rtime" => row.rtime = v,
            "ttime" => row.ttime = v,
            "conn_rate" => row.conn_rate = v,
            "conn_rate_max" => row.conn_rate_max = v,
            "conn_tot" => row.conn_tot = v,
            "intercepted" => row.intercepted = v,
            "dcon" => row.dcon = v,
            "dses" => row.dses = v,
            "wrew" => row.wrew = v,
            "connect" => row.connect = v,
            "reuse" => row.reuse = v,
            "qtime_max" => row.qtime_max = v,
            "ctime_max" => row.ctime_max = v,
            "rtime_max" => row.rtime_max = v,
            "ttime_max" => row.ttime_max = v,
            "eint" => row.eint = v,
            "used_conn_cur" => row.used_conn_cur = v,
            "uweight" => row.uweight = v,
            // The SSL module's columns after `-`.
            "ssl_sess" => row.modules.ssl[0] = v,
            "ssl_reused_sess" => row.modules.ssl[1] = v,
            "ssl_failed_handshake" => row.modules.ssl[2] = v,
            _ => {}
        }
    }
}

fn mode_of(p: &ProxySnapshot) -> ProxyMode {
    match p.mode {
        applet_sdk::ProxyMode::HTTP => ProxyMode::Http,
        applet_sdk::ProxyMode::TCP => ProxyMode::Tcp,
        _ => ProxyMode::Unknown,
    }
}

/// The `show stat` rows of the host's proxies: per proxy, its frontend,
/// its servers, its backend.
pub fn rows_from(proxies: &[ProxySnapshot]) -> Vec<ProxyStats> {
    let mut rows = Vec::new();
    for p in proxies {
        let mode = mode_of(p);
        let name = p.name.as_str();
        if p.kind.has_frontend() {
            let mut r = ProxyStats::new(ObjType::Frontend, name, "FRONTEND", p.id, 0);
            r.mode = mode;
            apply(&mut r, &p.frontend);
            r.stopped = applet_sdk::field(&p.fields, "status") == Some("STOP");
            rows.push(r);
        }
        if !p.kind.has_backend() {
            continue;
        }
        for s in p.servers.iter() {
            let mut r = ProxyStats::new(ObjType::Server, name, s.name.as_str(), p.id, s.id);
            r.mode = mode;
            r.slim = None;
            apply(&mut r, &s.metrics);
            if metric(&s.metrics, "weight").is_none() {
                r.weight = u64::from(s.weight);
            }
            r.act = u64::from(!s.backup);
            r.bck = u64::from(s.backup);
            // `:port` alone: a server without an address yet.
            r.addr = Some(s.addr.to_string()).filter(|a| !a.starts_with(':'));
            r.server = Some(server_health(s));
            r.cookie = applet_sdk::field(&s.fields, "cookie").map(str::to_string);
            rows.push(r);
        }
        let mut r = ProxyStats::new(ObjType::Backend, name, "BACKEND", p.id, 0);
        r.mode = mode;
        apply(&mut r, &p.backend);
        r.algo = applet_sdk::field(&p.fields, "algo").map(str::to_string);
        r.cookie = applet_sdk::field(&p.fields, "cookie").map(str::to_string);
        rows.push(r);
    }
    resolve_tracks(&mut rows);
    rows
}

fn session_from(s: &StreamSnapshot) -> SessionInfo {
    let fld = |n: &str| applet_sdk::field(&s.fields, n).unwrap_or("");
    let num = |n: &str| fld(n).parse::<u64>().unwrap_or(0);
    let si = |x: &applet_sdk::SiSnapshot, p: &str, et: &str| SiInfo {
        state: x.state.to_string(),
        flags: x.flags,
        endpoint: x.endpoint.to_string(),
        endp_ptr: num(p),
        err_type: num(et) as u32,
    };
    let backend = Some(s.backend.as_str())
        .filter(|b| !b.is_empty())
        .map(str::to_string);
    let server = Some(fld("server"))
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    SessionInfo {
        ptr: num("ptr"),
        uniq_id: s.id,
        proto: fld("proto").to_string(),
        src: s.client_addr.to_string(),
        frontend: s.frontend.to_string(),
        frontend_id: num("fe_id") as u32,
        frontend_mode: fld("fe_mode").to_string(),
        listener_id: num("listener_id") as u32,
        local_addr: fld("local_addr").to_string(),
        backend_id: num("be_id") as u32,
        backend_mode: fld("be_mode").to_string(),
        backend,
        backend_src: None,
        server,
        server_id: num("srv_id") as u32,
        server_addr: Some(fld("srv_addr"))
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        age: Duration::from_millis(s.age_ms),
        calls: 0,
        fd_front: fld("fd0").parse().unwrap_or(-1),
        fd_back: fld("fd1").parse().unwrap_or(-1),
        accept_date: fld("accept_date").to_string(),
        flags: num("flags") as u32,
        si: [
            si(&s.client, "endp0_ptr", "et0"),
            si(&s.server, "endp1_ptr", "et1"),
        ],
    }
}

/// `show pools` in HAProxy 2.6's line layout, smallest objects first.
pub fn render_pools(pools: &[applet_sdk::PoolSnapshot]) -> String {
    let mut rows: Vec<&applet_sdk::PoolSnapshot> = pools.iter().collect();
    rows.sort_by_key(|p| p.obj_size);
    let mut out = String::from("Dumping pools usage. Use SIGQUIT to flush them.\n");
    let (mut bytes, mut used) = (0u64, 0u64);
    for (i, p) in rows.iter().enumerate() {
        out.push_str(&format!(
            "  - Pool {} ({} bytes) : {} allocated ({} bytes), {} used (~0 by thread caches), needed_avg {}, {} failures, 1 users, @{:#x} [SHARED]\n",
            p.name,
            p.obj_size,
            p.allocated,
            p.allocated * p.obj_size,
            p.used,
            p.used,
            p.failed,
            0x1000 * (i + 1)
        ));
        bytes += p.allocated * p.obj_size;
        used += p.used * p.obj_size;
    }
    out.push_str(&format!(
        "Total: {} pools, {bytes} bytes allocated, {used} used (~0 by thread caches).\n",
        rows.len()
    ));
    out
}

impl Source for HostData {
    fn info(&self) -> ProcessInfo {
        let Some(p) = self.host.info() else {
            return ProcessInfo {
                name: "HAProxy".into(),
                ..ProcessInfo::default()
            };
        };
        let nums: Vec<(String, String)> = p
            .metrics
            .iter()
            .map(|m| (m.name.to_string(), m.value.to_string()))
            .chain(
                p.fields
                    .iter()
                    .map(|f| (f.name.to_string(), f.value.to_string())),
            )
            .collect();
        let mut info = info_from_pairs(nums.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if info.nbthread == 0 {
            info.nbthread = 1;
        }
        info
    }

    fn stats(&self) -> Vec<ProxyStats> {
        rows_from(&self.host.proxies())
    }

    fn sessions(&self) -> Vec<SessionInfo> {
        self.host.sessions().iter().map(session_from).collect()
    }

    fn pools(&self) -> String {
        render_pools(&self.host.pools())
    }

    fn tables(
        &self,
        action: TableAction,
        args: &[&str],
        level: Level,
        socket_level: Level,
    ) -> Option<Result<String, String>> {
        let op = match action {
            TableAction::Show => TableOp::SHOW,
            TableAction::Clear => TableOp::CLEAR,
            TableAction::Set => TableOp::SET,
            TableAction::ShowPeers => TableOp::SHOW_PEERS,
            TableAction::Command => TableOp::COMMAND,
        };
        self.host
            .tables(TableCmd::new(op, args, lvl(level), lvl(socket_level)))
    }

    fn stick_tables(
        &self,
        show: &crate::stick::StickShow<'_>,
        level: Level,
        socket_level: Level,
    ) -> Option<Result<Vec<crate::stick::StickTable>, String>> {
        crate::host_tables::stick_tables(&self.host, show, lvl(level), lvl(socket_level))
    }

    fn peers_view(&self) -> Option<applet_sdk::PeersView> {
        self.host.peers_view()
    }

    fn patterns(
        &self,
        query: applet_sdk::PatternQuery,
    ) -> Option<Result<Vec<applet_sdk::PatternRefView>, String>> {
        self.host.patterns(query)
    }

    fn servers_conn(&self) -> Vec<crate::model::ServerConnRow> {
        let threads = self.info().nbthread.max(1) as usize;
        let mut out = Vec::new();
        for p in self.host.proxies() {
            if !p.kind.has_backend() {
                continue;
            }
            for s in p.servers.iter() {
                let (addr, port) = split_addr(&s.addr);
                let m = |n: &str| s.metric(&format!("conn.{n}")).unwrap_or(0);
                out.push(crate::model::ServerConnRow {
                    be_id: p.id,
                    be_name: p.name.to_string(),
                    srv_id: s.id,
                    srv_name: s.name.to_string(),
                    addr,
                    port,
                    purge_delay: m("purge_delay"),
                    used_cur: m("used_cur"),
                    used_max: m("used_max"),
                    need_est: m("need_est"),
                    unsafe_nb: m("unsafe_nb"),
                    safe_nb: m("safe_nb"),
                    idle_lim: s
                        .metric("conn.idle_lim")
                        .map_or(-1, |v| i64::try_from(v).unwrap_or(i64::MAX)),
                    idle_cur: m("idle_cur"),
                    idle_per_thr: (0..threads).map(|t| m(&format!("idle_thr{t}"))).collect(),
                });
            }
        }
        out
    }

    fn servers_state(&self) -> Vec<ServerStateRow> {
        let mut out = Vec::new();
        for p in self.host.proxies() {
            if !p.kind.has_backend() {
                continue;
            }
            for s in p.servers.iter() {
                let (ip, port) = split_addr(&s.addr);
                let m = |n: &str| s.metric(n).unwrap_or(0);
                let fld = |n: &str| applet_sdk::field(&s.fields, n).unwrap_or("");
                let num = |n: &str| fld(n).parse::<u32>().unwrap_or(0);
                let admin = s.metric("admin_bits").map_or_else(
                    || match s.state {
                        ServerState::MAINT if fld("maint_cause") == "resolution" => 0x20,
                        // Inherited maintenance (SRV_ADMF_IMAINT).
                        ServerState::MAINT if fld("maint_cause") == "via" => 0x02,
                        ServerState::MAINT => 0x01,
                        ServerState::DRAIN => 0x08,
                        _ => 0,
                    },
                    |b| b as u32,
                );
                let op = match fld("op_state") {
                    "STOPPED" => 0,
                    "STARTING" => 1,
                    "STOPPING" => 3,
                    "RUNNING" => 2,
                    _ if s.state == ServerState::MAINT || s.state == ServerState::DOWN => 0,
                    _ => 2,
                };
                // HAProxy's CHK_ST_* bits: configured 0x2, enabled 0x4,
                // paused 0x8, agent 0x10.
                // A check that is not configured still shows as paused
                // in maintenance, as HAProxy's `disabled` sets it; an
                // agent that is not configured shows nothing.
                let state_bits = |p: &str, agent: u32| {
                    let configured = fld(&format!("{p}.configured")) == "1";
                    if !configured && agent != 0 {
                        return 0;
                    }
                    let mut b = if configured { 0x2 | agent } else { 0 };
                    if fld(&format!("{p}.enabled")) == "1" {
                        b |= 0x4;
                    }
                    if fld(&format!("{p}.paused")) == "1" {
                        b |= 0x8;
                    }
                    b
                };
                let status = CheckStatus::from_info(fld("check.status")).unwrap_or_default();
                let result = match status {
                    CheckStatus::Unknown | CheckStatus::Init => 0,
                    CheckStatus::L4Ok
                    | CheckStatus::L6Ok
                    | CheckStatus::L7Ok
                    | CheckStatus::ProcOk => 3,
                    CheckStatus::L7OkC => 4,
                    _ => 2,
                };
                out.push(ServerStateRow {
                    be_id: p.id,
                    be_name: p.name.to_string(),
                    srv_id: s.id,
                    srv_name: s.name.to_string(),
                    srv_addr: if ip.is_empty() { "-".into() } else { ip },
                    srv_op_state: op,
                    srv_admin_state: admin,
                    srv_uweight: m("uweight") as u32,
                    srv_iweight: m("iweight") as u32,
                    srv_time_since_last_change: m("lastchg"),
                    srv_check_status: status.code(),
                    srv_check_result: result,
                    srv_check_health: num("check.health"),
                    srv_check_state: state_bits("check", 0),
                    srv_agent_state: state_bits("agent", 0x10),
                    srv_port: u32::from(port),
                    srv_use_ssl: fld("use_ssl") == "1",
                    srv_fqdn: Some(fld("fqdn"))
                        .filter(|h| !h.is_empty())
                        .map(str::to_string),
                    ..ServerStateRow::default()
                });
            }
        }
        out
    }
}

/// `ip:port`, `[ip6]:port` or a bare address into address and port (0
/// when none).
fn split_addr(a: &str) -> (String, u16) {
    if a.parse::<std::net::IpAddr>().is_ok() {
        return (a.to_string(), 0);
    }
    match a.rsplit_once(':') {
        Some((ip, port)) => (
            ip.trim_matches(['[', ']']).to_string(),
            port.parse().unwrap_or(0),
        ),
        None => (a.to_string(), 0),
    }
}

fn admin_result(r: Result<String, String>) -> Result<(), AdminError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.starts_with("No such backend") => Err(AdminError::NoSuchBackend),
        Err(e) if e.starts_with("No such server") => Err(AdminError::NoSuchServer),
        Err(e) if e.starts_with("No such frontend") => Err(AdminError::NoSuchFrontend),
        Err(e) if e.starts_with("Backend is using a static LB") => Err(AdminError::StaticLbWeight),
        Err(e) => Err(AdminError::Other(e)),
    }
}

impl Admin for HostData {
    fn find_server(&self, backend: &str, server: &str) -> Result<ServerRef, AdminError> {
        let proxies = self.host.proxies();
        let p = proxies
            .iter()
            .find(|p| p.kind.has_backend() && p.name.as_str() == backend)
            .ok_or(AdminError::NoSuchBackend)?;
        let s = p
            .servers
            .iter()
            .find(|s| s.name.as_str() == server)
            .ok_or(AdminError::NoSuchServer)?;
        Ok(ServerRef {
            uweight: s.metric("uweight").map_or(s.weight, |v| v as u32),
            iweight: s.metric("iweight").map_or(s.weight, |v| v as u32),
            proxy_disabled: false,
        })
    }

    fn has_frontend(&self, name: &str) -> bool {
        self.host
            .proxies()
            .iter()
            .any(|p| p.kind.has_frontend() && p.name.as_str() == name)
    }

    fn set_server_state(
        &self,
        backend: &str,
        server: &str,
        state: AdminState,
    ) -> Result<(), AdminError> {
        let st = match state {
            AdminState::Ready => ServerState::READY,
            AdminState::Drain => ServerState::DRAIN,
            AdminState::Maint => ServerState::MAINT,
        };
        admin_result(
            self.host
                .admin(AdminCmd::set_server_state(backend, server, st)),
        )
    }

    fn set_server_weight(
        &self,
        backend: &str,
        server: &str,
        weight: u32,
    ) -> Result<(), AdminError> {
        admin_result(
            self.host
                .admin(AdminCmd::set_server_weight(backend, server, weight)),
        )
    }

    fn set_server_maxconn(
        &self,
        backend: &str,
        server: &str,
        maxconn: i64,
    ) -> Result<(), AdminError> {
        admin_result(self.host.admin(AdminCmd::new(
            AdminOp::SET_SERVER_MAXCONN,
            backend,
            server,
            maxconn as u64,
        )))
    }

    fn set_frontend_maxconn(&self, frontend: &str, maxconn: u32) -> Result<(), AdminError> {
        admin_result(self.host.admin(AdminCmd::new(
            AdminOp::SET_FRONTEND_MAXCONN,
            frontend,
            "",
            u64::from(maxconn),
        )))
    }

    fn set_global_maxconn(&self, maxconn: u64) -> Result<(), AdminError> {
        admin_result(
            self.host
                .admin(AdminCmd::new(AdminOp::SET_GLOBAL_MAXCONN, "", "", maxconn)),
        )
    }

    fn clear_counters(&self, all: bool) {
        let _ = self.host.admin(AdminCmd::clear_counters(all));
    }

    fn shutdown_session(&self, ptr: u64) -> bool {
        self.host.admin(AdminCmd::shutdown_stream(ptr)).is_ok()
    }

    fn server_check_op(
        &self,
        backend: &str,
        server: &str,
        op: AdminOp,
        value: u64,
    ) -> Result<(), AdminError> {
        admin_result(self.host.admin(AdminCmd::new(op, backend, server, value)))
    }

    fn shutdown_server_sessions(&self, backend: &str, server: &str) -> Result<(), AdminError> {
        admin_result(self.host.admin(AdminCmd::new(
            AdminOp::SHUTDOWN_SERVER_SESSIONS,
            backend,
            server,
            0,
        )))
    }
}
