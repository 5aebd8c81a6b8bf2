//! Prometheus text exposition, as HAProxy 2.6.12's built-in exporter
//! (`http-request use-service prometheus-exporter`) prints it.
//!
//! Sections in order: `haproxy_process_*`, `haproxy_frontend_*`,
//! `haproxy_listener_*`, `haproxy_backend_*`, `haproxy_server_*`. Each
//! metric gets `# HELP` (the field description) and `# TYPE` lines before
//! its first sample, then one sample per object in declaration order;
//! metrics with no sample are not printed at all. Labels are `proxy`, then
//! `listener` or `server`, then `state` or `code`. Empty values print `NaN`;
//! times are seconds printed with `%f`.
//!
//! Known difference: the `*_time_average_seconds` values come from the same
//! averages as `show stat` (HAProxy's exporter divides by 1024 samples even
//! when fewer were taken).

use crate::fields::{Value, STAT_FIELDS};
use crate::fill::{backend_server_counts, fill, FillCtx};
use crate::health::{CheckStatus, ServerHealth, PROM_SRV_STATES};
use crate::info::{fill_info, INFO_FIELDS};
use crate::model::{ListenerStatus, ObjType, ProcessInfo, ProxyMode, ProxyStats};

/// Which sections to print and how (HAProxy's `scope=` / `no-maint`
/// query parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromOptions {
    /// `haproxy_process_*`
    pub global: bool,
    /// `haproxy_frontend_*`
    pub frontend: bool,
    /// `haproxy_listener_*`
    pub listener: bool,
    /// `haproxy_backend_*`
    pub backend: bool,
    /// `haproxy_server_*`
    pub server: bool,
    /// Skip servers in maintenance.
    pub no_maint: bool,
}

impl Default for PromOptions {
    fn default() -> Self {
        PromOptions {
            global: true,
            frontend: true,
            listener: true,
            backend: true,
            server: true,
            no_maint: false,
        }
    }
}

/// Process metrics: (`show info` position, name, is a counter).
#[rustfmt::skip]
const PROCESS: &[(usize, &str, bool)] = &[
    (3, "nbthread", false), (4, "nbproc", false), (5, "relative_process_id", false),
    (8, "uptime_seconds", false), (12, "pool_failures_total", true), (13, "max_fds", false),
    (14, "max_sockets", false), (15, "max_connections", false), (16, "hard_max_connections", false),
    (17, "current_connections", false), (18, "connections_total", true), (19, "requests_total", true),
    (20, "max_ssl_connections", false), (21, "current_ssl_connections", false),
    (22, "ssl_connections_total", true), (23, "max_pipes", false), (24, "pipes_used_total", true),
    (25, "pipes_free_total", true), (26, "current_connection_rate", false),
    (27, "limit_connection_rate", false), (28, "max_connection_rate", false),
    (29, "current_session_rate", false), (30, "limit_session_rate", false),
    (31, "max_session_rate", false), (32, "current_ssl_rate", false), (33, "limit_ssl_rate", false),
    (34, "max_ssl_rate", false), (35, "current_frontend_ssl_key_rate", false),
    (36, "max_frontend_ssl_key_rate", false), (37, "frontend_ssl_reuse", false),
    (38, "current_backend_ssl_key_rate", false), (39, "max_backend_ssl_key_rate", false),
    (40, "ssl_cache_lookups_total", true), (41, "ssl_cache_misses_total", true),
    (42, "http_comp_bytes_in_total", true), (43, "http_comp_bytes_out_total", true),
    (44, "limit_http_comp", false), (45, "current_zlib_memory", false), (46, "max_zlib_memory", false),
    (47, "current_tasks", false), (48, "current_run_queue", false), (49, "idle_time_percent", false),
    (52, "stopping", false), (53, "jobs", false), (54, "unstoppable_jobs", false), (55, "listeners", false),
    (56, "active_peers", false), (57, "connected_peers", false), (58, "dropped_logs_total", true),
    (59, "busy_polling_enabled", false), (60, "failed_resolutions", true), (61, "bytes_out_total", true),
    (62, "spliced_bytes_out_total", true), (63, "bytes_out_rate", false), (65, "recv_logs_total", true),
    (66, "build_info", false), (67, "max_memory_bytes", false), (68, "pool_allocated_bytes", false),
    (69, "pool_used_bytes", false), (70, "start_time_seconds", false),
];

