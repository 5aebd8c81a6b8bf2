//! Errors as HAProxy 2.6 sends and logs them: the exact bytes of each
//! answer, whether the client connection survives it, and the httplog
//! line's status, byte count and termination state (`PR`, `CR`, `cR`,
//! `SH`, `sH`, `SC`, `sQ`, `PH`).
//!
//! The expected bytes are what HAProxy 2.6.12 sends (captured by running
//! these same tests with `PROXY_BIN=/usr/sbin/haproxy`). Errors found by
//! the H1 mux before a stream exists (bad head, 408, 422) use the raw
//! `http.c` text, close the connection and log `%B` 0 with `<BADREQ>`;
//! errors produced by the stream (403, 502, 503, 504) go out through the
//! mux (lower-case names) and keep a keep-alive client connection open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::Shutdown;
use std::time::{Duration, Instant};

use tests::http::{http_defaults, response, Client, Origin, Reply};
use tests::httplog::{log_for, HttpLog};
use tests::util::assert_between;
use tests::{BoundPort, ClosedPort, Proxy};

const T: Duration = Duration::from_secs(5);

const EARLY_400: &[u8] = b"HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n";
const EARLY_408: &[u8] = b"HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n";
const EARLY_422: &[u8] = b"HTTP/1.1 422 Unprocessable Content\r\nContent-length: 116\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained instructions.\n</body></html>\n";
const WIRE_403: &[u8] = b"HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n";
const WIRE_502: &[u8] = b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n";
const WIRE_503: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n";
const WIRE_504: &[u8] = b"HTTP/1.1 504 Gateway Time-out\r\ncontent-length: 92\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n";

#[track_caller]
fn assert_bytes_eq(what: &str, got: &[u8], want: &[u8]) {
    assert_eq!(
        String::from_utf8_lossy(got),
        String::from_utf8_lossy(want),
        "{what}: bytes differ"
    );
}

/// The origin used by most tests: paths pick a behaviour.
fn origin() -> Origin {
    Origin::start(|r| match r.head.target() {
        "/garbage" => Reply::Send(b"garbage garbage\r\n\r\n".to_vec()),
        "/close" => Reply::Close,
        "/junk" => Reply::SendClose(b"xyz".to_vec()),
        "/cut" => Reply::SendClose(b"HTTP/1.1 200 OK\r\nx: y\r\n".to_vec()),
        "/slow" => Reply::After(Duration::from_millis(2000), Box::new(Reply::ok(b"late"))),
        "/hang" => Reply::Hang,
        "/bighead" => {
            let mut v = b"HTTP/1.1 200 OK\r\nx-big: ".to_vec();
            v.extend(std::iter::repeat_n(b'a', 20000));
            v.extend_from_slice(b"\r\ncontent-length: 0\r\n\r\n");
            Reply::Send(v)
        }
        _ => Reply::Send(response(200, &[], b"fine")),
    })
}

fn cfg(fe: &BoundPort, origin: u16, extra: &str) -> String {
    format!(
        "{}listen web\n    bind {fe}\n    timeout http-request 800ms\n    timeout server 800ms\n{extra}    server o1 127.0.0.1:{origin}\n",
        http_defaults()
    )
}

/// Sends `req` on a new connection and returns what the client got before
/// the proxy closed (or 3 s), plus the parsed log line.
fn one_shot(px: &Proxy, port: u16, req: &[u8]) -> (Vec<u8>, Option<bool>, HttpLog) {
    let mut c = Client::connect(port);
    c.send(req);
    let closed = c.wait_closed(Duration::from_secs(3));
    let got = c.pending().to_vec();
    let l = log_for(px, c.port(), T);
    (got, closed, l)
}

#[track_caller]
fn assert_badreq(l: &HttpLog, status: i32, term: &str) {
    assert_eq!(l.status, status, "{l}");
    assert_eq!(l.term, term, "{l}");
    assert_eq!(l.request, "<BADREQ>", "{l}");
    assert_eq!(
        l.bytes, 0,
        "errors sent by the mux are logged as 0 bytes: {l}"
    );
    assert_eq!(l.t_request, -1, "{l}");
    assert_eq!(l.backend, l.frontend, "{l}");
    assert_eq!(l.server, "<NOSRV>", "{l}");
}

