//! `bind fd@<n>`: the proxy serves on a listening socket it inherited.
//!
//! The test binds a std listener and hands it over as descriptor 3
//! (`ProxyBuilder::fd3`: dup2 to 3 between fork and exec, close-on-exec
//! cleared in the child only). Every other test gets its ports the same
//! way, through `BoundPort`; this one checks the fixed number 3 and the
//! wait on the proxy's own process, with `no_wait`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::os::fd::OwnedFd;
use std::time::Duration;

use tests::client::{client_port, connect, echo_roundtrip, read_line};
use tests::servers::Backend;
use tests::util::{local, poll_until};
use tests::{tcp_defaults, Proxy};

#[test]
fn serves_on_an_inherited_listening_socket() {
    let be = Backend::banner("s1");
    let listener = TcpListener::bind(local(0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let cfg = format!(
        "{}frontend inherited\n    bind fd@3\n    default_backend be\n\nbackend be\n    server s1 127.0.0.1:{}\n",
        tcp_defaults(),
        be.port
    );
    let mut px = Proxy::builder(&cfg)
        .fd3(OwnedFd::from(listener))
        .no_wait()
        .start();
    // The socket listens already; wait until the proxy holds it, then
    // check it is served.
    let held = poll_until(Duration::from_secs(5), || {
        tests::procnet::listening_ports(px.pid())
            .contains(&port)
            .then_some(())
    });
    assert!(
        held.is_some(),
        "the proxy does not hold the inherited socket"
    );
    let mut c = connect(port);
    let cp = client_port(&c);
    let banner = read_line(&mut c, Duration::from_secs(5)).unwrap_or_else(|e| {
        panic!(
            "no answer on the inherited socket: {e}; exited: {:?}; stderr:\n{}",
            px.try_exit(),
            px.stderr()
        )
    });
    assert_eq!(banner, "s1");
    echo_roundtrip(&mut c, b"through fd@3\n");
    drop(c);
    let log = px.log_for(cp, Duration::from_secs(5));
    assert_eq!(log.frontend, "inherited", "{log}");
    assert_eq!(log.term, "--", "{log}");
    assert!(px.try_exit().is_none(), "proxy exited: {}", px.stderr());
}
