//! A strict parser for HAProxy 2.6's HTTP log line (`option httplog`):
//!
//! `%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc
//! %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r`
//!
//! e.g. `127.0.0.1:53592 [26/Nov/2026:10:54:03.525] fe_http be_app/s2
//! 0/0/0/6/6 200 185 - - ---- 1/1/0/0/0 0/0 "GET /index.html HTTP/1.1"`.
//! `%hr` and `%hs` are `{a|b}` blocks, omitted when nothing is captured.

use std::fmt;

// The field parsers are shared with the tcplog parser.
use crate::tcplog::{is_log_date, name, split_n, timer, uint};

/// One parsed httplog line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLog {
    pub client_ip: String,
    pub client_port: u16,
    /// `dd/Mmm/yyyy:HH:MM:SS.mmm`
    pub date: String,
    pub frontend: String,
    pub backend: String,
    pub server: String,
    /// `%TR`, `%Tw`, `%Tc`, `%Tr` (ms, -1 when not reached) and `%Ta`.
    pub t_request: i64,
    pub t_queue: i64,
    pub t_connect: i64,
    pub t_response: i64,
    pub t_active: i64,
    /// `%ST` (-1 when none).
    pub status: i32,
    pub bytes: u64,
    pub req_cookie: String,
    pub res_cookie: String,
    /// Four chars, e.g. `----`, `SH--`, `LR--`.
    pub term: String,
    pub actconn: u64,
    pub feconn: u64,
    pub beconn: u64,
    pub srvconn: u64,
    pub retries: u64,
    pub redispatched: bool,
    pub srv_queue: u64,
    pub be_queue: u64,
    /// `%hr` entries (`None` when the block is absent).
    pub req_captures: Option<Vec<String>>,
    pub res_captures: Option<Vec<String>>,
    /// The request line without quotes; `<BADREQ>` for a bad request.
    pub request: String,
    pub raw: String,
}

impl HttpLog {
    /// The two-char termination state (`%ts`).
    pub fn ts(&self) -> &str {
        &self.term[..2]
    }
}

impl fmt::Display for HttpLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Takes the next space-terminated word.
fn word<'a>(rest: &mut &'a str, what: &str) -> Result<&'a str, String> {
    let (w, r) = rest
        .split_once(' ')
        .ok_or_else(|| format!("{what}: line ends early"))?;
    *rest = r;
    Ok(w)
}

fn captures(rest: &mut &str) -> Result<Option<Vec<String>>, String> {
    if !rest.starts_with('{') {
        return Ok(None);
    }
    let end = rest
        .find("} ")
        .ok_or_else(|| format!("capture block not closed: {rest:?}"))?;
    let inner = &rest[1..end];
    *rest = &rest[end + 2..];
    Ok(Some(inner.split('|').map(str::to_string).collect()))
}

/// Parses one httplog line (without a syslog header).
pub fn parse(line: &str) -> Result<HttpLog, String> {
    let raw = line.trim_end_matches(['\n', '\r']).to_string();
    let mut rest = raw.as_str();
    let client = word(&mut rest, "client")?;
    let (ip, port) = client
        .rsplit_once(':')
        .ok_or_else(|| format!("client: no ':' in {client:?}"))?;
    if ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("client ip: {ip:?}"));
    }
    let client_port = uint(port, "client port")?;
    let d = word(&mut rest, "date")?;
    let date = d
        .strip_prefix('[')
        .and_then(|d| d.strip_suffix(']'))
        .ok_or_else(|| format!("date: not in brackets: {d:?}"))?;
    if !is_log_date(date) {
        return Err(format!("date: bad format {date:?}"));
    }
    let frontend = name(word(&mut rest, "frontend")?, "frontend")?;
    let bs = split_n(word(&mut rest, "backend/server")?, '/', 2, "backend/server")?;
    let backend = name(bs[0], "backend")?;
    let server = name(bs[1], "server")?;
    let t = split_n(word(&mut rest, "timers")?, '/', 5, "TR/Tw/Tc/Tr/Ta")?;
    let st = word(&mut rest, "status")?;
    let status = if st == "-1" {
        -1
    } else {
        let v = uint(st, "status")?;
        if !(100..=999).contains(&v) {
            return Err(format!("status: {v}"));
        }
        v as i32
    };
    let bytes = uint(word(&mut rest, "bytes")?, "bytes")?;
    let req_cookie = word(&mut rest, "CC")?.to_string();
    let res_cookie = word(&mut rest, "CS")?.to_string();
    if req_cookie.is_empty() || res_cookie.is_empty() {
        return Err("empty cookie field".into());
    }
    let term = word(&mut rest, "termination")?;
    let tb = term.as_bytes();
    if tb.len() != 4
        || !b"-LcCsSPRIDKUI".contains(&tb[0])
        || !b"-RCHDLQT".contains(&tb[1])
        || !b"-NIDVEOU7".contains(&tb[2])
        || !b"-NPDIRU67".contains(&tb[3])
    {
        return Err(format!("termination state: bad {term:?}"));
    }
    let c = split_n(word(&mut rest, "counters")?, '/', 5, "ac/fc/bc/sc/rc")?;
    let (redispatched, rc) = match c[4].strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, c[4]),
    };
    let q = split_n(word(&mut rest, "queues")?, '/', 2, "sq/bq")?;
    let req_captures = captures(&mut rest)?;
    let res_captures = captures(&mut rest)?;
    let request = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(|| format!("request line: not quoted: {rest:?}"))?;
    if request.contains('"') {
        return Err(format!("request line: unescaped quote in {request:?}"));
    }
    Ok(HttpLog {
        client_ip: ip.to_string(),
        client_port: u16::try_from(client_port).map_err(|e| format!("client port: {e}"))?,
        date: date.to_string(),
        frontend,
        backend,
        server,
        t_request: timer(t[0], "TR")?,
        t_queue: timer(t[1], "Tw")?,
        t_connect: timer(t[2], "Tc")?,
        t_response: timer(t[3], "Tr")?,
        t_active: timer(t[4], "Ta")?,
        status,
        bytes,
        req_cookie,
        res_cookie,
        term: term.to_string(),
        actconn: uint(c[0], "actconn")?,
        feconn: uint(c[1], "feconn")?,
        beconn: uint(c[2], "beconn")?,
        srvconn: uint(c[3], "srvconn")?,
        retries: uint(rc, "retries")?,
        redispatched,
        srv_queue: uint(q[0], "srv_queue")?,
        be_queue: uint(q[1], "be_queue")?,
        req_captures,
        res_captures,
        request: request.to_string(),
        raw,
    })
}

