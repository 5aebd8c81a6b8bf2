//! Message bodies through HTTP mode: Content-Length and chunked requests
//! reach the server byte-exact, chunked and large responses reach the
//! client byte-exact, trailers pass, bodyless responses (HEAD, 204, 304)
//! carry nothing, a response delimited by the server's close ends the
//! client connection; `Expect: 100-continue` with curl; WebSocket upgrade.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tests::client::sum;
use tests::http::{chunked, curl, have_tool, http_defaults, response, Client, Origin, Reply};
use tests::httplog::log_for;
use tests::util::payload;
use tests::{is_haproxy, BoundPort, Proxy};

const T: Duration = Duration::from_secs(10);

fn cfg(fe: &BoundPort, origin: u16, extra: &str) -> String {
    format!(
        "{}listen web\n    bind {fe}\n{extra}    server o1 127.0.0.1:{origin}\n",
        http_defaults()
    )
}

/// `%B` is exactly what the client received. HAProxy 2.6 counts the
/// response's bytes in its internal (HTX) form instead, a few bytes off
/// the wire count either way (heads, chunk framing): it only has to be
/// close there.
#[track_caller]
fn assert_bytes(l: &tests::httplog::HttpLog, received: usize) {
    if is_haproxy() {
        assert!(
            l.bytes.abs_diff(received as u64) < 64 + received as u64 / 100,
            "%B {} vs {received} received: {l}",
            l.bytes
        );
    } else {
        assert_eq!(l.bytes, received as u64, "%B vs bytes received: {l}");
    }
}

/// Answers with the length and checksum of the body it got.
fn digest_origin() -> Origin {
    Origin::start(|r| {
        let d = format!("{} {:016x}", r.body.len(), sum(&r.body).hash);
        Reply::Send(response(200, &[], d.as_bytes()))
    })
}

/// Sends `head` then `body` from a writer thread (large bodies would fill
/// the socket buffers otherwise) and reads the response.
fn post(c: &mut Client, head: Vec<u8>, body: Vec<u8>) -> tests::http::Response {
    let mut w = c.s.try_clone().expect("clone");
    let t = std::thread::spawn(move || {
        w.write_all(&head)?;
        w.write_all(&body)
    });
    let r = c.read_response(false);
    t.join().expect("writer").expect("client write");
    r
}

