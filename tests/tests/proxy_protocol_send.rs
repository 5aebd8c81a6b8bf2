//! The PROXY header servers receive (`send-proxy`, `send-proxy-v2`,
//! `proxy-v2-options`, `check-send-proxy`, `tcp-check connect
//! send-proxy`): a recording origin keeps the first bytes of each
//! connection, and the header must be byte for byte the one HAProxy 2.6
//! sends with the same configuration and the same client (addresses from
//! `accept-proxy` and `set-src`, TLVs with their CRC32C).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use tests::checks::compare;
use tests::util::local;
use tests::{BoundPort, Proxy};

const SIG: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";

/// An origin that records the first bytes of each connection (up to the
/// end of an HTTP head, or what comes within half a second) and answers
/// a short HTTP response.
fn recording_origin() -> (u16, mpsc::Receiver<Vec<u8>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                c.set_read_timeout(Some(Duration::from_millis(500)))
                    .unwrap();
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                while let Ok(n) = c.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                    if got.windows(4).any(|w| w == b"\r\n\r\n") && !got.ends_with(SIG) {
                        break;
                    }
                }
                let _ = c.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
                let _ = tx.send(got);
            });
        }
    });
    (port, rx)
}

/// The PROXY header at the start of `data`, shown as text (v1) or hex
/// (v2); `none` when there is none.
fn header_of(data: &[u8]) -> String {
    if data.starts_with(b"PROXY ") {
        let end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(data.len());
        return String::from_utf8_lossy(&data[..end]).into_owned();
    }
    if data.starts_with(SIG) && data.len() >= 16 {
        let len = 16 + usize::from(u16::from_be_bytes([data[14], data[15]]));
        let hex: Vec<String> = data[..len.min(data.len())]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        return format!("v2 {}", hex.join(""));
    }
    "none".into()
}

/// One client request (after `pp`, the client's own PROXY header)
/// through a proxy whose frontend `fe` has `accept-proxy` and whose
/// server line ends with `srv`; the header the origin got.
fn run(bin: &Path, fe: &str, srv: &str, pp: &[u8], req_extra: &str) -> Vec<String> {
    run_mode(bin, "http", fe, srv, pp, req_extra)
}

