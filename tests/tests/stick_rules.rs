//! Stick tables on the request path: rate limiting with `http-request
//! track-sc0` and `sc0_http_req_rate`, connection limits with `tcp-request
//! connection track-sc0` and `sc0_conn_cur` / `src_conn_cur`, general
//! purpose counters, `table_cnt` and `in_table`, persistence with `stick on
//! src`, expiry, and LRU eviction at `size` under 100,000 distinct keys.
//! Every test also passes with `PROXY_BIN=/usr/sbin/haproxy`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use tests::client::{self, Closed};
use tests::http::http_defaults;
use tests::servers::Backend;
use tests::stick::{banner_from, cli, get_from, keys, used};
use tests::{tcp_defaults, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

#[test]
fn http_request_rate_limit_answers_429() {
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}frontend fe\n\
         \x20   bind {fe}\n\
         \x20   stick-table type ip size 100 expire 30s store http_req_rate(10s)\n\
         \x20   http-request track-sc0 src\n\
         \x20   http-request deny deny_status 429 if {{ sc0_http_req_rate gt 5 }}\n\
         \x20   http-request return status 200 content-type text/plain string ok\n",
        http_defaults()
    );
    let _px = Proxy::start_with(&cfg, &[&fe]);
    // Each request counts before the deny rule reads the rate: the 6th
    // request of the period is the first over 5 (as HAProxy 2.6).
    let statuses: Vec<u16> = (0..7).map(|_| get_from(ip(1), port, "/")).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    // Another client has its own counter.
    assert_eq!(get_from(ip(2), port, "/"), 200);
    // Requests on one keep-alive connection count one by one too.
    let mut c = client::connect_from(ip(3), port);
    let mut got = Vec::new();
    for _ in 0..7 {
        c.write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n").unwrap();
        let mut buf = [0u8; 512];
        let n = c.read(&mut buf).unwrap();
        let head = String::from_utf8_lossy(&buf[..n]).to_string();
        got.push(head[9..12].parse::<u16>().unwrap());
    }
    assert_eq!(got, [200, 200, 200, 200, 200, 429, 429]);
}

#[test]
fn backend_http_request_rules_track_and_deny() {
    // The rules of a backend run after the frontend's: its track-sc0
    // feeds its own table and its deny answers (counted on both halves).
    let fe = BoundPort::new();
    let port = fe.port;
    let dir = tests::TempDir::new();
    let sock = dir.path().join("be-rules.sock");
    let cfg = format!(
        "global\n    stats socket {} level admin\n{}frontend fe\n\
         \x20   bind {fe}\n\
         \x20   default_backend be\n\
         backend be\n\
         \x20   stick-table type ip size 100 expire 30s store http_req_cnt,gpc0\n\
         \x20   http-request track-sc0 src\n\
         \x20   http-request sc-inc-gpc0(0) if {{ path /bump }}\n\
         \x20   http-request deny deny_status 403 if {{ sc0_http_req_cnt gt 3 }}\n\
         \x20   http-request return status 200 content-type text/plain string ok\n",
        sock.display(),
        http_defaults()
    );
    let _px = Proxy::start_with(&cfg, &[&fe]);
    let statuses: Vec<u16> = ["/", "/bump", "/", "/", "/"]
        .iter()
        .map(|p| get_from(ip(9), port, p))
        .collect();
    assert_eq!(statuses, [200, 200, 200, 403, 403]);
    let table = cli(&sock, "show table be");
    assert!(
        table.contains("key=127.0.0.9 use=0") && table.contains("gpc0=1 http_req_cnt=5"),
        "{table}"
    );
    let stat = cli(&sock, "show stat");
    let dreq = |name: &str| -> String {
        let line = stat
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {stat}"));
        line.split(',').nth(10).unwrap_or("").to_string()
    };
    assert_eq!(dreq("fe,FRONTEND,"), "2", "{stat}");
    assert_eq!(dreq("be,BACKEND,"), "2", "{stat}");
}

