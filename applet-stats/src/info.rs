//! `show info`: field table, value filling and the plain `Name: value`
//! format.
//!
//! Field names are kept identical to HAProxy 2.6 (`Name`, `Uptime_sec`,
//! `Unstoppable Jobs`, the misspelled `TotalSplicdedBytesOut`, ...) because
//! monitoring scripts key on them; the values are ours (product name,
//! version, pid, ...). Fields HAProxy omits when they have no value
//! (`ZlibMemUsage`, `MaxZlibMemUsage`, `description`) are omitted the same
//! way. Positions are fixed, with the same holes as 2.6.

use crate::fields::{Field, Ty, Value};
use crate::model::ProcessInfo;

/// Number of `show info` positions.
pub const INFO_FIELD_COUNT: usize = 72;

/// One entry of [`INFO_FIELDS`].
#[derive(Debug, Clone, Copy)]
pub struct InfoField {
    /// Field name.
    pub name: &'static str,
    /// Tags (origin, nature, scope) of the integer rendering.
    pub tags: &'static str,
    /// Value type of the integer rendering.
    pub ty: Ty,
    /// Description (`show info desc`, Prometheus HELP).
    pub desc: &'static str,
}

const fn i(name: &'static str, tags: &'static str, ty: Ty, desc: &'static str) -> InfoField {
    InfoField {
        name,
        tags,
        ty,
        desc,
    }
}

use Ty::{Str, U32, U64};

