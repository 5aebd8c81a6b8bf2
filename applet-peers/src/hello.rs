//! The text handshake that opens a peers session.
//!
//! The connecting side sends three lines in one write:
//!
//! ```text
//! HAProxyS 2.1\n
//! <name of the peer connected to>\n
//! <own name> <pid> 1\n
//! ```
//!
//! (`2.0` instead of `2.1` once the peer is flagged "downgrade": it answered
//! 502 to a 2.1 hello, or sent a 2.0 hello itself.) The accepting side checks
//! each line as it arrives and answers one status line:
//!
//! | code | when |
//! |---|---|
//! | 200 | accepted; binary messages follow |
//! | 300 | the hello names the local peer, which already has a session (reload) |
//! | 501 | line 1 does not start with `HAProxyS `, or line 3 has no space |
//! | 502 | version not `<int>.<int>`, major not 2, or minor above 1 |
//! | 503 | line 2 is not this process's local peer name |
//! | 504 | line 3's first word is not a peer of the section |
//!
//! A trailing `\r` is stripped from each line. A line longer than the buffer
//! (16384 bytes) closes the session without a status. The connector reads
//! the status with C's `atoi()`: anything unparsable is 0.

/// Protocol name on the first line.
pub const PROTO_NAME: &str = "HAProxyS";
/// Protocol version spoken.
pub const MAJOR: u32 = 2;
pub const MINOR: u32 = 1;
/// Minor version announced to a downgraded peer.
pub const DOWNGRADE_MINOR: u32 = 0;
/// Longest line read (HAProxy's buffer size).
pub const MAX_LINE: usize = 16384;

/// Session status codes (sent ones and the internal ones `show peers`
/// prints).
pub mod status {
    /// Never tried.
    pub const NONE: u32 = 0;
    /// Connect in progress.
    pub const CONNECT: u32 = 100;
    /// TCP connected, hello sent.
    pub const CONNECTED: u32 = 110;
    pub const SUCCESS: u32 = 200;
    pub const TRY_AGAIN: u32 = 300;
    pub const ERR_PROTO: u32 = 501;
    pub const ERR_VERSION: u32 = 502;
    pub const ERR_HOST: u32 = 503;
    pub const ERR_PEER: u32 = 504;

    /// The 4-letter name `show peers` prints for a code.
    pub fn name(code: u32) -> &'static str {
        match code {
            CONNECT => "CONN",
            CONNECTED => "HSHK",
            SUCCESS => "ESTA",
            TRY_AGAIN => "RETR",
            ERR_PROTO => "PROT",
            ERR_VERSION => "VERS",
            ERR_HOST => "NAME",
            ERR_PEER => "UNKN",
            _ => "NONE",
        }
    }
}

/// The connector's hello for peer `remote`, from `local`.
pub fn build_hello(remote: &str, local: &str, pid: u32, downgrade: bool) -> Vec<u8> {
    let minor = if downgrade { DOWNGRADE_MINOR } else { MINOR };
    format!("{PROTO_NAME} {MAJOR}.{minor}\n{remote}\n{local} {pid} 1\n").into_bytes()
}

/// A status line (`200\n`).
pub fn status_line(code: u32) -> Vec<u8> {
    format!("{code}\n").into_bytes()
}

/// A handshake line longer than [`MAX_LINE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong;

/// Takes one line from the front of `buf`: `Ok(Some(line))` without its
/// `\n` (and `\r`), `Ok(None)` if incomplete, `Err` if longer than
/// [`MAX_LINE`] (the session then ends).
pub fn take_line(buf: &mut Vec<u8>) -> Result<Option<Vec<u8>>, LineTooLong> {
    match buf.iter().take(MAX_LINE).position(|&b| b == b'\n') {
        Some(i) => {
            let mut line: Vec<u8> = buf.drain(..=i).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            Ok(Some(line))
        }
        None if buf.len() >= MAX_LINE => Err(LineTooLong),
        None => Ok(None),
    }
}

/// C's `atoi()` on a status line.
pub fn parse_status(line: &[u8]) -> u32 {
    let s = String::from_utf8_lossy(line);
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let v = digits[..end].parse::<i64>().unwrap_or(0);
    let v = if neg { -v } else { v };
    v as i32 as u32
}

