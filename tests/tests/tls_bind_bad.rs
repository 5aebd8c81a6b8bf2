//! Bad input on `ssl` binds, on HAProxy 2.6 and on ours with the same
//! transcript required: garbage instead of a ClientHello, truncated
//! handshakes (closed, reset), a silent client, a 16 KB server name (one
//! oversized record, and split in legal records), a ClientHello in
//! one-byte writes (which must complete), a TLS 1.2 renegotiation
//! attempt, a refused client certificate on a named bind. Each leaves the
//! log line 2.6 writes (`<fe>/<bind>: SSL handshake failure`, `Connection
//! closed during SSL handshake`, `Timeout during SSL handshake`), at
//! severity info on syslog, none of the closes and timeouts under
//! `option dontlognull`; the proxy serves normally afterwards.
//!
//! Configuration errors are in `tls_bind_config.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tests::checks::compare;
use tests::http::raw_exchange;
use tests::servers::reset;
use tests::tlskit::{self, Pki};
use tests::util::local;
use tests::{BoundPort, Proxy};

/// How a raw probe ends after sending its bytes.
#[derive(Clone, Copy)]
enum End {
    /// Half-close, then read until the proxy closes.
    Fin,
    /// Close with a RST.
    Rst,
    /// Send nothing more, read until the proxy closes (its timeout).
    Wait,
}

