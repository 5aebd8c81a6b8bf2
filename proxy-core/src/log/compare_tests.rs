//! The formatters the log-format engine replaced, kept for one check:
//! many records rendered both ways must give the same bytes.

use std::fmt::Write as _;

use super::date::write_log_date;
use super::fields::{write_escaped, write_timer, Escape};
use super::httplog::{format_httplog, HttpLogRecord};
use super::tcplog::{format_tcplog, TcpLogRecord};
use super::*;

/// What the request line field shows when no valid request was parsed.
const BADREQ: &str = "\"<BADREQ>\"";

/// Appends the httplog line for `r` to `out` (no trailing newline).
fn old_httplog(r: &HttpLogRecord<'_>, out: &mut String) {
    let _ = write!(out, "{} [", r.client);
    write_log_date(r.request_date, out);
    let ssl = if r.frontend_ssl { "~" } else { "" };
    let _ = write!(
        out,
        "] {}{} {}/{} {}/{}/{}/{}/",
        r.frontend, ssl, r.backend, r.server, r.t_request, r.t_queue, r.t_connect, r.t_response
    );
    write_timer(out, r.t_active, r.logasap);
    let _ = write!(out, " {} ", r.status);
    write_timer(out, clamp_bytes(r.bytes_out), r.logasap);
    out.push(' ');
    write_cookie(out, r.req_cookie);
    out.push(' ');
    write_cookie(out, r.res_cookie);
    out.push(' ');
    push_term(out, &r.term);
    out.push(' ');
    r.counters.write(out);
    write_captures(out, r.req_captures);
    write_captures(out, r.res_captures);
    out.push(' ');
    match r.request_line {
        Some(line) => {
            out.push('"');
            write_escaped(out, line, Escape::Url);
            out.push('"');
        }
        None => out.push_str(BADREQ),
    }
}

fn write_cookie(out: &mut String, cookie: Option<&[u8]>) {
    match cookie {
        // An empty capture would leave two adjacent spaces and shift every
        // following field for parsers, so it prints like a missing one.
        Some(c) if !c.is_empty() => write_escaped(out, c, Escape::Header),
        _ => out.push('-'),
    }
}

/// ` {a|b|c}`, or nothing when no header is captured.
fn write_captures(out: &mut String, caps: &[&[u8]]) {
    if caps.is_empty() {
        return;
    }
    out.push_str(" {");
    for (i, cap) in caps.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        write_escaped(out, cap, Escape::Header);
    }
    out.push('}');
}

/// Appends the tcplog line for `r` to `out` (no trailing newline: the sink
/// adds framing).
fn old_tcplog(r: &TcpLogRecord<'_>, out: &mut String) {
    let _ = write!(out, "{} [", r.client);
    write_log_date(r.accept_date, out);
    let _ = write!(
        out,
        "] {} {}/{} {}/{}/",
        r.frontend, r.backend, r.server, r.t_queue, r.t_connect
    );
    write_timer(out, r.t_total, r.logasap);
    out.push(' ');
    write_timer(out, clamp_bytes(r.bytes_out), r.logasap);
    out.push(' ');
    push_term(out, &r.term);
    out.push(' ');
    r.counters.write(out);
}

/// The termination code is ASCII by construction; anything else (a caller
/// bug) is shown as `?` instead of corrupting the line.
fn push_term(out: &mut String, code: &[u8]) {
    for &b in code {
        out.push(if b.is_ascii_graphic() {
            char::from(b)
        } else {
            '?'
        });
    }
}

