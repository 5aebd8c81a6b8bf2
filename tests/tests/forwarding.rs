//! Byte-exact TCP forwarding in both directions, with both half-closes.
//!
//! Payloads of 0 B, 1 B, 64 KiB, 1 MiB and 8 MiB (pseudo-random, seeded)
//! go through the proxy; what arrives is compared by FNV-64 checksum and
//! length on the other side.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::Shutdown;
use std::sync::Arc;
use std::time::Duration;

use tests::client::{self, connect, exchange, read_to_eof, sum, wait_closed, Closed};
use tests::servers::{Backend, Behavior};
use tests::util::{payload, poll_until, Fnv64};
use tests::{tcp_defaults, BoundPort, Proxy};

const SIZES: [usize; 5] = [0, 1, 64 << 10, 1 << 20, 8 << 20];
const BIG: Duration = Duration::from_secs(30);

fn listen_cfg(fe: &BoundPort, server_port: u16) -> String {
    format!(
        "{}listen fwd\n    bind {fe}\n    server s1 127.0.0.1:{server_port}\n",
        tcp_defaults()
    )
}

/// What the server received, once it recorded a connection: with nothing
/// to send, the client's connection can be over before the server's side
/// was even accepted, and "no connection active" alone would pass then.
fn server_received(be: &Backend) -> Vec<Fnv64> {
    poll_until(Duration::from_secs(5), || {
        let got = be.stats.received();
        (!got.is_empty()).then_some(got)
    })
    .unwrap_or_default()
}

/// Client sends the payload, half-closes, and must still receive the
/// server's full reply (the same bytes, sent back only after the EOF).
fn client_half_closes_first(size: usize) {
    let be = Backend::start(Behavior::StoreEcho);
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&listen_cfg(&fe, be.port), &[&fe]);
    let data = payload(size as u64 + 1, size);
    let mut c = connect(port);
    let cport = client::client_port(&c);
    let got = exchange(&mut c, data.clone(), true, BIG);
    assert_eq!(
        sum(&got),
        sum(&data),
        "reply after the client's half-close differs ({size} bytes sent)"
    );
    assert!(
        be.wait_active(0, Duration::from_secs(5)),
        "server connection not closed"
    );
    assert_eq!(
        server_received(&be),
        vec![Fnv64::of(&data)],
        "server received different bytes"
    );
    let log = px.log_for(cport, Duration::from_secs(5));
    assert_eq!(log.term, "--", "{log}");
    assert_eq!(log.bytes, size as u64, "bytes to client in {log}");
}

/// The server sends its payload and half-closes first; the client reads it
/// to EOF, then keeps sending its own payload, then half-closes: the server
/// must receive all of it.
fn server_half_closes_first(size: usize) {
    let from_server = Arc::new(payload(size as u64 + 100, size));
    let from_client = payload(size as u64 + 200, size);
    let be = Backend::start(Behavior::SendThenDrain(from_server.clone()));
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&listen_cfg(&fe, be.port), &[&fe]);
    let mut c = connect(port);
    let cport = client::client_port(&c);
    let got = read_to_eof(&mut c, BIG).expect("read server payload to EOF");
    assert_eq!(
        sum(&got),
        sum(&from_server),
        "server payload ({size} bytes) differs"
    );
    // The proxy must keep the client->server direction open.
    c.write_all(&from_client)
        .expect("client keeps sending after the server's half-close");
    c.shutdown(Shutdown::Write).expect("shutdown");
    let end = wait_closed(&mut c, BIG);
    assert!(
        matches!(end, Some((Closed::Eof(0), _))),
        "connection should end cleanly, got {end:?}"
    );
    assert!(
        be.wait_active(0, Duration::from_secs(5)),
        "server connection not closed"
    );
    assert_eq!(
        server_received(&be),
        vec![Fnv64::of(&from_client)],
        "bytes the client sent after the server's half-close"
    );
    let log = px.log_for(cport, Duration::from_secs(5));
    assert_eq!(log.term, "--", "{log}");
    assert_eq!(log.bytes, size as u64, "bytes to client in {log}");
}

/// Both directions at once (echo), client half-closes at the end.
fn full_duplex(size: usize) {
    let be = Backend::echo();
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(&listen_cfg(&fe, be.port), &[&fe]);
    let data = payload(size as u64 + 300, size);
    let mut c = connect(port);
    let got = exchange(&mut c, data.clone(), true, BIG);
    assert_eq!(sum(&got), sum(&data), "echoed bytes differ ({size} bytes)");
}

#[test]
fn client_half_close_0b() {
    client_half_closes_first(SIZES[0]);
}
#[test]
fn client_half_close_1b() {
    client_half_closes_first(SIZES[1]);
}
#[test]
fn client_half_close_64k() {
    client_half_closes_first(SIZES[2]);
}
#[test]
fn client_half_close_1m() {
    client_half_closes_first(SIZES[3]);
}
#[test]
fn client_half_close_8m() {
    client_half_closes_first(SIZES[4]);
}

#[test]
fn server_half_close_0b() {
    server_half_closes_first(SIZES[0]);
}
#[test]
fn server_half_close_1b() {
    server_half_closes_first(SIZES[1]);
}
#[test]
fn server_half_close_64k() {
    server_half_closes_first(SIZES[2]);
}
#[test]
fn server_half_close_1m() {
    server_half_closes_first(SIZES[3]);
}
#[test]
fn server_half_close_8m() {
    server_half_closes_first(SIZES[4]);
}

#[test]
fn full_duplex_64k() {
    full_duplex(SIZES[2]);
}
#[test]
fn full_duplex_8m() {
    full_duplex(SIZES[4]);
}

/// Several clients at once each get their own bytes back.
#[test]
fn concurrent_clients_are_not_mixed() {
    let be = Backend::echo();
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(&listen_cfg(&fe, be.port), &[&fe]);
    let threads: Vec<_> = (0..8u64)
        .map(|i| {
            std::thread::spawn(move || {
                let data = payload(1000 + i, 256 << 10);
                let mut c = connect(port);
                let got = exchange(&mut c, data.clone(), true, BIG);
                assert_eq!(sum(&got), sum(&data), "client {i}");
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread");
    }
}