/// Sends `data` raw, ends as `end` says; what came back: `closed`,
/// `alert` (a TLS alert record first), or `<n> bytes`.
fn raw(port: u16, data: &[u8], end: End) -> String {
    let mut s = TcpStream::connect(local(port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    if !data.is_empty() {
        s.write_all(data).unwrap();
    }
    match end {
        End::Rst => {
            std::thread::sleep(Duration::from_millis(100));
            reset(s);
            return "reset".to_string();
        }
        End::Fin => {
            let _ = s.shutdown(Shutdown::Write);
        }
        End::Wait => {}
    }
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    match got.first() {
        None => "closed".to_string(),
        Some(0x15) => "alert".to_string(),
        Some(_) => format!("{} bytes", got.len()),
    }
}

/// A log line without its client address and date; an httplog line
/// reduced to its status and request.
fn norm(line: &str) -> String {
    if let Some((_, q)) = line.split_once('"') {
        let status = line.split_whitespace().nth(5).unwrap_or("?");
        return format!("httplog {status} \"{q}");
    }
    line.split_once("] ")
        .map_or(line.to_string(), |(_, r)| r.to_string())
}

/// `openssl s_client -tls1_2`, then an `R` line (renegotiate) and a
/// request: what the client reported.
fn renegotiate(port: u16) -> String {
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-tls1_2",
            "-connect",
            &format!("127.0.0.1:{port}"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let _ = stdin.write_all(b"R\n");
    std::thread::sleep(Duration::from_millis(500));
    let _ = stdin.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    std::thread::sleep(Duration::from_millis(300));
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(8);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let reneg = text.contains("RENEGOTIATING");
    let reason = tests::tlskit::openssl_reason(&text).unwrap_or_else(|| "no error".into());
    let answered = text.contains("HTTP/1.1 200");
    format!("renegotiating={reneg} client error: {reason} answered={answered}")
}

fn config(pki: &Pki, udp: u16, p: &[BoundPort]) -> String {
    format!(
        "global\n    log stdout format raw local0\n    log 127.0.0.1:{udp} local0\n    \
         crt-base {dir}\n    ca-base {dir}\n\n\
         defaults\n    mode http\n    log global\n    option httplog\n    timeout connect 2s\n    \
         timeout client 1s\n    timeout server 2s\n\n\
         frontend fe\n    bind {} ssl crt rsa.pem\n    \
         bind {} name named ssl crt rsa.pem ca-file ca.crt verify required\n    bind {}\n    \
         http-request return status 200 content-type text/plain string hello\n\n\
         frontend fe_quiet\n    option dontlognull\n    bind {} ssl crt rsa.pem\n    \
         http-request return status 200 content-type text/plain string hello\n\n\
         frontend fe_slow\n    timeout client 10s\n    bind {} ssl crt rsa.pem\n    \
         http-request return status 200 content-type text/plain string hello\n",
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
        dir = pki.dir.path().display()
    )
}

/// The log lines since the last marker, normalized, then a new marker
/// (a plain request on `mark`, waited for).
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
    let out = all[*seen..end]
        .iter()
        .filter(|l| !l.contains("GET /mark-"))
        .map(|l| norm(l))
        .collect();
    *seen = end + 1;
    out
}

#[test]
fn bad_handshakes_logged_as_haproxy() {
    let Some(pki) = Pki::new() else { return };
    let garbage = b"GET / HTTP/1.1\r\nHost: not-tls\r\n\r\n".to_vec();
    let partial = tlskit::hand_made_hello(20, 16384)[..40].to_vec();
    compare(
        |bin| {
            let udp = UdpSocket::bind(local(0)).unwrap();
            udp.set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
            let ports: Vec<BoundPort> = (0..5).map(|_| BoundPort::new()).collect();
            let cfg = config(&pki, udp.local_addr().unwrap().port(), &ports);
            let px = ports
                .iter()
                .fold(Proxy::builder(&cfg).bin(bin), |b, p| b.listen(p))
                .start();
            let (tls, named, mark, quiet) =
                (ports[0].port, ports[1].port, ports[2].port, ports[3].port);
            // A ClientHello one byte at a time takes longer than `fe`'s
            // one-second `timeout client`.
            let slow = ports[4].port;
            let (mut n, mut seen) = (0, 0);
            let mut t = Vec::new();
            let mut step = |what: &str, got: String, t: &mut Vec<String>| {
                let logs = since_marker(&px, mark, &mut n, &mut seen);
                t.push(format!("{what}: {got} | {}", logs.join(" / ")));
            };
            for (fe, port) in [("fe", tls), ("quiet", quiet)] {
                step(
                    &format!("{fe} garbage"),
                    raw(port, &garbage, End::Fin),
                    &mut t,
                );
                step(&format!("{fe} empty"), raw(port, b"", End::Fin), &mut t);
                step(
                    &format!("{fe} truncated"),
                    raw(port, &partial, End::Fin),
                    &mut t,
                );
                step(
                    &format!("{fe} truncated rst"),
                    raw(port, &partial, End::Rst),
                    &mut t,
                );
                step(&format!("{fe} rst"), raw(port, b"", End::Rst), &mut t);
                step(&format!("{fe} silent"), raw(port, b"", End::Wait), &mut t);
                step(
                    &format!("{fe} partial silent"),
                    raw(port, &partial, End::Wait),
                    &mut t,
                );
            }
            let long = tlskit::hand_made_hello(16 * 1024, 1 << 16);
            step("16k sni one record", raw(tls, &long, End::Fin), &mut t);
            let long = tlskit::hand_made_hello(16 * 1024, 16 * 1024);
            step("16k sni two records", raw(tls, &long, End::Fin), &mut t);
            let r = pki.py(&["bytewise", &slow.to_string(), "rsa.test"]);
            step("bytewise hello", r, &mut t);
            step("renegotiation", renegotiate(tls), &mut t);
            step("named no cert", pki.curl(named, "rsa.test", None), &mut t);
            step(
                "named wrong cert",
                pki.curl(named, "rsa.test", Some("wrong")),
                &mut t,
            );
            step("still serving", pki.curl(tls, "rsa.test", None), &mut t);
            step("quiet serving", pki.curl(quiet, "rsa.test", None), &mut t);
            // The syslog copies of the handshake lines: severity info.
            let mut buf = vec![0u8; 65536];
            let mut sev = Vec::new();
            while let Ok(len) = udp.recv(&mut buf) {
                let d = String::from_utf8_lossy(&buf[..len]).into_owned();
                if d.contains(" SSL ") || d.contains("during SSL") {
                    let pri = d.split('>').next().unwrap_or("").to_string() + ">";
                    let msg = norm(d.trim_end());
                    sev.push(format!("syslog {pri} {msg}"));
                }
            }
            sev.sort();
            sev.dedup();
            t.extend(sev);
            t.push(format!("panicked: {}", px.stderr().contains("panicked")));
            t
        },
        |t| {
            let get = |k: &str| {
                t.iter()
                    .find_map(|l| l.strip_prefix(&format!("{k}: ")))
                    .unwrap_or_else(|| panic!("no {k} in {t:#?}"))
            };
            let closed = "fe/1: Connection closed during SSL handshake";
            assert!(
                get("fe garbage").ends_with("| fe/1: SSL handshake failure"),
                "{t:#?}"
            );
            assert!(get("fe empty").ends_with(closed), "{t:#?}");
            assert!(get("fe truncated").ends_with(closed), "{t:#?}");
            assert!(
                get("fe truncated rst").ends_with("fe/1: SSL handshake failure"),
                "{t:#?}"
            );
            assert!(
                get("fe rst").ends_with("fe/1: SSL handshake failure"),
                "{t:#?}"
            );
            assert!(
                get("fe silent").ends_with("fe/1: Timeout during SSL handshake"),
                "{t:#?}"
            );
            assert!(
                get("quiet garbage").ends_with("fe_quiet/1: SSL handshake failure"),
                "{t:#?}"
            );
            assert!(get("quiet empty").ends_with("| "), "{t:#?}");
            assert!(get("quiet silent").ends_with("| "), "{t:#?}");
            assert!(
                get("16k sni one record").contains("SSL handshake failure"),
                "{t:#?}"
            );
            assert!(
                get("bytewise hello").starts_with("TLSv1.3 HTTP/1.1 200 OK"),
                "{t:#?}"
            );
            assert!(
                get("renegotiation").starts_with("renegotiating=true"),
                "{t:#?}"
            );
            assert!(
                get("named no cert").ends_with("fe/named: SSL handshake failure"),
                "{t:#?}"
            );
            assert!(
                get("named wrong cert").ends_with("fe/named: SSL client certificate not trusted"),
                "{t:#?}"
            );
            assert!(
                get("still serving").starts_with("hello 200 | httplog 200"),
                "{t:#?}"
            );
            assert!(
                get("quiet serving").starts_with("hello 200 | httplog 200"),
                "{t:#?}"
            );
            assert_eq!(t.last().map(String::as_str), Some("panicked: false"));
            assert!(
                t.iter()
                    .any(|l| l == "syslog <134> fe/1: SSL handshake failure"),
                "{t:#?}"
            );
        },
    );
}
