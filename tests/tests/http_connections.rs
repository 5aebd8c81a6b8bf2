//! HTTP connection management end to end: keep-alive on both sides with
//! `http-reuse`, `option http-server-close`, `option httpclose`,
//! pipelining, and the connection objects seen through the pool counters
//! (rule 5: the server side is released at each transaction's end).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tests::http::{http_defaults, Client, Origin, Reply};
use tests::httplog::logs_for;
use tests::{is_haproxy, pools, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

fn cfg(fe: &BoundPort, origin: u16, extra: &str) -> String {
    format!(
        "{}listen web\n    bind {fe}\n{extra}    server o1 127.0.0.1:{origin}\n",
        http_defaults()
    )
}

/// Sends `n` GETs on one client connection, each answered, and returns the
/// client (still open).
fn n_requests(port: u16, n: usize) -> Client {
    let mut c = Client::connect(port);
    for i in 0..n {
        let r = c.get(&format!("/r{i}"));
        assert_eq!(r.status(), 200, "request {i}: {:?}", r.head);
        assert_eq!(r.body, format!("body /r{i}").as_bytes(), "request {i}");
    }
    c
}

fn echo_path_origin() -> Origin {
    Origin::start(|r| {
        let body = format!("body {}", r.head.target());
        Reply::Send(tests::http::response(200, &[], body.as_bytes()))
    })
}

/// Default `http-reuse safe`: later requests of a keep-alive client reuse
/// the server connection of the first one.
#[test]
fn keep_alive_reuses_the_server_connection() {
    let o = echo_path_origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let c = n_requests(port, 4);
    let reqs = o.wait_requests(4, T);
    assert!(
        o.accepted() < 4,
        "4 requests on one client connection opened {} server connections",
        o.accepted()
    );
    assert_eq!(o.accepted(), 1, "server connections for one client");
    for r in &reqs {
        assert!(
            !r.head.connection_has("close"),
            "the backend must not see `connection: close` in keep-alive: {:?}",
            r.head
        );
    }
    let logs = logs_for(&px, c.port(), 4, T);
    for l in &logs {
        assert_eq!(l.term, "----", "{l}");
        assert_eq!(l.status, 200, "{l}");
        assert_eq!(l.server, "o1", "{l}");
    }
}

/// `option http-server-close`: each request gets its own server connection
/// (announced with `connection: close`); the client connection stays open.
#[test]
fn http_server_close_closes_each_server_connection() {
    let o = echo_path_origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(&cfg(&fe, o.port, "    option http-server-close\n"), &[&fe]);
    let mut c = n_requests(port, 3);
    let reqs = o.wait_requests(3, T);
    assert_eq!(o.accepted(), 3, "one server connection per request");
    for r in &reqs {
        assert!(
            r.head.connection_has("close"),
            "backend must see connection: close: {:?}",
            r.head
        );
    }
    assert!(o.wait_idle(T), "server connections left open");
    // The client connection is still usable.
    let r = c.get("/again");
    assert_eq!(r.status(), 200);
    assert!(!r.head.connection_has("close"), "{:?}", r.head);
}

/// `option httpclose`: the server sees `connection: close` and the client
/// connection is closed after the first response.
#[test]
fn httpclose_closes_both_sides() {
    let o = echo_path_origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, "    option httpclose\n"), &[&fe]);
    for i in 0..2 {
        let mut c = Client::connect(port);
        let r = c.get(&format!("/c{i}"));
        assert_eq!(r.status(), 200);
        assert!(
            r.head.connection_has("close"),
            "client must be told close: {:?}",
            r.head
        );
        assert_eq!(
            c.wait_closed(T),
            Some(true),
            "client connection not closed after the response"
        );
        let l = logs_for(&px, c.port(), 1, T).remove(0);
        assert_eq!(l.term, "----", "{l}");
    }
    let reqs = o.wait_requests(2, T);
    assert_eq!(o.accepted(), 2);
    for r in &reqs {
        assert!(r.head.connection_has("close"), "{:?}", r.head);
    }
}

