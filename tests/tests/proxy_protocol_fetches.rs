//! What rules and logs see of a received PROXY header: `fc_rcvd_proxy`,
//! `fc_pp_authority`, `fc_pp_unique_id`, and `%ci`/`%cp` in the log,
//! on HAProxy 2.6 and on ours with the same transcript required.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use tests::checks::compare;
use tests::util::local;
use tests::{BoundPort, Proxy};

const SIG: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";

/// A v2 TCP4 block 10.1.2.3:4000 -> 10.9.8.7:80 (`local`: LOCAL, no
/// address) with `tlvs`.
fn v2(local: bool, tlvs: &[(u8, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    if !local {
        body.extend_from_slice(&[10, 1, 2, 3, 10, 9, 8, 7]);
        body.extend_from_slice(&4000u16.to_be_bytes());
        body.extend_from_slice(&80u16.to_be_bytes());
    }
    for (kind, value) in tlvs {
        body.push(*kind);
        body.extend_from_slice(&(value.len() as u16).to_be_bytes());
        body.extend_from_slice(value);
    }
    let mut b = SIG.to_vec();
    b.extend_from_slice(&[
        if local { 0x20 } else { 0x21 },
        if local { 0 } else { 0x11 },
    ]);
    b.extend_from_slice(&(body.len() as u16).to_be_bytes());
    b.extend_from_slice(&body);
    b
}

/// Each client header through a frontend answering what it sees; the
/// bodies, then the log lines' `%ci:%cp` and fetches (the real client
/// port hidden).
fn run(bin: &Path) -> Vec<String> {
    let pp = BoundPort::new();
    let plain = BoundPort::new();
    let seen = "%[fc_rcvd_proxy] [%[fc_pp_authority]] [%[fc_pp_unique_id]] %[src]:%[src_port]";
    let cfg = format!(
        "{}frontend f\n    bind {pp} accept-proxy\n    bind {plain}\n    log-format \"LOG %ci:%cp %[fc_rcvd_proxy] %[fc_pp_authority]\"\n    http-request return status 200 content-type text/plain lf-string \"{seen}\"\n",
        tests::http::http_defaults()
    );
    let px = Proxy::builder(&cfg)
        .bin(bin)
        .listen(&pp)
        .listen(&plain)
        .start();
    let mut out = Vec::new();
    let cases: Vec<(u16, Vec<u8>)> = vec![
        (
            pp.port,
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n".to_vec(),
        ),
        (pp.port, b"PROXY UNKNOWN\r\n".to_vec()),
        (
            pp.port,
            v2(false, &[(0x02, b"example.org"), (0x05, b"uid-42")]),
        ),
        (pp.port, v2(false, &[(0x05, b"")])),
        (pp.port, v2(true, &[(0x02, b"local.example")])),
        (plain.port, Vec::new()),
    ];
    for (port, head) in cases {
        let mut c = TcpStream::connect(local(port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut data = head;
        data.extend_from_slice(b"GET / HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n");
        c.write_all(&data).unwrap();
        let mut resp = Vec::new();
        let _ = c.read_to_end(&mut resp);
        let text = String::from_utf8_lossy(&resp).into_owned();
        out.push(hide_port(text.split("\r\n\r\n").nth(1).unwrap_or("?")));
    }
    let logs = px.wait_logs(6, |l| l.contains("LOG "), Duration::from_secs(5));
    let mut logs: Vec<String> = logs.iter().map(|l| hide_port(l.trim())).collect();
    logs.sort();
    out.extend(logs);
    out
}

/// `127.0.0.1:<ephemeral>` → `127.0.0.1:*`.
fn hide_port(s: &str) -> String {
    s.split(' ')
        .map(|w| match w.strip_prefix("127.0.0.1:") {
            Some(_) => "127.0.0.1:*".to_string(),
            None => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn fetches_and_log_fields_after_accept_proxy() {
    compare(run, |t| {
        assert!(t[0].starts_with("1 [] [] 1.2.3.4:1111"), "{t:?}");
        assert!(t.iter().any(|l| l.contains("example.org")), "{t:?}");
    });
}
