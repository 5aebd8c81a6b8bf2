//! Test fixtures: real HAProxy 2.6.12 outputs (`testdata/ref` from the shared
//! reference captures, `testdata/snap` from one consistent snapshot of a
//! richer test configuration) and a parser that rebuilds our model from a
//! captured CSV, so renderers can be compared byte for byte.

use crate::health::{CheckInfo, CheckStatus, Maint, OpState, ServerHealth, Track};
use crate::model::{ListenerStatus, ObjType, ProxyMode, ProxyStats};

pub const REF_SHOW_STAT_CSV: &str = include_str!("../testdata/ref/show-stat.csv");
pub const REF_STATS_CSV: &str = include_str!("../testdata/ref/stats-csv.csv");
pub const REF_SHOW_STAT_TYPED: &str = include_str!("../testdata/ref/show-stat-typed.txt");
pub const REF_SHOW_STAT_JSON_HEAD: &str = include_str!("../testdata/ref/show-stat-json-head.txt");
pub const REF_SHOW_INFO: &str = include_str!("../testdata/ref/show-info.txt");
pub const REF_SHOW_INFO_TYPED: &str = include_str!("../testdata/ref/show-info-typed.txt");
pub const REF_SHOW_INFO_JSON: &str = include_str!("../testdata/ref/show-info-json.txt");
pub const REF_HELP: &str = include_str!("../testdata/ref/help.txt");
pub const SNAP_SHOW_STAT_CSV: &str = include_str!("../testdata/snap/show_stat.csv");
pub const SNAP_SHOW_STAT_USER_CSV: &str = include_str!("../testdata/snap/show_stat_user.csv");
pub const SNAP_SHOW_STAT_UP_CSV: &str = include_str!("../testdata/snap/show_stat_up.csv");
pub const SNAP_SHOW_STAT_NO_MAINT_CSV: &str =
    include_str!("../testdata/snap/show_stat_no_maint.csv");
pub const SNAP_SHOW_STAT_TYPED: &str = include_str!("../testdata/snap/show_stat_typed.txt");
pub const SNAP_SHOW_STAT_JSON_HEAD: &str = include_str!("../testdata/snap/show_stat_json_head.txt");
pub const SNAP_SHOW_INFO_TYPED: &str = include_str!("../testdata/snap/show_info_typed.txt");
pub const SNAP_SHOW_INFO_JSON: &str = include_str!("../testdata/snap/show_info_json.txt");
pub const SNAP_PROM_META: &str = include_str!("../testdata/snap/prom_meta.txt");
pub const SNAP_PROM_SAMPLES: &str = include_str!("../testdata/snap/prom_samples.txt");

/// Splits one CSV line (HAProxy quoting) into cells, dropping the `-` cell.
pub fn cells(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if out.len() > 103 {
        out.remove(103);
    }
    out
}

fn num(c: &[String], i: usize) -> u64 {
    c[i].parse().unwrap_or(0)
}

fn opt(c: &[String], i: usize) -> Option<u64> {
    c[i].parse().ok()
}

fn text(c: &[String], i: usize) -> Option<String> {
    (!c[i].is_empty()).then(|| c[i].clone())
}

fn check_from(
    c: &[String],
    status: usize,
    code: usize,
    dur: usize,
    desc: usize,
    rfh: usize,
) -> Option<CheckInfo> {
    let st = text(c, status)?;
    let in_progress = st.starts_with("* ");
    Some(CheckInfo {
        enabled: true,
        paused: false,
        in_progress,
        status: CheckStatus::from_info(st.trim_start_matches("* ")).unwrap_or_default(),
        code: num(c, code) as u32,
        duration_ms: num(c, dur),
        desc: c[desc].clone(),
        rise: num(c, rfh) as u32,
        fall: num(c, rfh + 1) as u32,
        health: num(c, rfh + 2) as u32,
    })
}

/// Rebuilds model rows from a captured `show stat` CSV.
pub fn rows_from_csv(csv: &str) -> Vec<ProxyStats> {
    let parsed: Vec<Vec<String>> = csv
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(cells)
        .collect();
    let mut rows: Vec<ProxyStats> = parsed.iter().map(|c| row_from_cells(c)).collect();
    // Second pass: tracking servers take the reference server's check.
    for i in 0..rows.len() {
        let Some(name) = text(&parsed[i], 31) else {
            continue;
        };
        let (px, sv) = name.split_once('/').unwrap_or_default();
        let reference = rows
            .iter()
            .find(|r| r.kind == ObjType::Server && r.pxname == px && r.svname == sv)
            .and_then(|r| r.server.clone())
            .unwrap_or_default();
        if let Some(h) = rows[i].server.as_mut() {
            h.track = Some(Track {
                name,
                check: reference.check.clone(),
                agent: reference.agent.clone(),
                observe: !parsed[i][45].is_empty(),
            });
            h.observe = false;
        }
    }
    rows
}

