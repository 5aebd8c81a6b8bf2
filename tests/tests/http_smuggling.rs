//! Request smuggling defences, with raw bytes: each test checks what the
//! client got and exactly what reached the backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tests::http::{http_defaults, response, Client, Origin, Reply};
use tests::httplog::log_for;
use tests::{is_haproxy, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

const EARLY_400: &[u8] = b"HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n";

fn setup() -> (Origin, u16, Proxy) {
    let o = Origin::start(|r| {
        let body = format!("{} {} {}", r.head.method(), r.head.target(), r.body.len());
        Reply::Send(response(200, &[], body.as_bytes()))
    });
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &format!(
            "{}listen web\n    bind {fe}\n    server o1 127.0.0.1:{}\n",
            http_defaults(),
            o.port
        ),
        &[&fe],
    );
    (o, port, px)
}

/// Sends `req`; expects HAProxy's raw 400, a closed connection, a `PR--`
/// log line, and no byte at the backend.
#[track_caller]
fn assert_refused(req: &[u8]) {
    let (o, port, px) = setup();
    let mut c = Client::connect(port);
    c.send(req);
    let closed = c.wait_closed(T);
    assert_eq!(
        String::from_utf8_lossy(c.pending()),
        String::from_utf8_lossy(EARLY_400),
        "request {:?}",
        String::from_utf8_lossy(req)
    );
    assert_eq!(closed, Some(true), "connection must end with a FIN");
    let l = log_for(&px, c.port(), T);
    assert_eq!((l.status, l.term.as_str()), (400, "PR--"), "{l}");
    assert_eq!(o.accepted(), 0, "the backend was contacted");
    assert!(o.all_bytes().is_empty());
}

