//! Plain-Rust data model fed to the renderers.
//!
//! Everything here is a snapshot: owned values, no references into the proxy,
//! no ABI types. The host converts its own snapshot into these structs in one
//! place (a later change); the renderers in this crate then apply HAProxy
//! 2.6's presentation rules (which columns are empty for which row type, how
//! statuses are spelled, ...), so the host only has to report facts.
//!
//! * [`ProcessInfo`] — one value per `show info` field, in HAProxy's order.
//! * [`ProxyStats`] — one `show stat` row (frontend, listener, server or
//!   backend), one member per CSV column in column order. Members are
//!   `Option` where the *host* decides whether a value exists (a server
//!   without `maxconn` has no `slim`); columns whose emptiness follows from
//!   the row type, the proxy mode or the health-check state are plain values
//!   and the renderer blanks them (see `fill.rs`).
//! * [`ServerHealth`] — the structured
//!   state of a server from which `status`, the `check_*`/`agent_*` columns,
//!   the HTML row colour and the Prometheus state labels are derived.

use crate::health::ServerHealth;

mod process;
mod session;

pub use process::ProcessInfo;
pub use session::{ServerConnRow, ServerStateRow, SessionInfo, SiInfo};

/// Row type, as printed in the `type` column (field 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ObjType {
    /// `0`, svname `FRONTEND`.
    #[default]
    Frontend,
    /// `1`, svname `BACKEND`.
    Backend,
    /// `2`, one row per server.
    Server,
    /// `3`, one row per listener (only with `option socket-stats`).
    Listener,
}

impl ObjType {
    /// Value of the `type` column.
    pub fn code(self) -> u32 {
        match self {
            ObjType::Frontend => 0,
            ObjType::Backend => 1,
            ObjType::Server => 2,
            ObjType::Listener => 3,
        }
    }

    /// Bit used by the CLI `<type>` filter of `show stat <iid> <type> <sid>`
    /// (1 frontends, 2 backends, 4 servers, 8 listeners).
    pub fn filter_bit(self) -> i64 {
        1 << self.code()
    }

    /// Letter used by `show stat typed` (`F`, `B`, `S`, `L`).
    pub fn letter(self) -> char {
        match self {
            ObjType::Frontend => 'F',
            ObjType::Backend => 'B',
            ObjType::Server => 'S',
            ObjType::Listener => 'L',
        }
    }

    /// `objType` value of `show stat json`.
    pub fn json_name(self) -> &'static str {
        match self {
            ObjType::Frontend => "Frontend",
            ObjType::Backend => "Backend",
            ObjType::Server => "Server",
            ObjType::Listener => "Listener",
        }
    }
}

/// Proxy mode, printed in the `mode` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyMode {
    /// `tcp`
    #[default]
    Tcp,
    /// `http`
    Http,
    /// `health`
    Health,
    /// `unknown`
    Unknown,
}

impl ProxyMode {
    /// Spelling used in the CSV `mode` column and the HTML tooltips.
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyMode::Tcp => "tcp",
            ProxyMode::Http => "http",
            ProxyMode::Health => "health",
            ProxyMode::Unknown => "unknown",
        }
    }
}

/// Listener state (`status` column of a listener row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListenerStatus {
    /// `WAITING`: paused or waiting for a resource.
    Waiting,
    /// `OPEN`: accepting.
    #[default]
    Open,
    /// `FULL`: at its maxconn.
    Full,
}

impl ListenerStatus {
    /// All states in HAProxy's order (used for Prometheus state labels).
    pub const ALL: [ListenerStatus; 3] = [
        ListenerStatus::Waiting,
        ListenerStatus::Open,
        ListenerStatus::Full,
    ];

    /// Spelling of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            ListenerStatus::Waiting => "WAITING",
            ListenerStatus::Open => "OPEN",
            ListenerStatus::Full => "FULL",
        }
    }
}

/// Counters of the "extra modules" printed after the `-` column: SSL (on
/// frontends, listeners, backends and servers), then H2 and H1 (frontends and
/// backends only). The renderer leaves them empty where 2.6 does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleCounters {
    /// `ssl_sess`, `ssl_reused_sess`, `ssl_failed_handshake`.
    pub ssl: [u64; 3],
    /// `h2_headers_rcvd` .. `h2_backend_total_streams` (13 values, header order).
    pub h2: [u64; 13],
    /// `h1_open_connections` .. `h1_spliced_bytes_out` (8 values, header order).
    pub h1: [u64; 8],
}

