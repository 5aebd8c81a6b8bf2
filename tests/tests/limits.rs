//! Connection limits: server `maxconn` with its queue (`timeout queue`), and
//! frontend `maxconn` (excess clients wait in the kernel's backlog).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use tests::client::{
    client_port, connect, echo_roundtrip, quiet_for, read_line, wait_closed, Closed,
};
use tests::servers::Backend;
use tests::util::assert_between;
use tests::{tcp_defaults, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

fn queue_cfg(fe: &BoundPort, server_port: u16) -> String {
    format!(
        "{}listen q\n    bind {fe}\n    timeout queue 1s\n    server s1 127.0.0.1:{server_port} maxconn 1\n",
        tcp_defaults()
    )
}

/// The second client waits in the queue while the first holds the only
/// slot, and is served as soon as the first leaves.
#[test]
fn queued_client_is_served_when_the_slot_frees() {
    let s1 = Backend::banner("s1");
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&queue_cfg(&fe, s1.port), &[&fe]);
    let mut a = connect(port);
    assert_eq!(read_line(&mut a, T).expect("first client served"), "s1");
    let mut b = connect(port);
    let bp = client_port(&b);
    assert!(
        quiet_for(&mut b, Duration::from_millis(300)),
        "second client must wait in the queue (server maxconn 1)"
    );
    assert_eq!(
        s1.stats.accepted(),
        1,
        "server saw a second connection while full"
    );
    let freed = Instant::now();
    drop(a);
    assert_eq!(read_line(&mut b, T).expect("queued client served"), "s1");
    assert_between(
        "dequeue after the slot freed",
        freed.elapsed(),
        Duration::ZERO,
        Duration::from_millis(600),
    );
    echo_roundtrip(&mut b, b"hello\n");
    drop(b);
    let log = px.log_for(bp, T);
    assert_eq!(log.term, "--", "{log}");
    assert!(
        log.tw >= 250 && log.tw < 1000,
        "queue time Tw should be about 300 ms: {log}"
    );
}

/// When the slot stays taken longer than `timeout queue`, the queued client
/// is closed without data and logged with `sQ`.
#[test]
fn queue_timeout_closes_the_waiting_client_with_sq() {
    let s1 = Backend::banner("s1");
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&queue_cfg(&fe, s1.port), &[&fe]);
    let mut a = connect(port);
    assert_eq!(read_line(&mut a, T).expect("first client served"), "s1");
    let mut b = connect(port);
    let bp = client_port(&b);
    let end = wait_closed(&mut b, Duration::from_secs(4));
    match end {
        Some((Closed::Eof(0) | Closed::Reset(0), d)) => assert_between(
            "queued client closed",
            d,
            Duration::from_millis(800),
            Duration::from_millis(2000),
        ),
        other => panic!("queued client should be closed without data after ~1 s, got {other:?}"),
    }
    let log = px.log_for(bp, T);
    assert_eq!(log.term, "sQ", "{log}");
    assert_eq!(log.bytes, 0, "{log}");
    assert!(log.tw >= 800, "queue time should be about 1000 ms: {log}");
    assert_eq!(
        s1.stats.accepted(),
        1,
        "the queued client never reached the server"
    );
    // The first client is unaffected.
    echo_roundtrip(&mut a, b"still here\n");
}

/// Frontend `maxconn 2`: a third client connects (kernel backlog) but gets
/// nothing until one of the first two leaves; nobody is dropped.
#[test]
fn frontend_maxconn_holds_excess_clients_in_the_backlog() {
    let s1 = Backend::banner("s1");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}frontend fe\n    bind {fe}\n    maxconn 2\n    default_backend be\n\nbackend be\n    server s1 127.0.0.1:{}\n",
        tcp_defaults(),
        s1.port
    );
    let px = Proxy::start_with(&cfg, &[&fe]);
    let mut c1 = connect(port);
    let mut c2 = connect(port);
    let p1 = client_port(&c1);
    let p2 = client_port(&c2);
    assert_eq!(read_line(&mut c1, T).expect("c1"), "s1");
    assert_eq!(read_line(&mut c2, T).expect("c2"), "s1");
    let mut c3 = connect(port);
    let p3 = client_port(&c3);
    assert!(
        quiet_for(&mut c3, Duration::from_millis(500)),
        "third client must get nothing while the frontend is full"
    );
    assert_eq!(
        s1.stats.accepted(),
        2,
        "a third server connection was opened"
    );
    drop(c1);
    assert_eq!(
        read_line(&mut c3, T).expect("third client served once a slot frees"),
        "s1"
    );
    echo_roundtrip(&mut c2, b"c2 alive\n");
    echo_roundtrip(&mut c3, b"c3 alive\n");
    drop(c2);
    drop(c3);
    for p in [p1, p2, p3] {
        let log = px.log_for(p, T);
        assert_eq!(log.term, "--", "{log}");
        assert_eq!(log.frontend, "fe", "{log}");
        assert!(log.feconn <= 2, "feconn above maxconn: {log}");
    }
}
