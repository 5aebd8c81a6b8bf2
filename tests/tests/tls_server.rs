//! TLS towards servers (`server ... ssl`): real TLS servers behind the
//! proxy, the same configuration run through our proxy and through
//! HAProxy 2.6 (`tests::checks::compare`), same transcripts.
//!
//! The servers: HAProxy 2.6 itself with `ssl crt` binds answering with
//! what it saw of the TLS session (`ssl_fc_sni`, `ssl_fc_is_resumed`,
//! `ssl_fc_alpn`, the client certificate's DN, the source port: which
//! connection), one bind requiring a client certificate, a clear one; and
//! a Python `ssl` server answering with the SNI it saw and Python's
//! `session_reused`. Certificates are made at test time by `openssl` in a
//! temporary directory (`a.test` issued by a test CA, a client
//! certificate, another CA); no key is kept in the repository.
//!
//! Tests skip, saying so, without `openssl`, `python3` or HAProxy (the
//! backend servers need it even when only our proxy is under test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tests::checks::{compare, step_has, Run, Stat, HAPROXY};
use tests::http::Client;
use tests::httplog::logs_for;
use tests::{BoundPort, Proxy, TempDir};

const SCRIPT: &str = r#"
set -e
q() { "$@" >q.out 2>&1 || { cat q.out >&2; return 1; }; }
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
for ca in ca ca2; do
  q openssl req -x509 $ec -keyout $ca.key -out $ca.pem -days 2 -subj "/CN=Test $ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=keyCertSign,cRLSign"
done
q openssl req $ec -keyout srv.key -out srv.csr -subj "/CN=a.test"
printf 'subjectAltName=DNS:a.test\n' > srv.ext
q openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 2 \
  -extfile srv.ext -out srv.crt
cat srv.crt srv.key > srv.pem
q openssl req $ec -keyout cli.key -out cli.csr -subj "/CN=client1"
q openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -set_serial 3 -days 2 -out cli.crt
cat cli.crt cli.key > cli.pem
"#;

/// A keep-alive HTTP/1.1 server over TLS answering with the SNI it saw and
/// whether the session was resumed.
const PY_SERVER: &str = r#"
import socket, ssl, sys, threading

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
def sni_cb(sock, name, _ctx):
    sock.seen_sni = name
ctx.sni_callback = sni_cb

def serve(c):
    try:
        c.settimeout(10)
        s = ctx.wrap_socket(c, server_side=True)
        buf = b''
        while True:
            while b'\r\n\r\n' not in buf:
                d = s.recv(4096)
                if not d:
                    return
                buf += d
            buf = buf.split(b'\r\n\r\n', 1)[1]
            body = ('sni=%s reused=%s\n' % (getattr(s, 'seen_sni', None), s.session_reused)).encode()
            s.sendall(b'HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n' % len(body) + body)
    except Exception:
        c.close()

ls = socket.socket()
ls.bind(('127.0.0.1', 0))
ls.listen(64)
print(ls.getsockname()[1], flush=True)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

/// Certificates, the Python server script, and the paths the
/// configurations name.
struct Kit {
    dir: TempDir,
}