#[test]
fn set_src_from_a_header_feeds_src_tracking() {
    // Behind a load balancer: the client's address comes from a header,
    // and `track-sc0 src` counts per real client. The change lasts one
    // request: the next one on the same connection without the header is
    // counted under the connection's own address (as HAProxy 2.6).
    let fe = BoundPort::new();
    let port = fe.port;
    let dir = tests::TempDir::new();
    let sock = dir.path().join("set-src.sock");
    let cfg = format!(
        "global\n    stats socket {} level admin\n{}frontend fe\n\
         \x20   bind {fe}\n\
         \x20   stick-table type ip size 100 expire 30s store http_req_cnt\n\
         \x20   http-request set-src hdr(x-real-ip) if {{ req.hdr(x-real-ip) -m found }}\n\
         \x20   http-request track-sc0 src\n\
         \x20   http-request return status 200 content-type text/plain string ok\n",
        sock.display(),
        http_defaults()
    );
    let _px = Proxy::start_with(&cfg, &[&fe]);
    for real in ["10.1.2.3", "10.1.2.3", "192.0.2.7"] {
        let h = format!("x-real-ip: {real}\r\n");
        assert_eq!(tests::stick::get_from_with(ip(5), port, "/", &h), 200);
    }
    let mut c = client::connect_from(ip(6), port);
    for h in ["x-real-ip: 198.51.100.1\r\n", ""] {
        c.write_all(format!("GET / HTTP/1.1\r\nhost: t\r\n{h}\r\n").as_bytes())
            .unwrap();
        let mut buf = [0u8; 512];
        let n = c.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
    }
    drop(c);
    assert_eq!(get_from(ip(7), port, "/"), 200);
    let t = cli(&sock, "show table fe");
    for want in [
        "key=10.1.2.3 use=0 exp=",
        "key=192.0.2.7 use=0 exp=",
        "key=198.51.100.1 use=0 exp=",
        "key=127.0.0.6 use=0 exp=",
        "key=127.0.0.7 use=0 exp=",
    ] {
        assert!(t.contains(want), "{want} in {t}");
    }
    assert!(!t.contains("key=127.0.0.5"), "{t}");
    let cnt = |k: &str| {
        t.lines()
            .find(|l| l.contains(&format!("key={k} ")))
            .and_then(|l| l.split("http_req_cnt=").nth(1))
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(cnt("10.1.2.3"), "2", "{t}");
    assert_eq!(cnt("198.51.100.1"), "1", "{t}");
    assert_eq!(cnt("127.0.0.6"), "1", "{t}");
}

/// Whether a connection from `src` is refused: reset at connect time or
/// closed without any data.
fn refused(src: Ipv4Addr, port: u16) -> bool {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .unwrap();
    let s = rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(std::net::SocketAddr::from((src, 0))).unwrap();
        let fut = sock.connect(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
        tokio::time::timeout(T, fut).await.unwrap()
    });
    let Ok(s) = s else { return true };
    let mut s = s.into_std().unwrap();
    s.set_nonblocking(false).unwrap();
    let _ = s.write_all(b"c");
    matches!(
        client::wait_closed(&mut s, T),
        Some((Closed::Eof(0) | Closed::Reset(0), _))
    )
}

#[test]
fn connection_limit_with_conn_cur() {
    let echo = Backend::echo();
    let (fe1, fe2) = (BoundPort::new(), BoundPort::new());
    let (p1, p2) = (fe1.port, fe2.port);
    // A stats socket, to see conn_cur go down in the tables.
    let dir = tests::TempDir::new();
    let sock = dir.path().join("admin.sock");
    let cfg = format!(
        "{}frontend by_sc0\n\
         \x20   bind {fe1}\n\
         \x20   stick-table type ip size 100 store conn_cur,conn_cnt\n\
         \x20   tcp-request connection track-sc0 src\n\
         \x20   tcp-request connection reject if {{ sc0_conn_cur gt 2 }}\n\
         \x20   default_backend be\n\
         frontend by_src\n\
         \x20   bind {fe2}\n\
         \x20   stick-table type ip size 100 store conn_cur\n\
         \x20   tcp-request connection reject if {{ src_conn_cur ge 2 }}\n\
         \x20   tcp-request connection track-sc0 src\n\
         \x20   default_backend be\n\
         backend be\n\
         \x20   server e 127.0.0.1:{}\n",
        tcp_defaults().replacen(
            "global\n",
            &format!("global\n    stats socket {} level admin\n", sock.display()),
            1
        ),
        echo.port
    );
    let _px = Proxy::start_with(&cfg, &[&fe1, &fe2]);
    for (port, table) in [(p1, "by_sc0"), (p2, "by_src")] {
        let mut a = client::connect_from(ip(1), port);
        client::echo_roundtrip(&mut a, b"a");
        let mut b = client::connect_from(ip(1), port);
        client::echo_roundtrip(&mut b, b"b");
        // The third concurrent connection from the address is refused
        // (reset, as HAProxy does; possibly before connect() returns).
        assert!(
            refused(ip(1), port),
            "port {port}: third connection accepted"
        );
        // ...while another address is not limited.
        let mut d = client::connect_from(ip(2), port);
        client::echo_roundtrip(&mut d, b"d");
        // Once one closes, conn_cur goes down and a new one is accepted.
        drop(a);
        // Wait until the table counts one connection of that address,
        // rather than for a fixed 300 ms.
        let _ = tests::util::poll_until(Duration::from_secs(5), || {
            cli(&sock, &format!("show table {table} key {}", ip(1)))
                .split_whitespace()
                .any(|w| w == "conn_cur=1")
                .then_some(())
        });
        let mut e = client::connect_from(ip(1), port);
        client::echo_roundtrip(&mut e, b"e");
    }
}

