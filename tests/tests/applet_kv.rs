//! The `kv` example service (examples/applets/kv) through the real proxy
//! binary and the real library, on loopback sockets: the proxy parses the
//! requests, de-frames their bodies, sends `100 Continue` and frames the
//! answers; the applet only stores and returns bytes.
//!
//! `libapplet_kv.so` is loaded from the binary's own directory, as
//! `hello` in applet_http.rs (`cargo build --workspace` puts it there).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tests::applets::fixture;
use tests::http::{curl, have_tool, http_defaults, Client};
use tests::httplog::{logs_for, parse};
use tests::util::{payload, TempDir};
use tests::{is_haproxy, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

/// A proxy whose frontend hands every request to `kv` (`args`: the
/// service's arguments, with a leading space).
fn start(args: &str) -> (Proxy, u16) {
    let _ = fixture("applet_kv");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}frontend fe\n    bind {fe}\n    http-request use-service kv{args}\n",
        http_defaults()
    );
    (Proxy::start_with(&cfg, &[&fe]), port)
}

/// `curl -v -o /dev/null -w %{http_code} args...`: the status, and curl's
/// run.
fn curl_status(args: &[&str]) -> (String, tests::http::ToolOutput) {
    let mut a = vec!["-v", "-o", "/dev/null", "-w", "%{http_code}"];
    a.extend_from_slice(args);
    let o = curl(&a, b"");
    (String::from_utf8_lossy(&o.stdout).into_owned(), o)
}

/// `curl -T` of ~100 KiB: curl sends `Expect: 100-continue` and the proxy
/// answers `100 Continue` at once (no one-second stall), the value comes
/// back identical, DELETE removes it, and a 2 MiB upload gets 413.
#[test]
fn curl_put_get_delete_and_too_large() {
    if is_haproxy() {
        return;
    }
    if !have_tool("curl") {
        eprintln!("curl not installed: skipped");
        return;
    }
    let (px, port) = start("");
    let dir = TempDir::new();
    let value = payload(9, 100 * 1024 + 17);
    let file = dir.path().join("value");
    std::fs::write(&file, &value).unwrap();
    let file = file.to_str().unwrap();
    let url = format!("http://127.0.0.1:{port}/curl-key");

    let (status, put) = curl_status(&["-T", file, &url]);
    assert_eq!(
        (put.code, status.as_str()),
        (Some(0), "201"),
        "{}",
        put.stderr
    );
    assert!(
        put.stderr.contains("> Expect: 100-continue")
            && put.stderr.contains("< HTTP/1.1 100 Continue"),
        "no 100 Continue exchange: {}",
        put.stderr
    );
    eprintln!("curl PUT of {} bytes took {:?}", value.len(), put.elapsed);
    assert!(
        put.elapsed < Duration::from_millis(900),
        "the upload took {:?}: curl waited for 100 Continue (its timeout is 1 s)",
        put.elapsed
    );
    let line = px
        .wait_log(|l| l.contains("\"PUT /curl-key HTTP/1.1\""), T)
        .expect("no log line for the PUT");
    let l = parse(&line).unwrap();
    assert_eq!(
        (
            l.frontend.as_str(),
            l.server.as_str(),
            l.status,
            l.term.as_str()
        ),
        ("fe", "<KV>", 201, "LR--"),
        "{l}"
    );

    let get = curl(&[&url], b"");
    assert_eq!(get.code, Some(0), "{}", get.stderr);
    assert!(
        get.stdout == value,
        "GET returned {} bytes",
        get.stdout.len()
    );

    let (status, del) = curl_status(&["-X", "DELETE", &url]);
    assert_eq!(status, "204", "{}", del.stderr);
    let (status, get) = curl_status(&[&url]);
    assert_eq!(status, "404", "{}", get.stderr);

    let big = dir.path().join("big");
    std::fs::write(&big, payload(10, 2 << 20)).unwrap();
    let big_url = format!("http://127.0.0.1:{port}/curl-big");
    let (status, put) = curl_status(&["-T", big.to_str().unwrap(), &big_url]);
    assert_eq!(status, "413", "{}", put.stderr);
    let (status, _) = curl_status(&[&big_url]);
    assert_eq!(status, "404");
}