/// Three requests written at once: three responses, in order.
#[test]
fn pipelined_requests_are_answered_in_order() {
    let o = Origin::start(|r| {
        // The first one is slow: the others must still wait their turn.
        let body = format!("body {}", r.head.target());
        let resp = tests::http::response(200, &[], body.as_bytes());
        if r.head.target() == "/p0" {
            Reply::After(Duration::from_millis(200), Box::new(Reply::Send(resp)))
        } else {
            Reply::Send(resp)
        }
    });
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(
        b"GET /p0 HTTP/1.1\r\nhost: a\r\n\r\nGET /p1 HTTP/1.1\r\nhost: a\r\n\r\nGET /p2 HTTP/1.1\r\nhost: a\r\n\r\n",
    );
    for i in 0..3 {
        let r = c.read_response(false);
        assert_eq!(r.status(), 200);
        assert_eq!(r.body, format!("body /p{i}").as_bytes(), "response {i}");
    }
    // A body in the middle of the batch is not taken for a request.
    c.send(b"GET /p3 HTTP/1.1\r\nhost: a\r\n\r\nPOST /p4 HTTP/1.1\r\nhost: a\r\ncontent-length: 31\r\n\r\nGET /fake HTTP/1.1\r\nhost: a\r\n\r\nGET /p5 HTTP/1.1\r\nhost: a\r\n\r\n");
    for i in 3..6 {
        let r = c.read_response(false);
        assert_eq!(r.body, format!("body /p{i}").as_bytes(), "response {i}");
    }
    let logs = logs_for(&px, c.port(), 6, T);
    let lines: Vec<&str> = logs.iter().map(|l| l.request.as_str()).collect();
    assert_eq!(
        lines,
        [
            "GET /p0 HTTP/1.1",
            "GET /p1 HTTP/1.1",
            "GET /p2 HTTP/1.1",
            "GET /p3 HTTP/1.1",
            "POST /p4 HTTP/1.1",
            "GET /p5 HTTP/1.1"
        ]
    );
    let reqs = o.wait_requests(6, T);
    assert_eq!(reqs[4].body, b"GET /fake HTTP/1.1\r\nhost: a\r\n\r\n");
    assert_eq!(reqs.len(), 6);
}

/// A request with `Connection: close` gets its answer with
/// `connection: close`, then the client connection ends; the server does
/// not see the client's `close` token.
#[test]
fn client_close_token_closes_the_client_only() {
    let o = echo_path_origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"GET /x HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!(r.status(), 200);
    assert!(r.head.connection_has("close"), "{:?}", r.head);
    assert_eq!(c.wait_closed(T), Some(true));
    let req = o.wait_requests(1, T).remove(0);
    assert!(!req.head.connection_has("close"), "{:?}", req.head);
}

/// HTTP/1.0 client without keep-alive: one response, then close; with
/// `Connection: keep-alive` it stays open and is told `keep-alive`.
#[test]
fn http10_client_connection() {
    let o = echo_path_origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"GET /a HTTP/1.0\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!(r.status(), 200);
    assert_eq!(c.wait_closed(T), Some(true));

    let mut c = Client::connect(port);
    c.send(b"GET /b HTTP/1.0\r\nconnection: keep-alive\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!(r.status(), 200);
    assert!(r.head.connection_has("keep-alive"), "{:?}", r.head);
    c.send(b"GET /c HTTP/1.0\r\nconnection: keep-alive\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!(r.body, b"body /c");
}

/// Rule 5 through the pool counters, `http-reuse never`: while the client
/// is connected between requests only its own connection object is used
/// (each server connection was released at its transaction's end); none
/// after it leaves.
#[test]
fn pools_reuse_never_keeps_only_the_client_connection() {
    if is_haproxy() {
        // HAProxy's pool accounting (thread caches, mux objects) differs.
        return;
    }
    let o = echo_path_origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, "    http-reuse never\n"), &[&fe]);
    let c = n_requests(port, 3);
    logs_for(&px, c.port(), 3, T);
    assert_eq!(
        o.accepted(),
        3,
        "http-reuse never: one server connection per request"
    );
    assert!(o.wait_idle(T), "server connections not closed");
    let p = pools::connections(&px);
    assert_eq!(
        p.used, 1,
        "connection objects in use with one idle keep-alive client: {p:?}"
    );
    drop(c);
    let p = tests::util::poll_until(T, || {
        let p = pools::connections(&px);
        (p.used == 0).then_some(p)
    });
    assert!(
        p.is_some(),
        "connection objects still used after the client left"
    );
}

