//! Load-balancing algorithms: roundrobin and static-rr weights, leastconn,
//! first, source. Each server sends its name first, so the client knows
//! which one answered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::time::Duration;

use tests::client::{banner_of, connect, connect_from, read_line};
use tests::servers::Backend;
use tests::{tcp_defaults, BoundPort, Proxy, TempDir};

const T: Duration = Duration::from_secs(5);

/// A `listen` section with `balance <algo>` and one `server` line per
/// `(name, port, extra params)`.
fn cfg(fe: &BoundPort, balance: &str, servers: &[(&str, u16, &str)]) -> String {
    let mut s = tcp_defaults();
    s.push_str(&format!(
        "listen lb\n    bind {fe}\n    balance {balance}\n"
    ));
    for (name, p, extra) in servers {
        s.push_str(&format!("    server {name} 127.0.0.1:{p} {extra}\n"));
    }
    s
}

/// [`cfg`] with a stats socket at `sock`, to see the servers' sessions.
fn cfg_with_stats(
    fe: &BoundPort,
    balance: &str,
    servers: &[(&str, u16, &str)],
    sock: &Path,
) -> String {
    cfg(fe, balance, servers).replacen(
        "global\n",
        &format!("global\n    stats socket {} level admin\n", sock.display()),
        1,
    )
}

/// Waits until the proxy counts `n` current sessions on `server` (`scur` in
/// `show stat`): a closed connection is released after the server sees it
/// closed.
fn wait_scur(sock: &Path, server: &str, n: u64) {
    let prefix = format!("lb,{server},");
    let mut st = String::new();
    let ok = tests::util::poll_until(T, || {
        st = tests::stick::cli(sock, "show stat");
        let i = st
            .lines()
            .next()?
            .trim_start_matches("# ")
            .split(',')
            .position(|h| h == "scur")?;
        let scur: u64 = st
            .lines()
            .find(|l| l.starts_with(&prefix))?
            .split(',')
            .nth(i)?
            .parse()
            .ok()?;
        (scur == n).then_some(())
    });
    assert!(
        ok.is_some(),
        "{server} never had {n} current sessions:\n{st}"
    );
}

fn count_sequential(port: u16, n: usize) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for _ in 0..n {
        *m.entry(banner_of(port)).or_insert(0) += 1;
    }
    m
}

fn held(port: u16) -> (TcpStream, String) {
    let mut c = connect(port);
    let name = read_line(&mut c, T).expect("banner");
    (c, name)
}

fn weighted(algo: &str) {
    let s1 = Backend::banner("s1");
    let s2 = Backend::banner("s2");
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &cfg(
            &fe,
            algo,
            &[("s1", s1.port, "weight 3"), ("s2", s2.port, "weight 1")],
        ),
        &[&fe],
    );
    let m = count_sequential(port, 400);
    assert_eq!(
        m.get("s1").copied().unwrap_or(0),
        300,
        "{algo} 3:1 over 400: {m:?}"
    );
    assert_eq!(
        m.get("s2").copied().unwrap_or(0),
        100,
        "{algo} 3:1 over 400: {m:?}"
    );
    // Every 4 consecutive connections hold exactly 3 s1 and 1 s2: the
    // servers' accept counts agree with the banners.
    assert_eq!(s1.stats.accepted(), 300);
    assert_eq!(s2.stats.accepted(), 100);
    drop(px);
}

#[test]
fn roundrobin_weights_3_to_1() {
    weighted("roundrobin");
}

#[test]
fn static_rr_weights_3_to_1() {
    weighted("static-rr");
}

#[test]
fn roundrobin_equal_weights_alternate() {
    let s1 = Backend::banner("s1");
    let s2 = Backend::banner("s2");
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(
        &cfg(
            &fe,
            "roundrobin",
            &[("s1", s1.port, ""), ("s2", s2.port, "")],
        ),
        &[&fe],
    );
    let names: Vec<String> = (0..10).map(|_| banner_of(port)).collect();
    for w in names.windows(2) {
        assert_ne!(w[0], w[1], "roundrobin must alternate: {names:?}");
    }
}