/// All `show info` fields by position.
#[rustfmt::skip]
pub const INFO_FIELDS: [InfoField; INFO_FIELD_COUNT] = [
    i("Name", "POS", Str, "Product name"),
    i("Version", "POS", Str, "Product version"),
    i("Release_date", "POS", Str, "Date of latest source code update"),
    i("Nbthread", "CGS", U32, "Number of started threads (global.nbthread)"),
    i("Nbproc", "CGS", U32, "Number of started worker processes (historical, always 1)"),
    i("Process_num", "KGP", U32, "Relative worker process number (1)"),
    i("Pid", "SGP", U32, "This worker process identifier for the system"),
    i("Uptime", "MDP", Str, "How long ago this worker process was started (days+hours+minutes+seconds)"),
    i("Uptime_sec", "MDP", U32, "How long ago this worker process was started (seconds)"),
    i("Memmax_MB", "CLP", U32, "Worker process's hard limit on memory usage in MB (-m on command line)"),
    i("PoolAlloc_MB", "MGP", U32, "Amount of memory allocated in pools (in MB)"),
    i("PoolUsed_MB", "MGP", U32, "Amount of pool memory currently used (in MB)"),
    i("PoolFailed", "MCP", U32, "Number of failed pool allocations since this worker was started"),
    i("Ulimit-n", "CLP", U32, "Hard limit on the number of per-process file descriptors"),
    i("Maxsock", "CLP", U32, "Hard limit on the number of per-process sockets"),
    i("Maxconn", "CLP", U32, "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)"),
    i("Hard_maxconn", "CLP", U32, "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)"),
    i("CurrConns", "MGP", U32, "Current number of connections on this worker process"),
    i("CumConns", "MCP", U32, "Total number of connections on this worker process since started"),
    i("CumReq", "MCP", U32, "Total number of requests on this worker process since started"),
    i("MaxSslConns", "MMP", U32, "Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited"),
    i("CurrSslConns", "MGP", U32, "Current number of SSL endpoints on this worker process (front+back)"),
    i("CumSslConns", "MCP", U32, "Total number of SSL endpoints on this worker process since started (front+back)"),
    i("Maxpipes", "CLP", U32, "Hard limit on the number of pipes for splicing, 0=unlimited"),
    i("PipesUsed", "MGP", U32, "Current number of pipes in use in this worker process"),
    i("PipesFree", "MGP", U32, "Current number of allocated and available pipes in this worker process"),
    i("ConnRate", "MRP", U32, "Number of front connections created on this worker process over the last second"),
    i("ConnRateLimit", "CLP", U32, "Hard limit for ConnRate (global.maxconnrate)"),
    i("MaxConnRate", "MMP", U32, "Highest ConnRate reached on this worker process since started (in connections per second)"),
    i("SessRate", "MRP", U32, "Number of sessions created on this worker process over the last second"),
    i("SessRateLimit", "CLP", U32, "Hard limit for SessRate (global.maxsessrate)"),
    i("MaxSessRate", "MRP", U32, "Highest SessRate reached on this worker process since started (in sessions per second)"),
    i("SslRate", "MRP", U32, "Number of SSL connections created on this worker process over the last second"),
    i("SslRateLimit", "CLP", U32, "Hard limit for SslRate (global.maxsslrate)"),
    i("MaxSslRate", "MMP", U32, "Highest SslRate reached on this worker process since started (in connections per second)"),
    i("SslFrontendKeyRate", "MGP", U32, "Number of SSL keys created on frontends in this worker process over the last second"),
    i("SslFrontendMaxKeyRate", "MMP", U32, "Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)"),
    i("SslFrontendSessionReuse_pct", "MGP", U32, "Percent of frontend SSL connections which did not require a new key"),
    i("SslBackendKeyRate", "MRP", U32, "Number of SSL keys created on backends in this worker process over the last second"),
    i("SslBackendMaxKeyRate", "MMP", U32, "Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)"),
    i("SslCacheLookups", "MCP", U32, "Total number of SSL session ID lookups in the SSL session cache on this worker since started"),
    i("SslCacheMisses", "MCP", U32, "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started"),
    i("CompressBpsIn", "MRP", U32, "Number of bytes submitted to the HTTP compressor in this worker process over the last second"),
    i("CompressBpsOut", "MRP", U32, "Number of bytes emitted by the HTTP compressor in this worker process over the last second"),
    i("CompressBpsRateLim", "CLP", U32, "Limit of CompressBpsOut beyond which HTTP compression is automatically disabled"),
    i("ZlibMemUsage", "MGP", U32, "Amount of memory currently used by HTTP compression on the current worker process (in bytes)"),
    i("MaxZlibMemUsage", "CLP", U32, "Limit on the amount of memory used by HTTP compression above which it is automatically disabled (in bytes, see global.maxzlibmem)"),
    i("Tasks", "MGP", U32, "Total number of tasks in the current worker process (active + sleeping)"),
    i("Run_queue", "MGP", U32, "Total number of active tasks+tasklets in the current worker process"),
    i("Idle_pct", "MaP", U32, "Percentage of last second spent waiting in the current worker thread"),
    i("node", "COS", Str, "Node name (global.node)"),
    i("description", "COS", Str, "Node description (global.description)"),
    i("Stopping", "MGP", U32, "1 if the worker process is currently stopping, otherwise zero"),
    i("Jobs", "MGP", U32, "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)"),
    i("Unstoppable Jobs", "MGP", U32, "Current number of unstoppable jobs on the current worker process (master connections)"),
    i("Listeners", "MGP", U32, "Current number of active listeners on the current worker process"),
    i("ActivePeers", "MGP", U32, "Current number of verified active peers connections on the current worker process"),
    i("ConnectedPeers", "MGP", U32, "Current number of peers having passed the connection step on the current worker process"),
    i("DroppedLogs", "MGP", U32, "Total number of dropped logs for current worker process since started"),
    i("BusyPolling", "MGP", U32, "1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)"),
    i("FailedResolutions", "MGP", U32, "Total number of failed DNS resolutions in current worker process since started"),
    i("TotalBytesOut", "MGP", U64, "Total number of bytes emitted by current worker process since started"),
    i("TotalSplicdedBytesOut", "MGP", U64, "Total number of bytes emitted by current worker process through a kernel pipe since started"),
    i("BytesOutRate", "MRP", U64, "Number of bytes emitted by current worker process over the last second"),
    i("DebugCommandsIssued", "MGP", U32, "Number of debug commands issued on this process (anything > 0 is unsafe)"),
    i("CumRecvLogs", "MCP", U32, "Total number of log messages received by log-forwarding listeners on this worker process since started"),
    i("Build info", "POS", Str, "Build info"),
    i("Memmax_bytes", "CLP", U32, "Worker process's hard limit on memory usage in byes (-m on command line)"),
    i("PoolAlloc_bytes", "MGP", U64, "Amount of memory allocated in pools (in bytes)"),
    i("PoolUsed_bytes", "MGP", U64, "Amount of pool memory currently used (in bytes)"),
    i("Start_time_sec", "MDP", U32, "Start time in seconds"),
    i("Tainted", "SGP", Str, "Experimental features used"),
];