/// Same with `http-reuse safe`: the client's connection plus the parked idle
/// server connection.
#[test]
fn pools_reuse_safe_parks_the_server_connection() {
    if is_haproxy() {
        return;
    }
    let o = echo_path_origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, "    http-reuse safe\n"), &[&fe]);
    let c = n_requests(port, 3);
    logs_for(&px, c.port(), 3, T);
    assert_eq!(o.accepted(), 1);
    let p = pools::connections(&px);
    assert_eq!(
        p.used, 2,
        "client connection + one idle server connection expected: {p:?}"
    );
    drop(c);
}

/// Python's `http.client` (a real client with its own framing logic) on one
/// keep-alive connection: GET, HEAD, a POST with a body, a chunked response,
/// then GET again; everything on one client and one server connection.
#[test]
fn python_http_client_keep_alive() {
    if !tests::http::have_tool("python3") {
        eprintln!("python3 not installed: skipped");
        return;
    }
    let o = Origin::start(|r| match (r.head.method(), r.head.target()) {
        ("HEAD", _) => Reply::Send(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n".to_vec()),
        ("POST", _) => Reply::Send(tests::http::response(
            201,
            &[],
            format!("got {}", r.body.len()).as_bytes(),
        )),
        (_, "/chunked") => {
            let mut v = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
            v.extend_from_slice(&tests::http::chunked(&[b'z'; 5000], 1000, &[]));
            Reply::Send(v)
        }
        _ => Reply::Send(tests::http::response(200, &[], b"plain")),
    });
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let script = r#"
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
out = []
def req(m, p, body=None):
    c.request(m, p, body=body)
    r = c.getresponse()
    data = r.read()
    out.append("%s %s %d %d" % (m, p, r.status, len(data)))
req("GET", "/a")
req("HEAD", "/h")
req("POST", "/p", body=b"x" * 100000)
req("GET", "/chunked")
req("GET", "/b")
print("|".join(out))
"#;
    let port_s = port.to_string();
    let r = tests::http::python(script, &[&port_s]);
    assert_eq!(r.code, Some(0), "python failed: {}", r.stderr);
    assert_eq!(
        String::from_utf8_lossy(&r.stdout).trim(),
        "GET /a 200 5|HEAD /h 200 0|POST /p 201 10|GET /chunked 200 5000|GET /b 200 5"
    );
    assert_eq!(o.accepted(), 1, "server connections");
    let reqs = o.wait_requests(5, T);
    let conns: std::collections::HashSet<usize> = reqs.iter().map(|r| r.conn).collect();
    assert_eq!(conns.len(), 1);
    let logs = px.wait_logs(
        5,
        |l| l.contains("\"GET /") || l.contains("\"HEAD") || l.contains("\"POST"),
        T,
    );
    let ports: std::collections::HashSet<u16> = logs
        .iter()
        .map(|l| tests::httplog::parse(l).unwrap().client_port)
        .collect();
    assert_eq!(ports.len(), 1, "one client connection: {logs:?}");
}

/// A client that half-closes right after its request (`nc -N` style) still
/// gets the whole response, then the connection ends.
#[test]
fn request_then_half_close_gets_the_response() {
    let o = Origin::start(|r| {
        Reply::After(
            Duration::from_millis(300),
            Box::new(Reply::Send(tests::http::response(
                200,
                &[],
                r.head.target().as_bytes(),
            ))),
        )
    });
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"GET /half HTTP/1.1\r\nhost: a\r\n\r\n");
    c.s.shutdown(std::net::Shutdown::Write).unwrap();
    let r = c.read_response(false);
    assert_eq!(r.body, b"/half");
    assert_eq!(c.wait_closed(T), Some(true));
    let l = logs_for(&px, c.port(), 1, T).remove(0);
    assert_eq!((l.status, l.term.as_str()), (200, "----"), "{l}");
}

