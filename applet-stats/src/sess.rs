//! `show sess`, `show servers state` and `show backend` renderers.

use crate::model::{ServerStateRow, SessionInfo};

/// HAProxy's short duration format for a number of seconds: at most two
/// units among `d`, `h`, `m`, `s` (`0s`, `45s`, `3m12s`, `2h5m`, `1d3h`),
/// `?` for negative values.
pub fn human_time(t: i64) -> String {
    if t < 0 {
        return "?".to_string();
    }
    let mut out = String::new();
    let mut left = 2;
    if t >= 86400 {
        out.push_str(&format!("{}d", t / 86400));
        left -= 1;
    }
    if left > 0 && t % 86400 / 3600 != 0 {
        out.push_str(&format!("{}h", t % 86400 / 3600));
        left -= 1;
    }
    if left > 0 && t % 3600 / 60 != 0 {
        out.push_str(&format!("{}m", t % 3600 / 60));
        left -= 1;
    }
    if (left > 0 && t % 60 != 0) || t == 0 {
        out.push_str(&format!("{}s", t % 60));
    }
    out
}

/// Parses a session id the way HAProxy's `strtoul(.., 0)` does: `0x` hex,
/// leading-`0` octal or decimal, stopping at the first invalid character
/// (so `abc` is 0).
pub fn parse_ptr(s: &str) -> u64 {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    u64::from_str_radix(&digits[..end], radix).unwrap_or(0)
}

/// One `show sess` list line (with newline), in the seed's layout: the
/// stable `<ptr>: proto=... src=... fe=... be=... srv=...` prefix, then
/// `s0=[state,flags,fd,exp]` / `s1=[...]` for the two stream interfaces
/// (state numbers `INI`=0 .. `EST`=7 .. `CLO`=9; `fd=-1` for a side
/// without a connection, e.g. an applet).
pub fn list_line(s: &SessionInfo) -> String {
    let num = |state: &str| {
        [
            "INI", "REQ", "QUE", "TAR", "ASS", "CON", "CER", "EST", "DIS", "CLO",
        ]
        .iter()
        .position(|n| *n == state)
        .unwrap_or(0)
    };
    format!(
        "{:#x}: proto={} src={} fe={} be={} srv={} ts=00 age={} calls={} \
         rq[f=000000h,i=0,an=00h,rx=,wx=,ax=] rp[f=000000h,i=0,an=00h,rx=,wx=,ax=] \
         s0=[{},{:x}h,fd={},ex=] s1=[{},{:x}h,fd={},ex=] exp=\n",
        s.ptr,
        s.proto,
        s.src,
        s.frontend,
        s.backend.as_deref().unwrap_or("<NONE>"),
        s.server.as_deref().unwrap_or("<none>"),
        human_time(s.age.as_secs() as i64),
        s.calls,
        num(&s.si[0].state),
        s.si[0].flags,
        s.fd_front,
        num(&s.si[1].state),
        s.si[1].flags,
        s.fd_back,
    )
}

/// Detailed dump of one session (`show sess <id>` / `show sess all`):
/// HAProxy's identity lines; the internal buffer/connector lines are not
/// reproduced (HAProxy documents this dump as unstable).
pub fn detail(s: &SessionInfo) -> String {
    let mut out = format!(
        "{:#x}: [{}] id={} proto={} source={}\n",
        s.ptr, s.accept_date, s.uniq_id, s.proto, s.src
    );
    out.push_str(&format!(
        "  flags=0x{:x}, conn_retries=0, srv_conn=(nil), pend_pos=(nil)\n",
        s.flags
    ));
    out.push_str(&format!(
        "  frontend={} (id={} mode={}), listener=? (id={}) addr={}\n",
        s.frontend, s.frontend_id, s.frontend_mode, s.listener_id, s.local_addr
    ));
    match &s.backend {
        Some(b) => {
            out.push_str(&format!(
                "  backend={} (id={} mode={})",
                b, s.backend_id, s.backend_mode
            ));
            if let Some(a) = &s.backend_src {
                out.push_str(&format!(" addr={a}"));
            }
            out.push('\n');
        }
        None => out.push_str("  backend=<NONE> (id=-1 mode=-)\n"),
    }
    match &s.server {
        Some(v) => {
            out.push_str(&format!("  server={} (id={})", v, s.server_id));
            if let Some(a) = &s.server_addr {
                out.push_str(&format!(" addr={a}"));
            }
            out.push('\n');
        }
        None => out.push_str("  server=<NONE> (id=-1)\n"),
    }
    out.push_str(&format!(
        "  task={:#x} (state=0x00 nice=0 calls={} rate=0 exp=<NEVER> tmask=0x1 age={})\n",
        s.ptr,
        s.calls,
        human_time(s.age.as_secs() as i64)
    ));
    for (i, si) in s.si.iter().enumerate() {
        let endp = if si.endp_ptr == 0 {
            "(nil)".to_string()
        } else {
            format!("{:#x}", si.endp_ptr)
        };
        out.push_str(&format!(
            "  si[{i}]={:#x} (state={} flags=0x{:02x} endp{i}={}:{} exp=<NEVER>, et=0x{:03x})\n",
            s.ptr + 0x10 + 0x40 * i as u64,
            if si.state.is_empty() {
                "INI"
            } else {
                &si.state
            },
            si.flags,
            if si.endpoint.is_empty() {
                "NONE"
            } else {
                &si.endpoint
            },
            endp,
            si.err_type,
        ));
    }
    out
}