/// Byte counts are printed as signed in HAProxy; a u64 above i64::MAX cannot
/// happen in practice, clamp rather than wrap.
fn clamp_bytes(b: u64) -> i64 {
    i64::try_from(b).unwrap_or(i64::MAX)
}

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// `-1` one time in `1/p`, else a figure below `n`.
    fn timer(&mut self, n: u64) -> i64 {
        if self.below(5) == 0 {
            -1
        } else {
            self.below(n) as i64
        }
    }

    fn bytes(&mut self, max: u64) -> Vec<u8> {
        const POOL: &[u8] = b"abcXYZ019 /?=&\"#{|}\\]\x01\x7f\xc3\xa9\t%";
        (0..self.below(max + 1))
            .map(|_| POOL[self.below(POOL.len() as u64) as usize])
            .collect()
    }

    fn client(&mut self) -> ClientAddr {
        match self.below(6) {
            0 => ClientAddr::Unix {
                listener_id: self.below(9) as u32,
            },
            1 => ClientAddr::Unknown,
            2 => ClientAddr::Inet(std::net::SocketAddr::from((
                [0x2001, 0xdb8, 0, 0, 0, 0, 0, self.below(9) as u16],
                self.below(65536) as u16,
            ))),
            _ => ClientAddr::Inet(std::net::SocketAddr::from((
                [127, 0, 0, self.below(255) as u8],
                self.below(65536) as u16,
            ))),
        }
    }

    fn counters(&mut self) -> LogCounters {
        LogCounters {
            actconn: self.below(100) as u32,
            feconn: self.below(100) as u32,
            beconn: self.below(100) as u32,
            srv_conn: self.below(100) as u32,
            retries: self.below(4) as u32,
            redispatched: self.below(4) == 0,
            srv_queue: self.below(3) as u32,
            be_queue: self.below(3) as u32,
        }
    }

    fn date(&mut self) -> std::time::SystemTime {
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(self.below(4_000_000_000_000))
    }

    fn term<const N: usize>(&mut self) -> [u8; N] {
        const C: &[u8] = b"-LcCsSPRIDKUNVEOHQT";
        std::array::from_fn(|_| C[self.below(C.len() as u64) as usize])
    }
}

#[test]
fn engine_matches_the_old_httplog() {
    let mut g = Rng(0x9e37_79b9_7f4a_7c15);
    const NAMES: &[&str] = &["fe", "be_app", "<NOSRV>", "<STATS>", "s1"];
    const COOKIES: &[Option<&[u8]>] = &[None, Some(b""), Some(b"SRV=s1"), Some(b"a=b; c=d")];
    for _ in 0..3000 {
        let caps: Vec<Vec<u8>> = (0..g.below(3)).map(|_| g.bytes(6)).collect();
        let res_caps: Vec<Vec<u8>> = (0..g.below(3)).map(|_| g.bytes(6)).collect();
        let caps: Vec<&[u8]> = caps.iter().map(Vec::as_slice).collect();
        let res_caps: Vec<&[u8]> = res_caps.iter().map(Vec::as_slice).collect();
        let line = g.bytes(30);
        let t_request = g.timer(50);
        let t_queue = if t_request < 0 { -1 } else { g.timer(5) };
        let t_connect = if t_queue < 0 { -1 } else { g.timer(9) };
        let t_response = if t_connect < 0 { -1 } else { g.timer(99) };
        let r = HttpLogRecord {
            client: g.client(),
            request_date: g.date(),
            frontend: NAMES[g.below(2) as usize],
            frontend_ssl: g.below(2) == 0,
            backend: NAMES[g.below(2) as usize],
            server: NAMES[1 + g.below(4) as usize],
            t_request,
            t_queue,
            t_connect,
            t_response,
            t_active: g.below(5000) as i64,
            logasap: g.below(5) == 0,
            status: [200, 404, 503, -1, 0][g.below(5) as usize],
            bytes_out: g.below(1 << 40),
            req_cookie: COOKIES[g.below(4) as usize],
            res_cookie: COOKIES[g.below(4) as usize],
            term: g.term(),
            counters: g.counters(),
            req_captures: &caps,
            res_captures: &res_caps,
            request_line: (g.below(6) != 0).then_some(line.as_slice()),
        };
        let (mut old, mut new) = (String::new(), String::new());
        old_httplog(&r, &mut old);
        format_httplog(&r, &mut new);
        assert_eq!(old, new, "{r:?}");
    }
}

#[test]
fn engine_matches_the_old_tcplog() {
    let mut g = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..3000 {
        let t_queue = g.timer(5);
        let t_connect = if t_queue < 0 { -1 } else { g.timer(9) };
        let r = TcpLogRecord {
            client: g.client(),
            accept_date: g.date(),
            frontend: ["ft", "fe_tcp"][g.below(2) as usize],
            backend: ["ft", "be_tcp"][g.below(2) as usize],
            server: ["<NOSRV>", "t1", "<PEERS>"][g.below(3) as usize],
            t_queue,
            t_connect,
            t_total: g.below(100_000) as i64,
            logasap: g.below(5) == 0,
            bytes_out: g.below(1 << 40),
            term: g.term(),
            counters: g.counters(),
        };
        let (mut old, mut new) = (String::new(), String::new());
        old_tcplog(&r, &mut old);
        format_tcplog(&r, &mut new);
        assert_eq!(old, new, "{r:?}");
    }
}
