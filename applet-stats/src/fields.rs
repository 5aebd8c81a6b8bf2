//! Static description of the `show stat` fields: name, description, tags
//! and value type, in field order (the CSV `-` separator is not a field and
//! does not consume a position; `ssl_sess` is field 103).
//!
//! Names and descriptions are what HAProxy 2.6.12 prints (`show stat`
//! header, `show stat typed desc`, Prometheus `# HELP` lines); tags are the
//! `origin`/`nature`/`scope` letters of `show stat typed`.

/// Number of fields, extra module counters included.
pub const STAT_FIELD_COUNT: usize = 127;

/// Number of "static" fields before the `-` column of the CSV output.
pub const STATIC_FIELD_COUNT: usize = 103;

/// Value type of a field (`show stat typed` / JSON `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `s32`
    S32,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `str`
    Str,
}

/// One entry of [`STAT_FIELDS`].
#[derive(Debug, Clone, Copy)]
pub struct StatField {
    /// Column name.
    pub name: &'static str,
    /// Default tags (origin, nature, scope letters).
    pub tags: &'static str,
    /// Value type.
    pub ty: Ty,
    /// Description (`show stat desc`, Prometheus HELP).
    pub desc: &'static str,
}

const fn f(name: &'static str, tags: &'static str, ty: Ty, desc: &'static str) -> StatField {
    StatField {
        name,
        tags,
        ty,
        desc,
    }
}

use Ty::{Str, S32, U32, U64};