/// What `show sess [arg]` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessQuery {
    /// No argument (or one that parses to 0): list lines.
    List,
    /// `all`: detailed dump of every stream.
    All,
    /// One stream's detailed dump.
    One(u64),
}

impl SessQuery {
    /// Interprets the optional argument like HAProxy.
    pub fn parse(arg: Option<&str>) -> SessQuery {
        match arg {
            Some("all") => SessQuery::All,
            Some(a) if !a.is_empty() => match parse_ptr(a) {
                0 => SessQuery::List,
                p => SessQuery::One(p),
            },
            _ => SessQuery::List,
        }
    }
}

/// `show sess` output (without the CLI terminator).
pub fn render_sessions(sessions: &[SessionInfo], q: SessQuery) -> String {
    match q {
        SessQuery::List => sessions.iter().map(list_line).collect(),
        SessQuery::All => sessions.iter().map(detail).collect(),
        SessQuery::One(p) => match sessions.iter().find(|s| s.ptr == p) {
            Some(s) => detail(s),
            None => "Session not found.\n".to_string(),
        },
    }
}

/// Header of `show servers state` (format version 1).
pub const SERVERS_STATE_HEADER: &str = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state \
srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status \
srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id \
srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr \
srv_agent_port\n";

/// One `show servers state` line.
pub fn servers_state_line(r: &ServerStateRow) -> String {
    let dash = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".to_string());
    format!(
        "{} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}\n",
        r.be_id,
        r.be_name,
        r.srv_id,
        r.srv_name,
        r.srv_addr,
        r.srv_op_state,
        r.srv_admin_state,
        r.srv_uweight,
        r.srv_iweight,
        r.srv_time_since_last_change,
        r.srv_check_status,
        r.srv_check_result,
        r.srv_check_health,
        r.srv_check_state,
        r.srv_agent_state,
        u8::from(r.bk_f_forced_id),
        u8::from(r.srv_f_forced_id),
        dash(&r.srv_fqdn),
        r.srv_port,
        dash(&r.srvrecord),
        u8::from(r.srv_use_ssl),
        r.srv_check_port,
        dash(&r.srv_check_addr),
        dash(&r.srv_agent_addr),
        r.srv_agent_port,
    )
}

/// `show servers state [backend]`, `None` when the backend is unknown
/// (`Can't find backend.`). `backends` lists the existing backend names.
pub fn render_servers_state(
    rows: &[ServerStateRow],
    backends: &[&str],
    only: Option<&str>,
) -> Option<String> {
    if let Some(b) = only {
        if !backends.contains(&b) {
            return None;
        }
    }
    let mut out = SERVERS_STATE_HEADER.to_string();
    for r in rows.iter().filter(|r| only.is_none_or(|b| r.be_name == b)) {
        out.push_str(&servers_state_line(r));
    }
    Some(out)
}

/// `show servers conn [backend]` for `threads` threads, `None` when the
/// backend is unknown (`Can't find backend.`).
pub fn render_servers_conn(
    rows: &[crate::model::ServerConnRow],
    backends: &[&str],
    only: Option<&str>,
    threads: u32,
) -> Option<String> {
    use std::fmt::Write;
    if only.is_some_and(|b| !backends.contains(&b)) {
        return None;
    }
    let mut out = format!(
        "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est \
         unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[{threads}]\n"
    );
    for r in rows.iter().filter(|r| only.is_none_or(|b| r.be_name == b)) {
        let _ = write!(
            out,
            "{}/{} {}/{} {} {} - {} {} {} {} {} {} {} {}",
            r.be_name,
            r.srv_name,
            r.be_id,
            r.srv_id,
            r.addr,
            r.port,
            r.purge_delay,
            r.used_cur,
            r.used_max,
            r.need_est,
            r.unsafe_nb,
            r.safe_nb,
            r.idle_lim,
            r.idle_cur
        );
        // Without an idle pool (`pool-max-conn 0`) HAProxy keeps no
        // per-thread counts and prints none.
        let shown = if r.idle_lim == 0 { 0 } else { threads as usize };
        for t in 0..shown {
            let _ = write!(out, " {}", r.idle_per_thr.get(t).copied().unwrap_or(0));
        }
        out.push('\n');
    }
    Some(out)
}

