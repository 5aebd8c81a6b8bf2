//! TLS observability, our proxy against HAProxy 2.6 on the same
//! configuration: the layer-5 fetches (`ssl_fc*`, `ssl_c_*`, `ssl_bc`),
//! `%sslv`/`%sslc`/`%ft`'s `~` and `option httpslog`, `option tcplog` on
//! an `ssl` bind, a custom TCP log format, `redirect scheme https` on
//! `!{ ssl_fc }`, the handshake failure line, and the SSL figures of
//! `show info`, `show stat` and the Prometheus exporter.
//!
//! Certificates are made at test time with `openssl` (a CA, an RSA server
//! certificate, a client certificate it signed, a self-signed one and one
//! of another CA); clients are curl and Python `ssl`, which also resumes
//! sessions (TLS 1.3 and 1.2, by ticket and, on a `no-tls-tickets` bind,
//! from the session cache). Log lines are compared with the client
//! port, the date and the timers masked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tests::checks::{compare, Stat};
use tests::http::Origin;
use tests::stick::cli;
use tests::util::poll_until;
use tests::{BoundPort, Proxy, TempDir};

const CERTS: &str = r#"
set -e
q() { "$@" >q.out 2>&1 || { cat q.out >&2; return 1; }; }
ec() { echo "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"; }
q openssl req -x509 $(ec) -days 30 -subj "/C=FR/O=Test Org/CN=Test CA" -keyout ca.key -out ca.pem
q openssl req -x509 $(ec) -days 30 -subj "/CN=Other CA" -keyout oca.key -out oca.pem
q openssl req -newkey rsa:2048 -nodes -subj "/CN=srv.example.com" -keyout srv.key -out srv.csr
printf 'subjectAltName=DNS:srv.example.com\n' > srv.ext
q openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -set_serial 0x1234 -days 10 \
  -extfile srv.ext -out srv.crt
cat srv.crt srv.key > srv.pem
q openssl req $(ec) -subj "/C=FR/O=Client Org/OU=Unit A/OU=Unit B/CN=client one" \
  -keyout cli.key -out cli.csr
printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n' > cli.ext
q openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -set_serial 0x00ABCDEF01 -days 5 \
  -extfile cli.ext -out cli.crt
q openssl x509 -req -in cli.csr -CA oca.pem -CAkey oca.key -set_serial 7 -days 5 \
  -extfile cli.ext -out ocli.crt
cp cli.key ocli.key
q openssl req -x509 $(ec) -days 3 -subj "/CN=selfie" -keyout self.key -out self.crt
"#;

/// `client <port> <sni|-> <max version> <cert|-> <ciphers|-> <n> <path>`:
/// `n` connections in a row, each resuming the session of the one before;
/// per connection its port, then its answer or `error`.
const CLIENT: &str = r#"
import socket, ssl, sys
port, sni, maxver, cert, ciphers, n, path = sys.argv[1:8]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if maxver == '1.2':
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
if ciphers != '-':
    ctx.set_ciphers(ciphers)
ctx.set_alpn_protocols(['http/1.1'])
if cert != '-':
    ctx.load_cert_chain(cert + '.crt', cert + '.key')
sess = None
for i in range(int(n)):
    raw = socket.create_connection(('127.0.0.1', int(port)), timeout=10)
    print('port=%d' % raw.getsockname()[1], flush=True)
    try:
        s = ctx.wrap_socket(raw, server_hostname=None if sni == '-' else sni, session=sess)
        s.sendall(('GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' % path).encode())
        d = b''
        # Until the end of the body: a server behind a TCP frontend may
        # keep the connection open.
        while True:
            head, sep, body = d.partition(b'\r\n\r\n')
            cl = [l.split(b':')[1] for l in head.split(b'\r\n') if l.lower().startswith(b'content-length:')]
            if sep and cl and len(body) >= int(cl[0]):
                break
            c = s.recv(65536)
            if not c:
                break
            d += c
        head, _, body = d.partition(b'\r\n\r\n')
        lines = head.decode().split('\r\n')
        keep = [l for l in lines[1:] if l.lower().startswith(('x-', 'location'))]
        print('answer=reused:%s %s %s | %s' % (s.session_reused, lines[0].split(' ')[1],
              ' '.join(sorted(keep)), body.decode().strip()), flush=True)
        sess = s.session
        s.close()
    except (ssl.SSLError, OSError):
        print('answer=error', flush=True)
