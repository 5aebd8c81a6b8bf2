//! Each timeout: client, server, connect, tunnel, client-fin, server-fin,
//! with the termination state they log (`cD`, `sD`, `sC`).
//!
//! Half-closed timeouts follow HAProxy 2.6 (checked against it): `timeout
//! client-fin` applies to the client side once the proxy has shut its write
//! side towards the client (the *server* closed first), and `timeout
//! server-fin` applies to the server side once the *client* has half-closed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::Shutdown;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tests::client::{client_port, connect, echo_roundtrip, read_to_eof, wait_closed, Closed};
use tests::servers::{Backend, Behavior, Blackhole};
use tests::util::assert_between;
use tests::{tcp_defaults, BoundPort, Proxy, TcpLog};

const T: Duration = Duration::from_secs(5);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `listen` section with the given extra lines (indented) and one server.
fn cfg(fe: &BoundPort, server_port: u16, extra: &[&str]) -> String {
    let mut s = format!("{}listen to\n    bind {fe}\n", tcp_defaults());
    for l in extra {
        s.push_str(&format!("    {l}\n"));
    }
    s.push_str(&format!("    server s1 127.0.0.1:{server_port}\n"));
    s
}

#[track_caller]
fn assert_tt(log: &TcpLog, lo: u64, hi: u64) {
    assert!(
        log.tt >= lo as i64 && log.tt <= hi as i64,
        "total time Tt should be in {lo}..={hi} ms: {log}"
    );
}

/// An idle client (after some traffic) is closed at `timeout client`.
#[test]
fn client_timeout_closes_an_idle_client() {
    let be = Backend::echo();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &cfg(&fe, be.port, &["timeout client 500ms", "timeout server 5s"]),
        &[&fe],
    );
    let mut c = connect(port);
    let cp = client_port(&c);
    echo_roundtrip(&mut c, b"ping\n");
    let end = wait_closed(&mut c, T).expect("closed by timeout client");
    assert!(matches!(end.0, Closed::Eof(0)), "{end:?}");
    assert_between("idle client closed", end.1, ms(400), ms(1200));
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "cD", "{log}");
    assert_tt(&log, 450, 1300);
}

/// A client that connects and never sends anything is closed at
/// `timeout client`.
#[test]
fn client_that_sends_nothing_is_closed_at_timeout_client() {
    let be = Backend::echo();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &cfg(&fe, be.port, &["timeout client 400ms", "timeout server 5s"]),
        &[&fe],
    );
    let mut c = connect(port);
    let cp = client_port(&c);
    let end = wait_closed(&mut c, T).expect("closed by timeout client");
    assert!(matches!(end.0, Closed::Eof(0)), "{end:?}");
    assert_between("silent client closed", end.1, ms(300), ms(1100));
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "cD", "{log}");
    assert_eq!(log.bytes, 0, "{log}");
    assert_tt(&log, 350, 1200);
}

/// A server that never answers is cut at `timeout server`.
#[test]
fn server_timeout_with_a_silent_server() {
    let be = Backend::start(Behavior::Silent);
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &cfg(&fe, be.port, &["timeout client 5s", "timeout server 500ms"]),
        &[&fe],
    );
    let mut c = connect(port);
    let cp = client_port(&c);
    c.write_all(b"anyone there?\n").expect("write");
    let end = wait_closed(&mut c, T).expect("closed by timeout server");
    assert!(matches!(end.0, Closed::Eof(0)), "{end:?}");
    assert_between("silent server cut", end.1, ms(400), ms(1200));
    // The proxy half-closed towards the client; the session ends when the
    // client closes too.
    drop(c);
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "sD", "{log}");
    assert_tt(&log, 450, 1300);
    assert!(be.wait_active(0, T), "server connection left open");
}

/// SYNs to the server are dropped (full backlog): `timeout connect` strikes
/// and the client is closed with `sC`.
#[test]
fn connect_timeout_logs_sc() {
    let hole = Blackhole::new();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &cfg(&fe, hole.port, &["timeout connect 500ms", "retries 0"]),
        &[&fe],
    );
    let mut c = connect(port);
    let cp = client_port(&c);
    let end = wait_closed(&mut c, T).expect("closed after the connect timeout");
    assert!(
        matches!(end.0, Closed::Eof(0) | Closed::Reset(0)),
        "{end:?}"
    );
    assert_between("connect timeout", end.1, ms(400), ms(1300));
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "sC", "{log}");
    assert_eq!(log.tc, -1, "never connected: {log}");
    assert_eq!(log.bytes, 0, "{log}");
}

