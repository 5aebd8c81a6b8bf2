//! A panicking or failing applet ends its own stream only: 500 when
//! nothing was sent yet, `IC--` in the log, the failure counted per
//! service (the warning line carries the service's running total), and
//! every other stream keeps being served, under load, with the pool
//! counters back to their baseline afterwards.
//!
//! Fixtures (examples/applets/panicky, loaded from the binary's
//! directory): `panic` panics in `on_io`, `panic-init` in its
//! constructor, `panic-release` answers nothing and panics in `release`
//! and in `Drop`; `too-long`, `too-short`, `no-head`, `framing-header`,
//! `silent` and `never-ends` break their HTTP response each in one way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tests::applets::fixture;
use tests::http::{http_defaults, Client};
use tests::httplog::log_for;
use tests::{is_haproxy, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);
const WIRE_500: &[u8] = b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 97\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occurred.\n</body></html>\n";

fn start() -> (Proxy, u16) {
    let _ = fixture("applet_panicky");
    let _ = fixture("applet_hello");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}frontend fe\n    bind {fe}\n\
         \x20   http-request use-service panic if {{ path_beg /panic/ }}\n\
         \x20   http-request use-service panic-init if {{ path_beg /init/ }}\n\
         \x20   http-request use-service panic-release if {{ path_beg /release/ }}\n\
         \x20   http-request use-service hello\n",
        http_defaults()
    );
    (Proxy::start_with(&cfg, &[&fe]), port)
}

/// The warning lines about `service`'s failures, and the running total
/// the last one reports.
fn failure_lines(px: &Proxy, service: &str) -> (usize, Option<u64>) {
    let tag = format!("[failures of service '{service}': ");
    let lines: Vec<String> = px
        .stderr_lines()
        .snapshot()
        .into_iter()
        .filter(|l| l.contains(&format!("applet service '{service}' (")) && l.contains(&tag))
        .collect();
    let last = lines
        .iter()
        .filter_map(|l| {
            let at = l.find(&tag)? + tag.len();
            l[at..].strip_suffix(']')?.parse().ok()
        })
        .max();
    (lines.len(), last)
}

fn wait_failures(px: &Proxy, service: &str, n: u64) {
    let ok = tests::util::poll_until(T, || {
        (failure_lines(px, service).1 == Some(n)).then_some(())
    });
    assert!(
        ok.is_some(),
        "expected {n} counted failures of '{service}', got {:?}; stderr:\n{}",
        failure_lines(px, service),
        px.stderr()
    );
}

