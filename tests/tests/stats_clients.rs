//! Real third-party clients read our stats socket as they read HAProxy's:
//! Debian's `prometheus-haproxy-exporter` (scraping `show stat` over the
//! unix socket) and the `haproxyadmin` Python package. `.ci/run` installs
//! both; a machine without them skips with a note.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tests::http::{have_tool, http_defaults, python, Client, Origin, Reply};
use tests::{free_port, BoundPort, Proxy};

const T: Duration = Duration::from_secs(10);

fn start() -> (Proxy, std::path::PathBuf, u16, tests::TempDir, Origin) {
    let origin = Origin::start(|_| Reply::ok(b"hi"));
    let dir = tests::TempDir::new();
    let sock = dir.path().join("admin.sock");
    let fe = BoundPort::new();
    let fe_port = fe.port;
    let cfg = format!(
        "{}global\n    stats socket {} level admin\n\nfrontend fe\n    bind {fe}\n    default_backend be\n\nbackend be\n    server s1 127.0.0.1:{}\n",
        http_defaults(),
        sock.display(),
        origin.port
    );
    let px = Proxy::start_with(&cfg, &[&fe]);
    (px, sock, fe_port, dir, origin)
}

fn http_get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(T)).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn prometheus_haproxy_exporter_reads_the_socket() {
    if !have_tool("prometheus-haproxy-exporter") {
        eprintln!("skipped: prometheus-haproxy-exporter is not installed (.ci/run installs it)");
        return;
    }
    let (_px, sock, fe_port, _dir, _origin) = start();
    let mut c = Client::connect(fe_port);
    for _ in 0..3 {
        assert_eq!(c.get("/").status(), 200);
    }
    // The exporter binds its own listen address (a flag, no inherited
    // socket): a real port, below the ephemeral range.
    let port = free_port();
    let mut exporter = std::process::Command::new("prometheus-haproxy-exporter")
        .arg(format!("--haproxy.scrape-uri=unix:{}", sock.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + T;
    let mut metrics = String::new();
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            metrics = http_get(port, "/metrics");
            if metrics.contains("haproxy_up") {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = exporter.kill();
    let _ = exporter.wait();
    assert!(
        metrics.contains("haproxy_up 1"),
        "the exporter could not read the socket:\n{metrics}"
    );
    let total = metrics
        .lines()
        .find(|l| l.starts_with("haproxy_frontend_http_requests_total{frontend=\"fe\"}"))
        .unwrap_or_else(|| panic!("no request counter for fe:\n{metrics}"));
    let value: f64 = total.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(value >= 3.0, "{total}");
    assert!(
        metrics.contains("haproxy_server_up{backend=\"be\",server=\"s1\"} 1"),
        "server state through the socket:\n{metrics}"
    );
}

#[test]
fn haproxyadmin_reads_and_changes_the_proxy() {
    let probe = python("import haproxyadmin", &[]);
    if probe.code != Some(0) {
        eprintln!(
            "skipped: the haproxyadmin Python package is not installed (.ci/run installs it)"
        );
        return;
    }
    let (_px, sock, fe_port, dir, _origin) = start();
    let mut c = Client::connect(fe_port);
    assert_eq!(c.get("/").status(), 200);
    let script = r#"
import sys
from haproxyadmin import haproxy
hap = haproxy.HAProxy(socket_dir=sys.argv[1])
fe = hap.frontend('fe')
print('frontend', fe.name, fe.requests)
srv = hap.server('s1', backend='be')[0]
print('server', srv.name, srv.status, srv.weight)
srv.setweight(7)
print('weight', hap.server('s1', backend='be')[0].weight)
"#;
    let out = python(script, &[&dir.path().display().to_string()]);
    let _ = sock;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.code,
        Some(0),
        "haproxyadmin failed: {stdout}\n{}",
        out.stderr
    );
    // One request went through fe; s1 has no health check, weight 1, and
    // the weight change went through the admin socket.
    assert!(stdout.contains("frontend fe 1\n"), "{stdout}");
    assert!(stdout.contains("server s1 no check 1\n"), "{stdout}");
    assert!(stdout.contains("weight 7\n"), "{stdout}");
}
