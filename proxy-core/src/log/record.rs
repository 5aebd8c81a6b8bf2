//! The log record: everything a log-format variable can show of a
//! finished stream (TCP) or transaction (HTTP), and the built-in formats
//! (`option tcplog`, `option httplog`, `option httplog clf`) as
//! log-format strings rendered by the one engine of
//! [`crate::rules::format`].

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::SystemTime;

use super::date::{write_log_date, CivilDateTime};
use super::fields::{ClientAddr, LogCounters};
pub use crate::rules::format::Builtin;
use crate::rules::format::{LogFormat, Var};
use crate::rules::format_render::{epoch_value, host_name, Captures, Inline, LogValue, LogVars};
use crate::rules::{RequestView, StreamInfo};
use std::ops::ControlFlow;

/// A stream's timers as HAProxy keeps them: milliseconds from the accept
/// date, `-1` for a step never reached. The printed timers derive from
/// them (`%Tw` = queue - request, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timers {
    /// `%Th`: handshakes (TLS, PROXY header).
    pub handshake: i64,
    /// `%Ti`: idle before the request's first byte.
    pub idle: i64,
    /// `%Tq`: the complete request was received.
    pub request: i64,
    /// Left the queue (a server slot was granted).
    pub queue: i64,
    /// Connected to the server.
    pub connect: i64,
    /// Got the server's response headers.
    pub data: i64,
    /// The end (`%Tt`).
    pub close: i64,
}

impl Timers {
    /// The stages of a transaction measured as today's lines show them:
    /// `TR`, `Tw`, `Tc`, `Tr` (each `-1` when not reached) and `Ta`, with
    /// `idle` before the first byte.
    pub fn from_steps(idle: i64, tr: i64, tw: i64, tc: i64, tr_resp: i64, ta: i64) -> Timers {
        let idle_h = idle.max(0);
        let request = if tr >= 0 { tr + idle_h } else { -1 };
        let queue = if tw >= 0 { request.max(0) + tw } else { -1 };
        let connect = if tc >= 0 { queue.max(0) + tc } else { -1 };
        let data = if tr_resp >= 0 {
            connect.max(0) + tr_resp
        } else {
            -1
        };
        Timers {
            handshake: 0,
            idle,
            request,
            queue,
            connect,
            data,
            close: ta + idle_h,
        }
    }
}

/// Everything the variables of a log line show, borrowed from the
/// finished stream or transaction.
#[derive(Clone, Debug)]
pub struct LogRecord<'a> {
    /// `%ci:%cp`.
    pub client: ClientAddr,
    /// `%fi:%fp`: the address the client reached.
    pub frontend_addr: Option<SocketAddr>,
    /// `%bi:%bp`: the source of the server connection.
    pub backend_src: Option<SocketAddr>,
    /// `%si:%sp`: the server connection's destination.
    pub server_addr: Option<SocketAddr>,
    /// `%t`, `%T`, `%Tl`, `%Ts`, `%ms`.
    pub accept_date: SystemTime,
    /// `%tr`, `%trg`, `%trl`: the request's first byte.
    pub request_date: SystemTime,
    pub frontend: &'a str,
    /// The frontend listener is TLS (`%ft` gets a `~`).
    pub frontend_ssl: bool,
    /// `%sslv`, `%sslc`: the client connection's TLS version and cipher,
    /// in OpenSSL's names.
    pub ssl_version: Option<&'static str>,
    pub ssl_cipher: Option<&'static str>,
    pub backend: &'a str,
    /// The backend is in `mode http` (`%Td` counts from the response).
    pub http_backend: bool,
    /// Server name, or `<NOSRV>`, `<STATS>`... (caller's choice).
    pub server: &'a str,
    pub timers: Timers,
    /// `option logasap`: `%Ta %Tt %Tu %B` are partial and get a `+`.
    pub logasap: bool,
    /// `%ST`.
    pub status: i32,
    /// `%B`: bytes sent to the client.
    pub bytes_out: u64,
    /// `%U`: bytes received from the client.
    pub bytes_in: u64,
    /// `%CC`, `%CS`.
    pub req_cookie: Option<&'a [u8]>,
    pub res_cookie: Option<&'a [u8]>,
    /// `%tsc`; `%ts` is its first two characters.
    pub term: [u8; 4],
    pub counters: LogCounters,
    /// `%hr`, `%hrl`; `%hs`, `%hsl`.
    pub req_captures: Captures<'a>,
    pub res_captures: Captures<'a>,
    /// `%r` and `%H*`: the request line without CRLF; `None` for a request
    /// that could not be parsed.
    pub request_line: Option<&'a [u8]>,
    /// `%ID`.
    pub unique_id: Option<&'a [u8]>,
    /// `%rt`: the request's (HTTP) or stream's (TCP) number.
    pub request_id: u64,
    /// `%lc`: the frontend's log counter.
    pub log_count: u64,
}