"#;

/// What the `return` body shows of the client connection.
const FETCHES: &str = "fc=%[ssl_fc] sni=%[ssl_fc_sni] hassni=%[ssl_fc_has_sni] \
    v=%[ssl_fc_protocol] c=%[ssl_fc_cipher] alpn=%[ssl_fc_alpn] res=%[ssl_fc_is_resumed] \
    keys=%[ssl_fc_use_keysize]/%[ssl_fc_alg_keysize] crt=%[ssl_fc_has_crt] used=%[ssl_c_used] \
    verify=%[ssl_c_verify] err=%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_c_ca_err_depth]/\
    %[ssl_fc_err]/%[fc_err] s=%[ssl_c_s_dn] i=%[ssl_c_i_dn] cn=%[ssl_c_s_dn(cn)] \
    ou2=%[ssl_c_s_dn(OU,2)] ou-1=%[ssl_c_s_dn(OU,-1)] icn=%[ssl_c_i_dn(CN)] \
    ldap=%[ssl_c_s_dn(,0,rfc2253)] serial=%[ssl_c_serial,hex] ver=%[ssl_c_version] \
    sha1=%[ssl_c_sha1,hex] der=%[ssl_c_der,sha1,hex] sslv=%sslv sslc=%sslc ft=%ft";

struct Kit {
    dir: TempDir,
    client: PathBuf,
}

/// The certificates and the client script; `None` (skipped) without
/// openssl, python3 or curl.
fn kit() -> Option<Kit> {
    let have = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !have("openssl", "version") || !have("python3", "-V") || !have("curl", "-V") {
        eprintln!("openssl, python3 or curl missing: skipped");
        return None;
    }
    let dir = TempDir::new();
    tests::tlskit::run_cert_script(&dir, CERTS);
    let client = dir.write("client.py", CLIENT);
    Some(Kit { dir, client })
}

/// The listeners of one run.
struct Ports {
    tls13: BoundPort,
    tls12: BoundPort,
    /// Sessions resume by ID: lookups in the session cache.
    no_tickets: BoundPort,
    plain: BoundPort,
    tcp: BoundPort,
    tcpfmt: BoundPort,
    prom: BoundPort,
}

fn config(d: &Path, p: &Ports, sock: &Path, origin: u16) -> String {
    let d = d.display();
    let ssl = format!("ssl crt {d}/srv.pem verify optional ca-file {d}/ca.pem");
    format!(
        "global\n    nbthread 1\n    log stdout format raw local0\n    stats socket {sock} level admin\n\
         defaults\n    mode http\n    log global\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n\
         frontend fe\n\
         \x20   bind {t13} {ssl} crt-ignore-err all alpn http/1.1\n\
         \x20   bind {t12} {ssl} alpn http/1.1 ssl-max-ver TLSv1.2\n\
         \x20   bind {no_tickets} {ssl} alpn http/1.1 no-tls-tickets\n\
         \x20   bind {plain}\n\
         \x20   option httpslog\n\
         \x20   http-request redirect scheme https code 301 if !{{ ssl_fc }}\n\
         \x20   http-request return status 200 content-type text/plain lf-string \"{FETCHES}\" unless {{ path /srv }}\n\
         \x20   http-response set-header x-tls \"%[ssl_fc] %[ssl_fc_protocol] %[ssl_c_s_dn(CN)] %[ssl_bc] %sslv\"\n\
         \x20   use_backend be_echo\n\
         backend be_echo\n    server s 127.0.0.1:{origin}\n\
         frontend fe_tcp\n    mode tcp\n    bind {tcp} ssl crt {d}/srv.pem\n    option tcplog\n    default_backend be_plain\n\
         frontend fe_tcpfmt\n    mode tcp\n    bind {tcpfmt} {ssl}\n\
         \x20   tcp-request session set-var(sess.sni) ssl_fc_sni\n\
         \x20   tcp-request content set-var(sess.cn) ssl_c_s_dn(CN) if {{ ssl_c_used }}\n\
         \x20   log-format \"%ci:%cp %ft %b/%s %[ssl_fc] %[ssl_fc_protocol] %[var(sess.sni)] %[var(sess.cn)] %sslv %sslc %[ssl_bc] %[ssl_fc_is_resumed]\"\n\
         \x20   default_backend be_plain\n\
         backend be_plain\n    mode tcp\n    server s 127.0.0.1:{origin}\n\
         frontend prom\n    bind {prom}\n    http-request use-service prometheus-exporter\n",
        sock = sock.display(),
        t13 = p.tls13,
        t12 = p.tls12,
        no_tickets = p.no_tickets,
        plain = p.plain,
        tcp = p.tcp,
        tcpfmt = p.tcpfmt,
        prom = p.prom,
    )
}