/// All fields in order.
#[rustfmt::skip]
pub const STAT_FIELDS: [StatField; STAT_FIELD_COUNT] = [
    f("pxname", "KNS", Str, "Proxy name"),
    f("svname", "KNS", Str, "Server name"),
    f("qcur", "MGP", U32, "Number of current queued connections"),
    f("qmax", "MMP", U32, "Highest value of queued connections encountered since process started"),
    f("scur", "MGP", U32, "Number of current sessions on the frontend, backend or server"),
    f("smax", "MMP", U32, "Highest value of current sessions encountered since process started"),
    f("slim", "CLP", U32, "Frontend/listener/server's maxconn, backend's fullconn"),
    f("stot", "MCP", U64, "Total number of sessions since process started"),
    f("bin", "MCP", U64, "Total number of request bytes since process started"),
    f("bout", "MCP", U64, "Total number of response bytes since process started"),
    f("dreq", "MCP", U64, "Total number of denied requests since process started"),
    f("dresp", "MCP", U64, "Total number of denied responses since process started"),
    f("ereq", "MCP", U64, "Total number of invalid requests since process started"),
    f("econ", "MCP", U64, "Total number of failed connections to server since the worker process started"),
    f("eresp", "MCP", U64, "Total number of invalid responses since the worker process started"),
    f("wretr", "MCP", U64, "Total number of server connection retries since the worker process started"),
    f("wredis", "MCP", U64, "Total number of server redispatches due to connection failures since the worker process started"),
    f("status", "SGP", Str, "Frontend/listen status: OPEN/WAITING/FULL/STOP; backend: UP/DOWN; server: last check status"),
    f("weight", "MaP", U32, "Server's effective weight, or sum of active servers' effective weights for a backend"),
    f("act", "SGP", U32, "Total number of active UP servers with a non-zero weight"),
    f("bck", "SGP", U32, "Total number of backup UP servers with a non-zero weight"),
    f("chkfail", "MCP", U64, "Total number of failed individual health checks per server/backend, since the worker process started"),
    f("chkdown", "MCP", U64, "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started"),
    f("lastchg", "MAP", U32, "How long ago the last server state changed, in seconds"),
    f("downtime", "MCP", U32, "Total time spent in DOWN state, for server or backend"),
    f("qlimit", "CGS", U32, "Limit on the number of connections in queue, for servers only (maxqueue argument)"),
    f("pid", "KGP", U32, "Relative worker process number (1)"),
    f("iid", "KGS", U32, "Frontend or Backend numeric identifier ('id' setting)"),
    f("sid", "KGS", U32, "Server numeric identifier ('id' setting)"),
    f("throttle", "MaP", U32, "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)"),
    f("lbtot", "MCP", U64, "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)"),
    f("tracked", "CNS", Str, "Name of the other server this server tracks for its state"),
    f("type", "CGS", U32, "Type of the object (Listener, Frontend, Backend, Server)"),
    f("rate", "MRP", U32, "Total number of sessions processed by this object over the last second (sessions for listeners/frontends, requests for backends/servers)"),
    f("rate_lim", "CLP", U32, "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)"),
    f("rate_max", "MMP", U32, "Highest value of sessions per second observed since the worker process started"),
    f("check_status", "MOP", Str, "Status report of the server's latest health check, prefixed with '*' if a check is currently in progress"),
    f("check_code", "MOP", U32, "HTTP/SMTP/LDAP status code reported by the latest server health check"),
    f("check_duration", "MDP", U64, "Total duration of the latest server health check, in milliseconds"),
    f("hrsp_1xx", "MCP", U64, "Total number of HTTP responses with status 100-199 returned by this object since the worker process started"),
    f("hrsp_2xx", "MCP", U64, "Total number of HTTP responses with status 200-299 returned by this object since the worker process started"),
    f("hrsp_3xx", "MCP", U64, "Total number of HTTP responses with status 300-399 returned by this object since the worker process started"),
    f("hrsp_4xx", "MCP", U64, "Total number of HTTP responses with status 400-499 returned by this object since the worker process started"),
    f("hrsp_5xx", "MCP", U64, "Total number of HTTP responses with status 500-599 returned by this object since the worker process started"),
    f("hrsp_other", "MCP", U64, "Total number of HTTP responses with status <100, >599 returned by this object since the worker process started (error -1 included)"),
    f("hanafail", "MCP", U64, "Total number of failed checks caused by an 'on-error' directive after an 'observe' condition matched"),
    f("req_rate", "MRP", U32, "Number of HTTP requests processed over the last second on this object"),
    f("req_rate_max", "MMP", U32, "Highest value of http requests observed since the worker process started"),
    f("req_tot", "MCP", U64, "Total number of HTTP requests processed by this object since the worker process started"),
    f("cli_abrt", "MCP", U64, "Total number of requests or connections aborted by the client since the worker process started"),
    f("srv_abrt", "MCP", U64, "Total number of requests or connections aborted by the server since the worker process started"),
    f("comp_in", "MCP", U64, "Total number of bytes submitted to the HTTP compressor for this object since the worker process started"),
    f("comp_out", "MCP", U64, "Total number of bytes emitted by the HTTP compressor for this object since the worker process started"),
    f("comp_byp", "MCP", U64, "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)"),
    f("comp_rsp", "MCP", U64, "Total number of HTTP responses that were compressed for this object since the worker process started"),
    f("lastsess", "MAP", S32, "How long ago some traffic was seen on this object on this worker process, in seconds"),
    f("last_chk", "MOP", Str, "Short description of the latest health check report for this server (see also check_desc)"),
    f("last_agt", "MOP", Str, "Short description of the latest agent check report for this server (see also agent_desc)"),
    f("qtime", "MaP", U32, "Time spent in the queue, in milliseconds, averaged over the 1024 last requests (backend/server)"),
    f("ctime", "MaP", U32, "Time spent waiting for a connection to complete, in milliseconds, averaged over the 1024 last requests (backend/server)"),
    f("rtime", "MaP", U32, "Time spent waiting for a server response, in milliseconds, averaged over the 1024 last requests (backend/server)"),
    f("ttime", "MaP", U32, "Total request+response time (request+queue+connect+response+processing), in milliseconds, averaged over the 1024 last requests (backend/server)"),
    f("agent_status", "MOP", Str, "Status report of the server's latest agent check, prefixed with '*' if a check is currently in progress"),
    f("agent_code", "MOP", U32, "Status code reported by the latest server agent check"),
    f("agent_duration", "MDP", U64, "Total duration of the latest server agent check, in milliseconds"),
    f("check_desc", "MOP", Str, "Textual description of the latest health check report for this server"),
    f("agent_desc", "MOP", Str, "Textual description of the latest agent check report for this server"),
    f("check_rise", "CGS", U32, "Number of successful health checks before declaring a server UP (server 'rise' setting)"),
    f("check_fall", "CGS", U32, "Number of failed health checks before declaring a server DOWN (server 'fall' setting)"),
    f("check_health", "CGS", U32, "Current server health check level (0..fall-1=DOWN, fall..rise-1=UP)"),
    f("agent_rise", "CGS", U32, "Number of successful agent checks before declaring a server UP (server 'rise' setting)"),
    f("agent_fall", "CGS", U32, "Number of failed agent checks before declaring a server DOWN (server 'fall' setting)"),
    f("agent_health", "CGS", U32, "Current server agent check level (0..fall-1=DOWN, fall..rise-1=UP)"),
    f("addr", "CGS", Str, "Server's address:port, shown only if show-legends is set, or at levels oper/admin for the CLI"),
    f("cookie", "CNS", Str, "Backend's cookie name or Server's cookie value, shown only if show-legends is set, or at levels oper/admin for the CLI"),
    f("mode", "CGS", Str, "'mode' setting (tcp/http/health/cli)"),
    f("algo", "CGS", Str, "Backend's load balancing algorithm, shown only if show-legends is set, or at levels oper/admin for the CLI"),
    f("conn_rate", "MRP", U32, "Number of new connections accepted over the last second on the frontend for this worker process"),
    f("conn_rate_max", "MMP", U32, "Highest value of connections per second observed since the worker process started"),
    f("conn_tot", "MCP", U64, "Total number of new connections accepted on this frontend since the worker process started"),
    f("intercepted", "MCP", U64, "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started"),
    f("dcon", "MCP", U64, "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started"),
    f("dses", "MCP", U64, "Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started"),
    f("wrew", "MCP", U64, "Total number of failed HTTP header rewrites since the worker process started"),
    f("connect", "MCP", U64, "Total number of outgoing connection attempts on this backend/server since the worker process started"),
    f("reuse", "MCP", U64, "Total number of reused connection on this backend/server since the worker process started"),
    f("cache_lookups", "MCP", U64, "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started"),
    f("cache_hits", "MCP", U64, "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started"),
    f("srv_icur", "MGP", U32, "Current number of idle connections available for reuse on this server"),
    f("src_ilim", "CLP", U32, "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)"),
    f("qtime_max", "MMP", U32, "Maximum observed time spent in the queue, in milliseconds (backend/server)"),
    f("ctime_max", "MMP", U32, "Maximum observed time spent waiting for a connection to complete, in milliseconds (backend/server)"),
    f("rtime_max", "MMP", U32, "Maximum observed time spent waiting for a server response, in milliseconds (backend/server)"),
    f("ttime_max", "MMP", U32, "Maximum observed total request+response time (request+queue+connect+response+processing), in milliseconds (backend/server)"),
    f("eint", "MCP", U64, "Total number of internal errors since process started"),
    f("idle_conn_cur", "MGP", U32, "Current number of unsafe idle connections"),
    f("safe_conn_cur", "MGP", U32, "Current number of safe idle connections"),
    f("used_conn_cur", "MGP", U32, "Current number of connections in use"),
    f("need_conn_est", "MGP", U32, "Estimated needed number of connections"),
    f("uweight", "MaP", U32, "Server's user weight, or sum of active servers' user weights for a backend"),
    f("agg_server_status", "MGP", U32, "Backend's aggregated gauge of servers' status"),
    f("agg_server_check_status", "MGP", U32, "Backend's aggregated gauge of servers' state check status"),
    f("agg_check_status", "MGP", U32, "Backend's aggregated gauge of servers' state check status"),
    f("ssl_sess", "MCP", U64, "Total number of ssl sessions established"),
    f("ssl_reused_sess", "MCP", U64, "Total number of ssl sessions reused"),
    f("ssl_failed_handshake", "MCP", U64, "Total number of failed handshake"),
    f("h2_headers_rcvd", "MCP", U64, "Total number of received HEADERS frames"),
    f("h2_data_rcvd", "MCP", U64, "Total number of received DATA frames"),
    f("h2_settings_rcvd", "MCP", U64, "Total number of received SETTINGS frames"),
    f("h2_rst_stream_rcvd", "MCP", U64, "Total number of received RST_STREAM frames"),
    f("h2_goaway_rcvd", "MCP", U64, "Total number of received GOAWAY frames"),
    f("h2_detected_conn_protocol_errors", "MCP", U64, "Total number of connection protocol errors"),
    f("h2_detected_strm_protocol_errors", "MCP", U64, "Total number of stream protocol errors"),
    f("h2_rst_stream_resp", "MCP", U64, "Total number of RST_STREAM sent on detected error"),
    f("h2_goaway_resp", "MCP", U64, "Total number of GOAWAY sent on detected error"),
    f("h2_open_connections", "MGP", U64, "Count of currently open connections"),
    f("h2_backend_open_streams", "MGP", U64, "Count of currently open streams"),
    f("h2_total_connections", "MCP", U64, "Total number of connections"),
    f("h2_backend_total_streams", "MCP", U64, "Total number of streams"),
    f("h1_open_connections", "MGP", U64, "Count of currently open connections"),
    f("h1_open_streams", "MGP", U64, "Count of currently open streams"),
    f("h1_total_connections", "MCP", U64, "Total number of connections"),
    f("h1_total_streams", "MCP", U64, "Total number of streams"),
    f("h1_bytes_in", "MCP", U64, "Total number of bytes received"),
    f("h1_bytes_out", "MCP", U64, "Total number of bytes send"),
    f("h1_spliced_bytes_in", "MCP", U64, "Total number of bytes received using kernel splicing"),
    f("h1_spliced_bytes_out", "MCP", U64, "Total number of bytes sendusing kernel splicing"),
];

