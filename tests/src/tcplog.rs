//! A strict parser for HAProxy's TCP log line (`option tcplog`):
//!
//! `%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq`
//!
//! e.g. `127.0.0.1:57230 [26/Nov/2026:10:54:03.555] fe be/s1 1/0/12 357 -- 1/1/0/0/0 0/0`.
//! Every field is checked for its exact shape (what a regex would check),
//! and the values are returned for the tests to compare.

use std::fmt;

/// One parsed tcplog line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpLog {
    pub client_ip: String,
    pub client_port: u16,
    /// `dd/Mmm/yyyy:HH:MM:SS.mmm`
    pub accept_date: String,
    pub frontend: String,
    pub backend: String,
    pub server: String,
    /// Queue time (ms), -1 if never queued/connected.
    pub tw: i64,
    /// Connect time (ms), -1 if not connected.
    pub tc: i64,
    /// Total time (ms).
    pub tt: i64,
    pub bytes: u64,
    /// Two-char termination state, e.g. `--`, `SC`, `cD`.
    pub term: String,
    pub actconn: u64,
    pub feconn: u64,
    pub beconn: u64,
    pub srvconn: u64,
    pub retries: u64,
    /// The retries field had a `+` prefix (redispatch happened).
    pub redispatched: bool,
    pub srv_queue: u64,
    pub be_queue: u64,
    /// The line itself.
    pub raw: String,
}

impl fmt::Display for TcpLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks `dd/Mmm/yyyy:HH:MM:SS.mmm`.
pub fn is_log_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && digits(&s[0..2], 2)
        && b[2] == b'/'
        && MONTHS.contains(&&s[3..6])
        && b[6] == b'/'
        && digits(&s[7..11], 4)
        && b[11] == b':'
        && digits(&s[12..14], 2)
        && b[14] == b':'
        && digits(&s[15..17], 2)
        && b[17] == b':'
        && digits(&s[18..20], 2)
        && b[20] == b'.'
        && digits(&s[21..24], 3)
}

pub(crate) fn uint(s: &str, what: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what}: expected an unsigned integer, got {s:?}"));
    }
    s.parse().map_err(|e| format!("{what}: {e}"))
}

pub(crate) fn timer(s: &str, what: &str) -> Result<i64, String> {
    if s == "-1" {
        return Ok(-1);
    }
    Ok(uint(s, what)? as i64)
}

pub(crate) fn name(s: &str, what: &str) -> Result<String, String> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(format!("{what}: bad name {s:?}"));
    }
    Ok(s.to_string())
}

pub(crate) fn split_n<'a>(
    s: &'a str,
    sep: char,
    n: usize,
    what: &str,
) -> Result<Vec<&'a str>, String> {
    let v: Vec<&str> = s.split(sep).collect();
    if v.len() != n {
        return Err(format!(
            "{what}: expected {n} parts separated by {sep:?} in {s:?}"
        ));
    }
    Ok(v)
}

/// Parses one tcplog line (without a syslog header).
pub fn parse(line: &str) -> Result<TcpLog, String> {
    let raw = line.trim_end_matches(['\n', '\r']).to_string();
    let w: Vec<&str> = raw.split(' ').collect();
    if w.len() != 9 {
        return Err(format!(
            "expected 9 space-separated fields, got {}: {raw:?}",
            w.len()
        ));
    }
    let (ip, port) = w[0]
        .rsplit_once(':')
        .ok_or_else(|| format!("client: no ':' in {:?}", w[0]))?;
    if ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("client ip: {ip:?}"));
    }
    let client_port = uint(port, "client port")?;
    let date = w[1]
        .strip_prefix('[')
        .and_then(|d| d.strip_suffix(']'))
        .ok_or_else(|| format!("date: not in brackets: {:?}", w[1]))?;
    if !is_log_date(date) {
        return Err(format!("date: bad format {date:?}"));
    }
    let frontend = name(w[2], "frontend")?;
    let bs = split_n(w[3], '/', 2, "backend/server")?;
    let backend = name(bs[0], "backend")?;
    let server = name(bs[1], "server")?;
    let t = split_n(w[4], '/', 3, "Tw/Tc/Tt")?;
    let tw = timer(t[0], "Tw")?;
    let tc = timer(t[1], "Tc")?;
    let tt = timer(t[2].trim_start_matches('+'), "Tt")?;
    let bytes = uint(w[5].trim_start_matches('+'), "bytes")?;
    let term = w[6];
    let tb = term.as_bytes();
    if tb.len() != 2 || !b"-LcCsSPRIDKUI".contains(&tb[0]) || !b"-RCHDLQT".contains(&tb[1]) {
        return Err(format!("termination state: bad {term:?}"));
    }
    let c = split_n(w[7], '/', 5, "ac/fc/bc/sc/rc")?;
    let (redispatched, rc) = match c[4].strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, c[4]),
    };
    let q = split_n(w[8], '/', 2, "sq/bq")?;
    Ok(TcpLog {
        client_ip: ip.to_string(),
        client_port: u16::try_from(client_port).map_err(|e| format!("client port: {e}"))?,
        accept_date: date.to_string(),
        frontend,
        backend,
        server,
        tw,
        tc,
        tt,
        bytes,
        term: term.to_string(),
        actconn: uint(c[0], "actconn")?,
        feconn: uint(c[1], "feconn")?,
        beconn: uint(c[2], "beconn")?,
        srvconn: uint(c[3], "srvconn")?,
        retries: uint(rc, "retries")?,
        redispatched,
        srv_queue: uint(q[0], "srv_queue")?,
        be_queue: uint(q[1], "be_queue")?,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_haproxy_samples() {
        let l = parse("127.0.0.1:57230 [26/Nov/2026:10:54:03.555] fe_tcp be_tcp/t1 1/0/0 357 -- 1/1/0/0/0 0/0").unwrap();
        assert_eq!(l.frontend, "fe_tcp");
        assert_eq!(l.server, "t1");
        assert_eq!(l.bytes, 357);
        assert_eq!(l.term, "--");
        let l = parse(
            "127.0.0.1:45882 [26/Nov/2026:11:01:07.740] ft ft/<NOSRV> -1/-1/0 0 PR 1/1/0/0/+1 0/0",
        )
        .unwrap();
        assert_eq!(l.server, "<NOSRV>");
        assert_eq!(l.tw, -1);
        assert!(l.redispatched);
        assert_eq!(l.retries, 1);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "127.0.0.1:57230 [26/Nov/2026:10:54:03] fe be/s 1/0/0 357 -- 1/1/0/0/0 0/0",
            "127.0.0.1:57230 [26/Nov/2026:10:54:03.555] fe be/s 1/0 357 -- 1/1/0/0/0 0/0",
            "127.0.0.1:57230 [26/Nov/2026:10:54:03.555] fe be/s 1/0/0 357 X- 1/1/0/0/0 0/0",
            "127.0.0.1:57230 [26/Nov/2026:10:54:03.555] fe be/s 1/0/0 357 -- 1/1/0/0 0/0",
            "127.0.0.1:57230 [26/Nov/2026:10:54:03.555] fe be/s 1/0/0 357 -- 1/1/0/0/0 0/0 x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
