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

/// `127.0.0.1:<ephemeral>` → `127.0.0.1:*` (also after `src=`).
fn hide_port(s: &str) -> String {
    s.split(' ')
        .map(|w| match w.split_once("127.0.0.1:") {
            Some((pre, _)) => format!("{pre}127.0.0.1:*"),
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

fn cli(sock: &Path, cmd: &str) -> String {
    let mut s = std::os::unix::net::UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(format!("{cmd}\n").as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// A connection refused for a bad header, then a good one: the frontend
/// counters, `CumConns` and the log line are 2.6's (its CLI connections,
/// which 2.6 also counts in `CumConns`, are taken out).
fn run_counters(bin: &Path) -> Vec<String> {
    let fe = BoundPort::new();
    let dir = tests::TempDir::new();
    let sock = dir.path().join("pp.sock");
    let cfg = format!(
        "global\n    stats socket {} level admin\n{}frontend f\n    bind {fe} accept-proxy\n    http-request return status 200\n",
        sock.display(),
        tests::http::http_defaults()
    );
    let px = Proxy::builder(&cfg).bin(bin).listen(&fe).start();
    for head in [
        &b"GET / HTTP/1.1\r\nhost: t\r\n\r\n"[..],
        b"PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\nGET / HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n",
    ] {
        let mut c = TcpStream::connect(local(fe.port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        c.write_all(head).unwrap();
        let mut resp = Vec::new();
        let _ = c.read_to_end(&mut resp);
    }
    let bad = px
        .wait_log(|l| l.contains("PROXY"), Duration::from_secs(5))
        .unwrap_or_default();
    // The date differs between the runs: only what follows it.
    let reason = bad.split_once("] ").map_or(bad.as_str(), |(_, r)| r);
    let mut out = vec![reason.trim().to_string()];
    let stat = cli(&sock, "show stat");
    let header: Vec<&str> = stat
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let row: Vec<&str> = stat
        .lines()
        .find(|l| l.starts_with("f,FRONTEND,"))
        .unwrap_or("")
        .split(',')
        .collect();
    for f in [
        "conn_tot", "stot", "ereq", "dreq", "dcon", "dses", "req_tot", "hrsp_2xx",
    ] {
        let v = header.iter().position(|h| *h == f).and_then(|i| row.get(i));
        out.push(format!("{f}={}", v.unwrap_or(&"?")));
    }
    let info = cli(&sock, "show info");
    let cum: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("CumConns: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let is_haproxy = bin
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("haproxy"));
    let cli_conns = if is_haproxy { 2 } else { 0 };
    out.push(format!("CumConns (traffic)={}", cum - cli_conns));
    drop(px);
    out
}

#[test]
fn a_bad_header_is_counted_and_logged_as_in_2_6() {
    compare(run_counters, |t| {
        assert!(t[0].contains("PROXY protocol"), "{t:?}");
        assert!(t.iter().any(|l| l == "conn_tot=2"), "{t:?}");
    });
}

/// `show sess` (and `show sess all`) lists a stream accepted with a
/// PROXY header under the connection's real address, not the announced
/// one, as 2.6 does.
fn run_show_sess(bin: &Path) -> Vec<String> {
    let fe = BoundPort::new();
    let origin = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let oport = origin.local_addr().unwrap().port();
    let dir = tests::TempDir::new();
    let sock = dir.path().join("pp.sock");
    let cfg = format!(
        "global\n    stats socket {} level admin\n{}frontend f\n    bind {fe} accept-proxy\n    default_backend b\nbackend b\n    server s 127.0.0.1:{oport}\n",
        sock.display(),
        tests::tcp_defaults()
    );
    let px = Proxy::builder(&cfg).bin(bin).listen(&fe).start();
    let mut c = TcpStream::connect(local(fe.port)).unwrap();
    c.write_all(b"PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\nhello")
        .unwrap();
    let (_held, _) = origin.accept().unwrap();
    let sess = cli(&sock, "show sess");
    let mut out: Vec<String> = sess
        .lines()
        .filter(|l| l.contains(" fe=f "))
        .filter_map(|l| l.split(' ').find(|w| w.starts_with("src=")))
        .map(hide_port)
        .collect();
    let all = cli(&sock, "show sess all");
    out.extend(
        all.lines()
            .filter(|l| l.contains(" source=") && !l.contains("unix"))
            .filter_map(|l| l.split(' ').find(|w| w.starts_with("source=")))
            .map(hide_port),
    );
    drop(c);
    drop(px);
    out.insert(0, "== show sess".into());
    out
}

#[test]
fn show_sess_shows_the_real_address() {
    compare(run_show_sess, |t| {
        assert_eq!(t.len(), 3, "{t:?}");
        assert_eq!(t[1], "src=127.0.0.1:*", "{t:?}");
    });
}

/// Connections that say nothing (after a PROXY header, or not even one
/// on a plain bind) until `timeout http-request`: 2.6 answers 408 and
/// logs it, except with `option dontlognull`.
fn run_silent(bin: &Path, dontlognull: bool) -> Vec<String> {
    let (pp, plain) = (BoundPort::new(), BoundPort::new());
    let opt = if dontlognull {
        "    option dontlognull\n"
    } else {
        ""
    };
    let cfg = format!(
        "{}frontend f\n    bind {pp} accept-proxy\n    bind {plain}\n{opt}    timeout http-request 300ms\n    log-format \"LOG %ci %ST %tsc\"\n    http-request return status 200\n",
        tests::http::http_defaults()
    );
    let px = Proxy::builder(&cfg)
        .bin(bin)
        .listen(&pp)
        .listen(&plain)
        .start();
    let mut out = vec![format!("== dontlognull {dontlognull}")];
    for (port, head) in [
        (pp.port, &b"PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n"[..]),
        (plain.port, b""),
        (plain.port, b"GET / HTTP/1.1\r\n"),
    ] {
        let mut c = TcpStream::connect(local(port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        c.write_all(head).unwrap();
        let mut resp = Vec::new();
        let _ = c.read_to_end(&mut resp);
        let text = String::from_utf8_lossy(&resp).into_owned();
        out.push(text.lines().next().unwrap_or("closed").to_string());
    }
    // A last request that is logged either way marks the end of the log.
    let mut c = TcpStream::connect(local(plain.port)).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        .unwrap();
    let _ = c.read_to_end(&mut Vec::new());
    px.wait_log(|l| l.contains(" 200 "), Duration::from_secs(5));
    out.extend(
        px.logs()
            .iter()
            .filter(|l| l.contains("LOG "))
            .map(|l| hide_port(l.trim())),
    );
    out
}

#[test]
fn silent_connections_and_dontlognull() {
    for dontlognull in [false, true] {
        compare(
            |b| run_silent(b, dontlognull),
            |t| assert!(t.len() >= 5, "{t:?}"),
        );
    }
}