const F: u8 = 1;
const L: u8 = 2;
const B: u8 = 4;
const S: u8 = 8;

/// Proxy metrics: (field position, name, is a counter, object types).
#[rustfmt::skip]
const PROXY: &[(usize, &str, bool, u8)] = &[
    (2, "current_queue", false, B | S), (3, "max_queue", false, B | S),
    (4, "current_sessions", false, F | L | B | S), (5, "max_sessions", false, F | L | B | S),
    (6, "limit_sessions", false, F | L | B | S), (7, "sessions_total", true, F | L | B | S),
    (8, "bytes_in_total", true, F | L | B | S), (9, "bytes_out_total", true, F | L | B | S),
    (10, "requests_denied_total", true, F | L | B), (11, "responses_denied_total", true, F | L | B | S),
    (12, "request_errors_total", true, F | L), (13, "connection_errors_total", true, B | S),
    (14, "response_errors_total", true, B | S), (15, "retry_warnings_total", true, B | S),
    (16, "redispatch_warnings_total", true, B | S), (17, "status", false, F | L | B | S),
    (18, "weight", false, B | S), (19, "active_servers", false, B), (20, "backup_servers", false, B),
    (21, "check_failures_total", true, S), (22, "check_up_down_total", true, B | S),
    (23, "check_last_change_seconds", false, B | S), (24, "downtime_seconds_total", true, B | S),
    (25, "queue_limit", false, S), (29, "current_throttle", false, S),
    (30, "loadbalanced_total", true, B | S), (34, "limit_session_rate", false, F),
    (35, "max_session_rate", false, F | B | S), (36, "check_status", false, S),
    (37, "check_code", false, S), (38, "check_duration_seconds", false, S),
    (39, "http_responses_total", true, F | B | S), (47, "http_requests_rate_max", false, F),
    (48, "http_requests_total", true, F | B), (49, "client_aborts_total", true, B | S),
    (50, "server_aborts_total", true, B | S), (51, "http_comp_bytes_in_total", true, F | B),
    (52, "http_comp_bytes_out_total", true, F | B), (53, "http_comp_bytes_bypassed_total", true, F | B),
    (54, "http_comp_responses_total", true, F | B), (55, "last_session_seconds", false, B | S),
    (58, "queue_time_average_seconds", false, B | S), (59, "connect_time_average_seconds", false, B | S),
    (60, "response_time_average_seconds", false, B | S), (61, "total_time_average_seconds", false, B | S),
    (78, "connections_rate_max", false, F), (79, "connections_total", true, F),
    (80, "intercepted_requests_total", true, F), (81, "denied_connections_total", true, F | L),
    (82, "denied_sessions_total", true, F | L), (83, "failed_header_rewriting_total", true, F | L | B | S),
    (84, "connection_attempts_total", true, B | S), (85, "connection_reuses_total", true, B | S),
    (86, "http_cache_lookups_total", true, F | B), (87, "http_cache_hits_total", true, F | B),
    (88, "idle_connections_current", false, S), (89, "idle_connections_limit", false, S),
    (90, "max_queue_time_seconds", false, B | S), (91, "max_connect_time_seconds", false, B | S),
    (92, "max_response_time_seconds", false, B | S), (93, "max_total_time_seconds", false, B | S),
    (94, "internal_errors_total", true, F | L | B | S), (95, "unsafe_idle_connections_current", false, S),
    (96, "safe_idle_connections_current", false, S), (97, "used_connections_current", false, S),
    (98, "need_connections_current", false, S), (99, "uweight", false, B | S),
    (100, "agg_server_status", false, B), (101, "agg_server_check_status", false, B),
    (102, "agg_check_status", false, B),
];

