//! HTTP rules end to end: ACL-based `use_backend`, header edits seen by the
//! backend and by the client, local answers (`return`, `redirect`,
//! `monitor-uri`), `option forwardfor`, `errorfile`, header captures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tests::http::{http_defaults, response, Client, Origin, Reply};
use tests::httplog::log_for;
use tests::{BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

/// An origin answering `<name> <path>`, with a response header for
/// `http-response` rules to edit.
fn named(name: &'static str) -> Origin {
    Origin::start(move |r| {
        let body = format!("{name} {}", r.head.target());
        Reply::Send(response(
            200,
            &["x-origin: yes", "server: tiny"],
            body.as_bytes(),
        ))
    })
}

#[track_caller]
fn assert_text(got: &[u8], want: &[u8]) {
    assert_eq!(
        String::from_utf8_lossy(got),
        String::from_utf8_lossy(want),
        "bytes differ"
    );
}

#[test]
fn acl_use_backend_routes_requests() {
    let (a, b) = (named("api"), named("web"));
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&format!(
        "{}frontend fe\n    bind {fe}\n    acl is_api path_beg /api\n    acl is_v2 hdr(x-version) -m str 2\n    use_backend be_api if is_api || is_v2\n    default_backend be_web\n\nbackend be_api\n    server a1 127.0.0.1:{}\n\nbackend be_web\n    server w1 127.0.0.1:{}\n",
        http_defaults(),
        a.port,
        b.port
    ), &[&fe]);
    let mut c = Client::connect(port);
    assert_eq!(c.get("/api/users").body, b"api /api/users");
    assert_eq!(c.get("/index").body, b"web /index");
    c.send(b"GET /other HTTP/1.1\r\nhost: a\r\nx-version: 2\r\n\r\n");
    assert_eq!(c.read_response(false).body, b"api /other");
    let logs = tests::httplog::logs_for(&px, c.port(), 3, T);
    let routes: Vec<(&str, &str)> = logs
        .iter()
        .map(|l| (l.backend.as_str(), l.server.as_str()))
        .collect();
    assert_eq!(
        routes,
        [("be_api", "a1"), ("be_web", "w1"), ("be_api", "a1")]
    );
}

#[test]
fn request_header_rules_are_seen_by_the_backend() {
    let o = named("o");
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(&format!(
        "{}listen web\n    bind {fe}\n    http-request set-header x-set replaced\n    http-request add-header x-add added\n    http-request del-header x-secret\n    http-request set-header x-path %[path]\n    server o1 127.0.0.1:{}\n",
        http_defaults(),
        o.port
    ), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"GET /p?q=1 HTTP/1.1\r\nhost: a\r\nx-set: one\r\nx-set: two\r\nx-add: first\r\nx-secret: s3cr3t\r\nX-Secret: again\r\n\r\n");
    assert_eq!(c.read_response(false).status(), 200);
    let got = o.wait_requests(1, T).remove(0);
    assert_eq!(got.head.all("x-set"), vec!["replaced"], "{:?}", got.head);
    assert_eq!(
        got.head.all("x-add"),
        vec!["first", "added"],
        "{:?}",
        got.head
    );
    assert!(!got.head.has("x-secret"), "{:?}", got.head);
    assert_eq!(got.head.get("x-path"), Some("/p"));
    assert_eq!(got.head.get("host"), Some("a"));
}

#[test]
fn response_header_rules_are_seen_by_the_client() {
    let o = named("o");
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(&format!(
        "{}listen web\n    bind {fe}\n    http-response set-header x-origin overridden\n    http-response add-header x-via proxy\n    http-response del-header server\n    server o1 127.0.0.1:{}\n",
        http_defaults(),
        o.port
    ), &[&fe]);
    let mut c = Client::connect(port);
    let r = c.get("/r");
    assert_eq!(r.head.all("x-origin"), vec!["overridden"], "{:?}", r.head);
    assert_eq!(r.head.get("x-via"), Some("proxy"));
    assert!(!r.head.has("server"), "{:?}", r.head);
    assert_eq!(r.body, b"o /r");
}

/// `http-request return`: the exact answer HAProxy 2.6 sends, logged `LR`,
/// the backend untouched, the connection kept.
#[test]
fn http_request_return_is_local_and_logged_lr() {
    let o = named("o");
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&format!(
        "{}listen web\n    bind {fe}\n    http-request return status 200 content-type text/plain string hello if {{ path /hello }}\n    server o1 127.0.0.1:{}\n",
        http_defaults(),
        o.port
    ), &[&fe]);
    let mut c = Client::connect(port);
    let r = c.get("/hello");
    assert_text(
        &r.raw,
        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello",
    );
    assert_eq!(c.get("/next").body, b"o /next", "connection kept");
    let l = log_for(&px, c.port(), T);
    assert_eq!((l.status, l.term.as_str()), (200, "LR--"), "{l}");
    assert_eq!(l.server, "<NOSRV>", "{l}");
    assert_eq!(o.requests().len(), 1, "only /next reached the backend");
}