/// A malformed head: the raw 400, the connection closed, nothing sent to
/// the backend, `PR--` and `<BADREQ>` in the log.
#[test]
fn malformed_request_gets_400_and_nothing_reaches_the_backend() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let (got, closed, l) = one_shot(&px, port, b"GET / HTTP/1.1\r\nhost : a\r\n\r\n");
    assert_bytes_eq("400", &got, EARLY_400);
    assert_eq!(closed, Some(true), "connection must close after a 400");
    assert_badreq(&l, 400, "PR--");
    assert_eq!(o.accepted(), 0, "the backend was contacted");
}

/// A client that sends half a head and stalls gets the 408 at
/// `timeout http-request`, logged `cR--`.
#[test]
fn stalled_half_request_gets_408() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    let t = Instant::now();
    c.send(b"GET /half HTTP/1.1\r\nhost: a\r\n");
    let closed = c.wait_closed(Duration::from_secs(3));
    let took = t.elapsed();
    assert_eq!(closed, Some(true));
    assert_bytes_eq("408", c.pending(), EARLY_408);
    assert_between(
        "408 after timeout http-request",
        took,
        Duration::from_millis(700),
        Duration::from_millis(1500),
    );
    let l = log_for(&px, c.port(), T);
    assert_badreq(&l, 408, "cR--");
    assert!(l.t_active >= 700, "{l}");
    assert_eq!(o.accepted(), 0);
}

/// A client that closes in the middle of its head: 400 (raw) and `CR--`.
#[test]
fn client_closing_mid_head_is_logged_cr() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"GET /x HTTP/1.1\r\nho");
    c.s.shutdown(Shutdown::Write).unwrap();
    assert_eq!(c.wait_closed(T), Some(true));
    assert_bytes_eq("400 after abort", c.pending(), EARLY_400);
    let l = log_for(&px, c.port(), T);
    assert_badreq(&l, 400, "CR--");
    // A connection without any byte is logged too (no dontlognull).
    let c2 = Client::connect(port);
    let p2 = c2.port();
    drop(c2);
    let l = log_for(&px, p2, T);
    assert_badreq(&l, 400, "CR--");
}

/// Transfer codings other than chunked: `gzip, chunked` is a 422
/// (HAProxy 2.6 never answers 501 here), `gzip` alone or `chunked, gzip`
/// a 400. Nothing reaches the backend.
#[test]
fn unknown_transfer_coding() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let (got, closed, l) = one_shot(
        &px,
        port,
        b"POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    );
    assert_bytes_eq("422", &got, EARLY_422);
    assert_eq!(closed, Some(true));
    assert_badreq(&l, 422, "PR--");
    for te in ["gzip", "chunked, gzip", "identity"] {
        let req = format!("POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: {te}\r\n\r\n0\r\n\r\n");
        let (got, closed, l) = one_shot(&px, port, req.as_bytes());
        assert_bytes_eq(te, &got, EARLY_400);
        assert_eq!(closed, Some(true));
        assert_badreq(&l, 400, "PR--");
    }
    assert_eq!(o.accepted(), 0);
}

/// `http-request deny`: the stream's 403 (lower-case names), the client
/// connection stays open, `PR--`.
#[test]
fn deny_gets_403_and_keeps_the_connection() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &cfg(
            &fe,
            o.port,
            "    http-request deny if { path_beg /admin }\n",
        ),
        &[&fe],
    );
    let mut c = Client::connect(port);
    c.send(b"GET /admin/x HTTP/1.1\r\nhost: a\r\n\r\n");
    let r = c.read_response(false);
    assert_bytes_eq("403", &r.raw, WIRE_403);
    let r = c.get("/ok");
    assert_eq!(r.body, b"fine", "connection unusable after the 403");
    let l = log_for(&px, c.port(), T);
    assert_eq!(l.status, 403, "{l}");
    assert_eq!(l.term, "PR--", "{l}");
    assert_eq!(l.server, "<NOSRV>", "{l}");
    assert_eq!(l.t_queue, -1, "{l}");
    assert_eq!(l.request, "GET /admin/x HTTP/1.1", "{l}");
    assert_eq!(
        o.wait_requests(1, T).len(),
        1,
        "only /ok reached the backend"
    );
}