/// HELP texts that differ from the field descriptions.
fn help_override(pos: usize) -> Option<&'static str> {
    Some(match pos {
        17 => "Current status of the service, per state label value.",
        36 => "Status of last health check, per state label value.",
        37 => "layer5-7 code, if available of the last health check.",
        38 => "Total duration of the latest server health check, in seconds.",
        58 => "Avg. queue time for last 1024 successful connections.",
        59 => "Avg. connect time for last 1024 successful connections.",
        60 => "Avg. response time for last 1024 successful connections.",
        61 => "Avg. total time for last 1024 successful connections.",
        90 => "Maximum observed time spent in the queue",
        91 => "Maximum observed time spent waiting for a connection to complete",
        92 => "Maximum observed time spent waiting for a server response",
        93 => {
            "Maximum observed total request+response time (request+queue+connect+response+processing)"
        }
        _ => return None,
    })
}

/// Collects the samples of one metric, writing HELP/TYPE before the first.
struct Metric<'a> {
    out: &'a mut String,
    name: String,
    help: &'a str,
    counter: bool,
    started: bool,
}

impl Metric<'_> {
    fn sample(&mut self, labels: &[(&str, &str)], value: &str) {
        if !self.started {
            self.started = true;
            let kind = if self.counter { "counter" } else { "gauge" };
            self.out.push_str(&format!(
                "# HELP {} {}\n# TYPE {} {kind}\n",
                self.name, self.help, self.name
            ));
        }
        self.out.push_str(&self.name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(&format!("{k}=\"{}\"", escape_label(v)));
            }
            self.out.push('}');
        }
        self.out.push(' ');
        self.out.push_str(value);
        self.out.push('\n');
    }
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn seconds(ms: u64) -> String {
    format!("{:.6}", ms as f64 / 1000.0)
}

fn text(v: &Option<crate::fields::Field>) -> String {
    match v.as_ref().map(|f| &f.value) {
        None | Some(Value::Str(_)) => "NaN".to_string(),
        Some(Value::Flt(f)) => format!("{f:.6}"),
        Some(other) => other.to_text(),
    }
}

/// Renders the whole exposition.
pub fn render(info: &ProcessInfo, rows: &[ProxyStats], opts: &PromOptions) -> String {
    let mut out = String::with_capacity(64 * 1024);
    if opts.global {
        let fields = fill_info(info, false);
        for &(pos, name, counter) in PROCESS {
            let help = INFO_FIELDS[pos].desc;
            let mut m = Metric {
                out: &mut out,
                name: format!("haproxy_process_{name}"),
                help,
                counter,
                started: false,
            };
            if pos == 66 {
                m.sample(&[("version", &info.version)], "1");
            } else {
                m.sample(&[], &text(&fields[pos]));
            }
        }
    }
    let sections = [
        (opts.frontend, ObjType::Frontend, "frontend", F),
        (opts.listener, ObjType::Listener, "listener", L),
        (opts.backend, ObjType::Backend, "backend", B),
        (opts.server, ObjType::Server, "server", S),
    ];
    for (enabled, kind, prefix, bit) in sections {
        if !enabled {
            continue;
        }
        let objs: Vec<(&ProxyStats, Vec<Option<crate::fields::Field>>)> = rows
            .iter()
            .filter(|r| r.kind == kind)
            .filter(|r| !(opts.no_maint && r.server.as_ref().is_some_and(ServerHealth::in_maint)))
            .map(|r| {
                let mut ctx = FillCtx::default();
                if kind == ObjType::Backend {
                    ctx.servers = backend_server_counts(rows, r.iid);
                }
                (r, fill(r, &ctx))
            })
            .collect();
        for &(pos, name, counter, _) in PROXY.iter().filter(|m| m.3 & bit != 0) {
            let help = help_override(pos).unwrap_or(STAT_FIELDS[pos].desc);
            let mut m = Metric {
                out: &mut out,
                name: format!("haproxy_{prefix}_{name}"),
                help,
                counter,
                started: false,
            };
            if pos == 39 {
                for (i, code) in ["1xx", "2xx", "3xx", "4xx", "5xx", "other"]
                    .iter()
                    .enumerate()
                {
                    for (r, f) in objs.iter().filter(|(r, _)| r.mode == ProxyMode::Http) {
                        let mut labels = base_labels(r);
                        labels.push(("code", code));
                        m.sample(&labels, &text(&f[39 + i]));
                    }
                }
                continue;
            }
            for (r, f) in &objs {
                sample(&mut m, rows, r, f, pos);
            }
        }
    }
    out
}

