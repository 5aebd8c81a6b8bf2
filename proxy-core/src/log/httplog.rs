//! `option httplog` lines, 2.6 layout:
//! `%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc
//! %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r`.
//!
//! Everything that comes from the client or the server (captures, cookies,
//! the request line) is escaped with `#XX` so one request is one log line.

use std::time::SystemTime;

use super::fields::{ClientAddr, LogCounters};
use super::record::{Builtin, LogRecord, Timers};
use crate::rules::format_render::Captures;

/// Everything an httplog line shows, borrowed from the finished transaction.
#[derive(Clone, Debug)]
pub struct HttpLogRecord<'a> {
    pub client: ClientAddr,
    /// `%tr`: start of the request (for keep-alive, end of the previous one).
    pub request_date: SystemTime,
    pub frontend: &'a str,
    /// The frontend listener is TLS: the name gets a `~` suffix.
    pub frontend_ssl: bool,
    pub backend: &'a str,
    /// Server name, or `<NOSRV>`, `<STATS>`, `<CACHE>`... (caller's choice).
    pub server: &'a str,
    /// `%TR`: ms to receive the complete request headers, `-1` if never.
    pub t_request: i64,
    /// `%Tw`: ms in queues, `-1` if never reached.
    pub t_queue: i64,
    /// `%Tc`: ms to connect to the server, `-1` if never reached.
    pub t_connect: i64,
    /// `%Tr`: ms for the server's response headers, `-1` if never received.
    pub t_response: i64,
    /// `%Ta`: active time of the transaction in ms.
    pub t_active: i64,
    /// `option logasap`: `%Ta` and `%B` are partial and get a `+` prefix.
    pub logasap: bool,
    /// `%ST`: status sent to the client; `-1` when none was decided.
    pub status: i32,
    /// `%B`: bytes sent to the client, headers included.
    pub bytes_out: u64,
    /// `%CC`: captured request cookie; `None` prints `-`.
    pub req_cookie: Option<&'a [u8]>,
    /// `%CS`: captured response cookie; `None` prints `-`.
    pub res_cookie: Option<&'a [u8]>,
    /// `%tsc`, see [`super::termination::term_code_http`].
    pub term: [u8; 4],
    pub counters: LogCounters,
    /// `%hr`: one entry per `capture request header` (empty when the header
    /// was absent). No entries at all omits the `{...}` block.
    pub req_captures: &'a [&'a [u8]],
    /// `%hs`: same for `capture response header`.
    pub res_captures: &'a [&'a [u8]],
    /// `%{+Q}r`: the request line as received, without CRLF; `None` for a
    /// request that could not be parsed.
    pub request_line: Option<&'a [u8]>,
}

/// Appends the httplog line for `r` to `out` (no trailing newline),
/// rendered by the log-format engine with [`Builtin::Http`].
pub fn format_httplog(r: &HttpLogRecord<'_>, out: &mut String) {
    let mut buf = Vec::with_capacity(200);
    r.to_record().render(Builtin::Http.format(), None, &mut buf);
    out.push_str(&String::from_utf8_lossy(&buf));
}

