//! `tcp-request content use-service echo` (examples/applets/hello): the
//! applet takes the server side of a TCP stream; bytes come back exact,
//! the tcplog line names `<ECHO>`, and no connection object is left.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{ErrorKind, Write};
use std::time::Duration;

use tests::applets::fixture;
use tests::client::{connect, echo_roundtrip, exchange, sum};
use tests::util::payload;
use tests::{is_haproxy, tcp_defaults, BoundPort, Proxy};

const T: Duration = Duration::from_secs(10);

fn start() -> (Proxy, u16) {
    let _ = fixture("applet_hello");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}frontend fe\n    bind {fe}\n    tcp-request content use-service echo\n",
        tcp_defaults()
    );
    (Proxy::start_with(&cfg, &[&fe]), port)
}

/// 1 MiB sent while reading: the same MiB comes back, byte for byte; the
/// client's half-close ends the applet and the proxy closes; the log line
/// says `fe fe/<ECHO>`, 1 MiB sent to the client, `--`.
#[test]
fn echo_returns_one_mib_byte_exact_and_logs_echo() {
    if is_haproxy() {
        return;
    }
    let (px, port) = start();
    let data = payload(0xEC40, 1 << 20);
    let mut c = connect(port);
    let cport = tests::client::client_port(&c);
    let got = exchange(&mut c, data.clone(), true, T);
    assert_eq!(got.len(), data.len());
    assert!(
        got == data,
        "echo differs: sent {}, got {}",
        sum(&data),
        sum(&got)
    );
    let l = px.log_for(cport, T);
    assert_eq!(
        (l.frontend.as_str(), l.backend.as_str(), l.server.as_str()),
        ("fe", "fe", "<ECHO>"),
        "{}",
        l.raw
    );
    assert_eq!(l.bytes, 1 << 20, "{}", l.raw);
    assert_eq!(l.term, "--", "{}", l.raw);
    drop(c);
    let back = tests::util::poll_until(T, || {
        let p = tests::pools::connections(&px);
        (p.used == 0).then_some(p)
    });
    let p = back.expect("connection left in use");
    assert_eq!(
        p.allocated, 1,
        "the server side allocated a connection: {p:?}"
    );
}

/// Interactive use: small messages echoed one at a time on a live
/// connection, several clients at once.
#[test]
fn echo_is_interactive_for_several_clients() {
    if is_haproxy() {
        return;
    }
    let (px, port) = start();
    let mut clients: Vec<_> = (0..4).map(|_| connect(port)).collect();
    for round in 0..20 {
        for (i, c) in clients.iter_mut().enumerate() {
            echo_roundtrip(c, format!("client {i} round {round}\n").as_bytes());
        }
    }
    let ports: Vec<u16> = clients.iter().map(tests::client::client_port).collect();
    drop(clients);
    for p in ports {
        let l = px.log_for(p, T);
        assert_eq!(l.server, "<ECHO>", "{}", l.raw);
        let per_client = (0..20)
            .map(|r| format!("client 0 round {r}\n").len() as u64)
            .sum::<u64>();
        assert_eq!(l.bytes, per_client, "{}", l.raw);
    }
}

/// A panicking applet on a TCP stream ends that connection only: closed
/// with nothing sent, logged `IC` with `<NAME>`, counted for its service;
/// the echo frontend of the same process keeps working meanwhile.
#[test]
fn a_panicking_tcp_applet_ends_its_connection_only() {
    if is_haproxy() {
        return;
    }
    let _ = fixture("applet_panicky");
    let (echo, panics, inits) = (BoundPort::new(), BoundPort::new(), BoundPort::new());
    let (echo_port, panic_port, init_port) = (echo.port, panics.port, inits.port);
    let cfg = format!(
        "{}frontend echo\n    bind {echo}\n    tcp-request content use-service echo\n\n\
         frontend panics\n    bind {panics}\n    tcp-request content use-service tcp-panic\n\n\
         frontend inits\n    bind {inits}\n    tcp-request content use-service tcp-panic-init\n",
        tcp_defaults()
    );
    let px = Proxy::start_with(&cfg, &[&echo, &panics, &inits]);
    let mut live = connect(echo_port);
    for (i, (port, server, service)) in [
        (panic_port, "<TCP-PANIC>", "tcp-panic"),
        (init_port, "<TCP-PANIC-INIT>", "tcp-panic-init"),
        (panic_port, "<TCP-PANIC>", "tcp-panic"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut c = connect(port);
        let cport = tests::client::client_port(&c);
        let _ = c.write_all(b"ping\n");
        // Closed, with or without a reset (unread input), never answered.
        let mut buf = [0u8; 64];
        c.set_read_timeout(Some(T)).unwrap();
        match std::io::Read::read(&mut c, &mut buf) {
            Ok(0) => {}
            Ok(n) => panic!("{service}: got {:?}", String::from_utf8_lossy(&buf[..n])),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("{service}: {e}"),
        }
        let l = px.log_for(cport, T);
        assert_eq!(
            (l.server.as_str(), l.term.as_str(), l.bytes),
            (server, "IC", 0),
            "{}",
            l.raw
        );
        // The live connection is untouched.
        echo_roundtrip(&mut live, format!("still here {i}\n").as_bytes());
    }
    let tag = "[failures of service 'tcp-panic': 2]";
    let ok = tests::util::poll_until(T, || px.stderr().contains(tag).then_some(()));
    assert!(ok.is_some(), "{}", px.stderr());
    assert!(
        px.stderr()
            .contains("[failures of service 'tcp-panic-init': 1]"),
        "{}",
        px.stderr()
    );
}

/// A client that sends without ever reading must be slowed down by the
/// proxy (it stops reading once the applet's input is full), not have
/// everything buffered in the proxy: at most a few MiB (socket buffers
/// and one channel) may be accepted out of 64 MiB.
#[test]
fn a_client_that_never_reads_is_slowed_down() {
    if is_haproxy() {
        return;
    }
    let (_px, port) = start();
    let mut c = connect(port);
    c.set_write_timeout(Some(Duration::from_secs(1))).unwrap();
    let chunk = vec![0x5Au8; 64 * 1024];
    let mut sent = 0usize;
    while sent < 64 << 20 {
        match c.write(&chunk) {
            Ok(n) => sent += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(e) => panic!("write: {e}"),
        }
    }
    assert!(
        sent < 16 << 20,
        "the proxy accepted {} MiB from a client that never reads",
        sent >> 20
    );
}