/// A PUT with its body, a GET of it and a GET of a missing key in one
/// write: answered in order on one connection, which stays usable.
#[test]
fn pipelined_requests_are_answered_in_order() {
    if is_haproxy() {
        return;
    }
    let (px, port) = start("");
    let mut c = Client::connect(port);
    c.send(
        b"PUT /pipe HTTP/1.1\r\nhost: x\r\ncontent-length: 11\r\n\r\nhello world\
          GET /pipe HTTP/1.1\r\nhost: x\r\n\r\n\
          GET /pipe-missing HTTP/1.1\r\nhost: x\r\n\r\n",
    );
    let put = c.read_response(false);
    assert_eq!(
        put.raw,
        b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n"
    );
    let get = c.read_response(false);
    assert_eq!(get.status(), 200);
    assert_eq!(
        get.head.get("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(get.body, b"hello world");
    let missing = c.read_response(false);
    assert_eq!(missing.status(), 404);
    assert!(c.pending().is_empty(), "extra bytes: {:?}", c.pending());
    // Still alive.
    assert_eq!(c.get("/pipe").body, b"hello world");
    let logs = logs_for(&px, c.port(), 4, T);
    let got: Vec<(&str, i32, &str)> = logs
        .iter()
        .map(|l| (l.request.as_str(), l.status, l.server.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("PUT /pipe HTTP/1.1", 201, "<KV>"),
            ("GET /pipe HTTP/1.1", 200, "<KV>"),
            ("GET /pipe-missing HTTP/1.1", 404, "<KV>"),
            ("GET /pipe HTTP/1.1", 200, "<KV>"),
        ]
    );
}

/// A chunked upload with a chunk extension and trailers, one byte per
/// write: the applet stores the de-framed body.
#[test]
fn chunked_upload_one_byte_per_write() {
    if is_haproxy() {
        return;
    }
    let (_px, port) = start("");
    let mut c = Client::connect(port);
    let req = b"PUT /chunky HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n\
                5;name=value\r\nhello\r\n7;x\r\n, world\r\n0\r\nx-trailer: yes\r\n\r\n";
    for b in req {
        c.send(&[*b]);
    }
    let r = c.read_response(false);
    assert_eq!(r.status(), 201, "{:?}", String::from_utf8_lossy(&r.raw));
    let r = c.get("/chunky");
    assert_eq!(r.status(), 200);
    assert_eq!(r.body, b"hello, world");
}

/// A chunked upload over the limit (`use-service kv 64`) is refused as
/// soon as it passes it; the rest of its body is dropped and the
/// connection serves the next request.
#[test]
fn chunked_upload_over_the_limit_gets_413() {
    if is_haproxy() {
        return;
    }
    let (_px, port) = start(" 64");
    let mut c = Client::connect(port);
    let mut req = b"PUT /limit HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    req.extend_from_slice(&tests::http::chunked(&[b'z'; 200], 40, &[]));
    c.send(&req);
    let r = c.read_response(false);
    assert_eq!(r.status(), 413);
    assert_eq!(c.get("/limit").status(), 404);
    // At the limit exactly: stored.
    c.send(b"PUT /limit HTTP/1.1\r\nhost: x\r\ncontent-length: 64\r\n\r\n");
    c.send(&[b'z'; 64]);
    assert_eq!(c.read_response(false).status(), 201);
    assert_eq!(c.get("/limit").body, [b'z'; 64]);
}

/// An HTTP/1.0 GET gets the value and the connection closes.
#[test]
fn http10_get_gets_the_body_then_close() {
    if is_haproxy() {
        return;
    }
    let (_px, port) = start("");
    let mut c = Client::connect(port);
    c.send(b"PUT /old HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc");
    assert_eq!(c.read_response(false).status(), 201);
    let mut c = Client::connect(port);
    c.send(b"GET /old HTTP/1.0\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!(r.status(), 200);
    assert_eq!(r.body, b"abc");
    assert_eq!(c.wait_closed(T), Some(true), "the connection stayed open");
    assert!(c.pending().is_empty(), "extra bytes: {:?}", c.pending());
}
