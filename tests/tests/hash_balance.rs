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
/// the given weights, each a section answering its name; the key is the
/// client address.
fn run(bin: &Path, lb: &str, weights: &[u32]) -> Vec<String> {
    let req = |i: u32| format!("GET / HTTP/1.1\r\nhost: t\r\nx-key: {}\r\n\r\n", key(i));
    run_requests(bin, lb, weights, KEYS, &req)
}

/// Like [`run`], with `n` requests made by `req` (the key in the request
/// itself: its URI, a header, ...).
fn run_requests(
    bin: &Path,
    lb: &str,
    weights: &[u32],
    n: u32,
    req: &dyn Fn(u32) -> String,
) -> Vec<String> {
    run_tuned(bin, "", lb, weights, n, req)
}

/// Like [`run_requests`], with `global` lines added.
fn run_tuned(
    bin: &Path,
    global: &str,
    lb: &str,
    weights: &[u32],
    n: u32,
    req: &dyn Fn(u32) -> String,
) -> Vec<String> {
    let fe = BoundPort::new();
    let ports: Vec<BoundPort> = weights.iter().map(|_| BoundPort::new()).collect();
    let mut cfg = http_defaults().replace("    option httplog\n", "");
    cfg = cfg.replacen("global\n", &format!("global\n{global}"), 1);
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
    for start in (0..n).step_by(BATCH as usize) {
        let batch = start..(start + BATCH).min(n);
        let mut bytes = Vec::new();
        for i in batch.clone() {
            bytes.extend_from_slice(req(i).as_bytes());
        }
        c.send(&bytes);
        for i in batch {
            let r = c.read_response(false);
            out.push(format!(
                "{i} {} {}",
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
    assert_eq!(answered, t.len() - 1, "{:?}", &t[..5]);
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

/// Requests for the key-hashing algorithms: a few thousand of them.
const REQS: u32 = 3_000;

/// A path of the i-th request: varied directories, files and queries.
fn path(i: u32) -> String {
    let a = i.wrapping_mul(2_654_435_761);
    format!("/d{}/e{}/f{:x}?q={}&r={}", a % 13, a % 7, a >> 8, i, a % 5)
}

fn check_reqs(lb: &str, weights: &[u32], req: &dyn Fn(u32) -> String) {
    compare(|bin| run_requests(bin, lb, weights, REQS, req), shape);
}

fn get(target: &str, extra: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nhost: t\r\n{extra}\r\n")
}

#[test]
fn uri_map_based() {
    check_reqs("    balance uri\n", &[1, 1, 1, 1], &|i| get(&path(i), ""));
}

#[test]
fn uri_whole_consistent_weights() {
    check_reqs(
        "    balance uri whole\n    hash-type consistent djb2\n",
        &[3, 1, 2],
        &|i| get(&path(i), ""),
    );
}

#[test]
fn uri_depth_len_path_only() {
    check_reqs(
        "    balance uri depth 2 len 12 path-only\n    hash-type map-based crc32 avalanche\n",
        &[2, 4, 6, 1],
        &|i| {
            let host = format!("h{}.test", i % 3);
            format!(
                "GET http://{host}{} HTTP/1.1\r\nhost: {host}\r\n\r\n",
                path(i)
            )
        },
    );
}

/// One request in ten has no parameter: both fall back to round robin
/// the same way.
fn url_param_req(i: u32) -> String {
    let q = if i % 10 == 4 {
        format!("/p?x={i}")
    } else {
        format!("/p?a=1&sid{}=x&sid={:x}&z", i % 3, i.wrapping_mul(40_503))
    };
    get(&q, "")
}

#[test]
fn url_param_map_based_with_misses() {
    check_reqs("    balance url_param sid\n", &[1, 2, 3], &url_param_req);
}

#[test]
fn url_param_consistent_with_misses() {
    check_reqs(
        "    balance url_param sid check_post\n    hash-type consistent wt6\n",
        &[1, 1, 1, 1, 1],
        &url_param_req,
    );
}

/// The header `x-key`, missing or empty every so often, sometimes with
/// several values.
fn hdr_req(i: u32) -> String {
    match i % 11 {
        2 => get("/", ""),
        5 => get("/", "x-key:\r\n"),
        7 => get("/", &format!("x-key: {} , other\r\n", key(i))),
        _ => get("/", &format!("X-Key: {}\r\n", key(i))),
    }
}

#[test]
fn hdr_map_based_with_misses() {
    check_reqs("    balance hdr(x-key)\n", &[1, 1, 1], &hdr_req);
}

#[test]
fn hdr_consistent_avalanche_with_misses() {
    check_reqs(
        "    balance hdr(X-KEY)\n    hash-type consistent sdbm avalanche\n",
        &[4, 1, 3],
        &hdr_req,
    );
}

#[test]
fn hdr_use_domain_only() {
    let req = |i: u32| {
        let sub = ["www.", "", "a.b."][i as usize % 3];
        format!(
            "GET / HTTP/1.1\r\nhost: {sub}site{}.example\r\n\r\n",
            i % 500
        )
    };
    check_reqs(
        "    balance hdr(host) use_domain_only\n    hash-type consistent\n",
        &[1, 1, 1, 1],
        &req,
    );
}

#[test]
fn hash_expression() {
    check_reqs(
        "    balance hash req.hdr(x-key),lower\n    hash-type map-based djb2\n",
        &[2, 1, 1],
        &hdr_req,
    );
}

#[test]
fn hash_expression_consistent_ip() {
    // An address sample is hashed in its binary form.
    check_reqs(
        "    balance hash req.hdr_ip(x-key)\n    hash-type consistent crc32\n",
        &[1, 2, 1],
        &|i| get("/", &format!("x-key: {}\r\n", key(i))),
    );
}

/// `random`: not comparable key by key; every request is answered, and
/// every server gets a share.
#[test]
fn random_draws_spread() {
    let t = run_requests(
        &tests::proxy_bin(),
        "    balance random(3)\n",
        &[1, 1, 1],
        600,
        &|i| get(&path(i), ""),
    );
    shape(&t);
    for s in ["s0", "s1", "s2"] {
        let n = t.iter().filter(|l| l.ends_with(s)).count();
        assert!(n > 100, "{s}: {n}");
    }
}

/// A parameter at the end of a 1 MB query string is found, quickly, and
/// lands where HAProxy puts it.
#[test]
fn url_param_in_a_megabyte_query() {
    let req = |i: u32| {
        let q = "x=y&".repeat(250_000);
        get(&format!("/p?{q}sid=k{i}"), "")
    };
    let started = std::time::Instant::now();
    compare(
        |bin| {
            run_tuned(
                bin,
                "    tune.bufsize 2097152\n",
                "    balance url_param sid\n",
                &[1, 1, 1],
                6,
                &req,
            )
        },
        shape,
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

/// TCP servers that answer each connection with their name and close.
fn name_servers(n: usize) -> Vec<u16> {
    (0..n)
        .map(|i| {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = l.local_addr().unwrap().port();
            std::thread::spawn(move || {
                for mut c in l.incoming().flatten() {
                    let _ = std::io::Write::write_all(&mut c, format!("s{i}").as_bytes());
                }
            });
            port
        })
        .collect()
}

/// An RDP connection request carrying `cookie` (none: a packet as long
/// without one).
fn rdp_packet(cookie: Option<&str>) -> Vec<u8> {
    let mut p = vec![3, 0, 0, 0, 0x1e, 0xe0, 0, 0, 0, 0, 0];
    match cookie {
        Some(c) => p.extend_from_slice(format!("Cookie: mstshash={c}\r\n").as_bytes()),
        None => p.extend_from_slice(b"no cookie in this request\r\n"),
    }
    p.extend_from_slice(&[1, 0, 8, 0, 3, 0, 0, 0]);
    p
}

/// `balance rdp-cookie` in a TCP proxy that waits for the request: one
/// connection per key, a few without a cookie (round robin).
fn run_rdp(bin: &Path, ports: &[u16], ht: &str) -> Vec<String> {
    let fe = BoundPort::new();
    let mut cfg = tests::tcp_defaults().replace("    option tcplog\n", "");
    cfg = cfg.replace("    log global\n", "");
    cfg.push_str(&format!(
        "listen rdp\n    bind {fe}\n    tcp-request inspect-delay 2s\n    tcp-request content accept if {{ req.len ge 30 }}\n    balance rdp-cookie\n{ht}"
    ));
    for (i, p) in ports.iter().enumerate() {
        cfg.push_str(&format!("    server s{i} 127.0.0.1:{p} weight {}\n", i + 1));
    }
    let px = Proxy::builder(&cfg).bin(bin).listen(&fe).start();
    let mut out = vec![format!("== rdp-cookie {ht}")];
    for i in 0..600u32 {
        let cookie = (i % 9 != 4).then(|| format!("user{}", i.wrapping_mul(7919)));
        let mut c = std::net::TcpStream::connect(("127.0.0.1", fe.port)).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        std::io::Write::write_all(&mut c, &rdp_packet(cookie.as_deref())).unwrap();
        let mut got = String::new();
        let _ = std::io::Read::read_to_string(&mut c, &mut got);
        out.push(format!("{i} 200 {got}"));
    }
    drop(px);
    out
}

#[test]
fn rdp_cookie_map_based_and_consistent() {
    let ports = name_servers(3);
    for ht in ["", "    hash-type consistent\n"] {
        compare(|bin| run_rdp(bin, &ports, ht), shape);
    }
}

/// `check_post`: a POST without the parameter in its query string is
/// balanced on the parameter in its body (none anywhere: round robin).
#[test]
fn url_param_check_post_body() {
    let req = |i: u32| {
        let body = match i % 6 {
            1 => "a=1&b=2".to_string(),
            3 => format!("sid={i} tail&z"),
            5 if i % 4 == 1 => "sid= x".into(),
            5 => "sid=\x01".into(),
            _ => format!("x=1&sid=u{}&y", i.wrapping_mul(40_503)),
        };
        let target = if i % 10 == 7 {
            format!("/p?sid=q{i}")
        } else {
            "/p".into()
        };
        format!(
            "POST {target} HTTP/1.1\r\nhost: t\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    check_reqs("    balance url_param sid check_post\n", &[1, 2, 1], &req);
}

/// `balance hdr()` hashes the header as the rules left it
/// (`set-header`).
#[test]
fn hdr_after_set_header() {
    check_reqs(
        "    http-request set-header x-lb %[req.hdr(x-key)]\n    balance hdr(x-lb)\n",
        &[1, 1, 1],
        &|i| get("/", &format!("x-key: {}\r\n", key(i))),
    );
}
