//! CONNECT tunnels, `pool-max-conn` bounding the idle server pool, and
//! `timeout http-keep-alive` closing an idle client between requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use tests::http::{http_defaults, Client, Origin};
use tests::{BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

/// A server that answers a CONNECT with 200 and then echoes.
fn connect_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(T)).unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if s.read(&mut b).unwrap_or(0) == 0 {
                return;
            }
            head.push(b[0]);
        }
        assert!(
            head.starts_with(b"CONNECT "),
            "{}",
            String::from_utf8_lossy(&head)
        );
        s.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => s.write_all(&buf[..n]).unwrap(),
            }
        }
    });
    port
}

#[test]
fn connect_becomes_a_tunnel() {
    let sport = connect_server();
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg =
        http_defaults() + &format!("listen l\n    bind {fe}\n    server s 127.0.0.1:{sport}\n");
    let px = Proxy::start_with(&cfg, &[&fe]);
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(T)).unwrap();
    c.write_all(b"CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let mut b = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        assert_eq!(c.read(&mut b).unwrap(), 1);
        got.push(b[0]);
    }
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    // Raw bytes both ways now, whatever they look like.
    let payload = b"\x00\x01 not http at all \r\n\r\n\xff";
    c.write_all(payload).unwrap();
    let mut back = vec![0u8; payload.len()];
    c.read_exact(&mut back).unwrap();
    assert_eq!(&back, payload);
    drop(c);
    let line = px
        .wait_log(|l| l.contains("CONNECT example.test:443"), T)
        .expect("log");
    assert!(line.contains(" 200 "), "{line}");
}

#[test]
fn pool_max_conn_bounds_parked_server_connections() {
    let origin = Origin::fixed(b"ok");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = http_defaults()
        + &format!(
            "listen l\n    bind {fe}\n    http-reuse always\n    server s 127.0.0.1:{} pool-max-conn 1\n",
            origin.port
        );
    let _px = Proxy::start_with(&cfg, &[&fe]);
    // Three clients in parallel need three server connections; afterwards
    // only one may stay parked, the others are closed.
    let mut clients: Vec<Client> = (0..3).map(|_| Client::connect(port)).collect();
    for c in clients.iter_mut() {
        c.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    for c in clients.iter_mut() {
        assert_eq!(c.read_response(false).status(), 200);
    }
    let deadline = Instant::now() + T;
    while origin.active() > 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        origin.active() <= 1,
        "{} server connections still open",
        origin.active()
    );
    // The parked one serves the next request without a new connect.
    let before = origin.accepted();
    let mut c = Client::connect(port);
    assert_eq!(c.get("/b").status(), 200);
    assert_eq!(origin.accepted(), before, "the idle connection was reused");
}

#[test]
fn http_keep_alive_timeout_closes_an_idle_client() {
    let origin = Origin::fixed(b"ok");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = http_defaults()
        + &format!(
            "listen l\n    bind {fe}\n    timeout http-keep-alive 300ms\n    server s 127.0.0.1:{}\n",
            origin.port
        );
    let _px = Proxy::start_with(&cfg, &[&fe]);
    let mut c = Client::connect(port);
    assert_eq!(c.get("/").status(), 200);
    let t0 = Instant::now();
    assert_eq!(
        c.wait_closed(T),
        Some(true),
        "closed after the keep-alive timeout"
    );
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}
