//! Rule 6 end to end: with `option http_proxy` and a `use-service` rule in
//! the same frontend, an absolute-URI request first allocates the server
//! connection (http_proxy reads its address out of the URI: rule 3), then
//! registering the applet on si[1] frees it. Proven from the outside with
//! the `connection` pool of the SIGQUIT dump (`allocated` is the peak of
//! `used`), and with `tune.conn-pool-max`: a single leaked connection per
//! request would exhaust the pool within a few requests and turn the
//! answers into `500 RR`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use tests::applets::fixture;
use tests::http::{http_defaults, Client};
use tests::httplog::log_for;
use tests::pools::connections;
use tests::{is_haproxy, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);
const WIRE: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 14\r\n\r\nHello, world!\n";

fn start(global_extra: &str, log: bool) -> (Proxy, u16) {
    let _ = fixture("applet_hello");
    let fe = BoundPort::new();
    let port = fe.port;
    let mut d = http_defaults().replacen("global\n", &format!("global\n{global_extra}"), 1);
    if !log {
        d = d.replace("    log global\n", "");
    }
    // Port 9 (discard): nothing is ever connected there; the address is
    // only read out of the URI.
    let cfg = format!(
        "{d}frontend fe\n    bind {fe}\n    option http_proxy\n\
         \x20   http-request use-service hello if {{ hdr(host) -m beg 127.0.0.1:9 }}\n\
         \x20   default_backend be\n\nbackend be\n"
    );
    (Proxy::start_with(&cfg, &[&fe]), port)
}

fn request(i: usize) -> Vec<u8> {
    format!("GET http://127.0.0.1:9/r{i} HTTP/1.1\r\nhost: 127.0.0.1:9\r\n\r\n").into_bytes()
}

/// One request: the pool's peak shows the second connection (allocated
/// for the URI's address), and while the client is still connected only
/// its own connection is in use: the other was freed by the registration.
#[test]
fn the_http_proxy_connection_is_allocated_then_freed() {
    if is_haproxy() {
        return;
    }
    let (px, port) = start("", true);
    let base = connections(&px);
    assert_eq!((base.allocated, base.used), (0, 0), "{base:?}");
    let mut c = Client::connect(port);
    c.send(&request(0));
    assert_eq!(c.read_response(false).raw, WIRE);
    let l = log_for(&px, c.port(), T);
    assert_eq!(
        (l.server.as_str(), l.status, l.term.as_str()),
        ("<HELLO>", 200, "LR--"),
        "{l}"
    );
    assert_eq!(l.request, "GET http://127.0.0.1:9/r0 HTTP/1.1", "{l}");
    let p = connections(&px);
    assert_eq!(
        p.allocated, 2,
        "the server side connection was never allocated: {p:?}"
    );
    assert_eq!(
        p.used, 1,
        "only the client's connection may be in use: {p:?}"
    );
    // A second request on the same connection reuses nothing and leaks
    // nothing.
    c.send(&request(1));
    assert_eq!(c.read_response(false).raw, WIRE);
    let p = connections(&px);
    assert_eq!((p.allocated, p.used), (2, 1), "{p:?}");
    drop(c);
    let back = tests::util::poll_until(T, || (connections(&px).used == 0).then_some(()));
    assert!(
        back.is_some(),
        "connections left in use: {:?}",
        connections(&px)
    );
}

/// 10,000 such requests over 4 keep-alive clients, with room in the pool
/// for exactly one client connection plus one server-side connection per
/// client: every answer is the applet's, the pool's in-use count returns
/// to its baseline and its peak never exceeds that room.
#[test]
fn ten_thousand_requests_leak_no_connection() {
    if is_haproxy() {
        return;
    }
    const CLIENTS: usize = 4;
    const PER_CLIENT: usize = 2500;
    // Logging is off: 10,000 log lines would only slow the run down.
    let (px, port) = start(&format!("    tune.conn-pool-max {}\n", 2 * CLIENTS), false);
    let base = connections(&px);
    assert_eq!(base.used, 0, "{base:?}");
    let started = Instant::now();
    // All clients connect before any sends, so that their connections are
    // in use together (the peak then shows the server-side ones on top).
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(CLIENTS));
    let threads: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut c = Client::connect(port);
                barrier.wait();
                // Two requests per write: pipelining keeps it quick and
                // still makes one transaction (one allocation) each.
                for i in (0..PER_CLIENT).step_by(2) {
                    let mut req = request(t * PER_CLIENT + i);
                    req.extend_from_slice(&request(t * PER_CLIENT + i + 1));
                    c.send(&req);
                    for k in 0..2 {
                        let r = c.read_response(false);
                        assert_eq!(
                            r.raw,
                            WIRE,
                            "client {t}, request {}: {:?}",
                            i + k,
                            String::from_utf8_lossy(&r.raw)
                        );
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a client failed");
    }
    let elapsed = started.elapsed();
    let mut last = None;
    let back = tests::util::poll_until(T, || {
        let p = connections(&px);
        let ok = p.used == base.used;
        last = Some(p);
        ok.then_some(())
    });
    let p = last.unwrap();
    assert!(back.is_some(), "connections leaked: {p:?}");
    assert!(
        p.allocated <= 2 * CLIENTS,
        "peak above one client + one server connection per client: {p:?}"
    );
    assert!(
        p.allocated > CLIENTS,
        "the server-side connections were never allocated: {p:?}"
    );
    // No allocation failure happened either (every answer was a 200).
    let stderr = px.stderr();
    assert!(!stderr.contains("ALERT"), "{stderr}");
    eprintln!("10,000 http_proxy + use-service requests in {elapsed:?}; pool {p:?}");
}