#[test]
fn general_purpose_counters_and_table_fetches() {
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}frontend fe\n\
         \x20   bind {fe}\n\
         \x20   stick-table type ip size 100 store gpc0,gpt0\n\
         \x20   acl known src,in_table(fe)\n\
         \x20   http-request return status 201 if {{ path /first }} !known\n\
         \x20   http-request track-sc0 src\n\
         \x20   http-request sc-inc-gpc0(0) if {{ path /bad }}\n\
         \x20   http-request sc-set-gpt0(0) 7 if {{ path /tag }}\n\
         \x20   http-request deny deny_status 403 if {{ sc0_get_gpc0 ge 2 }}\n\
         \x20   http-request deny deny_status 410 if {{ sc0_get_gpt0 eq 7 }}\n\
         \x20   http-request return status 204 if {{ table_cnt ge 2 }}\n\
         \x20   http-request return status 200\n",
        http_defaults()
    );
    let _px = Proxy::start_with(&cfg, &[&fe]);
    // Unknown address: not in the table yet (answered before tracking).
    assert_eq!(get_from(ip(1), port, "/first"), 201);
    assert_eq!(get_from(ip(1), port, "/first"), 201);
    assert_eq!(get_from(ip(1), port, "/"), 200);
    assert_eq!(get_from(ip(1), port, "/first"), 200);
    assert_eq!(get_from(ip(1), port, "/bad"), 200);
    assert_eq!(get_from(ip(1), port, "/bad"), 403);
    assert_eq!(get_from(ip(1), port, "/"), 403);
    // A second entry: table_cnt is 2.
    assert_eq!(get_from(ip(2), port, "/"), 204);
    assert_eq!(get_from(ip(2), port, "/tag"), 410);
    assert_eq!(get_from(ip(2), port, "/"), 410);
}

#[test]
fn stick_on_src_keeps_each_client_on_its_server() {
    let a = Backend::banner("a");
    let b = Backend::banner("b");
    let (fe_sticky, fe_plain) = (BoundPort::new(), BoundPort::new());
    let (sticky, plain) = (fe_sticky.port, fe_plain.port);
    let cfg = format!(
        "{}frontend sticky\n\
         \x20   bind {fe_sticky}\n\
         \x20   default_backend be_sticky\n\
         frontend plain\n\
         \x20   bind {fe_plain}\n\
         \x20   default_backend be_plain\n\
         backend be_sticky\n\
         \x20   balance roundrobin\n\
         \x20   stick-table type ip size 100 expire 30s\n\
         \x20   stick on src\n\
         \x20   server a 127.0.0.1:{}\n\
         \x20   server b 127.0.0.1:{}\n\
         backend be_plain\n\
         \x20   balance roundrobin\n\
         \x20   server a 127.0.0.1:{}\n\
         \x20   server b 127.0.0.1:{}\n",
        tcp_defaults(),
        a.port,
        b.port,
        a.port,
        b.port
    );
    let _px = Proxy::start_with(&cfg, &[&fe_sticky, &fe_plain]);
    // Without persistence, round robin alternates for one client.
    let seen: Vec<String> = (0..4).map(|_| banner_from(ip(1), plain)).collect();
    assert_ne!(seen[0], seen[1], "round robin should alternate: {seen:?}");
    // With `stick on src`, each client keeps the server of its first
    // connection, and the clients are spread over both servers.
    let mut firsts = Vec::new();
    for last in 1..=4 {
        let first = banner_from(ip(last), sticky);
        for _ in 0..4 {
            assert_eq!(
                banner_from(ip(last), sticky),
                first,
                "client 127.0.0.{last}"
            );
        }
        firsts.push(first);
    }
    firsts.sort();
    firsts.dedup();
    assert_eq!(firsts, ["a", "b"]);
}