impl Kit {
    fn new() -> Option<Kit> {
        let have = |cmd: &str, arg: &str| {
            Command::new(cmd)
                .arg(arg)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !have("openssl", "version") || !have("python3", "-V") || !Path::new(HAPROXY).exists() {
            eprintln!("openssl, python3 or {HAPROXY} missing: skipped");
            return None;
        }
        let dir = TempDir::new();
        tests::tlskit::run_cert_script(&dir, SCRIPT);
        dir.write("server.py", PY_SERVER);
        Some(Kit { dir })
    }

    fn path(&self, f: &str) -> String {
        self.dir.path().join(f).display().to_string()
    }
}

/// HAProxy 2.6 as the TLS servers: `tls` answers what it saw of the
/// session, `mtls` requires a client certificate of the test CA, `clear`
/// is plain HTTP.
struct Backends {
    _px: Proxy,
    tls: u16,
    mtls: u16,
    clear: u16,
}

impl Backends {
    fn start(kit: &Kit) -> Backends {
        let (tls, mtls, clear) = (BoundPort::new(), BoundPort::new(), BoundPort::new());
        let cfg = format!(
            "global\n    nbthread 1\n\
             defaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n\
             frontend tls\n    bind {tls} ssl crt {srv} alpn h2,http/1.1\n    bind {mtls} ssl crt {srv} verify required ca-file {ca}\n    \
             http-request return status 200 content-type text/plain lf-string \"sni=%[ssl_fc_sni] resumed=%[ssl_fc_is_resumed] alpn=%[ssl_fc_alpn] cert=%[ssl_c_s_dn] port=%[src_port]\\n\"\n\
             frontend clear\n    bind {clear}\n    http-request return status 200 content-type text/plain string \"clear\\n\"\n",
            srv = kit.path("srv.pem"),
            ca = kit.path("ca.pem"),
        );
        let px = Proxy::builder(&cfg)
            .bin(HAPROXY)
            .listen(&tls)
            .listen(&mtls)
            .listen(&clear)
            .start();
        Backends {
            _px: px,
            tls: tls.port,
            mtls: mtls.port,
            clear: clear.port,
        }
    }
}

/// The Python TLS server; killed on drop.
struct PyServer {
    child: Child,
    port: u16,
}

impl PyServer {
    fn start(kit: &Kit) -> PyServer {
        let mut child = Command::new("python3")
            .arg(kit.path("server.py"))
            .arg(kit.path("srv.crt"))
            .arg(kit.path("srv.key"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("server port");
        PyServer { child, port }
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The backends of the traffic test, one per case, routed by path.
fn traffic_backends(kit: &Kit, b: &Backends, py: &PyServer) -> Vec<(&'static str, String)> {
    let ca = kit.path("ca.pem");
    let (tls, mtls, clear) = (b.tls, b.mtls, b.clear);
    let req = format!("ssl verify required ca-file {ca}");
    vec![
        ("none", format!("server s 127.0.0.1:{tls} ssl verify none")),
        ("good", format!("server s 127.0.0.1:{tls} {req}")),
        (
            "wrongca",
            format!(
                "server s 127.0.0.1:{tls} ssl verify required ca-file {}",
                kit.path("ca2.pem")
            ),
        ),
        (
            "sni",
            format!("server s 127.0.0.1:{tls} {req} sni req.hdr(host)"),
        ),
        (
            "vhbad",
            format!("server s 127.0.0.1:{tls} {req} verifyhost b.test"),
        ),
        (
            "vhgood",
            format!("server s 127.0.0.1:{tls} {req} verifyhost A.TEST"),
        ),
        (
            "alpn",
            format!("server s 127.0.0.1:{tls} ssl verify none alpn http/1.1"),
        ),
        (
            "cert",
            format!(
                "server s 127.0.0.1:{mtls} ssl verify none crt {}",
                kit.path("cli.pem")
            ),
        ),
        (
            "nocert",
            format!("server s 127.0.0.1:{mtls} ssl verify none"),
        ),
        (
            "clear",
            format!("server s 127.0.0.1:{clear} ssl verify none"),
        ),
        (
            "noreuse",
            format!("server s 127.0.0.1:{tls} ssl verify none no-ssl-reuse"),
        ),
        (
            "py",
            format!("server s 127.0.0.1:{} {req} sni req.hdr(host)", py.port),
        ),
        ("ka", format!("server s 127.0.0.1:{tls} ssl verify none")),
        (
            "inherit",
            format!("default-server ssl verify none\n    server s 127.0.0.1:{tls}"),
        ),
        (
            "nossl",
            format!("default-server ssl verify none\n    server s 127.0.0.1:{clear} no-ssl"),
        ),
    ]
}

/// A TCP frontend whose backend encrypts what the client sends in clear,
/// with a constant SNI.
fn tcp_section(fe: &BoundPort, kit: &Kit, b: &Backends) -> String {
    format!(
        "\nlisten tcp_sni\n    mode tcp\n    option tcplog\n    bind {fe}\n    \
         server s 127.0.0.1:{} ssl verify required ca-file {} sni str(a.test)\n",
        b.tls,
        kit.path("ca.pem")
    )
}

fn traffic_config(fe: &BoundPort, backends: &[(&str, String)]) -> String {
    let mut cfg = format!(
        "global\n    nbthread 1\n    log stdout format raw local0\n\n\
         defaults\n    mode http\n    log global\n    option httplog\n    retries 1\n    \
         timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n\n\
         frontend fe\n    bind {fe}\n"
    );
    for (name, _) in backends {
        cfg.push_str(&format!("    use_backend {name} if {{ path /{name} }}\n"));
    }
    for (name, server) in backends {
        cfg.push_str(&format!("\nbackend {name}\n    {server}\n"));
    }
    cfg
}

/// A body without its `port=...` (which connection: compared apart).
fn without_port(body: &str) -> (String, Option<String>) {
    let body = body.trim_end();
    match body.split_once(" port=") {
        Some((b, p)) => (b.to_string(), Some(p.to_string())),
        None => (body.to_string(), None),
    }
}

/// Sends `hosts.len()` requests for `/<case>` on one connection (one per
/// host); records each answer and log line, and how many server
/// connections served them.
fn requests(px: &Proxy, fe: u16, case: &str, hosts: &[&str], t: &mut Vec<String>) {
    let mut c = Client::connect(fe);
    let mut ports = BTreeSet::new();
    for host in hosts {
        c.send(format!("GET /{case} HTTP/1.1\r\nhost: {host}\r\n\r\n").as_bytes());
        let r = c.read_response(false);
        let (body, port) = without_port(&String::from_utf8_lossy(&r.body));
        ports.extend(port);
        let body = if r.status() == 200 {
            body
        } else {
            String::new()
        };
        t.push(format!("{case} host={host}: {} {body}", r.status()));
    }
    for l in logs_for(px, c.port(), hosts.len(), Duration::from_secs(10)) {
        t.push(format!(
            "  log {}/{} {} {} retries={}",
            l.backend, l.server, l.status, l.term, l.retries
        ));
    }
    if ports.len() > 1 || hosts.len() > 1 {
        t.push(format!("  {case}: {} server connection(s)", ports.len()));
    }
}

fn traffic(kit: &Kit, b: &Backends, py: &PyServer, bin: &Path) -> Vec<String> {
    let backends = traffic_backends(kit, b, py);
    let (fe, tcp) = (BoundPort::new(), BoundPort::new());
    let cfg = traffic_config(&fe, &backends) + &tcp_section(&tcp, kit, b);
    let px = Proxy::builder(&cfg)
        .listen(&fe)
        .listen(&tcp)
        .bin(bin)
        .start();
    let mut t = Vec::new();
    let one =
        |case: &str, host: &str, t: &mut Vec<String>| requests(&px, fe.port, case, &[host], t);
    for case in ["none", "none", "good", "good", "wrongca"] {
        one(case, "a.test", &mut t);
    }
    one("sni", "a.test", &mut t);
    one("sni", "b.test", &mut t);
    // Not a host name: 2.6 sends it and no certificate name matches it.
    one("sni", "a.test:8443", &mut t);
    for case in [
        "vhbad", "vhgood", "alpn", "cert", "clear", "noreuse", "noreuse",
    ] {
        one(case, "a.test", &mut t);
    }
    // A server refusing the missing client certificate: TLS 1.3 clients
    // finish their handshake before the server judges it, so its alert
    // comes with the response (502 `SH`), or, for HAProxy depending on
    // timing, during the handshake (a retry, maybe a 503): only the
    // failure is compared.
    let mut c = Client::connect(fe.port);
    c.send(b"GET /nocert HTTP/1.1\r\nhost: a.test\r\n\r\n");
    let status = c.read_response(false).status();
    t.push(format!("nocert: fails: {}", status == 502 || status == 503));
    one("py", "a.test", &mut t);
    one("py", "a.test", &mut t);
    requests(&px, fe.port, "ka", &["a.test", "a.test", "a.test"], &mut t);
    one("inherit", "a.test", &mut t);
    one("nossl", "a.test", &mut t);
    let mut c = Client::connect(tcp.port);
    let r = c.get("/");
    let (body, _) = without_port(&String::from_utf8_lossy(&r.body));
    t.push(format!("tcp: {} {body}", r.status()));
    t
}

fn traffic_shape(t: &[String]) {
    let has = |l: &str| assert!(t.iter().any(|x| x == l), "no {l:?} in:\n{}", t.join("\n"));
    has("none host=a.test: 200 sni= resumed=0 alpn= cert=");
    has("none host=a.test: 200 sni= resumed=1 alpn= cert=");
    has("good host=a.test: 200 sni= resumed=1 alpn= cert=");
    has("  log wrongca/s 503 SC-- retries=1");
    has("sni host=a.test: 200 sni=a.test resumed=0 alpn= cert=");
    has("  log sni/s 503 SC-- retries=1");
    has("sni host=a.test:8443: 503 ");
    has("  log vhbad/s 503 SC-- retries=1");
    has("vhgood host=a.test: 200 sni= resumed=0 alpn= cert=");
    has("alpn host=a.test: 200 sni= resumed=0 alpn=http/1.1 cert=");
    has("cert host=a.test: 200 sni= resumed=0 alpn= cert=/CN=client1");
    has("nocert: fails: true");
    has("  log clear/s 503 SC-- retries=1");
    assert!(
        !t.iter()
            .any(|l| l.contains("noreuse") && l.contains("resumed=1")),
        "{t:?}"
    );
    has("py host=a.test: 200 sni=a.test reused=False");
    has("py host=a.test: 200 sni=a.test reused=True");
    has("  ka: 1 server connection(s)");
    has("inherit host=a.test: 200 sni= resumed=0 alpn= cert=");
    has("nossl host=a.test: 200 clear");
    has("tcp: 200 sni=a.test resumed=0 alpn= cert=");
}

/// Each kind of `ssl` server, one request each (two where the second
/// shows session reuse, three on one client connection for keep-alive).
#[test]
fn tls_servers_as_haproxy() {
    let Some(kit) = Kit::new() else { return };
    let b = Backends::start(&kit);
    let py = PyServer::start(&kit);
    compare(|bin| traffic(&kit, &b, &py, bin), traffic_shape);
}

/// Health checks over TLS: `ssl` (without `port`) and `check-ssl` make
/// them TLS, `port` elsewhere keeps them clear; a clear server, a wrong
/// CA and a missing client certificate fail as 2.6 reports them. One
/// server per backend, so that the log lines do not depend on which
/// server failed first.
fn checks(kit: &Kit, b: &Backends, bin: &Path) -> Vec<String> {
    let (tls, mtls, clear) = (b.tls, b.mtls, b.clear);
    let (ca2, cli) = (kit.path("ca2.pem"), kit.path("cli.pem"));
    let servers = [
        ("be", format!("{tls} ssl verify none"), "UP"),
        ("clear", format!("{clear} ssl verify none"), "DOWN"),
        ("cssl_tls", format!("{tls} check-ssl verify none"), "UP"),
        (
            "cssl_clear",
            format!("{clear} check-ssl verify none"),
            "DOWN",
        ),
        (
            "port_clear",
            format!("{tls} ssl verify none port {clear}"),
            "UP",
        ),
        ("wrongca", format!("{tls} ssl ca-file {ca2}"), "DOWN"),
        (
            "http_cert",
            format!("{mtls} ssl verify none crt {cli}"),
            "UP",
        ),
        ("http_nocert", format!("{mtls} ssl verify none"), "DOWN"),
    ];
    let mut body = String::new();
    for (be, server, _) in &servers {
        body.push_str(&format!(
            "backend {be}\n    option log-health-checks\n{}    server s 127.0.0.1:{server} check inter 200 rise 1 fall 1\n\n",
            if be.starts_with("http_") { "    option httpchk GET /\n" } else { "" }
        ));
    }
    let names: Vec<&str> = servers.iter().map(|s| s.0).collect();
    let mut r = Run::start(bin, &body, &names);
    r.step("settled", |st: &Stat| {
        servers.iter().all(|(be, _, want)| {
            st.get(be, "s", "status") == *want && !st.get(be, "s", "check_status").is_empty()
        })
    });
    // `srv_use_ssl` (the 21st field of `show servers state`): traffic
    // over TLS.
    let uses: Vec<String> = r
        .cli("show servers state")
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .filter(|w| w.len() > 20 && w[0] != "#")
        .map(|w| format!("{}={}", w[1], w[20]))
        .collect();
    r.note(format!("srv_use_ssl {}", uses.join(" ")));
    r.transcript
}

#[test]
fn checks_over_tls_as_haproxy() {
    let Some(kit) = Kit::new() else { return };
    let b = Backends::start(&kit);
    compare(
        |bin| checks(&kit, &b, bin),
        |t| {
            let col = |sv: &str, rest: &str| {
                let line = t
                    .iter()
                    .find(|l| l.starts_with(&format!("stat {sv} ")))
                    .unwrap_or_else(|| panic!("no {sv} in {t:?}"));
                assert!(line.contains(rest), "{line}");
            };
            col("be/s", "status=UP");
            col("be/s", "check_status=L6OK");
            col("clear/s", "check_status=L6RSP");
            col("clear/s", "last_chk=SSL handshake failure");
            col("cssl_tls/s", "check_status=L6OK");
            col("cssl_clear/s", "check_status=L6RSP");
            col("port_clear/s", "check_status=L4OK");
            col("wrongca/s", "check_status=L6RSP");
            col("http_cert/s", "check_status=L7OK");
            col("http_nocert/s", "check_status=SOCKERR");
            col("http_nocert/s", "last_chk=SSL fatal error");
            assert!(
                t.iter()
                    .any(|l| l.starts_with("srv_use_ssl be=1 clear=1 cssl_tls=0 ")),
                "{t:?}"
            );
            step_has(
                t,
                "settled",
                "log Health check for server clear/s failed, reason: Layer6 invalid response, info: \"SSL handshake failure\", check duration: Nms, status: 0/1 DOWN.",
            );
        },
    );
}
