//! `option tcplog` lines, the default "Connect from" line, and the line for a
//! connection that died before becoming a stream.
//!
//! tcplog layout (identical in 1.5 and 2.6):
//! `%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq`.

use std::fmt::Write as _;
use std::time::SystemTime;

use super::date::write_log_date;
use super::fields::{ClientAddr, LogCounters};
use super::record::{Builtin, LogRecord, Timers};
use crate::config::model::Mode;

/// Everything a tcplog line shows, borrowed from the finished stream.
#[derive(Clone, Debug)]
pub struct TcpLogRecord<'a> {
    pub client: ClientAddr,
    /// `%t`: when the connection was accepted.
    pub accept_date: SystemTime,
    pub frontend: &'a str,
    pub backend: &'a str,
    /// The server name, or `<NOSRV>` when none was chosen (caller's choice,
    /// so applets can pass `<STATS>` and the like).
    pub server: &'a str,
    /// `%Tw`: ms spent in queues, `-1` if never reached.
    pub t_queue: i64,
    /// `%Tc`: ms to establish the server connection, `-1` if never reached.
    pub t_connect: i64,
    /// `%Tt`: total ms from accept to close.
    pub t_total: i64,
    /// `option logasap`: the line is emitted at connect time, so `%Tt` and
    /// `%B` are partial and carry a `+` prefix.
    pub logasap: bool,
    /// `%B`: bytes sent to the client.
    pub bytes_out: u64,
    /// `%ts`, see [`super::termination::term_code`].
    pub term: [u8; 2],
    pub counters: LogCounters,
}

/// Appends the tcplog line for `r` to `out` (no trailing newline: the sink
/// adds framing), rendered by the log-format engine with [`Builtin::Tcp`].
pub fn format_tcplog(r: &TcpLogRecord<'_>, out: &mut String) {
    let mut buf = Vec::with_capacity(160);
    r.to_record().render(Builtin::Tcp.format(), None, &mut buf);
    out.push_str(&String::from_utf8_lossy(&buf));
}

impl<'a> TcpLogRecord<'a> {
    /// The same facts as a [`LogRecord`].
    pub fn to_record(&self) -> LogRecord<'a> {
        let queue = self.t_queue;
        let connect = match (queue, self.t_connect) {
            (q, c) if q >= 0 && c >= 0 => q + c,
            _ => -1,
        };
        LogRecord {
            backend: self.backend,
            server: self.server,
            timers: Timers {
                request: 0,
                queue,
                connect,
                data: -1,
                close: self.t_total,
                ..Timers::default()
            },
            logasap: self.logasap,
            status: 0,
            bytes_out: self.bytes_out,
            term: [self.term[0], self.term[1], b'-', b'-'],
            counters: self.counters,
            ..LogRecord::new(self.client, self.accept_date, self.frontend)
        }
    }
}

/// The line logged at accept time when a proxy logs without tcplog/httplog:
/// `Connect from <ip>:<port> to <ip>:<port> (<frontend>/<TCP|HTTP>)`.
///
/// A unix-socket client has no address to show, so the line names the
/// listener instead: `Connect to unix:<id> (<frontend>/<MODE>)`.
pub fn format_default_connect(
    client: &ClientAddr,
    local: &ClientAddr,
    frontend: &str,
    mode: Mode,
    out: &mut String,
) {
    let mode = match mode {
        Mode::Tcp => "TCP",
        Mode::Http => "HTTP",
    };
    match client {
        ClientAddr::Inet(_) => {
            let _ = write!(out, "Connect from {client} to {local} ({frontend}/{mode})");
        }
        ClientAddr::Unix { .. } | ClientAddr::Unknown => {
            let _ = write!(out, "Connect to {client} ({frontend}/{mode})");
        }
    }
}