/// [`run`] with the proxies in `mode`.
fn run_mode(
    bin: &Path,
    mode: &str,
    fe: &str,
    srv: &str,
    pp: &[u8],
    req_extra: &str,
) -> Vec<String> {
    let (origin, rx) = recording_origin();
    let front = BoundPort::new();
    let cfg = format!(
        "{}frontend f\n    bind {front} accept-proxy\n{fe}    default_backend b\n\nbackend b\n    server s 127.0.0.1:{origin} {srv}\n",
        tests::http::http_defaults().replace("mode http", &format!("mode {mode}"))
    );
    let px = Proxy::builder(&cfg).bin(bin).listen(&front).start();
    let mut c = TcpStream::connect(local(front.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut data = pp.to_vec();
    data.extend_from_slice(
        format!("GET /x HTTP/1.1\r\nhost: t.example\r\n{req_extra}connection: close\r\n\r\n")
            .as_bytes(),
    );
    c.write_all(&data).unwrap();
    let mut resp = Vec::new();
    let _ = c.read_to_end(&mut resp);
    let got = rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    drop(px);
    vec![
        format!("== {srv}"),
        String::from_utf8_lossy(resp.split(|&b| b == b'\r').next().unwrap_or_default())
            .into_owned(),
        header_of(&got),
    ]
}

fn v1(line: &str) -> Vec<u8> {
    format!("{line}\r\n").into_bytes()
}

/// A client v2 header 10.1.2.3:4000 -> 10.9.8.7:80 with an authority TLV.
fn v2_with_authority() -> Vec<u8> {
    let mut body = vec![10, 1, 2, 3, 10, 9, 8, 7];
    body.extend_from_slice(&4000u16.to_be_bytes());
    body.extend_from_slice(&80u16.to_be_bytes());
    body.extend_from_slice(&[0x02, 0, 11]);
    body.extend_from_slice(b"example.org");
    let mut b = SIG.to_vec();
    b.extend_from_slice(&[0x21, 0x11]);
    b.extend_from_slice(&(body.len() as u16).to_be_bytes());
    b.extend_from_slice(&body);
    b
}

fn shape(t: &[String]) {
    assert!(t[1].contains("200"), "{t:?}");
    assert_ne!(t[2], "none", "{t:?}");
}

#[test]
fn v1_forwards_the_received_addresses() {
    let pp = v1("PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222");
    compare(|b| run(b, "", "send-proxy", &pp, ""), shape);
    let six = v1("PROXY TCP6 2001:db8::1 2001:db8::2 1111 2222");
    compare(|b| run(b, "", "send-proxy", &six, ""), shape);
}

#[test]
fn v2_plain_and_mixed_families() {
    let pp = v1("PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222");
    compare(|b| run(b, "", "send-proxy-v2", &pp, ""), shape);
    let fe = "    http-request set-src hdr(x-src)\n";
    compare(
        |b| run(b, fe, "send-proxy-v2", &pp, "x-src: 2001:db8::7\r\n"),
        shape,
    );
    compare(
        |b| run(b, fe, "send-proxy", &pp, "x-src: 2001:db8::7\r\n"),
        shape,
    );
}

#[test]
fn v2_options_tlvs_and_crc() {
    let pp = v2_with_authority();
    let fe = "    unique-id-format id-%[src]-%[dst_port]\n";
    for srv in [
        "send-proxy-v2 proxy-v2-options authority,unique-id,crc32c",
        "send-proxy-v2 proxy-v2-options ssl,cert-cn,ssl-cipher,cert-sig,cert-key",
        "send-proxy-v2-ssl-cn proxy-v2-options crc32c",
        "send-proxy-v2 proxy-v2-options unique-id",
    ] {
        compare(|b| run(b, fe, srv, &pp, ""), shape);
    }
    // Without a format the unique id is empty, and still sent.
    compare(
        |b| {
            run(
                b,
                "",
                "send-proxy-v2 proxy-v2-options unique-id,authority",
                &pp,
                "",
            )
        },
        shape,
    );
}

/// The header of the first health check a server with `srv` gets (v1
/// ports hidden: the check's own, and the origin's, vary per run).
fn run_check(bin: &Path, be: &str, srv: &str) -> Vec<String> {
    let (origin, rx) = recording_origin();
    let srv_opts = srv.replace("PORT", &origin.to_string());
    // HAProxy does not start without a listener.
    let front = BoundPort::new();
    let cfg = format!(
        "{}frontend f\n    bind {front}\n    default_backend b\n\nbackend b\n{be}    server s 127.0.0.1:{origin} check inter 300ms {srv_opts}\n",
        tests::http::http_defaults()
    );
    let px = Proxy::builder(&cfg).bin(bin).listen(&front).start();
    let got = rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    drop(px);
    let h = header_of(&got);
    let shown = match h.strip_prefix("PROXY ") {
        Some(rest) => {
            let f: Vec<&str> = rest.split(' ').collect();
            format!("PROXY {} {} {} * *", f[0], f[1], f[2])
        }
        None => h,
    };
    vec![format!("== {be}{srv}"), shown]
}

fn check_shape(t: &[String]) {
    assert_ne!(t[1], "none", "{t:?}");
}

#[test]
fn health_checks_send_the_servers_header() {
    for srv in [
        "send-proxy",
        "check-send-proxy",
        "send-proxy-v2",
        "send-proxy-v2 proxy-v2-options crc32c,ssl,unique-id",
        "check-send-proxy send-proxy-v2-ssl",
    ] {
        compare(|b| run_check(b, "", srv), check_shape);
    }
    let tcp = "    option tcp-check\n    tcp-check connect send-proxy\n    tcp-check send PING\\r\\n\\r\\n\n";
    compare(|b| run_check(b, tcp, ""), check_shape);
    compare(|b| run_check(b, tcp, "send-proxy-v2"), check_shape);
}

/// A check to its own port does not take the server's header (only
/// `check-send-proxy` would add it).
#[test]
fn checks_on_their_own_port_send_no_header() {
    let none = |t: &[String]| assert_eq!(t[1], "none", "{t:?}");
    compare(|b| run_check(b, "", "send-proxy port PORT"), none);
}

#[test]
fn tcp_mode_sends_the_header_too() {
    let pp = v2_with_authority();
    for srv in [
        "send-proxy",
        "send-proxy-v2 proxy-v2-options authority,crc32c,ssl,unique-id",
    ] {
        compare(|b| run_mode(b, "tcp", "", srv, &pp, ""), shape);
    }
}

/// A TLS client (curl, with or without a client certificate) through an
/// `ssl` frontend: the SSL TLV's flags, verify result, version, CN and
/// cipher, and the SNI as authority.
fn run_tls(
    bin: &Path,
    pki: &tests::tlskit::Pki,
    (mode, srv): (&str, &str),
    client: Option<&str>,
) -> Vec<String> {
    let (origin, rx) = recording_origin();
    let front = BoundPort::new();
    let cfg = format!(
        "{}frontend f\n    bind {front} ssl crt {} ca-file {} verify optional\n    default_backend b\n\nbackend b\n    server s 127.0.0.1:{origin} {srv}\n",
        tests::http::http_defaults().replace("mode http", &format!("mode {mode}")),
        pki.path("rsa.pem"),
        pki.path("ca.crt"),
    );
    let px = Proxy::builder(&cfg).bin(bin).listen(&front).start();
    let answer = pki.curl(front.port, "rsa.test", client);
    let got = rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    drop(px);
    vec![
        format!("== {mode} {srv} {client:?}"),
        answer,
        header_of(&without_client_port(got)),
    ]
}

/// A v2 TCP4 block with the ports zeroed (the client's is ephemeral, the
/// frontend's differs per run) and the CRC32C that covers them replaced
/// by `cccccccc` (the other tests compare CRCs exactly).
fn without_client_port(mut h: Vec<u8>) -> Vec<u8> {
    if h.len() < 28 || !h.starts_with(SIG) || h[13] != 0x11 {
        return h;
    }
    h[24..28].copy_from_slice(&[0; 4]);
    let end = (16 + usize::from(u16::from_be_bytes([h[14], h[15]]))).min(h.len());
    let mut at = 28;
    while at + 3 <= end {
        let len = usize::from(u16::from_be_bytes([h[at + 1], h[at + 2]]));
        if h[at] == 0x03 && len == 4 && at + 7 <= end {
            h[at + 3..at + 7].copy_from_slice(&[0xcc; 4]);
        }
        at += 3 + len;
    }
    h
}

#[test]
fn ssl_tlv_of_a_tls_client() {
    let Some(pki) = tests::tlskit::Pki::new() else {
        return;
    };
    let srv = "send-proxy-v2-ssl-cn proxy-v2-options ssl-cipher,authority,crc32c";
    for (mode, client) in [
        ("http", None),
        ("http", Some("client")),
        ("tcp", Some("client")),
    ] {
        compare(
            |b| run_tls(b, &pki, (mode, srv), client),
            |t| {
                assert!(t[1].starts_with("ok"), "{t:?}");
                assert!(t[2].starts_with("v2 "), "{t:?}");
            },
        );
    }
}

/// A keep-alive origin: per connection, the PROXY header it began with
/// and how many requests it served, reported when the connection ends.
fn keep_alive_origin() -> (u16, mpsc::Receiver<String>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for mut c in l.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let (mut buf, mut header, mut served) = (Vec::new(), None, 0);
                let mut chunk = [0u8; 4096];
                while let Ok(n) = c.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if header.is_none() && buf.starts_with(b"PROXY ") {
                        let end = buf.windows(2).position(|w| w == b"\r\n").unwrap_or(0);
                        header = Some(header_of(&buf));
                        buf.drain(..end + 2);
                    }
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..end + 4);
                        served += 1;
                        let _ = c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
                    }
                }
                let h = header.unwrap_or_else(|| "none".into());
                let _ = tx.send(format!("{h} served {served}"));
            });
        }
    });
    (port, rx)
}