/// Checks line 1; returns the announced (major, minor).
pub fn check_version(line: &[u8]) -> Result<(u32, u32), u32> {
    let prefix = format!("{PROTO_NAME} ");
    let rest = line
        .strip_prefix(prefix.as_bytes())
        .ok_or(status::ERR_PROTO)?;
    let (maj, min) = parse_version(rest).ok_or(status::ERR_VERSION)?;
    if maj != MAJOR || min > MINOR {
        return Err(status::ERR_VERSION);
    }
    Ok((maj, min))
}

/// `<uint>.<uint>` exactly (HAProxy's `peer_get_version`).
fn parse_version(s: &[u8]) -> Option<(u32, u32)> {
    let dot = s.iter().position(|&b| b == b'.')?;
    let num = |d: &[u8]| -> Option<u32> {
        if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        // read_uint saturates; any huge value fails the later checks anyway
        Some(
            std::str::from_utf8(d)
                .ok()?
                .parse::<u64>()
                .map_or(u32::MAX, |v| v.min(u64::from(u32::MAX)) as u32),
        )
    };
    Some((num(&s[..dot])?, num(&s[dot + 1..])?))
}

/// Checks line 2 against the local peer name.
pub fn check_host(line: &[u8], local: &str) -> Result<(), u32> {
    if line == local.as_bytes() {
        Ok(())
    } else {
        Err(status::ERR_HOST)
    }
}

/// Checks line 3 (`<name> <pid> <relative pid>`): returns the peer name if
/// `known` knows it.
pub fn check_peer(line: &[u8], known: impl Fn(&str) -> bool) -> Result<String, u32> {
    let sp = line
        .iter()
        .position(|&b| b == b' ')
        .ok_or(status::ERR_PROTO)?;
    let name = String::from_utf8_lossy(&line[..sp]).into_owned();
    if known(&name) {
        Ok(name)
    } else {
        Err(status::ERR_PEER)
    }
}

/// Where the accepting side is in the hello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Version,
    Host,
    Peer,
}

/// What the acceptor concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hello {
    /// All three lines are valid: the named peer, and the minor version it
    /// announced. The caller answers 200 or 300.
    Valid { peer: String, minor: u32 },
    /// Answer this status and close.
    Reject(u32),
    /// Close without a status (overlong line).
    Close,
}

/// The accepting side's line-by-line hello check.
#[derive(Debug, Clone)]
pub struct HelloAcceptor {
    step: Step,
    minor: u32,
}

impl Default for HelloAcceptor {
    fn default() -> Self {
        HelloAcceptor {
            step: Step::Version,
            minor: MINOR,
        }
    }
}

impl HelloAcceptor {
    pub fn new() -> HelloAcceptor {
        HelloAcceptor::default()
    }