/// `http-request redirect location /x code N`: HAProxy 2.6's bytes, where
/// only 302, 303 and 307 carry `cache-control: no-cache`; logged `LR--`.
#[test]
fn redirects() {
    let o = named("o");
    let fe = BoundPort::new();
    let port = fe.port;
    let mut rules = String::new();
    for code in [301, 302, 303, 307, 308] {
        rules +=
            &format!("    http-request redirect location /x code {code} if {{ path /{code} }}\n");
    }
    let px = Proxy::start_with(
        &format!(
            "{}listen web\n    bind {fe}\n{rules}    server o1 127.0.0.1:{}\n",
            http_defaults(),
            o.port
        ),
        &[&fe],
    );
    let mut c = Client::connect(port);
    for (code, reason) in [
        (301, "Moved Permanently"),
        (302, "Found"),
        (303, "See Other"),
        (307, "Temporary Redirect"),
        (308, "Permanent Redirect"),
    ] {
        let r = c.get(&format!("/{code}"));
        let cc = if matches!(code, 302 | 303 | 307) {
            "cache-control: no-cache\r\n"
        } else {
            ""
        };
        let want =
            format!("HTTP/1.1 {code} {reason}\r\ncontent-length: 0\r\nlocation: /x\r\n{cc}\r\n");
        assert_text(&r.raw, want.as_bytes());
    }
    let logs = tests::httplog::logs_for(&px, c.port(), 5, T);
    for (l, code) in logs.iter().zip([301, 302, 303, 307, 308]) {
        assert_eq!((l.status, l.term.as_str()), (code, "LR--"), "{l}");
    }
    assert_eq!(o.accepted(), 0);
}

#[test]
fn forwardfor_reaches_the_backend() {
    let o = named("o");
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(
        &format!(
            "{}listen web\n    bind {fe}\n    option forwardfor\n    server o1 127.0.0.1:{}\n",
            http_defaults(),
            o.port
        ),
        &[&fe],
    );
    let mut c = Client::connect(port);
    c.get("/f");
    let got = o.wait_requests(1, T).remove(0);
    assert_eq!(
        got.head.all("x-forwarded-for"),
        vec!["127.0.0.1"],
        "{:?}",
        got.head
    );
}

/// `monitor-uri`: 200 without touching the backend.
#[test]
fn monitor_uri_answers_without_the_backend() {
    let o = named("o");
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(
        &format!(
            "{}listen web\n    bind {fe}\n    monitor-uri /health\n    server o1 127.0.0.1:{}\n",
            http_defaults(),
            o.port
        ),
        &[&fe],
    );
    let mut c = Client::connect(port);
    let r = c.get("/health");
    assert_text(
        &r.raw,
        b"HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n",
    );
    assert_eq!(
        c.get("/x").body,
        b"o /x",
        "connection kept after the monitor answer"
    );
    assert_eq!(o.requests().len(), 1);
}

/// `errorfile 503`: the file's bytes are sent as they are for a 503.
#[test]
fn errorfile_is_used_for_503() {
    let dir = tests::TempDir::new();
    let page = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 11\r\nx-custom: 1\r\n\r\nsorry, down";
    let path = dir.path().join("503.http");
    std::fs::write(&path, page).unwrap();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&format!(
        "{}frontend fe\n    bind {fe}\n    default_backend empty\n\nbackend empty\n    errorfile 503 {}\n",
        http_defaults(),
        path.display()
    ), &[&fe]);
    let mut c = Client::connect(port);
    let r = c.get("/x");
    assert_eq!(r.status(), 503);
    assert_eq!(r.body, b"sorry, down");
    assert_eq!(r.head.get("x-custom"), Some("1"), "{:?}", r.head);
    let l = log_for(&px, c.port(), T);
    assert_eq!((l.status, l.term.as_str()), (503, "SC--"), "{l}");
}

/// `capture request header Host len 32` shows `{host}` in the log line,
/// truncated to 32 bytes; `capture response header` shows its `{...}` block
/// after it.
#[test]
fn captures_show_in_the_httplog_line() {
    let o = named("o");
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&format!(
        "{}frontend fe\n    bind {fe}\n    capture request header Host len 32\n    capture request header User-Agent len 5\n    capture response header Server len 10\n    default_backend be\n\nbackend be\n    server o1 127.0.0.1:{}\n",
        http_defaults(),
        o.port
    ), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"GET /c HTTP/1.1\r\nhost: www.example.com\r\nuser-agent: curl/8.0\r\n\r\n");
    c.read_response(false);
    let long = "h".repeat(40);
    c.send(format!("GET /d HTTP/1.1\r\nhost: {long}\r\n\r\n").as_bytes());
    c.read_response(false);
    let logs = tests::httplog::logs_for(&px, c.port(), 2, T);
    assert_eq!(
        logs[0].req_captures,
        Some(vec!["www.example.com".to_string(), "curl/".to_string()]),
        "{}",
        logs[0]
    );
    assert_eq!(
        logs[0].res_captures,
        Some(vec!["tiny".to_string()]),
        "{}",
        logs[0]
    );
    assert_eq!(
        logs[1].req_captures,
        Some(vec!["h".repeat(32), String::new()]),
        "{}",
        logs[1]
    );
}