/// One Python client run: (client port, answer) per connection.
fn python(kit: &Kit, port: u16, args: [&str; 6]) -> Vec<(u16, String)> {
    let out = Command::new("python3")
        .arg(&kit.client)
        .arg(port.to_string())
        .args(args)
        .current_dir(kit.dir.path())
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut conns = Vec::new();
    for l in text.lines() {
        if let Some(p) = l.strip_prefix("port=") {
            conns.push((p.parse().unwrap_or(0), String::new()));
        } else if let (Some(a), Some(c)) = (l.strip_prefix("answer="), conns.last_mut()) {
            c.1 = a.to_string();
        }
    }
    conns
}

/// A log line with what depends on the run masked: the client port, the
/// date, and the timers after the server name.
fn normalise(line: &str) -> String {
    let mut w: Vec<String> = line.split(' ').map(str::to_string).collect();
    if let Some((ip, _)) = w[0].clone().rsplit_once(':') {
        w[0] = format!("{ip}:PORT");
    }
    for t in w.iter_mut().filter(|t| t.starts_with('[') && t.len() > 20) {
        *t = "[DATE]".into();
    }
    if w.len() > 4 && w[4].split('/').all(|n| n.parse::<i64>().is_ok()) {
        w[4] = w[4]
            .split('/')
            .map(|n| if n == "-1" { "-1" } else { "N" })
            .collect::<Vec<_>>()
            .join("/");
    }
    w.join(" ")
}