fn row_from_cells(c: &[String]) -> ProxyStats {
    let kind = match c[32].as_str() {
        "0" => ObjType::Frontend,
        "1" => ObjType::Backend,
        "2" => ObjType::Server,
        _ => ObjType::Listener,
    };
    let mut r = ProxyStats::new(kind, &c[0], &c[1], num(c, 27) as u32, num(c, 28) as u32);
    r.mode = match c[75].as_str() {
        "http" => ProxyMode::Http,
        "tcp" => ProxyMode::Tcp,
        "health" => ProxyMode::Health,
        _ => ProxyMode::Unknown,
    };
    let n = |i| num(c, i);
    (r.qcur, r.qmax, r.scur, r.smax, r.slim) = (n(2), n(3), n(4), n(5), opt(c, 6));
    (r.stot, r.bin, r.bout, r.dreq, r.dresp, r.ereq) = (n(7), n(8), n(9), n(10), n(11), n(12));
    (r.econ, r.eresp, r.wretr, r.wredis) = (n(13), n(14), n(15), n(16));
    r.stopped = c[17] == "STOP";
    r.listener_status = match c[17].as_str() {
        "WAITING" => ListenerStatus::Waiting,
        "FULL" => ListenerStatus::Full,
        _ => ListenerStatus::Open,
    };
    (r.weight, r.act, r.bck, r.chkfail, r.chkdown) = (n(18), n(19), n(20), n(21), n(22));
    (r.lastchg, r.downtime, r.qlimit, r.throttle) = (n(23), n(24), opt(c, 25), opt(c, 29));
    (r.lbtot, r.rate, r.rate_lim, r.rate_max) = (n(30), n(33), n(34), n(35));
    for i in 0..6 {
        r.hrsp[i] = n(39 + i);
    }
    (r.hanafail, r.req_rate, r.req_rate_max, r.req_tot) = (n(45), n(46), n(47), n(48));
    (r.cli_abrt, r.srv_abrt) = (n(49), n(50));
    (r.comp_in, r.comp_out, r.comp_byp, r.comp_rsp) = (n(51), n(52), n(53), n(54));
    r.lastsess = c[55].parse().unwrap_or(-1);
    (r.qtime, r.ctime, r.rtime, r.ttime) = (n(58), n(59), n(60), n(61));
    (r.addr, r.cookie, r.algo) = (text(c, 73), text(c, 74), text(c, 76));
    (r.conn_rate, r.conn_rate_max, r.conn_tot, r.intercepted) = (n(77), n(78), n(79), n(80));
    (r.dcon, r.dses, r.wrew, r.connect, r.reuse) = (n(81), n(82), n(83), n(84), n(85));
    (r.cache_lookups, r.cache_hits, r.srv_icur, r.srv_ilim) = (n(86), n(87), n(88), opt(c, 89));
    (r.qtime_max, r.ctime_max, r.rtime_max, r.ttime_max) = (n(90), n(91), n(92), n(93));
    (r.eint, r.idle_conn_cur, r.safe_conn_cur) = (n(94), n(95), n(96));
    (r.used_conn_cur, r.need_conn_est, r.uweight) = (n(97), n(98), n(99));
    for i in 0..3 {
        r.modules.ssl[i] = n(103 + i);
    }
    for i in 0..13 {
        r.modules.h2[i] = n(106 + i);
    }
    for i in 0..8 {
        r.modules.h1[i] = n(119 + i);
    }
    if kind == ObjType::Server {
        r.server = Some(health_from_cells(c));
    }
    r
}

fn health_from_cells(c: &[String]) -> ServerHealth {
    let status = c[17].as_str();
    let mut h = ServerHealth {
        backup: c[20] == "1",
        check: check_from(c, 36, 37, 38, 56, 67),
        agent: check_from(c, 62, 63, 64, 57, 70),
        observe: !c[45].is_empty(),
        ..ServerHealth::default()
    };
    if let Some(via) = status
        .strip_prefix("MAINT (via ")
        .and_then(|s| s.strip_suffix(')'))
    {
        h.maint = Maint::Via(via.to_string());
    } else if status == "MAINT (resolution)" {
        h.maint = Maint::Resolution;
    } else if status.starts_with("MAINT") {
        h.maint = Maint::Forced;
    }
    h.drain = status.starts_with("DRAIN");
    h.op_state = if status.starts_with("DOWN") || status.starts_with("MAINT") {
        OpState::Stopped
    } else if status.starts_with("NOLB") {
        OpState::Stopping
    } else {
        OpState::Running
    };
    h
}