/// A value as HAProxy types it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `s32`
    S32(i32),
    /// `u32`
    U32(u32),
    /// `u64`
    U64(u64),
    /// `flt` (only `show info float`)
    Flt(f64),
    /// `str`
    Str(String),
}

impl Value {
    /// Type name used by typed/JSON output.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::S32(_) => "s32",
            Value::U32(_) => "u32",
            Value::U64(_) => "u64",
            Value::Flt(_) => "flt",
            Value::Str(_) => "str",
        }
    }

    /// Plain text rendering (no CSV quoting). Floats use `%f` with trailing
    /// zeroes (and a bare decimal point) trimmed, as HAProxy does.
    pub fn to_text(&self) -> String {
        match self {
            Value::S32(v) => v.to_string(),
            Value::U32(v) => v.to_string(),
            Value::U64(v) => v.to_string(),
            Value::Flt(v) => trim_float(&format!("{v:.6}")),
            Value::Str(s) => s.clone(),
        }
    }

    /// Numeric value as u64 (0 for strings), for the HTML renderer.
    pub fn as_u64(&self) -> u64 {
        match self {
            Value::S32(v) => u64::try_from(*v).unwrap_or(0),
            Value::U32(v) => u64::from(*v),
            Value::U64(v) => *v,
            Value::Flt(v) => *v as u64,
            Value::Str(_) => 0,
        }
    }
}