fn base_labels(r: &ProxyStats) -> Vec<(&'static str, &str)> {
    match r.kind {
        ObjType::Frontend | ObjType::Backend => vec![("proxy", r.pxname.as_str())],
        ObjType::Listener => vec![
            ("proxy", r.pxname.as_str()),
            ("listener", r.svname.as_str()),
        ],
        ObjType::Server => vec![("proxy", r.pxname.as_str()), ("server", r.svname.as_str())],
    }
}

/// Emits the sample(s) of field `pos` for one object.
fn sample(
    m: &mut Metric<'_>,
    rows: &[ProxyStats],
    r: &ProxyStats,
    f: &[Option<crate::fields::Field>],
    pos: usize,
) {
    let labels = base_labels(r);
    let http = r.mode == ProxyMode::Http;
    let default = ServerHealth::default();
    let health = r.server.as_ref().unwrap_or(&default);
    let with = |extra: (&'static str, &'static str)| {
        let mut l = labels.clone();
        l.push(extra);
        l
    };
    match (pos, r.kind) {
        (17, ObjType::Frontend) => {
            for (i, s) in ["DOWN", "UP"].iter().enumerate() {
                m.sample(
                    &with(("state", s)),
                    if (i == 1) != r.stopped { "1" } else { "0" },
                );
            }
        }
        (17, ObjType::Listener) => {
            for st in ListenerStatus::ALL {
                m.sample(
                    &with(("state", st.as_str())),
                    if st == r.listener_status { "1" } else { "0" },
                );
            }
        }
        (17, ObjType::Backend) => {
            let up = r.weight > 0 || backend_server_counts(rows, r.iid).0 == 0;
            for (i, s) in ["DOWN", "UP"].iter().enumerate() {
                m.sample(&with(("state", s)), if (i == 1) == up { "1" } else { "0" });
            }
        }
        (17, ObjType::Server) => {
            for (i, s) in PROM_SRV_STATES.iter().enumerate() {
                m.sample(
                    &with(("state", s)),
                    if i == health.prom_state() { "1" } else { "0" },
                );
            }
        }
        (47 | 48 | 51..=54 | 80 | 86 | 87, _) if !http => {}
        (58..=61 | 90..=93, _) => {
            let ms = f[pos].as_ref().map_or(0, |v| v.value.as_u64());
            m.sample(&labels, &seconds(ms));
        }
        (36, _) => {
            if let Some(c) = health.check.as_ref().filter(|c| c.active()) {
                for st in CheckStatus::PROM_STATES {
                    m.sample(
                        &with(("state", st.info())),
                        if st == c.status { "1" } else { "0" },
                    );
                }
            }
        }
        (37, _) => {
            if let Some(c) = health.check.as_ref().filter(|c| c.active()) {
                let code = if c.status.has_code() { c.code } else { 0 };
                m.sample(&labels, &code.to_string());
            }
        }
        (38, _) => {
            if let Some(c) = health.check.as_ref().filter(|c| c.status.is_finished()) {
                m.sample(&labels, &seconds(c.duration_ms));
            }
        }
        (100..=102, _) => agg_samples(m, rows, r, pos, &labels),
        _ => m.sample(&labels, &text(&f[pos])),
    }
}

