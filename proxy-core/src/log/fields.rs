//! Pieces shared by the tcplog and httplog lines: the client address, the
//! connection counters block, timers and the `#XX` escaping of captured text.

use std::fmt;
#[cfg(test)]
use std::fmt::Write as _;
use std::net::SocketAddr;

/// Who the client is, as `%ci:%cp` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAddr {
    /// An IP client: `127.0.0.1:57230`, and IPv6 without brackets, `::1:57230`,
    /// which is what HAProxy prints (ambiguous, but log parsers expect it).
    Inet(SocketAddr),
    /// A client on a unix-socket listener: there is no address, so the IP
    /// part is `unix` and the port part is the listener's numeric id.
    Unix { listener_id: u32 },
    /// Unknown family (e.g. an abstract socket or a closed connection).
    Unknown,
}

impl fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Print the bare IP then the port; `SocketAddr`'s own Display would
            // bracket IPv6 addresses.
            ClientAddr::Inet(sa) => write!(f, "{}:{}", sa.ip(), sa.port()),
            ClientAddr::Unix { listener_id } => write!(f, "unix:{listener_id}"),
            ClientAddr::Unknown => f.write_str("-:-"),
        }
    }
}

impl From<SocketAddr> for ClientAddr {
    fn from(sa: SocketAddr) -> Self {
        ClientAddr::Inet(sa)
    }
}

/// `%ac/%fc/%bc/%sc/%rc %sq/%bq`: load figures taken when the line is built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogCounters {
    /// Connections in the whole process.
    pub actconn: u32,
    /// Connections on the frontend.
    pub feconn: u32,
    /// Connections on the backend.
    pub beconn: u32,
    /// Connections on the server.
    pub srv_conn: u32,
    /// Connection retries.
    pub retries: u32,
    /// The stream was redispatched to another server; prints `+N`.
    pub redispatched: bool,
    /// Streams queued on the server when this one left its queue.
    pub srv_queue: u32,
    /// Streams queued on the backend.
    pub be_queue: u32,
}

#[cfg(test)]
impl LogCounters {
    pub(crate) fn write(&self, out: &mut String) {
        let plus = if self.redispatched { "+" } else { "" };
        let _ = write!(
            out,
            "{}/{}/{}/{}/{}{} {}/{}",
            self.actconn,
            self.feconn,
            self.beconn,
            self.srv_conn,
            plus,
            self.retries,
            self.srv_queue,
            self.be_queue
        );
    }
}

/// A timer in ms, `-1` meaning "never reached"; `logasap` marks a value that
/// is still growing because the line was emitted before the end.
#[cfg(test)]
pub(crate) fn write_timer(out: &mut String, ms: i64, logasap: bool) {
    if logasap {
        out.push('+');
    }
    let _ = write!(out, "{ms}");
}

/// Which bytes are replaced by `#XX` in a logged field.
#[cfg(test)]
#[derive(Clone, Copy)]
pub(crate) enum Escape {
    /// Captured headers and cookies: also `"`, `#`, `{`, `|`, `}`, which
    /// would otherwise break the `{a|b}` block or the quoted request.
    Header,
    /// The request line: only `"` and `#` besides non-printables, so that the
    /// quoted field stays one field.
    Url,
}

/// Appends `raw`, replacing control bytes, DEL, non-ASCII and the `esc`
/// set with `#` and two upper-case hex digits, so a log line stays one line
/// of printable ASCII whatever a client sent.
#[cfg(test)]
pub(crate) fn write_escaped(out: &mut String, raw: &[u8], esc: Escape) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in raw {
        let special = match esc {
            Escape::Header => matches!(b, b'"' | b'#' | b'{' | b'|' | b'}'),
            Escape::Url => matches!(b, b'"' | b'#'),
        };
        if special || !(0x20..0x7f).contains(&b) {
            out.push('#');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        } else {
            out.push(char::from(b));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_addresses() {
        let v4: SocketAddr = "127.0.0.1:57230".parse().unwrap();
        let v6: SocketAddr = "[::1]:8080".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:10.0.0.1]:9".parse().unwrap();
        assert_eq!(ClientAddr::from(v4).to_string(), "127.0.0.1:57230");
        assert_eq!(ClientAddr::from(v6).to_string(), "::1:8080");
        assert_eq!(ClientAddr::from(mapped).to_string(), "::ffff:10.0.0.1:9");
        assert_eq!(ClientAddr::Unix { listener_id: 1 }.to_string(), "unix:1");
        assert_eq!(ClientAddr::Unknown.to_string(), "-:-");
    }

    #[test]
    fn counters_and_redispatch() {
        let mut c = LogCounters {
            actconn: 1,
            feconn: 1,
            retries: 2,
            ..Default::default()
        };
        let mut s = String::new();
        c.write(&mut s);
        assert_eq!(s, "1/1/0/0/2 0/0");
        c.redispatched = true;
        c.srv_queue = 3;
        s.clear();
        c.write(&mut s);
        assert_eq!(s, "1/1/0/0/+2 3/0");
    }

    #[test]
    fn escaping() {
        let mut s = String::new();
        write_escaped(&mut s, b"a{b|c}\"#\x01\x7f\xc3 z", Escape::Header);
        assert_eq!(s, "a#7Bb#7Cc#7D#22#23#01#7F#C3 z");
        s.clear();
        write_escaped(&mut s, b"GET /a{b}?\"x\"#f HTTP/1.1\r", Escape::Url);
        assert_eq!(s, "GET /a{b}?#22x#22#23f HTTP/1.1#0D");
    }
}
