//! Hash-based balancing picks the server HAProxy 2.6 picks: 10,000
//! distinct keys go through ours and through HAProxy with the same
//! configuration, and the server chosen for each key must be the same.
//! The key becomes the client address (`http-request set-src`) for
//! `balance source`; the servers are `http-request return` sections of the
//! same process that answer with their own name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tests::checks::compare;
use tests::http::{http_defaults, Client};
use tests::{BoundPort, Proxy};

/// How many keys each scenario sends.
const KEYS: u32 = 10_000;
/// Requests written before their responses are read.
const BATCH: u32 = 200;

/// The i-th key: spread IPv4 addresses (a bijective multiply keeps them
/// distinct), and an IPv6 one every seventh key.
fn key(i: u32) -> String {
    let a = i.wrapping_mul(2_654_435_761) ^ 0x5bd1_e995;
    if i % 7 == 3 {
        format!("2001:db8::{:x}:{:x}", a >> 16, a & 0xffff)
    } else {
        std::net::Ipv4Addr::from(a).to_string()
    }
}

/// A frontend balancing with `lb` (extra backend lines) over servers of
/// the given weights, each a section answering its name.
fn run(bin: &Path, lb: &str, weights: &[u32]) -> Vec<String> {
    let fe = BoundPort::new();
    let ports: Vec<BoundPort> = weights.iter().map(|_| BoundPort::new()).collect();
    let mut cfg = http_defaults().replace("    option httplog\n", "");
    cfg = cfg.replace("    log global\n", "");
    cfg.push_str(&format!(
        "frontend fe\n    bind {fe}\n    http-request set-src hdr(x-key)\n    default_backend b\n\nbackend b\n{lb}"
    ));
    for (i, (w, p)) in weights.iter().zip(&ports).enumerate() {
        cfg.push_str(&format!(
            "    server s{i} 127.0.0.1:{} weight {w}\n",
            p.port
        ));
    }
    for (i, p) in ports.iter().enumerate() {
        cfg.push_str(&format!(
            "\nlisten srv{i}\n    bind {p}\n    http-request return status 200 content-type text/plain string s{i}\n"
        ));
    }
    let mut b = Proxy::builder(&cfg).bin(bin).listen(&fe);
    for p in &ports {
        b = b.listen(p);
    }
    let px = b.start();
    let mut c = Client::connect(fe.port);
    let mut out = vec![format!("== {lb}weights {weights:?}")];
    for start in (0..KEYS).step_by(BATCH as usize) {
        let mut req = Vec::new();
        for i in start..start + BATCH {
            req.extend_from_slice(
                format!("GET / HTTP/1.1\r\nhost: t\r\nx-key: {}\r\n\r\n", key(i)).as_bytes(),
            );
        }
        c.send(&req);
        for i in start..start + BATCH {
            let r = c.read_response(false);
            out.push(format!(
                "{} {} {}",
                key(i),
                r.status(),
                String::from_utf8_lossy(&r.body)
            ));
        }
    }
    drop(px);
    out
}

/// Every key answered, and by more than one server.
fn shape(t: &[String]) {
    let answered = t.iter().filter(|l| l.contains(" 200 s")).count();
    assert_eq!(answered, KEYS as usize, "{:?}", &t[..5]);
    let first = t[1].rsplit(' ').next().unwrap();
    assert!(
        t[1..].iter().any(|l| !l.ends_with(first)),
        "one server only"
    );
}

fn check(lb: &str, weights: &[u32]) {
    compare(|bin| run(bin, lb, weights), shape);
}

#[test]
fn source_map_based_equal_weights() {
    check("    balance source\n", &[1, 1, 1, 1]);
}

#[test]
fn source_map_based_weights() {
    check(
        "    balance source\n    hash-type map-based\n",
        &[3, 1, 10, 6, 2],
    );
}

#[test]
fn source_consistent_equal_weights() {
    check("    balance source\n    hash-type consistent\n", &[1, 1, 1]);
}

#[test]
fn source_consistent_weights() {
    check(
        "    balance source\n    hash-type consistent djb2\n",
        &[5, 1, 2, 7],
    );
}

#[test]
fn source_consistent_avalanche_weights() {
    check(
        "    balance source\n    hash-type consistent wt6 avalanche\n",
        &[5, 1, 2, 7],
    );
}

#[test]
fn source_map_based_avalanche() {
    check(
        "    balance source\n    hash-type map-based crc32 avalanche\n",
        &[2, 4, 6],
    );
}