#[test]
fn content_length_request_body_1m_is_byte_exact() {
    let o = digest_origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let body = payload(11, 1 << 20);
    let mut c = Client::connect(port);
    let head = format!(
        "POST /up HTTP/1.1\r\nhost: a\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let r = post(&mut c, head.into_bytes(), body.clone());
    assert_eq!(r.status(), 200);
    let want = format!("{} {:016x}", body.len(), sum(&body).hash);
    assert_eq!(String::from_utf8_lossy(&r.body), want);
    let got = o.wait_requests(1, T).remove(0);
    assert_eq!(got.head.get("content-length"), Some("1048576"));
    // Still usable afterwards.
    assert_eq!(c.get("/next").status(), 200);
    let l = log_for(&px, c.port(), T);
    assert_eq!(l.term, "----", "{l}");
}

#[test]
fn chunked_request_body_1m_is_byte_exact() {
    let o = digest_origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let body = payload(12, 1 << 20);
    let wire = chunked(&body, 7000, &[]);
    let mut c = Client::connect(port);
    let head = b"POST /up HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    let r = post(&mut c, head, wire.clone());
    assert_eq!(r.status(), 200);
    let want = format!("{} {:016x}", body.len(), sum(&body).hash);
    assert_eq!(String::from_utf8_lossy(&r.body), want);
    let got = o.wait_requests(1, T).remove(0);
    assert_eq!(sum(&got.body), sum(&body), "body at the server");
    // Ours forwards chunks as they are (HAProxy re-chunks through HTX).
    if !is_haproxy() {
        let end = tests::http::head_end(&got.raw).unwrap();
        assert_eq!(sum(&got.raw[end..]), sum(&wire), "chunked bytes changed");
    }
    assert_eq!(c.get("/next").status(), 200);
}

#[test]
fn request_trailers_reach_the_server() {
    let o = digest_origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"POST /t HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\nte: trailers\r\n\r\n5\r\nhello\r\n0\r\nx-check: 42\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!(r.status(), 200);
    let got = o.wait_requests(1, T).remove(0);
    assert_eq!(got.body, b"hello");
    assert_eq!(got.trailers, vec!["x-check: 42".to_string()]);
}

#[test]
fn chunked_response_with_trailers_is_byte_exact() {
    let body = payload(13, 300_000);
    let wire = chunked(&body, 4096, &["x-trailer: yes"]);
    let mut resp =
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-trailer\r\n\r\n".to_vec();
    resp.extend_from_slice(&wire);
    let o = Origin::raw_reply(resp);
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"GET /c HTTP/1.1\r\nhost: a\r\nte: trailers\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!(r.status(), 200);
    assert_eq!(sum(&r.body), sum(&body));
    assert_eq!(r.trailers, vec!["x-trailer: yes".to_string()]);
    if !is_haproxy() {
        let end = tests::http::head_end(&r.raw).unwrap();
        assert_eq!(sum(&r.raw[end..]), sum(&wire), "chunks changed on the way");
    }
    let l = log_for(&px, c.port(), T);
    assert_bytes(&l, r.raw.len());
    assert_eq!(c.get("/again").status(), 200);
}

#[test]
fn large_response_8m_is_byte_exact() {
    let body = Arc::new(payload(14, 8 << 20));
    let b2 = body.clone();
    let o = Origin::start(move |_| Reply::Send(response(200, &[], &b2)));
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"GET /big HTTP/1.1\r\nhost: a\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!(r.status(), 200);
    assert_eq!(sum(&r.body), sum(&body));
    let l = log_for(&px, c.port(), T);
    assert_bytes(&l, r.raw.len());
    assert_eq!(l.term, "----", "{l}");
}

/// HEAD, 204 and 304 responses have no body even when the server announces
/// a length; the connection stays in sync for the next request.
#[test]
fn bodyless_responses() {
    let o = Origin::start(|r| match r.head.target() {
        "/204" => Reply::Send(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()),
        "/304" => Reply::Send(b"HTTP/1.1 304 Not Modified\r\netag: \"x\"\r\n\r\n".to_vec()),
        _ => {
            if r.head.method() == "HEAD" {
                Reply::Send(b"HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n".to_vec())
            } else {
                Reply::Send(response(200, &[], b"full"))
            }
        }
    });
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"HEAD /h HTTP/1.1\r\nhost: a\r\n\r\n");
    let r = c.read_response(true);
    assert_eq!(r.status(), 200);
    assert_eq!(r.head.get("content-length"), Some("1234"));
    for p in ["/204", "/304"] {
        c.send(format!("GET {p} HTTP/1.1\r\nhost: a\r\n\r\n").as_bytes());
        let r = c.read_response(false);
        assert_eq!(r.status().to_string(), p[1..]);
    }
    // Nothing extra arrived: the next response is the right one.
    let r = c.get("/full");
    assert_eq!(r.body, b"full");
    assert!(c.pending().is_empty(), "extra bytes: {:?}", c.pending());
}

/// A response without length runs until the server closes; the client
/// connection is closed after it.
#[test]
fn response_until_close_ends_the_client_connection() {
    let body = payload(15, 100_000);
    let mut resp = b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\r\n".to_vec();
    resp.extend_from_slice(&body);
    let o = Origin::start(move |_| Reply::SendClose(resp.clone()));
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"GET /stream HTTP/1.1\r\nhost: a\r\n\r\n");
    let all = c.read_to_eof(T);
    let end = tests::http::head_end(&all).expect("head");
    let head = tests::http::Head::parse(&all[..end]);
    assert_eq!(head.status(), 200);
    assert!(head.connection_has("close"), "{head:?}");
    assert_eq!(sum(&all[end..]), sum(&body));
    let l = log_for(&px, c.port(), T);
    assert_bytes(&l, all.len());
    assert_eq!(l.ts(), "--", "{l}");
}

