//! Start-up and allocation settings seen from outside: `nbthread` worker
//! threads, `dispatch`, `source`, and `tune.fail-alloc` closing every
//! client at accept without a stream (rule 1) while the process keeps
//! serving.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::time::Duration;

use tests::client::{banner_of, connect, read_line};
use tests::servers::Backend;
use tests::{is_haproxy, tcp_defaults, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

fn thread_names(pid: u32) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in dir.flatten() {
            if let Ok(n) = std::fs::read_to_string(t.path().join("comm")) {
                names.push(n.trim().to_string());
            }
        }
    }
    names
}

#[test]
fn nbthread_starts_that_many_workers_and_all_serve() {
    if is_haproxy() {
        return; // thread names are ours
    }
    let be = Backend::banner("s1");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = tcp_defaults().replacen("global\n", "global\n    nbthread 3\n", 1)
        + &format!(
            "listen l\n    bind {fe}\n    server s1 127.0.0.1:{}\n",
            be.port
        );
    let px = Proxy::start_with(&cfg, &[&fe]);
    let workers = thread_names(px.pid())
        .iter()
        .filter(|n| n.starts_with("worker-"))
        .count();
    assert_eq!(workers, 3, "{:?}", thread_names(px.pid()));
    for _ in 0..30 {
        assert_eq!(banner_of(port), "s1");
    }
}

#[test]
fn dispatch_sends_to_the_fixed_address() {
    let be = Backend::banner("dispatched");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = tcp_defaults()
        + &format!(
            "frontend f\n    bind {fe}\n    default_backend b\n\
             backend b\n    dispatch 127.0.0.1:{}\n",
            be.port
        );
    let px = Proxy::start_with(&cfg, &[&fe]);
    assert_eq!(banner_of(port), "dispatched");
    let line = px.wait_log(|l| l.contains(" f b/"), T).expect("log line");
    assert!(line.contains(" f b/<NOSRV> "), "{line}");
}

#[test]
fn source_binds_the_outgoing_address() {
    // The backend reports the peer address it sees.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bport = l.local_addr().unwrap().port();
    let seen = std::thread::spawn(move || {
        let (mut s, peer) = l.accept().unwrap();
        s.write_all(format!("{}\n", peer.ip()).as_bytes()).unwrap();
        peer.ip().to_string()
    });
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = tcp_defaults()
        + &format!(
            "listen l\n    bind {fe}\n    source 127.0.0.7\n    server s 127.0.0.1:{bport}\n"
        );
    let _px = Proxy::start_with(&cfg, &[&fe]);
    let mut c = connect(port);
    assert_eq!(read_line(&mut c, T).unwrap(), "127.0.0.7");
    assert_eq!(seen.join().unwrap(), "127.0.0.7");
}

#[test]
fn fail_alloc_100_closes_clients_at_accept_and_keeps_running() {
    if is_haproxy() {
        return; // HAProxy's tune.fail-alloc needs a debug build
    }
    let be = Backend::banner("s1");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = tcp_defaults().replacen("global\n", "global\n    tune.fail-alloc 100\n", 1)
        + &format!(
            "listen l\n    bind {fe}\n    server s1 127.0.0.1:{}\n",
            be.port
        );
    let mut px = Proxy::start_with(&cfg, &[&fe]);
    for _ in 0..20 {
        let mut c = connect(port);
        c.set_read_timeout(Some(T)).unwrap();
        let mut buf = [0u8; 16];
        // Closed without a byte: no stream could be made.
        assert!(matches!(c.read(&mut buf), Ok(0) | Err(_)));
    }
    assert_eq!(be.stats.accepted(), 0, "nothing reached the server");
    assert!(px.try_exit().is_none(), "the proxy is still running");
    px.signal("QUIT");
    let dump = px
        .stderr_lines()
        .wait(T, |l| l.contains("Pool connection"))
        .expect("pools dump");
    assert!(dump.contains(" 0 used"), "{dump}");
    assert!(
        !dump.contains(" 0 failures"),
        "failures are counted: {dump}"
    );
}

/// Rule 3 in TCP mode: the client's connection takes the last slot, so the
/// server side cannot be allocated; connect gives up with `RC`.
#[test]
fn conn_pool_cap_fails_the_server_side_with_rc() {
    if is_haproxy() {
        return; // tune.conn-pool-max is ours
    }
    let be = Backend::banner("s1");
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = tcp_defaults().replacen("global\n", "global\n    tune.conn-pool-max 1\n", 1)
        + &format!(
            "listen l\n    bind {fe}\n    retries 2\n    server s1 127.0.0.1:{}\n",
            be.port
        );
    let px = Proxy::start_with(&cfg, &[&fe]);
    let mut c = connect(port);
    let cp = c.local_addr().unwrap().port();
    c.set_read_timeout(Some(T)).unwrap();
    let mut buf = [0u8; 16];
    assert!(
        matches!(c.read(&mut buf), Ok(0) | Err(_)),
        "closed without data"
    );
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "RC", "{log}");
    assert_eq!(be.stats.accepted(), 0);
}
