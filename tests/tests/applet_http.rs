//! `http-request use-service`: an applet's response goes through the same
//! response path as a server's: parsed and forwarded with its framing,
//! kept alive, run through the frontend's `http-response` rules, counted
//! and logged with `<NAME>` (upper case) as the server, `LR--` as HAProxy
//! logs a service's answer (`fe/<PROMEX> ... LR--`).
//!
//! The `hello` service (examples/applets/hello) is loaded from the
//! binary's own directory (`cargo build --workspace` puts it there).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tests::applets::fixture;
use tests::http::{http_defaults, response, Client, Origin, Reply};
use tests::httplog::{log_for, logs_for};
use tests::{is_haproxy, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);
const BODY: &[u8] = b"Hello, world!\n";
/// What `hello` sends: its response goes to the client unchanged.
const WIRE: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 14\r\n\r\nHello, world!\n";

fn start(frontend_extra: &str) -> (Proxy, u16) {
    // The services come from the binary's directory.
    let _ = fixture("applet_hello");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}frontend fe\n    bind {fe}\n{frontend_extra}",
        http_defaults()
    );
    (Proxy::start_with(&cfg, &[&fe]), port)
}

/// Several requests on one connection: each answered by the applet byte
/// for byte, each logged `fe fe/<HELLO>` with status, byte count and
/// `LR--`; the connection stays open after the last one.
#[test]
fn hello_keeps_the_connection_alive_and_logs_its_name() {
    if is_haproxy() {
        return;
    }
    let (px, port) = start("    http-request use-service hello\n");
    let mut c = Client::connect(port);
    for i in 0..5 {
        let r = c.get(&format!("/r{i}"));
        assert_eq!(
            r.raw,
            WIRE,
            "request {i}: {:?}",
            String::from_utf8_lossy(&r.raw)
        );
    }
    assert!(
        c.quiet_for(Duration::from_millis(200)),
        "the connection was not kept alive"
    );
    let logs = logs_for(&px, c.port(), 5, T);
    for (i, l) in logs.iter().enumerate() {
        assert_eq!(
            (l.frontend.as_str(), l.backend.as_str(), l.server.as_str()),
            ("fe", "fe", "<HELLO>"),
            "{l}"
        );
        assert_eq!(l.status, 200, "{l}");
        assert_eq!(l.bytes, WIRE.len() as u64, "{l}");
        assert_eq!(l.term, "LR--", "{l}");
        assert_eq!(l.request, format!("GET /r{i} HTTP/1.1"), "{l}");
        // One client connection, counted as such while it is served.
        assert_eq!((l.actconn, l.feconn), (1, 1), "{l}");
        assert!(l.t_response >= 0 && l.t_active >= 0, "{l}");
    }
    // Nothing leaked: the stream and the client connection are the only
    // objects, and the server side never allocated a connection.
    drop(c);
    let p = tests::util::poll_until(T, || {
        let p = tests::pools::connections(&px);
        (p.used == 0).then_some(p)
    });
    let p = p.expect("the client connection was not freed");
    assert_eq!(
        p.allocated, 1,
        "an outgoing connection was allocated: {p:?}"
    );
}

/// The applet's response head goes through the response analysers: the
/// framing decides keep-alive, `connection: close` is added for an
/// HTTP/1.0 or closing client, and the connection then ends.
#[test]
fn closing_clients_get_connection_close() {
    if is_haproxy() {
        return;
    }
    let (px, port) = start("    http-request use-service hello\n");
    for req in [
        "GET /a HTTP/1.0\r\nhost: x\r\n\r\n",
        "GET /b HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    ] {
        let mut c = Client::connect(port);
        c.send(req.as_bytes());
        let r = c.read_response(false);
        assert_eq!(r.status(), 200, "{req:?}");
        assert_eq!(r.body, BODY, "{req:?}");
        assert!(r.head.connection_has("close"), "{req:?}: {:?}", r.head);
        assert_eq!(c.wait_closed(T), Some(true), "{req:?}: not closed");
        let l = log_for(&px, c.port(), T);
        assert_eq!(
            (l.server.as_str(), l.status, l.term.as_str()),
            ("<HELLO>", 200, "LR--"),
            "{l}"
        );
        assert_eq!(l.bytes, r.raw.len() as u64, "{l}");
    }
}

