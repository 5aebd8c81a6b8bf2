//! `tcp-response inspect-delay|content` in TCP mode, and `tcp-request
//! session` rules, on HAProxy 2.6 and on ours with the same transcript
//! required: what the client receives from a server whose first bytes
//! the rules inspect (`res.len`, `res.payload`), the tcplog line's bytes
//! and termination code (`PD` for a reject), and the client's bytes
//! reaching the server while the rules wait.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use tests::checks::compare;
use tests::util::local;
use tests::{tcp_defaults, BoundPort, Proxy};

/// A server that sends `msg` 200 ms after each accept (or, when `msg` is
/// empty, echoes what it reads), then closes 3 s later. Its port.
fn server(msg: &'static [u8]) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming().take(16) {
            let Ok(mut c) = c else { return };
            std::thread::spawn(move || {
                c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
                if msg.is_empty() {
                    let mut b = [0u8; 64];
                    if let Ok(n) = c.read(&mut b) {
                        let _ = c.write_all(&b[..n]);
                    }
                } else {
                    std::thread::sleep(Duration::from_millis(200));
                    let _ = c.write_all(msg);
                }
                std::thread::sleep(Duration::from_secs(3));
            });
        }
    });
    port
}

/// Connects, sends `send` (if any), reads until close: what came back,
/// and whether that took less than `quick`.
fn exchange(port: u16, send: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(local(port)).unwrap();
    let me = s.local_addr().unwrap().port();
    s.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    if !send.is_empty() {
        s.write_all(send).unwrap();
    }
    let mut got = Vec::new();
    let t0 = Instant::now();
    let _ = s.read_to_end(&mut got);
    let _ = s.shutdown(Shutdown::Both);
    // Coarse timing: the rules decided at once (< 0.8 s), after the
    // 1 s delay, or the server's close (~3 s).
    let ms = t0.elapsed().as_millis();
    let when = if ms < 800 {
        "early"
    } else if ms < 2500 {
        "at-delay"
    } else {
        "at-close"
    };
    (me, format!("{:?} {when}", String::from_utf8_lossy(&got)))
}

fn config(fe: &BoundPort, srv: u16) -> String {
    format!(
        "{}frontend f\n    bind {fe}\n    default_backend b\n\n\
         backend b\n    tcp-response inspect-delay 1s\n    \
         tcp-response content accept if {{ res.len ge 5 }}\n    \
         tcp-response content close if {{ res.payload(0,2) -m str hi }}\n    \
         tcp-response content reject\n    server s 127.0.0.1:{srv}\n",
        tcp_defaults()
    )
}

#[test]
fn response_rules_as_haproxy() {
    let cases: [(&str, &[u8]); 3] = [("long", b"hello"), ("hi", b"hi"), ("short", b"xy")];
    compare(
        |bin| {
            let mut t = Vec::new();
            for (what, msg) in cases {
                let fe = BoundPort::new();
                let srv = server(msg);
                let px = Proxy::builder(&config(&fe, srv))
                    .bin(bin)
                    .listen(&fe)
                    .start();
                let (me, got) = exchange(fe.port, b"");
                let log = px.log_for(me, Duration::from_secs(10));
                t.push(format!(
                    "{what}: {got} | {}/{} {} {}",
                    log.backend, log.server, log.bytes, log.term
                ));
            }
            t
        },
        |t| {
            assert!(
                t[0].starts_with("long: \"hello\" at-close | b/s 5 --"),
                "{t:?}"
            );
            assert!(t[1].starts_with("hi: \"hi\" at-delay | b/s 2 --"), "{t:?}");
            assert!(t[2].starts_with("short: \"\" at-delay | b/s 2 PD"), "{t:?}");
        },
    );
}

/// Without an inspect-delay the rules run once, as soon as the server is
/// connected, on an empty buffer; with one, the client's request still
/// reaches a server that only answers once asked.
#[test]
fn response_rules_timing_as_haproxy() {
    compare(
        |bin| {
            let fe = BoundPort::new();
            let (srv, echo) = (server(b"hello"), server(b""));
            let cfg = format!(
                "{}frontend f\n    bind {fe}\n    default_backend b\n\n\
                 backend b\n    tcp-response content reject if {{ res.len eq 0 }}\n    \
                 server s 127.0.0.1:{srv}\n",
                tcp_defaults()
            );
            let mut t = Vec::new();
            {
                let px = Proxy::builder(&cfg).bin(bin).listen(&fe).start();
                let (me, got) = exchange(fe.port, b"");
                let log = px.log_for(me, Duration::from_secs(10));
                t.push(format!("no delay: {got} | {} {}", log.bytes, log.term));
            }
            let cfg = format!(
                "{}frontend f\n    bind {{fe}}\n    default_backend b\n\n\
                 backend b\n    tcp-response inspect-delay 2s\n    \
                 tcp-response content set-var(sess.first) res.payload(0,3)\n    \
                 tcp-response content accept if {{ res.len ge 4 }}\n    \
                 tcp-response content reject\n    \
                 server s 127.0.0.1:{echo}\n",
                tcp_defaults()
            );
            let fe = BoundPort::new();
            let cfg = cfg.replace("{fe}", &fe.to_string());
            let px = Proxy::builder(&cfg).bin(bin).listen(&fe).start();
            let (me, got) = exchange(fe.port, b"ping");
            let log = px.log_for(me, Duration::from_secs(10));
            t.push(format!("echo: {got} | {} {}", log.bytes, log.term));
            t
        },
        |t| {
            assert_eq!(t[0], "no delay: \"\" early | 0 PD");
            assert!(t[1].starts_with("echo: \"ping\" at-close | 4 "), "{t:?}");
        },
    );
}