/// What becomes of the connection after an answer of the proxy's own
/// (`return`, `deny`, `redirect`) to a request with a body, through ours
/// and through HAProxy 2.6 with the same configuration: a body already
/// here whole goes with the request and the connection stays (but a
/// redirect ends any request with a body); a body still on its way ends
/// the connection and the answer says `connection: close`.
#[test]
fn local_answers_to_requests_with_bodies_end_as_haproxy_ends_them() {
    if is_haproxy() {
        return;
    }
    let cases: [(&str, &[u8]); 12] = [
        ("return, whole body", b"POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello"),
        ("return, partial body", b"POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nhello"),
        ("return, head only", b"POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n"),
        (
            "return, partial chunked",
            b"POST /a HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n",
        ),
        (
            "return, whole chunked",
            b"POST /a HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        ),
        ("deny, whole body", b"POST /d HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello"),
        ("deny, partial body", b"POST /d HTTP/1.1\r\nhost: x\r\ncontent-length: 9\r\n\r\nhello"),
        ("redirect, whole body", b"POST /r HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello"),
        // The client's own choice shows in the answer too: HAProxy's
        // HTTP/1 output says `close` to a client that closes and
        // `keep-alive` to an HTTP/1.0 client that stays.
        ("return, client closes", b"GET /a HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"),
        ("return, HTTP/1.0", b"GET /a HTTP/1.0\r\nhost: x\r\n\r\n"),
        (
            "return, HTTP/1.0 keep-alive",
            b"GET /a HTTP/1.0\r\nhost: x\r\nconnection: keep-alive\r\n\r\n",
        ),
        (
            "return, whole body, client closes",
            b"POST /a HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 5\r\n\r\nhello",
        ),
    ];
    let run = |bin: Option<&str>| -> Vec<String> {
        let fe = BoundPort::new();
        let port = fe.port;
        let config = format!(
            "{}frontend fe\n    bind {fe}\n\
             \x20   http-request deny if {{ path /d }}\n\
             \x20   http-request redirect location /x if {{ path /r }}\n\
             \x20   http-request return status 200 content-type text/plain string hi\n",
            http_defaults()
        );
        let mut b = Proxy::builder(&config).listen(&fe);
        if let Some(bin) = bin {
            b = b.bin(bin);
        }
        let _px = b.start();
        cases
            .iter()
            .map(|(name, req)| {
                let mut c = Client::connect(port);
                c.send(req);
                let closed = match c.wait_closed(Duration::from_millis(700)) {
                    Some(true) => "closed",
                    _ => "open",
                };
                let got = String::from_utf8_lossy(c.pending()).replace("\r\n", "|");
                format!("{name}: {got} [{closed}]")
            })
            .collect()
    };
    let ours = run(None);
    if std::path::Path::new(tests::checks::HAPROXY).exists() {
        let reference = run(Some(tests::checks::HAPROXY));
        assert_eq!(ours, reference);
    }
    assert!(
        ours[0].ends_with("[open]") && !ours[0].contains("connection: close"),
        "{}",
        ours[0]
    );
    assert!(
        ours[1].contains("|connection: close|") && ours[1].ends_with("[closed]"),
        "{}",
        ours[1]
    );
    assert!(ours[8].contains("|connection: close|"), "{}", ours[8]);
    assert!(
        ours[10].contains("|connection: keep-alive|"),
        "{}",
        ours[10]
    );
}