/// HTTP/1.0 server answering without length and without keep-alive.
#[test]
fn http10_response_until_close() {
    let o = Origin::start(|_| Reply::SendClose(b"HTTP/1.0 200 OK\r\n\r\nold style body".to_vec()));
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(b"GET / HTTP/1.1\r\nhost: a\r\n\r\n");
    let all = c.read_to_eof(T);
    assert!(
        all.starts_with(b"HTTP/1.0 200 OK\r\n"),
        "{:?}",
        String::from_utf8_lossy(&all)
    );
    assert!(all.ends_with(b"\r\n\r\nold style body"));
}

/// curl POST with `Expect: 100-continue`: the server answers 100 then
/// reads the body; the whole exchange completes, quickly (curl would wait
/// a second for a 100 that never comes).
#[test]
fn expect_100_continue_with_curl() {
    if !have_tool("curl") {
        eprintln!("curl not installed: skipped");
        return;
    }
    let o = Origin::start_with(true, |r| {
        let d = format!("{} {:016x}", r.body.len(), sum(&r.body).hash);
        Reply::Send(response(200, &[], d.as_bytes()))
    });
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let body = payload(16, 200_000);
    let url = format!("http://127.0.0.1:{port}/upload");
    let t = Instant::now();
    let out = curl(
        &[
            "-H",
            "Expect: 100-continue",
            "--expect100-timeout",
            "5",
            "--data-binary",
            "@-",
            "-H",
            "Content-Type: application/octet-stream",
            &url,
        ],
        &body,
    );
    let took = t.elapsed();
    assert_eq!(out.code, Some(0), "curl failed: {}", out.stderr);
    let want = format!("{} {:016x}", body.len(), sum(&body).hash);
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    assert!(
        took < Duration::from_secs(3),
        "took {took:?}: the 100 was not relayed"
    );
    let got = o.wait_requests(1, T).remove(0);
    assert_eq!(got.head.get("expect"), Some("100-continue"));
    let l = px.wait_log(|l| l.contains("/upload"), T).expect("log");
    let l = tests::httplog::parse(&l).unwrap();
    assert_eq!(l.status, 200, "{l}");
    assert_eq!(l.term, "----", "{l}");
}

const WS_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

fn ws_origin() -> Origin {
    Origin::start(|r| {
        if r.head.get("upgrade").is_some() {
            Reply::SendThenEcho(
                b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
                    .to_vec(),
            )
        } else {
            Reply::ok(b"plain")
        }
    })
}

fn ws_request() -> Vec<u8> {
    format!(
        "GET /chat HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: {WS_KEY}\r\nsec-websocket-version: 13\r\n\r\n"
    )
    .into_bytes()
}

/// 101 then bytes both ways (the origin echoes), large enough to need
/// several reads; the log shows the 101.
#[test]
fn websocket_upgrade_tunnels_both_ways() {
    let o = ws_origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, "    timeout tunnel 5s\n"), &[&fe]);
    let mut c = Client::connect(port);
    c.send(&ws_request());
    let r = c.read_response(false);
    assert_eq!(r.status(), 101, "{:?}", r.head);
    assert!(r.head.connection_has("upgrade"), "{:?}", r.head);
    assert_eq!(r.head.get("upgrade"), Some("websocket"));
    let got = o.wait_requests(1, T).remove(0);
    assert!(got.head.connection_has("upgrade"), "{:?}", got.head);
    assert_eq!(got.head.get("sec-websocket-key"), Some(WS_KEY));
    // Bytes both ways.
    let data = payload(17, 256 << 10);
    let mut w = c.s.try_clone().unwrap();
    let d2 = data.clone();
    let wt = std::thread::spawn(move || w.write_all(&d2));
    let mut back = c.pending().to_vec();
    let mut buf = vec![0u8; 65536];
    c.s.set_read_timeout(Some(T)).unwrap();
    while back.len() < data.len() {
        let n = c.s.read(&mut buf).expect("tunnel read");
        assert!(n > 0, "tunnel closed early after {} bytes", back.len());
        back.extend_from_slice(&buf[..n]);
    }
    wt.join().unwrap().unwrap();
    assert_eq!(sum(&back), sum(&data));
    drop(c);
    let l = px.wait_log(|l| l.contains("/chat"), T).expect("log");
    let l = tests::httplog::parse(&l).unwrap();
    assert_eq!(l.status, 101, "{l}");
}

