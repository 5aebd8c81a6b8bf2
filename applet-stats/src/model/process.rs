//! [`ProcessInfo`]: the values of `show info`.

use std::time::Duration;

/// Everything `show info` prints, in HAProxy 2.6 order.
///
/// Field names are printed exactly as HAProxy does (`Name`, `Version`, ...,
/// including the `TotalSplicdedBytesOut` misspelling) so that existing
/// parsers keep working; the values are ours (`name` is our product name,
/// `version` our version string).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessInfo {
    /// 0 `Name`: product name.
    pub name: String,
    /// 1 `Version`; also printed by `show version` and as `Build info`.
    pub version: String,
    /// 2 `Release_date` (`YYYY/MM/DD`).
    pub release_date: String,
    /// 3 `Nbthread`.
    pub nbthread: u32,
    /// 6 `Pid`.
    pub pid: u32,
    /// 7 `Uptime` / 8 `Uptime_sec`.
    pub uptime: Duration,
    /// 9 `Memmax_MB` (0 = unlimited); 67 `Memmax_bytes` derives from it.
    pub memmax_mb: u64,
    /// 68 `PoolAlloc_bytes`; 10 `PoolAlloc_MB` derives from it.
    pub pool_alloc_bytes: u64,
    /// 69 `PoolUsed_bytes`; 11 `PoolUsed_MB` derives from it.
    pub pool_used_bytes: u64,
    /// 12 `PoolFailed`.
    pub pool_failed: u64,
    /// 13 `Ulimit-n`.
    pub ulimit_n: u64,
    /// 14 `Maxsock`.
    pub maxsock: u64,
    /// 15 `Maxconn`.
    pub maxconn: u64,
    /// 16 `Hard_maxconn`.
    pub hard_maxconn: u64,
    /// 17 `CurrConns`.
    pub curr_conns: u64,
    /// 18 `CumConns`.
    pub cum_conns: u64,
    /// 19 `CumReq`.
    pub cum_req: u64,
    /// 20 `MaxSslConns`.
    pub max_ssl_conns: u64,
    /// 21 `CurrSslConns`.
    pub curr_ssl_conns: u64,
    /// 22 `CumSslConns`.
    pub cum_ssl_conns: u64,
    /// 23 `Maxpipes`.
    pub maxpipes: u64,
    /// 24 `PipesUsed`.
    pub pipes_used: u64,
    /// 25 `PipesFree`.
    pub pipes_free: u64,
    /// 26 `ConnRate`.
    pub conn_rate: u64,
    /// 27 `ConnRateLimit`.
    pub conn_rate_limit: u64,
    /// 28 `MaxConnRate`.
    pub max_conn_rate: u64,
    /// 29 `SessRate`.
    pub sess_rate: u64,
    /// 30 `SessRateLimit`.
    pub sess_rate_limit: u64,
    /// 31 `MaxSessRate`.
    pub max_sess_rate: u64,
    /// 32 `SslRate`.
    pub ssl_rate: u64,
    /// 33 `SslRateLimit`.
    pub ssl_rate_limit: u64,
    /// 34 `MaxSslRate`.
    pub max_ssl_rate: u64,
    /// 35 `SslFrontendKeyRate`.
    pub ssl_frontend_key_rate: u64,
    /// 36 `SslFrontendMaxKeyRate`.
    pub ssl_frontend_max_key_rate: u64,
    /// 37 `SslFrontendSessionReuse_pct`.
    pub ssl_frontend_session_reuse_pct: u64,
    /// 38 `SslBackendKeyRate`.
    pub ssl_backend_key_rate: u64,
    /// 39 `SslBackendMaxKeyRate`.
    pub ssl_backend_max_key_rate: u64,
    /// 40 `SslCacheLookups`.
    pub ssl_cache_lookups: u64,
    /// 41 `SslCacheMisses`.
    pub ssl_cache_misses: u64,
    /// 42 `CompressBpsIn`.
    pub compress_bps_in: u64,
    /// 43 `CompressBpsOut`.
    pub compress_bps_out: u64,
    /// 44 `CompressBpsRateLim`.
    pub compress_bps_rate_lim: u64,
    /// 45 `ZlibMemUsage` (omitted when `None`, as in builds without zlib).
    pub zlib_mem_usage: Option<u64>,
    /// 46 `MaxZlibMemUsage` (omitted when `None`).
    pub max_zlib_mem_usage: Option<u64>,
    /// 47 `Tasks`.
    pub tasks: u64,
    /// 48 `Run_queue`.
    pub run_queue: u64,
    /// 49 `Idle_pct`.
    pub idle_pct: u64,
    /// 50 `node`.
    pub node: String,
    /// 51 `description` (omitted when `None`).
    pub description: Option<String>,
    /// 52 `Stopping`.
    pub stopping: bool,
    /// 53 `Jobs`.
    pub jobs: u64,
    /// 54 `Unstoppable Jobs`.
    pub unstoppable_jobs: u64,
    /// 55 `Listeners`.
    pub listeners: u64,
    /// 56 `ActivePeers`.
    pub active_peers: u64,
    /// 57 `ConnectedPeers`.
    pub connected_peers: u64,
    /// 58 `DroppedLogs`.
    pub dropped_logs: u64,
    /// 59 `BusyPolling`.
    pub busy_polling: bool,
    /// 60 `FailedResolutions`.
    pub failed_resolutions: u64,
    /// 61 `TotalBytesOut`.
    pub total_bytes_out: u64,
    /// 62 `TotalSplicdedBytesOut`.
    pub total_spliced_bytes_out: u64,
    /// 63 `BytesOutRate`.
    pub bytes_out_rate: u64,
    /// 64 `DebugCommandsIssued`.
    pub debug_commands_issued: u64,
    /// 65 `CumRecvLogs`.
    pub cum_recv_logs: u64,
    /// 70 `Start_time_sec`: process start, as time since the Unix epoch.
    pub start_time: Duration,
    /// 71 `Tainted`: bit field, printed `%#x` (`0`, `0x4`, ...).
    pub tainted: u32,
}