/// Trims trailing zeroes after the decimal point, then the point itself.
pub fn trim_float(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    let t = s.trim_end_matches('0');
    t.trim_end_matches('.').to_string()
}

/// A filled field: value plus its three tag letters.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Origin, nature and scope letters, e.g. `*b"MGP"`.
    pub tags: [u8; 3],
    /// The value.
    pub value: Value,
}

impl Field {
    /// Builds a field from a tag string such as `"MCP"`.
    pub fn new(tags: &str, value: Value) -> Field {
        let b = tags.as_bytes();
        let mut t = [b'?'; 3];
        for (dst, src) in t.iter_mut().zip(b) {
            *dst = *src;
        }
        Field { tags: t, value }
    }

    /// The tags as a 3-character string.
    pub fn tag_str(&self) -> String {
        self.tags.iter().map(|&b| b as char).collect()
    }
}

/// JSON names of the tag letters: (origin, nature, scope).
pub fn tag_names(tags: [u8; 3]) -> (&'static str, &'static str, &'static str) {
    let origin = match tags[0] {
        b'M' => "Metric",
        b'S' => "Status",
        b'K' => "Key",
        b'C' => "Config",
        b'P' => "Product",
        _ => "Unknown",
    };
    let nature = match tags[1] {
        b'G' => "Gauge",
        b'L' => "Limit",
        b'm' => "Min",
        b'M' => "Max",
        b'R' => "Rate",
        b'C' => "Counter",
        b'D' => "Duration",
        b'A' => "Age",
        b'T' => "Time",
        b'N' => "Name",
        b'O' => "Output",
        b'a' => "Avg",
        _ => "Unknown",
    };
    let scope = match tags[2] {
        b'P' => "Process",
        b'S' => "Service",
        b's' => "System",
        b'C' => "Cluster",
        _ => "Unknown",
    };
    (origin, nature, scope)
}

/// Position of a field by name.
pub fn position(name: &str) -> Option<usize> {
    STAT_FIELDS.iter().position(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shape() {
        assert_eq!(STAT_FIELDS[0].name, "pxname");
        assert_eq!(STAT_FIELDS[89].name, "src_ilim");
        assert_eq!(STAT_FIELDS[102].name, "agg_check_status");
        assert_eq!(STAT_FIELDS[STATIC_FIELD_COUNT].name, "ssl_sess");
        assert_eq!(STAT_FIELDS[126].name, "h1_spliced_bytes_out");
        assert_eq!(position("lastsess"), Some(55));
    }

    #[test]
    fn floats_are_trimmed() {
        assert_eq!(Value::Flt(5.264145).to_text(), "5.264145");
        assert_eq!(Value::Flt(5.0).to_text(), "5");
        assert_eq!(Value::Flt(5.25).to_text(), "5.25");
        assert_eq!(tag_names(*b"MaP"), ("Metric", "Avg", "Process"));
    }
}
