//! `option http_proxy` (ours; HAProxy 2.6 removed it): the server address
//! comes from the request's absolute URI, and reading it is the first touch
//! of the server side (rule 3). With `tune.conn-pool-max 1` the client's
//! own connection holds the only connection object, the server side cannot
//! be allocated: the client gets a 500 and the log shows `RR`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tests::http::{http_defaults, response, Client, Origin, Reply};
use tests::httplog::log_for;
use tests::{is_haproxy, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

const WIRE_500_CLOSE: &[u8] = b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 97\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occurred.\n</body></html>\n";

fn cfg(fe: &BoundPort, global_extra: &str) -> String {
    // The defaults start with `global`: insert our tuning line after it.
    let d = http_defaults().replacen("global\n", &format!("global\n{global_extra}"), 1);
    format!(
        "{d}frontend fe\n    bind {fe}\n    option http_proxy\n    default_backend be\n\nbackend be\n"
    )
}

fn origin() -> Origin {
    Origin::start(|r| {
        let body = format!("origin saw {}", r.head.target());
        Reply::Send(response(200, &[], body.as_bytes()))
    })
}

#[test]
fn absolute_uri_request_reaches_the_origin() {
    if is_haproxy() {
        // HAProxy 2.6 refuses `option http_proxy` (removed in 2.x).
        return;
    }
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(
        format!(
            "GET http://127.0.0.1:{}/x?y=1 HTTP/1.1\r\nhost: 127.0.0.1:{}\r\n\r\n",
            o.port, o.port
        )
        .as_bytes(),
    );
    let r = c.read_response(false);
    assert_eq!(r.status(), 200, "{:?}", r.head);
    let got = o.wait_requests(1, T).remove(0);
    assert!(got.head.target().ends_with("/x?y=1"), "{:?}", got.head);
    assert!(String::from_utf8_lossy(&r.body).starts_with("origin saw"));
    // A second request on the same client connection, same origin.
    c.send(
        format!(
            "GET http://127.0.0.1:{}/z HTTP/1.1\r\nhost: 127.0.0.1:{}\r\n\r\n",
            o.port, o.port
        )
        .as_bytes(),
    );
    assert_eq!(c.read_response(false).status(), 200);
    let l = log_for(&px, c.port(), T);
    assert_eq!((l.status, l.term.as_str()), (200, "----"), "{l}");
    assert_eq!(l.backend, "be", "{l}");
}

/// `tune.conn-pool-max 1`: every attempt gets the 500 (stream form, the
/// connection closed) and logs `RR--`; nothing reaches the origin; the
/// proxy keeps serving afterwards.
#[test]
fn no_connection_object_left_gives_500_rr() {
    if is_haproxy() {
        return;
    }
    let o = origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, "    tune.conn-pool-max 1\n"), &[&fe]);
    for i in 0..3 {
        let mut c = Client::connect(port);
        let auth = format!("127.0.0.1:{}", o.port);
        c.send(format!("GET http://{auth}/x{i} HTTP/1.1\r\nhost: {auth}\r\n\r\n").as_bytes());
        let closed = c.wait_closed(T);
        assert_eq!(closed, Some(true), "attempt {i}: connection not closed");
        assert_eq!(
            String::from_utf8_lossy(c.pending()),
            String::from_utf8_lossy(WIRE_500_CLOSE),
            "attempt {i}"
        );
        let l = log_for(&px, c.port(), T);
        assert_eq!(l.status, 500, "{l}");
        assert_eq!(l.term, "RR--", "{l}");
        assert_eq!(l.server, "<NOSRV>", "{l}");
        // The page's size as HAProxy counts its own messages, not the wire's.
        assert_eq!(l.bytes, 208, "{l}");
        assert_eq!(
            l.request,
            format!("GET http://127.0.0.1:{}/x{i} HTTP/1.1", o.port),
            "{l}"
        );
        assert_eq!((l.t_queue, l.t_connect, l.t_response), (-1, -1, -1), "{l}");
    }
    assert_eq!(o.accepted(), 0, "a server connection was opened");
    // The last client is gone: every connection object is back.
    let mut last = None;
    let freed = tests::util::poll_until(T, || {
        let p = tests::pools::connections(&px);
        let ok = p.used == 0;
        last = Some(p);
        ok.then_some(())
    });
    assert!(freed.is_some(), "connection objects leaked: {last:?}");
}