    /// Consumes complete lines from `buf`; `None` until a decision.
    pub fn feed(
        &mut self,
        buf: &mut Vec<u8>,
        local: &str,
        known: impl Fn(&str) -> bool,
    ) -> Option<Hello> {
        loop {
            let line = match take_line(buf) {
                Ok(Some(l)) => l,
                Ok(None) => return None,
                Err(LineTooLong) => return Some(Hello::Close),
            };
            match self.step {
                Step::Version => match check_version(&line) {
                    Ok((_, min)) => {
                        self.minor = min;
                        self.step = Step::Host;
                    }
                    Err(code) => return Some(Hello::Reject(code)),
                },
                Step::Host => match check_host(&line, local) {
                    Ok(()) => self.step = Step::Peer,
                    Err(code) => return Some(Hello::Reject(code)),
                },
                Step::Peer => {
                    return Some(match check_peer(&line, &known) {
                        Ok(peer) => Hello::Valid {
                            peer,
                            minor: self.minor,
                        },
                        Err(code) => Hello::Reject(code),
                    })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(input: &[u8]) -> Option<Hello> {
        let mut buf = input.to_vec();
        HelloAcceptor::new().feed(&mut buf, "hapB", |n| n == "hapA" || n == "hapB")
    }

    #[test]
    fn captured_hello() {
        assert_eq!(
            build_hello("pyB", "hapA", 19694, false),
            b"HAProxyS 2.1\npyB\nhapA 19694 1\n"
        );
        assert_eq!(
            build_hello("pyB", "hapA", 1, true),
            b"HAProxyS 2.0\npyB\nhapA 1 1\n"
        );
        assert_eq!(status_line(200), b"200\n");
    }

    #[test]
    fn status_codes() {
        let v = |peer: &str, minor| {
            Some(Hello::Valid {
                peer: peer.into(),
                minor,
            })
        };
        assert_eq!(accept(b"HAProxyS 2.1\nhapB\nhapA 123 1\n"), v("hapA", 1));
        assert_eq!(accept(b"HAProxyS 2.0\nhapB\nhapA 123 1\n"), v("hapA", 0));
        assert_eq!(
            accept(b"HAProxyS 2.1\r\nhapB\r\nhapA 1 1\r\n"),
            v("hapA", 1)
        );
        assert_eq!(accept(b"HAProxyS 2.1\nhapB\nhapB 1 1\n"), v("hapB", 1));
        assert_eq!(accept(b"HAProxyX 2.1\n"), Some(Hello::Reject(501)));
        assert_eq!(accept(b"HAProxyS2.1\n"), Some(Hello::Reject(501)));
        assert_eq!(
            accept(b"HAProxyS 2.1\nhapB\nhapA\n"),
            Some(Hello::Reject(501))
        );
        assert_eq!(accept(b"HAProxyS 3.0\n"), Some(Hello::Reject(502)));
        assert_eq!(accept(b"HAProxyS 2.2\n"), Some(Hello::Reject(502)));
        assert_eq!(accept(b"HAProxyS 2\n"), Some(Hello::Reject(502)));
        assert_eq!(accept(b"HAProxyS 2.1x\n"), Some(Hello::Reject(502)));
        assert_eq!(accept(b"HAProxyS -2.1\n"), Some(Hello::Reject(502)));
        assert_eq!(accept(b"HAProxyS 2.1\nhapC\n"), Some(Hello::Reject(503)));
        assert_eq!(
            accept(b"HAProxyS 2.1\nhapB\nhapZ 1 1\n"),
            Some(Hello::Reject(504))
        );
    }

    #[test]
    fn incremental_and_early_decisions() {
        let mut a = HelloAcceptor::new();
        let mut buf = b"HAProxyS 2.1\nha".to_vec();
        let known = |n: &str| n == "hapA";
        assert_eq!(a.feed(&mut buf, "hapB", known), None);
        buf.extend_from_slice(b"pB\nhapA 9");
        assert_eq!(a.feed(&mut buf, "hapB", known), None);
        buf.extend_from_slice(b" 1\n\x0a\x82");
        assert_eq!(
            a.feed(&mut buf, "hapB", known),
            Some(Hello::Valid {
                peer: "hapA".into(),
                minor: 1
            })
        );
        assert_eq!(buf, b"\x0a\x82", "binary data after the hello stays");
        // a bad first line is answered without waiting for the others
        assert_eq!(accept(b"HAProxyS 9.9\n"), Some(Hello::Reject(502)));
        assert_eq!(accept(b"HAProxyS 2.1"), None);
        let mut long = vec![b'x'; MAX_LINE];
        assert_eq!(
            HelloAcceptor::new().feed(&mut long, "b", |_| true),
            Some(Hello::Close)
        );
    }

    #[test]
    fn status_parsing() {
        assert_eq!(parse_status(b"200"), 200);
        assert_eq!(parse_status(b" 502 x"), 502);
        assert_eq!(parse_status(b""), 0);
        assert_eq!(parse_status(b"abc"), 0);
        assert_eq!(parse_status(b"+300"), 300);
        let mut b = b"200\r\n\x00\x00".to_vec();
        assert_eq!(take_line(&mut b), Ok(Some(b"200".to_vec())));
        assert_eq!(b, [0, 0]);
        assert_eq!(status::name(200), "ESTA");
        assert_eq!(status::name(504), "UNKN");
        assert_eq!(status::name(7), "NONE");
    }
}