/// Sends `path` on a keep-alive connection, expects `want` bytes, then a
/// normal request on the same connection; returns the error's log line.
fn error_then_next(px: &Proxy, port: u16, path: &str, want: &[u8]) -> HttpLog {
    let mut c = Client::connect(port);
    c.send(format!("GET {path} HTTP/1.1\r\nhost: a\r\n\r\n").as_bytes());
    let r = c
        .try_read_response(false, T)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_bytes_eq(path, &r.raw, want);
    // HAProxy keeps a keep-alive client after a stream error.
    let next = c.get("/ok");
    assert_eq!(
        next.body, b"fine",
        "{path}: next request on the same connection"
    );
    log_for(px, c.port(), T)
}

/// A server answering garbage: 502, `PH--`, and the client connection
/// stays usable.
#[test]
fn garbage_response_gets_502_ph() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let l = error_then_next(&px, port, "/garbage", WIRE_502);
    assert_eq!(l.status, 502, "{l}");
    assert_eq!(l.term, "PH--", "{l}");
    assert_eq!(l.server, "o1", "{l}");
    assert_eq!(l.t_response, -1, "{l}");
    assert!(l.t_connect >= 0, "{l}");
}

/// The server closes without answering: 502 `SH--`.
#[test]
fn server_close_before_response_gets_502_sh() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let l = error_then_next(&px, port, "/close", WIRE_502);
    assert_eq!(l.status, 502, "{l}");
    assert_eq!(l.term, "SH--", "{l}");
}

/// A response head larger than the buffer: 502 `PH--`.
#[test]
fn oversized_response_head_gets_502() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let l = error_then_next(&px, port, "/bighead", WIRE_502);
    assert_eq!(l.status, 502, "{l}");
    assert_eq!(l.term, "PH--", "{l}");
}

/// A request head larger than the buffer: 400, nothing forwarded.
#[test]
fn oversized_request_head_gets_400() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut req = b"GET / HTTP/1.1\r\nhost: a\r\nx-big: ".to_vec();
    req.extend(std::iter::repeat_n(b'a', 20000));
    req.extend_from_slice(b"\r\n\r\n");
    let (got, closed, l) = one_shot(&px, port, &req);
    assert_bytes_eq("400", &got, EARLY_400);
    assert_eq!(closed, Some(true));
    assert_badreq(&l, 400, "PR--");
    assert_eq!(o.accepted(), 0);
}

/// `timeout server` before the response head: 504 `sH--` after the timeout.
#[test]
fn server_timeout_gets_504_sh() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let t = Instant::now();
    let l = error_then_next(&px, port, "/hang", WIRE_504);
    assert!(t.elapsed() >= Duration::from_millis(700));
    assert_eq!(l.status, 504, "{l}");
    assert_eq!(l.term, "sH--", "{l}");
    assert_eq!(l.t_response, -1, "{l}");
    assert!(l.t_active >= 700 && l.t_active < 2000, "{l}");
}

/// A backend without servers: 503 `SC--`, no server.
#[test]
fn no_server_gets_503() {
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &format!(
            "{}frontend fe\n    bind {fe}\n    default_backend empty\n\nbackend empty\n",
            http_defaults()
        ),
        &[&fe],
    );
    let mut c = Client::connect(port);
    c.send(b"GET /a HTTP/1.1\r\nhost: a\r\n\r\n");
    let r = c.read_response(false);
    assert_bytes_eq("503", &r.raw, WIRE_503);
    c.send(b"GET /b HTTP/1.1\r\nhost: a\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!(r.status(), 503, "second request on the same connection");
    let l = log_for(&px, c.port(), T);
    assert_eq!(l.status, 503, "{l}");
    assert_eq!(l.term, "SC--", "{l}");
    assert_eq!(
        (l.backend.as_str(), l.server.as_str()),
        ("empty", "<NOSRV>")
    );
    assert_eq!(l.t_connect, -1, "{l}");
}

/// Connection refused with `retries 0`: 503 `SC--` with `%Tc` -1.
#[test]
fn refused_connection_gets_503_sc() {
    // Held bound, never listening: refused, and nobody else can take it.
    let down = ClosedPort::new();
    let dead = down.port;
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &format!(
            "{}listen web\n    bind {fe}\n    retries 0\n    server d1 127.0.0.1:{dead}\n",
            http_defaults()
        ),
        &[&fe],
    );
    let mut c = Client::connect(port);
    c.send(b"GET /a HTTP/1.1\r\nhost: a\r\n\r\n");
    let r = c.read_response(false);
    assert_bytes_eq("503", &r.raw, WIRE_503);
    let l = log_for(&px, c.port(), T);
    assert_eq!(l.term, "SC--", "{l}");
    assert_eq!(l.server, "d1", "{l}");
    assert_eq!((l.t_queue, l.t_connect, l.t_response), (0, -1, -1), "{l}");
}