/// `timeout tunnel` supersedes client and server timeouts once data flows.
#[test]
fn tunnel_timeout_overrides_client_and_server() {
    let be = Backend::echo();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &cfg(
            &fe,
            be.port,
            &[
                "timeout client 300ms",
                "timeout server 300ms",
                "timeout tunnel 1500ms",
            ],
        ),
        &[&fe],
    );
    let mut c = connect(port);
    let cp = client_port(&c);
    echo_roundtrip(&mut c, b"one\n");
    // The stimulus: idle longer than client/server timeouts, less than tunnel.
    std::thread::sleep(ms(800));
    echo_roundtrip(&mut c, b"still open after 800 ms idle\n");
    let end = wait_closed(&mut c, T).expect("closed by timeout tunnel");
    assert!(matches!(end.0, Closed::Eof(0)), "{end:?}");
    assert_between("tunnel idle close", end.1, ms(1300), ms(2300));
    let log = px.log_for(cp, T);
    assert!(
        log.term == "cD" || log.term == "sD",
        "a tunnel timeout logs cD or sD: {log}"
    );
    assert_tt(&log, 2000, 3500);
}

/// The server sends its answer and closes; the client keeps its side open
/// and silent: the proxy closes it at `timeout client-fin` (cD), long before
/// `timeout client`.
#[test]
fn client_fin_timeout_after_the_server_closed() {
    let be = Backend::start(Behavior::SendThenDrain(Arc::new(b"bye\n".to_vec())));
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &cfg(
            &fe,
            be.port,
            &[
                "timeout client 3s",
                "timeout server 3s",
                "timeout client-fin 400ms",
            ],
        ),
        &[&fe],
    );
    let mut c = connect(port);
    let cp = client_port(&c);
    let start = Instant::now();
    let got = read_to_eof(&mut c, T).expect("server reply then EOF");
    assert_eq!(got, b"bye\n");
    // The client neither sends nor closes; the session ends on client-fin.
    let log = px.log_for(cp, T);
    assert_between("client-fin close", start.elapsed(), ms(300), ms(1500));
    assert_eq!(log.term, "cD", "{log}");
    assert_tt(&log, 350, 1500);
    drop(c);
}

/// The client half-closes and goes silent while the server holds its side
/// open: the server side is cut at `timeout server-fin` (sD), long before
/// `timeout server`.
#[test]
fn server_fin_timeout_after_the_client_half_closed() {
    let be = Backend::start(Behavior::HoldAfterEof(Duration::from_secs(5)));
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &cfg(
            &fe,
            be.port,
            &[
                "timeout client 3s",
                "timeout server 3s",
                "timeout server-fin 400ms",
            ],
        ),
        &[&fe],
    );
    let mut c = connect(port);
    let cp = client_port(&c);
    c.write_all(b"last words\n").expect("write");
    c.shutdown(Shutdown::Write).expect("half-close");
    let end = wait_closed(&mut c, T).expect("closed by server-fin");
    assert!(matches!(end.0, Closed::Eof(0)), "{end:?}");
    assert_between("server-fin close", end.1, ms(300), ms(1300));
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "sD", "{log}");
    assert_tt(&log, 350, 1400);
}

/// `timeout client-fin` does not apply when it is the client that
/// half-closed: the silent server is cut at `timeout server` (HAProxy 2.6).
#[test]
fn client_fin_does_not_apply_to_a_client_half_close() {
    let be = Backend::start(Behavior::HoldAfterEof(Duration::from_secs(5)));
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &cfg(
            &fe,
            be.port,
            &[
                "timeout client 1200ms",
                "timeout server 1200ms",
                "timeout client-fin 200ms",
            ],
        ),
        &[&fe],
    );
    let mut c = connect(port);
    let cp = client_port(&c);
    c.write_all(b"last words\n").expect("write");
    c.shutdown(Shutdown::Write).expect("half-close");
    let end = wait_closed(&mut c, T).expect("closed by timeout server");
    assert_between("close after client half-close", end.1, ms(1000), ms(2200));
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "sD", "{log}");
}