/// TE and CL together: TE wins, every Content-Length is removed, and
/// neither connection is reused afterwards (the server connection is
/// closed, the bytes after the chunked body are not a request).
#[test]
fn te_and_cl_te_wins_and_nothing_is_reused() {
    let (o, port, px) = setup();
    let mut c = Client::connect(port);
    c.send(b"POST /a HTTP/1.1\r\nhost: a\r\ncontent-length: 30\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nhost: a\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!(r.body, b"POST /a 3", "the chunked body (3 bytes) decides");
    assert!(
        r.head.connection_has("close"),
        "client must be told close: {:?}",
        r.head
    );
    assert_eq!(c.wait_closed(T), Some(true), "client connection not closed");
    let reqs = o.wait_requests(1, T);
    let got = &reqs[0];
    assert!(
        !got.head.has("content-length"),
        "content-length forwarded with transfer-encoding: {:?}",
        got.head
    );
    assert_eq!(got.head.get("transfer-encoding"), Some("chunked"));
    assert_eq!(got.body, b"abc");
    // Ours closes that server connection; HAProxy 2.6 parks it idle (it
    // could serve another session's later request).
    if !is_haproxy() {
        assert!(o.wait_idle(T), "the server connection was kept");
    }
    // A window for anything smuggled to reach the origin: an absence
    // cannot be polled for.
    std::thread::sleep(Duration::from_millis(100));
    let all = String::from_utf8_lossy(&o.all_bytes()).into_owned();
    assert!(
        !all.contains("/smuggled"),
        "smuggled request reached the backend: {all:?}"
    );
    assert_eq!(o.requests().len(), 1);
    // A new client gets a new server connection.
    let mut c2 = Client::connect(port);
    assert_eq!(c2.get("/b").body, b"GET /b 0");
    assert_eq!(o.accepted(), 2, "the TE+CL server connection was reused");
    let l = log_for(&px, c.port(), T);
    assert_eq!((l.status, l.term.as_str()), (200, "----"), "{l}");
}

#[test]
fn two_different_content_lengths() {
    assert_refused(
        b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd",
    );
}

#[test]
fn content_length_list_with_different_values() {
    assert_refused(b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3, 4\r\n\r\nabcd");
}

/// Identical repeated Content-Length values are merged into one field.
#[test]
fn identical_content_lengths_are_merged() {
    let (o, port, _px) = setup();
    let mut c = Client::connect(port);
    c.send(b"POST /m HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\ncontent-length: 3\r\n\r\nabc");
    let r = c.read_response(false);
    assert_eq!(r.body, b"POST /m 3");
    let got = o.wait_requests(1, T).remove(0);
    assert_eq!(got.head.all("content-length"), vec!["3"], "{:?}", got.head);
}

#[test]
fn te_not_ending_in_chunked() {
    assert_refused(
        b"POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    );
}

#[test]
fn chunked_twice_in_one_field() {
    assert_refused(
        b"POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
    );
}

#[test]
fn chunked_twice_in_two_fields() {
    assert_refused(b"POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n");
}

#[test]
fn space_before_colon() {
    assert_refused(b"GET / HTTP/1.1\r\nhost: a\r\ntransfer-encoding : chunked\r\n\r\n0\r\n\r\n");
}

#[test]
fn invalid_header_name_char() {
    assert_refused(b"GET / HTTP/1.1\r\nhost: a\r\nx(y): 1\r\n\r\n");
}

#[test]
fn bare_cr_in_header() {
    assert_refused(b"GET / HTTP/1.1\r\nhost: a\r\nx-a: 1\rx-b: 2\r\n\r\n");
}

/// A NUL in a header value: refused by ours (and by HAProxy from 2.6.15);
/// 2.6.12 still forwarded it.
#[test]
fn nul_in_header_value() {
    let req = b"GET / HTTP/1.1\r\nhost: a\r\nx-a: 1\x002\r\n\r\n";
    if is_haproxy() {
        let (o, port, _px) = setup();
        let mut c = Client::connect(port);
        c.send(req);
        let r = c.read_response(false);
        assert!(r.status() == 200 || r.status() == 400, "{:?}", r.head);
        drop(o);
        return;
    }
    assert_refused(req);
}

/// obs-fold: refused by ours (RFC 9112 §5.2 allows it); HAProxy 2.6 unfolds
/// the value into spaces and forwards it.
#[test]
fn obs_fold() {
    let req = b"GET / HTTP/1.1\r\nhost: a\r\nx-a: 1\r\n 2\r\n\r\n";
    if is_haproxy() {
        let (o, port, _px) = setup();
        let mut c = Client::connect(port);
        c.send(req);
        let r = c.read_response(false);
        assert_eq!(r.status(), 200);
        let got = o.wait_requests(1, T).remove(0);
        assert!(
            !String::from_utf8_lossy(&got.raw).contains("\r\n 2"),
            "fold forwarded as is"
        );
        return;
    }
    assert_refused(req);
}

/// An invalid chunk size: the request is refused with a 400 and no body
/// byte after the bad size reaches the server.
#[test]
fn bad_chunk_size() {
    let (o, port, px) = setup();
    let mut c = Client::connect(port);
    c.send(
        b"POST /c HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    );
    let closed = c.wait_closed(T);
    assert_eq!(closed, Some(true));
    let got = c.pending().to_vec();
    let head = tests::http::Head::parse(&got);
    assert_eq!(head.status(), 400, "{:?}", String::from_utf8_lossy(&got));
    let l = log_for(&px, c.port(), T);
    assert_eq!(l.status, 400, "{l}");
    assert_eq!(l.ts().as_bytes()[0], b'P', "{l}");
    // A window for anything smuggled to reach the origin: an absence
    // cannot be polled for.
    std::thread::sleep(Duration::from_millis(100));
    let all = String::from_utf8_lossy(&o.all_bytes()).into_owned();
    assert!(
        !all.contains("zz"),
        "the bad chunk reached the backend: {all:?}"
    );
    assert!(
        o.requests().is_empty(),
        "a request completed at the backend"
    );
}

/// A response whose Transfer-Encoding does not end in chunked: 502.
#[test]
fn response_te_not_ending_in_chunked_is_502() {
    let o = Origin::raw_reply(
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            .to_vec(),
    );
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &format!(
            "{}listen web\n    bind {fe}\n    server o1 127.0.0.1:{}\n",
            http_defaults(),
            o.port
        ),
        &[&fe],
    );
    let mut c = Client::connect(port);
    let r = c.get("/r");
    assert_eq!(r.status(), 502);
    assert!(!String::from_utf8_lossy(&r.raw).contains("hello"));
    let l = log_for(&px, c.port(), T);
    assert_eq!((l.status, l.term.as_str()), (502, "PH--"), "{l}");
}

/// A response with two different Content-Length values: 502.
#[test]
fn response_with_two_content_lengths_is_502() {
    let o = Origin::raw_reply(
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 5\r\n\r\nhello".to_vec(),
    );
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &format!(
            "{}listen web\n    bind {fe}\n    server o1 127.0.0.1:{}\n",
            http_defaults(),
            o.port
        ),
        &[&fe],
    );
    let mut c = Client::connect(port);
    let r = c.get("/r");
    assert_eq!(r.status(), 502);
    let l = log_for(&px, c.port(), T);
    assert_eq!((l.status, l.term.as_str()), (502, "PH--"), "{l}");
}