#[test]
fn entries_expire() {
    let fe = BoundPort::new();
    let port = fe.port;
    let dir = tests::TempDir::new();
    let sock = dir.path().join("admin.sock");
    let cfg = format!(
        "{}global\n    stats socket {} level admin\n\
         frontend fe\n\
         \x20   bind {fe}\n\
         \x20   stick-table type ip size 100 expire 1s store http_req_cnt\n\
         \x20   http-request track-sc0 src\n\
         \x20   http-request return status 200\n",
        http_defaults(),
        sock.display()
    );
    let _px = Proxy::start_with(&cfg, &[&fe]);
    assert_eq!(get_from(ip(1), port, "/"), 200);
    let t0 = Instant::now();
    assert_eq!(used(&cli(&sock, "show table fe")), 1);
    let gone = tests::util::poll_until(Duration::from_secs(5), || {
        (used(&cli(&sock, "show table fe")) == 0).then_some(())
    });
    assert!(gone.is_some(), "the entry did not expire");
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(800),
        "expired too early: {waited:?}"
    );
}

/// Sends `n` pipelined requests with keys `k<from>..` on one connection.
fn send_keys(port: u16, from: usize, n: usize) {
    let mut s = client::connect(port);
    let batch = 200;
    let mut sent = from;
    let mut buf = vec![0u8; 65536];
    while sent < from + n {
        let end = (sent + batch).min(from + n);
        let mut reqs = Vec::new();
        for k in sent..end {
            reqs.extend_from_slice(
                format!("GET / HTTP/1.1\r\nhost: t\r\nx-key: k{k}\r\n\r\n").as_bytes(),
            );
        }
        s.write_all(&reqs).unwrap();
        let mut answered = 0;
        let mut pending = Vec::new();
        while answered < end - sent {
            let r = s.read(&mut buf).unwrap();
            assert!(r > 0, "closed");
            pending.extend_from_slice(&buf[..r]);
            while let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                pending.drain(..i + 4);
                answered += 1;
            }
        }
        sent = end;
    }
}

#[test]
fn hundred_thousand_keys_evict_the_least_recently_used() {
    let fe = BoundPort::new();
    let port = fe.port;
    let dir = tests::TempDir::new();
    let sock = dir.path().join("admin.sock");
    let cfg = format!(
        "{}global\n    stats socket {} level admin\nfrontend fe\n\
         \x20   bind {fe}\n\
         \x20   stick-table type string len 16 size 1000 store http_req_cnt\n\
         \x20   http-request track-sc0 req.hdr(x-key)\n\
         \x20   http-request return status 200\n",
        http_defaults(),
        sock.display()
    );
    let _px = Proxy::start_with(&cfg, &[&fe]);
    let total = 100_000;
    let threads = 4;
    let per = total / threads;
    let hs: Vec<_> = (0..threads)
        .map(|t| std::thread::spawn(move || send_keys(port, t * per, per)))
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let dump = cli(&sock, "show table fe");
    let n = used(&dump);
    assert!((990..=1000).contains(&n), "used {n}");
    let ks = keys(&dump);
    assert_eq!(ks.len(), n as usize);
    // Only recent keys survive: the streams interleave, so a survivor is
    // among the last 1000 or so of its own connection (eviction goes by
    // batches of size/256+1 of the oldest, as HAProxy's; a few entries of
    // slack), and the very last request of all (the last one of some
    // connection) is there.
    for k in &ks {
        let i: usize = k[1..].parse().unwrap();
        assert!(i % per >= per - 1100, "old key {k} survived eviction");
    }
    assert!(
        (1..=threads).any(|t| ks.contains(&format!("k{}", t * per - 1))),
        "no connection's last key is in the table"
    );
    assert_eq!(cli(&sock, "show table fe key k0"), "\n");
}
