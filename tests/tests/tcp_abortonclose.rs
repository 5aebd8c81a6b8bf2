//! A TCP-mode client leaving while its stream is queued for a server, on
//! HAProxy 2.6 and on ours with the same transcript required: a FIN with
//! nothing sent ends the stream `CQ` with or without `option
//! abortonclose`; a FIN after some bytes ends it `CQ` only with the
//! option, else the bytes are served once a slot frees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

use tests::checks::compare;
use tests::util::local;
use tests::{tcp_defaults, BoundPort, Proxy};

/// A server that sends "x" to each client and closes a second later.
fn server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming().take(16) {
            let Ok(mut c) = c else { return };
            std::thread::spawn(move || {
                let _ = c.write_all(b"x");
                std::thread::sleep(Duration::from_secs(1));
            });
        }
    });
    port
}

/// Connects, sends `data`, half-closes 500 ms later, reads until close:
/// the local port and what came back.
fn send_then_fin(port: u16, data: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(local(port)).unwrap();
    let me = s.local_addr().unwrap().port();
    s.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    s.write_all(data).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    s.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    (me, format!("{:?}", String::from_utf8_lossy(&got)))
}

#[test]
fn queued_client_leaving_as_haproxy() {
    compare(
        |bin| {
            let mut t = Vec::new();
            for opt in ["option abortonclose", "no option abortonclose"] {
                let fe = BoundPort::new();
                let srv = server();
                let cfg = format!(
                    "{}frontend f\n    bind {fe}\n    default_backend b\n\n\
                     backend b\n    {opt}\n    timeout queue 5s\n    \
                     server s 127.0.0.1:{srv} maxconn 1\n",
                    tcp_defaults()
                );
                let px = Proxy::builder(&cfg).bin(bin).listen(&fe).start();
                // Holds the only slot for 2.5 s.
                let holder = TcpStream::connect(local(fe.port)).unwrap();
                let holding = std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(2500));
                    drop(holder);
                });
                std::thread::sleep(Duration::from_millis(200));
                for data in [&b""[..], b"abc"] {
                    let (me, got) = send_then_fin(fe.port, data);
                    let log = px.log_for(me, Duration::from_secs(10));
                    // An abort comes 500 ms in; a served stream waited
                    // for the holder, about 1.8 s (coarse: load varies).
                    let tw = match log.tw {
                        t if (300..1000).contains(&t) => "0.3..1s".into(),
                        t if (1000..3000).contains(&t) => "1..3s".into(),
                        t => t.to_string(),
                    };
                    t.push(format!(
                        "{opt} {:?}: {got} | {}/{} Tw~{tw} {} {}/{}",
                        String::from_utf8_lossy(data),
                        log.backend,
                        log.server,
                        log.term,
                        log.srv_queue,
                        log.be_queue
                    ));
                }
                holding.join().unwrap();
            }
            t
        },
        |t| {
            assert!(
                t[0].ends_with("\"\" | b/<NOSRV> Tw~0.3..1s CQ 0/1"),
                "{t:?}"
            );
            assert!(
                t[1].ends_with("\"\" | b/<NOSRV> Tw~0.3..1s CQ 0/1"),
                "{t:?}"
            );
            assert!(
                t[2].ends_with("\"\" | b/<NOSRV> Tw~0.3..1s CQ 0/1"),
                "{t:?}"
            );
            assert!(t[3].contains("\"x\" | b/s Tw~"), "{t:?}");
        },
    );
}
