//! How many idle server connections the proxy keeps, against HAProxy 2.6
//! on the same configuration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tests::http::Origin;
use tests::{free_port, is_haproxy, proxy_bin, Proxy};

const HAPROXY: &str = "/usr/sbin/haproxy";
const T: Duration = Duration::from_secs(10);
const CLIENTS: usize = 50;

fn defaults(global: &str) -> String {
    format!(
        "global\n{global}\n\
         defaults\n\
         \x20   mode http\n\
         \x20   timeout connect 2s\n\
         \x20   timeout client 10s\n\
         \x20   timeout server 10s\n\n"
    )
}

/// One request on a connection of its own, `Connection: close`: the status
/// (0 when there is no complete answer).
fn one_request(port: u16) -> u16 {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = s.set_read_timeout(Some(T));
    if s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return 0;
    }
    let mut out = Vec::new();
    if s.read_to_end(&mut out).is_err() {
        return 0;
    }
    let text = String::from_utf8_lossy(&out);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Runs `bin` on the configuration with a fresh origin, loads it with
/// `CLIENTS` threads of one-request connections (at most `per_client`
/// each, for at most `for_at_most`), and returns the server connections
/// still open once the load stopped (the idle ones) and the requests made.
fn idle_after_close_load(bin: &Path, per_client: usize, for_at_most: Duration) -> (usize, usize) {
    let origin = Origin::fixed(b"ok");
    let port = free_port();
    let cfg = defaults("    nbthread 2\n")
        + &format!(
            "listen l\n    bind 127.0.0.1:{port}\n    server s 127.0.0.1:{}\n",
            origin.port
        );
    let _px = Proxy::builder(&cfg).bin(bin).start();
    let done = Arc::new(AtomicUsize::new(0));
    let stop_at = Instant::now() + for_at_most;
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let done = done.clone();
            std::thread::spawn(move || {
                for _ in 0..per_client {
                    if Instant::now() >= stop_at {
                        break;
                    }
                    assert_eq!(one_request(port), 200);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a client failed");
    }
    // Connections the proxy closes are seen closed by the origin within a
    // moment; idle ones stay (well before any idle timeout or purge).
    std::thread::sleep(Duration::from_millis(500));
    (origin.active(), done.load(Ordering::Relaxed))
}

/// 50 clients, one request per connection (`Connection: close` to the
/// client, keep-alive to the server, `http-reuse safe`): a client's first
/// request never reuses, so every release could park a connection. Only
/// about what the load needs stays idle, as in HAProxy (it was about
/// 2,000 here before, bounded only by a quarter of `maxconn`).
#[test]
fn idle_server_connections_stay_bounded_by_the_need() {
    let ours = idle_after_close_load(&proxy_bin(), 60, Duration::from_secs(3));
    eprintln!(
        "{}: {} idle after {} requests",
        proxy_bin().display(),
        ours.0,
        ours.1
    );
    assert!(
        ours.1 >= CLIENTS * 10,
        "too few requests to mean anything: {ours:?}"
    );
    assert!(
        ours.0 <= CLIENTS + 10,
        "{} idle server connections for {CLIENTS} clients",
        ours.0
    );
    if is_haproxy() || !Path::new(HAPROXY).exists() {
        return;
    }
    let theirs = idle_after_close_load(Path::new(HAPROXY), 60, Duration::from_secs(3));
    eprintln!("haproxy: {} idle after {} requests", theirs.0, theirs.1);
    assert!(
        ours.0 * 5 <= theirs.0 * 6 + 5 * 4,
        "ours keeps {} idle, HAProxy {}",
        ours.0,
        theirs.0
    );
}
