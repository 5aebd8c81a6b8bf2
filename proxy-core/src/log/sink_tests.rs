//! Tests of [`super`]: framing bytes, truncation, severity filtering, and
//! delivery through real UDP and unix datagram sockets.

use super::*;
use crate::config::model::Location;
use crate::log::date::days_from_civil;
use std::time::{Duration, UNIX_EPOCH};

const CAPTURED: &str = "127.0.0.1:59046 [26/Nov/2026:11:01:07.736] fe fe/<NOSRV> 0/-1/-1/-1/0 200 73 - - LR-- 1/1/0/0/0 0/0 \"GET /x?y=1 HTTP/1.1\"";

fn captured_time() -> SystemTime {
    let secs = days_from_civil(2026, 11, 26) as u64 * 86_400 + 11 * 3600 + 60 + 7;
    UNIX_EPOCH + Duration::from_millis(secs * 1000 + 736)
}

fn target(dest: LogDest, format: LogFormat, level: u8, max_len: usize) -> LogTarget {
    LogTarget {
        dest,
        max_len,
        format,
        facility: 16,
        level,
        loc: Location {
            file: "test.cfg".to_string(),
            line: 1,
        },
    }
}

/// Framing of a stream target (the newline counts in `max_len`).
fn framed(format: LogFormat, severity: u8, max_len: usize, line: &str) -> Vec<u8> {
    let f = Framing {
        format,
        facility: 16,
        max_len,
        newline_in_len: true,
    };
    let mut out = Vec::new();
    f.frame("haproxy", 15482, severity, captured_time(), line, &mut out);
    out
}

/// A UDP receiver on loopback with a timeout so a missing datagram fails
/// the test instead of hanging it.
fn receiver() -> (UdpSocket, SocketAddr) {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let addr = rx.local_addr().unwrap();
    (rx, addr)
}

fn recv(rx: &UdpSocket) -> String {
    let mut buf = [0u8; 4096];
    let n = rx.recv(&mut buf).unwrap();
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

#[test]
fn rfc3164_matches_captured_datagram() {
    let got = framed(LogFormat::Rfc3164, SEVERITY_INFO, 1024, CAPTURED);
    let want = format!("<134>Nov 26 11:01:07 haproxy[15482]: {CAPTURED}\n");
    assert_eq!(String::from_utf8(got).unwrap(), want);
}

#[test]
fn short_and_raw() {
    let got = framed(LogFormat::Short, 3, 1024, "hello");
    assert_eq!(got, b"<3>hello\n");
    let got = framed(LogFormat::Raw, 6, 1024, "hello\n");
    assert_eq!(got, b"hello\n");
}

#[test]
fn truncation_counts_header_and_newline() {
    let line = "x".repeat(100);
    let got = framed(LogFormat::Rfc3164, 6, 50, &line);
    assert_eq!(got.len(), 50);
    assert!(got.starts_with(b"<134>Nov 26 11:01:07 haproxy[15482]: xxx"));
    assert_eq!(got.last(), Some(&b'\n'));
    let got = framed(LogFormat::Raw, 6, 10, &line);
    assert_eq!(got, b"xxxxxxxxx\n");
    // Too short for the header: still bounded, still a line.
    let got = framed(LogFormat::Rfc3164, 6, 4, &line);
    assert_eq!(got, b"<13\n");
    // Default length when unset.
    let t = target(LogDest::Stdout, LogFormat::Raw, 7, 0);
    assert_eq!(Framing::of(&t).max_len, DEFAULT_MAX_LEN);
    assert!(Framing::of(&t).newline_in_len);
}

#[test]
fn datagram_truncation_appends_newline_beyond_len() {
    let (rx, addr) = receiver();
    let t = target(LogDest::Udp(addr), LogFormat::Rfc3164, 7, 40);
    assert!(!Framing::of(&t).newline_in_len);
    let sinks = LogSinks::new(vec![vec![t]], "haproxy", 15482).unwrap();
    sinks.send_at(0, 6, &"y".repeat(100), captured_time());
    let got = recv(&rx);
    assert_eq!(got.len(), 41);
    assert_eq!(got, "<134>Nov 26 11:01:07 haproxy[15482]: yyy\n");
}

#[test]
fn udp_delivery_with_syslog_framing() {
    let (rx, addr) = receiver();
    let t = target(LogDest::Udp(addr), LogFormat::Rfc3164, 7, 1024);
    let sinks = LogSinks::new(vec![vec![], vec![t]], "proxy", 15482).unwrap();
    sinks.send_at(1, SEVERITY_INFO, CAPTURED, captured_time());
    assert_eq!(
        recv(&rx),
        format!("<134>Nov 26 11:01:07 proxy[15482]: {CAPTURED}\n")
    );
    assert_eq!(sinks.dropped(), 0);
}

#[test]
fn severity_filtering() {
    let (rx, addr) = receiver();
    // level 3 = err: info (6) lines are filtered, err and worse pass.
    let t = target(LogDest::Udp(addr), LogFormat::Raw, 3, 1024);
    let sinks = LogSinks::new(vec![vec![t]], "proxy", 1).unwrap();
    assert!(!sinks.wants(0, 6));
    assert!(sinks.wants(0, 3));
    assert!(!sinks.wants(5, 0));
    sinks.send(0, 6, "filtered");
    sinks.send(0, 3, "err line");
    sinks.send(0, 0, "emerg line");
    // Datagrams on loopback arrive in order: the first one received must be
    // the first line that passed the filter.
    assert_eq!(recv(&rx), "err line\n");
    assert_eq!(recv(&rx), "emerg line\n");
}

#[test]
fn several_targets_share_one_socket_and_all_receive() {
    let (rx1, a1) = receiver();
    let (rx2, a2) = receiver();
    let sinks = LogSinks::new(
        vec![
            vec![target(LogDest::Udp(a1), LogFormat::Short, 7, 1024)],
            vec![
                target(LogDest::Udp(a1), LogFormat::Raw, 7, 1024),
                target(LogDest::Udp(a2), LogFormat::Raw, 7, 8),
            ],
        ],
        "proxy",
        1,
    )
    .unwrap();
    sinks.send(1, 6, "to both");
    assert_eq!(recv(&rx1), "to both\n");
    assert_eq!(recv(&rx2), "to both\n");
    sinks.send(0, 6, "p0");
    assert_eq!(recv(&rx1), "<6>p0\n");
}

#[test]
fn unknown_proxy_and_empty_sinks_are_ignored() {
    let sinks = LogSinks::default();
    sinks.send(0, 6, "nowhere");
    sinks.send(usize::MAX, 0, "nowhere");
    assert_eq!(sinks.dropped(), 0);
}

#[test]
fn unix_datagram_delivery_and_missing_path() {
    let dir = std::env::temp_dir().join(format!("proxy-log-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("log.sock");
    let _ = std::fs::remove_file(&path);
    let rx = UnixDatagram::bind(&path).unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let sinks = LogSinks::new(
        vec![vec![
            target(LogDest::Unix(path.clone()), LogFormat::Rfc3164, 7, 1024),
            target(
                LogDest::Unix(dir.join("absent.sock")),
                LogFormat::Raw,
                7,
                1024,
            ),
        ]],
        "proxy",
        42,
    )
    .unwrap();
    sinks.send_at(0, 6, "via unix", captured_time());
    let mut buf = [0u8; 512];
    let n = rx.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"<134>Nov 26 11:01:07 proxy[42]: via unix\n");
    // The absent socket lost its copy, without error or panic.
    assert_eq!(sinks.dropped(), 1);
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir(&dir);
}