/// Server `maxconn 1` busy past `timeout queue`: 503 `sQ--`.
#[test]
fn queue_timeout_gets_503_sq() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&format!(
        "{}listen web\n    bind {fe}\n    timeout queue 500ms\n    timeout server 5s\n    server o1 127.0.0.1:{} maxconn 1\n",
        http_defaults(),
        o.port
    ), &[&fe]);
    let mut busy = Client::connect(port);
    busy.send(b"GET /slow HTTP/1.1\r\nhost: a\r\n\r\n");
    o.wait_requests(1, T);
    let mut c = Client::connect(port);
    let t = Instant::now();
    c.send(b"GET /q HTTP/1.1\r\nhost: a\r\n\r\n");
    let r = c.read_response(false);
    assert_bytes_eq("503", &r.raw, WIRE_503);
    assert_between(
        "503 after timeout queue",
        t.elapsed(),
        Duration::from_millis(400),
        Duration::from_millis(1500),
    );
    let l = log_for(&px, c.port(), T);
    assert_eq!(l.status, 503, "{l}");
    assert_eq!(l.term, "sQ--", "{l}");
    assert!(l.t_queue >= 400, "{l}");
    assert_eq!(l.t_connect, -1, "{l}");
    assert_eq!(busy.read_response(false).body, b"late");
}

/// An HTTP/1.0 keep-alive client keeps its connection after a 502 too, and
/// is told so with `connection: keep-alive`.
#[test]
fn http10_keep_alive_client_after_502() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"GET /garbage HTTP/1.0\r\nconnection: keep-alive\r\n\r\n");
    let r = c.read_response(false);
    let mut want = WIRE_502.to_vec();
    let at = want.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 2;
    want.splice(at..at, b"connection: keep-alive\r\n".iter().copied());
    assert_bytes_eq("502 to HTTP/1.0", &r.raw, &want);
    c.send(b"GET /ok HTTP/1.0\r\nconnection: keep-alive\r\n\r\n");
    assert_eq!(c.read_response(false).body, b"fine");
    let l = log_for(&px, c.port(), T);
    assert_eq!((l.status, l.term.as_str()), (502, "PH--"), "{l}");
}

/// The head limit follows `tune.bufsize` (minus `tune.maxrewrite`): with
/// 8 kB buffers a 7 kB head passes, a 9 kB one is a 400, and a 9 kB
/// response head a 502.
#[test]
fn head_limits_follow_tune_bufsize() {
    let big = |n: usize| "v".repeat(n);
    let resp_big = {
        let v = big(9000);
        Origin::start(move |r| {
            if r.head.target() == "/bigresp" {
                Reply::Send(response(200, &[&format!("x-big: {v}")], b""))
            } else {
                Reply::Send(response(200, &[], b"fine"))
            }
        })
    };
    let fe = BoundPort::new();
    let port = fe.port;
    let conf = cfg(&fe, resp_big.port, "").replacen(
        "global\n",
        "global\n    tune.bufsize 8192\n    tune.maxrewrite 1024\n",
        1,
    );
    let px = Proxy::start_with(&conf, &[&fe]);
    let mut c = Client::connect(port);
    c.send(
        format!(
            "GET /ok HTTP/1.1\r\nhost: a\r\nx-fill: {}\r\n\r\n",
            big(6800)
        )
        .as_bytes(),
    );
    assert_eq!(
        c.read_response(false).body,
        b"fine",
        "a 7 kB head must pass"
    );
    let (got, closed, l) = one_shot(
        &px,
        port,
        format!(
            "GET /ok HTTP/1.1\r\nhost: a\r\nx-fill: {}\r\n\r\n",
            big(9000)
        )
        .as_bytes(),
    );
    assert_bytes_eq("400", &got, EARLY_400);
    assert_eq!(closed, Some(true));
    assert_badreq(&l, 400, "PR--");
    let l = error_then_next(&px, port, "/bigresp", WIRE_502);
    assert_eq!((l.status, l.term.as_str()), (502, "PH--"), "{l}");
}