/// `show backend` output.
pub fn render_backends(names: &[&str]) -> String {
    let mut out = String::from("# name\n");
    for n in names {
        out.push_str(n);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn human_times() {
        assert_eq!(human_time(0), "0s");
        assert_eq!(human_time(45), "45s");
        assert_eq!(human_time(192), "3m12s");
        assert_eq!(human_time(3600), "1h");
        assert_eq!(human_time(7500), "2h5m");
        assert_eq!(human_time(97200 + 59), "1d3h");
        assert_eq!(human_time(-1), "?");
    }

    #[test]
    fn ptr_parsing() {
        assert_eq!(parse_ptr("0x1f"), 31);
        assert_eq!(parse_ptr("17"), 17);
        assert_eq!(parse_ptr("010"), 8);
        assert_eq!(parse_ptr("abc"), 0);
        assert_eq!(SessQuery::parse(Some("abc")), SessQuery::List);
        assert_eq!(SessQuery::parse(Some("all")), SessQuery::All);
    }

    #[test]
    fn list_line_prefix() {
        let s = SessionInfo {
            ptr: 0x7fa2640348d0,
            proto: "tcpv4".into(),
            src: "127.0.0.1:60662".into(),
            frontend: "fe_tcp".into(),
            backend: Some("be_tcp".into()),
            server: Some("t1".into()),
            age: Duration::from_secs(1),
            ..SessionInfo::default()
        };
        assert!(list_line(&s).starts_with(
            "0x7fa2640348d0: proto=tcpv4 src=127.0.0.1:60662 fe=fe_tcp be=be_tcp srv=t1 ts=00 age=1s "
        ));
        assert_eq!(
            render_sessions(&[s], SessQuery::One(5)),
            "Session not found.\n"
        );
    }

    #[test]
    fn servers_state_format() {
        let r = ServerStateRow {
            be_id: 3,
            be_name: "be_app".into(),
            srv_id: 1,
            srv_name: "s1".into(),
            srv_addr: "127.0.0.1".into(),
            srv_op_state: 2,
            srv_uweight: 10,
            srv_iweight: 10,
            srv_time_since_last_change: 23,
            srv_check_status: 6,
            srv_check_result: 3,
            srv_check_health: 4,
            srv_check_state: 6,
            srv_port: 18081,
            ..ServerStateRow::default()
        };
        assert_eq!(
            servers_state_line(&r),
            "3 be_app 1 s1 127.0.0.1 2 0 10 10 23 6 3 4 6 0 0 0 - 18081 - 0 0 - - 0\n"
        );
        let reference = include_str!("../testdata/ref/show-servers-state.txt");
        assert!(reference.starts_with(SERVERS_STATE_HEADER));
        assert_eq!(render_servers_state(&[r], &["be_app"], Some("nope")), None);
        assert_eq!(render_backends(&["a", "b"]), "# name\na\nb\n");
    }

    #[test]
    fn servers_conn_format() {
        let row = |srv: &str, idle_lim| crate::model::ServerConnRow {
            be_id: 2,
            be_name: "be".into(),
            srv_id: 1,
            srv_name: srv.into(),
            addr: "127.0.0.1".into(),
            port: 8080,
            purge_delay: 5000,
            used_max: 3,
            need_est: 2,
            unsafe_nb: 1,
            safe_nb: 1,
            idle_lim,
            idle_cur: 2,
            idle_per_thr: vec![2],
            ..Default::default()
        };
        let rows = [row("s1", -1), row("s2", 0)];
        let out = render_servers_conn(&rows, &["be"], None, 2).unwrap();
        assert_eq!(
            out,
            "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est \
             unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[2]\n\
             be/s1 2/1 127.0.0.1 8080 - 5000 0 3 2 1 1 -1 2 2 0\n\
             be/s2 2/1 127.0.0.1 8080 - 5000 0 3 2 1 1 0 2\n"
        );
        assert_eq!(render_servers_conn(&rows, &["be"], Some("fe"), 2), None);
        let only = render_servers_conn(&rows, &["be", "x"], Some("x"), 1).unwrap();
        assert_eq!(only.lines().count(), 1, "header only: {only}");
    }
}
