//! `show servers conn [<backend>]`: each server's connection pool
//! (in use, peak, estimated need, idle unsafe/safe, limit, per thread),
//! against HAProxy 2.6 on the same configuration and requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use tests::http::Origin;
use tests::stick::cli;
use tests::{is_haproxy, proxy_bin, BoundPort, Proxy, TempDir};

const HAPROXY: &str = "/usr/sbin/haproxy";
const T: Duration = Duration::from_secs(10);

/// `n` requests pipelined on one connection of their own (the last one
/// closes it): how many `200` answers came back.
fn requests(port: u16, n: usize) -> usize {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    let mut req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(n - 1);
    req.push_str("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out)
        .matches("HTTP/1.1 200")
        .count()
}

/// `show servers conn` with the backend ids masked (HAProxy counts the
/// CLI's own proxy) and the origin's port replaced by `PORT`.
fn masked(out: &str, port: u16) -> String {
    out.lines()
        .map(|l| {
            if l.starts_with('#') || l.is_empty() || !l.contains('/') {
                return format!("{l}\n");
            }
            let mut f: Vec<String> = l.split(' ').map(str::to_string).collect();
            if let Some(ids) = f.get_mut(1) {
                let srv = ids.split_once('/').map_or("", |x| x.1).to_string();
                *ids = format!("*/{srv}");
            }
            if let Some(p) = f.get_mut(3) {
                if *p == port.to_string() {
                    *p = "PORT".into();
                }
            }
            format!("{}\n", f.join(" "))
        })
        .collect()
}

fn transcript(bin: &Path) -> String {
    let dir = TempDir::new();
    let sock = dir.path().join("admin.sock");
    let origin = Origin::fixed(b"ok");
    let fe = BoundPort::new();
    let cfg = format!(
        "global\n\
         \x20   nbthread 1\n\
         \x20   stats socket {} level admin\n\
         defaults\n\
         \x20   mode http\n\
         \x20   timeout connect 2s\n\
         \x20   timeout client 10s\n\
         \x20   timeout server 10s\n\
         backend be\n\
         \x20   server s1 127.0.0.1:{port}\n\
         \x20   server s2 127.0.0.1:{port} pool-max-conn 10 pool-low-conn 2 pool-purge-delay 30s\n\
         backend other\n\
         \x20   server o1 127.0.0.1:{port} pool-max-conn 0\n\
         frontend fe\n\
         \x20   bind {fe}\n\
         \x20   default_backend be\n",
        sock.display(),
        port = origin.port,
    );
    let _px = Proxy::builder(&cfg).listen(&fe).bin(bin).start();
    let mut out = String::new();
    let mut ask = |cmd: &str| {
        out.push_str(&format!(
            "> {cmd}\n{}",
            masked(&cli(&sock, cmd), origin.port)
        ));
    };
    ask("show servers conn");
    ask("show servers conn other");
    ask("show servers conn fe");
    ask("show servers conn nope");
    // Round robin: s1 then s2 each get one request and keep its
    // connection idle (never reused: unsafe). The third request, the
    // first of its client connection, may not take an unsafe one
    // (`http-reuse safe`): s1 gets a new connection, closed after it as
    // the one idle already covers the need.
    for _ in 0..3 {
        assert_eq!(requests(fe.port, 1), 1);
    }
    ask("show servers conn be");
    // Two requests on one client connection: the first opens a new one to
    // s2; the second may reuse s1's idle one, which then goes back idle
    // as a safe one.
    assert_eq!(requests(fe.port, 2), 2);
    ask("show servers conn be");
    out
}

#[test]
fn show_servers_conn_as_in_haproxy() {
    let ours = transcript(&proxy_bin());
    eprintln!("{}:\n{ours}", proxy_bin().display());
    for want in [
        "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[1]\n",
        "be/s1 */1 127.0.0.1 PORT - 5000 0 0 0 0 0 -1 0 0\n",
        "be/s2 */2 127.0.0.1 PORT - 30000 0 0 0 0 0 10 0 0\n",
        "other/o1 */1 127.0.0.1 PORT - 5000 0 0 0 0 0 0 0\n",
        "> show servers conn fe\nCan't find backend.\n",
        "be/s1 */1 127.0.0.1 PORT - 5000 0 1 1 1 0 -1 1 1\n",
        "be/s2 */2 127.0.0.1 PORT - 30000 0 1 1 1 0 10 1 1\n",
        "be/s1 */1 127.0.0.1 PORT - 5000 0 1 1 0 1 -1 1 1\n",
        "be/s2 */2 127.0.0.1 PORT - 30000 0 1 1 2 0 10 2 2\n",
    ] {
        assert!(ours.contains(want), "missing {want:?} in:\n{ours}");
    }
    if is_haproxy() || !Path::new(HAPROXY).exists() {
        return;
    }
    let theirs = transcript(Path::new(HAPROXY));
    assert_eq!(ours, theirs, "ours (left) and HAProxy 2.6 (right) differ");
}