impl<'a> LogRecord<'a> {
    /// A record with nothing known yet but the client and the dates.
    pub fn new(client: ClientAddr, accept_date: SystemTime, frontend: &'a str) -> LogRecord<'a> {
        LogRecord {
            client,
            frontend_addr: None,
            backend_src: None,
            server_addr: None,
            accept_date,
            request_date: accept_date,
            frontend,
            frontend_ssl: false,
            ssl_version: None,
            ssl_cipher: None,
            backend: frontend,
            http_backend: false,
            server: "<NOSRV>",
            timers: Timers {
                request: -1,
                queue: -1,
                connect: -1,
                data: -1,
                ..Timers::default()
            },
            logasap: false,
            status: -1,
            bytes_out: 0,
            bytes_in: 0,
            req_cookie: None,
            res_cookie: None,
            term: *b"----",
            counters: LogCounters::default(),
            req_captures: Captures::NONE,
            res_captures: Captures::NONE,
            request_line: None,
            unique_id: None,
            request_id: 0,
            log_count: 0,
        }
    }

    /// Renders `fmt` for this record, expressions evaluated on `view`.
    pub fn render(&self, fmt: &LogFormat, view: Option<&dyn RequestView>, out: &mut Vec<u8>) {
        fmt.render_into(self, view, out);
    }
}

fn date(t: SystemTime, gmt: bool, zone: bool) -> LogValue<'static> {
    let mut s = Inline::new(b"");
    if !zone {
        write_log_date(t, &mut s);
        return LogValue::Raw(s);
    }
    let d = if gmt {
        CivilDateTime::from_system_time(t)
    } else {
        CivilDateTime::local(t)
    };
    let off = d.offset;
    let sign = if off < 0 { '-' } else { '+' };
    let off = off.unsigned_abs() / 60;
    let _ = write!(
        s,
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} {sign}{:02}{:02}",
        d.day,
        d.month_name(),
        d.year,
        d.hour,
        d.minute,
        d.second,
        off / 60,
        off % 60
    );
    LogValue::Raw(s)
}

fn sub(a: i64, b: i64) -> i64 {
    a.saturating_sub(b)
}

