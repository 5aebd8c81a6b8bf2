//! Termination states in the tcplog line: `--` normal close, `SC` refused
//! server after retries, `CD` client reset during data, `SD` server reset
//! during data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::Shutdown;
use std::time::Duration;

use tests::client::{
    client_port, connect, echo_roundtrip, read_line, read_to_eof, wait_closed, Closed,
};
use tests::servers::{reset, Backend, Behavior};
use tests::{tcp_defaults, BoundPort, ClosedPort, Proxy};

const T: Duration = Duration::from_secs(5);

fn cfg(fe: &BoundPort, server_port: u16, extra: &str) -> String {
    format!(
        "{}listen term\n    bind {fe}\n{extra}    server s1 127.0.0.1:{server_port}\n",
        tcp_defaults()
    )
}

#[test]
fn normal_close_is_dash_dash() {
    let be = Backend::echo();
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, be.port, ""), &[&fe]);
    let mut c = connect(port);
    let cp = client_port(&c);
    echo_roundtrip(&mut c, b"0123456789");
    c.shutdown(Shutdown::Write).expect("shutdown");
    assert_eq!(read_to_eof(&mut c, T).expect("EOF"), b"");
    drop(c);
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "--", "{log}");
    assert_eq!(log.bytes, 10, "{log}");
    assert_eq!(log.retries, 0, "{log}");
}

#[test]
fn refused_server_after_retries_is_sc() {
    // Held bound, never listening: refused, and nobody else can take it.
    let down = ClosedPort::new();
    let dead = down.port;
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, dead, "    retries 1\n"), &[&fe]);
    let mut c = connect(port);
    let cp = client_port(&c);
    let end = wait_closed(&mut c, T);
    assert!(
        matches!(end, Some((Closed::Eof(0) | Closed::Reset(0), _))),
        "{end:?}"
    );
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "SC", "{log}");
    assert_eq!(log.retries, 1, "{log}");
}

#[test]
fn client_reset_during_data_is_cd() {
    let be = Backend::banner("s1");
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, be.port, ""), &[&fe]);
    let mut c = connect(port);
    let cp = client_port(&c);
    assert_eq!(read_line(&mut c, T).expect("banner"), "s1");
    echo_roundtrip(&mut c, b"data\n");
    reset(c);
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "CD", "{log}");
    assert_eq!(log.server, "s1", "{log}");
    assert!(
        be.wait_active(0, T),
        "server side not closed after the client reset"
    );
}

#[test]
fn server_reset_during_data_is_sd() {
    let be = Backend::start(Behavior::BannerThenResetOnData("s1".into()));
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg(&fe, be.port, ""), &[&fe]);
    let mut c = connect(port);
    let cp = client_port(&c);
    assert_eq!(read_line(&mut c, T).expect("banner"), "s1");
    c.write_all(b"trigger\n").expect("write");
    let end = wait_closed(&mut c, T);
    assert!(end.is_some(), "client not closed after the server reset");
    drop(c);
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "SD", "{log}");
    assert_eq!(log.bytes, 3, "the banner reached the client: {log}");
}
