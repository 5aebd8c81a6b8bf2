//! `default-server`: a `defaults` section's line is inherited by the
//! backends that follow, a backend's own line adds to it, a `server` line
//! overrides both. The servers' weights and limits as `show stat` and
//! `show servers state` report them, on our proxy and on HAProxy 2.6 in
//! the same test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tests::stick::cli;
use tests::{is_haproxy, BoundPort, Proxy, TempDir};

const HAPROXY: &str = "/usr/sbin/haproxy";

/// `(proxy, server, slim, weight)` of every server row of `show stat`.
fn servers(bin: Option<&str>) -> (Vec<String>, String) {
    let dir = TempDir::new();
    let sock = dir.path().join("ds.sock");
    let fe = BoundPort::new();
    let cfg = format!(
        "global\n    stats socket {}\n\ndefaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\n    default-server weight 7 maxconn 20\n\nbackend b\n    default-server weight 9\n    server s1 127.0.0.1:80\n    server s2 127.0.0.1:81 weight 3\n    server s3 127.0.0.1:82 maxconn 5 backup\n\nbackend c\n    server s4 127.0.0.1:83\n\nfrontend f\n    bind {fe}\n    default_backend b\n",
        sock.display()
    );
    let mut b = Proxy::builder(&cfg).listen(&fe);
    if let Some(bin) = bin {
        b = b.bin(bin);
    }
    let _px = b.start();
    let stat = cli(&sock, "show stat");
    let rows = stat
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            // pxname, svname, slim (6), weight (18), bck (20)
            format!("{},{},{},{},{}", f[0], f[1], f[6], f[18], f[20])
        })
        // Server rows only: the BACKEND row's `slim` is the backend's
        // `fullconn`, which is not what this test is about.
        .filter(|r| !r.contains("FRONTEND") && !r.contains("BACKEND"))
        .collect();
    let state = cli(&sock, "show servers state");
    // be_id be_name srv_id srv_name srv_addr ... srv_uweight srv_iweight:
    // the weights, not the times.
    let weights = state
        .lines()
        .skip(2)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            format!("{} {} {} {}", f[1], f[3], f[7], f[8])
        })
        .collect::<Vec<_>>()
        .join("\n");
    (rows, weights)
}

#[test]
fn default_server_is_inherited_and_overridden() {
    let (rows, weights) = servers(None);
    assert_eq!(
        rows,
        ["b,s1,20,9,0", "b,s2,20,3,0", "b,s3,5,9,1", "c,s4,20,7,0",]
    );
    assert_eq!(weights, "b s1 9 9\nb s2 3 3\nb s3 9 9\nc s4 7 7");
    if !is_haproxy() && Path::new(HAPROXY).exists() {
        assert_eq!((rows, weights), servers(Some(HAPROXY)));
    }
}