impl LogVars for LogRecord<'_> {
    fn value(&self, var: Var) -> LogValue<'_> {
        let t = &self.timers;
        let c = &self.counters;
        let ip = |a: Option<SocketAddr>| a.map_or(LogValue::Missing, |a| LogValue::Ip(a.ip()));
        let port =
            |a: Option<SocketAddr>| a.map_or(LogValue::Missing, |a| LogValue::Port(a.port()));
        let idle_h = if t.idle >= 0 { t.idle + t.handshake } else { 0 };
        match var {
            Var::ci => match self.client {
                ClientAddr::Inet(a) => LogValue::Ip(a.ip()),
                ClientAddr::Unix { .. } => LogValue::Text(b"unix"),
                ClientAddr::Unknown => LogValue::Missing,
            },
            Var::cp => match self.client {
                ClientAddr::Inet(a) => LogValue::Port(a.port()),
                ClientAddr::Unix { listener_id } => LogValue::Int(i64::from(listener_id)),
                ClientAddr::Unknown => LogValue::Missing,
            },
            Var::fi => ip(self.frontend_addr),
            Var::fp => port(self.frontend_addr),
            Var::bi => ip(self.backend_src),
            Var::bp => port(self.backend_src),
            Var::si => ip(self.server_addr),
            Var::sp => port(self.server_addr),
            Var::t => date(self.accept_date, false, false),
            Var::tr => date(self.request_date, false, false),
            Var::T => date(self.accept_date, true, true),
            Var::trg => date(self.request_date, true, true),
            Var::Tl => date(self.accept_date, false, true),
            Var::trl => date(self.request_date, false, true),
            Var::Ts | Var::ms => epoch_value(var, self.accept_date),
            Var::f => LogValue::Text(self.frontend.as_bytes()),
            Var::ft => LogValue::Frontend(self.frontend.as_bytes(), self.frontend_ssl),
            Var::b => LogValue::Text(self.backend.as_bytes()),
            Var::s => LogValue::Text(self.server.as_bytes()),
            Var::H => LogValue::Text(host_name().as_bytes()),
            Var::pid => LogValue::Hex(u64::from(std::process::id()), 4),
            Var::ID => opt_text(self.unique_id),
            Var::rt => LogValue::Hex(self.request_id, 4),
            Var::lc => LogValue::Hex(self.log_count, 4),
            Var::Th => LogValue::Int(t.handshake),
            Var::Ti => LogValue::Int(t.idle),
            Var::Tq => LogValue::Int(t.request),
            Var::TR => LogValue::Int(if t.request >= 0 {
                sub(sub(t.request, t.idle), t.handshake)
            } else {
                -1
            }),
            Var::Tw => LogValue::Int(if t.queue >= 0 {
                sub(t.queue, t.request)
            } else {
                -1
            }),
            Var::Tc => LogValue::Int(if t.connect >= 0 {
                sub(t.connect, t.queue)
            } else {
                -1
            }),
            Var::Tr => LogValue::Int(if t.data >= 0 {
                sub(t.data, t.connect)
            } else {
                -1
            }),
            Var::Td => LogValue::Int(match (self.http_backend, t.data, t.connect) {
                (true, d, _) if d >= 0 => sub(t.close, d),
                (false, _, c) if c >= 0 => sub(t.close, c),
                _ => -1,
            }),
            Var::Ta => LogValue::Plus(sub(t.close, idle_h), self.logasap),
            Var::Tt => LogValue::Plus(t.close, self.logasap),
            Var::Tu => LogValue::Plus(sub(t.close, t.idle.max(0)), self.logasap),
            Var::ST => LogValue::Int(i64::from(self.status)),
            Var::B => LogValue::Plus(clamp(self.bytes_out), self.logasap),
            Var::U => LogValue::Int(clamp(self.bytes_in)),
            Var::CC => opt_text(self.req_cookie),
            Var::CS => opt_text(self.res_cookie),
            Var::ts => LogValue::Raw(Inline::new(&term_chars(&self.term)[..2])),
            Var::tsc => LogValue::Raw(Inline::new(&term_chars(&self.term))),
            Var::ac => LogValue::Int(i64::from(c.actconn)),
            Var::fc => LogValue::Int(i64::from(c.feconn)),
            Var::bc => LogValue::Int(i64::from(c.beconn)),
            Var::sc => LogValue::Int(i64::from(c.srv_conn)),
            Var::rc => LogValue::Plus(i64::from(c.retries), c.redispatched),
            Var::sq => LogValue::Int(i64::from(c.srv_queue)),
            Var::bq => LogValue::Int(i64::from(c.be_queue)),
            Var::hr | Var::hrl => LogValue::Captures(self.req_captures),
            Var::hs | Var::hsl => LogValue::Captures(self.res_captures),
            Var::r | Var::HM | Var::HP | Var::HPO | Var::HQ | Var::HU | Var::HV => {
                LogValue::Request(self.request_line)
            }
            Var::sslv => opt_text(self.ssl_version.map(str::as_bytes)),
            Var::sslc => opt_text(self.ssl_cipher.map(str::as_bytes)),
        }
    }
}

impl<'a> LogRecord<'a> {
    /// The record with what the client connection `c` says of TLS: `%ft`
    /// gets its `~` on an `ssl` bind, `%sslv`/`%sslc` their names.
    pub fn with_client_tls(self, c: Option<&crate::connection::Connection>) -> LogRecord<'a> {
        let Some(crate::connection::Transport::Tls(t)) = c.map(|c| &c.transport) else {
            return self;
        };
        let info = t.info();
        LogRecord {
            frontend_ssl: true,
            ssl_version: info.and_then(|i| i.protocol()),
            ssl_cipher: info.and_then(|i| i.cipher()).map(|s| s.name),
            ..self
        }
    }
}

/// Byte counts are printed signed; clamp rather than wrap.
pub(crate) fn clamp(b: u64) -> i64 {
    i64::try_from(b).unwrap_or(i64::MAX)
}

/// The termination code is ASCII by construction; anything else (a caller
/// bug) is shown as `?` instead of corrupting the line.
fn term_chars(code: &[u8]) -> [u8; 4] {
    let mut out = [b'-'; 4];
    for (o, &b) in out.iter_mut().zip(code) {
        *o = if b.is_ascii_graphic() { b } else { b'?' };
    }
    out
}

fn opt_text(s: Option<&[u8]>) -> LogValue<'_> {
    s.map_or(LogValue::Missing, LogValue::Text)
}