/// leastconn: with 2 connections held on each server, close both of s_b's:
/// the next two connections must both go to s_b (roundrobin would split).
#[test]
fn leastconn_prefers_the_least_loaded_server() {
    let dir = TempDir::new();
    let sock = dir.path().join("admin.sock");
    let a = Backend::banner("a");
    let b = Backend::banner("b");
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(
        &cfg_with_stats(
            &fe,
            "leastconn",
            &[("a", a.port, ""), ("b", b.port, "")],
            &sock,
        ),
        &[&fe],
    );
    let mut open: Vec<(TcpStream, String)> = Vec::new();
    for i in 0..4 {
        open.push(held(port));
        // After each pair, both servers have the same count.
        if i % 2 == 1 {
            let na = open.iter().filter(|(_, n)| n == "a").count();
            assert_eq!(
                na * 2,
                open.len(),
                "leastconn must balance held connections: {:?}",
                open.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>()
            );
        }
    }
    // Close b's two connections and wait until the proxy released them.
    open.retain(|(_, n)| n != "b");
    assert!(b.wait_active(0, T), "proxy did not close b's connections");
    wait_scur(&sock, "b", 0);
    let n1 = held(port);
    let n2 = held(port);
    assert_eq!(
        (n1.1.as_str(), n2.1.as_str()),
        ("b", "b"),
        "a holds 2, b holds 0: the next two connections go to b"
    );
    drop(open);
}

/// first: s1 takes connections up to its maxconn (2), then s2.
#[test]
fn first_fills_servers_in_order() {
    let dir = TempDir::new();
    let sock = dir.path().join("admin.sock");
    let s1 = Backend::banner("s1");
    let s2 = Backend::banner("s2");
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(
        &cfg_with_stats(
            &fe,
            "first",
            &[("s1", s1.port, "maxconn 2"), ("s2", s2.port, "maxconn 2")],
            &sock,
        ),
        &[&fe],
    );
    let c1 = held(port);
    let c2 = held(port);
    let c3 = held(port);
    assert_eq!(
        [c1.1.as_str(), c2.1.as_str(), c3.1.as_str()],
        ["s1", "s1", "s2"]
    );
    // Free one slot on s1: the next connection goes back to s1.
    drop(c1);
    assert!(
        s1.wait_active(1, T),
        "proxy did not close the s1 connection"
    );
    wait_scur(&sock, "s1", 1);
    let c4 = held(port);
    assert_eq!(c4.1, "s1", "a free slot on s1 is used first");
    drop((c2, c3, c4));
}

/// source: one client address always maps to the same server; different
/// addresses spread over the servers.
#[test]
fn source_hash_is_sticky_per_client_address() {
    let s1 = Backend::banner("s1");
    let s2 = Backend::banner("s2");
    let s3 = Backend::banner("s3");
    let fe = BoundPort::new();
    let port = fe.port;
    let _px = Proxy::start_with(
        &cfg(
            &fe,
            "source",
            &[
                ("s1", s1.port, ""),
                ("s2", s2.port, ""),
                ("s3", s3.port, ""),
            ],
        ),
        &[&fe],
    );
    let m = count_sequential(port, 50);
    assert_eq!(m.len(), 1, "50 connections from 127.0.0.1 hit {m:?}");

    let mut seen = BTreeMap::new();
    for i in 2..18u8 {
        let src = Ipv4Addr::new(127, 0, 0, i);
        let mut names = Vec::new();
        for _ in 0..3 {
            let mut c = connect_from(src, port);
            names.push(read_line(&mut c, T).expect("banner"));
        }
        assert!(
            names.iter().all(|n| *n == names[0]),
            "{src} moved between servers: {names:?}"
        );
        *seen.entry(names[0].clone()).or_insert(0) += 1;
    }
    assert!(
        seen.len() >= 2,
        "16 source addresses all hashed to one server: {seen:?}"
    );
}
