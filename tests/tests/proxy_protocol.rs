//! The PROXY protocol on the accept side (`bind ... accept-proxy`,
//! `tcp-request connection expect-proxy layer4`), on HAProxy 2.6 and on
//! ours with the same transcript required: v1 and v2 headers whose
//! addresses `src`/`dst` and the log then show, LOCAL and UNKNOWN keeping
//! the real ones, and each malformed header rejected with 2.6's log
//! reason (not a header, truncated, invalid, unhandled protocol, a TLV
//! overrunning its block, closed before any byte).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use tests::checks::compare;
use tests::http::raw_exchange;
use tests::util::local;
use tests::{BoundPort, Proxy};

const SIG: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";

fn v2(ver_cmd: u8, fam: u8, body: &[u8]) -> Vec<u8> {
    let mut b = SIG.to_vec();
    b.extend_from_slice(&[ver_cmd, fam]);
    b.extend_from_slice(&(body.len() as u16).to_be_bytes());
    b.extend_from_slice(body);
    b
}

/// A v2 TCP4 block 10.1.2.3:4000 -> 10.9.8.7:80, then `tlvs`.
fn v2_inet(tlvs: &[u8]) -> Vec<u8> {
    let mut body = vec![10, 1, 2, 3, 10, 9, 8, 7];
    body.extend_from_slice(&4000u16.to_be_bytes());
    body.extend_from_slice(&80u16.to_be_bytes());
    body.extend_from_slice(tlvs);
    v2(0x21, 0x11, &body)
}

