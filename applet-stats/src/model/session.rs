//! Streams (`show sess`) and `show servers state` rows.

use std::time::Duration;

/// One stream, for `show sess`.
///
/// HAProxy's full `show sess <id>` dump is explicitly undocumented and
/// unstable; we render the stable list-line prefix
/// (`<ptr>: proto=... src=... fe=... be=... srv=...`) faithfully and keep the
/// rest of the line in the same shape with neutral internal values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInfo {
    /// Handle printed as `0x<hex>` in place of HAProxy's stream pointer and
    /// accepted back by `show sess <id>` / `shutdown session <id>`.
    pub ptr: u64,
    /// Unique stream id (`id=` in the detailed dump).
    pub uniq_id: u64,
    /// `tcpv4`, `tcpv6`, `unix_stream`, ...
    pub proto: String,
    /// Client address as printed (`127.0.0.1:60662`, `unix:1`).
    pub src: String,
    /// Frontend name (`GLOBAL` for the CLI itself).
    pub frontend: String,
    /// Frontend id (0 for `GLOBAL`).
    pub frontend_id: u32,
    /// Frontend mode (`tcp`, `http`).
    pub frontend_mode: String,
    /// Listener id within the frontend.
    pub listener_id: u32,
    /// Local (accepting) address, as printed (`127.0.0.1:18085`, `unix:1`).
    pub local_addr: String,
    /// Backend name, `None` prints `<NONE>`.
    pub backend: Option<String>,
    /// Backend id and mode, when there is a backend.
    pub backend_id: u32,
    /// Backend mode.
    pub backend_mode: String,
    /// Source address of the server-side connection, if connected.
    pub backend_src: Option<String>,
    /// Server name, `None` prints `<none>` (list) / `<NONE>` (dump).
    pub server: Option<String>,
    /// Server id.
    pub server_id: u32,
    /// Server address, if any.
    pub server_addr: Option<String>,
    /// Age of the stream.
    pub age: Duration,
    /// Task calls so far.
    pub calls: u64,
    /// Front / back file descriptors (-1 when none).
    pub fd_front: i64,
    /// Back file descriptor (-1 when none).
    pub fd_back: i64,
    /// Accept date as printed in the detailed dump
    /// (`26/Nov/2026:10:54:22.840535`).
    pub accept_date: String,
    /// Session flags (`flags=0x..` of the detailed dump).
    pub flags: u32,
    /// The two stream interfaces: `si[0]` (client) and `si[1]` (server
    /// side).
    pub si: [SiInfo; 2],
}

/// One stream interface, as the seed's `show sess` dump prints it:
/// `si[N]=<ptr> (state=EST flags=0x.. endpN=CONN:0x... exp=<t>, et=0x000)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiInfo {
    /// `INI REQ QUE TAR ASS CON CER EST DIS CLO`.
    pub state: String,
    pub flags: u32,
    /// `NONE`, `CONN` or `APPCTX`.
    pub endpoint: String,
    /// Address of the endpoint object (0 for none).
    pub endp_ptr: u64,
    /// Error type (`et=`).
    pub err_type: u32,
}

/// One line of `show servers state` (format version 1). Values are the raw
/// numbers HAProxy stores in its state file; see `management.txt`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerStateRow {
    /// `be_id`
    pub be_id: u32,
    /// `be_name`
    pub be_name: String,
    /// `srv_id`
    pub srv_id: u32,
    /// `srv_name`
    pub srv_name: String,
    /// `srv_addr` (`-` when not an IP).
    pub srv_addr: String,
    /// `srv_op_state` (0 stopped, 1 starting, 2 running, 3 stopping).
    pub srv_op_state: u32,
    /// `srv_admin_state` (bit field: 0x01 forced maint, 0x02 inherited
    /// maint, 0x04 config maint, 0x08 forced drain, ...).
    pub srv_admin_state: u32,
    /// `srv_uweight`
    pub srv_uweight: u32,
    /// `srv_iweight`
    pub srv_iweight: u32,
    /// `srv_time_since_last_change` (seconds).
    pub srv_time_since_last_change: u64,
    /// `srv_check_status` (check status code, see [`crate::health::CheckStatus::code`]).
    pub srv_check_status: u32,
    /// `srv_check_result`
    pub srv_check_result: u32,
    /// `srv_check_health`
    pub srv_check_health: u32,
    /// `srv_check_state` (bit field).
    pub srv_check_state: u32,
    /// `srv_agent_state` (bit field).
    pub srv_agent_state: u32,
    /// `bk_f_forced_id`
    pub bk_f_forced_id: bool,
    /// `srv_f_forced_id`
    pub srv_f_forced_id: bool,
    /// `srv_fqdn` (`-` when none).
    pub srv_fqdn: Option<String>,
    /// `srv_port`
    pub srv_port: u32,
    /// `srvrecord` (`-` when none).
    pub srvrecord: Option<String>,
    /// `srv_use_ssl`
    pub srv_use_ssl: bool,
    /// `srv_check_port`
    pub srv_check_port: u32,
    /// `srv_check_addr` (`-` when none).
    pub srv_check_addr: Option<String>,
    /// `srv_agent_addr` (`-` when none).
    pub srv_agent_addr: Option<String>,
    /// `srv_agent_port`
    pub srv_agent_port: u32,
}

/// One line of `show servers conn`: a server's connection pool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerConnRow {
    pub be_id: u32,
    pub be_name: String,
    pub srv_id: u32,
    pub srv_name: String,
    pub addr: String,
    pub port: u16,
    /// `pool-purge-delay`, ms.
    pub purge_delay: u64,
    pub used_cur: u64,
    pub used_max: u64,
    pub need_est: u64,
    /// Idle connections that never served a second request.
    pub unsafe_nb: u64,
    /// Idle connections that did.
    pub safe_nb: u64,
    /// `pool-max-conn`, -1 for no limit.
    pub idle_lim: i64,
    pub idle_cur: u64,
    /// Idle connections per thread, one entry per thread.
    pub idle_per_thr: Vec<u64>,
}