/// An idle keep-alive connection is closed silently when
/// `timeout http-request` (no `http-keep-alive`) runs out: no 408, no log
/// line beyond the request it served.
#[test]
fn idle_keep_alive_connection_closes_silently() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    assert_eq!(c.get("/ok").body, b"fine");
    let t = Instant::now();
    assert_eq!(c.wait_closed(Duration::from_secs(3)), Some(true));
    assert!(
        c.pending().is_empty(),
        "sent on idle close: {:?}",
        String::from_utf8_lossy(c.pending())
    );
    assert_between(
        "idle close",
        t.elapsed(),
        Duration::from_millis(600),
        Duration::from_millis(1600),
    );
    // A window for a wrong second log line to show up: an absence cannot be
    // polled for.
    std::thread::sleep(Duration::from_millis(200));
    let key = format!(":{} [", c.port());
    let n = px.logs().iter().filter(|l| l.contains(&key)).count();
    assert_eq!(n, 1, "log lines: {:?}", px.logs());
}

/// HTTP/2's connection preface on an HTTP/1 listener, and any `PRI`
/// request: the stream's 400 with `connection: close` (HAProxy 2.6 gives
/// it to every `PRI` request; it answers the exact preface in HTTP/2,
/// which we do not speak yet, so that case runs against ours only),
/// logged `PR--` with `<BADREQ>`, and nothing reaches the server.
#[test]
fn the_http2_preface_and_pri_requests_are_refused_with_400() {
    const CLOSE_400: &[u8] = b"HTTP/1.1 400 Bad request\r\ncontent-length: 90\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n";
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut cases: Vec<&[u8]> = vec![
        b"PRI * HTTP/1.1\r\nHost: a\r\n\r\n",
        b"PRI /x HTTP/1.1\r\nHost: a\r\n\r\n",
    ];
    if !tests::is_haproxy() {
        cases.push(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    }
    for req in cases {
        let (got, closed, l) = one_shot(&px, port, req);
        assert_bytes_eq("400", &got, CLOSE_400);
        assert_eq!(closed, Some(true), "connection must close after a 400");
        assert_eq!((l.status, l.term.as_str()), (400, "PR--"), "{l}");
        assert_eq!(l.request, "<BADREQ>", "{l}");
        assert_eq!(l.bytes, 206, "the size HAProxy 2.6 logs: {l}");
        assert_eq!(l.server, "<NOSRV>", "{l}");
    }
    assert_eq!(o.accepted(), 0, "the backend was contacted");
}

/// An invalid chunked body that arrives in the same packet as its head is
/// refused with the head (the mux's raw 400, `PR--`, `<BADREQ>`), before
/// any server is chosen or connected.
#[test]
fn a_bad_chunk_sent_with_its_head_is_refused_before_connecting() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let (got, closed, l) = one_shot(
        &px,
        port,
        b"POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    );
    assert_bytes_eq("400", &got, EARLY_400);
    assert_eq!(closed, Some(true));
    assert_badreq(&l, 400, "PR--");
    assert_eq!(o.accepted(), 0, "the backend was contacted");
}

/// A client that leaves while its request body is still arriving: logged
/// in the data phase (`CD--`), no status.
#[test]
fn a_client_leaving_mid_body_is_logged_cd() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"POST /hang HTTP/1.1\r\nhost: a\r\ncontent-length: 1000\r\n\r\nabcdefgh");
    // Leave once the request is on its way to the server (the origin holds
    // the proxy's connection), rather than after a fixed 300 ms.
    let forwarded = tests::util::poll_until(T, || (o.active() >= 1).then_some(()));
    assert!(forwarded.is_some(), "the request never reached the server");
    let cport = c.port();
    drop(c);
    let l = log_for(&px, cport, T);
    assert_eq!((l.status, l.term.as_str()), (-1, "CD--"), "{l}");
    assert_eq!(l.server, "o1", "{l}");
}

/// A server that answers bytes that cannot start a status line and closes
/// sent an invalid response (`PH--`); one that closes after a valid start
/// closed early (`SH--`). Both get the 502.
#[test]
fn a_response_without_a_status_line_is_ph_a_cut_one_sh() {
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    for (path, term) in [("/junk", "PH--"), ("/cut", "SH--")] {
        let mut c = Client::connect(port);
        c.send(format!("GET {path} HTTP/1.1\r\nhost: a\r\n\r\n").as_bytes());
        let r = c.read_response(false);
        assert_eq!(r.status(), 502, "{path}");
        let l = log_for(&px, c.port(), T);
        assert_eq!((l.status, l.term.as_str()), (502, term), "{path}: {l}");
    }
}