/// The log line of client port `port`, masked.
fn log_of(px: &Proxy, port: u16) -> String {
    let key = format!("127.0.0.1:{port} ");
    let line = px
        .wait_log(|l| l.starts_with(&key), Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no log for port {port}:\n{}", px.logs().join("\n")));
    normalise(&line)
}

/// `show info` as name -> value.
fn info(sock: &Path) -> BTreeMap<String, String> {
    cli(sock, "show info")
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The SSL fields of `show info` that do not depend on timing, then
/// whether the rates that do moved.
fn ssl_info(sock: &Path) -> Vec<String> {
    let i = info(sock);
    let get = |k: &str| i.get(k).cloned().unwrap_or_default();
    let mut out: Vec<String> = [
        "MaxSslConns",
        "CurrSslConns",
        "CumSslConns",
        "SslRateLimit",
        "SslBackendKeyRate",
        "SslBackendMaxKeyRate",
        "SslCacheLookups",
        "SslCacheMisses",
    ]
    .iter()
    .map(|k| format!("info {k}: {}", get(k)))
    .collect();
    for k in ["MaxSslRate", "SslFrontendMaxKeyRate"] {
        out.push(format!(
            "info {k} > 0: {}",
            get(k).parse::<u64>().unwrap_or(0) > 0
        ));
    }
    out
}

/// The TLS cases: (name, which port, client arguments).
fn cases(p: &Ports) -> Vec<(&'static str, u16, [&'static str; 6])> {
    let (t13, t12, nt) = (p.tls13.port, p.tls12.port, p.no_tickets.port);
    let sni = "srv.example.com";
    vec![
        (
            "tls13 client cert, resumed twice",
            t13,
            [sni, "1.3", "cli", "-", "3", "/a"],
        ),
        // Resumed, it keeps its verify result but met no error now.
        (
            "tls13 self-signed let through, resumed",
            t13,
            ["-", "1.3", "self", "-", "2", "/b"],
        ),
        (
            "tls13 other CA let through",
            t13,
            ["-", "1.3", "ocli", "-", "1", "/c"],
        ),
        (
            "tls12 chacha client cert, resumed",
            t12,
            [sni, "1.2", "cli", "ECDHE-RSA-CHACHA20-POLY1305", "2", "/d"],
        ),
        (
            "tls12 self-signed refused",
            t12,
            ["-", "1.2", "self", "-", "1", "/e"],
        ),
        ("tls12 by session ID", nt, [sni, "1.2", "-", "-", "3", "/h"]),
        (
            "tls13 stateful tickets",
            nt,
            [sni, "1.3", "-", "-", "3", "/i"],
        ),
        (
            "through a server",
            t13,
            [sni, "1.3", "cli", "-", "1", "/srv"],
        ),
        ("tcplog", p.tcp.port, [sni, "1.3", "-", "-", "1", "/f"]),
        (
            "tcp log-format",
            p.tcpfmt.port,
            [sni, "1.3", "cli", "-", "1", "/g"],
        ),
    ]
}

/// curl: `args`, then the client port and what `-w` adds.
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-k", "--http1.1", "-o", "/dev/null", "-w"])
        .arg("%{local_port} %{http_code} %{redirect_url}")
        .args(args)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (port, rest) = text.split_once(' ').unwrap_or(("0", ""));
    (port.parse().unwrap_or(0), rest.to_string())
}