/// `agg_server_status` / `agg_server_check_status` (server states) and
/// `agg_check_status` (last check results) of a backend with servers.
fn agg_samples(
    m: &mut Metric<'_>,
    rows: &[ProxyStats],
    be: &ProxyStats,
    pos: usize,
    labels: &[(&str, &str)],
) {
    let servers: Vec<ServerHealth> = rows
        .iter()
        .filter(|s| s.kind == ObjType::Server && s.iid == be.iid)
        .map(|s| s.server.clone().unwrap_or_default())
        .collect();
    if servers.is_empty() {
        return;
    }
    let mut push = |state: &str, n: usize| {
        let mut l = labels.to_vec();
        l.push(("state", state));
        m.sample(&l, &n.to_string());
    };
    if pos == 102 {
        for st in CheckStatus::PROM_STATES {
            let n = servers
                .iter()
                .filter(|h| h.check.as_ref().is_some_and(|c| c.status == st))
                .count();
            push(st.info(), n);
        }
    } else {
        for (i, s) in PROM_SRV_STATES.iter().enumerate() {
            push(s, servers.iter().filter(|h| h.prom_state() == i).count());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    /// Minimal exposition-format checker: HELP and TYPE before a metric's
    /// samples, every sample `name{labels} value` with a numeric value.
    fn check_exposition(text: &str) {
        let mut declared: Vec<String> = Vec::new();
        let mut typed: Vec<String> = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap_or("");
                assert!(
                    !declared.contains(&name.to_string()),
                    "HELP twice for {name}"
                );
                declared.push(name.to_string());
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let mut it = rest.split(' ');
                let name = it.next().unwrap_or("");
                assert_eq!(declared.last().map(String::as_str), Some(name));
                assert!(matches!(it.next(), Some("gauge" | "counter")));
                typed.push(name.to_string());
            } else {
                let (series, value) = line.rsplit_once(' ').expect("value");
                assert!(value == "NaN" || value.parse::<f64>().is_ok(), "{line}");
                let name = series.split('{').next().unwrap_or("");
                assert!(
                    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{line}"
                );
                assert_eq!(typed.last().map(String::as_str), Some(name), "{line}");
                if let Some(labels) = series.strip_prefix(name) {
                    if !labels.is_empty() {
                        assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
                        for kv in labels[1..labels.len() - 1].split(',') {
                            let (k, v) = kv.split_once('=').expect("label");
                            assert!(k.chars().all(|c| c.is_ascii_lowercase()));
                            assert!(v.starts_with('"') && v.ends_with('"'));
                        }
                    }
                }
            }
        }
    }

    fn snapshot() -> String {
        let rows = testdata::rows_from_csv(testdata::SNAP_SHOW_STAT_CSV);
        let info =
            crate::info::info_from_pairs(testdata::SNAP_SHOW_INFO_TYPED.lines().filter_map(|l| {
                let (key, rest) = l.split_once(':')?;
                let name = key.split_once('.')?.1.rsplit_once('.')?.0;
                Some((name, rest.splitn(3, ':').nth(2)?))
            }));
        render(&info, &rows, &PromOptions::default())
    }

    #[test]
    fn output_is_valid_exposition() {
        check_exposition(&snapshot());
    }

    #[test]
    fn metric_names_help_and_types_match_haproxy() {
        let ours: Vec<String> = snapshot()
            .lines()
            .filter(|l| l.starts_with('#'))
            .map(String::from)
            .collect();
        let theirs: Vec<&str> = testdata::SNAP_PROM_META.lines().collect();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn samples_match_for_selected_objects() {
        let out = snapshot();
        let keep = |l: &&str| {
            !l.starts_with('#')
                && (l.starts_with("haproxy_process")
                    || l.contains("proxy=\"fe\"}")
                    || l.contains("proxy=\"fe\",")
                    || l.contains("proxy=\"be\"}")
                    || l.contains("proxy=\"be\",server=\"u")
                    || (l.contains("proxy=\"be\",") && !l.contains("server=")))
        };
        let key = |l: &str| {
            l.rsplit_once(' ')
                .map(|(k, _)| k.to_string())
                .unwrap_or_default()
        };
        let ours: Vec<String> = out.lines().filter(keep).map(key).collect();
        let theirs: Vec<String> = testdata::SNAP_PROM_SAMPLES
            .lines()
            .filter(keep)
            .map(key)
            .collect();
        assert_eq!(ours, theirs);
        // Values that do not move between captures.
        for expect in [
            "haproxy_backend_agg_server_status{proxy=\"be\",state=\"UP\"} 8",
            "haproxy_backend_agg_check_status{proxy=\"be\",state=\"L7OK\"} 3",
            "haproxy_server_limit_sessions{proxy=\"be\",server=\"up1\"} 10",
            "haproxy_server_current_throttle{proxy=\"be\",server=\"up1\"} NaN",
            "haproxy_frontend_http_responses_total{proxy=\"fe\",code=\"4xx\"} 1",
        ] {
            assert!(out.lines().any(|l| l == expect), "{expect}");
        }
    }
}