impl<'a> HttpLogRecord<'a> {
    /// The same facts as a [`LogRecord`].
    pub fn to_record(&self) -> LogRecord<'a> {
        LogRecord {
            request_date: self.request_date,
            frontend_ssl: self.frontend_ssl,
            backend: self.backend,
            http_backend: true,
            server: self.server,
            timers: Timers::from_steps(
                0,
                self.t_request,
                self.t_queue,
                self.t_connect,
                self.t_response,
                self.t_active,
            ),
            logasap: self.logasap,
            status: self.status,
            bytes_out: self.bytes_out,
            req_cookie: self.req_cookie,
            res_cookie: self.res_cookie,
            term: self.term,
            counters: self.counters,
            req_captures: Captures::Slices(self.req_captures),
            res_captures: Captures::Slices(self.res_captures),
            request_line: self.request_line,
            ..LogRecord::new(self.client, self.request_date, self.frontend)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::date::days_from_civil;
    use std::time::{Duration, UNIX_EPOCH};

    fn nov26(h: u64, m: u64, s: u64, ms: u64) -> SystemTime {
        let day = days_from_civil(2026, 11, 26) as u64;
        UNIX_EPOCH + Duration::from_millis(((day * 86_400) + h * 3600 + m * 60 + s) * 1000 + ms)
    }

    /// A record with the values most captured lines share.
    fn base<'a>(port: u16, date: SystemTime) -> HttpLogRecord<'a> {
        HttpLogRecord {
            client: ClientAddr::Inet(std::net::SocketAddr::from(([127, 0, 0, 1], port))),
            request_date: date,
            frontend: "fe",
            frontend_ssl: false,
            backend: "fe",
            server: "<NOSRV>",
            t_request: 0,
            t_queue: 0,
            t_connect: 0,
            t_response: 0,
            t_active: 0,
            logasap: false,
            status: 200,
            bytes_out: 0,
            req_cookie: None,
            res_cookie: None,
            term: *b"----",
            counters: LogCounters {
                actconn: 1,
                feconn: 1,
                ..Default::default()
            },
            req_captures: &[],
            res_captures: &[],
            request_line: None,
        }
    }

    fn line(r: &HttpLogRecord<'_>) -> String {
        let mut s = String::new();
        format_httplog(r, &mut s);
        s
    }

    const HOST: &[&[u8]] = &[b"127.0.0.1:23510"];

    #[test]
    fn captured_plain_200() {
        let r = HttpLogRecord {
            frontend: "fe_http",
            backend: "be_app",
            server: "s2",
            t_response: 6,
            t_active: 6,
            bytes_out: 185,
            request_line: Some(b"GET /index.html HTTP/1.1"),
            ..base(53592, nov26(10, 54, 3, 525))
        };
        assert_eq!(line(&r), "127.0.0.1:53592 [26/Nov/2026:10:54:03.525] fe_http be_app/s2 0/0/0/6/6 200 185 - - ---- 1/1/0/0/0 0/0 \"GET /index.html HTTP/1.1\"");
    }

    #[test]
    fn captured_with_host_capture() {
        let r = HttpLogRecord {
            backend: "ok",
            server: "o1",
            t_response: 1,
            t_active: 1,
            bytes_out: 1017,
            req_captures: HOST,
            request_line: Some(b"GET / HTTP/1.1"),
            ..base(45344, nov26(11, 0, 38, 589))
        };
        assert_eq!(line(&r), "127.0.0.1:45344 [26/Nov/2026:11:00:38.589] fe ok/o1 0/0/0/1/1 200 1017 - - ---- 1/1/0/0/0 0/0 {127.0.0.1:23510} \"GET / HTTP/1.1\"");
    }

    #[test]
    fn captured_refused_with_retries() {
        let mut r = HttpLogRecord {
            backend: "refused",
            server: "r1",
            t_connect: -1,
            t_response: -1,
            t_active: 2003,
            status: 503,
            bytes_out: 217,
            term: *b"SC--",
            req_captures: HOST,
            request_line: Some(b"GET /refused HTTP/1.1"),
            ..base(45358, nov26(11, 0, 38, 596))
        };
        r.counters.retries = 2;
        assert_eq!(line(&r), "127.0.0.1:45358 [26/Nov/2026:11:00:38.596] fe refused/r1 0/0/-1/-1/2003 503 217 - - SC-- 1/1/0/0/2 0/0 {127.0.0.1:23510} \"GET /refused HTTP/1.1\"");
    }

    #[test]
    fn captured_deny_and_timeout() {
        let deny = HttpLogRecord {
            t_queue: -1,
            t_connect: -1,
            t_response: -1,
            status: 403,
            bytes_out: 192,
            term: *b"PR--",
            req_captures: HOST,
            request_line: Some(b"GET /deny HTTP/1.1"),
            ..base(45364, nov26(11, 0, 40, 607))
        };
        assert_eq!(line(&deny), "127.0.0.1:45364 [26/Nov/2026:11:00:40.607] fe fe/<NOSRV> 0/-1/-1/-1/0 403 192 - - PR-- 1/1/0/0/0 0/0 {127.0.0.1:23510} \"GET /deny HTTP/1.1\"");
        let slow = HttpLogRecord {
            backend: "slow",
            server: "s1",
            t_response: -1,
            t_active: 2001,
            status: 504,
            bytes_out: 198,
            term: *b"sH--",
            req_captures: HOST,
            request_line: Some(b"GET /slow HTTP/1.1"),
            ..base(45378, nov26(11, 0, 40, 612))
        };
        assert_eq!(line(&slow), "127.0.0.1:45378 [26/Nov/2026:11:00:40.612] fe slow/s1 0/0/0/-1/2001 504 198 - - sH-- 1/1/0/0/0 0/0 {127.0.0.1:23510} \"GET /slow HTTP/1.1\"");
    }

    #[test]
    fn captured_badreq() {
        let r = HttpLogRecord {
            t_request: -1,
            t_queue: -1,
            t_connect: -1,
            t_response: -1,
            status: 400,
            term: *b"CR--",
            ..base(45386, nov26(11, 0, 42, 619))
        };
        assert_eq!(line(&r), "127.0.0.1:45386 [26/Nov/2026:11:00:42.619] fe fe/<NOSRV> -1/-1/-1/-1/0 400 0 - - CR-- 1/1/0/0/0 0/0 \"<BADREQ>\"");
        let r = HttpLogRecord {
            client: ClientAddr::Inet(std::net::SocketAddr::from(([127, 0, 0, 1], 45396))),
            request_date: nov26(11, 0, 42, 622),
            term: *b"PR--",
            ..r
        };
        assert_eq!(line(&r), "127.0.0.1:45396 [26/Nov/2026:11:00:42.622] fe fe/<NOSRV> -1/-1/-1/-1/0 400 0 - - PR-- 1/1/0/0/0 0/0 \"<BADREQ>\"");
    }

    #[test]
    fn captured_stats() {
        let r = HttpLogRecord {
            frontend: "stats_l",
            backend: "stats_l",
            server: "<STATS>",
            bytes_out: 3498,
            term: *b"LR--",
            request_line: Some(b"GET /stats;csv HTTP/1.1"),
            ..base(58882, nov26(10, 54, 18, 695))
        };
        assert_eq!(line(&r), "127.0.0.1:58882 [26/Nov/2026:10:54:18.695] stats_l stats_l/<STATS> 0/0/0/0/0 200 3498 - - LR-- 1/1/0/0/0 0/0 \"GET /stats;csv HTTP/1.1\"");
    }

    #[test]
    fn ssl_cookies_both_captures_and_escaping() {
        let r = HttpLogRecord {
            frontend_ssl: true,
            req_cookie: Some(b"SRV=s1"),
            res_cookie: Some(b""),
            req_captures: &[b"h{1}", b""],
            res_captures: &[b"x|y"],
            request_line: Some(b"GET /\"q\" HTTP/1.1"),
            logasap: true,
            t_active: 4,
            bytes_out: 12,
            ..base(1, nov26(0, 0, 0, 0))
        };
        assert_eq!(line(&r), "127.0.0.1:1 [26/Nov/2026:00:00:00.000] fe~ fe/<NOSRV> 0/0/0/0/+4 200 +12 SRV=s1 - ---- 1/1/0/0/0 0/0 {h#7B1#7D|} {x#7Cy} \"GET /#22q#22 HTTP/1.1\"");
    }
}