/// Each kind of failure: the client gets the 500 (connection closed), the
/// log says `<NAME>` and `IC--`, the warning names the service, its
/// library and the panic message, and the count is per service. The next
/// request is served normally.
#[test]
fn each_failure_is_a_500_ic_counted_per_service() {
    if is_haproxy() {
        return;
    }
    let (px, port) = start();
    let cases = [
        ("/panic/", "panic", "<PANIC>", "deliberate panic in on_io"),
        (
            "/init/",
            "panic-init",
            "<PANIC-INIT>",
            "deliberate panic in the constructor",
        ),
        (
            "/release/",
            "panic-release",
            "<PANIC-RELEASE>",
            "deliberate panic in release",
        ),
    ];
    for round in 1..=2u64 {
        for (path, service, server, msg) in cases {
            let mut c = Client::connect(port);
            c.send(format!("GET {path}{round} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes());
            assert_eq!(
                c.wait_closed(T),
                Some(true),
                "{service}: connection not closed"
            );
            assert_eq!(
                String::from_utf8_lossy(c.pending()),
                String::from_utf8_lossy(WIRE_500),
                "{service}"
            );
            let l = log_for(&px, c.port(), T);
            assert_eq!(
                (l.server.as_str(), l.status, l.term.as_str()),
                (server, 500, "IC--"),
                "{l}"
            );
            // `%B` of a page the proxy makes is its size as HAProxy 2.6
            // counts it (internal form, not the wire bytes): 208 for 500.
            assert_eq!(l.bytes, 208, "{l}");
            wait_failures(&px, service, round);
            let line = px
                .stderr_lines()
                .snapshot()
                .into_iter()
                .find(|l| l.contains(&format!("applet service '{service}' (")))
                .unwrap();
            assert!(
                line.contains("libapplet_panicky.so") && line.contains(msg),
                "{line}"
            );
            // The proxy still serves.
            let mut ok = Client::connect(port);
            assert_eq!(ok.get("/").status(), 200);
        }
    }
    // Counted per service: two each, none for hello.
    for (_, service, _, _) in cases {
        assert_eq!(failure_lines(&px, service), (2, Some(2)), "{service}");
    }
    assert_eq!(failure_lines(&px, "hello").0, 0);
}

/// Containment under load: 8 clients, half of them keep-alive `hello`
/// clients, half hitting the panicking service with one connection per
/// request. Every hello is answered, every panic is a 500 and is counted,
/// the proxy is still up, and afterwards no connection, stream or buffer
/// is left in use.
#[test]
fn panics_under_load_leave_other_streams_and_pools_intact() {
    if is_haproxy() {
        return;
    }
    let (px, port) = start();
    // Baseline: a quiet proxy.
    let base = tests::pools::dump(&px, T);
    assert!(base.iter().all(|p| p.used == 0), "{base:?}");
    const PANICS_PER_CLIENT: usize = 150;
    const HELLOS_PER_CLIENT: usize = 600;
    let panics = Arc::new(AtomicUsize::new(0));
    let hellos = Arc::new(AtomicUsize::new(0));
    let mut threads = Vec::new();
    for _ in 0..4 {
        let panics = panics.clone();
        threads.push(std::thread::spawn(move || {
            for i in 0..PANICS_PER_CLIENT {
                let mut c = Client::connect(port);
                c.send(format!("GET /panic/{i} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes());
                assert_eq!(c.wait_closed(T), Some(true), "panic {i}: not closed");
                assert!(
                    c.pending().starts_with(b"HTTP/1.1 500 "),
                    "panic {i}: {:?}",
                    String::from_utf8_lossy(c.pending())
                );
                panics.fetch_add(1, Ordering::Relaxed);
            }
        }));
        let hellos = hellos.clone();
        threads.push(std::thread::spawn(move || {
            let mut c = Client::connect(port);
            for i in 0..HELLOS_PER_CLIENT {
                let r = c.get(&format!("/h{i}"));
                assert_eq!(
                    (r.status(), r.body.as_slice()),
                    (200, &b"Hello, world!\n"[..]),
                    "hello {i}"
                );
                hellos.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in threads {
        t.join().expect("a client failed");
    }
    assert_eq!(panics.load(Ordering::Relaxed), 4 * PANICS_PER_CLIENT);
    assert_eq!(hellos.load(Ordering::Relaxed), 4 * HELLOS_PER_CLIENT);
    wait_failures(&px, "panic", (4 * PANICS_PER_CLIENT) as u64);
    let logs = px.wait_logs(4 * PANICS_PER_CLIENT, |l| l.contains(" fe/<PANIC> "), T);
    assert!(
        logs.iter()
            .all(|l| l.contains(" 500 ") && l.contains(" IC-- ")),
        "{logs:#?}"
    );
    // Back to the baseline: nothing in use, and the peak stays near the
    // number of clients (the server side never allocates a connection; a
    // closed client's object may be freed just after its next connect).
    let mut last = Vec::new();
    let settled = tests::util::poll_until(T, || {
        last = tests::pools::dump(&px, T);
        last.iter().all(|p| p.used == 0).then_some(())
    });
    assert!(settled.is_some(), "objects left in use: {last:?}");
    let conn = last.iter().find(|p| p.name == "connection").unwrap();
    assert!(conn.allocated <= 16, "{conn:?}");
    // Still up and serving.
    assert!(
        px.stderr().lines().all(|l| !l.contains("ALERT")),
        "{}",
        px.stderr()
    );
    assert_eq!(Client::connect(port).get("/").status(), 200);
}

/// An applet that breaks its response ends its own stream: a 500 (`IC`)
/// when nothing reached the client yet, a cut connection (`ID`) when its
/// head did; the warning names the service, its library and what it did;
/// the next request is served.
#[test]
fn broken_responses_end_their_own_stream() {
    if is_haproxy() {
        return;
    }
    let _ = fixture("applet_panicky");
    let _ = fixture("applet_hello");
    let fe = BoundPort::new();
    let port = fe.port;
    let services = [
        "too-long",
        "too-short",
        "no-head",
        "framing-header",
        "silent",
        "never-ends",
    ];
    // A frontend has no server timeout: the client's bounds an applet.
    let mut cfg = http_defaults().replace("timeout client 10s", "timeout client 300ms");
    cfg.push_str(&format!("frontend fe\n    bind {fe}\n"));
    for s in services {
        cfg.push_str(&format!(
            "    http-request use-service {s} if {{ path_beg /{s}/ }}\n"
        ));
    }
    cfg.push_str("    http-request use-service hello\n");
    let px = Proxy::start_with(&cfg, &[&fe]);
    let cases = [
        (
            "too-long",
            "IC--",
            "sent more body than the 2 bytes it announced",
        ),
        (
            "too-short",
            "IC--",
            "ended its response after 3 of the 10 bytes it announced",
        ),
        (
            "no-head",
            "IC--",
            "wrote body bytes before its response head",
        ),
        ("framing-header", "IC--", "set 'Content-Length' itself"),
        ("silent", "IC--", "did not end its response within 300 ms"),
        (
            "never-ends",
            "ID--",
            "did not end its response within 300 ms",
        ),
    ];
    for (service, term, msg) in cases {
        let mut c = Client::connect(port);
        c.send(format!("GET /{service}/ HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes());
        assert_eq!(c.wait_closed(T), Some(true), "{service}: not closed");
        let got = String::from_utf8_lossy(c.pending()).into_owned();
        if term == "IC--" {
            assert_eq!(got, String::from_utf8_lossy(WIRE_500), "{service}");
        } else {
            // The head and a first chunk went out, then the cut: no end.
            assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{service}: {got}");
            assert!(got.contains("7\r\npartial\r\n") && !got.ends_with("0\r\n\r\n"));
        }
        let l = log_for(&px, c.port(), T);
        let server = format!("<{}>", service.to_uppercase());
        assert_eq!(
            (l.server.as_str(), l.term.as_str()),
            (server.as_str(), term),
            "{l}"
        );
        wait_failures(&px, service, 1);
        let line = px
            .stderr_lines()
            .snapshot()
            .into_iter()
            .find(|l| l.contains(&format!("applet service '{service}'")))
            .unwrap();
        assert!(line.contains(msg), "{service}: {line}");
        assert_eq!(Client::connect(port).get("/").status(), 200);
    }
}