/// `Uptime` text: `<d>d <h>h<mm>m<ss>s`.
pub fn uptime_text(secs: u64) -> String {
    format!(
        "{}d {}h{:02}m{:02}s",
        secs / 86400,
        (secs % 86400) / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// Fills the 72 positions (`None` = omitted). `float` is the `float`
/// option: uptime, start time and rates become `flt` values.
pub fn fill_info(p: &ProcessInfo, float: bool) -> Vec<Option<Field>> {
    let mut v: Vec<Option<Field>> = vec![None; INFO_FIELD_COUNT];
    let mut put = |pos: usize, value: Value| {
        let tags = match (&value, pos) {
            (Value::Flt(_), 35 | 37) => "MRP",
            _ => INFO_FIELDS[pos].tags,
        };
        v[pos] = Some(Field::new(tags, value));
    };
    let int = |pos: usize, n: u64| match INFO_FIELDS[pos].ty {
        Ty::U64 => Value::U64(n),
        // HAProxy keeps these in 32 bits.
        _ => Value::U32(n as u32),
    };
    let rate = |pos: usize, n: u64| {
        if float {
            Value::Flt(n as f64)
        } else {
            int(pos, n)
        }
    };
    let up = p.uptime;
    let start = p.start_time;
    put(0, Value::Str(p.name.clone()));
    put(1, Value::Str(p.version.clone()));
    put(2, Value::Str(p.release_date.clone()));
    put(3, int(3, u64::from(p.nbthread)));
    put(4, int(4, 1));
    put(5, int(5, 1));
    put(6, int(6, u64::from(p.pid)));
    put(7, Value::Str(uptime_text(up.as_secs())));
    put(
        8,
        if float {
            Value::Flt(up.as_secs_f64())
        } else {
            int(8, up.as_secs())
        },
    );
    put(9, int(9, p.memmax_mb));
    put(10, int(10, p.pool_alloc_bytes / 1_048_576));
    put(11, int(11, p.pool_used_bytes / 1_048_576));
    let plain = [
        (12, p.pool_failed),
        (13, p.ulimit_n),
        (14, p.maxsock),
        (15, p.maxconn),
        (16, p.hard_maxconn),
        (17, p.curr_conns),
        (18, p.cum_conns),
        (19, p.cum_req),
        (20, p.max_ssl_conns),
        (21, p.curr_ssl_conns),
        (22, p.cum_ssl_conns),
        (23, p.maxpipes),
        (24, p.pipes_used),
        (25, p.pipes_free),
        (27, p.conn_rate_limit),
        (28, p.max_conn_rate),
        (30, p.sess_rate_limit),
        (31, p.max_sess_rate),
        (33, p.ssl_rate_limit),
        (34, p.max_ssl_rate),
        (36, p.ssl_frontend_max_key_rate),
        (39, p.ssl_backend_max_key_rate),
        (40, p.ssl_cache_lookups),
        (41, p.ssl_cache_misses),
        (44, p.compress_bps_rate_lim),
        (47, p.tasks),
        (48, p.run_queue),
        (49, p.idle_pct),
        (52, u64::from(p.stopping)),
        (53, p.jobs),
        (54, p.unstoppable_jobs),
        (55, p.listeners),
        (56, p.active_peers),
        (57, p.connected_peers),
        (58, p.dropped_logs),
        (59, u64::from(p.busy_polling)),
        (60, p.failed_resolutions),
        (61, p.total_bytes_out),
        (62, p.total_spliced_bytes_out),
        (63, p.bytes_out_rate),
        (64, p.debug_commands_issued),
        (65, p.cum_recv_logs),
        (67, p.memmax_mb.wrapping_mul(1_048_576)),
        (68, p.pool_alloc_bytes),
        (69, p.pool_used_bytes),
    ];
    for (pos, n) in plain {
        put(pos, int(pos, n));
    }
    let rates = [
        (26, p.conn_rate),
        (29, p.sess_rate),
        (32, p.ssl_rate),
        (35, p.ssl_frontend_key_rate),
        (37, p.ssl_frontend_session_reuse_pct),
        (38, p.ssl_backend_key_rate),
        (42, p.compress_bps_in),
        (43, p.compress_bps_out),
    ];
    for (pos, n) in rates {
        put(pos, rate(pos, n));
    }
    if let Some(z) = p.zlib_mem_usage {
        put(45, int(45, z));
    }
    if let Some(z) = p.max_zlib_mem_usage {
        put(46, int(46, z));
    }
    put(50, Value::Str(p.node.clone()));
    if let Some(d) = &p.description {
        put(51, Value::Str(d.clone()));
    }
    put(66, Value::Str(p.version.clone()));
    put(
        70,
        if float {
            Value::Flt(start.as_secs_f64())
        } else {
            int(70, start.as_secs())
        },
    );
    let tainted = if p.tainted == 0 {
        "0".to_string()
    } else {
        format!("{:#x}", p.tainted)
    };
    put(71, Value::Str(tainted));
    v
}

/// Plain `show info` (without the CLI's terminating empty line). With
/// `desc`, each line ends with `:"<description>"`.
pub fn render_plain(p: &ProcessInfo, float: bool, desc: bool) -> String {
    let mut out = String::with_capacity(1400);
    for (pos, f) in fill_info(p, float).iter().enumerate() {
        let Some(f) = f else { continue };
        out.push_str(INFO_FIELDS[pos].name);
        out.push_str(": ");
        out.push_str(&f.value.to_text());
        if desc {
            out.push_str(&format!(":\"{}\"", INFO_FIELDS[pos].desc));
        }
        out.push('\n');
    }
    out
}

/// Rebuilds a [`ProcessInfo`] from `name: value` pairs (test helper; also
/// handy for tools that replay captures).
pub fn info_from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> ProcessInfo {
    let mut p = ProcessInfo::default();
    for (k, v) in pairs {
        let n: u64 = v.parse().unwrap_or(0);
        match k {
            "Name" => p.name = v.to_string(),
            "Version" => p.version = v.to_string(),
            "Release_date" => p.release_date = v.to_string(),
            "Nbthread" => p.nbthread = n as u32,
            "Pid" => p.pid = n as u32,
            "Uptime_sec" => p.uptime = std::time::Duration::from_secs(n),
            "Memmax_MB" => p.memmax_mb = n,
            "PoolFailed" => p.pool_failed = n,
            "Ulimit-n" => p.ulimit_n = n,
            "Maxsock" => p.maxsock = n,
            "Maxconn" => p.maxconn = n,
            "Hard_maxconn" => p.hard_maxconn = n,
            "CurrConns" => p.curr_conns = n,
            "CumConns" => p.cum_conns = n,
            "CumReq" => p.cum_req = n,
            "MaxSslConns" => p.max_ssl_conns = n,
            "CurrSslConns" => p.curr_ssl_conns = n,
            "CumSslConns" => p.cum_ssl_conns = n,
            "Maxpipes" => p.maxpipes = n,
            "PipesUsed" => p.pipes_used = n,
            "PipesFree" => p.pipes_free = n,
            "ConnRate" => p.conn_rate = n,
            "ConnRateLimit" => p.conn_rate_limit = n,
            "MaxConnRate" => p.max_conn_rate = n,
            "SessRate" => p.sess_rate = n,
            "SessRateLimit" => p.sess_rate_limit = n,
            "MaxSessRate" => p.max_sess_rate = n,
            "SslRate" => p.ssl_rate = n,
            "SslRateLimit" => p.ssl_rate_limit = n,
            "MaxSslRate" => p.max_ssl_rate = n,
            "SslFrontendKeyRate" => p.ssl_frontend_key_rate = n,
            "SslFrontendMaxKeyRate" => p.ssl_frontend_max_key_rate = n,
            "SslFrontendSessionReuse_pct" => p.ssl_frontend_session_reuse_pct = n,
            "SslBackendKeyRate" => p.ssl_backend_key_rate = n,
            "SslBackendMaxKeyRate" => p.ssl_backend_max_key_rate = n,
            "SslCacheLookups" => p.ssl_cache_lookups = n,
            "SslCacheMisses" => p.ssl_cache_misses = n,
            "CompressBpsIn" => p.compress_bps_in = n,
            "CompressBpsOut" => p.compress_bps_out = n,
            "CompressBpsRateLim" => p.compress_bps_rate_lim = n,
            "ZlibMemUsage" => p.zlib_mem_usage = Some(n),
            "MaxZlibMemUsage" => p.max_zlib_mem_usage = Some(n),
            "Tasks" => p.tasks = n,
            "Run_queue" => p.run_queue = n,
            "Idle_pct" => p.idle_pct = n,
            "node" => p.node = v.to_string(),
            "description" => p.description = Some(v.to_string()),
            "Stopping" => p.stopping = n != 0,
            "Jobs" => p.jobs = n,
            "Unstoppable Jobs" => p.unstoppable_jobs = n,
            "Listeners" => p.listeners = n,
            "ActivePeers" => p.active_peers = n,
            "ConnectedPeers" => p.connected_peers = n,
            "DroppedLogs" => p.dropped_logs = n,
            "BusyPolling" => p.busy_polling = n != 0,
            "FailedResolutions" => p.failed_resolutions = n,
            "TotalBytesOut" => p.total_bytes_out = n,
            "TotalSplicdedBytesOut" => p.total_spliced_bytes_out = n,
            "BytesOutRate" => p.bytes_out_rate = n,
            "DebugCommandsIssued" => p.debug_commands_issued = n,
            "CumRecvLogs" => p.cum_recv_logs = n,
            "PoolAlloc_bytes" => p.pool_alloc_bytes = n,
            "PoolUsed_bytes" => p.pool_used_bytes = n,
            "Start_time_sec" => p.start_time = std::time::Duration::from_secs(n),
            "Tainted" => {
                p.tainted = u32::from_str_radix(v.trim_start_matches("0x"), 16).unwrap_or(0)
            }
            _ => {}
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    fn pairs(text: &str) -> Vec<(&str, &str)> {
        text.lines().filter_map(|l| l.split_once(": ")).collect()
    }

    #[test]
    fn plain_round_trips_the_capture() {
        let p = info_from_pairs(pairs(testdata::REF_SHOW_INFO));
        assert_eq!(
            render_plain(&p, false, false),
            testdata::REF_SHOW_INFO.trim_end_matches('\n').to_string() + "\n"
        );
    }

    #[test]
    fn names_and_holes() {
        assert_eq!(INFO_FIELDS[54].name, "Unstoppable Jobs");
        assert_eq!(INFO_FIELDS[62].name, "TotalSplicdedBytesOut");
        let p = ProcessInfo {
            tainted: 4,
            ..ProcessInfo::default()
        };
        let v = fill_info(&p, false);
        assert!(v[45].is_none() && v[46].is_none() && v[51].is_none());
        assert_eq!(
            v[71].as_ref().map(|f| f.value.to_text()),
            Some("0x4".into())
        );
        assert_eq!(uptime_text(90061), "1d 1h01m01s");
        let f = fill_info(&p, true);
        assert_eq!(f[35].as_ref().map(|f| f.tag_str()), Some("MRP".into()));
        assert_eq!(f[8].as_ref().map(|f| f.value.type_name()), Some("flt"));
    }
}