/// Request bodies (length and chunked) reach the applet and are drained;
/// HEAD gets a head only; pipelined requests are answered in order; all on
/// one connection.
#[test]
fn bodies_head_and_pipelining() {
    if is_haproxy() {
        return;
    }
    let (px, port) = start("    http-request use-service hello\n");
    let mut c = Client::connect(port);
    c.send(b"POST /p HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello");
    assert_eq!(c.read_response(false).raw, WIRE);
    c.send(
        b"POST /c HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    assert_eq!(c.read_response(false).raw, WIRE);
    c.send(b"HEAD /h HTTP/1.1\r\nhost: x\r\n\r\n");
    let r = c.read_response(true);
    assert_eq!(r.status(), 200);
    assert_eq!(r.head.get("content-length"), Some("14"));
    c.send(b"GET /1 HTTP/1.1\r\nhost: x\r\n\r\nGET /2 HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(c.read_response(false).raw, WIRE);
    assert_eq!(c.read_response(false).raw, WIRE);
    assert!(
        c.pending().is_empty(),
        "extra bytes: {:?}",
        String::from_utf8_lossy(c.pending())
    );
    let logs = logs_for(&px, c.port(), 5, T);
    let reqs: Vec<&str> = logs.iter().map(|l| l.request.as_str()).collect();
    assert_eq!(
        reqs,
        [
            "POST /p HTTP/1.1",
            "POST /c HTTP/1.1",
            "HEAD /h HTTP/1.1",
            "GET /1 HTTP/1.1",
            "GET /2 HTTP/1.1"
        ]
    );
    assert!(
        logs.iter()
            .all(|l| l.server == "<HELLO>" && l.status == 200 && l.term == "LR--"),
        "{logs:#?}"
    );
    assert_eq!(
        logs[2].bytes,
        (WIRE.len() - BODY.len()) as u64,
        "HEAD: {}",
        logs[2]
    );
}

/// The frontend's `http-response` rules apply to the applet's response as
/// to a server's (HAProxy does so for a use-service answer).
#[test]
fn http_response_rules_apply_to_the_applet_response() {
    if is_haproxy() {
        return;
    }
    let (px, port) = start(
        "    http-request use-service hello\n    http-response set-header x-test yes\n    http-response add-header x-status %[status]\n",
    );
    let mut c = Client::connect(port);
    let r = c.get("/");
    assert_eq!(r.status(), 200);
    assert_eq!(r.body, BODY);
    assert_eq!(r.head.get("x-test"), Some("yes"), "{:?}", r.head);
    assert_eq!(r.head.get("x-status"), Some("200"), "{:?}", r.head);
    let l = log_for(&px, c.port(), T);
    assert_eq!(l.bytes, r.raw.len() as u64, "{l}");
    // Still kept alive after the rewrite.
    assert_eq!(c.get("/again").status(), 200);
}

/// One connection alternating between the applet and a real server:
/// keep-alive holds across both kinds of server side, each request logged
/// with its own server, and the server connection is the only outgoing one.
#[test]
fn applet_and_server_alternate_on_one_connection() {
    if is_haproxy() {
        return;
    }
    let o = Origin::start(|r| {
        let body = format!("origin {}", r.head.target());
        Reply::Send(response(200, &[], body.as_bytes()))
    });
    let _ = fixture("applet_hello");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}frontend fe\n    bind {fe}\n    http-request use-service hello if {{ path_beg /hello }}\n    default_backend be\n\nbackend be\n    server s1 127.0.0.1:{}\n",
        http_defaults(),
        o.port
    );
    let px = Proxy::start_with(&cfg, &[&fe]);
    let mut c = Client::connect(port);
    let paths = ["/hello/1", "/x", "/hello/2", "/y", "/hello/3"];
    for p in paths {
        let r = c.get(p);
        assert_eq!(r.status(), 200, "{p}");
        if p.starts_with("/hello") {
            assert_eq!(r.raw, WIRE, "{p}");
        } else {
            assert_eq!(r.body, format!("origin {p}").as_bytes(), "{p}");
        }
    }
    let logs = logs_for(&px, c.port(), paths.len(), T);
    for (l, p) in logs.iter().zip(paths) {
        let want = if p.starts_with("/hello") {
            ("fe", "<HELLO>", "LR--")
        } else {
            ("be", "s1", "----")
        };
        assert_eq!(
            (l.backend.as_str(), l.server.as_str(), l.term.as_str()),
            want,
            "{l}"
        );
        assert_eq!(l.request, format!("GET {p} HTTP/1.1"), "{l}");
    }
    assert_eq!(o.wait_requests(2, T).len(), 2);
    // The applet's transactions never reached the origin.
    assert!(o
        .requests()
        .iter()
        .all(|r| !r.head.target().starts_with("/hello")));
}

