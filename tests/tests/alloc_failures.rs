//! Allocation failures (`tune.fail-alloc`, ours: HAProxy's needs a debug
//! build) are accounted like any other error: every HTTP client gets an
//! answer (the 500 needs nothing allocated), every answer is logged with
//! its termination code (`RR--` when the proxy itself ran short) and
//! counted in `show stat`, refused connections show in `show info` and
//! `show pools`, and the pools return to their baseline once idle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use tests::http::{http_defaults, Origin, Reply};
use tests::httplog::log_for;
use tests::{is_haproxy, BoundPort, Proxy, TempDir};

const T: Duration = Duration::from_secs(5);

/// One CLI command; with allocations failing on purpose the session
/// itself may be refused (closed without a word), so it is tried again.
fn cli(sock: &Path, cmd: &str) -> String {
    for _ in 0..200 {
        let Ok(mut s) = UnixStream::connect(sock) else {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        s.set_read_timeout(Some(T)).unwrap();
        if s.write_all(format!("{cmd}\n").as_bytes()).is_err() {
            continue;
        }
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        if !out.is_empty() {
            return out;
        }
    }
    panic!("no answer to {cmd:?}");
}

/// The value of `field` in the `show stat` row `px,sv`.
fn stat(csv: &str, row: &str, field: &str) -> u64 {
    let header: Vec<&str> = csv
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let col = header.iter().position(|h| *h == field).unwrap();
    let line = csv
        .lines()
        .find(|l| l.starts_with(row))
        .unwrap_or_else(|| panic!("{row}:\n{csv}"));
    line.split(',').nth(col).unwrap().parse().unwrap_or(0)
}

/// One request on its own connection: the status of the answer, or 0 if
/// the connection closed without one.
fn request(port: u16, n: usize) -> (u16, u16) {
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let cport = c.local_addr().unwrap().port();
    c.set_read_timeout(Some(T)).unwrap();
    let _ = c
        .write_all(format!("GET /{n} HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n").as_bytes());
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    let status = std::str::from_utf8(got.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (cport, status)
}

#[test]
fn every_request_refused_for_want_of_memory_is_answered_logged_and_counted() {
    if is_haproxy() {
        return; // HAProxy's tune.fail-alloc needs a debug build
    }
    let o = Origin::start(|_| Reply::ok(b"fine"));
    let dir = TempDir::new();
    let sock = dir.path().join("admin.sock");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = http_defaults().replacen(
        "global\n",
        &format!(
            "global\n    tune.fail-alloc 20\n    stats socket {} level admin\n",
            sock.display()
        ),
        1,
    ) + &format!(
        "frontend fe\n    bind {fe}\n    default_backend be\n\
         backend be\n    server s1 127.0.0.1:{}\n",
        o.port
    );
    let px = Proxy::start_with(&cfg, &[&fe]);
    let (mut ok, mut refused, mut no_server) = (0u64, 0u64, 0u64);
    for n in 0..150 {
        let (cport, status) = request(port, n);
        assert_ne!(status, 0, "request {n} closed without an answer");
        let l = log_for(&px, cport, T);
        assert_eq!(l.status, i32::from(status), "{l}");
        match status {
            200 => ok += 1,
            // The client's own connection or stream could not be made.
            500 => {
                assert_eq!(l.term, "RR--", "{l}");
                assert_eq!(l.request, "<BADREQ>", "{l}");
                refused += 1;
            }
            // The server side could not be allocated.
            503 => {
                assert_eq!(l.term, "RC--", "{l}");
                no_server += 1;
            }
            s => panic!("unexpected status {s}: {l}"),
        }
    }
    // (The server side is retried on allocation failure like a failed
    // connect, so a 503 is rare; it is accepted and checked when it comes.)
    assert!(ok > 0 && refused > 0, "{ok} {refused} {no_server}");

    let csv = cli(&sock, "show stat");
    assert_eq!(
        stat(&csv, "fe,FRONTEND,", "hrsp_5xx"),
        refused + no_server,
        "{csv}"
    );
    assert_eq!(stat(&csv, "fe,FRONTEND,", "hrsp_2xx"), ok, "{csv}");
    assert_eq!(stat(&csv, "fe,FRONTEND,", "ereq"), refused, "{csv}");
    let info = cli(&sock, "show info");
    let failed: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("PoolFailed: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{info}"));
    assert!(failed >= refused + no_server, "PoolFailed {failed}");

    // Once idle, only the CLI's own session holds objects, plus the one
    // idle server connection kept for the next request to s1.
    let deadline = Instant::now() + T;
    loop {
        let pools = cli(&sock, "show pools");
        let used = |name: &str| {
            pools
                .lines()
                .filter_map(tests::pools::parse_line)
                .find(|p| p.name == name)
                .map_or(usize::MAX, |p| p.used)
        };
        if used("connection") <= 2 && used("stream") <= 1 && used("buffer") <= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pools not back to baseline:\n{pools}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
