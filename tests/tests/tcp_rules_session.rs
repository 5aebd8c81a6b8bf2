//! `tcp-request session` rules on HAProxy 2.6 and on ours with the same
//! transcript required: they run after the PROXY header (they see its
//! addresses), a `reject` closes the connection without a word, is logged
//! as a killed embryonic session (`<client> [<date>] <fe>/<bind>:
//! Success`) only after a handshake, and their variables and tracked
//! counters reach the log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use tests::checks::compare;
use tests::util::local;
use tests::{tcp_defaults, BoundPort, Proxy};

/// A server sending "hello" to each client, then closing. Its port.
fn hello_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming().take(16) {
            let Ok(mut c) = c else { return };
            let _ = c.write_all(b"hello");
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    port
}

/// Sends `head`, reads until close: what came back.
fn exchange(port: u16, head: &[u8]) -> String {
    let mut s = TcpStream::connect(local(port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(head).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    format!("{:?}", String::from_utf8_lossy(&got))
}

/// A log line without its date and with the real client port hidden.
fn norm(line: &str) -> String {
    let line = match (line.find(" ["), line.find("] ")) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &line[..a], &line[b + 1..]),
        _ => line.to_string(),
    };
    line.split(' ')
        .map(|w| match w.strip_prefix("127.0.0.1:") {
            Some(_) => "127.0.0.1:*",
            None => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn session_rules_as_haproxy() {
    compare(
        |bin| {
            let (pp, plain, gp) = (BoundPort::new(), BoundPort::new(), BoundPort::new());
            let srv = hello_server();
            let cfg = format!(
                "{}frontend f\n    bind {pp} accept-proxy\n    bind {plain}\n    \
                 tcp-request session reject if {{ src 192.0.2.1 }}\n    \
                 tcp-request session set-var(sess.who) src\n    \
                 stick-table type ip size 10 expire 1m store conn_cnt\n    \
                 tcp-request session track-sc0 src\n    \
                 tcp-request session accept\n    \
                 log-format \"%ci %ft %b/%s %B %ts %[var(sess.who)] %[sc0_conn_cnt]\"\n    \
                 default_backend b\n\n\
                 frontend g\n    bind {gp}\n    \
                 tcp-request session reject\n    default_backend b\n\n\
                 backend b\n    server s 127.0.0.1:{srv}\n",
                tcp_defaults()
            );
            let px = Proxy::builder(&cfg)
                .bin(bin)
                .listen(&pp)
                .listen(&plain)
                .listen(&gp)
                .start();
            let mut t = Vec::new();
            let rejected = b"PROXY TCP4 192.0.2.1 127.0.0.1 1111 80\r\n";
            let passed = b"PROXY TCP4 192.0.2.7 127.0.0.1 2222 80\r\n";
            t.push(format!("pp rejected: {}", exchange(pp.port, rejected)));
            t.push(format!("pp passed: {}", exchange(pp.port, passed)));
            t.push(format!("no handshake rejected: {}", exchange(gp.port, b"")));
            t.push(format!("plain: {}", exchange(plain.port, b"")));
            // The last stream's line ends the transcript's logs.
            px.wait_logs(2, |l| l.contains(" f b/s "), Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(300));
            t.extend(px.logs().iter().map(|l| norm(l)));
            t
        },
        |t| {
            assert_eq!(t[0], "pp rejected: \"\"");
            assert_eq!(t[1], "pp passed: \"hello\"");
            assert_eq!(t[2], "no handshake rejected: \"\"");
            assert_eq!(t[3], "plain: \"hello\"");
            assert_eq!(t.len(), 7, "one log line per stream and the reject's");
            assert!(
                t.contains(&"192.0.2.1:1111 f/1: Success".to_string()),
                "{t:?}"
            );
            assert!(
                t.contains(&"192.0.2.7 f b/s 5 -- 192.0.2.7 1".to_string()),
                "{t:?}"
            );
        },
    );
}