/// The line for a connection killed before it became a stream (handshake
/// error, timeout while waiting for a PROXY header...):
/// `<ip>:<port> [<date>] <frontend>/<listener>: <reason>`.
pub fn format_embryonic(
    client: &ClientAddr,
    accept_date: SystemTime,
    frontend: &str,
    listener: &str,
    reason: &str,
    out: &mut String,
) {
    let _ = write!(out, "{client} [");
    write_log_date(accept_date, out);
    let _ = write!(out, "] {frontend}/{listener}: {reason}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::date::days_from_civil;
    use crate::log::termination::{term_code, ErrCause, FinState};
    use std::time::{Duration, UNIX_EPOCH};

    /// 26/Nov/2026 hh:mm:ss.mmm UTC.
    fn nov26(h: u64, m: u64, s: u64, ms: u64) -> SystemTime {
        let day = days_from_civil(2026, 11, 26) as u64;
        UNIX_EPOCH + Duration::from_millis(((day * 86_400) + h * 3600 + m * 60 + s) * 1000 + ms)
    }

    fn one_conn() -> LogCounters {
        LogCounters {
            actconn: 1,
            feconn: 1,
            ..Default::default()
        }
    }

    fn line(r: &TcpLogRecord<'_>) -> String {
        let mut s = String::new();
        format_tcplog(r, &mut s);
        s
    }

    #[test]
    fn captured_normal_session() {
        let r = TcpLogRecord {
            client: ClientAddr::Inet("127.0.0.1:57230".parse().unwrap()),
            accept_date: nov26(10, 54, 3, 555),
            frontend: "fe_tcp",
            backend: "be_tcp",
            server: "t1",
            t_queue: 1,
            t_connect: 0,
            t_total: 0,
            logasap: false,
            bytes_out: 357,
            term: term_code(ErrCause::None, FinState::None),
            counters: one_conn(),
        };
        assert_eq!(
            line(&r),
            "127.0.0.1:57230 [26/Nov/2026:10:54:03.555] fe_tcp be_tcp/t1 1/0/0 357 -- 1/1/0/0/0 0/0"
        );
    }

    #[test]
    fn captured_long_session() {
        let r = TcpLogRecord {
            client: ClientAddr::Inet("127.0.0.1:60662".parse().unwrap()),
            accept_date: nov26(10, 54, 22, 840),
            frontend: "fe_tcp",
            backend: "be_tcp",
            server: "t1",
            t_queue: 1,
            t_connect: 0,
            t_total: 2999,
            logasap: false,
            bytes_out: 0,
            term: *b"--",
            counters: one_conn(),
        };
        assert_eq!(
            line(&r),
            "127.0.0.1:60662 [26/Nov/2026:10:54:22.840] fe_tcp be_tcp/t1 1/0/2999 0 -- 1/1/0/0/0 0/0"
        );
    }

    #[test]
    fn captured_reject() {
        let r = TcpLogRecord {
            client: ClientAddr::Inet("127.0.0.1:45882".parse().unwrap()),
            accept_date: nov26(11, 1, 7, 740),
            frontend: "ft",
            backend: "ft",
            server: "<NOSRV>",
            t_queue: -1,
            t_connect: -1,
            t_total: 0,
            logasap: false,
            bytes_out: 0,
            term: term_code(ErrCause::PrxCond, FinState::R),
            counters: one_conn(),
        };
        assert_eq!(
            line(&r),
            "127.0.0.1:45882 [26/Nov/2026:11:01:07.740] ft ft/<NOSRV> -1/-1/0 0 PR 1/1/0/0/0 0/0"
        );
    }

    #[test]
    fn ipv6_logasap_and_redispatch() {
        let r = TcpLogRecord {
            client: ClientAddr::Inet("[::1]:4000".parse().unwrap()),
            accept_date: nov26(0, 0, 0, 0),
            frontend: "f",
            backend: "b",
            server: "s2",
            t_queue: 0,
            t_connect: 3,
            t_total: 5,
            logasap: true,
            bytes_out: 10,
            term: *b"--",
            counters: LogCounters {
                retries: 1,
                redispatched: true,
                ..one_conn()
            },
        };
        assert_eq!(
            line(&r),
            "::1:4000 [26/Nov/2026:00:00:00.000] f b/s2 0/3/+5 +10 -- 1/1/0/0/+1 0/0"
        );
    }

    #[test]
    fn default_connect_and_embryonic() {
        let c = ClientAddr::Inet("127.0.0.1:5000".parse().unwrap());
        let l = ClientAddr::Inet("127.0.0.1:80".parse().unwrap());
        let mut s = String::new();
        format_default_connect(&c, &l, "fe", Mode::Http, &mut s);
        assert_eq!(s, "Connect from 127.0.0.1:5000 to 127.0.0.1:80 (fe/HTTP)");
        s.clear();
        let u = ClientAddr::Unix { listener_id: 2 };
        format_default_connect(&u, &ClientAddr::Unknown, "fe", Mode::Tcp, &mut s);
        assert_eq!(s, "Connect to unix:2 (fe/TCP)");
        s.clear();
        format_embryonic(
            &c,
            nov26(1, 2, 3, 4),
            "fe",
            "l1",
            "Timeout during SSL handshake",
            &mut s,
        );
        assert_eq!(
            s,
            "127.0.0.1:5000 [26/Nov/2026:01:02:03.004] fe/l1: Timeout during SSL handshake"
        );
    }
}