/// Two clients (different announced addresses) on keep-alive
/// connections: every request reaches the server on a connection that
/// began with its own client's header (a pooled connection is reused
/// only for the same header).
fn run_keep_alive(bin: &Path) -> Vec<String> {
    let (origin, rx) = keep_alive_origin();
    let front = BoundPort::new();
    let cfg = format!(
        "{}frontend f\n    bind {front} accept-proxy\n    default_backend b\n\nbackend b\n    server s 127.0.0.1:{origin}{}\n",
        tests::http::http_defaults(),
        " send-proxy"
    );
    let px = Proxy::builder(&cfg).bin(bin).listen(&front).start();
    let client = |src: &str| {
        let mut c = TcpStream::connect(local(front.port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        c.write_all(format!("PROXY TCP4 {src} 10.0.0.1 1000 80\r\n").as_bytes())
            .unwrap();
        c
    };
    let ask = |c: &mut TcpStream| {
        c.write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n").unwrap();
        let mut got = Vec::new();
        let mut b = [0u8; 256];
        while !got.ends_with(b"ok") {
            match c.read(&mut b) {
                Ok(n) if n > 0 => got.extend_from_slice(&b[..n]),
                _ => break,
            }
        }
    };
    let (mut a, mut b) = (client("1.1.1.1"), client("2.2.2.2"));
    for _ in 0..3 {
        ask(&mut a);
        ask(&mut b);
    }
    ask(&mut a);
    drop((a, b));
    drop(px);
    // Requests served per header, whatever the number of connections
    // (2.6 keeps each client on one; ours may open more, never mixing).
    let mut per_header = std::collections::BTreeMap::<String, u32>::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(2)) {
        let (h, n) = line.rsplit_once(" served ").unwrap();
        *per_header.entry(h.to_string()).or_default() += n.parse::<u32>().unwrap();
    }
    per_header
        .into_iter()
        .map(|(h, n)| format!("{h}: {n} requests"))
        .collect()
}

#[test]
fn keep_alive_reuses_a_connection_only_for_the_same_header() {
    compare(run_keep_alive, |t| assert_eq!(t.len(), 2, "{t:?}"));
}