/// Sends `head` and a request in one write; the response body, or
/// `closed`/`reset`.
fn probe(port: u16, head: &[u8]) -> String {
    let mut s = TcpStream::connect(local(port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut data = head.to_vec();
    data.extend_from_slice(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    s.write_all(&data).unwrap();
    let _ = s.shutdown(Shutdown::Write);
    let mut got = Vec::new();
    match s.read_to_end(&mut got) {
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => "reset".into(),
        _ if got.is_empty() => "closed".into(),
        _ => {
            let text = String::from_utf8_lossy(&got).into_owned();
            let body = text.split("\r\n\r\n").nth(1).unwrap_or("?");
            // The real ends' ports are ephemeral: hidden.
            body.split('>')
                .map(|a| match a.strip_prefix("127.0.0.1:") {
                    Some(_) => "127.0.0.1:*",
                    None => a,
                })
                .collect::<Vec<_>>()
                .join(">")
        }
    }
}

/// A log line without its date; the real client's port (ephemeral)
/// hidden.
fn norm(line: &str) -> String {
    let (client, rest) = line.split_once(" [").unwrap_or(("?", line));
    let client = if client.starts_with("127.0.0.1:") {
        "127.0.0.1:*"
    } else {
        client
    };
    let rest = rest.split_once("] ").map_or(rest, |(_, r)| r);
    // An httplog line: its frontend, server and timers are enough; a
    // timer's value depends on the machine's load, whether it was
    // measured (not -1) does not.
    let rest = if rest.contains('"') {
        let mut words: Vec<String> = rest.split_whitespace().take(3).map(String::from).collect();
        if let Some(t) = words.get_mut(2) {
            *t = t
                .split('/')
                .map(|v| if v == "-1" { "-1" } else { "n" })
                .collect::<Vec<_>>()
                .join("/");
        }
        words.join(" ")
    } else {
        rest.to_string()
    };
    format!("{client} {rest}")
}

fn config(p: &[BoundPort]) -> String {
    let answer = "http-request return status 200 content-type text/plain \
                  lf-string \"%[src]:%[src_port]>%[dst]:%[dst_port]\"";
    format!(
        "global\n    log stdout format raw local0\n\n\
         defaults\n    mode http\n    log global\n    option httplog\n    timeout connect 2s\n    \
         timeout client 1s\n    timeout server 2s\n\n\
         frontend fe\n    bind {} accept-proxy\n    {answer}\n\n\
         frontend fe_rule\n    bind {}\n    \
         tcp-request connection expect-proxy layer4 if {{ src 127.0.0.1 }}\n    {answer}\n\n\
         frontend mark\n    bind {}\n    {answer}\n",
        p[0], p[1], p[2],
    )
}

/// The log lines since the last marker, normalized, then a new marker.
fn since_marker(px: &Proxy, mark: u16, n: &mut usize, seen: &mut usize) -> Vec<String> {
    std::thread::sleep(Duration::from_millis(150));
    *n += 1;
    let path = format!("/mark-{n}");
    let req = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    raw_exchange(mark, req.as_bytes(), Duration::from_secs(5));
    let key = format!("GET {path} ");
    px.wait_log(|l| l.contains(&key), Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no marker {path}: {:?}", px.logs()));
    let all = px.logs();
    let end = all.iter().position(|l| l.contains(&key)).unwrap();
    let out = all[*seen..end].iter().map(|l| norm(l)).collect();
    *seen = end + 1;
    out
}

#[test]
fn accept_proxy_as_haproxy() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "v1 tcp4",
            b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 8443\r\n".to_vec(),
        ),
        (
            "v1 tcp6",
            b"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n".to_vec(),
        ),
        ("v1 unknown", b"PROXY UNKNOWN\r\n".to_vec()),
        (
            "v1 port wraps",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 99999999 01\r\n".to_vec(),
        ),
        ("v2 tcp4", v2_inet(&[])),
        (
            "v2 tcp4 tlvs",
            v2_inet(&[0x02, 0, 3, b'a', b'.', b'b', 0x04, 0, 0]),
        ),
        ("v2 local", v2(0x20, 0x00, b"")),
        ("not a header", Vec::new()),
        ("v1 no crlf", [&b"PROXY TCP4 "[..], &[b'1'; 100]].concat()),
        ("v1 udp4", b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n".to_vec()),
        ("v1 unknown junk", b"PROXY UNKNOWN 1 2\r\n".to_vec()),
        (
            "v1 bad port",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n".to_vec(),
        ),
        (
            "v1 double space",
            b"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n".to_vec(),
        ),
        ("v2 tlv overrun", v2_inet(&[0x02, 0, 10, b'a'])),
        ("v2 bad command", v2(0x22, 0x11, &[1; 12])),
        ("v2 bad version", v2(0x11, 0x11, &[1; 12])),
        ("v2 unspec", v2(0x21, 0x00, b"")),
        ("v2 short block", v2(0x21, 0x11, &[1; 8])),
    ];
    compare(
        |bin| {
            let ports: Vec<BoundPort> = (0..3).map(|_| BoundPort::new()).collect();
            let px = ports
                .iter()
                .fold(Proxy::builder(&config(&ports)).bin(bin), |b, p| b.listen(p))
                .start();
            let (fe, rule, mark) = (ports[0].port, ports[1].port, ports[2].port);
            let (mut n, mut seen) = (0, 0);
            let mut t = Vec::new();
            for (what, head) in &cases {
                for (name, port) in [("bind", fe), ("rule", rule)] {
                    let got = probe(port, head);
                    let logs = since_marker(&px, mark, &mut n, &mut seen);
                    t.push(format!("{name} {what}: {got} | {}", logs.join(" / ")));
                }
            }
            // Closed before any byte, and only part of a header.
            for (what, bytes) in [("empty", &b""[..]), ("partial", &b"PROXY TCP4 1.2"[..])] {
                let mut s = TcpStream::connect(local(fe)).unwrap();
                s.write_all(bytes).unwrap();
                std::thread::sleep(Duration::from_millis(100));
                drop(s);
                let logs = since_marker(&px, mark, &mut n, &mut seen);
                t.push(format!("{what}: {}", logs.join(" / ")));
            }
            t
        },
        |t| {
            assert!(t
                .iter()
                .any(|l| l.contains("192.0.2.1:56324>198.51.100.2:8443")));
            assert!(t
                .iter()
                .any(|l| l.contains("Truncated PROXY protocol header")));
        },
    );
}