fn scenario(kit: &Kit, origin: &Origin, bin: &Path) -> Vec<String> {
    let p = Ports {
        tls13: BoundPort::new(),
        tls12: BoundPort::new(),
        no_tickets: BoundPort::new(),
        plain: BoundPort::new(),
        tcp: BoundPort::new(),
        tcpfmt: BoundPort::new(),
        prom: BoundPort::new(),
    };
    let sock = kit.dir.path().join(format!("s{}.sock", p.prom.port));
    let cfg = config(kit.dir.path(), &p, &sock, origin.port);
    let all = [
        &p.tls13,
        &p.tls12,
        &p.no_tickets,
        &p.plain,
        &p.tcp,
        &p.tcpfmt,
        &p.prom,
    ];
    let px = all
        .iter()
        .fold(Proxy::builder(&cfg).bin(bin), |b, l| b.listen(l))
        .start();
    let mut t = vec!["== before".to_string()];
    t.extend(ssl_info(&sock));
    let url = format!("https://srv.example.com:{}/curl", p.tls13.port);
    let resolve = format!("srv.example.com:{}:127.0.0.1", p.tls13.port);
    let (port, answer) = curl(&["--resolve", &resolve, &url]);
    t.push(format!("== curl\n{answer}\n{}", log_of(&px, port)));
    for (name, port, args) in cases(&p) {
        t.push(format!("== {name}"));
        for (cport, answer) in python(kit, port, args) {
            t.push(answer);
            let mut log = log_of(&px, cport);
            if args[5] == "/srv" {
                // A known difference unrelated to TLS: for a response from
                // a server, HAProxy's %B is the size of the response as it
                // holds it internally, ours the bytes sent to the client.
                let mut w: Vec<&str> = log.split(' ').collect();
                w[6] = "B";
                log = w.join(" ");
            }
            t.push(log);
        }
    }
    let plain = format!("http://127.0.0.1:{}/x?y", p.plain.port);
    let (port, answer) = curl(&[&plain]);
    let answer = answer.replace(&p.plain.port.to_string(), "PLAIN");
    t.push(format!(
        "== plain redirect\n{answer}\n{}",
        log_of(&px, port)
    ));
    // Every TLS connection closed: none is current any more.
    poll_until(Duration::from_secs(10), || {
        (info(&sock).get("CurrSslConns").map(String::as_str) == Some("0")).then_some(())
    });
    t.push("== after".to_string());
    t.extend(ssl_info(&sock));
    let stat = Stat::parse(&cli(&sock, "show stat"));
    for fe in ["fe", "fe_tcp", "fe_tcpfmt", "prom"] {
        let cols = ["ssl_sess", "ssl_reused_sess", "ssl_failed_handshake"];
        let v: Vec<&str> = cols.iter().map(|c| stat.get(fe, "FRONTEND", c)).collect();
        t.push(format!("stat {fe}: {}", v.join("/")));
    }
    // `clear counters` zeroes the SSL module's columns and the maxima.
    cli(&sock, "clear counters");
    let stat = Stat::parse(&cli(&sock, "show stat"));
    let i = info(&sock);
    t.push(format!(
        "cleared: {} {:?} {:?}",
        stat.get("fe", "FRONTEND", "ssl_sess"),
        i.get("MaxSslRate"),
        i.get("CumSslConns")
    ));
    let metrics = Command::new("curl")
        .args(["-s", &format!("http://127.0.0.1:{}/metrics", p.prom.port)])
        .output()
        .expect("curl");
    let wanted = [
        "max_ssl_connections",
        "current_ssl_connections",
        "ssl_connections_total",
        "limit_ssl_rate",
        "ssl_cache_lookups_total",
        "ssl_cache_misses_total",
    ];
    for l in String::from_utf8_lossy(&metrics.stdout).lines() {
        let name = l
            .strip_prefix("haproxy_process_")
            .and_then(|r| r.split(' ').next());
        if name.is_some_and(|n| wanted.contains(&n)) {
            t.push(l.to_string());
        }
    }
    t
}

#[test]
fn tls_fetches_logs_and_stats_as_haproxy() {
    let Some(kit) = kit() else { return };
    let origin = Origin::fixed(b"origin\n");
    compare(
        |bin| scenario(&kit, &origin, bin),
        |t| {
            let has = |s: &str| t.iter().any(|l| l.contains(s));
            assert!(has("info CumSslConns: 0"), "{t:?}");
            // 1 curl + 3 + 2 + 1 + 2 + 1 refused + 3 + 3 + 1 + 1 + 1.
            assert!(has("info CumSslConns: 19"), "{t:?}");
            assert!(has("stat fe: 8/8/1"), "{t:?}");
            assert!(has("haproxy_process_ssl_connections_total 19"), "{t:?}");
            assert!(has("info SslCacheLookups: 4"), "{t:?}");
            assert!(has("cleared: 0 Some(\"0\") Some(\"19\")"), "{t:?}");
            assert!(has("verify=18 err=0/0/0/0/0"), "{t:?}");
            assert!(has("reused:True 200"), "{t:?}");
            assert!(has("verify=18 err=18/0/0/0/0"), "{t:?}");
            assert!(has("c=ECDHE-RSA-CHACHA20-POLY1305"), "{t:?}");
            assert!(has("fe~ fe/<NOSRV>"), "{t:?}");
            assert!(has("fe_tcp~ be_plain/s"), "{t:?}");
            assert!(has("SSL client certificate not trusted"), "{t:?}");
            assert!(has("301 https://127.0.0.1:PLAIN/x?y"), "{t:?}");
            assert!(
                has("reused:False 200 x-tls: 1 TLSv1.3 client one 0 TLSv1.3 | origin"),
                "{t:?}"
            );
        },
    );
}