/// Service arguments: the words after the service name, up to `if` or
/// `unless`, reach its constructor (`hello` answers its first argument);
/// a constructor that refuses them is a configuration error at
/// `file:line` naming the service, at `-c` as at start.
#[test]
fn service_arguments_reach_the_constructor() {
    if is_haproxy() {
        return;
    }
    let (_px, port) = start(
        "    http-request use-service hello \"hi there\" if { path /hi }\n    http-request use-service hello\n",
    );
    let mut c = Client::connect(port);
    let r = c.get("/hi");
    assert!(
        r.raw.ends_with(b"\r\n\r\nhi there"),
        "{:?}",
        String::from_utf8_lossy(&r.raw)
    );
    let r = c.get("/other");
    assert!(
        r.raw.ends_with(b"Hello, world!\n"),
        "{:?}",
        String::from_utf8_lossy(&r.raw)
    );

    let _ = fixture("applet_hello");
    let dir = tests::util::TempDir::new();
    let file = dir.write(
        "bad.cfg",
        &format!(
            "{}frontend fe\n    bind 127.0.0.1:{}\n    http-request use-service hello a b\n",
            http_defaults(),
            tests::free_port()
        ),
    );
    let line = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .position(|l| l.contains("use-service hello a b"))
        .unwrap()
        + 1;
    let o = tests::run_proxy(&["-c", "-f", file.to_str().unwrap()], &[]);
    assert_eq!(o.code, Some(1), "{}", o.all());
    assert!(
        o.stderr.contains(&format!(
            "parsing [{}:{line}] : 'http-request use-service' : service 'hello' refused its arguments: hello takes at most one argument, got 2",
            file.display()
        )),
        "{}",
        o.stderr
    );
    // The same for a TCP service's arguments.
    let file = dir.write(
        "bad-tcp.cfg",
        &format!(
            "{}frontend fe\n    bind 127.0.0.1:{}\n    tcp-request content use-service echo x if TRUE\n",
            http_defaults(),
            tests::free_port()
        ),
    );
    let o = tests::run_proxy(&["-c", "-f", file.to_str().unwrap()], &[]);
    assert_eq!(o.code, Some(1), "{}", o.all());
    assert!(
        o.stderr
            .contains("'tcp-request content use-service' : service 'echo' refused its arguments: echo takes no argument"),
        "{}",
        o.stderr
    );
}

/// A wakeable service (`longpoll`, flagged `ServiceFlags::WAKEABLE`): a
/// `GET` waits with nothing to read until a `POST` on another connection
/// publishes a message and wakes it from that stream's thread through
/// `Host::wake`; the waiter then answers at once, on a connection that
/// stays usable.
#[test]
fn a_waiting_applet_is_woken_from_another_stream() {
    if is_haproxy() {
        return;
    }
    let (px, port) = start("    http-request use-service longpoll\n");
    let mut waiter = Client::connect(port);
    waiter.send(b"GET /poll HTTP/1.1\r\nhost: x\r\n\r\n");
    assert!(
        waiter.quiet_for(Duration::from_millis(300)),
        "the GET must wait for a message"
    );
    let mut poster = Client::connect(port);
    poster.send(b"POST /poll HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\nnews");
    assert_eq!(poster.read_response(false).status(), 204);
    let r = waiter.read_response(false);
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"news"[..]));
    let l = log_for(&px, waiter.port(), T);
    assert_eq!((l.server.as_str(), l.status), ("<LONGPOLL>", 200), "{l}");
    // Not a one-off: the next GET waits for the next message.
    waiter.send(b"GET /poll HTTP/1.1\r\nhost: x\r\n\r\n");
    assert!(waiter.quiet_for(Duration::from_millis(200)));
    poster.send(b"POST /poll HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nlater");
    assert_eq!(poster.read_response(false).status(), 204);
    assert_eq!(waiter.read_response(false).body, b"later");
}

/// An answer given while the client still holds its body back for
/// `100 Continue` ends the request: `connection: close` and a close, as
/// HAProxy 2.6 ends its own answer to an incomplete request, so that the
/// client's next request is never read as that body. A client that sends
/// its body at once keeps its connection.
#[test]
fn an_answer_to_a_held_back_body_closes_the_connection() {
    if is_haproxy() {
        return;
    }
    let (_px, port) = start("    http-request use-service hello\n");
    let mut c = Client::connect(port);
    c.send(b"POST /a HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 100\r\n\r\n");
    assert_eq!(c.wait_closed(T), Some(true), "not closed");
    let got = String::from_utf8_lossy(c.pending()).into_owned();
    assert!(
        got.starts_with("HTTP/1.1 200 OK\r\n") && got.contains("\r\nconnection: close\r\n"),
        "{got}"
    );
    assert!(!got.contains("100 Continue"), "{got}");
    // The body sent along: answered, and the connection serves again.
    let mut c = Client::connect(port);
    c.send(b"POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc");
    let r = c.read_response(false);
    assert_eq!(r.status(), 200);
    assert_eq!(c.get("/b").status(), 200);
}