/// `timeout tunnel` (not `timeout client`/`server`) ends an idle tunnel.
#[test]
fn websocket_tunnel_timeout() {
    let o = ws_origin();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&format!(
        "{}listen web\n    bind {fe}\n    timeout client 300ms\n    timeout server 300ms\n    timeout tunnel 1200ms\n    server o1 127.0.0.1:{}\n",
        http_defaults(),
        o.port
    ), &[&fe]);
    let mut c = Client::connect(port);
    c.send(&ws_request());
    let r = c.read_response(false);
    assert_eq!(r.status(), 101);
    // Still alive after the client/server timeouts. The idle time is the
    // stimulus: it must outlast both 300 ms timeouts.
    std::thread::sleep(Duration::from_millis(600));
    c.send(b"ping");
    let mut b = [0u8; 4];
    c.s.set_read_timeout(Some(T)).unwrap();
    c.s.read_exact(&mut b)
        .expect("tunnel alive past timeout client/server");
    assert_eq!(&b, b"ping");
    let t = Instant::now();
    let end = c.wait_closed(Duration::from_secs(4));
    assert!(end.is_some(), "idle tunnel not closed by timeout tunnel");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(2500),
        "tunnel closed after {took:?}, expected ~1.2 s"
    );
    let l = px.wait_log(|l| l.contains("/chat"), T).expect("log");
    let l = tests::httplog::parse(&l).unwrap();
    assert_eq!(l.status, 101, "{l}");
    assert_eq!(l.ts(), "cD", "{l}");
}

/// curl sends `Expect: 100-continue` and the server refuses at once (401)
/// without reading the body: curl gets the 401 quickly; the body never
/// reaches the server.
#[test]
fn expect_100_refused_by_the_server() {
    if !have_tool("curl") {
        return;
    }
    let o = Origin::start_mode(tests::http::Expect::Refuse, |_| {
        Reply::Send(response(401, &["www-authenticate: Basic"], b"who are you"))
    });
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let body = payload(18, 100_000);
    let url = format!("http://127.0.0.1:{port}/upload");
    let t = Instant::now();
    let out = curl(
        &[
            "-H",
            "Expect: 100-continue",
            "--expect100-timeout",
            "5",
            "--data-binary",
            "@-",
            "-w",
            "|%{http_code}",
            &url,
        ],
        &body,
    );
    assert_eq!(out.code, Some(0), "curl failed: {}", out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "who are you|401");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    let l = px.wait_log(|l| l.contains("/upload"), T).expect("log");
    let l = tests::httplog::parse(&l).unwrap();
    assert_eq!(l.status, 401, "{l}");
    let got = o.wait_requests(1, T).remove(0);
    assert!(got.body.is_empty());
}

/// A WebSocket upgrade the server declines (plain 200): the exchange stays
/// HTTP and the connection serves the next request.
#[test]
fn websocket_upgrade_declined() {
    let o = Origin::start(|_| Reply::ok(b"no upgrade here"));
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(&cfg(&fe, o.port, ""), &[&fe]);
    let mut c = Client::connect(port);
    c.send(&ws_request());
    let r = c.read_response(false);
    assert_eq!(r.status(), 200);
    assert_eq!(r.body, b"no upgrade here");
    assert_eq!(c.get("/next").body, b"no upgrade here");
}