/// A raw answer escaped to one line, then its log line's status,
/// termination state and byte count: one transcript line.
pub fn answer_and_log(raw: &[u8], line: &str) -> String {
    let log = parse(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    format!(
        "{} | {} {} {}",
        String::from_utf8_lossy(raw).escape_debug(),
        log.status,
        log.term,
        log.bytes
    )
}

/// Waits for the httplog line of client port `port` (the first one when
/// several requests shared the connection) and parses it.
pub fn log_for(px: &crate::Proxy, port: u16, timeout: std::time::Duration) -> HttpLog {
    logs_for(px, port, 1, timeout).remove(0)
}

/// Waits for `n` httplog lines of client port `port`, parsed, in order.
pub fn logs_for(
    px: &crate::Proxy,
    port: u16,
    n: usize,
    timeout: std::time::Duration,
) -> Vec<HttpLog> {
    let key = format!(":{port} [");
    px.wait_logs(n, |l| l.contains(&key), timeout)
        .iter()
        .map(|l| parse(l).unwrap_or_else(|e| panic!("bad httplog line {l:?}: {e}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_haproxy_samples() {
        let l = parse("127.0.0.1:53592 [26/Nov/2026:10:54:03.525] fe_http be_app/s2 0/0/0/6/6 200 185 - - ---- 1/1/0/0/0 0/0 \"GET /index.html HTTP/1.1\"").unwrap();
        assert_eq!(l.server, "s2");
        assert_eq!(l.status, 200);
        assert_eq!(l.bytes, 185);
        assert_eq!(l.term, "----");
        assert_eq!(l.req_captures, None);
        assert_eq!(l.request, "GET /index.html HTTP/1.1");
        let l = parse("127.0.0.1:45358 [26/Nov/2026:11:00:38.596] fe refused/r1 0/0/-1/-1/2003 503 217 - - SC-- 1/1/0/0/2 0/0 {127.0.0.1:23510} \"GET /refused HTTP/1.1\"").unwrap();
        assert_eq!(l.t_connect, -1);
        assert_eq!(l.retries, 2);
        assert_eq!(l.req_captures, Some(vec!["127.0.0.1:23510".to_string()]));
        assert_eq!(l.ts(), "SC");
        let l = parse("127.0.0.1:45386 [26/Nov/2026:11:00:42.619] fe fe/<NOSRV> -1/-1/-1/-1/0 400 0 - - CR-- 1/1/0/0/0 0/0 \"<BADREQ>\"").unwrap();
        assert_eq!(l.request, "<BADREQ>");
        assert_eq!(l.t_request, -1);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            // tcplog shape
            "127.0.0.1:57230 [26/Nov/2026:10:54:03.555] fe be/s 1/0/0 357 -- 1/1/0/0/0 0/0",
            // 4 timers
            "127.0.0.1:1 [26/Nov/2026:10:54:03.555] fe be/s 0/0/0/0 200 1 - - ---- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"",
            // 2-char termination
            "127.0.0.1:1 [26/Nov/2026:10:54:03.555] fe be/s 0/0/0/0/0 200 1 - - -- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"",
            // unquoted request
            "127.0.0.1:1 [26/Nov/2026:10:54:03.555] fe be/s 0/0/0/0/0 200 1 - - ---- 1/1/0/0/0 0/0 GET / HTTP/1.1",
            // unclosed capture
            "127.0.0.1:1 [26/Nov/2026:10:54:03.555] fe be/s 0/0/0/0/0 200 1 - - ---- 1/1/0/0/0 0/0 {x \"GET / HTTP/1.1\"",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