/// One row of `show stat`: a frontend, a listener, a server or a backend.
///
/// Members are listed in CSV column order. Times are in the unit HAProxy
/// prints: seconds for `lastchg`/`downtime`/`lastsess`, milliseconds for the
/// `*time`, `*time_max` and `*_duration` values. Values are shown for the row
/// types HAProxy shows them for; the others are ignored. Counters that
/// HAProxy only prints in HTTP mode (`hrsp_*`, cache, ...) are blanked by the
/// renderer for TCP proxies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProxyStats {
    /// Row type (column 32).
    pub kind: ObjType,
    /// 0 `pxname`: proxy name.
    pub pxname: String,
    /// 1 `svname`: server or listener name (ignored for FE/BE rows, which
    /// print `FRONTEND`/`BACKEND`).
    pub svname: String,
    /// 2 `qcur` (BS): requests queued now.
    pub qcur: u64,
    /// 3 `qmax` (BS): max queued.
    pub qmax: u64,
    /// 4 `scur` (LFBS): current sessions.
    pub scur: u64,
    /// 5 `smax` (LFBS): max sessions.
    pub smax: u64,
    /// 6 `slim` (LFBS): maxconn (FE/L), fullconn (BE), server maxconn
    /// (`None` = no limit, printed empty for servers, `0` elsewhere).
    pub slim: Option<u64>,
    /// 7 `stot`: cumulated sessions (connections for L and BE).
    pub stot: u64,
    /// 8 `bin`: bytes in.
    pub bin: u64,
    /// 9 `bout`: bytes out.
    pub bout: u64,
    /// 10 `dreq` (LFB): denied requests.
    pub dreq: u64,
    /// 11 `dresp` (LFBS): denied responses.
    pub dresp: u64,
    /// 12 `ereq` (LF): request errors.
    pub ereq: u64,
    /// 13 `econ` (BS): connection errors.
    pub econ: u64,
    /// 14 `eresp` (BS): response errors.
    pub eresp: u64,
    /// 15 `wretr` (BS): retries.
    pub wretr: u64,
    /// 16 `wredis` (BS): redispatches.
    pub wredis: u64,
    /// 17 `status` of a frontend: `true` prints `STOP` instead of `OPEN`.
    /// (Backend status derives from `weight` and the servers, server status
    /// from [`ProxyStats::server`], listener status from `listener_status`.)
    pub stopped: bool,
    /// 17 `status` of a listener row.
    pub listener_status: ListenerStatus,
    /// 18 `weight` (BS): effective weight (BE: total of active servers, or
    /// of backups when no active server is usable). BE status is `UP` when
    /// it is non-zero or the backend has no server.
    pub weight: u64,
    /// 19 `act` (B): number of active servers (servers: from `server.backup`).
    pub act: u64,
    /// 20 `bck` (B): number of backup servers.
    pub bck: u64,
    /// 21 `chkfail` (S): failed checks (shown only with an enabled check).
    pub chkfail: u64,
    /// 22 `chkdown` (BS): UP->DOWN transitions (servers: only with a check).
    pub chkdown: u64,
    /// 23 `lastchg` (BS): seconds since the last UP<->DOWN transition.
    pub lastchg: u64,
    /// 24 `downtime` (BS): total downtime in seconds (servers: only with a
    /// check; backends: only when they have servers).
    pub downtime: u64,
    /// 25 `qlimit` (S): `maxqueue` (`None` when unset).
    pub qlimit: Option<u64>,
    /// 27 `iid`: proxy id.
    pub iid: u32,
    /// 28 `sid`: server or listener id (0 for FE/BE rows).
    pub sid: u32,
    /// 29 `throttle` (S): slowstart percentage, only while starting.
    pub throttle: Option<u64>,
    /// 30 `lbtot` (BS): times selected by load balancing.
    pub lbtot: u64,
    /// 33 `rate` (FBS): sessions over the last second.
    pub rate: u64,
    /// 34 `rate_lim` (F): configured session rate limit (0 = none).
    pub rate_lim: u64,
    /// 35 `rate_max` (FBS): max sessions per second.
    pub rate_max: u64,
    /// 39..44 `hrsp_1xx`, `hrsp_2xx`, `hrsp_3xx`, `hrsp_4xx`, `hrsp_5xx`,
    /// `hrsp_other` (FBS, HTTP only).
    pub hrsp: [u64; 6],
    /// 45 `hanafail` (S): failed health analyses (only with `observe`).
    pub hanafail: u64,
    /// 46 `req_rate` (F): HTTP requests over the last second.
    pub req_rate: u64,
    /// 47 `req_rate_max` (F): max HTTP requests per second.
    pub req_rate_max: u64,
    /// 48 `req_tot` (F, BS in HTTP): total HTTP requests.
    pub req_tot: u64,
    /// 49 `cli_abrt` (BS): data transfers aborted by the client.
    pub cli_abrt: u64,
    /// 50 `srv_abrt` (BS): data transfers aborted by the server.
    pub srv_abrt: u64,
    /// 51 `comp_in` (FB): bytes fed to the compressor.
    pub comp_in: u64,
    /// 52 `comp_out` (FB): bytes emitted by the compressor.
    pub comp_out: u64,
    /// 53 `comp_byp` (FB): bytes that bypassed the compressor.
    pub comp_byp: u64,
    /// 54 `comp_rsp` (FB): compressed HTTP responses.
    pub comp_rsp: u64,
    /// 55 `lastsess` (BS): seconds since the last session, -1 for never.
    pub lastsess: i64,
    /// 58 `qtime` (BS): average queue time (ms, last 1024 requests).
    pub qtime: u64,
    /// 59 `ctime` (BS): average connect time (ms).
    pub ctime: u64,
    /// 60 `rtime` (BS): average response time (ms).
    pub rtime: u64,
    /// 61 `ttime` (BS): average total time (ms).
    pub ttime: u64,
    /// 73 `addr` (LS): `ip:port`, `[ipv6]:port` or `unix`; only printed when
    /// legends are shown (CLI level operator/admin, `stats show-legends`).
    pub addr: Option<String>,
    /// 74 `cookie` (BS): cookie name (BE) or value (server), legends only.
    pub cookie: Option<String>,
    /// 75 `mode`.
    pub mode: ProxyMode,
    /// 76 `algo` (B): balance algorithm (e.g. `roundrobin`), legends only.
    pub algo: Option<String>,
    /// 77 `conn_rate` (F): connections over the last second.
    pub conn_rate: u64,
    /// 78 `conn_rate_max` (F).
    pub conn_rate_max: u64,
    /// 79 `conn_tot` (F): cumulated connections.
    pub conn_tot: u64,
    /// 80 `intercepted` (F, HTTP): requests intercepted (stats, monitor...).
    pub intercepted: u64,
    /// 81 `dcon` (LF): connections denied by `tcp-request connection`.
    pub dcon: u64,
    /// 82 `dses` (LF): sessions denied by `tcp-request session`.
    pub dses: u64,
    /// 83 `wrew` (LFBS): failed header rewrites.
    pub wrew: u64,
    /// 84 `connect` (BS): connection attempts.
    pub connect: u64,
    /// 85 `reuse` (BS): connection reuses.
    pub reuse: u64,
    /// 86 `cache_lookups` (FB, HTTP).
    pub cache_lookups: u64,
    /// 87 `cache_hits` (FB, HTTP).
    pub cache_hits: u64,
    /// 88 `srv_icur` (S): idle connections available for reuse.
    pub srv_icur: u64,
    /// 89 `src_ilim` (S): idle connection limit (`None` = unlimited).
    pub srv_ilim: Option<u64>,
    /// 90 `qtime_max` (BS) (ms).
    pub qtime_max: u64,
    /// 91 `ctime_max` (BS) (ms).
    pub ctime_max: u64,
    /// 92 `rtime_max` (BS) (ms).
    pub rtime_max: u64,
    /// 93 `ttime_max` (BS) (ms).
    pub ttime_max: u64,
    /// 94 `eint` (LFBS): internal errors.
    pub eint: u64,
    /// 95 `idle_conn_cur` (S): unsafe idle connections.
    pub idle_conn_cur: u64,
    /// 96 `safe_conn_cur` (S): safe idle connections.
    pub safe_conn_cur: u64,
    /// 97 `used_conn_cur` (S): connections in use.
    pub used_conn_cur: u64,
    /// 98 `need_conn_est` (S): estimated needed connections.
    pub need_conn_est: u64,
    /// 99 `uweight` (BS): user weight (BE: sum over usable servers).
    pub uweight: u64,
    /// Columns after `-`.
    pub modules: ModuleCounters,
    /// Server rows only: health/admin state (`status`, `act`/`bck`,
    /// `tracked`, `check_*`, `agent_*`, `hanafail` visibility, ...). `None`
    /// on a server row renders as an unchecked, running, active server.
    pub server: Option<ServerHealth>,
}

impl ProxyStats {
    /// A row of the given type with all counters at zero.
    pub fn new(kind: ObjType, pxname: &str, svname: &str, iid: u32, sid: u32) -> ProxyStats {
        ProxyStats {
            kind,
            pxname: pxname.to_string(),
            svname: svname.to_string(),
            iid,
            sid,
            lastsess: -1,
            ..ProxyStats::default()
        }
    }

    /// Name printed in the `svname` column.
    pub fn display_svname(&self) -> &str {
        match self.kind {
            ObjType::Frontend => "FRONTEND",
            ObjType::Backend => "BACKEND",
            _ => &self.svname,
        }
    }
}