/// What `%[expr]` items of a log line see once the request is gone: the
/// request line, the addresses and the stream's facts (variables, names,
/// captures), no headers; in TCP mode, the
/// addresses and the variables.
pub struct LogView<'a> {
    /// The request line (empty in TCP mode).
    pub line: &'a [u8],
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    pub info: &'a dyn StreamInfo,
    /// The stream's tracked counters (`sc0_*`...), when it has some.
    pub stick: Option<&'a dyn crate::rules::fetch_stick::StickFetches>,
}

impl LogView<'_> {
    fn word(&self, n: usize) -> &[u8] {
        self.line
            .split(|&b| b == b' ')
            .filter(|w| !w.is_empty())
            .nth(n)
            .unwrap_or(b"")
    }
}

impl RequestView for LogView<'_> {
    fn method(&self) -> &[u8] {
        self.word(0)
    }
    fn uri(&self) -> &[u8] {
        self.word(1)
    }
    fn path(&self) -> &[u8] {
        let u = self.uri();
        let end = u.iter().position(|&b| b == b'?').unwrap_or(u.len());
        &u[..end]
    }
    fn version(&self) -> (u8, u8) {
        match self.word(2) {
            [b'H', b'T', b'T', b'P', b'/', maj, b'.', min] => (maj - b'0', min - b'0'),
            _ => (1, 1),
        }
    }
    fn for_each_header<'a>(&'a self, _: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {}
    fn src(&self) -> Option<SocketAddr> {
        self.src
    }
    fn dst(&self) -> Option<SocketAddr> {
        self.dst
    }
    fn nbsrv(&self, _: Option<&str>) -> u32 {
        0
    }
    fn stream(&self) -> Option<&dyn StreamInfo> {
        Some(self.info)
    }
    fn stick(&self) -> Option<&dyn crate::rules::fetch_stick::StickFetches> {
        self.stick
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::expr::NoFiles;
    use crate::rules::format::{Mode, ParseCtx};
    use std::time::UNIX_EPOCH;

    fn render(fmt: &str, r: &LogRecord<'_>) -> String {
        let ctx = ParseCtx {
            mode: Mode::Log,
            http_proxy: Some(true),
        };
        let f = LogFormat::parse_in(fmt, ctx, &mut NoFiles).unwrap();
        let mut out = Vec::new();
        r.render(&f, None, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn counters_and_redispatch() {
        let mut r = LogRecord::new(ClientAddr::Unknown, UNIX_EPOCH, "fe");
        r.counters = LogCounters {
            actconn: 1,
            feconn: 1,
            retries: 2,
            ..Default::default()
        };
        let fmt = "%ac/%fc/%bc/%sc/%rc %sq/%bq";
        assert_eq!(render(fmt, &r), "1/1/0/0/2 0/0");
        r.counters.redispatched = true;
        r.counters.srv_queue = 3;
        assert_eq!(render(fmt, &r), "1/1/0/0/+2 3/0");
    }

    #[test]
    fn escaping_of_captures_and_request_lines() {
        let caps: &[&[u8]] = &[b"a{b|c}\"#\x01\x7f\xc3 z"];
        let mut r = LogRecord::new(ClientAddr::Unknown, UNIX_EPOCH, "fe");
        r.req_captures = Captures::Slices(caps);
        r.request_line = Some(b"GET /a{b}?\"x\"#f HTTP/1.1\r");
        assert_eq!(
            render("%hr %{+Q}r", &r),
            "{a#7Bb#7Cc#7D#22#23#01#7F#C3 z} \"GET /a{b}?#22x#22#23f HTTP/1.1#0D\""
        );
    }

    #[test]
    fn timers_derive_as_haproxy_prints_them() {
        let mut r = LogRecord::new(ClientAddr::Unknown, UNIX_EPOCH, "fe");
        r.timers = Timers::from_steps(5, 2, 1, 3, 10, 40);
        r.http_backend = true;
        assert_eq!(
            render("%Th/%Ti/%TR/%Tq/%Tw/%Tc/%Tr/%Td/%Ta/%Tt/%Tu", &r),
            "0/5/2/7/1/3/10/24/40/45/40"
        );
        r.logasap = true;
        assert_eq!(render("%Ta %Tt %B %U", &r), "+40 +45 +0 0");
        assert_eq!(
            render("[%t] [%T] [%Tl] %Ts %{+X}Ts %ms", &r),
            format!(
                "[{}] [01/Jan/1970:00:00:00 +0000] [{}] 0 0000 000",
                super::super::date::log_date(UNIX_EPOCH),
                match date(UNIX_EPOCH, false, true) {
                    LogValue::Raw(i) => String::from_utf8(i.as_bytes().to_vec()).unwrap(),
                    _ => String::new(),
                }
            )
        );
    }
}
